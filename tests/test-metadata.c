/* test-metadata.c
 *
 * Conformance tests for the metadata services (DESIGN.md §3): the
 * plugin-scoped `core.pluginMetadata` (the plugin id, for plugin inits,
 * module inits and plugin-scoped factories) and the root-scoped
 * `core.rootInstanceMetadata` (the instance id, the installed plugins and
 * their modules, in registration order).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <libbackend.h>
#include <libbackend-test-utils.h>

#include "test-util.h"

static BK_DEFINE_SERVICE_REF (test_plugin_service_ref, "test.pluginService",
                              G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)

typedef struct
{
  GPtrArray              *log;        /* char *: events in order */
  gboolean                use_service; /* inits also depend on test.pluginService */
  BkRootInstanceMetadata *instance;   /* the one every init received */
  guint                   n_instance_inits;
} State;

static void
state_init (State *state)
{
  memset (state, 0, sizeof *state);
  state->log = g_ptr_array_new_with_free_func (g_free);
}

static void
state_clear (State *state)
{
  g_clear_object (&state->instance);
  g_clear_pointer (&state->log, g_ptr_array_unref);
}

static char *
state_dup_log (State *state)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < state->log->len; i++)
    {
      if (i > 0)
        g_string_append_c (s, ',');
      g_string_append (s, g_ptr_array_index (state->log, i));
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static gboolean
state_logged (State      *state,
              const char *event)
{
  for (guint i = 0; i < state->log->len; i++)
    if (g_str_equal (g_ptr_array_index (state->log, i), event))
      return TRUE;
  return FALSE;
}

static void
assert_logged (State      *state,
               const char *event)
{
  if (!state_logged (state, event))
    {
      g_autofree char *actual = state_dup_log (state);

      g_error ("'%s' did not happen; the log is: %s", event, actual);
    }
}

static guint
log_count_prefix (State      *state,
                  const char *prefix)
{
  guint n = 0;

  for (guint i = 0; i < state->log->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (state->log, i), prefix))
      n++;
  return n;
}

/* The strv, joined with ',' ("(null)" for NULL), to compare with one
 * g_assert_cmpstr that prints both sides. */
static char *
join_ids (const char * const *ids)
{
  if (ids == NULL)
    return g_strdup ("(null)");
  return g_strjoinv (",", (char **) ids);
}

static void
assert_ids (const char * const *ids,
            const char         *expected)
{
  g_autofree char *actual = join_ids (ids);

  g_assert_cmpstr (actual, ==, expected);
}

/* ------------------------------------------------------------------------ */
/* Features                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct
{
  State *state;
  char  *plugin_id;
  char  *module_id;   /* NULL for a plugin */
} FeatureSpec;

static void
feature_spec_free (gpointer data)
{
  FeatureSpec *spec = data;

  g_free (spec->plugin_id);
  g_free (spec->module_id);
  g_free (spec);
}

static gboolean
feature_init (BkDeps   *deps,
              gpointer  user_data,
              GError  **error)
{
  FeatureSpec *spec = user_data;
  State *state = spec->state;
  BkPluginMetadata *metadata = bk_deps_get (deps, BK_SERVICE_PLUGIN_METADATA);
  BkRootInstanceMetadata *instance = bk_deps_get (deps, BK_SERVICE_ROOT_INSTANCE_METADATA);
  g_autofree char *event = NULL;

  g_assert_true (BK_IS_PLUGIN_METADATA (metadata));
  g_assert_true (BK_IS_ROOT_INSTANCE_METADATA (instance));

  /* A plugin's init, and its modules' inits, see the plugin's id. */
  if (spec->module_id != NULL)
    event = g_strdup_printf ("init:%s/%s saw %s", spec->plugin_id, spec->module_id,
                             bk_plugin_metadata_get_id (metadata));
  else
    event = g_strdup_printf ("init:%s saw %s", spec->plugin_id,
                             bk_plugin_metadata_get_id (metadata));
  g_ptr_array_add (state->log, g_steal_pointer (&event));

  /* The root instance metadata is one object for the whole backend. */
  if (state->instance == NULL)
    state->instance = g_object_ref (instance);
  g_assert_true (state->instance == instance);
  state->n_instance_inits++;

  if (state->use_service)
    {
      GObject *service = bk_deps_get (deps, test_plugin_service_ref ());

      g_assert_true (G_IS_OBJECT (service));
      /* The instance this plugin received was made for this plugin. */
      g_assert_cmpstr (g_object_get_data (service, "plugin-id"), ==, spec->plugin_id);
    }

  return TRUE;
}

