/* test-http-error.c: BK_HTTP_ERROR and the one error-to-status mapping.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbackend.h>

typedef struct
{
  const char *path;
  GQuark    (*domain) (void);
  gint        code;
  guint       status;
  const char *name;
} StatusCase;

static GQuark
unknown_error_quark (void)
{
  return g_quark_from_static_string ("test-unknown-error-quark");
}

static const StatusCase status_cases[] = {
  { "/http-error/status/input", bk_http_error_quark, BK_HTTP_ERROR_INPUT, 400, "InputError" },
  { "/http-error/status/authentication", bk_http_error_quark, BK_HTTP_ERROR_AUTHENTICATION, 401, "AuthenticationError" },
  { "/http-error/status/not-allowed", bk_http_error_quark, BK_HTTP_ERROR_NOT_ALLOWED, 403, "NotAllowedError" },
  { "/http-error/status/not-found", bk_http_error_quark, BK_HTTP_ERROR_NOT_FOUND, 404, "NotFoundError" },
  { "/http-error/status/conflict", bk_http_error_quark, BK_HTTP_ERROR_CONFLICT, 409, "ConflictError" },
  { "/http-error/status/not-modified", bk_http_error_quark, BK_HTTP_ERROR_NOT_MODIFIED, 304, "NotModifiedError" },
  { "/http-error/status/service-unavailable", bk_http_error_quark, BK_HTTP_ERROR_SERVICE_UNAVAILABLE, 503, "ServiceUnavailableError" },
  { "/http-error/status/not-implemented", bk_http_error_quark, BK_HTTP_ERROR_NOT_IMPLEMENTED, 501, "NotImplementedError" },
  { "/http-error/status/payload-too-large", bk_http_error_quark, BK_HTTP_ERROR_PAYLOAD_TOO_LARGE, 413, "PayloadTooLargeError" },
  { "/http-error/status/unsupported-media-type", bk_http_error_quark, BK_HTTP_ERROR_UNSUPPORTED_MEDIA_TYPE, 415, "UnsupportedMediaTypeError" },
  { "/http-error/status/method-not-allowed", bk_http_error_quark, BK_HTTP_ERROR_METHOD_NOT_ALLOWED, 405, "MethodNotAllowedError" },
  { "/http-error/status/internal", bk_http_error_quark, BK_HTTP_ERROR_INTERNAL, 500, "Error" },
  { "/http-error/status/unknown-code", bk_http_error_quark, 9999, 500, "Error" },
  { "/http-error/status/negative-code", bk_http_error_quark, -1, 500, "Error" },

  { "/http-error/gio/not-found", g_io_error_quark, G_IO_ERROR_NOT_FOUND, 404, "NotFoundError" },
  { "/http-error/gio/permission-denied", g_io_error_quark, G_IO_ERROR_PERMISSION_DENIED, 403, "NotAllowedError" },
  { "/http-error/gio/cancelled", g_io_error_quark, G_IO_ERROR_CANCELLED, 503, "ServiceUnavailableError" },
  { "/http-error/gio/failed", g_io_error_quark, G_IO_ERROR_FAILED, 500, "Error" },
  { "/http-error/gio/exists", g_io_error_quark, G_IO_ERROR_EXISTS, 500, "Error" },

  { "/http-error/other/config", bk_config_error_quark, BK_CONFIG_ERROR_INVALID_TYPE, 500, "Error" },
  { "/http-error/other/backend", bk_backend_error_quark, BK_BACKEND_ERROR_FACTORY_FAILED, 500, "Error" },
  { "/http-error/other/unknown-domain", unknown_error_quark, 404, 500, "Error" },
};

static void
test_http_error_status (gconstpointer data)
{
  const StatusCase *c = data;
  g_autoptr(GError) error = g_error_new_literal (c->domain (), c->code, "message");

  g_assert_cmpuint (bk_http_error_to_status (error), ==, c->status);
  g_assert_cmpstr (bk_http_error_get_name (error), ==, c->name);
}

/* Every code of the enumeration has its own status (no code falls through
 * to the 500 of an unknown one by mistake), and mkenums registered it. */
static void
test_http_error_enum (void)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (BK_TYPE_HTTP_ERROR);
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

  g_assert_cmpuint (klass->n_values, ==, BK_HTTP_ERROR_INTERNAL + 1);
  g_assert_cmpstr (g_enum_get_value (klass, BK_HTTP_ERROR_NOT_FOUND)->value_nick, ==, "not-found");

  for (guint i = 0; i < klass->n_values; i++)
    {
      g_autoptr(GError) error = g_error_new_literal (BK_HTTP_ERROR, klass->values[i].value, "x");
      guint status = bk_http_error_to_status (error);

      g_assert_false (g_hash_table_contains (seen, GUINT_TO_POINTER (status)));
      g_hash_table_add (seen, GUINT_TO_POINTER (status));
      g_assert_true (status == 500 || !g_str_equal (bk_http_error_get_name (error), "Error"));
    }
}

