/* todo-plugin.c: the `todo` plugin
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A REST API under /api/todo over the plugin's own database (core.database):
 *
 *   GET    /todos?limit=&offset=&q=   200 {"items":[…],"total":N}
 *   POST   /todos                     201 the todo, Location: /api/todo/todos/<id>
 *   GET    /todos/:id                 200 the todo
 *   PATCH  /todos/:id                 200 the updated todo (a partial update)
 *   DELETE /todos/:id                 204
 *
 * A todo is {"id":"1","title":"Buy milk","done":false}. The plugin's async
 * init adds the routes and applies its migrations; requests that arrive
 * before it has finished wait at the router's startup gate. Handlers only
 * use the async database calls. Modules add title rules through
 * `todo.validators` and change listeners through `todo.listeners`.
 *
 * List responses are kept in the plugin's cache (core.cache) for
 * TODO_LIST_CACHE_TTL_MS, keyed by their query, and answered with
 * `X-Cache: hit` or `miss`; a successful create, update or delete clears
 * them before it answers, so a client always reads its own writes.
 */

#include "todo-plugin.h"

#define TODO_LIST_DEFAULT_LIMIT 20
#define TODO_LIST_MAX_LIMIT     100
#define TODO_LIST_CACHE_TTL_MS  5000

/* ------------------------------------------------------------------------ *
 * The extension points
 * ------------------------------------------------------------------------ */

typedef struct
{
  char           *name;   /* (nullable) for listeners */
  GCallback       func;
  gpointer        user_data;
  GDestroyNotify  destroy;
} TodoHook;

static void
todo_hook_free (TodoHook *hook)
{
  if (hook->destroy != NULL)
    hook->destroy (hook->user_data);
  g_free (hook->name);
  g_free (hook);
}

static TodoHook *
todo_hook_new (const char     *name,
               GCallback       func,
               gpointer        user_data,
               GDestroyNotify  destroy)
{
  TodoHook *hook = g_new0 (TodoHook, 1);

  hook->name = g_strdup (name);
  hook->func = func;
  hook->user_data = user_data;
  hook->destroy = destroy;
  return hook;
}

struct _TodoValidators
{
  GObject    parent_instance;

  GPtrArray *rules;       /* (element-type TodoHook) */
};

G_DEFINE_FINAL_TYPE (TodoValidators, todo_validators, G_TYPE_OBJECT)

static void
todo_validators_finalize (GObject *object)
{
  g_ptr_array_unref (TODO_VALIDATORS (object)->rules);
  G_OBJECT_CLASS (todo_validators_parent_class)->finalize (object);
}

static void
todo_validators_class_init (TodoValidatorsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = todo_validators_finalize;
}

static void
todo_validators_init (TodoValidators *self)
{
  self->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) todo_hook_free);
}

/**
 * todo_validators_add:
 * @self: the `todo.validators` extension point
 * @name: the rule's name, which a refusal names
 * @func: (scope notified): the rule
 * @user_data: (closure): data for @func
 * @destroy: (nullable): frees @user_data when the plugin is finalized
 *
 * Adds a rule that every title must pass, after the plugin's own checks
 * (a non-empty string of at most %TODO_TITLE_MAX_LENGTH characters).
 * Rules run in the order they were added; the first refusal answers.
 *
 * Since: 0.1
 */
void
todo_validators_add (TodoValidators   *self,
                     const char       *name,
                     TodoValidateFunc  func,
                     gpointer          user_data,
                     GDestroyNotify    destroy)
{
  g_return_if_fail (TODO_IS_VALIDATORS (self));
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (func != NULL);

  g_ptr_array_add (self->rules, todo_hook_new (name, G_CALLBACK (func), user_data, destroy));
}

/* Returns: FALSE with a 400 InputError naming the field and the rule */
static gboolean
todo_validators_check (TodoValidators  *self,
                       const char      *title,
                       GError         **error)
{
  for (guint i = 0; i < self->rules->len; i++)
    {
      TodoHook *rule = g_ptr_array_index (self->rules, i);
      g_autoptr(GError) local_error = NULL;

      if (!((TodoValidateFunc) rule->func) (title, rule->user_data, &local_error))
        {
          g_set_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT,
                       "Field 'title' in request body was refused by the rule '%s': %s", rule->name,
                       local_error != NULL ? local_error->message : "no reason given");
          return FALSE;
        }
    }
  return TRUE;
}

