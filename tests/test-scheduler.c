/* test-scheduler.c: core.scheduler, on the mock clock (one test on real
 * time kills a real holder process).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <signal.h>

#include "test-util.h"
#include "bk-scheduler-private.h"

#define START_MS (BK_MOCK_CLOCK_START_REAL_TIME / 1000)

/* A probe: the task function of these tests ----------------------------------- */

typedef enum
{
  PROBE_COMPLETE,      /* succeeds on the next iteration */
  PROBE_FAIL,          /* fails on the next iteration */
  PROBE_UNTIL_CANCEL,  /* ends (cancelled) when its cancellable fires */
  PROBE_HANG,          /* never ends by itself: kept in probe->hung */
} ProbeMode;

typedef struct
{
  BkClock   *clock;        /* (nullable) for the start times */
  ProbeMode  mode;
  guint      n_started;
  guint      n_done;
  guint      pending;      /* completions queued on the main context */
  int        active;
  int        max_active;
  GArray    *starts;       /* (element-type gint64) wall ms */
  GPtrArray *hung;         /* (element-type GTask) */
  GPtrArray *errors;       /* messages of cancellations seen */
} Probe;

/* One instance's view of a shared probe. */
typedef struct
{
  Probe    *probe;
  int       instance;
  gboolean  hang_next;     /* this instance's next run hangs */
  int       hung_instance; /* set in the probe's owner */
} ProbeRef;

static Probe *
probe_new (BkClock   *clock,
           ProbeMode  mode)
{
  Probe *probe = g_new0 (Probe, 1);

  probe->clock = clock;
  probe->mode = mode;
  probe->starts = g_array_new (FALSE, FALSE, sizeof (gint64));
  probe->hung = g_ptr_array_new_with_free_func (g_object_unref);
  probe->errors = g_ptr_array_new_with_free_func (g_free);
  return probe;
}

static void
probe_free (Probe *probe)
{
  g_array_unref (probe->starts);
  g_ptr_array_unref (probe->hung);
  g_ptr_array_unref (probe->errors);
  g_free (probe);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Probe, probe_free)

typedef struct
{
  Probe    *probe;
  GTask    *task;
  gboolean  fail;
} Completion;

static gboolean
complete_run (gpointer user_data)
{
  Completion *c = user_data;

  c->probe->pending--;
  c->probe->active--;
  c->probe->n_done++;
  if (c->fail)
    g_task_return_new_error (c->task, G_IO_ERROR, G_IO_ERROR_FAILED, "the probe failed on purpose");
  else
    g_task_return_boolean (c->task, TRUE);
  g_object_unref (c->task);
  g_free (c);
  return G_SOURCE_REMOVE;
}

static void
queue_completion (Probe    *probe,
                  GTask    *task,
                  gboolean  fail)
{
  Completion *c = g_new0 (Completion, 1);

  c->probe = probe;
  c->task = task;
  c->fail = fail;
  probe->pending++;
  g_idle_add (complete_run, c);
}

static void
on_probe_cancelled (GCancellable *cancellable,
                    gpointer      user_data)
{
  GTask *task = user_data;
  Probe *probe = g_task_get_task_data (task);

  g_ptr_array_add (probe->errors, g_strdup ("cancelled"));
  queue_completion (probe, task, TRUE);
}

static void
probe_run_for (Probe    *probe,
               gboolean  hang,
               GTask    *task)
{
  gint64 now = probe->clock != NULL ? bk_clock_get_real_time (probe->clock) / 1000 : 0;

  probe->n_started++;
  probe->active++;
  probe->max_active = MAX (probe->max_active, probe->active);
  g_array_append_val (probe->starts, now);

  if (hang || probe->mode == PROBE_HANG)
    {
      /* A dead holder: it counts as ended for the overlap check. */
      probe->active--;
      g_ptr_array_add (probe->hung, task);
      return;
    }
  switch (probe->mode)
    {
    case PROBE_COMPLETE:
    case PROBE_FAIL:
      queue_completion (probe, task, probe->mode == PROBE_FAIL);
      break;
    case PROBE_UNTIL_CANCEL:
      g_task_set_task_data (task, probe, NULL);
      g_cancellable_connect (g_task_get_cancellable (task), G_CALLBACK (on_probe_cancelled), task, NULL);
      break;
    case PROBE_HANG:
    default:
      g_assert_not_reached ();
    }
}

static void
probe_run (GTask    *task,
           gpointer  user_data)
{
  probe_run_for (user_data, FALSE, task);
}

static void
probe_ref_run (GTask    *task,
               gpointer  user_data)
{
  ProbeRef *ref = user_data;
  gboolean hang = ref->hang_next;

  ref->hang_next = FALSE;
  if (hang)
    ref->hung_instance = ref->instance;
  probe_run_for (ref->probe, hang, task);
}

/* Ends the runs kept by PROBE_HANG, failing them. */
static void
probe_release_hung (Probe *probe)
{
  g_autoptr(GPtrArray) hung = g_steal_pointer (&probe->hung);

  probe->hung = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < hung->len; i++)
    g_task_return_new_error (g_ptr_array_index (hung, i), G_IO_ERROR, G_IO_ERROR_FAILED, "abandoned");
}

/* A plugin whose init schedules one task ------------------------------------ */

typedef struct
{
  const char          *task_id;
  BkTaskSchedule      *schedule;
  BkSchedulerTaskFunc  func;
  gpointer             data;
} Spec;

static gboolean
sched_init (BkDeps   *deps,
            gpointer  user_data,
            GError  **error)
{
  Spec *spec = user_data;

  if (spec == NULL || spec->task_id == NULL)
    return TRUE;
  return bk_scheduler_schedule_task (bk_deps_get (deps, BK_SERVICE_SCHEDULER), spec->task_id,
                                     spec->schedule, spec->func, spec->data, NULL, error);
}

static void
sched_register (BkPluginEnv *env,
                gpointer     user_data)
{
  bk_plugin_env_register_init (env, sched_init, user_data, NULL, BK_SERVICE_SCHEDULER, NULL);
}

static BkPlugin *
sched_plugin_new (Spec *spec)
{
  return bk_plugin_new ("sched", sched_register, spec, NULL);
}

/* A clock shared by several backends: each gets its own forwarding object,
 * so that each backend's leak check sees its own service finalized. */

#define TEST_TYPE_SHARED_CLOCK (test_shared_clock_get_type ())
G_DECLARE_FINAL_TYPE (TestSharedClock, test_shared_clock, TEST, SHARED_CLOCK, GObject)

struct _TestSharedClock
{
  GObject  parent_instance;
  BkClock *clock;
};

static gint64
shared_monotonic (BkClock *clock)
{
  return bk_clock_get_monotonic_time (TEST_SHARED_CLOCK (clock)->clock);
}

static gint64
shared_real (BkClock *clock)
{
  return bk_clock_get_real_time (TEST_SHARED_CLOCK (clock)->clock);
}

static guint
shared_add_timer (BkClock        *clock,
                  guint64         delay_ms,
                  BkClockFunc     func,
                  gpointer        user_data,
                  GDestroyNotify  destroy)
{
  return bk_clock_add_timer (TEST_SHARED_CLOCK (clock)->clock, delay_ms, func, user_data, destroy);
}

static void
shared_cancel_timer (BkClock *clock,
                     guint    id)
{
  bk_clock_cancel_timer (TEST_SHARED_CLOCK (clock)->clock, id);
}

static void
test_shared_clock_iface_init (BkClockInterface *iface)
{
  iface->get_monotonic_time = shared_monotonic;
  iface->get_real_time = shared_real;
  iface->add_timer = shared_add_timer;
  iface->cancel_timer = shared_cancel_timer;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestSharedClock, test_shared_clock, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_CLOCK, test_shared_clock_iface_init))

static void
test_shared_clock_dispose (GObject *object)
{
  g_clear_object (&TEST_SHARED_CLOCK (object)->clock);
  G_OBJECT_CLASS (test_shared_clock_parent_class)->dispose (object);
}

static void
test_shared_clock_class_init (TestSharedClockClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = test_shared_clock_dispose;
}

static void
test_shared_clock_init (TestSharedClock *self)
{
}

static GObject *
create_shared_clock (BkDeps    *deps,
                     gpointer   root_context,
                     gpointer   user_data,
                     GError   **error)
{
  TestSharedClock *self = g_object_new (TEST_TYPE_SHARED_CLOCK, NULL);

  self->clock = g_object_ref (user_data);
  return G_OBJECT (self);
}

