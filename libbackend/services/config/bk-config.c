/* bk-config.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <math.h>
#include <string.h>

#include "libbackend.h"
#include "bk-config-private.h"

/**
 * BkConfig:
 *
 * An immutable snapshot of configuration, read by dotted keys.
 *
 * A `BkConfig` wraps a JSON object (parsed from `app-config.yaml`, built by
 * a test, …) together with the name of the source it came from. Keys are
 * dot paths such as `backend.startup.default.onPluginBootFailure`; the
 * getters check the type of what they find and fail with the messages users
 * of Backstage know:
 *
 * ```
 * Missing required config value at 'backend.listen.port' in 'app-config.yaml'
 * Invalid type in config for key 'backend.listen.port' in 'app-config.yaml', got boolean, wanted number
 * ```
 *
 * [method@Bk.Config.get_config] returns a sub-config that keeps the full
 * path as its prefix, so errors read from it still name the whole key and
 * the same source.
 *
 * Reading rules:
 *
 * - A key whose value is JSON `null` reads as absent: required getters fail
 *   with %BK_CONFIG_ERROR_MISSING, optional getters return their default and
 *   [method@Bk.Config.has] returns %FALSE.
 * - Numbers may be given as strings: `"42"` reads as 42 for
 *   [method@Bk.Config.get_int] and [method@Bk.Config.get_double]. A string
 *   that is not a number fails with `Unable to convert config value for key
 *   '<key>' in '<source>' to a number`.
 * - [method@Bk.Config.get_int] refuses a number that is not integral (or
 *   does not fit in 64 bits) with `got number, wanted integer`; other types
 *   fail with `wanted number`.
 * - Booleans are JSON `true` and `false`, or the strings `"true"` and
 *   `"false"` (in any case); another string fails with `Unable to convert
 *   config value for key '<key>' in '<source>' to a boolean`.
 * - Strings are never made from numbers or booleans (`got number, wanted
 *   string`); the empty string is a valid string.
 * - A bad element of an array is named with its index: `hosts[1]`, `got
 *   number, wanted string` (or `wanted object` for a config array).
 * - Walking through a value that is not an object (`a.b` where `a` is `3`)
 *   fails with `Invalid type in config for key 'a' in '<source>', got number,
 *   wanted object`.
 *
 * Every error is in the %BK_CONFIG_ERROR domain. A getter that fails leaves
 * its out argument untouched. In a config loaded from files
 * ([ctor@Bk.Config.new_from_files]), a wrong type names the file that set
 * the value, a missing key names every file read, and a key dropped by an
 * unset environment variable says so:
 *
 * ```
 * Missing required config value at 'backend.auth.secret' in 'app-config.yaml'; its value was dropped because the environment variable 'AUTH_SECRET' is not set
 * ```
 *
 * Snapshots cut from one tree (a root config and the sub-configs read from
 * it) share a record of the keys their getters read:
 * [method@Bk.Config.dup_unread_keys] lists the others, and
 * [method@Bk.Config.dup_key_source] names the file each came from, so a
 * backend can warn about keys nothing uses. [method@Bk.Config.dup_secrets]
 * lists the values a logger must redact.
 *
 * A `BkConfig` never changes after it is made, so it may be read from any
 * thread (the read record is guarded by a lock). A new snapshot is a new
 * object; see [iface@Bk.RootConfig].
 *
 * Since: 0.1
 */

/* What every snapshot cut from one tree shares: the whole tree, where its
 * values came from, and which keys were read. */
typedef struct
{
  gatomicrefcount  ref_count;

  /* The sealed root object of the whole tree. */
  JsonNode        *root;
  /* NULL for a config built from one JSON or YAML document. */
  BkConfigOrigins *origins;

  GMutex           mutex;
  /* Full keys a getter found (guarded by @mutex). */
  GHashTable      *read;
  /* Full keys whose whole subtree was copied by dup_node (guarded). */
  GHashTable      *read_subtrees;
} Tree;

struct _BkConfig
{
  GObject   parent_instance;

  /* A sealed (immutable) JSON object node, shared with sub-configs. */
  JsonNode *root;
  char     *source;
  /* The full key of this config inside its source; "" for the root. */
  char     *prefix;
  Tree     *tree;
};

struct _BkConfigOrigins
{
  /* Names of the sources, indexed by the records. */
  GPtrArray  *sources;
  /* Full path → GUINT_TO_POINTER (((source + 1) << 1) | secret). */
  GHashTable *paths;
  /* Full path → Dropped. */
  GHashTable *dropped;
};

typedef struct
{
  guint  source;
  char  *reason;
} Dropped;

G_DEFINE_FINAL_TYPE (BkConfig, bk_config, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SOURCE,
  PROP_PREFIX,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/**
 * bk_config_error_quark:
 *
 * The error domain of configuration errors.
 *
 * Returns: the #GQuark of %BK_CONFIG_ERROR
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (bk-config-error-quark, bk_config_error)

typedef enum
{
  READ_OK,
  READ_ABSENT,
  READ_FAILED,
} ReadStatus;

typedef struct
{
  gboolean is_int;
  gint64   i;
  double   d;
} Number;

/* ------------------------------------------------------------------------ */
/* Origins and the shared tree                                              */
/* ------------------------------------------------------------------------ */

static void
dropped_free (gpointer data)
{
  Dropped *dropped = data;

  g_free (dropped->reason);
  g_free (dropped);
}

BkConfigOrigins *
_bk_config_origins_new (void)
{
  BkConfigOrigins *origins = g_new0 (BkConfigOrigins, 1);

  origins->sources = g_ptr_array_new_with_free_func (g_free);
  origins->paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  origins->dropped = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, dropped_free);

  return origins;
}

void
_bk_config_origins_free (BkConfigOrigins *origins)
{
  if (origins == NULL)
    return;

  g_ptr_array_unref (origins->sources);
  g_hash_table_unref (origins->paths);
  g_hash_table_unref (origins->dropped);
  g_free (origins);
}

guint
_bk_config_origins_add_source (BkConfigOrigins *origins,
                               const char      *name)
{
  for (guint i = 0; i < origins->sources->len; i++)
    {
      if (g_str_equal (g_ptr_array_index (origins->sources, i), name))
        return i;
    }

  g_ptr_array_add (origins->sources, g_strdup (name));
  return origins->sources->len - 1;
}

const char *
_bk_config_origins_get_source (BkConfigOrigins *origins,
                               guint            index)
{
  g_assert (index < origins->sources->len);

  return g_ptr_array_index (origins->sources, index);
}

void
_bk_config_origins_record (BkConfigOrigins *origins,
                           const char      *path,
                           guint            source,
                           gboolean         secret)
{
  g_assert (source < origins->sources->len);

  g_hash_table_replace (origins->paths, g_strdup (path),
                        GUINT_TO_POINTER (((source + 1) << 1) | (secret ? 1 : 0)));
  g_hash_table_remove (origins->dropped, path);
}

