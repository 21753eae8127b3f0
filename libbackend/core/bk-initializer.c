/* bk-initializer.c: start and stop, in the order of docs/container.md.
 *
 * Start plans first (feature loaders, ids, registrations, extension point
 * ownership, dependency checks, the service graph) and only then runs:
 * eager root services, then every plugin concurrently (its always
 * services, its modules in extension-point order, its init, its startup
 * hooks), then judges failures against the boot-failure policy and runs
 * the root startup hooks. Stop runs the hooks in reverse and releases
 * everything.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include "bk-initializer-private.h"
#include "bk-registry-private.h"
#include "bk-services-private.h"
#include "bk-duration-private.h"

typedef struct _PluginRun PluginRun;

typedef struct
{
  BkEpRegistration *registration;  /* owned by its BkRegistration */
  char             *plugin_id;
  char             *module_id;     /* NULL if the plugin itself registered it */
  GObject          *provided;      /* handed in by a test kit */
} EpOwner;

typedef struct
{
  PluginRun       *plugin;
  BkRegistration  *registration;
  BkFeatureResult *result;
  GPtrArray       *waiters;        /* ModuleRun that wait for this one */
  guint            n_waiting;
  GHashTable      *ep_objects;     /* ep id → GObject made for this module */
} ModuleRun;

struct _PluginRun
{
  BkInitializer   *initializer;
  char            *plugin_id;
  BkRegistration  *registration;
  BkFeatureResult *result;
  GPtrArray       *modules;        /* ModuleRun */
  guint            modules_pending;
  gboolean         duplicate;
  gboolean         finished;
  gboolean         reported;       /* named in a progress line once finished */
  BkDoneFunc       done;
  gpointer         data;
};

typedef struct
{
  BkExtensionPoint *extension_point;
  GObject          *implementation;
} ProvidedEp;

struct _BkInitializer
{
  GPtrArray       *defaults;        /* BkServiceFactory */
  GPtrArray       *features;        /* BkFeature, add order */
  GPtrArray       *provided_eps;    /* ProvidedEp */
  BkRegistry      *registry;
  gboolean         prepared;
  GError          *prepare_error;
  GPtrArray       *loaders;         /* BkFeatureLoader queue */
  GPtrArray       *units;           /* plugins and modules, in order */
  GPtrArray       *plugins;         /* PluginRun, registration order */
  GHashTable      *plugin_by_id;    /* id → PluginRun (first) */
  GHashTable      *eps;             /* ep id → EpOwner */
  GPtrArray       *contexts;        /* BkExtensionPointContext */
  GPtrArray       *skipped;         /* char*, warnings to log */
  BkStartupResult *result;
  BkObjectTracker  tracker;
  gpointer         tracker_data;
  gboolean         shuffle;
  guint32          seed;
  gboolean         synthesize;
  gboolean         finalized;
  GCancellable    *cancellable;
  BkDoneFunc       start_done;
  gpointer         start_data;
  GPtrArray       *eager_roots;
  GPtrArray       *always;          /* plugin-scoped refs made for every plugin */
  guint            eager_index;
  guint            plugins_pending;
  guint64          shutdown_timeout_ms;
  /* startup progress log */
  BkLogger        *progress_logger;
  BkClock         *progress_clock;
  guint            progress_timer;
  guint            progress_step;
  /* stop */
  BkDoneFunc       stop_done;
  gpointer         stop_data;
  guint            stop_pending;
};

static void start_fail (BkInitializer *self, GError *error);
void _bk_initializer_report_module_failure (gpointer      data,
                                            const char   *plugin_id,
                                            const char   *module_id,
                                            const GError *error);
static void loaders_next (BkInitializer *self);
static void plugin_run_start (PluginRun *run);

static void
ep_owner_free (gpointer data)
{
  EpOwner *owner = data;

  g_clear_object (&owner->provided);
  g_free (owner->plugin_id);
  g_free (owner->module_id);
  g_free (owner);
}

static void
module_run_free (gpointer data)
{
  ModuleRun *m = data;

  _bk_registration_free (m->registration);
  g_clear_object (&m->result);
  g_clear_pointer (&m->waiters, g_ptr_array_unref);
  g_clear_pointer (&m->ep_objects, g_hash_table_unref);
  g_free (m);
}

static void
plugin_run_free (gpointer data)
{
  PluginRun *run = data;

  _bk_registration_free (run->registration);
  g_clear_object (&run->result);
  g_clear_pointer (&run->modules, g_ptr_array_unref);
  g_free (run->plugin_id);
  g_free (run);
}

static void
provided_ep_free (gpointer data)
{
  ProvidedEp *p = data;

  g_clear_object (&p->extension_point);
  g_clear_object (&p->implementation);
  g_free (p);
}

BkInitializer *
_bk_initializer_new (void)
{
  BkInitializer *self = g_new0 (BkInitializer, 1);

  self->shutdown_timeout_ms = 30000;
  self->defaults = g_ptr_array_new_with_free_func (g_object_unref);
  self->features = g_ptr_array_new_with_free_func (g_object_unref);
  self->provided_eps = g_ptr_array_new_with_free_func (provided_ep_free);
  self->loaders = g_ptr_array_new_with_free_func (g_object_unref);
  self->units = g_ptr_array_new_with_free_func (g_object_unref);
  self->plugins = g_ptr_array_new_with_free_func (plugin_run_free);
  self->plugin_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->eps = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, ep_owner_free);
  self->contexts = g_ptr_array_new_with_free_func (g_object_unref);
  self->skipped = g_ptr_array_new_with_free_func (g_free);
  self->result = _bk_startup_result_new ();

  return self;
}

/* Drops every object the backend made or was given. */
static void progress_stop (BkInitializer *self);

static void
initializer_release (BkInitializer *self)
{
  progress_stop (self);
  for (guint i = 0; i < self->contexts->len; i++)
    _bk_extension_point_context_detach (g_ptr_array_index (self->contexts, i));
  g_ptr_array_set_size (self->contexts, 0);
  g_hash_table_remove_all (self->eps);
  g_hash_table_remove_all (self->plugin_by_id);
  g_ptr_array_set_size (self->plugins, 0);
  g_clear_pointer (&self->registry, _bk_registry_free);
  g_ptr_array_set_size (self->units, 0);
  g_ptr_array_set_size (self->loaders, 0);
  g_ptr_array_set_size (self->features, 0);
  g_ptr_array_set_size (self->defaults, 0);
  g_ptr_array_set_size (self->provided_eps, 0);
  g_clear_pointer (&self->eager_roots, g_ptr_array_unref);
  g_clear_pointer (&self->always, g_ptr_array_unref);
}

void
_bk_initializer_free (BkInitializer *self)
{
  if (self == NULL)
    return;
  initializer_release (self);
  g_clear_pointer (&self->defaults, g_ptr_array_unref);
  g_clear_pointer (&self->features, g_ptr_array_unref);
  g_clear_pointer (&self->provided_eps, g_ptr_array_unref);
  g_clear_pointer (&self->loaders, g_ptr_array_unref);
  g_clear_pointer (&self->units, g_ptr_array_unref);
  g_clear_pointer (&self->plugins, g_ptr_array_unref);
  g_clear_pointer (&self->plugin_by_id, g_hash_table_unref);
  g_clear_pointer (&self->eps, g_hash_table_unref);
  g_clear_pointer (&self->contexts, g_ptr_array_unref);
  g_clear_pointer (&self->skipped, g_ptr_array_unref);
  g_clear_object (&self->result);
  g_clear_object (&self->cancellable);
  g_clear_error (&self->prepare_error);
  g_free (self);
}

