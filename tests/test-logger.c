/* test-logger.c: the default core.rootLogger and core.logger, the GLib log
 * writer, and the capturing mock logger.
 *
 * The default root logger writes to a file descriptor chosen by the test
 * (bk-logger-private.h): a pipe the test reads back, a pseudo-terminal, or
 * fd 2 in a subprocess whose stderr the parent checks. Nothing sleeps.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <libbackend.h>
#include <libbackend-test-utils.h>

#include "bk-logger-private.h"

#define TIMESTAMP_RE "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z"

/* Helpers ------------------------------------------------------------------ */

static BkRootConfig *
root_config_new (const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkConfig) config = bk_config_new_from_json (json != NULL ? json : "{}",
                                                        "test-config", &error);

  g_assert_no_error (error);
  return BK_ROOT_CONFIG (bk_static_root_config_new (config));
}

/* A pipe the logger writes to and the test reads back. Records are written
 * with one write() each, so they are in the pipe when the log call returns. */
typedef struct
{
  int fds[2];
} Capture;

static Capture *
capture_new (void)
{
  g_autoptr(GError) error = NULL;
  Capture *capture = g_new0 (Capture, 1);

  g_unix_open_pipe (capture->fds, FD_CLOEXEC, &error);
  g_assert_no_error (error);
  g_unix_set_fd_nonblocking (capture->fds[0], TRUE, &error);
  g_assert_no_error (error);

  return capture;
}

static void
capture_free (Capture *capture)
{
  close (capture->fds[0]);
  close (capture->fds[1]);
  g_free (capture);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Capture, capture_free)

static int
capture_fd (Capture *capture)
{
  return capture->fds[1];
}

/* Everything written so far. */
static char *
capture_read (Capture *capture)
{
  GString *out = g_string_new (NULL);
  char buf[4096];

  for (;;)
    {
      gssize n = read (capture->fds[0], buf, sizeof buf);

      if (n > 0)
        g_string_append_len (out, buf, n);
      else if (n < 0 && errno == EINTR)
        continue;
      else
        break;
    }

  return g_string_free (out, FALSE);
}

/* The lines written so far, without their newlines. */
static GStrv
capture_read_lines (Capture *capture)
{
  g_autofree char *text = capture_read (capture);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  /* Every record ends with a newline: the last piece is empty. */
  g_assert_true (text[0] == '\0' || g_str_has_suffix (text, "\n"));
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i][0] != '\0')
        g_strv_builder_add (builder, lines[i]);
    }

  return g_strv_builder_end (builder);
}

static BkLogger *
logger_new_full (const char      *json,
                 int              fd,
                 GLogWriterFunc   journald_writer,
                 gpointer         journald_data)
{
  g_autoptr(BkRootConfig) root_config = root_config_new (json);
  g_autoptr(GError) error = NULL;
  BkLogger *logger;

  logger = _bk_root_logger_new (root_config, fd, journald_writer, journald_data, &error);
  g_assert_no_error (error);
  g_assert_true (BK_IS_LOGGER (logger));

  return logger;
}

static BkLogger *
logger_new (const char *json,
            Capture    *capture)
{
  return logger_new_full (json, capture_fd (capture), NULL, NULL);
}

static void
assert_logger_error (const char *json,
                     const char *expected_message)
{
  g_autoptr(BkRootConfig) root_config = root_config_new (json);
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BkLogger) logger = NULL;

  logger = _bk_root_logger_new (root_config, capture_fd (capture), NULL, NULL, &error);
  g_assert_null (logger);
  g_assert_nonnull (error);
  g_assert_true (error->domain == BK_CONFIG_ERROR);
  /* @expected_message may end with '*' where the config's own wording
   * follows. */
  if (!g_pattern_match_simple (expected_message, error->message))
    g_assert_cmpstr (error->message, ==, expected_message);
}

static JsonObject *
parse_json_line (const char *line)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, line, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));

  return json_object_ref (json_node_get_object (root));
}

static GHashTable *
fields_new (const char *first_key,
            ...) G_GNUC_NULL_TERMINATED;

static GHashTable *
fields_new (const char *first_key,
            ...)
{
  GHashTable *fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  va_list args;

  va_start (args, first_key);
  for (const char *key = first_key; key != NULL; key = va_arg (args, const char *))
    g_hash_table_insert (fields, g_strdup (key), g_strdup (va_arg (args, const char *)));
  va_end (args);

  return fields;
}

/* Messages of the JSON lines written so far, joined with '|'. */
static char *
capture_read_messages (Capture *capture)
{
  g_auto(GStrv) lines = capture_read_lines (capture);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) messages = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonObject) object = parse_json_line (lines[i]);

      g_strv_builder_add (builder, json_object_get_string_member (object, "message"));
    }

  messages = g_strv_builder_end (builder);
  return g_strjoinv ("|", messages);
}

/* Formats ------------------------------------------------------------------ */

static void
test_logger_json_record (void)
{
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkLogger) root = logger_new ("{\"backend\":{\"logger\":{\"format\":\"json\"}}}", capture);
  g_autoptr(BkLogger) child = bk_logger_child_with (root, "plugin", "catalog", "task", "refresh", NULL);
  g_autoptr(GHashTable) fields = fields_new ("entity", "component:default/a", "task", "stitch", NULL);
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonObject) object = NULL;

  bk_logger_log (child, BK_LOG_LEVEL_WARN, fields, "Refreshed 3 entities");

  lines = capture_read_lines (capture);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  object = parse_json_line (lines[0]);

  g_assert_true (g_regex_match_simple ("^" TIMESTAMP_RE "$",
                                       json_object_get_string_member (object, "timestamp"), 0, 0));
  g_assert_cmpstr (json_object_get_string_member (object, "level"), ==, "warn");
  g_assert_cmpstr (json_object_get_string_member (object, "message"), ==, "Refreshed 3 entities");
  g_assert_cmpstr (json_object_get_string_member (object, "plugin"), ==, "catalog");
  g_assert_cmpstr (json_object_get_string_member (object, "entity"), ==, "component:default/a");
  /* The record's field wins over the logger's. */
  g_assert_cmpstr (json_object_get_string_member (object, "task"), ==, "stitch");
  g_assert_cmpuint (json_object_get_size (object), ==, 6);

  /* timestamp, level, message first, then the fields sorted by name. */
  g_assert_true (g_str_has_prefix (lines[0], "{\"timestamp\":\""));
  g_assert_nonnull (strstr (lines[0], "\",\"level\":\"warn\",\"message\":\"Refreshed 3 entities\","
                                      "\"entity\":\"component:default/a\",\"plugin\":\"catalog\","
                                      "\"task\":\"stitch\"}"));
}

