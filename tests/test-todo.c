/* test-todo.c: the todo plugin (plugins/todo/) through BkTestBackend, on
 * SQLite in memory and on the test kit's private PostgreSQL server.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Engine-neutral tests run once per engine through bk_test_databases_add_test
 * (`/todo/<behaviour>/<engine>`); the PostgreSQL variants skip only when
 * Debian's postgresql binaries are absent.
 */

#include <string.h>

#include <libbackend.h>
#include <libbackend-test-utils.h>

#include "todo-plugin.h"

/* Backends ---------------------------------------------------------------------------------------- */

/* Starts a backend with the todo plugin, @features (NULL-terminated,
 * transfer full) and `backend.database: <database>` (a JSON object). */
static BkTestBackend *
start_todo (const char *database,
            gpointer    first_feature,
            ...)
{
  g_autoptr(BkTestBackend) backend = bk_test_backend_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *json = g_strdup_printf ("{\"backend\":{\"database\":%s}}", database);
  va_list args;

  bk_test_backend_add (backend, bk_mock_root_config_factory_new (json));
  bk_test_backend_add (backend, todo_plugin_new ());
  va_start (args, first_feature);
  for (gpointer feature = first_feature; feature != NULL; feature = va_arg (args, gpointer))
    bk_test_backend_add (backend, feature);
  va_end (args);
  bk_test_backend_launch (backend, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&backend);
}

static void
stop_todo (BkTestBackend **backend)
{
  g_autoptr(GError) error = NULL;

  bk_test_backend_stop (*backend, &error);
  g_assert_no_error (error);
  g_clear_object (backend);
}

static BkTestResponse *
request (BkTestBackend *backend,
         const char    *method,
         const char    *path,
         const char    *body)
{
  g_autoptr(GError) error = NULL;
  BkTestResponse *res = bk_test_backend_request (backend, method, path, body, &error);

  g_assert_no_error (error);
  return res;
}

/* Sends the request and asserts the status and the JSON body (NULL: an
 * empty body). */
static void
check (BkTestBackend *backend,
       const char    *method,
       const char    *path,
       const char    *body,
       guint          status,
       const char    *expected_json)
{
  g_autoptr(BkTestResponse) res = request (backend, method, path, body);

  bk_test_assert_status (res, status);
  if (expected_json != NULL)
    bk_test_assert_json_equal (res, expected_json);
  else
    g_assert_cmpuint (g_bytes_get_size (bk_test_response_get_body (res)), ==, 0);
}

/* Backstage's error body. */
static char *
error_body (const char *name,
            const char *message,
            const char *method,
            const char *url,
            guint       status)
{
  g_autofree char *quoted = g_strescape (message, NULL);

  return g_strdup_printf ("{\"error\":{\"name\":\"%s\",\"message\":\"%s\"},"
                          "\"request\":{\"method\":\"%s\",\"url\":\"%s\"},"
                          "\"response\":{\"statusCode\":%u}}", name, quoted, method, url, status);
}

static void
check_error (BkTestBackend *backend,
             const char    *method,
             const char    *path,
             const char    *body,
             guint          status,
             const char    *name,
             const char    *message)
{
  g_autofree char *expected = error_body (name, message, method, path, status);

  check (backend, method, path, body, status, expected);
}

/* CRUD -------------------------------------------------------------------------------------------- */

