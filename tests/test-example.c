/* test-example.c: the example backend, run as `make run` runs it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <signal.h>
#include <string.h>

#include <libbackend.h>

#define GUARD_SECONDS 20

typedef struct
{
  GSubprocess      *process;
  GDataInputStream *stderr_lines;
  GPtrArray        *records;      /* JsonObject, one per log line */
  GString          *raw;
  gboolean          eof;
  gboolean          exited;
} Example;

static void
example_clear (Example *ex)
{
  g_clear_object (&ex->stderr_lines);
  g_clear_object (&ex->process);
  g_clear_pointer (&ex->records, g_ptr_array_unref);
  if (ex->raw != NULL)
    g_string_free (g_steal_pointer (&ex->raw), TRUE);
}

static gboolean
guard_expired (gpointer user_data)
{
  g_error ("test-example: timed out after %d s waiting for %s", GUARD_SECONDS, (const char *) user_data);
  return G_SOURCE_REMOVE;
}

static void read_next_line (Example *ex);

static void
line_read (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Example *ex = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                     result, NULL, &error);
  g_autoptr(JsonNode) node = NULL;

  g_assert_no_error (error);
  if (line == NULL)
    {
      ex->eof = TRUE;
      return;
    }
  g_string_append_printf (ex->raw, "%s\n", line);

  /* Piped, the default logger writes one JSON object per line. */
  node = json_from_string (line, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  g_ptr_array_add (ex->records, json_object_ref (json_node_get_object (node)));
  read_next_line (ex);
}

static void
read_next_line (Example *ex)
{
  g_data_input_stream_read_line_async (ex->stderr_lines, G_PRIORITY_DEFAULT, NULL, line_read, ex);
}

static void
waited (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  Example *ex = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error);
  g_assert_no_error (error);
  ex->exited = TRUE;
}

static void
example_spawn (Example *ex)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "..", "examples", "example-backend", NULL);
  g_autofree char *config = g_test_build_filename (G_TEST_DIST, "..", "examples", "app-config.yaml", NULL);

  ex->records = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  ex->raw = g_string_new (NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE);
  /* A critical in the example is a bug in it or in the library. */
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "fatal-criticals", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "LOG_LEVEL");
  /* A free port, so tests running side by side do not compete for 7007. */
  g_subprocess_launcher_setenv (launcher, "APP_CONFIG_backend_listen_port", "0", TRUE);
  ex->process = g_subprocess_launcher_spawn (launcher, &error, path, "--config", config, NULL);
  g_assert_no_error (error);

  ex->stderr_lines = g_data_input_stream_new (g_subprocess_get_stderr_pipe (ex->process));
  read_next_line (ex);
  g_subprocess_wait_async (ex->process, NULL, waited, ex);
}

static JsonObject *
find_record (Example    *ex,
             const char *message_part,
             guint      *index)
{
  for (guint i = 0; i < ex->records->len; i++)
    {
      JsonObject *record = g_ptr_array_index (ex->records, i);
      const char *message = json_object_get_string_member_with_default (record, "message", "");

      if (strstr (message, message_part) != NULL)
        {
          if (index != NULL)
            *index = i;
          return record;
        }
    }
  return NULL;
}

static void
wait_for_record (Example    *ex,
                 const char *message_part)
{
  guint guard = g_timeout_add_seconds (GUARD_SECONDS, guard_expired, (gpointer) message_part);

  while (find_record (ex, message_part, NULL) == NULL && !ex->eof)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (guard);
  if (find_record (ex, message_part, NULL) == NULL)
    g_error ("the example never logged '%s'; it logged:\n%s", message_part, ex->raw->str);
}

static void
wait_for_exit (Example *ex)
{
  guint guard = g_timeout_add_seconds (GUARD_SECONDS, guard_expired, (gpointer) "the example to exit");

  while (!ex->exited || !ex->eof)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (guard);
}

static guint
assert_logged (Example    *ex,
               const char *message_part)
{
  guint index = 0;

  if (find_record (ex, message_part, &index) == NULL)
    g_error ("the example did not log '%s'; it logged:\n%s", message_part, ex->raw->str);
  return index;
}

/* Runs until the plugin's startup hook has logged, then SIGTERM. */
static void
example_run_and_stop (Example *ex,
                      int      signum)
{
  example_spawn (ex);
  wait_for_record (ex, "Startup hook: the todo plugin is up");
  g_subprocess_send_signal (ex->process, signum);
  wait_for_exit (ex);
}

static void
test_example_runs (gconstpointer data)
{
  Example ex = { 0 };
  JsonObject *record;

  example_run_and_stop (&ex, GPOINTER_TO_INT (data));

  g_assert_true (g_subprocess_get_if_exited (ex.process));
  g_assert_cmpint (g_subprocess_get_exit_status (ex.process), ==, 0);

  /* the module, through the plugin's extension point */
  assert_logged (&ex, "Validators collected through todo.validators: 'no-empty-titles'");
  /* the custom service, configured from app-config.yaml */
  assert_logged (&ex, "Hello, todo list!");
  /* the overridden core.logger: the owner from the configuration */
  record = find_record (&ex, "Module no-empty-titles: adding the validator", NULL);
  g_assert_nonnull (record);
  g_assert_cmpstr (json_object_get_string_member (record, "plugin"), ==, "todo");
  g_assert_cmpstr (json_object_get_string_member (record, "owner"), ==, "team-tasks");
  g_assert_cmpstr (json_object_get_string_member (record, "level"), ==, "info");
  g_assert_true (json_object_has_member (record, "timestamp"));
  /* every key of app-config.yaml is read: no unread-key warning */
  g_assert_null (find_record (&ex, "was not read by any plugin or service", NULL));

  example_clear (&ex);
}

static void
test_example_order (void)
{
  Example ex = { 0 };
  guint module_init, plugin_init, startup, shutdown;

  example_run_and_stop (&ex, SIGTERM);

  module_init = assert_logged (&ex, "Module no-empty-titles: adding the validator");
  plugin_init = assert_logged (&ex, "Validators collected through todo.validators");
  startup = assert_logged (&ex, "Startup hook: the todo plugin is up");
  shutdown = assert_logged (&ex, "Shutdown hook: the todo plugin is stopping");
  g_assert_cmpuint (module_init, <, plugin_init);
  g_assert_cmpuint (plugin_init, <, startup);
  g_assert_cmpuint (startup, <, shutdown);

  example_clear (&ex);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_data_func ("/example/runs/sigterm", GINT_TO_POINTER (SIGTERM), test_example_runs);
  g_test_add_data_func ("/example/runs/sigint", GINT_TO_POINTER (SIGINT), test_example_runs);
  g_test_add_func ("/example/order", test_example_order);

  return g_test_run ();
}
