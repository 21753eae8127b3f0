#!/bin/bash
# Build the libFuzzer targets in a clang build directory of their own and
# run each one for SECONDS (default 60), one after the other. Exits non-zero on any crash, leak,
# undefined-behaviour report, out-of-memory or timeout.
#
#   scripts/fuzz.sh [SECONDS]        (0: build only)
#
# Missing Debian packages (the build's own, plus clang and
# libclang-rt-14-dev) are installed when run as root, as in CI; otherwise
# they are named and the script exits 1. Runs with no stdin. Findings are
# written to $BUILD_FUZZ/artifacts/ and printed in base64; the repository is
# not modified (the working corpus lives in a temporary directory).
# See fuzzing/README.md.
set -euo pipefail

cd "$(dirname "$0")/.."

duration=${1:-60}
case "$duration" in
  ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

BUILD_FUZZ=${BUILD_FUZZ:-build-fuzz}
targets="fuzz-config-yaml fuzz-http-path"

# Each target's own seeds (a directory under fuzzing/) and dictionary.
target_corpus () {
  case "$1" in
    fuzz-config-yaml) echo fuzzing/corpus ;;
    *) echo "fuzzing/corpus-${1#fuzz-}" ;;
  esac
}
target_dict () {
  case "$1" in
    fuzz-config-yaml) echo fuzzing/yaml.dict ;;
    *) echo "fuzzing/${1#fuzz-}.dict" ;;
  esac
}

# --- Packages -----------------------------------------------------------------

export DEBIAN_FRONTEND=noninteractive
# The build's own packages plus clang and its runtimes (libFuzzer, ASan).
./scripts/install-deps.sh clang libclang-rt-14-dev

# --- Build --------------------------------------------------------------------

# meson 1.0's b_sanitize has no fuzzer choice: the whole project is compiled
# with -fsanitize=fuzzer-no-link (coverage, no main), address and undefined;
# fuzzing/meson.build links each target with -fsanitize=fuzzer. Shared
# objects leave the sanitizer runtime undefined, hence b_lundef=false.
sanitize_c_args='-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g'
sanitize_link_args='-fsanitize=address,undefined'

if [ ! -f "$BUILD_FUZZ/build.ninja" ]; then
  CC=clang meson setup "$BUILD_FUZZ" \
    -Dfuzzing=true \
    -Dintrospection=disabled \
    -Dbenchmarks=false \
    -Db_lundef=false \
    -Dc_args="$sanitize_c_args" \
    -Dc_link_args="$sanitize_link_args" \
    </dev/null
fi
# The whole project, not just the targets: clang compiling everything with
# the project's -Werror= set is a check of its own.
meson compile -C "$BUILD_FUZZ" </dev/null

# libFuzzer reads -max_total_time=0 as "forever".
if [ "$duration" -eq 0 ]; then
  exit 0
fi

# --- Run ------------------------------------------------------------------------

artifacts="$BUILD_FUZZ/artifacts"
mkdir -p "$artifacts"

workdir=$(mktemp -d "${TMPDIR:-/tmp}/bk-fuzz.XXXXXX")
trap 'rm -rf "$workdir"' EXIT

# GLib 2.74's slice allocator would hide leaked blocks from LeakSanitizer.
export G_SLICE=always-malloc
export G_DEBUG=gc-friendly
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1:handle_sigtrap=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:symbolize=1
export LSAN_OPTIONS=print_suppressions=0

status=0
for target in $targets; do
  corpus="$workdir/$target/corpus"
  seeds="$workdir/$target/seeds"
  own_seeds=$(target_corpus "$target")
  dict=$(target_dict "$target")
  mkdir -p "$corpus" "$seeds"

  # Seeds: for the YAML target, the project's config test data (valid and
  # malformed); then the target's own seeds (which work without tests/data/).
  if [ "$target" = fuzz-config-yaml ] && [ -d tests/data ]; then
    n=0
    while IFS= read -r -d '' f; do
      n=$((n + 1))
      cp "$f" "$seeds/tests-data-$n-$(basename "$f")"
    done < <(find tests/data -type f \( -name '*.yaml' -o -name '*.yml' \) -print0 | sort -z)
  fi

  # Findings of earlier runs would be confused with this one's.
  rm -f "$artifacts/$target"-*

  log="$BUILD_FUZZ/$target.log"
  echo "fuzz: $target for ${duration}s ($(find "$seeds" "$own_seeds" -type f | wc -l) seeds, log in $log)" >&2
  rc=0
  "$BUILD_FUZZ/fuzzing/$target" \
    -max_total_time="$duration" \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -max_len=65536 \
    -detect_leaks=1 \
    -print_final_stats=1 \
    -dict="$dict" \
    -artifact_prefix="$artifacts/$target-" \
    "$corpus" "$own_seeds" "$seeds" \
    </dev/null >"$log" 2>&1 || rc=$?

  findings=$(find "$artifacts" -maxdepth 1 -type f -name "$target-*" \
               \( -name "$target-crash-*" -o -name "$target-leak-*" -o -name "$target-timeout-*" \
                  -o -name "$target-oom-*" -o -name "$target-slow-unit-*" \) | sort)
  if [ "$rc" -eq 0 ] && [ -z "$findings" ]; then
    grep -E '^(stat::|Done )' "$log" >&2 || true
    echo "fuzz: $target: clean, $(find "$corpus" -type f | wc -l) new corpus entries" >&2
    continue
  fi

  status=1
  echo "fuzz: $target: FAILED (libFuzzer exit status $rc); the report:" >&2
  # From the first sanitizer / libFuzzer report to the end, or the tail.
  report=$(sed -n '/^==[0-9]*==ERROR\|^==[0-9]*== ERROR\|runtime error:\|^ALARM:\|Deadly signal\|out-of-memory\|^SUMMARY:/,$p' "$log")
  if [ -n "$report" ]; then
    printf '%s\n' "$report" | head -n 300 >&2
  else
    tail -n 100 "$log" >&2
  fi
  for f in $findings; do
    echo "fuzz: finding $f ($(stat -c %s "$f") bytes), base64:" >&2
    head -c 16384 "$f" | base64 -w 76 >&2
    # GLib, json-glib and libyaml have no frame pointers: the fast unwinder
    # stops at their first frame, so replay once with the slow one.
    echo "fuzz: replaying $f with full stacks:" >&2
    ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0:fast_unwind_on_fatal=0:malloc_context_size=40" \
      "$BUILD_FUZZ/fuzzing/$target" -timeout=10 -rss_limit_mb=2048 "$f" </dev/null 2>&1 \
      | sed -n '/^==[0-9]*==ERROR\|^==[0-9]*== ERROR\|runtime error:\|^ALARM:\|Deadly signal\|out-of-memory\|GLib message/,$p' \
      | head -n 200 >&2 || true
    echo "fuzz: reproduce with: $BUILD_FUZZ/fuzzing/$target $f (environment: fuzzing/README.md)" >&2
  done
done

exit "$status"
