/* test-util.h: helpers shared by the test programs (not installed).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libbackend.h>
#include <libbackend-test-utils.h>

G_BEGIN_DECLS

/* Waiting on the main context ----------------------------------------------- */

/* How long a wait may take before the test fails instead of hanging. */
#define TEST_GUARD_SECONDS 20

GSource     *test_guard_new          (GMainContext  *context,
                                      const char    *what);
void         test_guard_free         (GSource       *guard);
void         test_wait_for           (gboolean      *flag,
                                      const char    *what);
void         test_wait_for_pointer   (gpointer      *pointer,
                                      const char    *what);
void         test_settle             (void);

/* Asserts that the event log @events (words each followed by a space) reads
 * @expected, and empties it for the next step. */
#define test_assert_events(events, expected)                      \
  G_STMT_START {                                                  \
    GString *events__ = (events);                                 \
    g_assert_cmpstr (g_strchomp (events__->str), ==, (expected)); \
    g_string_truncate (events__, 0);                              \
  } G_STMT_END

/* Backends ----------------------------------------------------------------- */

BkBackend   *test_backend_new        (const char    *config_json);
void         test_backend_start_ok   (BkBackend     *backend);
void         test_backend_stop_ok    (BkBackend     *backend);

BkServiceFactoryTester *test_root_http_tester_new (const char *config_json);

/* HTTP with libsoup -------------------------------------------------------- */

SoupSession *test_session_new        (void);
char        *test_bytes_to_string    (GBytes        *bytes);

/* One request's outcome, filled in by test_response_send(). */
typedef struct
{
  gboolean      done;
  SoupMessage  *message;
  GBytes       *body;
  GError       *error;
  GCancellable *cancellable;
} TestResponse;

void         test_response_clear     (TestResponse  *response);
void         test_response_send      (TestResponse  *response,
                                      SoupSession   *session,
                                      SoupMessage   *message);
void         test_request            (SoupSession   *session,
                                      const char    *method,
                                      const char    *url,
                                      TestResponse  *response);
char        *test_response_body      (TestResponse  *response);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TestResponse, test_response_clear)

/* Raw HTTP/1.1 on one connection -------------------------------------------- */

typedef struct
{
  GSocketConnection *connection;
  GString           *received;
  gboolean           eof;
  gboolean           reading;
} TestRaw;

TestRaw     *test_raw_connect        (guint          port);
void         test_raw_free           (TestRaw       *raw);
void         test_raw_write          (TestRaw       *raw,
                                      const char    *text);
char        *test_raw_read           (TestRaw       *raw,
                                      gboolean       until_eof);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestRaw, test_raw_free)

/* Databases ---------------------------------------------------------------- */

/* A plugin that keeps its core.database, set by its init. */
typedef struct
{
  BkDatabase *database;   /* valid while the backend runs */
} TestProbe;

BkPlugin         *test_probe_plugin_new      (const char     *plugin_id,
                                              TestProbe      *probe);
BkTestBackend    *test_database_backend_new  (const char     *members,
                                              const char    **plugin_ids,
                                              TestProbe      *probes,
                                              GError        **error);
void              test_database_backend_stop (BkTestBackend **backend);

BkDatabaseResult *test_db_query              (BkDatabase     *database,
                                              const char     *sql,
                                              GVariant       *params);
GError           *test_db_query_error        (BkDatabase     *database,
                                              const char     *sql,
                                              GVariant       *params);
void              test_db_exec               (BkDatabase     *database,
                                              const char     *sql);
void              test_db_assert_fails       (BkDatabase     *database,
                                              const char     *sql,
                                              GVariant       *params,
                                              BkDatabaseError code);
void              test_store_result          (GObject        *source,
                                              GAsyncResult   *result,
                                              gpointer        user_data);
GAsyncResult     *test_wait_result           (GAsyncResult  **slot,
                                              const char     *what);
void              test_wait_results          (GAsyncResult  **slots,
                                              guint           n,
                                              const char     *what);

BkTestPostgres   *test_postgres_server       (void);

G_END_DECLS
