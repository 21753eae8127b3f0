/* bk-test-postgres.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <linux/magic.h>

#include <libbackend-test-utils.h>

#define PG_ROOT      "/usr/lib/postgresql"
#define PG_PORT      5432
#define PG_SUPERUSER "postgres"
#define SHM_MIN_FREE (G_GUINT64_CONSTANT (2) << 30)

/**
 * BkTestPostgres:
 *
 * A PostgreSQL server for the tests of one process, with a fresh database per
 * test.
 *
 * [func@Bk.TestPostgres.get] gives the process-wide server, started on first
 * use from Debian's `postgresql` binaries (the highest version in
 * `/usr/lib/postgresql/<version>/bin`); [method@Bk.TestPostgres.create_database]
 * makes an empty database and gives a libpq connection string for it:
 *
 * ```c
 * g_autoptr(GError) error = NULL;
 * g_autofree char *conninfo = NULL;
 * BkTestPostgres *postgres = bk_test_postgres_get (&error);
 *
 * if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
 *   {
 *     g_test_skip (error->message);
 *     return;
 *   }
 * g_assert_no_error (error);
 * conninfo = bk_test_postgres_create_database (postgres, &error);
 * ```
 *
 * The server listens only on a Unix socket in a directory of its own,
 * `/dev/shm/bk-pg-XXXXXX` when `/dev/shm` is a tmpfs with 2 GiB free,
 * `/tmp/bk-pg-XXXXXX` otherwise, which also holds its data; it runs with
 * `fsync` off.
 * Its cluster is a copy of a template made once with `initdb` and kept as
 * `/tmp/bk-pg-template-<version>-<uid>` (rebuilt when incomplete), so a
 * process has a ready server in a fraction of a second. PostgreSQL refuses to
 * run as root: a test process running as root runs the server as the
 * `postgres` system user that Debian's package creates. The superuser role is
 * `postgres`, with `trust` authentication (only the owner of the socket
 * directory, and root, can reach it).
 *
 * The server is stopped and its directory removed when the process exits
 * (`atexit()`), and also when it dies without exiting (a failed assertion, a
 * signal): a watcher process holds a pipe from the test process and stops the
 * server when the pipe closes.
 *
 * When the environment variable `BK_TEST_POSTGRES_URL` is set to a libpq
 * connection string or URL, no server is started: that server is used, with
 * a role that may create databases, and the databases made are dropped at
 * exit.
 *
 * When the binaries are absent, [func@Bk.TestPostgres.get] fails with
 * %G_IO_ERROR_NOT_FOUND, which a test turns into [func@GLib.test_skip].
 * Other errors are in the `G_IO_ERROR` domain too, with the message of
 * PostgreSQL or of the failing step.
 *
 * The functions are thread-safe.
 *
 * Since: 0.1
 */

struct _BkTestPostgres
{
  GObject    parent_instance;

  char      *conninfo;        /* the maintenance database */
  char      *host;
  guint      port;
  char      *user;

  /* A private server: the watcher of start_script, the write end of its
   * standard input, and the directory of the server. */
  GPid       watcher;
  int        watcher_stdin;
  char      *directory;
  gboolean   file_copy;       /* CREATE DATABASE … STRATEGY = FILE_COPY */
  char      *bindir;
  gboolean   switch_user;     /* the server runs as uid:gid */
  uid_t      uid;
  gid_t      gid;
  gboolean   stopped;         /* by bk_test_postgres_stop(), under lock */

  /* An external server: the databases to drop at exit. */
  GMutex     lock;
  GPtrArray *databases;
};

G_DEFINE_FINAL_TYPE (BkTestPostgres, bk_test_postgres, G_TYPE_OBJECT)

static GMutex          instance_lock;
static BkTestPostgres *instance;
static GError         *instance_error;

/* Builds the template cluster $2 with the binaries in $1: in a temporary
 * directory renamed at the end, so that $2 is complete or absent. */