static void
test_http_error_domain (void)
{
  g_assert_cmpstr (g_quark_to_string (BK_HTTP_ERROR), ==, "bk-http-error-quark");
  g_assert_cmpuint (BK_HTTP_ERROR, ==, bk_http_error_quark ());
}

static char *
to_string (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

/* The body, byte for byte, then read back member by member. */
static void
test_http_error_json (void)
{
  g_autoptr(GError) error = g_error_new (BK_HTTP_ERROR, BK_HTTP_ERROR_NOT_FOUND,
                                         "No todo with id '%s'", "7");
  g_autoptr(JsonNode) node = bk_http_error_to_json (error, "GET", "/api/todo/todos/7?x=\"1\"");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) parse_error = NULL;
  g_autofree char *text = NULL;
  JsonObject *root, *err, *request, *response;

  g_assert_nonnull (node);
  text = to_string (node);
  g_assert_cmpstr (text, ==,
                   "{\"error\":{\"name\":\"NotFoundError\",\"message\":\"No todo with id '7'\"},"
                   "\"request\":{\"method\":\"GET\",\"url\":\"/api/todo/todos/7?x=\\\"1\\\"\"},"
                   "\"response\":{\"statusCode\":404}}");

  g_assert_true (json_parser_load_from_data (parser, text, -1, &parse_error));
  g_assert_no_error (parse_error);

  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpuint (json_object_get_size (root), ==, 3);

  err = json_object_get_object_member (root, "error");
  g_assert_cmpuint (json_object_get_size (err), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (err, "name"), ==, "NotFoundError");
  g_assert_cmpstr (json_object_get_string_member (err, "message"), ==, "No todo with id '7'");

  request = json_object_get_object_member (root, "request");
  g_assert_cmpuint (json_object_get_size (request), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (request, "method"), ==, "GET");
  g_assert_cmpstr (json_object_get_string_member (request, "url"), ==, "/api/todo/todos/7?x=\"1\"");

  response = json_object_get_object_member (root, "response");
  g_assert_cmpuint (json_object_get_size (response), ==, 1);
  g_assert_cmpint (json_object_get_int_member (response, "statusCode"), ==, 404);
}

/* An error from outside the domain: 500, `Error`, and its message kept (as
 * Backstage shows a plain Error's message). */
static void
test_http_error_json_foreign (void)
{
  g_autoptr(GError) error = g_error_new_literal (BK_CONFIG_ERROR, BK_CONFIG_ERROR_MISSING,
                                                 "Missing required config value at 'todo.url'");
  g_autoptr(JsonNode) node = bk_http_error_to_json (error, "POST", "/api/todo/todos");
  g_autofree char *text = to_string (node);

  g_assert_cmpstr (text, ==,
                   "{\"error\":{\"name\":\"Error\",\"message\":\"Missing required config value at 'todo.url'\"},"
                   "\"request\":{\"method\":\"POST\",\"url\":\"/api/todo/todos\"},"
                   "\"response\":{\"statusCode\":500}}");
}

/* A GIO error that maps to a status takes that status's name too. */
static void
test_http_error_json_gio (void)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                 "Operation was cancelled");
  g_autoptr(JsonNode) node = bk_http_error_to_json (error, "GET", "/");
  g_autofree char *text = to_string (node);

  g_assert_cmpstr (text, ==,
                   "{\"error\":{\"name\":\"ServiceUnavailableError\",\"message\":\"Operation was cancelled\"},"
                   "\"request\":{\"method\":\"GET\",\"url\":\"/\"},"
                   "\"response\":{\"statusCode\":503}}");
}

static void
test_http_error_null (void)
{
  if (g_test_subprocess ())
    {
      g_assert_cmpuint (bk_http_error_to_status (NULL), ==, 500);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*error != NULL*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (status_cases); i++)
    g_test_add_data_func (status_cases[i].path, &status_cases[i], test_http_error_status);

  g_test_add_func ("/http-error/enum", test_http_error_enum);
  g_test_add_func ("/http-error/domain", test_http_error_domain);
  g_test_add_func ("/http-error/json/shape", test_http_error_json);
  g_test_add_func ("/http-error/json/foreign", test_http_error_json_foreign);
  g_test_add_func ("/http-error/json/gio", test_http_error_json_gio);
  g_test_add_func ("/http-error/null", test_http_error_null);

  return g_test_run ();
}
