/* test-testkit-http.c
 *
 * Tests of the test kit's HTTP client (libbackend-test-utils): every
 * BkTestBackend listens on loopback with an ephemeral port,
 * bk_test_backend_request() reaches it without a main loop in the test, and
 * the bk_test_assert_* macros print both sides when they fail.
 * docs/testing.md ("Requests") holds the behaviour.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <libbackend.h>
#include <libbackend-test-utils.h>

#define OK "{\"status\":\"ok\"}"

static BkTestBackend *
start (const char *config_json)
{
  g_autoptr(GError) error = NULL;
  BkTestBackend *tb;

  if (config_json != NULL)
    tb = bk_test_backend_start (&error, bk_mock_root_config_factory_new (config_json), NULL);
  else
    tb = bk_test_backend_start (&error, NULL, NULL);
  g_assert_no_error (error);
  g_assert_nonnull (tb);
  return tb;
}

static void
stop (BkTestBackend *tb)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bk_test_backend_stop (tb, &error));
  g_assert_no_error (error);
}

/* Answers with what it received: "<method> <content type> <X-Test> <body>". */
static void
echo_handler (SoupServerMessage *message,
              const char        *path,
              gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  SoupMessageBody *body = soup_server_message_get_request_body (message);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  const char *content_type = soup_message_headers_get_content_type (headers, NULL);
  const char *test_header = soup_message_headers_get_one (headers, "X-Test");
  g_autofree char *text = NULL;

  text = g_strdup_printf ("%s %s %s %.*s", soup_server_message_get_method (message),
                          content_type != NULL ? content_type : "-",
                          test_header != NULL ? test_header : "-",
                          (int) g_bytes_get_size (bytes), (const char *) g_bytes_get_data (bytes, NULL));
  soup_server_message_set_status (message, 200, NULL);
  soup_server_message_set_response (message, "text/plain", SOUP_MEMORY_COPY, text, strlen (text));
}

