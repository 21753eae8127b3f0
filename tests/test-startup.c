/* test-startup.c
 *
 * Conformance tests for BkBackend's start and stop: the boot-failure policy
 * (DESIGN.md §2 rule 9), the states (rule 10), the order of lifecycle hooks
 * (rules 11 and 12), the startup result, cancellation and the main context a
 * backend belongs to (rule 14). docs/container.md holds the exact behaviour.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <signal.h>

#include <libbackend.h>
#include <libbackend-test-utils.h>

#include "test-util.h"

#define STARTUP_FAILED_PREFIX "Backend startup failed due to the following errors:"

/* Two services the tests define: a root one (made at startup, it registers
 * root lifecycle hooks) and a plugin-scoped one. */
static BK_DEFINE_SERVICE_REF (test_root_service_ref, "test.rootService",
                              G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, NULL)
static BK_DEFINE_SERVICE_REF (test_plugin_service_ref, "test.pluginService",
                              G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)

/* ------------------------------------------------------------------------ */
/* Probe: what one test observes, shared by every callback of its backend.  */
/* ------------------------------------------------------------------------ */

typedef struct
{
  GPtrArray    *log;              /* char *: events in the order they happened */
  GPtrArray    *watched;          /* gpointer *: weak-pointer slots */
  gboolean      rich;             /* plugin inits also use metadata and test.pluginService */
  gboolean      keep_lifecycles;  /* hold the root and the first plugin lifecycle */
  BkLifecycle  *root_lifecycle;
  BkLifecycle  *plugin_lifecycle;
  GThread      *thread;           /* when set, every callback must run in it … */
  GMainContext *context;          /* … with this context as thread-default */
  guint         n_thread_checks;
} Probe;

static void
probe_init (Probe *probe)
{
  memset (probe, 0, sizeof *probe);
  probe->log = g_ptr_array_new_with_free_func (g_free);
  probe->watched = g_ptr_array_new ();
}

static void
probe_clear (Probe *probe)
{
  g_clear_object (&probe->root_lifecycle);
  g_clear_object (&probe->plugin_lifecycle);
  for (guint i = 0; i < probe->watched->len; i++)
    {
      gpointer *slot = g_ptr_array_index (probe->watched, i);

      if (*slot != NULL)
        g_object_remove_weak_pointer (*slot, slot);
      g_free (slot);
    }
  g_clear_pointer (&probe->watched, g_ptr_array_unref);
  g_clear_pointer (&probe->log, g_ptr_array_unref);
}

static void
probe_log (Probe      *probe,
           const char *event)
{
  g_ptr_array_add (probe->log, g_strdup (event));
}

/* Records that @object must be finalized once the backend is gone. */
static void
probe_watch (Probe    *probe,
             gpointer  object)
{
  gpointer *slot;

  g_assert_true (G_IS_OBJECT (object));
  for (guint i = 0; i < probe->watched->len; i++)
    if (*(gpointer *) g_ptr_array_index (probe->watched, i) == object)
      return;

  slot = g_new0 (gpointer, 1);
  *slot = object;
  g_object_add_weak_pointer (object, slot);
  g_ptr_array_add (probe->watched, slot);
}

static void
probe_assert_all_finalized (Probe *probe)
{
  for (guint i = 0; i < probe->watched->len; i++)
    {
      gpointer *slot = g_ptr_array_index (probe->watched, i);

      if (*slot != NULL)
        g_error ("a %s (ref count %u) is still alive after the backend was stopped and released",
                 G_OBJECT_TYPE_NAME (*slot), G_OBJECT (*slot)->ref_count);
    }
}

/* Every callback calls this: with a thread set, it must run there, with the
 * backend's context as the thread-default one. */
static void
probe_check_thread (Probe *probe)
{
  if (probe->thread == NULL)
    return;

  g_assert_true (g_thread_self () == probe->thread);
  g_assert_true (g_main_context_get_thread_default () == probe->context);
  probe->n_thread_checks++;
}

