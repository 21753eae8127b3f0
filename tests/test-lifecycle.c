/* test-lifecycle.c: the default core.rootLifecycle and core.lifecycle.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbackend.h>
#include <libbackend-test-utils.h>

#include "test-util.h"

#define PLUGIN_ID "test-plugin"

typedef struct
{
  BkServiceFactoryTester *tester;
  BkLifecycle            *lifecycle;   /* owned by the tester */
  BkMockLogger           *logger;      /* the root mock logger, owned by the tester */
  BkMockClock            *clock;       /* owned by the tester */
  GString                *events;
  guint                   n_destroyed;
  /* (element-type GTask): tasks of hung hooks, in the order they started */
  GPtrArray              *held;
} Fixture;

/* @subject: the lifecycle factory under test (transfer full), or NULL for
 * the library's default; @config: the root config, or NULL for `{}`. */
static void
fixture_set_up_full (Fixture          *fixture,
                     gboolean          is_root,
                     BkServiceFactory *subject,
                     const char       *config)
{
  g_autoptr(GError) error = NULL;

  if (subject == NULL)
    subject = bk_service_ref_create_default_factory (is_root ? BK_SERVICE_ROOT_LIFECYCLE
                                                             : BK_SERVICE_LIFECYCLE);

  if (is_root)
    fixture->tester =
      bk_service_factory_tester_new (subject,
                                     bk_mock_root_logger_factory_new (),
                                     bk_mock_root_config_factory_new (config),
                                     NULL);
  else
    fixture->tester =
      bk_service_factory_tester_new (subject,
                                     bk_mock_root_logger_factory_new (),
                                     bk_mock_logger_factory_new (),
                                     bk_mock_root_config_factory_new (config),
                                     NULL);
  g_assert_nonnull (fixture->tester);

  fixture->lifecycle = bk_service_factory_tester_get_subject (fixture->tester,
                                                              is_root ? NULL : PLUGIN_ID,
                                                              &error);
  g_assert_no_error (error);
  g_assert_true (BK_IS_LIFECYCLE (fixture->lifecycle));

  fixture->logger = bk_service_factory_tester_get_service (fixture->tester,
                                                           BK_SERVICE_ROOT_LOGGER,
                                                           NULL,
                                                           &error);
  g_assert_no_error (error);
  g_assert_true (BK_IS_MOCK_LOGGER (fixture->logger));

  /* The test kit's default clock: deadlines fire only when a test says. */
  fixture->clock = bk_service_factory_tester_get_service (fixture->tester,
                                                          BK_SERVICE_ROOT_CLOCK,
                                                          NULL,
                                                          &error);
  g_assert_no_error (error);
  g_assert_true (BK_IS_MOCK_CLOCK (fixture->clock));

  fixture->events = g_string_new (NULL);
  fixture->held = g_ptr_array_new_with_free_func (g_object_unref);
}

static void
fixture_set_up (Fixture  *fixture,
                gboolean  is_root)
{
  fixture_set_up_full (fixture, is_root, NULL, NULL);
}

static void
fixture_set_up_root (Fixture       *fixture,
                     gconstpointer  data)
{
  fixture_set_up (fixture, TRUE);
}

static void
fixture_set_up_plugin (Fixture       *fixture,
                       gconstpointer  data)
{
  fixture_set_up (fixture, FALSE);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  /* Every hung hook was completed by its test. */
  g_assert_cmpuint (fixture->held->len, ==, 0);
  g_ptr_array_unref (fixture->held);

  fixture->lifecycle = NULL;
  fixture->logger = NULL;
  fixture->clock = NULL;
  g_clear_object (&fixture->tester);
  g_string_free (fixture->events, TRUE);
}

/* Hooks: each appends to fixture->events; a sync hook appends "<name> ", an
 * async one "<name>> " when it starts and "<name>< " when it completes. */

typedef struct
{
  Fixture  *fixture;
  char     *name;
  gboolean  fail;
  guint     delay;   /* main-context iterations before an async hook completes */
  gboolean  hang;    /* an async hook that keeps its task in fixture->held */
} Hook;

static Hook *
hook_new (Fixture    *fixture,
          const char *name,
          gboolean    fail,
          guint       delay)
{
  Hook *hook = g_new0 (Hook, 1);

  hook->fixture = fixture;
  hook->name = g_strdup (name);
  hook->fail = fail;
  hook->delay = delay;

  return hook;
}

static void
hook_free (gpointer data)
{
  Hook *hook = data;

  hook->fixture->n_destroyed++;
  g_free (hook->name);
  g_free (hook);
}

static gboolean
sync_hook (gpointer   user_data,
           GError   **error)
{
  Hook *hook = user_data;

  g_string_append_printf (hook->fixture->events, "%s ", hook->name);

  if (hook->fail)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed", hook->name);
      return FALSE;
    }

  return TRUE;
}

typedef struct
{
  GTask *task;
  Hook  *hook;
  guint  remaining;
} PendingHook;

static void
complete_hook (GTask *task,
               Hook  *hook)
{
  g_string_append_printf (hook->fixture->events, "%s< ", hook->name);

  if (hook->fail)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed", hook->name);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static gboolean
pending_hook_cb (gpointer user_data)
{
  PendingHook *pending = user_data;

  if (--pending->remaining > 0)
    return G_SOURCE_CONTINUE;

  complete_hook (g_steal_pointer (&pending->task), pending->hook);
  return G_SOURCE_REMOVE;
}

static void
async_hook (GTask    *task,
            gpointer  user_data)
{
  Hook *hook = user_data;
  PendingHook *pending;
  g_autoptr(GSource) source = NULL;

  g_string_append_printf (hook->fixture->events, "%s> ", hook->name);

  if (hook->hang)
    {
      g_ptr_array_add (hook->fixture->held, task);
      return;
    }

  if (hook->delay == 0)
    {
      complete_hook (task, hook);
      return;
    }

  pending = g_new0 (PendingHook, 1);
  pending->task = task;
  pending->hook = hook;
  pending->remaining = hook->delay;

  source = g_idle_source_new ();
  g_source_set_callback (source, pending_hook_cb, pending, g_free);
  g_source_attach (source, g_main_context_get_thread_default ());
}

static void
add_sync (Fixture          *fixture,
          BkLifecyclePhase  phase,
          const char       *name,
          gboolean          fail)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = bk_lifecycle_add_hook (fixture->lifecycle, phase, sync_hook,
                              hook_new (fixture, name, fail, 0), hook_free,
                              &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
add_async (Fixture          *fixture,
           BkLifecyclePhase  phase,
           const char       *name,
           gboolean          fail,
           guint             delay)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = bk_lifecycle_add_hook_async (fixture->lifecycle, phase, async_hook,
                                    hook_new (fixture, name, fail, delay), hook_free,
                                    &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (result);
}

/* Iterates the thread-default main context until @result is set, failing the
 * test instead of hanging. */
static void
wait_for_result (GAsyncResult **result)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  GSource *guard = test_guard_new (context, "the phase to complete");

  while (*result == NULL)
    g_main_context_iteration (context, TRUE);
  test_guard_free (guard);
}

static void
run_phase_full (BkLifecycle      *lifecycle,
                BkLifecyclePhase  phase,
                GCancellable     *cancellable)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  bk_lifecycle_run_phase_async (lifecycle, phase, cancellable, store_result_cb, &result);
  wait_for_result (&result);

  ok = bk_lifecycle_run_phase_finish (lifecycle, result, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
run_phase (BkLifecycle      *lifecycle,
           BkLifecyclePhase  phase)
{
  run_phase_full (lifecycle, phase, NULL);
}

static void
test_lifecycle_order_root (Fixture       *fixture,
                           gconstpointer  data)
{
  add_sync (fixture, BK_LIFECYCLE_PHASE_STARTUP, "s1", FALSE);
  add_async (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "d1", FALSE, 0);
  add_sync (fixture, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN, "b1", FALSE);
  add_async (fixture, BK_LIFECYCLE_PHASE_STARTUP, "s2", FALSE, 2);
  add_sync (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "d2", FALSE);
  add_async (fixture, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN, "b2", FALSE, 1);
  add_sync (fixture, BK_LIFECYCLE_PHASE_STARTUP, "s3", FALSE);
  add_sync (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "d3", FALSE);

  g_assert_cmpstr (fixture->events->str, ==, "");

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
  test_assert_events (fixture->events, "s1 s2> s2< s3");

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN);
  test_assert_events (fixture->events, "b1 b2> b2<");

  /* Shutdown hooks run in the reverse order of registration. */
  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  test_assert_events (fixture->events, "d3 d2 d1> d1<");

  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR, NULL), ==, 0);
}

