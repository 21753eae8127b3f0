/* bk-backend.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkBackend:
 *
 * A backend: a set of service factories (the defaults, replaced by those
 * given to [method@Bk.Backend.add]), plugins, modules and feature loaders,
 * started and stopped as one.
 *
 * [method@Bk.Backend.start_async] plans the whole dependency graph before
 * running anything and reports every wiring mistake at once; then it
 * creates the root services, starts every plugin concurrently and runs the
 * startup hooks. [method@Bk.Backend.stop_async] runs the shutdown hooks and
 * releases everything. See `docs/container.md` for the exact rules.
 *
 * A backend belongs to the thread-default main context of the thread that
 * made it; its callbacks run there.
 *
 * Since: 0.1
 */

#include <string.h>

#include <glib-unix.h>
#include <gio/gunixsocketaddress.h>

#include "bk-initializer-private.h"
#include "bk-services-private.h"
#include "bk-logger-private.h"

typedef enum
{
  STATE_INITIAL,
  STATE_STARTING,
  STATE_STARTED,
  STATE_START_FAILED,
  STATE_STOPPING,
  STATE_STOPPED,
} BackendState;

struct _BkBackend
{
  GObject          parent_instance;
  GMainContext    *context;
  BkInitializer   *initializer;
  BackendState     state;
  BkStartupResult *result;
  GTask           *start_task;
  GPtrArray       *stop_tasks;   /* waiting for a start or a stop in progress */
};

G_DEFINE_FINAL_TYPE (BkBackend, bk_backend, G_TYPE_OBJECT)

static void
bk_backend_dispose (GObject *object)
{
  BkBackend *self = BK_BACKEND (object);

  g_clear_pointer (&self->initializer, _bk_initializer_free);
  g_clear_object (&self->result);

  G_OBJECT_CLASS (bk_backend_parent_class)->dispose (object);
}

