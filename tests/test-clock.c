/* test-clock.c: core.rootClock (the GLib clock), the mock clock, and the
 * durations config holds.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbackend.h>
#include <libbackend-test-utils.h>

#include "test-util.h"

#include "bk-duration-private.h"

/* ------------------------------------------------------------------------ */
/* Timers that record when they fire                                        */
/* ------------------------------------------------------------------------ */

typedef struct
{
  BkClock *clock;          /* unowned */
  GString *events;         /* "<name>@<ms since start> " per firing */
  guint    n_destroyed;
  guint    n_fired;
} Recorder;

typedef struct
{
  Recorder *recorder;
  char     *name;
  /* Something to do when fired: add a timer, cancel one. */
  char     *add_name;
  guint64   add_delay;
  guint     cancel_id;
  guint     id;            /* its own id, to cancel itself */
  gboolean  cancel_self;
} Timer;

static gint64
elapsed_ms (BkClock *clock)
{
  return (bk_clock_get_monotonic_time (clock) - BK_MOCK_CLOCK_START_MONOTONIC_TIME) / 1000;
}

static void timer_fired (gpointer data);

static void
timer_free (gpointer data)
{
  Timer *timer = data;

  timer->recorder->n_destroyed++;
  g_free (timer->name);
  g_free (timer->add_name);
  g_free (timer);
}

static guint
add_timer (Recorder   *recorder,
           guint64     delay_ms,
           const char *name)
{
  Timer *timer = g_new0 (Timer, 1);

  timer->recorder = recorder;
  timer->name = g_strdup (name);
  timer->id = bk_clock_add_timer (recorder->clock, delay_ms, timer_fired, timer, timer_free);
  g_assert_cmpuint (timer->id, >, 0);

  return timer->id;
}

static Timer *
add_timer_full (Recorder   *recorder,
                guint64     delay_ms,
                const char *name)
{
  Timer *timer = g_new0 (Timer, 1);

  timer->recorder = recorder;
  timer->name = g_strdup (name);
  timer->id = bk_clock_add_timer (recorder->clock, delay_ms, timer_fired, timer, timer_free);

  return timer;
}

static void
timer_fired (gpointer data)
{
  Timer *timer = data;
  Recorder *recorder = timer->recorder;

  recorder->n_fired++;
  if (BK_IS_MOCK_CLOCK (recorder->clock))
    g_string_append_printf (recorder->events, "%s@%" G_GINT64_FORMAT " ",
                            timer->name, elapsed_ms (recorder->clock));
  else
    g_string_append_printf (recorder->events, "%s ", timer->name);

  if (timer->add_name != NULL)
    add_timer (recorder, timer->add_delay, timer->add_name);
  if (timer->cancel_id != 0)
    bk_clock_cancel_timer (recorder->clock, timer->cancel_id);
  if (timer->cancel_self)
    bk_clock_cancel_timer (recorder->clock, timer->id);
}

/* ------------------------------------------------------------------------ */
/* The default clock: GLib's time and sources                              */
/* ------------------------------------------------------------------------ */

typedef struct
{
  BkServiceFactoryTester *tester;
  BkClock                *clock;   /* owned by the tester */
  Recorder                recorder;
} SystemFixture;

static void
system_fixture_set_up (SystemFixture *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->tester =
    bk_service_factory_tester_new (bk_service_ref_create_default_factory (BK_SERVICE_ROOT_CLOCK), NULL);
  fixture->clock = bk_service_factory_tester_get_subject (fixture->tester, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (BK_IS_CLOCK (fixture->clock));
  g_assert_false (BK_IS_MOCK_CLOCK (fixture->clock));

  fixture->recorder.clock = fixture->clock;
  fixture->recorder.events = g_string_new (NULL);
}

static void
system_fixture_tear_down (SystemFixture *fixture,
                          gconstpointer  data)
{
  fixture->clock = NULL;
  g_clear_object (&fixture->tester);
  g_string_free (fixture->recorder.events, TRUE);
}

/* Iterates @context until @recorder has seen @n_fired timers, failing the
 * test instead of hanging. */
static void
wait_for_fired (GMainContext *context,
                Recorder     *recorder,
                guint         n_fired)
{
  GSource *guard = test_guard_new (context, "a timer");

  while (recorder->n_fired < n_fired)
    g_main_context_iteration (context, TRUE);
  test_guard_free (guard);
}

static void
test_clock_system_time (SystemFixture *fixture,
                        gconstpointer  data)
{
  gint64 before, after, now;

  before = g_get_monotonic_time ();
  now = bk_clock_get_monotonic_time (fixture->clock);
  after = g_get_monotonic_time ();
  g_assert_cmpint (before, <=, now);
  g_assert_cmpint (now, <=, after);

  before = g_get_real_time ();
  now = bk_clock_get_real_time (fixture->clock);
  after = g_get_real_time ();
  g_assert_cmpint (before, <=, now);
  g_assert_cmpint (now, <=, after);
}

/* A timer fires once, on the main context, and its data is freed after. */
static void
test_clock_system_timer (SystemFixture *fixture,
                         gconstpointer  data)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  add_timer (&fixture->recorder, 1, "a");
  g_assert_cmpuint (fixture->recorder.n_fired, ==, 0);

  wait_for_fired (context, &fixture->recorder, 1);
  test_assert_events (fixture->recorder.events, "a");
  g_assert_cmpuint (fixture->recorder.n_destroyed, ==, 1);

  /* Once only. */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (fixture->recorder.n_fired, ==, 1);
}

