/* bk-config-loader.c: the default `core.rootConfig`: config files.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Loading is a pure function of (paths, working directory, environment):
 * each file is parsed (bk-yaml.c), transformed (substitution and the
 * `$env`, `$file` and `$include` directives, as Backstage's
 * config-loader/sources/transform does), and merged over the previous ones;
 * `APP_CONFIG_*` variables are merged last. While it goes, the loader
 * records where each value came from (BkConfigOrigins), which the snapshot
 * uses for messages, secrets and unread keys.
 *
 * BkFileRootConfig holds the current snapshot and reloads it on SIGHUP,
 * in a worker thread, then swaps it in on its main context.
 */

#include <signal.h>
#include <string.h>

#include <glib-unix.h>
#include <glib/gstdio.h>

#include "libbackend.h"
#include "bk-config-private.h"
#include "bk-services-private.h"

#define ENV_PREFIX "APP_CONFIG_"

/* Includes nested deeper than this are refused (a cycle is refused anyway;
 * this bounds the recursion of a long chain of distinct files). */
#define MAX_INCLUDE_DEPTH 32

typedef struct _IncludeLink IncludeLink;

/* One file being transformed, and the files that included it. */
struct _IncludeLink
{
  /* As messages name it: the path as given, or joined to the including
   * file's directory as written. */
  char        *display;
  /* Absolute and canonical: where to read it, and the identity for
   * include cycles. */
  char        *path;
  guint        source;
  /* Line of each node parsed from the file (NULL for JSON). */
  GHashTable  *lines;
  IncludeLink *parent;
};

typedef struct
{
  /* The environment as it was when loading started. */
  char            **envp;
  BkConfigOrigins  *origins;
} Loader;

static void
include_link_clear (IncludeLink *link)
{
  g_clear_pointer (&link->display, g_free);
  g_clear_pointer (&link->path, g_free);
  g_clear_pointer (&link->lines, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (IncludeLink, include_link_clear)

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/* `Failed to load config at '<path>' in '<file>' line <n>, <cause>`: the
 * path and line are left out when there is none. */
G_GNUC_PRINTF (5, 6)
static gboolean
set_load_error (IncludeLink  *file,
                JsonNode     *node,
                const char   *path,
                GError      **error,
                const char   *format,
                ...)
{
  g_autoptr(GString) message = g_string_new ("Failed to load config");
  g_autofree char *cause = NULL;
  guint line = 0;
  va_list args;

  va_start (args, format);
  cause = g_strdup_vprintf (format, args);
  va_end (args);

  if (path[0] != '\0')
    g_string_append_printf (message, " at '%s'", path);
  g_string_append_printf (message, " in '%s'", file->display);
  if (node != NULL && file->lines != NULL)
    line = GPOINTER_TO_UINT (g_hash_table_lookup (file->lines, node));
  if (line > 0)
    g_string_append_printf (message, " line %u", line);
  g_string_append_printf (message, ", %s", cause);

  g_set_error_literal (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE, message->str);
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Files                                                                    */
/* ------------------------------------------------------------------------ */

/* Reads a whole file; as UTF-8 text when @text (YAML files are checked by
 * libyaml, which names the line, and may be UTF-16). The cause is phrased
 * to follow "failed to read file <path>, "; @missing tells a file that
 * does not exist. */
static char *
read_file (const char  *path,
           gboolean     text,
           gsize       *length,
           char       **cause,
           gboolean    *missing)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      *missing = g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
      if (*missing)
        *cause = g_strdup ("no such file");
      else if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_ISDIR))
        *cause = g_strdup ("it is a directory");
      else
        *cause = g_strdup (local_error->message);
      return NULL;
    }

  *missing = FALSE;

  if (text && !g_utf8_validate_len (contents, len, NULL))
    {
      *cause = g_strdup ("it is not UTF-8 text");
      return NULL;
    }

  *length = len;
  return g_steal_pointer (&contents);
}

/* Joins @relative to the directory of @base (both display names). */
static char *
join_display (const char *base,
              const char *relative)
{
  g_autofree char *dir = NULL;

  if (g_path_is_absolute (relative))
    return g_strdup (relative);

  dir = g_path_get_dirname (base);
  if (g_str_equal (dir, "."))
    return g_strdup (relative);

  return g_build_filename (dir, relative, NULL);
}

static char *
join_path (const char *base,
           const char *relative)
{
  g_autofree char *dir = g_path_get_dirname (base);

  return g_canonicalize_filename (relative, dir);
}

/* ------------------------------------------------------------------------ */
/* Substitution                                                             */
/* ------------------------------------------------------------------------ */

/* An environment variable, trimmed as Backstage does; NULL when unset. */
static char *
env_lookup (Loader     *loader,
            const char *name)
{
  const char *value = g_environ_getenv (loader->envp, name);

  if (value == NULL)
    return NULL;

  /* The environment may hold any bytes; config strings are UTF-8. */
  return g_strstrip (g_utf8_make_valid (value, -1));
}

