/* bk-duration-private.h: durations written the way Backstage config writes
 * them, for every timeout and interval libbackend reads from config.
 *
 * Exported from the shared library so the tests can check the parser table
 * by table; never installed, not part of the GIR. Not for applications.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "libbackend.h"

G_BEGIN_DECLS

/* The longest duration accepted, in milliseconds: one that still fits in a
 * gint64 of microseconds (about 292 000 years). */
#define BK_DURATION_MAX_MS ((guint64) (G_MAXINT64 / 1000))

/* Parses a duration string into milliseconds. Accepted forms (white space
 * around the whole string is ignored):
 *
 * - a number of milliseconds: "1500", "2.5";
 * - a number and a unit, as the `ms` package that Backstage uses: "500ms",
 *   "30s", "2m", "1.5h", "7d", "2w", "1y", "10 seconds", "1 minute"; units
 *   are case-insensitive: ms msec msecs millisecond milliseconds, s sec secs
 *   second seconds, m min mins minute minutes, h hr hrs hour hours, d day
 *   days, w week weeks, y yr yrs year years;
 * - an ISO 8601 duration, as Luxon reads it: "PT30S", "PT1M30S", "P1DT2H",
 *   "P2W" (fractions allowed: "PT0.5S").
 *
 * A year is 365 days and a month (ISO `M` in the date part) 30 days.
 * Negative durations and durations above BK_DURATION_MAX_MS are refused. A
 * result is rounded to the nearest millisecond.
 *
 * On failure @error (BK_CONFIG_ERROR, BK_CONFIG_ERROR_INVALID_TYPE) holds the
 * reason only, e.g. "unknown unit 'sex'; expected ms, s, m, h, d, w or y";
 * callers put the value and where it came from in front. */
BK_AVAILABLE_IN_ALL
gboolean _bk_duration_parse       (const char  *text,
                                   guint64     *out_ms,
                                   GError     **error);

/* Reads the duration at @key of @config, in any of Backstage's forms:
 *
 * - a number: milliseconds (`hookTimeout: 30000`);
 * - a string: as _bk_duration_parse() (`hookTimeout: 30s`, `PT30S`);
 * - an object of human duration fields, summed: `{ minutes: 1, seconds: 30 }`
 *   with any of years, months, weeks, days, hours, minutes, seconds and
 *   milliseconds (numbers, fractions allowed).
 *
 * An absent key (or `null`) gives @default_ms. Every failure is a
 * BK_CONFIG_ERROR naming the full key and the source it came from:
 *
 *   Invalid duration '30 sex' in config at 'backend.lifecycle.hookTimeout' in 'app-config.yaml', unknown unit 'sex'; expected ms, s, m, h, d, w or y
 *   Invalid type in config for key 'backend.lifecycle.hookTimeout' in 'app-config.yaml', got boolean, wanted duration (milliseconds, a string such as '30s', or an object such as { seconds: 30 })
 *   Invalid duration in config at 'backend.lifecycle.hookTimeout' in 'app-config.yaml', unknown field 'secs'; expected one or more of years, months, weeks, days, hours, minutes, seconds, milliseconds
 *
 * (code BK_CONFIG_ERROR_INVALID_TYPE; a field of an object that is not a
 * number fails as bk_config_get_double() does, naming
 * `<key>.<field>`). @out_ms is left untouched on failure. The value is read
 * through the typed getters, so the key counts as read. */
BK_AVAILABLE_IN_ALL
gboolean _bk_duration_from_config (BkConfig    *config,
                                   const char  *key,
                                   guint64      default_ms,
                                   guint64     *out_ms,
                                   GError     **error);

G_END_DECLS
