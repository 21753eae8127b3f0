/* test-config.c: BkConfig snapshots and the core.rootConfig service.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <libbackend.h>

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static BkConfig *
config_from_json (const char *json)
{
  g_autoptr(GError) error = NULL;
  BkConfig *config;

  config = bk_config_new_from_json (json, "mock-config", &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);

  return config;
}

static BkConfig *
sub_config (BkConfig   *config,
            const char *key)
{
  g_autoptr(GError) error = NULL;
  BkConfig *sub = NULL;

  g_assert_true (bk_config_get_config (config, key, &sub, &error));
  g_assert_no_error (error);
  g_assert_nonnull (sub);

  return sub;
}

typedef enum
{
  GET_STRING,
  GET_INT,
  GET_DOUBLE,
  GET_BOOLEAN,
  GET_STRING_ARRAY,
  GET_CONFIG,
  GET_CONFIG_ARRAY,
  GET_OPTIONAL_STRING,
  GET_OPTIONAL_INT,
  GET_OPTIONAL_DOUBLE,
  GET_OPTIONAL_BOOLEAN,
  GET_OPTIONAL_CONFIG,
} Getter;

#define SENTINEL_POINTER ((gpointer)0x1)
#define SENTINEL_INT     G_GINT64_CONSTANT (-12345)
#define SENTINEL_DOUBLE  (-12345.5)
#define SENTINEL_BOOLEAN (42)

/* Calls @getter on @key, frees what it gave, and checks that a failing
 * getter leaves its out argument untouched. */
static gboolean
call_getter (BkConfig    *config,
             Getter       getter,
             const char  *key,
             GError     **error)
{
  gboolean ok = FALSE;

  switch (getter)
    {
    case GET_STRING:
    case GET_OPTIONAL_STRING:
      {
        char *out = SENTINEL_POINTER;

        if (getter == GET_STRING)
          ok = bk_config_get_string (config, key, &out, error);
        else
          ok = bk_config_get_optional_string (config, key, "default", &out, error);

        if (ok)
          g_free (out);
        else
          g_assert_true (out == SENTINEL_POINTER);
      }
      break;

    case GET_INT:
    case GET_OPTIONAL_INT:
      {
        gint64 out = SENTINEL_INT;

        if (getter == GET_INT)
          ok = bk_config_get_int (config, key, &out, error);
        else
          ok = bk_config_get_optional_int (config, key, 1, &out, error);

        if (!ok)
          g_assert_cmpint (out, ==, SENTINEL_INT);
      }
      break;

    case GET_DOUBLE:
    case GET_OPTIONAL_DOUBLE:
      {
        double out = SENTINEL_DOUBLE;

        if (getter == GET_DOUBLE)
          ok = bk_config_get_double (config, key, &out, error);
        else
          ok = bk_config_get_optional_double (config, key, 1.0, &out, error);

        if (!ok)
          g_assert_cmpfloat (out, ==, SENTINEL_DOUBLE);
      }
      break;

    case GET_BOOLEAN:
    case GET_OPTIONAL_BOOLEAN:
      {
        gboolean out = SENTINEL_BOOLEAN;

        if (getter == GET_BOOLEAN)
          ok = bk_config_get_boolean (config, key, &out, error);
        else
          ok = bk_config_get_optional_boolean (config, key, TRUE, &out, error);

        if (!ok)
          g_assert_cmpint (out, ==, SENTINEL_BOOLEAN);
      }
      break;

    case GET_STRING_ARRAY:
      {
        char **out = SENTINEL_POINTER;

        ok = bk_config_get_string_array (config, key, &out, error);

        if (ok)
          g_strfreev (out);
        else
          g_assert_true (out == SENTINEL_POINTER);
      }
      break;

    case GET_CONFIG:
    case GET_OPTIONAL_CONFIG:
      {
        BkConfig *out = SENTINEL_POINTER;

        if (getter == GET_CONFIG)
          ok = bk_config_get_config (config, key, &out, error);
        else
          ok = bk_config_get_optional_config (config, key, &out, error);

        if (ok)
          g_clear_object (&out);
        else
          g_assert_true (out == SENTINEL_POINTER);
      }
      break;

    case GET_CONFIG_ARRAY:
      {
        GPtrArray *out = SENTINEL_POINTER;

        ok = bk_config_get_config_array (config, key, &out, error);

        if (ok)
          g_ptr_array_unref (out);
        else
          g_assert_true (out == SENTINEL_POINTER);
      }
      break;

    default:
      g_assert_not_reached ();
    }

  /* A getter returns TRUE exactly when it leaves no error. */
  g_assert_true (ok == (error == NULL || *error == NULL));

  return ok;
}

/* ------------------------------------------------------------------------ */
/* Happy paths                                                              */
/* ------------------------------------------------------------------------ */