struct _TodoListeners
{
  GObject    parent_instance;

  GPtrArray *listeners;   /* (element-type TodoHook) */
};

G_DEFINE_FINAL_TYPE (TodoListeners, todo_listeners, G_TYPE_OBJECT)

static void
todo_listeners_finalize (GObject *object)
{
  g_ptr_array_unref (TODO_LISTENERS (object)->listeners);
  G_OBJECT_CLASS (todo_listeners_parent_class)->finalize (object);
}

static void
todo_listeners_class_init (TodoListenersClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = todo_listeners_finalize;
}

static void
todo_listeners_init (TodoListeners *self)
{
  self->listeners = g_ptr_array_new_with_free_func ((GDestroyNotify) todo_hook_free);
}

/**
 * todo_listeners_add:
 * @self: the `todo.listeners` extension point
 * @func: (scope notified): the listener
 * @user_data: (closure): data for @func
 * @destroy: (nullable): frees @user_data when the plugin is finalized
 *
 * Adds a listener told about every stored change, in the order added.
 *
 * Since: 0.1
 */
void
todo_listeners_add (TodoListeners  *self,
                    TodoListenFunc  func,
                    gpointer        user_data,
                    GDestroyNotify  destroy)
{
  g_return_if_fail (TODO_IS_LISTENERS (self));
  g_return_if_fail (func != NULL);

  g_ptr_array_add (self->listeners, todo_hook_new (NULL, G_CALLBACK (func), user_data, destroy));
}

static void
todo_listeners_emit (TodoListeners *self,
                     TodoChange     change,
                     JsonObject    *todo)
{
  for (guint i = 0; i < self->listeners->len; i++)
    {
      TodoHook *listener = g_ptr_array_index (self->listeners, i);

      ((TodoListenFunc) listener->func) (change, todo, listener->user_data);
    }
}

/**
 * todo_validators_extension_point:
 *
 * The extension point `todo.validators`: a module that depends on it gets
 * the plugin's [class@Todo.Validators] and adds title rules to it in its
 * init, before the plugin's init runs.
 *
 * Returns: (transfer none): the extension point
 *
 * Since: 0.1
 */
BK_DEFINE_EXTENSION_POINT (todo_validators_extension_point, "todo.validators", TODO_TYPE_VALIDATORS)

/**
 * todo_listeners_extension_point:
 *
 * The extension point `todo.listeners`: a module that depends on it gets
 * the plugin's [class@Todo.Listeners] and adds change listeners to it.
 *
 * Returns: (transfer none): the extension point
 *
 * Since: 0.1
 */
BK_DEFINE_EXTENSION_POINT (todo_listeners_extension_point, "todo.listeners", TODO_TYPE_LISTENERS)

/* ------------------------------------------------------------------------ *
 * The plugin's state, shared by its routes
 * ------------------------------------------------------------------------ */

typedef struct
{
  TodoValidators *validators;
  TodoListeners  *listeners;
  BkDatabase     *database;   /* (nullable) until init */
  BkLogger       *logger;     /* (nullable) until init */
  BkCache        *cache;      /* (nullable) until init */
  guint64         changes;    /* bumped by every change: a list read before one is not cached */
} TodoState;

static void
todo_state_clear (TodoState *state)
{
  g_clear_object (&state->validators);
  g_clear_object (&state->listeners);
  g_clear_object (&state->database);
  g_clear_object (&state->logger);
  g_clear_object (&state->cache);
}

static TodoState *
todo_state_ref (TodoState *state)
{
  return g_rc_box_acquire (state);
}

static void
todo_state_unref (TodoState *state)
{
  g_rc_box_release_full (state, (GDestroyNotify) todo_state_clear);
}

/* The migrations: the table differs only in how ids are generated. */
static const BkDatabaseMigration todo_migrations[] = {
  {
    .name = "0001_create_todos",
    .sqlite_sql = "CREATE TABLE todos ("
                  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
                  "  title TEXT NOT NULL,"
                  "  done BOOLEAN NOT NULL DEFAULT FALSE)",
    .postgresql_sql = "CREATE TABLE todos ("
                      "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
                      "  title TEXT NOT NULL,"
                      "  done BOOLEAN NOT NULL DEFAULT FALSE)",
  },
};

