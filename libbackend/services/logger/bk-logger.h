/* bk-logger.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_INSIDE) && !defined(BK_COMPILATION)
# error "Only <libbackend.h> can be included directly."
#endif

#include "bk-types.h"

G_BEGIN_DECLS

/**
 * BkLogLevel:
 * @BK_LOG_LEVEL_ERROR: an error
 * @BK_LOG_LEVEL_WARN: a warning
 * @BK_LOG_LEVEL_INFO: information
 * @BK_LOG_LEVEL_DEBUG: debugging detail
 *
 * The level of a log record.
 *
 * Since: 0.1
 */
typedef enum
{
  BK_LOG_LEVEL_ERROR,
  BK_LOG_LEVEL_WARN,
  BK_LOG_LEVEL_INFO,
  BK_LOG_LEVEL_DEBUG,
} BkLogLevel;

#define BK_TYPE_LOGGER (bk_logger_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (BkLogger, bk_logger, BK, LOGGER, GObject)

/**
 * BkLoggerInterface:
 * @parent_iface: the parent interface
 * @log: writes one record; @fields maps field names to string values
 * @child: returns a logger that adds @fields to every record
 * @is_enabled: returns %FALSE when @log would drop every record
 *   at @level whatever its fields; may be %NULL, which means always %TRUE
 *
 * The `core.rootLogger` and `core.logger` services.
 *
 * Since: 0.1
 */
struct _BkLoggerInterface
{
  GTypeInterface parent_iface;

  void      (*log)   (BkLogger    *self,
                      BkLogLevel   level,
                      GHashTable  *fields,
                      const char  *message);
  BkLogger *(*child) (BkLogger    *self,
                      GHashTable  *fields);
  gboolean  (*is_enabled) (BkLogger   *self,
                           BkLogLevel  level);
};

BK_AVAILABLE_IN_ALL
void      bk_logger_log        (BkLogger   *self,
                                BkLogLevel  level,
                                GHashTable *fields,
                                const char *message);
BK_AVAILABLE_IN_ALL
gboolean  bk_logger_is_enabled (BkLogger   *self,
                                BkLogLevel  level);
BK_AVAILABLE_IN_ALL
BkLogger *bk_logger_child      (BkLogger   *self,
                                GHashTable *fields);
BK_AVAILABLE_IN_ALL
BkLogger *bk_logger_child_with (BkLogger   *self,
                                const char *first_key,
                                ...) G_GNUC_NULL_TERMINATED;
BK_AVAILABLE_IN_ALL
void      bk_logger_error      (BkLogger   *self,
                                const char *format,
                                ...) G_GNUC_PRINTF (2, 3);
BK_AVAILABLE_IN_ALL
void      bk_logger_warn       (BkLogger   *self,
                                const char *format,
                                ...) G_GNUC_PRINTF (2, 3);
BK_AVAILABLE_IN_ALL
void      bk_logger_info       (BkLogger   *self,
                                const char *format,
                                ...) G_GNUC_PRINTF (2, 3);
BK_AVAILABLE_IN_ALL
void      bk_logger_debug      (BkLogger   *self,
                                const char *format,
                                ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
