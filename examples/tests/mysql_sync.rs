//! `mysql-sync` against a real MariaDB server (Debian's packages) and the emulator: snapshot,
//! inserts / updates / deletes, a primary-key change, ADD and DROP COLUMN, a restart from the
//! state file, and a run with nothing to do.
//!
//! MariaDB is found through `MARIADB_BASEDIR` (a directory with `usr/sbin/mariadbd`, such as the
//! one `.ci/mariadb.sh` unpacks), `target/mariadb` in the workspace, or `/usr`. Without it the
//! test fails when `CI` is set and is skipped (with a message) otherwise.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mysql_async::prelude::Queryable;
use regex::Regex;
use streamload_examples::endpoint::{Endpoint, Vendor};
use streamload_examples::sql::SqlClient;
use streamload_examples::sync::{self, SyncConfig};

fn basedir() -> Option<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates = [
        std::env::var_os("MARIADB_BASEDIR").map(PathBuf::from),
        Some(workspace.join("target/mariadb")),
        Some(PathBuf::from("/")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|d| d.join("usr/sbin/mariadbd").exists())
}

struct MariaDb {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_mariadb(base: &Path) -> MariaDb {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let usr = base.join("usr");
    let install = Command::new(usr.join("bin/mariadb-install-db"))
        .arg("--no-defaults")
        .arg(format!("--basedir={}", usr.display()))
        .arg(format!("--datadir={}", data.display()))
        .args(["--user=root", "--auth-root-authentication-method=normal"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("mariadb-install-db runs");
    assert!(
        install.status.success(),
        "{}",
        String::from_utf8_lossy(&install.stderr)
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(usr.join("sbin/mariadbd"))
        .arg("--no-defaults")
        .arg(format!("--basedir={}", usr.display()))
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--socket={}", dir.path().join("sock").display()))
        .arg(format!(
            "--lc-messages-dir={}",
            usr.join("share/mysql").display()
        ))
        .args([
            "--user=root",
            "--log-bin=binlog",
            "--binlog-format=ROW",
            "--server-id=1",
        ])
        .args(["--bind-address=127.0.0.1", "--skip-name-resolve"])
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mariadbd starts");
    MariaDb {
        child,
        port,
        _dir: dir,
    }
}

async fn source_conn(port: u16) -> mysql_async::Conn {
    let url = format!("mysql://root@127.0.0.1:{port}");
    for _ in 0..200 {
        if let Ok(conn) = mysql_async::Conn::new(mysql_async::Opts::from_url(&url).unwrap()).await {
            return conn;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("MariaDB did not accept connections on port {port}");
}

fn config(port: u16, state: &Path) -> SyncConfig {
    SyncConfig {
        source_url: format!("mysql://root@127.0.0.1:{port}"),
        source_db: "shop".into(),
        target_db: "copy".into(),
        include: Some(Regex::new("^(orders|items|nokey)$").unwrap()),
        exclude: Some(Regex::new("^audit").unwrap()),
        table_prefix: "ods_".into(),
        table_suffix: "_v1".into(),
        server_id: 77,
        state_path: state.to_path_buf(),
        label_prefix: "sync".into(),
        checkpoint_rows: 3,
        checkpoint_interval: Duration::from_secs(60),
        follow: false,
    }
}

async fn text(conn: &mut mysql_async::Conn, sql: &str) -> Vec<Vec<String>> {
    let rows: Vec<mysql_async::Row> = conn.query(sql).await.unwrap();
    rows.into_iter()
        .map(|r| {
            (0..r.len())
                .map(|i| match r.as_ref(i).unwrap() {
                    mysql_async::Value::NULL => "NULL".to_owned(),
                    mysql_async::Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
                    v => v.as_sql(true).trim_matches('\'').to_owned(),
                })
                .collect()
        })
        .collect()
}

async fn assert_same(source: &mut mysql_async::Conn, endpoint: &Endpoint, label: &str) {
    let mut target = SqlClient::connect(endpoint).await.unwrap();
    for (table, cols, key) in [
        ("orders", "id, customer, amount, created", "id"),
        ("items", "sku, qty", "sku"),
    ] {
        let cols = match (table, label) {
            ("orders", "after changes") => "id, customer, amount, created, note",
            ("items", "after changes") => "sku",
            _ => cols,
        };
        let want = text(
            source,
            &format!("SELECT {cols} FROM shop.{table} ORDER BY {key}"),
        )
        .await;
        let got = target
            .query(&format!(
                "SELECT {cols} FROM copy.ods_{table}_v1 ORDER BY {key}"
            ))
            .await
            .unwrap()
            .rows;
        assert_eq!(got, want, "{table} {label}");
    }
    target.close().await;
}

async fn sync_case(vendor: Vendor, port: u16) {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let endpoint = Endpoint::emulated(vendor).await.unwrap();
    let mut source = source_conn(port).await;
    let config = config(port, &state);

    let mut secret = config.clone();
    secret.source_url = format!("mysql://root:s3cr3t@127.0.0.1:{port}");
    assert!(!format!("{secret:?}").contains("s3cr3t"));
    let report = sync::run(&endpoint, &config, &mut |l| eprintln!("{l}"))
        .await
        .unwrap();
    assert_eq!(
        report.tables,
        ["items", "orders"],
        "nokey has no key, audit is excluded"
    );
    assert_eq!(report.snapshot_rows, 5);
    assert_same(&mut source, &endpoint, "after the snapshot").await;

    for statement in [
        "INSERT INTO shop.orders VALUES (4, 'dan', 40.25, '2024-04-04 04:04:04')",
        "UPDATE shop.orders SET amount = 11.11 WHERE id = 1",
        "DELETE FROM shop.orders WHERE id = 3",
        "UPDATE shop.orders SET id = 20 WHERE id = 2",
        "UPDATE shop.items SET qty = qty + 1",
        "ALTER TABLE shop.orders ADD COLUMN note VARCHAR(20)",
        "INSERT INTO shop.orders VALUES (5, 'eve', 5.00, '2024-05-05 05:05:05', 'hello')",
        "ALTER TABLE shop.items DROP COLUMN qty",
        "INSERT INTO shop.items VALUES ('c-3')",
    ] {
        source.query_drop(statement).await.unwrap();
    }
    let report = sync::run(&endpoint, &config, &mut |l| eprintln!("{l}"))
        .await
        .unwrap();
    assert_eq!(report.snapshot_rows, 0, "resumed from the state file");
    assert_eq!(
        report.schema_changes.len(),
        2,
        "{:?}",
        report.schema_changes
    );
    assert!(report.inserts >= 3 && report.deletes >= 2, "{report:?}");
    assert_same(&mut source, &endpoint, "after changes").await;

    let again = sync::run(&endpoint, &config, &mut |l| eprintln!("{l}"))
        .await
        .unwrap();
    assert_eq!(
        (
            again.inserts,
            again.updates,
            again.deletes,
            again.checkpoints
        ),
        (0, 0, 0, 0),
        "nothing new"
    );
    assert_same(&mut source, &endpoint, "after changes").await;
    let _ = source.disconnect().await;
    endpoint.shutdown().await;
}

async fn seed(port: u16, db: &str) {
    let mut conn = source_conn(port).await;
    for statement in [
        format!("DROP DATABASE IF EXISTS {db}"),
        format!("CREATE DATABASE {db}"),
        format!(
            "CREATE TABLE {db}.orders (id INT PRIMARY KEY, customer VARCHAR(32), \
             amount DECIMAL(10,2), created DATETIME)"
        ),
        format!("CREATE TABLE {db}.items (sku VARCHAR(16) PRIMARY KEY, qty INT UNSIGNED)"),
        format!("CREATE TABLE {db}.audit_log (id INT PRIMARY KEY)"),
        format!("CREATE TABLE {db}.nokey (a INT)"),
        format!(
            "INSERT INTO {db}.orders VALUES (1, 'ann', 10.50, '2024-01-01 01:01:01'), \
             (2, 'bob', 20.00, '2024-02-02 02:02:02'), (3, 'cy', 30.75, '2024-03-03 03:03:03')"
        ),
        format!("INSERT INTO {db}.items VALUES ('a-1', 1), ('b-2', 2)"),
        format!("INSERT INTO {db}.audit_log VALUES (1)"),
    ] {
        conn.query_drop(statement).await.unwrap();
    }
    let _ = conn.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_syncs_into_doris_and_starrocks_exactly_once() {
    let Some(base) = basedir() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "MariaDB not found (run .ci/mariadb.sh or set MARIADB_BASEDIR)"
        );
        eprintln!("skipped: MariaDB not found (run .ci/mariadb.sh or set MARIADB_BASEDIR)");
        return;
    };
    let server = start_mariadb(&base);
    for vendor in [Vendor::Doris, Vendor::StarRocks] {
        seed(server.port, "shop").await;
        sync_case(vendor, server.port).await;
    }
}
