/* test-config-files.c: the default core.rootConfig — config files, the YAML
 * reader, substitution and directives, environment overrides, secrets,
 * unread keys and reloads. docs/config.md holds the behaviour.
 *
 * Each fixture test runs in a fresh BkTestDirectory made the working
 * directory (the previous one is restored at tear-down), and unsets the
 * environment variables it set.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <math.h>
#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#include <libbackend.h>
#include <libbackend-test-utils.h>

#include "test-util.h"

/* ------------------------------------------------------------------------ */
/* Fixture and helpers                                                      */
/* ------------------------------------------------------------------------ */

typedef struct
{
  BkTestDirectory *dir;
  char            *old_cwd;
  GPtrArray       *env;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = bk_test_directory_new (&error);
  g_assert_no_error (error);
  f->old_cwd = g_get_current_dir ();
  f->env = g_ptr_array_new_with_free_func (g_free);
  g_assert_cmpint (g_chdir (bk_test_directory_get_path (f->dir)), ==, 0);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < f->env->len; i++)
    g_unsetenv (g_ptr_array_index (f->env, i));
  g_ptr_array_unref (f->env);

  g_assert_cmpint (g_chdir (f->old_cwd), ==, 0);
  g_free (f->old_cwd);

  bk_test_directory_remove (f->dir, &error);
  g_assert_no_error (error);
  g_assert_finalize_object (f->dir);
}

static void
set_env (Fixture    *f,
         const char *name,
         const char *value)
{
  g_setenv (name, value, TRUE);
  g_ptr_array_add (f->env, g_strdup (name));
}

/* Writes @content to @name (which may contain '/') in the test directory. */
static void
add_file (Fixture    *f,
          const char *name,
          const char *content)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *description = NULL;
  g_autoptr(GError) error = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, content);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  description = json_to_string (root, FALSE);

  bk_test_directory_add_content (f->dir, description, &error);
  g_assert_no_error (error);
}

static BkConfig *
load (const char * const *paths)
{
  g_autoptr(GError) error = NULL;
  BkConfig *config = bk_config_new_from_files (paths, &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

static BkConfig *
load_defaults (void)
{
  return load (NULL);
}

static char *
load_error (const char * const *paths)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkConfig) config = bk_config_new_from_files (paths, &error);

  g_assert_null (config);
  g_assert_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE);
  return g_strdup (error->message);
}

#define assert_string(config, key, expected) G_STMT_START {              \
    g_autoptr(GError) _error = NULL;                                    \
    g_autofree char *_value = NULL;                                     \
    g_assert_true (bk_config_get_string ((config), (key), &_value, &_error)); \
    g_assert_no_error (_error);                                         \
    g_assert_cmpstr (_value, ==, (expected));                           \
  } G_STMT_END

#define assert_int(config, key, expected) G_STMT_START {                 \
    g_autoptr(GError) _error = NULL;                                    \
    gint64 _value = 0;                                                  \
    g_assert_true (bk_config_get_int ((config), (key), &_value, &_error)); \
    g_assert_no_error (_error);                                         \
    g_assert_cmpint (_value, ==, (expected));                           \
  } G_STMT_END

#define assert_source(config, key, expected) G_STMT_START {              \
    g_autofree char *_source = bk_config_dup_key_source ((config), (key)); \
    g_assert_cmpstr (_source, ==, (expected));                          \
  } G_STMT_END

static void
assert_missing (BkConfig   *config,
                const char *key,
                const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;

  g_assert_false (bk_config_has (config, key));
  g_assert_false (bk_config_get_string (config, key, &value, &error));
  g_assert_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_MISSING);
  if (message != NULL)
    g_assert_cmpstr (error->message, ==, message);
}

static char *
node_to_json (JsonNode *node)
{
  return json_to_string (node, FALSE);
}

static void
assert_json (BkConfig   *config,
             const char *key,
             const char *expected)
{
  g_autoptr(JsonNode) node = bk_config_dup_node (config, key);
  g_autofree char *json = NULL;

  g_assert_nonnull (node);
  json = node_to_json (node);
  g_assert_cmpstr (json, ==, expected);
}

static void
assert_strv (char       **actual,
             const char  *expected_joined)
{
  g_autofree char *joined = g_strjoinv ("|", actual);

  g_assert_cmpstr (joined, ==, expected_joined);
}

static char *
data_file (const char *first,
           ...)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  va_list args;
  const char *part;

  g_ptr_array_add (parts, (gpointer) g_test_get_dir (G_TEST_DIST));
  g_ptr_array_add (parts, (gpointer) "data");
  g_ptr_array_add (parts, (gpointer) "config");

  va_start (args, first);
  for (part = first; part != NULL; part = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) part);
  va_end (args);
  g_ptr_array_add (parts, NULL);

  return g_build_filenamev ((char **) parts->pdata);
}

/* Iterates the default main context until @counter reaches @target, failing
 * rather than hanging. */
static void
wait_for (guint *counter,
          guint  target)
{
  GSource *guard = test_guard_new (NULL, "a config change");

  while (*counter < target)
    g_main_context_iteration (NULL, TRUE);
  test_guard_free (guard);
}

/* ------------------------------------------------------------------------ */
/* Sources                                                                  */
/* ------------------------------------------------------------------------ */

static void
test_config_files_sources_none (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(BkConfig) config = NULL;
  g_auto(GStrv) keys = NULL;
  g_autofree char *expected = NULL;

  g_test_summary ("Without app-config.yaml or app-config.local.yaml the config is empty, "
                  "and its source says where the files were looked for");

  config = load_defaults ();
  keys = bk_config_get_keys (config);
  g_assert_cmpuint (g_strv_length (keys), ==, 0);

  expected = g_strdup_printf ("no config file (app-config.yaml not found in %s)",
                              bk_test_directory_get_path (f->dir));
  g_assert_cmpstr (bk_config_get_source (config), ==, expected);

  assert_missing (config, "backend.baseUrl", NULL);
}

static void
test_config_files_sources_app_config (Fixture       *f,
                                      gconstpointer  data)
{
  g_autoptr(BkConfig) config = NULL;

  g_test_summary ("app-config.yaml in the working directory is read by default");

  add_file (f, "app-config.yaml", "app:\n  title: Todo\n");
  config = load_defaults ();

  assert_string (config, "app.title", "Todo");
  g_assert_cmpstr (bk_config_get_source (config), ==, "app-config.yaml");
  assert_missing (config, "app.baseUrl",
                  "Missing required config value at 'app.baseUrl' in 'app-config.yaml'");
}

static void
test_config_files_sources_local (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(BkConfig) config = NULL;

  g_test_summary ("app-config.local.yaml is read after app-config.yaml and wins");

  add_file (f, "app-config.yaml",
            "backend:\n"
            "  listen:\n"
            "    host: 0.0.0.0\n"
            "    port: 7007\n");
  add_file (f, "app-config.local.yaml",
            "backend:\n"
            "  listen:\n"
            "    port: 7008\n");
  config = load_defaults ();

  assert_int (config, "backend.listen.port", 7008);
  assert_string (config, "backend.listen.host", "0.0.0.0");
  g_assert_cmpstr (bk_config_get_source (config), ==, "app-config.yaml, app-config.local.yaml");

  /* Each value names the file it came from. */
  assert_source (config, "backend.listen.port", "app-config.local.yaml");
  assert_source (config, "backend.listen.host", "app-config.yaml");
  assert_source (config, "backend.listen.nope", NULL);
}

static void
test_config_files_sources_local_only (Fixture       *f,
                                      gconstpointer  data)
{
  g_autoptr(BkConfig) config = NULL;

  g_test_summary ("app-config.local.yaml alone is read too");

  add_file (f, "app-config.local.yaml", "app:\n  title: Local\n");
  config = load_defaults ();

  assert_string (config, "app.title", "Local");
  g_assert_cmpstr (bk_config_get_source (config), ==, "app-config.local.yaml");
}

