/* test-testkit.c
 *
 * Tests of the test kit itself (libbackend-test-utils): BkTestDirectory,
 * BkTestBackend (mock defaults, synthesized plugins, extension points handed
 * in by a test, the leak check and the seeded start order of DESIGN.md §9)
 * and BkServiceFactoryTester. docs/testing.md holds the behaviour.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <libbackend.h>
#include <libbackend-test-utils.h>

/* Set in the environment of the child that /testkit/shuffle/seed spawns, so
 * /testkit/shuffle/order prints the order it saw. */
#define SHUFFLE_CHILD_ENV "BK_TESTKIT_SHUFFLE_CHILD"

static BK_DEFINE_SERVICE_REF (ref_a, "a", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_b, "b", G_TYPE_OBJECT, BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_SERVICE_REF (ref_subject, "testkit.subject", G_TYPE_OBJECT,
                              BK_SERVICE_SCOPE_PLUGIN, NULL)
static BK_DEFINE_EXTENSION_POINT (testkit_ep, "testkit.registry", G_TYPE_OBJECT)

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static char *
join_log (GPtrArray *log)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < log->len; i++)
    {
      if (i > 0)
        g_string_append_c (s, ',');
      g_string_append (s, g_ptr_array_index (log, i));
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&contents);
}

/* ------------------------------------------------------------------------ */
/* BkTestDirectory                                                          */
/* ------------------------------------------------------------------------ */

