/* test-health.c: the default core.rootHealth.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <libbackend.h>
#include <libbackend-test-utils.h>

#define NOT_STARTED   "{\"message\":\"Backend has not started yet\",\"status\":\"error\"}"
#define SHUTTING_DOWN "{\"message\":\"Backend is shutting down\",\"status\":\"error\"}"
#define OK            "{\"status\":\"ok\"}"

/* "<status> <body>", e.g. `503 {"status":"ok"}`. */
static char *
describe (guint     status,
          JsonNode *payload)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *body = NULL;

  g_assert_nonnull (payload);
  json_generator_set_root (generator, payload);
  body = json_generator_to_data (generator, NULL);

  return g_strdup_printf ("%u %s", status, body);
}

static char *
describe_readiness (BkRootHealth *health)
{
  g_autoptr(JsonNode) payload = NULL;
  guint status = 0;

  payload = bk_root_health_get_readiness (health, &status);
  return describe (status, payload);
}

static char *
describe_liveness (BkRootHealth *health)
{
  g_autoptr(JsonNode) payload = NULL;
  guint status = 0;

  payload = bk_root_health_get_liveness (health, &status);
  return describe (status, payload);
}

#define assert_readiness(health, expected)                       \
  G_STMT_START {                                                 \
    g_autofree char *got__ = describe_readiness (health);        \
    g_assert_cmpstr (got__, ==, expected);                       \
  } G_STMT_END

#define assert_liveness_ok(health)                               \
  G_STMT_START {                                                 \
    g_autofree char *got__ = describe_liveness (health);         \
    g_assert_cmpstr (got__, ==, "200 " OK);                      \
  } G_STMT_END

/* The default factory alone, on the test kit's mock root lifecycle, phases
 * triggered by hand. */
static void
test_health_factory (void)
{
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  g_autoptr(GError) error = NULL;
  BkMockLifecycle *lifecycle;
  BkRootHealth *health;

  tester = bk_service_factory_tester_new (bk_service_ref_create_default_factory (BK_SERVICE_ROOT_HEALTH),
                                          NULL);
  health = bk_service_factory_tester_get_subject (tester, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (BK_IS_ROOT_HEALTH (health));

  lifecycle = bk_service_factory_tester_get_service (tester, BK_SERVICE_ROOT_LIFECYCLE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (BK_IS_MOCK_LIFECYCLE (lifecycle));
  g_assert_cmpuint (bk_mock_lifecycle_get_n_hooks (lifecycle, BK_LIFECYCLE_PHASE_STARTUP), ==, 1);
  g_assert_cmpuint (bk_mock_lifecycle_get_n_hooks (lifecycle, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN), ==, 1);

  assert_liveness_ok (health);
  assert_readiness (health, "503 " NOT_STARTED);

  bk_mock_lifecycle_trigger (lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
  assert_liveness_ok (health);
  assert_readiness (health, "200 " OK);

  bk_mock_lifecycle_trigger (lifecycle, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN);
  assert_liveness_ok (health);
  assert_readiness (health, "503 " SHUTTING_DOWN);

  bk_mock_lifecycle_trigger (lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  assert_readiness (health, "503 " SHUTTING_DOWN);

  g_object_add_weak_pointer (G_OBJECT (health), (gpointer *) &health);
  g_clear_object (&tester);
  g_assert_null (health);
}

/* Shutdown that begins before startup (a stop during start): readiness
 * goes to "shutting down" and startup does not bring it back. */
static void
test_health_shutdown_first (void)
{
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  g_autoptr(GError) error = NULL;
  BkMockLifecycle *lifecycle;
  BkRootHealth *health;

  tester = bk_service_factory_tester_new (bk_service_ref_create_default_factory (BK_SERVICE_ROOT_HEALTH),
                                          NULL);
  health = bk_service_factory_tester_get_subject (tester, NULL, &error);
  g_assert_no_error (error);
  lifecycle = bk_service_factory_tester_get_service (tester, BK_SERVICE_ROOT_LIFECYCLE, NULL, &error);
  g_assert_no_error (error);

  bk_mock_lifecycle_trigger (lifecycle, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN);
  assert_readiness (health, "503 " SHUTTING_DOWN);
  bk_mock_lifecycle_trigger (lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
  assert_readiness (health, "503 " SHUTTING_DOWN);
  assert_liveness_ok (health);
}

/* A status pointer is optional. */
static void
test_health_optional_status (void)
{
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) liveness = NULL;
  g_autoptr(JsonNode) readiness = NULL;
  BkRootHealth *health;

  tester = bk_service_factory_tester_new (bk_service_ref_create_default_factory (BK_SERVICE_ROOT_HEALTH),
                                          NULL);
  health = bk_service_factory_tester_get_subject (tester, NULL, &error);
  g_assert_no_error (error);

  liveness = bk_root_health_get_liveness (health, NULL);
  readiness = bk_root_health_get_readiness (health, NULL);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (liveness));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (readiness));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (readiness), "status"), ==, "error");
}