static void
test_lifecycle_order_plugin (Fixture       *fixture,
                             gconstpointer  data)
{
  add_sync (fixture, BK_LIFECYCLE_PHASE_STARTUP, "s1", FALSE);
  add_sync (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "d1", FALSE);
  add_async (fixture, BK_LIFECYCLE_PHASE_STARTUP, "s2", FALSE, 1);
  add_async (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "d2", FALSE, 1);

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
  test_assert_events (fixture->events, "s1 s2> s2<");

  /* A plugin lifecycle has no before-shutdown hooks; running the phase is
   * harmless. */
  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN);
  test_assert_events (fixture->events, "");

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  test_assert_events (fixture->events, "d2> d2< d1");
}

static void
test_lifecycle_phase_once (Fixture       *fixture,
                           gconstpointer  data)
{
  add_sync (fixture, BK_LIFECYCLE_PHASE_STARTUP, "s", FALSE);
  add_async (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "d", FALSE, 1);

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
  test_assert_events (fixture->events, "s");

  /* As Backstage's "should execute registered shutdown hook": three calls,
   * one run. */
  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  test_assert_events (fixture->events, "d> d<");
}

/* A second run started while the first is still going completes at once,
 * without waiting for or rerunning the hooks. */
static void
test_lifecycle_phase_once_concurrent (Fixture       *fixture,
                                      gconstpointer  data)
{
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GError) error = NULL;

  add_async (fixture, BK_LIFECYCLE_PHASE_STARTUP, "slow", FALSE, 5);

  bk_lifecycle_run_phase_async (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP, NULL,
                                store_result_cb, &first);
  bk_lifecycle_run_phase_async (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP, NULL,
                                store_result_cb, &second);

  wait_for_result (&second);
  g_assert_null (first);
  g_assert_true (bk_lifecycle_run_phase_finish (fixture->lifecycle, second, &error));
  g_assert_no_error (error);

  wait_for_result (&first);
  g_assert_true (bk_lifecycle_run_phase_finish (fixture->lifecycle, first, &error));
  g_assert_no_error (error);

  test_assert_events (fixture->events, "slow> slow<");
}

typedef struct
{
  BkLifecyclePhase  phase;
  gboolean          is_root;
  const char       *message;
} FailureCase;

static const FailureCase failure_cases[] = {
  { BK_LIFECYCLE_PHASE_STARTUP, TRUE, "Startup hook failed, " },
  { BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN, TRUE, "Before shutdown hook failed, " },
  { BK_LIFECYCLE_PHASE_SHUTDOWN, TRUE, "Shutdown hook failed, " },
  { BK_LIFECYCLE_PHASE_STARTUP, FALSE, "Plugin startup hook failed, " },
  { BK_LIFECYCLE_PHASE_SHUTDOWN, FALSE, "Plugin shutdown hook failed, " },
};

/* A failing hook, sync or async, is logged and the phase goes on. */
static void
test_lifecycle_failing_hook (gconstpointer data)
{
  const FailureCase *failure = data;
  Fixture fixture_storage = { 0 };
  g_auto(GStrv) messages = NULL;
  g_autofree char *pattern = NULL;
  Fixture *fixture = &fixture_storage;
  gboolean shutdown = failure->phase == BK_LIFECYCLE_PHASE_SHUTDOWN;

  fixture_set_up (fixture, failure->is_root);

  add_sync (fixture, failure->phase, "h1", FALSE);
  add_sync (fixture, failure->phase, "h2", TRUE);
  add_async (fixture, failure->phase, "h3", TRUE, 2);
  add_async (fixture, failure->phase, "h4", FALSE, 0);

  run_phase (fixture->lifecycle, failure->phase);
  test_assert_events (fixture->events, shutdown ? "h4> h4< h3> h3< h2 h1" : "h1 h2 h3> h3< h4> h4<");

  pattern = g_strdup_printf ("%s*", failure->message);
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR, pattern), ==, 2);
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR, NULL), ==, 2);

  messages = bk_mock_logger_dup_messages (fixture->logger, BK_LOG_LEVEL_ERROR);
  g_assert_cmpuint (g_strv_length (messages), ==, 2);
  {
    g_autofree char *h2 = g_strconcat (failure->message, "h2 failed", NULL);
    g_autofree char *h3 = g_strconcat (failure->message, "h3 failed", NULL);

    g_assert_cmpstr (messages[shutdown ? 1 : 0], ==, h2);
    g_assert_cmpstr (messages[shutdown ? 0 : 1], ==, h3);
  }

  fixture_tear_down (fixture, NULL);
}

static gboolean
fail_without_error (gpointer   user_data,
                    GError   **error)
{
  return FALSE;
}

static void
fail_async_without_error (GTask    *task,
                          gpointer  user_data)
{
  g_task_return_boolean (task, FALSE);
  g_object_unref (task);
}

/* A hook that reports failure without a GError is still logged as failed. */
static void
test_lifecycle_failing_hook_no_error (Fixture       *fixture,
                                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bk_lifecycle_add_hook (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP,
                                        fail_without_error, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (bk_lifecycle_add_hook_async (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP,
                                              fail_async_without_error, NULL, NULL, &error));
  g_assert_no_error (error);
  add_sync (fixture, BK_LIFECYCLE_PHASE_STARTUP, "after", FALSE);

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
  test_assert_events (fixture->events, "after");
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR,
                                          "Startup hook failed, *"), ==, 2);
}

static void
assert_refused (Fixture          *fixture,
                BkLifecyclePhase  phase,
                const char       *message)
{
  g_autoptr(GError) error = NULL;
  guint n_destroyed = fixture->n_destroyed;
  gboolean ok;

  ok = bk_lifecycle_add_hook (fixture->lifecycle, phase, sync_hook,
                              hook_new (fixture, "refused", FALSE, 0), hook_free,
                              &error);
  g_assert_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_REGISTRATION);
  g_assert_cmpstr (error->message, ==, message);
  g_assert_false (ok);
  /* The refused hook's data is released at once. */
  g_assert_cmpuint (fixture->n_destroyed, ==, n_destroyed + 1);

  g_clear_error (&error);
  ok = bk_lifecycle_add_hook_async (fixture->lifecycle, phase, async_hook,
                                    hook_new (fixture, "refused", FALSE, 0), hook_free,
                                    &error);
  g_assert_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_REGISTRATION);
  g_assert_cmpstr (error->message, ==, message);
  g_assert_false (ok);
  g_assert_cmpuint (fixture->n_destroyed, ==, n_destroyed + 2);
}

