/* bk-test-http.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkTestResponse:
 *
 * What a request to a [class@Bk.TestBackend] got back: the status, the
 * headers and the whole body, read before
 * [method@Bk.TestBackend.request] returned.
 *
 * ```c
 * g_autoptr(BkTestResponse) res = NULL;
 *
 * res = bk_test_backend_request (backend, "POST", "/api/todo/todos", "{\"title\":\"\"}", &error);
 * g_assert_no_error (error);
 * bk_test_assert_status (res, 400);
 * bk_test_assert_header (res, "Content-Type", "application/json*");
 * ```
 *
 * Since: 0.1
 */

#include <libbackend-test-utils.h>

#include "bk-test-backend-private.h"

/* A request that takes longer has hung: fail it instead of the test
 * runner's timeout killing the whole program. */
#define REQUEST_TIMEOUT_SECONDS 10
/* How much of a body an assertion message shows. */
#define BODY_EXCERPT 4096

struct _BkTestResponse
{
  GObject             parent_instance;
  guint               status;
  char               *reason_phrase;
  SoupMessageHeaders *headers;
  GBytes             *body;
  char               *body_text;   /* NUL-terminated copy of body */
};

G_DEFINE_FINAL_TYPE (BkTestResponse, bk_test_response, G_TYPE_OBJECT)

static void
bk_test_response_finalize (GObject *object)
{
  BkTestResponse *self = BK_TEST_RESPONSE (object);

  g_free (self->reason_phrase);
  g_clear_pointer (&self->headers, soup_message_headers_unref);
  g_clear_pointer (&self->body, g_bytes_unref);
  g_free (self->body_text);

  G_OBJECT_CLASS (bk_test_response_parent_class)->finalize (object);
}

static void
bk_test_response_class_init (BkTestResponseClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bk_test_response_finalize;
}

static void
bk_test_response_init (BkTestResponse *self)
{
}

static BkTestResponse *
response_new (SoupMessage *message,
              GBytes      *body)
{
  BkTestResponse *self = g_object_new (BK_TYPE_TEST_RESPONSE, NULL);
  gsize size = 0;
  const char *data = g_bytes_get_data (body, &size);

  self->status = soup_message_get_status (message);
  self->reason_phrase = g_strdup (soup_message_get_reason_phrase (message));
  self->headers = soup_message_headers_ref (soup_message_get_response_headers (message));
  self->body = g_bytes_ref (body);
  self->body_text = g_strndup (data != NULL ? data : "", size);
  return self;
}

/* Requests ---------------------------------------------------------------- */

typedef struct
{
  gboolean  done;
  gboolean  timed_out;
  GBytes   *body;
  GError   *error;
  GCancellable *cancellable;
} Exchange;

static void
exchange_sent (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Exchange *exchange = user_data;

  exchange->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &exchange->error);
  exchange->done = TRUE;
}

static gboolean
exchange_timeout (gpointer user_data)
{
  Exchange *exchange = user_data;

  exchange->timed_out = TRUE;
  g_cancellable_cancel (exchange->cancellable);
  return G_SOURCE_REMOVE;
}

/**
 * bk_test_backend_dup_base_url:
 * @self: a #BkTestBackend
 *
 * Gets the URL the test backend's `core.rootHttpRouter` is reached at,
 * such as `http://127.0.0.1:41234`, without a trailing slash.
 *
 * Returns: (transfer full) (nullable): the base URL, or %NULL when the
 *   backend has no router or it does not listen (not started, stopped)
 *
 * Since: 0.1
 */
char *
bk_test_backend_dup_base_url (BkTestBackend *self)
{
  BkRootHttpRouter *router;

  g_return_val_if_fail (BK_IS_TEST_BACKEND (self), NULL);

  router = bk_test_backend_get_service (self, BK_SERVICE_ROOT_HTTP_ROUTER, NULL);
  if (router == NULL)
    return NULL;
  return bk_root_http_router_dup_base_url (router);
}

/**
 * bk_test_backend_request_full:
 * @self: a started #BkTestBackend
 * @method: the HTTP method, such as `GET`
 * @path: the path and query, starting with `/`, such as `/api/todo/todos?limit=1`
 * @headers: (nullable) (array zero-terminated=1): request headers as
 *   name, value, name, value…, then %NULL
 * @body: (nullable): the request body
 * @content_type: (nullable): the body's content type (ignored without
 *   @body; %NULL sends none)
 * @error: return location for a #GError
 *
 * Sends one request to the test backend and reads the whole answer.
 *
 * The request is asynchronous on the backend's main context, which the
 * server answers from, and the context is iterated until the answer is in:
 * the test writes no main loop, and a blocking libsoup call (which would
 * deadlock on the server's own thread) is never made. A request unanswered
 * after 10 seconds fails with %G_IO_ERROR_TIMED_OUT.
 *
 * The connections use a session the test backend owns (with no proxy
 * resolver); [method@Bk.TestBackend.stop] closes and frees it before it
 * stops the server, so requests do not disturb the leak check. Drop the
 * responses whenever convenient: they hold nothing of the backend.
 *
 * Returns: (transfer full) (nullable): the response (any status), or
 *   %NULL with @error set when no answer came (not listening, connection
 *   failed, timed out)
 *
 * Since: 0.1
 */
