/* bk-test-directory.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include <libbackend-test-utils.h>

/**
 * BkTestDirectory:
 *
 * A temporary directory for a test, described as JSON and removed at the end.
 *
 * [ctor@Bk.TestDirectory.new] makes an empty directory under the system's
 * temporary directory (`bk-test-XXXXXX`);
 * [ctor@Bk.TestDirectory.new_from_json] fills it from a description. In a
 * description, a string value is a file with that content and an object value
 * is a directory, described the same way:
 *
 * ```c
 * g_autoptr(GError) error = NULL;
 * g_autoptr(BkTestDirectory) dir =
 *   bk_test_directory_new_from_json ("{\"app-config.yaml\": \"backend:\\n  listen: 7007\\n\","
 *                                    " \"sub\": {\"a.txt\": \"x\"}}", &error);
 * g_autofree char *config = bk_test_directory_resolve (dir, "app-config.yaml");
 * ```
 *
 * A key may contain `/` to create intermediate directories (`"data/a.txt"`).
 * Keys must stay inside the directory: an absolute path or a `..` component is
 * refused with %G_IO_ERROR_INVALID_ARGUMENT naming the key, and then nothing
 * is written.
 *
 * [method@Bk.TestDirectory.dup_content] gives the tree back as a description
 * (keys sorted), so a test can assert what a component wrote. The directory is
 * removed by [method@Bk.TestDirectory.remove] or, at the latest, when the
 * object is finalized.
 *
 * Errors about a description are in the `G_IO_ERROR` domain
 * (%G_IO_ERROR_INVALID_ARGUMENT); errors of the file system are those of
 * GLib's file utilities (`G_FILE_ERROR`).
 *
 * A `BkTestDirectory` is not thread-safe: use it from one thread at a time.
 *
 * Since: 0.1
 */

struct _BkTestDirectory
{
  GObject   parent_instance;

  char     *path;
  gboolean  removed;
};

G_DEFINE_FINAL_TYPE (BkTestDirectory, bk_test_directory, G_TYPE_OBJECT)

/* ------------------------------------------------------------------------ */
/* Removal                                                                  */
/* ------------------------------------------------------------------------ */

static gboolean
set_error_from_errno (GError    **error,
                      int         saved_errno,
                      const char *what,
                      const char *path)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
               "%s '%s': %s", what, path, g_strerror (saved_errno));
  return FALSE;
}

/* Deletes @path and, for a directory, everything under it. Symbolic links are
 * removed, never followed. A missing @path is not an error. */
static gboolean
delete_recursively (const char  *path,
                    GError     **error)
{
  if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK) &&
      g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GDir) dir = NULL;
      g_autoptr(GError) local_error = NULL;
      const char *name;

      dir = g_dir_open (path, 0, &local_error);
      if (dir == NULL)
        {
          if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return TRUE;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }

      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (!delete_recursively (child, error))
            return FALSE;
        }

      if (g_rmdir (path) != 0 && errno != ENOENT)
        return set_error_from_errno (error, errno, "Could not remove directory", path);
      return TRUE;
    }

  if (g_remove (path) != 0 && errno != ENOENT)
    return set_error_from_errno (error, errno, "Could not remove", path);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */
/* ------------------------------------------------------------------------ */

static void
bk_test_directory_finalize (GObject *object)
{
  BkTestDirectory *self = BK_TEST_DIRECTORY (object);

  if (self->path != NULL && !self->removed)
    {
      g_autoptr(GError) error = NULL;

      /* Not a warning: gtest would make it fatal in the middle of a
       * tear-down. The directory is only left behind. */
      if (!delete_recursively (self->path, &error))
        g_message ("Could not remove the test directory '%s': %s", self->path, error->message);
    }

  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (bk_test_directory_parent_class)->finalize (object);
}

static void
bk_test_directory_class_init (BkTestDirectoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bk_test_directory_finalize;
}

