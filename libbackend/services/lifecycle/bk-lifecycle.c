/* bk-lifecycle.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "libbackend.h"
#include "bk-services-private.h"
#include "bk-duration-private.h"
#include "bk-lifecycle-private.h"

/**
 * BkLifecycle:
 *
 * The `core.rootLifecycle` and `core.lifecycle` services: hooks that run at
 * startup and at shutdown.
 *
 * A plugin-scoped lifecycle (`core.lifecycle`) has startup hooks, run once the
 * plugin has initialised, and shutdown hooks, run when the backend stops. The
 * root lifecycle (`core.rootLifecycle`) also has before-shutdown hooks, run
 * first thing at stop, before any plugin's shutdown hooks; its startup hooks
 * run once every plugin has started and its shutdown hooks last of all.
 *
 * ```c
 * static gboolean
 * close_connections (gpointer user_data, GError **error)
 * {
 *   return my_pool_close (user_data, error);
 * }
 *
 * BK_LIFECYCLE_ADD_HOOK (bk_deps_get (deps, BK_SERVICE_LIFECYCLE),
 *                        BK_LIFECYCLE_PHASE_SHUTDOWN,
 *                        close_connections, g_object_ref (pool), g_object_unref,
 *                        &error);
 * ```
 *
 * The default implementations follow Backstage's rules: each phase runs at
 * most once (running it again does nothing); the hooks of a phase run one
 * after another, startup and before-shutdown hooks in the order they were
 * added, shutdown hooks in the reverse order (so a service stops before what
 * it depends on); a hook that fails is logged at error level through the
 * lifecycle's logger and the phase goes on, so running a phase never fails.
 * Adding a hook once its phase has begun fails with
 * %BK_BACKEND_ERROR_REGISTRATION.
 *
 * Every hook has a deadline, `backend.lifecycle.hookTimeout` in the config
 * (30 seconds by default; a number of milliseconds, a string such as `30s`,
 * `2m` or `500ms`, or an object such as `{ seconds: 30 }`; `0` turns
 * deadlines off), timed on `core.rootClock`. A hook still running at its
 * deadline is abandoned: the lifecycle logs an error naming the hook by the
 * place it was registered (and, for a plugin's lifecycle, the plugin) and
 * goes on with the next hook. Whatever the hook does later is ignored; its
 * user data is released once it completes (or its #GTask is finalized).
 *
 * ```
 * Plugin shutdown hook registered at plugins/todo/todo-plugin.c:42 for plugin 'todo' did not complete within 30000 ms and was abandoned
 * ```
 *
 * C has no caller location, so the place comes from the caller: register
 * hooks with [func@Bk.LIFECYCLE_ADD_HOOK] or [func@Bk.LIFECYCLE_ADD_HOOK_ASYNC],
 * which pass %G_STRLOC to [method@Bk.Lifecycle.add_hook_full] and
 * [method@Bk.Lifecycle.add_hook_async_full] (bindings pass a string of their
 * choosing). A hook added without a location is named by the address of its
 * function: `an unknown place (hook function 0x55d0c1a2b3c4)`. Leading `./`
 * and `../` are dropped from a location, so the paths meson gives the
 * compiler read as paths from the source root.
 *
 * A lifecycle is used from the thread that owns the backend's main context;
 * hooks and their deadlines run there.
 *
 * Since: 0.1
 */

G_DEFINE_INTERFACE (BkLifecycle, bk_lifecycle, G_TYPE_OBJECT)

static void
bk_lifecycle_default_init (BkLifecycleInterface *iface)
{
}

/* The text naming a hook in messages: @location without the leading "./"
 * and "../" of build paths, or the address of @func when there is none. */
static char *
describe_location (const char *location,
                   gpointer    func)
{
  if (location == NULL || location[0] == '\0')
    return g_strdup_printf ("an unknown place (hook function %p)", func);

  for (;;)
    {
      if (g_str_has_prefix (location, "./"))
        location += 2;
      else if (g_str_has_prefix (location, "../"))
        location += 3;
      else
        break;
    }

  return g_strdup (location);
}

