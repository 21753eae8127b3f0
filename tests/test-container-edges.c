/* test-container-edges.c: corners of the container found in review —
 * multitons that fail or are completed late, cycles through multitons and
 * replaced defaults, a default getter that fails for several dependents,
 * two refs with one id, module cycles of three, async inits that use their
 * dependencies later.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbackend.h>
#include <libbackend-test-utils.h>

/* Refs (immortal, one per id) ---------------------------------------------- */

static BK_DEFINE_MULTITON_SERVICE_REF (ref_multi, "edge.multi", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, NULL)
static BK_DEFINE_SERVICE_REF (ref_a, "a", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, NULL)
static BK_DEFINE_SERVICE_REF (ref_b, "b", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, NULL)
static BK_DEFINE_MULTITON_SERVICE_REF (ref_m, "m", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, NULL)
static BK_DEFINE_SERVICE_REF (ref_x, "x", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, NULL)

static BkServiceFactory *
null_default (void)
{
  return NULL;
}

static BK_DEFINE_SERVICE_REF (ref_null, "edge.null", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, null_default)

static BK_DEFINE_EXTENSION_POINT (ep_a, "edge.ea", G_TYPE_OBJECT)
static BK_DEFINE_EXTENSION_POINT (ep_b, "edge.eb", G_TYPE_OBJECT)
static BK_DEFINE_EXTENSION_POINT (ep_c, "edge.ec", G_TYPE_OBJECT)

/* Helpers ---------------------------------------------------------------- */

static GObject *
create_object (BkDeps    *deps,
               gpointer   root_context,
               gpointer   user_data,
               GError   **error)
{
  return g_object_new (G_TYPE_OBJECT, NULL);
}

static GObject *
create_failing (BkDeps    *deps,
                gpointer   root_context,
                gpointer   user_data,
                GError   **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "NOPE");
  return NULL;
}

static gboolean
noop_init (BkDeps   *deps,
           gpointer  user_data,
           GError  **error)
{
  return TRUE;
}

static void
register_with_deps (BkPluginEnv *env,
                    gpointer     user_data)
{
  BkDependency **deps = user_data;
  guint n = 0;

  while (deps[n] != NULL)
    n++;
  bk_plugin_env_register_init_full (env, deps, n, noop_init, NULL, NULL);
}

static BkPlugin *
plugin_depending_on (const char   *plugin_id,
                     BkDependency *dep)
{
  BkDependency **deps = g_new0 (BkDependency *, 2);

  deps[0] = dep;
  return bk_plugin_new (plugin_id, register_with_deps, deps, g_free);
}

static BkBackend *
backend_new (void)
{
  return bk_backend_new_specialized (bk_mock_root_config_factory_new ("{}"),
                                     bk_mock_root_logger_factory_new (), NULL);
}

static void
assert_start_fails (BkBackend  *backend,
                    gint        code,
                    const char *message)
{
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_false (bk_backend_start (backend, NULL, &result, &error));
  g_assert_error (error, BK_BACKEND_ERROR, code);
  g_assert_cmpstr (error->message, ==, message);
  g_assert_true (bk_backend_stop (backend, NULL, NULL));
}

/* A multiton whose first factory fails: a clean error, no critical. */
static void
test_edges_multiton_failing_factory (void)
{
  g_autoptr(BkBackend) backend = backend_new ();

  bk_backend_add (backend, bk_service_factory_new (ref_multi (), create_failing, NULL, NULL, NULL));
  bk_backend_add (backend, bk_service_factory_new (ref_multi (), create_object, NULL, NULL, NULL));
  bk_backend_add (backend, plugin_depending_on ("p", BK_DEPENDENCY (ref_multi ())));

  assert_start_fails (backend, BK_BACKEND_ERROR_FACTORY_FAILED,
                      "Failed to instantiate service 'edge.multi' because the factory function threw an error, NOPE");
}

/* A loader that used a multiton may not add to it afterwards. */
static GPtrArray *
load_more_multi (BkDeps   *deps,
                 gpointer  user_data,
                 GError  **error)
{
  GPtrArray *features = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (features, bk_service_factory_new (ref_multi (), create_object, NULL, NULL, NULL));
  return features;
}