static void
test_logger_json_escaping (void)
{
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkLogger) root = logger_new (NULL, capture);
  g_autoptr(GHashTable) fields = fields_new ("quote\"key", "back\\slash",
                                             "message", "a field named message",
                                             "level", "a field named level",
                                             NULL);
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;

  bk_logger_log (root, BK_LOG_LEVEL_INFO, fields, "line one\nline \"two\"\t\x01 é");
  bk_logger_info (root, "bad utf-8 \xff here");

  /* One line per record, each valid JSON. */
  lines = capture_read_lines (capture);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);

  first = parse_json_line (lines[0]);
  g_assert_cmpstr (json_object_get_string_member (first, "message"), ==, "line one\nline \"two\"\t\x01 é");
  g_assert_cmpstr (json_object_get_string_member (first, "quote\"key"), ==, "back\\slash");
  /* Fields may not replace the record's own members. */
  g_assert_cmpstr (json_object_get_string_member (first, "level"), ==, "info");
  g_assert_cmpstr (json_object_get_string_member (first, "_level"), ==, "a field named level");
  g_assert_cmpstr (json_object_get_string_member (first, "_message"), ==, "a field named message");

  second = parse_json_line (lines[1]);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (second, "message"), "bad utf-8 "));
  g_assert_true (g_str_has_suffix (json_object_get_string_member (second, "message"), " here"));
}

/* Not a terminal and no format configured: JSON. */
static void
test_logger_format_auto_pipe (void)
{
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkLogger) root = logger_new ("{\"backend\":{\"logger\":{\"format\":\"auto\"}}}", capture);
  g_autofree char *text = NULL;

  bk_logger_info (root, "hello");
  text = capture_read (capture);
  g_assert_true (g_str_has_prefix (text, "{\"timestamp\":"));
}

static void
test_logger_format_pretty (void)
{
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkLogger) root = logger_new ("{\"backend\":{\"logger\":{\"format\":\"pretty\"}}}", capture);
  g_autoptr(BkLogger) child = bk_logger_child_with (root, "plugin", "catalog", NULL);
  g_autoptr(BkLogger) with_service = bk_logger_child_with (child, "service", "svc", NULL);
  g_autoptr(BkLogger) service_only = bk_logger_child_with (root, "service", "svc", NULL);
  g_autoptr(GHashTable) fields = fields_new ("b", "two words", "a", "1", NULL);
  g_auto(GStrv) lines = NULL;

  bk_logger_log (child, BK_LOG_LEVEL_INFO, fields, "Hello\nworld");
  bk_logger_error (root, "Root failure");
  bk_logger_warn (with_service, "Both");
  bk_logger_debug (service_only, "Dropped");
  bk_logger_warn (service_only, "Service only");

  lines = capture_read_lines (capture);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);

  /* <timestamp> <plugin> <level> <message> <fields sorted>, no colours on a
   * pipe, control characters escaped so a record stays on one line. */
  g_assert_true (g_regex_match_simple ("^" TIMESTAMP_RE " catalog info Hello\\\\nworld a=1 b=\"two words\"$",
                                       lines[0], 0, 0));
  g_assert_true (g_regex_match_simple ("^" TIMESTAMP_RE " backend error Root failure$",
                                       lines[1], 0, 0));
  /* The prefix is the plugin, else the service; the other stays a field. */
  g_assert_true (g_regex_match_simple ("^" TIMESTAMP_RE " catalog warn Both service=svc$",
                                       lines[2], 0, 0));
  g_assert_true (g_regex_match_simple ("^" TIMESTAMP_RE " svc warn Service only$",
                                       lines[3], 0, 0));
  g_assert_null (strchr (lines[0], '\033'));
}

/* Opens a pseudo-terminal: *master for reading what is written to *slave. */
static gboolean
open_pty (int *master,
          int *slave)
{
  const char *name;

  *master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*master < 0)
    return FALSE;
  if (grantpt (*master) != 0 || unlockpt (*master) != 0 || (name = ptsname (*master)) == NULL)
    {
      close (*master);
      return FALSE;
    }
  *slave = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*slave < 0)
    {
      close (*master);
      return FALSE;
    }

  return TRUE;
}