static void
test_lifecycle_add_after_phase_root (Fixture       *fixture,
                                     gconstpointer  data)
{
  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
  assert_refused (fixture, BK_LIFECYCLE_PHASE_STARTUP,
                  "Attempted to add startup hook after startup");

  /* Before shutdown has begun, the other phases still take hooks. */
  add_sync (fixture, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN, "b", FALSE);
  add_sync (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "d1", FALSE);

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN);
  assert_refused (fixture, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN,
                  "Attempt to add before shutdown hook after shutdown has started");

  add_sync (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "d2", FALSE);
  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  assert_refused (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN,
                  "Attempted to add shutdown hook after shutdown");

  test_assert_events (fixture->events, "b d2 d1");
}

/* Shutdown without before-shutdown (a stop after a failed start, say) also
 * closes before-shutdown. */
static void
test_lifecycle_add_before_shutdown_after_shutdown (Fixture       *fixture,
                                                   gconstpointer  data)
{
  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  assert_refused (fixture, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN,
                  "Attempt to add before shutdown hook after shutdown has started");
  assert_refused (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN,
                  "Attempted to add shutdown hook after shutdown");

  /* Startup was never run: it still takes hooks. */
  add_sync (fixture, BK_LIFECYCLE_PHASE_STARTUP, "s", FALSE);
  test_assert_events (fixture->events, "");
}

static void
test_lifecycle_add_after_phase_plugin (Fixture       *fixture,
                                       gconstpointer  data)
{
  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
  assert_refused (fixture, BK_LIFECYCLE_PHASE_STARTUP,
                  "Attempted to add startup hook after startup");

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  assert_refused (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN,
                  "Attempted to add shutdown hook after shutdown");
}

typedef struct
{
  Fixture          *fixture;
  BkLifecyclePhase  phase;
  GError           *error;
} NestedAdd;

static gboolean
add_during_phase_hook (gpointer   user_data,
                       GError   **error)
{
  NestedAdd *nested = user_data;

  g_assert_false (bk_lifecycle_add_hook (nested->fixture->lifecycle, nested->phase,
                                         sync_hook,
                                         hook_new (nested->fixture, "nested", FALSE, 0),
                                         hook_free,
                                         &nested->error));
  return TRUE;
}

/* "Once its phase has begun" includes while its hooks are running. */
static void
test_lifecycle_add_during_phase (Fixture       *fixture,
                                 gconstpointer  data)
{
  NestedAdd nested = { fixture, BK_LIFECYCLE_PHASE_STARTUP, NULL };
  g_autoptr(GError) error = NULL;

  g_assert_true (bk_lifecycle_add_hook (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP,
                                        add_during_phase_hook, &nested, NULL, &error));
  g_assert_no_error (error);

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
  g_assert_error (nested.error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_REGISTRATION);
  g_assert_cmpstr (nested.error->message, ==, "Attempted to add startup hook after startup");
  g_clear_error (&nested.error);
  test_assert_events (fixture->events, "");
}

static void
test_lifecycle_plugin_before_shutdown_refused (Fixture       *fixture,
                                               gconstpointer  data)
{
  assert_refused (fixture, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN,
                  "Before shutdown hooks are only available on the root lifecycle");
}

/* Async hooks that complete out of order (a slow one first, then a quick one)
 * still run strictly one after another. */
static void
test_lifecycle_async_sequence (Fixture       *fixture,
                               gconstpointer  data)
{
  add_async (fixture, BK_LIFECYCLE_PHASE_STARTUP, "slow", FALSE, 10);
  add_async (fixture, BK_LIFECYCLE_PHASE_STARTUP, "quick", FALSE, 0);
  add_async (fixture, BK_LIFECYCLE_PHASE_STARTUP, "medium", TRUE, 3);
  add_sync (fixture, BK_LIFECYCLE_PHASE_STARTUP, "sync", FALSE);

  add_async (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "quick", FALSE, 0);
  add_async (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "slow", FALSE, 10);

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
  test_assert_events (fixture->events, "slow> slow< quick> quick< medium> medium< sync");
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR,
                                          "Startup hook failed, medium failed"), ==, 1);

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  test_assert_events (fixture->events, "slow> slow< quick> quick<");
}

/* A hook's data is released once the hook has run; hooks that never ran are
 * released with the lifecycle. */
static void
test_lifecycle_destroy_notify (Fixture       *fixture,
                               gconstpointer  data)
{
  add_sync (fixture, BK_LIFECYCLE_PHASE_STARTUP, "s1", FALSE);
  add_async (fixture, BK_LIFECYCLE_PHASE_STARTUP, "s2", TRUE, 1);
  add_sync (fixture, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN, "b", FALSE);
  add_async (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "d", FALSE, 1);

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
  g_assert_cmpuint (fixture->n_destroyed, ==, 2);

  fixture->lifecycle = NULL;
  fixture->logger = NULL;
  g_clear_object (&fixture->tester);
  g_assert_cmpuint (fixture->n_destroyed, ==, 4);
}

typedef struct
{
  GMainContext *context;
  gboolean      hook_ran;
  GAsyncResult *result;
} ContextCheck;

static gboolean
context_hook (gpointer   user_data,
              GError   **error)
{
  ContextCheck *check = user_data;

  g_assert_true (g_main_context_get_thread_default () == check->context);
  check->hook_ran = TRUE;
  return TRUE;
}

static void
context_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  ContextCheck *check = user_data;

  g_assert_true (g_main_context_is_owner (check->context));
  g_assert_true (g_main_context_get_thread_default () == check->context);
  check->result = g_object_ref (result);
}

/* Hooks and the completion callback run on the thread-default main context of
 * the caller of run_phase_async(). */
static void
test_lifecycle_main_context (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  ContextCheck check = { context, FALSE, NULL };

  g_assert_true (bk_lifecycle_add_hook (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP,
                                        context_hook, &check, NULL, &error));
  g_assert_no_error (error);

  g_main_context_push_thread_default (context);
  bk_lifecycle_run_phase_async (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP, NULL,
                                context_done_cb, &check);
  /* Nothing runs while only the global default context is iterated. */
  test_settle ();
  g_assert_null (check.result);
  wait_for_result (&check.result);
  g_main_context_pop_thread_default (context);

  g_assert_true (check.hook_ran);
  g_assert_true (bk_lifecycle_run_phase_finish (fixture->lifecycle, check.result, &error));
  g_assert_no_error (error);
  g_clear_object (&check.result);
}

typedef struct
{
  GCancellable *cancellable;
  guint         n_ran;
} CancelCheck;

static void
cancel_hook (GTask    *task,
             gpointer  user_data)
{
  CancelCheck *check = user_data;

  g_assert_true (g_task_get_cancellable (task) == check->cancellable);
  check->n_ran++;
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* The cancellable reaches the hooks; a cancelled one neither stops the
 * sequence nor fails the phase. */
static void
test_lifecycle_cancellable (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  CancelCheck check = { cancellable, 0 };

  g_assert_true (bk_lifecycle_add_hook_async (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN,
                                              cancel_hook, &check, NULL, &error));
  g_assert_true (bk_lifecycle_add_hook_async (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN,
                                              cancel_hook, &check, NULL, &error));
  g_assert_no_error (error);

  g_cancellable_cancel (cancellable);
  run_phase_full (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN, cancellable);
  g_assert_cmpuint (check.n_ran, ==, 2);
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR, NULL), ==, 0);
}

