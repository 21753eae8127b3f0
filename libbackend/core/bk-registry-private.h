/* bk-registry-private.h: service instances, once per scope.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "bk-core-private.h"

G_BEGIN_DECLS

typedef enum
{
  BK_FACTORY_SOURCE_DEFAULT,     /* given to bk_backend_new_specialized() */
  BK_FACTORY_SOURCE_EXPLICIT,    /* given to bk_backend_add() */
  BK_FACTORY_SOURCE_LOADER,      /* returned by a feature loader */
  BK_FACTORY_SOURCE_REF_DEFAULT, /* the ref's own default factory */
  BK_FACTORY_SOURCE_BUILTIN,     /* made by the backend itself */
} BkFactorySource;

typedef struct _BkRegistry BkRegistry;

/* Resolves an extension point dependency synchronously; NULL with @error. */
typedef GObject *(*BkEpResolver) (gpointer          data,
                                  BkExtensionPoint *extension_point,
                                  GError          **error);

typedef struct
{
  BkServiceRef *ref;
  const char   *plugin_id;
} BkPlanRequest;

BkRegistry *_bk_registry_new              (BkObjectTracker   tracker,
                                           gpointer          tracker_data);
void        _bk_registry_free             (BkRegistry       *self);
gboolean    _bk_registry_add              (BkRegistry       *self,
                                           BkServiceFactory *factory,
                                           BkFactorySource   source,
                                           const char       *loader_name,
                                           GError          **error);
void        _bk_registry_set_builtin      (BkRegistry       *self,
                                           BkServiceRef     *ref,
                                           GObject          *instance);
gboolean    _bk_registry_has_factory      (BkRegistry       *self,
                                           BkServiceRef     *ref);
gboolean    _bk_registry_can_provide      (BkRegistry       *self,
                                           BkServiceRef     *ref,
                                           GError          **error);
GPtrArray  *_bk_registry_get_eager_refs   (BkRegistry       *self,
                                           BkServiceScope    scope);
gboolean    _bk_registry_plan             (BkRegistry       *self,
                                           const BkPlanRequest *requests,
                                           guint             n_requests,
                                           GError          **error);
void        _bk_registry_get              (BkRegistry       *self,
                                           BkServiceRef     *ref,
                                           const char       *plugin_id,
                                           BkDoneFunc        done,
                                           gpointer          data);
void        _bk_registry_resolve_deps     (BkRegistry       *self,
                                           GPtrArray        *deps,
                                           const char       *plugin_id,
                                           BkEpResolver      ep_resolver,
                                           gpointer          ep_data,
                                           BkDoneFunc        done,
                                           gpointer          data);
GObject    *_bk_registry_lookup           (BkRegistry       *self,
                                           BkServiceRef     *ref,
                                           const char       *plugin_id);
void        _bk_registry_release          (BkRegistry       *self);

G_END_DECLS
