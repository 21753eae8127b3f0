/* bk-backend-error.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-types.h"

G_BEGIN_DECLS

/**
 * BK_BACKEND_ERROR:
 *
 * Error domain for wiring and startup errors. Errors in this domain are
 * from the #BkBackendError enumeration.
 *
 * Since: 0.1
 */
#define BK_BACKEND_ERROR (bk_backend_error_quark ())

/**
 * BkBackendError:
 * @BK_BACKEND_ERROR_CIRCULAR_DEPENDENCY: services, or modules of a plugin,
 *   depend on each other in a cycle
 * @BK_BACKEND_ERROR_MISSING_DEPENDENCY: a dependency has no factory and no
 *   default
 * @BK_BACKEND_ERROR_SCOPE_VIOLATION: a root-scoped service (or a feature
 *   loader) depends on a plugin-scoped one
 * @BK_BACKEND_ERROR_DUPLICATE_SERVICE: two factories for one single ref
 * @BK_BACKEND_ERROR_SERVICE_OVERRIDE: a factory replaces a service that cannot
 *   be replaced (`core.pluginMetadata`, or one already instantiated)
 * @BK_BACKEND_ERROR_TYPE_MISMATCH: a factory's product does not implement the
 *   ref's type
 * @BK_BACKEND_ERROR_FACTORY_FAILED: a factory, root context or default factory
 *   failed
 * @BK_BACKEND_ERROR_INVALID_ID: a plugin or module id does not match the
 *   pattern
 * @BK_BACKEND_ERROR_DUPLICATE_FEATURE: a plugin, module or extension point id
 *   is registered twice
 * @BK_BACKEND_ERROR_REGISTRATION: `register` broke the registration rules
 * @BK_BACKEND_ERROR_ILLEGAL_DEPENDENCY: an extension point used outside its
 *   plugin's modules
 * @BK_BACKEND_ERROR_STARTUP_FAILED: one or more plugins or modules failed to
 *   start (aggregated)
 * @BK_BACKEND_ERROR_ALREADY_STARTED: start called twice
 * @BK_BACKEND_ERROR_ALREADY_STOPPED: start called after stop
 * @BK_BACKEND_ERROR_LOADER_FAILED: a feature loader failed
 *
 * Error codes in the %BK_BACKEND_ERROR domain.
 *
 * Since: 0.1
 */
typedef enum
{
  BK_BACKEND_ERROR_CIRCULAR_DEPENDENCY,
  BK_BACKEND_ERROR_MISSING_DEPENDENCY,
  BK_BACKEND_ERROR_SCOPE_VIOLATION,
  BK_BACKEND_ERROR_DUPLICATE_SERVICE,
  BK_BACKEND_ERROR_SERVICE_OVERRIDE,
  BK_BACKEND_ERROR_TYPE_MISMATCH,
  BK_BACKEND_ERROR_FACTORY_FAILED,
  BK_BACKEND_ERROR_INVALID_ID,
  BK_BACKEND_ERROR_DUPLICATE_FEATURE,
  BK_BACKEND_ERROR_REGISTRATION,
  BK_BACKEND_ERROR_ILLEGAL_DEPENDENCY,
  BK_BACKEND_ERROR_STARTUP_FAILED,
  BK_BACKEND_ERROR_ALREADY_STARTED,
  BK_BACKEND_ERROR_ALREADY_STOPPED,
  BK_BACKEND_ERROR_LOADER_FAILED,
} BkBackendError;

BK_AVAILABLE_IN_ALL
GQuark   bk_backend_error_quark (void);
BK_AVAILABLE_IN_ALL
gboolean bk_validate_id         (const char  *plugin_id,
                                 const char  *module_id,
                                 GError     **error);

G_END_DECLS
