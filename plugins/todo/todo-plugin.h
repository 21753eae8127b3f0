/* todo-plugin.h: the `todo` plugin, a todo list stored through core.database
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libbackend.h>

G_BEGIN_DECLS

/**
 * TODO_TITLE_MAX_LENGTH:
 *
 * The longest title the todo API accepts, in characters.
 *
 * Since: 0.1
 */
#define TODO_TITLE_MAX_LENGTH 200

/**
 * TodoChange:
 * @TODO_CHANGE_CREATED: a todo was created
 * @TODO_CHANGE_UPDATED: a todo was updated
 * @TODO_CHANGE_DELETED: a todo was deleted
 *
 * What happened to a todo, as told to a [callback@Todo.ListenFunc].
 *
 * Since: 0.1
 */
typedef enum
{
  TODO_CHANGE_CREATED,
  TODO_CHANGE_UPDATED,
  TODO_CHANGE_DELETED,
} TodoChange;

/**
 * TodoValidateFunc:
 * @title: the title a client wants to store (already a non-empty string
 *   of at most %TODO_TITLE_MAX_LENGTH characters)
 * @user_data: the data given with the rule
 * @error: return location for a #GError
 *
 * A validation rule for titles, added through the `todo.validators`
 * extension point. It runs on the main context before anything is stored,
 * for every create and for every update that sets a title. The message of
 * @error goes to the client in a 400 `InputError`.
 *
 * Returns: %TRUE to accept @title, %FALSE with @error set to refuse it
 *
 * Since: 0.1
 */
typedef gboolean (*TodoValidateFunc) (const char  *title,
                                      gpointer     user_data,
                                      GError     **error);

/**
 * TodoListenFunc:
 * @change: what happened
 * @todo: the todo as the API returns it (`id`, `title`, `done`); for
 *   %TODO_CHANGE_DELETED, as it was before the deletion
 * @user_data: the data given with the listener
 *
 * A change listener, added through the `todo.listeners` extension point.
 * It runs on the main context once the change is stored, before the client
 * gets its answer.
 *
 * Since: 0.1
 */
typedef void (*TodoListenFunc) (TodoChange  change,
                                JsonObject *todo,
                                gpointer    user_data);

#define TODO_TYPE_VALIDATORS (todo_validators_get_type ())
G_DECLARE_FINAL_TYPE (TodoValidators, todo_validators, TODO, VALIDATORS, GObject)

#define TODO_TYPE_LISTENERS (todo_listeners_get_type ())
G_DECLARE_FINAL_TYPE (TodoListeners, todo_listeners, TODO, LISTENERS, GObject)

void              todo_validators_add              (TodoValidators   *self,
                                                    const char       *name,
                                                    TodoValidateFunc  func,
                                                    gpointer          user_data,
                                                    GDestroyNotify    destroy);
void              todo_listeners_add               (TodoListeners    *self,
                                                    TodoListenFunc    func,
                                                    gpointer          user_data,
                                                    GDestroyNotify    destroy);
BkExtensionPoint *todo_validators_extension_point  (void);
BkExtensionPoint *todo_listeners_extension_point   (void);

BkPlugin         *todo_plugin_new                  (void);
BkModule         *todo_module_no_shouting_new      (void);

G_END_DECLS
