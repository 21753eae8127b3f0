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
 *   names are not resolved. `backend.listen.reusePort: true` sets
 *   `SO_REUSEPORT` on the listening sockets, so several processes can
 *   share one port (the kernel spreads connections among them).
 * - With `backend.https.certificate.cert` and `.key` (PEM text; `$file`
 *   reads them from files) it speaks HTTPS only. `backend.https: true`
 *   without a certificate is refused: libbackend does not make self-signed
 *   certificates.
 * - It answers `GET /.backstage/health/v1/liveness` and
 *   `GET /.backstage/health/v1/readiness` from `core.rootHealth`
 *   ([iface@Bk.RootHealth]): its status and JSON body, plus the headers of
 *   `backend.health.headers`. The prefix `/.backstage/health` is mounted
 *   like any other, so a conflicting mount is refused.
 * - The *index path* (Backstage's `indexPath`, `/api/app` by default, see
 *   [func@Bk.root_http_router_factory_new]) names the mount that also takes
 *   every request no mount matched, unless its path is under `/api/`.
 * - Any other request is answered 404 with Backstage's error body
 *   ([func@Bk.http_error_to_json], a `NotFoundError` with the message
 *   `Not Found`); unknown paths under `/api/` always are.
 * - `backend.cors` turns on CORS as Backstage's `cors` middleware does;
 *   without it no CORS header is sent.
 * - A request body over `backend.server.requestBodyLimit` (1 MiB by
 *   default) is answered 413 without reaching a handler.
 * - Every response carries an `X-Request-Id` header (a random version 4
 *   UUID from a fast generator seeded once per server: unique, not a
 *   secret) and these security headers (a subset of the defaults of
 *   helmet, which Backstage uses): `X-Content-Type-Options: nosniff`,
 *   `X-Frame-Options: SAMEORIGIN`, `Referrer-Policy: no-referrer`,
 *   `X-DNS-Prefetch-Control: off` and
 *   `X-Permitted-Cross-Domain-Policies: none`. A handler may replace them.
 * - Every request finished (answered, or dropped by the client) writes one
 *   access-log line at info level through `core.rootLogger`:
 *   `GET /api/todo/todos 200 3ms` with the fields `type=incomingRequest`,
 *   `method`, `url`, `status`, `duration` (milliseconds, on
 *   `core.rootClock`) and `requestId`.
 * - Shutdown drains: a root before-shutdown hook waits
 *   `backend.lifecycle.serverShutdownDelay` (default 0), stops accepting
 *   connections, answers requests that still arrive on open connections
 *   503 `Service is shutting down` (with `Connection: close`), and waits for
 *   the requests in flight, at most `backend.lifecycle.serverDrainTimeout`
 *   (default 10 s), both on `core.rootClock`. A root shutdown hook then
 *   closes every connection left.
 *
 * Handlers run on the backend's main context. One that answers later
 * pauses the message with soup_server_message_pause() and unpauses it once
 * it has set the response.
 *
 * Since: 0.1
 */

#include <errno.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "libbackend.h"
#include "bk-services-private.h"
#include "bk-http-private.h"
#include "bk-backend-private.h"
#include "bk-duration-private.h"

#define DEFAULT_PORT 7007
#define DEFAULT_INDEX_PATH "/api/app"
#define DEFAULT_BODY_LIMIT 1048576
#define DEFAULT_DRAIN_TIMEOUT_MS 10000
#define DEFAULT_CORS_METHODS "GET,HEAD,PUT,PATCH,POST,DELETE"
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

/* Whether @path is @prefix (normalized) or lies under it, ignoring case. */
static gboolean
path_is_under (const char *path,
               const char *prefix)
{
  gsize len = strlen (prefix);

  return g_ascii_strncasecmp (path, prefix, len) == 0 &&
         (path[len] == '\0' || path[len] == '/');
}

/* Options ----------------------------------------------------------------------- */

/* What a factory was made with. */
typedef struct
{
  char     *index_path;      /* normalized, NULL: no index */
  gboolean  fixed_address;   /* the test kit's: ignore backend.listen host/port */
  char     *host;
  guint     port;
} FactoryOptions;

static void
factory_options_free (gpointer data)
{
  FactoryOptions *options = data;

  g_free (options->index_path);
  g_free (options->host);
  g_free (options);
}

/* backend.cors, as Backstage's `cors` middleware reads it. */
typedef struct
{
  char     **origins;          /* glob patterns */
  char      *methods;
  char      *allowed_headers;  /* NULL: reflect the request's */
  char      *exposed_headers;  /* NULL: none */
  gboolean   credentials;
  gint64     max_age;          /* -1: none */
} Cors;

static void
cors_free (Cors *cors)
{
  g_strfreev (cors->origins);
  g_free (cors->methods);
  g_free (cors->allowed_headers);
  g_free (cors->exposed_headers);
  g_free (cors);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Cors, cors_free)

/* The default implementation -------------------------------------------------- */

#define BK_TYPE_DEFAULT_ROOT_HTTP_ROUTER (bk_default_root_http_router_get_type ())
G_DECLARE_FINAL_TYPE (BkDefaultRootHttpRouter, bk_default_root_http_router, BK, DEFAULT_ROOT_HTTP_ROUTER, GObject)

struct _BkDefaultRootHttpRouter
{
  GObject          parent_instance;

