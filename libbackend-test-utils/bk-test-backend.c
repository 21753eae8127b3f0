/* bk-test-backend.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkTestBackend:
 *
 * A real backend, in-process, for tests. Every core service that exists
 * is installed as a *default* from [func@Bk.mock_default_factories], so a
 * test's own factory for the same ref replaces the mock without a
 * duplicate error. A module whose plugin is absent gets an empty plugin, so
 * a module can be tested alone; [method@Bk.TestBackend.add_extension_point]
 * hands an extension point implementation to the modules under test.
 *
 * Every test backend runs the real `core.rootHttpRouter` (installed as a
 * default too): it listens on 127.0.0.1 with a port the system picks,
 * whatever `backend.listen` says (every other key of the router's config,
 * such as `backend.cors`, applies). [method@Bk.TestBackend.request] sends
 * it requests. A test that needs another address adds its own factory,
 * such as [func@Bk.root_http_router_factory_new].
 *
 * `core.database` is the real one: unless the test's config sets
 * `backend.database`, each plugin gets a private in-memory SQLite
 * database.
 *
 * Independent plugins start in an order shuffled from GLib's test seed
 * (`--seed` reproduces a run). Stopping the test backend (explicitly or by
 * dropping the last reference) iterates its main context until quiet and
 * then checks that every service instance, plugin, module and extension
 * point object it made was finalized; a survivor fails the test, named by
 * its ref id and plugin id.
 *
 * Since: 0.1
 */

#include <libbackend-test-utils.h>

#include "bk-backend-private.h"
#include "bk-test-backend-private.h"

#define QUIET_ITERATIONS 1000

typedef struct
{
  GObject *object;       /* weak */
  char    *description;
} Tracked;

struct _BkTestBackend
{
  GObject          parent_instance;
  BkBackend       *backend;
  BkStartupResult *result;
  GPtrArray       *tracked;
  SoupSession     *session;    /* the client's, made on first request */
  guint32          seed;
  gboolean         launched;
  gboolean         stopped;
};

G_DEFINE_FINAL_TYPE (BkTestBackend, bk_test_backend, G_TYPE_OBJECT)

static void
tracked_free (gpointer data)
{
  Tracked *t = data;

  if (t->object != NULL)
    g_object_remove_weak_pointer (t->object, (gpointer *) &t->object);
  g_free (t->description);
  g_free (t);
}

static void
track_object (GObject    *object,
              const char *description,
              gpointer    user_data)
{
  BkTestBackend *self = user_data;
  Tracked *t = g_new0 (Tracked, 1);

  t->object = object;
  t->description = g_strdup (description);
  g_object_add_weak_pointer (object, (gpointer *) &t->object);
  g_ptr_array_add (self->tracked, t);
}

static void
bk_test_backend_dispose (GObject *object)
{
  BkTestBackend *self = BK_TEST_BACKEND (object);

  if (self->backend != NULL && !self->stopped)
    {
      g_autoptr(GError) error = NULL;

      if (!bk_test_backend_stop (self, &error))
        g_printerr ("BkTestBackend: %s\n", error->message);
    }
  g_clear_object (&self->session);
  g_clear_object (&self->backend);
  g_clear_object (&self->result);

  G_OBJECT_CLASS (bk_test_backend_parent_class)->dispose (object);
}

static void
bk_test_backend_finalize (GObject *object)
{
  BkTestBackend *self = BK_TEST_BACKEND (object);

  g_clear_pointer (&self->tracked, g_ptr_array_unref);

  G_OBJECT_CLASS (bk_test_backend_parent_class)->finalize (object);
}

static void
bk_test_backend_class_init (BkTestBackendClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bk_test_backend_dispose;
  object_class->finalize = bk_test_backend_finalize;
}

