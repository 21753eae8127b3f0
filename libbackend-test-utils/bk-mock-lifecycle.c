/* bk-mock-lifecycle.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbackend-test-utils.h>

#include "bk-lifecycle-private.h"

/**
 * BkMockLifecycle:
 *
 * A [iface@Bk.Lifecycle] whose phases a test can trigger.
 *
 * A mock lifecycle is the library's own lifecycle (same order, each phase
 * once, failures logged, the same refusals, deadlines from
 * `backend.lifecycle.hookTimeout` on `core.rootClock`) with three things for
 * tests: [method@Bk.MockLifecycle.trigger] runs a phase's hooks now and
 * returns when they are done, [method@Bk.MockLifecycle.get_n_hooks] counts
 * the hooks added to a phase, and [method@Bk.MockLifecycle.has_begun] tells
 * whether a phase has run.
 *
 * Test backends and factory testers use mock lifecycles by default
 * ([func@Bk.mock_default_factories]), so the backend still runs every phase
 * itself at start and stop, and a test may also fire a plugin's hooks
 * earlier, on demand:
 *
 * ```c
 * BkMockLifecycle *lifecycle = bk_test_backend_get_service (backend, BK_SERVICE_LIFECYCLE, "todo");
 *
 * g_assert_cmpuint (bk_mock_lifecycle_get_n_hooks (lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN), ==, 1);
 * bk_mock_lifecycle_trigger (lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
 * // the plugin's shutdown hook has run; stopping the backend will not run it again
 * ```
 *
 * A phase runs once, whoever asks first; asking again does nothing. Because
 * the default clock of a test backend is a [class@Bk.MockClock], a hook that
 * never completes is abandoned only when the test advances the clock past
 * the deadline: to test one, run the phase with
 * [method@Bk.Lifecycle.run_phase_async], advance the clock, then iterate the
 * main context until the phase completes.
 *
 * Use a mock lifecycle from the thread that runs the test's main context.
 *
 * Since: 0.1
 */

/* How long trigger() waits, in real time, before it reports a phase that
 * does not complete instead of hanging the test. */
#define TRIGGER_GUARD_SECONDS 10

#define N_PHASES (BK_LIFECYCLE_PHASE_SHUTDOWN + 1)

struct _BkMockLifecycle
{
  GObject      parent_instance;

  /* the library's lifecycle, doing the work */
  BkLifecycle *inner;
  guint        n_hooks[N_PHASES];
  guint        begun : N_PHASES;
};

static void bk_mock_lifecycle_iface_init (BkLifecycleInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkMockLifecycle, bk_mock_lifecycle, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_LIFECYCLE, bk_mock_lifecycle_iface_init))

static gboolean
bk_mock_lifecycle_add_hook (BkLifecycle       *lifecycle,
                            BkLifecyclePhase   phase,
                            BkHookAsyncFunc    func,
                            gpointer           user_data,
                            GDestroyNotify     destroy,
                            const char        *location,
                            GError           **error)
{
  BkMockLifecycle *self = BK_MOCK_LIFECYCLE (lifecycle);

  if (!bk_lifecycle_add_hook_async_full (self->inner, phase, func, user_data, destroy,
                                         location, error))
    return FALSE;

  self->n_hooks[phase]++;
  return TRUE;
}

