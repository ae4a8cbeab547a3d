#!/usr/bin/env bash
# Drives the emulator BINARY with curl exactly as the vendors' docs do, and checks the rows
# through the MySQL port with the mariadb CLI (clients we did not write).
set -euo pipefail
cd "$(dirname "$0")/../.."
source .ci/peers/emulator_lib.bash
emu_build

printf '1,a,10\n2,b,20\n3,c,30\n' >"$EMU_TMP/rows.csv"
printf '4,d,40\n5,e,50\n' >"$EMU_TMP/more.csv"

echo "-- Doris"
emu_start doris --flavor doris --backends 2
sql "$doris_MYSQL_PORT" "CREATE DATABASE demo; CREATE TABLE demo.t (id INT, name VARCHAR(20), score INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1 PROPERTIES ('replication_num' = '1')"

load() { # label file [extra curl args...]
    local label=$1 file=$2
    shift 2
    curl -sS --location-trusted -u root: -H "Expect:100-continue" -H "label:$label" \
        -H "column_separator:," "$@" -T "$file" "$doris_FE/api/demo/t/_stream_load"
}
r=$(load l1 "$EMU_TMP/rows.csv")
expect_eq "doris load Status" "$(json_field "$r" Status)" "Success"
expect_eq "doris load NumberLoadedRows" "$(json_field "$r" NumberLoadedRows)" "3"
r=$(load l1 "$EMU_TMP/rows.csv")
expect_eq "doris same label Status" "$(json_field "$r" Status)" "Label Already Exists"
expect_eq "doris same label ExistingJobStatus" "$(json_field "$r" ExistingJobStatus)" "FINISHED"
r=$(load p1 "$EMU_TMP/more.csv" -H "two_phase_commit:true")
expect_eq "doris 2pc Status" "$(json_field "$r" Status)" "Success"
expect_eq "doris 2pc TwoPhaseCommit" "$(json_field "$r" TwoPhaseCommit)" "true"
txn=$(json_field "$r" TxnId)
expect_eq "doris precommitted rows invisible" "$(sql "$doris_MYSQL_PORT" 'SELECT count(*) FROM demo.t')" "3"
r=$(curl -sS -X PUT --location-trusted -u root: -H "txn_id:$txn" -H "txn_operation:commit" \
    "$doris_FE/api/demo/_stream_load_2pc")
expect_eq "doris 2pc commit" "$(json_field "$r" msg)" "transaction [$txn] commit successfully."
r=$(curl -sS -u root: "$doris_FE/api/demo/get_load_state?label=p1")
expect_eq "doris get_load_state" "$(json_field "$r" data)" "VISIBLE"
expect_eq "doris rows" "$(sql "$doris_MYSQL_PORT" 'SELECT id, name, score FROM demo.t ORDER BY id' | tr '\t\n' ',;')" \
    "1,a,10;2,b,20;3,c,30;4,d,40;5,e,50;"

echo "-- StarRocks"
emu_start sr --flavor starrocks --backends 3
sql "$sr_MYSQL_PORT" "CREATE DATABASE demo; CREATE TABLE demo.t (id INT NOT NULL, name VARCHAR(20), score INT) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1"

txn_op() { # op [extra curl args...]
    local op=$1
    shift
    curl -sS --location-trusted -u root: -H "label:tx1" -H "Expect:100-continue" \
        -H "db:demo" -H "table:t" "$@" "$sr_FE/api/transaction/$op"
}
r=$(txn_op begin -XPOST)
expect_eq "starrocks begin" "$(json_field "$r" Status)" "OK"
r=$(txn_op load -H "column_separator:," -T "$EMU_TMP/rows.csv" -XPUT)
expect_eq "starrocks load 1" "$(json_field "$r" Status)" "OK"
r=$(txn_op load -H "column_separator:," -T "$EMU_TMP/more.csv" -XPUT)
expect_eq "starrocks load 2" "$(json_field "$r" Status)" "OK"
r=$(txn_op prepare -XPOST)
expect_eq "starrocks prepare" "$(json_field "$r" Status)" "OK"
expect_eq "starrocks prepare rows" "$(json_field "$r" NumberLoadedRows)" "5"
expect_eq "starrocks prepared rows invisible" "$(sql "$sr_MYSQL_PORT" 'SELECT count(*) FROM demo.t')" "0"
r=$(txn_op commit -XPOST)
expect_eq "starrocks commit" "$(json_field "$r" Status)" "OK"
expect_eq "starrocks rows after commit" "$(sql "$sr_MYSQL_PORT" 'SELECT count(*) FROM demo.t')" "5"

printf '6,f,60\n' >"$EMU_TMP/merge.csv"
r=$(curl -sS --location-trusted -u root: -H "Expect:100-continue" -H "column_separator:," \
    -H "enable_merge_commit:true" -H "merge_commit_interval_ms:500" -H "merge_commit_parallel:2" \
    -H "merge_commit_async:false" -T "$EMU_TMP/merge.csv" -XPUT "$sr_FE/api/demo/t/_stream_load")
expect_eq "starrocks merge commit" "$(json_field "$r" Status)" "Success"
label=$(json_field "$r" Label)
case "$label" in merge_commit_*) echo "ok: merge commit label $label" ;; *) echo "FAIL: label $label"; exit 1 ;; esac
r=$(curl -sS -u root: "$sr_FE/api/demo/get_load_state?label=$label")
expect_eq "starrocks merged txn state" "$(json_field "$r" state)" "VISIBLE"
expect_eq "starrocks rows" "$(sql "$sr_MYSQL_PORT" 'SELECT id, name, score FROM demo.t ORDER BY id' | tr '\t\n' ',;')" \
    "1,a,10;2,b,20;3,c,30;4,d,40;5,e,50;6,f,60;"
echo "emulator_curl: all checks passed"
