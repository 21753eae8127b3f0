/* bk-test-backend.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_TEST_UTILS_INSIDE) && !defined(BK_TEST_UTILS_COMPILATION)
# error "Only <libbackend-test-utils.h> can be included directly."
#endif

#include <libbackend.h>

G_BEGIN_DECLS

#define BK_TYPE_TEST_BACKEND (bk_test_backend_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkTestBackend, bk_test_backend, BK, TEST_BACKEND, GObject)

BK_AVAILABLE_IN_ALL
BkTestBackend   *bk_test_backend_new                 (void);
BK_AVAILABLE_IN_ALL
void             bk_test_backend_add                 (BkTestBackend     *self,
                                                      gpointer           feature);
BK_AVAILABLE_IN_ALL
void             bk_test_backend_add_extension_point (BkTestBackend     *self,
                                                      BkExtensionPoint  *extension_point,
                                                      GObject           *implementation);
BK_AVAILABLE_IN_ALL
gboolean         bk_test_backend_launch              (BkTestBackend     *self,
                                                      GError           **error);
BK_AVAILABLE_IN_ALL
BkTestBackend   *bk_test_backend_start               (GError           **error,
                                                      gpointer           first_feature,
                                                      ...) G_GNUC_NULL_TERMINATED;
BK_AVAILABLE_IN_ALL
gboolean         bk_test_backend_stop                (BkTestBackend     *self,
                                                      GError           **error);
BK_AVAILABLE_IN_ALL
BkBackend       *bk_test_backend_get_backend         (BkTestBackend     *self);
BK_AVAILABLE_IN_ALL
BkStartupResult *bk_test_backend_get_startup_result  (BkTestBackend     *self);
BK_AVAILABLE_IN_ALL
gpointer         bk_test_backend_get_service         (BkTestBackend     *self,
                                                      BkServiceRef      *ref,
                                                      const char        *plugin_id);
BK_AVAILABLE_IN_ALL
guint32          bk_test_backend_get_seed            (BkTestBackend     *self);

G_END_DECLS
