/* bk-clock.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkClock:
 *
 * Time for the backend: monotonic and wall time, and one-shot timers.
 *
 * `core.rootClock` is the one source of time in libbackend: lifecycle hook
 * deadlines, the startup progress log and, later, the scheduler, cache TTLs
 * and request pauses read it and set their timers on it. Code that needs a
 * delay should do the same rather than call g_timeout_add(), so that a test
 * can move time forward instead of waiting:
 *
 * ```c
 * BkClock *clock = bk_deps_get (deps, BK_SERVICE_ROOT_CLOCK);
 * guint id = bk_clock_add_timer (clock, 5000, on_deadline, g_object_ref (self), g_object_unref);
 * …
 * bk_clock_cancel_timer (clock, id);
 * ```
 *
 * The default implementation uses GLib's clocks (g_get_monotonic_time(),
 * g_get_real_time()) and timeout sources attached to the main context that
 * was thread-default when it was made, the backend's; delays longer than
 * %G_MAXUINT milliseconds (about 49 days) are shortened to that. Its time
 * may be read from any thread; timers are added and cancelled from the
 * thread that owns that context, and fire there.
 *
 * The test kit's `BkMockClock` only moves when a test advances it, firing
 * due timers in order; test backends use it by default.
 *
 * Since: 0.1
 */

#include <math.h>
#include <string.h>

#include "libbackend.h"
#include "bk-services-private.h"
#include "bk-config-private.h"
#include "bk-duration-private.h"

G_DEFINE_INTERFACE (BkClock, bk_clock, G_TYPE_OBJECT)

static void
bk_clock_default_init (BkClockInterface *iface)
{
}

/**
 * bk_clock_get_monotonic_time:
 * @self: a #BkClock
 *
 * Reads the monotonic clock.
 *
 * Returns: microseconds on a clock that never goes back
 *
 * Since: 0.1
 */
gint64
bk_clock_get_monotonic_time (BkClock *self)
{
  g_return_val_if_fail (BK_IS_CLOCK (self), 0);

  return BK_CLOCK_GET_IFACE (self)->get_monotonic_time (self);
}

/**
 * bk_clock_get_real_time:
 * @self: a #BkClock
 *
 * Reads the wall clock.
 *
 * Returns: microseconds since the Unix epoch
 *
 * Since: 0.1
 */
gint64
bk_clock_get_real_time (BkClock *self)
{
  g_return_val_if_fail (BK_IS_CLOCK (self), 0);

  return BK_CLOCK_GET_IFACE (self)->get_real_time (self);
}

/**
 * bk_clock_add_timer:
 * @self: a #BkClock
 * @delay_ms: the delay in milliseconds
 * @func: (scope notified): called once when the timer is due
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data after the call or
 *   the cancellation
 *
 * Calls @func once, @delay_ms from now on this clock, on the main context
 * the clock belongs to (for the default clock, the backend's). A delay of 0
 * fires as soon as that context (or, for a mock clock, the test) lets it.
 * @destroy is called after @func has run, or when the timer is cancelled or
 * the clock finalized first.
 *
 * Returns: the timer's id (never 0), for [method@Bk.Clock.cancel_timer]
 *
 * Since: 0.1
 */
guint
bk_clock_add_timer (BkClock        *self,
                    guint64         delay_ms,
                    BkClockFunc     func,
                    gpointer        user_data,
                    GDestroyNotify  destroy)
{
  g_return_val_if_fail (BK_IS_CLOCK (self), 0);
  g_return_val_if_fail (func != NULL, 0);

  return BK_CLOCK_GET_IFACE (self)->add_timer (self, delay_ms, func, user_data, destroy);
}

/**
 * bk_clock_cancel_timer:
 * @self: a #BkClock
 * @id: a timer id from [method@Bk.Clock.add_timer]
 *
 * Cancels a timer that has not fired yet; its data is freed. Cancelling a
 * timer that fired or was cancelled already does nothing.
 *
 * Since: 0.1
 */
void
bk_clock_cancel_timer (BkClock *self,
                       guint    id)
{
  g_return_if_fail (BK_IS_CLOCK (self));

  BK_CLOCK_GET_IFACE (self)->cancel_timer (self, id);
}

