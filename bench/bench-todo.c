/* bench-todo.c: the todo plugin (plugins/todo/) on SQLite and PostgreSQL
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two tables, in Markdown:
 *
 *  1. The cost of the plugin's first query: in-process, a BkTestBackend
 *     with the todo plugin is launched (its init connects and applies the
 *     migrations) and answers its first GET /api/todo/todos; median of
 *     --runs runs per engine, next to a backend whose plugin has no
 *     database. "new" is a database the plugin has never seen; "migrated"
 *     one it has already migrated (a restart).
 *  2. Throughput: the example backend (examples/example-backend, with a
 *     config written here) on SQLite files and on PostgreSQL, loaded by
 *     wrk: POST /api/todo/todos (a Lua script sets the method, body and
 *     content type), then GET /api/todo/todos?limit=20 over the rows the
 *     POSTs left (the list counts them all for `total`).
 *
 * PostgreSQL is the test kit's private server (BkTestPostgres, Debian's
 * binaries on a Unix socket); without the binaries its rows are skipped.
 *
 *   bench-todo --example=PATH [--runs=N] [--duration=S] [--threads=N]
 *              [--connections=N] [--wrk=PATH]
 */

#include <stdlib.h>

#include <glib/gstdio.h>

#include <libbackend.h>
#include <libbackend-test-utils.h>

#include "bench-util.h"
#include "todo-plugin.h"

/* ------------------------------------------------------------------------ *
 * 1. The first query, in-process
 * ------------------------------------------------------------------------ */

static void
hello (BkHttpRequest *request,
       gpointer       user_data)
{
  g_autoptr(JsonNode) node = json_from_string ("{\"items\":[],\"total\":0}", NULL);

  bk_http_request_respond_json (request, 200, node);
}

static gboolean
baseline_init (BkDeps    *deps,
               gpointer   user_data,
               GError   **error)
{
  bk_http_router_add_route (bk_deps_get (deps, BK_SERVICE_HTTP_ROUTER), "GET", "/todos", hello, NULL, NULL);
  return TRUE;
}

static void
baseline_register (BkPluginEnv *env,
                   gpointer     user_data)
{
  bk_plugin_env_register_init (env, baseline_init, NULL, NULL, BK_SERVICE_HTTP_ROUTER, NULL);
}

/* Launches a backend with @plugin and `backend.database: {@members}`,
 * asks GET /api/todo/todos once; returns the milliseconds both took. */
static double
first_query_ms (const char *members,
                BkPlugin   *plugin)
{
  g_autoptr(BkTestBackend) backend = bk_test_backend_new ();
  g_autoptr(BkTestResponse) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = g_strdup_printf ("{\"backend\":{\"database\":{%s}}}", members);
  gint64 start, end;

  bk_test_backend_add (backend, bk_mock_root_config_factory_new (json));
  bk_test_backend_add (backend, plugin);
  start = g_get_monotonic_time ();
  if (!bk_test_backend_launch (backend, &error))
    bench_die ("cannot launch a backend with %s: %s", members, error->message);
  res = bk_test_backend_request (backend, "GET", "/api/todo/todos", NULL, &error);
  end = g_get_monotonic_time ();
  if (res == NULL || bk_test_response_get_status (res) != 200)
    bench_die ("GET /api/todo/todos on %s: %s", members,
         res != NULL ? bk_test_response_get_body_text (res) : error->message);
  if (!bk_test_backend_stop (backend, &error))
    bench_die ("cannot stop the backend: %s", error->message);
  return (end - start) / 1000.0;
}

typedef enum
{
  FRESH_NONE,          /* the same members every run */
  FRESH_SQLITE_DIR,    /* a new directory every run */
  FRESH_PG_DATABASE,   /* a new PostgreSQL database every run */
} Fresh;

static char *
sqlite_dir_members (const char *directory)
{
  g_autofree char *quoted = g_strescape (directory, NULL);

  return g_strdup_printf ("\"client\":\"better-sqlite3\",\"connection\":{\"directory\":\"%s\"}", quoted);
}

static char *
pg_members (const char *conninfo)
{
  g_autofree char *quoted = g_strescape (conninfo, NULL);

  return g_strdup_printf ("\"client\":\"pg\",\"pluginDivisionMode\":\"schema\",\"connection\":\"%s\"", quoted);
}

static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);

      g_unlink (file);
    }
  g_rmdir (path);
}

