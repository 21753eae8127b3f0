/* bench-http.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The HTTP benchmark: what the framework costs per request and at startup,
 * against a bare SoupServer, on loopback, in one run.
 *
 * Throughput. Three servers, each its own process, answer the same route,
 * `GET /api/bench/hello` → 200 `{"hello":"world"}`
 * (`application/json; charset=utf-8`):
 *
 *   a. bench-http-bare: a SoupServer with one handler, the body a static
 *      string;
 *   b. this program with --serve: bk_backend_new () (every default service)
 *      and a plugin `bench` whose route `GET /hello` answers with
 *      bk_http_request_respond_json (), through the whole default chain
 *      (root router: request id, security headers, access log; plugin
 *      router: matching, startup gate);
 *   c. the same as b with `backend.logger.level: warn`, which turns the
 *      access log line off: what that line costs.
 *
 * wrk loads them in turn, a, b, c, a, b, c, … (--rounds rounds of
 * --duration seconds, after a one-second warm-up of each), so every server
 * sees the same machine. On two or more CPUs the servers run on CPU 0 and
 * wrk on the others (--no-pin to let the scheduler place them). A Lua
 * `done` hook prints wrk's count and latency percentiles as JSON, parsed
 * here. Each round also reads the server's CPU time (all its threads,
 * /proc/<pid>/task/<tid>/schedstat) before and after, for the CPU time per
 * request: the number least disturbed by other work on the machine.
 * Before loading, each server is asked once and must answer exactly that
 * body and content type; a run with any socket error or non-2xx answer
 * fails the benchmark. Server memory is read from /proc/<pid>/status after
 * the last round (VmHWM: the peak).
 *
 * Startup. Spawn-to-first-200 on /.backstage/health/v1/liveness (the bare
 * server answers that path too) of the bare server, the example backend
 * (examples/example-backend with examples/app-config.yaml) and the bench
 * backend, interleaved, --startup-runs times each; for the backends also
 * the first 200 on readiness (every plugin started), and VmRSS just after.
 * The probe connects in a loop with 100 µs pauses, so the times are good
 * to about 0.1 ms.
 *
 * Usage: bench-http --bare=PATH [--example=PATH --example-config=PATH]
 *                   [--rounds=3] [--duration=5] [--threads=2]
 *                   [--connections=32] [--startup-runs=15] [--no-pin]
 *        bench-http --serve --config FILE   (server b/c; used internally)
 */

#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include <libbackend.h>

#include "bench-util.h"

#define HELLO_PATH "/api/bench/hello"
#define HELLO_BODY "{\"hello\":\"world\"}"
#define JSON_TYPE "application/json; charset=utf-8"
#define LIVENESS_PATH "/.backstage/health/v1/liveness"
#define READINESS_PATH "/.backstage/health/v1/readiness"
#define MAX_ROUNDS 50

/* ------------------------------------------------------------------------ *
 * --serve: the libbackend server
 * ------------------------------------------------------------------------ */

static void
bench_hello (BkHttpRequest *request,
             gpointer       user_data)
{
  bk_http_request_respond_json (request, 200, user_data);
}

static gboolean
bench_init (BkDeps    *deps,
            gpointer   user_data,
            GError   **error)
{
  BkHttpRouter *router = bk_deps_get (deps, BK_SERVICE_HTTP_ROUTER);
  JsonNode *hello = json_from_string (HELLO_BODY, error);

  if (hello == NULL)
    return FALSE;
  bk_http_router_add_route (router, "GET", "/hello", bench_hello, hello, (GDestroyNotify) json_node_unref);
  return TRUE;
}

static void
bench_register (BkPluginEnv *env,
                gpointer     user_data)
{
  bk_plugin_env_register_init (env, bench_init, NULL, NULL, BK_SERVICE_HTTP_ROUTER, NULL);
}

static int
serve (int    argc,
       char **argv)
{
  g_autoptr(BkBackend) backend = bk_backend_new ();

  bk_backend_add (backend, bk_plugin_new ("bench", bench_register, NULL, NULL));
  return bk_backend_run (backend, argc, argv);
}

/* ------------------------------------------------------------------------ *
 * Processes, ports, probes
 * ------------------------------------------------------------------------ */

/* With --pin (the default on two or more CPUs) the servers run on CPU 0
 * and wrk on the others, so a server never waits for wrk's threads. */
static gboolean pin = TRUE;