void
_bk_initializer_add_default (BkInitializer    *self,
                             BkServiceFactory *factory)
{
  g_ptr_array_add (self->defaults, factory);
}

void
_bk_initializer_add (BkInitializer *self,
                     BkFeature     *feature)
{
  g_ptr_array_add (self->features, feature);
}

void
_bk_initializer_set_tracker (BkInitializer   *self,
                             BkObjectTracker  tracker,
                             gpointer         user_data)
{
  self->tracker = tracker;
  self->tracker_data = user_data;
}

void
_bk_initializer_set_seed (BkInitializer *self,
                          guint32        seed)
{
  self->shuffle = TRUE;
  self->seed = seed;
}

void
_bk_initializer_set_synthesize (BkInitializer *self,
                                gboolean       synthesize)
{
  self->synthesize = synthesize;
}

void
_bk_initializer_provide_extension_point (BkInitializer    *self,
                                         BkExtensionPoint *extension_point,
                                         GObject          *implementation)
{
  ProvidedEp *p = g_new0 (ProvidedEp, 1);

  p->extension_point = g_object_ref (extension_point);
  p->implementation = g_object_ref (implementation);
  g_ptr_array_add (self->provided_eps, p);
}

static void
track (BkInitializer *self,
       gpointer       object,
       const char    *description)
{
  if (self->tracker != NULL)
    self->tracker (object, description, self->tracker_data);
}

static void
track_unit (BkInitializer *self,
            BkFeature     *feature)
{
  if (self->tracker != NULL)
    {
      g_autofree char *description = bk_feature_describe (feature);

      self->tracker (G_OBJECT (feature), description, self->tracker_data);
    }
}

static void
append_line (GString    *lines,
             const char *line)
{
  if (lines->len > 0)
    g_string_append_c (lines, '\n');
  g_string_append (lines, line);
}

/* Factories and features given before start go into the registry once. */
static gboolean
prepare (BkInitializer  *self,
         GError        **error)
{
  g_autoptr(GString) lines = NULL;
  gint code = 0;

  if (self->prepared)
    goto out;
  self->prepared = TRUE;
  self->registry = _bk_registry_new (self->tracker, self->tracker_data);
  lines = g_string_new (NULL);

  for (guint i = 0; i < self->defaults->len; i++)
    {
      g_autoptr(GError) local_error = NULL;

      if (!_bk_registry_add (self->registry, g_ptr_array_index (self->defaults, i),
                             BK_FACTORY_SOURCE_DEFAULT, NULL, &local_error))
        {
          if (lines->len == 0)
            code = local_error->code;
          append_line (lines, local_error->message);
        }
    }

  for (guint i = 0; i < self->features->len; i++)
    {
      BkFeature *feature = g_ptr_array_index (self->features, i);
      g_autoptr(GError) local_error = NULL;

      if (BK_IS_SERVICE_FACTORY (feature))
        {
          if (!_bk_registry_add (self->registry, BK_SERVICE_FACTORY (feature),
                                 BK_FACTORY_SOURCE_EXPLICIT, NULL, &local_error))
            {
              if (lines->len == 0)
                code = local_error->code;
              append_line (lines, local_error->message);
            }
        }
      else if (BK_IS_FEATURE_LOADER (feature))
        g_ptr_array_add (self->loaders, g_object_ref (feature));
      else
        g_ptr_array_add (self->units, g_object_ref (feature));
    }

  if (lines->len > 0)
    self->prepare_error = g_error_new_literal (BK_BACKEND_ERROR, code, lines->str);

out:
  if (self->prepare_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->prepare_error));
      return FALSE;
    }
  return TRUE;
}

/* Feature loaders -------------------------------------------------------- */

typedef struct
{
  BkInitializer   *self;
  BkFeatureLoader *loader;
} LoaderRun;

static void
loader_deps_ready (gpointer      data,
                   gpointer      result,
                   const GError *error)
{
  LoaderRun *lr = data;
  BkInitializer *self = lr->self;
  g_autoptr(BkFeatureLoader) loader = lr->loader;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) features = NULL;
  guint insert_at = 0;

  g_free (lr);

  if (error != NULL)
    {
      start_fail (self, g_error_copy (error));
      return;
    }

  features = _bk_feature_loader_load (loader, result, &local_error);
  if (features == NULL)
    {
      start_fail (self, g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_LOADER_FAILED,
                                     "Feature loader '%s' failed; caused by %s",
                                     bk_feature_loader_get_name (loader), local_error->message));
      return;
    }

  for (guint i = 0; i < features->len; i++)
    {
      BkFeature *feature = g_ptr_array_index (features, i);

      if (!BK_IS_FEATURE (feature))
        {
          start_fail (self, g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_LOADER_FAILED,
                                         "Feature loader '%s' failed; caused by it returned a '%s', which is not a BkFeature",
                                         bk_feature_loader_get_name (loader),
                                         feature ? G_OBJECT_TYPE_NAME (feature) : "NULL"));
          return;
        }
      if (BK_IS_SERVICE_FACTORY (feature))
        {
          if (!_bk_registry_add (self->registry, BK_SERVICE_FACTORY (feature), BK_FACTORY_SOURCE_LOADER,
                                 bk_feature_loader_get_name (loader), &local_error))
            {
              start_fail (self, g_steal_pointer (&local_error));
              return;
            }
        }
      else if (BK_IS_FEATURE_LOADER (feature))
        g_ptr_array_insert (self->loaders, insert_at++, g_object_ref (feature)); /* depth first */
      else
        g_ptr_array_add (self->units, g_object_ref (feature));
    }

  loaders_next (self);
}

static void register_phase (BkInitializer *self);

static void
loaders_next (BkInitializer *self)
{
  g_autoptr(BkFeatureLoader) loader = NULL;
  g_autoptr(GArray) requests = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *deps;
  LoaderRun *lr;

  if (self->loaders->len == 0)
    {
      register_phase (self);
      return;
    }

  loader = g_ptr_array_steal_index (self->loaders, 0);
  deps = _bk_feature_loader_get_deps (loader);
  requests = g_array_new (FALSE, FALSE, sizeof (BkPlanRequest));

  for (guint i = 0; i < deps->len; i++)
    {
      BkServiceRef *dep = g_ptr_array_index (deps, i);
      BkPlanRequest request = { dep, NULL };

      if (bk_service_ref_get_scope (dep) != BK_SERVICE_SCOPE_ROOT)
        {
          start_fail (self, g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_SCOPE_VIOLATION,
                                         "Feature loaders can only depend on root scoped services, but '%s' is scoped to 'plugin'. Offending loader is feature loader '%s'",
                                         bk_service_ref_get_id (dep), bk_feature_loader_get_name (loader)));
          return;
        }
      if (!_bk_registry_can_provide (self->registry, dep, &error))
        {
          if (error == NULL)
            error = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_MISSING_DEPENDENCY,
                                 "No service available for the following ref(s): serviceRef{%s}, depended on by feature loader '%s'",
                                 bk_service_ref_get_id (dep), bk_feature_loader_get_name (loader));
          start_fail (self, g_steal_pointer (&error));
          return;
        }
      g_array_append_val (requests, request);
    }

  if (!_bk_registry_plan (self->registry, (BkPlanRequest *) (gpointer) requests->data, requests->len, &error))
    {
      start_fail (self, g_steal_pointer (&error));
      return;
    }

  lr = g_new0 (LoaderRun, 1);
  lr->self = self;
  lr->loader = g_steal_pointer (&loader);
  _bk_registry_resolve_deps (self->registry, deps, NULL, NULL, NULL, loader_deps_ready, lr);
}

