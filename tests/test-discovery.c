/* test-discovery.c: core.discovery (Backstage's R76) and the mock discovery.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <libbackend.h>
#include <libbackend-test-utils.h>

/* Helpers ---------------------------------------------------------------- */

static gboolean
probe_init (BkDeps   *deps,
            gpointer  user_data,
            GError  **error)
{
  g_assert_true (BK_IS_DISCOVERY (bk_deps_get (deps, BK_SERVICE_DISCOVERY)));
  return TRUE;
}

static void
probe_register (BkPluginEnv *env,
                gpointer     user_data)
{
  bk_plugin_env_register_init (env, probe_init, NULL, NULL, BK_SERVICE_DISCOVERY, NULL);
}

/* A test backend with @config_json, the real default discovery and a plugin
 * `probe` that depends on it. */
static BkTestBackend *
start_with_config (const char  *config_json,
                   GError     **error)
{
  return bk_test_backend_start (error,
                                bk_mock_root_config_factory_new (config_json),
                                bk_service_ref_create_default_factory (BK_SERVICE_DISCOVERY),
                                bk_plugin_new ("probe", probe_register, NULL, NULL),
                                NULL);
}

static BkTestBackend *
start (const char *config_json)
{
  g_autoptr(GError) error = NULL;
  BkTestBackend *tb = start_with_config (config_json, &error);

  g_assert_no_error (error);
  g_assert_nonnull (tb);
  return tb;
}

/* The same with the real root HTTP router, which listens where
 * `backend.listen` (@listen_json) says; a test backend's own listens on
 * 127.0.0.1. */
static BkTestBackend *
start_listening (const char *listen_json)
{
  g_autofree char *config = g_strdup_printf ("{\"backend\":{\"listen\":%s}}", listen_json);
  g_autoptr(GError) error = NULL;
  BkTestBackend *tb;

  tb = bk_test_backend_start (&error,
                              bk_mock_root_config_factory_new (config),
                              bk_service_ref_create_default_factory (BK_SERVICE_ROOT_HTTP_ROUTER),
                              bk_service_ref_create_default_factory (BK_SERVICE_DISCOVERY),
                              bk_plugin_new ("probe", probe_register, NULL, NULL),
                              NULL);
  g_assert_no_error (error);
  g_assert_nonnull (tb);
  return tb;
}

static BkDiscovery *
get_discovery (BkTestBackend *tb)
{
  BkDiscovery *discovery = bk_test_backend_get_service (tb, BK_SERVICE_DISCOVERY, "probe");

  g_assert_true (BK_IS_DISCOVERY (discovery));
  return discovery;
}

static void
stop (BkTestBackend *tb)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bk_test_backend_stop (tb, &error));
  g_assert_no_error (error);
}

static void
assert_urls (BkDiscovery *discovery,
             const char  *plugin_id,
             const char  *internal,
             const char  *external)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *got_internal = bk_discovery_dup_base_url (discovery, plugin_id, &error);
  g_autofree char *got_external = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (got_internal, ==, internal);
  got_external = bk_discovery_dup_external_base_url (discovery, plugin_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got_external, ==, external);
}

/* `http://127.0.0.1:<bound port>` of the test backend's server. */
static char *
loopback_url (BkTestBackend *tb)
{
  BkRootHttpRouter *router = bk_test_backend_get_service (tb, BK_SERVICE_ROOT_HTTP_ROUTER, NULL);
  guint port = bk_root_http_router_get_port (router);

  g_assert_cmpuint (port, >, 0);
  return g_strdup_printf ("http://127.0.0.1:%u", port);
}

/* A root HTTP router that binds nothing and reports a fixed URL. */

#define TEST_TYPE_FIXED_ROUTER (test_fixed_router_get_type ())
G_DECLARE_FINAL_TYPE (TestFixedRouter, test_fixed_router, TEST, FIXED_ROUTER, GObject)

struct _TestFixedRouter
{
  GObject  parent_instance;
  char    *url;
};

static void test_fixed_router_iface_init (BkRootHttpRouterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestFixedRouter, test_fixed_router, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_ROOT_HTTP_ROUTER,
                                                      test_fixed_router_iface_init))

