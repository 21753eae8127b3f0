/* bk-yaml.c: YAML 1.2 (core schema) → JsonNode, for the config loader.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libyaml's event parser drives a small composer with an explicit stack, so
 * nothing here recurses on the input's nesting except the copies made for
 * aliases, whose depth is capped like the document's. The work is linear in
 * the input: duplicate keys are found through the JSON object's hash table,
 * and aliases copy at most BK_YAML_MAX_ALIAS_NODES nodes and
 * BK_YAML_MAX_ALIAS_BYTES bytes of scalars per document, checked before
 * the copy is made.
 */

#include <errno.h>
#include <math.h>
#include <string.h>

#include <yaml.h>

#include "libbackend.h"
#include "bk-config-private.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

typedef struct
{
  /* The collection being built (an object or an array node). */
  JsonNode *node;
  /* Its anchor, registered when it ends; NULL if it has none. */
  char     *anchor;
  /* Mappings: the key waiting for its value, NULL while a key is expected. */
  char     *key;
  /* Size of this subtree, itself included: nodes, bytes of scalars, levels. */
  gsize     nodes;
  gsize     bytes;
  guint     height;
} Frame;

typedef struct
{
  /* A reference on the anchored node; NULL while it is being built. */
  JsonNode *node;
  gsize     nodes;
  gsize     bytes;
  guint     height;
} Anchor;

typedef struct
{
  const char *data;
  gsize       length;
  const char *source;
  GHashTable *lines;

  GArray     *stack;
  GHashTable *anchors;
  gsize       alias_nodes;
  gsize       alias_bytes;
  guint       documents;

  JsonNode   *root;
} Composer;

static void
frame_clear (gpointer data)
{
  Frame *frame = data;

  g_clear_pointer (&frame->node, json_node_unref);
  g_clear_pointer (&frame->anchor, g_free);
  g_clear_pointer (&frame->key, g_free);
}

static void
anchor_free (gpointer data)
{
  Anchor *anchor = data;

  g_clear_pointer (&anchor->node, json_node_unref);
  g_free (anchor);
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

G_GNUC_PRINTF (4, 5)
static gboolean
set_error_at (Composer         *c,
              const yaml_mark_t *mark,
              GError          **error,
              const char       *format,
              ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE,
               "Failed to parse config in '%s' line %" G_GSIZE_FORMAT ", column %" G_GSIZE_FORMAT ", %s",
               c->source, (gsize) mark->line + 1, (gsize) mark->column + 1, what);
  return FALSE;
}

/* The path of the collection on top of the stack, as `a.b[2].c`. */
static char *
stack_path (Composer *c)
{
  GString *path = g_string_new (NULL);

  for (guint i = 1; i < c->stack->len; i++)
    {
      Frame *parent = &g_array_index (c->stack, Frame, i - 1);

      if (JSON_NODE_HOLDS_ARRAY (parent->node))
        {
          g_string_append_printf (path, "[%u]",
                                  json_array_get_length (json_node_get_array (parent->node)));
        }
      else
        {
          if (path->len > 0)
            g_string_append_c (path, '.');
          g_string_append (path, parent->key != NULL ? parent->key : "");
        }
    }

  return g_string_free (path, FALSE);
}

/* A reader error has an offset, not a mark: count lines up to it. */
static yaml_mark_t
mark_from_offset (Composer *c,
                  gsize     offset)
{
  yaml_mark_t mark = { 0, 0, 0 };
  gsize end = MIN (offset, c->length);

  mark.index = end;
  for (gsize i = 0; i < end; i++)
    {
      if (c->data[i] == '\n')
        {
          mark.line++;
          mark.column = 0;
        }
      else
        {
          mark.column++;
        }
    }

  return mark;
}