/* Registrations ---------------------------------------------------------- */

static gboolean
empty_init (BkDeps   *deps,
            gpointer  user_data,
            GError  **error)
{
  return TRUE;
}

static void
empty_register (BkPluginEnv *env,
                gpointer     user_data)
{
  bk_plugin_env_register_init (env, empty_init, NULL, NULL, NULL);
}

static PluginRun *
plugin_run_new (BkInitializer *self,
                BkFeature     *feature,
                const char    *plugin_id)
{
  PluginRun *run = g_new0 (PluginRun, 1);

  run->initializer = self;
  run->plugin_id = g_strdup (plugin_id);
  run->registration = _bk_registration_new (feature, plugin_id, NULL);
  run->result = _bk_feature_result_new (plugin_id, NULL);
  run->modules = g_ptr_array_new_with_free_func (module_run_free);
  g_ptr_array_add (self->plugins, run);

  return run;
}

static ModuleRun *
plugin_find_module (PluginRun  *run,
                    const char *module_id)
{
  for (guint i = 0; i < run->modules->len; i++)
    {
      ModuleRun *m = g_ptr_array_index (run->modules, i);

      if (g_strcmp0 (m->registration->module_id, module_id) == 0)
        return m;
    }
  return NULL;
}

static void
register_extension_points (BkInitializer  *self,
                           BkRegistration *registration)
{
  if (registration->error != NULL)
    return;

  for (guint i = 0; i < registration->extension_points->len; i++)
    {
      BkEpRegistration *ep = g_ptr_array_index (registration->extension_points, i);
      const char *id = bk_extension_point_get_id (ep->extension_point);
      EpOwner *owner;

      if (g_hash_table_contains (self->eps, id))
        {
          registration->error = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_DUPLICATE_FEATURE,
                                             "ExtensionPoint with ID '%s' is already registered", id);
          return;
        }
      owner = g_new0 (EpOwner, 1);
      owner->registration = ep;
      owner->plugin_id = g_strdup (registration->plugin_id);
      owner->module_id = g_strdup (registration->module_id);
      g_hash_table_insert (self->eps, (gpointer) id, owner);
      if (ep->implementation != NULL)
        {
          g_autofree char *description = g_strdup_printf ("extension point '%s' of plugin '%s'",
                                                          id, registration->plugin_id);
          track (self, ep->implementation, description);
        }
    }
}

static gboolean
provide_test_extension_points (BkInitializer  *self,
                               GError        **error)
{
  g_autoptr(GString) unowned = g_string_new (NULL);

  for (guint i = 0; i < self->provided_eps->len; i++)
    {
      ProvidedEp *p = g_ptr_array_index (self->provided_eps, i);
      const char *id = bk_extension_point_get_id (p->extension_point);
      const char *plugin_id = NULL;
      EpOwner *owner;

      for (guint j = 0; plugin_id == NULL && j < self->plugins->len; j++)
        {
          PluginRun *run = g_ptr_array_index (self->plugins, j);

          for (guint k = 0; plugin_id == NULL && k < run->modules->len; k++)
            {
              ModuleRun *m = g_ptr_array_index (run->modules, k);

              for (guint d = 0; d < m->registration->init_deps->len; d++)
                {
                  BkDependency *dep = g_ptr_array_index (m->registration->init_deps, d);

                  if (BK_IS_EXTENSION_POINT (dep) && g_strcmp0 (bk_dependency_get_id (dep), id) == 0)
                    {
                      plugin_id = run->plugin_id;
                      break;
                    }
                }
            }
        }

      if (plugin_id == NULL)
        {
          g_string_append_printf (unowned, "%s'%s'", unowned->len ? ", " : "", id);
          continue;
        }

      owner = g_new0 (EpOwner, 1);
      owner->plugin_id = g_strdup (plugin_id);
      owner->provided = g_object_ref (p->implementation);
      /* Not tracked: the test made it and may keep it. */
      g_hash_table_replace (self->eps, (gpointer) id, owner);
    }

  if (unowned->len > 0)
    {
      g_set_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_ILLEGAL_DEPENDENCY,
                   "Unable to determine the plugin ID of extension point(s) %s. "
                   "Tested extension points must be depended on by one or more tested modules.",
                   unowned->str);
      return FALSE;
    }
  return TRUE;
}

static void
append_missing (GString      *missing,
                BkDependency *dep)
{
  g_autofree char *name = bk_dependency_to_string (dep);

  if (missing->len > 0)
    g_string_append (missing, ", ");
  g_string_append (missing, name);
}

/* Checks an init's dependencies; the error is the plugin's or module's. */
static void
check_init_deps (BkInitializer  *self,
                 BkRegistration *registration)
{
  g_autoptr(GString) missing = g_string_new (NULL);

  if (registration->error != NULL)
    return;

  for (guint i = 0; i < registration->init_deps->len; i++)
    {
      BkDependency *dep = g_ptr_array_index (registration->init_deps, i);

      if (BK_IS_EXTENSION_POINT (dep))
        {
          EpOwner *owner = g_hash_table_lookup (self->eps, bk_dependency_get_id (dep));

          if (registration->module_id == NULL)
            {
              registration->error = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_ILLEGAL_DEPENDENCY,
                                                 "Rejected dependency on extension point %s from outside of a module",
                                                 bk_dependency_get_id (dep));
              return;
            }
          if (owner == NULL)
            append_missing (missing, dep);
          else if (g_strcmp0 (owner->plugin_id, registration->plugin_id) != 0)
            {
              registration->error = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_ILLEGAL_DEPENDENCY,
                                                 "Illegal dependency: Module '%s' for plugin '%s' attempted to depend on extension point '%s' for plugin '%s'. "
                                                 "Extension points can only be used within their plugin's scope.",
                                                 registration->module_id, registration->plugin_id,
                                                 bk_dependency_get_id (dep), owner->plugin_id);
              return;
            }
        }
      else
        {
          g_autoptr(GError) error = NULL;

          if (!_bk_registry_can_provide (self->registry, BK_SERVICE_REF (dep), &error))
            {
              if (error != NULL)
                {
                  registration->error = g_steal_pointer (&error);
                  return;
                }
              append_missing (missing, dep);
            }
        }
    }

  if (missing->len > 0)
    {
      if (registration->module_id != NULL)
        registration->error = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_MISSING_DEPENDENCY,
                                           "Service or extension point dependencies of module '%s' for plugin '%s' are missing for the following ref(s): %s",
                                           registration->module_id, registration->plugin_id, missing->str);
      else
        registration->error = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_MISSING_DEPENDENCY,
                                           "Service or extension point dependencies of plugin '%s' are missing for the following ref(s): %s",
                                           registration->plugin_id, missing->str);
    }
}

static void
add_init_requests (GArray         *requests,
                   BkRegistration *registration)
{
  if (registration->error != NULL)
    return;
  for (guint i = 0; i < registration->init_deps->len; i++)
    {
      BkDependency *dep = g_ptr_array_index (registration->init_deps, i);
      BkPlanRequest request = { (BkServiceRef *) dep, registration->plugin_id };

      if (BK_IS_SERVICE_REF (dep))
        g_array_append_val (requests, request);
    }
}