/* Finds `${…}` at @p (no `{` or `}` inside); returns the position of the
 * closing brace, or NULL. */
static const char *
match_reference (const char *p)
{
  if (p[0] != '$' || p[1] != '{')
    return NULL;

  for (p += 2; *p != '\0'; p++)
    {
      if (*p == '}')
        return p;
      if (*p == '{')
        return NULL;
    }

  return NULL;
}

/* Replaces each `${VAR}` (or `${VAR:-fallback}`) in @input and turns each
 * `$${…}` into `${…}`. Returns NULL when a variable is unset, with its name
 * in @undefined. */
static char *
substitute (Loader      *loader,
            const char  *input,
            char       **undefined)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *last = input;
  const char *p = input;

  while (*p != '\0')
    {
      const char *end;

      if (p[0] != '$')
        {
          p++;
          continue;
        }

      if (p[1] == '$' && (end = match_reference (p + 1)) != NULL)
        {
          /* `$${…}`: the escape drops one `$`. */
          g_string_append_len (out, last, p - last);
          g_string_append_len (out, p + 1, end + 1 - (p + 1));
          p = last = end + 1;
          continue;
        }

      if ((end = match_reference (p)) != NULL)
        {
          g_autofree char *inner = g_strndup (p + 2, end - (p + 2));
          char *fallback = strstr (inner, ":-");
          g_autofree char *value = NULL;

          if (fallback != NULL)
            {
              *fallback = '\0';
              fallback += 2;
            }

          g_strstrip (inner);
          value = env_lookup (loader, inner);

          if (fallback != NULL && (value == NULL || value[0] == '\0'))
            {
              g_free (value);
              value = g_strdup (fallback);
            }

          if (value == NULL)
            {
              *undefined = g_strdup (inner);
              return NULL;
            }

          g_string_append_len (out, last, p - last);
          g_string_append (out, value);
          p = last = end + 1;
          continue;
        }

      p++;
    }

  g_string_append (out, last);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* ------------------------------------------------------------------------ */
/* Transform                                                                */
/* ------------------------------------------------------------------------ */

static gboolean transform (Loader       *loader,
                           IncludeLink  *file,
                           JsonNode     *node,
                           GString      *path,
                           JsonNode    **out,
                           GError      **error);

static gboolean load_include (Loader       *loader,
                              IncludeLink  *file,
                              JsonNode     *directive,
                              const char   *value,
                              GString      *path,
                              JsonNode    **out,
                              GError      **error);

static void
record (Loader      *loader,
        IncludeLink *file,
        GString     *path,
        gboolean     secret)
{
  if (path->len > 0)
    _bk_config_origins_record (loader->origins, path->str, file->source, secret);
}

static void
record_dropped (Loader      *loader,
                IncludeLink *file,
                GString     *path,
                const char  *variable)
{
  g_autofree char *reason = g_strdup_printf ("its value was dropped because the environment "
                                             "variable '%s' is not set", variable);

  if (path->len > 0)
    _bk_config_origins_record_dropped (loader->origins, path->str, file->source, reason);
}

static const char *
find_directive (JsonObject *object)
{
  static const char * const keys[] = { "$file", "$env", "$include", NULL };
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &member))
    {
      if (g_strv_contains (keys, name))
        return name;
    }

  return NULL;
}

/* An object whose key is `$file`, `$env` or `$include`. */
static gboolean
apply_directive (Loader       *loader,
                 IncludeLink  *file,
                 JsonNode     *node,
                 const char   *key,
                 GString      *path,
                 JsonNode    **out,
                 GError      **error)
{
  JsonObject *object = json_node_get_object (node);
  JsonNode *raw = json_object_get_member (object, key);
  g_autofree char *undefined = NULL;
  g_autofree char *value = NULL;

  if (json_object_get_size (object) != 1)
    return set_load_error (file, node, path->str, error,
                           "include key %s should not have adjacent keys", key);

  if (!JSON_NODE_HOLDS_VALUE (raw) || json_node_get_value_type (raw) != G_TYPE_STRING)
    return set_load_error (file, node, path->str, error,
                           "%s include value is not a string", key);

  value = substitute (loader, json_node_get_string (raw), &undefined);
  if (value == NULL)
    return set_load_error (file, node, path->str, error,
                           "%s substitution value was undefined (the environment variable '%s' is not set)",
                           key, undefined);

  if (g_str_equal (key, "$env"))
    {
      g_autofree char *env = env_lookup (loader, value);

      if (env == NULL)
        {
          /* As with `${VAR}`: the key is dropped. */
          record_dropped (loader, file, path, value);
          *out = NULL;
          return TRUE;
        }

      record (loader, file, path, TRUE);
      *out = json_node_init_string (json_node_alloc (), env);
      return TRUE;
    }

  if (g_str_equal (key, "$file"))
    {
      g_autofree char *target = join_path (file->path, value);
      g_autofree char *cause = NULL;
      g_autofree char *contents = NULL;
      gboolean missing = FALSE;
      gsize length = 0;

      contents = read_file (target, TRUE, &length, &cause, &missing);
      if (contents == NULL)
        return set_load_error (file, node, path->str, error,
                               "failed to read file %s, %s", value, cause);

      /* Backstage trims the end (a trailing newline included). */
      g_strchomp (contents);
      record (loader, file, path, TRUE);
      *out = json_node_init_string (json_node_alloc (), contents);
      return TRUE;
    }

  return load_include (loader, file, node, value, path, out, error);
}

