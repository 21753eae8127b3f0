/* test-database.c: core.database, its default implementation and the
 * SQLite engine, through BkTestBackend.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Engine-neutral tests run once per engine through bk_test_databases_add_test
 * (`/database/<behaviour>/<engine>`); engine-specific ones are named after
 * their engine.
 */

#include <string.h>

#include "test-util.h"

/* Backends with probe plugins ------------------------------------------------------------- */

/* Starts a test backend whose config is `{"backend":{"database":{…}}}`
 * with the members of @extra (comma-separated JSON members, or NULL) and
 * those of @database (a JSON object, or NULL for none), and a probe plugin
 * per id in @plugin_ids (NULL-terminated). Returns NULL with @error set
 * when the start fails. */
static BkTestBackend *
start_backend (const char  *database,
               const char  *extra,
               TestProbe   *probes,
               const char **plugin_ids,
               GError     **error)
{
  g_autofree char *members = NULL;

  if (database == NULL)
    members = g_strdup (extra != NULL ? extra : "");
  else  /* @database without its braces */
    members = g_strdup_printf ("%s%s%.*s", extra != NULL ? extra : "", extra != NULL ? "," : "",
                               (int) strlen (database) - 2, database + 1);
  return test_database_backend_new (members, plugin_ids, probes, error);
}

typedef struct
{
  BkDatabaseEngine  engine;
  BkTestBackend    *backend;
  TestProbe         probes[2];   /* "alpha", "beta" */
} Fixture;

static const char *plugin_ids[] = { "alpha", "beta", NULL };

/* Starts the fixture's backend on @database (see start_backend()) and
 * gives the database of plugin "alpha". */
static BkDatabase *
fixture_start (Fixture          *f,
               BkDatabaseEngine  engine,
               const char       *database,
               const char       *extra)
{
  g_autoptr(GError) error = NULL;

  f->engine = engine;
  f->backend = start_backend (database, extra, f->probes, plugin_ids, &error);
  g_assert_no_error (error);
  return f->probes[0].database;
}

static void
fixture_stop (Fixture *f)
{
  if (f->backend != NULL)
    test_database_backend_stop (&f->backend);
  memset (f->probes, 0, sizeof f->probes);
}

/* Iterates the default main context until *@flag, which another thread
 * sets, failing on a timeout. */
static void
wait_for (const gint *flag,
          const char *what)
{
  GSource *guard = test_guard_new (NULL, what);

  while (!g_atomic_int_get (flag))
    if (!g_main_context_iteration (NULL, FALSE))
      g_thread_yield ();
  test_guard_free (guard);
}

static gint64
count_rows (BkDatabase *database,
            const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT COUNT(*) AS n FROM %s", table);
  g_autoptr(BkDatabaseResult) result = test_db_query (database, sql, NULL);

  return bk_database_result_get_int64 (result, 0, "n");
}

#define KINDS_TABLE \
  "CREATE TABLE kinds (id INTEGER PRIMARY KEY, b BOOLEAN, i BIGINT, d DOUBLE PRECISION, " \
  "s TEXT, bl BYTEA, n TEXT)"

/* Parameters and types ------------------------------------------------------------------------- */

