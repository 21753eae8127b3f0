/* libbackend.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define BK_INSIDE
# include "bk-version.h"
# include "bk-version-macros.h"
# include "bk-types.h"
# include "bk-enums.h"
# include "bk-backend-error.h"
# include "bk-dependency.h"
# include "bk-service-ref.h"
# include "bk-extension-point.h"
# include "bk-deps.h"
# include "bk-feature.h"
# include "bk-service-factory.h"
# include "bk-plugin.h"
# include "bk-module.h"
# include "bk-env.h"
# include "bk-feature-loader.h"
# include "bk-startup-result.h"
# include "bk-backend.h"
# include "bk-config.h"
# include "bk-root-config.h"
# include "bk-clock.h"
# include "bk-logger.h"
# include "bk-lifecycle.h"
# include "bk-metadata.h"
# include "bk-http-error.h"
# include "bk-root-health.h"
# include "bk-root-http-router.h"
# include "bk-http-router.h"
# include "bk-database.h"
# include "bk-cache.h"
# include "bk-scheduler.h"
# include "bk-discovery.h"
# include "bk-core-services.h"
#undef BK_INSIDE

G_END_DECLS