static void
test_todo_crud (BkDatabaseEngine  engine,
                const char       *database,
                gconstpointer     data)
{
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(BkTestResponse) created = NULL;

  backend = start_todo (database, NULL);

  check (backend, "GET", "/api/todo/todos", NULL, 200, "{\"items\":[],\"total\":0}");

  created = request (backend, "POST", "/api/todo/todos", "{\"title\":\"Buy milk\"}");
  bk_test_assert_status (created, 201);
  bk_test_assert_json_equal (created, "{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":false}");
  bk_test_assert_header (created, "Location", "/api/todo/todos/1");
  bk_test_assert_header (created, "Content-Type", "application/json*");
  check (backend, "POST", "/api/todo/todos", "{\"title\":\"Call Bob\",\"done\":true}", 201,
         "{\"id\":\"2\",\"title\":\"Call Bob\",\"done\":true}");

  check (backend, "GET", "/api/todo/todos/1", NULL, 200, "{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":false}");
  check (backend, "GET", "/api/todo/todos", NULL, 200,
         "{\"items\":[{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":false},"
         "{\"id\":\"2\",\"title\":\"Call Bob\",\"done\":true}],\"total\":2}");

  /* partial updates: only the fields given change */
  check (backend, "PATCH", "/api/todo/todos/1", "{\"done\":true}", 200,
         "{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":true}");
  check (backend, "PATCH", "/api/todo/todos/1", "{\"title\":\"Buy oat milk\"}", 200,
         "{\"id\":\"1\",\"title\":\"Buy oat milk\",\"done\":true}");
  check (backend, "PATCH", "/api/todo/todos/1", "{\"title\":\"Buy bread\",\"done\":false}", 200,
         "{\"id\":\"1\",\"title\":\"Buy bread\",\"done\":false}");
  check (backend, "GET", "/api/todo/todos/1", NULL, 200, "{\"id\":\"1\",\"title\":\"Buy bread\",\"done\":false}");

  /* delete */
  check (backend, "DELETE", "/api/todo/todos/1", NULL, 204, NULL);
  check_error (backend, "GET", "/api/todo/todos/1", NULL, 404, "NotFoundError", "No todo with id '1'");
  check (backend, "GET", "/api/todo/todos", NULL, 200,
         "{\"items\":[{\"id\":\"2\",\"title\":\"Call Bob\",\"done\":true}],\"total\":1}");
  /* ids are not reused */
  check (backend, "POST", "/api/todo/todos", "{\"title\":\"Água\"}", 201,
         "{\"id\":\"3\",\"title\":\"Água\",\"done\":false}");

  stop_todo (&backend);
}

/* Unknown ids: 404 with Backstage's error body, for every method. */
static void
test_todo_not_found (BkDatabaseEngine  engine,
                     const char       *database,
                     gconstpointer     data)
{
  g_autoptr(BkTestBackend) backend = NULL;
  const char *ids[] = { "42", "0", "-1", "abc", "99999999999999999999" };

  backend = start_todo (database, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/todo/todos/%s", ids[i]);
      g_autofree char *message = g_strdup_printf ("No todo with id '%s'", ids[i]);

      check_error (backend, "GET", path, NULL, 404, "NotFoundError", message);
      check_error (backend, "PATCH", path, "{\"done\":true}", 404, "NotFoundError", message);
      check_error (backend, "DELETE", path, NULL, 404, "NotFoundError", message);
    }
  /* A route the API does not have. */
  check_error (backend, "PUT", "/api/todo/todos", "{}", 405, "MethodNotAllowedError",
               "Method PUT is not allowed, allowed: GET, HEAD, POST");

  stop_todo (&backend);
}

/* Paging and the text filter ------------------------------------------------------------------------ */

static char *
list_ids (BkTestBackend *backend,
          const char    *path,
          gint64        *total)
{
  g_autoptr(BkTestResponse) res = request (backend, "GET", path, NULL);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) ids = g_string_new (NULL);
  JsonArray *items;

  bk_test_assert_status (res, 200);
  node = bk_test_response_dup_json (res, &error);
  g_assert_no_error (error);
  items = json_object_get_array_member (json_node_get_object (node), "items");
  for (guint i = 0; i < json_array_get_length (items); i++)
    g_string_append_printf (ids, "%s%s", i > 0 ? "," : "",
                            json_object_get_string_member (json_array_get_object_element (items, i), "id"));
  *total = json_object_get_int_member (json_node_get_object (node), "total");
  return g_strdup (ids->str);
}

#define assert_list(backend, path, expected_ids, expected_total)        \
  G_STMT_START {                                                        \
    gint64 total__ = -1;                                                \
    g_autofree char *ids__ = list_ids ((backend), (path), &total__);    \
    g_assert_cmpstr (ids__, ==, (expected_ids));                        \
    g_assert_cmpint (total__, ==, (expected_total));                    \
  } G_STMT_END