/**
 * bk_lifecycle_add_hook_async_full: (virtual add_hook)
 * @self: a #BkLifecycle
 * @phase: the phase to run the hook in
 * @func: (scope notified) (closure user_data) (destroy destroy): the hook
 * @user_data: closure data for @func
 * @destroy: (nullable): called on @user_data when the lifecycle drops the hook
 * @location: (nullable): where the hook was registered, such as `file.c:42`
 *   (see [func@Bk.LIFECYCLE_ADD_HOOK_ASYNC]); %NULL if unknown
 * @error: return location for a #GError
 *
 * Adds an asynchronous hook to @phase. @func receives a #GTask it owns and
 * completes with g_task_return_boolean() or g_task_return_error(); the next
 * hook of the phase runs once it has, or once the hook's deadline
 * (`backend.lifecycle.hookTimeout`) has passed. A #GCancellable given to
 * [method@Bk.Lifecycle.run_phase_async] is available to the hook through
 * g_task_get_cancellable(). The task has no source object.
 *
 * @location names the hook in the messages about it (a missed deadline);
 * when it is %NULL, the hook is named by the address of @func.
 *
 * The lifecycle takes @user_data in every case: @destroy is called once the
 * hook has completed (for a hook abandoned at its deadline, once it
 * completes late or its task is finalized) or the lifecycle is finalized
 * before the hook ran, and at once when the hook is refused.
 *
 * Fails with %BK_BACKEND_ERROR_REGISTRATION once @phase has begun, and for a
 * before-shutdown hook on a plugin's lifecycle.
 *
 * Returns: %TRUE if the hook was added
 *
 * Since: 0.1
 */
gboolean
bk_lifecycle_add_hook_async_full (BkLifecycle       *self,
                                  BkLifecyclePhase   phase,
                                  BkHookAsyncFunc    func,
                                  gpointer           user_data,
                                  GDestroyNotify     destroy,
                                  const char        *location,
                                  GError           **error)
{
  BkLifecycleInterface *iface;
  g_autofree char *place = NULL;

  g_return_val_if_fail (BK_IS_LIFECYCLE (self), FALSE);
  g_return_val_if_fail (phase <= BK_LIFECYCLE_PHASE_SHUTDOWN, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = BK_LIFECYCLE_GET_IFACE (self);
  g_return_val_if_fail (iface->add_hook != NULL, FALSE);

  place = describe_location (location, (gpointer) (guintptr) func);

  return iface->add_hook (self, phase, func, user_data, destroy, place, error);
}

/**
 * bk_lifecycle_add_hook_async:
 * @self: a #BkLifecycle
 * @phase: the phase to run the hook in
 * @func: (scope notified) (closure user_data) (destroy destroy): the hook
 * @user_data: closure data for @func
 * @destroy: (nullable): called on @user_data when the lifecycle drops the hook
 * @error: return location for a #GError
 *
 * Adds an asynchronous hook to @phase without saying where it was
 * registered: [method@Bk.Lifecycle.add_hook_async_full] with a %NULL
 * location. Prefer [func@Bk.LIFECYCLE_ADD_HOOK_ASYNC] in C, so that a hook
 * that misses its deadline is named by its file and line.
 *
 * Returns: %TRUE if the hook was added
 *
 * Since: 0.1
 */
gboolean
bk_lifecycle_add_hook_async (BkLifecycle       *self,
                             BkLifecyclePhase   phase,
                             BkHookAsyncFunc    func,
                             gpointer           user_data,
                             GDestroyNotify     destroy,
                             GError           **error)
{
  return bk_lifecycle_add_hook_async_full (self, phase, func, user_data, destroy, NULL, error);
}

typedef struct
{
  BkHookFunc     func;
  gpointer       user_data;
  GDestroyNotify destroy;
} SyncHook;

static void
sync_hook_free (gpointer data)
{
  SyncHook *hook = data;

  if (hook->destroy != NULL)
    hook->destroy (hook->user_data);
  g_free (hook);
}

static void
sync_hook_run (GTask    *task,
               gpointer  user_data)
{
  SyncHook *hook = user_data;
  GError *error = NULL;

  if (hook->func (hook->user_data, &error))
    g_task_return_boolean (task, TRUE);
  else if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                             "The hook failed without giving a reason");

  g_object_unref (task);
}

