/* bk-database.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkDatabase:
 *
 * The `core.database` service ([const@Bk.SERVICE_DATABASE]): the plugin's
 * own database.
 *
 * Statements take `$1`, `$2`… placeholders on every engine, bound from a
 * tuple GVariant (`b`, `y`, `n`, `q`, `i`, `u`, `x`, `t`, `d`, `s`, `ay`, a
 * maybe type whose Nothing is SQL `NULL`, or `v`), and return a
 * [class@Bk.DatabaseResult].
 *
 * ```c
 * bk_database_query_async (database,
 *                          "SELECT id, title FROM todos WHERE owner = $1 LIMIT $2",
 *                          g_variant_new ("(sx)", owner, (gint64) 20),
 *                          NULL, on_todos, request);
 * ```
 *
 * The main context never blocks on the database: the default
 * implementation runs every call on a per-plugin pool of connections in
 * worker threads and completes it on the caller's thread-default main
 * context. A transaction body ([callback@Bk.DatabaseTransactionFunc]) runs
 * on the worker thread. The `_sync` wrappers block the calling thread and
 * are meant for tests and tools.
 *
 * The default implementation, which [ctor@Bk.Backend.new] uses, reads
 * `backend.database` (see `docs/database.md`): SQLite in memory when
 * nothing is configured, SQLite files with `connection: { directory: … }`,
 * PostgreSQL with `client: pg`. Its connections are closed in a root
 * shutdown hook: running statements are interrupted and every later call
 * fails with %BK_DATABASE_ERROR_CLOSED.
 *
 * Since: 0.1
 */

#define _GNU_SOURCE  /* dladdr() */
#include <errno.h>

#include <dlfcn.h>
#include <gmodule.h>

#include "bk-database-private.h"
#include "bk-duration-private.h"
#include "bk-services-private.h"

#define MAX_ATTEMPTS             5
#define RETRY_BACKOFF_US         (20 * 1000)
#define DEFAULT_BUSY_TIMEOUT_MS  5000
#define DEFAULT_PREFIX           "backstage_plugin_"
#define MIGRATIONS_TABLE_SQL     "CREATE TABLE IF NOT EXISTS bk_migrations (name TEXT PRIMARY KEY, applied_at TEXT)"

/* Errors --------------------------------------------------------------------------------- */

typedef struct
{
  char *engine_code;
} BkDatabaseErrorPrivate;

static void
bk_database_error_private_init (BkDatabaseErrorPrivate *priv)
{
}

static void
bk_database_error_private_copy (const BkDatabaseErrorPrivate *src,
                                BkDatabaseErrorPrivate       *dest)
{
  dest->engine_code = g_strdup (src->engine_code);
}

static void
bk_database_error_private_clear (BkDatabaseErrorPrivate *priv)
{
  g_clear_pointer (&priv->engine_code, g_free);
}

/**
 * bk_database_error_quark:
 *
 * The error domain of `core.database` errors.
 *
 * Returns: the #GQuark of %BK_DATABASE_ERROR
 *
 * Since: 0.1
 */
G_DEFINE_EXTENDED_ERROR (BkDatabaseError, bk_database_error)

static void
set_error_literal (GError          **error,
                   BkDatabaseError   code,
                   const char       *engine_code,
                   const char       *message)
{
  GError *e = g_error_new_literal (BK_DATABASE_ERROR, code, message);

  bk_database_error_get_private (e)->engine_code = g_strdup (engine_code);
  g_propagate_error (error, e);
}

void
_bk_database_set_error (GError          **error,
                        BkDatabaseError   code,
                        const char       *plugin_id,
                        const char       *engine_code,
                        const char       *format,
                        ...)
{
  g_autofree char *message = NULL;
  g_autofree char *full = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (engine_code != NULL)
    full = g_strdup_printf ("%s (plugin '%s', %s)", message, plugin_id, engine_code);
  else
    full = g_strdup_printf ("%s (plugin '%s')", message, plugin_id);
  set_error_literal (error, code, engine_code, full);
}

/* Reads parameter $@n, @value, for an engine to bind: unwraps variants
 * and maybes (a Nothing is a NULL of its element's type) and widens
 * integers to 64 bits. Returns the value @param points into (a reference
 * for the caller), or NULL with @error set when @value cannot be bound. */
GVariant *
_bk_database_param_read (GVariant         *value,
                         guint             n,
                         const char       *plugin_id,
                         BkDatabaseParam  *param,
                         GError          **error)
{
  g_autoptr(GVariant) inner = NULL;

  memset (param, 0, sizeof *param);
  param->kind = BK_DATABASE_PARAM_INTEGER;
  switch (g_variant_classify (value))
    {
    case G_VARIANT_CLASS_BOOLEAN:
      param->kind = BK_DATABASE_PARAM_BOOLEAN;
      param->integer = g_variant_get_boolean (value);
      break;
    case G_VARIANT_CLASS_BYTE:
      param->integer = g_variant_get_byte (value);
      break;
    case G_VARIANT_CLASS_INT16:
      param->integer = g_variant_get_int16 (value);
      break;
    case G_VARIANT_CLASS_UINT16:
      param->integer = g_variant_get_uint16 (value);
      break;
    case G_VARIANT_CLASS_INT32:
      param->integer = g_variant_get_int32 (value);
      break;
    case G_VARIANT_CLASS_UINT32:
      param->integer = g_variant_get_uint32 (value);
      break;
    case G_VARIANT_CLASS_INT64:
      param->integer = g_variant_get_int64 (value);
      break;
    case G_VARIANT_CLASS_UINT64:
      if (g_variant_get_uint64 (value) > G_MAXINT64)
        {
          _bk_database_set_error (error, BK_DATABASE_ERROR_PARAMETER, plugin_id, NULL,
                                  "Parameter $%u (%" G_GUINT64_FORMAT ") does not fit in a 64-bit signed integer",
                                  n, g_variant_get_uint64 (value));
          return NULL;
        }
      param->integer = (gint64) g_variant_get_uint64 (value);
      break;
    case G_VARIANT_CLASS_DOUBLE:
      param->kind = BK_DATABASE_PARAM_DOUBLE;
      param->number = g_variant_get_double (value);
      break;
    case G_VARIANT_CLASS_STRING:
      param->kind = BK_DATABASE_PARAM_TEXT;
      param->text = g_variant_get_string (value, NULL);
      break;
    case G_VARIANT_CLASS_VARIANT:
      inner = g_variant_get_variant (value);
      return _bk_database_param_read (inner, n, plugin_id, param, error);
    case G_VARIANT_CLASS_MAYBE:
      inner = g_variant_get_maybe (value);
      if (inner != NULL)
        return _bk_database_param_read (inner, n, plugin_id, param, error);
      param->kind = BK_DATABASE_PARAM_NULL;
      param->null_type = g_variant_type_element (g_variant_get_type (value));
      break;
    case G_VARIANT_CLASS_ARRAY:
      if (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING))
        {
          param->kind = BK_DATABASE_PARAM_BYTES;
          param->data = g_variant_get_fixed_array (value, &param->size, 1);
          break;
        }
      G_GNUC_FALLTHROUGH;
    case G_VARIANT_CLASS_HANDLE:
    case G_VARIANT_CLASS_OBJECT_PATH:
    case G_VARIANT_CLASS_SIGNATURE:
    case G_VARIANT_CLASS_TUPLE:
    case G_VARIANT_CLASS_DICT_ENTRY:
    default:
      _bk_database_set_error (error, BK_DATABASE_ERROR_PARAMETER, plugin_id, NULL,
                              "Parameter $%u has the type '%s', which cannot be bound; "
                              "use b, y, n, q, i, u, x, t, d, s, ay, a maybe type or v",
                              n, g_variant_get_type_string (value));
      return NULL;
    }
  return g_variant_ref (value);
}

/**
 * bk_database_error_get_engine_code:
 * @error: a #GError
 *
 * Returns the engine's own code of a %BK_DATABASE_ERROR: a SQLSTATE such
 * as `23505` on PostgreSQL, the symbolic name of the extended result code
 * such as `SQLITE_CONSTRAINT_UNIQUE` on SQLite.
 *
 * Returns: (nullable): the engine code, or %NULL when @error is of another
 *   domain or did not come from the engine
 *
 * Since: 0.1
 */
const char *
bk_database_error_get_engine_code (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain != BK_DATABASE_ERROR)
    return NULL;
  return bk_database_error_get_private (error)->engine_code;
}

