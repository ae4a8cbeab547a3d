//! SQL through an endpoint's MySQL port: DDL, inserts and queries whose results come back as
//! text, the way the `mysql` client shows them.
//!
//! The examples read their tables back through the MySQL port to prove what landed, exactly as
//! a user would check a real cluster; this wraps `mysql_async` for that one purpose.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, Row};
use streamload_core::{Error, ErrorKind, Result};

use crate::endpoint::Endpoint;

/// A query result: column names and rows, every value as text (`NULL` for null).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextResult {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Rows, each value rendered as text.
    pub rows: Vec<Vec<String>>,
}

/// A connection to an endpoint's MySQL port.
#[derive(Debug)]
pub struct SqlClient {
    conn: Conn,
}

fn sql_error(statement: &str, e: mysql_async::Error) -> Error {
    let shown: String = statement.chars().take(120).collect();
    Error::new(ErrorKind::Unexpected, format!("SQL failed: {e}"))
        .with_context("statement", shown)
        .set_source(e)
}

impl SqlClient {
    /// Connects with the endpoint's credentials.
    pub async fn connect(endpoint: &Endpoint) -> Result<SqlClient> {
        let opts = OptsBuilder::default()
            .ip_or_hostname(endpoint.mysql_host.clone())
            .tcp_port(endpoint.mysql_port)
            .user(Some(endpoint.user.clone()))
            .pass(Some(endpoint.password().to_owned()))
            .prefer_socket(false);
        let conn = Conn::new(opts).await.map_err(|e| {
            Error::new(
                ErrorKind::Unavailable,
                format!(
                    "cannot connect to the MySQL port {}:{}: {e}",
                    endpoint.mysql_host, endpoint.mysql_port
                ),
            )
            .set_source(e)
        })?;
        Ok(SqlClient { conn })
    }

    /// Runs one statement, discarding any result.
    pub async fn execute(&mut self, statement: &str) -> Result<()> {
        self.conn
            .query_drop(statement)
            .await
            .map_err(|e| sql_error(statement, e))
    }

    /// Runs one query and returns its result as text.
    pub async fn query(&mut self, statement: &str) -> Result<TextResult> {
        let mut result = self
            .conn
            .query_iter(statement)
            .await
            .map_err(|e| sql_error(statement, e))?;
        let columns = result
            .columns()
            .map(|cols| cols.iter().map(|c| c.name_str().into_owned()).collect())
            .unwrap_or_default();
        let rows: Vec<Row> = result
            .collect()
            .await
            .map_err(|e| sql_error(statement, e))?;
        let rows = rows.into_iter().map(row_text).collect();
        Ok(TextResult { columns, rows })
    }

    /// Closes the connection.
    pub async fn close(self) {
        let _ = self.conn.disconnect().await;
    }
}

fn row_text(row: Row) -> Vec<String> {
    (0..row.len())
        .map(|i| match row.as_ref(i) {
            Some(mysql_async::Value::NULL) | None => "NULL".to_owned(),
            Some(mysql_async::Value::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
            Some(other) => other.as_sql(true).trim_matches('\'').to_owned(),
        })
        .collect()
}

impl TextResult {
    /// The result drawn as the `mysql` client draws it (`+----+` borders, numbers right-aligned).
    pub fn to_table(&self) -> String {
        let width = |i: usize| {
            self.rows
                .iter()
                .map(|r| r.get(i).map_or(0, |v| v.chars().count()))
                .chain(std::iter::once(self.columns[i].chars().count()))
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..self.columns.len()).map(width).collect();
        let border: String = widths
            .iter()
            .map(|w| format!("+{}", "-".repeat(w + 2)))
            .collect::<String>()
            + "+\n";
        let line = |cells: &[String], numeric_right: bool| {
            let mut out = String::new();
            for (cell, w) in cells.iter().zip(&widths) {
                let right = numeric_right && cell.parse::<f64>().is_ok();
                if right {
                    out.push_str(&format!("| {cell:>w$} "));
                } else {
                    out.push_str(&format!("| {cell:<w$} "));
                }
            }
            out + "|\n"
        };
        let mut out = border.clone();
        out.push_str(&line(&self.columns, false));
        out.push_str(&border);
        for row in &self.rows {
            out.push_str(&line(row, true));
        }
        out.push_str(&border);
        let n = self.rows.len();
        out.push_str(&format!(
            "{n} row{} in set\n",
            if n == 1 { "" } else { "s" }
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_drawn_like_the_mysql_client() {
        let result = TextResult {
            columns: vec!["id".into(), "name".into()],
            rows: vec![vec!["1".into(), "prefix_James".into()]],
        };
        assert_eq!(
            result.to_table(),
            "+----+--------------+\n| id | name         |\n+----+--------------+\n\
             |  1 | prefix_James |\n+----+--------------+\n1 row in set\n"
        );
    }
}