void
_bk_config_origins_record_dropped (BkConfigOrigins *origins,
                                   const char      *path,
                                   guint            source,
                                   const char      *reason)
{
  Dropped *dropped = g_new0 (Dropped, 1);

  g_assert (source < origins->sources->len);

  dropped->source = source;
  dropped->reason = g_strdup (reason);
  g_hash_table_replace (origins->dropped, g_strdup (path), dropped);
}

static void
walk_node (JsonNode          *node,
           GString           *path,
           const char        *name,
           BkConfigVisitFunc  visit,
           gpointer           user_data)
{
  gsize len = path->len;

  if (!visit (node, path->str, name, user_data))
    return;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *member_name;
      JsonNode *member;

      json_object_iter_init_ordered (&iter, json_node_get_object (node));
      while (json_object_iter_next_ordered (&iter, &member_name, &member))
        {
          if (len > 0)
            g_string_append_c (path, '.');
          g_string_append (path, member_name);
          walk_node (member, path, member_name, visit, user_data);
          g_string_truncate (path, len);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      guint n = json_array_get_length (array);

      for (guint i = 0; i < n; i++)
        {
          g_string_append_printf (path, "[%u]", i);
          walk_node (json_array_get_element (array, i), path, NULL, visit, user_data);
          g_string_truncate (path, len);
        }
    }
}

void
_bk_config_walk (JsonNode          *node,
                 GString           *path,
                 BkConfigVisitFunc  visit,
                 gpointer           user_data)
{
  walk_node (node, path, NULL, visit, user_data);
}

/* Takes @root (sealed) and @origins. */
static Tree *
tree_new (JsonNode        *root,
          BkConfigOrigins *origins)
{
  Tree *tree = g_new0 (Tree, 1);

  g_atomic_ref_count_init (&tree->ref_count);
  tree->root = root;
  tree->origins = origins;
  g_mutex_init (&tree->mutex);
  tree->read = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  tree->read_subtrees = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  return tree;
}

static Tree *
tree_ref (Tree *tree)
{
  g_atomic_ref_count_inc (&tree->ref_count);
  return tree;
}

static void
tree_unref (Tree *tree)
{
  if (!g_atomic_ref_count_dec (&tree->ref_count))
    return;

  json_node_unref (tree->root);
  _bk_config_origins_free (tree->origins);
  g_mutex_clear (&tree->mutex);
  g_hash_table_unref (tree->read);
  g_hash_table_unref (tree->read_subtrees);
  g_free (tree);
}

/* The source and secrecy recorded for @path, or for its nearest recorded
 * ancestor. FALSE when nothing is recorded. */
/* Cuts the full key @key to its parent, in place: `a.b[2]` → `a.b` → `a`.
 * Returns FALSE, leaving @key alone, when it has no parent. */
static gboolean
cut_to_parent (char *key)
{
  char *cut = NULL;

  for (char *p = key; *p != '\0'; p++)
    {
      if (*p == '.' || *p == '[')
        cut = p;
    }
  if (cut == NULL || cut == key)
    return FALSE;

  *cut = '\0';
  return TRUE;
}

static gboolean
tree_lookup_origin (Tree       *tree,
                    const char *path,
                    guint      *source,
                    gboolean   *secret)
{
  g_autofree char *walk = NULL;
  gpointer value;

  if (tree->origins == NULL)
    return FALSE;

  walk = g_strdup (path);

  for (;;)
    {
      if (g_hash_table_lookup_extended (tree->origins->paths, walk, NULL, &value))
        {
          guint packed = GPOINTER_TO_UINT (value);

          if (source != NULL)
            *source = (packed >> 1) - 1;
          if (secret != NULL)
            *secret = (packed & 1) != 0;
          return TRUE;
        }

      if (!cut_to_parent (walk))
        return FALSE;
    }
}

static void
bk_config_finalize (GObject *object)
{
  BkConfig *self = (BkConfig *)object;

  g_clear_pointer (&self->tree, tree_unref);
  g_clear_pointer (&self->root, json_node_unref);
  g_clear_pointer (&self->source, g_free);
  g_clear_pointer (&self->prefix, g_free);

  G_OBJECT_CLASS (bk_config_parent_class)->finalize (object);
}

