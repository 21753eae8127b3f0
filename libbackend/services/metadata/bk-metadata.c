/* bk-metadata.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "libbackend.h"
#include "bk-services-private.h"

/**
 * BkPluginMetadata:
 *
 * The `core.pluginMetadata` service: which plugin a plugin-scoped service is
 * being made for.
 *
 * The backend builds one per plugin; it cannot be overridden. A plugin-scoped
 * factory depends on [const@Bk.SERVICE_PLUGIN_METADATA] to learn the id of the
 * plugin it serves:
 *
 * ```c
 * BkPluginMetadata *plugin = bk_deps_get (deps, BK_SERVICE_PLUGIN_METADATA);
 *
 * g_print ("serving %s\n", bk_plugin_metadata_get_id (plugin));
 * ```
 *
 * Since: 0.1
 */

/**
 * BkRootInstanceMetadata:
 *
 * The `core.rootInstanceMetadata` service: the id of this backend instance and
 * the plugins and modules installed in it.
 *
 * Plugins are listed in registration order, each with its modules; a module
 * whose plugin is not installed is not listed. The backend builds it; it
 * never changes afterwards.
 *
 * Since: 0.1
 */

struct _BkPluginMetadata
{
  GObject  parent_instance;

  char    *id;
};

G_DEFINE_FINAL_TYPE (BkPluginMetadata, bk_plugin_metadata, G_TYPE_OBJECT)

enum {
  PLUGIN_PROP_0,
  PLUGIN_PROP_ID,
  N_PLUGIN_PROPS
};

static GParamSpec *plugin_properties[N_PLUGIN_PROPS];

static void
bk_plugin_metadata_finalize (GObject *object)
{
  BkPluginMetadata *self = BK_PLUGIN_METADATA (object);

  g_clear_pointer (&self->id, g_free);

  G_OBJECT_CLASS (bk_plugin_metadata_parent_class)->finalize (object);
}

