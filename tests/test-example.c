/* test-example.c: the example backend, run as `make run` runs it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include <glib/gstdio.h>

#include <libbackend.h>

#include "test-util.h"

typedef struct
{
  GSubprocess      *process;
  SoupSession      *session;      /* (nullable) */
  char             *base_url;     /* (nullable) from "Listening on <url>" */
  GDataInputStream *stderr_lines;
  GPtrArray        *records;      /* JsonObject, one per log line */
  GString          *raw;
  gboolean          eof;
  gboolean          exited;
  char             *own_data_dir; /* (nullable) made by example_spawn, removed by example_clear */
} Example;

/* Removes @path, a directory of plain files (the SQLite files of a run). */
static void
remove_data_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);

      g_assert_cmpint (g_unlink (file), ==, 0);
    }
  g_assert_cmpint (g_rmdir (path), ==, 0);
}

static char *
make_data_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *path = g_dir_make_tmp ("test-example-data-XXXXXX", &error);

  g_assert_no_error (error);
  return path;
}

static void
example_clear (Example *ex)
{
  g_clear_object (&ex->stderr_lines);
  g_clear_object (&ex->process);
  g_clear_object (&ex->session);
  g_clear_pointer (&ex->base_url, g_free);
  g_clear_pointer (&ex->records, g_ptr_array_unref);
  if (ex->raw != NULL)
    g_string_free (g_steal_pointer (&ex->raw), TRUE);
  if (ex->own_data_dir != NULL)
    remove_data_dir (ex->own_data_dir);
  g_clear_pointer (&ex->own_data_dir, g_free);
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

/* In the child: a failed assertion here must not leave the example running
 * (it would keep meson's output pipe open until the test's timeout). */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Starts the example as `make run` does, but on a free port and with its
 * SQLite files in @data_dir (NULL: a temporary directory of its own). */
static void
example_spawn (Example    *ex,
               const char *data_dir)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "..", "examples", "example-backend", NULL);
  g_autofree char *config = g_test_build_filename (G_TEST_DIST, "..", "examples", "app-config.yaml", NULL);

  ex->records = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  ex->raw = g_string_new (NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  /* A critical in the example is a bug in it or in the library. */
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "fatal-criticals", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "LOG_LEVEL");
  /* A free port, so tests running side by side do not compete for 7007. */
  g_subprocess_launcher_setenv (launcher, "APP_CONFIG_backend_listen_port", "0", TRUE);
  /* Not ./data/ in the build directory: a directory per test. */
  if (data_dir == NULL)
    data_dir = ex->own_data_dir = make_data_dir ();
  g_subprocess_launcher_setenv (launcher, "APP_CONFIG_backend_database_connection_directory", data_dir, TRUE);
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
  GSource *guard = test_guard_new (NULL, message_part);

  while (find_record (ex, message_part, NULL) == NULL && !ex->eof)
    g_main_context_iteration (NULL, TRUE);
  test_guard_free (guard);
  if (find_record (ex, message_part, NULL) == NULL)
    g_error ("the example never logged '%s'; it logged:\n%s", message_part, ex->raw->str);
}

static void
wait_for_exit (Example *ex)
{
  GSource *guard = test_guard_new (NULL, "the example to exit");

  while (!ex->exited || !ex->eof)
    g_main_context_iteration (NULL, TRUE);
  test_guard_free (guard);
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

/* Runs until the root startup hook has logged its last line, then sends
 * @signum. */
static void
example_run_and_stop (Example *ex,
                      int      signum)
{
  example_spawn (ex, NULL);
  wait_for_record (ex, "Stop it with Ctrl-C");
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

  /* the modules, through the plugin's extension points */
  assert_logged (&ex, "Todo API ready under /api/todo (1 title rules, 1 listeners)");
  /* its migrations, applied to ./data/todo.sqlite (here a temporary directory) */
  assert_logged (&ex, "Applied database migration '0001_create_todos'");
  {
    g_autofree char *file = g_build_filename (ex.own_data_dir, "todo.sqlite", NULL);

    g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
  }
  /* the custom service, configured from app-config.yaml */
  assert_logged (&ex, "Hello, todo list!");
  /* the overridden core.logger: the owner from the configuration */
  record = find_record (&ex, "Module no-shouting: titles in capitals only are refused", NULL);
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

  module_init = assert_logged (&ex, "Module welcome: logging every change");
  plugin_init = assert_logged (&ex, "Todo API ready under /api/todo");
  startup = assert_logged (&ex, "Stop it with Ctrl-C");
  shutdown = assert_logged (&ex, "Shutdown hook: the todo plugin is stopping");
  g_assert_cmpuint (module_init, <, plugin_init);
  g_assert_cmpuint (plugin_init, <, startup);
  g_assert_cmpuint (startup, <, shutdown);

  example_clear (&ex);
}

/* ------------------------------------------------------------------------ *
 * HTTP, to the example's real server on loopback
 * ------------------------------------------------------------------------ */

/* Sends @method @path (with @body of @content_type, if any) and iterates the
 * main context, which also keeps reading the example's log, until the
 * answer is in. */
static void
example_request (Example      *ex,
                 const char   *method,
                 const char   *path,
                 const char   *content_type,
                 const char   *body,
                 TestResponse *reply)
{
  g_autofree char *url = g_strconcat (ex->base_url, path, NULL);
  SoupMessage *message = soup_message_new (method, url);

  g_assert_nonnull (message);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (message, content_type, bytes);
    }
  test_response_send (reply, ex->session, message);
  test_wait_for (&reply->done, url);
  g_assert_no_error (reply->error);
}

