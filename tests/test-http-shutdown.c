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

#include "test-util.h"

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

static void
send_async (Fixture      *f,
            SoupSession  *session,
            const char   *path,
            TestResponse *response)
{
  g_autofree char *url = g_strconcat (f->base_url, path, NULL);

  test_response_send (response, session, soup_message_new ("GET", url));
}

/* GET @path on a new connection. */
static void
assert_get_fresh (Fixture    *f,
                  const char *path,
                  guint       status,
                  const char *body)
{
  g_autoptr(SoupSession) session = test_session_new ();
  g_auto(TestResponse) response = { 0 };
  g_autofree char *text = NULL;

  send_async (f, session, path, &response);
  test_wait_for (&response.done, path);
  text = test_response_body (&response);
  g_assert_cmpuint (soup_message_get_status (response.message), ==, status);
  g_assert_cmpstr (text, ==, body);
}

static void
assert_refused (Fixture *f)
{
  g_autoptr(SoupSession) session = test_session_new ();
  g_auto(TestResponse) response = { 0 };

  send_async (f, session, "/fast", &response);
  test_wait_for (&response.done, "a refused connection");
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
  f->tester = test_root_http_tester_new (config);
  f->router = bk_service_factory_tester_get_subject (f->tester, NULL, &error);
  g_assert_no_error (error);
  f->lifecycle = bk_service_factory_tester_get_service (f->tester, BK_SERVICE_ROOT_LIFECYCLE, NULL, &error);
  g_assert_no_error (error);
  f->clock = bk_service_factory_tester_get_service (f->tester, BK_SERVICE_ROOT_CLOCK, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (BK_IS_MOCK_CLOCK (f->clock));
  f->logger = bk_service_factory_tester_get_service (f->tester, BK_SERVICE_ROOT_LOGGER, NULL, &error);
  g_assert_no_error (error);
  f->session = test_session_new ();
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
  test_settle ();
}

/* Tests ------------------------------------------------------------------------ */

/* A request in flight when the server stops accepting is answered; the
 * phase waits for it. */
static void
test_http_shutdown_in_flight (Fixture       *f,
                              gconstpointer  data)
{
  g_auto(TestResponse) slow = { 0 };
  g_autofree char *body = NULL;

  send_async (f, f->session, "/slow", &slow);
  while (f->held->len == 0)
    g_main_context_iteration (NULL, TRUE);

  begin_shutdown (f);
  g_assert_false (f->phase_done);
  g_assert_false (slow.done);

  /* No new connection once the listeners are closed. */
  assert_refused (f);
  test_settle ();
  g_assert_false (f->phase_done);

  release_slow (f);
  test_wait_for (&slow.done, "the slow request");
  body = test_response_body (&slow);
  g_assert_cmpuint (soup_message_get_status (slow.message), ==, 200);
  g_assert_cmpstr (body, ==, "slow");
  test_wait_for (&f->phase_done, "the before-shutdown phase");
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
  test_settle ();
  g_assert_false (f->phase_done);
  assert_get_fresh (f, "/fast", 200, "fast");

  bk_mock_clock_advance (f->clock, 1);
  test_wait_for (&f->phase_done, "the before-shutdown phase");
  assert_refused (f);
}

/* A request on a connection accepted before the listeners closed gets 503
 * and the connection closes. */
static void
test_http_shutdown_keep_alive (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(TestRaw) raw = test_raw_connect (bk_root_http_router_get_port (f->router));
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  const char *body;

  test_raw_write (raw, "GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  first = test_raw_read (raw, FALSE);
  g_assert_true (g_str_has_prefix (first, "HTTP/1.1 200 OK\r\n"));
  g_assert_true (g_str_has_suffix (first, "fast"));

  /* An open connection with no request is not in flight. */
  begin_shutdown (f);
  test_wait_for (&f->phase_done, "the before-shutdown phase");
  assert_refused (f);

  test_raw_write (raw, "GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  second = test_raw_read (raw, TRUE);
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
  g_auto(TestResponse) slow = { 0 };

  send_async (f, f->session, "/slow", &slow);
  while (f->held->len == 0)
    g_main_context_iteration (NULL, TRUE);

  begin_shutdown (f);
  bk_mock_clock_advance (f->clock, 4999);
  test_settle ();
  g_assert_false (f->phase_done);

  bk_mock_clock_advance (f->clock, 1);
  test_wait_for (&f->phase_done, "the before-shutdown phase");
  g_assert_false (slow.done);
  g_assert_cmpuint (bk_mock_logger_count (f->logger, BK_LOG_LEVEL_WARN,
                                          "Stopped waiting for 1 request in flight after 5000 ms*"), ==, 1);

  bk_mock_lifecycle_trigger (f->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  test_wait_for (&slow.done, "the cut-off request");
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

      tester = test_root_http_tester_new (config);
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
  test_settle ();
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
  test_settle ();
  g_assert_false (stopped);
  bk_mock_clock_advance (clock, 1);
  test_wait_for (&stopped, "the backend to stop");

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
