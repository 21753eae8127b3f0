/* bk-test-backend-private.h: what the test kit's files share. Never
 * installed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libbackend-test-utils.h>

G_BEGIN_DECLS

SoupSession *_bk_test_backend_get_session (BkTestBackend *self);

G_END_DECLS
