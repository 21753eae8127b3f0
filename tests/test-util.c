/* test-util.c: helpers shared by the test programs (not installed).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include "test-util.h"

/* Waiting on the main context ----------------------------------------------- */

static gboolean
guard_expired (gpointer user_data)
{
  g_error ("timed out after %d s waiting for %s", TEST_GUARD_SECONDS, (const char *) user_data);
  return G_SOURCE_REMOVE;
}

/* A source on @context (NULL: the default one) that fails the test when a
 * wait for @what takes longer than TEST_GUARD_SECONDS. @what must outlive
 * it; free it with test_guard_free(). */
GSource *
test_guard_new (GMainContext *context,
                const char   *what)
{
  GSource *guard = g_timeout_source_new_seconds (TEST_GUARD_SECONDS);

  g_source_set_callback (guard, guard_expired, (gpointer) what, NULL);
  g_source_attach (guard, context);
  return guard;
}

void
test_guard_free (GSource *guard)
{
  g_source_destroy (guard);
  g_source_unref (guard);
}

/* Iterates the default main context until *@flag, failing on a timeout. */
void
test_wait_for (gboolean   *flag,
               const char *what)
{
  GSource *guard = test_guard_new (NULL, what);

  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
  test_guard_free (guard);
}

/* The same, until *@pointer is set. */
void
test_wait_for_pointer (gpointer   *pointer,
                       const char *what)
{
  GSource *guard = test_guard_new (NULL, what);

  while (*pointer == NULL)
    g_main_context_iteration (NULL, TRUE);
  test_guard_free (guard);
}

/* Runs what the default main context has ready now, without waiting. */
void
test_settle (void)
{
  for (guint i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* Backends ----------------------------------------------------------------- */

/* A backend with the mock root config (@config_json), the mock loggers and
 * the default lifecycles. */
BkBackend *
test_backend_new (const char *config_json)
{
  return bk_backend_new_specialized (bk_mock_root_config_factory_new (config_json),
                                     bk_mock_root_logger_factory_new (),
                                     bk_mock_logger_factory_new (),
                                     bk_service_ref_create_default_factory (BK_SERVICE_ROOT_LIFECYCLE),
                                     bk_service_ref_create_default_factory (BK_SERVICE_LIFECYCLE),
                                     NULL);
}

/* Starts @backend and asserts that the startup succeeded. */
void
test_backend_start_ok (BkBackend *backend)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkStartupResult) result = NULL;
  gboolean ok;

  ok = bk_backend_start (backend, NULL, &result, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_nonnull (result);
  g_assert_true (bk_startup_result_is_success (result));
}

/* Stops @backend and asserts that the stop succeeded. */
void
test_backend_stop_ok (BkBackend *backend)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = bk_backend_stop (backend, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

/* A tester of the default core.rootHttpRouter on the mock root config
 * (@config_json). */
BkServiceFactoryTester *
test_root_http_tester_new (const char *config_json)
{
  return bk_service_factory_tester_new (bk_service_ref_create_default_factory (BK_SERVICE_ROOT_HTTP_ROUTER),
                                        bk_mock_root_config_factory_new (config_json),
                                        NULL);
}

/* HTTP with libsoup -------------------------------------------------------- */

/* A session without the system's proxy settings (GSettings has no schemas
 * under G_TEST_OPTION_ISOLATE_DIRS, and loopback needs no proxy). */
SoupSession *
test_session_new (void)
{
  SoupSession *session = soup_session_new ();

  soup_session_set_proxy_resolver (session, NULL);
  return session;
}

/* @bytes as a NUL-terminated string ("" when empty). */
char *
test_bytes_to_string (GBytes *bytes)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);

  return size > 0 ? g_strndup (data, size) : g_strdup ("");
}

void
test_response_clear (TestResponse *response)
{
  g_clear_object (&response->message);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_clear_error (&response->error);
  g_clear_object (&response->cancellable);
}

static void
response_sent (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  TestResponse *response = user_data;

  response->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &response->error);
  response->done = TRUE;
}

