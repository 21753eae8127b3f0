/* bk-service-factory.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-feature.h"

G_BEGIN_DECLS

#define BK_TYPE_SERVICE_FACTORY (bk_service_factory_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (BkServiceFactory, bk_service_factory, BK, SERVICE_FACTORY, BkFeature)

struct _BkServiceFactoryClass
{
  BkFeatureClass parent_class;

  /*< private >*/
  gpointer _reserved[8];
};

BK_AVAILABLE_IN_ALL
BkServiceFactory        *bk_service_factory_new                 (BkServiceRef             *service,
                                                                 BkServiceCreateFunc       func,
                                                                 gpointer                  user_data,
                                                                 GDestroyNotify            destroy,
                                                                 ...) G_GNUC_NULL_TERMINATED;
BK_AVAILABLE_IN_ALL
BkServiceFactory        *bk_service_factory_new_full            (BkServiceRef             *service,
                                                                 BkServiceRef            **deps,
                                                                 guint                     n_deps,
                                                                 BkServiceCreateFunc       func,
                                                                 gpointer                  user_data,
                                                                 GDestroyNotify            destroy);
BK_AVAILABLE_IN_ALL
BkServiceFactory        *bk_service_factory_new_async           (BkServiceRef             *service,
                                                                 BkServiceCreateAsyncFunc  func,
                                                                 gpointer                  user_data,
                                                                 GDestroyNotify            destroy,
                                                                 ...) G_GNUC_NULL_TERMINATED;
BK_AVAILABLE_IN_ALL
BkServiceFactory        *bk_service_factory_new_async_full      (BkServiceRef             *service,
                                                                 BkServiceRef            **deps,
                                                                 guint                     n_deps,
                                                                 BkServiceCreateAsyncFunc  func,
                                                                 gpointer                  user_data,
                                                                 GDestroyNotify            destroy);
BK_AVAILABLE_IN_ALL
void                     bk_service_factory_set_root_context    (BkServiceFactory         *self,
                                                                 BkRootContextFunc         func,
                                                                 gpointer                  user_data,
                                                                 GDestroyNotify            destroy,
                                                                 GDestroyNotify            context_destroy);
BK_AVAILABLE_IN_ALL
void                     bk_service_factory_set_initialization  (BkServiceFactory         *self,
                                                                 BkServiceInitialization   initialization);
BK_AVAILABLE_IN_ALL
BkServiceInitialization  bk_service_factory_get_initialization  (BkServiceFactory         *self);
BK_AVAILABLE_IN_ALL
BkServiceRef            *bk_service_factory_get_service         (BkServiceFactory         *self);

G_END_DECLS
