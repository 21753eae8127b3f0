/* test-plugins.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Conformance tests for plugins, modules and extension points: DESIGN.md §2
 * rules 6, 7, 8 and 13, with the exact behaviour and messages of
 * docs/container.md (reference rules R21, R31–R36, R42–R44, R53–R55, R77).
 *
 * Every test records what ran in an "events" log (a GPtrArray of strings)
 * and checks its order and content; nothing sleeps: asynchronous inits
 * complete from main-context sources, which the sync wrappers
 * (bk_backend_start, bk_test_backend_launch) iterate.
 */

#include <libbackend.h>
#include <libbackend-test-utils.h>

#include "test-util.h"

#define ID_PATTERN_SUFFIX \
  ", must match the pattern /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/i " \
  "(letters, digits, and dashes only, starting with a letter)"

#define STARTUP_FAILED "Backend startup failed due to the following errors:\n"

/* ------------------------------------------------------------------------ */
/* The events log                                                           */
/* ------------------------------------------------------------------------ */

static GPtrArray *
events_new (void)
{
  return g_ptr_array_new_with_free_func (g_free);
}

static void events_add (GPtrArray  *events,
                        const char *format,
                        ...) G_GNUC_PRINTF (2, 3);

static void
events_add (GPtrArray  *events,
            const char *format,
            ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (events, g_strdup_vprintf (format, args));
  va_end (args);
}

/* Index of @entry in @events, or -1. */
static gint
events_find (GPtrArray  *events,
             const char *entry)
{
  guint idx;

  if (g_ptr_array_find_with_equal_func (events, entry, g_str_equal, &idx))
    return (gint) idx;
  return -1;
}

static guint
events_count_prefix (GPtrArray  *events,
                     const char *prefix)
{
  guint n = 0;

  for (guint i = 0; i < events->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (events, i), prefix))
      n++;
  return n;
}

static char *
events_join (GPtrArray *events)
{
  GString *str = g_string_new (NULL);

  for (guint i = 0; i < events->len; i++)
    {
      if (i > 0)
        g_string_append (str, ", ");
      g_string_append (str, g_ptr_array_index (events, i));
    }
  return g_string_free (str, FALSE);
}

static void
events_dump (GPtrArray *events)
{
  g_autofree char *joined = events_join (events);

  g_test_message ("events: %s", joined);
}

#define assert_event(events, entry) \
  G_STMT_START { \
    if (events_find ((events), (entry)) < 0) \
      { \
        g_autofree char *joined__ = events_join (events); \
        g_error ("expected event '%s' in [%s]", (entry), joined__); \
      } \
  } G_STMT_END

#define assert_no_event(events, entry) \
  G_STMT_START { \
    if (events_find ((events), (entry)) >= 0) \
      { \
        g_autofree char *joined__ = events_join (events); \
        g_error ("unexpected event '%s' in [%s]", (entry), joined__); \
      } \
  } G_STMT_END

/* Asserts that both events happened and @first came before @second. */
#define assert_before(events, first, second) \
  G_STMT_START { \
    assert_event ((events), (first)); \
    assert_event ((events), (second)); \
    if (events_find ((events), (first)) > events_find ((events), (second))) \
      { \
        g_autofree char *joined__ = events_join (events); \
        g_error ("expected '%s' before '%s' in [%s]", (first), (second), joined__); \
      } \
  } G_STMT_END

/* A log and a label, as closure data. */
typedef struct
{
  GPtrArray *events;
  char      *label;
  guint      delay_ms;
} Label;

static Label *
label_new (GPtrArray  *events,
           const char *label)
{
  Label *self = g_new0 (Label, 1);

  self->events = g_ptr_array_ref (events);
  self->label = g_strdup (label);
  return self;
}

static void
label_free (gpointer data)
{
  Label *self = data;

  g_ptr_array_unref (self->events);
  g_free (self->label);
  g_free (self);
}

/* ------------------------------------------------------------------------ */
/* TestCollector: the object behind the extension points of these tests     */
/* ------------------------------------------------------------------------ */

#define TEST_TYPE_COLLECTOR (test_collector_get_type ())
G_DECLARE_FINAL_TYPE (TestCollector, test_collector, TEST, COLLECTOR, GObject)

struct _TestCollector
{
  GObject    parent_instance;
  char      *tag;
  GPtrArray *items;
};

G_DEFINE_FINAL_TYPE (TestCollector, test_collector, G_TYPE_OBJECT)

static void
test_collector_finalize (GObject *object)
{
  TestCollector *self = TEST_COLLECTOR (object);

  g_free (self->tag);
  g_ptr_array_unref (self->items);

  G_OBJECT_CLASS (test_collector_parent_class)->finalize (object);
}

static void
test_collector_class_init (TestCollectorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_collector_finalize;
}

static void
test_collector_init (TestCollector *self)
{
  self->items = g_ptr_array_new_with_free_func (g_free);
}

static TestCollector *
test_collector_new (const char *tag)
{
  TestCollector *self = g_object_new (TEST_TYPE_COLLECTOR, NULL);

  self->tag = g_strdup (tag);
  return self;
}

static void
test_collector_add (TestCollector *self,
                    const char    *item)
{
  g_ptr_array_add (self->items, g_strdup (item));
}

static char *
test_collector_join (TestCollector *self)
{
  GString *str = g_string_new (NULL);

  for (guint i = 0; i < self->items->len; i++)
    {
      if (i > 0)
        g_string_append_c (str, ',');
      g_string_append (str, g_ptr_array_index (self->items, i));
    }
  return g_string_free (str, FALSE);
}

/* ------------------------------------------------------------------------ */
/* TestSubPlugin: a plugin written as a GObject subclass of BkPlugin that   */
/* is itself the implementation of its extension point                      */
/* ------------------------------------------------------------------------ */

#define TEST_TYPE_SUB_PLUGIN (test_sub_plugin_get_type ())
G_DECLARE_FINAL_TYPE (TestSubPlugin, test_sub_plugin, TEST, SUB_PLUGIN, BkPlugin)

struct _TestSubPlugin
{
  BkPlugin   parent_instance;
  GPtrArray *events;
  GPtrArray *items;
};

G_DEFINE_FINAL_TYPE (TestSubPlugin, test_sub_plugin, BK_TYPE_PLUGIN)

/* ------------------------------------------------------------------------ */
/* Extension points and service refs                                        */
/* ------------------------------------------------------------------------ */

static BK_DEFINE_EXTENSION_POINT (test_ep_x, "test.x", G_TYPE_OBJECT)
static BK_DEFINE_EXTENSION_POINT (test_ep_a, "test.a", G_TYPE_OBJECT)
static BK_DEFINE_EXTENSION_POINT (test_ep_b, "test.b", G_TYPE_OBJECT)
static BK_DEFINE_EXTENSION_POINT (test_ep_owned, "test.owned", G_TYPE_OBJECT)
static BK_DEFINE_EXTENSION_POINT (test_ep_shared, "test.shared", G_TYPE_OBJECT)
static BK_DEFINE_EXTENSION_POINT (test_ep_unregistered, "test.unregistered", G_TYPE_OBJECT)

