/* bk-config-private.h: what the config files share inside libbackend.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "libbackend.h"

G_BEGIN_DECLS

/* Limits of the YAML reader (bk-yaml.c). A document deeper than
 * BK_YAML_MAX_DEPTH, or whose aliases would copy more than
 * BK_YAML_MAX_ALIAS_NODES nodes or BK_YAML_MAX_ALIAS_BYTES bytes of
 * scalars, is refused: this keeps the parse linear in the input and the
 * recursion of everything that walks the tree bounded. */
#define BK_YAML_MAX_DEPTH        256
#define BK_YAML_MAX_ALIAS_NODES  10000
#define BK_YAML_MAX_ALIAS_BYTES  (1024 * 1024)

/* Backstage's name for a value's type: object, array, null, string,
 * boolean or number (bk-config.c). */
const char *_bk_json_type_name (JsonNode *node);

/* A fresh, mutable deep copy of @node, keeping member order (bk-config.c). */
JsonNode *_bk_json_node_deep_copy (JsonNode *node);

/* Called by _bk_config_walk() for each node, in document order, with its
 * full key path (`a.b`, `list[0].c`; empty for the root) and its member name
 * (%NULL for the root and array elements). Returns whether to walk the
 * members or elements below @node. */
typedef gboolean (*BkConfigVisitFunc) (JsonNode   *node,
                                       const char *path,
                                       const char *name,
                                       gpointer    user_data);

/* Walks the tree below @node, whose key path is @path (restored on return),
 * calling @visit on @node and, as it allows, on what is below (bk-config.c). */
void _bk_config_walk (JsonNode          *node,
                      GString           *path,
                      BkConfigVisitFunc  visit,
                      gpointer           user_data);

/* Parses one YAML 1.2 document (core schema) into a mutable JSON tree.
 * An empty stream, or a document that is only a comment, is a JSON null.
 * When @lines is not %NULL, it receives the 1-based line of every node made
 * from the text (JsonNode * → GUINT_TO_POINTER (line)); copies made by
 * aliases are not recorded. Errors are %BK_CONFIG_ERROR_PARSE and name
 * @source, a line and a column. */
JsonNode *_bk_yaml_parse (const char   *data,
                          gsize         length,
                          const char   *source,
                          GHashTable   *lines,
                          GError      **error);

/* Where each value of a loaded config came from: the file (or environment
 * variable) that set it, whether it is secret ($env, $file), and which keys
 * were dropped by an unset environment variable. Paths are full keys in the
 * Backstage form (`a.b`, `list[0].c`). Filled by the loader in source
 * order: a later record of a path replaces an earlier one. */
typedef struct _BkConfigOrigins BkConfigOrigins;

BkConfigOrigins *_bk_config_origins_new            (void);
void             _bk_config_origins_free           (BkConfigOrigins *origins);
guint            _bk_config_origins_add_source     (BkConfigOrigins *origins,
                                                    const char      *name);
const char      *_bk_config_origins_get_source     (BkConfigOrigins *origins,
                                                    guint            index);
void             _bk_config_origins_record         (BkConfigOrigins *origins,
                                                    const char      *path,
                                                    guint            source,
                                                    gboolean         secret);
void             _bk_config_origins_record_dropped (BkConfigOrigins *origins,
                                                    const char      *path,
                                                    guint            source,
                                                    const char      *reason);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BkConfigOrigins, _bk_config_origins_free)

/* Takes @root (an object node, sealed or not; a mutable one is sealed in
 * place, so the caller must not change it afterwards) and @origins. */
BkConfig        *_bk_config_new_with_origins       (JsonNode        *root,
                                                    const char      *source,
                                                    BkConfigOrigins *origins);

/* Signals of BkRootConfig, for its implementations. */
void             _bk_root_config_emit_changed       (BkRootConfig    *self);
void             _bk_root_config_emit_reload_failed (BkRootConfig    *self,
                                                     const GError    *error);

G_END_DECLS
