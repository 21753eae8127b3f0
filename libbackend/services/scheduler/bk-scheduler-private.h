/* bk-scheduler-private.h: what the scheduler's files share, and what the
 * tests may look at. Exported for the tests; never installed, not in the
 * GIR.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "libbackend.h"
#include "bk-cron-private.h"

G_BEGIN_DECLS

/* The parsed cron expression of a cron schedule, else NULL. */
BkCron   *_bk_task_schedule_get_cron_object (BkTaskSchedule *schedule);

/* "PT5S", "PT1H30M", "P1DT2H" for a number of milliseconds. */
char     *_bk_duration_to_iso               (guint64         ms);

/* Backstage's settings object: {version, cadence, timeoutAfterDuration,
 * initialDelayDuration?}. */
JsonNode *_bk_task_schedule_to_json         (BkTaskSchedule *schedule);

/* TRUE when the default scheduler has nothing in flight: no database call,
 * no run, every timer armed. Tests iterate the main context until it is. */
BK_AVAILABLE_IN_ALL
gboolean  _bk_scheduler_is_idle             (BkScheduler    *scheduler);

/* Stops (or resumes) the default scheduler's lock renewals, as if this
 * instance had frozen: its runs go on but their locks run out. Tests. */
BK_AVAILABLE_IN_ALL
void      _bk_scheduler_pause_renewals      (BkScheduler    *scheduler,
                                             gboolean        paused);

G_END_DECLS
