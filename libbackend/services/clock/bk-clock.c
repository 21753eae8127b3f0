/* bk-clock.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkClock:
 *
 * Time for the backend: monotonic and wall time, and one-shot timers. The
 * default implementation uses GLib's clocks and sources on the main
 * context that was thread-default when it was made (the backend's); the
 * test kit's mock clock moves only when a test advances it.
 *
 * Since: 0.1
 */

#include "libbackend.h"
#include "bk-services-private.h"

G_DEFINE_INTERFACE (BkClock, bk_clock, G_TYPE_OBJECT)

static void
bk_clock_default_init (BkClockInterface *iface)
{
}

/**
 * bk_clock_get_monotonic_time:
 * @self: a #BkClock
 *
 * Reads the monotonic clock.
 *
 * Returns: microseconds on a clock that never goes back
 *
 * Since: 0.1
 */
gint64
bk_clock_get_monotonic_time (BkClock *self)
{
  g_return_val_if_fail (BK_IS_CLOCK (self), 0);

  return BK_CLOCK_GET_IFACE (self)->get_monotonic_time (self);
}

/**
 * bk_clock_get_real_time:
 * @self: a #BkClock
 *
 * Reads the wall clock.
 *
 * Returns: microseconds since the Unix epoch
 *
 * Since: 0.1
 */
gint64
bk_clock_get_real_time (BkClock *self)
{
  g_return_val_if_fail (BK_IS_CLOCK (self), 0);

  return BK_CLOCK_GET_IFACE (self)->get_real_time (self);
}

/**
 * bk_clock_add_timer:
 * @self: a #BkClock
 * @delay_ms: the delay in milliseconds
 * @func: (scope notified): called once when the timer is due
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data after the call or
 *   the cancellation
 *
 * Calls @func once, @delay_ms from now on this clock.
 *
 * Returns: the timer's id, for [method@Bk.Clock.cancel_timer]
 *
 * Since: 0.1
 */
guint
bk_clock_add_timer (BkClock        *self,
                    guint64         delay_ms,
                    BkClockFunc     func,
                    gpointer        user_data,
                    GDestroyNotify  destroy)
{
  g_return_val_if_fail (BK_IS_CLOCK (self), 0);
  g_return_val_if_fail (func != NULL, 0);

  return BK_CLOCK_GET_IFACE (self)->add_timer (self, delay_ms, func, user_data, destroy);
}

/**
 * bk_clock_cancel_timer:
 * @self: a #BkClock
 * @id: a timer id from [method@Bk.Clock.add_timer]
 *
 * Cancels a timer that has not fired yet; its data is freed. Cancelling a
 * timer that fired or was cancelled already does nothing.
 *
 * Since: 0.1
 */
void
bk_clock_cancel_timer (BkClock *self,
                       guint    id)
{
  g_return_if_fail (BK_IS_CLOCK (self));

  BK_CLOCK_GET_IFACE (self)->cancel_timer (self, id);
}

/* The default clock: GLib's clocks, GSources on the backend's context. */

#define BK_TYPE_SYSTEM_CLOCK (bk_system_clock_get_type ())
G_DECLARE_FINAL_TYPE (BkSystemClock, bk_system_clock, BK, SYSTEM_CLOCK, GObject)

struct _BkSystemClock
{
  GObject       parent_instance;
  GMainContext *context;
  GHashTable   *timers;   /* id → GSource */
  guint         next_id;
};

typedef struct
{
  BkSystemClock  *clock;    /* unowned; the source dies with the clock */
  guint           id;
  BkClockFunc     func;
  gpointer        user_data;
  GDestroyNotify  destroy;
} SystemTimer;

static void bk_system_clock_iface_init (BkClockInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkSystemClock, bk_system_clock, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_CLOCK, bk_system_clock_iface_init))

static void
system_timer_free (gpointer data)
{
  SystemTimer *timer = data;

  if (timer->destroy != NULL)
    timer->destroy (timer->user_data);
  g_free (timer);
}

static gboolean
system_timer_fire (gpointer data)
{
  SystemTimer *timer = data;

  /* The source is removed from the table (and freed after this returns). */
  g_hash_table_steal (timer->clock->timers, GUINT_TO_POINTER (timer->id));
  timer->func (timer->user_data);
  return G_SOURCE_REMOVE;
}

static gint64
bk_system_clock_get_monotonic_time (BkClock *clock)
{
  return g_get_monotonic_time ();
}

static gint64
bk_system_clock_get_real_time (BkClock *clock)
{
  return g_get_real_time ();
}

static guint
bk_system_clock_add_timer (BkClock        *clock,
                           guint64         delay_ms,
                           BkClockFunc     func,
                           gpointer        user_data,
                           GDestroyNotify  destroy)
{
  BkSystemClock *self = BK_SYSTEM_CLOCK (clock);
  SystemTimer *timer = g_new0 (SystemTimer, 1);
  GSource *source;

  timer->clock = self;
  timer->id = ++self->next_id;
  timer->func = func;
  timer->user_data = user_data;
  timer->destroy = destroy;

  source = g_timeout_source_new ((guint) MIN (delay_ms, G_MAXUINT));
  g_source_set_static_name (source, "[libbackend] clock timer");
  g_source_set_callback (source, system_timer_fire, timer, system_timer_free);
  g_source_attach (source, self->context);
  g_hash_table_insert (self->timers, GUINT_TO_POINTER (timer->id), source);
  g_source_unref (source);

  return timer->id;
}

static void
bk_system_clock_cancel_timer (BkClock *clock,
                              guint    id)
{
  BkSystemClock *self = BK_SYSTEM_CLOCK (clock);

  g_hash_table_remove (self->timers, GUINT_TO_POINTER (id));
}

static void
bk_system_clock_iface_init (BkClockInterface *iface)
{
  iface->get_monotonic_time = bk_system_clock_get_monotonic_time;
  iface->get_real_time = bk_system_clock_get_real_time;
  iface->add_timer = bk_system_clock_add_timer;
  iface->cancel_timer = bk_system_clock_cancel_timer;
}

static void
bk_system_clock_dispose (GObject *object)
{
  BkSystemClock *self = BK_SYSTEM_CLOCK (object);

  g_clear_pointer (&self->timers, g_hash_table_unref);

  G_OBJECT_CLASS (bk_system_clock_parent_class)->dispose (object);
}

static void
bk_system_clock_finalize (GObject *object)
{
  BkSystemClock *self = BK_SYSTEM_CLOCK (object);

  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (bk_system_clock_parent_class)->finalize (object);
}

static void
bk_system_clock_class_init (BkSystemClockClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bk_system_clock_dispose;
  object_class->finalize = bk_system_clock_finalize;
}

static void
bk_system_clock_init (BkSystemClock *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->timers = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_source_destroy);
}

static GObject *
create_system_clock (BkDeps    *deps,
                     gpointer   root_context,
                     gpointer   user_data,
                     GError   **error)
{
  return g_object_new (BK_TYPE_SYSTEM_CLOCK, NULL);
}

BkServiceFactory *
_bk_root_clock_default_factory (void)
{
  return bk_service_factory_new (BK_SERVICE_ROOT_CLOCK, create_system_clock, NULL, NULL, NULL);
}
