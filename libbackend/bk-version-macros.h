/* bk-version-macros.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

#include "bk-version.h"

#ifndef _BK_EXTERN
# define _BK_EXTERN __attribute__((visibility("default"))) extern
#endif

#define BK_VERSION_0_1 (G_ENCODE_VERSION (0, 1))

#define BK_AVAILABLE_IN_ALL _BK_EXTERN
#define BK_AVAILABLE_IN_0_1 _BK_EXTERN