/* Asserts the status and that the body is JSON equal to @expected_json
 * (object members in any order). */
static void
assert_reply (TestResponse *reply,
              guint         expected_status,
              const char   *expected_json)
{
  g_autofree char *text = test_bytes_to_string (reply->body);
  g_autoptr(JsonNode) expected = NULL;
  g_autoptr(JsonNode) actual = NULL;
  g_autoptr(GError) error = NULL;

  if (soup_message_get_status (reply->message) != expected_status)
    g_error ("%s %s: expected status %u, got %u with body %s",
             soup_message_get_method (reply->message),
             g_uri_get_path (soup_message_get_uri (reply->message)),
             expected_status, soup_message_get_status (reply->message), text);
  if (expected_json == NULL)
    {
      g_assert_cmpuint (g_bytes_get_size (reply->body), ==, 0);
      return;
    }
  g_assert_cmpstr (soup_message_headers_get_content_type (soup_message_get_response_headers (reply->message), NULL),
                   ==, "application/json");
  expected = json_from_string (expected_json, &error);
  g_assert_no_error (error);
  actual = json_from_string (text, &error);
  g_assert_no_error (error);
  if (!json_node_equal (expected, actual))
    g_error ("%s %s: expected the body %s, got %s",
             soup_message_get_method (reply->message),
             g_uri_get_path (soup_message_get_uri (reply->message)), expected_json, text);
}

#define assert_request(ex, method, path, content_type, body, expected_status, expected_json) \
  G_STMT_START {                                                                             \
    g_auto(TestResponse) reply__ = { 0 };                                                    \
    example_request ((ex), (method), (path), (content_type), (body), &reply__);              \
    assert_reply (&reply__, (expected_status), (expected_json));                             \
  } G_STMT_END

/* Once the example is up: its base URL from "Listening on <url>" and a
 * session for it. */
static void
example_connect (Example *ex)
{
  const char *listening;

  wait_for_record (ex, "Stop it with Ctrl-C");   /* the root startup hook's last line */
  listening = json_object_get_string_member (find_record (ex, "Listening on ", NULL), "message");
  g_assert_true (g_str_has_prefix (listening, "Listening on http://127.0.0.1:"));
  ex->base_url = g_strdup (listening + strlen ("Listening on "));
  g_assert_false (g_str_has_suffix (ex->base_url, ":7007")); /* the ephemeral port */
  ex->session = test_session_new ();
}

/* Ctrl-C: a clean stop, exit status 0. */
static void
example_interrupt (Example *ex)
{
  g_clear_object (&ex->session);
  g_subprocess_send_signal (ex->process, SIGINT);
  wait_for_exit (ex);
  g_assert_true (g_subprocess_get_if_exited (ex->process));
  g_assert_cmpint (g_subprocess_get_exit_status (ex->process), ==, 0);
}

/* The todo API, the JSON 404s and the health endpoints, over real HTTP;
 * then SIGINT drains and the example exits 0. */
