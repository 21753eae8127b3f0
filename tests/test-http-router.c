/* test-http-router.c: the default core.httpRouter, over loopback.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbackend.h>
#include <libbackend-test-utils.h>

#define LOOPBACK_CONFIG "{\"backend\":{\"listen\":{\"host\":\"127.0.0.1\",\"port\":0}}}"

typedef struct
{
  BkBackend        *backend;
  SoupSession      *session;
  BkRootHttpRouter *root_router;  /* from the probe plugin */
  BkMockClock      *clock;        /* from the probe plugin */
  BkLifecycle      *root_lifecycle;
  gboolean          slow;         /* add the plugin with an async init */
  GTask            *slow_init;    /* its init, until the test completes it */
  GTask            *shutdown_hook;
  gboolean          hold_shutdown;
  BkHttpRequest    *held;         /* a request the /hang route keeps */
  gboolean          stopped;
} Fixture;

typedef struct
{
  gboolean      done;
  SoupMessage  *message;
  GBytes       *body;
  GError       *error;
  GCancellable *cancellable;
} Response;

static void
response_clear (Response *response)
{
  g_clear_object (&response->message);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_clear_error (&response->error);
  g_clear_object (&response->cancellable);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Response, response_clear)

static gboolean
guard_timeout (gpointer user_data)
{
  g_error ("timed out waiting for %s", (const char *) user_data);
  return G_SOURCE_REMOVE;
}

static GSource *
guard_new (const char *what)
{
  GSource *guard = g_timeout_source_new_seconds (10);

  g_source_set_callback (guard, guard_timeout, (gpointer) what, NULL);
  g_source_attach (guard, NULL);
  return guard;
}

static void
guard_free (GSource *guard)
{
  g_source_destroy (guard);
  g_source_unref (guard);
}

/* Iterates the default main context until *@flag, failing after 10 s. */
static void
wait_for (gboolean   *flag,
          const char *what)
{
  GSource *guard = guard_new (what);

  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
  guard_free (guard);
}

/* The same, until *@pointer is set. */
static void
wait_for_pointer (gpointer   *pointer,
                  const char *what)
{
  GSource *guard = guard_new (what);

  while (*pointer == NULL)
    g_main_context_iteration (NULL, TRUE);
  guard_free (guard);
}

/* Completes a task the test was handed (transfer full) and releases it. */
static void
complete_task (GTask **task)
{
  g_autoptr(GTask) owned = g_steal_pointer (task);

  g_task_return_boolean (owned, TRUE);
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

static char *
bytes_to_string (GBytes *bytes)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);

  return size > 0 ? g_strndup (data, size) : g_strdup ("");
}

/* Starts a request; wait_for (&response->done) for its answer. */
static void
send_request (Fixture    *f,
              const char *method,
              const char *path,
              const char *content_type,
              GBytes     *body,
              Response   *response)
{
  g_autofree char *base_url = bk_root_http_router_dup_base_url (f->root_router);
  g_autofree char *url = g_strconcat (base_url, path, NULL);

  response->message = soup_message_new (method, url);
  g_assert_nonnull (response->message);
  if (body != NULL)
    soup_message_set_request_body_from_bytes (response->message, content_type, body);
  response->cancellable = g_cancellable_new ();
  soup_session_send_and_read_async (f->session, response->message, G_PRIORITY_DEFAULT,
                                    response->cancellable, sent, response);
}

static guint
request (Fixture    *f,
         const char *method,
         const char *path,
         const char *content_type,
         const char *body,
         char      **out_body)
{
  g_auto(Response) response = { 0 };
  g_autoptr(GBytes) bytes = body != NULL ? g_bytes_new (body, strlen (body)) : NULL;

  send_request (f, method, path, content_type, bytes, &response);
  wait_for (&response.done, path);
  g_assert_no_error (response.error);
  *out_body = bytes_to_string (response.body);
  return soup_message_get_status (response.message);
}

#define assert_request(f, method, path, content_type, body, expected_status, expected_body) \
  G_STMT_START {                                                                             \
    g_autofree char *body__ = NULL;                                                          \
    guint status__ = request (f, method, path, content_type, body, &body__);                 \
    g_assert_cmpstr (body__, ==, expected_body);                                             \
    g_assert_cmpuint (status__, ==, expected_status);                                        \
  } G_STMT_END

