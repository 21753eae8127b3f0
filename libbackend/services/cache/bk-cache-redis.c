/* bk-cache-redis.c: the Redis store of core.cache, through hiredis.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One connection per backend, with hiredis' asynchronous API driven by the
 * backend's main context: a GSource watches the socket with the conditions
 * hiredis asks for (ev.addRead and friends) and calls redisAsyncHandleRead
 * and redisAsyncHandleWrite. hiredis 0.14 has no timeouts, URL parsing or
 * reconnection of its own, so this file adds them on core.rootClock:
 *
 * - every command has a timer (`backend.cache.redis.commandTimeout`); when
 *   it fires first, the command fails with BK_CACHE_ERROR_TIMEOUT and the
 *   connection is dropped (its other commands fail with
 *   BK_CACHE_ERROR_UNAVAILABLE): a server that stopped answering cannot
 *   hold calls for ever;
 * - after a lost or refused connection, calls fail at once with
 *   BK_CACHE_ERROR_UNAVAILABLE naming the address and the cause, while a
 *   timer reconnects with a backoff from 100 ms, doubling up to 5 s;
 *   commands sent while a connection is being set up wait for it (bounded
 *   by their timeout);
 * - a root shutdown hook closes the connection; later calls fail with
 *   BK_CACHE_ERROR_CLOSED.
 *
 * hiredis writes with write(2), not send(MSG_NOSIGNAL): the first Redis
 * store sets SIGPIPE to ignored when it is at its default disposition.
 */

#include <signal.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "bk-cache-private.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define SCAN_COUNT     "500"

typedef enum
{
  STATE_DISCONNECTED,
  STATE_CONNECTING,
  STATE_CONNECTED,
  STATE_CLOSED,
} State;

struct _BkCacheRedisStore
{
  BkCacheStore         parent_instance;

  BkCacheRedisOptions  options;
  BkClock             *clock;
  BkLogger            *logger;
  GMainContext        *context;

  redisAsyncContext   *ac;           /* NULL while disconnected */
  State                state;
  char                *last_error;   /* why the last connection ended */
  guint                reconnect_id;
  guint64              backoff_ms;
  gboolean             down_logged;
};

#define BK_TYPE_CACHE_REDIS_STORE (bk_cache_redis_store_get_type ())
G_DECLARE_FINAL_TYPE (BkCacheRedisStore, bk_cache_redis_store, BK, CACHE_REDIS_STORE, BkCacheStore)
G_DEFINE_FINAL_TYPE (BkCacheRedisStore, bk_cache_redis_store, BK_TYPE_CACHE_STORE)

/* Options ------------------------------------------------------------------------------------ */

void
_bk_cache_redis_options_clear (BkCacheRedisOptions *options)
{
  g_clear_pointer (&options->host, g_free);
  g_clear_pointer (&options->socket_path, g_free);
  g_clear_pointer (&options->user, g_free);
  g_clear_pointer (&options->password, g_free);
  g_clear_pointer (&options->address, g_free);
}

static gboolean
parse_db (const char  *text,
          guint       *db,
          GError     **error)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT, &value, NULL))
    {
      g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                   "the database '%s' is not a number", text);
      return FALSE;
    }
  *db = (guint) value;
  return TRUE;
}

