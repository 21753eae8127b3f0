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
  BkHttpRequest    *held_mw;      /* a request the /later middleware keeps */
  BkHttpRouter     *mw_router;    /* the mw plugin's router */
  gboolean          stopped;
} Fixture;

/* What the mw plugin's middleware, hooks and handlers did, in order. */
static GString *trace;

static void
trace_add (const char *format,
           ...) G_GNUC_PRINTF (1, 2);

static void
trace_add (const char *format,
           ...)
{
  va_list args;

  if (trace->len > 0)
    g_string_append_c (trace, ' ');
  va_start (args, format);
  g_string_append_vprintf (trace, format, args);
  va_end (args);
}

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

/* The mw plugin: middleware and nested routers. */

static void
outer_hook (BkHttpRequest *request,
            gpointer       user_data)
{
  g_autofree char *status = g_strdup_printf ("%u", bk_http_request_get_response_status (request));

  trace_add ("%s", (const char *) user_data);
  bk_http_request_set_response_header (request, "X-Status", status);
  bk_http_request_set_response_header (request, "X-Trace", trace->str);
}

static void
trace_hook (BkHttpRequest *request,
            gpointer       user_data)
{
  trace_add ("%s", (const char *) user_data);
}

static void
outer_middleware (BkHttpRequest *request,
                  gpointer       user_data)
{
  trace_add ("outer");
  g_assert_cmpuint (bk_http_request_get_response_status (request), ==, 0);
  bk_http_request_add_response_hook (request, outer_hook, g_strdup ("outer-hook"), g_free);
  bk_http_request_next (request);
}

static void
order_middleware (BkHttpRequest *request,
                  gpointer       user_data)
{
  trace_add ("order");
  bk_http_request_add_response_hook (request, trace_hook, g_strdup ("order-hook"), g_free);
  bk_http_request_next (request);
}

static void
other_middleware (BkHttpRequest *request,
                  gpointer       user_data)
{
  trace_add ("other");
  bk_http_request_next (request);
}

static void
private_middleware (BkHttpRequest *request,
                    gpointer       user_data)
{
  g_autoptr(GError) error = g_error_new_literal (BK_HTTP_ERROR, BK_HTTP_ERROR_NOT_ALLOWED,
                                                 "You shall not pass");

  trace_add ("private");
  bk_http_request_respond_error (request, error);
}

static void
later_middleware (BkHttpRequest *request,
                  gpointer       user_data)
{
  Fixture *f = user_data;

  trace_add ("later");
  g_set_object (&f->held_mw, request);
}

static void
twice_middleware (BkHttpRequest *request,
                  gpointer       user_data)
{
  bk_http_request_next (request);
  bk_http_request_next (request);
}

static void
answer_then_next_middleware (BkHttpRequest *request,
                             gpointer       user_data)
{
  g_autoptr(GBytes) body = g_bytes_new_static ("answered", 8);

  bk_http_request_respond (request, 200, "text/plain", body);
  bk_http_request_next (request);
}

static void
trace_route (BkHttpRequest *request,
             gpointer       user_data)
{
  g_autoptr(GBytes) body = g_bytes_new_static ("ok", 2);

  trace_add ("%s", (const char *) user_data);
  bk_http_request_respond (request, 200, "text/plain", body);
}

static void
child_middleware (BkHttpRequest *request,
                  gpointer       user_data)
{
  trace_add ("child:%s", bk_http_request_get_param (request, "uid"));
  g_assert_null (bk_http_request_get_param (request, "id"));
  bk_http_request_next (request);
}

/* Answers with the parameters it is given, as a JSON object. */
static void
params_route (BkHttpRequest *request,
              gpointer       user_data)
{
  const char * const *names = user_data;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) payload = NULL;

  trace_add ("params");
  json_builder_begin_object (builder);
  for (guint i = 0; names[i] != NULL; i++)
    {
      json_builder_set_member_name (builder, names[i]);
      json_builder_add_string_value (builder, bk_http_request_get_param (request, names[i]));
    }
  json_builder_end_object (builder);
  payload = json_builder_get_root (builder);
  bk_http_request_respond_json (request, 200, payload);
}

static char *uid_id[] = { (char *) "uid", (char *) "id", NULL };
static char *uid_nid[] = { (char *) "uid", (char *) "nid", NULL };

