/* bk-cron-private.h: cron expressions, for the scheduler.
 *
 * Exported from the shared library so the tests can check the parser and
 * the next-time computation table by table; never installed, not part of
 * the GIR. Not for applications.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "libbackend.h"

G_BEGIN_DECLS

typedef struct _BkCron BkCron;

/* Parses a cron expression of 5 fields (minute hour day-of-month month
 * day-of-week) or 6 (second first). Each field is `*`, a value, a range
 * `a-b`, a step `*\/n`, `a/n` or `a-b/n`, or a comma list of those; months
 * take JAN-DEC and days of the week SUN-SAT (case-insensitive), and both 0
 * and 7 are Sunday. `?` is accepted as `*` in the day fields. When both
 * day fields are restricted (neither starts with `*`), a day matches when
 * either does, as in Vixie cron.
 *
 * @time_zone (nullable) is an IANA identifier ("Europe/Paris") the
 * expression is read in; NULL is UTC. An unknown zone is refused.
 *
 * Errors are BK_HTTP_ERROR_INPUT and name the expression and the field:
 *   Invalid cron expression '61 * * * *', minute field '61' is out of range 0-59
 */
BK_AVAILABLE_IN_ALL
BkCron    *_bk_cron_new          (const char  *expression,
                                  const char  *time_zone,
                                  GError     **error);
BK_AVAILABLE_IN_ALL
void       _bk_cron_free         (BkCron      *cron);
BK_AVAILABLE_IN_ALL
const char *_bk_cron_get_expression (BkCron   *cron);
BK_AVAILABLE_IN_ALL
const char *_bk_cron_get_time_zone  (BkCron   *cron);

/* The first time the expression matches strictly after @after, in the
 * expression's zone (the result is in that zone), or NULL when there is
 * none in the next 30 years. Local times that a DST change skips fire once,
 * at the end of the gap; local times that occur twice fire once, at their
 * first occurrence. */
BK_AVAILABLE_IN_ALL
GDateTime *_bk_cron_next         (BkCron      *cron,
                                  GDateTime   *after);

/* The same on milliseconds since the Unix epoch; -1 when none. */
BK_AVAILABLE_IN_ALL
gint64     _bk_cron_next_ms      (BkCron      *cron,
                                  gint64       after_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BkCron, _bk_cron_free)

G_END_DECLS