static void
first_query_row (const char     *label,
                 const char     *members,
                 Fresh           fresh,
                 gboolean        baseline,
                 BkTestPostgres *postgres,
                 guint           runs)
{
  g_autofree double *ms = g_new0 (double, runs);

  /* One run to warm the caches (and, for "migrated", to migrate). */
  if (fresh == FRESH_NONE)
    first_query_ms (members, baseline ? bk_plugin_new ("todo", baseline_register, NULL, NULL) : todo_plugin_new ());

  for (guint i = 0; i < runs; i++)
    {
      g_autofree char *dir = NULL;
      g_autofree char *run_members = NULL;
      g_autoptr(GError) error = NULL;

      if (fresh == FRESH_SQLITE_DIR)
        {
          dir = g_dir_make_tmp ("bench-todo-XXXXXX", &error);
          if (dir == NULL)
            bench_die ("%s", error->message);
          run_members = sqlite_dir_members (dir);
        }
      else if (fresh == FRESH_PG_DATABASE)
        {
          g_autofree char *conninfo = bk_test_postgres_create_database (postgres, &error);

          if (conninfo == NULL)
            bench_die ("%s", error->message);
          run_members = pg_members (conninfo);
        }
      ms[i] = first_query_ms (run_members != NULL ? run_members : members,
                              baseline ? bk_plugin_new ("todo", baseline_register, NULL, NULL) : todo_plugin_new ());
      if (dir != NULL)
        remove_dir (dir);
    }
  g_print ("| %s | %.2f |\n", label, bench_median (ms, runs));
}

/* ------------------------------------------------------------------------ *
 * 2. Throughput of the example backend, under wrk
 * ------------------------------------------------------------------------ */

typedef struct
{
  BenchWrk    wrk;
  const char *example;
  char       *scratch;      /* a temporary directory for configs and scripts */
  int         duration;
} Load;

static const char wrk_post[] =
  "wrk.method = 'POST'\n"
  "wrk.body = '{\"title\":\"Buy milk\"}'\n"
  "wrk.headers['Content-Type'] = 'application/json'\n";

/* Runs wrk on @path with @script; prints a table row. */
static void
load_row (Load       *l,
          const char *engine,
          const char *operation,
          guint       port,
          const char *path,
          const char *script)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  g_autofree char *label = g_strdup_printf ("%s on %s", operation, engine);
  BenchWrkResult result;

  bench_wrk_run (&l->wrk, label, url, l->duration, script, &result);
  g_print ("| %s | %s | %.0f | %.2f | %.2f |\n", engine, operation,
           result.requests / (result.duration_us / 1e6), result.p50_us / 1000.0, result.p99_us / 1000.0);
}

/* Starts the example backend with `backend.database` set to @database (YAML
 * lines, indented by four), loads it, stops it. */
