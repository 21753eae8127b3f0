/* bk-logger-private.h: the default root logger and the GLib log writer.
 *
 * Exported from the shared library (bk_backend_run() and the tests use
 * them), never installed, not part of the GIR. Not for applications.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "libbackend.h"

G_BEGIN_DECLS

/* Creates a default root logger (what the `core.rootLogger` default factory
 * makes) reading `backend.logger.*` from @root_config and writing to
 * @output_fd, which it does not own: it must stay open while any logger made
 * from this one lives. The format is chosen from @output_fd (a terminal, the
 * journal, anything else) unless the config names one.
 *
 * @journald_writer: (nullable): a test seam. When given, the logger acts as
 * if @output_fd were the journal and hands each record to this function, as
 * an array of journald fields, instead of g_log_writer_journald().
 *
 * The logger becomes the process's current root logger: the GLib log writer
 * (see below) sends GLib's messages to it until it is finalized or another
 * default root logger is made.
 *
 * Fails with a %BK_CONFIG_ERROR naming the key and the value when the
 * config (or `LOG_LEVEL`) is invalid. */
BK_AVAILABLE_IN_ALL
BkLogger *_bk_root_logger_new                   (BkRootConfig    *root_config,
                                                 int              output_fd,
                                                 GLogWriterFunc   journald_writer,
                                                 gpointer         journald_writer_data,
                                                 GError         **error);

/* Installs, once per process, a GLib log writer (g_log_set_writer_func())
 * that sends every GLib message (g_message(), g_warning(), … from any log
 * domain) to the current default root logger, with the domain in a `domain`
 * field, or to g_log_writer_default() when there is none.
 *
 * bk_backend_run() calls it. It does nothing in a program that called
 * g_test_init() (gtest has its own handling of messages) and returns FALSE
 * then; TRUE when the writer is installed (now or before).
 *
 * GLib allows one writer per process and aborts on a second
 * g_log_set_writer_func(): a program that installs its own writer must not
 * call bk_backend_run(). */
BK_AVAILABLE_IN_ALL
gboolean  _bk_logger_install_glib_writer        (void);

/* The same, even in a gtest program: for a test (in a subprocess) of the
 * writer itself. */
BK_AVAILABLE_IN_ALL
void      _bk_logger_force_install_glib_writer  (void);

G_END_DECLS
