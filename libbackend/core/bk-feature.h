/* bk-feature.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-types.h"

G_BEGIN_DECLS

#define BK_TYPE_FEATURE (bk_feature_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (BkFeature, bk_feature, BK, FEATURE, GObject)

struct _BkFeatureClass
{
  GObjectClass parent_class;

  /*< private >*/
  gpointer _reserved[8];
};

BK_AVAILABLE_IN_ALL
char *bk_feature_describe (BkFeature *self);

G_END_DECLS