static void
test_database_params (BkDatabaseEngine  engine,
                      const char       *database,
                      gconstpointer     data)
{
  Fixture f = { 0 };
  BkDatabase *db;
  g_autoptr(BkDatabaseResult) result = NULL;
  g_autoptr(GError) error = NULL;
  static const guint8 blob[] = { 0, 1, 2, 0xff, 0 };
  const char *unicode = "h\xc3\xa9llo \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac";
  GVariant *value;
  gsize size = 0;
  const guint8 *bytes;
  struct { const char *type; GVariant *value; gint64 expected; } ints[] = {
    { "y", g_variant_new_byte (200), 200 },
    { "n", g_variant_new_int16 (-300), -300 },
    { "q", g_variant_new_uint16 (60000), 60000 },
    { "i", g_variant_new_int32 (G_MININT32), G_MININT32 },
    { "u", g_variant_new_uint32 (G_MAXUINT32), G_MAXUINT32 },
    { "x", g_variant_new_int64 (G_MININT64), G_MININT64 },
    { "t", g_variant_new_uint64 (G_MAXINT64), G_MAXINT64 },
    { "v", g_variant_new_variant (g_variant_new_int32 (7)), 7 },
    { "mi", g_variant_new_maybe (G_VARIANT_TYPE_INT32, g_variant_new_int32 (8)), 8 },
  };

  db = fixture_start (&f, engine, database, NULL);
  test_db_exec (db, KINDS_TABLE);

  result = test_db_query (db, "INSERT INTO kinds (id, b, i, d, s, bl, n) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                          g_variant_new ("(xbxds@ay@ms)", (gint64) 1, TRUE, G_MAXINT64, 3.25, unicode,
                                         g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, blob, sizeof blob, 1),
                                         g_variant_new_maybe (G_VARIANT_TYPE_STRING, NULL)));
  g_assert_cmpuint (bk_database_result_get_changes (result), ==, 1);
  g_clear_object (&result);

  result = test_db_query (db, "SELECT b, i, d, s, bl, n FROM kinds WHERE id = $1", g_variant_new ("(x)", (gint64) 1));
  g_assert_cmpuint (bk_database_result_get_n_rows (result), ==, 1);
  g_assert_cmpuint (bk_database_result_get_n_columns (result), ==, 6);
  g_assert_cmpstr (bk_database_result_get_column_name (result, 4), ==, "bl");
  g_assert_cmpint (bk_database_result_get_column_index (result, "d"), ==, 2);
  g_assert_cmpint (bk_database_result_get_column_index (result, "nope"), ==, -1);
  g_assert_true (bk_database_result_get_boolean (result, 0, "b"));
  g_assert_cmpint (bk_database_result_get_int64 (result, 0, "i"), ==, G_MAXINT64);
  g_assert_cmpfloat (bk_database_result_get_double (result, 0, "d"), ==, 3.25);
  g_assert_cmpstr (bk_database_result_get_string (result, 0, "s"), ==, unicode);
  value = bk_database_result_get_value (result, 0, "bl");
  g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING));
  bytes = g_variant_get_fixed_array (value, &size, 1);
  g_assert_cmpmem (bytes, size, blob, sizeof blob);
  g_assert_true (bk_database_result_is_null (result, 0, "n"));
  g_assert_null (bk_database_result_get_string (result, 0, "n"));
  g_assert_false (bk_database_result_is_null (result, 0, "s"));
  g_clear_object (&result);

  /* Every integer kind, a variant and a maybe. */
  for (guint i = 0; i < G_N_ELEMENTS (ints); i++)
    {
      g_autoptr(BkDatabaseResult) inserted = NULL;
      g_autoptr(BkDatabaseResult) read = NULL;
      gint64 id = 100 + i;

      inserted = test_db_query (db, "INSERT INTO kinds (id, i) VALUES ($1, $2)",
                                g_variant_new ("(x@*)", id, ints[i].value));
      read = test_db_query (db, "SELECT i FROM kinds WHERE id = $1", g_variant_new ("(x)", id));
      g_test_message ("type %s", ints[i].type);
      g_assert_cmpint (bk_database_result_get_int64 (read, 0, "i"), ==, ints[i].expected);
    }

  /* An empty blob and an empty string are not NULL. */
  g_clear_object (&result);
  result = test_db_query (db, "INSERT INTO kinds (id, s, bl) VALUES (2, $1, $2)",
                          g_variant_new ("(s@ay)", "", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, NULL, 0, 1)));
  g_clear_object (&result);
  result = test_db_query (db, "SELECT s, bl FROM kinds WHERE id = 2", NULL);
  g_assert_cmpstr (bk_database_result_get_string (result, 0, "s"), ==, "");
  g_assert_false (bk_database_result_is_null (result, 0, "bl"));
  g_assert_cmpuint (g_variant_n_children (bk_database_result_get_value (result, 0, "bl")), ==, 0);

  /* Refused parameters name the placeholder. */
  error = test_db_query_error (db, "SELECT $1 AS v", g_variant_new ("(t)", G_MAXUINT64));
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_PARAMETER);
  g_assert_nonnull (strstr (error->message, "$1"));
  g_assert_nonnull (strstr (error->message, "plugin 'alpha'"));
  g_clear_error (&error);
  error = test_db_query_error (db, "SELECT $1 AS v, $2 AS w", g_variant_new ("(x@as)", (gint64) 1,
                                                                          g_variant_new_strv (NULL, 0)));
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_PARAMETER);
  g_assert_nonnull (strstr (error->message, "$2"));
  g_assert_nonnull (strstr (error->message, "'as'"));
  g_clear_error (&error);
  test_db_assert_fails (db, "SELECT $1 AS v", g_variant_new ("(xx)", (gint64) 1, (gint64) 2),
                        BK_DATABASE_ERROR_PARAMETER);
  test_db_assert_fails (db, "SELECT * FROM kinds WHERE id = $1", NULL, BK_DATABASE_ERROR_PARAMETER);

  /* Any other engine error keeps the engine's code. */
  error = test_db_query_error (db, "SELECT * FROM missing_table", NULL);
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_FAILED);
  g_assert_nonnull (bk_database_error_get_engine_code (error));
  g_assert_false (bk_database_error_is_unique_violation (error));

  fixture_stop (&f);
}

/* Results as JSON, through the async API --------------------------------------------------------- */

static void
test_database_json (BkDatabaseEngine  engine,
                    const char       *database,
                    gconstpointer     data)
{
  Fixture f = { 0 };
  BkDatabase *db;
  g_autoptr(GAsyncResult) async_result = NULL;
  g_autoptr(BkDatabaseResult) result = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  db = fixture_start (&f, engine, database, NULL);
  test_db_exec (db, KINDS_TABLE);
  g_object_unref (test_db_query (db, "INSERT INTO kinds (id, i, d, s, bl) VALUES (1, 42, 0.5, 'x\"y', $1), (2, NULL, NULL, NULL, NULL)",
                                 g_variant_new ("(@ay)", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "hi", 2, 1))));

  g_assert_cmpint (bk_database_get_engine (db), ==, f.engine);
  bk_database_query_async (db, "SELECT id, i, d, s, bl FROM kinds ORDER BY id", NULL, NULL,
                           test_store_result, &async_result);
  result = bk_database_query_finish (db, test_wait_result (&async_result, "the query"), &error);
  g_assert_no_error (error);

  json = bk_database_result_to_json (result);
  text = json_to_string (json, FALSE);
  g_assert_cmpstr (text, ==,
                   "[{\"id\":1,\"i\":42,\"d\":0.5,\"s\":\"x\\\"y\",\"bl\":\"aGk=\"},"
                   "{\"id\":2,\"i\":null,\"d\":null,\"s\":null,\"bl\":null}]");

  g_clear_object (&async_result);
  fixture_stop (&f);
}