gboolean
_bk_cache_redis_parse_connection (const char           *connection,
                                  BkCacheRedisOptions  *options,
                                  GError              **error)
{
  g_autoptr(GUri) uri = g_uri_parse (connection, G_URI_FLAGS_HAS_PASSWORD, NULL);
  const char *scheme;
  const char *user;
  const char *password;

  if (uri == NULL)
    {
      g_set_error_literal (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                           "the connection is not a URI; expected redis://host:port[/db] "
                           "or unix:///path/to/socket");
      return FALSE;
    }

  scheme = g_uri_get_scheme (uri);
  user = g_uri_get_user (uri);
  password = g_uri_get_password (uri);
  options->user = user != NULL && *user != '\0' ? g_strdup (user) : NULL;
  options->password = password != NULL && *password != '\0' ? g_strdup (password) : NULL;

  if (g_ascii_strcasecmp (scheme, "redis") == 0)
    {
      const char *host = g_uri_get_host (uri);
      const char *path = g_uri_get_path (uri);

      if (host == NULL || *host == '\0')
        {
          g_set_error_literal (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                               "the connection names no host; expected redis://host:port[/db]");
          return FALSE;
        }
      options->host = g_strdup (host);
      options->port = g_uri_get_port (uri) > 0 ? (guint) g_uri_get_port (uri) : 6379;
      if (*path == '/')
        path++;
      if (*path != '\0' && !parse_db (path, &options->db, error))
        return FALSE;
      options->address = g_strdup_printf (strchr (host, ':') != NULL ? "redis://[%s]:%u/%u" : "redis://%s:%u/%u",
                                          host, options->port, options->db);
      return TRUE;
    }

  if (g_ascii_strcasecmp (scheme, "unix") == 0 || g_ascii_strcasecmp (scheme, "redis+unix") == 0)
    {
      const char *path = g_uri_get_path (uri);
      const char *query = g_uri_get_query (uri);

      if (!g_path_is_absolute (path))
        {
          g_set_error_literal (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                               "the connection names no socket; expected unix:///path/to/socket");
          return FALSE;
        }
      options->socket_path = g_strdup (path);
      if (query != NULL)
        {
          g_autoptr(GHashTable) params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
          const char *db = params != NULL ? g_hash_table_lookup (params, "db") : NULL;

          if (db != NULL && !parse_db (db, &options->db, error))
            return FALSE;
        }
      options->address = options->db != 0 ? g_strdup_printf ("unix://%s?db=%u", path, options->db)
                                           : g_strdup_printf ("unix://%s", path);
      return TRUE;
    }

  if (g_ascii_strcasecmp (scheme, "rediss") == 0)
    g_set_error_literal (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                         "TLS connections (rediss://) are not supported; "
                         "expected redis://host:port[/db] or unix:///path/to/socket");
  else
    g_set_error (error, BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE,
                 "unsupported scheme '%s'; expected redis://host:port[/db] or unix:///path/to/socket",
                 scheme);
  return FALSE;
}

/* hiredis on a GMainContext ------------------------------------------------------------------ */

typedef struct
{
  GSource            source;
  redisAsyncContext *ac;
  gpointer           tag;
  GIOCondition       events;
} RedisSource;

