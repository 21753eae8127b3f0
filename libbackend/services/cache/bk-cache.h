/* bk-cache.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "bk-types.h"

G_BEGIN_DECLS

/**
 * BK_CACHE_MAX_KEY_LENGTH:
 *
 * The longest key, in bytes, that a [iface@Bk.Cache] stores as it is;
 * longer keys are replaced by `sha256:` and the SHA-256 of the key in
 * hexadecimal.
 *
 * Since: 0.1
 */
#define BK_CACHE_MAX_KEY_LENGTH 200

/**
 * BK_CACHE_ERROR:
 *
 * The error domain of [iface@Bk.Cache].
 *
 * Since: 0.1
 */
#define BK_CACHE_ERROR (bk_cache_error_quark ())

/**
 * BkCacheError:
 * @BK_CACHE_ERROR_FAILED: the store refused the command (a Redis error
 *   reply)
 * @BK_CACHE_ERROR_UNAVAILABLE: the store cannot be reached (Redis is down
 *   or the connection was lost); the store reconnects by itself
 * @BK_CACHE_ERROR_TIMEOUT: the store did not answer within
 *   `backend.cache.redis.commandTimeout`; the connection was dropped
 * @BK_CACHE_ERROR_INVALID_VALUE: a value read with
 *   [method@Bk.Cache.get_json_async] is not JSON
 * @BK_CACHE_ERROR_CLOSED: the backend has shut the cache down
 *
 * Error codes of %BK_CACHE_ERROR. Cancellation is reported as
 * %G_IO_ERROR_CANCELLED.
 *
 * Since: 0.1
 */
typedef enum
{
  BK_CACHE_ERROR_FAILED,
  BK_CACHE_ERROR_UNAVAILABLE,
  BK_CACHE_ERROR_TIMEOUT,
  BK_CACHE_ERROR_INVALID_VALUE,
  BK_CACHE_ERROR_CLOSED,
} BkCacheError;

BK_AVAILABLE_IN_ALL
GQuark bk_cache_error_quark (void);

#define BK_TYPE_CACHE (bk_cache_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (BkCache, bk_cache, BK, CACHE, GObject)

/**
 * BkCacheInterface:
 * @parent_iface: the parent interface
 * @get_async: reads a value
 * @get_finish: finishes @get_async
 * @set_async: stores a value
 * @set_finish: finishes @set_async
 * @delete_async: removes a value
 * @delete_finish: finishes @delete_async
 * @clear_async: removes every value of the cache's namespace
 * @clear_finish: finishes @clear_async
 * @with_options: a view of the same cache with another default TTL
 *
 * The `core.cache` service: a cache of byte values by string key,
 * namespaced per plugin.
 *
 * Since: 0.1
 */
struct _BkCacheInterface
{
  GTypeInterface parent_iface;

  void      (*get_async)     (BkCache              *self,
                              const char           *key,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data);
  GBytes   *(*get_finish)    (BkCache              *self,
                              GAsyncResult         *result,
                              GError              **error);
  void      (*set_async)     (BkCache              *self,
                              const char           *key,
                              GBytes               *value,
                              guint64               ttl_ms,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data);
  gboolean  (*set_finish)    (BkCache              *self,
                              GAsyncResult         *result,
                              GError              **error);
  void      (*delete_async)  (BkCache              *self,
                              const char           *key,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data);
  gboolean  (*delete_finish) (BkCache              *self,
                              GAsyncResult         *result,
                              GError              **error);
  void      (*clear_async)   (BkCache              *self,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data);
  gboolean  (*clear_finish)  (BkCache              *self,
                              GAsyncResult         *result,
                              GError              **error);
  BkCache  *(*with_options)  (BkCache              *self,
                              guint64               default_ttl_ms);
};

BK_AVAILABLE_IN_ALL
void      bk_cache_get_async       (BkCache              *self,
                                    const char           *key,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
BK_AVAILABLE_IN_ALL
GBytes   *bk_cache_get_finish      (BkCache              *self,
                                    GAsyncResult         *result,
                                    GError              **error);
BK_AVAILABLE_IN_ALL
void      bk_cache_set_async       (BkCache              *self,
                                    const char           *key,
                                    GBytes               *value,
                                    guint64               ttl_ms,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
BK_AVAILABLE_IN_ALL
gboolean  bk_cache_set_finish      (BkCache              *self,
                                    GAsyncResult         *result,
                                    GError              **error);
BK_AVAILABLE_IN_ALL
void      bk_cache_delete_async    (BkCache              *self,
                                    const char           *key,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
BK_AVAILABLE_IN_ALL
gboolean  bk_cache_delete_finish   (BkCache              *self,
                                    GAsyncResult         *result,
                                    GError              **error);
BK_AVAILABLE_IN_ALL
void      bk_cache_clear_async     (BkCache              *self,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
BK_AVAILABLE_IN_ALL
gboolean  bk_cache_clear_finish    (BkCache              *self,
                                    GAsyncResult         *result,
                                    GError              **error);
BK_AVAILABLE_IN_ALL
BkCache  *bk_cache_with_options    (BkCache              *self,
                                    guint64               default_ttl_ms);

BK_AVAILABLE_IN_ALL
void      bk_cache_get_json_async  (BkCache              *self,
                                    const char           *key,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
BK_AVAILABLE_IN_ALL
JsonNode *bk_cache_get_json_finish (BkCache              *self,
                                    GAsyncResult         *result,
                                    GError              **error);
BK_AVAILABLE_IN_ALL
void      bk_cache_set_json_async  (BkCache              *self,
                                    const char           *key,
                                    JsonNode             *value,
                                    guint64               ttl_ms,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
BK_AVAILABLE_IN_ALL
gboolean  bk_cache_set_json_finish (BkCache              *self,
                                    GAsyncResult         *result,
                                    GError              **error);

G_END_DECLS
