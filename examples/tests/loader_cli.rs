//! The `streamload-load` binary end to end: rows piped through stdin into an emulated Doris,
//! the summary printed, a second identical run skipping what landed, and a bad line named.

use std::io::Write;
use std::process::{Command, Stdio};

use streamload_examples::endpoint::{Endpoint, Vendor};
use streamload_examples::sql::SqlClient;

fn run_cli(endpoint: &Endpoint, input: &[u8]) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_streamload-load"))
        .args([
            "--vendor",
            "doris",
            "--fe-url",
            &endpoint.fe_url,
            "--mysql-url",
        ])
        .arg(format!("{}:{}", endpoint.mysql_host, endpoint.mysql_port))
        .args(["--table", "test.kv", "--column-separator", ",", "--quiet"])
        .args(["--chunk-mb", "1", "--lz4", "--skip-header", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdin_loads_once_and_bad_lines_are_named() {
    let endpoint = Endpoint::emulated(Vendor::Doris).await.unwrap();
    let mut sql = SqlClient::connect(&endpoint).await.unwrap();
    sql.execute("CREATE DATABASE test").await.unwrap();
    sql.execute(
        "CREATE TABLE test.kv (`k` BIGINT, `v` VARCHAR(32)) DUPLICATE KEY(`k`) \
         DISTRIBUTED BY HASH(`k`) BUCKETS 1",
    )
    .await
    .unwrap();
    let mut input = b"k,v\n".to_vec();
    for k in 0..3000 {
        input.extend_from_slice(format!("{k},value-{k}\n").as_bytes());
    }
    let (ok, stdout, stderr) = tokio::task::block_in_place(|| run_cli(&endpoint, &input));
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("rows: 3000 loaded, 0 skipped"), "{stdout}");
    let (ok, stdout, stderr) = tokio::task::block_in_place(|| run_cli(&endpoint, &input));
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("rows: 0 loaded, 3000 skipped"), "{stdout}");
    let count = sql.query("SELECT COUNT(*) FROM test.kv").await.unwrap();
    assert_eq!(count.rows, [["3000"]]);

    let (ok, _, stderr) =
        tokio::task::block_in_place(|| run_cli(&endpoint, b"k,v\n1,a\n2,b,extra\n"));
    assert!(!ok);
    assert!(
        stderr.contains("<stdin>:3: 3 fields where 2 are expected"),
        "{stderr}"
    );
    sql.close().await;
    endpoint.shutdown().await;
}