  SoupServer      *server;
  GPtrArray       *mounts;          /* Mount */
  BkLogger        *logger;
  BkClock         *clock;
  BkRootHealth    *health;
  char            *host;            /* as configured, "" for every interface */
  guint            port;            /* bound, 0 once no longer listening */
  gboolean         reuse_port;
  char            *index_path;      /* normalized, NULL: none */
  Mount           *index_mount;     /* (unowned) the mount at index_path, once used */
  GTlsCertificate *certificate;     /* NULL: plain HTTP */
  Cors            *cors;            /* NULL: no CORS */
  GPtrArray       *health_headers;  /* name, value, name, value… */
  gint64           body_limit;
  guint64          shutdown_delay_ms;
  guint64          drain_timeout_ms;

  /* Draining */
  guint            n_in_flight;     /* messages whose RequestInfo is in_flight */
  guint64          id_state;        /* the request id generator's */
  gboolean         draining;        /* listeners closed: new requests get 503 */
  GTask           *drain_task;      /* the before-shutdown hook's, while it waits */
  guint            delay_timer;
  guint            drain_timer;
};

static void bk_default_root_http_router_iface_init (BkRootHttpRouterInterface *iface);

/* A message's RequestInfo. */
static GQuark request_info_quark;

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
  if (g_strcmp0 (mount->normalized, self->index_path) == 0)
    self->index_mount = mount;
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
  const char *scheme = self->certificate != NULL ? "https" : "http";
  const char *host = self->host;

  if (self->port == 0)
    return NULL;

  if (host[0] == '\0' || g_str_equal (host, "0.0.0.0"))
    host = "127.0.0.1";
  else if (g_str_equal (host, "::"))
    host = "::1";

  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("%s://[%s]:%u", scheme, host, self->port);
  return g_strdup_printf ("%s://%s:%u", scheme, host, self->port);
}

static void
bk_default_root_http_router_iface_init (BkRootHttpRouterInterface *iface)
{
  iface->use = bk_default_root_http_router_use;
  iface->get_port = bk_default_root_http_router_get_port;
  iface->dup_base_url = bk_default_root_http_router_dup_base_url;
}

static void
cancel_timer (BkDefaultRootHttpRouter *self,
              guint                   *id)
{
  if (*id != 0)
    {
      bk_clock_cancel_timer (self->clock, *id);
      *id = 0;
    }
}

static void
complete_drain (BkDefaultRootHttpRouter *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->drain_task);

  cancel_timer (self, &self->delay_timer);
  cancel_timer (self, &self->drain_timer);
  if (task != NULL)
    g_task_return_boolean (task, TRUE);
}

static void
stop_server (BkDefaultRootHttpRouter *self)
{
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  /* Requests that never finished (paused, their connection now closed). */
  self->n_in_flight = 0;
  self->port = 0;
}

static void
bk_default_root_http_router_dispose (GObject *object)
{
  BkDefaultRootHttpRouter *self = BK_DEFAULT_ROOT_HTTP_ROUTER (object);

  if (self->clock != NULL)
    complete_drain (self);
  stop_server (self);
  if (self->server != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->server, self);
      soup_server_remove_handler (self->server, NULL);
    }
  g_clear_object (&self->server);
  self->index_mount = NULL;
  g_clear_pointer (&self->mounts, g_ptr_array_unref);
  g_clear_object (&self->logger);
  g_clear_object (&self->clock);
  g_clear_object (&self->health);
  g_clear_object (&self->certificate);

  G_OBJECT_CLASS (bk_default_root_http_router_parent_class)->dispose (object);
}

static void
bk_default_root_http_router_finalize (GObject *object)
{
  BkDefaultRootHttpRouter *self = BK_DEFAULT_ROOT_HTTP_ROUTER (object);

  g_free (self->host);
  g_free (self->index_path);
  g_clear_pointer (&self->cors, cors_free);
  g_clear_pointer (&self->health_headers, g_ptr_array_unref);

  G_OBJECT_CLASS (bk_default_root_http_router_parent_class)->finalize (object);
}

static void
bk_default_root_http_router_class_init (BkDefaultRootHttpRouterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bk_default_root_http_router_dispose;
  object_class->finalize = bk_default_root_http_router_finalize;

  request_info_quark = g_quark_from_static_string ("bk-root-http-request");
}

static void
bk_default_root_http_router_init (BkDefaultRootHttpRouter *self)
{
  self->mounts = g_ptr_array_new_with_free_func (mount_free);
  self->host = g_strdup ("");
  self->health_headers = g_ptr_array_new_with_free_func (g_free);
  self->id_state = ((guint64) g_random_int () << 32) | g_random_int ();
  self->body_limit = DEFAULT_BODY_LIMIT;
  self->drain_timeout_ms = DEFAULT_DRAIN_TIMEOUT_MS;
}

/* Responses ------------------------------------------------------------------ */

static void
respond_error (SoupServerMessage *message,
               BkHttpError        code,
               const char        *text)
{
  g_autoptr(GError) error = g_error_new_literal (BK_HTTP_ERROR, code, text);
  g_autofree char *url = _bk_http_dup_request_url (message);
  g_autoptr(JsonNode) payload = NULL;

  payload = bk_http_error_to_json (error, soup_server_message_get_method (message), url);
  _bk_http_set_json_response (message, bk_http_error_to_status (error), payload);
}

static void
respond_not_found (SoupServerMessage *message)
{
  respond_error (message, BK_HTTP_ERROR_NOT_FOUND, "Not Found");
}

/* An answer after which the connection closes. */
static void
respond_error_and_close (SoupServerMessage *message,
                         BkHttpError        code,
                         const char        *text)
{
  respond_error (message, code, text);
  soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                "Connection", "close");
}