static void
test_config_files_sources_explicit (Fixture       *f,
                                    gconstpointer  data)
{
  const char * const paths[] = { "one.yaml", "sub/two.yaml", NULL };
  g_autoptr(BkConfig) config = NULL;

  g_test_summary ("Paths given replace the default files; later ones win");

  add_file (f, "app-config.yaml", "fromDefault: true\n");
  add_file (f, "one.yaml", "a: one\nb: one\n");
  add_file (f, "sub/two.yaml", "b: two\n");
  config = load (paths);

  assert_string (config, "a", "one");
  assert_string (config, "b", "two");
  g_assert_false (bk_config_has (config, "fromDefault"));
  g_assert_cmpstr (bk_config_get_source (config), ==, "one.yaml, sub/two.yaml");
  assert_source (config, "b", "sub/two.yaml");
}

static void
test_config_files_sources_missing (Fixture       *f,
                                   gconstpointer  data)
{
  const char * const paths[] = { "present.yaml", "nope.yaml", NULL };
  g_autofree char *message = NULL;

  g_test_summary ("A config file given explicitly must exist; the error names it");

  add_file (f, "present.yaml", "a: 1\n");
  message = load_error (paths);
  g_assert_cmpstr (message, ==, "Config file 'nope.yaml' does not exist");
}

static void
test_config_files_merge (Fixture       *f,
                         gconstpointer  data)
{
  const char * const paths[] = { "base.yaml", "over.yaml", NULL };
  g_autoptr(BkConfig) config = NULL;

  g_test_summary ("Objects merge deeply; arrays, scalars and null replace");

  add_file (f, "base.yaml",
            "obj:\n"
            "  a: 1\n"
            "  b: {c: 2, d: 3}\n"
            "list: [1, 2, 3]\n"
            "listOfObjects: [{x: 1}, {y: 2}]\n"
            "scalar: one\n"
            "toObject: text\n"
            "toScalar: {x: 1}\n"
            "nulled: 5\n"
            "kept: yes\n");
  add_file (f, "over.yaml",
            "obj:\n"
            "  b: {c: 20}\n"
            "  e: 5\n"
            "list: [9]\n"
            "listOfObjects: [{z: 3}]\n"
            "scalar: two\n"
            "toObject: {y: 2}\n"
            "toScalar: 7\n"
            "nulled: ~\n");
  config = load (paths);

  assert_json (config, "obj", "{\"a\":1,\"b\":{\"c\":20,\"d\":3},\"e\":5}");
  assert_json (config, "list", "[9]");
  assert_json (config, "listOfObjects", "[{\"z\":3}]");
  assert_string (config, "scalar", "two");
  assert_json (config, "toObject", "{\"y\":2}");
  assert_int (config, "toScalar", 7);
  g_assert_false (bk_config_has (config, "nulled"));
  assert_string (config, "kept", "yes");
}

/* ------------------------------------------------------------------------ */
/* Substitution                                                             */
/* ------------------------------------------------------------------------ */

static void
test_config_files_substitution (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(BkConfig) config = NULL;

  g_test_summary ("${VAR} is replaced by the trimmed variable, ${VAR:-x} falls back, "
                  "$${ escapes, and an unset variable drops the whole value");

  set_env (f, "BK_T_HOST", "  db.example.com \n");
  set_env (f, "BK_T_PORT", "5432");
  set_env (f, "BK_T_EMPTY", "");
  g_unsetenv ("BK_T_UNSET");

  add_file (f, "app-config.yaml",
            "url: postgres://${BK_T_HOST}:${ BK_T_PORT }/db\n"
            "escaped: \"$${BK_T_HOST} and $$notref and $${\"\n"
            "fallback: ${BK_T_UNSET:-fallback value}\n"
            "emptyFallback: ${BK_T_EMPTY:-used}\n"
            "empty: \"[${BK_T_EMPTY}]\"\n"
            "unclosed: ${BK_T_HOST\n"
            "dropped: prefix-${BK_T_UNSET}\n"
            "nested:\n"
            "  dropped: ${BK_T_UNSET}\n"
            "list: [a, \"${BK_T_UNSET}\", c]\n"
            "port: ${BK_T_PORT}\n"
            "token: kept\n");
  add_file (f, "app-config.local.yaml",
            "token: ${BK_T_UNSET}\n");
  config = load_defaults ();

  assert_string (config, "url", "postgres://db.example.com:5432/db");
  assert_string (config, "escaped", "${BK_T_HOST} and $$notref and $${");
  assert_string (config, "fallback", "fallback value");
  assert_string (config, "emptyFallback", "used");
  assert_string (config, "empty", "[]");
  assert_string (config, "unclosed", "${BK_T_HOST");
  assert_json (config, "list", "[\"a\",\"c\"]");
  assert_json (config, "nested", "{}");

  /* A numeric string reads as a number. */
  assert_int (config, "port", 5432);

  /* A value a later file drops does not replace an earlier one. */
  assert_string (config, "token", "kept");

  /* The dropped value reads as missing, and the message says why. */
  assert_missing (config, "dropped",
                  "Missing required config value at 'dropped' in 'app-config.yaml'; its value "
                  "was dropped because the environment variable 'BK_T_UNSET' is not set");
  assert_missing (config, "nested.dropped",
                  "Missing required config value at 'nested.dropped' in 'app-config.yaml'; its "
                  "value was dropped because the environment variable 'BK_T_UNSET' is not set");
}

/* ------------------------------------------------------------------------ */
/* Directives                                                               */
/* ------------------------------------------------------------------------ */

static void
test_config_files_directive_env (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(BkConfig) config = NULL;

  g_test_summary ("$env reads a variable (trimmed); its name may use ${}; unset drops the key");

  set_env (f, "BK_T_SECRET", " hunter2 \n");
  set_env (f, "BK_T_NAME", "BK_T_SECRET");
  g_unsetenv ("BK_T_UNSET");

  add_file (f, "app-config.yaml",
            "backend:\n"
            "  password:\n"
            "    $env: BK_T_SECRET\n"
            "  indirect:\n"
            "    $env: ${BK_T_NAME}\n"
            "  missing:\n"
            "    $env: BK_T_UNSET\n");
  config = load_defaults ();

  assert_string (config, "backend.password", "hunter2");
  assert_string (config, "backend.indirect", "hunter2");
  assert_missing (config, "backend.missing",
                  "Missing required config value at 'backend.missing' in 'app-config.yaml'; its "
                  "value was dropped because the environment variable 'BK_T_UNSET' is not set");
}

static void
test_config_files_directive_file (Fixture       *f,
                                  gconstpointer  data)
{
  const char * const paths[] = { "conf/app.yaml", NULL };
  g_autoptr(BkConfig) config = NULL;
  g_autofree char *absolute = NULL;
  g_autofree char *yaml = NULL;

  g_test_summary ("$file reads a file relative to the config file, its end trimmed "
                  "as Backstage does");

  add_file (f, "conf/certs/ca.pem", "-----BEGIN-----\nabc\n-----END-----\n\n");
  absolute = bk_test_directory_resolve (f->dir, "conf/certs/ca.pem");
  yaml = g_strdup_printf ("https:\n"
                          "  cert:\n"
                          "    $file: certs/ca.pem\n"
                          "  absolute:\n"
                          "    $file: %s\n", absolute);
  add_file (f, "conf/app.yaml", yaml);
  config = load (paths);

  assert_string (config, "https.cert", "-----BEGIN-----\nabc\n-----END-----");
  assert_string (config, "https.absolute", "-----BEGIN-----\nabc\n-----END-----");
  assert_source (config, "https.cert", "conf/app.yaml");
}

