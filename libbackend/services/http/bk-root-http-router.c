/* bk-root-http-router.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkRootHttpRouter:
 *
 * The `core.rootHttpRouter` service: the backend's one HTTP server, and
 * the table of path prefixes mounted on it.
 *
 * [method@Bk.RootHttpRouter.use] mounts a handler under a prefix: every
 * request whose path is the prefix or lies under it (`/a` takes `/a`,
 * `/a/` and `/a/b`, not `/ab`) goes to that handler. Prefixes are compared
 * ignoring case and a trailing slash, and two prefixes where one lies under
 * the other are refused, as in Backstage:
 * `Path /a/b conflicts with the existing path /a`. So at most one mount
 * matches a request. An empty path and `/` are refused with
 * `Root router path may not be empty`.
 *
 * The default implementation is one libsoup `SoupServer`:
 *
 * - It listens on `backend.listen` as soon as the service is made (during
 *   startup, before the plugins initialise, as Backstage does):
 *   `backend.listen.host` (default: every interface, as Backstage) and
 *   `backend.listen.port` (default 7007; `0` picks a free port, which
 *   [method@Bk.RootHttpRouter.get_port] reports). `backend.listen` may
 *   also be a string, `"<port>"` or `"<host>:<port>"`; anything else is
 *   refused with `Unable to parse listen address <value>, expected <port>
 *   or <host>:<port>`. The host is an IP address or `localhost`; host
 *   names are not resolved.
 * - It answers `GET /.backstage/health/v1/liveness` and
 *   `GET /.backstage/health/v1/readiness` from `core.rootHealth`
 *   ([iface@Bk.RootHealth]): its status and JSON body. The prefix
 *   `/.backstage/health` is mounted like any other, so a conflicting mount
 *   is refused.
 * - A request no mount takes is answered 404 with Backstage's error body
 *   ([func@Bk.http_error_to_json], a `NotFoundError` with the message
 *   `Not Found`), whether under `/api/` or not (there is no index handler
 *   yet).
 * - Every response carries an `X-Request-Id` header (a random UUID) and
 *   these security headers (a subset of the defaults of helmet, which
 *   Backstage uses): `X-Content-Type-Options: nosniff`,
 *   `X-Frame-Options: SAMEORIGIN`, `Referrer-Policy: no-referrer`,
 *   `X-DNS-Prefetch-Control: off` and
 *   `X-Permitted-Cross-Domain-Policies: none`. A handler may replace them.
 * - Every request finished (answered, or dropped by the client) writes one
 *   access-log line at info level through `core.rootLogger`:
 *   `GET /api/todo/todos 200 3ms` with the fields `type=incomingRequest`,
 *   `method`, `url`, `status`, `duration` (milliseconds, on
 *   `core.rootClock`) and `requestId`.
 * - A root shutdown hook stops the server: it closes the listeners and
 *   every open connection (`soup_server_disconnect()`), so a request still
 *   in flight then is cut off. Draining comes with the graceful shutdown
 *   work.
 *
 * Handlers run on the backend's main context. One that answers later
 * pauses the message with soup_server_message_pause() and unpauses it once
 * it has set the response.
 *
 * Since: 0.1
 */

#include "libbackend.h"
#include "bk-services-private.h"
#include "bk-http-private.h"

#define DEFAULT_PORT 7007
#define HEALTH_PREFIX "/.backstage/health"

G_DEFINE_INTERFACE (BkRootHttpRouter, bk_root_http_router, G_TYPE_OBJECT)

static void
bk_root_http_router_default_init (BkRootHttpRouterInterface *iface)
{
}