static const char template_script[] =
  "set -e\n"
  "rm -rf \"$2\"\n"
  "tmp=$(mktemp -d \"$2.XXXXXX\")\n"
  "trap 'rm -rf \"$tmp\"' EXIT\n"
  "\"$1/initdb\" -D \"$tmp/data\" -U " PG_SUPERUSER " -A trust -E UTF8 --locale=C \\\n"
  "  --no-sync --no-instructions --wal-segsize=1 >/dev/null\n"
  "printf '%s\\n' \"listen_addresses = ''\" 'fsync = off' 'synchronous_commit = off' \\\n"
  "  'full_page_writes = off' 'max_connections = 100' >>\"$tmp/data/postgresql.conf\"\n"
  "mv -T \"$tmp\" \"$2\"\n";

/* Copies the template $2 into $3 and starts a server there with the
 * binaries in $1, says "ready", then waits for the end of its standard
 * input, which comes when the test process closes it or dies, and stops the
 * server. Signals sent to the test's process group are ignored so that the
 * cleanup still runs. On failure, prints what went wrong. */
static const char start_script[] =
  "trap '' HUP INT TERM PIPE\n"
  "if cp -a \"$2/data\" \"$3/data\" 2>&1 &&\n"
  "   \"$1/pg_ctl\" start -w -s -D \"$3/data\" -l \"$3/log\" -o \"-p " G_STRINGIFY (PG_PORT) " -k $3\" 2>&1\n"
  "then\n"
  "  echo ready\n"
  "  read -r line\n"
  "  \"$1/pg_ctl\" stop -w -s -m immediate -D \"$3/data\" >/dev/null 2>&1\n"
  "else\n"
  "  cat \"$3/log\" 2>/dev/null\n"
  "fi\n"
  "rm -rf \"$3\"\n";

/* ------------------------------------------------------------------------ */
/* Connection strings and SQL                                               */
/* ------------------------------------------------------------------------ */

static void
append_keyword (GString    *out,
                const char *keyword,
                const char *value)
{
  if (out->len > 0)
    g_string_append_c (out, ' ');
  g_string_append_printf (out, "%s=", keyword);

  if (*value != '\0' && strpbrk (value, " \t\n\r\\'") == NULL)
    {
      g_string_append (out, value);
      return;
    }

  g_string_append_c (out, '\'');
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '\'' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '\'');
}

/* Rewrites the connection string or URL @base in keyword form (host, port
 * and user first), with the database @dbname, or that of @base (by default
 * `postgres`) when @dbname is %NULL. */
static char *
conninfo_with_dbname (const char  *base,
                      const char  *dbname,
                      GError     **error)
{
  static const char * const first[] = { "host", "port", "user", NULL };
  g_autoptr(GString) out = g_string_new (NULL);
  PQconninfoOption *options;
  char *message = NULL;

  options = PQconninfoParse (base, &message);
  if (options == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s",
                   message != NULL ? g_strchomp (message) : "out of memory");
      PQfreemem (message);
      return NULL;
    }

  /* the keywords of first[] in that order, then the others */
  for (guint i = 0; i < G_N_ELEMENTS (first); i++)
    for (PQconninfoOption *o = options; o->keyword != NULL; o++)
      {
        if (o->val == NULL ||
            (first[i] != NULL && strcmp (o->keyword, first[i]) != 0) ||
            (first[i] == NULL && g_strv_contains (first, o->keyword)))
          continue;
        if (strcmp (o->keyword, "dbname") == 0)
          dbname = dbname != NULL ? dbname : o->val;
        else
          append_keyword (out, o->keyword, o->val);
      }
  append_keyword (out, "dbname", dbname != NULL ? dbname : "postgres");

  PQconninfoFree (options);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
set_error_from_connection (GError **error,
                           PGconn  *conn)
{
  g_autofree char *message = g_strdup (PQerrorMessage (conn));

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", g_strchomp (message));
  return FALSE;
}