static void
test_config_files_directive_include (Fixture       *f,
                                     gconstpointer  data)
{
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(GPtrArray) rules = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("$include reads YAML or JSON relative to the including file, nested, "
                  "with an optional #a.b part, substituted like the file itself");

  set_env (f, "BK_T_HOST", "catalog.example.com");

  add_file (f, "app-config.yaml",
            "catalog:\n"
            "  $include: inc/catalog.yaml\n"
            "json:\n"
            "  $include: inc/data.json\n"
            "part:\n"
            "  $include: inc/data.json#a.b\n"
            "missingPart:\n"
            "  $include: inc/data.json#a.nope\n");
  add_file (f, "inc/catalog.yaml",
            "rules:\n"
            "  $include: rules.yaml\n"
            "host: ${BK_T_HOST}\n");
  add_file (f, "inc/rules.yaml", "- allow: [Component, API]\n");
  add_file (f, "inc/data.json", "{\"a\": {\"b\": {\"c\": 1}}, \"n\": [1, 2]}");
  config = load_defaults ();

  g_assert_true (bk_config_get_config_array (config, "catalog.rules", &rules, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rules->len, ==, 1);
  assert_json (g_ptr_array_index (rules, 0), "allow", "[\"Component\",\"API\"]");
  assert_string (config, "catalog.host", "catalog.example.com");
  assert_json (config, "json.n", "[1,2]");
  assert_int (config, "part.c", 1);
  g_assert_false (bk_config_has (config, "missingPart"));

  /* Each value names the file it came from. */
  assert_source (config, "catalog.host", "inc/catalog.yaml");
  assert_source (config, "catalog.rules", "inc/rules.yaml");
  assert_source (config, "json.n", "inc/data.json");
}

static void
test_config_files_directive_include_cycle (Fixture       *f,
                                           gconstpointer  data)
{
  g_autofree char *message = NULL;
  g_autoptr(BkConfig) diamond = NULL;
  const char * const diamond_paths[] = { "diamond.yaml", NULL };

  g_test_summary ("An include cycle is refused with the chain; including a file twice "
                  "without a cycle is fine");

  add_file (f, "app-config.yaml", "a:\n  $include: a.yaml\n");
  add_file (f, "a.yaml", "b:\n  $include: b.yaml\n");
  add_file (f, "b.yaml", "x: 1\nback:\n  $include: a.yaml\n");

  message = load_error (NULL);
  g_assert_cmpstr (message, ==,
                   "Failed to load config at 'a.b.back' in 'b.yaml' line 3, circular $include "
                   "detected, 'app-config.yaml' -> 'a.yaml' -> 'b.yaml' -> 'a.yaml'");

  add_file (f, "diamond.yaml",
            "left:\n  $include: shared.yaml\n"
            "right:\n  $include: shared.yaml\n");
  add_file (f, "shared.yaml", "v: 1\n");
  diamond = load (diamond_paths);
  assert_int (diamond, "left.v", 1);
  assert_int (diamond, "right.v", 1);
}

typedef struct
{
  const char *name;
  const char *yaml;
  const char *message;
} DirectiveErrorCase;

static const DirectiveErrorCase directive_error_cases[] = {
  { "adjacent-keys",
    "backend:\n  auth:\n    $file: x.txt\n    keys: []\n",
    "Failed to load config at 'backend.auth' in 'app-config.yaml' line 3, "
    "include key $file should not have adjacent keys" },
  { "not-a-string",
    "a:\n  $include:\n    - x.yaml\n",
    "Failed to load config at 'a' in 'app-config.yaml' line 2, $include include value is not a string" },
  { "substitution-undefined",
    "a:\n  $include: ${BK_T_UNSET}.yaml\n",
    "Failed to load config at 'a' in 'app-config.yaml' line 2, $include substitution value was "
    "undefined (the environment variable 'BK_T_UNSET' is not set)" },
  { "file-missing",
    "list:\n  - ok\n  - $file: nope.txt\n",
    "Failed to load config at 'list[1]' in 'app-config.yaml' line 3, failed to read file nope.txt, no such file" },
  { "include-no-parser",
    "a:\n  $include: notes.txt\n",
    "Failed to load config at 'a' in 'app-config.yaml' line 2, no configuration parser available "
    "for included file notes.txt" },
  { "include-parse",
    "a:\n  $include: broken.yaml\n",
    "Failed to load config at 'a' in 'app-config.yaml' line 2, failed to parse included file "
    "broken.yaml, Failed to parse config in 'broken.yaml' line 2, column 1, did not find "
    "expected ',' or ']' while parsing a flow sequence started at line 1, column 4" },
  { "include-path",
    "a:\n  $include: data.json#n.x\n",
    "Failed to load config at 'a' in 'app-config.yaml' line 2, value at 'n' in included file "
    "data.json is not an object" },
  { "root",
    "$include: scalar.yaml\n",
    "Failed to load config in 'app-config.yaml', the root must be an object, got string" },
};

static void
test_config_files_directive_error (Fixture       *f,
                                   gconstpointer  data)
{
  const DirectiveErrorCase *tc = data;
  g_autofree char *message = NULL;

  g_unsetenv ("BK_T_UNSET");
  add_file (f, "notes.txt", "not config\n");
  add_file (f, "broken.yaml", "a: [1\n");
  add_file (f, "data.json", "{\"n\": [1]}");
  add_file (f, "scalar.yaml", "text\n");
  add_file (f, "app-config.yaml", tc->yaml);

  message = load_error (NULL);
  g_assert_cmpstr (message, ==, tc->message);
}

/* ------------------------------------------------------------------------ */
/* Environment overrides                                                    */
/* ------------------------------------------------------------------------ */

static void
test_config_files_env_overrides (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(JsonNode) port = NULL;

  g_test_summary ("APP_CONFIG_a_b=value sets a.b after every file: JSON when it parses, "
                  "text otherwise; objects merge; empty values are ignored");

  add_file (f, "app-config.yaml",
            "backend:\n"
            "  listen:\n"
            "    host: 0.0.0.0\n"
            "    port: 7007\n"
            "  cors:\n"
            "    methods: [GET]\n"
            /* overridden below: its source must become the variable's */
            "    origin: http://file\n");
  set_env (f, "APP_CONFIG_backend_listen_port", "7008");
  set_env (f, "APP_CONFIG_app_title", "My Title");
  set_env (f, "APP_CONFIG_app_quoted", "\"42\"");
  set_env (f, "APP_CONFIG_backend_cors", "{\"origin\": \"http://x\", \"credentials\": true}");
  set_env (f, "APP_CONFIG_app_ignored", "");
  config = load_defaults ();

  port = bk_config_dup_node (config, "backend.listen.port");
  g_assert_cmpint (json_node_get_value_type (port), ==, G_TYPE_INT64);
  assert_int (config, "backend.listen.port", 7008);
  assert_string (config, "backend.listen.host", "0.0.0.0");
  assert_string (config, "app.title", "My Title");
  assert_json (config, "app.quoted", "\"42\"");
  assert_json (config, "backend.cors",
               "{\"methods\":[\"GET\"],\"origin\":\"http://x\",\"credentials\":true}");
  g_assert_false (bk_config_has (config, "app.ignored"));

  assert_source (config, "backend.listen.port", "APP_CONFIG_backend_listen_port");
  assert_source (config, "backend.listen.host", "app-config.yaml");
  assert_source (config, "backend.cors.origin", "APP_CONFIG_backend_cors");
  g_assert_cmpstr (bk_config_get_source (config), ==,
                   "app-config.yaml, APP_CONFIG_* environment variables");
}

typedef struct
{
  const char *name;
  const char *env[4];   /* name, value, name, value */
  const char *message;
} EnvErrorCase;

static const EnvErrorCase env_error_cases[] = {
  { "invalid-key", { "APP_CONFIG_backend__port", "1", NULL, NULL },
    "Failed to read config from environment variable 'APP_CONFIG_backend__port', "
    "Invalid env config key 'backend__port'" },
  { "invalid-part", { "APP_CONFIG_backend_1port", "1", NULL, NULL },
    "Failed to read config from environment variable 'APP_CONFIG_backend_1port', "
    "Invalid env config key 'backend_1port'" },
  { "nest", { "APP_CONFIG_bkt_a", "1", "APP_CONFIG_bkt_a_b", "2" },
    "Failed to read config from environment variable 'APP_CONFIG_bkt_a_b', "
    "Could not nest config for key 'bkt_a_b' under existing value 'bkt_a'" },
  { "override", { "APP_CONFIG_bkt_a", "{\"b\": 1}", "APP_CONFIG_bkt_a_b", "2" },
    "Failed to read config from environment variable 'APP_CONFIG_bkt_a_b', "
    "Refusing to override existing config at key 'bkt_a_b'" },
  { "null", { "APP_CONFIG_bkt_a", "null", NULL, NULL },
    "Failed to read config from environment variable 'APP_CONFIG_bkt_a', "
    "Failed to parse JSON-serialized config value for key 'bkt_a', value may not be null" },
};

static void
test_config_files_env_error (Fixture       *f,
                             gconstpointer  data)
{
  const EnvErrorCase *tc = data;
  g_autofree char *message = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (tc->env) && tc->env[i] != NULL; i += 2)
    set_env (f, tc->env[i], tc->env[i + 1]);

  message = load_error (NULL);
  g_assert_cmpstr (message, ==, tc->message);
}