/**
 * bk_root_http_router_use:
 * @self: a #BkRootHttpRouter
 * @path: the prefix to mount @handler under, such as `/api/todo`
 * @handler: (scope notified) (closure user_data) (destroy destroy): the
 *   handler for requests under @path
 * @user_data: data for @handler
 * @destroy: (nullable): frees @user_data once the router drops @handler
 * @error: return location for a #GError
 *
 * Mounts @handler under @path. Requests whose path is @path or lies under
 * it go to @handler, which gets the whole request path.
 *
 * Fails with %G_IO_ERROR_INVALID_ARGUMENT and
 * `Root router path may not be empty` for an empty path or `/`, and with
 * %G_IO_ERROR_EXISTS and `Path <path> conflicts with the existing path
 * <other>` when @path and a mounted prefix are equal or one lies under the
 * other (ignoring case and a trailing slash). On failure @destroy is called
 * on @user_data at once.
 *
 * Returns: %TRUE if @handler was mounted
 *
 * Since: 0.1
 */
gboolean
bk_root_http_router_use (BkRootHttpRouter       *self,
                         const char             *path,
                         BkRootHttpHandlerFunc   handler,
                         gpointer                user_data,
                         GDestroyNotify          destroy,
                         GError                **error)
{
  BkRootHttpRouterInterface *iface;

  g_return_val_if_fail (BK_IS_ROOT_HTTP_ROUTER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (handler != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = BK_ROOT_HTTP_ROUTER_GET_IFACE (self);
  g_return_val_if_fail (iface->use != NULL, FALSE);

  return iface->use (self, path, handler, user_data, destroy, error);
}

/**
 * bk_root_http_router_get_port:
 * @self: a #BkRootHttpRouter
 *
 * Gets the port the server listens on: the configured one, or the one the
 * system chose for `backend.listen.port: 0`.
 *
 * Returns: the port, or 0 when the server does not listen (any more)
 *
 * Since: 0.1
 */
guint
bk_root_http_router_get_port (BkRootHttpRouter *self)
{
  BkRootHttpRouterInterface *iface;

  g_return_val_if_fail (BK_IS_ROOT_HTTP_ROUTER (self), 0);

  iface = BK_ROOT_HTTP_ROUTER_GET_IFACE (self);
  g_return_val_if_fail (iface->get_port != NULL, 0);

  return iface->get_port (self);
}

/**
 * bk_root_http_router_dup_base_url:
 * @self: a #BkRootHttpRouter
 *
 * Gets the URL the server is reached at from this host, without a trailing
 * slash, such as `http://127.0.0.1:7007`. A server listening on every
 * interface (or `0.0.0.0`) is reached at `127.0.0.1`, one on `::` at
 * `[::1]`; an IPv6 address is put in brackets.
 *
 * Returns: (transfer full) (nullable): the base URL, or %NULL when the
 *   server does not listen (any more)
 *
 * Since: 0.1
 */
char *
bk_root_http_router_dup_base_url (BkRootHttpRouter *self)
{
  BkRootHttpRouterInterface *iface;

  g_return_val_if_fail (BK_IS_ROOT_HTTP_ROUTER (self), NULL);

  iface = BK_ROOT_HTTP_ROUTER_GET_IFACE (self);
  g_return_val_if_fail (iface->dup_base_url != NULL, NULL);

  return iface->dup_base_url (self);
}

/* Mount table --------------------------------------------------------------- */

typedef struct
{
  char                  *path;        /* as given */
  char                  *normalized;  /* lower case, no trailing slash */
  BkRootHttpHandlerFunc  handler;
  gpointer               user_data;
  GDestroyNotify         destroy;
} Mount;

static void
mount_free (gpointer data)
{
  Mount *mount = data;

  if (mount->destroy != NULL)
    mount->destroy (mount->user_data);
  g_free (mount->path);
  g_free (mount->normalized);
  g_free (mount);
}

/* Lower case, without trailing slashes. */
static char *
normalize_path (const char *path)
{
  char *normalized = g_ascii_strdown (path, -1);
  gsize len = strlen (normalized);

  while (len > 0 && normalized[len - 1] == '/')
    normalized[--len] = '\0';
  return normalized;
}

/* Whether @path is @prefix or lies under it; both normalized. */
static gboolean
path_is_under (const char *path,
               const char *prefix)
{
  gsize len = strlen (prefix);

  return g_ascii_strncasecmp (path, prefix, len) == 0 &&
         (path[len] == '\0' || path[len] == '/');
}

/* The default implementation -------------------------------------------------- */

#define BK_TYPE_DEFAULT_ROOT_HTTP_ROUTER (bk_default_root_http_router_get_type ())
G_DECLARE_FINAL_TYPE (BkDefaultRootHttpRouter, bk_default_root_http_router, BK, DEFAULT_ROOT_HTTP_ROUTER, GObject)

struct _BkDefaultRootHttpRouter
{
  GObject       parent_instance;

  SoupServer   *server;
  GPtrArray    *mounts;       /* Mount */
  BkLogger     *logger;
  BkClock      *clock;
  BkRootHealth *health;
  char         *host;         /* as configured, "" for every interface */
  guint         port;         /* bound, 0 once stopped */
};

static void bk_default_root_http_router_iface_init (BkRootHttpRouterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkDefaultRootHttpRouter, bk_default_root_http_router, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_ROOT_HTTP_ROUTER,
                                                      bk_default_root_http_router_iface_init))

static gboolean
bk_default_root_http_router_use (BkRootHttpRouter       *router,
                                 const char             *path,
                                 BkRootHttpHandlerFunc   handler,
                                 gpointer                user_data,
                                 GDestroyNotify          destroy,
                                 GError                **error)
{
  BkDefaultRootHttpRouter *self = BK_DEFAULT_ROOT_HTTP_ROUTER (router);
  g_autofree char *normalized = normalize_path (path);
  Mount *mount;

  if (normalized[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "Root router path may not be empty");
      goto fail;
    }

  for (guint i = 0; i < self->mounts->len; i++)
    {
      Mount *existing = g_ptr_array_index (self->mounts, i);

      if (path_is_under (normalized, existing->normalized) ||
          path_is_under (existing->normalized, normalized))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       "Path %s conflicts with the existing path %s",
                       path, existing->path);
          goto fail;
        }
    }

  mount = g_new0 (Mount, 1);
  mount->path = g_strdup (path);
  mount->normalized = g_steal_pointer (&normalized);
  mount->handler = handler;
  mount->user_data = user_data;
  mount->destroy = destroy;
  g_ptr_array_add (self->mounts, mount);
  return TRUE;

