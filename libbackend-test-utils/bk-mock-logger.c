/* bk-mock-logger.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <string.h>

#include <libbackend-test-utils.h>

/**
 * BkMockLogger:
 *
 * A [iface@Bk.Logger] for tests that records every record it is given.
 *
 * A child logger (from [method@Bk.Logger.child]) adds its fields and shares
 * the records of its parent, so the root mock logger of a test backend sees
 * what every plugin logged:
 *
 * ```c
 * BkMockLogger *logger = bk_test_backend_get_service (backend, BK_SERVICE_ROOT_LOGGER, NULL);
 *
 * g_assert_cmpuint (bk_mock_logger_count (logger, BK_LOG_LEVEL_ERROR, "Plugin startup hook failed, *"), ==, 1);
 * ```
 *
 * Records are printed to stderr only when the environment variable
 * `BK_TEST_LOG` is set, so tests stay quiet by default. A mock logger may be
 * used from any thread.
 *
 * Since: 0.1
 */

typedef struct
{
  BkLogLevel  level;
  char       *message;
  /* (owned) (element-type utf8 utf8): the logger's fields and the record's */
  GHashTable *fields;
} Record;

static void
record_free (gpointer data)
{
  Record *record = data;

  g_free (record->message);
  g_clear_pointer (&record->fields, g_hash_table_unref);
  g_free (record);
}

/* What a mock logger and all its children share. */
typedef struct
{
  GMutex     mutex;
  /* (element-type Record) */
  GPtrArray *records;
} RecordStore;

static RecordStore *
record_store_new (void)
{
  RecordStore *store = g_atomic_rc_box_new0 (RecordStore);

  g_mutex_init (&store->mutex);
  store->records = g_ptr_array_new_with_free_func (record_free);

  return store;
}

static void
record_store_clear (gpointer data)
{
  RecordStore *store = data;

  g_clear_pointer (&store->records, g_ptr_array_unref);
  g_mutex_clear (&store->mutex);
}

static void
record_store_unref (RecordStore *store)
{
  g_atomic_rc_box_release_full (store, record_store_clear);
}

struct _BkMockLogger
{
  GObject      parent_instance;

  RecordStore *store;
  /* (owned) (element-type utf8 utf8), never modified once the logger is
   * handed out */
  GHashTable  *fields;
};

static void bk_mock_logger_iface_init (BkLoggerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkMockLogger, bk_mock_logger, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_LOGGER,
                                                      bk_mock_logger_iface_init))

static const char *
level_to_string (BkLogLevel level)
{
  switch (level)
    {
    case BK_LOG_LEVEL_ERROR:
      return "error";
    case BK_LOG_LEVEL_WARN:
      return "warn";
    case BK_LOG_LEVEL_INFO:
      return "info";
    case BK_LOG_LEVEL_DEBUG:
      return "debug";
    default:
      return "unknown";
    }
}

static int
compare_keys (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static void
print_record (const Record *record)
{
  g_autoptr(GString) line = g_string_new (NULL);
  g_autofree const char **keys = NULL;
  guint n_keys = 0;
  guint i;

  g_string_append_printf (line, "[mock %s] %s", level_to_string (record->level), record->message);

  keys = (const char **) g_hash_table_get_keys_as_array (record->fields, &n_keys);
  if (n_keys > 1)
    g_qsort_with_data (keys, n_keys, sizeof (char *), compare_keys, NULL);
  for (i = 0; i < n_keys; i++)
    g_string_append_printf (line, " %s=%s", keys[i],
                            (const char *) g_hash_table_lookup (record->fields, keys[i]));

  g_string_append_c (line, '\n');
  fwrite (line->str, 1, line->len, stderr);
}

static void
copy_fields (GHashTable *to,
             GHashTable *from)
{
  GHashTableIter iter;
  gpointer key, value;

  if (from == NULL)
    return;

  g_hash_table_iter_init (&iter, from);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (key != NULL && value != NULL)
        g_hash_table_insert (to, g_strdup (key), g_strdup (value));
    }
}

