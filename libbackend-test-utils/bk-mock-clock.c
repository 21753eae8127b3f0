/* bk-mock-clock.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbackend-test-utils.h>

/**
 * BkMockClock:
 *
 * A [iface@Bk.Clock] for tests whose time moves only when the test says so.
 *
 * A new mock clock reads %BK_MOCK_CLOCK_START_MONOTONIC_TIME (one second)
 * on its monotonic clock and %BK_MOCK_CLOCK_START_REAL_TIME
 * (2024-01-01T00:00:00Z) on its wall clock. Nothing fires and nothing moves
 * until the test calls [method@Bk.MockClock.advance] or
 * [method@Bk.MockClock.advance_to_next]: a 30 s deadline takes no time at
 * all, and never fires by accident in a slow CI run.
 *
 * Advancing fires every timer that falls due, in the order of their due
 * times (timers due at the same time in the order they were added), each
 * called with the clock reading exactly its due time, from inside the call
 * to `advance`. A timer added by a callback fires in the same advance when
 * it falls due within it (a delay of 0 fires right after the callback that
 * added it, and after anything else already due at that time). Both clocks
 * move together; [method@Bk.MockClock.set_real_time] moves the wall clock
 * alone (no timer fires: timers run on the monotonic clock).
 *
 * Test backends use a mock clock by default ([func@Bk.mock_default_factories]),
 * so lifecycle hook deadlines never fire in a test unless it advances the
 * clock:
 *
 * ```c
 * BkMockClock *clock = bk_test_backend_get_service (backend, BK_SERVICE_ROOT_CLOCK, NULL);
 *
 * bk_mock_clock_advance (clock, 30000);   // the hung hook's deadline passes
 * ```
 *
 * Callbacks run synchronously, inside `advance`; work they hand to the main
 * context (a #GTask completing, say) runs when the test next iterates it.
 *
 * A mock clock is not thread-safe: use it from the thread that runs the
 * test's main context.
 *
 * Since: 0.1
 */

typedef struct
{
  guint          id;
  gint64         due;   /* monotonic µs */
  BkClockFunc    func;
  gpointer       user_data;
  GDestroyNotify destroy;
} MockTimer;

struct _BkMockClock
{
  GObject  parent_instance;

  gint64   monotonic_time;
  gint64   real_time;
  /* (element-type MockTimer), by due time, then id */
  GQueue  *timers;
  guint    next_id;
  gboolean advancing;
};

static void bk_mock_clock_iface_init (BkClockInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkMockClock, bk_mock_clock, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_CLOCK, bk_mock_clock_iface_init))

static void
mock_timer_free (MockTimer *timer)
{
  if (timer->destroy != NULL)
    timer->destroy (timer->user_data);
  g_free (timer);
}

static gint64
bk_mock_clock_get_monotonic_time (BkClock *clock)
{
  return BK_MOCK_CLOCK (clock)->monotonic_time;
}

static gint64
bk_mock_clock_get_real_time (BkClock *clock)
{
  return BK_MOCK_CLOCK (clock)->real_time;
}

/* @a + @b µs, stopping at G_MAXINT64. */
static gint64
add_saturated (gint64  a,
               guint64 b)
{
  gint64 sum;

  if (b > (guint64) G_MAXINT64 || __builtin_add_overflow (a, (gint64) b, &sum))
    return G_MAXINT64;
  return sum;
}

static guint64
ms_to_us (guint64 ms)
{
  return ms > G_MAXUINT64 / 1000 ? G_MAXUINT64 : ms * 1000;
}