static BkServiceFactory *
shared_clock_factory_new (BkClock *clock)
{
  return bk_service_factory_new (BK_SERVICE_ROOT_CLOCK, create_shared_clock,
                                 g_object_ref (clock), g_object_unref, NULL);
}

/* A real clock on GLib's timers, for the one test on real time. */

#define TEST_TYPE_REAL_CLOCK (test_real_clock_get_type ())
G_DECLARE_FINAL_TYPE (TestRealClock, test_real_clock, TEST, REAL_CLOCK, GObject)

struct _TestRealClock
{
  GObject     parent_instance;
  GHashTable *timers;   /* id → GSource */
};

typedef struct
{
  TestRealClock  *clock;
  guint           id;
  BkClockFunc     func;
  gpointer        user_data;
  GDestroyNotify  destroy;
} RealTimer;

static gint64
real_monotonic (BkClock *clock)
{
  return g_get_monotonic_time ();
}

static gint64
real_real (BkClock *clock)
{
  return g_get_real_time ();
}

static void
real_timer_free (gpointer data)
{
  RealTimer *timer = data;

  if (timer->destroy != NULL)
    timer->destroy (timer->user_data);
  g_free (timer);
}

static gboolean
real_timer_fire (gpointer data)
{
  RealTimer *timer = data;

  timer->func (timer->user_data);
  g_hash_table_remove (timer->clock->timers, GUINT_TO_POINTER (timer->id));
  return G_SOURCE_REMOVE;
}

static guint
real_add_timer (BkClock        *clock,
                guint64         delay_ms,
                BkClockFunc     func,
                gpointer        user_data,
                GDestroyNotify  destroy)
{
  TestRealClock *self = TEST_REAL_CLOCK (clock);
  static guint next_id;
  RealTimer *timer = g_new0 (RealTimer, 1);
  GSource *source = g_timeout_source_new ((guint) MIN (delay_ms, G_MAXUINT));

  timer->clock = self;
  timer->id = ++next_id;
  timer->func = func;
  timer->user_data = user_data;
  timer->destroy = destroy;
  g_source_set_callback (source, real_timer_fire, timer, real_timer_free);
  g_source_attach (source, NULL);
  g_hash_table_insert (self->timers, GUINT_TO_POINTER (timer->id), source);
  return timer->id;
}

static void
real_cancel_timer (BkClock *clock,
                   guint    id)
{
  g_hash_table_remove (TEST_REAL_CLOCK (clock)->timers, GUINT_TO_POINTER (id));
}

static void
test_real_clock_iface_init (BkClockInterface *iface)
{
  iface->get_monotonic_time = real_monotonic;
  iface->get_real_time = real_real;
  iface->add_timer = real_add_timer;
  iface->cancel_timer = real_cancel_timer;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestRealClock, test_real_clock, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_CLOCK, test_real_clock_iface_init))

static void
destroy_source (gpointer data)
{
  g_source_destroy (data);
  g_source_unref (data);
}

static void
test_real_clock_dispose (GObject *object)
{
  g_clear_pointer (&TEST_REAL_CLOCK (object)->timers, g_hash_table_unref);
  G_OBJECT_CLASS (test_real_clock_parent_class)->dispose (object);
}

static void
test_real_clock_class_init (TestRealClockClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = test_real_clock_dispose;
}

static void
test_real_clock_init (TestRealClock *self)
{
  self->timers = g_hash_table_new_full (NULL, NULL, NULL, destroy_source);
}

static GObject *
create_real_clock (BkDeps    *deps,
                   gpointer   root_context,
                   gpointer   user_data,
                   GError   **error)
{
  return g_object_new (TEST_TYPE_REAL_CLOCK, NULL);
}

/* Backends ------------------------------------------------------------------ */

static BkTestBackend *
start_backend (const char *config_json,
               ...) G_GNUC_NULL_TERMINATED;

static BkTestBackend *
start_backend (const char *config_json,
               ...)
{
  g_autoptr(BkTestBackend) backend = bk_test_backend_new ();
  g_autoptr(GError) error = NULL;
  gpointer feature;
  va_list args;

  if (config_json != NULL)
    bk_test_backend_add (backend, bk_mock_root_config_factory_new (config_json));
  va_start (args, config_json);
  while ((feature = va_arg (args, gpointer)) != NULL)
    bk_test_backend_add (backend, feature);
  va_end (args);
  bk_test_backend_launch (backend, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&backend);
}

static void
stop_backend (BkTestBackend **backend)
{
  g_autoptr(GError) error = NULL;

  if (*backend == NULL)
    return;
  bk_test_backend_stop (*backend, &error);
  g_assert_no_error (error);
  g_clear_object (backend);
}

static BkScheduler *
scheduler_of (BkTestBackend *backend)
{
  BkScheduler *scheduler = bk_test_backend_get_service (backend, BK_SERVICE_SCHEDULER, "sched");

  g_assert_true (BK_IS_SCHEDULER (scheduler));
  return scheduler;
}

static BkMockClock *
clock_of (BkTestBackend *backend)
{
  return bk_test_backend_get_service (backend, BK_SERVICE_ROOT_CLOCK, NULL);
}

/* Fires what is due and iterates the main context until every scheduler
 * has no database call in flight and the probe has nothing queued. */
static void
settle_all (BkMockClock  *clock,
            Probe        *probe,
            BkScheduler **schedulers,
            guint         n)
{
  GSource *guard = test_guard_new (NULL, "the schedulers to settle");

  for (;;)
    {
      gboolean idle, dispatched;

      /* Fire what is due; run what that made ready; again while that
       * armed more (a callback may arm a timer due now). */
      do
        {
          bk_mock_clock_advance (clock, 0);
          dispatched = FALSE;
          while (g_main_context_pending (NULL))
            dispatched |= g_main_context_iteration (NULL, FALSE);
        }
      while (dispatched);

      idle = probe == NULL || probe->pending == 0;
      for (guint i = 0; i < n && idle; i++)
        idle = _bk_scheduler_is_idle (schedulers[i]);
      if (idle)
        break;
      /* Database calls in flight: their completion wakes us. */
      g_main_context_iteration (NULL, TRUE);
    }
  test_guard_free (guard);
}

static void
settle (BkMockClock *clock,
        Probe       *probe,
        BkScheduler *scheduler)
{
  settle_all (clock, probe, &scheduler, 1);
}

static void
advance (BkMockClock *clock,
         Probe       *probe,
         BkScheduler *scheduler,
         guint64      ms)
{
  bk_mock_clock_advance (clock, ms);
  settle (clock, probe, scheduler);
}

static BkTaskState *
find_state (GPtrArray  *states,
            const char *id)
{
  for (guint i = 0; i < states->len; i++)
    {
      BkTaskState *state = g_ptr_array_index (states, i);

      if (g_str_equal (state->id, id))
        return state;
    }
  return NULL;
}