static void root_next (BkInitializer *self);

static void
register_phase (BkInitializer *self)
{
  g_autoptr(GString) id_errors = g_string_new (NULL);
  g_autoptr(GPtrArray) plugin_ids = g_ptr_array_new ();
  g_autoptr(GPtrArray) module_ids = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  g_autoptr(BkRootInstanceMetadata) metadata = NULL;
  g_autoptr(GArray) requests = NULL;
  g_autoptr(GError) error = NULL;

  /* 1. ids */
  for (guint i = 0; i < self->units->len; i++)
    {
      BkFeature *unit = g_ptr_array_index (self->units, i);
      g_autoptr(GError) local_error = NULL;
      gboolean ok;

      if (BK_IS_PLUGIN (unit))
        ok = bk_validate_id (bk_plugin_get_plugin_id (BK_PLUGIN (unit)), NULL, &local_error);
      else
        ok = bk_validate_id (bk_module_get_plugin_id (BK_MODULE (unit)),
                             bk_module_get_module_id (BK_MODULE (unit)), &local_error);
      if (!ok)
        append_line (id_errors, local_error->message);
    }
  if (id_errors->len > 0)
    {
      start_fail (self, g_error_new_literal (BK_BACKEND_ERROR, BK_BACKEND_ERROR_INVALID_ID, id_errors->str));
      return;
    }

  /* 2. plugins, then modules, each in add order */
  for (guint i = 0; i < self->units->len; i++)
    {
      BkFeature *unit = g_ptr_array_index (self->units, i);
      const char *plugin_id;
      PluginRun *run;

      if (!BK_IS_PLUGIN (unit))
        continue;
      plugin_id = bk_plugin_get_plugin_id (BK_PLUGIN (unit));
      track_unit (self, unit);
      run = plugin_run_new (self, unit, plugin_id);
      if (g_hash_table_contains (self->plugin_by_id, plugin_id))
        {
          run->duplicate = TRUE;
          run->registration->error = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_DUPLICATE_FEATURE,
                                                  "Plugin '%s' is already registered", plugin_id);
          continue;
        }
      g_hash_table_insert (self->plugin_by_id, run->plugin_id, run);
      _bk_registration_run_register (run->registration);
    }

  for (guint i = 0; i < self->units->len; i++)
    {
      BkFeature *unit = g_ptr_array_index (self->units, i);
      const char *plugin_id;
      const char *module_id;
      PluginRun *run;
      ModuleRun *m;

      if (!BK_IS_MODULE (unit))
        continue;
      plugin_id = bk_module_get_plugin_id (BK_MODULE (unit));
      module_id = bk_module_get_module_id (BK_MODULE (unit));
      track_unit (self, unit);
      run = g_hash_table_lookup (self->plugin_by_id, plugin_id);

      if (run == NULL && self->synthesize)
        {
          g_autoptr(BkPlugin) plugin = bk_plugin_new (plugin_id, empty_register, NULL, NULL);

          track_unit (self, BK_FEATURE (plugin));
          run = plugin_run_new (self, BK_FEATURE (plugin), plugin_id);
          g_hash_table_insert (self->plugin_by_id, run->plugin_id, run);
          _bk_registration_run_register (run->registration);
        }
      if (run == NULL)
        {
          g_ptr_array_add (self->skipped,
                           g_strdup_printf ("Module '%s' for plugin '%s' was skipped because plugin '%s' is not installed",
                                            module_id, plugin_id, plugin_id));
          continue;
        }

      m = g_new0 (ModuleRun, 1);
      m->plugin = run;
      m->registration = _bk_registration_new (unit, plugin_id, module_id);
      m->result = _bk_feature_result_new (plugin_id, module_id);
      m->waiters = g_ptr_array_new ();
      m->ep_objects = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
      if (plugin_find_module (run, module_id) != NULL)
        m->registration->error = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_DUPLICATE_FEATURE,
                                              "Module '%s' for plugin '%s' is already registered",
                                              module_id, plugin_id);
      else
        _bk_registration_run_register (m->registration);
      g_ptr_array_add (run->modules, m);
    }

  /* 3. extension point ownership: the feature that came second fails */
  for (guint i = 0; i < self->plugins->len; i++)
    {
      PluginRun *run = g_ptr_array_index (self->plugins, i);

      if (run->duplicate)
        continue;
      register_extension_points (self, run->registration);
      for (guint j = 0; j < run->modules->len; j++)
        register_extension_points (self, ((ModuleRun *) g_ptr_array_index (run->modules, j))->registration);
    }
  if (!provide_test_extension_points (self, &error))
    {
      start_fail (self, g_steal_pointer (&error));
      return;
    }

  /* 4. core.rootInstanceMetadata */
  for (guint i = 0; i < self->plugins->len; i++)
    {
      PluginRun *run = g_ptr_array_index (self->plugins, i);
      GPtrArray *ids;

      if (run->duplicate)
        continue;
      ids = g_ptr_array_new ();
      for (guint j = 0; j < run->modules->len; j++)
        {
          ModuleRun *m = g_ptr_array_index (run->modules, j);

          if (plugin_find_module (run, m->registration->module_id) == m)
            g_ptr_array_add (ids, m->registration->module_id);
        }
      g_ptr_array_add (plugin_ids, run->plugin_id);
      g_ptr_array_add (module_ids, ids);
    }
  metadata = _bk_root_instance_metadata_new (NULL, plugin_ids, module_ids);
  _bk_registry_set_builtin (self->registry, BK_SERVICE_ROOT_INSTANCE_METADATA, G_OBJECT (metadata));

  /* 5. dependencies of inits, attributed to their plugin or module */
  for (guint i = 0; i < self->plugins->len; i++)
    {
      PluginRun *run = g_ptr_array_index (self->plugins, i);

      check_init_deps (self, run->registration);
      for (guint j = 0; j < run->modules->len; j++)
        check_init_deps (self, ((ModuleRun *) g_ptr_array_index (run->modules, j))->registration);
    }

  /* 6. the service graph, all at once */
  requests = g_array_new (FALSE, FALSE, sizeof (BkPlanRequest));
  self->eager_roots = _bk_registry_get_eager_refs (self->registry, BK_SERVICE_SCOPE_ROOT);
  for (guint i = 0; i < self->eager_roots->len; i++)
    {
      BkPlanRequest request = { g_ptr_array_index (self->eager_roots, i), NULL };

      g_array_append_val (requests, request);
    }
  self->always = _bk_registry_get_eager_refs (self->registry, BK_SERVICE_SCOPE_PLUGIN);
  for (guint i = 0; i < self->plugins->len; i++)
    {
      PluginRun *run = g_ptr_array_index (self->plugins, i);

      if (run->registration->error != NULL)
        continue;
      for (guint j = 0; j < self->always->len; j++)
        {
          BkPlanRequest request = { g_ptr_array_index (self->always, j), run->plugin_id };

          g_array_append_val (requests, request);
        }
      add_init_requests (requests, run->registration);
      for (guint j = 0; j < run->modules->len; j++)
        add_init_requests (requests, ((ModuleRun *) g_ptr_array_index (run->modules, j))->registration);
    }

  if (!_bk_registry_plan (self->registry, (BkPlanRequest *) (gpointer) requests->data, requests->len, &error))
    {
      start_fail (self, g_steal_pointer (&error));
      return;
    }

  /* Run: eager root services first, one after another. */
  self->eager_index = 0;
  root_next (self);
}

