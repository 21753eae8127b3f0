/* bk-test-http.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_TEST_UTILS_INSIDE) && !defined(BK_TEST_UTILS_COMPILATION)
# error "Only <libbackend-test-utils.h> can be included directly."
#endif

#include <libbackend.h>

#include "bk-test-backend.h"

G_BEGIN_DECLS

#define BK_TYPE_TEST_RESPONSE (bk_test_response_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkTestResponse, bk_test_response, BK, TEST_RESPONSE, GObject)

BK_AVAILABLE_IN_ALL
char               *bk_test_backend_dup_base_url        (BkTestBackend       *self);
BK_AVAILABLE_IN_ALL
BkTestResponse     *bk_test_backend_request             (BkTestBackend       *self,
                                                         const char          *method,
                                                         const char          *path,
                                                         const char          *body,
                                                         GError             **error);
BK_AVAILABLE_IN_ALL
BkTestResponse     *bk_test_backend_request_full        (BkTestBackend       *self,
                                                         const char          *method,
                                                         const char          *path,
                                                         const char * const  *headers,
                                                         GBytes              *body,
                                                         const char          *content_type,
                                                         GError             **error);

BK_AVAILABLE_IN_ALL
guint               bk_test_response_get_status         (BkTestResponse      *self);
BK_AVAILABLE_IN_ALL
const char         *bk_test_response_get_reason_phrase  (BkTestResponse      *self);
BK_AVAILABLE_IN_ALL
SoupMessageHeaders *bk_test_response_get_headers        (BkTestResponse      *self);
BK_AVAILABLE_IN_ALL
const char         *bk_test_response_get_header         (BkTestResponse      *self,
                                                         const char          *name);
BK_AVAILABLE_IN_ALL
GBytes             *bk_test_response_get_body           (BkTestResponse      *self);
BK_AVAILABLE_IN_ALL
const char         *bk_test_response_get_body_text      (BkTestResponse      *self);
BK_AVAILABLE_IN_ALL
JsonNode           *bk_test_response_dup_json           (BkTestResponse      *self,
                                                         GError             **error);

BK_AVAILABLE_IN_ALL
char               *bk_test_response_check_status       (BkTestResponse      *self,
                                                         guint                expected);
BK_AVAILABLE_IN_ALL
char               *bk_test_response_check_json         (BkTestResponse      *self,
                                                         const char          *expected_json);
BK_AVAILABLE_IN_ALL
char               *bk_test_response_check_header       (BkTestResponse      *self,
                                                         const char          *name,
                                                         const char          *pattern);
BK_AVAILABLE_IN_ALL
void                bk_test_response_assertion_message  (BkTestResponse      *self,
                                                         const char          *domain,
                                                         const char          *file,
                                                         int                  line,
                                                         const char          *func,
                                                         const char          *expression,
                                                         char                *description);

/**
 * bk_test_assert_status:
 * @res: (nullable): a #BkTestResponse
 * @expected: the expected HTTP status
 *
 * Asserts that @res has the status @expected. On failure the message
 * names both statuses and shows the response body, as the `g_assert_*`
 * macros (so [func@GLib.test_set_nonfatal_assertions] applies).
 *
 * Since: 0.1
 */
#define bk_test_assert_status(res, expected)                                           \
  G_STMT_START {                                                                       \
    BkTestResponse *bk_res__ = (res);                                                  \
    char *bk_why__ = bk_test_response_check_status (bk_res__, (expected));             \
    if (bk_why__ != NULL)                                                              \
      bk_test_response_assertion_message (bk_res__, G_LOG_DOMAIN, __FILE__, __LINE__,  \
                                          G_STRFUNC,                                   \
                                          "bk_test_assert_status (" #res ", "          \
                                          #expected ")", bk_why__);                    \
  } G_STMT_END

/**
 * bk_test_assert_json_equal:
 * @res: (nullable): a #BkTestResponse
 * @expected_json: the expected body, as JSON text
 *
 * Asserts that the body of @res is JSON equal to @expected_json: the same
 * values, with object members in any order (integers and doubles compare
 * as numbers). On failure the message shows both, pretty-printed.
 *
 * Since: 0.1
 */
#define bk_test_assert_json_equal(res, expected_json)                                  \
  G_STMT_START {                                                                       \
    BkTestResponse *bk_res__ = (res);                                                  \
    char *bk_why__ = bk_test_response_check_json (bk_res__, (expected_json));          \
    if (bk_why__ != NULL)                                                              \
      bk_test_response_assertion_message (bk_res__, G_LOG_DOMAIN, __FILE__, __LINE__,  \
                                          G_STRFUNC,                                   \
                                          "bk_test_assert_json_equal (" #res ", "      \
                                          #expected_json ")", bk_why__);               \
  } G_STMT_END

/**
 * bk_test_assert_header:
 * @res: (nullable): a #BkTestResponse
 * @name: a response header name (case-insensitive)
 * @pattern: a glob the header's value must match (`*` and `?`, as
 *   [func@GLib.pattern_match_simple])
 *
 * Asserts that @res has the header @name and that its value matches
 * @pattern. On failure the message shows the value (or that it is absent)
 * and the pattern.
 *
 * Since: 0.1
 */
#define bk_test_assert_header(res, name, pattern)                                      \
  G_STMT_START {                                                                       \
    BkTestResponse *bk_res__ = (res);                                                  \
    char *bk_why__ = bk_test_response_check_header (bk_res__, (name), (pattern));      \
    if (bk_why__ != NULL)                                                              \
      bk_test_response_assertion_message (bk_res__, G_LOG_DOMAIN, __FILE__, __LINE__,  \
                                          G_STRFUNC,                                   \
                                          "bk_test_assert_header (" #res ", " #name    \
                                          ", " #pattern ")", bk_why__);                \
  } G_STMT_END

G_END_DECLS