static char *
probe_dup_log (Probe *probe)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < probe->log->len; i++)
    {
      if (i > 0)
        g_string_append_c (s, ',');
      g_string_append (s, g_ptr_array_index (probe->log, i));
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* The log, joined with ',', must equal @expected: prints both otherwise. */
static void
probe_assert_log (Probe      *probe,
                  const char *expected)
{
  g_autofree char *actual = probe_dup_log (probe);

  g_assert_cmpstr (actual, ==, expected);
}

static int
probe_log_index (Probe      *probe,
                 const char *event)
{
  for (guint i = 0; i < probe->log->len; i++)
    if (g_str_equal (g_ptr_array_index (probe->log, i), event))
      return (int) i;
  return -1;
}

static guint
probe_log_count (Probe      *probe,
                 const char *event)
{
  guint n = 0;

  for (guint i = 0; i < probe->log->len; i++)
    if (g_str_equal (g_ptr_array_index (probe->log, i), event))
      n++;
  return n;
}

static void
probe_assert_logged (Probe      *probe,
                     const char *event)
{
  if (probe_log_index (probe, event) < 0)
    {
      g_autofree char *actual = probe_dup_log (probe);

      g_error ("'%s' did not happen; the log is: %s", event, actual);
    }
}

static void
probe_assert_not_logged (Probe      *probe,
                         const char *event)
{
  if (probe_log_index (probe, event) >= 0)
    {
      g_autofree char *actual = probe_dup_log (probe);

      g_error ("'%s' must not happen; the log is: %s", event, actual);
    }
}

static void
probe_assert_before (Probe      *probe,
                     const char *first,
                     const char *second)
{
  int a, b;

  probe_assert_logged (probe, first);
  probe_assert_logged (probe, second);
  a = probe_log_index (probe, first);
  b = probe_log_index (probe, second);
  if (a >= b)
    {
      g_autofree char *actual = probe_dup_log (probe);

      g_error ("'%s' must happen before '%s'; the log is: %s", first, second, actual);
    }
}

/* ------------------------------------------------------------------------ */
/* Lifecycle hooks that record themselves                                   */
/* ------------------------------------------------------------------------ */

typedef struct
{
  Probe    *probe;
  char     *name;
  gboolean  fail;
} HookSpec;

static void
hook_spec_free (gpointer data)
{
  HookSpec *spec = data;

  g_free (spec->name);
  g_free (spec);
}

static gboolean
record_hook (gpointer   user_data,
             GError   **error)
{
  HookSpec *spec = user_data;

  probe_check_thread (spec->probe);
  probe_log (spec->probe, spec->name);
  if (spec->fail)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s exploded", spec->name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
never_called_hook (gpointer   user_data,
                   GError   **error)
{
  g_assert_not_reached ();
  return TRUE;
}

/* @names: comma-separated hook names, each registered in that order; a
 * leading '!' makes the hook fail (the '!' is not logged). */
static void
add_hooks (Probe            *probe,
           BkLifecycle      *lifecycle,
           BkLifecyclePhase  phase,
           const char       *names)
{
  g_auto(GStrv) list = NULL;

  if (names == NULL || *names == '\0')
    return;

  list = g_strsplit (names, ",", -1);
  for (guint i = 0; list[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      HookSpec *spec = g_new0 (HookSpec, 1);
      gboolean ok;

      spec->probe = probe;
      spec->fail = list[i][0] == '!';
      spec->name = g_strdup (list[i] + (spec->fail ? 1 : 0));
      ok = bk_lifecycle_add_hook (lifecycle, phase, record_hook, spec, hook_spec_free, &error);
      g_assert_no_error (error);
      g_assert_true (ok);
    }
}

/* ------------------------------------------------------------------------ */
/* Service factories                                                        */
/* ------------------------------------------------------------------------ */

typedef struct
{
  Probe *probe;
  char  *startup_hooks;
  char  *before_shutdown_hooks;
  char  *shutdown_hooks;
} RootServiceSpec;

static void
root_service_spec_free (gpointer data)
{
  RootServiceSpec *spec = data;

  g_free (spec->startup_hooks);
  g_free (spec->before_shutdown_hooks);
  g_free (spec->shutdown_hooks);
  g_free (spec);
}

static GObject *
create_root_service (BkDeps   *deps,
                     gpointer  root_context,
                     gpointer  user_data,
                     GError  **error)
{
  RootServiceSpec *spec = user_data;
  Probe *probe = spec->probe;
  BkLifecycle *lifecycle = bk_deps_get (deps, BK_SERVICE_ROOT_LIFECYCLE);
  GObject *service = g_object_new (G_TYPE_OBJECT, NULL);

  probe_check_thread (probe);
  probe_log (probe, "root-service");
  g_assert_true (BK_IS_LIFECYCLE (lifecycle));
  add_hooks (probe, lifecycle, BK_LIFECYCLE_PHASE_STARTUP, spec->startup_hooks);
  add_hooks (probe, lifecycle, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN, spec->before_shutdown_hooks);
  add_hooks (probe, lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN, spec->shutdown_hooks);
  probe_watch (probe, lifecycle);
  probe_watch (probe, deps);
  probe_watch (probe, service);
  if (probe->keep_lifecycles)
    g_set_object (&probe->root_lifecycle, lifecycle);

  return service;
}

/* A root factory, created at startup, that logs "root-service" and
 * registers the given root lifecycle hooks. */
static BkServiceFactory *
root_service_factory_new (Probe      *probe,
                          const char *startup_hooks,
                          const char *before_shutdown_hooks,
                          const char *shutdown_hooks)
{
  RootServiceSpec *spec = g_new0 (RootServiceSpec, 1);
  BkServiceFactory *factory;

  spec->probe = probe;
  spec->startup_hooks = g_strdup (startup_hooks);
  spec->before_shutdown_hooks = g_strdup (before_shutdown_hooks);
  spec->shutdown_hooks = g_strdup (shutdown_hooks);
  factory = bk_service_factory_new (test_root_service_ref (), create_root_service,
                                    spec, root_service_spec_free,
                                    BK_SERVICE_ROOT_LIFECYCLE, NULL);
  probe_watch (probe, factory);
  return factory;
}

static GObject *
create_plugin_service (BkDeps   *deps,
                       gpointer  root_context,
                       gpointer  user_data,
                       GError  **error)
{
  Probe *probe = user_data;
  BkPluginMetadata *metadata = bk_deps_get (deps, BK_SERVICE_PLUGIN_METADATA);
  g_autofree char *event = NULL;
  GObject *service = g_object_new (G_TYPE_OBJECT, NULL);

  probe_check_thread (probe);
  g_assert_true (BK_IS_PLUGIN_METADATA (metadata));
  event = g_strdup_printf ("plugin-service:%s", bk_plugin_metadata_get_id (metadata));
  probe_log (probe, event);
  probe_watch (probe, deps);
  probe_watch (probe, service);
  return service;
}

static BkServiceFactory *
plugin_service_factory_new (Probe *probe)
{
  BkServiceFactory *factory;

  factory = bk_service_factory_new (test_plugin_service_ref (), create_plugin_service,
                                    probe, NULL,
                                    BK_SERVICE_PLUGIN_METADATA, NULL);
  probe_watch (probe, factory);
  return factory;
}

/* Hands out a logger the test holds, for both logger refs, so every line the
 * backend logs (root or plugin) lands in one BkMockLogger. */
static GObject *
create_held_logger (BkDeps   *deps,
                    gpointer  root_context,
                    gpointer  user_data,
                    GError  **error)
{
  return g_object_ref (G_OBJECT (user_data));
}

/* ------------------------------------------------------------------------ */
/* Plugins and modules                                                      */
/* ------------------------------------------------------------------------ */

typedef struct
{
  Probe *probe;
  char  *plugin_id;
  char  *module_id;       /* NULL for a plugin */
  char  *fail;            /* the init's error message, or NULL */
  char  *startup_hooks;   /* plugin lifecycle hooks the init registers */
  char  *shutdown_hooks;
} FeatureSpec;

static void
feature_spec_free (gpointer data)
{
  FeatureSpec *spec = data;

  g_free (spec->plugin_id);
  g_free (spec->module_id);
  g_free (spec->fail);
  g_free (spec->startup_hooks);
  g_free (spec->shutdown_hooks);
  g_free (spec);
}

static gboolean
feature_init (BkDeps   *deps,
              gpointer  user_data,
              GError  **error)
{
  FeatureSpec *spec = user_data;
  Probe *probe = spec->probe;
  g_autofree char *event = NULL;

  probe_check_thread (probe);
  if (spec->module_id != NULL)
    event = g_strdup_printf ("init:%s/%s", spec->plugin_id, spec->module_id);
  else
    event = g_strdup_printf ("init:%s", spec->plugin_id);
  probe_log (probe, event);
  probe_watch (probe, deps);

  if (spec->module_id == NULL)
    {
      BkLifecycle *lifecycle = bk_deps_get (deps, BK_SERVICE_LIFECYCLE);

      g_assert_true (BK_IS_LIFECYCLE (lifecycle));
      probe_watch (probe, lifecycle);
      add_hooks (probe, lifecycle, BK_LIFECYCLE_PHASE_STARTUP, spec->startup_hooks);
      add_hooks (probe, lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN, spec->shutdown_hooks);
      if (probe->keep_lifecycles && probe->plugin_lifecycle == NULL)
        probe->plugin_lifecycle = g_object_ref (lifecycle);
    }

  if (probe->rich)
    {
      BkPluginMetadata *metadata = bk_deps_get (deps, BK_SERVICE_PLUGIN_METADATA);
      GObject *plugin_service = bk_deps_get (deps, test_plugin_service_ref ());
      GObject *root_service = bk_deps_get (deps, test_root_service_ref ());

      g_assert_true (BK_IS_PLUGIN_METADATA (metadata));
      g_assert_cmpstr (bk_plugin_metadata_get_id (metadata), ==, spec->plugin_id);
      g_assert_true (G_IS_OBJECT (plugin_service));
      g_assert_true (G_IS_OBJECT (root_service));
      probe_watch (probe, metadata);
      probe_watch (probe, plugin_service);
      probe_watch (probe, root_service);
    }

  if (spec->fail != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, spec->fail);
      return FALSE;
    }
  return TRUE;
}

static void
register_init (FeatureSpec *spec,
               BkPluginEnv *plugin_env,
               BkModuleEnv *module_env)
{
  BkDependency *deps[4];
  guint n_deps = 0;

  probe_check_thread (spec->probe);
  if (spec->module_id == NULL)
    deps[n_deps++] = BK_DEPENDENCY (BK_SERVICE_LIFECYCLE);
  if (spec->probe->rich)
    {
      deps[n_deps++] = BK_DEPENDENCY (BK_SERVICE_PLUGIN_METADATA);
      deps[n_deps++] = BK_DEPENDENCY (test_plugin_service_ref ());
      deps[n_deps++] = BK_DEPENDENCY (test_root_service_ref ());
    }

  if (plugin_env != NULL)
    bk_plugin_env_register_init_full (plugin_env, deps, n_deps, feature_init, spec, NULL);
  else
    bk_module_env_register_init_full (module_env, deps, n_deps, feature_init, spec, NULL);
}

static void
register_plugin (BkPluginEnv *env,
                 gpointer     user_data)
{
  register_init (user_data, env, NULL);
}

static void
register_module (BkModuleEnv *env,
                 gpointer     user_data)
{
  register_init (user_data, NULL, env);
}

/* A plugin whose init logs "init:<id>", registers the given plugin lifecycle
 * hooks and then fails with @fail when it is not NULL. */
static BkPlugin *
probe_plugin_new (Probe      *probe,
                  const char *plugin_id,
                  const char *fail,
                  const char *startup_hooks,
                  const char *shutdown_hooks)
{
  FeatureSpec *spec = g_new0 (FeatureSpec, 1);
  BkPlugin *plugin;

  spec->probe = probe;
  spec->plugin_id = g_strdup (plugin_id);
  spec->fail = g_strdup (fail);
  spec->startup_hooks = g_strdup (startup_hooks);
  spec->shutdown_hooks = g_strdup (shutdown_hooks);
  plugin = bk_plugin_new (plugin_id, register_plugin, spec, feature_spec_free);
  probe_watch (probe, plugin);
  return plugin;
}

/* A module whose init logs "init:<plugin>/<module>" and fails with @fail
 * when it is not NULL. */
static BkModule *
probe_module_new (Probe      *probe,
                  const char *plugin_id,
                  const char *module_id,
                  const char *fail)
{
  FeatureSpec *spec = g_new0 (FeatureSpec, 1);
  BkModule *module;

  spec->probe = probe;
  spec->plugin_id = g_strdup (plugin_id);
  spec->module_id = g_strdup (module_id);
  spec->fail = g_strdup (fail);
  module = bk_module_new (plugin_id, module_id, register_module, spec, feature_spec_free);
  probe_watch (probe, module);
  return module;
}

/* ------------------------------------------------------------------------ */
/* Backends                                                                 */
/* ------------------------------------------------------------------------ */

/* Like test_backend_new(), but both loggers are @logger. */
static BkBackend *
backend_new_with_logger (const char   *config,
                         BkMockLogger *logger)
{
  return bk_backend_new_specialized (bk_mock_root_config_factory_new (config),
                                     bk_service_factory_new (BK_SERVICE_ROOT_LOGGER, create_held_logger,
                                                             g_object_ref (logger), g_object_unref,
                                                             NULL),
                                     bk_service_factory_new (BK_SERVICE_LOGGER, create_held_logger,
                                                             g_object_ref (logger), g_object_unref,
                                                             NULL),
                                     bk_service_ref_create_default_factory (BK_SERVICE_ROOT_LIFECYCLE),
                                     bk_service_ref_create_default_factory (BK_SERVICE_LIFECYCLE),
                                     NULL);
}

static void
assert_feature_times (BkStartupResult *result,
                      BkFeatureResult *feature)
{
  g_assert_cmpint (bk_feature_result_get_begin_time (feature), <=,
                   bk_feature_result_get_end_time (feature));
  g_assert_cmpint (bk_startup_result_get_begin_time (result), <=,
                   bk_feature_result_get_begin_time (feature));
  g_assert_cmpint (bk_feature_result_get_end_time (feature), <=,
                   bk_startup_result_get_end_time (result));
}

/* ------------------------------------------------------------------------ */
/* Rule 9: the boot-failure policy, table-driven                            */
/* ------------------------------------------------------------------------ */

#define PLUGIN_CAUSE "plugin NOPE"
#define MODULE_CAUSE "module NOPE"
#define OTHER_CAUSE  "other NOPE"

#define PLUGIN_LINE "\n  Plugin 'test-plugin' startup failed; caused by " PLUGIN_CAUSE
#define MODULE_LINE "\n  Module 'test-module' for plugin 'test-plugin' startup failed; caused by " MODULE_CAUSE
#define OTHER_LINE  "\n  Plugin 'other-plugin' startup failed; caused by " OTHER_CAUSE

typedef struct
{
  const char *path;
  const char *config;
  gboolean    plugin_fails;    /* test-plugin's init fails */
  gboolean    module_fails;    /* test-plugin/test-module's init fails */
  gboolean    other_fails;     /* other-plugin's init fails */
  const char *expected_error;  /* the start's error message, NULL when it succeeds */
  gboolean    plugin_allowed;
  gboolean    module_allowed;
  gboolean    other_allowed;
} BootFailureCase;

static const BootFailureCase boot_failure_cases[] = {
  {
    "/startup/boot-failure/no-config/plugin",
    "{}",
    TRUE, FALSE, FALSE,
    STARTUP_FAILED_PREFIX PLUGIN_LINE,
    FALSE, FALSE, FALSE,
  },
  {
    "/startup/boot-failure/no-config/module",
    "{}",
    FALSE, TRUE, FALSE,
    STARTUP_FAILED_PREFIX MODULE_LINE,
    FALSE, FALSE, FALSE,
  },
  {
    "/startup/boot-failure/default-continue/plugin",
    "{\"backend\":{\"startup\":{\"default\":{\"onPluginBootFailure\":\"continue\"}}}}",
    TRUE, FALSE, FALSE,
    NULL,
    TRUE, FALSE, FALSE,
  },
  {
    "/startup/boot-failure/default-continue/plugin-abort",
    "{\"backend\":{\"startup\":{\"default\":{\"onPluginBootFailure\":\"continue\"},"
    "\"plugins\":{\"test-plugin\":{\"onPluginBootFailure\":\"abort\"}}}}}",
    TRUE, FALSE, TRUE,
    STARTUP_FAILED_PREFIX PLUGIN_LINE,
    FALSE, FALSE, TRUE,
  },
  {
    "/startup/boot-failure/plugin-continue/plugin",
    "{\"backend\":{\"startup\":{\"plugins\":{\"test-plugin\":{\"onPluginBootFailure\":\"continue\"}}}}}",
    TRUE, FALSE, FALSE,
    NULL,
    TRUE, FALSE, FALSE,
  },
  {
    "/startup/boot-failure/plugin-continue/only-that-plugin",
    "{\"backend\":{\"startup\":{\"plugins\":{\"test-plugin\":{\"onPluginBootFailure\":\"continue\"}}}}}",
    TRUE, FALSE, TRUE,
    STARTUP_FAILED_PREFIX OTHER_LINE,
    TRUE, FALSE, FALSE,
  },
  {
    "/startup/boot-failure/plugin-continue/not-its-modules",
    "{\"backend\":{\"startup\":{\"plugins\":{\"test-plugin\":{\"onPluginBootFailure\":\"continue\"}}}}}",
    FALSE, TRUE, FALSE,
    STARTUP_FAILED_PREFIX MODULE_LINE,
    FALSE, FALSE, FALSE,
  },
  {
    "/startup/boot-failure/default-continue/not-modules",
    "{\"backend\":{\"startup\":{\"default\":{\"onPluginBootFailure\":\"continue\"}}}}",
    FALSE, TRUE, FALSE,
    STARTUP_FAILED_PREFIX MODULE_LINE,
    FALSE, FALSE, FALSE,
  },
  {
    "/startup/boot-failure/default-module-continue/module",
    "{\"backend\":{\"startup\":{\"default\":{\"onPluginModuleBootFailure\":\"continue\"}}}}",
    FALSE, TRUE, FALSE,
    NULL,
    FALSE, TRUE, FALSE,
  },
  {
    "/startup/boot-failure/default-module-continue/not-plugins",
    "{\"backend\":{\"startup\":{\"default\":{\"onPluginModuleBootFailure\":\"continue\"}}}}",
    TRUE, FALSE, FALSE,
    STARTUP_FAILED_PREFIX PLUGIN_LINE,
    FALSE, FALSE, FALSE,
  },
  {
    "/startup/boot-failure/default-module-continue/module-abort",
    "{\"backend\":{\"startup\":{\"default\":{\"onPluginModuleBootFailure\":\"continue\"},"
    "\"plugins\":{\"test-plugin\":{\"modules\":{\"test-module\":{\"onPluginModuleBootFailure\":\"abort\"}}}}}}}",
    FALSE, TRUE, FALSE,
    STARTUP_FAILED_PREFIX MODULE_LINE,
    FALSE, FALSE, FALSE,
  },
  {
    "/startup/boot-failure/module-continue/module",
    "{\"backend\":{\"startup\":{\"plugins\":{\"test-plugin\":{\"modules\":"
    "{\"test-module\":{\"onPluginModuleBootFailure\":\"continue\"}}}}}}}",
    FALSE, TRUE, FALSE,
    NULL,
    FALSE, TRUE, FALSE,
  },
  {
    "/startup/boot-failure/module-continue/not-its-plugin",
    "{\"backend\":{\"startup\":{\"plugins\":{\"test-plugin\":{\"modules\":"
    "{\"test-module\":{\"onPluginModuleBootFailure\":\"continue\"}}}}}}}",
    TRUE, TRUE, FALSE,
    STARTUP_FAILED_PREFIX PLUGIN_LINE,
    FALSE, TRUE, FALSE,
  },
  {
    "/startup/boot-failure/empty/plugins",
    "{\"backend\":{\"startup\":{\"default\":{\"onPluginBootFailure\":\"continue\"},\"plugins\":{}}}}",
    TRUE, FALSE, FALSE,
    NULL,
    TRUE, FALSE, FALSE,
  },
  {
    "/startup/boot-failure/empty/plugin",
    "{\"backend\":{\"startup\":{\"default\":{\"onPluginBootFailure\":\"continue\"},"
    "\"plugins\":{\"test-plugin\":{}}}}}",
    TRUE, FALSE, FALSE,
    NULL,
    TRUE, FALSE, FALSE,
  },
  {
    "/startup/boot-failure/empty/modules",
    "{\"backend\":{\"startup\":{\"default\":{\"onPluginModuleBootFailure\":\"continue\"},"
    "\"plugins\":{\"test-plugin\":{\"modules\":{}}}}}}",
    FALSE, TRUE, FALSE,
    NULL,
    FALSE, TRUE, FALSE,
  },
  {
    "/startup/boot-failure/case-sensitive/plugin",
    "{\"backend\":{\"startup\":{\"plugins\":{\"Test-Plugin\":{\"onPluginBootFailure\":\"continue\"}}}}}",
    TRUE, FALSE, FALSE,
    STARTUP_FAILED_PREFIX PLUGIN_LINE,
    FALSE, FALSE, FALSE,
  },
  {
    "/startup/boot-failure/case-sensitive/module",
    "{\"backend\":{\"startup\":{\"plugins\":{\"test-plugin\":{\"modules\":"
    "{\"Test-Module\":{\"onPluginModuleBootFailure\":\"continue\"}}}}}}}",
    FALSE, TRUE, FALSE,
    STARTUP_FAILED_PREFIX MODULE_LINE,
    FALSE, FALSE, FALSE,
  },
  {
    "/startup/boot-failure/several/all-reported",
    "{}",
    TRUE, TRUE, TRUE,
    STARTUP_FAILED_PREFIX PLUGIN_LINE MODULE_LINE OTHER_LINE,
    FALSE, FALSE, FALSE,
  },
  {
    "/startup/boot-failure/several/allowed-left-out",
    "{\"backend\":{\"startup\":{\"default\":{\"onPluginBootFailure\":\"continue\"}}}}",
    TRUE, TRUE, TRUE,
    STARTUP_FAILED_PREFIX MODULE_LINE,
    TRUE, FALSE, TRUE,
  },
};

static void
assert_outcome (BkFeatureResult *feature,
                gboolean         fails,
                const char      *cause,
                gboolean         allowed)
{
  const GError *error = bk_feature_result_get_error (feature);

  if (!fails)
    {
      g_assert_null (error);
      return;
    }

  g_assert_nonnull (error);
  if (strstr (error->message, cause) == NULL)
    g_error ("the failure of %s%s%s is '%s', expected it to carry '%s'",
             bk_feature_result_get_plugin_id (feature),
             bk_feature_result_get_module_id (feature) ? "/" : "",
             bk_feature_result_get_module_id (feature) ? bk_feature_result_get_module_id (feature) : "",
             error->message, cause);
  g_assert_cmpint (bk_feature_result_is_failure_allowed (feature), ==, allowed);
}

static void
test_startup_boot_failure (gconstpointer data)
{
  const BootFailureCase *tc = data;
  g_autoptr(BkBackend) backend = NULL;
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  BkFeatureResult *plugin, *module, *other;
  GPtrArray *plugins, *modules;
  gboolean ok;
  Probe probe;

  probe_init (&probe);
  backend = test_backend_new (tc->config);
  bk_backend_add (backend, probe_plugin_new (&probe, "test-plugin",
                                             tc->plugin_fails ? PLUGIN_CAUSE : NULL, NULL, NULL));
  bk_backend_add (backend, probe_module_new (&probe, "test-plugin", "test-module",
                                             tc->module_fails ? MODULE_CAUSE : NULL));
  bk_backend_add (backend, probe_plugin_new (&probe, "other-plugin",
                                             tc->other_fails ? OTHER_CAUSE : NULL, NULL, NULL));

  ok = bk_backend_start (backend, NULL, &result, &error);
  if (tc->expected_error == NULL)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  else
    {
      g_assert_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_STARTUP_FAILED);
      g_assert_cmpstr (error->message, ==, tc->expected_error);
      g_assert_false (ok);
    }

  /* Every init ran; a failed module does not stop its plugin's init. */
  probe_assert_before (&probe, "init:test-plugin/test-module", "init:test-plugin");
  probe_assert_logged (&probe, "init:other-plugin");

  /* The result is there also when the start failed. */
  g_assert_nonnull (result);
  g_assert_cmpint (bk_startup_result_is_success (result), ==, tc->expected_error == NULL);
  plugins = bk_startup_result_get_plugins (result);
  g_assert_nonnull (plugins);
  g_assert_cmpuint (plugins->len, ==, 2);

  plugin = g_ptr_array_index (plugins, 0);
  g_assert_cmpstr (bk_feature_result_get_plugin_id (plugin), ==, "test-plugin");
  g_assert_null (bk_feature_result_get_module_id (plugin));
  modules = bk_feature_result_get_modules (plugin);
  g_assert_nonnull (modules);
  g_assert_cmpuint (modules->len, ==, 1);
  module = g_ptr_array_index (modules, 0);
  g_assert_cmpstr (bk_feature_result_get_plugin_id (module), ==, "test-plugin");
  g_assert_cmpstr (bk_feature_result_get_module_id (module), ==, "test-module");

  other = g_ptr_array_index (plugins, 1);
  g_assert_cmpstr (bk_feature_result_get_plugin_id (other), ==, "other-plugin");
  modules = bk_feature_result_get_modules (other);
  g_assert_nonnull (modules);
  g_assert_cmpuint (modules->len, ==, 0);

  assert_outcome (plugin, tc->plugin_fails, PLUGIN_CAUSE, tc->plugin_allowed);
  assert_outcome (module, tc->module_fails, MODULE_CAUSE, tc->module_allowed);
  assert_outcome (other, tc->other_fails, OTHER_CAUSE, tc->other_allowed);

  test_backend_stop_ok (backend);
  g_clear_object (&result);
  g_clear_object (&backend);
  probe_assert_all_finalized (&probe);
  probe_clear (&probe);
}

/* ------------------------------------------------------------------------ */
/* The startup result                                                       */
/* ------------------------------------------------------------------------ */

static void
test_startup_result_success (void)
{
  g_autoptr(BkBackend) backend = NULL;
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  BkFeatureResult *zeta, *alpha, *b_mod, *a_mod;
  GPtrArray *plugins, *modules;
  gboolean ok;
  Probe probe;

  probe_init (&probe);
  backend = test_backend_new ("{}");
  /* Registration order, not alphabetical: zeta, alpha; alpha's b-mod, a-mod. */
  bk_backend_add (backend, probe_plugin_new (&probe, "zeta", NULL, NULL, NULL));
  bk_backend_add (backend, probe_module_new (&probe, "alpha", "b-mod", NULL));
  bk_backend_add (backend, probe_plugin_new (&probe, "alpha", NULL, NULL, NULL));
  bk_backend_add (backend, probe_module_new (&probe, "alpha", "a-mod", NULL));

  ok = bk_backend_start (backend, NULL, &result, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_nonnull (result);
  g_assert_true (bk_startup_result_is_success (result));
  g_assert_cmpint (bk_startup_result_get_begin_time (result), >, 0);
  g_assert_cmpint (bk_startup_result_get_begin_time (result), <=,
                   bk_startup_result_get_end_time (result));

  plugins = bk_startup_result_get_plugins (result);
  g_assert_cmpuint (plugins->len, ==, 2);
  zeta = g_ptr_array_index (plugins, 0);
  alpha = g_ptr_array_index (plugins, 1);
  g_assert_cmpstr (bk_feature_result_get_plugin_id (zeta), ==, "zeta");
  g_assert_cmpstr (bk_feature_result_get_plugin_id (alpha), ==, "alpha");
  g_assert_null (bk_feature_result_get_error (zeta));
  g_assert_null (bk_feature_result_get_error (alpha));
  assert_feature_times (result, zeta);
  assert_feature_times (result, alpha);

  modules = bk_feature_result_get_modules (zeta);
  g_assert_nonnull (modules);
  g_assert_cmpuint (modules->len, ==, 0);

  modules = bk_feature_result_get_modules (alpha);
  g_assert_cmpuint (modules->len, ==, 2);
  b_mod = g_ptr_array_index (modules, 0);
  a_mod = g_ptr_array_index (modules, 1);
  g_assert_cmpstr (bk_feature_result_get_module_id (b_mod), ==, "b-mod");
  g_assert_cmpstr (bk_feature_result_get_module_id (a_mod), ==, "a-mod");
  g_assert_cmpstr (bk_feature_result_get_plugin_id (a_mod), ==, "alpha");
  g_assert_null (bk_feature_result_get_error (b_mod));
  g_assert_null (bk_feature_result_get_error (a_mod));
  assert_feature_times (result, b_mod);
  assert_feature_times (result, a_mod);

  g_assert_true (bk_startup_result_find_plugin (result, "alpha") == alpha);
  g_assert_true (bk_startup_result_find_plugin (result, "zeta") == zeta);
  g_assert_null (bk_startup_result_find_plugin (result, "missing"));
  g_assert_null (bk_startup_result_find_plugin (result, "Alpha"));
  g_assert_true (bk_feature_result_find_module (alpha, "a-mod") == a_mod);
  g_assert_true (bk_feature_result_find_module (alpha, "b-mod") == b_mod);
  g_assert_null (bk_feature_result_find_module (alpha, "c-mod"));
  g_assert_null (bk_feature_result_find_module (zeta, "a-mod"));

  test_backend_stop_ok (backend);
  g_clear_object (&result);
  g_clear_object (&backend);
  probe_assert_all_finalized (&probe);
  probe_clear (&probe);
}

static void
test_startup_result_failure (void)
{
  g_autoptr(BkBackend) backend = NULL;
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  BkFeatureResult *good, *bad;
  gboolean ok;
  Probe probe;

  probe_init (&probe);
  backend = test_backend_new ("{}");
  bk_backend_add (backend, probe_plugin_new (&probe, "plugin1", "Test error", NULL, NULL));
  bk_backend_add (backend, probe_plugin_new (&probe, "plugin2", NULL, NULL, NULL));

  ok = bk_backend_start (backend, NULL, &result, &error);
  g_assert_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_STARTUP_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "Backend startup failed due to the following errors:\n"
                   "  Plugin 'plugin1' startup failed; caused by Test error");
  g_assert_false (ok);

  g_assert_nonnull (result);
  g_assert_false (bk_startup_result_is_success (result));
  g_assert_cmpint (bk_startup_result_get_begin_time (result), <=,
                   bk_startup_result_get_end_time (result));
  g_assert_cmpuint (bk_startup_result_get_plugins (result)->len, ==, 2);
  bad = bk_startup_result_find_plugin (result, "plugin1");
  good = bk_startup_result_find_plugin (result, "plugin2");
  g_assert_true (bad == g_ptr_array_index (bk_startup_result_get_plugins (result), 0));
  g_assert_true (good == g_ptr_array_index (bk_startup_result_get_plugins (result), 1));
  assert_outcome (bad, TRUE, "Test error", FALSE);
  assert_outcome (good, FALSE, NULL, FALSE);
  assert_feature_times (result, bad);
  assert_feature_times (result, good);

  test_backend_stop_ok (backend);
  g_clear_object (&result);
  g_clear_object (&backend);
  probe_assert_all_finalized (&probe);
  probe_clear (&probe);
}

/* A failed module does not stop its plugin: the plugin's own init still
 * runs, after the module, and the plugin itself succeeds. */
static void
test_startup_module_failure_plugin_runs (void)
{
  g_autoptr(BkBackend) backend = NULL;
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  BkFeatureResult *plugin;
  gboolean ok;
  Probe probe;

  probe_init (&probe);
  backend = test_backend_new ("{}");
  bk_backend_add (backend, probe_plugin_new (&probe, "test", NULL, "plugin-startup", NULL));
  bk_backend_add (backend, probe_module_new (&probe, "test", "mod", "NOPE"));

  ok = bk_backend_start (backend, NULL, &result, &error);
  g_assert_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_STARTUP_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "Backend startup failed due to the following errors:\n"
                   "  Module 'mod' for plugin 'test' startup failed; caused by NOPE");
  g_assert_false (ok);
  probe_assert_log (&probe, "init:test/mod,init:test,plugin-startup");

  plugin = bk_startup_result_find_plugin (result, "test");
  g_assert_nonnull (plugin);
  g_assert_null (bk_feature_result_get_error (plugin));
  assert_outcome (bk_feature_result_find_module (plugin, "mod"), TRUE, "NOPE", FALSE);

  test_backend_stop_ok (backend);
  g_clear_object (&result);
  g_clear_object (&backend);
  probe_assert_all_finalized (&probe);
  probe_clear (&probe);
}

