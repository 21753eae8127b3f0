/* bk-plugin.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-feature.h"

G_BEGIN_DECLS

#define BK_TYPE_PLUGIN (bk_plugin_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (BkPlugin, bk_plugin, BK, PLUGIN, BkFeature)

/**
 * BkPluginRegisterFunc:
 * @env: the registration environment
 * @user_data: closure data
 *
 * Registers a plugin's init and extension points. Runs once, at start.
 *
 * Since: 0.1
 */
typedef void (*BkPluginRegisterFunc) (BkPluginEnv *env,
                                      gpointer     user_data);

/**
 * BkPluginClass:
 * @parent_class: the parent class
 * @register_plugin: registers the plugin's init (exactly once) and its
 *   extension points
 *
 * The class of a plugin; subclasses override @register_plugin.
 *
 * Since: 0.1
 */
struct _BkPluginClass
{
  BkFeatureClass parent_class;

  void (*register_plugin) (BkPlugin    *self,
                           BkPluginEnv *env);

  /*< private >*/
  gpointer _reserved[8];
};

BK_AVAILABLE_IN_ALL
BkPlugin   *bk_plugin_new           (const char           *plugin_id,
                                     BkPluginRegisterFunc  register_func,
                                     gpointer              user_data,
                                     GDestroyNotify        destroy);
BK_AVAILABLE_IN_ALL
const char *bk_plugin_get_plugin_id (BkPlugin             *self);

G_END_DECLS
