/* bk-backend.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-types.h"

G_BEGIN_DECLS

#define BK_TYPE_BACKEND (bk_backend_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkBackend, bk_backend, BK, BACKEND, GObject)

BK_AVAILABLE_IN_ALL
BkBackend *bk_backend_new                (void);
BK_AVAILABLE_IN_ALL
BkBackend *bk_backend_new_specialized    (gpointer              first_default,
                                          ...) G_GNUC_NULL_TERMINATED;
BK_AVAILABLE_IN_ALL
BkBackend *bk_backend_new_specialized_v  (BkServiceFactory    **defaults,
                                          guint                 n_defaults);
BK_AVAILABLE_IN_ALL
void       bk_backend_add                (BkBackend            *self,
                                          gpointer              feature);
BK_AVAILABLE_IN_ALL
void       bk_backend_start_async        (BkBackend            *self,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
BK_AVAILABLE_IN_ALL
gboolean   bk_backend_start_finish       (BkBackend            *self,
                                          GAsyncResult         *result,
                                          BkStartupResult     **out_result,
                                          GError              **error);
BK_AVAILABLE_IN_ALL
gboolean   bk_backend_start              (BkBackend            *self,
                                          GCancellable         *cancellable,
                                          BkStartupResult     **out_result,
                                          GError              **error);
BK_AVAILABLE_IN_ALL
void       bk_backend_stop_async         (BkBackend            *self,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
BK_AVAILABLE_IN_ALL
gboolean   bk_backend_stop_finish        (BkBackend            *self,
                                          GAsyncResult         *result,
                                          GError              **error);
BK_AVAILABLE_IN_ALL
gboolean   bk_backend_stop               (BkBackend            *self,
                                          GCancellable         *cancellable,
                                          GError              **error);
BK_AVAILABLE_IN_ALL
int        bk_backend_run                (BkBackend            *self,
                                          int                   argc,
                                          char                **argv);
BK_AVAILABLE_IN_ALL
GMainContext *bk_backend_get_main_context (BkBackend           *self);

G_END_DECLS
