/* bk-test-caches.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <hiredis/hiredis.h>

#include <libbackend-test-utils.h>

/**
 * BkTestRedis:
 *
 * A Redis server for the tests of one process.
 *
 * [func@Bk.TestRedis.get] gives the process-wide server, started on first
 * use from Debian's `redis-server` (found in `PATH`). It listens only on a
 * Unix socket in a directory of its own, `/tmp/bk-redis-XXXXXX` (no TCP:
 * `port 0`), and keeps nothing on disk (`save ""`, `appendonly no`). Give
 * [method@Bk.TestRedis.get_connection] to `backend.cache.connection`, or use
 * [func@Bk.test_caches_add], which also empties the server before each test.
 *
 * The server is stopped and its directory removed when the process exits,
 * and also when it dies without exiting (a failed assertion, a signal): a
 * watcher process holds a pipe from the test process and stops the server
 * when the pipe closes. The watcher also runs the outage functions:
 * [method@Bk.TestRedis.stop] and [method@Bk.TestRedis.restart] (the server
 * exits, then starts again on the same socket, empty), and
 * [method@Bk.TestRedis.pause] and [method@Bk.TestRedis.resume] (the server
 * process is stopped with `SIGSTOP`: connections stay open but nothing is
 * answered).
 *
 * When `redis-server` is not installed, [func@Bk.TestRedis.get] fails with
 * %G_IO_ERROR_NOT_FOUND, which a test turns into [func@GLib.test_skip].
 *
 * Not thread-safe: use it from the test's main thread.
 *
 * Since: 0.1
 */

struct _BkTestRedis
{
  GObject  parent_instance;

  char    *directory;
  char    *socket_path;
  char    *connection;
  GPid     watcher;
  int      watcher_stdin;
  int      watcher_stdout;
};

G_DEFINE_FINAL_TYPE (BkTestRedis, bk_test_redis, G_TYPE_OBJECT)

static BkTestRedis *instance;
static GError      *instance_error;

/* Starts the server ($1) in directory $2, says "ready" (or "failed: …"),
 * then runs commands read from its standard input, one per line, answering
 * each with a line: stop, start, pause, resume. At the end of its input
 * (the test process closed it or died) it kills the server and removes
 * $2. Signals sent to the test's process group are ignored so that the
 * cleanup still runs. */
static const char watcher_script[] =
  "trap '' HUP INT TERM PIPE\n"
  "server=$1 dir=$2 sock=$2/redis.sock pid=\n"
  "printf '%s\\n' 'port 0' \"unixsocket $sock\" 'unixsocketperm 700' 'save \"\"' \\\n"
  "  'appendonly no' \"dir $dir\" 'daemonize no' \"logfile $dir/log\" >\"$dir/redis.conf\"\n"
  "start() {\n"
  "  rm -f \"$sock\"\n"
  "  \"$server\" \"$dir/redis.conf\" </dev/null >/dev/null 2>&1 &\n"
  "  pid=$! n=0\n"
  "  while [ ! -S \"$sock\" ]; do\n"
  "    if ! kill -0 \"$pid\" 2>/dev/null || [ $n -ge 2000 ]; then\n"
  "      echo \"failed: $(tail -n 3 \"$dir/log\" 2>/dev/null | tr '\\n' ' ')\"\n"
  "      kill -9 \"$pid\" 2>/dev/null; pid=\n"
  "      return 1\n"
  "    fi\n"
  "    n=$((n + 1)); sleep 0.005\n"
  "  done\n"
  "  echo ready\n"
  "}\n"
  "stop() {\n"
  "  if [ -n \"$pid\" ]; then kill -CONT \"$pid\"; kill \"$pid\"; wait \"$pid\"; pid=; fi 2>/dev/null\n"
  "}\n"
  "if start; then\n"
  "  while read -r cmd; do\n"
  "    case $cmd in\n"
  "      stop) stop; echo ready ;;\n"
  "      start) stop; start ;;\n"
  "      pause) kill -STOP \"$pid\"; echo ready ;;\n"
  "      resume) kill -CONT \"$pid\"; echo ready ;;\n"
  "    esac\n"
  "  done\n"
  "fi\n"
  "[ -n \"$pid\" ] && kill -9 \"$pid\" 2>/dev/null && wait \"$pid\" 2>/dev/null\n"
  "rm -rf \"$dir\"\n";

