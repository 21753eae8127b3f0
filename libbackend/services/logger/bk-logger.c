/* bk-logger.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libbackend.h"
#include "bk-logger-private.h"
#include "bk-services-private.h"
#include "bk-config-private.h"

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
 * The default root logger writes one line per record to stderr: a JSON
 * object (`timestamp`, `level`, `message`, then the fields) when stderr is
 * not a terminal, a readable coloured line on a terminal, and structured
 * records through the journal's native protocol when stderr is connected to
 * systemd's journal. `backend.logger.format` (`json` or `pretty`) forces a
 * format.
 *
 * Its level comes from the environment variable `LOG_LEVEL`, then
 * `backend.logger.level`, then `info`; `backend.logger.overrides` sets other
 * levels for records whose fields match (a plugin, for example),
 * `backend.logger.meta` adds fields to every record, and the secret values
 * of the configuration are replaced by `***` in every message and field.
 * It also reports a configuration reload that failed
 * ([signal@Bk.RootConfig::reload-failed]). `docs/logging.md` describes all
 * of it.
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
 * bk_logger_is_enabled:
 * @self: a #BkLogger
 * @level: a level
 *
 * Tells whether @self may write records at @level, so that a caller can
 * skip building a costly record (its fields, a formatted message) that
 * would be dropped:
 *
 * ```c
 * if (bk_logger_is_enabled (logger, BK_LOG_LEVEL_DEBUG))
 *   bk_logger_debug (logger, "State: %s", dump_state (state));
 * ```
 *
 * %FALSE means that every record at @level is dropped, whatever its
 * fields; %TRUE that some may be written (`backend.logger.overrides` may
 * still drop a record because of its fields). Implementations that do not
 * provide the check always return %TRUE.
 *
 * Returns: whether records at @level may be written
 *
 * Since: 0.1
 */
gboolean
bk_logger_is_enabled (BkLogger   *self,
                      BkLogLevel  level)
{
  BkLoggerInterface *iface;

  g_return_val_if_fail (BK_IS_LOGGER (self), FALSE);

  iface = BK_LOGGER_GET_IFACE (self);
  if (iface->is_enabled == NULL)
    return TRUE;

  return iface->is_enabled (self, level);
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
  g_autofree char *message = NULL;

  /* No formatting for a record that would be dropped. */
  if (!bk_logger_is_enabled (self, level))
    return;
  message = g_strdup_vprintf (format, args);
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

/* The default root logger -------------------------------------------------
 *
 * BkDefaultLogger is the default `core.rootLogger` and, through child(), the
 * default `core.logger`. A root logger and all its children share one
 * LoggerCore: the output (fd, format, colours), the levels and overrides,
 * and the redaction of secrets. A logger's own fields are fixed when it is
 * made, and the core changes only in its redactor (under a lock), so any
 * logger may be used from any thread.
 */

typedef enum
{
  FORMAT_JSON,
  FORMAT_PRETTY,
  FORMAT_JOURNALD,
} OutputFormat;

static const char * const level_names[] = { "error", "warn", "info", "debug" };

static const char *
level_to_string (BkLogLevel level)
{
  if ((guint) level < G_N_ELEMENTS (level_names))
    return level_names[level];
  return "unknown";
}

static gboolean
level_from_string (const char *text,
                   BkLogLevel *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (level_names); i++)
    {
      if (g_ascii_strcasecmp (text, level_names[i]) == 0)
        {
          *out = (BkLogLevel) i;
          return TRUE;
        }
    }

  return FALSE;
}

/* Redaction of secrets ----------------------------------------------------- */

/* An immutable set of secret values, longest first, so that a secret that
 * contains another is replaced whole. */
typedef struct
{
  GPtrArray *secrets;          /* (element-type utf8) (owned) */
  guint32    first_bytes[8];   /* bitmap of the secrets' first bytes */
} Redactor;

static void
redactor_clear (gpointer data)
{
  Redactor *self = data;

  g_clear_pointer (&self->secrets, g_ptr_array_unref);
}

static void
redactor_unref (Redactor *self)
{
  g_atomic_rc_box_release_full (self, redactor_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Redactor, redactor_unref)

static int
compare_longest_first (gconstpointer a,
                       gconstpointer b)
{
  const char *sa = *(const char * const *) a;
  const char *sb = *(const char * const *) b;
  gsize la = strlen (sa);
  gsize lb = strlen (sb);

  if (la != lb)
    return la > lb ? -1 : 1;
  return strcmp (sa, sb);
}

/* Takes the values of @candidates (any order, duplicates allowed, surrounding
 * whitespace trimmed) that are not empty and not in @allowlist. */
static Redactor *
redactor_new (GPtrArray          *candidates,
              const char * const *allowlist)
{
  Redactor *self = g_atomic_rc_box_new0 (Redactor);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  self->secrets = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < candidates->len; i++)
    {
      const char *value = g_ptr_array_index (candidates, i);
      g_autofree char *trimmed = NULL;
      guchar first;

      if (value == NULL)
        continue;
      if (allowlist != NULL && g_strv_contains (allowlist, value))
        continue;

      trimmed = g_strstrip (g_strdup (value));
      if (trimmed[0] == '\0')
        continue;
      if (allowlist != NULL && g_strv_contains (allowlist, trimmed))
        continue;
      if (g_hash_table_contains (seen, trimmed))
        continue;

      first = (guchar) trimmed[0];
      self->first_bytes[first >> 5] |= 1u << (first & 31);
      g_hash_table_add (seen, trimmed);
      g_ptr_array_add (self->secrets, g_steal_pointer (&trimmed));
    }

  g_ptr_array_sort (self->secrets, compare_longest_first);

  return self;
}