/* ------------------------------------------------------------------------ */
/* Rule 10: states                                                          */
/* ------------------------------------------------------------------------ */

/* A second start fails, whether the backend is still running or stopped. */
typedef struct
{
  const char *path;
  gboolean stop_first;
  BkBackendError code;
  const char *message;
} StartAgainCase;

static const StartAgainCase start_again_cases[] = {
  { "/startup/state/start-twice", FALSE, BK_BACKEND_ERROR_ALREADY_STARTED,
    "Backend has already started" },
  { "/startup/state/start-after-stop", TRUE, BK_BACKEND_ERROR_ALREADY_STOPPED,
    "Backend has already stopped" },
};

static void
test_startup_state_start_again (gconstpointer data)
{
  const StartAgainCase *c = data;
  g_autoptr(BkBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;
  Probe probe;

  probe_init (&probe);
  backend = test_backend_new ("{}");
  bk_backend_add (backend, probe_plugin_new (&probe, "test", NULL, NULL, NULL));
  test_backend_start_ok (backend);
  if (c->stop_first)
    test_backend_stop_ok (backend);

  ok = bk_backend_start (backend, NULL, NULL, &error);
  g_assert_error (error, BK_BACKEND_ERROR, (gint) c->code);
  g_assert_cmpstr (error->message, ==, c->message);
  g_assert_false (ok);
  /* The second start ran nothing. */
  g_assert_cmpuint (probe_log_count (&probe, "init:test"), ==, 1);

  if (!c->stop_first)
    test_backend_stop_ok (backend);
  g_clear_object (&backend);
  probe_assert_all_finalized (&probe);
  probe_clear (&probe);
}

static void
test_startup_state_add_after_start (void)
{
  g_autoptr(BkBackend) backend = NULL;
  BkPlugin *late;
  BkModule *late_module;
  BkServiceFactory *late_factory;
  Probe probe;

  probe_init (&probe);
  backend = test_backend_new ("{}");
  bk_backend_add (backend, probe_plugin_new (&probe, "test", NULL, NULL, NULL));
  test_backend_start_ok (backend);

  late = probe_plugin_new (&probe, "late", NULL, NULL, NULL);
  g_object_add_weak_pointer (G_OBJECT (late), (gpointer *) &late);
  g_test_expect_message ("Bk", G_LOG_LEVEL_CRITICAL,
                         "*feature can not be added after the backend has started*");
  bk_backend_add (backend, late);
  g_test_assert_expected_messages ();
  /* Nothing was added and the feature was released. */
  g_assert_null (late);

  late_module = probe_module_new (&probe, "test", "late-module", NULL);
  g_object_add_weak_pointer (G_OBJECT (late_module), (gpointer *) &late_module);
  g_test_expect_message ("Bk", G_LOG_LEVEL_CRITICAL,
                         "*feature can not be added after the backend has started*");
  bk_backend_add (backend, late_module);
  g_test_assert_expected_messages ();
  g_assert_null (late_module);

  late_factory = plugin_service_factory_new (&probe);
  g_object_add_weak_pointer (G_OBJECT (late_factory), (gpointer *) &late_factory);
  g_test_expect_message ("Bk", G_LOG_LEVEL_CRITICAL,
                         "*feature can not be added after the backend has started*");
  bk_backend_add (backend, late_factory);
  g_test_assert_expected_messages ();
  g_assert_null (late_factory);

  test_backend_stop_ok (backend);
  /* The refused features never ran. */
  probe_assert_log (&probe, "init:test");

  g_clear_object (&backend);
  probe_assert_all_finalized (&probe);
  probe_clear (&probe);
}

static void
test_startup_state_stop_idempotent (void)
{
  g_autoptr(BkBackend) backend = NULL;
  Probe probe;

  probe_init (&probe);
  backend = test_backend_new ("{}");
  bk_backend_add (backend, root_service_factory_new (&probe, NULL, "root-before-shutdown",
                                                     "root-shutdown"));
  bk_backend_add (backend, probe_plugin_new (&probe, "test", NULL, NULL, "plugin-shutdown"));
  test_backend_start_ok (backend);
  test_backend_stop_ok (backend);
  test_backend_stop_ok (backend);
  test_backend_stop_ok (backend);

  probe_assert_log (&probe, "root-service,init:test,"
                    "root-before-shutdown,plugin-shutdown,root-shutdown");

  g_clear_object (&backend);
  probe_assert_all_finalized (&probe);
  probe_clear (&probe);
}

static void
test_startup_state_stop_before_start (void)
{
  g_autoptr(BkBackend) backend = NULL;
  Probe probe;

  probe_init (&probe);
  backend = test_backend_new ("{}");
  bk_backend_add (backend, root_service_factory_new (&probe, "root-startup",
                                                     "root-before-shutdown", "root-shutdown"));
  bk_backend_add (backend, probe_plugin_new (&probe, "test", NULL, NULL, "plugin-shutdown"));

  /* A no-op: nothing is created, nothing runs … */
  test_backend_stop_ok (backend);
  probe_assert_log (&probe, "");

  /* … and the backend can still start and stop. */
  test_backend_start_ok (backend);
  probe_assert_log (&probe, "root-service,init:test,root-startup");
  test_backend_stop_ok (backend);
  probe_assert_log (&probe, "root-service,init:test,root-startup,"
                    "root-before-shutdown,plugin-shutdown,root-shutdown");

  g_clear_object (&backend);
  probe_assert_all_finalized (&probe);
  probe_clear (&probe);
}

/* A failed start, then stop: what had started is shut down (rollback); the
 * root startup hooks and the failed plugin's startup hooks never ran. */
static void
test_startup_stop_rollback (void)
{
  g_autoptr(BkBackend) backend = NULL;
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;
  Probe probe;

  probe_init (&probe);
  backend = test_backend_new ("{}");
  bk_backend_add (backend, root_service_factory_new (&probe, "root-startup",
                                                     "root-before-shutdown", "root-shutdown"));
  bk_backend_add (backend, probe_plugin_new (&probe, "plugin-a", NULL, "a-startup", "a-shutdown"));
  bk_backend_add (backend, probe_plugin_new (&probe, "plugin-b", "b failed", "b-startup", NULL));

  ok = bk_backend_start (backend, NULL, &result, &error);
  g_assert_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_STARTUP_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "Backend startup failed due to the following errors:\n"
                   "  Plugin 'plugin-b' startup failed; caused by b failed");
  g_assert_false (ok);

  probe_assert_before (&probe, "root-service", "init:plugin-a");
  probe_assert_before (&probe, "init:plugin-a", "a-startup");
  probe_assert_logged (&probe, "init:plugin-b");
  probe_assert_not_logged (&probe, "b-startup");
  probe_assert_not_logged (&probe, "root-startup");
  probe_assert_not_logged (&probe, "root-before-shutdown");
  probe_assert_not_logged (&probe, "a-shutdown");
  probe_assert_not_logged (&probe, "root-shutdown");

  test_backend_stop_ok (backend);
  probe_assert_before (&probe, "root-before-shutdown", "a-shutdown");
  probe_assert_before (&probe, "a-shutdown", "root-shutdown");
  g_assert_cmpuint (probe_log_count (&probe, "root-before-shutdown"), ==, 1);
  g_assert_cmpuint (probe_log_count (&probe, "a-shutdown"), ==, 1);
  g_assert_cmpuint (probe_log_count (&probe, "root-shutdown"), ==, 1);
  probe_assert_not_logged (&probe, "b-startup");
  probe_assert_not_logged (&probe, "root-startup");

  g_clear_object (&result);
  g_clear_object (&backend);
  probe_assert_all_finalized (&probe);
  probe_clear (&probe);
}