static void
throughput_rows (Load       *l,
                 const char *engine,
                 const char *database)
{
  guint port = bench_free_port ();
  g_autofree char *config_text = g_strdup_printf ("example:\n  greeting: Hello\n  owners:\n    todo: bench\n"
                                                  "backend:\n  listen:\n    host: 127.0.0.1\n    port: %u\n"
                                                  "  logger:\n    level: warn\n  database:\n%s",
                                                  port, database);
  g_autofree char *config = bench_write_file (l->scratch, "app-config.yaml", config_text);
  g_autofree char *post = g_strconcat (wrk_post, bench_wrk_done, NULL);
  g_autofree char *post_script = bench_write_file (l->scratch, "post.lua", post);
  g_autofree char *get_script = bench_write_file (l->scratch, "get.lua", bench_wrk_done);
  g_autofree char *label = g_strdup_printf ("the example backend on %s", engine);
  const char *argv[] = { l->example, "--config", config, NULL };
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GError) error = NULL;

  server = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  if (server == NULL)
    bench_die ("cannot start %s: %s", l->example, error->message);
  bench_wait_for_200 (server, label, port, "/api/todo/todos");

  load_row (l, engine, "create (POST)", port, "/api/todo/todos", post_script);
  load_row (l, engine, "list 20 (GET)", port, "/api/todo/todos?limit=20", get_script);

  bench_stop (server, label);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *example = NULL;
  g_autofree char *wrk = NULL;
  int runs = 10, duration = 5, threads = 2, connections = 16;
  GOptionEntry entries[] = {
    { "example", 0, 0, G_OPTION_ARG_FILENAME, &example, "the example backend", "PATH" },
    { "wrk", 0, 0, G_OPTION_ARG_FILENAME, &wrk, "wrk (default: on PATH)", "PATH" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "runs per first-query row (default 10)", "N" },
    { "duration", 0, 0, G_OPTION_ARG_INT, &duration, "seconds of wrk per row (default 5)", "S" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "wrk threads (default 2)", "N" },
    { "connections", 0, 0, G_OPTION_ARG_INT, &connections, "wrk connections (default 16)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- the todo plugin on SQLite and PostgreSQL");
  g_autoptr(GError) error = NULL;
  BkTestPostgres *postgres;
  g_autofree char *pg_conninfo = NULL;
  g_autofree char *pg_migrated = NULL;
  g_autofree char *sqlite_dir = NULL;
  g_autofree char *sqlite_migrated = NULL;
  Load l = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    bench_die ("%s", error->message);
  if (example == NULL || runs < 1 || duration < 1)
    bench_die ("usage: bench-todo --example=PATH [--runs=N] [--duration=S]");
  if (wrk == NULL)
    wrk = g_find_program_in_path ("wrk");
  if (wrk == NULL)
    bench_die ("wrk is not installed (apt-get install wrk)");

  postgres = bk_test_postgres_get (&error);
  if (postgres == NULL)
    {
      g_printerr ("bench-todo: no PostgreSQL, its rows are skipped: %s\n", error->message);
      g_clear_error (&error);
    }

  /* 1. */
  sqlite_dir = g_dir_make_tmp ("bench-todo-XXXXXX", &error);
  if (sqlite_dir == NULL)
    bench_die ("%s", error->message);
  sqlite_migrated = sqlite_dir_members (sqlite_dir);
  g_print ("Cost of the todo plugin's first query: a backend launched (connect, migrate) and its first "
           "GET /api/todo/todos answered; median of %d runs, in-process (BkTestBackend)\n\n", runs);
  g_print ("| Database | launch + first answer (ms) |\n|---|---|\n");
  first_query_row ("none (a plugin with the same route, no database)", "", FRESH_NONE, TRUE, NULL, runs);
  first_query_row ("SQLite in memory (migrates every time)", "", FRESH_NONE, FALSE, NULL, runs);
  first_query_row ("SQLite file, new", NULL, FRESH_SQLITE_DIR, FALSE, NULL, runs);
  first_query_row ("SQLite file, migrated", sqlite_migrated, FRESH_NONE, FALSE, NULL, runs);
  if (postgres != NULL)
    {
      pg_conninfo = bk_test_postgres_create_database (postgres, &error);
      if (pg_conninfo == NULL)
        bench_die ("%s", error->message);
      pg_migrated = pg_members (pg_conninfo);
      first_query_row ("PostgreSQL (Unix socket), new database", NULL, FRESH_PG_DATABASE, FALSE, postgres, runs);
      first_query_row ("PostgreSQL (Unix socket), migrated", pg_migrated, FRESH_NONE, FALSE, postgres, runs);
    }
  remove_dir (sqlite_dir);

  /* 2. */
  l.wrk = (BenchWrk) { wrk, threads, connections, NULL, NULL };
  l.example = example;
  l.duration = duration;
  l.scratch = g_dir_make_tmp ("bench-todo-XXXXXX", &error);
  if (l.scratch == NULL)
    bench_die ("%s", error->message);
  g_print ("\nThroughput of the example backend's todo API under wrk (%d threads, %d connections, %d s per row)\n\n",
           threads, connections, duration);
  g_print ("| Database | Request | req/s | p50 (ms) | p99 (ms) |\n|---|---|---|---|---|\n");
  {
    g_autofree char *data = g_build_filename (l.scratch, "data", NULL);
    g_autofree char *yaml = g_strdup_printf ("    client: better-sqlite3\n    connection:\n      directory: %s\n", data);

    throughput_rows (&l, "SQLite file (WAL)", yaml);
    remove_dir (data);
  }
  if (postgres != NULL)
    {
      g_autofree char *conninfo = bk_test_postgres_create_database (postgres, &error);
      g_autofree char *yaml = NULL;

      if (conninfo == NULL)
        bench_die ("%s", error->message);
      yaml = g_strdup_printf ("    client: pg\n    pluginDivisionMode: schema\n    connection: '%s'\n", conninfo);
      throughput_rows (&l, "PostgreSQL (Unix socket)", yaml);
    }
  remove_dir (l.scratch);
  g_free (l.scratch);
  return EXIT_SUCCESS;
}
