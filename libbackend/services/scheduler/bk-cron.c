/* bk-cron.c: cron expressions and their next fire time.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "libbackend.h"
#include "bk-cron-private.h"

#include <string.h>

enum { F_SECOND, F_MINUTE, F_HOUR, F_DOM, F_MONTH, F_DOW, N_FIELDS };

typedef struct
{
  const char  *name;
  int          min;
  int          max;
  const char *const *names;   /* (nullable) names of min, min + 1, … */
} FieldInfo;

static const char *const month_names[] = {
  "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL
};
static const char *const dow_names[] = {
  "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL
};

static const FieldInfo fields[N_FIELDS] = {
  { "second", 0, 59, NULL },
  { "minute", 0, 59, NULL },
  { "hour", 0, 23, NULL },
  { "day of month", 1, 31, NULL },
  { "month", 1, 12, month_names },
  { "day of week", 0, 7, dow_names },
};

struct _BkCron
{
  char      *expression;
  char      *time_zone;   /* (nullable): UTC */
  GTimeZone *tz;
  guint64    mask[N_FIELDS];
  gboolean   dom_star;
  gboolean   dow_star;
};

static gboolean
cron_fail (GError     **error,
           const char  *expression,
           const char  *format,
           ...) G_GNUC_PRINTF (3, 4);

static gboolean
cron_fail (GError     **error,
           const char  *expression,
           const char  *format,
           ...)
{
  g_autofree char *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT,
               "Invalid cron expression '%s', %s", expression, reason);
  return FALSE;
}

/* A number or a name of @info; -1 when neither. */
static int
parse_value (const FieldInfo *info,
             const char      *text)
{
  guint64 value;

  if (g_ascii_isdigit (*text))
    return g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT, &value, NULL) ? (int) value : -1;
  if (info->names != NULL)
    for (int i = 0; info->names[i] != NULL; i++)
      if (g_ascii_strcasecmp (info->names[i], text) == 0)
        return info->min + i;
  return -1;
}

static gboolean
parse_field (BkCron     *self,
             int         field,
             const char *text,
             GError    **error)
{
  const FieldInfo *info = &fields[field];
  g_auto(GStrv) items = g_strsplit (text, ",", -1);
  guint64 mask = 0;

  for (guint i = 0; items[i] != NULL; i++)
    {
      const char *item = items[i];
      g_autofree char *range = NULL;
      const char *slash = strchr (item, '/');
      int lo, hi, step = 1;

      range = slash != NULL ? g_strndup (item, slash - item) : g_strdup (item);
      if (slash != NULL)
        {
          guint64 value;

          if (!g_ascii_string_to_unsigned (slash + 1, 10, 1, info->max, &value, NULL))
            return cron_fail (error, self->expression, "%s field '%s' has an invalid step", info->name, text);
          step = (int) value;
        }

      if (g_str_equal (range, "*") || ((field == F_DOM || field == F_DOW) && g_str_equal (range, "?")))
        {
          lo = info->min;
          hi = field == F_DOW ? 6 : info->max;
        }
      else
        {
          char *dash = strchr (range, '-');

          if (dash != NULL)
            {
              *dash = '\0';
              lo = parse_value (info, range);
              hi = parse_value (info, dash + 1);
            }
          else
            {
              lo = hi = parse_value (info, range);
              /* `5/15`: from 5 to the end, every 15 */
              if (slash != NULL && lo >= 0)
                hi = info->max;
            }
          if (lo < 0 || hi < 0 || *range == '\0')
            return cron_fail (error, self->expression, "%s field '%s' is not a valid value",
                              info->name, text);
          if (lo < info->min || lo > info->max || hi < info->min || hi > info->max)
            return cron_fail (error, self->expression, "%s field '%s' is out of range %d-%d",
                              info->name, text, info->min, info->max);
          if (lo > hi)
            return cron_fail (error, self->expression, "%s field '%s' has a range that ends before it starts",
                              info->name, text);
        }

      for (int v = lo; v <= hi; v += step)
        mask |= G_GUINT64_CONSTANT (1) << (field == F_DOW && v == 7 ? 0 : v);
    }

  self->mask[field] = mask;
  if (field == F_DOM)
    self->dom_star = text[0] == '*' || text[0] == '?';
  else if (field == F_DOW)
    self->dow_star = text[0] == '*' || text[0] == '?';
  return TRUE;
}

