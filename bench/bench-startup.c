/* bench-startup.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Times the start and stop of a backend with N plugins (N = 10, 100, 1,000)
 * and of a BkTestBackend with 10 plugins, and prints a Markdown table.
 *
 * The shape, per plugin: a plugin `plugin-<i>` whose init depends on three
 * plugin-scoped services (`bench.a`; `bench.b`, which depends on `bench.a`;
 * `bench.c`, which depends on `core.pluginMetadata`), and one module,
 * `extra`, whose init depends on `bench.a`. The three services come from
 * sync default factories, so each plugin gets its own three instances. The
 * backend has the defaults that shape needs: a root config, the root and
 * plugin loggers, the root and plugin lifecycles.
 *
 * A timed run covers everything a program would do: build the features and
 * the backend, start, stop, drop the last reference (everything finalized).
 * The baseline does the same work by hand in the same process, interleaved
 * with the framework's runs: for each plugin, build its id and its three
 * service objects, call the module's init and the plugin's init through
 * function pointers, then release everything. The ratio of the two is the
 * framework's overhead.
 *
 * Honesty: every init does the same work in both variants (it touches its
 * services), the services count their uses, and after each run the counters
 * are checked (inits, services created and finalized, uses), so nothing can
 * be elided without the program failing.
 *
 * Usage: bench-startup [--runs=51] [--runs-large=15] [--profile=N]
 */

#include <stdio.h>
#include <stdlib.h>

#include <libbackend.h>
#include <libbackend-test-utils.h>

/* ------------------------------------------------------------------------ *
 * Counters: what happened, checked after every run
 * ------------------------------------------------------------------------ */

static guint n_services_created;
static guint n_services_finalized;
static guint n_plugin_inits;
static guint n_module_inits;
static guint64 n_service_uses; /* summed when a service is finalized */

static void
counters_reset (void)
{
  n_services_created = 0;
  n_services_finalized = 0;
  n_plugin_inits = 0;
  n_module_inits = 0;
  n_service_uses = 0;
}

static void
counters_check (const char *what,
                guint       n_plugins)
{
  /* Per plugin: three services, one plugin init touching each, one module
   * init touching bench.a. */
  if (n_services_created != 3 * n_plugins ||
      n_services_finalized != 3 * n_plugins ||
      n_plugin_inits != n_plugins ||
      n_module_inits != n_plugins ||
      n_service_uses != 4 * (guint64) n_plugins)
    {
      g_printerr ("bench-startup: %s with %u plugins did not do its work: "
                  "%u services created, %u finalized, %u plugin inits, %u module inits, "
                  "%" G_GUINT64_FORMAT " service uses\n",
                  what, n_plugins, n_services_created, n_services_finalized,
                  n_plugin_inits, n_module_inits, n_service_uses);
      exit (EXIT_FAILURE);
    }
}

/* ------------------------------------------------------------------------ *
 * The services
 * ------------------------------------------------------------------------ */

#define BENCH_TYPE_SERVICE (bench_service_get_type ())
G_DECLARE_FINAL_TYPE (BenchService, bench_service, BENCH, SERVICE, GObject)

struct _BenchService
{
  GObject       parent_instance;

  BenchService *dependency; /* (nullable) (owned) */
  char         *plugin_id;  /* (nullable) (owned) */
  guint         uses;
};

G_DEFINE_FINAL_TYPE (BenchService, bench_service, G_TYPE_OBJECT)

static void
bench_service_finalize (GObject *object)
{
  BenchService *self = BENCH_SERVICE (object);

  n_services_finalized++;
  n_service_uses += self->uses;
  g_clear_object (&self->dependency);
  g_free (self->plugin_id);

  G_OBJECT_CLASS (bench_service_parent_class)->finalize (object);
}

static void
bench_service_class_init (BenchServiceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bench_service_finalize;
}

static void
bench_service_init (BenchService *self)
{
}

static BenchService *
bench_service_new (BenchService *dependency,
                   const char   *plugin_id)
{
  BenchService *self = g_object_new (BENCH_TYPE_SERVICE, NULL);

  n_services_created++;
  self->dependency = dependency != NULL ? g_object_ref (dependency) : NULL;
  self->plugin_id = g_strdup (plugin_id);

  return self;
}

/* The work of the inits, shared by the framework and the baseline; not
 * inlined, so the baseline pays a call as the framework does. */

static G_GNUC_NO_INLINE void
plugin_work (BenchService *a,
             BenchService *b,
             BenchService *c)
{
  a->uses++;
  b->uses++;
  c->uses++;
  n_plugin_inits++;
}

