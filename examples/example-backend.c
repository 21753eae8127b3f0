/* example-backend.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The walkthrough of DESIGN.md §10 as a program that runs:
 *
 *  1. a custom service, `example.greeter`: a GInterface, its ref and a default
 *     factory that depends on two core services;
 *  2. an override of a core service: a root logger that writes
 *     `[example] …` lines to stdout replaces the default `core.rootLogger`
 *     (and with it every plugin's `core.logger`, which is its child);
 *  3. a plugin, `todo`, that uses the logger and the greeter, provides the
 *     extension point `todo.validators` and adds lifecycle hooks;
 *  4. a module, `no-empty-titles`, that extends `todo` through that
 *     extension point;
 *  5. main (): a backend with every default service, the features above,
 *     start, a summary of the startup, stop.
 *
 * There is no HTTP server yet, so the program starts the backend, shows what
 * happened and stops it again. In a real project each numbered part would be
 * its own pair of files; the "header" parts below show what goes in the .h.
 */

#include <stdio.h>

#include <libbackend.h>

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

  return g_strdup_printf ("Hello, %s! (from the greeter of plugin '%s')", name, self->plugin_id);
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
  ExamplePluginGreeter *greeter = g_object_new (EXAMPLE_TYPE_PLUGIN_GREETER, NULL);

  greeter->plugin_id = g_strdup (bk_plugin_metadata_get_id (plugin));
  bk_logger_info (logger, "Creating the example.greeter service for plugin '%s'", greeter->plugin_id);

  return G_OBJECT (greeter);
}

static BkServiceFactory *
example_greeter_default_factory (void)
{
  return bk_service_factory_new (example_greeter_service_ref (), create_greeter, NULL, NULL,
                                 BK_SERVICE_LOGGER, BK_SERVICE_PLUGIN_METADATA, NULL);
}

BK_DEFINE_SERVICE_REF (example_greeter_service_ref, "example.greeter", EXAMPLE_TYPE_GREETER,
                       BK_SERVICE_SCOPE_PLUGIN, example_greeter_default_factory)

/* ------------------------------------------------------------------------ *
 * 2. An override of a core service: a root logger writing to stdout
 * ------------------------------------------------------------------------ */

/* example-logger.h */

#define EXAMPLE_TYPE_LOGGER (example_logger_get_type ())
G_DECLARE_FINAL_TYPE (ExampleLogger, example_logger, EXAMPLE, LOGGER, GObject)

BkServiceFactory *example_root_logger_factory_new (void);

/* example-logger.c */

struct _ExampleLogger
{
  GObject     parent_instance;

  /* (element-type utf8 utf8): added to every line; never changed after
   * construction, so the logger is safe to use from any thread. */
  GHashTable *fields;
};

static void example_logger_iface_init (BkLoggerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ExampleLogger, example_logger, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_LOGGER, example_logger_iface_init))

static ExampleLogger *
example_logger_new (GHashTable *parent_fields,
                    GHashTable *fields)
{
  ExampleLogger *self = g_object_new (EXAMPLE_TYPE_LOGGER, NULL);
  GHashTable *sources[] = { parent_fields, fields };

  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    {
      GHashTableIter iter;
      gpointer key, value;

      if (sources[i] == NULL)
        continue;

      g_hash_table_iter_init (&iter, sources[i]);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (self->fields, g_strdup (key), g_strdup (value));
    }

  return self;
}

static const char *
level_name (BkLogLevel level)
{
  switch (level)
    {
    case BK_LOG_LEVEL_ERROR:
      return "ERROR";
    case BK_LOG_LEVEL_WARN:
      return "WARN";
    case BK_LOG_LEVEL_INFO:
      return "INFO";
    case BK_LOG_LEVEL_DEBUG:
      return "DEBUG";
    default:
      return "?";
    }
}

static void
append_fields (GString    *line,
               GHashTable *fields)
{
  GHashTableIter iter;
  gpointer key, value;

  if (fields == NULL)
    return;

  g_hash_table_iter_init (&iter, fields);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_string_append_printf (line, " %s=%s", (const char *) key, (const char *) value);
}

