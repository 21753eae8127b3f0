/* test-registry.c: conformance tests of the service registry
 *
 * DESIGN.md §2 rules 1–5, as pinned down by docs/container.md (which wins
 * where it differs from Backstage): once per scope, scopes, plan before run,
 * overrides and multitons, eager and lazy factories, error decoration, and
 * BkServiceFactoryTester.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbackend.h>
#include <libbackend-test-utils.h>

/* ------------------------------------------------------------------------ */
/* Test service types                                                       */
/* ------------------------------------------------------------------------ */

/* A service instance the tests can tell apart: the value its factory gave it,
 * the plugin it was made for, and its first declared dependency. */
#define TEST_TYPE_THING (test_thing_get_type ())
G_DECLARE_FINAL_TYPE (TestThing, test_thing, TEST, THING, GObject)

struct _TestThing
{
  GObject   parent_instance;
  int       value;
  char     *plugin_id;
  GObject  *dep;
};

G_DEFINE_FINAL_TYPE (TestThing, test_thing, G_TYPE_OBJECT)

static void
test_thing_dispose (GObject *object)
{
  TestThing *self = TEST_THING (object);

  g_clear_object (&self->dep);

  G_OBJECT_CLASS (test_thing_parent_class)->dispose (object);
}

static void
test_thing_finalize (GObject *object)
{
  TestThing *self = TEST_THING (object);

  g_clear_pointer (&self->plugin_id, g_free);

  G_OBJECT_CLASS (test_thing_parent_class)->finalize (object);
}

static void
test_thing_class_init (TestThingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = test_thing_dispose;
  object_class->finalize = test_thing_finalize;
}

static void
test_thing_init (TestThing *self)
{
}

/* An interface TestThing does not implement (type-mismatch tests). */
#define TEST_TYPE_IFACE (test_iface_get_type ())
G_DECLARE_INTERFACE (TestIface, test_iface, TEST, IFACE, GObject)

struct _TestIfaceInterface
{
  GTypeInterface parent_iface;
};

G_DEFINE_INTERFACE (TestIface, test_iface, G_TYPE_OBJECT)

static void
test_iface_default_init (TestIfaceInterface *iface)
{
}

/* ------------------------------------------------------------------------ */
/* Counters and fixture                                                     */
/* ------------------------------------------------------------------------ */

typedef struct
{
  guint calls;              /* runs of the create function */
  guint context_calls;      /* runs of the root context function */
  guint context_destroyed;  /* runs of the root context's destroy notify */
} Counter;

typedef struct
{
  BkBackend       *backend;
  BkStartupResult *result;
  GPtrArray       *events;    /* (element-type utf8): what ran, in order */
  GHashTable      *seen;      /* "owner:ref-id" → instance an init received (not owned) */
  GHashTable      *multi;     /* "owner:ref-id" → values of a multiton, "1,2,3" */
  GPtrArray       *counters;  /* (element-type Counter): outlive the backend */
  guint            guard_id;
} Fixture;

/* Default factory getters take no argument, so their counters are global;
 * fixture_setup() resets them. */
static guint   with_default_getter_calls;
static Counter with_default_counter;

static gboolean
guard_timeout_cb (gpointer user_data)
{
  g_error ("test did not finish within 30 s: the main context never settled");
  return G_SOURCE_REMOVE;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->events = g_ptr_array_new_with_free_func (g_free);
  f->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  f->multi = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  f->counters = g_ptr_array_new_with_free_func (g_free);
  f->guard_id = g_timeout_add_seconds (30, guard_timeout_cb, NULL);

  with_default_getter_calls = 0;
  with_default_counter = (Counter) { 0 };
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->backend != NULL)
    {
      g_autoptr(GError) error = NULL;

      /* Stop after a failed start rolls back; its outcome belongs to the
       * lifecycle tests, not to these. */
      bk_backend_stop (f->backend, NULL, &error);
      g_clear_object (&f->backend);
    }

  g_clear_object (&f->result);
  g_clear_pointer (&f->events, g_ptr_array_unref);
  g_clear_pointer (&f->seen, g_hash_table_unref);
  g_clear_pointer (&f->multi, g_hash_table_unref);
  g_clear_pointer (&f->counters, g_ptr_array_unref);
  g_clear_handle_id (&f->guard_id, g_source_remove);
}

static Counter *
counter_new (Fixture *f)
{
  Counter *counter = g_new0 (Counter, 1);

  g_ptr_array_add (f->counters, counter);
  return counter;
}

static void
event_add (Fixture    *f,
           const char *format,
           ...) G_GNUC_PRINTF (2, 3);

static void
event_add (Fixture    *f,
           const char *format,
           ...)
{
  va_list ap;

  if (f == NULL)
    return;

  va_start (ap, format);
  g_ptr_array_add (f->events, g_strdup_vprintf (format, ap));
  va_end (ap);
}

static int
event_index (Fixture    *f,
             const char *event)
{
  for (guint i = 0; i < f->events->len; i++)
    if (g_str_equal (g_ptr_array_index (f->events, i), event))
      return (int) i;

  return -1;
}

/* The instance @owner ("p" or "p/m") received for @ref in its init. */
static gpointer
seen_by (Fixture      *f,
         const char   *owner,
         BkServiceRef *ref)
{
  g_autofree char *key = g_strdup_printf ("%s:%s", owner, bk_service_ref_get_id (ref));

  return g_hash_table_lookup (f->seen, key);
}

static const char *
multi_seen_by (Fixture      *f,
               const char   *owner,
               BkServiceRef *ref)
{
  g_autofree char *key = g_strdup_printf ("%s:%s", owner, bk_service_ref_get_id (ref));

  return g_hash_table_lookup (f->multi, key);
}

/* NULL-terminated, so pdata is never NULL, even when empty. */
static GPtrArray *
collect_deps (gpointer first,
              va_list  ap)
{
  GPtrArray *deps = g_ptr_array_new_null_terminated (0, NULL, TRUE);

  for (gpointer dep = first; dep != NULL; dep = va_arg (ap, gpointer))
    g_ptr_array_add (deps, dep);

  return deps;
}

/* ------------------------------------------------------------------------ */
/* Service factories                                                        */
/* ------------------------------------------------------------------------ */

typedef struct
{
  Fixture      *f;          /* nullable: where to record events */
  Counter      *counter;    /* nullable, not owned */
  BkServiceRef *ref;
  BkServiceRef *first_dep;  /* nullable */
  int           value;
  char         *fail;       /* when set, creating fails with this message */
} FactoryData;

static void
factory_data_free (gpointer data)
{
  FactoryData *d = data;

  g_free (d->fail);
  g_free (d);
}

static void
note_create (FactoryData *d,
             BkDeps      *deps,
             gpointer     root_context)
{
  const char *plugin_id = bk_deps_get_plugin_id (deps);
  const char *scope = plugin_id != NULL ? plugin_id : "root";

  if (d->counter != NULL)
    d->counter->calls++;

  if (d->f != NULL)
    {
      event_add (d->f, "create:%s@%s", bk_service_ref_get_id (d->ref), scope);
      if (root_context != NULL)
        g_hash_table_replace (d->f->seen,
                              g_strdup_printf ("%s@%s:ctx", bk_service_ref_get_id (d->ref), scope),
                              root_context);
    }
}

static GObject *
thing_make (FactoryData *d,
            BkDeps      *deps)
{
  TestThing *thing = g_object_new (TEST_TYPE_THING, NULL);

  thing->value = d->value;
  thing->plugin_id = g_strdup (bk_deps_get_plugin_id (deps));

  if (d->first_dep != NULL && !bk_service_ref_is_multiton (d->first_dep))
    {
      GObject *dep = bk_deps_get (deps, d->first_dep);

      if (dep != NULL)
        thing->dep = g_object_ref (dep);
    }

  return G_OBJECT (thing);
}

static GObject *
thing_create (BkDeps    *deps,
              gpointer   root_context,
              gpointer   user_data,
              GError   **error)
{
  FactoryData *d = user_data;

  note_create (d, deps, root_context);

  if (d->fail != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, d->fail);
      return NULL;
    }

  return thing_make (d, deps);
}

typedef struct
{
  GTask   *task;
  GObject *product;
} Completion;

static gboolean
complete_later_cb (gpointer user_data)
{
  Completion *completion = user_data;

  g_task_return_pointer (completion->task, g_steal_pointer (&completion->product), g_object_unref);
  g_object_unref (completion->task);
  g_free (completion);

  return G_SOURCE_REMOVE;
}

/* Creates the instance at once but hands it over only from a timeout on the
 * backend's context, so the resolution is really pending meanwhile. */
static void
thing_create_async (BkDeps   *deps,
                    gpointer  root_context,
                    GTask    *task,
                    gpointer  user_data)
{
  FactoryData *d = user_data;
  Completion *completion = g_new0 (Completion, 1);
  g_autoptr(GSource) source = g_timeout_source_new (10);

  note_create (d, deps, root_context);

  completion->task = task;
  completion->product = thing_make (d, deps);
  g_source_set_callback (source, complete_later_cb, completion, NULL);
  g_source_attach (source, g_task_get_context (task));
}

static BkServiceFactory *
factory_new_v (Fixture      *f,
               BkServiceRef *ref,
               int           value,
               Counter      *counter,
               const char   *fail,
               gboolean      async,
               GPtrArray    *deps)
{
  FactoryData *d = g_new0 (FactoryData, 1);

  d->f = f;
  d->counter = counter;
  d->ref = ref;
  d->first_dep = deps->len > 0 ? g_ptr_array_index (deps, 0) : NULL;
  d->value = value;
  d->fail = g_strdup (fail);

  if (async)
    return bk_service_factory_new_async_full (ref, (BkServiceRef **) deps->pdata, deps->len,
                                              thing_create_async, d, factory_data_free);

  return bk_service_factory_new_full (ref, (BkServiceRef **) deps->pdata, deps->len,
                                      thing_create, d, factory_data_free);
}