static gboolean
redis_source_dispatch (GSource     *source,
                       GSourceFunc  callback,
                       gpointer     user_data)
{
  RedisSource *rs = (RedisSource *) source;
  GIOCondition revents = rs->tag != NULL ? g_source_query_unix_fd (source, rs->tag) : 0;

  /* Either may free the context, which destroys this source. */
  if (revents & (G_IO_IN | G_IO_HUP | G_IO_ERR))
    redisAsyncHandleRead (rs->ac);
  if (!g_source_is_destroyed (source) && (revents & G_IO_OUT))
    redisAsyncHandleWrite (rs->ac);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs redis_source_funcs = {
  .dispatch = redis_source_dispatch,
};

static void
redis_source_update (RedisSource  *rs,
                     GIOCondition  add,
                     GIOCondition  remove)
{
  rs->events = (rs->events | add) & ~remove;
  if (rs->tag == NULL)
    rs->tag = g_source_add_unix_fd (&rs->source, rs->ac->c.fd, rs->events);
  else
    g_source_modify_unix_fd (&rs->source, rs->tag, rs->events);
}

static void
ev_add_read (void *data)
{
  redis_source_update (data, G_IO_IN, 0);
}

static void
ev_del_read (void *data)
{
  redis_source_update (data, 0, G_IO_IN);
}

static void
ev_add_write (void *data)
{
  redis_source_update (data, G_IO_OUT, 0);
}

static void
ev_del_write (void *data)
{
  redis_source_update (data, 0, G_IO_OUT);
}

static void
ev_cleanup (void *data)
{
  RedisSource *rs = data;
  redisAsyncContext *ac = rs->ac;

  ac->ev.data = NULL;
  ac->ev.addRead = ac->ev.delRead = NULL;
  ac->ev.addWrite = ac->ev.delWrite = NULL;
  ac->ev.cleanup = NULL;
  g_source_destroy (&rs->source);
  g_source_unref (&rs->source);
}

static void
redis_source_attach (redisAsyncContext *ac,
                     GMainContext      *context)
{
  RedisSource *rs = (RedisSource *) g_source_new (&redis_source_funcs, sizeof (RedisSource));

  rs->ac = ac;
  g_source_set_static_name (&rs->source, "[libbackend] Redis connection");
  g_source_attach (&rs->source, context);
  ac->ev.data = rs;
  ac->ev.addRead = ev_add_read;
  ac->ev.delRead = ev_del_read;
  ac->ev.addWrite = ev_add_write;
  ac->ev.delWrite = ev_del_write;
  ac->ev.cleanup = ev_cleanup;
}

/* Errors ----------------------------------------------------------------------------------- */

static GError *
unavailable_error (BkCacheRedisStore *self,
                   const char        *reason)
{
  if (self->state == STATE_CLOSED)
    return g_error_new_literal (BK_CACHE_ERROR, BK_CACHE_ERROR_CLOSED, "The cache has been shut down");
  if (reason == NULL)
    reason = self->last_error != NULL ? self->last_error : "the connection was closed";
  return g_error_new (BK_CACHE_ERROR, BK_CACHE_ERROR_UNAVAILABLE,
                      "Redis at %s is unavailable: %s", self->options.address, reason);
}

/* Connection --------------------------------------------------------------------------------- */

static void connect_now (BkCacheRedisStore *self);

static void
reconnect_cb (gpointer user_data)
{
  BkCacheRedisStore *self = user_data;

  self->reconnect_id = 0;
  connect_now (self);
}

/* The connection is gone (or never came): calls fail fast until the
 * reconnect timer brings it back. */
static void
set_disconnected (BkCacheRedisStore *self,
                  const char        *reason)
{
  if (self->state == STATE_CLOSED)
    return;

  self->state = STATE_DISCONNECTED;
  g_free (self->last_error);
  self->last_error = g_strdup (reason != NULL && *reason != '\0' ? reason : "the connection was closed");
  if (!self->down_logged)
    bk_logger_warn (self->logger, "Redis at %s is unavailable: %s; reconnecting",
                    self->options.address, self->last_error);
  self->down_logged = TRUE;

  if (self->reconnect_id == 0)
    self->reconnect_id = bk_clock_add_timer (self->clock, self->backoff_ms, reconnect_cb, self, NULL);
  self->backoff_ms = MIN (self->backoff_ms * 2, BACKOFF_MAX_MS);
}

/* Closes the connection now: its pending commands fail. */
static void
drop_connection (BkCacheRedisStore *self,
                 const char        *reason)
{
  redisAsyncContext *ac = self->ac;

  if (ac == NULL)
    return;
  self->ac = NULL;
  set_disconnected (self, reason);
  redisAsyncFree (ac);
}

typedef void (*ReplyFunc) (BkCacheRedisStore *self,
                           redisReply        *reply,
                           const GError      *error,
                           gpointer           data);

typedef struct
{
  BkCacheRedisStore *self;
  ReplyFunc          func;
  gpointer           data;
  guint              timer;
  gboolean           answered;
} Command;

static void
command_free (Command *cmd)
{
  g_object_unref (cmd->self);
  g_free (cmd);
}

static void
on_reply (redisAsyncContext *ac,
          void              *r,
          void              *privdata)
{
  Command *cmd = privdata;
  BkCacheRedisStore *self = cmd->self;
  redisReply *reply = r;

  if (!cmd->answered)
    {
      cmd->answered = TRUE;
      if (cmd->timer != 0)
        bk_clock_cancel_timer (self->clock, cmd->timer);
      cmd->timer = 0;

      if (reply == NULL)
        {
          g_autoptr(GError) error = unavailable_error (self, ac->err != 0 ? ac->errstr : NULL);

          cmd->func (self, NULL, error, cmd->data);
        }
      else if (reply->type == REDIS_REPLY_ERROR)
        {
          g_autoptr(GError) error = g_error_new (BK_CACHE_ERROR, BK_CACHE_ERROR_FAILED,
                                                 "Redis at %s answered: %s",
                                                 self->options.address, reply->str);

          cmd->func (self, NULL, error, cmd->data);
        }
      else
        cmd->func (self, reply, NULL, cmd->data);
    }
  command_free (cmd);
}

static void
on_timeout (gpointer user_data)
{
  Command *cmd = user_data;
  g_autoptr(BkCacheRedisStore) self = g_object_ref (cmd->self);
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  ReplyFunc func = cmd->func;
  gpointer data = cmd->data;

  cmd->timer = 0;
  cmd->answered = TRUE;
  error = g_error_new (BK_CACHE_ERROR, BK_CACHE_ERROR_TIMEOUT,
                       "Redis at %s did not answer within %" G_GUINT64_FORMAT " ms; "
                       "the connection was dropped",
                       self->options.address, self->options.command_timeout_ms);

  /* Frees @cmd (hiredis calls on_reply with no reply). */
  reason = g_strdup_printf ("a command was not answered within %" G_GUINT64_FORMAT " ms",
                            self->options.command_timeout_ms);
  drop_connection (self, reason);
  func (self, NULL, error, data);
}

/* Sends a command; @func is called exactly once, at once when the store is
 * disconnected. */
static void
send_command (BkCacheRedisStore *self,
              int                argc,
              const char       **argv,
              const size_t      *argvlen,
              ReplyFunc          func,
              gpointer           data)
{
  Command *cmd;

  if (self->ac == NULL)
    {
      g_autoptr(GError) error = unavailable_error (self, NULL);

      func (self, NULL, error, data);
      return;
    }

  cmd = g_new0 (Command, 1);
  cmd->self = g_object_ref (self);
  cmd->func = func;
  cmd->data = data;
  if (redisAsyncCommandArgv (self->ac, on_reply, cmd, argc, argv, argvlen) != REDIS_OK)
    {
      g_autoptr(GError) error = unavailable_error (self, self->ac->errstr[0] != '\0'
                                                         ? self->ac->errstr : "the command could not be sent");

      func (self, NULL, error, data);
      command_free (cmd);
      return;
    }
  cmd->timer = bk_clock_add_timer (self->clock, self->options.command_timeout_ms, on_timeout, cmd, NULL);
}

static void
on_connect (const redisAsyncContext *ac,
            int                      status)
{
  BkCacheRedisStore *self = ac->data;

  if (self == NULL || self->ac != ac)
    return;

  if (status != REDIS_OK)
    {
      /* hiredis frees the context after this returns. */
      self->ac = NULL;
      set_disconnected (self, ac->errstr);
      return;
    }

  self->state = STATE_CONNECTED;
  self->backoff_ms = BACKOFF_MIN_MS;
  if (self->down_logged)
    bk_logger_info (self->logger, "Redis at %s is available again", self->options.address);
  self->down_logged = FALSE;
}

static void
on_disconnect (const redisAsyncContext *ac,
               int                      status)
{
  BkCacheRedisStore *self = ac->data;

  if (self == NULL || self->ac != ac)
    return;
  self->ac = NULL;
  set_disconnected (self, ac->err != 0 ? ac->errstr : "the server closed the connection");
}

/* AUTH and SELECT, sent first on each connection: a failure ends it. */
static void
on_handshake (BkCacheRedisStore *self,
              redisReply        *reply,
              const GError      *error,
              gpointer           data)
{
  if (error != NULL && g_error_matches (error, BK_CACHE_ERROR, BK_CACHE_ERROR_FAILED))
    {
      g_autofree char *reason = g_strdup_printf ("%s failed: %s", (const char *) data, error->message);

      drop_connection (self, reason);
    }
}

static void
connect_now (BkCacheRedisStore *self)
{
  redisAsyncContext *ac;

  if (self->options.socket_path != NULL)
    ac = redisAsyncConnectUnix (self->options.socket_path);
  else
    ac = redisAsyncConnect (self->options.host, (int) self->options.port);

  if (ac == NULL || ac->err != 0)
    {
      g_autofree char *reason = g_strdup (ac != NULL ? ac->errstr : "out of memory");

      if (ac != NULL)
        redisAsyncFree (ac);
      set_disconnected (self, reason);
      return;
    }

  ac->data = self;
  redis_source_attach (ac, self->context);
  self->ac = ac;
  self->state = STATE_CONNECTING;
  redisAsyncSetConnectCallback (ac, on_connect);
  redisAsyncSetDisconnectCallback (ac, on_disconnect);

  if (self->options.password != NULL)
    {
      const char *argv[] = { "AUTH", self->options.user, self->options.password };

      if (self->options.user != NULL)
        send_command (self, 3, argv, NULL, on_handshake, (gpointer) "AUTH");
      else
        {
          argv[1] = self->options.password;
          send_command (self, 2, argv, NULL, on_handshake, (gpointer) "AUTH");
        }
    }
  if (self->options.db != 0 && self->ac != NULL)
    {
      g_autofree char *db = g_strdup_printf ("%u", self->options.db);
      const char *argv[] = { "SELECT", db };

      send_command (self, 2, argv, NULL, on_handshake, (gpointer) "SELECT");
    }
}

/* Commands ------------------------------------------------------------------------------------ */

typedef struct
{
  BkCacheStoreFunc  func;
  gpointer          data;
  char             *pattern;   /* clear */
  char             *cursor;    /* clear */
} Op;

static Op *
op_new (BkCacheStoreFunc func,
        gpointer         data)
{
  Op *op = g_new0 (Op, 1);

  op->func = func;
  op->data = data;
  return op;
}

/* Calls the store function and frees @op. */
static void
op_finish (Op           *op,
           GBytes       *value,
           const GError *error)
{
  op->func (op->data, value, error);
  g_free (op->pattern);
  g_free (op->cursor);
  g_free (op);
}

static void
unexpected_reply (BkCacheRedisStore *self,
                  Op                *op,
                  const char        *command)
{
  g_autoptr(GError) error = g_error_new (BK_CACHE_ERROR, BK_CACHE_ERROR_FAILED,
                                         "Redis at %s gave an unexpected reply to %s",
                                         self->options.address, command);

  op_finish (op, NULL, error);
}

static void
on_get (BkCacheRedisStore *self,
        redisReply        *reply,
        const GError      *error,
        gpointer           data)
{
  g_autoptr(GBytes) value = NULL;

  if (error != NULL)
    {
      op_finish (data, NULL, error);
      return;
    }
  if (reply->type == REDIS_REPLY_STRING)
    value = g_bytes_new (reply->str, reply->len);
  else if (reply->type != REDIS_REPLY_NIL)
    {
      unexpected_reply (self, data, "GET");
      return;
    }
  op_finish (data, value, NULL);
}

static void
on_done (BkCacheRedisStore *self,
         redisReply        *reply,
         const GError      *error,
         gpointer           data)
{
  op_finish (data, NULL, error);
}

static void
bk_cache_redis_store_get (BkCacheStore     *store,
                          const char       *key,
                          BkCacheStoreFunc  func,
                          gpointer          data)
{
  const char *argv[] = { "GET", key };

  send_command (BK_CACHE_REDIS_STORE (store), 2, argv, NULL, on_get, op_new (func, data));
}

static void
bk_cache_redis_store_set (BkCacheStore     *store,
                          const char       *key,
                          GBytes           *value,
                          guint64           ttl_ms,
                          BkCacheStoreFunc  func,
                          gpointer          data)
{
  char ttl[24];   /* 20 digits at most */
  size_t ttl_len = g_snprintf (ttl, sizeof ttl, "%" G_GUINT64_FORMAT, ttl_ms);
  gsize size;
  const char *bytes = g_bytes_get_data (value, &size);
  const char *argv[] = { "SET", key, bytes != NULL ? bytes : "", "PX", ttl };
  size_t argvlen[] = { 3, strlen (key), size, 2, ttl_len };

  send_command (BK_CACHE_REDIS_STORE (store), ttl_ms != 0 ? 5 : 3, argv, argvlen,
                on_done, op_new (func, data));
}

static void
bk_cache_redis_store_delete (BkCacheStore     *store,
                             const char       *key,
                             BkCacheStoreFunc  func,
                             gpointer          data)
{
  const char *argv[] = { "DEL", key };

  send_command (BK_CACHE_REDIS_STORE (store), 2, argv, NULL, on_done, op_new (func, data));
}

static void scan_next (BkCacheRedisStore *self,
                       Op                *op);

static void
on_clear_deleted (BkCacheRedisStore *self,
                  redisReply        *reply,
                  const GError      *error,
                  gpointer           data)
{
  Op *op = data;

  if (error != NULL || g_str_equal (op->cursor, "0"))
    op_finish (op, NULL, error);
  else
    scan_next (self, op);
}

static void
on_scan (BkCacheRedisStore *self,
         redisReply        *reply,
         const GError      *error,
         gpointer           data)
{
  Op *op = data;
  redisReply *keys;
  g_autofree const char **argv = NULL;
  g_autofree size_t *argvlen = NULL;

  if (error != NULL)
    {
      op_finish (op, NULL, error);
      return;
    }
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
      reply->element[0]->type != REDIS_REPLY_STRING || reply->element[1]->type != REDIS_REPLY_ARRAY)
    {
      unexpected_reply (self, op, "SCAN");
      return;
    }

  g_free (op->cursor);
  op->cursor = g_strdup (reply->element[0]->str);
  keys = reply->element[1];
  if (keys->elements == 0)
    {
      on_clear_deleted (self, NULL, NULL, op);
      return;
    }

  argv = g_new (const char *, keys->elements + 1);
  argvlen = g_new (size_t, keys->elements + 1);
  argv[0] = "DEL";
  argvlen[0] = 3;
  for (size_t i = 0; i < keys->elements; i++)
    {
      argv[i + 1] = keys->element[i]->str;
      argvlen[i + 1] = keys->element[i]->len;
    }
  send_command (self, (int) keys->elements + 1, argv, argvlen, on_clear_deleted, op);
}