static BK_DEFINE_SERVICE_REF (test_always_ref, "test.always", G_TYPE_OBJECT,
                              BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (test_missing_ref, "test.missing", G_TYPE_OBJECT,
                              BK_SERVICE_SCOPE_PLUGIN, NULL)

/* ------------------------------------------------------------------------ */
/* TestSubPlugin implementation                                             */
/* ------------------------------------------------------------------------ */

static void
test_sub_plugin_add (TestSubPlugin *self,
                     const char    *item)
{
  g_ptr_array_add (self->items, g_strdup (item));
}

static gboolean
test_sub_plugin_init_cb (BkDeps   *deps,
                         gpointer  user_data,
                         GError  **error)
{
  TestSubPlugin *self = user_data;
  BkPluginMetadata *metadata = bk_deps_get (deps, BK_SERVICE_PLUGIN_METADATA);
  GString *items = g_string_new (NULL);

  for (guint i = 0; i < self->items->len; i++)
    g_string_append_printf (items, "%s%s", i > 0 ? "," : "",
                            (const char *) g_ptr_array_index (self->items, i));
  events_add (self->events, "init:%s:%s", bk_plugin_metadata_get_id (metadata), items->str);
  g_string_free (items, TRUE);
  return TRUE;
}

static void
test_sub_plugin_register_plugin (BkPlugin    *plugin,
                                 BkPluginEnv *env)
{
  TestSubPlugin *self = TEST_SUB_PLUGIN (plugin);

  events_add (self->events, "register:%s", bk_plugin_env_get_plugin_id (env));
  bk_plugin_env_register_extension_point (env, test_ep_x (), G_OBJECT (self));
  bk_plugin_env_register_init (env, test_sub_plugin_init_cb, self, NULL,
                               BK_SERVICE_PLUGIN_METADATA, NULL);
}

static void
test_sub_plugin_finalize (GObject *object)
{
  TestSubPlugin *self = TEST_SUB_PLUGIN (object);

  g_clear_pointer (&self->events, g_ptr_array_unref);
  g_clear_pointer (&self->items, g_ptr_array_unref);

  G_OBJECT_CLASS (test_sub_plugin_parent_class)->finalize (object);
}

static void
test_sub_plugin_class_init (TestSubPluginClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_sub_plugin_finalize;
  BK_PLUGIN_CLASS (klass)->register_plugin = test_sub_plugin_register_plugin;
}

static void
test_sub_plugin_init (TestSubPlugin *self)
{
  self->items = g_ptr_array_new_with_free_func (g_free);
}

static TestSubPlugin *
test_sub_plugin_new (const char *plugin_id,
                     GPtrArray  *events)
{
  TestSubPlugin *self = g_object_new (TEST_TYPE_SUB_PLUGIN, "plugin-id", plugin_id, NULL);

  self->events = g_ptr_array_ref (events);
  return self;
}

/* ------------------------------------------------------------------------ */
/* Simple: a data-driven plugin or module                                   */
/* ------------------------------------------------------------------------ */

typedef enum
{
  SIMPLE_NORMAL,          /* provides (if any), then register-init */
  SIMPLE_NO_INIT,         /* never calls register-init */
  SIMPLE_INIT_TWICE,      /* calls register-init twice */
  SIMPLE_EP_AFTER_INIT,   /* register-init, then registers its extension point */
} SimpleMode;

typedef struct
{
  GPtrArray        *events;
  char             *label;
  GPtrArray        *deps;       /* BkDependency *, borrowed from static getters */
  BkExtensionPoint *provides;   /* registered with @provided as its object */
  TestCollector    *provided;
  SimpleMode        mode;
} Simple;

static Simple *
simple_new (GPtrArray  *events,
            const char *label)
{
  Simple *self = g_new0 (Simple, 1);

  self->events = g_ptr_array_ref (events);
  self->label = g_strdup (label);
  self->deps = g_ptr_array_new ();
  return self;
}

static void
simple_free (gpointer data)
{
  Simple *self = data;

  g_ptr_array_unref (self->events);
  g_free (self->label);
  g_ptr_array_unref (self->deps);
  g_clear_object (&self->provided);
  g_free (self);
}

static Simple *
simple_dep (Simple   *self,
            gpointer  dependency)
{
  g_assert (BK_IS_DEPENDENCY (dependency));
  g_ptr_array_add (self->deps, dependency);
  return self;
}

static Simple *
simple_provide (Simple           *self,
                BkExtensionPoint *extension_point)
{
  self->provides = extension_point;
  g_clear_object (&self->provided);
  self->provided = test_collector_new (self->label);
  return self;
}

static Simple *
simple_mode (Simple     *self,
             SimpleMode  mode)
{
  self->mode = mode;
  return self;
}

/* Logs:
 *   got:<label>:<ep-id>:<pointer>  for each extension point received
 *   tag:<label>:<tag>              when that object is a TestCollector
 *   provided:<label>:<items>       what its own extension point collected
 *   init:<label>
 * and adds its label to every collector (or TestSubPlugin) it received. */
static gboolean
simple_init (BkDeps   *deps,
             gpointer  user_data,
             GError  **error)
{
  Simple *self = user_data;

  for (guint i = 0; i < self->deps->len; i++)
    {
      BkDependency *dep = g_ptr_array_index (self->deps, i);
      GObject *object;

      if (!BK_IS_EXTENSION_POINT (dep))
        continue;

      object = bk_deps_get (deps, dep);
      g_assert_nonnull (object);
      events_add (self->events, "got:%s:%s:%p", self->label, bk_dependency_get_id (dep), object);
      if (TEST_IS_COLLECTOR (object))
        {
          events_add (self->events, "tag:%s:%s", self->label, TEST_COLLECTOR (object)->tag);
          test_collector_add (TEST_COLLECTOR (object), self->label);
        }
      else if (TEST_IS_SUB_PLUGIN (object))
        {
          test_sub_plugin_add (TEST_SUB_PLUGIN (object), self->label);
        }
    }

  if (self->provided != NULL)
    {
      g_autofree char *items = test_collector_join (self->provided);

      events_add (self->events, "provided:%s:%s", self->label, items);
    }

  events_add (self->events, "init:%s", self->label);
  return TRUE;
}

static void
simple_register_plugin (BkPluginEnv *env,
                        gpointer     user_data)
{
  Simple *self = user_data;
  BkDependency **deps = (BkDependency **) self->deps->pdata;

  if (self->provides != NULL && self->mode != SIMPLE_EP_AFTER_INIT)
    bk_plugin_env_register_extension_point (env, self->provides, G_OBJECT (self->provided));

  if (self->mode != SIMPLE_NO_INIT)
    bk_plugin_env_register_init_full (env, deps, self->deps->len, simple_init, self, NULL);

  if (self->mode == SIMPLE_INIT_TWICE)
    bk_plugin_env_register_init_full (env, deps, self->deps->len, simple_init, self, NULL);

  if (self->mode == SIMPLE_EP_AFTER_INIT)
    {
      g_assert_nonnull (self->provides);
      bk_plugin_env_register_extension_point (env, self->provides, G_OBJECT (self->provided));
    }
}

static void
simple_register_module (BkModuleEnv *env,
                        gpointer     user_data)
{
  Simple *self = user_data;
  BkDependency **deps = (BkDependency **) self->deps->pdata;

  if (self->provides != NULL && self->mode != SIMPLE_EP_AFTER_INIT)
    bk_module_env_register_extension_point (env, self->provides, G_OBJECT (self->provided));

  if (self->mode != SIMPLE_NO_INIT)
    bk_module_env_register_init_full (env, deps, self->deps->len, simple_init, self, NULL);

  if (self->mode == SIMPLE_INIT_TWICE)
    bk_module_env_register_init_full (env, deps, self->deps->len, simple_init, self, NULL);

  if (self->mode == SIMPLE_EP_AFTER_INIT)
    {
      g_assert_nonnull (self->provides);
      bk_module_env_register_extension_point (env, self->provides, G_OBJECT (self->provided));
    }
}

static BkPlugin *
simple_plugin (const char *plugin_id,
               Simple     *simple)
{
  return bk_plugin_new (plugin_id, simple_register_plugin, simple, simple_free);
}

static BkModule *
simple_module (const char *plugin_id,
               const char *module_id,
               Simple     *simple)
{
  return bk_module_new (plugin_id, module_id, simple_register_module, simple, simple_free);
}

/* ------------------------------------------------------------------------ */
/* Backends and results                                                     */
/* ------------------------------------------------------------------------ */

static BkBackend *
backend_new (const char *config_json)
{
  return bk_backend_new_specialized (bk_mock_root_config_factory_new (config_json),
                                     bk_mock_root_logger_factory_new (),
                                     NULL);
}

static GObject *
create_held_logger (BkDeps   *deps,
                    gpointer  root_context,
                    gpointer  user_data,
                    GError  **error)
{
  return g_object_ref (G_OBJECT (user_data));
}

/* A backend whose root logger is @logger, so the test can read it. */
static BkBackend *
backend_new_with_logger (const char   *config_json,
                         BkMockLogger *logger)
{
  BkServiceFactory *root_logger;

  root_logger = bk_service_factory_new (BK_SERVICE_ROOT_LOGGER, create_held_logger,
                                        g_object_ref (logger), g_object_unref, NULL);
  return bk_backend_new_specialized (bk_mock_root_config_factory_new (config_json),
                                     root_logger,
                                     NULL);
}

static BkFeatureResult *
plugin_result (BkStartupResult *result,
               const char      *plugin_id)
{
  BkFeatureResult *plugin;

  g_assert_nonnull (result);
  plugin = bk_startup_result_find_plugin (result, plugin_id);
  g_assert_nonnull (plugin);
  g_assert_cmpstr (bk_feature_result_get_plugin_id (plugin), ==, plugin_id);
  return plugin;
}

static BkFeatureResult *
module_result (BkStartupResult *result,
               const char      *plugin_id,
               const char      *module_id)
{
  BkFeatureResult *module;

  module = bk_feature_result_find_module (plugin_result (result, plugin_id), module_id);
  g_assert_nonnull (module);
  g_assert_cmpstr (bk_feature_result_get_module_id (module), ==, module_id);
  return module;
}

static void
assert_startup_failed (const GError *error,
                       const char   *message)
{
  g_assert_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_STARTUP_FAILED);
  g_assert_cmpstr (error->message, ==, message);
}