static void
bk_config_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  BkConfig *self = BK_CONFIG (object);

  switch (prop_id)
    {
    case PROP_SOURCE:
      g_value_set_string (value, self->source);
      break;

    case PROP_PREFIX:
      g_value_set_string (value, self->prefix);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bk_config_class_init (BkConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bk_config_finalize;
  object_class->get_property = bk_config_get_property;

  /**
   * BkConfig:source:
   *
   * The name of the source this config was read from, such as
   * `app-config.yaml` or `mock-config`. Error messages name it.
   *
   * Since: 0.1
   */
  properties[PROP_SOURCE] =
    g_param_spec_string ("source", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * BkConfig:prefix:
   *
   * The full key of this config inside its source: the empty string for a
   * root config, `backend` for the config returned by
   * `bk_config_get_config (root, "backend", …)`, `items[2]` for the third
   * element of a config array.
   *
   * Since: 0.1
   */
  properties[PROP_PREFIX] =
    g_param_spec_string ("prefix", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bk_config_init (BkConfig *self)
{
}

/* Builds a fresh, mutable deep copy of @node, keeping member order. Value
 * nodes are rebuilt rather than shared: json_node_copy() shares the
 * JsonValue, which json_node_set_*() on the original would then change. */
JsonNode *
_bk_json_node_deep_copy (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *src = json_node_get_object (node);
        g_autoptr(JsonObject) dst = json_object_new ();
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;

        json_object_iter_init_ordered (&iter, src);
        while (json_object_iter_next_ordered (&iter, &name, &member))
          json_object_set_member (dst, name, _bk_json_node_deep_copy (member));

        return json_node_init_object (json_node_alloc (), dst);
      }

    case JSON_NODE_ARRAY:
      {
        JsonArray *src = json_node_get_array (node);
        guint n = json_array_get_length (src);
        g_autoptr(JsonArray) dst = json_array_sized_new (n);

        for (guint i = 0; i < n; i++)
          json_array_add_element (dst, _bk_json_node_deep_copy (json_array_get_element (src, i)));

        return json_node_init_array (json_node_alloc (), dst);
      }

    case JSON_NODE_VALUE:
      {
        GType type = json_node_get_value_type (node);

        if (type == G_TYPE_INT64)
          return json_node_init_int (json_node_alloc (), json_node_get_int (node));
        if (type == G_TYPE_DOUBLE)
          return json_node_init_double (json_node_alloc (), json_node_get_double (node));
        if (type == G_TYPE_BOOLEAN)
          return json_node_init_boolean (json_node_alloc (), json_node_get_boolean (node));
        return json_node_init_string (json_node_alloc (), json_node_get_string (node));
      }

    case JSON_NODE_NULL:
      return json_node_init_null (json_node_alloc ());

    default:
      g_assert_not_reached ();
    }

  return NULL;
}

/* Takes @root (a sealed object node), @prefix and @tree. */
static BkConfig *
bk_config_new_internal (JsonNode   *root,
                        const char *source,
                        char       *prefix,
                        Tree       *tree)
{
  BkConfig *self;

  g_assert (root != NULL);
  g_assert (JSON_NODE_HOLDS_OBJECT (root));
  g_assert (json_node_is_immutable (root));
  g_assert (tree != NULL);

  self = g_object_new (BK_TYPE_CONFIG, NULL);
  self->root = root;
  self->source = g_strdup (source);
  self->prefix = prefix;
  self->tree = tree;

  return self;
}

BkConfig *
_bk_config_new_with_origins (JsonNode        *root,
                             const char      *source,
                             BkConfigOrigins *origins)
{
  g_assert (root != NULL && JSON_NODE_HOLDS_OBJECT (root));

  if (!json_node_is_immutable (root))
    json_node_seal (root);

  return bk_config_new_internal (root, source, g_strdup (""),
                                 tree_new (json_node_ref (root), origins));
}

/**
 * bk_config_new:
 * @root: (nullable): a JSON object node, or %NULL for an empty config
 * @source: the name of the source, used in error messages (for example
 *   `app-config.yaml`)
 *
 * Creates a config snapshot of @root.
 *
 * The snapshot does not follow later changes to @root: a mutable @root is
 * copied, an immutable (sealed) one is shared.
 *
 * Returns: (transfer full): a new #BkConfig
 *
 * Since: 0.1
 */
BkConfig *
bk_config_new (JsonNode   *root,
               const char *source)
{
  JsonNode *snapshot;

  g_return_val_if_fail (root == NULL || JSON_NODE_HOLDS_OBJECT (root), NULL);
  g_return_val_if_fail (source != NULL, NULL);

  if (root == NULL)
    {
      g_autoptr(JsonObject) empty = json_object_new ();

      snapshot = json_node_init_object (json_node_alloc (), empty);
      json_node_seal (snapshot);
    }
  else if (json_node_is_immutable (root))
    {
      snapshot = json_node_ref (root);
    }
  else
    {
      snapshot = _bk_json_node_deep_copy (root);
      json_node_seal (snapshot);
    }

  return bk_config_new_internal (snapshot, source, g_strdup (""),
                                 tree_new (json_node_ref (snapshot), NULL));
}

/* Backstage's name for the type of a config value, for messages. */
const char *
_bk_json_type_name (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      return "object";

    case JSON_NODE_ARRAY:
      return "array";

    case JSON_NODE_NULL:
      return "null";

    case JSON_NODE_VALUE:
      {
        GType type = json_node_get_value_type (node);

        if (type == G_TYPE_STRING)
          return "string";
        if (type == G_TYPE_BOOLEAN)
          return "boolean";
        return "number";
      }

    default:
      g_assert_not_reached ();
    }

  return NULL;
}

/**
 * bk_config_new_from_json:
 * @json: a JSON document whose root is an object
 * @source: the name of the source, used in error messages
 * @error: return location for a #GError
 *
 * Parses @json into a config snapshot. An empty document is an empty
 * config.
 *
 * Fails with %BK_CONFIG_ERROR_PARSE when @json is not valid JSON or its root
 * is not an object; the message names @source.
 *
 * Returns: (transfer full) (nullable): a new #BkConfig, or %NULL with @error
 *   set
 *
 * Since: 0.1
 */
BkConfig *
bk_config_new_from_json (const char  *json,
                         const char  *source,
                         GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  g_return_val_if_fail (json != NULL, NULL);
  g_return_val_if_fail (source != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* An immutable parser seals what it builds, so the tree is shared with
   * the snapshot instead of copied. */
  parser = json_parser_new_immutable ();

  if (!json_parser_load_from_data (parser, json, -1, &local_error))
    {
      g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE,
                   "Failed to parse config in '%s', %s",
                   source, local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);

  if (root == NULL)
    return bk_config_new (NULL, source);

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE,
                   "Failed to parse config in '%s', the root must be an object, got %s",
                   source, _bk_json_type_name (root));
      return NULL;
    }

  return bk_config_new (root, source);
}

/**
 * bk_config_new_from_yaml:
 * @yaml: (array length=length) (element-type guint8): a YAML document
 * @length: the length of @yaml in bytes, or -1 if it is nul-terminated
 * @source: the name of the source, used in error messages
 * @error: return location for a #GError
 *
 * Parses one YAML document into a config snapshot. This is the parse
 * alone: `${VAR}` substitution, the `$env`, `$file` and `$include`
 * directives and `APP_CONFIG_*` overrides belong to the file loader
 * ([ctor@Bk.Config.new_from_files]) and are left as they are here.
 *
 * The document is read with the YAML 1.2 core schema: `null`, `~` and an
 * empty value are null; `true` and `false` (also `True`, `TRUE`, …) are
 * booleans; decimal, `0o` octal and `0x` hexadecimal integers and floats
 * (with `.inf` and `.nan`) are numbers; every other plain scalar is a
 * string, `yes`, `no`, `on` and `off` included. A quoted scalar is always a
 * string. The tags `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!map`
 * and `!!seq` are honoured; other tags are refused.
 *
 * Refused with %BK_CONFIG_ERROR_PARSE, each naming @source, a line and a
 * column: a syntax error; a duplicate key (`Duplicate key 'x' at 'a.b' in
 * '<source>' line 4, column 3`); a key that is not a scalar; more than one
 * document; aliases that would expand to more than 10,000 nodes or 1 MiB
 * of text (a "billion laughs" document), or that refer to the node they are
 * in; nesting deeper than 256 levels; a root that is not a mapping. An
 * empty document is an empty config.
 *
 * Any input is safe: the parse never crashes and takes time linear in the
 * length of @yaml.
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
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (yaml != NULL || length == 0, NULL);
  g_return_val_if_fail (source != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (length < 0)
    length = strlen (yaml);

  root = _bk_yaml_parse (yaml, length, source, NULL, error);
  if (root == NULL)
    return NULL;

  if (JSON_NODE_HOLDS_NULL (root))
    return bk_config_new (NULL, source);

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE,
                   "Failed to parse config in '%s', the root must be an object, got %s",
                   source, _bk_json_type_name (root));
      return NULL;
    }

  /* Sealed here, so the snapshot shares the tree instead of copying it. */
  json_node_seal (root);
  return bk_config_new (root, source);
}

/**
 * bk_config_get_source:
 * @self: a #BkConfig
 *
 * Gets the name of the source this config was read from.
 *
 * Returns: the source name
 *
 * Since: 0.1
 */
const char *
bk_config_get_source (BkConfig *self)
{
  g_return_val_if_fail (BK_IS_CONFIG (self), NULL);

  return self->source;
}

/**
 * bk_config_get_prefix:
 * @self: a #BkConfig
 *
 * Gets the full key of this config inside its source: the empty string for
 * a root config, `backend.listen` for a sub-config read at that key.
 *
 * Returns: the prefix
 *
 * Since: 0.1
 */
const char *
bk_config_get_prefix (BkConfig *self)
{
  g_return_val_if_fail (BK_IS_CONFIG (self), NULL);

  return self->prefix;
}

