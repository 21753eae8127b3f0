/* bk-config-loader.c: the default `core.rootConfig`: config files.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "libbackend.h"
#include "bk-services-private.h"

/**
 * bk_config_new_from_yaml:
 * @yaml: a YAML document
 * @length: its length, or -1 if it is nul-terminated
 * @source: (not nullable): names the document in messages
 * @error: return location for a #GError
 *
 * Parses one YAML document into a config snapshot, without any directive
 * or substitution.
 *
 * Returns: (transfer full) (nullable): a new #BkConfig, or %NULL with
 *   @error set
 *
 * Since: 0.1
 */
BkConfig *
bk_config_new_from_yaml (const char  *yaml,
                         gssize       length,
                         const char  *source,
                         GError     **error)
{
  g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE,
               "Failed to parse config in '%s', YAML is not supported yet", source);
  return NULL;
}

static char **command_line_paths;

void
_bk_root_config_set_command_line_paths (const char * const *paths)
{
  g_strfreev (command_line_paths);
  command_line_paths = g_strdupv ((char **) paths);
}

/**
 * bk_root_config_factory_new:
 * @config_paths: (array zero-terminated=1) (nullable): config files, later
 *   ones winning; %NULL for the default sources
 *
 * Creates a `core.rootConfig` factory that reads config files.
 *
 * Returns: (transfer full): a new #BkServiceFactory
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_root_config_factory_new (const char * const *config_paths)
{
  return _bk_root_config_default_factory ();
}
