/* libbackend-test-utils.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libbackend.h>

G_BEGIN_DECLS

#define BK_TEST_UTILS_INSIDE
# include "bk-mock-clock.h"
# include "bk-mock-config.h"
# include "bk-mock-discovery.h"
# include "bk-mock-lifecycle.h"
# include "bk-mock-logger.h"
# include "bk-mock-services.h"
# include "bk-mock-scheduler.h"
# include "bk-service-factory-tester.h"
# include "bk-test-caches.h"
# include "bk-test-backend.h"
# include "bk-test-databases.h"
# include "bk-test-directory.h"
# include "bk-test-http.h"
# include "bk-test-postgres.h"
#undef BK_TEST_UTILS_INSIDE

G_END_DECLS
