/* bk-feature.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkFeature:
 *
 * Anything that can be given to [method@Bk.Backend.add]: a
 * [class@Bk.ServiceFactory], a [class@Bk.Plugin], a [class@Bk.Module] or a
 * [class@Bk.FeatureLoader].
 *
 * Since: 0.1
 */

#include "bk-core-private.h"

G_DEFINE_ABSTRACT_TYPE (BkFeature, bk_feature, G_TYPE_OBJECT)

static void
bk_feature_class_init (BkFeatureClass *klass)
{
}

static void
bk_feature_init (BkFeature *self)
{
}

/**
 * bk_feature_describe:
 * @self: a #BkFeature
 *
 * Describes the feature for messages, e.g. `plugin 'todo'`.
 *
 * Returns: (transfer full): a new string
 *
 * Since: 0.1
 */
char *
bk_feature_describe (BkFeature *self)
{
  g_return_val_if_fail (BK_IS_FEATURE (self), NULL);

  if (BK_IS_PLUGIN (self))
    return g_strdup_printf ("plugin '%s'", bk_plugin_get_plugin_id (BK_PLUGIN (self)));
  if (BK_IS_MODULE (self))
    return g_strdup_printf ("module '%s' for plugin '%s'",
                            bk_module_get_module_id (BK_MODULE (self)),
                            bk_module_get_plugin_id (BK_MODULE (self)));
  if (BK_IS_SERVICE_FACTORY (self))
    return g_strdup_printf ("service factory for '%s'",
                            bk_service_ref_get_id (bk_service_factory_get_service (BK_SERVICE_FACTORY (self))));
  if (BK_IS_FEATURE_LOADER (self))
    return g_strdup_printf ("feature loader '%s'",
                            bk_feature_loader_get_name (BK_FEATURE_LOADER (self)));
  return g_strdup (G_OBJECT_TYPE_NAME (self));
}