/* Through a real test backend: a plugin that depends on core.rootHealth
 * reads readiness in its init, in a root before-shutdown hook it adds
 * (after the health service's own) and in its shutdown hook. */

typedef struct
{
  GPtrArray *seen;   /* (element-type utf8): "<where>: <status> <body>" */
  gboolean   fail;   /* fail the plugin's init */
} Probe;

typedef struct
{
  Probe        *probe;
  BkRootHealth *health;
  char         *where;
} Record;

static void
record_free (gpointer data)
{
  Record *record = data;

  g_object_unref (record->health);
  g_free (record->where);
  g_free (record);
}

static void
probe_record (Probe        *probe,
              const char   *where,
              BkRootHealth *health)
{
  g_autofree char *readiness = describe_readiness (health);
  g_autofree char *liveness = describe_liveness (health);

  g_ptr_array_add (probe->seen, g_strdup_printf ("%s: %s", where, readiness));
  g_assert_cmpstr (liveness, ==, "200 " OK);
}

static gboolean
record_hook (gpointer   user_data,
             GError   **error)
{
  Record *record = user_data;

  probe_record (record->probe, record->where, record->health);
  return TRUE;
}

static Record *
record_new (Probe        *probe,
            BkRootHealth *health,
            const char   *where)
{
  Record *record = g_new0 (Record, 1);

  record->probe = probe;
  record->health = g_object_ref (health);
  record->where = g_strdup (where);
  return record;
}

static gboolean
probe_init (BkDeps    *deps,
            gpointer   user_data,
            GError   **error)
{
  Probe *probe = user_data;
  BkRootHealth *health = bk_deps_get (deps, BK_SERVICE_ROOT_HEALTH);

  g_assert_true (BK_IS_ROOT_HEALTH (health));
  probe_record (probe, "init", health);

  if (probe->fail)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "probe failed on purpose");
      return FALSE;
    }

  if (!BK_LIFECYCLE_ADD_HOOK (bk_deps_get (deps, BK_SERVICE_ROOT_LIFECYCLE),
                              BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN, record_hook,
                              record_new (probe, health, "before-shutdown"), record_free, error))
    return FALSE;
  return BK_LIFECYCLE_ADD_HOOK (bk_deps_get (deps, BK_SERVICE_LIFECYCLE),
                                BK_LIFECYCLE_PHASE_SHUTDOWN, record_hook,
                                record_new (probe, health, "plugin shutdown"), record_free, error);
}

static void
probe_register (BkPluginEnv *env,
                gpointer     user_data)
{
  bk_plugin_env_register_init (env, probe_init, user_data, NULL,
                               BK_SERVICE_ROOT_HEALTH, BK_SERVICE_ROOT_LIFECYCLE,
                               BK_SERVICE_LIFECYCLE, NULL);
}

static char *
joined (Probe *probe)
{
  g_ptr_array_add (probe->seen, NULL);
  return g_strjoinv ("\n", (char **) probe->seen->pdata);
}

