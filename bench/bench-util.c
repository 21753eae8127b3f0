/* bench-util.c: what the benchmarks that drive servers share (not
 * installed).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gprintf.h>
#include <json-glib/json-glib.h>

#include "bench-util.h"

/* Prints `<program>: <message>` and exits with a failure. */
void
bench_die (const char *format,
           ...)
{
  va_list args;

  va_start (args, format);
  g_printerr ("%s: ", g_get_prgname () != NULL ? g_get_prgname () : "bench");
  g_vfprintf (stderr, format, args);
  g_printerr ("\n");
  va_end (args);
  exit (EXIT_FAILURE);
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The median of the @n (> 0) @values, which are left as they are. */
double
bench_median (const double *values,
              guint         n)
{
  g_autofree double *sorted = g_memdup2 (values, n * sizeof *values);

  g_assert (n > 0);
  qsort (sorted, n, sizeof *sorted, compare_double);
  return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/* Writes @contents to @dir/@name; gives its path. */
char *
bench_write_file (const char *dir,
                  const char *name,
                  const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  if (!g_file_set_contents (path, contents, -1, &error))
    bench_die ("%s", error->message);
  return path;
}

/* Servers ----------------------------------------------------------------- */

/* A port that was free a moment ago (the server binds it right after). */
guint
bench_free_port (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) bound = NULL;

  if (socket == NULL || !g_socket_bind (socket, any, FALSE, &error) ||
      (bound = g_socket_get_local_address (socket, &error)) == NULL)
    bench_die ("no free port: %s", error->message);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* One HTTP/1.1 GET with `Connection: close` over a plain socket. Returns
 * the whole response, or NULL if nothing listens there yet. */
char *
bench_http_get (guint       port,
                const char *path)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", port);
  g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                              "Connection: close\r\n\r\n", path, port);
  g_autoptr(GString) response = g_string_new (NULL);
  char buffer[4096];
  gssize n;

  if (socket == NULL || !g_socket_connect (socket, address, NULL, NULL))
    return NULL;
  if (g_socket_send (socket, request, strlen (request), NULL, NULL) != (gssize) strlen (request))
    return NULL;
  while ((n = g_socket_receive (socket, buffer, sizeof buffer, NULL, NULL)) > 0)
    g_string_append_len (response, buffer, n);
  return n < 0 ? NULL : g_string_free (g_steal_pointer (&response), FALSE);
}

/* Asks @path until it answers 200; returns the monotonic time it did. */
gint64
bench_wait_for_200 (GSubprocess *process,
                    const char  *label,
                    guint        port,
                    const char  *path)
{
  gint64 deadline = g_get_monotonic_time () + BENCH_READY_TIMEOUT_US;

  for (;;)
    {
      g_autofree char *response = bench_http_get (port, path);

      if (response != NULL && g_str_has_prefix (response, "HTTP/1.1 200 "))
        return g_get_monotonic_time ();
      if (g_subprocess_get_identifier (process) == NULL)
        bench_die ("%s exited before %s answered 200", label, path);
      if (g_get_monotonic_time () > deadline)
        bench_die ("%s: %s did not answer 200 within %d s; last answer: %s", label, path,
                   (int) (BENCH_READY_TIMEOUT_US / G_USEC_PER_SEC), response != NULL ? response : "(none)");
      g_usleep (100);
    }
}

/* Sends SIGTERM to @process and waits for a clean exit. */
void
bench_stop (GSubprocess *process,
            const char  *label)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (process, SIGTERM);
  if (!g_subprocess_wait_check (process, NULL, &error))
    bench_die ("%s did not stop cleanly: %s", label, error->message);
}

/* wrk --------------------------------------------------------------------- */

const char bench_wrk_done[] =
  "-- Prints wrk's totals as one JSON line (bench_wrk_run () parses it).\n"
  "done = function (summary, latency, requests)\n"
  "  local e = summary.errors\n"
  "  io.write (string.format ('BENCH-WRK {\"requests\":%d,\"duration_us\":%d,'\n"
  "    .. '\"socket_errors\":%d,\"status_errors\":%d,\"p50_us\":%d,\"p99_us\":%d}\\n',\n"
  "    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout,\n"
  "    e.status, latency:percentile (50), latency:percentile (99)))\n"
  "end\n";

/* Runs @wrk on @url for @seconds with @script (which ends with
 * bench_wrk_done) and reads its totals; a socket error, a non-2xx answer
 * or no request at all fails the benchmark, naming @label. */
void
bench_wrk_run (const BenchWrk *wrk,
               const char     *label,
               const char     *url,
               int             seconds,
               const char     *script,
               BenchWrkResult *result)
{
  g_autofree char *threads = g_strdup_printf ("%d", wrk->threads);
  g_autofree char *connections = g_strdup_printf ("%d", wrk->connections);
  g_autofree char *duration = g_strdup_printf ("%ds", seconds);
  const char *argv[] = { wrk->path, "-t", threads, "-c", connections, "-d", duration,
                         "-s", script, url, NULL };
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *line;
  JsonObject *totals;
  gint64 socket_errors, status_errors;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  if (wrk->child_setup != NULL)
    g_subprocess_launcher_set_child_setup (launcher, wrk->child_setup, wrk->child_data, NULL);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (process == NULL || !g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error))
    bench_die ("cannot run %s: %s", wrk->path, error->message);
  if (!g_subprocess_get_successful (process) || (line = strstr (out, "BENCH-WRK ")) == NULL)
    bench_die ("wrk failed on %s (%s):\n%s%s", label, url, out, err);
  node = json_from_string (strchr (line, ' ') + 1, &error);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    bench_die ("cannot read wrk's result: %s", error != NULL ? error->message : line);
  totals = json_node_get_object (node);
  result->requests = json_object_get_int_member (totals, "requests");
  result->duration_us = json_object_get_int_member (totals, "duration_us");
  result->p50_us = json_object_get_int_member (totals, "p50_us");
  result->p99_us = json_object_get_int_member (totals, "p99_us");
  socket_errors = json_object_get_int_member (totals, "socket_errors");
  status_errors = json_object_get_int_member (totals, "status_errors");
  if (socket_errors > 0 || status_errors > 0 || result->requests == 0)
    bench_die ("%s (%s): %" G_GINT64_FORMAT " requests, %" G_GINT64_FORMAT " socket errors, %"
               G_GINT64_FORMAT " non-2xx answers:\n%s", label, url, result->requests,
               socket_errors, status_errors, out);
}
