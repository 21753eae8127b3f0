/* fuzz-harness.h: what every libFuzzer target of fuzzing/ shares.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

int  LLVMFuzzerInitialize   (int            *argc,
                             char         ***argv);
int  LLVMFuzzerTestOneInput (const uint8_t  *data,
                             size_t          size);

void fuzz_harness_init      (const char     *target,
                             const char     *slice_blocks);