/* ------------------------------------------------------------------------ */
/* Rule 6: order inside a plugin                                            */
/* ------------------------------------------------------------------------ */

static GObject *
always_create (BkDeps   *deps,
               gpointer  root_context,
               gpointer  user_data,
               GError  **error)
{
  Label *label = user_data;
  BkPluginMetadata *metadata = bk_deps_get (deps, BK_SERVICE_PLUGIN_METADATA);

  events_add (label->events, "%s:%s", label->label, bk_plugin_metadata_get_id (metadata));
  return g_object_new (G_TYPE_OBJECT, NULL);
}

static gboolean
hook_log (gpointer   user_data,
          GError   **error)
{
  Label *label = user_data;

  events_add (label->events, "hook:%s", label->label);
  return TRUE;
}

static gboolean
lifecycle_init (BkDeps   *deps,
                gpointer  user_data,
                GError  **error)
{
  Label *label = user_data;
  BkLifecycle *lifecycle = bk_deps_get (deps, BK_SERVICE_LIFECYCLE);
  g_autoptr(GError) local_error = NULL;
  gboolean ok;

  g_assert_true (BK_IS_LIFECYCLE (lifecycle));
  events_add (label->events, "init:%s", label->label);
  ok = bk_lifecycle_add_hook (lifecycle, BK_LIFECYCLE_PHASE_STARTUP, hook_log,
                              label_new (label->events, label->label), label_free,
                              &local_error);
  g_assert_no_error (local_error);
  g_assert_true (ok);
  return TRUE;
}

static void
lifecycle_register_plugin (BkPluginEnv *env,
                           gpointer     user_data)
{
  bk_plugin_env_register_init (env, lifecycle_init, user_data, NULL, BK_SERVICE_LIFECYCLE, NULL);
}

static void
lifecycle_register_module (BkModuleEnv *env,
                           gpointer     user_data)
{
  bk_module_env_register_init (env, lifecycle_init, user_data, NULL, BK_SERVICE_LIFECYCLE, NULL);
}

static void
test_plugins_order_within_plugin (void)
{
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(BkBackend) backend = backend_new ("{}");
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  BkServiceFactory *always;
  gboolean ok;

  g_test_summary ("Rule 6: inside a plugin, its always services, then its modules, then its "
                  "init, then its startup hooks");

  always = bk_service_factory_new (test_always_ref (), always_create,
                                   label_new (events, "always"), label_free,
                                   BK_SERVICE_PLUGIN_METADATA, NULL);
  bk_service_factory_set_initialization (always, BK_SERVICE_INITIALIZATION_ALWAYS);
  bk_backend_add (backend, always);
  /* The module is added before its plugin: add order must not matter. */
  bk_backend_add (backend, bk_module_new ("p", "m", lifecycle_register_module,
                                          label_new (events, "m"), label_free));
  bk_backend_add (backend, bk_plugin_new ("p", lifecycle_register_plugin,
                                          label_new (events, "p"), label_free));

  ok = bk_backend_start (backend, NULL, &result, &error);
  events_dump (events);
  g_assert_no_error (error);
  g_assert_true (ok);

  g_assert_cmpuint (events->len, ==, 5);
  g_assert_cmpstr (g_ptr_array_index (events, 0), ==, "always:p");
  g_assert_cmpstr (g_ptr_array_index (events, 1), ==, "init:m");
  g_assert_cmpstr (g_ptr_array_index (events, 2), ==, "init:p");
  /* Both startup hooks (the module's and the plugin's) after the plugin's init. */
  g_assert_cmpint (events_find (events, "hook:m"), >, 2);
  g_assert_cmpint (events_find (events, "hook:p"), >, 2);

  g_assert_null (bk_feature_result_get_error (plugin_result (result, "p")));
  g_assert_null (bk_feature_result_get_error (module_result (result, "p", "m")));

  test_backend_stop_ok (backend);
}

/* Async consumers of an extension point that finish out of order. */

typedef struct
{
  GPtrArray     *events;
  char          *label;
  TestCollector *collector;
  GTask         *task;
} DelayedCompletion;

static gboolean
delayed_completion_cb (gpointer user_data)
{
  DelayedCompletion *completion = user_data;

  test_collector_add (completion->collector, completion->label);
  events_add (completion->events, "done:%s", completion->label);
  g_task_return_boolean (completion->task, TRUE);

  g_object_unref (completion->task);
  g_object_unref (completion->collector);
  g_ptr_array_unref (completion->events);
  g_free (completion->label);
  g_free (completion);
  return G_SOURCE_REMOVE;
}