static void
pin_to (gpointer user_data)
{
  guint first = GPOINTER_TO_UINT (user_data) >> 16;
  guint last = GPOINTER_TO_UINT (user_data) & 0xffff;
  cpu_set_t set;

  CPU_ZERO (&set);
  for (guint cpu = first; cpu <= last; cpu++)
    CPU_SET (cpu, &set);
  sched_setaffinity (0, sizeof set, &set); /* async-signal-safe; best effort */
}

#define CPUS(first, last) GUINT_TO_POINTER (((first) << 16) | (last))

static GSubprocess *
spawn (const char * const *argv,
       const char         *port_env)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  if (pin)
    g_subprocess_launcher_set_child_setup (launcher, pin_to, CPUS (0, 0), NULL);
  if (port_env != NULL)
    g_subprocess_launcher_setenv (launcher, "APP_CONFIG_backend_listen_port", port_env, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "LOG_LEVEL");
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (process == NULL)
    bench_die ("cannot start %s: %s", argv[0], error->message);
  return process;
}

/* VmRSS or VmHWM of @process, in kB. */
static guint64
read_memory (GSubprocess *process,
             const char  *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", g_subprocess_get_identifier (process));
  g_autofree char *status = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &status, NULL, NULL))
    bench_die ("cannot read %s", path);
  lines = g_strsplit (status, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], field) && lines[i][strlen (field)] == ':')
      return g_ascii_strtoull (lines[i] + strlen (field) + 1, NULL, 10);
  bench_die ("no %s in %s", field, path);
}

/* CPU time @process has used so far, all its threads, in nanoseconds
 * (/proc/<pid>/task/<tid>/schedstat: the first field). */
static guint64
read_cpu_ns (GSubprocess *process)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/task", g_subprocess_get_identifier (process));
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *tid;
  guint64 total = 0;

  if (dir == NULL)
    bench_die ("cannot read %s", path);
  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *stat_path = g_build_filename (path, tid, "schedstat", NULL);
      g_autofree char *stat = NULL;

      if (g_file_get_contents (stat_path, &stat, NULL, NULL)) /* a thread may be gone */
        total += g_ascii_strtoull (stat, NULL, 10);
    }
  return total;
}

/* ------------------------------------------------------------------------ *
 * Statistics
 * ------------------------------------------------------------------------ */

static double
minimum (const double *values,
         guint         n)
{
  double m = values[0];

  for (guint i = 1; i < n; i++)
    m = MIN (m, values[i]);
  return m;
}

static double
maximum (const double *values,
         guint         n)
{
  double m = values[0];

  for (guint i = 1; i < n; i++)
    m = MAX (m, values[i]);
  return m;
}

/* ------------------------------------------------------------------------ *
 * Throughput
 * ------------------------------------------------------------------------ */

typedef struct
{
  const char  *label;
  GStrv        argv;
  gboolean     port_in_env;  /* the port goes in APP_CONFIG_backend_listen_port */
  GSubprocess *process;
  guint        port;
  double       rps[MAX_ROUNDS];
  double       p50_ms[MAX_ROUNDS];
  double       p99_ms[MAX_ROUNDS];
  double       cpu_us[MAX_ROUNDS];  /* server CPU time per request */
  guint64      rss_kb;
  guint64      hwm_kb;
} Server;

typedef struct
{
  BenchWrk    wrk;
  const char *script;   /* bench_wrk_done */
} Load;

static void
server_start (Server     *server,
              const char *config)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *port_text = NULL;
  g_autofree char *response = NULL;

  server->port = bench_free_port ();
  port_text = g_strdup_printf ("%u", server->port);
  g_strv_builder_addv (builder, (const char **) server->argv);
  if (server->port_in_env)
    g_strv_builder_add_many (builder, "--config", config, NULL);
  else
    g_strv_builder_add (builder, port_text);
  g_strfreev (server->argv);
  server->argv = g_strv_builder_end (builder);
  server->process = spawn ((const char * const *) server->argv, server->port_in_env ? port_text : NULL);
  /* A backend routes to its plugin once it is ready. */
  bench_wait_for_200 (server->process, server->label, server->port,
                      server->port_in_env ? READINESS_PATH : LIVENESS_PATH);

  /* The route must answer exactly what the baseline answers. */
  response = bench_http_get (server->port, HELLO_PATH);
  if (response == NULL || !g_str_has_prefix (response, "HTTP/1.1 200 ") ||
      strstr (response, "\r\nContent-Type: " JSON_TYPE "\r\n") == NULL ||
      !g_str_has_suffix (response, "\r\n\r\n" HELLO_BODY))
    bench_die ("%s answered %s with:\n%s", server->label, HELLO_PATH, response != NULL ? response : "(nothing)");
}

