/* fuzz-harness.c: what every libFuzzer target of fuzzing/ shares.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-harness.h"

/* Prints and aborts on a warning or worse (libFuzzer then saves the input;
 * GLib's own fatal path would raise SIGTRAP, which libFuzzer ignores), and
 * drops the rest. */
static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags   log_level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  const char *target = user_data;
  g_autofree char *line = NULL;

  if ((log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) == 0)
    return G_LOG_WRITER_HANDLED;

  line = g_log_writer_format_fields (log_level, fields, n_fields, FALSE);
  fprintf (stderr, "%s: a GLib message from the input:%s\n", target, line);
  abort ();
}

/* For LLVMFuzzerInitialize(): makes GLib warnings and criticals fatal, and
 * says when G_SLICE=always-malloc is missing, without which leaks of GSlice
 * blocks (@slice_blocks names the ones the target makes) go unseen.
 * @target (a static string) names the target in what it prints. */
void
fuzz_harness_init (const char *target,
                   const char *slice_blocks)
{
  const char *slice = g_getenv ("G_SLICE");

  if (slice == NULL || strstr (slice, "always-malloc") == NULL)
    fprintf (stderr, "%s: G_SLICE=always-malloc is not set, "
                     "leaks of GSlice blocks (%s) go unseen\n", target, slice_blocks);

  g_log_set_writer_func (fuzz_log_writer, (gpointer) target, NULL);
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}