static gboolean
key_is_valid (const char *key)
{
  const char *p;

  if (key == NULL || key[0] == '\0' || key[0] == '.')
    return FALSE;

  for (p = key; *p != '\0'; p++)
    {
      if (p[0] == '.' && (p[1] == '.' || p[1] == '\0'))
        return FALSE;
    }

  return TRUE;
}

static char *
full_key (BkConfig   *self,
          const char *key)
{
  if (self->prefix[0] == '\0')
    return g_strdup (key);

  return g_strconcat (self->prefix, ".", key, NULL);
}

/* The source that set the value at @full (a full key), for messages: the
 * file recorded by the loader, or the snapshot's source. */
static const char *
source_of (BkConfig   *self,
           const char *full)
{
  guint source;

  if (tree_lookup_origin (self->tree, full, &source, NULL))
    return _bk_config_origins_get_source (self->tree->origins, source);

  return self->source;
}

static void
set_invalid_type (BkConfig    *self,
                  const char  *key,
                  const char  *got,
                  const char  *wanted,
                  GError     **error)
{
  g_autofree char *full = full_key (self, key);

  g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
               "Invalid type in config for key '%s' in '%s', got %s, wanted %s",
               full, source_of (self, full), got, wanted);
}

static void
set_unconvertible (BkConfig    *self,
                   const char  *key,
                   const char  *wanted,
                   GError     **error)
{
  g_autofree char *full = full_key (self, key);

  g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
               "Unable to convert config value for key '%s' in '%s' to a %s",
               full, source_of (self, full), wanted);
}

/* Was @full, or one of its parents, dropped by the loader (an unset
 * environment variable)? */
static Dropped *
find_dropped (BkConfig   *self,
              const char *full)
{
  g_autofree char *walk = NULL;

  if (self->tree->origins == NULL || g_hash_table_size (self->tree->origins->dropped) == 0)
    return NULL;

  walk = g_strdup (full);

  for (;;)
    {
      Dropped *dropped = g_hash_table_lookup (self->tree->origins->dropped, walk);

      if (dropped != NULL)
        return dropped;
      if (!cut_to_parent (walk))
        return NULL;
    }
}

static gboolean
set_missing (BkConfig    *self,
             const char  *key,
             GError     **error)
{
  g_autofree char *full = full_key (self, key);
  Dropped *dropped = find_dropped (self, full);

  if (dropped != NULL)
    g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_MISSING,
                 "Missing required config value at '%s' in '%s'; %s",
                 full, _bk_config_origins_get_source (self->tree->origins, dropped->source),
                 dropped->reason);
  else
    g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_MISSING,
                 "Missing required config value at '%s' in '%s'",
                 full, self->source);
  return FALSE;
}

typedef enum
{
  MARK_NONE,
  /* A getter read the value at the key. */
  MARK_READ,
  /* The whole subtree at the key was copied out. */
  MARK_SUBTREE,
} Mark;

static void
mark_read (BkConfig   *self,
           const char *key,
           Mark        mark)
{
  g_autofree char *full = NULL;
  GHashTable *set;

  if (mark == MARK_NONE)
    return;

  full = key != NULL ? full_key (self, key) : g_strdup (self->prefix);
  set = mark == MARK_READ ? self->tree->read : self->tree->read_subtrees;

  g_mutex_lock (&self->tree->mutex);
  if (!g_hash_table_contains (set, full))
    g_hash_table_add (set, g_steal_pointer (&full));
  g_mutex_unlock (&self->tree->mutex);
}

/* Finds the node at @key. READ_ABSENT when a part is missing or null,
 * READ_FAILED when the walk meets a value that is not an object. A key
 * that is found (even `null`) is marked as @mark says. */
static ReadStatus
lookup (BkConfig     *self,
        const char   *key,
        Mark          mark,
        JsonNode    **out,
        GError      **error)
{
  JsonNode *node = self->root;
  const char *part = key;

  g_assert (key_is_valid (key));

  for (;;)
    {
      const char *dot = strchr (part, '.');
      gsize len = dot != NULL ? (gsize)(dot - part) : strlen (part);
      g_autofree char *name = NULL;

      if (JSON_NODE_HOLDS_NULL (node))
        return READ_ABSENT;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          /* The key up to the part that was not an object. */
          g_autofree char *walked = g_strndup (key, part > key ? (gsize)(part - key - 1) : 0);

          set_invalid_type (self, walked, _bk_json_type_name (node), "object", error);
          return READ_FAILED;
        }

      name = g_strndup (part, len);
      node = json_object_get_member (json_node_get_object (node), name);

      if (node == NULL)
        return READ_ABSENT;

      if (dot == NULL)
        break;

      part = dot + 1;
    }

  mark_read (self, key, mark);

  if (JSON_NODE_HOLDS_NULL (node))
    return READ_ABSENT;

  *out = node;
  return READ_OK;
}

/* Parses a number the way config files spell them: surrounding white space
 * is ignored, integers keep 64-bit precision, anything else goes through
 * g_ascii_strtod() and must be finite. */
static gboolean
parse_number (const char *str,
              Number     *num)
{
  g_autofree char *copy = g_strstrip (g_strdup (str));
  char *end = NULL;
  gint64 i;
  double d;

  if (copy[0] == '\0')
    return FALSE;

  errno = 0;
  i = g_ascii_strtoll (copy, &end, 10);
  if (errno == 0 && end != copy && *end == '\0')
    {
      num->is_int = TRUE;
      num->i = i;
      num->d = (double)i;
      return TRUE;
    }

  end = NULL;
  d = g_ascii_strtod (copy, &end);
  if (end != copy && *end == '\0' && isfinite (d))
    {
      num->is_int = FALSE;
      num->i = 0;
      num->d = d;
      return TRUE;
    }

  return FALSE;
}

static ReadStatus
read_number (BkConfig    *self,
             const char  *key,
             Number      *num,
             GError     **error)
{
  JsonNode *node = NULL;
  ReadStatus status;
  GType type;

  if ((status = lookup (self, key, MARK_READ, &node, error)) != READ_OK)
    return status;

  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;

  if (type == G_TYPE_INT64)
    {
      num->is_int = TRUE;
      num->i = json_node_get_int (node);
      num->d = (double)num->i;
      return READ_OK;
    }

  if (type == G_TYPE_DOUBLE)
    {
      num->is_int = FALSE;
      num->i = 0;
      num->d = json_node_get_double (node);
      return READ_OK;
    }

  if (type == G_TYPE_STRING)
    {
      if (!parse_number (json_node_get_string (node), num))
        {
          set_unconvertible (self, key, "number", error);
          return READ_FAILED;
        }

      return READ_OK;
    }

  set_invalid_type (self, key, _bk_json_type_name (node), "number", error);
  return READ_FAILED;
}

static ReadStatus
read_int (BkConfig    *self,
          const char  *key,
          gint64      *out,
          GError     **error)
{
  Number num;
  ReadStatus status;

  if ((status = read_number (self, key, &num, error)) != READ_OK)
    return status;

  if (num.is_int)
    {
      *out = num.i;
      return READ_OK;
    }

  /* An integral double inside the range of gint64 (3.0, 1e3) is fine. */
  if (num.d >= -9223372036854775808.0 &&
      num.d < 9223372036854775808.0 &&
      (double)(gint64)num.d == num.d)
    {
      *out = (gint64)num.d;
      return READ_OK;
    }

  set_invalid_type (self, key, "number", "integer", error);
  return READ_FAILED;
}