static gboolean
transform (Loader       *loader,
           IncludeLink  *file,
           JsonNode     *node,
           GString      *path,
           JsonNode    **out,
           GError      **error)
{
  gsize len = path->len;

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr(JsonObject) result = json_object_new ();
        const char *directive = find_directive (object);
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;

        if (directive != NULL)
          return apply_directive (loader, file, node, directive, path, out, error);

        json_object_iter_init_ordered (&iter, object);
        while (json_object_iter_next_ordered (&iter, &name, &member))
          {
            JsonNode *child = NULL;

            if (len > 0)
              g_string_append_c (path, '.');
            g_string_append (path, name);

            if (!transform (loader, file, member, path, &child, error))
              return FALSE;

            g_string_truncate (path, len);

            if (child != NULL)
              json_object_set_member (result, name, child);
          }

        record (loader, file, path, FALSE);
        *out = json_node_init_object (json_node_alloc (), result);
        return TRUE;
      }

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);
        g_autoptr(JsonArray) result = json_array_sized_new (n);

        for (guint i = 0; i < n; i++)
          {
            JsonNode *child = NULL;

            /* Named by its place in the result: a dropped element
             * shifts the ones after it, as in Backstage. */
            g_string_append_printf (path, "[%u]", json_array_get_length (result));

            if (!transform (loader, file, json_array_get_element (array, i), path, &child, error))
              return FALSE;

            g_string_truncate (path, len);

            if (child != NULL)
              json_array_add_element (result, child);
          }

        record (loader, file, path, FALSE);
        *out = json_node_init_array (json_node_alloc (), result);
        return TRUE;
      }

    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        {
          g_autofree char *undefined = NULL;
          g_autofree char *value = substitute (loader, json_node_get_string (node), &undefined);

          if (value == NULL)
            {
              record_dropped (loader, file, path, undefined);
              *out = NULL;
              return TRUE;
            }

          record (loader, file, path, FALSE);
          *out = json_node_init_string (json_node_alloc (), value);
          return TRUE;
        }

      record (loader, file, path, FALSE);
      if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
        *out = json_node_init_boolean (json_node_alloc (), json_node_get_boolean (node));
      else if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
        *out = json_node_init_double (json_node_alloc (), json_node_get_double (node));
      else
        *out = json_node_init_int (json_node_alloc (), json_node_get_int (node));
      return TRUE;

    case JSON_NODE_NULL:
    default:
      record (loader, file, path, FALSE);
      *out = json_node_init_null (json_node_alloc ());
      return TRUE;
    }
}

static gboolean
parse_file (IncludeLink  *file,
            const char   *contents,
            gsize         length,
            gboolean      json,
            JsonNode    **out,
            GError      **error)
{
  if (json)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (!json_parser_load_from_data (parser, contents, length, error))
        return FALSE;

      *out = json_parser_steal_root (parser);
      if (*out == NULL)
        *out = json_node_init_null (json_node_alloc ());
      return TRUE;
    }

  file->lines = g_hash_table_new (NULL, NULL);
  *out = _bk_yaml_parse (contents, length, file->display, file->lines, error);
  return *out != NULL;
}

