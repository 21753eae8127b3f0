/* bk-initializer-private.h: starts and stops what a backend holds.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "bk-core-private.h"

G_BEGIN_DECLS

typedef struct _BkInitializer BkInitializer;

BkInitializer   *_bk_initializer_new              (void);
void             _bk_initializer_free             (BkInitializer    *self);
void             _bk_initializer_add_default      (BkInitializer    *self,
                                                   BkServiceFactory *factory);
void             _bk_initializer_add              (BkInitializer    *self,
                                                   BkFeature        *feature);
void             _bk_initializer_set_tracker      (BkInitializer    *self,
                                                   BkObjectTracker   tracker,
                                                   gpointer          user_data);
void             _bk_initializer_set_seed         (BkInitializer    *self,
                                                   guint32           seed);
void             _bk_initializer_set_synthesize   (BkInitializer    *self,
                                                   gboolean          synthesize);
void             _bk_initializer_provide_extension_point (BkInitializer    *self,
                                                          BkExtensionPoint *extension_point,
                                                          GObject          *implementation);
/* done: result is the BkStartupResult (always), error set on failure */
void             _bk_initializer_start            (BkInitializer    *self,
                                                   GCancellable     *cancellable,
                                                   BkDoneFunc        done,
                                                   gpointer          data);
void             _bk_initializer_stop             (BkInitializer    *self,
                                                   BkDoneFunc        done,
                                                   gpointer          data);
GObject         *_bk_initializer_lookup           (BkInitializer    *self,
                                                   BkServiceRef     *ref,
                                                   const char       *plugin_id);
guint64          _bk_initializer_get_shutdown_timeout (BkInitializer *self);
void             _bk_initializer_resolve          (BkInitializer    *self,
                                                   BkServiceRef     *ref,
                                                   const char       *plugin_id,
                                                   BkDoneFunc        done,
                                                   gpointer          data);

G_END_DECLS
