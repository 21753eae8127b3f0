/* bk-services-private.h: default factories of the core services.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "libbackend.h"

G_BEGIN_DECLS

BkServiceFactory *_bk_root_config_default_factory    (void);
BkServiceFactory *_bk_root_clock_default_factory     (void);

/* `--config` paths from bk_backend_run(); the default root config factory
 * reads them (NULL: the default sources). */
void              _bk_root_config_set_command_line_paths (const char * const *paths);
BkServiceFactory *_bk_root_logger_default_factory    (void);
BkServiceFactory *_bk_logger_default_factory         (void);
BkServiceFactory *_bk_root_lifecycle_default_factory (void);
BkServiceFactory *_bk_lifecycle_default_factory      (void);
BkServiceFactory *_bk_root_health_default_factory    (void);
BkServiceFactory *_bk_root_http_router_default_factory (void);
BkServiceFactory *_bk_http_router_default_factory      (void);
BkServiceFactory *_bk_database_default_factory         (void);
BkServiceFactory *_bk_cache_default_factory            (void);
BkServiceFactory *_bk_scheduler_default_factory        (void);
BkServiceFactory *_bk_discovery_default_factory        (void);

/* Built-in services the backend makes itself (not through a factory). */
BkPluginMetadata       *_bk_plugin_metadata_new        (const char   *plugin_id);
BkRootInstanceMetadata *_bk_root_instance_metadata_new (const char   *instance_id,
                                                        GPtrArray    *plugin_ids,
                                                        GPtrArray    *module_ids_per_plugin);

G_END_DECLS