static G_GNUC_NO_INLINE void
module_work (BenchService *a)
{
  a->uses++;
  n_module_inits++;
}

/* The refs and their sync default factories. */

static BkServiceFactory *bench_a_default_factory (void);
static BkServiceFactory *bench_b_default_factory (void);
static BkServiceFactory *bench_c_default_factory (void);

static BK_DEFINE_SERVICE_REF (bench_a_ref, "bench.a", BENCH_TYPE_SERVICE,
                              BK_SERVICE_SCOPE_PLUGIN, bench_a_default_factory)
static BK_DEFINE_SERVICE_REF (bench_b_ref, "bench.b", BENCH_TYPE_SERVICE,
                              BK_SERVICE_SCOPE_PLUGIN, bench_b_default_factory)
static BK_DEFINE_SERVICE_REF (bench_c_ref, "bench.c", BENCH_TYPE_SERVICE,
                              BK_SERVICE_SCOPE_PLUGIN, bench_c_default_factory)

static GObject *
create_a (BkDeps    *deps,
          gpointer   root_context,
          gpointer   user_data,
          GError   **error)
{
  return G_OBJECT (bench_service_new (NULL, NULL));
}

static GObject *
create_b (BkDeps    *deps,
          gpointer   root_context,
          gpointer   user_data,
          GError   **error)
{
  return G_OBJECT (bench_service_new (bk_deps_get (deps, bench_a_ref ()), NULL));
}

static GObject *
create_c (BkDeps    *deps,
          gpointer   root_context,
          gpointer   user_data,
          GError   **error)
{
  BkPluginMetadata *metadata = bk_deps_get (deps, BK_SERVICE_PLUGIN_METADATA);

  return G_OBJECT (bench_service_new (NULL, bk_plugin_metadata_get_id (metadata)));
}

static BkServiceFactory *
bench_a_default_factory (void)
{
  return bk_service_factory_new (bench_a_ref (), create_a, NULL, NULL, NULL);
}

static BkServiceFactory *
bench_b_default_factory (void)
{
  return bk_service_factory_new (bench_b_ref (), create_b, NULL, NULL, bench_a_ref (), NULL);
}

static BkServiceFactory *
bench_c_default_factory (void)
{
  return bk_service_factory_new (bench_c_ref (), create_c, NULL, NULL,
                                 BK_SERVICE_PLUGIN_METADATA, NULL);
}

/* ------------------------------------------------------------------------ *
 * The features
 * ------------------------------------------------------------------------ */

static gboolean
plugin_init (BkDeps    *deps,
             gpointer   user_data,
             GError   **error)
{
  plugin_work (bk_deps_get (deps, bench_a_ref ()),
               bk_deps_get (deps, bench_b_ref ()),
               bk_deps_get (deps, bench_c_ref ()));
  return TRUE;
}

static void
plugin_register (BkPluginEnv *env,
                 gpointer     user_data)
{
  bk_plugin_env_register_init (env, plugin_init, NULL, NULL,
                               bench_a_ref (), bench_b_ref (), bench_c_ref (), NULL);
}

static gboolean
module_init (BkDeps    *deps,
             gpointer   user_data,
             GError   **error)
{
  module_work (bk_deps_get (deps, bench_a_ref ()));
  return TRUE;
}

static void
module_register (BkModuleEnv *env,
                 gpointer     user_data)
{
  bk_module_env_register_init (env, module_init, NULL, NULL, bench_a_ref (), NULL);
}

/* Adds N plugins and their modules through @add (bk_backend_add or
 * bk_test_backend_add). */
static void
add_features (gpointer  target,
              void    (*add) (gpointer target, gpointer feature),
              guint     n_plugins)
{
  for (guint i = 0; i < n_plugins; i++)
    {
      char plugin_id[32];

      g_snprintf (plugin_id, sizeof plugin_id, "plugin-%u", i);
      add (target, bk_plugin_new (plugin_id, plugin_register, NULL, NULL));
      add (target, bk_module_new (plugin_id, "extra", module_register, NULL, NULL));
    }
}

static void
add_to_backend (gpointer target,
                gpointer feature)
{
  bk_backend_add (target, feature);
}

static void
add_to_test_backend (gpointer target,
                     gpointer feature)
{
  bk_test_backend_add (target, feature);
}

/* ------------------------------------------------------------------------ *
 * One run of each kind; each returns its total time in µs
 * ------------------------------------------------------------------------ */

typedef struct
{
  gint64 total;
  gint64 start;
  gint64 stop;
} Timing;