/* Reads from the pty's master until a whole line came (poll, no sleep). */
static char *
read_pty_line (int master)
{
  GString *out = g_string_new (NULL);

  while (strchr (out->str, '\n') == NULL)
    {
      struct pollfd pfd = { master, POLLIN, 0 };
      char buf[1024];
      gssize n;
      int ready = poll (&pfd, 1, 10000);

      if (ready < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (ready, ==, 1);
      n = read (master, buf, sizeof buf);
      g_assert_cmpint (n, >, 0);
      g_string_append_len (out, buf, n);
    }

  return g_string_free (out, FALSE);
}

static char *
log_to_pty (const char *json)
{
  g_autoptr(BkLogger) root = NULL;
  char *line;
  int master, slave;

  if (!open_pty (&master, &slave))
    return NULL;

  root = logger_new_full (json, slave, NULL, NULL);
  bk_logger_warn (root, "On a terminal");
  line = read_pty_line (master);

  g_clear_object (&root);
  close (slave);
  close (master);

  return line;
}

static void
test_logger_format_terminal (void)
{
  g_autofree char *line = NULL;

  if (g_test_subprocess ())
    {
      g_unsetenv ("NO_COLOR");
      g_setenv ("TERM", "xterm", TRUE);
      line = log_to_pty (NULL);
      if (line == NULL)
        return;

      /* Readable and coloured: a dim timestamp, a blue prefix, a yellow level. */
      g_assert_true (g_str_has_prefix (line, "\033[2m"));
      g_assert_nonnull (strstr (line, "\033[34mbackend\033[0m \033[33mwarn\033[0m On a terminal"));
      g_assert_true (g_regex_match_simple ("^\033\\[2m" TIMESTAMP_RE "\033\\[0m ", line, 0, 0));
      return;
    }

  {
    int master, slave;

    if (!open_pty (&master, &slave))
      {
        g_test_skip ("No pseudo-terminal available");
        return;
      }
    close (slave);
    close (master);
  }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_logger_format_terminal_no_color (void)
{
  g_autofree char *line = NULL;

  if (g_test_subprocess ())
    {
      g_setenv ("NO_COLOR", "1", TRUE);
      line = log_to_pty (NULL);
      if (line == NULL)
        return;

      g_assert_null (strchr (line, '\033'));
      g_assert_true (g_regex_match_simple ("^" TIMESTAMP_RE " backend warn On a terminal\r?\n$", line, 0, 0));
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* `format: json` wins over a terminal. */
static void
test_logger_format_json_on_terminal (void)
{
  g_autofree char *line = log_to_pty ("{\"backend\":{\"logger\":{\"format\":\"json\"}}}");

  if (line == NULL)
    {
      g_test_skip ("No pseudo-terminal available");
      return;
    }

  g_assert_true (g_str_has_prefix (line, "{\"timestamp\":"));
  g_assert_nonnull (strstr (line, "\"message\":\"On a terminal\"}"));
}

static void
test_logger_format_invalid (void)
{
  assert_logger_error ("{\"backend\":{\"logger\":{\"format\":\"xml\"}}}",
                       "Invalid value in config for key 'backend.logger.format' in 'test-config', "
                       "got 'xml', wanted one of auto, json, pretty");
}

/* The journald format, through the writer seam: each record is one call
 * with journald fields. */
typedef struct
{
  GPtrArray *records;   /* (element-type GHashTable) field name → value */
  GPtrArray *levels;    /* GLogLevelFlags as pointers */
} JournalCapture;

static GLogWriterOutput
journal_writer (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  JournalCapture *journal = user_data;
  GHashTable *record = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (gsize i = 0; i < n_fields; i++)
    {
      g_assert_false (g_hash_table_contains (record, fields[i].key));
      g_assert_cmpint (fields[i].length, ==, -1);
      g_hash_table_insert (record, g_strdup (fields[i].key), g_strdup (fields[i].value));
    }

  g_ptr_array_add (journal->records, record);
  g_ptr_array_add (journal->levels, GUINT_TO_POINTER (log_level));

  return G_LOG_WRITER_HANDLED;
}

static void
test_logger_format_journald (void)
{
  JournalCapture journal = {
    g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref),
    g_ptr_array_new (),
  };
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkLogger) root = logger_new_full (NULL, capture_fd (capture), journal_writer, &journal);
  g_autoptr(BkLogger) child = bk_logger_child_with (root, "plugin", "catalog", NULL);
  g_autoptr(GHashTable) fields = fields_new ("http.method", "GET",
                                             "requestId", "r-1",
                                             "message", "clash",
                                             "_private", "p",
                                             "1st", "first",
                                             NULL);
  g_autofree char *written = NULL;
  GHashTable *record;

  bk_logger_log (child, BK_LOG_LEVEL_INFO, fields, "Handled request");
  bk_logger_error (root, "Broken");
  bk_logger_debug (root, "Dropped at the default level");

  g_assert_cmpuint (journal.records->len, ==, 2);

  record = g_ptr_array_index (journal.records, 0);
  g_assert_cmpstr (g_hash_table_lookup (record, "MESSAGE"), ==, "Handled request");
  g_assert_cmpstr (g_hash_table_lookup (record, "PRIORITY"), ==, "6");
  g_assert_cmpstr (g_hash_table_lookup (record, "PLUGIN"), ==, "catalog");
  g_assert_cmpstr (g_hash_table_lookup (record, "HTTP_METHOD"), ==, "GET");
  g_assert_cmpstr (g_hash_table_lookup (record, "REQUESTID"), ==, "r-1");
  g_assert_cmpstr (g_hash_table_lookup (record, "FIELD_MESSAGE"), ==, "clash");
  g_assert_cmpstr (g_hash_table_lookup (record, "FIELD__PRIVATE"), ==, "p");
  g_assert_cmpstr (g_hash_table_lookup (record, "FIELD_1ST"), ==, "first");
  g_assert_cmpuint (GPOINTER_TO_UINT (g_ptr_array_index (journal.levels, 0)), ==, G_LOG_LEVEL_INFO);

  record = g_ptr_array_index (journal.records, 1);
  g_assert_cmpstr (g_hash_table_lookup (record, "MESSAGE"), ==, "Broken");
  g_assert_cmpstr (g_hash_table_lookup (record, "PRIORITY"), ==, "3");

  /* Nothing went to the file descriptor. */
  written = capture_read (capture);
  g_assert_cmpstr (written, ==, "");

  g_clear_object (&child);
  g_clear_object (&root);
  g_ptr_array_unref (journal.records);
  g_ptr_array_unref (journal.levels);
}

static GLogWriterOutput
journal_gone_writer (GLogLevelFlags   log_level,
                     const GLogField *fields,
                     gsize            n_fields,
                     gpointer         user_data)
{
  return G_LOG_WRITER_UNHANDLED;
}

/* When the journal refuses a record, it goes to the file descriptor. */
static void
test_logger_format_journald_fallback (void)
{
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkLogger) root = logger_new_full (NULL, capture_fd (capture), journal_gone_writer, NULL);
  g_autofree char *messages = NULL;

  bk_logger_info (root, "Still somewhere");
  messages = capture_read_messages (capture);
  g_assert_cmpstr (messages, ==, "Still somewhere");
}

/* Fields, children, the plugin logger ---------------------------------------- */

static void
test_logger_child_fields (void)
{
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkLogger) root = logger_new (NULL, capture);
  g_autoptr(BkLogger) child = bk_logger_child_with (root, "plugin", "catalog", "a", "1", NULL);
  g_autoptr(BkLogger) grandchild = bk_logger_child_with (child, "a", "2", "b", "3", NULL);
  g_autoptr(BkLogger) empty_child = bk_logger_child (root, NULL);
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonObject) from_root = NULL;
  g_autoptr(JsonObject) from_child = NULL;
  g_autoptr(JsonObject) from_grandchild = NULL;
  g_autoptr(JsonObject) from_empty = NULL;

  bk_logger_info (root, "root");
  bk_logger_info (child, "child");
  bk_logger_info (grandchild, "grandchild");
  bk_logger_info (empty_child, "empty");

  lines = capture_read_lines (capture);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);

  from_root = parse_json_line (lines[0]);
  g_assert_cmpuint (json_object_get_size (from_root), ==, 3);

  from_child = parse_json_line (lines[1]);
  g_assert_cmpstr (json_object_get_string_member (from_child, "plugin"), ==, "catalog");
  g_assert_cmpstr (json_object_get_string_member (from_child, "a"), ==, "1");
  g_assert_false (json_object_has_member (from_child, "b"));

  from_grandchild = parse_json_line (lines[2]);
  g_assert_cmpstr (json_object_get_string_member (from_grandchild, "plugin"), ==, "catalog");
  g_assert_cmpstr (json_object_get_string_member (from_grandchild, "a"), ==, "2");
  g_assert_cmpstr (json_object_get_string_member (from_grandchild, "b"), ==, "3");

  from_empty = parse_json_line (lines[3]);
  g_assert_cmpuint (json_object_get_size (from_empty), ==, 3);
}

/* A child outlives its root logger: they share what they write through. */
static void
test_logger_child_outlives_root (void)
{
  g_autoptr(Capture) capture = capture_new ();
  BkLogger *root = logger_new (NULL, capture);
  g_autoptr(BkLogger) child = bk_logger_child_with (root, "plugin", "late", NULL);
  g_autofree char *messages = NULL;

  g_assert_finalize_object (root);
  bk_logger_info (child, "still here");

  messages = capture_read_messages (capture);
  g_assert_cmpstr (messages, ==, "still here");
}

static Capture *factory_capture;

static GObject *
create_test_root_logger (BkDeps   *deps,
                         gpointer  root_context,
                         gpointer  user_data,
                         GError  **error)
{
  BkRootConfig *root_config = bk_deps_get (deps, BK_SERVICE_ROOT_CONFIG);

  return G_OBJECT (_bk_root_logger_new (root_config, capture_fd (factory_capture), NULL, NULL, error));
}

/* The default core.logger is the root logger's child with plugin=<id>. */
static void
test_logger_plugin_logger (void)
{
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_auto(GStrv) lines = NULL;
  BkLogger *logger;

  factory_capture = capture;
  tester = bk_service_factory_tester_new (bk_service_ref_create_default_factory (BK_SERVICE_LOGGER),
                                          bk_mock_root_config_factory_new (NULL),
                                          bk_service_factory_new (BK_SERVICE_ROOT_LOGGER,
                                                                  create_test_root_logger, NULL, NULL,
                                                                  BK_SERVICE_ROOT_CONFIG,
                                                                  NULL),
                                          NULL);

  logger = bk_service_factory_tester_get_subject (tester, "todo", &error);
  g_assert_no_error (error);
  g_assert_true (BK_IS_LOGGER (logger));

  bk_logger_info (logger, "Hello from todo");

  lines = capture_read_lines (capture);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  object = parse_json_line (lines[0]);
  g_assert_cmpstr (json_object_get_string_member (object, "plugin"), ==, "todo");
  g_assert_cmpstr (json_object_get_string_member (object, "message"), ==, "Hello from todo");

  g_clear_object (&tester);
  factory_capture = NULL;
}

