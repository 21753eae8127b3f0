/* bk-database-postgresql.c: the PostgreSQL engine of core.database.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One libpq connection per raw connection. Statements with parameters go
 * through the extended protocol (PQsendQueryParams), so `$1`, `$2`… are
 * PostgreSQL's own placeholders; statements without parameters through the
 * simple protocol (PQsendQuery), which runs several at once (migrations).
 *
 * Parameters: booleans are sent as `bool`, integers as `int8`, doubles as
 * `float8` and byte strings as binary `bytea`; strings go untyped, as a
 * literal would, so that the server casts them to the column's type
 * (timestamps, JSON, enums…). A Nothing is NULL, typed like its element.
 *
 * Results are read in text form and typed by the column's type: `int2`,
 * `int4`, `int8` and `oid` give "x", `float4` and `float8` "d", `bool` "b",
 * `bytea` "ay", and every other type (`numeric` included, which a double
 * cannot hold) a string.
 *
 * Errors keep the SQLSTATE as their engine code. A connection that cannot
 * be opened has no SQLSTATE from the server: it gets `08001`, and one lost
 * without a server message `08006`.
 *
 * A query waits on the socket and on the cancellable at once (g_poll());
 * when the cancellable fires, or interrupt() is called at shutdown, a
 * cancel request (PQcancel) stops the statement on the server. A session
 * found dead before a statement is sent (the server restarted while the
 * connection sat in the pool) is replaced, outside transactions only.
 */

#include <errno.h>
#include <math.h>
#include <string.h>

#include <gmodule.h>
#include <libpq-fe.h>

#include "bk-database-private.h"

/* Type OIDs (pg_type.dat), stable across versions. */
#define OID_BOOL    16
#define OID_BYTEA   17
#define OID_INT8    20
#define OID_INT2    21
#define OID_INT4    23
#define OID_OID     26
#define OID_FLOAT4  700
#define OID_FLOAT8  701

/* When the server gave no SQLSTATE. */
#define SQLSTATE_CANNOT_CONNECT   "08001"
#define SQLSTATE_CONNECTION_LOST  "08006"

/* Keepalives: the first probe after 30 s of silence, then every 10 s;
 * three unanswered probes drop the connection. */
#define KEEPALIVES_IDLE      "30"
#define KEEPALIVES_INTERVAL  "10"
#define KEEPALIVES_COUNT     "3"
#define CONNECT_TIMEOUT      "10"

struct _BkDatabaseRawConnection
{
  PGconn   *conn;
  /* For interrupt(), from any thread: replaced on a reconnection. */
  GMutex    cancel_lock;
  PGcancel *cancel;
  gint      interrupted;   /* atomic */
};

/* Connections --------------------------------------------------------------------------------- */

/* Opens @conninfo with our defaults; the settings in @conninfo win. */
static PGconn *
connect_with_defaults (const BkDatabaseTarget *target,
                       const char             *conninfo)
{
  g_autofree char *application_name = g_strconcat ("libbackend-", target->plugin_id, NULL);
  const char * const keywords[] = {
    "application_name", "client_encoding", "connect_timeout",
    "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
    "dbname", NULL,
  };
  const char * const values[] = {
    application_name, "UTF8", CONNECT_TIMEOUT,
    "1", KEEPALIVES_IDLE, KEEPALIVES_INTERVAL, KEEPALIVES_COUNT,
    conninfo, NULL,
  };

  return PQconnectdbParams (keywords, values, TRUE);
}

static gboolean
set_connect_error (PGconn                  *conn,
                   const BkDatabaseTarget  *target,
                   GError                 **error)
{
  g_autofree char *message = g_strdup (conn != NULL ? PQerrorMessage (conn) : "out of memory");

  _bk_database_set_error (error, BK_DATABASE_ERROR_CONNECTION, target->plugin_id, SQLSTATE_CANNOT_CONNECT,
                          "Could not connect to PostgreSQL: %s", g_strstrip (message));
  return FALSE;
}

