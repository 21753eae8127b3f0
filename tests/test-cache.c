/* test-cache.c: core.cache on memory and on a real Redis server.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <hiredis/hiredis.h>

#include "test-util.h"

/* Backends with probe plugins ------------------------------------------------------------- */

typedef struct
{
  BkCache *cache;   /* weak: valid while the backend runs */
} Probe;

static gboolean
probe_init (BkDeps   *deps,
            gpointer  user_data,
            GError  **error)
{
  Probe *probe = user_data;

  probe->cache = bk_deps_get (deps, BK_SERVICE_CACHE);
  return TRUE;
}

static void
probe_register (BkPluginEnv *env,
                gpointer     user_data)
{
  bk_plugin_env_register_init (env, probe_init, user_data, NULL, BK_SERVICE_CACHE, NULL);
}

typedef struct
{
  BkTestBackend *backend;
  BkMockClock   *clock;
  Probe          alpha;
  Probe          beta;
} Fixture;

/* Starts a test backend on @config_json with plugins "alpha" and "beta". */
static gboolean
fixture_start (Fixture     *f,
               const char  *config_json,
               GError     **error)
{
  f->backend = bk_test_backend_new ();
  bk_test_backend_add (f->backend, bk_mock_root_config_factory_new (config_json));
  bk_test_backend_add (f->backend, bk_plugin_new ("alpha", probe_register, &f->alpha, NULL));
  bk_test_backend_add (f->backend, bk_plugin_new ("beta", probe_register, &f->beta, NULL));
  if (!bk_test_backend_launch (f->backend, error))
    return FALSE;
  f->clock = bk_test_backend_get_service (f->backend, BK_SERVICE_ROOT_CLOCK, NULL);
  return TRUE;
}

static void
fixture_stop (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  if (f->backend != NULL)
    {
      bk_test_backend_stop (f->backend, &error);
      g_assert_no_error (error);
    }
  g_clear_object (&f->backend);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Fixture, fixture_stop)

/* Calls, waited for ------------------------------------------------------------------------- */

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GBytes   *value;
  JsonNode *json;
  GError   *error;
} Result;

static void
result_clear (Result *r)
{
  g_clear_pointer (&r->value, g_bytes_unref);
  g_clear_pointer (&r->json, json_node_unref);
  g_clear_error (&r->error);
  r->done = FALSE;
  r->ok = FALSE;
}

static void
got (GObject      *source,
     GAsyncResult *result,
     gpointer      user_data)
{
  Result *r = user_data;

  r->value = bk_cache_get_finish (BK_CACHE (source), result, &r->error);
  r->done = TRUE;
}

static void
got_json (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Result *r = user_data;

  r->json = bk_cache_get_json_finish (BK_CACHE (source), result, &r->error);
  r->done = TRUE;
}

static void
was_set (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Result *r = user_data;

  r->ok = bk_cache_set_finish (BK_CACHE (source), result, &r->error);
  r->done = TRUE;
}

static void
was_set_json (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Result *r = user_data;

  r->ok = bk_cache_set_json_finish (BK_CACHE (source), result, &r->error);
  r->done = TRUE;
}

static void
was_deleted (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Result *r = user_data;

  r->ok = bk_cache_delete_finish (BK_CACHE (source), result, &r->error);
  r->done = TRUE;
}

static void
was_cleared (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Result *r = user_data;

  r->ok = bk_cache_clear_finish (BK_CACHE (source), result, &r->error);
  r->done = TRUE;
}

/* Reads @key; returns the value as a string, or NULL when absent. */
static char *
get_value (BkCache     *cache,
           const char  *key,
           GError     **error)
{
  Result r = { 0, };
  char *value = NULL;

  bk_cache_get_async (cache, key, NULL, got, &r);
  g_assert_false (r.done);   /* never completed before the call returns */
  test_wait_for (&r.done, "cache get");
  if (r.error != NULL)
    g_propagate_error (error, g_steal_pointer (&r.error));
  if (r.value != NULL)
    value = test_bytes_to_string (r.value);
  result_clear (&r);
  return value;
}

static gboolean
has_value (BkCache    *cache,
           const char *key)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *value = get_value (cache, key, &error);

  g_assert_no_error (error);
  return value != NULL;
}

