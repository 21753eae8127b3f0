/* bk-database.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "bk-types.h"

G_BEGIN_DECLS

/**
 * BkDatabaseEngine:
 * @BK_DATABASE_ENGINE_SQLITE: SQLite (the embedded default)
 * @BK_DATABASE_ENGINE_POSTGRESQL: PostgreSQL, through libpq
 *
 * The engine behind a [iface@Bk.Database].
 *
 * Since: 0.1
 */
typedef enum
{
  BK_DATABASE_ENGINE_SQLITE,
  BK_DATABASE_ENGINE_POSTGRESQL,
} BkDatabaseEngine;

/**
 * BK_DATABASE_ERROR:
 *
 * The error domain of [iface@Bk.Database]. Errors of this domain carry
 * the engine's own code (a SQLSTATE, or a SQLite result code name), which
 * [func@Bk.database_error_get_engine_code] returns.
 *
 * Since: 0.1
 */
#define BK_DATABASE_ERROR (bk_database_error_quark ())

/**
 * BkDatabaseError:
 * @BK_DATABASE_ERROR_FAILED: any other engine error (syntax, missing table…)
 * @BK_DATABASE_ERROR_CONNECTION: the database cannot be reached, or the
 *   connection was lost; a later call opens a new connection
 * @BK_DATABASE_ERROR_UNIQUE_VIOLATION: a unique or primary key constraint
 *   was violated
 * @BK_DATABASE_ERROR_CONSTRAINT: another constraint (foreign key, not null,
 *   check) was violated
 * @BK_DATABASE_ERROR_BUSY: the database or a row is locked by someone else
 *   (retried by [method@Bk.Database.run_in_transaction_async])
 * @BK_DATABASE_ERROR_SERIALIZATION: a serialization failure or deadlock
 *   (retried by [method@Bk.Database.run_in_transaction_async])
 * @BK_DATABASE_ERROR_TIMEOUT: the statement ran longer than
 *   `backend.database.statementTimeout`
 * @BK_DATABASE_ERROR_PARAMETER: a parameter has a type the engines cannot
 *   bind, or the number of parameters does not match the statement
 * @BK_DATABASE_ERROR_MIGRATION: a migration is invalid, or failed
 * @BK_DATABASE_ERROR_CLOSED: the service was shut down
 *
 * Error codes of %BK_DATABASE_ERROR. Cancellation is reported as
 * %G_IO_ERROR_CANCELLED.
 *
 * Since: 0.1
 */
typedef enum
{
  BK_DATABASE_ERROR_FAILED,
  BK_DATABASE_ERROR_CONNECTION,
  BK_DATABASE_ERROR_UNIQUE_VIOLATION,
  BK_DATABASE_ERROR_CONSTRAINT,
  BK_DATABASE_ERROR_BUSY,
  BK_DATABASE_ERROR_SERIALIZATION,
  BK_DATABASE_ERROR_TIMEOUT,
  BK_DATABASE_ERROR_PARAMETER,
  BK_DATABASE_ERROR_MIGRATION,
  BK_DATABASE_ERROR_CLOSED,
} BkDatabaseError;

BK_AVAILABLE_IN_ALL
GQuark      bk_database_error_quark               (void);
BK_AVAILABLE_IN_ALL
const char *bk_database_error_get_engine_code     (const GError *error);
BK_AVAILABLE_IN_ALL
gboolean    bk_database_error_is_unique_violation (const GError *error);

/* Results ------------------------------------------------------------------ */

#define BK_TYPE_DATABASE_RESULT (bk_database_result_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkDatabaseResult, bk_database_result, BK, DATABASE_RESULT, GObject)

BK_AVAILABLE_IN_ALL
guint       bk_database_result_get_n_rows       (BkDatabaseResult *self);
BK_AVAILABLE_IN_ALL
guint       bk_database_result_get_n_columns    (BkDatabaseResult *self);
BK_AVAILABLE_IN_ALL
const char *bk_database_result_get_column_name  (BkDatabaseResult *self,
                                                 guint             column);
BK_AVAILABLE_IN_ALL
int         bk_database_result_get_column_index (BkDatabaseResult *self,
                                                 const char       *name);
BK_AVAILABLE_IN_ALL
guint64     bk_database_result_get_changes      (BkDatabaseResult *self);
BK_AVAILABLE_IN_ALL
GVariant   *bk_database_result_get_value        (BkDatabaseResult *self,
                                                 guint             row,
                                                 const char       *column);
