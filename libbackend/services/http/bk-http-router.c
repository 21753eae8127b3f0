/* bk-http-router.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkHttpRouter:
 *
 * The `core.httpRouter` service: a plugin's HTTP routes, served under
 * `/api/<pluginId>` by `core.rootHttpRouter`.
 *
 * ```c
 * static void
 * get_todo (BkHttpRequest *request, gpointer user_data)
 * {
 *   const char *id = bk_http_request_get_param (request, "id");
 *   g_autoptr(JsonNode) todo = todo_store_lookup (user_data, id);
 *
 *   if (todo == NULL)
 *     {
 *       g_autoptr(GError) error = g_error_new (BK_HTTP_ERROR, BK_HTTP_ERROR_NOT_FOUND,
 *                                              "No todo with id %s", id);
 *       bk_http_request_respond_error (request, error);
 *       return;
 *     }
 *   bk_http_request_respond_json (request, 200, todo);
 * }
 *
 * bk_http_router_add_route (bk_deps_get (deps, BK_SERVICE_HTTP_ROUTER),
 *                           "GET", "/todos/:id", get_todo, store, NULL);
 * ```
 *
 * The default implementation, which [ctor@Bk.Backend.new] includes, is
 * made for every plugin (its initialization is
 * %BK_SERVICE_INITIALIZATION_ALWAYS, as in Backstage), so every plugin
 * mounts `/api/<pluginId>` on the root router, whether it adds routes or
 * not:
 *
 * - **Routes.** A path pattern is a list of segments separated by `/`;
 *   a segment `:name` takes any one segment of the request path, which
 *   [method@Bk.HttpRequest.get_param] returns (percent-decoded). Other
 *   segments match ignoring ASCII case, and empty segments (a trailing or
 *   doubled slash) are ignored, as Express does by default. The method
 *   must match exactly, except that a `GET` route also answers `HEAD`.
 *   The first route added that matches wins.
 * - A request under the plugin that no route's path matches is answered
 *   404 with Backstage's error body (`NotFoundError`, `Not Found`); one
 *   whose path matches but not its method is answered 405
 *   (`MethodNotAllowedError`) with an `Allow` header listing the methods
 *   of the routes that match the path.
 * - **Handlers** run on the backend's main context, and may answer after
 *   they return: keep a reference to the #BkHttpRequest and respond later;
 *   the request waits (its message is paused) until then. If the client
 *   goes away first, the request's cancellable
 *   ([method@Bk.HttpRequest.get_cancellable]) is cancelled and a later
 *   response is ignored.
 * - **Startup and shutdown** (Backstage's lifecycle middleware). Requests
 *   that arrive before the plugin's `core.lifecycle` startup hooks run
 *   wait, and are dispatched when they do. A request still waiting after
 *   `backend.lifecycle.startupRequestPauseTimeout` (a duration, 5 seconds
 *   by default; timed on `core.rootClock`) is answered 503
 *   `ServiceUnavailableError` `Service has not started up yet`. Once the
 *   plugin's shutdown hooks have run, requests are answered 503
 *   `Service is shutting down`.
 * - **Middleware** added with [method@Bk.HttpRouter.use] runs before the
 *   routes, in the order added, for the requests under its path prefix
 *   (all of them when the prefix is %NULL). Each middleware answers the
 *   request, which then goes no further, or passes it on with
 *   [method@Bk.HttpRequest.next], at once or later. Code that should run
 *   on the response (whatever answered it: a handler, a middleware, or the
 *   router's own 404 and 405) is added with
 *   [method@Bk.HttpRequest.add_response_hook]. A request that no route
 *   answers still goes through the middleware, then gets its 404 or 405.
 * - **Nested routers**, made with [func@Bk.HttpRouter.new_nested], have
 *   routes and middleware of their own and are mounted under a path
 *   pattern with [method@Bk.HttpRouter.mount]: `/users/:uid` mounted on the
 *   plugin's router serves `/api/<pluginId>/users/42/…`, and the mount's
 *   parameters (`uid`) are visible to the nested router's middleware and
 *   handlers together with their own. Routes and mounts are tried in the
 *   order they were added, depth first; the middleware of every router on
 *   the way to the route runs, outer routers' first. A 405 is answered
 *   when the path matches a route in any of the routers but not its
 *   method, and its `Allow` header lists the methods of all of them.
 * - **Auth policies** added with [method@Bk.HttpRouter.add_auth_policy]
 *   are only recorded for now: the auth service that enforces them comes
 *   later, and until then every route is reachable without credentials.
 *
 * See `docs/http-middleware.md` for examples of middleware and nested
 * routers.
 *
 * Since: 0.1
 */

/**
 * BkHttpRequest:
 *
 * A request to a route of a [iface@Bk.HttpRouter], and its answer.
 *
 * A handler reads the request ([method@Bk.HttpRequest.get_param],
 * [method@Bk.HttpRequest.get_query], [method@Bk.HttpRequest.dup_body_json],
 * …) and answers once with [method@Bk.HttpRequest.respond],
 * [method@Bk.HttpRequest.respond_json] or
 * [method@Bk.HttpRequest.respond_error]; answers after the first, and
 * answers after the client has gone away, are ignored. An asynchronous
 * handler keeps a reference with g_object_ref() and answers when its work
 * is done. Every error answer goes through [func@Bk.http_error_to_status]
 * and [func@Bk.http_error_to_json], so it has Backstage's error body.
 *
 * A middleware ([method@Bk.HttpRouter.use]) answers the same way, or passes
 * the request on with [method@Bk.HttpRequest.next], and may add hooks that
 * run just before the response is sent
 * ([method@Bk.HttpRequest.add_response_hook]).
 *
 * Not thread-safe: use it on the backend's main context.
 *
 * Since: 0.1
 */

#include "libbackend.h"
#include "bk-services-private.h"
#include "bk-duration-private.h"
#include "bk-http-private.h"

#define DEFAULT_STARTUP_PAUSE_TIMEOUT_MS 5000

/* Interface -------------------------------------------------------------------- */

G_DEFINE_INTERFACE (BkHttpRouter, bk_http_router, G_TYPE_OBJECT)

static void
bk_http_router_default_init (BkHttpRouterInterface *iface)
{
}

/**
 * bk_http_router_add_route:
 * @self: a #BkHttpRouter
 * @method: the HTTP method, such as `GET` or `POST` (compared exactly;
 *   a `GET` route also answers `HEAD`)
 * @path_pattern: the path under the plugin's mount, such as `/todos/:id`
 * @handler: (scope notified) (closure user_data) (destroy destroy): the
 *   handler for matching requests
 * @user_data: data for @handler
 * @destroy: (nullable): frees @user_data once the router drops @handler
 *
 * Adds a route: requests with @method whose path under `/api/<pluginId>`
 * matches @path_pattern go to @handler. Segments of @path_pattern that
 * start with `:` are parameters, read with
 * [method@Bk.HttpRequest.get_param].
 *
 * Since: 0.1
 */