static void
test_health_test_backend (void)
{
  g_autoptr(BkTestBackend) backend = bk_test_backend_new ();
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *events = NULL;
  BkRootHealth *health;
  Probe probe = { seen, FALSE };

  bk_test_backend_add (backend, bk_plugin_new ("probe", probe_register, &probe, NULL));
  g_assert_true (bk_test_backend_launch (backend, &error));
  g_assert_no_error (error);

  /* The real service, on the test kit's mock root lifecycle. */
  g_assert_true (BK_IS_MOCK_LIFECYCLE (bk_test_backend_get_service (backend, BK_SERVICE_ROOT_LIFECYCLE, NULL)));
  health = bk_test_backend_get_service (backend, BK_SERVICE_ROOT_HEALTH, NULL);
  g_assert_true (BK_IS_ROOT_HEALTH (health));
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (health), ==, "BkDefaultRootHealth");

  assert_liveness_ok (health);
  assert_readiness (health, "200 " OK);

  /* Stop the backend itself while holding the service, to read it after
   * stop; drop it before the test backend's leak check. */
  g_object_ref (health);
  g_assert_true (bk_backend_stop (bk_test_backend_get_backend (backend), NULL, &error));
  g_assert_no_error (error);
  assert_liveness_ok (health);
  assert_readiness (health, "503 " SHUTTING_DOWN);
  g_object_unref (health);

  g_assert_true (bk_test_backend_stop (backend, &error));
  g_assert_no_error (error);

  events = joined (&probe);
  g_assert_cmpstr (events, ==,
                   "init: 503 " NOT_STARTED "\n"
                   "before-shutdown: 503 " SHUTTING_DOWN "\n"
                   "plugin shutdown: 503 " SHUTTING_DOWN);
}

/* Before-shutdown triggered by the test on the mock root lifecycle, with
 * the backend still running: readiness turns at once. */
static void
test_health_test_backend_trigger (void)
{
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *events = NULL;
  BkMockLifecycle *lifecycle;
  BkRootHealth *health;
  Probe probe = { seen, FALSE };

  backend = bk_test_backend_start (&error, bk_plugin_new ("probe", probe_register, &probe, NULL), NULL);
  g_assert_no_error (error);

  health = bk_test_backend_get_service (backend, BK_SERVICE_ROOT_HEALTH, NULL);
  lifecycle = bk_test_backend_get_service (backend, BK_SERVICE_ROOT_LIFECYCLE, NULL);
  assert_readiness (health, "200 " OK);

  bk_mock_lifecycle_trigger (lifecycle, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN);
  assert_readiness (health, "503 " SHUTTING_DOWN);
  assert_liveness_ok (health);

  g_assert_true (bk_test_backend_stop (backend, &error));
  g_assert_no_error (error);

  events = joined (&probe);
  g_assert_cmpstr (events, ==,
                   "init: 503 " NOT_STARTED "\n"
                   "before-shutdown: 503 " SHUTTING_DOWN "\n"
                   "plugin shutdown: 503 " SHUTTING_DOWN);
}

/* A backend whose startup failed never becomes ready. */
static void
test_health_test_backend_failed_start (void)
{
  g_autoptr(BkTestBackend) backend = bk_test_backend_new ();
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *events = NULL;
  BkRootHealth *health;
  Probe probe = { seen, TRUE };

  bk_test_backend_add (backend, bk_plugin_new ("probe", probe_register, &probe, NULL));
  g_assert_false (bk_test_backend_launch (backend, &error));
  g_assert_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_STARTUP_FAILED);

  health = bk_test_backend_get_service (backend, BK_SERVICE_ROOT_HEALTH, NULL);
  g_assert_true (BK_IS_ROOT_HEALTH (health));
  assert_readiness (health, "503 " NOT_STARTED);
  assert_liveness_ok (health);

  g_clear_error (&error);
  g_assert_true (bk_test_backend_stop (backend, &error));
  g_assert_no_error (error);

  events = joined (&probe);
  g_assert_cmpstr (events, ==, "init: 503 " NOT_STARTED);
}

/* The ref: root scope, single, with the default factory that test
 * backends (through the ref) and bk_backend_new() (explicitly) use. */
