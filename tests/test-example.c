/* test-example.c
 *
 * Runs examples/example-backend and checks that what it prints shows the
 * walkthrough at work (issue 2, Done-when 3): the overridden root logger
 * (every line of the backend's logging carries its `[example]` prefix and
 * goes to stdout, where the default logger would write to stderr), the
 * module's validator reaching the plugin through the extension point, the
 * custom service, the lifecycle hooks, and a clean exit.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <gio/gio.h>

typedef struct
{
  char *out;
  char *err;
  int   status;
} ExampleRun;

static void
example_run_clear (ExampleRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ExampleRun, example_run_clear)

/* Runs the example (the test depends on it, so it is always built). */
static gboolean
run_example (ExampleRun *run)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "..", "examples", "example-backend", NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  /* A critical in the example is a bug in it or in the library. */
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "fatal-criticals", TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, path, NULL);
  g_assert_no_error (error);

  g_subprocess_communicate_utf8 (process, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);

  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);

  g_test_message ("stdout:\n%s", run->out);
  g_test_message ("stderr:\n%s", run->err);
  return TRUE;
}

/* Asserts that @needle occurs in @haystack and returns its offset. */
static gsize
assert_contains (const char *haystack,
                 const char *needle)
{
  const char *found = strstr (haystack, needle);

  if (found == NULL)
    g_error ("'%s' is not in the example's output:\n%s", needle, haystack);

  return found - haystack;
}

static void
test_example_runs (void)
{
  g_auto(ExampleRun) run = { 0 };

  if (!run_example (&run))
    return;

  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.err, ==, "");

  /* The overridden core.rootLogger, through the plugin's core.logger child. */
  assert_contains (run.out, "[example] ");
  assert_contains (run.out, "plugin=todo");
  /* The module at work, and its validator received by the plugin. */
  assert_contains (run.out, "Module no-empty-titles: adding the validator 'no-empty-titles'");
  assert_contains (run.out, "Validators collected through todo.validators: 'no-empty-titles'");
  /* The custom service, made by its default factory for the plugin. */
  assert_contains (run.out, "Creating the example.greeter service for plugin 'todo'");
  assert_contains (run.out, "Hello, todo list! (from the greeter of plugin 'todo')");
  /* The startup result. */
  assert_contains (run.out, "plugin 'todo': started");
  assert_contains (run.out, "module 'no-empty-titles': started");
}

static void
test_example_logger_prefix (void)
{
  g_auto(ExampleRun) run = { 0 };
  g_auto(GStrv) lines = NULL;
  guint n_logged = 0;

  if (!run_example (&run))
    return;

  g_assert_cmpint (run.status, ==, 0);

  /* Every log line comes from the override: none has the default logger's
   * shape (which would be on stderr anyway, and stderr is empty). */
  lines = g_strsplit (run.out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "[example] "))
        {
          /* the plugin's lines through core.logger, the backend's own
           * (startup progress) through the root logger */
          n_logged++;
          g_assert_true (strstr (lines[i], "plugin=todo") != NULL ||
                         strstr (lines[i], "type=initialization") != NULL);
        }
    }
  g_assert_cmpuint (n_logged, >=, 7);
  g_assert_cmpstr (run.err, ==, "");
}

static void
test_example_order (void)
{
  g_auto(ExampleRun) run = { 0 };
  gsize module_init, plugin_init, startup_hook, stopping, shutdown_hook, stopped;

  if (!run_example (&run))
    return;

  g_assert_cmpint (run.status, ==, 0);

  module_init = assert_contains (run.out, "Module no-empty-titles: adding");
  plugin_init = assert_contains (run.out, "Validators collected through todo.validators");
  startup_hook = assert_contains (run.out, "Startup hook: the todo plugin is up");
  stopping = assert_contains (run.out, "Stopping the backend");
  shutdown_hook = assert_contains (run.out, "Shutdown hook: the todo plugin is stopping");
  stopped = assert_contains (run.out, "\nStopped\n");

  /* A module runs before its plugin's init; hooks run at start and stop. */
  g_assert_cmpuint (module_init, <, plugin_init);
  g_assert_cmpuint (plugin_init, <, startup_hook);
  g_assert_cmpuint (startup_hook, <, stopping);
  g_assert_cmpuint (stopping, <, shutdown_hook);
  g_assert_cmpuint (shutdown_hook, <, stopped);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/example/runs", test_example_runs);
  g_test_add_func ("/example/logger-prefix", test_example_logger_prefix);
  g_test_add_func ("/example/order", test_example_order);

  return g_test_run ();
}
