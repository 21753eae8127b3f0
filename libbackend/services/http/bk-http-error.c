/* bk-http-error.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "libbackend.h"
#include "bk-http-private.h"

/**
 * bk_http_error_quark:
 *
 * The error domain of errors that carry an HTTP status.
 *
 * Returns: the #GQuark of %BK_HTTP_ERROR
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (bk-http-error-quark, bk_http_error)

#define STATUS_INTERNAL 500

typedef struct
{
  guint       status;
  const char *name;
} StatusName;

/* Indexed by BkHttpError. */
static const StatusName http_error_statuses[] = {
  [BK_HTTP_ERROR_INPUT]                  = { 400, "InputError" },
  [BK_HTTP_ERROR_AUTHENTICATION]         = { 401, "AuthenticationError" },
  [BK_HTTP_ERROR_NOT_ALLOWED]            = { 403, "NotAllowedError" },
  [BK_HTTP_ERROR_NOT_FOUND]              = { 404, "NotFoundError" },
  [BK_HTTP_ERROR_CONFLICT]               = { 409, "ConflictError" },
  [BK_HTTP_ERROR_NOT_MODIFIED]           = { 304, "NotModifiedError" },
  [BK_HTTP_ERROR_SERVICE_UNAVAILABLE]    = { 503, "ServiceUnavailableError" },
  [BK_HTTP_ERROR_NOT_IMPLEMENTED]        = { 501, "NotImplementedError" },
  [BK_HTTP_ERROR_PAYLOAD_TOO_LARGE]      = { 413, "PayloadTooLargeError" },
  [BK_HTTP_ERROR_UNSUPPORTED_MEDIA_TYPE] = { 415, "UnsupportedMediaTypeError" },
  [BK_HTTP_ERROR_METHOD_NOT_ALLOWED]     = { 405, "MethodNotAllowedError" },
  [BK_HTTP_ERROR_INTERNAL]               = { STATUS_INTERNAL, "Error" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (http_error_statuses) == BK_HTTP_ERROR_INTERNAL + 1);

/**
 * bk_http_error_to_status:
 * @error: a #GError of any domain
 *
 * Maps an error to the HTTP status a request failing with it is answered
 * with. This is the one place libbackend does so: the router answers every
 * handler error with this status and [func@Bk.http_error_to_json]'s body.
 *
 * | Error | Status |
 * |---|---|
 * | %BK_HTTP_ERROR_NOT_MODIFIED | 304 |
 * | %BK_HTTP_ERROR_INPUT | 400 |
 * | %BK_HTTP_ERROR_AUTHENTICATION | 401 |
 * | %BK_HTTP_ERROR_NOT_ALLOWED | 403 |
 * | %BK_HTTP_ERROR_NOT_FOUND | 404 |
 * | %BK_HTTP_ERROR_METHOD_NOT_ALLOWED | 405 |
 * | %BK_HTTP_ERROR_CONFLICT | 409 |
 * | %BK_HTTP_ERROR_PAYLOAD_TOO_LARGE | 413 |
 * | %BK_HTTP_ERROR_UNSUPPORTED_MEDIA_TYPE | 415 |
 * | %BK_HTTP_ERROR_INTERNAL | 500 |
 * | %BK_HTTP_ERROR_NOT_IMPLEMENTED | 501 |
 * | %BK_HTTP_ERROR_SERVICE_UNAVAILABLE | 503 |
 * | %G_IO_ERROR_NOT_FOUND | 404 |
 * | %G_IO_ERROR_PERMISSION_DENIED | 403 |
 * | %G_IO_ERROR_CANCELLED (the work was cancelled, as at shutdown) | 503 |
 * | %BK_CONFIG_ERROR (a server-side misconfiguration) | 500 |
 * | any other error, and an unknown %BK_HTTP_ERROR code | 500 |
 *
 * Backstage picks the status from the error's class the same way (its
 * errors have no GIO counterparts; a plain `Error` is 500).
 *
 * Returns: the HTTP status, from 304 to 503
 *
 * Since: 0.1
 */
guint
bk_http_error_to_status (const GError *error)
{
  g_return_val_if_fail (error != NULL, STATUS_INTERNAL);

  if (error->domain == BK_HTTP_ERROR)
    {
      if (error->code >= 0 && error->code < (gint) G_N_ELEMENTS (http_error_statuses))
        return http_error_statuses[error->code].status;
      return STATUS_INTERNAL;
    }

  if (error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_NOT_FOUND:
          return 404;
        case G_IO_ERROR_PERMISSION_DENIED:
          return 403;
        case G_IO_ERROR_CANCELLED:
          return 503;
        default:
          return STATUS_INTERNAL;
        }
    }

  /* BK_CONFIG_ERROR, BK_BACKEND_ERROR and every other domain. */
  return STATUS_INTERNAL;
}