/* Returns @text with every secret replaced by `***`, or %NULL when it holds
 * none (the common case: one strstr() per secret). */
static char *
redactor_apply (const Redactor *self,
                const char     *text)
{
  GString *out;
  const char *p;
  gboolean found = FALSE;

  if (self == NULL || self->secrets->len == 0)
    return NULL;

  for (guint i = 0; i < self->secrets->len && !found; i++)
    found = strstr (text, g_ptr_array_index (self->secrets, i)) != NULL;
  if (!found)
    return NULL;

  out = g_string_sized_new (strlen (text));
  p = text;
  while (*p != '\0')
    {
      guchar c = (guchar) *p;
      gsize matched = 0;

      if (self->first_bytes[c >> 5] & (1u << (c & 31)))
        {
          for (guint i = 0; i < self->secrets->len; i++)
            {
              const char *secret = g_ptr_array_index (self->secrets, i);
              gsize len = strlen (secret);

              if ((guchar) secret[0] == c && strncmp (p, secret, len) == 0)
                {
                  matched = len;
                  break;
                }
            }
        }

      if (matched > 0)
        {
          g_string_append (out, "***");
          p += matched;
        }
      else
        {
          g_string_append_c (out, *p);
          p++;
        }
    }

  return g_string_free (out, FALSE);
}

/* Level overrides ------------------------------------------------------------ */

typedef struct
{
  char  *key;
  char **values;   /* any of them matches */
} Matcher;

typedef struct
{
  BkLogLevel  level;
  GPtrArray  *matchers;   /* (element-type Matcher) (owned) */
} LevelOverride;

static void
matcher_free (gpointer data)
{
  Matcher *matcher = data;

  g_free (matcher->key);
  g_strfreev (matcher->values);
  g_free (matcher);
}

static void
level_override_free (gpointer data)
{
  LevelOverride *override = data;

  g_clear_pointer (&override->matchers, g_ptr_array_unref);
  g_free (override);
}

static const char *
lookup_field (GHashTable *own,
              GHashTable *record,
              const char *key)
{
  const char *value = NULL;

  if (record != NULL)
    value = g_hash_table_lookup (record, key);
  if (value == NULL && own != NULL)
    value = g_hash_table_lookup (own, key);

  return value;
}

static gboolean
level_override_matches (const LevelOverride *override,
                        GHashTable          *own,
                        GHashTable          *record)
{
  for (guint i = 0; i < override->matchers->len; i++)
    {
      const Matcher *matcher = g_ptr_array_index (override->matchers, i);
      const char *value = lookup_field (own, record, matcher->key);

      if (value == NULL || !g_strv_contains ((const char * const *) matcher->values, value))
        return FALSE;
    }

  return TRUE;
}

/* The core shared by a root logger and its children ------------------------ */

typedef struct
{
  OutputFormat    format;
  gboolean        color;
  int             fd;
  GLogWriterFunc  journald_writer;
  gpointer        journald_writer_data;
  char           *syslog_identifier;

  /* the level when no override matches */
  BkLogLevel      level;
  /* the most verbose of level and the overrides' levels */
  BkLogLevel      max_level;
  GPtrArray      *overrides;   /* (element-type LevelOverride) (owned) */

  /* one record is one write(), and records do not interleave */
  GMutex          write_lock;

  /* the redactor grows when the root config reloads */
  GRWLock         redactor_lock;
  Redactor       *redactor;

  BkRootConfig   *root_config;
  gulong          changed_id;
} LoggerCore;

static void
logger_core_clear (gpointer data)
{
  LoggerCore *core = data;

  if (core->root_config != NULL)
    g_clear_signal_handler (&core->changed_id, core->root_config);
  g_clear_object (&core->root_config);
  g_clear_pointer (&core->redactor, redactor_unref);
  g_clear_pointer (&core->overrides, g_ptr_array_unref);
  g_clear_pointer (&core->syslog_identifier, g_free);
  g_mutex_clear (&core->write_lock);
  g_rw_lock_clear (&core->redactor_lock);
}

static LoggerCore *
logger_core_ref (LoggerCore *core)
{
  return g_atomic_rc_box_acquire (core);
}

static void
logger_core_unref (LoggerCore *core)
{
  g_atomic_rc_box_release_full (core, logger_core_clear);
}

static BkLogLevel
logger_core_resolve_level (LoggerCore *core,
                           GHashTable *own,
                           GHashTable *record)
{
  for (guint i = 0; i < core->overrides->len; i++)
    {
      const LevelOverride *override = g_ptr_array_index (core->overrides, i);

      if (level_override_matches (override, own, record))
        return override->level;
    }

  return core->level;
}

static Redactor *
logger_core_dup_redactor (LoggerCore *core)
{
  Redactor *redactor = NULL;

  g_rw_lock_reader_lock (&core->redactor_lock);
  if (core->redactor != NULL)
    redactor = g_atomic_rc_box_acquire (core->redactor);
  g_rw_lock_reader_unlock (&core->redactor_lock);

  return redactor;
}

static void
write_all (int         fd,
           const char *data,
           gsize       len)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          /* Nowhere left to report it. */
          return;
        }

      data += n;
      len -= (gsize) n;
    }
}

