/* bk-database-result.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * BkDatabaseResult:
 *
 * The rows a statement returned, and how many rows it changed.
 *
 * Values are typed by what the engine stored: an integer is an `x`
 * (int64) GVariant, a real number a `d`, text an `s`, a blob an `ay`, a
 * PostgreSQL boolean a `b`; SQL `NULL` is a %NULL value. SQLite has no
 * boolean type: a boolean parameter comes back as the integer 0 or 1, which
 * [method@Bk.DatabaseResult.get_boolean] reads as a boolean on both
 * engines. The typed getters convert between numbers, booleans and numeric
 * strings, so code reads the same on both engines.
 *
 * Columns are named as the statement names them (use `AS` to rename).
 * A result is immutable once returned and may be used from any thread.
 *
 * Since: 0.1
 */

#include "bk-database-private.h"

struct _BkDatabaseResult
{
  GObject     parent_instance;
  GStrv       column_names;
  guint       n_columns;
  guint       n_rows;
  GPtrArray  *values;       /* row after row, n_columns each; NULL for SQL NULL */
  guint64     changes;
};

G_DEFINE_FINAL_TYPE (BkDatabaseResult, bk_database_result, G_TYPE_OBJECT)

static void
bk_database_result_finalize (GObject *object)
{
  BkDatabaseResult *self = BK_DATABASE_RESULT (object);

  g_clear_pointer (&self->values, g_ptr_array_unref);
  g_clear_pointer (&self->column_names, g_strfreev);

  G_OBJECT_CLASS (bk_database_result_parent_class)->finalize (object);
}

static void
bk_database_result_class_init (BkDatabaseResultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bk_database_result_finalize;
}

static void
bk_database_result_init (BkDatabaseResult *self)
{
}

static void
value_free (gpointer value)
{
  if (value != NULL)
    g_variant_unref (value);
}

BkDatabaseResult *
_bk_database_result_new (guint               n_columns,
                         const char * const *column_names)
{
  BkDatabaseResult *self = g_object_new (BK_TYPE_DATABASE_RESULT, NULL);

  self->n_columns = n_columns;
  self->column_names = g_new0 (char *, n_columns + 1);
  for (guint i = 0; i < n_columns; i++)
    self->column_names[i] = g_strdup (column_names[i]);
  self->values = g_ptr_array_new_with_free_func (value_free);
  return self;
}

void
_bk_database_result_append_row (BkDatabaseResult  *self,
                                GVariant         **values)
{
  for (guint i = 0; i < self->n_columns; i++)
    g_ptr_array_add (self->values, values[i] != NULL ? g_variant_ref_sink (values[i]) : NULL);
  self->n_rows++;
}

void
_bk_database_result_set_changes (BkDatabaseResult *self,
                                 guint64           changes)
{
  self->changes = changes;
}

/**
 * bk_database_result_get_n_rows:
 * @self: a #BkDatabaseResult
 *
 * Counts the result's rows.
 *
 * Returns: the number of rows
 *
 * Since: 0.1
 */
guint
bk_database_result_get_n_rows (BkDatabaseResult *self)
{
  g_return_val_if_fail (BK_IS_DATABASE_RESULT (self), 0);

  return self->n_rows;
}

/**
 * bk_database_result_get_n_columns:
 * @self: a #BkDatabaseResult
 *
 * Counts the result's columns.
 *
 * Returns: the number of columns (0 for a statement that returns no rows)
 *
 * Since: 0.1
 */
guint
bk_database_result_get_n_columns (BkDatabaseResult *self)
{
  g_return_val_if_fail (BK_IS_DATABASE_RESULT (self), 0);

  return self->n_columns;
}

/**
 * bk_database_result_get_column_name:
 * @self: a #BkDatabaseResult
 * @column: a column index, below [method@Bk.DatabaseResult.get_n_columns]
 *
 * Gets a column's name.
 *
 * Returns: (transfer none): the column's name
 *
 * Since: 0.1
 */