static void
test_health_backend_default (void)
{
  g_autoptr(BkServiceFactory) factory = bk_service_ref_create_default_factory (BK_SERVICE_ROOT_HEALTH);

  g_assert_true (BK_IS_SERVICE_FACTORY (factory));
  g_assert_true (bk_service_factory_get_service (factory) == BK_SERVICE_ROOT_HEALTH);
  g_assert_cmpstr (bk_service_ref_get_id (BK_SERVICE_ROOT_HEALTH), ==, "core.rootHealth");
  g_assert_cmpint (bk_service_ref_get_scope (BK_SERVICE_ROOT_HEALTH), ==, BK_SERVICE_SCOPE_ROOT);
  g_assert_false (bk_service_ref_is_multiton (BK_SERVICE_ROOT_HEALTH));
  g_assert_true (bk_service_ref_has_default_factory (BK_SERVICE_ROOT_HEALTH));
}

/* backend.health.headers (R72): added to both endpoints' answers. */
static void
test_health_headers (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestBackend) tb = NULL;
  const char *paths[] = { "/.backstage/health/v1/liveness", "/.backstage/health/v1/readiness" };

  tb = bk_test_backend_start (&error,
                              bk_mock_root_config_factory_new ("{\"backend\":{\"health\":{\"headers\":"
                                                               "{\"X-Health\":\"yes\",\"Cache-Control\":\"no-store\"}}}}"),
                              NULL);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(BkTestResponse) res = bk_test_backend_request (tb, "GET", paths[i], NULL, &error);

      g_assert_no_error (error);
      bk_test_assert_status (res, 200);
      bk_test_assert_json_equal (res, OK);
      bk_test_assert_header (res, "X-Health", "yes");
      bk_test_assert_header (res, "Cache-Control", "no-store");
    }

  /* Only on the health endpoints. */
  {
    g_autoptr(BkTestResponse) res = bk_test_backend_request (tb, "GET", "/api/nope", NULL, &error);

    g_assert_no_error (error);
    bk_test_assert_status (res, 404);
    g_assert_null (bk_test_response_get_header (res, "X-Health"));
  }
}

typedef struct
{
  const char *headers;   /* JSON */
  const char *error;
} HeadersCase;

static const HeadersCase headers_cases[] = {
  { "\"nope\"", "Invalid type in config for key 'backend.health.headers' in 'mock-config', got string, wanted object" },
  { "[\"a\"]", "Invalid type in config for key 'backend.health.headers' in 'mock-config', got array, wanted object" },
  { "{\"X-A\":\"\"}", "Invalid header value at backend.health.headers.X-A, must be a non-empty string" },
  { "{\"X-A\":\"ok\",\"X-B\":5}", "Invalid header value at backend.health.headers.X-B, must be a non-empty string" },
  { "{\"X-A\":{}}", "Invalid header value at backend.health.headers.X-A, must be a non-empty string" },
};

/* A bad value fails startup. */
static void
test_health_headers_bad (gconstpointer data)
{
  const HeadersCase *c = data;
  g_autofree char *config = g_strdup_printf ("{\"backend\":{\"health\":{\"headers\":%s}}}", c->headers);
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestBackend) tb = NULL;

  tb = bk_test_backend_start (&error, bk_mock_root_config_factory_new (config), NULL);
  g_assert_null (tb);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, c->error));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/health/factory", test_health_factory);
  g_test_add_func ("/health/shutdown-first", test_health_shutdown_first);
  g_test_add_func ("/health/optional-status", test_health_optional_status);
  g_test_add_func ("/health/ref", test_health_backend_default);
  g_test_add_func ("/health/test-backend/stop", test_health_test_backend);
  g_test_add_func ("/health/test-backend/trigger", test_health_test_backend_trigger);
  g_test_add_func ("/health/test-backend/failed-start", test_health_test_backend_failed_start);
  g_test_add_func ("/health/headers", test_health_headers);
  for (guint i = 0; i < G_N_ELEMENTS (headers_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/health/headers/bad/%u", i);

      g_test_add_data_func (name, &headers_cases[i], test_health_headers_bad);
    }

  return g_test_run ();
}
