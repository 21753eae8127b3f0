/* bk-http-error.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "bk-types.h"

G_BEGIN_DECLS

/**
 * BK_HTTP_ERROR:
 *
 * Error domain for errors that carry an HTTP status: a request handler
 * fails with one of these to answer with that status and Backstage's error
 * body. Errors in this domain are from the #BkHttpError enumeration; see
 * [func@Bk.http_error_to_status] for how errors of other domains map.
 *
 * Since: 0.1
 */
#define BK_HTTP_ERROR (bk_http_error_quark ())

/**
 * BkHttpError:
 * @BK_HTTP_ERROR_INPUT: `InputError`, 400 Bad Request: the request is
 *   malformed or its input invalid
 * @BK_HTTP_ERROR_AUTHENTICATION: `AuthenticationError`, 401 Unauthorized:
 *   credentials are missing or invalid
 * @BK_HTTP_ERROR_NOT_ALLOWED: `NotAllowedError`, 403 Forbidden: the caller
 *   may not do this
 * @BK_HTTP_ERROR_NOT_FOUND: `NotFoundError`, 404 Not Found
 * @BK_HTTP_ERROR_CONFLICT: `ConflictError`, 409 Conflict: the request
 *   conflicts with the current state, such as a duplicate
 * @BK_HTTP_ERROR_NOT_MODIFIED: `NotModifiedError`, 304 Not Modified: the
 *   client's copy is current
 * @BK_HTTP_ERROR_SERVICE_UNAVAILABLE: `ServiceUnavailableError`, 503 Service
 *   Unavailable: not started yet, shutting down, or a dependency is down
 * @BK_HTTP_ERROR_NOT_IMPLEMENTED: `NotImplementedError`, 501 Not
 *   Implemented
 * @BK_HTTP_ERROR_PAYLOAD_TOO_LARGE: `PayloadTooLargeError`, 413 Content Too
 *   Large: the request body is over the limit
 * @BK_HTTP_ERROR_UNSUPPORTED_MEDIA_TYPE: `UnsupportedMediaTypeError`, 415
 *   Unsupported Media Type: the body has the wrong content type
 * @BK_HTTP_ERROR_METHOD_NOT_ALLOWED: `MethodNotAllowedError`, 405 Method Not
 *   Allowed: the path exists, the method does not
 * @BK_HTTP_ERROR_INTERNAL: `Error`, 500 Internal Server Error
 *
 * Error codes in the %BK_HTTP_ERROR domain. Each stands for one HTTP status
 * and is named after the error class of Backstage's `@backstage/errors`
 * that answers with it (for 405, 413 and 415, which that package does not
 * have, after the `http-errors` names Express uses). The name in the
 * description above is the one [func@Bk.http_error_get_name] returns and
 * the error body carries.
 *
 * Since: 0.1
 */
typedef enum
{
  BK_HTTP_ERROR_INPUT,
  BK_HTTP_ERROR_AUTHENTICATION,
  BK_HTTP_ERROR_NOT_ALLOWED,
  BK_HTTP_ERROR_NOT_FOUND,
  BK_HTTP_ERROR_CONFLICT,
  BK_HTTP_ERROR_NOT_MODIFIED,
  BK_HTTP_ERROR_SERVICE_UNAVAILABLE,
  BK_HTTP_ERROR_NOT_IMPLEMENTED,
  BK_HTTP_ERROR_PAYLOAD_TOO_LARGE,
  BK_HTTP_ERROR_UNSUPPORTED_MEDIA_TYPE,
  BK_HTTP_ERROR_METHOD_NOT_ALLOWED,
  BK_HTTP_ERROR_INTERNAL,
} BkHttpError;

BK_AVAILABLE_IN_ALL
GQuark      bk_http_error_quark     (void);
BK_AVAILABLE_IN_ALL
guint       bk_http_error_to_status (const GError *error);
BK_AVAILABLE_IN_ALL
const char *bk_http_error_get_name  (const GError *error);
BK_AVAILABLE_IN_ALL
JsonNode   *bk_http_error_to_json   (const GError *error,
                                     const char   *method,
                                     const char   *url);

G_END_DECLS
