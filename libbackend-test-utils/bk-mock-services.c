/* bk-mock-services.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbackend-test-utils.h>

/**
 * bk_mock_default_factories:
 *
 * Creates the default factories of a test backend: a mock root config (`{}`),
 * a mock root logger, a mock plugin logger, and the library's own root and
 * plugin lifecycles (which log through the mock loggers).
 *
 * Returns: (transfer full) (element-type BkServiceFactory): a new array of
 *   factories
 *
 * Since: 0.1
 */
GPtrArray *
bk_mock_default_factories (void)
{
  g_autoptr(GPtrArray) factories = g_ptr_array_new_with_free_func (g_object_unref);
  BkServiceRef *real_defaults[] = {
    BK_SERVICE_ROOT_LIFECYCLE,
    BK_SERVICE_LIFECYCLE,
  };
  guint i;

  g_ptr_array_add (factories, bk_mock_root_config_factory_new (NULL));
  g_ptr_array_add (factories, bk_mock_root_logger_factory_new ());
  g_ptr_array_add (factories, bk_mock_logger_factory_new ());

  for (i = 0; i < G_N_ELEMENTS (real_defaults); i++)
    {
      BkServiceFactory *factory = bk_service_ref_create_default_factory (real_defaults[i]);

      if (factory != NULL)
        g_ptr_array_add (factories, factory);
    }

  return g_steal_pointer (&factories);
}
