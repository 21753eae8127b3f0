/* test-lifecycle.c: the default core.rootLifecycle and core.lifecycle.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbackend.h>
#include <libbackend-test-utils.h>

#define PLUGIN_ID "test-plugin"

typedef struct
{
  BkServiceFactoryTester *tester;
  BkLifecycle            *lifecycle;   /* owned by the tester */
  BkMockLogger           *logger;      /* the root mock logger, owned by the tester */
  GString                *events;
  guint                   n_destroyed;
} Fixture;

static void
fixture_set_up (Fixture  *fixture,
                gboolean  is_root)
{
  g_autoptr(GError) error = NULL;

  if (is_root)
    fixture->tester =
      bk_service_factory_tester_new (bk_service_ref_create_default_factory (BK_SERVICE_ROOT_LIFECYCLE),
                                     bk_mock_root_logger_factory_new (),
                                     NULL);
  else
    fixture->tester =
      bk_service_factory_tester_new (bk_service_ref_create_default_factory (BK_SERVICE_LIFECYCLE),
                                     bk_mock_root_logger_factory_new (),
                                     bk_mock_logger_factory_new (),
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

  fixture->events = g_string_new (NULL);
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
  fixture->lifecycle = NULL;
  fixture->logger = NULL;
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

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the thread-default main context until @result is set, failing the
 * test instead of hanging. */
static void
wait_for_result (GAsyncResult **result)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GSource) timeout = g_timeout_source_new_seconds (10);
  gboolean timed_out = FALSE;

  g_source_set_callback (timeout, timeout_cb, &timed_out, NULL);
  g_source_attach (timeout, context);

  while (*result == NULL && !timed_out)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (timeout);
  if (timed_out)
    g_error ("timed out waiting for the phase to complete");
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
assert_events (Fixture    *fixture,
               const char *expected)
{
  g_assert_cmpstr (g_strchomp (fixture->events->str), ==, expected);
  g_string_truncate (fixture->events, 0);
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
  assert_events (fixture, "s1 s2> s2< s3");

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN);
  assert_events (fixture, "b1 b2> b2<");

  /* Shutdown hooks run in the reverse order of registration. */
  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  assert_events (fixture, "d3 d2 d1> d1<");

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
  assert_events (fixture, "s1 s2> s2<");

  /* A plugin lifecycle has no before-shutdown hooks; running the phase is
   * harmless. */
  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_BEFORE_SHUTDOWN);
  assert_events (fixture, "");

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  assert_events (fixture, "d2> d2< d1");
}

static void
test_lifecycle_phase_once (Fixture       *fixture,
                           gconstpointer  data)
{
  add_sync (fixture, BK_LIFECYCLE_PHASE_STARTUP, "s", FALSE);
  add_async (fixture, BK_LIFECYCLE_PHASE_SHUTDOWN, "d", FALSE, 1);

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_STARTUP);
  assert_events (fixture, "s");

  /* As Backstage's "should execute registered shutdown hook": three calls,
   * one run. */
  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  assert_events (fixture, "d> d<");
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

  assert_events (fixture, "slow> slow<");
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
  assert_events (fixture, shutdown ? "h4> h4< h3> h3< h2 h1" : "h1 h2 h3> h3< h4> h4<");

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
  assert_events (fixture, "after");
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

  assert_events (fixture, "b d2 d1");
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
  assert_events (fixture, "");
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
  assert_events (fixture, "");
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
  assert_events (fixture, "slow> slow< quick> quick< medium> medium< sync");
  g_assert_cmpuint (bk_mock_logger_count (fixture->logger, BK_LOG_LEVEL_ERROR,
                                          "Startup hook failed, medium failed"), ==, 1);

  run_phase (fixture->lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN);
  assert_events (fixture, "slow> slow< quick> quick<");
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
  while (g_main_context_iteration (NULL, FALSE))
    ;
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

  return g_test_run ();
}
