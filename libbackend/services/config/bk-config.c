/* bk-config.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <math.h>
#include <string.h>

#include "libbackend.h"

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
 * its out argument untouched.
 *
 * A `BkConfig` never changes after it is made, so it may be read from any
 * thread. A new snapshot is a new object; see [iface@Bk.RootConfig].
 *
 * Since: 0.1
 */

struct _BkConfig
{
  GObject   parent_instance;

  /* A sealed (immutable) JSON object node, shared with sub-configs. */
  JsonNode *root;
  char     *source;
  /* The full key of this config inside its source; "" for the root. */
  char     *prefix;
};

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

static void
bk_config_finalize (GObject *object)
{
  BkConfig *self = (BkConfig *)object;

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
static JsonNode *
node_deep_copy (JsonNode *node)
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
          json_object_set_member (dst, name, node_deep_copy (member));

        return json_node_init_object (json_node_alloc (), dst);
      }

    case JSON_NODE_ARRAY:
      {
        JsonArray *src = json_node_get_array (node);
        guint n = json_array_get_length (src);
        g_autoptr(JsonArray) dst = json_array_sized_new (n);

        for (guint i = 0; i < n; i++)
          json_array_add_element (dst, node_deep_copy (json_array_get_element (src, i)));

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

/* Takes @root (a sealed object node) and @prefix. */
static BkConfig *
bk_config_new_internal (JsonNode   *root,
                        const char *source,
                        char       *prefix)
{
  BkConfig *self;

  g_assert (root != NULL);
  g_assert (JSON_NODE_HOLDS_OBJECT (root));
  g_assert (json_node_is_immutable (root));

  self = g_object_new (BK_TYPE_CONFIG, NULL);
  self->root = root;
  self->source = g_strdup (source);
  self->prefix = prefix;

  return self;
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
      snapshot = node_deep_copy (root);
      json_node_seal (snapshot);
    }

  return bk_config_new_internal (snapshot, source, g_strdup (""));
}

static const char *
node_type_name (JsonNode *node)
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
                   source, node_type_name (root));
      return NULL;
    }

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
               full, self->source, got, wanted);
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
               full, self->source, wanted);
}

static gboolean
set_missing (BkConfig    *self,
             const char  *key,
             GError     **error)
{
  g_autofree char *full = full_key (self, key);

  g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_MISSING,
               "Missing required config value at '%s' in '%s'",
               full, self->source);
  return FALSE;
}

/* Finds the node at @key. READ_ABSENT when a part is missing or null,
 * READ_FAILED when the walk meets a value that is not an object. */
static ReadStatus
lookup (BkConfig     *self,
        const char   *key,
        JsonNode    **out,
        GError      **error)
{
  g_autoptr(GString) walked = g_string_new (NULL);
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
          set_invalid_type (self, walked->str, node_type_name (node), "object", error);
          return READ_FAILED;
        }

      name = g_strndup (part, len);
      node = json_object_get_member (json_node_get_object (node), name);

      if (node == NULL)
        return READ_ABSENT;

      if (walked->len > 0)
        g_string_append_c (walked, '.');
      g_string_append (walked, name);

      if (dot == NULL)
        break;

      part = dot + 1;
    }

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

  if ((status = lookup (self, key, &node, error)) != READ_OK)
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

  set_invalid_type (self, key, node_type_name (node), "number", error);
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

  if ((status = lookup (self, key, &node, error)) != READ_OK)
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

  set_invalid_type (self, key, node_type_name (node), "boolean", error);
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

  if ((status = lookup (self, key, &node, error)) != READ_OK)
    return status;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      set_invalid_type (self, key, node_type_name (node), "string", error);
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

  if ((status = lookup (self, key, &node, error)) != READ_OK)
    return status;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      set_invalid_type (self, key, node_type_name (node), "string-array", error);
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

          set_invalid_type (self, element_key, node_type_name (element), "string", error);
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

  if ((status = lookup (self, key, &node, error)) != READ_OK)
    return status;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_invalid_type (self, key, node_type_name (node), "object", error);
      return READ_FAILED;
    }

  /* The snapshot is sealed, so the sub-tree can be shared. */
  *out = bk_config_new_internal (json_node_ref (node), self->source, full_key (self, key));
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

  if ((status = lookup (self, key, &node, error)) != READ_OK)
    return status;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      set_invalid_type (self, key, node_type_name (node), "object-array", error);
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
          set_invalid_type (self, element_key, node_type_name (element), "object", error);
          return READ_FAILED;
        }

      g_ptr_array_add (configs,
                       bk_config_new_internal (json_node_ref (element),
                                               self->source,
                                               full_key (self, element_key)));
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

  return lookup (self, key, &node, NULL) == READ_OK;
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
    return node_deep_copy (self->root);

  if (lookup (self, key, &node, NULL) != READ_OK)
    return NULL;

  return node_deep_copy (node);
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

/**
 * bk_config_dup_secrets:
 * @self: a #BkConfig
 *
 * Lists the secret values of the whole configuration, for loggers to
 * redact.
 *
 * Returns: (transfer full) (array zero-terminated=1): the secret values
 *
 * Since: 0.1
 */
char **
bk_config_dup_secrets (BkConfig *self)
{
  g_return_val_if_fail (BK_IS_CONFIG (self), NULL);

  return g_new0 (char *, 1);
}

/**
 * bk_config_dup_unread_keys:
 * @self: a #BkConfig
 *
 * Lists the leaf keys that no snapshot of this configuration was asked for.
 *
 * Returns: (transfer full) (array zero-terminated=1): the full key paths
 *
 * Since: 0.1
 */
char **
bk_config_dup_unread_keys (BkConfig *self)
{
  g_return_val_if_fail (BK_IS_CONFIG (self), NULL);

  return g_new0 (char *, 1);
}

/**
 * bk_config_dup_key_source:
 * @self: a #BkConfig
 * @key: a dotted key
 *
 * Names the source the value at @key came from.
 *
 * Returns: (transfer full) (nullable): the source, or %NULL if @key is absent
 *
 * Since: 0.1
 */
char *
bk_config_dup_key_source (BkConfig   *self,
                          const char *key)
{
  g_return_val_if_fail (BK_IS_CONFIG (self), NULL);

  return bk_config_has (self, key) ? g_strdup (bk_config_get_source (self)) : NULL;
}
