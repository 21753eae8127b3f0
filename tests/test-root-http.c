/* test-root-http.c: the default core.rootHttpRouter, over loopback.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbackend.h>
#include <libbackend-test-utils.h>

#define LOOPBACK_CONFIG "{\"backend\":{\"listen\":{\"host\":\"127.0.0.1\",\"port\":0}}}"
#define NOT_STARTED     "{\"message\":\"Backend has not started yet\",\"status\":\"error\"}"
#define SHUTTING_DOWN   "{\"message\":\"Backend is shutting down\",\"status\":\"error\"}"
#define OK              "{\"status\":\"ok\"}"

static BkServiceFactoryTester *
tester_new (const char *config_json)
{
  return bk_service_factory_tester_new (bk_service_ref_create_default_factory (BK_SERVICE_ROOT_HTTP_ROUTER),
                                        bk_mock_root_config_factory_new (config_json),
                                        NULL);
}

static void
noop_handler (SoupServerMessage *message,
              const char        *path,
              gpointer           user_data)
{
  soup_server_message_set_status (message, 204, NULL);
}

static void
count_destroy (gpointer data)
{
  (*(int *) data)++;
}

/* Path conflicts (R70) ------------------------------------------------------ */

typedef struct
{
  const char *first;
  const char *second;
  const char *error;   /* NULL: both mount */
} ConflictCase;

static const ConflictCase conflict_cases[] = {
  { "/a", "/a", "Path /a conflicts with the existing path /a" },
  { "/a", "/a/b", "Path /a/b conflicts with the existing path /a" },
  { "/a/b", "/a", "Path /a conflicts with the existing path /a/b" },
  { "/a", "/A/", "Path /A/ conflicts with the existing path /a" },
  { "/A/b/", "/a", "Path /a conflicts with the existing path /A/b/" },
  { "/a", "/b", NULL },
  { "/b", "/a", NULL },
  { "/a", "/aa/b", NULL },
  { "/aa", "/a/b", NULL },
  { "/a/b", "/aa", NULL },
  { "/b/a", "/a", NULL },
  { "/a", "/aa", NULL },
};