/* A cancelled timer never fires and its data is freed at once; cancelling
 * again, or an unknown id, does nothing. */
static void
test_clock_system_cancel (SystemFixture *fixture,
                          gconstpointer  data)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  guint cancelled;

  cancelled = add_timer (&fixture->recorder, 1, "cancelled");
  add_timer (&fixture->recorder, 5, "kept");

  bk_clock_cancel_timer (fixture->clock, cancelled);
  g_assert_cmpuint (fixture->recorder.n_destroyed, ==, 1);
  bk_clock_cancel_timer (fixture->clock, cancelled);
  bk_clock_cancel_timer (fixture->clock, 0);
  bk_clock_cancel_timer (fixture->clock, 12345);
  g_assert_cmpuint (fixture->recorder.n_destroyed, ==, 1);

  /* "kept" fires after "cancelled" would have. */
  wait_for_fired (context, &fixture->recorder, 1);
  test_assert_events (fixture->recorder.events, "kept");
  g_assert_cmpuint (fixture->recorder.n_destroyed, ==, 2);
}

/* A timer that cancels itself, or one that already fired, from its
 * callback: nothing happens twice. */
static void
test_clock_system_cancel_in_callback (SystemFixture *fixture,
                                      gconstpointer  data)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  Timer *timer;

  timer = add_timer_full (&fixture->recorder, 1, "self");
  timer->cancel_self = TRUE;

  wait_for_fired (context, &fixture->recorder, 1);
  test_assert_events (fixture->recorder.events, "self");
  g_assert_cmpuint (fixture->recorder.n_destroyed, ==, 1);
}

/* Timers run on the main context that was thread-default when the clock was
 * made, not on the one that is thread-default when they are added. */
static void
test_clock_system_context (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainContext) other = g_main_context_new ();
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  g_autoptr(GError) error = NULL;
  Recorder recorder = { NULL, g_string_new (NULL), 0, 0 };

  g_main_context_push_thread_default (context);
  tester = bk_service_factory_tester_new (bk_service_ref_create_default_factory (BK_SERVICE_ROOT_CLOCK),
                                          NULL);
  recorder.clock = bk_service_factory_tester_get_subject (tester, NULL, &error);
  g_assert_no_error (error);
  g_main_context_pop_thread_default (context);

  g_main_context_push_thread_default (other);
  add_timer (&recorder, 0, "a");
  while (g_main_context_iteration (other, FALSE))
    ;
  g_assert_cmpuint (recorder.n_fired, ==, 0);
  g_main_context_pop_thread_default (other);

  wait_for_fired (context, &recorder, 1);
  g_assert_cmpstr (recorder.events->str, ==, "a ");

  g_clear_object (&tester);
  g_string_free (recorder.events, TRUE);
}

/* Timers still pending when the clock goes are freed, never fired. */
static void
test_clock_system_dispose (SystemFixture *fixture,
                           gconstpointer  data)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

  add_timer (&fixture->recorder, 60000, "a");
  add_timer (&fixture->recorder, 60000, "b");

  fixture->clock = NULL;
  g_clear_object (&fixture->tester);
  g_assert_cmpuint (fixture->recorder.n_destroyed, ==, 2);

  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (fixture->recorder.n_fired, ==, 0);
}

/* ------------------------------------------------------------------------ */
/* The mock clock                                                           */
/* ------------------------------------------------------------------------ */