static void
test_example_http (void)
{
  Example ex = { 0 };
  JsonObject *record;
  g_autofree char *curl_list = NULL;
  g_auto(TestResponse) created = { 0 };
  const char *bad_bodies[][2] = {
    { "{}", "Missing required field 'title' in request body" },
    { "{\"title\":\"\"}", "Field 'title' in request body must be a non-empty string" },
    { "{\"title\":7}", "Field 'title' in request body must be a non-empty string" },
    { "{\"title\":\"x\",\"done\":\"no\"}", "Field 'done' in request body must be a boolean" },
    { "{\"title\":\"BUY MILK\"}", "Field 'title' in request body was refused by the rule 'no-shouting': *" },
    { "[\"title\"]", "Request body must be a JSON object such as *" },
    { "{\"title\":", "Invalid JSON in request body: *" },
    { "", "Request body is empty, expected JSON" },
  };

  example_spawn (&ex, NULL);
  example_connect (&ex);

  /* On SQLite, the process never loads libpq (the PostgreSQL engine is a
   * module loaded on first use): it would cost every backend about 4 MB
   * and 4 ms at startup. */
  {
    g_autofree char *maps_path = g_strdup_printf ("/proc/%s/maps", g_subprocess_get_identifier (ex.process));
    g_autofree char *maps = NULL;

    g_assert_true (g_file_get_contents (maps_path, &maps, NULL, NULL));
    g_assert_nonnull (strstr (maps, "libbackend-1.so"));
    g_assert_null (strstr (maps, "libpq.so"));
  }

  /* The plugin logs through its own (overridden) logger... */
  record = find_record (&ex, "Todo API ready under /api/todo", NULL);
  g_assert_nonnull (record);
  g_assert_cmpstr (json_object_get_string_member (record, "plugin"), ==, "todo");
  g_assert_cmpstr (json_object_get_string_member (record, "owner"), ==, "team-tasks");
  /* ...and the ready-to-paste commands, naming the bound port, through the
   * root logger: no fields trail them. */
  record = find_record (&ex, "The example backend is up at", NULL);
  g_assert_nonnull (record);
  g_assert_false (json_object_has_member (record, "plugin"));
  curl_list = g_strdup_printf ("curl %s/api/todo/todos", ex.base_url);
  assert_logged (&ex, curl_list);
  assert_logged (&ex, "-X PATCH -H 'Content-Type: application/json' -d '{\"done\":true}'");
  assert_logged (&ex, "/.backstage/health/v1/readiness");

  assert_request (&ex, "GET", "/.backstage/health/v1/liveness", NULL, NULL, 200, "{\"status\":\"ok\"}");
  assert_request (&ex, "GET", "/.backstage/health/v1/readiness", NULL, NULL, 200, "{\"status\":\"ok\"}");

  /* list, create, get, update */
  assert_request (&ex, "GET", "/api/todo/todos", NULL, NULL, 200, "{\"items\":[],\"total\":0}");
  example_request (&ex, "POST", "/api/todo/todos", "application/json", "{\"title\":\"Buy milk\"}", &created);
  assert_reply (&created, 201, "{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":false}");
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (created.message), "Location"),
                   ==, "/api/todo/todos/1");
  assert_request (&ex, "POST", "/api/todo/todos", "application/json", "{\"title\":\"Call Bob\",\"done\":true}",
                  201, "{\"id\":\"2\",\"title\":\"Call Bob\",\"done\":true}");
  assert_request (&ex, "GET", "/api/todo/todos/1", NULL, NULL, 200,
                  "{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":false}");
  assert_request (&ex, "PATCH", "/api/todo/todos/1", "application/json", "{\"done\":true}", 200,
                  "{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":true}");
  assert_request (&ex, "GET", "/api/todo/todos?q=BOB&limit=5", NULL, NULL, 200,
                  "{\"items\":[{\"id\":\"2\",\"title\":\"Call Bob\",\"done\":true}],\"total\":1}");
  assert_request (&ex, "GET", "/api/todo/todos?limit=1&offset=1", NULL, NULL, 200,
                  "{\"items\":[{\"id\":\"2\",\"title\":\"Call Bob\",\"done\":true}],\"total\":2}");
  /* the module welcome heard them, through todo.listeners */
  assert_logged (&ex, "Todo 1 created: Buy milk");
  assert_logged (&ex, "Todo 1 updated: Buy milk");

  /* an unknown id: 404 with Backstage's error body */
  assert_request (&ex, "GET", "/api/todo/todos/42", NULL, NULL, 404,
                  "{\"error\":{\"name\":\"NotFoundError\",\"message\":\"No todo with id '42'\"},"
                  "\"request\":{\"method\":\"GET\",\"url\":\"/api/todo/todos/42\"},"
                  "\"response\":{\"statusCode\":404}}");

  /* bad bodies: 400 InputError naming the field; nothing is stored */
  for (guint i = 0; i < G_N_ELEMENTS (bad_bodies); i++)
    {
      g_auto(TestResponse) reply = { 0 };
      g_autoptr(JsonNode) node = NULL;
      JsonObject *error;

      example_request (&ex, "POST", "/api/todo/todos", "application/json", bad_bodies[i][0], &reply);
      g_assert_cmpuint (soup_message_get_status (reply.message), ==, 400);
      node = json_from_string (g_bytes_get_data (reply.body, NULL), NULL);
      g_assert_nonnull (node);
      error = json_object_get_object_member (json_node_get_object (node), "error");
      g_assert_cmpstr (json_object_get_string_member (error, "name"), ==, "InputError");
      if (!g_pattern_match_simple (bad_bodies[i][1], json_object_get_string_member (error, "message")))
        g_error ("body %s: expected the message %s, got %s", bad_bodies[i][0], bad_bodies[i][1],
                 json_object_get_string_member (error, "message"));
    }
  assert_request (&ex, "POST", "/api/todo/todos", "text/plain", "Buy milk", 415,
                  "{\"error\":{\"name\":\"UnsupportedMediaTypeError\","
                  "\"message\":\"Unsupported content type 'text/plain', expected application/json\"},"
                  "\"request\":{\"method\":\"POST\",\"url\":\"/api/todo/todos\"},"
                  "\"response\":{\"statusCode\":415}}");
  assert_request (&ex, "PUT", "/api/todo/todos", "application/json", "{}", 405,
                  "{\"error\":{\"name\":\"MethodNotAllowedError\","
                  "\"message\":\"Method PUT is not allowed, allowed: GET, HEAD, POST\"},"
                  "\"request\":{\"method\":\"PUT\",\"url\":\"/api/todo/todos\"},"
                  "\"response\":{\"statusCode\":405}}");

  /* delete */
  assert_request (&ex, "DELETE", "/api/todo/todos/1", NULL, NULL, 204, NULL);
  assert_request (&ex, "DELETE", "/api/todo/todos/1", NULL, NULL, 404,
                  "{\"error\":{\"name\":\"NotFoundError\",\"message\":\"No todo with id '1'\"},"
                  "\"request\":{\"method\":\"DELETE\",\"url\":\"/api/todo/todos/1\"},"
                  "\"response\":{\"statusCode\":404}}");
  assert_request (&ex, "GET", "/api/todo/todos", NULL, NULL, 200,
                  "{\"items\":[{\"id\":\"2\",\"title\":\"Call Bob\",\"done\":true}],\"total\":1}");

  /* an unknown path under /api/: JSON 404 */
  assert_request (&ex, "GET", "/api/nope/things?x=1", NULL, NULL, 404,
                  "{\"error\":{\"name\":\"NotFoundError\",\"message\":\"Not Found\"},"
                  "\"request\":{\"method\":\"GET\",\"url\":\"/api/nope/things?x=1\"},"
                  "\"response\":{\"statusCode\":404}}");

  /* the access log saw them */
  assert_logged (&ex, "POST /api/todo/todos 201");

  example_interrupt (&ex);
  assert_logged (&ex, "Shutdown hook: the todo plugin is stopping");

  example_clear (&ex);
}