static void
logger_core_write_line (LoggerCore *core,
                        GString    *line)
{
  g_mutex_lock (&core->write_lock);
  write_all (core->fd, line->str, line->len);
  g_mutex_unlock (&core->write_lock);
}

/* Formats ---------------------------------------------------------------- */

/* One record, ready to format: fields sorted by key, secrets redacted. */
typedef struct
{
  BkLogLevel   level;
  const char  *message;
  guint        n_fields;
  const char **keys;
  const char **values;
} Record;

/* Writes the @width last decimal digits of @value at @out. */
static char *
put_digits (char *out,
            guint value,
            guint width)
{
  for (guint i = width; i > 0; i--)
    {
      out[i - 1] = (char) ('0' + value % 10);
      value /= 10;
    }
  return out + width;
}

/* 2026-11-25T02:08:39.123Z, formatted by hand: a record is written for
 * every request, and printf costs more than the rest of the line. */
static void
format_timestamp (char *buf,
                  gsize size)
{
  gint64 now = g_get_real_time ();
  time_t seconds = (time_t) (now / G_USEC_PER_SEC);
  struct tm tm;
  char *p = buf;

  g_assert (size >= 25);
  gmtime_r (&seconds, &tm);
  p = put_digits (p, (guint) (tm.tm_year + 1900), 4);
  *p++ = '-';
  p = put_digits (p, (guint) tm.tm_mon + 1, 2);
  *p++ = '-';
  p = put_digits (p, (guint) tm.tm_mday, 2);
  *p++ = 'T';
  p = put_digits (p, (guint) tm.tm_hour, 2);
  *p++ = ':';
  p = put_digits (p, (guint) tm.tm_min, 2);
  *p++ = ':';
  p = put_digits (p, (guint) tm.tm_sec, 2);
  *p++ = '.';
  p = put_digits (p, (guint) ((now % G_USEC_PER_SEC) / 1000), 3);
  *p++ = 'Z';
  *p = '\0';
}

static gboolean
is_reserved_key (const char *key)
{
  return strcmp (key, "timestamp") == 0 ||
         strcmp (key, "level") == 0 ||
         strcmp (key, "message") == 0;
}

static void
json_append_string (GString    *out,
                    const char *text)
{
  g_autofree char *valid = NULL;
  const char *p;

  /* Plain ASCII, the usual case, is valid and needs no escape. */
  for (p = text; (guchar) *p >= 0x20 && (guchar) *p < 0x80 && *p != '"' && *p != '\\'; p++)
    ;
  if (*p == '\0')
    {
      g_string_append_c (out, '"');
      g_string_append_len (out, text, p - text);
      g_string_append_c (out, '"');
      return;
    }

  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);

  g_string_append_c (out, '"');
  for (p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;
      const char *run = p;

      /* Most text needs no escape: append it in runs. */
      while (c >= 0x20 && c != '"' && c != '\\')
        c = (guchar) *++p;
      if (p > run)
        g_string_append_len (out, run, p - run);
      if (c == '\0')
        break;

      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        case '\b':
          g_string_append (out, "\\b");
          break;
        case '\f':
          g_string_append (out, "\\f");
          break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, (char) c);
        }
    }
  g_string_append_c (out, '"');
}

/* {"timestamp":"…","level":"…","message":"…","key":"value",…}
 * A field named timestamp, level or message is written as _timestamp, … */
static GString *
format_json (const Record *record)
{
  GString *line = g_string_sized_new (256);
  char timestamp[64];

  format_timestamp (timestamp, sizeof timestamp);

  g_string_append (line, "{\"timestamp\":\"");
  g_string_append (line, timestamp);
  g_string_append (line, "\",\"level\":\"");
  g_string_append (line, level_to_string (record->level));
  g_string_append (line, "\",\"message\":");
  json_append_string (line, record->message);

  for (guint i = 0; i < record->n_fields; i++)
    {
      g_string_append_c (line, ',');
      if (is_reserved_key (record->keys[i]))
        {
          g_autofree char *renamed = g_strconcat ("_", record->keys[i], NULL);

          json_append_string (line, renamed);
        }
      else
        json_append_string (line, record->keys[i]);
      g_string_append_c (line, ':');
      json_append_string (line, record->values[i]);
    }

  g_string_append (line, "}\n");

  return line;
}

#define COLOR_RESET  "\033[0m"
#define COLOR_DIM    "\033[2m"
#define COLOR_RED    "\033[31m"
#define COLOR_GREEN  "\033[32m"
#define COLOR_YELLOW "\033[33m"
#define COLOR_BLUE   "\033[34m"
#define COLOR_CYAN   "\033[36m"
#define COLOR_GREY   "\033[90m"

