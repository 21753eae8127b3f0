/* test-database-postgresql.c: the PostgreSQL engine of core.database, on
 * the test kit's private server (BkTestPostgres), through BkTestBackend.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every test gets a fresh database from the harness; the plugins' own
 * databases (division mode `database`) are named after it. The tests skip,
 * with the harness's message, only when PostgreSQL is not installed.
 */

#include <math.h>

#include <libpq-fe.h>

#include "test-util.h"

/* The server ----------------------------------------------------------------------------------- */

/* A fresh database: its name and a conninfo for it. */
typedef struct
{
  char *conninfo;
  char *name;
} TestDb;

static void
test_db_init (TestDb         *db,
              BkTestPostgres *postgres)
{
  g_autoptr(GError) error = NULL;
  PQconninfoOption *options;

  db->conninfo = bk_test_postgres_create_database (postgres, &error);
  g_assert_no_error (error);
  options = PQconninfoParse (db->conninfo, NULL);
  g_assert_nonnull (options);
  for (PQconninfoOption *o = options; o->keyword != NULL; o++)
    if (g_str_equal (o->keyword, "dbname"))
      db->name = g_strdup (o->val);
  PQconninfoFree (options);
  g_assert_nonnull (db->name);
}

static void
test_db_clear (TestDb *db)
{
  g_clear_pointer (&db->conninfo, g_free);
  g_clear_pointer (&db->name, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TestDb, test_db_clear)

/* A connection of the test's own to @dbname, beside the backend's. */
static PGconn *
admin_connect (BkTestPostgres *postgres,
               const char     *dbname)
{
  g_autofree char *conninfo = g_strdup_printf ("%s dbname='%s'", bk_test_postgres_get_conninfo (postgres), dbname);
  PGconn *conn = PQconnectdb (conninfo);

  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("cannot connect to %s: %s", dbname, PQerrorMessage (conn));
  return conn;
}

static void
admin_exec (PGconn     *conn,
            const char *sql)
{
  PGresult *result = PQexec (conn, sql);

  if (PQresultStatus (result) != PGRES_COMMAND_OK && PQresultStatus (result) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQresultErrorMessage (result));
  PQclear (result);
}

/* The first column of the first row of @sql, as an integer. */
static gint64
admin_count (PGconn     *conn,
             const char *sql)
{
  PGresult *result = PQexec (conn, sql);
  gint64 n;

  if (PQresultStatus (result) != PGRES_TUPLES_OK || PQntuples (result) != 1)
    g_error ("%s: %s", sql, PQresultErrorMessage (result));
  n = g_ascii_strtoll (PQgetvalue (result, 0, 0), NULL, 10);
  PQclear (result);
  return n;
}

/* The number of server sessions of plugin @plugin_id in @dbname. */
static gint64
sessions_of (PGconn     *conn,
             const char *dbname,
             const char *plugin_id)
{
  g_autofree char *sql = g_strdup_printf ("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '%s' "
                                          "AND application_name = 'libbackend-%s'", dbname, plugin_id);

  return admin_count (conn, sql);
}

/* Iterates the default main context until @sql on @conn gives @expected,
 * failing after TEST_GUARD_SECONDS. */
static void
wait_for_count (PGconn     *conn,
                const char *sql,
                gint64      expected)
{
  gint64 deadline = g_get_monotonic_time () + TEST_GUARD_SECONDS * G_USEC_PER_SEC;

  while (admin_count (conn, sql) != expected)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %" G_GINT64_FORMAT " from %s", expected, sql);
      g_main_context_iteration (NULL, FALSE);
    }
}

/* How many statements of @plugin_id run `pg_sleep` on the server now. */
static char *
sleepers_sql (const char *plugin_id)
{
  return g_strdup_printf ("SELECT COUNT(*) FROM pg_stat_activity WHERE state = 'active' "
                          "AND application_name = 'libbackend-%s' AND query LIKE '%%pg_sleep%%'",
                          plugin_id);
}

static char *
json_quote (const char *text)
{
  g_autoptr(JsonNode) node = json_node_init_string (json_node_alloc (), text);

  return json_to_string (node, FALSE);
}

/* Backends with probe plugins ------------------------------------------------------------------ */

/* A started backend whose `backend.database` is `{ @members }`, with a
 * probe plugin per id of @ids (NULL-terminated). */
static BkTestBackend *
start_backend (const char  *members,
               const char **ids,
               TestProbe   *probes)
{
  g_autoptr(GError) error = NULL;
  BkTestBackend *backend = test_database_backend_new (members, ids, probes, &error);

  g_assert_no_error (error);
  return backend;
}

/* `"client":"pg","pluginDivisionMode":"schema","connection":"<db>"` */
static char *
schema_members (const TestDb *db)
{
  g_autofree char *connection = json_quote (db->conninfo);

  return g_strdup_printf ("\"client\":\"pg\",\"pluginDivisionMode\":\"schema\",\"connection\":%s", connection);
}

/* Makes @db and starts a backend on it in schema mode, with the members
 * @extra (or NULL) and a probe plugin per id of @ids. */