static void
test_todo_list (BkDatabaseEngine  engine,
                const char       *database,
                gconstpointer     data)
{
  g_autoptr(BkTestBackend) backend = NULL;
  const char *bad_queries[][2] = {
    { "limit=0", "Invalid query parameter 'limit', expected an integer from 1 to 100, got '0'" },
    { "limit=101", "Invalid query parameter 'limit', expected an integer from 1 to 100, got '101'" },
    { "limit=ten", "Invalid query parameter 'limit', expected an integer from 1 to 100, got 'ten'" },
    { "offset=-1", "Invalid query parameter 'offset', expected an integer from 0 to 2147483647, got '-1'" },
  };

  backend = start_todo (database, NULL);

  for (guint i = 1; i <= 25; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"title\":\"Item %02u%s\"}", i,
                                               i % 5 == 0 ? " and Milk" : "");
      g_autoptr(BkTestResponse) res = request (backend, "POST", "/api/todo/todos", body);

      bk_test_assert_status (res, 201);
    }
  check (backend, "POST", "/api/todo/todos", "{\"title\":\"100% done_ok\"}", 201,
         "{\"id\":\"26\",\"title\":\"100% done_ok\",\"done\":false}");

  /* the default page is 20 items, in creation order */
  assert_list (backend, "/api/todo/todos",
               "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20", 26);
  assert_list (backend, "/api/todo/todos?limit=5&offset=20", "21,22,23,24,25", 26);
  assert_list (backend, "/api/todo/todos?offset=24", "25,26", 26);
  assert_list (backend, "/api/todo/todos?offset=26", "", 26);
  assert_list (backend, "/api/todo/todos?limit=100", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,"
               "21,22,23,24,25,26", 26);

  /* the filter: a case-insensitive substring of the title; the total
   * counts the matches */
  assert_list (backend, "/api/todo/todos?q=milk", "5,10,15,20,25", 5);
  assert_list (backend, "/api/todo/todos?q=MILK&limit=2&offset=1", "10,15", 5);
  assert_list (backend, "/api/todo/todos?q=item%201", "10,11,12,13,14,15,16,17,18,19", 10);
  assert_list (backend, "/api/todo/todos?q=nothing", "", 0);
  assert_list (backend, "/api/todo/todos?q=", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20", 26);
  /* LIKE's own characters match only themselves */
  assert_list (backend, "/api/todo/todos?q=0%25", "26", 1);
  assert_list (backend, "/api/todo/todos?q=e_o", "26", 1);
  assert_list (backend, "/api/todo/todos?q=%25", "26", 1);
  assert_list (backend, "/api/todo/todos?q=_", "26", 1);

  for (guint i = 0; i < G_N_ELEMENTS (bad_queries); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/todo/todos?%s", bad_queries[i][0]);

      check_error (backend, "GET", path, NULL, 400, "InputError", bad_queries[i][1]);
    }

  stop_todo (&backend);
}

/* Validation ---------------------------------------------------------------------------------------- */

