/* bk-http-private.h: what the HTTP files share inside libbackend.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "libbackend.h"

G_BEGIN_DECLS

/* The request's path and query, as sent (for error bodies and logs). */
char *_bk_http_dup_request_url     (SoupServerMessage *message);

/* Sets @status and @payload as an `application/json; charset=utf-8` body. */
void  _bk_http_set_json_response   (SoupServerMessage *message,
                                    guint              status,
                                    JsonNode          *payload);

G_END_DECLS