static BkDatabaseError
error_kind (const char *sqlstate)
{
  if (g_str_equal (sqlstate, "23505"))
    return BK_DATABASE_ERROR_UNIQUE_VIOLATION;
  if (g_str_has_prefix (sqlstate, "23"))
    return BK_DATABASE_ERROR_CONSTRAINT;
  if (g_str_equal (sqlstate, "40001") || g_str_equal (sqlstate, "40P01"))
    return BK_DATABASE_ERROR_SERIALIZATION;
  if (g_str_equal (sqlstate, "55P03"))
    return BK_DATABASE_ERROR_BUSY;
  if (g_str_equal (sqlstate, "57014"))
    return BK_DATABASE_ERROR_TIMEOUT;
  /* A wrong number of parameters (a protocol error, in class 08) and an
   * undefined $n. */
  if (g_str_equal (sqlstate, "08P01") || g_str_equal (sqlstate, "42P02"))
    return BK_DATABASE_ERROR_PARAMETER;
  if (g_str_has_prefix (sqlstate, "08") || g_str_equal (sqlstate, "57P01")
      || g_str_equal (sqlstate, "57P02") || g_str_equal (sqlstate, "57P03"))
    return BK_DATABASE_ERROR_CONNECTION;
  return BK_DATABASE_ERROR_FAILED;
}

/* Maps a failed @result (NULL when there is none) to a GError. */
static void
set_result_error (BkDatabaseRawConnection  *self,
                  const BkDatabaseTarget   *target,
                  const PGresult           *result,
                  GCancellable             *cancellable,
                  GError                  **error)
{
  const char *sqlstate = result != NULL ? PQresultErrorField (result, PG_DIAG_SQLSTATE) : NULL;
  const char *primary = result != NULL ? PQresultErrorField (result, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  const char *detail = result != NULL ? PQresultErrorField (result, PG_DIAG_MESSAGE_DETAIL) : NULL;
  g_autofree char *fallback = NULL;
  BkDatabaseError kind;

  if (primary == NULL)
    {
      fallback = g_strdup (result != NULL && *PQresultErrorMessage (result) != '\0'
                           ? PQresultErrorMessage (result) : PQerrorMessage (self->conn));
      primary = g_strstrip (fallback);
      if (*primary == '\0')
        primary = "the server closed the connection";
    }

  if (sqlstate == NULL)
    {
      kind = PQstatus (self->conn) == CONNECTION_BAD ? BK_DATABASE_ERROR_CONNECTION : BK_DATABASE_ERROR_FAILED;
      sqlstate = kind == BK_DATABASE_ERROR_CONNECTION ? SQLSTATE_CONNECTION_LOST : NULL;
    }
  else
    kind = error_kind (sqlstate);

  if (kind == BK_DATABASE_ERROR_TIMEOUT)
    {
      if (g_cancellable_is_cancelled (cancellable))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The query was cancelled");
          return;
        }
      if (g_atomic_int_get (&self->interrupted))
        {
          _bk_database_set_error (error, BK_DATABASE_ERROR_CLOSED, target->plugin_id, sqlstate,
                                  "The query was interrupted at shutdown");
          return;
        }
      if (target->statement_timeout_ms != 0)
        _bk_database_set_error (error, kind, target->plugin_id, sqlstate,
                                "The statement ran longer than the statement timeout of %" G_GUINT64_FORMAT " ms",
                                target->statement_timeout_ms);
      else   /* a timeout set in SQL, or a cancel request from elsewhere */
        _bk_database_set_error (error, kind, target->plugin_id, sqlstate, "%s", primary);
      return;
    }
  if (kind == BK_DATABASE_ERROR_CONNECTION)
    {
      _bk_database_set_error (error, kind, target->plugin_id, sqlstate,
                              "Lost the connection to PostgreSQL: %s", primary);
      return;
    }
  if (detail != NULL)
    _bk_database_set_error (error, kind, target->plugin_id, sqlstate, "%s; %s", primary, detail);
  else
    _bk_database_set_error (error, kind, target->plugin_id, sqlstate, "%s", primary);
}

