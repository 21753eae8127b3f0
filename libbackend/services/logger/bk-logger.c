/* bk-logger.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <string.h>

#include "libbackend.h"
#include "bk-services-private.h"

/**
 * BkLogger:
 *
 * The `core.rootLogger` and `core.logger` services: structured logging.
 *
 * A record has a [enum@Bk.LogLevel], a message and fields (string keys and
 * values). [method@Bk.Logger.child] returns a logger that adds fields to
 * every record it writes; the plugin-scoped `core.logger` is the root logger's
 * child carrying `plugin=<pluginId>`.
 *
 * ```c
 * BkLogger *logger = bk_deps_get (deps, BK_SERVICE_LOGGER);
 *
 * bk_logger_info (logger, "Loaded %u entities", n_entities);
 * ```
 *
 * The default root logger writes one line per record to stderr:
 * `<ISO 8601 UTC timestamp> <level> <message> key=value …`, fields sorted by
 * key. Records at [enum@Bk.LogLevel.DEBUG] are dropped unless the environment
 * variable `LOG_LEVEL` is `debug` (`LOG_LEVEL` may also raise the threshold to
 * `warn` or `error`).
 *
 * Implementations must be thread-safe: blocking work running in worker
 * threads logs through the same loggers as the main context.
 *
 * Since: 0.1
 */

G_DEFINE_INTERFACE (BkLogger, bk_logger, G_TYPE_OBJECT)

static void
bk_logger_default_init (BkLoggerInterface *iface)
{
}

/**
 * bk_logger_log:
 * @self: a #BkLogger
 * @level: the level of the record
 * @fields: (nullable) (element-type utf8 utf8): fields of this record only,
 *   or %NULL; they override the logger's own fields of the same name
 * @message: the message
 *
 * Writes one record.
 *
 * Since: 0.1
 */
void
bk_logger_log (BkLogger   *self,
               BkLogLevel  level,
               GHashTable *fields,
               const char *message)
{
  BkLoggerInterface *iface;

  g_return_if_fail (BK_IS_LOGGER (self));
  g_return_if_fail (message != NULL);

  iface = BK_LOGGER_GET_IFACE (self);
  g_return_if_fail (iface->log != NULL);

  iface->log (self, level, fields, message);
}

/**
 * bk_logger_child:
 * @self: a #BkLogger
 * @fields: (nullable) (element-type utf8 utf8): the fields to add, or %NULL
 *
 * Returns a logger that writes through @self and adds @fields to every record,
 * on top of the fields @self already adds (the child's win on a clash).
 *
 * Returns: (transfer full): a new #BkLogger
 *
 * Since: 0.1
 */
BkLogger *
bk_logger_child (BkLogger   *self,
                 GHashTable *fields)
{
  BkLoggerInterface *iface;

  g_return_val_if_fail (BK_IS_LOGGER (self), NULL);

  iface = BK_LOGGER_GET_IFACE (self);
  g_return_val_if_fail (iface->child != NULL, NULL);

  return iface->child (self, fields);
}

/**
 * bk_logger_child_with:
 * @self: a #BkLogger
 * @first_key: the name of the first field
 * @...: the value of @first_key, then more name and value pairs, ending with
 *   %NULL
 *
 * Like [method@Bk.Logger.child] with the fields given as pairs:
 *
 * ```c
 * g_autoptr(BkLogger) task_logger =
 *   bk_logger_child_with (logger, "task", task_id, "type", "scheduler", NULL);
 * ```
 *
 * Returns: (transfer full): a new #BkLogger
 *
 * Since: 0.1
 */
BkLogger *
bk_logger_child_with (BkLogger   *self,
                      const char *first_key,
                      ...)
{
  g_autoptr(GHashTable) fields = NULL;
  const char *key;
  va_list args;

  g_return_val_if_fail (BK_IS_LOGGER (self), NULL);
  g_return_val_if_fail (first_key != NULL, NULL);

  fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  va_start (args, first_key);
  for (key = first_key; key != NULL; key = va_arg (args, const char *))
    {
      const char *value = va_arg (args, const char *);

      if (value == NULL)
        {
          g_critical ("%s: field '%s' has no value", G_STRFUNC, key);
          break;
        }

      g_hash_table_insert (fields, g_strdup (key), g_strdup (value));
    }
  va_end (args);

  return bk_logger_child (self, fields);
}

static void bk_logger_logv (BkLogger   *self,
                            BkLogLevel  level,
                            const char *format,
                            va_list     args) G_GNUC_PRINTF (3, 0);

static void
bk_logger_logv (BkLogger   *self,
                BkLogLevel  level,
                const char *format,
                va_list     args)
{
  g_autofree char *message = g_strdup_vprintf (format, args);

  bk_logger_log (self, level, NULL, message);
}

