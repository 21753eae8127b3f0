/* test-cron.c: cron expressions and their next fire times.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-util.h"
#include "bk-cron-private.h"

typedef struct
{
  const char *name;
  const char *expression;
  const char *time_zone;
  const char *after;      /* ISO 8601 with offset */
  const char *expected;   /* ISO 8601 in UTC; NULL: none */
} NextCase;

static const NextCase next_cases[] = {
  /* Basics */
  { "every-minute", "* * * * *", NULL, "2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z" },
  { "every-minute-mid", "* * * * *", NULL, "2024-01-01T00:00:30Z", "2024-01-01T00:01:00Z" },
  { "every-second", "* * * * * *", NULL, "2024-01-01T00:00:00Z", "2024-01-01T00:00:01Z" },
  { "step-5", "*/5 * * * *", NULL, "2024-01-01T10:07:00Z", "2024-01-01T10:10:00Z" },
  { "seconds-step", "*/15 * * * * *", NULL, "2024-01-01T10:07:46Z", "2024-01-01T10:08:00Z" },
  { "list", "0 8,12,18 * * *", NULL, "2024-01-01T12:00:00Z", "2024-01-01T18:00:00Z" },
  { "range-step", "0 9-17/4 * * *", NULL, "2024-01-01T13:00:00Z", "2024-01-01T17:00:00Z" },
  { "start-step", "10/20 * * * *", NULL, "2024-01-01T00:31:00Z", "2024-01-01T00:50:00Z" },
  { "next-day", "30 6 * * *", NULL, "2024-01-01T06:30:00Z", "2024-01-02T06:30:00Z" },
  /* Month ends */
  { "dom-31-skips-short-months", "0 0 31 * *", NULL, "2024-01-31T00:00:00Z", "2024-03-31T00:00:00Z" },
  { "dom-31-april-to-may", "0 0 31 * *", NULL, "2024-04-01T00:00:00Z", "2024-05-31T00:00:00Z" },
  { "dom-30-skips-february", "0 12 30 * *", NULL, "2024-01-30T12:00:00Z", "2024-03-30T12:00:00Z" },
  { "year-end", "59 23 31 12 *", NULL, "2024-06-01T00:00:00Z", "2024-12-31T23:59:00Z" },
  { "new-year", "0 0 1 1 *", NULL, "2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z" },
  /* Leap days */
  { "feb-29-leap", "0 0 29 2 *", NULL, "2024-01-01T00:00:00Z", "2024-02-29T00:00:00Z" },
  { "feb-29-next-leap", "0 0 29 2 *", NULL, "2024-02-29T00:00:00Z", "2028-02-29T00:00:00Z" },
  { "feb-29-skips-1900-style", "0 0 29 2 *", NULL, "2096-03-01T00:00:00Z", "2104-02-29T00:00:00Z" },
  { "feb-28-every-year", "0 0 28 2 *", NULL, "2023-02-28T00:00:00Z", "2024-02-28T00:00:00Z" },
  /* Weekdays (2024-01-01 is a Monday) */
  { "weekdays", "0 9 * * MON-FRI", NULL, "2024-01-05T09:00:00Z", "2024-01-08T09:00:00Z" },
  { "sunday-0", "0 0 * * 0", NULL, "2024-01-01T00:00:00Z", "2024-01-07T00:00:00Z" },
  { "sunday-7", "0 0 * * 7", NULL, "2024-01-01T00:00:00Z", "2024-01-07T00:00:00Z" },
  { "names-lowercase", "0 0 * jan,feb sat", NULL, "2024-01-29T00:00:00Z", "2024-02-03T00:00:00Z" },
  { "dow-range-wraps-sunday", "0 0 * * 5-7", NULL, "2024-01-07T00:00:00Z", "2024-01-12T00:00:00Z" },
  /* Both day fields restricted: either matches */
  { "dom-or-dow", "0 0 13 * FRI", NULL, "2024-01-01T00:00:00Z", "2024-01-05T00:00:00Z" },
  { "dom-or-dow-dom", "0 0 13 * FRI", NULL, "2024-01-12T00:00:00Z", "2024-01-13T00:00:00Z" },
  /* Day-of-week restricted, day of month '*': AND (every Friday) */
  { "dow-only", "0 0 * * FRI", NULL, "2024-01-12T00:00:00Z", "2024-01-19T00:00:00Z" },
  { "dom-never-or-dow", "0 0 30 2 MON", NULL, "2024-01-01T00:00:00Z", "2024-02-05T00:00:00Z" },
  { "dom-step-and-dow-star", "0 0 */10 * *", NULL, "2024-01-21T00:00:00Z", "2024-01-31T00:00:00Z" },
  /* Time zones */
  { "paris-9am", "0 9 * * *", "Europe/Paris", "2024-01-01T00:00:00Z", "2024-01-01T08:00:00Z" },
  { "paris-9am-summer", "0 9 * * *", "Europe/Paris", "2024-07-01T00:00:00Z", "2024-07-01T07:00:00Z" },
  { "new-york-midnight", "0 0 * * *", "America/New_York", "2024-01-01T05:00:00Z", "2024-01-02T05:00:00Z" },
  /* DST gap (Europe/Paris, 2024-03-31 02:00 → 03:00): fires once, at the end */
  { "gap-fires-at-end", "30 2 * * *", "Europe/Paris", "2024-03-30T02:00:00Z", "2024-03-31T01:00:00Z" },
  { "gap-then-next-day", "30 2 * * *", "Europe/Paris", "2024-03-31T01:00:00Z", "2024-04-01T00:30:00Z" },
  { "gap-every-15", "*/15 * * * *", "Europe/Paris", "2024-03-31T00:45:00Z", "2024-03-31T01:00:00Z" },
  { "gap-every-15-after", "*/15 * * * *", "Europe/Paris", "2024-03-31T01:00:00Z", "2024-03-31T01:15:00Z" },
  /* DST overlap (2024-10-27 03:00 → 02:00): 02:30 fires once, the first time */
  { "overlap-first", "30 2 * * *", "Europe/Paris", "2024-10-27T00:00:00Z", "2024-10-27T00:30:00Z" },
  { "overlap-not-twice", "30 2 * * *", "Europe/Paris", "2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z" },
  { "overlap-hourly", "0 * * * *", "Europe/Paris", "2024-10-27T00:00:00Z", "2024-10-27T02:00:00Z" },
};

