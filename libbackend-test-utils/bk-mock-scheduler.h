/* bk-mock-scheduler.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_TEST_UTILS_INSIDE) && !defined(BK_TEST_UTILS_COMPILATION)
# error "Only <libbackend-test-utils.h> can be included directly."
#endif

#include <libbackend.h>

G_BEGIN_DECLS

/**
 * BkMockSchedulerFlags:
 * @BK_MOCK_SCHEDULER_NONE: run every task that is neither manual nor
 *   delayed once when its plugin starts (Backstage's default)
 * @BK_MOCK_SCHEDULER_SKIP_RUN_ON_STARTUP: run nothing at startup
 * @BK_MOCK_SCHEDULER_INCLUDE_MANUAL_ON_STARTUP: also run manual tasks at
 *   startup
 * @BK_MOCK_SCHEDULER_INCLUDE_INITIAL_DELAY_ON_STARTUP: also run tasks
 *   with an initial delay at startup
 *
 * What a [class@Bk.MockScheduler] runs when its plugin starts.
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/
{
  BK_MOCK_SCHEDULER_NONE = 0,
  BK_MOCK_SCHEDULER_SKIP_RUN_ON_STARTUP = 1 << 0,
  BK_MOCK_SCHEDULER_INCLUDE_MANUAL_ON_STARTUP = 1 << 1,
  BK_MOCK_SCHEDULER_INCLUDE_INITIAL_DELAY_ON_STARTUP = 1 << 2,
} BkMockSchedulerFlags;

#define BK_TYPE_MOCK_SCHEDULER (bk_mock_scheduler_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkMockScheduler, bk_mock_scheduler, BK, MOCK_SCHEDULER, GObject)

BK_AVAILABLE_IN_ALL
BkMockScheduler  *bk_mock_scheduler_new           (BkMockSchedulerFlags  flags);
BK_AVAILABLE_IN_ALL
void              bk_mock_scheduler_run_startup   (BkMockScheduler      *self);
BK_AVAILABLE_IN_ALL
gboolean          bk_mock_scheduler_wait_for_task (BkMockScheduler      *self,
                                                   const char           *id,
                                                   GError              **error);
BK_AVAILABLE_IN_ALL
guint             bk_mock_scheduler_get_n_runs    (BkMockScheduler      *self,
                                                   const char           *id);
BK_AVAILABLE_IN_ALL
BkServiceFactory *bk_mock_scheduler_factory_new   (BkMockSchedulerFlags  flags);

G_END_DECLS