#define ERROR_BODY(name, message, method, url, status)                   \
  "{\"error\":{\"name\":\"" name "\",\"message\":\"" message "\"},"       \
  "\"request\":{\"method\":\"" method "\",\"url\":\"" url "\"},"          \
  "\"response\":{\"statusCode\":" #status "}}"

/* Routes ----------------------------------------------------------------------- */

static void
get_todo (BkHttpRequest *request,
          gpointer       user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) payload = NULL;
  const char *q = bk_http_request_get_query (request, "q");

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, bk_http_request_get_param (request, "id"));
  json_builder_set_member_name (builder, "q");
  if (q != NULL)
    json_builder_add_string_value (builder, q);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, bk_http_request_get_path (request));
  json_builder_set_member_name (builder, "accept");
  json_builder_add_string_value (builder, bk_http_request_get_header (request, "x-test"));
  json_builder_end_object (builder);
  payload = json_builder_get_root (builder);

  g_assert_null (bk_http_request_get_param (request, "nope"));
  bk_http_request_respond_json (request, 200, payload);
  /* A second answer is ignored. */
  g_assert_true (bk_http_request_has_responded (request));
  bk_http_request_respond (request, 500, NULL, NULL);
}

static void
post_todo (BkHttpRequest *request,
           gpointer       user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = bk_http_request_dup_body_json (request, &error);
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonNode) payload = NULL;

  if (body == NULL)
    {
      bk_http_request_respond_error (request, error);
      return;
    }

  object = json_object_new ();
  json_object_set_member (object, "created", g_steal_pointer (&body));
  payload = json_node_init_object (json_node_alloc (), object);
  bk_http_request_respond_json (request, 201, payload);
}

static void
delete_todo (BkHttpRequest *request,
             gpointer       user_data)
{
  bk_http_request_respond (request, 204, NULL, NULL);
}

static void
conflict (BkHttpRequest *request,
          gpointer       user_data)
{
  g_autoptr(GError) error = g_error_new_literal (BK_HTTP_ERROR, BK_HTTP_ERROR_CONFLICT,
                                                 "Todo already exists");

  bk_http_request_respond_error (request, error);
}

static gboolean
answer_later (gpointer user_data)
{
  BkHttpRequest *request = user_data;
  g_autoptr(GBytes) body = g_bytes_new_static ("later", 5);

  bk_http_request_respond (request, 202, "text/plain", body);
  return G_SOURCE_REMOVE;
}

static void
async_route (BkHttpRequest *request,
             gpointer       user_data)
{
  g_idle_add_full (G_PRIORITY_DEFAULT, answer_later, g_object_ref (request), g_object_unref);
}

static void
hang_route (BkHttpRequest *request,
            gpointer       user_data)
{
  Fixture *f = user_data;

  g_set_object (&f->held, request);
}

static void
hold_shutdown (GTask    *task,
               gpointer  user_data)
{
  Fixture *f = user_data;

  f->shutdown_hook = task;
}

static gboolean
todo_init (BkDeps   *deps,
           gpointer  user_data,
           GError  **error)
{
  Fixture *f = user_data;
  BkHttpRouter *router = bk_deps_get (deps, BK_SERVICE_HTTP_ROUTER);

  g_assert_true (BK_IS_HTTP_ROUTER (router));
  bk_http_router_add_route (router, "GET", "/todos/:id", get_todo, NULL, NULL);
  bk_http_router_add_route (router, "POST", "/todos", post_todo, NULL, NULL);
  bk_http_router_add_route (router, "DELETE", "/todos/:id", delete_todo, NULL, NULL);
  bk_http_router_add_route (router, "GET", "/conflict", conflict, NULL, NULL);
  bk_http_router_add_route (router, "GET", "/async", async_route, NULL, NULL);
  bk_http_router_add_route (router, "GET", "/hang", hang_route, f, NULL);
  bk_http_router_add_auth_policy (router, "/todos", BK_HTTP_AUTH_POLICY_ALLOW_UNAUTHENTICATED);

  if (f->hold_shutdown &&
      !bk_lifecycle_add_hook_async (bk_deps_get (deps, BK_SERVICE_ROOT_LIFECYCLE),
                                    BK_LIFECYCLE_PHASE_SHUTDOWN, hold_shutdown, f, NULL, error))
    return FALSE;
  return TRUE;
}