static void
test_testkit_directory_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestDirectory) dir = NULL;
  g_autoptr(BkTestDirectory) copy = NULL;
  g_autofree char *content = NULL;
  g_autofree char *copy_content = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *config = NULL;
  g_autofree char *basename = NULL;
  const char *expected =
    "{\"app-config.yaml\":\"backend:\\n  listen: 7007\\n\",\"empty\":{},\"z.txt\":\"last\"}";

  g_test_summary ("A description written with new_from_json comes back from "
                  "dup_content in the same shape, keys sorted");

  /* Keys out of order: dup_content sorts them. */
  dir = bk_test_directory_new_from_json ("{\"z.txt\": \"last\","
                                         " \"app-config.yaml\": \"backend:\\n  listen: 7007\\n\","
                                         " \"empty\": {}}",
                                         &error);
  g_assert_no_error (error);
  g_assert_nonnull (dir);

  g_assert_true (g_path_is_absolute (bk_test_directory_get_path (dir)));
  g_assert_true (g_file_test (bk_test_directory_get_path (dir), G_FILE_TEST_IS_DIR));
  basename = g_path_get_basename (bk_test_directory_get_path (dir));
  g_assert_true (g_str_has_prefix (basename, "bk-test-"));

  config_path = bk_test_directory_resolve (dir, "app-config.yaml");
  g_assert_true (g_str_has_prefix (config_path, bk_test_directory_get_path (dir)));
  config = read_file (config_path);
  g_assert_cmpstr (config, ==, "backend:\n  listen: 7007\n");

  content = bk_test_directory_dup_content (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (content, ==, expected);

  /* And what dup_content gives is a description again. */
  copy = bk_test_directory_new_from_json (content, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (bk_test_directory_get_path (copy), !=, bk_test_directory_get_path (dir));
  copy_content = bk_test_directory_dup_content (copy, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (copy_content, ==, expected);
}

static void
test_testkit_directory_empty (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestDirectory) dir = NULL;
  g_autofree char *content = NULL;

  dir = bk_test_directory_new (&error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (bk_test_directory_get_path (dir), G_FILE_TEST_IS_DIR));

  content = bk_test_directory_dup_content (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (content, ==, "{}");
}

static void
test_testkit_directory_nested (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestDirectory) dir = NULL;
  g_autofree char *content = NULL;
  g_autofree char *sub = NULL;
  g_autofree char *deep = NULL;
  g_autofree char *deep_contents = NULL;

  dir = bk_test_directory_new_from_json ("{\"sub\": {\"a.txt\": \"x\","
                                         "          \"deeper\": {\"b.txt\": \"y\"}},"
                                         " \"top.txt\": \"t\"}",
                                         &error);
  g_assert_no_error (error);

  sub = bk_test_directory_resolve (dir, "sub");
  g_assert_true (g_file_test (sub, G_FILE_TEST_IS_DIR));
  deep = bk_test_directory_resolve (dir, "sub/deeper/b.txt");
  g_assert_true (g_file_test (deep, G_FILE_TEST_IS_REGULAR));
  deep_contents = read_file (deep);
  g_assert_cmpstr (deep_contents, ==, "y");

  content = bk_test_directory_dup_content (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (content, ==,
                   "{\"sub\":{\"a.txt\":\"x\",\"deeper\":{\"b.txt\":\"y\"}},\"top.txt\":\"t\"}");
}

static void
test_testkit_directory_path_keys (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestDirectory) dir = NULL;
  g_autofree char *content = NULL;
  g_autofree char *intermediate = NULL;

  g_test_summary ("A key with '/' creates the intermediate directories, at the "
                  "top level and inside a nested directory");

  dir = bk_test_directory_new_from_json ("{\"data/deep/a.txt\": \"hello\","
                                         " \"conf\": {\"x/y.yaml\": \"k: v\\n\"},"
                                         " \"made/dir\": {}}",
                                         &error);
  g_assert_no_error (error);

  intermediate = bk_test_directory_resolve (dir, "data/deep");
  g_assert_true (g_file_test (intermediate, G_FILE_TEST_IS_DIR));

  content = bk_test_directory_dup_content (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (content, ==,
                   "{\"conf\":{\"x\":{\"y.yaml\":\"k: v\\n\"}},"
                   "\"data\":{\"deep\":{\"a.txt\":\"hello\"}},"
                   "\"made\":{\"dir\":{}}}");

  /* add_content adds to what is there and replaces a file. */
  bk_test_directory_add_content (dir, "{\"data/deep/b.txt\": \"more\", \"conf/x/y.yaml\": \"new\"}",
                                 &error);
  g_assert_no_error (error);
  g_clear_pointer (&content, g_free);
  content = bk_test_directory_dup_content (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (content, ==,
                   "{\"conf\":{\"x\":{\"y.yaml\":\"new\"}},"
                   "\"data\":{\"deep\":{\"a.txt\":\"hello\",\"b.txt\":\"more\"}},"
                   "\"made\":{\"dir\":{}}}");
}

static void
test_testkit_directory_component_output (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestDirectory) dir = NULL;
  g_autofree char *out_dir = NULL;
  g_autofree char *report = NULL;
  g_autofree char *content = NULL;

  g_test_summary ("dup_content shows what a component wrote into the directory");

  dir = bk_test_directory_new_from_json ("{\"in.txt\": \"input\"}", &error);
  g_assert_no_error (error);

  /* "The component": plain GLib file calls. */
  out_dir = bk_test_directory_resolve (dir, "out");
  g_assert_cmpint (g_mkdir_with_parents (out_dir, 0755), ==, 0);
  report = bk_test_directory_resolve (dir, "out/report.txt");
  g_file_set_contents (report, "done \xe2\x9c\x93\n", -1, &error);
  g_assert_no_error (error);

  content = bk_test_directory_dup_content (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (content, ==,
                   "{\"in.txt\":\"input\",\"out\":{\"report.txt\":\"done \xe2\x9c\x93\\n\"}}");
}

typedef struct
{
  const char *name;
  const char *description;
  const char *key;       /* the key the message must name */
  const char *reason;    /* a fragment of the message */
} RefusedKeyCase;

static const RefusedKeyCase refused_key_cases[] = {
  { "parent", "{\"ok.txt\": \"x\", \"../evil.txt\": \"y\"}", "'../evil.txt'", "'..'" },
  { "inner-parent", "{\"ok.txt\": \"x\", \"a/../../evil.txt\": \"y\"}", "'a/../../evil.txt'", "'..'" },
  { "trailing-parent", "{\"ok.txt\": \"x\", \"a/..\": {}}", "'a/..'", "'..'" },
  { "absolute", "{\"ok.txt\": \"x\", \"/tmp/bk-testkit-evil.txt\": \"y\"}",
    "'/tmp/bk-testkit-evil.txt'", "absolute" },
  { "nested", "{\"ok.txt\": \"x\", \"sub\": {\"fine.txt\": \"z\", \"../../evil.txt\": \"y\"}}",
    "'../../evil.txt' (in 'sub')", "'..'" },
  { "empty", "{\"ok.txt\": \"x\", \"\": \"y\"}", "''", "empty" },
};

static void
test_testkit_directory_refused_key (gconstpointer data)
{
  const RefusedKeyCase *tc = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestDirectory) dir = NULL;
  g_autoptr(BkTestDirectory) refused = NULL;
  g_autofree char *content = NULL;
  g_autofree char *outside = NULL;
  g_autofree char *parent = NULL;

  g_test_summary ("A key that is absolute or leaves the directory with '..' is "
                  "refused with the key named, and nothing is written");

  dir = bk_test_directory_new (&error);
  g_assert_no_error (error);

  g_assert_false (bk_test_directory_add_content (dir, tc->description, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, tc->key));
  g_assert_nonnull (strstr (error->message, tc->reason));
  g_clear_error (&error);

  /* Nothing written: not even the valid "ok.txt" that came first. */
  content = bk_test_directory_dup_content (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (content, ==, "{}");
  parent = g_path_get_dirname (bk_test_directory_get_path (dir));
  outside = g_build_filename (parent, "evil.txt", NULL);
  g_assert_false (g_file_test (outside, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test ("/tmp/bk-testkit-evil.txt", G_FILE_TEST_EXISTS));

  /* new_from_json refuses it the same way. */
  refused = bk_test_directory_new_from_json (tc->description, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (refused);
  g_assert_nonnull (strstr (error->message, tc->key));
}

typedef struct
{
  const char *name;
  const char *description;
  const char *fragment;  /* a fragment of the message */
} BadDescriptionCase;

static const BadDescriptionCase bad_description_cases[] = {
  { "syntax", "{\"a.txt\": ", "Invalid test directory description: " },
  { "garbage", "not json", "Invalid test directory description: " },
  { "empty", "", "expected a JSON object, got nothing" },
  { "array", "[\"a.txt\"]", "expected a JSON object, got an array" },
  { "string", "\"a.txt\"", "expected a JSON object, got a string" },
  { "number-value", "{\"a.txt\": 1}", "'a.txt'" },
  { "null-value", "{\"a.txt\": null}", "got null" },
  { "array-value", "{\"sub\": {\"list\": [1, 2]}}", "'list' (in 'sub')" },
  { "boolean-value", "{\"flag\": true}", "got a boolean" },
};

static void
test_testkit_directory_bad_description (gconstpointer data)
{
  const BadDescriptionCase *tc = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestDirectory) dir = NULL;
  g_autoptr(BkTestDirectory) refused = NULL;
  g_autofree char *content = NULL;

  dir = bk_test_directory_new (&error);
  g_assert_no_error (error);

  g_assert_false (bk_test_directory_add_content (dir, tc->description, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, tc->fragment));
  g_clear_error (&error);

  content = bk_test_directory_dup_content (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (content, ==, "{}");

  refused = bk_test_directory_new_from_json (tc->description, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (refused);
}

static void
test_testkit_directory_remove (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestDirectory) dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *content = NULL;
  g_autofree char *link = NULL;
  g_autofree char *target = NULL;

  g_test_summary ("remove deletes the whole tree, is idempotent, and does not "
                  "follow symbolic links");

  /* A file outside the directory that a link inside points to. */
  target = g_build_filename (g_get_tmp_dir (), "bk-testkit-link-target.txt", NULL);
  g_file_set_contents (target, "keep me", -1, &error);
  g_assert_no_error (error);

  dir = bk_test_directory_new_from_json ("{\"a\": {\"b\": {\"c.txt\": \"x\"}}, \"d.txt\": \"y\"}",
                                         &error);
  g_assert_no_error (error);
  path = g_strdup (bk_test_directory_get_path (dir));
  link = bk_test_directory_resolve (dir, "a/link");
  g_assert_cmpint (symlink (target, link), ==, 0);

  g_assert_true (bk_test_directory_remove (dir, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (target, G_FILE_TEST_IS_REGULAR));

  /* Idempotent. */
  g_assert_true (bk_test_directory_remove (dir, &error));
  g_assert_no_error (error);

  /* The path is still known; there is no content any more. */
  g_assert_cmpstr (bk_test_directory_get_path (dir), ==, path);
  content = bk_test_directory_dup_content (dir, &error);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_null (content);
  g_clear_error (&error);
  g_assert_false (bk_test_directory_add_content (dir, "{\"a.txt\": \"x\"}", &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* Finalizing a removed directory is quiet. */
  g_assert_finalize_object (g_steal_pointer (&dir));
  g_assert_cmpint (g_unlink (target), ==, 0);
}

static void
test_testkit_directory_removed_elsewhere (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestDirectory) dir = NULL;

  g_test_summary ("remove succeeds when someone else already removed the directory");

  dir = bk_test_directory_new (&error);
  g_assert_no_error (error);
  g_assert_cmpint (g_rmdir (bk_test_directory_get_path (dir)), ==, 0);

  g_assert_true (bk_test_directory_remove (dir, &error));
  g_assert_no_error (error);
}

static void
test_testkit_directory_finalize (void)
{
  g_autoptr(GError) error = NULL;
  BkTestDirectory *dir;
  g_autofree char *path = NULL;
  g_autofree char *file = NULL;

  g_test_summary ("Finalizing a test directory removes it with its content");

  dir = bk_test_directory_new_from_json ("{\"sub\": {\"deep\": {\"a.txt\": \"x\"}}, \"b.txt\": \"y\"}",
                                         &error);
  g_assert_no_error (error);
  path = g_strdup (bk_test_directory_get_path (dir));
  file = bk_test_directory_resolve (dir, "sub/deep/a.txt");
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));

  g_assert_finalize_object (dir);
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_testkit_directory_resolve (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestDirectory) dir = NULL;
  g_autofree char *resolved = NULL;
  g_autofree char *expected = NULL;

  dir = bk_test_directory_new (&error);
  g_assert_no_error (error);

  resolved = bk_test_directory_resolve (dir, "not/yet/there.txt");
  expected = g_build_filename (bk_test_directory_get_path (dir), "not", "yet", "there.txt", NULL);
  g_assert_cmpstr (resolved, ==, expected);
  g_assert_false (g_file_test (resolved, G_FILE_TEST_EXISTS));
}

/* ------------------------------------------------------------------------ */
/* BkTestBackend                                                            */
/* ------------------------------------------------------------------------ */

/* What a test's plugins and modules saw, owned by the test's stack frame. */
typedef struct
{
  GPtrArray *log;            /* char *: events in order */
  gboolean   ran;
  gboolean   logger_is_mock;
  gpointer   logger;         /* not a reference: compared only */
  guint      n_config_keys;
  char      *listen_host;
  gint64     config_a;
  gboolean   lifecycle_ok;
  gpointer   expected_ep;    /* not a reference */
  gpointer   received_ep;    /* not a reference */
} Probe;

static void
probe_init (Probe *probe)
{
  memset (probe, 0, sizeof *probe);
  probe->log = g_ptr_array_new_with_free_func (g_free);
  probe->config_a = -1;
}

static void
probe_clear (Probe *probe)
{
  g_clear_pointer (&probe->log, g_ptr_array_unref);
  g_clear_pointer (&probe->listen_host, g_free);
}

static gboolean
probe_startup_hook (gpointer   user_data,
                    GError   **error)
{
  Probe *probe = user_data;

  g_ptr_array_add (probe->log, g_strdup ("startup"));
  return TRUE;
}

static gboolean
probe_shutdown_hook (gpointer   user_data,
                     GError   **error)
{
  Probe *probe = user_data;

  g_ptr_array_add (probe->log, g_strdup ("shutdown"));
  return TRUE;
}

static gboolean
probe_plugin_init (BkDeps    *deps,
                   gpointer   user_data,
                   GError   **error)
{
  Probe *probe = user_data;
  BkRootConfig *root_config = bk_deps_get (deps, BK_SERVICE_ROOT_CONFIG);
  BkLogger *logger = bk_deps_get (deps, BK_SERVICE_LOGGER);
  BkLifecycle *lifecycle = bk_deps_get (deps, BK_SERVICE_LIFECYCLE);
  g_autoptr(BkConfig) config = bk_root_config_dup_config (root_config);
  g_auto(GStrv) keys = bk_config_get_keys (config);

  probe->ran = TRUE;
  /* The mock config is the test's own: nothing added. */
  probe->n_config_keys = g_strv_length (keys);
  g_clear_pointer (&probe->listen_host, g_free);
  if (!bk_config_get_optional_string (config, "backend.listen.host", NULL, &probe->listen_host, error))
    return FALSE;
  if (bk_config_has (config, "a"))
    {
      if (!bk_config_get_int (config, "a", &probe->config_a, error))
        return FALSE;
    }

  probe->logger = logger;
  probe->logger_is_mock = BK_IS_MOCK_LOGGER (logger);
  bk_logger_info (logger, "hello from %s", bk_deps_get_plugin_id (deps));

  probe->lifecycle_ok =
    bk_lifecycle_add_hook (lifecycle, BK_LIFECYCLE_PHASE_STARTUP, probe_startup_hook, probe, NULL, error) &&
    bk_lifecycle_add_hook (lifecycle, BK_LIFECYCLE_PHASE_SHUTDOWN, probe_shutdown_hook, probe, NULL, error);

  return probe->lifecycle_ok;
}

static void
probe_plugin_register (BkPluginEnv *env,
                       gpointer     user_data)
{
  bk_plugin_env_register_init (env, probe_plugin_init, user_data, NULL,
                               BK_SERVICE_ROOT_CONFIG, BK_SERVICE_LOGGER, BK_SERVICE_LIFECYCLE,
                               NULL);
}

static void
test_testkit_backend_mock_defaults (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestBackend) backend = NULL;
  BkMockLogger *root_logger;
  Probe probe;

  g_test_summary ("A test backend gives a plugin a mock config ({}), mock "
                  "loggers that share their records, and real lifecycles");

  probe_init (&probe);
  backend = bk_test_backend_start (&error,
                                   bk_plugin_new ("probe", probe_plugin_register, &probe, NULL),
                                   NULL);
  g_assert_no_error (error);
  g_assert_nonnull (backend);
  g_assert_true (BK_IS_BACKEND (bk_test_backend_get_backend (backend)));
  g_assert_true (bk_startup_result_is_success (bk_test_backend_get_startup_result (backend)));

  g_assert_true (probe.ran);
  g_assert_cmpuint (probe.n_config_keys, ==, 0);
  g_assert_null (probe.listen_host);
  g_assert_cmpint (probe.config_a, ==, -1);
  g_assert_true (probe.logger_is_mock);
  g_assert_true (probe.lifecycle_ok);

  /* The plugin's logger is the one the backend made for it … */
  g_assert_true (bk_test_backend_get_service (backend, BK_SERVICE_LOGGER, "probe") == probe.logger);

  /* … and the root mock logger sees its records. */
  root_logger = bk_test_backend_get_service (backend, BK_SERVICE_ROOT_LOGGER, NULL);
  g_assert_true (BK_IS_MOCK_LOGGER (root_logger));
  g_assert_cmpuint (bk_mock_logger_count (root_logger, BK_LOG_LEVEL_INFO, "hello from probe"), ==, 1);
  g_assert_cmpuint (bk_mock_logger_count (BK_MOCK_LOGGER (probe.logger), BK_LOG_LEVEL_INFO, "hello from *"), ==, 1);

  /* Real lifecycles: the startup hook ran at start, the shutdown hook runs at stop. */
  {
    g_autofree char *log = join_log (probe.log);

    g_assert_cmpstr (log, ==, "startup");
  }

  g_assert_true (bk_test_backend_stop (backend, &error));
  g_assert_no_error (error);
  g_assert_false (g_test_failed ());
  {
    g_autofree char *log = join_log (probe.log);

    g_assert_cmpstr (log, ==, "startup,shutdown");
  }

  g_assert_finalize_object (g_steal_pointer (&backend));
  probe_clear (&probe);
}

static void
test_testkit_backend_override_default (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestBackend) backend = NULL;
  Probe probe;

  g_test_summary ("A test's own factory for a ref the test backend mocks "
                  "replaces the mock instead of being a duplicate");

  probe_init (&probe);
  backend = bk_test_backend_start (&error,
                                   bk_plugin_new ("probe", probe_plugin_register, &probe, NULL),
                                   bk_mock_root_config_factory_new ("{\"a\":1}"),
                                   NULL);
  g_assert_no_error (error);
  g_assert_nonnull (backend);

  g_assert_true (probe.ran);
  g_assert_cmpuint (probe.n_config_keys, ==, 1);
  g_assert_null (probe.listen_host);
  g_assert_cmpint (probe.config_a, ==, 1);

  g_assert_true (bk_test_backend_stop (backend, &error));
  g_assert_no_error (error);
  g_clear_object (&backend);
  probe_clear (&probe);
}

static void
test_testkit_backend_failed_start (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestBackend) backend = NULL;
  BkServiceFactory *first = bk_mock_root_config_factory_new ("{}");
  BkServiceFactory *second = bk_mock_root_config_factory_new ("{}");
  gpointer weak_first = first;
  gpointer weak_second = second;

  g_test_summary ("bk_test_backend_start returns NULL with the backend's error "
                  "when the start fails, and consumes its features");

  g_object_add_weak_pointer (G_OBJECT (first), &weak_first);
  g_object_add_weak_pointer (G_OBJECT (second), &weak_second);
  backend = bk_test_backend_start (&error, first, second, NULL);
  g_assert_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_DUPLICATE_SERVICE);
  g_assert_cmpstr (error->message, ==, "Duplicate service implementations provided for core.rootConfig");
  g_assert_null (backend);
  g_assert_null (weak_first);
  g_assert_null (weak_second);
}

static gboolean
lonely_module_init (BkDeps    *deps,
                    gpointer   user_data,
                    GError   **error)
{
  Probe *probe = user_data;

  probe->ran = TRUE;
  g_ptr_array_add (probe->log, g_strdup (bk_deps_get_plugin_id (deps)));
  return TRUE;
}

static void
lonely_module_register (BkModuleEnv *env,
                        gpointer     user_data)
{
  bk_module_env_register_init (env, lonely_module_init, user_data, NULL, NULL);
}

static void
test_testkit_backend_module_alone (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestBackend) backend = NULL;
  BkStartupResult *result;
  BkFeatureResult *plugin;
  BkFeatureResult *module;
  Probe probe;

  g_test_summary ("A module whose plugin is not among the features runs: the "
                  "test backend synthesizes an empty plugin");

  probe_init (&probe);
  backend = bk_test_backend_new ();
  bk_test_backend_add (backend, bk_module_new ("absent", "lonely", lonely_module_register, &probe, NULL));
  g_assert_true (bk_test_backend_launch (backend, &error));
  g_assert_no_error (error);

  g_assert_true (probe.ran);
  {
    g_autofree char *log = join_log (probe.log);

    g_assert_cmpstr (log, ==, "absent");
  }

  result = bk_test_backend_get_startup_result (backend);
  g_assert_true (bk_startup_result_is_success (result));
  plugin = bk_startup_result_find_plugin (result, "absent");
  g_assert_nonnull (plugin);
  g_assert_null (bk_feature_result_get_error (plugin));
  module = bk_feature_result_find_module (plugin, "lonely");
  g_assert_nonnull (module);
  g_assert_null (bk_feature_result_get_error (module));

  g_assert_true (bk_test_backend_stop (backend, &error));
  g_assert_no_error (error);
  g_clear_object (&backend);
  probe_clear (&probe);
}