/* The default root logger factory reads the root config: a bad value fails
 * the factory with the config error. */
static void
test_logger_default_factory_error (void)
{
  g_autoptr(BkServiceFactoryTester) tester = NULL;
  g_autoptr(GError) error = NULL;
  gpointer logger;

  tester = bk_service_factory_tester_new (bk_service_ref_create_default_factory (BK_SERVICE_ROOT_LOGGER),
                                          bk_mock_root_config_factory_new ("{\"backend\":{\"logger\":{\"level\":\"loud\"}}}"),
                                          NULL);

  logger = bk_service_factory_tester_get_subject (tester, NULL, &error);
  g_assert_null (logger);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message,
                            "Invalid value in config for key 'backend.logger.level' in 'mock-config', "
                            "got 'loud', wanted one of error, warn, info, debug"));
}

/* Levels ----------------------------------------------------------------- */

static void
log_every_level (BkLogger *logger)
{
  bk_logger_error (logger, "e");
  bk_logger_warn (logger, "w");
  bk_logger_info (logger, "i");
  bk_logger_debug (logger, "d");
}

typedef struct
{
  const char *json;
  const char *expected;
} LevelCase;

static const LevelCase level_cases[] = {
  { NULL, "e|w|i" },
  { "{\"backend\":{\"logger\":{\"level\":\"debug\"}}}", "e|w|i|d" },
  { "{\"backend\":{\"logger\":{\"level\":\"WARN\"}}}", "e|w" },
  { "{\"backend\":{\"logger\":{\"level\":\"error\"}}}", "e" },
  { "{\"backend\":{\"logger\":{\"level\":\"info\"}}}", "e|w|i" },
};

static void
test_logger_levels (gconstpointer data)
{
  const LevelCase *level_case = data;
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkLogger) root = logger_new (level_case->json, capture);
  g_autoptr(BkLogger) child = bk_logger_child_with (root, "plugin", "p", NULL);
  g_autofree char *messages = NULL;
  g_autofree char *expected = g_strdup_printf ("%s|%s", level_case->expected, level_case->expected);

  log_every_level (root);
  log_every_level (child);

  messages = capture_read_messages (capture);
  g_assert_cmpstr (messages, ==, expected);
}

/* LOG_LEVEL wins over backend.logger.level; in a subprocess, whose stderr
 * (a pipe to this process) the default output fd 2 goes to. */
static void
test_logger_level_env (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(BkLogger) root = NULL;

      g_setenv ("LOG_LEVEL", "debug", TRUE);
      root = logger_new_full ("{\"backend\":{\"logger\":{\"level\":\"error\"}}}", STDERR_FILENO, NULL, NULL);
      log_every_level (root);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("{\"timestamp\":\"*\",\"level\":\"error\",\"message\":\"e\"}\n"
                             "{\"timestamp\":\"*\",\"level\":\"warn\",\"message\":\"w\"}\n"
                             "{\"timestamp\":\"*\",\"level\":\"info\",\"message\":\"i\"}\n"
                             "{\"timestamp\":\"*\",\"level\":\"debug\",\"message\":\"d\"}\n");
}

static void
test_logger_level_env_quieter (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(BkLogger) root = NULL;

      g_setenv ("LOG_LEVEL", "Warn", TRUE);
      root = logger_new_full ("{\"backend\":{\"logger\":{\"level\":\"debug\"}}}", STDERR_FILENO, NULL, NULL);
      log_every_level (root);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*\"message\":\"e\"}\n*\"message\":\"w\"}\n");
  g_test_trap_assert_stderr_unmatched ("*\"message\":\"i\"*");
  g_test_trap_assert_stderr_unmatched ("*\"message\":\"d\"*");
}

static void
test_logger_level_env_invalid (void)
{
  if (g_test_subprocess ())
    {
      g_setenv ("LOG_LEVEL", "verbose", TRUE);
      assert_logger_error (NULL,
                           "Invalid value in environment variable LOG_LEVEL, got 'verbose', "
                           "wanted one of error, warn, info, debug");
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_logger_level_invalid (void)
{
  assert_logger_error ("{\"backend\":{\"logger\":{\"level\":\"loud\"}}}",
                       "Invalid value in config for key 'backend.logger.level' in 'test-config', "
                       "got 'loud', wanted one of error, warn, info, debug");
  assert_logger_error ("{\"backend\":{\"logger\":{\"level\":3}}}",
                       "Invalid type in config for key 'backend.logger.level' in 'test-config', "
                       "got number, wanted string");
}

/* Overrides -------------------------------------------------------------- */

static void
test_logger_overrides_plugin (void)
{
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkLogger) root = logger_new ("{\"backend\":{\"logger\":{\"level\":\"warn\",\"overrides\":["
                                         "{\"matchers\":{\"plugin\":\"catalog\"},\"level\":\"debug\"},"
                                         "{\"matchers\":{\"plugin\":\"noisy\"},\"level\":\"error\"}]}}}",
                                         capture);
  g_autoptr(BkLogger) catalog = bk_logger_child_with (root, "plugin", "catalog", NULL);
  g_autoptr(BkLogger) catalog_task = bk_logger_child_with (catalog, "task", "refresh", NULL);
  g_autoptr(BkLogger) noisy = bk_logger_child_with (root, "plugin", "noisy", NULL);
  g_autoptr(BkLogger) other = bk_logger_child_with (root, "plugin", "other", NULL);
  g_autofree char *messages = NULL;

  bk_logger_debug (catalog, "catalog debug");
  bk_logger_debug (catalog_task, "catalog task debug");
  bk_logger_warn (noisy, "noisy warn");
  bk_logger_error (noisy, "noisy error");
  bk_logger_info (other, "other info");
  bk_logger_warn (other, "other warn");
  bk_logger_info (root, "root info");
  bk_logger_warn (root, "root warn");

  messages = capture_read_messages (capture);
  g_assert_cmpstr (messages, ==, "catalog debug|catalog task debug|noisy error|other warn|root warn");
}

static void
test_logger_overrides_matchers (void)
{
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkLogger) root = logger_new ("{\"backend\":{\"logger\":{\"overrides\":["
                                         /* every matcher must match; an array is any of */
                                         "{\"matchers\":{\"plugin\":[\"a\",\"b\"],\"task\":\"t\"},\"level\":\"debug\"},"
                                         "{\"matchers\":{\"plugin\":[\"a\",\"b\"]},\"level\":\"error\"},"
                                         /* the first that matches decides */
                                         "{\"matchers\":{\"plugin\":\"b\"},\"level\":\"debug\"}]}}}",
                                         capture);
  g_autoptr(BkLogger) a = bk_logger_child_with (root, "plugin", "a", NULL);
  g_autoptr(BkLogger) b = bk_logger_child_with (root, "plugin", "b", NULL);
  g_autoptr(BkLogger) c = bk_logger_child_with (root, "plugin", "c", NULL);
  g_autoptr(GHashTable) task_t = fields_new ("task", "t", NULL);
  g_autoptr(GHashTable) task_u = fields_new ("task", "u", NULL);
  g_autoptr(GHashTable) plugin_a = fields_new ("plugin", "a", "task", "t", NULL);
  g_autofree char *messages = NULL;

  bk_logger_warn (a, "a warn");
  bk_logger_debug (b, "b debug");
  bk_logger_info (c, "c info");
  bk_logger_debug (c, "c debug");
  /* The record's own fields take part. */
  bk_logger_log (a, BK_LOG_LEVEL_DEBUG, task_t, "a task t debug");
  bk_logger_log (a, BK_LOG_LEVEL_WARN, task_u, "a task u warn");
  bk_logger_log (root, BK_LOG_LEVEL_DEBUG, plugin_a, "root as a, task t debug");
  bk_logger_error (b, "b error");

  messages = capture_read_messages (capture);
  g_assert_cmpstr (messages, ==, "c info|a task t debug|root as a, task t debug|b error");
}