/* Runs @sql (no parameters, no rows wanted) while opening a connection. */
static gboolean
exec_setup (BkDatabaseRawConnection  *self,
            const BkDatabaseTarget   *target,
            const char               *sql,
            const char               *ignored_sqlstate,
            GError                  **error)
{
  PGresult *result = PQexec (self->conn, sql);
  gboolean ok = PQresultStatus (result) == PGRES_COMMAND_OK || PQresultStatus (result) == PGRES_TUPLES_OK;

  if (!ok && ignored_sqlstate != NULL && result != NULL
      && g_strcmp0 (PQresultErrorField (result, PG_DIAG_SQLSTATE), ignored_sqlstate) == 0)
    ok = TRUE;
  if (!ok)
    set_result_error (self, target, result, NULL, error);
  PQclear (result);
  return ok;
}

static char *
quote_identifier (PGconn     *conn,
                  const char *name)
{
  char *quoted = PQescapeIdentifier (conn, name, strlen (name));
  char *copy = g_strdup (quoted);

  PQfreemem (quoted);
  return copy;
}

/* Notices ("schema already exists, skipping") and errors that arrive
 * while idle would go to stderr: errors reach the caller as results. */
static void
ignore_notice (void       *data,
               const char *message)
{
}

/* Drops the session of @self, if any. */
static void
disconnect (BkDatabaseRawConnection *self)
{
  g_mutex_lock (&self->cancel_lock);
  g_clear_pointer (&self->cancel, PQfreeCancel);
  g_mutex_unlock (&self->cancel_lock);
  g_clear_pointer (&self->conn, PQfinish);
}

/* Opens a session: connects, then the schema and the statement timeout. */
static gboolean
connect_session (BkDatabaseRawConnection  *self,
                 const BkDatabaseTarget   *target,
                 GError                  **error)
{
  PGcancel *cancel;

  self->conn = connect_with_defaults (target, target->pg_conninfo);
  if (PQstatus (self->conn) != CONNECTION_OK)
    return set_connect_error (self->conn, target, error);
  PQsetNoticeProcessor (self->conn, ignore_notice, NULL);

  if (target->pg_schema != NULL)
    {
      g_autofree char *schema = quote_identifier (self->conn, target->pg_schema);
      g_autofree char *create = g_strdup_printf ("CREATE SCHEMA IF NOT EXISTS %s", schema);
      g_autofree char *search_path = g_strdup_printf ("SET search_path TO %s", schema);

      /* With ensureExists; two instances creating the schema at once: the
       * second one may fail on pg_namespace's unique index. */
      if ((target->ensure_exists && !exec_setup (self, target, create, "23505", error))
          || !exec_setup (self, target, search_path, NULL, error))
        return FALSE;
    }
  if (target->statement_timeout_ms != 0)
    {
      g_autofree char *sql = g_strdup_printf ("SET statement_timeout = %" G_GUINT64_FORMAT,
                                              MIN (target->statement_timeout_ms, (guint64) G_MAXINT32));

      if (!exec_setup (self, target, sql, NULL, error))
        return FALSE;
    }

  cancel = PQgetCancel (self->conn);
  g_mutex_lock (&self->cancel_lock);
  self->cancel = cancel;
  g_mutex_unlock (&self->cancel_lock);
  return TRUE;
}

static void
pg_close (BkDatabaseRawConnection *self)
{
  disconnect (self);
  g_mutex_clear (&self->cancel_lock);
  g_free (self);
}

static BkDatabaseRawConnection *
pg_open (const BkDatabaseTarget  *target,
         GError                 **error)
{
  BkDatabaseRawConnection *self = g_new0 (BkDatabaseRawConnection, 1);

  g_mutex_init (&self->cancel_lock);
  if (!connect_session (self, target, error))
    {
      pg_close (self);
      return NULL;
    }
  return self;
}

/* Whether an idle session is known to be gone: the server went away (a
 * restart, a terminated backend) while the connection sat in the pool. */