static gboolean
test_fixed_router_use (BkRootHttpRouter       *router,
                       const char             *path,
                       BkRootHttpHandlerFunc   handler,
                       gpointer                user_data,
                       GDestroyNotify          destroy,
                       GError                **error)
{
  if (destroy != NULL)
    destroy (user_data);
  return TRUE;
}

static guint
test_fixed_router_get_port (BkRootHttpRouter *router)
{
  return 0;
}

static char *
test_fixed_router_dup_base_url (BkRootHttpRouter *router)
{
  return g_strdup (TEST_FIXED_ROUTER (router)->url);
}

static void
test_fixed_router_iface_init (BkRootHttpRouterInterface *iface)
{
  iface->use = test_fixed_router_use;
  iface->get_port = test_fixed_router_get_port;
  iface->dup_base_url = test_fixed_router_dup_base_url;
}

static void
test_fixed_router_finalize (GObject *object)
{
  g_free (TEST_FIXED_ROUTER (object)->url);
  G_OBJECT_CLASS (test_fixed_router_parent_class)->finalize (object);
}

static void
test_fixed_router_class_init (TestFixedRouterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_fixed_router_finalize;
}

static void
test_fixed_router_init (TestFixedRouter *self)
{
}

static GObject *
create_fixed_router (BkDeps    *deps,
                     gpointer   root_context,
                     gpointer   user_data,
                     GError   **error)
{
  TestFixedRouter *router = g_object_new (TEST_TYPE_FIXED_ROUTER, NULL);

  router->url = g_strdup (user_data);
  return G_OBJECT (router);
}

/* A tester for the default discovery whose root router says @url (NULL:
 * not listening) and whose config is @config_json. */
static BkServiceFactoryTester *
fixed_router_tester (const char *url,
                     const char *config_json)
{
  return bk_service_factory_tester_new (bk_service_ref_create_default_factory (BK_SERVICE_DISCOVERY),
                                        bk_service_factory_new (BK_SERVICE_ROOT_HTTP_ROUTER,
                                                                create_fixed_router,
                                                                g_strdup (url), g_free, NULL),
                                        bk_mock_root_config_factory_new (config_json),
                                        NULL);
}

/* The ref ------------------------------------------------------------------- */

static void
test_discovery_ref (void)
{
  BkServiceRef *ref = BK_SERVICE_DISCOVERY;
  g_autoptr(BkServiceFactory) factory = bk_service_ref_create_default_factory (ref);

  g_assert_cmpstr (bk_service_ref_get_id (ref), ==, "core.discovery");
  g_assert_cmpint (bk_service_ref_get_scope (ref), ==, BK_SERVICE_SCOPE_PLUGIN);
  g_assert_true (bk_dependency_get_interface_type (BK_DEPENDENCY (ref)) == BK_TYPE_DISCOVERY);
  g_assert_nonnull (factory);
  g_assert_true (bk_service_factory_get_service (factory) == ref);
  g_assert_cmpint (bk_service_factory_get_initialization (factory), ==,
                   BK_SERVICE_INITIALIZATION_DEFAULT);
}

/* Internal URLs from backend.listen (R76) ---------------------------------- */

typedef struct
{
  const char *name;
  const char *listen;   /* JSON for backend.listen */
} ListenCase;

static const ListenCase listen_cases[] = {
  { "string/port", "\":0\"" },
  { "string/loopback", "\"127.0.0.1:0\"" },
  { "string/any", "\"0.0.0.0:0\"" },
  { "object/port", "{\"port\":0}" },
  { "object/any", "{\"host\":\"0.0.0.0\",\"port\":0}" },
  { "object/loopback", "{\"host\":\"127.0.0.1\",\"port\":\"0\"}" },
};

/* Whatever the listen address, the internal URL is 127.0.0.1 and the
 * bound port. */
static void
test_discovery_internal_listen (gconstpointer data)
{
  const ListenCase *c = data;
  g_autoptr(BkTestBackend) tb = start_listening (c->listen);
  g_autofree char *base = loopback_url (tb);
  g_autofree char *expected = g_strconcat (base, "/api/catalog", NULL);

  assert_urls (get_discovery (tb), "catalog", expected, expected);
  stop (tb);
}

static gboolean
ipv6_loopback_available (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) address = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GSocketAddress) socket_address = g_inet_socket_address_new (address, 0);

  return socket != NULL && g_socket_bind (socket, socket_address, FALSE, NULL);
}

