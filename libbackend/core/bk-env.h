/* bk-env.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-extension-point.h"

G_BEGIN_DECLS

#define BK_TYPE_PLUGIN_ENV (bk_plugin_env_get_type ())
#define BK_TYPE_MODULE_ENV (bk_module_env_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkPluginEnv, bk_plugin_env, BK, PLUGIN_ENV, GObject)
BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkModuleEnv, bk_module_env, BK, MODULE_ENV, GObject)

BK_AVAILABLE_IN_ALL
const char *bk_plugin_env_get_plugin_id                    (BkPluginEnv                 *self);
BK_AVAILABLE_IN_ALL
void        bk_plugin_env_register_init                    (BkPluginEnv                 *self,
                                                            BkInitFunc                   func,
                                                            gpointer                     user_data,
                                                            GDestroyNotify               destroy,
                                                            ...) G_GNUC_NULL_TERMINATED;
BK_AVAILABLE_IN_ALL
void        bk_plugin_env_register_init_full               (BkPluginEnv                 *self,
                                                            BkDependency               **deps,
                                                            guint                        n_deps,
                                                            BkInitFunc                   func,
                                                            gpointer                     user_data,
                                                            GDestroyNotify               destroy);
BK_AVAILABLE_IN_ALL
void        bk_plugin_env_register_init_async              (BkPluginEnv                 *self,
                                                            BkInitAsyncFunc              func,
                                                            gpointer                     user_data,
                                                            GDestroyNotify               destroy,
                                                            ...) G_GNUC_NULL_TERMINATED;
BK_AVAILABLE_IN_ALL
void        bk_plugin_env_register_init_async_full         (BkPluginEnv                 *self,
                                                            BkDependency               **deps,
                                                            guint                        n_deps,
                                                            BkInitAsyncFunc              func,
                                                            gpointer                     user_data,
                                                            GDestroyNotify               destroy);
BK_AVAILABLE_IN_ALL
void        bk_plugin_env_register_extension_point         (BkPluginEnv                 *self,
                                                            BkExtensionPoint            *extension_point,
                                                            GObject                     *implementation);
BK_AVAILABLE_IN_ALL
void        bk_plugin_env_register_extension_point_factory (BkPluginEnv                 *self,
                                                            BkExtensionPoint            *extension_point,
                                                            BkExtensionPointFactoryFunc  func,
                                                            gpointer                     user_data,
                                                            GDestroyNotify               destroy);

BK_AVAILABLE_IN_ALL
const char *bk_module_env_get_plugin_id                    (BkModuleEnv                 *self);
BK_AVAILABLE_IN_ALL
const char *bk_module_env_get_module_id                    (BkModuleEnv                 *self);
BK_AVAILABLE_IN_ALL
void        bk_module_env_register_init                    (BkModuleEnv                 *self,
                                                            BkInitFunc                   func,
                                                            gpointer                     user_data,
                                                            GDestroyNotify               destroy,
                                                            ...) G_GNUC_NULL_TERMINATED;
BK_AVAILABLE_IN_ALL
void        bk_module_env_register_init_full               (BkModuleEnv                 *self,
                                                            BkDependency               **deps,
                                                            guint                        n_deps,
                                                            BkInitFunc                   func,
                                                            gpointer                     user_data,
                                                            GDestroyNotify               destroy);
BK_AVAILABLE_IN_ALL
void        bk_module_env_register_init_async              (BkModuleEnv                 *self,
                                                            BkInitAsyncFunc              func,
                                                            gpointer                     user_data,
                                                            GDestroyNotify               destroy,
                                                            ...) G_GNUC_NULL_TERMINATED;
BK_AVAILABLE_IN_ALL
void        bk_module_env_register_init_async_full         (BkModuleEnv                 *self,
                                                            BkDependency               **deps,
                                                            guint                        n_deps,
                                                            BkInitAsyncFunc              func,
                                                            gpointer                     user_data,
                                                            GDestroyNotify               destroy);
BK_AVAILABLE_IN_ALL
void        bk_module_env_register_extension_point         (BkModuleEnv                 *self,
                                                            BkExtensionPoint            *extension_point,
                                                            GObject                     *implementation);
BK_AVAILABLE_IN_ALL
void        bk_module_env_register_extension_point_factory (BkModuleEnv                 *self,
                                                            BkExtensionPoint            *extension_point,
                                                            BkExtensionPointFactoryFunc  func,
                                                            gpointer                     user_data,
                                                            GDestroyNotify               destroy);

G_END_DECLS