/* Transactions ------------------------------------------------------------------------------------ */

typedef struct
{
  gint     calls;
  gint     fail_first;    /* fail the first N attempts with this… */
  int      fail_code;     /* …BkDatabaseError */
  gboolean fail_always;
  gint     started;       /* set when the body starts */
  gint     release;       /* the body returns once set, when hold */
  gboolean hold;
  const char *long_sql;   /* run after starting, when set */
  gint     destroyed;
} Body;

static gboolean
insert_body (BkDatabaseConnection  *connection,
             gpointer               user_data,
             GCancellable          *cancellable,
             GError               **error)
{
  Body *body = user_data;
  g_autoptr(BkDatabaseResult) result = NULL;
  gint call = g_atomic_int_add (&body->calls, 1) + 1;
  g_autofree char *name = g_strdup_printf ("item %p %d", body, call);

  result = bk_database_connection_query (connection, "INSERT INTO items (id, name) VALUES ($1, $2)",
                                         g_variant_new ("(xs)", (gint64) GPOINTER_TO_SIZE (body) + call, name),
                                         cancellable, error);
  if (result == NULL)
    return FALSE;
  g_atomic_int_set (&body->started, TRUE);
  while (body->hold && !g_atomic_int_get (&body->release))
    g_thread_yield ();
  if (body->long_sql != NULL)
    {
      g_clear_object (&result);
      result = bk_database_connection_query (connection, body->long_sql, NULL, cancellable, error);
      if (result == NULL)
        return FALSE;
    }
  if (body->fail_always || call <= body->fail_first)
    {
      g_set_error (error, BK_DATABASE_ERROR, body->fail_code, "attempt %d fails", call);
      return FALSE;
    }
  return TRUE;
}

static void
body_destroyed (gpointer data)
{
  g_atomic_int_set (&((Body *) data)->destroyed, TRUE);
}

#define ITEMS_TABLE "CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE)"

static void
test_database_transaction (BkDatabaseEngine  engine,
                           const char       *database,
                           gconstpointer     data)
{
  Fixture f = { 0 };
  BkDatabase *db;
  Body commit = { 0 }, rollback = { .fail_always = TRUE, .fail_code = BK_DATABASE_ERROR_FAILED };
  Body retried = { .fail_first = 1, .fail_code = BK_DATABASE_ERROR_SERIALIZATION };
  Body exhausted = { .fail_always = TRUE, .fail_code = BK_DATABASE_ERROR_BUSY };
  g_autoptr(GAsyncResult) async_result = NULL;
  g_autoptr(GError) error = NULL;

  db = fixture_start (&f, engine, database, NULL);
  test_db_exec (db, ITEMS_TABLE);

  /* Commit, asynchronously; the data is freed when the call is over. */
  bk_database_run_in_transaction_async (db, insert_body, &commit, body_destroyed, NULL,
                                        test_store_result, &async_result);
  g_assert_true (bk_database_run_in_transaction_finish (db, test_wait_result (&async_result, "the commit"), &error));
  g_assert_no_error (error);
  g_assert_true (commit.destroyed);
  g_assert_cmpint (count_rows (db, "items"), ==, 1);

  /* Rollback: the body's error comes back, its insert is undone. */
  test_db_exec (db, "DELETE FROM items");
  g_assert_false (bk_database_run_in_transaction_sync (db, insert_body, &rollback, NULL, &error));
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "attempt 1 fails");
  g_clear_error (&error);
  g_assert_cmpint (rollback.calls, ==, 1);
  g_assert_cmpint (count_rows (db, "items"), ==, 0);

  /* A serialization failure runs the body again, on a clean slate. */
  g_assert_true (bk_database_run_in_transaction_sync (db, insert_body, &retried, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (retried.calls, ==, 2);
  g_assert_cmpint (count_rows (db, "items"), ==, 1);

  /* Five attempts at most. */
  test_db_exec (db, "DELETE FROM items");
  g_assert_false (bk_database_run_in_transaction_sync (db, insert_body, &exhausted, NULL, &error));
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_BUSY);
  g_assert_cmpint (exhausted.calls, ==, 5);
  g_assert_cmpint (count_rows (db, "items"), ==, 0);

  g_clear_object (&async_result);
  fixture_stop (&f);
}

