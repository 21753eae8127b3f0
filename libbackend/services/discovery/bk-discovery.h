/* bk-discovery.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-types.h"

G_BEGIN_DECLS

#define BK_TYPE_DISCOVERY (bk_discovery_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (BkDiscovery, bk_discovery, BK, DISCOVERY, GObject)

/**
 * BkDiscoveryInterface:
 * @parent_iface: the parent interface
 * @dup_base_url: returns the base URL of a plugin for calls from inside
 *   the deployment
 * @dup_external_base_url: returns the base URL of a plugin for clients
 *   outside the deployment
 *
 * The `core.discovery` service: where each plugin's HTTP API is reached.
 *
 * Since: 0.1
 */
struct _BkDiscoveryInterface
{
  GTypeInterface parent_iface;

  char *(*dup_base_url)          (BkDiscovery  *self,
                                  const char   *plugin_id,
                                  GError      **error);
  char *(*dup_external_base_url) (BkDiscovery  *self,
                                  const char   *plugin_id,
                                  GError      **error);
};

BK_AVAILABLE_IN_ALL
char *bk_discovery_dup_base_url          (BkDiscovery  *self,
                                          const char   *plugin_id,
                                          GError      **error);
BK_AVAILABLE_IN_ALL
char *bk_discovery_dup_external_base_url (BkDiscovery  *self,
                                          const char   *plugin_id,
                                          GError      **error);

G_END_DECLS
