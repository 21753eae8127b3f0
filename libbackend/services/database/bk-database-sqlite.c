/* bk-database-sqlite.c: the SQLite engine of core.database.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Placeholders are `$1`, `$2`…: SQLite reads them as named parameters, so
 * each is bound through sqlite3_bind_parameter_index(). Engine codes are
 * the symbolic names of SQLite's (extended) result codes, such as
 * `SQLITE_CONSTRAINT_UNIQUE`. Statement timeouts, cancellation and
 * interrupt() at shutdown all stop a running statement through the
 * progress handler.
 */

#include <sqlite3.h>

#include "bk-database-private.h"

/* VM instructions between two checks of the deadline and cancellable. */
#define PROGRESS_STEPS 1000

struct _BkDatabaseRawConnection
{
  sqlite3      *db;
  gint          interrupted;      /* atomic: interrupt() was called */
  gboolean      broken;
  /* Of the running query, read by the progress handler on that thread. */
  gint64        deadline;         /* monotonic µs, 0 = none */
  GCancellable *cancellable;
};

static const char *
code_name (int code)
{
  static const char * const primary[] = {
    "SQLITE_OK", "SQLITE_ERROR", "SQLITE_INTERNAL", "SQLITE_PERM", "SQLITE_ABORT",
    "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_NOMEM", "SQLITE_READONLY", "SQLITE_INTERRUPT",
    "SQLITE_IOERR", "SQLITE_CORRUPT", "SQLITE_NOTFOUND", "SQLITE_FULL", "SQLITE_CANTOPEN",
    "SQLITE_PROTOCOL", "SQLITE_EMPTY", "SQLITE_SCHEMA", "SQLITE_TOOBIG", "SQLITE_CONSTRAINT",
    "SQLITE_MISMATCH", "SQLITE_MISUSE", "SQLITE_NOLFS", "SQLITE_AUTH", "SQLITE_FORMAT",
    "SQLITE_RANGE", "SQLITE_NOTADB", "SQLITE_NOTICE", "SQLITE_WARNING",
  };

  switch (code)
    {
    case SQLITE_CONSTRAINT_UNIQUE: return "SQLITE_CONSTRAINT_UNIQUE";
    case SQLITE_CONSTRAINT_PRIMARYKEY: return "SQLITE_CONSTRAINT_PRIMARYKEY";
    case SQLITE_CONSTRAINT_FOREIGNKEY: return "SQLITE_CONSTRAINT_FOREIGNKEY";
    case SQLITE_CONSTRAINT_NOTNULL: return "SQLITE_CONSTRAINT_NOTNULL";
    case SQLITE_CONSTRAINT_CHECK: return "SQLITE_CONSTRAINT_CHECK";
    case SQLITE_BUSY_SNAPSHOT: return "SQLITE_BUSY_SNAPSHOT";
    default:
      if ((code & 0xff) < (int) G_N_ELEMENTS (primary))
        return primary[code & 0xff];
      return "SQLITE_ERROR";
    }
}

/* Maps the connection's last error (@code, extended) to a GError. */
static void
set_error (BkDatabaseRawConnection  *self,
           const BkDatabaseTarget   *target,
           int                       code,
           GError                  **error)
{
  BkDatabaseError kind = BK_DATABASE_ERROR_FAILED;
  const char *message = self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (code);

  switch (code & 0xff)
    {
    case SQLITE_CONSTRAINT:
      kind = (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
             ? BK_DATABASE_ERROR_UNIQUE_VIOLATION : BK_DATABASE_ERROR_CONSTRAINT;
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      kind = BK_DATABASE_ERROR_BUSY;
      break;
    case SQLITE_INTERRUPT:
      if (g_cancellable_is_cancelled (self->cancellable))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The query was cancelled");
          return;
        }
      if (g_atomic_int_get (&self->interrupted))
        {
          _bk_database_set_error (error, BK_DATABASE_ERROR_CLOSED, target->plugin_id,
                                  code_name (code), "The query was interrupted at shutdown");
          return;
        }
      _bk_database_set_error (error, BK_DATABASE_ERROR_TIMEOUT, target->plugin_id,
                              code_name (code),
                              "The statement ran longer than the statement timeout of %" G_GUINT64_FORMAT " ms",
                              target->statement_timeout_ms);
      return;
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_IOERR:
      self->broken = TRUE;
      kind = BK_DATABASE_ERROR_CONNECTION;
      break;
    default:
      break;
    }
  _bk_database_set_error (error, kind, target->plugin_id, code_name (code), "%s", message);
}

static int
progress (gpointer user_data)
{
  BkDatabaseRawConnection *self = user_data;

  return g_atomic_int_get (&self->interrupted)
         || g_cancellable_is_cancelled (self->cancellable)
         || (self->deadline != 0 && g_get_monotonic_time () >= self->deadline);
}