/* SQLite: a real SQLITE_BUSY between two connections to one file. */
static void
test_database_sqlite_busy (void)
{
  g_autoptr(BkTestDirectory) dir = bk_test_directory_new (NULL);
  g_autofree char *extra = g_strdup_printf ("\"connection\":{\"directory\":\"%s\"},\"busyTimeout\":0,\"pool\":{\"max\":2}",
                                            bk_test_directory_get_path (dir));
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GAsyncResult) held_result = NULL;
  g_autoptr(GAsyncResult) busy_result = NULL;
  g_autoptr(GAsyncResult) retry_result = NULL;
  g_autoptr(GError) error = NULL;
  TestProbe probes[2] = { 0 };
  Body holder = { .hold = TRUE }, busy = { 0 }, waiting = { 0 };
  BkMockLogger *logger;
  BkDatabase *db;
  gint64 deadline;

  backend = start_backend (NULL, extra, probes, plugin_ids, &error);
  g_assert_no_error (error);
  db = probes[0].database;
  logger = bk_test_backend_get_service (backend, BK_SERVICE_LOGGER, "alpha");
  test_db_exec (db, ITEMS_TABLE);

  /* One connection holds the write lock… */
  bk_database_run_in_transaction_async (db, insert_body, &holder, NULL, NULL, test_store_result, &held_result);
  wait_for (&holder.started, "the holder");

  /* …so another fails with BUSY five times, then gives up… */
  g_assert_false (bk_database_run_in_transaction_sync (db, insert_body, &busy, NULL, &error));
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_BUSY);
  g_assert_cmpstr (bk_database_error_get_engine_code (error), ==, "SQLITE_BUSY");
  g_assert_cmpint (busy.calls, ==, 0);
  g_assert_cmpuint (bk_mock_logger_count (logger, BK_LOG_LEVEL_DEBUG, "Retrying a transaction*"), ==, 4);
  g_clear_error (&error);
  bk_mock_logger_clear (logger);

  /* …or succeeds on a retry once the lock is released. */
  bk_database_run_in_transaction_async (db, insert_body, &waiting, NULL, NULL, test_store_result, &retry_result);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (bk_mock_logger_count (logger, BK_LOG_LEVEL_DEBUG, "Retrying a transaction*") == 0)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for a retry");
      g_thread_yield ();
    }
  g_atomic_int_set (&holder.release, TRUE);
  g_assert_true (bk_database_run_in_transaction_finish (db, test_wait_result (&held_result, "the holder"), &error));
  g_assert_no_error (error);
  bk_database_run_in_transaction_finish (db, test_wait_result (&retry_result, "the retry"), &error);
  g_assert_no_error (error);
  g_assert_cmpint (waiting.calls, ==, 1);
  g_assert_cmpint (count_rows (db, "items"), ==, 2);

  g_clear_object (&held_result);
  g_clear_object (&busy_result);
  g_clear_object (&retry_result);
  bk_test_backend_stop (backend, &error);
  g_assert_no_error (error);
}

/* Migrations ------------------------------------------------------------------------------------- */

static const BkDatabaseMigration migrations_v1[] = {
  { "0001_create", "CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL)", NULL, NULL },
  { "0002_seed", "INSERT INTO notes (id, body) VALUES (1, 'first'); INSERT INTO notes (id, body) VALUES (2, 'second')",
    NULL, NULL },
};

static const BkDatabaseMigration migrations_v2[] = {
  { "0001_create", "CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL)", NULL, NULL },
  { "0002_seed", "INSERT INTO notes (id, body) VALUES (1, 'first'); INSERT INTO notes (id, body) VALUES (2, 'second')",
    NULL, NULL },
  { "0003_engine", NULL,
    "INSERT INTO notes (id, body) VALUES (3, 'sqlite')",
    "INSERT INTO notes (id, body) VALUES (3, 'postgresql')" },
};

