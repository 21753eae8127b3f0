/* bk-startup-result.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-types.h"

G_BEGIN_DECLS

#define BK_TYPE_STARTUP_RESULT (bk_startup_result_get_type ())
#define BK_TYPE_FEATURE_RESULT (bk_feature_result_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkStartupResult, bk_startup_result, BK, STARTUP_RESULT, GObject)
BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkFeatureResult, bk_feature_result, BK, FEATURE_RESULT, GObject)

BK_AVAILABLE_IN_ALL
gboolean         bk_startup_result_is_success        (BkStartupResult *self);
BK_AVAILABLE_IN_ALL
gint64           bk_startup_result_get_begin_time    (BkStartupResult *self);
BK_AVAILABLE_IN_ALL
gint64           bk_startup_result_get_end_time      (BkStartupResult *self);
BK_AVAILABLE_IN_ALL
GPtrArray       *bk_startup_result_get_plugins       (BkStartupResult *self);
BK_AVAILABLE_IN_ALL
BkFeatureResult *bk_startup_result_find_plugin       (BkStartupResult *self,
                                                      const char      *plugin_id);

BK_AVAILABLE_IN_ALL
const char      *bk_feature_result_get_plugin_id     (BkFeatureResult *self);
BK_AVAILABLE_IN_ALL
const char      *bk_feature_result_get_module_id     (BkFeatureResult *self);
BK_AVAILABLE_IN_ALL
const GError    *bk_feature_result_get_error         (BkFeatureResult *self);
BK_AVAILABLE_IN_ALL
gboolean         bk_feature_result_is_failure_allowed (BkFeatureResult *self);
BK_AVAILABLE_IN_ALL
gint64           bk_feature_result_get_begin_time    (BkFeatureResult *self);
BK_AVAILABLE_IN_ALL
gint64           bk_feature_result_get_end_time      (BkFeatureResult *self);
BK_AVAILABLE_IN_ALL
GPtrArray       *bk_feature_result_get_modules       (BkFeatureResult *self);
BK_AVAILABLE_IN_ALL
BkFeatureResult *bk_feature_result_find_module       (BkFeatureResult *self,
                                                      const char      *module_id);

G_END_DECLS
