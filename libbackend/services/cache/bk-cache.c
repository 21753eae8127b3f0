/* bk-cache.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkCache:
 *
 * The `core.cache` service ([const@Bk.SERVICE_CACHE]): a plugin's cache of
 * byte values by string key, each with an optional time to live.
 *
 * ```c
 * g_autoptr(GBytes) value = g_bytes_new_static ("42", 2);
 *
 * bk_cache_set_async (cache, "answer", value, 60 * 1000, NULL, on_set, self);
 * …
 * bk_cache_get_async (cache, "answer", NULL, on_get, self);
 * ```
 *
 * Every call completes on the caller's thread-default main context, never
 * before it returns. [method@Bk.Cache.get_finish] gives %NULL without an
 * error for a key that is absent or expired.
 *
 * The default implementation, which [ctor@Bk.Backend.new] uses, reads
 * `backend.cache` (see `docs/cache.md`): one store per backend, in memory
 * unless `store: redis`. Keys are namespaced per plugin: plugin `todo`'s
 * key `k` is stored as `todo:k`, so plugins never see each other's values,
 * and [method@Bk.Cache.clear_async] removes only the plugin's keys. A key
 * longer than %BK_CACHE_MAX_KEY_LENGTH bytes is stored as `sha256:` and
 * its SHA-256 in hexadecimal. A TTL of 0 means the cache's default TTL
 * (`backend.cache.defaultTtl`, or the one given to
 * [method@Bk.Cache.with_options]); with neither, the value does not expire.
 * TTLs of the memory store run on `core.rootClock`.
 *
 * Errors are in the %BK_CACHE_ERROR domain and name the key and the plugin:
 * `Could not get 'k' from the cache of plugin 'todo': Redis at
 * unix:///run/redis.sock is unavailable: Connection refused`.
 *
 * Since: 0.1
 */

#include "bk-cache-private.h"
#include "bk-duration-private.h"
#include "bk-services-private.h"

#define DEFAULT_MAX_ENTRIES        10000
#define DEFAULT_COMMAND_TIMEOUT_MS 2000

/**
 * bk_cache_error_quark:
 *
 * The error domain of `core.cache` errors.
 *
 * Returns: the #GQuark of %BK_CACHE_ERROR
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (bk-cache-error-quark, bk_cache_error)

G_DEFINE_INTERFACE (BkCache, bk_cache, G_TYPE_OBJECT)

static void
bk_cache_default_init (BkCacheInterface *iface)
{
}

/**
 * bk_cache_get_async:
 * @self: a #BkCache
 * @key: the key
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the value has been read
 * @user_data: data for @callback
 *
 * Reads the value stored at @key.
 *
 * Since: 0.1
 */
void
bk_cache_get_async (BkCache             *self,
                    const char          *key,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_return_if_fail (BK_IS_CACHE (self));
  g_return_if_fail (key != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  BK_CACHE_GET_IFACE (self)->get_async (self, key, cancellable, callback, user_data);
}

/**
 * bk_cache_get_finish:
 * @self: a #BkCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@Bk.Cache.get_async].
 *
 * Returns: (transfer full) (nullable): the value, or %NULL without @error
 *   set when the key is absent or expired, or %NULL with @error set
 *
 * Since: 0.1
 */
GBytes *
bk_cache_get_finish (BkCache       *self,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (BK_IS_CACHE (self), NULL);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);

  return BK_CACHE_GET_IFACE (self)->get_finish (self, result, error);
}

/**
 * bk_cache_set_async:
 * @self: a #BkCache
 * @key: the key
 * @value: the value
 * @ttl_ms: how long the value lives, in milliseconds; 0 for the cache's
 *   default TTL (none unless configured)
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the value has been stored
 * @user_data: data for @callback
 *
 * Stores @value at @key, replacing any value there.
 *
 * Since: 0.1
 */