/* ------------------------------------------------------------------------ */
/* Rules 11 and 12: the order of startup and shutdown                       */
/* ------------------------------------------------------------------------ */

static BkBackend *
order_backend_new (Probe *probe)
{
  BkBackend *backend = test_backend_new ("{}");

  bk_backend_add (backend, root_service_factory_new (probe, "root-startup",
                                                     "root-before-shutdown",
                                                     "root-shutdown-1,root-shutdown-2"));
  bk_backend_add (backend, probe_plugin_new (probe, "order-plugin", NULL, "plugin-startup",
                                             "plugin-shutdown-1,plugin-shutdown-2"));
  bk_backend_add (backend, probe_module_new (probe, "order-plugin", "order-module", NULL));
  return backend;
}

static void
test_startup_order_start (void)
{
  g_autoptr(BkBackend) backend = NULL;
  Probe probe;

  probe_init (&probe);
  backend = order_backend_new (&probe);
  test_backend_start_ok (backend);
  /* root services → the plugin (modules, init, startup hooks) → root startup hooks */
  probe_assert_log (&probe, "root-service,init:order-plugin/order-module,init:order-plugin,"
                    "plugin-startup,root-startup");

  test_backend_stop_ok (backend);
  g_clear_object (&backend);
  probe_assert_all_finalized (&probe);
  probe_clear (&probe);
}

