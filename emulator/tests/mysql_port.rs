//! The MySQL port driven by mysql_async: connect-time variables, DDL in vendor dialects,
//! INSERT through the engine's models, SELECT with GROUP BY / COUNT(DISTINCT), SHOW, DESC,
//! version functions, prepared statements and password checks.

use mysql_async::prelude::*;
use streamload_emulator::engine::{Engine, EngineConfig, Flavor};

async fn start(flavor: Flavor, password: &str) -> (Engine, u16) {
    let mut config = EngineConfig::new(flavor);
    config.password = password.to_string();
    let engine = Engine::open(config).expect("engine");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(streamload_emulator::mysql::serve(listener, engine.clone()));
    (engine, port)
}

fn opts(port: u16, password: &str, db: Option<&str>) -> mysql_async::Opts {
    mysql_async::OptsBuilder::default()
        .ip_or_hostname("127.0.0.1")
        .tcp_port(port)
        .user(Some("root"))
        .pass(Some(password))
        .db_name(db)
        .into()
}

#[tokio::test]
async fn doris_quick_start_through_mysql() {
    let (_engine, port) = start(Flavor::Doris, "").await;
    let mut conn = mysql_async::Conn::new(opts(port, "", None))
        .await
        .expect("connect");
    conn.query_drop("CREATE DATABASE IF NOT EXISTS test")
        .await
        .expect("db");
    conn.query_drop(
        "CREATE TABLE test.student (\n  `id` INT,\n  `name` VARCHAR(256),\n  `age` INT\n)\nUNIQUE KEY(`id`)\nDISTRIBUTED BY HASH(`id`) BUCKETS 1\nPROPERTIES (\n\"replication_allocation\" = \"tag.location.default: 3\"\n);",
    )
    .await
    .expect("create");
    conn.query_drop("INSERT INTO test.student values(1,\"James\",18);")
        .await
        .expect("ins");
    conn.query_drop("INSERT INTO test.student values(2,\"Emily\",28);")
        .await
        .expect("ins");
    conn.query_drop("INSERT INTO test.student values(2,\"Emma\",29), (3, 'Li', NULL)")
        .await
        .expect("ins");
    let rows: Vec<(i64, String, Option<i64>)> = conn
        .query("select * from test.student order by id")
        .await
        .expect("select");
    assert_eq!(
        rows,
        vec![
            (1, "James".into(), Some(18)),
            (2, "Emma".into(), Some(29)),
            (3, "Li".into(), None)
        ]
    );
    conn.query_drop("USE test").await.expect("use");
    conn.query_drop(
        "CREATE TABLE test.typed (id INT, d DATE, dt DATETIME(3), amount DECIMAL(10,2)) DUPLICATE KEY(id)",
    )
    .await
    .expect("typed table");
    conn.query_drop(
        "INSERT INTO test.typed VALUES (1, '2024-02-29', '2024-02-29 23:59:58.5', 12.5)",
    )
    .await
    .expect("typed insert");
    let result = conn
        .query_iter("SELECT id, d, dt, amount FROM test.typed")
        .await
        .expect("typed select");
    let types: Vec<mysql_async::consts::ColumnType> = result
        .columns()
        .expect("columns")
        .iter()
        .map(|c| c.column_type())
        .collect();
    drop(result);
    use mysql_async::consts::ColumnType as T;
    assert_eq!(
        types,
        vec![
            T::MYSQL_TYPE_LONGLONG,
            T::MYSQL_TYPE_DATE,
            T::MYSQL_TYPE_DATETIME,
            T::MYSQL_TYPE_NEWDECIMAL
        ]
    );
    let row: Option<(i64, String, String, String)> = conn
        .query_first("SELECT id, d, dt, amount FROM test.typed")
        .await
        .expect("typed text");
    assert_eq!(
        row,
        Some((
            1,
            "2024-02-29".into(),
            "2024-02-29 23:59:58.500".into(),
            "12.50".into()
        ))
    );
    let row: Option<(String, String)> = conn
        .exec_first("SELECT d, amount FROM test.typed WHERE id = ?", (1,))
        .await
        .expect("typed binary");
    assert_eq!(row, Some(("2024-02-29".into(), "12.50".into())));
    conn.query_drop(
        "CREATE TABLE test.copy (id INT, name VARCHAR(256), at DATETIME) DUPLICATE KEY(id)",
    )
    .await
    .expect("create copy");
    conn.query_drop("INSERT INTO test.copy (id, name) SELECT id, name FROM student WHERE id < 3")
        .await
        .expect("insert select");
    assert_eq!(conn.affected_rows(), 2);
    conn.query_drop("INSERT INTO copy VALUES (9, 'now', now())")
        .await
        .expect("now()");
    let at: Option<String> = conn
        .query_first("SELECT at FROM copy WHERE id = 9")
        .await
        .expect("q");
    assert_eq!(at.map(|s| s.len()), Some(19));
    let n: Option<i64> = conn
        .query_first("SELECT COUNT(DISTINCT age) FROM student")
        .await
        .expect("q");
    assert_eq!(n, Some(2));
    let groups: Vec<(Option<i64>, i64)> = conn
        .query("SELECT age, count(*) FROM student GROUP BY age ORDER BY age")
        .await
        .expect("group");
    assert_eq!(groups, vec![(None, 1), (Some(18), 1), (Some(29), 1)]);
    let v: String = conn
        .query_first("select version()")
        .await
        .expect("v")
        .expect("row");
    assert_eq!(v, "5.7.99");
    let tables: Vec<String> = conn.query("SHOW TABLES").await.expect("show");
    assert_eq!(
        tables,
        vec![
            "copy".to_string(),
            "student".to_string(),
            "typed".to_string()
        ]
    );
    let full: Vec<(String, String)> = conn
        .query("SHOW FULL TABLES FROM test LIKE 'stu%'")
        .await
        .expect("full");
    assert_eq!(
        full,
        vec![("student".to_string(), "BASE TABLE".to_string())]
    );
    let dbs: Vec<String> = conn.query("SHOW DATABASES").await.expect("show");
    assert!(dbs.contains(&"test".to_string()));
    let desc: Vec<(String, String, String, String)> = conn
        .query_map(
            "DESC student",
            |(f, t, n, k, _d, _e): (String, String, String, String, Option<String>, String)| {
                (f, t, n, k)
            },
        )
        .await
        .expect("desc");
    assert_eq!(
        desc[1],
        (
            "name".into(),
            "varchar(256)".into(),
            "Yes".into(),
            "false".into()
        )
    );
    let err = conn
        .query_drop("INSERT INTO student VALUES (99999999999, 'x', 1)")
        .await
        .expect_err("out of range");
    assert!(err.to_string().contains("strict mode"), "{err}");
    let err = conn
        .query_drop("SELECT * FROM nope.t")
        .await
        .expect_err("unknown");
    assert!(
        err.to_string()
            .contains("errCode = 2, detailMessage = Unknown table 'nope.t'"),
        "{err}"
    );
    // Prepared statements (mysql_async exec*).
    let name: Option<String> = conn
        .exec_first("SELECT name FROM student WHERE id = ?", (1,))
        .await
        .expect("exec");
    assert_eq!(name.as_deref(), Some("James"));
    let tricky = "O'Brien \\ \"q\"";
    conn.exec_drop("INSERT INTO student VALUES (?, ?, ?)", (7, tricky, 40))
        .await
        .expect("prepared insert");
    let back: Option<String> = conn
        .exec_first("SELECT name FROM student WHERE name = ?", (tricky,))
        .await
        .expect("prepared select");
    assert_eq!(back.as_deref(), Some(tricky));
    let back: Option<i64> = conn
        .query_first(r#"SELECT id FROM student WHERE name = "O\'Brien \\ \"q\"""#)
        .await
        .expect("backslash-escaped literal");
    assert_eq!(back, Some(7));
    conn.query_drop("DELETE FROM student WHERE id = 7")
        .await
        .expect("delete");
    let cols: Vec<String> = conn
        .query_map("SHOW FULL COLUMNS FROM student", |row: mysql_async::Row| {
            row.get::<String, _>(0).unwrap_or_default()
        })
        .await
        .expect("show columns");
    assert_eq!(cols, vec!["id", "name", "age"]);
    conn.query_drop("DELETE FROM student WHERE id = 3")
        .await
        .expect("delete");
    let n: Option<i64> = conn
        .query_first("SELECT count(*) FROM student")
        .await
        .expect("q");
    assert_eq!(n, Some(2));
    conn.query_drop("TRUNCATE TABLE test.student")
        .await
        .expect("truncate");
    let n: Option<i64> = conn
        .query_first("SELECT count(*) FROM student")
        .await
        .expect("q");
    assert_eq!(n, Some(0));
    conn.disconnect().await.expect("bye");
}

#[tokio::test]
async fn starrocks_version_variables_and_connect_with_db() {
    let (engine, port) = start(Flavor::StarRocks, "s3cret").await;
    engine.create_database("test").expect("db");
    let mut conn = mysql_async::Conn::new(opts(port, "s3cret", Some("test")))
        .await
        .expect("connect with db");
    let v: String = conn
        .query_first("select current_version() as ver")
        .await
        .expect("v")
        .expect("row");
    assert!(v.starts_with("3.5.4-"), "{v}");
    let (p, w): (i64, i64) = conn
        .query_first("SELECT @@max_allowed_packet,@@wait_timeout")
        .await
        .expect("vars")
        .expect("row");
    assert_eq!((p, w), (16_777_216, 28_800));
    let vars: Vec<(String, String)> = conn
        .query("SHOW VARIABLES LIKE 'version%'")
        .await
        .expect("show");
    assert!(vars.iter().any(|(n, _)| n == "version_comment"));
    conn.query_drop(
        "CREATE TABLE `score_board` (`id` int(11) NOT NULL COMMENT \"\", `name` varchar(65533) NULL DEFAULT \"\" COMMENT \"\", `score` int(11) NOT NULL DEFAULT \"0\" COMMENT \"\") ENGINE=OLAP PRIMARY KEY(`id`) COMMENT \"OLAP\" DISTRIBUTED BY HASH(`id`)",
    )
    .await
    .expect("create");
    conn.query_drop("INSERT INTO score_board (id, name) VALUES (1, 'starrocks')")
        .await
        .expect("ins");
    let row: Option<(i64, String, i64)> = conn
        .query_first("SELECT * FROM score_board")
        .await
        .expect("q");
    assert_eq!(row, Some((1, "starrocks".into(), 0)));

    conn.query_drop("ADMIN SET FRONTEND CONFIG (\"max_running_txn_num_per_db\" = \"1\")")
        .await
        .expect("admin set");
    let req = |label: &str| streamload_emulator::engine::BeginRequest {
        db: "test".into(),
        table: "score_board".into(),
        label: label.into(),
        timeout: std::time::Duration::from_secs(60),
        coordinator_be: 0,
        write: Default::default(),
    };
    engine.begin(req("first")).expect("first");
    assert!(matches!(
        engine.begin(req("second")),
        Err(streamload_emulator::engine::BeginError::TooManyRunningTxns { limit: 1, .. })
    ));
    let err = conn
        .query_drop("ADMIN SET FRONTEND CONFIG (\"max_running_txn_num_per_db\" = \"many\")")
        .await
        .expect_err("bad value");
    assert!(
        err.to_string().contains("max_running_txn_num_per_db"),
        "{err}"
    );

    match mysql_async::Conn::new(opts(port, "wrong", None)).await {
        Err(mysql_async::Error::Server(e)) => {
            assert_eq!(e.code, 1045, "{e:?}");
            assert_eq!(e.state, "28000");
            assert_eq!(
                e.message,
                "Access denied for user 'root'@'127.0.0.1' (using password: YES)"
            );
        }
        other => panic!("a wrong password must be refused with 1045: {other:?}"),
    }
    // The connection after a refused one still works (the rewrite is per connection).
    let mut again = mysql_async::Conn::new(opts(port, "s3cret", None))
        .await
        .expect("reconnect");
    let one: Option<i64> = again.query_first("SELECT 1").await.expect("select 1");
    assert_eq!(one, Some(1));
}