static void
consumer_init_async (BkDeps   *deps,
                     GTask    *task,
                     gpointer  user_data)
{
  Label *label = user_data;
  TestCollector *collector = bk_deps_get (deps, test_ep_x ());
  DelayedCompletion *completion;

  g_assert_true (TEST_IS_COLLECTOR (collector));
  events_add (label->events, "start:%s", label->label);

  if (label->delay_ms == 0)
    {
      test_collector_add (collector, label->label);
      events_add (label->events, "done:%s", label->label);
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  completion = g_new0 (DelayedCompletion, 1);
  completion->events = g_ptr_array_ref (label->events);
  completion->label = g_strdup (label->label);
  completion->collector = g_object_ref (collector);
  completion->task = task;
  g_timeout_add (label->delay_ms, delayed_completion_cb, completion);
}

static void
consumer_register_module (BkModuleEnv *env,
                          gpointer     user_data)
{
  bk_module_env_register_init_async (env, consumer_init_async, user_data, NULL, test_ep_x (), NULL);
}

static void
test_plugins_order_extension_point_consumers (void)
{
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(BkBackend) backend = backend_new ("{}");
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Label *slow, *fast;
  gint provided_fast_slow, provided_slow_fast;
  gboolean ok;

  g_test_summary ("Rule 6, R31, R32: the module providing an extension point starts after "
                  "every (async) module using it has finished; the plugin's init after all "
                  "its modules");

  slow = label_new (events, "slow");
  slow->delay_ms = 50;
  fast = label_new (events, "fast");

  /* The plugin provides nothing; the provider is added first, so add order
   * alone would start it first. */
  bk_backend_add (backend, simple_plugin ("p", simple_new (events, "p")));
  bk_backend_add (backend, simple_module ("p", "provider",
                                          simple_provide (simple_new (events, "provider"),
                                                          test_ep_x ())));
  bk_backend_add (backend, bk_module_new ("p", "slow", consumer_register_module, slow, label_free));
  bk_backend_add (backend, bk_module_new ("p", "fast", consumer_register_module, fast, label_free));

  ok = bk_backend_start (backend, NULL, &result, &error);
  events_dump (events);
  g_assert_no_error (error);
  g_assert_true (ok);

  assert_before (events, "done:slow", "init:provider");
  assert_before (events, "done:fast", "init:provider");
  assert_before (events, "start:slow", "done:slow");
  assert_before (events, "start:fast", "done:fast");

  /* At its init, the provider's extension point holds both contributions. */
  provided_fast_slow = events_find (events, "provided:provider:fast,slow");
  provided_slow_fast = events_find (events, "provided:provider:slow,fast");
  g_assert_true (provided_fast_slow >= 0 || provided_slow_fast >= 0);

  /* The plugin's own init comes last. */
  g_assert_cmpstr (g_ptr_array_index (events, events->len - 1), ==, "init:p");

  test_backend_stop_ok (backend);
}

/* Plugins start concurrently: A's init completes only once B's has started,
 * and B's only once A's has started. */

typedef struct
{
  GPtrArray *events;
  GTask     *pending[2];
  gboolean   started[2];
  gboolean   timed_out;
  guint      guard_id;
} Rendezvous;

typedef struct
{
  Rendezvous *rendezvous;
  guint       idx;
} RendezvousArg;

static const char *const rendezvous_names[] = { "a", "b" };

static void
rendezvous_complete (Rendezvous *rendezvous,
                     guint       idx)
{
  GTask *task = g_steal_pointer (&rendezvous->pending[idx]);

  if (task == NULL)
    return;
  events_add (rendezvous->events, "done:%s", rendezvous_names[idx]);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
rendezvous_init_async (BkDeps   *deps,
                       GTask    *task,
                       gpointer  user_data)
{
  RendezvousArg *arg = user_data;
  Rendezvous *rendezvous = arg->rendezvous;
  guint other = 1 - arg->idx;

  events_add (rendezvous->events, "start:%s", rendezvous_names[arg->idx]);
  rendezvous->started[arg->idx] = TRUE;
  rendezvous->pending[arg->idx] = task;

  if (rendezvous->started[other])
    {
      rendezvous_complete (rendezvous, other);
      rendezvous_complete (rendezvous, arg->idx);
    }
}

static gboolean
rendezvous_timeout_cb (gpointer user_data)
{
  Rendezvous *rendezvous = user_data;

  rendezvous->timed_out = TRUE;
  rendezvous->guard_id = 0;
  for (guint i = 0; i < 2; i++)
    {
      GTask *task = g_steal_pointer (&rendezvous->pending[i]);

      if (task == NULL)
        continue;
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                               "plugin '%s' waited 5 s for the other plugin's init to start: "
                               "plugins do not start concurrently", rendezvous_names[i]);
      g_object_unref (task);
    }
  return G_SOURCE_REMOVE;
}

static void
rendezvous_register_plugin (BkPluginEnv *env,
                            gpointer     user_data)
{
  bk_plugin_env_register_init_async (env, rendezvous_init_async, user_data, NULL, NULL);
}

static void
test_plugins_order_concurrent (void)
{
  g_autoptr(GPtrArray) events = events_new ();
  Rendezvous rendezvous = { 0 };
  g_autoptr(BkBackend) backend = backend_new ("{}");
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  g_test_summary ("Rule 6: plugins start concurrently (async inits overlap)");

  rendezvous.events = events;
  for (guint i = 0; i < 2; i++)
    {
      RendezvousArg *arg = g_new0 (RendezvousArg, 1);

      arg->rendezvous = &rendezvous;
      arg->idx = i;
      bk_backend_add (backend, bk_plugin_new (rendezvous_names[i], rendezvous_register_plugin,
                                              arg, g_free));
    }

  /* Fails the test instead of hanging when the plugins start one by one. */
  rendezvous.guard_id = g_timeout_add_seconds (5, rendezvous_timeout_cb, &rendezvous);

  ok = bk_backend_start (backend, NULL, &result, &error);
  g_clear_handle_id (&rendezvous.guard_id, g_source_remove);
  events_dump (events);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_false (rendezvous.timed_out);

  assert_before (events, "start:a", "done:b");
  assert_before (events, "start:b", "done:a");

  test_backend_stop_ok (backend);
  g_clear_object (&backend);
  g_assert_null (rendezvous.pending[0]);
  g_assert_null (rendezvous.pending[1]);
}

/* ------------------------------------------------------------------------ */
/* Factory-style extension points                                           */
/* ------------------------------------------------------------------------ */

typedef struct
{
  GPtrArray *events;
  GPtrArray *contexts;   /* kept BkExtensionPointContexts, or NULL */
} FactoryState;

static GObject *
collector_factory (BkExtensionPointContext *context,
                   gpointer                 user_data)
{
  FactoryState *state = user_data;

  g_assert_true (BK_IS_EXTENSION_POINT_CONTEXT (context));
  events_add (state->events, "factory:%s/%s",
              bk_extension_point_context_get_plugin_id (context),
              bk_extension_point_context_get_module_id (context));
  if (state->contexts != NULL)
    g_ptr_array_add (state->contexts, g_object_ref (context));
  return G_OBJECT (test_collector_new (bk_extension_point_context_get_module_id (context)));
}

static gboolean
factory_plugin_init (BkDeps   *deps,
                     gpointer  user_data,
                     GError  **error)
{
  FactoryState *state = user_data;

  events_add (state->events, "init:p");
  if (state->contexts != NULL)
    {
      for (guint i = 0; i < state->contexts->len; i++)
        {
          g_autoptr(GError) nope = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "NOPE");

          bk_extension_point_context_report_module_failure (g_ptr_array_index (state->contexts, i),
                                                            nope);
        }
    }
  return TRUE;
}

static void
factory_register_plugin (BkPluginEnv *env,
                         gpointer     user_data)
{
  bk_plugin_env_register_extension_point_factory (env, test_ep_x (), collector_factory,
                                                  user_data, NULL);
  bk_plugin_env_register_init (env, factory_plugin_init, user_data, NULL, NULL);
}

static void
test_plugins_extension_point_factory (void)
{
  g_autoptr(GPtrArray) events = events_new ();
  FactoryState state = { events, NULL };
  g_autoptr(BkBackend) backend = backend_new ("{}");
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  g_test_summary ("R32: a factory-style extension point's factory is called once per consuming "
                  "module, with a context naming both, before the plugin's init; its product "
                  "goes to that module");

  bk_backend_add (backend, bk_plugin_new ("p", factory_register_plugin, &state, NULL));
  bk_backend_add (backend, simple_module ("p", "m1", simple_dep (simple_new (events, "m1"),
                                                                 test_ep_x ())));
  bk_backend_add (backend, simple_module ("p", "m2", simple_dep (simple_new (events, "m2"),
                                                                 test_ep_x ())));

  ok = bk_backend_start (backend, NULL, &result, &error);
  events_dump (events);
  g_assert_no_error (error);
  g_assert_true (ok);

  g_assert_cmpuint (events_count_prefix (events, "factory:"), ==, 2);
  assert_before (events, "factory:p/m1", "init:m1");
  assert_before (events, "factory:p/m2", "init:m2");
  /* Each module received the object made for it. */
  assert_event (events, "tag:m1:m1");
  assert_event (events, "tag:m2:m2");
  /* The plugin's init after every factory call and every module. */
  g_assert_cmpstr (g_ptr_array_index (events, events->len - 1), ==, "init:p");

  test_backend_stop_ok (backend);
  g_clear_object (&backend);
}