static void
test_todo_validation (BkDatabaseEngine  engine,
                      const char       *database,
                      gconstpointer     data)
{
  g_autoptr(BkTestBackend) backend = NULL;
  g_autofree char *longest = NULL;
  g_autofree char *too_long = NULL;
  g_autofree char *body = NULL;
  const char *bad_creates[][2] = {
    { "{}", "Missing required field 'title' in request body" },
    { "{\"done\":true}", "Missing required field 'title' in request body" },
    { "{\"title\":\"\"}", "Field 'title' in request body must be a non-empty string" },
    { "{\"title\":\"   \"}", "Field 'title' in request body must be a non-empty string" },
    { "{\"title\":7}", "Field 'title' in request body must be a non-empty string" },
    { "{\"title\":null}", "Field 'title' in request body must be a non-empty string" },
    { "{\"title\":\"x\",\"done\":\"yes\"}", "Field 'done' in request body must be a boolean" },
    { "{\"title\":\"x\",\"done\":1}", "Field 'done' in request body must be a boolean" },
    { "{\"title\":\"x\",\"id\":\"9\"}", "Unknown field 'id' in request body, expected 'title' or 'done'" },
    { "[\"title\"]", "Request body must be a JSON object such as {\"title\":\"Buy milk\"}" },
  };
  const char *bad_updates[][2] = {
    { "{}", "Request body must set at least one of 'title' and 'done'" },
    { "{\"title\":\"\"}", "Field 'title' in request body must be a non-empty string" },
    { "{\"done\":null}", "Field 'done' in request body must be a boolean" },
    { "{\"tittle\":\"x\"}", "Unknown field 'tittle' in request body, expected 'title' or 'done'" },
  };

  backend = start_todo (database, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad_creates); i++)
    check_error (backend, "POST", "/api/todo/todos", bad_creates[i][0], 400, "InputError", bad_creates[i][1]);

  /* 200 characters (not bytes) is the limit */
  longest = g_strnfill (TODO_TITLE_MAX_LENGTH - 1, 'a');
  body = g_strdup_printf ("{\"title\":\"é%s\"}", longest);
  {
    g_autoptr(BkTestResponse) res = request (backend, "POST", "/api/todo/todos", body);

    bk_test_assert_status (res, 201);
  }
  g_clear_pointer (&body, g_free);
  too_long = g_strnfill (TODO_TITLE_MAX_LENGTH + 1, 'a');
  body = g_strdup_printf ("{\"title\":\"%s\"}", too_long);
  check_error (backend, "POST", "/api/todo/todos", body, 400, "InputError",
               "Field 'title' in request body must be at most 200 characters");
  check_error (backend, "PATCH", "/api/todo/todos/1", body, 400, "InputError",
               "Field 'title' in request body must be at most 200 characters");

  for (guint i = 0; i < G_N_ELEMENTS (bad_updates); i++)
    check_error (backend, "PATCH", "/api/todo/todos/1", bad_updates[i][0], 400, "InputError", bad_updates[i][1]);

  /* the router's own checks: content type and JSON syntax */
  check_error (backend, "POST", "/api/todo/todos", "Buy milk", 415, "UnsupportedMediaTypeError",
               "Unsupported content type 'text/plain', expected application/json");
  {
    g_autoptr(GBytes) bad_json = g_bytes_new_static ("{\"title\":", 9);
    g_autoptr(GError) error = NULL;
    g_autoptr(BkTestResponse) res = bk_test_backend_request_full (backend, "POST", "/api/todo/todos", NULL,
                                                                  bad_json, "application/json", &error);

    g_assert_no_error (error);
    bk_test_assert_status (res, 400);
    g_assert_nonnull (strstr (bk_test_response_get_body_text (res), "Invalid JSON in request body"));
  }

  /* nothing refused was stored, nothing changed */
  {
    gint64 total = -1;
    g_autofree char *ids = list_ids (backend, "/api/todo/todos", &total);

    g_assert_cmpstr (ids, ==, "1");
    g_assert_cmpint (total, ==, 1);
  }

  stop_todo (&backend);
}

/* The extension points ------------------------------------------------------------------------------ */

/* The module no-shouting, through todo.validators. */
static void
test_todo_module_no_shouting (BkDatabaseEngine  engine,
                              const char       *database,
                              gconstpointer     data)
{
  g_autoptr(BkTestBackend) backend = NULL;
  g_autofree char *fresh = NULL;
  g_autoptr(GError) error = NULL;
  const char *refused = "Field 'title' in request body was refused by the rule 'no-shouting': "
                        "titles must not be written in capitals only";

  /* Without the module, capitals are fine. */
  backend = start_todo (database, NULL);
  check (backend, "POST", "/api/todo/todos", "{\"title\":\"BUY MILK\"}", 201,
         "{\"id\":\"1\",\"title\":\"BUY MILK\",\"done\":false}");
  stop_todo (&backend);

  /* With it, on a fresh database. */
  fresh = bk_test_databases_dup_config (engine, &error);
  g_assert_no_error (error);
  backend = start_todo (fresh, todo_module_no_shouting_new (), NULL);
  check_error (backend, "POST", "/api/todo/todos", "{\"title\":\"BUY MILK!\"}", 400, "InputError", refused);
  check_error (backend, "POST", "/api/todo/todos", "{\"title\":\"ÁGUA 2L\"}", 400, "InputError", refused);
  check (backend, "POST", "/api/todo/todos", "{\"title\":\"Buy MILK\"}", 201,
         "{\"id\":\"1\",\"title\":\"Buy MILK\",\"done\":false}");
  check (backend, "POST", "/api/todo/todos", "{\"title\":\"A 42\"}", 201,
         "{\"id\":\"2\",\"title\":\"A 42\",\"done\":false}");
  check_error (backend, "PATCH", "/api/todo/todos/1", "{\"title\":\"BUY\"}", 400, "InputError", refused);
  /* an update that leaves the title alone is not checked again */
  check (backend, "PATCH", "/api/todo/todos/1", "{\"done\":true}", 200,
         "{\"id\":\"1\",\"title\":\"Buy MILK\",\"done\":true}");
  stop_todo (&backend);
}

