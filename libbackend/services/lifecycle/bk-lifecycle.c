/* bk-lifecycle.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "libbackend.h"
#include "bk-services-private.h"

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
 * bk_lifecycle_add_hook (bk_deps_get (deps, BK_SERVICE_LIFECYCLE),
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
 * Since: 0.1
 */

G_DEFINE_INTERFACE (BkLifecycle, bk_lifecycle, G_TYPE_OBJECT)

static void
bk_lifecycle_default_init (BkLifecycleInterface *iface)
{
}

/**
 * bk_lifecycle_add_hook_async: (virtual add_hook)
 * @self: a #BkLifecycle
 * @phase: the phase to run the hook in
 * @func: (scope notified) (closure user_data) (destroy destroy): the hook
 * @user_data: closure data for @func
 * @destroy: (nullable): called on @user_data when the lifecycle drops the hook
 * @error: return location for a #GError
 *
 * Adds an asynchronous hook to @phase. @func receives a #GTask it owns and
 * completes with g_task_return_boolean() or g_task_return_error(); the next
 * hook of the phase runs once it has. A #GCancellable given to
 * [method@Bk.Lifecycle.run_phase_async] is available to the hook through
 * g_task_get_cancellable().
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
bk_lifecycle_add_hook_async (BkLifecycle       *self,
                             BkLifecyclePhase   phase,
                             BkHookAsyncFunc    func,
                             gpointer           user_data,
                             GDestroyNotify     destroy,
                             GError           **error)
{
  BkLifecycleInterface *iface;

  g_return_val_if_fail (BK_IS_LIFECYCLE (self), FALSE);
  g_return_val_if_fail (phase <= BK_LIFECYCLE_PHASE_SHUTDOWN, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = BK_LIFECYCLE_GET_IFACE (self);
  g_return_val_if_fail (iface->add_hook != NULL, FALSE);

  return iface->add_hook (self, phase, func, user_data, destroy, error);
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
 * bk_lifecycle_add_hook:
 * @self: a #BkLifecycle
 * @phase: the phase to run the hook in
 * @func: (scope notified) (closure user_data) (destroy destroy): the hook
 * @user_data: closure data for @func
 * @destroy: (nullable): called on @user_data when the lifecycle drops the hook
 * @error: return location for a #GError
 *
 * Adds a synchronous hook to @phase: @func runs on the backend's main context
 * when the phase comes; returning %FALSE with @error set marks the hook
 * failed, which is logged, and the phase goes on.
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
bk_lifecycle_add_hook (BkLifecycle       *self,
                       BkLifecyclePhase   phase,
                       BkHookFunc         func,
                       gpointer           user_data,
                       GDestroyNotify     destroy,
                       GError           **error)
{
  SyncHook *hook;

  g_return_val_if_fail (BK_IS_LIFECYCLE (self), FALSE);
  g_return_val_if_fail (phase <= BK_LIFECYCLE_PHASE_SHUTDOWN, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  hook = g_new0 (SyncHook, 1);
  hook->func = func;
  hook->user_data = user_data;
  hook->destroy = destroy;

  /* add_hook_async takes the wrapper in every case, and with it @user_data. */
  return bk_lifecycle_add_hook_async (self, phase, sync_hook_run, hook,
                                      sync_hook_free, error);
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
 * let the backend run them. @callback runs on the thread-default main context
 * of the caller.
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
 * implementations never fail: a failing hook is logged, not propagated.
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

/* BkLifecycleImpl: the default `core.rootLifecycle` (is_root) and
 * `core.lifecycle`. Hooks of a phase run one after another on the main
 * context of the run_phase_async() caller; a hook's user data is released
 * right after the hook has completed, or at finalize for hooks that never ran.
 *
 * Hook deadlines (a hung hook is named and the phase goes on) come with the
 * root clock service in a later issue.
 */

#define N_PHASES (BK_LIFECYCLE_PHASE_SHUTDOWN + 1)

#define BK_TYPE_LIFECYCLE_IMPL (bk_lifecycle_impl_get_type ())
G_DECLARE_FINAL_TYPE (BkLifecycleImpl, bk_lifecycle_impl, BK, LIFECYCLE_IMPL, GObject)

typedef struct
{
  BkHookAsyncFunc func;
  gpointer        user_data;
  GDestroyNotify  destroy;
} Hook;

struct _BkLifecycleImpl
{
  GObject    parent_instance;

  BkLogger  *logger;
  /* (element-type Hook), in registration order; NULL once the phase began */
  GPtrArray *hooks[N_PHASES];
  guint      started : N_PHASES;
  guint      is_root : 1;
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
  g_free (hook);
}