static gboolean
session_is_gone (PGconn *conn)
{
  /* Readable while idle: a notice, or the server's goodbye then EOF, which
   * may take two reads to see. */
  for (guint i = 0; i < 4; i++)
    {
      GPollFD fd = { PQsocket (conn), G_IO_IN, 0 };

      if (PQstatus (conn) != CONNECTION_OK || fd.fd < 0)
        return TRUE;
      if (g_poll (&fd, 1, 0) <= 0)
        return FALSE;
      if (!PQconsumeInput (conn))
        return TRUE;
    }
  return PQstatus (conn) != CONNECTION_OK;
}

/* Replaces a session that is gone by a new one, before anything was sent
 * on it; never inside a transaction, which the new session would not
 * continue. */
static gboolean
ensure_session (BkDatabaseRawConnection  *self,
                const BkDatabaseTarget   *target,
                gboolean                  idle,
                gboolean                  force,
                GError                  **error)
{
  if (!force && !session_is_gone (self->conn))
    return TRUE;
  if (self->conn != NULL && !idle)
    {
      set_result_error (self, target, NULL, NULL, error);
      return FALSE;
    }
  disconnect (self);
  return connect_session (self, target, error);
}

static gboolean
pg_ensure_exists (const BkDatabaseTarget  *target,
                  GError                 **error)
{
  BkDatabaseRawConnection admin = { 0 };
  PGresult *found;
  gboolean ok;

  if (!target->ensure_exists || target->pg_database == NULL || target->pg_admin_conninfo == NULL)
    return TRUE;

  admin.conn = connect_with_defaults (target, target->pg_admin_conninfo);
  if (PQstatus (admin.conn) != CONNECTION_OK)
    {
      set_connect_error (admin.conn, target, error);
      g_prefix_error (error, "Could not create the database '%s': ", target->pg_database);
      PQfinish (admin.conn);
      return FALSE;
    }

  found = PQexecParams (admin.conn, "SELECT 1 FROM pg_database WHERE datname = $1", 1, NULL,
                        (const char * const []) { target->pg_database }, NULL, NULL, 0);
  ok = PQresultStatus (found) == PGRES_TUPLES_OK;
  if (!ok)
    set_result_error (&admin, target, found, NULL, error);
  else if (PQntuples (found) == 0)
    {
      g_autofree char *name = quote_identifier (admin.conn, target->pg_database);
      g_autofree char *sql = g_strdup_printf ("CREATE DATABASE %s", name);
      PGresult *created = PQexec (admin.conn, sql);
      const char *sqlstate = PQresultErrorField (created, PG_DIAG_SQLSTATE);

      /* Created by another instance meanwhile: 42P04, or 23505 when both
       * reached pg_database's unique index. */
      ok = PQresultStatus (created) == PGRES_COMMAND_OK
           || g_strcmp0 (sqlstate, "42P04") == 0 || g_strcmp0 (sqlstate, "23505") == 0;
      if (!ok)
        set_result_error (&admin, target, created, NULL, error);
      PQclear (created);
    }
  if (!ok)
    g_prefix_error (error, "Could not create the database '%s': ", target->pg_database);
  PQclear (found);
  PQfinish (admin.conn);
  return ok;
}

static gboolean
pg_is_alive (BkDatabaseRawConnection *self)
{
  PGTransactionStatusType status;

  if (g_atomic_int_get (&self->interrupted) || self->conn == NULL
      || PQstatus (self->conn) != CONNECTION_OK)
    return FALSE;
  /* A transaction left open by an error is rolled back, so the next user
   * of the connection starts clean. */
  status = PQtransactionStatus (self->conn);
  if (status == PQTRANS_INTRANS || status == PQTRANS_INERROR)
    PQclear (PQexec (self->conn, "ROLLBACK"));
  return PQstatus (self->conn) == CONNECTION_OK && PQtransactionStatus (self->conn) == PQTRANS_IDLE;
}

static void
pg_interrupt (BkDatabaseRawConnection *self)
{
  char message[256];

  g_atomic_int_set (&self->interrupted, TRUE);
  g_mutex_lock (&self->cancel_lock);
  if (self->cancel != NULL)
    PQcancel (self->cancel, message, sizeof message);
  g_mutex_unlock (&self->cancel_lock);
}