typedef struct
{
  BkMockClock *clock;
  Recorder     recorder;
} MockFixture;

static void
mock_fixture_set_up (MockFixture   *fixture,
                     gconstpointer  data)
{
  fixture->clock = bk_mock_clock_new ();
  fixture->recorder.clock = BK_CLOCK (fixture->clock);
  fixture->recorder.events = g_string_new (NULL);
}

static void
mock_fixture_tear_down (MockFixture   *fixture,
                        gconstpointer  data)
{
  g_assert_finalize_object (fixture->clock);
  g_string_free (fixture->recorder.events, TRUE);
}

static void
test_clock_mock_start (MockFixture   *fixture,
                       gconstpointer  data)
{
  BkClock *clock = BK_CLOCK (fixture->clock);

  g_assert_cmpint (bk_clock_get_monotonic_time (clock), ==, 1000000);
  g_assert_cmpint (bk_clock_get_monotonic_time (clock), ==, BK_MOCK_CLOCK_START_MONOTONIC_TIME);
  g_assert_cmpint (bk_clock_get_real_time (clock), ==, BK_MOCK_CLOCK_START_REAL_TIME);
  g_assert_cmpint (bk_clock_get_real_time (clock), ==, G_GINT64_CONSTANT (1704067200) * G_USEC_PER_SEC);
  g_assert_cmpuint (bk_mock_clock_get_n_pending (fixture->clock), ==, 0);

  bk_mock_clock_advance (fixture->clock, 1500);
  g_assert_cmpint (bk_clock_get_monotonic_time (clock), ==, 2500000);
  g_assert_cmpint (bk_clock_get_real_time (clock), ==, BK_MOCK_CLOCK_START_REAL_TIME + 1500000);
}

/* Nothing fires while the main context runs: only advancing moves time. */
static void
test_clock_mock_still (MockFixture   *fixture,
                       gconstpointer  data)
{
  add_timer (&fixture->recorder, 0, "zero");
  add_timer (&fixture->recorder, 1, "one");

  test_settle ();
  g_assert_cmpuint (fixture->recorder.n_fired, ==, 0);
  g_assert_cmpuint (bk_mock_clock_get_n_pending (fixture->clock), ==, 2);

  /* Advancing by 0 fires what is due now. */
  bk_mock_clock_advance (fixture->clock, 0);
  test_assert_events (fixture->recorder.events, "zero@0");
  g_assert_cmpuint (bk_mock_clock_get_n_pending (fixture->clock), ==, 1);
}

/* Due timers fire in order of due time, each with the clock at its due
 * time; the clock ends at the target. */
static void
test_clock_mock_order (MockFixture   *fixture,
                       gconstpointer  data)
{
  add_timer (&fixture->recorder, 30, "c");
  add_timer (&fixture->recorder, 10, "a");
  add_timer (&fixture->recorder, 20, "b");
  add_timer (&fixture->recorder, 25, "exact");

  bk_mock_clock_advance (fixture->clock, 25);
  test_assert_events (fixture->recorder.events, "a@10 b@20 exact@25");
  g_assert_cmpint (elapsed_ms (BK_CLOCK (fixture->clock)), ==, 25);
  g_assert_cmpuint (fixture->recorder.n_destroyed, ==, 3);
  g_assert_cmpuint (bk_mock_clock_get_n_pending (fixture->clock), ==, 1);

  bk_mock_clock_advance (fixture->clock, 4);
  test_assert_events (fixture->recorder.events, "");
  bk_mock_clock_advance (fixture->clock, 100);
  test_assert_events (fixture->recorder.events, "c@30");
  g_assert_cmpint (elapsed_ms (BK_CLOCK (fixture->clock)), ==, 129);
  g_assert_cmpuint (fixture->recorder.n_destroyed, ==, 4);
}

/* Timers due at the same time fire in the order they were added. */
static void
test_clock_mock_ties (MockFixture   *fixture,
                      gconstpointer  data)
{
  add_timer (&fixture->recorder, 10, "a");
  add_timer (&fixture->recorder, 5, "early");
  add_timer (&fixture->recorder, 10, "b");
  bk_mock_clock_advance (fixture->clock, 3);
  /* Due at 10 too, added later. */
  add_timer (&fixture->recorder, 7, "c");
  add_timer (&fixture->recorder, 10, "late");

  bk_mock_clock_advance (fixture->clock, 20);
  test_assert_events (fixture->recorder.events, "early@5 a@10 b@10 c@10 late@13");
}