static void
bk_test_backend_init (BkTestBackend *self)
{
  g_autoptr(GPtrArray) defaults = bk_mock_default_factories ();

  /* Made at startup, as a root default is: every test backend listens, on
   * loopback with an ephemeral port, so tests running side by side never
   * compete for a port and nothing listens on every interface. */
  g_ptr_array_add (defaults, _bk_root_http_router_factory_new_for_address ("127.0.0.1", 0));
  g_ptr_array_add (defaults, bk_mock_discovery_factory_new (NULL));
  self->tracked = g_ptr_array_new_with_free_func (tracked_free);
  self->backend = bk_backend_new_specialized_v ((BkServiceFactory **) defaults->pdata, defaults->len);
  _bk_backend_set_tracker (self->backend, track_object, self);
  _bk_backend_set_synthesize_missing_plugins (self->backend, TRUE);
  if (g_test_initialized ())
    {
      self->seed = (guint32) g_test_rand_int ();
      _bk_backend_set_shuffle_seed (self->backend, self->seed);
    }
}

/**
 * bk_test_backend_new:
 *
 * Creates a test backend, not started yet: add features, then
 * [method@Bk.TestBackend.launch].
 *
 * Returns: (transfer full): a new #BkTestBackend
 *
 * Since: 0.1
 */
BkTestBackend *
bk_test_backend_new (void)
{
  return g_object_new (BK_TYPE_TEST_BACKEND, NULL);
}

/**
 * bk_test_backend_add:
 * @self: a #BkTestBackend
 * @feature: (type BkFeature) (transfer full): a plugin, module, service
 *   factory or feature loader
 *
 * Adds a feature, as [method@Bk.Backend.add].
 *
 * Since: 0.1
 */
void
bk_test_backend_add (BkTestBackend *self,
                     gpointer       feature)
{
  g_return_if_fail (BK_IS_TEST_BACKEND (self));

  bk_backend_add (self->backend, feature);
}

/**
 * bk_test_backend_add_extension_point:
 * @self: a #BkTestBackend
 * @extension_point: an extension point some module under test depends on
 * @implementation: the object handed to those modules
 *
 * Provides an extension point's implementation to the modules under test,
 * as if their plugin had registered it. At least one added module must
 * depend on it, which tells the test backend whose plugin it is.
 *
 * Since: 0.1
 */
void
bk_test_backend_add_extension_point (BkTestBackend    *self,
                                     BkExtensionPoint *extension_point,
                                     GObject          *implementation)
{
  g_return_if_fail (BK_IS_TEST_BACKEND (self));

  _bk_backend_provide_extension_point (self->backend, extension_point, implementation);
}

/**
 * bk_test_backend_launch:
 * @self: a #BkTestBackend
 * @error: return location for a #GError
 *
 * Starts the backend, iterating its main context until done.
 *
 * Returns: %TRUE if it started
 *
 * Since: 0.1
 */
gboolean
bk_test_backend_launch (BkTestBackend  *self,
                        GError        **error)
{
  g_return_val_if_fail (BK_IS_TEST_BACKEND (self), FALSE);
  g_return_val_if_fail (!self->launched, FALSE);

  self->launched = TRUE;
  return bk_backend_start (self->backend, NULL, &self->result, error);
}

/**
 * bk_test_backend_start:
 * @error: return location for a #GError
 * @first_feature: (type BkFeature) (transfer full) (nullable): the first
 *   feature
 * @...: more features (transfer full), then %NULL
 *
 * Creates a test backend with the features and starts it.
 *
 * Returns: (transfer full) (nullable): the started test backend, or %NULL
 *   with @error set (what had started is stopped and checked for leaks)
 *
 * Since: 0.1
 */