/* Parameters ---------------------------------------------------------------------------------- */

typedef char NumberText[G_ASCII_DTOSTR_BUF_SIZE];

typedef struct
{
  guint        n;
  Oid         *types;
  const char **values;      /* NULL for SQL NULL; point into @numbers, @leaves or literals */
  int         *lengths;
  int         *formats;
  NumberText  *numbers;     /* integers and doubles as text */
  GVariant   **leaves;      /* the values texts and bytes point into */
} Params;

static void
params_clear (Params *params)
{
  for (guint i = 0; params->leaves != NULL && i < params->n; i++)
    g_clear_pointer (&params->leaves[i], g_variant_unref);
  g_clear_pointer (&params->types, g_free);
  g_clear_pointer (&params->values, g_free);
  g_clear_pointer (&params->lengths, g_free);
  g_clear_pointer (&params->formats, g_free);
  g_clear_pointer (&params->numbers, g_free);
  g_clear_pointer (&params->leaves, g_free);
}

/* The type a NULL of @type is sent as: untyped for strings and others. */
static Oid
null_type (const GVariantType *type)
{
  if (g_variant_type_equal (type, G_VARIANT_TYPE_BOOLEAN))
    return OID_BOOL;
  if (g_variant_type_equal (type, G_VARIANT_TYPE_DOUBLE))
    return OID_FLOAT8;
  if (g_variant_type_equal (type, G_VARIANT_TYPE_BYTESTRING))
    return OID_BYTEA;
  if (g_variant_type_is_basic (type) && strchr ("ynqiuxt", *g_variant_type_peek_string (type)) != NULL)
    return OID_INT8;
  return 0;
}

static gboolean
convert_param (Params                  *params,
               guint                    i,
               GVariant                *value,
               const BkDatabaseTarget  *target,
               GError                 **error)
{
  BkDatabaseParam param;
  char *number = params->numbers[i];

  params->leaves[i] = _bk_database_param_read (value, i + 1, target->plugin_id, &param, error);
  if (params->leaves[i] == NULL)
    return FALSE;
  switch (param.kind)
    {
    case BK_DATABASE_PARAM_NULL:
      params->types[i] = null_type (param.null_type);
      break;
    case BK_DATABASE_PARAM_BOOLEAN:
      params->types[i] = OID_BOOL;
      params->values[i] = param.integer ? "t" : "f";
      break;
    case BK_DATABASE_PARAM_INTEGER:
      params->types[i] = OID_INT8;
      g_snprintf (number, sizeof (NumberText), "%" G_GINT64_FORMAT, param.integer);
      params->values[i] = number;
      break;
    case BK_DATABASE_PARAM_DOUBLE:
      params->types[i] = OID_FLOAT8;
      if (isnan (param.number))
        params->values[i] = "NaN";
      else if (isinf (param.number))
        params->values[i] = param.number > 0 ? "Infinity" : "-Infinity";
      else
        params->values[i] = g_ascii_dtostr (number, sizeof (NumberText), param.number);
      break;
    case BK_DATABASE_PARAM_TEXT:
      params->values[i] = param.text;   /* untyped: the column's type */
      break;
    case BK_DATABASE_PARAM_BYTES:
      if (param.size > G_MAXINT)
        {
          _bk_database_set_error (error, BK_DATABASE_ERROR_PARAMETER, target->plugin_id, NULL,
                                  "Parameter $%u is larger than 2 GiB", i + 1);
          return FALSE;
        }
      params->types[i] = OID_BYTEA;
      params->values[i] = param.size > 0 ? param.data : "";
      params->lengths[i] = (int) param.size;
      params->formats[i] = 1;
      break;
    default:
      g_return_val_if_reached (FALSE);
    }
  return TRUE;
}

/* The highest `$n` in @sql outside string literals, quoted identifiers,
 * comments and dollar-quoted strings: the number of parameters the server
 * will expect. (The server accepts more parameters than a statement uses,
 * so the count is checked here.) */
