/* fuzz-config-yaml.c: libFuzzer target for YAML → config snapshot.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Feeds arbitrary bytes to bk_config_new_from_yaml(), the pure parse with no
 * `$file`, `$include`, `${VAR}` or environment, so a run depends on nothing
 * but its input. On success it reads the snapshot back a little: its source,
 * its top-level keys, a deep copy of the whole tree serialised to JSON,
 * each key path of that tree (has, dup_node, dup_key_source and an optional
 * string read, up to 256 of them), the secrets and the unread keys. Everything is freed, so libFuzzer's leak
 * detection catches a leak on either path.
 *
 * GLib warnings and criticals abort: bad input must come back as a #GError,
 * never as a g_warning() or a failed precondition (see STYLE.md). Run it
 * with G_SLICE=always-malloc (scripts/fuzz.sh does), or GLib 2.74's slice
 * allocator hides leaked JsonNodes from LeakSanitizer.
 *
 * Build and run with scripts/fuzz.sh; see fuzzing/README.md.
 */

#include <string.h>

#include "libbackend.h"
#include "fuzz-harness.h"

static void
exercise_key (BkConfig   *config,
              const char *key)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *source = NULL;
  g_autofree char *value = NULL;

  (void) bk_config_has (config, key);
  node = bk_config_dup_node (config, key);
  source = bk_config_dup_key_source (config, key);

  /* Fails with BK_CONFIG_ERROR_INVALID_TYPE on non-strings: that is fine,
   * only a crash, a leak or a critical is a finding. */
  if (!bk_config_get_optional_string (config, key, NULL, &value, &error))
    g_assert_nonnull (error);
}

/* Reads back every key path of @node that the dotted-key syntax can name
 * (members whose name is non-empty and holds no dot), at most *budget. */
static void
exercise_tree (BkConfig   *config,
               const char *prefix,
               JsonNode   *node,
               guint      *budget)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return;

  json_object_iter_init_ordered (&iter, json_node_get_object (node));
  while (*budget > 0 && json_object_iter_next_ordered (&iter, &name, &member))
    {
      g_autofree char *key = NULL;

      if (name[0] == '\0' || strchr (name, '.') != NULL)
        continue;

      key = prefix != NULL ? g_strconcat (prefix, ".", name, NULL) : g_strdup (name);
      (*budget)--;
      exercise_key (config, key);
      exercise_tree (config, key, member, budget);
    }
}

static void
exercise_config (BkConfig *config)
{
  g_auto(GStrv) keys = NULL;
  g_auto(GStrv) secrets = NULL;
  g_auto(GStrv) unread = NULL;
  g_autoptr(JsonNode) root = NULL;
  guint budget = 256;

  g_assert_cmpstr (bk_config_get_source (config), ==, "fuzz");

  keys = bk_config_get_keys (config);
  g_assert_nonnull (keys);

  root = bk_config_dup_node (config, NULL);
  if (root != NULL)
    {
      g_autofree char *json = json_to_string (root, FALSE);

      g_assert_nonnull (json);
      /* A config is an object at its root. */
      g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
      g_assert_cmpuint (g_strv_length (keys), ==, json_object_get_size (json_node_get_object (root)));
      exercise_tree (config, NULL, root, &budget);
    }

  secrets = bk_config_dup_secrets (config);
  g_assert_nonnull (secrets);
  unread = bk_config_dup_unread_keys (config);
  g_assert_nonnull (unread);
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_harness_init ("fuzz-config-yaml", "JsonNode, GHashTable, ...");
  /* Register the types once, outside the first input, so their one-off
   * allocations are never mistaken for a leak of that input. */
  g_type_ensure (BK_TYPE_CONFIG);
  (void) bk_config_error_quark ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  /* gssize length: an input can never exceed -max_len, but be exact. */
  if (size > G_MAXSSIZE)
    return 0;

  config = bk_config_new_from_yaml ((const char *) data, (gssize) size, "fuzz", &error);

  if (config == NULL)
    {
      /* A failure says why, in the config error domain, naming the source
       * (DESIGN.md §8). */
      g_assert_nonnull (error);
      g_assert_true (error->domain == BK_CONFIG_ERROR);
      g_assert_nonnull (strstr (error->message, "fuzz"));
      return 0;
    }

  g_assert_null (error);
  exercise_config (config);

  return 0;
}
