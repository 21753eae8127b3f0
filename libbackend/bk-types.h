/* bk-types.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "bk-version-macros.h"

G_BEGIN_DECLS

typedef struct _BkBackend              BkBackend;
typedef struct _BkClock                BkClock;
typedef struct _BkConfig               BkConfig;
typedef struct _BkDependency           BkDependency;
typedef struct _BkDeps                 BkDeps;
typedef struct _BkExtensionPoint       BkExtensionPoint;
typedef struct _BkExtensionPointContext BkExtensionPointContext;
typedef struct _BkFeature              BkFeature;
typedef struct _BkFeatureLoader        BkFeatureLoader;
typedef struct _BkFeatureResult        BkFeatureResult;
typedef struct _BkLifecycle            BkLifecycle;
typedef struct _BkLogger               BkLogger;
typedef struct _BkModule               BkModule;
typedef struct _BkModuleEnv            BkModuleEnv;
typedef struct _BkPlugin               BkPlugin;
typedef struct _BkPluginEnv            BkPluginEnv;
typedef struct _BkPluginMetadata       BkPluginMetadata;
typedef struct _BkRootConfig           BkRootConfig;
typedef struct _BkRootInstanceMetadata BkRootInstanceMetadata;
typedef struct _BkServiceFactory       BkServiceFactory;
typedef struct _BkServiceRef           BkServiceRef;
typedef struct _BkStartupResult        BkStartupResult;

/**
 * BkServiceScope:
 * @BK_SERVICE_SCOPE_ROOT: one instance per backend; may depend only on
 *   root-scoped services
 * @BK_SERVICE_SCOPE_PLUGIN: one instance per plugin that asks for it; may
 *   depend on root- and plugin-scoped services
 *
 * The scope of a [class@Bk.ServiceRef].
 *
 * Since: 0.1
 */
typedef enum
{
  BK_SERVICE_SCOPE_ROOT,
  BK_SERVICE_SCOPE_PLUGIN,
} BkServiceScope;

/**
 * BkServiceInitialization:
 * @BK_SERVICE_INITIALIZATION_DEFAULT: root factories are created at startup,
 *   plugin factories when first asked for
 * @BK_SERVICE_INITIALIZATION_ALWAYS: created at startup (root), or for every
 *   plugin before its modules (plugin)
 * @BK_SERVICE_INITIALIZATION_LAZY: created only when something depends on it
 *
 * When a [class@Bk.ServiceFactory] creates its service.
 *
 * Since: 0.1
 */
typedef enum
{
  BK_SERVICE_INITIALIZATION_DEFAULT,
  BK_SERVICE_INITIALIZATION_ALWAYS,
  BK_SERVICE_INITIALIZATION_LAZY,
} BkServiceInitialization;

/**
 * BkServiceCreateFunc:
 * @deps: the resolved dependencies
 * @root_context: (nullable): the factory's root context, or %NULL
 * @user_data: closure data
 * @error: return location for a #GError
 *
 * Creates a service instance synchronously.
 *
 * Returns: (transfer full) (nullable): the service, or %NULL with @error set
 *
 * Since: 0.1
 */
typedef GObject *(*BkServiceCreateFunc) (BkDeps   *deps,
                                         gpointer  root_context,
                                         gpointer  user_data,
                                         GError  **error);

/**
 * BkServiceCreateAsyncFunc:
 * @deps: the resolved dependencies, valid until @task completes
 * @root_context: (nullable): the factory's root context, or %NULL
 * @task: (transfer full): the task to complete with
 *   `g_task_return_pointer (task, object, g_object_unref)` or an error
 * @user_data: closure data
 *
 * Creates a service instance asynchronously. The function owns @task: it
 * completes it exactly once, on the backend's main context, and then drops
 * its reference with g_object_unref().
 *
 * Since: 0.1
 */
typedef void (*BkServiceCreateAsyncFunc) (BkDeps   *deps,
                                          gpointer  root_context,
                                          GTask    *task,
                                          gpointer  user_data);

/**
 * BkRootContextFunc:
 * @root_deps: the factory's root-scoped dependencies
 * @user_data: closure data
 * @error: return location for a #GError
 *
 * Creates the root context of a plugin-scoped factory, once per backend,
 * before its first plugin instance.
 *
 * Returns: (nullable) (transfer full): the root context
 *
 * Since: 0.1
 */
typedef gpointer (*BkRootContextFunc) (BkDeps   *root_deps,
                                       gpointer  user_data,
                                       GError  **error);

/**
 * BkInitFunc:
 * @deps: the resolved dependencies
 * @user_data: closure data
 * @error: return location for a #GError
 *
 * A plugin's or module's init, run once at startup.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
typedef gboolean (*BkInitFunc) (BkDeps   *deps,
                                gpointer  user_data,
                                GError  **error);

/**
 * BkInitAsyncFunc:
 * @deps: the resolved dependencies, valid until @task completes
 * @task: (transfer full): the task to complete with g_task_return_boolean()
 *   or g_task_return_error()
 * @user_data: closure data
 *
 * An asynchronous init. The function owns @task: it completes it exactly
 * once and then drops its reference with g_object_unref().
 *
 * Since: 0.1
 */
typedef void (*BkInitAsyncFunc) (BkDeps   *deps,
                                 GTask    *task,
                                 gpointer  user_data);

/**
 * BkServiceFactoryFunc:
 *
 * Returns a new service factory; used for a ref's default factory.
 *
 * Returns: (transfer full): a new #BkServiceFactory
 *
 * Since: 0.1
 */
typedef BkServiceFactory *(*BkServiceFactoryFunc) (void);

G_END_DECLS