/* The plugin lifecycle logs through the plugin's logger, a child of the root
 * logger. */
static void
test_lifecycle_plugin_logger (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  BkMockLogger *plugin_logger;

  plugin_logger = bk_service_factory_tester_get_service (fixture->tester, BK_SERVICE_LOGGER,
                                                         PLUGIN_ID, &error);
  g_assert_no_error (error);
  g_assert_true (BK_IS_MOCK_LOGGER (plugin_logger));
  g_assert_true (plugin_logger != fixture->logger);

  add_sync (fixture, BK_LIFECYCLE_PHASE_STARTUP, "s", TRUE);
  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP);

  g_assert_cmpuint (bk_mock_logger_count (plugin_logger, BK_LOG_LEVEL_ERROR,
                                          "Plugin startup hook failed, s failed"), ==, 1);
}

/* ------------------------------------------------------------------------ */
/* Deadlines: hung hooks on the mock clock                                  */
/* ------------------------------------------------------------------------ */

/* G_STRLOC as the lifecycle names it: without the leading "../" of the
 * build directory. */
static char *
location_text (const char *file,
               int         line)
{
  while (g_str_has_prefix (file, "./") || g_str_has_prefix (file, "../"))
    file += file[1] == '/' ? 2 : 3;

  return g_strdup_printf ("%s:%d", file, line);
}

/* Adds an async hook that never completes on its own (its task goes to
 * fixture->held) with BK_LIFECYCLE_ADD_HOOK_ASYNC; returns the location the
 * lifecycle will name it by. */
static char *
add_hung (Fixture          *fixture,
          BkLifecyclePhase  phase,
          const char       *name)
{
  g_autoptr(GError) error = NULL;
  Hook *hook = hook_new (fixture, name, FALSE, 0);
  gboolean ok;
  int line;

  hook->hang = TRUE;
  ok = BK_LIFECYCLE_ADD_HOOK_ASYNC (fixture->lifecycle, phase, async_hook, hook, hook_free, &error); line = __LINE__;
  g_assert_no_error (error);
  g_assert_true (ok);

  return location_text (__FILE__, line);
}

/* Completes the oldest held (hung) hook, late. */
static void
complete_held (Fixture  *fixture,
               gboolean  fail)
{
  GTask *task;

  g_assert_cmpuint (fixture->held->len, >, 0);
  task = g_ptr_array_steal_index (fixture->held, 0);

  if (fail)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "late failure");
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
start_phase (Fixture           *fixture,
             BkLifecyclePhase   phase,
             GAsyncResult     **result)
{
  bk_lifecycle_run_phase_async (fixture->lifecycle, phase, NULL, store_result_cb, result);
  test_settle ();
}

static void
finish_phase (Fixture       *fixture,
              GAsyncResult **result)
{
  g_autoptr(GError) error = NULL;

  wait_for_result (result);
  g_assert_true (bk_lifecycle_run_phase_finish (fixture->lifecycle, *result, &error));
  g_assert_no_error (error);
  g_clear_object (result);
}

static gint64
elapsed_ms (Fixture *fixture)
{
  return (bk_clock_get_monotonic_time (BK_CLOCK (fixture->clock)) -
          BK_MOCK_CLOCK_START_MONOTONIC_TIME) / 1000;
}

/* A hook still running at its deadline (30 s by default) is abandoned and
 * named by where it was registered; the next hook runs; the phase
 * completes. Nothing happens before the deadline, and nothing without the
 * clock moving. */
static void
test_lifecycle_deadline_hung_root (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *location = NULL;
  g_autofree char *expected = NULL;
  g_auto(GStrv) messages = NULL;

  add_sync (fixture, BK_LIFECYCLE_PHASE_STARTUP, "s1", FALSE);
  location = add_hung (fixture, BK_LIFECYCLE_PHASE_STARTUP, "hung");
  add_sync (fixture, BK_LIFECYCLE_PHASE_STARTUP, "s3", FALSE);

  start_phase (fixture, BK_LIFECYCLE_PHASE_STARTUP, &result);
  test_assert_events (fixture->events, "s1 hung>");
  g_assert_null (result);
  g_assert_cmpuint (bk_mock_clock_get_n_pending (fixture->clock), ==, 1);

  bk_mock_clock_advance (fixture->clock, 29999);
  test_settle ();
  g_assert_null (result);
  test_assert_events (fixture->events, "");
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR, NULL), ==, 0);

  bk_mock_clock_advance (fixture->clock, 1);
  finish_phase (fixture, &result);
  test_assert_events (fixture->events, "s3");
  g_assert_cmpuint (bk_mock_clock_get_n_pending (fixture->clock), ==, 0);

  expected = g_strdup_printf ("Startup hook registered at %s did not complete within 30000 ms "
                              "and was abandoned", location);
  messages = bk_mock_logger_dup_messages (fixture->logger, BK_LOG_LEVEL_ERROR);
  g_assert_cmpuint (g_strv_length (messages), ==, 1);
  g_assert_cmpstr (messages[0], ==, expected);
  g_assert_true (g_str_has_prefix (location, "tests/test-lifecycle.c:"));

  /* The abandoned hook still holds its data until it completes. */
  g_assert_cmpuint (fixture->n_destroyed, ==, 2);
  complete_held (fixture, FALSE);
  test_settle ();
  g_assert_cmpuint (fixture->n_destroyed, ==, 3);
  test_assert_events (fixture->events, "");
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR, NULL), ==, 1);
}

/* A plugin's hung shutdown hook is named with its plugin, and shutdown
 * hooks keep their reverse order around it (DESIGN.md rule 12). */
static void
test_lifecycle_deadline_hung_plugin (Fixture       *fixture,
                                     gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *location = NULL;
  g_autofree char *expected = NULL;
  BkMockLogger *plugin_logger;

  plugin_logger = bk_service_factory_tester_get_service (fixture->tester, BK_SERVICE_LOGGER,
                                                         PLUGIN_ID, &error);
  g_assert_no_error (error);

  add_sync (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "d1", FALSE);
  location = add_hung (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "d2");
  add_async (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "d3", FALSE, 1);

  start_phase (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, &result);
  test_assert_events (fixture->events, "d3> d3< d2>");
  g_assert_null (result);

  bk_mock_clock_advance (fixture->clock, 30000);
  finish_phase (fixture, &result);
  test_assert_events (fixture->events, "d1");

  expected = g_strdup_printf ("Plugin shutdown hook registered at %s for plugin '" PLUGIN_ID "' "
                              "did not complete within 30000 ms and was abandoned", location);
  g_assert_cmpuint (bk_mock_logger_count (plugin_logger, BK_LOG_LEVEL_ERROR, expected), ==, 1);
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR, NULL), ==, 1);

  complete_held (fixture, FALSE);
  test_settle ();
}

/* Each hook has its own deadline, counted from when it starts; a hook that
 * completes in time cancels its deadline. */
