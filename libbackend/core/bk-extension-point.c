/* bk-extension-point.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkExtensionPoint:
 *
 * A way for a plugin's modules to extend it. The plugin (or one of its
 * modules) registers an object implementing the extension point's #GType,
 * or a factory called once per consuming module; modules of the same
 * plugin depend on the extension point and receive that object in their
 * init. Define one with [func@Bk.DEFINE_EXTENSION_POINT].
 *
 * Since: 0.1
 */

/**
 * BkExtensionPointContext:
 *
 * Handed to an extension point factory: names the consuming module and
 * lets the plugin report later that this module failed.
 *
 * Since: 0.1
 */

#include "bk-core-private.h"

struct _BkExtensionPoint
{
  BkDependency parent_instance;
};

G_DEFINE_FINAL_TYPE (BkExtensionPoint, bk_extension_point, BK_TYPE_DEPENDENCY)

static void
bk_extension_point_class_init (BkExtensionPointClass *klass)
{
}

static void
bk_extension_point_init (BkExtensionPoint *self)
{
}

/**
 * bk_extension_point_new:
 * @id: the extension point id
 * @interface_type: the #GType the registered object implements
 *
 * Creates an extension point. Usually made once by a getter defined with
 * [func@Bk.DEFINE_EXTENSION_POINT].
 *
 * Returns: (transfer full): a new #BkExtensionPoint
 *
 * Since: 0.1
 */
BkExtensionPoint *
bk_extension_point_new (const char *id,
                        GType       interface_type)
{
  BkExtensionPoint *self;

  g_return_val_if_fail (id != NULL && *id != '\0', NULL);
  g_return_val_if_fail (G_TYPE_IS_INTERFACE (interface_type) || G_TYPE_IS_OBJECT (interface_type), NULL);

  self = g_object_new (BK_TYPE_EXTENSION_POINT, NULL);
  _bk_dependency_init_fields (BK_DEPENDENCY (self), id, interface_type);

  return self;
}

/**
 * bk_extension_point_get_id:
 * @self: a #BkExtensionPoint
 *
 * Gets the extension point's id.
 *
 * Returns: (transfer none): the extension point id
 *
 * Since: 0.1
 */
const char *
bk_extension_point_get_id (BkExtensionPoint *self)
{
  return bk_dependency_get_id (BK_DEPENDENCY (self));
}

struct _BkExtensionPointContext
{
  GObject              parent_instance;
  char                *plugin_id;
  char                *module_id;
  BkModuleFailureFunc  report;
  gpointer             report_data;
};

G_DEFINE_FINAL_TYPE (BkExtensionPointContext, bk_extension_point_context, G_TYPE_OBJECT)

static void
bk_extension_point_context_finalize (GObject *object)
{
  BkExtensionPointContext *self = BK_EXTENSION_POINT_CONTEXT (object);

  g_clear_pointer (&self->plugin_id, g_free);
  g_clear_pointer (&self->module_id, g_free);

  G_OBJECT_CLASS (bk_extension_point_context_parent_class)->finalize (object);
}

static void
bk_extension_point_context_class_init (BkExtensionPointContextClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bk_extension_point_context_finalize;
}

static void
bk_extension_point_context_init (BkExtensionPointContext *self)
{
}

BkExtensionPointContext *
_bk_extension_point_context_new (const char          *plugin_id,
                                 const char          *module_id,
                                 BkModuleFailureFunc  report,
                                 gpointer             report_data)
{
  BkExtensionPointContext *self = g_object_new (BK_TYPE_EXTENSION_POINT_CONTEXT, NULL);

  self->plugin_id = g_strdup (plugin_id);
  self->module_id = g_strdup (module_id);
  self->report = report;
  self->report_data = report_data;

  return self;
}

void
_bk_extension_point_context_detach (BkExtensionPointContext *self)
{
  self->report = NULL;
  self->report_data = NULL;
}

/**
 * bk_extension_point_context_get_plugin_id:
 * @self: a #BkExtensionPointContext
 *
 * Gets the id of the plugin that owns the extension point.
 *
 * Returns: (transfer none): the plugin id
 *
 * Since: 0.1
 */
const char *
bk_extension_point_context_get_plugin_id (BkExtensionPointContext *self)
{
  g_return_val_if_fail (BK_IS_EXTENSION_POINT_CONTEXT (self), NULL);

  return self->plugin_id;
}

/**
 * bk_extension_point_context_get_module_id:
 * @self: a #BkExtensionPointContext
 *
 * Gets the id of the module the extension point object is made for.
 *
 * Returns: (transfer none): the id of the module the extension point is
 *   made for
 *
 * Since: 0.1
 */
const char *
bk_extension_point_context_get_module_id (BkExtensionPointContext *self)
{
  g_return_val_if_fail (BK_IS_EXTENSION_POINT_CONTEXT (self), NULL);

  return self->module_id;
}

/**
 * bk_extension_point_context_report_module_failure:
 * @self: a #BkExtensionPointContext
 * @error: why the module failed
 *
 * Marks the consuming module as failed after the fact, for example when
 * the plugin's init finds that what the module contributed is unusable. The
 * module's boot-failure policy decides whether the backend still starts.
 * Once startup has finished, the failure is only logged.
 *
 * Since: 0.1
 */
void
bk_extension_point_context_report_module_failure (BkExtensionPointContext *self,
                                                  const GError            *error)
{
  g_return_if_fail (BK_IS_EXTENSION_POINT_CONTEXT (self));
  g_return_if_fail (error != NULL);

  if (self->report != NULL)
    self->report (self->report_data, self->plugin_id, self->module_id, error);
}