static void
set_value (BkCache    *cache,
           const char *key,
           const char *value,
           guint64     ttl_ms)
{
  g_autoptr(GBytes) bytes = g_bytes_new (value, strlen (value));
  Result r = { 0, };

  bk_cache_set_async (cache, key, bytes, ttl_ms, NULL, was_set, &r);
  g_assert_false (r.done);
  test_wait_for (&r.done, "cache set");
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  result_clear (&r);
}

static void
delete_value (BkCache    *cache,
              const char *key)
{
  Result r = { 0, };

  bk_cache_delete_async (cache, key, NULL, was_deleted, &r);
  test_wait_for (&r.done, "cache delete");
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
}

static void
clear_cache (BkCache *cache)
{
  Result r = { 0, };

  bk_cache_clear_async (cache, NULL, was_cleared, &r);
  test_wait_for (&r.done, "cache clear");
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
}

static void
assert_value (BkCache    *cache,
              const char *key,
              const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *value = get_value (cache, key, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, expected);
}

/* Raw Redis, to see what the store sent --------------------------------------------------------- */

static redisReply *
redis_raw (const char *format,
           ...)
{
  g_autoptr(GError) error = NULL;
  BkTestRedis *redis = bk_test_redis_get (&error);
  redisContext *c;
  redisReply *reply;
  va_list args;

  g_assert_no_error (error);
  c = redisConnectUnix (bk_test_redis_get_socket_path (redis));
  g_assert_nonnull (c);
  g_assert_cmpint (c->err, ==, 0);
  va_start (args, format);
  reply = redisvCommand (c, format, args);
  va_end (args);
  g_assert_nonnull (reply);
  redisFree (c);
  return reply;
}

static long long
redis_integer (const char *format,
               const char *key)
{
  redisReply *reply = redis_raw (format, key);
  long long value;

  g_assert_cmpint (reply->type, ==, REDIS_REPLY_INTEGER);
  value = reply->integer;
  freeReplyObject (reply);
  return value;
}

/* The TTL of a stored value: on the mock clock for memory, read back with
 * PTTL for Redis (whose clock is real). @ttl_ms 0: none. */
static void
assert_expires (Fixture          *f,
                BkTestCacheStore  store,
                BkCache          *cache,
                const char       *full_key,
                const char       *key,
                guint64           ttl_ms)
{
  if (store == BK_TEST_CACHE_REDIS)
    {
      long long pttl = redis_integer ("PTTL %s", full_key);

      if (ttl_ms == 0)
        g_assert_cmpint (pttl, ==, -1);
      else
        {
          g_assert_cmpint (pttl, >, 0);
          g_assert_cmpint (pttl, <=, (long long) ttl_ms);
          g_assert_cmpint (pttl, >, (long long) ttl_ms - 1000);
        }
      return;
    }

  if (ttl_ms == 0)
    {
      bk_mock_clock_advance (f->clock, 365ULL * 24 * 3600 * 1000);
      g_assert_true (has_value (cache, key));
      return;
    }
  bk_mock_clock_advance (f->clock, ttl_ms - 1);
  g_assert_true (has_value (cache, key));
  bk_mock_clock_advance (f->clock, 1);
  g_assert_false (has_value (cache, key));
}

/* Both stores ------------------------------------------------------------------------------- */

static void
test_cache_basics (BkTestCacheStore  store,
                   const char       *config,
                   gconstpointer     data)
{
  g_auto(Fixture) f = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) binary = g_bytes_new ("a\0b", 3);
  Result r = { 0, };

  g_assert_true (fixture_start (&f, config, &error));
  g_assert_no_error (error);

  assert_value (f.alpha.cache, "missing", NULL);
  set_value (f.alpha.cache, "k", "one", 0);
  assert_value (f.alpha.cache, "k", "one");
  set_value (f.alpha.cache, "k", "two", 0);
  assert_value (f.alpha.cache, "k", "two");
  delete_value (f.alpha.cache, "k");
  assert_value (f.alpha.cache, "k", NULL);
  delete_value (f.alpha.cache, "k");   /* absent: not an error */

  /* values are bytes, NUL included; keys are any string */
  bk_cache_set_async (f.alpha.cache, "bin ary/κ", binary, 0, NULL, was_set, &r);
  test_wait_for (&r.done, "set");
  g_assert_true (r.ok);
  result_clear (&r);
  bk_cache_get_async (f.alpha.cache, "bin ary/κ", NULL, got, &r);
  test_wait_for (&r.done, "get");
  g_assert_no_error (r.error);
  g_assert_true (g_bytes_equal (r.value, binary));
  result_clear (&r);

  set_value (f.alpha.cache, "a", "1", 0);
  set_value (f.alpha.cache, "b", "2", 0);
  clear_cache (f.alpha.cache);
  assert_value (f.alpha.cache, "a", NULL);
  assert_value (f.alpha.cache, "b", NULL);
  assert_value (f.alpha.cache, "bin ary/κ", NULL);
}

