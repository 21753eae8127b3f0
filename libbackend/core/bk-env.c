/* bk-env.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkPluginEnv:
 *
 * What a plugin's `register` step receives: it registers the plugin's init
 * (exactly once) with its dependencies, and extension points before that.
 * Valid only during `register`.
 *
 * Since: 0.1
 */

/**
 * BkModuleEnv:
 *
 * What a module's `register` step receives; like [class@Bk.PluginEnv], and
 * the init's dependencies may include the plugin's extension points.
 *
 * Since: 0.1
 */

#include "bk-core-private.h"

struct _BkPluginEnv
{
  GObject         parent_instance;
  BkRegistration *registration;
};

struct _BkModuleEnv
{
  GObject         parent_instance;
  BkRegistration *registration;
};

G_DEFINE_FINAL_TYPE (BkPluginEnv, bk_plugin_env, G_TYPE_OBJECT)
G_DEFINE_FINAL_TYPE (BkModuleEnv, bk_module_env, G_TYPE_OBJECT)

static void bk_plugin_env_class_init (BkPluginEnvClass *klass) { }
static void bk_plugin_env_init (BkPluginEnv *self) { }
static void bk_module_env_class_init (BkModuleEnvClass *klass) { }
static void bk_module_env_init (BkModuleEnv *self) { }

BkPluginEnv *
_bk_plugin_env_new (BkRegistration *registration)
{
  BkPluginEnv *self = g_object_new (BK_TYPE_PLUGIN_ENV, NULL);

  self->registration = registration;
  return self;
}

BkModuleEnv *
_bk_module_env_new (BkRegistration *registration)
{
  BkModuleEnv *self = g_object_new (BK_TYPE_MODULE_ENV, NULL);

  self->registration = registration;
  return self;
}

/* Registrations ---------------------------------------------------------- */

static void
ep_registration_free (gpointer data)
{
  BkEpRegistration *ep = data;

  if (ep->factory_destroy != NULL)
    ep->factory_destroy (ep->factory_data);
  g_clear_object (&ep->implementation);
  g_clear_object (&ep->extension_point);
  g_free (ep);
}

BkRegistration *
_bk_registration_new (BkFeature  *feature,
                      const char *plugin_id,
                      const char *module_id)
{
  BkRegistration *self = g_new0 (BkRegistration, 1);

  self->feature = g_object_ref (feature);
  self->plugin_id = g_strdup (plugin_id);
  self->module_id = g_strdup (module_id);
  self->init_deps = g_ptr_array_new_with_free_func (g_object_unref);
  self->extension_points = g_ptr_array_new_with_free_func (ep_registration_free);

  return self;
}

void
_bk_registration_free (BkRegistration *self)
{
  if (self == NULL)
    return;
  if (self->init_destroy != NULL)
    self->init_destroy (self->init_data);
  g_clear_pointer (&self->init_deps, g_ptr_array_unref);
  g_clear_pointer (&self->extension_points, g_ptr_array_unref);
  g_clear_error (&self->error);
  g_clear_object (&self->feature);
  g_free (self->plugin_id);
  g_free (self->module_id);
  g_free (self);
}

char *
_bk_registration_describe (BkRegistration *self)
{
  if (self->module_id != NULL)
    return g_strdup_printf ("Module '%s' for plugin '%s'", self->module_id, self->plugin_id);
  return g_strdup_printf ("Plugin '%s'", self->plugin_id);
}

static void
registration_fail (BkRegistration *self,
                   const char     *message)
{
  if (self->error == NULL)
    self->error = g_error_new_literal (BK_BACKEND_ERROR, BK_BACKEND_ERROR_REGISTRATION, message);
}

