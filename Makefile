# A shim over meson: `make run` and `make test` install missing Debian
# packages (scripts/install-deps.sh), configure build/ once, build, then
# start the example backend or run the test suite.

BUILD ?= build

.PHONY: all deps setup compile run test test-valgrind test-sanitizers bench clean

all: compile

deps:
	@./scripts/install-deps.sh

setup: deps
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD)

compile: setup
	meson compile -C $(BUILD)

run: compile
	$(BUILD)/examples/example-backend --config examples/app-config.yaml

test: compile
	meson test -C $(BUILD) --print-errorlogs

test-valgrind: compile
	meson test -C $(BUILD) --setup=valgrind --no-suite docs --print-errorlogs

# ASan + UBSan build of its own; leaks and undefined behaviour fail a test.
# libgnutls28-dev: see tests/meson.build (LeakSanitizer and dlopened TLS).
test-sanitizers: deps
	@./scripts/install-deps.sh libgnutls28-dev
	@test -f build-asan/build.ninja || meson setup build-asan -Db_sanitize=address,undefined \
		-Db_lundef=false -Dintrospection=disabled -Dbenchmarks=false
	meson compile -C build-asan
	meson test -C build-asan --setup=sanitizers --no-suite docs --print-errorlogs

bench: setup
	meson compile -C $(BUILD) bench

clean:
	rm -rf $(BUILD) build-asan build-fuzz
