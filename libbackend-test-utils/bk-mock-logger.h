/* bk-mock-logger.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_TEST_UTILS_INSIDE) && !defined(BK_TEST_UTILS_COMPILATION)
# error "Only <libbackend-test-utils.h> can be included directly."
#endif

#include <libbackend.h>

G_BEGIN_DECLS

#define BK_TYPE_MOCK_LOGGER (bk_mock_logger_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkMockLogger, bk_mock_logger, BK, MOCK_LOGGER, GObject)

BK_AVAILABLE_IN_ALL
BkMockLogger     *bk_mock_logger_new                    (void);
BK_AVAILABLE_IN_ALL
guint             bk_mock_logger_count                  (BkMockLogger  *self,
                                                         BkLogLevel     level,
                                                         const char    *pattern);
BK_AVAILABLE_IN_ALL
char            **bk_mock_logger_dup_messages           (BkMockLogger  *self,
                                                         BkLogLevel     level);
BK_AVAILABLE_IN_ALL
BkServiceFactory *bk_mock_root_logger_factory_new       (void);
BK_AVAILABLE_IN_ALL
BkServiceFactory *bk_mock_logger_factory_new            (void);

G_END_DECLS