/* Running ---------------------------------------------------------------- */

static void plugins_start (BkInitializer *self);

static void
root_ready (gpointer      data,
            gpointer      result,
            const GError *error)
{
  BkInitializer *self = data;

  if (error != NULL)
    {
      start_fail (self, g_error_copy (error));
      return;
    }
  self->eager_index++;
  root_next (self);
}

static void
root_next (BkInitializer *self)
{
  if (self->eager_index >= self->eager_roots->len)
    {
      plugins_start (self);
      return;
    }
  _bk_registry_get (self->registry, g_ptr_array_index (self->eager_roots, self->eager_index),
                    NULL, root_ready, self);
}

static BkLogger *
root_logger (BkInitializer *self)
{
  GObject *logger = self->registry ? _bk_registry_lookup (self->registry, BK_SERVICE_ROOT_LOGGER, NULL) : NULL;

  return logger != NULL && BK_IS_LOGGER (logger) ? BK_LOGGER (logger) : NULL;
}

static void
log_warning (BkInitializer *self,
             const char    *message)
{
  BkLogger *logger = root_logger (self);

  if (logger != NULL)
    bk_logger_log (logger, BK_LOG_LEVEL_WARN, NULL, message);
  else
    g_message ("%s", message);
}

static void plugins_finalize (BkInitializer *self);
static void progress_begin (BkInitializer *self);

static void
plugin_done (gpointer      data,
             gpointer      result,
             const GError *error)
{
  BkInitializer *self = data;

  if (--self->plugins_pending == 0)
    plugins_finalize (self);
}

static void
plugins_start (BkInitializer *self)
{
  g_autoptr(GPtrArray) order = g_ptr_array_copy (self->plugins, NULL, NULL);
  g_autoptr(GError) error = NULL;

  g_ptr_array_set_free_func (order, NULL); /* a view: the copy keeps the free func */
  if (g_cancellable_set_error_if_cancelled (self->cancellable, &error))
    {
      start_fail (self, g_steal_pointer (&error));
      return;
    }

  for (guint i = 0; i < self->skipped->len; i++)
    log_warning (self, g_ptr_array_index (self->skipped, i));

  if (self->shuffle && order->len > 1)
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed (self->seed);

      for (guint i = order->len - 1; i > 0; i--)
        {
          guint j = g_rand_int_range (rand, 0, i + 1);
          gpointer tmp = order->pdata[i];

          order->pdata[i] = order->pdata[j];
          order->pdata[j] = tmp;
        }
    }

  progress_begin (self);
  self->plugins_pending = order->len + 1;
  for (guint i = 0; i < order->len; i++)
    {
      PluginRun *run = g_ptr_array_index (order, i);

      run->done = plugin_done;
      run->data = self;
      plugin_run_start (run);
    }
  plugin_done (self, NULL, NULL);
}

/* Startup progress log ---------------------------------------------------- */

/* Seconds between progress lines: 1 s, then growing (Fibonacci) up to 60 s. */
static guint
progress_interval_s (guint step)
{
  guint a = 1, b = 1;

  for (guint i = 0; i < step; i++)
    {
      guint next = a + b;

      a = b;
      b = next;
    }
  return MIN (a, 60);
}

/* 'a', 'b' — the plugins that finished (and were not named yet), or those
 * still initialising. */
static char *
progress_list (BkInitializer *self,
               gboolean       finished)
{
  g_autoptr(GString) list = g_string_new (NULL);

  for (guint i = 0; i < self->plugins->len; i++)
    {
      PluginRun *run = g_ptr_array_index (self->plugins, i);

      if (run->duplicate || run->finished != finished || (finished && run->reported))
        continue;
      if (finished)
        run->reported = TRUE;
      g_string_append_printf (list, "%s'%s'", list->len ? ", " : "", run->plugin_id);
    }
  return g_string_free (g_steal_pointer (&list), FALSE);
}

static void progress_schedule (BkInitializer *self);

static void
progress_tick (gpointer data)
{
  BkInitializer *self = data;
  g_autofree char *done = progress_list (self, TRUE);
  g_autofree char *pending = progress_list (self, FALSE);

  self->progress_timer = 0;
  if (*done != '\0')
    bk_logger_info (self->progress_logger,
                    "Plugin initialization in progress, newly initialized: %s, still initializing: %s",
                    done, pending);
  else
    bk_logger_info (self->progress_logger,
                    "Plugin initialization in progress, still initializing: %s", pending);
  self->progress_step++;
  progress_schedule (self);
}

static void
progress_schedule (BkInitializer *self)
{
  if (self->progress_clock == NULL)
    return;
  self->progress_timer = bk_clock_add_timer (self->progress_clock,
                                             progress_interval_s (self->progress_step) * 1000,
                                             progress_tick, self, NULL);
}

static void
progress_begin (BkInitializer *self)
{
  GObject *logger = _bk_registry_lookup (self->registry, BK_SERVICE_ROOT_LOGGER, NULL);
  GObject *clock = _bk_registry_lookup (self->registry, BK_SERVICE_ROOT_CLOCK, NULL);
  g_autofree char *pending = NULL;

  if (logger == NULL || !BK_IS_LOGGER (logger))
    return;
  self->progress_logger = bk_logger_child_with (BK_LOGGER (logger), "type", "initialization", NULL);
  if (clock != NULL && BK_IS_CLOCK (clock))
    self->progress_clock = g_object_ref (BK_CLOCK (clock));

  pending = progress_list (self, FALSE);
  bk_logger_info (self->progress_logger, "Plugin initialization started: %s", pending);
  self->progress_step = 0;
  progress_schedule (self);
}

static void
progress_stop (BkInitializer *self)
{
  if (self->progress_timer != 0 && self->progress_clock != NULL)
    bk_clock_cancel_timer (self->progress_clock, self->progress_timer);
  self->progress_timer = 0;
  g_clear_object (&self->progress_clock);
  g_clear_object (&self->progress_logger);
}

static void
progress_end (BkInitializer *self)
{
  if (self->progress_logger != NULL)
    {
      g_autofree char *done = progress_list (self, TRUE);

      if (*done != '\0')
        bk_logger_info (self->progress_logger, "Plugin initialization complete, newly initialized: %s", done);
      else
        bk_logger_info (self->progress_logger, "Plugin initialization complete");
    }
  progress_stop (self);
}

/* One plugin ------------------------------------------------------------- */

static void plugin_run_modules (PluginRun *run);
static void plugin_run_init (PluginRun *run);

static void
plugin_run_end (PluginRun    *run,
                const GError *error)
{
  _bk_feature_result_end (run->result, error, FALSE);
  run->finished = TRUE;
  run->done (run->data, NULL, error);
}

static void
plugin_always_ready (gpointer      data,
                     gpointer      result,
                     const GError *error)
{
  PluginRun *run = data;

  if (error != NULL)
    plugin_run_end (run, error);
  else
    plugin_run_modules (run);
}

static void
plugin_run_start (PluginRun *run)
{
  BkInitializer *self = run->initializer;

  _bk_feature_result_begin (run->result);
  if (run->registration->error != NULL)
    {
      plugin_run_end (run, run->registration->error);
      return;
    }

  _bk_registry_resolve_deps (self->registry, self->always, run->plugin_id, NULL, NULL,
                             plugin_always_ready, run);
}