/**
 * bk_database_error_is_unique_violation:
 * @error: (nullable): a #GError
 *
 * Whether @error says that a row would have duplicated a unique or
 * primary key, on either engine (Backstage's `isDatabaseConflictError`).
 * A failed migration that wraps such an error counts too.
 *
 * Returns: %TRUE for a unique violation
 *
 * Since: 0.1
 */
gboolean
bk_database_error_is_unique_violation (const GError *error)
{
  const char *code;

  if (error == NULL || error->domain != BK_DATABASE_ERROR)
    return FALSE;
  if (error->code == BK_DATABASE_ERROR_UNIQUE_VIOLATION)
    return TRUE;
  code = bk_database_error_get_engine_code (error);
  return g_strcmp0 (code, "23505") == 0
         || g_strcmp0 (code, "SQLITE_CONSTRAINT_UNIQUE") == 0
         || g_strcmp0 (code, "SQLITE_CONSTRAINT_PRIMARYKEY") == 0;
}

void
_bk_database_target_clear (BkDatabaseTarget *target)
{
  g_clear_pointer (&target->plugin_id, g_free);
  g_clear_pointer (&target->sqlite_path, g_free);
  g_clear_pointer (&target->pg_conninfo, g_free);
  g_clear_pointer (&target->pg_schema, g_free);
  g_clear_pointer (&target->pg_database, g_free);
  g_clear_pointer (&target->pg_admin_conninfo, g_free);
}

/* Connections -------------------------------------------------------------------------- */

/**
 * BkDatabaseConnection:
 *
 * The connection a [callback@Bk.DatabaseTransactionFunc] runs its
 * statements on, inside the transaction. It is valid only while the
 * function runs, on that thread.
 *
 * Since: 0.1
 */
struct _BkDatabaseConnection
{
  GObject                       parent_instance;
  const BkDatabaseEngineVTable *vtable;
  const BkDatabaseTarget       *target;
  BkDatabaseRawConnection      *raw;
};

G_DEFINE_FINAL_TYPE (BkDatabaseConnection, bk_database_connection, G_TYPE_OBJECT)

static void
bk_database_connection_class_init (BkDatabaseConnectionClass *klass)
{
}

static void
bk_database_connection_init (BkDatabaseConnection *self)
{
}

BkDatabaseConnection *
_bk_database_connection_new (const BkDatabaseEngineVTable *vtable,
                             const BkDatabaseTarget       *target,
                             BkDatabaseRawConnection      *raw)
{
  BkDatabaseConnection *self = g_object_new (BK_TYPE_DATABASE_CONNECTION, NULL);

  self->vtable = vtable;
  self->target = target;
  self->raw = raw;
  return self;
}

void
_bk_database_connection_invalidate (BkDatabaseConnection *self)
{
  self->raw = NULL;
}

/**
 * bk_database_connection_get_engine:
 * @self: a #BkDatabaseConnection
 *
 * Tells which engine the connection talks to, for SQL that differs.
 *
 * Returns: the engine of the connection
 *
 * Since: 0.1
 */
BkDatabaseEngine
bk_database_connection_get_engine (BkDatabaseConnection *self)
{
  g_return_val_if_fail (BK_IS_DATABASE_CONNECTION (self), BK_DATABASE_ENGINE_SQLITE);

  return self->vtable->engine;
}

/**
 * bk_database_connection_query:
 * @self: a #BkDatabaseConnection
 * @sql: one SQL statement with `$1`, `$2`… placeholders (several
 *   statements when @params is %NULL)
 * @params: (nullable): a tuple of parameters; a floating reference is
 *   consumed
 * @cancellable: (nullable): a #GCancellable, usually the one the
 *   transaction function received
 * @error: return location for a #GError
 *
 * Runs a statement inside the transaction, blocking the calling (worker)
 * thread. Only valid while the transaction function that received @self
 * runs.
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 *
 * Since: 0.1
 */
BkDatabaseResult *
bk_database_connection_query (BkDatabaseConnection  *self,
                              const char            *sql,
                              GVariant              *params,
                              GCancellable          *cancellable,
                              GError               **error)
{
  g_autoptr(GVariant) owned = params != NULL ? g_variant_ref_sink (params) : NULL;

  g_return_val_if_fail (BK_IS_DATABASE_CONNECTION (self), NULL);
  g_return_val_if_fail (self->raw != NULL, NULL);
  g_return_val_if_fail (sql != NULL, NULL);
  g_return_val_if_fail (params == NULL || g_variant_is_of_type (params, G_VARIANT_TYPE_TUPLE), NULL);

  return self->vtable->query (self->raw, self->target, sql, owned, cancellable, error);
}

/* The interface ------------------------------------------------------------------------- */

G_DEFINE_INTERFACE (BkDatabase, bk_database, G_TYPE_OBJECT)

static void
bk_database_default_init (BkDatabaseInterface *iface)
{
}

/**
 * bk_database_get_engine:
 * @self: a #BkDatabase
 *
 * Tells which engine holds the plugin's database, for SQL that differs.
 *
 * Returns: the engine behind the plugin's database
 *
 * Since: 0.1
 */
BkDatabaseEngine
bk_database_get_engine (BkDatabase *self)
{
  g_return_val_if_fail (BK_IS_DATABASE (self), BK_DATABASE_ENGINE_SQLITE);

  return BK_DATABASE_GET_IFACE (self)->get_engine (self);
}

/**
 * bk_database_query_async:
 * @self: a #BkDatabase
 * @sql: one SQL statement with `$1`, `$2`… placeholders (several
 *   statements when @params is %NULL; the result is the last one's)
 * @params: (nullable): a tuple of parameters, one per placeholder; a
 *   floating reference is consumed
 * @cancellable: (nullable): a #GCancellable; cancelling stops a running
 *   statement
 * @callback: (scope async): called on the caller's thread-default main
 *   context when done
 * @user_data: data for @callback
 *
 * Runs one statement on a pooled connection, outside any transaction.
 *
 * Since: 0.1
 */
void
bk_database_query_async (BkDatabase          *self,
                         const char          *sql,
                         GVariant            *params,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GVariant) owned = params != NULL ? g_variant_ref_sink (params) : NULL;

  g_return_if_fail (BK_IS_DATABASE (self));
  g_return_if_fail (sql != NULL);
  g_return_if_fail (params == NULL || g_variant_is_of_type (params, G_VARIANT_TYPE_TUPLE));

  BK_DATABASE_GET_IFACE (self)->query_async (self, sql, owned, cancellable, callback, user_data);
}

/**
 * bk_database_query_finish:
 * @self: a #BkDatabase
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Bk.Database.query_async].
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 *
 * Since: 0.1
 */
BkDatabaseResult *
bk_database_query_finish (BkDatabase    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (BK_IS_DATABASE (self), NULL);

  return BK_DATABASE_GET_IFACE (self)->query_finish (self, result, error);
}

/**
 * bk_database_run_in_transaction_async:
 * @self: a #BkDatabase
 * @func: (scope notified): the transaction's body, run on a worker thread
 * @func_data: (closure func): data for @func
 * @func_data_destroy: (destroy func) (nullable): frees @func_data once
 *   @func will not run again (possibly on the worker thread)
 * @cancellable: (nullable): a #GCancellable, handed to @func too
 * @callback: (scope async): called on the caller's thread-default main
 *   context when done
 * @user_data: data for @callback
 *
 * Begins a transaction on a pooled connection, runs @func, and commits
 * when it returns %TRUE or rolls back when it fails. A busy database or a
 * serialization failure (in @func, at the start or at the commit) rolls
 * back and runs @func again, up to five attempts in all.
 *
 * Since: 0.1
 */
void
bk_database_run_in_transaction_async (BkDatabase                *self,
                                      BkDatabaseTransactionFunc  func,
                                      gpointer                   func_data,
                                      GDestroyNotify             func_data_destroy,
                                      GCancellable              *cancellable,
                                      GAsyncReadyCallback        callback,
                                      gpointer                   user_data)
{
  g_return_if_fail (BK_IS_DATABASE (self));
  g_return_if_fail (func != NULL);

  BK_DATABASE_GET_IFACE (self)->run_in_transaction_async (self, func, func_data, func_data_destroy,
                                                          cancellable, callback, user_data);
}