static void
test_cache_namespaces (BkTestCacheStore  store,
                       const char       *config,
                       gconstpointer     data)
{
  g_auto(Fixture) f = { 0, };
  g_autoptr(GError) error = NULL;

  g_assert_true (fixture_start (&f, config, &error));
  g_assert_no_error (error);
  g_assert_true (f.alpha.cache != f.beta.cache);

  set_value (f.alpha.cache, "k", "alpha's", 0);
  assert_value (f.beta.cache, "k", NULL);
  set_value (f.beta.cache, "k", "beta's", 0);
  assert_value (f.alpha.cache, "k", "alpha's");
  assert_value (f.beta.cache, "k", "beta's");

  if (store == BK_TEST_CACHE_REDIS)
    {
      g_assert_cmpint (redis_integer ("EXISTS %s", "alpha:k"), ==, 1);
      g_assert_cmpint (redis_integer ("EXISTS %s", "beta:k"), ==, 1);
    }

  /* clear empties alpha's namespace only */
  clear_cache (f.alpha.cache);
  assert_value (f.alpha.cache, "k", NULL);
  assert_value (f.beta.cache, "k", "beta's");

  /* a plugin's id is a prefix of no other's keys: "alpha:" not "alpha" */
  delete_value (f.beta.cache, "k");
  assert_value (f.beta.cache, "k", NULL);
}

static void
test_cache_long_keys (BkTestCacheStore  store,
                      const char       *config,
                      gconstpointer     data)
{
  g_auto(Fixture) f = { 0, };
  g_autoptr(GError) error = NULL;
  g_autofree char *long_a = g_strnfill (BK_CACHE_MAX_KEY_LENGTH + 50, 'x');
  g_autofree char *long_b = g_strconcat (long_a, "y", NULL);
  g_autofree char *at_limit = g_strnfill (BK_CACHE_MAX_KEY_LENGTH, 'z');
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, long_a, -1);
  g_autofree char *hashed = g_strconcat ("alpha:sha256:", hash, NULL);
  g_autofree char *plain = g_strconcat ("alpha:", at_limit, NULL);

  g_assert_true (fixture_start (&f, config, &error));
  g_assert_no_error (error);

  set_value (f.alpha.cache, long_a, "a", 0);
  set_value (f.alpha.cache, long_b, "b", 0);
  set_value (f.alpha.cache, at_limit, "z", 0);
  assert_value (f.alpha.cache, long_a, "a");
  assert_value (f.alpha.cache, long_b, "b");
  assert_value (f.alpha.cache, at_limit, "z");

  if (store == BK_TEST_CACHE_REDIS)
    {
      g_assert_cmpint (redis_integer ("EXISTS %s", hashed), ==, 1);
      g_assert_cmpint (redis_integer ("EXISTS %s", plain), ==, 1);
    }
}

static void
test_cache_ttl (BkTestCacheStore  store,
                const char       *config,
                gconstpointer     data)
{
  g_auto(Fixture) f = { 0, };
  g_autoptr(GError) error = NULL;

  g_assert_true (fixture_start (&f, config, &error));
  g_assert_no_error (error);

  set_value (f.alpha.cache, "short", "v", 1500);
  assert_expires (&f, store, f.alpha.cache, "alpha:short", "short", 1500);

  /* a new set replaces the TTL */
  set_value (f.alpha.cache, "k", "v", 1000);
  set_value (f.alpha.cache, "k", "w", 0);
  assert_expires (&f, store, f.alpha.cache, "alpha:k", "k", 0);
}

