/* bk-default-scheduler.c: the default core.scheduler.
 *
 * Local tasks run on timers of core.rootClock (monotonic time for
 * intervals, wall time for cron). Global tasks are rows of the plugin's
 * database table bk_scheduler_tasks: every instance polls the row on the
 * clock and claims a due run with one atomic UPDATE that sets a ticket and
 * a lock expiry (now + lease, the lease being the shorter of the task's
 * timeout and backend.scheduler.lockLease); the winner renews the lock every
 * third of a lease while the run goes on, and releases the row with the next
 * planned start. An expired lock (its holder died) is taken over. Times are
 * milliseconds since the epoch on the clock's wall time.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "libbackend.h"
#include "bk-scheduler-private.h"
#include "bk-services-private.h"
#include "bk-duration-private.h"

#include <string.h>

/* How often an instance looks at a global task's row at most, to see
 * triggers and lock changes made by other instances. */
#define POLL_INTERVAL_MS   G_GINT64_CONSTANT (5000)
/* How long the shutdown hook waits for runs and database calls. */
#define SHUTDOWN_WAIT_MS   G_GUINT64_CONSTANT (20000)
/* The longest lock a claim or a renewal takes, unless configured. */
#define DEFAULT_LEASE_MS   G_GUINT64_CONSTANT (30000)
#define LEASE_KEY          "backend.scheduler.lockLease"
#define LOST_LOCK          "Task lost its lock"

#define TASKS_COLUMNS "next_run_start_at, current_run_ticket, current_run_expires_at, " \
                      "last_run_started_at, last_run_ended_at, last_run_error"

static const BkDatabaseMigration scheduler_migrations[] = {
  { .name = "bk_scheduler_0001_tasks",
    .sql = "CREATE TABLE bk_scheduler_tasks ("
           "  id TEXT PRIMARY KEY,"
           "  settings_json TEXT NOT NULL,"
           "  next_run_start_at BIGINT,"
           "  current_run_ticket TEXT,"
           "  current_run_started_at BIGINT,"
           "  current_run_expires_at BIGINT,"
           "  last_run_started_at BIGINT,"
           "  last_run_ended_at BIGINT,"
           "  last_run_error TEXT)" },
};

#define BK_TYPE_DEFAULT_SCHEDULER (bk_default_scheduler_get_type ())
G_DECLARE_FINAL_TYPE (BkDefaultScheduler, bk_default_scheduler, BK, DEFAULT_SCHEDULER, GObject)

typedef enum
{
  MIGRATION_NONE,
  MIGRATION_RUNNING,
  MIGRATION_DONE,
  MIGRATION_FAILED,
} MigrationState;

typedef struct
{
  BkDefaultScheduler  *scheduler;   /* (unowned) */
  char                *id;
  BkTaskSchedule      *schedule;
  gboolean             global;
  BkSchedulerTaskFunc  func;
  gpointer             user_data;
  GDestroyNotify       destroy;

  guint                timer_id;
  gint64               timer_due;    /* monotonic ms of timer_id */
  gboolean             begun;
  gboolean             persisted;    /* global: the row exists */
  gboolean             claiming;     /* global: a claim is in flight */
  gboolean             poll_again;   /* global: triggered during the claim */
  gboolean             trigger_pending;
  gint64               not_before;   /* monotonic ms: the initial delay */

  /* The run in progress on this instance. */
  GCancellable        *run_cancellable;
  const char          *cancel_reason;
  guint                timeout_id;
  char                *ticket;
  guint                renew_id;     /* global: the lease's renewal timer */
  gint64               renew_due;    /* monotonic ms of renew_id */
  gboolean             renewing;     /* global: a renewal is in flight */
  gboolean             lock_lost;    /* global: a renewal found the lock gone */
  gint64               planned;      /* local interval: monotonic ms; else wall ms */

  /* State, as last known. */
  gboolean             running_elsewhere;
  gint64               next_run;     /* local interval: monotonic ms; else wall ms; -1 none */
  gint64               last_start;
  gint64               last_end;
  char                *last_error;
} Task;

struct _BkDefaultScheduler
{
  GObject         parent_instance;

  char           *plugin_id;
  BkClock        *clock;
  BkDatabase     *database;
  BkLogger       *logger;
  guint64         lease;         /* backend.scheduler.lockLease, ms */
  gboolean        renewals_paused; /* tests: as if this instance froze */
  GPtrArray      *tasks;         /* (element-type Task) */
  GHashTable     *by_id;         /* id → Task */
  gboolean        started;
  gboolean        stopping;
  MigrationState  migration;
  guint           n_calls;       /* database calls in flight */
  guint           n_runs;        /* runs in flight */
  GTask          *shutdown;      /* (nullable) the shutdown hook */
  guint           shutdown_timer;
};

static void bk_default_scheduler_iface_init (BkSchedulerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkDefaultScheduler, bk_default_scheduler, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_SCHEDULER, bk_default_scheduler_iface_init))

static void task_begin   (Task *task);
static void task_poll    (Task *task);
static void task_run     (Task *task,
                          gint64 planned);
static void maybe_finish_shutdown (BkDefaultScheduler *self);

static gint64
now_wall (BkDefaultScheduler *self)
{
  return bk_clock_get_real_time (self->clock) / 1000;
}

static gint64
now_mono (BkDefaultScheduler *self)
{
  return bk_clock_get_monotonic_time (self->clock) / 1000;
}

/* The lock a claim or a renewal takes: at most the task's timeout. */
static gint64
task_lease (Task *task)
{
  return (gint64) MIN (task->scheduler->lease, bk_task_schedule_get_timeout (task->schedule));
}

static gboolean
is_local_interval (Task *task)
{
  return !task->global && bk_task_schedule_get_frequency (task->schedule) == BK_TASK_FREQUENCY_INTERVAL;
}

/* Now, on the clock a task's times are on. */
static gint64
task_now (Task *task)
{
  return is_local_interval (task) ? now_mono (task->scheduler) : now_wall (task->scheduler);
}

/* The wall time of a task's time value. */
static gint64
to_wall (Task   *task,
         gint64  value)
{
  if (value < 0 || !is_local_interval (task))
    return value;
  return now_wall (task->scheduler) + (value - now_mono (task->scheduler));
}

