/* bk-discovery.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkDiscovery:
 *
 * The `core.discovery` service: the base URL of any plugin's HTTP API, so
 * that a plugin can call another without knowing where it runs.
 *
 * [method@Bk.Discovery.dup_base_url] gives the URL to use from inside the
 * deployment (another plugin, another instance of the backend);
 * [method@Bk.Discovery.dup_external_base_url] the one to hand to clients
 * outside it (a browser, a webhook sender). The plugin id is
 * percent-encoded into the URL: `plugin/beta` becomes `plugin%2Fbeta`.
 *
 * The default implementation answers from configuration:
 *
 * - internal: the URL the root HTTP router is reached at
 *   ([method@Bk.RootHttpRouter.dup_base_url]: the bound port, so
 *   `backend.listen.port: 0` works; `0.0.0.0` and every interface become
 *   `127.0.0.1`; IPv6 addresses are bracketed) followed by
 *   `/api/<pluginId>`, such as `http://127.0.0.1:7007/api/catalog`;
 * - external: `backend.baseUrl` without its trailing slashes, followed by
 *   `/api/<pluginId>`. When `backend.baseUrl` is not set, the internal URL
 *   (Backstage requires the key; set it in any deployment reached from
 *   outside).
 * - `discovery.endpoints` overrides both for the plugins it lists:
 *
 * ```yaml
 * discovery:
 *   endpoints:
 *     - target: https://catalog.internal.example.com/api/{{pluginId}}
 *       plugins: [catalog]
 *     - target:
 *         internal: http://{{ pluginId }}.svc.cluster.local/api/{{ pluginId }}
 *       plugins: ['*']
 * ```
 *
 *   A string target serves both sides; an object target only the sides it
 *   names (`internal`, `external`), the others fall back to the defaults
 *   above. `{{pluginId}}` (spaces inside the braces allowed) is replaced by
 *   the encoded plugin id. An endpoint that lists the plugin wins over one
 *   that lists `'*'`; among equals, the first one in the list. A target
 *   must be an absolute `http` or `https` URL (SRV resolver URLs are not
 *   supported).
 *
 * The configuration is read and checked once per backend, when the first
 * plugin asks for discovery: a wrong type, a missing `plugins` or `target`,
 * or a target that is not a URL fails that plugin's start with an error
 * naming the key, such as `discovery.endpoints[0].target.internal`. Later
 * changes to the configuration are not picked up.
 *
 * Since: 0.1
 */

#include "libbackend.h"
#include "bk-services-private.h"
#include "bk-config-private.h"

G_DEFINE_INTERFACE (BkDiscovery, bk_discovery, G_TYPE_OBJECT)

static void
bk_discovery_default_init (BkDiscoveryInterface *iface)
{
}

/**
 * bk_discovery_dup_base_url:
 * @self: a #BkDiscovery
 * @plugin_id: the plugin to reach, such as `catalog`
 * @error: return location for a #GError
 *
 * Gets the base URL of @plugin_id's HTTP API for calls from inside the
 * deployment, without a trailing slash, such as
 * `http://127.0.0.1:7007/api/catalog`. Append the route's path to it.
 *
 * The default implementation fails with %G_IO_ERROR_NOT_CONNECTED when the
 * backend's HTTP server does not listen (any more) and no
 * `discovery.endpoints` entry covers @plugin_id.
 *
 * Returns: (transfer full) (nullable): the base URL, or %NULL with @error
 *   set
 *
 * Since: 0.1
 */