/* is_enabled answers from the configured level and the most verbose
 * override, so it is never FALSE for a record that would be written; a
 * logger without the check (the mock) says TRUE. */
static void
test_logger_is_enabled (void)
{
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkLogger) warn = logger_new ("{\"backend\":{\"logger\":{\"level\":\"warn\"}}}", capture);
  g_autoptr(BkLogger) child = bk_logger_child_with (warn, "plugin", "a", NULL);
  g_autoptr(BkLogger) overridden = logger_new ("{\"backend\":{\"logger\":{\"level\":\"warn\",\"overrides\":["
                                               "{\"matchers\":{\"plugin\":\"a\"},\"level\":\"info\"}]}}}",
                                               capture);
  g_autoptr(BkMockLogger) mock = bk_mock_logger_new ();

  g_assert_true (bk_logger_is_enabled (warn, BK_LOG_LEVEL_ERROR));
  g_assert_true (bk_logger_is_enabled (warn, BK_LOG_LEVEL_WARN));
  g_assert_false (bk_logger_is_enabled (warn, BK_LOG_LEVEL_INFO));
  g_assert_false (bk_logger_is_enabled (warn, BK_LOG_LEVEL_DEBUG));
  g_assert_false (bk_logger_is_enabled (child, BK_LOG_LEVEL_INFO));
  g_assert_true (bk_logger_is_enabled (overridden, BK_LOG_LEVEL_INFO));
  g_assert_false (bk_logger_is_enabled (overridden, BK_LOG_LEVEL_DEBUG));
  g_assert_true (bk_logger_is_enabled (BK_LOGGER (mock), BK_LOG_LEVEL_DEBUG));
}

/* A logger that writes nothing below WARN and counts what reaches it. */
#define TEST_TYPE_QUIET_LOGGER (test_quiet_logger_get_type ())
G_DECLARE_FINAL_TYPE (TestQuietLogger, test_quiet_logger, TEST, QUIET_LOGGER, GObject)

struct _TestQuietLogger
{
  GObject parent_instance;
  guint   n_logged;
};

static void
test_quiet_logger_log (BkLogger   *logger,
                       BkLogLevel  level,
                       GHashTable *fields,
                       const char *message)
{
  TEST_QUIET_LOGGER (logger)->n_logged++;
}

static gboolean
test_quiet_logger_is_enabled (BkLogger   *logger,
                              BkLogLevel  level)
{
  return level <= BK_LOG_LEVEL_WARN;
}

static void
test_quiet_logger_iface_init (BkLoggerInterface *iface)
{
  iface->log = test_quiet_logger_log;
  iface->is_enabled = test_quiet_logger_is_enabled;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestQuietLogger, test_quiet_logger, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (BK_TYPE_LOGGER, test_quiet_logger_iface_init))

static void
test_quiet_logger_class_init (TestQuietLoggerClass *klass)
{
}

static void
test_quiet_logger_init (TestQuietLogger *self)
{
}

/* The printf-style helpers do not format (or log) a record at a level
 * is_enabled rules out. */
static void
test_logger_printf_skips_disabled (void)
{
  g_autoptr(TestQuietLogger) quiet = g_object_new (TEST_TYPE_QUIET_LOGGER, NULL);

  bk_logger_debug (BK_LOGGER (quiet), "dropped %d", 1);
  bk_logger_info (BK_LOGGER (quiet), "dropped %d", 2);
  g_assert_cmpuint (quiet->n_logged, ==, 0);
  bk_logger_warn (BK_LOGGER (quiet), "kept %d", 3);
  bk_logger_error (BK_LOGGER (quiet), "kept %d", 4);
  g_assert_cmpuint (quiet->n_logged, ==, 2);
}

/* An override with no matchers applies to every record. */
static void
test_logger_overrides_empty_matchers (void)
{
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkLogger) root = logger_new ("{\"backend\":{\"logger\":{\"overrides\":["
                                         "{\"matchers\":{},\"level\":\"debug\"}]}}}",
                                         capture);
  g_autofree char *messages = NULL;

  bk_logger_debug (root, "debug");
  messages = capture_read_messages (capture);
  g_assert_cmpstr (messages, ==, "debug");
}

static void
test_logger_overrides_invalid (void)
{
  assert_logger_error ("{\"backend\":{\"logger\":{\"overrides\":[{\"matchers\":{\"plugin\":3},\"level\":\"debug\"}]}}}",
                       "Invalid type in config for key 'backend.logger.overrides[0].matchers.plugin' "
                       "in 'test-config', got number, wanted string or array of strings");
  assert_logger_error ("{\"backend\":{\"logger\":{\"overrides\":[{\"matchers\":{},\"level\":\"debug\"},"
                       "{\"matchers\":{\"plugin\":[\"a\",true]},\"level\":\"debug\"}]}}}",
                       "Invalid type in config for key 'backend.logger.overrides[1].matchers.plugin[1]' "
                       "in 'test-config', got boolean, wanted string");
  assert_logger_error ("{\"backend\":{\"logger\":{\"overrides\":[{\"matchers\":{},\"level\":\"chatty\"}]}}}",
                       "Invalid value in config for key 'backend.logger.overrides[0].level' in 'test-config', "
                       "got 'chatty', wanted one of error, warn, info, debug");
  assert_logger_error ("{\"backend\":{\"logger\":{\"overrides\":[{\"level\":\"debug\"}]}}}",
                       "Missing required config value at 'backend.logger.overrides[0].matchers' in 'test-config'");
}

/* Meta -------------------------------------------------------------------- */