static void
test_edges_multiton_instantiated (void)
{
  g_autoptr(BkBackend) backend = backend_new ();

  bk_backend_add (backend, bk_service_factory_new (ref_multi (), create_object, NULL, NULL, NULL));
  bk_backend_add (backend, bk_feature_loader_new ("more", load_more_multi, NULL, NULL, ref_multi (), NULL));

  assert_start_fails (backend, BK_BACKEND_ERROR_SERVICE_OVERRIDE,
                      "Unable to set service factory with id edge.multi, service has already been instantiated");
}

/* A cycle through a multiton's factories is one cycle. */
static void
test_edges_cycle_through_multiton (void)
{
  g_autoptr(BkBackend) backend = backend_new ();

  bk_backend_add (backend, bk_service_factory_new (ref_m (), create_object, NULL, NULL, ref_x (), NULL));
  bk_backend_add (backend, bk_service_factory_new (ref_m (), create_object, NULL, NULL, ref_x (), NULL));
  bk_backend_add (backend, bk_service_factory_new (ref_x (), create_object, NULL, NULL, ref_m (), NULL));

  assert_start_fails (backend, BK_BACKEND_ERROR_CIRCULAR_DEPENDENCY,
                      "Circular dependencies detected:\n  'm' -> 'x' -> 'm'");
}

/* An added factory takes the place of the default it replaces. */
static void
test_edges_cycle_replaced_default (void)
{
  g_autoptr(BkBackend) backend = NULL;

  backend = bk_backend_new_specialized (bk_mock_root_config_factory_new ("{}"),
                                        bk_service_factory_new (ref_a (), create_object, NULL, NULL, ref_b (), NULL),
                                        bk_service_factory_new (ref_b (), create_object, NULL, NULL, ref_a (), NULL),
                                        NULL);
  bk_backend_add (backend, bk_service_factory_new (ref_a (), create_object, NULL, NULL, ref_b (), NULL));

  assert_start_fails (backend, BK_BACKEND_ERROR_CIRCULAR_DEPENDENCY,
                      "Circular dependencies detected:\n  'a' -> 'b' -> 'a'");
}

/* A default getter that returns NULL fails every dependent the same way. */
static void
test_edges_null_default_every_dependent (void)
{
  g_autoptr(BkBackend) backend = backend_new ();

  bk_backend_add (backend, plugin_depending_on ("p", BK_DEPENDENCY (ref_null ())));
  bk_backend_add (backend, plugin_depending_on ("q", BK_DEPENDENCY (ref_null ())));

  assert_start_fails (backend, BK_BACKEND_ERROR_STARTUP_FAILED,
                      "Backend startup failed due to the following errors:\n"
                      "  Plugin 'p' startup failed; caused by Failed to instantiate service 'edge.null' because the default factory loader threw an error, the default factory function returned NULL\n"
                      "  Plugin 'q' startup failed; caused by Failed to instantiate service 'edge.null' because the default factory loader threw an error, the default factory function returned NULL");
}

/* Two ref objects with one id are a programming mistake, reported. */
static void
test_edges_two_refs_one_id (void)
{
  static BkServiceRef *first, *second;
  g_autoptr(BkBackend) backend = backend_new ();

  if (first == NULL)
    {
      first = bk_service_ref_new ("edge.twice", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, FALSE, NULL);
      second = bk_service_ref_new ("edge.twice", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, FALSE, NULL);
    }
  bk_backend_add (backend, bk_service_factory_new (first, create_object, NULL, NULL, NULL));
  bk_backend_add (backend, bk_service_factory_new (second, create_object, NULL, NULL, NULL));

  assert_start_fails (backend, BK_BACKEND_ERROR_DUPLICATE_SERVICE,
                      "Two different service refs have the id 'edge.twice'; define each ref once "
                      "(BK_DEFINE_SERVICE_REF) and share its getter");
}

/* Three modules in a cycle, reported in Backstage's direction: from a
 * module to those that consume what it provides. */
