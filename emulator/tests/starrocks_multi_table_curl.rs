//! The StarRocks documentation's Stream Load transaction walkthrough ("Load data using Stream
//! Load transaction interface"), played step by step with a plain HTTP client the way its curl
//! commands run (`curl --location-trusted`: a 307 is followed with the same credentials and
//! body), in the form StarRocks 4.0 adds: one label whose loads go to two tables of one
//! database. The sample data and table are the documentation's (`example1.csv`, the Primary Key
//! table `table1` of `test_db`), with a second table `table2` for the multi-table load; each
//! step checks the documented result.

use reqwest::redirect::Policy;
use serde_json::Value as Json;
use streamload_emulator::engine::{Flavor, Value};
use streamload_emulator::version::ServerVersion;
use streamload_emulator::{Emulator, EmulatorConfig, EmulatorHandle};

const EXAMPLE1_CSV: &str = "1,Lily,23\n2,Rose,23\n3,Alice,24\n4,Julia,25\n";
const EXAMPLE2_CSV: &str = "5,Tony,26\n6,Jane,27\n";

async fn starrocks_4_0() -> EmulatorHandle {
    let mut config = EmulatorConfig::new(Flavor::StarRocks);
    config.version = Some(ServerVersion::parse(Flavor::StarRocks, "4.0").unwrap());
    let emu = Emulator::start(config).await.unwrap();
    let engine = emu.engine();
    engine.create_database("test_db").unwrap();
    for table in ["table1", "table2"] {
        engine
            .execute_ddl(&format!(
                "CREATE TABLE test_db.`{table}` (
                    `id` int(11) NOT NULL COMMENT \"user ID\",
                    `name` varchar(65533) NULL COMMENT \"user name\",
                    `score` int(11) NOT NULL COMMENT \"user score\"
                ) ENGINE=OLAP PRIMARY KEY(`id`) DISTRIBUTED BY HASH(`id`) BUCKETS 10"
            ))
            .unwrap();
    }
    emu
}

/// `curl --location-trusted -u root: -H ... -X<method> <url> [-T file]`.
async fn curl(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> Json {
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let mut url = url.to_string();
    for _ in 0..3 {
        let mut req = client
            .request(method.parse().unwrap(), &url)
            .basic_auth("root", Some(""))
            .header("Expect", "100-continue");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        if resp.status() == 307 {
            url = resp.headers()["location"].to_str().unwrap().to_string();
            continue;
        }
        assert_eq!(resp.status(), 200, "{method} {url}");
        let text = resp.text().await.unwrap();
        return serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    }
    panic!("too many redirects for {method} {url}");
}

fn table(emu: &EmulatorHandle, name: &str) -> Vec<(i128, String, i128)> {
    let sql = format!("SELECT id, name, score FROM {name} ORDER BY id");
    let r = emu.engine().query(Some("test_db"), &sql).unwrap();
    r.rows
        .iter()
        .map(|row| match (&row[0], &row[1], &row[2]) {
            (Value::Int(id), Value::Text(n), Value::Int(s)) => (*id, n.clone(), *s),
            other => panic!("unexpected row {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn the_documented_transaction_walkthrough_over_two_tables() {
    let emu = starrocks_4_0().await;
    let fe = emu.fe_url();
    let url = |op: &str| format!("{}/api/transaction/{op}", fe.trim_end_matches('/'));
    let label = "streamload_txn_example1_table1";
    let txn = [
        ("label", label),
        ("db", "test_db"),
        ("transaction_type", "multi"),
    ];

    // Start a transaction.
    let begin = curl("POST", &url("begin"), &txn, None).await;
    assert_eq!(begin["Status"], "OK", "{begin}");
    assert_eq!(begin["Message"], "");

    // Write data: example1.csv into table1, then another file into table2, one label.
    let mut to_table1 = txn.to_vec();
    to_table1.extend([("table", "table1"), ("column_separator", ",")]);
    let load1 = curl("PUT", &url("load"), &to_table1, Some(EXAMPLE1_CSV)).await;
    assert_eq!(load1["Status"], "OK", "{load1}");
    assert_eq!(load1["Label"], label);
    assert_eq!(load1["LoadBytes"], EXAMPLE1_CSV.len());
    let mut to_table2 = txn.to_vec();
    to_table2.extend([("table", "table2"), ("column_separator", ",")]);
    let load2 = curl("PUT", &url("load"), &to_table2, Some(EXAMPLE2_CSV)).await;
    assert_eq!(load2["Status"], "OK", "{load2}");
    assert_eq!(load2["TxnId"], load1["TxnId"], "one transaction");

    // Pre-commit the transaction (with the documented prepared_timeout).
    let mut prepare_headers = txn.to_vec();
    prepare_headers.push(("prepared_timeout", "300"));
    let prepare = curl("POST", &url("prepare"), &prepare_headers, None).await;
    assert_eq!(prepare["Status"], "OK", "{prepare}");
    assert_eq!(
        (prepare["TxnId"].clone(), prepare["Label"].clone()),
        (load1["TxnId"].clone(), label.into())
    );
    assert!(table(&emu, "table1").is_empty() && table(&emu, "table2").is_empty());

    // Commit the transaction; then committing again says it already is.
    let commit = curl("POST", &url("commit"), &txn, None).await;
    assert_eq!(commit["Status"], "OK", "{commit}");
    assert_eq!(commit["Label"], label);
    let again = curl("POST", &url("commit"), &txn, None).await;
    assert_eq!(again["Status"], "OK");
    assert!(
        again["Message"]
            .as_str()
            .unwrap()
            .contains("already committed"),
        "{again}"
    );

    let lily = (1, "Lily".to_string(), 23);
    assert_eq!(table(&emu, "table1").len(), 4);
    assert_eq!(table(&emu, "table1")[0], lily);
    assert_eq!(table(&emu, "table1")[3], (4, "Julia".to_string(), 25));
    assert_eq!(
        table(&emu, "table2"),
        [(5, "Tony".to_string(), 26), (6, "Jane".to_string(), 27)]
    );

    // Roll back a second transaction: neither table changes.
    let label2 = "streamload_txn_example2";
    let txn2 = [
        ("label", label2),
        ("db", "test_db"),
        ("transaction_type", "multi"),
    ];
    assert_eq!(
        curl("POST", &url("begin"), &txn2, None).await["Status"],
        "OK"
    );
    let mut load = txn2.to_vec();
    load.extend([("table", "table2"), ("column_separator", ",")]);
    let r = curl("PUT", &url("load"), &load, Some("7,Ann,28\n")).await;
    assert_eq!(r["Status"], "OK", "{r}");
    let rollback = curl("POST", &url("rollback"), &txn2, None).await;
    assert_eq!(rollback["Status"], "OK", "{rollback}");
    assert_eq!(
        table(&emu, "table2").len(),
        2,
        "the rolled-back row is not there"
    );
}