static inline gboolean
phase_started (BkLifecycleImpl  *self,
               BkLifecyclePhase  phase)
{
  return (self->started & (1u << phase)) != 0;
}

static const char *
phase_failure_message (BkLifecycleImpl  *self,
                       BkLifecyclePhase  phase)
{
  switch (phase)
    {
    case BK_LIFECYCLE_PHASE_STARTUP:
      return self->is_root ? "Startup hook failed" : "Plugin startup hook failed";
    case BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN:
      return self->is_root ? "Before shutdown hook failed" : "Plugin before shutdown hook failed";
    case BK_LIFECYCLE_PHASE_SHUTDOWN:
      return self->is_root ? "Shutdown hook failed" : "Plugin shutdown hook failed";
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
      if (!self->is_root)
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

  if (self->hooks[phase] == NULL)
    self->hooks[phase] = g_ptr_array_new_with_free_func (hook_free);
  g_ptr_array_add (self->hooks[phase], hook);

  return TRUE;
}

typedef struct
{
  BkLifecyclePhase  phase;
  /* (owned) (element-type Hook) (nullable), in the order they run; an entry
   * is freed (and set to NULL) as soon as its hook has completed */
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

static void run_next_hook (GTask *task);

static void
hook_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  BkLifecycleImpl *self = BK_LIFECYCLE_IMPL (object);
  g_autoptr(GTask) task = user_data;
  RunPhase *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    bk_logger_error (self->logger, "%s, %s",
                     phase_failure_message (self, run->phase),
                     error != NULL ? error->message : "the hook failed without giving a reason");

  /* The hook has completed: release its user data now rather than at
   * finalize, which also breaks reference cycles through the hook. */
  hook_free (g_steal_pointer (&run->hooks->pdata[run->next - 1]));

  run_next_hook (g_steal_pointer (&task));
}

/* Takes @task. */
static void
run_next_hook (GTask *task)
{
  BkLifecycleImpl *self = g_task_get_source_object (task);
  RunPhase *run = g_task_get_task_data (task);
  GTask *hook_task;
  Hook *hook;

  if (run->hooks == NULL || run->next >= run->hooks->len)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  hook = g_ptr_array_index (run->hooks, run->next);
  run->next++;

  hook_task = g_task_new (self, g_task_get_cancellable (task), hook_done_cb, task);
  g_task_set_source_tag (hook_task, run_next_hook);
  /* The hook's own outcome counts, not the state of the cancellable. */
  g_task_set_check_cancellable (hook_task, FALSE);

  hook->func (hook_task, hook->user_data);
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

  G_OBJECT_CLASS (bk_lifecycle_impl_parent_class)->dispose (object);
}

static void
bk_lifecycle_impl_class_init (BkLifecycleImplClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bk_lifecycle_impl_dispose;
}

static void
bk_lifecycle_impl_init (BkLifecycleImpl *self)
{
}

static BkLifecycle *
bk_lifecycle_impl_new (BkLogger *logger,
                       gboolean  is_root)
{
  BkLifecycleImpl *self;

  g_assert (BK_IS_LOGGER (logger));

  self = g_object_new (BK_TYPE_LIFECYCLE_IMPL, NULL);
  self->logger = g_object_ref (logger);
  self->is_root = !!is_root;

  return BK_LIFECYCLE (self);
}

/* Default factories */

static GObject *
create_root_lifecycle (BkDeps    *deps,
                       gpointer   root_context,
                       gpointer   user_data,
                       GError   **error)
{
  return G_OBJECT (bk_lifecycle_impl_new (bk_deps_get (deps, BK_SERVICE_ROOT_LOGGER), TRUE));
}

BkServiceFactory *
_bk_root_lifecycle_default_factory (void)
{
  return bk_service_factory_new (BK_SERVICE_ROOT_LIFECYCLE,
                                 create_root_lifecycle, NULL, NULL,
                                 BK_SERVICE_ROOT_LOGGER,
                                 NULL);
}

static GObject *
create_plugin_lifecycle (BkDeps    *deps,
                         gpointer   root_context,
                         gpointer   user_data,
                         GError   **error)
{
  return G_OBJECT (bk_lifecycle_impl_new (bk_deps_get (deps, BK_SERVICE_LOGGER), FALSE));
}

BkServiceFactory *
_bk_lifecycle_default_factory (void)
{
  return bk_service_factory_new (BK_SERVICE_LIFECYCLE,
                                 create_plugin_lifecycle, NULL, NULL,
                                 BK_SERVICE_LOGGER,
                                 NULL);
}