static void
test_plugins_extension_point_report_failure (gconstpointer data)
{
  gboolean allow = GPOINTER_TO_INT (data);
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(GPtrArray) contexts = g_ptr_array_new_with_free_func (g_object_unref);
  FactoryState state = { events, contexts };
  g_autoptr(BkBackend) backend = NULL;
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  BkFeatureResult *module;
  const GError *module_error;
  gboolean ok;

  g_test_summary ("Rule 9, R41: a plugin reports one of its modules failed after the fact, "
                  "through the context its extension point factory received");

  backend = backend_new (allow
                         ? "{\"backend\":{\"startup\":{\"plugins\":{\"p\":{\"modules\":"
                           "{\"m\":{\"onPluginModuleBootFailure\":\"continue\"}}}}}}}"
                         : "{}");
  bk_backend_add (backend, bk_plugin_new ("p", factory_register_plugin, &state, NULL));
  bk_backend_add (backend, simple_module ("p", "m", simple_dep (simple_new (events, "m"),
                                                                test_ep_x ())));

  ok = bk_backend_start (backend, NULL, &result, &error);
  events_dump (events);

  /* The module's init itself succeeded; the failure came from the plugin. */
  assert_before (events, "factory:p/m", "init:m");
  assert_before (events, "init:m", "init:p");
  g_assert_cmpuint (contexts->len, ==, 1);

  if (allow)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  else
    {
      assert_startup_failed (error, STARTUP_FAILED
                             "  Module 'm' for plugin 'p' startup failed; caused by NOPE");
      g_assert_false (ok);
    }

  g_assert_null (bk_feature_result_get_error (plugin_result (result, "p")));
  module = module_result (result, "p", "m");
  module_error = bk_feature_result_get_error (module);
  g_assert_nonnull (module_error);
  g_assert_cmpstr (module_error->message, ==, "NOPE");
  g_assert_cmpint (bk_feature_result_is_failure_allowed (module), ==, allow);

  test_backend_stop_ok (backend);
  g_clear_object (&backend);
}

/* ------------------------------------------------------------------------ */
/* Extension point dependency errors                                        */
/* ------------------------------------------------------------------------ */

static void
test_plugins_extension_point_module_cycle (void)
{
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(BkBackend) backend = backend_new ("{}");
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const GError *plugin_error;
  gboolean ok;

  g_test_summary ("Rule 6, R33: a cycle among a plugin's modules through extension points "
                  "fails that plugin and names the cycle");

  bk_backend_add (backend, simple_plugin ("p", simple_new (events, "p")));
  bk_backend_add (backend, simple_module ("p", "m1",
                                          simple_dep (simple_provide (simple_new (events, "m1"),
                                                                      test_ep_a ()),
                                                      test_ep_b ())));
  bk_backend_add (backend, simple_module ("p", "m2",
                                          simple_dep (simple_provide (simple_new (events, "m2"),
                                                                      test_ep_b ()),
                                                      test_ep_a ())));

  ok = bk_backend_start (backend, NULL, &result, &error);
  events_dump (events);
  assert_startup_failed (error, STARTUP_FAILED
                         "  Plugin 'p' startup failed; caused by Circular dependency detected "
                         "for modules of plugin 'p', 'm1' -> 'm2' -> 'm1'");
  g_assert_false (ok);

  plugin_error = bk_feature_result_get_error (plugin_result (result, "p"));
  g_assert_error (plugin_error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_CIRCULAR_DEPENDENCY);
  g_assert_cmpstr (plugin_error->message, ==,
                   "Circular dependency detected for modules of plugin 'p', 'm1' -> 'm2' -> 'm1'");
  g_assert_false (bk_feature_result_is_failure_allowed (plugin_result (result, "p")));

  test_backend_stop_ok (backend);
}

static void
test_plugins_extension_point_other_plugin (void)
{
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(BkBackend) backend = backend_new ("{}");
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const GError *module_error;
  gboolean ok;

  g_test_summary ("Rule 8, R34: a module may only use its own plugin's extension points");

  bk_backend_add (backend, simple_plugin ("owner", simple_provide (simple_new (events, "owner"),
                                                                   test_ep_owned ())));
  bk_backend_add (backend, simple_plugin ("p", simple_new (events, "p")));
  bk_backend_add (backend, simple_module ("p", "m", simple_dep (simple_new (events, "m"),
                                                                test_ep_owned ())));

  ok = bk_backend_start (backend, NULL, &result, &error);
  events_dump (events);
  assert_startup_failed (error, STARTUP_FAILED
                         "  Module 'm' for plugin 'p' startup failed; caused by Illegal "
                         "dependency: Module 'm' for plugin 'p' attempted to depend on extension "
                         "point 'test.owned' for plugin 'owner'. Extension points can only be used "
                         "within their plugin's scope.");
  g_assert_false (ok);

  module_error = bk_feature_result_get_error (module_result (result, "p", "m"));
  g_assert_error (module_error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_ILLEGAL_DEPENDENCY);
  g_assert_null (bk_feature_result_get_error (plugin_result (result, "owner")));
  g_assert_null (bk_feature_result_get_error (plugin_result (result, "p")));

  assert_no_event (events, "init:m");
  assert_event (events, "init:owner");
  /* A failed module does not stop its plugin. */
  assert_event (events, "init:p");

  test_backend_stop_ok (backend);
}

static void
test_plugins_extension_point_from_plugin (void)
{
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(BkBackend) backend = backend_new ("{}");
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const GError *plugin_error;
  gboolean ok;

  g_test_summary ("Rule 8, R35: a plugin may not depend on an extension point");

  bk_backend_add (backend, simple_plugin ("p",
                                          simple_dep (simple_provide (simple_new (events, "p"),
                                                                      test_ep_x ()),
                                                      test_ep_x ())));
  bk_backend_add (backend, simple_plugin ("q", simple_new (events, "q")));

  ok = bk_backend_start (backend, NULL, &result, &error);
  events_dump (events);
  assert_startup_failed (error, STARTUP_FAILED
                         "  Plugin 'p' startup failed; caused by Rejected dependency on extension "
                         "point test.x from outside of a module");
  g_assert_false (ok);

  plugin_error = bk_feature_result_get_error (plugin_result (result, "p"));
  g_assert_error (plugin_error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_ILLEGAL_DEPENDENCY);
  g_assert_null (bk_feature_result_get_error (plugin_result (result, "q")));
  assert_no_event (events, "init:p");
  assert_event (events, "init:q");

  test_backend_stop_ok (backend);
}

static void
test_plugins_extension_point_missing (gconstpointer data)
{
  gboolean with_service = GPOINTER_TO_INT (data);
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(BkBackend) backend = backend_new ("{}");
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cause = NULL;
  g_autofree char *expected = NULL;
  const GError *module_error;
  Simple *module;
  gboolean ok;

  g_test_summary ("R36: a module depending on an extension point nobody registered fails with "
                  "the missing refs listed");

  module = simple_new (events, "m");
  if (with_service)
    simple_dep (module, test_missing_ref ());
  simple_dep (module, test_ep_unregistered ());

  bk_backend_add (backend, simple_plugin ("p", simple_new (events, "p")));
  bk_backend_add (backend, simple_module ("p", "m", module));

  cause = g_strdup_printf ("Service or extension point dependencies of module 'm' for plugin 'p' "
                           "are missing for the following ref(s): %sextensionPoint{test.unregistered}",
                           with_service ? "serviceRef{test.missing}, " : "");
  expected = g_strdup_printf (STARTUP_FAILED "  Module 'm' for plugin 'p' startup failed; "
                              "caused by %s", cause);

  ok = bk_backend_start (backend, NULL, &result, &error);
  events_dump (events);
  assert_startup_failed (error, expected);
  g_assert_false (ok);

  module_error = bk_feature_result_get_error (module_result (result, "p", "m"));
  g_assert_error (module_error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_MISSING_DEPENDENCY);
  g_assert_cmpstr (module_error->message, ==, cause);
  assert_no_event (events, "init:m");
  assert_event (events, "init:p");

  test_backend_stop_ok (backend);
}