static void
bk_backend_finalize (GObject *object)
{
  BkBackend *self = BK_BACKEND (object);

  g_clear_pointer (&self->stop_tasks, g_ptr_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (bk_backend_parent_class)->finalize (object);
}

static void
bk_backend_class_init (BkBackendClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bk_backend_dispose;
  object_class->finalize = bk_backend_finalize;
}

static void
bk_backend_init (BkBackend *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->initializer = _bk_initializer_new ();
  self->stop_tasks = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * bk_backend_new_specialized:
 * @first_default: (nullable) (transfer full): the first default service
 *   factory
 * @...: more default factories (transfer full), then %NULL
 *
 * Creates a backend with only the given default service factories. A
 * factory given later to [method@Bk.Backend.add] for the same ref replaces
 * its default. Two defaults for one single ref, or one for
 * `core.pluginMetadata`, make the start fail.
 *
 * Returns: (transfer full): a new #BkBackend
 *
 * Since: 0.1
 */
BkBackend *
bk_backend_new_specialized (gpointer first_default,
                            ...)
{
  BkBackend *self = g_object_new (BK_TYPE_BACKEND, NULL);
  gpointer factory;
  va_list args;

  va_start (args, first_default);
  for (factory = first_default; factory != NULL; factory = va_arg (args, gpointer))
    {
      if (!BK_IS_SERVICE_FACTORY (factory))
        {
          g_critical ("bk_backend_new_specialized(): defaults must be BkServiceFactory instances");
          continue;
        }
      _bk_initializer_add_default (self->initializer, factory);
    }
  va_end (args);

  return self;
}

/**
 * bk_backend_new_specialized_v:
 * @defaults: (array length=n_defaults) (nullable): the default factories
 * @n_defaults: the number of default factories
 *
 * Like [ctor@Bk.Backend.new_specialized] with the defaults in an array; a
 * reference is taken on each.
 *
 * Returns: (transfer full): a new #BkBackend
 *
 * Since: 0.1
 */
BkBackend *
bk_backend_new_specialized_v (BkServiceFactory **defaults,
                              guint              n_defaults)
{
  BkBackend *self = g_object_new (BK_TYPE_BACKEND, NULL);

  g_return_val_if_fail (defaults != NULL || n_defaults == 0, self);

  for (guint i = 0; i < n_defaults; i++)
    {
      g_return_val_if_fail (BK_IS_SERVICE_FACTORY (defaults[i]), self);
      _bk_initializer_add_default (self->initializer, g_object_ref (defaults[i]));
    }

  return self;
}

/**
 * bk_backend_new:
 *
 * Creates a backend with the default factory of every core service.
 *
 * Returns: (transfer full): a new #BkBackend
 *
 * Since: 0.1
 */
BkBackend *
bk_backend_new (void)
{
  return bk_backend_new_specialized (_bk_root_config_default_factory (),
                                     _bk_root_clock_default_factory (),
                                     _bk_root_logger_default_factory (),
                                     _bk_logger_default_factory (),
                                     _bk_root_lifecycle_default_factory (),
                                     _bk_lifecycle_default_factory (),
                                     _bk_root_health_default_factory (),
                                     _bk_root_http_router_default_factory (),
                                     _bk_http_router_default_factory (),
                                     _bk_database_default_factory (),
                                     _bk_cache_default_factory (),
                                     _bk_scheduler_default_factory (),
                                     _bk_discovery_default_factory (),
                                     NULL);
}

/**
 * bk_backend_add:
 * @self: a #BkBackend
 * @feature: (type BkFeature) (transfer full): a plugin, module, service
 *   factory or feature loader
 *
 * Adds a feature. Takes ownership, so a constructor can be passed inline.
 * Adding after the start is a programming error and the feature is
 * dropped.
 *
 * Since: 0.1
 */
void
bk_backend_add (BkBackend *self,
                gpointer   feature)
{
  g_return_if_fail (BK_IS_BACKEND (self));
  g_return_if_fail (BK_IS_FEATURE (feature));

  if (self->state != STATE_INITIAL)
    {
      g_critical ("feature can not be added after the backend has started");
      g_object_unref (feature);
      return;
    }
  _bk_initializer_add (self->initializer, feature);
}

/**
 * bk_backend_get_main_context:
 * @self: a #BkBackend
 *
 * Gets the main context the backend was made on; its callbacks run there and the sync wrappers iterate it.
 *
 * Returns: (transfer none): the main context the backend runs on
 *
 * Since: 0.1
 */
GMainContext *
bk_backend_get_main_context (BkBackend *self)
{
  g_return_val_if_fail (BK_IS_BACKEND (self), NULL);

  return self->context;
}

static void
flush_stop_tasks (BkBackend *self);

static void start_run_stop (BkBackend *self);

typedef struct
{
  BkBackend *backend;
  GError    *error;
} StartDone;

/* Runs from an idle: the initializer's call stack has unwound, so the
 * caller's callback (or a stop queued during the start) may release
 * everything the start used. */
static gboolean
start_done_idle (gpointer data)
{
  StartDone *sd = data;
  BkBackend *self = sd->backend;
  g_autoptr(GTask) task = g_steal_pointer (&self->start_task);

  if (sd->error != NULL)
    {
      self->state = STATE_START_FAILED;
      g_task_return_error (task, g_steal_pointer (&sd->error));
    }
  else
    {
      self->state = STATE_STARTED;
      g_task_return_boolean (task, TRUE);
    }
  if (self->stop_tasks->len > 0 && self->state != STATE_STOPPING)
    start_run_stop (self);
  return G_SOURCE_REMOVE;
}

static void
start_done_free (gpointer data)
{
  StartDone *sd = data;

  g_clear_error (&sd->error);
  g_object_unref (sd->backend);
  g_free (sd);
}

static void
start_done (gpointer      data,
            gpointer      result,
            const GError *error)
{
  BkBackend *self = data;
  StartDone *sd = g_new0 (StartDone, 1);
  GSource *source = g_idle_source_new ();

  g_set_object (&self->result, result);
  sd->backend = g_object_ref (self);
  sd->error = error ? g_error_copy (error) : NULL;
  g_source_set_static_name (source, "[libbackend] start done");
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, start_done_idle, sd, start_done_free);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/**
 * bk_backend_start_async:
 * @self: a #BkBackend
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the start has finished
 * @user_data: data for @callback
 *
 * Plans, then starts the backend. Call from the backend's main context.
 *
 * Since: 0.1
 */
void
bk_backend_start_async (BkBackend           *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (BK_IS_BACKEND (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bk_backend_start_async);

  switch (self->state)
    {
    case STATE_INITIAL:
      break;

    case STATE_STARTING:
    case STATE_STARTED:
    case STATE_START_FAILED:
      g_task_return_new_error (task, BK_BACKEND_ERROR, BK_BACKEND_ERROR_ALREADY_STARTED,
                               "Backend has already started");
      return;

    case STATE_STOPPING:
    case STATE_STOPPED:
    default:
      g_task_return_new_error (task, BK_BACKEND_ERROR, BK_BACKEND_ERROR_ALREADY_STOPPED,
                               "Backend has already stopped");
      return;
    }

  self->state = STATE_STARTING;
  self->start_task = g_steal_pointer (&task);
  _bk_initializer_start (self->initializer, cancellable, start_done, self);
}

/**
 * bk_backend_start_finish:
 * @self: a #BkBackend
 * @result: the #GAsyncResult
 * @out_result: (out) (optional) (transfer full) (nullable): where to store
 *   what happened to each plugin and module; set also when the start failed
 * @error: return location for a #GError
 *
 * Completes [method@Bk.Backend.start_async].
 *
 * Returns: %TRUE if the backend started
 *
 * Since: 0.1
 */
gboolean
bk_backend_start_finish (BkBackend        *self,
                         GAsyncResult     *result,
                         BkStartupResult **out_result,
                         GError          **error)
{
  g_return_val_if_fail (BK_IS_BACKEND (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (out_result != NULL)
    *out_result = self->result ? g_object_ref (self->result) : NULL;
  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  GAsyncResult *result;
} SyncData;

static void
sync_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  SyncData *sd = user_data;

  sd->result = g_object_ref (result);
}

static GAsyncResult *
sync_wait (BkBackend *self,
           SyncData  *sd)
{
  while (sd->result == NULL)
    g_main_context_iteration (self->context, TRUE);
  return sd->result;
}

/**
 * bk_backend_start:
 * @self: a #BkBackend
 * @cancellable: (nullable): a #GCancellable
 * @out_result: (out) (optional) (transfer full) (nullable): the startup
 *   result, set also when the start failed
 * @error: return location for a #GError
 *
 * Starts the backend, iterating its main context until done. Call it from
 * the thread that owns that context.
 *
 * Returns: %TRUE if the backend started
 *
 * Since: 0.1
 */
gboolean
bk_backend_start (BkBackend        *self,
                  GCancellable     *cancellable,
                  BkStartupResult **out_result,
                  GError          **error)
{
  SyncData sd = { NULL };
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (BK_IS_BACKEND (self), FALSE);

  g_main_context_push_thread_default (self->context);
  bk_backend_start_async (self, cancellable, sync_cb, &sd);
  result = sync_wait (self, &sd);
  g_main_context_pop_thread_default (self->context);

  return bk_backend_start_finish (self, result, out_result, error);
}

static void
flush_stop_tasks (BkBackend *self)
{
  g_autoptr(GPtrArray) tasks = g_steal_pointer (&self->stop_tasks);

  self->stop_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < tasks->len; i++)
    g_task_return_boolean (g_ptr_array_index (tasks, i), TRUE);
}

static void
stop_done (gpointer      data,
           gpointer      result,
           const GError *error)
{
  BkBackend *self = data;

  self->state = STATE_STOPPED;
  flush_stop_tasks (self);
  g_object_unref (self);
}

static void
start_run_stop (BkBackend *self)
{
  self->state = STATE_STOPPING;
  _bk_initializer_stop (self->initializer, stop_done, g_object_ref (self));
}

/**
 * bk_backend_stop_async:
 * @self: a #BkBackend
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the backend has stopped
 * @user_data: data for @callback
 *
 * Stops the backend: root before-shutdown hooks, plugin shutdown hooks,
 * root shutdown hooks, then every object the backend made is released.
 * Stopping before start does nothing; stopping twice is harmless; a stop
 * during a start waits for it; a stop after a failed start rolls back what
 * had started.
 *
 * Since: 0.1
 */
void
bk_backend_stop_async (BkBackend           *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (BK_IS_BACKEND (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bk_backend_stop_async);

  switch (self->state)
    {
    case STATE_INITIAL:
    case STATE_STOPPED:
      g_task_return_boolean (task, TRUE);
      return;

    case STATE_STARTING:
    case STATE_STOPPING:
      g_ptr_array_add (self->stop_tasks, g_steal_pointer (&task));
      return;

    case STATE_STARTED:
    case STATE_START_FAILED:
    default:
      g_ptr_array_add (self->stop_tasks, g_steal_pointer (&task));
      start_run_stop (self);
      return;
    }
}

/**
 * bk_backend_stop_finish:
 * @self: a #BkBackend
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Completes [method@Bk.Backend.stop_async].
 *
 * Returns: %TRUE once stopped
 *
 * Since: 0.1
 */
gboolean
bk_backend_stop_finish (BkBackend     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (BK_IS_BACKEND (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * bk_backend_stop:
 * @self: a #BkBackend
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Stops the backend, iterating its main context until done.
 *
 * Returns: %TRUE once stopped
 *
 * Since: 0.1
 */
gboolean
bk_backend_stop (BkBackend     *self,
                 GCancellable  *cancellable,
                 GError       **error)
{
  SyncData sd = { NULL };
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (BK_IS_BACKEND (self), FALSE);

  g_main_context_push_thread_default (self->context);
  bk_backend_stop_async (self, cancellable, sync_cb, &sd);
  result = sync_wait (self, &sd);
  g_main_context_pop_thread_default (self->context);

  return bk_backend_stop_finish (self, result, error);
}

typedef struct
{
  BkBackend *backend;
  GMainLoop *loop;
  BkClock   *clock;
  guint      deadline;
  gboolean   stopping;
  gboolean   failed;
} RunData;

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void
notify_service_manager (const char *state)
{
  const char *path = g_getenv ("NOTIFY_SOCKET");
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocket) socket = NULL;

  if (path == NULL || (path[0] != '/' && path[0] != '@'))
    return;
  if (path[0] == '@')
    address = g_unix_socket_address_new_with_type (path + 1, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
  else
    address = g_unix_socket_address_new (path);
  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_DEFAULT, NULL);
  if (socket != NULL)
    g_socket_send_to (socket, address, state, strlen (state), NULL, NULL);
}

static void run_stopped (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data);

static void
run_deadline (gpointer user_data)
{
  RunData *rd = user_data;
  guint64 timeout = _bk_initializer_get_shutdown_timeout (rd->backend->initializer);

  rd->deadline = 0;
  g_printerr ("The backend did not stop within %" G_GUINT64_FORMAT " ms "
              "(backend.lifecycle.shutdownTimeout); exiting anyway\n", timeout);
  rd->failed = TRUE;
  g_main_loop_quit (rd->loop);
}

static void
run_stop (RunData *rd)
{
  GObject *clock;

  if (rd->stopping)
    return;
  rd->stopping = TRUE;
  notify_service_manager ("STOPPING=1");

  /* The whole stop is bounded, on the backend's own clock. */
  clock = _bk_initializer_lookup (rd->backend->initializer, BK_SERVICE_ROOT_CLOCK, NULL);
  if (clock != NULL && BK_IS_CLOCK (clock))
    {
      rd->clock = g_object_ref (BK_CLOCK (clock));
      rd->deadline = bk_clock_add_timer (rd->clock, _bk_initializer_get_shutdown_timeout (rd->backend->initializer),
                                         run_deadline, rd, NULL);
    }
  bk_backend_stop_async (rd->backend, NULL, run_stopped, rd);
}

static void
run_stopped (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  RunData *rd = user_data;

  if (!bk_backend_stop_finish (rd->backend, result, NULL))
    rd->failed = TRUE;
  if (rd->deadline != 0)
    bk_clock_cancel_timer (rd->clock, rd->deadline);
  rd->deadline = 0;
  g_main_loop_quit (rd->loop);
}

static gboolean
run_signal (gpointer user_data)
{
  run_stop (user_data);
  return G_SOURCE_CONTINUE;
}

static void
run_started (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  RunData *rd = user_data;
  g_autoptr(GError) error = NULL;

  if (!bk_backend_start_finish (rd->backend, result, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      rd->failed = TRUE;
      run_stop (rd);
      return;
    }
  notify_service_manager ("READY=1");
}

/* `--config FILE` (repeatable); FALSE with @error on a bad command line. */
static gboolean
run_parse_options (int      argc,
                   char   **argv,
                   GError **error)
{
  g_auto(GStrv) args = NULL;
  g_auto(GStrv) config_paths = NULL;
  g_autoptr(GOptionContext) context = NULL;
  const GOptionEntry entries[] = {
    { "config", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &config_paths,
      "Read the configuration from FILE; repeat to merge several, later ones winning "
      "(replaces app-config.yaml and app-config.local.yaml)", "FILE" },
    G_OPTION_ENTRY_NULL
  };

  if (argc <= 0 || argv == NULL)
    return TRUE;

  args = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);
  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, "Runs the backend until SIGINT or SIGTERM.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse_strv (context, &args, error))
    return FALSE;
  if (args[0] != NULL && args[1] != NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   "Unexpected argument '%s'", args[1]);
      return FALSE;
    }
  if (config_paths != NULL)
    _bk_root_config_set_command_line_paths ((const char * const *) config_paths);
  return TRUE;
}

/**
 * bk_backend_run:
 * @self: a #BkBackend
 * @argc: the number of arguments
 * @argv: (array length=argc) (nullable): the program's arguments
 *
 * Starts the backend and runs its main context until SIGINT or SIGTERM,
 * then stops it gracefully. `--config FILE` (repeatable) replaces the
 * default config files (`app-config.yaml`, then `app-config.local.yaml`).
 * With `NOTIFY_SOCKET` set (systemd `Type=notify`), it sends `READY=1` once
 * started and `STOPPING=1` when the stop begins. The stop is bounded by
 * `backend.lifecycle.shutdownTimeout` (default 30 s) on `core.rootClock`.
 *
 * Returns: 0 after a clean stop, 1 if the command line was wrong, the start
 *   failed or the stop failed or timed out
 *
 * Since: 0.1
 */
int
bk_backend_run (BkBackend  *self,
                int         argc,
                char      **argv)
{
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  RunData rd = { 0 };
  guint sigint, sigterm;

  g_return_val_if_fail (BK_IS_BACKEND (self), 1);

  if (!run_parse_options (argc, argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  /* GLib's own messages go to the root logger from now on. */
  _bk_logger_install_glib_writer ();

  g_main_context_push_thread_default (self->context);
  loop = g_main_loop_new (self->context, FALSE);
  rd.backend = self;
  rd.loop = loop;

  sigint = g_unix_signal_add (SIGINT, run_signal, &rd);
  sigterm = g_unix_signal_add (SIGTERM, run_signal, &rd);

  bk_backend_start_async (self, NULL, run_started, &rd);
  g_main_loop_run (loop);

  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_main_context_pop_thread_default (self->context);
  _bk_root_config_set_command_line_paths (NULL);
  g_clear_object (&rd.clock);

  return rd.failed ? 1 : 0;
}

/* Test kit support (bk-backend-private.h) -------------------------------- */

void
_bk_backend_set_tracker (BkBackend       *self,
                         BkObjectTracker  tracker,
                         gpointer         user_data)
{
  g_return_if_fail (BK_IS_BACKEND (self));

  _bk_initializer_set_tracker (self->initializer, tracker, user_data);
}

void
_bk_backend_set_shuffle_seed (BkBackend *self,
                              guint32    seed)
{
  g_return_if_fail (BK_IS_BACKEND (self));

  _bk_initializer_set_seed (self->initializer, seed);
}

void
_bk_backend_set_synthesize_missing_plugins (BkBackend *self,
                                            gboolean   synthesize)
{
  g_return_if_fail (BK_IS_BACKEND (self));

  _bk_initializer_set_synthesize (self->initializer, synthesize);
}

void
_bk_backend_provide_extension_point (BkBackend        *self,
                                     BkExtensionPoint *extension_point,
                                     GObject          *implementation)
{
  g_return_if_fail (BK_IS_BACKEND (self));
  g_return_if_fail (BK_IS_EXTENSION_POINT (extension_point));
  g_return_if_fail (G_IS_OBJECT (implementation));

  _bk_initializer_provide_extension_point (self->initializer, extension_point, implementation);
}

gpointer
_bk_backend_lookup_service (BkBackend    *self,
                            BkServiceRef *ref,
                            const char   *plugin_id)
{
  g_return_val_if_fail (BK_IS_BACKEND (self), NULL);

  return _bk_initializer_lookup (self->initializer, ref, plugin_id);
}

typedef struct
{
  gboolean  done;
  GObject  *instance;
  GError   *error;
} ResolveData;

static void
resolve_done (gpointer      data,
              gpointer      result,
              const GError *error)
{
  ResolveData *rd = data;

  rd->done = TRUE;
  if (error != NULL)
    rd->error = g_error_copy (error);
  else if (G_IS_OBJECT (result))
    rd->instance = result; /* owned by the registry */
}

gpointer
_bk_backend_resolve_service (BkBackend     *self,
                             BkServiceRef  *ref,
                             const char    *plugin_id,
                             GError       **error)
{
  ResolveData rd = { FALSE, NULL, NULL };

  g_return_val_if_fail (BK_IS_BACKEND (self), NULL);
  g_return_val_if_fail (!bk_service_ref_is_multiton (ref), NULL);

  g_main_context_push_thread_default (self->context);
  _bk_initializer_resolve (self->initializer, ref, plugin_id, resolve_done, &rd);
  while (!rd.done)
    g_main_context_iteration (self->context, TRUE);
  g_main_context_pop_thread_default (self->context);

  if (rd.error != NULL)
    {
      g_propagate_error (error, rd.error);
      return NULL;
    }
  return rd.instance;
}