/* The default clock: GLib's clocks, GSources on the backend's context. */

#define BK_TYPE_SYSTEM_CLOCK (bk_system_clock_get_type ())
G_DECLARE_FINAL_TYPE (BkSystemClock, bk_system_clock, BK, SYSTEM_CLOCK, GObject)

struct _BkSystemClock
{
  GObject       parent_instance;
  GMainContext *context;
  GHashTable   *timers;   /* id → GSource */
  guint         next_id;
};

typedef struct
{
  BkSystemClock  *clock;    /* unowned; the source dies with the clock */
  guint           id;
  BkClockFunc     func;
  gpointer        user_data;
  GDestroyNotify  destroy;
} SystemTimer;

static void bk_system_clock_iface_init (BkClockInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkSystemClock, bk_system_clock, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_CLOCK, bk_system_clock_iface_init))

static void
system_timer_free (gpointer data)
{
  SystemTimer *timer = data;

  if (timer->destroy != NULL)
    timer->destroy (timer->user_data);
  g_free (timer);
}

static gboolean
system_timer_fire (gpointer data)
{
  SystemTimer *timer = data;

  /* The source is removed from the table (and freed after this returns). */
  g_hash_table_steal (timer->clock->timers, GUINT_TO_POINTER (timer->id));
  timer->func (timer->user_data);
  return G_SOURCE_REMOVE;
}

static gint64
bk_system_clock_get_monotonic_time (BkClock *clock)
{
  return g_get_monotonic_time ();
}

static gint64
bk_system_clock_get_real_time (BkClock *clock)
{
  return g_get_real_time ();
}

static guint
bk_system_clock_add_timer (BkClock        *clock,
                           guint64         delay_ms,
                           BkClockFunc     func,
                           gpointer        user_data,
                           GDestroyNotify  destroy)
{
  BkSystemClock *self = BK_SYSTEM_CLOCK (clock);
  SystemTimer *timer;
  GSource *source;

  /* Disposed: nothing could cancel the timer, so it is not made. */
  if (self->timers == NULL)
    {
      if (destroy != NULL)
        destroy (user_data);
      return 0;
    }

  timer = g_new0 (SystemTimer, 1);
  timer->clock = self;
  /* 0 is never an id. */
  if (++self->next_id == 0)
    self->next_id = 1;
  timer->id = self->next_id;
  timer->func = func;
  timer->user_data = user_data;
  timer->destroy = destroy;

  source = g_timeout_source_new ((guint) MIN (delay_ms, G_MAXUINT));
  g_source_set_static_name (source, "[libbackend] clock timer");
  g_source_set_callback (source, system_timer_fire, timer, system_timer_free);
  g_source_attach (source, self->context);
  g_hash_table_insert (self->timers, GUINT_TO_POINTER (timer->id), source);
  g_source_unref (source);

  return timer->id;
}

static void
bk_system_clock_cancel_timer (BkClock *clock,
                              guint    id)
{
  BkSystemClock *self = BK_SYSTEM_CLOCK (clock);

  if (self->timers != NULL && id != 0)
    g_hash_table_remove (self->timers, GUINT_TO_POINTER (id));
}

static void
bk_system_clock_iface_init (BkClockInterface *iface)
{
  iface->get_monotonic_time = bk_system_clock_get_monotonic_time;
  iface->get_real_time = bk_system_clock_get_real_time;
  iface->add_timer = bk_system_clock_add_timer;
  iface->cancel_timer = bk_system_clock_cancel_timer;
}

static void
bk_system_clock_dispose (GObject *object)
{
  BkSystemClock *self = BK_SYSTEM_CLOCK (object);

  g_clear_pointer (&self->timers, g_hash_table_unref);

  G_OBJECT_CLASS (bk_system_clock_parent_class)->dispose (object);
}

static void
bk_system_clock_finalize (GObject *object)
{
  BkSystemClock *self = BK_SYSTEM_CLOCK (object);

  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (bk_system_clock_parent_class)->finalize (object);
}

static void
bk_system_clock_class_init (BkSystemClockClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bk_system_clock_dispose;
  object_class->finalize = bk_system_clock_finalize;
}

static void
bk_system_clock_init (BkSystemClock *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->timers = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_source_destroy);
}