static guint
bk_mock_clock_add_timer (BkClock        *clock,
                         guint64         delay_ms,
                         BkClockFunc     func,
                         gpointer        user_data,
                         GDestroyNotify  destroy)
{
  BkMockClock *self = BK_MOCK_CLOCK (clock);
  MockTimer *timer;
  GList *link;

  /* Disposed: nothing could fire or cancel it. */
  if (self->timers == NULL)
    {
      if (destroy != NULL)
        destroy (user_data);
      return 0;
    }

  timer = g_new0 (MockTimer, 1);
  if (++self->next_id == 0)
    self->next_id = 1;
  timer->id = self->next_id;
  timer->due = add_saturated (self->monotonic_time, ms_to_us (delay_ms));
  timer->func = func;
  timer->user_data = user_data;
  timer->destroy = destroy;

  /* After every timer due at the same time or earlier: ties keep the order
   * in which they were added. New timers are usually the latest. */
  for (link = self->timers->tail; link != NULL; link = link->prev)
    {
      MockTimer *other = link->data;

      if (other->due <= timer->due)
        break;
    }
  if (link != NULL)
    g_queue_insert_after (self->timers, link, timer);
  else
    g_queue_push_head (self->timers, timer);

  return timer->id;
}

static void
bk_mock_clock_cancel_timer (BkClock *clock,
                            guint    id)
{
  BkMockClock *self = BK_MOCK_CLOCK (clock);

  if (self->timers == NULL || id == 0)
    return;

  for (GList *link = self->timers->head; link != NULL; link = link->next)
    {
      MockTimer *timer = link->data;

      if (timer->id == id)
        {
          g_queue_delete_link (self->timers, link);
          mock_timer_free (timer);
          return;
        }
    }
}

static void
bk_mock_clock_iface_init (BkClockInterface *iface)
{
  iface->get_monotonic_time = bk_mock_clock_get_monotonic_time;
  iface->get_real_time = bk_mock_clock_get_real_time;
  iface->add_timer = bk_mock_clock_add_timer;
  iface->cancel_timer = bk_mock_clock_cancel_timer;
}

static void
bk_mock_clock_dispose (GObject *object)
{
  BkMockClock *self = BK_MOCK_CLOCK (object);
  GQueue *timers = g_steal_pointer (&self->timers);

  /* Destroy notifies may call back into the clock: it is empty by then. */
  if (timers != NULL)
    g_queue_free_full (timers, (GDestroyNotify) mock_timer_free);

  G_OBJECT_CLASS (bk_mock_clock_parent_class)->dispose (object);
}

static void
bk_mock_clock_class_init (BkMockClockClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = bk_mock_clock_dispose;
}

static void
bk_mock_clock_init (BkMockClock *self)
{
  self->monotonic_time = BK_MOCK_CLOCK_START_MONOTONIC_TIME;
  self->real_time = BK_MOCK_CLOCK_START_REAL_TIME;
  self->timers = g_queue_new ();
}

/**
 * bk_mock_clock_new:
 *
 * Creates a mock clock at %BK_MOCK_CLOCK_START_MONOTONIC_TIME and
 * %BK_MOCK_CLOCK_START_REAL_TIME, with no timers.
 *
 * Returns: (transfer full): a new #BkMockClock
 *
 * Since: 0.1
 */
BkMockClock *
bk_mock_clock_new (void)
{
  return g_object_new (BK_TYPE_MOCK_CLOCK, NULL);
}

/* Moves both clocks to monotonic time @time (never back). */
static void
move_to (BkMockClock *self,
         gint64       time)
{
  if (time <= self->monotonic_time)
    return;
  self->real_time = add_saturated (self->real_time, (guint64) (time - self->monotonic_time));
  self->monotonic_time = time;
}

static MockTimer *
pop_due (BkMockClock *self,
         gint64       until)
{
  MockTimer *timer;

  if (self->timers == NULL)
    return NULL;
  timer = g_queue_peek_head (self->timers);
  if (timer == NULL || timer->due > until)
    return NULL;
  return g_queue_pop_head (self->timers);
}

static void
fire (BkMockClock *self,
      MockTimer   *timer)
{
  move_to (self, timer->due);
  timer->func (timer->user_data);
  mock_timer_free (timer);
}

