//! Users and privileges: `CREATE USER` / `GRANT` / `REVOKE` / `DROP USER` over the MySQL port in
//! each vendor's words, and the servers' answers to a user without them — a Stream Load through
//! the FE or straight to a BE, a Doris 2PC commit, a StarRocks V2 `begin`, a query — while the
//! configured user keeps every privilege.

mod http_support;

use http_support::{authority, basic, ddl, request, rows, start};
use streamload_emulator::EmulatorHandle;
use streamload_emulator::engine::Flavor;
use streamload_emulator::mysql::{Reply, Session};

const DORIS_FE_DENIED: &str = "Access denied; you need (at least one of) the Admin_priv,Load_priv privilege(s) for this operation";
const DORIS_BE_DENIED: &str =
    "Access denied; you need (at least one of) the LOAD privilege(s) for this operation";
const STARROCKS_DENIED: &str = "Access denied; you need (at least one of) the INSERT privilege(s) on TABLE t for this operation. Please ask the admin to grant permission(s) or try activating existing roles using <set [default] role>. Current role(s): NONE. Inactivated role(s): NONE.";

/// Runs statements as the configured user; each must succeed.
fn admin(emu: &EmulatorHandle, statements: &[&str]) {
    let mut s = Session::new(emu.engine().clone(), 1);
    for sql in statements {
        assert_eq!(s.execute(sql), Reply::ok(), "{sql}");
    }
}

async fn with_table(flavor: Flavor) -> EmulatorHandle {
    let emu = start(flavor, 1).await;
    ddl(
        &emu,
        "CREATE TABLE db.t (k INT NOT NULL, v VARCHAR(5)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    );
    emu
}

async fn put(
    addr: &str,
    path: &str,
    user: &str,
    headers: &[(&str, &str)],
) -> http_support::RawResponse {
    let auth = basic(user, "pw");
    let mut all = vec![("Authorization", auth.as_str()), ("Expect", "100-continue")];
    all.extend_from_slice(headers);
    request(addr, "PUT", path, &all, Some(b"1\ta\n")).await
}

#[tokio::test]
async fn doris_load_needs_load_priv() {
    let emu = with_table(Flavor::Doris).await;
    let (fe, be) = (authority(&emu.fe_url()), authority(&emu.be_urls()[0]));
    admin(
        &emu,
        &[
            "CREATE USER 'reader'@'%' IDENTIFIED BY 'pw'",
            "GRANT SELECT_PRIV ON db.* TO 'reader'@'%'",
        ],
    );
    let path = "/api/db/t/_stream_load";
    let r = put(&fe, path, "reader", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "FAILED");
    assert_eq!(r.json()["msg"], DORIS_FE_DENIED);
    let r = put(&be, path, "reader", &[("label", "l1")]).await.json();
    assert_eq!(r["Status"], "Fail");
    assert_eq!(
        r["Message"],
        format!("[ANALYSIS_ERROR]TStatus: errCode = 2, detailMessage = {DORIS_BE_DENIED}")
    );
    assert_eq!(rows(&emu, "SELECT count(*) FROM t"), ["0"]);

    admin(&emu, &["GRANT LOAD_PRIV ON db.t TO reader"]);
    assert_eq!(put(&fe, path, "reader", &[]).await.status, 307);
    let r = put(&be, path, "reader", &[("label", "l2")]).await.json();
    assert_eq!(r["Status"], "Success", "{r}");
    assert_eq!(rows(&emu, "SELECT count(*) FROM t"), ["1"]);

    admin(&emu, &["REVOKE LOAD_PRIV ON db.t FROM 'reader'@'%'"]);
    assert_eq!(
        put(&fe, path, "reader", &[]).await.json()["msg"],
        DORIS_FE_DENIED
    );
    // A wrong password is still told apart from a missing privilege.
    let auth = basic("reader", "nope");
    let r = request(&fe, "PUT", path, &[("Authorization", &auth)], Some(b"")).await;
    assert_eq!(r.json()["code"], 401);
    // The configured user needs no grant; a dropped user cannot log in.
    admin(&emu, &["DROP USER 'reader'@'%'"]);
    assert_eq!(put(&fe, path, "reader", &[]).await.json()["code"], 401);
}

#[tokio::test]
async fn doris_2pc_commit_needs_load_priv() {
    let emu = with_table(Flavor::Doris).await;
    let be = authority(&emu.be_urls()[0]);
    admin(&emu, &["CREATE USER committer IDENTIFIED BY 'pw'"]);
    let root = basic("root", "");
    let r = request(
        &be,
        "PUT",
        "/api/db/t/_stream_load",
        &[
            ("Authorization", &root),
            ("label", "p1"),
            ("two_phase_commit", "true"),
        ],
        Some(b"1\ta\n"),
    )
    .await
    .json();
    let id = r["TxnId"].as_i64().expect("txn id").to_string();
    let commit = |user: &'static str| {
        let (be, id) = (be.clone(), id.clone());
        async move {
            let auth = basic(user, "pw");
            let headers = [
                ("Authorization", auth.as_str()),
                ("txn_id", id.as_str()),
                ("txn_operation", "commit"),
            ];
            request(&be, "PUT", "/api/db/_stream_load_2pc", &headers, Some(b""))
                .await
                .json()
        }
    };
    let r = commit("committer").await;
    assert_eq!(r["status"], "ANALYSIS_ERROR");
    assert_eq!(
        r["msg"],
        format!("TStatus: errCode = 2, detailMessage = {DORIS_BE_DENIED}")
    );
    assert_eq!(rows(&emu, "SELECT count(*) FROM t"), ["0"]);
    admin(&emu, &["GRANT ALL ON *.* TO committer"]);
    assert_eq!(commit("committer").await["status"], "Success");
    assert_eq!(rows(&emu, "SELECT count(*) FROM t"), ["1"]);
}

