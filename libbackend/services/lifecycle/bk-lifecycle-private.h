/* bk-lifecycle-private.h: the default lifecycles, for the test kit's mock.
 *
 * Exported from the shared library (the test kit is a separate library),
 * never installed, not part of the GIR. Not for applications.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "libbackend.h"

G_BEGIN_DECLS

/* The config key of every hook's deadline, and its default. */
#define BK_LIFECYCLE_HOOK_TIMEOUT_KEY        "backend.lifecycle.hookTimeout"
#define BK_LIFECYCLE_DEFAULT_HOOK_TIMEOUT_MS ((guint64) 30000)

/* Makes the default `core.rootLifecycle` (@is_root) or `core.lifecycle` from
 * the dependencies of its factory, which must declare:
 *
 * - root: BK_SERVICE_ROOT_LOGGER, BK_SERVICE_ROOT_CLOCK,
 *   BK_SERVICE_ROOT_CONFIG;
 * - plugin: BK_SERVICE_LOGGER, BK_SERVICE_ROOT_CLOCK, BK_SERVICE_ROOT_CONFIG,
 *   BK_SERVICE_PLUGIN_METADATA.
 *
 * Fails (a BK_CONFIG_ERROR naming the key and its source) when
 * `backend.lifecycle.hookTimeout` is not a duration. */
BK_AVAILABLE_IN_ALL
BkLifecycle *_bk_lifecycle_new_for_deps (BkDeps    *deps,
                                         gboolean   is_root,
                                         GError   **error);

G_END_DECLS