static void
test_database_migrations (BkDatabaseEngine  engine,
                          const char       *database,
                          gconstpointer     data)
{
  Fixture f = { 0 };
  BkDatabase *db;
  g_autoptr(BkDatabaseResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const BkDatabaseMigration duplicate[] = { { "0001_a", "SELECT 1", NULL, NULL }, { "0001_a", "SELECT 2", NULL, NULL } };
  const BkDatabaseMigration unnamed[] = { { "", "SELECT 1", NULL, NULL } };
  const BkDatabaseMigration no_sql[] = { { "0009_nothing", NULL, NULL, NULL } };
  const BkDatabaseMigration failing[] = {
    { "0004_partial", "INSERT INTO notes (id, body) VALUES (4, 'four'); INSERT INTO notes (id, body) VALUES (1, 'dup')",
      NULL, NULL },
  };
  const BkDatabaseMigration only_last[] = { { "0003_engine", "SELECT no_such_column FROM notes", NULL, NULL } };
  g_autoptr(GAsyncResult) async_result = NULL;

  db = fixture_start (&f, engine, database, NULL);

  /* In order (0002 needs 0001's table), once, asynchronously. */
  bk_database_migrate_async (db, migrations_v1, G_N_ELEMENTS (migrations_v1), NULL, test_store_result, &async_result);
  g_assert_true (bk_database_migrate_finish (db, test_wait_result (&async_result, "the migrations"), &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (db, "notes"), ==, 2);
  g_assert_cmpint (count_rows (db, "bk_migrations"), ==, 2);

  /* Idempotent; a new migration is applied alone, in its engine's
   * dialect. */
  g_assert_true (bk_database_migrate_sync (db, migrations_v1, G_N_ELEMENTS (migrations_v1), NULL, &error));
  g_assert_true (bk_database_migrate_sync (db, migrations_v2, G_N_ELEMENTS (migrations_v2), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (db, "notes"), ==, 3);
  result = test_db_query (db, "SELECT body FROM notes WHERE id = 3", NULL);
  g_assert_cmpstr (bk_database_result_get_string (result, 0, "body"), ==, bk_test_databases_get_engine_name (f.engine));
  g_clear_object (&result);
  result = test_db_query (db, "SELECT name, applied_at FROM bk_migrations ORDER BY name", NULL);
  g_assert_cmpuint (bk_database_result_get_n_rows (result), ==, 3);
  g_assert_cmpstr (bk_database_result_get_string (result, 2, "name"), ==, "0003_engine");
  g_assert_nonnull (bk_database_result_get_string (result, 2, "applied_at"));

  /* Applied migrations missing from the list are ignored; listed ones are
   * not run again even if their SQL changed. */
  g_assert_true (bk_database_migrate_sync (db, only_last, G_N_ELEMENTS (only_last), NULL, &error));
  g_assert_no_error (error);

  /* Invalid lists are refused before anything runs. */
  g_assert_false (bk_database_migrate_sync (db, duplicate, G_N_ELEMENTS (duplicate), NULL, &error));
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_MIGRATION);
  g_assert_nonnull (strstr (error->message, "'0001_a'"));
  g_assert_nonnull (strstr (error->message, "plugin 'alpha'"));
  g_clear_error (&error);
  g_assert_false (bk_database_migrate_sync (db, unnamed, G_N_ELEMENTS (unnamed), NULL, &error));
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_MIGRATION);
  g_clear_error (&error);
  g_assert_false (bk_database_migrate_sync (db, no_sql, G_N_ELEMENTS (no_sql), NULL, &error));
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_MIGRATION);
  g_assert_nonnull (strstr (error->message, "0009_nothing"));
  g_clear_error (&error);

  /* A failing migration is rolled back whole and not recorded. */
  g_assert_false (bk_database_migrate_sync (db, failing, G_N_ELEMENTS (failing), NULL, &error));
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_MIGRATION);
  g_assert_true (g_str_has_prefix (error->message, "Migration '0004_partial' of plugin 'alpha' failed, "));
  g_assert_true (bk_database_error_is_unique_violation (error));
  g_clear_error (&error);
  g_assert_cmpint (count_rows (db, "notes"), ==, 3);
  g_assert_cmpint (count_rows (db, "bk_migrations"), ==, 3);

  g_clear_object (&async_result);
  fixture_stop (&f);
}

static void
test_database_migrations_resource (BkDatabaseEngine  engine,
                                   const char       *database,
                                   gconstpointer     data)
{
  Fixture f = { 0 };
  BkDatabase *db;
  g_autoptr(GAsyncResult) async_result = NULL;
  g_autoptr(BkDatabaseResult) result = NULL;
  g_autoptr(GError) error = NULL;

  db = fixture_start (&f, engine, database, NULL);

  bk_database_migrate_resource_async (db, "/org/libbackend/tests/migrations", NULL, test_store_result, &async_result);
  g_assert_true (bk_database_migrate_resource_finish (db, test_wait_result (&async_result, "the migrations"), &error));
  g_assert_no_error (error);
  result = test_db_query (db, "SELECT body FROM notes ORDER BY id", NULL);
  g_assert_cmpuint (bk_database_result_get_n_rows (result), ==, 2);
  g_assert_cmpstr (bk_database_result_get_string (result, 0, "body"), ==, bk_test_databases_get_engine_name (f.engine));
  g_clear_object (&result);
  result = test_db_query (db, "SELECT name FROM bk_migrations ORDER BY name", NULL);
  g_assert_cmpuint (bk_database_result_get_n_rows (result), ==, 3);
  g_assert_cmpstr (bk_database_result_get_string (result, 1, "name"), ==, "0002_seed");
  g_clear_object (&async_result);

  bk_database_migrate_resource_async (db, "/org/libbackend/tests/no-such-dir", NULL, test_store_result, &async_result);
  g_assert_false (bk_database_migrate_resource_finish (db, test_wait_result (&async_result, "the migrations"), &error));
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_MIGRATION);
  g_assert_nonnull (strstr (error->message, "/org/libbackend/tests/no-such-dir"));

  g_clear_object (&async_result);
  fixture_stop (&f);
}

static void
test_database_migrations_skip (BkDatabaseEngine  engine,
                               const char       *database,
                               gconstpointer     data)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;

  /* Per plugin: alpha skips, beta migrates. */
  fixture_start (&f, engine, database, "\"plugin\":{\"alpha\":{\"skipMigrations\":true}}");
  g_assert_true (bk_database_migrate_sync (f.probes[0].database, migrations_v1, G_N_ELEMENTS (migrations_v1),
                                           NULL, &error));
  g_assert_no_error (error);
  test_db_assert_fails (f.probes[0].database, "SELECT * FROM bk_migrations", NULL, BK_DATABASE_ERROR_FAILED);
  g_assert_true (bk_database_migrate_sync (f.probes[1].database, migrations_v1, G_N_ELEMENTS (migrations_v1),
                                           NULL, &error));
  g_assert_cmpint (count_rows (f.probes[1].database, "notes"), ==, 2);

  fixture_stop (&f);
}

