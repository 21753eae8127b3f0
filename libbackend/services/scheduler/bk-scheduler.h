/* bk-scheduler.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include <gio/gio.h>

#include "bk-types.h"
#include "bk-config.h"

G_BEGIN_DECLS

/**
 * BkSchedulerScope:
 * @BK_SCHEDULER_SCOPE_GLOBAL: the task runs on one instance at a time
 *   among all the instances that share the plugin's database
 * @BK_SCHEDULER_SCOPE_LOCAL: every instance runs the task on its own
 *   timer, without the database
 *
 * Where a scheduled task runs.
 *
 * Since: 0.1
 */
typedef enum
{
  BK_SCHEDULER_SCOPE_GLOBAL,
  BK_SCHEDULER_SCOPE_LOCAL,
} BkSchedulerScope;

/**
 * BkTaskFrequency:
 * @BK_TASK_FREQUENCY_INTERVAL: every so many milliseconds
 * @BK_TASK_FREQUENCY_CRON: at the times of a cron expression
 * @BK_TASK_FREQUENCY_MANUAL: only when triggered
 *
 * How often a task runs.
 *
 * Since: 0.1
 */
typedef enum
{
  BK_TASK_FREQUENCY_INTERVAL,
  BK_TASK_FREQUENCY_CRON,
  BK_TASK_FREQUENCY_MANUAL,
} BkTaskFrequency;

/**
 * BK_TASK_SCHEDULE_DEFAULT_TIMEOUT_MS:
 *
 * The timeout of a [struct@Bk.TaskSchedule] that sets none: five minutes.
 *
 * Since: 0.1
 */
#define BK_TASK_SCHEDULE_DEFAULT_TIMEOUT_MS (G_GUINT64_CONSTANT (300000))

#define BK_TYPE_TASK_SCHEDULE (bk_task_schedule_get_type ())

/**
 * BkTaskSchedule:
 *
 * When a scheduled task runs: its frequency, timeout, initial delay and
 * scope. An opaque, reference-counted structure.
 *
 * Since: 0.1
 */
typedef struct _BkTaskSchedule BkTaskSchedule;

BK_AVAILABLE_IN_ALL
GType            bk_task_schedule_get_type          (void) G_GNUC_CONST;
BK_AVAILABLE_IN_ALL
BkTaskSchedule  *bk_task_schedule_new_interval      (guint64           interval_ms);
BK_AVAILABLE_IN_ALL
BkTaskSchedule  *bk_task_schedule_new_cron          (const char       *cron,
                                                     const char       *time_zone,
                                                     GError          **error);
BK_AVAILABLE_IN_ALL
BkTaskSchedule  *bk_task_schedule_new_manual        (void);
BK_AVAILABLE_IN_ALL
BkTaskSchedule  *bk_task_schedule_new_from_config   (BkConfig         *config,
                                                     const char       *key,
                                                     GError          **error);
BK_AVAILABLE_IN_ALL
BkTaskSchedule  *bk_task_schedule_ref               (BkTaskSchedule   *self);
BK_AVAILABLE_IN_ALL
void             bk_task_schedule_unref             (BkTaskSchedule   *self);
BK_AVAILABLE_IN_ALL
void             bk_task_schedule_set_timeout       (BkTaskSchedule   *self,
                                                     guint64           timeout_ms);
BK_AVAILABLE_IN_ALL
void             bk_task_schedule_set_initial_delay (BkTaskSchedule   *self,
                                                     guint64           delay_ms);
BK_AVAILABLE_IN_ALL
void             bk_task_schedule_set_scope         (BkTaskSchedule   *self,
                                                     BkSchedulerScope  scope);
BK_AVAILABLE_IN_ALL
BkTaskFrequency  bk_task_schedule_get_frequency     (BkTaskSchedule   *self);
BK_AVAILABLE_IN_ALL
guint64          bk_task_schedule_get_interval      (BkTaskSchedule   *self);
BK_AVAILABLE_IN_ALL
const char      *bk_task_schedule_get_cron          (BkTaskSchedule   *self);
BK_AVAILABLE_IN_ALL
const char      *bk_task_schedule_get_time_zone     (BkTaskSchedule   *self);
BK_AVAILABLE_IN_ALL
guint64          bk_task_schedule_get_timeout       (BkTaskSchedule   *self);
BK_AVAILABLE_IN_ALL
guint64          bk_task_schedule_get_initial_delay (BkTaskSchedule   *self);
BK_AVAILABLE_IN_ALL
BkSchedulerScope bk_task_schedule_get_scope         (BkTaskSchedule   *self);
BK_AVAILABLE_IN_ALL
char            *bk_task_schedule_dup_cadence       (BkTaskSchedule   *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BkTaskSchedule, bk_task_schedule_unref)