#define TODO_COLUMNS "id, title, done"
/* The ?q= filter, its pattern bound to $1. */
#define TODO_MATCHES " WHERE LOWER(title) LIKE LOWER($1) ESCAPE '\\'"

/* ------------------------------------------------------------------------ *
 * One request: what a handler needs once the database has answered
 * ------------------------------------------------------------------------ */

typedef struct
{
  BkHttpRequest *request;
  TodoState     *state;
  char          *id;          /* (nullable) the :id parameter */
  /* GET /todos */
  char          *pattern;     /* (nullable) LIKE pattern from ?q= */
  gint64         limit;
  gint64         offset;
  gint64         total;
  BkDatabaseResult *page;
  char          *cache_key;   /* (nullable) where the page is cached */
  guint64        changes;     /* state->changes when the list began */
} TodoCall;

static TodoCall *
todo_call_new (BkHttpRequest *request,
               TodoState     *state)
{
  TodoCall *call = g_new0 (TodoCall, 1);

  call->request = g_object_ref (request);
  call->state = todo_state_ref (state);
  return call;
}

static void
todo_call_free (TodoCall *call)
{
  g_object_unref (call->request);
  todo_state_unref (call->state);
  g_free (call->id);
  g_free (call->pattern);
  g_free (call->cache_key);
  g_clear_object (&call->page);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TodoCall, todo_call_free)

static JsonObject *
todo_row_to_json (BkDatabaseResult *rows,
                  guint             row)
{
  JsonObject *todo = json_object_new ();
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, bk_database_result_get_int64 (rows, row, "id"));

  json_object_set_string_member (todo, "id", id);
  json_object_set_string_member (todo, "title", bk_database_result_get_string (rows, row, "title"));
  json_object_set_boolean_member (todo, "done", bk_database_result_get_boolean (rows, row, "done"));
  return todo;
}

static void
respond_object (BkHttpRequest *request,
                guint          status,
                JsonObject    *object)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  bk_http_request_respond_json (request, status, node);
}

static void
respond_not_found (BkHttpRequest *request,
                   const char    *id)
{
  g_autoptr(GError) error = g_error_new (BK_HTTP_ERROR, BK_HTTP_ERROR_NOT_FOUND,
                                         "No todo with id '%s'", id);

  bk_http_request_respond_error (request, error);
}

/* A database error: 503 when the database cannot be reached (PostgreSQL
 * down, or the backend shutting down), else 500. The client gets a short
 * message; the log gets the engine's. */
static void
respond_database_error (TodoCall     *call,
                        const char   *what,
                        const GError *error)
{
  g_autoptr(GError) http_error = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      bk_http_request_respond_error (call->request, error);   /* the client went away */
      return;
    }
  if (g_error_matches (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_CONNECTION) ||
      g_error_matches (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_CLOSED))
    {
      bk_logger_warn (call->state->logger, "Failed to %s, the database is unavailable: %s",
                      what, error->message);
      http_error = g_error_new (BK_HTTP_ERROR, BK_HTTP_ERROR_SERVICE_UNAVAILABLE,
                                "Failed to %s, the database is unavailable", what);
    }
  else
    {
      bk_logger_error (call->state->logger, "Failed to %s: %s", what, error->message);
      http_error = g_error_new (BK_HTTP_ERROR, BK_HTTP_ERROR_INTERNAL,
                                "Failed to %s, database error", what);
    }
  bk_http_request_respond_error (call->request, http_error);
}

/* Returns: the id in @text, or 0 when it is not a positive integer (no
 * todo has such an id: the answer is 404) */
static gint64
parse_id (const char *text)
{
  guint64 id = 0;

  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &id, NULL))
    return 0;
  return (gint64) id;
}

/* ------------------------------------------------------------------------ *
 * Validation of bodies and queries
 * ------------------------------------------------------------------------ */

/* Checks @body for a create (@partial FALSE: `title` required) or an update
 * (@partial TRUE: at least one field). Sets *@title (or NULL when absent)
 * and *@done (-1 when absent, else 0 or 1). */