static void
test_cron_next (gconstpointer data)
{
  const NextCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BkCron) cron = _bk_cron_new (c->expression, c->time_zone, &error);
  g_autoptr(GDateTime) after = g_date_time_new_from_iso8601 (c->after, NULL);
  g_autoptr(GDateTime) next = NULL;
  g_autoptr(GDateTime) next_utc = NULL;
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (after);
  next = _bk_cron_next (cron, after);
  g_assert_nonnull (next);
  next_utc = g_date_time_to_utc (next);
  text = g_date_time_format (next_utc, "%Y-%m-%dT%H:%M:%SZ");
  g_assert_cmpstr (text, ==, c->expected);

  /* The millisecond form agrees. */
  g_assert_cmpint (_bk_cron_next_ms (cron, g_date_time_to_unix (after) * 1000 + 999), ==,
                   g_date_time_to_unix (next) * 1000);
}

typedef struct
{
  const char *name;
  const char *expression;
  const char *time_zone;
  const char *message;
} ErrorCase;

static const ErrorCase error_cases[] = {
  { "empty", "", NULL, "Invalid cron expression '', expected 5 or 6 fields, got 0" },
  { "four-fields", "* * * *", NULL, "Invalid cron expression '* * * *', expected 5 or 6 fields, got 4" },
  { "seven-fields", "* * * * * * *", NULL, "Invalid cron expression '* * * * * * *', expected 5 or 6 fields, got 7" },
  { "minute-range", "61 * * * *", NULL, "Invalid cron expression '61 * * * *', minute field '61' is out of range 0-59" },
  { "hour-range", "0 24 * * *", NULL, "Invalid cron expression '0 24 * * *', hour field '24' is out of range 0-23" },
  { "second-range", "60 * * * * *", NULL, "Invalid cron expression '60 * * * * *', second field '60' is out of range 0-59" },
  { "dom-zero", "0 0 0 * *", NULL, "Invalid cron expression '0 0 0 * *', day of month field '0' is out of range 1-31" },
  { "month-name", "0 0 1 FOO *", NULL, "Invalid cron expression '0 0 1 FOO *', month field 'FOO' is not a valid value" },
  { "dow-8", "0 0 * * 8", NULL, "Invalid cron expression '0 0 * * 8', day of week field '8' is out of range 0-7" },
  { "step-zero", "*/0 * * * *", NULL, "Invalid cron expression '*/0 * * * *', minute field '*/0' has an invalid step" },
  { "step-signed", "*/+5 * * * *", NULL, "Invalid cron expression '*/+5 * * * *', minute field '*/+5' has an invalid step" },
  { "step-too-big", "*/60 * * * *", NULL, "Invalid cron expression '*/60 * * * *', minute field '*/60' has an invalid step" },
  { "step-garbage", "*/5x * * * *", NULL, "Invalid cron expression '*/5x * * * *', minute field '*/5x' has an invalid step" },
  { "value-trailing", "5x * * * *", NULL, "Invalid cron expression '5x * * * *', minute field '5x' is not a valid value" },
  { "value-huge", "99999999999 * * * *", NULL, "Invalid cron expression '99999999999 * * * *', minute field '99999999999' is not a valid value" },
  { "reversed", "0 0 * * 5-1", NULL, "Invalid cron expression '0 0 * * 5-1', day of week field '5-1' has a range that ends before it starts" },
  { "garbage", "a b c d e", NULL, "Invalid cron expression 'a b c d e', minute field 'a' is not a valid value" },
  { "never", "0 0 30 2 *", NULL, "Invalid cron expression '0 0 30 2 *', day of month field '30' never occurs in the months of month field '2'" },
  { "zone", "* * * * *", "Mars/Olympus_Mons", "Invalid cron expression '* * * * *', unknown time zone 'Mars/Olympus_Mons' (expected an IANA identifier such as 'Europe/Paris')" },
};

