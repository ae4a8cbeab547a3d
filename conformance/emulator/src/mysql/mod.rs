//! The MySQL-protocol port: lets ordinary MySQL clients (mysql_async, pymysql, the mariadb CLI)
//! run DDL, INSERT and SELECT against the emulator's engine. (Being built.)

use crate::engine::Engine;

/// Serves MySQL connections on `listener` until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, engine: Engine) -> std::io::Result<()> {
    let _ = engine;
    loop {
        let (_socket, _) = listener.accept().await?;
    }
}