BkTestBackend *
bk_test_backend_start (GError   **error,
                       gpointer   first_feature,
                       ...)
{
  g_autoptr(BkTestBackend) self = bk_test_backend_new ();
  gpointer feature;
  va_list args;

  va_start (args, first_feature);
  for (feature = first_feature; feature != NULL; feature = va_arg (args, gpointer))
    bk_test_backend_add (self, feature);
  va_end (args);

  if (!bk_test_backend_launch (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * bk_test_backend_stop:
 * @self: a #BkTestBackend
 * @error: return location for a #GError
 *
 * Stops the backend, iterates its main context until quiet (bounded), then
 * checks that every object the backend made was finalized. A survivor
 * fails the running test and is named in @error and on stderr. Called by
 * dispose if the test did not call it.
 *
 * Returns: %TRUE if the backend stopped and nothing leaked
 *
 * Since: 0.1
 */
gboolean
bk_test_backend_stop (BkTestBackend  *self,
                      GError        **error)
{
  g_autoptr(GString) survivors = NULL;
  GMainContext *context;

  g_return_val_if_fail (BK_IS_TEST_BACKEND (self), FALSE);

  if (self->stopped)
    return TRUE;
  self->stopped = TRUE;

  context = bk_backend_get_main_context (self->backend);

  /* The client goes first: its connections close, so the server has none
   * left open when it stops. */
  if (self->session != NULL)
    {
      g_main_context_push_thread_default (context);
      soup_session_abort (self->session);
      g_clear_object (&self->session);
      g_main_context_pop_thread_default (context);
    }

  if (!bk_backend_stop (self->backend, NULL, error))
    return FALSE;

  for (guint i = 0; i < QUIET_ITERATIONS && g_main_context_pending (context); i++)
    g_main_context_iteration (context, FALSE);

  survivors = g_string_new (NULL);
  for (guint i = 0; i < self->tracked->len; i++)
    {
      Tracked *t = g_ptr_array_index (self->tracked, i);

      if (t->object != NULL)
        g_string_append_printf (survivors, "%s%s", survivors->len ? ", " : "", t->description);
    }
  g_ptr_array_set_size (self->tracked, 0);

  if (survivors->len > 0)
    {
      g_autofree char *message = g_strdup_printf ("objects of the test backend were not finalized after stop: %s",
                                                  survivors->str);

      g_printerr ("BkTestBackend: %s\n", message);
      if (g_test_initialized ())
        g_test_fail ();
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, message);
      return FALSE;
    }
  return TRUE;
}

/**
 * bk_test_backend_get_backend:
 * @self: a #BkTestBackend
 *
 * Returns: (transfer none): the backend under test
 *
 * Since: 0.1
 */
BkBackend *
bk_test_backend_get_backend (BkTestBackend *self)
{
  g_return_val_if_fail (BK_IS_TEST_BACKEND (self), NULL);

  return self->backend;
}

/**
 * bk_test_backend_get_startup_result:
 * @self: a #BkTestBackend
 *
 * Returns: (transfer none) (nullable): the startup result, once launched
 *
 * Since: 0.1
 */
BkStartupResult *
bk_test_backend_get_startup_result (BkTestBackend *self)
{
  g_return_val_if_fail (BK_IS_TEST_BACKEND (self), NULL);

  return self->result;
}

/**
 * bk_test_backend_get_service:
 * @self: a #BkTestBackend
 * @ref: a single service ref
 * @plugin_id: (nullable): the plugin, for a plugin-scoped ref
 *
 * Looks up a service instance the backend has already made.
 *
 * Returns: (transfer none) (nullable) (type GObject): the instance, or
 *   %NULL if it was not made
 *
 * Since: 0.1
 */
gpointer
bk_test_backend_get_service (BkTestBackend *self,
                             BkServiceRef  *ref,
                             const char    *plugin_id)
{
  g_return_val_if_fail (BK_IS_TEST_BACKEND (self), NULL);
  g_return_val_if_fail (BK_IS_SERVICE_REF (ref), NULL);

  return _bk_backend_lookup_service (self->backend, ref, plugin_id);
}

/**
 * bk_test_backend_get_seed:
 * @self: a #BkTestBackend
 *
 * Returns: the seed the plugin start order was shuffled with (from
 *   g_test_rand_int(), so `--seed` reproduces it)
 *
 * Since: 0.1
 */
guint32
bk_test_backend_get_seed (BkTestBackend *self)
{
  g_return_val_if_fail (BK_IS_TEST_BACKEND (self), 0);

  return self->seed;
}

/* The client's session, made on the backend's main context (which libsoup
 * ties it to) without a proxy resolver: the system one reads GSettings,
 * whose schemas G_TEST_OPTION_ISOLATE_DIRS hides, and loopback needs none. */
SoupSession *
_bk_test_backend_get_session (BkTestBackend *self)
{
  g_assert (BK_IS_TEST_BACKEND (self));

  if (self->session == NULL)
    {
      GMainContext *context = bk_backend_get_main_context (self->backend);

      g_main_context_push_thread_default (context);
      self->session = soup_session_new ();
      soup_session_set_proxy_resolver (self->session, NULL);
      g_main_context_pop_thread_default (context);
    }
  return self->session;
}
