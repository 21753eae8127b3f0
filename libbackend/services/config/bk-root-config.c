/* bk-root-config.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "libbackend.h"

#include "bk-config-private.h"
#include "bk-services-private.h"

/**
 * BkRootConfig:
 *
 * The `core.rootConfig` service ([const@Bk.SERVICE_ROOT_CONFIG]).
 *
 * A root config hands out immutable [class@Bk.Config] snapshots with
 * [method@Bk.RootConfig.dup_config]. When the configuration changes (a file
 * is edited, a test updates its mock), a new snapshot replaces the old one
 * and [signal@Bk.RootConfig::changed] is emitted; snapshots already handed
 * out keep reading the values they were made with.
 *
 * The default implementation ([func@Bk.root_config_factory_new]) reads
 * `app-config.yaml` and friends, and reads them again on `SIGHUP` or
 * [method@Bk.RootConfig.reload]; a reload that fails keeps the current
 * snapshot and emits [signal@Bk.RootConfig::reload-failed]. A service that
 * logs (the root logger depends on the root config) can connect to it to
 * say why.
 *
 * Since: 0.1
 */

/**
 * BkStaticRootConfig:
 *
 * A [iface@Bk.RootConfig] holding one [class@Bk.Config] until it is
 * replaced with [method@Bk.StaticRootConfig.set_config].
 *
 * Since: 0.1
 */

G_DEFINE_INTERFACE (BkRootConfig, bk_root_config, G_TYPE_OBJECT)