static void
sqlite_close (BkDatabaseRawConnection *self)
{
  sqlite3_close_v2 (self->db);
  g_free (self);
}

static gboolean
exec (BkDatabaseRawConnection  *self,
      const BkDatabaseTarget   *target,
      const char               *sql,
      GError                  **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      set_error (self, target, sqlite3_extended_errcode (self->db), error);
      return FALSE;
    }
  return TRUE;
}

static BkDatabaseRawConnection *
sqlite_open (const BkDatabaseTarget  *target,
             GError                 **error)
{
  BkDatabaseRawConnection *self = g_new0 (BkDatabaseRawConnection, 1);
  const char *path = target->sqlite_path != NULL ? target->sqlite_path : ":memory:";
  int rc;

  rc = sqlite3_open_v2 (path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      _bk_database_set_error (error, BK_DATABASE_ERROR_CONNECTION, target->plugin_id,
                              code_name (rc), "Failed to open the SQLite database '%s': %s",
                              path, self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      sqlite_close (self);
      return NULL;
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, (int) MIN (target->sqlite_busy_timeout_ms, G_MAXINT));
  sqlite3_progress_handler (self->db, PROGRESS_STEPS, progress, self);

  if (!exec (self, target, "PRAGMA foreign_keys = ON", error)
      || (target->sqlite_path != NULL && !exec (self, target, "PRAGMA journal_mode = WAL", error)))
    {
      sqlite_close (self);
      return NULL;
    }
  return self;
}

static gboolean
bind_value (sqlite3_stmt            *stmt,
            int                      index,
            guint                    n,
            GVariant                *value,
            const BkDatabaseTarget  *target,
            GError                 **error)
{
  BkDatabaseParam param;
  g_autoptr(GVariant) leaf = _bk_database_param_read (value, n, target->plugin_id, &param, error);

  if (leaf == NULL)
    return FALSE;
  switch (param.kind)
    {
    case BK_DATABASE_PARAM_NULL:
      return sqlite3_bind_null (stmt, index) == SQLITE_OK;
    case BK_DATABASE_PARAM_BOOLEAN:
    case BK_DATABASE_PARAM_INTEGER:
      return sqlite3_bind_int64 (stmt, index, param.integer) == SQLITE_OK;
    case BK_DATABASE_PARAM_DOUBLE:
      return sqlite3_bind_double (stmt, index, param.number) == SQLITE_OK;
    case BK_DATABASE_PARAM_TEXT:
      return sqlite3_bind_text (stmt, index, param.text, -1, SQLITE_TRANSIENT) == SQLITE_OK;
    case BK_DATABASE_PARAM_BYTES:
      if (param.size == 0)
        return sqlite3_bind_zeroblob (stmt, index, 0) == SQLITE_OK;
      return sqlite3_bind_blob64 (stmt, index, param.data, param.size, SQLITE_TRANSIENT) == SQLITE_OK;
    default:
      g_return_val_if_reached (FALSE);
    }
}

static gboolean
bind_params (BkDatabaseRawConnection  *self,
             sqlite3_stmt             *stmt,
             const BkDatabaseTarget   *target,
             GVariant                 *params,
             GError                  **error)
{
  guint n_params = params != NULL ? g_variant_n_children (params) : 0;
  int wanted = sqlite3_bind_parameter_count (stmt);

  if ((int) n_params != wanted)
    {
      _bk_database_set_error (error, BK_DATABASE_ERROR_PARAMETER, target->plugin_id, NULL,
                              "The statement takes %d parameters but %u were given",
                              wanted, n_params);
      return FALSE;
    }
  for (guint i = 0; i < n_params; i++)
    {
      g_autoptr(GVariant) value = g_variant_get_child_value (params, i);
      char name[16];
      int index;

      g_snprintf (name, sizeof name, "$%u", i + 1);
      index = sqlite3_bind_parameter_index (stmt, name);

      if (index == 0)
        {
          _bk_database_set_error (error, BK_DATABASE_ERROR_PARAMETER, target->plugin_id, NULL,
                                  "The statement does not use parameter %s; "
                                  "number placeholders $1, $2… without gaps", name);
          return FALSE;
        }
      if (!bind_value (stmt, index, i + 1, value, target, error))
        {
          if (error != NULL && *error == NULL)
            set_error (self, target, sqlite3_extended_errcode (self->db), error);
          return FALSE;
        }
    }
  return TRUE;
}

static GVariant *
column_value (sqlite3_stmt *stmt,
              int           column)
{
  switch (sqlite3_column_type (stmt, column))
    {
    case SQLITE_INTEGER:
      return g_variant_new_int64 (sqlite3_column_int64 (stmt, column));
    case SQLITE_FLOAT:
      return g_variant_new_double (sqlite3_column_double (stmt, column));
    case SQLITE_TEXT:
      {
        const char *text = (const char *) sqlite3_column_text (stmt, column);
        int size = sqlite3_column_bytes (stmt, column);

        /* Fails on an embedded NUL too. */
        if (g_utf8_validate_len (text, size, NULL))
          return g_variant_new_string (text);
      }
      G_GNUC_FALLTHROUGH;
    case SQLITE_BLOB:
      {
        const void *data = sqlite3_column_blob (stmt, column);
        g_autoptr(GBytes) bytes = g_bytes_new (data, sqlite3_column_bytes (stmt, column));

        return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE);
      }
    case SQLITE_NULL:
    default:
      return NULL;
    }
}