static void
task_free (Task *task)
{
  if (task->destroy != NULL)
    task->destroy (task->user_data);
  g_free (task->id);
  bk_task_schedule_unref (task->schedule);
  g_clear_object (&task->run_cancellable);
  g_free (task->ticket);
  g_free (task->last_error);
  g_free (task);
}

/* Timers ----------------------------------------------------------------- */

static void
task_cancel_timer (Task *task)
{
  if (task->timer_id != 0)
    bk_clock_cancel_timer (task->scheduler->clock, task->timer_id);
  task->timer_id = 0;
}

static void
on_timer (gpointer user_data)
{
  Task *task = user_data;

  task->timer_id = 0;
  if (task->scheduler->stopping)
    return;
  if (task->global)
    task_poll (task);
  else
    task_run (task, task->next_run);
}

/* Arms the task's timer for monotonic time @due. */
static void
task_arm (Task   *task,
          gint64  due)
{
  BkDefaultScheduler *self = task->scheduler;
  gint64 now = now_mono (self);

  task_cancel_timer (task);
  if (self->stopping)
    return;
  due = MAX (due, task->not_before);
  task->timer_due = MAX (due, now);
  task->timer_id = bk_clock_add_timer (self->clock, (guint64) (task->timer_due - now), on_timer, task, NULL);
}

/* The next planned start after a run planned at @planned (for global tasks
 * and cron: wall ms; for local intervals: monotonic ms), or -1. A global
 * task catches up on periods missed while the lock was held by a dead
 * instance, but never on periods older than one timeout. */
static gint64
task_next_after (Task   *task,
                 gint64  planned)
{
  BkTaskSchedule *schedule = task->schedule;
  gint64 timeout = (gint64) bk_task_schedule_get_timeout (schedule);
  gint64 now, floor;

  switch (bk_task_schedule_get_frequency (schedule))
    {
    case BK_TASK_FREQUENCY_INTERVAL:
      {
        gint64 interval = (gint64) bk_task_schedule_get_interval (schedule);
        gint64 next = planned + interval;

        if (!task->global)
          return MAX (next, now_mono (task->scheduler));
        now = now_wall (task->scheduler);
        floor = now - timeout;
        if (next < floor)
          next = planned + ((floor - planned + interval - 1) / interval) * interval;
        return next;
      }
    case BK_TASK_FREQUENCY_CRON:
      {
        BkCron *cron = _bk_task_schedule_get_cron_object (schedule);

        now = now_wall (task->scheduler);
        floor = task->global ? now - timeout : now;
        return _bk_cron_next_ms (cron, MAX (planned, floor - 1));
      }
    case BK_TASK_FREQUENCY_MANUAL:
    default:
      return -1;
    }
}

/* The first planned start of a task, when it begins. */
static gint64
task_first_start (Task *task)
{
  BkTaskSchedule *schedule = task->schedule;
  gint64 delay = (gint64) bk_task_schedule_get_initial_delay (schedule);

  if (task->trigger_pending)
    return task_now (task);
  switch (bk_task_schedule_get_frequency (schedule))
    {
    case BK_TASK_FREQUENCY_INTERVAL:
      return task_now (task) + delay;
    case BK_TASK_FREQUENCY_CRON:
      return _bk_cron_next_ms (_bk_task_schedule_get_cron_object (schedule),
                               now_wall (task->scheduler) + delay);
    case BK_TASK_FREQUENCY_MANUAL:
    default:
      return -1;
    }
}

/* Arms a local task for its next run. */
static void
local_arm (Task *task)
{
  BkDefaultScheduler *self = task->scheduler;

  task_cancel_timer (task);
  if (task->next_run < 0 || self->stopping)
    return;
  if (is_local_interval (task))
    task_arm (task, task->next_run);
  else
    task_arm (task, now_mono (self) + MAX (task->next_run - now_wall (self), 0));
}

/* Database rows ---------------------------------------------------------------- */

typedef struct
{
  /* in */
  char     *id;
  char     *settings;
  char     *ticket;
  gint64    now;
  gint64    expires;
  gint64    next;          /* -1: NULL */
  gint64    last_start;
  gint64    last_end;
  char     *last_error;
  /* out */
  gboolean  won;           /* claim, release, trigger: the row changed */
  gboolean  found;
  gint64    row_next;
  char     *row_ticket;
  gint64    row_expires;
  gint64    row_last_start;
  gint64    row_last_end;
  char     *row_last_error;
} Call;