BkTestResponse *
bk_test_backend_request_full (BkTestBackend       *self,
                              const char          *method,
                              const char          *path,
                              const char * const  *headers,
                              GBytes              *body,
                              const char          *content_type,
                              GError             **error)
{
  g_autofree char *base_url = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  Exchange exchange = { 0 };
  SoupSession *session;
  GMainContext *context;
  GSource *guard;
  BkTestResponse *response = NULL;

  g_return_val_if_fail (BK_IS_TEST_BACKEND (self), NULL);
  g_return_val_if_fail (method != NULL && method[0] != '\0', NULL);
  g_return_val_if_fail (path != NULL && path[0] == '/', NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  base_url = bk_test_backend_dup_base_url (self);
  if (base_url == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                   "The test backend does not listen, so %s %s can not be sent", method, path);
      return NULL;
    }

  url = g_strconcat (base_url, path, NULL);
  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, error);
  if (uri == NULL)
    return NULL;
  message = soup_message_new_from_uri (method, uri);

  if (headers != NULL)
    {
      SoupMessageHeaders *request_headers = soup_message_get_request_headers (message);

      for (guint i = 0; headers[i] != NULL; i += 2)
        {
          g_return_val_if_fail (headers[i + 1] != NULL, NULL);
          soup_message_headers_append (request_headers, headers[i], headers[i + 1]);
        }
    }
  if (body != NULL)
    soup_message_set_request_body_from_bytes (message, content_type, body);

  context = bk_backend_get_main_context (bk_test_backend_get_backend (self));
  session = _bk_test_backend_get_session (self);
  cancellable = g_cancellable_new ();
  exchange.cancellable = cancellable;

  g_main_context_push_thread_default (context);

  guard = g_timeout_source_new_seconds (REQUEST_TIMEOUT_SECONDS);
  g_source_set_callback (guard, exchange_timeout, &exchange, NULL);
  g_source_set_static_name (guard, "[libbackend-test-utils] request guard");
  g_source_attach (guard, context);

  soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, cancellable,
                                    exchange_sent, &exchange);
  while (!exchange.done)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (guard);
  g_source_unref (guard);

  g_main_context_pop_thread_default (context);

  if (exchange.timed_out)
    {
      g_clear_error (&exchange.error);
      g_clear_pointer (&exchange.body, g_bytes_unref);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "%s %s got no answer within %d seconds", method, path, REQUEST_TIMEOUT_SECONDS);
      return NULL;
    }
  if (exchange.error != NULL)
    {
      g_propagate_prefixed_error (error, exchange.error, "%s %s: ", method, path);
      return NULL;
    }

  response = response_new (message, exchange.body);
  g_bytes_unref (exchange.body);
  return response;
}

static gboolean
is_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();

  return json_parser_load_from_data (parser, text, -1, NULL) &&
         json_parser_get_root (parser) != NULL;
}

/**
 * bk_test_backend_request:
 * @self: a started #BkTestBackend
 * @method: the HTTP method, such as `POST`
 * @path: the path and query, starting with `/`
 * @body: (nullable): the request body: sent as `application/json` when it
 *   parses as JSON, as `text/plain; charset=utf-8` otherwise
 * @error: return location for a #GError
 *
 * Sends one request to the test backend, as
 * [method@Bk.TestBackend.request_full] without extra headers.
 *
 * ```c
 * res = bk_test_backend_request (backend, "GET", "/.backstage/health/v1/readiness", NULL, &error);
 * g_assert_no_error (error);
 * bk_test_assert_status (res, 200);
 * bk_test_assert_json_equal (res, "{\"status\":\"ok\"}");
 * ```
 *
 * Returns: (transfer full) (nullable): the response (any status), or
 *   %NULL with @error set when no answer came
 *
 * Since: 0.1
 */
BkTestResponse *
bk_test_backend_request (BkTestBackend  *self,
                         const char     *method,
                         const char     *path,
                         const char     *body,
                         GError        **error)
{
  g_autoptr(GBytes) bytes = NULL;
  const char *content_type = NULL;

  g_return_val_if_fail (BK_IS_TEST_BACKEND (self), NULL);

  if (body != NULL)
    {
      bytes = g_bytes_new (body, strlen (body));
      content_type = is_json (body) ? "application/json" : "text/plain; charset=utf-8";
    }
  return bk_test_backend_request_full (self, method, path, NULL, bytes, content_type, error);
}