static ReadStatus
read_double (BkConfig    *self,
             const char  *key,
             double      *out,
             GError     **error)
{
  Number num;
  ReadStatus status;

  if ((status = read_number (self, key, &num, error)) != READ_OK)
    return status;

  *out = num.d;
  return READ_OK;
}

static ReadStatus
read_boolean (BkConfig    *self,
              const char  *key,
              gboolean    *out,
              GError     **error)
{
  JsonNode *node = NULL;
  ReadStatus status;
  GType type;

  if ((status = lookup (self, key, MARK_READ, &node, error)) != READ_OK)
    return status;

  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;

  if (type == G_TYPE_BOOLEAN)
    {
      *out = json_node_get_boolean (node);
      return READ_OK;
    }

  if (type == G_TYPE_STRING)
    {
      const char *str = json_node_get_string (node);

      if (g_ascii_strcasecmp (str, "true") == 0)
        {
          *out = TRUE;
          return READ_OK;
        }

      if (g_ascii_strcasecmp (str, "false") == 0)
        {
          *out = FALSE;
          return READ_OK;
        }

      set_unconvertible (self, key, "boolean", error);
      return READ_FAILED;
    }

  set_invalid_type (self, key, _bk_json_type_name (node), "boolean", error);
  return READ_FAILED;
}

/* On success *out points into the snapshot: valid while @self lives. */
static ReadStatus
read_string (BkConfig     *self,
             const char   *key,
             const char  **out,
             GError      **error)
{
  JsonNode *node = NULL;
  ReadStatus status;

  if ((status = lookup (self, key, MARK_READ, &node, error)) != READ_OK)
    return status;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      set_invalid_type (self, key, _bk_json_type_name (node), "string", error);
      return READ_FAILED;
    }

  *out = json_node_get_string (node);
  return READ_OK;
}

static ReadStatus
read_string_array (BkConfig    *self,
                   const char  *key,
                   char      ***out,
                   GError     **error)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonNode *node = NULL;
  JsonArray *array;
  ReadStatus status;
  guint n;

  if ((status = lookup (self, key, MARK_READ, &node, error)) != READ_OK)
    return status;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      set_invalid_type (self, key, _bk_json_type_name (node), "string-array", error);
      return READ_FAILED;
    }

  array = json_node_get_array (node);
  n = json_array_get_length (array);
  builder = g_strv_builder_new ();

  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) ||
          json_node_get_value_type (element) != G_TYPE_STRING)
        {
          g_autofree char *element_key = g_strdup_printf ("%s[%u]", key, i);

          set_invalid_type (self, element_key, _bk_json_type_name (element), "string", error);
          return READ_FAILED;
        }

      g_strv_builder_add (builder, json_node_get_string (element));
    }

  *out = g_strv_builder_end (builder);
  return READ_OK;
}

static ReadStatus
read_config (BkConfig    *self,
             const char  *key,
             BkConfig   **out,
             GError     **error)
{
  JsonNode *node = NULL;
  ReadStatus status;

  if ((status = lookup (self, key, MARK_NONE, &node, error)) != READ_OK)
    return status;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_invalid_type (self, key, _bk_json_type_name (node), "object", error);
      return READ_FAILED;
    }

  /* The snapshot is sealed, so the sub-tree can be shared. */
  *out = bk_config_new_internal (json_node_ref (node), self->source, full_key (self, key),
                                 tree_ref (self->tree));
  return READ_OK;
}

static ReadStatus
read_config_array (BkConfig    *self,
                   const char  *key,
                   GPtrArray  **out,
                   GError     **error)
{
  g_autoptr(GPtrArray) configs = NULL;
  JsonNode *node = NULL;
  JsonArray *array;
  ReadStatus status;
  guint n;

  if ((status = lookup (self, key, MARK_READ, &node, error)) != READ_OK)
    return status;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      set_invalid_type (self, key, _bk_json_type_name (node), "object-array", error);
      return READ_FAILED;
    }

  array = json_node_get_array (node);
  n = json_array_get_length (array);
  configs = g_ptr_array_new_full (n, g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree char *element_key = g_strdup_printf ("%s[%u]", key, i);

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          set_invalid_type (self, element_key, _bk_json_type_name (element), "object", error);
          return READ_FAILED;
        }

      g_ptr_array_add (configs,
                       bk_config_new_internal (json_node_ref (element),
                                               self->source,
                                               full_key (self, element_key),
                                               tree_ref (self->tree)));
    }

  *out = g_steal_pointer (&configs);
  return READ_OK;
}

/**
 * bk_config_has:
 * @self: a #BkConfig
 * @key: a dotted key
 *
 * Checks whether @key holds a value. A key set to `null`, or one below a
 * value that is not an object, has none.
 *
 * Returns: %TRUE if @key is present and not `null`
 *
 * Since: 0.1
 */
gboolean
bk_config_has (BkConfig   *self,
               const char *key)
{
  JsonNode *node = NULL;

  g_return_val_if_fail (BK_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (key_is_valid (key), FALSE);

  return lookup (self, key, MARK_NONE, &node, NULL) == READ_OK;
}

/**
 * bk_config_get_keys:
 * @self: a #BkConfig
 *
 * Lists the keys of this config's object, in document order. Keys set to
 * `null` are listed too.
 *
 * Returns: (transfer full) (array zero-terminated=1): the keys
 *
 * Since: 0.1
 */
char **
bk_config_get_keys (BkConfig *self)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  g_return_val_if_fail (BK_IS_CONFIG (self), NULL);

  builder = g_strv_builder_new ();

  json_object_iter_init_ordered (&iter, json_node_get_object (self->root));
  while (json_object_iter_next_ordered (&iter, &name, &member))
    g_strv_builder_add (builder, name);

  return g_strv_builder_end (builder);
}

/**
 * bk_config_dup_node:
 * @self: a #BkConfig
 * @key: (nullable): a dotted key, or %NULL for the whole config
 *
 * Copies the raw JSON at @key. The copy is deep and mutable: changing it
 * does not change the config.
 *
 * Returns: (transfer full) (nullable): a copy of the value at @key, or
 *   %NULL when it is absent or `null`
 *
 * Since: 0.1
 */
JsonNode *
bk_config_dup_node (BkConfig   *self,
                    const char *key)
{
  JsonNode *node = NULL;

  g_return_val_if_fail (BK_IS_CONFIG (self), NULL);
  g_return_val_if_fail (key == NULL || key_is_valid (key), NULL);

  if (key == NULL)
    {
      mark_read (self, NULL, MARK_SUBTREE);
      return _bk_json_node_deep_copy (self->root);
    }

  if (lookup (self, key, MARK_SUBTREE, &node, NULL) != READ_OK)
    return NULL;

  return _bk_json_node_deep_copy (node);
}

