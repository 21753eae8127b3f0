/* bk-http-router.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "bk-types.h"

G_BEGIN_DECLS

/**
 * BkHttpAuthPolicyAllow:
 * @BK_HTTP_AUTH_POLICY_ALLOW_UNAUTHENTICATED: requests need no credentials
 * @BK_HTTP_AUTH_POLICY_ALLOW_USER_COOKIE: a user cookie is enough
 *
 * What an auth policy added with [method@Bk.HttpRouter.add_auth_policy]
 * allows on its path, as Backstage's `allow: 'unauthenticated'` and
 * `allow: 'user-cookie'`.
 *
 * Since: 0.1
 */
typedef enum
{
  BK_HTTP_AUTH_POLICY_ALLOW_UNAUTHENTICATED,
  BK_HTTP_AUTH_POLICY_ALLOW_USER_COOKIE,
} BkHttpAuthPolicyAllow;

#define BK_TYPE_HTTP_REQUEST (bk_http_request_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkHttpRequest, bk_http_request, BK, HTTP_REQUEST, GObject)

/**
 * BkHttpHandlerFunc:
 * @request: the request; the handler may keep a reference and answer later
 * @user_data: the data given to [method@Bk.HttpRouter.add_route]
 *
 * Answers a request to a route of a plugin's router. Called on the
 * backend's main context. The handler answers with one of
 * [method@Bk.HttpRequest.respond], [method@Bk.HttpRequest.respond_json] or
 * [method@Bk.HttpRequest.respond_error], before it returns or later (keep a
 * reference to @request): until then the request waits.
 *
 * Since: 0.1
 */
typedef void (*BkHttpHandlerFunc) (BkHttpRequest *request,
                                   gpointer       user_data);

/**
 * BkHttpMiddlewareFunc:
 * @request: the request; the middleware may keep a reference and go on later
 * @user_data: the data given to [method@Bk.HttpRouter.use]
 *
 * Runs before a router's routes, for the requests under the middleware's
 * path prefix. A middleware either answers the request (as a handler does,
 * and the request goes no further) or passes it on with
 * [method@Bk.HttpRequest.next], before it returns or later (keep a
 * reference to @request): until then the request waits. To act on the
 * response, add a hook with [method@Bk.HttpRequest.add_response_hook].
 *
 * Since: 0.1
 */
typedef void (*BkHttpMiddlewareFunc) (BkHttpRequest *request,
                                      gpointer       user_data);

/**
 * BkHttpResponseHookFunc:
 * @request: the request, answered but not sent yet
 * @user_data: the data given to [method@Bk.HttpRequest.add_response_hook]
 *
 * Runs once, just before the response to @request is sent: it may read
 * the status ([method@Bk.HttpRequest.get_response_status]) and set
 * headers ([method@Bk.HttpRequest.set_response_header]), but no longer
 * answer.
 *
 * Since: 0.1
 */
typedef void (*BkHttpResponseHookFunc) (BkHttpRequest *request,
                                        gpointer       user_data);

#define BK_TYPE_HTTP_ROUTER (bk_http_router_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (BkHttpRouter, bk_http_router, BK, HTTP_ROUTER, GObject)

/**
 * BkHttpRouterInterface:
 * @parent_iface: the parent interface
 * @add_route: adds a handler for a method and a path pattern
 * @add_auth_policy: records which requests need no credentials
 * @use: adds a middleware for the requests under a path prefix
 * @mount: mounts a nested router under a path pattern
 *
 * The `core.httpRouter` service: a plugin's routes, under
 * `/api/<pluginId>`.
 *
 * Since: 0.1
 */
struct _BkHttpRouterInterface
{
  GTypeInterface parent_iface;

