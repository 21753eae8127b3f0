/* bk-config.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "bk-types.h"

G_BEGIN_DECLS

/**
 * BK_CONFIG_ERROR:
 *
 * Error domain for configuration errors, from #BkConfigError.
 *
 * Since: 0.1
 */
#define BK_CONFIG_ERROR (bk_config_error_quark ())

/**
 * BkConfigError:
 * @BK_CONFIG_ERROR_MISSING: a required key is absent
 * @BK_CONFIG_ERROR_INVALID_TYPE: a key holds a value of another type
 * @BK_CONFIG_ERROR_PARSE: a configuration source could not be parsed
 *
 * Error codes in the %BK_CONFIG_ERROR domain.
 *
 * Since: 0.1
 */
typedef enum
{
  BK_CONFIG_ERROR_MISSING,
  BK_CONFIG_ERROR_INVALID_TYPE,
  BK_CONFIG_ERROR_PARSE,
} BkConfigError;

#define BK_TYPE_CONFIG (bk_config_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkConfig, bk_config, BK, CONFIG, GObject)

BK_AVAILABLE_IN_ALL
GQuark      bk_config_error_quark           (void);
BK_AVAILABLE_IN_ALL
BkConfig   *bk_config_new                   (JsonNode     *root,
                                             const char   *source);
BK_AVAILABLE_IN_ALL
BkConfig   *bk_config_new_from_json         (const char   *json,
                                             const char   *source,
                                             GError      **error);
BK_AVAILABLE_IN_ALL
BkConfig   *bk_config_new_from_yaml         (const char   *yaml,
                                             gssize        length,
                                             const char   *source,
                                             GError      **error);
BK_AVAILABLE_IN_ALL
BkConfig   *bk_config_new_from_files        (const char * const  *paths,
                                             GError             **error);
BK_AVAILABLE_IN_ALL
char      **bk_config_dup_secrets           (BkConfig     *self);
BK_AVAILABLE_IN_ALL
char      **bk_config_dup_unread_keys       (BkConfig     *self);
BK_AVAILABLE_IN_ALL
char       *bk_config_dup_key_source        (BkConfig     *self,
                                             const char   *key);
BK_AVAILABLE_IN_ALL
const char *bk_config_get_source            (BkConfig     *self);
BK_AVAILABLE_IN_ALL
const char *bk_config_get_prefix            (BkConfig     *self);
BK_AVAILABLE_IN_ALL
gboolean    bk_config_has                   (BkConfig     *self,
                                             const char   *key);
BK_AVAILABLE_IN_ALL
char      **bk_config_get_keys              (BkConfig     *self);
BK_AVAILABLE_IN_ALL
JsonNode   *bk_config_dup_node              (BkConfig     *self,
                                             const char   *key);
BK_AVAILABLE_IN_ALL
gboolean    bk_config_get_string            (BkConfig     *self,
                                             const char   *key,
                                             char        **out,
                                             GError      **error);
BK_AVAILABLE_IN_ALL
gboolean    bk_config_get_int               (BkConfig     *self,
                                             const char   *key,
                                             gint64       *out,
                                             GError      **error);
BK_AVAILABLE_IN_ALL
gboolean    bk_config_get_double            (BkConfig     *self,
                                             const char   *key,
                                             double       *out,
                                             GError      **error);
BK_AVAILABLE_IN_ALL
gboolean    bk_config_get_boolean           (BkConfig     *self,
                                             const char   *key,
                                             gboolean     *out,
                                             GError      **error);
BK_AVAILABLE_IN_ALL
gboolean    bk_config_get_string_array      (BkConfig     *self,
                                             const char   *key,
                                             char       ***out,
                                             GError      **error);
BK_AVAILABLE_IN_ALL
gboolean    bk_config_get_config            (BkConfig     *self,
                                             const char   *key,
                                             BkConfig    **out,
                                             GError      **error);
BK_AVAILABLE_IN_ALL
gboolean    bk_config_get_config_array      (BkConfig     *self,
                                             const char   *key,
                                             GPtrArray   **out,
                                             GError      **error);
BK_AVAILABLE_IN_ALL
gboolean    bk_config_get_optional_string   (BkConfig     *self,
                                             const char   *key,
                                             const char   *default_value,
                                             char        **out,
                                             GError      **error);
BK_AVAILABLE_IN_ALL
gboolean    bk_config_get_optional_int      (BkConfig     *self,
                                             const char   *key,
                                             gint64        default_value,
                                             gint64       *out,
                                             GError      **error);
BK_AVAILABLE_IN_ALL
gboolean    bk_config_get_optional_double   (BkConfig     *self,
                                             const char   *key,
                                             double        default_value,
                                             double       *out,
                                             GError      **error);
BK_AVAILABLE_IN_ALL
gboolean    bk_config_get_optional_boolean  (BkConfig     *self,
                                             const char   *key,
                                             gboolean      default_value,
                                             gboolean     *out,
                                             GError      **error);
BK_AVAILABLE_IN_ALL
gboolean    bk_config_get_optional_config   (BkConfig     *self,
                                             const char   *key,
                                             BkConfig    **out,
                                             GError      **error);

G_END_DECLS