/* Isolation, constraints, timeouts, cancellation ------------------------------------------------- */

static void
check_isolation (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  test_db_exec (f->probes[0].database, ITEMS_TABLE);
  test_db_exec (f->probes[0].database, "INSERT INTO items (id, name) VALUES (1, 'alpha')");
  error = test_db_query_error (f->probes[1].database, "SELECT * FROM items", NULL);
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_FAILED);
  test_db_exec (f->probes[1].database, ITEMS_TABLE);
  g_assert_cmpint (count_rows (f->probes[1].database, "items"), ==, 0);
  g_assert_cmpint (count_rows (f->probes[0].database, "items"), ==, 1);
}

static void
test_database_isolation (BkDatabaseEngine  engine,
                         const char       *database,
                         gconstpointer     data)
{
  Fixture f = { 0 };

  fixture_start (&f, engine, database, NULL);
  check_isolation (&f);
  fixture_stop (&f);
}

static void
test_database_sqlite_files (void)
{
  g_autoptr(BkTestDirectory) dir = bk_test_directory_new (NULL);
  g_autofree char *data_dir = bk_test_directory_resolve (dir, "data/nested");
  g_autofree char *extra = g_strdup_printf ("\"client\":\"sqlite3\",\"connection\":{\"directory\":\"%s\"}", data_dir);
  g_autofree char *alpha = g_build_filename (data_dir, "alpha.sqlite", NULL);
  g_autofree char *beta = g_build_filename (data_dir, "beta.sqlite", NULL);
  Fixture f = { 0 };

  /* Each plugin has its own file, in a directory made for it. */
  fixture_start (&f, BK_DATABASE_ENGINE_SQLITE, NULL, extra);
  check_isolation (&f);
  g_assert_true (g_file_test (alpha, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (beta, G_FILE_TEST_IS_REGULAR));
  fixture_stop (&f);

  /* The data survives a restart. */
  fixture_start (&f, BK_DATABASE_ENGINE_SQLITE, NULL, extra);
  g_assert_cmpint (count_rows (f.probes[0].database, "items"), ==, 1);
  fixture_stop (&f);
}

static void
test_database_unique (BkDatabaseEngine  engine,
                      const char       *database,
                      gconstpointer     data)
{
  Fixture f = { 0 };
  BkDatabase *db;
  g_autoptr(GError) error = NULL;

  db = fixture_start (&f, engine, database, NULL);
  test_db_exec (db, ITEMS_TABLE);
  test_db_exec (db, "INSERT INTO items (id, name) VALUES (1, 'one')");

  error = test_db_query_error (db, "INSERT INTO items (id, name) VALUES (1, 'other')", NULL);
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_UNIQUE_VIOLATION);
  g_assert_true (bk_database_error_is_unique_violation (error));
  g_assert_nonnull (strstr (error->message, "plugin 'alpha'"));
  g_clear_error (&error);

  error = test_db_query_error (db, "INSERT INTO items (id, name) VALUES (2, 'one')", NULL);
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_UNIQUE_VIOLATION);
  g_assert_true (bk_database_error_is_unique_violation (error));
  g_clear_error (&error);

  error = test_db_query_error (db, "INSERT INTO items (id, name) VALUES (3, NULL)", NULL);
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_CONSTRAINT);
  g_assert_false (bk_database_error_is_unique_violation (error));

  fixture_stop (&f);
}

static void
test_database_sqlite_engine_codes (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;

  fixture_start (&f, BK_DATABASE_ENGINE_SQLITE, NULL, NULL);
  test_db_exec (f.probes[0].database, ITEMS_TABLE);
  test_db_exec (f.probes[0].database, "INSERT INTO items (id, name) VALUES (1, 'one')");
  error = test_db_query_error (f.probes[0].database, "INSERT INTO items (id, name) VALUES (1, 'two')", NULL);
  g_assert_cmpstr (bk_database_error_get_engine_code (error), ==, "SQLITE_CONSTRAINT_PRIMARYKEY");
  g_assert_cmpstr (error->message, ==,
                   "UNIQUE constraint failed: items.id (plugin 'alpha', SQLITE_CONSTRAINT_PRIMARYKEY)");
  g_clear_error (&error);
  error = test_db_query_error (f.probes[0].database, "INSERT INTO items (id, name) VALUES (2, 'one')", NULL);
  g_assert_cmpstr (bk_database_error_get_engine_code (error), ==, "SQLITE_CONSTRAINT_UNIQUE");
  fixture_stop (&f);
}

/* SQLite TEXT that is not a valid GVariant string (an embedded NUL,
 * invalid UTF-8) comes back as bytes. */