static void
test_config_files_env_allowed_keys (Fixture       *f,
                                    gconstpointer  data)
{
  g_autoptr(BkConfig) config = NULL;

  g_test_summary ("Key parts may hold '-' and ':' between letters and digits");

  set_env (f, "APP_CONFIG_my-plugin_a:b_c1", "x");
  config = load_defaults ();
  assert_string (config, "my-plugin.a:b.c1", "x");
}

/* ------------------------------------------------------------------------ */
/* The YAML reader                                                          */
/* ------------------------------------------------------------------------ */

static BkConfig *
yaml_config (const char *yaml)
{
  g_autoptr(GError) error = NULL;
  BkConfig *config = bk_config_new_from_yaml (yaml, -1, "test.yaml", &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

static char *
yaml_error (const char *yaml)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkConfig) config = bk_config_new_from_yaml (yaml, -1, "test.yaml", &error);

  g_assert_null (config);
  g_assert_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE);
  return g_strdup (error->message);
}

static void
test_config_files_yaml_schema (void)
{
  g_autofree char *path = data_file ("good", "schema.yaml", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  double d = 0;

  g_test_summary ("The YAML 1.2 core schema: yes/no/on/off stay strings, quoted values are "
                  "strings, numbers in decimal, octal and hex, .inf and .nan");

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  config = bk_config_new_from_yaml (contents, -1, "schema.yaml", &error);
  g_assert_no_error (error);

  assert_json (config, "nulls", "{\"tilde\":null,\"word\":null,\"capital\":null,\"upper\":null,\"empty\":null}");
  assert_json (config, "booleans", "{\"lower\":true,\"capital\":false,\"upper\":true}");
  assert_json (config, "strings",
               "{\"yes\":\"yes\",\"no\":\"no\",\"on\":\"on\",\"off\":\"off\",\"y\":\"y\","
               "\"quoted-number\":\"7007\",\"single-quoted-bool\":\"true\",\"version\":\"1.2.3\","
               "\"underscored\":\"1_000\",\"tagged\":\"42\"}");
  assert_json (config, "integers",
               "{\"decimal\":7007,\"negative\":-12,\"plus\":3,\"leading-zeros\":755,\"octal\":15,"
               "\"hex\":31,\"big\":1.2345678901234567e+19,\"tagged\":99}");

  /* Numeric strings read as numbers. */
  assert_int (config, "strings.quoted-number", 7007);

  g_assert_true (bk_config_get_double (config, "floats.plain", &d, &error));
  g_assert_cmpfloat (d, ==, 1.5);
  g_assert_true (bk_config_get_double (config, "floats.exponent", &d, &error));
  g_assert_cmpfloat (d, ==, 6.02e23);
  g_assert_true (bk_config_get_double (config, "floats.leading-dot", &d, &error));
  g_assert_cmpfloat (d, ==, 0.5);
  g_assert_true (bk_config_get_double (config, "floats.trailing-dot", &d, &error));
  g_assert_cmpfloat (d, ==, 3.0);
  g_assert_true (bk_config_get_double (config, "floats.infinity", &d, &error));
  g_assert_true (isinf (d) && d > 0);
  g_assert_true (bk_config_get_double (config, "floats.negative-infinity", &d, &error));
  g_assert_true (isinf (d) && d < 0);
  g_assert_true (bk_config_get_double (config, "floats.not-a-number", &d, &error));
  g_assert_true (isnan (d));
  g_assert_true (bk_config_get_double (config, "floats.tagged", &d, &error));
  g_assert_cmpfloat (d, ==, 2.0);
  g_assert_no_error (error);
}

static void
test_config_files_yaml_anchors (void)
{
  g_autofree char *path = data_file ("good", "anchors.yaml", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("Aliases are expanded; '<<' is an ordinary key in YAML 1.2");

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  config = bk_config_new_from_yaml (contents, -1, "anchors.yaml", &error);
  g_assert_no_error (error);

  assert_json (config, "services.first", "{\"settings\":{\"timeout\":30,\"retries\":3},"
               "\"hosts\":[\"a.example.com\",\"b.example.com\"]}");
  assert_string (config, "services.alias-of-scalar", "second-service");
  assert_json (config, "services.merge-key-is-literal", "{\"<<\":{\"timeout\":30,\"retries\":3}}");
}

static void
test_config_files_yaml_messages (void)
{
  g_autofree char *tab = NULL;
  g_autofree char *dup = NULL;
  g_autofree char *dup_root = NULL;
  g_autofree char *dup_list = NULL;
  g_autofree char *root = NULL;

  g_test_summary ("Syntax errors and duplicate keys name the source, line and column");

  tab = yaml_error ("a:\n\tb: 1\n");
  g_assert_cmpstr (tab, ==, "Failed to parse config in 'test.yaml' line 2, column 1, found "
                   "character that cannot start any token while scanning for the next token");

  dup = yaml_error ("a:\n  b: 1\n  b: 2\n");
  g_assert_cmpstr (dup, ==, "Duplicate key 'b' at 'a' in 'test.yaml' line 3, column 3");

  dup_root = yaml_error ("a: 1\nb: 2\na: 3\n");
  g_assert_cmpstr (dup_root, ==, "Duplicate key 'a' in 'test.yaml' line 3, column 1");

  dup_list = yaml_error ("items:\n  - x: 1\n  - y: 1\n    y: 2\n");
  g_assert_cmpstr (dup_list, ==, "Duplicate key 'y' at 'items[1]' in 'test.yaml' line 4, column 5");

  root = yaml_error ("- a\n");
  g_assert_cmpstr (root, ==, "Failed to parse config in 'test.yaml', the root must be an object, got array");
}

static void
test_config_files_yaml_alias_cap (void)
{
  g_autoptr(GString) yaml = g_string_new ("anchor: &a [");
  g_autoptr(GString) big = NULL;
  g_autoptr(BkConfig) config = NULL;
  g_autofree char *message = NULL;
  g_autofree char *big_message = NULL;

  g_test_summary ("Aliases may copy up to 10,000 nodes and 1 MiB; more is refused");

  /* An array of 99 scalars is 100 nodes: 100 aliases copy exactly 10,000. */
  for (guint i = 0; i < 99; i++)
    g_string_append_printf (yaml, "%sx", i > 0 ? ", " : "");
  g_string_append (yaml, "]\ncopies:\n");
  for (guint i = 0; i < 100; i++)
    g_string_append (yaml, "  - *a\n");

  config = yaml_config (yaml->str);
  g_assert_true (bk_config_has (config, "copies"));

  g_string_append (yaml, "  - *a\n");
  message = yaml_error (yaml->str);
  g_assert_cmpstr (message, ==, "Failed to parse config in 'test.yaml' line 103, column 5, aliases "
                   "expand to more than 10000 nodes or 1048576 bytes (a \"billion laughs\" document?)");

  /* Few nodes, many bytes. */
  big = g_string_new ("s: &s ");
  for (guint i = 0; i < 600 * 1024; i++)
    g_string_append_c (big, 'x');
  g_string_append (big, "\nt: *s\nu: *s\n");
  big_message = yaml_error (big->str);
  g_assert_nonnull (strstr (big_message, "line 3, column 4, aliases expand to more than"));
}

/* Every prefix of every good file either parses or fails cleanly. */
static void
test_config_files_yaml_truncated (void)
{
  g_autofree char *dir_path = data_file ("good", NULL);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  guint files = 0;

  g_test_summary ("Every prefix of the good corpus parses or fails with an error, never a crash");

  dir = g_dir_open (dir_path, 0, &error);
  g_assert_no_error (error);

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (!g_str_has_suffix (name, ".yaml"))
        continue;

      g_file_get_contents (path, &contents, &length, &error);
      g_assert_no_error (error);
      files++;

      for (gsize n = 0; n <= length; n++)
        {
          g_autoptr(GError) parse_error = NULL;
          g_autoptr(BkConfig) config = bk_config_new_from_yaml (contents, n, name, &parse_error);

          g_assert_true ((config == NULL) == (parse_error != NULL));
          if (parse_error != NULL)
            g_assert_nonnull (strstr (parse_error->message, name));
        }
    }

  g_assert_cmpuint (files, >=, 5);
}

static void
test_config_files_yaml_length (void)
{
  const char yaml[] = "a: 1\nb: 2\0c: 3\n";
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("The length given bounds the input; a NUL inside it is an error, not the end");

  config = bk_config_new_from_yaml (yaml, 5, "test.yaml", &error);
  g_assert_no_error (error);
  g_assert_true (bk_config_has (config, "a"));
  g_assert_false (bk_config_has (config, "b"));
  g_clear_object (&config);

  config = bk_config_new_from_yaml (yaml, sizeof yaml - 1, "test.yaml", &error);
  g_assert_null (config);
  g_assert_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE);
}

