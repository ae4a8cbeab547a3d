#!/usr/bin/env bash
# Unpacks Debian's MariaDB server (mariadb-server-core, mariadb-client-core) into
# target/mariadb without installing anything system-wide; the mysql-sync test of
# streamload-examples starts its own server from there. Idempotent and quiet.
set -euo pipefail
cd "$(dirname "$0")/.."
dest="$PWD/target/mariadb"
if [ -x "$dest/usr/sbin/mariadbd" ]; then
    exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if ! apt-cache show mariadb-server-core >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
fi
(cd "$work" && apt-get download -qq mariadb-server-core mariadb-client-core >/dev/null 2>&1)
mkdir -p "$dest"
for deb in "$work"/*.deb; do
    dpkg -x "$deb" "$dest"
done
test -x "$dest/usr/sbin/mariadbd"
