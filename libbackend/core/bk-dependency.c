/* bk-dependency.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkDependency:
 *
 * What a factory, init or feature loader can depend on: a
 * [class@Bk.ServiceRef] or a [class@Bk.ExtensionPoint]. Each has an id and
 * the #GType its instances implement.
 *
 * Since: 0.1
 */

#include "bk-core-private.h"

typedef struct
{
  char  *id;
  GType  interface_type;
} BkDependencyPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (BkDependency, bk_dependency, G_TYPE_OBJECT)

static void
bk_dependency_finalize (GObject *object)
{
  BkDependencyPrivate *priv = bk_dependency_get_instance_private (BK_DEPENDENCY (object));

  g_clear_pointer (&priv->id, g_free);

  G_OBJECT_CLASS (bk_dependency_parent_class)->finalize (object);
}

static void
bk_dependency_class_init (BkDependencyClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bk_dependency_finalize;
}

static void
bk_dependency_init (BkDependency *self)
{
}

void
_bk_dependency_init_fields (BkDependency *self,
                            const char   *id,
                            GType         interface_type)
{
  BkDependencyPrivate *priv = bk_dependency_get_instance_private (self);

  priv->id = g_strdup (id);
  priv->interface_type = interface_type;
}

/**
 * bk_dependency_get_id:
 * @self: a #BkDependency
 *
 * Gets the dependency's id.
 *
 * Returns: (transfer none): the id, such as `core.logger`
 *
 * Since: 0.1
 */
const char *
bk_dependency_get_id (BkDependency *self)
{
  BkDependencyPrivate *priv = bk_dependency_get_instance_private (self);

  g_return_val_if_fail (BK_IS_DEPENDENCY (self), NULL);

  return priv->id;
}

/**
 * bk_dependency_get_interface_type:
 * @self: a #BkDependency
 *
 * Gets the #GType that every instance of the dependency implements.
 *
 * Returns: the #GType every instance implements
 *
 * Since: 0.1
 */
GType
bk_dependency_get_interface_type (BkDependency *self)
{
  BkDependencyPrivate *priv = bk_dependency_get_instance_private (self);

  g_return_val_if_fail (BK_IS_DEPENDENCY (self), G_TYPE_INVALID);

  return priv->interface_type;
}

/**
 * bk_dependency_to_string:
 * @self: a #BkDependency
 *
 * Formats the dependency as Backstage does in messages:
 * `serviceRef{<id>}` or `extensionPoint{<id>}`.
 *
 * Returns: (transfer full): a new string
 *
 * Since: 0.1
 */
char *
bk_dependency_to_string (BkDependency *self)
{
  BkDependencyPrivate *priv = bk_dependency_get_instance_private (self);

  g_return_val_if_fail (BK_IS_DEPENDENCY (self), NULL);

  return g_strdup_printf ("%s{%s}",
                          BK_IS_SERVICE_REF (self) ? "serviceRef" : "extensionPoint",
                          priv->id);
}
