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

G_END_DECLS
