/* bk-clock.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-types.h"

G_BEGIN_DECLS

/**
 * BkClockFunc:
 * @user_data: closure data
 *
 * Called once when a timer of a [iface@Bk.Clock] is due.
 *
 * Since: 0.1
 */
typedef void (*BkClockFunc) (gpointer user_data);

#define BK_TYPE_CLOCK (bk_clock_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (BkClock, bk_clock, BK, CLOCK, GObject)

/**
 * BkClockInterface:
 * @parent_iface: the parent interface
 * @get_monotonic_time: microseconds on a clock that never goes back
 * @get_real_time: microseconds since the Unix epoch
 * @add_timer: calls a function once after a delay; returns an id > 0
 * @cancel_timer: cancels a timer that has not fired
 *
 * The `core.rootClock` service: every delay in libbackend (hook deadlines,
 * the startup progress log, and later the scheduler, cache TTLs and request
 * pauses) goes through it, so a test can replace it with a clock that only
 * moves when told.
 *
 * Since: 0.1
 */
struct _BkClockInterface
{
  GTypeInterface parent_iface;

  gint64 (*get_monotonic_time) (BkClock        *self);
  gint64 (*get_real_time)      (BkClock        *self);
  guint  (*add_timer)          (BkClock        *self,
                                guint64         delay_ms,
                                BkClockFunc     func,
                                gpointer        user_data,
                                GDestroyNotify  destroy);
  void   (*cancel_timer)       (BkClock        *self,
                                guint           id);
};

BK_AVAILABLE_IN_ALL
gint64 bk_clock_get_monotonic_time (BkClock        *self);
BK_AVAILABLE_IN_ALL
gint64 bk_clock_get_real_time      (BkClock        *self);
BK_AVAILABLE_IN_ALL
guint  bk_clock_add_timer          (BkClock        *self,
                                    guint64         delay_ms,
                                    BkClockFunc     func,
                                    gpointer        user_data,
                                    GDestroyNotify  destroy);
BK_AVAILABLE_IN_ALL
void   bk_clock_cancel_timer       (BkClock        *self,
                                    guint           id);

G_END_DECLS