static void
test_plugins_extension_point_duplicate (gconstpointer data)
{
  gboolean allow = GPOINTER_TO_INT (data);
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(BkBackend) backend = NULL;
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const GError *b_error;
  gboolean ok;

  g_test_summary ("Rule 7, R44: a second extension point with an id already registered fails "
                  "the feature that registered it second; the first succeeds");

  backend = backend_new (allow
                         ? "{\"backend\":{\"startup\":{\"plugins\":{\"b\":"
                           "{\"onPluginBootFailure\":\"continue\"}}}}}"
                         : "{}");
  bk_backend_add (backend, simple_plugin ("a", simple_provide (simple_new (events, "a"),
                                                               test_ep_shared ())));
  bk_backend_add (backend, simple_plugin ("b", simple_provide (simple_new (events, "b"),
                                                               test_ep_shared ())));

  ok = bk_backend_start (backend, NULL, &result, &error);
  events_dump (events);
  if (allow)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  else
    {
      assert_startup_failed (error, STARTUP_FAILED
                             "  Plugin 'b' startup failed; caused by ExtensionPoint with ID "
                             "'test.shared' is already registered");
      g_assert_false (ok);
    }

  g_assert_null (bk_feature_result_get_error (plugin_result (result, "a")));
  b_error = bk_feature_result_get_error (plugin_result (result, "b"));
  g_assert_error (b_error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_DUPLICATE_FEATURE);
  g_assert_cmpstr (b_error->message, ==, "ExtensionPoint with ID 'test.shared' is already registered");
  g_assert_cmpint (bk_feature_result_is_failure_allowed (plugin_result (result, "b")), ==, allow);
  assert_event (events, "init:a");

  test_backend_stop_ok (backend);
}

/* ------------------------------------------------------------------------ */
/* Rule 7: modules without their plugin, duplicates                         */
/* ------------------------------------------------------------------------ */

static void
test_plugins_module_without_plugin_backend (void)
{
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(BkMockLogger) logger = bk_mock_logger_new ();
  g_autoptr(BkBackend) backend = backend_new_with_logger ("{}", logger);
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) warnings = NULL;
  g_autofree char *joined = NULL;
  gboolean ok;

  g_test_summary ("Rule 7, R21: a module whose plugin is not installed is skipped, with a "
                  "warning from the root logger naming both");

  bk_backend_add (backend, simple_plugin ("other", simple_new (events, "other")));
  bk_backend_add (backend, simple_module ("absent", "m", simple_new (events, "m")));

  ok = bk_backend_start (backend, NULL, &result, &error);
  events_dump (events);
  g_assert_no_error (error);
  g_assert_true (ok);

  assert_event (events, "init:other");
  assert_no_event (events, "init:m");

  warnings = bk_mock_logger_dup_messages (logger, BK_LOG_LEVEL_WARN);
  g_assert_nonnull (warnings);
  joined = g_strjoinv (" | ", warnings);
  g_test_message ("warnings: %s", joined);
  g_assert_true (g_strv_contains ((const char * const *) warnings,
                                  "Module 'm' for plugin 'absent' was skipped because plugin "
                                  "'absent' is not installed"));

  g_assert_null (bk_startup_result_find_plugin (result, "absent"));

  test_backend_stop_ok (backend);
}