static gboolean
set_parser_error (Composer       *c,
                  yaml_parser_t  *parser,
                  GError        **error)
{
  const char *problem = parser->problem != NULL ? parser->problem : "unknown error";

  switch (parser->error)
    {
    case YAML_MEMORY_ERROR:
      g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE,
                   "Failed to parse config in '%s', out of memory", c->source);
      return FALSE;

    case YAML_READER_ERROR:
      {
        yaml_mark_t mark = mark_from_offset (c, parser->problem_offset);

        if (parser->problem_value != -1)
          return set_error_at (c, &mark, error, "%s (#x%X)", problem, (guint) parser->problem_value);
        return set_error_at (c, &mark, error, "%s", problem);
      }

    case YAML_SCANNER_ERROR:
    case YAML_PARSER_ERROR:
    case YAML_COMPOSER_ERROR:
    case YAML_WRITER_ERROR:
    case YAML_EMITTER_ERROR:
    case YAML_NO_ERROR:
    default:
      if (parser->context != NULL &&
          (parser->context_mark.line != parser->problem_mark.line ||
           parser->context_mark.column != parser->problem_mark.column))
        return set_error_at (c, &parser->problem_mark, error,
                             "%s %s started at line %" G_GSIZE_FORMAT ", column %" G_GSIZE_FORMAT,
                             problem, parser->context,
                             (gsize) parser->context_mark.line + 1,
                             (gsize) parser->context_mark.column + 1);
      if (parser->context != NULL)
        return set_error_at (c, &parser->problem_mark, error, "%s %s", problem, parser->context);
      return set_error_at (c, &parser->problem_mark, error, "%s", problem);
    }
}

/* ------------------------------------------------------------------------ */
/* Scalars (YAML 1.2 core schema)                                           */
/* ------------------------------------------------------------------------ */

static gboolean
is_one_of (const char         *value,
           gsize               length,
           const char * const *words)
{
  for (guint i = 0; words[i] != NULL; i++)
    {
      if (strlen (words[i]) == length && memcmp (value, words[i], length) == 0)
        return TRUE;
    }

  return FALSE;
}

static gboolean
resolve_null (const char *value,
              gsize       length)
{
  static const char * const words[] = { "~", "null", "Null", "NULL", NULL };

  return length == 0 || is_one_of (value, length, words);
}

static gboolean
resolve_bool (const char *value,
              gsize       length,
              gboolean   *out)
{
  static const char * const yes[] = { "true", "True", "TRUE", NULL };
  static const char * const no[] = { "false", "False", "FALSE", NULL };

  if (is_one_of (value, length, yes))
    {
      *out = TRUE;
      return TRUE;
    }

  if (is_one_of (value, length, no))
    {
      *out = FALSE;
      return TRUE;
    }

  return FALSE;
}

static gboolean
all_digits (const char *p,
            gsize       length,
            guint       base)
{
  if (length == 0)
    return FALSE;

  for (gsize i = 0; i < length; i++)
    {
      int digit = g_ascii_xdigit_value (p[i]);

      if (digit < 0 || (guint) digit >= base)
        return FALSE;
    }

  return TRUE;
}

/* Integers: `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`. One too large for
 * 64 bits becomes the nearest double, as in JavaScript. */
static JsonNode *
resolve_int (const char *value,
             gsize       length)
{
  const char *digits = value;
  gsize n = length;
  guint base = 10;
  gboolean negative = FALSE;
  guint64 magnitude = 0;
  gboolean overflow = FALSE;
  double approx = 0;

  if (length > 2 && value[0] == '0' && (value[1] == 'o' || value[1] == 'x'))
    {
      base = value[1] == 'o' ? 8 : 16;
      digits = value + 2;
      n = length - 2;
    }
  else if (length > 0 && (value[0] == '-' || value[0] == '+'))
    {
      negative = value[0] == '-';
      digits = value + 1;
      n = length - 1;
    }

  if (!all_digits (digits, n, base))
    return NULL;

  for (gsize i = 0; i < n; i++)
    {
      guint digit = (guint) g_ascii_xdigit_value (digits[i]);

      approx = approx * base + digit;
      if (magnitude > (G_MAXUINT64 - digit) / base)
        overflow = TRUE;
      else
        magnitude = magnitude * base + digit;
    }

  if (!overflow)
    {
      if (!negative && magnitude <= (guint64) G_MAXINT64)
        return json_node_init_int (json_node_alloc (), (gint64) magnitude);
      if (negative && magnitude <= (guint64) G_MAXINT64 + 1)
        return json_node_init_int (json_node_alloc (), (gint64) (0 - magnitude));
    }

  if (base == 10)
    {
      g_autofree char *copy = g_strndup (value, length);

      /* Decimal: strtod gives the correctly rounded value. */
      return json_node_init_double (json_node_alloc (), g_ascii_strtod (copy, NULL));
    }

  return json_node_init_double (json_node_alloc (), negative ? -approx : approx);
}

