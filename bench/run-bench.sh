#!/bin/sh
# run-bench.sh BENCH-STARTUP [ARGS…]
#
# Runs the startup benchmark built by meson (`meson compile -C build bench`
# or `make bench`) and prints its Markdown table. Builds nothing; exits
# non-zero if the benchmark fails. Extra arguments go to the binary
# (`--runs=N`, `--runs-large=N`).
#
# SPDX-License-Identifier: LGPL-2.1-or-later

set -eu

if [ $# -lt 1 ]; then
  echo "usage: $0 path/to/bench-startup [--runs=N] [--runs-large=N]" >&2
  exit 2
fi

bench=$1
shift

if [ ! -x "$bench" ]; then
  echo "$0: $bench is not an executable; build it first (meson compile -C build bench-startup)" >&2
  exit 2
fi

echo "Running $bench (start + stop, median of repeated runs; about a second)" >&2
exec "$bench" "$@"
