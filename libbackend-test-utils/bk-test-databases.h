/* bk-test-databases.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_TEST_UTILS_INSIDE) && !defined(BK_TEST_UTILS_COMPILATION)
# error "Only <libbackend-test-utils.h> can be included directly."
#endif

#include <libbackend.h>

G_BEGIN_DECLS

/**
 * BkTestDatabasesFunc:
 * @engine: the engine of this variant
 * @database_config: the JSON text of a `backend.database` object for a
 *   fresh database of @engine, as [func@Bk.test_databases_dup_config] gives
 * @data: the data given to [func@Bk.test_databases_add_test]
 *
 * The body of a test that [func@Bk.test_databases_add_test] runs once per
 * engine.
 *
 * Since: 0.1
 */
typedef void (*BkTestDatabasesFunc) (BkDatabaseEngine  engine,
                                     const char       *database_config,
                                     gconstpointer     data);

BK_AVAILABLE_IN_ALL
char       *bk_test_databases_dup_config      (BkDatabaseEngine      engine,
                                               GError              **error);
BK_AVAILABLE_IN_ALL
void        bk_test_databases_add_test        (const char           *path,
                                               gconstpointer         data,
                                               BkTestDatabasesFunc   func);
BK_AVAILABLE_IN_ALL
const char *bk_test_databases_get_engine_name (BkDatabaseEngine      engine);

G_END_DECLS