/* Reads one line from the watcher (without its newline). */
static char *
read_line (int fd)
{
  g_autoptr(GString) line = g_string_new (NULL);
  char c;
  gssize n;

  while ((n = read (fd, &c, 1)) > 0 || (n < 0 && errno == EINTR))
    {
      if (n < 0)
        continue;
      if (c == '\n')
        return g_string_free (g_steal_pointer (&line), FALSE);
      g_string_append_c (line, c);
    }
  if (line->len == 0)
    g_string_append (line, "failed: the watcher exited");
  return g_string_free (g_steal_pointer (&line), FALSE);
}

static gboolean
check_ready (BkTestRedis  *self,
             const char   *what,
             GError      **error)
{
  g_autofree char *line = read_line (self->watcher_stdout);

  if (g_str_equal (line, "ready"))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not %s the Redis server in '%s': %s",
               what, self->directory, line);
  return FALSE;
}

static gboolean
send_to_watcher (BkTestRedis  *self,
                 const char   *command,
                 GError      **error)
{
  g_autofree char *line = g_strconcat (command, "\n", NULL);

  if (write (self->watcher_stdin, line, strlen (line)) != (gssize) strlen (line))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Could not %s the Redis server in '%s': its watcher is gone", command, self->directory);
      return FALSE;
    }
  return check_ready (self, command, error);
}

static BkTestRedis *
start_private (GError **error)
{
  g_autoptr(BkTestRedis) self = NULL;
  g_autofree char *server = g_find_program_in_path ("redis-server");
  const char *argv[7];

  if (server == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "redis-server not found in PATH; install the redis-server package");
      return NULL;
    }

  self = g_object_new (BK_TYPE_TEST_REDIS, NULL);
  self->directory = g_strdup ("/tmp/bk-redis-XXXXXX");
  if (g_mkdtemp_full (self->directory, 0700) == NULL)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create the Redis directory '%s': %s",
                   self->directory, g_strerror (saved_errno));
      g_clear_pointer (&self->directory, g_free);
      return NULL;
    }
  self->socket_path = g_build_filename (self->directory, "redis.sock", NULL);
  self->connection = g_strconcat ("unix://", self->socket_path, NULL);

  argv[0] = "/bin/sh";
  argv[1] = "-c";
  argv[2] = watcher_script;
  argv[3] = "sh";
  argv[4] = server;
  argv[5] = self->directory;
  argv[6] = NULL;
  if (!g_spawn_async_with_pipes ("/", (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                 NULL, NULL, &self->watcher, &self->watcher_stdin,
                                 &self->watcher_stdout, NULL, error))
    {
      g_rmdir (self->directory);
      return NULL;
    }
  if (!check_ready (self, "start", error))
    return NULL;

  return g_steal_pointer (&self);
}

static void
bk_test_redis_finalize (GObject *object)
{
  BkTestRedis *self = BK_TEST_REDIS (object);

  /* Closing the pipe makes the watcher stop the server and remove its
   * directory; waiting for it makes that done when the process exits. */
  if (self->watcher != 0)
    {
      close (self->watcher_stdin);
      close (self->watcher_stdout);
      while (waitpid (self->watcher, NULL, 0) < 0 && errno == EINTR)
        ;
      g_spawn_close_pid (self->watcher);
    }
  g_clear_pointer (&self->directory, g_free);
  g_clear_pointer (&self->socket_path, g_free);
  g_clear_pointer (&self->connection, g_free);

  G_OBJECT_CLASS (bk_test_redis_parent_class)->finalize (object);
}

static void
bk_test_redis_class_init (BkTestRedisClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bk_test_redis_finalize;
}

static void
bk_test_redis_init (BkTestRedis *self)
{
  self->watcher_stdin = -1;
  self->watcher_stdout = -1;
}

static void
stop_at_exit (void)
{
  g_clear_object (&instance);
  g_clear_error (&instance_error);
}

