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
 * A [iface@Bk.Logger] for tests that captures every record it is given:
 * its level, its message and its fields (the logger's and the record's).
 *
 * A child logger (from [method@Bk.Logger.child]) adds its fields and shares
 * the records of its parent, so the root mock logger of a test backend sees
 * what every plugin logged:
 *
 * ```c
 * BkMockLogger *logger = bk_test_backend_get_service (backend, BK_SERVICE_ROOT_LOGGER, NULL);
 *
 * bk_mock_logger_assert_logged (logger, BK_LOG_LEVEL_ERROR, "Plugin startup hook failed, *");
 * bk_mock_logger_assert_logged_with_field (logger, BK_LOG_LEVEL_INFO, "Hello*", "plugin", "todo");
 * g_assert_cmpuint (bk_mock_logger_count (logger, BK_LOG_LEVEL_WARN, NULL), ==, 0);
 * ```
 *
 * A mock logger has no level: it captures records at every level,
 * [enum@Bk.LogLevel.DEBUG] included, and redacts nothing.
 *
 * Records are printed to stderr only when the environment variable
 * `BK_TEST_LOG` is set, so tests stay quiet by default. The assertion
 * macros ([func@Bk.mock_logger_assert_logged] and its variants) list every
 * captured record in their failure message, [method@Bk.MockLogger.dump]
 * prints them on demand, and a mock logger whose last reference goes away
 * while the test has failed (non-fatal assertions) prints them too.
 *
 * A mock logger may be used from any thread.
 *
 * Since: 0.1
 */

/**
 * BkMockLoggerRecord:
 *
 * One record captured by a [class@Bk.MockLogger]. It never changes.
 *
 * Since: 0.1
 */
struct _BkMockLoggerRecord
{
  BkLogLevel  level;
  char       *message;
  /* (owned) (element-type utf8 utf8): the logger's fields and the record's */
  GHashTable *fields;
};

static void
record_clear (gpointer data)
{
  BkMockLoggerRecord *record = data;

  g_free (record->message);
  g_clear_pointer (&record->fields, g_hash_table_unref);
}

/**
 * bk_mock_logger_record_ref:
 * @record: a #BkMockLoggerRecord
 *
 * Acquires a reference on @record.
 *
 * Returns: (transfer full): @record
 *
 * Since: 0.1
 */
BkMockLoggerRecord *
bk_mock_logger_record_ref (BkMockLoggerRecord *record)
{
  g_return_val_if_fail (record != NULL, NULL);

  return g_atomic_rc_box_acquire (record);
}

/**
 * bk_mock_logger_record_unref:
 * @record: (transfer full): a #BkMockLoggerRecord
 *
 * Releases a reference on @record.
 *
 * Since: 0.1
 */
void
bk_mock_logger_record_unref (BkMockLoggerRecord *record)
{
  g_return_if_fail (record != NULL);

  g_atomic_rc_box_release_full (record, record_clear);
}

G_DEFINE_BOXED_TYPE (BkMockLoggerRecord, bk_mock_logger_record,
                     bk_mock_logger_record_ref, bk_mock_logger_record_unref)

/**
 * bk_mock_logger_record_get_level:
 * @record: a #BkMockLoggerRecord
 *
 * Gets the level of @record.
 *
 * Returns: the level
 *
 * Since: 0.1
 */
BkLogLevel
bk_mock_logger_record_get_level (BkMockLoggerRecord *record)
{
  g_return_val_if_fail (record != NULL, BK_LOG_LEVEL_ERROR);

  return record->level;
}

/**
 * bk_mock_logger_record_get_message:
 * @record: a #BkMockLoggerRecord
 *
 * Gets the message of @record.
 *
 * Returns: (transfer none): the message
 *
 * Since: 0.1
 */
const char *
bk_mock_logger_record_get_message (BkMockLoggerRecord *record)
{
  g_return_val_if_fail (record != NULL, NULL);

  return record->message;
}

/**
 * bk_mock_logger_record_get_field:
 * @record: a #BkMockLoggerRecord
 * @key: a field name
 *
 * Gets the value of the field @key of @record: the record's own, else the
 * logger's (such as `plugin` for a plugin's logger).
 *
 * Returns: (transfer none) (nullable): the value, or %NULL when @record has
 *   no such field
 *
 * Since: 0.1
 */