static void
test_cache_with_options (BkTestCacheStore  store,
                         const char       *config,
                         gconstpointer     data)
{
  g_auto(Fixture) f = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(BkCache) view = NULL;
  g_autoptr(BkCache) other = NULL;

  g_assert_true (fixture_start (&f, config, &error));
  g_assert_no_error (error);

  view = bk_cache_with_options (f.alpha.cache, 3000);
  g_assert_true (BK_IS_CACHE (view));
  g_assert_true (view != f.alpha.cache);

  /* same namespace */
  set_value (view, "k", "v", 0);
  assert_value (f.alpha.cache, "k", "v");
  assert_expires (&f, store, f.alpha.cache, "alpha:k", "k", 3000);

  /* a TTL given to set wins over the default */
  set_value (view, "explicit", "v", 1000);
  assert_expires (&f, store, view, "alpha:explicit", "explicit", 1000);

  /* the original keeps no default */
  set_value (f.alpha.cache, "plain", "v", 0);
  assert_expires (&f, store, f.alpha.cache, "alpha:plain", "plain", 0);

  /* views of views */
  other = bk_cache_with_options (view, 0);
  set_value (other, "none", "v", 0);
  assert_expires (&f, store, other, "alpha:none", "none", 0);
}

static void
test_cache_json (BkTestCacheStore  store,
                 const char       *config,
                 gconstpointer     data)
{
  g_auto(Fixture) f = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = json_from_string ("{\"items\":[1,2],\"total\":2}", NULL);
  g_autofree char *text = NULL;
  Result r = { 0, };

  g_assert_true (fixture_start (&f, config, &error));
  g_assert_no_error (error);

  bk_cache_set_json_async (f.alpha.cache, "page", value, 0, NULL, was_set_json, &r);
  g_assert_false (r.done);
  test_wait_for (&r.done, "set json");
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  result_clear (&r);
  assert_value (f.alpha.cache, "page", "{\"items\":[1,2],\"total\":2}");

  bk_cache_get_json_async (f.alpha.cache, "page", NULL, got_json, &r);
  test_wait_for (&r.done, "get json");
  g_assert_no_error (r.error);
  g_assert_true (json_node_equal (r.json, value));
  result_clear (&r);

  bk_cache_get_json_async (f.alpha.cache, "missing", NULL, got_json, &r);
  test_wait_for (&r.done, "get json");
  g_assert_no_error (r.error);
  g_assert_null (r.json);
  result_clear (&r);

  set_value (f.alpha.cache, "broken", "{not json", 0);
  bk_cache_get_json_async (f.alpha.cache, "broken", NULL, got_json, &r);
  test_wait_for (&r.done, "get json");
  g_assert_error (r.error, BK_CACHE_ERROR, BK_CACHE_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (r.error->message, "The cached value of 'broken' is not JSON"));
  g_assert_null (r.json);
  result_clear (&r);
}

/* Memory ------------------------------------------------------------------------------------- */

static void
test_cache_memory_lru (void)
{
  g_auto(Fixture) f = { 0, };
  g_autoptr(GError) error = NULL;

  g_assert_true (fixture_start (&f, "{\"backend\":{\"cache\":{\"memory\":{\"maxEntries\":3}}}}", &error));
  g_assert_no_error (error);

  set_value (f.alpha.cache, "a", "1", 0);
  set_value (f.beta.cache, "b", "2", 0);   /* the bound is per backend */
  set_value (f.alpha.cache, "c", "3", 0);
  assert_value (f.alpha.cache, "a", "1");   /* a is now the most recent */
  set_value (f.alpha.cache, "d", "4", 0);   /* evicts b */
  assert_value (f.beta.cache, "b", NULL);
  assert_value (f.alpha.cache, "a", "1");
  assert_value (f.alpha.cache, "c", "3");
  assert_value (f.alpha.cache, "d", "4");

  /* replacing a key does not evict another */
  set_value (f.alpha.cache, "d", "5", 0);
  assert_value (f.alpha.cache, "a", "1");
  assert_value (f.alpha.cache, "c", "3");
  assert_value (f.alpha.cache, "d", "5");

  /* replacing a key makes it the most recent */
  set_value (f.alpha.cache, "a", "6", 0);
  set_value (f.alpha.cache, "e", "7", 0);   /* evicts c */
  assert_value (f.alpha.cache, "c", NULL);
  assert_value (f.alpha.cache, "a", "6");
  assert_value (f.alpha.cache, "d", "5");
}