static void
test_startup_order_stop (void)
{
  g_autoptr(BkBackend) backend = NULL;
  Probe probe;

  probe_init (&probe);
  backend = order_backend_new (&probe);
  bk_backend_add (backend, probe_plugin_new (&probe, "second-plugin", NULL, NULL,
                                             "second-shutdown"));
  test_backend_start_ok (backend);
  g_ptr_array_set_size (probe.log, 0);

  test_backend_stop_ok (backend);
  /* root before-shutdown → plugin shutdown hooks (reverse order within a
   * plugin; plugins concurrently) → root shutdown hooks (reverse order). */
  g_assert_cmpuint (probe.log->len, ==, 6);
  g_assert_cmpstr (g_ptr_array_index (probe.log, 0), ==, "root-before-shutdown");
  probe_assert_before (&probe, "plugin-shutdown-2", "plugin-shutdown-1");
  probe_assert_before (&probe, "plugin-shutdown-1", "root-shutdown-2");
  probe_assert_before (&probe, "second-shutdown", "root-shutdown-2");
  g_assert_cmpstr (g_ptr_array_index (probe.log, 4), ==, "root-shutdown-2");
  g_assert_cmpstr (g_ptr_array_index (probe.log, 5), ==, "root-shutdown-1");

  g_clear_object (&backend);
  probe_assert_all_finalized (&probe);
  probe_clear (&probe);
}