static void
bk_test_directory_init (BkTestDirectory *self)
{
}

/* ------------------------------------------------------------------------ */
/* Descriptions                                                             */
/* ------------------------------------------------------------------------ */

static const char *
node_type_name (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      return "an object";
    case JSON_NODE_ARRAY:
      return "an array";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_BOOLEAN:
          return "a boolean";
        case G_TYPE_STRING:
          return "a string";
        default:
          return "a number";
        }
    default:
      return "an unknown value";
    }
}

/* Writes " (in 'parent')" when @parent is a nested directory of the
 * description, nothing at its top level. */
static char *
describe_location (const char *parent)
{
  if (parent == NULL || *parent == '\0')
    return g_strdup ("");
  return g_strdup_printf (" (in '%s')", parent);
}

/* Checks that @key stays inside the directory. */
static gboolean
validate_key (const char  *key,
              const char  *parent,
              GError     **error)
{
  g_autofree char *location = NULL;
  g_auto(GStrv) components = NULL;
  const char *reason = NULL;

  if (*key == '\0')
    reason = "keys must not be empty";
  else if (g_path_is_absolute (key))
    reason = "keys must be relative paths, not absolute ones";
  else
    {
      components = g_strsplit (key, "/", -1);
      for (guint i = 0; components[i] != NULL; i++)
        {
          if (strcmp (components[i], "..") == 0)
            {
              reason = "keys must not contain '..', which leaves the directory";
              break;
            }
        }
    }

  if (reason == NULL)
    return TRUE;

  location = describe_location (parent);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "Invalid key '%s'%s in the test directory description: %s",
               key, location, reason);
  return FALSE;
}

/* Checks every key and value of @object before anything is written. */
static gboolean
validate_object (JsonObject  *object,
                 const char  *parent,
                 GError     **error)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (const GList *l = members; l != NULL; l = l->next)
    {
      const char *key = l->data;
      JsonNode *node = json_object_get_member (object, key);

      if (!validate_key (key, parent, error))
        return FALSE;

      if (JSON_NODE_HOLDS_OBJECT (node))
        {
          g_autofree char *path = NULL;

          path = parent != NULL ? g_build_filename (parent, key, NULL) : g_strdup (key);
          if (!validate_object (json_node_get_object (node), path, error))
            return FALSE;
        }
      else if (!JSON_NODE_HOLDS_VALUE (node) ||
               json_node_get_value_type (node) != G_TYPE_STRING)
        {
          g_autofree char *location = describe_location (parent);

          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "Invalid value for key '%s'%s in the test directory description: "
                       "expected a string (a file) or an object (a directory), got %s",
                       key, location, node_type_name (node));
          return FALSE;
        }
    }

  return TRUE;
}

static gboolean
make_directory (const char  *path,
                GError     **error)
{
  if (g_mkdir_with_parents (path, 0755) != 0)
    return set_error_from_errno (error, errno, "Could not create directory", path);
  return TRUE;
}

/* Writes the (validated) @object under @base. */
static gboolean
write_object (JsonObject  *object,
              const char  *base,
              GError     **error)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (const GList *l = members; l != NULL; l = l->next)
    {
      const char *key = l->data;
      JsonNode *node = json_object_get_member (object, key);
      g_autofree char *path = g_build_filename (base, key, NULL);

      if (JSON_NODE_HOLDS_OBJECT (node))
        {
          if (!make_directory (path, error) ||
              !write_object (json_node_get_object (node), path, error))
            return FALSE;
        }
      else
        {
          g_autofree char *dirname = g_path_get_dirname (path);

          if (!make_directory (dirname, error) ||
              !g_file_set_contents (path, json_node_get_string (node), -1, error))
            return FALSE;
        }
    }

  return TRUE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Reads the tree under @path into a JSON object, keys sorted. */