static void
registration_add_init (BkRegistration  *self,
                       BkDependency   **deps,
                       guint            n_deps,
                       va_list         *args,
                       BkInitFunc       func,
                       BkInitAsyncFunc  async_func,
                       gpointer         user_data,
                       GDestroyNotify   destroy)
{
  if (self->init_registered)
    {
      registration_fail (self, "registerInit must only be called once");
      if (destroy != NULL)
        destroy (user_data);
      return;
    }

  self->init_registered = TRUE;
  self->init = func;
  self->init_async = async_func;
  self->init_data = user_data;
  self->init_destroy = destroy;

  if (args != NULL)
    {
      BkDependency *dep;

      while ((dep = va_arg (*args, BkDependency *)) != NULL)
        {
          g_return_if_fail (BK_IS_DEPENDENCY (dep));
          g_ptr_array_add (self->init_deps, g_object_ref (dep));
        }
    }
  for (guint i = 0; i < n_deps; i++)
    {
      g_return_if_fail (BK_IS_DEPENDENCY (deps[i]));
      g_ptr_array_add (self->init_deps, g_object_ref (deps[i]));
    }
}

static void
registration_add_extension_point (BkRegistration              *self,
                                  BkExtensionPoint            *extension_point,
                                  GObject                     *implementation,
                                  BkExtensionPointFactoryFunc  factory,
                                  gpointer                     user_data,
                                  GDestroyNotify               destroy)
{
  BkEpRegistration *ep;

  if (self->init_registered)
    {
      registration_fail (self, "registerExtensionPoint called after registerInit");
      if (destroy != NULL)
        destroy (user_data);
      return;
    }

  ep = g_new0 (BkEpRegistration, 1);
  ep->extension_point = g_object_ref (extension_point);
  ep->implementation = implementation ? g_object_ref (implementation) : NULL;
  ep->factory = factory;
  ep->factory_data = user_data;
  ep->factory_destroy = destroy;
  g_ptr_array_add (self->extension_points, ep);
}

void
_bk_registration_run_register (BkRegistration *self)
{
  if (BK_IS_PLUGIN (self->feature))
    {
      g_autoptr(BkPluginEnv) env = _bk_plugin_env_new (self);

      _bk_plugin_invoke_register (BK_PLUGIN (self->feature), env);
      env->registration = NULL;
    }
  else
    {
      g_autoptr(BkModuleEnv) env = _bk_module_env_new (self);

      _bk_module_invoke_register (BK_MODULE (self->feature), env);
      env->registration = NULL;
    }

  if (!self->init_registered && self->error == NULL)
    {
      if (self->module_id != NULL)
        self->error = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_REGISTRATION,
                                   "registerInit was not called by register in %s module for %s",
                                   self->module_id, self->plugin_id);
      else
        self->error = g_error_new (BK_BACKEND_ERROR, BK_BACKEND_ERROR_REGISTRATION,
                                   "registerInit was not called by register in %s",
                                   self->plugin_id);
    }
}

typedef struct
{
  BkDoneFunc  done;
  gpointer    data;
  BkDeps     *deps;   /* valid until the task completes */
} InitData;

static void
init_async_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  InitData *id = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error) && error == NULL)
    error = g_error_new_literal (BK_BACKEND_ERROR, BK_BACKEND_ERROR_FACTORY_FAILED,
                                 "init returned FALSE without an error");
  id->done (id->data, NULL, error);
  g_clear_object (&id->deps);
  g_free (id);
}

void
_bk_registration_run_init (BkRegistration *self,
                           BkDeps         *deps,
                           BkDoneFunc      done,
                           gpointer        data)
{
  if (self->init != NULL)
    {
      g_autoptr(GError) error = NULL;

      if (!self->init (deps, self->init_data, &error) && error == NULL)
        error = g_error_new_literal (BK_BACKEND_ERROR, BK_BACKEND_ERROR_FACTORY_FAILED,
                                     "init returned FALSE without an error");
      done (data, NULL, error);
    }
  else
    {
      InitData *id = g_new0 (InitData, 1);
      GTask *task;

      id->done = done;
      id->data = data;
      id->deps = g_object_ref (deps);
      task = g_task_new (NULL, NULL, init_async_done, id);
      g_task_set_source_tag (task, _bk_registration_run_init);
      self->init_async (deps, task, self->init_data);
    }
}

#define ENV_REGISTRATION(env, ret)                                        \
  G_STMT_START {                                                          \
    if ((env)->registration == NULL)                                      \
      {                                                                   \
        g_critical ("%s: the environment is only valid during register",  \
                    G_STRFUNC);                                           \
        return ret;                                                       \
      }                                                                   \
  } G_STMT_END