static gboolean
load_include (Loader       *loader,
              IncludeLink  *file,
              JsonNode     *directive,
              const char   *value,
              GString      *path,
              JsonNode    **out,
              GError      **error)
{
  g_auto(IncludeLink) included = { NULL, };
  g_autoptr(JsonNode) parsed = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *file_part = NULL;
  g_autofree char *cause = NULL;
  g_autofree char *contents = NULL;
  g_auto(GStrv) data_path = NULL;
  const char *hash = strchr (value, '#');
  const char *ext;
  JsonNode *selected;
  gboolean missing = FALSE;
  gboolean json;
  gsize length = 0;
  guint depth;

  file_part = hash != NULL ? g_strndup (value, hash - value) : g_strdup (value);
  if (hash != NULL && hash[1] != '\0')
    data_path = g_strsplit (hash + 1, ".", -1);

  ext = strrchr (file_part, '.');
  if (ext != NULL && strchr (ext, G_DIR_SEPARATOR) != NULL)
    ext = NULL;
  if (ext == NULL || !(g_str_equal (ext, ".json") || g_str_equal (ext, ".yaml") || g_str_equal (ext, ".yml")))
    return set_load_error (file, directive, path->str, error,
                           "no configuration parser available for included file %s", file_part);
  json = g_str_equal (ext, ".json");

  included.display = join_display (file->display, file_part);
  included.path = join_path (file->path, file_part);
  included.parent = file;

  depth = 0;
  for (IncludeLink *link = file; link != NULL; link = link->parent)
    {
      if (++depth > MAX_INCLUDE_DEPTH)
        return set_load_error (file, directive, path->str, error,
                               "includes are nested deeper than %u files", MAX_INCLUDE_DEPTH);

      if (g_str_equal (link->path, included.path))
        {
          g_autoptr(GPtrArray) chain = g_ptr_array_new ();
          g_autoptr(GString) text = g_string_new (NULL);

          for (IncludeLink *l = file; l != NULL; l = l->parent)
            g_ptr_array_insert (chain, 0, l->display);
          g_ptr_array_add (chain, included.display);

          for (guint i = 0; i < chain->len; i++)
            g_string_append_printf (text, "%s'%s'", i > 0 ? " -> " : "",
                                    (const char *) g_ptr_array_index (chain, i));

          return set_load_error (file, directive, path->str, error,
                                 "circular $include detected, %s", text->str);
        }
    }

  contents = read_file (included.path, json, &length, &cause, &missing);
  if (contents == NULL)
    return set_load_error (file, directive, path->str, error,
                           "failed to read file %s, %s", file_part, cause);

  included.source = _bk_config_origins_add_source (loader->origins, included.display);

  if (!parse_file (&included, contents, length, json, &parsed, &local_error))
    return set_load_error (file, directive, path->str, error,
                           "failed to parse included file %s, %s", file_part, local_error->message);

  selected = parsed;
  for (guint i = 0; data_path != NULL && data_path[i] != NULL; i++)
    {
      if (!JSON_NODE_HOLDS_OBJECT (selected))
        {
          g_autoptr(GString) where = g_string_new (NULL);

          /* The parts walked so far. */
          for (guint j = 0; j < i; j++)
            g_string_append_printf (where, "%s%s", j > 0 ? "." : "", data_path[j]);

          return set_load_error (file, directive, path->str, error,
                                 "value at '%s' in included file %s is not an object",
                                 where->str, file_part);
        }

      selected = json_object_get_member (json_node_get_object (selected), data_path[i]);
      if (selected == NULL)
        {
          g_autofree char *reason = g_strdup_printf ("its value was dropped because '%s' is not "
                                                     "in included file %s", hash + 1, file_part);

          if (path->len > 0)
            _bk_config_origins_record_dropped (loader->origins, path->str, file->source, reason);
          *out = NULL;
          return TRUE;
        }
    }

  return transform (loader, &included, selected, path, out, error);
}

/* ------------------------------------------------------------------------ */
/* Merge                                                                    */
/* ------------------------------------------------------------------------ */

/* Later sources win: objects merge deeply, anything else replaces. */
static void
merge_into (JsonObject *target,
            JsonObject *source)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init_ordered (&iter, source);
  while (json_object_iter_next_ordered (&iter, &name, &member))
    {
      JsonNode *existing = json_object_get_member (target, name);

      if (existing != NULL && JSON_NODE_HOLDS_OBJECT (existing) && JSON_NODE_HOLDS_OBJECT (member))
        merge_into (json_node_get_object (existing), json_node_get_object (member));
      else
        json_object_set_member (target, name, json_node_ref (member));
    }
}

/* ------------------------------------------------------------------------ */
/* Environment overrides                                                    */
/* ------------------------------------------------------------------------ */

static gboolean
env_key_part_is_valid (const char *part)
{
  const char *p = part;

  /* /^[a-z][a-z0-9]*(?:[-:][a-z0-9]+)*$/i ('_' separates the parts). */
  if (!g_ascii_isalpha (*p))
    return FALSE;

  for (p++; *p != '\0'; p++)
    {
      if (*p == '-' || *p == ':')
        {
          if (!g_ascii_isalnum (p[1]))
            return FALSE;
        }
      else if (!g_ascii_isalnum (*p))
        {
          return FALSE;
        }
    }

  return TRUE;
}

typedef struct
{
  Loader *loader;
  guint   source;
} RecordWalk;