/**
 * bk_logger_error:
 * @self: a #BkLogger
 * @format: a printf() format for the message
 * @...: the arguments of @format
 *
 * Writes a record at [enum@Bk.LogLevel.ERROR] with no extra fields.
 *
 * Since: 0.1
 */
void
bk_logger_error (BkLogger   *self,
                 const char *format,
                 ...)
{
  va_list args;

  g_return_if_fail (BK_IS_LOGGER (self));
  g_return_if_fail (format != NULL);

  va_start (args, format);
  bk_logger_logv (self, BK_LOG_LEVEL_ERROR, format, args);
  va_end (args);
}

/**
 * bk_logger_warn:
 * @self: a #BkLogger
 * @format: a printf() format for the message
 * @...: the arguments of @format
 *
 * Writes a record at [enum@Bk.LogLevel.WARN] with no extra fields.
 *
 * Since: 0.1
 */
void
bk_logger_warn (BkLogger   *self,
                const char *format,
                ...)
{
  va_list args;

  g_return_if_fail (BK_IS_LOGGER (self));
  g_return_if_fail (format != NULL);

  va_start (args, format);
  bk_logger_logv (self, BK_LOG_LEVEL_WARN, format, args);
  va_end (args);
}

/**
 * bk_logger_info:
 * @self: a #BkLogger
 * @format: a printf() format for the message
 * @...: the arguments of @format
 *
 * Writes a record at [enum@Bk.LogLevel.INFO] with no extra fields.
 *
 * Since: 0.1
 */
void
bk_logger_info (BkLogger   *self,
                const char *format,
                ...)
{
  va_list args;

  g_return_if_fail (BK_IS_LOGGER (self));
  g_return_if_fail (format != NULL);

  va_start (args, format);
  bk_logger_logv (self, BK_LOG_LEVEL_INFO, format, args);
  va_end (args);
}

/**
 * bk_logger_debug:
 * @self: a #BkLogger
 * @format: a printf() format for the message
 * @...: the arguments of @format
 *
 * Writes a record at [enum@Bk.LogLevel.DEBUG] with no extra fields.
 *
 * Since: 0.1
 */
void
bk_logger_debug (BkLogger   *self,
                 const char *format,
                 ...)
{
  va_list args;

  g_return_if_fail (BK_IS_LOGGER (self));
  g_return_if_fail (format != NULL);

  va_start (args, format);
  bk_logger_logv (self, BK_LOG_LEVEL_DEBUG, format, args);
  va_end (args);
}

/* BkDefaultLogger: the default `core.rootLogger` (and, through child(), the
 * default `core.logger`). Writes one line per record to stderr. Its fields are
 * fixed at construction, so it may be used from any thread.
 *
 * The full structured logger (JSON lines when not on a terminal, journald,
 * levels and overrides from config, redaction of secrets) replaces this one in
 * a later issue.
 */

#define BK_TYPE_DEFAULT_LOGGER (bk_default_logger_get_type ())
G_DECLARE_FINAL_TYPE (BkDefaultLogger, bk_default_logger, BK, DEFAULT_LOGGER, GObject)

struct _BkDefaultLogger
{
  GObject     parent_instance;

  /* (owned) (element-type utf8 utf8), never modified after construction */
  GHashTable *fields;
  /* records above this level (more verbose) are dropped */
  BkLogLevel  max_level;
};

static void bk_default_logger_iface_init (BkLoggerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkDefaultLogger, bk_default_logger, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_LOGGER,
                                                      bk_default_logger_iface_init))

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

static BkLogLevel
max_level_from_environment (void)
{
  const char *value = g_getenv ("LOG_LEVEL");

  if (value == NULL)
    return BK_LOG_LEVEL_INFO;
  if (g_ascii_strcasecmp (value, "debug") == 0)
    return BK_LOG_LEVEL_DEBUG;
  if (g_ascii_strcasecmp (value, "warn") == 0)
    return BK_LOG_LEVEL_WARN;
  if (g_ascii_strcasecmp (value, "error") == 0)
    return BK_LOG_LEVEL_ERROR;

  return BK_LOG_LEVEL_INFO;
}

/* Appends @text with control characters escaped, so that a record stays on
 * one line and a message cannot forge another record. */
static void
append_escaped (GString    *out,
                const char *text,
                gboolean    quote)
{
  const char *p;

  if (quote)
    g_string_append_c (out, '"');

  for (p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else if (quote && (c == '"' || c == '\\'))
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
      else
        g_string_append_c (out, (char) c);
    }

  if (quote)
    g_string_append_c (out, '"');
}

static gboolean
needs_quotes (const char *value)
{
  const char *p;

  if (*value == '\0')
    return TRUE;

  for (p = value; *p != '\0'; p++)
    {
      if (g_ascii_isspace (*p) || *p == '"' || *p == '=' || *p == '\\')
        return TRUE;
    }

  return FALSE;
}

