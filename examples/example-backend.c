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
 *  3. a plugin, `todo`, that uses the logger and the greeter, provides the
 *     extension point `todo.validators` and adds lifecycle hooks;
 *  4. a module, `no-empty-titles`, that extends `todo` through that
 *     extension point;
 *  5. main (): a backend with every default service, the features above and
 *     the `notes` plugin (notes-plugin.c: JSON routes under /api/notes), run
 *     until SIGINT or SIGTERM.
 *
 * `make run` starts it with examples/app-config.yaml. In a real project each
 * numbered part would be its own pair of files; the "header" parts below
 * show what goes in the .h.
 */

#include <stdio.h>

#include <libbackend.h>

#include "notes-plugin.h"

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
 * 3. A plugin, todo, with the extension point todo.validators
 * ------------------------------------------------------------------------ */

/* todo-validators.h: the extension point's contract is a GInterface. */

#define TODO_TYPE_VALIDATORS (todo_validators_get_type ())
G_DECLARE_INTERFACE (TodoValidators, todo_validators, TODO, VALIDATORS, GObject)

struct _TodoValidatorsInterface
{
  GTypeInterface parent_iface;

  void (*add) (TodoValidators *self,
               const char     *validator_name);
};

void              todo_validators_add             (TodoValidators *self,
                                                   const char     *validator_name);
BkExtensionPoint *todo_validators_extension_point (void);
BkPlugin         *todo_plugin_new                 (void);

/* todo-validators.c */

G_DEFINE_INTERFACE (TodoValidators, todo_validators, G_TYPE_OBJECT)

static void
todo_validators_default_init (TodoValidatorsInterface *iface)
{
}

void
todo_validators_add (TodoValidators *self,
                     const char     *validator_name)
{
  g_return_if_fail (TODO_IS_VALIDATORS (self));
  g_return_if_fail (validator_name != NULL);

  TODO_VALIDATORS_GET_IFACE (self)->add (self, validator_name);
}

BK_DEFINE_EXTENSION_POINT (todo_validators_extension_point, "todo.validators", TODO_TYPE_VALIDATORS)

/* todo-plugin.c: the object that implements the extension point. The plugin
 * owns it; its modules receive it and add to it before the plugin's init. */

#define TODO_TYPE_VALIDATOR_LIST (todo_validator_list_get_type ())
G_DECLARE_FINAL_TYPE (TodoValidatorList, todo_validator_list, TODO, VALIDATOR_LIST, GObject)

struct _TodoValidatorList
{
  GObject    parent_instance;

  GPtrArray *names;
};

static void todo_validator_list_iface_init (TodoValidatorsInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TodoValidatorList, todo_validator_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TODO_TYPE_VALIDATORS,
                                                      todo_validator_list_iface_init))

static void
todo_validator_list_add (TodoValidators *validators,
                         const char     *validator_name)
{
  TodoValidatorList *self = TODO_VALIDATOR_LIST (validators);

  g_ptr_array_add (self->names, g_strdup (validator_name));
}

static void
todo_validator_list_iface_init (TodoValidatorsInterface *iface)
{
  iface->add = todo_validator_list_add;
}

static void
todo_validator_list_finalize (GObject *object)
{
  TodoValidatorList *self = TODO_VALIDATOR_LIST (object);

  g_ptr_array_unref (self->names);

  G_OBJECT_CLASS (todo_validator_list_parent_class)->finalize (object);
}

static void
todo_validator_list_class_init (TodoValidatorListClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = todo_validator_list_finalize;
}

static void
todo_validator_list_init (TodoValidatorList *self)
{
  self->names = g_ptr_array_new_with_free_func (g_free);
}

/* Lifecycle hooks: @user_data is the plugin's logger. */

static gboolean
todo_on_startup (gpointer   user_data,
                 GError   **error)
{
  bk_logger_info (BK_LOGGER (user_data), "Startup hook: the todo plugin is up");
  return TRUE;
}

