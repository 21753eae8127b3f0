/* test-run.c: bk_backend_run() as a real process.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>
#include <libbackend.h>
#include <libbackend-test-utils.h>

#include "test-util.h"

typedef struct
{
  char         *dir;
  char         *socket_path;
  GSocket      *socket;       /* the NOTIFY_SOCKET the test owns */
  GSubprocess  *process;
  GString      *notified;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("bk-run-XXXXXX", &error);
  g_assert_no_error (error);
  f->socket_path = g_build_filename (f->dir, "notify", NULL);
  f->socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  address = g_unix_socket_address_new (f->socket_path);
  g_socket_bind (f->socket, address, FALSE, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (f->socket, FALSE);
  f->notified = g_string_new (NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->process);
  g_clear_object (&f->socket);
  g_unlink (f->socket_path);
  g_rmdir (f->dir);
  g_free (f->socket_path);
  g_free (f->dir);
  g_string_free (f->notified, TRUE);
}

/* Spawns run-helper in the fixture's directory, with @extra_args. */
static GSubprocess *
spawn_helper_full (Fixture            *f,
                   const char         *fail,
                   const char         *hang,
                   const char * const *extra_args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *helper = g_test_build_filename (G_TEST_BUILT, "run-helper", NULL);
  GSubprocess *process;

  /* absolute: the helper runs in the fixture's directory */
  g_ptr_array_add (argv, g_canonicalize_filename (helper, NULL));
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra_args[i]));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_cwd (launcher, f->dir);
  g_subprocess_launcher_setenv (launcher, "NOTIFY_SOCKET", f->socket_path, TRUE);
  g_subprocess_launcher_setenv (launcher, "RUN_HELPER_FAIL", fail, TRUE);
  g_subprocess_launcher_setenv (launcher, "RUN_HELPER_HANG", hang, TRUE);
  /* A stop that times out leaves it in flight on purpose (the process gives
   * up and exits): in a sanitizer build, that child must not count leaks. */
  if (g_strcmp0 (hang, "1") == 0)
    g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", "detect_leaks=0", TRUE);
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "fatal-criticals", TRUE);
  /* The default core.rootHttpRouter listens: on a free loopback port, so
   * tests running side by side do not compete for 7007. */
  g_subprocess_launcher_setenv (launcher, "APP_CONFIG_backend_listen_host", "127.0.0.1", TRUE);
  g_subprocess_launcher_setenv (launcher, "APP_CONFIG_backend_listen_port", "0", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

static GSubprocess *
spawn_helper (Fixture    *f,
              const char *fail,
              const char *first_arg,
              ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  return spawn_helper_full (f, fail, "0", (const char * const *) args->pdata);
}

static gboolean
on_notify (GSocket      *socket,
           GIOCondition  condition,
           gpointer      user_data)
{
  Fixture *f = user_data;
  char buffer[256];
  gssize n;

  while ((n = g_socket_receive (socket, buffer, sizeof buffer - 1, NULL, NULL)) > 0)
    {
      buffer[n] = '\0';
      g_string_append_printf (f->notified, "%s;", buffer);
    }
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context until @f->notified contains @state. */
static void
wait_for_notify (Fixture    *f,
                 const char *state)
{
  g_autoptr(GSource) source = g_socket_create_source (f->socket, G_IO_IN, NULL);
  GSource *guard = test_guard_new (NULL, state);

  g_source_set_callback (source, (GSourceFunc) (void (*) (void)) on_notify, f, NULL);
  g_source_attach (source, NULL);
  while (strstr (f->notified->str, state) == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (source);
  test_guard_free (guard);
}

typedef struct
{
  gboolean  done;
  char     *out;
  char     *err;
} Communicated;

static void
communicated (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Communicated *c = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &c->out, &c->err, &error);
  g_assert_no_error (error);
  c->done = TRUE;
}

/* Waits for the process to exit; returns its status, and its output. */
static int
wait_for_exit (GSubprocess  *process,
               char        **out,
               char        **err)
{
  Communicated c = { FALSE, NULL, NULL };
  GSource *guard = test_guard_new (NULL, "the process to exit");

  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicated, &c);
  while (!c.done)
    g_main_context_iteration (NULL, TRUE);
  test_guard_free (guard);

  g_assert_true (g_subprocess_get_if_exited (process));
  *out = c.out;
  *err = c.err;
  return g_subprocess_get_exit_status (process);
}

static void
test_run_signal (Fixture       *f,
                 gconstpointer  data)
{
  int signum = GPOINTER_TO_INT (data);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  f->process = spawn_helper (f, "0", NULL);
  wait_for_notify (f, "READY=1");
  g_subprocess_send_signal (f->process, signum);

  g_assert_cmpint (wait_for_exit (f->process, &out, &err), ==, 0);
  g_assert_cmpstr (out, ==,
                   "plugin-startup\n"
                   "root-startup\n"
                   "root-before-shutdown\n"
                   "plugin-shutdown\n"
                   "root-shutdown\n");
  on_notify (f->socket, G_IO_IN, f);  /* what arrived after READY=1 */
  g_assert_nonnull (strstr (f->notified->str, "READY=1;STOPPING=1;"));
}

static void
test_run_start_failure (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  f->process = spawn_helper (f, "1", NULL);
  g_assert_cmpint (wait_for_exit (f->process, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "Backend startup failed due to the following errors:\n"
                                 "  Plugin 'probe' startup failed; caused by the probe was told to fail\n"));
  g_assert_null (strstr (f->notified->str, "READY=1"));
  /* nothing had started, so no hook ran */
  g_assert_cmpstr (out, ==, "");
}

static void
test_run_bad_option (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  f->process = spawn_helper (f, "0", "--no-such-option", NULL);
  g_assert_cmpint (wait_for_exit (f->process, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "--no-such-option"));
}

static void
test_run_shutdown_timeout (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *config = g_build_filename (f->dir, "app-config.yaml", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;

  /* no per-hook deadline, a short one for the whole stop (real time: the
   * process runs on the system clock) */
  g_file_set_contents (config,
                       "backend:\n"
                       "  lifecycle:\n"
                       "    hookTimeout: 0\n"
                       "    shutdownTimeout: 200ms\n",
                       -1, &error);
  g_assert_no_error (error);

  f->process = spawn_helper_full (f, "0", "1", NULL);
  wait_for_notify (f, "READY=1");
  g_subprocess_send_signal (f->process, SIGTERM);

  g_assert_cmpint (wait_for_exit (f->process, &out, &err), ==, 1);
  g_assert_nonnull (strstr (out, "hanging\n"));
  g_assert_nonnull (strstr (err, "The backend did not stop within 200 ms (backend.lifecycle.shutdownTimeout)"));
  g_unlink (config);
}

static void
test_run_unread_key (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *config = g_build_filename (f->dir, "typo.yaml", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;

  g_file_set_contents (config,
                       "backend:\n"
                       "  lifecycle:\n"
                       "    shutdownTimout: 10s\n",
                       -1, &error);
  g_assert_no_error (error);

  f->process = spawn_helper (f, "0", "--config", config, NULL);
  wait_for_notify (f, "READY=1");
  g_subprocess_send_signal (f->process, SIGTERM);

  g_assert_cmpint (wait_for_exit (f->process, &out, &err), ==, 0);
  /* one warning, naming the key and the file it is in */
  g_assert_nonnull (strstr (err, "Config key 'backend.lifecycle.shutdownTimout' in '"));
  g_assert_nonnull (strstr (err, "typo.yaml' was not read by any plugin or service; is it misspelled?"));
  g_unlink (config);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/run/sigterm", Fixture, GINT_TO_POINTER (SIGTERM), fixture_setup, test_run_signal, fixture_teardown);
  g_test_add ("/run/sigint", Fixture, GINT_TO_POINTER (SIGINT), fixture_setup, test_run_signal, fixture_teardown);
  g_test_add ("/run/start-failure", Fixture, NULL, fixture_setup, test_run_start_failure, fixture_teardown);
  g_test_add ("/run/shutdown-timeout", Fixture, NULL, fixture_setup, test_run_shutdown_timeout, fixture_teardown);
  g_test_add ("/run/unread-key", Fixture, NULL, fixture_setup, test_run_unread_key, fixture_teardown);
  g_test_add ("/run/bad-option", Fixture, NULL, fixture_setup, test_run_bad_option, fixture_teardown);

  return g_test_run ();
}
