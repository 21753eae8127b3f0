/* bk-service-factory.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkServiceFactory:
 *
 * Makes the instances of one service: once per backend for a root-scoped
 * ref, once per plugin that asks for it for a plugin-scoped one. It
 * declares its dependencies, which the backend resolves first; it may have
 * a root context, made once per backend before the first instance; it is
 * created at startup or on first use ([enum@Bk.ServiceInitialization]).
 *
 * Give a factory to [method@Bk.Backend.add] to replace the ref's default.
 *
 * Since: 0.1
 */

#include "bk-core-private.h"

typedef struct
{
  BkServiceRef             *service;
  GPtrArray                *deps;
  BkServiceCreateFunc       create;
  BkServiceCreateAsyncFunc  create_async;
  gpointer                  user_data;
  GDestroyNotify            destroy;
  BkRootContextFunc         root_context;
  gpointer                  root_context_data;
  GDestroyNotify            root_context_data_destroy;
  GDestroyNotify            context_destroy;
  BkServiceInitialization   initialization;
} BkServiceFactoryPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (BkServiceFactory, bk_service_factory, BK_TYPE_FEATURE)

static void
bk_service_factory_finalize (GObject *object)
{
  BkServiceFactoryPrivate *priv = bk_service_factory_get_instance_private (BK_SERVICE_FACTORY (object));

  if (priv->destroy != NULL)
    priv->destroy (priv->user_data);
  if (priv->root_context_data_destroy != NULL)
    priv->root_context_data_destroy (priv->root_context_data);
  g_clear_pointer (&priv->deps, g_ptr_array_unref);
  g_clear_object (&priv->service);

  G_OBJECT_CLASS (bk_service_factory_parent_class)->finalize (object);
}

static void
bk_service_factory_class_init (BkServiceFactoryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bk_service_factory_finalize;
}

static void
bk_service_factory_init (BkServiceFactory *self)
{
  BkServiceFactoryPrivate *priv = bk_service_factory_get_instance_private (self);

  priv->deps = g_ptr_array_new_with_free_func (g_object_unref);
}

static BkServiceFactory *
factory_new (BkServiceRef             *service,
             BkServiceRef            **deps,
             guint                     n_deps,
             va_list                  *args,
             BkServiceCreateFunc       func,
             BkServiceCreateAsyncFunc  async_func,
             gpointer                  user_data,
             GDestroyNotify            destroy)
{
  BkServiceFactory *self = g_object_new (BK_TYPE_SERVICE_FACTORY, NULL);
  BkServiceFactoryPrivate *priv = bk_service_factory_get_instance_private (self);

  priv->service = g_object_ref (service);
  priv->create = func;
  priv->create_async = async_func;
  priv->user_data = user_data;
  priv->destroy = destroy;

  if (args != NULL)
    {
      BkServiceRef *dep;

      while ((dep = va_arg (*args, BkServiceRef *)) != NULL)
        {
          g_return_val_if_fail (BK_IS_SERVICE_REF (dep), self);
          g_ptr_array_add (priv->deps, g_object_ref (dep));
        }
    }
  for (guint i = 0; i < n_deps; i++)
    {
      g_return_val_if_fail (BK_IS_SERVICE_REF (deps[i]), self);
      g_ptr_array_add (priv->deps, g_object_ref (deps[i]));
    }

  return self;
}

