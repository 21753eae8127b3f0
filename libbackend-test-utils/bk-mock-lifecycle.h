/* bk-mock-lifecycle.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_TEST_UTILS_INSIDE) && !defined(BK_TEST_UTILS_COMPILATION)
# error "Only <libbackend-test-utils.h> can be included directly."
#endif

#include <libbackend.h>

G_BEGIN_DECLS

#define BK_TYPE_MOCK_LIFECYCLE (bk_mock_lifecycle_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkMockLifecycle, bk_mock_lifecycle, BK, MOCK_LIFECYCLE, GObject)

BK_AVAILABLE_IN_ALL
void              bk_mock_lifecycle_trigger             (BkMockLifecycle  *self,
                                                         BkLifecyclePhase  phase);
BK_AVAILABLE_IN_ALL
guint             bk_mock_lifecycle_get_n_hooks         (BkMockLifecycle  *self,
                                                         BkLifecyclePhase  phase);
BK_AVAILABLE_IN_ALL
gboolean          bk_mock_lifecycle_has_begun           (BkMockLifecycle  *self,
                                                         BkLifecyclePhase  phase);
BK_AVAILABLE_IN_ALL
BkServiceFactory *bk_mock_root_lifecycle_factory_new    (void);
BK_AVAILABLE_IN_ALL
BkServiceFactory *bk_mock_lifecycle_factory_new         (void);

G_END_DECLS