/* Lines at error or warning level that report a failed hook. */
static guint
count_hook_failure_lines (BkMockLogger *logger)
{
  const BkLogLevel levels[] = { BK_LOG_LEVEL_ERROR, BK_LOG_LEVEL_WARN };
  guint n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    {
      g_auto(GStrv) messages = bk_mock_logger_dup_messages (logger, levels[i]);

      for (guint j = 0; messages != NULL && messages[j] != NULL; j++)
        if (strstr (messages[j], "exploded") != NULL || strstr (messages[j], "hook failed") != NULL)
          n++;
    }
  return n;
}

static void
test_startup_hooks_failure_logged (void)
{
  g_autoptr(BkMockLogger) logger = bk_mock_logger_new ();
  g_autoptr(BkBackend) backend = NULL;
  Probe probe;

  probe_init (&probe);
  backend = backend_new_with_logger ("{}", logger);
  bk_backend_add (backend, root_service_factory_new (&probe, "root-startup",
                                                     "!root-before-shutdown",
                                                     "root-shutdown-1,!root-shutdown-2"));
  bk_backend_add (backend, probe_plugin_new (&probe, "test", NULL, "!plugin-startup",
                                             "plugin-shutdown-1,!plugin-shutdown-2"));

  /* A failing plugin startup hook is logged; the start goes on. */
  test_backend_start_ok (backend);
  probe_assert_log (&probe, "root-service,init:test,plugin-startup,root-startup");
  g_assert_cmpuint (count_hook_failure_lines (logger), >=, 1);

  /* Each failing shutdown hook is logged; the sequence goes on. */
  test_backend_stop_ok (backend);
  probe_assert_log (&probe, "root-service,init:test,plugin-startup,root-startup,"
                    "root-before-shutdown,plugin-shutdown-2,plugin-shutdown-1,"
                    "root-shutdown-2,root-shutdown-1");
  g_assert_cmpuint (count_hook_failure_lines (logger), >=, 4);

  g_clear_object (&backend);
  probe_assert_all_finalized (&probe);
  probe_clear (&probe);
  g_assert_finalize_object (g_steal_pointer (&logger));
}