void
bk_cache_set_async (BkCache             *self,
                    const char          *key,
                    GBytes              *value,
                    guint64              ttl_ms,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_return_if_fail (BK_IS_CACHE (self));
  g_return_if_fail (key != NULL);
  g_return_if_fail (value != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  BK_CACHE_GET_IFACE (self)->set_async (self, key, value, ttl_ms, cancellable, callback, user_data);
}

/**
 * bk_cache_set_finish:
 * @self: a #BkCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@Bk.Cache.set_async].
 *
 * Returns: %TRUE once stored, %FALSE with @error set
 *
 * Since: 0.1
 */
gboolean
bk_cache_set_finish (BkCache       *self,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (BK_IS_CACHE (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);

  return BK_CACHE_GET_IFACE (self)->set_finish (self, result, error);
}

/**
 * bk_cache_delete_async:
 * @self: a #BkCache
 * @key: the key
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the value has been removed
 * @user_data: data for @callback
 *
 * Removes the value at @key, if any.
 *
 * Since: 0.1
 */
void
bk_cache_delete_async (BkCache             *self,
                       const char          *key,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (BK_IS_CACHE (self));
  g_return_if_fail (key != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  BK_CACHE_GET_IFACE (self)->delete_async (self, key, cancellable, callback, user_data);
}

/**
 * bk_cache_delete_finish:
 * @self: a #BkCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@Bk.Cache.delete_async].
 *
 * Returns: %TRUE once removed (or absent), %FALSE with @error set
 *
 * Since: 0.1
 */
gboolean
bk_cache_delete_finish (BkCache       *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (BK_IS_CACHE (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);

  return BK_CACHE_GET_IFACE (self)->delete_finish (self, result, error);
}

/**
 * bk_cache_clear_async:
 * @self: a #BkCache
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the values have been removed
 * @user_data: data for @callback
 *
 * Removes every value of the cache's namespace (the plugin's), and nothing
 * else: with Redis, the keys with the plugin's prefix, found with `SCAN`.
 *
 * Since: 0.1
 */
void
bk_cache_clear_async (BkCache             *self,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_return_if_fail (BK_IS_CACHE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  BK_CACHE_GET_IFACE (self)->clear_async (self, cancellable, callback, user_data);
}

/**
 * bk_cache_clear_finish:
 * @self: a #BkCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@Bk.Cache.clear_async].
 *
 * Returns: %TRUE once cleared, %FALSE with @error set
 *
 * Since: 0.1
 */
gboolean
bk_cache_clear_finish (BkCache       *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (BK_IS_CACHE (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);

  return BK_CACHE_GET_IFACE (self)->clear_finish (self, result, error);
}

/**
 * bk_cache_with_options:
 * @self: a #BkCache
 * @default_ttl_ms: the default TTL of the new view, in milliseconds; 0 for
 *   none
 *
 * Gives a view of the same cache (same store, same namespace) whose
 * default TTL is @default_ttl_ms, as Backstage's `withOptions`. @self is
 * not changed.
 *
 * Returns: (transfer full): a new #BkCache
 *
 * Since: 0.1
 */
BkCache *
bk_cache_with_options (BkCache *self,
                       guint64  default_ttl_ms)
{
  g_return_val_if_fail (BK_IS_CACHE (self), NULL);

  return BK_CACHE_GET_IFACE (self)->with_options (self, default_ttl_ms);
}

/* JSON helpers ------------------------------------------------------------------------------ */

static void
got_json (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) value = NULL;
  g_autoptr(JsonParser) parser = NULL;
  const char *key = g_task_get_task_data (task);
  gsize size;
  const char *data;

  value = bk_cache_get_finish (BK_CACHE (source), result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (value == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  data = g_bytes_get_data (value, &size);
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data != NULL ? data : "", (gssize) size, &error))
    {
      g_task_return_new_error (task, BK_CACHE_ERROR, BK_CACHE_ERROR_INVALID_VALUE,
                               "The cached value of '%s' is not JSON: %s", key, error->message);
      return;
    }
  g_task_return_pointer (task, json_node_ref (json_parser_get_root (parser)),
                         (GDestroyNotify) json_node_unref);
}

/**
 * bk_cache_get_json_async:
 * @self: a #BkCache
 * @key: the key
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the value has been read
 * @user_data: data for @callback
 *
 * Reads the value at @key and parses it as JSON, as stored by
 * [method@Bk.Cache.set_json_async].
 *
 * Since: 0.1
 */
void
bk_cache_get_json_async (BkCache             *self,
                         const char          *key,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (BK_IS_CACHE (self));
  g_return_if_fail (key != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bk_cache_get_json_async);
  g_task_set_task_data (task, g_strdup (key), g_free);
  bk_cache_get_async (self, key, cancellable, got_json, task);
}

/**
 * bk_cache_get_json_finish:
 * @self: a #BkCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@Bk.Cache.get_json_async]. A value that is not JSON
 * fails with %BK_CACHE_ERROR_INVALID_VALUE.
 *
 * Returns: (transfer full) (nullable): the value, or %NULL without @error
 *   set when the key is absent or expired, or %NULL with @error set
 *
 * Since: 0.1
 */
JsonNode *
bk_cache_get_json_finish (BkCache       *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (BK_IS_CACHE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
set_json_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (bk_cache_set_finish (BK_CACHE (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * bk_cache_set_json_async:
 * @self: a #BkCache
 * @key: the key
 * @value: the value
 * @ttl_ms: as for [method@Bk.Cache.set_async]
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the value has been stored
 * @user_data: data for @callback
 *
 * Stores @value, serialised as compact JSON text, at @key.
 *
 * Since: 0.1
 */
void
bk_cache_set_json_async (BkCache             *self,
                         const char          *key,
                         JsonNode            *value,
                         guint64              ttl_ms,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GBytes) bytes = NULL;
  GTask *task;
  char *text;

  g_return_if_fail (BK_IS_CACHE (self));
  g_return_if_fail (key != NULL);
  g_return_if_fail (value != NULL);

  text = json_to_string (value, FALSE);
  bytes = g_bytes_new_take (text, strlen (text));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bk_cache_set_json_async);
  bk_cache_set_async (self, key, bytes, ttl_ms, cancellable, set_json_done, task);
}

/**
 * bk_cache_set_json_finish:
 * @self: a #BkCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@Bk.Cache.set_json_async].
 *
 * Returns: %TRUE once stored, %FALSE with @error set
 *
 * Since: 0.1
 */
gboolean
bk_cache_set_json_finish (BkCache       *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (BK_IS_CACHE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Stores ------------------------------------------------------------------------------------ */

G_DEFINE_ABSTRACT_TYPE (BkCacheStore, bk_cache_store, G_TYPE_OBJECT)

static void
bk_cache_store_class_init (BkCacheStoreClass *klass)
{
}

static void
bk_cache_store_init (BkCacheStore *self)
{
}

/* The default implementation: a plugin's view of the backend's store ------------------------ */

#define BK_TYPE_DEFAULT_CACHE (bk_default_cache_get_type ())
G_DECLARE_FINAL_TYPE (BkDefaultCache, bk_default_cache, BK, DEFAULT_CACHE, GObject)

struct _BkDefaultCache
{
  GObject       parent_instance;

  BkCacheStore *store;
  char         *plugin_id;
  guint64       default_ttl_ms;
};

static void bk_default_cache_iface_init (BkCacheInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkDefaultCache, bk_default_cache, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_CACHE, bk_default_cache_iface_init))

typedef struct
{
  const char *verb;     /* "get", "set"… for messages */
  char       *key;      /* as the caller wrote it */
} Call;

static void
call_free (Call *call)
{
  g_free (call->key);
  g_free (call);
}

static GTask *
call_new (BkDefaultCache      *self,
          const char          *verb,
          const char          *key,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data,
          gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);

  call->verb = verb;
  call->key = g_strdup (key);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);
  return task;
}

/* A BkCacheStoreFunc: completes the task, naming the key and the plugin
 * in an error. */
static void
call_done (gpointer      data,
           GBytes       *value,
           const GError *error)
{
  g_autoptr(GTask) task = data;
  BkDefaultCache *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);

  if (error == NULL && g_task_get_source_tag (task) == bk_cache_get_async)
    g_task_return_pointer (task, value != NULL ? g_bytes_ref (value) : NULL,
                           (GDestroyNotify) g_bytes_unref);
  else if (error == NULL)
    g_task_return_boolean (task, TRUE);
  else if (call->key != NULL)
    g_task_return_new_error (task, error->domain, error->code,
                             "Could not %s '%s' %s the cache of plugin '%s': %s",
                             call->verb, call->key, g_str_equal (call->verb, "set") ? "in" : "from",
                             self->plugin_id, error->message);
  else
    g_task_return_new_error (task, error->domain, error->code,
                             "Could not clear the cache of plugin '%s': %s",
                             self->plugin_id, error->message);
}

/* `<pluginId>:<key>`, or `<pluginId>:sha256:<hex>` for a long key. */
static char *
full_key (BkDefaultCache *self,
          const char     *key)
{
  g_autofree char *hash = NULL;

  if (strlen (key) <= BK_CACHE_MAX_KEY_LENGTH)
    return g_strconcat (self->plugin_id, ":", key, NULL);
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
  return g_strconcat (self->plugin_id, ":sha256:", hash, NULL);
}

static void
bk_default_cache_get_async (BkCache             *cache,
                            const char          *key,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  BkDefaultCache *self = BK_DEFAULT_CACHE (cache);
  g_autofree char *full = full_key (self, key);
  GTask *task = call_new (self, "get", key, cancellable, callback, user_data, bk_cache_get_async);

  BK_CACHE_STORE_GET_CLASS (self->store)->get (self->store, full, call_done, task);
}

static GBytes *
bk_default_cache_get_finish (BkCache       *cache,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, cache), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
bk_default_cache_set_async (BkCache             *cache,
                            const char          *key,
                            GBytes              *value,
                            guint64              ttl_ms,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  BkDefaultCache *self = BK_DEFAULT_CACHE (cache);
  g_autofree char *full = full_key (self, key);
  GTask *task = call_new (self, "set", key, cancellable, callback, user_data, bk_cache_set_async);

  BK_CACHE_STORE_GET_CLASS (self->store)->set (self->store, full, value,
                                               ttl_ms != 0 ? ttl_ms : self->default_ttl_ms,
                                               call_done, task);
}

static gboolean
bk_default_cache_boolean_finish (BkCache       *cache,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, cache), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
bk_default_cache_delete_async (BkCache             *cache,
                               const char          *key,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  BkDefaultCache *self = BK_DEFAULT_CACHE (cache);
  g_autofree char *full = full_key (self, key);
  GTask *task = call_new (self, "delete", key, cancellable, callback, user_data, bk_cache_delete_async);

  BK_CACHE_STORE_GET_CLASS (self->store)->delete (self->store, full, call_done, task);
}

static void
bk_default_cache_clear_async (BkCache             *cache,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  BkDefaultCache *self = BK_DEFAULT_CACHE (cache);
  g_autofree char *prefix = g_strconcat (self->plugin_id, ":", NULL);
  GTask *task = call_new (self, "clear", NULL, cancellable, callback, user_data, bk_cache_clear_async);

  BK_CACHE_STORE_GET_CLASS (self->store)->clear (self->store, prefix, call_done, task);
}

static BkDefaultCache *
default_cache_new (BkCacheStore *store,
                   const char   *plugin_id,
                   guint64       default_ttl_ms)
{
  BkDefaultCache *self = g_object_new (BK_TYPE_DEFAULT_CACHE, NULL);

  self->store = g_object_ref (store);
  self->plugin_id = g_strdup (plugin_id);
  self->default_ttl_ms = default_ttl_ms;
  return self;
}

static BkCache *
bk_default_cache_with_options (BkCache *cache,
                               guint64  default_ttl_ms)
{
  BkDefaultCache *self = BK_DEFAULT_CACHE (cache);

  return BK_CACHE (default_cache_new (self->store, self->plugin_id, default_ttl_ms));
}

static void
bk_default_cache_finalize (GObject *object)
{
  BkDefaultCache *self = BK_DEFAULT_CACHE (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->plugin_id, g_free);

  G_OBJECT_CLASS (bk_default_cache_parent_class)->finalize (object);
}

static void
bk_default_cache_class_init (BkDefaultCacheClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bk_default_cache_finalize;
}

static void
bk_default_cache_iface_init (BkCacheInterface *iface)
{
  iface->get_async = bk_default_cache_get_async;
  iface->get_finish = bk_default_cache_get_finish;
  iface->set_async = bk_default_cache_set_async;
  iface->set_finish = bk_default_cache_boolean_finish;
  iface->delete_async = bk_default_cache_delete_async;
  iface->delete_finish = bk_default_cache_boolean_finish;
  iface->clear_async = bk_default_cache_clear_async;
  iface->clear_finish = bk_default_cache_boolean_finish;
  iface->with_options = bk_default_cache_with_options;
}

static void
bk_default_cache_init (BkDefaultCache *self)
{
}

/* Config and the factory ---------------------------------------------------------------------- */

static gboolean
invalid_value (BkConfig    *config,
               const char  *key,
               GError     **error,
               const char  *format,
               ...) G_GNUC_PRINTF (4, 5);

static gboolean
invalid_value (BkConfig    *config,
               const char  *key,
               GError     **error,
               const char  *format,
               ...)
{
  g_autofree char *source = bk_config_dup_key_source (config, key);
  g_autofree char *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
               "Invalid cache config at '%s' in '%s', %s",
               key, source != NULL ? source : bk_config_get_source (config), reason);
  return FALSE;
}

/* What the root context holds: the backend's store and the default TTL. */
typedef struct
{
  BkCacheStore *store;
  guint64       default_ttl_ms;
} CacheRoot;

static void
cache_root_free (gpointer data)
{
  CacheRoot *root = data;

  g_clear_object (&root->store);
  g_free (root);
}

static gboolean
shutdown_hook (gpointer   user_data,
               GError   **error)
{
  BkCacheStore *store = user_data;

  BK_CACHE_STORE_GET_CLASS (store)->shutdown (store);
  return TRUE;
}

static BkCacheStore *
store_from_config (BkConfig  *config,
                   BkClock   *clock,
                   BkLogger  *logger,
                   GError   **error)
{
  g_autofree char *store = NULL;

  if (!bk_config_get_optional_string (config, "backend.cache.store", "memory", &store, error))
    return NULL;

  if (g_str_equal (store, "memory"))
    {
      gint64 max_entries = 0;

      if (!bk_config_get_optional_int (config, "backend.cache.memory.maxEntries",
                                       DEFAULT_MAX_ENTRIES, &max_entries, error))
        return NULL;
      if (max_entries < 1 || max_entries > G_MAXUINT)
        {
          invalid_value (config, "backend.cache.memory.maxEntries", error,
                         "%" G_GINT64_FORMAT " entries is out of range; expected 1 to %u",
                         max_entries, G_MAXUINT);
          return NULL;
        }
      return _bk_cache_memory_store_new (clock, (guint) max_entries);
    }

  if (g_str_equal (store, "redis"))
    {
      BkCacheRedisOptions options = { 0, };
      g_autofree char *connection = NULL;
      g_autoptr(GError) local_error = NULL;

      if (!bk_config_get_string (config, "backend.cache.connection", &connection, error) ||
          !_bk_duration_from_config (config, "backend.cache.redis.commandTimeout",
                                     DEFAULT_COMMAND_TIMEOUT_MS, &options.command_timeout_ms, error))
        return NULL;
      if (options.command_timeout_ms == 0)
        {
          invalid_value (config, "backend.cache.redis.commandTimeout", error,
                         "the command timeout must be longer than 0 ms");
          return NULL;
        }
      if (!_bk_cache_redis_parse_connection (connection, &options, &local_error))
        {
          _bk_cache_redis_options_clear (&options);
          invalid_value (config, "backend.cache.connection", error, "%s", local_error->message);
          return NULL;
        }
      return _bk_cache_redis_store_new (&options, clock, logger);
    }

  invalid_value (config, "backend.cache.store", error,
                 "Unknown cache store: %s; expected memory or redis", store);
  return NULL;
}

static gpointer
create_cache_root (BkDeps    *root_deps,
                   gpointer   user_data,
                   GError   **error)
{
  g_autoptr(BkConfig) config = bk_root_config_dup_config (bk_deps_get (root_deps, BK_SERVICE_ROOT_CONFIG));
  g_autoptr(BkCacheStore) store = NULL;
  CacheRoot *root;
  guint64 default_ttl_ms = 0;

  if (!_bk_duration_from_config (config, "backend.cache.defaultTtl", 0, &default_ttl_ms, error))
    return NULL;
  store = store_from_config (config, bk_deps_get (root_deps, BK_SERVICE_ROOT_CLOCK),
                             bk_deps_get (root_deps, BK_SERVICE_ROOT_LOGGER), error);
  if (store == NULL)
    return NULL;
  if (!bk_lifecycle_add_hook (bk_deps_get (root_deps, BK_SERVICE_ROOT_LIFECYCLE),
                              BK_LIFECYCLE_PHASE_SHUTDOWN, shutdown_hook,
                              g_object_ref (store), g_object_unref, error))
    return NULL;

  root = g_new0 (CacheRoot, 1);
  root->store = g_steal_pointer (&store);
  root->default_ttl_ms = default_ttl_ms;
  return root;
}

static GObject *
create_cache (BkDeps    *deps,
              gpointer   root_context,
              gpointer   user_data,
              GError   **error)
{
  CacheRoot *root = root_context;
  BkPluginMetadata *metadata = bk_deps_get (deps, BK_SERVICE_PLUGIN_METADATA);

  g_assert (root != NULL);

  return G_OBJECT (default_cache_new (root->store, bk_plugin_metadata_get_id (metadata),
                                      root->default_ttl_ms));
}

BkServiceFactory *
_bk_cache_default_factory (void)
{
  BkServiceFactory *factory;

  factory = bk_service_factory_new (BK_SERVICE_CACHE, create_cache, NULL, NULL,
                                    BK_SERVICE_ROOT_CONFIG,
                                    BK_SERVICE_ROOT_CLOCK,
                                    BK_SERVICE_ROOT_LOGGER,
                                    BK_SERVICE_ROOT_LIFECYCLE,
                                    BK_SERVICE_PLUGIN_METADATA,
                                    NULL);
  bk_service_factory_set_root_context (factory, create_cache_root, NULL, NULL, cache_root_free);
  bk_service_factory_set_initialization (factory, BK_SERVICE_INITIALIZATION_LAZY);
  return factory;
}
