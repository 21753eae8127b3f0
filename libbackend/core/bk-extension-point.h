/* bk-extension-point.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-dependency.h"

G_BEGIN_DECLS

#define BK_TYPE_EXTENSION_POINT (bk_extension_point_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkExtensionPoint, bk_extension_point, BK, EXTENSION_POINT, BkDependency)

#define BK_TYPE_EXTENSION_POINT_CONTEXT (bk_extension_point_context_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkExtensionPointContext, bk_extension_point_context, BK, EXTENSION_POINT_CONTEXT, GObject)

/**
 * BkExtensionPointFactoryFunc:
 * @context: the consuming module's context
 * @user_data: closure data
 *
 * Makes the extension point object handed to one consuming module; called
 * once per module that depends on the extension point.
 *
 * Returns: (transfer full): an object implementing the extension point's type
 *
 * Since: 0.1
 */
typedef GObject *(*BkExtensionPointFactoryFunc) (BkExtensionPointContext *context,
                                                 gpointer                 user_data);

BK_AVAILABLE_IN_ALL
BkExtensionPoint *bk_extension_point_new                       (const char              *id,
                                                                GType                    interface_type);
BK_AVAILABLE_IN_ALL
const char       *bk_extension_point_get_id                    (BkExtensionPoint        *self);

BK_AVAILABLE_IN_ALL
const char       *bk_extension_point_context_get_plugin_id     (BkExtensionPointContext *self);
BK_AVAILABLE_IN_ALL
const char       *bk_extension_point_context_get_module_id     (BkExtensionPointContext *self);
BK_AVAILABLE_IN_ALL
void              bk_extension_point_context_report_module_failure (BkExtensionPointContext *self,
                                                                    const GError            *error);

/**
 * BK_DEFINE_EXTENSION_POINT:
 * @func_name: name of the getter to define
 * @id: the extension point id, e.g. `"todo.validators"`
 * @interface_type: the #GType the registered object implements
 *
 * Defines `BkExtensionPoint *func_name (void)`, created once (thread-safe),
 * transfer none.
 *
 * Since: 0.1
 */
#define BK_DEFINE_EXTENSION_POINT(func_name, id, interface_type)                  \
  BkExtensionPoint *                                                              \
  func_name (void)                                                                \
  {                                                                               \
    static BkExtensionPoint *ep__;                                                \
    if (g_once_init_enter (&ep__))                                                \
      g_once_init_leave (&ep__, bk_extension_point_new ((id), (interface_type))); \
    return ep__;                                                                  \
  }

G_END_DECLS