char *
bk_discovery_dup_base_url (BkDiscovery  *self,
                           const char   *plugin_id,
                           GError      **error)
{
  BkDiscoveryInterface *iface;

  g_return_val_if_fail (BK_IS_DISCOVERY (self), NULL);
  g_return_val_if_fail (plugin_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = BK_DISCOVERY_GET_IFACE (self);
  g_return_val_if_fail (iface->dup_base_url != NULL, NULL);

  return iface->dup_base_url (self, plugin_id, error);
}

/**
 * bk_discovery_dup_external_base_url:
 * @self: a #BkDiscovery
 * @plugin_id: the plugin to reach, such as `catalog`
 * @error: return location for a #GError
 *
 * Gets the base URL of @plugin_id's HTTP API for clients outside the
 * deployment, without a trailing slash, such as
 * `https://backstage.example.com/api/catalog`.
 *
 * Returns: (transfer full) (nullable): the base URL, or %NULL with @error
 *   set
 *
 * Since: 0.1
 */
char *
bk_discovery_dup_external_base_url (BkDiscovery  *self,
                                    const char   *plugin_id,
                                    GError      **error)
{
  BkDiscoveryInterface *iface;

  g_return_val_if_fail (BK_IS_DISCOVERY (self), NULL);
  g_return_val_if_fail (plugin_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = BK_DISCOVERY_GET_IFACE (self);
  g_return_val_if_fail (iface->dup_external_base_url != NULL, NULL);

  return iface->dup_external_base_url (self, plugin_id, error);
}

/* Configuration, read once per backend (the factory's root context) ------ */

typedef struct
{
  char **plugins;
  char  *internal;   /* nullable */
  char  *external;   /* nullable */
} Endpoint;

typedef struct
{
  GPtrArray *endpoints;
  char      *external_base;   /* backend.baseUrl without trailing '/', nullable */
} DiscoveryConfig;

static void
endpoint_free (gpointer data)
{
  Endpoint *endpoint = data;

  g_strfreev (endpoint->plugins);
  g_free (endpoint->internal);
  g_free (endpoint->external);
  g_free (endpoint);
}

static void
discovery_config_clear (gpointer data)
{
  DiscoveryConfig *dc = data;

  g_clear_pointer (&dc->endpoints, g_ptr_array_unref);
  g_clear_pointer (&dc->external_base, g_free);
}

static void
discovery_config_release (gpointer data)
{
  g_atomic_rc_box_release_full (data, discovery_config_clear);
}

/* Replaces each `{{pluginId}}` in @target (spaces allowed inside the
 * braces) with @value. */
static char *
fill_placeholders (const char *target,
                   const char *value)
{
  GString *out = g_string_new (NULL);
  const char *p = target;

  while (*p != '\0')
    {
      const char *q = p;

      if (g_str_has_prefix (q, "{{"))
        {
          for (q += 2; g_ascii_isspace (*q); q++)
            ;
          if (g_str_has_prefix (q, "pluginId"))
            {
              for (q += strlen ("pluginId"); g_ascii_isspace (*q); q++)
                ;
              if (g_str_has_prefix (q, "}}"))
                {
                  g_string_append (out, value);
                  p = q + 2;
                  continue;
                }
            }
        }
      g_string_append_c (out, *p++);
    }

  return g_string_free (out, FALSE);
}

static char *
full_key (BkConfig   *config,
          const char *key)
{
  const char *prefix = bk_config_get_prefix (config);

  return prefix[0] != '\0' ? g_strconcat (prefix, ".", key, NULL) : g_strdup (key);
}

/* Refuses @url (read from @key of @config) unless it is an absolute http(s)
 * URL once its placeholders are filled in. */
static gboolean
check_url (BkConfig    *config,
           const char  *key,
           const char  *url,
           GError     **error)
{
  g_autofree char *filled = fill_placeholders (url, "plugin");
  g_autoptr(GUri) uri = g_uri_parse (filled, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;
  g_autofree char *full = NULL;
  g_autofree char *source = NULL;

  if (scheme != NULL && host != NULL && host[0] != '\0' &&
      (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0))
    return TRUE;

  full = full_key (config, key);
  source = bk_config_dup_key_source (config, key);
  g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
               "Invalid URL '%s' in config for key '%s' in '%s', expected an absolute "
               "http or https URL%s",
               url, full, source != NULL ? source : bk_config_get_source (config),
               scheme != NULL && g_ascii_strcasecmp (scheme, "srv") == 0
                 ? " (SRV resolver URLs are not supported)" : "");
  return FALSE;
}

static gboolean
read_url (BkConfig    *config,
          const char  *key,
          char       **out,
          GError     **error)
{
  g_autofree char *url = NULL;

  if (!bk_config_get_optional_string (config, key, NULL, &url, error))
    return FALSE;
  if (url != NULL && !check_url (config, key, url, error))
    return FALSE;
  *out = g_steal_pointer (&url);
  return TRUE;
}

/* One entry of discovery.endpoints: {target: string | {internal?, external?},
 * plugins: [ids or '*']}. */
static Endpoint *
read_endpoint (BkConfig  *config,
               GError   **error)
{
  g_autoptr(JsonNode) target = bk_config_dup_node (config, "target");
  g_auto(GStrv) plugins = NULL;
  g_autofree char *internal = NULL;
  g_autofree char *external = NULL;
  Endpoint *endpoint;

  if (target != NULL && JSON_NODE_HOLDS_OBJECT (target))
    {
      g_autoptr(BkConfig) sides = NULL;

      if (!bk_config_get_config (config, "target", &sides, error) ||
          !read_url (sides, "internal", &internal, error) ||
          !read_url (sides, "external", &external, error))
        return NULL;
    }
  else if (target == NULL ||
           (JSON_NODE_HOLDS_VALUE (target) && json_node_get_value_type (target) == G_TYPE_STRING))
    {
      /* Absent: the getter reports the missing key. */
      if (!bk_config_get_string (config, "target", &internal, error) ||
          !check_url (config, "target", internal, error))
        return NULL;
      external = g_strdup (internal);
    }
  else
    {
      g_autofree char *full = full_key (config, "target");
      g_autofree char *source = bk_config_dup_key_source (config, "target");

      g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                   "Invalid type in config for key '%s' in '%s', got %s, wanted string or object",
                   full, source, _bk_json_type_name (target));
      return NULL;
    }

  if (!bk_config_get_string_array (config, "plugins", &plugins, error))
    return NULL;

  endpoint = g_new0 (Endpoint, 1);
  endpoint->plugins = g_steal_pointer (&plugins);
  endpoint->internal = g_steal_pointer (&internal);
  endpoint->external = g_steal_pointer (&external);
  return endpoint;
}

static gpointer
create_discovery_config (BkDeps    *root_deps,
                         gpointer   user_data,
                         GError   **error)
{
  g_autoptr(BkConfig) config = bk_root_config_dup_config (bk_deps_get (root_deps, BK_SERVICE_ROOT_CONFIG));
  g_autoptr(GPtrArray) configs = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *base_url = NULL;
  DiscoveryConfig *dc;

  dc = g_atomic_rc_box_new0 (DiscoveryConfig);
  dc->endpoints = g_ptr_array_new_with_free_func (endpoint_free);

  if (!read_url (config, "backend.baseUrl", &base_url, error))
    goto fail;
  if (base_url != NULL)
    {
      gsize len = strlen (base_url);

      while (len > 0 && base_url[len - 1] == '/')
        base_url[--len] = '\0';
      dc->external_base = g_steal_pointer (&base_url);
    }

  if (!bk_config_get_config_array (config, "discovery.endpoints", &configs, &local_error))
    {
      if (!g_error_matches (local_error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_MISSING))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          goto fail;
        }
    }
  for (guint i = 0; configs != NULL && i < configs->len; i++)
    {
      Endpoint *endpoint = read_endpoint (g_ptr_array_index (configs, i), error);

      if (endpoint == NULL)
        goto fail;
      g_ptr_array_add (dc->endpoints, endpoint);
    }

  return dc;

fail:
  discovery_config_release (dc);
  return NULL;
}

