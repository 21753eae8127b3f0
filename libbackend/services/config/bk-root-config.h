/* bk-root-config.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-config.h"

G_BEGIN_DECLS

#define BK_TYPE_ROOT_CONFIG (bk_root_config_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (BkRootConfig, bk_root_config, BK, ROOT_CONFIG, GObject)

/**
 * BkRootConfigInterface:
 * @parent_iface: the parent interface
 * @dup_config: returns the current snapshot
 * @reload: reads the configuration again; %NULL when there is nothing to
 *   reload (the configuration is held in memory)
 *
 * The `core.rootConfig` service: hands out immutable [class@Bk.Config]
 * snapshots and emits [signal@Bk.RootConfig::changed] when a new one is made.
 *
 * Since: 0.1
 */
struct _BkRootConfigInterface
{
  GTypeInterface parent_iface;

  BkConfig *(*dup_config) (BkRootConfig  *self);
  gboolean  (*reload)     (BkRootConfig  *self,
                           GError       **error);
};

BK_AVAILABLE_IN_ALL
BkConfig         *bk_root_config_dup_config  (BkRootConfig        *self);
BK_AVAILABLE_IN_ALL
gboolean          bk_root_config_reload      (BkRootConfig        *self,
                                              GError             **error);
BK_AVAILABLE_IN_ALL
BkServiceFactory *bk_root_config_factory_new (const char * const  *config_paths);

#define BK_TYPE_STATIC_ROOT_CONFIG (bk_static_root_config_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkStaticRootConfig, bk_static_root_config, BK, STATIC_ROOT_CONFIG, GObject)

BK_AVAILABLE_IN_ALL
BkStaticRootConfig *bk_static_root_config_new           (BkConfig            *config);
BK_AVAILABLE_IN_ALL
void                bk_static_root_config_set_config    (BkStaticRootConfig  *self,
                                                         BkConfig            *config);
BK_AVAILABLE_IN_ALL
BkServiceFactory   *bk_static_root_config_factory_new   (BkConfig            *config);

G_END_DECLS