static void
test_cache_memory_default_ttl (void)
{
  g_auto(Fixture) f = { 0, };
  g_autoptr(GError) error = NULL;
  guint pending;

  g_assert_true (fixture_start (&f, "{\"backend\":{\"cache\":{\"defaultTtl\":\"2s\"}}}", &error));
  g_assert_no_error (error);

  pending = bk_mock_clock_get_n_pending (f.clock);
  set_value (f.alpha.cache, "k", "v", 0);
  /* a sweep of expired entries is armed on the clock… */
  g_assert_cmpuint (bk_mock_clock_get_n_pending (f.clock), ==, pending + 1);
  assert_expires (&f, BK_TEST_CACHE_MEMORY, f.alpha.cache, "alpha:k", "k", 2000);
  /* …and not re-armed once nothing has a TTL */
  bk_mock_clock_advance (f.clock, 60000);
  g_assert_cmpuint (bk_mock_clock_get_n_pending (f.clock), ==, pending);
}

/* Redis -------------------------------------------------------------------------------------- */

static BkTestRedis *
redis_or_skip (void)
{
  g_autoptr(GError) error = NULL;
  BkTestRedis *redis = bk_test_redis_get (&error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_test_skip (error->message);
      return NULL;
    }
  g_assert_no_error (error);
  bk_test_redis_flush (redis, &error);
  g_assert_no_error (error);
  return redis;
}

static char *
redis_config (BkTestRedis *redis,
              const char  *extra)
{
  return g_strdup_printf ("{\"backend\":{\"cache\":{\"store\":\"redis\",\"connection\":\"%s\"%s%s}}}",
                          bk_test_redis_get_connection (redis),
                          extra != NULL ? "," : "", extra != NULL ? extra : "");
}

static void
assert_unavailable (const GError *error,
                    const char   *address)
{
  g_autofree char *expected = g_strdup_printf ("Redis at %s is unavailable", address);

  g_assert_error (error, BK_CACHE_ERROR, BK_CACHE_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "Could not get 'k' from the cache of plugin 'alpha': "));
  g_assert_nonnull (strstr (error->message, expected));
}

/* A call made while disconnected fails before any timer or I/O. */
static void
assert_fails_fast (Fixture    *f,
                   const char *address)
{
  Result r = { 0, };

  bk_cache_get_async (f->alpha.cache, "k", NULL, got, &r);
  test_settle ();
  g_assert_true (r.done);
  assert_unavailable (r.error, address);
  result_clear (&r);
}

static void
test_cache_redis_outage (void)
{
  g_auto(Fixture) f = { 0, };
  g_autoptr(GError) error = NULL;
  g_autofree char *config = NULL;
  BkTestRedis *redis = redis_or_skip ();
  const char *address;
  Result r = { 0, };

  if (redis == NULL)
    return;
  address = bk_test_redis_get_connection (redis);
  config = redis_config (redis, NULL);
  g_assert_true (fixture_start (&f, config, &error));
  g_assert_no_error (error);
  set_value (f.alpha.cache, "k", "v", 0);

  /* Redis goes away: the connection's end is seen, calls fail */
  bk_test_redis_stop (redis, &error);
  g_assert_no_error (error);
  bk_cache_get_async (f.alpha.cache, "k", NULL, got, &r);
  test_wait_for (&r.done, "get while Redis is down");
  assert_unavailable (r.error, address);
  result_clear (&r);
  assert_fails_fast (&f, address);

  /* reconnecting while it is still down fails too, and backs off */
  bk_mock_clock_advance (f.clock, 100);
  test_settle ();
  assert_fails_fast (&f, address);

  /* Redis returns (empty): the next reconnect on the clock recovers */
  bk_test_redis_restart (redis, &error);
  g_assert_no_error (error);
  bk_mock_clock_advance (f.clock, 5000);
  assert_value (f.alpha.cache, "k", NULL);
  set_value (f.alpha.cache, "k", "back", 0);
  assert_value (f.alpha.cache, "k", "back");
}