/**
 * bk_lifecycle_add_hook_full:
 * @self: a #BkLifecycle
 * @phase: the phase to run the hook in
 * @func: (scope notified) (closure user_data) (destroy destroy): the hook
 * @user_data: closure data for @func
 * @destroy: (nullable): called on @user_data when the lifecycle drops the hook
 * @location: (nullable): where the hook was registered, such as `file.c:42`
 *   (see [func@Bk.LIFECYCLE_ADD_HOOK]); %NULL if unknown
 * @error: return location for a #GError
 *
 * Adds a synchronous hook to @phase: @func runs on the backend's main context
 * when the phase comes; returning %FALSE with @error set marks the hook
 * failed, which is logged, and the phase goes on. A synchronous hook blocks
 * the main context while it runs, so its deadline cannot interrupt it; one
 * that runs past its deadline is reported as abandoned when the context runs
 * again.
 *
 * @location names the hook in the messages about it; when it is %NULL, the
 * hook is named by the address of @func.
 *
 * The lifecycle takes @user_data in every case: @destroy is called once the
 * hook has run or the lifecycle is finalized, and at once when the hook is
 * refused.
 *
 * Fails with %BK_BACKEND_ERROR_REGISTRATION once @phase has begun, and for a
 * before-shutdown hook on a plugin's lifecycle.
 *
 * Returns: %TRUE if the hook was added
 *
 * Since: 0.1
 */
gboolean
bk_lifecycle_add_hook_full (BkLifecycle       *self,
                            BkLifecyclePhase   phase,
                            BkHookFunc         func,
                            gpointer           user_data,
                            GDestroyNotify     destroy,
                            const char        *location,
                            GError           **error)
{
  g_autofree char *place = NULL;
  SyncHook *hook;

  g_return_val_if_fail (BK_IS_LIFECYCLE (self), FALSE);
  g_return_val_if_fail (phase <= BK_LIFECYCLE_PHASE_SHUTDOWN, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Named by the caller's function, not by the wrapper below. */
  place = describe_location (location, (gpointer) (guintptr) func);

  hook = g_new0 (SyncHook, 1);
  hook->func = func;
  hook->user_data = user_data;
  hook->destroy = destroy;

  /* add_hook_async_full takes the wrapper in every case, and with it
   * @user_data. */
  return bk_lifecycle_add_hook_async_full (self, phase, sync_hook_run, hook,
                                           sync_hook_free, place, error);
}

/**
 * bk_lifecycle_add_hook:
 * @self: a #BkLifecycle
 * @phase: the phase to run the hook in
 * @func: (scope notified) (closure user_data) (destroy destroy): the hook
 * @user_data: closure data for @func
 * @destroy: (nullable): called on @user_data when the lifecycle drops the hook
 * @error: return location for a #GError
 *
 * Adds a synchronous hook to @phase without saying where it was registered:
 * [method@Bk.Lifecycle.add_hook_full] with a %NULL location. Prefer
 * [func@Bk.LIFECYCLE_ADD_HOOK] in C, so that a hook that misses its deadline
 * is named by its file and line.
 *
 * Returns: %TRUE if the hook was added
 *
 * Since: 0.1
 */
gboolean
bk_lifecycle_add_hook (BkLifecycle       *self,
                       BkLifecyclePhase   phase,
                       BkHookFunc         func,
                       gpointer           user_data,
                       GDestroyNotify     destroy,
                       GError           **error)
{
  return bk_lifecycle_add_hook_full (self, phase, func, user_data, destroy, NULL, error);
}

/**
 * bk_lifecycle_run_phase_async:
 * @self: a #BkLifecycle
 * @phase: the phase to run
 * @cancellable: (nullable): a #GCancellable, handed to the hooks
 * @callback: (scope async) (closure user_data): called when every hook of the
 *   phase has finished
 * @user_data: closure data for @callback
 *
 * Runs the hooks of @phase. The backend calls this; applications add hooks and
 * let the backend run them (a test may call it, or use the test kit's
 * `BkMockLifecycle`, to run a phase on demand). @callback runs on the
 * thread-default main context of the caller.
 *
 * Since: 0.1
 */
void
bk_lifecycle_run_phase_async (BkLifecycle         *self,
                              BkLifecyclePhase     phase,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  BkLifecycleInterface *iface;

  g_return_if_fail (BK_IS_LIFECYCLE (self));
  g_return_if_fail (phase <= BK_LIFECYCLE_PHASE_SHUTDOWN);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  iface = BK_LIFECYCLE_GET_IFACE (self);
  g_return_if_fail (iface->run_phase_async != NULL);

  iface->run_phase_async (self, phase, cancellable, callback, user_data);
}

/**
 * bk_lifecycle_run_phase_finish:
 * @self: a #BkLifecycle
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@Bk.Lifecycle.run_phase_async]. The default
 * implementations never fail: a failing or abandoned hook is logged, not
 * propagated.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
bk_lifecycle_run_phase_finish (BkLifecycle   *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  BkLifecycleInterface *iface;

  g_return_val_if_fail (BK_IS_LIFECYCLE (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = BK_LIFECYCLE_GET_IFACE (self);
  g_return_val_if_fail (iface->run_phase_finish != NULL, FALSE);

  return iface->run_phase_finish (self, result, error);
}

/* BkLifecycleImpl: the default `core.rootLifecycle` (plugin_id == NULL) and
 * `core.lifecycle`. Hooks of a phase run one after another on the main
 * context of the run_phase_async() caller.
 *
 * Each running hook is a HookRun, shared (reference counted) by the hook's
 * GTask (its task data) and by its deadline timer on the clock. Whichever
 * comes first, the hook's completion or the deadline, takes the phase's task
 * from the HookRun and moves the phase on; the other then finds no phase
 * task and does nothing. The hook's user data stays with the HookRun until
 * the hook completes, since an abandoned hook may still be using it. A
 * HookRun holds the phase (and through it the lifecycle) only until then, so
 * a hook that never completes keeps nothing of the backend alive. */

#define N_PHASES (BK_LIFECYCLE_PHASE_SHUTDOWN + 1)

#define BK_TYPE_LIFECYCLE_IMPL (bk_lifecycle_impl_get_type ())
G_DECLARE_FINAL_TYPE (BkLifecycleImpl, bk_lifecycle_impl, BK, LIFECYCLE_IMPL, GObject)

typedef struct
{
  BkHookAsyncFunc func;
  gpointer        user_data;
  GDestroyNotify  destroy;
  char           *location;
} Hook;

struct _BkLifecycleImpl
{
  GObject    parent_instance;

  BkLogger  *logger;
  BkClock   *clock;
  /* NULL for the root lifecycle */
  char      *plugin_id;
  /* 0: no deadline */
  guint64    hook_timeout_ms;
  /* (element-type Hook), in registration order; NULL once the phase began */
  GPtrArray *hooks[N_PHASES];
  guint      started : N_PHASES;
};

static void bk_lifecycle_impl_iface_init (BkLifecycleInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkLifecycleImpl, bk_lifecycle_impl, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_LIFECYCLE,
                                                      bk_lifecycle_impl_iface_init))

