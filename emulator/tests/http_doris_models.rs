//! Doris loads that depend on the table model: sequence column, delete sign through
//! `hidden_columns`, `merge_type: DELETE` and partial columns on a merge-on-write table.

mod http_support;

use http_support::{authority, basic, ddl, request, rows, start};
use streamload_emulator::engine::Flavor;

async fn load(be: &str, table: &str, headers: &[(&str, &str)], body: &[u8]) -> serde_json::Value {
    let auth = basic("root", "");
    let mut all = vec![("Authorization", auth.as_str()), ("column_separator", ",")];
    all.extend_from_slice(headers);
    request(
        be,
        "PUT",
        &format!("/api/db/{table}/_stream_load"),
        &all,
        Some(body),
    )
    .await
    .json()
}

#[tokio::test]
async fn sequence_column_keeps_the_greatest_and_is_required() {
    let emu = start(Flavor::Doris, 1).await;
    ddl(
        &emu,
        "CREATE TABLE db.s (k INT NOT NULL, v VARCHAR(5), ts INT) UNIQUE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1 \
         PROPERTIES ('function_column.sequence_type' = 'int')",
    );
    let be = authority(&emu.be_urls()[0]);
    let r = load(&be, "s", &[], b"1,a,5\n").await;
    assert_eq!(r["Status"], "Fail");
    assert!(
        r["Message"]
            .as_str()
            .unwrap()
            .contains("has sequence column, need to specify the sequence column"),
        "{r}"
    );
    let seq = [("function_column.sequence_col", "ts")];
    assert_eq!(
        load(&be, "s", &seq, b"1,new,5\n").await["Status"],
        "Success"
    );
    assert_eq!(
        load(&be, "s", &seq, b"1,old,3\n").await["Status"],
        "Success"
    );
    assert_eq!(rows(&emu, "SELECT k, v FROM s"), ["1|new"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn delete_sign_merge_type_and_partial_columns() {
    let emu = start(Flavor::Doris, 1).await;
    ddl(
        &emu,
        "CREATE TABLE db.u (k INT NOT NULL, v VARCHAR(5), n INT) UNIQUE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1 \
         PROPERTIES ('enable_unique_key_merge_on_write' = 'true')",
    );
    let be = authority(&emu.be_urls()[0]);
    assert_eq!(
        load(&be, "u", &[], b"1,a,1\n2,b,2\n3,c,3\n").await["Status"],
        "Success"
    );
    let r = load(
        &be,
        "u",
        &[("hidden_columns", "__DORIS_DELETE_SIGN__")],
        b"1,a,1,1\n",
    )
    .await;
    assert_eq!(r["Status"], "Success", "{r}");
    let r = load(&be, "u", &[("merge_type", "DELETE")], b"2,b,2\n").await;
    assert_eq!(r["Status"], "Success", "{r}");
    let r = load(
        &be,
        "u",
        &[("partial_columns", "true"), ("columns", "k,n")],
        b"3,30\n",
    )
    .await;
    assert_eq!(r["Status"], "Success", "{r}");
    assert_eq!(rows(&emu, "SELECT k, v, n FROM u ORDER BY k"), ["3|c|30"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn running_transaction_limit_text() {
    let mut config = streamload_emulator::EmulatorConfig::new(Flavor::Doris);
    config.max_running_txn_per_db = Some(1);
    let emu = streamload_emulator::Emulator::start(config).await.unwrap();
    emu.engine().create_database("db").unwrap();
    ddl(
        &emu,
        "CREATE TABLE db.t (k INT, v INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    );
    let be = authority(&emu.be_urls()[0]);
    let r = load(
        &be,
        "t",
        &[("label", "a"), ("two_phase_commit", "true")],
        b"1,1\n",
    )
    .await;
    assert_eq!(r["Status"], "Success", "{r}");
    let r = load(&be, "t", &[("label", "b")], b"2,2\n").await;
    let db_id = emu.engine().database_id("db").unwrap();
    assert_eq!(r["Status"], "Fail");
    assert_eq!(
        r["Message"],
        format!(
            "[ANALYSIS_ERROR]TStatus: errCode = 2, detailMessage = current running txns on db {db_id} is 1, larger than limit 1"
        )
    );
    emu.shutdown().await;
}