static void
test_database_sqlite_text_as_bytes (void)
{
  Fixture f = { 0 };
  g_autoptr(BkDatabaseResult) result = NULL;
  GVariant *value;
  gconstpointer bytes;
  gsize size = 0;

  fixture_start (&f, BK_DATABASE_ENGINE_SQLITE, NULL, NULL);
  result = test_db_query (f.probes[0].database,
                          "SELECT CAST(X'610062' AS TEXT) AS nul, CAST(X'61FF' AS TEXT) AS bad, 'ok' AS good", NULL);
  value = bk_database_result_get_value (result, 0, "nul");
  g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING));
  bytes = g_variant_get_fixed_array (value, &size, 1);
  g_assert_cmpmem (bytes, size, "a\0b", 3);
  value = bk_database_result_get_value (result, 0, "bad");
  g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING));
  g_assert_cmpstr (bk_database_result_get_string (result, 0, "good"), ==, "ok");
  fixture_stop (&f);
}

#define LONG_QUERY \
  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) " \
  "SELECT MAX(x) AS m FROM c"

static void
test_database_timeout (BkDatabaseEngine  engine,
                       const char       *database,
                       gconstpointer     data)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(BkDatabaseResult) result = NULL;

  fixture_start (&f, engine, database, "\"plugin\":{\"alpha\":{\"statementTimeout\":\"100ms\"}}");
  error = test_db_query_error (f.probes[0].database, LONG_QUERY, NULL);
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (error->message, "plugin 'alpha'"));

  /* The connection is still good, and short statements pass. */
  result = test_db_query (f.probes[0].database, "SELECT 1 AS one", NULL);
  g_assert_cmpint (bk_database_result_get_int64 (result, 0, "one"), ==, 1);
  fixture_stop (&f);
}

static void
test_database_cancel (BkDatabaseEngine  engine,
                      const char       *database,
                      gconstpointer     data)
{
  Fixture f = { 0 };
  BkDatabase *db;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) async_result = NULL;
  g_autoptr(GError) error = NULL;
  Body body = { .long_sql = LONG_QUERY };

  db = fixture_start (&f, engine, database, NULL);
  test_db_exec (db, ITEMS_TABLE);

  bk_database_run_in_transaction_async (db, insert_body, &body, NULL, cancellable, test_store_result, &async_result);
  wait_for (&body.started, "the long statement");
  g_cancellable_cancel (cancellable);
  g_assert_false (bk_database_run_in_transaction_finish (db, test_wait_result (&async_result, "the cancellation"), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (body.calls, ==, 1);

  /* Rolled back; the database is still usable. */
  g_assert_cmpint (count_rows (db, "items"), ==, 0);
  g_clear_object (&async_result);
  fixture_stop (&f);
}

/* Shutdown --------------------------------------------------------------------------------------- */

static void
test_database_shutdown (BkDatabaseEngine  engine,
                        const char       *database,
                        gconstpointer     data)
{
  Fixture f = { 0 };
  BkDatabase *db;
  BkMockLifecycle *root_lifecycle;
  g_autoptr(GAsyncResult) running = NULL;
  g_autoptr(GAsyncResult) later = NULL;
  g_autoptr(GError) error = NULL;
  Body body = { .long_sql = LONG_QUERY };

  db = fixture_start (&f, engine, database, NULL);
  test_db_exec (db, ITEMS_TABLE);
  root_lifecycle = bk_test_backend_get_service (f.backend, BK_SERVICE_ROOT_LIFECYCLE, NULL);

  /* A running statement is interrupted, later calls fail. */
  bk_database_run_in_transaction_async (db, insert_body, &body, NULL, NULL, test_store_result, &running);
  wait_for (&body.started, "the long statement");
  bk_mock_lifecycle_trigger (root_lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);

  g_assert_false (bk_database_run_in_transaction_finish (db, test_wait_result (&running, "the interrupted statement"), &error));
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_CLOSED);
  g_assert_nonnull (strstr (error->message, "plugin 'alpha'"));
  g_clear_error (&error);

  bk_database_query_async (db, "SELECT 1", NULL, NULL, test_store_result, &later);
  g_assert_null (bk_database_query_finish (db, test_wait_result (&later, "the later query"), &error));
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_CLOSED);
  g_clear_error (&error);
  error = test_db_query_error (f.probes[1].database, "SELECT 1", NULL);
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_CLOSED);

  g_clear_object (&running);
  g_clear_object (&later);
  fixture_stop (&f);
}

/* Config ----------------------------------------------------------------------------------------- */

typedef struct
{
  const char *members;
  const char *key;
} ConfigCase;

static const ConfigCase config_cases[] = {
  { "\"client\":\"mysql\"", "'backend.database.client'" },
  { "\"client\":42", "'backend.database.client'" },
  { "\"plugin\":{\"alpha\":{\"client\":\"oracle\"}}", "'backend.database.plugin.alpha.client'" },
  { "\"pluginDivisionMode\":\"schema\"", "'backend.database.pluginDivisionMode'" },
  { "\"client\":\"pg\",\"pluginDivisionMode\":\"tables\"", "'backend.database.pluginDivisionMode'" },
  { "\"connection\":\"/tmp/x.db\"", "'backend.database.connection'" },
  { "\"connection\":{\"directory\":7}", "'backend.database.connection.directory'" },
  { "\"plugin\":{\"alpha\":{\"connection\":true}}", "'backend.database.plugin.alpha.connection'" },
  { "\"statementTimeout\":\"5 parsecs\"", "'backend.database.statementTimeout'" },
  { "\"pool\":{\"max\":0}", "'backend.database.pool.max'" },
  { "\"ensureExists\":\"maybe\"", "'backend.database.ensureExists'" },
  { "\"client\":\"pg\",\"connection\":\"host='a\"", "'backend.database.connection'" },
  { "\"client\":\"pg\",\"connection\":{\"host\":[\"a\"]}", "'backend.database.connection.host'" },
};