static gboolean
consumer_module_init (BkDeps    *deps,
                      gpointer   user_data,
                      GError   **error)
{
  Probe *probe = user_data;
  GObject *registry = bk_deps_get (deps, testkit_ep ());

  probe->received_ep = registry;
  g_object_set_data_full (registry, "touched-by", g_strdup ("consumer"), g_free);
  return TRUE;
}

static void
consumer_module_register (BkModuleEnv *env,
                          gpointer     user_data)
{
  bk_module_env_register_init (env, consumer_module_init, user_data, NULL,
                               testkit_ep (), NULL);
}

static void
test_testkit_backend_extension_point (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GObject) implementation = g_object_new (G_TYPE_OBJECT, NULL);
  gpointer weak = implementation;
  Probe probe;

  g_test_summary ("bk_test_backend_add_extension_point hands a test's "
                  "implementation to the module under test");

  probe_init (&probe);
  probe.expected_ep = implementation;
  g_object_add_weak_pointer (implementation, &weak);

  backend = bk_test_backend_new ();
  bk_test_backend_add (backend, bk_module_new ("host", "consumer", consumer_module_register, &probe, NULL));
  bk_test_backend_add_extension_point (backend, testkit_ep (), implementation);
  g_assert_true (bk_test_backend_launch (backend, &error));
  g_assert_no_error (error);

  g_assert_true (probe.received_ep == probe.expected_ep);
  g_assert_cmpstr (g_object_get_data (implementation, "touched-by"), ==, "consumer");

  /* The leak check counts the implementation among the objects the backend
   * holds: the test drops its own reference before stop. */
  g_clear_object (&implementation);
  g_assert_true (bk_test_backend_stop (backend, &error));
  g_assert_no_error (error);
  g_clear_object (&backend);
  g_assert_null (weak);
  probe_clear (&probe);
}