static guint
count_placeholders (const char *sql)
{
  guint highest = 0;
  const char *p = sql;

  while (*p != '\0')
    {
      if (*p == '\'' || *p == '"')
        {
          char quote = *p;
          gboolean backslashes = quote == '\'' && p > sql && (p[-1] == 'E' || p[-1] == 'e');

          for (p++; *p != '\0'; p++)
            if (backslashes && *p == '\\' && p[1] != '\0')
              p++;
            else if (*p == quote && p[1] == quote)
              p++;
            else if (*p == quote)
              break;
          if (*p != '\0')
            p++;
        }
      else if (p[0] == '-' && p[1] == '-')
        p += strcspn (p, "\n");
      else if (p[0] == '/' && p[1] == '*')
        {
          guint depth = 1;

          for (p += 2; *p != '\0' && depth > 0; p++)
            if (p[0] == '/' && p[1] == '*')
              depth++, p++;
            else if (p[0] == '*' && p[1] == '/')
              depth--, p++;
        }
      else if (*p == '$' && (p == sql || !(g_ascii_isalnum (p[-1]) || p[-1] == '_' || p[-1] == '$')))
        {
          const char *tag_end = p + 1;

          if (g_ascii_isdigit (p[1]))
            {
              guint64 n = g_ascii_strtoull (p + 1, (char **) &p, 10);

              highest = MAX (highest, (guint) MIN (n, G_MAXUINT));
              continue;
            }
          while (g_ascii_isalnum (*tag_end) || *tag_end == '_')
            tag_end++;
          if (*tag_end == '$')
            {
              g_autofree char *tag = g_strndup (p, tag_end - p + 1);
              const char *close = strstr (tag_end + 1, tag);

              p = close != NULL ? close + strlen (tag) : p + strlen (p);
            }
          else
            p = tag_end;
        }
      else
        p++;
    }
  return highest;
}

static gboolean
convert_params (Params                  *params,
                const char              *sql,
                GVariant                *tuple,
                const BkDatabaseTarget  *target,
                GError                 **error)
{
  guint wanted = count_placeholders (sql);
  guint given = g_variant_n_children (tuple);

  if (given != wanted)
    {
      _bk_database_set_error (error, BK_DATABASE_ERROR_PARAMETER, target->plugin_id, NULL,
                              "The statement takes %u parameters but %u were given", wanted, given);
      return FALSE;
    }
  params->n = given;
  params->types = g_new0 (Oid, params->n + 1);
  params->values = g_new0 (const char *, params->n + 1);
  params->lengths = g_new0 (int, params->n + 1);
  params->formats = g_new0 (int, params->n + 1);
  params->numbers = g_new (NumberText, params->n + 1);
  params->leaves = g_new0 (GVariant *, params->n + 1);
  for (guint i = 0; i < params->n; i++)
    {
      g_autoptr(GVariant) value = g_variant_get_child_value (tuple, i);

      if (!convert_param (params, i, value, target, error))
        return FALSE;
    }
  return TRUE;
}

/* Results ------------------------------------------------------------------------------------- */

static GVariant *
column_value (const PGresult *result,
              int             row,
              int             column)
{
  const char *text = PQgetvalue (result, row, column);

  if (PQgetisnull (result, row, column))
    return NULL;

  switch (PQftype (result, column))
    {
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID:
      return g_variant_new_int64 (g_ascii_strtoll (text, NULL, 10));
    case OID_FLOAT4:
    case OID_FLOAT8:
      return g_variant_new_double (g_ascii_strtod (text, NULL));
    case OID_BOOL:
      return g_variant_new_boolean (text[0] == 't');
    case OID_BYTEA:
      {
        size_t size = 0;
        unsigned char *data = PQunescapeBytea ((const unsigned char *) text, &size);
        GVariant *bytes = g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, size, 1);

        PQfreemem (data);
        return bytes;
      }
    default:
      return g_variant_new_string (text);
    }
}