BK_AVAILABLE_IN_ALL
gboolean    bk_database_result_is_null          (BkDatabaseResult *self,
                                                 guint             row,
                                                 const char       *column);
BK_AVAILABLE_IN_ALL
const char *bk_database_result_get_string       (BkDatabaseResult *self,
                                                 guint             row,
                                                 const char       *column);
BK_AVAILABLE_IN_ALL
gint64      bk_database_result_get_int64        (BkDatabaseResult *self,
                                                 guint             row,
                                                 const char       *column);
BK_AVAILABLE_IN_ALL
double      bk_database_result_get_double       (BkDatabaseResult *self,
                                                 guint             row,
                                                 const char       *column);
BK_AVAILABLE_IN_ALL
gboolean    bk_database_result_get_boolean      (BkDatabaseResult *self,
                                                 guint             row,
                                                 const char       *column);
BK_AVAILABLE_IN_ALL
JsonNode   *bk_database_result_row_to_json      (BkDatabaseResult *self,
                                                 guint             row);
BK_AVAILABLE_IN_ALL
JsonNode   *bk_database_result_to_json          (BkDatabaseResult *self);

/* Connections (inside a transaction, on a worker thread) -------------------- */

#define BK_TYPE_DATABASE_CONNECTION (bk_database_connection_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkDatabaseConnection, bk_database_connection, BK, DATABASE_CONNECTION, GObject)

BK_AVAILABLE_IN_ALL
BkDatabaseEngine  bk_database_connection_get_engine (BkDatabaseConnection  *self);
BK_AVAILABLE_IN_ALL
BkDatabaseResult *bk_database_connection_query      (BkDatabaseConnection  *self,
                                                     const char            *sql,
                                                     GVariant              *params,
                                                     GCancellable          *cancellable,
                                                     GError               **error);

/**
 * BkDatabaseTransactionFunc:
 * @connection: the connection the transaction runs on
 * @user_data: the data given with the function
 * @cancellable: (nullable): cancelled with the call, and at shutdown
 * @error: return location for a #GError
 *
 * The body of a transaction. It runs on a worker thread, never on the
 * main context, and may run more than once: when it fails with
 * %BK_DATABASE_ERROR_BUSY or %BK_DATABASE_ERROR_SERIALIZATION the
 * transaction is rolled back and the body runs again.
 *
 * Returns: %TRUE to commit, %FALSE with @error set to roll back
 *
 * Since: 0.1
 */
typedef gboolean (*BkDatabaseTransactionFunc) (BkDatabaseConnection  *connection,
                                               gpointer               user_data,
                                               GCancellable          *cancellable,
                                               GError               **error);

/* Migrations ------------------------------------------------------------------ */

/**
 * BkDatabaseMigration:
 * @name: the migration's name, unique within the plugin, such as
 *   `0001_create_todos`; migrations are applied in the order given
 * @sql: (nullable): SQL for every engine (several statements allowed)
 * @sqlite_sql: (nullable): SQL for SQLite, used instead of @sql there
 * @postgresql_sql: (nullable): SQL for PostgreSQL, used instead of @sql
 *   there
 *
 * One migration of a plugin's database.
 *
 * Since: 0.1
 */
typedef struct
{
  const char *name;
  const char *sql;
  const char *sqlite_sql;
  const char *postgresql_sql;
} BkDatabaseMigration;

/* The service ------------------------------------------------------------------ */

#define BK_TYPE_DATABASE (bk_database_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (BkDatabase, bk_database, BK, DATABASE, GObject)

/**
 * BkDatabaseInterface:
 * @parent_iface: the parent interface
 * @get_engine: returns the engine
 * @query_async: runs one statement on a pooled connection
 * @query_finish: finishes @query_async
 * @run_in_transaction_async: runs a function inside a transaction
 * @run_in_transaction_finish: finishes @run_in_transaction_async
 * @migrate_async: applies migrations not applied yet
 * @migrate_finish: finishes @migrate_async
 *
 * The `core.database` service: the plugin's own database.
 *
 * Since: 0.1
 */
struct _BkDatabaseInterface
{
  GTypeInterface parent_iface;