static void
on_result (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
trigger (BkScheduler  *scheduler,
         const char   *id,
         GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  bk_scheduler_trigger_task_async (scheduler, id, NULL, on_result, &result);
  test_wait_for_pointer ((gpointer *) &result, "the trigger");
  return bk_scheduler_trigger_task_finish (scheduler, result, error);
}

/* Local tasks on the mock clock --------------------------------------------- */

static void
test_scheduler_interval (void)
{
  g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_interval (1000);
  g_autoptr(Probe) probe = probe_new (NULL, PROBE_COMPLETE);
  Spec spec = { "tick", schedule, probe_run, probe };
  g_autoptr(BkTestBackend) backend = NULL;
  BkMockClock *clock;
  BkScheduler *scheduler;

  bk_task_schedule_set_scope (schedule, BK_SCHEDULER_SCOPE_LOCAL);
  backend = start_backend (NULL, sched_plugin_new (&spec), NULL);
  clock = clock_of (backend);
  probe->clock = BK_CLOCK (clock);
  scheduler = scheduler_of (backend);

  /* The first run is due when the plugin starts. */
  settle (clock, probe, scheduler);
  g_assert_cmpuint (probe->n_done, ==, 1);
  advance (clock, probe, scheduler, 999);
  g_assert_cmpuint (probe->n_done, ==, 1);
  advance (clock, probe, scheduler, 1);
  g_assert_cmpuint (probe->n_done, ==, 2);
  for (int i = 0; i < 8; i++)
    advance (clock, probe, scheduler, 1000);
  g_assert_cmpuint (probe->n_done, ==, 10);
  for (guint i = 0; i < probe->starts->len; i++)
    g_assert_cmpint (g_array_index (probe->starts, gint64, i), ==, START_MS + 1000 * i);
  g_assert_cmpint (probe->max_active, ==, 1);

  stop_backend (&backend);
  /* Nothing runs after shutdown. */
  g_assert_cmpuint (probe->n_started, ==, 10);
}

static void
test_scheduler_cron (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_cron ("0 9 * * MON-FRI", "Europe/Paris", &error);
  g_autoptr(Probe) probe = probe_new (NULL, PROBE_COMPLETE);
  Spec spec = { "morning", schedule, probe_run, probe };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GPtrArray) states = NULL;
  BkMockClock *clock;
  BkScheduler *scheduler;

  g_assert_no_error (error);
  backend = start_backend (NULL, sched_plugin_new (&spec), NULL);
  clock = clock_of (backend);
  probe->clock = BK_CLOCK (clock);
  scheduler = scheduler_of (backend);
  settle (clock, probe, scheduler);
  g_assert_cmpuint (probe->n_done, ==, 0);

  /* 2024-01-01 is a Monday: 09:00 in Paris is 08:00Z. */
  states = bk_scheduler_dup_tasks (scheduler);
  g_assert_cmpint (find_state (states, "morning")->next_run_at, ==, START_MS + 8 * 3600000);
  advance (clock, probe, scheduler, 8 * 3600000 - 1);
  g_assert_cmpuint (probe->n_done, ==, 0);
  advance (clock, probe, scheduler, 1);
  g_assert_cmpuint (probe->n_done, ==, 1);

  /* Through Friday, then not on the weekend: Monday the 8th is next. */
  for (int day = 0; day < 7; day++)
    advance (clock, probe, scheduler, 24 * 3600000);
  g_assert_cmpuint (probe->n_done, ==, 6);
  g_assert_cmpint (g_array_index (probe->starts, gint64, 4), ==, START_MS + 4 * 86400000 + 8 * 3600000);
  g_assert_cmpint (g_array_index (probe->starts, gint64, 5), ==, START_MS + 7 * 86400000 + 8 * 3600000);

  stop_backend (&backend);
}

/* A month-end cron on the scheduler: the 31st skips February, and Feb 29
 * exists in 2024. */
static void
test_scheduler_cron_month_end (void)
{
  g_autoptr(BkTaskSchedule) month_end = bk_task_schedule_new_cron ("0 12 31 * *", NULL, NULL);
  g_autoptr(BkTaskSchedule) leap = bk_task_schedule_new_cron ("0 0 29 2 *", NULL, NULL);
  g_autoptr(Probe) probe = probe_new (NULL, PROBE_COMPLETE);
  g_autoptr(Probe) leap_probe = probe_new (NULL, PROBE_COMPLETE);
  Spec spec = { "month-end", month_end, probe_run, probe };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  BkMockClock *clock;
  BkScheduler *scheduler;

  bk_task_schedule_set_scope (month_end, BK_SCHEDULER_SCOPE_LOCAL);
  backend = start_backend (NULL, sched_plugin_new (&spec), NULL);
  clock = clock_of (backend);
  probe->clock = leap_probe->clock = BK_CLOCK (clock);
  scheduler = scheduler_of (backend);
  g_assert_true (bk_scheduler_schedule_task (scheduler, "leap", leap, probe_run, leap_probe, NULL, &error));
  g_assert_no_error (error);
  settle (clock, probe, scheduler);

  /* Day by day through 2024-03-31T12:00. */
  for (int day = 0; day < 91; day++)
    advance (clock, probe, scheduler, 24 * 3600000);
  g_assert_cmpuint (probe->n_done, ==, 2);
  g_assert_cmpint (g_array_index (probe->starts, gint64, 0), ==, 1706702400000);   /* 2024-01-31T12:00Z */
  g_assert_cmpint (g_array_index (probe->starts, gint64, 1), ==, 1711886400000);   /* 2024-03-31T12:00Z */
  g_assert_cmpuint (leap_probe->n_done, ==, 1);
  g_assert_cmpint (g_array_index (leap_probe->starts, gint64, 0), ==, 1709164800000); /* 2024-02-29T00:00Z */

  stop_backend (&backend);
}

static void
test_scheduler_initial_delay (void)
{
  g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_interval (10000);
  g_autoptr(Probe) probe = probe_new (NULL, PROBE_COMPLETE);
  Spec spec = { "delayed", schedule, probe_run, probe };
  g_autoptr(BkTestBackend) backend = NULL;
  BkMockClock *clock;
  BkScheduler *scheduler;

  bk_task_schedule_set_scope (schedule, BK_SCHEDULER_SCOPE_LOCAL);
  bk_task_schedule_set_initial_delay (schedule, 3000);
  backend = start_backend (NULL, sched_plugin_new (&spec), NULL);
  clock = clock_of (backend);
  probe->clock = BK_CLOCK (clock);
  scheduler = scheduler_of (backend);

  advance (clock, probe, scheduler, 2999);
  g_assert_cmpuint (probe->n_done, ==, 0);
  advance (clock, probe, scheduler, 1);
  g_assert_cmpuint (probe->n_done, ==, 1);
  advance (clock, probe, scheduler, 10000);
  g_assert_cmpuint (probe->n_done, ==, 2);
  g_assert_cmpint (g_array_index (probe->starts, gint64, 1), ==, START_MS + 13000);

  stop_backend (&backend);
}

static void
test_scheduler_timeout (gconstpointer data)
{
  gboolean global = GPOINTER_TO_INT (data);
  g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_interval (60000);
  g_autoptr(Probe) probe = probe_new (NULL, PROBE_UNTIL_CANCEL);
  Spec spec = { "slow", schedule, probe_run, probe };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GPtrArray) states = NULL;
  BkTaskState *state;
  BkMockClock *clock;
  BkScheduler *scheduler;

  if (!global)
    bk_task_schedule_set_scope (schedule, BK_SCHEDULER_SCOPE_LOCAL);
  bk_task_schedule_set_timeout (schedule, 5000);
  backend = start_backend (NULL, sched_plugin_new (&spec), NULL);
  clock = clock_of (backend);
  probe->clock = BK_CLOCK (clock);
  scheduler = scheduler_of (backend);
  settle (clock, probe, scheduler);
  g_assert_cmpuint (probe->n_started, ==, 1);

  states = bk_scheduler_dup_tasks (scheduler);
  g_assert_true (find_state (states, "slow")->running);
  g_clear_pointer (&states, g_ptr_array_unref);

  advance (clock, probe, scheduler, 4999);
  g_assert_cmpuint (probe->n_done, ==, 0);
  advance (clock, probe, scheduler, 1);
  g_assert_cmpuint (probe->n_done, ==, 1);

  states = bk_scheduler_dup_tasks (scheduler);
  state = find_state (states, "slow");
  g_assert_false (state->running);
  g_assert_cmpstr (state->last_error, ==, "Task timed out");
  g_assert_cmpint (state->last_run_started_at, ==, START_MS);
  g_assert_cmpint (state->last_run_ended_at, ==, START_MS + 5000);
  g_assert_cmpint (state->next_run_at, ==, START_MS + 60000);

  stop_backend (&backend);
}

static void
test_scheduler_errors_recorded (gconstpointer data)
{
  gboolean global = GPOINTER_TO_INT (data);
  g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_interval (1000);
  g_autoptr(Probe) probe = probe_new (NULL, PROBE_FAIL);
  Spec spec = { "failing", schedule, probe_run, probe };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GPtrArray) states = NULL;
  BkMockClock *clock;
  BkScheduler *scheduler;
  BkMockLogger *logger;

  if (!global)
    bk_task_schedule_set_scope (schedule, BK_SCHEDULER_SCOPE_LOCAL);
  backend = start_backend (NULL, sched_plugin_new (&spec), NULL);
  clock = clock_of (backend);
  probe->clock = BK_CLOCK (clock);
  scheduler = scheduler_of (backend);
  settle (clock, probe, scheduler);
  advance (clock, probe, scheduler, 1000);
  advance (clock, probe, scheduler, 1000);

  /* A failing task is retried on schedule, its error recorded. */
  g_assert_cmpuint (probe->n_done, ==, 3);
  states = bk_scheduler_dup_tasks (scheduler);
  g_assert_cmpstr (find_state (states, "failing")->last_error, ==, "the probe failed on purpose");

  logger = bk_test_backend_get_service (backend, BK_SERVICE_LOGGER, "sched");
  g_assert_true (BK_IS_MOCK_LOGGER (logger));

  /* A success clears it. */
  probe->mode = PROBE_COMPLETE;
  advance (clock, probe, scheduler, 1000);
  g_clear_pointer (&states, g_ptr_array_unref);
  states = bk_scheduler_dup_tasks (scheduler);
  g_assert_null (find_state (states, "failing")->last_error);

  stop_backend (&backend);
}