/* ------------------------------------------------------------------------ */
/* Messages of the getters                                                  */
/* ------------------------------------------------------------------------ */

static void
test_config_files_type_error_names_file (Fixture       *f,
                                         gconstpointer  data)
{
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  gint64 port = 0;

  g_test_summary ("A wrong type names the file that set the value; a missing key names "
                  "every file read");

  add_file (f, "app-config.yaml", "backend:\n  listen:\n    port: 7007\n");
  add_file (f, "app-config.local.yaml", "backend:\n  listen:\n    port: true\n");
  config = load_defaults ();

  g_assert_false (bk_config_get_int (config, "backend.listen.port", &port, &error));
  g_assert_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE);
  g_assert_cmpstr (error->message, ==,
                   "Invalid type in config for key 'backend.listen.port' in "
                   "'app-config.local.yaml', got boolean, wanted number");

  assert_missing (config, "backend.baseUrl",
                  "Missing required config value at 'backend.baseUrl' in "
                  "'app-config.yaml, app-config.local.yaml'");
}

/* ------------------------------------------------------------------------ */
/* Secrets                                                                  */
/* ------------------------------------------------------------------------ */

static void
test_config_files_secrets (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(BkConfig) backend = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) secrets = NULL;
  g_auto(GStrv) from_sub = NULL;
  g_auto(GStrv) unread = NULL;

  g_test_summary ("Values from $env and $file and values under secret-looking keys are "
                  "secret; the allowlist, one-character values and overridden ones are not");

  set_env (f, "BK_T_SECRET", "env-secret");
  add_file (f, "secret.txt", "file-secret\n");
  add_file (f, "app-config.yaml",
            "backend:\n"
            "  auth:\n"
            "    keys:\n"
            "      - secret: k3y-one\n"
            "  database:\n"
            "    password: dbpass\n"
            "    dbPassword: dbpass2\n"
            "    user: admin\n"
            "  github:\n"
            "    githubToken: ghp_123\n"
            "    APIKEY: apikey-upper\n"
            "    apiKeyId: not-secret\n"
            "    tokenizer: not-secret\n"
            "    clientSecret: [cs-1, cs-2]\n"
            "  pin:\n"
            "    token: 123456\n"
            "    password: x\n"
            "    secret: true\n"
            "  creds:\n"
            "    credentials:\n"
            "      user: cred-user\n"
            "      pass: cred-pass\n"
            "  fromEnv:\n"
            "    $env: BK_T_SECRET\n"
            "  fromFile:\n"
            "    $file: secret.txt\n"
            "  overridden:\n"
            "    $env: BK_T_SECRET\n"
            "  duplicate: { token: dbpass }\n"
            "  allowed:\n"
            "    token: backstage\n"
            "  logger:\n"
            "    redactAllowlist: [backstage]\n");
  add_file (f, "app-config.local.yaml",
            "backend:\n"
            "  overridden: plain\n");
  config = load_defaults ();

  secrets = bk_config_dup_secrets (config);
  assert_strv (secrets, "k3y-one|dbpass|dbpass2|ghp_123|apikey-upper|cs-1|cs-2|123456|"
                        "cred-user|cred-pass|env-secret|file-secret");

  /* The whole tree, from any snapshot cut from it. */
  g_assert_true (bk_config_get_config (config, "backend", &backend, &error));
  g_assert_no_error (error);
  from_sub = bk_config_dup_secrets (backend);
  g_assert_cmpstrv (from_sub, secrets);

  /* Honouring the allowlist reads it. */
  unread = bk_config_dup_unread_keys (config);
  g_assert_false (g_strv_contains ((const char * const *) unread, "backend.logger.redactAllowlist"));
}

/* ------------------------------------------------------------------------ */
/* Unread keys                                                              */
/* ------------------------------------------------------------------------ */

typedef struct
{
  BkConfig *config;
  guint     rounds;
} ReaderData;

static gpointer
reader_thread (gpointer data)
{
  ReaderData *reader = data;

  for (guint i = 0; i < reader->rounds; i++)
    {
      g_autofree char *title = NULL;
      gint64 port = 0;

      g_assert_true (bk_config_get_string (reader->config, "app.title", &title, NULL));
      g_assert_true (bk_config_get_int (reader->config, "backend.listen.port", &port, NULL));
    }

  return NULL;
}

