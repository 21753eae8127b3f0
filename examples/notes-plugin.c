/* notes-plugin.c: the `notes` plugin of the example backend.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A small JSON API over an in-memory store, served by the plugin's
 * core.httpRouter under /api/notes:
 *
 *   GET    /api/notes/notes       200 {"items":[{"id":"1","text":"…"},…]}
 *   POST   /api/notes/notes       201 the created note; body {"text":"…"}
 *   GET    /api/notes/notes/:id   200 the note, or 404 NotFoundError
 *   DELETE /api/notes/notes/:id   204, or 404 NotFoundError
 *
 * Every failure answers through bk_http_request_respond_error (), so it
 * carries Backstage's error body. Once the whole backend has started (a
 * root startup hook), the plugin logs ready-to-paste curl lines.
 */

#include "notes-plugin.h"

/* ------------------------------------------------------------------------ *
 * The store: notes in the order they were created; shared by the routes
 * ------------------------------------------------------------------------ */

typedef struct
{
  GPtrArray *notes;   /* (element-type JsonObject) (owned) */
  guint      next_id;
} NotesStore;

static void
notes_store_clear (NotesStore *store)
{
  g_ptr_array_unref (store->notes);
}

static NotesStore *
notes_store_new (void)
{
  NotesStore *store = g_rc_box_new0 (NotesStore);

  store->notes = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  store->next_id = 1;
  return store;
}

static NotesStore *
notes_store_ref (NotesStore *store)
{
  return g_rc_box_acquire (store);
}

static void
notes_store_unref (NotesStore *store)
{
  g_rc_box_release_full (store, (GDestroyNotify) notes_store_clear);
}

static guint
notes_store_find (NotesStore *store,
                  const char *id)
{
  for (guint i = 0; i < store->notes->len; i++)
    {
      JsonObject *note = g_ptr_array_index (store->notes, i);

      if (g_strcmp0 (json_object_get_string_member (note, "id"), id) == 0)
        return i;
    }
  return G_MAXUINT;
}

static JsonNode *
object_node (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return node;
}

/* ------------------------------------------------------------------------ *
 * The routes
 * ------------------------------------------------------------------------ */

static void
respond_not_found (BkHttpRequest *request,
                   const char    *id)
{
  g_autoptr(GError) error = g_error_new (BK_HTTP_ERROR, BK_HTTP_ERROR_NOT_FOUND,
                                         "No note with id '%s'", id);

  bk_http_request_respond_error (request, error);
}

/* GET /notes */
static void
notes_list (BkHttpRequest *request,
            gpointer       user_data)
{
  NotesStore *store = user_data;
  g_autoptr(JsonObject) body = json_object_new ();
  JsonArray *items = json_array_sized_new (store->notes->len);
  g_autoptr(JsonNode) node = NULL;

  for (guint i = 0; i < store->notes->len; i++)
    json_array_add_object_element (items, json_object_ref (g_ptr_array_index (store->notes, i)));
  json_object_set_array_member (body, "items", items);

  node = object_node (body);
  bk_http_request_respond_json (request, 200, node);
}

/* GET /notes/:id */
static void
notes_get (BkHttpRequest *request,
           gpointer       user_data)
{
  NotesStore *store = user_data;
  const char *id = bk_http_request_get_param (request, "id");
  guint index = notes_store_find (store, id);
  g_autoptr(JsonNode) node = NULL;

  if (index == G_MAXUINT)
    {
      respond_not_found (request, id);
      return;
    }
  node = object_node (g_ptr_array_index (store->notes, index));
  bk_http_request_respond_json (request, 200, node);
}

/* Returns: the non-empty `text` of @body, or %NULL with an InputError */
static const char *
notes_validate (JsonNode  *body,
                GError   **error)
{
  JsonObject *object;
  JsonNode *text;

  if (!JSON_NODE_HOLDS_OBJECT (body))
    {
      g_set_error_literal (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT,
                           "Request body must be a JSON object with a 'text' string");
      return NULL;
    }
  object = json_node_get_object (body);
  text = json_object_get_member (object, "text");
  if (text == NULL)
    {
      g_set_error_literal (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT,
                           "Missing required field 'text' in request body");
      return NULL;
    }
  if (json_node_get_value_type (text) != G_TYPE_STRING || *json_node_get_string (text) == '\0')
    {
      g_set_error_literal (error, BK_HTTP_ERROR, BK_HTTP_ERROR_INPUT,
                           "Field 'text' in request body must be a non-empty string");
      return NULL;
    }
  return json_node_get_string (text);
}

/* POST /notes {"text":"…"} */
static void
notes_create (BkHttpRequest *request,
              gpointer       user_data)
{
  NotesStore *store = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = bk_http_request_dup_body_json (request, &error);
  g_autoptr(JsonObject) note = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *id = NULL;
  g_autofree char *location = NULL;
  const char *text = NULL;

  if (body != NULL)
    text = notes_validate (body, &error);
  if (text == NULL)
    {
      bk_http_request_respond_error (request, error); /* 400, 413 or 415 */
      return;
    }

  id = g_strdup_printf ("%u", store->next_id++);
  note = json_object_new ();
  json_object_set_string_member (note, "id", id);
  json_object_set_string_member (note, "text", text);
  g_ptr_array_add (store->notes, json_object_ref (note));

  location = g_strdup_printf ("/api/notes/notes/%s", id);
  soup_message_headers_replace (soup_server_message_get_response_headers (bk_http_request_get_message (request)),
                                "Location", location);
  node = object_node (note);
  bk_http_request_respond_json (request, 201, node);
}