/* Accessors --------------------------------------------------------------- */

/**
 * bk_test_response_get_status:
 * @self: a #BkTestResponse
 *
 * Returns: the HTTP status, such as 200
 *
 * Since: 0.1
 */
guint
bk_test_response_get_status (BkTestResponse *self)
{
  g_return_val_if_fail (BK_IS_TEST_RESPONSE (self), 0);

  return self->status;
}

/**
 * bk_test_response_get_reason_phrase:
 * @self: a #BkTestResponse
 *
 * Returns: (nullable): the reason phrase of the status line, such as `OK`
 *
 * Since: 0.1
 */
const char *
bk_test_response_get_reason_phrase (BkTestResponse *self)
{
  g_return_val_if_fail (BK_IS_TEST_RESPONSE (self), NULL);

  return self->reason_phrase;
}

/**
 * bk_test_response_get_headers:
 * @self: a #BkTestResponse
 *
 * Returns: (transfer none): every response header
 *
 * Since: 0.1
 */
SoupMessageHeaders *
bk_test_response_get_headers (BkTestResponse *self)
{
  g_return_val_if_fail (BK_IS_TEST_RESPONSE (self), NULL);

  return self->headers;
}

/**
 * bk_test_response_get_header:
 * @self: a #BkTestResponse
 * @name: a header name (case-insensitive)
 *
 * Gets one response header, as soup_message_headers_get_one(): for a
 * header sent several times, the last value.
 *
 * Returns: (nullable): the value, or %NULL when absent
 *
 * Since: 0.1
 */
const char *
bk_test_response_get_header (BkTestResponse *self,
                             const char     *name)
{
  g_return_val_if_fail (BK_IS_TEST_RESPONSE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return soup_message_headers_get_one (self->headers, name);
}

/**
 * bk_test_response_get_body:
 * @self: a #BkTestResponse
 *
 * Returns: (transfer none): the whole response body (empty when there was
 *   none)
 *
 * Since: 0.1
 */
GBytes *
bk_test_response_get_body (BkTestResponse *self)
{
  g_return_val_if_fail (BK_IS_TEST_RESPONSE (self), NULL);

  return self->body;
}

/**
 * bk_test_response_get_body_text:
 * @self: a #BkTestResponse
 *
 * Gets the body as a NUL-terminated string (cut at a NUL byte inside the
 * body; [method@Bk.TestResponse.get_body] has all of it).
 *
 * Returns: (not nullable): the body text, `""` when there was none
 *
 * Since: 0.1
 */
const char *
bk_test_response_get_body_text (BkTestResponse *self)
{
  g_return_val_if_fail (BK_IS_TEST_RESPONSE (self), NULL);

  return self->body_text;
}

/**
 * bk_test_response_dup_json:
 * @self: a #BkTestResponse
 * @error: return location for a #GError
 *
 * Parses the body as JSON.
 *
 * Returns: (transfer full) (nullable): the body's JSON, or %NULL with
 *   @error set (%G_IO_ERROR_INVALID_DATA) when the body is empty or not
 *   JSON
 *
 * Since: 0.1
 */
JsonNode *
bk_test_response_dup_json (BkTestResponse  *self,
                           GError         **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize size = 0;
  const char *data;

  g_return_val_if_fail (BK_IS_TEST_RESPONSE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  data = g_bytes_get_data (self->body, &size);
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data != NULL ? data : "", size, &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The response body is not JSON: %s", local_error->message);
      return NULL;
    }
  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "The response body is not JSON: it is empty");
      return NULL;
    }
  return json_parser_steal_root (parser);
}

/* Assertions -------------------------------------------------------------- */

static char *
pretty (JsonNode *node)
{
  return json_to_string (node, TRUE);
}

/**
 * bk_test_response_check_status:
 * @self: (nullable): a #BkTestResponse
 * @expected: the expected status
 *
 * What [func@Bk.test_assert_status] checks.
 *
 * Returns: (transfer full) (nullable): %NULL when the status is @expected,
 *   otherwise a description of the difference
 *
 * Since: 0.1
 */
char *
bk_test_response_check_status (BkTestResponse *self,
                               guint           expected)
{
  g_return_val_if_fail (self == NULL || BK_IS_TEST_RESPONSE (self), NULL);

  if (self == NULL)
    return g_strdup_printf ("no response, expected status %u", expected);
  if (self->status == expected)
    return NULL;
  return g_strdup_printf ("status %u %s, expected %u %s",
                          self->status, self->reason_phrase != NULL ? self->reason_phrase : "",
                          expected, soup_status_get_phrase (expected));
}