/* BkPluginEnv ------------------------------------------------------------ */

/**
 * bk_plugin_env_get_plugin_id:
 * @self: a #BkPluginEnv
 *
 * Gets the id of the plugin being registered.
 *
 * Returns: (transfer none): the id of the plugin being registered
 *
 * Since: 0.1
 */
const char *
bk_plugin_env_get_plugin_id (BkPluginEnv *self)
{
  g_return_val_if_fail (BK_IS_PLUGIN_ENV (self), NULL);
  ENV_REGISTRATION (self, NULL);

  return self->registration->plugin_id;
}

/**
 * bk_plugin_env_register_init:
 * @self: a #BkPluginEnv
 * @func: (scope notified): the init
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data
 * @...: the dependencies (#BkServiceRef pointers), then %NULL
 *
 * Registers the plugin's init. Call it exactly once.
 *
 * Since: 0.1
 */
void
bk_plugin_env_register_init (BkPluginEnv    *self,
                             BkInitFunc      func,
                             gpointer        user_data,
                             GDestroyNotify  destroy,
                             ...)
{
  va_list args;

  g_return_if_fail (BK_IS_PLUGIN_ENV (self));
  g_return_if_fail (func != NULL);
  ENV_REGISTRATION (self, );

  va_start (args, destroy);
  registration_add_init (self->registration, NULL, 0, &args, func, NULL, user_data, destroy);
  va_end (args);
}

/**
 * bk_plugin_env_register_init_full:
 * @self: a #BkPluginEnv
 * @deps: (array length=n_deps) (nullable): the dependencies
 * @n_deps: the number of dependencies
 * @func: (scope notified): the init
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data
 *
 * Like [method@Bk.PluginEnv.register_init] with the dependencies in an
 * array.
 *
 * Since: 0.1
 */
void
bk_plugin_env_register_init_full (BkPluginEnv    *self,
                                  BkDependency  **deps,
                                  guint           n_deps,
                                  BkInitFunc      func,
                                  gpointer        user_data,
                                  GDestroyNotify  destroy)
{
  g_return_if_fail (BK_IS_PLUGIN_ENV (self));
  g_return_if_fail (func != NULL);
  ENV_REGISTRATION (self, );

  registration_add_init (self->registration, deps, n_deps, NULL, func, NULL, user_data, destroy);
}

/**
 * bk_plugin_env_register_init_async:
 * @self: a #BkPluginEnv
 * @func: (scope notified): the init, completing a #GTask
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data
 * @...: the dependencies (#BkServiceRef pointers), then %NULL
 *
 * Registers the plugin's init in its asynchronous form. Call it (or
 * [method@Bk.PluginEnv.register_init]) exactly once.
 *
 * Since: 0.1
 */
void
bk_plugin_env_register_init_async (BkPluginEnv     *self,
                                   BkInitAsyncFunc  func,
                                   gpointer         user_data,
                                   GDestroyNotify   destroy,
                                   ...)
{
  va_list args;

  g_return_if_fail (BK_IS_PLUGIN_ENV (self));
  g_return_if_fail (func != NULL);
  ENV_REGISTRATION (self, );

  va_start (args, destroy);
  registration_add_init (self->registration, NULL, 0, &args, NULL, func, user_data, destroy);
  va_end (args);
}

/**
 * bk_plugin_env_register_init_async_full:
 * @self: a #BkPluginEnv
 * @deps: (array length=n_deps) (nullable): the dependencies
 * @n_deps: the number of dependencies
 * @func: (scope notified): the init, completing a #GTask
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data
 *
 * Like [method@Bk.PluginEnv.register_init_async] with the dependencies in
 * an array.
 *
 * Since: 0.1
 */
void
bk_plugin_env_register_init_async_full (BkPluginEnv      *self,
                                        BkDependency    **deps,
                                        guint             n_deps,
                                        BkInitAsyncFunc   func,
                                        gpointer          user_data,
                                        GDestroyNotify    destroy)
{
  g_return_if_fail (BK_IS_PLUGIN_ENV (self));
  g_return_if_fail (func != NULL);
  ENV_REGISTRATION (self, );

  registration_add_init (self->registration, deps, n_deps, NULL, NULL, func, user_data, destroy);
}

