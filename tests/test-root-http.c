/* test-root-http.c: the default core.rootHttpRouter, over loopback.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <libbackend.h>
#include <libbackend-test-utils.h>

#define LOOPBACK_CONFIG "{\"backend\":{\"listen\":{\"host\":\"127.0.0.1\",\"port\":0}}}"
#define NOT_STARTED     "{\"message\":\"Backend has not started yet\",\"status\":\"error\"}"
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

  /* Readiness once shutdown has begun: test-http-shutdown (the server stops
   * accepting connections then). */

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

/* A router from @factory (NULL: the default) on @config, and a session. */
typedef struct
{
  BkServiceFactoryTester *tester;
  BkRootHttpRouter       *router;
  SoupSession            *session;
  char                   *base_url;
} Server;

static void
server_init (Server           *s,
             BkServiceFactory *factory,
             const char       *config)
{
  g_autoptr(GError) error = NULL;

  s->tester = bk_service_factory_tester_new (factory != NULL ? factory
                                             : bk_service_ref_create_default_factory (BK_SERVICE_ROOT_HTTP_ROUTER),
                                             bk_mock_root_config_factory_new (config),
                                             NULL);
  s->router = bk_service_factory_tester_get_subject (s->tester, NULL, &error);
  g_assert_no_error (error);
  s->session = session_new ();
  s->base_url = bk_root_http_router_dup_base_url (s->router);
}

static void
server_clear (Server *s)
{
  g_clear_object (&s->session);
  g_clear_object (&s->tester);
  g_clear_pointer (&s->base_url, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Server, server_clear)

/* Answers with its user data (the mount's name). */
static void
named_handler (SoupServerMessage *message,
               const char        *path,
               gpointer           user_data)
{
  const char *name = user_data;

  soup_server_message_set_status (message, 200, NULL);
  soup_server_message_set_response (message, "text/plain", SOUP_MEMORY_COPY, name, strlen (name));
}

static void
server_mount (Server     *s,
              const char *path)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bk_root_http_router_use (s->router, path, named_handler, g_strdup (path), g_free, &error));
  g_assert_no_error (error);
}

/* One request with headers (name, value, …, NULL) and a body. */
static guint
server_send (Server             *s,
             const char         *method,
             const char         *path,
             const char * const *headers,
             const char         *body,
             Response           *response)
{
  g_autofree char *url = g_strconcat (s->base_url, path, NULL);
  GSource *guard = g_timeout_source_new_seconds (10);

  g_source_set_callback (guard, guard_timeout, (gpointer) path, NULL);
  g_source_attach (guard, NULL);

  response->message = soup_message_new (method, url);
  for (guint i = 0; headers != NULL && headers[i] != NULL; i += 2)
    soup_message_headers_replace (soup_message_get_request_headers (response->message), headers[i], headers[i + 1]);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (response->message, "text/plain", bytes);
    }
  soup_session_send_and_read_async (s->session, response->message, G_PRIORITY_DEFAULT, NULL, sent, response);
  while (!response->done)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (guard);
  g_source_unref (guard);

  g_assert_no_error (response->error);
  return soup_message_get_status (response->message);
}

static const char *
response_header (Response   *response,
                 const char *name)
{
  return soup_message_headers_get_list (soup_message_get_response_headers (response->message), name);
}

#define NOT_FOUND_BODY(method, url) \
  "{\"error\":{\"name\":\"NotFoundError\",\"message\":\"Not Found\"}," \
  "\"request\":{\"method\":\"" method "\",\"url\":\"" url "\"}," \
  "\"response\":{\"statusCode\":404}}"

/* Index path (R71) ---------------------------------------------------------- */

static void
assert_answer (Server     *s,
               const char *path,
               guint       status,
               const char *body)
{
  g_auto(Response) response = { 0 };
  g_autofree char *text = NULL;

  g_assert_cmpuint (server_send (s, "GET", path, NULL, NULL, &response), ==, status);
  text = body_string (&response);
  g_assert_cmpstr (text, ==, body);
}

