/* bk-cache-memory.c: the memory store of core.cache.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One hash table per backend, shared by every plugin's client (keys carry
 * the plugin's prefix). Bounded by a number of entries: when full, a new
 * key evicts the least recently used entry (reads and writes both count
 * as a use). Expiry runs on core.rootClock: an entry whose time has come
 * is invisible at once (removed when next touched), and a sweep on the
 * clock removes the rest while entries with a TTL exist.
 */

#include "bk-cache-private.h"

#define SWEEP_INTERVAL_MS 60000

typedef struct
{
  char   *key;
  GBytes *value;
  gint64  expires;    /* monotonic µs; 0 for never */
  GList   link;       /* in lru, data = the entry */
} Entry;

struct _BkCacheMemoryStore
{
  BkCacheStore  parent_instance;

  BkClock      *clock;
  guint         max_entries;
  GHashTable   *entries;     /* key → Entry, owned */
  GQueue        lru;         /* most recently used first */
  guint         sweep_id;
  gboolean      closed;
};

#define BK_TYPE_CACHE_MEMORY_STORE (bk_cache_memory_store_get_type ())
G_DECLARE_FINAL_TYPE (BkCacheMemoryStore, bk_cache_memory_store, BK, CACHE_MEMORY_STORE, BkCacheStore)
G_DEFINE_FINAL_TYPE (BkCacheMemoryStore, bk_cache_memory_store, BK_TYPE_CACHE_STORE)

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->key);
  g_bytes_unref (entry->value);
  g_free (entry);
}

static void
remove_entry (BkCacheMemoryStore *self,
              Entry              *entry)
{
  g_queue_unlink (&self->lru, &entry->link);
  g_hash_table_remove (self->entries, entry->key);   /* frees it */
}

static gboolean
is_expired (BkCacheMemoryStore *self,
            Entry              *entry)
{
  return entry->expires != 0 && entry->expires <= bk_clock_get_monotonic_time (self->clock);
}

static gboolean
check_open (BkCacheMemoryStore *self,
            BkCacheStoreFunc    func,
            gpointer            data)
{
  g_autoptr(GError) error = NULL;

  if (!self->closed)
    return TRUE;
  g_set_error_literal (&error, BK_CACHE_ERROR, BK_CACHE_ERROR_CLOSED,
                       "The cache has been shut down");
  func (data, NULL, error);
  return FALSE;
}

static void sweep (gpointer user_data);

static void
cancel_sweep (BkCacheMemoryStore *self)
{
  if (self->sweep_id != 0)
    bk_clock_cancel_timer (self->clock, self->sweep_id);
  self->sweep_id = 0;
}

static void
arm_sweep (BkCacheMemoryStore *self)
{
  if (self->sweep_id == 0 && !self->closed)
    self->sweep_id = bk_clock_add_timer (self->clock, SWEEP_INTERVAL_MS, sweep, self, NULL);
}

/* Removes every expired entry; runs again while some entry has a TTL. */
static void
sweep (gpointer user_data)
{
  BkCacheMemoryStore *self = user_data;
  gboolean any_ttl = FALSE;
  GList *link = self->lru.head;

  self->sweep_id = 0;
  while (link != NULL)
    {
      Entry *entry = link->data;

      link = link->next;
      if (is_expired (self, entry))
        remove_entry (self, entry);
      else if (entry->expires != 0)
        any_ttl = TRUE;
    }
  if (any_ttl)
    arm_sweep (self);
}

static Entry *
lookup (BkCacheMemoryStore *self,
        const char         *key)
{
  Entry *entry = g_hash_table_lookup (self->entries, key);

  if (entry != NULL && is_expired (self, entry))
    {
      remove_entry (self, entry);
      return NULL;
    }
  return entry;
}

static void
bk_cache_memory_store_get (BkCacheStore     *store,
                           const char       *key,
                           BkCacheStoreFunc  func,
                           gpointer          data)
{
  BkCacheMemoryStore *self = BK_CACHE_MEMORY_STORE (store);
  Entry *entry;

  if (!check_open (self, func, data))
    return;
  entry = lookup (self, key);
  if (entry != NULL)
    {
      g_queue_unlink (&self->lru, &entry->link);
      g_queue_push_head_link (&self->lru, &entry->link);
    }
  func (data, entry != NULL ? entry->value : NULL, NULL);
}

