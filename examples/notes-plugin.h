/* notes-plugin.h: the `notes` plugin of the example backend.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libbackend.h>

G_BEGIN_DECLS

BkPlugin *notes_plugin_new (void);

G_END_DECLS