/* Timers added by callbacks fire in the same advance when they fall due
 * within it, at their own due time; a delay of 0 fires after what is
 * already due at that time. */
static void
test_clock_mock_added_during_advance (MockFixture   *fixture,
                                      gconstpointer  data)
{
  Timer *a = add_timer_full (&fixture->recorder, 10, "a");
  Timer *b;

  a->add_name = g_strdup ("a+5");
  a->add_delay = 5;
  b = add_timer_full (&fixture->recorder, 10, "b");
  b->add_name = g_strdup ("b+0");
  b->add_delay = 0;
  add_timer (&fixture->recorder, 10, "c");
  add_timer (&fixture->recorder, 12, "d");

  b = add_timer_full (&fixture->recorder, 40, "e");
  b->add_name = g_strdup ("e+100");
  b->add_delay = 100;

  bk_mock_clock_advance (fixture->clock, 50);
  test_assert_events (fixture->recorder.events, "a@10 b@10 c@10 b+0@10 d@12 a+5@15 e@40");
  g_assert_cmpuint (bk_mock_clock_get_n_pending (fixture->clock), ==, 1);

  bk_mock_clock_advance (fixture->clock, 90);
  test_assert_events (fixture->recorder.events, "e+100@140");
  g_assert_cmpuint (fixture->recorder.n_destroyed, ==, 8);
}

/* Cancelled timers never fire and are freed at once, also when a callback
 * of the same advance cancels them. */
static void
test_clock_mock_cancel (MockFixture   *fixture,
                        gconstpointer  data)
{
  BkClock *clock = BK_CLOCK (fixture->clock);
  Timer *canceller;
  guint canceller_id;
  guint id;

  id = add_timer (&fixture->recorder, 10, "cancelled");
  g_assert_cmpuint (bk_mock_clock_get_n_pending (fixture->clock), ==, 1);
  bk_clock_cancel_timer (clock, id);
  g_assert_cmpuint (bk_mock_clock_get_n_pending (fixture->clock), ==, 0);
  g_assert_cmpuint (fixture->recorder.n_destroyed, ==, 1);
  bk_clock_cancel_timer (clock, id);
  bk_clock_cancel_timer (clock, 0);
  bk_clock_cancel_timer (clock, 9999);
  g_assert_cmpuint (fixture->recorder.n_destroyed, ==, 1);

  canceller = add_timer_full (&fixture->recorder, 5, "canceller");
  canceller->cancel_id = add_timer (&fixture->recorder, 8, "victim");
  canceller->cancel_self = TRUE;
  canceller_id = canceller->id;

  bk_mock_clock_advance (fixture->clock, 100);
  test_assert_events (fixture->recorder.events, "canceller@5");
  g_assert_cmpuint (fixture->recorder.n_destroyed, ==, 3);

  /* Cancelling a timer that fired does nothing. */
  bk_clock_cancel_timer (clock, canceller_id);
  g_assert_cmpuint (fixture->recorder.n_destroyed, ==, 3);
}

static void
test_clock_mock_advance_to_next (MockFixture   *fixture,
                                 gconstpointer  data)
{
  g_assert_false (bk_mock_clock_advance_to_next (fixture->clock));
  g_assert_cmpint (elapsed_ms (BK_CLOCK (fixture->clock)), ==, 0);

  add_timer (&fixture->recorder, 30000, "late");
  add_timer (&fixture->recorder, 500, "a");
  add_timer (&fixture->recorder, 500, "b");

  /* One timer at a time, the first added of a tie. */
  g_assert_true (bk_mock_clock_advance_to_next (fixture->clock));
  test_assert_events (fixture->recorder.events, "a@500");
  g_assert_cmpint (elapsed_ms (BK_CLOCK (fixture->clock)), ==, 500);

  g_assert_true (bk_mock_clock_advance_to_next (fixture->clock));
  test_assert_events (fixture->recorder.events, "b@500");
  g_assert_cmpint (elapsed_ms (BK_CLOCK (fixture->clock)), ==, 500);

  g_assert_true (bk_mock_clock_advance_to_next (fixture->clock));
  test_assert_events (fixture->recorder.events, "late@30000");
  g_assert_cmpint (elapsed_ms (BK_CLOCK (fixture->clock)), ==, 30000);

  g_assert_false (bk_mock_clock_advance_to_next (fixture->clock));
  g_assert_cmpuint (fixture->recorder.n_destroyed, ==, 3);
}

