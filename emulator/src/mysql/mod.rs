//! The MySQL-protocol port: lets ordinary MySQL clients (mysql_async, pymysql, the mariadb CLI,
//! JDBC) run DDL, INSERT and SELECT against the emulator's engine, the way users check loaded
//! rows on a real Doris / StarRocks FE query port.
//!
//! What it answers: session chatter (`SET`, `USE`, `SELECT @@var, ...`, `SHOW VARIABLES`),
//! `version()` / `current_version()`, CREATE / DROP in vendor DDL, `INSERT ... VALUES` and
//! `INSERT ... SELECT` through the engine's transactions (so table models apply), SELECT /
//! DELETE / UPDATE / TRUNCATE on SQLite (MySQL literals rewritten), `information_schema`,
//! SHOW DATABASES / \[FULL\] TABLES / \[FULL\] COLUMNS / CREATE TABLE / TABLE STATUS /
//! BACKENDS / FRONTENDS / PROC, DESC, and `ADMIN SET` / `SHOW FRONTEND CONFIG`. Errors carry Doris' `errCode = 2, detailMessage = ` framing on
//! the Doris flavor.
//!
//! Authentication is `mysql_native_password` against the engine's configured user and the users
//! made by `CREATE USER`; a refused login answers `ERROR 1045 (28000) Access denied ...` like the
//! servers. `GRANT` / `REVOKE` give created users reading and loading, which queries and INSERT
//! check (see `privileges`). Prepared
//! statements are supported by substituting the parameters into the text and running it as a
//! text query (results are then sent in the binary protocol).

mod access_denied;
mod dialect;
mod insert;
mod privileges;
mod reply;
mod router;
mod show;
mod show_cluster;
mod show_txn;
mod sql_text;
mod users;
mod wire;

pub(crate) use privileges::starrocks_denied;
pub use reply::Reply;
pub use router::{Session, product_version, server_version};
pub use show_cluster::Topology;

use std::sync::atomic::{AtomicU32, Ordering};

use crate::engine::Engine;
use crate::version::{Release, ServerVersion};

/// Serves MySQL connections on `listener` until the task is dropped; each connection runs on its
/// own task. Returns only if accepting fails.
pub async fn serve(listener: tokio::net::TcpListener, engine: Engine) -> std::io::Result<()> {
    let flavor = engine.flavor();
    serve_release(
        listener,
        engine,
        Release::new(flavor, ServerVersion::default_for(flavor)),
    )
    .await
}

/// [`serve`], reporting `release`'s version (`current_version()`, `@@version_comment`).
pub async fn serve_release(
    listener: tokio::net::TcpListener,
    engine: Engine,
    release: Release,
) -> std::io::Result<()> {
    let mut topology = Topology::default();
    if let Ok(addr) = listener.local_addr() {
        topology.host = addr.ip().to_string();
        topology.query_port = addr.port();
    }
    serve_cluster(listener, engine, release, topology).await
}

/// [`serve_release`], listing `topology`'s nodes in SHOW BACKENDS / FRONTENDS.
pub async fn serve_cluster(
    listener: tokio::net::TcpListener,
    engine: Engine,
    release: Release,
    topology: Topology,
) -> std::io::Result<()> {
    static NEXT_ID: AtomicU32 = AtomicU32::new(1);
    loop {
        let (socket, peer) = listener.accept().await?;
        let _ = socket.set_nodelay(true);
        let engine = engine.clone();
        let topology = topology.clone();
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let (r, w) = socket.into_split();
            let outcome = std::sync::Arc::new(access_denied::LoginOutcome::default());
            let w = access_denied::Writer::new(w, std::sync::Arc::clone(&outcome));
            let shim = wire::Shim::new(
                Session::new(engine, id)
                    .with_release(release)
                    .with_topology(topology),
                id,
                peer.ip().to_string(),
                outcome,
            );
            if let Err(e) = opensrv_mysql::AsyncMysqlIntermediary::run_on(shim, r, w).await {
                tracing::debug!(connection = id, error = %e, "mysql connection ended");
            }
        });
    }
}