static void
hook_free (gpointer data)
{
  Hook *hook = data;

  if (hook == NULL)
    return;
  if (hook->destroy != NULL)
    hook->destroy (hook->user_data);
  g_free (hook->location);
  g_free (hook);
}

static inline gboolean
phase_started (BkLifecycleImpl  *self,
               BkLifecyclePhase  phase)
{
  return (self->started & (1u << phase)) != 0;
}

static inline gboolean
is_root (BkLifecycleImpl *self)
{
  return self->plugin_id == NULL;
}

/* "Startup hook", "Plugin shutdown hook", … */
static const char *
hook_kind (BkLifecycleImpl  *self,
           BkLifecyclePhase  phase)
{
  switch (phase)
    {
    case BK_LIFECYCLE_PHASE_STARTUP:
      return is_root (self) ? "Startup hook" : "Plugin startup hook";
    case BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN:
      return is_root (self) ? "Before shutdown hook" : "Plugin before shutdown hook";
    case BK_LIFECYCLE_PHASE_SHUTDOWN:
      return is_root (self) ? "Shutdown hook" : "Plugin shutdown hook";
    default:
      g_assert_not_reached ();
    }

  return NULL;
}

static gboolean
bk_lifecycle_impl_add_hook (BkLifecycle       *lifecycle,
                            BkLifecyclePhase   phase,
                            BkHookAsyncFunc    func,
                            gpointer           user_data,
                            GDestroyNotify     destroy,
                            const char        *location,
                            GError           **error)
{
  BkLifecycleImpl *self = BK_LIFECYCLE_IMPL (lifecycle);
  const char *refusal = NULL;
  Hook *hook;

  switch (phase)
    {
    case BK_LIFECYCLE_PHASE_STARTUP:
      if (phase_started (self, BK_LIFECYCLE_PHASE_STARTUP))
        refusal = "Attempted to add startup hook after startup";
      break;

    case BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN:
      if (!is_root (self))
        refusal = "Before shutdown hooks are only available on the root lifecycle";
      else if (phase_started (self, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN) ||
               phase_started (self, BK_LIFECYCLE_PHASE_SHUTDOWN))
        refusal = "Attempt to add before shutdown hook after shutdown has started";
      break;

    case BK_LIFECYCLE_PHASE_SHUTDOWN:
      if (phase_started (self, BK_LIFECYCLE_PHASE_SHUTDOWN))
        refusal = "Attempted to add shutdown hook after shutdown";
      break;

    default:
      g_assert_not_reached ();
    }

  if (refusal != NULL)
    {
      if (destroy != NULL)
        destroy (user_data);
      g_set_error_literal (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_REGISTRATION, refusal);
      return FALSE;
    }

  hook = g_new0 (Hook, 1);
  hook->func = func;
  hook->user_data = user_data;
  hook->destroy = destroy;
  hook->location = g_strdup (location != NULL ? location : "an unknown place");

  if (self->hooks[phase] == NULL)
    self->hooks[phase] = g_ptr_array_new_with_free_func (hook_free);
  g_ptr_array_add (self->hooks[phase], hook);

  return TRUE;
}

