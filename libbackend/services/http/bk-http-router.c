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
 * - **Auth policies** added with [method@Bk.HttpRouter.add_auth_policy]
 *   are only recorded for now: the auth service that enforces them comes
 *   later, and until then every route is reachable without credentials.
 *
 * Middleware and nested routers are not available yet.
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
};

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

static void
request_end_response (BkHttpRequest *self)
{
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
 * whole path is).
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

static gboolean
is_json_content_type (const char *content_type)
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
 * - %BK_HTTP_ERROR_PAYLOAD_TOO_LARGE (413) when the body is over
 *   %BK_HTTP_REQUEST_BODY_LIMIT (1 MiB):
 *   `Request body is larger than the limit of 1048576 bytes`;
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
  if (!is_json_content_type (content_type))
    {
      g_set_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_UNSUPPORTED_MEDIA_TYPE,
                   "Unsupported content type '%s', expected application/json",
                   content_type != NULL ? content_type : "");
      return NULL;
    }

  body = soup_server_message_get_request_body (self->message);
  if (body->length > BK_HTTP_REQUEST_BODY_LIMIT)
    {
      g_set_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_PAYLOAD_TOO_LARGE,
                   "Request body is larger than the limit of %d bytes",
                   BK_HTTP_REQUEST_BODY_LIMIT);
      return NULL;
    }

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

/* Routes -------------------------------------------------------------------------- */

typedef struct
{
  char              *method;
  char              *pattern;
  GStrv              segments;   /* non-empty segments of the pattern */
  BkHttpHandlerFunc  handler;
  gpointer           user_data;
  GDestroyNotify     destroy;
} Route;

static void
route_free (gpointer data)
{
  Route *route = data;

  if (route->destroy != NULL)
    route->destroy (route->user_data);
  g_free (route->method);
  g_free (route->pattern);
  g_strfreev (route->segments);
  g_free (route);
}

/* The non-empty segments of @path. */
static GStrv
split_path (const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] != '\0')
      g_strv_builder_add (builder, parts[i]);
  return g_strv_builder_end (builder);
}

/* Whether @segments (of a request path) match @route; fills @params
 * (when not NULL) with its parameters. */
static gboolean
route_match_path (Route       *route,
                  char       **segments,
                  GHashTable  *params)
{
  guint n = g_strv_length (route->segments);

  if (g_strv_length (segments) != n)
    return FALSE;

  for (guint i = 0; i < n; i++)
    {
      const char *pattern = route->segments[i];

      if (pattern[0] == ':' && pattern[1] != '\0')
        continue;
      if (g_ascii_strcasecmp (pattern, segments[i]) != 0)
        return FALSE;
    }

  if (params != NULL)
    for (guint i = 0; i < n; i++)
      {
        const char *pattern = route->segments[i];

        if (pattern[0] == ':' && pattern[1] != '\0')
          g_hash_table_insert (params, g_strdup (pattern + 1), g_strdup (segments[i]));
      }
  return TRUE;
}

static gboolean
route_match_method (Route      *route,
                    const char *method)
{
  return g_str_equal (route->method, method) ||
         (g_str_equal (method, "HEAD") && g_str_equal (route->method, "GET"));
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

  char      *prefix;            /* /api/<pluginId> */
  GPtrArray *routes;            /* Route */
  GPtrArray *auth_policies;     /* AuthPolicy */
  BkClock   *clock;
  guint64    pause_timeout_ms;
  State      state;
  GPtrArray *pending;           /* (element-type BkHttpRequest) owned refs */
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
  Route *route = g_new0 (Route, 1);

  route->method = g_strdup (method);
  route->pattern = g_strdup (path_pattern);
  route->segments = split_path (path_pattern);
  route->handler = handler;
  route->user_data = user_data;
  route->destroy = destroy;
  g_ptr_array_add (self->routes, route);
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
bk_default_http_router_iface_init (BkHttpRouterInterface *iface)
{
  iface->add_route = bk_default_http_router_add_route;
  iface->add_auth_policy = bk_default_http_router_add_auth_policy;
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
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->routes, g_ptr_array_unref);
  g_clear_pointer (&self->auth_policies, g_ptr_array_unref);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (bk_default_http_router_parent_class)->dispose (object);
}

static void
bk_default_http_router_finalize (GObject *object)
{
  BkDefaultHttpRouter *self = BK_DEFAULT_HTTP_ROUTER (object);

  g_free (self->prefix);

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
  self->routes = g_ptr_array_new_with_free_func (route_free);
  self->auth_policies = g_ptr_array_new_with_free_func (auth_policy_free);
  self->pending = g_ptr_array_new_with_free_func (g_object_unref);
  self->state = STATE_STARTING;
}

/* Dispatch --------------------------------------------------------------------------- */

static void
dispatch (BkDefaultHttpRouter *self,
          BkHttpRequest       *request)
{
  const char *method = soup_server_message_get_method (request->message);
  g_auto(GStrv) segments = split_path (request->path);
  g_autoptr(GStrvBuilder) allowed = NULL;
  g_auto(GStrv) allow = NULL;
  g_autofree char *allow_header = NULL;

  for (guint i = 0; i < self->routes->len; i++)
    {
      Route *route = g_ptr_array_index (self->routes, i);

      if (!route_match_path (route, segments, NULL))
        continue;

      if (route_match_method (route, method))
        {
          g_autoptr(BkHttpRequest) keep = g_object_ref (request);

          g_clear_pointer (&request->params, g_hash_table_unref);
          request->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
          route_match_path (route, segments, request->params);

          route->handler (request, route->user_data);

          /* Not answered yet: wait for the handler. */
          request_pause (request);
          return;
        }

      if (allowed == NULL)
        allowed = g_strv_builder_new ();
      g_strv_builder_add (allowed, route->method);
      if (g_str_equal (route->method, "GET"))
        g_strv_builder_add (allowed, "HEAD");
    }

  if (allowed == NULL)
    {
      respond_new_error (request, BK_HTTP_ERROR_NOT_FOUND, "Not Found");
      return;
    }

  /* Known path, other method: 405 with the methods it has, each once. */
  allow = g_strv_builder_end (allowed);
  {
    g_autoptr(GStrvBuilder) unique = g_strv_builder_new ();
    g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
    g_auto(GStrv) list = NULL;
    g_autofree char *message = NULL;

    for (guint i = 0; allow[i] != NULL; i++)
      if (g_hash_table_add (seen, allow[i]))
        g_strv_builder_add (unique, allow[i]);
    list = g_strv_builder_end (unique);
    allow_header = g_strjoinv (", ", list);

    soup_message_headers_replace (soup_server_message_get_response_headers (request->message),
                                  "Allow", allow_header);
    message = g_strdup_printf ("Method %s is not allowed, allowed: %s", method, allow_header);
    respond_new_error (request, BK_HTTP_ERROR_METHOD_NOT_ALLOWED, message);
  }
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