/* A factory for @ref making TestThings with @value; the NULL-terminated
 * varargs are its dependencies (BkServiceRef *). */
static BkServiceFactory *
thing_factory_new (Fixture      *f,
                   BkServiceRef *ref,
                   int           value,
                   Counter      *counter,
                   ...) G_GNUC_NULL_TERMINATED;

static BkServiceFactory *
thing_factory_new (Fixture      *f,
                   BkServiceRef *ref,
                   int           value,
                   Counter      *counter,
                   ...)
{
  g_autoptr(GPtrArray) deps = NULL;
  va_list ap;

  va_start (ap, counter);
  deps = collect_deps (va_arg (ap, gpointer), ap);
  va_end (ap);

  return factory_new_v (f, ref, value, counter, NULL, FALSE, deps);
}

static BkServiceFactory *
async_thing_factory_new (Fixture      *f,
                         BkServiceRef *ref,
                         int           value,
                         Counter      *counter,
                         ...) G_GNUC_NULL_TERMINATED;

static BkServiceFactory *
async_thing_factory_new (Fixture      *f,
                         BkServiceRef *ref,
                         int           value,
                         Counter      *counter,
                         ...)
{
  g_autoptr(GPtrArray) deps = NULL;
  va_list ap;

  va_start (ap, counter);
  deps = collect_deps (va_arg (ap, gpointer), ap);
  va_end (ap);

  return factory_new_v (f, ref, value, counter, NULL, TRUE, deps);
}

static BkServiceFactory *
failing_factory_new (Fixture      *f,
                     BkServiceRef *ref,
                     Counter      *counter,
                     const char   *message)
{
  g_autoptr(GPtrArray) deps = g_ptr_array_new_null_terminated (0, NULL, TRUE);

  return factory_new_v (f, ref, 0, counter, message, FALSE, deps);
}

static BkServiceFactory *
with_initialization (BkServiceFactory        *factory,
                     BkServiceInitialization  initialization)
{
  bk_service_factory_set_initialization (factory, initialization);
  return factory;
}

/* Root contexts: a small struct that counts its own destruction. */
typedef struct
{
  Counter *counter;
} TestContext;

static void
test_context_free (gpointer data)
{
  TestContext *context = data;

  if (context->counter != NULL)
    context->counter->context_destroyed++;
  g_free (context);
}

static gpointer
context_create (BkDeps    *root_deps,
                gpointer   user_data,
                GError   **error)
{
  FactoryData *d = user_data;
  TestContext *context;

  if (d->counter != NULL)
    d->counter->context_calls++;
  event_add (d->f, "context:%s", bk_service_ref_get_id (d->ref));

  if (d->fail != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, d->fail);
      return NULL;
    }

  context = g_new0 (TestContext, 1);
  context->counter = d->counter;
  return context;
}

static BkServiceFactory *
with_root_context (BkServiceFactory *factory,
                   Fixture          *f,
                   Counter          *counter,
                   const char       *fail)
{
  FactoryData *d = g_new0 (FactoryData, 1);

  d->f = f;
  d->counter = counter;
  d->ref = bk_service_factory_get_service (factory);
  d->fail = g_strdup (fail);

  bk_service_factory_set_root_context (factory, context_create, d, factory_data_free,
                                       test_context_free);
  return factory;
}

/* ------------------------------------------------------------------------ */
/* Service refs (immortal: one getter each)                                 */
/* ------------------------------------------------------------------------ */

static BkServiceFactory *with_default_default_factory (void);
static BkServiceFactory *null_default_factory (void);
static BkServiceFactory *loader_dep_default_factory (void);
static BkServiceFactory *tester_dep_default_factory (void);