typedef struct
{
  BkLifecyclePhase  phase;
  /* (owned) (element-type Hook) (nullable), in the order they run; an entry
   * moves to its HookRun (and becomes NULL) when the hook starts */
  GPtrArray        *hooks;
  guint             next;
} RunPhase;

static void
run_phase_free (gpointer data)
{
  RunPhase *run = data;

  g_clear_pointer (&run->hooks, g_ptr_array_unref);
  g_free (run);
}

typedef struct
{
  /* (owned) (nullable): the phase's task, until this hook has completed or
   * was abandoned, whichever came first */
  GTask   *phase_task;
  /* (owned) (nullable): until the hook has completed */
  Hook    *hook;
  /* (owned) (nullable): while the deadline timer is pending */
  BkClock *clock;
  guint    deadline_id;
} HookRun;

static void run_next_hook (GTask *phase_task);

static void
hook_run_clear (gpointer data)
{
  HookRun *run = data;

  /* The deadline timer holds a reference, so it has fired or been cancelled
   * by now. */
  g_assert (run->deadline_id == 0);
  g_clear_object (&run->clock);
  g_clear_pointer (&run->hook, hook_free);

  /* The hook dropped its task without completing it, and no deadline was
   * there to notice: say so and go on. */
  if (run->phase_task != NULL)
    {
      GTask *phase_task = g_steal_pointer (&run->phase_task);
      BkLifecycleImpl *self = g_task_get_source_object (phase_task);
      RunPhase *phase = g_task_get_task_data (phase_task);

      bk_logger_error (self->logger, "%s failed, the hook released its task without completing it",
                       hook_kind (self, phase->phase));
      run_next_hook (phase_task);
    }
}

static void
hook_run_release (gpointer data)
{
  g_rc_box_release_full (data, hook_run_clear);
}

static void
hook_run_cancel_deadline (HookRun *run)
{
  guint id = run->deadline_id;

  /* Cancelling releases the timer's reference; the task holds another. */
  run->deadline_id = 0;
  if (id != 0)
    bk_clock_cancel_timer (run->clock, id);
  g_clear_object (&run->clock);
}

static void
hook_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  HookRun *run = user_data;
  g_autoptr(GError) error = NULL;
  BkLifecycleImpl *self;
  RunPhase *phase;
  GTask *phase_task;
  gboolean ok;

  ok = g_task_propagate_boolean (G_TASK (result), &error);

  hook_run_cancel_deadline (run);

  /* The hook has completed: release its user data now rather than at
   * finalize, which also breaks reference cycles through the hook. */
  g_clear_pointer (&run->hook, hook_free);

  /* Abandoned at its deadline: the phase has moved on without it. */
  if (run->phase_task == NULL)
    return;

  phase_task = g_steal_pointer (&run->phase_task);
  self = g_task_get_source_object (phase_task);
  phase = g_task_get_task_data (phase_task);

  if (!ok)
    bk_logger_error (self->logger, "%s failed, %s",
                     hook_kind (self, phase->phase),
                     error != NULL ? error->message : "the hook failed without giving a reason");

  run_next_hook (phase_task);
}