static gboolean
validate_body (TodoState   *state,
               JsonNode    *body,
               gboolean     partial,
               const char **title,
               int         *done,
               GError     **error)
{
  JsonObject *object;
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  *title = NULL;
  *done = -1;
  if (!JSON_NODE_HOLDS_OBJECT (body))
    {
      g_set_error_literal (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT,
                           "Request body must be a JSON object such as {\"title\":\"Buy milk\"}");
      return FALSE;
    }
  object = json_node_get_object (body);
  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, NULL))
    {
      if (!g_str_equal (name, "title") && !g_str_equal (name, "done"))
        {
          g_set_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT,
                       "Unknown field '%s' in request body, expected 'title' or 'done'", name);
          return FALSE;
        }
    }

  member = json_object_get_member (object, "title");
  if (member == NULL && !partial)
    {
      g_set_error_literal (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT,
                           "Missing required field 'title' in request body");
      return FALSE;
    }
  if (member != NULL)
    {
      const char *text = json_node_get_value_type (member) == G_TYPE_STRING ? json_node_get_string (member) : NULL;
      const char *p = text != NULL ? text : "";

      while (g_ascii_isspace (*p))
        p++;
      if (*p == '\0')
        {
          g_set_error_literal (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT,
                               "Field 'title' in request body must be a non-empty string");
          return FALSE;
        }
      if (g_utf8_strlen (text, -1) > TODO_TITLE_MAX_LENGTH)
        {
          g_set_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT,
                       "Field 'title' in request body must be at most %d characters",
                       TODO_TITLE_MAX_LENGTH);
          return FALSE;
        }
      if (!todo_validators_check (state->validators, text, error))
        return FALSE;
      *title = text;
    }

  member = json_object_get_member (object, "done");
  if (member != NULL)
    {
      if (json_node_get_value_type (member) != G_TYPE_BOOLEAN)
        {
          g_set_error_literal (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT,
                               "Field 'done' in request body must be a boolean");
          return FALSE;
        }
      *done = json_node_get_boolean (member) ? 1 : 0;
    }

  if (*title == NULL && *done < 0)
    {
      g_set_error_literal (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT,
                           "Request body must set at least one of 'title' and 'done'");
      return FALSE;
    }
  return TRUE;
}

/* Reads the query parameter @name as an integer from @min to @max. */
static gboolean
query_integer (BkHttpRequest  *request,
               const char     *name,
               gint64          fallback,
               gint64          min,
               gint64          max,
               gint64         *value,
               GError        **error)
{
  const char *text = bk_http_request_get_query (request, name);

  *value = fallback;
  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_signed (text, 10, min, max, value, NULL))
    {
      g_set_error (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT,
                   "Invalid query parameter '%s', expected an integer from %" G_GINT64_FORMAT
                   " to %" G_GINT64_FORMAT ", got '%s'", name, min, max, text);
      return FALSE;
    }
  return TRUE;
}

/* A LIKE pattern that finds @text anywhere, with LIKE's own characters
 * escaped (the statements say ESCAPE '\'). */
static char *
like_pattern (const char *text)
{
  GString *pattern = g_string_new ("%");

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (pattern, '\\');
      g_string_append_c (pattern, *p);
    }
  g_string_append_c (pattern, '%');
  return g_string_free (pattern, FALSE);
}

/* ------------------------------------------------------------------------ *
 * GET /todos
 * ------------------------------------------------------------------------ */

/* On a worker thread: the total and the page, in one transaction so that
 * they agree. */
static gboolean
list_in_transaction (BkDatabaseConnection  *connection,
                     gpointer               user_data,
                     GCancellable          *cancellable,
                     GError               **error)
{
  TodoCall *call = user_data;
  g_autoptr(BkDatabaseResult) count = NULL;
  const char *page_sql;
  GVariant *params;

  if (call->pattern != NULL)
    count = bk_database_connection_query (connection, "SELECT COUNT(*) AS total FROM todos" TODO_MATCHES,
                                          g_variant_new ("(s)", call->pattern), cancellable, error);
  else
    count = bk_database_connection_query (connection, "SELECT COUNT(*) AS total FROM todos", NULL,
                                          cancellable, error);
  if (count == NULL)
    return FALSE;
  call->total = bk_database_result_get_int64 (count, 0, "total");

  if (call->pattern != NULL)
    {
      page_sql = "SELECT " TODO_COLUMNS " FROM todos" TODO_MATCHES " ORDER BY id LIMIT $2 OFFSET $3";
      params = g_variant_new ("(sxx)", call->pattern, call->limit, call->offset);
    }
  else
    {
      page_sql = "SELECT " TODO_COLUMNS " FROM todos ORDER BY id LIMIT $1 OFFSET $2";
      params = g_variant_new ("(xx)", call->limit, call->offset);
    }
  g_clear_object (&call->page);
  call->page = bk_database_connection_query (connection, page_sql, params, cancellable, error);
  return call->page != NULL;
}

