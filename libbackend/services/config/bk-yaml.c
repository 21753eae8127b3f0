/* bk-yaml.c: YAML 1.2 (core schema) → JsonNode, for the config loader.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "libbackend.h"