static void
test_config_files_unread (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(BkConfig) fresh = NULL;
  g_autoptr(BkConfig) backend = NULL;
  g_autoptr(JsonNode) copy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  g_autofree char *nothing = NULL;
  g_auto(GStrv) unread = NULL;
  g_auto(GStrv) after = NULL;
  g_auto(GStrv) fresh_unread = NULL;
  gint64 port = 0;

  g_test_summary ("Leaves no getter read are listed with their file; has() reads nothing, "
                  "a sub-config's reads count, dup_node reads a subtree");

  add_file (f, "app-config.yaml",
            "app:\n"
            "  title: t\n"
            "  unused: u\n"
            "backend:\n"
            "  listen:\n"
            "    port: 7007\n"
            "    host: h\n"
            "  list: [1, 2]\n"
            "  nothing: ~\n"
            "  empty: {}\n"
            "plugin:\n"
            "  deep: {a: 1, b: {c: 2}}\n");
  add_file (f, "app-config.local.yaml", "app:\n  typo: oops\n");
  config = load_defaults ();

  g_assert_true (bk_config_get_string (config, "app.title", &title, &error));
  g_assert_true (bk_config_has (config, "app.unused"));
  g_assert_true (bk_config_get_config (config, "backend", &backend, &error));
  g_assert_true (bk_config_get_int (backend, "listen.port", &port, &error));
  g_assert_true (bk_config_get_optional_string (backend, "nothing", "d", &nothing, &error));
  copy = bk_config_dup_node (config, "plugin.deep");
  g_assert_no_error (error);

  unread = bk_config_dup_unread_keys (config);
  assert_strv (unread, "app.unused|app.typo|backend.listen.host|backend.list");
  assert_source (config, "app.typo", "app-config.local.yaml");
  assert_source (config, "app.unused", "app-config.yaml");

  /* An array is one leaf; reading it reads all of it. */
  g_clear_pointer (&copy, json_node_unref);
  copy = bk_config_dup_node (backend, "list");
  after = bk_config_dup_unread_keys (backend);
  assert_strv (after, "app.unused|app.typo|backend.listen.host");

  /* Another snapshot has its own reads. */
  fresh = load_defaults ();
  fresh_unread = bk_config_dup_unread_keys (fresh);
  g_assert_cmpuint (g_strv_length (fresh_unread), ==, 9);
}

static void
test_config_files_unread_threads (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(BkConfig) config = NULL;
  g_auto(GStrv) unread = NULL;
  ReaderData reader;
  GThread *threads[4];

  g_test_summary ("Snapshots may be read from several threads while unread keys are listed");

  add_file (f, "app-config.yaml",
            "app:\n  title: t\nbackend:\n  listen:\n    port: 7007\n");
  config = load_defaults ();
  reader.config = config;
  reader.rounds = 500;

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("reader", reader_thread, &reader);

  for (guint i = 0; i < 100; i++)
    {
      g_auto(GStrv) some = bk_config_dup_unread_keys (config);

      g_assert_cmpuint (g_strv_length (some), <=, 2);
    }

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  unread = bk_config_dup_unread_keys (config);
  g_assert_cmpuint (g_strv_length (unread), ==, 0);
}

/* ------------------------------------------------------------------------ */
/* The root config service and reloads                                      */
/* ------------------------------------------------------------------------ */

typedef struct
{
  guint   changed;
  guint   failed;
  GError *last_error;
} Signals;

static void
on_changed (BkRootConfig *root,
            gpointer      data)
{
  Signals *signals = data;

  signals->changed++;
}

static void
on_reload_failed (BkRootConfig *root,
                  const GError *error,
                  gpointer      data)
{
  Signals *signals = data;

  signals->failed++;
  g_clear_error (&signals->last_error);
  signals->last_error = g_error_copy (error);
}