void
bk_http_router_add_route (BkHttpRouter      *self,
                          const char        *method,
                          const char        *path_pattern,
                          BkHttpHandlerFunc  handler,
                          gpointer           user_data,
                          GDestroyNotify     destroy)
{
  BkHttpRouterInterface *iface;

  g_return_if_fail (BK_IS_HTTP_ROUTER (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (path_pattern != NULL);
  g_return_if_fail (handler != NULL);

  iface = BK_HTTP_ROUTER_GET_IFACE (self);
  g_return_if_fail (iface->add_route != NULL);

  iface->add_route (self, method, path_pattern, handler, user_data, destroy);
}

/**
 * bk_http_router_add_auth_policy:
 * @self: a #BkHttpRouter
 * @path: the path under the plugin's mount the policy covers (and the
 *   paths under it); `/` covers every route
 * @allow: what the policy allows
 *
 * Records that requests to @path (or under it) are allowed without
 * credentials, or with a user cookie only, as Backstage's
 * `httpRouter.addAuthPolicy ({ path, allow })`.
 *
 * Policies are only recorded for now: they are enforced once the auth
 * service is available (until then no route requires credentials).
 *
 * Since: 0.1
 */
void
bk_http_router_add_auth_policy (BkHttpRouter          *self,
                                const char            *path,
                                BkHttpAuthPolicyAllow  allow)
{
  BkHttpRouterInterface *iface;

  g_return_if_fail (BK_IS_HTTP_ROUTER (self));
  g_return_if_fail (path != NULL);

  iface = BK_HTTP_ROUTER_GET_IFACE (self);
  g_return_if_fail (iface->add_auth_policy != NULL);

  iface->add_auth_policy (self, path, allow);
}

/**
 * bk_http_router_use:
 * @self: a #BkHttpRouter
 * @path_prefix: (nullable): the path under the router's mount that the
 *   middleware covers (and the paths under it), with `:name` parameters as
 *   in route patterns; %NULL or `/` for every request
 * @func: (scope notified) (closure user_data) (destroy destroy): the middleware
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data once the router (and every request
 *   still using @func) drops it
 *
 * Adds a middleware, as Express's `router.use (path, fn)`: it runs before
 * the routes for the requests under @path_prefix, after the middleware
 * added before it, and after the middleware of the routers this one is
 * mounted in. It answers the request, or calls
 * [method@Bk.HttpRequest.next] to pass it on (possibly later: the request
 * waits meanwhile, and its cancellable fires if the client goes away).
 * The parameters of @path_prefix and of the mounts above are readable with
 * [method@Bk.HttpRequest.get_param] while the middleware runs.
 *
 * ```c
 * static void
 * add_version (BkHttpRequest *request, gpointer user_data)
 * {
 *   bk_http_request_set_response_header (request, "X-Api-Version", "2");
 *   bk_http_request_next (request);
 * }
 *
 * bk_http_router_use (router, NULL, add_version, NULL, NULL);
 * ```
 *
 * Since: 0.1
 */
void
bk_http_router_use (BkHttpRouter         *self,
                    const char           *path_prefix,
                    BkHttpMiddlewareFunc  func,
                    gpointer              user_data,
                    GDestroyNotify        destroy)
{
  BkHttpRouterInterface *iface;

  g_return_if_fail (BK_IS_HTTP_ROUTER (self));
  g_return_if_fail (func != NULL);

  iface = BK_HTTP_ROUTER_GET_IFACE (self);
  g_return_if_fail (iface->use != NULL);

  iface->use (self, path_prefix, func, user_data, destroy);
}

/**
 * bk_http_router_mount:
 * @self: a #BkHttpRouter
 * @path_pattern: where to mount @child under @self's mount, such as
 *   `/users/:uid` (`:name` segments are parameters, as in route patterns)
 * @child: a router made with [func@Bk.HttpRouter.new_nested]
 *
 * Mounts @child under @self: a request whose path under @self starts with
 * @path_pattern goes on, with the rest of its path, to @child's middleware
 * and routes, which also see the parameters of @path_pattern. @self keeps
 * a reference to @child; routes and middleware may still be added to
 * @child afterwards.
 *
 * Mounting a router into itself or into one of its descendants, mounting
 * a router that is already mounted, and mounting a plugin's own router
 * are programming errors: they are refused with a critical warning and
 * nothing is mounted.
 *
 * Since: 0.1
 */
void
bk_http_router_mount (BkHttpRouter *self,
                      const char   *path_pattern,
                      BkHttpRouter *child)
{
  BkHttpRouterInterface *iface;

  g_return_if_fail (BK_IS_HTTP_ROUTER (self));
  g_return_if_fail (path_pattern != NULL);
  g_return_if_fail (BK_IS_HTTP_ROUTER (child));

  iface = BK_HTTP_ROUTER_GET_IFACE (self);
  g_return_if_fail (iface->mount != NULL);

  iface->mount (self, path_pattern, child);
}

/* Requests ---------------------------------------------------------------------- */

typedef struct _BkDefaultHttpRouter BkDefaultHttpRouter;

struct _BkHttpRequest
{
  GObject              parent_instance;

  SoupServerMessage   *message;
  char                *path;         /* relative to the mount, at least "/" */
  char                *url;          /* path and query as sent */
  GHashTable          *params;       /* (nullable) */
  GHashTable          *query;        /* (nullable), parsed when first asked */
  GCancellable        *cancellable;

  gboolean             live;         /* holds a reference until the message is gone */
  gboolean             responded;
  gboolean             paused;
  gboolean             gone;
  GSource             *watch;        /* (nullable) notices a client hanging up while paused */

  /* While waiting for the plugin to start. */
  BkDefaultHttpRouter *pending_router; /* (unowned) */
  BkClock             *clock;          /* (nullable) */
  guint                timer_id;

  /* Dispatch: the middleware to run, then the route or the 404/405. */
  GPtrArray           *steps;        /* (nullable) (element-type Step) */
  guint                next_step;
  gboolean             waiting_next; /* a middleware has not called next yet */
  gboolean             running;      /* inside a step's function */
  GPtrArray           *hooks;        /* (nullable) (element-type Hook) */
};

typedef struct
{
  BkHttpResponseHookFunc func;
  gpointer               user_data;
  GDestroyNotify         destroy;
} Hook;

static void
hook_free (gpointer data)
{
  Hook *hook = data;

  if (hook->destroy != NULL)
    hook->destroy (hook->user_data);
  g_free (hook);
}

G_DEFINE_FINAL_TYPE (BkHttpRequest, bk_http_request, G_TYPE_OBJECT)

static void request_leave_pending (BkHttpRequest *self);

static void
request_unwatch (BkHttpRequest *self)
{
  if (self->watch != NULL)
    {
      g_source_destroy (self->watch);
      g_clear_pointer (&self->watch, g_source_unref);
    }
}

static void
bk_http_request_dispose (GObject *object)
{
  BkHttpRequest *self = BK_HTTP_REQUEST (object);

  request_unwatch (self);
  if (self->message != NULL)
    g_signal_handlers_disconnect_by_data (self->message, self);
  g_clear_object (&self->message);
  g_clear_object (&self->clock);
  g_clear_pointer (&self->steps, g_ptr_array_unref);
  g_clear_pointer (&self->hooks, g_ptr_array_unref);

  G_OBJECT_CLASS (bk_http_request_parent_class)->dispose (object);
}

static void
bk_http_request_finalize (GObject *object)
{
  BkHttpRequest *self = BK_HTTP_REQUEST (object);

  g_free (self->path);
  g_free (self->url);
  g_clear_pointer (&self->params, g_hash_table_unref);
  g_clear_pointer (&self->query, g_hash_table_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (bk_http_request_parent_class)->finalize (object);
}

static void
bk_http_request_class_init (BkHttpRequestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bk_http_request_dispose;
  object_class->finalize = bk_http_request_finalize;
}

static void
bk_http_request_init (BkHttpRequest *self)
{
  self->cancellable = g_cancellable_new ();
}

/* The message is done with: answered and sent, or the client went away. */
static void
on_message_gone (SoupServerMessage *message,
                 gpointer           user_data)
{
  BkHttpRequest *self = user_data;

  if (self->gone)
    return;
  self->gone = TRUE;
  self->paused = FALSE;
  request_unwatch (self);
  g_signal_handlers_disconnect_by_data (message, self);

  request_leave_pending (self);
  /* No response is sent: the hooks never run. */
  g_clear_pointer (&self->hooks, g_ptr_array_unref);
  if (!self->responded)
    g_cancellable_cancel (self->cancellable);

  if (self->live)
    {
      self->live = FALSE;
      g_object_unref (self);
    }
}

static BkHttpRequest *
request_new (SoupServerMessage *message,
             const char        *relative_path)
{
  BkHttpRequest *self = g_object_new (BK_TYPE_HTTP_REQUEST, NULL);

  self->message = g_object_ref (message);
  self->path = g_strdup (relative_path[0] != '\0' ? relative_path : "/");
  self->url = _bk_http_dup_request_url (message);

  /* The message keeps the request until it is finished or dropped. */
  self->live = TRUE;
  g_object_ref (self);
  g_signal_connect (message, "finished", G_CALLBACK (on_message_gone), self);
  g_signal_connect (message, "disconnected", G_CALLBACK (on_message_gone), self);
  return self;
}

/* libsoup does not read from a connection whose message is paused, so it
 * does not notice the client hanging up: watch the socket meanwhile. */
static gboolean
on_socket_event (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  BkHttpRequest *self = user_data;
  gboolean was_paused;

  if ((condition & (G_IO_HUP | G_IO_ERR)) == 0)
    {
      char byte;
      GInputVector vector = { &byte, 1 };
      int flags = G_SOCKET_MSG_PEEK;
      g_autoptr(GError) error = NULL;
      gssize n;

      n = g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags, NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
      if (n > 0)
        {
          /* The client sent more (a pipelined request): it is still there,
           * and this cannot tell any more. */
          g_clear_pointer (&self->watch, g_source_unref);
          return G_SOURCE_REMOVE;
        }
    }

  /* End of stream or an error: the client is gone. */
  g_clear_pointer (&self->watch, g_source_unref);
  g_object_ref (self);
  was_paused = self->paused;
  on_message_gone (self->message, self);
  if (was_paused)
    {
      /* Let libsoup finish the message and drop the connection; there is
       * no one to read the status (nginx's 499 for the access log). */
      soup_server_message_set_status (self->message, 499, "Client Closed Request");
      soup_server_message_unpause (self->message);
    }
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
request_pause (BkHttpRequest *self)
{
  GSocket *socket;

  if (self->paused || self->responded || self->gone)
    return;
  self->paused = TRUE;
  soup_server_message_pause (self->message);

  socket = soup_server_message_get_socket (self->message);
  if (socket != NULL && self->watch == NULL)
    {
      self->watch = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (self->watch, G_SOURCE_FUNC (on_socket_event), self, NULL);
      g_source_attach (self->watch, g_main_context_get_thread_default ());
    }
}

/* Whether a response may be set now; marks the request answered. */
static gboolean
request_begin_response (BkHttpRequest *self)
{
  if (self->responded || self->gone)
    return FALSE;
  self->responded = TRUE;
  return TRUE;
}

/* Runs the response hooks, innermost (last added) first, each once. */
static void
request_run_hooks (BkHttpRequest *self)
{
  g_autoptr(GPtrArray) hooks = g_steal_pointer (&self->hooks);

  if (hooks == NULL)
    return;
  for (guint i = hooks->len; i > 0; i--)
    {
      Hook *hook = g_ptr_array_index (hooks, i - 1);

      hook->func (self, hook->user_data);
    }
}

static void
request_end_response (BkHttpRequest *self)
{
  request_run_hooks (self);
  request_unwatch (self);
  if (self->paused)
    {
      self->paused = FALSE;
      soup_server_message_unpause (self->message);
    }
}

/**
 * bk_http_request_get_method:
 * @self: a #BkHttpRequest
 *
 * Gets the request's method, such as `GET`.
 *
 * Returns: (transfer none): the method
 *
 * Since: 0.1
 */
const char *
bk_http_request_get_method (BkHttpRequest *self)
{
  g_return_val_if_fail (BK_IS_HTTP_REQUEST (self), NULL);

  return soup_server_message_get_method (self->message);
}

/**
 * bk_http_request_get_path:
 * @self: a #BkHttpRequest
 *
 * Gets the request's path relative to the plugin's mount, without the
 * query and percent-decoded (as libsoup gives it): `/todos/1` for a request to
 * `/api/todo/todos/1?x=y`, `/` for one to `/api/todo`.
 *
 * Returns: (transfer none): the path
 *
 * Since: 0.1
 */
const char *
bk_http_request_get_path (BkHttpRequest *self)
{
  g_return_val_if_fail (BK_IS_HTTP_REQUEST (self), NULL);

  return self->path;
}

/**
 * bk_http_request_get_param:
 * @self: a #BkHttpRequest
 * @name: a parameter of the route's path pattern, without the `:`
 *
 * Gets the value of a path parameter: for the pattern `/todos/:id` and the
 * path `/todos/a%20b`, the parameter `id` is `a b` (percent-decoded, as the
 * whole path is). A handler sees the parameters of its route and of the
 * patterns its nested routers are mounted under
 * ([method@Bk.HttpRouter.mount]); a middleware, those of its prefix and of
 * the mounts above it. When two have the same name, the innermost wins.
 *
 * Returns: (transfer none) (nullable): the value, or %NULL if the route
 *   has no such parameter
 *
 * Since: 0.1
 */
const char *
bk_http_request_get_param (BkHttpRequest *self,
                           const char    *name)
{
  g_return_val_if_fail (BK_IS_HTTP_REQUEST (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (self->params == NULL)
    return NULL;
  return g_hash_table_lookup (self->params, name);
}

/**
 * bk_http_request_get_query:
 * @self: a #BkHttpRequest
 * @name: a query parameter
 *
 * Gets a parameter of the request's query string, decoded as a form
 * (`+` is a space, `%xx` escapes decoded). When a parameter is repeated,
 * the last value wins.
 *
 * Returns: (transfer none) (nullable): the value, or %NULL if the query
 *   has no such parameter
 *
 * Since: 0.1
 */
const char *
bk_http_request_get_query (BkHttpRequest *self,
                           const char    *name)
{
  g_return_val_if_fail (BK_IS_HTTP_REQUEST (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (self->query == NULL)
    {
      const char *query = g_uri_get_query (soup_server_message_get_uri (self->message));

      if (query != NULL)
        self->query = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
      if (self->query == NULL)
        self->query = g_hash_table_new (g_str_hash, g_str_equal);
    }
  return g_hash_table_lookup (self->query, name);
}

/**
 * bk_http_request_get_header:
 * @self: a #BkHttpRequest
 * @name: a header name (compared ignoring case)
 *
 * Gets a request header. A header sent several times is joined with
 * commas, as soup_message_headers_get_list() does.
 *
 * Returns: (transfer none) (nullable): the value, or %NULL if the request
 *   does not have the header
 *
 * Since: 0.1
 */
const char *
bk_http_request_get_header (BkHttpRequest *self,
                            const char    *name)
{
  g_return_val_if_fail (BK_IS_HTTP_REQUEST (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return soup_message_headers_get_list (soup_server_message_get_request_headers (self->message), name);
}

gboolean
_bk_http_is_json_content_type (const char *content_type)
{
  if (content_type == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (content_type, "application/json") == 0)
    return TRUE;
  /* application/<anything>+json */
  return g_ascii_strncasecmp (content_type, "application/", strlen ("application/")) == 0 &&
         strlen (content_type) > strlen ("+json") &&
         g_ascii_strcasecmp (content_type + strlen (content_type) - strlen ("+json"), "+json") == 0;
}

/**
 * bk_http_request_dup_body_json:
 * @self: a #BkHttpRequest
 * @error: return location for a #GError
 *
 * Parses the request body as JSON. Fails, in the %BK_HTTP_ERROR domain so
 * that the handler can answer with [method@Bk.HttpRequest.respond_error]:
 *
 * - %BK_HTTP_ERROR_UNSUPPORTED_MEDIA_TYPE (415) when the `Content-Type` is
 *   not `application/json` (or `application/<type>+json`):
 *   `Unsupported content type 'text/plain', expected application/json`;
 * - %BK_HTTP_ERROR_INPUT (400) for an empty body
 *   (`Request body is empty, expected JSON`) or one that is not JSON:
 *   `Invalid JSON in request body: <line>:<column>: <parser message>`.
 *
 * Returns: (transfer full): the body, or %NULL on failure
 *
 * Since: 0.1
 */
JsonNode *
bk_http_request_dup_body_json (BkHttpRequest  *self,
                               GError        **error)
{
  SoupMessageHeaders *headers;
  SoupMessageBody *body;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *content_type;
  gconstpointer data;
  gsize size = 0;

  g_return_val_if_fail (BK_IS_HTTP_REQUEST (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  headers = soup_server_message_get_request_headers (self->message);
  content_type = soup_message_headers_get_content_type (headers, NULL);
  if (!_bk_http_is_json_content_type (content_type))
    {
      g_set_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_UNSUPPORTED_MEDIA_TYPE,
                   "Unsupported content type '%s', expected application/json",
                   content_type != NULL ? content_type : "");
      return NULL;
    }

  /* The root router has answered 413 to bodies over
   * backend.server.requestBodyLimit before any handler runs. */
  body = soup_server_message_get_request_body (self->message);
  bytes = soup_message_body_flatten (body);
  data = g_bytes_get_data (bytes, &size);
  if (size == 0)
    {
      g_set_error_literal (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT,
                           "Request body is empty, expected JSON");
      return NULL;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) size, &local_error))
    {
      const char *detail = local_error->message;

      /* json-glib names the input "<data>": keep only line:column. */
      if (g_str_has_prefix (detail, "<data>:"))
        detail += strlen ("<data>:");
      g_set_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT,
                   "Invalid JSON in request body: %s", detail);
      return NULL;
    }
  return json_parser_steal_root (parser);
}

/**
 * bk_http_request_get_cancellable:
 * @self: a #BkHttpRequest
 *
 * Gets a cancellable that is cancelled when the client goes away before
 * the request is answered, for an asynchronous handler to stop its work.
 *
 * Returns: (transfer none): the cancellable
 *
 * Since: 0.1
 */
GCancellable *
bk_http_request_get_cancellable (BkHttpRequest *self)
{
  g_return_val_if_fail (BK_IS_HTTP_REQUEST (self), NULL);

  return self->cancellable;
}

/**
 * bk_http_request_get_message:
 * @self: a #BkHttpRequest
 *
 * Gets libsoup's message, for what #BkHttpRequest does not offer (such as
 * the remote address). Answer through the #BkHttpRequest rather than the
 * message, so that pausing and disconnection are handled.
 *
 * Returns: (transfer none): the message
 *
 * Since: 0.1
 */
SoupServerMessage *
bk_http_request_get_message (BkHttpRequest *self)
{
  g_return_val_if_fail (BK_IS_HTTP_REQUEST (self), NULL);

  return self->message;
}

/**
 * bk_http_request_has_responded:
 * @self: a #BkHttpRequest
 *
 * Whether the request has been answered, or can no longer be because the
 * client went away.
 *
 * Returns: %TRUE once a response is set or the client is gone
 *
 * Since: 0.1
 */
gboolean
bk_http_request_has_responded (BkHttpRequest *self)
{
  g_return_val_if_fail (BK_IS_HTTP_REQUEST (self), FALSE);

  return self->responded || self->gone;
}

/**
 * bk_http_request_respond:
 * @self: a #BkHttpRequest
 * @status: the HTTP status
 * @content_type: (nullable): the body's content type;
 *   `application/octet-stream` when %NULL and there is a body
 * @body: (nullable): the body, or %NULL for none
 *
 * Answers the request. Does nothing if it was answered already or the
 * client has gone away.
 *
 * Since: 0.1
 */
void
bk_http_request_respond (BkHttpRequest *self,
                         guint          status,
                         const char    *content_type,
                         GBytes        *body)
{
  g_return_if_fail (BK_IS_HTTP_REQUEST (self));

  if (!request_begin_response (self))
    return;

  soup_server_message_set_status (self->message, status, NULL);
  if (body != NULL)
    {
      gsize size = 0;
      gconstpointer data = g_bytes_get_data (body, &size);

      soup_server_message_set_response (self->message,
                                        content_type != NULL ? content_type : "application/octet-stream",
                                        SOUP_MEMORY_COPY, data, size);
    }
  request_end_response (self);
}

/**
 * bk_http_request_respond_json:
 * @self: a #BkHttpRequest
 * @status: the HTTP status
 * @payload: the body
 *
 * Answers the request with @payload as `application/json; charset=utf-8`.
 * Does nothing if it was answered already or the client has gone away.
 *
 * Since: 0.1
 */
void
bk_http_request_respond_json (BkHttpRequest *self,
                              guint          status,
                              JsonNode      *payload)
{
  g_return_if_fail (BK_IS_HTTP_REQUEST (self));
  g_return_if_fail (payload != NULL);

  if (!request_begin_response (self))
    return;

  _bk_http_set_json_response (self->message, status, payload);
  request_end_response (self);
}

/**
 * bk_http_request_respond_error:
 * @self: a #BkHttpRequest
 * @error: the error to answer with
 *
 * Answers the request with the status [func@Bk.http_error_to_status] maps
 * @error to and Backstage's error body ([func@Bk.http_error_to_json]):
 * `{"error":{"name":"NotFoundError","message":"…"},"request":{…},"response":{"statusCode":404}}`.
 * Does nothing if it was answered already or the client has gone away.
 *
 * Since: 0.1
 */
void
bk_http_request_respond_error (BkHttpRequest *self,
                               const GError  *error)
{
  g_autoptr(JsonNode) payload = NULL;

  g_return_if_fail (BK_IS_HTTP_REQUEST (self));
  g_return_if_fail (error != NULL);

  if (self->responded || self->gone)
    return;

  payload = bk_http_error_to_json (error, soup_server_message_get_method (self->message), self->url);
  bk_http_request_respond_json (self, bk_http_error_to_status (error), payload);
}

static void
respond_new_error (BkHttpRequest *self,
                   BkHttpError    code,
                   const char    *message)
{
  g_autoptr(GError) error = g_error_new_literal (BK_HTTP_ERROR, code, message);

  bk_http_request_respond_error (self, error);
}

/**
 * bk_http_request_add_response_hook:
 * @self: a #BkHttpRequest
 * @func: (scope notified) (closure user_data) (destroy destroy): the hook
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data after @func has run, or once the
 *   request is done with if it never does
 *
 * Adds a hook that runs once, just before the response is sent, whatever
 * answered the request: a handler, a middleware, an error answer, or the
 * router's own 404 or 405. Hooks run in the reverse order of adding, so
 * the innermost middleware's hook runs first, as code after `await next()`
 * would. A hook reads the status with
 * [method@Bk.HttpRequest.get_response_status] and may add headers with
 * [method@Bk.HttpRequest.set_response_header]; it can no longer answer.
 * If the client goes away before the answer, the hooks do not run.
 *
 * Adding a hook after the request was answered is a programming error.
 *
 * Since: 0.1
 */
void
bk_http_request_add_response_hook (BkHttpRequest          *self,
                                   BkHttpResponseHookFunc  func,
                                   gpointer                user_data,
                                   GDestroyNotify          destroy)
{
  Hook *hook;

  g_return_if_fail (BK_IS_HTTP_REQUEST (self));
  g_return_if_fail (func != NULL);

  if (self->responded || self->gone)
    {
      if (self->responded)
        g_critical ("%s: the request %s %s has already been answered",
                    G_STRFUNC, soup_server_message_get_method (self->message), self->url);
      if (destroy != NULL)
        destroy (user_data);
      return;
    }

  hook = g_new0 (Hook, 1);
  hook->func = func;
  hook->user_data = user_data;
  hook->destroy = destroy;
  if (self->hooks == NULL)
    self->hooks = g_ptr_array_new_with_free_func (hook_free);
  g_ptr_array_add (self->hooks, hook);
}

/**
 * bk_http_request_get_response_status:
 * @self: a #BkHttpRequest
 *
 * Gets the status of the answer, for a response hook
 * ([method@Bk.HttpRequest.add_response_hook]) to read.
 *
 * Returns: the HTTP status, or 0 while the request is not answered
 *
 * Since: 0.1
 */
guint
bk_http_request_get_response_status (BkHttpRequest *self)
{
  g_return_val_if_fail (BK_IS_HTTP_REQUEST (self), 0);

  return self->responded ? soup_server_message_get_status (self->message) : 0;
}

/**
 * bk_http_request_set_response_header:
 * @self: a #BkHttpRequest
 * @name: a header name
 * @value: its value
 *
 * Sets a response header, replacing any with the same name. Useful to
 * middleware, before it passes the request on or in a response hook
 * ([method@Bk.HttpRequest.add_response_hook]); it has no effect once the
 * response has been sent.
 *
 * Since: 0.1
 */
void
bk_http_request_set_response_header (BkHttpRequest *self,
                                     const char    *name,
                                     const char    *value)
{
  g_return_if_fail (BK_IS_HTTP_REQUEST (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (value != NULL);

  soup_message_headers_replace (soup_server_message_get_response_headers (self->message),
                                name, value);
}

/* Path matching ------------------------------------------------------------------- */

GStrv
_bk_http_split_path (const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] != '\0')
      g_strv_builder_add (builder, parts[i]);
  return g_strv_builder_end (builder);
}

static gboolean
is_param (const char *segment)
{
  return segment[0] == ':' && segment[1] != '\0';
}

int
_bk_http_match_path (const char * const *pattern,
                     const char * const *segments,
                     gboolean            prefix,
                     GHashTable         *params)
{
  guint n = g_strv_length ((GStrv) pattern);
  guint length = g_strv_length ((GStrv) segments);

  if (length < n || (!prefix && length != n))
    return -1;

  for (guint i = 0; i < n; i++)
    if (!is_param (pattern[i]) && g_ascii_strcasecmp (pattern[i], segments[i]) != 0)
      return -1;

  if (params != NULL)
    for (guint i = 0; i < n; i++)
      if (is_param (pattern[i]))
        g_hash_table_insert (params, g_strdup (pattern[i] + 1), g_strdup (segments[i]));
  return (int) n;
}

static GHashTable *
params_copy (GHashTable *params)
{
  GHashTable *copy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  if (params != NULL)
    {
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, params);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (copy, g_strdup (key), g_strdup (value));
    }
  return copy;
}

/* Routes, mounts and middleware ----------------------------------------------------- */

/* A route, or a mount when @child is set. Reference-counted (g_rc_box):
 * a request holds its route until it is done. */
typedef struct
{
  char                *method;     /* (nullable) for a mount */
  char                *pattern;
  GStrv                segments;   /* non-empty segments of the pattern */
  BkHttpHandlerFunc    handler;
  gpointer             user_data;
  GDestroyNotify       destroy;
  BkDefaultHttpRouter *child;      /* (nullable) (owned) a mount's router */
} Route;

static void
route_clear (gpointer data)
{
  Route *route = data;

  if (route->destroy != NULL)
    route->destroy (route->user_data);
  g_free (route->method);
  g_free (route->pattern);
  g_strfreev (route->segments);
  g_clear_object (&route->child);
}

static void
route_release (gpointer data)
{
  g_rc_box_release_full (data, route_clear);
}

static gboolean
route_match_method (Route      *route,
                    const char *method)
{
  return g_str_equal (route->method, method) ||
         (g_str_equal (method, "HEAD") && g_str_equal (route->method, "GET"));
}

/* Reference-counted as routes are. */
typedef struct
{
  GStrv                 segments;  /* of the prefix; empty for every path */
  BkHttpMiddlewareFunc  func;
  gpointer              user_data;
  GDestroyNotify        destroy;
} Middleware;

static void
middleware_clear (gpointer data)
{
  Middleware *middleware = data;

  if (middleware->destroy != NULL)
    middleware->destroy (middleware->user_data);
  g_strfreev (middleware->segments);
}

static void
middleware_release (gpointer data)
{
  g_rc_box_release_full (data, middleware_clear);
}

/* One step of a request's dispatch: a middleware, the route, or the
 * router's own 404 / 405 (@route and @middleware both %NULL). */
typedef struct
{
  Middleware  *middleware;  /* (nullable) (owned) */
  Route       *route;       /* (nullable) (owned) */
  GHashTable  *params;      /* (owned) */
  BkHttpError  code;        /* for a 404 / 405 */
  char        *message;
  char        *allow;       /* (nullable) the 405's Allow header */
} Step;

static void
step_free (gpointer data)
{
  Step *step = data;

  g_clear_pointer (&step->middleware, middleware_release);
  g_clear_pointer (&step->route, route_release);
  g_clear_pointer (&step->params, g_hash_table_unref);
  g_free (step->message);
  g_free (step->allow);
  g_free (step);
}

/* The default implementation ------------------------------------------------------- */

typedef enum
{
  STATE_STARTING,
  STATE_STARTED,
  STATE_STOPPED,
} State;

typedef struct
{
  char                  *path;
  BkHttpAuthPolicyAllow  allow;
} AuthPolicy;

static void
auth_policy_free (gpointer data)
{
  AuthPolicy *policy = data;

  g_free (policy->path);
  g_free (policy);
}

#define BK_TYPE_DEFAULT_HTTP_ROUTER (bk_default_http_router_get_type ())
G_DECLARE_FINAL_TYPE (BkDefaultHttpRouter, bk_default_http_router, BK, DEFAULT_HTTP_ROUTER, GObject)

struct _BkDefaultHttpRouter
{
  GObject    parent_instance;

  char      *prefix;            /* /api/<pluginId>; NULL for a nested router */
  GPtrArray *layers;            /* Route: routes and mounts, in the order added */
  GPtrArray *middleware;        /* Middleware */
  GPtrArray *auth_policies;     /* AuthPolicy */
  BkClock   *clock;
  guint64    pause_timeout_ms;
  State      state;
  GPtrArray *pending;           /* (element-type BkHttpRequest) owned refs */

  /* A nested router, once mounted. */
  BkDefaultHttpRouter *parent;  /* (unowned) (nullable) */
  char      *mount_pattern;     /* (nullable) */
};

static void bk_default_http_router_iface_init (BkHttpRouterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkDefaultHttpRouter, bk_default_http_router, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_HTTP_ROUTER,
                                                      bk_default_http_router_iface_init))

static void
bk_default_http_router_add_route (BkHttpRouter      *router,
                                  const char        *method,
                                  const char        *path_pattern,
                                  BkHttpHandlerFunc  handler,
                                  gpointer           user_data,
                                  GDestroyNotify     destroy)
{
  BkDefaultHttpRouter *self = BK_DEFAULT_HTTP_ROUTER (router);
  Route *route = g_rc_box_new0 (Route);

  route->method = g_strdup (method);
  route->pattern = g_strdup (path_pattern);
  route->segments = _bk_http_split_path (path_pattern);
  route->handler = handler;
  route->user_data = user_data;
  route->destroy = destroy;
  g_ptr_array_add (self->layers, route);
}

static void
bk_default_http_router_add_auth_policy (BkHttpRouter          *router,
                                        const char            *path,
                                        BkHttpAuthPolicyAllow  allow)
{
  BkDefaultHttpRouter *self = BK_DEFAULT_HTTP_ROUTER (router);
  AuthPolicy *policy = g_new0 (AuthPolicy, 1);

  policy->path = g_strdup (path);
  policy->allow = allow;
  g_ptr_array_add (self->auth_policies, policy);
}

static void
bk_default_http_router_use (BkHttpRouter         *router,
                            const char           *path_prefix,
                            BkHttpMiddlewareFunc  func,
                            gpointer              user_data,
                            GDestroyNotify        destroy)
{
  BkDefaultHttpRouter *self = BK_DEFAULT_HTTP_ROUTER (router);
  Middleware *middleware = g_rc_box_new0 (Middleware);

  middleware->segments = _bk_http_split_path (path_prefix != NULL ? path_prefix : "/");
  middleware->func = func;
  middleware->user_data = user_data;
  middleware->destroy = destroy;
  g_ptr_array_add (self->middleware, middleware);
}

static void
bk_default_http_router_mount (BkHttpRouter *router,
                              const char   *path_pattern,
                              BkHttpRouter *child_router)
{
  BkDefaultHttpRouter *self = BK_DEFAULT_HTTP_ROUTER (router);
  BkDefaultHttpRouter *child;
  Route *route;

  if (!BK_IS_DEFAULT_HTTP_ROUTER (child_router) ||
      BK_DEFAULT_HTTP_ROUTER (child_router)->prefix != NULL)
    {
      g_critical ("%s: cannot mount a router at '%s': only a router made with "
                  "bk_http_router_new_nested() can be mounted", G_STRFUNC, path_pattern);
      return;
    }
  child = BK_DEFAULT_HTTP_ROUTER (child_router);

  if (child == self)
    {
      g_critical ("%s: cannot mount a router into itself (at '%s')", G_STRFUNC, path_pattern);
      return;
    }
  if (child->parent != NULL)
    {
      g_critical ("%s: cannot mount a router at '%s': it is already mounted at '%s'",
                  G_STRFUNC, path_pattern, child->mount_pattern);
      return;
    }
  for (BkDefaultHttpRouter *ancestor = self->parent; ancestor != NULL; ancestor = ancestor->parent)
    if (ancestor == child)
      {
        g_critical ("%s: cannot mount a router at '%s' into one of its own descendants",
                    G_STRFUNC, path_pattern);
        return;
      }

  route = g_rc_box_new0 (Route);
  route->pattern = g_strdup (path_pattern);
  route->segments = _bk_http_split_path (path_pattern);
  route->child = g_object_ref (child);
  child->parent = self;
  child->mount_pattern = g_strdup (path_pattern);
  g_ptr_array_add (self->layers, route);
}

static void
bk_default_http_router_iface_init (BkHttpRouterInterface *iface)
{
  iface->add_route = bk_default_http_router_add_route;
  iface->add_auth_policy = bk_default_http_router_add_auth_policy;
  iface->use = bk_default_http_router_use;
  iface->mount = bk_default_http_router_mount;
}

/* Takes @request out of its router's pending list, cancelling its timer. */
static void
request_leave_pending (BkHttpRequest *self)
{
  BkDefaultHttpRouter *router = self->pending_router;

  if (self->timer_id != 0)
    {
      guint id = self->timer_id;

      self->timer_id = 0;
      bk_clock_cancel_timer (self->clock, id);
    }
  if (router != NULL)
    {
      self->pending_router = NULL;
      /* The caller holds a reference: the list's is dropped here. */
      g_ptr_array_remove_fast (router->pending, self);
    }
}

static void
bk_default_http_router_dispose (GObject *object)
{
  BkDefaultHttpRouter *self = BK_DEFAULT_HTTP_ROUTER (object);

  while (self->pending != NULL && self->pending->len > 0)
    {
      g_autoptr(BkHttpRequest) request = g_object_ref (g_ptr_array_index (self->pending, 0));

      request_leave_pending (request);
    }
  /* Mounted routers that outlive this one may be mounted elsewhere. */
  for (guint i = 0; self->layers != NULL && i < self->layers->len; i++)
    {
      Route *route = g_ptr_array_index (self->layers, i);

      if (route->child != NULL && route->child->parent == self)
        {
          route->child->parent = NULL;
          g_clear_pointer (&route->child->mount_pattern, g_free);
        }
    }
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->layers, g_ptr_array_unref);
  g_clear_pointer (&self->middleware, g_ptr_array_unref);
  g_clear_pointer (&self->auth_policies, g_ptr_array_unref);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (bk_default_http_router_parent_class)->dispose (object);
}

static void
bk_default_http_router_finalize (GObject *object)
{
  BkDefaultHttpRouter *self = BK_DEFAULT_HTTP_ROUTER (object);

  g_free (self->prefix);
  g_free (self->mount_pattern);

  G_OBJECT_CLASS (bk_default_http_router_parent_class)->finalize (object);
}

static void
bk_default_http_router_class_init (BkDefaultHttpRouterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bk_default_http_router_dispose;
  object_class->finalize = bk_default_http_router_finalize;
}

static void
bk_default_http_router_init (BkDefaultHttpRouter *self)
{
  self->layers = g_ptr_array_new_with_free_func (route_release);
  self->middleware = g_ptr_array_new_with_free_func (middleware_release);
  self->auth_policies = g_ptr_array_new_with_free_func (auth_policy_free);
  self->pending = g_ptr_array_new_with_free_func (g_object_unref);
  self->state = STATE_STARTING;
}

/**
 * bk_http_router_new_nested:
 *
 * Creates a router that belongs to no plugin, to be mounted in a plugin's
 * router (or in another nested router) with [method@Bk.HttpRouter.mount].
 * It has routes, middleware and auth policies of its own, and answers
 * nothing until it is mounted; the plugin's startup gate applies to it
 * once it is.
 *
 * ```c
 * g_autoptr(BkHttpRouter) users = bk_http_router_new_nested ();
 *
 * bk_http_router_add_route (users, "GET", "/todos/:id", get_user_todo, store, NULL);
 * bk_http_router_mount (router, "/users/:uid", users);
 * // GET /api/<pluginId>/users/7/todos/3: params uid = 7 and id = 3
 * ```
 *
 * Returns: (transfer full): a new router
 *
 * Since: 0.1
 */
BkHttpRouter *
bk_http_router_new_nested (void)
{
  return g_object_new (BK_TYPE_DEFAULT_HTTP_ROUTER, NULL);
}

/* Dispatch --------------------------------------------------------------------------- */

/* A router a request goes through, with what the mounts above it matched. */
typedef struct
{
  BkDefaultHttpRouter *router;   /* (unowned) */
  guint                offset;   /* segments matched by the mounts above */
  GHashTable          *params;   /* (owned) the mounts' parameters */
} Level;

static void
level_clear (gpointer data)
{
  Level *level = data;

  g_clear_pointer (&level->params, g_hash_table_unref);
}

static void
levels_push (GArray              *levels,
             BkDefaultHttpRouter *router,
             guint                offset,
             GHashTable          *params)
{
  Level level = { router, offset, g_hash_table_ref (params) };

  g_array_append_val (levels, level);
}

#define SEGMENTS_FROM(segments, offset) ((const char * const *) (segments) + (offset))

/* Looks for the first route under @self, in the order its routes and
 * mounts were added and depth first, whose path matches @segments from
 * @offset and whose method matches @method. On success @levels has every
 * router on the way and *@out_params the route's parameters; otherwise
 * @levels is as it was and @allowed has the methods of the routes whose
 * path matches. */
static Route *
find_route (BkDefaultHttpRouter  *self,
            char                **segments,
            guint                 offset,
            GHashTable           *params,
            const char           *method,
            GArray               *levels,
            GStrvBuilder         *allowed,
            GHashTable          **out_params)
{
  guint mark = levels->len;

  levels_push (levels, self, offset, params);
  for (guint i = 0; i < self->layers->len; i++)
    {
      Route *route = g_ptr_array_index (self->layers, i);
      const char * const *pattern = (const char * const *) route->segments;
      g_autoptr(GHashTable) own = NULL;
      int n;

      if (_bk_http_match_path (pattern, SEGMENTS_FROM (segments, offset), route->child != NULL, NULL) < 0)
        continue;

      if (route->child == NULL && !route_match_method (route, method))
        {
          g_strv_builder_add (allowed, route->method);
          if (g_str_equal (route->method, "GET"))
            g_strv_builder_add (allowed, "HEAD");
          continue;
        }

      own = params_copy (params);
      n = _bk_http_match_path (pattern, SEGMENTS_FROM (segments, offset), route->child != NULL, own);
      if (route->child == NULL)
        {
          *out_params = g_steal_pointer (&own);
          return route;
        }
      else
        {
          Route *found = find_route (route->child, segments, offset + (guint) n, own,
                                     method, levels, allowed, out_params);

          if (found != NULL)
            return found;
        }
    }
  g_array_set_size (levels, mark);
  return NULL;
}

/* For a request no route answers: the routers its path leads into, taking
 * the first mount that matches at each level. */
static void
reach_routers (BkDefaultHttpRouter  *self,
               char                **segments,
               guint                 offset,
               GHashTable           *params,
               GArray               *levels)
{
  levels_push (levels, self, offset, params);
  for (guint i = 0; i < self->layers->len; i++)
    {
      Route *route = g_ptr_array_index (self->layers, i);
      g_autoptr(GHashTable) own = NULL;
      int n;

      if (route->child == NULL)
        continue;
      own = params_copy (params);
      n = _bk_http_match_path ((const char * const *) route->segments,
                               SEGMENTS_FROM (segments, offset), TRUE, own);
      if (n >= 0)
        {
          reach_routers (route->child, segments, offset + (guint) n, own, levels);
          return;
        }
    }
}

/* Each name once, in order, joined with ", ". */
static char *
join_unique (GStrv names)
{
  g_autoptr(GStrvBuilder) unique = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_auto(GStrv) list = NULL;

  for (guint i = 0; names[i] != NULL; i++)
    if (g_hash_table_add (seen, names[i]))
      g_strv_builder_add (unique, names[i]);
  list = g_strv_builder_end (unique);
  return g_strjoinv (", ", list);
}

/* The steps of @request: the middleware of the routers it goes through,
 * then its route or the 404 / 405. */
static GPtrArray *
plan_request (BkDefaultHttpRouter  *self,
              char                **segments,
              const char           *method)
{
  g_autoptr(GArray) levels = g_array_new (FALSE, TRUE, sizeof (Level));
  g_autoptr(GStrvBuilder) allowed = g_strv_builder_new ();
  g_autoptr(GHashTable) root_params = params_copy (NULL);
  g_autoptr(GHashTable) route_params = NULL;
  g_auto(GStrv) allow = NULL;
  GPtrArray *steps = g_ptr_array_new_with_free_func (step_free);
  Route *route;
  Step *target;

  g_array_set_clear_func (levels, level_clear);
  route = find_route (self, segments, 0, root_params, method, levels, allowed, &route_params);
  if (route == NULL)
    reach_routers (self, segments, 0, root_params, levels);

  for (guint i = 0; i < levels->len; i++)
    {
      Level *level = &g_array_index (levels, Level, i);

      for (guint j = 0; j < level->router->middleware->len; j++)
        {
          Middleware *middleware = g_ptr_array_index (level->router->middleware, j);
          g_autoptr(GHashTable) params = params_copy (level->params);
          Step *step;

          if (_bk_http_match_path ((const char * const *) middleware->segments,
                                   SEGMENTS_FROM (segments, level->offset), TRUE, params) < 0)
            continue;
          step = g_new0 (Step, 1);
          step->middleware = g_rc_box_acquire (middleware);
          step->params = g_steal_pointer (&params);
          g_ptr_array_add (steps, step);
        }
    }

  target = g_new0 (Step, 1);
  allow = g_strv_builder_end (allowed);
  if (route != NULL)
    {
      target->route = g_rc_box_acquire (route);
      target->params = g_steal_pointer (&route_params);
    }
  else if (allow[0] == NULL)
    {
      target->code = BK_HTTP_ERROR_NOT_FOUND;
      target->message = g_strdup ("Not Found");
    }
  else
    {
      /* Known path, other method: 405 with the methods it has, each once. */
      target->code = BK_HTTP_ERROR_METHOD_NOT_ALLOWED;
      target->allow = join_unique (allow);
      target->message = g_strdup_printf ("Method %s is not allowed, allowed: %s", method, target->allow);
    }
  if (target->params == NULL)
    target->params = params_copy (NULL);
  g_ptr_array_add (steps, target);
  return steps;
}

/* Runs the request's steps from where it stopped, until one answers or a
 * middleware goes on later. */
static void
request_run (BkHttpRequest *self)
{
  /* A step may drop the caller's reference. */
  g_object_ref (self);
  while (!self->responded && !self->gone && self->next_step < self->steps->len)
    {
      Step *step = g_ptr_array_index (self->steps, self->next_step++);

      g_clear_pointer (&self->params, g_hash_table_unref);
      self->params = g_hash_table_ref (step->params);

      if (step->middleware != NULL)
        {
          self->waiting_next = TRUE;
          self->running = TRUE;
          step->middleware->func (self, step->middleware->user_data);
          self->running = FALSE;
          /* It answered, or it will call next later. */
          if (self->waiting_next)
            break;
        }
      else if (step->route != NULL)
        {
          self->running = TRUE;
          step->route->handler (self, step->route->user_data);
          self->running = FALSE;
        }
      else
        {
          if (step->allow != NULL)
            bk_http_request_set_response_header (self, "Allow", step->allow);
          respond_new_error (self, step->code, step->message);
        }
    }

  /* Not answered yet: wait for the middleware or the handler. */
  request_pause (self);
  g_object_unref (self);
}

/**
 * bk_http_request_next:
 * @self: a #BkHttpRequest
 *
 * Passes the request on from the middleware running it
 * ([method@Bk.HttpRouter.use]) to the next middleware, and after the last
 * one to the route (or the router's 404 or 405), as Express's `next ()`.
 * A middleware calls it once, instead of answering: before it returns (the
 * rest then runs once it has returned) or later, from the main context,
 * when its asynchronous work is done. If the client has gone away
 * meanwhile, it does nothing.
 *
 * Calling it twice, after answering, or from a route handler is a
 * programming error: it is reported with a critical warning and ignored.
 *
 * Since: 0.1
 */
void
bk_http_request_next (BkHttpRequest *self)
{
  g_return_if_fail (BK_IS_HTTP_REQUEST (self));

  if (!self->waiting_next)
    {
      g_critical ("%s: no middleware is waiting for next on %s %s (called twice, or from a handler)",
                  G_STRFUNC, soup_server_message_get_method (self->message), self->url);
      return;
    }
  if (self->responded)
    {
      g_critical ("%s: the request %s %s has already been answered",
                  G_STRFUNC, soup_server_message_get_method (self->message), self->url);
      return;
    }

  self->waiting_next = FALSE;
  if (!self->running && !self->gone)
    request_run (self);
}

static void
dispatch (BkDefaultHttpRouter *self,
          BkHttpRequest       *request)
{
  const char *method = soup_server_message_get_method (request->message);
  g_auto(GStrv) segments = _bk_http_split_path (request->path);

  request->steps = plan_request (self, segments, method);
  request->next_step = 0;
  request_run (request);
}

static void
on_pause_timeout (gpointer user_data)
{
  BkHttpRequest *request = user_data;

  request->timer_id = 0;
  if (request->pending_router == NULL)
    return;

  g_object_ref (request);
  request_leave_pending (request);
  respond_new_error (request, BK_HTTP_ERROR_SERVICE_UNAVAILABLE, "Service has not started up yet");
  g_object_unref (request);
}

/* The root router's handler for /api/<pluginId>. */
static void
handle_request (SoupServerMessage *message,
                const char        *path,
                gpointer           user_data)
{
  BkDefaultHttpRouter *self = user_data;
  g_autoptr(BkHttpRequest) request = NULL;

  request = request_new (message, path + strlen (self->prefix));

  switch (self->state)
    {
    case STATE_STARTED:
      dispatch (self, request);
      break;

    case STATE_STOPPED:
      respond_new_error (request, BK_HTTP_ERROR_SERVICE_UNAVAILABLE, "Service is shutting down");
      break;

    case STATE_STARTING:
    default:
      request_pause (request);
      request->pending_router = self;
      g_ptr_array_add (self->pending, g_object_ref (request));
      request->clock = g_object_ref (self->clock);
      request->timer_id = bk_clock_add_timer (self->clock, self->pause_timeout_ms,
                                              on_pause_timeout, g_object_ref (request),
                                              g_object_unref);
      break;
    }
}

/* Lifecycle ---------------------------------------------------------------------------- */

/* Takes every waiting request out of the list and hands each to @func. */
static void
release_pending (BkDefaultHttpRouter *self,
                 gboolean             started)
{
  while (self->pending->len > 0)
    {
      g_autoptr(BkHttpRequest) request = g_object_ref (g_ptr_array_index (self->pending, 0));

      request_leave_pending (request);
      if (started)
        dispatch (self, request);
      else
        respond_new_error (request, BK_HTTP_ERROR_SERVICE_UNAVAILABLE, "Service is shutting down");
    }
}

static gboolean
startup_hook (gpointer   user_data,
              GError   **error)
{
  BkDefaultHttpRouter *self = user_data;

  if (self->state == STATE_STARTING)
    self->state = STATE_STARTED;
  release_pending (self, self->state == STATE_STARTED);
  return TRUE;
}

static gboolean
shutdown_hook (gpointer   user_data,
               GError   **error)
{
  BkDefaultHttpRouter *self = user_data;

  self->state = STATE_STOPPED;
  release_pending (self, FALSE);
  return TRUE;
}

static GObject *
create_http_router (BkDeps    *deps,
                    gpointer   root_context,
                    gpointer   user_data,
                    GError   **error)
{
  BkPluginMetadata *metadata = bk_deps_get (deps, BK_SERVICE_PLUGIN_METADATA);
  BkRootHttpRouter *root_router = bk_deps_get (deps, BK_SERVICE_ROOT_HTTP_ROUTER);
  BkLifecycle *lifecycle = bk_deps_get (deps, BK_SERVICE_LIFECYCLE);
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(BkDefaultHttpRouter) self = NULL;
  guint64 timeout_ms = DEFAULT_STARTUP_PAUSE_TIMEOUT_MS;

  config = bk_root_config_dup_config (bk_deps_get (deps, BK_SERVICE_ROOT_CONFIG));
  if (!_bk_duration_from_config (config, "backend.lifecycle.startupRequestPauseTimeout",
                                 DEFAULT_STARTUP_PAUSE_TIMEOUT_MS, &timeout_ms, error))
    return NULL;

  self = g_object_new (BK_TYPE_DEFAULT_HTTP_ROUTER, NULL);
  self->prefix = g_strconcat ("/api/", bk_plugin_metadata_get_id (metadata), NULL);
  self->clock = g_object_ref (bk_deps_get (deps, BK_SERVICE_ROOT_CLOCK));
  self->pause_timeout_ms = timeout_ms;

  if (!BK_LIFECYCLE_ADD_HOOK (lifecycle, BK_LIFECYCLE_PHASE_STARTUP,
                              startup_hook, g_object_ref (self), g_object_unref, error))
    return NULL;
  if (!BK_LIFECYCLE_ADD_HOOK (lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN,
                              shutdown_hook, g_object_ref (self), g_object_unref, error))
    return NULL;

  if (!bk_root_http_router_use (root_router, self->prefix, handle_request,
                                g_object_ref (self), g_object_unref, error))
    return NULL;

  return G_OBJECT (g_steal_pointer (&self));
}

BkServiceFactory *
_bk_http_router_default_factory (void)
{
  BkServiceFactory *factory;

  factory = bk_service_factory_new (BK_SERVICE_HTTP_ROUTER,
                                    create_http_router, NULL, NULL,
                                    BK_SERVICE_PLUGIN_METADATA,
                                    BK_SERVICE_ROOT_HTTP_ROUTER,
                                    BK_SERVICE_LIFECYCLE,
                                    BK_SERVICE_ROOT_CONFIG,
                                    BK_SERVICE_ROOT_CLOCK,
                                    BK_SERVICE_LOGGER,
                                    NULL);
  bk_service_factory_set_initialization (factory, BK_SERVICE_INITIALIZATION_ALWAYS);
  return factory;
}
