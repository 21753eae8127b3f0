/* test-http-tls.c: the root router over HTTPS (backend.https.certificate),
 * with the self-signed test certificate of tests/data (see its README).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <libbackend.h>
#include <libbackend-test-utils.h>

#define OK "{\"status\":\"ok\"}"

static char *
read_data (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", name, NULL);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  return text;
}

/* {"backend":{"listen":…,"https":{"certificate":{"cert":@cert,"key":@key}}}} */
static char *
https_config (const char *cert,
              const char *key)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "backend");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "listen");
  json_builder_add_string_value (builder, "127.0.0.1:0");
  json_builder_set_member_name (builder, "https");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "certificate");
  json_builder_begin_object (builder);
  if (cert != NULL)
    {
      json_builder_set_member_name (builder, "cert");
      json_builder_add_string_value (builder, cert);
    }
  if (key != NULL)
    {
      json_builder_set_member_name (builder, "key");
      json_builder_add_string_value (builder, key);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static BkServiceFactoryTester *
tester_new (const char *config)
{
  return bk_service_factory_tester_new (bk_service_ref_create_default_factory (BK_SERVICE_ROOT_HTTP_ROUTER),
                                        bk_mock_root_config_factory_new (config),
                                        NULL);
}

typedef struct
{
  gboolean  done;
  GBytes   *body;
  GError   *error;
} Response;

static void
sent (GObject      *source,
      GAsyncResult *result,
      gpointer      user_data)
{
  Response *response = user_data;

  response->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &response->error);
  response->done = TRUE;
}

static gboolean
guard_timeout (gpointer user_data)
{
  g_error ("timed out waiting for %s", (const char *) user_data);
  return G_SOURCE_REMOVE;
}

static guint
get (SoupSession  *session,
     const char   *url,
     char        **body,
     GError      **error)
{
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  GSource *guard = g_timeout_source_new_seconds (10);
  Response response = { 0 };

  g_source_set_callback (guard, guard_timeout, (gpointer) url, NULL);
  g_source_attach (guard, NULL);
  soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, NULL, sent, &response);
  while (!response.done)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (guard);
  g_source_unref (guard);

  if (response.error != NULL)
    {
      g_propagate_error (error, response.error);
      return 0;
    }
  *body = g_strndup (g_bytes_get_data (response.body, NULL), g_bytes_get_size (response.body));
  g_bytes_unref (response.body);
  return soup_message_get_status (message);
}

/* A client that trusts the test certificate as its only authority. */
static SoupSession *
trusting_session_new (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "tls-cert.pem", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = g_tls_file_database_new (path, &error);
  SoupSession *session;

  g_assert_no_error (error);
  session = soup_session_new ();
  soup_session_set_proxy_resolver (session, NULL);
  soup_session_set_tls_database (session, database);
  return session;
}

static void
test_http_tls_serves (void)
{
  g_autofree char *cert = read_data ("tls-cert.pem");
  g_autofree char *key = read_data ("tls-key.pem");
  g_autofree char *config = https_config (cert, key);
  g_autoptr(BkServiceFactoryTester) tester = tester_new (config);
  g_autoptr(SoupSession) session = trusting_session_new ();
  g_autoptr(SoupSession) plain = soup_session_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *base_url = NULL;
  g_autofree char *url = NULL;
  g_autofree char *http_url = NULL;
  g_autofree char *body = NULL;
  BkRootHttpRouter *router;

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    g_error ("no GIO TLS backend: install glib-networking (scripts/install-deps.sh)");

  router = bk_service_factory_tester_get_subject (tester, NULL, &error);
  g_assert_no_error (error);

  base_url = bk_root_http_router_dup_base_url (router);
  g_assert_true (g_str_has_prefix (base_url, "https://127.0.0.1:"));

  url = g_strconcat (base_url, "/.backstage/health/v1/liveness", NULL);
  g_assert_cmpuint (get (session, url, &body, &error), ==, 200);
  g_assert_no_error (error);
  g_assert_cmpstr (body, ==, OK);

  /* A client that does not trust it fails the handshake. */
  soup_session_set_proxy_resolver (plain, NULL);
  g_assert_cmpuint (get (plain, url, &body, &error), ==, 0);
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_clear_error (&error);

  /* Plain HTTP on the HTTPS port gets no answer. */
  http_url = g_strdup_printf ("http://127.0.0.1:%u/.backstage/health/v1/liveness",
                              bk_root_http_router_get_port (router));
  g_clear_pointer (&body, g_free);
  g_assert_cmpuint (get (session, http_url, &body, &error), ==, 0);
  g_assert_nonnull (error);
}

typedef struct
{
  const char *config;   /* NULL: from cert_name and key_name */
  const char *cert_name;
  const char *key_name;
  const char *error;
} BadCase;

static const BadCase bad_cases[] = {
  { "{\"backend\":{\"listen\":\"127.0.0.1:0\",\"https\":true}}", NULL, NULL,
    "backend.https is set but backend.https.certificate.cert and backend.https.certificate.key are missing; "
    "libbackend does not generate self-signed certificates" },
  { "{\"backend\":{\"listen\":\"127.0.0.1:0\",\"https\":{}}}", NULL, NULL,
    "backend.https is set but backend.https.certificate.cert and backend.https.certificate.key are missing" },
  { "{\"backend\":{\"listen\":\"127.0.0.1:0\",\"https\":\"yes\"}}", NULL, NULL,
    "Unable to convert config value for key 'backend.https' in 'mock-config' to a boolean" },
  { NULL, "tls-cert.pem", NULL,
    "backend.https is set but backend.https.certificate.cert and backend.https.certificate.key are missing" },
  { NULL, "garbage", "tls-key.pem",
    "Invalid certificate in config at 'backend.https.certificate.cert', " },
  { NULL, "tls-cert.pem", "garbage",
    "Invalid private key in config at 'backend.https.certificate.key', " },
};

static void
test_http_tls_bad (gconstpointer data)
{
  const BadCase *c = data;
  g_autofree char *config = NULL;
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  g_autoptr(GError) error = NULL;

  if (c->config != NULL)
    config = g_strdup (c->config);
  else
    {
      g_autofree char *cert = g_str_equal (c->cert_name, "garbage") ? g_strdup ("not a PEM") : read_data (c->cert_name);
      g_autofree char *key = NULL;

      if (c->key_name != NULL)
        key = g_str_equal (c->key_name, "garbage") ? g_strdup ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
                                                   : read_data (c->key_name);
      config = https_config (cert, key);
    }

  tester = tester_new (config);
  g_assert_null (bk_service_factory_tester_get_subject (tester, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, c->error));
}

/* https: false is plain HTTP. */
static void
test_http_tls_off (void)
{
  g_autoptr(BkServiceFactoryTester) tester = tester_new ("{\"backend\":{\"listen\":\"127.0.0.1:0\",\"https\":false}}");
  g_autoptr(GError) error = NULL;
  g_autofree char *base_url = NULL;
  BkRootHttpRouter *router;

  router = bk_service_factory_tester_get_subject (tester, NULL, &error);
  g_assert_no_error (error);
  base_url = bk_root_http_router_dup_base_url (router);
  g_assert_true (g_str_has_prefix (base_url, "http://127.0.0.1:"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/http-tls/serves", test_http_tls_serves);
  g_test_add_func ("/http-tls/off", test_http_tls_off);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/http-tls/bad/%u", i);

      g_test_add_data_func (name, &bad_cases[i], test_http_tls_bad);
    }

  return g_test_run ();
}