static void
test_testkit_backend_get_service (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestBackend) backend = NULL;
  BkMockLogger *root_logger;
  Probe probe;

  probe_init (&probe);
  backend = bk_test_backend_start (&error,
                                   bk_plugin_new ("probe", probe_plugin_register, &probe, NULL),
                                   NULL);
  g_assert_no_error (error);

  root_logger = bk_test_backend_get_service (backend, BK_SERVICE_ROOT_LOGGER, NULL);
  g_assert_true (BK_IS_MOCK_LOGGER (root_logger));
  g_assert_true (BK_IS_ROOT_CONFIG (bk_test_backend_get_service (backend, BK_SERVICE_ROOT_CONFIG, NULL)));
  g_assert_true (BK_IS_LIFECYCLE (bk_test_backend_get_service (backend, BK_SERVICE_LIFECYCLE, "probe")));
  g_assert_true (BK_IS_MOCK_LOGGER (bk_test_backend_get_service (backend, BK_SERVICE_LOGGER, "probe")));
  g_assert_true (bk_test_backend_get_service (backend, BK_SERVICE_LOGGER, "probe") !=
                 (gpointer) root_logger);

  g_assert_true (bk_test_backend_stop (backend, &error));
  g_assert_no_error (error);
  g_clear_object (&backend);
  probe_clear (&probe);
}