/**
 * bk_service_factory_new:
 * @service: the ref this factory implements
 * @func: (scope notified): creates an instance
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data with the factory
 * @...: the dependencies, #BkServiceRef pointers, then %NULL
 *
 * Creates a factory with a synchronous create function.
 *
 * Returns: (transfer full): a new #BkServiceFactory
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_service_factory_new (BkServiceRef        *service,
                        BkServiceCreateFunc  func,
                        gpointer             user_data,
                        GDestroyNotify       destroy,
                        ...)
{
  BkServiceFactory *self;
  va_list args;

  g_return_val_if_fail (BK_IS_SERVICE_REF (service), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  va_start (args, destroy);
  self = factory_new (service, NULL, 0, &args, func, NULL, user_data, destroy);
  va_end (args);

  return self;
}

/**
 * bk_service_factory_new_full:
 * @service: the ref this factory implements
 * @deps: (array length=n_deps) (nullable): the dependencies
 * @n_deps: the number of dependencies
 * @func: (scope notified): creates an instance
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data with the factory
 *
 * Like [ctor@Bk.ServiceFactory.new] with the dependencies in an array.
 *
 * Returns: (transfer full): a new #BkServiceFactory
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_service_factory_new_full (BkServiceRef         *service,
                             BkServiceRef        **deps,
                             guint                 n_deps,
                             BkServiceCreateFunc   func,
                             gpointer              user_data,
                             GDestroyNotify        destroy)
{
  g_return_val_if_fail (BK_IS_SERVICE_REF (service), NULL);
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (deps != NULL || n_deps == 0, NULL);

  return factory_new (service, deps, n_deps, NULL, func, NULL, user_data, destroy);
}

/**
 * bk_service_factory_new_async:
 * @service: the ref this factory implements
 * @func: (scope notified): creates an instance and completes the task
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data with the factory
 * @...: the dependencies, #BkServiceRef pointers, then %NULL
 *
 * Creates a factory whose create function completes a #GTask.
 *
 * Returns: (transfer full): a new #BkServiceFactory
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_service_factory_new_async (BkServiceRef             *service,
                              BkServiceCreateAsyncFunc  func,
                              gpointer                  user_data,
                              GDestroyNotify            destroy,
                              ...)
{
  BkServiceFactory *self;
  va_list args;

  g_return_val_if_fail (BK_IS_SERVICE_REF (service), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  va_start (args, destroy);
  self = factory_new (service, NULL, 0, &args, NULL, func, user_data, destroy);
  va_end (args);

  return self;
}

/**
 * bk_service_factory_new_async_full:
 * @service: the ref this factory implements
 * @deps: (array length=n_deps) (nullable): the dependencies
 * @n_deps: the number of dependencies
 * @func: (scope notified): creates an instance and completes the task
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data with the factory
 *
 * Like [ctor@Bk.ServiceFactory.new_async] with the dependencies in an array.
 *
 * Returns: (transfer full): a new #BkServiceFactory
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_service_factory_new_async_full (BkServiceRef              *service,
                                   BkServiceRef             **deps,
                                   guint                      n_deps,
                                   BkServiceCreateAsyncFunc   func,
                                   gpointer                   user_data,
                                   GDestroyNotify             destroy)
{
  g_return_val_if_fail (BK_IS_SERVICE_REF (service), NULL);
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (deps != NULL || n_deps == 0, NULL);

  return factory_new (service, deps, n_deps, NULL, NULL, func, user_data, destroy);
}

/**
 * bk_service_factory_set_root_context:
 * @self: a #BkServiceFactory
 * @func: (scope notified): makes the root context
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data with the factory
 * @context_destroy: (nullable): frees the context when the backend is done
 *
 * Gives a plugin-scoped factory a root context: made once per backend,
 * from the factory's root-scoped dependencies, before the first instance,
 * and passed to every create call.
 *
 * Since: 0.1
 */
void
bk_service_factory_set_root_context (BkServiceFactory  *self,
                                     BkRootContextFunc  func,
                                     gpointer           user_data,
                                     GDestroyNotify     destroy,
                                     GDestroyNotify     context_destroy)
{
  BkServiceFactoryPrivate *priv = bk_service_factory_get_instance_private (self);

  g_return_if_fail (BK_IS_SERVICE_FACTORY (self));
  g_return_if_fail (func != NULL);

  if (priv->root_context_data_destroy != NULL)
    priv->root_context_data_destroy (priv->root_context_data);
  priv->root_context = func;
  priv->root_context_data = user_data;
  priv->root_context_data_destroy = destroy;
  priv->context_destroy = context_destroy;
}

/**
 * bk_service_factory_set_initialization:
 * @self: a #BkServiceFactory
 * @initialization: when to create the service
 *
 * Root factories default to creating their service at startup, plugin
 * factories to creating it on first use.
 *
 * Since: 0.1
 */
void
bk_service_factory_set_initialization (BkServiceFactory        *self,
                                       BkServiceInitialization  initialization)
{
  BkServiceFactoryPrivate *priv = bk_service_factory_get_instance_private (self);

  g_return_if_fail (BK_IS_SERVICE_FACTORY (self));

  priv->initialization = initialization;
}

/**
 * bk_service_factory_get_initialization:
 * @self: a #BkServiceFactory
 *
 * Gets when the factory creates its service.
 *
 * Returns: when the service is created
 *
 * Since: 0.1
 */