static JsonObject *
read_object (const char  *path,
             GError     **error)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  dir = g_dir_open (path, 0, error);
  if (dir == NULL)
    return NULL;

  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      const char *child_name = g_ptr_array_index (names, i);
      g_autofree char *child = g_build_filename (path, child_name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                       "Cannot describe '%s': a symbolic link is neither a file nor a directory",
                       child);
          return NULL;
        }
      else if (g_file_test (child, G_FILE_TEST_IS_DIR))
        {
          JsonObject *sub = read_object (child, error);

          if (sub == NULL)
            return NULL;
          json_object_set_object_member (object, child_name, sub);
        }
      else if (g_file_test (child, G_FILE_TEST_IS_REGULAR))
        {
          g_autofree char *contents = NULL;
          gsize length = 0;

          if (!g_file_get_contents (child, &contents, &length, error))
            return NULL;
          if (!g_utf8_validate (contents, length, NULL))
            {
              g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                           "Cannot describe '%s': its content is not UTF-8 text", child);
              return NULL;
            }
          json_object_set_string_member (object, child_name, contents);
        }
      else
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                       "Cannot describe '%s': it is neither a regular file nor a directory",
                       child);
          return NULL;
        }
    }

  return g_steal_pointer (&object);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */
/* ------------------------------------------------------------------------ */

/**
 * bk_test_directory_new:
 * @error: return location for a #GError
 *
 * Creates an empty temporary directory, `bk-test-XXXXXX` under
 * [func@GLib.get_tmp_dir].
 *
 * Returns: (transfer full): a new test directory, or %NULL with @error set if
 *   the directory could not be created
 *
 * Since: 0.1
 */
BkTestDirectory *
bk_test_directory_new (GError **error)
{
  g_autoptr(BkTestDirectory) self = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  path = g_dir_make_tmp ("bk-test-XXXXXX", error);
  if (path == NULL)
    return NULL;

  self = g_object_new (BK_TYPE_TEST_DIRECTORY, NULL);
  self->path = g_steal_pointer (&path);

  return g_steal_pointer (&self);
}

/**
 * bk_test_directory_new_from_json:
 * @description: a JSON object describing the content, see
 *   [method@Bk.TestDirectory.add_content]
 * @error: return location for a #GError
 *
 * Creates a temporary directory (as [ctor@Bk.TestDirectory.new]) and fills it
 * from @description.
 *
 * Returns: (transfer full): a new test directory, or %NULL with @error set if
 *   the description is invalid or could not be written; the directory is
 *   removed again then
 *
 * Since: 0.1
 */