static void
mount_echo (BkTestBackend *tb)
{
  g_autoptr(GError) error = NULL;
  BkRootHttpRouter *router = bk_test_backend_get_service (tb, BK_SERVICE_ROOT_HTTP_ROUTER, NULL);

  g_assert_nonnull (router);
  g_assert_true (bk_root_http_router_use (router, "/echo", echo_handler, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------------ */

static void
test_testkit_http_listens (void)
{
  g_autoptr(BkTestBackend) tb = start (NULL);
  g_autofree char *base_url = bk_test_backend_dup_base_url (tb);
  BkRootHttpRouter *router = bk_test_backend_get_service (tb, BK_SERVICE_ROOT_HTTP_ROUTER, NULL);
  g_autofree char *expected = NULL;

  g_assert_nonnull (router);
  g_assert_cmpuint (bk_root_http_router_get_port (router), >, 0);
  g_assert_cmpuint (bk_root_http_router_get_port (router), !=, 7007);
  expected = g_strdup_printf ("http://127.0.0.1:%u", bk_root_http_router_get_port (router));
  g_assert_cmpstr (base_url, ==, expected);

  stop (tb);
  g_clear_pointer (&base_url, g_free);
  base_url = bk_test_backend_dup_base_url (tb);
  g_assert_null (base_url);
}

/* A test's own mock config still listens on loopback, port 0, even when
 * it sets backend.listen. */
static void
test_testkit_http_own_config (void)
{
  const char *configs[] = {
    "{\"todo\":{\"maxItems\":10}}",
    "{\"backend\":{\"baseUrl\":\"http://example.com\"}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (configs); i++)
    {
      g_autoptr(BkTestBackend) tb = start (configs[i]);
      g_autofree char *base_url = bk_test_backend_dup_base_url (tb);
      BkRootHttpRouter *router = bk_test_backend_get_service (tb, BK_SERVICE_ROOT_HTTP_ROUTER, NULL);

      g_test_message ("%s: %s", configs[i], base_url);
      g_assert_true (g_str_has_prefix (base_url, "http://127.0.0.1:"));
      g_assert_cmpuint (bk_root_http_router_get_port (router), !=, 7007);
      stop (tb);
    }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(BkTestBackend) tb = NULL;
    g_autofree char *base_url = NULL;

    tb = bk_test_backend_start (&error, bk_mock_root_config_factory_new_from_yaml ("todo:\n  maxItems: 10\n"), NULL);
    g_assert_no_error (error);
    base_url = bk_test_backend_dup_base_url (tb);
    g_assert_true (g_str_has_prefix (base_url, "http://127.0.0.1:"));
    stop (tb);
  }

  /* backend.listen is ignored: a test backend always listens on loopback,
   * port 0. */
  {
    g_autoptr(BkTestBackend) tb = start ("{\"backend\":{\"listen\":\"0.0.0.0:7007\"}}");
    g_autofree char *base_url = bk_test_backend_dup_base_url (tb);
    BkRootHttpRouter *router = bk_test_backend_get_service (tb, BK_SERVICE_ROOT_HTTP_ROUTER, NULL);

    g_assert_true (g_str_has_prefix (base_url, "http://127.0.0.1:"));
    g_assert_cmpuint (bk_root_http_router_get_port (router), !=, 7007);
    stop (tb);
  }
}

static void
test_testkit_http_health (void)
{
  g_autoptr(BkTestBackend) tb = start (NULL);
  const char *paths[] = { "/.backstage/health/v1/liveness", "/.backstage/health/v1/readiness" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(BkTestResponse) res = bk_test_backend_request (tb, "GET", paths[i], NULL, &error);
      g_autoptr(JsonNode) json = NULL;

      g_assert_no_error (error);
      bk_test_assert_status (res, 200);
      bk_test_assert_json_equal (res, OK);
      bk_test_assert_header (res, "Content-Type", "application/json*");
      g_assert_cmpstr (bk_test_response_get_body_text (res), ==, OK);
      g_assert_cmpstr (bk_test_response_get_reason_phrase (res), ==, "OK");

      json = bk_test_response_dup_json (res, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (json), "status"), ==, "ok");
    }
  stop (tb);
}

static void
test_testkit_http_not_found (void)
{
  g_autoptr(BkTestBackend) tb = start (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestResponse) res = NULL;

  res = bk_test_backend_request (tb, "POST", "/api/nope", "{\"title\":\"\"}", &error);
  g_assert_no_error (error);
  bk_test_assert_status (res, 404);
  bk_test_assert_header (res, "content-type", "application/json*");
  /* Members in another order than the server's, numbers as doubles. */
  bk_test_assert_json_equal (res,
                             "{\"response\":{\"statusCode\":404.0},"
                             " \"request\":{\"url\":\"/api/nope\",\"method\":\"POST\"},"
                             " \"error\":{\"message\":\"Not Found\",\"name\":\"NotFoundError\"}}");
  g_assert_cmpuint (g_bytes_get_size (bk_test_response_get_body (res)), ==,
                    strlen (bk_test_response_get_body_text (res)));
  stop (tb);
}

static void
test_testkit_http_headers (void)
{
  g_autoptr(BkTestBackend) tb = start (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestResponse) first = NULL;
  g_autoptr(BkTestResponse) second = NULL;
  SoupMessageHeaders *headers;

  first = bk_test_backend_request (tb, "GET", "/.backstage/health/v1/liveness", NULL, &error);
  g_assert_no_error (error);
  second = bk_test_backend_request (tb, "GET", "/.backstage/health/v1/liveness", NULL, &error);
  g_assert_no_error (error);

  bk_test_assert_header (first, "X-Request-Id", "?*");
  bk_test_assert_header (second, "x-request-id", "?*-?*-?*-?*-?*");
  g_assert_cmpstr (bk_test_response_get_header (first, "X-Request-Id"), !=,
                   bk_test_response_get_header (second, "X-Request-Id"));
  g_assert_null (bk_test_response_get_header (first, "X-Nope"));

  headers = bk_test_response_get_headers (first);
  g_assert_nonnull (headers);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "X-Request-Id"), ==,
                   bk_test_response_get_header (first, "X-Request-Id"));
  stop (tb);
}