static const char *
level_color (BkLogLevel level)
{
  switch (level)
    {
    case BK_LOG_LEVEL_ERROR:
      return COLOR_RED;
    case BK_LOG_LEVEL_WARN:
      return COLOR_YELLOW;
    case BK_LOG_LEVEL_INFO:
      return COLOR_GREEN;
    case BK_LOG_LEVEL_DEBUG:
      return COLOR_GREY;
    default:
      return COLOR_RESET;
    }
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

/* <timestamp> <plugin|service|backend> <level> <message> key=value …, as
 * Backstage's colour format. */
static GString *
format_pretty (const Record *record,
               gboolean      color)
{
  GString *line = g_string_sized_new (128);
  const char *prefix = "backend";
  const char *prefix_key = NULL;
  char timestamp[64];

  for (guint i = 0; i < record->n_fields; i++)
    {
      if (strcmp (record->keys[i], "plugin") == 0)
        {
          prefix_key = "plugin";
          prefix = record->values[i];
          break;
        }
      if (strcmp (record->keys[i], "service") == 0)
        {
          prefix_key = "service";
          prefix = record->values[i];
        }
    }

  format_timestamp (timestamp, sizeof timestamp);

  if (color)
    g_string_append (line, COLOR_DIM);
  g_string_append (line, timestamp);
  if (color)
    g_string_append (line, COLOR_RESET " " COLOR_BLUE);
  else
    g_string_append_c (line, ' ');
  append_escaped (line, prefix, FALSE);
  if (color)
    {
      g_string_append (line, COLOR_RESET " ");
      g_string_append (line, level_color (record->level));
    }
  else
    g_string_append_c (line, ' ');
  g_string_append (line, level_to_string (record->level));
  if (color)
    g_string_append (line, COLOR_RESET);
  g_string_append_c (line, ' ');
  append_escaped (line, record->message, FALSE);

  for (guint i = 0; i < record->n_fields; i++)
    {
      if (prefix_key != NULL && strcmp (record->keys[i], prefix_key) == 0)
        continue;

      g_string_append_c (line, ' ');
      if (color)
        g_string_append (line, COLOR_CYAN);
      append_escaped (line, record->keys[i], FALSE);
      if (color)
        g_string_append (line, COLOR_RESET);
      g_string_append_c (line, '=');
      append_escaped (line, record->values[i], needs_quotes (record->values[i]));
    }

  g_string_append_c (line, '\n');

  return line;
}

/* A journald field name: upper case letters, digits and underscores, not
 * starting with a digit or an underscore, at most 64 bytes. A field whose
 * name would clash with the record's own (MESSAGE, PRIORITY, …) or is not a
 * valid name gets a FIELD_ prefix. */
static char *
journald_field_name (const char *key)
{
  GString *name = g_string_new ("");
  const char *p;

  for (p = key; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p))
        g_string_append_c (name, g_ascii_toupper (*p));
      else
        g_string_append_c (name, '_');
    }

  if (name->len == 0 || g_ascii_isdigit (name->str[0]) || name->str[0] == '_' ||
      strcmp (name->str, "MESSAGE") == 0 ||
      strcmp (name->str, "PRIORITY") == 0 ||
      strcmp (name->str, "SYSLOG_IDENTIFIER") == 0 ||
      strcmp (name->str, "GLIB_DOMAIN") == 0)
    g_string_prepend (name, "FIELD_");

  if (name->len > 64)
    g_string_truncate (name, 64);

  return g_string_free (name, FALSE);
}

static GLogWriterOutput
write_journald (LoggerCore   *core,
                const Record *record)
{
  static const char * const priorities[] = { "3", "4", "6", "7" };
  static const GLogLevelFlags glib_levels[] = {
    G_LOG_LEVEL_CRITICAL, G_LOG_LEVEL_WARNING, G_LOG_LEVEL_INFO, G_LOG_LEVEL_DEBUG,
  };
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree GLogField *fields = g_new0 (GLogField, record->n_fields + 3);
  guint level = MIN ((guint) record->level, G_N_ELEMENTS (priorities) - 1);
  gsize n = 0;

  fields[n++] = (GLogField) { "MESSAGE", record->message, -1 };
  fields[n++] = (GLogField) { "PRIORITY", priorities[level], -1 };
  if (core->syslog_identifier != NULL)
    fields[n++] = (GLogField) { "SYSLOG_IDENTIFIER", core->syslog_identifier, -1 };

  for (guint i = 0; i < record->n_fields; i++)
    {
      char *name = journald_field_name (record->keys[i]);

      g_ptr_array_add (names, name);
      fields[n++] = (GLogField) { name, record->values[i], -1 };
    }

  return core->journald_writer (glib_levels[level], fields, n, core->journald_writer_data);
}

static void
logger_core_emit (LoggerCore   *core,
                  const Record *record)
{
  g_autoptr(GString) line = NULL;

  switch (core->format)
    {
    case FORMAT_JOURNALD:
      if (write_journald (core, record) == G_LOG_WRITER_HANDLED)
        return;
      /* The journal went away: stderr still works. */
      line = format_json (record);
      break;

    case FORMAT_PRETTY:
      line = format_pretty (record, core->color);
      break;

    case FORMAT_JSON:
    default:
      line = format_json (record);
      break;
    }

  logger_core_write_line (core, line);
}

/* BkDefaultLogger -------------------------------------------------------- */

#define BK_TYPE_DEFAULT_LOGGER (bk_default_logger_get_type ())
G_DECLARE_FINAL_TYPE (BkDefaultLogger, bk_default_logger, BK, DEFAULT_LOGGER, GObject)

struct _BkDefaultLogger
{
  GObject      parent_instance;

  LoggerCore  *core;
  /* (owned) (element-type utf8 utf8), never modified once handed out */
  GHashTable  *fields;
  /* (owned) the keys of @fields, sorted; strings owned by @fields */
  const char **sorted_keys;
  guint        n_fields;
  /* the level of a record that adds no fields of its own */
  BkLogLevel   level;
};

static void bk_default_logger_iface_init (BkLoggerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkDefaultLogger, bk_default_logger, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_LOGGER,
                                                      bk_default_logger_iface_init))

/* The process's current default root logger, for the GLib log writer. */
static GWeakRef current_root_logger;