static BkBackend *
backend_new (void)
{
  g_autoptr(BkConfig) config = bk_config_new (NULL, "bench");

  return bk_backend_new_specialized (bk_static_root_config_factory_new (config),
                                     bk_service_ref_create_default_factory (BK_SERVICE_ROOT_LOGGER),
                                     bk_service_ref_create_default_factory (BK_SERVICE_LOGGER),
                                     bk_service_ref_create_default_factory (BK_SERVICE_ROOT_LIFECYCLE),
                                     bk_service_ref_create_default_factory (BK_SERVICE_LIFECYCLE),
                                     NULL);
}

static Timing
run_backend (guint n_plugins)
{
  g_autoptr(GError) error = NULL;
  BkBackend *backend;
  gint64 t0, t1, t2, t3, t4;

  counters_reset ();

  t0 = g_get_monotonic_time ();
  backend = backend_new ();
  add_features (backend, add_to_backend, n_plugins);
  t1 = g_get_monotonic_time ();
  if (!bk_backend_start (backend, NULL, NULL, &error))
    g_error ("bench-startup: start failed: %s", error->message);
  t2 = g_get_monotonic_time ();
  if (!bk_backend_stop (backend, NULL, &error))
    g_error ("bench-startup: stop failed: %s", error->message);
  t3 = g_get_monotonic_time ();
  g_object_unref (backend);
  t4 = g_get_monotonic_time ();

  counters_check ("the backend", n_plugins);
  return (Timing) { t4 - t0, t2 - t1, t3 - t2 };
}

static Timing
run_test_backend (guint n_plugins)
{
  g_autoptr(GError) error = NULL;
  BkTestBackend *backend;
  gint64 t0, t1, t2, t3, t4;

  counters_reset ();

  t0 = g_get_monotonic_time ();
  backend = bk_test_backend_new ();
  add_features (backend, add_to_test_backend, n_plugins);
  t1 = g_get_monotonic_time ();
  if (!bk_test_backend_launch (backend, &error))
    g_error ("bench-startup: test backend launch failed: %s", error->message);
  t2 = g_get_monotonic_time ();
  if (!bk_test_backend_stop (backend, &error)) /* includes its leak check */
    g_error ("bench-startup: test backend stop failed: %s", error->message);
  t3 = g_get_monotonic_time ();
  g_object_unref (backend);
  t4 = g_get_monotonic_time ();

  counters_check ("the test backend", n_plugins);
  return (Timing) { t4 - t0, t2 - t1, t3 - t2 };
}

/* What a hand-written main would do: no container, same objects, same
 * inits, called directly. */

typedef struct
{
  char         *id;
  BenchService *a, *b, *c;
} HandPlugin;

typedef void (*HandPluginInit) (BenchService *a, BenchService *b, BenchService *c);
typedef void (*HandModuleInit) (BenchService *a);

static HandPluginInit volatile hand_plugin_init = plugin_work;
static HandModuleInit volatile hand_module_init = module_work;

static Timing
run_baseline (guint n_plugins)
{
  HandPlugin *plugins;
  gint64 t0, t1;

  counters_reset ();

  t0 = g_get_monotonic_time ();
  plugins = g_new0 (HandPlugin, n_plugins);
  for (guint i = 0; i < n_plugins; i++)
    {
      HandPlugin *p = &plugins[i];

      p->id = g_strdup_printf ("plugin-%u", i);
      p->a = bench_service_new (NULL, NULL);
      p->b = bench_service_new (p->a, NULL);
      p->c = bench_service_new (NULL, p->id);
      hand_module_init (p->a);
      hand_plugin_init (p->a, p->b, p->c);
    }
  for (guint i = n_plugins; i > 0; i--)
    {
      HandPlugin *p = &plugins[i - 1];

      g_object_unref (p->c);
      g_object_unref (p->b);
      g_object_unref (p->a);
      g_free (p->id);
    }
  g_free (plugins);
  t1 = g_get_monotonic_time ();

  counters_check ("the baseline", n_plugins);
  return (Timing) { t1 - t0, 0, 0 };
}

/* ------------------------------------------------------------------------ *
 * Statistics and the table
 * ------------------------------------------------------------------------ */

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

