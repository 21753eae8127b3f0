#!/bin/sh
# check-no-skips.sh LOG…
#
# Fails when a meson test log records a skipped test or subtest (TAP
# "ok N /path # SKIP reason"). Tests skip only when something they need is
# not installed (the PostgreSQL or Redis binaries, a pseudo-terminal);
# .ci/run installs everything, so in CI a skip means a test silently did not
# run.
set -eu

status=0
for log in "$@"; do
  if grep -E '^(not )?ok [0-9]+ .*# SKIP' "$log"; then
    echo "$0: skipped tests in $log (listed above); CI must run every test" >&2
    status=1
  fi
done
exit $status
