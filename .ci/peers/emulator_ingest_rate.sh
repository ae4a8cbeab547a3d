#!/usr/bin/env bash
# Prints the emulator binary's start-up time and its CSV ingest rate (1M rows, 3 columns, one
# curl load through the FE), and checks every row landed. Numbers only, no timing assertion:
# the targets (< 1 s start-up, >= 200k rows/s) are judged from the printout. Set
# EMULATOR_RELEASE=1 to measure the release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
source .ci/peers/emulator_lib.bash
if [ "${EMULATOR_RELEASE:-0}" = "1" ]; then
    cargo build -q --release -p streamload-emulator --bin streamload-emulator
    EMU_BIN="$(cargo metadata --format-version 1 --no-deps \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/streamload-emulator"
else
    emu_build
fi

rows=1000000
python3 - "$EMU_TMP/rows.csv" "$rows" <<'PYEOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.writelines(f"{i},name_{i % 1000},{i * 7 % 100000}\n" for i in range(n))
PYEOF

t0=$(date +%s%N)
emu_start bench --flavor doris
t1=$(date +%s%N)
echo "startup_ms=$(( (t1 - t0) / 1000000 )) (from spawn to the ready line)"

sql "$bench_MYSQL_PORT" "CREATE DATABASE bench; CREATE TABLE bench.t (id INT, name VARCHAR(20), score INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1"
t0=$(date +%s%N)
r=$(curl -sS --location-trusted -u root: -H "Expect:100-continue" -H "label:rate1" \
    -H "column_separator:," -T "$EMU_TMP/rows.csv" "$bench_FE/api/bench/t/_stream_load")
t1=$(date +%s%N)
expect_eq "ingest Status" "$(json_field "$r" Status)" "Success"
expect_eq "ingest NumberLoadedRows" "$(json_field "$r" NumberLoadedRows)" "$rows"
expect_eq "rows in table" "$(sql "$bench_MYSQL_PORT" 'SELECT count(*) FROM bench.t')" "$rows"
ms=$(( (t1 - t0) / 1000000 ))
echo "ingest_ms=$ms rows=$rows rows_per_s=$(( rows * 1000 / (ms > 0 ? ms : 1) )) bytes=$(stat -c %s "$EMU_TMP/rows.csv")"
echo "server_side: LoadTimeMs=$(json_field "$r" LoadTimeMs) ReadDataTimeMs=$(json_field "$r" ReadDataTimeMs) CommitAndPublishTimeMs=$(json_field "$r" CommitAndPublishTimeMs)"
