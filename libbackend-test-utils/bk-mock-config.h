/* bk-mock-config.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_TEST_UTILS_INSIDE) && !defined(BK_TEST_UTILS_COMPILATION)
# error "Only <libbackend-test-utils.h> can be included directly."
#endif

#include <libbackend.h>

G_BEGIN_DECLS

BK_AVAILABLE_IN_ALL
BkServiceFactory *bk_mock_root_config_factory_new           (const char    *json);
BK_AVAILABLE_IN_ALL
BkServiceFactory *bk_mock_root_config_factory_new_from_yaml (const char    *yaml);

G_END_DECLS