static int
compare_keys (gconstpointer a,
              gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static const char **
sorted_keys_of (GHashTable *table,
                guint      *n_keys)
{
  const char **keys = (const char **) g_hash_table_get_keys_as_array (table, n_keys);

  if (*n_keys > 1)
    qsort (keys, *n_keys, sizeof (char *), compare_keys);

  return keys;
}

static void
bk_default_logger_log (BkLogger   *logger,
                       BkLogLevel  level,
                       GHashTable *fields,
                       const char *message)
{
  BkDefaultLogger *self = BK_DEFAULT_LOGGER (logger);
  LoggerCore *core = self->core;
  g_autoptr(GHashTable) merged = NULL;
  g_autoptr(Redactor) redactor = NULL;
  g_autoptr(GPtrArray) redacted = NULL;
  g_autofree const char **merged_keys = NULL;
  g_autofree const char **values = NULL;
  g_autofree char *redacted_message = NULL;
  const char **keys;
  gboolean has_own_fields = fields != NULL && g_hash_table_size (fields) > 0;
  BkLogLevel threshold;
  GHashTable *lookup;
  Record record = { 0 };
  guint n_keys;
  guint n_values;

  if (level > core->max_level)
    return;

  threshold = has_own_fields ? logger_core_resolve_level (core, self->fields, fields) : self->level;
  if (level > threshold)
    return;

  if (has_own_fields && self->n_fields == 0)
    {
      /* Nothing to merge; NULL values are dropped below. */
      keys = merged_keys = sorted_keys_of (fields, &n_keys);
      lookup = fields;
    }
  else if (has_own_fields)
    {
      GHashTableIter iter;
      gpointer key, value;

      /* Borrowed strings: the record's fields override the logger's. */
      merged = g_hash_table_new (g_str_hash, g_str_equal);
      g_hash_table_iter_init (&iter, self->fields);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (merged, key, value);
      g_hash_table_iter_init (&iter, fields);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          if (key != NULL && value != NULL)
            g_hash_table_insert (merged, key, value);
        }

      keys = merged_keys = sorted_keys_of (merged, &n_keys);
      lookup = merged;
    }
  else
    {
      keys = self->sorted_keys;
      n_keys = self->n_fields;
      lookup = self->fields;
    }

  values = g_new0 (const char *, n_keys + 1);
  n_values = 0;
  for (guint i = 0; i < n_keys; i++)
    {
      const char *value = g_hash_table_lookup (lookup, keys[i]);

      /* Only the record's own fields may hold one; keys is merged_keys. */
      if (value == NULL)
        continue;
      if (n_values != i)
        keys[n_values] = keys[i];
      values[n_values++] = value;
    }
  n_keys = n_values;

  redactor = logger_core_dup_redactor (core);
  if (redactor != NULL && redactor->secrets->len > 0)
    {
      redacted_message = redactor_apply (redactor, message);
      if (redacted_message != NULL)
        message = redacted_message;

      redacted = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < n_keys; i++)
        {
          char *value = redactor_apply (redactor, values[i]);

          if (value != NULL)
            {
              g_ptr_array_add (redacted, value);
              values[i] = value;
            }
        }
    }

  record.level = level;
  record.message = message;
  record.n_fields = n_keys;
  record.keys = keys;
  record.values = values;

  logger_core_emit (core, &record);
}

static BkDefaultLogger *
bk_default_logger_new_internal (LoggerCore *core,
                                GHashTable *fields)
{
  BkDefaultLogger *self = g_object_new (BK_TYPE_DEFAULT_LOGGER, NULL);

  self->core = logger_core_ref (core);
  self->fields = g_hash_table_ref (fields);
  self->sorted_keys = sorted_keys_of (self->fields, &self->n_fields);
  self->level = logger_core_resolve_level (core, self->fields, NULL);

  return self;
}

static BkLogger *
bk_default_logger_child (BkLogger   *logger,
                         GHashTable *fields)
{
  BkDefaultLogger *self = BK_DEFAULT_LOGGER (logger);
  g_autoptr(GHashTable) child_fields = NULL;
  GHashTableIter iter;
  gpointer key, value;

  child_fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_hash_table_iter_init (&iter, self->fields);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (child_fields, g_strdup (key), g_strdup (value));

  if (fields != NULL)
    {
      g_hash_table_iter_init (&iter, fields);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          if (key == NULL || value == NULL)
            continue;
          g_hash_table_insert (child_fields, g_strdup (key), g_strdup (value));
        }
    }

  return BK_LOGGER (bk_default_logger_new_internal (self->core, child_fields));
}

/* A record with fields of its own may match an override with a more
 * verbose level: only max_level rules records out for any fields. */
static gboolean
bk_default_logger_is_enabled (BkLogger   *logger,
                              BkLogLevel  level)
{
  return level <= BK_DEFAULT_LOGGER (logger)->core->max_level;
}

static void
bk_default_logger_iface_init (BkLoggerInterface *iface)
{
  iface->log = bk_default_logger_log;
  iface->child = bk_default_logger_child;
  iface->is_enabled = bk_default_logger_is_enabled;
}

static void
bk_default_logger_finalize (GObject *object)
{
  BkDefaultLogger *self = BK_DEFAULT_LOGGER (object);

  g_clear_pointer (&self->sorted_keys, g_free);
  g_clear_pointer (&self->fields, g_hash_table_unref);
  g_clear_pointer (&self->core, logger_core_unref);

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
}

/* Reading backend.logger ------------------------------------------------------ */