/* Floats: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, and the
 * spellings of infinity and not-a-number. */
static JsonNode *
resolve_float (const char *value,
               gsize       length)
{
  static const char * const inf[] = { ".inf", ".Inf", ".INF", NULL };
  static const char * const nan[] = { ".nan", ".NaN", ".NAN", NULL };
  g_autofree char *copy = NULL;
  gsize i = 0;
  gsize int_digits = 0;
  gsize frac_digits = 0;
  gboolean negative = FALSE;

  if (length > 0 && (value[0] == '-' || value[0] == '+'))
    {
      negative = value[0] == '-';
      i = 1;
    }

  if (is_one_of (value + i, length - i, inf))
    return json_node_init_double (json_node_alloc (), negative ? -INFINITY : INFINITY);

  if (i == 0 && is_one_of (value, length, nan))
    return json_node_init_double (json_node_alloc (), NAN);

  while (i < length && g_ascii_isdigit (value[i]))
    {
      i++;
      int_digits++;
    }

  if (i < length && value[i] == '.')
    {
      i++;
      while (i < length && g_ascii_isdigit (value[i]))
        {
          i++;
          frac_digits++;
        }
    }

  if (int_digits == 0 && frac_digits == 0)
    return NULL;

  if (i < length && (value[i] == 'e' || value[i] == 'E'))
    {
      gsize exp_digits = 0;

      i++;
      if (i < length && (value[i] == '-' || value[i] == '+'))
        i++;
      while (i < length && g_ascii_isdigit (value[i]))
        {
          i++;
          exp_digits++;
        }
      if (exp_digits == 0)
        return NULL;
    }

  if (i != length)
    return NULL;

  copy = g_strndup (value, length);
  return json_node_init_double (json_node_alloc (), g_ascii_strtod (copy, NULL));
}

static JsonNode *
make_string (const char *value,
             gsize       length)
{
  g_autofree char *copy = g_strndup (value, length);

  return json_node_init_string (json_node_alloc (), copy);
}