fail:
  if (destroy != NULL)
    destroy (user_data);
  return FALSE;
}

static guint
bk_default_root_http_router_get_port (BkRootHttpRouter *router)
{
  return BK_DEFAULT_ROOT_HTTP_ROUTER (router)->port;
}

static char *
bk_default_root_http_router_dup_base_url (BkRootHttpRouter *router)
{
  BkDefaultRootHttpRouter *self = BK_DEFAULT_ROOT_HTTP_ROUTER (router);
  const char *host = self->host;

  if (self->port == 0)
    return NULL;

  if (host[0] == '\0' || g_str_equal (host, "0.0.0.0"))
    host = "127.0.0.1";
  else if (g_str_equal (host, "::"))
    host = "::1";

  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("http://[%s]:%u", host, self->port);
  return g_strdup_printf ("http://%s:%u", host, self->port);
}

static void
bk_default_root_http_router_iface_init (BkRootHttpRouterInterface *iface)
{
  iface->use = bk_default_root_http_router_use;
  iface->get_port = bk_default_root_http_router_get_port;
  iface->dup_base_url = bk_default_root_http_router_dup_base_url;
}

static void
stop_server (BkDefaultRootHttpRouter *self)
{
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  self->port = 0;
}

static void
bk_default_root_http_router_dispose (GObject *object)
{
  BkDefaultRootHttpRouter *self = BK_DEFAULT_ROOT_HTTP_ROUTER (object);

  stop_server (self);
  g_clear_object (&self->server);
  g_clear_pointer (&self->mounts, g_ptr_array_unref);
  g_clear_object (&self->logger);
  g_clear_object (&self->clock);
  g_clear_object (&self->health);

  G_OBJECT_CLASS (bk_default_root_http_router_parent_class)->dispose (object);
}