static void
test_lifecycle_deadline_each_hook (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;

  add_async (fixture, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN, "quick", FALSE, 2);
  g_free (add_hung (fixture, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN, "h1"));
  g_free (add_hung (fixture, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN, "h2"));
  add_sync (fixture, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN, "last", FALSE);

  start_phase (fixture, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN, &result);
  test_assert_events (fixture->events, "quick> quick< h1>");
  /* Only h1's deadline: quick's was cancelled when it completed. */
  g_assert_cmpuint (bk_mock_clock_get_n_pending (fixture->clock), ==, 1);

  bk_mock_clock_advance (fixture->clock, 20000);
  test_settle ();
  test_assert_events (fixture->events, "");

  /* h1 abandoned at 30 s; h2 starts then, its deadline at 60 s. */
  bk_mock_clock_advance (fixture->clock, 10000);
  test_settle ();
  test_assert_events (fixture->events, "h2>");
  g_assert_null (result);
  g_assert_cmpuint (bk_mock_clock_get_n_pending (fixture->clock), ==, 1);

  bk_mock_clock_advance (fixture->clock, 29999);
  test_settle ();
  g_assert_null (result);
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR, NULL), ==, 1);

  bk_mock_clock_advance (fixture->clock, 1);
  finish_phase (fixture, &result);
  test_assert_events (fixture->events, "last");
  g_assert_cmpint (elapsed_ms (fixture), ==, 60000);
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR,
                                          "Before shutdown hook registered at tests/test-lifecycle.c:*"
                                          " did not complete within 30000 ms and was abandoned"),
                    ==, 2);

  complete_held (fixture, FALSE);
  complete_held (fixture, FALSE);
  test_settle ();
  g_assert_cmpuint (fixture->n_destroyed, ==, 4);
}

/* A hook that completes after it was abandoned is ignored: no log, no
 * second run of the next hook, its data freed once; also when the
 * lifecycle is gone by then. */
static void
test_lifecycle_deadline_late_completion (Fixture       *fixture,
                                         gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_free (add_hung (fixture, BK_LIFECYCLE_PHASE_STARTUP, "h1"));
  g_free (add_hung (fixture, BK_LIFECYCLE_PHASE_STARTUP, "h2"));
  add_sync (fixture, BK_LIFECYCLE_PHASE_STARTUP, "next", FALSE);

  start_phase (fixture, BK_LIFECYCLE_PHASE_STARTUP, &result);
  bk_mock_clock_advance (fixture->clock, 30000);
  test_settle ();
  bk_mock_clock_advance (fixture->clock, 30000);
  finish_phase (fixture, &result);
  test_assert_events (fixture->events, "h1> h2> next");
  g_assert_cmpuint (fixture->n_destroyed, ==, 1);
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR, NULL), ==, 2);

  /* Late, and failing: not logged. */
  complete_held (fixture, TRUE);
  test_settle ();
  test_assert_events (fixture->events, "");
  g_assert_cmpuint (fixture->n_destroyed, ==, 2);
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR, NULL), ==, 2);

  /* The lifecycle, its clock and its logger are finalized while h2 still
   * runs: the abandoned hook holds none of them. */
  fixture->lifecycle = NULL;
  fixture->logger = NULL;
  fixture->clock = NULL;
  g_clear_object (&fixture->tester);

  complete_held (fixture, FALSE);
  test_settle ();
  test_assert_events (fixture->events, "");
  g_assert_cmpuint (fixture->n_destroyed, ==, 3);
}

/* A hook that completes within its deadline: nothing logged, nothing left
 * on the clock; moving the clock later does nothing. */
static void
test_lifecycle_deadline_in_time (Fixture       *fixture,
                                 gconstpointer  data)
{
  add_async (fixture, BK_LIFECYCLE_PHASE_STARTUP, "a", TRUE, 3);
  add_sync (fixture, BK_LIFECYCLE_PHASE_STARTUP, "b", FALSE);

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
  test_assert_events (fixture->events, "a> a< b");
  g_assert_cmpuint (bk_mock_clock_get_n_pending (fixture->clock), ==, 0);

  bk_mock_clock_advance (fixture->clock, 3600 * 1000);
  test_settle ();
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR, NULL), ==, 1);
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR,
                                          "Startup hook failed, a failed"), ==, 1);
}

/* bk_mock_clock_advance_to_next() finds the deadline without the test
 * knowing it. */
static void
test_lifecycle_deadline_advance_to_next (Fixture       *fixture,
                                         gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_free (add_hung (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "hung"));

  start_phase (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, &result);
  g_assert_true (bk_mock_clock_advance_to_next (fixture->clock));
  finish_phase (fixture, &result);
  g_assert_cmpint (elapsed_ms (fixture), ==, 30000);
  g_assert_false (bk_mock_clock_advance_to_next (fixture->clock));

  complete_held (fixture, FALSE);
  test_settle ();
}

static void
no_location_async_hook (GTask    *task,
                        gpointer  user_data)
{
  Fixture *fixture = user_data;

  g_ptr_array_add (fixture->held, task);
}

/* A hook added without a location is named by its function's address. */
static void
test_lifecycle_deadline_unknown_place (Fixture       *fixture,
                                       gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;

  g_assert_true (bk_lifecycle_add_hook_async (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP,
                                              no_location_async_hook, fixture, NULL, &error));
  g_assert_no_error (error);

  start_phase (fixture, BK_LIFECYCLE_PHASE_STARTUP, &result);
  bk_mock_clock_advance (fixture->clock, 30000);
  finish_phase (fixture, &result);

  expected = g_strdup_printf ("Startup hook registered at an unknown place (hook function %p) "
                              "did not complete within 30000 ms and was abandoned",
                              (gpointer) (guintptr) no_location_async_hook);
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR, expected), ==, 1);

  complete_held (fixture, FALSE);
  test_settle ();
}

typedef struct
{
  Fixture *fixture;
  guint64  advance;
} SlowHook;

/* A synchronous hook that takes (mock) time: it moves the clock while it
 * runs. */
static gboolean
slow_sync_hook (gpointer   user_data,
                GError   **error)
{
  SlowHook *slow = user_data;

  g_string_append (slow->fixture->events, "slow ");
  bk_mock_clock_advance (slow->fixture->clock, slow->advance);
  g_string_append (slow->fixture->events, "slow-returns ");
  return TRUE;
}

/* A synchronous hook registered with BK_LIFECYCLE_ADD_HOOK is named by its
 * location, and one that is still running at its deadline is abandoned: the
 * next hook starts, and its own return is ignored. */
static void
test_lifecycle_deadline_sync_hook (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *location = NULL;
  g_autofree char *expected = NULL;
  SlowHook slow = { fixture, 30000 };
  gboolean ok;
  int line;

  ok = BK_LIFECYCLE_ADD_HOOK (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN, slow_sync_hook, &slow, NULL, &error); line = __LINE__;
  g_assert_no_error (error);
  g_assert_true (ok);
  location = location_text (__FILE__, line);
  /* Registered first: runs last. */
  add_sync (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "before", FALSE);

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  test_settle ();

  g_assert_cmpstr (g_strchomp (fixture->events->str), ==, "before slow slow-returns");
  expected = g_strdup_printf ("Shutdown hook registered at %s did not complete within 30000 ms "
                              "and was abandoned", location);
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR, expected), ==, 1);
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR, NULL), ==, 1);
  g_string_truncate (fixture->events, 0);
}

typedef struct
{
  const char *config;
  const char *within;
} TimeoutCase;