/**
 * bk_database_run_in_transaction_finish:
 * @self: a #BkDatabase
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Bk.Database.run_in_transaction_async].
 *
 * Returns: %TRUE if the transaction committed; otherwise @error is the
 *   body's error (or the engine's)
 *
 * Since: 0.1
 */
gboolean
bk_database_run_in_transaction_finish (BkDatabase    *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (BK_IS_DATABASE (self), FALSE);

  return BK_DATABASE_GET_IFACE (self)->run_in_transaction_finish (self, result, error);
}

/**
 * bk_database_migrate_async:
 * @self: a #BkDatabase
 * @migrations: (array length=n_migrations): the plugin's migrations, in
 *   order; copied
 * @n_migrations: the number of migrations
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called on the caller's thread-default main
 *   context when done
 * @user_data: data for @callback
 *
 * Applies, in order, each migration not applied yet, each in its own
 * transaction, and records it in the plugin's `bk_migrations` table. Two
 * instances migrating one database at once apply each migration once.
 * Names must be non-empty and unique. A recorded migration missing from
 * @migrations is ignored. With `skipMigrations` set, nothing runs and the
 * call succeeds.
 *
 * Since: 0.1
 */
void
bk_database_migrate_async (BkDatabase                *self,
                           const BkDatabaseMigration *migrations,
                           gsize                      n_migrations,
                           GCancellable              *cancellable,
                           GAsyncReadyCallback        callback,
                           gpointer                   user_data)
{
  g_return_if_fail (BK_IS_DATABASE (self));
  g_return_if_fail (migrations != NULL || n_migrations == 0);

  BK_DATABASE_GET_IFACE (self)->migrate_async (self, migrations, n_migrations,
                                               cancellable, callback, user_data);
}

/**
 * bk_database_migrate_finish:
 * @self: a #BkDatabase
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Bk.Database.migrate_async].
 *
 * Returns: %TRUE when every migration is applied; otherwise @error is a
 *   %BK_DATABASE_ERROR_MIGRATION naming the migration and the plugin
 *
 * Since: 0.1
 */
gboolean
bk_database_migrate_finish (BkDatabase    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (BK_IS_DATABASE (self), FALSE);

  return BK_DATABASE_GET_IFACE (self)->migrate_finish (self, result, error);
}

/* Migrations from a GResource directory ---------------------------------------------- */

typedef struct
{
  GArray    *migrations;   /* of BkDatabaseMigration, pointing into @strings */
  GPtrArray *strings;
} ResourceMigrations;

static void
resource_migrations_free (ResourceMigrations *rm)
{
  g_array_unref (rm->migrations);
  g_ptr_array_unref (rm->strings);
  g_free (rm);
}

static const char *
load_variant (ResourceMigrations *rm,
              const char         *dir,
              const char         *name,
              const char         *suffix)
{
  g_autofree char *path = g_strconcat (dir, "/", name, suffix, NULL);
  g_autoptr(GBytes) bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  char *text;

  if (bytes == NULL)
    return NULL;
  text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_ptr_array_add (rm->strings, text);
  return text;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Reads `<name>.sql`, `<name>.sqlite.sql` and `<name>.postgresql.sql`
 * under @resource_path, sorted by name. */
static ResourceMigrations *
load_resource_migrations (const char  *resource_path,
                          GError     **error)
{
  static const char * const suffixes[] = { ".sqlite.sql", ".postgresql.sql", ".sql" };
  g_autofree char *dir = g_strdup (resource_path);
  g_auto(GStrv) children = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) local_error = NULL;
  ResourceMigrations *rm;

  while (g_str_has_suffix (dir, "/") && dir[1] != '\0')
    dir[strlen (dir) - 1] = '\0';
  children = g_resources_enumerate_children (dir, G_RESOURCE_LOOKUP_FLAGS_NONE, &local_error);
  if (children == NULL)
    {
      g_set_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_MIGRATION,
                   "Cannot read the migrations in the resource '%s', %s",
                   resource_path, local_error->message);
      return NULL;
    }

  for (guint i = 0; children[i] != NULL; i++)
    for (guint s = 0; s < G_N_ELEMENTS (suffixes); s++)
      if (g_str_has_suffix (children[i], suffixes[s]))
        {
          g_ptr_array_add (names, g_strndup (children[i], strlen (children[i]) - strlen (suffixes[s])));
          break;
        }
  g_ptr_array_sort (names, compare_strings);

  rm = g_new0 (ResourceMigrations, 1);
  rm->migrations = g_array_new (FALSE, TRUE, sizeof (BkDatabaseMigration));
  rm->strings = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      BkDatabaseMigration m;

      if (i > 0 && g_str_equal (name, g_ptr_array_index (names, i - 1)))
        continue;
      m.name = name;
      m.sql = load_variant (rm, dir, name, ".sql");
      m.sqlite_sql = load_variant (rm, dir, name, ".sqlite.sql");
      m.postgresql_sql = load_variant (rm, dir, name, ".postgresql.sql");
      g_array_append_val (rm->migrations, m);
    }
  /* The names now belong to @rm. */
  g_ptr_array_extend_and_steal (rm->strings, g_steal_pointer (&names));
  return rm;
}

