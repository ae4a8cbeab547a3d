# Shared helpers for the emulator peer scripts (sourced by them; not a test itself): build and start the emulator
# binary, wait for its `ready` line, and stop it on exit. The peers are curl, Python clients, and the vendors'
# Java clients (emulator_java_peers.sh, with its Maven harness in .ci/peers/java).

EMU_PIDS=()
EMU_TMP=$(mktemp -d)

emu_cleanup() {
    for pid in "${EMU_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$EMU_TMP"
}
trap emu_cleanup EXIT

emu_build() {
    cargo build -q -p streamload-emulator --bin streamload-emulator
    EMU_BIN="$(cargo metadata --format-version 1 --no-deps 2>/dev/null \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/streamload-emulator"
}

# emu_start NAME ARGS... : starts the binary, waits for `ready`, sets NAME_FE, NAME_BE, NAME_MYSQL_PORT.
emu_start() {
    local name=$1
    shift
    local out="$EMU_TMP/$name.out"
    "$EMU_BIN" "$@" >"$out" 2>"$EMU_TMP/$name.err" &
    EMU_PIDS+=($!)
    for _ in $(seq 1 300); do
        if grep -qs '^ready ' "$out"; then
            break
        fi
        sleep 0.1
    done
    local line
    line=$(grep '^ready ' "$out") || { echo "emulator $name did not start:"; cat "$EMU_TMP/$name.err"; return 1; }
    printf -v "${name}_FE" '%s' "$(sed -n 's/.*fe_http=\([^ ]*\).*/\1/p' <<<"$line")"
    printf -v "${name}_BE" '%s' "$(sed -n 's/.*be_http=\([^ ,]*\).*/\1/p' <<<"$line")"
    printf -v "${name}_MYSQL_PORT" '%s' "$(sed -n 's/.*mysql=mysql:\/\/[^@]*@[^:]*:\([0-9]*\).*/\1/p' <<<"$line")"
}

# sql PORT STATEMENTS : runs statements through the mariadb CLI, tab-separated, no headers.
sql() {
    mariadb -h 127.0.0.1 -P "$1" -u root --skip-ssl -N -B -e "$2"
}

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
    if [ "$2" != "$3" ]; then
        echo "FAIL: $1: got [$2], expected [$3]"
        exit 1
    fi
    echo "ok: $1"
}

# json_field JSON KEY : prints a top-level field of a JSON document.
json_field() {
    python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print(v if not isinstance(v,bool) else str(v).lower())' "$1" "$2"
}