static void
respond_too_large (BkDefaultRootHttpRouter *self,
                   SoupServerMessage       *message)
{
  g_autofree char *text = g_strdup_printf ("Request body is larger than the limit of %"
                                           G_GINT64_FORMAT " bytes", self->body_limit);

  respond_error_and_close (message, BK_HTTP_ERROR_PAYLOAD_TOO_LARGE, text);
}

/* The health endpoints, mounted at /.backstage/health. */
static void
handle_health (SoupServerMessage *message,
               const char        *path,
               gpointer           user_data)
{
  BkDefaultRootHttpRouter *self = user_data;
  const char *method = soup_server_message_get_method (message);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);
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

  for (guint i = 0; i + 1 < self->health_headers->len; i += 2)
    soup_message_headers_replace (headers,
                                  g_ptr_array_index (self->health_headers, i),
                                  g_ptr_array_index (self->health_headers, i + 1));
}

/* CORS -------------------------------------------------------------------------- */

static gboolean
cors_origin_allowed (Cors       *cors,
                     const char *origin)
{
  for (guint i = 0; cors->origins[i] != NULL; i++)
    if (g_pattern_match_simple (cors->origins[i], origin))
      return TRUE;
  return FALSE;
}

static void
append_vary (SoupMessageHeaders *headers,
             const char         *name)
{
  soup_message_headers_append (headers, "Vary", name);
}

/* Adds the CORS headers; returns TRUE when @message was a preflight, now
 * answered. */
static gboolean
apply_cors (BkDefaultRootHttpRouter *self,
            SoupServerMessage       *message)
{
  Cors *cors = self->cors;
  SoupMessageHeaders *request = soup_server_message_get_request_headers (message);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (message);
  const char *origin = soup_message_headers_get_one (request, "Origin");
  gboolean preflight;

  if (cors == NULL || origin == NULL)
    return FALSE;

  preflight = soup_server_message_get_method (message) == SOUP_METHOD_OPTIONS &&
              soup_message_headers_get_one (request, "Access-Control-Request-Method") != NULL;

  append_vary (response, "Origin");
  if (cors_origin_allowed (cors, origin))
    {
      soup_message_headers_replace (response, "Access-Control-Allow-Origin", origin);
      if (cors->credentials)
        soup_message_headers_replace (response, "Access-Control-Allow-Credentials", "true");
      if (!preflight && cors->exposed_headers != NULL)
        soup_message_headers_replace (response, "Access-Control-Expose-Headers", cors->exposed_headers);
    }

  if (!preflight)
    return FALSE;

  /* Answered here, whether the origin is allowed or not (as the `cors`
   * package does): without Access-Control-Allow-Origin the browser refuses
   * the real request. */
  soup_message_headers_replace (response, "Access-Control-Allow-Methods", cors->methods);
  if (cors->allowed_headers != NULL)
    soup_message_headers_replace (response, "Access-Control-Allow-Headers", cors->allowed_headers);
  else
    {
      const char *asked = soup_message_headers_get_one (request, "Access-Control-Request-Headers");

      append_vary (response, "Access-Control-Request-Headers");
      if (asked != NULL)
        soup_message_headers_replace (response, "Access-Control-Allow-Headers", asked);
    }
  if (cors->max_age >= 0)
    {
      g_autofree char *max_age = g_strdup_printf ("%" G_GINT64_FORMAT, cors->max_age);

      soup_message_headers_replace (response, "Access-Control-Max-Age", max_age);
    }
  soup_message_headers_set_content_length (response, 0);
  soup_server_message_set_status (message, SOUP_STATUS_NO_CONTENT, NULL);
  return TRUE;
}

/* Requests: access log, body limit, draining ------------------------------------
 *
 * Everything here runs once per request, so it avoids per-message signal
 * connections: the server's own signals (request-started, request-finished,
 * request-aborted) and an early handler (libsoup calls it from its
 * got-headers handler, before the body is read) are connected once. */

typedef struct
{
  gint64    start;
  gint64    body_limit;
  gint64    received;    /* body bytes, when not announced */
  gboolean  too_large;
  gboolean  in_flight;   /* counted in n_in_flight */
  char      request_id[37];
} RequestInfo;

static RequestInfo *
request_info_get (SoupServerMessage *message)
{
  return g_object_get_qdata (G_OBJECT (message), request_info_quark);
}

/* A random (version 4) UUID, from a splitmix64 generator seeded from
 * g_random: unique per request without GRand's lock or printf. Not a
 * secret. */
