/* bk-service-factory-tester.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkServiceFactoryTester:
 *
 * Tests one service factory in isolation: the subject, its dependencies
 * from the mocks of [func@Bk.mock_default_factories] or from the overrides
 * given, resolved for any plugin id (`test` by default). The root context
 * is made once per tester.
 *
 * Since: 0.1
 */

#include <libbackend-test-utils.h>

#include "bk-backend-private.h"

struct _BkServiceFactoryTester
{
  GObject       parent_instance;
  BkBackend    *backend;
  BkServiceRef *subject;
};

G_DEFINE_FINAL_TYPE (BkServiceFactoryTester, bk_service_factory_tester, G_TYPE_OBJECT)

static void
bk_service_factory_tester_dispose (GObject *object)
{
  BkServiceFactoryTester *self = BK_SERVICE_FACTORY_TESTER (object);

  g_clear_object (&self->backend);
  g_clear_object (&self->subject);

  G_OBJECT_CLASS (bk_service_factory_tester_parent_class)->dispose (object);
}

static void
bk_service_factory_tester_class_init (BkServiceFactoryTesterClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = bk_service_factory_tester_dispose;
}

static void
bk_service_factory_tester_init (BkServiceFactoryTester *self)
{
  g_autoptr(GPtrArray) defaults = bk_mock_default_factories ();

  self->backend = bk_backend_new_specialized_v ((BkServiceFactory **) defaults->pdata, defaults->len);
}

/**
 * bk_service_factory_tester_new:
 * @subject: (transfer full): the factory under test
 * @...: factories (transfer full) that replace the mocks, then %NULL
 *
 * Creates a tester for @subject.
 *
 * Returns: (transfer full): a new #BkServiceFactoryTester
 *
 * Since: 0.1
 */
BkServiceFactoryTester *
bk_service_factory_tester_new (BkServiceFactory *subject,
                               ...)
{
  BkServiceFactoryTester *self;
  BkServiceFactory *override;
  va_list args;

  g_return_val_if_fail (BK_IS_SERVICE_FACTORY (subject), NULL);

  self = g_object_new (BK_TYPE_SERVICE_FACTORY_TESTER, NULL);
  self->subject = g_object_ref (bk_service_factory_get_service (subject));
  bk_backend_add (self->backend, subject);

  va_start (args, subject);
  while ((override = va_arg (args, BkServiceFactory *)) != NULL)
    bk_backend_add (self->backend, override);
  va_end (args);

  return self;
}

/**
 * bk_service_factory_tester_new_v:
 * @subject: the factory under test
 * @overrides: (array length=n_overrides) (nullable): factories that replace
 *   the mocks
 * @n_overrides: the number of overrides
 *
 * Like [ctor@Bk.ServiceFactoryTester.new] with the overrides in an array; a
 * reference is taken on each factory.
 *
 * Returns: (transfer full): a new #BkServiceFactoryTester
 *
 * Since: 0.1
 */
BkServiceFactoryTester *
bk_service_factory_tester_new_v (BkServiceFactory  *subject,
                                 BkServiceFactory **overrides,
                                 guint              n_overrides)
{
  BkServiceFactoryTester *self;

  g_return_val_if_fail (BK_IS_SERVICE_FACTORY (subject), NULL);
  g_return_val_if_fail (overrides != NULL || n_overrides == 0, NULL);

  self = g_object_new (BK_TYPE_SERVICE_FACTORY_TESTER, NULL);
  self->subject = g_object_ref (bk_service_factory_get_service (subject));
  bk_backend_add (self->backend, g_object_ref (subject));
  for (guint i = 0; i < n_overrides; i++)
    bk_backend_add (self->backend, g_object_ref (overrides[i]));

  return self;
}

/**
 * bk_service_factory_tester_get_subject:
 * @self: a #BkServiceFactoryTester
 * @plugin_id: (nullable): the plugin to make it for; %NULL means `test`
 *   (ignored for a root-scoped subject)
 * @error: return location for a #GError
 *
 * Returns the subject's instance for @plugin_id, making it (and its
 * dependencies) on first use.
 *
 * Returns: (transfer none) (nullable) (type GObject): the instance, owned
 *   by the tester
 *
 * Since: 0.1
 */
gpointer
bk_service_factory_tester_get_subject (BkServiceFactoryTester  *self,
                                       const char              *plugin_id,
                                       GError                 **error)
{
  g_return_val_if_fail (BK_IS_SERVICE_FACTORY_TESTER (self), NULL);

  return bk_service_factory_tester_get_service (self, self->subject, plugin_id, error);
}

/**
 * bk_service_factory_tester_get_service:
 * @self: a #BkServiceFactoryTester
 * @ref: any single service ref
 * @plugin_id: (nullable): the plugin; %NULL means `test`
 * @error: return location for a #GError
 *
 * Returns the instance of any service as the subject sees it: a mock, an
 * override, or the ref's default.
 *
 * Returns: (transfer none) (nullable) (type GObject): the instance, owned
 *   by the tester
 *
 * Since: 0.1
 */
gpointer
bk_service_factory_tester_get_service (BkServiceFactoryTester  *self,
                                       BkServiceRef            *ref,
                                       const char              *plugin_id,
                                       GError                 **error)
{
  g_return_val_if_fail (BK_IS_SERVICE_FACTORY_TESTER (self), NULL);
  g_return_val_if_fail (BK_IS_SERVICE_REF (ref), NULL);

  return _bk_backend_resolve_service (self->backend, ref, plugin_id ? plugin_id : "test", error);
}