static void
list_stored (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  TodoState *state = user_data;
  g_autoptr(GError) error = NULL;

  if (!bk_cache_set_json_finish (BK_CACHE (source), result, &error))
    bk_logger_warn (state->logger, "Could not cache the todo list: %s", error->message);
  todo_state_unref (state);
}

static void
listed (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(TodoCall) call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = NULL;
  JsonArray *items;

  if (!bk_database_run_in_transaction_finish (BK_DATABASE (source), result, &error))
    {
      respond_database_error (call, "list todos", error);
      return;
    }
  items = json_array_sized_new (bk_database_result_get_n_rows (call->page));
  for (guint i = 0; i < bk_database_result_get_n_rows (call->page); i++)
    json_array_add_object_element (items, todo_row_to_json (call->page, i));
  body = json_object_new ();
  json_object_set_array_member (body, "items", items);
  json_object_set_int_member (body, "total", call->total);
  if (call->changes == call->state->changes)
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (node, body);
      bk_cache_set_json_async (call->state->cache, call->cache_key, node, TODO_LIST_CACHE_TTL_MS,
                               NULL, list_stored, todo_state_ref (call->state));
    }
  bk_http_request_set_response_header (call->request, "X-Cache", "miss");
  respond_object (call->request, 200, body);
}

/* A cached list, or the database on a miss (or when the cache fails). */
static void
list_cached (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(TodoCall) call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) cached = bk_cache_get_json_finish (BK_CACHE (source), result, &error);

  if (error != NULL)
    bk_logger_warn (call->state->logger, "Could not read the cached todo list: %s", error->message);
  if (cached != NULL && JSON_NODE_HOLDS_OBJECT (cached))
    {
      bk_http_request_set_response_header (call->request, "X-Cache", "hit");
      respond_object (call->request, 200, json_node_get_object (cached));
      return;
    }

  bk_database_run_in_transaction_async (call->state->database, list_in_transaction, call, NULL,
                                        bk_http_request_get_cancellable (call->request),
                                        listed, call);
  g_steal_pointer (&call);
}

static void
todo_list (BkHttpRequest *request,
           gpointer       user_data)
{
  TodoState *state = user_data;
  g_autoptr(TodoCall) call = todo_call_new (request, state);
  g_autoptr(GError) error = NULL;
  const char *q = bk_http_request_get_query (request, "q");

  if (!query_integer (request, "limit", TODO_LIST_DEFAULT_LIMIT, 1, TODO_LIST_MAX_LIMIT, &call->limit, &error) ||
      !query_integer (request, "offset", 0, 0, G_MAXINT32, &call->offset, &error))
    {
      bk_http_request_respond_error (request, error);
      return;
    }
  if (q != NULL && *q != '\0')
    call->pattern = like_pattern (q);

  call->cache_key = g_strdup_printf ("list:%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT ":%s",
                                     call->limit, call->offset, q != NULL ? q : "");
  call->changes = state->changes;
  bk_cache_get_json_async (state->cache, call->cache_key, bk_http_request_get_cancellable (request),
                           list_cached, call);
  g_steal_pointer (&call);
}

/* ------------------------------------------------------------------------ *
 * POST /todos, GET, PATCH and DELETE /todos/:id: one statement each
 * ------------------------------------------------------------------------ */

typedef enum
{
  TODO_OP_CREATE,
  TODO_OP_GET,
  TODO_OP_UPDATE,
  TODO_OP_DELETE,
} TodoOp;

static const char *const todo_op_what[] = {
  [TODO_OP_CREATE] = "create the todo",
  [TODO_OP_GET] = "read the todo",
  [TODO_OP_UPDATE] = "update the todo",
  [TODO_OP_DELETE] = "delete the todo",
};

/* A change answered once the cached lists are gone. */
typedef struct
{
  BkHttpRequest *request;
  TodoState     *state;
  guint          status;
  JsonObject    *body;     /* (nullable) */
} TodoChanged;