/* A test module using both extension points: a rule and a listener. */
typedef struct
{
  GPtrArray *events;   /* (element-type utf8) "created 1 Buy milk" */
} Recorder;

static gboolean
no_bananas (const char  *title,
            gpointer     user_data,
            GError     **error)
{
  if (strstr (title, "banana") == NULL)
    return TRUE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "no bananas");
  return FALSE;
}

static void
record_change (TodoChange  change,
               JsonObject *todo,
               gpointer    user_data)
{
  Recorder *recorder = user_data;
  const char *verbs[] = { "created", "updated", "deleted" };

  g_ptr_array_add (recorder->events,
                   g_strdup_printf ("%s %s %s%s", verbs[change], json_object_get_string_member (todo, "id"),
                                    json_object_get_string_member (todo, "title"),
                                    json_object_get_boolean_member (todo, "done") ? " (done)" : ""));
}

static gboolean
recorder_init (BkDeps    *deps,
               gpointer   user_data,
               GError   **error)
{
  todo_validators_add (bk_deps_get (deps, todo_validators_extension_point ()), "no-bananas",
                       no_bananas, NULL, NULL);
  todo_listeners_add (bk_deps_get (deps, todo_listeners_extension_point ()), record_change, user_data, NULL);
  return TRUE;
}

static void
recorder_register (BkModuleEnv *env,
                   gpointer     user_data)
{
  bk_module_env_register_init (env, recorder_init, user_data, NULL,
                               todo_validators_extension_point (), todo_listeners_extension_point (), NULL);
}