static GObject *
create_system_clock (BkDeps    *deps,
                     gpointer   root_context,
                     gpointer   user_data,
                     GError   **error)
{
  return g_object_new (BK_TYPE_SYSTEM_CLOCK, NULL);
}

BkServiceFactory *
_bk_root_clock_default_factory (void)
{
  return bk_service_factory_new (BK_SERVICE_ROOT_CLOCK, create_system_clock, NULL, NULL, NULL);
}

/* Durations ---------------------------------------------------------------
 *
 * The forms Backstage accepts wherever config holds a duration; see
 * bk-duration-private.h. Kept next to the clock, whose timers they feed. */

#define MS_PER_SECOND 1000.0
#define MS_PER_MINUTE (60 * MS_PER_SECOND)
#define MS_PER_HOUR   (60 * MS_PER_MINUTE)
#define MS_PER_DAY    (24 * MS_PER_HOUR)
#define MS_PER_WEEK   (7 * MS_PER_DAY)
#define MS_PER_MONTH  (30 * MS_PER_DAY)
#define MS_PER_YEAR   (365 * MS_PER_DAY)

#define DURATION_FORMS "expected a number of milliseconds, a number with a unit such as '30s', " \
                       "'2m' or '500ms', or an ISO 8601 duration such as 'PT30S'"
#define DURATION_TYPE_HINT "duration (milliseconds, a string such as '30s', or an object such " \
                           "as { seconds: 30 })"

typedef struct
{
  const char *name;
  double      ms;
} DurationUnit;

/* The units of the `ms` package. */
static const DurationUnit short_units[] = {
  { "ms", 1 }, { "msec", 1 }, { "msecs", 1 }, { "millisecond", 1 }, { "milliseconds", 1 },
  { "s", MS_PER_SECOND }, { "sec", MS_PER_SECOND }, { "secs", MS_PER_SECOND },
  { "second", MS_PER_SECOND }, { "seconds", MS_PER_SECOND },
  { "m", MS_PER_MINUTE }, { "min", MS_PER_MINUTE }, { "mins", MS_PER_MINUTE },
  { "minute", MS_PER_MINUTE }, { "minutes", MS_PER_MINUTE },
  { "h", MS_PER_HOUR }, { "hr", MS_PER_HOUR }, { "hrs", MS_PER_HOUR },
  { "hour", MS_PER_HOUR }, { "hours", MS_PER_HOUR },
  { "d", MS_PER_DAY }, { "day", MS_PER_DAY }, { "days", MS_PER_DAY },
  { "w", MS_PER_WEEK }, { "week", MS_PER_WEEK }, { "weeks", MS_PER_WEEK },
  { "y", MS_PER_YEAR }, { "yr", MS_PER_YEAR }, { "yrs", MS_PER_YEAR },
  { "year", MS_PER_YEAR }, { "years", MS_PER_YEAR },
};

/* The fields of Backstage's HumanDuration. */
static const DurationUnit object_fields[] = {
  { "years", MS_PER_YEAR },
  { "months", MS_PER_MONTH },
  { "weeks", MS_PER_WEEK },
  { "days", MS_PER_DAY },
  { "hours", MS_PER_HOUR },
  { "minutes", MS_PER_MINUTE },
  { "seconds", MS_PER_SECOND },
  { "milliseconds", 1 },
};

#define OBJECT_FIELD_NAMES "years, months, weeks, days, hours, minutes, seconds, milliseconds"

static gboolean
duration_fail (GError     **error,
               const char  *format,
               ...) G_GNUC_PRINTF (2, 3);

static gboolean
duration_fail (GError     **error,
               const char  *format,
               ...)
{
  va_list args;

  if (error == NULL)
    return FALSE;
  g_return_val_if_fail (*error == NULL, FALSE);

  va_start (args, format);
  *error = g_error_new_valist (BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE, format, args);
  va_end (args);

  return FALSE;
}

/* Rounds @ms to whole milliseconds, refusing what no clock can wait for. */
static gboolean
duration_finish (double    ms,
                 guint64  *out_ms,
                 GError  **error)
{
  if (!isfinite (ms) || ms > (double) BK_DURATION_MAX_MS)
    return duration_fail (error, "the duration is too large");
  if (ms < 0)
    return duration_fail (error, "a duration can not be negative");

  *out_ms = (guint64) (ms + 0.5);
  return TRUE;
}