static gboolean
visit_record (JsonNode   *node,
              const char *path,
              const char *name,
              gpointer    user_data)
{
  RecordWalk *walk = user_data;

  _bk_config_origins_record (walk->loader->origins, path, walk->source, FALSE);
  return TRUE;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* `APP_CONFIG_backend_listen_port=7008` → backend.listen.port = 7008, in
 * the order of the variables' names. NULL in *out when there are none. */
static gboolean
read_env_overrides (Loader      *loader,
                    JsonNode   **out,
                    GError     **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonObject) data = NULL;

  for (guint i = 0; loader->envp[i] != NULL; i++)
    {
      const char *eq = strchr (loader->envp[i], '=');

      if (eq != NULL && g_str_has_prefix (loader->envp[i], ENV_PREFIX))
        g_ptr_array_add (names, g_strndup (loader->envp[i], eq - loader->envp[i]));
    }

  g_ptr_array_sort (names, compare_strings);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      const char *value = g_environ_getenv (loader->envp, name);
      const char *key = name + strlen (ENV_PREFIX);
      g_auto(GStrv) parts = NULL;
      g_autoptr(GString) path = NULL;
      JsonObject *object;
      guint n;

      if (value == NULL || value[0] == '\0')
        continue;

      parts = g_strsplit (key, "_", -1);
      n = g_strv_length (parts);

      if (data == NULL)
        data = json_object_new ();
      object = data;
      path = g_string_new (NULL);

      for (guint j = 0; j < n; j++)
        {
          JsonNode *existing;

          if (!env_key_part_is_valid (parts[j]))
            {
              g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE,
                           "Failed to read config from environment variable '%s', "
                           "Invalid env config key '%s'", name, key);
              return FALSE;
            }

          existing = json_object_get_member (object, parts[j]);

          if (j < n - 1)
            {
              if (existing == NULL)
                {
                  g_autoptr(JsonObject) child = json_object_new ();

                  existing = json_node_init_object (json_node_alloc (), child);
                  json_object_set_member (object, parts[j], existing);
                }
              else if (!JSON_NODE_HOLDS_OBJECT (existing))
                {
                  g_autoptr(GString) sub_key = g_string_new (NULL);

                  /* The parts up to this one. */
                  for (guint k = 0; k <= j; k++)
                    g_string_append_printf (sub_key, "%s%s", k > 0 ? "_" : "", parts[k]);

                  g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE,
                               "Failed to read config from environment variable '%s', "
                               "Could not nest config for key '%s' under existing value '%s'",
                               name, key, sub_key->str);
                  return FALSE;
                }

              object = json_node_get_object (existing);
            }
          else
            {
              g_autoptr(JsonParser) parser = json_parser_new ();
              JsonNode *parsed = NULL;

              if (existing != NULL)
                {
                  g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE,
                               "Failed to read config from environment variable '%s', "
                               "Refusing to override existing config at key '%s'", name, key);
                  return FALSE;
                }

              if (json_parser_load_from_data (parser, value, -1, NULL))
                parsed = json_parser_steal_root (parser);

              if (parsed != NULL && JSON_NODE_HOLDS_NULL (parsed))
                {
                  json_node_unref (parsed);
                  g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE,
                               "Failed to read config from environment variable '%s', "
                               "Failed to parse JSON-serialized config value for key '%s', "
                               "value may not be null", name, key);
                  return FALSE;
                }

              /* Not JSON: the text itself. */
              if (parsed == NULL)
                {
                  g_autofree char *text = g_utf8_make_valid (value, -1);

                  parsed = json_node_init_string (json_node_alloc (), text);
                }

              json_object_set_member (object, parts[j], parsed);
            }
        }

      /* Every value this variable set comes from it. */
      {
        guint source = _bk_config_origins_add_source (loader->origins, name);
        RecordWalk walk = { loader, source };
        JsonNode *node = NULL;

        object = data;
        for (guint j = 0; j < n; j++)
          {
            node = json_object_get_member (object, parts[j]);
            if (path->len > 0)
              g_string_append_c (path, '.');
            g_string_append (path, parts[j]);
            if (j < n - 1)
              {
                _bk_config_origins_record (loader->origins, path->str, source, FALSE);
                object = json_node_get_object (node);
              }
          }

        _bk_config_walk (node, path, visit_record, &walk);
      }
    }

  *out = data != NULL ? json_node_init_object (json_node_alloc (), data) : NULL;
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Loading                                                                  */
/* ------------------------------------------------------------------------ */

static const char *
node_kind (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_ARRAY:
      return "array";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_OBJECT:
      return "object";
    case JSON_NODE_VALUE:
    default:
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        return "string";
      if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
        return "boolean";
      return "number";
    }
}

