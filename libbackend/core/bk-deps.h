/* bk-deps.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-types.h"

G_BEGIN_DECLS

#define BK_TYPE_DEPS (bk_deps_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkDeps, bk_deps, BK, DEPS, GObject)

BK_AVAILABLE_IN_ALL
gpointer   bk_deps_get       (BkDeps       *self,
                              gpointer      dependency);
BK_AVAILABLE_IN_ALL
GPtrArray *bk_deps_get_all   (BkDeps       *self,
                              BkServiceRef *ref);
BK_AVAILABLE_IN_ALL
const char *bk_deps_get_plugin_id (BkDeps  *self);

G_END_DECLS