static void
resource_migrated (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (bk_database_migrate_finish (BK_DATABASE (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * bk_database_migrate_resource_async:
 * @self: a #BkDatabase
 * @resource_path: a directory in the registered #GResources, such as
 *   `/org/example/todo/migrations`
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called on the caller's thread-default main
 *   context when done
 * @user_data: data for @callback
 *
 * Applies the migrations stored as files in a GResource directory, as
 * [method@Bk.Database.migrate_async] does. A migration is `<name>.sql`
 * (every engine), with `<name>.sqlite.sql` and `<name>.postgresql.sql`
 * replacing it on that engine; migrations run sorted by name, so name
 * them `0001_create_todos`, `0002_…`.
 *
 * Since: 0.1
 */
void
bk_database_migrate_resource_async (BkDatabase          *self,
                                    const char          *resource_path,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ResourceMigrations *rm;
  GError *error = NULL;

  g_return_if_fail (BK_IS_DATABASE (self));
  g_return_if_fail (resource_path != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bk_database_migrate_resource_async);

  rm = load_resource_migrations (resource_path, &error);
  if (rm == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  bk_database_migrate_async (self, (BkDatabaseMigration *) (gpointer) rm->migrations->data,
                             rm->migrations->len, cancellable, resource_migrated,
                             g_steal_pointer (&task));
  resource_migrations_free (rm);
}

/**
 * bk_database_migrate_resource_finish:
 * @self: a #BkDatabase
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Bk.Database.migrate_resource_async].
 *
 * Returns: %TRUE when every migration is applied
 *
 * Since: 0.1
 */
gboolean
bk_database_migrate_resource_finish (BkDatabase    *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (BK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The default implementation ------------------------------------------------------------ */

#define BK_TYPE_DEFAULT_DATABASE (bk_default_database_get_type ())
G_DECLARE_FINAL_TYPE (BkDefaultDatabase, bk_default_database, BK, DEFAULT_DATABASE, GObject)

struct _BkDefaultDatabase
{
  GObject                       parent_instance;
  const BkDatabaseEngineVTable *vtable;
  BkDatabaseTarget              target;
  BkLogger                     *logger;
  guint                         pool_max;
  gboolean                      skip_migrations;
  GThreadPool                  *threads;
  GCancellable                 *shutdown;     /* cancelled when closing */

  GMutex                        lock;         /* guards what follows */
  GCond                         cond;         /* a connection was released */
  GPtrArray                    *idle;         /* of BkDatabaseRawConnection */
  GPtrArray                    *busy;
  guint                         n_open;
  gboolean                      closed;

  GMutex                        ensure_lock;
  gboolean                      ensured;
};

static void bk_default_database_iface_init (BkDatabaseInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkDefaultDatabase, bk_default_database, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_DATABASE, bk_default_database_iface_init))

typedef enum
{
  JOB_QUERY,
  JOB_TRANSACTION,
  JOB_MIGRATE,
} JobKind;

typedef struct
{
  JobKind                    kind;
  char                      *sql;
  GVariant                  *params;
  BkDatabaseTransactionFunc  func;
  gpointer                   func_data;
  GDestroyNotify             func_data_destroy;
  BkDatabaseMigration       *migrations;   /* deep copy */
  gsize                      n_migrations;
  gboolean                   owned;        /* fields are freed with the job */
} Job;

static void
job_clear (Job *job)
{
  if (job->owned)
    {
      g_free (job->sql);
      for (gsize i = 0; i < job->n_migrations; i++)
        {
          g_free ((char *) job->migrations[i].name);
          g_free ((char *) job->migrations[i].sql);
          g_free ((char *) job->migrations[i].sqlite_sql);
          g_free ((char *) job->migrations[i].postgresql_sql);
        }
      g_free (job->migrations);
    }
  g_clear_pointer (&job->params, g_variant_unref);
  if (job->func_data_destroy != NULL && job->func_data != NULL)
    job->func_data_destroy (job->func_data);
}

static void
job_free (gpointer data)
{
  job_clear (data);
  g_free (data);
}

static void
set_closed_error (BkDefaultDatabase  *self,
                  GError            **error)
{
  _bk_database_set_error (error, BK_DATABASE_ERROR_CLOSED, self->target.plugin_id, NULL,
                          "The database service has shut down");
}

/* Opens a new connection, creating the database first if needed. */
static BkDatabaseRawConnection *
open_connection (BkDefaultDatabase  *self,
                 GError            **error)
{
  gboolean ok = TRUE;

  if (self->vtable->ensure_exists != NULL)
    {
      g_mutex_lock (&self->ensure_lock);
      if (!self->ensured)
        ok = self->ensured = self->vtable->ensure_exists (&self->target, error);
      g_mutex_unlock (&self->ensure_lock);
    }
  return ok ? self->vtable->open (&self->target, error) : NULL;
}

/* Takes an idle connection or opens one, waiting while the pool is full. */
static BkDatabaseRawConnection *
acquire (BkDefaultDatabase  *self,
         GError            **error)
{
  BkDatabaseRawConnection *raw = NULL;

  g_mutex_lock (&self->lock);
  while (!self->closed && self->idle->len == 0 && self->n_open >= self->pool_max)
    g_cond_wait (&self->cond, &self->lock);
  if (self->closed)
    {
      g_mutex_unlock (&self->lock);
      set_closed_error (self, error);
      return NULL;
    }
  if (self->idle->len > 0)
    raw = g_ptr_array_steal_index (self->idle, self->idle->len - 1);
  else
    {
      self->n_open++;
      g_mutex_unlock (&self->lock);
      raw = open_connection (self, error);
      g_mutex_lock (&self->lock);
      if (raw == NULL || self->closed)
        {
          self->n_open--;
          g_cond_signal (&self->cond);
          g_mutex_unlock (&self->lock);
          if (raw != NULL)
            {
              self->vtable->close (raw);
              set_closed_error (self, error);
            }
          return NULL;
        }
    }
  g_ptr_array_add (self->busy, raw);
  g_mutex_unlock (&self->lock);
  return raw;
}

/* Returns a connection to the pool, or closes it when it is not usable. */
static void
release (BkDefaultDatabase       *self,
         BkDatabaseRawConnection *raw,
         gboolean                 ok)
{
  gboolean keep = ok || self->vtable->is_alive (raw);

  g_mutex_lock (&self->lock);
  g_ptr_array_remove_fast (self->busy, raw);
  keep = keep && !self->closed;
  if (keep)
    g_ptr_array_add (self->idle, raw);
  else
    self->n_open--;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);

  if (!keep)
    self->vtable->close (raw);
}

static BkDatabaseResult *
raw_query (BkDefaultDatabase        *self,
           BkDatabaseRawConnection  *raw,
           const char               *sql,
           GCancellable             *cancellable,
           GError                  **error)
{
  return self->vtable->query (raw, &self->target, sql, NULL, cancellable, error);
}

static gboolean
is_retryable (const GError *error)
{
  return g_error_matches (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_BUSY)
         || g_error_matches (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_SERIALIZATION);
}

/* Begin, body, commit; rollback and retry on busy and serialization
 * failures. */
static gboolean
transaction (BkDefaultDatabase          *self,
             BkDatabaseRawConnection    *raw,
             BkDatabaseTransactionFunc   func,
             gpointer                    func_data,
             GCancellable               *cancellable,
             GError                    **error)
{
  for (guint attempt = 1; ; attempt++)
    {
      g_autoptr(BkDatabaseResult) begun = NULL;
      g_autoptr(GError) local_error = NULL;

      begun = raw_query (self, raw, self->vtable->begin_sql, cancellable, &local_error);
      if (begun != NULL)
        {
          g_autoptr(BkDatabaseConnection) connection = NULL;
          g_autoptr(BkDatabaseResult) done = NULL;
          gboolean ok;

          connection = _bk_database_connection_new (self->vtable, &self->target, raw);
          ok = func (connection, func_data, cancellable, &local_error);
          _bk_database_connection_invalidate (connection);
          if (!ok && local_error == NULL)
            _bk_database_set_error (&local_error, BK_DATABASE_ERROR_FAILED, self->target.plugin_id, NULL,
                                    "The transaction function failed without saying why");
          if (ok)
            done = raw_query (self, raw, "COMMIT", cancellable, &local_error);
          if (done != NULL)
            return TRUE;
          g_clear_object (&done);
          done = raw_query (self, raw, "ROLLBACK", NULL, NULL);
        }

      if (attempt == MAX_ATTEMPTS || !is_retryable (local_error)
          || g_cancellable_is_cancelled (cancellable))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      bk_logger_debug (self->logger, "Retrying a transaction (attempt %u of %u failed: %s)",
                       attempt, MAX_ATTEMPTS, local_error->message);
      g_usleep (attempt * RETRY_BACKOFF_US);
    }
}

typedef struct
{
  const BkDatabaseMigration *migration;
  const char                *sql;
  const char                *lock_sql;
  gboolean                   applied;
} MigrationStep;

static gboolean
migration_body (BkDatabaseConnection  *connection,
                gpointer               user_data,
                GCancellable          *cancellable,
                GError               **error)
{
  MigrationStep *step = user_data;
  g_autoptr(BkDatabaseResult) result = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *applied_at = g_date_time_format_iso8601 (now);

  step->applied = FALSE;
  if (step->lock_sql != NULL
      && (result = bk_database_connection_query (connection, step->lock_sql, NULL, cancellable, error)) == NULL)
    return FALSE;
  g_clear_object (&result);
  if ((result = bk_database_connection_query (connection, MIGRATIONS_TABLE_SQL, NULL, cancellable, error)) == NULL)
    return FALSE;
  g_clear_object (&result);
  result = bk_database_connection_query (connection, "SELECT name FROM bk_migrations WHERE name = $1",
                                         g_variant_new ("(s)", step->migration->name), cancellable, error);
  if (result == NULL)
    return FALSE;
  if (bk_database_result_get_n_rows (result) > 0)
    return TRUE;   /* another instance applied it meanwhile */
  g_clear_object (&result);
  if ((result = bk_database_connection_query (connection, step->sql, NULL, cancellable, error)) == NULL)
    return FALSE;
  g_clear_object (&result);
  result = bk_database_connection_query (connection,
                                         "INSERT INTO bk_migrations (name, applied_at) VALUES ($1, $2)",
                                         g_variant_new ("(ss)", step->migration->name, applied_at),
                                         cancellable, error);
  step->applied = result != NULL;
  return result != NULL;
}

static const char *
migration_sql (BkDatabaseEngine           engine,
               const BkDatabaseMigration *migration)
{
  if (engine == BK_DATABASE_ENGINE_SQLITE && migration->sqlite_sql != NULL)
    return migration->sqlite_sql;
  if (engine == BK_DATABASE_ENGINE_POSTGRESQL && migration->postgresql_sql != NULL)
    return migration->postgresql_sql;
  return migration->sql;
}

static gboolean
migrate (BkDefaultDatabase        *self,
         BkDatabaseRawConnection  *raw,
         Job                      *job,
         GCancellable             *cancellable,
         GError                  **error)
{
  g_autoptr(GHashTable) applied = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(BkDatabaseResult) result = NULL;

  /* What is applied already, read outside a transaction; each pending
   * migration is checked again under the lock. No table: nothing yet. */
  result = raw_query (self, raw, "SELECT name FROM bk_migrations", cancellable, NULL);
  for (guint i = 0; result != NULL && i < bk_database_result_get_n_rows (result); i++)
    g_hash_table_add (applied, g_strdup (bk_database_result_get_string (result, i, "name")));

  for (gsize i = 0; i < job->n_migrations; i++)
    {
      MigrationStep step = { &job->migrations[i], NULL, self->vtable->migration_lock_sql, FALSE };
      g_autoptr(GError) local_error = NULL;

      if (g_hash_table_contains (applied, step.migration->name))
        continue;
      step.sql = migration_sql (self->vtable->engine, step.migration);
      if (!transaction (self, raw, migration_body, &step, cancellable, &local_error))
        {
          g_autofree char *message = g_strdup_printf ("Migration '%s' of plugin '%s' failed, %s",
                                                      step.migration->name, self->target.plugin_id,
                                                      local_error->message);

          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_propagate_error (error, g_steal_pointer (&local_error));
          else
            set_error_literal (error, BK_DATABASE_ERROR_MIGRATION,
                               bk_database_error_get_engine_code (local_error), message);
          return FALSE;
        }
      if (step.applied)
        bk_logger_info (self->logger, "Applied database migration '%s'", step.migration->name);
    }
  return TRUE;
}

static void
cancel_other (GCancellable *cancellable,
              gpointer      other)
{
  g_cancellable_cancel (other);
}

/* Runs @job on the calling thread with a pooled connection. */
static gboolean
run_job (BkDefaultDatabase  *self,
         Job                *job,
         GCancellable       *user_cancellable,
         BkDatabaseResult  **out_result,
         GError            **error)
{
  g_autoptr(GCancellable) cancellable = NULL;
  g_autoptr(GError) local_error = NULL;
  BkDatabaseRawConnection *raw;
  gulong shutdown_handler = 0, user_handler = 0;
  gboolean merged = user_cancellable != NULL || job->kind != JOB_QUERY;
  gboolean ok = FALSE;

  /* One cancellable stops the statement on either the caller's
   * cancellation or shutdown. A plain query without the caller's uses
   * shutdown's (no transaction body sees it, to cancel it). */
  if (merged)
    {
      cancellable = g_cancellable_new ();
      shutdown_handler = g_cancellable_connect (self->shutdown, G_CALLBACK (cancel_other), cancellable, NULL);
      if (user_cancellable != NULL)
        user_handler = g_cancellable_connect (user_cancellable, G_CALLBACK (cancel_other), cancellable, NULL);
    }
  else
    cancellable = g_object_ref (self->shutdown);

  raw = acquire (self, &local_error);
  if (raw != NULL)
    {
      switch (job->kind)
        {
        case JOB_QUERY:
          *out_result = self->vtable->query (raw, &self->target, job->sql, job->params,
                                             cancellable, &local_error);
          ok = *out_result != NULL;
          break;
        case JOB_TRANSACTION:
          ok = transaction (self, raw, job->func, job->func_data, cancellable, &local_error);
          break;
        case JOB_MIGRATE:
          ok = migrate (self, raw, job, cancellable, &local_error);
          break;
        default:
          g_assert_not_reached ();
        }
      release (self, raw, ok);
    }

  if (merged)
    g_cancellable_disconnect (self->shutdown, shutdown_handler);
  if (user_cancellable != NULL)
    g_cancellable_disconnect (user_cancellable, user_handler);

  if (!ok)
    {
      if (g_cancellable_is_cancelled (self->shutdown) && !g_cancellable_is_cancelled (user_cancellable)
          && !g_error_matches (local_error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_CLOSED))
        {
          g_clear_error (&local_error);
          set_closed_error (self, &local_error);
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
    }
  return ok;
}

static void
worker (gpointer data,
        gpointer user_data)
{
  GTask *task = data;
  BkDefaultDatabase *self = user_data;
  Job *job = g_task_get_task_data (task);
  BkDatabaseResult *result = NULL;
  GError *error = NULL;

  gboolean ok = run_job (self, job, g_task_get_cancellable (task), &result, &error);

  /* The body will not run again: its data goes now, not with the task. */
  if (job->func_data_destroy != NULL)
    g_clear_pointer (&job->func_data, job->func_data_destroy);
  if (!ok)
    g_task_return_error (task, error);
  else if (job->kind == JOB_QUERY)
    g_task_return_pointer (task, result, g_object_unref);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
submit (BkDefaultDatabase *self,
        GTask             *task,
        Job               *job)
{
  gboolean closed;

  g_task_set_task_data (task, job, job_free);
  g_mutex_lock (&self->lock);
  closed = self->closed;
  if (!closed)
    g_thread_pool_push (self->threads, g_object_ref (task), NULL);
  g_mutex_unlock (&self->lock);

  if (closed)
    {
      GError *error = NULL;

      set_closed_error (self, &error);
      g_task_return_error (task, error);
    }
}

static BkDatabaseEngine
bk_default_database_get_engine (BkDatabase *database)
{
  return BK_DEFAULT_DATABASE (database)->vtable->engine;
}

static void
bk_default_database_query_async (BkDatabase          *database,
                                 const char          *sql,
                                 GVariant            *params,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (database, cancellable, callback, user_data);
  Job *job = g_new0 (Job, 1);

  g_task_set_source_tag (task, bk_default_database_query_async);
  job->kind = JOB_QUERY;
  job->owned = TRUE;
  job->sql = g_strdup (sql);
  job->params = params != NULL ? g_variant_ref_sink (params) : NULL;
  submit (BK_DEFAULT_DATABASE (database), task, job);
}

static BkDatabaseResult *
bk_default_database_query_finish (BkDatabase    *database,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, database), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
bk_default_database_run_in_transaction_async (BkDatabase                *database,
                                              BkDatabaseTransactionFunc  func,
                                              gpointer                   func_data,
                                              GDestroyNotify             func_data_destroy,
                                              GCancellable              *cancellable,
                                              GAsyncReadyCallback        callback,
                                              gpointer                   user_data)
{
  g_autoptr(GTask) task = g_task_new (database, cancellable, callback, user_data);
  Job *job = g_new0 (Job, 1);

  g_task_set_source_tag (task, bk_default_database_run_in_transaction_async);
  job->kind = JOB_TRANSACTION;
  job->func = func;
  job->func_data = func_data;
  job->func_data_destroy = func_data_destroy;
  submit (BK_DEFAULT_DATABASE (database), task, job);
}

static gboolean
bk_default_database_boolean_finish (BkDatabase    *database,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, database), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Names non-empty and unique, SQL for this engine. */
static gboolean
check_migrations (BkDefaultDatabase         *self,
                  const BkDatabaseMigration *migrations,
                  gsize                      n_migrations,
                  GError                   **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (gsize i = 0; i < n_migrations; i++)
    {
      const char *name = migrations[i].name;

      if (name == NULL || name[0] == '\0')
        {
          _bk_database_set_error (error, BK_DATABASE_ERROR_MIGRATION, self->target.plugin_id, NULL,
                                  "Migration #%" G_GSIZE_FORMAT " has no name", i + 1);
          return FALSE;
        }
      if (!g_hash_table_add (seen, (gpointer) name))
        {
          _bk_database_set_error (error, BK_DATABASE_ERROR_MIGRATION, self->target.plugin_id, NULL,
                                  "Migration '%s' is listed twice; migration names must be unique", name);
          return FALSE;
        }
      if (migration_sql (self->vtable->engine, &migrations[i]) == NULL)
        {
          _bk_database_set_error (error, BK_DATABASE_ERROR_MIGRATION, self->target.plugin_id, NULL,
                                  "Migration '%s' has no SQL for %s", name,
                                  self->vtable->engine == BK_DATABASE_ENGINE_SQLITE ? "SQLite" : "PostgreSQL");
          return FALSE;
        }
    }
  return TRUE;
}

static void
bk_default_database_migrate_async (BkDatabase                *database,
                                   const BkDatabaseMigration *migrations,
                                   gsize                      n_migrations,
                                   GCancellable              *cancellable,
                                   GAsyncReadyCallback        callback,
                                   gpointer                   user_data)
{
  BkDefaultDatabase *self = BK_DEFAULT_DATABASE (database);
  g_autoptr(GTask) task = g_task_new (database, cancellable, callback, user_data);
  GError *error = NULL;
  Job *job;

  g_task_set_source_tag (task, bk_default_database_migrate_async);
  if (!check_migrations (self, migrations, n_migrations, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (self->skip_migrations)
    {
      bk_logger_debug (self->logger, "Skipping %" G_GSIZE_FORMAT " database migrations (skipMigrations)",
                       n_migrations);
      g_task_return_boolean (task, TRUE);
      return;
    }

  job = g_new0 (Job, 1);
  job->kind = JOB_MIGRATE;
  job->owned = TRUE;
  job->n_migrations = n_migrations;
  job->migrations = g_new0 (BkDatabaseMigration, n_migrations);
  for (gsize i = 0; i < n_migrations; i++)
    {
      job->migrations[i].name = g_strdup (migrations[i].name);
      job->migrations[i].sql = g_strdup (migrations[i].sql);
      job->migrations[i].sqlite_sql = g_strdup (migrations[i].sqlite_sql);
      job->migrations[i].postgresql_sql = g_strdup (migrations[i].postgresql_sql);
    }
  submit (self, task, job);
}

/* Shutdown ---------------------------------------------------------------------------------- */

/* Refuses new work, interrupts running statements and wakes waiters. */
static void
begin_close (BkDefaultDatabase *self)
{
  g_mutex_lock (&self->lock);
  self->closed = TRUE;
  for (guint i = 0; i < self->busy->len; i++)
    self->vtable->interrupt (g_ptr_array_index (self->busy, i));
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_cancellable_cancel (self->shutdown);
}

/* Waits for the workers (queued calls fail with CLOSED) and closes every
 * connection. Blocks: not on the main context. */
static void
finish_close (BkDefaultDatabase *self)
{
  g_autoptr(GPtrArray) idle = NULL;

  if (self->threads != NULL)
    g_thread_pool_free (g_steal_pointer (&self->threads), FALSE, TRUE);

  g_mutex_lock (&self->lock);
  idle = g_steal_pointer (&self->idle);
  self->idle = g_ptr_array_new ();
  self->n_open -= idle->len;
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < idle->len; i++)
    self->vtable->close (g_ptr_array_index (idle, i));
}

typedef struct
{
  BkDefaultDatabase *self;
  GTask             *hook;
} Closing;

static gboolean
closed_cb (gpointer data)
{
  Closing *closing = data;

  g_task_return_boolean (closing->hook, TRUE);
  g_object_unref (closing->hook);
  g_object_unref (closing->self);
  g_free (closing);
  return G_SOURCE_REMOVE;
}

/* Closes on a thread of its own, then completes the hook on its context;
 * the last reference the thread held is dropped there, not here. */
static gpointer
close_thread (gpointer data)
{
  Closing *closing = data;
  GSource *source = g_idle_source_new ();

  finish_close (closing->self);
  g_source_set_callback (source, closed_cb, closing, NULL);
  g_source_attach (source, g_task_get_context (closing->hook));
  g_source_unref (source);
  return NULL;
}

static void
shutdown_hook (GTask    *hook,
               gpointer  user_data)
{
  Closing *closing = g_new0 (Closing, 1);

  closing->self = g_object_ref (user_data);
  closing->hook = hook;
  begin_close (closing->self);
  g_thread_unref (g_thread_new ("bk-database-close", close_thread, closing));
}

static void
bk_default_database_finalize (GObject *object)
{
  BkDefaultDatabase *self = BK_DEFAULT_DATABASE (object);

  if (self->idle != NULL)
    {
      begin_close (self);
      finish_close (self);
    }
  g_clear_pointer (&self->idle, g_ptr_array_unref);
  g_clear_pointer (&self->busy, g_ptr_array_unref);
  g_clear_object (&self->shutdown);
  g_clear_object (&self->logger);
  _bk_database_target_clear (&self->target);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->ensure_lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (bk_default_database_parent_class)->finalize (object);
}

static void
bk_default_database_class_init (BkDefaultDatabaseClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bk_default_database_finalize;
}

static void
bk_default_database_iface_init (BkDatabaseInterface *iface)
{
  iface->get_engine = bk_default_database_get_engine;
  iface->query_async = bk_default_database_query_async;
  iface->query_finish = bk_default_database_query_finish;
  iface->run_in_transaction_async = bk_default_database_run_in_transaction_async;
  iface->run_in_transaction_finish = bk_default_database_boolean_finish;
  iface->migrate_async = bk_default_database_migrate_async;
  iface->migrate_finish = bk_default_database_boolean_finish;
}

static void
bk_default_database_init (BkDefaultDatabase *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->ensure_lock);
  g_cond_init (&self->cond);
  self->idle = g_ptr_array_new ();
  self->busy = g_ptr_array_new ();
  self->shutdown = g_cancellable_new ();
}

/* Sync wrappers ------------------------------------------------------------------------------ */

/* For other implementations: the async call on a private main context. */
static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GMainContext  *context,
             GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  return *slot;
}

/**
 * bk_database_query_sync:
 * @self: a #BkDatabase
 * @sql: one SQL statement with `$1`, `$2`… placeholders
 * @params: (nullable): a tuple of parameters; a floating reference is
 *   consumed
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Runs [method@Bk.Database.query_async] and waits for it, blocking the
 * calling thread (on a pooled connection, with the default
 * implementation). For tests and tools; never call it from a handler on
 * the backend's main context.
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 *
 * Since: 0.1
 */
BkDatabaseResult *
bk_database_query_sync (BkDatabase    *self,
                        const char    *sql,
                        GVariant      *params,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(GVariant) owned = params != NULL ? g_variant_ref_sink (params) : NULL;

  g_return_val_if_fail (BK_IS_DATABASE (self), NULL);
  g_return_val_if_fail (sql != NULL, NULL);

  if (BK_IS_DEFAULT_DATABASE (self))
    {
      Job job = { .kind = JOB_QUERY, .sql = (char *) sql, .params = g_steal_pointer (&owned) };
      BkDatabaseResult *result = NULL;

      run_job (BK_DEFAULT_DATABASE (self), &job, cancellable, &result, error);
      job_clear (&job);
      return result;
    }
  else
    {
      g_autoptr(GMainContext) context = g_main_context_new ();
      g_autoptr(GAsyncResult) result = NULL;

      g_main_context_push_thread_default (context);
      bk_database_query_async (self, sql, owned, cancellable, store_result, &result);
      return bk_database_query_finish (self, wait_result (context, &result), error);
    }
}

/**
 * bk_database_run_in_transaction_sync:
 * @self: a #BkDatabase
 * @func: (scope call): the transaction's body
 * @func_data: (closure func): data for @func
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Runs [method@Bk.Database.run_in_transaction_async] and waits for it,
 * blocking the calling thread; with the default implementation @func runs
 * on the calling thread. For tests and tools.
 *
 * Returns: %TRUE if the transaction committed
 *
 * Since: 0.1
 */
gboolean
bk_database_run_in_transaction_sync (BkDatabase                *self,
                                     BkDatabaseTransactionFunc  func,
                                     gpointer                   func_data,
                                     GCancellable              *cancellable,
                                     GError                   **error)
{
  g_return_val_if_fail (BK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  if (BK_IS_DEFAULT_DATABASE (self))
    {
      Job job = { .kind = JOB_TRANSACTION, .func = func, .func_data = func_data };

      return run_job (BK_DEFAULT_DATABASE (self), &job, cancellable, NULL, error);
    }
  else
    {
      g_autoptr(GMainContext) context = g_main_context_new ();
      g_autoptr(GAsyncResult) result = NULL;

      g_main_context_push_thread_default (context);
      bk_database_run_in_transaction_async (self, func, func_data, NULL, cancellable,
                                            store_result, &result);
      return bk_database_run_in_transaction_finish (self, wait_result (context, &result), error);
    }
}

/**
 * bk_database_migrate_sync:
 * @self: a #BkDatabase
 * @migrations: (array length=n_migrations): the plugin's migrations, in
 *   order
 * @n_migrations: the number of migrations
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Runs [method@Bk.Database.migrate_async] and waits for it, blocking the
 * calling thread. For tests and tools.
 *
 * Returns: %TRUE when every migration is applied
 *
 * Since: 0.1
 */
gboolean
bk_database_migrate_sync (BkDatabase                 *self,
                          const BkDatabaseMigration  *migrations,
                          gsize                       n_migrations,
                          GCancellable               *cancellable,
                          GError                    **error)
{
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (BK_IS_DATABASE (self), FALSE);

  if (BK_IS_DEFAULT_DATABASE (self))
    {
      BkDefaultDatabase *db = BK_DEFAULT_DATABASE (self);
      Job job = { .kind = JOB_MIGRATE, .migrations = (BkDatabaseMigration *) migrations,
                  .n_migrations = n_migrations };

      if (!check_migrations (db, migrations, n_migrations, error))
        return FALSE;
      if (db->skip_migrations)
        return TRUE;
      return run_job (db, &job, cancellable, NULL, error);
    }

  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  bk_database_migrate_async (self, migrations, n_migrations, cancellable, store_result, &result);
  return bk_database_migrate_finish (self, wait_result (context, &result), error);
}

/* Config -------------------------------------------------------------------------------------- */

static gboolean
invalid_value (BkConfig    *config,
               const char  *key,
               GError     **error,
               const char  *format,
               ...) G_GNUC_PRINTF (4, 5);

static gboolean
invalid_value (BkConfig    *config,
               const char  *key,
               GError     **error,
               const char  *format,
               ...)
{
  g_autofree char *source = bk_config_dup_key_source (config, key);
  g_autofree char *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
               "Invalid database config at '%s' in '%s', %s",
               key, source != NULL ? source : bk_config_get_source (config), reason);
  return FALSE;
}

/* `backend.database.plugin.<id>.<name>` when set, else
 * `backend.database.<name>`. */
static char *
key_for (BkConfig   *config,
         const char *plugin_id,
         const char *name)
{
  g_autofree char *plugin_key = g_strdup_printf ("backend.database.plugin.%s.%s", plugin_id, name);

  if (bk_config_has (config, plugin_key))
    return g_steal_pointer (&plugin_key);
  return g_strconcat ("backend.database.", name, NULL);
}

static void
conninfo_append (GString    *conninfo,
                 const char *keyword,
                 const char *value)
{
  if (conninfo->len > 0)
    g_string_append_c (conninfo, ' ');
  g_string_append_printf (conninfo, "%s='", keyword);
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '\'' || *p == '\\')
        g_string_append_c (conninfo, '\\');
      g_string_append_c (conninfo, *p);
    }
  g_string_append_c (conninfo, '\'');
}

/* A keyword conninfo of @options, with `dbname` replaced by @dbname. */
static char *
conninfo_build (GHashTable *options,
                const char *dbname)
{
  g_autoptr(GString) conninfo = g_string_new (NULL);
  g_autofree const char **keys = (const char **) g_hash_table_get_keys_as_array (options, NULL);

  g_qsort_with_data (keys, g_hash_table_size (options), sizeof (char *),
                     (GCompareDataFunc) compare_strings, NULL);
  for (guint i = 0; keys[i] != NULL; i++)
    if (!g_str_equal (keys[i], "dbname") || dbname == NULL)
      conninfo_append (conninfo, keys[i], g_hash_table_lookup (options, keys[i]));
  if (dbname != NULL)
    conninfo_append (conninfo, "dbname", dbname);
  return g_string_free (g_steal_pointer (&conninfo), FALSE);
}

/* The PostgreSQL engine module -------------------------------------------------------------- */

#define POSTGRESQL_MODULE_NAME "libbackend-postgresql-1." G_MODULE_SUFFIX

/* Where the module may be: only in $BK_MODULE_DIR when that is set;
 * otherwise beside the library (a build tree: libbackend/ holds both), then
 * in the installed module directory. */
static GPtrArray *
postgresql_module_candidates (void)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  const char *env = g_getenv ("BK_MODULE_DIR");
  Dl_info info;

  if (env != NULL && env[0] != '\0')
    {
      g_ptr_array_add (paths, g_build_filename (env, POSTGRESQL_MODULE_NAME, NULL));
      return paths;
    }
  if (dladdr ((gpointer) _bk_database_get_postgresql_engine, &info) != 0 && info.dli_fname != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (info.dli_fname);

      g_ptr_array_add (paths, g_build_filename (dir, POSTGRESQL_MODULE_NAME, NULL));
    }
  g_ptr_array_add (paths, g_build_filename (BK_MODULE_DIR, POSTGRESQL_MODULE_NAME, NULL));
  return paths;
}

/* _bk_database_get_postgresql_engine:
 *
 * Loads the PostgreSQL engine module once (it stays loaded) and returns
 * its vtable; fails, every time, when no candidate loads.
 */
const BkDatabaseEngineVTable *
_bk_database_get_postgresql_engine (GError **error)
{
  static GMutex lock;
  static const BkDatabaseEngineVTable *engine = NULL;
  static char *failure = NULL;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&lock);

  if (engine == NULL && failure == NULL)
    {
      g_autoptr(GPtrArray) paths = postgresql_module_candidates ();
      g_autoptr(GString) reasons = g_string_new (NULL);

      for (guint i = 0; i < paths->len && engine == NULL; i++)
        {
          const char *path = g_ptr_array_index (paths, i);
          GModule *module;
          gpointer symbol = NULL;

          if (!g_file_test (path, G_FILE_TEST_EXISTS))
            {
              g_string_append_printf (reasons, "%s%s: not found", reasons->len > 0 ? "; " : "", path);
              continue;
            }
          module = g_module_open (path, G_MODULE_BIND_LOCAL);
          if (module == NULL)
            {
              g_string_append_printf (reasons, "%s%s", reasons->len > 0 ? "; " : "", g_module_error ());
              continue;
            }
          if (!g_module_symbol (module, BK_DATABASE_POSTGRESQL_ENGINE_SYMBOL, &symbol) || symbol == NULL)
            {
              g_string_append_printf (reasons, "%s%s", reasons->len > 0 ? "; " : "", g_module_error ());
              g_module_close (module);
              continue;
            }
          g_module_make_resident (module);
          engine = symbol;
        }
      if (engine == NULL)
        failure = g_string_free (g_steal_pointer (&reasons), FALSE);
    }

  if (engine == NULL)
    g_set_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_FAILED,
                 "PostgreSQL support is not available: the module " POSTGRESQL_MODULE_NAME
                 " could not be loaded (%s)", failure);
  return engine;
}

/* Adds the PostgreSQL connection at @key (a conninfo or URL string, or an
 * object of host, port, user, password, database and other libpq
 * keywords) to @options. */
static gboolean
pg_options_add (BkConfig    *config,
                const char  *key,
                GHashTable  *options,
                GError     **error)
{
  g_autoptr(JsonNode) node = bk_config_dup_node (config, key);

  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      const BkDatabaseEngineVTable *engine = _bk_database_get_postgresql_engine (error);
      g_autofree char *message = NULL;

      if (engine == NULL)
        return FALSE;
      if (!engine->parse_conninfo (json_node_get_string (node), options, &message))
        return invalid_value (config, key, error, "not a PostgreSQL connection string: %s",
                              message != NULL ? message : "out of memory");
      return TRUE;
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        {
          g_autofree char *member_key = g_strconcat (key, ".", name, NULL);
          g_autofree char *value = NULL;

          if (JSON_NODE_HOLDS_NULL (member))
            continue;
          if (!JSON_NODE_HOLDS_VALUE (member))
            return invalid_value (config, member_key, error, "expected a string or a number");
          if (json_node_get_value_type (member) == G_TYPE_STRING)
            value = g_strdup (json_node_get_string (member));
          else if (json_node_get_value_type (member) == G_TYPE_INT64)
            value = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (member));
          else
            return invalid_value (config, member_key, error, "expected a string or a number");
          g_hash_table_insert (options, g_strdup (g_str_equal (name, "database") ? "dbname" : name),
                               g_steal_pointer (&value));
        }
      return TRUE;
    }
  return invalid_value (config, key, error,
                        "expected a PostgreSQL connection string or an object with host, port, user, password and database");
}