static void
test_plugins_module_without_plugin_test_backend (void)
{
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(BkTestBackend) backend = bk_test_backend_new ();
  g_autoptr(GError) error = NULL;
  gboolean ok;

  g_test_summary ("Rule 7, R77: the test backend creates an empty plugin for a module tested "
                  "alone, so the module runs");

  bk_test_backend_add (backend, simple_module ("p", "m", simple_new (events, "m")));

  ok = bk_test_backend_launch (backend, &error);
  events_dump (events);
  g_assert_no_error (error);
  g_assert_true (ok);
  assert_event (events, "init:m");

  ok = bk_test_backend_stop (backend, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
test_plugins_duplicate_plugin (gconstpointer data)
{
  gboolean allow = GPOINTER_TO_INT (data);
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(BkBackend) backend = NULL;
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *plugins;
  BkFeatureResult *first, *second, *q;
  const GError *second_error;
  gboolean ok;

  g_test_summary ("Rule 7, R42: a second plugin with an id already registered fails; the first "
                  "and the other plugins still start");

  backend = backend_new (allow
                         ? "{\"backend\":{\"startup\":{\"plugins\":{\"p\":"
                           "{\"onPluginBootFailure\":\"continue\"}}}}}"
                         : "{}");
  bk_backend_add (backend, simple_plugin ("p", simple_new (events, "p#1")));
  bk_backend_add (backend, simple_plugin ("p", simple_new (events, "p#2")));
  bk_backend_add (backend, simple_plugin ("q", simple_new (events, "q")));

  ok = bk_backend_start (backend, NULL, &result, &error);
  events_dump (events);
  if (allow)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  else
    {
      assert_startup_failed (error, STARTUP_FAILED
                             "  Plugin 'p' startup failed; caused by Plugin 'p' is already registered");
      g_assert_false (ok);
    }

  assert_event (events, "init:p#1");
  assert_no_event (events, "init:p#2");
  assert_event (events, "init:q");

  /* Each plugin in registration order: the first p, the second p, q. */
  g_assert_nonnull (result);
  plugins = bk_startup_result_get_plugins (result);
  g_assert_cmpuint (plugins->len, ==, 3);
  first = g_ptr_array_index (plugins, 0);
  second = g_ptr_array_index (plugins, 1);
  q = g_ptr_array_index (plugins, 2);
  g_assert_cmpstr (bk_feature_result_get_plugin_id (first), ==, "p");
  g_assert_cmpstr (bk_feature_result_get_plugin_id (second), ==, "p");
  g_assert_cmpstr (bk_feature_result_get_plugin_id (q), ==, "q");
  g_assert_null (bk_feature_result_get_error (first));
  g_assert_null (bk_feature_result_get_error (q));
  second_error = bk_feature_result_get_error (second);
  g_assert_error (second_error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_DUPLICATE_FEATURE);
  g_assert_cmpstr (second_error->message, ==, "Plugin 'p' is already registered");
  g_assert_cmpint (bk_feature_result_is_failure_allowed (second), ==, allow);

  test_backend_stop_ok (backend);
}

static void
test_plugins_duplicate_module (void)
{
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(BkBackend) backend = backend_new ("{}");
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *modules;
  guint n_ok = 0, n_failed = 0;
  gboolean ok;

  g_test_summary ("Rule 7, R43: a second module with the same (plugin, module) ids fails; the "
                  "first and the plugin still start");

  bk_backend_add (backend, simple_plugin ("p", simple_new (events, "p")));
  bk_backend_add (backend, simple_module ("p", "m", simple_new (events, "m#1")));
  bk_backend_add (backend, simple_module ("p", "m", simple_new (events, "m#2")));

  ok = bk_backend_start (backend, NULL, &result, &error);
  events_dump (events);
  assert_startup_failed (error, STARTUP_FAILED
                         "  Module 'm' for plugin 'p' startup failed; caused by Module 'm' for "
                         "plugin 'p' is already registered");
  g_assert_false (ok);

  assert_event (events, "init:p");
  assert_event (events, "init:m#1");
  assert_no_event (events, "init:m#2");

  g_assert_null (bk_feature_result_get_error (plugin_result (result, "p")));
  modules = bk_feature_result_get_modules (plugin_result (result, "p"));
  for (guint i = 0; i < modules->len; i++)
    {
      BkFeatureResult *module = g_ptr_array_index (modules, i);
      const GError *module_error = bk_feature_result_get_error (module);

      g_assert_cmpstr (bk_feature_result_get_module_id (module), ==, "m");
      if (module_error == NULL)
        {
          n_ok++;
          continue;
        }
      n_failed++;
      g_assert_error (module_error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_DUPLICATE_FEATURE);
      g_assert_cmpstr (module_error->message, ==, "Module 'm' for plugin 'p' is already registered");
      g_assert_false (bk_feature_result_is_failure_allowed (module));
    }
  g_assert_cmpuint (n_ok, ==, 1);
  g_assert_cmpuint (n_failed, ==, 1);

  test_backend_stop_ok (backend);
}

/* ------------------------------------------------------------------------ */
/* Rule 8: registration rules                                               */
/* ------------------------------------------------------------------------ */

typedef struct
{
  SimpleMode  mode;
  gboolean    module;
  const char *cause;
} RegistrationCase;

static const RegistrationCase registration_cases[] = {
  { SIMPLE_NO_INIT, FALSE, "registerInit was not called by register in p" },
  { SIMPLE_NO_INIT, TRUE, "registerInit was not called by register in m module for p" },
  { SIMPLE_INIT_TWICE, FALSE, "registerInit must only be called once" },
  { SIMPLE_INIT_TWICE, TRUE, "registerInit must only be called once" },
  { SIMPLE_EP_AFTER_INIT, FALSE, "registerExtensionPoint called after registerInit" },
  { SIMPLE_EP_AFTER_INIT, TRUE, "registerExtensionPoint called after registerInit" },
};

static const char *const registration_case_names[] = {
  "no-init/plugin",
  "no-init/module",
  "init-twice/plugin",
  "init-twice/module",
  "extension-point-after-init/plugin",
  "extension-point-after-init/module",
};

static void
test_plugins_registration (gconstpointer data)
{
  const RegistrationCase *tc = data;
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(BkBackend) backend = backend_new ("{}");
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  Simple *broken;
  BkFeatureResult *failed;
  const GError *failed_error;
  gboolean ok;

  g_test_summary ("Rule 8, R53, R54: register must call register-init exactly once and "
                  "register extension points before it; otherwise that plugin or module fails "
                  "to boot");

  broken = simple_mode (simple_new (events, tc->module ? "m" : "p"), tc->mode);
  if (tc->mode == SIMPLE_EP_AFTER_INIT)
    simple_provide (broken, test_ep_x ());

  if (tc->module)
    {
      bk_backend_add (backend, simple_plugin ("p", simple_new (events, "p")));
      bk_backend_add (backend, simple_module ("p", "m", broken));
      expected = g_strdup_printf (STARTUP_FAILED "  Module 'm' for plugin 'p' startup failed; "
                                  "caused by %s", tc->cause);
    }
  else
    {
      bk_backend_add (backend, simple_plugin ("p", broken));
      expected = g_strdup_printf (STARTUP_FAILED "  Plugin 'p' startup failed; caused by %s",
                                  tc->cause);
    }
  /* Another plugin is not affected. */
  bk_backend_add (backend, simple_plugin ("q", simple_new (events, "q")));

  ok = bk_backend_start (backend, NULL, &result, &error);
  events_dump (events);
  assert_startup_failed (error, expected);
  g_assert_false (ok);

  failed = tc->module ? module_result (result, "p", "m") : plugin_result (result, "p");
  failed_error = bk_feature_result_get_error (failed);
  g_assert_error (failed_error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_REGISTRATION);
  g_assert_cmpstr (failed_error->message, ==, tc->cause);
  g_assert_null (bk_feature_result_get_error (plugin_result (result, "q")));
  assert_event (events, "init:q");
  if (tc->module)
    {
      /* A failed module does not stop its plugin. */
      g_assert_null (bk_feature_result_get_error (plugin_result (result, "p")));
      assert_event (events, "init:p");
    }

  test_backend_stop_ok (backend);
}

/* ------------------------------------------------------------------------ */
/* Rule 13: ids                                                             */
/* ------------------------------------------------------------------------ */

typedef struct
{
  const char *name;
  const char *id;
} IdCase;

static const IdCase invalid_ids[] = {
  { "empty", "" },
  { "leading-digit", "1abc" },
  { "double-dash", "a--b" },
  { "trailing-dash", "a-" },
  { "leading-dash", "-a" },
  { "underscore", "a_b" },
  { "underscore-word", "bad_id" },
  { "space", "a b" },
  { "dot", "a.b" },
  { "colon-ampersand", "invalid:module&id" },
};

static const IdCase valid_ids[] = {
  { "single-letter", "a" },
  { "lowercase", "abc123" },
  { "dashed", "x1-y2-z3" },
  { "mixed-case", "MyPlugin" },
  { "mixed-case-dashed", "a-B-3" },
};

static void
test_plugins_id_invalid_plugin (gconstpointer data)
{
  const IdCase *tc = data;
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(BkBackend) backend = backend_new ("{}");
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) validate_error = NULL;
  g_autofree char *expected = NULL;
  gboolean ok;

  g_test_summary ("Rule 13, R55: an invalid plugin id fails the start as a whole, with the "
                  "pattern in the message");

  expected = g_strdup_printf ("Invalid pluginId '%s'" ID_PATTERN_SUFFIX, tc->id);

  g_assert_false (bk_validate_id (tc->id, NULL, &validate_error));
  g_assert_error (validate_error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_INVALID_ID);
  g_assert_cmpstr (validate_error->message, ==, expected);

  bk_backend_add (backend, simple_plugin (tc->id, simple_new (events, "plugin")));
  bk_backend_add (backend, simple_plugin ("other", simple_new (events, "other")));

  ok = bk_backend_start (backend, NULL, &result, &error);
  events_dump (events);
  g_assert_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_INVALID_ID);
  g_assert_cmpstr (error->message, ==, expected);
  g_assert_false (ok);
  /* Planned before anything runs: no init ran. */
  g_assert_cmpuint (events->len, ==, 0);

  test_backend_stop_ok (backend);
}

static void
test_plugins_id_invalid_module (gconstpointer data)
{
  const IdCase *tc = data;
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(BkBackend) backend = backend_new ("{}");
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) validate_error = NULL;
  g_autofree char *expected = NULL;
  gboolean ok;

  g_test_summary ("Rule 13, R55: an invalid module id fails the start as a whole, with the "
                  "pattern in the message");

  expected = g_strdup_printf ("Invalid moduleId '%s' for plugin 'test'" ID_PATTERN_SUFFIX, tc->id);

  g_assert_false (bk_validate_id ("test", tc->id, &validate_error));
  g_assert_error (validate_error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_INVALID_ID);
  g_assert_cmpstr (validate_error->message, ==, expected);

  bk_backend_add (backend, simple_plugin ("test", simple_new (events, "test")));
  bk_backend_add (backend, simple_module ("test", tc->id, simple_new (events, "module")));

  ok = bk_backend_start (backend, NULL, &result, &error);
  events_dump (events);
  g_assert_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_INVALID_ID);
  g_assert_cmpstr (error->message, ==, expected);
  g_assert_false (ok);
  g_assert_cmpuint (events->len, ==, 0);

  test_backend_stop_ok (backend);
}