/* Sends @message (transfer full) with @session and returns at once;
 * test_wait_for (&response->done, …) waits for the answer, and
 * g_cancellable_cancel (response->cancellable) cuts it short. */
void
test_response_send (TestResponse *response,
                    SoupSession  *session,
                    SoupMessage  *message)
{
  g_assert_null (response->message);
  response->message = message;
  response->cancellable = g_cancellable_new ();
  soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT,
                                    response->cancellable, response_sent, response);
}

/* @method @url with @session on the default main context (where the
 * server runs too): iterates it until the answer is in. */
void
test_request (SoupSession  *session,
              const char   *method,
              const char   *url,
              TestResponse *response)
{
  SoupMessage *message = soup_message_new (method, url);

  g_assert_nonnull (message);
  test_response_send (response, session, message);
  test_wait_for (&response->done, url);
}

/* The body of a response that did not fail. */
char *
test_response_body (TestResponse *response)
{
  g_assert_no_error (response->error);
  return test_bytes_to_string (response->body);
}

/* Raw HTTP/1.1 on one connection -------------------------------------------- */

/* A plain TCP connection to 127.0.0.1:@port. */
TestRaw *
test_raw_connect (guint port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  TestRaw *raw = g_new0 (TestRaw, 1);

  /* The default proxy resolver reads GSettings, hidden by ISOLATE_DIRS. */
  g_socket_client_set_enable_proxy (client, FALSE);
  raw->connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  raw->received = g_string_new (NULL);
  return raw;
}

void
test_raw_free (TestRaw *raw)
{
  g_object_unref (raw->connection);
  g_string_free (raw->received, TRUE);
  g_free (raw);
}

void
test_raw_write (TestRaw    *raw,
                const char *text)
{
  g_autoptr(GError) error = NULL;
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (raw->connection));

  g_assert_true (g_output_stream_write_all (out, text, strlen (text), NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
raw_read_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  TestRaw *raw = user_data;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    raw->eof = TRUE;
  else
    g_string_append_len (raw->received, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  raw->reading = FALSE;
}

/* Whether @raw holds one whole response (headers and Content-Length body). */
static gboolean
raw_has_response (TestRaw *raw)
{
  const char *end = strstr (raw->received->str, "\r\n\r\n");
  const char *length;

  if (end == NULL)
    return FALSE;
  length = g_strstr_len (raw->received->str, end - raw->received->str, "Content-Length: ");
  if (length == NULL)
    return TRUE;
  return raw->received->len - (gsize) (end + 4 - raw->received->str) >= g_ascii_strtoull (length + 16, NULL, 10);
}

/* Reads until a whole response is in (or until the server closes the
 * connection, with @until_eof), and returns what was read since the last
 * call. */
char *
test_raw_read (TestRaw  *raw,
               gboolean  until_eof)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (raw->connection));
  GSource *guard = test_guard_new (NULL, "a raw response");
  char *text;

  while (!raw->eof && (until_eof || !raw_has_response (raw)))
    {
      if (!raw->reading)
        {
          raw->reading = TRUE;
          g_input_stream_read_bytes_async (in, 4096, G_PRIORITY_DEFAULT, NULL, raw_read_cb, raw);
        }
      g_main_context_iteration (NULL, TRUE);
    }
  while (raw->reading)
    g_main_context_iteration (NULL, TRUE);
  test_guard_free (guard);

  text = g_string_free (raw->received, FALSE);
  raw->received = g_string_new (NULL);
  return text;
}

/* Databases ---------------------------------------------------------------- */

static gboolean
probe_init (BkDeps   *deps,
            gpointer  user_data,
            GError  **error)
{
  ((TestProbe *) user_data)->database = bk_deps_get (deps, BK_SERVICE_DATABASE);
  return TRUE;
}

static void
probe_register (BkPluginEnv *env,
                gpointer     user_data)
{
  bk_plugin_env_register_init (env, probe_init, user_data, NULL, BK_SERVICE_DATABASE, NULL);
}

