/* bk-mock-config.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbackend-test-utils.h>


static GObject *
create_mock_root_config (BkDeps    *deps,
                         gpointer   root_context,
                         gpointer   user_data,
                         GError   **error)
{
  const char *json = user_data;
  g_autoptr(BkConfig) config = NULL;

  config = bk_config_new_from_json (json, "mock-config", error);
  if (config == NULL)
    return NULL;

  return G_OBJECT (bk_static_root_config_new (config));
}

/**
 * bk_mock_root_config_factory_new:
 * @json: (nullable): the configuration as a JSON object, or %NULL for `{}`
 *
 * Creates a factory for `core.rootConfig` whose configuration is @json, read
 * as the source `mock-config`. @json is parsed when the service is created:
 * JSON that does not parse makes the factory fail with the parse error.
 *
 * ```c
 * bk_test_backend_add (backend, bk_mock_root_config_factory_new ("{\"todo\":{\"maxItems\":10}}"));
 * ```
 *
 * Returns: (transfer full): a new #BkServiceFactory
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_mock_root_config_factory_new (const char *json)
{
  return bk_service_factory_new (BK_SERVICE_ROOT_CONFIG,
                                 create_mock_root_config,
                                 g_strdup (json != NULL ? json : "{}"), g_free,
                                 NULL);
}
