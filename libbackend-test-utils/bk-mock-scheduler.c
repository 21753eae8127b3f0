/* bk-mock-scheduler.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbackend-test-utils.h>

/**
 * BkMockScheduler:
 *
 * A [iface@Bk.Scheduler] for tests in which tasks run only when the test
 * says so: when it triggers them ([method@Bk.Scheduler.trigger_task_async]
 * starts the run at once), and, unless told otherwise by its
 * [flags@Bk.MockSchedulerFlags], once when the plugin starts (every task that
 * is neither manual nor delayed). No timer, no database: frequencies,
 * timeouts and scopes are recorded and listed but never acted on.
 *
 * ```c
 * backend = bk_test_backend_start (&error, todo_plugin_new (),
 *                                  bk_mock_scheduler_factory_new (BK_MOCK_SCHEDULER_SKIP_RUN_ON_STARTUP),
 *                                  NULL);
 * scheduler = bk_test_backend_get_service (backend, BK_SERVICE_SCHEDULER, "todo");
 * bk_scheduler_trigger_task_async (BK_SCHEDULER (scheduler), "todo-cleanup", NULL, NULL, NULL);
 * bk_mock_scheduler_wait_for_task (scheduler, "todo-cleanup", &error);
 * ```
 *
 * Cancelling a task fires its run's cancellable, as does the plugin's
 * shutdown. Not thread-safe: use it from the test's main context.
 *
 * Since: 0.1
 */

typedef struct
{
  char                *id;
  BkTaskSchedule      *schedule;
  BkSchedulerTaskFunc  func;
  gpointer             user_data;
  GDestroyNotify       destroy;
  GCancellable        *cancellable;   /* (nullable) while a run is in progress */
  guint                n_runs;        /* finished runs */
  gint64               last_start;
  gint64               last_end;
  char                *last_error;
} MockTask;

struct _BkMockScheduler
{
  GObject               parent_instance;

  BkMockSchedulerFlags  flags;
  GPtrArray            *tasks;   /* (element-type MockTask) */
};

static void bk_mock_scheduler_iface_init (BkSchedulerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkMockScheduler, bk_mock_scheduler, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_SCHEDULER, bk_mock_scheduler_iface_init))

static void
mock_task_free (MockTask *task)
{
  if (task->destroy != NULL)
    task->destroy (task->user_data);
  g_free (task->id);
  bk_task_schedule_unref (task->schedule);
  g_clear_object (&task->cancellable);
  g_free (task->last_error);
  g_free (task);
}

static MockTask *
find (BkMockScheduler  *self,
      const char       *id,
      GError          **error)
{
  for (guint i = 0; self->tasks != NULL && i < self->tasks->len; i++)
    {
      MockTask *task = g_ptr_array_index (self->tasks, i);

      if (g_str_equal (task->id, id))
        return task;
    }
  g_set_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_NOT_FOUND, "Task %s does not exist", id);
  return NULL;
}

static void
on_run_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  BkMockScheduler *self = BK_MOCK_SCHEDULER (source);
  g_autofree char *id = user_data;
  g_autoptr(GError) error = NULL;
  MockTask *task = find (self, id, NULL);
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  if (task == NULL)
    return;
  g_clear_object (&task->cancellable);
  g_clear_pointer (&task->last_error, g_free);
  if (!ok)
    task->last_error = g_strdup (error->message);
  task->last_end = g_get_real_time () / 1000;
  task->n_runs++;
}

static void
run (BkMockScheduler *self,
     MockTask        *task)
{
  GTask *gtask;

  task->cancellable = g_cancellable_new ();
  task->last_start = g_get_real_time () / 1000;
  gtask = g_task_new (self, task->cancellable, on_run_done, g_strdup (task->id));
  g_task_set_check_cancellable (gtask, FALSE);
  task->func (gtask, task->user_data);
}

static gboolean
bk_mock_scheduler_schedule_task (BkScheduler          *scheduler,
                                 const char           *id,
                                 BkTaskSchedule       *schedule,
                                 BkSchedulerTaskFunc   func,
                                 gpointer              user_data,
                                 GDestroyNotify        destroy,
                                 GError              **error)
{
  BkMockScheduler *self = BK_MOCK_SCHEDULER (scheduler);
  MockTask *task;

  if (!bk_scheduler_is_valid_task_id (id, error))
    goto fail;
  if (find (self, id, NULL) != NULL)
    {
      g_set_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_CONFLICT, "Task '%s' is already scheduled", id);
      goto fail;
    }
  task = g_new0 (MockTask, 1);
  task->id = g_strdup (id);
  task->schedule = bk_task_schedule_ref (schedule);
  task->func = func;
  task->user_data = user_data;
  task->destroy = destroy;
  task->last_start = task->last_end = -1;
  g_ptr_array_add (self->tasks, task);
  return TRUE;