static void
test_config_string (void)
{
  g_autoptr(BkConfig) config = config_from_json ("{\"app\":{\"title\":\"Todo\",\"empty\":\"\"}}");
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  g_autofree char *empty = NULL;

  g_assert_true (bk_config_get_string (config, "app.title", &title, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (title, ==, "Todo");

  g_assert_true (bk_config_get_string (config, "app.empty", &empty, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (empty, ==, "");
}

typedef struct
{
  const char *name;
  const char *value;   /* JSON of the value at key "v" */
  gint64      expected;
} IntCase;

static const IntCase int_cases[] = {
  { "integer",         "42",                    42 },
  { "negative",        "-7",                    -7 },
  { "integral-double", "3.0",                   3 },
  { "exponent",        "1e3",                   1000 },
  { "string",          "\"42\"",                42 },
  { "string-spaces",   "\" 8080 \"",            8080 },
  { "string-negative", "\"-15\"",               -15 },
  { "string-exponent", "\"2e2\"",               200 },
  { "max",             "9223372036854775807",   G_MAXINT64 },
  { "string-max",      "\"9223372036854775807\"", G_MAXINT64 },
};

static void
test_config_int (gconstpointer data)
{
  const IntCase *c = data;
  g_autofree char *json = g_strdup_printf ("{\"v\":%s}", c->value);
  g_autoptr(BkConfig) config = config_from_json (json);
  g_autoptr(GError) error = NULL;
  gint64 value = 0;

  g_assert_true (bk_config_get_int (config, "v", &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, c->expected);

  value = 0;
  g_assert_true (bk_config_get_optional_int (config, "v", -1, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, c->expected);
}

typedef struct
{
  const char *name;
  const char *value;
  double      expected;
} DoubleCase;

static const DoubleCase double_cases[] = {
  { "double",          "4.5",        4.5 },
  { "integer",         "3",          3.0 },
  { "negative",        "-0.25",      -0.25 },
  { "string",          "\"2.5\"",    2.5 },
  { "string-integer",  "\"10\"",     10.0 },
  { "string-exponent", "\"1.5e2\"",  150.0 },
};

static void
test_config_double (gconstpointer data)
{
  const DoubleCase *c = data;
  g_autofree char *json = g_strdup_printf ("{\"v\":%s}", c->value);
  g_autoptr(BkConfig) config = config_from_json (json);
  g_autoptr(GError) error = NULL;
  double value = 0;

  g_assert_true (bk_config_get_double (config, "v", &value, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (value, ==, c->expected);

  value = 0;
  g_assert_true (bk_config_get_optional_double (config, "v", -1.0, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (value, ==, c->expected);
}

typedef struct
{
  const char *name;
  const char *value;
  gboolean    expected;
} BooleanCase;

static const BooleanCase boolean_cases[] = {
  { "true",         "true",       TRUE },
  { "false",        "false",      FALSE },
  { "string-true",  "\"true\"",   TRUE },
  { "string-false", "\"false\"",  FALSE },
  { "string-upper", "\"FALSE\"",  FALSE },
};

static void
test_config_boolean (gconstpointer data)
{
  const BooleanCase *c = data;
  g_autofree char *json = g_strdup_printf ("{\"v\":%s}", c->value);
  g_autoptr(BkConfig) config = config_from_json (json);
  g_autoptr(GError) error = NULL;
  gboolean value = !c->expected;

  g_assert_true (bk_config_get_boolean (config, "v", &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, c->expected);

  value = !c->expected;
  g_assert_true (bk_config_get_optional_boolean (config, "v", !c->expected, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, c->expected);
}

static void
test_config_string_array (void)
{
  g_autoptr(BkConfig) config = config_from_json ("{\"cors\":{\"origin\":[\"http://a\",\"\",\"http://b\"],\"none\":[]}}");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) origins = NULL;
  g_auto(GStrv) none = NULL;

  g_assert_true (bk_config_get_string_array (config, "cors.origin", &origins, &error));
  g_assert_no_error (error);
  g_assert_nonnull (origins);
  g_assert_cmpuint (g_strv_length (origins), ==, 3);
  g_assert_cmpstr (origins[0], ==, "http://a");
  g_assert_cmpstr (origins[1], ==, "");
  g_assert_cmpstr (origins[2], ==, "http://b");
  g_assert_null (origins[3]);

  g_assert_true (bk_config_get_string_array (config, "cors.none", &none, &error));
  g_assert_no_error (error);
  g_assert_nonnull (none);
  g_assert_null (none[0]);
}

static void
test_config_sub_config (void)
{
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(BkConfig) backend = NULL;
  g_autoptr(BkConfig) listen = NULL;
  g_autoptr(BkConfig) listen_direct = NULL;
  g_autoptr(GError) error = NULL;
  gint64 port = 0;

  config = bk_config_new_from_json ("{\"backend\":{\"listen\":{\"port\":7007,\"host\":true}}}",
                                    "app-config.yaml", &error);
  g_assert_no_error (error);

  g_assert_cmpstr (bk_config_get_prefix (config), ==, "");
  g_assert_cmpstr (bk_config_get_source (config), ==, "app-config.yaml");

  backend = sub_config (config, "backend");
  g_assert_cmpstr (bk_config_get_prefix (backend), ==, "backend");
  g_assert_cmpstr (bk_config_get_source (backend), ==, "app-config.yaml");

  listen = sub_config (backend, "listen");
  g_assert_cmpstr (bk_config_get_prefix (listen), ==, "backend.listen");
  g_assert_cmpstr (bk_config_get_source (listen), ==, "app-config.yaml");

  listen_direct = sub_config (config, "backend.listen");
  g_assert_cmpstr (bk_config_get_prefix (listen_direct), ==, "backend.listen");

  g_assert_true (bk_config_get_int (listen, "port", &port, &error));
  g_assert_no_error (error);
  g_assert_cmpint (port, ==, 7007);

  /* Errors from a sub-config name the whole path. */
  g_assert_false (call_getter (listen, GET_STRING, "host", &error));
  g_assert_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE);
  g_assert_cmpstr (error->message, ==,
                   "Invalid type in config for key 'backend.listen.host' in 'app-config.yaml', got boolean, wanted string");
  g_clear_error (&error);

  g_assert_false (call_getter (backend, GET_INT, "listen.timeout", &error));
  g_assert_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_MISSING);
  g_assert_cmpstr (error->message, ==,
                   "Missing required config value at 'backend.listen.timeout' in 'app-config.yaml'");
  g_clear_error (&error);

  /* The properties say the same as the getters. */
  {
    g_autofree char *source = NULL;
    g_autofree char *prefix = NULL;

    g_object_get (listen, "source", &source, "prefix", &prefix, NULL);
    g_assert_cmpstr (source, ==, "app-config.yaml");
    g_assert_cmpstr (prefix, ==, "backend.listen");
  }
}

static void
test_config_sub_config_outlives_parent (void)
{
  BkConfig *config = config_from_json ("{\"a\":{\"b\":{\"c\":\"deep\"}}}");
  BkConfig *sub = sub_config (config, "a.b");
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;

  g_assert_finalize_object (config);

  g_assert_true (bk_config_get_string (sub, "c", &value, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, "deep");

  g_assert_finalize_object (sub);
}

static void
test_config_config_array (void)
{
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(BkConfig) discovery = NULL;
  g_autoptr(GPtrArray) endpoints = NULL;
  g_autoptr(GPtrArray) empty = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *target = NULL;
  g_autofree char *second_target = NULL;

  config = config_from_json ("{\"discovery\":{"
                               "\"endpoints\":["
                                 "{\"target\":\"http://one\",\"plugins\":[\"a\"]},"
                                 "{\"target\":\"http://two\",\"plugins\":[\"b\",3]}],"
                               "\"none\":[]}}");
  discovery = sub_config (config, "discovery");

  g_assert_true (bk_config_get_config_array (discovery, "endpoints", &endpoints, &error));
  g_assert_no_error (error);
  g_assert_nonnull (endpoints);
  g_assert_cmpuint (endpoints->len, ==, 2);

  for (guint i = 0; i < endpoints->len; i++)
    {
      BkConfig *endpoint = g_ptr_array_index (endpoints, i);
      g_autofree char *prefix = g_strdup_printf ("discovery.endpoints[%u]", i);

      g_assert_true (BK_IS_CONFIG (endpoint));
      g_assert_cmpstr (bk_config_get_prefix (endpoint), ==, prefix);
      g_assert_cmpstr (bk_config_get_source (endpoint), ==, "mock-config");
    }

  g_assert_true (bk_config_get_string (g_ptr_array_index (endpoints, 0), "target", &target, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (target, ==, "http://one");

  g_assert_true (bk_config_get_string (g_ptr_array_index (endpoints, 1), "target", &second_target, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (second_target, ==, "http://two");

  /* An error read from an element names the element and its key. */
  g_assert_false (call_getter (g_ptr_array_index (endpoints, 1), GET_STRING_ARRAY, "plugins", &error));
  g_assert_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE);
  g_assert_cmpstr (error->message, ==,
                   "Invalid type in config for key 'discovery.endpoints[1].plugins[1]' in 'mock-config', got number, wanted string");
  g_clear_error (&error);

  g_assert_true (bk_config_get_config_array (discovery, "none", &empty, &error));
  g_assert_no_error (error);
  g_assert_nonnull (empty);
  g_assert_cmpuint (empty->len, ==, 0);
}

/* ------------------------------------------------------------------------ */
/* Errors, table-driven                                                     */
/* ------------------------------------------------------------------------ */

typedef struct
{
  const char *name;
  const char *json;
  const char *sub;       /* read from this sub-config, or NULL for the root */
  Getter      getter;
  const char *key;
  int         code;
  const char *message;
} ErrorCase;

#define TYPE_MSG(k, got, wanted) \
  "Invalid type in config for key '" k "' in 'mock-config', got " got ", wanted " wanted
#define MISSING_MSG(k) \
  "Missing required config value at '" k "' in 'mock-config'"

static const ErrorCase missing_cases[] = {
  { "string",         "{}",                   NULL, GET_STRING,       "a.b", BK_CONFIG_ERROR_MISSING, MISSING_MSG ("a.b") },
  { "int",            "{\"a\":{}}",           NULL, GET_INT,          "a.b", BK_CONFIG_ERROR_MISSING, MISSING_MSG ("a.b") },
  { "double",         "{}",                   NULL, GET_DOUBLE,       "x",   BK_CONFIG_ERROR_MISSING, MISSING_MSG ("x") },
  { "boolean",        "{}",                   NULL, GET_BOOLEAN,      "x",   BK_CONFIG_ERROR_MISSING, MISSING_MSG ("x") },
  { "string-array",   "{}",                   NULL, GET_STRING_ARRAY, "x",   BK_CONFIG_ERROR_MISSING, MISSING_MSG ("x") },
  { "config",         "{}",                   NULL, GET_CONFIG,       "x",   BK_CONFIG_ERROR_MISSING, MISSING_MSG ("x") },
  { "config-array",   "{}",                   NULL, GET_CONFIG_ARRAY, "x",   BK_CONFIG_ERROR_MISSING, MISSING_MSG ("x") },
  { "null-value",     "{\"x\":null}",         NULL, GET_STRING,       "x",   BK_CONFIG_ERROR_MISSING, MISSING_MSG ("x") },
  { "null-parent",    "{\"a\":null}",         NULL, GET_INT,          "a.b", BK_CONFIG_ERROR_MISSING, MISSING_MSG ("a.b") },
  { "sub-config",     "{\"backend\":{\"listen\":{}}}", "backend", GET_INT, "listen.port",
    BK_CONFIG_ERROR_MISSING, MISSING_MSG ("backend.listen.port") },
  { "nested-sub-config", "{\"backend\":{\"listen\":{}}}", "backend.listen", GET_STRING, "host",
    BK_CONFIG_ERROR_MISSING, MISSING_MSG ("backend.listen.host") },
};

static const ErrorCase invalid_type_cases[] = {
  /* got <type> for each JSON type */
  { "string-got-number",   "{\"x\":1}",          NULL, GET_STRING,  "x", BK_CONFIG_ERROR_INVALID_TYPE, TYPE_MSG ("x", "number", "string") },
  { "string-got-double",   "{\"x\":1.5}",        NULL, GET_STRING,  "x", BK_CONFIG_ERROR_INVALID_TYPE, TYPE_MSG ("x", "number", "string") },
  { "string-got-boolean",  "{\"x\":true}",       NULL, GET_STRING,  "x", BK_CONFIG_ERROR_INVALID_TYPE, TYPE_MSG ("x", "boolean", "string") },
  { "string-got-object",   "{\"x\":{}}",         NULL, GET_STRING,  "x", BK_CONFIG_ERROR_INVALID_TYPE, TYPE_MSG ("x", "object", "string") },
  { "string-got-array",    "{\"x\":[]}",         NULL, GET_STRING,  "x", BK_CONFIG_ERROR_INVALID_TYPE, TYPE_MSG ("x", "array", "string") },
  /* numbers */
  { "int-got-boolean",     "{\"x\":false}",      NULL, GET_INT,     "x", BK_CONFIG_ERROR_INVALID_TYPE, TYPE_MSG ("x", "boolean", "number") },
  { "int-got-object",      "{\"x\":{}}",         NULL, GET_INT,     "x", BK_CONFIG_ERROR_INVALID_TYPE, TYPE_MSG ("x", "object", "number") },
  { "int-not-integral",    "{\"x\":4.5}",        NULL, GET_INT,     "x", BK_CONFIG_ERROR_INVALID_TYPE, TYPE_MSG ("x", "number", "integer") },
  { "int-string-not-integral", "{\"x\":\"4.5\"}", NULL, GET_INT,    "x", BK_CONFIG_ERROR_INVALID_TYPE, TYPE_MSG ("x", "number", "integer") },
  { "int-too-large",       "{\"x\":1e30}",       NULL, GET_INT,     "x", BK_CONFIG_ERROR_INVALID_TYPE, TYPE_MSG ("x", "number", "integer") },
  { "int-not-a-number",    "{\"x\":\"abc\"}",    NULL, GET_INT,     "x", BK_CONFIG_ERROR_INVALID_TYPE,
    "Unable to convert config value for key 'x' in 'mock-config' to a number" },
  { "int-empty-string",    "{\"x\":\"\"}",       NULL, GET_INT,     "x", BK_CONFIG_ERROR_INVALID_TYPE,
    "Unable to convert config value for key 'x' in 'mock-config' to a number" },
  { "double-got-array",    "{\"x\":[1]}",        NULL, GET_DOUBLE,  "x", BK_CONFIG_ERROR_INVALID_TYPE, TYPE_MSG ("x", "array", "number") },
  { "double-not-a-number", "{\"x\":\"12px\"}",   NULL, GET_DOUBLE,  "x", BK_CONFIG_ERROR_INVALID_TYPE,
    "Unable to convert config value for key 'x' in 'mock-config' to a number" },
  { "double-nan-string",   "{\"x\":\"nan\"}",    NULL, GET_DOUBLE,  "x", BK_CONFIG_ERROR_INVALID_TYPE,
    "Unable to convert config value for key 'x' in 'mock-config' to a number" },
  /* booleans */
  { "boolean-got-number",  "{\"x\":1}",          NULL, GET_BOOLEAN, "x", BK_CONFIG_ERROR_INVALID_TYPE, TYPE_MSG ("x", "number", "boolean") },
  { "boolean-got-object",  "{\"x\":{}}",         NULL, GET_BOOLEAN, "x", BK_CONFIG_ERROR_INVALID_TYPE, TYPE_MSG ("x", "object", "boolean") },
  { "boolean-bad-string",  "{\"x\":\"maybe\"}",  NULL, GET_BOOLEAN, "x", BK_CONFIG_ERROR_INVALID_TYPE,
    "Unable to convert config value for key 'x' in 'mock-config' to a boolean" },
  /* arrays */
  { "string-array-got-string", "{\"x\":\"a\"}",            NULL, GET_STRING_ARRAY, "x", BK_CONFIG_ERROR_INVALID_TYPE,
    TYPE_MSG ("x", "string", "string-array") },
  { "string-array-element",    "{\"x\":[\"a\",1]}",        NULL, GET_STRING_ARRAY, "x", BK_CONFIG_ERROR_INVALID_TYPE,
    TYPE_MSG ("x[1]", "number", "string") },
  { "string-array-null-element", "{\"x\":[null]}",         NULL, GET_STRING_ARRAY, "x", BK_CONFIG_ERROR_INVALID_TYPE,
    TYPE_MSG ("x[0]", "null", "string") },
  { "config-got-array",        "{\"x\":[]}",               NULL, GET_CONFIG,       "x", BK_CONFIG_ERROR_INVALID_TYPE,
    TYPE_MSG ("x", "array", "object") },
  { "config-array-got-object", "{\"x\":{}}",               NULL, GET_CONFIG_ARRAY, "x", BK_CONFIG_ERROR_INVALID_TYPE,
    TYPE_MSG ("x", "object", "object-array") },
  { "config-array-element",    "{\"x\":[{},{},\"c\"]}",    NULL, GET_CONFIG_ARRAY, "x", BK_CONFIG_ERROR_INVALID_TYPE,
    TYPE_MSG ("x[2]", "string", "object") },
  /* full paths from sub-configs */
  { "sub-config",              "{\"backend\":{\"listen\":{\"port\":true}}}", "backend", GET_INT, "listen.port",
    BK_CONFIG_ERROR_INVALID_TYPE, TYPE_MSG ("backend.listen.port", "boolean", "number") },
  { "nested-sub-config",       "{\"backend\":{\"listen\":{\"port\":true}}}", "backend.listen", GET_INT, "port",
    BK_CONFIG_ERROR_INVALID_TYPE, TYPE_MSG ("backend.listen.port", "boolean", "number") },
  { "sub-config-array-element", "{\"backend\":{\"hosts\":[\"a\",{}]}}", "backend", GET_STRING_ARRAY, "hosts",
    BK_CONFIG_ERROR_INVALID_TYPE, TYPE_MSG ("backend.hosts[1]", "object", "string") },
  { "sub-config-unconvertible", "{\"backend\":{\"listen\":{\"port\":\"http\"}}}", "backend.listen", GET_INT, "port",
    BK_CONFIG_ERROR_INVALID_TYPE, "Unable to convert config value for key 'backend.listen.port' in 'mock-config' to a number" },
  /* walking through something that is not an object */
  { "through-number",          "{\"a\":3}",                NULL, GET_STRING,       "a.b",  BK_CONFIG_ERROR_INVALID_TYPE,
    TYPE_MSG ("a", "number", "object") },
  { "through-array",           "{\"a\":{\"b\":[]}}",       NULL, GET_INT,          "a.b.c", BK_CONFIG_ERROR_INVALID_TYPE,
    TYPE_MSG ("a.b", "array", "object") },
  { "through-from-sub-config", "{\"a\":{\"b\":\"s\"}}",    "a",  GET_CONFIG,       "b.c",  BK_CONFIG_ERROR_INVALID_TYPE,
    TYPE_MSG ("a.b", "string", "object") },
  /* optional getters still fail on a wrong type */
  { "optional-string",         "{\"x\":1}",                NULL, GET_OPTIONAL_STRING,  "x", BK_CONFIG_ERROR_INVALID_TYPE,
    TYPE_MSG ("x", "number", "string") },
  { "optional-int",            "{\"x\":[]}",               NULL, GET_OPTIONAL_INT,     "x", BK_CONFIG_ERROR_INVALID_TYPE,
    TYPE_MSG ("x", "array", "number") },
  { "optional-int-not-integral", "{\"x\":0.5}",            NULL, GET_OPTIONAL_INT,     "x", BK_CONFIG_ERROR_INVALID_TYPE,
    TYPE_MSG ("x", "number", "integer") },
  { "optional-double",         "{\"x\":\"fast\"}",         NULL, GET_OPTIONAL_DOUBLE,  "x", BK_CONFIG_ERROR_INVALID_TYPE,
    "Unable to convert config value for key 'x' in 'mock-config' to a number" },
  { "optional-boolean",        "{\"x\":{}}",               NULL, GET_OPTIONAL_BOOLEAN, "x", BK_CONFIG_ERROR_INVALID_TYPE,
    TYPE_MSG ("x", "object", "boolean") },
  { "optional-config",         "{\"a\":{\"x\":\"str\"}}",  "a",  GET_OPTIONAL_CONFIG,  "x", BK_CONFIG_ERROR_INVALID_TYPE,
    TYPE_MSG ("a.x", "string", "object") },
  { "optional-through-number", "{\"a\":3}",                NULL, GET_OPTIONAL_STRING,  "a.b", BK_CONFIG_ERROR_INVALID_TYPE,
    TYPE_MSG ("a", "number", "object") },
};

static void
test_config_error (gconstpointer data)
{
  const ErrorCase *c = data;
  g_autoptr(BkConfig) root = config_from_json (c->json);
  g_autoptr(BkConfig) sub = NULL;
  g_autoptr(GError) error = NULL;
  BkConfig *config = root;

  if (c->sub != NULL)
    config = sub = sub_config (root, c->sub);

  g_assert_false (call_getter (config, c->getter, c->key, &error));
  g_assert_error (error, BK_CONFIG_ERROR, c->code);
  g_assert_cmpstr (error->message, ==, c->message);
}

/* ------------------------------------------------------------------------ */
/* Optional getters                                                         */
/* ------------------------------------------------------------------------ */

static void
test_config_optional_defaults (void)
{
  /* "n" is null, "absent" is not there: both give the default. */
  const char *keys[] = { "absent", "n", "a.absent", "a.n", "n.below" };
  g_autoptr(BkConfig) config = config_from_json ("{\"n\":null,\"a\":{\"n\":null}}");

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *str = NULL;
      g_autofree char *null_str = (char *)SENTINEL_POINTER;
      gint64 i64 = 0;
      double d = 0;
      gboolean b = FALSE;
      BkConfig *sub = SENTINEL_POINTER;

      g_test_message ("key %s", keys[i]);

      g_assert_true (bk_config_get_optional_string (config, keys[i], "fallback", &str, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (str, ==, "fallback");

      g_assert_true (bk_config_get_optional_string (config, keys[i], NULL, &null_str, &error));
      g_assert_no_error (error);
      g_assert_null (null_str);

      g_assert_true (bk_config_get_optional_int (config, keys[i], 7007, &i64, &error));
      g_assert_no_error (error);
      g_assert_cmpint (i64, ==, 7007);

      g_assert_true (bk_config_get_optional_double (config, keys[i], 0.75, &d, &error));
      g_assert_no_error (error);
      g_assert_cmpfloat (d, ==, 0.75);

      g_assert_true (bk_config_get_optional_boolean (config, keys[i], TRUE, &b, &error));
      g_assert_no_error (error);
      g_assert_true (b);

      g_assert_true (bk_config_get_optional_config (config, keys[i], &sub, &error));
      g_assert_no_error (error);
      g_assert_null (sub);
    }
}

static void
test_config_optional_present (void)
{
  g_autoptr(BkConfig) config = config_from_json ("{\"s\":\"v\",\"i\":\"12\",\"d\":2.5,\"b\":false,\"o\":{\"k\":1}}");
  g_autoptr(GError) error = NULL;
  g_autofree char *str = NULL;
  g_autoptr(BkConfig) sub = NULL;
  gint64 i64 = 0;
  double d = 0;
  gboolean b = TRUE;

  g_assert_true (bk_config_get_optional_string (config, "s", "fallback", &str, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (str, ==, "v");

  g_assert_true (bk_config_get_optional_int (config, "i", 1, &i64, &error));
  g_assert_no_error (error);
  g_assert_cmpint (i64, ==, 12);

  g_assert_true (bk_config_get_optional_double (config, "d", 1.0, &d, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (d, ==, 2.5);

  g_assert_true (bk_config_get_optional_boolean (config, "b", TRUE, &b, &error));
  g_assert_no_error (error);
  g_assert_false (b);

  g_assert_true (bk_config_get_optional_config (config, "o", &sub, &error));
  g_assert_no_error (error);
  g_assert_nonnull (sub);
  g_assert_cmpstr (bk_config_get_prefix (sub), ==, "o");
  g_assert_true (bk_config_has (sub, "k"));
}

/* ------------------------------------------------------------------------ */
/* Keys, has, nodes                                                         */
/* ------------------------------------------------------------------------ */

static void
test_config_keys (void)
{
  g_autoptr(BkConfig) config = config_from_json ("{\"zeta\":1,\"alpha\":{\"y\":1,\"x\":2},\"mid\":null}");
  g_autoptr(BkConfig) alpha = sub_config (config, "alpha");
  g_autoptr(BkConfig) empty = bk_config_new (NULL, "empty");
  g_auto(GStrv) keys = bk_config_get_keys (config);
  g_auto(GStrv) alpha_keys = bk_config_get_keys (alpha);
  g_auto(GStrv) empty_keys = bk_config_get_keys (empty);
  const char * const expected[] = { "zeta", "alpha", "mid", NULL };
  const char * const expected_alpha[] = { "y", "x", NULL };

  /* Document order, not sorted; null values are keys too. */
  g_assert_cmpstrv (keys, expected);
  g_assert_cmpstrv (alpha_keys, expected_alpha);

  g_assert_nonnull (empty_keys);
  g_assert_null (empty_keys[0]);
}

typedef struct
{
  const char *key;
  gboolean    expected;
} HasCase;

static void
test_config_has (void)
{
  static const HasCase cases[] = {
    { "a",         TRUE },
    { "a.b",       TRUE },
    { "a.b.c",     FALSE },   /* through a number */
    { "a.zero",    TRUE },
    { "a.false",   TRUE },
    { "a.empty",   TRUE },
    { "a.list",    TRUE },
    { "a.n",       FALSE },   /* null */
    { "a.n.x",     FALSE },
    { "a.missing", FALSE },
    { "missing",   FALSE },
    { "A",         FALSE },   /* case-sensitive */
  };
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(BkConfig) a = NULL;

  config = config_from_json ("{\"a\":{\"b\":1,\"zero\":0,\"false\":false,\"empty\":\"\","
                             "\"list\":[],\"n\":null}}");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("key %s", cases[i].key);
      g_assert_cmpint (bk_config_has (config, cases[i].key), ==, cases[i].expected);
    }

  a = sub_config (config, "a");
  g_assert_true (bk_config_has (a, "b"));
  g_assert_false (bk_config_has (a, "a"));
  g_assert_false (bk_config_has (a, "n"));
}

static void
test_config_dup_node (void)
{
  g_autoptr(BkConfig) config = config_from_json ("{\"a\":{\"list\":[1,\"two\"],\"n\":null}}");
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(JsonNode) whole = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autoptr(JsonNode) n = NULL;
  g_autoptr(JsonNode) missing = NULL;
  g_autofree char *whole_json = NULL;
  JsonArray *array;

  list = bk_config_dup_node (config, "a.list");
  g_assert_nonnull (list);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (list));
  g_assert_false (json_node_is_immutable (list));
  array = json_node_get_array (list);
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpint (json_array_get_int_element (array, 0), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (array, 1), ==, "two");

  /* The copy is the caller's: changing it leaves the config alone. */
  json_array_add_int_element (array, 3);
  again = bk_config_dup_node (config, "a.list");
  g_assert_cmpuint (json_array_get_length (json_node_get_array (again)), ==, 2);

  whole = bk_config_dup_node (config, NULL);
  g_assert_nonnull (whole);
  whole_json = json_to_string (whole, FALSE);
  g_assert_cmpstr (whole_json, ==, "{\"a\":{\"list\":[1,\"two\"],\"n\":null}}");

  n = bk_config_dup_node (config, "a.n");
  g_assert_null (n);
  missing = bk_config_dup_node (config, "a.missing");
  g_assert_null (missing);
}

/* ------------------------------------------------------------------------ */
/* Construction                                                             */
/* ------------------------------------------------------------------------ */

typedef struct
{
  const char *name;
  const char *json;
  const char *message;
} ParseCase;

static const ParseCase parse_cases[] = {
  { "unterminated-object", "{\"a\":1",
    "Failed to parse config in 'broken.json', " },
  { "garbage",             "backend: {",
    "Failed to parse config in 'broken.json', " },
  { "root-array",          "[1,2]",
    "Failed to parse config in 'broken.json', the root must be an object, got array" },
  { "root-string",         "\"text\"",
    "Failed to parse config in 'broken.json', the root must be an object, got string" },
  { "root-number",         "42",
    "Failed to parse config in 'broken.json', the root must be an object, got number" },
  { "root-null",           "null",
    "Failed to parse config in 'broken.json', the root must be an object, got null" },
};

static void
test_config_parse_error (gconstpointer data)
{
  const ParseCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BkConfig) config = NULL;

  config = bk_config_new_from_json (c->json, "broken.json", &error);
  g_assert_null (config);
  g_assert_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE);

  if (g_str_has_suffix (c->message, ", "))
    {
      /* Syntax errors: the source, then json-glib's own message. */
      g_assert_true (g_str_has_prefix (error->message, c->message));
      g_assert_cmpuint (strlen (error->message), >, strlen (c->message));
    }
  else
    {
      g_assert_cmpstr (error->message, ==, c->message);
    }
}

static void
test_config_parse_syntax_error_message (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) json_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BkConfig) config = NULL;
  g_autofree char *expected = NULL;
  const char *json = "{\"a\": [1, }";

  /* The cause is json-glib's message, verbatim. */
  g_assert_false (json_parser_load_from_data (parser, json, -1, &json_error));
  g_assert_nonnull (json_error);
  expected = g_strdup_printf ("Failed to parse config in 'app-config.json', %s", json_error->message);

  config = bk_config_new_from_json (json, "app-config.json", &error);
  g_assert_null (config);
  g_assert_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_PARSE);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_config_empty (void)
{
  const char *documents[] = { "", "  \n", "{}" };

  for (guint i = 0; i < G_N_ELEMENTS (documents); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(BkConfig) config = bk_config_new_from_json (documents[i], "empty.json", &error);
      g_auto(GStrv) keys = NULL;

      g_assert_no_error (error);
      g_assert_nonnull (config);
      keys = bk_config_get_keys (config);
      g_assert_cmpuint (g_strv_length (keys), ==, 0);
      g_assert_false (bk_config_has (config, "backend"));
      g_assert_cmpstr (bk_config_get_source (config), ==, "empty.json");
    }
}

static void
test_config_new_snapshot (void)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  gint64 port = 0;
  JsonObject *backend;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, "first");
  json_builder_set_member_name (builder, "backend");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "port");
  json_builder_add_int_value (builder, 7007);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);

  config = bk_config_new (root, "built");
  g_assert_cmpstr (bk_config_get_source (config), ==, "built");
  g_assert_cmpstr (bk_config_get_prefix (config), ==, "");

  /* Changing the node afterwards does not change the snapshot: neither a
   * value changed in place, nor a member replaced or added. */
  json_node_set_string (json_object_get_member (json_node_get_object (root), "name"), "second");
  backend = json_object_get_object_member (json_node_get_object (root), "backend");
  json_object_set_int_member (backend, "port", 1);
  json_object_set_string_member (json_node_get_object (root), "added", "x");

  g_assert_false (bk_config_has (config, "added"));

  g_assert_true (bk_config_get_string (config, "name", &name, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "first");

  g_assert_true (bk_config_get_int (config, "backend.port", &port, &error));
  g_assert_no_error (error);
  g_assert_cmpint (port, ==, 7007);
}

static void
test_config_finalize (void)
{
  BkConfig *config = config_from_json ("{\"a\":{\"b\":[{\"c\":1}]}}");
  BkConfig *sub = sub_config (config, "a");
  GPtrArray *items = NULL;
  g_autoptr(GError) error = NULL;
  BkConfig *item;

  g_assert_true (bk_config_get_config_array (sub, "b", &items, &error));
  g_assert_no_error (error);
  item = g_object_ref (g_ptr_array_index (items, 0));
  g_ptr_array_unref (items);

  g_assert_finalize_object (config);
  g_assert_finalize_object (sub);
  g_assert_true (bk_config_has (item, "c"));
  g_assert_finalize_object (item);
}

static void
test_config_invalid_key (void)
{
  g_autoptr(BkConfig) config = config_from_json ("{\"a\":{\"b\":1}}");
  const char *keys[] = { "", ".a", "a.", "a..b" };

  /* A malformed key is a programming error. */
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_test_expect_message ("Bk", G_LOG_LEVEL_CRITICAL, "*key_is_valid*");
      g_assert_false (bk_config_has (config, keys[i]));
      g_test_assert_expected_messages ();
    }
}

/* ------------------------------------------------------------------------ */
/* BkRootConfig                                                             */
/* ------------------------------------------------------------------------ */

static void
on_changed (BkRootConfig *root_config,
            gpointer      user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
test_config_root_config_dup (void)
{
  g_autoptr(BkConfig) config = config_from_json ("{\"x\":1}");
  g_autoptr(BkStaticRootConfig) static_root = bk_static_root_config_new (config);
  g_autoptr(BkConfig) snapshot = NULL;
  g_autoptr(BkConfig) property = NULL;
  BkRootConfig *root_config;

  g_assert_true (BK_IS_ROOT_CONFIG (static_root));
  root_config = BK_ROOT_CONFIG (static_root);

  snapshot = bk_root_config_dup_config (root_config);
  g_assert_true (snapshot == config);

  g_object_get (static_root, "config", &property, NULL);
  g_assert_true (property == config);
}

static void
test_config_root_config_changed (void)
{
  g_autoptr(BkConfig) first = config_from_json ("{\"app\":{\"title\":\"first\"}}");
  g_autoptr(BkConfig) second = config_from_json ("{\"app\":{\"title\":\"second\"}}");
  g_autoptr(BkStaticRootConfig) static_root = bk_static_root_config_new (first);
  g_autoptr(BkConfig) old_snapshot = NULL;
  g_autoptr(BkConfig) new_snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *old_title = NULL;
  g_autofree char *new_title = NULL;
  guint changed = 0;
  guint notified = 0;

  g_signal_connect (static_root, "changed", G_CALLBACK (on_changed), &changed);
  g_signal_connect (static_root, "notify::config", G_CALLBACK (on_notify), &notified);

  old_snapshot = bk_root_config_dup_config (BK_ROOT_CONFIG (static_root));

  /* The same snapshot again replaces nothing. */
  bk_static_root_config_set_config (static_root, first);
  g_assert_cmpuint (changed, ==, 0);
  g_assert_cmpuint (notified, ==, 0);

  bk_static_root_config_set_config (static_root, second);
  g_assert_cmpuint (changed, ==, 1);
  g_assert_cmpuint (notified, ==, 1);

  new_snapshot = bk_root_config_dup_config (BK_ROOT_CONFIG (static_root));
  g_assert_true (new_snapshot == second);

  /* The old snapshot still reads its own values. */
  g_assert_true (bk_config_get_string (old_snapshot, "app.title", &old_title, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (old_title, ==, "first");

  g_assert_true (bk_config_get_string (new_snapshot, "app.title", &new_title, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (new_title, ==, "second");
}

static void
test_config_root_config_releases_old (void)
{
  BkConfig *first = config_from_json ("{}");
  BkConfig *second = config_from_json ("{}");
  BkStaticRootConfig *static_root = bk_static_root_config_new (first);

  g_object_add_weak_pointer (G_OBJECT (first), (gpointer *)&first);
  g_object_add_weak_pointer (G_OBJECT (second), (gpointer *)&second);

  /* The root config holds its snapshot... */
  g_object_unref (first);
  g_assert_nonnull (first);

  /* ...and drops it once it is replaced. */
  bk_static_root_config_set_config (static_root, second);
  g_assert_null (first);

  g_object_unref (second);
  g_assert_nonnull (second);

  g_assert_finalize_object (static_root);
  g_assert_null (second);
}

static void
test_config_root_config_factory (void)
{
  g_autoptr(BkConfig) config = config_from_json ("{}");
  g_autoptr(BkServiceFactory) factory = bk_static_root_config_factory_new (config);

  g_assert_true (BK_IS_SERVICE_FACTORY (factory));
  g_assert_true (bk_service_factory_get_service (factory) == BK_SERVICE_ROOT_CONFIG);
}

/* ------------------------------------------------------------------------ */
/* Secrets, unread keys, sources                                            */
/* ------------------------------------------------------------------------ */

static void
test_config_secrets_key_names (void)
{
  g_autoptr(BkConfig) config = NULL;
  g_auto(GStrv) secrets = NULL;
  g_autofree char *joined = NULL;

  g_test_summary ("A config built from JSON has secrets by key name only");

  config = config_from_json ("{\"a\":{\"password\":\"p1\",\"PassWord\":\"p2\",\"passwd\":\"p3\","
                             "\"myPassword\":\"p4\",\"mypassword\":\"not\",\"Token\":\"t1\","
                             "\"accessToken\":\"t2\",\"privatekey\":\"k1\",\"clientSecret\":\"s1\","
                             "\"appSecret\":\"s2\",\"secretive\":\"not\",\"apiKey\":1234.5,"
                             "\"credentials\":[\"c1\",{\"x\":\"c2\"}],\"token\":true,"
                             "\"user\":\"not\",\"empty\":{\"secret\":\"\"}}}");
  secrets = bk_config_dup_secrets (config);
  joined = g_strjoinv ("|", secrets);
  g_assert_cmpstr (joined, ==, "p1|p2|p3|p4|t1|t2|k1|s1|s2|1234.5|c1|c2");
}

static void
test_config_secrets_allowlist (void)
{
  g_autoptr(BkConfig) config = NULL;
  g_auto(GStrv) secrets = NULL;
  g_auto(GStrv) unread = NULL;
  g_autofree char *joined = NULL;

  g_test_summary ("backend.logger.redactAllowlist exempts values; values are trimmed, listed "
                  "once, and one-character values are left out");

  config = config_from_json ("{\"backend\":{\"logger\":{\"redactAllowlist\":[\"public\", 42]}},"
                             "\"a\":{\"token\":\"public\",\"pin\":{\"token\":42},"
                             "\"b\":{\"token\":\"  padded \"},\"c\":{\"token\":\"padded\"},"
                             "\"d\":{\"token\":\"x\"}}}");
  secrets = bk_config_dup_secrets (config);
  joined = g_strjoinv ("|", secrets);
  g_assert_cmpstr (joined, ==, "padded");

  unread = bk_config_dup_unread_keys (config);
  g_assert_false (g_strv_contains ((const char * const *) unread, "backend.logger.redactAllowlist"));
}

static void
test_config_unread_getters (void)
{
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) unread = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *str = NULL;
  g_auto(GStrv) strv = NULL;
  g_autoptr(GPtrArray) items = NULL;
  gboolean b = FALSE;
  double d = 0;
  gint64 i = 0;

  g_test_summary ("Every typed getter reads its key, even when it then fails on the type; "
                  "has(), get_keys() and get_config() read nothing");

  config = config_from_json ("{\"s\":\"x\",\"i\":1,\"d\":1.5,\"b\":true,\"strv\":[\"a\"],"
                             "\"items\":[{\"n\":1}],\"wrong\":\"text\",\"opt\":null,"
                             "\"obj\":{\"inner\":1,\"other\":2},\"untouched\":0}");

  g_assert_true (bk_config_get_string (config, "s", &str, &error));
  g_assert_true (bk_config_get_optional_int (config, "i", 0, &i, &error));
  g_assert_true (bk_config_get_double (config, "d", &d, &error));
  g_assert_true (bk_config_get_optional_boolean (config, "b", FALSE, &b, &error));
  g_assert_true (bk_config_get_string_array (config, "strv", &strv, &error));
  g_assert_true (bk_config_get_config_array (config, "items", &items, &error));
  g_assert_true (bk_config_get_optional_int (config, "opt", 3, &i, &error));
  g_assert_no_error (error);
  g_assert_false (bk_config_get_int (config, "wrong", &i, &error));
  g_clear_error (&error);
  g_assert_true (bk_config_has (config, "untouched"));
  g_strfreev (bk_config_get_keys (config));
  {
    g_autoptr(BkConfig) obj = sub_config (config, "obj");
    g_assert_true (bk_config_get_int (obj, "inner", &i, &error));
  }

  unread = bk_config_dup_unread_keys (config);
  joined = g_strjoinv ("|", unread);
  g_assert_cmpstr (joined, ==, "obj.other|untouched");
}

static void
test_config_key_source_json (void)
{
  g_autoptr(BkConfig) config = config_from_json ("{\"a\":{\"b\":1,\"n\":null}}");
  g_autoptr(BkConfig) a = sub_config (config, "a");
  g_autofree char *source = NULL;
  g_autofree char *sub_source = NULL;
  g_autofree char *absent = NULL;
  g_autofree char *null_source = NULL;

  g_test_summary ("A config from one document gives its own source for present keys");

  source = bk_config_dup_key_source (config, "a.b");
  sub_source = bk_config_dup_key_source (a, "b");
  absent = bk_config_dup_key_source (config, "a.c");
  null_source = bk_config_dup_key_source (config, "a.n");
  g_assert_cmpstr (source, ==, "mock-config");
  g_assert_cmpstr (sub_source, ==, "mock-config");
  g_assert_null (absent);
  g_assert_null (null_source);
}

static void
test_config_yaml_basic (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BkConfig) config = NULL;
  g_autoptr(BkConfig) empty = NULL;
  g_autofree char *mode = NULL;
  gint64 port = 0;

  g_test_summary ("bk_config_new_from_yaml parses one document with the core schema");

  config = bk_config_new_from_yaml ("backend:\n  listen:\n    port: 7007\n  mode: on\n"
                                    "  token: ${NOT_SUBSTITUTED}\n", -1, "inline", &error);
  g_assert_no_error (error);
  g_assert_true (bk_config_get_int (config, "backend.listen.port", &port, &error));
  g_assert_cmpint (port, ==, 7007);
  g_assert_true (bk_config_get_string (config, "backend.mode", &mode, &error));
  g_assert_cmpstr (mode, ==, "on");
  g_assert_cmpstr (bk_config_get_source (config), ==, "inline");

  empty = bk_config_new_from_yaml ("", 0, "empty", &error);
  g_assert_no_error (error);
  g_assert_false (bk_config_has (empty, "backend"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/config/string", test_config_string);

  for (guint i = 0; i < G_N_ELEMENTS (int_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/config/int/%s", int_cases[i].name);
      g_test_add_data_func_full (path, (gpointer) &int_cases[i], test_config_int, NULL);
    }

  for (guint i = 0; i < G_N_ELEMENTS (double_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/config/double/%s", double_cases[i].name);
      g_test_add_data_func_full (path, (gpointer) &double_cases[i], test_config_double, NULL);
    }

  for (guint i = 0; i < G_N_ELEMENTS (boolean_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/config/boolean/%s", boolean_cases[i].name);
      g_test_add_data_func_full (path, (gpointer) &boolean_cases[i], test_config_boolean, NULL);
    }

  g_test_add_func ("/config/string-array", test_config_string_array);
  g_test_add_func ("/config/sub-config", test_config_sub_config);
  g_test_add_func ("/config/sub-config/outlives-parent", test_config_sub_config_outlives_parent);
  g_test_add_func ("/config/config-array", test_config_config_array);

  for (guint i = 0; i < G_N_ELEMENTS (missing_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/config/missing/%s", missing_cases[i].name);
      g_test_add_data_func_full (path, (gpointer) &missing_cases[i], test_config_error, NULL);
    }

  for (guint i = 0; i < G_N_ELEMENTS (invalid_type_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/config/invalid-type/%s", invalid_type_cases[i].name);
      g_test_add_data_func_full (path, (gpointer) &invalid_type_cases[i], test_config_error, NULL);
    }

  g_test_add_func ("/config/optional/defaults", test_config_optional_defaults);
  g_test_add_func ("/config/optional/present", test_config_optional_present);
  g_test_add_func ("/config/keys", test_config_keys);
  g_test_add_func ("/config/has", test_config_has);
  g_test_add_func ("/config/dup-node", test_config_dup_node);

  for (guint i = 0; i < G_N_ELEMENTS (parse_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/config/parse-error/%s", parse_cases[i].name);
      g_test_add_data_func_full (path, (gpointer) &parse_cases[i], test_config_parse_error, NULL);
    }

  g_test_add_func ("/config/parse-error/message", test_config_parse_syntax_error_message);
  g_test_add_func ("/config/empty", test_config_empty);
  g_test_add_func ("/config/new/snapshot", test_config_new_snapshot);
  g_test_add_func ("/config/finalize", test_config_finalize);
  g_test_add_func ("/config/invalid-key", test_config_invalid_key);
  g_test_add_func ("/config/root-config/dup", test_config_root_config_dup);
  g_test_add_func ("/config/root-config/changed", test_config_root_config_changed);
  g_test_add_func ("/config/root-config/releases-old", test_config_root_config_releases_old);
  g_test_add_func ("/config/root-config/factory", test_config_root_config_factory);
  g_test_add_func ("/config/secrets/key-names", test_config_secrets_key_names);
  g_test_add_func ("/config/secrets/allowlist", test_config_secrets_allowlist);
  g_test_add_func ("/config/unread/getters", test_config_unread_getters);
  g_test_add_func ("/config/key-source/json", test_config_key_source_json);
  g_test_add_func ("/config/yaml/basic", test_config_yaml_basic);

  return g_test_run ();
}