static void
assert_add_hook_fails (BkLifecycle      *lifecycle,
                       BkLifecyclePhase  phase,
                       const char       *message)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = bk_lifecycle_add_hook (lifecycle, phase, never_called_hook, NULL, NULL, &error);
  g_assert_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_REGISTRATION);
  g_assert_cmpstr (error->message, ==, message);
  g_assert_false (ok);
}

static void
test_startup_hooks_add_after_phase (void)
{
  g_autoptr(BkBackend) backend = NULL;
  Probe probe;

  probe_init (&probe);
  probe.keep_lifecycles = TRUE;
  backend = test_backend_new ("{}");
  bk_backend_add (backend, root_service_factory_new (&probe, NULL, NULL, NULL));
  bk_backend_add (backend, probe_plugin_new (&probe, "test", NULL, NULL, NULL));
  test_backend_start_ok (backend);
  g_assert_nonnull (probe.root_lifecycle);
  g_assert_nonnull (probe.plugin_lifecycle);

  assert_add_hook_fails (probe.root_lifecycle, BK_LIFECYCLE_PHASE_STARTUP,
                         "Attempted to add startup hook after startup");
  assert_add_hook_fails (probe.plugin_lifecycle, BK_LIFECYCLE_PHASE_STARTUP,
                         "Attempted to add startup hook after startup");

  /* Shutdown hooks may still be added after startup; they run at stop. */
  add_hooks (&probe, probe.root_lifecycle, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN, "late-before-shutdown");
  add_hooks (&probe, probe.root_lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN, "late-root-shutdown");
  add_hooks (&probe, probe.plugin_lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN, "late-plugin-shutdown");
  test_backend_stop_ok (backend);
  probe_assert_log (&probe, "root-service,init:test,"
                    "late-before-shutdown,late-plugin-shutdown,late-root-shutdown");

  assert_add_hook_fails (probe.root_lifecycle, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN,
                         "Attempt to add before shutdown hook after shutdown has started");
  assert_add_hook_fails (probe.root_lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN,
                         "Attempted to add shutdown hook after shutdown");
  assert_add_hook_fails (probe.plugin_lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN,
                         "Attempted to add shutdown hook after shutdown");

  g_clear_object (&probe.root_lifecycle);
  g_clear_object (&probe.plugin_lifecycle);
  g_clear_object (&backend);
  probe_assert_all_finalized (&probe);
  probe_clear (&probe);
}

/* After stop and the last unref, every object the backend made is gone:
 * services (root and plugin scoped), lifecycles, metadata, deps, and the
 * features it was given. */
static void
test_startup_stop_finalizes (void)
{
  g_autoptr(BkBackend) backend = NULL;
  Probe probe;

  probe_init (&probe);
  probe.rich = TRUE;
  backend = test_backend_new ("{}");
  bk_backend_add (backend, root_service_factory_new (&probe, "root-startup",
                                                     "root-before-shutdown", "root-shutdown"));
  bk_backend_add (backend, plugin_service_factory_new (&probe));
  bk_backend_add (backend, probe_plugin_new (&probe, "first", NULL, "first-startup",
                                             "first-shutdown"));
  bk_backend_add (backend, probe_module_new (&probe, "first", "mod", NULL));
  bk_backend_add (backend, probe_plugin_new (&probe, "second", NULL, NULL, NULL));
  probe_watch (&probe, backend);

  test_backend_start_ok (backend);
  /* One plugin-scoped service per plugin that asks (the module shares its
   * plugin's). */
  g_assert_cmpuint (probe_log_count (&probe, "plugin-service:first"), ==, 1);
  g_assert_cmpuint (probe_log_count (&probe, "plugin-service:second"), ==, 1);
  g_assert_cmpuint (probe_log_count (&probe, "root-service"), ==, 1);
  test_backend_stop_ok (backend);
  probe_assert_logged (&probe, "root-shutdown");

  g_clear_object (&backend);
  probe_assert_all_finalized (&probe);
  /* Several of each kind were watched: two plugins' lifecycles and metadata,
   * the root service, deps, features. */
  g_assert_cmpuint (probe.watched->len, >=, 14);
  probe_clear (&probe);
}

/* ------------------------------------------------------------------------ */
/* Rule 14: the backend's main context                                      */
/* ------------------------------------------------------------------------ */