static void
test_todo_extension_points (BkDatabaseEngine  engine,
                            const char       *database,
                            gconstpointer     data)
{
  g_autoptr(BkTestBackend) backend = NULL;
  Recorder recorder = { g_ptr_array_new_with_free_func (g_free) };
  const char *expected[] = { "created 1 Buy milk", "updated 1 Buy milk (done)", "deleted 1 Buy milk (done)" };

  backend = start_todo (database,
                        todo_module_no_shouting_new (),
                        bk_module_new ("todo", "recorder", recorder_register, &recorder, NULL),
                        NULL);

  /* rules run in order: no-shouting first */
  check_error (backend, "POST", "/api/todo/todos", "{\"title\":\"BANANA\"}", 400, "InputError",
               "Field 'title' in request body was refused by the rule 'no-shouting': "
               "titles must not be written in capitals only");
  check_error (backend, "POST", "/api/todo/todos", "{\"title\":\"a banana\"}", 400, "InputError",
               "Field 'title' in request body was refused by the rule 'no-bananas': no bananas");
  check (backend, "POST", "/api/todo/todos", "{\"title\":\"Buy milk\"}", 201, "{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":false}");
  check (backend, "PATCH", "/api/todo/todos/1", "{\"done\":true}", 200, "{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":true}");
  /* failures tell no listener */
  check_error (backend, "PATCH", "/api/todo/todos/7", "{\"done\":true}", 404, "NotFoundError", "No todo with id '7'");
  check (backend, "DELETE", "/api/todo/todos/1", NULL, 204, NULL);
  check_error (backend, "DELETE", "/api/todo/todos/1", NULL, 404, "NotFoundError", "No todo with id '1'");

  g_assert_cmpuint (recorder.events->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpstr (g_ptr_array_index (recorder.events, i), ==, expected[i]);

  stop_todo (&backend);
  g_ptr_array_unref (recorder.events);
}

/* Database errors ----------------------------------------------------------------------------------- */

/* Without its table (skipMigrations), every call fails in the database:
 * 500, with a short message (the engine's goes to the log). */
static void
test_todo_database_error (BkDatabaseEngine  engine,
                          const char       *database,
                          gconstpointer     data)
{
  /* `{"skipMigrations":true,<the members of database>}` */
  g_autofree char *skipping = g_strdup_printf ("{\"skipMigrations\":true,%s", database + 1);
  g_autoptr(BkTestBackend) backend = start_todo (skipping, NULL);

  check_error (backend, "GET", "/api/todo/todos", NULL, 500, "Error", "Failed to list todos, database error");
  check_error (backend, "POST", "/api/todo/todos", "{\"title\":\"x\"}", 500, "Error",
               "Failed to create the todo, database error");
  check_error (backend, "GET", "/api/todo/todos/1", NULL, 500, "Error", "Failed to read the todo, database error");
  check_error (backend, "PATCH", "/api/todo/todos/1", "{\"done\":true}", 500, "Error",
               "Failed to update the todo, database error");
  check_error (backend, "DELETE", "/api/todo/todos/1", NULL, 500, "Error",
               "Failed to delete the todo, database error");

  stop_todo (&backend);
}

/* PostgreSQL stopped: the API answers 503; started again: it works, with
 * its data, without restarting the backend. */
static void
test_todo_postgresql_unavailable (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *database = bk_test_databases_dup_config (BK_DATABASE_ENGINE_POSTGRESQL, &error);
  BkTestPostgres *server;
  g_autoptr(BkTestBackend) backend = NULL;
  const char *unavailable[][4] = {
    { "GET", "/api/todo/todos", NULL, "Failed to list todos, the database is unavailable" },
    { "POST", "/api/todo/todos", "{\"title\":\"Lost\"}", "Failed to create the todo, the database is unavailable" },
    { "GET", "/api/todo/todos/1", NULL, "Failed to read the todo, the database is unavailable" },
    { "PATCH", "/api/todo/todos/1", "{\"done\":true}", "Failed to update the todo, the database is unavailable" },
    { "DELETE", "/api/todo/todos/1", NULL, "Failed to delete the todo, the database is unavailable" },
  };

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_test_skip (error->message);
      return;
    }
  g_assert_no_error (error);
  server = bk_test_postgres_get (NULL);   /* the server of the database above */
  backend = start_todo (database, NULL);
  check (backend, "POST", "/api/todo/todos", "{\"title\":\"Buy milk\"}", 201,
         "{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":false}");

  bk_test_postgres_stop (server, &error);
  g_assert_no_error (error);
  for (guint round = 0; round < 2; round++)   /* the pool's dead connection, then no server */
    for (guint i = 0; i < G_N_ELEMENTS (unavailable); i++)
      check_error (backend, unavailable[i][0], unavailable[i][1], unavailable[i][2], 503,
                   "ServiceUnavailableError", unavailable[i][3]);
  /* the backend itself is fine */
  check (backend, "GET", "/.backstage/health/v1/liveness", NULL, 200, "{\"status\":\"ok\"}");

  bk_test_postgres_restart (server, &error);
  g_assert_no_error (error);
  check (backend, "GET", "/api/todo/todos", NULL, 200,
         "{\"items\":[{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":false}],\"total\":1}");
  check (backend, "PATCH", "/api/todo/todos/1", "{\"done\":true}", 200,
         "{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":true}");
  check (backend, "POST", "/api/todo/todos", "{\"title\":\"Call Bob\"}", 201,
         "{\"id\":\"2\",\"title\":\"Call Bob\",\"done\":false}");

  stop_todo (&backend);
}

/* SQLite files: the todos survive a restart of the backend, and the
 * migrations are not applied twice. */