static void
test_database_config_error (gconstpointer data)
{
  const ConfigCase *c = data;
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  TestProbe probes[2] = { 0 };
  const char *ids[] = { "alpha", NULL };

  backend = start_backend (NULL, c->members, probes, ids, &error);
  g_assert_null (backend);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, c->key));
  g_assert_nonnull (strstr (error->message, "core.database"));
}

/* The PostgreSQL engine is a module: when it cannot be loaded, a plugin
 * on PostgreSQL fails to start with an error that says where it looked.
 * $BK_MODULE_DIR, when set, is the only place searched. */
static void
test_database_postgresql_module_missing (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(BkTestBackend) backend = NULL;
      g_autoptr(GError) error = NULL;
      TestProbe probes[2] = { 0 };
      const char *ids[] = { "alpha", NULL };

      g_setenv ("BK_MODULE_DIR", "/nonexistent/bk-modules", TRUE);
      backend = start_backend (NULL, "\"client\":\"pg\",\"connection\":{\"host\":\"/tmp\"}",
                               probes, ids, &error);
      g_assert_null (backend);
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message,
                                "PostgreSQL support is not available: the module libbackend-postgresql-1.so "
                                "could not be loaded (/nonexistent/bk-modules/libbackend-postgresql-1.so: not found)"));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* A test backend whose config is not the mock's still gets a private
 * in-memory database per plugin. */
static GObject *
create_static_config (BkDeps   *deps,
                      gpointer  root_context,
                      gpointer  user_data,
                      GError  **error)
{
  g_autoptr(BkConfig) config = bk_config_new_from_yaml ("app:\n  title: x\nbackend:\n  listen:\n    host: 127.0.0.1\n    port: 0\n",
                                                        -1, "app-config.yaml", error);

  return config != NULL ? G_OBJECT (bk_static_root_config_new (config)) : NULL;
}

static void
test_database_testkit_default (void)
{
  for (guint run = 0; run < 2; run++)
    {
      g_autoptr(BkTestBackend) backend = bk_test_backend_new ();
      g_autoptr(GError) error = NULL;
      TestProbe probes[2] = { 0 };

      bk_test_backend_add (backend, bk_service_factory_new (BK_SERVICE_ROOT_CONFIG, create_static_config,
                                                            NULL, NULL, NULL));
      bk_test_backend_add (backend, test_probe_plugin_new ("alpha", &probes[0]));
      bk_test_backend_add (backend, test_probe_plugin_new ("beta", &probes[1]));
      g_assert_true (bk_test_backend_launch (backend, &error));
      g_assert_no_error (error);
      g_assert_cmpint (bk_database_get_engine (probes[0].database), ==, BK_DATABASE_ENGINE_SQLITE);
      g_assert_true (probes[0].database != probes[1].database);

      /* Nothing survives from the previous run: it was in memory. */
      test_db_exec (probes[0].database, ITEMS_TABLE);
      g_assert_false (g_file_test ("alpha.sqlite", G_FILE_TEST_EXISTS));

      bk_test_backend_stop (backend, &error);
      g_assert_no_error (error);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  bk_test_databases_add_test ("/database/params", NULL, test_database_params);
  bk_test_databases_add_test ("/database/json", NULL, test_database_json);
  bk_test_databases_add_test ("/database/transaction", NULL, test_database_transaction);
  bk_test_databases_add_test ("/database/migrations", NULL, test_database_migrations);
  bk_test_databases_add_test ("/database/migrations/resource", NULL, test_database_migrations_resource);
  bk_test_databases_add_test ("/database/migrations/skip", NULL, test_database_migrations_skip);
  bk_test_databases_add_test ("/database/isolation", NULL, test_database_isolation);
  bk_test_databases_add_test ("/database/unique", NULL, test_database_unique);
  bk_test_databases_add_test ("/database/timeout", NULL, test_database_timeout);
  bk_test_databases_add_test ("/database/cancel", NULL, test_database_cancel);
  bk_test_databases_add_test ("/database/shutdown", NULL, test_database_shutdown);
  g_test_add_func ("/database/sqlite/busy", test_database_sqlite_busy);
  g_test_add_func ("/database/sqlite/files", test_database_sqlite_files);
  g_test_add_func ("/database/sqlite/engine-codes", test_database_sqlite_engine_codes);
  g_test_add_func ("/database/sqlite/text-as-bytes", test_database_sqlite_text_as_bytes);
  g_test_add_func ("/database/testkit-default", test_database_testkit_default);
  g_test_add_func ("/database/postgresql/module-missing", test_database_postgresql_module_missing);
  for (guint i = 0; i < G_N_ELEMENTS (config_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/database/config-error/%u", i);

      g_test_add_data_func (path, &config_cases[i], test_database_config_error);
    }

  return g_test_run ();
}