#[tokio::test]
async fn starrocks_load_and_transactions_need_insert() {
    let emu = with_table(Flavor::StarRocks).await;
    let (fe, be) = (authority(&emu.fe_url()), authority(&emu.be_urls()[0]));
    admin(
        &emu,
        &[
            "CREATE USER 'writer'@'%' IDENTIFIED BY 'pw'",
            "GRANT SELECT ON TABLE db.t TO USER 'writer'@'%'",
        ],
    );
    let path = "/api/db/t/_stream_load";
    let r = put(&fe, path, "writer", &[]).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"\""));
    assert_eq!(r.json()["status"], "FAILED");
    assert_eq!(r.json()["msg"], STARROCKS_DENIED);
    let r = put(&be, path, "writer", &[("label", "l1")]).await.json();
    assert_eq!(r["Status"], "Fail");
    assert_eq!(r["Message"], STARROCKS_DENIED);
    let auth = basic("writer", "pw");
    let begin = |label: &'static str| {
        let (be, auth) = (be.clone(), auth.clone());
        async move {
            let headers = [
                ("Authorization", auth.as_str()),
                ("db", "db"),
                ("table", "t"),
                ("label", label),
            ];
            request(&be, "POST", "/api/transaction/begin", &headers, None)
                .await
                .json()
        }
    };
    let r = begin("b1").await;
    assert_eq!(r["Status"], "ANALYSIS_ERROR");
    assert_eq!(r["Message"], STARROCKS_DENIED);

    admin(
        &emu,
        &["GRANT INSERT ON ALL TABLES IN DATABASE db TO USER writer"],
    );
    assert_eq!(put(&fe, path, "writer", &[]).await.status, 307);
    assert_eq!(
        put(&be, path, "writer", &[("label", "l2")]).await.json()["Status"],
        "Success"
    );
    assert_eq!(begin("b2").await["Status"], "OK");
    admin(
        &emu,
        &["REVOKE INSERT ON ALL TABLES IN DATABASE db FROM USER writer"],
    );
    assert_eq!(put(&fe, path, "writer", &[]).await.status, 401);
}