static void
test_todo_sqlite_survives_restart (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestDirectory) directory = bk_test_directory_new (&error);
  g_autofree char *quoted = NULL;
  g_autofree char *database = NULL;
  g_autofree char *file = NULL;
  g_autoptr(BkTestBackend) backend = NULL;

  g_assert_no_error (error);
  quoted = g_strescape (bk_test_directory_get_path (directory), NULL);
  database = g_strdup_printf ("{\"client\":\"better-sqlite3\",\"connection\":{\"directory\":\"%s\"}}", quoted);

  backend = start_todo (database, NULL);
  check (backend, "POST", "/api/todo/todos", "{\"title\":\"Buy milk\"}", 201,
         "{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":false}");
  check (backend, "PATCH", "/api/todo/todos/1", "{\"done\":true}", 200,
         "{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":true}");
  stop_todo (&backend);

  file = bk_test_directory_resolve (directory, "todo.sqlite");
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));

  backend = start_todo (database, NULL);
  check (backend, "GET", "/api/todo/todos", NULL, 200,
         "{\"items\":[{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":true}],\"total\":1}");
  check (backend, "POST", "/api/todo/todos", "{\"title\":\"Call Bob\"}", 201,
         "{\"id\":\"2\",\"title\":\"Call Bob\",\"done\":false}");
  stop_todo (&backend);
}

/* The list is cached (core.cache, memory) for a few seconds on the clock
 * and cleared by every change before it is answered. */
static void
check_list (BkTestBackend *backend,
            const char    *path,
            const char    *expected_cache,
            const char    *expected_json)
{
  g_autoptr(BkTestResponse) res = request (backend, "GET", path, NULL);

  bk_test_assert_status (res, 200);
  g_assert_cmpstr (bk_test_response_get_header (res, "X-Cache"), ==, expected_cache);
  bk_test_assert_json_equal (res, expected_json);
}

static void
test_todo_list_cache (void)
{
  g_autoptr(BkTestBackend) backend = start_todo ("{}", NULL);
  BkMockClock *clock = bk_test_backend_get_service (backend, BK_SERVICE_ROOT_CLOCK, NULL);
  BkDatabase *database = bk_test_backend_get_service (backend, BK_SERVICE_DATABASE, "todo");
  g_autoptr(BkDatabaseResult) rows = NULL;
  g_autoptr(GError) error = NULL;
  const char *one = "{\"items\":[{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":false}],\"total\":1}";

  check (backend, "POST", "/api/todo/todos", "{\"title\":\"Buy milk\"}", 201,
         "{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":false}");
  check_list (backend, "/api/todo/todos", "miss", one);
  check_list (backend, "/api/todo/todos", "hit", one);
  check_list (backend, "/api/todo/todos?limit=5", "miss", one);   /* keyed by query */

  /* a write behind the plugin's back shows only once the entry expires */
  rows = bk_database_query_sync (database, "UPDATE todos SET title = 'Buy oat milk'", NULL, NULL, &error);
  g_assert_no_error (error);
  check_list (backend, "/api/todo/todos", "hit", one);
  bk_mock_clock_advance (clock, 5000);
  check_list (backend, "/api/todo/todos", "miss",
              "{\"items\":[{\"id\":\"1\",\"title\":\"Buy oat milk\",\"done\":false}],\"total\":1}");

  /* every change through the API clears the cached lists */
  check (backend, "PATCH", "/api/todo/todos/1", "{\"done\":true}", 200,
         "{\"id\":\"1\",\"title\":\"Buy oat milk\",\"done\":true}");
  check_list (backend, "/api/todo/todos", "miss",
              "{\"items\":[{\"id\":\"1\",\"title\":\"Buy oat milk\",\"done\":true}],\"total\":1}");
  check (backend, "DELETE", "/api/todo/todos/1", NULL, 204, NULL);
  check_list (backend, "/api/todo/todos?limit=5", "miss", "{\"items\":[],\"total\":0}");
  check (backend, "POST", "/api/todo/todos", "{\"title\":\"Call Bob\"}", 201,
         "{\"id\":\"2\",\"title\":\"Call Bob\",\"done\":false}");
  check_list (backend, "/api/todo/todos?limit=5", "miss",
              "{\"items\":[{\"id\":\"2\",\"title\":\"Call Bob\",\"done\":false}],\"total\":1}");

  g_clear_object (&rows);
  stop_todo (&backend);
}

