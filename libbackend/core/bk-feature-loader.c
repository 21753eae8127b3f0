/* bk-feature-loader.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkFeatureLoader:
 *
 * A feature that returns more features: plugins, modules, service
 * factories or other loaders. It runs at start, before the plan is made,
 * and may depend only on root-scoped services.
 *
 * Since: 0.1
 */

#include "bk-core-private.h"

struct _BkFeatureLoader
{
  BkFeature            parent_instance;
  char                *name;
  GPtrArray           *deps;
  BkFeatureLoaderFunc  func;
  gpointer             user_data;
  GDestroyNotify       destroy;
};

G_DEFINE_FINAL_TYPE (BkFeatureLoader, bk_feature_loader, BK_TYPE_FEATURE)

static void
bk_feature_loader_finalize (GObject *object)
{
  BkFeatureLoader *self = BK_FEATURE_LOADER (object);

  if (self->destroy != NULL)
    self->destroy (self->user_data);
  g_clear_pointer (&self->deps, g_ptr_array_unref);
  g_clear_pointer (&self->name, g_free);

  G_OBJECT_CLASS (bk_feature_loader_parent_class)->finalize (object);
}

static void
bk_feature_loader_class_init (BkFeatureLoaderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bk_feature_loader_finalize;
}

static void
bk_feature_loader_init (BkFeatureLoader *self)
{
  self->deps = g_ptr_array_new_with_free_func (g_object_unref);
}

static BkFeatureLoader *
loader_new (const char          *name,
            BkFeatureLoaderFunc  func,
            gpointer             user_data,
            GDestroyNotify       destroy)
{
  BkFeatureLoader *self = g_object_new (BK_TYPE_FEATURE_LOADER, NULL);

  self->name = g_strdup (name);
  self->func = func;
  self->user_data = user_data;
  self->destroy = destroy;
  return self;
}

/**
 * bk_feature_loader_new:
 * @name: names the loader in messages
 * @func: (scope notified): returns the features
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data with the loader
 * @...: root-scoped dependencies (#BkServiceRef pointers), then %NULL
 *
 * Creates a feature loader.
 *
 * Returns: (transfer full): a new #BkFeatureLoader
 *
 * Since: 0.1
 */
BkFeatureLoader *
bk_feature_loader_new (const char          *name,
                       BkFeatureLoaderFunc  func,
                       gpointer             user_data,
                       GDestroyNotify       destroy,
                       ...)
{
  BkFeatureLoader *self;
  BkServiceRef *dep;
  va_list args;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  self = loader_new (name, func, user_data, destroy);
  va_start (args, destroy);
  while ((dep = va_arg (args, BkServiceRef *)) != NULL)
    g_ptr_array_add (self->deps, g_object_ref (dep));
  va_end (args);

  return self;
}

/**
 * bk_feature_loader_new_full:
 * @name: names the loader in messages
 * @deps: (array length=n_deps) (nullable): root-scoped dependencies
 * @n_deps: the number of dependencies
 * @func: (scope notified): returns the features
 * @user_data: (closure func): data for @func
 * @destroy: (destroy func) (nullable): frees @user_data with the loader
 *
 * Like [ctor@Bk.FeatureLoader.new] with the dependencies in an array.
 *
 * Returns: (transfer full): a new #BkFeatureLoader
 *
 * Since: 0.1
 */
BkFeatureLoader *
bk_feature_loader_new_full (const char           *name,
                            BkServiceRef        **deps,
                            guint                 n_deps,
                            BkFeatureLoaderFunc   func,
                            gpointer              user_data,
                            GDestroyNotify        destroy)
{
  BkFeatureLoader *self;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (deps != NULL || n_deps == 0, NULL);

  self = loader_new (name, func, user_data, destroy);
  for (guint i = 0; i < n_deps; i++)
    g_ptr_array_add (self->deps, g_object_ref (deps[i]));

  return self;
}

/**
 * bk_feature_loader_get_name:
 * @self: a #BkFeatureLoader
 *
 * Gets the name that identifies the loader in messages.
 *
 * Returns: (transfer none): the loader's name
 *
 * Since: 0.1
 */
const char *
bk_feature_loader_get_name (BkFeatureLoader *self)
{
  g_return_val_if_fail (BK_IS_FEATURE_LOADER (self), NULL);

  return self->name;
}

GPtrArray *
_bk_feature_loader_get_deps (BkFeatureLoader *self)
{
  return self->deps;
}

GPtrArray *
_bk_feature_loader_load (BkFeatureLoader  *self,
                         BkDeps           *deps,
                         GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  GPtrArray *features;

  features = self->func (deps, self->user_data, &local_error);
  if (features == NULL && local_error == NULL)
    return g_ptr_array_new_with_free_func (g_object_unref);
  if (local_error != NULL)
    {
      g_clear_pointer (&features, g_ptr_array_unref);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return features;
}