static BkTestBackend *
start_schema_backend (BkTestPostgres  *postgres,
                      TestDb          *db,
                      const char      *extra,
                      const char     **ids,
                      TestProbe       *probes)
{
  g_autofree char *base = NULL;
  g_autofree char *members = NULL;

  test_db_init (db, postgres);
  base = schema_members (db);
  members = g_strjoin (",", base, extra, NULL);
  return start_backend (members, ids, probes);
}

/* Database mode: the plugins' databases are `<test db>_<plugin>`. */
static char *
database_members (const TestDb *db)
{
  g_autofree char *connection = json_quote (db->conninfo);

  return g_strdup_printf ("\"client\":\"pg\",\"connection\":%s,\"prefix\":\"%s_\"", connection, db->name);
}

static void
drop_plugin_databases (BkTestPostgres *postgres,
                       const TestDb   *db)
{
  PGconn *admin = admin_connect (postgres, db->name);
  g_autofree char *sql = g_strdup_printf ("SELECT datname FROM pg_database WHERE datname LIKE '%s\\_%%'", db->name);
  PGresult *names = PQexec (admin, sql);

  g_assert_cmpint (PQresultStatus (names), ==, PGRES_TUPLES_OK);
  for (int i = 0; i < PQntuples (names); i++)
    {
      g_autofree char *drop = g_strdup_printf ("DROP DATABASE \"%s\" WITH (FORCE)", PQgetvalue (names, i, 0));

      admin_exec (admin, drop);
    }
  PQclear (names);
  PQfinish (admin);
}

/* Queries ---------------------------------------------------------------------------------------- */

static char *
query_string (BkDatabase *database,
              const char *sql)
{
  g_autoptr(BkDatabaseResult) result = test_db_query (database, sql, NULL);

  return g_strdup (bk_database_result_get_string (result, 0, bk_database_result_get_column_name (result, 0)));
}

static void
assert_engine_error (const GError    *error,
                     BkDatabaseError  code,
                     const char      *sqlstate,
                     const char      *plugin_id)
{
  g_autofree char *plugin = g_strdup_printf ("plugin '%s'", plugin_id);

  g_assert_error (error, BK_DATABASE_ERROR, code);
  g_assert_cmpstr (bk_database_error_get_engine_code (error), ==, sqlstate);
  g_assert_nonnull (strstr (error->message, plugin));
}

static const char *alpha_ids[] = { "alpha", NULL };
static const char *alpha_beta_ids[] = { "alpha", "beta", NULL };

/* Parameters and types --------------------------------------------------------------------------- */