static BkDatabaseResult *
convert_result (const PGresult *pg)
{
  int n_columns = PQnfields (pg);
  int n_rows = PQntuples (pg);
  g_autofree const char **names = g_new0 (const char *, n_columns + 1);
  g_autofree GVariant **values = g_new0 (GVariant *, n_columns + 1);
  BkDatabaseResult *result;
  const char *status = PQcmdStatus ((PGresult *) pg);
  const char *changes = PQcmdTuples ((PGresult *) pg);

  for (int i = 0; i < n_columns; i++)
    names[i] = PQfname (pg, i);
  result = _bk_database_result_new (n_columns, names);
  for (int row = 0; row < n_rows; row++)
    {
      for (int i = 0; i < n_columns; i++)
        values[i] = column_value (pg, row, i);
      _bk_database_result_append_row (result, values);
    }

  if (*changes != '\0'
      && (g_str_has_prefix (status, "INSERT ") || g_str_has_prefix (status, "UPDATE ")
          || g_str_has_prefix (status, "DELETE ") || g_str_has_prefix (status, "MERGE ")))
    _bk_database_result_set_changes (result, g_ascii_strtoull (changes, NULL, 10));
  return result;
}

/* Queries ------------------------------------------------------------------------------------- */

/* Waits until a result is ready without blocking in libpq, sending a
 * cancel request when @cancellable fires. The server ignores a cancel
 * request that reaches it before it starts executing the statement (it is
 * still reading it), so while the statement runs on, the request is sent
 * again every CANCEL_RETRY_MS. FALSE when the connection failed. */
#define CANCEL_RETRY_MS 100

static gboolean
wait_for_result (BkDatabaseRawConnection *self,
                 GCancellable            *cancellable)
{
  GPollFD fds[2] = { { PQsocket (self->conn), G_IO_IN, 0 }, { -1, G_IO_IN, 0 } };
  gboolean has_cancellable = cancellable != NULL && g_cancellable_make_pollfd (cancellable, &fds[1]);
  gboolean cancelled = FALSE;
  gboolean ok = TRUE;

  while (PQisBusy (self->conn))
    {
      int n;

      if (PQstatus (self->conn) == CONNECTION_BAD || PQsocket (self->conn) < 0)
        {
          ok = FALSE;
          break;
        }
      n = g_poll (fds, has_cancellable && !cancelled ? 2 : 1, cancelled ? CANCEL_RETRY_MS : -1);

      if (n < 0 && errno != EINTR)
        {
          ok = FALSE;
          break;
        }
      if (g_cancellable_is_cancelled (cancellable) && (!cancelled || n == 0))
        {
          char message[256];

          g_mutex_lock (&self->cancel_lock);
          PQcancel (self->cancel, message, sizeof message);
          g_mutex_unlock (&self->cancel_lock);
          cancelled = TRUE;
        }
      if (n > 0 && fds[0].revents != 0 && !PQconsumeInput (self->conn))
        {
          ok = FALSE;
          break;
        }
    }
  if (has_cancellable)
    g_cancellable_release_fd (cancellable);
  return ok;
}

/* COPY has no place in this API: ends it so that the connection goes on. */
static void
refuse_copy (BkDatabaseRawConnection *self,
             ExecStatusType           status)
{
  char *buffer = NULL;

  if (status == PGRES_COPY_IN)
    PQputCopyEnd (self->conn, "COPY FROM STDIN is not supported");
  else
    while (PQgetCopyData (self->conn, &buffer, FALSE) > 0)
      g_clear_pointer (&buffer, PQfreemem);
}