static const TimeoutCase timeout_cases[] = {
  { "{\"backend\": {\"lifecycle\": {\"hookTimeout\": 5000}}}", "5000 ms" },
  { "{\"backend\": {\"lifecycle\": {\"hookTimeout\": \"5000\"}}}", "5000 ms" },
  { "{\"backend\": {\"lifecycle\": {\"hookTimeout\": \"5s\"}}}", "5000 ms" },
  { "{\"backend\": {\"lifecycle\": {\"hookTimeout\": \"5000ms\"}}}", "5000 ms" },
  { "{\"backend\": {\"lifecycle\": {\"hookTimeout\": \"PT5S\"}}}", "5000 ms" },
  { "{\"backend\": {\"lifecycle\": {\"hookTimeout\": {\"seconds\": 5}}}}", "5000 ms" },
  { "{\"backend\": {\"lifecycle\": {\"hookTimeout\": {\"seconds\": 4, \"milliseconds\": 1000}}}}", "5000 ms" },
};

/* Every form of backend.lifecycle.hookTimeout sets the deadline, for the
 * root and the plugin lifecycles. */
static void
test_lifecycle_deadline_configured (gconstpointer data)
{
  const TimeoutCase *timeout = data;

  for (guint root = 0; root <= 1; root++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autofree char *pattern = NULL;
      Fixture fixture = { 0 };

      fixture_set_up_full (&fixture, root, NULL, timeout->config);

      g_free (add_hung (&fixture, BK_LIFECYCLE_PHASE_STARTUP, "hung"));
      start_phase (&fixture, BK_LIFECYCLE_PHASE_STARTUP, &result);

      bk_mock_clock_advance (fixture.clock, 4999);
      test_settle ();
      g_assert_null (result);

      bk_mock_clock_advance (fixture.clock, 1);
      finish_phase (&fixture, &result);

      pattern = g_strdup_printf ("%s registered at * did not complete within %s and was abandoned",
                                 root ? "Startup hook" : "Plugin startup hook", timeout->within);
      g_assert_cmpuint (bk_mock_logger_count (fixture.logger, BK_LOG_LEVEL_ERROR, pattern), ==, 1);

      complete_held (&fixture, FALSE);
      test_settle ();
      fixture_tear_down (&fixture, NULL);
    }
}

/* hookTimeout 0: no deadline at all. */
static void
test_lifecycle_deadline_disabled (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  Fixture fixture = { 0 };

  fixture_set_up_full (&fixture, TRUE, NULL,
                       "{\"backend\": {\"lifecycle\": {\"hookTimeout\": 0}}}");

  g_free (add_hung (&fixture, BK_LIFECYCLE_PHASE_STARTUP, "hung"));
  add_sync (&fixture, BK_LIFECYCLE_PHASE_STARTUP, "next", FALSE);
  start_phase (&fixture, BK_LIFECYCLE_PHASE_STARTUP, &result);
  g_assert_cmpuint (bk_mock_clock_get_n_pending (fixture.clock), ==, 0);

  bk_mock_clock_advance (fixture.clock, G_GUINT64_CONSTANT (365) * 24 * 3600 * 1000);
  test_settle ();
  g_assert_null (result);

  complete_held (&fixture, FALSE);
  finish_phase (&fixture, &result);
  test_assert_events (fixture.events, "hung> next");
  g_assert_cmpuint (bk_mock_logger_count (fixture.logger, BK_LOG_LEVEL_ERROR, NULL), ==, 0);

  fixture_tear_down (&fixture, NULL);
}

typedef struct
{
  const char *value;
  const char *message;   /* a glob */
} InvalidTimeoutCase;

static const InvalidTimeoutCase invalid_timeout_cases[] = {
  { "\"soon\"",
    "*because the factory function threw an error, Invalid duration 'soon' in config at "
    "'backend.lifecycle.hookTimeout' in '*', expected a number of milliseconds, *" },
  { "\"30 sex\"",
    "*Invalid duration '30 sex' in config at 'backend.lifecycle.hookTimeout' in '*', "
    "unknown unit 'sex'; expected ms, s, m, h, d, w or y" },
  { "true",
    "*Invalid type in config for key 'backend.lifecycle.hookTimeout' in '*', got boolean, "
    "wanted duration (milliseconds, a string such as '30s', or an object such as { seconds: 30 })" },
  { "-1",
    "*Invalid duration '-1' in config at 'backend.lifecycle.hookTimeout' in '*', "
    "a duration can not be negative" },
  { "{\"secs\": 3}",
    "*Invalid duration in config at 'backend.lifecycle.hookTimeout' in '*', unknown field 'secs'; *" },
};

/* An invalid hookTimeout fails the lifecycle's creation with an error
 * naming the key and the source. */
static void
test_lifecycle_deadline_invalid (gconstpointer data)
{
  const InvalidTimeoutCase *invalid = data;
  g_autofree char *config = NULL;

  config = g_strdup_printf ("{\"backend\": {\"lifecycle\": {\"hookTimeout\": %s}}}", invalid->value);

  for (guint root = 0; root <= 1; root++)
    {
      g_autoptr(BkServiceFactoryTester) tester = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *prefix = NULL;
      gpointer subject;

      tester = bk_service_factory_tester_new (
        bk_service_ref_create_default_factory (root ? BK_SERVICE_ROOT_LIFECYCLE : BK_SERVICE_LIFECYCLE),
        bk_mock_root_config_factory_new (config),
        NULL);
      subject = bk_service_factory_tester_get_subject (tester, root ? NULL : PLUGIN_ID, &error);
      g_assert_null (subject);
      g_assert_nonnull (error);

      prefix = g_strdup_printf (root ? "Failed to instantiate service '%s' because"
                                     : "Failed to instantiate service '%s' for '" PLUGIN_ID "' because",
                                root ? "core.rootLifecycle" : "core.lifecycle");
      if (!g_str_has_prefix (error->message, prefix) ||
          !g_pattern_match_simple (invalid->message, error->message))
        g_error ("unexpected message: %s", error->message);
    }
}

/* ------------------------------------------------------------------------ */
/* The mock lifecycle                                                       */
/* ------------------------------------------------------------------------ */

static void
mock_fixture_set_up_root (Fixture       *fixture,
                          gconstpointer  data)
{
  fixture_set_up_full (fixture, TRUE, bk_mock_root_lifecycle_factory_new (), NULL);
  g_assert_true (BK_IS_MOCK_LIFECYCLE (fixture->lifecycle));
}

static void
mock_fixture_set_up_plugin (Fixture       *fixture,
                            gconstpointer  data)
{
  fixture_set_up_full (fixture, FALSE, bk_mock_lifecycle_factory_new (), NULL);
  g_assert_true (BK_IS_MOCK_LIFECYCLE (fixture->lifecycle));
}

/* A test triggers a phase; it runs like the real one (order, failures
 * logged), once, whoever asks. */
