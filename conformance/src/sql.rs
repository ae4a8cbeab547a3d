//! SQL through a cluster's MySQL port: DDL to create tables, SELECTs to read rows back.
//!
//! Cases read data back the way a user would, through the MySQL protocol, so the same code works
//! on the emulator and on a real cluster. Values come back as text (`NULL` for null) so cases
//! compare one spelling whatever the column type.

use mysql_async::prelude::Queryable;

use crate::failure::{Failure, Result};
use crate::modes::Endpoints;

async fn connect(at: &Endpoints, db: Option<&str>) -> Result<mysql_async::Conn> {
    let (host, port) = at
        .mysql_addr
        .rsplit_once(':')
        .ok_or_else(|| Failure::new(format!("MySQL address without port: {}", at.mysql_addr)))?;
    let port: u16 = port
        .parse()
        .map_err(|_| Failure::new(format!("bad MySQL port in {}", at.mysql_addr)))?;
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(host.to_owned())
        .tcp_port(port)
        .user(Some(at.user.clone()))
        .pass(Some(at.password.clone()))
        .db_name(db.map(str::to_owned))
        .prefer_socket(false);
    Ok(mysql_async::Conn::new(opts).await?)
}

/// Runs one statement.
pub(crate) async fn execute(at: &Endpoints, sql: &str) -> Result<()> {
    let mut conn = connect(at, None).await?;
    let result = conn.query_drop(sql).await;
    let _ = conn.disconnect().await;
    result.map_err(|e| Failure::from(e).context(format!("running `{sql}`")))
}

/// Rows of `sql`, every value as text.
pub(crate) async fn query(at: &Endpoints, sql: &str) -> Result<Vec<Vec<String>>> {
    let mut conn = connect(at, None).await?;
    let result: std::result::Result<Vec<mysql_async::Row>, _> = conn.query(sql).await;
    let _ = conn.disconnect().await;
    let rows = result.map_err(|e| Failure::from(e).context(format!("running `{sql}`")))?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (0..row.len())
                .map(|i| match row.as_ref(i) {
                    Some(mysql_async::Value::NULL) | None => "NULL".to_owned(),
                    Some(mysql_async::Value::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
                    Some(other) => other.as_sql(true).trim_matches('\'').to_owned(),
                })
                .collect()
        })
        .collect())
}
