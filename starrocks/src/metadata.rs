//! Table metadata and the server version through the MySQL port (`jdbc-url`).
//!
//! Whether a table has a primary key decides whether rows carry `__op` (deletes), and the column
//! order is what a full-row load maps to. StarRocks exposes both in
//! `information_schema.COLUMNS` (`COLUMN_KEY` = `PRI` / `UNI` / `AGG` / `DUP`); the connector reads
//! the same view. Queries are sent as text (values escaped) so any MySQL-protocol front end works.

use mysql_async::prelude::Queryable;
use streamload_core::{DeleteColumn, Error, ErrorKind, KeysModel, Result, Table, TableDescription};

use crate::config::StarRocksConfig;
use crate::version::ServerVersion;

/// The pseudo-column that selects upsert (`0`) or delete (`1`) on primary-key tables.
pub const OP_COLUMN: &str = "__op";

/// Describes `table`; without a `jdbc-url` the key model is `Unknown` and deletes are off.
pub(crate) async fn describe(config: &StarRocksConfig, table: &Table) -> Result<TableDescription> {
    let Some(jdbc) = &config.jdbc_url else {
        return Ok(TableDescription {
            keys: KeysModel::Unknown,
            columns: Vec::new(),
            delete_column: None,
        });
    };
    let mut conn = connect(jdbc, config).await?;
    let sql = format!(
        "SELECT COLUMN_NAME, COLUMN_KEY FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = '{}' AND TABLE_NAME = '{}' ORDER BY ORDINAL_POSITION",
        escape(&table.db),
        escape(&table.name)
    );
    let described = match conn.query::<(String, Option<String>), _>(sql).await {
        Ok(rows) if !rows.is_empty() => {
            let keys = keys_model(rows.iter().filter_map(|(_, k)| k.as_deref()));
            Ok(describe_rows(
                keys,
                rows.into_iter().map(|(name, _)| name).collect(),
            ))
        }
        _ => describe_by_ddl(&mut conn, table).await,
    };
    let _ = conn.disconnect().await;
    described
}

/// Fallback for front ends without `information_schema`: `DESC` for the columns and
/// `SHOW CREATE TABLE` for the key model.
async fn describe_by_ddl(conn: &mut mysql_async::Conn, table: &Table) -> Result<TableDescription> {
    let name = qualified(table);
    let columns: Vec<String> = conn
        .query_map(format!("DESC {name}"), |row: mysql_async::Row| {
            row.get::<String, usize>(0).unwrap_or_default()
        })
        .await
        .map_err(|e| not_found_or(e, table, "DESC"))?;
    let ddl: Option<(String, String)> = conn
        .query_first(format!("SHOW CREATE TABLE {name}"))
        .await
        .map_err(|e| not_found_or(e, table, "SHOW CREATE TABLE"))?;
    let ddl = ddl
        .map(|(_, text)| text.to_ascii_uppercase())
        .unwrap_or_default();
    let keys = if ddl.contains("PRIMARY KEY") {
        KeysModel::Primary
    } else if ddl.contains("UNIQUE KEY") {
        KeysModel::Unique
    } else if ddl.contains("AGGREGATE KEY") {
        KeysModel::Aggregate
    } else if ddl.contains("DUPLICATE KEY") {
        KeysModel::Duplicate
    } else {
        KeysModel::Unknown
    };
    Ok(describe_rows(keys, columns))
}

fn qualified(table: &Table) -> String {
    let plain =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if plain(&table.db) && plain(&table.name) {
        format!("{}.{}", table.db, table.name)
    } else {
        format!(
            "`{}`.`{}`",
            table.db.replace('`', "``"),
            table.name.replace('`', "``")
        )
    }
}

fn not_found_or(e: mysql_async::Error, table: &Table, what: &str) -> Error {
    if let mysql_async::Error::Server(s) = &e
        && matches!(s.code, 1049 | 1146)
    {
        return Error::new(ErrorKind::NotFound, format!("table {table} not found"))
            .with_context("table", table);
    }
    mysql_error(e, what)
}

/// Builds the description: `__op` is offered only on primary-key tables.
pub(crate) fn describe_rows(keys: KeysModel, columns: Vec<String>) -> TableDescription {
    let delete_column = (keys == KeysModel::Primary).then(|| DeleteColumn {
        name: OP_COLUMN.to_owned(),
        upsert: "0".to_owned(),
        delete: "1".to_owned(),
    });
    TableDescription {
        keys,
        columns,
        delete_column,
    }
}

fn keys_model<'a>(column_keys: impl Iterator<Item = &'a str>) -> KeysModel {
    let mut model = KeysModel::Unknown;
    for key in column_keys {
        match key.to_ascii_uppercase().as_str() {
            "PRI" => return KeysModel::Primary,
            "UNI" => model = KeysModel::Unique,
            "AGG" if model == KeysModel::Unknown => model = KeysModel::Aggregate,
            "DUP" if model == KeysModel::Unknown => model = KeysModel::Duplicate,
            _ => {}
        }
    }
    model
}