/* What the client sends: method, headers, body and its content type. */
static void
test_testkit_http_request_body (void)
{
  g_autoptr(BkTestBackend) tb = start (NULL);
  const char *headers[] = { "X-Test", "yes", NULL };

  mount_echo (tb);

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(BkTestResponse) res = bk_test_backend_request (tb, "PUT", "/echo", "{\"a\":1}", &error);

    g_assert_no_error (error);
    g_assert_cmpstr (bk_test_response_get_body_text (res), ==, "PUT application/json - {\"a\":1}");
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(BkTestResponse) res = bk_test_backend_request (tb, "POST", "/echo/x?y=1", "hello", &error);

    g_assert_no_error (error);
    g_assert_cmpstr (bk_test_response_get_body_text (res), ==, "POST text/plain - hello");
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(BkTestResponse) res = bk_test_backend_request (tb, "GET", "/echo", NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (bk_test_response_get_body_text (res), ==, "GET - - ");
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) body = g_bytes_new_static ("<a/>", 4);
    g_autoptr(BkTestResponse) res = NULL;
    g_autoptr(JsonNode) json = NULL;

    res = bk_test_backend_request_full (tb, "PATCH", "/echo", headers, body, "application/xml", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (bk_test_response_get_body_text (res), ==, "PATCH application/xml yes <a/>");

    /* Not JSON. */
    json = bk_test_response_dup_json (res, &error);
    g_assert_null (json);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
  stop (tb);
}

static void
test_testkit_http_not_listening (void)
{
  g_autoptr(BkTestBackend) tb = start (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestResponse) res = NULL;

  stop (tb);
  res = bk_test_backend_request (tb, "GET", "/.backstage/health/v1/liveness", NULL, &error);
  g_assert_null (res);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
}

static void
test_testkit_http_two_backends (void)
{
  g_autoptr(BkTestBackend) a = start (NULL);
  g_autoptr(BkTestBackend) b = start (NULL);
  g_autofree char *url_a = bk_test_backend_dup_base_url (a);
  g_autofree char *url_b = bk_test_backend_dup_base_url (b);

  g_assert_cmpstr (url_a, !=, url_b);

  for (guint i = 0; i < 3; i++)
    {
      BkTestBackend *tb = i % 2 == 0 ? a : b;
      g_autoptr(GError) error = NULL;
      g_autoptr(BkTestResponse) res = bk_test_backend_request (tb, "GET", "/.backstage/health/v1/readiness",
                                                               NULL, &error);

      g_assert_no_error (error);
      bk_test_assert_status (res, 200);
      bk_test_assert_json_equal (res, OK);
    }

  /* One stopped, the other still answers. */
  stop (a);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(BkTestResponse) res = bk_test_backend_request (b, "GET", "/api/nope", NULL, &error);

    g_assert_no_error (error);
    bk_test_assert_status (res, 404);
  }
  stop (b);
}

/* Requests leave nothing behind: the leak check passes with the session
 * closed before the server stops, and the responses outlive the backend. */
static void
test_testkit_http_leak_check (void)
{
  g_autoptr(BkTestBackend) tb = start (NULL);
  g_autoptr(BkTestResponse) kept = NULL;
  g_autoptr(GError) error = NULL;
  GObject *router = bk_test_backend_get_service (tb, BK_SERVICE_ROOT_HTTP_ROUTER, NULL);

  g_object_add_weak_pointer (router, (gpointer *) &router);
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(BkTestResponse) res = bk_test_backend_request (tb, "GET", "/api/nope", NULL, &error);

      g_assert_no_error (error);
      bk_test_assert_status (res, 404);
    }
  kept = bk_test_backend_request (tb, "GET", "/.backstage/health/v1/liveness", NULL, &error);
  g_assert_no_error (error);

  g_assert_true (bk_test_backend_stop (tb, &error));
  g_assert_no_error (error);
  g_assert_null (router);
  g_assert_finalize_object (g_steal_pointer (&tb));

  bk_test_assert_status (kept, 200);
  bk_test_assert_json_equal (kept, OK);
}