static gboolean
resolve_postgresql (BkConfig          *config,
                    const char        *plugin_id,
                    const char        *base_key,      /* nullable */
                    const char        *plugin_key,
                    gboolean           schema_mode,
                    BkDatabaseTarget  *target,
                    GError           **error)
{
  g_autoptr(GHashTable) options = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) plugin_options = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *base_dbname = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *prefix_key = key_for (config, plugin_id, "prefix");
  const char *plugin_dbname;
  GHashTableIter iter;
  gpointer k, v;

  if ((base_key != NULL && !pg_options_add (config, base_key, options, error))
      || !pg_options_add (config, plugin_key, plugin_options, error)
      || !bk_config_get_optional_string (config, prefix_key, DEFAULT_PREFIX, &prefix, error))
    return FALSE;
  base_dbname = g_strdup (g_hash_table_lookup (options, "dbname"));
  plugin_dbname = g_hash_table_lookup (plugin_options, "dbname");
  g_hash_table_iter_init (&iter, plugin_options);
  while (g_hash_table_iter_next (&iter, &k, &v))
    g_hash_table_insert (options, g_strdup (k), g_strdup (v));

  if (schema_mode)
    {
      target->pg_conninfo = conninfo_build (options, NULL);
      target->pg_schema = g_strdup (plugin_id);
      return TRUE;
    }
  target->pg_database = plugin_dbname != NULL ? g_strdup (plugin_dbname)
                                              : g_strconcat (prefix, plugin_id, NULL);
  target->pg_conninfo = conninfo_build (options, target->pg_database);
  target->pg_admin_conninfo = conninfo_build (options, base_dbname != NULL ? base_dbname : "postgres");
  return TRUE;
}