static void
test_database_postgresql_types (void)
{
  BkTestPostgres *postgres = test_postgres_server ();
  g_auto(TestDb) db = { 0 };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(BkDatabaseResult) result = NULL;
  g_autoptr(GError) error = NULL;
  static const guint8 blob[] = { 0, '\\', 'x', 0xff, 0 };
  TestProbe probes[1] = { { 0 } };
  GVariant *value;
  gsize size = 0;

  if (postgres == NULL)
    return;
  backend = start_schema_backend (postgres, &db, NULL, alpha_ids, probes);

  /* Results are typed by the column's type. */
  result = test_db_query (probes[0].database,
                          "SELECT 1::int2 AS a, 2::int4 AS b, 9223372036854775807::int8 AS c, 4::oid AS d, "
                          "1.5::float4 AS e, 'NaN'::float8 AS f, '-Infinity'::float8 AS g, 12345678901234567890.5::numeric AS h, "
                          "true AS i, '\\x00ff'::bytea AS j, 'text' AS k, NULL::int AS l, DATE '2024-02-29' AS m, "
                          "'{\"a\":1}'::jsonb AS n", NULL);
  g_assert_cmpint (bk_database_result_get_int64 (result, 0, "a"), ==, 1);
  g_assert_cmpint (bk_database_result_get_int64 (result, 0, "b"), ==, 2);
  g_assert_cmpint (bk_database_result_get_int64 (result, 0, "c"), ==, G_MAXINT64);
  g_assert_cmpint (bk_database_result_get_int64 (result, 0, "d"), ==, 4);
  g_assert_cmpfloat (bk_database_result_get_double (result, 0, "e"), ==, 1.5);
  g_assert_true (isnan (bk_database_result_get_double (result, 0, "f")));
  g_assert_true (isinf (bk_database_result_get_double (result, 0, "g")));
  g_assert_cmpstr (bk_database_result_get_string (result, 0, "h"), ==, "12345678901234567890.5");
  g_assert_true (bk_database_result_get_boolean (result, 0, "i"));
  value = bk_database_result_get_value (result, 0, "j");
  g_assert_cmpstr (g_variant_get_type_string (value), ==, "ay");
  g_assert_cmpmem (g_variant_get_fixed_array (value, &size, 1), size, "\x00\xff", 2);
  g_assert_cmpstr (bk_database_result_get_string (result, 0, "k"), ==, "text");
  g_assert_true (bk_database_result_is_null (result, 0, "l"));
  g_assert_cmpstr (bk_database_result_get_string (result, 0, "m"), ==, "2024-02-29");
  g_assert_cmpstr (bk_database_result_get_string (result, 0, "n"), ==, "{\"a\": 1}");
  g_clear_object (&result);

  /* Parameters: strings take the column's type as literals do; bytes are
   * binary; a Nothing is a NULL of its element's type. */
  test_db_exec (probes[0].database,
                "CREATE TABLE things (id BIGINT PRIMARY KEY, at TIMESTAMPTZ, doc JSONB, bin BYTEA, "
                "ratio DOUBLE PRECISION, small INT2, flag BOOLEAN)");
  result = test_db_query (probes[0].database,
                          "INSERT INTO things VALUES ($1, $2, $3, $4, $5, $6, $7), ($8, NULL, NULL, NULL, $9, $10, $11)",
                          g_variant_new ("(xss@aydnbx@md@mn@mb)", (gint64) 1, "2024-01-02T03:04:05Z", "{\"k\": [1, 2]}",
                                         g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, blob, sizeof blob, 1),
                                         -0.125, (gint16) -7, FALSE, (gint64) 2,
                                         g_variant_new_maybe (G_VARIANT_TYPE_DOUBLE, NULL),
                                         g_variant_new_maybe (G_VARIANT_TYPE_INT16, NULL),
                                         g_variant_new_maybe (G_VARIANT_TYPE_BOOLEAN, NULL)));
  g_assert_cmpuint (bk_database_result_get_changes (result), ==, 2);
  g_clear_object (&result);

  result = test_db_query (probes[0].database,
                          "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS at, doc->'k'->>1 AS second, "
                          "bin, ratio, small, flag FROM things WHERE id = $1 AND doc ? $2 AND $3::text IS NULL",
                          g_variant_new ("(xs@ms)", (gint64) 1, "k", g_variant_new_maybe (G_VARIANT_TYPE_STRING, NULL)));
  g_assert_cmpuint (bk_database_result_get_n_rows (result), ==, 1);
  g_assert_cmpuint (bk_database_result_get_changes (result), ==, 0);
  g_assert_cmpstr (bk_database_result_get_string (result, 0, "at"), ==, "2024-01-02 03:04:05");
  g_assert_cmpstr (bk_database_result_get_string (result, 0, "second"), ==, "2");
  value = bk_database_result_get_value (result, 0, "bin");
  g_assert_cmpmem (g_variant_get_fixed_array (value, &size, 1), size, blob, sizeof blob);
  g_assert_cmpfloat (bk_database_result_get_double (result, 0, "ratio"), ==, -0.125);
  g_assert_cmpint (bk_database_result_get_int64 (result, 0, "small"), ==, -7);
  g_assert_false (bk_database_result_get_boolean (result, 0, "flag"));
  g_clear_object (&result);

  result = test_db_query (probes[0].database, "SELECT ratio, small, flag FROM things WHERE id = 2", NULL);
  g_assert_true (bk_database_result_is_null (result, 0, "ratio"));
  g_assert_true (bk_database_result_is_null (result, 0, "small"));
  g_assert_true (bk_database_result_is_null (result, 0, "flag"));
  g_clear_object (&result);

  /* Doubles round-trip exactly, infinities and NaN included. */
  result = test_db_query (probes[0].database, "SELECT $1 AS a, $2 AS b, $3 AS c",
                          g_variant_new ("(ddd)", 0.1, -INFINITY, NAN));
  g_assert_cmpfloat (bk_database_result_get_double (result, 0, "a"), ==, 0.1);
  g_assert_cmpfloat (bk_database_result_get_double (result, 0, "b"), ==, -INFINITY);
  g_assert_true (isnan (bk_database_result_get_double (result, 0, "c")));
  g_clear_object (&result);

  /* `$n` inside literals, quoted identifiers, comments and dollar quotes
   * is not a placeholder. */
  result = test_db_query (probes[0].database,
                          "SELECT '$2' AS \"$3\", E'\\'$4' AS b, $$ $5 $$ AS c, $q$ $6 $q$ AS d, $1::int + 1 AS e "
                          "-- $7\n /* $8 /* $9 */ */",
                          g_variant_new ("(x)", (gint64) 41));
  g_assert_cmpstr (bk_database_result_get_string (result, 0, "$3"), ==, "$2");
  g_assert_cmpstr (bk_database_result_get_string (result, 0, "b"), ==, "'$4");
  g_assert_cmpint (bk_database_result_get_int64 (result, 0, "e"), ==, 42);
  g_clear_object (&result);
  error = test_db_query_error (probes[0].database, "SELECT $1 AS a -- $2", g_variant_new ("(xx)", (gint64) 1, (gint64) 2));
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_PARAMETER);
  g_assert_nonnull (strstr (error->message, "takes 1 parameters but 2 were given"));
  g_clear_error (&error);
  error = test_db_query_error (probes[0].database, "SELECT $2 AS a", g_variant_new ("(x)", (gint64) 1));
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_PARAMETER);
  g_clear_error (&error);

  /* Without parameters, several statements run; the last one's rows come
   * back, and `changes` counts only INSERT, UPDATE and DELETE. */
  result = test_db_query (probes[0].database, "UPDATE things SET small = 1; SELECT COUNT(*) AS n FROM things WHERE small = 1", NULL);
  g_assert_cmpint (bk_database_result_get_int64 (result, 0, "n"), ==, 2);
  g_assert_cmpuint (bk_database_result_get_changes (result), ==, 0);
  g_clear_object (&result);
  result = test_db_query (probes[0].database, "DELETE FROM things WHERE id > $1", g_variant_new ("(x)", (gint64) 0));
  g_assert_cmpuint (bk_database_result_get_changes (result), ==, 2);
  g_clear_object (&result);
  result = test_db_query (probes[0].database, "  ", NULL);
  g_assert_cmpuint (bk_database_result_get_n_columns (result), ==, 0);

  test_database_backend_stop (&backend);
}

