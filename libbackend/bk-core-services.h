/* bk-core-services.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-service-ref.h"

G_BEGIN_DECLS

BK_AVAILABLE_IN_ALL
BkServiceRef *bk_core_service_root_config            (void);
BK_AVAILABLE_IN_ALL
BkServiceRef *bk_core_service_root_clock             (void);
BK_AVAILABLE_IN_ALL
BkServiceRef *bk_core_service_root_logger            (void);
BK_AVAILABLE_IN_ALL
BkServiceRef *bk_core_service_logger                 (void);
BK_AVAILABLE_IN_ALL
BkServiceRef *bk_core_service_root_lifecycle         (void);
BK_AVAILABLE_IN_ALL
BkServiceRef *bk_core_service_lifecycle              (void);
BK_AVAILABLE_IN_ALL
BkServiceRef *bk_core_service_plugin_metadata        (void);
BK_AVAILABLE_IN_ALL
BkServiceRef *bk_core_service_root_instance_metadata (void);
BK_AVAILABLE_IN_ALL
BkServiceRef *bk_core_service_root_health            (void);
BK_AVAILABLE_IN_ALL
BkServiceRef *bk_core_service_root_http_router       (void);
BK_AVAILABLE_IN_ALL
BkServiceRef *bk_core_service_http_router            (void);
BK_AVAILABLE_IN_ALL
BkServiceRef *bk_core_service_database               (void);
BK_AVAILABLE_IN_ALL
BkServiceRef *bk_core_service_cache                  (void);
BK_AVAILABLE_IN_ALL
BkServiceRef *bk_core_service_scheduler              (void);
BK_AVAILABLE_IN_ALL
BkServiceRef *bk_core_service_discovery              (void);

/**
 * BK_SERVICE_ROOT_CONFIG:
 *
 * `core.rootConfig` (root): a [iface@Bk.RootConfig].
 *
 * Since: 0.1
 */
#define BK_SERVICE_ROOT_CONFIG (bk_core_service_root_config ())
/**
 * BK_SERVICE_ROOT_CLOCK:
 *
 * `core.rootClock` (root): a [iface@Bk.Clock].
 *
 * Since: 0.1
 */
#define BK_SERVICE_ROOT_CLOCK (bk_core_service_root_clock ())
/**
 * BK_SERVICE_ROOT_LOGGER:
 *
 * `core.rootLogger` (root): a [iface@Bk.Logger].
 *
 * Since: 0.1
 */
#define BK_SERVICE_ROOT_LOGGER (bk_core_service_root_logger ())
/**
 * BK_SERVICE_LOGGER:
 *
 * `core.logger` (plugin): a [iface@Bk.Logger] carrying `plugin=<id>`.
 *
 * Since: 0.1
 */
#define BK_SERVICE_LOGGER (bk_core_service_logger ())
/**
 * BK_SERVICE_ROOT_LIFECYCLE:
 *
 * `core.rootLifecycle` (root): a [iface@Bk.Lifecycle] with startup,
 * before-shutdown and shutdown hooks.
 *
 * Since: 0.1
 */
#define BK_SERVICE_ROOT_LIFECYCLE (bk_core_service_root_lifecycle ())
/**
 * BK_SERVICE_LIFECYCLE:
 *
 * `core.lifecycle` (plugin): a [iface@Bk.Lifecycle] with startup and
 * shutdown hooks.
 *
 * Since: 0.1
 */
#define BK_SERVICE_LIFECYCLE (bk_core_service_lifecycle ())
/**
 * BK_SERVICE_PLUGIN_METADATA:
 *
 * `core.pluginMetadata` (plugin): a [class@Bk.PluginMetadata]; built in,
 * cannot be overridden.
 *
 * Since: 0.1
 */
#define BK_SERVICE_PLUGIN_METADATA (bk_core_service_plugin_metadata ())
/**
 * BK_SERVICE_ROOT_INSTANCE_METADATA:
 *
 * `core.rootInstanceMetadata` (root): a [class@Bk.RootInstanceMetadata];
 * built in.
 *
 * Since: 0.1
 */
#define BK_SERVICE_ROOT_INSTANCE_METADATA (bk_core_service_root_instance_metadata ())
/**
 * BK_SERVICE_ROOT_HEALTH:
 *
 * `core.rootHealth` (root): a [iface@Bk.RootHealth], what the liveness and
 * readiness endpoints answer.
 *
 * Since: 0.1
 */
#define BK_SERVICE_ROOT_HEALTH (bk_core_service_root_health ())
/**
 * BK_SERVICE_ROOT_HTTP_ROUTER:
 *
 * `core.rootHttpRouter` (root): a [iface@Bk.RootHttpRouter], the HTTP
 * server on `backend.listen` and its mounted path prefixes.
 *
 * Since: 0.1
 */
#define BK_SERVICE_ROOT_HTTP_ROUTER (bk_core_service_root_http_router ())
/**
 * BK_SERVICE_HTTP_ROUTER:
 *
 * `core.httpRouter` (plugin): a [iface@Bk.HttpRouter], the plugin's routes
 * under `/api/<pluginId>`. Made for every plugin.
 *
 * Since: 0.1
 */
#define BK_SERVICE_HTTP_ROUTER (bk_core_service_http_router ())
/**
 * BK_SERVICE_DATABASE:
 *
 * `core.database` (plugin, lazy): a [iface@Bk.Database], the plugin's own
 * database (SQLite in memory unless `backend.database` says otherwise).
 *
 * Since: 0.1
 */
#define BK_SERVICE_DATABASE (bk_core_service_database ())
/**
 * BK_SERVICE_CACHE:
 *
 * `core.cache` (plugin, lazy): a [iface@Bk.Cache], the plugin's namespace
 * of the backend's cache (in memory unless `backend.cache` says otherwise).
 *
 * Since: 0.1
 */
#define BK_SERVICE_CACHE (bk_core_service_cache ())
/**
 * BK_SERVICE_SCHEDULER:
 *
 * `core.scheduler` (plugin, lazy): a [iface@Bk.Scheduler], the plugin's
 * recurring tasks, global ones coordinated through its database.
 *
 * Since: 0.1
 */
#define BK_SERVICE_SCHEDULER (bk_core_service_scheduler ())
/**
 * BK_SERVICE_DISCOVERY:
 *
 * `core.discovery` (plugin): a [iface@Bk.Discovery], the internal and
 * external base URLs of any plugin's HTTP API.
 *
 * Since: 0.1
 */
#define BK_SERVICE_DISCOVERY (bk_core_service_discovery ())

G_END_DECLS