/* Loads one top-level config file and merges it into @merged. */
static gboolean
load_file (Loader      *loader,
           const char  *display,
           const char  *path,
           JsonObject  *merged,
           GError     **error)
{
  g_auto(IncludeLink) file = { NULL, };
  g_autoptr(JsonNode) parsed = NULL;
  g_autoptr(JsonNode) transformed = NULL;
  g_autoptr(GString) key = g_string_new (NULL);
  g_autofree char *contents = NULL;
  g_autofree char *cause = NULL;
  gboolean missing = FALSE;
  gsize length = 0;

  file.display = g_strdup (display);
  file.path = g_strdup (path);
  file.source = _bk_config_origins_add_source (loader->origins, display);

  contents = read_file (path, FALSE, &length, &cause, &missing);
  if (contents == NULL)
    {
      if (missing)
        g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE,
                     "Config file '%s' does not exist", display);
      else
        g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE,
                     "Failed to read config file '%s', %s", display, cause);
      return FALSE;
    }

  if (!parse_file (&file, contents, length, FALSE, &parsed, error))
    return FALSE;

  if (!transform (loader, &file, parsed, key, &transformed, error))
    return FALSE;

  /* An empty file, or one whose root was dropped, adds nothing. */
  if (transformed == NULL || JSON_NODE_HOLDS_NULL (transformed))
    return TRUE;

  if (!JSON_NODE_HOLDS_OBJECT (transformed))
    {
      g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE,
                   "Failed to load config in '%s', the root must be an object, got %s",
                   display, node_kind (transformed));
      return FALSE;
    }

  merge_into (merged, json_node_get_object (transformed));
  return TRUE;
}

/* Loads @paths (display names; relative ones are read from @cwd), or the
 * default files when @paths is NULL or empty. */
static BkConfig *
load_config (const char * const  *paths,
             const char          *cwd,
             char               **envp,
             GError             **error)
{
  g_autoptr(BkConfigOrigins) origins = _bk_config_origins_new ();
  g_autoptr(JsonObject) merged = json_object_new ();
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(JsonNode) env = NULL;
  g_autoptr(GString) source = g_string_new (NULL);
  const char *default_paths[3] = { NULL, };
  Loader loader = { envp, origins };
  guint n_defaults = 0;

  if (paths == NULL || paths[0] == NULL)
    {
      static const char * const defaults[] = { "app-config.yaml", "app-config.local.yaml" };

      for (guint i = 0; i < G_N_ELEMENTS (defaults); i++)
        {
          g_autofree char *path = g_canonicalize_filename (defaults[i], cwd);

          if (g_file_test (path, G_FILE_TEST_EXISTS))
            default_paths[n_defaults++] = defaults[i];
        }

      paths = (const char * const *) default_paths;
    }

  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_autofree char *path = g_canonicalize_filename (paths[i], cwd);

      if (!load_file (&loader, paths[i], path, merged, error))
        return NULL;

      g_ptr_array_add (names, (gpointer) paths[i]);
    }

  if (!read_env_overrides (&loader, &env, error))
    return NULL;

  if (env != NULL)
    merge_into (merged, json_node_get_object (env));

  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (source, "%s%s", i > 0 ? ", " : "",
                            (const char *) g_ptr_array_index (names, i));
  if (env != NULL)
    g_string_append_printf (source, "%s" ENV_PREFIX "* environment variables", source->len > 0 ? ", " : "");
  if (source->len == 0)
    g_string_append_printf (source, "no config file (app-config.yaml not found in %s)", cwd);

  return _bk_config_new_with_origins (json_node_init_object (json_node_alloc (), merged),
                                      source->str,
                                      g_steal_pointer (&origins));
}

/**
 * bk_config_new_from_files:
 * @paths: (array zero-terminated=1) (nullable): config files, later ones
 *   winning; %NULL (or an empty array) for the default files
 * @error: return location for a #GError
 *
 * Loads configuration files as the default `core.rootConfig` does, once: a
 * tool can check a configuration with it, a test can load a directory of
 * files.
 *
 * With %NULL, the files are `app-config.yaml` then `app-config.local.yaml`
 * from the working directory, each when present (no file at all is an
 * empty config). Otherwise each of @paths must exist. Later files win:
 * objects merge deeply, arrays and scalars replace. In every string,
 * `${VAR}` (or `${VAR:-fallback}`) is replaced by the environment variable
 * (trimmed) and `$${` stands for a literal `${`; an unset variable drops the
 * whole value, as in Backstage. An object whose only key is `$env: VAR`,
 * `$file: path` (the file's text, relative to the config file, its end
 * trimmed) or `$include: other.yaml` (a `.yaml`, `.yml` or `.json` file,
 * relative, optionally `#a.b` to take a part of it; nested includes resolve
 * from the included file) is replaced by that value. Last,
 * `APP_CONFIG_backend_listen_port=7008` sets `backend.listen.port` to the
 * value read as JSON when it is JSON, as text otherwise. See `docs/config.md`.
 *
 * Errors are %BK_CONFIG_ERROR_PARSE and name the file, the key path and
 * the line, for example `Failed to load config at 'backend.auth' in
 * 'app-config.yaml' line 12, include key $file should not have adjacent
 * keys`.
 *
 * Returns: (transfer full) (nullable): the merged snapshot, or %NULL with
 *   @error set
 *
 * Since: 0.1
 */
BkConfig *
bk_config_new_from_files (const char * const  *paths,
                          GError             **error)
{
  g_autofree char *cwd = g_get_current_dir ();
  g_auto(GStrv) envp = g_get_environ ();

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return load_config (paths, cwd, envp, error);
}

