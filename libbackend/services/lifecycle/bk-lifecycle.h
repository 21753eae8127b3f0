/* bk-lifecycle.h
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
 * BkLifecyclePhase:
 * @BK_LIFECYCLE_PHASE_STARTUP: after startup (a plugin's, or the backend's)
 * @BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN: root only: first thing at stop
 * @BK_LIFECYCLE_PHASE_SHUTDOWN: at stop
 *
 * The phases whose hooks a [iface@Bk.Lifecycle] runs.
 *
 * Since: 0.1
 */
typedef enum
{
  BK_LIFECYCLE_PHASE_STARTUP,
  BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN,
  BK_LIFECYCLE_PHASE_SHUTDOWN,
} BkLifecyclePhase;

/**
 * BkHookFunc:
 * @user_data: closure data
 * @error: return location for a #GError
 *
 * A synchronous lifecycle hook.
 *
 * Returns: %TRUE on success; a failure is logged and the phase goes on
 *
 * Since: 0.1
 */
typedef gboolean (*BkHookFunc) (gpointer   user_data,
                                GError   **error);

/**
 * BkHookAsyncFunc:
 * @task: (transfer full): complete it with g_task_return_boolean() or
 *   g_task_return_error(), then release it with g_object_unref()
 * @user_data: closure data
 *
 * An asynchronous lifecycle hook.
 *
 * Since: 0.1
 */
typedef void (*BkHookAsyncFunc) (GTask    *task,
                                 gpointer  user_data);

#define BK_TYPE_LIFECYCLE (bk_lifecycle_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (BkLifecycle, bk_lifecycle, BK, LIFECYCLE, GObject)

/**
 * BkLifecycleInterface:
 * @parent_iface: the parent interface
 * @add_hook: adds a hook to a phase, with the place it was registered
 *   (never %NULL: the wrappers fill it in); fails once the phase has begun
 * @run_phase_async: runs a phase's hooks (called by the backend), once
 * @run_phase_finish: completes @run_phase_async
 *
 * The `core.rootLifecycle` and `core.lifecycle` services.
 *
 * Since: 0.1
 */
struct _BkLifecycleInterface
{
  GTypeInterface parent_iface;

  gboolean (*add_hook)         (BkLifecycle          *self,
                                BkLifecyclePhase      phase,
                                BkHookAsyncFunc       func,
                                gpointer              user_data,
                                GDestroyNotify        destroy,
                                const char           *location,
                                GError              **error);
  void     (*run_phase_async)  (BkLifecycle          *self,
                                BkLifecyclePhase      phase,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data);
  gboolean (*run_phase_finish) (BkLifecycle          *self,
                                GAsyncResult         *result,
                                GError              **error);
};

BK_AVAILABLE_IN_ALL
gboolean bk_lifecycle_add_hook_async            (BkLifecycle          *self,
                                                 BkLifecyclePhase      phase,
                                                 BkHookAsyncFunc       func,
                                                 gpointer              user_data,
                                                 GDestroyNotify        destroy,
                                                 GError              **error);
BK_AVAILABLE_IN_ALL
gboolean bk_lifecycle_add_hook_async_full       (BkLifecycle          *self,
                                                 BkLifecyclePhase      phase,
                                                 BkHookAsyncFunc       func,
                                                 gpointer              user_data,
                                                 GDestroyNotify        destroy,
                                                 const char           *location,
                                                 GError              **error);
BK_AVAILABLE_IN_ALL
gboolean bk_lifecycle_add_hook                  (BkLifecycle          *self,
                                                 BkLifecyclePhase      phase,
                                                 BkHookFunc            func,
                                                 gpointer              user_data,
                                                 GDestroyNotify        destroy,
                                                 GError              **error);
BK_AVAILABLE_IN_ALL
gboolean bk_lifecycle_add_hook_full             (BkLifecycle          *self,
                                                 BkLifecyclePhase      phase,
                                                 BkHookFunc            func,
                                                 gpointer              user_data,
                                                 GDestroyNotify        destroy,
                                                 const char           *location,
                                                 GError              **error);
BK_AVAILABLE_IN_ALL
void     bk_lifecycle_run_phase_async           (BkLifecycle          *self,
                                                 BkLifecyclePhase      phase,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
BK_AVAILABLE_IN_ALL
gboolean bk_lifecycle_run_phase_finish          (BkLifecycle          *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

/**
 * BK_LIFECYCLE_ADD_HOOK:
 * @self: a #BkLifecycle
 * @phase: the phase to run the hook in
 * @func: a #BkHookFunc
 * @user_data: closure data for @func
 * @destroy: (nullable): a #GDestroyNotify for @user_data
 * @error: return location for a #GError
 *
 * Calls [method@Bk.Lifecycle.add_hook_full] with the place of the call
 * (%G_STRLOC, `file.c:42`) as the location, so a hook that fails or misses
 * its deadline is named by where it was registered. Takes the arguments of
 * [method@Bk.Lifecycle.add_hook] and evaluates to its result.
 *
 * Since: 0.1
 */
#define BK_LIFECYCLE_ADD_HOOK(self, phase, func, user_data, destroy, error) \
  bk_lifecycle_add_hook_full ((self), (phase), (func), (user_data), (destroy), G_STRLOC, (error))

/**
 * BK_LIFECYCLE_ADD_HOOK_ASYNC:
 * @self: a #BkLifecycle
 * @phase: the phase to run the hook in
 * @func: a #BkHookAsyncFunc
 * @user_data: closure data for @func
 * @destroy: (nullable): a #GDestroyNotify for @user_data
 * @error: return location for a #GError
 *
 * Calls [method@Bk.Lifecycle.add_hook_async_full] with the place of the
 * call (%G_STRLOC) as the location; the asynchronous twin of
 * [func@Bk.LIFECYCLE_ADD_HOOK].
 *
 * Since: 0.1
 */
#define BK_LIFECYCLE_ADD_HOOK_ASYNC(self, phase, func, user_data, destroy, error) \
  bk_lifecycle_add_hook_async_full ((self), (phase), (func), (user_data), (destroy), G_STRLOC, (error))

G_END_DECLS