  void (*add_route)       (BkHttpRouter          *self,
                           const char            *method,
                           const char            *path_pattern,
                           BkHttpHandlerFunc      handler,
                           gpointer               user_data,
                           GDestroyNotify         destroy);
  void (*add_auth_policy) (BkHttpRouter          *self,
                           const char            *path,
                           BkHttpAuthPolicyAllow  allow);
  void (*use)             (BkHttpRouter          *self,
                           const char            *path_prefix,
                           BkHttpMiddlewareFunc   func,
                           gpointer               user_data,
                           GDestroyNotify         destroy);
  void (*mount)           (BkHttpRouter          *self,
                           const char            *path_pattern,
                           BkHttpRouter          *child);
};

BK_AVAILABLE_IN_ALL
BkHttpRouter *bk_http_router_new_nested      (void);

BK_AVAILABLE_IN_ALL
void          bk_http_router_add_route       (BkHttpRouter          *self,
                                              const char            *method,
                                              const char            *path_pattern,
                                              BkHttpHandlerFunc      handler,
                                              gpointer               user_data,
                                              GDestroyNotify         destroy);
BK_AVAILABLE_IN_ALL
void          bk_http_router_add_auth_policy (BkHttpRouter          *self,
                                              const char            *path,
                                              BkHttpAuthPolicyAllow  allow);
BK_AVAILABLE_IN_ALL
void          bk_http_router_use             (BkHttpRouter          *self,
                                              const char            *path_prefix,
                                              BkHttpMiddlewareFunc   func,
                                              gpointer               user_data,
                                              GDestroyNotify         destroy);
BK_AVAILABLE_IN_ALL
void          bk_http_router_mount           (BkHttpRouter          *self,
                                              const char            *path_pattern,
                                              BkHttpRouter          *child);

BK_AVAILABLE_IN_ALL
const char   *bk_http_request_get_method     (BkHttpRequest         *self);
BK_AVAILABLE_IN_ALL
const char   *bk_http_request_get_path       (BkHttpRequest         *self);
BK_AVAILABLE_IN_ALL
const char   *bk_http_request_get_param      (BkHttpRequest         *self,
                                              const char            *name);
BK_AVAILABLE_IN_ALL
const char   *bk_http_request_get_query      (BkHttpRequest         *self,
                                              const char            *name);
BK_AVAILABLE_IN_ALL
const char   *bk_http_request_get_header     (BkHttpRequest         *self,
                                              const char            *name);
BK_AVAILABLE_IN_ALL
JsonNode     *bk_http_request_dup_body_json  (BkHttpRequest         *self,
                                              GError               **error);
BK_AVAILABLE_IN_ALL
GCancellable *bk_http_request_get_cancellable (BkHttpRequest        *self);
BK_AVAILABLE_IN_ALL
SoupServerMessage *bk_http_request_get_message (BkHttpRequest       *self);
BK_AVAILABLE_IN_ALL
gboolean      bk_http_request_has_responded  (BkHttpRequest         *self);
BK_AVAILABLE_IN_ALL
void          bk_http_request_respond        (BkHttpRequest         *self,
                                              guint                  status,
                                              const char            *content_type,
                                              GBytes                *body);
BK_AVAILABLE_IN_ALL
void          bk_http_request_respond_json   (BkHttpRequest         *self,
                                              guint                  status,
                                              JsonNode              *payload);
BK_AVAILABLE_IN_ALL
void          bk_http_request_respond_error  (BkHttpRequest         *self,
                                              const GError          *error);
BK_AVAILABLE_IN_ALL
void          bk_http_request_next           (BkHttpRequest         *self);
BK_AVAILABLE_IN_ALL
void          bk_http_request_add_response_hook (BkHttpRequest      *self,
                                                 BkHttpResponseHookFunc func,
                                                 gpointer            user_data,
                                                 GDestroyNotify      destroy);
BK_AVAILABLE_IN_ALL
guint         bk_http_request_get_response_status (BkHttpRequest    *self);
BK_AVAILABLE_IN_ALL
void          bk_http_request_set_response_header (BkHttpRequest    *self,
                                                   const char       *name,
                                                   const char       *value);

G_END_DECLS