static void
test_lifecycle_mock_trigger_plugin (Fixture       *fixture,
                                    gconstpointer  data)
{
  BkMockLifecycle *mock = BK_MOCK_LIFECYCLE (fixture->lifecycle);

  add_sync (fixture, BK_LIFECYCLE_PHASE_STARTUP, "s1", FALSE);
  add_async (fixture, BK_LIFECYCLE_PHASE_STARTUP, "s2", TRUE, 2);
  add_sync (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "d1", FALSE);
  add_async (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "d2", FALSE, 1);
  assert_refused (fixture, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN,
                  "Before shutdown hooks are only available on the root lifecycle");

  g_assert_cmpuint (bk_mock_lifecycle_get_n_hooks (mock, BK_LIFECYCLE_PHASE_STARTUP), ==, 2);
  g_assert_cmpuint (bk_mock_lifecycle_get_n_hooks (mock, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN), ==, 0);
  g_assert_cmpuint (bk_mock_lifecycle_get_n_hooks (mock, BK_LIFECYCLE_PHASE_SHUTDOWN), ==, 2);
  g_assert_false (bk_mock_lifecycle_has_begun (mock, BK_LIFECYCLE_PHASE_STARTUP));

  bk_mock_lifecycle_trigger (mock, BK_LIFECYCLE_PHASE_STARTUP);
  test_assert_events (fixture->events, "s1 s2> s2<");
  g_assert_true (bk_mock_lifecycle_has_begun (mock, BK_LIFECYCLE_PHASE_STARTUP));
  g_assert_false (bk_mock_lifecycle_has_begun (mock, BK_LIFECYCLE_PHASE_SHUTDOWN));
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR,
                                          "Plugin startup hook failed, s2 failed"), ==, 1);

  /* Once: neither the test nor the backend runs it again. */
  bk_mock_lifecycle_trigger (mock, BK_LIFECYCLE_PHASE_STARTUP);
  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
  test_assert_events (fixture->events, "");
  assert_refused (fixture, BK_LIFECYCLE_PHASE_STARTUP,
                  "Attempted to add startup hook after startup");

  bk_mock_lifecycle_trigger (mock, BK_LIFECYCLE_PHASE_SHUTDOWN);
  test_assert_events (fixture->events, "d2> d2< d1");
  g_assert_true (bk_mock_lifecycle_has_begun (mock, BK_LIFECYCLE_PHASE_SHUTDOWN));
  g_assert_cmpuint (fixture->n_destroyed, ==, 4 + 2 + 2);
}

/* The root mock lifecycle: before-shutdown too; phases run by the backend
 * (run_phase_async) count as begun. */
static void
test_lifecycle_mock_trigger_root (Fixture       *fixture,
                                  gconstpointer  data)
{
  BkMockLifecycle *mock = BK_MOCK_LIFECYCLE (fixture->lifecycle);

  add_sync (fixture, BK_LIFECYCLE_PHASE_STARTUP, "s", FALSE);
  add_sync (fixture, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN, "b", FALSE);
  add_sync (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "d", FALSE);

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
  g_assert_true (bk_mock_lifecycle_has_begun (mock, BK_LIFECYCLE_PHASE_STARTUP));
  bk_mock_lifecycle_trigger (mock, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN);
  test_assert_events (fixture->events, "s b");
  g_assert_cmpuint (bk_mock_lifecycle_get_n_hooks (mock, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN), ==, 1);

  bk_mock_lifecycle_trigger (mock, BK_LIFECYCLE_PHASE_SHUTDOWN);
  test_assert_events (fixture->events, "d");
}

/* The mock lifecycle keeps the deadlines of the real one. */
static void
test_lifecycle_mock_deadline (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *location = NULL;
  g_autofree char *expected = NULL;

  location = add_hung (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "hung");
  start_phase (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, &result);
  bk_mock_clock_advance (fixture->clock, 30000);
  finish_phase (fixture, &result);

  expected = g_strdup_printf ("Plugin shutdown hook registered at %s for plugin '" PLUGIN_ID "' "
                              "did not complete within 30000 ms and was abandoned", location);
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR, expected), ==, 1);

  complete_held (fixture, FALSE);
  test_settle ();
}

/* In a test backend: plugins get mock lifecycles, the backend runs their
 * phases, and a test may fire a plugin's shutdown hooks early. */

typedef struct
{
  GString *events;
  /* a hung shutdown hook's task, completed by the test after stop */
  GTask   *held;
  gboolean hang;
  /* abandonment messages seen by the root shutdown hook */
  guint    n_abandoned;
} BackendProbe;

static gboolean
probe_hook (gpointer   user_data,
            GError   **error)
{
  BackendProbe *probe = user_data;

  g_string_append (probe->events, "hook ");
  return TRUE;
}

static gboolean
advance_clock_idle (gpointer user_data)
{
  bk_mock_clock_advance (BK_MOCK_CLOCK (user_data), 30000);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  BackendProbe *probe;
  BkClock      *clock;
} HangData;

static void
hang_data_free (gpointer data)
{
  HangData *hang = data;

  g_clear_object (&hang->clock);
  g_free (hang);
}

static void
hung_shutdown_hook (GTask    *task,
                    gpointer  user_data)
{
  HangData *hang = user_data;

  g_string_append (hang->probe->events, "hung ");
  hang->probe->held = task;
  /* The time that passes while the backend waits. */
  g_idle_add_full (G_PRIORITY_DEFAULT, advance_clock_idle,
                   g_steal_pointer (&hang->clock), g_object_unref);
}

typedef struct
{
  BackendProbe *probe;
  BkMockLogger *logger;
} LogCheck;

static void
log_check_free (gpointer data)
{
  LogCheck *check = data;

  g_clear_object (&check->logger);
  g_free (check);
}

/* Root shutdown hooks run after every plugin's: read the log then, while
 * the backend's logger is still alive. */
static gboolean
count_abandoned_hook (gpointer   user_data,
                      GError   **error)
{
  LogCheck *check = user_data;

  check->probe->n_abandoned =
    bk_mock_logger_count (check->logger, BK_LOG_LEVEL_ERROR,
                          "Plugin shutdown hook registered at tests/test-lifecycle.c:* "
                          "for plugin 'probe' did not complete within 30000 ms and was abandoned");
  return TRUE;
}

static gboolean
probe_init (BkDeps   *deps,
            gpointer  user_data,
            GError  **error)
{
  BackendProbe *probe = user_data;
  BkLifecycle *lifecycle = bk_deps_get (deps, BK_SERVICE_LIFECYCLE);

  if (probe->hang)
    {
      HangData *hang = g_new0 (HangData, 1);
      LogCheck *check = g_new0 (LogCheck, 1);

      check->probe = probe;
      check->logger = g_object_ref (bk_deps_get (deps, BK_SERVICE_ROOT_LOGGER));
      if (!BK_LIFECYCLE_ADD_HOOK (bk_deps_get (deps, BK_SERVICE_ROOT_LIFECYCLE), BK_LIFECYCLE_PHASE_SHUTDOWN,
                                  count_abandoned_hook, check, log_check_free, error))
        return FALSE;

      hang->probe = probe;
      hang->clock = g_object_ref (bk_deps_get (deps, BK_SERVICE_ROOT_CLOCK));
      return BK_LIFECYCLE_ADD_HOOK_ASYNC (lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN,
                                          hung_shutdown_hook, hang, hang_data_free, error);
    }

  return BK_LIFECYCLE_ADD_HOOK (lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN, probe_hook, probe, NULL, error);
}

static void
probe_register (BkPluginEnv *env,
                gpointer     user_data)
{
  bk_plugin_env_register_init (env, probe_init, user_data, NULL,
                               BK_SERVICE_LIFECYCLE, BK_SERVICE_ROOT_CLOCK,
                               BK_SERVICE_ROOT_LIFECYCLE, BK_SERVICE_ROOT_LOGGER, NULL);
}