  BkDatabaseEngine   (*get_engine)                (BkDatabase                 *self);
  void               (*query_async)               (BkDatabase                 *self,
                                                   const char                 *sql,
                                                   GVariant                   *params,
                                                   GCancellable               *cancellable,
                                                   GAsyncReadyCallback         callback,
                                                   gpointer                    user_data);
  BkDatabaseResult  *(*query_finish)              (BkDatabase                 *self,
                                                   GAsyncResult               *result,
                                                   GError                    **error);
  void               (*run_in_transaction_async)  (BkDatabase                 *self,
                                                   BkDatabaseTransactionFunc   func,
                                                   gpointer                    func_data,
                                                   GDestroyNotify              func_data_destroy,
                                                   GCancellable               *cancellable,
                                                   GAsyncReadyCallback         callback,
                                                   gpointer                    user_data);
  gboolean           (*run_in_transaction_finish) (BkDatabase                 *self,
                                                   GAsyncResult               *result,
                                                   GError                    **error);
  void               (*migrate_async)             (BkDatabase                 *self,
                                                   const BkDatabaseMigration  *migrations,
                                                   gsize                       n_migrations,
                                                   GCancellable               *cancellable,
                                                   GAsyncReadyCallback         callback,
                                                   gpointer                    user_data);
  gboolean           (*migrate_finish)            (BkDatabase                 *self,
                                                   GAsyncResult               *result,
                                                   GError                    **error);
};

BK_AVAILABLE_IN_ALL
BkDatabaseEngine  bk_database_get_engine                (BkDatabase                 *self);
BK_AVAILABLE_IN_ALL
void              bk_database_query_async               (BkDatabase                 *self,
                                                         const char                 *sql,
                                                         GVariant                   *params,
                                                         GCancellable               *cancellable,
                                                         GAsyncReadyCallback         callback,
                                                         gpointer                    user_data);
BK_AVAILABLE_IN_ALL
BkDatabaseResult *bk_database_query_finish              (BkDatabase                 *self,
                                                         GAsyncResult               *result,
                                                         GError                    **error);
BK_AVAILABLE_IN_ALL
void              bk_database_run_in_transaction_async  (BkDatabase                 *self,
                                                         BkDatabaseTransactionFunc   func,
                                                         gpointer                    func_data,
                                                         GDestroyNotify              func_data_destroy,
                                                         GCancellable               *cancellable,
                                                         GAsyncReadyCallback         callback,
                                                         gpointer                    user_data);
BK_AVAILABLE_IN_ALL
gboolean          bk_database_run_in_transaction_finish (BkDatabase                 *self,
                                                         GAsyncResult               *result,
                                                         GError                    **error);
BK_AVAILABLE_IN_ALL
void              bk_database_migrate_async             (BkDatabase                 *self,
                                                         const BkDatabaseMigration  *migrations,
                                                         gsize                       n_migrations,
                                                         GCancellable               *cancellable,
                                                         GAsyncReadyCallback         callback,
                                                         gpointer                    user_data);
BK_AVAILABLE_IN_ALL
gboolean          bk_database_migrate_finish            (BkDatabase                 *self,
                                                         GAsyncResult               *result,
                                                         GError                    **error);
BK_AVAILABLE_IN_ALL
void              bk_database_migrate_resource_async    (BkDatabase                 *self,
                                                         const char                 *resource_path,
                                                         GCancellable               *cancellable,
                                                         GAsyncReadyCallback         callback,
                                                         gpointer                    user_data);
BK_AVAILABLE_IN_ALL
gboolean          bk_database_migrate_resource_finish   (BkDatabase                 *self,
                                                         GAsyncResult               *result,
                                                         GError                    **error);

/* Sync wrappers: they block the calling thread. For tests and tools, not for
 * handlers on the main context. */
BK_AVAILABLE_IN_ALL
BkDatabaseResult *bk_database_query_sync                (BkDatabase                 *self,
                                                         const char                 *sql,
                                                         GVariant                   *params,
                                                         GCancellable               *cancellable,
                                                         GError                    **error);
BK_AVAILABLE_IN_ALL
gboolean          bk_database_run_in_transaction_sync   (BkDatabase                 *self,
                                                         BkDatabaseTransactionFunc   func,
                                                         gpointer                    func_data,
                                                         GCancellable               *cancellable,
                                                         GError                    **error);
BK_AVAILABLE_IN_ALL
gboolean          bk_database_migrate_sync              (BkDatabase                 *self,
                                                         const BkDatabaseMigration  *migrations,
                                                         gsize                       n_migrations,
                                                         GCancellable               *cancellable,
                                                         GError                    **error);

G_END_DECLS