static gboolean
mw_init (BkDeps   *deps,
         gpointer  user_data,
         GError  **error)
{
  Fixture *f = user_data;
  BkHttpRouter *router = bk_deps_get (deps, BK_SERVICE_HTTP_ROUTER);
  g_autoptr(BkHttpRouter) users = bk_http_router_new_nested ();
  g_autoptr(BkHttpRouter) notes = bk_http_router_new_nested ();

  f->mw_router = g_object_ref (router);
  bk_http_router_use (router, NULL, outer_middleware, NULL, NULL);
  bk_http_router_use (router, "/order", order_middleware, NULL, NULL);
  bk_http_router_use (router, "/other", other_middleware, NULL, NULL);
  bk_http_router_use (router, "/private", private_middleware, NULL, NULL);
  bk_http_router_use (router, "/later", later_middleware, f, NULL);
  bk_http_router_use (router, "/twice", twice_middleware, NULL, NULL);
  bk_http_router_use (router, "/answer-then-next", answer_then_next_middleware, NULL, NULL);
  bk_http_router_add_route (router, "GET", "/order", trace_route, (gpointer) "handler", NULL);
  bk_http_router_add_route (router, "GET", "/private/x", trace_route, (gpointer) "private-handler", NULL);
  bk_http_router_add_route (router, "GET", "/later", trace_route, (gpointer) "later-handler", NULL);
  bk_http_router_add_route (router, "GET", "/twice", trace_route, (gpointer) "twice-handler", NULL);
  bk_http_router_add_route (router, "GET", "/answer-then-next", trace_route, (gpointer) "never", NULL);

  /* /users/:uid/todos/:id in two routers, /users/:uid/notes/:nid in three. */
  bk_http_router_add_route (router, "DELETE", "/users/:uid/todos/:id", trace_route, (gpointer) "delete", NULL);
  bk_http_router_use (users, NULL, child_middleware, NULL, NULL);
  bk_http_router_add_route (users, "GET", "/todos/:id", params_route, uid_id, NULL);
  bk_http_router_add_route (notes, "GET", "/", params_route, uid_nid, NULL);
  bk_http_router_mount (users, "/notes/:nid", notes);
  bk_http_router_mount (router, "/users/:uid", users);
  return TRUE;
}

