#!/usr/bin/env bash
# Loads into the emulator's Doris flavor with Python clients we did not write (pydoris,
# DorisClient, doris-stream-load; installed by .ci/setup into .venv) and reads the rows back
# with PyMySQL.
set -euo pipefail
cd "$(dirname "$0")/../.."
source .ci/peers/emulator_lib.bash
emu_build
PY=.venv/bin/python
if [ ! -x "$PY" ]; then
    echo "FAIL: .venv missing; run .ci/setup"
    exit 1
fi

emu_start doris --flavor doris --password pw
sql_pw() { mariadb -h 127.0.0.1 -P "$doris_MYSQL_PORT" -u root -ppw --skip-ssl -N -B -e "$1"; }
sql_pw "CREATE DATABASE demo"
for t in via_pydoris via_dorisclient via_stream_load; do
    sql_pw "CREATE TABLE demo.$t (id INT, name VARCHAR(20)) UNIQUE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1 PROPERTIES ('replication_num' = '1')"
done
fe_port=${doris_FE##*:}
be_port=${doris_BE##*:}

"$PY" - "$fe_port" "$be_port" "$doris_MYSQL_PORT" <<'PYEOF'
import sys

fe_port, be_port, mysql_port = sys.argv[1], sys.argv[2], int(sys.argv[3])

# pydoris: PUT to the FE, requests follows the 307 keeping Authorization.
from pydoris.doris_client import DorisClient as PyDoris
client = PyDoris("127.0.0.1", fe_port, "root", "pw")
client.options.set_csv_format(",")
client.options.set_label("pydoris_1")
assert client.write("demo", "via_pydoris", "1,a\n2,b\n"), "pydoris write failed"

# DorisClient: empty-body PUT to the FE for the Location, then a JSON array to the BE.
from DorisClient import DorisSession
session = DorisSession(["127.0.0.1:" + fe_port], "demo", "root", "pw", mysql_port=mysql_port)
assert session.streamload("via_dorisclient", [{"id": 1, "name": "x"}, {"id": 2, "name": "y"}, {"id": 1, "name": "z"}])
rows = session.read("SELECT id, name FROM via_dorisclient ORDER BY id")
assert [(r["id"], r["name"]) for r in rows] == [(1, "z"), (2, "y")], rows

# doris-stream-load: HTTP/1.0, straight to the BE, trailing slash.
from doris_stream_load import stream_load
dsl = stream_load("127.0.0.1", "root", "pw", be_port, "demo", "via_stream_load", ",")
result = dsl.sendData(["7,q", "8,r"])
assert result["Status"] == "Success", result

import pymysql
conn = pymysql.connect(host="127.0.0.1", port=mysql_port, user="root", password="pw", database="demo")
with conn.cursor() as cur:
    for table, expected in [("via_pydoris", [(1, "a"), (2, "b")]), ("via_stream_load", [(7, "q"), (8, "r")])]:
        cur.execute(f"SELECT id, name FROM {table} ORDER BY id")
        got = [tuple(r) for r in cur.fetchall()]
        assert got == expected, (table, got)
        print(f"ok: {table} {got}")
print("ok: via_dorisclient", [(r["id"], r["name"]) for r in rows])
PYEOF
echo "emulator_python_peers: all checks passed"
