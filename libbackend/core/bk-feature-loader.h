/* bk-feature-loader.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-feature.h"

G_BEGIN_DECLS

#define BK_TYPE_FEATURE_LOADER (bk_feature_loader_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkFeatureLoader, bk_feature_loader, BK, FEATURE_LOADER, BkFeature)

/**
 * BkFeatureLoaderFunc:
 * @deps: the loader's root-scoped dependencies
 * @user_data: closure data
 * @error: return location for a #GError
 *
 * Returns more features: plugins, modules, service factories or loaders.
 *
 * Returns: (transfer full) (element-type BkFeature) (nullable): the features,
 *   or %NULL with @error set
 *
 * Since: 0.1
 */
typedef GPtrArray *(*BkFeatureLoaderFunc) (BkDeps   *deps,
                                           gpointer  user_data,
                                           GError  **error);

BK_AVAILABLE_IN_ALL
BkFeatureLoader *bk_feature_loader_new      (const char          *name,
                                             BkFeatureLoaderFunc  func,
                                             gpointer             user_data,
                                             GDestroyNotify       destroy,
                                             ...) G_GNUC_NULL_TERMINATED;
BK_AVAILABLE_IN_ALL
BkFeatureLoader *bk_feature_loader_new_full (const char          *name,
                                             BkServiceRef       **deps,
                                             guint                n_deps,
                                             BkFeatureLoaderFunc  func,
                                             gpointer             user_data,
                                             GDestroyNotify       destroy);
BK_AVAILABLE_IN_ALL
const char      *bk_feature_loader_get_name (BkFeatureLoader     *self);

G_END_DECLS