/* `::1` and `::` are reached at [::1]. Without IPv6 loopback, the same
 * answer through a router that reports the address. */
static void
test_discovery_internal_ipv6 (void)
{
  const char *hosts[] = { "::1", "::" };

  if (!ipv6_loopback_available ())
    {
      g_autoptr(BkServiceFactoryTester) tester = fixed_router_tester ("http://[::1]:7007", "{}");
      g_autoptr(GError) error = NULL;
      BkDiscovery *discovery = bk_service_factory_tester_get_subject (tester, "probe", &error);

      g_test_message ("No IPv6 loopback here: checking the URL through a fixed router");
      g_assert_no_error (error);
      assert_urls (discovery, "catalog", "http://[::1]:7007/api/catalog",
                   "http://[::1]:7007/api/catalog");
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      g_autofree char *listen = g_strdup_printf ("{\"host\":\"%s\",\"port\":0}", hosts[i]);
      g_autoptr(BkTestBackend) tb = start_listening (listen);
      BkRootHttpRouter *router = bk_test_backend_get_service (tb, BK_SERVICE_ROOT_HTTP_ROUTER, NULL);
      g_autofree char *expected = g_strdup_printf ("http://[::1]:%u/api/catalog",
                                                   bk_root_http_router_get_port (router));

      g_test_message ("host %s", hosts[i]);
      assert_urls (get_discovery (tb), "catalog", expected, expected);
      stop (tb);
    }
}

/* Discovery takes the scheme, host and port the router reports: https and
 * a bracketed IPv6 address ({port: 90, host: '::2'} with TLS) come through
 * as they are. */
static void
test_discovery_internal_router_url (void)
{
  g_autoptr(BkServiceFactoryTester) tester = fixed_router_tester ("https://[::2]:90", "{}");
  g_autoptr(GError) error = NULL;
  BkDiscovery *discovery = bk_service_factory_tester_get_subject (tester, "probe", &error);

  g_assert_no_error (error);
  assert_urls (discovery, "catalog", "https://[::2]:90/api/catalog", "https://[::2]:90/api/catalog");
}

/* A server that does not listen has no internal URL; an endpoint override
 * still answers. */
