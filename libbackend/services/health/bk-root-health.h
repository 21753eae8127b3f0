/* bk-root-health.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "bk-types.h"

G_BEGIN_DECLS

#define BK_TYPE_ROOT_HEALTH (bk_root_health_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (BkRootHealth, bk_root_health, BK, ROOT_HEALTH, GObject)

/**
 * BkRootHealthInterface:
 * @parent_iface: the parent interface
 * @get_liveness: returns the liveness status and body (transfer full,
 *   nullable)
 * @get_readiness: returns the readiness status and body (transfer full,
 *   nullable)
 *
 * The `core.rootHealth` service: what the health endpoints answer.
 *
 * Since: 0.1
 */
struct _BkRootHealthInterface
{
  GTypeInterface parent_iface;

  JsonNode *(*get_liveness)  (BkRootHealth *self,
                              guint        *status);
  JsonNode *(*get_readiness) (BkRootHealth *self,
                              guint        *status);
};

BK_AVAILABLE_IN_ALL
JsonNode *bk_root_health_get_liveness  (BkRootHealth *self,
                                        guint        *status);
BK_AVAILABLE_IN_ALL
JsonNode *bk_root_health_get_readiness (BkRootHealth *self,
                                        guint        *status);

G_END_DECLS