#define LEVEL_CHOICES "error, warn, info, debug"

/* The full key of @key in @config, for messages. */
static char *
full_key (BkConfig   *config,
          const char *key)
{
  const char *prefix = bk_config_get_prefix (config);

  if (prefix == NULL || prefix[0] == '\0')
    return g_strdup (key);
  return g_strconcat (prefix, ".", key, NULL);
}

static char *
source_of (BkConfig   *config,
           const char *key)
{
  char *source = bk_config_dup_key_source (config, key);

  return source != NULL ? source : g_strdup (bk_config_get_source (config));
}

static void
set_invalid_value_error (GError    **error,
                         BkConfig   *config,
                         const char *key,
                         const char *value,
                         const char *wanted)
{
  g_autofree char *name = full_key (config, key);
  g_autofree char *source = source_of (config, key);

  g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
               "Invalid value in config for key '%s' in '%s', got '%s', wanted %s",
               name, source, value, wanted);
}

static void
set_invalid_type_error (GError    **error,
                        BkConfig   *config,
                        const char *key,
                        JsonNode   *node,
                        const char *wanted)
{
  g_autofree char *name = full_key (config, key);
  g_autofree char *source = source_of (config, key);

  g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
               "Invalid type in config for key '%s' in '%s', got %s, wanted %s",
               name, source, _bk_json_type_name (node), wanted);
}

static gboolean
read_level (BkConfig    *config,
            const char  *key,
            gboolean     required,
            BkLogLevel  *out,
            GError     **error)
{
  g_autofree char *text = NULL;

  if (required)
    {
      if (!bk_config_get_string (config, key, &text, error))
        return FALSE;
    }
  else if (!bk_config_get_optional_string (config, key, NULL, &text, error))
    return FALSE;

  if (text == NULL)
    return TRUE;

  if (!level_from_string (text, out))
    {
      set_invalid_value_error (error, config, key, text, "one of " LEVEL_CHOICES);
      return FALSE;
    }

  return TRUE;
}

/* `backend.logger.meta`: fields on every record; values that are not
 * strings are written as JSON. */
static gboolean
read_meta (BkConfig    *logger_config,
           GHashTable  *fields,
           GError     **error)
{
  g_autoptr(BkConfig) meta = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  if (!bk_config_get_optional_config (logger_config, "meta", &meta, error))
    return FALSE;
  if (meta == NULL)
    return TRUE;

  node = bk_config_dup_node (meta, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return TRUE;

  json_object_iter_init_ordered (&iter, json_node_get_object (node));
  while (json_object_iter_next_ordered (&iter, &name, &member))
    {
      if (JSON_NODE_HOLDS_NULL (member))
        continue;

      if (JSON_NODE_HOLDS_VALUE (member) && json_node_get_value_type (member) == G_TYPE_STRING)
        g_hash_table_insert (fields, g_strdup (name), g_strdup (json_node_get_string (member)));
      else
        g_hash_table_insert (fields, g_strdup (name), json_to_string (member, FALSE));
    }

  return TRUE;
}

/* One matcher of `backend.logger.overrides[i].matchers`: a string, or an
 * array of strings (any of them). */
static Matcher *
read_matcher (BkConfig    *matchers,
              const char  *name,
              JsonNode    *node,
              GError     **error)
{
  g_autoptr(GStrvBuilder) values = g_strv_builder_new ();
  Matcher *matcher;

  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      g_strv_builder_add (values, json_node_get_string (node));
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
            {
              g_autofree char *element_key = g_strdup_printf ("%s[%u]", name, i);

              set_invalid_type_error (error, matchers, element_key, element, "string");
              return NULL;
            }
          g_strv_builder_add (values, json_node_get_string (element));
        }
    }
  else
    {
      set_invalid_type_error (error, matchers, name, node, "string or array of strings");
      return NULL;
    }

  matcher = g_new0 (Matcher, 1);
  matcher->key = g_strdup (name);
  matcher->values = g_strv_builder_end (values);

  return matcher;
}

/* `backend.logger.overrides`: [{ matchers: { field: value | [values] },
 * level }]; the first that matches a record decides its level. */
static gboolean
read_overrides (BkConfig    *logger_config,
                GPtrArray   *overrides,
                GError     **error)
{
  g_autoptr(GPtrArray) items = NULL;

  if (!bk_config_has (logger_config, "overrides"))
    return TRUE;
  if (!bk_config_get_config_array (logger_config, "overrides", &items, error))
    return FALSE;

  for (guint i = 0; i < items->len; i++)
    {
      BkConfig *item = g_ptr_array_index (items, i);
      g_autoptr(BkConfig) matchers = NULL;
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (matcher_free);
      LevelOverride *override;
      BkLogLevel level = BK_LOG_LEVEL_INFO;
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      if (!read_level (item, "level", TRUE, &level, error))
        return FALSE;
      if (!bk_config_get_config (item, "matchers", &matchers, error))
        return FALSE;

      node = bk_config_dup_node (matchers, NULL);
      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        {
          json_object_iter_init_ordered (&iter, json_node_get_object (node));
          while (json_object_iter_next_ordered (&iter, &name, &member))
            {
              Matcher *matcher = read_matcher (matchers, name, member, error);

              if (matcher == NULL)
                return FALSE;
              g_ptr_array_add (list, matcher);
            }
        }

      override = g_new0 (LevelOverride, 1);
      override->level = level;
      override->matchers = g_steal_pointer (&list);
      g_ptr_array_add (overrides, override);
    }

  return TRUE;
}

