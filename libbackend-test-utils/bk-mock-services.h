/* bk-mock-services.h
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
GPtrArray        *bk_mock_default_factories             (void);

G_END_DECLS