static GHashTable *
new_fields (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static void
bk_mock_logger_log (BkLogger   *logger,
                    BkLogLevel  level,
                    GHashTable *fields,
                    const char *message)
{
  BkMockLogger *self = BK_MOCK_LOGGER (logger);
  Record *record;

  record = g_new0 (Record, 1);
  record->level = level;
  record->message = g_strdup (message);
  record->fields = new_fields ();
  copy_fields (record->fields, self->fields);
  copy_fields (record->fields, fields);

  if (g_getenv ("BK_TEST_LOG") != NULL)
    print_record (record);

  g_mutex_lock (&self->store->mutex);
  g_ptr_array_add (self->store->records, record);
  g_mutex_unlock (&self->store->mutex);
}

static BkLogger *
bk_mock_logger_child (BkLogger   *logger,
                      GHashTable *fields)
{
  BkMockLogger *self = BK_MOCK_LOGGER (logger);
  BkMockLogger *child;

  child = g_object_new (BK_TYPE_MOCK_LOGGER, NULL);
  g_clear_pointer (&child->store, record_store_unref);
  child->store = g_atomic_rc_box_acquire (self->store);
  copy_fields (child->fields, self->fields);
  copy_fields (child->fields, fields);

  return BK_LOGGER (child);
}

static void
bk_mock_logger_iface_init (BkLoggerInterface *iface)
{
  iface->log = bk_mock_logger_log;
  iface->child = bk_mock_logger_child;
}

static void
bk_mock_logger_finalize (GObject *object)
{
  BkMockLogger *self = BK_MOCK_LOGGER (object);

  g_clear_pointer (&self->store, record_store_unref);
  g_clear_pointer (&self->fields, g_hash_table_unref);

  G_OBJECT_CLASS (bk_mock_logger_parent_class)->finalize (object);
}

static void
bk_mock_logger_class_init (BkMockLoggerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bk_mock_logger_finalize;
}

static void
bk_mock_logger_init (BkMockLogger *self)
{
  self->store = record_store_new ();
  self->fields = new_fields ();
}

/**
 * bk_mock_logger_new:
 *
 * Creates a mock logger with no fields and no records.
 *
 * Returns: (transfer full): a new #BkMockLogger
 *
 * Since: 0.1
 */
BkMockLogger *
bk_mock_logger_new (void)
{
  return g_object_new (BK_TYPE_MOCK_LOGGER, NULL);
}

/**
 * bk_mock_logger_count:
 * @self: a #BkMockLogger
 * @level: the level to count
 * @pattern: (nullable): a glob for the message (`*` and `?`, as
 *   g_pattern_match_simple()), or %NULL for any message
 *
 * Counts the records at @level whose message matches @pattern, among those of
 * @self, its parent and all the children they share records with.
 *
 * Returns: the number of matching records
 *
 * Since: 0.1
 */
guint
bk_mock_logger_count (BkMockLogger *self,
                      BkLogLevel    level,
                      const char   *pattern)
{
  g_autoptr(GPatternSpec) spec = NULL;
  guint count = 0;
  guint i;

  g_return_val_if_fail (BK_IS_MOCK_LOGGER (self), 0);

  if (pattern != NULL)
    spec = g_pattern_spec_new (pattern);

  g_mutex_lock (&self->store->mutex);
  for (i = 0; i < self->store->records->len; i++)
    {
      const Record *record = g_ptr_array_index (self->store->records, i);

      if (record->level != level)
        continue;
      if (spec != NULL && !g_pattern_spec_match_string (spec, record->message))
        continue;
      count++;
    }
  g_mutex_unlock (&self->store->mutex);

  return count;
}

/**
 * bk_mock_logger_dup_messages:
 * @self: a #BkMockLogger
 * @level: the level of the records
 *
 * Gets the messages of the records at @level, in the order they were logged,
 * among those of @self, its parent and all the children they share records
 * with.
 *
 * Returns: (transfer full) (array zero-terminated=1): the messages
 *
 * Since: 0.1
 */
char **
bk_mock_logger_dup_messages (BkMockLogger *self,
                             BkLogLevel    level)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  guint i;

  g_return_val_if_fail (BK_IS_MOCK_LOGGER (self), NULL);

  builder = g_strv_builder_new ();

  g_mutex_lock (&self->store->mutex);
  for (i = 0; i < self->store->records->len; i++)
    {
      const Record *record = g_ptr_array_index (self->store->records, i);

      if (record->level == level)
        g_strv_builder_add (builder, record->message);
    }
  g_mutex_unlock (&self->store->mutex);

  return g_strv_builder_end (builder);
}

/* Factories */

static GObject *
create_mock_root_logger (BkDeps    *deps,
                         gpointer   root_context,
                         gpointer   user_data,
                         GError   **error)
{
  return G_OBJECT (bk_mock_logger_new ());
}

/**
 * bk_mock_root_logger_factory_new:
 *
 * Creates a factory for `core.rootLogger` that makes a [class@Bk.MockLogger].
 *
 * Returns: (transfer full): a new #BkServiceFactory
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_mock_root_logger_factory_new (void)
{
  return bk_service_factory_new (BK_SERVICE_ROOT_LOGGER,
                                 create_mock_root_logger, NULL, NULL,
                                 NULL);
}

static GObject *
create_mock_logger (BkDeps    *deps,
                    gpointer   root_context,
                    gpointer   user_data,
                    GError   **error)
{
  BkLogger *root_logger = bk_deps_get (deps, BK_SERVICE_ROOT_LOGGER);
  BkPluginMetadata *metadata = bk_deps_get (deps, BK_SERVICE_PLUGIN_METADATA);
  const char *plugin_id = bk_plugin_metadata_get_id (metadata);
  g_autoptr(BkMockLogger) parent = NULL;

  /* With a root logger that is not a mock, the plugin's logger is still a
   * mock, with records of its own. */
  if (BK_IS_MOCK_LOGGER (root_logger))
    parent = g_object_ref (BK_MOCK_LOGGER (root_logger));
  else
    parent = bk_mock_logger_new ();

  return G_OBJECT (bk_logger_child_with (BK_LOGGER (parent), "plugin", plugin_id, NULL));
}

/**
 * bk_mock_logger_factory_new:
 *
 * Creates a factory for `core.logger` that makes a [class@Bk.MockLogger]
 * carrying `plugin=<pluginId>`: a child of the root logger (sharing its
 * records) when that is a mock logger too.
 *
 * Returns: (transfer full): a new #BkServiceFactory
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_mock_logger_factory_new (void)
{
  return bk_service_factory_new (BK_SERVICE_LOGGER,
                                 create_mock_logger, NULL, NULL,
                                 BK_SERVICE_ROOT_LOGGER,
                                 BK_SERVICE_PLUGIN_METADATA,
                                 NULL);
}
