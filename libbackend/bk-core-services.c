/* bk-core-services.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "libbackend.h"
#include "bk-services-private.h"

/**
 * bk_core_service_root_config:
 *
 * The `core.rootConfig` ref; use [const@Bk.SERVICE_ROOT_CONFIG].
 *
 * Returns: (transfer none): the ref
 *
 * Since: 0.1
 */
BK_DEFINE_SERVICE_REF (bk_core_service_root_config, "core.rootConfig",
                       BK_TYPE_ROOT_CONFIG, BK_SERVICE_SCOPE_ROOT,
                       _bk_root_config_default_factory)

/**
 * bk_core_service_root_clock:
 *
 * The `core.rootClock` ref; use [const@Bk.SERVICE_ROOT_CLOCK].
 *
 * Returns: (transfer none): the ref
 *
 * Since: 0.1
 */
BK_DEFINE_SERVICE_REF (bk_core_service_root_clock, "core.rootClock",
                       BK_TYPE_CLOCK, BK_SERVICE_SCOPE_ROOT,
                       _bk_root_clock_default_factory)

/**
 * bk_core_service_root_logger:
 *
 * The `core.rootLogger` ref; use [const@Bk.SERVICE_ROOT_LOGGER].
 *
 * Returns: (transfer none): the ref
 *
 * Since: 0.1
 */
BK_DEFINE_SERVICE_REF (bk_core_service_root_logger, "core.rootLogger",
                       BK_TYPE_LOGGER, BK_SERVICE_SCOPE_ROOT,
                       _bk_root_logger_default_factory)

/**
 * bk_core_service_logger:
 *
 * The `core.logger` ref; use [const@Bk.SERVICE_LOGGER].
 *
 * Returns: (transfer none): the ref
 *
 * Since: 0.1
 */
BK_DEFINE_SERVICE_REF (bk_core_service_logger, "core.logger",
                       BK_TYPE_LOGGER, BK_SERVICE_SCOPE_PLUGIN,
                       _bk_logger_default_factory)

/**
 * bk_core_service_root_lifecycle:
 *
 * The `core.rootLifecycle` ref; use [const@Bk.SERVICE_ROOT_LIFECYCLE].
 *
 * Returns: (transfer none): the ref
 *
 * Since: 0.1
 */
BK_DEFINE_SERVICE_REF (bk_core_service_root_lifecycle, "core.rootLifecycle",
                       BK_TYPE_LIFECYCLE, BK_SERVICE_SCOPE_ROOT,
                       _bk_root_lifecycle_default_factory)

/**
 * bk_core_service_lifecycle:
 *
 * The `core.lifecycle` ref; use [const@Bk.SERVICE_LIFECYCLE].
 *
 * Returns: (transfer none): the ref
 *
 * Since: 0.1
 */
BK_DEFINE_SERVICE_REF (bk_core_service_lifecycle, "core.lifecycle",
                       BK_TYPE_LIFECYCLE, BK_SERVICE_SCOPE_PLUGIN,
                       _bk_lifecycle_default_factory)

/**
 * bk_core_service_plugin_metadata:
 *
 * The `core.pluginMetadata` ref; use [const@Bk.SERVICE_PLUGIN_METADATA].
 *
 * Returns: (transfer none): the ref
 *
 * Since: 0.1
 */
BK_DEFINE_SERVICE_REF (bk_core_service_plugin_metadata, "core.pluginMetadata",
                       BK_TYPE_PLUGIN_METADATA, BK_SERVICE_SCOPE_PLUGIN,
                       NULL)

/**
 * bk_core_service_root_instance_metadata:
 *
 * The `core.rootInstanceMetadata` ref; use
 * [const@Bk.SERVICE_ROOT_INSTANCE_METADATA].
 *
 * Returns: (transfer none): the ref
 *
 * Since: 0.1
 */
BK_DEFINE_SERVICE_REF (bk_core_service_root_instance_metadata, "core.rootInstanceMetadata",
                       BK_TYPE_ROOT_INSTANCE_METADATA, BK_SERVICE_SCOPE_ROOT,
                       NULL)

/**
 * bk_core_service_root_health:
 *
 * The `core.rootHealth` ref; use [const@Bk.SERVICE_ROOT_HEALTH].
 *
 * Returns: (transfer none): the ref
 *
 * Since: 0.1
 */
BK_DEFINE_SERVICE_REF (bk_core_service_root_health, "core.rootHealth",
                       BK_TYPE_ROOT_HEALTH, BK_SERVICE_SCOPE_ROOT,
                       _bk_root_health_default_factory)

/**
 * bk_core_service_root_http_router:
 *
 * The `core.rootHttpRouter` ref; use [const@Bk.SERVICE_ROOT_HTTP_ROUTER].
 *
 * Returns: (transfer none): the ref
 *
 * Since: 0.1
 */
BK_DEFINE_SERVICE_REF (bk_core_service_root_http_router, "core.rootHttpRouter",
                       BK_TYPE_ROOT_HTTP_ROUTER, BK_SERVICE_SCOPE_ROOT,
                       _bk_root_http_router_default_factory)

/**
 * bk_core_service_http_router:
 *
 * The `core.httpRouter` ref; use [const@Bk.SERVICE_HTTP_ROUTER].
 *
 * Returns: (transfer none): the ref
 *
 * Since: 0.1
 */
BK_DEFINE_SERVICE_REF (bk_core_service_http_router, "core.httpRouter",
                       BK_TYPE_HTTP_ROUTER, BK_SERVICE_SCOPE_PLUGIN,
                       _bk_http_router_default_factory)

/**
 * bk_core_service_database:
 *
 * The `core.database` ref; use [const@Bk.SERVICE_DATABASE].
 *
 * Returns: (transfer none): the ref
 *
 * Since: 0.1
 */
BK_DEFINE_SERVICE_REF (bk_core_service_database, "core.database",
                       BK_TYPE_DATABASE, BK_SERVICE_SCOPE_PLUGIN,
                       _bk_database_default_factory)

/**
 * bk_core_service_cache:
 *
 * The `core.cache` ref; use [const@Bk.SERVICE_CACHE].
 *
 * Returns: (transfer none): the ref
 *
 * Since: 0.1
 */
BK_DEFINE_SERVICE_REF (bk_core_service_cache, "core.cache",
                       BK_TYPE_CACHE, BK_SERVICE_SCOPE_PLUGIN,
                       _bk_cache_default_factory)

/**
 * bk_core_service_scheduler:
 *
 * The `core.scheduler` ref; use [const@Bk.SERVICE_SCHEDULER].
 *
 * Returns: (transfer none): the ref
 *
 * Since: 0.1
 */
BK_DEFINE_SERVICE_REF (bk_core_service_scheduler, "core.scheduler",
                       BK_TYPE_SCHEDULER, BK_SERVICE_SCOPE_PLUGIN,
                       _bk_scheduler_default_factory)

/**
 * bk_core_service_discovery:
 *
 * The `core.discovery` ref; use [const@Bk.SERVICE_DISCOVERY].
 *
 * Returns: (transfer none): the ref
 *
 * Since: 0.1
 */
BK_DEFINE_SERVICE_REF (bk_core_service_discovery, "core.discovery",
                       BK_TYPE_DISCOVERY, BK_SERVICE_SCOPE_PLUGIN,
                       _bk_discovery_default_factory)