/**
 * bk_test_response_check_json:
 * @self: (nullable): a #BkTestResponse
 * @expected_json: the expected body, as JSON text
 *
 * What [func@Bk.test_assert_json_equal] checks: semantic equality, so
 * object members may come in any order.
 *
 * Returns: (transfer full) (nullable): %NULL when the body equals
 *   @expected_json, otherwise a description with both pretty-printed
 *
 * Since: 0.1
 */
char *
bk_test_response_check_json (BkTestResponse *self,
                             const char     *expected_json)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonNode) actual = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *actual_text = NULL;
  g_autofree char *expected_text = NULL;
  JsonNode *expected;

  g_return_val_if_fail (self == NULL || BK_IS_TEST_RESPONSE (self), NULL);
  g_return_val_if_fail (expected_json != NULL, NULL);

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, expected_json, -1, &error) ||
      json_parser_get_root (parser) == NULL)
    return g_strdup_printf ("the expected value is not JSON (%s): %s",
                            error != NULL ? error->message : "empty", expected_json);
  expected = json_parser_get_root (parser);

  if (self == NULL)
    return g_strdup_printf ("no response, expected\n%s", expected_text = pretty (expected));

  actual = bk_test_response_dup_json (self, &error);
  if (actual == NULL)
    return g_strdup_printf ("%s; expected\n%s", error->message, expected_text = pretty (expected));

  if (json_node_equal (actual, expected))
    return NULL;

  actual_text = pretty (actual);
  expected_text = pretty (expected);
  return g_strdup_printf ("JSON bodies differ\nactual:\n%s\nexpected:\n%s", actual_text, expected_text);
}

/**
 * bk_test_response_check_header:
 * @self: (nullable): a #BkTestResponse
 * @name: a response header name (case-insensitive)
 * @pattern: a glob (`*` and `?`)
 *
 * What [func@Bk.test_assert_header] checks.
 *
 * Returns: (transfer full) (nullable): %NULL when the header is present
 *   and matches @pattern, otherwise a description of the difference
 *
 * Since: 0.1
 */
char *
bk_test_response_check_header (BkTestResponse *self,
                               const char     *name,
                               const char     *pattern)
{
  const char *value;

  g_return_val_if_fail (self == NULL || BK_IS_TEST_RESPONSE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (pattern != NULL, NULL);

  if (self == NULL)
    return g_strdup_printf ("no response, expected header %s matching \"%s\"", name, pattern);
  value = soup_message_headers_get_one (self->headers, name);
  if (value == NULL)
    return g_strdup_printf ("header %s is absent, expected a value matching \"%s\"", name, pattern);
  if (g_pattern_match_simple (pattern, value))
    return NULL;
  return g_strdup_printf ("header %s is \"%s\", expected a value matching \"%s\"", name, value, pattern);
}

/**
 * bk_test_response_assertion_message:
 * @self: (nullable): the response the assertion was about
 * @domain: (nullable): the log domain
 * @file: the source file
 * @line: the line
 * @func: the function
 * @expression: the assertion as written
 * @description: (transfer full): what differed
 *
 * Reports a failed response assertion through g_assertion_message(), with
 * @description and the response's status line and body (the first 4 KiB),
 * so the failure shows both sides and what the server said. The
 * `bk_test_assert_*` macros call it; like theirs, its failure aborts unless
 * g_test_set_nonfatal_assertions() was called.
 *
 * Since: 0.1
 */
void
bk_test_response_assertion_message (BkTestResponse *self,
                                    const char     *domain,
                                    const char     *file,
                                    int             line,
                                    const char     *func,
                                    const char     *expression,
                                    char           *description)
{
  g_autoptr(GString) message = g_string_new (NULL);
  g_autofree char *text = NULL;

  g_string_append_printf (message, "assertion failed %s: %s", expression, description);
  g_free (description);
  if (self != NULL)
    {
      gsize size = strlen (self->body_text);

      g_string_append_printf (message, "\nresponse: %u %s\nbody: ", self->status,
                              self->reason_phrase != NULL ? self->reason_phrase : "");
      if (size == 0)
        g_string_append (message, "(empty)");
      else if (size > BODY_EXCERPT)
        g_string_append_printf (message, "%.*s… (%" G_GSIZE_FORMAT " bytes)",
                                BODY_EXCERPT, self->body_text, size);
      else
        g_string_append (message, self->body_text);
    }

  text = g_string_free (g_steal_pointer (&message), FALSE);
  g_assertion_message (domain, file, line, func, text);
}