static void
test_cache_redis_timeout (void)
{
  g_auto(Fixture) f = { 0, };
  g_autoptr(GError) error = NULL;
  g_autofree char *config = NULL;
  g_autoptr(GBytes) other = g_bytes_new_static ("x", 1);
  g_autofree char *expected = NULL;
  BkTestRedis *redis = redis_or_skip ();
  const char *address;
  Result r = { 0, };
  Result r2 = { 0, };

  if (redis == NULL)
    return;
  address = bk_test_redis_get_connection (redis);
  config = redis_config (redis, "\"redis\":{\"commandTimeout\":\"3s\"}");
  g_assert_true (fixture_start (&f, config, &error));
  g_assert_no_error (error);
  set_value (f.alpha.cache, "k", "v", 0);

  /* Redis hangs: a call waits for the command timeout, on the clock */
  bk_test_redis_pause (redis, &error);
  g_assert_no_error (error);
  bk_cache_get_async (f.alpha.cache, "k", NULL, got, &r);
  bk_cache_set_async (f.beta.cache, "other", other, 0, NULL, was_set, &r2);
  test_settle ();
  g_assert_false (r.done);
  bk_mock_clock_advance (f.clock, 2999);
  test_settle ();
  g_assert_false (r.done);
  bk_mock_clock_advance (f.clock, 1);
  test_wait_for (&r.done, "get timing out");
  g_assert_error (r.error, BK_CACHE_ERROR, BK_CACHE_ERROR_TIMEOUT);
  expected = g_strdup_printf ("Could not get 'k' from the cache of plugin 'alpha': "
                              "Redis at %s did not answer within 3000 ms; "
                              "the connection was dropped", address);
  g_assert_cmpstr (r.error->message, ==, expected);
  result_clear (&r);
  /* the other command on the dropped connection fails with it */
  test_wait_for (&r2.done, "set on the dropped connection");
  g_assert_error (r2.error, BK_CACHE_ERROR, BK_CACHE_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (r2.error->message, "Could not set 'other' in the cache of plugin 'beta': "));
  result_clear (&r2);

  /* then calls fail at once until Redis answers again */
  assert_fails_fast (&f, address);
  bk_test_redis_resume (redis, &error);
  g_assert_no_error (error);
  bk_mock_clock_advance (f.clock, 5000);
  assert_value (f.alpha.cache, "k", "v");
}

static void
test_cache_redis_database (void)
{
  g_auto(Fixture) f = { 0, };
  g_autoptr(GError) error = NULL;
  g_autofree char *config = NULL;
  BkTestRedis *redis = redis_or_skip ();
  redisReply *reply;

  if (redis == NULL)
    return;
  config = g_strdup_printf ("{\"backend\":{\"cache\":{\"store\":\"redis\",\"connection\":\"redis+unix://%s?db=3\"}}}",
                            bk_test_redis_get_socket_path (redis));
  g_assert_true (fixture_start (&f, config, &error));
  g_assert_no_error (error);

  set_value (f.alpha.cache, "k", "in db 3", 0);
  g_assert_cmpint (redis_integer ("EXISTS %s", "alpha:k"), ==, 0);
  reply = redis_raw ("EVAL %s 0", "redis.call('SELECT', 3) return redis.call('GET', 'alpha:k')");
  g_assert_cmpint (reply->type, ==, REDIS_REPLY_STRING);
  g_assert_cmpstr (reply->str, ==, "in db 3");
  freeReplyObject (reply);
}

/* No Redis listens on TCP port 1: calls fail, the password never shows. */
static void
test_cache_redis_refused (void)
{
  g_auto(Fixture) f = { 0, };
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;

  g_assert_true (fixture_start (&f, "{\"backend\":{\"cache\":{\"store\":\"redis\","
                                    "\"connection\":\"redis://:s3cret@127.0.0.1:1/2\"}}}", &error));
  g_assert_no_error (error);

  value = get_value (f.alpha.cache, "k", &error);
  g_assert_null (value);
  assert_unavailable (error, "redis://127.0.0.1:1/2");
  g_assert_null (strstr (error->message, "s3cret"));
  g_clear_error (&error);
  assert_fails_fast (&f, "redis://127.0.0.1:1/2");
}