/* Resolves a scalar by the core schema, or by its explicit tag. */
static JsonNode *
resolve_scalar (Composer      *c,
                yaml_event_t  *event,
                GError       **error)
{
  const char *value = (const char *) event->data.scalar.value;
  gsize length = event->data.scalar.length;
  const char *tag = (const char *) event->data.scalar.tag;
  gboolean plain = event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
  JsonNode *node;
  gboolean b;

  if (tag == NULL)
    {
      if (!plain)
        return make_string (value, length);

      if (resolve_null (value, length))
        return json_node_init_null (json_node_alloc ());
      if (resolve_bool (value, length, &b))
        return json_node_init_boolean (json_node_alloc (), b);
      if ((node = resolve_int (value, length)) != NULL)
        return node;
      if ((node = resolve_float (value, length)) != NULL)
        return node;
      return make_string (value, length);
    }

  if (g_str_equal (tag, "!") || g_str_equal (tag, TAG_PREFIX "str"))
    return make_string (value, length);

  if (g_str_equal (tag, TAG_PREFIX "null"))
    {
      if (resolve_null (value, length))
        return json_node_init_null (json_node_alloc ());
    }
  else if (g_str_equal (tag, TAG_PREFIX "bool"))
    {
      if (resolve_bool (value, length, &b))
        return json_node_init_boolean (json_node_alloc (), b);
    }
  else if (g_str_equal (tag, TAG_PREFIX "int"))
    {
      if ((node = resolve_int (value, length)) != NULL)
        return node;
    }
  else if (g_str_equal (tag, TAG_PREFIX "float"))
    {
      if ((node = resolve_int (value, length)) != NULL ||
          (node = resolve_float (value, length)) != NULL)
        {
          if (json_node_get_value_type (node) == G_TYPE_INT64)
            json_node_set_double (node, (double) json_node_get_int (node));
          return node;
        }
    }
  else
    {
      set_error_at (c, &event->start_mark, error,
                    "unsupported tag '%s' (only the YAML 1.2 core schema is supported)", tag);
      return NULL;
    }

  {
    g_autofree char *shown = g_strndup (value, MIN (length, 40));

    set_error_at (c, &event->start_mark, error,
                  "'%s%s' is not a valid !!%s", shown, length > 40 ? "…" : "",
                  tag + strlen (TAG_PREFIX));
  }
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Composing                                                                */
/* ------------------------------------------------------------------------ */


static Frame *
top_frame (Composer *c)
{
  if (c->stack->len == 0)
    return NULL;
  return &g_array_index (c->stack, Frame, c->stack->len - 1);
}

/* A mapping on top of the stack that waits for a key? */
static gboolean
expects_key (Composer *c)
{
  Frame *top = top_frame (c);

  return top != NULL && JSON_NODE_HOLDS_OBJECT (top->node) && top->key == NULL;
}

/* Registers @anchor for @node (takes a reference). */
static void
register_anchor (Composer   *c,
                 const char *name,
                 JsonNode   *node,
                 gsize       nodes,
                 gsize       bytes,
                 guint       height)
{
  Anchor *anchor = g_new0 (Anchor, 1);

  anchor->node = json_node_ref (node);
  anchor->nodes = nodes;
  anchor->bytes = bytes;
  anchor->height = height;
  g_hash_table_replace (c->anchors, g_strdup (name), anchor);
}

/* Places a finished value (transfer full) in its parent or as the root. */
static void
add_value (Composer *c,
           JsonNode *node,
           gsize     nodes,
           gsize     bytes,
           guint     height)
{
  Frame *parent = top_frame (c);

  if (parent == NULL)
    {
      g_clear_pointer (&c->root, json_node_unref);
      c->root = node;
      return;
    }

  parent->nodes += nodes;
  parent->bytes += bytes;
  parent->height = MAX (parent->height, height + 1);

  if (JSON_NODE_HOLDS_ARRAY (parent->node))
    {
      json_array_add_element (json_node_get_array (parent->node), node);
    }
  else
    {
      g_autofree char *key = g_steal_pointer (&parent->key);

      json_object_set_member (json_node_get_object (parent->node), key, node);
    }
}

static void
record_line (Composer          *c,
             JsonNode          *node,
             const yaml_mark_t *mark)
{
  if (c->lines != NULL)
    g_hash_table_insert (c->lines, node, GUINT_TO_POINTER ((guint) mark->line + 1));
}

static gboolean
handle_key (Composer      *c,
            yaml_event_t  *event,
            GError       **error)
{
  Frame *top = top_frame (c);
  const char *value = (const char *) event->data.scalar.value;
  g_autofree char *key = g_strndup (value, event->data.scalar.length);

  if (event->data.scalar.anchor != NULL)
    return set_error_at (c, &event->start_mark, error,
                         "anchors on mapping keys are not supported");

  if (json_object_has_member (json_node_get_object (top->node), key))
    {
      g_autofree char *path = stack_path (c);

      if (path[0] == '\0')
        g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE,
                     "Duplicate key '%s' in '%s' line %" G_GSIZE_FORMAT ", column %" G_GSIZE_FORMAT,
                     key, c->source,
                     (gsize) event->start_mark.line + 1, (gsize) event->start_mark.column + 1);
      else
        g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE,
                     "Duplicate key '%s' at '%s' in '%s' line %" G_GSIZE_FORMAT ", column %" G_GSIZE_FORMAT,
                     key, path, c->source,
                     (gsize) event->start_mark.line + 1, (gsize) event->start_mark.column + 1);
      return FALSE;
    }

  top->key = g_steal_pointer (&key);
  return TRUE;
}

