/* bk-test-caches.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_TEST_UTILS_INSIDE) && !defined(BK_TEST_UTILS_COMPILATION)
# error "Only <libbackend-test-utils.h> can be included directly."
#endif

#include <libbackend.h>

G_BEGIN_DECLS

/**
 * BkTestCacheStore:
 * @BK_TEST_CACHE_MEMORY: the memory store (`backend.cache.store: memory`)
 * @BK_TEST_CACHE_REDIS: a real Redis server, [class@Bk.TestRedis]
 *
 * The stores [func@Bk.test_caches_add] runs a test body on.
 *
 * Since: 0.1
 */
typedef enum
{
  BK_TEST_CACHE_MEMORY,
  BK_TEST_CACHE_REDIS,
} BkTestCacheStore;

/**
 * BkTestCachesFunc:
 * @store: the store this run is for
 * @config_json: a root config (JSON) that selects @store, for
 *   [func@Bk.mock_root_config_factory_new]
 * @user_data: the data given to [func@Bk.test_caches_add]
 *
 * A test body that runs once per cache store.
 *
 * Since: 0.1
 */
typedef void (*BkTestCachesFunc) (BkTestCacheStore  store,
                                  const char       *config_json,
                                  gconstpointer     user_data);

BK_AVAILABLE_IN_ALL
const char  *bk_test_cache_store_get_name   (BkTestCacheStore   store);
BK_AVAILABLE_IN_ALL
void         bk_test_caches_add             (const char        *path,
                                             BkTestCachesFunc   func,
                                             gconstpointer      user_data);

#define BK_TYPE_TEST_REDIS (bk_test_redis_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkTestRedis, bk_test_redis, BK, TEST_REDIS, GObject)

BK_AVAILABLE_IN_ALL
BkTestRedis *bk_test_redis_get              (GError           **error);
BK_AVAILABLE_IN_ALL
const char  *bk_test_redis_get_socket_path  (BkTestRedis       *self);
BK_AVAILABLE_IN_ALL
const char  *bk_test_redis_get_connection   (BkTestRedis       *self);
BK_AVAILABLE_IN_ALL
gboolean     bk_test_redis_flush            (BkTestRedis       *self,
                                             GError           **error);
BK_AVAILABLE_IN_ALL
gboolean     bk_test_redis_stop             (BkTestRedis       *self,
                                             GError           **error);
BK_AVAILABLE_IN_ALL
gboolean     bk_test_redis_restart          (BkTestRedis       *self,
                                             GError           **error);
BK_AVAILABLE_IN_ALL
gboolean     bk_test_redis_pause            (BkTestRedis       *self,
                                             GError           **error);
BK_AVAILABLE_IN_ALL
gboolean     bk_test_redis_resume           (BkTestRedis       *self,
                                             GError           **error);

G_END_DECLS