enum {
  CHANGED,
  RELOAD_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
bk_root_config_default_init (BkRootConfigInterface *iface)
{
  /**
   * BkRootConfig::changed:
   * @self: the root config
   *
   * Emitted after a new snapshot replaced the current one. Call
   * [method@Bk.RootConfig.dup_config] to read it.
   *
   * Since: 0.1
   */
  signals[CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 0);

  /**
   * BkRootConfig::reload-failed:
   * @self: the root config
   * @error: why the configuration could not be read
   *
   * Emitted when reading the configuration again failed (on `SIGHUP`, or
   * through [method@Bk.RootConfig.reload]). The current snapshot stays;
   * @error is a %BK_CONFIG_ERROR naming the file, key and line.
   *
   * Since: 0.1
   */
  signals[RELOAD_FAILED] =
    g_signal_new ("reload-failed",
                  G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

void
_bk_root_config_emit_changed (BkRootConfig *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

void
_bk_root_config_emit_reload_failed (BkRootConfig *self,
                                    const GError *error)
{
  g_signal_emit (self, signals[RELOAD_FAILED], 0, error);
}

/**
 * bk_root_config_dup_config:
 * @self: a #BkRootConfig
 *
 * Gets the current configuration snapshot. It never changes; a later
 * snapshot is a new object.
 *
 * Returns: (transfer full): the current #BkConfig
 *
 * Since: 0.1
 */
BkConfig *
bk_root_config_dup_config (BkRootConfig *self)
{
  BkRootConfigInterface *iface;

  g_return_val_if_fail (BK_IS_ROOT_CONFIG (self), NULL);

  iface = BK_ROOT_CONFIG_GET_IFACE (self);
  g_return_val_if_fail (iface->dup_config != NULL, NULL);

  return iface->dup_config (self);
}

/**
 * bk_root_config_reload:
 * @self: a #BkRootConfig
 * @error: return location for a #GError
 *
 * Reads the configuration again, now, on the calling thread. On success
 * the new snapshot replaces the current one and
 * [signal@Bk.RootConfig::changed] is emitted; on failure the current
 * snapshot stays, [signal@Bk.RootConfig::reload-failed] is emitted and
 * @error is set.
 *
 * The file-based root config does the same on `SIGHUP`, reading in a
 * worker thread. A root config held in memory, such as
 * [class@Bk.StaticRootConfig], has nothing to reload: this returns %TRUE
 * and emits nothing.
 *
 * Returns: %TRUE if the configuration was read again (or has no source to
 *   read); %FALSE with @error set otherwise
 *
 * Since: 0.1
 */
gboolean
bk_root_config_reload (BkRootConfig  *self,
                       GError       **error)
{
  BkRootConfigInterface *iface;

  g_return_val_if_fail (BK_IS_ROOT_CONFIG (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = BK_ROOT_CONFIG_GET_IFACE (self);
  if (iface->reload == NULL)
    return TRUE;

  return iface->reload (self, error);
}

struct _BkStaticRootConfig
{
  GObject   parent_instance;

  BkConfig *config;
};

static void root_config_iface_init (BkRootConfigInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkStaticRootConfig, bk_static_root_config, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_ROOT_CONFIG, root_config_iface_init))

enum {
  PROP_0,
  PROP_CONFIG,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static BkConfig *
bk_static_root_config_dup_config (BkRootConfig *root_config)
{
  BkStaticRootConfig *self = BK_STATIC_ROOT_CONFIG (root_config);

  return g_object_ref (self->config);
}

static void
root_config_iface_init (BkRootConfigInterface *iface)
{
  iface->dup_config = bk_static_root_config_dup_config;
}

static void
bk_static_root_config_constructed (GObject *object)
{
  BkStaticRootConfig *self = (BkStaticRootConfig *)object;

  G_OBJECT_CLASS (bk_static_root_config_parent_class)->constructed (object);

  /* Made without a config (g_object_new() from a binding): start empty. */
  if (self->config == NULL)
    self->config = bk_config_new (NULL, "empty-config");
}

static void
bk_static_root_config_dispose (GObject *object)
{
  BkStaticRootConfig *self = (BkStaticRootConfig *)object;

  g_clear_object (&self->config);

  G_OBJECT_CLASS (bk_static_root_config_parent_class)->dispose (object);
}

static void
bk_static_root_config_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  BkStaticRootConfig *self = BK_STATIC_ROOT_CONFIG (object);

  switch (prop_id)
    {
    case PROP_CONFIG:
      g_value_set_object (value, self->config);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bk_static_root_config_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  BkStaticRootConfig *self = BK_STATIC_ROOT_CONFIG (object);

  switch (prop_id)
    {
    case PROP_CONFIG:
      /* Construction: no one listens yet, so no signal. */
      g_set_object (&self->config, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bk_static_root_config_class_init (BkStaticRootConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = bk_static_root_config_constructed;
  object_class->dispose = bk_static_root_config_dispose;
  object_class->get_property = bk_static_root_config_get_property;
  object_class->set_property = bk_static_root_config_set_property;

  /**
   * BkStaticRootConfig:config:
   *
   * The current snapshot. Set at construction; replace it with
   * [method@Bk.StaticRootConfig.set_config].
   *
   * Since: 0.1
   */
  properties[PROP_CONFIG] =
    g_param_spec_object ("config", NULL, NULL,
                         BK_TYPE_CONFIG,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bk_static_root_config_init (BkStaticRootConfig *self)
{
}

/**
 * bk_static_root_config_new:
 * @config: the initial snapshot
 *
 * Creates a root config holding @config.
 *
 * Returns: (transfer full): a new #BkStaticRootConfig
 *
 * Since: 0.1
 */
BkStaticRootConfig *
bk_static_root_config_new (BkConfig *config)
{
  g_return_val_if_fail (BK_IS_CONFIG (config), NULL);

  return g_object_new (BK_TYPE_STATIC_ROOT_CONFIG,
                       "config", config,
                       NULL);
}

/**
 * bk_static_root_config_set_config:
 * @self: a #BkStaticRootConfig
 * @config: the new snapshot
 *
 * Replaces the current snapshot with @config, then notifies
 * [property@Bk.StaticRootConfig:config] and emits
 * [signal@Bk.RootConfig::changed]. Nothing happens if @config already is
 * the current snapshot. Snapshots handed out before keep their values.
 *
 * Since: 0.1
 */
void
bk_static_root_config_set_config (BkStaticRootConfig *self,
                                  BkConfig           *config)
{
  g_return_if_fail (BK_IS_STATIC_ROOT_CONFIG (self));
  g_return_if_fail (BK_IS_CONFIG (config));

  if (g_set_object (&self->config, config))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONFIG]);
      g_signal_emit (self, signals[CHANGED], 0);
    }
}

static GObject *
create_static_root_config (BkDeps   *deps,
                           gpointer  root_context,
                           gpointer  user_data,
                           GError  **error)
{
  BkConfig *config = user_data;

  return G_OBJECT (bk_static_root_config_new (config));
}

/**
 * bk_static_root_config_factory_new:
 * @config: the snapshot the service holds
 *
 * Creates a root-scoped factory for [const@Bk.SERVICE_ROOT_CONFIG] whose
 * service is a [class@Bk.StaticRootConfig] around @config. Add it to a
 * backend to replace the default config.
 *
 * Returns: (transfer full): a new #BkServiceFactory
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_static_root_config_factory_new (BkConfig *config)
{
  g_return_val_if_fail (BK_IS_CONFIG (config), NULL);

  return bk_service_factory_new (BK_SERVICE_ROOT_CONFIG,
                                 create_static_root_config,
                                 g_object_ref (config),
                                 g_object_unref,
                                 NULL);
}
