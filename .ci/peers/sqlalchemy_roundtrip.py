"""One SQLAlchemy dialect against the emulator's MySQL port: create a table through the dialect,
reflect it with inspect() (columns, keys, table options), insert rows and read them back exactly.

Usage: sqlalchemy_roundtrip.py starrocks|doris MYSQL_PORT. Exits non-zero on any mismatch.
"""

import datetime
import decimal
import sys

import sqlalchemy as sa

flavor, port = sys.argv[1], int(sys.argv[2])


def check(what, got, expected):
    if got != expected:
        print(f"FAIL: {flavor}: {what}: got {got!r}, expected {expected!r}")
        sys.exit(1)
    print(f"ok: {flavor}: {what}")


if flavor == "starrocks":
    url = f"starrocks://root@127.0.0.1:{port}/demo"
    options = dict(
        starrocks_primary_key="id",
        starrocks_distributed_by="HASH(id)",
        starrocks_buckets=1,
        starrocks_properties={"replication_num": "1"},
    )
    from starrocks.datatype import BIGINT, DATE, DATETIME, DECIMAL, INTEGER, VARCHAR
else:
    url = f"doris+pymysql://root@127.0.0.1:{port}/demo"
    from doris_alchemy.datatype import HASH

    options = dict(
        doris_unique_key="id",
        doris_distributed_by=HASH("id", 1),
        doris_properties={"replication_num": "1"},
    )
    from sqlalchemy.dialects.mysql import BIGINT, DATE, DATETIME, DECIMAL, INTEGER, VARCHAR

engine = sa.create_engine(url)
metadata = sa.MetaData()
people = sa.Table(
    "people",
    metadata,
    sa.Column("id", INTEGER, primary_key=True, nullable=False),
    sa.Column("name", VARCHAR(32), nullable=True),
    sa.Column("score", DECIMAL(10, 2), nullable=True),
    sa.Column("born", DATE, nullable=True),
    sa.Column("seen", DATETIME, nullable=True),
    sa.Column("visits", BIGINT, nullable=False),
    **options,
)

check("has_table before create", sa.inspect(engine).has_table("people"), False)
metadata.create_all(engine)
insp = sa.inspect(engine)
check("has_table after create", insp.has_table("people"), True)
check("table names", insp.get_table_names(), ["people"])
check("schemas include demo and information_schema",
      {"demo", "information_schema"} <= set(insp.get_schema_names()), True)

columns = insp.get_columns("people")
check("column names", [c["name"] for c in columns],
      ["id", "name", "score", "born", "seen", "visits"])
check("nullability", [c["nullable"] for c in columns], [False, True, True, True, True, False])
types = [type(c["type"]).__name__.upper() for c in columns]
check("column types", types, ["INTEGER", "VARCHAR", "DECIMAL", "DATE", "DATETIME", "BIGINT"])
table_options = insp.get_table_options("people")
if flavor == "starrocks":
    check("varchar length", columns[1]["type"].length, 32)
    check("decimal precision/scale",
          (columns[2]["type"].precision, columns[2]["type"].scale), (10, 2))
    check("primary key", insp.get_pk_constraint("people")["constrained_columns"], ["id"])
    check("key option", table_options.get("starrocks_primary_key"), "id")
    check("distribution option", table_options.get("starrocks_distributed_by"),
          "HASH(`id`) BUCKETS 1")
    check("replication property",
          dict(table_options.get("starrocks_properties") or {}).get("replication_num"), "1")
else:
    # doris-alchemy reflects types without their arguments, no primary key and no table
    # options (its get_pk_constraint and get_table_options answer empty); the key comes from
    # the SHOW COLUMNS it reads columns from.
    check("table options", table_options, {})
    with engine.connect() as conn:
        keys = [r.Field for r in conn.exec_driver_sql("SHOW COLUMNS FROM people") if r.Key == "YES"]
    check("unique key (SHOW COLUMNS Key)", keys, ["id"])

rows = [
    dict(id=1, name="ann", score=decimal.Decimal("12.50"), born=datetime.date(1990, 1, 2),
         seen=datetime.datetime(2024, 5, 6, 7, 8, 9), visits=3),
    dict(id=2, name=None, score=None, born=None, seen=None, visits=0),
    dict(id=3, name="quote's \"x\"", score=decimal.Decimal("-0.01"), born=datetime.date(2000, 2, 29),
         seen=datetime.datetime(1999, 12, 31, 23, 59, 59), visits=9007199254740993),
]
with engine.begin() as conn:
    conn.execute(people.insert(), rows)
with engine.connect() as conn:
    got = [dict(r._mapping) for r in conn.execute(sa.select(people).order_by(people.c.id))]
check("rows read back", got, rows)

reflected = sa.Table("people", sa.MetaData(), autoload_with=engine)
with engine.connect() as conn:
    got = conn.execute(sa.select(sa.func.count()).select_from(reflected)
                       .where(reflected.c.visits > 1)).scalar()
check("query through the reflected table", got, 2)
metadata.drop_all(engine)
check("has_table after drop", sa.inspect(engine).has_table("people"), False)