static gboolean
has (const BkCron *self,
     int           field,
     int           value)
{
  return (self->mask[field] & (G_GUINT64_CONSTANT (1) << value)) != 0;
}

void
_bk_cron_free (BkCron *cron)
{
  if (cron == NULL)
    return;
  g_free (cron->expression);
  g_free (cron->time_zone);
  g_clear_pointer (&cron->tz, g_time_zone_unref);
  g_free (cron);
}

BkCron *
_bk_cron_new (const char  *expression,
              const char  *time_zone,
              GError     **error)
{
  g_autoptr(BkCron) self = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree char *stripped = NULL;
  guint n = 0;
  int first;

  g_return_val_if_fail (expression != NULL, NULL);

  self = g_new0 (BkCron, 1);
  self->expression = g_strdup (expression);
  self->time_zone = g_strdup (time_zone);

  stripped = g_strstrip (g_strdup (expression));
  parts = g_strsplit_set (stripped, " \t", -1);
  {
    /* Drop empty parts (runs of blanks). */
    guint j = 0;

    for (guint i = 0; parts[i] != NULL; i++)
      {
        if (*parts[i] != '\0')
          parts[j++] = parts[i];
        else
          g_free (parts[i]);
      }
    parts[j] = NULL;
    n = j;
  }

  if (n != 5 && n != 6)
    {
      cron_fail (error, expression, "expected 5 or 6 fields, got %u", n);
      return NULL;
    }

  first = n == 6 ? F_SECOND : F_MINUTE;
  if (n == 5)
    self->mask[F_SECOND] = 1;   /* second 0 */
  for (int f = first; f < N_FIELDS; f++)
    if (!parse_field (self, f, parts[f - first], error))
      return NULL;

  /* A day of the month that no selected month has (`0 0 30 2 *`) never
   * fires: refuse it now rather than search forever. (With a day of the
   * week too, either may match.) */
  if (!self->dom_star && self->dow_star)
    {
      static const int longest[13] = { 0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
      gboolean possible = FALSE;

      for (int m = 1; m <= 12 && !possible; m++)
        for (int d = 1; d <= longest[m] && !possible; d++)
          possible = has (self, F_MONTH, m) && has (self, F_DOM, d);
      if (!possible)
        {
          cron_fail (error, expression, "day of month field '%s' never occurs in the months of month field '%s'",
                     parts[F_DOM - first], parts[F_MONTH - first]);
          return NULL;
        }
    }

  if (time_zone != NULL)
    {
      self->tz = g_time_zone_new_identifier (time_zone);
      if (self->tz == NULL)
        {
          g_set_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT,
                       "Invalid cron expression '%s', unknown time zone '%s' (expected an IANA identifier such as 'Europe/Paris')",
                       expression, time_zone);
          return NULL;
        }
    }
  else
    self->tz = g_time_zone_new_utc ();

  return g_steal_pointer (&self);
}

const char *
_bk_cron_get_expression (BkCron *cron)
{
  return cron->expression;
}

const char *
_bk_cron_get_time_zone (BkCron *cron)
{
  return cron->time_zone;
}

static int
days_in_month (int year,
               int month)
{
  return g_date_get_days_in_month ((GDateMonth) month, (GDateYear) year);
}

/* 0 = Sunday */
static int
weekday (int year,
         int month,
         int day)
{
  static const int t[] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };

  if (month < 3)
    year -= 1;
  return (year + year / 4 - year / 100 + year / 400 + t[month - 1] + day) % 7;
}

static gboolean
day_matches (const BkCron *self,
             int           year,
             int           month,
             int           day)
{
  gboolean dom = has (self, F_DOM, day);
  gboolean dow = has (self, F_DOW, weekday (year, month, day));

  if (!self->dom_star && !self->dow_star)
    return dom || dow;
  return dom && dow;
}

typedef struct
{
  int year, month, day, hour, minute, second;
} Civil;

/* Moves @c one second on (the day may pass the month's end: find_civil()
 * normalises it). */
static void
civil_next_second (Civil *c)
{
  if (++c->second <= 59)
    return;
  c->second = 0;
  if (++c->minute <= 59)
    return;
  c->minute = 0;
  if (++c->hour <= 23)
    return;
  c->hour = 0;
  c->day++;
}