BkServiceInitialization
bk_service_factory_get_initialization (BkServiceFactory *self)
{
  BkServiceFactoryPrivate *priv = bk_service_factory_get_instance_private (self);

  g_return_val_if_fail (BK_IS_SERVICE_FACTORY (self), BK_SERVICE_INITIALIZATION_DEFAULT);

  return priv->initialization;
}

/**
 * bk_service_factory_get_service:
 * @self: a #BkServiceFactory
 *
 * Gets the ref this factory implements.
 *
 * Returns: (transfer none): the ref this factory implements
 *
 * Since: 0.1
 */
BkServiceRef *
bk_service_factory_get_service (BkServiceFactory *self)
{
  BkServiceFactoryPrivate *priv = bk_service_factory_get_instance_private (self);

  g_return_val_if_fail (BK_IS_SERVICE_FACTORY (self), NULL);

  return priv->service;
}

GPtrArray *
_bk_service_factory_get_deps (BkServiceFactory *self)
{
  BkServiceFactoryPrivate *priv = bk_service_factory_get_instance_private (self);

  return priv->deps;
}

gboolean
_bk_service_factory_is_eager (BkServiceFactory *self)
{
  BkServiceFactoryPrivate *priv = bk_service_factory_get_instance_private (self);

  if (priv->initialization == BK_SERVICE_INITIALIZATION_DEFAULT)
    return bk_service_ref_get_scope (priv->service) == BK_SERVICE_SCOPE_ROOT;
  return priv->initialization == BK_SERVICE_INITIALIZATION_ALWAYS;
}

gboolean
_bk_service_factory_has_root_context (BkServiceFactory *self)
{
  BkServiceFactoryPrivate *priv = bk_service_factory_get_instance_private (self);

  return priv->root_context != NULL;
}

gpointer
_bk_service_factory_create_root_context (BkServiceFactory  *self,
                                         BkDeps            *root_deps,
                                         GError           **error)
{
  BkServiceFactoryPrivate *priv = bk_service_factory_get_instance_private (self);
  g_autoptr(GError) local_error = NULL;
  gpointer context;

  context = priv->root_context (root_deps, priv->root_context_data, &local_error);
  if (local_error != NULL)
    {
      if (context != NULL && priv->context_destroy != NULL)
        priv->context_destroy (context);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return context;
}

void
_bk_service_factory_destroy_root_context (BkServiceFactory *self,
                                          gpointer          context)
{
  BkServiceFactoryPrivate *priv = bk_service_factory_get_instance_private (self);

  if (context != NULL && priv->context_destroy != NULL)
    priv->context_destroy (context);
}

typedef struct
{
  BkDoneFunc  done;
  gpointer    data;
  BkDeps     *deps;   /* valid until the task completes */
} CreateData;

static void
create_async_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  CreateData *cd = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) instance = NULL;

  instance = g_task_propagate_pointer (G_TASK (result), &error);
  if (instance == NULL && error == NULL)
    error = g_error_new_literal (BK_BACKEND_ERROR, BK_BACKEND_ERROR_FACTORY_FAILED,
                                 "the factory returned no instance");
  cd->done (cd->data, instance, error);
  g_clear_object (&cd->deps);
  g_free (cd);
}

void
_bk_service_factory_create (BkServiceFactory *self,
                            BkDeps           *deps,
                            gpointer          root_context,
                            BkDoneFunc        done,
                            gpointer          data)
{
  BkServiceFactoryPrivate *priv = bk_service_factory_get_instance_private (self);

  if (priv->create != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GObject) instance = NULL;

      instance = priv->create (deps, root_context, priv->user_data, &error);
      if (instance == NULL && error == NULL)
        error = g_error_new_literal (BK_BACKEND_ERROR, BK_BACKEND_ERROR_FACTORY_FAILED,
                                     "the factory returned no instance");
      if (error != NULL)
        g_clear_object (&instance);
      done (data, instance, error);
    }
  else
    {
      CreateData *cd = g_new0 (CreateData, 1);
      GTask *task;

      cd->done = done;
      cd->data = data;
      cd->deps = g_object_ref (deps);
      task = g_task_new (NULL, NULL, create_async_done, cd);
      g_task_set_source_tag (task, _bk_service_factory_create);
      priv->create_async (deps, root_context, task, priv->user_data);
    }
}
