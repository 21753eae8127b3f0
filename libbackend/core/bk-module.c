/* bk-module.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkModule:
 *
 * A module extends exactly one plugin: it has the plugin's id and its own
 * module id, and a `register` step that registers one init, whose
 * dependencies may include the plugin's extension points.
 *
 * Make one with [ctor@Bk.Module.new] or derive from it and override
 * `register_module`.
 *
 * Since: 0.1
 */

#include "bk-core-private.h"

typedef struct
{
  char                 *plugin_id;
  char                 *module_id;
  BkModuleRegisterFunc  register_func;
  gpointer              user_data;
  GDestroyNotify        destroy;
} BkModulePrivate;

enum {
  PROP_0,
  PROP_PLUGIN_ID,
  PROP_MODULE_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_TYPE_WITH_PRIVATE (BkModule, bk_module, BK_TYPE_FEATURE)

static void
bk_module_finalize (GObject *object)
{
  BkModulePrivate *priv = bk_module_get_instance_private (BK_MODULE (object));

  if (priv->destroy != NULL)
    priv->destroy (priv->user_data);
  g_clear_pointer (&priv->plugin_id, g_free);
  g_clear_pointer (&priv->module_id, g_free);

  G_OBJECT_CLASS (bk_module_parent_class)->finalize (object);
}

static void
bk_module_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  BkModulePrivate *priv = bk_module_get_instance_private (BK_MODULE (object));

  switch (prop_id)
    {
    case PROP_PLUGIN_ID:
      g_value_set_string (value, priv->plugin_id);
      break;

    case PROP_MODULE_ID:
      g_value_set_string (value, priv->module_id);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bk_module_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  BkModulePrivate *priv = bk_module_get_instance_private (BK_MODULE (object));

  switch (prop_id)
    {
    case PROP_PLUGIN_ID:
      priv->plugin_id = g_value_dup_string (value);
      break;

    case PROP_MODULE_ID:
      priv->module_id = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bk_module_real_register_module (BkModule    *self,
                                BkModuleEnv *env)
{
  BkModulePrivate *priv = bk_module_get_instance_private (self);

  if (priv->register_func != NULL)
    priv->register_func (env, priv->user_data);
}

static void
bk_module_class_init (BkModuleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bk_module_finalize;
  object_class->get_property = bk_module_get_property;
  object_class->set_property = bk_module_set_property;

  klass->register_module = bk_module_real_register_module;

  /**
   * BkModule:plugin-id:
   *
   * The id of the plugin this module extends.
   *
   * Since: 0.1
   */
  properties[PROP_PLUGIN_ID] =
    g_param_spec_string ("plugin-id", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * BkModule:module-id:
   *
   * The module id, unique within its plugin.
   *
   * Since: 0.1
   */
  properties[PROP_MODULE_ID] =
    g_param_spec_string ("module-id", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bk_module_init (BkModule *self)
{
}

/**
 * bk_module_new:
 * @plugin_id: the id of the plugin this module extends
 * @module_id: the module id
 * @register_func: (scope notified): registers the module's init
 * @user_data: (closure register_func): data for @register_func
 * @destroy: (destroy register_func) (nullable): frees @user_data with the
 *   module
 *
 * Creates a module from a register callback.
 *
 * Returns: (transfer full): a new #BkModule
 *
 * Since: 0.1
 */
BkModule *
bk_module_new (const char           *plugin_id,
               const char           *module_id,
               BkModuleRegisterFunc  register_func,
               gpointer              user_data,
               GDestroyNotify        destroy)
{
  BkModule *self;
  BkModulePrivate *priv;

  g_return_val_if_fail (plugin_id != NULL, NULL);
  g_return_val_if_fail (module_id != NULL, NULL);
  g_return_val_if_fail (register_func != NULL, NULL);

  self = g_object_new (BK_TYPE_MODULE,
                       "plugin-id", plugin_id,
                       "module-id", module_id,
                       NULL);
  priv = bk_module_get_instance_private (self);
  priv->register_func = register_func;
  priv->user_data = user_data;
  priv->destroy = destroy;

  return self;
}

/**
 * bk_module_get_plugin_id:
 * @self: a #BkModule
 *
 * Gets the id of the plugin this module extends.
 *
 * Returns: (transfer none): the id of the plugin this module extends
 *
 * Since: 0.1
 */
const char *
bk_module_get_plugin_id (BkModule *self)
{
  BkModulePrivate *priv = bk_module_get_instance_private (self);

  g_return_val_if_fail (BK_IS_MODULE (self), NULL);

  return priv->plugin_id != NULL ? priv->plugin_id : "";
}

/**
 * bk_module_get_module_id:
 * @self: a #BkModule
 *
 * Gets the module id.
 *
 * Returns: (transfer none): the module id
 *
 * Since: 0.1
 */
const char *
bk_module_get_module_id (BkModule *self)
{
  BkModulePrivate *priv = bk_module_get_instance_private (self);

  g_return_val_if_fail (BK_IS_MODULE (self), NULL);

  return priv->module_id != NULL ? priv->module_id : "";
}

void
_bk_module_invoke_register (BkModule    *self,
                            BkModuleEnv *env)
{
  BK_MODULE_GET_CLASS (self)->register_module (self, env);
}