static gboolean
resolve_sqlite (BkConfig          *config,
                const char        *plugin_id,
                const char        *key,
                BkDatabaseTarget  *target,
                GError           **error)
{
  g_autoptr(JsonNode) node = bk_config_dup_node (config, key);
  g_autofree char *directory_key = g_strconcat (key, ".directory", NULL);
  g_autofree char *directory = NULL;
  g_autofree char *file = NULL;

  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
      && g_str_equal (json_node_get_string (node), ":memory:"))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return invalid_value (config, key, error, "expected ':memory:' or an object such as { directory: ./data }");
  if (!bk_config_get_optional_string (config, directory_key, NULL, &directory, error))
    return FALSE;
  if (directory == NULL)
    return TRUE;
  if (g_mkdir_with_parents (directory, 0755) != 0)
    {
      int saved_errno = errno;

      return invalid_value (config, directory_key, error, "cannot create the directory '%s': %s",
                            directory, g_strerror (saved_errno));
    }
  file = g_strconcat (plugin_id, ".sqlite", NULL);
  target->sqlite_path = g_build_filename (directory, file, NULL);
  return TRUE;
}

/* Where @plugin_id's database lives, from `backend.database`. */
static gboolean
resolve_target (BkConfig          *config,
                const char        *plugin_id,
                BkDatabaseTarget  *target,
                guint             *pool_max,
                gboolean          *skip_migrations,
                GError           **error)
{
  g_autofree char *client_key = key_for (config, plugin_id, "client");
  g_autofree char *mode_key = key_for (config, plugin_id, "pluginDivisionMode");
  g_autofree char *ensure_key = key_for (config, plugin_id, "ensureExists");
  g_autofree char *skip_key = key_for (config, plugin_id, "skipMigrations");
  g_autofree char *timeout_key = key_for (config, plugin_id, "statementTimeout");
  g_autofree char *busy_key = key_for (config, plugin_id, "busyTimeout");
  g_autofree char *pool_key = key_for (config, plugin_id, "pool.max");
  g_autofree char *plugin_connection_key = g_strdup_printf ("backend.database.plugin.%s.connection", plugin_id);
  g_autofree char *client = NULL;
  g_autofree char *mode = NULL;
  const char *connection_key = plugin_connection_key;
  const char *base_connection_key = NULL;
  gint64 max = 0;

  target->plugin_id = g_strdup (plugin_id);
  if (!bk_config_get_optional_string (config, client_key, "better-sqlite3", &client, error)
      || !bk_config_get_optional_string (config, mode_key, "database", &mode, error)
      || !bk_config_get_optional_boolean (config, ensure_key, TRUE, &target->ensure_exists, error)
      || !bk_config_get_optional_boolean (config, skip_key, FALSE, skip_migrations, error)
      || !_bk_duration_from_config (config, timeout_key, 0, &target->statement_timeout_ms, error)
      || !_bk_duration_from_config (config, busy_key, DEFAULT_BUSY_TIMEOUT_MS,
                                    &target->sqlite_busy_timeout_ms, error))
    return FALSE;

  if (g_str_equal (client, "better-sqlite3") || g_str_equal (client, "sqlite3"))
    target->engine = BK_DATABASE_ENGINE_SQLITE;
  else if (g_str_equal (client, "pg"))
    target->engine = BK_DATABASE_ENGINE_POSTGRESQL;
  else
    return invalid_value (config, client_key, error,
                          "unsupported database client type '%s' specified for plugin '%s'; "
                          "expected pg, better-sqlite3 or sqlite3", client, plugin_id);

  if (!g_str_equal (mode, "database") && !g_str_equal (mode, "schema"))
    return invalid_value (config, mode_key, error,
                          "unknown plugin division mode '%s'; expected database or schema", mode);
  if (target->engine == BK_DATABASE_ENGINE_SQLITE && !g_str_equal (mode, "database"))
    return invalid_value (config, mode_key, error,
                          "the SQLite driver does not support plugin division mode '%s'", mode);

  /* The base connection serves a plugin unless it overrides the client
   * (then only its own connection counts) or the whole connection. */
  if (!g_str_has_prefix (client_key, "backend.database.plugin."))
    base_connection_key = "backend.database.connection";
  if (!bk_config_has (config, plugin_connection_key) && base_connection_key != NULL)
    connection_key = base_connection_key;

  if (target->engine == BK_DATABASE_ENGINE_SQLITE)
    {
      if (!resolve_sqlite (config, plugin_id, connection_key, target, error))
        return FALSE;
    }
  else if (!resolve_postgresql (config, plugin_id, base_connection_key, plugin_connection_key,
                                g_str_equal (mode, "schema"), target, error))
    return FALSE;

  /* SQLite has one writer: a second connection to the same file only
   * waits in SQLite's sleeping busy handler (a one-second tail under
   * concurrent writes), where one connection queues the work in order. */
  if (!bk_config_get_optional_int (config, pool_key,
                                   target->engine == BK_DATABASE_ENGINE_POSTGRESQL ? 10 : 1,
                                   &max, error))
    return FALSE;
  if (max < 1 || max > 1000)
    return invalid_value (config, pool_key, error, "the pool size %" G_GINT64_FORMAT
                          " is out of range; expected 1 to 1000", max);
  /* Each connection to `:memory:` is a database of its own. */
  *pool_max = target->engine == BK_DATABASE_ENGINE_SQLITE && target->sqlite_path == NULL ? 1 : (guint) max;
  return TRUE;
}

