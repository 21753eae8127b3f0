/* bk-service-ref.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-dependency.h"

G_BEGIN_DECLS

#define BK_TYPE_SERVICE_REF (bk_service_ref_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkServiceRef, bk_service_ref, BK, SERVICE_REF, BkDependency)

BK_AVAILABLE_IN_ALL
BkServiceRef         *bk_service_ref_new                 (const char           *id,
                                                          GType                 interface_type,
                                                          BkServiceScope        scope,
                                                          gboolean              multiton,
                                                          BkServiceFactoryFunc  default_factory);
BK_AVAILABLE_IN_ALL
const char           *bk_service_ref_get_id              (BkServiceRef         *self);
BK_AVAILABLE_IN_ALL
BkServiceScope        bk_service_ref_get_scope           (BkServiceRef         *self);
BK_AVAILABLE_IN_ALL
gboolean              bk_service_ref_is_multiton         (BkServiceRef         *self);
BK_AVAILABLE_IN_ALL
gboolean              bk_service_ref_has_default_factory (BkServiceRef         *self);
BK_AVAILABLE_IN_ALL
BkServiceFactory     *bk_service_ref_create_default_factory (BkServiceRef      *self);

/**
 * BK_DEFINE_SERVICE_REF:
 * @func_name: name of the getter to define, e.g. `example_api_service_ref`
 * @id: the service id, a string such as `"example"`
 * @interface_type: the #GType every instance implements
 * @scope: a #BkServiceScope
 * @default_factory: (nullable): a #BkServiceFactoryFunc, or %NULL; it must be
 *   declared before the macro
 *
 * Defines `BkServiceRef *func_name (void)`, a getter that creates the ref
 * once (thread-safe) and returns it (transfer none) ever after.
 *
 * Since: 0.1
 */
#define BK_DEFINE_SERVICE_REF(func_name, id, interface_type, scope, default_factory) \
  _BK_DEFINE_SERVICE_REF_FULL (func_name, id, interface_type, scope, FALSE, default_factory)

/**
 * BK_DEFINE_MULTITON_SERVICE_REF:
 * @func_name: name of the getter to define
 * @id: the service id
 * @interface_type: the #GType every instance implements
 * @scope: a #BkServiceScope
 * @default_factory: (nullable): a #BkServiceFactoryFunc, or %NULL
 *
 * Like [func@Bk.DEFINE_SERVICE_REF] for a multiton ref: any number of
 * factories may be given, and dependents receive every instance through
 * [method@Bk.Deps.get_all].
 *
 * Since: 0.1
 */
#define BK_DEFINE_MULTITON_SERVICE_REF(func_name, id, interface_type, scope, default_factory) \
  _BK_DEFINE_SERVICE_REF_FULL (func_name, id, interface_type, scope, TRUE, default_factory)

#define _BK_DEFINE_SERVICE_REF_FULL(func_name, id, interface_type, scope, multiton, default_factory) \
  BkServiceRef *                                                                                \
  func_name (void)                                                                              \
  {                                                                                             \
    static BkServiceRef *ref__;                                                                 \
    if (g_once_init_enter (&ref__))                                                             \
      g_once_init_leave (&ref__, bk_service_ref_new ((id), (interface_type), (scope),           \
                                                     (multiton), (default_factory)));           \
    return ref__;                                                                               \
  }

G_END_DECLS
