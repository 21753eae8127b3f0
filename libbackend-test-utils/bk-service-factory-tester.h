/* bk-service-factory-tester.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_TEST_UTILS_INSIDE) && !defined(BK_TEST_UTILS_COMPILATION)
# error "Only <libbackend-test-utils.h> can be included directly."
#endif

#include <libbackend.h>

G_BEGIN_DECLS

#define BK_TYPE_SERVICE_FACTORY_TESTER (bk_service_factory_tester_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkServiceFactoryTester, bk_service_factory_tester, BK, SERVICE_FACTORY_TESTER, GObject)

BK_AVAILABLE_IN_ALL
BkServiceFactoryTester *bk_service_factory_tester_new         (BkServiceFactory        *subject,
                                                               ...) G_GNUC_NULL_TERMINATED;
BK_AVAILABLE_IN_ALL
BkServiceFactoryTester *bk_service_factory_tester_new_v       (BkServiceFactory        *subject,
                                                               BkServiceFactory       **overrides,
                                                               guint                    n_overrides);
BK_AVAILABLE_IN_ALL
gpointer                bk_service_factory_tester_get_subject (BkServiceFactoryTester  *self,
                                                               const char              *plugin_id,
                                                               GError                 **error);
BK_AVAILABLE_IN_ALL
gpointer                bk_service_factory_tester_get_service (BkServiceFactoryTester  *self,
                                                               BkServiceRef            *ref,
                                                               const char              *plugin_id,
                                                               GError                 **error);

G_END_DECLS