/* ------------------------------------------------------------------------ */
/* BkFileRootConfig                                                         */
/* ------------------------------------------------------------------------ */

/* The default core.rootConfig: config files, reloaded on SIGHUP. Not
 * public: it is a BkRootConfig, with bk_root_config_reload() and the
 * interface's signals. */
#define BK_TYPE_FILE_ROOT_CONFIG (bk_file_root_config_get_type ())
G_DECLARE_FINAL_TYPE (BkFileRootConfig, bk_file_root_config, BK, FILE_ROOT_CONFIG, GObject)

struct _BkFileRootConfig
{
  GObject       parent_instance;

  GMutex        mutex;
  BkConfig     *config;        /* guarded by mutex */

  /* What to load: NULL for the default files; relative to cwd. */
  char        **paths;
  char         *cwd;

  GMainContext *context;
  GSource      *sighup;
  GCancellable *cancellable;
  gboolean      reloading;
  gboolean      reload_again;
};

static void file_root_config_iface_init (BkRootConfigInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BkFileRootConfig, bk_file_root_config, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_ROOT_CONFIG, file_root_config_iface_init))

typedef struct
{
  char **paths;
  char  *cwd;
  char **envp;
} LoadRequest;

static void
load_request_free (gpointer data)
{
  LoadRequest *request = data;

  g_strfreev (request->paths);
  g_free (request->cwd);
  g_strfreev (request->envp);
  g_free (request);
}

static BkConfig *
bk_file_root_config_dup_config (BkRootConfig *root_config)
{
  BkFileRootConfig *self = BK_FILE_ROOT_CONFIG (root_config);
  BkConfig *config;

  g_mutex_lock (&self->mutex);
  config = g_object_ref (self->config);
  g_mutex_unlock (&self->mutex);

  return config;
}

static void
replace_config (BkFileRootConfig *self,
                BkConfig         *config)
{
  g_autoptr(BkConfig) old = NULL;

  g_mutex_lock (&self->mutex);
  old = g_steal_pointer (&self->config);
  self->config = g_object_ref (config);
  g_mutex_unlock (&self->mutex);

  _bk_root_config_emit_changed (BK_ROOT_CONFIG (self));
}

static gboolean
bk_file_root_config_reload (BkRootConfig  *root_config,
                            GError       **error)
{
  BkFileRootConfig *self = BK_FILE_ROOT_CONFIG (root_config);
  g_auto(GStrv) envp = g_get_environ ();
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(GError) local_error = NULL;

  config = load_config ((const char * const *) self->paths, self->cwd, envp, &local_error);
  if (config == NULL)
    {
      _bk_root_config_emit_reload_failed (root_config, local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  replace_config (self, config);
  return TRUE;
}

static void
file_root_config_iface_init (BkRootConfigInterface *iface)
{
  iface->dup_config = bk_file_root_config_dup_config;
  iface->reload = bk_file_root_config_reload;
}

static void
reload_in_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  LoadRequest *request = task_data;
  GError *error = NULL;
  BkConfig *config;

  config = load_config ((const char * const *) request->paths, request->cwd, request->envp, &error);
  if (config == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, config, g_object_unref);
}

static void start_reload (BkFileRootConfig *self);

static void
reload_done (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  BkFileRootConfig *self = BK_FILE_ROOT_CONFIG (object);
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  self->reloading = FALSE;

  if (g_cancellable_is_cancelled (self->cancellable))
    return;

  config = g_task_propagate_pointer (G_TASK (result), &error);
  if (config != NULL)
    replace_config (self, config);
  else
    _bk_root_config_emit_reload_failed (BK_ROOT_CONFIG (self), error);

  if (self->reload_again)
    {
      self->reload_again = FALSE;
      start_reload (self);
    }
}

static void
start_reload (BkFileRootConfig *self)
{
  g_autoptr(GTask) task = NULL;
  LoadRequest *request;

  if (self->reloading)
    {
      /* Files may have changed again since that load began. */
      self->reload_again = TRUE;
      return;
    }

  request = g_new0 (LoadRequest, 1);
  request->paths = g_strdupv (self->paths);
  request->cwd = g_strdup (self->cwd);
  request->envp = g_get_environ ();

  self->reloading = TRUE;

  /* The result comes back to the context the root config belongs to. */
  g_main_context_push_thread_default (self->context);
  task = g_task_new (self, self->cancellable, reload_done, NULL);
  g_main_context_pop_thread_default (self->context);

  g_task_set_source_tag (task, start_reload);
  g_task_set_task_data (task, request, load_request_free);
  g_task_run_in_thread (task, reload_in_thread);
}

static gboolean
on_sighup (gpointer user_data)
{
  start_reload (BK_FILE_ROOT_CONFIG (user_data));
  return G_SOURCE_CONTINUE;
}

static void
bk_file_root_config_dispose (GObject *object)
{
  BkFileRootConfig *self = (BkFileRootConfig *)object;

  g_cancellable_cancel (self->cancellable);

  if (self->sighup != NULL)
    {
      g_source_destroy (self->sighup);
      g_clear_pointer (&self->sighup, g_source_unref);
    }

  G_OBJECT_CLASS (bk_file_root_config_parent_class)->dispose (object);
}

static void
bk_file_root_config_finalize (GObject *object)
{
  BkFileRootConfig *self = (BkFileRootConfig *)object;

  g_clear_object (&self->config);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->paths, g_strfreev);
  g_clear_pointer (&self->cwd, g_free);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (bk_file_root_config_parent_class)->finalize (object);
}