/* Runs wrk against @server for @seconds; fills round @round unless < 0. */
static void
load (const Load *l,
      Server     *server,
      int         seconds,
      int         round)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u" HELLO_PATH, server->port);
  guint64 cpu_before = read_cpu_ns (server->process);
  BenchWrkResult result;

  bench_wrk_run (&l->wrk, server->label, url, seconds, l->script, &result);
  if (g_subprocess_get_identifier (server->process) == NULL)
    bench_die ("%s exited under load", server->label);
  if (round < 0)
    return;

  server->cpu_us[round] = (read_cpu_ns (server->process) - cpu_before) / 1000.0 / result.requests;
  server->rps[round] = result.requests / (result.duration_us / 1e6);
  server->p50_ms[round] = result.p50_us / 1000.0;
  server->p99_ms[round] = result.p99_us / 1000.0;
}

/* ------------------------------------------------------------------------ *
 * Startup
 * ------------------------------------------------------------------------ */

typedef struct
{
  const char *label;
  GStrv       argv;          /* the port is appended, or goes in the environment */
  gboolean    port_in_env;
  gboolean    has_readiness;
  double      live_ms[MAX_ROUNDS * 4];
  double      ready_ms[MAX_ROUNDS * 4];
  double      rss_mb[MAX_ROUNDS * 4];
} Starter;

static void
start_once (Starter *s,
            guint    run)
{
  g_autofree char *port_text = g_strdup_printf ("%u", bench_free_port ());
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autoptr(GSubprocess) process = NULL;
  gint64 t0, live, ready;

  g_strv_builder_addv (builder, (const char **) s->argv);
  if (!s->port_in_env)
    g_strv_builder_add (builder, port_text);
  argv = g_strv_builder_end (builder);

  t0 = g_get_monotonic_time ();
  process = spawn ((const char * const *) argv, s->port_in_env ? port_text : NULL);
  live = bench_wait_for_200 (process, s->label, (guint) atoi (port_text), LIVENESS_PATH);
  ready = s->has_readiness ? bench_wait_for_200 (process, s->label, (guint) atoi (port_text), READINESS_PATH) : live;
  s->live_ms[run] = (live - t0) / 1000.0;
  s->ready_ms[run] = (ready - t0) / 1000.0;
  s->rss_mb[run] = read_memory (process, "VmRSS") / 1024.0;
  bench_stop (process, s->label);
}

/* ------------------------------------------------------------------------ *
 * main
 * ------------------------------------------------------------------------ */

static const char *
verdict (gboolean met)
{
  return met ? "met" : "**missed**";
}

/* A NULL-terminated list of copies of the arguments, which end with NULL. */
static GStrv
strv_new (const char *first,
          ...)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  va_list args;

  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_strv_builder_add (builder, arg);
  va_end (args);
  return g_strv_builder_end (builder);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *bare = NULL;
  g_autofree char *example = NULL;
  g_autofree char *example_config = NULL;
  g_autofree char *wrk = NULL;
  g_autofree char *self = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *script = NULL;
  g_autofree char *config_info = NULL;
  g_autofree char *config_warn = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *date = g_date_time_format (now, "%Y-%m-%d");
  int rounds = 3, duration = 5, threads = 2, connections = 32, startup_runs = 15;
  const GOptionEntry entries[] = {
    { "bare", 0, 0, G_OPTION_ARG_FILENAME, &bare, "The bare SoupServer program (bench-http-bare)", "PATH" },
    { "example", 0, 0, G_OPTION_ARG_FILENAME, &example, "The example backend, for the startup table", "PATH" },
    { "example-config", 0, 0, G_OPTION_ARG_FILENAME, &example_config, "Its app-config.yaml", "PATH" },
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &rounds, "Timed wrk runs per server (3)", "N" },
    { "duration", 'd', 0, G_OPTION_ARG_INT, &duration, "Seconds per wrk run (5)", "S" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "wrk threads (2)", "N" },
    { "connections", 'c', 0, G_OPTION_ARG_INT, &connections, "wrk connections (32)", "N" },
    { "startup-runs", 's', 0, G_OPTION_ARG_INT, &startup_runs, "Starts per program (15)", "N" },
    { "no-pin", 0, G_OPTION_FLAG_REVERSE, G_OPTION_ARG_NONE, &pin,
      "Do not run the servers on CPU 0 and wrk on the others", NULL },
    { NULL }
  };
