#!/bin/sh
# Install the Debian 12 packages needed to build and test libbackend.
#
#   scripts/install-deps.sh [EXTRA-PACKAGE …]
#
# Extra packages (scripts/fuzz.sh asks for clang) are checked and installed
# the same way.
#
# Quiet when everything is present. Otherwise, as root, runs apt-get update
# and installs only what is missing; not as root, names the missing packages
# and exits 1. The README lists why each package is needed.
set -eu

PACKAGES="
  gcc
  libc6-dev
  make
  meson
  ninja-build
  pkg-config
  python3
  libglib2.0-dev
  libjson-glib-dev
  libsoup-3.0-dev
  libyaml-dev
  libsqlite3-dev
  libpq-dev
  postgresql
  libhiredis-dev
  redis-server
  tzdata
  gobject-introspection
  libgirepository1.0-dev
  gi-docgen
  valgrind
  glib-networking
  openssl
$*
"

missing=""
for pkg in $PACKAGES; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  case "$status" in
    *" installed") ;;
    *) missing="$missing $pkg" ;;
  esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing Debian packages:$missing" >&2
  echo "install-deps: as root, run: apt-get install -y --no-install-recommends$missing" >&2
  exit 1
fi

echo "install-deps: installing$missing" >&2
apt-get update
# shellcheck disable=SC2086 # word splitting of the package list is intended
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