static guint64
next_random (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static void
format_request_id (guint64 *state,
                   char     out[37])
{
  static const char hex[] = "0123456789abcdef";
  guint8 bytes[16];
  guint64 high = next_random (state);
  guint64 low = next_random (state);
  guint j = 0;

  for (guint i = 0; i < 8; i++)
    {
      bytes[i] = (guint8) (high >> (56 - 8 * i));
      bytes[8 + i] = (guint8) (low >> (56 - 8 * i));
    }
  bytes[6] = (bytes[6] & 0x0f) | 0x40;  /* version 4 */
  bytes[8] = (bytes[8] & 0x3f) | 0x80;  /* RFC 4122 variant */

  for (guint i = 0; i < 16; i++)
    {
      if (i == 4 || i == 6 || i == 8 || i == 10)
        out[j++] = '-';
      out[j++] = hex[bytes[i] >> 4];
      out[j++] = hex[bytes[i] & 0x0f];
    }
  out[j] = '\0';
}

/* @message is no longer in flight. */
static void
request_done (BkDefaultRootHttpRouter *self,
              RequestInfo             *info)
{
  if (!info->in_flight)
    return;
  info->in_flight = FALSE;
  /* Zero already if the server stopped meanwhile. */
  if (self->n_in_flight == 0)
    return;
  self->n_in_flight--;

  if (self->draining && self->drain_task != NULL && self->n_in_flight == 0)
    complete_drain (self);
}

/* @value in decimal, at the end of @buf. */
static const char *
format_int (char   buf[24],
            gint64 value)
{
  guint64 rest = value < 0 ? -(guint64) value : (guint64) value;
  char *p = buf + 23;

  *p = '\0';
  do
    {
      *--p = (char) ('0' + rest % 10);
      rest /= 10;
    }
  while (rest > 0);
  if (value < 0)
    *--p = '-';
  return p;
}

/* The access log line: built only when the logger may write it. */
static void
log_request (BkDefaultRootHttpRouter *self,
             SoupServerMessage       *message,
             RequestInfo             *info)
{
  g_autoptr(GHashTable) fields = NULL;
  const char *method = soup_server_message_get_method (message);
  guint status = soup_server_message_get_status (message);
  gint64 duration = (bk_clock_get_monotonic_time (self->clock) - info->start) / 1000;
  g_autofree char *url = NULL;
  g_autofree char *line = NULL;
  char status_buf[24];
  char duration_buf[24];
  const char *status_text;
  const char *duration_text;

  /* Nothing was asked (the client sent bytes that were no request). */
  if (method == NULL || soup_server_message_get_uri (message) == NULL)
    return;
  if (!bk_logger_is_enabled (self->logger, BK_LOG_LEVEL_INFO))
    return;

  url = _bk_http_dup_request_url (message);
  status_text = format_int (status_buf, status);
  duration_text = format_int (duration_buf, duration);
  fields = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (fields, (gpointer) "type", (gpointer) "incomingRequest");
  g_hash_table_insert (fields, (gpointer) "method", (gpointer) method);
  g_hash_table_insert (fields, (gpointer) "url", url);
  g_hash_table_insert (fields, (gpointer) "status", (gpointer) status_text);
  g_hash_table_insert (fields, (gpointer) "duration", (gpointer) duration_text);
  g_hash_table_insert (fields, (gpointer) "requestId", info->request_id);

  line = g_strconcat (method, " ", url, " ", status_text, " ", duration_text, "ms", NULL);
  bk_logger_log (self->logger, BK_LOG_LEVEL_INFO, fields, line);
}

/* SoupServer::request-finished and ::request-aborted: answered, or dropped
 * by the client (libsoup emits them only for messages that had a request
 * line, just after the message's own `finished`). */
static void
on_request_finished (SoupServer        *server,
                     SoupServerMessage *message,
                     gpointer           user_data)
{
  BkDefaultRootHttpRouter *self = user_data;
  RequestInfo *info = request_info_get (message);

  if (info == NULL)
    return;
  request_done (self, info);
  log_request (self, message, info);
}

/* A body without Content-Length: count it as it comes. */
static void
on_got_chunk (SoupServerMessage *message,
              GBytes            *chunk,
              gpointer           user_data)
{
  RequestInfo *info = user_data;
  SoupMessageBody *body;

  if (info->too_large)
    return;

  info->received += g_bytes_get_size (chunk);
  if (info->received <= info->body_limit)
    return;

  /* Keep reading (the client is still sending), but drop what came. */
  info->too_large = TRUE;
  body = soup_server_message_get_request_body (message);
  soup_message_body_set_accumulate (body, FALSE);
  soup_message_body_truncate (body);
}

/* The early handler: libsoup calls it once the request headers are read
 * and it has not answered the request itself (a bad request). A status set
 * now is sent without calling a handler, and without asking for the body
 * if the client waits for `100 Continue`. */
static void
early_callback (SoupServer        *server,
                SoupServerMessage *message,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  BkDefaultRootHttpRouter *self = user_data;
  SoupMessageHeaders *request = soup_server_message_get_request_headers (message);
  RequestInfo *info = request_info_get (message);
  SoupEncoding encoding;

  if (info == NULL)
    return;

  if (self->draining)
    {
      respond_error_and_close (message, BK_HTTP_ERROR_SERVICE_UNAVAILABLE, "Service is shutting down");
      return;
    }

  info->in_flight = TRUE;
  self->n_in_flight++;

  encoding = soup_message_headers_get_encoding (request);
  if (encoding == SOUP_ENCODING_CONTENT_LENGTH)
    {
      if (soup_message_headers_get_content_length (request) > self->body_limit)
        {
          info->too_large = TRUE;
          soup_message_body_set_accumulate (soup_server_message_get_request_body (message), FALSE);
          respond_too_large (self, message);
        }
    }
  else if (encoding != SOUP_ENCODING_NONE)  /* NONE: no body at all */
    g_signal_connect (message, "got-chunk", G_CALLBACK (on_got_chunk), info);
}

/* SoupServer::request-started: a new message, nothing read yet. Its
 * response headers are still empty, so append is enough; a handler may
 * replace them. */
static void
on_request_started (SoupServer        *server,
                    SoupServerMessage *message,
                    gpointer           user_data)
{
  BkDefaultRootHttpRouter *self = user_data;
  RequestInfo *info = g_new (RequestInfo, 1);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);

  info->start = bk_clock_get_monotonic_time (self->clock);
  info->body_limit = self->body_limit;
  info->received = 0;
  info->too_large = FALSE;
  info->in_flight = FALSE;
  format_request_id (&self->id_state, info->request_id);
  /* The message owns its info. */
  g_object_set_qdata_full (G_OBJECT (message), request_info_quark, info, g_free);

  soup_message_headers_append (headers, "X-Request-Id", info->request_id);
  soup_message_headers_append (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_append (headers, "X-Frame-Options", "SAMEORIGIN");
  soup_message_headers_append (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_append (headers, "X-DNS-Prefetch-Control", "off");
  soup_message_headers_append (headers, "X-Permitted-Cross-Domain-Policies", "none");
}

/* Dispatch -------------------------------------------------------------------- */

static Mount *
find_mount (BkDefaultRootHttpRouter *self,
            const char              *path)
{
  for (guint i = 0; i < self->mounts->len; i++)
    {
      Mount *mount = g_ptr_array_index (self->mounts, i);

      if (path_is_under (path, mount->normalized))
        return mount;
    }
  return NULL;
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *message,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  BkDefaultRootHttpRouter *self = user_data;
  RequestInfo *info = request_info_get (message);
  Mount *mount;

  if (info != NULL && info->too_large)
    {
      respond_too_large (self, message);
      return;
    }

  if (apply_cors (self, message))
    return;

  mount = find_mount (self, path);
  /* The index mount takes what no mount matched, outside /api/. */
  if (mount == NULL && g_ascii_strncasecmp (path, "/api/", 5) != 0)
    mount = self->index_mount;

  if (mount != NULL)
    mount->handler (message, path, mount->user_data);
  else
    respond_not_found (message);
}

/* Reading the config ------------------------------------------------------------ */

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

/* A string, or a list of strings joined with commas; NULL when absent. */
static gboolean
read_string_or_list (BkConfig    *config,
                     const char  *key,
                     char       **out,
                     GError     **error)
{
  g_autoptr(JsonNode) node = bk_config_dup_node (config, key);

  *out = NULL;
  if (node == NULL)
    return TRUE;

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      g_auto(GStrv) items = NULL;

      if (!bk_config_get_string_array (config, key, &items, error))
        return FALSE;
      *out = g_strjoinv (",", items);
      return TRUE;
    }
  return bk_config_get_string (config, key, out, error);
}

static gboolean
read_cors (BkDefaultRootHttpRouter  *self,
           BkConfig                 *config,
           GError                  **error)
{
  g_autoptr(BkConfig) section = NULL;
  g_autoptr(JsonNode) origin = NULL;
  g_autoptr(Cors) cors = NULL;

  if (!bk_config_get_optional_config (config, "backend.cors", &section, error))
    return FALSE;
  if (section == NULL)
    return TRUE;

  cors = g_new0 (Cors, 1);
  origin = bk_config_dup_node (config, "backend.cors.origin");
  if (origin != NULL && JSON_NODE_HOLDS_ARRAY (origin))
    {
      if (!bk_config_get_string_array (config, "backend.cors.origin", &cors->origins, error))
        return FALSE;
    }
  else
    {
      g_autofree char *one = NULL;

      if (!bk_config_get_optional_string (config, "backend.cors.origin", NULL, &one, error))
        return FALSE;
      cors->origins = g_new0 (char *, 2);
      cors->origins[0] = g_steal_pointer (&one);
    }

  if (!read_string_or_list (config, "backend.cors.methods", &cors->methods, error) ||
      !read_string_or_list (config, "backend.cors.allowedHeaders", &cors->allowed_headers, error) ||
      !read_string_or_list (config, "backend.cors.exposedHeaders", &cors->exposed_headers, error) ||
      !bk_config_get_optional_boolean (config, "backend.cors.credentials", FALSE, &cors->credentials, error) ||
      !bk_config_get_optional_int (config, "backend.cors.maxAge", -1, &cors->max_age, error))
    return FALSE;
  if (cors->methods == NULL)
    cors->methods = g_strdup (DEFAULT_CORS_METHODS);

  self->cors = g_steal_pointer (&cors);
  return TRUE;
}

/* backend.health.headers: an object of non-empty strings. */
static gboolean
read_health_headers (BkDefaultRootHttpRouter  *self,
                     BkConfig                 *config,
                     GError                  **error)
{
  g_autoptr(BkConfig) section = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (!bk_config_get_optional_config (config, "backend.health.headers", &section, error))
    return FALSE;
  if (section == NULL)
    return TRUE;

  node = bk_config_dup_node (section, NULL);
  json_object_iter_init_ordered (&iter, json_node_get_object (node));
  while (json_object_iter_next_ordered (&iter, &name, &value))
    {
      const char *text = NULL;

      if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
        text = json_node_get_string (value);
      if (text == NULL || text[0] == '\0')
        {
          g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                       "Invalid header value at backend.health.headers.%s, must be a non-empty string",
                       name);
          return FALSE;
        }
      g_ptr_array_add (self->health_headers, g_strdup (name));
      g_ptr_array_add (self->health_headers, g_strdup (text));
    }
  return TRUE;
}

