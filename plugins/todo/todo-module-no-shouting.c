/* todo-module-no-shouting.c: a module of the `todo` plugin that refuses
 * titles written in capitals
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * It adds the rule `no-shouting` through the extension point
 * `todo.validators`: a title with at least two letters, all of them
 * upper case ("BUY MILK"), is refused with a 400 InputError.
 */

#include "todo-plugin.h"

static gboolean
no_shouting_validate (const char  *title,
                      gpointer     user_data,
                      GError     **error)
{
  guint letters = 0;

  for (const char *p = title; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_islower (c))
        return TRUE;
      if (g_unichar_isupper (c))
        letters++;
    }
  if (letters < 2)
    return TRUE;

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "titles must not be written in capitals only");
  return FALSE;
}

static gboolean
no_shouting_init (BkDeps    *deps,
                  gpointer   user_data,
                  GError   **error)
{
  TodoValidators *validators = bk_deps_get (deps, todo_validators_extension_point ());

  todo_validators_add (validators, "no-shouting", no_shouting_validate, NULL, NULL);
  bk_logger_info (bk_deps_get (deps, BK_SERVICE_LOGGER),
                  "Module no-shouting: titles in capitals only are refused");
  return TRUE;
}

static void
no_shouting_register (BkModuleEnv *env,
                      gpointer     user_data)
{
  bk_module_env_register_init (env, no_shouting_init, NULL, NULL,
                               BK_SERVICE_LOGGER, todo_validators_extension_point (), NULL);
}

/**
 * todo_module_no_shouting_new:
 *
 * The module `no-shouting` of the `todo` plugin: through
 * `todo.validators`, it refuses titles whose letters (two or more) are all
 * capitals.
 *
 * Returns: (transfer full): a new module
 *
 * Since: 0.1
 */
BkModule *
todo_module_no_shouting_new (void)
{
  return bk_module_new ("todo", "no-shouting", no_shouting_register, NULL, NULL);
}