/* Reads an unsigned decimal number (digits, optionally a fraction with '.'
 * or, for ISO 8601, ','); returns the position after it, or NULL. */
static const char *
scan_number (const char *p,
             gboolean    allow_comma,
             double     *out)
{
  const char *start = p;
  gboolean digits = FALSE;
  g_autofree char *copy = NULL;

  while (g_ascii_isdigit (*p))
    {
      p++;
      digits = TRUE;
    }
  if (*p == '.' || (allow_comma && *p == ','))
    {
      p++;
      while (g_ascii_isdigit (*p))
        {
          p++;
          digits = TRUE;
        }
    }
  if (!digits)
    return NULL;

  copy = g_strndup (start, p - start);
  g_strdelimit (copy, ",", '.');
  *out = g_ascii_strtod (copy, NULL);
  return p;
}

/* ISO 8601: P[nY][nM][nW][nD][T[nH][nM][nS]], designators in that order. */
static gboolean
parse_iso_duration (const char  *text,
                    guint64     *out_ms,
                    GError     **error)
{
  static const char date_designators[] = "YMWD";
  static const double date_ms[] = { MS_PER_YEAR, MS_PER_MONTH, MS_PER_WEEK, MS_PER_DAY };
  static const char time_designators[] = "HMS";
  static const double time_ms[] = { MS_PER_HOUR, MS_PER_MINUTE, MS_PER_SECOND };
  const char *p = text + 1;
  gboolean in_time = FALSE;
  gboolean any = FALSE;
  gboolean any_time = FALSE;
  guint next = 0;
  double total = 0;

  while (*p != '\0')
    {
      const char *designators = in_time ? time_designators : date_designators;
      const double *unit_ms = in_time ? time_ms : date_ms;
      const char *found;
      double value;

      if (!in_time && g_ascii_toupper (*p) == 'T')
        {
          in_time = TRUE;
          next = 0;
          p++;
          continue;
        }

      p = scan_number (p, TRUE, &value);
      if (p == NULL || *p == '\0')
        return duration_fail (error, "'%s' is not an ISO 8601 duration such as 'PT30S' or 'P1DT2H'",
                              text);

      found = strchr (designators, g_ascii_toupper (*p));
      if (found == NULL || (guint) (found - designators) < next)
        return duration_fail (error, "'%s' is not an ISO 8601 duration such as 'PT30S' or 'P1DT2H'",
                              text);

      next = (found - designators) + 1;
      total += value * unit_ms[found - designators];
      any = TRUE;
      any_time |= in_time;
      p++;
    }

  if (!any || (in_time && !any_time))
    return duration_fail (error, "'%s' is not an ISO 8601 duration such as 'PT30S' or 'P1DT2H'",
                          text);

  return duration_finish (total, out_ms, error);
}

gboolean
_bk_duration_parse (const char  *text,
                    guint64     *out_ms,
                    GError     **error)
{
  g_autofree char *trimmed = NULL;
  const char *p;
  double value;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out_ms != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  trimmed = g_strstrip (g_strdup (text));

  if (trimmed[0] == '\0')
    return duration_fail (error, "the duration is empty; " DURATION_FORMS);

  if (trimmed[0] == 'P' || trimmed[0] == 'p')
    return parse_iso_duration (trimmed, out_ms, error);

  if (trimmed[0] == '-')
    {
      if (scan_number (trimmed + 1, FALSE, &value) != NULL)
        return duration_fail (error, "a duration can not be negative");
      return duration_fail (error, DURATION_FORMS);
    }

  p = scan_number (trimmed, FALSE, &value);
  if (p == NULL)
    return duration_fail (error, DURATION_FORMS);

  while (*p == ' ' || *p == '\t')
    p++;

  if (*p == '\0')
    return duration_finish (value, out_ms, error);

  for (guint i = 0; i < G_N_ELEMENTS (short_units); i++)
    {
      if (g_ascii_strcasecmp (p, short_units[i].name) == 0)
        return duration_finish (value * short_units[i].ms, out_ms, error);
    }

  return duration_fail (error, "unknown unit '%s'; expected ms, s, m, h, d, w or y", p);
}

