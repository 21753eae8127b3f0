/* test-test-postgres.c: BkTestPostgres, a private PostgreSQL server per test
 * process.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "test-util.h"

/* Runs @sql on a new connection to @conninfo and gives the first value of
 * its result, or "" for a command. */
static char *
query (const char *conninfo,
       const char *sql)
{
  PGconn *conn = PQconnectdb (conninfo);
  PGresult *result;
  char *value;

  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("Could not connect to '%s': %s", conninfo, PQerrorMessage (conn));
  result = PQexec (conn, sql);
  if (PQresultStatus (result) != PGRES_TUPLES_OK && PQresultStatus (result) != PGRES_COMMAND_OK)
    g_error ("'%s' failed: %s", sql, PQerrorMessage (conn));
  value = g_strdup (PQntuples (result) > 0 ? PQgetvalue (result, 0, 0) : "");
  PQclear (result);
  PQfinish (conn);
  return value;
}

/* The pid of the postmaster serving @conninfo, from its postmaster.pid. */
static GPid
query_postmaster_pid (const char  *conninfo,
                      char       **out_data_directory)
{
  g_autofree char *data_directory = query (conninfo, "SHOW data_directory");
  g_autofree char *pid_file = g_build_filename (data_directory, "postmaster.pid", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (pid_file, &contents, NULL, &error);
  g_assert_no_error (error);
  if (out_data_directory != NULL)
    *out_data_directory = g_steal_pointer (&data_directory);
  return (GPid) g_ascii_strtoll (contents, NULL, 10);
}

static gboolean
is_server_directory (const char *path)
{
  return g_str_has_prefix (path, "/tmp/bk-pg-") || g_str_has_prefix (path, "/dev/shm/bk-pg-");
}

/* A process is gone when it does not exist or is a zombie nobody reaped. */
static gboolean
process_is_gone (GPid pid)
{
  g_autofree char *stat_path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  const char *end;

  if (kill (pid, 0) != 0 && errno == ESRCH)
    return TRUE;
  if (!g_file_get_contents (stat_path, &stat, NULL, NULL))
    return TRUE;
  end = strrchr (stat, ')');
  return end != NULL && end[1] == ' ' && end[2] == 'Z';
}

/* ------------------------------------------------------------------------ */
/* The helper process                                                       */
/* ------------------------------------------------------------------------ */

/* `test-test-postgres --helper MODE`: starts the server (or uses
 * BK_TEST_POSTGRES_URL), prints the postmaster's pid and data directory
 * ("external": the host and a new database's connection string), then exits
 * normally or ("kill") dies by SIGKILL. */
static int
run_helper (const char *mode)
{
  BkTestPostgres *postgres = bk_test_postgres_get (NULL);
  g_autofree char *data_directory = NULL;

  if (postgres == NULL)
    return 1;

  if (g_str_equal (mode, "external"))
    {
      g_autofree char *conninfo = bk_test_postgres_create_database (postgres, NULL);

      printf ("%s\n%s\n", bk_test_postgres_get_host (postgres), conninfo);
      return 0;
    }

  printf ("%d\n", (int) query_postmaster_pid (bk_test_postgres_get_conninfo (postgres),
                                              &data_directory));
  printf ("%s\n", data_directory);
  fflush (stdout);
  if (g_str_equal (mode, "kill"))
    raise (SIGKILL);
  return 0;
}

/* Runs the helper in @mode to its end and gives the lines it printed. */
static GStrv
run_helper_process (const char *mode,
                    const char *url)
{
  g_autofree char *self = g_test_build_filename (G_TEST_BUILT, "test-test-postgres", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  if (url != NULL)
    g_subprocess_launcher_setenv (launcher, "BK_TEST_POSTGRES_URL", url, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "BK_TEST_POSTGRES_URL");
  process = g_subprocess_launcher_spawn (launcher, &error, self, "--helper", mode, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &output, NULL, &error);
  g_assert_no_error (error);

  if (g_str_equal (mode, "kill"))
    {
      g_assert_true (g_subprocess_get_if_signaled (process));
      g_assert_cmpint (g_subprocess_get_term_sig (process), ==, SIGKILL);
    }
  else
    g_assert_true (g_subprocess_get_successful (process));

  return g_strsplit (output, "\n", -1);
}

/* ------------------------------------------------------------------------ */
/* Tests                                                                    */
/* ------------------------------------------------------------------------ */

static void
test_test_postgres_start (void)
{
  g_autofree char *one = NULL;
  BkTestPostgres *postgres;
  const char *conninfo;
  gint64 start;

  start = g_get_monotonic_time ();
  postgres = test_postgres_server ();
  if (postgres == NULL)
    return;
  g_test_message ("PostgreSQL ready %.0f ms after the first bk_test_postgres_get()",
                  (g_get_monotonic_time () - start) / 1000.0);

  g_assert_true (is_server_directory (bk_test_postgres_get_host (postgres)));
  g_assert_cmpuint (strlen (bk_test_postgres_get_host (postgres)), <, 107 - 20);
  g_assert_cmpuint (bk_test_postgres_get_port (postgres), ==, 5432);
  g_assert_cmpstr (bk_test_postgres_get_user (postgres), ==, "postgres");

  conninfo = bk_test_postgres_get_conninfo (postgres);
  g_assert_true (is_server_directory (conninfo + strlen ("host=")));
  g_assert_true (g_str_has_suffix (conninfo, " port=5432 user=postgres dbname=postgres"));
  one = query (conninfo, "SELECT current_database () || ' ' || current_setting ('listen_addresses') || "
                         "' ' || current_setting ('fsync')");
  g_assert_cmpstr (one, ==, "postgres  off");
}

static void
test_test_postgres_reuse (void)
{
  BkTestPostgres *postgres = test_postgres_server ();
  gint64 start;
  GPid pid;

  if (postgres == NULL)
    return;
  pid = query_postmaster_pid (bk_test_postgres_get_conninfo (postgres), NULL);
  start = g_get_monotonic_time ();

  g_assert_true (test_postgres_server () == postgres);
  g_test_message ("Second bk_test_postgres_get(): %.3f ms",
                  (g_get_monotonic_time () - start) / 1000.0);
  g_assert_cmpint (query_postmaster_pid (bk_test_postgres_get_conninfo (postgres), NULL), ==, pid);
}

static void
test_test_postgres_databases (void)
{
  BkTestPostgres *postgres = test_postgres_server ();
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *first_name = NULL;
  g_autofree char *second_name = NULL;
  char *conninfos[2];
  gint64 start;

  if (postgres == NULL)
    return;
  start = g_get_monotonic_time ();
  first = bk_test_postgres_create_database (postgres, &error);
  g_assert_no_error (error);
  g_test_message ("bk_test_postgres_create_database(): %.1f ms",
                  (g_get_monotonic_time () - start) / 1000.0);
  second = bk_test_postgres_create_database (postgres, &error);
  g_assert_no_error (error);

  g_assert_true (is_server_directory (first + strlen ("host=")));
  g_assert_cmpstr (first, !=, second);
  first_name = query (first, "SELECT current_database ()");
  second_name = query (second, "SELECT current_database ()");
  g_assert_true (g_str_has_prefix (first_name, "bk_test_"));
  g_assert_cmpstr (first_name, !=, second_name);

  conninfos[0] = first;
  conninfos[1] = second;
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *none = query (conninfos[i], "SELECT count (*) FROM pg_tables WHERE schemaname = 'public'");
      g_autofree char *created = query (conninfos[i], "CREATE TABLE items (id int PRIMARY KEY, title text)");
      g_autofree char *inserted = query (conninfos[i], "INSERT INTO items VALUES (1, 'one'), (2, 'two')");
      g_autofree char *selected = query (conninfos[i], "SELECT string_agg (title, ',' ORDER BY id) FROM items");

      g_assert_cmpstr (none, ==, "0");
      g_assert_cmpstr (selected, ==, "one,two");
    }

  {
    g_autofree char *created = query (first, "CREATE TABLE only_in_first (x int)");
    g_autofree char *in_first = query (first, "SELECT to_regclass ('only_in_first') IS NOT NULL");
    g_autofree char *in_second = query (second, "SELECT to_regclass ('only_in_first') IS NOT NULL");

    g_assert_cmpstr (in_first, ==, "t");
    g_assert_cmpstr (in_second, ==, "f");
  }
}

static void
test_test_postgres_stopped_at_exit (void)
{
  g_auto(GStrv) lines = NULL;
  GPid pid;

  if (test_postgres_server () == NULL)
    return;
  lines = run_helper_process ("exit", NULL);

  g_assert_cmpuint (g_strv_length (lines), >=, 2);
  pid = (GPid) g_ascii_strtoll (lines[0], NULL, 10);
  g_assert_cmpint (pid, >, 0);
  g_assert_true (is_server_directory (lines[1]));

  /* atexit() waited for the server to stop */
  g_assert_true (process_is_gone (pid));
  g_assert_false (g_file_test (lines[1], G_FILE_TEST_EXISTS));
}

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_test_postgres_stopped_when_killed (void)
{
  g_auto(GStrv) lines = NULL;
  gboolean timed_out = FALSE;
  gboolean tick = FALSE;
  guint guard;
  GPid pid;

  if (test_postgres_server () == NULL)
    return;
  lines = run_helper_process ("kill", NULL);

  g_assert_cmpuint (g_strv_length (lines), >=, 2);
  pid = (GPid) g_ascii_strtoll (lines[0], NULL, 10);
  g_assert_cmpint (pid, >, 0);

  /* No atexit() ran: the watcher stops the server on its own. */
  guard = g_timeout_add_seconds (TEST_GUARD_SECONDS, set_flag, &timed_out);
  while (!timed_out && (!process_is_gone (pid) || g_file_test (lines[1], G_FILE_TEST_EXISTS)))
    {
      guint id = g_timeout_add (10, set_flag, &tick);

      while (!tick && !timed_out)
        g_main_context_iteration (NULL, TRUE);
      if (!tick)
        g_source_remove (id);
      tick = FALSE;
    }
  g_assert_false (timed_out);
  g_source_remove (guard);
}

static void
test_test_postgres_external (void)
{
  BkTestPostgres *postgres = test_postgres_server ();
  g_autofree char *url = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *expected_prefix = NULL;
  g_autofree char *dbname = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *count = NULL;

  if (postgres == NULL)
    return;
  url = g_strdup_printf ("postgresql://postgres@:5432/postgres?host=%s", bk_test_postgres_get_host (postgres));
  lines = run_helper_process ("external", url);

  /* the helper used our server instead of starting one */
  g_assert_cmpuint (g_strv_length (lines), >=, 2);
  g_assert_cmpstr (lines[0], ==, bk_test_postgres_get_host (postgres));
  expected_prefix = g_strdup_printf ("host=%s port=5432 user=postgres dbname=bk_test_",
                                     bk_test_postgres_get_host (postgres));
  g_assert_true (g_str_has_prefix (lines[1], expected_prefix));

  /* and dropped its database at exit */
  dbname = g_strdup (strstr (lines[1], "dbname=") + strlen ("dbname="));
  sql = g_strdup_printf ("SELECT count (*) FROM pg_database WHERE datname = '%s'", dbname);
  count = query (bk_test_postgres_get_conninfo (postgres), sql);
  g_assert_cmpstr (count, ==, "0");
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 3 && g_str_equal (argv[1], "--helper"))
    return run_helper (argv[2]);

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* These tests are about the private server; /test-postgres/external sets
   * the variable for its helper only. */
  g_unsetenv ("BK_TEST_POSTGRES_URL");

  g_test_add_func ("/test-postgres/start", test_test_postgres_start);
  g_test_add_func ("/test-postgres/reuse", test_test_postgres_reuse);
  g_test_add_func ("/test-postgres/databases", test_test_postgres_databases);
  g_test_add_func ("/test-postgres/stopped-at-exit", test_test_postgres_stopped_at_exit);
  g_test_add_func ("/test-postgres/stopped-when-killed", test_test_postgres_stopped_when_killed);
  g_test_add_func ("/test-postgres/external", test_test_postgres_external);

  return g_test_run ();
}