static gboolean
check_collection_tag (Composer      *c,
                      yaml_event_t  *event,
                      const char    *tag,
                      const char    *expected,
                      GError       **error)
{
  if (tag == NULL || g_str_equal (tag, "!") || g_str_equal (tag, expected))
    return TRUE;

  return set_error_at (c, &event->start_mark, error,
                       "unsupported tag '%s' (only the YAML 1.2 core schema is supported)", tag);
}

static gboolean
handle_event (Composer      *c,
              yaml_event_t  *event,
              GError       **error)
{
  switch (event->type)
    {
    case YAML_STREAM_START_EVENT:
    case YAML_STREAM_END_EVENT:
    case YAML_DOCUMENT_END_EVENT:
    case YAML_NO_EVENT:
      return TRUE;

    case YAML_DOCUMENT_START_EVENT:
      if (++c->documents > 1)
        return set_error_at (c, &event->start_mark, error,
                             "a config file must hold a single YAML document, found a second one");
      return TRUE;

    case YAML_SCALAR_EVENT:
      {
        JsonNode *node;
        const char *anchor = (const char *) event->data.scalar.anchor;

        if (expects_key (c))
          return handle_key (c, event, error);

        if ((node = resolve_scalar (c, event, error)) == NULL)
          return FALSE;

        record_line (c, node, &event->start_mark);
        if (anchor != NULL)
          register_anchor (c, anchor, node, 1, event->data.scalar.length, 1);
        add_value (c, node, 1, event->data.scalar.length, 1);
        return TRUE;
      }

    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
      {
        gboolean mapping = event->type == YAML_MAPPING_START_EVENT;
        const char *anchor = (const char *) (mapping ? event->data.mapping_start.anchor
                                                     : event->data.sequence_start.anchor);
        const char *tag = (const char *) (mapping ? event->data.mapping_start.tag
                                                  : event->data.sequence_start.tag);
        Frame frame = { NULL, NULL, NULL, 1, 0, 1 };

        if (expects_key (c))
          return set_error_at (c, &event->start_mark, error,
                               "a mapping key must be a scalar, not a %s",
                               mapping ? "mapping" : "sequence");

        if (!check_collection_tag (c, event, tag, mapping ? TAG_PREFIX "map" : TAG_PREFIX "seq", error))
          return FALSE;

        if (c->stack->len >= BK_YAML_MAX_DEPTH)
          return set_error_at (c, &event->start_mark, error,
                               "the document is nested deeper than %u levels", BK_YAML_MAX_DEPTH);

        if (mapping)
          {
            g_autoptr(JsonObject) object = json_object_new ();

            frame.node = json_node_init_object (json_node_alloc (), object);
          }
        else
          {
            g_autoptr(JsonArray) array = json_array_new ();

            frame.node = json_node_init_array (json_node_alloc (), array);
          }

        record_line (c, frame.node, &event->start_mark);

        if (anchor != NULL)
          {
            /* Pending until the collection ends: an alias to it from
             * inside would be infinite. */
            g_hash_table_replace (c->anchors, g_strdup (anchor), g_new0 (Anchor, 1));
            frame.anchor = g_strdup (anchor);
          }

        g_array_append_val (c->stack, frame);
        return TRUE;
      }

    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      {
        Frame frame;

        g_assert (c->stack->len > 0);
        frame = g_array_index (c->stack, Frame, c->stack->len - 1);
        /* Remove without the clear function: the fields move out. */
        memset (&g_array_index (c->stack, Frame, c->stack->len - 1), 0, sizeof (Frame));
        g_array_set_size (c->stack, c->stack->len - 1);

        if (frame.anchor != NULL)
          register_anchor (c, frame.anchor, frame.node, frame.nodes, frame.bytes, frame.height);

        g_free (frame.anchor);
        g_free (frame.key);
        add_value (c, frame.node, frame.nodes, frame.bytes, frame.height);
        return TRUE;
      }

    case YAML_ALIAS_EVENT:
      {
        const char *name = (const char *) event->data.alias.anchor;
        Anchor *anchor;
        JsonNode *copy;

        if (expects_key (c))
          return set_error_at (c, &event->start_mark, error,
                               "aliases are not supported as mapping keys");

        anchor = g_hash_table_lookup (c->anchors, name);
        if (anchor == NULL)
          return set_error_at (c, &event->start_mark, error, "unknown alias '*%s'", name);
        if (anchor->node == NULL)
          return set_error_at (c, &event->start_mark, error,
                               "alias '*%s' refers to a node that contains it", name);

        if (c->stack->len + anchor->height > BK_YAML_MAX_DEPTH)
          return set_error_at (c, &event->start_mark, error,
                               "the document is nested deeper than %u levels", BK_YAML_MAX_DEPTH);

        if (anchor->nodes > BK_YAML_MAX_ALIAS_NODES - c->alias_nodes ||
            anchor->bytes > BK_YAML_MAX_ALIAS_BYTES - c->alias_bytes)
          return set_error_at (c, &event->start_mark, error,
                               "aliases expand to more than %u nodes or %u bytes "
                               "(a \"billion laughs\" document?)",
                               BK_YAML_MAX_ALIAS_NODES, BK_YAML_MAX_ALIAS_BYTES);

        c->alias_nodes += anchor->nodes;
        c->alias_bytes += anchor->bytes;

        copy = _bk_json_node_deep_copy (anchor->node); /* depth bounded by the caller's check */
        add_value (c, copy, anchor->nodes, anchor->bytes, anchor->height);
        return TRUE;
      }

    default:
      return TRUE;
    }
}