/**
 * bk_plugin_env_register_extension_point:
 * @self: a #BkPluginEnv
 * @extension_point: the extension point
 * @implementation: the object handed to every module that depends on it
 *
 * Registers an extension point implemented by one object. Must come
 * before the init is registered.
 *
 * Since: 0.1
 */
void
bk_plugin_env_register_extension_point (BkPluginEnv      *self,
                                        BkExtensionPoint *extension_point,
                                        GObject          *implementation)
{
  g_return_if_fail (BK_IS_PLUGIN_ENV (self));
  g_return_if_fail (BK_IS_EXTENSION_POINT (extension_point));
  g_return_if_fail (G_IS_OBJECT (implementation));
  ENV_REGISTRATION (self, );

  registration_add_extension_point (self->registration, extension_point, implementation, NULL, NULL, NULL);
}

/**
 * bk_plugin_env_register_extension_point_factory:
 * @self: a #BkPluginEnv
 * @extension_point: the extension point
 * @func: (scope notified): makes the object for one consuming module
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data
 *
 * Registers an extension point whose object is made once per consuming
 * module, with a [class@Bk.ExtensionPointContext] naming that module.
 *
 * Since: 0.1
 */
void
bk_plugin_env_register_extension_point_factory (BkPluginEnv                 *self,
                                                BkExtensionPoint            *extension_point,
                                                BkExtensionPointFactoryFunc  func,
                                                gpointer                     user_data,
                                                GDestroyNotify               destroy)
{
  g_return_if_fail (BK_IS_PLUGIN_ENV (self));
  g_return_if_fail (BK_IS_EXTENSION_POINT (extension_point));
  g_return_if_fail (func != NULL);
  ENV_REGISTRATION (self, );

  registration_add_extension_point (self->registration, extension_point, NULL, func, user_data, destroy);
}

/* BkModuleEnv ------------------------------------------------------------ */

/**
 * bk_module_env_get_plugin_id:
 * @self: a #BkModuleEnv
 *
 * Gets the id of the plugin the module extends.
 *
 * Returns: (transfer none): the id of the plugin the module extends
 *
 * Since: 0.1
 */
const char *
bk_module_env_get_plugin_id (BkModuleEnv *self)
{
  g_return_val_if_fail (BK_IS_MODULE_ENV (self), NULL);
  ENV_REGISTRATION (self, NULL);

  return self->registration->plugin_id;
}

/**
 * bk_module_env_get_module_id:
 * @self: a #BkModuleEnv
 *
 * Gets the id of the module being registered.
 *
 * Returns: (transfer none): the id of the module being registered
 *
 * Since: 0.1
 */
const char *
bk_module_env_get_module_id (BkModuleEnv *self)
{
  g_return_val_if_fail (BK_IS_MODULE_ENV (self), NULL);
  ENV_REGISTRATION (self, NULL);

  return self->registration->module_id;
}

/**
 * bk_module_env_register_init:
 * @self: a #BkModuleEnv
 * @func: (scope notified): the init
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data
 * @...: the dependencies (#BkServiceRef or #BkExtensionPoint pointers),
 *   then %NULL
 *
 * Registers the module's init. Call it exactly once.
 *
 * Since: 0.1
 */
void
bk_module_env_register_init (BkModuleEnv    *self,
                             BkInitFunc      func,
                             gpointer        user_data,
                             GDestroyNotify  destroy,
                             ...)
{
  va_list args;

  g_return_if_fail (BK_IS_MODULE_ENV (self));
  g_return_if_fail (func != NULL);
  ENV_REGISTRATION (self, );

  va_start (args, destroy);
  registration_add_init (self->registration, NULL, 0, &args, func, NULL, user_data, destroy);
  va_end (args);
}

/**
 * bk_module_env_register_init_full:
 * @self: a #BkModuleEnv
 * @deps: (array length=n_deps) (nullable): the dependencies
 * @n_deps: the number of dependencies
 * @func: (scope notified): the init
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data
 *
 * Like [method@Bk.ModuleEnv.register_init] with the dependencies in an
 * array.
 *
 * Since: 0.1
 */