static void
call_free (Call *call)
{
  g_free (call->id);
  g_free (call->settings);
  g_free (call->ticket);
  g_free (call->last_error);
  g_free (call->row_ticket);
  g_free (call->row_last_error);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

static gint64
column_or (BkDatabaseResult *rows,
           const char       *column,
           gint64            fallback)
{
  return bk_database_result_is_null (rows, 0, column) ? fallback
                                                     : bk_database_result_get_int64 (rows, 0, column);
}

static GVariant *
maybe_int64 (gint64 value)
{
  return value < 0 ? g_variant_new_maybe (G_VARIANT_TYPE_INT64, NULL)
                   : g_variant_new_maybe (G_VARIANT_TYPE_INT64, g_variant_new_int64 (value));
}

/* Reads the row into @call (in a transaction body). */
static gboolean
read_row (BkDatabaseConnection  *connection,
          Call                  *call,
          GCancellable          *cancellable,
          GError               **error)
{
  g_autoptr(BkDatabaseResult) rows = NULL;

  rows = bk_database_connection_query (connection,
                                       "SELECT " TASKS_COLUMNS " FROM bk_scheduler_tasks WHERE id = $1",
                                       g_variant_new ("(s)", call->id), cancellable, error);
  if (rows == NULL)
    return FALSE;
  g_clear_pointer (&call->row_ticket, g_free);
  g_clear_pointer (&call->row_last_error, g_free);
  call->found = bk_database_result_get_n_rows (rows) > 0;
  if (!call->found)
    return TRUE;
  call->row_next = column_or (rows, "next_run_start_at", -1);
  call->row_expires = column_or (rows, "current_run_expires_at", -1);
  call->row_last_start = column_or (rows, "last_run_started_at", -1);
  call->row_last_end = column_or (rows, "last_run_ended_at", -1);
  if (!bk_database_result_is_null (rows, 0, "current_run_ticket"))
    call->row_ticket = g_strdup (bk_database_result_get_string (rows, 0, "current_run_ticket"));
  if (!bk_database_result_is_null (rows, 0, "last_run_error"))
    call->row_last_error = g_strdup (bk_database_result_get_string (rows, 0, "last_run_error"));
  return TRUE;
}

/* Upserts the row; then reads it. An instance that starts keeps the
 * planned next run of a task whose settings did not change (so that it
 * does not make the others run it again); a changed schedule takes the
 * earlier of the two. */
static gboolean
persist_body (BkDatabaseConnection  *connection,
              gpointer               user_data,
              GCancellable          *cancellable,
              GError               **error)
{
  Call *call = user_data;
  g_autoptr(BkDatabaseResult) result = NULL;

  result = bk_database_connection_query (connection,
    "INSERT INTO bk_scheduler_tasks (id, settings_json, next_run_start_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (id) DO UPDATE SET settings_json = excluded.settings_json, next_run_start_at = CASE "
    "  WHEN excluded.settings_json = bk_scheduler_tasks.settings_json "
    "    THEN bk_scheduler_tasks.next_run_start_at "
    "  WHEN excluded.next_run_start_at IS NULL OR bk_scheduler_tasks.next_run_start_at IS NULL "
    "    THEN excluded.next_run_start_at "
    "  WHEN excluded.next_run_start_at < bk_scheduler_tasks.next_run_start_at "
    "    THEN excluded.next_run_start_at "
    "  ELSE bk_scheduler_tasks.next_run_start_at END",
    g_variant_new ("(ss@mx)", call->id, call->settings, maybe_int64 (call->next)),
    cancellable, error);
  return result != NULL && read_row (connection, call, cancellable, error);
}

/* Claims a due run: the row's next run has come and no live lock holds
 * it. One statement, so two instances can never both win. */
static gboolean
claim_body (BkDatabaseConnection  *connection,
            gpointer               user_data,
            GCancellable          *cancellable,
            GError               **error)
{
  Call *call = user_data;
  g_autoptr(BkDatabaseResult) result = NULL;

  call->won = FALSE;
  result = bk_database_connection_query (connection,
    "UPDATE bk_scheduler_tasks SET current_run_ticket = $2, current_run_started_at = $3, "
    "  current_run_expires_at = $4 "
    "WHERE id = $1 AND next_run_start_at IS NOT NULL AND next_run_start_at <= $3 "
    "  AND (current_run_ticket IS NULL OR current_run_expires_at <= $3)",
    g_variant_new ("(ssxx)", call->id, call->ticket, call->now, call->expires),
    cancellable, error);
  if (result == NULL)
    return FALSE;
  call->won = bk_database_result_get_changes (result) == 1;
  return read_row (connection, call, cancellable, error);
}

/* Releases our lock (if still ours) and plans the next run. */
static gboolean
release_body (BkDatabaseConnection  *connection,
              gpointer               user_data,
              GCancellable          *cancellable,
              GError               **error)
{
  Call *call = user_data;
  g_autoptr(BkDatabaseResult) result = NULL;

  result = bk_database_connection_query (connection,
    "UPDATE bk_scheduler_tasks SET current_run_ticket = NULL, current_run_started_at = NULL, "
    "  current_run_expires_at = NULL, next_run_start_at = $3, last_run_started_at = $4, "
    "  last_run_ended_at = $5, last_run_error = $6 "
    "WHERE id = $1 AND current_run_ticket = $2",
    g_variant_new ("(ss@mx@mx@mx@ms)", call->id, call->ticket, maybe_int64 (call->next),
                   maybe_int64 (call->last_start), maybe_int64 (call->last_end),
                   g_variant_new_maybe (G_VARIANT_TYPE_STRING,
                                        call->last_error != NULL ? g_variant_new_string (call->last_error) : NULL)),
    cancellable, error);
  if (result == NULL)
    return FALSE;
  call->won = bk_database_result_get_changes (result) == 1;
  return read_row (connection, call, cancellable, error);
}

/* Makes the task due now unless a live lock holds it. */
static gboolean
trigger_body (BkDatabaseConnection  *connection,
              gpointer               user_data,
              GCancellable          *cancellable,
              GError               **error)
{
  Call *call = user_data;
  g_autoptr(BkDatabaseResult) result = NULL;

  result = bk_database_connection_query (connection,
    "UPDATE bk_scheduler_tasks SET next_run_start_at = $2 "
    "WHERE id = $1 AND (current_run_ticket IS NULL OR current_run_expires_at <= $2)",
    g_variant_new ("(sx)", call->id, call->now), cancellable, error);
  if (result == NULL)
    return FALSE;
  call->won = bk_database_result_get_changes (result) == 1;
  return read_row (connection, call, cancellable, error);
}

/* Extends our lock, if it is still ours. */
static gboolean
renew_body (BkDatabaseConnection  *connection,
            gpointer               user_data,
            GCancellable          *cancellable,
            GError               **error)
{
  Call *call = user_data;
  g_autoptr(BkDatabaseResult) result = NULL;

  result = bk_database_connection_query (connection,
    "UPDATE bk_scheduler_tasks SET current_run_expires_at = $3 "
    "WHERE id = $1 AND current_run_ticket = $2",
    g_variant_new ("(ssx)", call->id, call->ticket, call->expires), cancellable, error);
  if (result == NULL)
    return FALSE;
  call->won = bk_database_result_get_changes (result) == 1;
  return TRUE;
}

static Call *
call_new (Task *task)
{
  Call *call = g_new0 (Call, 1);

  call->id = g_strdup (task->id);
  call->now = now_wall (task->scheduler);
  call->next = -1;
  return call;
}

typedef struct
{
  Task *task;
  Call *call;
  GTask *trigger;   /* (nullable) a trigger_task_async call */
} CallData;

static void
call_start (Task                      *task,
            Call                      *call,
            BkDatabaseTransactionFunc  body,
            GAsyncReadyCallback        callback,
            GTask                     *trigger)
{
  BkDefaultScheduler *self = task->scheduler;
  CallData *data = g_new0 (CallData, 1);

  data->task = task;
  data->call = call;
  data->trigger = trigger;
  self->n_calls++;
  g_object_ref (self);
  bk_database_run_in_transaction_async (self->database, body, call, NULL, NULL, callback, data);
}

/* What the row says: update the state, and poll again when something may
 * change (a due time, a lock expiry, another instance's trigger). */
static void
apply_row (Task *task,
           Call *call)
{
  BkDefaultScheduler *self = task->scheduler;
  gint64 now = now_wall (self);
  gint64 wake, cap = POLL_INTERVAL_MS;

  if (!call->found)
    {
      /* Someone deleted the row: write it again. */
      task->persisted = FALSE;
      task_begin (task);
      return;
    }

  /* A run in progress here knows better; it polls again when it ends. */
  if (task->run_cancellable != NULL || self->stopping)
    return;

  task->next_run = call->row_next;
  /* The row may not know of our last run (it lost its lock). */
  if (call->row_last_start >= task->last_start)
    {
      task->last_start = call->row_last_start;
      task->last_end = call->row_last_end;
      g_free (task->last_error);
      task->last_error = g_strdup (call->row_last_error);
    }
  task->running_elsewhere = call->row_ticket != NULL && call->row_expires > now;

  switch (bk_task_schedule_get_frequency (task->schedule))
    {
    case BK_TASK_FREQUENCY_INTERVAL:
      cap = MIN (cap, (gint64) bk_task_schedule_get_interval (task->schedule));
      break;
    case BK_TASK_FREQUENCY_CRON:
      {
        gint64 next = _bk_cron_next_ms (_bk_task_schedule_get_cron_object (task->schedule), now);

        if (next >= 0)
          cap = MIN (cap, next - now);
      }
      break;
    case BK_TASK_FREQUENCY_MANUAL:
    default:
      break;
    }
  wake = now + cap;
  if (task->running_elsewhere)
    wake = MIN (wake, call->row_expires);
  else if (call->row_next >= 0)
    wake = MIN (wake, call->row_next);
  task_arm (task, now_mono (self) + MAX (wake - now, 0));
}

static void
call_finished (BkDefaultScheduler *self)
{
  self->n_calls--;
  maybe_finish_shutdown (self);
}

static gboolean
finish_call (GObject       *source,
             GAsyncResult  *result,
             CallData      *data,
             const char    *what)
{
  Task *task = data->task;
  g_autoptr(GError) error = NULL;

  if (bk_database_run_in_transaction_finish (BK_DATABASE (source), result, &error))
    return TRUE;
  bk_logger_error (task->scheduler->logger, "Failed to %s task '%s', %s", what, task->id, error->message);
  if (data->trigger != NULL)
    g_task_return_error (data->trigger, g_steal_pointer (&error));
  /* Try again later. */
  if (!task->scheduler->stopping && task->run_cancellable == NULL)
    task_arm (task, now_mono (task->scheduler) + POLL_INTERVAL_MS);
  return FALSE;
}

static void
call_data_free (CallData *data)
{
  BkDefaultScheduler *self = data->task->scheduler;

  call_free (data->call);
  g_clear_object (&data->trigger);
  g_free (data);
  call_finished (self);
  g_object_unref (self);
}

static void on_triggered (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data);

static void
on_persisted (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CallData *data = user_data;
  Task *task = data->task;

  if (finish_call (source, result, data, "persist"))
    {
      gboolean triggered = task->trigger_pending;

      task->persisted = TRUE;
      task->trigger_pending = FALSE;
      apply_row (task, data->call);
      /* Triggered before the row existed: the row may have kept its time. */
      if (triggered && !task->scheduler->stopping)
        call_start (task, call_new (task), trigger_body, on_triggered, NULL);
    }
  call_data_free (data);
}

static void
persist (Task *task)
{
  Call *call = call_new (task);
  g_autoptr(JsonNode) settings = _bk_task_schedule_to_json (task->schedule);

  call->settings = json_to_string (settings, FALSE);
  call->next = task_first_start (task);
  call_start (task, call, persist_body, on_persisted, NULL);
}

static void on_released (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data);

static void
on_claimed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  CallData *data = user_data;
  Task *task = data->task;

  task->claiming = FALSE;
  if (finish_call (source, result, data, "claim"))
    {
      if (data->call->won && !task->scheduler->stopping)
        {
          g_free (task->ticket);
          task->ticket = g_steal_pointer (&data->call->ticket);
          apply_row (task, data->call);
          task_run (task, data->call->row_next);
        }
      else if (data->call->won)
        {
          /* Won while stopping: give the run back untouched. */
          Call *call = call_new (task);

          call->ticket = g_steal_pointer (&data->call->ticket);
          call->next = data->call->row_next;
          call->last_start = data->call->row_last_start;
          call->last_end = data->call->row_last_end;
          call->last_error = g_strdup (data->call->row_last_error);
          call_start (task, call, release_body, on_released, NULL);
        }
      else
        apply_row (task, data->call);
      if (!data->call->won && task->poll_again)
        {
          task->poll_again = FALSE;
          task_poll (task);
        }
    }
  call_data_free (data);
}