JsonNode *
_bk_yaml_parse (const char   *data,
                gsize         length,
                const char   *source,
                GHashTable   *lines,
                GError      **error)
{
  Composer c = { 0, };
  yaml_parser_t parser;
  gboolean ok = TRUE;
  JsonNode *root = NULL;

  g_assert (data != NULL || length == 0);
  g_assert (source != NULL);

  c.data = data != NULL ? data : "";
  c.length = length;
  c.source = source;
  c.lines = lines;
  c.stack = g_array_new (FALSE, TRUE, sizeof (Frame));
  g_array_set_clear_func (c.stack, frame_clear);
  c.anchors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, anchor_free);

  if (!yaml_parser_initialize (&parser))
    {
      g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE,
                   "Failed to parse config in '%s', out of memory", source);
      ok = FALSE;
    }
  else
    {
      yaml_parser_set_input_string (&parser, (const unsigned char *) c.data, length);

      for (;;)
        {
          yaml_event_t event;
          yaml_event_type_t type;

          if (!yaml_parser_parse (&parser, &event))
            {
              ok = set_parser_error (&c, &parser, error);
              break;
            }

          type = event.type;
          ok = handle_event (&c, &event, error);
          yaml_event_delete (&event);

          if (!ok || type == YAML_STREAM_END_EVENT)
            break;
        }

      yaml_parser_delete (&parser);
    }

  if (ok)
    root = c.root != NULL ? g_steal_pointer (&c.root) : json_node_init_null (json_node_alloc ());

  g_clear_pointer (&c.root, json_node_unref);
  g_array_unref (c.stack);
  g_hash_table_unref (c.anchors);

  return root;
}