/* Runs one prepared statement to its end. */
static BkDatabaseResult *
run_statement (BkDatabaseRawConnection  *self,
               const BkDatabaseTarget   *target,
               sqlite3_stmt             *stmt,
               GError                  **error)
{
  int n_columns = sqlite3_column_count (stmt);
  g_autofree const char **names = g_new0 (const char *, n_columns + 1);
  g_autofree GVariant **values = g_new0 (GVariant *, n_columns + 1);
  g_autoptr(BkDatabaseResult) result = NULL;
  sqlite3_int64 total_before = sqlite3_total_changes64 (self->db);
  int rc;

  for (int i = 0; i < n_columns; i++)
    names[i] = sqlite3_column_name (stmt, i);
  result = _bk_database_result_new (n_columns, names);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      for (int i = 0; i < n_columns; i++)
        values[i] = column_value (stmt, i);
      _bk_database_result_append_row (result, values);
    }
  if (rc != SQLITE_DONE)
    {
      set_error (self, target, sqlite3_extended_errcode (self->db), error);
      return NULL;
    }
  if (!sqlite3_stmt_readonly (stmt) && sqlite3_total_changes64 (self->db) != total_before)
    _bk_database_result_set_changes (result, sqlite3_changes64 (self->db));
  return g_steal_pointer (&result);
}

static BkDatabaseResult *
sqlite_query (BkDatabaseRawConnection  *self,
              const BkDatabaseTarget   *target,
              const char               *sql,
              GVariant                 *params,
              GCancellable             *cancellable,
              GError                  **error)
{
  g_autoptr(BkDatabaseResult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *tail = sql;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  self->cancellable = cancellable;
  self->deadline = target->statement_timeout_ms != 0
                   ? g_get_monotonic_time () + (gint64) target->statement_timeout_ms * 1000 : 0;

  /* Several statements run one after the other (migrations); the result
   * is the last one's. */
  while (tail != NULL && *tail != '\0')
    {
      sqlite3_stmt *stmt = NULL;
      const char *next = NULL;
      int rc = sqlite3_prepare_v2 (self->db, tail, -1, &stmt, &next);

      if (rc != SQLITE_OK)
        {
          set_error (self, target, sqlite3_extended_errcode (self->db), &local_error);
          g_clear_object (&result);
          break;
        }
      tail = next;
      if (stmt == NULL)   /* white space or a comment */
        continue;

      if (result != NULL && params != NULL)
        {
          _bk_database_set_error (&local_error, BK_DATABASE_ERROR_PARAMETER, target->plugin_id, NULL,
                                  "Only one statement may be run with parameters");
          sqlite3_finalize (stmt);
          g_clear_object (&result);
          break;
        }
      g_clear_object (&result);
      if (bind_params (self, stmt, target, params, &local_error))
        result = run_statement (self, target, stmt, &local_error);
      sqlite3_finalize (stmt);
      if (result == NULL)
        break;
    }

  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  else if (result == NULL)
    result = _bk_database_result_new (0, NULL);   /* nothing but blanks */

  self->cancellable = NULL;
  self->deadline = 0;
  return g_steal_pointer (&result);
}

static gboolean
sqlite_is_alive (BkDatabaseRawConnection *self)
{
  /* A transaction left open by an error is rolled back, so the next user
   * of the connection starts clean. */
  if (!self->broken && !sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  return !self->broken && sqlite3_get_autocommit (self->db);
}

static void
sqlite_interrupt (BkDatabaseRawConnection *self)
{
  g_atomic_int_set (&self->interrupted, TRUE);
  sqlite3_interrupt (self->db);
}

const BkDatabaseEngineVTable _bk_database_sqlite_engine = {
  .engine = BK_DATABASE_ENGINE_SQLITE,
  .open = sqlite_open,
  .close = sqlite_close,
  .query = sqlite_query,
  .ensure_exists = NULL,
  .is_alive = sqlite_is_alive,
  .interrupt = sqlite_interrupt,
  .begin_sql = "BEGIN IMMEDIATE",
  .migration_lock_sql = NULL,
};
