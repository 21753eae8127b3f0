/* bk-test-databases.c: a test body once per database engine
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * BkTestDatabases: SQLite in memory and PostgreSQL on the process's private
 * server (BkTestPostgres), a fresh database for every call. docs/testing.md
 * tells how tests use it.
 */

#include <libbackend-test-utils.h>

typedef struct
{
  BkDatabaseEngine     engine;
  BkTestDatabasesFunc  func;
  gconstpointer        data;
} Variant;

/**
 * bk_test_databases_get_engine_name:
 * @engine: a database engine
 *
 * Gets the name of @engine in test paths: `sqlite` or `postgresql`.
 *
 * Returns: (transfer none): the name
 *
 * Since: 0.1
 */
const char *
bk_test_databases_get_engine_name (BkDatabaseEngine engine)
{
  GEnumClass *klass = g_type_class_ref (BK_TYPE_DATABASE_ENGINE);
  GEnumValue *value = g_enum_get_value (klass, engine);

  g_type_class_unref (klass);   /* the values are static */
  g_return_val_if_fail (value != NULL, NULL);
  return value->value_nick;
}

/**
 * bk_test_databases_dup_config:
 * @engine: a database engine
 * @error: return location for a #GError
 *
 * Makes a fresh, empty database of @engine and gives the JSON text of the
 * `backend.database` object that selects it, ready to put in a mock config
 * (`{"backend":{"database":<it>}}`):
 *
 * - SQLite: `{"client":"better-sqlite3","connection":":memory:"}`, a private
 *   in-memory database per plugin and per backend;
 * - PostgreSQL: a new database on the process's server
 *   ([func@Bk.TestPostgres.get], [method@Bk.TestPostgres.create_database]),
 *   a schema per plugin in it:
 *   `{"client":"pg","pluginDivisionMode":"schema","connection":"host=… dbname=bk_test_…"}`.
 *
 * Each call gives a database of its own, so two backends started from two
 * calls share nothing; two backends started from one PostgreSQL config share
 * their data (a restart), while SQLite in memory never survives a backend.
 *
 * Returns: (transfer full): the JSON text, or %NULL with @error set:
 *   %G_IO_ERROR_NOT_FOUND when the PostgreSQL binaries are not installed
 *   (turn that into [func@GLib.test_skip])
 *
 * Since: 0.1
 */
char *
bk_test_databases_dup_config (BkDatabaseEngine   engine,
                              GError           **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *conninfo = NULL;

  g_return_val_if_fail (engine == BK_DATABASE_ENGINE_SQLITE || engine == BK_DATABASE_ENGINE_POSTGRESQL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (engine == BK_DATABASE_ENGINE_POSTGRESQL)
    {
      BkTestPostgres *server = bk_test_postgres_get (error);

      if (server == NULL || (conninfo = bk_test_postgres_create_database (server, error)) == NULL)
        return NULL;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "client");
  json_builder_add_string_value (builder, conninfo != NULL ? "pg" : "better-sqlite3");
  if (conninfo != NULL)
    {
      json_builder_set_member_name (builder, "pluginDivisionMode");
      json_builder_add_string_value (builder, "schema");
    }
  json_builder_set_member_name (builder, "connection");
  json_builder_add_string_value (builder, conninfo != NULL ? conninfo : ":memory:");
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static void
run_variant (gconstpointer user_data)
{
  const Variant *variant = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *config = bk_test_databases_dup_config (variant->engine, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_test_skip (error->message);
      return;
    }
  g_assert_no_error (error);
  variant->func (variant->engine, config, variant->data);
}

/**
 * bk_test_databases_add_test:
 * @path: the test path, `/<area>/<behaviour>`
 * @data: (nullable): data for @func
 * @func: (scope forever): the test body
 *
 * Adds a test per database engine, `<path>/sqlite` and `<path>/postgresql`,
 * like [func@GLib.test_add_data_func]. Each runs @func with a fresh database
 * of its engine (see [func@Bk.test_databases_dup_config]):
 *
 * ```c
 * static void
 * test_todo_crud (BkDatabaseEngine engine, const char *database, gconstpointer data)
 * {
 *   g_autofree char *json = g_strdup_printf ("{\"backend\":{\"database\":%s}}", database);
 *   // … a BkTestBackend with bk_mock_root_config_factory_new (json) …
 * }
 *
 *   bk_test_databases_add_test ("/todo/crud", NULL, test_todo_crud);
 * ```
 *
 * When the PostgreSQL binaries are not installed, the PostgreSQL variant
 * skips ([func@GLib.test_skip]) with a message that says so, without
 * running @func. Any other failure to make the database fails the test.
 *
 * Since: 0.1
 */
void
bk_test_databases_add_test (const char          *path,
                            gconstpointer        data,
                            BkTestDatabasesFunc  func)
{
  static const BkDatabaseEngine engines[] = { BK_DATABASE_ENGINE_SQLITE, BK_DATABASE_ENGINE_POSTGRESQL };
  static GPtrArray *variants = NULL;

  g_return_if_fail (path != NULL && path[0] == '/');
  g_return_if_fail (func != NULL);

  if (variants == NULL)
    variants = g_ptr_array_new ();
  for (guint i = 0; i < G_N_ELEMENTS (engines); i++)
    {
      g_autofree char *full = g_strdup_printf ("%s/%s", path, bk_test_databases_get_engine_name (engines[i]));
      Variant *variant = g_new (Variant, 1);

      *variant = (Variant) { engines[i], func, data };
      /* Kept for the whole process: GLib frees a test's data only when
       * that test runs, and a run that selects tests (-p, or a
       * g_test_trap_subprocess() child) would leak the others'. */
      g_ptr_array_add (variants, variant);
      g_test_add_data_func (full, variant, run_variant);
    }
}
