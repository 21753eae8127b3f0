/* bk-metadata.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-types.h"

G_BEGIN_DECLS

#define BK_TYPE_PLUGIN_METADATA (bk_plugin_metadata_get_type ())
#define BK_TYPE_ROOT_INSTANCE_METADATA (bk_root_instance_metadata_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkPluginMetadata, bk_plugin_metadata, BK, PLUGIN_METADATA, GObject)
BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkRootInstanceMetadata, bk_root_instance_metadata, BK, ROOT_INSTANCE_METADATA, GObject)

BK_AVAILABLE_IN_ALL
const char  *bk_plugin_metadata_get_id                      (BkPluginMetadata       *self);

BK_AVAILABLE_IN_ALL
const char  *bk_root_instance_metadata_get_instance_id      (BkRootInstanceMetadata *self);
BK_AVAILABLE_IN_ALL
const char * const *bk_root_instance_metadata_get_plugin_ids (BkRootInstanceMetadata *self);
BK_AVAILABLE_IN_ALL
const char * const *bk_root_instance_metadata_get_module_ids (BkRootInstanceMetadata *self,
                                                             const char             *plugin_id);

G_END_DECLS