static gboolean
todo_on_shutdown (gpointer   user_data,
                  GError   **error)
{
  bk_logger_info (BK_LOGGER (user_data), "Shutdown hook: the todo plugin is stopping");
  return TRUE;
}

static gboolean
todo_init (BkDeps    *deps,
           gpointer   user_data,
           GError   **error)
{
  TodoValidatorList *validators = TODO_VALIDATOR_LIST (user_data);
  BkLogger *logger = bk_deps_get (deps, BK_SERVICE_LOGGER);
  BkLifecycle *lifecycle = bk_deps_get (deps, BK_SERVICE_LIFECYCLE);
  ExampleGreeter *greeter = bk_deps_get (deps, example_greeter_service_ref ());
  g_autofree char *greeting = example_greeter_greet (greeter, "todo list");
  g_autoptr(GString) names = g_string_new (NULL);

  bk_logger_info (logger, "%s", greeting);

  /* Every module of the plugin has run its init by now. */
  for (guint i = 0; i < validators->names->len; i++)
    g_string_append_printf (names, "%s'%s'", i > 0 ? ", " : "",
                            (const char *) g_ptr_array_index (validators->names, i));
  bk_logger_info (logger, "Validators collected through todo.validators: %s",
                  names->len > 0 ? names->str : "none");

  /* The lifecycle takes the data in every case, also when it refuses a hook. */
  if (!bk_lifecycle_add_hook (lifecycle, BK_LIFECYCLE_PHASE_STARTUP,
                              todo_on_startup, g_object_ref (logger), g_object_unref, error))
    return FALSE;

  return bk_lifecycle_add_hook (lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN,
                                todo_on_shutdown, g_object_ref (logger), g_object_unref, error);
}

static void
todo_register (BkPluginEnv *env,
               gpointer     user_data)
{
  TodoValidatorList *validators = TODO_VALIDATOR_LIST (user_data);

  /* Extension points first, then the init (exactly once). */
  bk_plugin_env_register_extension_point (env, todo_validators_extension_point (),
                                          G_OBJECT (validators));
  bk_plugin_env_register_init (env, todo_init, g_object_ref (validators), g_object_unref,
                               BK_SERVICE_LOGGER,
                               BK_SERVICE_LIFECYCLE,
                               example_greeter_service_ref (),
                               NULL);
}

BkPlugin *
todo_plugin_new (void)
{
  return bk_plugin_new ("todo", todo_register,
                        g_object_new (TODO_TYPE_VALIDATOR_LIST, NULL), g_object_unref);
}

/* ------------------------------------------------------------------------ *
 * 4. A module, no-empty-titles, extending todo
 * ------------------------------------------------------------------------ */

BkModule *todo_module_no_empty_titles_new (void);

static gboolean
no_empty_titles_init (BkDeps    *deps,
                      gpointer   user_data,
                      GError   **error)
{
  BkLogger *logger = bk_deps_get (deps, BK_SERVICE_LOGGER);
  TodoValidators *validators = bk_deps_get (deps, todo_validators_extension_point ());

  bk_logger_info (logger, "Module no-empty-titles: adding the validator 'no-empty-titles'");
  todo_validators_add (validators, "no-empty-titles");

  return TRUE;
}

static void
no_empty_titles_register (BkModuleEnv *env,
                          gpointer     user_data)
{
  bk_module_env_register_init (env, no_empty_titles_init, NULL, NULL,
                               BK_SERVICE_LOGGER, todo_validators_extension_point (), NULL);
}

BkModule *
todo_module_no_empty_titles_new (void)
{
  return bk_module_new ("todo", "no-empty-titles", no_empty_titles_register, NULL, NULL);
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
  bk_backend_add (backend, todo_plugin_new ());
  bk_backend_add (backend, todo_module_no_empty_titles_new ());
  bk_backend_add (backend, notes_plugin_new ());      /* HTTP routes under /api/notes */

  /* --config FILE, logs on stderr (readable on a terminal, JSON lines
   * otherwise), a clean stop on Ctrl-C or SIGTERM. */
  return bk_backend_run (backend, argc, argv);
}