static void
test_scheduler_trigger_and_cancel (gconstpointer data)
{
  gboolean global = GPOINTER_TO_INT (data);
  g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_manual ();
  g_autoptr(Probe) probe = probe_new (NULL, PROBE_UNTIL_CANCEL);
  Spec spec = { "by-hand", schedule, probe_run, probe };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GPtrArray) states = NULL;
  g_autoptr(GError) error = NULL;
  BkMockClock *clock;
  BkScheduler *scheduler;

  if (!global)
    bk_task_schedule_set_scope (schedule, BK_SCHEDULER_SCOPE_LOCAL);
  backend = start_backend (NULL, sched_plugin_new (&spec), NULL);
  clock = clock_of (backend);
  probe->clock = BK_CLOCK (clock);
  scheduler = scheduler_of (backend);
  settle (clock, probe, scheduler);

  /* Manual: nothing runs by itself. */
  advance (clock, probe, scheduler, 3600000);
  g_assert_cmpuint (probe->n_started, ==, 0);
  states = bk_scheduler_dup_tasks (scheduler);
  g_assert_cmpint (find_state (states, "by-hand")->next_run_at, ==, -1);

  /* Not running: cancel is a conflict. Unknown: not found. */
  g_assert_false (bk_scheduler_cancel_task (scheduler, "by-hand", &error));
  g_assert_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_CONFLICT);
  g_assert_cmpstr (error->message, ==, "Task by-hand is not running");
  g_clear_error (&error);
  g_assert_false (bk_scheduler_cancel_task (scheduler, "nope", &error));
  g_assert_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (trigger (scheduler, "nope", &error));
  g_assert_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "Task nope does not exist");
  g_clear_error (&error);

  g_assert_true (trigger (scheduler, "by-hand", &error));
  g_assert_no_error (error);
  settle (clock, probe, scheduler);
  g_assert_cmpuint (probe->n_started, ==, 1);

  /* Running: a second trigger is a conflict. */
  g_assert_false (trigger (scheduler, "by-hand", &error));
  g_assert_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_CONFLICT);
  g_assert_cmpstr (error->message, ==, "Task by-hand is currently running");
  g_clear_error (&error);

  g_assert_true (bk_scheduler_cancel_task (scheduler, "by-hand", &error));
  g_assert_no_error (error);
  settle (clock, probe, scheduler);
  g_assert_cmpuint (probe->n_done, ==, 1);
  g_clear_pointer (&states, g_ptr_array_unref);
  states = bk_scheduler_dup_tasks (scheduler);
  g_assert_cmpstr (find_state (states, "by-hand")->last_error, ==, "Task was cancelled");
  g_assert_false (find_state (states, "by-hand")->running);

  /* The next trigger gets a fresh cancellable. */
  g_assert_true (trigger (scheduler, "by-hand", &error));
  settle (clock, probe, scheduler);
  g_assert_cmpuint (probe->n_started, ==, 2);
  g_assert_cmpuint (probe->n_done, ==, 1);

  /* Shutdown aborts it. */
  stop_backend (&backend);
  g_assert_cmpuint (probe->n_done, ==, 2);
}

/* A trigger bypasses the frequency and the initial delay. */
static void
test_scheduler_trigger_early (void)
{
  g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_interval (365 * 86400000ull);
  g_autoptr(Probe) probe = probe_new (NULL, PROBE_COMPLETE);
  Spec spec = { "yearly", schedule, probe_run, probe };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  BkMockClock *clock;
  BkScheduler *scheduler;

  bk_task_schedule_set_initial_delay (schedule, 365 * 86400000ull);
  backend = start_backend (NULL, sched_plugin_new (&spec), NULL);
  clock = clock_of (backend);
  scheduler = scheduler_of (backend);
  settle (clock, probe, scheduler);
  g_assert_cmpuint (probe->n_started, ==, 0);
  g_assert_true (trigger (scheduler, "yearly", &error));
  g_assert_no_error (error);
  settle (clock, probe, scheduler);
  g_assert_cmpuint (probe->n_done, ==, 1);
  stop_backend (&backend);
}

/* The HTTP routes ------------------------------------------------------------ */

static void
test_scheduler_http (void)
{
  g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_manual ();
  g_autoptr(BkTaskSchedule) every = bk_task_schedule_new_interval (300000);
  g_autoptr(Probe) probe = probe_new (NULL, PROBE_UNTIL_CANCEL);
  g_autoptr(Probe) other = probe_new (NULL, PROBE_COMPLETE);
  Spec spec = { "by-hand", schedule, probe_run, probe };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(BkTestResponse) res = NULL;
  g_autoptr(GError) error = NULL;
  BkMockClock *clock;
  BkScheduler *scheduler;

  bk_task_schedule_set_timeout (every, 60000);
  bk_task_schedule_set_scope (every, BK_SCHEDULER_SCOPE_LOCAL);
  backend = start_backend (NULL, sched_plugin_new (&spec), NULL);
  clock = clock_of (backend);
  probe->clock = other->clock = BK_CLOCK (clock);
  scheduler = scheduler_of (backend);
  g_assert_true (bk_scheduler_schedule_task (scheduler, "every-5m", every, probe_run, other, NULL, &error));
  settle (clock, other, scheduler);

  res = bk_test_backend_request (backend, "GET", "/api/sched/.backstage/scheduler/v1/tasks", NULL, &error);
  g_assert_no_error (error);
  bk_test_assert_status (res, 200);
  bk_test_assert_json_equal (res,
    "{\"tasks\":["
    "{\"taskId\":\"by-hand\",\"pluginId\":\"sched\",\"scope\":\"global\","
    "\"settings\":{\"version\":2,\"cadence\":\"manual\",\"timeoutAfterDuration\":\"PT5M\"},"
    "\"taskState\":{\"status\":\"idle\"},\"workerState\":{\"status\":\"idle\"}},"
    "{\"taskId\":\"every-5m\",\"pluginId\":\"sched\",\"scope\":\"local\","
    "\"settings\":{\"version\":2,\"cadence\":\"PT5M\",\"timeoutAfterDuration\":\"PT1M\"},"
    "\"taskState\":{\"status\":\"idle\",\"startsAt\":\"2024-01-01T00:05:00.000Z\","
    "\"lastRunEndedAt\":\"2024-01-01T00:00:00.000Z\"},\"workerState\":{\"status\":\"idle\"}}]}");
  g_clear_object (&res);

  res = bk_test_backend_request (backend, "POST", "/api/sched/.backstage/scheduler/v1/tasks/nope/trigger", NULL, &error);
  bk_test_assert_status (res, 404);
  g_clear_object (&res);

  res = bk_test_backend_request (backend, "POST", "/api/sched/.backstage/scheduler/v1/tasks/by-hand/trigger", NULL, &error);
  bk_test_assert_status (res, 200);
  g_clear_object (&res);
  settle (clock, probe, scheduler);
  g_assert_cmpuint (probe->n_started, ==, 1);

  res = bk_test_backend_request (backend, "POST", "/api/sched/.backstage/scheduler/v1/tasks/by-hand/trigger", NULL, &error);
  bk_test_assert_status (res, 409);
  g_assert_nonnull (strstr (bk_test_response_get_body_text (res), "Task by-hand is currently running"));
  g_clear_object (&res);

  res = bk_test_backend_request (backend, "GET", "/api/sched/.backstage/scheduler/v1/tasks", NULL, &error);
  g_assert_nonnull (strstr (bk_test_response_get_body_text (res),
                            "\"taskState\":{\"status\":\"running\",\"startedAt\":\"2024-01-01T00:00:00.000Z\","
                            "\"timesOutAt\":\"2024-01-01T00:05:00.000Z\"},\"workerState\":{\"status\":\"running\"}"));
  g_clear_object (&res);

  res = bk_test_backend_request (backend, "POST", "/api/sched/.backstage/scheduler/v1/tasks/by-hand/cancel", NULL, &error);
  bk_test_assert_status (res, 200);
  g_clear_object (&res);
  settle (clock, probe, scheduler);
  res = bk_test_backend_request (backend, "POST", "/api/sched/.backstage/scheduler/v1/tasks/by-hand/cancel", NULL, &error);
  bk_test_assert_status (res, 409);
  g_clear_object (&res);

  res = bk_test_backend_request (backend, "GET", "/api/sched/.backstage/scheduler/v1/tasks", NULL, &error);
  g_assert_nonnull (strstr (bk_test_response_get_body_text (res), "\"lastRunError\":\"Task was cancelled\""));

  stop_backend (&backend);
}