static void
test_cron_invalid (gconstpointer data)
{
  const ErrorCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BkCron) cron = _bk_cron_new (c->expression, c->time_zone, &error);

  g_assert_null (cron);
  g_assert_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT);
  g_assert_cmpstr (error->message, ==, c->message);
}

/* A run of times: every one strictly after the last, as the scheduler
 * walks them. */
static void
test_cron_sequence (void)
{
  g_autoptr(BkCron) cron = _bk_cron_new ("0 0 L-ish", NULL, NULL);
  g_autoptr(BkCron) weekdays = _bk_cron_new ("0 12 * * 1-5", NULL, NULL);
  gint64 t = 1704067200000;   /* 2024-01-01T00:00:00Z, a Monday */
  guint n = 0;

  g_assert_null (cron);
  for (int i = 0; i < 10; i++)
    {
      gint64 next = _bk_cron_next_ms (weekdays, t);
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (next / 1000);

      g_assert_cmpint (next, >, t);
      g_assert_cmpint (g_date_time_get_day_of_week (when), <=, 5);
      g_assert_cmpint (g_date_time_get_hour (when), ==, 12);
      t = next;
      n++;
    }
  g_assert_cmpuint (n, ==, 10);
  /* Ten weekdays from Monday 1st: the 12th (Friday) is the tenth. */
  g_assert_cmpint (t, ==, 1705060800000);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (next_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/cron/next/%s", next_cases[i].name);
      g_test_add_data_func (path, &next_cases[i], test_cron_next);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (error_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/cron/invalid/%s", error_cases[i].name);
      g_test_add_data_func (path, &error_cases[i], test_cron_invalid);
    }
  g_test_add_func ("/cron/sequence", test_cron_sequence);

  return g_test_run ();
}