/* A required getter's outcome: absent is an error naming the key. */
static gboolean
required (BkConfig    *self,
          const char  *key,
          ReadStatus   status,
          GError     **error)
{
  if (status == READ_ABSENT)
    return set_missing (self, key, error);
  return status == READ_OK;
}

/**
 * bk_config_get_string:
 * @self: a #BkConfig
 * @key: a dotted key
 * @out: (out) (transfer full): return location for the string
 * @error: return location for a #GError
 *
 * Reads the string at @key. Numbers and booleans are not converted.
 *
 * Returns: %TRUE on success; %FALSE with %BK_CONFIG_ERROR_MISSING or
 *   %BK_CONFIG_ERROR_INVALID_TYPE set
 *
 * Since: 0.1
 */
gboolean
bk_config_get_string (BkConfig    *self,
                      const char  *key,
                      char       **out,
                      GError     **error)
{
  const char *value = NULL;

  g_return_val_if_fail (BK_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (key_is_valid (key), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!required (self, key, read_string (self, key, &value, error), error))
    return FALSE;
  *out = g_strdup (value);
  return TRUE;
}

/**
 * bk_config_get_int:
 * @self: a #BkConfig
 * @key: a dotted key
 * @out: (out): return location for the integer
 * @error: return location for a #GError
 *
 * Reads the integer at @key. A numeric string such as `"42"` is accepted;
 * a number that is not integral is not (`got number, wanted integer`).
 *
 * Returns: %TRUE on success; %FALSE with %BK_CONFIG_ERROR_MISSING or
 *   %BK_CONFIG_ERROR_INVALID_TYPE set
 *
 * Since: 0.1
 */
gboolean
bk_config_get_int (BkConfig    *self,
                   const char  *key,
                   gint64      *out,
                   GError     **error)
{
  gint64 value = 0;

  g_return_val_if_fail (BK_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (key_is_valid (key), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!required (self, key, read_int (self, key, &value, error), error))
    return FALSE;
  *out = value;
  return TRUE;
}

/**
 * bk_config_get_double:
 * @self: a #BkConfig
 * @key: a dotted key
 * @out: (out): return location for the number
 * @error: return location for a #GError
 *
 * Reads the number at @key. Integers and numeric strings are accepted.
 *
 * Returns: %TRUE on success; %FALSE with %BK_CONFIG_ERROR_MISSING or
 *   %BK_CONFIG_ERROR_INVALID_TYPE set
 *
 * Since: 0.1
 */
gboolean
bk_config_get_double (BkConfig    *self,
                      const char  *key,
                      double      *out,
                      GError     **error)
{
  double value = 0;

  g_return_val_if_fail (BK_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (key_is_valid (key), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!required (self, key, read_double (self, key, &value, error), error))
    return FALSE;
  *out = value;
  return TRUE;
}

/**
 * bk_config_get_boolean:
 * @self: a #BkConfig
 * @key: a dotted key
 * @out: (out): return location for the boolean
 * @error: return location for a #GError
 *
 * Reads the boolean at @key: JSON `true` or `false`, or the strings
 * `"true"` and `"false"`.
 *
 * Returns: %TRUE on success; %FALSE with %BK_CONFIG_ERROR_MISSING or
 *   %BK_CONFIG_ERROR_INVALID_TYPE set
 *
 * Since: 0.1
 */
gboolean
bk_config_get_boolean (BkConfig    *self,
                       const char  *key,
                       gboolean    *out,
                       GError     **error)
{
  gboolean value = FALSE;

  g_return_val_if_fail (BK_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (key_is_valid (key), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!required (self, key, read_boolean (self, key, &value, error), error))
    return FALSE;
  *out = value;
  return TRUE;
}

/**
 * bk_config_get_string_array:
 * @self: a #BkConfig
 * @key: a dotted key
 * @out: (out) (transfer full) (array zero-terminated=1): return location
 *   for the strings
 * @error: return location for a #GError
 *
 * Reads the array of strings at @key. A bad element is named with its
 * index, as in `Invalid type in config for key 'hosts[1]' in
 * 'app-config.yaml', got number, wanted string`.
 *
 * Returns: %TRUE on success; %FALSE with %BK_CONFIG_ERROR_MISSING or
 *   %BK_CONFIG_ERROR_INVALID_TYPE set
 *
 * Since: 0.1
 */
gboolean
bk_config_get_string_array (BkConfig     *self,
                            const char   *key,
                            char       ***out,
                            GError      **error)
{
  char **value = NULL;

  g_return_val_if_fail (BK_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (key_is_valid (key), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!required (self, key, read_string_array (self, key, &value, error), error))
    return FALSE;
  *out = value;
  return TRUE;
}

/**
 * bk_config_get_config:
 * @self: a #BkConfig
 * @key: a dotted key
 * @out: (out) (transfer full): return location for the sub-config
 * @error: return location for a #GError
 *
 * Reads the object at @key as a config of its own. It has the same source
 * as @self and its prefix is the full key, so its errors name the whole
 * path (`backend.listen.port`, not `port`).
 *
 * Returns: %TRUE on success; %FALSE with %BK_CONFIG_ERROR_MISSING or
 *   %BK_CONFIG_ERROR_INVALID_TYPE set
 *
 * Since: 0.1
 */
gboolean
bk_config_get_config (BkConfig    *self,
                      const char  *key,
                      BkConfig   **out,
                      GError     **error)
{
  BkConfig *value = NULL;

  g_return_val_if_fail (BK_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (key_is_valid (key), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!required (self, key, read_config (self, key, &value, error), error))
    return FALSE;
  *out = value;
  return TRUE;
}

/**
 * bk_config_get_config_array:
 * @self: a #BkConfig
 * @key: a dotted key
 * @out: (out) (transfer full) (element-type BkConfig): return location for
 *   the configs
 * @error: return location for a #GError
 *
 * Reads the array of objects at @key, each as a config whose prefix is
 * `<key>[<index>]`. A bad element is named with its index, as in
 * `Invalid type in config for key 'items[1]' in 'app-config.yaml', got
 * string, wanted object`.
 *
 * Returns: %TRUE on success; %FALSE with %BK_CONFIG_ERROR_MISSING or
 *   %BK_CONFIG_ERROR_INVALID_TYPE set
 *
 * Since: 0.1
 */
gboolean
bk_config_get_config_array (BkConfig    *self,
                            const char  *key,
                            GPtrArray  **out,
                            GError     **error)
{
  GPtrArray *value = NULL;

  g_return_val_if_fail (BK_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (key_is_valid (key), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!required (self, key, read_config_array (self, key, &value, error), error))
    return FALSE;
  *out = value;
  return TRUE;
}

/**
 * bk_config_get_optional_string:
 * @self: a #BkConfig
 * @key: a dotted key
 * @default_value: (nullable): the value when @key is absent or `null`
 * @out: (out) (transfer full) (nullable): return location for the string
 * @error: return location for a #GError
 *
 * Reads the string at @key, or a copy of @default_value when there is none.
 * A value of another type is still an error.
 *
 * Returns: %TRUE on success; %FALSE with %BK_CONFIG_ERROR_INVALID_TYPE set
 *
 * Since: 0.1
 */
gboolean
bk_config_get_optional_string (BkConfig    *self,
                               const char  *key,
                               const char  *default_value,
                               char       **out,
                               GError     **error)
{
  const char *value = NULL;

  g_return_val_if_fail (BK_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (key_is_valid (key), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  switch (read_string (self, key, &value, error))
    {
    case READ_OK:
      *out = g_strdup (value);
      return TRUE;

    case READ_ABSENT:
      *out = g_strdup (default_value);
      return TRUE;

    case READ_FAILED:
    default:
      return FALSE;
    }
}

/**
 * bk_config_get_optional_int:
 * @self: a #BkConfig
 * @key: a dotted key
 * @default_value: the value when @key is absent or `null`
 * @out: (out): return location for the integer
 * @error: return location for a #GError
 *
 * Reads the integer at @key as [method@Bk.Config.get_int] does, or
 * @default_value when there is none. A value of another type is still an
 * error.
 *
 * Returns: %TRUE on success; %FALSE with %BK_CONFIG_ERROR_INVALID_TYPE set
 *
 * Since: 0.1
 */
gboolean
bk_config_get_optional_int (BkConfig    *self,
                            const char  *key,
                            gint64       default_value,
                            gint64      *out,
                            GError     **error)
{
  gint64 value = 0;

  g_return_val_if_fail (BK_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (key_is_valid (key), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  switch (read_int (self, key, &value, error))
    {
    case READ_OK:
      *out = value;
      return TRUE;

    case READ_ABSENT:
      *out = default_value;
      return TRUE;

    case READ_FAILED:
    default:
      return FALSE;
    }
}

/**
 * bk_config_get_optional_double:
 * @self: a #BkConfig
 * @key: a dotted key
 * @default_value: the value when @key is absent or `null`
 * @out: (out): return location for the number
 * @error: return location for a #GError
 *
 * Reads the number at @key as [method@Bk.Config.get_double] does, or
 * @default_value when there is none. A value of another type is still an
 * error.
 *
 * Returns: %TRUE on success; %FALSE with %BK_CONFIG_ERROR_INVALID_TYPE set
 *
 * Since: 0.1
 */
gboolean
bk_config_get_optional_double (BkConfig    *self,
                               const char  *key,
                               double       default_value,
                               double      *out,
                               GError     **error)
{
  double value = 0;

  g_return_val_if_fail (BK_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (key_is_valid (key), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  switch (read_double (self, key, &value, error))
    {
    case READ_OK:
      *out = value;
      return TRUE;

    case READ_ABSENT:
      *out = default_value;
      return TRUE;

    case READ_FAILED:
    default:
      return FALSE;
    }
}

/**
 * bk_config_get_optional_boolean:
 * @self: a #BkConfig
 * @key: a dotted key
 * @default_value: the value when @key is absent or `null`
 * @out: (out): return location for the boolean
 * @error: return location for a #GError
 *
 * Reads the boolean at @key as [method@Bk.Config.get_boolean] does, or
 * @default_value when there is none. A value of another type is still an
 * error.
 *
 * Returns: %TRUE on success; %FALSE with %BK_CONFIG_ERROR_INVALID_TYPE set
 *
 * Since: 0.1
 */
gboolean
bk_config_get_optional_boolean (BkConfig    *self,
                                const char  *key,
                                gboolean     default_value,
                                gboolean    *out,
                                GError     **error)
{
  gboolean value = FALSE;

  g_return_val_if_fail (BK_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (key_is_valid (key), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  switch (read_boolean (self, key, &value, error))
    {
    case READ_OK:
      *out = value;
      return TRUE;

    case READ_ABSENT:
      *out = default_value;
      return TRUE;

    case READ_FAILED:
    default:
      return FALSE;
    }
}

/**
 * bk_config_get_optional_config:
 * @self: a #BkConfig
 * @key: a dotted key
 * @out: (out) (transfer full) (nullable): return location for the
 *   sub-config, set to %NULL when @key is absent or `null`
 * @error: return location for a #GError
 *
 * Reads the object at @key as [method@Bk.Config.get_config] does, or gives
 * %NULL when there is none. A value of another type is still an error.
 *
 * Returns: %TRUE on success; %FALSE with %BK_CONFIG_ERROR_INVALID_TYPE set
 *
 * Since: 0.1
 */
gboolean
bk_config_get_optional_config (BkConfig    *self,
                               const char  *key,
                               BkConfig   **out,
                               GError     **error)
{
  BkConfig *value = NULL;

  g_return_val_if_fail (BK_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (key_is_valid (key), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  switch (read_config (self, key, &value, error))
    {
    case READ_OK:
      *out = value;
      return TRUE;

    case READ_ABSENT:
      *out = NULL;
      return TRUE;

    case READ_FAILED:
    default:
      return FALSE;
    }
}

/* ------------------------------------------------------------------------ */
/* Secrets, read tracking, sources                                          */
/* ------------------------------------------------------------------------ */

/* The key-name rule: the last segment of a key names a secret. */
static gboolean
name_is_secret (const char *name)
{
  static const char * const names[] = {
    "password", "passwd", "secret", "token", "apiKey", "privateKey",
    "clientSecret", "credentials", NULL
  };

  for (guint i = 0; names[i] != NULL; i++)
    {
      if (g_ascii_strcasecmp (name, names[i]) == 0)
        return TRUE;
    }

  return g_str_has_suffix (name, "Password") ||
         g_str_has_suffix (name, "Secret") ||
         g_str_has_suffix (name, "Token");
}

/* A scalar as the text a log line would show; NULL for booleans and null. */
static char *
scalar_to_string (JsonNode *node)
{
  GType type;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return NULL;

  type = json_node_get_value_type (node);
  if (type == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (type == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  if (type == G_TYPE_DOUBLE)
    {
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];

      return g_strdup (g_ascii_dtostr (buffer, sizeof buffer, json_node_get_double (node)));
    }

  return NULL;
}

typedef struct
{
  Tree       *tree;
  GHashTable *allowed;
  GHashTable *seen;
  GPtrArray  *values;
  gboolean    in_secret;
} SecretWalk;

static void
add_secret (SecretWalk *walk,
            JsonNode   *node)
{
  g_autofree char *text = scalar_to_string (node);

  if (text == NULL)
    return;

  /* As Backstage's redactions: trimmed, and never empty or one character
   * (a placeholder such as `x` would be redacted from every line). */
  g_strstrip (text);
  if (strlen (text) <= 1 ||
      g_hash_table_contains (walk->allowed, text) ||
      g_hash_table_contains (walk->seen, text))
    return;

  g_hash_table_add (walk->seen, g_strdup (text));
  g_ptr_array_add (walk->values, g_steal_pointer (&text));
}

/* Adds the values below a secret key; elsewhere, those from a secret source. */
static gboolean
visit_secret (JsonNode   *node,
              const char *path,
              const char *name,
              gpointer    user_data)
{
  SecretWalk *walk = user_data;

  if (!walk->in_secret && name != NULL && name_is_secret (name))
    {
      g_autoptr(GString) subpath = g_string_new (path);

      walk->in_secret = TRUE;
      _bk_config_walk (node, subpath, visit_secret, walk);
      walk->in_secret = FALSE;
      return FALSE;
    }

  if (JSON_NODE_HOLDS_VALUE (node))
    {
      gboolean secret = walk->in_secret;

      if (!secret && walk->tree->origins != NULL)
        {
          gpointer value = g_hash_table_lookup (walk->tree->origins->paths, path);

          secret = value != NULL && (GPOINTER_TO_UINT (value) & 1) != 0;
        }

      if (secret)
        add_secret (walk, node);
    }

  return TRUE;
}

/* Values of `backend.logger.redactAllowlist`, trimmed. */
static GHashTable *
dup_redact_allowlist (BkConfig *self)
{
  GHashTable *allowed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(BkConfig) root = NULL;
  JsonNode *node = NULL;

  /* Always from the root of the tree, whatever this snapshot's prefix. */
  root = bk_config_new_internal (json_node_ref (self->tree->root), self->source,
                                 g_strdup (""), tree_ref (self->tree));

  if (lookup (root, "backend.logger.redactAllowlist", MARK_READ, &node, NULL) == READ_OK &&
      JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      guint n = json_array_get_length (array);

      for (guint i = 0; i < n; i++)
        {
          char *text = scalar_to_string (json_array_get_element (array, i));

          if (text != NULL)
            g_hash_table_add (allowed, g_strstrip (text));
        }
    }

  return allowed;
}

/**
 * bk_config_dup_secrets:
 * @self: a #BkConfig
 *
 * Lists the secret values of the whole configuration (the whole tree @self
 * was cut from, whatever its prefix), for loggers to redact.
 *
 * A value is secret when it came from a `$env` or `$file` directive, or
 * when the last segment of its key (ignoring case) is `password`, `passwd`,
 * `secret`, `token`, `apiKey`, `privateKey`, `clientSecret` or
 * `credentials`, or ends in `Password`, `Secret` or `Token` (case matters
 * there: `dbPassword`, `githubToken`). Everything below such a key is
 * secret too (`credentials: {user: …, key: …}`). Only the key-name rule
 * applies to a config built from a JSON or YAML string.
 *
 * Strings are listed as they are and numbers as text; booleans and `null`
 * never are. Each value is trimmed and listed once; values of one character
 * or none are left out (as Backstage does: a placeholder such as `x` would
 * otherwise be redacted from every line), and so are the values listed in
 * `backend.logger.redactAllowlist` (an array of strings), which this
 * function reads.
 *
 * Returns: (transfer full) (array zero-terminated=1): the secret values,
 *   in document order
 *
 * Since: 0.1
 */
char **
bk_config_dup_secrets (BkConfig *self)
{
  g_autoptr(GString) path = g_string_new (NULL);
  SecretWalk walk;

  g_return_val_if_fail (BK_IS_CONFIG (self), NULL);

  walk.tree = self->tree;
  walk.allowed = dup_redact_allowlist (self);
  walk.seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  walk.values = g_ptr_array_new ();
  walk.in_secret = FALSE;

  _bk_config_walk (self->tree->root, path, visit_secret, &walk);

  g_hash_table_unref (walk.allowed);
  g_hash_table_unref (walk.seen);
  g_ptr_array_add (walk.values, NULL);
  return (char **) g_ptr_array_free (walk.values, FALSE);
}

typedef struct
{
  Tree         *tree;
  GStrvBuilder *builder;
} UnreadWalk;

/* Called with the tree's mutex held. */
static gboolean
visit_unread (JsonNode   *node,
              const char *path,
              const char *name,
              gpointer    user_data)
{
  UnreadWalk *walk = user_data;

  if (g_hash_table_contains (walk->tree->read_subtrees, path))
    return FALSE;

  if (JSON_NODE_HOLDS_OBJECT (node))
    return TRUE;

  /* A leaf: a scalar, null or an array. */
  if (!g_hash_table_contains (walk->tree->read, path))
    g_strv_builder_add (walk->builder, path);

  return FALSE;
}

/**
 * bk_config_dup_unread_keys:
 * @self: a #BkConfig
 *
 * Lists the leaf keys of the whole configuration that nothing read: the
 * full paths (`backend.listen.port`) of the scalars, `null`s and arrays
 * (an array is one leaf) that no getter of @self, nor of any sub-config
 * cut from the same tree, returned. Empty objects are not listed.
 *
 * A getter reads a key when it finds it, whatever it then makes of it:
 * [method@Bk.Config.get_string] and the other typed getters, required or
 * optional, [method@Bk.Config.get_string_array] and
 * [method@Bk.Config.get_config_array] (which read the whole array).
 * [method@Bk.Config.has], [method@Bk.Config.get_keys] and
 * [method@Bk.Config.get_config] read nothing by themselves (the values of a
 * sub-config count one by one); [method@Bk.Config.dup_node] reads the whole
 * subtree it copies. A new snapshot (after a reload) starts with nothing
 * read.
 *
 * Reads are recorded under a lock: snapshots may be read from several
 * threads while this runs.
 *
 * Returns: (transfer full) (array zero-terminated=1): the full key paths,
 *   in document order
 *
 * Since: 0.1
 */
char **
bk_config_dup_unread_keys (BkConfig *self)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  g_autoptr(GString) path = NULL;
  UnreadWalk walk;

  g_return_val_if_fail (BK_IS_CONFIG (self), NULL);

  builder = g_strv_builder_new ();
  path = g_string_new (NULL);
  walk.tree = self->tree;
  walk.builder = builder;

  g_mutex_lock (&self->tree->mutex);
  _bk_config_walk (self->tree->root, path, visit_unread, &walk);
  g_mutex_unlock (&self->tree->mutex);

  return g_strv_builder_end (builder);
}

/**
 * bk_config_dup_key_source:
 * @self: a #BkConfig
 * @key: a dotted key, relative to @self
 *
 * Names the source that provided the value at @key once every source was
 * merged: the file (`app-config.local.yaml`, or an included file), or
 * `APP_CONFIG_<key>` for a value set through the environment. For an object
 * merged from several files, it is the last file that set something in it.
 * A config built from one JSON or YAML string gives its own source.
 *
 * Together with [method@Bk.Config.dup_unread_keys] this lets a backend say
 * "key X in file Y was never read".
 *
 * Returns: (transfer full) (nullable): the source, or %NULL if @key is absent
 *   or `null`
 *
 * Since: 0.1
 */
char *
bk_config_dup_key_source (BkConfig   *self,
                          const char *key)
{
  g_autofree char *full = NULL;
  JsonNode *node = NULL;

  g_return_val_if_fail (BK_IS_CONFIG (self), NULL);
  g_return_val_if_fail (key_is_valid (key), NULL);

  if (lookup (self, key, MARK_NONE, &node, NULL) != READ_OK)
    return NULL;

  full = full_key (self, key);
  return g_strdup (source_of (self, full));
}
