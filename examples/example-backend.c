/* example-backend.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The walkthrough of DESIGN.md §10 as a program that runs:
 *
 *  1. a custom service, `example.greeter`: a GInterface, its ref and a default
 *     factory that depends on two core services;
 *  2. an override of a core service: a `core.logger` that adds the
 *     plugin's owner (from the configuration) to every line it logs;
 *  3. the `todo` plugin (plugins/todo/: a REST API under /api/todo stored
 *     through core.database, with the extension points `todo.validators`
 *     and `todo.listeners`) and its module `no-shouting`;
 *  4. a module of this example, `welcome`, that extends `todo` through
 *     `todo.listeners`, uses the greeter, adds a lifecycle hook and logs the
 *     commands to try once the backend is up;
 *  5. main (): a backend with every default service and the features
 *     above, run until SIGINT or SIGTERM.
 *
 * `make run` starts it with examples/app-config.yaml. In a real project each
 * numbered part would be its own pair of files; the "header" parts below
 * show what goes in the .h.
 */

#include <stdio.h>

#include <libbackend.h>

#include "todo-plugin.h"

/* ------------------------------------------------------------------------ *
 * 1. A custom service: example.greeter
 * ------------------------------------------------------------------------ */

/* example-greeter.h: the contract is a GInterface, the ref its getter. */

#define EXAMPLE_TYPE_GREETER (example_greeter_get_type ())
G_DECLARE_INTERFACE (ExampleGreeter, example_greeter, EXAMPLE, GREETER, GObject)

struct _ExampleGreeterInterface
{
  GTypeInterface parent_iface;

  char *(*greet) (ExampleGreeter *self,
                  const char     *name);
};

char         *example_greeter_greet       (ExampleGreeter *self,
                                           const char     *name);
BkServiceRef *example_greeter_service_ref (void);

/* example-greeter.c */

G_DEFINE_INTERFACE (ExampleGreeter, example_greeter, G_TYPE_OBJECT)

static void
example_greeter_default_init (ExampleGreeterInterface *iface)
{
}

