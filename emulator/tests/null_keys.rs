//! A NULL in a nullable key column of a unique or aggregate table is a key value like any
//! other: both servers store it as NULL, replace or aggregate rows that share it, and delete by
//! it. The emulator keeps rows in SQLite, where a NULL never equals NULL and an `INTEGER`
//! primary key is the rowid, so these are checked end to end: rows go in through Stream Load and
//! `INSERT` on the MySQL port and come back over the MySQL port.

mod http_support;

use http_support::{authority, basic, ddl, request, start, via_fe};
use mysql_async::prelude::*;
use streamload_emulator::EmulatorHandle;
use streamload_emulator::engine::Flavor;

async fn load(emu: &EmulatorHandle, table: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut all = vec![("column_separator", ",")];
    all.extend_from_slice(headers);
    let path = format!("/api/db/{table}/_stream_load");
    let r = match emu.engine().flavor() {
        // A Doris FE redirects to its BEs by host name; the tests load on the BE directly.
        Flavor::Doris => {
            let auth = basic("root", "");
            all.push(("Authorization", auth.as_str()));
            let be = authority(&emu.be_urls()[0]);
            request(&be, "PUT", &path, &all, Some(body)).await.json()
        }
        Flavor::StarRocks => via_fe(emu, "PUT", &path, &all, Some(body)).await.json(),
    };
    assert_eq!(r["Status"], "Success", "{r}");
    assert_eq!(r["NumberFilteredRows"], 0, "{r}");
}

type Row = (Option<i64>, Option<String>, Option<i64>);

async fn select(emu: &EmulatorHandle, sql: &str) -> Vec<Row> {
    let url = format!("{}?prefer_socket=false", emu.mysql_url());
    let mut conn = mysql_async::Conn::new(mysql_async::Opts::from_url(&url).expect("url"))
        .await
        .expect("connect");
    let rows: Vec<Row> = conn
        .query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    conn.disconnect().await.expect("disconnect");
    rows
}

async fn exec(emu: &EmulatorHandle, sql: &str) {
    let url = format!("{}?prefer_socket=false", emu.mysql_url());
    let mut conn = mysql_async::Conn::new(mysql_async::Opts::from_url(&url).expect("url"))
        .await
        .expect("connect");
    conn.query_drop(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    conn.disconnect().await.expect("disconnect");
}

async fn null_keys_are_key_values(flavor: Flavor) {
    let emu = start(flavor, 1).await;
    ddl(
        &emu,
        "CREATE TABLE db.u (k INT NULL, s VARCHAR(5) NULL, v INT) UNIQUE KEY(k, s) \
         DISTRIBUTED BY HASH(k) BUCKETS 1",
    );
    ddl(
        &emu,
        "CREATE TABLE db.a (k INT NULL, s VARCHAR(5) NULL, v INT SUM) AGGREGATE KEY(k, s) \
         DISTRIBUTED BY HASH(k) BUCKETS 1",
    );
    let body = b"\\N,x,1\n\\N,x,2\n1,\\N,3\n\\N,\\N,4\n";
    load(&emu, "u", &[], body).await;
    load(&emu, "u", &[], b"\\N,x,5\n").await;
    load(&emu, "a", &[], body).await;
    load(&emu, "a", &[], b"\\N,x,10\n\\N,\\N,20\n").await;

    let unique = select(&emu, "SELECT k, s, v FROM db.u ORDER BY v").await;
    assert_eq!(
        unique,
        vec![
            (Some(1), None, Some(3)),
            (None, None, Some(4)),
            (None, Some("x".into()), Some(5)),
        ],
        "{flavor:?}: the last row of a NULL key replaces the earlier ones"
    );
    let aggregate = select(&emu, "SELECT k, s, v FROM db.a ORDER BY v").await;
    assert_eq!(
        aggregate,
        vec![
            (Some(1), None, Some(3)),
            (None, Some("x".into()), Some(13)),
            (None, None, Some(24)),
        ],
        "{flavor:?}: rows sharing a NULL key are summed"
    );
    // An INSERT over the MySQL port replaces on a NULL key the same way.
    exec(
        &emu,
        "INSERT INTO db.u (k, s, v) VALUES (NULL, 'x', 6), (NULL, NULL, 7)",
    )
    .await;
    assert_eq!(
        select(&emu, "SELECT k, s, v FROM db.u WHERE k IS NULL ORDER BY v").await,
        vec![(None, Some("x".into()), Some(6)), (None, None, Some(7))],
        "{flavor:?}"
    );
    let nulls = select(
        &emu,
        "SELECT k, s, COUNT(*) FROM db.u WHERE k IS NULL GROUP BY k, s ORDER BY s",
    )
    .await;
    assert_eq!(
        nulls,
        vec![(None, None, Some(1)), (None, Some("x".into()), Some(1))]
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn doris_null_keys_are_key_values() {
    null_keys_are_key_values(Flavor::Doris).await;
}

#[tokio::test]
async fn starrocks_null_keys_are_key_values() {
    null_keys_are_key_values(Flavor::StarRocks).await;
}

#[tokio::test]
async fn doris_deletes_by_a_null_key() {
    let emu = start(Flavor::Doris, 1).await;
    ddl(
        &emu,
        "CREATE TABLE db.u (k INT NULL, s VARCHAR(5) NULL, v INT) UNIQUE KEY(k, s) \
         DISTRIBUTED BY HASH(k) BUCKETS 1",
    );
    load(&emu, "u", &[], b"\\N,x,1\n\\N,y,2\n").await;
    load(&emu, "u", &[("merge_type", "DELETE")], b"\\N,x,0\n").await;
    let rows = select(&emu, "SELECT k, s, v FROM db.u").await;
    assert_eq!(rows, vec![(None, Some("y".into()), Some(2))]);
    emu.shutdown().await;
}