static void
test_root_http_conflicts (gconstpointer data)
{
  const ConflictCase *c = data;
  g_autoptr(BkServiceFactoryTester) tester = tester_new (LOOPBACK_CONFIG);
  g_autoptr(GError) error = NULL;
  BkRootHttpRouter *router;
  int destroyed = 0;

  router = bk_service_factory_tester_get_subject (tester, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (bk_root_http_router_use (router, c->first, noop_handler, NULL, NULL, &error));
  g_assert_no_error (error);

  if (c->error == NULL)
    {
      g_assert_true (bk_root_http_router_use (router, c->second, noop_handler, NULL, NULL, &error));
      g_assert_no_error (error);
    }
  else
    {
      /* A refused handler's data is freed at once. */
      g_assert_false (bk_root_http_router_use (router, c->second, noop_handler,
                                               &destroyed, count_destroy, &error));
      g_assert_cmpint (destroyed, ==, 1);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
      g_assert_cmpstr (error->message, ==, c->error);
    }
}

static void
test_root_http_empty_path (void)
{
  g_autoptr(BkServiceFactoryTester) tester = tester_new (LOOPBACK_CONFIG);
  g_autoptr(GError) error = NULL;
  const char *paths[] = { "", "/", "//" };
  BkRootHttpRouter *router;
  int destroyed = 0;

  router = bk_service_factory_tester_get_subject (tester, NULL, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_assert_false (bk_root_http_router_use (router, paths[i], noop_handler,
                                               &destroyed, count_destroy, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (error->message, ==, "Root router path may not be empty");
      g_clear_error (&error);
    }
  g_assert_cmpint (destroyed, ==, G_N_ELEMENTS (paths));

  /* The health prefix is taken. */
  g_assert_false (bk_root_http_router_use (router, "/.backstage", noop_handler, NULL, NULL, &error));
  g_assert_cmpstr (error->message, ==, "Path /.backstage conflicts with the existing path /.backstage/health");
}

/* Listen options (R74) ------------------------------------------------------ */

typedef struct
{
  const char *config;
  const char *error;   /* the cause, NULL: listens */
  const char *host;    /* in the base URL, NULL: 127.0.0.1 */
} ListenCase;

static const ListenCase listen_cases[] = {
  { "{\"backend\":{\"listen\":\"nope\"}}",
    "Unable to parse listen address nope, expected <port> or <host>:<port>" },
  { "{\"backend\":{\"listen\":\"127.0.0.1:x\"}}",
    "Unable to parse listen address 127.0.0.1:x, expected <port> or <host>:<port>" },
  { "{\"backend\":{\"listen\":\"a:b:0\"}}",
    "Unable to parse listen address a:b:0, expected <port> or <host>:<port>" },
  { "{\"backend\":{\"listen\":\"70000\"}}",
    "Unable to parse listen address 70000, expected <port> or <host>:<port>" },
  { "{\"backend\":{\"listen\":{\"host\":\"127.0.0.1\",\"port\":\"x\"}}}",
    "backend.listen.port" },
  { "{\"backend\":{\"listen\":{\"host\":\"example.com\",\"port\":0}}}",
    "Invalid host 'example.com' in config for key 'backend.listen.host', expected an IP address or localhost" },
  { "{\"backend\":{\"listen\":\"127.0.0.1:0\"}}", NULL },
  { "{\"backend\":{\"listen\":\"0\"}}", NULL },
  { "{\"backend\":{\"listen\":0}}", NULL },
  { "{\"backend\":{\"listen\":{\"port\":\"0\",\"host\":\"localhost\"}}}", NULL, "localhost" },
};

static void
test_root_http_listen (gconstpointer data)
{
  const ListenCase *c = data;
  g_autoptr(BkServiceFactoryTester) tester = tester_new (c->config);
  g_autoptr(GError) error = NULL;
  BkRootHttpRouter *router;

  router = bk_service_factory_tester_get_subject (tester, NULL, &error);
  if (c->error != NULL)
    {
      g_assert_null (router);
      g_assert_nonnull (error);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, c->error));
      g_assert_true (g_str_has_prefix (error->message, "Failed to instantiate service 'core.rootHttpRouter'"));
    }
  else
    {
      g_autofree char *base_url = NULL;
      g_autofree char *expected = NULL;

      g_assert_no_error (error);
      g_assert_cmpuint (bk_root_http_router_get_port (router), >, 0);
      base_url = bk_root_http_router_dup_base_url (router);
      expected = g_strdup_printf ("http://%s:%u", c->host != NULL ? c->host : "127.0.0.1",
                                  bk_root_http_router_get_port (router));
      g_assert_cmpstr (base_url, ==, expected);
    }
}

/* Requests over loopback ----------------------------------------------------- */

typedef struct
{
  BkServiceFactoryTester *tester;
  BkRootHttpRouter       *router;
  BkMockLifecycle        *lifecycle;
  BkMockLogger           *logger;
  SoupSession            *session;
  GPtrArray              *paths;     /* what the handlers saw */
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

static void
sent (GObject      *source,
      GAsyncResult *result,
      gpointer      user_data)
{
  Response *response = user_data;

  response->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &response->error);
  response->done = TRUE;
}

/* One request with @session on the default main context, which the server
 * also runs on: iterate until the answer is in, failing after 10 s. */
static void
request (SoupSession *session,
         const char  *method,
         const char  *url,
         Response    *response)
{
  GSource *guard = g_timeout_source_new_seconds (10);

  g_source_set_callback (guard, guard_timeout, (gpointer) url, NULL);
  g_source_attach (guard, NULL);

  response->message = soup_message_new (method, url);
  g_assert_nonnull (response->message);
  soup_session_send_and_read_async (session, response->message, G_PRIORITY_DEFAULT, NULL, sent, response);
  while (!response->done)
    g_main_context_iteration (NULL, TRUE);

  g_source_destroy (guard);
  g_source_unref (guard);
}

/* A session without the system's proxy settings (GSettings has no schemas
 * under G_TEST_OPTION_ISOLATE_DIRS, and loopback needs no proxy). */
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

static char *
get (Fixture    *f,
     const char *path,
     guint      *status)
{
  g_auto(Response) response = { 0 };
  g_autofree char *base_url = bk_root_http_router_dup_base_url (f->router);
  g_autofree char *url = g_strconcat (base_url, path, NULL);

  request (f->session, "GET", url, &response);
  *status = soup_message_get_status (response.message);
  return body_string (&response);
}

#define assert_get(f, path, expected_status, expected_body)     \
  G_STMT_START {                                                \
    guint status__ = 0;                                         \
    g_autofree char *body__ = get (f, path, &status__);         \
    g_assert_cmpuint (status__, ==, expected_status);           \
    g_assert_cmpstr (body__, ==, expected_body);                \
  } G_STMT_END

static void
recording_handler (SoupServerMessage *message,
                   const char        *path,
                   gpointer           user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->paths, g_strdup (path));
  soup_server_message_set_status (message, 200, NULL);
  soup_server_message_set_response (message, "text/plain", SOUP_MEMORY_STATIC, "hi", 2);
}

