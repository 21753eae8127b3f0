/* bench-util.h: what the benchmarks that drive servers share (not installed).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* How long a server may take to answer 200. */
#define BENCH_READY_TIMEOUT_US (20 * G_USEC_PER_SEC)

G_NORETURN void bench_die      (const char   *format,
                                ...) G_GNUC_PRINTF (1, 2);
double       bench_median      (const double *values,
                                guint         n);
char        *bench_write_file  (const char   *dir,
                                const char   *name,
                                const char   *contents);

/* Servers ----------------------------------------------------------------- */

guint        bench_free_port   (void);
char        *bench_http_get    (guint         port,
                                const char   *path);
gint64       bench_wait_for_200 (GSubprocess *process,
                                 const char  *label,
                                 guint        port,
                                 const char  *path);
void         bench_stop        (GSubprocess  *process,
                                const char   *label);

/* wrk --------------------------------------------------------------------- */

/* The Lua `done` hook that prints the line bench_wrk_run() reads; a
 * script given to bench_wrk_run() must end with it. */
extern const char bench_wrk_done[];

typedef struct
{
  const char           *path;          /* the wrk program */
  int                   threads;
  int                   connections;
  GSpawnChildSetupFunc  child_setup;   /* or NULL */
  gpointer              child_data;
} BenchWrk;

typedef struct
{
  gint64 requests;
  gint64 duration_us;
  gint64 p50_us;
  gint64 p99_us;
} BenchWrkResult;

void         bench_wrk_run     (const BenchWrk *wrk,
                                const char     *label,
                                const char     *url,
                                int             seconds,
                                const char     *script,
                                BenchWrkResult *result);

G_END_DECLS