/* Errors ------------------------------------------------------------------------------------------ */

static void
test_database_postgresql_errors (void)
{
  BkTestPostgres *postgres = test_postgres_server ();
  g_auto(TestDb) db = { 0 };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BkDatabaseResult) result = NULL;
  TestProbe probes[1] = { { 0 } };
  BkDatabase *database;
  PGconn *admin;

  if (postgres == NULL)
    return;
  backend = start_schema_backend (postgres, &db, NULL, alpha_ids, probes);
  database = probes[0].database;
  test_db_exec (database, "CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
                          "size INT CHECK (size > 0))");
  test_db_exec (database, "INSERT INTO items (id, name) VALUES (1, 'one')");

  /* Each kind of failure keeps its SQLSTATE. */
  error = test_db_query_error (database, "INSERT INTO items (id, name) VALUES ($1, $2)", g_variant_new ("(xs)", (gint64) 2, "one"));
  assert_engine_error (error, BK_DATABASE_ERROR_UNIQUE_VIOLATION, "23505", "alpha");
  g_assert_true (bk_database_error_is_unique_violation (error));
  g_assert_nonnull (strstr (error->message, "Key (name)=(one) already exists"));
  g_clear_error (&error);
  error = test_db_query_error (database, "INSERT INTO items (id) VALUES (3)", NULL);
  assert_engine_error (error, BK_DATABASE_ERROR_CONSTRAINT, "23502", "alpha");
  g_assert_false (bk_database_error_is_unique_violation (error));
  g_clear_error (&error);
  error = test_db_query_error (database, "INSERT INTO items (id, name, size) VALUES (3, 'three', -1)", NULL);
  assert_engine_error (error, BK_DATABASE_ERROR_CONSTRAINT, "23514", "alpha");
  g_clear_error (&error);
  error = test_db_query_error (database, "SELEC 1", NULL);
  assert_engine_error (error, BK_DATABASE_ERROR_FAILED, "42601", "alpha");
  g_clear_error (&error);
  error = test_db_query_error (database, "SELECT * FROM items WHERE id = $1", NULL);
  assert_engine_error (error, BK_DATABASE_ERROR_PARAMETER, "42P02", "alpha");
  g_clear_error (&error);

  /* A row locked by another session: busy. */
  admin = admin_connect (postgres, db.name);
  admin_exec (admin, "BEGIN");
  admin_exec (admin, "SELECT * FROM alpha.items WHERE id = 1 FOR UPDATE");
  error = test_db_query_error (database, "SELECT * FROM items WHERE id = 1 FOR UPDATE NOWAIT", NULL);
  assert_engine_error (error, BK_DATABASE_ERROR_BUSY, "55P03", "alpha");
  g_clear_error (&error);
  admin_exec (admin, "ROLLBACK");
  PQfinish (admin);

  /* COPY is refused without breaking the connection. */
  error = test_db_query_error (database, "COPY items TO STDOUT", NULL);
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "COPY is not supported"));
  g_clear_error (&error);
  error = test_db_query_error (database, "COPY items FROM STDIN", NULL);
  g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_FAILED);
  g_clear_error (&error);
  result = test_db_query (database, "SELECT COUNT(*) AS n FROM items", NULL);
  g_assert_cmpint (bk_database_result_get_int64 (result, 0, "n"), ==, 1);

  test_database_backend_stop (&backend);
}

/* Transactions: a real serialization failure is retried -------------------------------------------- */

typedef struct
{
  PGconn *admin;
  int     calls;
} Conflict;

/* Reads a counter in a REPEATABLE READ snapshot; on the first attempt
 * another session updates it before this one does, which fails with
 * 40001. */
static gboolean
conflicting_body (BkDatabaseConnection  *connection,
                  gpointer               user_data,
                  GCancellable          *cancellable,
                  GError               **error)
{
  Conflict *conflict = user_data;
  g_autoptr(BkDatabaseResult) result = NULL;

  conflict->calls++;
  result = bk_database_connection_query (connection, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                                         NULL, cancellable, error);
  if (result == NULL)
    return FALSE;
  g_clear_object (&result);
  result = bk_database_connection_query (connection, "SELECT n FROM counter", NULL, cancellable, error);
  if (result == NULL)
    return FALSE;
  g_clear_object (&result);
  if (conflict->calls == 1)
    admin_exec (conflict->admin, "UPDATE alpha.counter SET n = n + 100");
  result = bk_database_connection_query (connection, "UPDATE counter SET n = n + 1", NULL, cancellable, error);
  return result != NULL;
}