/**
 * bk_test_redis_get:
 * @error: return location for a #GError
 *
 * Gets the Redis server of the process, starting it on the first call. The
 * server lives until the process exits. A failure is remembered: later
 * calls fail the same way without trying again.
 *
 * Returns: (transfer none): the server, or %NULL with @error set:
 *   %G_IO_ERROR_NOT_FOUND when `redis-server` is not installed
 *
 * Since: 0.1
 */
BkTestRedis *
bk_test_redis_get (GError **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (instance == NULL && instance_error == NULL)
    {
      instance = start_private (&instance_error);
      atexit (stop_at_exit);
    }
  if (instance_error != NULL && error != NULL)
    *error = g_error_copy (instance_error);
  return instance;
}

/**
 * bk_test_redis_get_socket_path:
 * @self: a Redis server
 *
 * Gets the path of the server's Unix socket.
 *
 * Returns: (transfer none): the path
 *
 * Since: 0.1
 */
const char *
bk_test_redis_get_socket_path (BkTestRedis *self)
{
  g_return_val_if_fail (BK_IS_TEST_REDIS (self), NULL);

  return self->socket_path;
}

/**
 * bk_test_redis_get_connection:
 * @self: a Redis server
 *
 * Gets the server's address as `backend.cache.connection` takes it:
 * `unix:///tmp/bk-redis-XXXXXX/redis.sock`.
 *
 * Returns: (transfer none): the connection string
 *
 * Since: 0.1
 */
const char *
bk_test_redis_get_connection (BkTestRedis *self)
{
  g_return_val_if_fail (BK_IS_TEST_REDIS (self), NULL);

  return self->connection;
}

/**
 * bk_test_redis_flush:
 * @self: a Redis server
 * @error: return location for a #GError
 *
 * Removes every key of every database (`FLUSHALL`).
 *
 * Returns: %TRUE on success, %FALSE with @error set
 *
 * Since: 0.1
 */
gboolean
bk_test_redis_flush (BkTestRedis  *self,
                     GError      **error)
{
  struct timeval timeout = { 5, 0 };
  redisContext *c;
  redisReply *reply = NULL;
  gboolean ok;

  g_return_val_if_fail (BK_IS_TEST_REDIS (self), FALSE);

  c = redisConnectUnixWithTimeout (self->socket_path, timeout);
  ok = c != NULL && c->err == 0 && redisSetTimeout (c, timeout) == REDIS_OK &&
       (reply = redisCommand (c, "FLUSHALL")) != NULL && reply->type != REDIS_REPLY_ERROR;
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not flush the Redis server at %s: %s",
                 self->socket_path,
                 reply != NULL ? reply->str : c != NULL ? c->errstr : "out of memory");
  if (reply != NULL)
    freeReplyObject (reply);
  if (c != NULL)
    redisFree (c);
  return ok;
}

/**
 * bk_test_redis_stop:
 * @self: a Redis server
 * @error: return location for a #GError
 *
 * Stops the server (`SIGTERM`): it closes every connection and exits, to
 * test how code behaves when Redis goes away. Stopping a stopped server
 * does nothing.
 *
 * Returns: %TRUE once the server has exited, %FALSE with @error set
 *
 * Since: 0.1
 */
gboolean
bk_test_redis_stop (BkTestRedis  *self,
                    GError      **error)
{
  g_return_val_if_fail (BK_IS_TEST_REDIS (self), FALSE);

  return send_to_watcher (self, "stop", error);
}

/**
 * bk_test_redis_restart:
 * @self: a Redis server
 * @error: return location for a #GError
 *
 * Starts the server again after [method@Bk.TestRedis.stop], on the same
 * socket, empty; a running server is stopped first.
 *
 * Returns: %TRUE once the server listens, %FALSE with @error set
 *
 * Since: 0.1
 */
gboolean
bk_test_redis_restart (BkTestRedis  *self,
                       GError      **error)
{
  g_return_val_if_fail (BK_IS_TEST_REDIS (self), FALSE);

  return send_to_watcher (self, "start", error);
}

