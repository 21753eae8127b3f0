/* bk-backend-error.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "bk-core-private.h"

/**
 * bk_backend_error_quark:
 *
 * The error domain of wiring and startup errors.
 *
 * Returns: the #GQuark of %BK_BACKEND_ERROR
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (bk-backend-error-quark, bk_backend_error)

#define ID_PATTERN "/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/i (letters, digits, and dashes only, starting with a letter)"

static gboolean
id_matches (const char *id)
{
  const char *p = id;

  /* ^[a-z][a-z0-9]*(-[a-z0-9]+)*$ ignoring case */
  if (!g_ascii_isalpha (*p))
    return FALSE;
  for (p++; *p; p++)
    {
      if (*p == '-')
        {
          if (!g_ascii_isalnum (p[1]))
            return FALSE;
        }
      else if (!g_ascii_isalnum (*p))
        return FALSE;
    }
  return TRUE;
}

/**
 * bk_validate_id:
 * @plugin_id: a plugin id
 * @module_id: (nullable): a module id, or %NULL to check a plugin id only
 * @error: return location for a #GError
 *
 * Checks plugin and module ids against Backstage's pattern
 * `^[a-z][a-z0-9]*(-[a-z0-9]+)*$`, ignoring case.
 *
 * Returns: %TRUE if the ids are valid; otherwise %FALSE with @error set to
 *   %BK_BACKEND_ERROR_INVALID_ID
 *
 * Since: 0.1
 */
gboolean
bk_validate_id (const char  *plugin_id,
                const char  *module_id,
                GError     **error)
{
  g_return_val_if_fail (plugin_id != NULL, FALSE);

  if (!id_matches (plugin_id))
    {
      g_set_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_INVALID_ID,
                   "Invalid pluginId '%s', must match the pattern " ID_PATTERN, plugin_id);
      return FALSE;
    }
  if (module_id != NULL && !id_matches (module_id))
    {
      g_set_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_INVALID_ID,
                   "Invalid moduleId '%s' for plugin '%s', must match the pattern " ID_PATTERN,
                   module_id, plugin_id);
      return FALSE;
    }
  return TRUE;
}