static int
compare_keys (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static void
bk_default_logger_log (BkLogger   *logger,
                       BkLogLevel  level,
                       GHashTable *fields,
                       const char *message)
{
  BkDefaultLogger *self = BK_DEFAULT_LOGGER (logger);
  g_autoptr(GHashTable) merged = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GString) line = NULL;
  g_autofree const char **keys = NULL;
  g_autofree char *timestamp = NULL;
  GHashTableIter iter;
  gpointer key, value;
  guint n_keys = 0;
  guint i;

  if (level > self->max_level)
    return;

  /* Borrowed strings: the record's fields override the logger's own. */
  merged = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_iter_init (&iter, self->fields);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (merged, key, value);
  if (fields != NULL)
    {
      g_hash_table_iter_init (&iter, fields);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (merged, key, value);
    }

  now = g_date_time_new_now_utc ();
  timestamp = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S");

  line = g_string_new (NULL);
  g_string_append_printf (line, "%s.%03dZ %s ",
                          timestamp,
                          g_date_time_get_microsecond (now) / 1000,
                          level_to_string (level));
  append_escaped (line, message, FALSE);

  keys = (const char **) g_hash_table_get_keys_as_array (merged, &n_keys);
  if (n_keys > 1)
    g_qsort_with_data (keys, n_keys, sizeof (char *),
                       compare_keys, NULL);

  for (i = 0; i < n_keys; i++)
    {
      const char *field_value = g_hash_table_lookup (merged, keys[i]);

      if (field_value == NULL)
        continue;

      g_string_append_c (line, ' ');
      append_escaped (line, keys[i], FALSE);
      g_string_append_c (line, '=');
      append_escaped (line, field_value, needs_quotes (field_value));
    }

  g_string_append_c (line, '\n');

  /* stderr is unbuffered: one fwrite is one write, so concurrent records do
   * not interleave within a line. */
  fwrite (line->str, 1, line->len, stderr);
}

static BkLogger *
bk_default_logger_child (BkLogger   *logger,
                         GHashTable *fields)
{
  BkDefaultLogger *self = BK_DEFAULT_LOGGER (logger);
  BkDefaultLogger *child;
  GHashTableIter iter;
  gpointer key, value;

  child = g_object_new (BK_TYPE_DEFAULT_LOGGER, NULL);
  child->max_level = self->max_level;

  g_hash_table_iter_init (&iter, self->fields);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (child->fields, g_strdup (key), g_strdup (value));

  if (fields != NULL)
    {
      g_hash_table_iter_init (&iter, fields);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          if (key == NULL || value == NULL)
            continue;
          g_hash_table_insert (child->fields, g_strdup (key), g_strdup (value));
        }
    }

  return BK_LOGGER (child);
}

static void
bk_default_logger_iface_init (BkLoggerInterface *iface)
{
  iface->log = bk_default_logger_log;
  iface->child = bk_default_logger_child;
}

static void
bk_default_logger_finalize (GObject *object)
{
  BkDefaultLogger *self = BK_DEFAULT_LOGGER (object);

  g_clear_pointer (&self->fields, g_hash_table_unref);

  G_OBJECT_CLASS (bk_default_logger_parent_class)->finalize (object);
}

static void
bk_default_logger_class_init (BkDefaultLoggerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bk_default_logger_finalize;
}

static void
bk_default_logger_init (BkDefaultLogger *self)
{
  self->fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->max_level = BK_LOG_LEVEL_INFO;
}

static BkLogger *
bk_default_logger_new (void)
{
  BkDefaultLogger *self = g_object_new (BK_TYPE_DEFAULT_LOGGER, NULL);

  self->max_level = max_level_from_environment ();

  return BK_LOGGER (self);
}

/* Default factories */

static GObject *
create_root_logger (BkDeps    *deps,
                    gpointer   root_context,
                    gpointer   user_data,
                    GError   **error)
{
  return G_OBJECT (bk_default_logger_new ());
}

BkServiceFactory *
_bk_root_logger_default_factory (void)
{
  return bk_service_factory_new (BK_SERVICE_ROOT_LOGGER,
                                 create_root_logger, NULL, NULL,
                                 NULL);
}

static GObject *
create_plugin_logger (BkDeps    *deps,
                      gpointer   root_context,
                      gpointer   user_data,
                      GError   **error)
{
  BkLogger *root_logger = bk_deps_get (deps, BK_SERVICE_ROOT_LOGGER);
  BkPluginMetadata *metadata = bk_deps_get (deps, BK_SERVICE_PLUGIN_METADATA);

  return G_OBJECT (bk_logger_child_with (root_logger,
                                         "plugin", bk_plugin_metadata_get_id (metadata),
                                         NULL));
}

BkServiceFactory *
_bk_logger_default_factory (void)
{
  return bk_service_factory_new (BK_SERVICE_LOGGER,
                                 create_plugin_logger, NULL, NULL,
                                 BK_SERVICE_ROOT_LOGGER,
                                 BK_SERVICE_PLUGIN_METADATA,
                                 NULL);
}
