/* bench-http-bare.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The baseline of bench-http: a bare SoupServer, no libbackend, that
 * answers `GET /api/bench/hello` with `{"hello":"world"}` (the body and
 * content type of the libbackend route) and
 * `GET /.backstage/health/v1/liveness` with `{"status":"ok"}`, so the
 * startup probe asks both programs the same thing. Anything else is a
 * plain 404. Listens on 127.0.0.1:PORT until SIGINT or SIGTERM.
 *
 * Usage: bench-http-bare PORT
 */

#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>
#include <libsoup/soup.h>

#define JSON_TYPE "application/json; charset=utf-8"
#define HELLO "{\"hello\":\"world\"}"
#define LIVE "{\"status\":\"ok\"}"

static void
handle (SoupServer        *server,
        SoupServerMessage *message,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  const char *method = soup_server_message_get_method (message);
  gboolean get = strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0;

  if (get && strcmp (path, "/api/bench/hello") == 0)
    {
      soup_server_message_set_status (message, 200, NULL);
      soup_server_message_set_response (message, JSON_TYPE, SOUP_MEMORY_STATIC, HELLO, strlen (HELLO));
    }
  else if (get && strcmp (path, "/.backstage/health/v1/liveness") == 0)
    {
      soup_server_message_set_status (message, 200, NULL);
      soup_server_message_set_response (message, JSON_TYPE, SOUP_MEMORY_STATIC, LIVE, strlen (LIVE));
    }
  else
    soup_server_message_set_status (message, 404, NULL);
}

static gboolean
quit (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;
  guint64 port = 0;

  if (argc != 2 || !g_ascii_string_to_unsigned (argv[1], 10, 0, G_MAXUINT16, &port, NULL))
    {
      g_printerr ("usage: %s PORT\n", argv[0]);
      return EXIT_FAILURE;
    }

  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, handle, NULL, NULL);
  address = g_inet_socket_address_new_from_string ("127.0.0.1", (guint) port);
  if (!soup_server_listen (server, address, 0, &error))
    {
      g_printerr ("bench-http-bare: %s\n", error->message);
      return EXIT_FAILURE;
    }

  g_unix_signal_add (SIGINT, quit, loop);
  g_unix_signal_add (SIGTERM, quit, loop);
  g_main_loop_run (loop);
  soup_server_disconnect (server);

  return EXIT_SUCCESS;
}