static gboolean
read_allowlist (BkConfig   *config,
                char     ***out,
                GError    **error)
{
  const char *key = "backend.logger.redactAllowlist";

  *out = NULL;
  if (!bk_config_has (config, key))
    return TRUE;

  return bk_config_get_string_array (config, key, out, error);
}

static Redactor *
redactor_from_config (BkConfig *config,
                      Redactor *previous,
                      GError  **error)
{
  g_auto(GStrv) allowlist = NULL;
  g_auto(GStrv) secrets = NULL;
  g_autoptr(GPtrArray) candidates = g_ptr_array_new ();

  if (!read_allowlist (config, &allowlist, error))
    return NULL;

  secrets = bk_config_dup_secrets (config);
  for (guint i = 0; secrets != NULL && secrets[i] != NULL; i++)
    g_ptr_array_add (candidates, secrets[i]);

  /* A reload adds secrets and never forgets one (as Backstage). */
  if (previous != NULL)
    g_ptr_array_extend (candidates, previous->secrets, NULL, NULL);

  return redactor_new (candidates, (const char * const *) allowlist);
}

static void
on_root_config_changed (BkRootConfig *root_config,
                        gpointer      user_data)
{
  LoggerCore *core = user_data;
  g_autoptr(BkConfig) config = bk_root_config_dup_config (root_config);
  g_autoptr(Redactor) previous = logger_core_dup_redactor (core);
  Redactor *redactor;

  /* An invalid allowlist keeps the secrets known so far; the new config's
   * reader reports it. */
  redactor = redactor_from_config (config, previous, NULL);
  if (redactor == NULL)
    return;

  g_rw_lock_writer_lock (&core->redactor_lock);
  g_clear_pointer (&core->redactor, redactor_unref);
  core->redactor = redactor;
  g_rw_lock_writer_unlock (&core->redactor_lock);
}

/* A reload that fails keeps the current snapshot: say why. */
static void
on_root_config_reload_failed (BkRootConfig *root_config,
                              GError       *error,
                              gpointer      user_data)
{
  BkLogger *logger = user_data;

  bk_logger_error (logger, "Failed to reload the configuration, keeping the current one; caused by %s",
                   error != NULL ? error->message : "an unknown error");
}

static gboolean
env_is_set (const char *name)
{
  const char *value = g_getenv (name);

  return value != NULL && value[0] != '\0';
}

static gboolean
choose_format (BkConfig      *config,
               int            fd,
               gboolean       have_journald_writer,
               OutputFormat  *format,
               gboolean      *color,
               GError       **error)
{
  g_autofree char *text = NULL;
  gboolean is_terminal = isatty (fd) == 1;

  if (!bk_config_get_optional_string (config, "backend.logger.format", "auto", &text, error))
    return FALSE;

  *color = FALSE;

  if (g_ascii_strcasecmp (text, "json") == 0)
    *format = FORMAT_JSON;
  else if (g_ascii_strcasecmp (text, "pretty") == 0)
    *format = FORMAT_PRETTY;
  else if (g_ascii_strcasecmp (text, "auto") == 0)
    {
      if (have_journald_writer || g_log_writer_is_journald (fd))
        *format = FORMAT_JOURNALD;
      else if (is_terminal)
        *format = FORMAT_PRETTY;
      else
        *format = FORMAT_JSON;
    }
  else
    {
      set_invalid_value_error (error, config, "backend.logger.format", text,
                               "one of auto, json, pretty");
      return FALSE;
    }

  if (*format == FORMAT_PRETTY)
    *color = is_terminal && !env_is_set ("NO_COLOR") &&
             g_strcmp0 (g_getenv ("TERM"), "dumb") != 0;

  return TRUE;
}

BkLogger *
_bk_root_logger_new (BkRootConfig    *root_config,
                     int              output_fd,
                     GLogWriterFunc   journald_writer,
                     gpointer         journald_writer_data,
                     GError         **error)
{
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(BkConfig) logger_config = NULL;
  g_autoptr(GHashTable) fields = NULL;
  g_autoptr(GPtrArray) overrides = NULL;
  g_autoptr(Redactor) redactor = NULL;
  LoggerCore *core;
  BkDefaultLogger *self;
  BkLogLevel level = BK_LOG_LEVEL_INFO;
  OutputFormat format;
  gboolean color;
  const char *env_level;

  g_return_val_if_fail (BK_IS_ROOT_CONFIG (root_config), NULL);
  g_return_val_if_fail (output_fd >= 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  config = bk_root_config_dup_config (root_config);

  /* The config's level is read (and checked) even when LOG_LEVEL wins. */
  if (!read_level (config, "backend.logger.level", FALSE, &level, error))
    return NULL;

  env_level = g_getenv ("LOG_LEVEL");
  if (env_level != NULL && env_level[0] != '\0' && !level_from_string (env_level, &level))
    {
      g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                   "Invalid value in environment variable LOG_LEVEL, got '%s', wanted one of "
                   LEVEL_CHOICES, env_level);
      return NULL;
    }

  if (!choose_format (config, output_fd, journald_writer != NULL, &format, &color, error))
    return NULL;

  fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  overrides = g_ptr_array_new_with_free_func (level_override_free);

  if (!bk_config_get_optional_config (config, "backend.logger", &logger_config, error))
    return NULL;
  if (logger_config != NULL)
    {
      if (!read_meta (logger_config, fields, error))
        return NULL;
      if (!read_overrides (logger_config, overrides, error))
        return NULL;
    }

  redactor = redactor_from_config (config, NULL, error);
  if (redactor == NULL)
    return NULL;

  core = g_atomic_rc_box_new0 (LoggerCore);
  g_mutex_init (&core->write_lock);
  g_rw_lock_init (&core->redactor_lock);
  core->format = format;
  core->color = color;
  core->fd = output_fd;
  core->journald_writer = journald_writer != NULL ? journald_writer : g_log_writer_journald;
  core->journald_writer_data = journald_writer_data;
  core->syslog_identifier = g_strdup (g_get_prgname ());
  core->level = level;
  core->max_level = level;
  for (guint i = 0; i < overrides->len; i++)
    core->max_level = MAX (core->max_level, ((LevelOverride *) g_ptr_array_index (overrides, i))->level);
  core->overrides = g_steal_pointer (&overrides);
  core->redactor = g_steal_pointer (&redactor);
  core->root_config = g_object_ref (root_config);
  core->changed_id = g_signal_connect (root_config, "changed",
                                       G_CALLBACK (on_root_config_changed), core);

  self = bk_default_logger_new_internal (core, fields);
  logger_core_unref (core);

  g_signal_connect_object (root_config, "reload-failed",
                           G_CALLBACK (on_root_config_reload_failed), self, 0);

  g_weak_ref_set (&current_root_logger, self);

  return BK_LOGGER (self);
}

