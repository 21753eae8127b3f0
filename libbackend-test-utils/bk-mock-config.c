/* bk-mock-config.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The mock root config is a [class@Bk.StaticRootConfig]: a test that wants
 * to change the configuration while its backend runs gets the instance and
 * gives it a new snapshot, which emits [signal@Bk.RootConfig::changed] as a
 * reload of the files would:
 *
 * ```c
 * BkStaticRootConfig *root = bk_test_backend_get_service (tb, BK_SERVICE_ROOT_CONFIG, NULL);
 * g_autoptr(BkConfig) next = bk_config_new_from_json ("{\"todo\":{\"maxItems\":5}}",
 *                                                     "mock-config", NULL);
 *
 * bk_static_root_config_set_config (root, next);
 * ```
 */

#include <libbackend-test-utils.h>

typedef enum
{
  MOCK_JSON,
  MOCK_YAML,
} MockFormat;

typedef struct
{
  MockFormat  format;
  char       *text;
} MockConfig;

static void
mock_config_free (gpointer data)
{
  MockConfig *mock = data;

  g_free (mock->text);
  g_free (mock);
}

static GObject *
create_mock_root_config (BkDeps    *deps,
                         gpointer   root_context,
                         gpointer   user_data,
                         GError   **error)
{
  MockConfig *mock = user_data;
  g_autoptr(BkConfig) config = NULL;

  if (mock->format == MOCK_YAML)
    config = bk_config_new_from_yaml (mock->text, -1, "mock-config", error);
  else
    config = bk_config_new_from_json (mock->text, "mock-config", error);

  if (config == NULL)
    return NULL;

  return G_OBJECT (bk_static_root_config_new (config));
}

static BkServiceFactory *
mock_root_config_factory_new (MockFormat  format,
                              const char *text)
{
  MockConfig *mock = g_new0 (MockConfig, 1);

  mock->format = format;
  mock->text = g_strdup (text);

  return bk_service_factory_new (BK_SERVICE_ROOT_CONFIG,
                                 create_mock_root_config,
                                 mock, mock_config_free,
                                 NULL);
}

/**
 * bk_mock_root_config_factory_new:
 * @json: (nullable): the configuration as a JSON object, or %NULL for `{}`
 *
 * Creates a factory for `core.rootConfig` whose configuration is @json, read
 * as the source `mock-config`. @json is parsed when the service is created:
 * JSON that does not parse makes the factory fail with the parse error.
 *
 * The config is exactly @json: a [class@Bk.TestBackend] listens on
 * loopback with a port the system picks whatever `backend.listen` says (its
 * root HTTP router ignores that key).
 *
 * ```c
 * bk_test_backend_add (backend, bk_mock_root_config_factory_new ("{\"todo\":{\"maxItems\":10}}"));
 * ```
 *
 * The service is a [class@Bk.StaticRootConfig]: get it with
 * `bk_test_backend_get_service (backend, BK_SERVICE_ROOT_CONFIG, NULL)` and
 * call [method@Bk.StaticRootConfig.set_config] to change the configuration
 * during a test; that emits [signal@Bk.RootConfig::changed].
 *
 * Returns: (transfer full): a new #BkServiceFactory
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_mock_root_config_factory_new (const char *json)
{
  return mock_root_config_factory_new (MOCK_JSON, json != NULL ? json : "{}");
}

/**
 * bk_mock_root_config_factory_new_from_yaml:
 * @yaml: (nullable): the configuration as a YAML document, or %NULL for an
 *   empty one
 *
 * Creates a factory for `core.rootConfig` whose configuration is @yaml, read
 * as the source `mock-config` with [ctor@Bk.Config.new_from_yaml] (the YAML
 * 1.2 core schema; no substitution, directives or environment overrides).
 * @yaml is parsed when the service is created: YAML that does not parse
 * makes the factory fail with the parse error, which names the line and
 * column.
 *
 * ```c
 * bk_test_backend_add (backend, bk_mock_root_config_factory_new_from_yaml (
 *                        "todo:\n"
 *                        "  maxItems: 10\n"));
 * ```
 *
 * Like [func@Bk.mock_root_config_factory_new], the service is a
 * [class@Bk.StaticRootConfig] a test may update.
 *
 * Returns: (transfer full): a new #BkServiceFactory
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_mock_root_config_factory_new_from_yaml (const char *yaml)
{
  return mock_root_config_factory_new (MOCK_YAML, yaml != NULL ? yaml : "");
}