static BkDatabaseResult *
pg_query (BkDatabaseRawConnection  *self,
          const BkDatabaseTarget   *target,
          const char               *sql,
          GVariant                 *params,
          GCancellable             *cancellable,
          GError                  **error)
{
  g_autoptr(GError) local_error = NULL;
  Params converted = { 0 };
  PGresult *last = NULL;
  BkDatabaseResult *result = NULL;
  gboolean idle;
  gboolean sent;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (g_atomic_int_get (&self->interrupted))
    {
      _bk_database_set_error (error, BK_DATABASE_ERROR_CLOSED, target->plugin_id, NULL,
                              "The connection was interrupted at shutdown");
      return NULL;
    }

  idle = self->conn != NULL && PQtransactionStatus (self->conn) == PQTRANS_IDLE;
  if (params != NULL && !convert_params (&converted, sql, params, target, error))
    {
      params_clear (&converted);
      return NULL;
    }
  /* A session lost while idle is replaced; so is one whose first send
   * fails, since nothing reached the server. */
  for (guint attempt = 0; ; attempt++)
    {
      if (!ensure_session (self, target, idle, attempt > 0, error))
        {
          params_clear (&converted);
          return NULL;
        }
      if (params != NULL)
        sent = PQsendQueryParams (self->conn, sql, (int) converted.n, converted.types,
                                  converted.values, converted.lengths,
                                  converted.formats, 0);
      else
        sent = PQsendQuery (self->conn, sql);
      if (sent || attempt > 0 || PQstatus (self->conn) == CONNECTION_OK)
        break;
    }
  params_clear (&converted);
  if (!sent)
    {
      set_result_error (self, target, NULL, cancellable, error);
      return NULL;
    }

  /* Several statements give several results: the last one counts, or the
   * first error (the server stops there). */
  for (;;)
    {
      PGresult *next;
      ExecStatusType status;

      if (!wait_for_result (self, cancellable))
        {
          if (local_error == NULL)
            set_result_error (self, target, NULL, cancellable, &local_error);
          break;
        }
      if ((next = PQgetResult (self->conn)) == NULL)
        break;
      status = PQresultStatus (next);
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY)
        {
          PQclear (last);
          last = next;
          continue;
        }
      if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT)
        {
          refuse_copy (self, status);
          if (local_error == NULL)
            _bk_database_set_error (&local_error, BK_DATABASE_ERROR_FAILED, target->plugin_id, NULL,
                                    "COPY is not supported");
        }
      else if (local_error == NULL)
        set_result_error (self, target, next, cancellable, &local_error);
      PQclear (next);
    }

  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  else if (last != NULL)
    result = convert_result (last);
  else
    result = _bk_database_result_new (0, NULL);
  PQclear (last);
  return result;
}

static gboolean
pg_parse_conninfo (const char  *text,
                   GHashTable  *options,
                   char       **message)
{
  char *libpq_message = NULL;
  PQconninfoOption *parsed = PQconninfoParse (text, &libpq_message);

  if (parsed == NULL)
    {
      *message = g_strdup (libpq_message != NULL ? g_strstrip (libpq_message) : "out of memory");
      PQfreemem (libpq_message);
      return FALSE;
    }
  for (PQconninfoOption *o = parsed; o->keyword != NULL; o++)
    if (o->val != NULL)
      g_hash_table_insert (options, g_strdup (o->keyword), g_strdup (o->val));
  PQconninfoFree (parsed);
  return TRUE;
}

/* Looked up by name when the module is loaded (bk-database.c). */
G_MODULE_EXPORT const BkDatabaseEngineVTable _bk_database_postgresql_engine;

const BkDatabaseEngineVTable _bk_database_postgresql_engine = {
  .engine = BK_DATABASE_ENGINE_POSTGRESQL,
  .open = pg_open,
  .close = pg_close,
  .query = pg_query,
  .ensure_exists = pg_ensure_exists,
  .is_alive = pg_is_alive,
  .interrupt = pg_interrupt,
  .parse_conninfo = pg_parse_conninfo,
  /* READ COMMITTED, PostgreSQL's default: each statement sees what other
   * transactions committed before it, which migrations rely on after
   * taking the advisory lock. A body that wants more runs
   * `SET TRANSACTION ISOLATION LEVEL SERIALIZABLE` first; its
   * serialization failures are retried. */
  .begin_sql = "BEGIN",
  /* A fixed key of libbackend's own: "bk_migr8" in ASCII. */
  .migration_lock_sql = "SELECT pg_advisory_xact_lock(7091866961749439032)",
};
