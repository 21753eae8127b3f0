/* bk-database-private.h: what the database service and its engines share.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The service (bk-database.c) owns the pool, the worker threads, the
 * transactions, the retries and the migrations; it talks to an engine only
 * through BkDatabaseEngineVTable. An engine (bk-database-sqlite.c,
 * bk-database-postgresql.c) opens and closes raw connections and runs one
 * statement on one; it knows nothing of plugins' pools. Every engine call
 * happens on one thread at a time per connection (a worker thread); only
 * interrupt() may be called from another thread, while query() runs.
 */

#pragma once

#include "libbackend.h"

G_BEGIN_DECLS

/* Where one plugin's database lives, resolved from config by the service. */
typedef struct
{
  BkDatabaseEngine  engine;
  char             *plugin_id;
  /* SQLite: a file path, or NULL for a private in-memory database, and
   * how long a statement waits for another connection's lock before
   * failing with BK_DATABASE_ERROR_BUSY (`busyTimeout`, default 5 s). */
  char             *sqlite_path;
  guint64           sqlite_busy_timeout_ms;
  /* PostgreSQL: a libpq conninfo (keyword form) for the plugin's own
   * database, and, in schema division mode, the schema to create and put
   * first on the search_path (NULL in database mode). */
  char             *pg_conninfo;
  char             *pg_schema;
  /* PostgreSQL, database division mode: the database to create when
   * missing (ensureExists), through a connection to an existing one. */
  char             *pg_database;
  char             *pg_admin_conninfo;
  gboolean          ensure_exists;
  /* Per statement; 0 = none. */
  guint64           statement_timeout_ms;
} BkDatabaseTarget;

void              _bk_database_target_clear (BkDatabaseTarget *target);

typedef struct _BkDatabaseRawConnection BkDatabaseRawConnection;  /* engine's own */

typedef struct
{
  BkDatabaseEngine engine;

  /* Opens a connection (for SQLite: sets WAL for files, foreign keys on,
   * a busy timeout; for PostgreSQL: keepalives, the schema when asked).
   * Errors: BK_DATABASE_ERROR_CONNECTION naming the plugin. */
  BkDatabaseRawConnection *(*open)      (const BkDatabaseTarget  *target,
                                         GError                 **error);
  void                     (*close)     (BkDatabaseRawConnection *connection);

  /* Runs @sql with @params (NULL or a tuple GVariant; placeholders `$1`,
   * `$2`… on both engines). Rows come back as a BkDatabaseResult made with
   * _bk_database_result_new() / _append_row(). Cancellable and statement
   * timeout honoured. Errors mapped to BkDatabaseError codes, with the
   * engine code attached (_bk_database_set_error()). @sql may hold several
   * statements only when @params is NULL (migrations). */
  BkDatabaseResult        *(*query)     (BkDatabaseRawConnection *connection,
                                         const BkDatabaseTarget  *target,
                                         const char              *sql,
                                         GVariant                *params,
                                         GCancellable            *cancellable,
                                         GError                 **error);

  /* Once per plugin before the first open(): creates the plugin's
   * database (PostgreSQL database mode with ensure_exists), tolerating a
   * concurrent creation by another instance. May be NULL. */
  gboolean                 (*ensure_exists) (const BkDatabaseTarget *target,
                                             GError                **error);

  /* PostgreSQL only: parses a libpq connection string (keywords or a URL)
   * into @options (keyword → value, both owned by the table); FALSE with
   * @message (transfer full, nullable) when it is not one. */
  gboolean                 (*parse_conninfo) (const char   *text,
                                              GHashTable   *options,
                                              char        **message);

  /* Whether the connection is still usable (after an error). */
  gboolean                 (*is_alive)  (BkDatabaseRawConnection *connection);

  /* Called from another thread to stop a running query (shutdown). */
  void                     (*interrupt) (BkDatabaseRawConnection *connection);

  /* SQL fragments that differ. */
  const char *begin_sql;            /* "BEGIN IMMEDIATE" / "BEGIN" */
  /* Serialises migrations between instances inside the transaction
   * (PostgreSQL: pg_advisory_xact_lock; SQLite: NULL, BEGIN IMMEDIATE
   * already holds the write lock). */
  const char *migration_lock_sql;
} BkDatabaseEngineVTable;

extern const BkDatabaseEngineVTable _bk_database_sqlite_engine;

/* The PostgreSQL engine lives in a module of its own (libpq and what it
 * links, OpenSSL, Kerberos and LDAP among them, cost every process about
 * 4 MB and 4 ms at startup), loaded the first time a plugin's database is
 * on PostgreSQL. The module defines this symbol. */
#define BK_DATABASE_POSTGRESQL_ENGINE_SYMBOL "_bk_database_postgresql_engine"

const BkDatabaseEngineVTable *_bk_database_get_postgresql_engine (GError **error);

/* Results, built by the engines. Values are GVariants: int64 ("x"),
 * double ("d"), boolean ("b"), string ("s"), bytes ("ay"); NULL for SQL
 * NULL. */
BK_AVAILABLE_IN_ALL
BkDatabaseResult *_bk_database_result_new        (guint              n_columns,
                                                  const char * const *column_names);
BK_AVAILABLE_IN_ALL
void              _bk_database_result_append_row (BkDatabaseResult  *self,
                                                  GVariant         **values);  /* n_columns, floating or full refs taken */
BK_AVAILABLE_IN_ALL
void              _bk_database_result_set_changes (BkDatabaseResult *self,
                                                   guint64           changes);

/* Sets a BK_DATABASE_ERROR with the engine's code attached:
 * `<message> (plugin '<id>', <engine code>)`. */
BK_AVAILABLE_IN_ALL
void              _bk_database_set_error         (GError          **error,
                                                  BkDatabaseError   code,
                                                  const char       *plugin_id,
                                                  const char       *engine_code,
                                                  const char       *format,
                                                  ...) G_GNUC_PRINTF (5, 6);

/* A query parameter as _bk_database_param_read() reads it. */
typedef enum
{
  BK_DATABASE_PARAM_NULL,      /* null_type: the Nothing's element type */
  BK_DATABASE_PARAM_BOOLEAN,   /* integer: 0 or 1 */
  BK_DATABASE_PARAM_INTEGER,   /* integer */
  BK_DATABASE_PARAM_DOUBLE,    /* number */
  BK_DATABASE_PARAM_TEXT,      /* text */
  BK_DATABASE_PARAM_BYTES,     /* data, size */
} BkDatabaseParamKind;

typedef struct
{
  BkDatabaseParamKind  kind;
  const GVariantType  *null_type;
  gint64               integer;
  double               number;
  const char          *text;
  gconstpointer        data;
  gsize                size;
} BkDatabaseParam;

BK_AVAILABLE_IN_ALL
GVariant         *_bk_database_param_read        (GVariant         *value,
                                                  guint             n,
                                                  const char       *plugin_id,
                                                  BkDatabaseParam  *param,
                                                  GError          **error);

/* Connections handed to transaction bodies wrap a raw one. */
BkDatabaseConnection *_bk_database_connection_new (const BkDatabaseEngineVTable *vtable,
                                                   const BkDatabaseTarget       *target,
                                                   BkDatabaseRawConnection      *raw);
void                  _bk_database_connection_invalidate (BkDatabaseConnection *self);

/* The default factory is declared in bk-services-private.h. */

G_END_DECLS
