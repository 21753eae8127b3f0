/* bk-mock-logger.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(BK_TEST_UTILS_INSIDE) && !defined(BK_TEST_UTILS_COMPILATION)
# error "Only <libbackend-test-utils.h> can be included directly."
#endif

#include <libbackend.h>

G_BEGIN_DECLS

#define BK_TYPE_MOCK_LOGGER (bk_mock_logger_get_type ())

BK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BkMockLogger, bk_mock_logger, BK, MOCK_LOGGER, GObject)

#define BK_TYPE_MOCK_LOGGER_RECORD (bk_mock_logger_record_get_type ())

typedef struct _BkMockLoggerRecord BkMockLoggerRecord;

BK_AVAILABLE_IN_ALL
GType               bk_mock_logger_record_get_type        (void) G_GNUC_CONST;
BK_AVAILABLE_IN_ALL
BkMockLoggerRecord *bk_mock_logger_record_ref             (BkMockLoggerRecord *record);
BK_AVAILABLE_IN_ALL
void                bk_mock_logger_record_unref           (BkMockLoggerRecord *record);
BK_AVAILABLE_IN_ALL
BkLogLevel          bk_mock_logger_record_get_level       (BkMockLoggerRecord *record);
BK_AVAILABLE_IN_ALL
const char         *bk_mock_logger_record_get_message     (BkMockLoggerRecord *record);
BK_AVAILABLE_IN_ALL
const char         *bk_mock_logger_record_get_field       (BkMockLoggerRecord *record,
                                                           const char         *key);
BK_AVAILABLE_IN_ALL
GHashTable         *bk_mock_logger_record_get_fields      (BkMockLoggerRecord *record);
BK_AVAILABLE_IN_ALL
char               *bk_mock_logger_record_to_string       (BkMockLoggerRecord *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BkMockLoggerRecord, bk_mock_logger_record_unref)

BK_AVAILABLE_IN_ALL
BkMockLogger       *bk_mock_logger_new                    (void);
BK_AVAILABLE_IN_ALL
guint               bk_mock_logger_count                  (BkMockLogger  *self,
                                                           BkLogLevel     level,
                                                           const char    *pattern);
BK_AVAILABLE_IN_ALL
char              **bk_mock_logger_dup_messages           (BkMockLogger  *self,
                                                           BkLogLevel     level);
BK_AVAILABLE_IN_ALL
GPtrArray          *bk_mock_logger_dup_records            (BkMockLogger  *self);
BK_AVAILABLE_IN_ALL
BkMockLoggerRecord *bk_mock_logger_find                   (BkMockLogger  *self,
                                                           BkLogLevel     level,
                                                           const char    *pattern);
BK_AVAILABLE_IN_ALL
BkMockLoggerRecord *bk_mock_logger_find_with_field        (BkMockLogger  *self,
                                                           BkLogLevel     level,
                                                           const char    *pattern,
                                                           const char    *key,
                                                           const char    *value);
BK_AVAILABLE_IN_ALL
void                bk_mock_logger_clear                  (BkMockLogger  *self);
BK_AVAILABLE_IN_ALL
char               *bk_mock_logger_dup_dump               (BkMockLogger  *self);
BK_AVAILABLE_IN_ALL
void                bk_mock_logger_dump                   (BkMockLogger  *self);
BK_AVAILABLE_IN_ALL
void                bk_mock_logger_assertion_logged       (BkMockLogger  *self,
                                                           const char    *domain,
                                                           const char    *file,
                                                           int            line,
                                                           const char    *func,
                                                           const char    *expr,
                                                           BkLogLevel     level,
                                                           const char    *pattern,
                                                           const char    *key,
                                                           const char    *value,
                                                           gboolean       expect_logged);

/**
 * bk_mock_logger_assert_logged:
 * @logger: a #BkMockLogger
 * @level: a #BkLogLevel
 * @pattern: (nullable): a glob for the message, or %NULL for any message
 *
 * Fails the test unless @logger (or a logger sharing its records) captured
 * a record at @level whose message matches @pattern. The failure message
 * lists every captured record.
 *
 * Since: 0.1
 */
#define bk_mock_logger_assert_logged(logger, level, pattern) \
  bk_mock_logger_assertion_logged ((logger), G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, \
                                   #logger ", " #level ", " #pattern, \
                                   (level), (pattern), NULL, NULL, TRUE)

/**
 * bk_mock_logger_assert_logged_with_field:
 * @logger: a #BkMockLogger
 * @level: a #BkLogLevel
 * @pattern: (nullable): a glob for the message, or %NULL for any message
 * @key: a field name
 * @value: the value the field must have
 *
 * Like [func@Bk.mock_logger_assert_logged], the record also carrying the
 * field @key with the value @value.
 *
 * Since: 0.1
 */
#define bk_mock_logger_assert_logged_with_field(logger, level, pattern, key, value) \
  bk_mock_logger_assertion_logged ((logger), G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, \
                                   #logger ", " #level ", " #pattern ", " #key ", " #value, \
                                   (level), (pattern), (key), (value), TRUE)

/**
 * bk_mock_logger_assert_not_logged:
 * @logger: a #BkMockLogger
 * @level: a #BkLogLevel
 * @pattern: (nullable): a glob for the message, or %NULL for any message
 *
 * Fails the test if @logger captured a record at @level whose message
 * matches @pattern, listing every captured record.
 *
 * Since: 0.1
 */
#define bk_mock_logger_assert_not_logged(logger, level, pattern) \
  bk_mock_logger_assertion_logged ((logger), G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, \
                                   #logger ", " #level ", " #pattern, \
                                   (level), (pattern), NULL, NULL, FALSE)

BK_AVAILABLE_IN_ALL
BkServiceFactory   *bk_mock_root_logger_factory_new       (void);
BK_AVAILABLE_IN_ALL
BkServiceFactory   *bk_mock_logger_factory_new            (void);

G_END_DECLS