static void
hook_deadline_cb (gpointer user_data)
{
  HookRun *run = user_data;
  BkLifecycleImpl *self;
  RunPhase *phase;
  GTask *phase_task;

  run->deadline_id = 0;
  g_clear_object (&run->clock);

  if (run->phase_task == NULL)
    return;

  phase_task = g_steal_pointer (&run->phase_task);
  self = g_task_get_source_object (phase_task);
  phase = g_task_get_task_data (phase_task);

  if (self->plugin_id != NULL)
    bk_logger_error (self->logger,
                     "%s registered at %s for plugin '%s' did not complete within %"
                     G_GUINT64_FORMAT " ms and was abandoned",
                     hook_kind (self, phase->phase), run->hook->location, self->plugin_id,
                     self->hook_timeout_ms);
  else
    bk_logger_error (self->logger,
                     "%s registered at %s did not complete within %" G_GUINT64_FORMAT
                     " ms and was abandoned",
                     hook_kind (self, phase->phase), run->hook->location, self->hook_timeout_ms);

  run_next_hook (phase_task);
}

/* Takes @phase_task. */
static void
run_next_hook (GTask *phase_task)
{
  BkLifecycleImpl *self = g_task_get_source_object (phase_task);
  RunPhase *phase = g_task_get_task_data (phase_task);
  GTask *hook_task;
  HookRun *run;
  BkHookAsyncFunc func;
  gpointer func_data;

  if (phase->hooks == NULL || phase->next >= phase->hooks->len)
    {
      g_task_return_boolean (phase_task, TRUE);
      g_object_unref (phase_task);
      return;
    }

  run = g_rc_box_new0 (HookRun);
  run->phase_task = phase_task;
  run->hook = g_steal_pointer (&phase->hooks->pdata[phase->next]);
  phase->next++;

  /* No source object: an abandoned hook that keeps its task must not keep
   * the lifecycle alive. */
  hook_task = g_task_new (NULL, g_task_get_cancellable (phase_task), hook_done_cb, run);
  g_task_set_source_tag (hook_task, run_next_hook);
  g_task_set_task_data (hook_task, run, hook_run_release);
  /* The hook's own outcome counts, not the state of the cancellable. */
  g_task_set_check_cancellable (hook_task, FALSE);

  if (self->hook_timeout_ms > 0)
    {
      run->clock = g_object_ref (self->clock);
      run->deadline_id = bk_clock_add_timer (self->clock, self->hook_timeout_ms,
                                             hook_deadline_cb, g_rc_box_acquire (run),
                                             hook_run_release);
    }

  /* The hook may complete (and @run lose its hook) before this returns. */
  func = run->hook->func;
  func_data = run->hook->user_data;
  func (hook_task, func_data);
}

static void
bk_lifecycle_impl_run_phase_async (BkLifecycle         *lifecycle,
                                   BkLifecyclePhase     phase,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  BkLifecycleImpl *self = BK_LIFECYCLE_IMPL (lifecycle);
  g_autoptr(GTask) task = NULL;
  RunPhase *run;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bk_lifecycle_impl_run_phase_async);
  g_task_set_check_cancellable (task, FALSE);

  if (phase_started (self, phase))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  self->started |= 1u << phase;

  run = g_new0 (RunPhase, 1);
  run->phase = phase;
  run->hooks = g_steal_pointer (&self->hooks[phase]);
  g_task_set_task_data (task, run, run_phase_free);

  /* Shutdown hooks run in the reverse order of registration. */
  if (phase == BK_LIFECYCLE_PHASE_SHUTDOWN && run->hooks != NULL)
    {
      guint len = run->hooks->len;

      for (guint i = 0; i < len / 2; i++)
        {
          gpointer tmp = run->hooks->pdata[i];

          run->hooks->pdata[i] = run->hooks->pdata[len - 1 - i];
          run->hooks->pdata[len - 1 - i] = tmp;
        }
    }

  run_next_hook (g_steal_pointer (&task));
}

static gboolean
bk_lifecycle_impl_run_phase_finish (BkLifecycle   *lifecycle,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, lifecycle), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == bk_lifecycle_impl_run_phase_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
bk_lifecycle_impl_iface_init (BkLifecycleInterface *iface)
{
  iface->add_hook = bk_lifecycle_impl_add_hook;
  iface->run_phase_async = bk_lifecycle_impl_run_phase_async;
  iface->run_phase_finish = bk_lifecycle_impl_run_phase_finish;
}