static void
scan_next (BkCacheRedisStore *self,
           Op                *op)
{
  const char *argv[] = { "SCAN", op->cursor, "MATCH", op->pattern, "COUNT", SCAN_COUNT };

  send_command (self, G_N_ELEMENTS (argv), argv, NULL, on_scan, op);
}

/* @prefix with the glob characters of SCAN's MATCH escaped, then `*`. */
static char *
prefix_pattern (const char *prefix)
{
  GString *pattern = g_string_new (NULL);

  for (const char *p = prefix; *p != '\0'; p++)
    {
      if (strchr ("*?[]\\", *p) != NULL)
        g_string_append_c (pattern, '\\');
      g_string_append_c (pattern, *p);
    }
  g_string_append_c (pattern, '*');
  return g_string_free (pattern, FALSE);
}

static void
bk_cache_redis_store_clear (BkCacheStore     *store,
                            const char       *prefix,
                            BkCacheStoreFunc  func,
                            gpointer          data)
{
  Op *op = op_new (func, data);

  op->pattern = prefix_pattern (prefix);
  op->cursor = g_strdup ("0");
  scan_next (BK_CACHE_REDIS_STORE (store), op);
}

static void
bk_cache_redis_store_shutdown (BkCacheStore *store)
{
  BkCacheRedisStore *self = BK_CACHE_REDIS_STORE (store);
  redisAsyncContext *ac = g_steal_pointer (&self->ac);

  self->state = STATE_CLOSED;
  if (self->reconnect_id != 0)
    bk_clock_cancel_timer (self->clock, self->reconnect_id);
  self->reconnect_id = 0;
  if (ac != NULL)
    redisAsyncFree (ac);
}