/* The factory ---------------------------------------------------------------------------------- */

static GObject *
create_database (BkDeps    *deps,
                 gpointer   root_context,
                 gpointer   user_data,
                 GError   **error)
{
  BkPluginMetadata *metadata = bk_deps_get (deps, BK_SERVICE_PLUGIN_METADATA);
  g_autoptr(BkConfig) config = bk_root_config_dup_config (bk_deps_get (deps, BK_SERVICE_ROOT_CONFIG));
  g_autoptr(BkDefaultDatabase) self = g_object_new (BK_TYPE_DEFAULT_DATABASE, NULL);

  if (!resolve_target (config, bk_plugin_metadata_get_id (metadata), &self->target,
                       &self->pool_max, &self->skip_migrations, error))
    return NULL;
  self->vtable = self->target.engine == BK_DATABASE_ENGINE_SQLITE
                 ? &_bk_database_sqlite_engine : _bk_database_get_postgresql_engine (error);
  if (self->vtable == NULL)
    return NULL;
  self->logger = g_object_ref (bk_deps_get (deps, BK_SERVICE_LOGGER));
  self->threads = g_thread_pool_new (worker, self, (int) self->pool_max, FALSE, error);
  if (self->threads == NULL)
    return NULL;

  if (!bk_lifecycle_add_hook_async (bk_deps_get (deps, BK_SERVICE_ROOT_LIFECYCLE),
                                    BK_LIFECYCLE_PHASE_SHUTDOWN, shutdown_hook,
                                    g_object_ref (self), g_object_unref, error))
    return NULL;
  return G_OBJECT (g_steal_pointer (&self));
}

BkServiceFactory *
_bk_database_default_factory (void)
{
  BkServiceFactory *factory;

  factory = bk_service_factory_new (BK_SERVICE_DATABASE, create_database, NULL, NULL,
                                    BK_SERVICE_ROOT_CONFIG,
                                    BK_SERVICE_PLUGIN_METADATA,
                                    BK_SERVICE_LOGGER,
                                    BK_SERVICE_ROOT_LIFECYCLE,
                                    NULL);
  bk_service_factory_set_initialization (factory, BK_SERVICE_INITIALIZATION_LAZY);
  return factory;
}
