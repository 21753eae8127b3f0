/* run-helper.c: a backend run by bk_backend_run(), for tests/test-run.c.
 *
 * Prints one line per lifecycle hook to stdout. RUN_HELPER_FAIL=1 makes its
 * plugin fail at init, RUN_HELPER_HANG=1 adds a root shutdown hook that
 * never completes; its arguments go to bk_backend_run().
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>

#include <libbackend.h>

static gboolean
print_hook (gpointer   user_data,
            GError   **error)
{
  printf ("%s\n", (const char *) user_data);
  fflush (stdout);
  return TRUE;
}

/* RUN_HELPER_HANG=1: a shutdown hook that never completes (it keeps its
 * task, so the lifecycle cannot tell it was dropped). */
static GTask *hung_task;

static void
hang_hook (GTask    *task,
           gpointer  user_data)
{
  printf ("hanging\n");
  fflush (stdout);
  hung_task = task;
}

static gboolean
probe_init (BkDeps   *deps,
            gpointer  user_data,
            GError  **error)
{
  BkLifecycle *root = bk_deps_get (deps, BK_SERVICE_ROOT_LIFECYCLE);
  BkLifecycle *lifecycle = bk_deps_get (deps, BK_SERVICE_LIFECYCLE);

  if (g_strcmp0 (g_getenv ("RUN_HELPER_FAIL"), "1") == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the probe was told to fail");
      return FALSE;
    }

  if (g_strcmp0 (g_getenv ("RUN_HELPER_HANG"), "1") == 0 &&
      !bk_lifecycle_add_hook_async (root, BK_LIFECYCLE_PHASE_SHUTDOWN, hang_hook, NULL, NULL, error))
    return FALSE;

  return bk_lifecycle_add_hook (root, BK_LIFECYCLE_PHASE_STARTUP, print_hook, (gpointer) "root-startup", NULL, error)
      && bk_lifecycle_add_hook (root, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN, print_hook, (gpointer) "root-before-shutdown", NULL, error)
      && bk_lifecycle_add_hook (root, BK_LIFECYCLE_PHASE_SHUTDOWN, print_hook, (gpointer) "root-shutdown", NULL, error)
      && bk_lifecycle_add_hook (lifecycle, BK_LIFECYCLE_PHASE_STARTUP, print_hook, (gpointer) "plugin-startup", NULL, error)
      && bk_lifecycle_add_hook (lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN, print_hook, (gpointer) "plugin-shutdown", NULL, error);
}

static void
probe_register (BkPluginEnv *env,
                gpointer     user_data)
{
  bk_plugin_env_register_init (env, probe_init, NULL, NULL,
                               BK_SERVICE_ROOT_LIFECYCLE, BK_SERVICE_LIFECYCLE, NULL);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(BkBackend) backend = bk_backend_new ();

  bk_backend_add (backend, bk_plugin_new ("probe", probe_register, NULL, NULL));
  return bk_backend_run (backend, argc, argv);
}