static void
test_plugins_id_valid (gconstpointer data)
{
  const IdCase *tc = data;
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(BkBackend) backend = backend_new ("{}");
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  g_test_summary ("Rule 13: valid ids, including mixed case, are accepted");

  g_assert_true (bk_validate_id (tc->id, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (bk_validate_id (tc->id, tc->id, &error));
  g_assert_no_error (error);

  bk_backend_add (backend, simple_plugin (tc->id, simple_new (events, "plugin")));
  bk_backend_add (backend, simple_module (tc->id, tc->id, simple_new (events, "module")));

  ok = bk_backend_start (backend, NULL, &result, &error);
  events_dump (events);
  g_assert_no_error (error);
  g_assert_true (ok);
  assert_before (events, "init:module", "init:plugin");
  g_assert_null (bk_feature_result_get_error (module_result (result, tc->id, tc->id)));

  test_backend_stop_ok (backend);
}

static void
test_plugins_id_validate (void)
{
  g_autoptr(GError) error = NULL;

  g_test_summary ("Rule 13: bk_validate_id checks a plugin id, and a module id with its plugin's");

  g_assert_true (bk_validate_id ("catalog", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (bk_validate_id ("catalog", "github-provider", &error));
  g_assert_no_error (error);
  g_assert_true (bk_validate_id ("MyPlugin", "a-B-3", &error));
  g_assert_no_error (error);

  g_assert_false (bk_validate_id ("bad_id", NULL, &error));
  g_assert_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_INVALID_ID);
  g_assert_cmpstr (error->message, ==, "Invalid pluginId 'bad_id'" ID_PATTERN_SUFFIX);
  g_clear_error (&error);

  g_assert_false (bk_validate_id ("test", "invalid:module&id", &error));
  g_assert_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_INVALID_ID);
  g_assert_cmpstr (error->message, ==,
                   "Invalid moduleId 'invalid:module&id' for plugin 'test'" ID_PATTERN_SUFFIX);
  g_clear_error (&error);

  /* NULL error is allowed. */
  g_assert_false (bk_validate_id ("a-", NULL, NULL));
  g_assert_false (bk_validate_id ("test", "a--b", NULL));
}

/* ------------------------------------------------------------------------ */
/* The derivable form, and BkTestBackend's extension points                 */
/* ------------------------------------------------------------------------ */

static void
test_plugins_subclass (void)
{
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(BkBackend) backend = backend_new ("{}");
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TestSubPlugin *plugin;
  gboolean ok;

  g_test_summary ("A plugin written as a subclass of BkPlugin (plugin-id construct property, "
                  "register_plugin override) works, and may be its own extension point");

  plugin = test_sub_plugin_new ("sub", events);
  g_assert_true (BK_IS_PLUGIN (plugin));
  g_assert_cmpstr (bk_plugin_get_plugin_id (BK_PLUGIN (plugin)), ==, "sub");

  bk_backend_add (backend, plugin);
  bk_backend_add (backend, simple_module ("sub", "m", simple_dep (simple_new (events, "m"),
                                                                  test_ep_x ())));

  ok = bk_backend_start (backend, NULL, &result, &error);
  events_dump (events);
  g_assert_no_error (error);
  g_assert_true (ok);

  g_assert_cmpstr (g_ptr_array_index (events, 0), ==, "register:sub");
  /* The module received the plugin object itself and added to it before the plugin's init. */
  assert_before (events, "init:m", "init:sub:m");
  g_assert_null (bk_feature_result_get_error (plugin_result (result, "sub")));

  test_backend_stop_ok (backend);
}

static void
test_plugins_test_backend_extension_point (void)
{
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(BkTestBackend) backend = bk_test_backend_new ();
  g_autoptr(TestCollector) implementation = test_collector_new ("given");
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *items = NULL;
  gboolean ok;

  g_test_summary ("R80: the test backend hands an extension point implementation to the module "
                  "under test");

  bk_test_backend_add_extension_point (backend, test_ep_x (), G_OBJECT (implementation));
  bk_test_backend_add (backend, simple_module ("p", "m", simple_dep (simple_new (events, "m"),
                                                                     test_ep_x ())));

  ok = bk_test_backend_launch (backend, &error);
  events_dump (events);
  g_assert_no_error (error);
  g_assert_true (ok);

  expected = g_strdup_printf ("got:m:test.x:%p", (gpointer) implementation);
  assert_event (events, expected);
  assert_event (events, "tag:m:given");
  items = test_collector_join (implementation);
  g_assert_cmpstr (items, ==, "m");

  /* Only the test backend's references remain at stop. */
  g_clear_object (&implementation);
  ok = bk_test_backend_stop (backend, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

/* ------------------------------------------------------------------------ */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/plugins/order/within-plugin", test_plugins_order_within_plugin);
  g_test_add_func ("/plugins/order/extension-point-consumers-first",
                   test_plugins_order_extension_point_consumers);
  g_test_add_func ("/plugins/order/concurrent-plugins", test_plugins_order_concurrent);

  g_test_add_func ("/plugins/extension-point/factory", test_plugins_extension_point_factory);
  g_test_add_data_func ("/plugins/extension-point/report-module-failure/abort",
                        GINT_TO_POINTER (FALSE), test_plugins_extension_point_report_failure);
  g_test_add_data_func ("/plugins/extension-point/report-module-failure/continue",
                        GINT_TO_POINTER (TRUE), test_plugins_extension_point_report_failure);
  g_test_add_func ("/plugins/extension-point/module-cycle",
                   test_plugins_extension_point_module_cycle);
  g_test_add_func ("/plugins/extension-point/other-plugin",
                   test_plugins_extension_point_other_plugin);
  g_test_add_func ("/plugins/extension-point/from-plugin",
                   test_plugins_extension_point_from_plugin);
  g_test_add_data_func ("/plugins/extension-point/missing/extension-point",
                        GINT_TO_POINTER (FALSE), test_plugins_extension_point_missing);
  g_test_add_data_func ("/plugins/extension-point/missing/service-and-extension-point",
                        GINT_TO_POINTER (TRUE), test_plugins_extension_point_missing);
  g_test_add_data_func ("/plugins/extension-point/duplicate/abort",
                        GINT_TO_POINTER (FALSE), test_plugins_extension_point_duplicate);
  g_test_add_data_func ("/plugins/extension-point/duplicate/continue",
                        GINT_TO_POINTER (TRUE), test_plugins_extension_point_duplicate);

  g_test_add_func ("/plugins/module/without-plugin/backend",
                   test_plugins_module_without_plugin_backend);
  g_test_add_func ("/plugins/module/without-plugin/test-backend",
                   test_plugins_module_without_plugin_test_backend);
  g_test_add_data_func ("/plugins/duplicate/plugin/abort",
                        GINT_TO_POINTER (FALSE), test_plugins_duplicate_plugin);
  g_test_add_data_func ("/plugins/duplicate/plugin/continue",
                        GINT_TO_POINTER (TRUE), test_plugins_duplicate_plugin);
  g_test_add_func ("/plugins/duplicate/module", test_plugins_duplicate_module);

  for (guint i = 0; i < G_N_ELEMENTS (registration_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/plugins/registration/%s",
                                               registration_case_names[i]);

      g_test_add_data_func_full (path, (gpointer) &registration_cases[i],
                                 test_plugins_registration, NULL);
    }

  for (guint i = 0; i < G_N_ELEMENTS (invalid_ids); i++)
    {
      g_autofree char *plugin_path = g_strdup_printf ("/plugins/id/invalid/plugin/%s",
                                                      invalid_ids[i].name);
      g_autofree char *module_path = g_strdup_printf ("/plugins/id/invalid/module/%s",
                                                      invalid_ids[i].name);

      g_test_add_data_func_full (plugin_path, (gpointer) &invalid_ids[i],
                                 test_plugins_id_invalid_plugin, NULL);
      g_test_add_data_func_full (module_path, (gpointer) &invalid_ids[i],
                                 test_plugins_id_invalid_module, NULL);
    }
  for (guint i = 0; i < G_N_ELEMENTS (valid_ids); i++)
    {
      g_autofree char *path = g_strdup_printf ("/plugins/id/valid/%s", valid_ids[i].name);

      g_test_add_data_func_full (path, (gpointer) &valid_ids[i], test_plugins_id_valid, NULL);
    }
  g_test_add_func ("/plugins/id/validate", test_plugins_id_validate);

  g_test_add_func ("/plugins/subclass", test_plugins_subclass);
  g_test_add_func ("/plugins/test-backend/extension-point",
                   test_plugins_test_backend_extension_point);

  return g_test_run ();
}