/* The leak check ---------------------------------------------------------- */

static BkLogger *leaked_logger;

static gboolean
leaky_init (BkDeps    *deps,
            gpointer   user_data,
            GError   **error)
{
  /* Stashed, never released: the leak check must see it. */
  leaked_logger = g_object_ref (bk_deps_get (deps, BK_SERVICE_LOGGER));
  return TRUE;
}

static void
leaky_register (BkPluginEnv *env,
                gpointer     user_data)
{
  bk_plugin_env_register_init (env, leaky_init, NULL, NULL, BK_SERVICE_LOGGER, NULL);
}

static gboolean
clean_init (BkDeps    *deps,
            gpointer   user_data,
            GError   **error)
{
  g_autoptr(BkLogger) logger = g_object_ref (bk_deps_get (deps, BK_SERVICE_LOGGER));

  bk_logger_info (logger, "a reference taken and dropped");
  return TRUE;
}

static void
clean_register (BkPluginEnv *env,
                gpointer     user_data)
{
  bk_plugin_env_register_init (env, clean_init, NULL, NULL, BK_SERVICE_LOGGER, NULL);
}

static void
test_testkit_leak_check_leak (void)
{
  g_test_summary ("Stopping a test backend whose plugin kept a reference to "
                  "its logger fails the test and names the service and plugin");

  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(BkTestBackend) backend = NULL;

      backend = bk_test_backend_start (&error,
                                       bk_plugin_new ("leaky", leaky_register, NULL, NULL),
                                       NULL);
      g_assert_no_error (error);
      g_assert_nonnull (leaked_logger);

      /* Fails the test here (or, at the latest, when the backend is released). */
      bk_test_backend_stop (backend, NULL);
      g_clear_object (&backend);
      g_clear_object (&leaked_logger);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*service 'core.logger' for plugin 'leaky'*");
}

static void
test_testkit_leak_check_clean (void)
{
  g_test_summary ("A backend whose plugins dropped every reference they took "
                  "passes the leak check");

  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(BkTestBackend) backend = NULL;

      backend = bk_test_backend_start (&error,
                                       bk_plugin_new ("clean", clean_register, NULL, NULL),
                                       NULL);
      g_assert_no_error (error);
      g_assert_true (bk_test_backend_stop (backend, &error));
      g_assert_no_error (error);
      g_assert_finalize_object (g_steal_pointer (&backend));
      g_assert_false (g_test_failed ());
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr_unmatched ("*for plugin 'clean'*");
}

/* Shuffled start order ---------------------------------------------------- */

#define N_SHUFFLE_PLUGINS 8

static gboolean
shuffle_init (BkDeps    *deps,
              gpointer   user_data,
              GError   **error)
{
  GPtrArray *log = user_data;

  g_ptr_array_add (log, g_strdup (bk_deps_get_plugin_id (deps)));
  return TRUE;
}

static void
shuffle_register (BkPluginEnv *env,
                  gpointer     user_data)
{
  bk_plugin_env_register_init (env, shuffle_init, user_data, NULL, NULL);
}

/* Also the child of /testkit/shuffle/seed: with SHUFFLE_CHILD_ENV set, it
 * prints the order and the seed on stdout. */
static void
test_testkit_shuffle_order (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkTestBackend) backend = NULL;
  g_autoptr(GPtrArray) log = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *order = NULL;

  g_test_summary ("Independent plugins start in a permutation of their add order");

  backend = bk_test_backend_new ();
  for (guint i = 0; i < N_SHUFFLE_PLUGINS; i++)
    {
      g_autofree char *id = g_strdup_printf ("p%u", i);

      bk_test_backend_add (backend, bk_plugin_new (id, shuffle_register, log, NULL));
    }
  g_assert_true (bk_test_backend_launch (backend, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (log->len, ==, N_SHUFFLE_PLUGINS);
  for (guint i = 0; i < N_SHUFFLE_PLUGINS; i++)
    {
      g_autofree char *id = g_strdup_printf ("p%u", i);

      g_assert_true (g_ptr_array_find_with_equal_func (log, id, g_str_equal, NULL));
    }

  order = join_log (log);
  if (g_getenv (SHUFFLE_CHILD_ENV) != NULL)
    g_print ("\norder=%s\nseed=%u\n", order, bk_test_backend_get_seed (backend));
  else
    g_test_message ("start order: %s (shuffle seed %u)", order, bk_test_backend_get_seed (backend));

  g_assert_true (bk_test_backend_stop (backend, &error));
  g_assert_no_error (error);
}

typedef struct
{
  char *order;
  char *seed;
} ShuffleRun;

static void
shuffle_run_clear (ShuffleRun *run)
{
  g_clear_pointer (&run->order, g_free);
  g_clear_pointer (&run->seed, g_free);
}

/* Runs /testkit/shuffle/order in a new process of this program with
 * `--seed @seed` and reads what it printed. */
static void
shuffle_run (const char *seed,
             ShuffleRun *run)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autofree char *program = g_test_build_filename (G_TEST_BUILT, "test-testkit", NULL);
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, SHUFFLE_CHILD_ENV, "1", TRUE);
  child = g_subprocess_launcher_spawn (launcher, &error,
                                       program, "-p", "/testkit/shuffle/order", "--seed", seed,
                                       NULL);
  g_assert_no_error (error);

  g_subprocess_communicate_utf8 (child, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_subprocess_wait_check (child, NULL, &error);
  g_assert_no_error (error);

  memset (run, 0, sizeof *run);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "order="))
        run->order = g_strdup (lines[i] + strlen ("order="));
      else if (g_str_has_prefix (lines[i], "seed="))
        run->seed = g_strdup (lines[i] + strlen ("seed="));
    }
  g_assert_nonnull (run->order);
  g_assert_nonnull (run->seed);
  g_test_message ("--seed %s: order %s, shuffle seed %s", seed, run->order, run->seed);
}