/* Runs @sql, a command that returns no rows, on a connection of its own. */
static gboolean
execute (const char  *conninfo,
         const char  *sql,
         GError     **error)
{
  PGconn *conn = PQconnectdb (conninfo);
  PGresult *result = NULL;
  gboolean ok;

  ok = PQstatus (conn) == CONNECTION_OK &&
       PQresultStatus (result = PQexec (conn, sql)) == PGRES_COMMAND_OK;
  if (!ok)
    set_error_from_connection (error, conn);

  PQclear (result);
  PQfinish (conn);
  return ok;
}

/* Connects to the maintenance database once: the server is up, and libpq
 * tells the host, port and user it resolved. */
static gboolean
connect_maintenance (BkTestPostgres  *self,
                     GError         **error)
{
  PGconn *conn = PQconnectdb (self->conninfo);

  if (PQstatus (conn) != CONNECTION_OK)
    {
      set_error_from_connection (error, conn);
      g_prefix_error (error, "Could not connect to the PostgreSQL server: ");
      PQfinish (conn);
      return FALSE;
    }

  self->host = g_strdup (PQhost (conn));
  self->port = (guint) g_ascii_strtoull (PQport (conn), NULL, 10);
  self->user = g_strdup (PQuser (conn));
  PQfinish (conn);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* A private server                                                         */
/* ------------------------------------------------------------------------ */

typedef struct
{
  gboolean switch_user;
  uid_t    uid;
  gid_t    gid;
} Identity;

/* A GSpawnChildSetupFunc: runs in the child between fork and exec. */
static void
become_server_user (gpointer data)
{
  const Identity *id = data;

  if (id->switch_user &&
      (setgroups (1, &id->gid) != 0 || setgid (id->gid) != 0 || setuid (id->uid) != 0))
    _exit (127);
}

static gboolean
lookup_server_user (Identity  *id,
                    GError   **error)
{
  struct passwd *pw;

  id->switch_user = geteuid () == 0;
  id->uid = geteuid ();
  id->gid = getegid ();
  if (!id->switch_user)
    return TRUE;

  pw = getpwnam (PG_SUPERUSER);
  if (pw == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "PostgreSQL cannot run as root and there is no '" PG_SUPERUSER "' "
                   "system user to run it as; install the postgresql package");
      return FALSE;
    }
  id->uid = pw->pw_uid;
  id->gid = pw->pw_gid;
  return TRUE;
}

/* Finds the highest version in PG_ROOT that has the server binaries. */
static char *
find_bindir (guint *version)
{
  g_autoptr(GDir) dir = g_dir_open (PG_ROOT, 0, NULL);
  guint64 best = 0;
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *postgres = g_build_filename (PG_ROOT, name, "bin", "postgres", NULL);
      guint64 v;

      if (g_ascii_string_to_unsigned (name, 10, 1, G_MAXUINT, &v, NULL) && v > best &&
          g_file_test (postgres, G_FILE_TEST_IS_EXECUTABLE))
        best = v;
    }

  if (best == 0)
    return NULL;
  *version = (guint) best;
  return g_strdup_printf (PG_ROOT "/%u/bin", *version);
}

/* The directory of the server: /dev/shm when it is a tmpfs with room, so
 * that the copy of the template and the tests' writes never wait for a disk,
 * /tmp otherwise. */
static const char *
choose_base_directory (void)
{
  struct statfs st;

  if (statfs ("/dev/shm", &st) == 0 && st.f_type == TMPFS_MAGIC &&
      (guint64) st.f_bavail * st.f_bsize >= SHM_MIN_FREE)
    return "/dev/shm";
  return "/tmp";
}

