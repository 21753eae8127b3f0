/* bk-deps.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkDeps:
 *
 * The resolved dependencies handed to a factory, an init or a feature
 * loader: one instance per declared [class@Bk.ServiceRef] or
 * [class@Bk.ExtensionPoint], and every instance of a multiton ref.
 *
 * Since: 0.1
 */

#include "bk-core-private.h"

typedef struct
{
  BkDependency *dependency;
  gpointer      value;       /* GObject, or GPtrArray for a multiton ref */
  gboolean      multiton;
} Dep;

/* A handful of entries: a linear search beats hashing and allocates once. */
struct _BkDeps
{
  GObject  parent_instance;
  char    *plugin_id;
  GArray  *entries;          /* Dep */
};

G_DEFINE_FINAL_TYPE (BkDeps, bk_deps, G_TYPE_OBJECT)

static void
dep_clear (gpointer data)
{
  Dep *dep = data;

  if (dep->multiton)
    g_clear_pointer ((GPtrArray **) &dep->value, g_ptr_array_unref);
  else
    g_clear_object ((GObject **) &dep->value);
}

static void
bk_deps_finalize (GObject *object)
{
  BkDeps *self = BK_DEPS (object);

  g_clear_pointer (&self->plugin_id, g_free);
  g_clear_pointer (&self->entries, g_array_unref);

  G_OBJECT_CLASS (bk_deps_parent_class)->finalize (object);
}

static void
bk_deps_class_init (BkDepsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bk_deps_finalize;
}

static void
bk_deps_init (BkDeps *self)
{
  self->entries = g_array_sized_new (FALSE, FALSE, sizeof (Dep), 4);
  g_array_set_clear_func (self->entries, dep_clear);
}

BkDeps *
_bk_deps_new (const char *plugin_id)
{
  BkDeps *self = g_object_new (BK_TYPE_DEPS, NULL);

  self->plugin_id = g_strdup (plugin_id);
  return self;
}

static Dep *
find (BkDeps       *self,
      BkDependency *dependency)
{
  for (guint i = 0; i < self->entries->len; i++)
    {
      Dep *dep = &g_array_index (self->entries, Dep, i);

      if (dep->dependency == dependency)
        return dep;
    }
  return NULL;
}

void
_bk_deps_set (BkDeps       *self,
              BkDependency *dependency,
              gpointer      value)
{
  Dep dep = { dependency, g_object_ref (value), FALSE };

  g_array_append_val (self->entries, dep);
}

void
_bk_deps_set_all (BkDeps       *self,
                  BkServiceRef *ref,
                  GPtrArray    *values)
{
  Dep dep = { BK_DEPENDENCY (ref), g_ptr_array_ref (values), TRUE };

  g_array_append_val (self->entries, dep);
}

/**
 * bk_deps_get:
 * @self: a #BkDeps
 * @dependency: (type BkDependency): a declared single service ref or
 *   extension point
 *
 * Looks up the instance of a declared dependency. Asking for a multiton
 * ref (use [method@Bk.Deps.get_all]) or for something that was not
 * declared is a programming error.
 *
 * Returns: (transfer none) (type GObject): the instance
 *
 * Since: 0.1
 */
gpointer
bk_deps_get (BkDeps   *self,
             gpointer  dependency)
{
  Dep *dep;

  g_return_val_if_fail (BK_IS_DEPS (self), NULL);
  g_return_val_if_fail (BK_IS_DEPENDENCY (dependency), NULL);

  if (BK_IS_SERVICE_REF (dependency) && bk_service_ref_is_multiton (dependency))
    {
      g_critical ("bk_deps_get() called on multiton ref '%s'; use bk_deps_get_all()",
                  bk_dependency_get_id (dependency));
      return NULL;
    }

  dep = find (self, dependency);
  if (dep == NULL)
    {
      g_critical ("bk_deps_get(): '%s' was not declared as a dependency",
                  bk_dependency_get_id (dependency));
      return NULL;
    }
  return dep->value;
}

/**
 * bk_deps_get_all:
 * @self: a #BkDeps
 * @ref: a declared multiton ref
 *
 * Returns every instance of a multiton ref, in the order their factories
 * were given to the backend (defaults, then `add`, then feature loaders).
 *
 * Returns: (transfer none) (element-type GObject): the instances, possibly
 *   none
 *
 * Since: 0.1
 */
GPtrArray *
bk_deps_get_all (BkDeps       *self,
                 BkServiceRef *ref)
{
  Dep *dep;

  g_return_val_if_fail (BK_IS_DEPS (self), NULL);
  g_return_val_if_fail (BK_IS_SERVICE_REF (ref), NULL);

  if (!bk_service_ref_is_multiton (ref))
    {
      g_critical ("bk_deps_get_all() called on single ref '%s'; use bk_deps_get()",
                  bk_service_ref_get_id (ref));
      return NULL;
    }

  dep = find (self, BK_DEPENDENCY (ref));
  if (dep == NULL)
    {
      g_critical ("bk_deps_get_all(): '%s' was not declared as a dependency",
                  bk_service_ref_get_id (ref));
      return NULL;
    }
  return dep->value;
}

/**
 * bk_deps_get_plugin_id:
 * @self: a #BkDeps
 *
 * Gets the plugin these dependencies were resolved for.
 *
 * Returns: (transfer none) (nullable): the plugin these dependencies were
 *   resolved for, or %NULL for root scope
 *
 * Since: 0.1
 */
const char *
bk_deps_get_plugin_id (BkDeps *self)
{
  g_return_val_if_fail (BK_IS_DEPS (self), NULL);

  return self->plugin_id;
}