static void
bk_default_root_http_router_finalize (GObject *object)
{
  BkDefaultRootHttpRouter *self = BK_DEFAULT_ROOT_HTTP_ROUTER (object);

  g_free (self->host);

  G_OBJECT_CLASS (bk_default_root_http_router_parent_class)->finalize (object);
}

static void
bk_default_root_http_router_class_init (BkDefaultRootHttpRouterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bk_default_root_http_router_dispose;
  object_class->finalize = bk_default_root_http_router_finalize;
}

static void
bk_default_root_http_router_init (BkDefaultRootHttpRouter *self)
{
  self->mounts = g_ptr_array_new_with_free_func (mount_free);
  self->host = g_strdup ("");
}

/* Responses ------------------------------------------------------------------ */

static void
respond_not_found (SoupServerMessage *message)
{
  g_autoptr(GError) error = g_error_new_literal (BK_HTTP_ERROR, BK_HTTP_ERROR_NOT_FOUND, "Not Found");
  g_autofree char *url = _bk_http_dup_request_url (message);
  g_autoptr(JsonNode) payload = NULL;

  payload = bk_http_error_to_json (error, soup_server_message_get_method (message), url);
  _bk_http_set_json_response (message, bk_http_error_to_status (error), payload);
}

/* The health endpoints, mounted at /.backstage/health. */
static void
handle_health (SoupServerMessage *message,
               const char        *path,
               gpointer           user_data)
{
  BkDefaultRootHttpRouter *self = user_data;
  const char *method = soup_server_message_get_method (message);
  g_autoptr(JsonNode) payload = NULL;
  guint status = 0;

  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
    {
      respond_not_found (message);
      return;
    }

  if (g_ascii_strcasecmp (path, HEALTH_PREFIX "/v1/liveness") == 0)
    payload = bk_root_health_get_liveness (self->health, &status);
  else if (g_ascii_strcasecmp (path, HEALTH_PREFIX "/v1/readiness") == 0)
    payload = bk_root_health_get_readiness (self->health, &status);
  else
    {
      respond_not_found (message);
      return;
    }

  if (payload != NULL)
    _bk_http_set_json_response (message, status, payload);
  else
    soup_server_message_set_status (message, status, NULL);
}

/* Access log --------------------------------------------------------------- */

typedef struct
{
  BkLogger *logger;
  BkClock  *clock;
  gint64    start;
  char     *request_id;
} RequestInfo;

static void
request_info_free (gpointer data,
                   GClosure *closure)
{
  RequestInfo *info = data;

  g_object_unref (info->logger);
  g_object_unref (info->clock);
  g_free (info->request_id);
  g_free (info);
}

static void
on_message_finished (SoupServerMessage *message,
                     gpointer           user_data)
{
  RequestInfo *info = user_data;
  g_autoptr(GHashTable) fields = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  const char *method = soup_server_message_get_method (message);
  guint status = soup_server_message_get_status (message);
  gint64 duration = (bk_clock_get_monotonic_time (info->clock) - info->start) / 1000;
  g_autofree char *url = _bk_http_dup_request_url (message);
  g_autofree char *line = NULL;

  g_hash_table_insert (fields, (gpointer) "type", g_strdup ("incomingRequest"));
  g_hash_table_insert (fields, (gpointer) "method", g_strdup (method));
  g_hash_table_insert (fields, (gpointer) "url", g_strdup (url));
  g_hash_table_insert (fields, (gpointer) "status", g_strdup_printf ("%u", status));
  g_hash_table_insert (fields, (gpointer) "duration", g_strdup_printf ("%" G_GINT64_FORMAT, duration));
  g_hash_table_insert (fields, (gpointer) "requestId", g_strdup (info->request_id));

  line = g_strdup_printf ("%s %s %u %" G_GINT64_FORMAT "ms", method, url, status, duration);
  bk_logger_log (info->logger, BK_LOG_LEVEL_INFO, fields, line);
}