static gboolean
template_is_complete (const char     *path,
                      const Identity *id)
{
  g_autofree char *control = g_build_filename (path, "data", "global", "pg_control", NULL);
  g_autofree char *conf = g_build_filename (path, "data", "postgresql.conf", NULL);
  GStatBuf st;

  return g_lstat (path, &st) == 0 && S_ISDIR (st.st_mode) && st.st_uid == id->uid &&
         g_file_test (control, G_FILE_TEST_IS_REGULAR) &&
         g_file_test (conf, G_FILE_TEST_IS_REGULAR);
}

/* Makes the template cluster @path unless it is complete, one process at a
 * time (the others wait for it, then use it). */
static gboolean
ensure_template (const char      *bindir,
                 const char      *path,
                 const Identity  *id,
                 GError         **error)
{
  g_autofree char *lock_path = g_strconcat (path, ".lock", NULL);
  g_autofree char *errors = NULL;
  const char *argv[] = { "/bin/sh", "-c", template_script, "sh", bindir, path, NULL };
  gboolean ok = TRUE;
  int status;
  int fd;

  fd = open (lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not open '%s': %s", lock_path, g_strerror (saved_errno));
      return FALSE;
    }
  while (flock (fd, LOCK_EX) != 0 && errno == EINTR)
    ;

  if (!template_is_complete (path, id))
    ok = g_spawn_sync ("/", (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
                       become_server_user, (gpointer) id, NULL, &errors, &status, error) &&
         g_spawn_check_wait_status (status, error);
  if (!ok && errors != NULL && *g_strchomp (errors) != '\0')
    {
      g_clear_error (error);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, errors);
    }
  if (!ok)
    g_prefix_error (error, "Could not create the PostgreSQL template cluster '%s': ", path);

  close (fd);
  return ok;
}