/**
 * bk_mock_clock_advance:
 * @self: a #BkMockClock
 * @ms: how far to move, in milliseconds (0 fires what is due now)
 *
 * Moves the clock forward by @ms, firing every timer that falls due on the
 * way, in order of due time (ties in the order they were added), each with
 * the clock at its due time, including timers that callbacks add when they
 * fall due before the end. Then the clock reads the old time plus @ms.
 *
 * Must not be called from a timer's callback.
 *
 * Since: 0.1
 */
void
bk_mock_clock_advance (BkMockClock *self,
                       guint64      ms)
{
  MockTimer *timer;
  gint64 target;

  g_return_if_fail (BK_IS_MOCK_CLOCK (self));
  g_return_if_fail (!self->advancing);

  target = add_saturated (self->monotonic_time, ms_to_us (ms));

  g_object_ref (self);
  self->advancing = TRUE;

  while ((timer = pop_due (self, target)) != NULL)
    fire (self, timer);
  move_to (self, target);

  self->advancing = FALSE;
  g_object_unref (self);
}

/**
 * bk_mock_clock_advance_to_next:
 * @self: a #BkMockClock
 *
 * Moves the clock to the due time of the earliest pending timer and fires
 * that one timer only (of several due at the same time, the first added).
 * Handy when a test knows that something is waiting on the clock, a hung
 * lifecycle hook say, but not for how long.
 *
 * Must not be called from a timer's callback.
 *
 * Returns: %TRUE if a timer fired, %FALSE if none was pending
 *
 * Since: 0.1
 */
gboolean
bk_mock_clock_advance_to_next (BkMockClock *self)
{
  MockTimer *timer;

  g_return_val_if_fail (BK_IS_MOCK_CLOCK (self), FALSE);
  g_return_val_if_fail (!self->advancing, FALSE);

  timer = pop_due (self, G_MAXINT64);
  if (timer == NULL)
    return FALSE;

  g_object_ref (self);
  self->advancing = TRUE;

  fire (self, timer);

  self->advancing = FALSE;
  g_object_unref (self);

  return TRUE;
}

/**
 * bk_mock_clock_set_real_time:
 * @self: a #BkMockClock
 * @real_time: microseconds since the Unix epoch
 *
 * Sets the wall clock, forward or back, as when the system clock is
 * changed. The monotonic clock does not move and no timer fires; from now
 * on both move together again.
 *
 * Since: 0.1
 */
void
bk_mock_clock_set_real_time (BkMockClock *self,
                             gint64       real_time)
{
  g_return_if_fail (BK_IS_MOCK_CLOCK (self));

  self->real_time = real_time;
}

/**
 * bk_mock_clock_get_n_pending:
 * @self: a #BkMockClock
 *
 * Counts the timers that have neither fired nor been cancelled.
 *
 * Returns: the number of pending timers
 *
 * Since: 0.1
 */
guint
bk_mock_clock_get_n_pending (BkMockClock *self)
{
  g_return_val_if_fail (BK_IS_MOCK_CLOCK (self), 0);

  return self->timers != NULL ? self->timers->length : 0;
}

static GObject *
create_mock_clock (BkDeps    *deps,
                   gpointer   root_context,
                   gpointer   user_data,
                   GError   **error)
{
  return G_OBJECT (bk_mock_clock_new ());
}

/**
 * bk_mock_root_clock_factory_new:
 *
 * Creates a factory for `core.rootClock` that makes a new [class@Bk.MockClock]
 * for each backend. Reach it with `bk_test_backend_get_service (backend,
 * BK_SERVICE_ROOT_CLOCK, NULL)`.
 *
 * Returns: (transfer full): a new #BkServiceFactory
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_mock_root_clock_factory_new (void)
{
  return bk_service_factory_new (BK_SERVICE_ROOT_CLOCK, create_mock_clock, NULL, NULL, NULL);
}