/**
 * bk_test_redis_pause:
 * @self: a Redis server
 * @error: return location for a #GError
 *
 * Freezes the server process (`SIGSTOP`): connections stay open and
 * commands are accepted, but nothing is answered until
 * [method@Bk.TestRedis.resume], as with a hung server.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 *
 * Since: 0.1
 */
gboolean
bk_test_redis_pause (BkTestRedis  *self,
                     GError      **error)
{
  g_return_val_if_fail (BK_IS_TEST_REDIS (self), FALSE);

  return send_to_watcher (self, "pause", error);
}

/**
 * bk_test_redis_resume:
 * @self: a Redis server
 * @error: return location for a #GError
 *
 * Lets a server frozen by [method@Bk.TestRedis.pause] run again.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 *
 * Since: 0.1
 */
gboolean
bk_test_redis_resume (BkTestRedis  *self,
                      GError      **error)
{
  g_return_val_if_fail (BK_IS_TEST_REDIS (self), FALSE);

  return send_to_watcher (self, "resume", error);
}

/* BkTestCaches --------------------------------------------------------------------------------- */

/**
 * bk_test_cache_store_get_name:
 * @store: a store
 *
 * Gets the name of @store as `backend.cache.store` writes it, which is
 * also the last part of the test paths of [func@Bk.test_caches_add].
 *
 * Returns: `memory` or `redis`
 *
 * Since: 0.1
 */
const char *
bk_test_cache_store_get_name (BkTestCacheStore store)
{
  return store == BK_TEST_CACHE_REDIS ? "redis" : "memory";
}

typedef struct
{
  BkTestCachesFunc  func;
  gconstpointer     user_data;
  BkTestCacheStore  store;
} CacheTest;

static void
run_cache_test (gconstpointer data)
{
  const CacheTest *test = data;
  g_autofree char *config = NULL;

  if (test->store == BK_TEST_CACHE_REDIS)
    {
      g_autoptr(GError) error = NULL;
      BkTestRedis *redis = bk_test_redis_get (&error);
      g_autofree char *connection = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          g_test_skip (error->message);
          return;
        }
      g_assert_no_error (error);
      if (!bk_test_redis_flush (redis, &error))
        {
          /* a test before this one left it stopped */
          g_clear_error (&error);
          bk_test_redis_restart (redis, &error);
          g_assert_no_error (error);
        }
      connection = g_strescape (bk_test_redis_get_connection (redis), NULL);
      config = g_strdup_printf ("{\"backend\":{\"cache\":{\"store\":\"redis\",\"connection\":\"%s\"}}}",
                                connection);
    }
  else
    config = g_strdup ("{\"backend\":{\"cache\":{\"store\":\"memory\"}}}");

  test->func (test->store, config, test->user_data);
}

/**
 * bk_test_caches_add:
 * @path: the test path, such as `/cache/get-set`
 * @func: (scope forever): the test body
 * @user_data: data for @func
 *
 * Adds one test per cache store, as Backstage's `TestCaches`:
 * `<path>/memory` and `<path>/redis`. Each runs @func with a root config
 * that selects its store. The Redis variant runs on [class@Bk.TestRedis],
 * emptied first (and restarted if a test left it stopped); it is skipped,
 * with the reason, when `redis-server` is not installed.
 *
 * Since: 0.1
 */
void
bk_test_caches_add (const char       *path,
                    BkTestCachesFunc  func,
                    gconstpointer     user_data)
{
  static GPtrArray *tests = NULL;

  g_return_if_fail (path != NULL);
  g_return_if_fail (func != NULL);

  if (tests == NULL)
    tests = g_ptr_array_new ();
  for (BkTestCacheStore store = BK_TEST_CACHE_MEMORY; store <= BK_TEST_CACHE_REDIS; store++)
    {
      CacheTest *test = g_new0 (CacheTest, 1);
      g_autofree char *test_path = g_strdup_printf ("%s/%s", path, bk_test_cache_store_get_name (store));

      test->func = func;
      test->user_data = user_data;
      test->store = store;
      /* Kept for the whole process: GLib frees a test's data only when
       * that test runs, so a selective run would leak the others'. */
      g_ptr_array_add (tests, test);
      g_test_add_data_func (test_path, test, run_cache_test);
    }
}