/// `select current_version()` through the MySQL port.
pub(crate) async fn server_version(config: &StarRocksConfig) -> Result<Option<ServerVersion>> {
    let Some(jdbc) = &config.jdbc_url else {
        return Ok(None);
    };
    let mut conn = connect(jdbc, config).await?;
    let version: Option<String> = conn
        .query_first("select current_version() as ver")
        .await
        .map_err(|e| mysql_error(e, "select current_version()"))?;
    let _ = conn.disconnect().await;
    version.map(|v| v.parse()).transpose()
}

async fn connect(jdbc: &str, config: &StarRocksConfig) -> Result<mysql_async::Conn> {
    let (host, port) = parse_jdbc(jdbc)?;
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(host)
        .tcp_port(port)
        .user(Some(config.username.clone()))
        .pass(Some(config.password.clone()))
        .prefer_socket(false);
    mysql_async::Conn::new(opts)
        .await
        .map_err(|e| mysql_error(e, "connect"))
}

/// `jdbc:mysql://h1:p1,h2:p2/db?x` → the first `(host, port)` (port 9030 by default).
pub(crate) fn parse_jdbc(jdbc: &str) -> Result<(String, u16)> {
    let rest = jdbc.trim().strip_prefix("jdbc:").unwrap_or(jdbc.trim());
    let rest = rest.strip_prefix("mysql://").unwrap_or(rest);
    let hosts = rest.split(['/', '?']).next().unwrap_or("");
    let first = hosts.split(',').next().unwrap_or("").trim();
    let bad = || {
        Error::new(
            ErrorKind::Config,
            format!("jdbc-url: cannot read a host from {jdbc:?}"),
        )
        .with_context("key", "jdbc-url")
    };
    if first.is_empty() || first.contains('@') {
        return Err(bad());
    }
    match first.rsplit_once(':') {
        Some((host, port)) => Ok((host.to_owned(), port.parse().map_err(|_| bad())?)),
        None => Ok((first.to_owned(), 9030)),
    }
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\'', "''")
}

/// MySQL error codes of a refused login or a denied database: `1045` (MySQL, Doris, StarRocks:
/// `Access denied for user ...`), `1698` (StarRocks' `Authenticate failed`), `1044` (no access to
/// the database). All mean wrong credentials or grants, which retrying cannot fix.
const ACCESS_DENIED_CODES: [u16; 3] = [1045, 1698, 1044];

fn mysql_error(e: mysql_async::Error, what: &str) -> Error {
    let kind = match &e {
        mysql_async::Error::Server(s)
            if ACCESS_DENIED_CODES.contains(&s.code) || s.state == "28000" =>
        {
            ErrorKind::Unauthorized
        }
        mysql_async::Error::Io(_) => ErrorKind::Unavailable,
        _ => ErrorKind::Unexpected,
    };
    let err = Error::new(kind, format!("MySQL port: {what} failed")).set_source(e);
    if kind == ErrorKind::Unavailable {
        err.temporary()
    } else {
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(code: u16, state: &str, message: &str) -> mysql_async::Error {
        mysql_async::Error::Server(mysql_async::ServerError {
            code,
            message: message.to_owned(),
            state: state.to_owned(),
        })
    }

    #[test]
    fn refused_logins_are_unauthorized_and_permanent() {
        let refusals = [
            server_error(
                1045,
                "28000",
                "Access denied for user 'u'@'h' (using password: YES)",
            ),
            server_error(1698, "HY000", "Authenticate failed, user: u"),
            server_error(1044, "42000", "Access denied for user 'u' to database 'd'"),
        ];
        for refusal in refusals {
            let err = mysql_error(refusal, "connect");
            assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
            assert!(!err.is_retryable(), "{err}");
        }
        let other = mysql_error(server_error(1064, "42000", "syntax error"), "DESC t");
        assert_eq!(other.kind(), ErrorKind::Unexpected);
    }

    #[test]
    fn jdbc_urls() {
        assert_eq!(
            parse_jdbc("jdbc:mysql://fe1:9030,fe2:9030/db?x=1").unwrap(),
            ("fe1".into(), 9030)
        );
        assert_eq!(
            parse_jdbc("jdbc:mysql://fe1").unwrap(),
            ("fe1".into(), 9030)
        );
        assert_eq!(
            parse_jdbc("127.0.0.1:19030").unwrap(),
            ("127.0.0.1".into(), 19030)
        );
        assert!(parse_jdbc("jdbc:mysql://").is_err());
    }

    #[test]
    fn only_primary_key_tables_get_op() {
        assert_eq!(keys_model(["PRI", ""].into_iter()), KeysModel::Primary);
        assert_eq!(keys_model(["DUP"].into_iter()), KeysModel::Duplicate);
        let pk = describe_rows(KeysModel::Primary, vec!["id".into()]);
        assert_eq!(pk.delete_column.unwrap().name, "__op");
        assert!(
            describe_rows(KeysModel::Duplicate, vec![])
                .delete_column
                .is_none()
        );
    }
}
