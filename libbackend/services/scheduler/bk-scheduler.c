/* bk-scheduler.c: the core.scheduler interface, schedules and task states.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "libbackend.h"
#include "bk-scheduler-private.h"
#include "bk-duration-private.h"

#include <string.h>

/**
 * BkScheduler:
 *
 * The `core.scheduler` service (plugin scope, [const@Bk.SERVICE_SCHEDULER]):
 * a plugin's recurring tasks.
 *
 * A task has an id unique in its plugin, a [struct@Bk.TaskSchedule] (an
 * interval, a cron expression or manual only; a timeout; an optional initial
 * delay; a scope) and an async function. Tasks start once the plugin has
 * started and stop at shutdown. A `global` task (the default) runs on one
 * instance at a time among all the instances that share the plugin's
 * database; a `local` one runs on every instance.
 *
 * ```c
 * static void
 * cleanup (GTask *task, gpointer user_data)
 * {
 *   // … work that watches g_task_get_cancellable (task) …
 *   g_task_return_boolean (task, TRUE);
 *   g_object_unref (task);
 * }
 *
 * g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_cron ("*\/5 * * * *", NULL, NULL);
 * bk_task_schedule_set_timeout (schedule, 60000);
 * bk_scheduler_schedule_task (scheduler, "cleanup", schedule, cleanup, NULL, NULL, &error);
 * ```
 *
 * Since: 0.1
 */

G_DEFINE_INTERFACE (BkScheduler, bk_scheduler, G_TYPE_OBJECT)

static void
bk_scheduler_default_init (BkSchedulerInterface *iface)
{
}

/**
 * bk_scheduler_is_valid_task_id:
 * @id: (nullable): a task id
 * @error: return location for a #GError
 *
 * Checks a task id: 1 to 200 characters, letters, digits, `-`, `_`, `.`
 * and `:`, starting with a letter or a digit (so that it is one segment
 * of the task routes' paths). Fails with %BK_HTTP_ERROR_INPUT naming it.
 *
 * Returns: %TRUE if @id is valid
 *
 * Since: 0.1
 */
gboolean
bk_scheduler_is_valid_task_id (const char  *id,
                               GError     **error)
{
  gsize len = id != NULL ? strlen (id) : 0;
  gboolean valid = len > 0 && len <= 200 && g_ascii_isalnum (id[0]);

  for (gsize i = 0; valid && i < len; i++)
    valid = g_ascii_isalnum (id[i]) || strchr ("-_.:", id[i]) != NULL;
  if (!valid)
    g_set_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT,
                 "Invalid task id '%s', must match the pattern /^[a-z0-9][a-z0-9_.:-]*$/i "
                 "(letters, digits, '-', '_', '.' and ':', starting with a letter or digit, at most 200 characters)",
                 id != NULL ? id : "(null)");
  return valid;
}

/**
 * bk_scheduler_schedule_task:
 * @self: a #BkScheduler
 * @id: the task's id, unique in the plugin (see
 *   [func@Bk.scheduler_is_valid_task_id])
 * @schedule: when it runs
 * @func: (scope notified) (closure user_data): one run of the task
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data once the task is gone (at
 *   shutdown)
 * @error: return location for a #GError
 *
 * Schedules a task. It runs for the first time once the plugin has started:
 * after the schedule's initial delay, then at its interval or cron times,
 * or only when triggered. An invalid id or a duplicate one fails with
 * %BK_HTTP_ERROR_INPUT or %BK_HTTP_ERROR_CONFLICT, naming it; @destroy is
 * then called at once.
 *
 * Returns: %TRUE if the task was scheduled
 *
 * Since: 0.1
 */