/* Reads the watcher's output up to "ready", or all of it when it fails. */
static char *
read_until_ready (int fd)
{
  g_autoptr(GString) out = g_string_new (NULL);
  char buffer[512];
  gssize n;

  while (!g_str_has_prefix (out->str, "ready\n") &&
         ((n = read (fd, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)))
    if (n > 0)
      g_string_append_len (out, buffer, n);

  close (fd);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static BkTestPostgres *
start_private (GError **error)
{
  g_autoptr(BkTestPostgres) self = NULL;
  g_autofree char *bindir = NULL;
  g_autofree char *template = NULL;
  g_autofree char *output = NULL;
  const char *argv[8];
  Identity id;
  guint version = 0;
  int stdout_fd = -1;

  bindir = find_bindir (&version);
  if (bindir == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "PostgreSQL binaries not found in " PG_ROOT "/*/bin; "
                           "install the postgresql package");
      return NULL;
    }

  if (!lookup_server_user (&id, error))
    return NULL;

  template = g_strdup_printf ("/tmp/bk-pg-template-%u-%u", version, (guint) getuid ());
  if (!ensure_template (bindir, template, &id, error))
    return NULL;

  self = g_object_new (BK_TYPE_TEST_POSTGRES, NULL);
  self->directory = g_build_filename (choose_base_directory (), "bk-pg-XXXXXX", NULL);
  if (g_mkdtemp_full (self->directory, 0700) == NULL ||
      (id.switch_user && chown (self->directory, id.uid, id.gid) != 0))
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create the PostgreSQL directory '%s': %s",
                   self->directory, g_strerror (saved_errno));
      g_rmdir (self->directory);
      return NULL;
    }

  argv[0] = "/bin/sh";
  argv[1] = "-c";
  argv[2] = start_script;
  argv[3] = "sh";
  argv[4] = bindir;
  argv[5] = template;
  argv[6] = self->directory;
  argv[7] = NULL;
  if (!g_spawn_async_with_pipes ("/", (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                 become_server_user, &id, &self->watcher,
                                 &self->watcher_stdin, &stdout_fd, NULL, error))
    {
      g_rmdir (self->directory);
      return NULL;
    }

  output = read_until_ready (stdout_fd);
  if (!g_str_has_prefix (output, "ready\n"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Could not start the PostgreSQL server in '%s' from the template '%s': %s",
                   self->directory, template,
                   *g_strstrip (output) != '\0' ? output : "its watcher exited");
      return NULL;
    }

  self->conninfo = g_strdup_printf ("host=%s port=%u user=" PG_SUPERUSER " dbname=postgres",
                                    self->directory, PG_PORT);
  self->bindir = g_strdup (bindir);
  self->switch_user = id.switch_user;
  self->uid = id.uid;
  self->gid = id.gid;
  /* faster than the WAL_LOG default of PostgreSQL 15 when fsync is off */
  self->file_copy = version >= 15;
  if (!connect_maintenance (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

/* ------------------------------------------------------------------------ */
/* An external server                                                       */
/* ------------------------------------------------------------------------ */

static BkTestPostgres *
use_external (const char  *url,
              GError     **error)
{
  g_autoptr(BkTestPostgres) self = g_object_new (BK_TYPE_TEST_POSTGRES, NULL);

  self->conninfo = conninfo_with_dbname (url, NULL, error);
  if (self->conninfo == NULL)
    {
      g_prefix_error (error, "Invalid BK_TEST_POSTGRES_URL: ");
      return NULL;
    }
  if (!connect_maintenance (self, error))
    return NULL;

  self->databases = g_ptr_array_new_with_free_func (g_free);
  return g_steal_pointer (&self);
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */
/* ------------------------------------------------------------------------ */

static void
bk_test_postgres_finalize (GObject *object)
{
  BkTestPostgres *self = BK_TEST_POSTGRES (object);

  /* Closing the pipe makes the watcher stop the server and remove its
   * directory; waiting for it makes that done when the process exits. */
  if (self->watcher != 0)
    {
      close (self->watcher_stdin);
      while (waitpid (self->watcher, NULL, 0) < 0 && errno == EINTR)
        ;
      g_spawn_close_pid (self->watcher);
      g_rmdir (self->directory);  /* left only if the watcher could not run */
    }

  for (guint i = 0; self->databases != NULL && i < self->databases->len; i++)
    {
      g_autofree char *sql = g_strdup_printf ("DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)",
                                              (char *) g_ptr_array_index (self->databases, i));

      execute (self->conninfo, sql, NULL);
    }

  g_clear_pointer (&self->databases, g_ptr_array_unref);
  g_clear_pointer (&self->directory, g_free);
  g_clear_pointer (&self->bindir, g_free);
  g_clear_pointer (&self->conninfo, g_free);
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->user, g_free);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (bk_test_postgres_parent_class)->finalize (object);
}

static void
bk_test_postgres_class_init (BkTestPostgresClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bk_test_postgres_finalize;
}

static void
bk_test_postgres_init (BkTestPostgres *self)
{
  self->watcher_stdin = -1;
  g_mutex_init (&self->lock);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */
/* ------------------------------------------------------------------------ */

static void
stop_at_exit (void)
{
  g_mutex_lock (&instance_lock);
  g_clear_object (&instance);
  g_clear_error (&instance_error);
  g_mutex_unlock (&instance_lock);
}

/**
 * bk_test_postgres_get:
 * @error: return location for a #GError
 *
 * Gets the PostgreSQL server of the process, starting it on the first call
 * (or connecting to the server named by `BK_TEST_POSTGRES_URL`). The server
 * lives until the process exits.
 *
 * A failure is remembered: later calls fail the same way without trying
 * again.
 *
 * Returns: (transfer none): the server, or %NULL with @error set:
 *   %G_IO_ERROR_NOT_FOUND when the PostgreSQL binaries are not installed
 *
 * Since: 0.1
 */
BkTestPostgres *
bk_test_postgres_get (GError **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&instance_lock);

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (instance == NULL && instance_error == NULL)
    {
      const char *url = g_getenv ("BK_TEST_POSTGRES_URL");

      if (url != NULL && *url != '\0')
        instance = use_external (url, &instance_error);
      else
        instance = start_private (&instance_error);
      atexit (stop_at_exit);
    }

  if (instance_error != NULL && error != NULL)
    *error = g_error_copy (instance_error);
  return instance;
}

/**
 * bk_test_postgres_create_database:
 * @self: a PostgreSQL server
 * @error: return location for a #GError
 *
 * Creates an empty database with a name of its own (`bk_test_…`) and gives a
 * libpq connection string for it, in keyword form:
 * `host=/dev/shm/bk-pg-AbC123 port=5432 user=postgres dbname=bk_test_…`. For an
 * external server, the string has the parameters of `BK_TEST_POSTGRES_URL`
 * with the new database's name.
 *
 * Returns: (transfer full): the connection string, or %NULL with @error set
 *
 * Since: 0.1
 */
char *
bk_test_postgres_create_database (BkTestPostgres  *self,
                                  GError         **error)
{
  static gint counter;
  g_autofree char *name = NULL;
  g_autofree char *sql = NULL;

  g_return_val_if_fail (BK_IS_TEST_POSTGRES (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  name = g_strdup_printf ("bk_test_%d_%d_%08x", (int) getpid (),
                          g_atomic_int_add (&counter, 1), g_random_int ());
  sql = g_strdup_printf ("CREATE DATABASE \"%s\"%s", name,
                         self->file_copy ? " STRATEGY = FILE_COPY" : "");
  if (!execute (self->conninfo, sql, error))
    {
      g_prefix_error (error, "Could not create the test database '%s': ", name);
      return NULL;
    }

  if (self->databases != NULL)
    {
      g_mutex_lock (&self->lock);
      g_ptr_array_add (self->databases, g_strdup (name));
      g_mutex_unlock (&self->lock);
    }

  return conninfo_with_dbname (self->conninfo, name, error);
}

/**
 * bk_test_postgres_get_host:
 * @self: a PostgreSQL server
 *
 * Gets the host of the server: for a private server, the directory of its
 * Unix socket.
 *
 * Returns: (transfer none): the host, as libpq resolved it
 *
 * Since: 0.1
 */
const char *
bk_test_postgres_get_host (BkTestPostgres *self)
{
  g_return_val_if_fail (BK_IS_TEST_POSTGRES (self), NULL);

  return self->host;
}

/**
 * bk_test_postgres_get_port:
 * @self: a PostgreSQL server
 *
 * Gets the port of the server (for a Unix socket, the number in its name).
 *
 * Returns: the port
 *
 * Since: 0.1
 */
guint
bk_test_postgres_get_port (BkTestPostgres *self)
{
  g_return_val_if_fail (BK_IS_TEST_POSTGRES (self), 0);

  return self->port;
}

/**
 * bk_test_postgres_get_user:
 * @self: a PostgreSQL server
 *
 * Gets the role the test kit connects as: `postgres`, a superuser, for a
 * private server.
 *
 * Returns: (transfer none): the user name
 *
 * Since: 0.1
 */
const char *
bk_test_postgres_get_user (BkTestPostgres *self)
{
  g_return_val_if_fail (BK_IS_TEST_POSTGRES (self), NULL);

  return self->user;
}

/**
 * bk_test_postgres_get_conninfo:
 * @self: a PostgreSQL server
 *
 * Gets a libpq connection string, in keyword form, for the maintenance
 * database: `postgres`, or for an external server the database named in
 * `BK_TEST_POSTGRES_URL` if it names one.
 *
 * Returns: (transfer none): the connection string
 *
 * Since: 0.1
 */
const char *
bk_test_postgres_get_conninfo (BkTestPostgres *self)
{
  g_return_val_if_fail (BK_IS_TEST_POSTGRES (self), NULL);

  return self->conninfo;
}

/* Runs pg_ctl of a private server with @args as the server's user. */
static gboolean
run_pg_ctl (BkTestPostgres  *self,
            const char      *action,
            GError         **error)
{
  g_autofree char *pg_ctl = g_build_filename (self->bindir, "pg_ctl", NULL);
  g_autofree char *data = g_build_filename (self->directory, "data", NULL);
  g_autofree char *log = g_build_filename (self->directory, "log", NULL);
  g_autofree char *options = g_strdup_printf ("-p " G_STRINGIFY (PG_PORT) " -k %s", self->directory);
  g_autofree char *errors = NULL;
  const char *start_argv[] = { pg_ctl, "start", "-w", "-s", "-D", data, "-l", log, "-o", options, NULL };
  const char *stop_argv[] = { pg_ctl, "stop", "-w", "-s", "-m", "fast", "-D", data, NULL };
  Identity id = { self->switch_user, self->uid, self->gid };
  int status;

  if (g_spawn_sync ("/", (char **) (g_str_equal (action, "start") ? start_argv : stop_argv), NULL,
                    G_SPAWN_STDOUT_TO_DEV_NULL, become_server_user, &id, NULL, &errors, &status, error) &&
      g_spawn_check_wait_status (status, error))
    return TRUE;

  if (errors != NULL && *g_strstrip (errors) != '\0')
    g_prefix_error (error, "%s: ", errors);
  g_prefix_error (error, "Could not %s the PostgreSQL server in '%s': ", action, self->directory);
  return FALSE;
}

/* Locks the private server, to stop or start it; NULL with @error set
 * for an external one. */
static GMutexLocker *
lock_private (BkTestPostgres  *self,
              GError         **error)
{
  if (self->watcher != 0)
    return g_mutex_locker_new (&self->lock);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       "An external PostgreSQL server (BK_TEST_POSTGRES_URL) cannot be stopped by the tests");
  return NULL;
}

/* With the lock held: stops the server unless it is stopped. */
static gboolean
stop_locked (BkTestPostgres  *self,
             GError         **error)
{
  if (!self->stopped && !run_pg_ctl (self, "stop", error))
    return FALSE;
  self->stopped = TRUE;
  return TRUE;
}

/**
 * bk_test_postgres_stop:
 * @self: a PostgreSQL server
 * @error: return location for a #GError
 *
 * Stops the private server as an administrator would (a fast shutdown:
 * every session is terminated with SQLSTATE `57P01`), to test how code
 * behaves when its database goes away. [method@Bk.TestPostgres.restart]
 * starts it again, with the same data; at exit it is cleaned up either way.
 * Stopping a stopped server does nothing.
 *
 * Returns: %TRUE once the server has stopped; %FALSE with @error set, with
 *   %G_IO_ERROR_NOT_SUPPORTED for an external server
 *
 * Since: 0.1
 */
gboolean
bk_test_postgres_stop (BkTestPostgres  *self,
                       GError         **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (BK_IS_TEST_POSTGRES (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  locker = lock_private (self, error);
  return locker != NULL && stop_locked (self, error);
}

/**
 * bk_test_postgres_restart:
 * @self: a PostgreSQL server
 * @error: return location for a #GError
 *
 * Starts the private server again after [method@Bk.TestPostgres.stop], on
 * the same socket and with the same data; a running server is stopped first.
 *
 * Returns: %TRUE once the server accepts connections; %FALSE with @error
 *   set, with %G_IO_ERROR_NOT_SUPPORTED for an external server
 *
 * Since: 0.1
 */
gboolean
bk_test_postgres_restart (BkTestPostgres  *self,
                          GError         **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (BK_IS_TEST_POSTGRES (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  locker = lock_private (self, error);
  if (locker == NULL || !stop_locked (self, error) || !run_pg_ctl (self, "start", error))
    return FALSE;
  self->stopped = FALSE;
  return TRUE;
}
