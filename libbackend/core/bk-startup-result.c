/* bk-startup-result.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkStartupResult:
 *
 * What happened at start: the outcome, when it began and ended, and one
 * [class@Bk.FeatureResult] per plugin, in registration order, each with
 * its modules. Given by [method@Bk.Backend.start_finish] whether the start
 * succeeded or not.
 *
 * Since: 0.1
 */

/**
 * BkFeatureResult:
 *
 * The outcome of one plugin or module at start: its error if it failed,
 * whether that failure was allowed by the boot-failure policy, and its
 * timing.
 *
 * Since: 0.1
 */

#include "bk-core-private.h"

struct _BkStartupResult
{
  GObject    parent_instance;
  gboolean   success;
  gint64     begin_time;
  gint64     end_time;
  GPtrArray *plugins;
};

struct _BkFeatureResult
{
  GObject    parent_instance;
  char      *plugin_id;
  char      *module_id;
  GError    *error;
  gboolean   allowed;
  gint64     begin_time;
  gint64     end_time;
  GPtrArray *modules;
};

G_DEFINE_FINAL_TYPE (BkStartupResult, bk_startup_result, G_TYPE_OBJECT)
G_DEFINE_FINAL_TYPE (BkFeatureResult, bk_feature_result, G_TYPE_OBJECT)

static void
bk_startup_result_finalize (GObject *object)
{
  BkStartupResult *self = BK_STARTUP_RESULT (object);

  g_clear_pointer (&self->plugins, g_ptr_array_unref);

  G_OBJECT_CLASS (bk_startup_result_parent_class)->finalize (object);
}

static void
bk_startup_result_class_init (BkStartupResultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bk_startup_result_finalize;
}

static void
bk_startup_result_init (BkStartupResult *self)
{
  self->plugins = g_ptr_array_new_with_free_func (g_object_unref);
}

static void
bk_feature_result_finalize (GObject *object)
{
  BkFeatureResult *self = BK_FEATURE_RESULT (object);

  g_clear_pointer (&self->plugin_id, g_free);
  g_clear_pointer (&self->module_id, g_free);
  g_clear_error (&self->error);
  g_clear_pointer (&self->modules, g_ptr_array_unref);

  G_OBJECT_CLASS (bk_feature_result_parent_class)->finalize (object);
}

static void
bk_feature_result_class_init (BkFeatureResultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bk_feature_result_finalize;
}

static void
bk_feature_result_init (BkFeatureResult *self)
{
  self->modules = g_ptr_array_new_with_free_func (g_object_unref);
}

BkStartupResult *
_bk_startup_result_new (void)
{
  BkStartupResult *self = g_object_new (BK_TYPE_STARTUP_RESULT, NULL);

  self->begin_time = g_get_monotonic_time ();
  return self;
}

void
_bk_startup_result_finish (BkStartupResult *self,
                           gboolean         success)
{
  self->success = success;
  self->end_time = g_get_monotonic_time ();
}

void
_bk_startup_result_add_plugin (BkStartupResult *self,
                               BkFeatureResult *plugin)
{
  g_ptr_array_add (self->plugins, g_object_ref (plugin));
}

BkFeatureResult *
_bk_feature_result_new (const char *plugin_id,
                        const char *module_id)
{
  BkFeatureResult *self = g_object_new (BK_TYPE_FEATURE_RESULT, NULL);

  self->plugin_id = g_strdup (plugin_id);
  self->module_id = g_strdup (module_id);
  return self;
}

void
_bk_feature_result_add_module (BkFeatureResult *self,
                               BkFeatureResult *module)
{
  g_ptr_array_add (self->modules, g_object_ref (module));
}

void
_bk_feature_result_begin (BkFeatureResult *self)
{
  if (self->begin_time == 0)
    self->begin_time = g_get_monotonic_time ();
}

void
_bk_feature_result_end (BkFeatureResult *self,
                        const GError    *error,
                        gboolean         allowed)
{
  _bk_feature_result_begin (self);
  self->end_time = g_get_monotonic_time ();
  if (error != NULL && self->error == NULL)
    {
      self->error = g_error_copy (error);
      self->allowed = allowed;
    }
}

void
_bk_feature_result_set_allowed (BkFeatureResult *self,
                                gboolean         allowed)
{
  self->allowed = allowed;
}

/**
 * bk_startup_result_is_success:
 * @self: a #BkStartupResult
 *
 * Tells whether the backend started.
 *
 * Returns: %TRUE if the backend started (failures, if any, were allowed)
 *
 * Since: 0.1
 */
gboolean
bk_startup_result_is_success (BkStartupResult *self)
{
  g_return_val_if_fail (BK_IS_STARTUP_RESULT (self), FALSE);

  return self->success;
}

/**
 * bk_startup_result_get_begin_time:
 * @self: a #BkStartupResult
 *
 * Gets when the start began.
 *
 * Returns: when the start began, in g_get_monotonic_time() microseconds
 *
 * Since: 0.1
 */
gint64
bk_startup_result_get_begin_time (BkStartupResult *self)
{
  g_return_val_if_fail (BK_IS_STARTUP_RESULT (self), 0);

  return self->begin_time;
}

/**
 * bk_startup_result_get_end_time:
 * @self: a #BkStartupResult
 *
 * Gets when the start ended.
 *
 * Returns: when the start ended, in g_get_monotonic_time() microseconds
 *
 * Since: 0.1
 */
gint64
bk_startup_result_get_end_time (BkStartupResult *self)
{
  g_return_val_if_fail (BK_IS_STARTUP_RESULT (self), 0);

  return self->end_time;
}