static BkRootConfig *
get_root_config (BkServiceFactoryTester *tester)
{
  g_autoptr(GError) error = NULL;
  BkRootConfig *root = bk_service_factory_tester_get_subject (tester, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (BK_IS_ROOT_CONFIG (root));
  return root;
}

static void
test_config_files_reload_sighup (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  g_autoptr(BkConfig) first = NULL;
  g_autoptr(BkConfig) second = NULL;
  g_autoptr(BkConfig) kept = NULL;
  Signals signals = { 0, };
  BkRootConfig *root;

  g_test_summary ("SIGHUP reloads the files: a new snapshot and 'changed'; a reload that "
                  "fails keeps the snapshot and emits 'reload-failed' with the reason");

  add_file (f, "app-config.yaml", "app:\n  title: first\n");
  tester = bk_service_factory_tester_new (bk_root_config_factory_new (NULL), NULL);
  root = get_root_config (tester);
  g_signal_connect (root, "changed", G_CALLBACK (on_changed), &signals);
  g_signal_connect (root, "reload-failed", G_CALLBACK (on_reload_failed), &signals);

  first = bk_root_config_dup_config (root);
  assert_string (first, "app.title", "first");

  add_file (f, "app-config.yaml", "app:\n  title: second\n");
  raise (SIGHUP);
  wait_for (&signals.changed, 1);

  second = bk_root_config_dup_config (root);
  g_assert_true (second != first);
  assert_string (second, "app.title", "second");
  assert_string (first, "app.title", "first");

  /* A broken file: the snapshot stays. */
  add_file (f, "app-config.yaml", "app:\n  title: [third\n");
  raise (SIGHUP);
  wait_for (&signals.failed, 1);

  g_assert_cmpuint (signals.changed, ==, 1);
  g_assert_error (signals.last_error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE);
  g_assert_cmpstr (signals.last_error->message, ==,
                   "Failed to parse config in 'app-config.yaml' line 3, column 1, did not find "
                   "expected ',' or ']' while parsing a flow sequence started at line 2, column 10");
  kept = bk_root_config_dup_config (root);
  g_assert_true (kept == second);

  g_clear_error (&signals.last_error);
}

static void
test_config_files_reload_sync (Fixture       *f,
                               gconstpointer  data)
{
  const char * const paths[] = { "custom.yaml", NULL };
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(BkConfig) kept = NULL;
  g_autoptr(GError) error = NULL;
  Signals signals = { 0, };
  BkRootConfig *root;

  g_test_summary ("bk_root_config_reload() reads the factory's files again, now");

  add_file (f, "app-config.yaml", "ignored: true\n");
  add_file (f, "custom.yaml", "a: 1\n");
  tester = bk_service_factory_tester_new (bk_root_config_factory_new (paths), NULL);
  root = get_root_config (tester);
  g_signal_connect (root, "changed", G_CALLBACK (on_changed), &signals);
  g_signal_connect (root, "reload-failed", G_CALLBACK (on_reload_failed), &signals);

  config = bk_root_config_dup_config (root);
  g_assert_false (bk_config_has (config, "ignored"));
  g_clear_object (&config);

  add_file (f, "custom.yaml", "a: 2\n");
  g_assert_true (bk_root_config_reload (root, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (signals.changed, ==, 1);
  config = bk_root_config_dup_config (root);
  assert_int (config, "a", 2);

  g_assert_cmpint (g_remove ("custom.yaml"), ==, 0);
  g_assert_false (bk_root_config_reload (root, &error));
  g_assert_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE);
  g_assert_cmpstr (error->message, ==, "Config file 'custom.yaml' does not exist");
  g_assert_cmpuint (signals.failed, ==, 1);
  g_assert_cmpuint (signals.changed, ==, 1);
  kept = bk_root_config_dup_config (root);
  g_assert_true (kept == config);

  g_clear_error (&signals.last_error);
}

static void
test_config_files_reload_static (void)
{
  g_autoptr(BkConfig) config = bk_config_new (NULL, "static");
  g_autoptr(BkStaticRootConfig) root = bk_static_root_config_new (config);
  g_autoptr(GError) error = NULL;
  Signals signals = { 0, };

  g_test_summary ("A root config held in memory has nothing to reload");

  g_signal_connect (root, "changed", G_CALLBACK (on_changed), &signals);
  g_assert_true (bk_root_config_reload (BK_ROOT_CONFIG (root), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (signals.changed, ==, 0);
}

static void
test_config_files_factory_missing (Fixture       *f,
                                   gconstpointer  data)
{
  const char * const paths[] = { "nope.yaml", NULL };
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  g_autoptr(GError) error = NULL;
  gpointer root;

  g_test_summary ("The factory fails with the loader's error when a file is missing");

  tester = bk_service_factory_tester_new (bk_root_config_factory_new (paths), NULL);
  root = bk_service_factory_tester_get_subject (tester, NULL, &error);
  g_assert_null (root);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "Config file 'nope.yaml' does not exist"));
}

static void
test_config_files_factory_finalize (Fixture       *f,
                                    gconstpointer  data)
{
  BkServiceFactoryTester *tester;
  BkRootConfig *root;

  g_test_summary ("The file root config is finalized with its backend");

  add_file (f, "app-config.yaml", "a: 1\n");
  tester = bk_service_factory_tester_new (bk_root_config_factory_new (NULL), NULL);
  root = get_root_config (tester);
  g_object_add_weak_pointer (G_OBJECT (root), (gpointer *) &root);

  g_assert_finalize_object (tester);
  g_assert_null (root);
}

static void
test_config_files_mock_yaml (void)
{
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  g_autoptr(BkServiceFactoryTester) broken = NULL;
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(BkConfig) next = NULL;
  g_autoptr(GError) error = NULL;
  Signals signals = { 0, };
  BkRootConfig *root;

  g_test_summary ("The mock root config takes YAML too, and a test may replace its snapshot");

  tester = bk_service_factory_tester_new (
    bk_mock_root_config_factory_new_from_yaml ("todo:\n  maxItems: 10\n  mode: on\n"), NULL);
  root = get_root_config (tester);
  g_assert_true (BK_IS_STATIC_ROOT_CONFIG (root));

  config = bk_root_config_dup_config (root);
  assert_int (config, "todo.maxItems", 10);
  assert_string (config, "todo.mode", "on");
  g_assert_cmpstr (bk_config_get_source (config), ==, "mock-config");

  g_signal_connect (root, "changed", G_CALLBACK (on_changed), &signals);
  next = bk_config_new_from_yaml ("todo:\n  maxItems: 5\n", -1, "mock-config", &error);
  g_assert_no_error (error);
  bk_static_root_config_set_config (BK_STATIC_ROOT_CONFIG (root), next);
  g_assert_cmpuint (signals.changed, ==, 1);

  broken = bk_service_factory_tester_new (bk_mock_root_config_factory_new_from_yaml ("a: [\n"), NULL);
  g_assert_null (bk_service_factory_tester_get_subject (broken, NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "Failed to parse config in 'mock-config' line 2, column 1"));
}

/* ------------------------------------------------------------------------ */
/* Corpus                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct
{
  const char *file;
  const char *expect;
  const char *expect_too;
} BadCase;

static const BadCase bad_cases[] = {
  { "01-tab-indent.yaml", "line 2, column 1, found character that cannot start any token", NULL },
  { "02-duplicate-key.yaml", "Duplicate key 'app' in '", "line 5, column 1" },
  { "03-duplicate-nested-key.yaml", "Duplicate key 'port' at 'backend.listen' in '", "line 5, column 5" },
  { "04-unclosed-double-quote.yaml", "line 5, column 1, found unexpected end of stream while scanning a quoted scalar", NULL },
  { "05-unclosed-single-quote.yaml", "line 3, column 1, found unexpected end of stream while scanning a quoted scalar", NULL },
  { "06-unclosed-flow-sequence.yaml", "line 3, column 9, did not find expected ',' or ']'", NULL },
  { "07-bad-indent.yaml", "line 3, column 2, did not find expected key while parsing a block mapping", NULL },
  { "08-root-sequence.yaml", "the root must be an object, got array", NULL },
  { "09-root-scalar.yaml", "the root must be an object, got string", NULL },
  { "10-two-documents.yaml", "line 3, column 1, a config file must hold a single YAML document", NULL },
  { "11-billion-laughs.yaml", "line 5, column 8, aliases expand to more than 10000 nodes", "billion laughs" },
  { "12-recursive-alias.yaml", "line 3, column 5, alias '*list' refers to a node that contains it", NULL },
  { "13-unknown-alias.yaml", "line 2, column 11, unknown alias '*listen'", NULL },
  { "14-sequence-key.yaml", "line 1, column 3, a mapping key must be a scalar, not a sequence", NULL },
  { "15-mapping-key.yaml", "line 1, column 3, a mapping key must be a scalar, not a mapping", NULL },
  { "16-unknown-tag.yaml", "line 2, column 9, unsupported tag '!secret'", NULL },
  { "17-bad-int-tag.yaml", "line 3, column 11, 'seven' is not a valid !!int", NULL },
  { "18-invalid-utf8.yaml", "line 2, column 13, incomplete UTF-8 octet sequence", NULL },
  { "19-control-character.yaml", "line 2, column 11, control characters are not allowed", NULL },
  { "20-deep-nesting.yaml", "the document is nested deeper than 256 levels", NULL },
  { "21-directive-adjacent-keys.yaml", "at 'backend.auth' in '", "line 3, include key $file should not have adjacent keys" },
  { "22-two-directives.yaml", "at 'backend.database' in '", "line 3, include key $env should not have adjacent keys" },
  { "23-include-value-not-string.yaml", "at 'catalog' in '", "line 2, $include include value is not a string" },
  { "24-include-missing-file.yaml", "line 2, failed to read file included/does-not-exist.yaml, no such file", NULL },
  { "25-include-no-parser.yaml", "no configuration parser available for included file included/notes.txt", NULL },
  { "26-include-cycle.yaml", "circular $include detected, '", "included/cycle-b.yaml' -> '" },
  { "27-include-broken-yaml.yaml", "failed to parse included file included/broken.yaml, Failed to parse config in '",
    "included/broken.yaml' line 5, column 1" },
  { "28-include-broken-json.yaml", "failed to parse included file included/broken.json, ", NULL },
  { "29-include-path-not-object.yaml", "value at 'locations' in included file included/locations.yaml is not an object", NULL },
  { "30-file-missing.yaml", "at 'backend.auth.secret' in '", "line 4, failed to read file included/no-such-secret.txt, no such file" },
  { "31-file-not-utf8.yaml", "failed to read file included/binary.bin, it is not UTF-8 text", NULL },
  { "32-file-is-directory.yaml", "failed to read file included, it is a directory", NULL },
  { "33-env-value-not-string.yaml", "line 4, $env include value is not a string", NULL },
  { "34-file-substitution-undefined.yaml", "$file substitution value was undefined", "'BK_TEST_CONFIG_UNSET_DIR' is not set" },
  { "35-root-include-scalar.yaml", "the root must be an object, got string", NULL },
  { "36-anchor-on-key.yaml", "line 1, column 1, anchors on mapping keys are not supported", NULL },
  { "37-bad-float-tag.yaml", "line 2, column 10, 'fast' is not a valid !!float", NULL },
  { "38-block-then-sequence.yaml", "line 4, column 3, did not find expected key", NULL },
  { "39-unclosed-flow-mapping.yaml", "line 2, column 1, did not find expected node content", NULL },
  { "40-bad-escape.yaml", "line 2, column 22, found unknown escape character", NULL },
  { "41-duplicate-directive.yaml", "line 2, column 1, found duplicate %YAML directive", NULL },
  { "42-alias-before-anchor.yaml", "line 2, column 12, unknown alias '*a'", NULL },
};

static void
test_config_files_corpus_bad (gconstpointer data)
{
  const BadCase *tc = data;
  g_autofree char *path = data_file ("bad", tc->file, NULL);
  const char * const paths[] = { path, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(BkConfig) config = NULL;

  g_unsetenv ("BK_TEST_CONFIG_UNSET_DIR");

  config = bk_config_new_from_files (paths, &error);
  g_assert_null (config);
  g_assert_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE);

  if (g_test_verbose ())
    g_test_message ("%s: %s", tc->file, error->message);

  /* The message names the file, and says what is wrong. */
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, tc->expect));
  if (tc->expect_too != NULL)
    g_assert_nonnull (strstr (error->message, tc->expect_too));
}

