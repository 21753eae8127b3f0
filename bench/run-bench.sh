#!/bin/sh
# run-bench.sh BENCH-STARTUP [BENCH-HTTP BENCH-HTTP-BARE EXAMPLE-BACKEND EXAMPLE-CONFIG [BENCH-TODO]]
#
# Runs the benchmarks built by meson (`meson compile -C build bench` or
# `make bench`) and prints their Markdown tables: the startup benchmark
# (about a second), then, when its programs are given, the HTTP benchmark
# (about a minute; it needs wrk, which this script installs through
# scripts/install-deps.sh), then the todo benchmark (about half a minute:
# the todo plugin's first query and its API's throughput on SQLite and
# PostgreSQL). Builds nothing; exits non-zero if a benchmark fails. Extra
# arguments for the binaries go in BENCH_STARTUP_ARGS (`--runs=N
# --runs-large=N`), BENCH_HTTP_ARGS (`--rounds=N --duration=S --threads=N
# --connections=N --startup-runs=N`) and BENCH_TODO_ARGS (`--runs=N
# --duration=S --threads=N --connections=N`).
#
# SPDX-License-Identifier: LGPL-2.1-or-later

set -eu

if [ $# -ne 1 ] && [ $# -ne 5 ] && [ $# -ne 6 ]; then
  echo "usage: $0 path/to/bench-startup [path/to/bench-http path/to/bench-http-bare path/to/example-backend path/to/app-config.yaml [path/to/bench-todo]]" >&2
  exit 2
fi

for program in "$1" ${2:+"$2" "$3" "$4"} ${6:+"$6"}; do
  if [ ! -x "$program" ]; then
    echo "$0: $program is not an executable; build it first (meson compile -C build bench)" >&2
    exit 2
  fi
done

echo "Running $1 (start + stop, median of repeated runs; about a second)" >&2
# LOG_LEVEL=warn: without it every backend started logs its plugin
# initialization progress, thousands of lines around the table.
# shellcheck disable=SC2086 # the extra arguments are meant to split
LOG_LEVEL=warn "$1" ${BENCH_STARTUP_ARGS:-}

[ $# -ge 5 ] || exit 0

# wrk loads the HTTP servers; the script installs it as root, or names it.
"$(dirname "$0")/../scripts/install-deps.sh" wrk

echo >&2
echo "Running $2 (requests per second and startup against a bare SoupServer; about a minute)" >&2
echo
# shellcheck disable=SC2086
"$2" --bare="$3" --example="$4" --example-config="$5" ${BENCH_HTTP_ARGS:-}

[ $# -eq 6 ] || exit 0

echo >&2
echo "Running $6 (the todo plugin on SQLite and PostgreSQL; about half a minute)" >&2
echo
# shellcheck disable=SC2086
exec "$6" --example="$4" ${BENCH_TODO_ARGS:-}
