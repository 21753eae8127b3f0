/* bk-cache-private.h: what the cache service and its stores share.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The service (bk-cache.c) makes one store per backend (the root context
 * of its factory) and one client per plugin; a client namespaces the keys
 * and names them in errors. A store (bk-cache-memory.c, bk-cache-redis.c)
 * sees only full keys (`<pluginId>:<key>`) and prefixes. Everything runs on
 * the backend's main context.
 */

#pragma once

#include "libbackend.h"

G_BEGIN_DECLS

/* Called exactly once per store call, possibly before the call returns.
 * @value is the value read (get only; NULL when absent); @error is NULL on
 * success. Both are borrowed. */
typedef void (*BkCacheStoreFunc) (gpointer      data,
                                  GBytes       *value,
                                  const GError *error);

#define BK_TYPE_CACHE_STORE (bk_cache_store_get_type ())
G_DECLARE_DERIVABLE_TYPE (BkCacheStore, bk_cache_store, BK, CACHE_STORE, GObject)

struct _BkCacheStoreClass
{
  GObjectClass parent_class;

  void (*get)      (BkCacheStore     *self,
                    const char       *key,
                    BkCacheStoreFunc  func,
                    gpointer          data);
  /* @ttl_ms: 0 for no expiry */
  void (*set)      (BkCacheStore     *self,
                    const char       *key,
                    GBytes           *value,
                    guint64           ttl_ms,
                    BkCacheStoreFunc  func,
                    gpointer          data);
  void (*delete)   (BkCacheStore     *self,
                    const char       *key,
                    BkCacheStoreFunc  func,
                    gpointer          data);
  /* Removes every key that starts with @prefix. */
  void (*clear)    (BkCacheStore     *self,
                    const char       *prefix,
                    BkCacheStoreFunc  func,
                    gpointer          data);
  /* At the backend's shutdown: later calls fail with
   * BK_CACHE_ERROR_CLOSED. */
  void (*shutdown) (BkCacheStore     *self);
};

/* Memory: at most @max_entries entries, least recently used evicted
 * first; expiry on @clock. */
BkCacheStore *_bk_cache_memory_store_new (BkClock    *clock,
                                          guint       max_entries);

/* Redis settings, parsed from `backend.cache`. */
typedef struct
{
  char    *host;           /* NULL for a Unix socket */
  guint    port;
  char    *socket_path;    /* NULL for TCP */
  char    *user;           /* nullable; AUTH user password (Redis 6 ACL) */
  char    *password;       /* nullable */
  guint    db;
  char    *address;        /* for messages, without the password */
  guint64  command_timeout_ms;
} BkCacheRedisOptions;

void          _bk_cache_redis_options_clear (BkCacheRedisOptions *options);

/* Parses `backend.cache.connection`: `redis://[[user]:password@]host[:port][/db]`,
 * `unix:///path/to/socket` or `redis+unix:///path/to/socket` (with `?db=N`).
 * On failure @error holds the reason only. */
gboolean      _bk_cache_redis_parse_connection (const char           *connection,
                                                BkCacheRedisOptions  *options,
                                                GError              **error);

/* Connects at once (asynchronously) and reconnects with backoff on
 * @clock; takes @options over (cleared). */
BkCacheStore *_bk_cache_redis_store_new (BkCacheRedisOptions *options,
                                         BkClock             *clock,
                                         BkLogger            *logger);

/* The default factory is declared in bk-services-private.h. */

G_END_DECLS