static void
lists_cleared (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  TodoChanged *changed = user_data;
  g_autoptr(GError) error = NULL;

  if (!bk_cache_clear_finish (BK_CACHE (source), result, &error))
    bk_logger_warn (changed->state->logger, "Could not clear the cached todo lists: %s", error->message);
  if (changed->body != NULL)
    respond_object (changed->request, changed->status, changed->body);
  else
    bk_http_request_respond (changed->request, changed->status, NULL, NULL);

  g_object_unref (changed->request);
  todo_state_unref (changed->state);
  g_clear_pointer (&changed->body, json_object_unref);
  g_free (changed);
}

static void
respond_changed (TodoCall   *call,
                 guint       status,
                 JsonObject *body)
{
  TodoChanged *changed = g_new0 (TodoChanged, 1);

  changed->request = g_object_ref (call->request);
  changed->state = todo_state_ref (call->state);
  changed->status = status;
  changed->body = body != NULL ? json_object_ref (body) : NULL;
  call->state->changes++;
  bk_cache_clear_async (call->state->cache, NULL, lists_cleared, changed);
}

static void
todo_answered (TodoOp    op,
               GObject  *source,
               GAsyncResult *result,
               TodoCall *call)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkDatabaseResult) rows = bk_database_query_finish (BK_DATABASE (source), result, &error);
  g_autoptr(JsonObject) todo = NULL;

  if (rows == NULL)
    {
      respond_database_error (call, todo_op_what[op], error);
      return;
    }
  if (bk_database_result_get_n_rows (rows) == 0)
    {
      respond_not_found (call->request, call->id);
      return;
    }
  todo = todo_row_to_json (rows, 0);

  switch (op)
    {
    case TODO_OP_CREATE:
      {
        g_autofree char *location = g_strdup_printf ("/api/todo/todos/%s",
                                                     json_object_get_string_member (todo, "id"));

        todo_listeners_emit (call->state->listeners, TODO_CHANGE_CREATED, todo);
        bk_http_request_set_response_header (call->request, "Location", location);
        respond_changed (call, 201, todo);
      }
      break;
    case TODO_OP_GET:
      respond_object (call->request, 200, todo);
      break;
    case TODO_OP_UPDATE:
      todo_listeners_emit (call->state->listeners, TODO_CHANGE_UPDATED, todo);
      respond_changed (call, 200, todo);
      break;
    case TODO_OP_DELETE:
      todo_listeners_emit (call->state->listeners, TODO_CHANGE_DELETED, todo);
      respond_changed (call, 204, NULL);
      break;
    default:
      g_assert_not_reached ();
    }
}

#define DEFINE_ANSWERED(op, name)                                              \
  static void                                                                  \
  name (GObject *source, GAsyncResult *result, gpointer user_data)             \
  {                                                                            \
    g_autoptr(TodoCall) call = user_data;                                      \
    todo_answered ((op), source, result, call);                                \
  }

DEFINE_ANSWERED (TODO_OP_CREATE, created)
DEFINE_ANSWERED (TODO_OP_GET, got)
DEFINE_ANSWERED (TODO_OP_UPDATE, updated)
DEFINE_ANSWERED (TODO_OP_DELETE, deleted)

/* POST /todos {"title":"…","done":false} */
static void
todo_create (BkHttpRequest *request,
             gpointer       user_data)
{
  TodoState *state = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = bk_http_request_dup_body_json (request, &error);
  const char *title = NULL;
  int done = -1;

  if (body == NULL || !validate_body (state, body, FALSE, &title, &done, &error))
    {
      bk_http_request_respond_error (request, error);   /* 400, 413 or 415 */
      return;
    }
  bk_database_query_async (state->database,
                           "INSERT INTO todos (title, done) VALUES ($1, $2) RETURNING " TODO_COLUMNS,
                           g_variant_new ("(sb)", title, done > 0),
                           bk_http_request_get_cancellable (request),
                           created, todo_call_new (request, state));
}

/* GET, PATCH and DELETE /todos/:id: an id that is not a positive integer
 * names no todo. */
static TodoCall *
todo_call_for_id (BkHttpRequest *request,
                  TodoState     *state,
                  gint64        *id)
{
  TodoCall *call;

  *id = parse_id (bk_http_request_get_param (request, "id"));
  if (*id == 0)
    {
      respond_not_found (request, bk_http_request_get_param (request, "id"));
      return NULL;
    }
  call = todo_call_new (request, state);
  call->id = g_strdup (bk_http_request_get_param (request, "id"));
  return call;
}