static void
task_poll (Task *task)
{
  Call *call;

  if (task->claiming)
    task->poll_again = TRUE;
  if (task->run_cancellable != NULL || task->claiming || task->scheduler->stopping)
    return;
  task->claiming = TRUE;
  call = call_new (task);
  call->ticket = g_uuid_string_random ();
  call->expires = call->now + task_lease (task);
  call_start (task, call, claim_body, on_claimed, NULL);
}

static void
warn_lost_lock (Task *task)
{
  bk_logger_warn (task->scheduler->logger,
                  "Task '%s' lost its lock before it ended (its lease ran out or the row changed); "
                  "another instance may have run it again", task->id);
}

static void
on_released (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  CallData *data = user_data;
  Task *task = data->task;

  if (finish_call (source, result, data, "release"))
    {
      if (!data->call->won && !task->lock_lost)
        warn_lost_lock (task);
      task->lock_lost = FALSE;
      apply_row (task, data->call);
    }
  call_data_free (data);
}

/* Migrations ------------------------------------------------------------------ */

static void
on_migrated (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  BkDefaultScheduler *self = user_data;
  g_autoptr(GError) error = NULL;

  self->n_calls--;
  if (bk_database_migrate_finish (BK_DATABASE (source), result, &error))
    {
      self->migration = MIGRATION_DONE;
      for (guint i = 0; i < self->tasks->len; i++)
        {
          Task *task = g_ptr_array_index (self->tasks, i);

          if (task->global && task->begun && !task->persisted && !self->stopping)
            persist (task);
        }
    }
  else
    {
      self->migration = MIGRATION_FAILED;
      bk_logger_error (self->logger, "Failed to prepare the scheduler's table, global tasks will not run: %s",
                       error->message);
    }
  maybe_finish_shutdown (self);
  g_object_unref (self);
}