static void
inner_phase_done_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (bk_lifecycle_run_phase_finish (BK_LIFECYCLE (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
bk_mock_lifecycle_run_phase_async (BkLifecycle         *lifecycle,
                                   BkLifecyclePhase     phase,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  BkMockLifecycle *self = BK_MOCK_LIFECYCLE (lifecycle);
  GTask *task;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bk_mock_lifecycle_run_phase_async);
  g_task_set_check_cancellable (task, FALSE);

  self->begun |= 1u << phase;

  bk_lifecycle_run_phase_async (self->inner, phase, cancellable, inner_phase_done_cb, task);
}

static gboolean
bk_mock_lifecycle_run_phase_finish (BkLifecycle   *lifecycle,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, lifecycle), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == bk_mock_lifecycle_run_phase_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
bk_mock_lifecycle_iface_init (BkLifecycleInterface *iface)
{
  iface->add_hook = bk_mock_lifecycle_add_hook;
  iface->run_phase_async = bk_mock_lifecycle_run_phase_async;
  iface->run_phase_finish = bk_mock_lifecycle_run_phase_finish;
}

static void
bk_mock_lifecycle_dispose (GObject *object)
{
  BkMockLifecycle *self = BK_MOCK_LIFECYCLE (object);

  g_clear_object (&self->inner);

  G_OBJECT_CLASS (bk_mock_lifecycle_parent_class)->dispose (object);
}

static void
bk_mock_lifecycle_class_init (BkMockLifecycleClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = bk_mock_lifecycle_dispose;
}

static void
bk_mock_lifecycle_init (BkMockLifecycle *self)
{
}

/* What trigger() waits on; outlives trigger() if the guard gave up. */
typedef struct
{
  gboolean done;
} TriggerWait;

static void
trigger_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  TriggerWait *wait = user_data;

  bk_lifecycle_run_phase_finish (BK_LIFECYCLE (source), result, NULL);
  wait->done = TRUE;
  g_rc_box_release (wait);
}

static gboolean
guard_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static const char *
phase_name (BkLifecyclePhase phase)
{
  switch (phase)
    {
    case BK_LIFECYCLE_PHASE_STARTUP:
      return "startup";
    case BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN:
      return "before-shutdown";
    case BK_LIFECYCLE_PHASE_SHUTDOWN:
      return "shutdown";
    default:
      g_assert_not_reached ();
    }

  return NULL;
}

/**
 * bk_mock_lifecycle_trigger:
 * @self: a #BkMockLifecycle
 * @phase: the phase to run
 *
 * Runs the hooks of @phase now, as the backend would (in order, one after
 * another, failures logged through the lifecycle's logger), and returns
 * once they have all completed, iterating the thread-default main context
 * meanwhile. A phase that has begun already (triggered, or run by the
 * backend) is not run again.
 *
 * A hook that waits on the (mock) clock would never complete here: after
 * ten seconds of real time the call gives up with a critical warning, which
 * fails the test. Run such a phase with [method@Bk.Lifecycle.run_phase_async]
 * and advance the clock instead.
 *
 * Since: 0.1
 */
void
bk_mock_lifecycle_trigger (BkMockLifecycle  *self,
                           BkLifecyclePhase  phase)
{
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GSource) guard = NULL;
  gboolean timed_out = FALSE;
  TriggerWait *wait;

  g_return_if_fail (BK_IS_MOCK_LIFECYCLE (self));
  g_return_if_fail (phase <= BK_LIFECYCLE_PHASE_SHUTDOWN);

  context = g_main_context_ref_thread_default ();
  wait = g_rc_box_new0 (TriggerWait);

  bk_lifecycle_run_phase_async (BK_LIFECYCLE (self), phase, NULL, trigger_done_cb,
                                g_rc_box_acquire (wait));

  guard = g_timeout_source_new_seconds (TRIGGER_GUARD_SECONDS);
  g_source_set_static_name (guard, "[libbackend-test-utils] lifecycle trigger guard");
  g_source_set_callback (guard, guard_cb, &timed_out, NULL);
  g_source_attach (guard, context);

  while (!wait->done && !timed_out)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (guard);

  if (!wait->done)
    g_critical ("bk_mock_lifecycle_trigger(): the %s hooks did not complete within %d s; "
                "a hook may be waiting on the mock clock: run the phase with "
                "bk_lifecycle_run_phase_async() and advance the clock",
                phase_name (phase), TRIGGER_GUARD_SECONDS);

  g_rc_box_release (wait);
}