BkTestDirectory *
bk_test_directory_new_from_json (const char  *description,
                                 GError     **error)
{
  g_autoptr(BkTestDirectory) self = NULL;

  g_return_val_if_fail (description != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = bk_test_directory_new (error);
  if (self == NULL)
    return NULL;

  if (!bk_test_directory_add_content (self, description, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * bk_test_directory_add_content:
 * @self: a test directory
 * @description: a JSON object describing the content to add
 * @error: return location for a #GError
 *
 * Writes the files and directories of @description into the directory.
 *
 * In @description, a string value is a file with that content and an object
 * value is a directory, described the same way:
 *
 * ```json
 * {"app-config.yaml": "backend:\n  listen: 7007\n", "sub": {"a.txt": "x"}}
 * ```
 *
 * A key may contain `/`; the intermediate directories are created. Existing
 * files are replaced and existing directories are kept.
 *
 * The whole description is checked before anything is written: invalid JSON,
 * a top level that is not an object, a value that is neither a string nor an
 * object, and a key that is empty, absolute or has a `..` component are
 * refused with %G_IO_ERROR_INVALID_ARGUMENT, naming the key. A failure of the
 * file system (a key that names an existing file as a directory, say) may
 * leave what was written before it.
 *
 * Returns: %TRUE on success, %FALSE with @error set otherwise
 *
 * Since: 0.1
 */
gboolean
bk_test_directory_add_content (BkTestDirectory  *self,
                               const char       *description,
                               GError          **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  g_return_val_if_fail (BK_IS_TEST_DIRECTORY (self), FALSE);
  g_return_val_if_fail (description != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->removed)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "The test directory '%s' has been removed", self->path);
      return FALSE;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, description, -1, &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Invalid test directory description: %s", local_error->message);
      return FALSE;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Invalid test directory description: expected a JSON object, got %s",
                   root == NULL ? "nothing" : node_type_name (root));
      return FALSE;
    }

  if (!validate_object (json_node_get_object (root), NULL, error))
    return FALSE;

  return write_object (json_node_get_object (root), self->path, error);
}

/**
 * bk_test_directory_get_path:
 * @self: a test directory
 *
 * Gets the absolute path of the directory. After
 * [method@Bk.TestDirectory.remove] the path no longer exists.
 *
 * Returns: (transfer none) (type filename): the path of the directory
 *
 * Since: 0.1
 */
const char *
bk_test_directory_get_path (BkTestDirectory *self)
{
  g_return_val_if_fail (BK_IS_TEST_DIRECTORY (self), NULL);

  return self->path;
}

/**
 * bk_test_directory_resolve:
 * @self: a test directory
 * @relative_path: (type filename): a path relative to the directory
 *
 * Builds the absolute path of @relative_path inside the directory, with
 * [func@GLib.build_filename]. The file need not exist.
 *
 * Returns: (transfer full) (type filename): the absolute path
 *
 * Since: 0.1
 */
char *
bk_test_directory_resolve (BkTestDirectory *self,
                           const char      *relative_path)
{
  g_return_val_if_fail (BK_IS_TEST_DIRECTORY (self), NULL);
  g_return_val_if_fail (relative_path != NULL, NULL);

  return g_build_filename (self->path, relative_path, NULL);
}

/**
 * bk_test_directory_dup_content:
 * @self: a test directory
 * @error: return location for a #GError
 *
 * Describes the current content of the directory, in the shape
 * [method@Bk.TestDirectory.add_content] takes: each file is a string with its
 * content, each directory an object (an empty one is `{}`). Keys are sorted
 * (byte order) and the JSON is compact, so a test can compare it with a
 * string:
 *
 * ```c
 * g_autofree char *content = bk_test_directory_dup_content (dir, &error);
 *
 * g_assert_cmpstr (content, ==, "{\"out\":{\"report.txt\":\"done\\n\"}}");
 * ```
 *
 * A symbolic link, a special file or a file that is not UTF-8 text cannot be
 * described and fails with %G_FILE_ERROR_INVAL naming it.
 *
 * Returns: (transfer full): the description as a JSON string, or %NULL with
 *   @error set (also after [method@Bk.TestDirectory.remove])
 *
 * Since: 0.1
 */
char *
bk_test_directory_dup_content (BkTestDirectory  *self,
                               GError          **error)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (BK_IS_TEST_DIRECTORY (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->removed)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "The test directory '%s' has been removed", self->path);
      return NULL;
    }

  object = read_object (self->path, error);
  if (object == NULL)
    return NULL;

  root = json_node_init_object (json_node_alloc (), object);
  return json_to_string (root, FALSE);
}

/**
 * bk_test_directory_remove:
 * @self: a test directory
 * @error: return location for a #GError
 *
 * Removes the directory and everything in it now, instead of when @self is
 * finalized. Symbolic links inside are removed, not followed. Removing a
 * directory that was already removed (by this function or by someone else)
 * succeeds.
 *
 * Returns: %TRUE on success, %FALSE with @error set otherwise
 *
 * Since: 0.1
 */
gboolean
bk_test_directory_remove (BkTestDirectory  *self,
                          GError          **error)
{
  g_return_val_if_fail (BK_IS_TEST_DIRECTORY (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->removed)
    return TRUE;

  if (!delete_recursively (self->path, error))
    return FALSE;

  self->removed = TRUE;
  return TRUE;
}