gboolean
bk_scheduler_schedule_task (BkScheduler          *self,
                            const char           *id,
                            BkTaskSchedule       *schedule,
                            BkSchedulerTaskFunc   func,
                            gpointer              user_data,
                            GDestroyNotify        destroy,
                            GError              **error)
{
  g_return_val_if_fail (BK_IS_SCHEDULER (self), FALSE);
  g_return_val_if_fail (schedule != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return BK_SCHEDULER_GET_IFACE (self)->schedule_task (self, id, schedule, func, user_data, destroy, error);
}

/**
 * bk_scheduler_trigger_task_async:
 * @self: a #BkScheduler
 * @id: the task's id
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (closure user_data): called when the task has
 *   been triggered (not when its run ends)
 * @user_data: data for @callback
 *
 * Makes a task due now, whatever its schedule. Fails with
 * %BK_HTTP_ERROR_NOT_FOUND (`Task <id> does not exist`) for an unknown id
 * and %BK_HTTP_ERROR_CONFLICT (`Task <id> is currently running`) while it
 * runs (for a global task, on any instance).
 *
 * Since: 0.1
 */
void
bk_scheduler_trigger_task_async (BkScheduler         *self,
                                 const char          *id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (BK_IS_SCHEDULER (self));
  g_return_if_fail (id != NULL);

  BK_SCHEDULER_GET_IFACE (self)->trigger_task_async (self, id, cancellable, callback, user_data);
}

/**
 * bk_scheduler_trigger_task_finish:
 * @self: a #BkScheduler
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes [method@Bk.Scheduler.trigger_task_async].
 *
 * Returns: %TRUE if the task was triggered
 *
 * Since: 0.1
 */
gboolean
bk_scheduler_trigger_task_finish (BkScheduler   *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (BK_IS_SCHEDULER (self), FALSE);

  return BK_SCHEDULER_GET_IFACE (self)->trigger_task_finish (self, result, error);
}

/**
 * bk_scheduler_cancel_task:
 * @self: a #BkScheduler
 * @id: the task's id
 * @error: return location for a #GError
 *
 * Cancels the run of a task in progress on this instance: its cancellable
 * fires and the run is recorded as failed (`Task was cancelled`) unless it
 * still succeeds. The task runs again at its next time. Fails with
 * %BK_HTTP_ERROR_NOT_FOUND for an unknown id and %BK_HTTP_ERROR_CONFLICT
 * (`Task <id> is not running`) when no run is in progress here.
 *
 * Returns: %TRUE if a run was cancelled
 *
 * Since: 0.1
 */
gboolean
bk_scheduler_cancel_task (BkScheduler  *self,
                          const char   *id,
                          GError      **error)
{
  g_return_val_if_fail (BK_IS_SCHEDULER (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return BK_SCHEDULER_GET_IFACE (self)->cancel_task (self, id, error);
}

/**
 * bk_scheduler_dup_tasks:
 * @self: a #BkScheduler
 *
 * Lists the plugin's tasks in the order they were scheduled, with their
 * state. For a global task the state is what this instance last read from
 * the database (at most a few seconds old).
 *
 * Returns: (transfer full) (element-type BkTaskState): the tasks
 *
 * Since: 0.1
 */
GPtrArray *
bk_scheduler_dup_tasks (BkScheduler *self)
{
  g_return_val_if_fail (BK_IS_SCHEDULER (self), NULL);

  return BK_SCHEDULER_GET_IFACE (self)->dup_tasks (self);
}

/* Schedules ----------------------------------------------------------------- */

struct _BkTaskSchedule
{
  gatomicrefcount  ref_count;
  BkTaskFrequency  frequency;
  guint64          interval_ms;
  BkCron          *cron;
  guint64          timeout_ms;
  guint64          initial_delay_ms;
  BkSchedulerScope scope;
};

G_DEFINE_BOXED_TYPE (BkTaskSchedule, bk_task_schedule, bk_task_schedule_ref, bk_task_schedule_unref)

static BkTaskSchedule *
schedule_new (BkTaskFrequency frequency)
{
  BkTaskSchedule *self = g_new0 (BkTaskSchedule, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->frequency = frequency;
  self->timeout_ms = BK_TASK_SCHEDULE_DEFAULT_TIMEOUT_MS;
  self->scope = BK_SCHEDULER_SCOPE_GLOBAL;
  return self;
}

/**
 * bk_task_schedule_new_interval:
 * @interval_ms: the time between the starts of two runs, in milliseconds
 *   (at least 1)
 *
 * Creates a schedule that runs a task every @interval_ms, the first time
 * right when the plugin starts (or after the initial delay). The timeout
 * is %BK_TASK_SCHEDULE_DEFAULT_TIMEOUT_MS and the scope global until set.
 *
 * Returns: (transfer full): a new #BkTaskSchedule
 *
 * Since: 0.1
 */
BkTaskSchedule *
bk_task_schedule_new_interval (guint64 interval_ms)
{
  BkTaskSchedule *self;

  g_return_val_if_fail (interval_ms > 0 && interval_ms <= BK_DURATION_MAX_MS, NULL);

  self = schedule_new (BK_TASK_FREQUENCY_INTERVAL);
  self->interval_ms = interval_ms;
  return self;
}

/**
 * bk_task_schedule_new_cron:
 * @cron: a cron expression of 5 fields (minute hour day-of-month month
 *   day-of-week) or 6 (seconds first)
 * @time_zone: (nullable): the IANA time zone @cron is read in
 *   (`Europe/Paris`); %NULL for UTC
 * @error: return location for a #GError
 *
 * Creates a schedule that runs a task at the times of @cron. An invalid
 * expression or an unknown zone fails with %BK_HTTP_ERROR_INPUT naming
 * the expression and the field (see `docs/scheduler.md` for the syntax).
 *
 * Returns: (transfer full) (nullable): a new #BkTaskSchedule, or %NULL
 *
 * Since: 0.1
 */
BkTaskSchedule *
bk_task_schedule_new_cron (const char  *cron,
                           const char  *time_zone,
                           GError     **error)
{
  BkTaskSchedule *self;
  BkCron *parsed;

  g_return_val_if_fail (cron != NULL, NULL);

  parsed = _bk_cron_new (cron, time_zone, error);
  if (parsed == NULL)
    return NULL;
  self = schedule_new (BK_TASK_FREQUENCY_CRON);
  self->cron = parsed;
  return self;
}

/**
 * bk_task_schedule_new_manual:
 *
 * Creates a schedule that runs a task only when it is triggered
 * ([method@Bk.Scheduler.trigger_task_async], or `POST
 * /.backstage/scheduler/v1/tasks/<id>/trigger` on the plugin's router).
 *
 * Returns: (transfer full): a new #BkTaskSchedule
 *
 * Since: 0.1
 */
BkTaskSchedule *
bk_task_schedule_new_manual (void)
{
  return schedule_new (BK_TASK_FREQUENCY_MANUAL);
}

/**
 * bk_task_schedule_ref:
 * @self: a #BkTaskSchedule
 *
 * Takes a reference.
 *
 * Returns: (transfer full): @self
 *
 * Since: 0.1
 */
BkTaskSchedule *
bk_task_schedule_ref (BkTaskSchedule *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * bk_task_schedule_unref:
 * @self: (transfer full): a #BkTaskSchedule
 *
 * Drops a reference.
 *
 * Since: 0.1
 */
void
bk_task_schedule_unref (BkTaskSchedule *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_clear_pointer (&self->cron, _bk_cron_free);
  g_free (self);
}

/**
 * bk_task_schedule_set_timeout:
 * @self: a #BkTaskSchedule
 * @timeout_ms: how long a run may take, in milliseconds (at least 1)
 *
 * Sets how long a run may last: at the timeout its cancellable fires, and
 * a global task's lock expires, so that another instance may take the task
 * over if this one died.
 *
 * Since: 0.1
 */
void
bk_task_schedule_set_timeout (BkTaskSchedule *self,
                              guint64         timeout_ms)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (timeout_ms > 0 && timeout_ms <= BK_DURATION_MAX_MS);

  self->timeout_ms = timeout_ms;
}

/**
 * bk_task_schedule_set_initial_delay:
 * @self: a #BkTaskSchedule
 * @delay_ms: how long to wait after the plugin's start, in milliseconds
 *
 * Delays the first run after the plugin starts (each instance waits).
 *
 * Since: 0.1
 */
void
bk_task_schedule_set_initial_delay (BkTaskSchedule *self,
                                    guint64         delay_ms)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (delay_ms <= BK_DURATION_MAX_MS);

  self->initial_delay_ms = delay_ms;
}

/**
 * bk_task_schedule_set_scope:
 * @self: a #BkTaskSchedule
 * @scope: the scope
 *
 * Sets where the task runs (global by default).
 *
 * Since: 0.1
 */
void
bk_task_schedule_set_scope (BkTaskSchedule   *self,
                            BkSchedulerScope  scope)
{
  g_return_if_fail (self != NULL);

  self->scope = scope;
}

/**
 * bk_task_schedule_get_frequency:
 * @self: a #BkTaskSchedule
 *
 * Gets the kind of frequency.
 *
 * Returns: the kind of frequency
 *
 * Since: 0.1
 */
BkTaskFrequency
bk_task_schedule_get_frequency (BkTaskSchedule *self)
{
  g_return_val_if_fail (self != NULL, BK_TASK_FREQUENCY_MANUAL);
  return self->frequency;
}

/**
 * bk_task_schedule_get_interval:
 * @self: a #BkTaskSchedule
 *
 * Gets the interval of an interval schedule.
 *
 * Returns: the interval in milliseconds, 0 unless the frequency is an
 *   interval
 *
 * Since: 0.1
 */
guint64
bk_task_schedule_get_interval (BkTaskSchedule *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->interval_ms;
}

/**
 * bk_task_schedule_get_cron:
 * @self: a #BkTaskSchedule
 *
 * Gets the cron expression of a cron schedule.
 *
 * Returns: (nullable): the cron expression, %NULL unless the frequency is
 *   cron
 *
 * Since: 0.1
 */
const char *
bk_task_schedule_get_cron (BkTaskSchedule *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->cron != NULL ? _bk_cron_get_expression (self->cron) : NULL;
}

/**
 * bk_task_schedule_get_time_zone:
 * @self: a #BkTaskSchedule
 *
 * Gets the time zone of a cron schedule.
 *
 * Returns: (nullable): the cron expression's time zone, %NULL for UTC
 *
 * Since: 0.1
 */
const char *
bk_task_schedule_get_time_zone (BkTaskSchedule *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->cron != NULL ? _bk_cron_get_time_zone (self->cron) : NULL;
}

/**
 * bk_task_schedule_get_timeout:
 * @self: a #BkTaskSchedule
 *
 * Gets how long a run may last.
 *
 * Returns: the timeout in milliseconds
 *
 * Since: 0.1
 */
guint64
bk_task_schedule_get_timeout (BkTaskSchedule *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->timeout_ms;
}

/**
 * bk_task_schedule_get_initial_delay:
 * @self: a #BkTaskSchedule
 *
 * Gets how long the first run waits after the plugin starts.
 *
 * Returns: the initial delay in milliseconds (0: none)
 *
 * Since: 0.1
 */
guint64
bk_task_schedule_get_initial_delay (BkTaskSchedule *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->initial_delay_ms;
}

/**
 * bk_task_schedule_get_scope:
 * @self: a #BkTaskSchedule
 *
 * Gets where the task runs.
 *
 * Returns: the scope
 *
 * Since: 0.1
 */
BkSchedulerScope
bk_task_schedule_get_scope (BkTaskSchedule *self)
{
  g_return_val_if_fail (self != NULL, BK_SCHEDULER_SCOPE_GLOBAL);
  return self->scope;
}

/**
 * bk_task_schedule_dup_cadence:
 * @self: a #BkTaskSchedule
 *
 * The frequency as Backstage writes it in a task's settings: an ISO 8601
 * duration (`PT5S`), the cron expression, or `manual`.
 *
 * Returns: (transfer full): the cadence
 *
 * Since: 0.1
 */
char *
bk_task_schedule_dup_cadence (BkTaskSchedule *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  switch (self->frequency)
    {
    case BK_TASK_FREQUENCY_INTERVAL:
      return _bk_duration_to_iso (self->interval_ms);
    case BK_TASK_FREQUENCY_CRON:
      return g_strdup (_bk_cron_get_expression (self->cron));
    case BK_TASK_FREQUENCY_MANUAL:
    default:
      return g_strdup ("manual");
    }
}

BkCron *
_bk_task_schedule_get_cron_object (BkTaskSchedule *schedule)
{
  return schedule->cron;
}

char *
_bk_duration_to_iso (guint64 ms)
{
  GString *s = g_string_new ("P");
  guint64 days = ms / 86400000;
  guint64 rest = ms % 86400000;

  if (days > 0)
    g_string_append_printf (s, "%" G_GUINT64_FORMAT "D", days);
  if (rest > 0 || days == 0)
    {
      guint64 hours = rest / 3600000, minutes = rest / 60000 % 60, seconds = rest / 1000 % 60;
      guint64 millis = rest % 1000;

      g_string_append_c (s, 'T');
      if (hours > 0)
        g_string_append_printf (s, "%" G_GUINT64_FORMAT "H", hours);
      if (minutes > 0)
        g_string_append_printf (s, "%" G_GUINT64_FORMAT "M", minutes);
      if (millis > 0)
        {
          g_string_append_printf (s, "%" G_GUINT64_FORMAT ".%03" G_GUINT64_FORMAT, seconds, millis);
          while (s->str[s->len - 1] == '0')
            g_string_truncate (s, s->len - 1);
          g_string_append_c (s, 'S');
        }
      else if (seconds > 0 || rest == 0)
        g_string_append_printf (s, "%" G_GUINT64_FORMAT "S", seconds);
    }
  return g_string_free (s, FALSE);
}

JsonNode *
_bk_task_schedule_to_json (BkTaskSchedule *schedule)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *cadence = bk_task_schedule_dup_cadence (schedule);
  g_autofree char *timeout = _bk_duration_to_iso (schedule->timeout_ms);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, 2);
  json_builder_set_member_name (builder, "cadence");
  json_builder_add_string_value (builder, cadence);
  if (schedule->cron != NULL && _bk_cron_get_time_zone (schedule->cron) != NULL)
    {
      json_builder_set_member_name (builder, "timeZone");
      json_builder_add_string_value (builder, _bk_cron_get_time_zone (schedule->cron));
    }
  json_builder_set_member_name (builder, "timeoutAfterDuration");
  json_builder_add_string_value (builder, timeout);
  if (schedule->initial_delay_ms > 0)
    {
      g_autofree char *delay = _bk_duration_to_iso (schedule->initial_delay_ms);

      json_builder_set_member_name (builder, "initialDelayDuration");
      json_builder_add_string_value (builder, delay);
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static char *
full_key (BkConfig   *config,
          const char *key)
{
  const char *prefix = bk_config_get_prefix (config);

  if (prefix == NULL || *prefix == '\0')
    return g_strdup (key);
  return g_strdup_printf ("%s.%s", prefix, key);
}

/* Reads the duration at @key; a zero duration is refused. */
static gboolean
positive_duration (BkConfig    *config,
                   const char  *key,
                   guint64     *out,
                   GError     **error)
{
  guint64 ms = 0;

  if (!_bk_duration_from_config (config, key, 0, &ms, error))
    return FALSE;
  if (ms == 0)
    {
      g_autofree char *source = bk_config_dup_key_source (config, key);
      g_autofree char *where = full_key (config, key);

      g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                   "Invalid duration in config at '%s' in '%s', must be greater than zero",
                   where, source != NULL ? source : bk_config_get_source (config));
      return FALSE;
    }
  *out = ms;
  return TRUE;
}


/**
 * bk_task_schedule_new_from_config:
 * @config: a #BkConfig
 * @key: where the schedule is, such as `todo.cleanup`
 * @error: return location for a #GError
 *
 * Reads a schedule written the way Backstage's config writes one:
 *
 * ```yaml
 * todo:
 *   cleanup:
 *     frequency: { cron: '*\/5 * * * *', timeZone: Europe/Paris }   # or { minutes: 5 }, PT5M, 300000, { trigger: manual }
 *     timeout: { minutes: 3 }          # optional, BK_TASK_SCHEDULE_DEFAULT_TIMEOUT_MS
 *     initialDelay: { seconds: 30 }    # optional
 *     scope: global                    # or local; optional
 * ```
 *
 * Durations take every form `backend.lifecycle.hookTimeout` takes
 * (milliseconds, `30s`, ISO 8601, or an object of years … milliseconds).
 * A missing `frequency`, an invalid duration, cron expression or scope
 * fails with a %BK_CONFIG_ERROR that names the key and the file.
 *
 * Returns: (transfer full) (nullable): a new #BkTaskSchedule, or %NULL
 *
 * Since: 0.1
 */
BkTaskSchedule *
bk_task_schedule_new_from_config (BkConfig    *config,
                                  const char  *key,
                                  GError     **error)
{
  g_autoptr(BkConfig) section = NULL;
  g_autoptr(BkConfig) frequency = NULL;
  g_autoptr(BkTaskSchedule) schedule = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *scope = NULL;
  guint64 ms = 0;

  g_return_val_if_fail (BK_IS_CONFIG (config), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  if (!bk_config_get_config (config, key, &section, error))
    return NULL;

  node = bk_config_dup_node (section, "frequency");
  if (node == NULL)
    {
      /* The getter names the key and the file. */
      g_autofree char *ignored = NULL;

      bk_config_get_string (section, "frequency", &ignored, error);
      return NULL;
    }
  if (JSON_NODE_HOLDS_OBJECT (node)
      && (json_object_has_member (json_node_get_object (node), "cron")
          || json_object_has_member (json_node_get_object (node), "trigger")))
    {
      g_autofree char *cron = NULL;
      g_autofree char *trigger = NULL;
      g_autofree char *time_zone = NULL;

      if (!bk_config_get_config (section, "frequency", &frequency, error)
          || !bk_config_get_optional_string (frequency, "cron", NULL, &cron, error)
          || !bk_config_get_optional_string (frequency, "trigger", NULL, &trigger, error)
          || !bk_config_get_optional_string (frequency, "timeZone", NULL, &time_zone, error))
        return NULL;
      if (cron != NULL)
        {
          g_autoptr(GError) local_error = NULL;

          schedule = bk_task_schedule_new_cron (cron, time_zone, &local_error);
          if (schedule == NULL)
            {
              g_autofree char *where = full_key (frequency, "cron");
              g_autofree char *source = bk_config_dup_key_source (frequency, "cron");

              g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                           "%s, in config at '%s' in '%s'", local_error->message, where,
                           source != NULL ? source : bk_config_get_source (config));
              return NULL;
            }
        }
      else if (g_strcmp0 (trigger, "manual") == 0)
        schedule = bk_task_schedule_new_manual ();
      else
        {
          g_autofree char *where = full_key (frequency, "trigger");

          g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                       "Invalid frequency in config at '%s' in '%s', got trigger '%s', wanted 'manual'",
                       where, bk_config_get_source (config), trigger);
          return NULL;
        }
    }
  else
    {
      if (!positive_duration (section, "frequency", &ms, error))
        return NULL;
      schedule = bk_task_schedule_new_interval (ms);
    }

  ms = BK_TASK_SCHEDULE_DEFAULT_TIMEOUT_MS;
  if (bk_config_has (section, "timeout") && !positive_duration (section, "timeout", &ms, error))
    return NULL;
  schedule->timeout_ms = ms;
  if (!_bk_duration_from_config (section, "initialDelay", 0, &schedule->initial_delay_ms, error))
    return NULL;

  if (!bk_config_get_optional_string (section, "scope", "global", &scope, error))
    return NULL;
  if (g_str_equal (scope, "local"))
    schedule->scope = BK_SCHEDULER_SCOPE_LOCAL;
  else if (!g_str_equal (scope, "global"))
    {
      g_autofree char *where = full_key (section, "scope");

      g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                   "Only \"global\" or \"local\" are allowed for the scope in config at '%s' in '%s', but got: %s",
                   where, bk_config_get_source (config), scope);
      return NULL;
    }

  return g_steal_pointer (&schedule);
}

/* States ----------------------------------------------------------------------- */

G_DEFINE_BOXED_TYPE (BkTaskState, bk_task_state, bk_task_state_copy, bk_task_state_free)

/**
 * bk_task_state_copy:
 * @self: a #BkTaskState
 *
 * Copies a task state.
 *
 * Returns: (transfer full): a copy
 *
 * Since: 0.1
 */
BkTaskState *
bk_task_state_copy (const BkTaskState *self)
{
  BkTaskState *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  copy->id = g_strdup (self->id);
  copy->schedule = self->schedule != NULL ? bk_task_schedule_ref (self->schedule) : NULL;
  copy->last_error = g_strdup (self->last_error);
  return copy;
}

/**
 * bk_task_state_free:
 * @self: (transfer full): a #BkTaskState
 *
 * Frees a task state.
 *
 * Since: 0.1
 */
void
bk_task_state_free (BkTaskState *self)
{
  if (self == NULL)
    return;
  g_free (self->id);
  g_clear_pointer (&self->schedule, bk_task_schedule_unref);
  g_free (self->last_error);
  g_free (self);
}