/* The wall clock can be set, forward or back; it then moves with the
 * monotonic one, and setting it fires nothing. */
static void
test_clock_mock_real_time (MockFixture   *fixture,
                           gconstpointer  data)
{
  BkClock *clock = BK_CLOCK (fixture->clock);
  gint64 monotonic = bk_clock_get_monotonic_time (clock);

  add_timer (&fixture->recorder, 10, "a");

  bk_mock_clock_set_real_time (fixture->clock, 42 * G_USEC_PER_SEC);
  g_assert_cmpint (bk_clock_get_real_time (clock), ==, 42 * G_USEC_PER_SEC);
  g_assert_cmpint (bk_clock_get_monotonic_time (clock), ==, monotonic);
  g_assert_cmpuint (fixture->recorder.n_fired, ==, 0);

  bk_mock_clock_advance (fixture->clock, 1000);
  g_assert_cmpint (bk_clock_get_real_time (clock), ==, 43 * G_USEC_PER_SEC);
  test_assert_events (fixture->recorder.events, "a@10");

  /* Back in time: the monotonic clock does not care. */
  bk_mock_clock_set_real_time (fixture->clock, 0);
  g_assert_cmpint (bk_clock_get_real_time (clock), ==, 0);
  g_assert_cmpint (bk_clock_get_monotonic_time (clock), ==, monotonic + 1000 * 1000);
}

/* Delays too long for the clock end at the largest time rather than wrap. */
static void
test_clock_mock_huge_delay (MockFixture   *fixture,
                            gconstpointer  data)
{
  add_timer (&fixture->recorder, G_MAXUINT64, "never");
  add_timer (&fixture->recorder, 1, "soon");

  bk_mock_clock_advance (fixture->clock, 1000);
  test_assert_events (fixture->recorder.events, "soon@1");
  g_assert_cmpuint (bk_mock_clock_get_n_pending (fixture->clock), ==, 1);

  g_assert_true (bk_mock_clock_advance_to_next (fixture->clock));
  test_assert_events (fixture->recorder.events, "never@9223372036853775");
  g_assert_cmpint (bk_clock_get_monotonic_time (BK_CLOCK (fixture->clock)), ==, G_MAXINT64);
}

/* Pending timers are freed with the clock, never fired. */
static void
test_clock_mock_dispose (MockFixture   *fixture,
                         gconstpointer  data)
{
  add_timer (&fixture->recorder, 10, "a");
  add_timer (&fixture->recorder, 20, "b");
  g_assert_cmpuint (fixture->recorder.n_destroyed, ==, 0);

  g_clear_object (&fixture->clock);
  g_assert_cmpuint (fixture->recorder.n_destroyed, ==, 2);
  g_assert_cmpuint (fixture->recorder.n_fired, ==, 0);

  fixture->clock = bk_mock_clock_new ();
}

static void
advance_from_callback (gpointer data)
{
  bk_mock_clock_advance (data, 10);
}

/* Advancing from a timer's callback is a programming error. */
static void
test_clock_mock_nested_advance (MockFixture   *fixture,
                                gconstpointer  data)
{
  bk_clock_add_timer (BK_CLOCK (fixture->clock), 5, advance_from_callback, fixture->clock, NULL);

  g_test_expect_message ("BkTest", G_LOG_LEVEL_CRITICAL, "*!self->advancing*");
  bk_mock_clock_advance (fixture->clock, 10);
  g_test_assert_expected_messages ();
  g_assert_cmpint (elapsed_ms (BK_CLOCK (fixture->clock)), ==, 10);
}