static void
test_database_postgresql_serialization (void)
{
  BkTestPostgres *postgres = test_postgres_server ();
  g_auto(TestDb) db = { 0 };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BkDatabaseResult) result = NULL;
  TestProbe probes[1] = { { 0 } };
  Conflict conflict = { 0 };

  if (postgres == NULL)
    return;
  backend = start_schema_backend (postgres, &db, NULL, alpha_ids, probes);
  test_db_exec (probes[0].database, "CREATE TABLE counter (n BIGINT); INSERT INTO counter VALUES (0)");
  conflict.admin = admin_connect (postgres, db.name);

  g_assert_true (bk_database_run_in_transaction_sync (probes[0].database, conflicting_body, &conflict, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (conflict.calls, ==, 2);
  result = test_db_query (probes[0].database, "SELECT n FROM counter", NULL);
  g_assert_cmpint (bk_database_result_get_int64 (result, 0, "n"), ==, 101);

  PQfinish (conflict.admin);
  test_database_backend_stop (&backend);
}

/* Statement timeout and cancellation ------------------------------------------------------------------ */

static void
test_database_postgresql_timeout (void)
{
  BkTestPostgres *postgres = test_postgres_server ();
  g_auto(TestDb) db = { 0 };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BkDatabaseResult) result = NULL;
  TestProbe probes[2] = { { 0 } };

  if (postgres == NULL)
    return;
  backend = start_schema_backend (postgres, &db, "\"plugin\":{\"alpha\":{\"statementTimeout\":\"50ms\"}}",
                                  alpha_beta_ids, probes);

  error = test_db_query_error (probes[0].database, "SELECT pg_sleep(30)", NULL);
  assert_engine_error (error, BK_DATABASE_ERROR_TIMEOUT, "57014", "alpha");
  g_assert_nonnull (strstr (error->message, "50 ms"));

  /* The connection goes on; the other plugin has no timeout. */
  result = test_db_query (probes[0].database, "SELECT current_setting('statement_timeout') AS t", NULL);
  g_assert_cmpstr (bk_database_result_get_string (result, 0, "t"), ==, "50ms");
  g_clear_object (&result);
  result = test_db_query (probes[1].database, "SELECT current_setting('statement_timeout') AS t", NULL);
  g_assert_cmpstr (bk_database_result_get_string (result, 0, "t"), ==, "0");

  test_database_backend_stop (&backend);
}

static void
test_database_postgresql_cancel (void)
{
  BkTestPostgres *postgres = test_postgres_server ();
  g_auto(TestDb) db = { 0 };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autofree char *sleepers = sleepers_sql ("alpha");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BkDatabaseResult) result = NULL;
  GAsyncResult *slot[1] = { NULL };
  TestProbe probes[1] = { { 0 } };
  PGconn *admin;
  gint64 started;

  if (postgres == NULL)
    return;
  backend = start_schema_backend (postgres, &db, NULL, alpha_ids, probes);
  admin = admin_connect (postgres, db.name);

  /* Cancelled while the server runs it: a cancel request stops it. */
  bk_database_query_async (probes[0].database, "SELECT pg_sleep(30)", NULL, cancellable, test_store_result, &slot[0]);
  wait_for_count (admin, sleepers, 1);
  started = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  test_wait_results (slot, 1, "the cancelled query");
  g_assert_null (bk_database_query_finish (probes[0].database, slot[0], &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 10 * G_USEC_PER_SEC);
  wait_for_count (admin, sleepers, 0);

  result = test_db_query (probes[0].database, "SELECT 1 AS one", NULL);
  g_assert_cmpint (bk_database_result_get_int64 (result, 0, "one"), ==, 1);

  g_clear_object (&slot[0]);
  PQfinish (admin);
  test_database_backend_stop (&backend);
}

/* Division modes and overrides ------------------------------------------------------------------------ */

static void
test_database_postgresql_division_database (void)
{
  BkTestPostgres *postgres = test_postgres_server ();
  g_auto(TestDb) db = { 0 };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autofree char *base = NULL;
  g_autofree char *members = NULL;
  g_autofree char *alpha_db = NULL;
  g_autofree char *beta_db = NULL;
  g_autofree char *gamma_db = NULL;
  g_autofree char *current = NULL;
  g_autofree char *exists_sql = NULL;
  g_autoptr(GError) error = NULL;
  const char *ids[] = { "alpha", "beta", "gamma", NULL };
  TestProbe probes[3] = { { 0 } };
  PGconn *admin;

  if (postgres == NULL)
    return;
  test_db_init (&db, postgres);
  base = database_members (&db);
  members = g_strconcat (base, ",\"plugin\":{\"gamma\":{\"ensureExists\":false}}", NULL);
  alpha_db = g_strconcat (db.name, "_alpha", NULL);
  beta_db = g_strconcat (db.name, "_beta", NULL);
  gamma_db = g_strconcat (db.name, "_gamma", NULL);
  backend = start_backend (members, ids, probes);

  /* Each plugin's first use creates its database `<prefix><pluginId>`. */
  current = query_string (probes[0].database, "SELECT current_database()");
  g_assert_cmpstr (current, ==, alpha_db);
  g_clear_pointer (&current, g_free);
  current = query_string (probes[1].database, "SELECT current_database()");
  g_assert_cmpstr (current, ==, beta_db);
  test_db_exec (probes[0].database, "CREATE TABLE mine (id INT)");
  error = test_db_query_error (probes[1].database, "SELECT * FROM mine", NULL);
  assert_engine_error (error, BK_DATABASE_ERROR_FAILED, "42P01", "beta");
  g_clear_error (&error);

  /* Without ensureExists a missing database is a connection error. */
  error = test_db_query_error (probes[2].database, "SELECT 1", NULL);
  assert_engine_error (error, BK_DATABASE_ERROR_CONNECTION, "08001", "gamma");
  g_assert_nonnull (strstr (error->message, gamma_db));
  g_clear_error (&error);

  admin = admin_connect (postgres, db.name);
  exists_sql = g_strdup_printf ("SELECT COUNT(*) FROM pg_database WHERE datname IN ('%s', '%s', '%s')",
                                alpha_db, beta_db, gamma_db);
  g_assert_cmpint (admin_count (admin, exists_sql), ==, 2);
  PQfinish (admin);

  test_database_backend_stop (&backend);
  drop_plugin_databases (postgres, &db);
}