static void
todo_register (BkPluginEnv *env,
               gpointer     user_data)
{
  bk_plugin_env_register_init (env, todo_init, user_data, NULL,
                               BK_SERVICE_HTTP_ROUTER, BK_SERVICE_ROOT_LIFECYCLE, NULL);
}

static gboolean
probe_init (BkDeps   *deps,
            gpointer  user_data,
            GError  **error)
{
  Fixture *f = user_data;

  f->root_router = g_object_ref (bk_deps_get (deps, BK_SERVICE_ROOT_HTTP_ROUTER));
  f->clock = g_object_ref (bk_deps_get (deps, BK_SERVICE_ROOT_CLOCK));
  g_assert_true (BK_IS_MOCK_CLOCK (f->clock));
  return TRUE;
}

static void
probe_register (BkPluginEnv *env,
                gpointer     user_data)
{
  bk_plugin_env_register_init (env, probe_init, user_data, NULL,
                               BK_SERVICE_ROOT_HTTP_ROUTER, BK_SERVICE_ROOT_CLOCK, NULL);
}

static void
ping (BkHttpRequest *request,
      gpointer       user_data)
{
  g_autoptr(GBytes) body = g_bytes_new_static ("pong", 4);

  bk_http_request_respond (request, 200, "text/plain", body);
}

static void
slow_init (BkDeps   *deps,
           GTask    *task,
           gpointer  user_data)
{
  Fixture *f = user_data;

  bk_http_router_add_route (bk_deps_get (deps, BK_SERVICE_HTTP_ROUTER), "GET", "/ping", ping, NULL, NULL);
  f->slow_init = task;
}

static void
slow_register (BkPluginEnv *env,
               gpointer     user_data)
{
  bk_plugin_env_register_init_async (env, slow_init, user_data, NULL,
                                     BK_SERVICE_HTTP_ROUTER, NULL);
}

/* Fixture ----------------------------------------------------------------------- */