/* A test backend's clock is a mock clock, reachable by the test. */
static void
test_clock_mock_test_backend (void)
{
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  BkMockClock *clock;

  backend = bk_test_backend_start (&error, NULL, NULL);
  g_assert_no_error (error);

  clock = bk_test_backend_get_service (backend, BK_SERVICE_ROOT_CLOCK, NULL);
  g_assert_true (BK_IS_MOCK_CLOCK (clock));
  g_assert_cmpint (bk_clock_get_monotonic_time (BK_CLOCK (clock)), ==, BK_MOCK_CLOCK_START_MONOTONIC_TIME);

  g_assert_true (bk_test_backend_stop (backend, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------------ */
/* Durations                                                                */
/* ------------------------------------------------------------------------ */

typedef struct
{
  const char *text;
  guint64     ms;
} DurationCase;

static const DurationCase duration_cases[] = {
  { "0", 0 },
  { "1500", 1500 },
  { "2.5", 3 },
  { " 30s ", 30000 },
  { "500ms", 500 },
  { "500 ms", 500 },
  { "30s", 30000 },
  { "30S", 30000 },
  { ".5s", 500 },
  { "2m", 120000 },
  { "1.5h", 5400000 },
  { "1d", 86400000 },
  { "2w", 1209600000 },
  { "1y", G_GUINT64_CONSTANT (31536000000) },
  { "10 seconds", 10000 },
  { "1 minute", 60000 },
  { "3 hrs", 10800000 },
  { "2 Days", 172800000 },
  { "5 msecs", 5 },
  { "PT30S", 30000 },
  { "PT1M30S", 90000 },
  { "P1DT2H", 93600000 },
  { "P2W", 1209600000 },
  { "PT0.5S", 500 },
  { "PT0,25S", 250 },
  { "pt2m", 120000 },
  { "P1M", G_GUINT64_CONSTANT (2592000000) },
  { "P1Y", G_GUINT64_CONSTANT (31536000000) },
};

static void
test_clock_duration_parse (gconstpointer data)
{
  const DurationCase *test = data;
  g_autoptr(GError) error = NULL;
  guint64 ms = G_MAXUINT64;

  g_assert_true (_bk_duration_parse (test->text, &ms, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ms, ==, test->ms);
}

typedef struct
{
  const char *text;
  const char *reason;
} InvalidDurationCase;

#define FORMS "expected a number of milliseconds, a number with a unit such as '30s', '2m' or '500ms', " \
              "or an ISO 8601 duration such as 'PT30S'"

static const InvalidDurationCase invalid_duration_cases[] = {
  { "", "the duration is empty; " FORMS },
  { "   ", "the duration is empty; " FORMS },
  { "soon", FORMS },
  { "s", FORMS },
  { "30 sex", "unknown unit 'sex'; expected ms, s, m, h, d, w or y" },
  { "1e3", "unknown unit 'e3'; expected ms, s, m, h, d, w or y" },
  { "1..5s", "unknown unit '.5s'; expected ms, s, m, h, d, w or y" },
  { "30 s s", "unknown unit 's s'; expected ms, s, m, h, d, w or y" },
  { "-5s", "a duration can not be negative" },
  { "-", FORMS },
  { "+5s", FORMS },
  { "P", "'P' is not an ISO 8601 duration such as 'PT30S' or 'P1DT2H'" },
  { "PT", "'PT' is not an ISO 8601 duration such as 'PT30S' or 'P1DT2H'" },
  { "P1H", "'P1H' is not an ISO 8601 duration such as 'PT30S' or 'P1DT2H'" },
  { "PT1D", "'PT1D' is not an ISO 8601 duration such as 'PT30S' or 'P1DT2H'" },
  { "P1D1Y", "'P1D1Y' is not an ISO 8601 duration such as 'PT30S' or 'P1DT2H'" },
  { "PT5", "'PT5' is not an ISO 8601 duration such as 'PT30S' or 'P1DT2H'" },
  { "P1DT", "'P1DT' is not an ISO 8601 duration such as 'PT30S' or 'P1DT2H'" },
  { "PT1S2S", "'PT1S2S' is not an ISO 8601 duration such as 'PT30S' or 'P1DT2H'" },
  { "99999999999999999999y", "the duration is too large" },
};

static void
test_clock_duration_parse_invalid (gconstpointer data)
{
  const InvalidDurationCase *test = data;
  g_autoptr(GError) error = NULL;
  guint64 ms = 7;

  g_assert_false (_bk_duration_parse (test->text, &ms, &error));
  g_assert_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE);
  g_assert_cmpstr (error->message, ==, test->reason);
  g_assert_cmpuint (ms, ==, 7);
}

typedef struct
{
  const char *json;    /* the value of a.timeout, or NULL for no key */
  guint64     ms;
} ConfigDurationCase;

static const ConfigDurationCase config_duration_cases[] = {
  { NULL, 1234 },
  { "null", 1234 },
  { "30000", 30000 },
  { "0", 0 },
  { "1.5", 2 },
  { "\"30000\"", 30000 },
  { "\"30s\"", 30000 },
  { "\"2m\"", 120000 },
  { "\"500ms\"", 500 },
  { "\"PT30S\"", 30000 },
  { "{\"seconds\": 30}", 30000 },
  { "{\"minutes\": 1, \"seconds\": 30}", 90000 },
  { "{\"milliseconds\": 250, \"hours\": 1}", 3600250 },
  { "{\"days\": 1, \"weeks\": 1}", 691200000 },
  { "{\"months\": 1, \"years\": 1}", G_GUINT64_CONSTANT (34128000000) },
  { "{\"seconds\": \"2\"}", 2000 },
  { "{\"seconds\": 0.5}", 500 },
};

static BkConfig *
config_with_timeout (const char *value)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  BkConfig *config;

  if (value != NULL)
    json = g_strdup_printf ("{\"a\": {\"timeout\": %s}}", value);
  else
    json = g_strdup ("{\"a\": {}}");

  config = bk_config_new_from_json (json, "app-config.yaml", &error);
  g_assert_no_error (error);

  return config;
}

static void
test_clock_duration_config (gconstpointer data)
{
  const ConfigDurationCase *test = data;
  g_autoptr(BkConfig) config = config_with_timeout (test->json);
  g_autoptr(BkConfig) sub = NULL;
  g_autoptr(GError) error = NULL;
  guint64 ms = G_MAXUINT64;

  g_assert_true (_bk_duration_from_config (config, "a.timeout", 1234, &ms, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ms, ==, test->ms);

  /* The same through a sub-config. */
  g_assert_true (bk_config_get_config (config, "a", &sub, &error));
  g_assert_no_error (error);
  ms = G_MAXUINT64;
  g_assert_true (_bk_duration_from_config (sub, "timeout", 1234, &ms, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ms, ==, test->ms);
}

typedef struct
{
  const char *json;
  const char *message;
} InvalidConfigDurationCase;

static const InvalidConfigDurationCase invalid_config_duration_cases[] = {
  { "true",
    "Invalid type in config for key 'a.timeout' in 'app-config.yaml', got boolean, wanted duration "
    "(milliseconds, a string such as '30s', or an object such as { seconds: 30 })" },
  { "[30]",
    "Invalid type in config for key 'a.timeout' in 'app-config.yaml', got array, wanted duration "
    "(milliseconds, a string such as '30s', or an object such as { seconds: 30 })" },
  { "\"30 sex\"",
    "Invalid duration '30 sex' in config at 'a.timeout' in 'app-config.yaml', "
    "unknown unit 'sex'; expected ms, s, m, h, d, w or y" },
  { "\"soon\"",
    "Invalid duration 'soon' in config at 'a.timeout' in 'app-config.yaml', " FORMS },
  { "\"-1s\"",
    "Invalid duration '-1s' in config at 'a.timeout' in 'app-config.yaml', "
    "a duration can not be negative" },
  { "-5",
    "Invalid duration '-5' in config at 'a.timeout' in 'app-config.yaml', "
    "a duration can not be negative" },
  { "1e300",
    "Invalid duration '1e+300' in config at 'a.timeout' in 'app-config.yaml', "
    "the duration is too large" },
  { "{}",
    "Invalid duration in config at 'a.timeout' in 'app-config.yaml', needs one or more of "
    "years, months, weeks, days, hours, minutes, seconds, milliseconds" },
  { "{\"secs\": 30}",
    "Invalid duration in config at 'a.timeout' in 'app-config.yaml', unknown field 'secs'; "
    "expected one or more of years, months, weeks, days, hours, minutes, seconds, milliseconds" },
  { "{\"seconds\": -1}",
    "Invalid duration in config at 'a.timeout' in 'app-config.yaml', field 'seconds' is negative; "
    "a duration can not be negative" },
  { "{\"seconds\": true}",
    "Invalid type in config for key 'a.timeout.seconds' in 'app-config.yaml', got boolean, wanted number" },
  { "{\"seconds\": \"soon\"}",
    "Unable to convert config value for key 'a.timeout.seconds' in 'app-config.yaml' to a number" },
  { "{\"years\": 1e300}",
    "Invalid duration in config at 'a.timeout' in 'app-config.yaml', the duration is too large" },
};

static void
test_clock_duration_config_invalid (gconstpointer data)
{
  const InvalidConfigDurationCase *test = data;
  g_autoptr(BkConfig) config = config_with_timeout (test->json);
  g_autoptr(BkConfig) sub = NULL;
  g_autoptr(GError) error = NULL;
  guint64 ms = 7;

  g_assert_false (_bk_duration_from_config (config, "a.timeout", 1234, &ms, &error));
  g_assert_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE);
  g_assert_cmpstr (error->message, ==, test->message);
  g_assert_cmpuint (ms, ==, 7);
  g_clear_error (&error);

  /* A sub-config still names the whole key. */
  g_assert_true (bk_config_get_config (config, "a", &sub, &error));
  g_assert_no_error (error);
  g_assert_false (_bk_duration_from_config (sub, "timeout", 1234, &ms, &error));
  g_assert_cmpstr (error->message, ==, test->message);
}

/* ------------------------------------------------------------------------ */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/clock/system/time", SystemFixture, NULL,
              system_fixture_set_up, test_clock_system_time, system_fixture_tear_down);
  g_test_add ("/clock/system/timer", SystemFixture, NULL,
              system_fixture_set_up, test_clock_system_timer, system_fixture_tear_down);
  g_test_add ("/clock/system/cancel", SystemFixture, NULL,
              system_fixture_set_up, test_clock_system_cancel, system_fixture_tear_down);
  g_test_add ("/clock/system/cancel-in-callback", SystemFixture, NULL,
              system_fixture_set_up, test_clock_system_cancel_in_callback, system_fixture_tear_down);
  g_test_add ("/clock/system/dispose", SystemFixture, NULL,
              system_fixture_set_up, test_clock_system_dispose, system_fixture_tear_down);
  g_test_add_func ("/clock/system/context", test_clock_system_context);

  g_test_add ("/clock/mock/start", MockFixture, NULL,
              mock_fixture_set_up, test_clock_mock_start, mock_fixture_tear_down);
  g_test_add ("/clock/mock/still", MockFixture, NULL,
              mock_fixture_set_up, test_clock_mock_still, mock_fixture_tear_down);
  g_test_add ("/clock/mock/order", MockFixture, NULL,
              mock_fixture_set_up, test_clock_mock_order, mock_fixture_tear_down);
  g_test_add ("/clock/mock/ties", MockFixture, NULL,
              mock_fixture_set_up, test_clock_mock_ties, mock_fixture_tear_down);
  g_test_add ("/clock/mock/added-during-advance", MockFixture, NULL,
              mock_fixture_set_up, test_clock_mock_added_during_advance, mock_fixture_tear_down);
  g_test_add ("/clock/mock/cancel", MockFixture, NULL,
              mock_fixture_set_up, test_clock_mock_cancel, mock_fixture_tear_down);
  g_test_add ("/clock/mock/advance-to-next", MockFixture, NULL,
              mock_fixture_set_up, test_clock_mock_advance_to_next, mock_fixture_tear_down);
  g_test_add ("/clock/mock/real-time", MockFixture, NULL,
              mock_fixture_set_up, test_clock_mock_real_time, mock_fixture_tear_down);
  g_test_add ("/clock/mock/huge-delay", MockFixture, NULL,
              mock_fixture_set_up, test_clock_mock_huge_delay, mock_fixture_tear_down);
  g_test_add ("/clock/mock/dispose", MockFixture, NULL,
              mock_fixture_set_up, test_clock_mock_dispose, mock_fixture_tear_down);
  g_test_add ("/clock/mock/nested-advance", MockFixture, NULL,
              mock_fixture_set_up, test_clock_mock_nested_advance, mock_fixture_tear_down);
  g_test_add_func ("/clock/mock/test-backend", test_clock_mock_test_backend);

  for (guint i = 0; i < G_N_ELEMENTS (duration_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/clock/duration/parse/%u", i);

      g_test_add_data_func (path, &duration_cases[i], test_clock_duration_parse);
    }
  for (guint i = 0; i < G_N_ELEMENTS (invalid_duration_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/clock/duration/parse-invalid/%u", i);

      g_test_add_data_func (path, &invalid_duration_cases[i], test_clock_duration_parse_invalid);
    }
  for (guint i = 0; i < G_N_ELEMENTS (config_duration_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/clock/duration/config/%u", i);

      g_test_add_data_func (path, &config_duration_cases[i], test_clock_duration_config);
    }
  for (guint i = 0; i < G_N_ELEMENTS (invalid_config_duration_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/clock/duration/config-invalid/%u", i);

      g_test_add_data_func (path, &invalid_config_duration_cases[i], test_clock_duration_config_invalid);
    }

  return g_test_run ();
}