const char *
bk_database_result_get_column_name (BkDatabaseResult *self,
                                    guint             column)
{
  g_return_val_if_fail (BK_IS_DATABASE_RESULT (self), NULL);
  g_return_val_if_fail (column < self->n_columns, NULL);

  return self->column_names[column];
}

/**
 * bk_database_result_get_column_index:
 * @self: a #BkDatabaseResult
 * @name: a column name
 *
 * Finds a column by name.
 *
 * Returns: the index of the first column called @name, or -1
 *
 * Since: 0.1
 */
int
bk_database_result_get_column_index (BkDatabaseResult *self,
                                     const char       *name)
{
  g_return_val_if_fail (BK_IS_DATABASE_RESULT (self), -1);
  g_return_val_if_fail (name != NULL, -1);

  for (guint i = 0; i < self->n_columns; i++)
    if (g_str_equal (self->column_names[i], name))
      return (int) i;
  return -1;
}

/**
 * bk_database_result_get_changes:
 * @self: a #BkDatabaseResult
 *
 * Counts the rows the statement changed.
 *
 * Returns: the number of rows an `INSERT`, `UPDATE` or `DELETE` changed;
 *   0 for other statements
 *
 * Since: 0.1
 */
guint64
bk_database_result_get_changes (BkDatabaseResult *self)
{
  g_return_val_if_fail (BK_IS_DATABASE_RESULT (self), 0);

  return self->changes;
}

/* The value at (@row, @column); a missing row or column is a programming
 * error. */
static gboolean
lookup (BkDatabaseResult  *self,
        guint              row,
        const char        *column,
        GVariant         **out)
{
  int index;

  g_return_val_if_fail (BK_IS_DATABASE_RESULT (self), FALSE);
  g_return_val_if_fail (column != NULL, FALSE);
  g_return_val_if_fail (row < self->n_rows, FALSE);

  index = bk_database_result_get_column_index (self, column);
  if (index < 0)
    {
      g_critical ("The result has no column '%s'", column);
      return FALSE;
    }
  *out = g_ptr_array_index (self->values, row * self->n_columns + index);
  return TRUE;
}

/**
 * bk_database_result_get_value:
 * @self: a #BkDatabaseResult
 * @row: a row index
 * @column: a column name
 *
 * Gets a value as the engine returned it.
 *
 * Returns: (transfer none) (nullable): the value (`x`, `d`, `b`, `s` or
 *   `ay`), or %NULL for SQL `NULL`
 *
 * Since: 0.1
 */
GVariant *
bk_database_result_get_value (BkDatabaseResult *self,
                              guint             row,
                              const char       *column)
{
  GVariant *value = NULL;

  lookup (self, row, column, &value);
  return value;
}

/**
 * bk_database_result_is_null:
 * @self: a #BkDatabaseResult
 * @row: a row index
 * @column: a column name
 *
 * Tells whether a value is SQL `NULL`.
 *
 * Returns: whether the value is SQL `NULL`
 *
 * Since: 0.1
 */
gboolean
bk_database_result_is_null (BkDatabaseResult *self,
                            guint             row,
                            const char       *column)
{
  return bk_database_result_get_value (self, row, column) == NULL;
}

/**
 * bk_database_result_get_string:
 * @self: a #BkDatabaseResult
 * @row: a row index
 * @column: a column name
 *
 * Reads a text value.
 *
 * Returns: (transfer none) (nullable): the text value, or %NULL when the
 *   value is `NULL` or not text
 *
 * Since: 0.1
 */