static void
todo_get (BkHttpRequest *request,
          gpointer       user_data)
{
  TodoState *state = user_data;
  gint64 id;
  TodoCall *call = todo_call_for_id (request, state, &id);

  if (call == NULL)
    return;
  bk_database_query_async (state->database, "SELECT " TODO_COLUMNS " FROM todos WHERE id = $1",
                           g_variant_new ("(x)", id), bk_http_request_get_cancellable (request),
                           got, call);
}

/* PATCH /todos/:id {"title":"…"} or {"done":true} or both */
static void
todo_update (BkHttpRequest *request,
             gpointer       user_data)
{
  TodoState *state = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  const char *title = NULL;
  int done = -1;
  gint64 id;
  TodoCall *call = todo_call_for_id (request, state, &id);

  if (call == NULL)
    return;
  body = bk_http_request_dup_body_json (request, &error);
  if (body == NULL || !validate_body (state, body, TRUE, &title, &done, &error))
    {
      bk_http_request_respond_error (request, error);
      todo_call_free (call);
      return;
    }
  bk_database_query_async (state->database,
                           "UPDATE todos SET title = COALESCE($2, title), done = COALESCE($3, done) "
                           "WHERE id = $1 RETURNING " TODO_COLUMNS,
                           g_variant_new ("(xmsmb)", id, title, done >= 0, done > 0),
                           bk_http_request_get_cancellable (request), updated, call);
}

static void
todo_delete (BkHttpRequest *request,
             gpointer       user_data)
{
  TodoState *state = user_data;
  gint64 id;
  TodoCall *call = todo_call_for_id (request, state, &id);

  if (call == NULL)
    return;
  bk_database_query_async (state->database, "DELETE FROM todos WHERE id = $1 RETURNING " TODO_COLUMNS,
                           g_variant_new ("(x)", id), bk_http_request_get_cancellable (request),
                           deleted, call);
}

/* ------------------------------------------------------------------------ *
 * The plugin
 * ------------------------------------------------------------------------ */

typedef struct
{
  GTask     *task;
  TodoState *state;
} TodoInit;

static void
migrated (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  TodoInit *init = user_data;
  GError *error = NULL;

  if (bk_database_migrate_finish (BK_DATABASE (source), result, &error))
    {
      bk_logger_info (init->state->logger, "Todo API ready under /api/todo (%u title rules, %u listeners)",
                      init->state->validators->rules->len, init->state->listeners->listeners->len);
      g_task_return_boolean (init->task, TRUE);
    }
  else
    g_task_return_error (init->task, error);
  g_object_unref (init->task);
  todo_state_unref (init->state);
  g_free (init);
}

/* The clean-up task: done todos go, every `todo.cleanup.frequency` (by
 * default an hour, the first an hour after start), on one instance at a
 * time. */
typedef struct
{
  GTask     *task;
  TodoState *state;
} TodoCleanup;

static void
cleaned_up (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  TodoCleanup *cleanup = user_data;
  g_autoptr(BkDatabaseResult) rows = NULL;
  GError *error = NULL;

  rows = bk_database_query_finish (BK_DATABASE (source), result, &error);
  if (rows != NULL)
    {
      guint64 removed = bk_database_result_get_changes (rows);

      if (removed > 0)
        cleanup->state->changes++;
      bk_logger_info (cleanup->state->logger, "Todo clean-up removed %" G_GUINT64_FORMAT " done todos", removed);
      g_task_return_boolean (cleanup->task, TRUE);
    }
  else
    g_task_return_error (cleanup->task, error);
  g_object_unref (cleanup->task);
  todo_state_unref (cleanup->state);
  g_free (cleanup);
}

static void
todo_cleanup (GTask    *task,
              gpointer  user_data)
{
  TodoCleanup *cleanup = g_new0 (TodoCleanup, 1);

  cleanup->task = task;
  cleanup->state = todo_state_ref (user_data);
  bk_database_query_async (cleanup->state->database, "DELETE FROM todos WHERE done = TRUE", NULL,
                           g_task_get_cancellable (task), cleaned_up, cleanup);
}