typedef struct
{
  BkExtensionPoint *provides;
  BkExtensionPoint *consumes;
} ModuleSpec;

static void
register_cycle_module (BkModuleEnv *env,
                       gpointer     user_data)
{
  ModuleSpec *spec = user_data;
  g_autoptr(GObject) object = g_object_new (G_TYPE_OBJECT, NULL);

  bk_module_env_register_extension_point (env, spec->provides, object);
  bk_module_env_register_init (env, noop_init, NULL, NULL, spec->consumes, NULL);
}

static void
register_plain_plugin (BkPluginEnv *env,
                       gpointer     user_data)
{
  bk_plugin_env_register_init (env, noop_init, NULL, NULL, NULL);
}

static void
test_edges_module_cycle_of_three (void)
{
  ModuleSpec a = { ep_a (), ep_b () };
  ModuleSpec b = { ep_b (), ep_c () };
  ModuleSpec c = { ep_c (), ep_a () };
  g_autoptr(BkBackend) backend = backend_new ();

  bk_backend_add (backend, bk_plugin_new ("p", register_plain_plugin, NULL, NULL));
  bk_backend_add (backend, bk_module_new ("p", "a", register_cycle_module, &a, NULL));
  bk_backend_add (backend, bk_module_new ("p", "b", register_cycle_module, &b, NULL));
  bk_backend_add (backend, bk_module_new ("p", "c", register_cycle_module, &c, NULL));

  assert_start_fails (backend, BK_BACKEND_ERROR_STARTUP_FAILED,
                      "Backend startup failed due to the following errors:\n"
                      "  Plugin 'p' startup failed; caused by Circular dependency detected for modules of plugin 'p', 'a' -> 'c' -> 'b' -> 'a'");
}

/* An async init may use its dependencies until it completes its task. */
typedef struct
{
  BkDeps *deps;   /* not a reference: the backend keeps it alive */
  GTask  *task;
  char   *seen;
} LaterInit;

static gboolean
later_init_finish (gpointer user_data)
{
  LaterInit *later = user_data;
  BkPluginMetadata *metadata = bk_deps_get (later->deps, BK_SERVICE_PLUGIN_METADATA);

  later->seen = g_strdup (bk_plugin_metadata_get_id (metadata));
  g_task_return_boolean (later->task, TRUE);
  g_clear_object (&later->task);
  return G_SOURCE_REMOVE;
}

static void
later_init (BkDeps   *deps,
            GTask    *task,
            gpointer  user_data)
{
  LaterInit *later = user_data;

  later->deps = deps;
  later->task = task;
  g_idle_add (later_init_finish, later);
}

static void
later_register (BkPluginEnv *env,
                gpointer     user_data)
{
  bk_plugin_env_register_init_async (env, later_init, user_data, NULL, BK_SERVICE_PLUGIN_METADATA, NULL);
}

static void
test_edges_async_init_deps_lifetime (void)
{
  LaterInit later = { NULL, NULL, NULL };
  g_autoptr(BkBackend) backend = backend_new ();
  g_autoptr(GError) error = NULL;

  bk_backend_add (backend, bk_plugin_new ("later", later_register, &later, NULL));
  g_assert_true (bk_backend_start (backend, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (later.seen, ==, "later");
  g_assert_true (bk_backend_stop (backend, NULL, NULL));
  g_free (later.seen);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/edges/multiton/failing-factory", test_edges_multiton_failing_factory);
  g_test_add_func ("/edges/multiton/instantiated", test_edges_multiton_instantiated);
  g_test_add_func ("/edges/cycle/through-multiton", test_edges_cycle_through_multiton);
  g_test_add_func ("/edges/cycle/replaced-default", test_edges_cycle_replaced_default);
  g_test_add_func ("/edges/default-factory/null/every-dependent", test_edges_null_default_every_dependent);
  g_test_add_func ("/edges/ref/two-with-one-id", test_edges_two_refs_one_id);
  g_test_add_func ("/edges/module-cycle/three", test_edges_module_cycle_of_three);
  g_test_add_func ("/edges/deps/async-init-lifetime", test_edges_async_init_deps_lifetime);

  return g_test_run ();
}
