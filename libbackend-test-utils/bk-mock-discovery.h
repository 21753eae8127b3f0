/* bk-mock-discovery.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_TEST_UTILS_INSIDE) && !defined(BK_TEST_UTILS_COMPILATION)
# error "Only <libbackend-test-utils.h> can be included directly."
#endif

#include <libbackend.h>

G_BEGIN_DECLS

#define BK_TYPE_MOCK_DISCOVERY (bk_mock_discovery_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkMockDiscovery, bk_mock_discovery, BK, MOCK_DISCOVERY, GObject)

BK_AVAILABLE_IN_ALL
BkMockDiscovery  *bk_mock_discovery_new            (const char      *base_url);
BK_AVAILABLE_IN_ALL
const char       *bk_mock_discovery_get_base_url   (BkMockDiscovery *self);
BK_AVAILABLE_IN_ALL
BkServiceFactory *bk_mock_discovery_factory_new    (const char      *base_url);

G_END_DECLS