static void
test_database_postgresql_division_schema (void)
{
  BkTestPostgres *postgres = test_postgres_server ();
  g_auto(TestDb) db = { 0 };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autofree char *current = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BkDatabaseResult) result = NULL;
  const char *ids[] = { "alpha", "beta", "gamma", NULL };
  TestProbe probes[3] = { { 0 } };
  PGconn *admin;

  if (postgres == NULL)
    return;
  backend = start_schema_backend (postgres, &db, "\"plugin\":{\"gamma\":{\"ensureExists\":false}}",
                                  ids, probes);

  /* One database, a schema per plugin, first on the search path. */
  current = query_string (probes[0].database, "SELECT current_database()");
  g_assert_cmpstr (current, ==, db.name);
  g_clear_pointer (&current, g_free);
  current = query_string (probes[1].database, "SELECT current_schema()");
  g_assert_cmpstr (current, ==, "beta");

  /* Plugin A's unqualified table is not visible to plugin B. */
  test_db_exec (probes[0].database, "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('from alpha')");
  error = test_db_query_error (probes[1].database, "SELECT * FROM notes", NULL);
  assert_engine_error (error, BK_DATABASE_ERROR_FAILED, "42P01", "beta");
  g_clear_error (&error);
  test_db_exec (probes[1].database, "CREATE TABLE notes (body TEXT)");
  result = test_db_query (probes[1].database, "SELECT COUNT(*) AS n FROM notes", NULL);
  g_assert_cmpint (bk_database_result_get_int64 (result, 0, "n"), ==, 0);

  /* Without ensureExists the schema is not created. */
  error = test_db_query_error (probes[2].database, "CREATE TABLE notes (body TEXT)", NULL);
  assert_engine_error (error, BK_DATABASE_ERROR_FAILED, "3F000", "gamma");

  admin = admin_connect (postgres, db.name);
  g_assert_cmpint (admin_count (admin, "SELECT COUNT(*) FROM pg_tables WHERE tablename = 'notes' "
                                       "AND schemaname IN ('alpha', 'beta')"), ==, 2);
  g_assert_cmpint (admin_count (admin, "SELECT COUNT(*) FROM alpha.notes"), ==, 1);
  g_assert_cmpint (admin_count (admin, "SELECT COUNT(*) FROM pg_namespace WHERE nspname = 'gamma'"), ==, 0);
  PQfinish (admin);

  test_database_backend_stop (&backend);
}

static void
test_database_postgresql_overrides (void)
{
  BkTestPostgres *postgres = test_postgres_server ();
  g_auto(TestDb) db = { 0 };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autofree char *base = NULL;
  g_autofree char *members = NULL;
  g_autofree char *current = NULL;
  g_autofree char *beta_db = NULL;
  const char *ids[] = { "alpha", "beta", "gamma", NULL };
  TestProbe probes[3] = { { 0 } };

  if (postgres == NULL)
    return;
  test_db_init (&db, postgres);
  base = schema_members (&db);
  /* alpha: the base (schema mode); beta: its own division mode and
   * prefix; gamma: SQLite. */
  members = g_strdup_printf ("%s,\"plugin\":{\"beta\":{\"pluginDivisionMode\":\"database\",\"prefix\":\"%s_own_\"},"
                             "\"gamma\":{\"client\":\"better-sqlite3\",\"pluginDivisionMode\":\"database\",\"connection\":\":memory:\"}}",
                             base, db.name);
  beta_db = g_strconcat (db.name, "_own_beta", NULL);
  backend = start_backend (members, ids, probes);

  g_assert_cmpint (bk_database_get_engine (probes[0].database), ==, BK_DATABASE_ENGINE_POSTGRESQL);
  current = query_string (probes[0].database, "SELECT current_schema() || '@' || current_database()");
  g_assert_true (g_str_has_prefix (current, "alpha@"));
  g_assert_cmpstr (current + strlen ("alpha@"), ==, db.name);
  g_clear_pointer (&current, g_free);

  g_assert_cmpint (bk_database_get_engine (probes[1].database), ==, BK_DATABASE_ENGINE_POSTGRESQL);
  current = query_string (probes[1].database, "SELECT current_schema() || '@' || current_database()");
  g_assert_true (g_str_has_prefix (current, "public@"));
  g_assert_cmpstr (current + strlen ("public@"), ==, beta_db);

  g_assert_cmpint (bk_database_get_engine (probes[2].database), ==, BK_DATABASE_ENGINE_SQLITE);
  test_db_exec (probes[2].database, "SELECT sqlite_version()");

  test_database_backend_stop (&backend);
  drop_plugin_databases (postgres, &db);
}

