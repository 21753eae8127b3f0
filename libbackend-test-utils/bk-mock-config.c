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

/* A test backend listens on loopback with a port the system picks, so tests
 * running side by side never compete for 7007 and nothing listens on every
 * interface. The mock config says so unless the test set `backend.listen`
 * itself. */
#define TEST_LISTEN_HOST "127.0.0.1"
#define TEST_LISTEN_YAML "\nbackend:\n  listen:\n    host: " TEST_LISTEN_HOST "\n    port: 0\n"

static JsonNode *
test_listen_node (void)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "host");
  json_builder_add_string_value (builder, TEST_LISTEN_HOST);
  json_builder_set_member_name (builder, "port");
  json_builder_add_int_value (builder, 0);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* @root with `backend.listen` added, or %NULL if it has one (or `backend`
 * is not an object, which the router reports). */
static JsonNode *
add_test_listen (JsonNode *root)
{
  JsonObject *object;
  JsonNode *backend;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  object = json_node_get_object (root);
  backend = json_object_get_member (object, "backend");
  if (backend == NULL || JSON_NODE_HOLDS_NULL (backend))
    {
      JsonObject *fresh = json_object_new ();

      json_object_set_member (fresh, "listen", test_listen_node ());
      json_object_set_object_member (object, "backend", fresh);
      return json_node_ref (root);
    }
  if (!JSON_NODE_HOLDS_OBJECT (backend))
    return NULL;
  if (json_object_has_member (json_node_get_object (backend), "listen"))
    return NULL;
  json_object_set_member (json_node_get_object (backend), "listen", test_listen_node ());
  return json_node_ref (root);
}

static BkConfig *
config_with_test_listen (BkConfig   *config,
                         MockFormat  format,
                         const char *text)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) listened = NULL;
  g_auto(GStrv) keys = bk_config_get_keys (config);

  /* YAML without a top-level backend: append one, so the config keeps
   * the line numbers of what the test wrote (flow style at the top level
   * does not take the addition: then rebuild it as below). */
  if (format == MOCK_YAML && !g_strv_contains ((const char * const *) keys, "backend"))
    {
      g_autofree char *yaml = g_strconcat (text, TEST_LISTEN_YAML, NULL);
      BkConfig *appended = bk_config_new_from_yaml (yaml, -1, "mock-config", NULL);

      if (appended != NULL)
        return appended;
    }

  root = bk_config_dup_node (config, NULL);
  listened = add_test_listen (root);
  if (listened == NULL)
    return g_object_ref (config);
  return bk_config_new (listened, "mock-config");
}

static GObject *
create_mock_root_config (BkDeps    *deps,
                         gpointer   root_context,
                         gpointer   user_data,
                         GError   **error)
{
  MockConfig *mock = user_data;
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(BkConfig) listening = NULL;

  if (mock->format == MOCK_YAML)
    config = bk_config_new_from_yaml (mock->text, -1, "mock-config", error);
  else
    config = bk_config_new_from_json (mock->text, "mock-config", error);

  if (config == NULL)
    return NULL;

  listening = config_with_test_listen (config, mock->format, mock->text);

  return G_OBJECT (bk_static_root_config_new (listening));
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
 * Unless @json sets `backend.listen`, the config also has
 * `backend.listen: {host: 127.0.0.1, port: 0}`, so the root HTTP router of
 * a [class@Bk.TestBackend] listens on loopback with a port the system
 * picks.
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
 * Like [func@Bk.mock_root_config_factory_new], it adds the loopback
 * `backend.listen` unless @yaml sets one, and the service is a
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