/* Validation ------------------------------------------------------------------ */

static void
test_scheduler_invalid (void)
{
  g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_manual ();
  g_autoptr(Probe) probe = probe_new (NULL, PROBE_COMPLETE);
  Spec spec = { "first", schedule, probe_run, probe };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  BkScheduler *scheduler;
  static const char *const bad_ids[] = { "", "-x", "a b", "a/b", "ümlaut", "x?" };
  static const char *const good_ids[] = { "a", "Refresh", "catalog:refresh", "a.b_c-d", "0" };

  backend = start_backend (NULL, sched_plugin_new (&spec), NULL);
  scheduler = scheduler_of (backend);

  for (gsize i = 0; i < G_N_ELEMENTS (bad_ids); i++)
    {
      g_autofree char *expected = g_strdup_printf ("Invalid task id '%s', must match the pattern", bad_ids[i]);

      g_assert_false (bk_scheduler_schedule_task (scheduler, bad_ids[i], schedule, probe_run, probe, NULL, &error));
      g_assert_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT);
      g_assert_true (g_str_has_prefix (error->message, expected));
      g_clear_error (&error);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (good_ids); i++)
    g_assert_true (bk_scheduler_is_valid_task_id (good_ids[i], NULL));
  {
    g_autofree char *long_id = g_strnfill (201, 'a');

    g_assert_false (bk_scheduler_is_valid_task_id (long_id, NULL));
    long_id[200] = '\0';
    g_assert_true (bk_scheduler_is_valid_task_id (long_id, NULL));
  }

  g_assert_false (bk_scheduler_schedule_task (scheduler, "first", schedule, probe_run, probe, NULL, &error));
  g_assert_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_CONFLICT);
  g_assert_cmpstr (error->message, ==, "Task 'first' is already scheduled by plugin 'sched'");
  g_clear_error (&error);

  g_assert_null (bk_task_schedule_new_cron ("*/5 * * *", NULL, &error));
  g_assert_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT);
  g_assert_cmpstr (error->message, ==, "Invalid cron expression '*/5 * * *', expected 5 or 6 fields, got 4");
  g_clear_error (&error);

  stop_backend (&backend);
}

/* A duplicate id fails the plugin's init, naming the task. */
static gboolean
duplicate_init (BkDeps   *deps,
                gpointer  user_data,
                GError  **error)
{
  g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_manual ();
  BkScheduler *scheduler = bk_deps_get (deps, BK_SERVICE_SCHEDULER);

  return bk_scheduler_schedule_task (scheduler, "twice", schedule, probe_run, user_data, NULL, error)
      && bk_scheduler_schedule_task (scheduler, "twice", schedule, probe_run, user_data, NULL, error);
}

static void
duplicate_register (BkPluginEnv *env,
                    gpointer     user_data)
{
  bk_plugin_env_register_init (env, duplicate_init, user_data, NULL, BK_SERVICE_SCHEDULER, NULL);
}

static void
test_scheduler_duplicate (void)
{
  g_autoptr(Probe) probe = probe_new (NULL, PROBE_COMPLETE);
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GError) error = NULL;

  backend = bk_test_backend_start (&error, bk_plugin_new ("dup", duplicate_register, probe, NULL), NULL);
  g_assert_null (backend);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "Plugin 'dup' startup failed"));
  g_assert_nonnull (strstr (error->message, "Task 'twice' is already scheduled by plugin 'dup'"));
}

typedef struct
{
  const char     *name;
  const char     *config;
  BkTaskFrequency frequency;
  const char     *cadence;
  guint64         timeout;
  guint64         initial_delay;
  BkSchedulerScope scope;
  const char     *error;   /* NULL: valid */
} ConfigCase;

static const ConfigCase config_cases[] = {
  { "cron", "{\"t\":{\"frequency\":{\"cron\":\"*/5 * * * *\"},\"timeout\":{\"minutes\":3}}}",
    BK_TASK_FREQUENCY_CRON, "*/5 * * * *", 180000, 0, BK_SCHEDULER_SCOPE_GLOBAL, NULL },
  { "object", "{\"t\":{\"frequency\":{\"minutes\":5},\"timeout\":\"PT30S\",\"initialDelay\":{\"seconds\":10},\"scope\":\"local\"}}",
    BK_TASK_FREQUENCY_INTERVAL, "PT5M", 30000, 10000, BK_SCHEDULER_SCOPE_LOCAL, NULL },
  { "ms-string", "{\"t\":{\"frequency\":\"90s\"}}",
    BK_TASK_FREQUENCY_INTERVAL, "PT1M30S", 300000, 0, BK_SCHEDULER_SCOPE_GLOBAL, NULL },
  { "number", "{\"t\":{\"frequency\":1500}}",
    BK_TASK_FREQUENCY_INTERVAL, "PT1.5S", 300000, 0, BK_SCHEDULER_SCOPE_GLOBAL, NULL },
  { "manual", "{\"t\":{\"frequency\":{\"trigger\":\"manual\"},\"timeout\":{\"hours\":1}}}",
    BK_TASK_FREQUENCY_MANUAL, "manual", 3600000, 0, BK_SCHEDULER_SCOPE_GLOBAL, NULL },
  { "cron-zone", "{\"t\":{\"frequency\":{\"cron\":\"0 9 * * *\",\"timeZone\":\"Europe/Paris\"}}}",
    BK_TASK_FREQUENCY_CRON, "0 9 * * *", 300000, 0, BK_SCHEDULER_SCOPE_GLOBAL, NULL },
  { "missing", "{\"t\":{\"timeout\":{\"minutes\":3}}}", 0, NULL, 0, 0, 0,
    "Missing required config value at 't.frequency'" },
  { "bad-cron", "{\"t\":{\"frequency\":{\"cron\":\"61 * * * *\"}}}", 0, NULL, 0, 0, 0,
    "Invalid cron expression '61 * * * *', minute field '61' is out of range 0-59, in config at 't.frequency.cron'" },
  { "bad-zone", "{\"t\":{\"frequency\":{\"cron\":\"* * * * *\",\"timeZone\":\"Nowhere/City\"}}}", 0, NULL, 0, 0, 0,
    "Invalid cron expression '* * * * *', unknown time zone 'Nowhere/City'" },
  { "bad-duration", "{\"t\":{\"frequency\":\"5 sex\"}}", 0, NULL, 0, 0, 0,
    "Invalid duration '5 sex' in config at 't.frequency'" },
  { "zero", "{\"t\":{\"frequency\":{\"minutes\":0}}}", 0, NULL, 0, 0, 0,
    "Invalid duration in config at 't.frequency' in " },
  { "bad-timeout", "{\"t\":{\"frequency\":1000,\"timeout\":{\"mins\":3}}}", 0, NULL, 0, 0, 0,
    "Invalid duration in config at 't.timeout'" },
  { "bad-scope", "{\"t\":{\"frequency\":1000,\"scope\":\"cluster\"}}", 0, NULL, 0, 0, 0,
    "Only \"global\" or \"local\" are allowed for the scope in config at 't.scope'" },
  { "bad-trigger", "{\"t\":{\"frequency\":{\"trigger\":\"sometimes\"}}}", 0, NULL, 0, 0, 0,
    "Invalid frequency in config at 't.frequency.trigger'" },
};

static void
test_scheduler_config (gconstpointer data)
{
  const ConfigCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BkConfig) config = bk_config_new_from_json (c->config, "app-config.yaml", &error);
  g_autoptr(BkTaskSchedule) schedule = NULL;
  g_autofree char *cadence = NULL;

  g_assert_no_error (error);
  schedule = bk_task_schedule_new_from_config (config, "t", &error);
  if (c->error != NULL)
    {
      g_assert_null (schedule);
      g_assert_nonnull (error);
      if (strstr (error->message, c->error) == NULL)
        g_error ("'%s' does not contain '%s'", error->message, c->error);
      return;
    }
  g_assert_no_error (error);
  g_assert_cmpint (bk_task_schedule_get_frequency (schedule), ==, c->frequency);
  cadence = bk_task_schedule_dup_cadence (schedule);
  g_assert_cmpstr (cadence, ==, c->cadence);
  g_assert_cmpuint (bk_task_schedule_get_timeout (schedule), ==, c->timeout);
  g_assert_cmpuint (bk_task_schedule_get_initial_delay (schedule), ==, c->initial_delay);
  g_assert_cmpint (bk_task_schedule_get_scope (schedule), ==, c->scope);
}