const char *
bk_mock_logger_record_get_field (BkMockLoggerRecord *record,
                                 const char         *key)
{
  g_return_val_if_fail (record != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  return g_hash_table_lookup (record->fields, key);
}

/**
 * bk_mock_logger_record_get_fields:
 * @record: a #BkMockLoggerRecord
 *
 * Gets every field of @record.
 *
 * Returns: (transfer none) (element-type utf8 utf8): the fields; do not
 *   modify them
 *
 * Since: 0.1
 */
GHashTable *
bk_mock_logger_record_get_fields (BkMockLoggerRecord *record)
{
  g_return_val_if_fail (record != NULL, NULL);

  return record->fields;
}

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
append_record (GString                  *out,
               const BkMockLoggerRecord *record)
{
  g_autofree const char **keys = NULL;
  guint n_keys = 0;

  g_string_append_printf (out, "[%s] %s", level_to_string (record->level), record->message);

  keys = (const char **) g_hash_table_get_keys_as_array (record->fields, &n_keys);
  if (n_keys > 1)
    g_qsort_with_data (keys, n_keys, sizeof (char *), compare_keys, NULL);
  for (guint i = 0; i < n_keys; i++)
    g_string_append_printf (out, " %s=%s", keys[i],
                            (const char *) g_hash_table_lookup (record->fields, keys[i]));
}

/**
 * bk_mock_logger_record_to_string:
 * @record: a #BkMockLoggerRecord
 *
 * Formats @record on one line, `[level] message key=value …`, fields
 * sorted by name: how the mock logger prints records.
 *
 * Returns: (transfer full): the line, without a newline
 *
 * Since: 0.1
 */
char *
bk_mock_logger_record_to_string (BkMockLoggerRecord *record)
{
  GString *out;

  g_return_val_if_fail (record != NULL, NULL);

  out = g_string_new (NULL);
  append_record (out, record);

  return g_string_free (out, FALSE);
}

/* What a mock logger and all its children share. */
typedef struct
{
  GMutex     mutex;
  /* (element-type BkMockLoggerRecord) */
  GPtrArray *records;
} RecordStore;

static RecordStore *
record_store_new (void)
{
  RecordStore *store = g_atomic_rc_box_new0 (RecordStore);

  g_mutex_init (&store->mutex);
  store->records = g_ptr_array_new_with_free_func ((GDestroyNotify) bk_mock_logger_record_unref);

  return store;
}

/* Every record, one per line, each line starting with @indent. */
static char *
record_store_dump (RecordStore *store,
                   const char  *indent)
{
  GString *out = g_string_new (NULL);

  g_mutex_lock (&store->mutex);
  for (guint i = 0; i < store->records->len; i++)
    {
      g_string_append (out, indent);
      append_record (out, g_ptr_array_index (store->records, i));
      g_string_append_c (out, '\n');
    }
  g_mutex_unlock (&store->mutex);

  return g_string_free (out, FALSE);
}

static void
record_store_clear (gpointer data)
{
  RecordStore *store = data;

  /* A failed test (with non-fatal assertions) shows what was logged. */
  if (g_test_initialized () && g_test_failed () && g_getenv ("BK_TEST_LOG") == NULL &&
      store->records->len > 0)
    {
      g_autofree char *dump = record_store_dump (store, "  ");

      g_printerr ("Records captured by a mock logger of the failed test:\n%s", dump);
    }

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
  BkMockLoggerRecord *record;

  record = g_atomic_rc_box_new0 (BkMockLoggerRecord);
  record->level = level;
  record->message = g_strdup (message);
  record->fields = new_fields ();
  copy_fields (record->fields, self->fields);
  copy_fields (record->fields, fields);

  if (g_getenv ("BK_TEST_LOG") != NULL)
    {
      g_autoptr(GString) line = g_string_new ("[mock] ");

      append_record (line, record);
      g_string_append_c (line, '\n');
      fwrite (line->str, 1, line->len, stderr);
    }

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

static gboolean
record_matches (const BkMockLoggerRecord *record,
                BkLogLevel                level,
                GPatternSpec             *spec,
                const char               *key,
                const char               *value)
{
  if (record->level != level)
    return FALSE;
  if (spec != NULL && !g_pattern_spec_match_string (spec, record->message))
    return FALSE;
  if (key != NULL && g_strcmp0 (g_hash_table_lookup (record->fields, key), value) != 0)
    return FALSE;

  return TRUE;
}

/* The first record that matches, or NULL; (transfer none). */
static BkMockLoggerRecord *
find_record (BkMockLogger *self,
             BkLogLevel    level,
             const char   *pattern,
             const char   *key,
             const char   *value)
{
  g_autoptr(GPatternSpec) spec = NULL;
  BkMockLoggerRecord *found = NULL;

  if (pattern != NULL)
    spec = g_pattern_spec_new (pattern);

  g_mutex_lock (&self->store->mutex);
  for (guint i = 0; i < self->store->records->len && found == NULL; i++)
    {
      BkMockLoggerRecord *record = g_ptr_array_index (self->store->records, i);

      if (record_matches (record, level, spec, key, value))
        found = record;
    }
  g_mutex_unlock (&self->store->mutex);

  return found;
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

  g_return_val_if_fail (BK_IS_MOCK_LOGGER (self), 0);

  if (pattern != NULL)
    spec = g_pattern_spec_new (pattern);

  g_mutex_lock (&self->store->mutex);
  for (guint i = 0; i < self->store->records->len; i++)
    {
      const BkMockLoggerRecord *record = g_ptr_array_index (self->store->records, i);

      if (record_matches (record, level, spec, NULL, NULL))
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

  g_return_val_if_fail (BK_IS_MOCK_LOGGER (self), NULL);

  builder = g_strv_builder_new ();

  g_mutex_lock (&self->store->mutex);
  for (guint i = 0; i < self->store->records->len; i++)
    {
      const BkMockLoggerRecord *record = g_ptr_array_index (self->store->records, i);

      if (record->level == level)
        g_strv_builder_add (builder, record->message);
    }
  g_mutex_unlock (&self->store->mutex);

  return g_strv_builder_end (builder);
}

static gpointer
copy_record (gconstpointer src,
             gpointer      user_data)
{
  return bk_mock_logger_record_ref ((BkMockLoggerRecord *) src);
}

/**
 * bk_mock_logger_dup_records:
 * @self: a #BkMockLogger
 *
 * Gets every record captured so far, at every level, in the order they were
 * logged, among those of @self, its parent and all the children they share
 * records with.
 *
 * Returns: (transfer full) (element-type BkMockLoggerRecord): the records
 *
 * Since: 0.1
 */
GPtrArray *
bk_mock_logger_dup_records (BkMockLogger *self)
{
  GPtrArray *records;

  g_return_val_if_fail (BK_IS_MOCK_LOGGER (self), NULL);

  g_mutex_lock (&self->store->mutex);
  records = g_ptr_array_copy (self->store->records, copy_record, NULL);
  g_ptr_array_set_free_func (records, (GDestroyNotify) bk_mock_logger_record_unref);
  g_mutex_unlock (&self->store->mutex);

  return records;
}

/**
 * bk_mock_logger_find:
 * @self: a #BkMockLogger
 * @level: the level of the record
 * @pattern: (nullable): a glob for the message (`*` and `?`), or %NULL for
 *   any message
 *
 * Finds the first record at @level whose message matches @pattern, among
 * those of @self, its parent and all the children they share records with.
 *
 * ```c
 * BkMockLoggerRecord *record = bk_mock_logger_find (logger, BK_LOG_LEVEL_INFO, "Listening on *");
 *
 * g_assert_nonnull (record);
 * g_assert_cmpstr (bk_mock_logger_record_get_field (record, "plugin"), ==, "app");
 * ```
 *
 * Returns: (transfer none) (nullable): the record, valid until
 *   [method@Bk.MockLogger.clear] or until the last logger sharing it is
 *   finalized; %NULL when none matches
 *
 * Since: 0.1
 */
BkMockLoggerRecord *
bk_mock_logger_find (BkMockLogger *self,
                     BkLogLevel    level,
                     const char   *pattern)
{
  g_return_val_if_fail (BK_IS_MOCK_LOGGER (self), NULL);

  return find_record (self, level, pattern, NULL, NULL);
}

/**
 * bk_mock_logger_find_with_field:
 * @self: a #BkMockLogger
 * @level: the level of the record
 * @pattern: (nullable): a glob for the message, or %NULL for any message
 * @key: a field name
 * @value: the value the field must have
 *
 * Like [method@Bk.MockLogger.find], the record also carrying the field @key
 * with the value @value (for example `plugin`, `todo`).
 *
 * Returns: (transfer none) (nullable): the record, or %NULL when none
 *   matches
 *
 * Since: 0.1
 */
BkMockLoggerRecord *
bk_mock_logger_find_with_field (BkMockLogger *self,
                                BkLogLevel    level,
                                const char   *pattern,
                                const char   *key,
                                const char   *value)
{
  g_return_val_if_fail (BK_IS_MOCK_LOGGER (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (value != NULL, NULL);

  return find_record (self, level, pattern, key, value);
}

/**
 * bk_mock_logger_clear:
 * @self: a #BkMockLogger
 *
 * Forgets every record captured so far (those of @self, its parent and all
 * the children they share records with). Records returned by
 * [method@Bk.MockLogger.find] are no longer valid afterwards.
 *
 * Since: 0.1
 */
void
bk_mock_logger_clear (BkMockLogger *self)
{
  g_return_if_fail (BK_IS_MOCK_LOGGER (self));

  g_mutex_lock (&self->store->mutex);
  g_ptr_array_set_size (self->store->records, 0);
  g_mutex_unlock (&self->store->mutex);
}

/**
 * bk_mock_logger_dup_dump:
 * @self: a #BkMockLogger
 *
 * Formats every captured record, one per line (see
 * [method@Bk.MockLogger.dump]).
 *
 * Returns: (transfer full): the records, each line ending with a newline;
 *   the empty string when there is none
 *
 * Since: 0.1
 */
char *
bk_mock_logger_dup_dump (BkMockLogger *self)
{
  g_return_val_if_fail (BK_IS_MOCK_LOGGER (self), NULL);

  return record_store_dump (self->store, "");
}

/**
 * bk_mock_logger_dump:
 * @self: a #BkMockLogger
 *
 * Prints every captured record to stderr, one per line:
 * `[level] message key=value …`, for a test that wants to see what was
 * logged.
 *
 * Since: 0.1
 */
void
bk_mock_logger_dump (BkMockLogger *self)
{
  g_autofree char *dump = NULL;

  g_return_if_fail (BK_IS_MOCK_LOGGER (self));

  dump = record_store_dump (self->store, "  ");
  g_printerr ("Records captured by the mock logger:\n%s", dump);
}

/**
 * bk_mock_logger_assertion_logged:
 * @self: a #BkMockLogger
 * @domain: (nullable): the log domain of the test
 * @file: the source file of the assertion
 * @line: the line of the assertion
 * @func: the function of the assertion
 * @expr: the asserted expression, for the message
 * @level: the level of the record
 * @pattern: (nullable): a glob for the message, or %NULL for any message
 * @key: (nullable): a field the record must carry, or %NULL
 * @value: (nullable): the value of @key
 * @expect_logged: whether such a record must exist (%TRUE) or must not
 *
 * The implementation of [func@Bk.mock_logger_assert_logged],
 * [func@Bk.mock_logger_assert_logged_with_field] and
 * [func@Bk.mock_logger_assert_not_logged]; use those macros. On failure it
 * calls g_assertion_message() with a message that lists every captured
 * record.
 *
 * Since: 0.1
 */
void
bk_mock_logger_assertion_logged (BkMockLogger *self,
                                 const char   *domain,
                                 const char   *file,
                                 int           line,
                                 const char   *func,
                                 const char   *expr,
                                 BkLogLevel    level,
                                 const char   *pattern,
                                 const char   *key,
                                 const char   *value,
                                 gboolean      expect_logged)
{
  g_autofree char *dump = NULL;
  g_autofree char *field = NULL;
  g_autofree char *message = NULL;
  BkMockLoggerRecord *record;

  g_return_if_fail (BK_IS_MOCK_LOGGER (self));
  g_return_if_fail ((key == NULL) == (value == NULL));

  record = find_record (self, level, pattern, key, value);
  if ((record != NULL) == expect_logged)
    return;

  dump = record_store_dump (self->store, "  ");
  if (key != NULL)
    field = g_strdup_printf (" with %s=%s", key, value);

  if (expect_logged)
    message = g_strdup_printf ("assertion failed (%s): no record at level %s matching '%s'%s "
                               "among the %s",
                               expr, level_to_string (level),
                               pattern != NULL ? pattern : "*",
                               field != NULL ? field : "",
                               dump[0] != '\0' ? "records:\n" : "records (there are none)");
  else
    {
      g_autofree char *found = bk_mock_logger_record_to_string (record);

      message = g_strdup_printf ("assertion failed (%s): unexpected record %s among the records:\n",
                                 expr, found);
    }

  {
    g_autofree char *full = g_strconcat (message, dump, NULL);

    g_assertion_message (domain, file, line, func, full);
  }
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