/* The first civil time at or after @c that matches; FALSE past @max_year. */
static gboolean
find_civil (const BkCron *self,
            Civil        *c,
            int           max_year)
{
  while (c->year <= max_year)
    {
      if (!has (self, F_MONTH, c->month))
        {
          c->month++;
          c->day = 1;
          c->hour = c->minute = c->second = 0;
          if (c->month > 12)
            {
              c->month = 1;
              c->year++;
            }
          continue;
        }
      if (c->day > days_in_month (c->year, c->month) || !day_matches (self, c->year, c->month, c->day))
        {
          c->day++;
          c->hour = c->minute = c->second = 0;
          if (c->day > days_in_month (c->year, c->month))
            {
              c->day = 1;
              c->month++;
              if (c->month > 12)
                {
                  c->month = 1;
                  c->year++;
                }
            }
          continue;
        }
      if (!has (self, F_HOUR, c->hour))
        {
          c->hour++;
          c->minute = c->second = 0;
          if (c->hour > 23)
            {
              c->hour = 0;
              c->day++;   /* may pass the month's end: handled above */
            }
          continue;
        }
      if (!has (self, F_MINUTE, c->minute))
        {
          c->second = 59;   /* on to the next minute's second 0 */
          civil_next_second (c);
          continue;
        }
      if (!has (self, F_SECOND, c->second))
        {
          civil_next_second (c);
          continue;
        }
      return TRUE;
    }
  return FALSE;
}

/* The first instant that reads @c in @tz; for a time a DST change skips,
 * the end of the gap. */
static GDateTime *
civil_to_time (GTimeZone   *tz,
               const Civil *c)
{
  g_autoptr(GDateTime) as_utc = g_date_time_new_utc (c->year, c->month, c->day, c->hour, c->minute, c->second);
  gint64 local, best = G_MAXINT64;
  static const GTimeType types[] = { G_TIME_TYPE_STANDARD, G_TIME_TYPE_DAYLIGHT };

  if (as_utc == NULL)
    return NULL;
  local = g_date_time_to_unix (as_utc);
  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      int interval = g_time_zone_find_interval (tz, types[i], local);

      if (interval >= 0)
        best = MIN (best, local - g_time_zone_get_offset (tz, interval));
    }
  if (best == G_MAXINT64)
    return g_date_time_new (tz, c->year, c->month, c->day, c->hour, c->minute, c->second);
  {
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (best);

    return utc != NULL ? g_date_time_to_timezone (utc, tz) : NULL;
  }
}

GDateTime *
_bk_cron_next (BkCron    *cron,
               GDateTime *after)
{
  g_autoptr(GDateTime) local = NULL;
  Civil c;
  int max_year;

  g_return_val_if_fail (cron != NULL, NULL);
  g_return_val_if_fail (after != NULL, NULL);

  local = g_date_time_to_timezone (after, cron->tz);
  c.year = g_date_time_get_year (local);
  c.month = g_date_time_get_month (local);
  c.day = g_date_time_get_day_of_month (local);
  c.hour = g_date_time_get_hour (local);
  c.minute = g_date_time_get_minute (local);
  c.second = g_date_time_get_second (local);
  max_year = c.year + 30;
  civil_next_second (&c);

  while (find_civil (cron, &c, max_year))
    {
      g_autoptr(GDateTime) candidate = civil_to_time (cron->tz, &c);

      /* A time in a DST gap comes back moved to the end of the gap; a time
       * that occurs twice comes back as its first occurrence, which may be
       * in the past when @after is in the second one: skip it then. */
      if (candidate != NULL && g_date_time_compare (candidate, after) > 0)
        return g_steal_pointer (&candidate);
      civil_next_second (&c);
    }
  return NULL;
}

gint64
_bk_cron_next_ms (BkCron *cron,
                  gint64  after_ms)
{
  g_autoptr(GDateTime) after = NULL;
  g_autoptr(GDateTime) next = NULL;
  gint64 floor_ms = after_ms - ((after_ms % 1000) + 1000) % 1000;

  /* Cron has whole seconds: the next time after 12:00:00.500 is after
   * 12:00:00. */
  after = g_date_time_new_from_unix_utc (floor_ms / 1000);
  if (after == NULL)
    return -1;
  next = _bk_cron_next (cron, after);
  if (next == NULL)
    return -1;
  return g_date_time_to_unix (next) * 1000;
}