#define BK_TYPE_TASK_STATE (bk_task_state_get_type ())

/**
 * BkTaskState:
 * @id: the task's id
 * @scope: where it runs
 * @schedule: its schedule
 * @running: whether a run is in progress (for a global task, on any
 *   instance, as this instance last saw the database)
 * @next_run_at: when the next run is due, in milliseconds since the Unix
 *   epoch on the backend's clock; -1 when none is (a manual task)
 * @last_run_started_at: when the last (or current) run started; -1 if never
 * @last_run_ended_at: when the last run ended; -1 if none has
 * @last_error: (nullable): why the last run failed, %NULL if it succeeded
 *
 * A snapshot of a scheduled task, from [method@Bk.Scheduler.dup_tasks].
 *
 * Since: 0.1
 */
typedef struct
{
  char             *id;
  BkSchedulerScope  scope;
  BkTaskSchedule   *schedule;
  gboolean          running;
  gint64            next_run_at;
  gint64            last_run_started_at;
  gint64            last_run_ended_at;
  char             *last_error;
} BkTaskState;

BK_AVAILABLE_IN_ALL
GType        bk_task_state_get_type (void) G_GNUC_CONST;
BK_AVAILABLE_IN_ALL
BkTaskState *bk_task_state_copy     (const BkTaskState *self);
BK_AVAILABLE_IN_ALL
void         bk_task_state_free     (BkTaskState       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BkTaskState, bk_task_state_free)

/**
 * BkSchedulerTaskFunc:
 * @task: (transfer full): the run; its cancellable
 *   (g_task_get_cancellable()) fires at the task's timeout, when the task
 *   is cancelled and at shutdown. Complete it with g_task_return_boolean()
 *   or g_task_return_error(), then release it with g_object_unref()
 * @user_data: the data given to [method@Bk.Scheduler.schedule_task]
 *
 * One run of a scheduled task, on the backend's main context. A run that
 * fails is recorded in the task's state and the task runs again at its
 * next time.
 *
 * Since: 0.1
 */
typedef void (*BkSchedulerTaskFunc) (GTask    *task,
                                     gpointer  user_data);

#define BK_TYPE_SCHEDULER (bk_scheduler_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (BkScheduler, bk_scheduler, BK, SCHEDULER, GObject)

/**
 * BkSchedulerInterface:
 * @parent_iface: the parent interface
 * @schedule_task: adds a task
 * @trigger_task_async: runs a task now
 * @trigger_task_finish: finishes @trigger_task_async
 * @cancel_task: cancels a task's run in progress on this instance
 * @dup_tasks: lists the tasks with their state
 *
 * The `core.scheduler` service: a plugin's recurring tasks.
 *
 * Since: 0.1
 */
struct _BkSchedulerInterface
{
  GTypeInterface parent_iface;

  gboolean   (*schedule_task)       (BkScheduler          *self,
                                     const char           *id,
                                     BkTaskSchedule       *schedule,
                                     BkSchedulerTaskFunc   func,
                                     gpointer              user_data,
                                     GDestroyNotify        destroy,
                                     GError              **error);
  void       (*trigger_task_async)  (BkScheduler          *self,
                                     const char           *id,
                                     GCancellable         *cancellable,
                                     GAsyncReadyCallback   callback,
                                     gpointer              user_data);
  gboolean   (*trigger_task_finish) (BkScheduler          *self,
                                     GAsyncResult         *result,
                                     GError              **error);
  gboolean   (*cancel_task)         (BkScheduler          *self,
                                     const char           *id,
                                     GError              **error);
  GPtrArray *(*dup_tasks)           (BkScheduler          *self);
};

BK_AVAILABLE_IN_ALL
gboolean   bk_scheduler_schedule_task       (BkScheduler          *self,
                                             const char           *id,
                                             BkTaskSchedule       *schedule,
                                             BkSchedulerTaskFunc   func,
                                             gpointer              user_data,
                                             GDestroyNotify        destroy,
                                             GError              **error);
BK_AVAILABLE_IN_ALL
void       bk_scheduler_trigger_task_async  (BkScheduler          *self,
                                             const char           *id,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
BK_AVAILABLE_IN_ALL
gboolean   bk_scheduler_trigger_task_finish (BkScheduler          *self,
                                             GAsyncResult         *result,
                                             GError              **error);
BK_AVAILABLE_IN_ALL
gboolean   bk_scheduler_cancel_task         (BkScheduler          *self,
                                             const char           *id,
                                             GError              **error);
BK_AVAILABLE_IN_ALL
GPtrArray *bk_scheduler_dup_tasks           (BkScheduler          *self);
BK_AVAILABLE_IN_ALL
gboolean   bk_scheduler_is_valid_task_id    (const char           *id,
                                             GError              **error);

G_END_DECLS