static void
test_discovery_internal_not_listening (void)
{
  g_autoptr(BkServiceFactoryTester) tester =
    fixed_router_tester (NULL, "{\"discovery\":{\"endpoints\":[{\"target\":\"http://x/{{pluginId}}\","
                               "\"plugins\":[\"other\"]}]}}");
  g_autoptr(GError) error = NULL;
  BkDiscovery *discovery = bk_service_factory_tester_get_subject (tester, "probe", &error);
  g_autofree char *url = NULL;

  g_assert_no_error (error);
  url = bk_discovery_dup_base_url (discovery, "catalog", &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
  g_assert_cmpstr (error->message, ==,
                   "No internal URL for plugin 'catalog': the backend's HTTP server does not listen");
  g_assert_null (url);
  g_clear_error (&error);

  url = bk_discovery_dup_external_base_url (discovery, "catalog", &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
  g_assert_null (url);
  g_clear_error (&error);

  assert_urls (discovery, "other", "http://x/other", "http://x/other");
}

/* External URLs from backend.baseUrl ----------------------------------------- */

static void
test_discovery_external_base_url (void)
{
  const char *base_urls[] = {
    "https://backstage.example.com",
    "https://backstage.example.com/",
    "https://backstage.example.com///",
  };

  for (guint i = 0; i < G_N_ELEMENTS (base_urls); i++)
    {
      g_autofree char *config = g_strdup_printf ("{\"backend\":{\"baseUrl\":\"%s\"}}", base_urls[i]);
      g_autoptr(BkTestBackend) tb = start (config);
      g_autofree char *base = loopback_url (tb);
      g_autofree char *internal = g_strconcat (base, "/api/catalog", NULL);

      g_test_message ("baseUrl %s", base_urls[i]);
      assert_urls (get_discovery (tb), "catalog", internal, "https://backstage.example.com/api/catalog");
      stop (tb);
    }

  {
    g_autoptr(BkTestBackend) tb = start ("{\"backend\":{\"baseUrl\":\"http://example.com:8080/backstage/\"}}");
    g_autofree char *base = loopback_url (tb);
    g_autofree char *internal = g_strconcat (base, "/api/todo", NULL);

    assert_urls (get_discovery (tb), "todo", internal, "http://example.com:8080/backstage/api/todo");
    stop (tb);
  }
}

/* Without backend.baseUrl the external URL is the internal one. */
static void
test_discovery_external_fallback (void)
{
  g_autoptr(BkTestBackend) tb = start ("{}");
  g_autofree char *base = loopback_url (tb);
  g_autofree char *expected = g_strconcat (base, "/api/catalog", NULL);

  assert_urls (get_discovery (tb), "catalog", expected, expected);
  stop (tb);
}

/* discovery.endpoints --------------------------------------------------------- */

#define BASE_URL "\"backend\":{\"baseUrl\":\"https://bs.example.com\"}"

/* A string target serves both sides; other plugins fall back. */
static void
test_discovery_endpoints_string (void)
{
  g_autoptr(BkTestBackend) tb =
    start ("{" BASE_URL ",\"discovery\":{\"endpoints\":["
           "{\"target\":\"http://catalog.internal:8080/api/catalog\",\"plugins\":[\"catalog\",\"search\"]}]}}");
  g_autofree char *base = loopback_url (tb);
  g_autofree char *todo = g_strconcat (base, "/api/todo", NULL);
  BkDiscovery *discovery = get_discovery (tb);

  assert_urls (discovery, "catalog", "http://catalog.internal:8080/api/catalog",
               "http://catalog.internal:8080/api/catalog");
  assert_urls (discovery, "search", "http://catalog.internal:8080/api/catalog",
               "http://catalog.internal:8080/api/catalog");
  assert_urls (discovery, "todo", todo, "https://bs.example.com/api/todo");
  stop (tb);
}

/* An object target with only `internal` (or only `external`) overrides that
 * side; the other falls back. */
static void
test_discovery_endpoints_one_side (void)
{
  g_autoptr(BkTestBackend) tb =
    start ("{" BASE_URL ",\"discovery\":{\"endpoints\":["
           "{\"target\":{\"internal\":\"http://catalog.svc/api/catalog\"},\"plugins\":[\"catalog\"]},"
           "{\"target\":{\"external\":\"https://search.example.com/api\"},\"plugins\":[\"search\"]},"
           "{\"target\":{\"internal\":\"http://todo.svc/api\",\"external\":\"https://todo.example.com/api\"},"
           "\"plugins\":[\"todo\"]}]}}");
  g_autofree char *base = loopback_url (tb);
  g_autofree char *search = g_strconcat (base, "/api/search", NULL);
  BkDiscovery *discovery = get_discovery (tb);

  assert_urls (discovery, "catalog", "http://catalog.svc/api/catalog", "https://bs.example.com/api/catalog");
  assert_urls (discovery, "search", search, "https://search.example.com/api");
  assert_urls (discovery, "todo", "http://todo.svc/api", "https://todo.example.com/api");
  stop (tb);
}

/* '*' covers every plugin; an endpoint naming the plugin wins over it
 * wherever it is in the list, and each side is looked up on its own. */
static void
test_discovery_endpoints_wildcard (void)
{
  g_autoptr(BkTestBackend) tb =
    start ("{" BASE_URL ",\"discovery\":{\"endpoints\":["
           "{\"target\":\"http://{{pluginId}}.svc/api/{{pluginId}}\",\"plugins\":[\"*\"]},"
           "{\"target\":{\"internal\":\"http://catalog.override/api\"},\"plugins\":[\"catalog\"]},"
           "{\"target\":\"http://late.wildcard/api\",\"plugins\":[\"*\"]}]}}");
  BkDiscovery *discovery = get_discovery (tb);

  assert_urls (discovery, "todo", "http://todo.svc/api/todo", "http://todo.svc/api/todo");
  assert_urls (discovery, "catalog", "http://catalog.override/api", "http://catalog.svc/api/catalog");
  stop (tb);
}

/* Both spellings of the placeholder, several times in one target; other
 * braces are left alone. */
static void
test_discovery_endpoints_placeholder (void)
{
  g_autoptr(BkTestBackend) tb =
    start ("{\"discovery\":{\"endpoints\":["
           "{\"target\":{\"internal\":\"http://{{pluginId}}.svc:7007/api/{{ pluginId }}\","
           "\"external\":\"https://ext.example.com/{{ pluginId }}/api/{{pluginId}}\"},"
           "\"plugins\":[\"catalog\"]},"
           "{\"target\":\"http://x.svc/{{  pluginId}}/{{other}}/{pluginId}/{{pluginIdent}}\","
           "\"plugins\":[\"todo\"]}]}}");

  assert_urls (get_discovery (tb), "catalog", "http://catalog.svc:7007/api/catalog",
               "https://ext.example.com/catalog/api/catalog");
  /* Anything else in braces stays as it is. */
  assert_urls (get_discovery (tb), "todo", "http://x.svc/todo/{{other}}/{pluginId}/{{pluginIdent}}",
               "http://x.svc/todo/{{other}}/{pluginId}/{{pluginIdent}}");
  stop (tb);
}

/* Ids are percent-encoded, in defaults and in placeholders. */
static void
test_discovery_encoding (void)
{
  g_autoptr(BkTestBackend) tb =
    start ("{" BASE_URL ",\"discovery\":{\"endpoints\":["
           "{\"target\":{\"external\":\"https://x.example.com/{{pluginId}}\"},\"plugins\":[\"plugin/gamma\"]}]}}");
  g_autofree char *base = loopback_url (tb);
  g_autofree char *beta = g_strconcat (base, "/api/plugin%2Fbeta", NULL);
  g_autofree char *gamma = g_strconcat (base, "/api/plugin%2Fgamma", NULL);
  BkDiscovery *discovery = get_discovery (tb);

  assert_urls (discovery, "plugin/beta", beta, "https://bs.example.com/api/plugin%2Fbeta");
  assert_urls (discovery, "plugin/gamma", gamma, "https://x.example.com/plugin%2Fgamma");
  stop (tb);
}

/* Config errors ----------------------------------------------------------- */

typedef struct
{
  const char *name;
  const char *config;
  const char *message;   /* the cause, after the container's wrapping */
} ErrorCase;

#define ENDPOINTS(json) "{\"discovery\":{\"endpoints\":" json "}}"

static const ErrorCase error_cases[] = {
  { "endpoints/type", ENDPOINTS ("{\"target\":\"http://x\"}"),
    "Invalid type in config for key 'discovery.endpoints' in 'mock-config', got object, wanted object-array" },
  { "discovery/type", "{\"discovery\":[1]}",
    "Invalid type in config for key 'discovery' in 'mock-config', got array, wanted object" },
  { "endpoint/type", ENDPOINTS ("[3]"),
    "Invalid type in config for key 'discovery.endpoints[0]' in 'mock-config', got number, wanted object" },
  { "target/missing", ENDPOINTS ("[{\"plugins\":[\"catalog\"]}]"),
    "Missing required config value at 'discovery.endpoints[0].target' in 'mock-config'" },
  { "target/type", ENDPOINTS ("[{\"target\":3,\"plugins\":[\"catalog\"]}]"),
    "Invalid type in config for key 'discovery.endpoints[0].target' in 'mock-config', got number, "
    "wanted string or object" },
  { "target/internal/type", ENDPOINTS ("[{\"target\":{\"internal\":true},\"plugins\":[\"catalog\"]}]"),
    "Invalid type in config for key 'discovery.endpoints[0].target.internal' in 'mock-config', "
    "got boolean, wanted string" },
  { "target/url", ENDPOINTS ("[{\"target\":\"catalog.svc:7007\",\"plugins\":[\"catalog\"]}]"),
    "Invalid URL 'catalog.svc:7007' in config for key 'discovery.endpoints[0].target' in 'mock-config', "
    "expected an absolute http or https URL" },
  { "target/internal/relative", ENDPOINTS ("[{\"target\":{\"internal\":\"/api/{{pluginId}}\"},\"plugins\":[\"*\"]}]"),
    "Invalid URL '/api/{{pluginId}}' in config for key 'discovery.endpoints[0].target.internal' in "
    "'mock-config', expected an absolute http or https URL" },
  { "target/external/scheme",
    ENDPOINTS ("[{\"target\":\"http://ok\",\"plugins\":[\"a\"]},"
               "{\"target\":{\"external\":\"ftp://x/{{pluginId}}\"},\"plugins\":[\"b\"]}]"),
    "Invalid URL 'ftp://x/{{pluginId}}' in config for key 'discovery.endpoints[1].target.external' in "
    "'mock-config', expected an absolute http or https URL" },
  { "target/srv", ENDPOINTS ("[{\"target\":\"srv://catalog._tcp.example.com/api\",\"plugins\":[\"catalog\"]}]"),
    "Invalid URL 'srv://catalog._tcp.example.com/api' in config for key 'discovery.endpoints[0].target' "
    "in 'mock-config', expected an absolute http or https URL (SRV resolver URLs are not supported)" },
  { "plugins/missing", ENDPOINTS ("[{\"target\":\"http://x\"}]"),
    "Missing required config value at 'discovery.endpoints[0].plugins' in 'mock-config'" },
  { "plugins/type", ENDPOINTS ("[{\"target\":\"http://x\",\"plugins\":\"catalog\"}]"),
    "Invalid type in config for key 'discovery.endpoints[0].plugins' in 'mock-config', got string, "
    "wanted string-array" },
  { "plugins/element", ENDPOINTS ("[{\"target\":\"http://x\",\"plugins\":[\"a\",7]}]"),
    "Invalid type in config for key 'discovery.endpoints[0].plugins[1]' in 'mock-config', got number, "
    "wanted string" },
  { "base-url/type", "{\"backend\":{\"baseUrl\":80}}",
    "Invalid type in config for key 'backend.baseUrl' in 'mock-config', got number, wanted string" },
  { "base-url/url", "{\"backend\":{\"baseUrl\":\"backstage.example.com\"}}",
    "Invalid URL 'backstage.example.com' in config for key 'backend.baseUrl' in 'mock-config', "
    "expected an absolute http or https URL" },
};

/* A bad config fails the start of the plugin that asked for discovery,
 * naming the key. */
static void
test_discovery_config_error (gconstpointer data)
{
  const ErrorCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestBackend) tb = start_with_config (c->config, &error);
  g_autofree char *expected = NULL;

  g_assert_null (tb);
  g_assert_nonnull (error);
  expected = g_strdup_printf ("Backend startup failed due to the following errors:\n"
                              "  Plugin 'probe' startup failed; caused by Failed to instantiate service "
                              "'core.discovery' because createRootContext threw an error, %s",
                              c->message);
  g_assert_cmpstr (error->message, ==, expected);
}

/* The config is read when a plugin first asks for discovery: a backend
 * whose plugins do not use it starts with a bad one. */
static gboolean
noop_init (BkDeps   *deps,
           gpointer  user_data,
           GError  **error)
{
  return TRUE;
}

static void
noop_register (BkPluginEnv *env,
               gpointer     user_data)
{
  bk_plugin_env_register_init (env, noop_init, NULL, NULL, NULL);
}

static void
test_discovery_lazy (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestBackend) tb = NULL;

  tb = bk_test_backend_start (&error,
                              bk_mock_root_config_factory_new (ENDPOINTS ("3")),
                              bk_service_ref_create_default_factory (BK_SERVICE_DISCOVERY),
                              bk_plugin_new ("quiet", noop_register, NULL, NULL),
                              NULL);
  g_assert_no_error (error);
  g_assert_null (bk_test_backend_get_service (tb, BK_SERVICE_DISCOVERY, "quiet"));
  stop (tb);
}