/* `make run` twice on the same ./data/: the todos are still there. */
static void
test_example_data_survives_restart (void)
{
  g_autofree char *data_dir = make_data_dir ();
  Example first = { 0 };
  Example second = { 0 };

  example_spawn (&first, data_dir);
  example_connect (&first);
  assert_request (&first, "POST", "/api/todo/todos", "application/json", "{\"title\":\"Buy milk\"}",
                  201, "{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":false}");
  assert_request (&first, "PATCH", "/api/todo/todos/1", "application/json", "{\"done\":true}",
                  200, "{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":true}");
  example_interrupt (&first);
  assert_logged (&first, "Applied database migration '0001_create_todos'");
  example_clear (&first);

  example_spawn (&second, data_dir);
  example_connect (&second);
  /* nothing to migrate the second time */
  g_assert_null (find_record (&second, "Applied database migration", NULL));
  assert_request (&second, "GET", "/api/todo/todos/1", NULL, NULL, 200,
                  "{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":true}");
  assert_request (&second, "POST", "/api/todo/todos", "application/json", "{\"title\":\"Call Bob\"}",
                  201, "{\"id\":\"2\",\"title\":\"Call Bob\",\"done\":false}");
  example_interrupt (&second);
  example_clear (&second);

  remove_data_dir (data_dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_data_func ("/example/runs/sigterm", GINT_TO_POINTER (SIGTERM), test_example_runs);
  g_test_add_data_func ("/example/runs/sigint", GINT_TO_POINTER (SIGINT), test_example_runs);
  g_test_add_func ("/example/order", test_example_order);
  g_test_add_func ("/example/http", test_example_http);
  g_test_add_func ("/example/data-survives-restart", test_example_data_survives_restart);

  return g_test_run ();
}