static void
test_root_http_index (void)
{
  g_autoptr(GError) error = NULL;
  BkServiceFactory *factory = bk_root_http_router_factory_new ("/web/", &error);
  g_auto(Server) s = { 0 };

  g_assert_no_error (error);
  server_init (&s, factory, LOOPBACK_CONFIG);
  server_mount (&s, "/WEB");
  server_mount (&s, "/api/thing");
  server_mount (&s, "/other");

  /* Named mounts first, then the index for anything outside /api/. */
  assert_answer (&s, "/other/x", 200, "/other");
  assert_answer (&s, "/api/thing/x", 200, "/api/thing");
  assert_answer (&s, "/web/page", 200, "/WEB");
  assert_answer (&s, "/", 200, "/WEB");
  assert_answer (&s, "/some/page?x=1", 200, "/WEB");
  assert_answer (&s, "/api", 200, "/WEB");
  assert_answer (&s, "/api/nope", 404, NOT_FOUND_BODY ("GET", "/api/nope"));
  assert_answer (&s, "/API/nope/x", 404, NOT_FOUND_BODY ("GET", "/API/nope/x"));
  /* Health keeps its own 404s. */
  assert_answer (&s, "/.backstage/health/x", 404, NOT_FOUND_BODY ("GET", "/.backstage/health/x"));
}

/* The default index is /api/app; until something mounts it, 404. */
static void
test_root_http_index_default (void)
{
  g_auto(Server) s = { 0 };

  server_init (&s, NULL, LOOPBACK_CONFIG);
  assert_answer (&s, "/page", 404, NOT_FOUND_BODY ("GET", "/page"));
  server_mount (&s, "/api/app");
  assert_answer (&s, "/page", 200, "/api/app");
  assert_answer (&s, "/api/other", 404, NOT_FOUND_BODY ("GET", "/api/other"));
}