const char *
bk_database_result_get_string (BkDatabaseResult *self,
                               guint             row,
                               const char       *column)
{
  GVariant *value = bk_database_result_get_value (self, row, column);

  if (value == NULL || !g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return NULL;
  return g_variant_get_string (value, NULL);
}

/**
 * bk_database_result_get_int64:
 * @self: a #BkDatabaseResult
 * @row: a row index
 * @column: a column name
 *
 * Reads an integer. A real number is truncated, a boolean is 0 or 1, text
 * is parsed as a decimal integer.
 *
 * Returns: the value, or 0 for `NULL` and what does not convert
 *
 * Since: 0.1
 */
gint64
bk_database_result_get_int64 (BkDatabaseResult *self,
                              guint             row,
                              const char       *column)
{
  GVariant *value = bk_database_result_get_value (self, row, column);

  if (value == NULL)
    return 0;
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    return g_variant_get_int64 (value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE))
    return (gint64) g_variant_get_double (value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    return g_variant_get_boolean (value) ? 1 : 0;
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return g_ascii_strtoll (g_variant_get_string (value, NULL), NULL, 10);
  return 0;
}

/**
 * bk_database_result_get_double:
 * @self: a #BkDatabaseResult
 * @row: a row index
 * @column: a column name
 *
 * Reads a real number; integers convert, text is parsed.
 *
 * Returns: the value, or 0 for `NULL` and what does not convert
 *
 * Since: 0.1
 */
double
bk_database_result_get_double (BkDatabaseResult *self,
                               guint             row,
                               const char       *column)
{
  GVariant *value = bk_database_result_get_value (self, row, column);

  if (value == NULL)
    return 0;
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE))
    return g_variant_get_double (value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return g_ascii_strtod (g_variant_get_string (value, NULL), NULL);
  return (double) bk_database_result_get_int64 (self, row, column);
}

/**
 * bk_database_result_get_boolean:
 * @self: a #BkDatabaseResult
 * @row: a row index
 * @column: a column name
 *
 * Reads a boolean: a boolean value, or a non-zero number (SQLite stores
 * booleans as 0 and 1).
 *
 * Returns: the value, %FALSE for `NULL`
 *
 * Since: 0.1
 */
gboolean
bk_database_result_get_boolean (BkDatabaseResult *self,
                                guint             row,
                                const char       *column)
{
  GVariant *value = bk_database_result_get_value (self, row, column);

  if (value != NULL && g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    return g_variant_get_boolean (value);
  return bk_database_result_get_double (self, row, column) != 0;
}

static JsonNode *
value_to_json (GVariant *value)
{
  JsonNode *node;

  if (value == NULL)
    return json_node_new (JSON_NODE_NULL);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING))
    {
      gsize n = 0;
      const guchar *data = g_variant_get_fixed_array (value, &n, 1);
      g_autofree char *base64 = g_base64_encode (data, n);

      node = json_node_new (JSON_NODE_VALUE);
      json_node_set_string (node, base64);
      return node;
    }
  return json_gvariant_serialize (value);
}

/**
 * bk_database_result_row_to_json:
 * @self: a #BkDatabaseResult
 * @row: a row index
 *
 * Makes a JSON object of one row: a member per column, numbers as
 * numbers, booleans as booleans, text as strings, blobs as base64 strings,
 * `NULL` as `null`.
 *
 * Returns: (transfer full): a new JSON object node
 *
 * Since: 0.1
 */
JsonNode *
bk_database_result_row_to_json (BkDatabaseResult *self,
                                guint             row)
{
  JsonObject *object;
  JsonNode *node;
  GVariant **values;

  g_return_val_if_fail (BK_IS_DATABASE_RESULT (self), NULL);
  g_return_val_if_fail (row < self->n_rows, NULL);

  values = (GVariant **) self->values->pdata + row * self->n_columns;
  object = json_object_new ();
  for (guint i = 0; i < self->n_columns; i++)
    json_object_set_member (object, self->column_names[i], value_to_json (values[i]));
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);
  return node;
}

/**
 * bk_database_result_to_json:
 * @self: a #BkDatabaseResult
 *
 * Makes a JSON array of every row, each as
 * [method@Bk.DatabaseResult.row_to_json] makes it.
 *
 * Returns: (transfer full): a new JSON array node
 *
 * Since: 0.1
 */
JsonNode *
bk_database_result_to_json (BkDatabaseResult *self)
{
  JsonArray *array;
  JsonNode *node;

  g_return_val_if_fail (BK_IS_DATABASE_RESULT (self), NULL);

  array = json_array_sized_new (self->n_rows);
  for (guint i = 0; i < self->n_rows; i++)
    json_array_add_element (array, bk_database_result_row_to_json (self, i));
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, array);
  return node;
}