static void
test_logger_meta (void)
{
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkLogger) root = logger_new ("{\"backend\":{\"logger\":{\"meta\":"
                                         "{\"service\":\"todo-backend\",\"replica\":3,\"canary\":true,\"gone\":null}}}}",
                                         capture);
  g_autoptr(BkLogger) child = bk_logger_child_with (root, "plugin", "todo", "service", "mine", NULL);
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonObject) from_root = NULL;
  g_autoptr(JsonObject) from_child = NULL;

  bk_logger_info (root, "root");
  bk_logger_info (child, "child");

  lines = capture_read_lines (capture);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);

  from_root = parse_json_line (lines[0]);
  g_assert_cmpstr (json_object_get_string_member (from_root, "service"), ==, "todo-backend");
  g_assert_cmpstr (json_object_get_string_member (from_root, "replica"), ==, "3");
  g_assert_cmpstr (json_object_get_string_member (from_root, "canary"), ==, "true");
  g_assert_false (json_object_has_member (from_root, "gone"));

  from_child = parse_json_line (lines[1]);
  g_assert_cmpstr (json_object_get_string_member (from_child, "service"), ==, "mine");
  g_assert_cmpstr (json_object_get_string_member (from_child, "replica"), ==, "3");
  g_assert_cmpstr (json_object_get_string_member (from_child, "plugin"), ==, "todo");
}

static void
test_logger_meta_invalid (void)
{
  assert_logger_error ("{\"backend\":{\"logger\":{\"meta\":\"service\"}}}",
                       "Invalid type in config for key 'backend.logger.meta' in 'test-config', "
                       "got string, wanted object");
}

/* Redaction ---------------------------------------------------------------- */

#define SECRETS_JSON \
  "\"db\":{\"password\":\"hunter22\"}," \
  "\"auth\":{\"keys\":[{\"secret\":\"s3cr3t-signing-key\"}],\"clientSecret\":\"s3cr3t\"}," \
  "\"plain\":{\"name\":\"visible-value\"}"

static void
test_logger_redaction (void)
{
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkLogger) root = logger_new ("{" SECRETS_JSON "}", capture);
  g_autoptr(BkLogger) child = bk_logger_child_with (root, "token", "Bearer hunter22", NULL);
  g_autoptr(GHashTable) fields = fields_new ("url", "postgres://app:hunter22@db/app", NULL);
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autoptr(JsonObject) third = NULL;

  bk_logger_log (child, BK_LOG_LEVEL_INFO, fields, "Connecting with hunter22 and hunter22");
  /* The longest secret is replaced whole, not a shorter one inside it. */
  bk_logger_info (root, "Signing with s3cr3t-signing-key, then s3cr3t");
  bk_logger_info (root, "visible-value stays");

  lines = capture_read_lines (capture);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);

  first = parse_json_line (lines[0]);
  g_assert_cmpstr (json_object_get_string_member (first, "message"), ==, "Connecting with *** and ***");
  g_assert_cmpstr (json_object_get_string_member (first, "token"), ==, "Bearer ***");
  g_assert_cmpstr (json_object_get_string_member (first, "url"), ==, "postgres://app:***@db/app");

  second = parse_json_line (lines[1]);
  g_assert_cmpstr (json_object_get_string_member (second, "message"), ==, "Signing with ***, then ***");

  third = parse_json_line (lines[2]);
  g_assert_cmpstr (json_object_get_string_member (third, "message"), ==, "visible-value stays");

  g_assert_null (strstr (lines[0], "hunter22"));
  g_assert_null (strstr (lines[1], "s3cr3t"));
}

/* Redaction in the other formats too. */
static void
test_logger_redaction_pretty (void)
{
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkLogger) root = logger_new ("{\"backend\":{\"logger\":{\"format\":\"pretty\"}}," SECRETS_JSON "}",
                                         capture);
  g_autoptr(GHashTable) fields = fields_new ("pw", "hunter22", NULL);
  g_autofree char *text = NULL;

  bk_logger_log (root, BK_LOG_LEVEL_INFO, fields, "with hunter22");
  text = capture_read (capture);
  g_assert_null (strstr (text, "hunter22"));
  g_assert_nonnull (strstr (text, "info with *** pw=***\n"));
}

static void
test_logger_redaction_allowlist (void)
{
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkLogger) root = logger_new ("{\"backend\":{\"logger\":{\"redactAllowlist\":[\"s3cr3t\"]}}," SECRETS_JSON "}",
                                         capture);
  g_autofree char *messages = NULL;

  bk_logger_info (root, "s3cr3t is allowed, hunter22 is not");
  messages = capture_read_messages (capture);
  g_assert_cmpstr (messages, ==, "s3cr3t is allowed, *** is not");
}

/* A reload adds the new snapshot's secrets. */
static void
test_logger_redaction_reload (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkConfig) first = bk_config_new_from_json ("{\"db\":{\"password\":\"hunter22\"}}", "first", &error);
  g_autoptr(BkConfig) second = bk_config_new_from_json ("{\"db\":{\"password\":\"correct-horse\"}}", "second", &error);
  g_autoptr(BkStaticRootConfig) root_config = NULL;
  g_autoptr(BkLogger) root = NULL;
  g_autofree char *messages = NULL;

  g_assert_no_error (error);
  root_config = bk_static_root_config_new (first);
  root = _bk_root_logger_new (BK_ROOT_CONFIG (root_config), capture_fd (capture), NULL, NULL, &error);
  g_assert_no_error (error);

  bk_logger_info (root, "hunter22 correct-horse");
  bk_static_root_config_set_config (root_config, second);
  bk_logger_info (root, "hunter22 correct-horse");

  messages = capture_read_messages (capture);
  g_assert_cmpstr (messages, ==, "*** correct-horse|*** ***");
}

/* The root logger says why a reload failed (the root config cannot log:
 * the logger depends on it). */
static void
test_logger_reload_failed (void)
{
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkRootConfig) root_config = root_config_new ("{\"db\":{\"password\":\"hunter22\"}}");
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) reload_error = NULL;
  g_autoptr(BkLogger) root = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonObject) object = NULL;

  root = _bk_root_logger_new (root_config, capture_fd (capture), NULL, NULL, &error);
  g_assert_no_error (error);

  reload_error = g_error_new (BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE,
                              "Failed to parse app-config.yaml at line 3, column 1 (near hunter22)");
  g_signal_emit_by_name (root_config, "reload-failed", reload_error);

  lines = capture_read_lines (capture);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  object = parse_json_line (lines[0]);
  g_assert_cmpstr (json_object_get_string_member (object, "level"), ==, "error");
  g_assert_cmpstr (json_object_get_string_member (object, "message"), ==,
                   "Failed to reload the configuration, keeping the current one; caused by "
                   "Failed to parse app-config.yaml at line 3, column 1 (near ***)");

  /* Once the logger is gone, nothing is connected any more. */
  g_clear_object (&root);
  g_signal_emit_by_name (root_config, "reload-failed", reload_error);
  g_clear_pointer (&lines, g_strfreev);
  lines = capture_read_lines (capture);
  g_assert_cmpuint (g_strv_length (lines), ==, 0);
}

static void
test_logger_redaction_allowlist_invalid (void)
{
  assert_logger_error ("{\"backend\":{\"logger\":{\"redactAllowlist\":\"s3cr3t\"}}}",
                       "Invalid type in config for key 'backend.logger.redactAllowlist' in 'test-config', "
                       "got string, wanted *");
}

/* Threads ------------------------------------------------------------------ */

#define N_THREADS 4
#define N_RECORDS 40