/* Global tasks ------------------------------------------------------------------ */

/* On the plugin's own SQLite database (the default of a test backend). */
static void
test_scheduler_global_sqlite (void)
{
  g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_interval (1000);
  g_autoptr(Probe) probe = probe_new (NULL, PROBE_COMPLETE);
  Spec spec = { "global", schedule, probe_run, probe };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(BkDatabaseResult) rows = NULL;
  g_autoptr(GError) error = NULL;
  BkMockClock *clock;
  BkScheduler *scheduler;
  BkDatabase *database;

  backend = start_backend (NULL, sched_plugin_new (&spec), NULL);
  clock = clock_of (backend);
  probe->clock = BK_CLOCK (clock);
  scheduler = scheduler_of (backend);
  settle (clock, probe, scheduler);
  for (int i = 0; i < 9; i++)
    advance (clock, probe, scheduler, 1000);
  g_assert_cmpuint (probe->n_done, ==, 10);
  for (guint i = 0; i < probe->starts->len; i++)
    g_assert_cmpint (g_array_index (probe->starts, gint64, i), ==, START_MS + 1000 * i);

  /* The row: idle, the next run one period after the last. */
  database = bk_test_backend_get_service (backend, BK_SERVICE_DATABASE, "sched");
  rows = bk_database_query_sync (database,
                                 "SELECT next_run_start_at, current_run_ticket, last_run_started_at "
                                 "FROM bk_scheduler_tasks WHERE id = 'global'", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bk_database_result_get_n_rows (rows), ==, 1);
  g_assert_cmpint (bk_database_result_get_int64 (rows, 0, "next_run_start_at"), ==, START_MS + 10000);
  g_assert_true (bk_database_result_is_null (rows, 0, "current_run_ticket"));
  g_assert_cmpint (bk_database_result_get_int64 (rows, 0, "last_run_started_at"), ==, START_MS + 9000);

  stop_backend (&backend);
}

/* The holder's lock: its expiry, or -1 when nobody holds it. */
static gint64
lock_expiry (BkTestBackend *backend,
             const char    *id)
{
  BkDatabase *database = bk_test_backend_get_service (backend, BK_SERVICE_DATABASE, "sched");
  g_autoptr(BkDatabaseResult) rows = NULL;
  g_autoptr(GError) error = NULL;

  rows = bk_database_query_sync (database,
                                 "SELECT current_run_ticket, current_run_expires_at FROM bk_scheduler_tasks "
                                 "WHERE id = $1", g_variant_new ("(s)", id), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bk_database_result_get_n_rows (rows), ==, 1);
  if (bk_database_result_is_null (rows, 0, "current_run_ticket"))
    return -1;
  return bk_database_result_get_int64 (rows, 0, "current_run_expires_at");
}

/* A holder whose lock was taken over (here: the row's ticket changed) sees
 * it at its next renewal and has its run cancelled; it leaves the row. */
