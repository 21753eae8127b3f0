/* bk-root-http-router.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include <libsoup/soup.h>

#include "bk-types.h"

G_BEGIN_DECLS

/**
 * BkRootHttpHandlerFunc:
 * @message: the request, to answer (it may be paused with
 *   soup_server_message_pause() and answered later)
 * @path: the request's path, as the client sent it (not stripped of the
 *   mount prefix)
 * @user_data: the data given to [method@Bk.RootHttpRouter.use]
 *
 * Answers a request under a prefix mounted with
 * [method@Bk.RootHttpRouter.use]. Called on the backend's main context.
 *
 * Since: 0.1
 */
typedef void (*BkRootHttpHandlerFunc) (SoupServerMessage *message,
                                       const char        *path,
                                       gpointer           user_data);

#define BK_TYPE_ROOT_HTTP_ROUTER (bk_root_http_router_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (BkRootHttpRouter, bk_root_http_router, BK, ROOT_HTTP_ROUTER, GObject)

/**
 * BkRootHttpRouterInterface:
 * @parent_iface: the parent interface
 * @use: mounts a handler under a path prefix
 * @get_port: returns the port the server listens on
 * @dup_base_url: returns the URL the server is reached at locally
 *
 * The `core.rootHttpRouter` service.
 *
 * Since: 0.1
 */
struct _BkRootHttpRouterInterface
{
  GTypeInterface parent_iface;

  gboolean  (*use)          (BkRootHttpRouter       *self,
                             const char             *path,
                             BkRootHttpHandlerFunc   handler,
                             gpointer                user_data,
                             GDestroyNotify          destroy,
                             GError                **error);
  guint     (*get_port)     (BkRootHttpRouter       *self);
  char     *(*dup_base_url) (BkRootHttpRouter       *self);
};

BK_AVAILABLE_IN_ALL
gboolean  bk_root_http_router_use          (BkRootHttpRouter       *self,
                                            const char             *path,
                                            BkRootHttpHandlerFunc   handler,
                                            gpointer                user_data,
                                            GDestroyNotify          destroy,
                                            GError                **error);
BK_AVAILABLE_IN_ALL
guint     bk_root_http_router_get_port     (BkRootHttpRouter       *self);
BK_AVAILABLE_IN_ALL
char     *bk_root_http_router_dup_base_url (BkRootHttpRouter       *self);

BK_AVAILABLE_IN_ALL
BkServiceFactory *bk_root_http_router_factory_new (const char  *index_path,
                                                   GError     **error);

G_END_DECLS