static gboolean
schedule_cleanup (BkDeps     *deps,
                  TodoState  *state,
                  GError    **error)
{
  g_autoptr(BkConfig) config = bk_root_config_dup_config (bk_deps_get (deps, BK_SERVICE_ROOT_CONFIG));
  g_autoptr(BkTaskSchedule) schedule = NULL;
  g_autofree char *cadence = NULL;

  if (bk_config_has (config, "todo.cleanup.frequency"))
    schedule = bk_task_schedule_new_from_config (config, "todo.cleanup", error);
  else
    {
      schedule = bk_task_schedule_new_interval (3600000);
      bk_task_schedule_set_initial_delay (schedule, 3600000);
      bk_task_schedule_set_timeout (schedule, 60000);
    }
  if (schedule == NULL
      || !bk_scheduler_schedule_task (bk_deps_get (deps, BK_SERVICE_SCHEDULER), "todo-cleanup", schedule,
                                      todo_cleanup, todo_state_ref (state), (GDestroyNotify) todo_state_unref,
                                      error))
    return FALSE;
  cadence = bk_task_schedule_dup_cadence (schedule);
  bk_logger_info (state->logger, "Todo clean-up of done todos scheduled (%s)", cadence);
  return TRUE;
}

static void
add_route (BkHttpRouter      *router,
           const char        *method,
           const char        *path,
           BkHttpHandlerFunc  handler,
           TodoState         *state)
{
  bk_http_router_add_route (router, method, path, handler,
                            todo_state_ref (state), (GDestroyNotify) todo_state_unref);
}

/* Every module has run its init by now: the extension points are filled. */
static void
todo_init (BkDeps   *deps,
           GTask    *task,
           gpointer  user_data)
{
  TodoState *state = user_data;
  BkHttpRouter *router = bk_deps_get (deps, BK_SERVICE_HTTP_ROUTER);
  TodoInit *init = g_new0 (TodoInit, 1);
  GError *error = NULL;

  state->database = g_object_ref (bk_deps_get (deps, BK_SERVICE_DATABASE));
  state->logger = g_object_ref (bk_deps_get (deps, BK_SERVICE_LOGGER));
  state->cache = g_object_ref (bk_deps_get (deps, BK_SERVICE_CACHE));

  if (!schedule_cleanup (deps, state, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      g_free (init);
      return;
    }

  add_route (router, "GET", "/todos", todo_list, state);
  add_route (router, "POST", "/todos", todo_create, state);
  add_route (router, "GET", "/todos/:id", todo_get, state);
  add_route (router, "PATCH", "/todos/:id", todo_update, state);
  add_route (router, "DELETE", "/todos/:id", todo_delete, state);

  /* The routes answer once the init task completes, after the migrations. */
  init->task = task;
  init->state = todo_state_ref (state);
  bk_database_migrate_async (state->database, todo_migrations, G_N_ELEMENTS (todo_migrations),
                             g_task_get_cancellable (task), migrated, init);
}

static void
todo_register (BkPluginEnv *env,
               gpointer     user_data)
{
  TodoState *state = user_data;

  bk_plugin_env_register_extension_point (env, todo_validators_extension_point (),
                                          G_OBJECT (state->validators));
  bk_plugin_env_register_extension_point (env, todo_listeners_extension_point (),
                                          G_OBJECT (state->listeners));
  bk_plugin_env_register_init_async (env, todo_init, todo_state_ref (state),
                                     (GDestroyNotify) todo_state_unref,
                                     BK_SERVICE_HTTP_ROUTER,
                                     BK_SERVICE_DATABASE,
                                     BK_SERVICE_LOGGER,
                                     BK_SERVICE_CACHE,
                                     BK_SERVICE_SCHEDULER,
                                     BK_SERVICE_ROOT_CONFIG,
                                     NULL);
}

/**
 * todo_plugin_new:
 *
 * The `todo` plugin: a todo list under `/api/todo`, stored in the plugin's
 * database, with the extension points `todo.validators` and
 * `todo.listeners`.
 *
 * Returns: (transfer full): a new plugin
 *
 * Since: 0.1
 */
BkPlugin *
todo_plugin_new (void)
{
  TodoState *state = g_rc_box_new0 (TodoState);

  state->validators = g_object_new (TODO_TYPE_VALIDATORS, NULL);
  state->listeners = g_object_new (TODO_TYPE_LISTENERS, NULL);
  return bk_plugin_new ("todo", todo_register, state, (GDestroyNotify) todo_state_unref);
}