/**
 * bk_http_error_get_name:
 * @error: a #GError of any domain
 *
 * The name of the error in Backstage's terms, which the error body carries
 * as `error.name` and clients of Backstage's APIs look at: the name of the
 * status [func@Bk.http_error_to_status] maps @error to, as listed in
 * #BkHttpError (so %G_IO_ERROR_NOT_FOUND is a `NotFoundError`), and
 * `Error` for 500 and for anything unknown.
 *
 * Returns: (transfer none): a static string such as `NotFoundError`
 *
 * Since: 0.1
 */
const char *
bk_http_error_get_name (const GError *error)
{
  guint status;

  g_return_val_if_fail (error != NULL, "Error");

  status = bk_http_error_to_status (error);
  for (guint i = 0; i < G_N_ELEMENTS (http_error_statuses); i++)
    {
      if (http_error_statuses[i].status == status)
        return http_error_statuses[i].name;
    }

  return "Error";
}

/**
 * bk_http_error_to_json:
 * @error: a #GError of any domain
 * @method: the request's method, such as `GET`
 * @url: the request's URL as the client sent it (path and query)
 *
 * Builds Backstage's error body for a request that failed with @error:
 *
 * ```json
 * {
 *   "error": { "name": "NotFoundError", "message": "No todo with id 7" },
 *   "request": { "method": "GET", "url": "/api/todo/todos/7" },
 *   "response": { "statusCode": 404 }
 * }
 * ```
 *
 * `error.name` is [func@Bk.http_error_get_name], `error.message` the
 * error's message verbatim, and `response.statusCode`
 * [func@Bk.http_error_to_status]. As in Backstage, the message of an error
 * from another domain is kept even when it maps to 500: say nothing in an
 * error message that a client must not read. (Backstage replaces database
 * errors with a generic message carrying a log id; so will libbackend for
 * its database error domain when it has one.)
 *
 * Returns: (transfer full): a new JSON object node
 *
 * Since: 0.1
 */
JsonNode *
bk_http_error_to_json (const GError *error,
                       const char   *method,
                       const char   *url)
{
  g_autoptr(JsonBuilder) builder = NULL;

  g_return_val_if_fail (error != NULL, NULL);
  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (url != NULL, NULL);

  builder = json_builder_new ();
  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, bk_http_error_get_name (error));
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, error->message != NULL ? error->message : "");
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "request");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, method);
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, url);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "response");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "statusCode");
  json_builder_add_int_value (builder, bk_http_error_to_status (error));
  json_builder_end_object (builder);

  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

char *
_bk_http_dup_request_url (SoupServerMessage *message)
{
  GUri *uri = soup_server_message_get_uri (message);
  const char *query = g_uri_get_query (uri);

  if (query != NULL)
    return g_strconcat (g_uri_get_path (uri), "?", query, NULL);
  return g_strdup (g_uri_get_path (uri));
}

void
_bk_http_set_json_response (SoupServerMessage *message,
                            guint              status,
                            JsonNode          *payload)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  gsize length = 0;
  char *body;

  json_generator_set_root (generator, payload);
  body = json_generator_to_data (generator, &length);
  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, "application/json; charset=utf-8",
                                    SOUP_MEMORY_TAKE, body, length);
}