static GObject *
module_resolve_ep (gpointer           data,
                   BkExtensionPoint  *extension_point,
                   GError           **error)
{
  ModuleRun *m = data;
  BkInitializer *self = m->plugin->initializer;
  const char *id = bk_extension_point_get_id (extension_point);
  EpOwner *owner = g_hash_table_lookup (self->eps, id);
  GObject *object;

  if (owner == NULL)
    {
      g_set_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_MISSING_DEPENDENCY,
                   "Service or extension point dependencies of module '%s' for plugin '%s' are missing for the following ref(s): extensionPoint{%s}",
                   m->registration->module_id, m->registration->plugin_id, id);
      return NULL;
    }
  if (owner->provided != NULL)
    return g_object_ref (owner->provided);
  if (owner->registration->implementation != NULL)
    return g_object_ref (owner->registration->implementation);

  object = g_hash_table_lookup (m->ep_objects, id);
  if (object == NULL)
    {
      BkExtensionPointContext *context;

      context = _bk_extension_point_context_new (m->registration->plugin_id, m->registration->module_id,
                                                 _bk_initializer_report_module_failure, self);
      g_ptr_array_add (self->contexts, context);
      object = owner->registration->factory (context, owner->registration->factory_data);
      if (object == NULL)
        {
          g_set_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_FACTORY_FAILED,
                       "The factory of extension point '%s' returned no object for module '%s'",
                       id, m->registration->module_id);
          return NULL;
        }
      g_hash_table_insert (m->ep_objects, (gpointer) id, object);
      {
        g_autofree char *description = g_strdup_printf ("extension point '%s' made for module '%s' of plugin '%s'",
                                                        id, m->registration->module_id, m->registration->plugin_id);
        track (self, object, description);
      }
    }
  return g_object_ref (object);
}

static void module_start (ModuleRun *m);

static void
module_finished (ModuleRun    *m,
                 const GError *error)
{
  PluginRun *run = m->plugin;

  _bk_feature_result_end (m->result, error, FALSE);
  for (guint i = 0; i < m->waiters->len; i++)
    {
      ModuleRun *w = g_ptr_array_index (m->waiters, i);

      if (--w->n_waiting == 0)
        module_start (w);
    }
  if (--run->modules_pending == 0)
    plugin_run_init (run);
}

static void
module_init_done (gpointer      data,
                  gpointer      result,
                  const GError *error)
{
  module_finished (data, error);
}

static void
module_deps_ready (gpointer      data,
                   gpointer      result,
                   const GError *error)
{
  ModuleRun *m = data;

  if (error != NULL)
    module_finished (m, error);
  else
    _bk_registration_run_init (m->registration, result, module_init_done, m);
}

static void
module_start (ModuleRun *m)
{
  _bk_feature_result_begin (m->result);
  if (m->registration->error != NULL)
    {
      module_finished (m, m->registration->error);
      return;
    }
  _bk_registry_resolve_deps (m->plugin->initializer->registry, m->registration->init_deps,
                             m->registration->plugin_id, module_resolve_ep, m,
                             module_deps_ready, m);
}

/* The module that registered the extension point @dep, in @run. */
static ModuleRun *
module_providing (PluginRun    *run,
                  BkDependency *dep)
{
  EpOwner *owner = g_hash_table_lookup (run->initializer->eps, bk_dependency_get_id (dep));

  if (owner == NULL || owner->module_id == NULL || g_strcmp0 (owner->plugin_id, run->plugin_id) != 0)
    return NULL;
  return plugin_find_module (run, owner->module_id);
}

/* Does @m's init depend on extension point @id? */
static gboolean
module_consumes (ModuleRun  *m,
                 const char *id)
{
  GPtrArray *deps = m->registration->init_deps;

  for (guint i = 0; i < deps->len; i++)
    {
      BkDependency *dep = g_ptr_array_index (deps, i);

      if (BK_IS_EXTENSION_POINT (dep) && g_strcmp0 (bk_dependency_get_id (dep), id) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Backstage's walk over the modules of a plugin, in registration order:
 * from a module to the modules that consume an extension point it
 * provides; reaching the start again is a cycle. */
static char *
find_module_cycle (PluginRun *run)
{
  for (guint s = 0; s < run->modules->len; s++)
    {
      ModuleRun *start = g_ptr_array_index (run->modules, s);
      g_autoptr(GHashTable) visited = g_hash_table_new (NULL, NULL);
      g_autoptr(GPtrArray) stack = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
      GPtrArray *first;

      if (start->registration->error != NULL)
        continue;
      first = g_ptr_array_new ();
      g_ptr_array_add (first, start);
      g_ptr_array_add (stack, first);

      while (stack->len > 0)
        {
          g_autoptr(GPtrArray) path = g_ptr_array_steal_index (stack, stack->len - 1);
          ModuleRun *current = g_ptr_array_index (path, path->len - 1);
          GPtrArray *provided = current->registration->extension_points;

          if (g_hash_table_contains (visited, current))
            continue;
          g_hash_table_add (visited, current);

          for (guint i = 0; i < provided->len; i++)
            {
              const char *id = bk_extension_point_get_id (((BkEpRegistration *) g_ptr_array_index (provided, i))->extension_point);

              for (guint j = 0; j < run->modules->len; j++)
                {
                  ModuleRun *consumer = g_ptr_array_index (run->modules, j);

                  if (consumer->registration->error != NULL || !module_consumes (consumer, id))
                    continue;
                  if (consumer == start)
                    {
                      g_autoptr(GString) text = g_string_new (NULL);

                      for (guint k = 0; k < path->len; k++)
                        g_string_append_printf (text, "'%s' -> ",
                                                ((ModuleRun *) g_ptr_array_index (path, k))->registration->module_id);
                      g_string_append_printf (text, "'%s'", start->registration->module_id);
                      return g_string_free (g_steal_pointer (&text), FALSE);
                    }
                  if (!g_hash_table_contains (visited, consumer))
                    {
                      GPtrArray *next = g_ptr_array_copy (path, NULL, NULL);

                      g_ptr_array_add (next, consumer);
                      g_ptr_array_add (stack, next);
                    }
                }
            }
        }
    }
  return NULL;
}

static void
plugin_run_modules (PluginRun *run)
{
  g_autofree char *cycle = find_module_cycle (run);
  g_autoptr(GPtrArray) ready = g_ptr_array_new ();

  if (cycle != NULL)
    {
      g_autoptr(GError) error = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_CIRCULAR_DEPENDENCY,
                                             "Circular dependency detected for modules of plugin '%s', %s",
                                             run->plugin_id, cycle);
      plugin_run_end (run, error);
      return;
    }

  /* A module that provides an extension point waits for its consumers. */
  for (guint i = 0; i < run->modules->len; i++)
    {
      ModuleRun *m = g_ptr_array_index (run->modules, i);
      GPtrArray *deps = m->registration->init_deps;

      if (m->registration->error != NULL)
        continue;
      for (guint j = 0; j < deps->len; j++)
        {
          ModuleRun *provider;

          if (!BK_IS_EXTENSION_POINT (g_ptr_array_index (deps, j)))
            continue;
          provider = module_providing (run, g_ptr_array_index (deps, j));
          if (provider == NULL || provider == m || provider->registration->error != NULL)
            continue;
          if (!g_ptr_array_find (m->waiters, provider, NULL))
            {
              g_ptr_array_add (m->waiters, provider);
              provider->n_waiting++;
            }
        }
    }

  run->modules_pending = run->modules->len + 1;
  for (guint i = 0; i < run->modules->len; i++)
    {
      ModuleRun *m = g_ptr_array_index (run->modules, i);

      if (m->n_waiting == 0)
        g_ptr_array_add (ready, m);
    }
  for (guint i = 0; i < ready->len; i++)
    module_start (g_ptr_array_index (ready, i));

  if (--run->modules_pending == 0)
    plugin_run_init (run);
}

static void
plugin_hooks_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  PluginRun *run = user_data;

  bk_lifecycle_run_phase_finish (BK_LIFECYCLE (source), result, NULL);
  plugin_run_end (run, NULL);
}

static void
plugin_init_done (gpointer      data,
                  gpointer      result,
                  const GError *error)
{
  PluginRun *run = data;
  GObject *lifecycle;

  if (error != NULL)
    {
      plugin_run_end (run, error);
      return;
    }

  lifecycle = _bk_registry_lookup (run->initializer->registry, BK_SERVICE_LIFECYCLE, run->plugin_id);
  if (lifecycle != NULL && BK_IS_LIFECYCLE (lifecycle))
    bk_lifecycle_run_phase_async (BK_LIFECYCLE (lifecycle), BK_LIFECYCLE_PHASE_STARTUP, NULL,
                                  plugin_hooks_done, run);
  else
    plugin_run_end (run, NULL);
}

static void
plugin_init_deps_ready (gpointer      data,
                        gpointer      result,
                        const GError *error)
{
  PluginRun *run = data;

  if (error != NULL)
    plugin_run_end (run, error);
  else
    _bk_registration_run_init (run->registration, result, plugin_init_done, run);
}

static void
plugin_run_init (PluginRun *run)
{
  _bk_registry_resolve_deps (run->initializer->registry, run->registration->init_deps,
                             run->plugin_id, NULL, NULL, plugin_init_deps_ready, run);
}

void
_bk_initializer_report_module_failure (gpointer      data,
                                       const char   *plugin_id,
                                       const char   *module_id,
                                       const GError *error)
{
  BkInitializer *self = data;
  PluginRun *run = g_hash_table_lookup (self->plugin_by_id, plugin_id);
  ModuleRun *m = run ? plugin_find_module (run, module_id) : NULL;

  if (m == NULL)
    return;
  if (self->finalized)
    {
      g_autofree char *message = g_strdup_printf ("Module '%s' for plugin '%s' reported a failure after startup: %s",
                                                  module_id, plugin_id, error->message);
      BkLogger *logger = root_logger (self);

      if (logger != NULL)
        bk_logger_log (logger, BK_LOG_LEVEL_ERROR, NULL, message);
      return;
    }
  _bk_feature_result_end (m->result, error, FALSE);
}

/* Finishing -------------------------------------------------------------- */

/* Reads `continue` / `abort`; the default is abort. */
static gboolean
policy_allows (BkConfig    *config,
               const char  *key,
               const char  *fallback_key,
               gboolean    *allowed,
               GError     **error)
{
  g_autofree char *value = NULL;
  const char *used = key;

  if (config == NULL)
    {
      *allowed = FALSE;
      return TRUE;
    }
  if (!bk_config_get_optional_string (config, key, NULL, &value, error))
    return FALSE;
  if (value == NULL)
    {
      used = fallback_key;
      if (!bk_config_get_optional_string (config, fallback_key, "abort", &value, error))
        return FALSE;
    }
  if (g_strcmp0 (value, "continue") == 0)
    *allowed = TRUE;
  else if (g_strcmp0 (value, "abort") == 0)
    *allowed = FALSE;
  else
    {
      g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                   "Invalid value '%s' for config key '%s' in '%s', wanted 'abort' or 'continue'",
                   value, used, bk_config_get_source (config));
      return FALSE;
    }
  return TRUE;
}

