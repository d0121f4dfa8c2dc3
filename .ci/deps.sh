#!/bin/sh
# Install the Debian packages that building, running and testing need, and
# only those that are missing (chromium: the status page's browser test).  Used by `make deps` (and so by `make run`
# and `make test`) and by CI.
set -eu
PKGS="make gcc clang apache2 apache2-utils apache2-dev libapr1-dev libaprutil1-dev
      libjansson-dev libcmocka-dev libcurl4-openssl-dev zlib1g-dev
      valgrind cppcheck perl curl openssl pkgconf chromium"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
        || missing="$missing $p"
done
# Node.js and npm (for the tests' independent OTLP decoder): the machines
# come with them; Debian's packages only where there is no node at all.
command -v npm >/dev/null 2>&1 || command -v node >/dev/null 2>&1 \
    || missing="$missing nodejs npm"
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "missing packages:$missing; run as root or install them" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
# Debian may start the packaged apache2 service on install; it is not ours
# to run (the tests start their own httpd on other ports).
case "$missing" in
    *" apache2"*) $SUDO apache2ctl -k stop >/dev/null 2>&1 || true ;;
esac