/* Returns: (transfer full): a greeting for @name */
char *
example_greeter_greet (ExampleGreeter *self,
                       const char     *name)
{
  g_return_val_if_fail (EXAMPLE_IS_GREETER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return EXAMPLE_GREETER_GET_IFACE (self)->greet (self, name);
}

/* The default implementation: one instance per plugin that asks for it. */

#define EXAMPLE_TYPE_PLUGIN_GREETER (example_plugin_greeter_get_type ())
G_DECLARE_FINAL_TYPE (ExamplePluginGreeter, example_plugin_greeter, EXAMPLE, PLUGIN_GREETER, GObject)

struct _ExamplePluginGreeter
{
  GObject  parent_instance;

  char    *plugin_id;
  char    *greeting;
};

static void example_plugin_greeter_iface_init (ExampleGreeterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ExamplePluginGreeter, example_plugin_greeter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (EXAMPLE_TYPE_GREETER,
                                                      example_plugin_greeter_iface_init))

static char *
example_plugin_greeter_greet (ExampleGreeter *greeter,
                              const char     *name)
{
  ExamplePluginGreeter *self = EXAMPLE_PLUGIN_GREETER (greeter);

  return g_strdup_printf ("%s, %s! (from the greeter of plugin '%s')", self->greeting, name, self->plugin_id);
}

static void
example_plugin_greeter_iface_init (ExampleGreeterInterface *iface)
{
  iface->greet = example_plugin_greeter_greet;
}

static void
example_plugin_greeter_finalize (GObject *object)
{
  ExamplePluginGreeter *self = EXAMPLE_PLUGIN_GREETER (object);

  g_free (self->plugin_id);
  g_free (self->greeting);

  G_OBJECT_CLASS (example_plugin_greeter_parent_class)->finalize (object);
}

static void
example_plugin_greeter_class_init (ExamplePluginGreeterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = example_plugin_greeter_finalize;
}

static void
example_plugin_greeter_init (ExamplePluginGreeter *self)
{
}

/* The default factory: used because nobody gives the backend another one. */

static GObject *
create_greeter (BkDeps    *deps,
                gpointer   root_context,
                gpointer   user_data,
                GError   **error)
{
  BkLogger *logger = bk_deps_get (deps, BK_SERVICE_LOGGER);
  BkPluginMetadata *plugin = bk_deps_get (deps, BK_SERVICE_PLUGIN_METADATA);
  g_autoptr(BkConfig) config = bk_root_config_dup_config (bk_deps_get (deps, BK_SERVICE_ROOT_CONFIG));
  g_autoptr(ExamplePluginGreeter) greeter = g_object_new (EXAMPLE_TYPE_PLUGIN_GREETER, NULL);

  if (!bk_config_get_optional_string (config, "example.greeting", "Hello", &greeter->greeting, error))
    return NULL;
  greeter->plugin_id = g_strdup (bk_plugin_metadata_get_id (plugin));
  bk_logger_info (logger, "Creating the example.greeter service for plugin '%s'", greeter->plugin_id);

  return G_OBJECT (g_steal_pointer (&greeter));
}

static BkServiceFactory *
example_greeter_default_factory (void)
{
  return bk_service_factory_new (example_greeter_service_ref (), create_greeter, NULL, NULL,
                                 BK_SERVICE_LOGGER, BK_SERVICE_ROOT_CONFIG,
                                 BK_SERVICE_PLUGIN_METADATA, NULL);
}

BK_DEFINE_SERVICE_REF (example_greeter_service_ref, "example.greeter", EXAMPLE_TYPE_GREETER,
                       BK_SERVICE_SCOPE_PLUGIN, example_greeter_default_factory)

/* ------------------------------------------------------------------------ *
 * 2. An override of a core service: core.logger
 * ------------------------------------------------------------------------ */

/* The default core.logger is the root logger's child with plugin=<id>.
 * This one also names the plugin's owner, from `example.owners.<id>` in the
 * configuration, on every line the plugin logs. */

BkServiceFactory *example_logger_factory_new (void);

static GObject *
create_plugin_logger (BkDeps    *deps,
                      gpointer   root_context,
                      gpointer   user_data,
                      GError   **error)
{
  BkLogger *root_logger = bk_deps_get (deps, BK_SERVICE_ROOT_LOGGER);
  BkRootConfig *root_config = bk_deps_get (deps, BK_SERVICE_ROOT_CONFIG);
  const char *plugin_id = bk_plugin_metadata_get_id (bk_deps_get (deps, BK_SERVICE_PLUGIN_METADATA));
  g_autoptr(BkConfig) config = bk_root_config_dup_config (root_config);
  g_autofree char *key = g_strdup_printf ("example.owners.%s", plugin_id);
  g_autofree char *owner = NULL;

  /* A wrong type is an error naming the key and the file; absent is fine. */
  if (!bk_config_get_optional_string (config, key, "nobody", &owner, error))
    return NULL;

  return G_OBJECT (bk_logger_child_with (root_logger, "plugin", plugin_id, "owner", owner, NULL));
}

BkServiceFactory *
example_logger_factory_new (void)
{
  return bk_service_factory_new (BK_SERVICE_LOGGER, create_plugin_logger, NULL, NULL,
                                 BK_SERVICE_ROOT_LOGGER, BK_SERVICE_ROOT_CONFIG,
                                 BK_SERVICE_PLUGIN_METADATA, NULL);
}

/* ------------------------------------------------------------------------ *
 * 3. The todo plugin and its module no-shouting: plugins/todo/
 * ------------------------------------------------------------------------ */

/* todo_plugin_new () and todo_module_no_shouting_new (), from todo-plugin.h.
 * app-config.yaml gives the plugin its database: SQLite files under ./data/. */

/* ------------------------------------------------------------------------ *
 * 4. A module, welcome, extending todo
 * ------------------------------------------------------------------------ */

BkModule *todo_module_welcome_new (void);

/* A change listener: @user_data is the plugin's logger. */
static void
welcome_todo_changed (TodoChange  change,
                      JsonObject *todo,
                      gpointer    user_data)
{
  static const char *const verbs[] = { "created", "updated", "deleted" };

  bk_logger_info (BK_LOGGER (user_data), "Todo %s %s: %s", json_object_get_string_member (todo, "id"),
                  verbs[change], json_object_get_string_member (todo, "title"));
}

/* A plugin shutdown hook: @user_data is the plugin's logger. */
static gboolean
welcome_on_shutdown (gpointer   user_data,
                     GError   **error)
{
  bk_logger_info (BK_LOGGER (user_data), "Shutdown hook: the todo plugin is stopping");
  return TRUE;
}

typedef struct
{
  BkLogger *logger;
  char     *base_url;
} WelcomeTry;

static void
welcome_try_free (WelcomeTry *try)
{
  g_object_unref (try->logger);
  g_free (try->base_url);
  g_free (try);
}

/* A root startup hook: runs after every plugin has started. One line per
 * command, so each reads whole in both log formats; through the root
 * logger, so no plugin fields trail the commands on a terminal. */
static gboolean
welcome_log_urls (gpointer   user_data,
                  GError   **error)
{
  WelcomeTry *try = user_data;
  const char *url = try->base_url;

  bk_logger_info (try->logger, "The example backend is up at %s; try:", url);
  bk_logger_info (try->logger, "  curl %s/api/todo/todos", url);
  bk_logger_info (try->logger, "  curl -i -X POST -H 'Content-Type: application/json' "
                  "-d '{\"title\":\"Buy milk\"}' %s/api/todo/todos", url);
  bk_logger_info (try->logger, "  curl %s/api/todo/todos/1", url);
  bk_logger_info (try->logger, "  curl -i -X PATCH -H 'Content-Type: application/json' "
                  "-d '{\"done\":true}' %s/api/todo/todos/1", url);
  bk_logger_info (try->logger, "  curl '%s/api/todo/todos?q=milk&limit=10&offset=0'", url);
  bk_logger_info (try->logger, "  curl -i -X DELETE %s/api/todo/todos/1", url);
  bk_logger_info (try->logger, "  curl %s/.backstage/health/v1/readiness", url);
  bk_logger_info (try->logger, "Stop it with Ctrl-C");
  return TRUE;
}

static gboolean
welcome_init (BkDeps    *deps,
              gpointer   user_data,
              GError   **error)
{
  BkLogger *logger = bk_deps_get (deps, BK_SERVICE_LOGGER);
  ExampleGreeter *greeter = bk_deps_get (deps, example_greeter_service_ref ());
  TodoListeners *listeners = bk_deps_get (deps, todo_listeners_extension_point ());
  g_autofree char *greeting = example_greeter_greet (greeter, "todo list");
  WelcomeTry *try = g_new0 (WelcomeTry, 1);

  bk_logger_info (logger, "%s", greeting);
  bk_logger_info (logger, "Module welcome: logging every change through todo.listeners");
  todo_listeners_add (listeners, welcome_todo_changed, g_object_ref (logger), g_object_unref);

  /* The root router listens already: it is made before any plugin. */
  try->logger = g_object_ref (bk_deps_get (deps, BK_SERVICE_ROOT_LOGGER));
  try->base_url = bk_root_http_router_dup_base_url (bk_deps_get (deps, BK_SERVICE_ROOT_HTTP_ROUTER));
  /* The lifecycle takes the data in every case, also when it refuses a hook. */
  if (!bk_lifecycle_add_hook (bk_deps_get (deps, BK_SERVICE_ROOT_LIFECYCLE), BK_LIFECYCLE_PHASE_STARTUP,
                              welcome_log_urls, try, (GDestroyNotify) welcome_try_free, error))
    return FALSE;
  return bk_lifecycle_add_hook (bk_deps_get (deps, BK_SERVICE_LIFECYCLE), BK_LIFECYCLE_PHASE_SHUTDOWN,
                                welcome_on_shutdown, g_object_ref (logger), g_object_unref, error);
}

static void
welcome_register (BkModuleEnv *env,
                  gpointer     user_data)
{
  bk_module_env_register_init (env, welcome_init, NULL, NULL,
                               BK_SERVICE_LOGGER,
                               BK_SERVICE_LIFECYCLE,
                               BK_SERVICE_ROOT_LOGGER,
                               BK_SERVICE_ROOT_LIFECYCLE,
                               BK_SERVICE_ROOT_HTTP_ROUTER,
                               example_greeter_service_ref (),
                               todo_listeners_extension_point (),
                               NULL);
}

BkModule *
todo_module_welcome_new (void)
{
  return bk_module_new ("todo", "welcome", welcome_register, NULL, NULL);
}

/* ------------------------------------------------------------------------ *
 * 5. The backend: runs until SIGINT or SIGTERM
 * ------------------------------------------------------------------------ */

int
main (int    argc,
      char **argv)
{
  g_autoptr(BkBackend) backend = bk_backend_new ();

  bk_backend_add (backend, example_logger_factory_new ()); /* replaces core.logger */
  bk_backend_add (backend, todo_plugin_new ());            /* HTTP routes under /api/todo */
  bk_backend_add (backend, todo_module_no_shouting_new ());
  bk_backend_add (backend, todo_module_welcome_new ());

  /* --config FILE, logs on stderr (readable on a terminal, JSON lines
   * otherwise), a clean stop on Ctrl-C or SIGTERM. */
  return bk_backend_run (backend, argc, argv);
}