#ifdef __OPTIMIZE__
  const char *build_note = "";
#else
  const char *build_note = " (warning: not an optimized build)";
#endif
  Server servers[3] = {
    { "a. bare SoupServer" },
    { "b. libbackend, plugin route" },
    { "c. b without the access log" },
  };
  Starter starters[3] = {
    { "bare SoupServer" },
    { "example backend" },
    { "bench backend (b)" },
  };
  guint n_starters = 1;
  Load l;

  if (argc >= 2 && strcmp (argv[1], "--serve") == 0)
    {
      argv[1] = argv[0];
      return serve (argc - 1, argv + 1);
    }

  context = g_option_context_new ("- requests per second and startup, libbackend vs. a bare SoupServer");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    bench_die ("%s", error->message);
  if (bare == NULL)
    bench_die ("--bare is required (the path of bench-http-bare)");
  if ((example == NULL) != (example_config == NULL))
    bench_die ("--example and --example-config go together");
  if (rounds < 1 || rounds > MAX_ROUNDS || duration < 1 || threads < 1 || connections < threads ||
      startup_runs < 1 || startup_runs > MAX_ROUNDS * 4)
    bench_die ("a count is out of range (rounds 1-%d, startup runs 1-%d, connections >= threads)",
         MAX_ROUNDS, MAX_ROUNDS * 4);
  pin = pin && g_get_num_processors () >= 2;
  wrk = g_find_program_in_path ("wrk");
  if (wrk == NULL)
    bench_die ("wrk is not installed (Debian package wrk; bench/run-bench.sh installs it)");
  self = g_file_read_link ("/proc/self/exe", &error);
  if (self == NULL)
    bench_die ("%s", error->message);

  tmp = g_dir_make_tmp ("bench-http-XXXXXX", &error);
  if (tmp == NULL)
    bench_die ("%s", error->message);
  script = bench_write_file (tmp, "report.lua", bench_wrk_done);
  config_info = bench_write_file (tmp, "info.yaml",
                            "backend:\n  listen:\n    host: 127.0.0.1\n  logger:\n    level: info\n");
  config_warn = bench_write_file (tmp, "warn.yaml",
                            "backend:\n  listen:\n    host: 127.0.0.1\n  logger:\n    level: warn\n");

  servers[0].argv = strv_new (bare, NULL);
  servers[1].argv = strv_new (self, "--serve", NULL);
  servers[1].port_in_env = TRUE;
  servers[2].argv = strv_new (self, "--serve", NULL);
  servers[2].port_in_env = TRUE;
  l.wrk = (BenchWrk) { wrk, threads, connections, pin ? pin_to : NULL, CPUS (1, g_get_num_processors () - 1) };
  l.script = script;

  /* Startup first, on a quiet machine. */
  starters[0].argv = strv_new (bare, NULL);
  if (example != NULL)
    {
      starters[n_starters].argv = strv_new (example, "--config", example_config, NULL);
      starters[n_starters].port_in_env = TRUE;
      starters[n_starters++].has_readiness = TRUE;
    }
  starters[n_starters].label = "bench backend (b)";
  starters[n_starters].argv = strv_new (self, "--serve", "--config", config_info, NULL);
  starters[n_starters].port_in_env = TRUE;
  starters[n_starters++].has_readiness = TRUE;

  g_printerr ("bench-http: startup, %d runs per program\n", startup_runs);
  for (guint i = 0; i < n_starters; i++)
    start_once (&starters[i], 0); /* warm-up: page cache, dynamic loader */
  for (int run = 0; run < startup_runs; run++)
    for (guint i = 0; i < n_starters; i++)
      start_once (&starters[i], (guint) run);

  g_printerr ("bench-http: throughput, %d x %d s per server, alternating (about %d s)\n",
              rounds, duration, (int) G_N_ELEMENTS (servers) * (rounds * duration + 1) + 2);
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    {
      server_start (&servers[i], i == 2 ? config_warn : config_info);
      load (&l, &servers[i], 1, -1); /* warm-up */
    }
  for (int round = 0; round < rounds; round++)
    for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
      load (&l, &servers[i], duration, round);
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    {
      servers[i].rss_kb = read_memory (servers[i].process, "VmRSS");
      servers[i].hwm_kb = read_memory (servers[i].process, "VmHWM");
      bench_stop (servers[i].process, servers[i].label);
    }

  /* The tables. */
  printf ("HTTP, %u CPU(s), GLib %u.%u.%u, libsoup %u.%u.%u, libbackend %s, %s%s\n\n",
          g_get_num_processors (), glib_major_version, glib_minor_version, glib_micro_version,
          soup_get_major_version (), soup_get_minor_version (), soup_get_micro_version (),
          BK_VERSION_S, date, build_note);
  printf ("Throughput: `GET " HELLO_PATH "` → `" HELLO_BODY "`, wrk %d threads, %d connections, "
          "%d × %d s per server, alternating; %s; medians over the rounds\n\n",
          threads, connections, rounds, duration,
          pin ? "servers on CPU 0, wrk on the others" : "not pinned");
  printf ("| server | req/s | req/s min–max | p50 ms | p99 ms | server CPU µs/req | RSS MB (peak) "
          "| req/s vs a | p99 vs a | CPU/req vs a |\n");
  printf ("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    {
      Server *s = &servers[i];
      double rps = bench_median (s->rps, rounds);
      double p99 = bench_median (s->p99_ms, rounds);

      printf ("| %s | %.0f | %.0f–%.0f | %.3f | %.3f | %.1f | %.1f (%.1f) | %.2f | %.2f | %.2f |\n",
              s->label, rps, minimum (s->rps, rounds), maximum (s->rps, rounds),
              bench_median (s->p50_ms, rounds), p99, bench_median (s->cpu_us, rounds),
              s->rss_kb / 1024.0, s->hwm_kb / 1024.0,
              rps / bench_median (servers[0].rps, rounds), p99 / bench_median (servers[0].p99_ms, rounds),
              bench_median (s->cpu_us, rounds) / bench_median (servers[0].cpu_us, rounds));
    }

  printf ("\nStartup: spawn → first 200, %d runs per program, interleaved; medians\n\n", startup_runs);
  printf ("| program | liveness ms | min ms | readiness ms | RSS after start MB | liveness vs bare |\n");
  printf ("|---|--:|--:|--:|--:|--:|\n");
  for (guint i = 0; i < n_starters; i++)
    {
      Starter *s = &starters[i];
      g_autofree char *ready = s->has_readiness
                               ? g_strdup_printf ("%.2f", bench_median (s->ready_ms, startup_runs))
                               : g_strdup ("–");

      printf ("| %s | %.2f | %.2f | %s | %.1f | %.2f |\n",
              s->label, bench_median (s->live_ms, startup_runs), minimum (s->live_ms, startup_runs), ready,
              bench_median (s->rss_mb, startup_runs),
              bench_median (s->live_ms, startup_runs) / bench_median (starters[0].live_ms, startup_runs));
    }

  {
    double ratio = bench_median (servers[1].rps, rounds) / bench_median (servers[0].rps, rounds);
    double p99 = bench_median (servers[1].p99_ms, rounds) / bench_median (servers[0].p99_ms, rounds);
    Starter *ex = &starters[example != NULL ? 1 : n_starters - 1];
    double start = bench_median (ex->live_ms, startup_runs) / bench_median (starters[0].live_ms, startup_runs);
    double rss = bench_median (ex->rss_mb, startup_runs);

    printf ("\n| target | measured | |\n|---|--:|---|\n");
    printf ("| b/a throughput ≥ 0.9 | %.2f | %s |\n", ratio, verdict (ratio >= 0.9));
    printf ("| b/a p99 ≤ 1.2 | %.2f | %s |\n", p99, verdict (p99 <= 1.2));
    printf ("| %s ready (liveness) ≤ 1.5 × bare | %.2f × | %s |\n", ex->label, start, verdict (start <= 1.5));
    printf ("| %s RSS after start < 10 MB | %.1f MB | %s |\n", ex->label, rss, verdict (rss < 10));
  }

  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    {
      g_clear_object (&servers[i].process);
      g_strfreev (servers[i].argv);
    }
  for (guint i = 0; i < n_starters; i++)
    g_strfreev (starters[i].argv);
  g_unlink (script);
  g_unlink (config_info);
  g_unlink (config_warn);
  g_rmdir (tmp);

  return EXIT_SUCCESS;
}
