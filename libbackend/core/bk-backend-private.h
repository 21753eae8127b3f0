/* bk-backend-private.h: what libbackend-test-utils needs from the backend.
 *
 * Exported from the shared library (the test kit is a separate library),
 * never installed, not part of the GIR. Not for applications.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "libbackend.h"

G_BEGIN_DECLS

/**
 * BkObjectTracker:
 * @object: an object the backend created or took in
 * @description: (not nullable): how to name it in a report, e.g.
 *   `service 'core.logger' for plugin 'todo'`
 * @user_data: closure data
 *
 * Called for every service instance, plugin, module and extension point
 * object the backend holds, so a test kit can check they die.
 */
typedef void (*BkObjectTracker) (GObject    *object,
                                 const char *description,
                                 gpointer    user_data);

BK_AVAILABLE_IN_ALL
void     _bk_backend_set_tracker                   (BkBackend        *self,
                                                    BkObjectTracker   tracker,
                                                    gpointer          user_data);
BK_AVAILABLE_IN_ALL
void     _bk_backend_set_shuffle_seed              (BkBackend        *self,
                                                    guint32           seed);
BK_AVAILABLE_IN_ALL
void     _bk_backend_set_synthesize_missing_plugins (BkBackend       *self,
                                                    gboolean          synthesize);
BK_AVAILABLE_IN_ALL
void     _bk_backend_provide_extension_point       (BkBackend        *self,
                                                    BkExtensionPoint *extension_point,
                                                    GObject          *implementation);
BK_AVAILABLE_IN_ALL
gpointer _bk_backend_lookup_service                (BkBackend        *self,
                                                    BkServiceRef     *ref,
                                                    const char       *plugin_id);
BK_AVAILABLE_IN_ALL
gpointer _bk_backend_resolve_service               (BkBackend        *self,
                                                    BkServiceRef     *ref,
                                                    const char       *plugin_id,
                                                    GError          **error);

/* The default core.rootHttpRouter, listening on @host:@port whatever
 * `backend.listen` says (every other key is read as usual): the test kit's
 * loopback, ephemeral-port server. */
BK_AVAILABLE_IN_ALL
BkServiceFactory *_bk_root_http_router_factory_new_for_address (const char *host,
                                                               guint       port);

G_END_DECLS