/* Runs ---------------------------------------------------------------------------- */

static void
task_cancel_renewal (Task *task)
{
  if (task->renew_id != 0)
    bk_clock_cancel_timer (task->scheduler->clock, task->renew_id);
  task->renew_id = 0;
}

static void on_renew (gpointer user_data);

static void
task_arm_renewal (Task *task)
{
  BkDefaultScheduler *self = task->scheduler;
  gint64 every = MAX (task_lease (task) / 3, 1);

  task_cancel_renewal (task);
  task->renew_due = now_mono (self) + every;
  task->renew_id = bk_clock_add_timer (self->clock, (guint64) every, on_renew, task, NULL);
}

static void
on_renewed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  CallData *data = user_data;
  Task *task = data->task;

  task->renewing = FALSE;
  /* A failure is logged; the next tick tries again. */
  if (finish_call (source, result, data, "renew the lock of")
      && !data->call->won
      && task->run_cancellable != NULL
      && g_strcmp0 (task->ticket, data->call->ticket) == 0)
    {
      /* Taken over (or the row changed): stop the run, another instance
       * may be running it now. */
      warn_lost_lock (task);
      task->lock_lost = TRUE;
      task_cancel_renewal (task);
      if (task->cancel_reason == NULL)
        task->cancel_reason = LOST_LOCK;
      g_cancellable_cancel (task->run_cancellable);
    }
  call_data_free (data);
}

static void
on_renew (gpointer user_data)
{
  Task *task = user_data;
  Call *call;

  task->renew_id = 0;
  /* Renewals stop at the timeout: a run that goes on keeps its lock one
   * lease at most. */
  if (task->run_cancellable == NULL || task->ticket == NULL || task->timeout_id == 0)
    return;
  task_arm_renewal (task);
  if (task->renewing || task->scheduler->renewals_paused)
    return;
  task->renewing = TRUE;
  call = call_new (task);
  call->ticket = g_strdup (task->ticket);
  call->expires = call->now + task_lease (task);
  call_start (task, call, renew_body, on_renewed, NULL);
}

static void
on_run_timeout (gpointer user_data)
{
  Task *task = user_data;

  task->timeout_id = 0;
  if (task->run_cancellable != NULL)
    {
      bk_logger_warn (task->scheduler->logger, "Task '%s' timed out", task->id);
      task->cancel_reason = "Task timed out";
      g_cancellable_cancel (task->run_cancellable);
    }
}

static void
on_run_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  BkDefaultScheduler *self = BK_DEFAULT_SCHEDULER (source);
  Task *task = user_data;
  g_autoptr(GError) error = NULL;
  gint64 next;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      const char *message = task->cancel_reason != NULL ? task->cancel_reason : error->message;

      if (task->cancel_reason == NULL)
        bk_logger_warn (self->logger, "Task '%s' failed, %s", task->id, message);
      g_free (task->last_error);
      task->last_error = g_strdup (message);
    }
  else
    g_clear_pointer (&task->last_error, g_free);

  if (task->timeout_id != 0)
    bk_clock_cancel_timer (self->clock, task->timeout_id);
  task->timeout_id = 0;
  task_cancel_renewal (task);
  g_clear_object (&task->run_cancellable);
  task->cancel_reason = NULL;
  task->last_end = now_wall (self);
  self->n_runs--;

  next = task_next_after (task, task->planned);
  if (task->global)
    {
      Call *call = call_new (task);

      call->ticket = g_steal_pointer (&task->ticket);
      call->next = next;
      call->last_start = task->last_start;
      call->last_end = task->last_end;
      call->last_error = g_strdup (task->last_error);
      call_start (task, call, release_body, on_released, NULL);
    }
  else
    {
      task->next_run = next;
      local_arm (task);
    }
  maybe_finish_shutdown (self);
}

static void
task_run (Task   *task,
          gint64  planned)
{
  BkDefaultScheduler *self = task->scheduler;
  GTask *run;

  g_assert (task->run_cancellable == NULL);

  task_cancel_timer (task);
  task->planned = planned;
  task->run_cancellable = g_cancellable_new ();
  task->cancel_reason = NULL;
  task->last_start = now_wall (self);
  task->running_elsewhere = FALSE;
  task->timeout_id = bk_clock_add_timer (self->clock, bk_task_schedule_get_timeout (task->schedule),
                                         on_run_timeout, task, NULL);
  task->lock_lost = FALSE;
  if (task->global)
    task_arm_renewal (task);
  self->n_runs++;

  bk_logger_debug (self->logger, "Running task '%s'", task->id);
  run = g_task_new (self, task->run_cancellable, on_run_done, task);
  g_task_set_source_tag (run, task_run);
  g_task_set_check_cancellable (run, FALSE);
  g_task_set_name (run, task->id);
  task->func (run, task->user_data);
}

/* Starts a task's timers once the plugin has started. */
static void
task_begin (Task *task)
{
  BkDefaultScheduler *self = task->scheduler;

  if (!self->started || self->stopping)
    return;
  if (!task->begun)
    task->not_before = now_mono (self) + (gint64) bk_task_schedule_get_initial_delay (task->schedule);
  task->begun = TRUE;

  if (!task->global)
    {
      if (task->trigger_pending)
        {
          task->trigger_pending = FALSE;
          task_run (task, task_now (task));
          return;
        }
      task->next_run = task_first_start (task);
      local_arm (task);
      return;
    }

  switch (self->migration)
    {
    case MIGRATION_NONE:
      self->migration = MIGRATION_RUNNING;
      self->n_calls++;
      bk_database_migrate_async (self->database, scheduler_migrations, G_N_ELEMENTS (scheduler_migrations),
                                 NULL, on_migrated, g_object_ref (self));
      break;
    case MIGRATION_DONE:
      persist (task);
      break;
    case MIGRATION_RUNNING:
    case MIGRATION_FAILED:
    default:
      break;
    }
}