static void
bk_lifecycle_impl_dispose (GObject *object)
{
  BkLifecycleImpl *self = BK_LIFECYCLE_IMPL (object);

  /* Hooks hold user data that may reference other objects. */
  for (guint i = 0; i < N_PHASES; i++)
    g_clear_pointer (&self->hooks[i], g_ptr_array_unref);

  g_clear_object (&self->logger);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (bk_lifecycle_impl_parent_class)->dispose (object);
}

static void
bk_lifecycle_impl_finalize (GObject *object)
{
  BkLifecycleImpl *self = BK_LIFECYCLE_IMPL (object);

  g_clear_pointer (&self->plugin_id, g_free);

  G_OBJECT_CLASS (bk_lifecycle_impl_parent_class)->finalize (object);
}

static void
bk_lifecycle_impl_class_init (BkLifecycleImplClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bk_lifecycle_impl_dispose;
  object_class->finalize = bk_lifecycle_impl_finalize;
}

static void
bk_lifecycle_impl_init (BkLifecycleImpl *self)
{
}

BkLifecycle *
_bk_lifecycle_new_for_deps (BkDeps    *deps,
                            gboolean   is_root,
                            GError   **error)
{
  BkLifecycleImpl *self;
  g_autoptr(BkConfig) config = NULL;
  BkPluginMetadata *metadata = NULL;
  BkLogger *logger;
  BkClock *clock;
  guint64 timeout_ms = 0;

  g_return_val_if_fail (deps != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  logger = bk_deps_get (deps, is_root ? BK_SERVICE_ROOT_LOGGER : BK_SERVICE_LOGGER);
  clock = bk_deps_get (deps, BK_SERVICE_ROOT_CLOCK);
  config = bk_root_config_dup_config (bk_deps_get (deps, BK_SERVICE_ROOT_CONFIG));
  if (!is_root)
    metadata = bk_deps_get (deps, BK_SERVICE_PLUGIN_METADATA);

  g_return_val_if_fail (BK_IS_LOGGER (logger), NULL);
  g_return_val_if_fail (BK_IS_CLOCK (clock), NULL);
  g_return_val_if_fail (BK_IS_CONFIG (config), NULL);
  g_return_val_if_fail (is_root || BK_IS_PLUGIN_METADATA (metadata), NULL);

  if (!_bk_duration_from_config (config, BK_LIFECYCLE_HOOK_TIMEOUT_KEY,
                                 BK_LIFECYCLE_DEFAULT_HOOK_TIMEOUT_MS, &timeout_ms, error))
    return NULL;

  self = g_object_new (BK_TYPE_LIFECYCLE_IMPL, NULL);
  self->logger = g_object_ref (logger);
  self->clock = g_object_ref (clock);
  self->plugin_id = is_root ? NULL : g_strdup (bk_plugin_metadata_get_id (metadata));
  self->hook_timeout_ms = timeout_ms;

  return BK_LIFECYCLE (self);
}

/* Default factories */

static GObject *
create_root_lifecycle (BkDeps    *deps,
                       gpointer   root_context,
                       gpointer   user_data,
                       GError   **error)
{
  return G_OBJECT (_bk_lifecycle_new_for_deps (deps, TRUE, error));
}

BkServiceFactory *
_bk_root_lifecycle_default_factory (void)
{
  return bk_service_factory_new (BK_SERVICE_ROOT_LIFECYCLE,
                                 create_root_lifecycle, NULL, NULL,
                                 BK_SERVICE_ROOT_LOGGER,
                                 BK_SERVICE_ROOT_CLOCK,
                                 BK_SERVICE_ROOT_CONFIG,
                                 NULL);
}

static GObject *
create_plugin_lifecycle (BkDeps    *deps,
                         gpointer   root_context,
                         gpointer   user_data,
                         GError   **error)
{
  return G_OBJECT (_bk_lifecycle_new_for_deps (deps, FALSE, error));
}

BkServiceFactory *
_bk_lifecycle_default_factory (void)
{
  return bk_service_factory_new (BK_SERVICE_LIFECYCLE,
                                 create_plugin_lifecycle, NULL, NULL,
                                 BK_SERVICE_LOGGER,
                                 BK_SERVICE_ROOT_CLOCK,
                                 BK_SERVICE_ROOT_CONFIG,
                                 BK_SERVICE_PLUGIN_METADATA,
                                 NULL);
}
