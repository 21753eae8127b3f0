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

/* Path matching, pure (fuzzing/fuzz-http-path.c drives these). Paths are
 * matched as libsoup gives them, already percent-decoded. */

/* The non-empty segments of a path or a path pattern: empty segments (a
 * trailing or doubled slash) are ignored, as Express does. */
GStrv    _bk_http_split_path          (const char        *path);

/* Matches @segments (of a request path) against @pattern (segments of a
 * pattern): literal segments ignoring ASCII case, `:name` any one segment.
 * With @prefix, @pattern may match the leading segments only. Returns how
 * many segments matched, or -1. On a match, inserts each parameter into
 * @params (nullable; a later parameter of the same name wins). */
int      _bk_http_match_path          (const char * const *pattern,
                                       const char * const *segments,
                                       gboolean            prefix,
                                       GHashTable         *params);

/* Whether @content_type (a media type, no parameters) is JSON:
 * `application/json` or `application/<anything>+json`, ignoring case. */
gboolean _bk_http_is_json_content_type (const char       *content_type);

G_END_DECLS