/* The interface ------------------------------------------------------------------ */

static gboolean
bk_default_scheduler_schedule_task (BkScheduler          *scheduler,
                                    const char           *id,
                                    BkTaskSchedule       *schedule,
                                    BkSchedulerTaskFunc   func,
                                    gpointer              user_data,
                                    GDestroyNotify        destroy,
                                    GError              **error)
{
  BkDefaultScheduler *self = BK_DEFAULT_SCHEDULER (scheduler);
  Task *task;

  if (!bk_scheduler_is_valid_task_id (id, error))
    goto fail;
  if (g_hash_table_contains (self->by_id, id))
    {
      g_set_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_CONFLICT,
                   "Task '%s' is already scheduled by plugin '%s'", id, self->plugin_id);
      goto fail;
    }
  if (self->stopping)
    {
      g_set_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_SERVICE_UNAVAILABLE,
                   "Cannot schedule task '%s', plugin '%s' is shutting down", id, self->plugin_id);
      goto fail;
    }

  task = g_new0 (Task, 1);
  task->scheduler = self;
  task->id = g_strdup (id);
  task->schedule = bk_task_schedule_ref (schedule);
  task->global = bk_task_schedule_get_scope (schedule) == BK_SCHEDULER_SCOPE_GLOBAL;
  task->func = func;
  task->user_data = user_data;
  task->destroy = destroy;
  task->next_run = -1;
  task->last_start = -1;
  task->last_end = -1;
  g_ptr_array_add (self->tasks, task);
  g_hash_table_insert (self->by_id, task->id, task);

  task_begin (task);
  return TRUE;

fail:
  if (destroy != NULL)
    destroy (user_data);
  return FALSE;
}

static Task *
lookup (BkDefaultScheduler  *self,
        const char          *id,
        GError             **error)
{
  Task *task = g_hash_table_lookup (self->by_id, id);

  if (task == NULL)
    g_set_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_NOT_FOUND, "Task %s does not exist", id);
  return task;
}

static void
on_triggered (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CallData *data = user_data;
  Task *task = data->task;

  if (finish_call (source, result, data, "trigger"))
    {
      if (data->call->won)
        {
          if (data->trigger != NULL)
            g_task_return_boolean (data->trigger, TRUE);
          task_cancel_timer (task);
          task_poll (task);
        }
      else
        {
          if (data->trigger == NULL)
            ;
          else if (data->call->found)
            g_task_return_new_error (data->trigger, BK_HTTP_ERROR, BK_HTTP_ERROR_CONFLICT,
                                     "Task %s is currently running", task->id);
          else
            g_task_return_new_error (data->trigger, BK_HTTP_ERROR, BK_HTTP_ERROR_NOT_FOUND,
                                     "Task %s does not exist", task->id);
          apply_row (task, data->call);
        }
    }
  call_data_free (data);
}

static void
bk_default_scheduler_trigger_task_async (BkScheduler         *scheduler,
                                         const char          *id,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  BkDefaultScheduler *self = BK_DEFAULT_SCHEDULER (scheduler);
  g_autoptr(GTask) trigger = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;
  Task *task;

  g_task_set_source_tag (trigger, bk_default_scheduler_trigger_task_async);

  task = lookup (self, id, &error);
  if (task == NULL)
    {
      g_task_return_error (trigger, error);
      return;
    }
  if (task->run_cancellable != NULL)
    {
      g_task_return_new_error (trigger, BK_HTTP_ERROR, BK_HTTP_ERROR_CONFLICT,
                               "Task %s is currently running", id);
      return;
    }
  if (self->stopping)
    {
      g_task_return_new_error (trigger, BK_HTTP_ERROR, BK_HTTP_ERROR_SERVICE_UNAVAILABLE,
                               "Cannot trigger task %s, plugin '%s' is shutting down", id, self->plugin_id);
      return;
    }
  if (!task->begun || (task->global && !task->persisted))
    {
      /* Not started yet: it runs as soon as it is. */
      task->trigger_pending = TRUE;
      g_task_return_boolean (trigger, TRUE);
      return;
    }
  if (!task->global)
    {
      g_task_return_boolean (trigger, TRUE);
      task_run (task, task_now (task));
      return;
    }
  call_start (task, call_new (task), trigger_body, on_triggered, g_steal_pointer (&trigger));
}

static gboolean
bk_default_scheduler_trigger_task_finish (BkScheduler   *scheduler,
                                          GAsyncResult  *result,
                                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, scheduler), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
bk_default_scheduler_cancel_task (BkScheduler  *scheduler,
                                  const char   *id,
                                  GError      **error)
{
  BkDefaultScheduler *self = BK_DEFAULT_SCHEDULER (scheduler);
  Task *task = lookup (self, id, error);

  if (task == NULL)
    return FALSE;
  if (task->run_cancellable == NULL)
    {
      g_set_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_CONFLICT, "Task %s is not running", id);
      return FALSE;
    }
  task->cancel_reason = "Task was cancelled";
  g_cancellable_cancel (task->run_cancellable);
  return TRUE;
}

static GPtrArray *
bk_default_scheduler_dup_tasks (BkScheduler *scheduler)
{
  BkDefaultScheduler *self = BK_DEFAULT_SCHEDULER (scheduler);
  GPtrArray *states = g_ptr_array_new_with_free_func ((GDestroyNotify) bk_task_state_free);

  for (guint i = 0; i < self->tasks->len; i++)
    {
      Task *task = g_ptr_array_index (self->tasks, i);
      BkTaskState *state = g_new0 (BkTaskState, 1);

      state->id = g_strdup (task->id);
      state->scope = task->global ? BK_SCHEDULER_SCOPE_GLOBAL : BK_SCHEDULER_SCOPE_LOCAL;
      state->schedule = bk_task_schedule_ref (task->schedule);
      state->running = task->run_cancellable != NULL || task->running_elsewhere;
      state->next_run_at = state->running && !task->global ? -1 : to_wall (task, task->next_run);
      state->last_run_started_at = task->last_start;
      state->last_run_ended_at = task->last_end;
      state->last_error = g_strdup (task->last_error);
      g_ptr_array_add (states, state);
    }
  return states;
}