/* The process-wide GLib log writer ----------------------------------------- */

static GPrivate in_glib_writer;

static BkLogLevel
level_from_glib (GLogLevelFlags log_level)
{
  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return BK_LOG_LEVEL_ERROR;
  if (log_level & G_LOG_LEVEL_WARNING)
    return BK_LOG_LEVEL_WARN;
  if (log_level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
    return BK_LOG_LEVEL_INFO;
  return BK_LOG_LEVEL_DEBUG;
}

static char *
glib_field_value (const GLogField *field)
{
  if (field->length < 0)
    return g_strdup (field->value);
  return g_strndup (field->value, (gsize) field->length);
}

static GLogWriterOutput
glib_writer (GLogLevelFlags   log_level,
             const GLogField *fields,
             gsize            n_fields,
             gpointer         user_data)
{
  g_autoptr(BkLogger) logger = NULL;
  g_autoptr(GHashTable) record_fields = NULL;
  g_autofree char *message = NULL;
  const char *domain = NULL;

  /* A message from inside the logger itself must not loop. */
  if (g_private_get (&in_glib_writer) != NULL)
    return g_log_writer_default (log_level, fields, n_fields, user_data);

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
        domain = fields[i].value;
    }

  /* g_info() and g_debug() stay hidden unless G_MESSAGES_DEBUG names their
   * domain, as in any GLib program. */
  if ((log_level & (G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) &&
      g_log_writer_default_would_drop (log_level, domain))
    return G_LOG_WRITER_HANDLED;

  logger = g_weak_ref_get (&current_root_logger);
  if (logger == NULL)
    return g_log_writer_default (log_level, fields, n_fields, user_data);
  if (!bk_logger_is_enabled (logger, level_from_glib (log_level)))
    return G_LOG_WRITER_HANDLED;

  record_fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (gsize i = 0; i < n_fields; i++)
    {
      const GLogField *field = &fields[i];

      if (field->key == NULL || field->value == NULL)
        continue;
      if (strcmp (field->key, "MESSAGE") == 0)
        message = glib_field_value (field);
      else if (strcmp (field->key, "GLIB_DOMAIN") == 0)
        g_hash_table_insert (record_fields, g_strdup ("domain"), glib_field_value (field));
      else if (strcmp (field->key, "PRIORITY") == 0 || strcmp (field->key, "GLIB_OLD_LOG_API") == 0)
        continue;
      else if (field->length < 0)
        g_hash_table_insert (record_fields, g_ascii_strdown (field->key, -1), glib_field_value (field));
    }

  g_private_set (&in_glib_writer, GINT_TO_POINTER (1));
  bk_logger_log (logger, level_from_glib (log_level), record_fields,
                 message != NULL ? message : "");
  g_private_set (&in_glib_writer, NULL);

  return G_LOG_WRITER_HANDLED;
}

static void
install_glib_writer_once (void)
{
  static gsize installed = 0;

  if (g_once_init_enter (&installed))
    {
      g_log_set_writer_func (glib_writer, NULL, NULL);
      g_once_init_leave (&installed, 1);
    }
}

gboolean
_bk_logger_install_glib_writer (void)
{
  if (g_test_initialized ())
    return FALSE;

  install_glib_writer_once ();
  return TRUE;
}

void
_bk_logger_force_install_glib_writer (void)
{
  install_glib_writer_once ();
}

/* Default factories */

static GObject *
create_root_logger (BkDeps    *deps,
                    gpointer   root_context,
                    gpointer   user_data,
                    GError   **error)
{
  BkRootConfig *root_config = bk_deps_get (deps, BK_SERVICE_ROOT_CONFIG);

  return (GObject *) _bk_root_logger_new (root_config, STDERR_FILENO, NULL, NULL, error);
}

BkServiceFactory *
_bk_root_logger_default_factory (void)
{
  return bk_service_factory_new (BK_SERVICE_ROOT_LOGGER,
                                 create_root_logger, NULL, NULL,
                                 BK_SERVICE_ROOT_CONFIG,
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