static void
bk_cache_redis_store_finalize (GObject *object)
{
  BkCacheRedisStore *self = BK_CACHE_REDIS_STORE (object);
  redisAsyncContext *ac = g_steal_pointer (&self->ac);

  if (self->reconnect_id != 0)
    bk_clock_cancel_timer (self->clock, self->reconnect_id);
  if (ac != NULL)
    {
      ac->data = NULL;
      redisAsyncFree (ac);
    }
  _bk_cache_redis_options_clear (&self->options);
  g_clear_pointer (&self->last_error, g_free);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->clock);
  g_clear_object (&self->logger);

  G_OBJECT_CLASS (bk_cache_redis_store_parent_class)->finalize (object);
}

static void
bk_cache_redis_store_class_init (BkCacheRedisStoreClass *klass)
{
  BkCacheStoreClass *store_class = BK_CACHE_STORE_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = bk_cache_redis_store_finalize;
  store_class->get = bk_cache_redis_store_get;
  store_class->set = bk_cache_redis_store_set;
  store_class->delete = bk_cache_redis_store_delete;
  store_class->clear = bk_cache_redis_store_clear;
  store_class->shutdown = bk_cache_redis_store_shutdown;
}

static void
bk_cache_redis_store_init (BkCacheRedisStore *self)
{
  self->backoff_ms = BACKOFF_MIN_MS;
}

BkCacheStore *
_bk_cache_redis_store_new (BkCacheRedisOptions *options,
                           BkClock             *clock,
                           BkLogger            *logger)
{
  BkCacheRedisStore *self = g_object_new (BK_TYPE_CACHE_REDIS_STORE, NULL);

  self->options = *options;
  memset (options, 0, sizeof *options);
  self->clock = g_object_ref (clock);
  self->logger = g_object_ref (logger);
  self->context = g_main_context_ref_thread_default ();

  /* hiredis writes with write(2): a server that went away would kill the
   * process with SIGPIPE. Ignore it unless the application handles it. */
  {
    struct sigaction current;

    if (sigaction (SIGPIPE, NULL, &current) == 0 && current.sa_handler == SIG_DFL)
      signal (SIGPIPE, SIG_IGN);
  }

  connect_now (self);
  return BK_CACHE_STORE (self);
}