void
bk_module_env_register_init_full (BkModuleEnv    *self,
                                  BkDependency  **deps,
                                  guint           n_deps,
                                  BkInitFunc      func,
                                  gpointer        user_data,
                                  GDestroyNotify  destroy)
{
  g_return_if_fail (BK_IS_MODULE_ENV (self));
  g_return_if_fail (func != NULL);
  ENV_REGISTRATION (self, );

  registration_add_init (self->registration, deps, n_deps, NULL, func, NULL, user_data, destroy);
}

/**
 * bk_module_env_register_init_async:
 * @self: a #BkModuleEnv
 * @func: (scope notified): the init, completing a #GTask
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data
 * @...: the dependencies, then %NULL
 *
 * Registers the module's init in its asynchronous form.
 *
 * Since: 0.1
 */
void
bk_module_env_register_init_async (BkModuleEnv     *self,
                                   BkInitAsyncFunc  func,
                                   gpointer         user_data,
                                   GDestroyNotify   destroy,
                                   ...)
{
  va_list args;

  g_return_if_fail (BK_IS_MODULE_ENV (self));
  g_return_if_fail (func != NULL);
  ENV_REGISTRATION (self, );

  va_start (args, destroy);
  registration_add_init (self->registration, NULL, 0, &args, NULL, func, user_data, destroy);
  va_end (args);
}

/**
 * bk_module_env_register_init_async_full:
 * @self: a #BkModuleEnv
 * @deps: (array length=n_deps) (nullable): the dependencies
 * @n_deps: the number of dependencies
 * @func: (scope notified): the init, completing a #GTask
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data
 *
 * Like [method@Bk.ModuleEnv.register_init_async] with the dependencies in
 * an array.
 *
 * Since: 0.1
 */
void
bk_module_env_register_init_async_full (BkModuleEnv      *self,
                                        BkDependency    **deps,
                                        guint             n_deps,
                                        BkInitAsyncFunc   func,
                                        gpointer          user_data,
                                        GDestroyNotify    destroy)
{
  g_return_if_fail (BK_IS_MODULE_ENV (self));
  g_return_if_fail (func != NULL);
  ENV_REGISTRATION (self, );

  registration_add_init (self->registration, deps, n_deps, NULL, NULL, func, user_data, destroy);
}

/**
 * bk_module_env_register_extension_point:
 * @self: a #BkModuleEnv
 * @extension_point: the extension point
 * @implementation: the object handed to every module that depends on it
 *
 * Registers an extension point provided by this module to the other
 * modules of its plugin. This module starts after every module that uses
 * it.
 *
 * Since: 0.1
 */
void
bk_module_env_register_extension_point (BkModuleEnv      *self,
                                        BkExtensionPoint *extension_point,
                                        GObject          *implementation)
{
  g_return_if_fail (BK_IS_MODULE_ENV (self));
  g_return_if_fail (BK_IS_EXTENSION_POINT (extension_point));
  g_return_if_fail (G_IS_OBJECT (implementation));
  ENV_REGISTRATION (self, );

  registration_add_extension_point (self->registration, extension_point, implementation, NULL, NULL, NULL);
}

/**
 * bk_module_env_register_extension_point_factory:
 * @self: a #BkModuleEnv
 * @extension_point: the extension point
 * @func: (scope notified): makes the object for one consuming module
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data
 *
 * Registers an extension point whose object is made once per consuming
 * module.
 *
 * Since: 0.1
 */
void
bk_module_env_register_extension_point_factory (BkModuleEnv                 *self,
                                                BkExtensionPoint            *extension_point,
                                                BkExtensionPointFactoryFunc  func,
                                                gpointer                     user_data,
                                                GDestroyNotify               destroy)
{
  g_return_if_fail (BK_IS_MODULE_ENV (self));
  g_return_if_fail (BK_IS_EXTENSION_POINT (extension_point));
  g_return_if_fail (func != NULL);
  ENV_REGISTRATION (self, );

  registration_add_extension_point (self->registration, extension_point, NULL, func, user_data, destroy);
}
