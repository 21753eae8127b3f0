/* bk-plugin.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkPlugin:
 *
 * A plugin: an id and a `register` step that registers exactly one init
 * (with its dependencies) and any extension points its modules may use.
 *
 * Make one with [ctor@Bk.Plugin.new], or derive from it, set the
 * [property@Bk.Plugin:plugin-id] construct property and override
 * `register_plugin` (the subclass may itself implement the extension
 * point's interface).
 *
 * Since: 0.1
 */

#include "bk-core-private.h"

typedef struct
{
  char                 *plugin_id;
  BkPluginRegisterFunc  register_func;
  gpointer              user_data;
  GDestroyNotify        destroy;
} BkPluginPrivate;

enum {
  PROP_0,
  PROP_PLUGIN_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_TYPE_WITH_PRIVATE (BkPlugin, bk_plugin, BK_TYPE_FEATURE)

static void
bk_plugin_finalize (GObject *object)
{
  BkPluginPrivate *priv = bk_plugin_get_instance_private (BK_PLUGIN (object));

  if (priv->destroy != NULL)
    priv->destroy (priv->user_data);
  g_clear_pointer (&priv->plugin_id, g_free);

  G_OBJECT_CLASS (bk_plugin_parent_class)->finalize (object);
}

static void
bk_plugin_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  BkPluginPrivate *priv = bk_plugin_get_instance_private (BK_PLUGIN (object));

  switch (prop_id)
    {
    case PROP_PLUGIN_ID:
      g_value_set_string (value, priv->plugin_id);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bk_plugin_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  BkPluginPrivate *priv = bk_plugin_get_instance_private (BK_PLUGIN (object));

  switch (prop_id)
    {
    case PROP_PLUGIN_ID:
      priv->plugin_id = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bk_plugin_real_register_plugin (BkPlugin    *self,
                                BkPluginEnv *env)
{
  BkPluginPrivate *priv = bk_plugin_get_instance_private (self);

  if (priv->register_func != NULL)
    priv->register_func (env, priv->user_data);
}

static void
bk_plugin_class_init (BkPluginClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bk_plugin_finalize;
  object_class->get_property = bk_plugin_get_property;
  object_class->set_property = bk_plugin_set_property;

  klass->register_plugin = bk_plugin_real_register_plugin;

  /**
   * BkPlugin:plugin-id:
   *
   * The plugin id; it must match `^[a-z][a-z0-9]*(-[a-z0-9]+)*$` ignoring
   * case, which the backend checks at start.
   *
   * Since: 0.1
   */
  properties[PROP_PLUGIN_ID] =
    g_param_spec_string ("plugin-id", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bk_plugin_init (BkPlugin *self)
{
}

/**
 * bk_plugin_new:
 * @plugin_id: the plugin id
 * @register_func: (scope notified): registers the plugin's init
 * @user_data: (closure register_func): data for @register_func
 * @destroy: (destroy register_func) (nullable): frees @user_data with the
 *   plugin
 *
 * Creates a plugin from a register callback.
 *
 * Returns: (transfer full): a new #BkPlugin
 *
 * Since: 0.1
 */
BkPlugin *
bk_plugin_new (const char           *plugin_id,
               BkPluginRegisterFunc  register_func,
               gpointer              user_data,
               GDestroyNotify        destroy)
{
  BkPlugin *self;
  BkPluginPrivate *priv;

  g_return_val_if_fail (plugin_id != NULL, NULL);
  g_return_val_if_fail (register_func != NULL, NULL);

  self = g_object_new (BK_TYPE_PLUGIN, "plugin-id", plugin_id, NULL);
  priv = bk_plugin_get_instance_private (self);
  priv->register_func = register_func;
  priv->user_data = user_data;
  priv->destroy = destroy;

  return self;
}

/**
 * bk_plugin_get_plugin_id:
 * @self: a #BkPlugin
 *
 * Gets the plugin id.
 *
 * Returns: (transfer none): the plugin id
 *
 * Since: 0.1
 */
const char *
bk_plugin_get_plugin_id (BkPlugin *self)
{
  BkPluginPrivate *priv = bk_plugin_get_instance_private (self);

  g_return_val_if_fail (BK_IS_PLUGIN (self), NULL);

  return priv->plugin_id != NULL ? priv->plugin_id : "";
}

void
_bk_plugin_invoke_register (BkPlugin    *self,
                            BkPluginEnv *env)
{
  BK_PLUGIN_GET_CLASS (self)->register_plugin (self, env);
}