static gboolean
answer_later (gpointer user_data)
{
  SoupServerMessage *message = user_data;

  soup_server_message_set_status (message, 202, NULL);
  soup_server_message_set_response (message, "text/plain", SOUP_MEMORY_STATIC, "later", 5);
  soup_server_message_unpause (message);
  return G_SOURCE_REMOVE;
}

static void
async_handler (SoupServerMessage *message,
               const char        *path,
               gpointer           user_data)
{
  soup_server_message_pause (message);
  g_idle_add_full (G_PRIORITY_DEFAULT, answer_later, g_object_ref (message), g_object_unref);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->paths = g_ptr_array_new_with_free_func (g_free);
  f->tester = tester_new (LOOPBACK_CONFIG);
  f->router = bk_service_factory_tester_get_subject (f->tester, NULL, &error);
  g_assert_no_error (error);
  f->lifecycle = bk_service_factory_tester_get_service (f->tester, BK_SERVICE_ROOT_LIFECYCLE, NULL, &error);
  g_assert_no_error (error);
  f->logger = bk_service_factory_tester_get_service (f->tester, BK_SERVICE_ROOT_LOGGER, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (BK_IS_MOCK_LOGGER (f->logger));
  f->session = session_new ();

  g_assert_true (bk_root_http_router_use (f->router, "/api/thing", recording_handler, f, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (bk_root_http_router_use (f->router, "/slow/", async_handler, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->session);
  g_clear_object (&f->tester);
  g_clear_pointer (&f->paths, g_ptr_array_unref);
}

static void
test_root_http_health (Fixture       *f,
                       gconstpointer  data)
{
  assert_get (f, "/.backstage/health/v1/liveness", 200, OK);
  assert_get (f, "/.backstage/health/v1/readiness", 503, NOT_STARTED);

  bk_mock_lifecycle_trigger (f->lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
  assert_get (f, "/.backstage/health/v1/readiness", 200, OK);
  assert_get (f, "/.backstage/health/v1/liveness", 200, OK);

  bk_mock_lifecycle_trigger (f->lifecycle, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN);
  assert_get (f, "/.backstage/health/v1/readiness", 503, SHUTTING_DOWN);
  assert_get (f, "/.backstage/health/v1/liveness", 200, OK);

  /* Under the health prefix, anything else is a 404. */
  assert_get (f, "/.backstage/health/v1/other", 404,
              "{\"error\":{\"name\":\"NotFoundError\",\"message\":\"Not Found\"},"
              "\"request\":{\"method\":\"GET\",\"url\":\"/.backstage/health/v1/other\"},"
              "\"response\":{\"statusCode\":404}}");
}

static void
test_root_http_mounted (Fixture       *f,
                        gconstpointer  data)
{
  assert_get (f, "/api/thing", 200, "hi");
  assert_get (f, "/api/thing/x/y?z=1", 200, "hi");
  assert_get (f, "/API/Thing/", 200, "hi");
  g_assert_cmpuint (f->paths->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (f->paths, 0), ==, "/api/thing");
  g_assert_cmpstr (g_ptr_array_index (f->paths, 1), ==, "/api/thing/x/y");
  g_assert_cmpstr (g_ptr_array_index (f->paths, 2), ==, "/API/Thing/");

  /* A prefix is a whole segment. */
  assert_get (f, "/api/things", 404,
              "{\"error\":{\"name\":\"NotFoundError\",\"message\":\"Not Found\"},"
              "\"request\":{\"method\":\"GET\",\"url\":\"/api/things\"},"
              "\"response\":{\"statusCode\":404}}");
  g_assert_cmpuint (f->paths->len, ==, 3);

  /* A handler that pauses the message and answers from an idle. */
  assert_get (f, "/slow/x", 202, "later");
}

static void
test_root_http_not_found (Fixture       *f,
                          gconstpointer  data)
{
  g_auto(Response) response = { 0 };
  g_autofree char *base_url = bk_root_http_router_dup_base_url (f->router);
  g_autofree char *url = g_strconcat (base_url, "/api/nope/x?q=1", NULL);
  g_autofree char *body = NULL;

  request (f->session, "POST", url, &response);
  body = body_string (&response);
  g_assert_cmpuint (soup_message_get_status (response.message), ==, 404);
  g_assert_cmpstr (soup_message_headers_get_content_type (soup_message_get_response_headers (response.message), NULL),
                   ==, "application/json");
  g_assert_cmpstr (body, ==,
                   "{\"error\":{\"name\":\"NotFoundError\",\"message\":\"Not Found\"},"
                   "\"request\":{\"method\":\"POST\",\"url\":\"/api/nope/x?q=1\"},"
                   "\"response\":{\"statusCode\":404}}");

  /* Not under /api/ either: no index handler, so 404 as well. */
  assert_get (f, "/", 404,
              "{\"error\":{\"name\":\"NotFoundError\",\"message\":\"Not Found\"},"
              "\"request\":{\"method\":\"GET\",\"url\":\"/\"},"
              "\"response\":{\"statusCode\":404}}");
}

static void
test_root_http_headers (Fixture       *f,
                        gconstpointer  data)
{
  const char *paths[] = { "/api/thing", "/api/nope", "/.backstage/health/v1/liveness", "/slow/x" };
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *base_url = bk_root_http_router_dup_base_url (f->router);

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_auto(Response) response = { 0 };
      g_autofree char *url = g_strconcat (base_url, paths[i], NULL);
      SoupMessageHeaders *headers;
      const char *id;

      request (f->session, "GET", url, &response);
      g_assert_no_error (response.error);
      headers = soup_message_get_response_headers (response.message);

      id = soup_message_headers_get_one (headers, "X-Request-Id");
      g_assert_nonnull (id);
      g_assert_true (g_uuid_string_is_valid (id));
      g_assert_true (g_hash_table_add (ids, g_strdup (id)));

      g_assert_cmpstr (soup_message_headers_get_one (headers, "X-Content-Type-Options"), ==, "nosniff");
      g_assert_cmpstr (soup_message_headers_get_one (headers, "X-Frame-Options"), ==, "SAMEORIGIN");
      g_assert_cmpstr (soup_message_headers_get_one (headers, "Referrer-Policy"), ==, "no-referrer");
      g_assert_cmpstr (soup_message_headers_get_one (headers, "X-DNS-Prefetch-Control"), ==, "off");
      g_assert_cmpstr (soup_message_headers_get_one (headers, "X-Permitted-Cross-Domain-Policies"), ==, "none");
      g_assert_null (soup_message_headers_get_one (headers, "Server"));
    }
}

static void
test_root_http_access_log (Fixture       *f,
                           gconstpointer  data)
{
  BkMockLoggerRecord *record;  /* owned by the logger */

  bk_mock_logger_clear (f->logger);
  assert_get (f, "/api/thing/a?b=c", 200, "hi");

  /* The log line is written once the response is sent, which may be after
   * the client has it: iterate until it is there. */
  while ((record = bk_mock_logger_find_with_field (f->logger, BK_LOG_LEVEL_INFO, "*",
                                                    "type", "incomingRequest")) == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (g_str_has_prefix (bk_mock_logger_record_get_message (record), "GET /api/thing/a?b=c 200 "));
  g_assert_cmpstr (bk_mock_logger_record_get_field (record, "method"), ==, "GET");
  g_assert_cmpstr (bk_mock_logger_record_get_field (record, "url"), ==, "/api/thing/a?b=c");
  g_assert_cmpstr (bk_mock_logger_record_get_field (record, "status"), ==, "200");
  /* The mock clock does not move: a duration of 0 ms. */
  g_assert_cmpstr (bk_mock_logger_record_get_field (record, "duration"), ==, "0");
  g_assert_true (g_uuid_string_is_valid (bk_mock_logger_record_get_field (record, "requestId")));
  g_assert_cmpuint (bk_mock_logger_count (f->logger, BK_LOG_LEVEL_INFO, "GET /api/thing/a*"), ==, 1);
}

static void
test_root_http_stop (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(SoupSession) fresh = session_new ();
  g_auto(Response) response = { 0 };
  g_autofree char *base_url = bk_root_http_router_dup_base_url (f->router);
  g_autofree char *url = g_strconcat (base_url, "/.backstage/health/v1/liveness", NULL);

  assert_get (f, "/.backstage/health/v1/liveness", 200, OK);

  bk_mock_lifecycle_trigger (f->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  g_assert_cmpuint (bk_root_http_router_get_port (f->router), ==, 0);
  g_assert_null (bk_root_http_router_dup_base_url (f->router));

  request (fresh, "GET", url, &response);
  g_assert_error (response.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

/* The real default backend listens too (bk_backend_new's defaults). */
static void
test_root_http_default_backend (void)
{
  BkServiceRef *ref = BK_SERVICE_ROOT_HTTP_ROUTER;

  g_assert_cmpstr (bk_service_ref_get_id (ref), ==, "core.rootHttpRouter");
  g_assert_cmpint (bk_service_ref_get_scope (ref), ==, BK_SERVICE_SCOPE_ROOT);
  g_assert_true (bk_service_ref_has_default_factory (ref));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (conflict_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/root-http/conflicts/%u",
                                               i);
      g_test_add_data_func (name, &conflict_cases[i], test_root_http_conflicts);
    }
  g_test_add_func ("/root-http/empty-path", test_root_http_empty_path);
  for (guint i = 0; i < G_N_ELEMENTS (listen_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/root-http/listen/%u", i);
      g_test_add_data_func (name, &listen_cases[i], test_root_http_listen);
    }
  g_test_add_func ("/root-http/ref", test_root_http_default_backend);

#define ADD(path, func) \
  g_test_add ("/root-http/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("health", test_root_http_health);
  ADD ("mounted", test_root_http_mounted);
  ADD ("not-found", test_root_http_not_found);
  ADD ("headers", test_root_http_headers);
  ADD ("access-log", test_root_http_access_log);
  ADD ("stop", test_root_http_stop);
#undef ADD

  return g_test_run ();
}