/* Failing assertions ------------------------------------------------------ */

static BkTestResponse *
get_not_found (BkTestBackend *tb)
{
  g_autoptr(GError) error = NULL;
  BkTestResponse *res = bk_test_backend_request (tb, "GET", "/api/nope", NULL, &error);

  g_assert_no_error (error);
  return res;
}

static void
test_testkit_http_assert_status_fails (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(BkTestBackend) tb = start (NULL);
      g_autoptr(BkTestResponse) res = get_not_found (tb);

      bk_test_assert_status (res, 400);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*bk_test_assert_status (res, 400)*status 404 Not Found, expected 400 Bad Request*"
                             "response: 404 Not Found*\"NotFoundError\"*");
}

static void
test_testkit_http_assert_json_fails (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(BkTestBackend) tb = start (NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(BkTestResponse) res = bk_test_backend_request (tb, "GET", "/.backstage/health/v1/liveness",
                                                               NULL, &error);

      g_assert_no_error (error);
      bk_test_assert_json_equal (res, "{\"status\":\"error\",\"extra\":[1,2]}");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  /* Both sides, pretty-printed. */
  g_test_trap_assert_stderr ("*JSON bodies differ*actual:*{*\n*\"status\" : \"ok\"*}*"
                             "expected:*{*\n*\"status\" : \"error\"*\"extra\" : [*1,*2*]*}*");
}

static void
test_testkit_http_assert_json_not_json (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(BkTestBackend) tb = start (NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(BkTestResponse) res = NULL;

      mount_echo (tb);
      res = bk_test_backend_request (tb, "POST", "/echo", "plain words", &error);
      g_assert_no_error (error);
      bk_test_assert_json_equal (res, OK);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*The response body is not JSON*expected*\"status\" : \"ok\"*"
                             "body: POST text/plain - plain words*");
}

static void
test_testkit_http_assert_header_fails (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(BkTestBackend) tb = start (NULL);
      g_autoptr(BkTestResponse) res = get_not_found (tb);

      /* Non-fatal, so both failures print. */
      g_test_set_nonfatal_assertions ();
      bk_test_assert_header (res, "Content-Type", "text/*");
      bk_test_assert_header (res, "X-Nope", "*");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*header Content-Type is \"application/json*\", expected a value matching \"text/*\"*"
                             "header X-Nope is absent, expected a value matching \"?\"*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/testkit-http/listens", test_testkit_http_listens);
  g_test_add_func ("/testkit-http/own-config", test_testkit_http_own_config);
  g_test_add_func ("/testkit-http/health", test_testkit_http_health);
  g_test_add_func ("/testkit-http/not-found", test_testkit_http_not_found);
  g_test_add_func ("/testkit-http/headers", test_testkit_http_headers);
  g_test_add_func ("/testkit-http/request-body", test_testkit_http_request_body);
  g_test_add_func ("/testkit-http/not-listening", test_testkit_http_not_listening);
  g_test_add_func ("/testkit-http/two-backends", test_testkit_http_two_backends);
  g_test_add_func ("/testkit-http/leak-check", test_testkit_http_leak_check);
  g_test_add_func ("/testkit-http/assert/status", test_testkit_http_assert_status_fails);
  g_test_add_func ("/testkit-http/assert/json", test_testkit_http_assert_json_fails);
  g_test_add_func ("/testkit-http/assert/json-not-json", test_testkit_http_assert_json_not_json);
  g_test_add_func ("/testkit-http/assert/header", test_testkit_http_assert_header_fails);

  return g_test_run ();
}