fail:
  if (destroy != NULL)
    destroy (user_data);
  return FALSE;
}

static void
bk_mock_scheduler_trigger_task_async (BkScheduler         *scheduler,
                                      const char          *id,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  BkMockScheduler *self = BK_MOCK_SCHEDULER (scheduler);
  g_autoptr(GTask) trigger = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;
  MockTask *task = find (self, id, &error);

  if (task == NULL)
    g_task_return_error (trigger, error);
  else if (task->cancellable != NULL)
    g_task_return_new_error (trigger, BK_HTTP_ERROR, BK_HTTP_ERROR_CONFLICT, "Task %s is currently running", id);
  else
    {
      run (self, task);
      g_task_return_boolean (trigger, TRUE);
    }
}

static gboolean
bk_mock_scheduler_trigger_task_finish (BkScheduler   *scheduler,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
bk_mock_scheduler_cancel_task (BkScheduler  *scheduler,
                               const char   *id,
                               GError      **error)
{
  MockTask *task = find (BK_MOCK_SCHEDULER (scheduler), id, error);

  if (task == NULL)
    return FALSE;
  if (task->cancellable == NULL)
    {
      g_set_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_CONFLICT, "Task %s is not running", id);
      return FALSE;
    }
  g_cancellable_cancel (task->cancellable);
  return TRUE;
}

static GPtrArray *
bk_mock_scheduler_dup_tasks (BkScheduler *scheduler)
{
  BkMockScheduler *self = BK_MOCK_SCHEDULER (scheduler);
  GPtrArray *states = g_ptr_array_new_with_free_func ((GDestroyNotify) bk_task_state_free);

  for (guint i = 0; i < self->tasks->len; i++)
    {
      MockTask *task = g_ptr_array_index (self->tasks, i);
      BkTaskState *state = g_new0 (BkTaskState, 1);

      state->id = g_strdup (task->id);
      state->scope = bk_task_schedule_get_scope (task->schedule);
      state->schedule = bk_task_schedule_ref (task->schedule);
      state->running = task->cancellable != NULL;
      state->next_run_at = -1;
      state->last_run_started_at = task->last_start;
      state->last_run_ended_at = task->last_end;
      state->last_error = g_strdup (task->last_error);
      g_ptr_array_add (states, state);
    }
  return states;
}

static void
bk_mock_scheduler_iface_init (BkSchedulerInterface *iface)
{
  iface->schedule_task = bk_mock_scheduler_schedule_task;
  iface->trigger_task_async = bk_mock_scheduler_trigger_task_async;
  iface->trigger_task_finish = bk_mock_scheduler_trigger_task_finish;
  iface->cancel_task = bk_mock_scheduler_cancel_task;
  iface->dup_tasks = bk_mock_scheduler_dup_tasks;
}

static void
bk_mock_scheduler_dispose (GObject *object)
{
  BkMockScheduler *self = BK_MOCK_SCHEDULER (object);

  g_clear_pointer (&self->tasks, g_ptr_array_unref);

  G_OBJECT_CLASS (bk_mock_scheduler_parent_class)->dispose (object);
}

static void
bk_mock_scheduler_class_init (BkMockSchedulerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = bk_mock_scheduler_dispose;
}

static void
bk_mock_scheduler_init (BkMockScheduler *self)
{
  self->tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) mock_task_free);
}

/**
 * bk_mock_scheduler_new:
 * @flags: what runs when [method@Bk.MockScheduler.run_startup] is called
 *
 * Creates a mock scheduler on its own (a test backend makes one per
 * plugin through [func@Bk.mock_scheduler_factory_new]).
 *
 * Returns: (transfer full): a new #BkMockScheduler
 *
 * Since: 0.1
 */
BkMockScheduler *
bk_mock_scheduler_new (BkMockSchedulerFlags flags)
{
  BkMockScheduler *self = g_object_new (BK_TYPE_MOCK_SCHEDULER, NULL);

  self->flags = flags;
  return self;
}

/**
 * bk_mock_scheduler_run_startup:
 * @self: a #BkMockScheduler
 *
 * Runs, once, the tasks that the scheduler's flags select for startup
 * (every task that is neither manual nor delayed, by default) and that are
 * not running. The factory's schedulers call it when their plugin starts.
 *
 * Since: 0.1
 */
void
bk_mock_scheduler_run_startup (BkMockScheduler *self)
{
  g_return_if_fail (BK_IS_MOCK_SCHEDULER (self));

  if (self->flags & BK_MOCK_SCHEDULER_SKIP_RUN_ON_STARTUP)
    return;
  for (guint i = 0; i < self->tasks->len; i++)
    {
      MockTask *task = g_ptr_array_index (self->tasks, i);

      if (task->cancellable != NULL)
        continue;
      if (bk_task_schedule_get_frequency (task->schedule) == BK_TASK_FREQUENCY_MANUAL
          && !(self->flags & BK_MOCK_SCHEDULER_INCLUDE_MANUAL_ON_STARTUP))
        continue;
      if (bk_task_schedule_get_initial_delay (task->schedule) > 0
          && !(self->flags & BK_MOCK_SCHEDULER_INCLUDE_INITIAL_DELAY_ON_STARTUP))
        continue;
      run (self, task);
    }
}

