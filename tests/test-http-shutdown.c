/* test-http-shutdown.c: the root router's graceful shutdown (DESIGN.md §2
 * rule 12, Backstage R73): readiness turns 503, the optional
 * serverShutdownDelay passes on the clock, the listeners close, requests on
 * open connections get 503 `Service is shutting down`, and requests in
 * flight finish, bounded by serverDrainTimeout.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <libbackend.h>
#include <libbackend-test-utils.h>

#define LOOPBACK        "\"listen\":{\"host\":\"127.0.0.1\",\"port\":0}"
#define SHUTTING_DOWN   "{\"message\":\"Backend is shutting down\",\"status\":\"error\"}"
#define OK              "{\"status\":\"ok\"}"

typedef struct
{
  BkServiceFactoryTester *tester;
  BkRootHttpRouter       *router;
  BkMockLifecycle        *lifecycle;
  BkMockClock            *clock;
  BkMockLogger           *logger;
  SoupSession            *session;
  GPtrArray              *held;       /* paused messages of /slow */
  char                   *base_url;
  gboolean                phase_done;
} Fixture;

typedef struct
{
  gboolean      done;
  SoupMessage  *message;
  GBytes       *body;
  GError       *error;
} Response;

static void
response_clear (Response *response)
{
  g_clear_object (&response->message);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_clear_error (&response->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Response, response_clear)

static gboolean
guard_timeout (gpointer user_data)
{
  g_error ("timed out waiting for %s", (const char *) user_data);
  return G_SOURCE_REMOVE;
}

/* Iterates the default context until *@flag, failing after 10 s. */
static void
wait_for (gboolean   *flag,
          const char *what)
{
  GSource *guard = g_timeout_source_new_seconds (10);

  g_source_set_callback (guard, guard_timeout, (gpointer) what, NULL);
  g_source_attach (guard, NULL);
  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (guard);
  g_source_unref (guard);
}

/* Runs what is ready now, without waiting. */
static void
settle (void)
{
  for (guint i = 0; i < 1000 && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
}

static void
sent (GObject      *source,
      GAsyncResult *result,
      gpointer      user_data)
{
  Response *response = user_data;

  response->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &response->error);
  response->done = TRUE;
}

static void
send_async (Fixture     *f,
            SoupSession *session,
            const char  *path,
            Response    *response)
{
  g_autofree char *url = g_strconcat (f->base_url, path, NULL);

  response->message = soup_message_new ("GET", url);
  soup_session_send_and_read_async (session, response->message, G_PRIORITY_DEFAULT, NULL, sent, response);
}

static SoupSession *
session_new (void)
{
  SoupSession *session = soup_session_new ();

  soup_session_set_proxy_resolver (session, NULL);
  return session;
}

static char *
body_string (Response *response)
{
  g_assert_no_error (response->error);
  return g_strndup (g_bytes_get_data (response->body, NULL), g_bytes_get_size (response->body));
}

/* GET @path on a new connection. */
static void
assert_get_fresh (Fixture    *f,
                  const char *path,
                  guint       status,
                  const char *body)
{
  g_autoptr(SoupSession) session = session_new ();
  g_auto(Response) response = { 0 };
  g_autofree char *text = NULL;

  send_async (f, session, path, &response);
  wait_for (&response.done, path);
  text = body_string (&response);
  g_assert_cmpuint (soup_message_get_status (response.message), ==, status);
  g_assert_cmpstr (text, ==, body);
}

static void
assert_refused (Fixture *f)
{
  g_autoptr(SoupSession) session = session_new ();
  g_auto(Response) response = { 0 };

  send_async (f, session, "/fast", &response);
  wait_for (&response.done, "a refused connection");
  g_assert_error (response.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

static void
fast_handler (SoupServerMessage *message,
              const char        *path,
              gpointer           user_data)
{
  soup_server_message_set_status (message, 200, NULL);
  soup_server_message_set_response (message, "text/plain", SOUP_MEMORY_STATIC, "fast", 4);
}

/* Answers only when the test calls release_slow(). */
static void
slow_handler (SoupServerMessage *message,
              const char        *path,
              gpointer           user_data)
{
  Fixture *f = user_data;

  soup_server_message_pause (message);
  g_ptr_array_add (f->held, g_object_ref (message));
}

static void
release_slow (Fixture *f)
{
  for (guint i = 0; i < f->held->len; i++)
    {
      SoupServerMessage *message = g_ptr_array_index (f->held, i);

      soup_server_message_set_status (message, 200, NULL);
      soup_server_message_set_response (message, "text/plain", SOUP_MEMORY_STATIC, "slow", 4);
      soup_server_message_unpause (message);
    }
  g_ptr_array_set_size (f->held, 0);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  const char *backend_json = data;
  g_autofree char *config = g_strdup_printf ("{\"backend\":{" LOOPBACK "%s%s}}",
                                             backend_json != NULL ? "," : "",
                                             backend_json != NULL ? backend_json : "");
  g_autoptr(GError) error = NULL;

  f->held = g_ptr_array_new_with_free_func (g_object_unref);
  f->tester = bk_service_factory_tester_new (bk_service_ref_create_default_factory (BK_SERVICE_ROOT_HTTP_ROUTER),
                                             bk_mock_root_config_factory_new (config),
                                             NULL);
  f->router = bk_service_factory_tester_get_subject (f->tester, NULL, &error);
  g_assert_no_error (error);
  f->lifecycle = bk_service_factory_tester_get_service (f->tester, BK_SERVICE_ROOT_LIFECYCLE, NULL, &error);
  g_assert_no_error (error);
  f->clock = bk_service_factory_tester_get_service (f->tester, BK_SERVICE_ROOT_CLOCK, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (BK_IS_MOCK_CLOCK (f->clock));
  f->logger = bk_service_factory_tester_get_service (f->tester, BK_SERVICE_ROOT_LOGGER, NULL, &error);
  g_assert_no_error (error);
  f->session = session_new ();
  f->base_url = bk_root_http_router_dup_base_url (f->router);

  g_assert_true (bk_root_http_router_use (f->router, "/fast", fast_handler, NULL, NULL, &error));
  g_assert_true (bk_root_http_router_use (f->router, "/slow", slow_handler, f, NULL, &error));
  g_assert_no_error (error);

  bk_mock_lifecycle_trigger (f->lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_pointer (&f->held, g_ptr_array_unref);
  soup_session_abort (f->session);
  g_clear_object (&f->session);
  g_clear_object (&f->tester);
  g_clear_pointer (&f->base_url, g_free);
}

static void
phase_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Fixture *f = user_data;

  g_assert_true (bk_lifecycle_run_phase_finish (BK_LIFECYCLE (source), result, NULL));
  f->phase_done = TRUE;
}

/* Starts the root before-shutdown phase, as a stop does. */
static void
begin_shutdown (Fixture *f)
{
  bk_lifecycle_run_phase_async (BK_LIFECYCLE (f->lifecycle), BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN,
                                NULL, phase_done_cb, f);
  settle ();
}

/* Raw HTTP/1.1 on one connection -------------------------------------------- */

typedef struct
{
  GSocketConnection *connection;
  GString           *received;
  gboolean           eof;
  gboolean           reading;
} Raw;

static Raw *
raw_connect (Fixture *f)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  Raw *raw = g_new0 (Raw, 1);

  /* The default proxy resolver reads GSettings, hidden by ISOLATE_DIRS. */
  g_socket_client_set_enable_proxy (client, FALSE);
  raw->connection = g_socket_client_connect_to_host (client, "127.0.0.1",
                                                     bk_root_http_router_get_port (f->router), NULL, &error);
  g_assert_no_error (error);
  raw->received = g_string_new (NULL);
  return raw;
}

static void
raw_free (Raw *raw)
{
  g_object_unref (raw->connection);
  g_string_free (raw->received, TRUE);
  g_free (raw);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Raw, raw_free)

static void
raw_write (Raw        *raw,
           const char *text)
{
  g_autoptr(GError) error = NULL;
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (raw->connection));

  g_assert_true (g_output_stream_write_all (out, text, strlen (text), NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
raw_read_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Raw *raw = user_data;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    raw->eof = TRUE;
  else
    g_string_append_len (raw->received, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  raw->reading = FALSE;
}

/* Whether @raw holds one whole response (headers and Content-Length body). */
static gboolean
raw_has_response (Raw *raw)
{
  const char *end = strstr (raw->received->str, "\r\n\r\n");
  const char *length;

  if (end == NULL)
    return FALSE;
  length = g_strstr_len (raw->received->str, end - raw->received->str, "Content-Length: ");
  if (length == NULL)
    return TRUE;
  return raw->received->len - (gsize) (end + 4 - raw->received->str) >= g_ascii_strtoull (length + 16, NULL, 10);
}

/* Reads until a whole response is in (or EOF when @until_eof), and
 * returns what was read. */
static char *
raw_read (Raw      *raw,
          gboolean  until_eof)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (raw->connection));
  GSource *guard = g_timeout_source_new_seconds (10);
  char *text;

  g_source_set_callback (guard, guard_timeout, (gpointer) "a raw response", NULL);
  g_source_attach (guard, NULL);
  while (!raw->eof && (until_eof || !raw_has_response (raw)))
    {
      if (!raw->reading)
        {
          raw->reading = TRUE;
          g_input_stream_read_bytes_async (in, 4096, G_PRIORITY_DEFAULT, NULL, raw_read_cb, raw);
        }
      g_main_context_iteration (NULL, TRUE);
    }
  while (raw->reading)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (guard);
  g_source_unref (guard);

  text = g_string_free (raw->received, FALSE);
  raw->received = g_string_new (NULL);
  return text;
}

/* Tests ------------------------------------------------------------------------ */

/* A request in flight when the server stops accepting is answered; the
 * phase waits for it. */
static void
test_http_shutdown_in_flight (Fixture       *f,
                              gconstpointer  data)
{
  g_auto(Response) slow = { 0 };
  g_autofree char *body = NULL;

  send_async (f, f->session, "/slow", &slow);
  while (f->held->len == 0)
    g_main_context_iteration (NULL, TRUE);

  begin_shutdown (f);
  g_assert_false (f->phase_done);
  g_assert_false (slow.done);

  /* No new connection once the listeners are closed. */
  assert_refused (f);
  settle ();
  g_assert_false (f->phase_done);

  release_slow (f);
  wait_for (&slow.done, "the slow request");
  body = body_string (&slow);
  g_assert_cmpuint (soup_message_get_status (slow.message), ==, 200);
  g_assert_cmpstr (body, ==, "slow");
  wait_for (&f->phase_done, "the before-shutdown phase");
}

/* serverShutdownDelay (R73): meanwhile readiness is 503, liveness and
 * routes 200, new connections accepted; then the listeners close. */
static void
test_http_shutdown_delay (Fixture       *f,
                          gconstpointer  data)
{
  assert_get_fresh (f, "/.backstage/health/v1/readiness", 200, OK);

  begin_shutdown (f);
  g_assert_false (f->phase_done);
  assert_get_fresh (f, "/.backstage/health/v1/readiness", 503, SHUTTING_DOWN);
  assert_get_fresh (f, "/.backstage/health/v1/liveness", 200, OK);
  assert_get_fresh (f, "/fast", 200, "fast");

  bk_mock_clock_advance (f->clock, 19999);
  settle ();
  g_assert_false (f->phase_done);
  assert_get_fresh (f, "/fast", 200, "fast");

  bk_mock_clock_advance (f->clock, 1);
  wait_for (&f->phase_done, "the before-shutdown phase");
  assert_refused (f);
}

/* A request on a connection accepted before the listeners closed gets 503
 * and the connection closes. */
static void
test_http_shutdown_keep_alive (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(Raw) raw = raw_connect (f);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  const char *body;

  raw_write (raw, "GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  first = raw_read (raw, FALSE);
  g_assert_true (g_str_has_prefix (first, "HTTP/1.1 200 OK\r\n"));
  g_assert_true (g_str_has_suffix (first, "fast"));

  /* An open connection with no request is not in flight. */
  begin_shutdown (f);
  wait_for (&f->phase_done, "the before-shutdown phase");
  assert_refused (f);

  raw_write (raw, "GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  second = raw_read (raw, TRUE);
  g_test_message ("%s", second);
  g_assert_true (g_str_has_prefix (second, "HTTP/1.1 503 Service Unavailable\r\n"));
  g_assert_nonnull (strstr (second, "\r\nConnection: close\r\n"));
  body = strstr (second, "\r\n\r\n") + 4;
  g_assert_cmpstr (body, ==,
                   "{\"error\":{\"name\":\"ServiceUnavailableError\",\"message\":\"Service is shutting down\"},"
                   "\"request\":{\"method\":\"GET\",\"url\":\"/fast\"},"
                   "\"response\":{\"statusCode\":503}}");
  g_assert_true (raw->eof);
}

/* serverDrainTimeout ends the wait on the clock; the shutdown hook then
 * cuts the request off. */
static void
test_http_shutdown_drain_timeout (Fixture       *f,
                                  gconstpointer  data)
{
  g_auto(Response) slow = { 0 };

  send_async (f, f->session, "/slow", &slow);
  while (f->held->len == 0)
    g_main_context_iteration (NULL, TRUE);

  begin_shutdown (f);
  bk_mock_clock_advance (f->clock, 4999);
  settle ();
  g_assert_false (f->phase_done);

  bk_mock_clock_advance (f->clock, 1);
  wait_for (&f->phase_done, "the before-shutdown phase");
  g_assert_false (slow.done);
  g_assert_cmpuint (bk_mock_logger_count (f->logger, BK_LOG_LEVEL_WARN,
                                          "Stopped waiting for 1 request in flight after 5000 ms*"), ==, 1);

  bk_mock_lifecycle_trigger (f->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  wait_for (&slow.done, "the cut-off request");
  g_assert_nonnull (slow.error);
  g_assert_cmpuint (bk_root_http_router_get_port (f->router), ==, 0);
}

/* Bad durations fail the router's creation, naming the key. */
static void
test_http_shutdown_bad_config (void)
{
  const char *keys[] = { "serverShutdownDelay", "serverDrainTimeout" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *config = g_strdup_printf ("{\"backend\":{" LOOPBACK ",\"lifecycle\":{\"%s\":\"10 parsecs\"}}}",
                                                 keys[i]);
      g_autoptr(BkServiceFactoryTester) tester = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *key = g_strdup_printf ("'backend.lifecycle.%s'", keys[i]);

      tester = bk_service_factory_tester_new (bk_service_ref_create_default_factory (BK_SERVICE_ROOT_HTTP_ROUTER),
                                              bk_mock_root_config_factory_new (config), NULL);
      g_assert_null (bk_service_factory_tester_get_subject (tester, NULL, &error));
      g_assert_nonnull (error);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, key));
    }
}

/* A whole test backend stopping (Backstage's "should wait the server to
 * shutdown"). */
static void
stopped_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_assert_true (bk_backend_stop_finish (BK_BACKEND (source), result, NULL));
  *(gboolean *) user_data = TRUE;
}

static void
test_http_shutdown_backend (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestBackend) tb = NULL;
  BkMockClock *clock;
  gboolean stopped = FALSE;

  tb = bk_test_backend_start (&error,
                              bk_mock_root_config_factory_new ("{\"backend\":{\"lifecycle\":{\"serverShutdownDelay\":\"20s\"}}}"),
                              NULL);
  g_assert_no_error (error);
  clock = bk_test_backend_get_service (tb, BK_SERVICE_ROOT_CLOCK, NULL);

  bk_backend_stop_async (bk_test_backend_get_backend (tb), NULL, stopped_cb, &stopped);
  settle ();
  g_assert_false (stopped);

  {
    g_autoptr(BkTestResponse) ready = bk_test_backend_request (tb, "GET", "/.backstage/health/v1/readiness", NULL, &error);
    g_autoptr(BkTestResponse) live = NULL;

    g_assert_no_error (error);
    bk_test_assert_status (ready, 503);
    bk_test_assert_json_equal (ready, SHUTTING_DOWN);
    live = bk_test_backend_request (tb, "GET", "/.backstage/health/v1/liveness", NULL, &error);
    g_assert_no_error (error);
    bk_test_assert_status (live, 200);
  }

  bk_mock_clock_advance (clock, 19999);
  settle ();
  g_assert_false (stopped);
  bk_mock_clock_advance (clock, 1);
  wait_for (&stopped, "the backend to stop");

  g_assert_true (bk_test_backend_stop (tb, &error));
  g_assert_no_error (error);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, config, func) \
  g_test_add ("/http-shutdown/" path, Fixture, config, fixture_set_up, func, fixture_tear_down)
  ADD ("in-flight", NULL, test_http_shutdown_in_flight);
  ADD ("delay", "\"lifecycle\":{\"serverShutdownDelay\":\"20s\"}", test_http_shutdown_delay);
  ADD ("keep-alive", NULL, test_http_shutdown_keep_alive);
  ADD ("drain-timeout", "\"lifecycle\":{\"serverDrainTimeout\":5000}", test_http_shutdown_drain_timeout);
#undef ADD
  g_test_add_func ("/http-shutdown/bad-config", test_http_shutdown_bad_config);
  g_test_add_func ("/http-shutdown/backend", test_http_shutdown_backend);

  return g_test_run ();
}