/* Dispatch -------------------------------------------------------------------- */

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *message,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  BkDefaultRootHttpRouter *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);
  RequestInfo *info = g_new0 (RequestInfo, 1);

  info->logger = g_object_ref (self->logger);
  info->clock = g_object_ref (self->clock);
  info->start = bk_clock_get_monotonic_time (self->clock);
  info->request_id = g_uuid_string_random ();
  g_signal_connect_data (message, "finished", G_CALLBACK (on_message_finished),
                         info, request_info_free, G_CONNECT_DEFAULT);

  soup_message_headers_replace (headers, "X-Request-Id", info->request_id);
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "X-Frame-Options", "SAMEORIGIN");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "X-DNS-Prefetch-Control", "off");
  soup_message_headers_replace (headers, "X-Permitted-Cross-Domain-Policies", "none");

  for (guint i = 0; i < self->mounts->len; i++)
    {
      Mount *mount = g_ptr_array_index (self->mounts, i);

      if (path_is_under (path, mount->normalized))
        {
          mount->handler (message, path, mount->user_data);
          return;
        }
    }

  respond_not_found (message);
}

/* Listening ------------------------------------------------------------------- */

static gboolean
parse_port (const char *text,
            guint      *port)
{
  guint64 value = 0;

  if (!g_ascii_string_to_unsigned (text, 10, 0, 65535, &value, NULL))
    return FALSE;
  *port = (guint) value;
  return TRUE;
}

/* backend.listen: absent, {host, port}, a port number, "<port>" or
 * "<host>:<port>". */
static gboolean
read_listen_options (BkConfig  *config,
                     char     **host,
                     guint     *port,
                     GError   **error)
{
  g_autoptr(JsonNode) listen = bk_config_dup_node (config, "backend.listen");
  gint64 number = 0;

  if (listen != NULL && JSON_NODE_HOLDS_VALUE (listen))
    {
      g_autofree char *text = NULL;
      g_auto(GStrv) parts = NULL;
      guint n_parts;

      if (json_node_get_value_type (listen) == G_TYPE_STRING)
        text = g_strdup (json_node_get_string (listen));
      else if (json_node_get_value_type (listen) == G_TYPE_INT64)
        text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (listen));
      else
        text = json_to_string (listen, FALSE);

      parts = g_strsplit (text, ":", -1);
      n_parts = g_strv_length (parts);
      if (n_parts == 1 && parse_port (parts[0], port))
        {
          *host = g_strdup ("");
          return TRUE;
        }
      if (n_parts == 2 && parse_port (parts[1], port))
        {
          *host = g_strdup (parts[0]);
          return TRUE;
        }
      g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                   "Unable to parse listen address %s, expected <port> or <host>:<port>",
                   text);
      return FALSE;
    }

  if (!bk_config_get_optional_string (config, "backend.listen.host", "", host, error))
    return FALSE;
  if (!bk_config_get_optional_int (config, "backend.listen.port", DEFAULT_PORT, &number, error))
    return FALSE;
  if (number < 0 || number > 65535)
    {
      g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                   "Invalid port %" G_GINT64_FORMAT " in config for key 'backend.listen.port', "
                   "must be between 0 and 65535", number);
      return FALSE;
    }
  *port = (guint) number;
  return TRUE;
}