static gboolean
on_guard (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/**
 * bk_mock_scheduler_wait_for_task:
 * @self: a #BkMockScheduler
 * @id: the task's id
 * @error: return location for a #GError
 *
 * Iterates the thread-default main context until a run of the task ends
 * that had not ended when this was called: the run in progress, or else
 * the next one (trigger it first, or let the plugin start). Gives up after
 * 20 seconds of real time with %G_IO_ERROR_TIMED_OUT.
 *
 * Returns: %TRUE once a run has ended, %FALSE with @error set otherwise
 *
 * Since: 0.1
 */
gboolean
bk_mock_scheduler_wait_for_task (BkMockScheduler  *self,
                                 const char       *id,
                                 GError          **error)
{
  MockTask *task;
  guint n_runs;
  gboolean timed_out = FALSE;
  guint guard;

  g_return_val_if_fail (BK_IS_MOCK_SCHEDULER (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  task = find (self, id, error);
  if (task == NULL)
    return FALSE;
  n_runs = task->n_runs;
  guard = g_timeout_add_seconds (20, on_guard, &timed_out);
  g_object_ref (self);
  while (!timed_out && self->tasks != NULL && (task = find (self, id, NULL)) != NULL && task->n_runs == n_runs)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
  g_object_unref (self);
  if (timed_out)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Task %s did not run within 20 seconds", id);
      return FALSE;
    }
  g_source_remove (guard);
  return TRUE;
}

/**
 * bk_mock_scheduler_get_n_runs:
 * @self: a #BkMockScheduler
 * @id: the task's id
 *
 * Counts the runs of a task that have ended.
 *
 * Returns: the number of finished runs (0 for an unknown task)
 *
 * Since: 0.1
 */
guint
bk_mock_scheduler_get_n_runs (BkMockScheduler *self,
                              const char      *id)
{
  MockTask *task;

  g_return_val_if_fail (BK_IS_MOCK_SCHEDULER (self), 0);

  task = find (self, id, NULL);
  return task != NULL ? task->n_runs : 0;
}

static gboolean
on_started (gpointer   user_data,
            GError   **error)
{
  bk_mock_scheduler_run_startup (user_data);
  return TRUE;
}

static gboolean
on_shutdown (gpointer   user_data,
             GError   **error)
{
  BkMockScheduler *self = user_data;

  for (guint i = 0; i < self->tasks->len; i++)
    {
      MockTask *task = g_ptr_array_index (self->tasks, i);

      if (task->cancellable != NULL)
        g_cancellable_cancel (task->cancellable);
    }
  return TRUE;
}

static GObject *
create_mock_scheduler (BkDeps    *deps,
                       gpointer   root_context,
                       gpointer   user_data,
                       GError   **error)
{
  g_autoptr(BkMockScheduler) self = bk_mock_scheduler_new (GPOINTER_TO_UINT (user_data));
  BkLifecycle *lifecycle = bk_deps_get (deps, BK_SERVICE_LIFECYCLE);

  if (!bk_lifecycle_add_hook (lifecycle, BK_LIFECYCLE_PHASE_STARTUP, on_started,
                              g_object_ref (self), g_object_unref, error)
      || !bk_lifecycle_add_hook (lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN, on_shutdown,
                                 g_object_ref (self), g_object_unref, error))
    return NULL;
  return G_OBJECT (g_steal_pointer (&self));
}

/**
 * bk_mock_scheduler_factory_new:
 * @flags: what runs when a plugin starts
 *
 * Creates a factory for `core.scheduler` that makes a
 * [class@Bk.MockScheduler] for each plugin. It depends on
 * `core.lifecycle`: the plugin's start runs the tasks that @flags select,
 * its shutdown cancels the runs in progress. Reach a plugin's with
 * `bk_test_backend_get_service (backend, BK_SERVICE_SCHEDULER, plugin_id)`.
 *
 * Returns: (transfer full): a new #BkServiceFactory
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_mock_scheduler_factory_new (BkMockSchedulerFlags flags)
{
  BkServiceFactory *factory;

  factory = bk_service_factory_new (BK_SERVICE_SCHEDULER, create_mock_scheduler,
                                    GUINT_TO_POINTER (flags), NULL,
                                    BK_SERVICE_LIFECYCLE, NULL);
  bk_service_factory_set_initialization (factory, BK_SERVICE_INITIALIZATION_LAZY);
  return factory;
}