static void
test_config_files_corpus_bad_complete (void)
{
  g_autofree char *dir_path = data_file ("bad", NULL);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  guint files = 0;

  g_test_summary ("Every file of tests/data/config/bad has a case, and there are at least 30");

  dir = g_dir_open (dir_path, 0, &error);
  g_assert_no_error (error);

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      gboolean found = FALSE;

      if (!g_str_has_suffix (name, ".yaml"))
        continue;

      for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
        found = found || g_str_equal (bad_cases[i].file, name);

      if (!found)
        g_error ("%s has no case in bad_cases", name);
      files++;
    }

  g_assert_cmpuint (files, ==, G_N_ELEMENTS (bad_cases));
  g_assert_cmpuint (files, >=, 30);
}

static void
test_config_files_corpus_good (void)
{
  g_autofree char *main_path = data_file ("good", "app-config.yaml", NULL);
  g_autofree char *local_path = data_file ("good", "app-config.local.yaml", NULL);
  const char * const paths[] = { main_path, local_path, NULL };
  g_autofree char *catalog_source = NULL;
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) secrets = NULL;

  g_test_summary ("The good corpus loads: a realistic app-config.yaml with an override file, "
                  "includes and a $file");

  g_unsetenv ("BK_TEST_CONFIG_DB_HOST");
  g_unsetenv ("BK_TEST_CONFIG_DB_PASSWORD");

  config = bk_config_new_from_files (paths, &error);
  g_assert_no_error (error);

  assert_int (config, "backend.listen.port", 7008);
  assert_string (config, "backend.listen.host", "0.0.0.0");
  assert_json (config, "backend.cors.methods", "[\"GET\"]");
  assert_string (config, "backend.database.connection", ":memory:");
  assert_string (config, "backend.https.certificate.cert",
                 "-----BEGIN CERTIFICATE-----\nMIIBexample\n-----END CERTIFICATE-----");
  assert_json (config, "catalog.locations",
               "[{\"type\":\"url\",\"target\":\"https://example.com/catalog-info.yaml\"},"
               "{\"type\":\"file\",\"target\":\"../catalog-info.yaml\"}]");
  assert_string (config, "integrations.literal", "costs ${PRICE}");

  catalog_source = bk_config_dup_key_source (config, "catalog.locations");
  g_assert_true (g_str_has_suffix (catalog_source, "included/catalog.json"));

  secrets = bk_config_dup_secrets (config);
  assert_strv (secrets, "-----BEGIN CERTIFICATE-----\nMIIBexample\n-----END CERTIFICATE-----|"
                        "ghp_exampleexampleexample");
}

static void
test_config_files_corpus_good_each (void)
{
  static const char * const files[] = {
    "anchors.yaml", "block-scalars.yaml", "empty.yaml", "flow.yaml", "schema.yaml", "unicode.yaml",
  };

  g_test_summary ("Each stand-alone good file loads");

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = data_file ("good", files[i], NULL);
      const char * const paths[] = { path, NULL };
      g_autoptr(BkConfig) config = load (paths);

      g_assert_nonnull (config);
    }
}

static void
test_config_files_block_scalars (void)
{
  g_autofree char *path = data_file ("good", "block-scalars.yaml", NULL);
  const char * const paths[] = { path, NULL };
  g_autoptr(BkConfig) config = load (paths);

  g_test_summary ("Literal and folded block scalars keep YAML's newline rules");

  assert_string (config, "literal", "line one\nline two\n");
  assert_string (config, "folded", "folded into one line\n");
  assert_string (config, "keep", "kept newline\n\n");
  assert_string (config, "strip", "no trailing newline");
  assert_string (config, "indented", "  two extra spaces\n");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD_FIXTURE_TEST(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD_FIXTURE_TEST ("/config-files/sources/none", test_config_files_sources_none);
  ADD_FIXTURE_TEST ("/config-files/sources/app-config", test_config_files_sources_app_config);
  ADD_FIXTURE_TEST ("/config-files/sources/local", test_config_files_sources_local);
  ADD_FIXTURE_TEST ("/config-files/sources/local-only", test_config_files_sources_local_only);
  ADD_FIXTURE_TEST ("/config-files/sources/explicit", test_config_files_sources_explicit);
  ADD_FIXTURE_TEST ("/config-files/sources/missing", test_config_files_sources_missing);
  ADD_FIXTURE_TEST ("/config-files/merge", test_config_files_merge);
  ADD_FIXTURE_TEST ("/config-files/substitution", test_config_files_substitution);
  ADD_FIXTURE_TEST ("/config-files/directive/env", test_config_files_directive_env);
  ADD_FIXTURE_TEST ("/config-files/directive/file", test_config_files_directive_file);
  ADD_FIXTURE_TEST ("/config-files/directive/include", test_config_files_directive_include);
  ADD_FIXTURE_TEST ("/config-files/directive/include-cycle", test_config_files_directive_include_cycle);

  for (guint i = 0; i < G_N_ELEMENTS (directive_error_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/config-files/directive/error/%s",
                                               directive_error_cases[i].name);
      g_test_add (path, Fixture, &directive_error_cases[i],
                  fixture_set_up, test_config_files_directive_error, fixture_tear_down);
    }

  ADD_FIXTURE_TEST ("/config-files/env-overrides", test_config_files_env_overrides);
  ADD_FIXTURE_TEST ("/config-files/env-overrides/allowed-keys", test_config_files_env_allowed_keys);

  for (guint i = 0; i < G_N_ELEMENTS (env_error_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/config-files/env-overrides/error/%s",
                                               env_error_cases[i].name);
      g_test_add (path, Fixture, &env_error_cases[i],
                  fixture_set_up, test_config_files_env_error, fixture_tear_down);
    }

  g_test_add_func ("/config-files/yaml/schema", test_config_files_yaml_schema);
  g_test_add_func ("/config-files/yaml/anchors", test_config_files_yaml_anchors);
  g_test_add_func ("/config-files/yaml/messages", test_config_files_yaml_messages);
  g_test_add_func ("/config-files/yaml/alias-cap", test_config_files_yaml_alias_cap);
  g_test_add_func ("/config-files/yaml/truncated", test_config_files_yaml_truncated);
  g_test_add_func ("/config-files/yaml/length", test_config_files_yaml_length);
  g_test_add_func ("/config-files/yaml/block-scalars", test_config_files_block_scalars);

  ADD_FIXTURE_TEST ("/config-files/errors/type-names-file", test_config_files_type_error_names_file);
  ADD_FIXTURE_TEST ("/config-files/secrets", test_config_files_secrets);
  ADD_FIXTURE_TEST ("/config-files/unread", test_config_files_unread);
  ADD_FIXTURE_TEST ("/config-files/unread/threads", test_config_files_unread_threads);

  ADD_FIXTURE_TEST ("/config-files/reload/sighup", test_config_files_reload_sighup);
  ADD_FIXTURE_TEST ("/config-files/reload/sync", test_config_files_reload_sync);
  g_test_add_func ("/config-files/reload/static", test_config_files_reload_static);
  ADD_FIXTURE_TEST ("/config-files/factory/missing", test_config_files_factory_missing);
  ADD_FIXTURE_TEST ("/config-files/factory/finalize", test_config_files_factory_finalize);
  g_test_add_func ("/config-files/mock/yaml", test_config_files_mock_yaml);

  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/config-files/corpus/bad/%s", bad_cases[i].file);
      g_test_add_data_func_full (path, (gpointer) &bad_cases[i], test_config_files_corpus_bad, NULL);
    }

  g_test_add_func ("/config-files/corpus/bad-complete", test_config_files_corpus_bad_complete);
  g_test_add_func ("/config-files/corpus/good", test_config_files_corpus_good);
  g_test_add_func ("/config-files/corpus/good-each", test_config_files_corpus_good_each);

  return g_test_run ();
}