#[tokio::test]
async fn queries_need_select() {
    for flavor in [Flavor::Doris, Flavor::StarRocks] {
        let emu = with_table(flavor).await;
        let (grant_load, grant_select) = match flavor {
            Flavor::Doris => (
                "GRANT LOAD_PRIV ON db.t TO u",
                "GRANT SELECT_PRIV ON db.t TO u",
            ),
            Flavor::StarRocks => ("GRANT INSERT ON db.t TO u", "GRANT SELECT ON db.t TO u"),
        };
        admin(&emu, &["CREATE USER u IDENTIFIED BY 'pw'", grant_load]);
        let mut s = Session::new(emu.engine().clone(), 2).with_user("u", "10.1.2.3");
        assert_eq!(s.execute("USE db"), Reply::ok());
        // INSERT needs the load privilege only.
        assert_eq!(
            s.execute("INSERT INTO t VALUES (1, 'a')"),
            Reply::Ok { affected: 1 }
        );
        let expected = match flavor {
            Flavor::Doris => Reply::Error {
                code: 1105,
                message: "errCode = 2, detailMessage = SELECT command denied to user 'u'@'10.1.2.3' for table 'internal: db: t'".into(),
            },
            Flavor::StarRocks => Reply::Error {
                code: 5203,
                message: STARROCKS_DENIED.replace("INSERT", "SELECT"),
            },
        };
        assert_eq!(s.execute("SELECT k FROM t"), expected);
        assert_eq!(s.execute("SELECT count(*) FROM db.t WHERE k > 0"), expected);
        // information_schema and table-less queries stay open.
        assert!(matches!(s.execute("SELECT 1"), Reply::Rows(_)));
        assert!(matches!(
            s.execute("SELECT TABLE_NAME FROM information_schema.tables"),
            Reply::Rows(_)
        ));
        admin(&emu, &[grant_select]);
        assert!(matches!(s.execute("SELECT k FROM t"), Reply::Rows(_)));
    }
}

#[tokio::test]
async fn user_statements_answer_like_the_servers() {
    let emu = with_table(Flavor::Doris).await;
    let mut s = Session::new(emu.engine().clone(), 3);
    assert_eq!(
        s.execute("CREATE USER 'a'@'%' IDENTIFIED BY 'x'"),
        Reply::ok()
    );
    assert_eq!(
        s.execute("CREATE USER 'a'@'%'"),
        Reply::Error {
            code: 1396,
            message: "errCode = 2, detailMessage = Operation CREATE USER failed for 'a'@'%'".into()
        }
    );
    assert_eq!(s.execute("CREATE USER IF NOT EXISTS a"), Reply::ok());
    assert!(matches!(
        s.execute("GRANT SELECT_PRIV ON db.* TO nobody"),
        Reply::Error { code: 1396, .. }
    ));
    // StarRocks' privilege names are not Doris'.
    assert!(matches!(
        s.execute("GRANT INSERT ON db.* TO a"),
        Reply::Error { code: 1105, .. }
    ));
    assert_eq!(s.execute("DROP USER a"), Reply::ok());
    assert!(matches!(
        s.execute("DROP USER a"),
        Reply::Error { code: 1396, .. }
    ));
    assert_eq!(s.execute("DROP USER IF EXISTS a"), Reply::ok());
}

/// Over the wire: a created user logs in with its password, and StarRocks' 5203 reaches the
/// client with its SQLSTATE (opensrv-mysql cannot name the code itself).
#[tokio::test]
async fn created_users_log_in_and_get_the_real_error_code() {
    use mysql_async::prelude::Queryable;
    let emu = with_table(Flavor::StarRocks).await;
    admin(&emu, &["CREATE USER 'u'@'%' IDENTIFIED BY 'secret'"]);
    let port: u16 = emu.mysql_url().rsplit(':').next().unwrap().parse().unwrap();
    let opts = |password: &str| -> mysql_async::Opts {
        mysql_async::OptsBuilder::default()
            .ip_or_hostname("127.0.0.1")
            .tcp_port(port)
            .user(Some("u"))
            .pass(Some(password))
            .db_name(Some("db"))
            .into()
    };
    let err = mysql_async::Conn::new(opts("wrong"))
        .await
        .expect_err("wrong password");
    assert!(err.to_string().contains("1045"), "{err}");
    let mut conn = mysql_async::Conn::new(opts("secret")).await.expect("login");
    let err = conn
        .query_drop("SELECT * FROM t")
        .await
        .expect_err("no SELECT");
    let mysql_async::Error::Server(e) = err else {
        panic!("{err:?}");
    };
    assert_eq!((e.code, e.state.as_str()), (5203, "42000"));
    assert_eq!(e.message, STARROCKS_DENIED.replace("INSERT", "SELECT"));
    // The connection still works after the rewritten packet.
    let one: Option<i64> = conn.query_first("SELECT 1").await.expect("select 1");
    assert_eq!(one, Some(1));
}
