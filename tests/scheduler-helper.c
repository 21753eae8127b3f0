/* scheduler-helper.c: a backend holding a global task, for the SIGKILL
 * takeover test of tests/test-scheduler.c.
 *
 * Its plugin `sched` schedules the global task `takeover` (every second,
 * a timeout of SCHEDULER_HELPER_TIMEOUT_MS, 1500 by default) whose run
 * prints `running` to stdout and then never ends; it renews its lock while
 * it lives. The database and the lease (APP_CONFIG_backend_database_*,
 * APP_CONFIG_backend_scheduler_lockLease) come from the environment; its
 * arguments go to bk_backend_run().
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>

#include <libbackend.h>

static GPtrArray *hung;

static void
hang (GTask    *task,
      gpointer  user_data)
{
  printf ("running\n");
  fflush (stdout);
  g_ptr_array_add (hung, task);
}

static gboolean
sched_init (BkDeps   *deps,
            gpointer  user_data,
            GError  **error)
{
  g_autoptr(BkTaskSchedule) schedule = bk_task_schedule_new_interval (1000);
  const char *timeout = g_getenv ("SCHEDULER_HELPER_TIMEOUT_MS");

  bk_task_schedule_set_timeout (schedule, timeout != NULL ? g_ascii_strtoull (timeout, NULL, 10) : 1500);
  return bk_scheduler_schedule_task (bk_deps_get (deps, BK_SERVICE_SCHEDULER), "takeover", schedule,
                                     hang, NULL, NULL, error);
}

static void
sched_register (BkPluginEnv *env,
                gpointer     user_data)
{
  bk_plugin_env_register_init (env, sched_init, NULL, NULL, BK_SERVICE_SCHEDULER, NULL);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(BkBackend) backend = bk_backend_new ();
  int status;

  hung = g_ptr_array_new_with_free_func (g_object_unref);
  bk_backend_add (backend, bk_plugin_new ("sched", sched_register, NULL, NULL));
  status = bk_backend_run (backend, argc, argv);
  g_ptr_array_unref (hung);
  return status;
}
