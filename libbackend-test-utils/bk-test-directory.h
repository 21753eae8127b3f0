/* bk-test-directory.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_TEST_UTILS_INSIDE) && !defined(BK_TEST_UTILS_COMPILATION)
# error "Only <libbackend-test-utils.h> can be included directly."
#endif

#include <libbackend.h>

G_BEGIN_DECLS

#define BK_TYPE_TEST_DIRECTORY (bk_test_directory_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkTestDirectory, bk_test_directory, BK, TEST_DIRECTORY, GObject)

BK_AVAILABLE_IN_ALL
BkTestDirectory *bk_test_directory_new           (GError          **error);
BK_AVAILABLE_IN_ALL
BkTestDirectory *bk_test_directory_new_from_json (const char       *description,
                                                  GError          **error);
BK_AVAILABLE_IN_ALL
gboolean         bk_test_directory_add_content   (BkTestDirectory  *self,
                                                  const char       *description,
                                                  GError          **error);
BK_AVAILABLE_IN_ALL
const char      *bk_test_directory_get_path      (BkTestDirectory  *self);
BK_AVAILABLE_IN_ALL
char            *bk_test_directory_resolve       (BkTestDirectory  *self,
                                                  const char       *relative_path);
BK_AVAILABLE_IN_ALL
char            *bk_test_directory_dup_content   (BkTestDirectory  *self,
                                                  GError          **error);
BK_AVAILABLE_IN_ALL
gboolean         bk_test_directory_remove        (BkTestDirectory  *self,
                                                  GError          **error);

G_END_DECLS