static gpointer
log_from_thread (gpointer data)
{
  g_autoptr(BkLogger) child = NULL;
  g_autofree char *name = g_strdup_printf ("t%u", GPOINTER_TO_UINT (g_thread_self ()) % 1000);
  BkLogger *root = data;

  child = bk_logger_child_with (root, "thread", name, NULL);
  for (guint i = 0; i < N_RECORDS; i++)
    bk_logger_info (child, "record %u with some padding to make lines longer than a few bytes", i);

  return NULL;
}

/* Records from several threads never interleave within a line. */
static void
test_logger_threads (void)
{
  g_autoptr(Capture) capture = capture_new ();
  g_autoptr(BkLogger) root = logger_new (NULL, capture);
  GThread *threads[N_THREADS];
  g_auto(GStrv) lines = NULL;

  for (guint i = 0; i < N_THREADS; i++)
    threads[i] = g_thread_new ("logger-test", log_from_thread, root);
  for (guint i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);

  lines = capture_read_lines (capture);
  g_assert_cmpuint (g_strv_length (lines), ==, N_THREADS * N_RECORDS);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonObject) object = parse_json_line (lines[i]);

      g_assert_true (json_object_has_member (object, "thread"));
    }
}

/* The GLib log writer --------------------------------------------------------- */

static void
test_logger_glib_writer_not_in_tests (void)
{
  /* A gtest program keeps gtest's handling of messages. */
  g_assert_false (_bk_logger_install_glib_writer ());
}

static void
test_logger_glib_writer (void)
{
  if (g_test_subprocess ())
    {
      BkLogger *root;

      g_setenv ("G_MESSAGES_DEBUG", "Other", TRUE);
      /* Let g_warning() return, as in a program that is not a test. */
      g_log_set_always_fatal (G_LOG_FATAL_MASK);

      _bk_logger_force_install_glib_writer ();
      _bk_logger_force_install_glib_writer ();   /* idempotent */

      g_log ("Other", G_LOG_LEVEL_MESSAGE, "before any root logger");

      root = logger_new_full (NULL, STDERR_FILENO, NULL, NULL);
      g_log ("Other", G_LOG_LEVEL_MESSAGE, "a message from %s", "Other");
      g_log ("Other", G_LOG_LEVEL_WARNING, "a warning");
      g_log ("Other", G_LOG_LEVEL_INFO, "an info");
      g_log ("Other", G_LOG_LEVEL_DEBUG, "a debug below the level");
      g_log ("Hidden", G_LOG_LEVEL_INFO, "not in G_MESSAGES_DEBUG");
      g_log_structured ("Structured", G_LOG_LEVEL_MESSAGE,
                        "REQUEST_ID", "r-7",
                        "MESSAGE", "structured %d", 42);
      g_assert_finalize_object (root);

      g_log ("Other", G_LOG_LEVEL_MESSAGE, "after the root logger");
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*Other-Message*before any root logger*"
                             "{\"timestamp\":\"*\",\"level\":\"info\",\"message\":\"a message from Other\",\"domain\":\"Other\"}\n"
                             "{\"timestamp\":\"*\",\"level\":\"warn\",\"message\":\"a warning\",\"domain\":\"Other\"}\n"
                             "{\"timestamp\":\"*\",\"level\":\"info\",\"message\":\"an info\",\"domain\":\"Other\"}\n"
                             "{\"timestamp\":\"*\",\"level\":\"info\",\"message\":\"structured 42\","
                             "*\"domain\":\"Structured\",\"request_id\":\"r-7\"}\n"
                             "*Other-Message*after the root logger*");
  g_test_trap_assert_stderr_unmatched ("*a debug below the level*");
  g_test_trap_assert_stderr_unmatched ("*not in G_MESSAGES_DEBUG*");
}

/* The level and the overrides apply to GLib's messages too (domain is a
 * field like any other). */
static void
test_logger_glib_writer_levels (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(BkLogger) root = NULL;

      g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
      _bk_logger_force_install_glib_writer ();
      root = logger_new_full ("{\"backend\":{\"logger\":{\"level\":\"warn\",\"overrides\":["
                              "{\"matchers\":{\"domain\":\"Chatty\"},\"level\":\"debug\"}]}}}",
                              STDERR_FILENO, NULL, NULL);
      g_log ("Chatty", G_LOG_LEVEL_DEBUG, "chatty debug");
      g_log ("Quiet", G_LOG_LEVEL_MESSAGE, "quiet message");
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*\"level\":\"debug\",\"message\":\"chatty debug\",\"domain\":\"Chatty\"*");
  g_test_trap_assert_stderr_unmatched ("*quiet message*");
}

/* The mock logger ------------------------------------------------------------ */

static void
test_logger_mock_records (void)
{
  g_autoptr(BkMockLogger) logger = bk_mock_logger_new ();
  g_autoptr(BkLogger) child = bk_logger_child_with (BK_LOGGER (logger), "plugin", "todo", NULL);
  g_autoptr(GHashTable) fields = fields_new ("id", "42", NULL);
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *line = NULL;
  g_autofree char *dump = NULL;
  BkMockLoggerRecord *record;

  bk_logger_info (BK_LOGGER (logger), "Started");
  bk_logger_log (child, BK_LOG_LEVEL_DEBUG, fields, "Loaded item 42");
  bk_logger_warn (child, "Slow");

  /* Every level is captured, debug included. */
  g_assert_cmpuint (bk_mock_logger_count (logger, BK_LOG_LEVEL_DEBUG, NULL), ==, 1);

  record = bk_mock_logger_find (logger, BK_LOG_LEVEL_DEBUG, "Loaded item *");
  g_assert_nonnull (record);
  g_assert_cmpint (bk_mock_logger_record_get_level (record), ==, BK_LOG_LEVEL_DEBUG);
  g_assert_cmpstr (bk_mock_logger_record_get_message (record), ==, "Loaded item 42");
  g_assert_cmpstr (bk_mock_logger_record_get_field (record, "plugin"), ==, "todo");
  g_assert_cmpstr (bk_mock_logger_record_get_field (record, "id"), ==, "42");
  g_assert_null (bk_mock_logger_record_get_field (record, "missing"));
  g_assert_cmpuint (g_hash_table_size (bk_mock_logger_record_get_fields (record)), ==, 2);

  line = bk_mock_logger_record_to_string (record);
  g_assert_cmpstr (line, ==, "[debug] Loaded item 42 id=42 plugin=todo");

  g_assert_null (bk_mock_logger_find (logger, BK_LOG_LEVEL_INFO, "Loaded*"));
  g_assert_nonnull (bk_mock_logger_find_with_field (logger, BK_LOG_LEVEL_WARN, NULL, "plugin", "todo"));
  g_assert_null (bk_mock_logger_find_with_field (logger, BK_LOG_LEVEL_INFO, NULL, "plugin", "todo"));

  /* The child sees the parent's records: they share them. */
  g_assert_nonnull (bk_mock_logger_find (BK_MOCK_LOGGER (child), BK_LOG_LEVEL_INFO, "Started"));

  bk_mock_logger_assert_logged (logger, BK_LOG_LEVEL_INFO, "Started");
  bk_mock_logger_assert_logged_with_field (logger, BK_LOG_LEVEL_WARN, "Slow", "plugin", "todo");
  bk_mock_logger_assert_not_logged (logger, BK_LOG_LEVEL_ERROR, NULL);

  records = bk_mock_logger_dup_records (logger);
  g_assert_cmpuint (records->len, ==, 3);
  g_assert_cmpstr (bk_mock_logger_record_get_message (g_ptr_array_index (records, 2)), ==, "Slow");

  dump = bk_mock_logger_dup_dump (logger);
  g_assert_cmpstr (dump, ==,
                   "[info] Started\n"
                   "[debug] Loaded item 42 id=42 plugin=todo\n"
                   "[warn] Slow plugin=todo\n");

  bk_mock_logger_clear (logger);
  g_assert_null (bk_mock_logger_find (logger, BK_LOG_LEVEL_INFO, NULL));
  /* Records already taken stay valid. */
  g_assert_cmpstr (bk_mock_logger_record_get_message (g_ptr_array_index (records, 0)), ==, "Started");
}