static void
test_scheduler_lock_lost (void)
{
  g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_interval (60000);
  g_autoptr(Probe) probe = probe_new (NULL, PROBE_UNTIL_CANCEL);
  Spec spec = { "held", schedule, probe_run, probe };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(BkDatabaseResult) rows = NULL;
  g_autoptr(GPtrArray) states = NULL;
  g_autoptr(GError) error = NULL;
  BkTaskState *state;
  BkMockLogger *logger;
  BkMockClock *clock;
  BkScheduler *scheduler;
  BkDatabase *database;

  bk_task_schedule_set_timeout (schedule, 60000);
  backend = start_backend ("{\"backend\":{\"scheduler\":{\"lockLease\":\"3s\"}}}",
                           sched_plugin_new (&spec), NULL);
  clock = clock_of (backend);
  probe->clock = BK_CLOCK (clock);
  scheduler = scheduler_of (backend);
  logger = bk_test_backend_get_service (backend, BK_SERVICE_LOGGER, "sched");
  g_assert_true (BK_IS_MOCK_LOGGER (logger));
  database = bk_test_backend_get_service (backend, BK_SERVICE_DATABASE, "sched");
  settle (clock, probe, scheduler);
  g_assert_cmpuint (probe->n_started, ==, 1);
  /* The claim takes one lease, not the timeout. */
  g_assert_cmpint (lock_expiry (backend, "held"), ==, START_MS + 3000);

  /* Renewed every second while it runs. */
  advance (clock, probe, scheduler, 1000);
  g_assert_cmpint (lock_expiry (backend, "held"), ==, START_MS + 4000);
  advance (clock, probe, scheduler, 1000);
  g_assert_cmpint (lock_expiry (backend, "held"), ==, START_MS + 5000);

  /* Another instance's ticket in the row. */
  rows = bk_database_query_sync (database,
                                 "UPDATE bk_scheduler_tasks SET current_run_ticket = 'stolen' WHERE id = 'held'",
                                 NULL, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&rows);
  advance (clock, probe, scheduler, 999);
  g_assert_cmpuint (probe->n_done, ==, 0);

  /* The renewal at 3 s finds no row of its own: the run is cancelled. */
  advance (clock, probe, scheduler, 1);
  g_assert_cmpuint (probe->n_done, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (probe->errors, 0), ==, "cancelled");
  g_assert_cmpuint (bk_mock_logger_count (logger, BK_LOG_LEVEL_WARN, "Task 'held' lost its lock*"), ==, 1);
  states = bk_scheduler_dup_tasks (scheduler);
  state = find_state (states, "held");
  g_assert_cmpstr (state->last_error, ==, "Task lost its lock");
  g_assert_cmpint (state->last_run_ended_at, ==, START_MS + 3000);
  /* The row is the other holder's: untouched. */
  rows = bk_database_query_sync (database,
                                 "SELECT current_run_ticket, current_run_expires_at FROM bk_scheduler_tasks "
                                 "WHERE id = 'held'", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (bk_database_result_get_string (rows, 0, "current_run_ticket"), ==, "stolen");
  g_assert_cmpint (bk_database_result_get_int64 (rows, 0, "current_run_expires_at"), ==, START_MS + 5000);
  g_assert_cmpuint (probe->n_started, ==, 1);

  stop_backend (&backend);
}

/* backend.scheduler.lockLease: a duration, longer than 0. */
static void
test_scheduler_lease_config (void)
{
  static const struct { const char *value; const char *message; } cases[] = {
    { "\"5 sex\"", "*core.scheduler*Invalid duration '5 sex' in config at 'backend.scheduler.lockLease'*" },
    { "0", "*core.scheduler*Invalid scheduler config at 'backend.scheduler.lockLease'*must be longer than 0 ms*" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_interval (1000);
      Spec spec = { "t", schedule, probe_run, NULL };
      g_autoptr(BkTestBackend) backend = bk_test_backend_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *config = g_strdup_printf ("{\"backend\":{\"scheduler\":{\"lockLease\":%s}}}",
                                                 cases[i].value);

      bk_test_backend_add (backend, bk_mock_root_config_factory_new (config));
      bk_test_backend_add (backend, sched_plugin_new (&spec));
      /* The backend's startup error wraps the factory's. */
      g_assert_false (bk_test_backend_launch (backend, &error));
      g_assert_nonnull (error);
      if (!g_pattern_match_simple (cases[i].message, error->message))
        g_error ("unexpected message: %s", error->message);
    }
}

/* Two instances on one PostgreSQL ---------------------------------------------- */

/* A private PostgreSQL database; @lease_ms, when not 0, is
 * backend.scheduler.lockLease. */
static char *
pg_config (guint64 lease_ms)
{
  g_autoptr(GError) error = NULL;
  BkTestPostgres *postgres = bk_test_postgres_get (&error);
  g_autofree char *conninfo = NULL;
  g_autofree char *quoted = NULL;
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);

  if (postgres == NULL)
    {
      g_test_skip (error->message);
      return NULL;
    }
  conninfo = bk_test_postgres_create_database (postgres, &error);
  g_assert_no_error (error);
  json_node_set_string (node, conninfo);
  quoted = json_to_string (node, FALSE);
  if (lease_ms == 0)
    return g_strdup_printf ("{\"backend\":{\"database\":{\"client\":\"pg\",\"pluginDivisionMode\":\"schema\","
                            "\"connection\":%s}}}", quoted);
  return g_strdup_printf ("{\"backend\":{\"database\":{\"client\":\"pg\",\"pluginDivisionMode\":\"schema\","
                          "\"connection\":%s},\"scheduler\":{\"lockLease\":%" G_GUINT64_FORMAT "}}}",
                          quoted, lease_ms);
}

typedef struct
{
  BkMockClock   *clock;
  Probe         *probe;
  ProbeRef       refs[2];
  Spec           specs[2];
  BkTestBackend *backends[2];
  BkScheduler   *schedulers[2];
} Pair;

static void
pair_start (Pair           *pair,
            const char     *config,
            BkTaskSchedule *schedule)
{
  pair->clock = bk_mock_clock_new ();
  pair->probe = probe_new (BK_CLOCK (pair->clock), PROBE_COMPLETE);
  for (int i = 0; i < 2; i++)
    {
      pair->refs[i] = (ProbeRef) { pair->probe, i, FALSE, -1 };
      pair->specs[i] = (Spec) { "shared", schedule, probe_ref_run, &pair->refs[i] };
      /* One after the other: the second finds the schema made. */
      pair->backends[i] = start_backend (config, sched_plugin_new (&pair->specs[i]),
                                         shared_clock_factory_new (BK_CLOCK (pair->clock)), NULL);
      pair->schedulers[i] = scheduler_of (pair->backends[i]);
    }
  settle_all (pair->clock, pair->probe, pair->schedulers, 2);
}

static void
pair_advance (Pair    *pair,
              guint64  ms)
{
  bk_mock_clock_advance (pair->clock, ms);
  settle_all (pair->clock, pair->probe, pair->schedulers, 2);
}

static void
pair_stop (Pair *pair)
{
  probe_release_hung (pair->probe);
  for (int i = 0; i < 2; i++)
    stop_backend (&pair->backends[i]);
  g_clear_pointer (&pair->probe, probe_free);
  g_clear_object (&pair->clock);
}

static void
test_scheduler_two_instances (void)
{
  g_autofree char *config = pg_config (0);
  g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_interval (1000);
  Pair pair = { 0 };

  if (config == NULL)
    return;
  bk_task_schedule_set_timeout (schedule, 10000);
  pair_start (&pair, config, schedule);

  /* t = 0 … 59 s: one run per second, on one instance or the other. */
  g_assert_cmpuint (pair.probe->n_done, ==, 1);
  for (int t = 1; t < 60; t++)
    {
      pair_advance (&pair, 1000);
      g_assert_cmpuint (pair.probe->n_done, ==, t + 1);
    }
  /* The clock stands at 59.999 s: still 60. */
  pair_advance (&pair, 999);
  g_assert_cmpuint (pair.probe->n_started, ==, 60);
  g_assert_cmpuint (pair.probe->n_done, ==, 60);
  g_assert_cmpint (pair.probe->max_active, ==, 1);
  for (guint i = 0; i < 60; i++)
    g_assert_cmpint (g_array_index (pair.probe->starts, gint64, i), ==, START_MS + 1000 * i);

  pair_stop (&pair);
}

/* A holder that stops renewing its lock (it froze, or died) loses the
 * task one lease (3 s) after its last renewal, not at its timeout (60 s). */
static void
test_scheduler_takeover (void)
{
  g_autofree char *config = pg_config (3000);
  g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_interval (1000);
  Pair pair = { 0 };
  int dead;
  guint before;

  if (config == NULL)
    return;
  bk_task_schedule_set_timeout (schedule, 60000);
  pair_start (&pair, config, schedule);
  for (int t = 1; t < 5; t++)
    pair_advance (&pair, 1000);
  g_assert_cmpuint (pair.probe->n_done, ==, 5);

  /* t = 5 s: whichever instance runs it dies in the run. */
  pair.refs[0].hang_next = pair.refs[1].hang_next = TRUE;
  pair_advance (&pair, 1000);
  g_assert_cmpuint (pair.probe->n_started, ==, 6);
  dead = pair.refs[0].hung_instance >= 0 ? 0 : 1;
  g_assert_cmpint (pair.refs[dead].hung_instance, ==, dead);
  pair.refs[0].hang_next = pair.refs[1].hang_next = FALSE;
  g_assert_cmpuint (pair.probe->hung->len, ==, 1);
  _bk_scheduler_pause_renewals (pair.schedulers[dead], TRUE);

  /* Its lock (claimed at 5 s, never renewed) holds until 8 s: nothing
   * runs at 6 and 7 s. */
  pair_advance (&pair, 1000);
  pair_advance (&pair, 1000);
  g_assert_cmpuint (pair.probe->n_started, ==, 6);

  /* At 8 s the survivor takes over: the abandoned period again, then the
   * ones missed since, one after the other, none lost. */
  before = pair.probe->n_started;
  pair_advance (&pair, 1000);
  g_assert_cmpuint (pair.probe->n_started, ==, before + 4);   /* 5, 6, 7, 8 */
  for (guint i = before; i < pair.probe->n_started; i++)
    g_assert_cmpint (g_array_index (pair.probe->starts, gint64, i), ==, START_MS + 8000);

  /* Then once a second again. */
  for (int t = 9; t <= 12; t++)
    {
      pair_advance (&pair, 1000);
      g_assert_cmpuint (pair.probe->n_started, ==, before + 4 + (t - 8));
    }
  /* 13 periods (0 … 12 s), the abandoned one twice; never two at once. */
  g_assert_cmpuint (pair.probe->n_started, ==, 14);
  g_assert_cmpint (pair.probe->max_active, ==, 1);

  pair_stop (&pair);
}

/* A run longer than many leases keeps its lock by renewing it: the other
 * instance never takes it over, runs never overlap. */
static void
test_scheduler_lease_renewed (void)
{
  g_autofree char *config = pg_config (3000);
  g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_interval (1000);
  Pair pair = { 0 };
  int holder;

  if (config == NULL)
    return;
  bk_task_schedule_set_timeout (schedule, 60000);
  pair_start (&pair, config, schedule);
  g_assert_cmpuint (pair.probe->n_done, ==, 1);

  /* t = 1 s: the run lasts 20 s (seven leases). */
  pair.refs[0].hang_next = pair.refs[1].hang_next = TRUE;
  pair_advance (&pair, 1000);
  pair.refs[0].hang_next = pair.refs[1].hang_next = FALSE;
  g_assert_cmpuint (pair.probe->n_started, ==, 2);
  holder = pair.refs[0].hung_instance >= 0 ? 0 : 1;
  for (int t = 2; t <= 21; t++)
    {
      pair_advance (&pair, 1000);
      g_assert_cmpuint (pair.probe->n_started, ==, 2);
      g_assert_cmpint (lock_expiry (pair.backends[holder], "shared"), >, START_MS + 1000 * t);
    }

  /* It ends: the task goes on from there, on either instance. */
  probe_release_hung (pair.probe);
  settle_all (pair.clock, pair.probe, pair.schedulers, 2);
  g_assert_cmpint (lock_expiry (pair.backends[holder], "shared"), ==, -1);
  pair_advance (&pair, 1000);
  g_assert_cmpuint (pair.probe->n_started, >, 2);
  g_assert_cmpint (pair.probe->max_active, ==, 1);

  pair_stop (&pair);
}

static void
test_scheduler_local_on_both (void)
{
  g_autofree char *config = pg_config (0);
  g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_interval (1000);
  Pair pair = { 0 };

  if (config == NULL)
    return;
  bk_task_schedule_set_scope (schedule, BK_SCHEDULER_SCOPE_LOCAL);
  pair_start (&pair, config, schedule);
  for (int t = 1; t < 10; t++)
    pair_advance (&pair, 1000);
  /* Every instance runs a local task: 10 periods, twice. */
  g_assert_cmpuint (pair.probe->n_done, ==, 20);
  pair_stop (&pair);
}

/* One test on real time: a holder process killed with SIGKILL. */

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  char **line = user_data;
  gsize length;

  *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, &length, NULL);
  if (*line == NULL)
    *line = g_strdup ("(eof)");
}

static void
on_exited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

