/* bk-module.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-feature.h"

G_BEGIN_DECLS

#define BK_TYPE_MODULE (bk_module_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (BkModule, bk_module, BK, MODULE, BkFeature)

/**
 * BkModuleRegisterFunc:
 * @env: the registration environment
 * @user_data: closure data
 *
 * Registers a module's init and extension points. Runs once, at start.
 *
 * Since: 0.1
 */
typedef void (*BkModuleRegisterFunc) (BkModuleEnv *env,
                                      gpointer     user_data);

/**
 * BkModuleClass:
 * @parent_class: the parent class
 * @register_module: registers the module's init (exactly once) and its
 *   extension points
 *
 * The class of a module; subclasses override @register_module.
 *
 * Since: 0.1
 */
struct _BkModuleClass
{
  BkFeatureClass parent_class;

  void (*register_module) (BkModule    *self,
                           BkModuleEnv *env);

  /*< private >*/
  gpointer _reserved[8];
};

BK_AVAILABLE_IN_ALL
BkModule   *bk_module_new           (const char           *plugin_id,
                                     const char           *module_id,
                                     BkModuleRegisterFunc  register_func,
                                     gpointer              user_data,
                                     GDestroyNotify        destroy);
BK_AVAILABLE_IN_ALL
const char *bk_module_get_plugin_id (BkModule             *self);
BK_AVAILABLE_IN_ALL
const char *bk_module_get_module_id (BkModule             *self);

G_END_DECLS