static void
test_lifecycle_mock_test_backend (void)
{
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  BackendProbe probe = { g_string_new (NULL), NULL, FALSE, 0 };
  BkMockLifecycle *lifecycle;

  backend = bk_test_backend_start (&error, bk_plugin_new ("probe", probe_register, &probe, NULL), NULL);
  g_assert_no_error (error);

  g_assert_true (BK_IS_MOCK_LIFECYCLE (bk_test_backend_get_service (backend, BK_SERVICE_ROOT_LIFECYCLE, NULL)));
  lifecycle = bk_test_backend_get_service (backend, BK_SERVICE_LIFECYCLE, "probe");
  g_assert_true (BK_IS_MOCK_LIFECYCLE (lifecycle));
  g_assert_true (bk_mock_lifecycle_has_begun (lifecycle, BK_LIFECYCLE_PHASE_STARTUP));
  g_assert_false (bk_mock_lifecycle_has_begun (lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN));
  g_assert_cmpuint (bk_mock_lifecycle_get_n_hooks (lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN), ==, 1);

  bk_mock_lifecycle_trigger (lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  g_assert_cmpstr (probe.events->str, ==, "hook ");

  g_assert_true (bk_test_backend_stop (backend, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (probe.events->str, ==, "hook ");

  g_string_free (probe.events, TRUE);
}

/* A plugin's hung shutdown hook does not hang a test backend's stop once
 * the mock clock passes the deadline, and keeps nothing of the backend
 * alive (the test backend's leak check passes). */
static void
test_lifecycle_mock_test_backend_hung (void)
{
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  BackendProbe probe = { g_string_new (NULL), NULL, TRUE, 0 };

  backend = bk_test_backend_start (&error, bk_plugin_new ("probe", probe_register, &probe, NULL), NULL);
  g_assert_no_error (error);

  g_assert_true (bk_test_backend_stop (backend, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (probe.events->str, ==, "hung ");
  g_assert_cmpuint (probe.n_abandoned, ==, 1);
  g_clear_object (&backend);

  /* Completing it now, with the backend gone, is harmless. */
  g_assert_nonnull (probe.held);
  g_task_return_boolean (probe.held, TRUE);
  g_object_unref (probe.held);
  test_settle ();

  g_string_free (probe.events, TRUE);
}

static void
add_fixture_test (const char *path,
                  gboolean    is_root,
                  void (*func) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL,
              is_root ? fixture_set_up_root : fixture_set_up_plugin,
              func, fixture_tear_down);
}

int
main (int   argc,
      char *argv[])
{
  guint i;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  add_fixture_test ("/lifecycle/order/root", TRUE, test_lifecycle_order_root);
  add_fixture_test ("/lifecycle/order/plugin", FALSE, test_lifecycle_order_plugin);
  add_fixture_test ("/lifecycle/phase-once/root", TRUE, test_lifecycle_phase_once);
  add_fixture_test ("/lifecycle/phase-once/plugin", FALSE, test_lifecycle_phase_once);
  add_fixture_test ("/lifecycle/phase-once/concurrent", TRUE, test_lifecycle_phase_once_concurrent);

  for (i = 0; i < G_N_ELEMENTS (failure_cases); i++)
    {
      static const char * const phase_names[] = { "startup", "before-shutdown", "shutdown" };
      g_autofree char *path = g_strdup_printf ("/lifecycle/failing-hook/%s/%s",
                                               failure_cases[i].is_root ? "root" : "plugin",
                                               phase_names[failure_cases[i].phase]);

      g_test_add_data_func (path, &failure_cases[i], test_lifecycle_failing_hook);
    }
  add_fixture_test ("/lifecycle/failing-hook/no-error", TRUE, test_lifecycle_failing_hook_no_error);

  add_fixture_test ("/lifecycle/add-after-phase/root", TRUE, test_lifecycle_add_after_phase_root);
  add_fixture_test ("/lifecycle/add-after-phase/before-shutdown-after-shutdown", TRUE,
                    test_lifecycle_add_before_shutdown_after_shutdown);
  add_fixture_test ("/lifecycle/add-after-phase/plugin", FALSE, test_lifecycle_add_after_phase_plugin);
  add_fixture_test ("/lifecycle/add-after-phase/during-phase", TRUE, test_lifecycle_add_during_phase);
  add_fixture_test ("/lifecycle/plugin/before-shutdown-refused", FALSE,
                    test_lifecycle_plugin_before_shutdown_refused);
  add_fixture_test ("/lifecycle/plugin/logger", FALSE, test_lifecycle_plugin_logger);
  add_fixture_test ("/lifecycle/async-sequence", TRUE, test_lifecycle_async_sequence);
  add_fixture_test ("/lifecycle/destroy-notify", TRUE, test_lifecycle_destroy_notify);
  add_fixture_test ("/lifecycle/main-context", TRUE, test_lifecycle_main_context);
  add_fixture_test ("/lifecycle/cancellable", TRUE, test_lifecycle_cancellable);

  add_fixture_test ("/lifecycle/deadline/hung-hook/root", TRUE, test_lifecycle_deadline_hung_root);
  add_fixture_test ("/lifecycle/deadline/hung-hook/plugin", FALSE, test_lifecycle_deadline_hung_plugin);
  add_fixture_test ("/lifecycle/deadline/each-hook", TRUE, test_lifecycle_deadline_each_hook);
  add_fixture_test ("/lifecycle/deadline/late-completion", TRUE, test_lifecycle_deadline_late_completion);
  add_fixture_test ("/lifecycle/deadline/in-time", TRUE, test_lifecycle_deadline_in_time);
  add_fixture_test ("/lifecycle/deadline/advance-to-next", FALSE, test_lifecycle_deadline_advance_to_next);
  add_fixture_test ("/lifecycle/deadline/unknown-place", TRUE, test_lifecycle_deadline_unknown_place);
  add_fixture_test ("/lifecycle/deadline/sync-hook", TRUE, test_lifecycle_deadline_sync_hook);
  g_test_add_func ("/lifecycle/deadline/disabled", test_lifecycle_deadline_disabled);
  for (i = 0; i < G_N_ELEMENTS (timeout_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/lifecycle/deadline/configured/%u", i);

      g_test_add_data_func (path, &timeout_cases[i], test_lifecycle_deadline_configured);
    }
  for (i = 0; i < G_N_ELEMENTS (invalid_timeout_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/lifecycle/deadline/invalid-config/%u", i);

      g_test_add_data_func (path, &invalid_timeout_cases[i], test_lifecycle_deadline_invalid);
    }

  g_test_add ("/lifecycle/mock/trigger/plugin", Fixture, NULL,
              mock_fixture_set_up_plugin, test_lifecycle_mock_trigger_plugin, fixture_tear_down);
  g_test_add ("/lifecycle/mock/trigger/root", Fixture, NULL,
              mock_fixture_set_up_root, test_lifecycle_mock_trigger_root, fixture_tear_down);
  g_test_add ("/lifecycle/mock/deadline", Fixture, NULL,
              mock_fixture_set_up_plugin, test_lifecycle_mock_deadline, fixture_tear_down);
  g_test_add_func ("/lifecycle/mock/test-backend", test_lifecycle_mock_test_backend);
  g_test_add_func ("/lifecycle/mock/test-backend/hung-hook", test_lifecycle_mock_test_backend_hung);

  return g_test_run ();
}