static void
example_logger_log (BkLogger   *logger,
                    BkLogLevel  level,
                    GHashTable *fields,
                    const char *message)
{
  ExampleLogger *self = EXAMPLE_LOGGER (logger);
  g_autoptr(GString) line = g_string_new ("[example] ");

  if (level == BK_LOG_LEVEL_DEBUG) /* this logger keeps it short */
    return;

  g_string_append_printf (line, "%-5s %s", level_name (level), message);
  append_fields (line, self->fields);
  append_fields (line, fields);
  g_string_append_c (line, '\n');

  /* stdio locks the stream per call: one fwrite per line keeps the lines of
   * several threads whole. */
  fwrite (line->str, 1, line->len, stdout);
  fflush (stdout);
}

static BkLogger *
example_logger_child (BkLogger   *logger,
                      GHashTable *fields)
{
  ExampleLogger *self = EXAMPLE_LOGGER (logger);

  return BK_LOGGER (example_logger_new (self->fields, fields));
}

static void
example_logger_iface_init (BkLoggerInterface *iface)
{
  iface->log = example_logger_log;
  iface->child = example_logger_child;
}

static void
example_logger_finalize (GObject *object)
{
  ExampleLogger *self = EXAMPLE_LOGGER (object);

  g_hash_table_unref (self->fields);

  G_OBJECT_CLASS (example_logger_parent_class)->finalize (object);
}

static void
example_logger_class_init (ExampleLoggerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = example_logger_finalize;
}

static void
example_logger_init (ExampleLogger *self)
{
  self->fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static GObject *
create_root_logger (BkDeps    *deps,
                    gpointer   root_context,
                    gpointer   user_data,
                    GError   **error)
{
  return G_OBJECT (example_logger_new (NULL, NULL));
}

/* A factory for core.rootLogger: given to bk_backend_add (), it replaces the
 * default. The default core.logger is a child of the root logger, so every
 * plugin logs through it too. */
BkServiceFactory *
example_root_logger_factory_new (void)
{
  return bk_service_factory_new (BK_SERVICE_ROOT_LOGGER, create_root_logger, NULL, NULL, NULL);
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
 * 5. The backend
 * ------------------------------------------------------------------------ */

static void
print_startup_result (BkStartupResult *result)
{
  GPtrArray *plugins = bk_startup_result_get_plugins (result);

  g_print ("Startup took %.3f ms:\n",
           (bk_startup_result_get_end_time (result) - bk_startup_result_get_begin_time (result)) / 1000.0);

  for (guint i = 0; i < plugins->len; i++)
    {
      BkFeatureResult *plugin = g_ptr_array_index (plugins, i);
      GPtrArray *modules = bk_feature_result_get_modules (plugin);

      g_print ("  plugin '%s': %s\n", bk_feature_result_get_plugin_id (plugin),
               bk_feature_result_get_error (plugin) == NULL ? "started" : "failed");
      for (guint j = 0; j < modules->len; j++)
        {
          BkFeatureResult *module = g_ptr_array_index (modules, j);

          g_print ("    module '%s': %s\n", bk_feature_result_get_module_id (module),
                   bk_feature_result_get_error (module) == NULL ? "started" : "failed");
        }
    }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(BkBackend) backend = bk_backend_new ();
  g_autoptr(BkStartupResult) result = NULL;
  g_autoptr(GError) error = NULL;

  bk_backend_add (backend, example_root_logger_factory_new ()); /* replaces core.rootLogger */
  bk_backend_add (backend, todo_plugin_new ());
  bk_backend_add (backend, todo_module_no_empty_titles_new ());

  g_print ("Starting the backend\n");
  if (!bk_backend_start (backend, NULL, &result, &error))
    {
      g_printerr ("example-backend: %s\n", error->message);
      bk_backend_stop (backend, NULL, NULL); /* runs the hooks of what had started */
      return EXIT_FAILURE;
    }

  print_startup_result (result);

  /* A later issue gives this backend an HTTP server; bk_backend_run () will
   * then keep it up until SIGTERM. For now, stop at once. */
  g_print ("Stopping the backend\n");
  if (!bk_backend_stop (backend, NULL, &error))
    {
      g_printerr ("example-backend: %s\n", error->message);
      return EXIT_FAILURE;
    }

  g_print ("Stopped\n");
  return EXIT_SUCCESS;
}
