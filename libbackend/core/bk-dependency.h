/* bk-dependency.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-types.h"

G_BEGIN_DECLS

#define BK_TYPE_DEPENDENCY (bk_dependency_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (BkDependency, bk_dependency, BK, DEPENDENCY, GObject)

struct _BkDependencyClass
{
  GObjectClass parent_class;

  /*< private >*/
  gpointer _reserved[8];
};

BK_AVAILABLE_IN_ALL
const char *bk_dependency_get_id             (BkDependency *self);
BK_AVAILABLE_IN_ALL
GType       bk_dependency_get_interface_type (BkDependency *self);
BK_AVAILABLE_IN_ALL
char       *bk_dependency_to_string          (BkDependency *self);

G_END_DECLS