/* Config ------------------------------------------------------------------------------------- */

typedef struct
{
  const char *name;
  const char *cache_json;
  const char *message;
} ConfigCase;

static const ConfigCase config_cases[] = {
  { "unknown-store", "{\"store\":\"memcache\"}",
    "Invalid cache config at 'backend.cache.store' in 'mock-config', Unknown cache store: memcache; expected memory or redis" },
  { "missing-connection", "{\"store\":\"redis\"}",
    "Missing required config value at 'backend.cache.connection'" },
  { "not-a-uri", "{\"store\":\"redis\",\"connection\":\"localhost:6379\"}",
    "Invalid cache config at 'backend.cache.connection' in 'mock-config', unsupported scheme 'localhost'" },
  { "tls", "{\"store\":\"redis\",\"connection\":\"rediss://:pw@host:6380\"}",
    "TLS connections (rediss://) are not supported" },
  { "no-host", "{\"store\":\"redis\",\"connection\":\"redis:///2\"}",
    "the connection names no host" },
  { "bad-db", "{\"store\":\"redis\",\"connection\":\"redis://host/two\"}",
    "the database 'two' is not a number" },
  { "no-socket", "{\"store\":\"redis\",\"connection\":\"unix://\"}",
    "the connection names no socket" },
  { "timeout", "{\"store\":\"redis\",\"connection\":\"redis://host\",\"redis\":{\"commandTimeout\":0}}",
    "Invalid cache config at 'backend.cache.redis.commandTimeout' in 'mock-config', the command timeout must be longer than 0 ms" },
  { "max-entries", "{\"memory\":{\"maxEntries\":0}}",
    "Invalid cache config at 'backend.cache.memory.maxEntries' in 'mock-config', 0 entries is out of range" },
  { "default-ttl", "{\"defaultTtl\":\"soon\"}",
    "Invalid duration 'soon' in config at 'backend.cache.defaultTtl'" },
};

static void
test_cache_config_error (gconstpointer data)
{
  const ConfigCase *c = data;
  g_auto(Fixture) f = { 0, };
  g_autoptr(GError) error = NULL;
  g_autofree char *config = g_strdup_printf ("{\"backend\":{\"cache\":%s}}", c->cache_json);

  g_assert_false (fixture_start (&f, config, &error));
  g_assert_nonnull (error);
  if (strstr (error->message, c->message) == NULL)
    g_error ("expected '%s' in: %s", c->message, error->message);
  g_assert_nonnull (strstr (error->message, "Plugin 'alpha' startup failed"));
  g_assert_nonnull (strstr (error->message, "core.cache"));
  g_assert_null (strstr (error->message, "pw@"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  bk_test_caches_add ("/cache/basics", test_cache_basics, NULL);
  bk_test_caches_add ("/cache/namespaces", test_cache_namespaces, NULL);
  bk_test_caches_add ("/cache/long-keys", test_cache_long_keys, NULL);
  bk_test_caches_add ("/cache/ttl", test_cache_ttl, NULL);
  bk_test_caches_add ("/cache/with-options", test_cache_with_options, NULL);
  bk_test_caches_add ("/cache/json", test_cache_json, NULL);
  g_test_add_func ("/cache/memory/lru", test_cache_memory_lru);
  g_test_add_func ("/cache/memory/default-ttl", test_cache_memory_default_ttl);
  g_test_add_func ("/cache/redis/outage", test_cache_redis_outage);
  g_test_add_func ("/cache/redis/timeout", test_cache_redis_timeout);
  g_test_add_func ("/cache/redis/database", test_cache_redis_database);
  g_test_add_func ("/cache/redis/refused", test_cache_redis_refused);
  for (guint i = 0; i < G_N_ELEMENTS (config_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/cache/config-error/%s", config_cases[i].name);

      g_test_add_data_func (path, &config_cases[i], test_cache_config_error);
    }

  return g_test_run ();
}