static gboolean
flag_idle (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gpointer
worker_thread_main (gpointer user_data)
{
  Probe *probe = user_data;
  GMainContext *context = g_main_context_new ();
  g_autoptr(BkBackend) backend = NULL;
  GSource *guard;

  g_main_context_push_thread_default (context);
  probe->thread = g_thread_self ();
  probe->context = context;
  guard = test_guard_new (context, "backend in a worker thread");

  backend = test_backend_new ("{}");
  g_assert_true (bk_backend_get_main_context (backend) == context);
  bk_backend_add (backend, root_service_factory_new (probe, "root-startup",
                                                     "root-before-shutdown", "root-shutdown"));
  bk_backend_add (backend, plugin_service_factory_new (probe));
  bk_backend_add (backend, probe_plugin_new (probe, "worker", NULL, "plugin-startup",
                                             "plugin-shutdown"));
  bk_backend_add (backend, probe_module_new (probe, "worker", "mod", NULL));

  test_backend_start_ok (backend);
  test_backend_stop_ok (backend);
  g_clear_object (&backend);

  test_guard_free (guard);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return NULL;
}

static void
test_startup_thread_worker_context (void)
{
  gboolean default_iterated = FALSE;
  GThread *thread;
  guint idle_id;
  Probe probe;

  probe_init (&probe);
  probe.rich = TRUE;

  /* An idle on the global default context: the worker's backend must never
   * iterate that context, so it stays pending. */
  idle_id = g_idle_add (flag_idle, &default_iterated);

  thread = g_thread_new ("backend-worker", worker_thread_main, &probe);
  g_thread_join (thread);

  g_assert_false (default_iterated);
  g_source_remove (idle_id);

  /* The module's init needs test.pluginService, so it is made first. */
  probe_assert_log (&probe, "root-service,plugin-service:worker,init:worker/mod,init:worker,"
                    "plugin-startup,root-startup,"
                    "root-before-shutdown,plugin-shutdown,root-shutdown");
  /* Every callback above checked its thread and context:
   * 1 root factory + 2 registers + 1 plugin factory + 2 inits + 5 hooks. */
  g_assert_cmpuint (probe.n_thread_checks, ==, 11);

  probe_assert_all_finalized (&probe);
  probe_clear (&probe);
}

typedef struct
{
  BkBackend       *backend;
  GThread         *thread;
  gboolean         done;
  gboolean         ok;
  BkStartupResult *result;
  GError          *error;
} AsyncState;

static void
on_started (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  AsyncState *state = user_data;

  g_assert_true (source == G_OBJECT (state->backend));
  g_assert_true (g_thread_self () == state->thread);
  /* Dispatched by an iteration of the backend's context, the global default. */
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  state->ok = bk_backend_start_finish (state->backend, res, &state->result, &state->error);
  state->done = TRUE;
}

static void
on_stopped (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  AsyncState *state = user_data;

  g_assert_true (source == G_OBJECT (state->backend));
  g_assert_true (g_thread_self () == state->thread);
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  state->ok = bk_backend_stop_finish (state->backend, res, &state->error);
  state->done = TRUE;
}

static void
test_startup_thread_async_main_context (void)
{
  g_autoptr(BkBackend) backend = NULL;
  AsyncState state = { 0, };
  GSource *guard;
  Probe probe;

  probe_init (&probe);
  guard = test_guard_new (NULL, "bk_backend_start_async");
  backend = test_backend_new ("{}");
  g_assert_true (bk_backend_get_main_context (backend) == g_main_context_default ());
  bk_backend_add (backend, root_service_factory_new (&probe, "root-startup", NULL, "root-shutdown"));
  bk_backend_add (backend, probe_plugin_new (&probe, "test", NULL, "plugin-startup", NULL));

  state.backend = backend;
  state.thread = g_thread_self ();
  bk_backend_start_async (backend, NULL, on_started, &state);
  /* As everywhere in GIO, the callback never runs inside the _async call. */
  g_assert_false (state.done);
  while (!state.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (state.error);
  g_assert_true (state.ok);
  g_assert_nonnull (state.result);
  g_assert_true (bk_startup_result_is_success (state.result));
  g_clear_object (&state.result);
  probe_assert_log (&probe, "root-service,init:test,plugin-startup,root-startup");

  state.done = FALSE;
  state.ok = FALSE;
  bk_backend_stop_async (backend, NULL, on_stopped, &state);
  g_assert_false (state.done);
  while (!state.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (state.error);
  g_assert_true (state.ok);
  probe_assert_logged (&probe, "root-shutdown");

  test_guard_free (guard);
  g_clear_object (&backend);
  probe_assert_all_finalized (&probe);
  probe_clear (&probe);
}

/* ------------------------------------------------------------------------ */
/* Cancellation                                                             */
/* ------------------------------------------------------------------------ */

static void
test_startup_cancelled (void)
{
  g_autoptr(BkBackend) backend = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;
  Probe probe;

  probe_init (&probe);
  backend = test_backend_new ("{}");
  bk_backend_add (backend, probe_plugin_new (&probe, "test", NULL, NULL, NULL));

  g_cancellable_cancel (cancellable);
  ok = bk_backend_start (backend, cancellable, &result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (ok);

  test_backend_stop_ok (backend);
  g_clear_object (&result);
  g_clear_object (&backend);
  probe_assert_all_finalized (&probe);
  probe_clear (&probe);
}

/* ------------------------------------------------------------------------ */
/* bk_backend_run and a stop that arrives during the start                  */
/* ------------------------------------------------------------------------ */

typedef struct
{
  int      signum;
  gboolean shut_down;
} RunCase;

static gboolean
raise_signal (gpointer user_data)
{
  raise (GPOINTER_TO_INT (user_data));
  return G_SOURCE_REMOVE;
}

static gboolean
run_shutdown_hook (gpointer   user_data,
                   GError   **error)
{
  ((RunCase *) user_data)->shut_down = TRUE;
  return TRUE;
}

static gboolean
run_init (BkDeps   *deps,
          gpointer  user_data,
          GError  **error)
{
  RunCase *rc = user_data;

  if (!bk_lifecycle_add_hook (bk_deps_get (deps, BK_SERVICE_LIFECYCLE), BK_LIFECYCLE_PHASE_SHUTDOWN,
                              run_shutdown_hook, rc, NULL, error))
    return FALSE;
  /* Once the backend runs, the signal arrives as it would from outside. */
  g_idle_add (raise_signal, GINT_TO_POINTER (rc->signum));
  return TRUE;
}

static void
run_register (BkPluginEnv *env,
              gpointer     user_data)
{
  bk_plugin_env_register_init (env, run_init, user_data, NULL, BK_SERVICE_LIFECYCLE, NULL);
}

static void
test_startup_run_signal (gconstpointer data)
{
  RunCase rc = { GPOINTER_TO_INT (data), FALSE };
  g_autoptr(BkBackend) backend = test_backend_new ("{}");
  GSource *guard = test_guard_new (bk_backend_get_main_context (backend), "bk_backend_run");
  int status;

  bk_backend_add (backend, bk_plugin_new ("runner", run_register, &rc, NULL));
  status = bk_backend_run (backend, 0, NULL);
  test_guard_free (guard);

  g_assert_cmpint (status, ==, 0);
  g_assert_true (rc.shut_down);
}

static gboolean
failing_init (BkDeps   *deps,
              gpointer  user_data,
              GError  **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no database");
  return FALSE;
}

static void
failing_register (BkPluginEnv *env,
                  gpointer     user_data)
{
  bk_plugin_env_register_init (env, failing_init, NULL, NULL, NULL);
}

static void
test_startup_run_start_failure (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(BkBackend) backend = test_backend_new ("{}");

      bk_backend_add (backend, bk_plugin_new ("broken", failing_register, NULL, NULL));
      g_assert_cmpint (bk_backend_run (backend, 0, NULL), ==, 1);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*Backend startup failed due to the following errors:\n"
                             "  Plugin 'broken' startup failed; caused by no database*");
}

typedef struct
{
  GPtrArray *log;
  guint      done;
} StopDuringStart;

static gboolean
complete_init (gpointer user_data)
{
  GTask *task = user_data;

  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static void
slow_init (BkDeps   *deps,
           GTask    *task,
           gpointer  user_data)
{
  StopDuringStart *sd = user_data;

  g_ptr_array_add (sd->log, g_strdup ("init"));
  g_idle_add (complete_init, task);
}

static void
slow_register (BkPluginEnv *env,
               gpointer     user_data)
{
  bk_plugin_env_register_init_async (env, slow_init, user_data, NULL, NULL);
}

static void
stop_during_start_started (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  StopDuringStart *sd = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (bk_backend_start_finish (BK_BACKEND (source), result, NULL, &error));
  g_assert_no_error (error);
  g_ptr_array_add (sd->log, g_strdup ("started"));
  sd->done++;
}

static void
stop_during_start_stopped (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  StopDuringStart *sd = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (bk_backend_stop_finish (BK_BACKEND (source), result, &error));
  g_assert_no_error (error);
  g_ptr_array_add (sd->log, g_strdup ("stopped"));
  sd->done++;
}

static void
test_startup_stop_during_start (void)
{
  StopDuringStart sd = { g_ptr_array_new_with_free_func (g_free), 0 };
  g_autoptr(BkBackend) backend = test_backend_new ("{}");
  GSource *guard = test_guard_new (NULL, "stop during start");
  g_autofree char *joined = NULL;

  bk_backend_add (backend, bk_plugin_new ("slow", slow_register, &sd, NULL));
  bk_backend_start_async (backend, NULL, stop_during_start_started, &sd);
  bk_backend_stop_async (backend, NULL, stop_during_start_stopped, &sd);
  while (sd.done < 2)
    g_main_context_iteration (NULL, TRUE);
  test_guard_free (guard);

  g_ptr_array_add (sd.log, NULL);
  joined = g_strjoinv (",", (char **) sd.log->pdata);
  g_assert_cmpstr (joined, ==, "init,started,stopped");
  g_ptr_array_unref (sd.log);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (boot_failure_cases); i++)
    g_test_add_data_func_full (boot_failure_cases[i].path, (gpointer) &boot_failure_cases[i],
                               test_startup_boot_failure, NULL);

  g_test_add_func ("/startup/result/success", test_startup_result_success);
  g_test_add_func ("/startup/result/failure", test_startup_result_failure);
  g_test_add_func ("/startup/module-failure/plugin-init-runs", test_startup_module_failure_plugin_runs);

  for (guint i = 0; i < G_N_ELEMENTS (start_again_cases); i++)
    g_test_add_data_func (start_again_cases[i].path, &start_again_cases[i],
                          test_startup_state_start_again);
  g_test_add_func ("/startup/state/add-after-start", test_startup_state_add_after_start);
  g_test_add_func ("/startup/state/stop-idempotent", test_startup_state_stop_idempotent);
  g_test_add_func ("/startup/state/stop-before-start", test_startup_state_stop_before_start);
  g_test_add_func ("/startup/stop/rollback", test_startup_stop_rollback);
  g_test_add_func ("/startup/stop/finalizes", test_startup_stop_finalizes);

  g_test_add_func ("/startup/order/start", test_startup_order_start);
  g_test_add_func ("/startup/order/stop", test_startup_order_stop);
  g_test_add_func ("/startup/hooks/failure-logged", test_startup_hooks_failure_logged);
  g_test_add_func ("/startup/hooks/add-after-phase", test_startup_hooks_add_after_phase);

  g_test_add_func ("/startup/thread/worker-context", test_startup_thread_worker_context);
  g_test_add_func ("/startup/thread/async-main-context", test_startup_thread_async_main_context);

  g_test_add_func ("/startup/cancelled", test_startup_cancelled);

  g_test_add_data_func ("/startup/run/sigterm", GINT_TO_POINTER (SIGTERM), test_startup_run_signal);
  g_test_add_data_func ("/startup/run/sigint", GINT_TO_POINTER (SIGINT), test_startup_run_signal);
  g_test_add_func ("/startup/run/start-failure", test_startup_run_start_failure);
  g_test_add_func ("/startup/state/stop-during-start", test_startup_stop_during_start);

  return g_test_run ();
}
