/* fuzz-http-path.c: libFuzzer target for the plugin router's path matching.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The input is up to three lines: a path pattern (`/users/:uid/todos/:id`),
 * a request path as sent (percent-encoded), and a content type. The path is
 * percent-decoded as libsoup's server does before routing (inputs it would
 * refuse are skipped), then split and matched against the pattern both
 * whole and as a prefix, as routes, mounts and middleware use them; the
 * content type goes through the JSON check of
 * bk_http_request_dup_body_json(). The target checks that
 *
 * - splitting keeps no empty segment and no slash;
 * - a match yields exactly the pattern's parameter names, each with the
 *   request segment at the last position that names it;
 * - a whole match is also a prefix match of the same length, and a prefix
 *   match of the whole length is a whole match;
 * - the JSON check ignores ASCII case;
 * - nothing leaks, crashes or logs a GLib warning or critical.
 *
 * Build and run with scripts/fuzz.sh; see fuzzing/README.md.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libbackend.h"
#include "bk-http-private.h"

int LLVMFuzzerInitialize   (int            *argc,
                            char         ***argv);
int LLVMFuzzerTestOneInput (const uint8_t  *data,
                            size_t          size);

static gboolean
is_param (const char *segment)
{
  return segment[0] == ':' && segment[1] != '\0';
}

static void
check_segments (GStrv segments)
{
  g_assert_nonnull (segments);
  for (guint i = 0; segments[i] != NULL; i++)
    {
      g_assert_cmpuint (strlen (segments[i]), >, 0);
      g_assert_null (strchr (segments[i], '/'));
    }
}

/* The parameters a match of @pattern against @segments must give. */
static GHashTable *
expected_params (GStrv pattern,
                 GStrv segments)
{
  GHashTable *expected = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; pattern[i] != NULL; i++)
    if (is_param (pattern[i]))
      g_hash_table_insert (expected, pattern[i] + 1, segments[i]);
  return expected;
}

static void
check_params (GHashTable *params,
              GHashTable *expected)
{
  GHashTableIter iter;
  gpointer name, value;

  g_assert_cmpuint (g_hash_table_size (params), ==, g_hash_table_size (expected));
  g_hash_table_iter_init (&iter, expected);
  while (g_hash_table_iter_next (&iter, &name, &value))
    g_assert_cmpstr (g_hash_table_lookup (params, name), ==, value);
}

static void
exercise_match (const char *pattern_text,
                const char *path)
{
  g_auto(GStrv) pattern = _bk_http_split_path (pattern_text);
  g_auto(GStrv) segments = _bk_http_split_path (path);
  g_autoptr(GHashTable) whole = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) prefix = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  guint n_pattern, n_segments;
  int matched_whole, matched_prefix;

  check_segments (pattern);
  check_segments (segments);
  n_pattern = g_strv_length (pattern);
  n_segments = g_strv_length (segments);

  matched_whole = _bk_http_match_path ((const char * const *) pattern,
                                       (const char * const *) segments, FALSE, whole);
  matched_prefix = _bk_http_match_path ((const char * const *) pattern,
                                        (const char * const *) segments, TRUE, prefix);

  /* Without a table, the same answer. */
  g_assert_cmpint (_bk_http_match_path ((const char * const *) pattern,
                                        (const char * const *) segments, FALSE, NULL), ==, matched_whole);

  if (matched_whole < 0)
    g_assert_cmpuint (g_hash_table_size (whole), ==, 0);
  else
    {
      g_autoptr(GHashTable) expected = expected_params (pattern, segments);

      g_assert_cmpint (matched_whole, ==, (int) n_pattern);
      g_assert_cmpuint (n_segments, ==, n_pattern);
      g_assert_cmpint (matched_prefix, ==, matched_whole);
      check_params (whole, expected);
    }

  if (matched_prefix < 0)
    g_assert_cmpuint (g_hash_table_size (prefix), ==, 0);
  else
    {
      g_autoptr(GHashTable) expected = expected_params (pattern, segments);

      g_assert_cmpint (matched_prefix, ==, (int) n_pattern);
      g_assert_cmpuint (n_segments, >=, n_pattern);
      if (n_segments == n_pattern)
        g_assert_cmpint (matched_whole, ==, matched_prefix);
      check_params (prefix, expected);
    }

  /* A pattern always matches itself (as a path) when it has no parameters. */
  {
    gboolean has_param = FALSE;

    for (guint i = 0; pattern[i] != NULL; i++)
      has_param |= is_param (pattern[i]);
    if (!has_param)
      g_assert_cmpint (_bk_http_match_path ((const char * const *) pattern,
                                            (const char * const *) pattern, FALSE, NULL), ==, (int) n_pattern);
  }
}

static void
exercise_content_type (const char *content_type)
{
  g_autofree char *upper = g_ascii_strup (content_type, -1);
  g_autofree char *lower = g_ascii_strdown (content_type, -1);
  gboolean json = _bk_http_is_json_content_type (content_type);

  g_assert_cmpint (_bk_http_is_json_content_type (upper), ==, json);
  g_assert_cmpint (_bk_http_is_json_content_type (lower), ==, json);
  if (json)
    g_assert_true (g_str_has_prefix (lower, "application/") &&
                   (g_str_equal (lower, "application/json") || g_str_has_suffix (lower, "+json")));
}

/* Prints and aborts on a warning or worse (libFuzzer then saves the input;
 * GLib's own fatal path would raise SIGTRAP, which libFuzzer ignores), and
 * drops the rest. */
static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags   log_level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  g_autofree char *line = NULL;

  if ((log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) == 0)
    return G_LOG_WRITER_HANDLED;

  line = g_log_writer_format_fields (log_level, fields, n_fields, FALSE);
  fprintf (stderr, "fuzz-http-path: a GLib message from the input:%s\n", line);
  abort ();
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  const char *slice = g_getenv ("G_SLICE");

  if (slice == NULL || strstr (slice, "always-malloc") == NULL)
    fprintf (stderr, "fuzz-http-path: G_SLICE=always-malloc is not set, "
                     "leaks of GSlice blocks (GHashTable, ...) go unseen\n");

  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  /* g_strndup stops at a NUL byte, as a C string from libsoup would. */
  g_autofree char *input = g_strndup ((const char *) data, size);
  g_auto(GStrv) lines = g_strsplit (input, "\n", 3);
  guint n_lines = g_strv_length (lines);
  const char *pattern = n_lines > 0 ? lines[0] : "";
  const char *raw_path = n_lines > 1 ? lines[1] : "";
  const char *content_type = n_lines > 2 ? lines[2] : "";
  g_autofree char *path = NULL;

  /* What libsoup's server hands the router: the decoded path, or nothing
   * (400) when it does not decode. */
  path = g_uri_unescape_string (raw_path, NULL);
  if (path != NULL)
    exercise_match (pattern, path);
  exercise_match (pattern, raw_path);
  exercise_content_type (content_type);
  return 0;
}
