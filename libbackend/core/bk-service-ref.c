/* bk-service-ref.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkServiceRef:
 *
 * Names a service: its id, its scope, the #GType of its interface, whether
 * it is a multiton, and an optional default factory used when the backend
 * is given none. Define one with [func@Bk.DEFINE_SERVICE_REF].
 *
 * Since: 0.1
 */

#include "bk-core-private.h"

struct _BkServiceRef
{
  BkDependency          parent_instance;
  BkServiceScope        scope;
  gboolean              multiton;
  BkServiceFactoryFunc  default_factory;
};

G_DEFINE_FINAL_TYPE (BkServiceRef, bk_service_ref, BK_TYPE_DEPENDENCY)

static void
bk_service_ref_class_init (BkServiceRefClass *klass)
{
}

static void
bk_service_ref_init (BkServiceRef *self)
{
}

/**
 * bk_service_ref_new:
 * @id: the service id
 * @interface_type: the #GType every instance implements
 * @scope: the scope
 * @multiton: whether any number of factories may be given
 * @default_factory: (nullable) (scope forever): returns the default factory
 *
 * Creates a service ref. Refs are usually made once by a getter defined
 * with [func@Bk.DEFINE_SERVICE_REF] and live for the whole process.
 *
 * Returns: (transfer full): a new #BkServiceRef
 *
 * Since: 0.1
 */
BkServiceRef *
bk_service_ref_new (const char           *id,
                    GType                 interface_type,
                    BkServiceScope        scope,
                    gboolean              multiton,
                    BkServiceFactoryFunc  default_factory)
{
  BkServiceRef *self;

  g_return_val_if_fail (id != NULL && *id != '\0', NULL);
  g_return_val_if_fail (G_TYPE_IS_INTERFACE (interface_type) || G_TYPE_IS_OBJECT (interface_type), NULL);

  self = g_object_new (BK_TYPE_SERVICE_REF, NULL);
  _bk_dependency_init_fields (BK_DEPENDENCY (self), id, interface_type);
  self->scope = scope;
  self->multiton = !!multiton;
  self->default_factory = default_factory;

  return self;
}

/**
 * bk_service_ref_get_id:
 * @self: a #BkServiceRef
 *
 * Gets the service id.
 *
 * Returns: (transfer none): the service id
 *
 * Since: 0.1
 */
const char *
bk_service_ref_get_id (BkServiceRef *self)
{
  return bk_dependency_get_id (BK_DEPENDENCY (self));
}

/**
 * bk_service_ref_get_scope:
 * @self: a #BkServiceRef
 *
 * Gets the scope of the service.
 *
 * Returns: the scope
 *
 * Since: 0.1
 */
BkServiceScope
bk_service_ref_get_scope (BkServiceRef *self)
{
  g_return_val_if_fail (BK_IS_SERVICE_REF (self), BK_SERVICE_SCOPE_ROOT);

  return self->scope;
}

/**
 * bk_service_ref_is_multiton:
 * @self: a #BkServiceRef
 *
 * Tells whether the ref is a multiton.
 *
 * Returns: whether the ref collects every factory given for it
 *
 * Since: 0.1
 */
gboolean
bk_service_ref_is_multiton (BkServiceRef *self)
{
  g_return_val_if_fail (BK_IS_SERVICE_REF (self), FALSE);

  return self->multiton;
}

/**
 * bk_service_ref_has_default_factory:
 * @self: a #BkServiceRef
 *
 * Tells whether the ref has a default factory.
 *
 * Returns: whether the ref has a default factory
 *
 * Since: 0.1
 */
gboolean
bk_service_ref_has_default_factory (BkServiceRef *self)
{
  g_return_val_if_fail (BK_IS_SERVICE_REF (self), FALSE);

  return self->default_factory != NULL;
}

/**
 * bk_service_ref_create_default_factory:
 * @self: a #BkServiceRef
 *
 * Calls the ref's default factory function. A backend does this at most
 * once per ref; this is for test kits that install defaults of their own.
 *
 * Returns: (transfer full) (nullable): a new factory, or %NULL if the ref
 *   has no default
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_service_ref_create_default_factory (BkServiceRef *self)
{
  g_return_val_if_fail (BK_IS_SERVICE_REF (self), NULL);

  if (self->default_factory == NULL)
    return NULL;
  return self->default_factory ();
}