/**
 * bk_mock_lifecycle_get_n_hooks:
 * @self: a #BkMockLifecycle
 * @phase: a phase
 *
 * Counts the hooks that were added to @phase (refused ones not included),
 * whether or not they have run.
 *
 * Returns: the number of hooks added to @phase
 *
 * Since: 0.1
 */
guint
bk_mock_lifecycle_get_n_hooks (BkMockLifecycle  *self,
                               BkLifecyclePhase  phase)
{
  g_return_val_if_fail (BK_IS_MOCK_LIFECYCLE (self), 0);
  g_return_val_if_fail (phase <= BK_LIFECYCLE_PHASE_SHUTDOWN, 0);

  return self->n_hooks[phase];
}

/**
 * bk_mock_lifecycle_has_begun:
 * @self: a #BkMockLifecycle
 * @phase: a phase
 *
 * Tells whether @phase has been run, by [method@Bk.MockLifecycle.trigger]
 * or by the backend. It is %TRUE from the moment the phase begins, while its
 * hooks may still be running.
 *
 * Returns: %TRUE once @phase has begun
 *
 * Since: 0.1
 */
gboolean
bk_mock_lifecycle_has_begun (BkMockLifecycle  *self,
                             BkLifecyclePhase  phase)
{
  g_return_val_if_fail (BK_IS_MOCK_LIFECYCLE (self), FALSE);
  g_return_val_if_fail (phase <= BK_LIFECYCLE_PHASE_SHUTDOWN, FALSE);

  return (self->begun & (1u << phase)) != 0;
}

static GObject *
create_mock_lifecycle (BkDeps    *deps,
                       gpointer   root_context,
                       gpointer   user_data,
                       GError   **error)
{
  BkMockLifecycle *self;
  BkLifecycle *inner;

  inner = _bk_lifecycle_new_for_deps (deps, GPOINTER_TO_INT (user_data), error);
  if (inner == NULL)
    return NULL;

  self = g_object_new (BK_TYPE_MOCK_LIFECYCLE, NULL);
  self->inner = inner;

  return G_OBJECT (self);
}

/**
 * bk_mock_root_lifecycle_factory_new:
 *
 * Creates a factory for `core.rootLifecycle` that makes a
 * [class@Bk.MockLifecycle] with startup, before-shutdown and shutdown
 * hooks. It depends on `core.rootLogger`, `core.rootClock` and
 * `core.rootConfig`, as the default does.
 *
 * Returns: (transfer full): a new #BkServiceFactory
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_mock_root_lifecycle_factory_new (void)
{
  return bk_service_factory_new (BK_SERVICE_ROOT_LIFECYCLE,
                                 create_mock_lifecycle, GINT_TO_POINTER (TRUE), NULL,
                                 BK_SERVICE_ROOT_LOGGER,
                                 BK_SERVICE_ROOT_CLOCK,
                                 BK_SERVICE_ROOT_CONFIG,
                                 NULL);
}

/**
 * bk_mock_lifecycle_factory_new:
 *
 * Creates a factory for `core.lifecycle` that makes a
 * [class@Bk.MockLifecycle] for each plugin, with startup and shutdown
 * hooks. It depends on `core.logger`, `core.rootClock`, `core.rootConfig`
 * and `core.pluginMetadata`, as the default does.
 *
 * Returns: (transfer full): a new #BkServiceFactory
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_mock_lifecycle_factory_new (void)
{
  return bk_service_factory_new (BK_SERVICE_LIFECYCLE,
                                 create_mock_lifecycle, GINT_TO_POINTER (FALSE), NULL,
                                 BK_SERVICE_LOGGER,
                                 BK_SERVICE_ROOT_CLOCK,
                                 BK_SERVICE_ROOT_CONFIG,
                                 BK_SERVICE_PLUGIN_METADATA,
                                 NULL);
}