/* backend.server.requestBodyLimit: bytes, or "100kb", "1mb"… */
static gboolean
read_body_limit (BkDefaultRootHttpRouter  *self,
                 BkConfig                 *config,
                 GError                  **error)
{
  const char *key = "backend.server.requestBodyLimit";
  static const struct { const char *suffix; gint64 factor; } units[] = {
    { "kb", 1024 }, { "mb", 1024 * 1024 }, { "gb", 1024 * 1024 * 1024 }, { "b", 1 },
  };
  g_autoptr(JsonNode) node = bk_config_dup_node (config, key);
  g_autofree char *text = NULL;
  g_autofree char *source = NULL;
  gint64 factor = 1;
  guint64 number = 0;

  if (node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      gint64 value = 0;

      if (!bk_config_get_int (config, key, &value, error))
        return FALSE;
      if (value >= 0)
        {
          self->body_limit = value;
          return TRUE;
        }
      text = g_strdup_printf ("%" G_GINT64_FORMAT, value);
    }
  else
    {
      g_autofree char *lower = g_ascii_strdown (json_node_get_string (node), -1);
      char *digits = g_strstrip (lower);

      for (guint i = 0; i < G_N_ELEMENTS (units); i++)
        if (g_str_has_suffix (digits, units[i].suffix))
          {
            digits[strlen (digits) - strlen (units[i].suffix)] = '\0';
            g_strchomp (digits);
            factor = units[i].factor;
            break;
          }
      if (g_ascii_string_to_unsigned (digits, 10, 0, G_MAXINT64 / factor, &number, NULL))
        {
          self->body_limit = (gint64) number * factor;
          return TRUE;
        }
      text = g_strdup (json_node_get_string (node));
    }

  source = bk_config_dup_key_source (config, key);
  g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
               "Invalid request body limit '%s' in config for key '%s' in '%s', "
               "expected a number of bytes or a string such as '100kb' or '1mb'",
               text, key, source != NULL ? source : bk_config_get_source (config));
  return FALSE;
}

