/* bk-core-private.h: what the core's files share. Never installed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "libbackend.h"
#include "bk-backend-private.h"

G_BEGIN_DECLS

/* Internal completion: @result is transfer none, valid during the call. */
typedef void (*BkDoneFunc) (gpointer      data,
                            gpointer      result,
                            const GError *error);

/* BkServiceFactory */
GPtrArray *_bk_service_factory_get_deps        (BkServiceFactory *self);
gboolean   _bk_service_factory_has_root_context (BkServiceFactory *self);
gpointer   _bk_service_factory_create_root_context (BkServiceFactory *self,
                                                   BkDeps           *root_deps,
                                                   GError          **error);
void       _bk_service_factory_destroy_root_context (BkServiceFactory *self,
                                                    gpointer          context);
void       _bk_service_factory_create          (BkServiceFactory *self,
                                                BkDeps           *deps,
                                                gpointer          root_context,
                                                BkDoneFunc        done,
                                                gpointer          data);
gboolean   _bk_service_factory_is_eager        (BkServiceFactory *self);

/* BkDependency */
void       _bk_dependency_init_fields          (BkDependency *self,
                                                const char   *id,
                                                GType         interface_type);

/* BkDeps */
BkDeps    *_bk_deps_new                        (const char   *plugin_id);
void       _bk_deps_set                        (BkDeps       *self,
                                                BkDependency *dependency,
                                                gpointer      value);
void       _bk_deps_set_all                    (BkDeps       *self,
                                                BkServiceRef *ref,
                                                GPtrArray    *values);

/* Registrations made by register_plugin / register_module. */
typedef struct
{
  BkExtensionPoint            *extension_point;
  GObject                     *implementation;
  BkExtensionPointFactoryFunc  factory;
  gpointer                     factory_data;
  GDestroyNotify               factory_destroy;
} BkEpRegistration;

typedef struct
{
  char           *plugin_id;
  char           *module_id;        /* NULL for a plugin */
  BkFeature      *feature;          /* the plugin or module */
  GPtrArray      *init_deps;        /* BkDependency, owned */
  BkInitFunc      init;
  BkInitAsyncFunc init_async;
  gpointer        init_data;
  GDestroyNotify  init_destroy;
  gboolean        init_registered;
  GPtrArray      *extension_points; /* BkEpRegistration */
  GError         *error;            /* first registration error */
} BkRegistration;

BkRegistration *_bk_registration_new     (BkFeature      *feature,
                                          const char     *plugin_id,
                                          const char     *module_id);
void            _bk_registration_free    (BkRegistration *self);
void            _bk_registration_run_register (BkRegistration *self);
void            _bk_registration_run_init (BkRegistration *self,
                                           BkDeps         *deps,
                                           BkDoneFunc      done,
                                           gpointer        data);
char           *_bk_registration_describe (BkRegistration *self);

BkPluginEnv *_bk_plugin_env_new (BkRegistration *registration);
BkModuleEnv *_bk_module_env_new (BkRegistration *registration);

void _bk_plugin_invoke_register (BkPlugin    *self,
                                 BkPluginEnv *env);
void _bk_module_invoke_register (BkModule    *self,
                                 BkModuleEnv *env);

/* Extension point contexts. */
typedef void (*BkModuleFailureFunc) (gpointer      data,
                                     const char   *plugin_id,
                                     const char   *module_id,
                                     const GError *error);

BkExtensionPointContext *_bk_extension_point_context_new (const char          *plugin_id,
                                                          const char          *module_id,
                                                          BkModuleFailureFunc  report,
                                                          gpointer             report_data);
void                     _bk_extension_point_context_detach (BkExtensionPointContext *self);

/* Feature loader. */
GPtrArray *_bk_feature_loader_get_deps (BkFeatureLoader *self);
GPtrArray *_bk_feature_loader_load     (BkFeatureLoader *self,
                                        BkDeps          *deps,
                                        GError         **error);

/* Startup result. */
BkStartupResult *_bk_startup_result_new         (void);
void             _bk_startup_result_finish      (BkStartupResult *self,
                                                 gboolean         success);
BkFeatureResult *_bk_feature_result_new         (const char      *plugin_id,
                                                 const char      *module_id);
void             _bk_startup_result_add_plugin  (BkStartupResult *self,
                                                 BkFeatureResult *plugin);
void             _bk_feature_result_add_module  (BkFeatureResult *self,
                                                 BkFeatureResult *module);
void             _bk_feature_result_begin       (BkFeatureResult *self);
void             _bk_feature_result_end         (BkFeatureResult *self,
                                                 const GError    *error,
                                                 gboolean         allowed);
void             _bk_feature_result_set_allowed (BkFeatureResult *self,
                                                 gboolean         allowed);

G_END_DECLS