/* Prefixes of keys that other programs read (a Backstage-shaped app-config
 * also configures the frontend), never reported as unread. */
static const char * const unread_ignored[] = { "app", "organization", NULL };

static gboolean
has_key_prefix (const char *key,
                const char *prefix)
{
  gsize len = strlen (prefix);

  return strncmp (key, prefix, len) == 0 && (key[len] == '\0' || key[len] == '.' || key[len] == '[');
}

/* After startup: keys nothing read are likely typos; each gets a warning
 * with the file it came from. backend.config.ignoreUnread adds prefixes. */
static void
warn_unread_config (BkInitializer *self)
{
  GObject *root_config = _bk_registry_lookup (self->registry, BK_SERVICE_ROOT_CONFIG, NULL);
  BkLogger *logger = root_logger (self);
  g_autoptr(BkConfig) config = NULL;
  g_auto(GStrv) ignored = NULL;
  g_auto(GStrv) unread = NULL;
  g_autoptr(GError) error = NULL;

  if (root_config == NULL || !BK_IS_ROOT_CONFIG (root_config) || logger == NULL)
    return;
  config = bk_root_config_dup_config (BK_ROOT_CONFIG (root_config));
  if (bk_config_has (config, "backend.config.ignoreUnread") &&
      !bk_config_get_string_array (config, "backend.config.ignoreUnread", &ignored, &error))
    {
      bk_logger_log (logger, BK_LOG_LEVEL_WARN, NULL, error->message);
      return;
    }

  unread = bk_config_dup_unread_keys (config);
  for (guint i = 0; unread[i] != NULL; i++)
    {
      g_autofree char *source = NULL;
      g_autofree char *message = NULL;
      gboolean skip = FALSE;

      for (guint j = 0; !skip && unread_ignored[j] != NULL; j++)
        skip = has_key_prefix (unread[i], unread_ignored[j]);
      for (guint j = 0; !skip && ignored != NULL && ignored[j] != NULL; j++)
        skip = has_key_prefix (unread[i], ignored[j]);
      if (skip)
        continue;

      source = bk_config_dup_key_source (config, unread[i]);
      message = g_strdup_printf ("Config key '%s' in '%s' was not read by any plugin or service; is it misspelled?",
                                 unread[i], source ? source : bk_config_get_source (config));
      bk_logger_log (logger, BK_LOG_LEVEL_WARN, NULL, message);
    }
}

static void
start_succeed (BkInitializer *self)
{
  BkDoneFunc done = self->start_done;

  warn_unread_config (self);

  _bk_startup_result_finish (self->result, TRUE);
  self->start_done = NULL;
  done (self->start_data, self->result, NULL);
}

static void
root_hooks_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  bk_lifecycle_run_phase_finish (BK_LIFECYCLE (source), result, NULL);
  start_succeed (user_data);
}