static gboolean
start_listening (BkDefaultRootHttpRouter  *self,
                 GError                  **error)
{
  g_autoptr(GError) local_error = NULL;
  GSList *listeners;
  gboolean ok;

  if (self->host[0] == '\0')
    ok = soup_server_listen_all (self->server, self->port, 0, &local_error);
  else if (g_ascii_strcasecmp (self->host, "localhost") == 0)
    ok = soup_server_listen_local (self->server, self->port, 0, &local_error);
  else
    {
      g_autoptr(GInetAddress) address = g_inet_address_new_from_string (self->host);
      g_autoptr(GSocketAddress) socket_address = NULL;

      if (address == NULL)
        {
          g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                       "Invalid host '%s' in config for key 'backend.listen.host', "
                       "expected an IP address or localhost", self->host);
          return FALSE;
        }
      socket_address = g_inet_socket_address_new (address, self->port);
      ok = soup_server_listen (self->server, socket_address, 0, &local_error);
    }

  if (!ok)
    {
      g_set_error (error, G_IO_ERROR, local_error->domain == G_IO_ERROR ? local_error->code : G_IO_ERROR_FAILED,
                   "Unable to listen on %s:%u, %s",
                   self->host[0] != '\0' ? self->host : "*", self->port, local_error->message);
      return FALSE;
    }

  listeners = soup_server_get_listeners (self->server);
  if (listeners != NULL)
    {
      g_autoptr(GSocketAddress) local = g_socket_get_local_address (listeners->data, NULL);

      if (G_IS_INET_SOCKET_ADDRESS (local))
        self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    }
  g_slist_free (listeners);
  return TRUE;
}

static gboolean
stop_hook (gpointer   user_data,
           GError   **error)
{
  stop_server (user_data);
  return TRUE;
}

static GObject *
create_root_http_router (BkDeps    *deps,
                         gpointer   root_context,
                         gpointer   user_data,
                         GError   **error)
{
  BkLifecycle *lifecycle = bk_deps_get (deps, BK_SERVICE_ROOT_LIFECYCLE);
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(BkDefaultRootHttpRouter) self = NULL;
  g_autofree char *base_url = NULL;

  g_return_val_if_fail (BK_IS_LIFECYCLE (lifecycle), NULL);

  config = bk_root_config_dup_config (bk_deps_get (deps, BK_SERVICE_ROOT_CONFIG));

  self = g_object_new (BK_TYPE_DEFAULT_ROOT_HTTP_ROUTER, NULL);
  self->logger = g_object_ref (bk_deps_get (deps, BK_SERVICE_ROOT_LOGGER));
  self->clock = g_object_ref (bk_deps_get (deps, BK_SERVICE_ROOT_CLOCK));
  self->health = g_object_ref (bk_deps_get (deps, BK_SERVICE_ROOT_HEALTH));

  g_clear_pointer (&self->host, g_free);
  if (!read_listen_options (config, &self->host, &self->port, error))
    return NULL;

  if (!bk_root_http_router_use (BK_ROOT_HTTP_ROUTER (self), HEALTH_PREFIX,
                                handle_health, self, NULL, error))
    return NULL;

  self->server = soup_server_new ("server-header", NULL, NULL);
  soup_server_add_handler (self->server, NULL, server_callback, self, NULL);
  if (!start_listening (self, error))
    return NULL;

  /* The hook holds the service until it has run (or the lifecycle is
   * gone). */
  if (!BK_LIFECYCLE_ADD_HOOK (lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN,
                              stop_hook, g_object_ref (self), g_object_unref, error))
    return NULL;

  base_url = bk_root_http_router_dup_base_url (BK_ROOT_HTTP_ROUTER (self));
  bk_logger_info (self->logger, "Listening on %s", base_url);

  return G_OBJECT (g_steal_pointer (&self));
}

BkServiceFactory *
_bk_root_http_router_default_factory (void)
{
  return bk_service_factory_new (BK_SERVICE_ROOT_HTTP_ROUTER,
                                 create_root_http_router, NULL, NULL,
                                 BK_SERVICE_ROOT_CONFIG,
                                 BK_SERVICE_ROOT_LOGGER,
                                 BK_SERVICE_ROOT_CLOCK,
                                 BK_SERVICE_ROOT_LIFECYCLE,
                                 BK_SERVICE_ROOT_HEALTH,
                                 NULL);
}