/* A failed assertion lists what was captured. */
static void
test_logger_mock_assert_logged_fails (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(BkMockLogger) logger = bk_mock_logger_new ();

      bk_logger_info (BK_LOGGER (logger), "Listening on port 7007");
      bk_logger_warn (BK_LOGGER (logger), "Config key unread");
      bk_mock_logger_assert_logged (logger, BK_LOG_LEVEL_ERROR, "Listening*");
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*no record at level error matching 'Listening*' among the records:\n"
                             "  [info] Listening on port 7007\n"
                             "  [warn] Config key unread\n*");
}

static void
test_logger_mock_assert_not_logged_fails (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(BkMockLogger) logger = bk_mock_logger_new ();

      bk_logger_error (BK_LOGGER (logger), "Boom");
      bk_mock_logger_assert_not_logged (logger, BK_LOG_LEVEL_ERROR, NULL);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*unexpected record [error] Boom among the records:\n  [error] Boom\n*");
}

/* Quiet unless BK_TEST_LOG is set. */
static void
test_logger_mock_quiet (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(BkMockLogger) logger = bk_mock_logger_new ();

      if (g_getenv ("BK_TEST_LOG_CHILD") != NULL)
        g_setenv ("BK_TEST_LOG", "1", TRUE);
      else
        g_unsetenv ("BK_TEST_LOG");
      bk_logger_info (BK_LOGGER (logger), "only with BK_TEST_LOG");
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr_unmatched ("*only with BK_TEST_LOG*");

  g_setenv ("BK_TEST_LOG_CHILD", "1", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv ("BK_TEST_LOG_CHILD");
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*[mock] [info] only with BK_TEST_LOG*");
}

/* With non-fatal assertions, the records of a failed test are printed when
 * the logger goes away. */
static void
test_logger_mock_dump_on_failure (void)
{
  if (g_test_subprocess ())
    {
      BkMockLogger *logger = bk_mock_logger_new ();

      g_unsetenv ("BK_TEST_LOG");
      g_test_set_nonfatal_assertions ();
      bk_logger_info (BK_LOGGER (logger), "what happened before");
      g_test_fail ();
      g_object_unref (logger);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*of the failed test:\n  [info] what happened before\n*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* The tests choose the level and the colours themselves. */
  g_unsetenv ("LOG_LEVEL");
  g_unsetenv ("NO_COLOR");

  g_test_add_func ("/logger/json/record", test_logger_json_record);
  g_test_add_func ("/logger/json/escaping", test_logger_json_escaping);
  g_test_add_func ("/logger/format/auto-pipe", test_logger_format_auto_pipe);
  g_test_add_func ("/logger/format/pretty", test_logger_format_pretty);
  g_test_add_func ("/logger/format/terminal", test_logger_format_terminal);
  g_test_add_func ("/logger/format/terminal-no-color", test_logger_format_terminal_no_color);
  g_test_add_func ("/logger/format/json-on-terminal", test_logger_format_json_on_terminal);
  g_test_add_func ("/logger/format/invalid", test_logger_format_invalid);
  g_test_add_func ("/logger/format/journald", test_logger_format_journald);
  g_test_add_func ("/logger/format/journald/fallback", test_logger_format_journald_fallback);
  g_test_add_func ("/logger/child/fields", test_logger_child_fields);
  g_test_add_func ("/logger/child/outlives-root", test_logger_child_outlives_root);
  g_test_add_func ("/logger/plugin-logger", test_logger_plugin_logger);
  g_test_add_func ("/logger/default-factory/error", test_logger_default_factory_error);
  for (guint i = 0; i < G_N_ELEMENTS (level_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/logger/level/config/%u", i);

      g_test_add_data_func (path, &level_cases[i], test_logger_levels);
    }
  g_test_add_func ("/logger/level/env", test_logger_level_env);
  g_test_add_func ("/logger/level/env-quieter", test_logger_level_env_quieter);
  g_test_add_func ("/logger/level/env-invalid", test_logger_level_env_invalid);
  g_test_add_func ("/logger/level/invalid", test_logger_level_invalid);
  g_test_add_func ("/logger/overrides/plugin", test_logger_overrides_plugin);
  g_test_add_func ("/logger/overrides/matchers", test_logger_overrides_matchers);
  g_test_add_func ("/logger/overrides/empty-matchers", test_logger_overrides_empty_matchers);
  g_test_add_func ("/logger/is-enabled", test_logger_is_enabled);
  g_test_add_func ("/logger/printf-skips-disabled", test_logger_printf_skips_disabled);
  g_test_add_func ("/logger/overrides/invalid", test_logger_overrides_invalid);
  g_test_add_func ("/logger/meta", test_logger_meta);
  g_test_add_func ("/logger/meta/invalid", test_logger_meta_invalid);
  g_test_add_func ("/logger/redaction/secrets", test_logger_redaction);
  g_test_add_func ("/logger/redaction/pretty", test_logger_redaction_pretty);
  g_test_add_func ("/logger/redaction/allowlist", test_logger_redaction_allowlist);
  g_test_add_func ("/logger/redaction/allowlist/invalid", test_logger_redaction_allowlist_invalid);
  g_test_add_func ("/logger/redaction/reload", test_logger_redaction_reload);
  g_test_add_func ("/logger/reload-failed", test_logger_reload_failed);
  g_test_add_func ("/logger/threads", test_logger_threads);
  g_test_add_func ("/logger/glib-writer/not-in-tests", test_logger_glib_writer_not_in_tests);
  g_test_add_func ("/logger/glib-writer/routed", test_logger_glib_writer);
  g_test_add_func ("/logger/glib-writer/levels", test_logger_glib_writer_levels);
  g_test_add_func ("/logger/mock/records", test_logger_mock_records);
  g_test_add_func ("/logger/mock/assert-logged-fails", test_logger_mock_assert_logged_fails);
  g_test_add_func ("/logger/mock/assert-not-logged-fails", test_logger_mock_assert_not_logged_fails);
  g_test_add_func ("/logger/mock/quiet", test_logger_mock_quiet);
  g_test_add_func ("/logger/mock/dump-on-failure", test_logger_mock_dump_on_failure);

  return g_test_run ();
}