/* bk_backend_new() includes the default discovery: a plugin depending on it
 * starts. */
static void
test_discovery_backend_default (void)
{
  g_autoptr(BkBackend) full = bk_backend_new ();
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;

  bk_backend_add (full, bk_mock_root_config_factory_new ("{\"backend\":{\"listen\":{\"host\":\"127.0.0.1\",\"port\":0}}}"));
  bk_backend_add (full, bk_mock_root_logger_factory_new ());
  bk_backend_add (full, bk_plugin_new ("probe", probe_register, NULL, NULL));
  g_assert_true (bk_backend_start (full, NULL, &result, &error));
  g_assert_no_error (error);
  g_assert_true (bk_backend_stop (full, NULL, &error));
  g_assert_no_error (error);
}

/* The mock ------------------------------------------------------------------ */

static void
test_discovery_mock_new (void)
{
  g_autoptr(BkMockDiscovery) mock = bk_mock_discovery_new ("http://localhost:0/");

  g_assert_true (BK_IS_DISCOVERY (mock));
  g_assert_cmpstr (bk_mock_discovery_get_base_url (mock), ==, "http://localhost:0");
  assert_urls (BK_DISCOVERY (mock), "catalog", "http://localhost:0/api/catalog",
               "http://localhost:0/api/catalog");
  assert_urls (BK_DISCOVERY (mock), "plugin/beta", "http://localhost:0/api/plugin%2Fbeta",
               "http://localhost:0/api/plugin%2Fbeta");
}