/* backend.https: absent or false (HTTP), or a certificate. */
static gboolean
read_tls (BkDefaultRootHttpRouter  *self,
          BkConfig                 *config,
          GError                  **error)
{
  g_autoptr(JsonNode) https = bk_config_dup_node (config, "backend.https");
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GTlsCertificate) alone = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *both = NULL;
  g_autofree char *key_pem = NULL;

  if (https == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (https))
    {
      gboolean enabled = FALSE;

      if (!bk_config_get_boolean (config, "backend.https", &enabled, error))
        return FALSE;
      if (!enabled)
        return TRUE;
    }

  if (!bk_config_has (config, "backend.https.certificate.cert") ||
      !bk_config_has (config, "backend.https.certificate.key"))
    {
      g_set_error_literal (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_MISSING,
                           "backend.https is set but backend.https.certificate.cert and "
                           "backend.https.certificate.key are missing; libbackend does not "
                           "generate self-signed certificates, give the PEM text of a "
                           "certificate and its private key (for example with $file)");
      return FALSE;
    }
  if (!bk_config_get_string (config, "backend.https.certificate.cert", &cert, error) ||
      !bk_config_get_string (config, "backend.https.certificate.key", &key, error))
    return FALSE;

  alone = g_tls_certificate_new_from_pem (cert, -1, &local_error);
  if (alone == NULL)
    {
      g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                   "Invalid certificate in config at 'backend.https.certificate.cert', %s",
                   local_error->message);
      return FALSE;
    }

  both = g_strconcat (cert, "\n", key, NULL);
  self->certificate = g_tls_certificate_new_from_pem (both, -1, &local_error);
  if (self->certificate != NULL)
    g_object_get (self->certificate, "private-key-pem", &key_pem, NULL);
  if (key_pem == NULL)
    {
      g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                   "Invalid private key in config at 'backend.https.certificate.key', %s",
                   local_error != NULL ? local_error->message : "no PEM private key found");
      return FALSE;
    }
  return TRUE;
}

/* Listening ------------------------------------------------------------------- */

/* A listening socket with SO_REUSEPORT: g_socket_bind() would turn it off. */
static gboolean
listen_reusing_port (BkDefaultRootHttpRouter  *self,
                     GInetAddress             *address,
                     guint                     port,
                     SoupServerListenOptions   options,
                     GError                  **error)
{
  g_autoptr(GSocketAddress) socket_address = g_inet_socket_address_new (address, port);
  GSocketFamily family = g_inet_address_get_family (address);
  g_autoptr(GSocket) socket = NULL;
  struct sockaddr_storage native;
  int one = 1;
  int fd;

  socket = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  fd = g_socket_get_fd (socket);

  if (setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      setsockopt (fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
      (family == G_SOCKET_FAMILY_IPV6 &&
       setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0))
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Unable to set SO_REUSEPORT: %s", g_strerror (saved));
      return FALSE;
    }

  if (!g_socket_address_to_native (socket_address, &native, sizeof native, error))
    return FALSE;
  if (bind (fd, (struct sockaddr *) &native, g_socket_address_get_native_size (socket_address)) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Error binding to address: %s", g_strerror (saved));
      return FALSE;
    }
  if (!g_socket_listen (socket, error))
    return FALSE;

  return soup_server_listen_socket (self->server, socket, options, error);
}

/* The port the first listener got. */
static guint
bound_port (BkDefaultRootHttpRouter *self)
{
  GSList *listeners = soup_server_get_listeners (self->server);
  guint port = 0;

  if (listeners != NULL)
    {
      g_autoptr(GSocketAddress) local = g_socket_get_local_address (listeners->data, NULL);

      if (G_IS_INET_SOCKET_ADDRESS (local))
        port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    }
  g_slist_free (listeners);
  return port;
}

/* Every interface or loopback, IPv4 then IPv6 on the same port, as
 * soup_server_listen_all() and _local() do; IPv6 may be missing. */