/* Migrations from two instances at once ------------------------------------------------------------------ */

static const BkDatabaseMigration concurrent_migrations[] = {
  { "0001_tables", "CREATE TABLE todos (id BIGSERIAL PRIMARY KEY, title TEXT NOT NULL)", NULL, NULL },
  { "0002_seed", "INSERT INTO todos (title) VALUES ('first')", NULL, NULL },
  { "0003_more", NULL, "SELECT 1", "ALTER TABLE todos ADD COLUMN done BOOLEAN NOT NULL DEFAULT false; "
                                   "INSERT INTO todos (title) VALUES ('second')" },
};

static void
run_concurrent_migrations (const char *members)
{
  g_autoptr(BkTestBackend) first = NULL;
  g_autoptr(BkTestBackend) second = NULL;
  g_autoptr(BkDatabaseResult) result = NULL;
  GAsyncResult *slots[2] = { NULL, NULL };
  TestProbe probes[2][1] = { { { 0 } } };
  BkDatabase *databases[2];

  first = start_backend (members, alpha_ids, probes[0]);
  second = start_backend (members, alpha_ids, probes[1]);
  databases[0] = probes[0][0].database;
  databases[1] = probes[1][0].database;

  /* Both start before either completes: they race for the database, the
   * migrations table and each migration. */
  for (guint i = 0; i < 2; i++)
    bk_database_migrate_async (databases[i], concurrent_migrations, G_N_ELEMENTS (concurrent_migrations),
                               NULL, test_store_result, &slots[i]);
  test_wait_results (slots, 2, "both instances' migrations");
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (bk_database_migrate_finish (databases[i], slots[i], &error));
      g_assert_no_error (error);
      g_clear_object (&slots[i]);
    }

  /* Each migration ran exactly once. */
  result = test_db_query (databases[1], "SELECT COUNT(*) AS n, SUM(CASE WHEN done THEN 1 ELSE 0 END) AS d FROM todos", NULL);
  g_assert_cmpint (bk_database_result_get_int64 (result, 0, "n"), ==, 2);
  g_clear_object (&result);
  result = test_db_query (databases[0], "SELECT name FROM bk_migrations ORDER BY name", NULL);
  g_assert_cmpuint (bk_database_result_get_n_rows (result), ==, 3);
  g_assert_cmpstr (bk_database_result_get_string (result, 2, "name"), ==, "0003_more");

  test_database_backend_stop (&first);
  test_database_backend_stop (&second);
}

static void
test_database_postgresql_migrations_concurrent (void)
{
  BkTestPostgres *postgres = test_postgres_server ();
  g_auto(TestDb) db = { 0 };
  g_autofree char *members = NULL;

  if (postgres == NULL)
    return;
  test_db_init (&db, postgres);

  /* Database mode: both instances also create the database at once. */
  members = database_members (&db);
  run_concurrent_migrations (members);
  drop_plugin_databases (postgres, &db);

  /* Schema mode: both create the schema at once. */
  g_clear_pointer (&members, g_free);
  members = schema_members (&db);
  run_concurrent_migrations (members);
}

/* The server goes away and comes back ---------------------------------------------------------------------- */

#define N_SLEEPERS 4

static void
test_database_postgresql_restart (void)
{
  BkTestPostgres *postgres = test_postgres_server ();
  g_auto(TestDb) db = { 0 };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autofree char *sleepers = sleepers_sql ("alpha");
  g_autoptr(GError) error = NULL;
  g_autoptr(BkDatabaseResult) result = NULL;
  GAsyncResult *slots[N_SLEEPERS] = { NULL };
  TestProbe probes[1] = { { 0 } };
  BkDatabase *database;
  PGconn *admin;

  if (postgres == NULL)
    return;
  backend = start_schema_backend (postgres, &db, NULL, alpha_ids, probes);
  database = probes[0].database;
  test_db_exec (database, "CREATE TABLE kept (n INT); INSERT INTO kept VALUES (7)");

  /* A restart while the pool is idle: its stale connection is replaced
   * without an error. */
  bk_test_postgres_restart (postgres, &error);
  g_assert_no_error (error);
  result = test_db_query (database, "SELECT n FROM kept", NULL);
  g_assert_cmpint (bk_database_result_get_int64 (result, 0, "n"), ==, 7);
  g_clear_object (&result);

  /* Stopped under load: every running statement fails cleanly. */
  admin = admin_connect (postgres, db.name);
  for (guint i = 0; i < N_SLEEPERS; i++)
    bk_database_query_async (database, "SELECT pg_sleep(30)", NULL, NULL, test_store_result, &slots[i]);
  wait_for_count (admin, sleepers, N_SLEEPERS);
  PQfinish (admin);
  bk_test_postgres_stop (postgres, &error);
  g_assert_no_error (error);
  test_wait_results (slots, N_SLEEPERS, "the statements of a stopped server");
  for (guint i = 0; i < N_SLEEPERS; i++)
    {
      g_assert_null (bk_database_query_finish (database, slots[i], &error));
      g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_CONNECTION);
      g_assert_nonnull (strstr (error->message, "plugin 'alpha'"));
      g_assert_cmpstr (bk_database_error_get_engine_code (error), ==, "57P01");
      g_clear_error (&error);
      g_clear_object (&slots[i]);
    }

  /* While it is down, calls fail at once. */
  error = test_db_query_error (database, "SELECT n FROM kept", NULL);
  assert_engine_error (error, BK_DATABASE_ERROR_CONNECTION, "08001", "alpha");
  g_clear_error (&error);

  /* Back up: the same backend recovers. */
  bk_test_postgres_restart (postgres, &error);
  g_assert_no_error (error);
  result = test_db_query (database, "SELECT n FROM kept", NULL);
  g_assert_cmpint (bk_database_result_get_int64 (result, 0, "n"), ==, 7);

  test_database_backend_stop (&backend);
}