/* The clean-up task removes done todos (run here by the mock scheduler). */
static void
test_todo_cleanup (void)
{
  g_autoptr(BkTestBackend) backend =
    start_todo ("{}", bk_mock_scheduler_factory_new (BK_MOCK_SCHEDULER_SKIP_RUN_ON_STARTUP), NULL);
  BkMockScheduler *scheduler = bk_test_backend_get_service (backend, BK_SERVICE_SCHEDULER, "todo");
  g_autoptr(GPtrArray) tasks = bk_scheduler_dup_tasks (BK_SCHEDULER (scheduler));
  BkTaskState *state = g_ptr_array_index (tasks, 0);
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (tasks->len, ==, 1);
  g_assert_cmpstr (state->id, ==, "todo-cleanup");
  g_assert_cmpuint (bk_task_schedule_get_interval (state->schedule), ==, 3600000);
  g_assert_cmpuint (bk_task_schedule_get_initial_delay (state->schedule), ==, 3600000);

  check (backend, "POST", "/api/todo/todos", "{\"title\":\"Buy milk\"}", 201,
         "{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":false}");
  check (backend, "POST", "/api/todo/todos", "{\"title\":\"Call Bob\"}", 201,
         "{\"id\":\"2\",\"title\":\"Call Bob\",\"done\":false}");
  check (backend, "PATCH", "/api/todo/todos/1", "{\"done\":true}", 200,
         "{\"id\":\"1\",\"title\":\"Buy milk\",\"done\":true}");

  bk_scheduler_trigger_task_async (BK_SCHEDULER (scheduler), "todo-cleanup", NULL, NULL, NULL);
  g_assert_true (bk_mock_scheduler_wait_for_task (scheduler, "todo-cleanup", &error));
  g_assert_no_error (error);
  check (backend, "GET", "/api/todo/todos", NULL, 200,
         "{\"items\":[{\"id\":\"2\",\"title\":\"Call Bob\",\"done\":false}],\"total\":1}");
  stop_todo (&backend);

  /* `todo.cleanup` in the config sets the schedule. */
  {
    g_autoptr(BkTestBackend) configured = bk_test_backend_new ();

    bk_test_backend_add (configured, bk_mock_root_config_factory_new (
      "{\"todo\":{\"cleanup\":{\"frequency\":{\"cron\":\"0 3 * * *\"},\"timeout\":{\"minutes\":5}}}}"));
    bk_test_backend_add (configured, todo_plugin_new ());
    bk_test_backend_add (configured, bk_mock_scheduler_factory_new (BK_MOCK_SCHEDULER_SKIP_RUN_ON_STARTUP));
    g_assert_true (bk_test_backend_launch (configured, &error));
    scheduler = bk_test_backend_get_service (configured, BK_SERVICE_SCHEDULER, "todo");
    g_clear_pointer (&tasks, g_ptr_array_unref);
    tasks = bk_scheduler_dup_tasks (BK_SCHEDULER (scheduler));
    state = g_ptr_array_index (tasks, 0);
    g_assert_cmpstr (bk_task_schedule_get_cron (state->schedule), ==, "0 3 * * *");
    stop_todo (&configured);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  bk_test_databases_add_test ("/todo/crud", NULL, test_todo_crud);
  bk_test_databases_add_test ("/todo/not-found", NULL, test_todo_not_found);
  bk_test_databases_add_test ("/todo/list", NULL, test_todo_list);
  bk_test_databases_add_test ("/todo/validation", NULL, test_todo_validation);
  bk_test_databases_add_test ("/todo/module-no-shouting", NULL, test_todo_module_no_shouting);
  bk_test_databases_add_test ("/todo/extension-points", NULL, test_todo_extension_points);
  bk_test_databases_add_test ("/todo/database-error", NULL, test_todo_database_error);
  g_test_add_func ("/todo/postgresql/unavailable", test_todo_postgresql_unavailable);
  g_test_add_func ("/todo/sqlite/survives-restart", test_todo_sqlite_survives_restart);
  g_test_add_func ("/todo/list-cache", test_todo_list_cache);
  g_test_add_func ("/todo/cleanup", test_todo_cleanup);

  return g_test_run ();
}