static void
test_testkit_shuffle_seed (void)
{
  /* Two of GLib's seeds (`# random seed: R02S…`, 32 hex digits) that give
   * different orders of the eight plugins. */
  const char *seed_a = "R02S00000001000000020000000300000004";
  const char *seed_b = "R02S0badc0de0badc0de0badc0de0badc0de";
  ShuffleRun a1, a2, b;

  g_test_summary ("The start order of independent plugins is shuffled from "
                  "GLib's test seed: --seed reproduces it, another seed changes it");

  shuffle_run (seed_a, &a1);
  shuffle_run (seed_a, &a2);
  shuffle_run (seed_b, &b);

  /* Reproducible … */
  g_assert_cmpstr (a1.seed, ==, a2.seed);
  g_assert_cmpstr (a1.order, ==, a2.order);
  /* … and seeded. */
  g_assert_cmpstr (a1.seed, !=, b.seed);
  g_assert_cmpstr (a1.order, !=, b.order);

  shuffle_run_clear (&a1);
  shuffle_run_clear (&a2);
  shuffle_run_clear (&b);
}

/* ------------------------------------------------------------------------ */
/* BkServiceFactoryTester                                                   */
/* ------------------------------------------------------------------------ */

/* The subject: a plugin-scoped service that remembers its plugin id, its root
 * context and, when it depends on `a` or the root config, what it got. */
static GObject *
create_subject (BkDeps    *deps,
                gpointer   root_context,
                gpointer   user_data,
                GError   **error)
{
  BkPluginMetadata *metadata = bk_deps_get (deps, BK_SERVICE_PLUGIN_METADATA);
  GObject *object = g_object_new (G_TYPE_OBJECT, NULL);

  g_object_set_data_full (object, "plugin-id", g_strdup (bk_plugin_metadata_get_id (metadata)), g_free);
  if (root_context != NULL)
    g_object_set_data_full (object, "root-context", g_strdup (root_context), g_free);
  return object;
}

static gpointer
subject_root_context (BkDeps    *root_deps,
                      gpointer   user_data,
                      GError   **error)
{
  guint *n_contexts = user_data;

  return g_strdup_printf ("context-%u", ++*n_contexts);
}

static BkServiceFactory *
subject_factory_new (guint *n_contexts)
{
  BkServiceFactory *factory;

  factory = bk_service_factory_new (ref_subject (), create_subject, NULL, NULL,
                                    BK_SERVICE_PLUGIN_METADATA, NULL);
  if (n_contexts != NULL)
    bk_service_factory_set_root_context (factory, subject_root_context, n_contexts, NULL, g_free);
  return factory;
}

static void
test_testkit_tester_default_plugin (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  GObject *subject;
  GObject *subject_test;

  g_test_summary ("get_subject with a NULL plugin id makes the subject for plugin 'test'");

  tester = bk_service_factory_tester_new (subject_factory_new (NULL), NULL);
  subject = bk_service_factory_tester_get_subject (tester, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (G_IS_OBJECT (subject));
  g_assert_cmpstr (g_object_get_data (subject, "plugin-id"), ==, "test");

  subject_test = bk_service_factory_tester_get_subject (tester, "test", &error);
  g_assert_no_error (error);
  g_assert_true (subject_test == subject);
}

static void
test_testkit_tester_per_plugin (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  GObject *one, *one_again, *two;

  g_test_summary ("The subject is made once per plugin id");

  tester = bk_service_factory_tester_new (subject_factory_new (NULL), NULL);
  one = bk_service_factory_tester_get_subject (tester, "one", &error);
  g_assert_no_error (error);
  one_again = bk_service_factory_tester_get_subject (tester, "one", &error);
  g_assert_no_error (error);
  two = bk_service_factory_tester_get_subject (tester, "two", &error);
  g_assert_no_error (error);

  g_assert_true (one == one_again);
  g_assert_true (one != two);
  g_assert_cmpstr (g_object_get_data (one, "plugin-id"), ==, "one");
  g_assert_cmpstr (g_object_get_data (two, "plugin-id"), ==, "two");
}

static void
test_testkit_tester_root_context (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkServiceFactoryTester) first = NULL;
  g_autoptr(BkServiceFactoryTester) second = NULL;
  guint n_contexts = 0;
  GObject *one, *two, *other;

  g_test_summary ("A tester makes the subject's root context once for all "
                  "its plugins; a new tester makes a new one");

  first = bk_service_factory_tester_new (subject_factory_new (&n_contexts), NULL);
  one = bk_service_factory_tester_get_subject (first, "one", &error);
  g_assert_no_error (error);
  two = bk_service_factory_tester_get_subject (first, "two", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n_contexts, ==, 1);
  g_assert_cmpstr (g_object_get_data (one, "root-context"), ==, "context-1");
  g_assert_cmpstr (g_object_get_data (two, "root-context"), ==, "context-1");

  second = bk_service_factory_tester_new (subject_factory_new (&n_contexts), NULL);
  other = bk_service_factory_tester_get_subject (second, "one", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n_contexts, ==, 2);
  g_assert_cmpstr (g_object_get_data (other, "root-context"), ==, "context-2");
  g_assert_true (other != one);
}

/* A subject that depends on `a` (no default) and on the root config. */
static GObject *
create_dependent (BkDeps    *deps,
                  gpointer   root_context,
                  gpointer   user_data,
                  GError   **error)
{
  GObject *a = bk_deps_get (deps, ref_a ());
  BkRootConfig *root_config = bk_deps_get (deps, BK_SERVICE_ROOT_CONFIG);
  g_autoptr(BkConfig) config = bk_root_config_dup_config (root_config);
  GObject *object = g_object_new (G_TYPE_OBJECT, NULL);
  gint64 value = 0;

  if (!bk_config_get_optional_int (config, "a", -1, &value, error))
    {
      g_object_unref (object);
      return NULL;
    }
  g_object_set_data (object, "config-a", GINT_TO_POINTER ((int) value));
  g_object_set_data_full (object, "a", g_object_ref (a), g_object_unref);
  return object;
}

static GObject *
create_a (BkDeps    *deps,
          gpointer   root_context,
          gpointer   user_data,
          GError   **error)
{
  GObject *object = g_object_new (G_TYPE_OBJECT, NULL);

  g_object_set_data (object, "made-by", (gpointer) "override");
  return object;
}