/* A test backend's default discovery points at its own server, whatever
 * backend.baseUrl says. */
static void
test_discovery_mock_test_backend (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestBackend) tb = NULL;
  g_autofree char *base = NULL;
  g_autofree char *expected = NULL;
  BkDiscovery *discovery;

  tb = bk_test_backend_start (&error,
                              bk_mock_root_config_factory_new ("{" BASE_URL "}"),
                              bk_plugin_new ("probe", probe_register, NULL, NULL),
                              NULL);
  g_assert_no_error (error);
  discovery = get_discovery (tb);
  g_assert_true (BK_IS_MOCK_DISCOVERY (discovery));
  base = bk_test_backend_dup_base_url (tb);
  expected = g_strconcat (base, "/api/catalog", NULL);
  assert_urls (discovery, "catalog", expected, expected);
  stop (tb);
}

static void
test_discovery_mock_factory_url (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestBackend) tb = NULL;

  tb = bk_test_backend_start (&error,
                              bk_mock_discovery_factory_new ("https://mock.example.com"),
                              bk_plugin_new ("probe", probe_register, NULL, NULL),
                              NULL);
  g_assert_no_error (error);
  assert_urls (get_discovery (tb), "catalog", "https://mock.example.com/api/catalog",
               "https://mock.example.com/api/catalog");
  stop (tb);
}

