#!/usr/bin/env bash
# The MySQL port as SQL clients we did not write use it: the two SQLAlchemy dialects (`starrocks`
# and `doris-alchemy` from PyPI, installed by .ci/setup into .venv) create a table, reflect its
# columns, keys and table options with inspect(), insert rows and read them back exactly; then
# the mariadb CLI checks the shapes of the SHOW statements those tools and users rely on, and a
# created user's privileges.
set -euo pipefail
cd "$(dirname "$0")/../.."
source .ci/peers/emulator_lib.bash
emu_build
PY=.venv/bin/python
if [ ! -x "$PY" ]; then
    echo "FAIL: .venv missing; run .ci/setup"
    exit 1
fi

emu_start sr --flavor starrocks
emu_start dr --flavor doris
sql "$sr_MYSQL_PORT" "CREATE DATABASE demo"
sql "$dr_MYSQL_PORT" "CREATE DATABASE demo"

"$PY" .ci/peers/sqlalchemy_roundtrip.py starrocks "$sr_MYSQL_PORT"
"$PY" .ci/peers/sqlalchemy_roundtrip.py doris "$dr_MYSQL_PORT"

# SHOW shapes through the mariadb CLI (tab-separated, no headers).
for flavor in sr dr; do
    port_var="${flavor}_MYSQL_PORT"
    port=${!port_var}
    sql "$port" "CREATE TABLE demo.shapes (id INT NOT NULL, name VARCHAR(20) NULL) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1 PROPERTIES ('replication_num' = '1')"
    expect_eq "$flavor: SHOW COLUMNS" "$(sql "$port" "SHOW COLUMNS FROM demo.shapes")" \
        "$(printf 'id\tint\tNO\tYES\tNULL\t\nname\tvarchar(20)\tYES\tNO\tNULL\t')"
    expect_eq "$flavor: SHOW FULL COLUMNS has nine columns" \
        "$(sql "$port" "SHOW FULL COLUMNS FROM shapes FROM demo" | awk -F'\t' '{print NF}' | sort -u)" "9"
    expect_eq "$flavor: information_schema is a database" \
        "$(sql "$port" "SHOW DATABASES" | grep -c '^information_schema$')" "1"
    expect_eq "$flavor: USE information_schema" \
        "$(sql "$port" "USE information_schema; SELECT COUNT(*) FROM tables WHERE TABLE_NAME = 'shapes'")" "1"
    expect_eq "$flavor: SHOW TABLE STATUS names the table" \
        "$(sql "$port" "SHOW TABLE STATUS FROM demo LIKE 'shapes'" | cut -f1)" "shapes"
    be_var="${flavor}_BE"
    be=${!be_var}
    expect_eq "$flavor: SHOW BACKENDS lists the BE's HTTP port, alive" \
        "$(sql "$port" "SHOW BACKENDS" | awk -F'\t' '{for (i = 1; i <= NF; i++) if ($i == "true") {print $5 "\t" $i; exit}}')" \
        "$(printf '%s\ttrue' "${be##*:}")"
    expect_eq "$flavor: SHOW PROC '/backends' is SHOW BACKENDS" \
        "$(sql "$port" "SHOW PROC '/backends'")" "$(sql "$port" "SHOW BACKENDS")"
    expect_eq "$flavor: SHOW FRONTENDS lists one FE" "$(sql "$port" "SHOW FRONTENDS" | wc -l)" "1"
    expect_eq "$flavor: ADMIN SHOW FRONTEND CONFIG is a result set" \
        "$(sql "$port" "ADMIN SHOW FRONTEND CONFIG LIKE 'max_running_txn_num_per_db'" | cut -f1)" \
        "max_running_txn_num_per_db"
done
expect_eq "sr: information_schema.tables_config" \
    "$(sql "$sr_MYSQL_PORT" "SELECT TABLE_MODEL, PRIMARY_KEY, DISTRIBUTE_KEY FROM information_schema.tables_config WHERE TABLE_NAME = 'shapes'")" \
    "$(printf 'DUP_KEYS\t`id`\t`id`')"
expect_eq "dr: a missing table is 1105 Unknown table" \
    "$(sql "$dr_MYSQL_PORT" "DESCRIBE demo.nope" 2>&1 | tail -1)" \
    "ERROR 1105 (HY000) at line 1: errCode = 2, detailMessage = Unknown table 'nope' in demo"
# A created user through the mariadb CLI: logs in with its password, is refused a query on a
# table it may not read with each server's code, and reads it once granted.
as_user() { mariadb -h 127.0.0.1 -P "$1" -u loader -ppw --skip-ssl -N -B -e "$2" 2>&1 | tail -1; }
sql "$sr_MYSQL_PORT" "CREATE USER 'loader'@'%' IDENTIFIED BY 'pw'"
expect_eq "sr: a user without SELECT gets 5203" "$(as_user "$sr_MYSQL_PORT" "SELECT * FROM demo.shapes")" \
    "ERROR 5203 (42000) at line 1: Access denied; you need (at least one of) the SELECT privilege(s) on TABLE shapes for this operation. Please ask the admin to grant permission(s) or try activating existing roles using <set [default] role>. Current role(s): NONE. Inactivated role(s): NONE."
sql "$sr_MYSQL_PORT" "GRANT SELECT ON ALL TABLES IN DATABASE demo TO USER 'loader'@'%'"
expect_eq "sr: granted SELECT" "$(as_user "$sr_MYSQL_PORT" "SELECT COUNT(*) FROM demo.shapes")" "0"
sql "$dr_MYSQL_PORT" "CREATE USER 'loader'@'%' IDENTIFIED BY 'pw'"
expect_eq "dr: a user without SELECT_PRIV gets 1105" \
    "$(as_user "$dr_MYSQL_PORT" "SELECT * FROM demo.shapes" | sed 's/@.[^ ]*/@H/')" \
    "ERROR 1105 (HY000) at line 1: errCode = 2, detailMessage = SELECT command denied to user 'loader'@H for table 'internal: demo: shapes'"
sql "$dr_MYSQL_PORT" "GRANT SELECT_PRIV ON demo.* TO 'loader'@'%'"
expect_eq "dr: granted SELECT_PRIV" "$(as_user "$dr_MYSQL_PORT" "SELECT COUNT(*) FROM demo.shapes")" "0"
echo "emulator_sqlalchemy: all checks passed"
