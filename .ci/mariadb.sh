#!/usr/bin/env bash
# Unpacks Debian's MariaDB server (mariadb-server-core, mariadb-client-core) into
# target/mariadb without installing the server system-wide; the mysql-sync test of
# streamload-examples starts its own server from there. The shared libraries the server links
# (liburing, libaio, …) are ordinary Debian packages and are installed when missing.
# Idempotent and quiet.
set -euo pipefail
cd "$(dirname "$0")/.."
dest="$PWD/target/mariadb"
server="$dest/usr/sbin/mariadbd"

ensure_package_lists() {
    if ! apt-cache show mariadb-server-core >/dev/null 2>&1; then
        apt-get update -qq >/dev/null
    fi
}

missing_libraries() {
    ldd "$server" | grep -q "not found"
}

install_libraries() {
    missing_libraries || return 0
    ensure_package_lists
    local libs
    libs=$(apt-cache depends mariadb-server-core | awk '$1 == "Depends:" && $2 ~ /^lib/ {print $2}' | sort -u)
    # shellcheck disable=SC2086 # one package name per word
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $libs >/dev/null
    if missing_libraries; then
        echo "mariadbd still misses libraries:" >&2
        ldd "$server" | grep "not found" >&2
        exit 1
    fi
}

if [ -x "$server" ]; then
    install_libraries
    exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
ensure_package_lists
(cd "$work" && apt-get download -qq mariadb-server-core mariadb-client-core >/dev/null 2>&1)
mkdir -p "$dest"
for deb in "$work"/*.deb; do
    dpkg -x "$deb" "$dest"
done
test -x "$server"
install_libraries