static void
bk_default_scheduler_iface_init (BkSchedulerInterface *iface)
{
  iface->schedule_task = bk_default_scheduler_schedule_task;
  iface->trigger_task_async = bk_default_scheduler_trigger_task_async;
  iface->trigger_task_finish = bk_default_scheduler_trigger_task_finish;
  iface->cancel_task = bk_default_scheduler_cancel_task;
  iface->dup_tasks = bk_default_scheduler_dup_tasks;
}

static void
bk_default_scheduler_dispose (GObject *object)
{
  BkDefaultScheduler *self = BK_DEFAULT_SCHEDULER (object);

  self->stopping = TRUE;
  if (self->tasks != NULL)
    for (guint i = 0; i < self->tasks->len; i++)
      {
        Task *task = g_ptr_array_index (self->tasks, i);

        task_cancel_timer (task);
        if (task->timeout_id != 0)
          bk_clock_cancel_timer (self->clock, task->timeout_id);
        task->timeout_id = 0;
        task_cancel_renewal (task);
      }
  if (self->shutdown_timer != 0)
    bk_clock_cancel_timer (self->clock, self->shutdown_timer);
  self->shutdown_timer = 0;
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->tasks, g_ptr_array_unref);
  g_clear_object (&self->shutdown);
  g_clear_object (&self->clock);
  g_clear_object (&self->database);
  g_clear_object (&self->logger);

  G_OBJECT_CLASS (bk_default_scheduler_parent_class)->dispose (object);
}

static void
bk_default_scheduler_finalize (GObject *object)
{
  BkDefaultScheduler *self = BK_DEFAULT_SCHEDULER (object);

  g_free (self->plugin_id);

  G_OBJECT_CLASS (bk_default_scheduler_parent_class)->finalize (object);
}

static void
bk_default_scheduler_class_init (BkDefaultSchedulerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bk_default_scheduler_dispose;
  object_class->finalize = bk_default_scheduler_finalize;
}

static void
bk_default_scheduler_init (BkDefaultScheduler *self)
{
  self->tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) task_free);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
}

gboolean
_bk_scheduler_is_idle (BkScheduler *scheduler)
{
  BkDefaultScheduler *self;
  gint64 now;

  g_return_val_if_fail (BK_IS_DEFAULT_SCHEDULER (scheduler), FALSE);

  self = BK_DEFAULT_SCHEDULER (scheduler);
  if (self->n_calls > 0)
    return FALSE;
  now = now_mono (self);
  for (guint i = 0; i < self->tasks->len; i++)
    {
      Task *task = g_ptr_array_index (self->tasks, i);

      if ((task->timer_id != 0 && task->timer_due <= now)
          || (task->renew_id != 0 && task->renew_due <= now))
        return FALSE;
    }
  return TRUE;
}

void
_bk_scheduler_pause_renewals (BkScheduler *scheduler,
                              gboolean     paused)
{
  g_return_if_fail (BK_IS_DEFAULT_SCHEDULER (scheduler));

  BK_DEFAULT_SCHEDULER (scheduler)->renewals_paused = paused;
}

/* Lifecycle ------------------------------------------------------------------------ */

static gboolean
on_plugin_started (gpointer   user_data,
                   GError   **error)
{
  BkDefaultScheduler *self = user_data;

  self->started = TRUE;
  for (guint i = 0; i < self->tasks->len; i++)
    task_begin (g_ptr_array_index (self->tasks, i));
  return TRUE;
}

static void
maybe_finish_shutdown (BkDefaultScheduler *self)
{
  g_autoptr(GTask) shutdown = NULL;

  if (self->shutdown == NULL || self->n_calls > 0 || self->n_runs > 0)
    return;
  shutdown = g_steal_pointer (&self->shutdown);
  if (self->shutdown_timer != 0)
    bk_clock_cancel_timer (self->clock, self->shutdown_timer);
  self->shutdown_timer = 0;
  g_task_return_boolean (shutdown, TRUE);
}

static void
on_shutdown_timeout (gpointer user_data)
{
  BkDefaultScheduler *self = user_data;
  g_autoptr(GTask) shutdown = g_steal_pointer (&self->shutdown);

  self->shutdown_timer = 0;
  if (shutdown == NULL)
    return;
  for (guint i = 0; i < self->tasks->len; i++)
    {
      Task *task = g_ptr_array_index (self->tasks, i);

      if (task->run_cancellable != NULL)
        bk_logger_warn (self->logger, "Task '%s' did not stop within %" G_GUINT64_FORMAT " ms of shutdown",
                        task->id, SHUTDOWN_WAIT_MS);
    }
  g_task_return_boolean (shutdown, TRUE);
}

static void
on_plugin_shutdown (GTask    *hook,
                    gpointer  user_data)
{
  BkDefaultScheduler *self = user_data;

  self->stopping = TRUE;
  self->shutdown = hook;
  for (guint i = 0; i < self->tasks->len; i++)
    {
      Task *task = g_ptr_array_index (self->tasks, i);

      task_cancel_timer (task);
      if (task->run_cancellable != NULL)
        {
          task->cancel_reason = "Task was aborted by shutdown";
          g_cancellable_cancel (task->run_cancellable);
        }
    }
  self->shutdown_timer = bk_clock_add_timer (self->clock, SHUTDOWN_WAIT_MS, on_shutdown_timeout, self, NULL);
  maybe_finish_shutdown (self);
}

/* HTTP ------------------------------------------------------------------------------ */

static void
add_time (JsonBuilder *builder,
          const char  *name,
          gint64       ms)
{
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *seconds = NULL;
  g_autofree char *text = NULL;

  if (ms < 0 || (time = g_date_time_new_from_unix_utc (ms / 1000)) == NULL)
    return;
  /* Milliseconds, as JavaScript writes them. */
  seconds = g_date_time_format (time, "%Y-%m-%dT%H:%M:%S");
  text = g_strdup_printf ("%s.%03dZ", seconds, (int) (ms % 1000));
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, text);
}

