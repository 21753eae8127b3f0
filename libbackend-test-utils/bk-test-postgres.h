/* bk-test-postgres.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_TEST_UTILS_INSIDE) && !defined(BK_TEST_UTILS_COMPILATION)
# error "Only <libbackend-test-utils.h> can be included directly."
#endif

#include <libbackend.h>

G_BEGIN_DECLS

#define BK_TYPE_TEST_POSTGRES (bk_test_postgres_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkTestPostgres, bk_test_postgres, BK, TEST_POSTGRES, GObject)

BK_AVAILABLE_IN_ALL
BkTestPostgres *bk_test_postgres_get             (GError         **error);
BK_AVAILABLE_IN_ALL
char           *bk_test_postgres_create_database (BkTestPostgres  *self,
                                                  GError         **error);
BK_AVAILABLE_IN_ALL
const char     *bk_test_postgres_get_host        (BkTestPostgres  *self);
BK_AVAILABLE_IN_ALL
guint           bk_test_postgres_get_port        (BkTestPostgres  *self);
BK_AVAILABLE_IN_ALL
const char     *bk_test_postgres_get_user        (BkTestPostgres  *self);
BK_AVAILABLE_IN_ALL
const char     *bk_test_postgres_get_conninfo    (BkTestPostgres  *self);
BK_AVAILABLE_IN_ALL
gboolean        bk_test_postgres_stop            (BkTestPostgres  *self,
                                                  GError         **error);
BK_AVAILABLE_IN_ALL
gboolean        bk_test_postgres_restart         (BkTestPostgres  *self,
                                                  GError         **error);

G_END_DECLS