static void
test_root_http_index_none (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(Server) s = { 0 };

  g_assert_null (bk_root_http_router_factory_new ("", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, "indexPath option may not be an empty string");
  g_clear_error (&error);

  server_init (&s, bk_root_http_router_factory_new (NULL, &error), LOOPBACK_CONFIG);
  g_assert_no_error (error);
  server_mount (&s, "/api/app");
  assert_answer (&s, "/page", 404, NOT_FOUND_BODY ("GET", "/page"));
}

/* CORS ---------------------------------------------------------------------- */

#define CORS_CONFIG \
  "{\"backend\":{\"listen\":{\"host\":\"127.0.0.1\",\"port\":0}," \
  "\"cors\":{\"origin\":[\"http://a.example\",\"https://*.b.example\"],\"methods\":[\"GET\",\"POST\"]," \
  "\"credentials\":true,\"maxAge\":600,\"exposedHeaders\":[\"X-Total\",\"X-Page\"]}}}"

static void
test_root_http_cors (void)
{
  g_auto(Server) s = { 0 };

  server_init (&s, NULL, CORS_CONFIG);
  server_mount (&s, "/api/thing");

  /* Allowed origins, exact or by pattern. */
  {
    const char *origins[] = { "http://a.example", "https://x.b.example" };

    for (guint i = 0; i < G_N_ELEMENTS (origins); i++)
      {
        g_auto(Response) response = { 0 };
        const char *headers[] = { "Origin", origins[i], NULL };

        g_assert_cmpuint (server_send (&s, "GET", "/api/thing", headers, NULL, &response), ==, 200);
        g_assert_cmpstr (response_header (&response, "Access-Control-Allow-Origin"), ==, origins[i]);
        g_assert_cmpstr (response_header (&response, "Vary"), ==, "Origin");
        g_assert_cmpstr (response_header (&response, "Access-Control-Allow-Credentials"), ==, "true");
        g_assert_cmpstr (response_header (&response, "Access-Control-Expose-Headers"), ==, "X-Total,X-Page");
        g_assert_null (response_header (&response, "Access-Control-Allow-Methods"));
      }
  }

  /* Another origin gets no grant, but still the answer. */
  {
    g_auto(Response) response = { 0 };
    const char *headers[] = { "Origin", "http://evil.example", NULL };

    g_assert_cmpuint (server_send (&s, "GET", "/api/thing", headers, NULL, &response), ==, 200);
    g_assert_null (response_header (&response, "Access-Control-Allow-Origin"));
    g_assert_null (response_header (&response, "Access-Control-Allow-Credentials"));
  }

  /* A preflight is answered without reaching the handler (which would say
   * 200), the asked headers reflected. */
  {
    g_auto(Response) response = { 0 };
    const char *headers[] = { "Origin", "http://a.example", "Access-Control-Request-Method", "POST",
                              "Access-Control-Request-Headers", "Content-Type,X-Custom", NULL };

    g_assert_cmpuint (server_send (&s, "OPTIONS", "/api/thing", headers, NULL, &response), ==, 204);
    g_assert_cmpuint (g_bytes_get_size (response.body), ==, 0);
    g_assert_cmpstr (response_header (&response, "Access-Control-Allow-Origin"), ==, "http://a.example");
    g_assert_cmpstr (response_header (&response, "Access-Control-Allow-Methods"), ==, "GET,POST");
    g_assert_cmpstr (response_header (&response, "Access-Control-Allow-Headers"), ==, "Content-Type,X-Custom");
    g_assert_cmpstr (response_header (&response, "Access-Control-Max-Age"), ==, "600");
    g_assert_cmpstr (response_header (&response, "Vary"), ==, "Origin, Access-Control-Request-Headers");
  }

  /* A plain OPTIONS is no preflight: the handler answers. */
  {
    g_auto(Response) response = { 0 };
    const char *headers[] = { "Origin", "http://a.example", NULL };

    g_assert_cmpuint (server_send (&s, "OPTIONS", "/api/thing", headers, NULL, &response), ==, 200);
  }
}

/* Without backend.cors: no CORS header at all; configured allowedHeaders
 * are sent as they are. */
static void
test_root_http_cors_off (void)
{
  const char *headers[] = { "Origin", "http://a.example", "Access-Control-Request-Method", "GET", NULL };

  {
    g_auto(Server) s = { 0 };
    g_auto(Response) response = { 0 };

    server_init (&s, NULL, LOOPBACK_CONFIG);
    server_mount (&s, "/api/thing");
    g_assert_cmpuint (server_send (&s, "OPTIONS", "/api/thing", headers, NULL, &response), ==, 200);
    g_assert_null (response_header (&response, "Access-Control-Allow-Origin"));
    g_assert_null (response_header (&response, "Vary"));
  }
  {
    g_auto(Server) s = { 0 };
    g_auto(Response) response = { 0 };

    server_init (&s, NULL, "{\"backend\":{\"listen\":\"127.0.0.1:0\",\"cors\":{\"origin\":\"http://a.example\","
                           "\"allowedHeaders\":\"Authorization\"}}}");
    g_assert_cmpuint (server_send (&s, "OPTIONS", "/api/thing", headers, NULL, &response), ==, 204);
    g_assert_cmpstr (response_header (&response, "Access-Control-Allow-Origin"), ==, "http://a.example");
    g_assert_cmpstr (response_header (&response, "Access-Control-Allow-Methods"), ==, "GET,HEAD,PUT,PATCH,POST,DELETE");
    g_assert_cmpstr (response_header (&response, "Access-Control-Allow-Headers"), ==, "Authorization");
    g_assert_null (response_header (&response, "Access-Control-Allow-Credentials"));
    g_assert_null (response_header (&response, "Access-Control-Max-Age"));
  }
}

/* Config errors name the key. */
typedef struct
{
  const char *backend;   /* members of backend, after listen */
  const char *error;
} ConfigErrorCase;

static const ConfigErrorCase config_error_cases[] = {
  { "\"cors\":true", "'backend.cors'" },
  { "\"cors\":{\"origin\":{}}", "'backend.cors.origin'" },
  { "\"cors\":{\"origin\":[\"a\",1]}", "'backend.cors.origin[1]'" },
  { "\"cors\":{\"methods\":{}}", "'backend.cors.methods'" },
  { "\"cors\":{\"credentials\":\"maybe\"}", "'backend.cors.credentials'" },
  { "\"cors\":{\"maxAge\":\"soon\"}", "'backend.cors.maxAge'" },
  { "\"server\":{\"requestBodyLimit\":\"lots\"}",
    "Invalid request body limit 'lots' in config for key 'backend.server.requestBodyLimit' in 'mock-config', "
    "expected a number of bytes or a string such as '100kb' or '1mb'" },
  { "\"server\":{\"requestBodyLimit\":-5}", "Invalid request body limit '-5' in config for key 'backend.server.requestBodyLimit'" },
  { "\"server\":{\"requestBodyLimit\":true}", "'backend.server.requestBodyLimit'" },
  { "\"listen\":{\"host\":\"127.0.0.1\",\"port\":0,\"reusePort\":\"often\"}", "'backend.listen.reusePort'" },
};

static void
test_root_http_config_error (gconstpointer data)
{
  const ConfigErrorCase *c = data;
  g_autofree char *config = NULL;
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  g_autoptr(GError) error = NULL;

  if (g_str_has_prefix (c->backend, "\"listen\""))
    config = g_strdup_printf ("{\"backend\":{%s}}", c->backend);
  else
    config = g_strdup_printf ("{\"backend\":{\"listen\":\"127.0.0.1:0\",%s}}", c->backend);
  tester = tester_new (config);
  g_assert_null (bk_service_factory_tester_get_subject (tester, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, c->error));
}

/* reusePort ------------------------------------------------------------------ */

static char *
who_answers (guint port)
{
  g_autoptr(SoupSession) session = session_new ();
  g_auto(Response) response = { 0 };
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/who", port);

  request (session, "GET", url, &response);
  return body_string (&response);
}

static void
test_root_http_reuse_port (void)
{
  g_auto(Server) a = { 0 };
  g_auto(Server) b = { 0 };
  g_autoptr(BkServiceFactoryTester) plain = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *config = NULL;
  g_autofree char *plain_config = NULL;
  BkMockLifecycle *lifecycle;
  gboolean seen_a = FALSE, seen_b = FALSE;
  guint port;

  server_init (&a, NULL, "{\"backend\":{\"listen\":{\"host\":\"127.0.0.1\",\"port\":0,\"reusePort\":true}}}");
  port = bk_root_http_router_get_port (a.router);
  config = g_strdup_printf ("{\"backend\":{\"listen\":{\"host\":\"127.0.0.1\",\"port\":%u,\"reusePort\":true}}}", port);
  server_init (&b, NULL, config);
  g_assert_cmpuint (bk_root_http_router_get_port (b.router), ==, port);
  g_assert_true (bk_root_http_router_use (a.router, "/who", named_handler, (gpointer) "a", NULL, &error));
  g_assert_true (bk_root_http_router_use (b.router, "/who", named_handler, (gpointer) "b", NULL, &error));
  g_assert_no_error (error);

  /* Without reusePort the port is taken. */
  plain_config = g_strdup_printf ("{\"backend\":{\"listen\":{\"host\":\"127.0.0.1\",\"port\":%u}}}", port);
  plain = tester_new (plain_config);
  g_assert_null (bk_service_factory_tester_get_subject (plain, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* The kernel spreads new connections over both. */
  for (guint i = 0; i < 200 && !(seen_a && seen_b); i++)
    {
      g_autofree char *who = who_answers (port);

      seen_a |= g_str_equal (who, "a");
      seen_b |= g_str_equal (who, "b");
    }
  g_assert_true (seen_a);
  g_assert_true (seen_b);

  /* One stops; the other keeps the port. */
  lifecycle = bk_service_factory_tester_get_service (a.tester, BK_SERVICE_ROOT_LIFECYCLE, NULL, &error);
  g_assert_no_error (error);
  bk_mock_lifecycle_trigger (lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *who = who_answers (port);

      g_assert_cmpstr (who, ==, "b");
    }
}

/* Body limit and Expect: 100-continue ------------------------------------------- */

typedef struct
{
  GSocketConnection *connection;
  GString           *received;
  gboolean           eof;
  gboolean           reading;
} Raw;

static Raw *
raw_connect (guint port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  Raw *raw = g_new0 (Raw, 1);

  g_socket_client_set_enable_proxy (client, FALSE);
  raw->connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
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

/* Reads until the server closes the connection. */
static char *
raw_read_all (Raw *raw)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (raw->connection));
  GSource *guard = g_timeout_source_new_seconds (10);

  g_source_set_callback (guard, guard_timeout, (gpointer) "the server to close", NULL);
  g_source_attach (guard, NULL);
  while (!raw->eof)
    {
      if (!raw->reading)
        {
          raw->reading = TRUE;
          g_input_stream_read_bytes_async (in, 4096, G_PRIORITY_DEFAULT, NULL, raw_read_cb, raw);
        }
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_destroy (guard);
  g_source_unref (guard);
  return g_strdup (raw->received->str);
}

#define TOO_LARGE_BODY(method, url, limit) \
  "{\"error\":{\"name\":\"PayloadTooLargeError\",\"message\":\"Request body is larger than the limit of " limit " bytes\"}," \
  "\"request\":{\"method\":\"" method "\",\"url\":\"" url "\"}," \
  "\"response\":{\"statusCode\":413}}"

static void
assert_too_large (const char *answer,
                  const char *body)
{
  g_test_message ("%s", answer);
  g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 413 "));
  g_assert_nonnull (strstr (answer, "\r\nConnection: close\r\n"));
  g_assert_nonnull (strstr (answer, "\r\nX-Request-Id: "));
  g_assert_cmpstr (strstr (answer, "\r\n\r\n") + 4, ==, body);
}

/* Counts what reaches the handler. */
static void
body_handler (SoupServerMessage *message,
              const char        *path,
              gpointer           user_data)
{
  g_autofree char *text = g_strdup_printf ("%" G_GOFFSET_FORMAT,
                                           soup_server_message_get_request_body (message)->length);

  (*(guint *) user_data)++;
  soup_server_message_set_status (message, 200, NULL);
  soup_server_message_set_response (message, "text/plain", SOUP_MEMORY_COPY, text, strlen (text));
}

static void
test_root_http_body_limit (void)
{
  g_auto(Server) s = { 0 };
  g_autoptr(GError) error = NULL;
  guint calls = 0;

  server_init (&s, NULL, "{\"backend\":{\"listen\":\"127.0.0.1:0\",\"server\":{\"requestBodyLimit\":\"1kb\"}}}");
  g_assert_true (bk_root_http_router_use (s.router, "/api/body", body_handler, &calls, NULL, &error));
  g_assert_no_error (error);

  /* At the limit: the handler gets it all. */
  {
    g_auto(Response) response = { 0 };
    g_autofree char *body = g_strnfill (1024, 'x');
    g_autofree char *text = NULL;

    g_assert_cmpuint (server_send (&s, "POST", "/api/body", NULL, body, &response), ==, 200);
    text = body_string (&response);
    g_assert_cmpstr (text, ==, "1024");
    g_assert_cmpuint (calls, ==, 1);
  }

  /* Over it, announced: 413 at once, and with Expect: 100-continue the
   * client is never asked for the body. */
  {
    g_autoptr(Raw) raw = raw_connect (bk_root_http_router_get_port (s.router));
    g_autofree char *answer = NULL;

    raw_write (raw, "POST /api/body HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                    "Content-Length: 1025\r\nExpect: 100-continue\r\n\r\n");
    answer = raw_read_all (raw);
    g_assert_null (strstr (answer, "100 Continue"));
    assert_too_large (answer, TOO_LARGE_BODY ("POST", "/api/body", "1024"));
    g_assert_cmpuint (calls, ==, 1);
  }

  /* Over it, announced, body sent anyway. */
  {
    g_autoptr(Raw) raw = raw_connect (bk_root_http_router_get_port (s.router));
    g_autofree char *request_text = NULL;
    g_autofree char *body = g_strnfill (2000, 'y');
    g_autofree char *answer = NULL;

    request_text = g_strdup_printf ("PUT /api/body?a=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2000\r\n\r\n%s", body);
    raw_write (raw, request_text);
    answer = raw_read_all (raw);
    assert_too_large (answer, TOO_LARGE_BODY ("PUT", "/api/body?a=1", "1024"));
    g_assert_cmpuint (calls, ==, 1);
  }

  /* Over it, chunked (no length announced): counted as it comes. */
  {
    g_autoptr(Raw) raw = raw_connect (bk_root_http_router_get_port (s.router));
    g_autofree char *chunk = g_strnfill (600, 'z');
    g_autofree char *request_text = NULL;
    g_autofree char *answer = NULL;

    request_text = g_strdup_printf ("POST /api/body HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    "258\r\n%s\r\n258\r\n%s\r\n0\r\n\r\n", chunk, chunk);
    raw_write (raw, request_text);
    answer = raw_read_all (raw);
    assert_too_large (answer, TOO_LARGE_BODY ("POST", "/api/body", "1024"));
    g_assert_cmpuint (calls, ==, 1);
  }

  /* Chunked under the limit reaches the handler. */
  {
    g_autoptr(Raw) raw = raw_connect (bk_root_http_router_get_port (s.router));
    g_autofree char *chunk = g_strnfill (600, 'z');
    g_autofree char *request_text = NULL;
    g_autofree char *answer = NULL;

    request_text = g_strdup_printf ("POST /api/body HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                                    "Connection: close\r\n\r\n258\r\n%s\r\n0\r\n\r\n", chunk);
    raw_write (raw, request_text);
    answer = raw_read_all (raw);
    g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 200 "));
    g_assert_true (g_str_has_suffix (answer, "\r\n\r\n600"));
    g_assert_cmpuint (calls, ==, 2);
  }
}

/* The default limit is 1 MiB; a plain number is bytes. */
static void
test_root_http_body_limit_forms (void)
{
  const struct { const char *config; const char *limit; } cases[] = {
    { "{\"backend\":{\"listen\":\"127.0.0.1:0\"}}", "1048576" },
    { "{\"backend\":{\"listen\":\"127.0.0.1:0\",\"server\":{\"requestBodyLimit\":10}}}", "10" },
    { "{\"backend\":{\"listen\":\"127.0.0.1:0\",\"server\":{\"requestBodyLimit\":\" 2MB \"}}}", "2097152" },
    { "{\"backend\":{\"listen\":\"127.0.0.1:0\",\"server\":{\"requestBodyLimit\":\"300\"}}}", "300" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(Server) s = { 0 };
      g_autoptr(Raw) raw = NULL;
      g_autofree char *request_text = NULL;
      g_autofree char *answer = NULL;
      g_autofree char *expected = NULL;

      server_init (&s, NULL, cases[i].config);
      raw = raw_connect (bk_root_http_router_get_port (s.router));
      request_text = g_strdup_printf ("POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %" G_GUINT64_FORMAT "\r\n"
                                      "Expect: 100-continue\r\n\r\n",
                                      g_ascii_strtoull (cases[i].limit, NULL, 10) + 1);
      raw_write (raw, request_text);
      answer = raw_read_all (raw);
      expected = g_strdup_printf ("{\"error\":{\"name\":\"PayloadTooLargeError\",\"message\":\"Request body is larger "
                                  "than the limit of %s bytes\"},\"request\":{\"method\":\"POST\",\"url\":\"/x\"},"
                                  "\"response\":{\"statusCode\":413}}", cases[i].limit);
      assert_too_large (answer, expected);
    }
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
  g_test_add_func ("/root-http/index", test_root_http_index);
  g_test_add_func ("/root-http/index/default", test_root_http_index_default);
  g_test_add_func ("/root-http/index/none", test_root_http_index_none);
  g_test_add_func ("/root-http/cors", test_root_http_cors);
  g_test_add_func ("/root-http/cors/off", test_root_http_cors_off);
  for (guint i = 0; i < G_N_ELEMENTS (config_error_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/root-http/config-error/%u", i);
      g_test_add_data_func (name, &config_error_cases[i], test_root_http_config_error);
    }
  g_test_add_func ("/root-http/reuse-port", test_root_http_reuse_port);
  g_test_add_func ("/root-http/body-limit", test_root_http_body_limit);
  g_test_add_func ("/root-http/body-limit/forms", test_root_http_body_limit_forms);

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