static gboolean
listen_reusing_port_any (BkDefaultRootHttpRouter  *self,
                         gboolean                  loopback,
                         SoupServerListenOptions   options,
                         GError                  **error)
{
  g_autoptr(GInetAddress) v4 = NULL;
  g_autoptr(GInetAddress) v6 = NULL;
  g_autoptr(GError) v6_error = NULL;

  v4 = loopback ? g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4)
                : g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  if (!listen_reusing_port (self, v4, self->port, options, error))
    return FALSE;

  v6 = loopback ? g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6)
                : g_inet_address_new_any (G_SOCKET_FAMILY_IPV6);
  if (!listen_reusing_port (self, v6, bound_port (self), options, &v6_error) &&
      !g_error_matches (v6_error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED) &&
      !g_error_matches (v6_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE) &&
      !g_error_matches (v6_error, G_IO_ERROR, G_IO_ERROR_FAILED))
    {
      g_propagate_error (error, g_steal_pointer (&v6_error));
      return FALSE;
    }
  return TRUE;
}

static gboolean
start_listening (BkDefaultRootHttpRouter  *self,
                 GError                  **error)
{
  g_autoptr(GError) local_error = NULL;
  SoupServerListenOptions options = 0;
  gboolean localhost = g_ascii_strcasecmp (self->host, "localhost") == 0;
  gboolean ok;

  if (self->certificate != NULL)
    {
      g_object_set (self->server, "tls-certificate", self->certificate, NULL);
      options |= SOUP_SERVER_LISTEN_HTTPS;
    }

  if (self->host[0] == '\0' || localhost)
    {
      if (self->reuse_port)
        ok = listen_reusing_port_any (self, localhost, options, &local_error);
      else if (localhost)
        ok = soup_server_listen_local (self->server, self->port, options, &local_error);
      else
        ok = soup_server_listen_all (self->server, self->port, options, &local_error);
    }
  else
    {
      g_autoptr(GInetAddress) address = g_inet_address_new_from_string (self->host);

      if (address == NULL)
        {
          g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                       "Invalid host '%s' in config for key 'backend.listen.host', "
                       "expected an IP address or localhost", self->host);
          return FALSE;
        }
      if (self->reuse_port)
        ok = listen_reusing_port (self, address, self->port, options, &local_error);
      else
        {
          g_autoptr(GSocketAddress) socket_address = g_inet_socket_address_new (address, self->port);

          ok = soup_server_listen (self->server, socket_address, options, &local_error);
        }
    }

  if (!ok)
    {
      g_set_error (error, G_IO_ERROR, local_error->domain == G_IO_ERROR ? local_error->code : G_IO_ERROR_FAILED,
                   "Unable to listen on %s:%u, %s",
                   self->host[0] != '\0' ? self->host : "*", self->port, local_error->message);
      return FALSE;
    }

  self->port = bound_port (self);
  return TRUE;
}

/* Shutdown ------------------------------------------------------------------------ */

/* Stops accepting: shutting a listening socket down makes the kernel
 * refuse new connections and wakes libsoup's accept watch, which then
 * drops itself. Connections already accepted stay open, and the port and
 * base URL stay known (requests on those connections still get answers)
 * until the shutdown hook stops the server. */
static void
close_listeners (BkDefaultRootHttpRouter *self)
{
  GSList *listeners = soup_server_get_listeners (self->server);

  for (GSList *l = listeners; l != NULL; l = l->next)
    g_socket_shutdown (l->data, TRUE, TRUE, NULL);
  g_slist_free (listeners);
}

static void
on_drain_timeout (gpointer user_data)
{
  BkDefaultRootHttpRouter *self = user_data;
  guint n = self->n_in_flight;

  self->drain_timer = 0;
  bk_logger_warn (self->logger,
                  "Stopped waiting for %u request%s in flight after %" G_GUINT64_FORMAT
                  " ms (backend.lifecycle.serverDrainTimeout); their connections will be closed",
                  n, n == 1 ? "" : "s", self->drain_timeout_ms);
  complete_drain (self);
}

static void
begin_draining (BkDefaultRootHttpRouter *self)
{
  self->draining = TRUE;
  close_listeners (self);

  if (self->n_in_flight == 0 || self->drain_timeout_ms == 0)
    complete_drain (self);
  else
    self->drain_timer = bk_clock_add_timer (self->clock, self->drain_timeout_ms,
                                            on_drain_timeout, self, NULL);
}

static void
on_shutdown_delay_done (gpointer user_data)
{
  BkDefaultRootHttpRouter *self = user_data;

  self->delay_timer = 0;
  begin_draining (self);
}

static void
drain_hook (GTask    *task,
            gpointer  user_data)
{
  BkDefaultRootHttpRouter *self = user_data;

  g_assert (self->drain_task == NULL);
  self->drain_task = task;   /* ours to complete and release */

  if (self->shutdown_delay_ms > 0)
    self->delay_timer = bk_clock_add_timer (self->clock, self->shutdown_delay_ms,
                                            on_shutdown_delay_done, self, NULL);
  else
    begin_draining (self);
}

static gboolean
stop_hook (gpointer   user_data,
           GError   **error)
{
  BkDefaultRootHttpRouter *self = user_data;

  complete_drain (self);
  self->draining = TRUE;
  stop_server (self);
  return TRUE;
}

/* The factory ----------------------------------------------------------------------- */