/* cycles (and the tester's missing dependency) */
static BK_DEFINE_SERVICE_REF (ref_a, "a", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_b, "b", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_c, "c", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_d, "d", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_x, "x", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
/* rule 1 */
static BK_DEFINE_SERVICE_REF (ref_root_shared, "root-shared", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, NULL)
static BK_DEFINE_SERVICE_REF (ref_plugin_shared, "plugin-shared", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_async, "async-svc", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_ctx, "ctx-svc", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
/* rule 2 */
static BK_DEFINE_SERVICE_REF (ref_root_svc, "root-svc", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, NULL)
static BK_DEFINE_SERVICE_REF (ref_root_other, "root-other", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, NULL)
static BK_DEFINE_SERVICE_REF (ref_plugin_svc, "plugin-svc", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
/* rule 3 */
static BK_DEFINE_SERVICE_REF (ref_needs_many, "needs-many", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_needs_missing, "needs-missing", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_present, "present", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_missing_z, "missing-z", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_missing_y, "missing-y", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_root_needs, "root-needs", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, NULL)
static BK_DEFINE_SERVICE_REF (ref_missing_r, "missing-r", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, NULL)
static BK_DEFINE_SERVICE_REF (ref_lazy_missing, "lazy-missing", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_root_lazy_missing, "root-lazy-missing", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, NULL)
static BK_DEFINE_SERVICE_REF (ref_typed, "typed", TEST_TYPE_IFACE, BK_SERVICE_SCOPE_ROOT, NULL)
static BK_DEFINE_SERVICE_REF (ref_typed_plugin, "typed-plugin", TEST_TYPE_IFACE, BK_SERVICE_SCOPE_PLUGIN, NULL)
/* rule 4 */
static BK_DEFINE_MULTITON_SERVICE_REF (ref_multi, "multi", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, NULL)
static BK_DEFINE_MULTITON_SERVICE_REF (ref_multi_empty, "multi-empty", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_with_default, "with-default", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, with_default_default_factory)
static BK_DEFINE_SERVICE_REF (ref_null_default, "null-default", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, null_default_factory)
static BK_DEFINE_SERVICE_REF (ref_dup, "dup", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, NULL)
static BK_DEFINE_SERVICE_REF (ref_loader_dep, "loader-dep", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, loader_dep_default_factory)
static BK_DEFINE_SERVICE_REF (ref_loader_root, "loader-root", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, NULL)
static BK_DEFINE_SERVICE_REF (ref_loader_plugin, "loader-plugin", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
/* rule 5 */
static BK_DEFINE_SERVICE_REF (ref_eager, "eager", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, NULL)
static BK_DEFINE_SERVICE_REF (ref_lazy, "lazy", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_always, "always", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_root_lazy, "root-lazy", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, NULL)
/* error decoration */
static BK_DEFINE_SERVICE_REF (ref_failing, "failing", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_ctx_failing, "ctx-failing", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_root_failing, "root-failing", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, NULL)
/* BkServiceFactoryTester */
static BK_DEFINE_SERVICE_REF (ref_subject, "subject", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_tester_dep, "tester-dep", G_TYPE_OBJECT, BK_SERVICE_SCOPE_ROOT, tester_dep_default_factory)

static BkServiceFactory *
with_default_default_factory (void)
{
  with_default_getter_calls++;
  return thing_factory_new (NULL, ref_with_default (), 1, &with_default_counter, NULL);
}

static BkServiceFactory *
null_default_factory (void)
{
  return NULL;
}

static BkServiceFactory *
loader_dep_default_factory (void)
{
  return thing_factory_new (NULL, ref_loader_dep (), 1, NULL, NULL);
}

static BkServiceFactory *
tester_dep_default_factory (void)
{
  return thing_factory_new (NULL, ref_tester_dep (), 1, NULL, NULL);
}

/* ------------------------------------------------------------------------ */
/* Plugins and modules                                                      */
/* ------------------------------------------------------------------------ */

typedef struct
{
  Fixture    *f;
  char       *owner;  /* "p" for a plugin, "p/m" for a module */
  BkInitFunc  init;
  GPtrArray  *deps;   /* (element-type BkDependency): refs are immortal */
} InitData;

static void
init_data_free (gpointer data)
{
  InitData *d = data;

  g_free (d->owner);
  g_ptr_array_unref (d->deps);
  g_free (d);
}

/* Records that it ran and what it received: each single ref's instance in
 * f->seen, each multiton's values in f->multi. */
static gboolean
record_init (BkDeps    *deps,
             gpointer   user_data,
             GError   **error)
{
  InitData *d = user_data;

  event_add (d->f, "init:%s", d->owner);

  for (guint i = 0; i < d->deps->len; i++)
    {
      BkServiceRef *ref = g_ptr_array_index (d->deps, i);
      char *key = g_strdup_printf ("%s:%s", d->owner, bk_service_ref_get_id (ref));

      if (bk_service_ref_is_multiton (ref))
        {
          GPtrArray *all = bk_deps_get_all (deps, ref);
          GString *values = g_string_new (all != NULL ? "" : "(null)");

          for (guint j = 0; all != NULL && j < all->len; j++)
            g_string_append_printf (values, "%s%d", j > 0 ? "," : "",
                                    TEST_THING (g_ptr_array_index (all, j))->value);
          g_hash_table_replace (d->f->multi, key, g_string_free (values, FALSE));
        }
      else
        {
          g_hash_table_replace (d->f->seen, key, bk_deps_get (deps, ref));
        }
    }

  return TRUE;
}

static void
plugin_register (BkPluginEnv *env,
                 gpointer     user_data)
{
  InitData *d = user_data;

  bk_plugin_env_register_init_full (env, (BkDependency **) d->deps->pdata, d->deps->len,
                                    d->init, d, NULL);
}

static void
module_register (BkModuleEnv *env,
                 gpointer     user_data)
{
  InitData *d = user_data;

  bk_module_env_register_init_full (env, (BkDependency **) d->deps->pdata, d->deps->len,
                                    d->init, d, NULL);
}

static InitData *
init_data_new (Fixture    *f,
               const char *owner,
               BkInitFunc  init,
               gpointer    first_dep,
               va_list     ap)
{
  InitData *d = g_new0 (InitData, 1);

  d->f = f;
  d->owner = g_strdup (owner);
  d->init = init;
  d->deps = collect_deps (first_dep, ap);
  return d;
}

/* A plugin whose init depends on the NULL-terminated refs that follow. */
static BkPlugin *
test_plugin_new (Fixture    *f,
                 const char *plugin_id,
                 ...) G_GNUC_NULL_TERMINATED;

static BkPlugin *
test_plugin_new (Fixture    *f,
                 const char *plugin_id,
                 ...)
{
  InitData *d;
  va_list ap;

  va_start (ap, plugin_id);
  d = init_data_new (f, plugin_id, record_init, va_arg (ap, gpointer), ap);
  va_end (ap);

  return bk_plugin_new (plugin_id, plugin_register, d, init_data_free);
}

static BkPlugin *
test_plugin_new_with_init (Fixture    *f,
                           const char *plugin_id,
                           BkInitFunc  init,
                           ...) G_GNUC_NULL_TERMINATED;

static BkPlugin *
test_plugin_new_with_init (Fixture    *f,
                           const char *plugin_id,
                           BkInitFunc  init,
                           ...)
{
  InitData *d;
  va_list ap;

  va_start (ap, init);
  d = init_data_new (f, plugin_id, init, va_arg (ap, gpointer), ap);
  va_end (ap);

  return bk_plugin_new (plugin_id, plugin_register, d, init_data_free);
}

static BkModule *
test_module_new (Fixture    *f,
                 const char *plugin_id,
                 const char *module_id,
                 ...) G_GNUC_NULL_TERMINATED;

static BkModule *
test_module_new (Fixture    *f,
                 const char *plugin_id,
                 const char *module_id,
                 ...)
{
  g_autofree char *owner = g_strdup_printf ("%s/%s", plugin_id, module_id);
  InitData *d;
  va_list ap;

  va_start (ap, module_id);
  d = init_data_new (f, owner, record_init, va_arg (ap, gpointer), ap);
  va_end (ap);

  return bk_module_new (plugin_id, module_id, module_register, d, init_data_free);
}

/* ------------------------------------------------------------------------ */
/* Feature loaders                                                          */
/* ------------------------------------------------------------------------ */

typedef struct
{
  Fixture   *f;
  char      *name;
  GPtrArray *features;  /* (element-type BkFeature) (owned) */
  char      *fail;
} LoaderData;

static void
loader_data_free (gpointer data)
{
  LoaderData *d = data;

  g_free (d->name);
  g_clear_pointer (&d->features, g_ptr_array_unref);
  g_free (d->fail);
  g_free (d);
}

static GPtrArray *
loader_func (BkDeps    *deps,
             gpointer   user_data,
             GError   **error)
{
  LoaderData *d = user_data;

  event_add (d->f, "loader:%s", d->name);

  if (d->fail != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, d->fail);
      return NULL;
    }

  if (d->features == NULL)
    return g_ptr_array_new_with_free_func (g_object_unref);

  return g_steal_pointer (&d->features);
}

/* A GPtrArray of features, owning them, from a NULL-terminated list. */
static GPtrArray *
features_new (gpointer first,
              ...) G_GNUC_NULL_TERMINATED;

static GPtrArray *
features_new (gpointer first,
              ...)
{
  GPtrArray *features = g_ptr_array_new_with_free_func (g_object_unref);
  va_list ap;

  va_start (ap, first);
  for (gpointer feature = first; feature != NULL; feature = va_arg (ap, gpointer))
    g_ptr_array_add (features, feature);
  va_end (ap);

  return features;
}

/* A loader returning @features (transfer full, nullable), or failing with
 * @fail; the NULL-terminated varargs are its dependencies. */
static BkFeatureLoader *
test_loader_new (Fixture    *f,
                 const char *name,
                 GPtrArray  *features,
                 const char *fail,
                 ...) G_GNUC_NULL_TERMINATED;

static BkFeatureLoader *
test_loader_new (Fixture    *f,
                 const char *name,
                 GPtrArray  *features,
                 const char *fail,
                 ...)
{
  LoaderData *d = g_new0 (LoaderData, 1);
  g_autoptr(GPtrArray) deps = NULL;
  va_list ap;

  d->f = f;
  d->name = g_strdup (name);
  d->features = features;
  d->fail = g_strdup (fail);

  va_start (ap, fail);
  deps = collect_deps (va_arg (ap, gpointer), ap);
  va_end (ap);

  return bk_feature_loader_new_full (name, (BkServiceRef **) deps->pdata, deps->len,
                                     loader_func, d, loader_data_free);
}

/* ------------------------------------------------------------------------ */
/* Backends                                                                 */
/* ------------------------------------------------------------------------ */

/* The boot-failure policy reads root config, so every backend has one. */
#define MOCK_DEFAULTS bk_mock_root_config_factory_new ("{}"), bk_mock_root_logger_factory_new ()

static BkBackend *
backend_new (void)
{
  return bk_backend_new_specialized (MOCK_DEFAULTS, NULL);
}

static void
add (Fixture  *f,
     gpointer  feature)
{
  bk_backend_add (f->backend, feature);
}

static gboolean
start_backend (Fixture  *f,
               GError  **error)
{
  g_clear_object (&f->result);
  return bk_backend_start (f->backend, NULL, &f->result, error);
}

static void
start_ok (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = start_backend (f, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
}

/* Starts and asserts the exact error, message first (it says the most). */
static void
start_fails_with (Fixture    *f,
                  int         code,
                  const char *message)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = start_backend (f, &error);

  g_assert_false (ok);
  g_assert_nonnull (error);
  g_assert_cmpstr (error->message, ==, message);
  g_assert_error (error, BK_BACKEND_ERROR, code);
}

static void
stop_and_drop (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  bk_backend_stop (f->backend, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&f->backend);
}

/* A factory with no counter and no value, for graph-shape tests. */
#define add_factory(f, ref, ...) add ((f), thing_factory_new ((f), (ref), 0, NULL, __VA_ARGS__))

/* ------------------------------------------------------------------------ */
/* Rule 1: once per scope                                                   */
/* ------------------------------------------------------------------------ */

static void
test_registry_once_per_scope_root (Fixture       *f,
                                   gconstpointer  data)
{
  Counter *counter = counter_new (f);

  f->backend = backend_new ();
  add (f, thing_factory_new (f, ref_root_shared (), 1, counter, NULL));
  add (f, test_plugin_new (f, "p1", ref_root_shared (), NULL));
  add (f, test_plugin_new (f, "p2", ref_root_shared (), NULL));
  add (f, test_plugin_new (f, "p3", ref_root_shared (), NULL));
  start_ok (f);

  g_assert_cmpuint (counter->calls, ==, 1);
  g_assert_nonnull (seen_by (f, "p1", ref_root_shared ()));
  g_assert_true (seen_by (f, "p1", ref_root_shared ()) == seen_by (f, "p2", ref_root_shared ()));
  g_assert_true (seen_by (f, "p1", ref_root_shared ()) == seen_by (f, "p3", ref_root_shared ()));
}

static void
test_registry_once_per_scope_plugin (Fixture       *f,
                                     gconstpointer  data)
{
  Counter *counter = counter_new (f);
  TestThing *p1, *p2, *p3;

  f->backend = backend_new ();
  add (f, thing_factory_new (f, ref_plugin_shared (), 1, counter, NULL));
  add (f, test_plugin_new (f, "p1", ref_plugin_shared (), NULL));
  add (f, test_module_new (f, "p1", "m1", ref_plugin_shared (), NULL));
  add (f, test_module_new (f, "p1", "m2", ref_plugin_shared (), NULL));
  add (f, test_plugin_new (f, "p2", ref_plugin_shared (), NULL));
  add (f, test_plugin_new (f, "p3", ref_plugin_shared (), NULL));
  start_ok (f);

  g_assert_cmpuint (counter->calls, ==, 3);

  p1 = seen_by (f, "p1", ref_plugin_shared ());
  p2 = seen_by (f, "p2", ref_plugin_shared ());
  p3 = seen_by (f, "p3", ref_plugin_shared ());
  g_assert_nonnull (p1);
  g_assert_nonnull (p2);
  g_assert_nonnull (p3);
  g_assert_true (seen_by (f, "p1/m1", ref_plugin_shared ()) == p1);
  g_assert_true (seen_by (f, "p1/m2", ref_plugin_shared ()) == p1);
  g_assert_true (p1 != p2);
  g_assert_true (p2 != p3);
  g_assert_true (p1 != p3);
  g_assert_cmpstr (p1->plugin_id, ==, "p1");
  g_assert_cmpstr (p2->plugin_id, ==, "p2");
  g_assert_cmpstr (p3->plugin_id, ==, "p3");
}

static void
test_registry_once_per_scope_concurrent_async (Fixture       *f,
                                               gconstpointer  data)
{
  Counter *counter = counter_new (f);
  TestThing *p, *q;

  f->backend = backend_new ();
  add (f, async_thing_factory_new (f, ref_async (), 1, counter, NULL));
  add (f, test_plugin_new (f, "p", ref_async (), NULL));
  add (f, test_module_new (f, "p", "m1", ref_async (), NULL));
  add (f, test_module_new (f, "p", "m2", ref_async (), NULL));
  add (f, test_plugin_new (f, "q", ref_async (), NULL));
  add (f, test_module_new (f, "q", "m1", ref_async (), NULL));
  start_ok (f);

  g_assert_cmpuint (counter->calls, ==, 2);
  g_assert_cmpint (event_index (f, "create:async-svc@p"), >=, 0);
  g_assert_cmpint (event_index (f, "create:async-svc@q"), >=, 0);

  p = seen_by (f, "p", ref_async ());
  q = seen_by (f, "q", ref_async ());
  g_assert_nonnull (p);
  g_assert_nonnull (q);
  g_assert_true (seen_by (f, "p/m1", ref_async ()) == p);
  g_assert_true (seen_by (f, "p/m2", ref_async ()) == p);
  g_assert_true (seen_by (f, "q/m1", ref_async ()) == q);
  g_assert_true (p != q);
  g_assert_cmpstr (p->plugin_id, ==, "p");
  g_assert_cmpstr (q->plugin_id, ==, "q");
}

static void
test_registry_root_context_once (Fixture       *f,
                                 gconstpointer  data)
{
  Counter *counter = counter_new (f);
  int context_at;
  gpointer context;

  f->backend = backend_new ();
  add (f, with_root_context (thing_factory_new (f, ref_ctx (), 1, counter, NULL), f, counter, NULL));
  add (f, test_plugin_new (f, "p1", ref_ctx (), NULL));
  add (f, test_plugin_new (f, "p2", ref_ctx (), NULL));
  add (f, test_plugin_new (f, "p3", ref_ctx (), NULL));
  start_ok (f);

  g_assert_cmpuint (counter->context_calls, ==, 1);
  g_assert_cmpuint (counter->calls, ==, 3);

  /* made before the first instance, and handed to every instance */
  context_at = event_index (f, "context:ctx-svc");
  g_assert_cmpint (context_at, >=, 0);
  g_assert_cmpint (context_at, <, event_index (f, "create:ctx-svc@p1"));
  g_assert_cmpint (context_at, <, event_index (f, "create:ctx-svc@p2"));
  g_assert_cmpint (context_at, <, event_index (f, "create:ctx-svc@p3"));
  context = g_hash_table_lookup (f->seen, "ctx-svc@p1:ctx");
  g_assert_nonnull (context);
  g_assert_true (g_hash_table_lookup (f->seen, "ctx-svc@p2:ctx") == context);
  g_assert_true (g_hash_table_lookup (f->seen, "ctx-svc@p3:ctx") == context);

  /* destroyed once, at the end */
  g_assert_cmpuint (counter->context_destroyed, ==, 0);
  stop_and_drop (f);
  g_assert_cmpuint (counter->context_destroyed, ==, 1);
}

/* ------------------------------------------------------------------------ */
/* Rule 2: scopes                                                           */
/* ------------------------------------------------------------------------ */

static void
test_registry_scope_root_on_plugin (Fixture       *f,
                                    gconstpointer  data)
{
  Counter *root = counter_new (f);
  Counter *plugin = counter_new (f);

  f->backend = backend_new ();
  add (f, thing_factory_new (f, ref_plugin_svc (), 1, plugin, NULL));
  add (f, thing_factory_new (f, ref_root_svc (), 2, root, ref_plugin_svc (), NULL));
  start_fails_with (f, BK_BACKEND_ERROR_SCOPE_VIOLATION,
                    "Failed to instantiate 'root' scoped service 'root-svc' because it depends on "
                    "'plugin' scoped service 'plugin-svc'.");

  g_assert_cmpuint (root->calls, ==, 0);
  g_assert_cmpuint (plugin->calls, ==, 0);
}

static void
test_registry_scope_plugin_on_root (Fixture       *f,
                                    gconstpointer  data)
{
  TestThing *p, *q;

  f->backend = backend_new ();
  add (f, thing_factory_new (f, ref_root_svc (), 1, NULL, NULL));
  add (f, thing_factory_new (f, ref_plugin_svc (), 2, NULL, ref_root_svc (), NULL));
  add (f, test_plugin_new (f, "p", ref_plugin_svc (), ref_root_svc (), NULL));
  add (f, test_plugin_new (f, "q", ref_plugin_svc (), NULL));
  start_ok (f);

  p = seen_by (f, "p", ref_plugin_svc ());
  q = seen_by (f, "q", ref_plugin_svc ());
  g_assert_nonnull (p);
  g_assert_nonnull (q);
  g_assert_nonnull (p->dep);
  g_assert_true (p->dep == seen_by (f, "p", ref_root_svc ()));
  g_assert_true (q->dep == p->dep);
}

static void
test_registry_scope_root_on_root (Fixture       *f,
                                  gconstpointer  data)
{
  TestThing *other;

  f->backend = backend_new ();
  add (f, thing_factory_new (f, ref_root_svc (), 1, NULL, NULL));
  add (f, thing_factory_new (f, ref_root_other (), 2, NULL, ref_root_svc (), NULL));
  add (f, test_plugin_new (f, "p", ref_root_other (), ref_root_svc (), NULL));
  start_ok (f);

  other = seen_by (f, "p", ref_root_other ());
  g_assert_nonnull (other);
  g_assert_nonnull (other->dep);
  g_assert_true (other->dep == seen_by (f, "p", ref_root_svc ()));
}

static void
test_registry_scope_plugin_on_plugin (Fixture       *f,
                                      gconstpointer  data)
{
  TestThing *p, *q;

  f->backend = backend_new ();
  add (f, thing_factory_new (f, ref_plugin_shared (), 1, NULL, NULL));
  add (f, thing_factory_new (f, ref_plugin_svc (), 2, NULL, ref_plugin_shared (), NULL));
  add (f, test_plugin_new (f, "p", ref_plugin_svc (), ref_plugin_shared (), NULL));
  add (f, test_plugin_new (f, "q", ref_plugin_svc (), ref_plugin_shared (), NULL));
  start_ok (f);

  p = seen_by (f, "p", ref_plugin_svc ());
  q = seen_by (f, "q", ref_plugin_svc ());
  g_assert_nonnull (p);
  g_assert_nonnull (q);
  /* each plugin's instance got that plugin's instance of its dependency */
  g_assert_true (p->dep == seen_by (f, "p", ref_plugin_shared ()));
  g_assert_true (q->dep == seen_by (f, "q", ref_plugin_shared ()));
  g_assert_true (p->dep != q->dep);
}

/* ------------------------------------------------------------------------ */
/* Rule 3: plan before run                                                  */
/* ------------------------------------------------------------------------ */

static void
test_registry_plan_nothing_runs_on_error (Fixture       *f,
                                          gconstpointer  data)
{
  Counter *eager = counter_new (f);
  Counter *a = counter_new (f);
  Counter *b = counter_new (f);

  f->backend = backend_new ();
  add (f, thing_factory_new (f, ref_eager (), 1, eager, NULL));
  add (f, thing_factory_new (f, ref_a (), 1, a, ref_b (), NULL));
  add (f, thing_factory_new (f, ref_b (), 1, b, ref_a (), NULL));
  add (f, test_plugin_new (f, "p", ref_a (), NULL));
  add (f, test_plugin_new (f, "q", NULL));
  start_fails_with (f, BK_BACKEND_ERROR_CIRCULAR_DEPENDENCY,
                    "Circular dependencies detected:\n  'a' -> 'b' -> 'a'");

  g_assert_cmpuint (eager->calls, ==, 0);
  g_assert_cmpuint (a->calls, ==, 0);
  g_assert_cmpuint (b->calls, ==, 0);
  /* no factory and no init ran: nothing was recorded at all */
  g_assert_cmpuint (f->events->len, ==, 0);
}

static void
test_registry_plan_missing_plugin_scoped (Fixture       *f,
                                          gconstpointer  data)
{
  Counter *counter = counter_new (f);

  f->backend = backend_new ();
  add (f, thing_factory_new (f, ref_present (), 1, NULL, NULL));
  add (f, thing_factory_new (f, ref_needs_many (), 1, counter,
                             ref_missing_z (), ref_present (), ref_missing_y (), NULL));
  add (f, test_plugin_new (f, "p1", ref_needs_many (), NULL));
  add (f, test_plugin_new (f, "p2", ref_needs_many (), NULL));
  start_fails_with (f, BK_BACKEND_ERROR_MISSING_DEPENDENCY,
                    "Failed to instantiate service 'needs-many' for 'p1' because the following "
                    "dependent services are missing: 'missing-z', 'missing-y'");

  g_assert_cmpuint (counter->calls, ==, 0);
  g_assert_cmpuint (f->events->len, ==, 0);
}

static void
test_registry_plan_missing_root_scoped (Fixture       *f,
                                        gconstpointer  data)
{
  Counter *counter = counter_new (f);

  f->backend = backend_new ();
  add (f, thing_factory_new (f, ref_root_needs (), 1, counter, ref_missing_r (), NULL));
  start_fails_with (f, BK_BACKEND_ERROR_MISSING_DEPENDENCY,
                    "Failed to instantiate service 'root-needs' because the following "
                    "dependent services are missing: 'missing-r'");

  g_assert_cmpuint (counter->calls, ==, 0);
}

static void
test_registry_plan_missing_init_deps (Fixture       *f,
                                      gconstpointer  data)
{
  BkFeatureResult *plugin;
  const GError *cause;

  f->backend = backend_new ();
  add (f, test_plugin_new (f, "p", ref_x (), NULL));
  start_fails_with (f, BK_BACKEND_ERROR_STARTUP_FAILED,
                    "Backend startup failed due to the following errors:\n"
                    "  Plugin 'p' startup failed; caused by Service or extension point "
                    "dependencies of plugin 'p' are missing for the following ref(s): "
                    "serviceRef{x}");

  g_assert_cmpint (event_index (f, "init:p"), ==, -1);

  /* a boot failure of the plugin, not of the backend */
  g_assert_nonnull (f->result);
  plugin = bk_startup_result_find_plugin (f->result, "p");
  g_assert_nonnull (plugin);
  cause = bk_feature_result_get_error (plugin);
  g_assert_nonnull (cause);
  g_assert_cmpstr (cause->message, ==,
                   "Service or extension point dependencies of plugin 'p' are missing for the "
                   "following ref(s): serviceRef{x}");
  g_assert_error ((GError *) cause, BK_BACKEND_ERROR, BK_BACKEND_ERROR_MISSING_DEPENDENCY);
}

/* Graph-shape cycles over the refs a..d: each factory is written as its ref
 * then its dependencies ("abc": a needs b and c); the plugin needs its refs. */
typedef struct
{
  const char *path;
  const char *factories[5];
  const char *plugin_deps;
  const char *message;
} CycleCase;

static const CycleCase cycle_cases[] = {
  { "/registry/plan/cycle/simple", { "ab", "ba" }, "a",
    "Circular dependencies detected:\n  'a' -> 'b' -> 'a'" },
  { "/registry/plan/cycle/two", { "ab", "ba", "cd", "dc" }, "ac",
    "Circular dependencies detected:\n"
    "  'a' -> 'b' -> 'a'\n"
    "  'c' -> 'd' -> 'c'" },
  { "/registry/plan/cycle/deep", { "ab", "bc", "ca" }, "a",
    "Circular dependencies detected:\n  'a' -> 'b' -> 'c' -> 'a'" },
  { "/registry/plan/cycle/not-through-first", { "ab", "bc", "cb" }, "a",
    "Circular dependencies detected:\n  'b' -> 'c' -> 'b'" },
  { "/registry/plan/cycle/branch", { "abc", "b", "ca" }, "a",
    "Circular dependencies detected:\n  'a' -> 'c' -> 'a'" },
  { "/registry/plan/cycle/self", { "aa" }, "a",
    "Circular dependencies detected:\n  'a' -> 'a'" },
};

static BkServiceRef *
cycle_ref (char name)
{
  switch (name)
    {
    case 'a': return ref_a ();
    case 'b': return ref_b ();
    case 'c': return ref_c ();
    case 'd': return ref_d ();
    default: g_assert_not_reached ();
    }
}

static void
test_registry_plan_cycle (Fixture       *f,
                          gconstpointer  data)
{
  const CycleCase *c = data;
  const char *plugin_deps = c->plugin_deps;

  f->backend = backend_new ();
  for (guint i = 0; c->factories[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) deps = g_ptr_array_new_null_terminated (0, NULL, TRUE);

      for (const char *dep = c->factories[i] + 1; *dep != '\0'; dep++)
        g_ptr_array_add (deps, cycle_ref (*dep));
      add (f, factory_new_v (f, cycle_ref (c->factories[i][0]), 0, NULL, NULL, FALSE, deps));
    }
  add (f, test_plugin_new (f, "p", cycle_ref (plugin_deps[0]),
                           plugin_deps[1] != '\0' ? cycle_ref (plugin_deps[1]) : NULL, NULL));
  start_fails_with (f, BK_BACKEND_ERROR_CIRCULAR_DEPENDENCY, c->message);
}

/* The walk starts from each factory in insertion order: the defaults first,
 * then add order; each cycle is written from the node the walk met first. */
static void
test_registry_plan_cycle_insertion_order (Fixture       *f,
                                          gconstpointer  data)
{
  f->backend = bk_backend_new_specialized (MOCK_DEFAULTS,
                                           thing_factory_new (f, ref_c (), 0, NULL, ref_d (), NULL),
                                           thing_factory_new (f, ref_d (), 0, NULL, ref_c (), NULL),
                                           NULL);
  add_factory (f, ref_b (), ref_a (), NULL);
  add_factory (f, ref_a (), ref_b (), NULL);
  add (f, test_plugin_new (f, "p", ref_a (), ref_c (), NULL));
  start_fails_with (f, BK_BACKEND_ERROR_CIRCULAR_DEPENDENCY,
                    "Circular dependencies detected:\n"
                    "  'c' -> 'd' -> 'c'\n"
                    "  'b' -> 'a' -> 'b'");
}

static void
test_registry_plan_all_errors (Fixture       *f,
                               gconstpointer  data)
{
  f->backend = backend_new ();
  add_factory (f, ref_a (), ref_b (), NULL);
  add_factory (f, ref_b (), ref_a (), NULL);
  add_factory (f, ref_needs_missing (), ref_missing_z (), NULL);
  add_factory (f, ref_plugin_svc (), NULL);
  add_factory (f, ref_root_svc (), ref_plugin_svc (), NULL);
  add (f, test_plugin_new (f, "p", ref_a (), ref_needs_missing (), NULL));
  start_fails_with (f, BK_BACKEND_ERROR_CIRCULAR_DEPENDENCY,
                    "Circular dependencies detected:\n"
                    "  'a' -> 'b' -> 'a'\n"
                    "Failed to instantiate service 'needs-missing' for 'p' because the following "
                    "dependent services are missing: 'missing-z'\n"
                    "Failed to instantiate 'root' scoped service 'root-svc' because it depends on "
                    "'plugin' scoped service 'plugin-svc'.");
  g_assert_cmpuint (f->events->len, ==, 0);
}

static void
test_registry_plan_unreachable_lazy (Fixture       *f,
                                     gconstpointer  data)
{
  Counter *plugin = counter_new (f);
  Counter *root = counter_new (f);

  f->backend = backend_new ();
  /* plugin-scoped factories are lazy by default */
  add (f, thing_factory_new (f, ref_lazy_missing (), 1, plugin, ref_missing_z (), NULL));
  add (f, with_initialization (thing_factory_new (f, ref_root_lazy_missing (), 1, root,
                                                  ref_missing_r (), NULL),
                               BK_SERVICE_INITIALIZATION_LAZY));
  add (f, test_plugin_new (f, "p", NULL));
  start_ok (f);

  g_assert_cmpuint (plugin->calls, ==, 0);
  g_assert_cmpuint (root->calls, ==, 0);
  g_assert_cmpint (event_index (f, "init:p"), >=, 0);
}

static void
test_registry_type_mismatch_root (Fixture       *f,
                                  gconstpointer  data)
{
  f->backend = backend_new ();
  add_factory (f, ref_typed (), NULL);
  start_fails_with (f, BK_BACKEND_ERROR_TYPE_MISMATCH,
                    "Failed to instantiate service 'typed' because the factory function returned "
                    "a 'TestThing', which does not implement 'TestIface'");
}

static void
test_registry_type_mismatch_plugin (Fixture       *f,
                                    gconstpointer  data)
{
  const GError *cause;

  f->backend = backend_new ();
  add_factory (f, ref_typed_plugin (), NULL);
  add (f, test_plugin_new (f, "p", ref_typed_plugin (), NULL));
  start_fails_with (f, BK_BACKEND_ERROR_STARTUP_FAILED,
                    "Backend startup failed due to the following errors:\n"
                    "  Plugin 'p' startup failed; caused by Failed to instantiate service "
                    "'typed-plugin' for 'p' because the factory function returned a 'TestThing', "
                    "which does not implement 'TestIface'");

  g_assert_cmpint (event_index (f, "init:p"), ==, -1);
  g_assert_nonnull (f->result);
  g_assert_nonnull (bk_startup_result_find_plugin (f->result, "p"));
  cause = bk_feature_result_get_error (bk_startup_result_find_plugin (f->result, "p"));
  g_assert_error ((GError *) cause, BK_BACKEND_ERROR, BK_BACKEND_ERROR_TYPE_MISMATCH);
}

/* ------------------------------------------------------------------------ */
/* Rule 4: overrides, duplicates, multitons, loaders                        */
/* ------------------------------------------------------------------------ */

static void
test_registry_multiton_order (Fixture       *f,
                              gconstpointer  data)
{
  f->backend = bk_backend_new_specialized (MOCK_DEFAULTS,
                                           thing_factory_new (f, ref_multi (), 1, NULL, NULL),
                                           thing_factory_new (f, ref_multi (), 2, NULL, NULL),
                                           NULL);
  add (f, thing_factory_new (f, ref_multi (), 3, NULL, NULL));
  add (f, test_plugin_new (f, "p", ref_multi (), NULL));
  add (f, thing_factory_new (f, ref_multi (), 4, NULL, NULL));
  add (f, test_module_new (f, "p", "m", ref_multi (), NULL));
  start_ok (f);

  g_assert_cmpstr (multi_seen_by (f, "p", ref_multi ()), ==, "1,2,3,4");
  g_assert_cmpstr (multi_seen_by (f, "p/m", ref_multi ()), ==, "1,2,3,4");
}

static void
test_registry_multiton_empty (Fixture       *f,
                              gconstpointer  data)
{
  f->backend = backend_new ();
  add (f, test_plugin_new (f, "p", ref_multi_empty (), NULL));
  start_ok (f);

  /* an empty array, not NULL and not a missing dependency */
  g_assert_cmpstr (multi_seen_by (f, "p", ref_multi_empty ()), ==, "");
}

static gboolean
init_get_multiton_as_single (BkDeps    *deps,
                             gpointer   user_data,
                             GError   **error)
{
  InitData *d = user_data;
  gpointer got;

  g_test_expect_message ("Bk", G_LOG_LEVEL_CRITICAL, "*multiton*");
  got = bk_deps_get (deps, ref_multi ());
  g_test_assert_expected_messages ();
  g_assert_null (got);

  event_add (d->f, "checked:%s", d->owner);
  return TRUE;
}

static void
test_registry_multiton_get_single (Fixture       *f,
                                   gconstpointer  data)
{
  f->backend = backend_new ();
  add (f, thing_factory_new (f, ref_multi (), 1, NULL, NULL));
  add (f, test_plugin_new_with_init (f, "p", init_get_multiton_as_single, ref_multi (), NULL));
  start_ok (f);

  g_assert_cmpint (event_index (f, "checked:p"), >=, 0);
}

static gboolean
init_get_undeclared (BkDeps    *deps,
                     gpointer   user_data,
                     GError   **error)
{
  InitData *d = user_data;
  gpointer got;

  g_test_expect_message ("Bk", G_LOG_LEVEL_CRITICAL, "*");
  got = bk_deps_get (deps, ref_root_shared ());
  g_test_assert_expected_messages ();
  g_assert_null (got);

  event_add (d->f, "checked:%s", d->owner);
  return TRUE;
}

static void
test_registry_deps_undeclared (Fixture       *f,
                               gconstpointer  data)
{
  f->backend = backend_new ();
  add (f, thing_factory_new (f, ref_root_shared (), 1, NULL, NULL));
  add (f, thing_factory_new (f, ref_plugin_shared (), 1, NULL, NULL));
  add (f, test_plugin_new_with_init (f, "p", init_get_undeclared, ref_plugin_shared (), NULL));
  start_ok (f);

  g_assert_cmpint (event_index (f, "checked:p"), >=, 0);
}

static void
test_registry_default_factory_once (Fixture       *f,
                                    gconstpointer  data)
{
  f->backend = backend_new ();
  add (f, test_plugin_new (f, "p1", ref_with_default (), NULL));
  add (f, test_plugin_new (f, "p2", ref_with_default (), NULL));
  add (f, test_plugin_new (f, "p3", ref_with_default (), NULL));
  start_ok (f);

  g_assert_cmpuint (with_default_getter_calls, ==, 1);
  g_assert_cmpuint (with_default_counter.calls, ==, 3);
  g_assert_nonnull (seen_by (f, "p1", ref_with_default ()));
  g_assert_cmpint (TEST_THING (seen_by (f, "p1", ref_with_default ()))->value, ==, 1);
}

static void
test_registry_default_factory_replaced (Fixture       *f,
                                        gconstpointer  data)
{
  Counter *counter = counter_new (f);

  f->backend = backend_new ();
  add (f, thing_factory_new (f, ref_with_default (), 42, counter, NULL));
  add (f, test_plugin_new (f, "p", ref_with_default (), NULL));
  start_ok (f);

  /* whether the default getter ran is not specified; its product must not be used */
  g_assert_cmpuint (counter->calls, ==, 1);
  g_assert_cmpuint (with_default_counter.calls, ==, 0);
  g_assert_nonnull (seen_by (f, "p", ref_with_default ()));
  g_assert_cmpint (TEST_THING (seen_by (f, "p", ref_with_default ()))->value, ==, 42);
}

/* A default getter returning NULL is a plan error (docs/container.md, start
 * step 5): reached through a factory's dependency, it fails the start. */
static void
test_registry_default_factory_null (Fixture       *f,
                                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  Counter *counter = counter_new (f);

  f->backend = backend_new ();
  add (f, thing_factory_new (f, ref_plugin_svc (), 1, counter, ref_null_default (), NULL));
  add (f, test_plugin_new (f, "p", ref_plugin_svc (), NULL));

  g_assert_false (start_backend (f, &error));
  g_assert_nonnull (error);
  g_assert_cmpstr (error->message, ==,
                   "Failed to instantiate service 'null-default' because the default factory "
                   "loader threw an error, the default factory function returned NULL");
  g_assert_true (error->domain == BK_BACKEND_ERROR);
  g_assert_cmpuint (counter->calls, ==, 0);
  g_assert_cmpuint (f->events->len, ==, 0);
}

/* Reached directly by an init, the same failure may be attributed to the
 * plugin (a boot failure) or to the backend: the message ends the same. */
static void
test_registry_default_factory_null_init_dep (Fixture       *f,
                                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->backend = backend_new ();
  add (f, test_plugin_new (f, "p", ref_null_default (), NULL));

  g_assert_false (start_backend (f, &error));
  g_assert_nonnull (error);
  g_assert_true (g_str_has_suffix (error->message,
                                   "Failed to instantiate service 'null-default' because the "
                                   "default factory loader threw an error, the default factory "
                                   "function returned NULL"));
  g_assert_true (error->domain == BK_BACKEND_ERROR);
  g_assert_cmpint (event_index (f, "init:p"), ==, -1);
}

/* The same factories, added to the backend or given as its defaults. */
typedef struct
{
  const char *path;
  gboolean as_defaults;
} PlacementCase;

static const PlacementCase duplicate_cases[] = {
  { "/registry/duplicate/added", FALSE },
  { "/registry/duplicate/defaults", TRUE },
};

static void
test_registry_duplicate (Fixture       *f,
                         gconstpointer  data)
{
  const PlacementCase *c = data;
  Counter *first = counter_new (f);
  Counter *second = counter_new (f);
  BkServiceFactory *one = thing_factory_new (f, ref_dup (), 1, first, NULL);
  BkServiceFactory *two = thing_factory_new (f, ref_dup (), 2, second, NULL);

  if (c->as_defaults)
    {
      f->backend = bk_backend_new_specialized (MOCK_DEFAULTS, one, two, NULL);
    }
  else
    {
      f->backend = backend_new ();
      add (f, one);
      add (f, two);
    }
  start_fails_with (f, BK_BACKEND_ERROR_DUPLICATE_SERVICE,
                    "Duplicate service implementations provided for dup");

  g_assert_cmpuint (first->calls, ==, 0);
  g_assert_cmpuint (second->calls, ==, 0);
}

static const PlacementCase plugin_metadata_cases[] = {
  { "/registry/plugin-metadata/added", FALSE },
  { "/registry/plugin-metadata/defaults", TRUE },
};

static void
test_registry_plugin_metadata (Fixture       *f,
                               gconstpointer  data)
{
  const PlacementCase *c = data;
  Counter *counter = counter_new (f);
  BkServiceFactory *factory = thing_factory_new (f, BK_SERVICE_PLUGIN_METADATA, 1, counter, NULL);

  if (c->as_defaults)
    {
      f->backend = bk_backend_new_specialized (MOCK_DEFAULTS, factory, NULL);
    }
  else
    {
      f->backend = backend_new ();
      add (f, factory);
      add (f, test_plugin_new (f, "p", BK_SERVICE_PLUGIN_METADATA, NULL));
    }
  start_fails_with (f, BK_BACKEND_ERROR_SERVICE_OVERRIDE,
                    "The core.pluginMetadata service cannot be overridden");

  g_assert_cmpuint (counter->calls, ==, 0);
}

/* 'loader-dep' has a default factory on its ref (it is neither added nor a
 * default of the backend), so the loader's own factory is not ignored: it
 * arrives after the service was made for the loader. */
static void
test_registry_loader_override_instantiated (Fixture       *f,
                                            gconstpointer  data)
{
  Counter *counter = counter_new (f);

  f->backend = backend_new ();
  add (f, test_loader_new (f, "my-loader",
                           features_new (thing_factory_new (f, ref_loader_dep (), 2, counter, NULL),
                                         NULL),
                           NULL, ref_loader_dep (), NULL));
  start_fails_with (f, BK_BACKEND_ERROR_SERVICE_OVERRIDE,
                    "Unable to set service factory with id loader-dep, service has already "
                    "been instantiated");

  g_assert_cmpint (event_index (f, "loader:my-loader"), >=, 0);
  g_assert_cmpuint (counter->calls, ==, 0);
}

static void
test_registry_loader_plugin_scoped_dep (Fixture       *f,
                                        gconstpointer  data)
{
  f->backend = backend_new ();
  add_factory (f, ref_plugin_svc (), NULL);
  add (f, test_loader_new (f, "my-loader", NULL, NULL, ref_plugin_svc (), NULL));
  start_fails_with (f, BK_BACKEND_ERROR_SCOPE_VIOLATION,
                    "Feature loaders can only depend on root scoped services, but 'plugin-svc' "
                    "is scoped to 'plugin'. Offending loader is feature loader 'my-loader'");

  g_assert_cmpint (event_index (f, "loader:my-loader"), ==, -1);
}

static void
test_registry_loader_adds_features (Fixture       *f,
                                    gconstpointer  data)
{
  Counter *root = counter_new (f);
  Counter *plugin = counter_new (f);
  GPtrArray *inner, *outer;
  TestThing *lp;

  inner = features_new (test_plugin_new (f, "nested", NULL), NULL);
  outer = features_new (test_plugin_new (f, "lp", ref_loader_plugin (), ref_loader_root (), NULL),
                        test_module_new (f, "lp", "lm", ref_loader_plugin (), NULL),
                        thing_factory_new (f, ref_loader_root (), 1, root, NULL),
                        thing_factory_new (f, ref_loader_plugin (), 7, plugin, NULL),
                        test_loader_new (f, "inner", inner, NULL, NULL),
                        NULL);

  f->backend = backend_new ();
  add (f, test_loader_new (f, "outer", outer, NULL, NULL));
  start_ok (f);

  g_assert_cmpint (event_index (f, "loader:outer"), >=, 0);
  g_assert_cmpint (event_index (f, "loader:outer"), <, event_index (f, "loader:inner"));
  g_assert_cmpint (event_index (f, "init:lp"), >=, 0);
  g_assert_cmpint (event_index (f, "init:lp/lm"), >=, 0);
  g_assert_cmpint (event_index (f, "init:nested"), >=, 0);
  g_assert_cmpuint (root->calls, ==, 1);
  g_assert_cmpuint (plugin->calls, ==, 1);

  lp = seen_by (f, "lp", ref_loader_plugin ());
  g_assert_nonnull (lp);
  g_assert_cmpint (lp->value, ==, 7);
  g_assert_true (seen_by (f, "lp/lm", ref_loader_plugin ()) == lp);
  g_assert_nonnull (seen_by (f, "lp", ref_loader_root ()));
}

static const PlacementCase explicit_wins_cases[] = {
  { "/registry/loader/explicit-wins/added", FALSE },
  { "/registry/loader/explicit-wins/default", TRUE },
};

static void
test_registry_loader_explicit_wins (Fixture       *f,
                                    gconstpointer  data)
{
  const PlacementCase *c = data;
  Counter *explicit = counter_new (f);
  Counter *loaded = counter_new (f);
  BkServiceFactory *factory = thing_factory_new (f, ref_dup (), 1, explicit, NULL);

  f->backend = c->as_defaults ? bk_backend_new_specialized (MOCK_DEFAULTS, factory, NULL)
                              : backend_new ();
  add (f, test_loader_new (f, "my-loader",
                           features_new (thing_factory_new (f, ref_dup (), 2, loaded, NULL), NULL),
                           NULL, NULL));
  if (!c->as_defaults)
    add (f, factory);
  add (f, test_plugin_new (f, "p", ref_dup (), NULL));
  start_ok (f);

  g_assert_cmpint (event_index (f, "loader:my-loader"), >=, 0);
  g_assert_cmpuint (explicit->calls, ==, 1);
  g_assert_cmpuint (loaded->calls, ==, 0);
  g_assert_nonnull (seen_by (f, "p", ref_dup ()));
  g_assert_cmpint (TEST_THING (seen_by (f, "p", ref_dup ()))->value, ==, 1);
}

static void
test_registry_loader_duplicate (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  Counter *a = counter_new (f);
  Counter *b = counter_new (f);

  f->backend = backend_new ();
  add (f, test_loader_new (f, "loader-a",
                           features_new (thing_factory_new (f, ref_dup (), 1, a, NULL), NULL),
                           NULL, NULL));
  add (f, test_loader_new (f, "loader-b",
                           features_new (thing_factory_new (f, ref_dup (), 2, b, NULL), NULL),
                           NULL, NULL));

  g_assert_false (start_backend (f, &error));
  g_assert_nonnull (error);
  g_assert_cmpstr (error->message, ==,
                   "Duplicate service implementations provided for dup by both feature loader "
                   "'loader-a' and feature loader 'loader-b'");
  g_assert_true (error->domain == BK_BACKEND_ERROR);
  g_assert_cmpuint (a->calls, ==, 0);
  g_assert_cmpuint (b->calls, ==, 0);
}

static void
test_registry_loader_failing (Fixture       *f,
                              gconstpointer  data)
{
  f->backend = backend_new ();
  add (f, test_loader_new (f, "bad-loader", NULL, "boom", NULL));
  add (f, test_plugin_new (f, "p", NULL));
  start_fails_with (f, BK_BACKEND_ERROR_LOADER_FAILED,
                    "Feature loader 'bad-loader' failed; caused by boom");

  g_assert_cmpint (event_index (f, "init:p"), ==, -1);
}

/* ------------------------------------------------------------------------ */
/* Rule 5: eager and lazy                                                   */
/* ------------------------------------------------------------------------ */

static void
test_registry_initialization_root_eager (Fixture       *f,
                                         gconstpointer  data)
{
  Counter *counter = counter_new (f);

  f->backend = backend_new ();
  add (f, thing_factory_new (f, ref_eager (), 1, counter, NULL));
  add (f, test_plugin_new (f, "p", NULL));
  start_ok (f);

  g_assert_cmpuint (counter->calls, ==, 1);
  g_assert_cmpint (event_index (f, "create:eager@root"), >=, 0);
}

static void
test_registry_initialization_plugin_lazy (Fixture       *f,
                                          gconstpointer  data)
{
  Counter *counter = counter_new (f);

  f->backend = backend_new ();
  add (f, thing_factory_new (f, ref_lazy (), 1, counter, NULL));
  add (f, test_plugin_new (f, "p", NULL));
  add (f, test_module_new (f, "p", "m", NULL));
  start_ok (f);

  g_assert_cmpuint (counter->calls, ==, 0);
  g_assert_cmpint (event_index (f, "init:p"), >=, 0);
}

static void
test_registry_initialization_plugin_always (Fixture       *f,
                                            gconstpointer  data)
{
  Counter *counter = counter_new (f);
  const char *plugins[] = { "p1", "p2" };

  f->backend = backend_new ();
  add (f, with_initialization (thing_factory_new (f, ref_always (), 1, counter, NULL),
                               BK_SERVICE_INITIALIZATION_ALWAYS));
  add (f, test_plugin_new (f, "p1", NULL));
  add (f, test_module_new (f, "p1", "m", NULL));
  add (f, test_plugin_new (f, "p2", NULL));
  add (f, test_module_new (f, "p2", "m", NULL));
  start_ok (f);

  g_assert_cmpuint (counter->calls, ==, 2);

  for (guint i = 0; i < G_N_ELEMENTS (plugins); i++)
    {
      g_autofree char *create = g_strdup_printf ("create:always@%s", plugins[i]);
      g_autofree char *module_init = g_strdup_printf ("init:%s/m", plugins[i]);
      g_autofree char *plugin_init = g_strdup_printf ("init:%s", plugins[i]);
      int created_at = event_index (f, create);

      g_assert_cmpint (created_at, >=, 0);
      g_assert_cmpint (event_index (f, module_init), >, created_at);
      g_assert_cmpint (event_index (f, plugin_init), >, created_at);
    }
}

static void
test_registry_initialization_root_lazy (Fixture       *f,
                                        gconstpointer  data)
{
  Counter *counter = counter_new (f);

  f->backend = backend_new ();
  add (f, with_initialization (thing_factory_new (f, ref_root_lazy (), 1, counter, NULL),
                               BK_SERVICE_INITIALIZATION_LAZY));
  add (f, test_plugin_new (f, "p", NULL));
  start_ok (f);

  g_assert_cmpuint (counter->calls, ==, 0);
}

static void
test_registry_initialization_root_lazy_used (Fixture       *f,
                                             gconstpointer  data)
{
  Counter *counter = counter_new (f);

  f->backend = backend_new ();
  add (f, with_initialization (thing_factory_new (f, ref_root_lazy (), 1, counter, NULL),
                               BK_SERVICE_INITIALIZATION_LAZY));
  add (f, test_plugin_new (f, "p1", ref_root_lazy (), NULL));
  add (f, test_plugin_new (f, "p2", ref_root_lazy (), NULL));
  start_ok (f);

  g_assert_cmpuint (counter->calls, ==, 1);
  g_assert_nonnull (seen_by (f, "p1", ref_root_lazy ()));
  g_assert_true (seen_by (f, "p1", ref_root_lazy ()) == seen_by (f, "p2", ref_root_lazy ()));
}

/* ------------------------------------------------------------------------ */
/* Error decoration                                                         */
/* ------------------------------------------------------------------------ */

static void
test_registry_factory_error_plugin (Fixture       *f,
                                    gconstpointer  data)
{
  Counter *counter = counter_new (f);
  const GError *cause;

  f->backend = backend_new ();
  add (f, failing_factory_new (f, ref_failing (), counter, "boom"));
  add (f, test_plugin_new (f, "p", ref_failing (), NULL));
  start_fails_with (f, BK_BACKEND_ERROR_STARTUP_FAILED,
                    "Backend startup failed due to the following errors:\n"
                    "  Plugin 'p' startup failed; caused by Failed to instantiate service "
                    "'failing' for 'p' because the factory function threw an error, boom");

  g_assert_cmpuint (counter->calls, ==, 1);
  g_assert_cmpint (event_index (f, "init:p"), ==, -1);
  g_assert_nonnull (f->result);
  g_assert_nonnull (bk_startup_result_find_plugin (f->result, "p"));
  cause = bk_feature_result_get_error (bk_startup_result_find_plugin (f->result, "p"));
  g_assert_nonnull (cause);
  g_assert_cmpstr (cause->message, ==,
                   "Failed to instantiate service 'failing' for 'p' because the factory "
                   "function threw an error, boom");
}

static void
test_registry_factory_error_root_context (Fixture       *f,
                                          gconstpointer  data)
{
  Counter *counter = counter_new (f);

  f->backend = backend_new ();
  add (f, with_root_context (thing_factory_new (f, ref_ctx_failing (), 1, counter, NULL),
                             f, counter, "ctx boom"));
  add (f, test_plugin_new (f, "p", ref_ctx_failing (), NULL));
  start_fails_with (f, BK_BACKEND_ERROR_STARTUP_FAILED,
                    "Backend startup failed due to the following errors:\n"
                    "  Plugin 'p' startup failed; caused by Failed to instantiate service "
                    "'ctx-failing' because createRootContext threw an error, ctx boom");

  g_assert_cmpuint (counter->context_calls, ==, 1);
  g_assert_cmpuint (counter->calls, ==, 0);
}

static void
test_registry_factory_error_root (Fixture       *f,
                                  gconstpointer  data)
{
  Counter *counter = counter_new (f);

  f->backend = backend_new ();
  add (f, failing_factory_new (f, ref_root_failing (), counter, "boom"));
  add (f, test_plugin_new (f, "p", NULL));
  start_fails_with (f, BK_BACKEND_ERROR_FACTORY_FAILED,
                    "Failed to instantiate service 'root-failing' because the factory function "
                    "threw an error, boom");

  g_assert_cmpuint (counter->calls, ==, 1);
  g_assert_cmpint (event_index (f, "init:p"), ==, -1);
}

/* ------------------------------------------------------------------------ */
/* BkServiceFactoryTester                                                   */
/* ------------------------------------------------------------------------ */

static void
test_registry_tester_subject_per_plugin (Fixture       *f,
                                         gconstpointer  data)
{
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  g_autoptr(GError) error = NULL;
  Counter *counter = counter_new (f);
  TestThing *by_default, *test, *other;

  tester = bk_service_factory_tester_new (thing_factory_new (f, ref_subject (), 1, counter, NULL),
                                          NULL);

  by_default = bk_service_factory_tester_get_subject (tester, NULL, &error);
  g_assert_no_error (error);
  test = bk_service_factory_tester_get_subject (tester, "test", &error);
  g_assert_no_error (error);
  other = bk_service_factory_tester_get_subject (tester, "other", &error);
  g_assert_no_error (error);

  g_assert_true (TEST_IS_THING (by_default));
  g_assert_true (TEST_IS_THING (other));
  g_assert_cmpstr (by_default->plugin_id, ==, "test");
  g_assert_true (test == by_default);
  g_assert_cmpstr (other->plugin_id, ==, "other");
  g_assert_true (other != by_default);
  g_assert_cmpuint (counter->calls, ==, 2);
}

static void
test_registry_tester_root_context_shared (Fixture       *f,
                                          gconstpointer  data)
{
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  g_autoptr(GError) error = NULL;
  Counter *counter = counter_new (f);
  gpointer context;

  tester = bk_service_factory_tester_new (
      with_root_context (thing_factory_new (f, ref_ctx (), 1, counter, NULL), f, counter, NULL),
      NULL);

  g_assert_nonnull (bk_service_factory_tester_get_subject (tester, "a", &error));
  g_assert_no_error (error);
  g_assert_nonnull (bk_service_factory_tester_get_subject (tester, "b", &error));
  g_assert_no_error (error);

  g_assert_cmpuint (counter->context_calls, ==, 1);
  g_assert_cmpuint (counter->calls, ==, 2);
  context = g_hash_table_lookup (f->seen, "ctx-svc@a:ctx");
  g_assert_nonnull (context);
  g_assert_true (g_hash_table_lookup (f->seen, "ctx-svc@b:ctx") == context);
}

static void
test_registry_tester_override (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(BkServiceFactoryTester) plain = NULL;
  g_autoptr(BkServiceFactoryTester) overridden = NULL;
  g_autoptr(GError) error = NULL;
  TestThing *subject;

  /* without an override, the dependency comes from its ref's default */
  plain = bk_service_factory_tester_new (
      thing_factory_new (f, ref_subject (), 1, NULL, ref_tester_dep (), NULL), NULL);
  subject = bk_service_factory_tester_get_subject (plain, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (subject);
  g_assert_nonnull (subject->dep);
  g_assert_cmpint (TEST_THING (subject->dep)->value, ==, 1);

  /* the override replaces it */
  overridden = bk_service_factory_tester_new (
      thing_factory_new (f, ref_subject (), 1, NULL, ref_tester_dep (), NULL),
      thing_factory_new (f, ref_tester_dep (), 2, NULL, NULL),
      NULL);
  subject = bk_service_factory_tester_get_subject (overridden, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (subject);
  g_assert_nonnull (subject->dep);
  g_assert_cmpint (TEST_THING (subject->dep)->value, ==, 2);
  g_assert_true (bk_service_factory_tester_get_service (overridden, ref_tester_dep (), NULL, &error)
                 == (gpointer) subject->dep);
  g_assert_no_error (error);
}

static void
test_registry_tester_missing_dep (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  g_autoptr(GError) error = NULL;
  gpointer subject;

  tester = bk_service_factory_tester_new (thing_factory_new (f, ref_b (), 1, NULL, ref_a (), NULL),
                                          NULL);
  subject = bk_service_factory_tester_get_subject (tester, "x", &error);

  g_assert_null (subject);
  g_assert_nonnull (error);
  g_assert_cmpstr (error->message, ==,
                   "Failed to instantiate service 'b' for 'x' because the following dependent "
                   "services are missing: 'a'");
  g_assert_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_MISSING_DEPENDENCY);
}

/* ------------------------------------------------------------------------ */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD_TEST(path, func) \
  g_test_add ("/registry/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  /* rule 1 */
  ADD_TEST ("once-per-scope/root", test_registry_once_per_scope_root);
  ADD_TEST ("once-per-scope/plugin", test_registry_once_per_scope_plugin);
  ADD_TEST ("once-per-scope/concurrent-async", test_registry_once_per_scope_concurrent_async);
  ADD_TEST ("root-context/once", test_registry_root_context_once);
  /* rule 2 */
  ADD_TEST ("scope/root-on-plugin", test_registry_scope_root_on_plugin);
  ADD_TEST ("scope/plugin-on-root", test_registry_scope_plugin_on_root);
  ADD_TEST ("scope/root-on-root", test_registry_scope_root_on_root);
  ADD_TEST ("scope/plugin-on-plugin", test_registry_scope_plugin_on_plugin);
  /* rule 3 */
  ADD_TEST ("plan/nothing-runs-on-error", test_registry_plan_nothing_runs_on_error);
  ADD_TEST ("plan/missing/plugin-scoped", test_registry_plan_missing_plugin_scoped);
  ADD_TEST ("plan/missing/root-scoped", test_registry_plan_missing_root_scoped);
  ADD_TEST ("plan/missing/init-deps", test_registry_plan_missing_init_deps);
  for (guint i = 0; i < G_N_ELEMENTS (cycle_cases); i++)
    g_test_add (cycle_cases[i].path, Fixture, &cycle_cases[i],
                fixture_setup, test_registry_plan_cycle, fixture_teardown);
  ADD_TEST ("plan/cycle/insertion-order", test_registry_plan_cycle_insertion_order);
  ADD_TEST ("plan/all-errors", test_registry_plan_all_errors);
  ADD_TEST ("plan/unreachable-lazy", test_registry_plan_unreachable_lazy);
  ADD_TEST ("type-mismatch/root", test_registry_type_mismatch_root);
  ADD_TEST ("type-mismatch/plugin", test_registry_type_mismatch_plugin);
  /* rule 4 */
  ADD_TEST ("multiton/order", test_registry_multiton_order);
  ADD_TEST ("multiton/empty", test_registry_multiton_empty);
  ADD_TEST ("multiton/get-single", test_registry_multiton_get_single);
  ADD_TEST ("deps/undeclared", test_registry_deps_undeclared);
  ADD_TEST ("default-factory/once", test_registry_default_factory_once);
  ADD_TEST ("default-factory/replaced", test_registry_default_factory_replaced);
  ADD_TEST ("default-factory/null", test_registry_default_factory_null);
  ADD_TEST ("default-factory/null/init-dep", test_registry_default_factory_null_init_dep);
  for (guint i = 0; i < G_N_ELEMENTS (duplicate_cases); i++)
    g_test_add (duplicate_cases[i].path, Fixture, &duplicate_cases[i],
                fixture_setup, test_registry_duplicate, fixture_teardown);
  for (guint i = 0; i < G_N_ELEMENTS (plugin_metadata_cases); i++)
    g_test_add (plugin_metadata_cases[i].path, Fixture, &plugin_metadata_cases[i],
                fixture_setup, test_registry_plugin_metadata, fixture_teardown);
  ADD_TEST ("loader/override-instantiated", test_registry_loader_override_instantiated);
  ADD_TEST ("loader/plugin-scoped-dep", test_registry_loader_plugin_scoped_dep);
  ADD_TEST ("loader/adds-features", test_registry_loader_adds_features);
  for (guint i = 0; i < G_N_ELEMENTS (explicit_wins_cases); i++)
    g_test_add (explicit_wins_cases[i].path, Fixture, &explicit_wins_cases[i],
                fixture_setup, test_registry_loader_explicit_wins, fixture_teardown);
  ADD_TEST ("loader/duplicate", test_registry_loader_duplicate);
  ADD_TEST ("loader/failing", test_registry_loader_failing);
  /* rule 5 */
  ADD_TEST ("initialization/root-eager", test_registry_initialization_root_eager);
  ADD_TEST ("initialization/plugin-lazy", test_registry_initialization_plugin_lazy);
  ADD_TEST ("initialization/plugin-always", test_registry_initialization_plugin_always);
  ADD_TEST ("initialization/root-lazy", test_registry_initialization_root_lazy);
  ADD_TEST ("initialization/root-lazy/used", test_registry_initialization_root_lazy_used);
  /* error decoration */
  ADD_TEST ("factory-error/plugin", test_registry_factory_error_plugin);
  ADD_TEST ("factory-error/root-context", test_registry_factory_error_root_context);
  ADD_TEST ("factory-error/root", test_registry_factory_error_root);
  /* BkServiceFactoryTester */
  ADD_TEST ("tester/subject-per-plugin", test_registry_tester_subject_per_plugin);
  ADD_TEST ("tester/root-context-shared", test_registry_tester_root_context_shared);
  ADD_TEST ("tester/override", test_registry_tester_override);
  ADD_TEST ("tester/missing-dep", test_registry_tester_missing_dep);

#undef ADD_TEST

  return g_test_run ();
}