/* A plugin @plugin_id that sets @probe's database when it starts. */
BkPlugin *
test_probe_plugin_new (const char *plugin_id,
                       TestProbe  *probe)
{
  return bk_plugin_new (plugin_id, probe_register, probe, NULL);
}

/* A started test backend whose `backend.database` is `{ @members }`, with a
 * probe plugin per id of @plugin_ids (NULL-terminated) in @probes. Returns
 * NULL with @error set when the start fails. */
BkTestBackend *
test_database_backend_new (const char  *members,
                           const char **plugin_ids,
                           TestProbe   *probes,
                           GError     **error)
{
  g_autoptr(BkTestBackend) backend = bk_test_backend_new ();
  g_autofree char *json = g_strdup_printf ("{\"backend\":{\"database\":{%s}}}", members);

  bk_test_backend_add (backend, bk_mock_root_config_factory_new (json));
  for (guint i = 0; plugin_ids[i] != NULL; i++)
    bk_test_backend_add (backend, test_probe_plugin_new (plugin_ids[i], &probes[i]));
  if (!bk_test_backend_launch (backend, error))
    return NULL;
  for (guint i = 0; plugin_ids[i] != NULL; i++)
    g_assert_nonnull (probes[i].database);
  return g_steal_pointer (&backend);
}

/* Stops *@backend, asserting it stops cleanly, and clears it. */
void
test_database_backend_stop (BkTestBackend **backend)
{
  g_autoptr(GError) error = NULL;

  bk_test_backend_stop (*backend, &error);
  g_assert_no_error (error);
  g_clear_object (backend);
}

/* Runs @sql, which must succeed. */
BkDatabaseResult *
test_db_query (BkDatabase *database,
               const char *sql,
               GVariant   *params)
{
  g_autoptr(GError) error = NULL;
  BkDatabaseResult *result = bk_database_query_sync (database, sql, params, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

/* Runs @sql, which must fail, and gives its error. */
GError *
test_db_query_error (BkDatabase *database,
                     const char *sql,
                     GVariant   *params)
{
  GError *error = NULL;
  g_autoptr(BkDatabaseResult) result = bk_database_query_sync (database, sql, params, NULL, &error);

  g_assert_null (result);
  g_assert_nonnull (error);
  return error;
}

void
test_db_exec (BkDatabase *database,
              const char *sql)
{
  g_autoptr(BkDatabaseResult) result = test_db_query (database, sql, NULL);
}

/* Runs @sql, which must fail with @code. */
void
test_db_assert_fails (BkDatabase      *database,
                      const char      *sql,
                      GVariant        *params,
                      BkDatabaseError  code)
{
  g_autoptr(GError) error = test_db_query_error (database, sql, params);

  g_assert_error (error, BK_DATABASE_ERROR, code);
}

/* A GAsyncReadyCallback that stores a reference to @result in the
 * `GAsyncResult *` at @user_data (see test_wait_for_pointer()). */
void
test_store_result (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Iterates the default main context until test_store_result() filled
 * *@slot, and gives it (still owned by *@slot). */
GAsyncResult *
test_wait_result (GAsyncResult **slot,
                  const char    *what)
{
  test_wait_for_pointer ((gpointer *) slot, what);
  return *slot;
}

/* The same for all of the @n @slots. */
void
test_wait_results (GAsyncResult **slots,
                   guint          n,
                   const char    *what)
{
  for (guint i = 0; i < n; i++)
    test_wait_result (&slots[i], what);
}

/* The process's PostgreSQL server, or NULL after g_test_skip() when
 * PostgreSQL is not installed. */
BkTestPostgres *
test_postgres_server (void)
{
  g_autoptr(GError) error = NULL;
  BkTestPostgres *postgres = bk_test_postgres_get (&error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_test_skip (error->message);
      return NULL;
    }
  g_assert_no_error (error);
  g_assert_nonnull (postgres);
  return postgres;
}
