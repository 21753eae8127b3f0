/* test-running.c: what a running backend reports — startup progress on the
 * clock and config keys nobody read (DESIGN.md §2 rule 11, §9).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbackend.h>
#include <libbackend-test-utils.h>

#include "test-util.h"

/* Startup progress --------------------------------------------------------- */

typedef struct
{
  gboolean  slow_began;
  GTask    *slow_task;
  gboolean  started;
} Progress;

static gboolean
fast_init (BkDeps   *deps,
           gpointer  user_data,
           GError  **error)
{
  return TRUE;
}

static void
fast_register (BkPluginEnv *env,
               gpointer     user_data)
{
  bk_plugin_env_register_init (env, fast_init, NULL, NULL, NULL);
}

static void
slow_init (BkDeps   *deps,
           GTask    *task,
           gpointer  user_data)
{
  Progress *p = user_data;

  /* completes when the test says so */
  p->slow_began = TRUE;
  p->slow_task = task;
}

static void
slow_register (BkPluginEnv *env,
               gpointer     user_data)
{
  bk_plugin_env_register_init_async (env, slow_init, user_data, NULL, NULL);
}

static void
progress_started (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Progress *p = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (bk_backend_start_finish (BK_BACKEND (source), result, NULL, &error));
  g_assert_no_error (error);
  p->started = TRUE;
}

static void
test_running_progress (void)
{
  g_autoptr(BkTestBackend) tb = bk_test_backend_new ();
  Progress p = { FALSE, NULL, FALSE };
  BkMockLogger *logger;
  BkMockClock *clock;
  GSource *guard;

  bk_test_backend_add (tb, bk_plugin_new ("fast", fast_register, NULL, NULL));
  bk_test_backend_add (tb, bk_plugin_new ("slow", slow_register, &p, NULL));

  guard = test_guard_new (NULL, "the slow plugin");
  bk_backend_start_async (bk_test_backend_get_backend (tb), NULL, progress_started, &p);
  while (!p.slow_began)
    g_main_context_iteration (NULL, TRUE);

  logger = bk_test_backend_get_service (tb, BK_SERVICE_ROOT_LOGGER, NULL);
  clock = bk_test_backend_get_service (tb, BK_SERVICE_ROOT_CLOCK, NULL);
  g_assert_true (BK_IS_MOCK_LOGGER (logger));
  g_assert_true (BK_IS_MOCK_CLOCK (clock));

  /* the plugins in the order they start, which the seed shuffles */
  g_assert_cmpuint (bk_mock_logger_count (logger, BK_LOG_LEVEL_INFO, "Plugin initialization started: *'fast'*"), ==, 1);
  g_assert_cmpuint (bk_mock_logger_count (logger, BK_LOG_LEVEL_INFO, "Plugin initialization started: *'slow'*"), ==, 1);
  bk_mock_logger_assert_logged_with_field (logger, BK_LOG_LEVEL_INFO, "Plugin initialization started: *",
                                           "type", "initialization");
  g_assert_cmpuint (bk_mock_logger_count (logger, BK_LOG_LEVEL_INFO, "Plugin initialization in progress*"), ==, 0);

  /* 1 s: who finished, who is still at it */
  bk_mock_clock_advance (clock, 999);
  g_assert_cmpuint (bk_mock_logger_count (logger, BK_LOG_LEVEL_INFO, "Plugin initialization in progress*"), ==, 0);
  bk_mock_clock_advance (clock, 1);
  bk_mock_logger_assert_logged (logger, BK_LOG_LEVEL_INFO,
                                "Plugin initialization in progress, newly initialized: 'fast', still initializing: 'slow'");

  /* then 1 s, 2 s, 3 s, …: the intervals grow */
  bk_mock_clock_advance (clock, 1000);
  bk_mock_logger_assert_logged (logger, BK_LOG_LEVEL_INFO,
                                "Plugin initialization in progress, still initializing: 'slow'");
  bk_mock_clock_advance (clock, 1999);
  g_assert_cmpuint (bk_mock_logger_count (logger, BK_LOG_LEVEL_INFO, "Plugin initialization in progress*"), ==, 2);
  bk_mock_clock_advance (clock, 1);
  g_assert_cmpuint (bk_mock_logger_count (logger, BK_LOG_LEVEL_INFO, "Plugin initialization in progress*"), ==, 3);

  g_task_return_boolean (p.slow_task, TRUE);
  g_clear_object (&p.slow_task);
  while (!p.started)
    g_main_context_iteration (NULL, TRUE);
  test_guard_free (guard);

  bk_mock_logger_assert_logged (logger, BK_LOG_LEVEL_INFO, "Plugin initialization complete, newly initialized: 'slow'");
  /* no more progress lines once started */
  bk_mock_clock_advance (clock, 600000);
  g_assert_cmpuint (bk_mock_logger_count (logger, BK_LOG_LEVEL_INFO, "Plugin initialization in progress*"), ==, 3);
}

/* Unread config keys --------------------------------------------------------- */

static gboolean
reader_init (BkDeps   *deps,
             gpointer  user_data,
             GError  **error)
{
  g_autoptr(BkConfig) config = bk_root_config_dup_config (bk_deps_get (deps, BK_SERVICE_ROOT_CONFIG));
  gint64 max_items;

  return bk_config_get_int (config, "todo.maxItems", &max_items, error);
}

static void
reader_register (BkPluginEnv *env,
                 gpointer     user_data)
{
  bk_plugin_env_register_init (env, reader_init, NULL, NULL, BK_SERVICE_ROOT_CONFIG, NULL);
}

static void
test_running_unread_config (gconstpointer data)
{
  const char *json = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestBackend) tb = NULL;
  BkMockLogger *logger;

  tb = bk_test_backend_start (&error,
                              bk_mock_root_config_factory_new (json),
                              bk_plugin_new ("todo", reader_register, NULL, NULL),
                              NULL);
  g_assert_no_error (error);
  logger = bk_test_backend_get_service (tb, BK_SERVICE_ROOT_LOGGER, NULL);

  /* a typo, named with its file */
  bk_mock_logger_assert_logged (logger, BK_LOG_LEVEL_WARN,
                                "Config key 'backend.lisen.port' in 'mock-config' was not read by any plugin or service; is it misspelled?");
  /* read by the plugin; under an ignored prefix; the policy keys, read at every start */
  g_assert_cmpuint (bk_mock_logger_count (logger, BK_LOG_LEVEL_WARN, "*'todo.maxItems'*"), ==, 0);
  g_assert_cmpuint (bk_mock_logger_count (logger, BK_LOG_LEVEL_WARN, "*'app.title'*"), ==, 0);
  g_assert_cmpuint (bk_mock_logger_count (logger, BK_LOG_LEVEL_WARN, "*'custom.*"), ==, 0);
  g_assert_cmpuint (bk_mock_logger_count (logger, BK_LOG_LEVEL_WARN, "*backend.startup*"), ==, 0);
  g_assert_cmpuint (bk_mock_logger_count (logger, BK_LOG_LEVEL_WARN, "*was not read*"), ==, 1);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/running/progress", test_running_progress);
  g_test_add_data_func ("/running/unread-config",
                        "{\"backend\":{\"lisen\":{\"port\":7007},"
                        "\"config\":{\"ignoreUnread\":[\"custom\"]},"
                        "\"startup\":{\"plugins\":{\"todo\":{\"onPluginBootFailure\":\"continue\"}}}},"
                        "\"app\":{\"title\":\"Todo\"},\"custom\":{\"x\":1},\"todo\":{\"maxItems\":3}}",
                        test_running_unread_config);

  return g_test_run ();
}