static void
register_init (FeatureSpec *spec,
               BkPluginEnv *plugin_env,
               BkModuleEnv *module_env)
{
  BkDependency *deps[3];
  guint n_deps = 0;

  deps[n_deps++] = BK_DEPENDENCY (BK_SERVICE_PLUGIN_METADATA);
  deps[n_deps++] = BK_DEPENDENCY (BK_SERVICE_ROOT_INSTANCE_METADATA);
  if (spec->state->use_service)
    deps[n_deps++] = BK_DEPENDENCY (test_plugin_service_ref ());

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

static BkPlugin *
state_plugin_new (State      *state,
                  const char *plugin_id)
{
  FeatureSpec *spec = g_new0 (FeatureSpec, 1);

  spec->state = state;
  spec->plugin_id = g_strdup (plugin_id);
  return bk_plugin_new (plugin_id, register_plugin, spec, feature_spec_free);
}

static BkModule *
state_module_new (State      *state,
                  const char *plugin_id,
                  const char *module_id)
{
  FeatureSpec *spec = g_new0 (FeatureSpec, 1);

  spec->state = state;
  spec->plugin_id = g_strdup (plugin_id);
  spec->module_id = g_strdup (module_id);
  return bk_module_new (plugin_id, module_id, register_module, spec, feature_spec_free);
}

/* A plugin-scoped factory that depends on core.pluginMetadata: logs
 * "service for <id>" and tags its product with the id it saw. */
static GObject *
create_plugin_service (BkDeps   *deps,
                       gpointer  root_context,
                       gpointer  user_data,
                       GError  **error)
{
  State *state = user_data;
  BkPluginMetadata *metadata = bk_deps_get (deps, BK_SERVICE_PLUGIN_METADATA);
  GObject *service;

  g_assert_true (BK_IS_PLUGIN_METADATA (metadata));
  service = g_object_new (G_TYPE_OBJECT, NULL);
  g_object_set_data_full (service, "plugin-id",
                          g_strdup (bk_plugin_metadata_get_id (metadata)), g_free);
  g_ptr_array_add (state->log, g_strdup_printf ("service for %s",
                                                bk_plugin_metadata_get_id (metadata)));
  return service;
}

static void
stop_and_release (BkBackend **backend)
{
  test_backend_stop_ok (*backend);
  g_assert_finalize_object (g_steal_pointer (backend));
}

/* ------------------------------------------------------------------------ */
/* core.pluginMetadata                                                      */
/* ------------------------------------------------------------------------ */

static void
test_metadata_plugin_init (void)
{
  g_autoptr(BkBackend) backend = NULL;
  State state;

  state_init (&state);
  backend = test_backend_new ("{}");
  bk_backend_add (backend, state_plugin_new (&state, "alpha"));
  bk_backend_add (backend, state_plugin_new (&state, "beta"));
  bk_backend_add (backend, state_module_new (&state, "alpha", "mod"));
  bk_backend_add (backend, state_module_new (&state, "beta", "mod"));
  test_backend_start_ok (backend);

  assert_logged (&state, "init:alpha saw alpha");
  assert_logged (&state, "init:beta saw beta");
  assert_logged (&state, "init:alpha/mod saw alpha");
  assert_logged (&state, "init:beta/mod saw beta");
  g_assert_cmpuint (state.log->len, ==, 4);

  stop_and_release (&backend);
  state_clear (&state);
}

static void
test_metadata_plugin_factory (void)
{
  g_autoptr(BkBackend) backend = NULL;
  State state;

  state_init (&state);
  state.use_service = TRUE;
  backend = test_backend_new ("{}");
  bk_backend_add (backend, bk_service_factory_new (test_plugin_service_ref (), create_plugin_service,
                                                   &state, NULL,
                                                   BK_SERVICE_PLUGIN_METADATA, NULL));
  bk_backend_add (backend, state_plugin_new (&state, "alpha"));
  bk_backend_add (backend, state_plugin_new (&state, "beta"));
  bk_backend_add (backend, state_module_new (&state, "beta", "mod"));
  test_backend_start_ok (backend);

  /* Once per plugin, each with its own id (the module shares beta's). */
  assert_logged (&state, "service for alpha");
  assert_logged (&state, "service for beta");
  g_assert_cmpuint (log_count_prefix (&state, "service for "), ==, 2);
  assert_logged (&state, "init:alpha saw alpha");
  assert_logged (&state, "init:beta saw beta");
  assert_logged (&state, "init:beta/mod saw beta");

  stop_and_release (&backend);
  state_clear (&state);
}

/* ------------------------------------------------------------------------ */
/* core.rootInstanceMetadata                                                */
/* ------------------------------------------------------------------------ */

static void
test_metadata_instance_id (void)
{
  g_autoptr(BkBackend) backend = NULL;
  const char *id;
  State state;

  state_init (&state);
  backend = test_backend_new ("{}");
  bk_backend_add (backend, state_plugin_new (&state, "alpha"));
  bk_backend_add (backend, state_plugin_new (&state, "beta"));
  test_backend_start_ok (backend);

  /* Both plugins got the same root-scoped instance. */
  g_assert_cmpuint (state.n_instance_inits, ==, 2);
  g_assert_nonnull (state.instance);
  id = bk_root_instance_metadata_get_instance_id (state.instance);
  g_assert_nonnull (id);
  g_assert_cmpstr (id, !=, "");

  stop_and_release (&backend);
  state_clear (&state);
}

static void
test_metadata_instance_plugins (void)
{
  g_autoptr(BkBackend) backend = NULL;
  State state;

  state_init (&state);
  backend = test_backend_new ("{}");
  /* Registration order, deliberately not alphabetical, modules interleaved. */
  bk_backend_add (backend, state_plugin_new (&state, "zeta"));
  bk_backend_add (backend, state_module_new (&state, "zeta", "m2"));
  bk_backend_add (backend, state_plugin_new (&state, "alpha"));
  bk_backend_add (backend, state_module_new (&state, "zeta", "m1"));
  bk_backend_add (backend, state_plugin_new (&state, "mid"));
  bk_backend_add (backend, state_module_new (&state, "mid", "only"));
  test_backend_start_ok (backend);

  g_assert_nonnull (state.instance);
  assert_ids (bk_root_instance_metadata_get_plugin_ids (state.instance), "zeta,alpha,mid");
  assert_ids (bk_root_instance_metadata_get_module_ids (state.instance, "zeta"), "m2,m1");
  assert_ids (bk_root_instance_metadata_get_module_ids (state.instance, "alpha"), "");
  assert_ids (bk_root_instance_metadata_get_module_ids (state.instance, "mid"), "only");

  stop_and_release (&backend);
  state_clear (&state);
}

static void
test_metadata_instance_missing_plugin (void)
{
  g_autoptr(BkBackend) backend = NULL;
  State state;

  state_init (&state);
  backend = test_backend_new ("{}");
  bk_backend_add (backend, state_module_new (&state, "missing", "orphan"));
  bk_backend_add (backend, state_plugin_new (&state, "present"));
  bk_backend_add (backend, state_module_new (&state, "present", "mod"));
  bk_backend_add (backend, state_module_new (&state, "missing", "other-orphan"));
  test_backend_start_ok (backend);

  g_assert_nonnull (state.instance);
  assert_ids (bk_root_instance_metadata_get_plugin_ids (state.instance), "present");
  assert_ids (bk_root_instance_metadata_get_module_ids (state.instance, "present"), "mod");
  g_assert_null (bk_root_instance_metadata_get_module_ids (state.instance, "missing"));
  /* The skipped modules never ran. */
  g_assert_cmpuint (log_count_prefix (&state, "init:missing"), ==, 0);

  stop_and_release (&backend);
  state_clear (&state);
}

static void
test_metadata_instance_unknown_plugin (void)
{
  g_autoptr(BkBackend) backend = NULL;
  State state;

  state_init (&state);
  backend = test_backend_new ("{}");
  bk_backend_add (backend, state_plugin_new (&state, "known"));
  test_backend_start_ok (backend);

  g_assert_nonnull (state.instance);
  g_assert_null (bk_root_instance_metadata_get_module_ids (state.instance, "unknown"));
  /* Plugin ids are case-sensitive. */
  g_assert_null (bk_root_instance_metadata_get_module_ids (state.instance, "Known"));
  assert_ids (bk_root_instance_metadata_get_module_ids (state.instance, "known"), "");

  stop_and_release (&backend);
  state_clear (&state);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/metadata/plugin/init", test_metadata_plugin_init);
  g_test_add_func ("/metadata/plugin/factory", test_metadata_plugin_factory);
  g_test_add_func ("/metadata/instance/id", test_metadata_instance_id);
  g_test_add_func ("/metadata/instance/plugins", test_metadata_instance_plugins);
  g_test_add_func ("/metadata/instance/missing-plugin", test_metadata_instance_missing_plugin);
  g_test_add_func ("/metadata/instance/unknown-plugin", test_metadata_instance_unknown_plugin);

  return g_test_run ();
}
