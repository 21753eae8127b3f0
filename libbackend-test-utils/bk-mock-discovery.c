/* bk-mock-discovery.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbackend-test-utils.h>

/**
 * BkMockDiscovery:
 *
 * A [iface@Bk.Discovery] for tests, as Backstage's
 * `mockServices.discovery()`: it answers `<base URL>/api/<pluginId>` for
 * both the internal and the external URL, with the plugin id
 * percent-encoded, and reads no configuration.
 *
 * A test backend's default `core.discovery` is
 * `bk_mock_discovery_factory_new (NULL)`, which points at the test
 * backend's own server: a plugin under test that calls another plugin
 * through discovery reaches it there.
 *
 * ```c
 * BkDiscovery *discovery = bk_deps_get (deps, BK_SERVICE_DISCOVERY);
 * g_autofree char *url = bk_discovery_dup_base_url (discovery, "catalog", NULL);
 * // http://127.0.0.1:<port>/api/catalog
 * ```
 *
 * Since: 0.1
 */

struct _BkMockDiscovery
{
  GObject  parent_instance;
  char    *base_url;
};

static void bk_mock_discovery_iface_init (BkDiscoveryInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkMockDiscovery, bk_mock_discovery, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_DISCOVERY,
                                                      bk_mock_discovery_iface_init))

static char *
bk_mock_discovery_dup_url (BkDiscovery  *discovery,
                           const char   *plugin_id,
                           GError      **error)
{
  BkMockDiscovery *self = BK_MOCK_DISCOVERY (discovery);
  g_autofree char *encoded = g_uri_escape_string (plugin_id, NULL, FALSE);

  return g_strconcat (self->base_url, "/api/", encoded, NULL);
}

static void
bk_mock_discovery_iface_init (BkDiscoveryInterface *iface)
{
  iface->dup_base_url = bk_mock_discovery_dup_url;
  iface->dup_external_base_url = bk_mock_discovery_dup_url;
}

static void
bk_mock_discovery_finalize (GObject *object)
{
  BkMockDiscovery *self = BK_MOCK_DISCOVERY (object);

  g_free (self->base_url);

  G_OBJECT_CLASS (bk_mock_discovery_parent_class)->finalize (object);
}

static void
bk_mock_discovery_class_init (BkMockDiscoveryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bk_mock_discovery_finalize;
}

static void
bk_mock_discovery_init (BkMockDiscovery *self)
{
}

/**
 * bk_mock_discovery_new:
 * @base_url: the URL every plugin is reached under, such as
 *   `http://localhost:7007` (trailing slashes are ignored)
 *
 * Creates a mock discovery that answers `<base_url>/api/<pluginId>`.
 *
 * Returns: (transfer full): a new #BkMockDiscovery
 *
 * Since: 0.1
 */
BkMockDiscovery *
bk_mock_discovery_new (const char *base_url)
{
  BkMockDiscovery *self;
  gsize len;

  g_return_val_if_fail (base_url != NULL, NULL);

  self = g_object_new (BK_TYPE_MOCK_DISCOVERY, NULL);
  len = strlen (base_url);
  while (len > 0 && base_url[len - 1] == '/')
    len--;
  self->base_url = g_strndup (base_url, len);
  return self;
}

/**
 * bk_mock_discovery_get_base_url:
 * @self: a #BkMockDiscovery
 *
 * Gets the URL the mock puts before `/api/<pluginId>`.
 *
 * Returns: the base URL, without a trailing slash
 *
 * Since: 0.1
 */
const char *
bk_mock_discovery_get_base_url (BkMockDiscovery *self)
{
  g_return_val_if_fail (BK_IS_MOCK_DISCOVERY (self), NULL);

  return self->base_url;
}

static GObject *
create_mock_discovery (BkDeps    *deps,
                       gpointer   root_context,
                       gpointer   user_data,
                       GError   **error)
{
  const char *base_url = user_data;
  g_autofree char *server_url = NULL;

  if (base_url == NULL)
    {
      server_url = bk_root_http_router_dup_base_url (bk_deps_get (deps, BK_SERVICE_ROOT_HTTP_ROUTER));
      if (server_url == NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               "The mock discovery points at the backend's HTTP server, "
                               "which does not listen");
          return NULL;
        }
      base_url = server_url;
    }

  return G_OBJECT (bk_mock_discovery_new (base_url));
}

/**
 * bk_mock_discovery_factory_new:
 * @base_url: (nullable): the URL every plugin is reached under, or %NULL
 *   for the URL of the backend's own server
 *
 * Creates a factory for `core.discovery` that makes a
 * [class@Bk.MockDiscovery] for each plugin that asks for one. With
 * @base_url %NULL it depends on `core.rootHttpRouter` and uses
 * [method@Bk.RootHttpRouter.dup_base_url] (the port the server bound);
 * this is the test backend's default.
 *
 * Returns: (transfer full): a new #BkServiceFactory
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_mock_discovery_factory_new (const char *base_url)
{
  if (base_url == NULL)
    return bk_service_factory_new (BK_SERVICE_DISCOVERY, create_mock_discovery, NULL, NULL,
                                   BK_SERVICE_ROOT_HTTP_ROUTER, NULL);
  return bk_service_factory_new (BK_SERVICE_DISCOVERY, create_mock_discovery,
                                 g_strdup (base_url), g_free, NULL);
}
