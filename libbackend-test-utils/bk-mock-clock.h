/* bk-mock-clock.h
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
 * BK_MOCK_CLOCK_START_MONOTONIC_TIME:
 *
 * The monotonic time of a new [class@Bk.MockClock], in microseconds (one
 * second).
 *
 * Since: 0.1
 */
#define BK_MOCK_CLOCK_START_MONOTONIC_TIME (G_GINT64_CONSTANT (1000000))

/**
 * BK_MOCK_CLOCK_START_REAL_TIME:
 *
 * The wall time of a new [class@Bk.MockClock], in microseconds since the
 * Unix epoch: 2024-01-01T00:00:00Z.
 *
 * Since: 0.1
 */
#define BK_MOCK_CLOCK_START_REAL_TIME (G_GINT64_CONSTANT (1704067200000000))

#define BK_TYPE_MOCK_CLOCK (bk_mock_clock_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkMockClock, bk_mock_clock, BK, MOCK_CLOCK, GObject)

BK_AVAILABLE_IN_ALL
BkMockClock      *bk_mock_clock_new                    (void);
BK_AVAILABLE_IN_ALL
void              bk_mock_clock_advance                (BkMockClock  *self,
                                                        guint64       ms);
BK_AVAILABLE_IN_ALL
gboolean          bk_mock_clock_advance_to_next        (BkMockClock  *self);
BK_AVAILABLE_IN_ALL
void              bk_mock_clock_set_real_time          (BkMockClock  *self,
                                                        gint64        real_time);
BK_AVAILABLE_IN_ALL
guint             bk_mock_clock_get_n_pending          (BkMockClock  *self);
BK_AVAILABLE_IN_ALL
BkServiceFactory *bk_mock_root_clock_factory_new       (void);

G_END_DECLS