static void
test_testkit_tester_override (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  GObject *subject;
  GObject *a;

  g_test_summary ("An override replaces the factory the tester would use for a "
                  "dependency: a core mock, or a ref with no default");

  tester = bk_service_factory_tester_new (bk_service_factory_new (ref_subject (), create_dependent, NULL, NULL,
                                                                  ref_a (), BK_SERVICE_ROOT_CONFIG, NULL),
                                          bk_mock_root_config_factory_new ("{\"a\":1}"),
                                          bk_service_factory_new (ref_a (), create_a, NULL, NULL, NULL),
                                          NULL);
  subject = bk_service_factory_tester_get_subject (tester, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (GPOINTER_TO_INT (g_object_get_data (subject, "config-a")), ==, 1);

  a = g_object_get_data (subject, "a");
  g_assert_cmpstr (g_object_get_data (a, "made-by"), ==, "override");
  g_assert_true (bk_service_factory_tester_get_service (tester, ref_a (), NULL, &error) == a);
  g_assert_no_error (error);
}

static void
test_testkit_tester_override_v (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  g_autoptr(BkServiceFactory) subject_factory = NULL;
  BkServiceFactory *overrides[2];
  GObject *subject;

  g_test_summary ("new_v takes the overrides in an array, without taking "
                  "ownership (as bk_backend_new_specialized_v)");

  subject_factory = bk_service_factory_new (ref_subject (), create_dependent, NULL, NULL,
                                            ref_a (), BK_SERVICE_ROOT_CONFIG, NULL);
  overrides[0] = bk_service_factory_new (ref_a (), create_a, NULL, NULL, NULL);
  overrides[1] = bk_mock_root_config_factory_new ("{\"a\":7}");
  tester = bk_service_factory_tester_new_v (subject_factory, overrides, G_N_ELEMENTS (overrides));
  subject = bk_service_factory_tester_get_subject (tester, "p", &error);
  g_assert_no_error (error);
  g_assert_cmpint (GPOINTER_TO_INT (g_object_get_data (subject, "config-a")), ==, 7);

  g_clear_object (&tester);
  g_assert_finalize_object (g_steal_pointer (&subject_factory));
  g_assert_finalize_object (overrides[0]);
  g_assert_finalize_object (overrides[1]);
}

static GObject *
create_b (BkDeps    *deps,
          gpointer   root_context,
          gpointer   user_data,
          GError   **error)
{
  return g_object_new (G_TYPE_OBJECT, NULL);
}

static void
test_testkit_tester_missing_dependency (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  gpointer subject;

  g_test_summary ("A dependency with no factory and no default fails get_subject "
                  "with Backstage's message");

  tester = bk_service_factory_tester_new (bk_service_factory_new (ref_b (), create_b, NULL, NULL,
                                                                  ref_a (), NULL),
                                          NULL);
  subject = bk_service_factory_tester_get_subject (tester, "x", &error);
  g_assert_null (subject);
  g_assert_error (error, BK_BACKEND_ERROR, BK_BACKEND_ERROR_MISSING_DEPENDENCY);
  g_assert_cmpstr (error->message, ==,
                   "Failed to instantiate service 'b' for 'x' because the following "
                   "dependent services are missing: 'a'");
}

static GObject *
create_logging_subject (BkDeps    *deps,
                        gpointer   root_context,
                        gpointer   user_data,
                        GError   **error)
{
  bk_logger_info (bk_deps_get (deps, BK_SERVICE_LOGGER), "subject created");
  return g_object_new (G_TYPE_OBJECT, NULL);
}

static void
test_testkit_tester_core_mock (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  BkMockLogger *root_logger;
  BkMockLogger *logger;
  BkRootConfig *root_config;

  g_test_summary ("get_service gives the tester's core mocks, which the subject used");

  tester = bk_service_factory_tester_new (bk_service_factory_new (ref_subject (), create_logging_subject, NULL, NULL,
                                                                  BK_SERVICE_LOGGER, NULL),
                                          NULL);
  g_assert_nonnull (bk_service_factory_tester_get_subject (tester, NULL, &error));
  g_assert_no_error (error);

  root_logger = bk_service_factory_tester_get_service (tester, BK_SERVICE_ROOT_LOGGER, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (BK_IS_MOCK_LOGGER (root_logger));
  g_assert_cmpuint (bk_mock_logger_count (root_logger, BK_LOG_LEVEL_INFO, "subject created"), ==, 1);

  logger = bk_service_factory_tester_get_service (tester, BK_SERVICE_LOGGER, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (BK_IS_MOCK_LOGGER (logger));
  g_assert_true (logger != root_logger);

  root_config = bk_service_factory_tester_get_service (tester, BK_SERVICE_ROOT_CONFIG, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (BK_IS_ROOT_CONFIG (root_config));
}

static void
test_testkit_tester_ownership (void)
{
  g_autoptr(GError) error = NULL;
  BkServiceFactoryTester *tester;
  BkServiceFactory *subject_factory = subject_factory_new (NULL);
  BkServiceFactory *override = bk_mock_root_config_factory_new (NULL);
  gpointer weak_subject_factory = subject_factory;
  gpointer weak_override = override;
  gpointer weak_subject;

  g_test_summary ("A tester owns its factories and what it made: all die with it");

  g_object_add_weak_pointer (G_OBJECT (subject_factory), &weak_subject_factory);
  g_object_add_weak_pointer (G_OBJECT (override), &weak_override);

  tester = bk_service_factory_tester_new (subject_factory, override, NULL);
  weak_subject = bk_service_factory_tester_get_subject (tester, NULL, &error);
  g_assert_no_error (error);
  g_object_add_weak_pointer (weak_subject, &weak_subject);

  g_assert_finalize_object (tester);
  g_assert_null (weak_subject);
  g_assert_null (weak_subject_factory);
  g_assert_null (weak_override);
}

/* ------------------------------------------------------------------------ */
/* BkTestDatabases                                                          */
/* ------------------------------------------------------------------------ */

static gboolean
database_probe_init (BkDeps   *deps,
                     gpointer  user_data,
                     GError  **error)
{
  *(BkDatabase **) user_data = bk_deps_get (deps, BK_SERVICE_DATABASE);
  return TRUE;
}

static void
database_probe_register (BkPluginEnv *env,
                         gpointer     user_data)
{
  bk_plugin_env_register_init (env, database_probe_init, user_data, NULL, BK_SERVICE_DATABASE, NULL);
}

/* Starts a backend with `backend.database: <database>` and a plugin whose
 * database goes to *@db. */
static BkTestBackend *
start_database_backend (const char  *database,
                        BkDatabase **db)
{
  g_autofree char *json = g_strdup_printf ("{\"backend\":{\"database\":%s}}", database);
  g_autoptr(GError) error = NULL;
  BkTestBackend *backend;

  backend = bk_test_backend_start (&error, bk_mock_root_config_factory_new (json),
                                   bk_plugin_new ("probe", database_probe_register, db, NULL), NULL);
  g_assert_no_error (error);
  return backend;
}

static void
stop_database_backend (BkTestBackend *backend)
{
  g_autoptr(GError) error = NULL;

  bk_test_backend_stop (backend, &error);
  g_assert_no_error (error);
  g_object_unref (backend);
}

/* Whether @db has the table `marker`. */
static gboolean
has_marker (BkDatabase *db)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkDatabaseResult) result = bk_database_query_sync (db, "SELECT COUNT(*) AS n FROM marker",
                                                               NULL, NULL, &error);

  if (result == NULL)
    g_assert_error (error, BK_DATABASE_ERROR, BK_DATABASE_ERROR_FAILED);
  return result != NULL;
}

/* The body that bk_test_databases_add_test() runs once per engine: under
 * its engine's path, with a config for that engine, whose database is
 * empty and is not the next call's. */
static void
test_testkit_databases_each (BkDatabaseEngine  engine,
                             const char       *database,
                             gconstpointer     data)
{
  const char *name = bk_test_databases_get_engine_name (engine);
  g_autofree char *suffix = g_strconcat ("/", name, NULL);
  g_autofree char *next = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(BkDatabaseResult) created = NULL;
  g_autoptr(GError) error = NULL;
  BkTestBackend *backend;
  BkDatabase *db = NULL;
  JsonObject *config;

  g_assert_cmpstr (data, ==, "the data");
  g_assert_true (g_str_has_suffix (g_test_get_path (), suffix));
  if (g_test_subprocess ())   /* for /testkit/databases/add-test */
    g_print ("the body ran on %s\n", name);

  node = json_from_string (database, &error);
  g_assert_no_error (error);
  config = json_node_get_object (node);
  if (engine == BK_DATABASE_ENGINE_SQLITE)
    g_assert_cmpstr (database, ==, "{\"client\":\"better-sqlite3\",\"connection\":\":memory:\"}");
  else
    {
      g_assert_cmpstr (json_object_get_string_member (config, "client"), ==, "pg");
      g_assert_cmpstr (json_object_get_string_member (config, "pluginDivisionMode"), ==, "schema");
      g_assert_nonnull (strstr (json_object_get_string_member (config, "connection"), " dbname=bk_test_"));
    }

  /* Empty; a table made in it… */
  backend = start_database_backend (database, &db);
  g_assert_cmpint (bk_database_get_engine (db), ==, engine);
  g_assert_false (has_marker (db));
  created = bk_database_query_sync (db, "CREATE TABLE marker (id INTEGER)", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (has_marker (db));
  stop_database_backend (backend);

  /* …is not in the next call's database… */
  next = bk_test_databases_dup_config (engine, &error);
  g_assert_no_error (error);
  if (engine == BK_DATABASE_ENGINE_POSTGRESQL)
    g_assert_cmpstr (next, !=, database);
  backend = start_database_backend (next, &db);
  g_assert_false (has_marker (db));
  stop_database_backend (backend);

  /* …and stays in its own on PostgreSQL (SQLite in memory ends with its
   * backend). */
  backend = start_database_backend (database, &db);
  g_assert_cmpint (has_marker (db), ==, engine == BK_DATABASE_ENGINE_POSTGRESQL);
  stop_database_backend (backend);
}

static void
test_testkit_databases_add_test (void)
{
  g_test_summary ("bk_test_databases_add_test registers its body as <path>/sqlite and "
                  "<path>/postgresql, and both run");

  for (BkDatabaseEngine engine = BK_DATABASE_ENGINE_SQLITE; engine <= BK_DATABASE_ENGINE_POSTGRESQL; engine++)
    {
      const char *name = bk_test_databases_get_engine_name (engine);
      g_autofree char *path = g_strconcat ("/testkit/databases/each/", name, NULL);
      g_autofree char *ran = g_strconcat ("*the body ran on ", name, "*", NULL);

      g_test_trap_subprocess (path, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      g_test_trap_assert_stdout (ran);
    }
}

/* ------------------------------------------------------------------------ */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/testkit/directory/round-trip", test_testkit_directory_round_trip);
  g_test_add_func ("/testkit/directory/empty", test_testkit_directory_empty);
  g_test_add_func ("/testkit/directory/nested", test_testkit_directory_nested);
  g_test_add_func ("/testkit/directory/path-keys", test_testkit_directory_path_keys);
  g_test_add_func ("/testkit/directory/component-output", test_testkit_directory_component_output);
  for (guint i = 0; i < G_N_ELEMENTS (refused_key_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/testkit/directory/refused-key/%s", refused_key_cases[i].name);

      g_test_add_data_func_full (path, (gpointer) &refused_key_cases[i], test_testkit_directory_refused_key, NULL);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_description_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/testkit/directory/bad-description/%s",
                                               bad_description_cases[i].name);

      g_test_add_data_func_full (path, (gpointer) &bad_description_cases[i],
                                 test_testkit_directory_bad_description, NULL);
    }
  g_test_add_func ("/testkit/directory/remove", test_testkit_directory_remove);
  g_test_add_func ("/testkit/directory/remove/elsewhere", test_testkit_directory_removed_elsewhere);
  g_test_add_func ("/testkit/directory/finalize", test_testkit_directory_finalize);
  g_test_add_func ("/testkit/directory/resolve", test_testkit_directory_resolve);

  g_test_add_func ("/testkit/backend/mock-defaults", test_testkit_backend_mock_defaults);
  g_test_add_func ("/testkit/backend/override-default", test_testkit_backend_override_default);
  g_test_add_func ("/testkit/backend/failed-start", test_testkit_backend_failed_start);
  g_test_add_func ("/testkit/backend/module-alone", test_testkit_backend_module_alone);
  g_test_add_func ("/testkit/backend/extension-point", test_testkit_backend_extension_point);
  g_test_add_func ("/testkit/backend/get-service", test_testkit_backend_get_service);
  g_test_add_func ("/testkit/leak-check/leak", test_testkit_leak_check_leak);
  g_test_add_func ("/testkit/leak-check/clean", test_testkit_leak_check_clean);
  g_test_add_func ("/testkit/shuffle/order", test_testkit_shuffle_order);
  g_test_add_func ("/testkit/shuffle/seed", test_testkit_shuffle_seed);

  g_test_add_func ("/testkit/tester/default-plugin", test_testkit_tester_default_plugin);
  g_test_add_func ("/testkit/tester/per-plugin", test_testkit_tester_per_plugin);
  g_test_add_func ("/testkit/tester/root-context", test_testkit_tester_root_context);
  g_test_add_func ("/testkit/tester/override", test_testkit_tester_override);
  g_test_add_func ("/testkit/tester/override-v", test_testkit_tester_override_v);
  g_test_add_func ("/testkit/tester/missing-dependency", test_testkit_tester_missing_dependency);
  g_test_add_func ("/testkit/tester/core-mock", test_testkit_tester_core_mock);
  g_test_add_func ("/testkit/tester/ownership", test_testkit_tester_ownership);

  bk_test_databases_add_test ("/testkit/databases/each", "the data", test_testkit_databases_each);
  g_test_add_func ("/testkit/databases/add-test", test_testkit_databases_add_test);

  return g_test_run ();
}