/**
 * bk_startup_result_get_plugins:
 * @self: a #BkStartupResult
 *
 * Gets the result of every plugin.
 *
 * Returns: (transfer none) (element-type BkFeatureResult): one result per
 *   plugin, in registration order
 *
 * Since: 0.1
 */
GPtrArray *
bk_startup_result_get_plugins (BkStartupResult *self)
{
  g_return_val_if_fail (BK_IS_STARTUP_RESULT (self), NULL);

  return self->plugins;
}

/**
 * bk_startup_result_find_plugin:
 * @self: a #BkStartupResult
 * @plugin_id: a plugin id
 *
 * Finds the result of a plugin.
 *
 * Returns: (transfer none) (nullable): the plugin's result, or %NULL
 *
 * Since: 0.1
 */
BkFeatureResult *
bk_startup_result_find_plugin (BkStartupResult *self,
                               const char      *plugin_id)
{
  g_return_val_if_fail (BK_IS_STARTUP_RESULT (self), NULL);
  g_return_val_if_fail (plugin_id != NULL, NULL);

  for (guint i = 0; i < self->plugins->len; i++)
    {
      BkFeatureResult *r = g_ptr_array_index (self->plugins, i);

      if (g_strcmp0 (r->plugin_id, plugin_id) == 0)
        return r;
    }
  return NULL;
}

/**
 * bk_feature_result_get_plugin_id:
 * @self: a #BkFeatureResult
 *
 * Gets the plugin id.
 *
 * Returns: (transfer none): the plugin id
 *
 * Since: 0.1
 */
const char *
bk_feature_result_get_plugin_id (BkFeatureResult *self)
{
  g_return_val_if_fail (BK_IS_FEATURE_RESULT (self), NULL);

  return self->plugin_id;
}

/**
 * bk_feature_result_get_module_id:
 * @self: a #BkFeatureResult
 *
 * Gets the module id, for a module's result.
 *
 * Returns: (transfer none) (nullable): the module id, or %NULL for a plugin
 *
 * Since: 0.1
 */
const char *
bk_feature_result_get_module_id (BkFeatureResult *self)
{
  g_return_val_if_fail (BK_IS_FEATURE_RESULT (self), NULL);

  return self->module_id;
}

/**
 * bk_feature_result_get_error:
 * @self: a #BkFeatureResult
 *
 * Gets why the plugin or module failed.
 *
 * Returns: (transfer none) (nullable): why it failed, or %NULL if it started
 *
 * Since: 0.1
 */
const GError *
bk_feature_result_get_error (BkFeatureResult *self)
{
  g_return_val_if_fail (BK_IS_FEATURE_RESULT (self), NULL);

  return self->error;
}

/**
 * bk_feature_result_is_failure_allowed:
 * @self: a #BkFeatureResult
 *
 * Tells whether a failure was allowed by the boot-failure policy.
 *
 * Returns: %TRUE if it failed and the boot-failure policy let the backend
 *   start anyway
 *
 * Since: 0.1
 */
gboolean
bk_feature_result_is_failure_allowed (BkFeatureResult *self)
{
  g_return_val_if_fail (BK_IS_FEATURE_RESULT (self), FALSE);

  return self->error != NULL && self->allowed;
}

/**
 * bk_feature_result_get_begin_time:
 * @self: a #BkFeatureResult
 *
 * Gets when the plugin or module began starting.
 *
 * Returns: when it began starting (monotonic microseconds), or 0 if it
 *   never began
 *
 * Since: 0.1
 */
gint64
bk_feature_result_get_begin_time (BkFeatureResult *self)
{
  g_return_val_if_fail (BK_IS_FEATURE_RESULT (self), 0);

  return self->begin_time;
}

/**
 * bk_feature_result_get_end_time:
 * @self: a #BkFeatureResult
 *
 * Gets when the plugin or module finished starting.
 *
 * Returns: when it finished (monotonic microseconds)
 *
 * Since: 0.1
 */
gint64
bk_feature_result_get_end_time (BkFeatureResult *self)
{
  g_return_val_if_fail (BK_IS_FEATURE_RESULT (self), 0);

  return self->end_time;
}

/**
 * bk_feature_result_get_modules:
 * @self: a #BkFeatureResult
 *
 * Gets the results of a plugin's modules.
 *
 * Returns: (transfer none) (element-type BkFeatureResult): a plugin's
 *   modules in registration order; empty for a module
 *
 * Since: 0.1
 */
GPtrArray *
bk_feature_result_get_modules (BkFeatureResult *self)
{
  g_return_val_if_fail (BK_IS_FEATURE_RESULT (self), NULL);

  return self->modules;
}

/**
 * bk_feature_result_find_module:
 * @self: a plugin's #BkFeatureResult
 * @module_id: a module id
 *
 * Finds the result of one of a plugin's modules.
 *
 * Returns: (transfer none) (nullable): the module's result, or %NULL
 *
 * Since: 0.1
 */
BkFeatureResult *
bk_feature_result_find_module (BkFeatureResult *self,
                               const char      *module_id)
{
  g_return_val_if_fail (BK_IS_FEATURE_RESULT (self), NULL);
  g_return_val_if_fail (module_id != NULL, NULL);

  for (guint i = 0; i < self->modules->len; i++)
    {
      BkFeatureResult *r = g_ptr_array_index (self->modules, i);

      if (g_strcmp0 (r->module_id, module_id) == 0)
        return r;
    }
  return NULL;
}