/* Shutdown ---------------------------------------------------------------------------------------------------- */

/* Finishes a query at once, so that the result does not keep the service
 * alive past the backend's stop. */
typedef struct
{
  gboolean  done;
  GError   *error;
} Finished;

static void
finish_query (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Finished *finished = user_data;
  g_autoptr(BkDatabaseResult) rows = bk_database_query_finish (BK_DATABASE (source), result, &finished->error);

  g_assert_null (rows);
  finished->done = TRUE;
}

static void
test_database_postgresql_shutdown (void)
{
  BkTestPostgres *postgres = test_postgres_server ();
  g_auto(TestDb) db = { 0 };
  g_autoptr(BkTestBackend) backend = NULL;
  g_autofree char *sleepers = sleepers_sql ("beta");
  Finished finished[2] = { { 0 } };
  TestProbe probes[2] = { { 0 } };
  PGconn *admin;

  if (postgres == NULL)
    return;
  backend = start_schema_backend (postgres, &db, NULL, alpha_beta_ids, probes);
  admin = admin_connect (postgres, db.name);

  /* An idle connection of alpha, two running statements of beta. */
  test_db_exec (probes[0].database, "SELECT 1");
  for (guint i = 0; i < 2; i++)
    bk_database_query_async (probes[1].database, "SELECT pg_sleep(30)", NULL, NULL, finish_query, &finished[i]);
  wait_for_count (admin, sleepers, 2);
  g_assert_cmpint (sessions_of (admin, db.name, "alpha"), ==, 1);
  g_assert_cmpint (sessions_of (admin, db.name, "beta"), ==, 2);

  /* Stopping the backend interrupts the statements and closes every
   * connection. */
  test_database_backend_stop (&backend);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_true (finished[i].done);
      g_assert_error (finished[i].error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_CLOSED);
      g_clear_error (&finished[i].error);
    }
  /* A server process ends shortly after its client leaves. */
  wait_for_count (admin, "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name LIKE 'libbackend-%'", 0);

  PQfinish (admin);
}

/* The harness can stop and restart its server ------------------------------------------------------------------ */

static void
test_database_postgresql_harness_restart (void)
{
  BkTestPostgres *postgres = test_postgres_server ();
  g_autoptr(GError) error = NULL;
  PGconn *conn;

  if (postgres == NULL)
    return;
  if (g_getenv ("BK_TEST_POSTGRES_URL") != NULL && *g_getenv ("BK_TEST_POSTGRES_URL") != '\0')
    {
      g_assert_false (bk_test_postgres_stop (postgres, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
      return;
    }

  g_assert_true (bk_test_postgres_stop (postgres, &error));
  g_assert_no_error (error);
  g_assert_true (bk_test_postgres_stop (postgres, &error));   /* already stopped */
  conn = PQconnectdb (bk_test_postgres_get_conninfo (postgres));
  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_BAD);
  PQfinish (conn);

  g_assert_true (bk_test_postgres_restart (postgres, &error));
  g_assert_no_error (error);
  conn = PQconnectdb (bk_test_postgres_get_conninfo (postgres));
  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  PQfinish (conn);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/database-postgresql/types", test_database_postgresql_types);
  g_test_add_func ("/database-postgresql/errors", test_database_postgresql_errors);
  g_test_add_func ("/database-postgresql/serialization", test_database_postgresql_serialization);
  g_test_add_func ("/database-postgresql/timeout", test_database_postgresql_timeout);
  g_test_add_func ("/database-postgresql/cancel", test_database_postgresql_cancel);
  g_test_add_func ("/database-postgresql/division/database", test_database_postgresql_division_database);
  g_test_add_func ("/database-postgresql/division/schema", test_database_postgresql_division_schema);
  g_test_add_func ("/database-postgresql/overrides", test_database_postgresql_overrides);
  g_test_add_func ("/database-postgresql/migrations/concurrent", test_database_postgresql_migrations_concurrent);
  g_test_add_func ("/database-postgresql/harness-restart", test_database_postgresql_harness_restart);
  g_test_add_func ("/database-postgresql/restart", test_database_postgresql_restart);
  g_test_add_func ("/database-postgresql/shutdown", test_database_postgresql_shutdown);

  return g_test_run ();
}