/* The target for @plugin_id on one side: an endpoint naming the plugin,
 * else one naming '*', else NULL. */
static const char *
find_target (DiscoveryConfig *dc,
             const char      *plugin_id,
             gboolean         external)
{
  const char *wildcard = NULL;

  for (guint i = 0; i < dc->endpoints->len; i++)
    {
      Endpoint *endpoint = g_ptr_array_index (dc->endpoints, i);
      const char *target = external ? endpoint->external : endpoint->internal;

      if (target == NULL)
        continue;
      if (g_strv_contains ((const char * const *) endpoint->plugins, plugin_id))
        return target;
      if (wildcard == NULL && g_strv_contains ((const char * const *) endpoint->plugins, "*"))
        wildcard = target;
    }

  return wildcard;
}

/* The default `core.discovery` ------------------------------------------- */

#define BK_TYPE_DEFAULT_DISCOVERY (bk_default_discovery_get_type ())
G_DECLARE_FINAL_TYPE (BkDefaultDiscovery, bk_default_discovery, BK, DEFAULT_DISCOVERY, GObject)

struct _BkDefaultDiscovery
{
  GObject           parent_instance;
  DiscoveryConfig  *config;
  /* Weak: a plugin's route may keep its discovery, and the root router
   * keeps the plugin's routes. */
  GWeakRef          router;
};