static void
bk_plugin_metadata_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  BkPluginMetadata *self = BK_PLUGIN_METADATA (object);

  switch (prop_id)
    {
    case PLUGIN_PROP_ID:
      g_value_set_string (value, self->id);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bk_plugin_metadata_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  BkPluginMetadata *self = BK_PLUGIN_METADATA (object);

  switch (prop_id)
    {
    case PLUGIN_PROP_ID:
      self->id = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bk_plugin_metadata_class_init (BkPluginMetadataClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bk_plugin_metadata_finalize;
  object_class->get_property = bk_plugin_metadata_get_property;
  object_class->set_property = bk_plugin_metadata_set_property;

  /**
   * BkPluginMetadata:id:
   *
   * The id of the plugin.
   *
   * Since: 0.1
   */
  plugin_properties[PLUGIN_PROP_ID] =
    g_param_spec_string ("id", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PLUGIN_PROPS, plugin_properties);
}

static void
bk_plugin_metadata_init (BkPluginMetadata *self)
{
}

BkPluginMetadata *
_bk_plugin_metadata_new (const char *plugin_id)
{
  g_return_val_if_fail (plugin_id != NULL, NULL);

  return g_object_new (BK_TYPE_PLUGIN_METADATA,
                       "id", plugin_id,
                       NULL);
}

/**
 * bk_plugin_metadata_get_id:
 * @self: a #BkPluginMetadata
 *
 * Gets the id of the plugin.
 *
 * Returns: the plugin id
 *
 * Since: 0.1
 */
const char *
bk_plugin_metadata_get_id (BkPluginMetadata *self)
{
  g_return_val_if_fail (BK_IS_PLUGIN_METADATA (self), NULL);

  return self->id;
}

struct _BkRootInstanceMetadata
{
  GObject     parent_instance;

  char       *instance_id;
  /* (owned) NULL-terminated, in registration order */
  char      **plugin_ids;
  /* (owned) plugin id → (owned) NULL-terminated module ids */
  GHashTable *module_ids;
};

G_DEFINE_FINAL_TYPE (BkRootInstanceMetadata, bk_root_instance_metadata, G_TYPE_OBJECT)

enum {
  ROOT_PROP_0,
  ROOT_PROP_INSTANCE_ID,
  N_ROOT_PROPS
};

static GParamSpec *root_properties[N_ROOT_PROPS];

static void
bk_root_instance_metadata_constructed (GObject *object)
{
  BkRootInstanceMetadata *self = BK_ROOT_INSTANCE_METADATA (object);

  G_OBJECT_CLASS (bk_root_instance_metadata_parent_class)->constructed (object);

  if (self->instance_id == NULL)
    self->instance_id = g_uuid_string_random ();
}

static void
bk_root_instance_metadata_finalize (GObject *object)
{
  BkRootInstanceMetadata *self = BK_ROOT_INSTANCE_METADATA (object);

  g_clear_pointer (&self->instance_id, g_free);
  g_clear_pointer (&self->plugin_ids, g_strfreev);
  g_clear_pointer (&self->module_ids, g_hash_table_unref);

  G_OBJECT_CLASS (bk_root_instance_metadata_parent_class)->finalize (object);
}

static void
bk_root_instance_metadata_get_property (GObject    *object,
                                        guint       prop_id,
                                        GValue     *value,
                                        GParamSpec *pspec)
{
  BkRootInstanceMetadata *self = BK_ROOT_INSTANCE_METADATA (object);

  switch (prop_id)
    {
    case ROOT_PROP_INSTANCE_ID:
      g_value_set_string (value, self->instance_id);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bk_root_instance_metadata_set_property (GObject      *object,
                                        guint         prop_id,
                                        const GValue *value,
                                        GParamSpec   *pspec)
{
  BkRootInstanceMetadata *self = BK_ROOT_INSTANCE_METADATA (object);

  switch (prop_id)
    {
    case ROOT_PROP_INSTANCE_ID:
      self->instance_id = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bk_root_instance_metadata_class_init (BkRootInstanceMetadataClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = bk_root_instance_metadata_constructed;
  object_class->finalize = bk_root_instance_metadata_finalize;
  object_class->get_property = bk_root_instance_metadata_get_property;
  object_class->set_property = bk_root_instance_metadata_set_property;

  /**
   * BkRootInstanceMetadata:instance-id:
   *
   * The id of this backend instance: the one the backend was given, or a
   * random UUID.
   *
   * Since: 0.1
   */
  root_properties[ROOT_PROP_INSTANCE_ID] =
    g_param_spec_string ("instance-id", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_ROOT_PROPS, root_properties);
}

static void
bk_root_instance_metadata_init (BkRootInstanceMetadata *self)
{
  self->plugin_ids = g_new0 (char *, 1);
  self->module_ids = g_hash_table_new_full (g_str_hash, g_str_equal,
                                            g_free, (GDestroyNotify) g_strfreev);
}

static char **
strv_from_ptr_array (GPtrArray *array)
{
  char **strv;
  guint i;

  if (array == NULL)
    return g_new0 (char *, 1);

  strv = g_new0 (char *, array->len + 1);
  for (i = 0; i < array->len; i++)
    strv[i] = g_strdup (g_ptr_array_index (array, i));

  return strv;
}

BkRootInstanceMetadata *
_bk_root_instance_metadata_new (const char *instance_id,
                                GPtrArray  *plugin_ids,
                                GPtrArray  *module_ids_per_plugin)
{
  BkRootInstanceMetadata *self;
  guint i;

  g_return_val_if_fail (module_ids_per_plugin == NULL || plugin_ids != NULL, NULL);
  g_return_val_if_fail (module_ids_per_plugin == NULL ||
                        module_ids_per_plugin->len == plugin_ids->len, NULL);

  self = g_object_new (BK_TYPE_ROOT_INSTANCE_METADATA,
                       "instance-id", instance_id,
                       NULL);

  g_strfreev (self->plugin_ids);
  self->plugin_ids = strv_from_ptr_array (plugin_ids);

  for (i = 0; self->plugin_ids[i] != NULL; i++)
    {
      GPtrArray *modules = NULL;

      if (module_ids_per_plugin != NULL)
        modules = g_ptr_array_index (module_ids_per_plugin, i);

      g_hash_table_insert (self->module_ids,
                           g_strdup (self->plugin_ids[i]),
                           strv_from_ptr_array (modules));
    }

  return self;
}

/**
 * bk_root_instance_metadata_get_instance_id:
 * @self: a #BkRootInstanceMetadata
 *
 * Gets the id of this backend instance.
 *
 * Returns: the instance id
 *
 * Since: 0.1
 */
const char *
bk_root_instance_metadata_get_instance_id (BkRootInstanceMetadata *self)
{
  g_return_val_if_fail (BK_IS_ROOT_INSTANCE_METADATA (self), NULL);

  return self->instance_id;
}

/**
 * bk_root_instance_metadata_get_plugin_ids:
 * @self: a #BkRootInstanceMetadata
 *
 * Gets the ids of the installed plugins, in registration order.
 *
 * Returns: (transfer none) (array zero-terminated=1): the plugin ids
 *
 * Since: 0.1
 */
const char * const *
bk_root_instance_metadata_get_plugin_ids (BkRootInstanceMetadata *self)
{
  g_return_val_if_fail (BK_IS_ROOT_INSTANCE_METADATA (self), NULL);

  return (const char * const *) self->plugin_ids;
}

/**
 * bk_root_instance_metadata_get_module_ids:
 * @self: a #BkRootInstanceMetadata
 * @plugin_id: the id of an installed plugin
 *
 * Gets the ids of the modules installed for @plugin_id, in registration order.
 *
 * Returns: (transfer none) (array zero-terminated=1) (nullable): the module
 *   ids (an empty array for a plugin without modules), or %NULL if no plugin
 *   @plugin_id is installed
 *
 * Since: 0.1
 */
const char * const *
bk_root_instance_metadata_get_module_ids (BkRootInstanceMetadata *self,
                                          const char             *plugin_id)
{
  g_return_val_if_fail (BK_IS_ROOT_INSTANCE_METADATA (self), NULL);
  g_return_val_if_fail (plugin_id != NULL, NULL);

  return g_hash_table_lookup (self->module_ids, plugin_id);
}