static void
bk_file_root_config_class_init (BkFileRootConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bk_file_root_config_dispose;
  object_class->finalize = bk_file_root_config_finalize;
}

static void
bk_file_root_config_init (BkFileRootConfig *self)
{
  g_mutex_init (&self->mutex);
  self->cancellable = g_cancellable_new ();
}

/* Loads @paths (NULL: the defaults) and watches SIGHUP on the thread-default
 * main context. */
static BkFileRootConfig *
bk_file_root_config_new (const char * const  *paths,
                         GError             **error)
{
  g_autoptr(BkFileRootConfig) self = NULL;
  g_auto(GStrv) envp = g_get_environ ();

  self = g_object_new (BK_TYPE_FILE_ROOT_CONFIG, NULL);
  self->paths = paths != NULL && paths[0] != NULL ? g_strdupv ((char **) paths) : NULL;
  self->cwd = g_get_current_dir ();
  self->context = g_main_context_ref_thread_default ();

  self->config = load_config ((const char * const *) self->paths, self->cwd, envp, error);
  if (self->config == NULL)
    return NULL;

  self->sighup = g_unix_signal_source_new (SIGHUP);
  g_source_set_callback (self->sighup, on_sighup, self, NULL);
  g_source_set_static_name (self->sighup, "[libbackend] config reload on SIGHUP");
  g_source_attach (self->sighup, self->context);

  return g_steal_pointer (&self);
}

/* ------------------------------------------------------------------------ */
/* Factories                                                                */
/* ------------------------------------------------------------------------ */

G_LOCK_DEFINE_STATIC (command_line_paths);
static char **command_line_paths;

void
_bk_root_config_set_command_line_paths (const char * const *paths)
{
  G_LOCK (command_line_paths);
  g_strfreev (command_line_paths);
  command_line_paths = g_strdupv ((char **) paths);
  G_UNLOCK (command_line_paths);
}

static GObject *
create_file_root_config (BkDeps    *deps,
                         gpointer   root_context,
                         gpointer   user_data,
                         GError   **error)
{
  const char * const *paths = user_data;
  g_auto(GStrv) from_command_line = NULL;

  if (paths == NULL)
    {
      G_LOCK (command_line_paths);
      from_command_line = g_strdupv (command_line_paths);
      G_UNLOCK (command_line_paths);

      paths = (const char * const *) from_command_line;
    }

  return G_OBJECT (bk_file_root_config_new (paths, error));
}

/**
 * bk_root_config_factory_new:
 * @config_paths: (array zero-terminated=1) (nullable): config files, later
 *   ones winning; %NULL for the default sources
 *
 * Creates a `core.rootConfig` factory that reads config files, as the
 * default one does: see [ctor@Bk.Config.new_from_files] for the sources,
 * substitution, directives and environment overrides, and `docs/config.md`.
 *
 * With %NULL, the files are those given with `--config` to
 * [method@Bk.Backend.run], or else `app-config.yaml` and
 * `app-config.local.yaml` from the working directory. Paths given here
 * replace both. Relative paths are resolved against the working directory
 * of the moment the service is created, also for later reloads.
 *
 * The service reloads the files when the process receives `SIGHUP` (in a
 * worker thread; the result comes back on the main context that was the
 * thread default when the service was created), and on
 * [method@Bk.RootConfig.reload]. A reload that succeeds replaces the
 * snapshot and emits [signal@Bk.RootConfig::changed]; one that fails keeps
 * the current snapshot and emits [signal@Bk.RootConfig::reload-failed]
 * with the reason.
 *
 * Returns: (transfer full): a new #BkServiceFactory
 *
 * Since: 0.1
 */
BkServiceFactory *
bk_root_config_factory_new (const char * const *config_paths)
{
  char **paths = config_paths != NULL && config_paths[0] != NULL
                 ? g_strdupv ((char **) config_paths) : NULL;

  return bk_service_factory_new (BK_SERVICE_ROOT_CONFIG,
                                 create_file_root_config,
                                 paths, (GDestroyNotify) g_strfreev,
                                 NULL);
}

/* The default factory of core.rootConfig. */
BkServiceFactory *
_bk_root_config_default_factory (void)
{
  return bk_root_config_factory_new (NULL);
}