static GObject *
create_root_http_router (BkDeps    *deps,
                         gpointer   root_context,
                         gpointer   user_data,
                         GError   **error)
{
  FactoryOptions *options = user_data;
  BkLifecycle *lifecycle = bk_deps_get (deps, BK_SERVICE_ROOT_LIFECYCLE);
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(BkDefaultRootHttpRouter) self = NULL;
  g_autoptr(JsonNode) listen = NULL;
  g_autofree char *base_url = NULL;

  g_return_val_if_fail (BK_IS_LIFECYCLE (lifecycle), NULL);

  config = bk_root_config_dup_config (bk_deps_get (deps, BK_SERVICE_ROOT_CONFIG));

  self = g_object_new (BK_TYPE_DEFAULT_ROOT_HTTP_ROUTER, NULL);
  self->logger = g_object_ref (bk_deps_get (deps, BK_SERVICE_ROOT_LOGGER));
  self->clock = g_object_ref (bk_deps_get (deps, BK_SERVICE_ROOT_CLOCK));
  self->health = g_object_ref (bk_deps_get (deps, BK_SERVICE_ROOT_HEALTH));
  self->index_path = g_strdup (options->index_path);

  g_clear_pointer (&self->host, g_free);
  if (options->fixed_address)
    {
      self->host = g_strdup (options->host);
      self->port = options->port;
    }
  else if (!read_listen_options (config, &self->host, &self->port, error))
    return NULL;

  /* backend.listen as a string has no reusePort. */
  listen = bk_config_dup_node (config, "backend.listen");
  if ((listen == NULL || JSON_NODE_HOLDS_OBJECT (listen)) &&
      !bk_config_get_optional_boolean (config, "backend.listen.reusePort", FALSE,
                                       &self->reuse_port, error))
    return NULL;

  if (!read_tls (self, config, error) ||
      !read_cors (self, config, error) ||
      !read_health_headers (self, config, error) ||
      !read_body_limit (self, config, error) ||
      !_bk_duration_from_config (config, "backend.lifecycle.serverShutdownDelay", 0,
                                 &self->shutdown_delay_ms, error) ||
      !_bk_duration_from_config (config, "backend.lifecycle.serverDrainTimeout",
                                 DEFAULT_DRAIN_TIMEOUT_MS, &self->drain_timeout_ms, error))
    return NULL;

  if (!bk_root_http_router_use (BK_ROOT_HTTP_ROUTER (self), HEALTH_PREFIX,
                                handle_health, self, NULL, error))
    return NULL;

  self->server = soup_server_new ("server-header", NULL, NULL);
  g_signal_connect (self->server, "request-started", G_CALLBACK (on_request_started), self);
  g_signal_connect (self->server, "request-finished", G_CALLBACK (on_request_finished), self);
  g_signal_connect (self->server, "request-aborted", G_CALLBACK (on_request_finished), self);
  soup_server_add_early_handler (self->server, NULL, early_callback, self, NULL);
  soup_server_add_handler (self->server, NULL, server_callback, self, NULL);
  if (!start_listening (self, error))
    return NULL;

  /* The hooks hold the service until they have run (or the lifecycle is
   * gone). core.rootHealth was made first, so its before-shutdown hook
   * (readiness 503) runs before this one. */
  if (!BK_LIFECYCLE_ADD_HOOK_ASYNC (lifecycle, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN,
                                    drain_hook, g_object_ref (self), g_object_unref, error))
    return NULL;
  if (!BK_LIFECYCLE_ADD_HOOK (lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN,
                              stop_hook, g_object_ref (self), g_object_unref, error))
    return NULL;

  base_url = bk_root_http_router_dup_base_url (BK_ROOT_HTTP_ROUTER (self));
  bk_logger_info (self->logger, "Listening on %s", base_url);

  return G_OBJECT (g_steal_pointer (&self));
}

static BkServiceFactory *
factory_new (FactoryOptions *options)
{
  return bk_service_factory_new (BK_SERVICE_ROOT_HTTP_ROUTER,
                                 create_root_http_router, options, factory_options_free,
                                 BK_SERVICE_ROOT_CONFIG,
                                 BK_SERVICE_ROOT_LOGGER,
                                 BK_SERVICE_ROOT_CLOCK,
                                 BK_SERVICE_ROOT_LIFECYCLE,
                                 BK_SERVICE_ROOT_HEALTH,
                                 NULL);
}

/**
 * bk_root_http_router_factory_new:
 * @index_path: (nullable): the mount that also takes requests no mount
 *   matched (outside `/api/`), such as `/api/app`; %NULL for none
 * @error: return location for a #GError
 *
 * Creates a factory for the default `core.rootHttpRouter` with another
 * index path than the default's `/api/app` (Backstage's `indexPath`
 * option). Requests that no mount takes and whose path is not under
 * `/api/` go to the handler mounted at @index_path, typically the plugin
 * that serves a web app; unknown paths under `/api/` are always answered
 * 404. With %NULL every unknown path is a 404.
 *
 * Fails with %G_IO_ERROR_INVALID_ARGUMENT and
 * `indexPath option may not be an empty string` for `""`.
 *
 * Returns: (transfer full) (nullable): a new factory, to add to a backend
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_root_http_router_factory_new (const char  *index_path,
                                 GError     **error)
{
  FactoryOptions *options;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (index_path != NULL && index_path[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "indexPath option may not be an empty string");
      return NULL;
    }

  options = g_new0 (FactoryOptions, 1);
  options->index_path = index_path != NULL ? normalize_path (index_path) : NULL;
  return factory_new (options);
}

/* For the test kit: every config but the listen address. */
BkServiceFactory *
_bk_root_http_router_factory_new_for_address (const char *host,
                                              guint       port)
{
  FactoryOptions *options = g_new0 (FactoryOptions, 1);

  g_return_val_if_fail (host != NULL, NULL);

  options->index_path = g_strdup (DEFAULT_INDEX_PATH);
  options->fixed_address = TRUE;
  options->host = g_strdup (host);
  options->port = port;
  return factory_new (options);
}

BkServiceFactory *
_bk_root_http_router_default_factory (void)
{
  return bk_root_http_router_factory_new (DEFAULT_INDEX_PATH, NULL);
}