static void
plugins_finalize (BkInitializer *self)
{
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(GString) failures = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  GObject *root_config;
  GObject *lifecycle;

  self->finalized = TRUE;
  progress_end (self);

  root_config = _bk_registry_lookup (self->registry, BK_SERVICE_ROOT_CONFIG, NULL);
  if (root_config != NULL && BK_IS_ROOT_CONFIG (root_config))
    config = bk_root_config_dup_config (BK_ROOT_CONFIG (root_config));

  for (guint i = 0; i < self->plugins->len; i++)
    {
      PluginRun *run = g_ptr_array_index (self->plugins, i);
      const GError *perror = bk_feature_result_get_error (run->result);

      g_autofree char *key = g_strdup_printf ("backend.startup.plugins.%s.onPluginBootFailure", run->plugin_id);
      gboolean allowed;

      _bk_startup_result_add_plugin (self->result, run->result);
      /* Read for every plugin, failed or not: a typo in the policy is
       * reported now, and the keys do not show up as unread. */
      if (!policy_allows (config, key, "backend.startup.default.onPluginBootFailure", &allowed, &error))
        break;
      if (perror != NULL)
        {
          _bk_feature_result_set_allowed (run->result, allowed);
          if (!allowed)
            g_string_append_printf (failures, "\n  Plugin '%s' startup failed; caused by %s",
                                    run->plugin_id, perror->message);
        }

      for (guint j = 0; j < run->modules->len; j++)
        {
          ModuleRun *m = g_ptr_array_index (run->modules, j);
          const GError *merror = bk_feature_result_get_error (m->result);

          g_autofree char *mkey = g_strdup_printf ("backend.startup.plugins.%s.modules.%s.onPluginModuleBootFailure",
                                                   run->plugin_id, m->registration->module_id);
          gboolean mallowed;

          _bk_feature_result_add_module (run->result, m->result);
          if (!policy_allows (config, mkey, "backend.startup.default.onPluginModuleBootFailure", &mallowed, &error))
            break;
          if (merror != NULL)
            {
              _bk_feature_result_set_allowed (m->result, mallowed);
              if (!mallowed)
                g_string_append_printf (failures, "\n  Module '%s' for plugin '%s' startup failed; caused by %s",
                                        m->registration->module_id, run->plugin_id, merror->message);
            }
        }
      if (error != NULL)
        break;
    }

  /* Read now, so a bad value fails the start and the key counts as read. */
  if (error == NULL && config != NULL)
    _bk_duration_from_config (config, "backend.lifecycle.shutdownTimeout", 30000,
                              &self->shutdown_timeout_ms, &error);

  if (error != NULL)
    {
      start_fail (self, g_steal_pointer (&error));
      return;
    }
  if (failures->len > 0)
    {
      start_fail (self, g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_STARTUP_FAILED,
                                     "Backend startup failed due to the following errors:%s", failures->str));
      return;
    }

  lifecycle = _bk_registry_lookup (self->registry, BK_SERVICE_ROOT_LIFECYCLE, NULL);
  if (lifecycle != NULL && BK_IS_LIFECYCLE (lifecycle))
    bk_lifecycle_run_phase_async (BK_LIFECYCLE (lifecycle), BK_LIFECYCLE_PHASE_STARTUP, NULL,
                                  root_hooks_done, self);
  else
    start_succeed (self);
}

static void
start_fail (BkInitializer *self,
            GError        *error)
{
  BkDoneFunc done = self->start_done;

  self->finalized = TRUE;
  _bk_startup_result_finish (self->result, FALSE);
  self->start_done = NULL;
  done (self->start_data, self->result, error);
  g_error_free (error);
}

void
_bk_initializer_start (BkInitializer *self,
                       GCancellable  *cancellable,
                       BkDoneFunc     done,
                       gpointer       data)
{
  g_autoptr(GError) error = NULL;

  g_set_object (&self->cancellable, cancellable);
  self->start_done = done;
  self->start_data = data;

  if (g_cancellable_set_error_if_cancelled (cancellable, &error) || !prepare (self, &error))
    {
      start_fail (self, g_steal_pointer (&error));
      return;
    }
  loaders_next (self);
}

/* Stop ------------------------------------------------------------------- */

static void
stop_finish (BkInitializer *self)
{
  BkDoneFunc done = self->stop_done;

  initializer_release (self);
  self->stop_done = NULL;
  done (self->stop_data, NULL, NULL);
}

static void
stop_root_shutdown_done (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  bk_lifecycle_run_phase_finish (BK_LIFECYCLE (source), result, NULL);
  stop_finish (user_data);
}

static void
stop_root_shutdown (BkInitializer *self)
{
  GObject *lifecycle = self->registry ? _bk_registry_lookup (self->registry, BK_SERVICE_ROOT_LIFECYCLE, NULL) : NULL;

  if (lifecycle != NULL && BK_IS_LIFECYCLE (lifecycle))
    bk_lifecycle_run_phase_async (BK_LIFECYCLE (lifecycle), BK_LIFECYCLE_PHASE_SHUTDOWN, NULL,
                                  stop_root_shutdown_done, self);
  else
    stop_finish (self);
}

static void
stop_plugin_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  BkInitializer *self = user_data;

  if (source != NULL)
    bk_lifecycle_run_phase_finish (BK_LIFECYCLE (source), result, NULL);
  if (--self->stop_pending == 0)
    stop_root_shutdown (self);
}

static void
stop_plugins (BkInitializer *self)
{
  self->stop_pending = 1;
  for (guint i = 0; self->registry != NULL && i < self->plugins->len; i++)
    {
      PluginRun *run = g_ptr_array_index (self->plugins, i);
      GObject *lifecycle;

      if (run->duplicate)
        continue;
      lifecycle = _bk_registry_lookup (self->registry, BK_SERVICE_LIFECYCLE, run->plugin_id);
      if (lifecycle != NULL && BK_IS_LIFECYCLE (lifecycle))
        {
          self->stop_pending++;
          bk_lifecycle_run_phase_async (BK_LIFECYCLE (lifecycle), BK_LIFECYCLE_PHASE_SHUTDOWN, NULL,
                                        stop_plugin_done, self);
        }
    }
  stop_plugin_done (NULL, NULL, self);
}

static void
stop_before_shutdown_done (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  bk_lifecycle_run_phase_finish (BK_LIFECYCLE (source), result, NULL);
  stop_plugins (user_data);
}

void
_bk_initializer_stop (BkInitializer *self,
                      BkDoneFunc     done,
                      gpointer       data)
{
  GObject *lifecycle = self->registry ? _bk_registry_lookup (self->registry, BK_SERVICE_ROOT_LIFECYCLE, NULL) : NULL;

  self->stop_done = done;
  self->stop_data = data;

  if (lifecycle != NULL && BK_IS_LIFECYCLE (lifecycle))
    bk_lifecycle_run_phase_async (BK_LIFECYCLE (lifecycle), BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN, NULL,
                                  stop_before_shutdown_done, self);
  else
    stop_plugins (self);
}

/* Test kit support ------------------------------------------------------- */

GObject *
_bk_initializer_lookup (BkInitializer *self,
                        BkServiceRef  *ref,
                        const char    *plugin_id)
{
  if (self->registry == NULL)
    return NULL;
  return _bk_registry_lookup (self->registry, ref, plugin_id);
}

void
_bk_initializer_resolve (BkInitializer *self,
                         BkServiceRef  *ref,
                         const char    *plugin_id,
                         BkDoneFunc     done,
                         gpointer       data)
{
  g_autoptr(GError) error = NULL;
  BkPlanRequest request = { ref, plugin_id };

  if (!prepare (self, &error) ||
      !_bk_registry_plan (self->registry, &request, 1, &error))
    {
      done (data, NULL, error);
      return;
    }
  if (!bk_service_ref_is_multiton (ref) && !_bk_registry_can_provide (self->registry, ref, &error))
    {
      if (error == NULL)
        error = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_MISSING_DEPENDENCY,
                             "Service '%s' not found", bk_service_ref_get_id (ref));
      done (data, NULL, error);
      return;
    }
  _bk_registry_get (self->registry, ref, plugin_id, done, data);
}

guint64
_bk_initializer_get_shutdown_timeout (BkInitializer *self)
{
  return self->shutdown_timeout_ms;
}