static void
mw_register (BkPluginEnv *env,
             gpointer     user_data)
{
  bk_plugin_env_register_init (env, mw_init, user_data, NULL, BK_SERVICE_HTTP_ROUTER, NULL);
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
  bk_backend_add (f->backend, bk_plugin_new ("mw", mw_register, f, NULL));
  g_string_truncate (trace, 0);
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
  g_clear_object (&f->held_mw);
  g_clear_object (&f->mw_router);
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

  /* 1 MiB and a byte, in a JSON string: the root router's default
   * backend.server.requestBodyLimit refuses it before the handler. */
  g_byte_array_append (big, (const guint8 *) "\"", 1);
  for (guint i = 0; i < 1024 * 1024 - 1; i++)
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


/* Middleware and nested routers ----------------------------------------------------- */

/* Sends a request and waits for its answer; the caller clears @response. */
static void
send_and_wait (Fixture    *f,
               const char *method,
               const char *path,
               Response   *response,
               char      **out_body)
{
  send_request (f, method, path, NULL, NULL, response);
  wait_for (&response->done, path);
  g_assert_no_error (response->error);
  *out_body = bytes_to_string (response->body);
}

static const char *
response_header (Response   *response,
                 const char *name)
{
  return soup_message_headers_get_one (soup_message_get_response_headers (response->message), name);
}

/* Middleware in the order added, then the handler, then the hooks in
 * reverse; a middleware whose prefix does not match does not run. */
static void
test_http_router_middleware_order (Fixture       *f,
                                   gconstpointer  data)
{
  g_auto(Response) response = { 0 };
  g_autofree char *body = NULL;

  send_and_wait (f, "GET", "/api/mw/ORDER", &response, &body);
  g_assert_cmpuint (soup_message_get_status (response.message), ==, 200);
  g_assert_cmpstr (body, ==, "ok");
  g_assert_cmpstr (trace->str, ==, "outer order handler order-hook outer-hook");
  /* The outer hook ran last, and its headers made it into the response. */
  g_assert_cmpstr (response_header (&response, "X-Trace"), ==, trace->str);
  g_assert_cmpstr (response_header (&response, "X-Status"), ==, "200");
}

/* A middleware that answers stops the chain; the hooks still run. */
static void
test_http_router_middleware_short_circuit (Fixture       *f,
                                           gconstpointer  data)
{
  g_auto(Response) response = { 0 };
  g_autofree char *body = NULL;

  send_and_wait (f, "GET", "/api/mw/private/x?y=1", &response, &body);
  g_assert_cmpuint (soup_message_get_status (response.message), ==, 403);
  g_assert_cmpstr (body, ==,
                   ERROR_BODY ("NotAllowedError", "You shall not pass", "GET", "/api/mw/private/x?y=1", 403));
  g_assert_cmpstr (trace->str, ==, "outer private outer-hook");
  g_assert_cmpstr (response_header (&response, "X-Status"), ==, "403");
}

static gboolean
call_next (gpointer user_data)
{
  bk_http_request_next (user_data);
  return G_SOURCE_REMOVE;
}

/* A middleware that goes on later: the request waits until it does. */
static void
test_http_router_middleware_async (Fixture       *f,
                                   gconstpointer  data)
{
  g_auto(Response) response = { 0 };
  g_autofree char *body = NULL;

  send_request (f, "GET", "/api/mw/later", NULL, NULL, &response);
  wait_for_pointer ((gpointer *) &f->held_mw, "the /later middleware");
  for (int i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (response.done);
  g_assert_cmpstr (trace->str, ==, "outer later");

  g_idle_add_full (G_PRIORITY_DEFAULT, call_next, g_object_ref (f->held_mw), g_object_unref);
  wait_for (&response.done, "the request after next");
  g_assert_no_error (response.error);
  body = bytes_to_string (response.body);
  g_assert_cmpuint (soup_message_get_status (response.message), ==, 200);
  g_assert_cmpstr (body, ==, "ok");
  g_assert_cmpstr (trace->str, ==, "outer later later-handler outer-hook");
}

/* The client goes away while a middleware waits: the cancellable fires,
 * and a later next does nothing. */
static void
test_http_router_middleware_disconnect (Fixture       *f,
                                        gconstpointer  data)
{
  g_auto(Response) response = { 0 };
  GSource *guard;

  send_request (f, "GET", "/api/mw/later", NULL, NULL, &response);
  wait_for_pointer ((gpointer *) &f->held_mw, "the /later middleware");
  g_cancellable_cancel (response.cancellable);
  wait_for (&response.done, "the client to give up");

  guard = guard_new ("the server to notice the client is gone");
  while (!g_cancellable_is_cancelled (bk_http_request_get_cancellable (f->held_mw)))
    g_main_context_iteration (NULL, TRUE);
  guard_free (guard);

  bk_http_request_next (f->held_mw);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpstr (trace->str, ==, "outer later");
}

/* The hooks run on the router's own 404 and 405 too. */
static void
test_http_router_middleware_not_found (Fixture       *f,
                                       gconstpointer  data)
{
  g_auto(Response) response = { 0 };
  g_auto(Response) response_405 = { 0 };
  g_autofree char *body = NULL;
  g_autofree char *body_405 = NULL;

  send_and_wait (f, "GET", "/api/mw/nope", &response, &body);
  g_assert_cmpuint (soup_message_get_status (response.message), ==, 404);
  g_assert_cmpstr (body, ==, ERROR_BODY ("NotFoundError", "Not Found", "GET", "/api/mw/nope", 404));
  g_assert_cmpstr (response_header (&response, "X-Status"), ==, "404");
  g_assert_cmpstr (trace->str, ==, "outer outer-hook");

  g_string_truncate (trace, 0);
  send_and_wait (f, "POST", "/api/mw/order", &response_405, &body_405);
  g_assert_cmpuint (soup_message_get_status (response_405.message), ==, 405);
  g_assert_cmpstr (response_header (&response_405, "X-Status"), ==, "405");
  g_assert_cmpstr (response_header (&response_405, "Allow"), ==, "GET, HEAD");
  g_assert_cmpstr (trace->str, ==, "outer order order-hook outer-hook");
}

/* next twice, and next after answering, are programming errors. */
static void
test_http_router_middleware_misuse (Fixture       *f,
                                    gconstpointer  data)
{
  g_test_expect_message ("Bk", G_LOG_LEVEL_CRITICAL,
                         "bk_http_request_next: no middleware is waiting for next on GET /api/mw/twice*");
  assert_request (f, "GET", "/api/mw/twice", NULL, NULL, 200, "ok");
  g_test_assert_expected_messages ();
  g_assert_cmpstr (trace->str, ==, "outer twice-handler outer-hook");

  g_string_truncate (trace, 0);
  g_test_expect_message ("Bk", G_LOG_LEVEL_CRITICAL,
                         "bk_http_request_next: the request GET /api/mw/answer-then-next has already been answered");
  assert_request (f, "GET", "/api/mw/answer-then-next", NULL, NULL, 200, "answered");
  g_test_assert_expected_messages ();
  g_assert_cmpstr (trace->str, ==, "outer outer-hook");
}

/* Parameters of the mounts and of the route, percent-decoded; the
 * parent's middleware before the child's. */
static void
test_http_router_nested_params (Fixture       *f,
                                gconstpointer  data)
{
  assert_request (f, "GET", "/api/mw/users/7/todos/3", NULL, NULL, 200, "{\"uid\":\"7\",\"id\":\"3\"}");
  g_assert_cmpstr (trace->str, ==, "outer child:7 params outer-hook");

  g_string_truncate (trace, 0);
  assert_request (f, "GET", "/api/mw/Users/a%20b/TODOS/c%3Fd/", NULL, NULL, 200,
                  "{\"uid\":\"a b\",\"id\":\"c?d\"}");
  g_assert_cmpstr (trace->str, ==, "outer child:a b params outer-hook");

  /* Three levels, the innermost route being "/". */
  g_string_truncate (trace, 0);
  assert_request (f, "GET", "/api/mw/users/7/notes/9", NULL, NULL, 200, "{\"uid\":\"7\",\"nid\":\"9\"}");
  g_assert_cmpstr (trace->str, ==, "outer child:7 params outer-hook");

  /* A path that leads into the nested router but matches nothing there. */
  g_string_truncate (trace, 0);
  assert_request (f, "GET", "/api/mw/users/7/nope", NULL, NULL, 404,
                  ERROR_BODY ("NotFoundError", "Not Found", "GET", "/api/mw/users/7/nope", 404));
  g_assert_cmpstr (trace->str, ==, "outer child:7 outer-hook");
}

/* 405 when the path matches in any router; Allow lists them all. */
static void
test_http_router_nested_method_not_allowed (Fixture       *f,
                                            gconstpointer  data)
{
  g_auto(Response) response = { 0 };
  g_autofree char *body = NULL;

  send_and_wait (f, "PUT", "/api/mw/users/7/todos/3", &response, &body);
  g_assert_cmpuint (soup_message_get_status (response.message), ==, 405);
  g_assert_cmpstr (response_header (&response, "Allow"), ==, "DELETE, GET, HEAD");
  g_assert_cmpstr (body, ==,
                   ERROR_BODY ("MethodNotAllowedError", "Method PUT is not allowed, allowed: DELETE, GET, HEAD",
                               "PUT", "/api/mw/users/7/todos/3", 405));

  /* The parent's route answers its own method. */
  g_string_truncate (trace, 0);
  assert_request (f, "DELETE", "/api/mw/users/7/todos/3", NULL, NULL, 200, "ok");
  g_assert_cmpstr (trace->str, ==, "outer delete outer-hook");
}

/* Mounting into itself, into a descendant, twice, or a plugin's router:
 * refused, nothing mounted. */
static void
test_http_router_nested_refused (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(BkHttpRouter) a = bk_http_router_new_nested ();
  g_autoptr(BkHttpRouter) b = bk_http_router_new_nested ();
  g_autoptr(BkHttpRouter) c = bk_http_router_new_nested ();
  g_autoptr(BkHttpRouter) d = NULL;

  bk_http_router_mount (a, "/b", b);
  bk_http_router_mount (b, "/c", c);
  g_assert_cmpuint (G_OBJECT (b)->ref_count, ==, 2);

  g_test_expect_message ("Bk", G_LOG_LEVEL_CRITICAL,
                         "*cannot mount a router into itself (at '/a')");
  bk_http_router_mount (a, "/a", a);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Bk", G_LOG_LEVEL_CRITICAL,
                         "*cannot mount a router at '/a' into one of its own descendants");
  bk_http_router_mount (c, "/a", a);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (G_OBJECT (a)->ref_count, ==, 1);

  g_test_expect_message ("Bk", G_LOG_LEVEL_CRITICAL,
                         "*cannot mount a router at '/again': it is already mounted at '/c'");
  bk_http_router_mount (a, "/again", c);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (G_OBJECT (c)->ref_count, ==, 2);

  g_test_expect_message ("Bk", G_LOG_LEVEL_CRITICAL,
                         "*cannot mount a router at '/p': only a router made with bk_http_router_new_nested() can be mounted");
  bk_http_router_mount (a, "/p", f->mw_router);
  g_test_assert_expected_messages ();

  /* Once its parent is gone, a router may be mounted again. */
  g_clear_object (&a);
  g_assert_cmpuint (G_OBJECT (b)->ref_count, ==, 1);
  d = bk_http_router_new_nested ();
  bk_http_router_mount (d, "/b", b);
  g_assert_cmpuint (G_OBJECT (b)->ref_count, ==, 2);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  trace = g_string_new (NULL);

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
  ADD ("middleware/order", NULL, test_http_router_middleware_order);
  ADD ("middleware/short-circuit", NULL, test_http_router_middleware_short_circuit);
  ADD ("middleware/async", NULL, test_http_router_middleware_async);
  ADD ("middleware/disconnect", NULL, test_http_router_middleware_disconnect);
  ADD ("middleware/not-found", NULL, test_http_router_middleware_not_found);
  ADD ("middleware/misuse", NULL, test_http_router_middleware_misuse);
  ADD ("nested/params", NULL, test_http_router_nested_params);
  ADD ("nested/method-not-allowed", NULL, test_http_router_nested_method_not_allowed);
  ADD ("nested/refused", NULL, test_http_router_nested_refused);
#undef ADD

  status = g_test_run ();
  g_string_free (trace, TRUE);
  return status;
}