/* End to end: plugin `a` calls plugin `b` at the URL discovery gives -------- */

typedef struct
{
  BkDiscovery *discovery;
  SoupSession *session;   /* the test's */
} CallerData;

static void
caller_data_free (gpointer data)
{
  CallerData *cd = data;

  g_object_unref (cd->discovery);
  g_free (cd);
}

static void
b_hello (BkHttpRequest *request,
         gpointer       user_data)
{
  g_autoptr(JsonNode) payload = json_from_string ("{\"hello\":\"from b\"}", NULL);

  bk_http_request_respond_json (request, 200, payload);
}

static gboolean
b_init (BkDeps   *deps,
        gpointer  user_data,
        GError  **error)
{
  bk_http_router_add_route (bk_deps_get (deps, BK_SERVICE_HTTP_ROUTER), "GET", "/hello",
                            b_hello, NULL, NULL);
  return TRUE;
}

static void
b_register (BkPluginEnv *env,
            gpointer     user_data)
{
  bk_plugin_env_register_init (env, b_init, NULL, NULL, BK_SERVICE_HTTP_ROUTER, NULL);
}

static void
a_got_answer (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(BkHttpRequest) request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) payload = NULL;
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);

  if (body == NULL)
    {
      bk_http_request_respond_error (request, error);
      return;
    }

  json_object_set_int_member (object, "status", soup_message_get_status (message));
  json_object_set_member (object, "b", json_from_string (g_bytes_get_data (body, NULL), NULL));
  payload = json_node_init_object (json_node_alloc (), object);
  bk_http_request_respond_json (request, 200, payload);
}

static void
a_call (BkHttpRequest *request,
        gpointer       user_data)
{
  CallerData *cd = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *base = bk_discovery_dup_base_url (cd->discovery, "b", &error);
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) message = NULL;

  if (base == NULL)
    {
      bk_http_request_respond_error (request, error);
      return;
    }
  url = g_strconcat (base, "/hello", NULL);
  message = soup_message_new ("GET", url);
  soup_session_send_and_read_async (cd->session, message, G_PRIORITY_DEFAULT,
                                    bk_http_request_get_cancellable (request),
                                    a_got_answer, g_object_ref (request));
}