static void
started (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (bk_backend_start_finish (BK_BACKEND (source), result, NULL, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
stopped (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (bk_backend_stop_finish (BK_BACKEND (source), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static gboolean start_done;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  const char *mode = data;

  f->slow = g_strcmp0 (mode, "slow") == 0;
  f->hold_shutdown = g_strcmp0 (mode, "hold-shutdown") == 0;
  f->session = soup_session_new ();
  soup_session_set_proxy_resolver (f->session, NULL);

  f->backend = bk_backend_new_specialized (bk_mock_root_config_factory_new (LOOPBACK_CONFIG),
                                           bk_mock_root_logger_factory_new (),
                                           bk_mock_logger_factory_new (),
                                           bk_mock_root_clock_factory_new (),
                                           bk_service_ref_create_default_factory (BK_SERVICE_ROOT_LIFECYCLE),
                                           bk_service_ref_create_default_factory (BK_SERVICE_LIFECYCLE),
                                           bk_service_ref_create_default_factory (BK_SERVICE_ROOT_HEALTH),
                                           bk_service_ref_create_default_factory (BK_SERVICE_ROOT_HTTP_ROUTER),
                                           bk_service_ref_create_default_factory (BK_SERVICE_HTTP_ROUTER),
                                           NULL);
  bk_backend_add (f->backend, bk_plugin_new ("probe", probe_register, f, NULL));
  bk_backend_add (f->backend, bk_plugin_new ("todo", todo_register, f, NULL));
  if (f->slow)
    bk_backend_add (f->backend, bk_plugin_new ("slow", slow_register, f, NULL));

  start_done = FALSE;
  bk_backend_start_async (f->backend, NULL, started, &start_done);
  if (f->slow)
    {
      /* The slow plugin's init has been called: its router is mounted. */
      wait_for_pointer ((gpointer *) &f->slow_init, "the slow plugin's init");
      g_assert_false (start_done);
      /* Let the other plugins finish, so that only the tests add timers. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  else
    wait_for (&start_done, "the backend to start");
  g_assert_nonnull (f->root_router);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  gboolean done = FALSE;

  if (f->slow_init != NULL)
    {
      complete_task (&f->slow_init);
      wait_for (&start_done, "the backend to start");
    }
  if (!f->stopped)
    {
      bk_backend_stop_async (f->backend, NULL, stopped, &done);
      wait_for (&done, "the backend to stop");
    }

  g_clear_object (&f->held);
  g_clear_object (&f->session);
  g_clear_object (&f->backend);
  g_clear_object (&f->root_router);
  g_clear_object (&f->clock);
}

/* Tests -------------------------------------------------------------------------- */

static void
test_http_router_ref (void)
{
  BkServiceRef *ref = BK_SERVICE_HTTP_ROUTER;

  g_assert_cmpstr (bk_service_ref_get_id (ref), ==, "core.httpRouter");
  g_assert_cmpint (bk_service_ref_get_scope (ref), ==, BK_SERVICE_SCOPE_PLUGIN);
  g_assert_true (bk_service_ref_has_default_factory (ref));
}

static void
test_http_router_get (Fixture       *f,
                      gconstpointer  data)
{
  assert_request (f, "GET", "/api/todo/todos/42", NULL, NULL, 200,
                  "{\"id\":\"42\",\"q\":null,\"path\":\"/todos/42\",\"accept\":null}");
  assert_request (f, "GET", "/api/todo/todos/a%20b?q=x+y&q=z%21", NULL, NULL, 200,
                  "{\"id\":\"a b\",\"q\":\"z!\",\"path\":\"/todos/a b\",\"accept\":null}");
  /* Case and a trailing slash do not matter, as in Express. */
  assert_request (f, "GET", "/api/todo/TODOS/7/", NULL, NULL, 200,
                  "{\"id\":\"7\",\"q\":null,\"path\":\"/TODOS/7/\",\"accept\":null}");
  /* HEAD is answered by the GET route, without a body. */
  assert_request (f, "HEAD", "/api/todo/todos/1", NULL, NULL, 200, "");
  assert_request (f, "DELETE", "/api/todo/todos/1", NULL, NULL, 204, "");
}

static void
test_http_router_header (Fixture       *f,
                         gconstpointer  data)
{
  g_auto(Response) response = { 0 };
  g_autofree char *body = NULL;

  send_request (f, "GET", "/api/todo/todos/1", NULL, NULL, &response);
  soup_message_headers_replace (soup_message_get_request_headers (response.message), "X-Test", "yes");
  wait_for (&response.done, "a request with a header");
  g_assert_no_error (response.error);
  body = bytes_to_string (response.body);
  g_assert_cmpstr (body, ==, "{\"id\":\"1\",\"q\":null,\"path\":\"/todos/1\",\"accept\":\"yes\"}");
  /* The root router's headers are there too. */
  g_assert_nonnull (soup_message_headers_get_one (soup_message_get_response_headers (response.message),
                                                  "X-Request-Id"));
}

static void
test_http_router_post (Fixture       *f,
                       gconstpointer  data)
{
  assert_request (f, "POST", "/api/todo/todos", "application/json", "{\"title\":\"write tests\"}", 201,
                  "{\"created\":{\"title\":\"write tests\"}}");
  assert_request (f, "POST", "/api/todo/todos", "application/json; charset=utf-8", "[1,2]", 201,
                  "{\"created\":[1,2]}");
  assert_request (f, "POST", "/api/todo/todos", "application/merge-patch+json", "{}", 201,
                  "{\"created\":{}}");
}

static void
test_http_router_not_found (Fixture       *f,
                            gconstpointer  data)
{
  assert_request (f, "GET", "/api/todo/nope?x=1", NULL, NULL, 404,
                  ERROR_BODY ("NotFoundError", "Not Found", "GET", "/api/todo/nope?x=1", 404));
  assert_request (f, "GET", "/api/todo", NULL, NULL, 404,
                  ERROR_BODY ("NotFoundError", "Not Found", "GET", "/api/todo", 404));
  assert_request (f, "GET", "/api/todo/todos/1/more", NULL, NULL, 404,
                  ERROR_BODY ("NotFoundError", "Not Found", "GET", "/api/todo/todos/1/more", 404));
  /* Every plugin is mounted, routes or not. */
  assert_request (f, "GET", "/api/probe/x", NULL, NULL, 404,
                  ERROR_BODY ("NotFoundError", "Not Found", "GET", "/api/probe/x", 404));
}

static void
test_http_router_method_not_allowed (Fixture       *f,
                                     gconstpointer  data)
{
  g_auto(Response) response = { 0 };
  g_autofree char *body = NULL;

  send_request (f, "PUT", "/api/todo/todos/1", NULL, NULL, &response);
  wait_for (&response.done, "PUT");
  g_assert_no_error (response.error);
  body = bytes_to_string (response.body);
  g_assert_cmpuint (soup_message_get_status (response.message), ==, 405);
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (response.message), "Allow"),
                   ==, "GET, HEAD, DELETE");
  g_assert_cmpstr (body, ==,
                   ERROR_BODY ("MethodNotAllowedError", "Method PUT is not allowed, allowed: GET, HEAD, DELETE",
                               "PUT", "/api/todo/todos/1", 405));
}

static void
test_http_router_body_errors (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GByteArray) big = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_auto(Response) response = { 0 };
  g_autofree char *body = NULL;

  assert_request (f, "POST", "/api/todo/todos", "text/plain", "{}", 415,
                  ERROR_BODY ("UnsupportedMediaTypeError",
                              "Unsupported content type 'text/plain', expected application/json",
                              "POST", "/api/todo/todos", 415));
  assert_request (f, "POST", "/api/todo/todos", "application/json", "{\"title\":", 400,
                  ERROR_BODY ("InputError",
                              "Invalid JSON in request body: 1:9: Parse error: unexpected end of file, expected character `}'",
                              "POST", "/api/todo/todos", 400));
  assert_request (f, "POST", "/api/todo/todos", "application/json", "", 400,
                  ERROR_BODY ("InputError", "Request body is empty, expected JSON",
                              "POST", "/api/todo/todos", 400));

  /* 1 MiB and a byte, in a JSON string. */
  g_byte_array_append (big, (const guint8 *) "\"", 1);
  for (guint i = 0; i < BK_HTTP_REQUEST_BODY_LIMIT - 1; i++)
    g_byte_array_append (big, (const guint8 *) "x", 1);
  g_byte_array_append (big, (const guint8 *) "\"", 1);
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&big));
  send_request (f, "POST", "/api/todo/todos", "application/json", bytes, &response);
  wait_for (&response.done, "a large body");
  g_assert_no_error (response.error);
  body = bytes_to_string (response.body);
  g_assert_cmpstr (body, ==,
                   ERROR_BODY ("PayloadTooLargeError", "Request body is larger than the limit of 1048576 bytes",
                               "POST", "/api/todo/todos", 413));
  g_assert_cmpuint (soup_message_get_status (response.message), ==, 413);
}

static void
test_http_router_error_mapping (Fixture       *f,
                                gconstpointer  data)
{
  assert_request (f, "GET", "/api/todo/conflict", NULL, NULL, 409,
                  ERROR_BODY ("ConflictError", "Todo already exists", "GET", "/api/todo/conflict", 409));
}

static void
test_http_router_async (Fixture       *f,
                        gconstpointer  data)
{
  assert_request (f, "GET", "/api/todo/async", NULL, NULL, 202, "later");
}

/* A client that goes away: the request's cancellable fires and a late
 * answer is ignored. */
static void
test_http_router_disconnect (Fixture       *f,
                             gconstpointer  data)
{
  g_auto(Response) response = { 0 };
  GSource *guard;

  send_request (f, "GET", "/api/todo/hang", NULL, NULL, &response);
  wait_for_pointer ((gpointer *) &f->held, "the /hang handler");
  g_assert_false (bk_http_request_has_responded (f->held));
  g_assert_false (g_cancellable_is_cancelled (bk_http_request_get_cancellable (f->held)));

  g_cancellable_cancel (response.cancellable);
  wait_for (&response.done, "the client to give up");
  g_assert_error (response.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  guard = guard_new ("the server to notice the client is gone");
  while (!g_cancellable_is_cancelled (bk_http_request_get_cancellable (f->held)))
    g_main_context_iteration (NULL, TRUE);
  guard_free (guard);
  g_assert_true (bk_http_request_has_responded (f->held));
  bk_http_request_respond (f->held, 200, NULL, NULL);
}

/* The request has arrived once its pause timer is set. */
static void
wait_for_pause_timer (Fixture *f,
                      guint    timers)
{
  GSource *guard = guard_new ("the request's pause timer");

  while (bk_mock_clock_get_n_pending (f->clock) != timers + 1)
    g_main_context_iteration (NULL, TRUE);
  guard_free (guard);
}

/* R64: requests before the plugin has started wait for it. */
static void
test_http_router_pause_released (Fixture       *f,
                                 gconstpointer  data)
{
  g_auto(Response) response = { 0 };
  guint timers = bk_mock_clock_get_n_pending (f->clock);
  g_autofree char *body = NULL;

  send_request (f, "GET", "/api/slow/ping", NULL, NULL, &response);
  wait_for_pause_timer (f, timers);
  g_assert_false (response.done);

  complete_task (&f->slow_init);
  wait_for (&response.done, "the paused request");
  g_assert_no_error (response.error);
  body = bytes_to_string (response.body);
  g_assert_cmpuint (soup_message_get_status (response.message), ==, 200);
  g_assert_cmpstr (body, ==, "pong");
  wait_for (&start_done, "the backend to start");

  /* Later requests go straight through. */
  assert_request (f, "GET", "/api/slow/ping", NULL, NULL, 200, "pong");
}

static void
test_http_router_pause_timeout (Fixture       *f,
                                gconstpointer  data)
{
  g_auto(Response) response = { 0 };
  guint timers = bk_mock_clock_get_n_pending (f->clock);
  g_autofree char *body = NULL;

  send_request (f, "GET", "/api/slow/ping", NULL, NULL, &response);
  wait_for_pause_timer (f, timers);

  bk_mock_clock_advance (f->clock, 4999);
  for (int i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (response.done);

  bk_mock_clock_advance (f->clock, 1);
  wait_for (&response.done, "the paused request to time out");
  g_assert_no_error (response.error);
  body = bytes_to_string (response.body);
  g_assert_cmpuint (soup_message_get_status (response.message), ==, 503);
  g_assert_cmpstr (body, ==,
                   ERROR_BODY ("ServiceUnavailableError", "Service has not started up yet",
                               "GET", "/api/slow/ping", 503));
}

/* After the plugin's shutdown hooks: 503. */
static void
test_http_router_shutdown (Fixture       *f,
                           gconstpointer  data)
{
  gboolean done = FALSE;

  assert_request (f, "GET", "/api/todo/todos/1", NULL, NULL, 200,
                  "{\"id\":\"1\",\"q\":null,\"path\":\"/todos/1\",\"accept\":null}");

  /* Plugin shutdown hooks run before the root ones, where the test's
   * hook holds the server up. */
  bk_backend_stop_async (f->backend, NULL, stopped, &done);
  wait_for_pointer ((gpointer *) &f->shutdown_hook, "the root shutdown hook");
  assert_request (f, "GET", "/api/todo/todos/1", NULL, NULL, 503,
                  ERROR_BODY ("ServiceUnavailableError", "Service is shutting down",
                              "GET", "/api/todo/todos/1", 503));
  complete_task (&f->shutdown_hook);
  wait_for (&done, "the backend to stop");
  f->stopped = TRUE;
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/http-router/ref", test_http_router_ref);

#define ADD(path, mode, func) \
  g_test_add ("/http-router/" path, Fixture, mode, fixture_set_up, func, fixture_tear_down)
  ADD ("get", NULL, test_http_router_get);
  ADD ("header", NULL, test_http_router_header);
  ADD ("post", NULL, test_http_router_post);
  ADD ("not-found", NULL, test_http_router_not_found);
  ADD ("method-not-allowed", NULL, test_http_router_method_not_allowed);
  ADD ("body-errors", NULL, test_http_router_body_errors);
  ADD ("error-mapping", NULL, test_http_router_error_mapping);
  ADD ("async", NULL, test_http_router_async);
  ADD ("disconnect", NULL, test_http_router_disconnect);
  ADD ("pause-released", "slow", test_http_router_pause_released);
  ADD ("pause-timeout", "slow", test_http_router_pause_timeout);
  ADD ("shutdown", "hold-shutdown", test_http_router_shutdown);
#undef ADD

  return g_test_run ();
}