/* Wraps the reason in @reason (from duration_fail()) into the message
 * naming the value, the key and its source. @value may be NULL (an object). */
static gboolean
invalid_duration (GError     **error,
                  const char  *value,
                  const char  *full_key,
                  const char  *source,
                  GError      *reason)
{
  if (value != NULL)
    g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                 "Invalid duration '%s' in config at '%s' in '%s', %s",
                 value, full_key, source, reason->message);
  else
    g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                 "Invalid duration in config at '%s' in '%s', %s",
                 full_key, source, reason->message);
  return FALSE;
}

static gboolean
duration_from_object (BkConfig    *config,
                      const char  *key,
                      const char  *full_key,
                      const char  *source,
                      guint64     *out_ms,
                      GError     **error)
{
  g_autoptr(BkConfig) object = NULL;
  g_autoptr(GError) reason = NULL;
  g_auto(GStrv) fields = NULL;
  double total = 0;

  if (!bk_config_get_config (config, key, &object, error))
    return FALSE;

  fields = bk_config_get_keys (object);
  if (fields[0] == NULL)
    {
      duration_fail (&reason, "needs one or more of " OBJECT_FIELD_NAMES);
      return invalid_duration (error, NULL, full_key, source, reason);
    }

  for (guint i = 0; fields[i] != NULL; i++)
    {
      const DurationUnit *unit = NULL;
      double value;

      for (guint j = 0; j < G_N_ELEMENTS (object_fields); j++)
        {
          if (g_str_equal (fields[i], object_fields[j].name))
            unit = &object_fields[j];
        }
      if (unit == NULL)
        {
          duration_fail (&reason, "unknown field '%s'; expected one or more of " OBJECT_FIELD_NAMES,
                         fields[i]);
          return invalid_duration (error, NULL, full_key, source, reason);
        }

      /* A value that is not a number: the getter names `<key>.<field>`. */
      if (!bk_config_get_double (object, fields[i], &value, error))
        return FALSE;
      if (value < 0)
        {
          duration_fail (&reason, "field '%s' is negative; a duration can not be negative",
                         fields[i]);
          return invalid_duration (error, NULL, full_key, source, reason);
        }
      total += value * unit->ms;
    }

  if (!duration_finish (total, out_ms, &reason))
    return invalid_duration (error, NULL, full_key, source, reason);
  return TRUE;
}

gboolean
_bk_duration_from_config (BkConfig    *config,
                          const char  *key,
                          guint64      default_ms,
                          guint64     *out_ms,
                          GError     **error)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) reason = NULL;
  g_autofree char *full_key = NULL;
  g_autofree char *source = NULL;
  guint64 ms = 0;

  g_return_val_if_fail (BK_IS_CONFIG (config), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (out_ms != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  node = bk_config_dup_node (config, key);
  if (node == NULL)
    {
      *out_ms = default_ms;
      return TRUE;
    }

  if (bk_config_get_prefix (config)[0] != '\0')
    full_key = g_strconcat (bk_config_get_prefix (config), ".", key, NULL);
  else
    full_key = g_strdup (key);
  source = bk_config_dup_key_source (config, key);
  if (source == NULL)
    source = g_strdup (bk_config_get_source (config));

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      if (!duration_from_object (config, key, full_key, source, &ms, error))
        return FALSE;
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      g_autofree char *text = NULL;

      if (!bk_config_get_string (config, key, &text, error))
        return FALSE;
      if (!_bk_duration_parse (text, &ms, &reason))
        return invalid_duration (error, text, full_key, source, reason);
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      double value = 0;

      if (!bk_config_get_double (config, key, &value, error))
        return FALSE;
      if (!duration_finish (value, &ms, &reason))
        {
          g_autofree char *text = g_strdup_printf ("%g", value);

          return invalid_duration (error, text, full_key, source, reason);
        }
    }
  else
    {
      g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                   "Invalid type in config for key '%s' in '%s', got %s, wanted " DURATION_TYPE_HINT,
                   full_key, source, _bk_json_type_name (node));
      return FALSE;
    }

  *out_ms = ms;
  return TRUE;
}
