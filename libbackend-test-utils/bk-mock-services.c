/* bk-mock-services.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbackend-test-utils.h>

/**
 * bk_mock_default_factories:
 *
 * Creates the default factories of a test backend (and of a
 * [class@Bk.ServiceFactoryTester]): a mock root config (`{}`), a mock root
 * logger, a mock plugin logger, a [class@Bk.MockClock] as `core.rootClock`,
 * and [class@Bk.MockLifecycle]s as `core.rootLifecycle` and
 * `core.lifecycle`.
 *
 * The mock lifecycles are the library's own lifecycles (the backend runs
 * their phases at start and stop as it always does) that a test may also
 * trigger itself. Their hook deadlines are timed on the mock clock, so they
 * never fire unless the test advances it. Each of these is a default: a
 * factory a test adds for the same service replaces it. A test backend
 * also installs the real `core.rootHttpRouter`; these do not include it,
 * so a tester binds no port.
 *
 * Returns: (transfer full) (element-type BkServiceFactory): a new array of
 *   factories
 *
 * Since: 0.1
 */
GPtrArray *
bk_mock_default_factories (void)
{
  g_autoptr(GPtrArray) factories = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (factories, bk_mock_root_config_factory_new (NULL));
  g_ptr_array_add (factories, bk_mock_root_logger_factory_new ());
  g_ptr_array_add (factories, bk_mock_logger_factory_new ());
  g_ptr_array_add (factories, bk_mock_root_clock_factory_new ());
  g_ptr_array_add (factories, bk_mock_root_lifecycle_factory_new ());
  g_ptr_array_add (factories, bk_mock_lifecycle_factory_new ());

  return g_steal_pointer (&factories);
}