static void
test_scheduler_sigkill (void)
{
  g_autofree char *config = pg_config (1000);
  g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_interval (1000);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) holder = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(Probe) probe = probe_new (NULL, PROBE_COMPLETE);
  g_autoptr(BkTestBackend) survivor = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *line = NULL;
  g_autofree char *helper = NULL;
  Spec spec = { "takeover", schedule, probe_run, probe };
  gboolean exited = FALSE;
  gint64 killed_at;
  const char *conninfo;
  BkScheduler *scheduler;

  if (config == NULL)
    return;
  root = json_from_string (config, &error);
  g_assert_no_error (error);
  conninfo = json_object_get_string_member (json_object_get_object_member (
    json_object_get_object_member (json_node_get_object (root), "backend"), "database"), "connection");

  /* The holder: claims the task and dies in its run. */
  {
    g_autofree char *relative = g_test_build_filename (G_TEST_BUILT, "scheduler-helper", NULL);

    helper = g_canonicalize_filename (relative, NULL);
  }
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_cwd (launcher, g_get_tmp_dir ());
  g_subprocess_launcher_setenv (launcher, "APP_CONFIG_backend_database_client", "pg", TRUE);
  g_subprocess_launcher_setenv (launcher, "APP_CONFIG_backend_database_pluginDivisionMode", "schema", TRUE);
  g_subprocess_launcher_setenv (launcher, "APP_CONFIG_backend_database_connection", conninfo, TRUE);
  g_subprocess_launcher_setenv (launcher, "APP_CONFIG_backend_listen_port", "0", TRUE);
  /* A lease of 1 s, a timeout of a minute: the lease decides. */
  g_subprocess_launcher_setenv (launcher, "APP_CONFIG_backend_scheduler_lockLease", "1000", TRUE);
  g_subprocess_launcher_setenv (launcher, "SCHEDULER_HELPER_TIMEOUT_MS", "60000", TRUE);
  holder = g_subprocess_launcher_spawn (launcher, &error, helper, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (holder));
  g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, NULL, on_line, &line);
  test_wait_for_pointer ((gpointer *) &line, "the holder to run its task");
  g_assert_cmpstr (line, ==, "running");

  g_subprocess_send_signal (holder, SIGKILL);
  g_subprocess_wait_async (holder, NULL, on_exited, &exited);
  test_wait_for (&exited, "the holder to die");
  killed_at = g_get_monotonic_time ();

  /* The survivor, on real time: it sees the lock and takes the task over
   * when it expires, within the 1 s lease of the holder's run (at most
   * 1 s after its last renewal), long before the holder's timeout. */
  survivor = start_backend (config, sched_plugin_new (&spec),
                            bk_service_factory_new (BK_SERVICE_ROOT_CLOCK, create_real_clock, NULL, NULL, NULL),
                            NULL);
  scheduler = scheduler_of (survivor);
  {
    GSource *guard = test_guard_new (NULL, "the survivor to take the task over");

    while (probe->n_done == 0)
      g_main_context_iteration (NULL, TRUE);
    test_guard_free (guard);
  }
  g_assert_cmpuint (probe->n_started, ==, 1);
  g_assert_cmpint (g_get_monotonic_time () - killed_at, <, 5 * G_USEC_PER_SEC);
  g_assert_true (BK_IS_SCHEDULER (scheduler));

  stop_backend (&survivor);
}

/* The mock scheduler ------------------------------------------------------------ */

static void
test_scheduler_mock (void)
{
  g_autoptr(BkTaskSchedule) every = bk_task_schedule_new_interval (1000);
  g_autoptr(BkTaskSchedule) manual = bk_task_schedule_new_manual ();
  g_autoptr(Probe) probe = probe_new (NULL, PROBE_COMPLETE);
  g_autoptr(Probe) manual_probe = probe_new (NULL, PROBE_COMPLETE);
  Spec spec = { "every", every, probe_run, probe };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  BkMockScheduler *scheduler;

  backend = start_backend (NULL, sched_plugin_new (&spec), bk_mock_scheduler_factory_new (BK_MOCK_SCHEDULER_NONE), NULL);
  scheduler = bk_test_backend_get_service (backend, BK_SERVICE_SCHEDULER, "sched");
  g_assert_true (BK_IS_MOCK_SCHEDULER (scheduler));
  g_assert_true (bk_scheduler_schedule_task (BK_SCHEDULER (scheduler), "manual", manual, probe_run,
                                             manual_probe, NULL, &error));

  /* Once at startup (the interval task, not the manual one). */
  if (bk_mock_scheduler_get_n_runs (scheduler, "every") == 0)
    g_assert_true (bk_mock_scheduler_wait_for_task (scheduler, "every", &error));
  g_assert_cmpuint (probe->n_done, ==, 1);
  g_assert_cmpuint (manual_probe->n_started, ==, 0);

  /* Time means nothing to it. */
  bk_mock_clock_advance (clock_of (backend), 3600000);
  test_settle ();
  g_assert_cmpuint (probe->n_started, ==, 1);

  g_assert_true (trigger (BK_SCHEDULER (scheduler), "manual", &error));
  g_assert_true (bk_mock_scheduler_wait_for_task (scheduler, "manual", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (manual_probe->n_done, ==, 1);
  g_assert_cmpuint (bk_mock_scheduler_get_n_runs (scheduler, "manual"), ==, 1);

  g_assert_false (trigger (BK_SCHEDULER (scheduler), "nope", &error));
  g_assert_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Cancel: the run's cancellable fires. */
  manual_probe->mode = PROBE_UNTIL_CANCEL;
  g_assert_true (trigger (BK_SCHEDULER (scheduler), "manual", &error));
  g_assert_false (trigger (BK_SCHEDULER (scheduler), "manual", &error));
  g_assert_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_true (bk_scheduler_cancel_task (BK_SCHEDULER (scheduler), "manual", &error));
  g_assert_true (bk_mock_scheduler_wait_for_task (scheduler, "manual", &error));
  g_assert_cmpuint (manual_probe->n_done, ==, 2);

  stop_backend (&backend);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/scheduler/interval", test_scheduler_interval);
  g_test_add_func ("/scheduler/cron/weekdays-time-zone", test_scheduler_cron);
  g_test_add_func ("/scheduler/cron/month-end-leap-day", test_scheduler_cron_month_end);
  g_test_add_func ("/scheduler/initial-delay", test_scheduler_initial_delay);
  g_test_add_data_func ("/scheduler/timeout/local", GINT_TO_POINTER (FALSE), test_scheduler_timeout);
  g_test_add_data_func ("/scheduler/timeout/global", GINT_TO_POINTER (TRUE), test_scheduler_timeout);
  g_test_add_data_func ("/scheduler/errors-recorded/local", GINT_TO_POINTER (FALSE), test_scheduler_errors_recorded);
  g_test_add_data_func ("/scheduler/errors-recorded/global", GINT_TO_POINTER (TRUE), test_scheduler_errors_recorded);
  g_test_add_data_func ("/scheduler/trigger-cancel/local", GINT_TO_POINTER (FALSE), test_scheduler_trigger_and_cancel);
  g_test_add_data_func ("/scheduler/trigger-cancel/global", GINT_TO_POINTER (TRUE), test_scheduler_trigger_and_cancel);
  g_test_add_func ("/scheduler/trigger-early", test_scheduler_trigger_early);
  g_test_add_func ("/scheduler/http", test_scheduler_http);
  g_test_add_func ("/scheduler/invalid", test_scheduler_invalid);
  g_test_add_func ("/scheduler/duplicate", test_scheduler_duplicate);
  for (gsize i = 0; i < G_N_ELEMENTS (config_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/scheduler/config/%s", config_cases[i].name);
      g_test_add_data_func (path, &config_cases[i], test_scheduler_config);
    }
  g_test_add_func ("/scheduler/global/sqlite", test_scheduler_global_sqlite);
  g_test_add_func ("/scheduler/global/two-instances", test_scheduler_two_instances);
  g_test_add_func ("/scheduler/global/lock-lost", test_scheduler_lock_lost);
  g_test_add_func ("/scheduler/global/lease-config", test_scheduler_lease_config);
  g_test_add_func ("/scheduler/global/lease-renewed", test_scheduler_lease_renewed);
  g_test_add_func ("/scheduler/global/takeover", test_scheduler_takeover);
  g_test_add_func ("/scheduler/global/sigkill", test_scheduler_sigkill);
  g_test_add_func ("/scheduler/local-on-both-instances", test_scheduler_local_on_both);
  g_test_add_func ("/scheduler/mock", test_scheduler_mock);

  return g_test_run ();
}