/* DELETE /notes/:id */
static void
notes_delete (BkHttpRequest *request,
              gpointer       user_data)
{
  NotesStore *store = user_data;
  const char *id = bk_http_request_get_param (request, "id");
  guint index = notes_store_find (store, id);

  if (index == G_MAXUINT)
    {
      respond_not_found (request, id);
      return;
    }
  g_ptr_array_remove_index (store->notes, index);
  bk_http_request_respond (request, 204, NULL, NULL);
}

/* ------------------------------------------------------------------------ *
 * What to try, logged once the backend has started
 * ------------------------------------------------------------------------ */

typedef struct
{
  BkLogger *logger;
  char     *base_url;
} NotesTry;

static void
notes_try_free (NotesTry *try)
{
  g_object_unref (try->logger);
  g_free (try->base_url);
  g_free (try);
}

/* A root startup hook: runs after every plugin has started. One line per
 * command, so each reads whole in both log formats; through the root
 * logger, so no plugin fields trail the commands on a terminal. */
static gboolean
notes_log_urls (gpointer   user_data,
                GError   **error)
{
  NotesTry *try = user_data;
  const char *url = try->base_url;

  bk_logger_info (try->logger, "The example backend is up at %s; try:", url);
  bk_logger_info (try->logger, "  curl %s/api/notes/notes", url);
  bk_logger_info (try->logger, "  curl -i -X POST -H 'Content-Type: application/json' "
                  "-d '{\"text\":\"Buy milk\"}' %s/api/notes/notes", url);
  bk_logger_info (try->logger, "  curl %s/api/notes/notes/1", url);
  bk_logger_info (try->logger, "  curl -i -X DELETE %s/api/notes/notes/1", url);
  bk_logger_info (try->logger, "  curl %s/.backstage/health/v1/liveness", url);
  bk_logger_info (try->logger, "  curl %s/.backstage/health/v1/readiness", url);
  bk_logger_info (try->logger, "Stop it with Ctrl-C");
  return TRUE;
}

/* ------------------------------------------------------------------------ *
 * The plugin
 * ------------------------------------------------------------------------ */

static gboolean
notes_init (BkDeps    *deps,
            gpointer   user_data,
            GError   **error)
{
  NotesStore *store = user_data;
  BkHttpRouter *router = bk_deps_get (deps, BK_SERVICE_HTTP_ROUTER);
  BkRootHttpRouter *root_router = bk_deps_get (deps, BK_SERVICE_ROOT_HTTP_ROUTER);
  BkLifecycle *root_lifecycle = bk_deps_get (deps, BK_SERVICE_ROOT_LIFECYCLE);
  BkLogger *logger = bk_deps_get (deps, BK_SERVICE_LOGGER);
  NotesTry *try = g_new0 (NotesTry, 1);

  bk_http_router_add_route (router, "GET", "/notes", notes_list,
                            notes_store_ref (store), (GDestroyNotify) notes_store_unref);
  bk_http_router_add_route (router, "POST", "/notes", notes_create,
                            notes_store_ref (store), (GDestroyNotify) notes_store_unref);
  bk_http_router_add_route (router, "GET", "/notes/:id", notes_get,
                            notes_store_ref (store), (GDestroyNotify) notes_store_unref);
  bk_http_router_add_route (router, "DELETE", "/notes/:id", notes_delete,
                            notes_store_ref (store), (GDestroyNotify) notes_store_unref);
  bk_logger_info (logger, "Routes added under /api/notes: GET and POST /notes, GET and DELETE /notes/:id");

  /* The root router listens already: it is made before any plugin. */
  try->logger = g_object_ref (bk_deps_get (deps, BK_SERVICE_ROOT_LOGGER));
  try->base_url = bk_root_http_router_dup_base_url (root_router);
  return bk_lifecycle_add_hook (root_lifecycle, BK_LIFECYCLE_PHASE_STARTUP,
                                notes_log_urls, try, (GDestroyNotify) notes_try_free, error);
}

static void
notes_register (BkPluginEnv *env,
                gpointer     user_data)
{
  bk_plugin_env_register_init (env, notes_init, notes_store_ref (user_data),
                               (GDestroyNotify) notes_store_unref,
                               BK_SERVICE_HTTP_ROUTER,
                               BK_SERVICE_LOGGER,
                               BK_SERVICE_ROOT_LOGGER,
                               BK_SERVICE_ROOT_HTTP_ROUTER,
                               BK_SERVICE_ROOT_LIFECYCLE,
                               NULL);
}

/**
 * notes_plugin_new:
 *
 * The `notes` plugin: an in-memory list of notes under `/api/notes`.
 *
 * Returns: (transfer full): a new plugin
 */
BkPlugin *
notes_plugin_new (void)
{
  return bk_plugin_new ("notes", notes_register, notes_store_new (),
                        (GDestroyNotify) notes_store_unref);
}