/* Sorts @values in place; returns the median. */
static double
median (gint64 *values,
        guint   n)
{
  qsort (values, n, sizeof *values, compare_gint64);
  if (n % 2 == 1)
    return values[n / 2];
  return (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

typedef struct
{
  const char *label;
  guint       n_plugins;
  guint       runs;
  double      total_median;
  double      total_min;
  double      start_median;
  double      stop_median;
  double      baseline_median; /* < 0: none */
} Row;

static void
measure (Row      *row,
         Timing  (*run) (guint n_plugins),
         gboolean  with_baseline)
{
  g_autofree gint64 *total = g_new (gint64, row->runs);
  g_autofree gint64 *start = g_new (gint64, row->runs);
  g_autofree gint64 *stop = g_new (gint64, row->runs);
  g_autofree gint64 *baseline = g_new (gint64, row->runs);

  /* Warm up: type registration, first allocations, page faults. */
  run (row->n_plugins);
  if (with_baseline)
    run_baseline (row->n_plugins);

  /* Interleaved, so both see the same machine. */
  for (guint i = 0; i < row->runs; i++)
    {
      Timing t = run (row->n_plugins);

      total[i] = t.total;
      start[i] = t.start;
      stop[i] = t.stop;
      if (with_baseline)
        baseline[i] = run_baseline (row->n_plugins).total;
    }

  row->total_median = median (total, row->runs);
  row->total_min = total[0]; /* sorted by median () */
  row->start_median = median (start, row->runs);
  row->stop_median = median (stop, row->runs);
  row->baseline_median = with_baseline ? median (baseline, row->runs) : -1;
}

static void
print_row (const Row *row)
{
  char baseline[64] = "–";
  char ratio[64] = "–";

  if (row->baseline_median >= 0)
    {
      g_snprintf (baseline, sizeof baseline, "%.3f", row->baseline_median / 1000.0);
      g_snprintf (ratio, sizeof ratio, "%.0f×",
                  row->total_median / MAX (row->baseline_median, 1.0));
    }

  printf ("| %s | %u | %u | %.3f | %.3f | %.3f | %.3f | %.1f | %s | %s |\n",
           row->label, row->n_plugins, row->runs,
           row->total_median / 1000.0, row->total_min / 1000.0,
           row->start_median / 1000.0, row->stop_median / 1000.0,
           row->total_median / row->n_plugins,
           baseline, ratio);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  int runs = 51;
  int runs_large = 15;
  int profile_plugins = 0;
  const GOptionEntry entries[] = {
    { "runs", 'r', 0, G_OPTION_ARG_INT, &runs, "Runs per case with up to 100 plugins (51)", "N" },
    { "runs-large", 'R', 0, G_OPTION_ARG_INT, &runs_large, "Runs per case with 1,000 plugins (15)", "N" },
    { "profile", 'p', 0, G_OPTION_ARG_INT, &profile_plugins,
      "Only start and stop a backend with N plugins, --runs times, untimed (for callgrind or perf)", "N" },
    { NULL }
  };
  gint64 warm_up_end;
#ifdef __OPTIMIZE__
  const char *build_note = "";
#else
  const char *build_note = " (warning: not an optimized build)";
#endif
  Row rows[] = {
    { "backend", 10 },
    { "backend", 100 },
    { "backend", 1000 },
    { "test backend", 10 },
  };

  context = g_option_context_new ("- time backend start and stop");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-startup: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (runs < 1 || runs_large < 1)
    {
      g_printerr ("bench-startup: --runs and --runs-large must be at least 1\n");
      return EXIT_FAILURE;
    }

  if (profile_plugins > 0)
    {
      for (int i = 0; i < runs; i++)
        run_backend ((guint) profile_plugins);
      return EXIT_SUCCESS;
    }

  /* Warm up the machine (CPU frequency, caches, the allocator) before the
   * first timed run. */
  warm_up_end = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  while (g_get_monotonic_time () < warm_up_end)
    {
      run_backend (100);
      run_baseline (100);
    }

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      gboolean is_test_backend = i == G_N_ELEMENTS (rows) - 1;

      rows[i].runs = rows[i].n_plugins > 100 ? (guint) runs_large : (guint) runs;
      if (is_test_backend)
        measure (&rows[i], run_test_backend, FALSE);
      else
        measure (&rows[i], run_backend, TRUE);
    }

  printf ("Start + stop, %u CPU(s), GLib %u.%u.%u, libbackend %s%s\n\n",
           g_get_num_processors (), glib_major_version, glib_minor_version, glib_micro_version,
           BK_VERSION_S, build_note);
  printf ("| case | plugins | runs | total median ms | total min ms | start median ms "
           "| stop median ms | µs per plugin | hand-written median ms | overhead |\n");
  printf ("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    print_row (&rows[i]);

  /* Linear growth: time per plugin should not grow with N. */
  printf ("\nGrowth: 100 → 1,000 plugins ×%.1f (linear: ×10); 10 → 100 plugins ×%.1f (linear: ×10)\n",
           rows[2].total_median / rows[1].total_median,
           rows[1].total_median / rows[0].total_median);

  return EXIT_SUCCESS;
}