static void
list_tasks (BkHttpRequest *request,
            gpointer       user_data)
{
  BkDefaultScheduler *self = user_data;
  g_autoptr(GPtrArray) states = bk_scheduler_dup_tasks (BK_SCHEDULER (self));
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "tasks");
  json_builder_begin_array (builder);
  for (guint i = 0; i < states->len; i++)
    {
      BkTaskState *state = g_ptr_array_index (states, i);
      Task *task = g_hash_table_lookup (self->by_id, state->id);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "taskId");
      json_builder_add_string_value (builder, state->id);
      json_builder_set_member_name (builder, "pluginId");
      json_builder_add_string_value (builder, self->plugin_id);
      json_builder_set_member_name (builder, "scope");
      json_builder_add_string_value (builder, state->scope == BK_SCHEDULER_SCOPE_GLOBAL ? "global" : "local");
      json_builder_set_member_name (builder, "settings");
      json_builder_add_value (builder, _bk_task_schedule_to_json (state->schedule));
      json_builder_set_member_name (builder, "taskState");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, state->running ? "running" : "idle");
      if (state->running && task->run_cancellable != NULL)
        {
          add_time (builder, "startedAt", state->last_run_started_at);
          add_time (builder, "timesOutAt",
                    state->last_run_started_at + (gint64) bk_task_schedule_get_timeout (state->schedule));
        }
      else if (!state->running)
        add_time (builder, "startsAt", state->next_run_at);
      add_time (builder, "lastRunEndedAt", state->last_run_ended_at);
      if (state->last_error != NULL)
        {
          json_builder_set_member_name (builder, "lastRunError");
          json_builder_add_string_value (builder, state->last_error);
        }
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "workerState");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, task->run_cancellable != NULL ? "running" : "idle");
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  bk_http_request_respond_json (request, 200, root);
}

static void
on_http_triggered (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(BkHttpRequest) request = user_data;
  g_autoptr(GError) error = NULL;

  if (bk_scheduler_trigger_task_finish (BK_SCHEDULER (source), result, &error))
    bk_http_request_respond (request, 200, NULL, NULL);
  else
    bk_http_request_respond_error (request, error);
}

static void
trigger_task (BkHttpRequest *request,
              gpointer       user_data)
{
  bk_scheduler_trigger_task_async (user_data, bk_http_request_get_param (request, "id"), NULL,
                                   on_http_triggered, g_object_ref (request));
}

static void
cancel_task (BkHttpRequest *request,
             gpointer       user_data)
{
  g_autoptr(GError) error = NULL;

  if (bk_scheduler_cancel_task (user_data, bk_http_request_get_param (request, "id"), &error))
    bk_http_request_respond (request, 200, NULL, NULL);
  else
    bk_http_request_respond_error (request, error);
}

/* The factory ----------------------------------------------------------------------- */

static GObject *
create_scheduler (BkDeps    *deps,
                  gpointer   root_context,
                  gpointer   user_data,
                  GError   **error)
{
  g_autoptr(BkDefaultScheduler) self = g_object_new (BK_TYPE_DEFAULT_SCHEDULER, NULL);
  g_autoptr(BkConfig) config = bk_root_config_dup_config (bk_deps_get (deps, BK_SERVICE_ROOT_CONFIG));
  BkLifecycle *lifecycle = bk_deps_get (deps, BK_SERVICE_LIFECYCLE);
  BkHttpRouter *router = bk_deps_get (deps, BK_SERVICE_HTTP_ROUTER);

  if (!_bk_duration_from_config (config, LEASE_KEY, DEFAULT_LEASE_MS, &self->lease, error))
    return NULL;
  if (self->lease == 0)
    {
      g_autofree char *source = bk_config_dup_key_source (config, LEASE_KEY);

      g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                   "Invalid scheduler config at '%s' in '%s', the lock lease must be longer than 0 ms",
                   LEASE_KEY, source != NULL ? source : bk_config_get_source (config));
      return NULL;
    }
  self->plugin_id = g_strdup (bk_plugin_metadata_get_id (bk_deps_get (deps, BK_SERVICE_PLUGIN_METADATA)));
  self->clock = g_object_ref (bk_deps_get (deps, BK_SERVICE_ROOT_CLOCK));
  self->database = g_object_ref (bk_deps_get (deps, BK_SERVICE_DATABASE));
  self->logger = g_object_ref (bk_deps_get (deps, BK_SERVICE_LOGGER));

  /* Made after the plugin started (by a startup hook, say): start now. */
  if (!bk_lifecycle_add_hook (lifecycle, BK_LIFECYCLE_PHASE_STARTUP, on_plugin_started,
                              g_object_ref (self), g_object_unref, NULL))
    self->started = TRUE;
  if (!bk_lifecycle_add_hook_async (lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN, on_plugin_shutdown,
                                    g_object_ref (self), g_object_unref, error))
    return NULL;

  bk_http_router_add_route (router, "GET", "/.backstage/scheduler/v1/tasks", list_tasks,
                            g_object_ref (self), g_object_unref);
  bk_http_router_add_route (router, "POST", "/.backstage/scheduler/v1/tasks/:id/trigger", trigger_task,
                            g_object_ref (self), g_object_unref);
  bk_http_router_add_route (router, "POST", "/.backstage/scheduler/v1/tasks/:id/cancel", cancel_task,
                            g_object_ref (self), g_object_unref);

  return G_OBJECT (g_steal_pointer (&self));
}

BkServiceFactory *
_bk_scheduler_default_factory (void)
{
  BkServiceFactory *factory;

  factory = bk_service_factory_new (BK_SERVICE_SCHEDULER, create_scheduler, NULL, NULL,
                                    BK_SERVICE_PLUGIN_METADATA,
                                    BK_SERVICE_ROOT_CONFIG,
                                    BK_SERVICE_ROOT_CLOCK,
                                    BK_SERVICE_DATABASE,
                                    BK_SERVICE_LOGGER,
                                    BK_SERVICE_LIFECYCLE,
                                    BK_SERVICE_HTTP_ROUTER,
                                    NULL);
  bk_service_factory_set_initialization (factory, BK_SERVICE_INITIALIZATION_LAZY);
  return factory;
}