static void
bk_cache_memory_store_set (BkCacheStore     *store,
                           const char       *key,
                           GBytes           *value,
                           guint64           ttl_ms,
                           BkCacheStoreFunc  func,
                           gpointer          data)
{
  BkCacheMemoryStore *self = BK_CACHE_MEMORY_STORE (store);
  Entry *entry;

  if (!check_open (self, func, data))
    return;

  /* A key already there keeps its entry: new value, new expiry, most
   * recently used. */
  entry = g_hash_table_lookup (self->entries, key);
  if (entry != NULL)
    {
      g_queue_unlink (&self->lru, &entry->link);
      g_bytes_unref (entry->value);
    }
  else
    {
      while (g_hash_table_size (self->entries) >= self->max_entries)
        remove_entry (self, self->lru.tail->data);
      entry = g_new0 (Entry, 1);
      entry->key = g_strdup (key);
      entry->link.data = entry;
      g_hash_table_insert (self->entries, entry->key, entry);
    }
  entry->value = g_bytes_ref (value);
  entry->expires = 0;
  if (ttl_ms != 0)
    {
      gint64 now = bk_clock_get_monotonic_time (self->clock);

      entry->expires = ttl_ms > (guint64) (G_MAXINT64 - now) / 1000 ? G_MAXINT64 : now + (gint64) ttl_ms * 1000;
      arm_sweep (self);
    }
  g_queue_push_head_link (&self->lru, &entry->link);
  func (data, NULL, NULL);
}

static void
bk_cache_memory_store_delete (BkCacheStore     *store,
                              const char       *key,
                              BkCacheStoreFunc  func,
                              gpointer          data)
{
  BkCacheMemoryStore *self = BK_CACHE_MEMORY_STORE (store);
  Entry *entry;

  if (!check_open (self, func, data))
    return;
  entry = g_hash_table_lookup (self->entries, key);
  if (entry != NULL)
    remove_entry (self, entry);
  func (data, NULL, NULL);
}

static void
bk_cache_memory_store_clear (BkCacheStore     *store,
                             const char       *prefix,
                             BkCacheStoreFunc  func,
                             gpointer          data)
{
  BkCacheMemoryStore *self = BK_CACHE_MEMORY_STORE (store);
  GList *link;

  if (!check_open (self, func, data))
    return;
  link = self->lru.head;
  while (link != NULL)
    {
      Entry *entry = link->data;

      link = link->next;
      if (g_str_has_prefix (entry->key, prefix))
        remove_entry (self, entry);
    }
  func (data, NULL, NULL);
}

static void
bk_cache_memory_store_shutdown (BkCacheStore *store)
{
  BkCacheMemoryStore *self = BK_CACHE_MEMORY_STORE (store);

  self->closed = TRUE;
  cancel_sweep (self);
  g_queue_init (&self->lru);
  g_hash_table_remove_all (self->entries);
}

static void
bk_cache_memory_store_finalize (GObject *object)
{
  BkCacheMemoryStore *self = BK_CACHE_MEMORY_STORE (object);

  cancel_sweep (self);
  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (bk_cache_memory_store_parent_class)->finalize (object);
}

static void
bk_cache_memory_store_class_init (BkCacheMemoryStoreClass *klass)
{
  BkCacheStoreClass *store_class = BK_CACHE_STORE_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = bk_cache_memory_store_finalize;
  store_class->get = bk_cache_memory_store_get;
  store_class->set = bk_cache_memory_store_set;
  store_class->delete = bk_cache_memory_store_delete;
  store_class->clear = bk_cache_memory_store_clear;
  store_class->shutdown = bk_cache_memory_store_shutdown;
}

static void
bk_cache_memory_store_init (BkCacheMemoryStore *self)
{
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
  g_queue_init (&self->lru);
}

BkCacheStore *
_bk_cache_memory_store_new (BkClock *clock,
                            guint    max_entries)
{
  BkCacheMemoryStore *self = g_object_new (BK_TYPE_CACHE_MEMORY_STORE, NULL);

  g_assert (max_entries > 0);

  self->clock = g_object_ref (clock);
  self->max_entries = max_entries;
  return BK_CACHE_STORE (self);
}