static gboolean
a_init (BkDeps   *deps,
        gpointer  user_data,
        GError  **error)
{
  CallerData *cd = g_new0 (CallerData, 1);

  cd->discovery = g_object_ref (bk_deps_get (deps, BK_SERVICE_DISCOVERY));
  cd->session = user_data;
  bk_http_router_add_route (bk_deps_get (deps, BK_SERVICE_HTTP_ROUTER), "GET", "/call",
                            a_call, cd, caller_data_free);
  return TRUE;
}

static void
a_register (BkPluginEnv *env,
            gpointer     user_data)
{
  bk_plugin_env_register_init (env, a_init, user_data, NULL,
                               BK_SERVICE_HTTP_ROUTER, BK_SERVICE_DISCOVERY, NULL);
}

/* With the test backend's mock discovery (@data NULL) and with the real
 * default one. */
static void
test_discovery_end_to_end (gconstpointer data)
{
  gboolean real = GPOINTER_TO_INT (data);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(BkTestBackend) tb = bk_test_backend_new ();
  g_autoptr(BkTestResponse) res = NULL;
  g_autoptr(GError) error = NULL;

  soup_session_set_proxy_resolver (session, NULL);
  if (real)
    bk_test_backend_add (tb, bk_service_ref_create_default_factory (BK_SERVICE_DISCOVERY));
  bk_test_backend_add (tb, bk_plugin_new ("a", a_register, session, NULL));
  bk_test_backend_add (tb, bk_plugin_new ("b", b_register, NULL, NULL));
  g_assert_true (bk_test_backend_launch (tb, &error));
  g_assert_no_error (error);
  g_assert_true (real != BK_IS_MOCK_DISCOVERY (bk_test_backend_get_service (tb, BK_SERVICE_DISCOVERY, "a")));

  res = bk_test_backend_request (tb, "GET", "/api/a/call", NULL, &error);
  g_assert_no_error (error);
  bk_test_assert_status (res, 200);
  bk_test_assert_json_equal (res, "{\"status\":200,\"b\":{\"hello\":\"from b\"}}");

  stop (tb);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/discovery/ref", test_discovery_ref);
  for (guint i = 0; i < G_N_ELEMENTS (listen_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/discovery/internal/listen/%s", listen_cases[i].name);

      g_test_add_data_func (path, &listen_cases[i], test_discovery_internal_listen);
    }
  g_test_add_func ("/discovery/internal/ipv6", test_discovery_internal_ipv6);
  g_test_add_func ("/discovery/internal/router-url", test_discovery_internal_router_url);
  g_test_add_func ("/discovery/internal/not-listening", test_discovery_internal_not_listening);
  g_test_add_func ("/discovery/external/base-url", test_discovery_external_base_url);
  g_test_add_func ("/discovery/external/fallback", test_discovery_external_fallback);
  g_test_add_func ("/discovery/endpoints/string", test_discovery_endpoints_string);
  g_test_add_func ("/discovery/endpoints/one-side", test_discovery_endpoints_one_side);
  g_test_add_func ("/discovery/endpoints/wildcard", test_discovery_endpoints_wildcard);
  g_test_add_func ("/discovery/endpoints/placeholder", test_discovery_endpoints_placeholder);
  g_test_add_func ("/discovery/encoding", test_discovery_encoding);
  for (guint i = 0; i < G_N_ELEMENTS (error_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/discovery/config-error/%s", error_cases[i].name);

      g_test_add_data_func (path, &error_cases[i], test_discovery_config_error);
    }
  g_test_add_func ("/discovery/lazy", test_discovery_lazy);
  g_test_add_func ("/discovery/backend-default", test_discovery_backend_default);
  g_test_add_func ("/discovery/mock/new", test_discovery_mock_new);
  g_test_add_func ("/discovery/mock/test-backend", test_discovery_mock_test_backend);
  g_test_add_func ("/discovery/mock/factory-url", test_discovery_mock_factory_url);
  g_test_add_data_func ("/discovery/end-to-end/mock", GINT_TO_POINTER (FALSE), test_discovery_end_to_end);
  g_test_add_data_func ("/discovery/end-to-end/default", GINT_TO_POINTER (TRUE), test_discovery_end_to_end);

  return g_test_run ();
}