static void bk_default_discovery_iface_init (BkDiscoveryInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkDefaultDiscovery, bk_default_discovery, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_DISCOVERY,
                                                      bk_default_discovery_iface_init))

static char *
dup_internal (BkDefaultDiscovery  *self,
              const char          *plugin_id,
              const char          *encoded,
              GError             **error)
{
  const char *target = find_target (self->config, plugin_id, FALSE);
  g_autoptr(BkRootHttpRouter) router = NULL;
  g_autofree char *base = NULL;

  if (target != NULL)
    return fill_placeholders (target, encoded);

  router = g_weak_ref_get (&self->router);
  if (router != NULL)
    base = bk_root_http_router_dup_base_url (router);
  if (base == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                   "No internal URL for plugin '%s': the backend's HTTP server does not listen",
                   plugin_id);
      return NULL;
    }
  return g_strconcat (base, "/api/", encoded, NULL);
}

static char *
bk_default_discovery_dup_base_url (BkDiscovery  *discovery,
                                   const char   *plugin_id,
                                   GError      **error)
{
  g_autofree char *encoded = g_uri_escape_string (plugin_id, NULL, FALSE);

  return dup_internal (BK_DEFAULT_DISCOVERY (discovery), plugin_id, encoded, error);
}

static char *
bk_default_discovery_dup_external_base_url (BkDiscovery  *discovery,
                                            const char   *plugin_id,
                                            GError      **error)
{
  BkDefaultDiscovery *self = BK_DEFAULT_DISCOVERY (discovery);
  g_autofree char *encoded = g_uri_escape_string (plugin_id, NULL, FALSE);
  const char *target = find_target (self->config, plugin_id, TRUE);

  if (target != NULL)
    return fill_placeholders (target, encoded);
  if (self->config->external_base != NULL)
    return g_strconcat (self->config->external_base, "/api/", encoded, NULL);
  return dup_internal (self, plugin_id, encoded, error);
}

static void
bk_default_discovery_iface_init (BkDiscoveryInterface *iface)
{
  iface->dup_base_url = bk_default_discovery_dup_base_url;
  iface->dup_external_base_url = bk_default_discovery_dup_external_base_url;
}

static void
bk_default_discovery_finalize (GObject *object)
{
  BkDefaultDiscovery *self = BK_DEFAULT_DISCOVERY (object);

  g_clear_pointer (&self->config, discovery_config_release);
  g_weak_ref_clear (&self->router);

  G_OBJECT_CLASS (bk_default_discovery_parent_class)->finalize (object);
}

static void
bk_default_discovery_class_init (BkDefaultDiscoveryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bk_default_discovery_finalize;
}

static void
bk_default_discovery_init (BkDefaultDiscovery *self)
{
  g_weak_ref_init (&self->router, NULL);
}

static GObject *
create_discovery (BkDeps    *deps,
                  gpointer   root_context,
                  gpointer   user_data,
                  GError   **error)
{
  BkDefaultDiscovery *self = g_object_new (BK_TYPE_DEFAULT_DISCOVERY, NULL);

  g_assert (root_context != NULL);

  self->config = g_atomic_rc_box_acquire (root_context);
  g_weak_ref_set (&self->router, bk_deps_get (deps, BK_SERVICE_ROOT_HTTP_ROUTER));
  return G_OBJECT (self);
}

BkServiceFactory *
_bk_discovery_default_factory (void)
{
  BkServiceFactory *factory;

  factory = bk_service_factory_new (BK_SERVICE_DISCOVERY,
                                    create_discovery, NULL, NULL,
                                    BK_SERVICE_ROOT_CONFIG,
                                    BK_SERVICE_ROOT_HTTP_ROUTER,
                                    NULL);
  bk_service_factory_set_root_context (factory, create_discovery_config, NULL, NULL,
                                       discovery_config_release);
  return factory;
}
