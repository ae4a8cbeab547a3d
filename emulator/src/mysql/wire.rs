//! The opensrv-mysql shim: handshake, authentication, COM_INIT_DB, text queries and prepared
//! statements, each answered by writing a [`Reply`] with column types clients convert cleanly
//! (integers as LONGLONG, floats as DOUBLE, everything else as VAR_STRING, NULLs as NULL).

use std::collections::HashMap;

use async_trait::async_trait;
use opensrv_mysql::{
    AsyncMysqlShim, Column, ColumnFlags, ColumnType, ErrorKind, InitWriter, OkResponse,
    ParamParser, QueryResultWriter, StatementMetaWriter, ValueInner,
};
use tokio::io::AsyncWrite;

use std::sync::Arc;

use crate::engine::{DECL_BOOLEAN, DECL_DATE, DECL_DATETIME, DECL_DECIMAL, QueryResult, Value};

use super::access_denied::LoginOutcome;

use super::reply::Reply;
use super::router::{Session, server_version};

/// One connection's shim.
pub(crate) struct Shim {
    session: Session,
    id: u32,
    peer_host: String,
    login: Arc<LoginOutcome>,
    statements: HashMap<u32, String>,
    next_statement: u32,
    /// The user the handshake accepted (`authenticate` cannot reach the session).
    user: std::sync::Mutex<Option<String>>,
}

impl Shim {
    pub(crate) fn new(
        session: Session,
        id: u32,
        peer_host: String,
        login: Arc<LoginOutcome>,
    ) -> Shim {
        Shim {
            session,
            id,
            peer_host,
            login,
            statements: HashMap::new(),
            next_statement: 1,
            user: std::sync::Mutex::new(None),
        }
    }

    /// Hands the logged-in user to the session once, before its first statement.
    fn sync_user(&mut self) {
        let user = self
            .user
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(user) = user {
            self.session.set_user(user, self.peer_host.clone());
        }
    }
}

/// The MySQL type of result column `i`: from the table column's declared type in the text
/// protocol (DATE, DATETIME, DECIMAL, and BOOLEAN as TINY: both servers send it as TINYINT(1),
/// which JDBC reads as `true` / `false`; opensrv-mysql cannot set the display length, so the
/// emulator sends TINY for BOOLEAN only), otherwise from the values.
fn column_type(qr: &QueryResult, i: usize, binary: bool) -> ColumnType {
    if !binary {
        match qr.column_types.get(i).and_then(Option::as_deref) {
            Some(DECL_DATE) => return ColumnType::MYSQL_TYPE_DATE,
            Some(DECL_DATETIME) => return ColumnType::MYSQL_TYPE_DATETIME,
            Some(DECL_DECIMAL) => return ColumnType::MYSQL_TYPE_NEWDECIMAL,
            Some(DECL_BOOLEAN) => return ColumnType::MYSQL_TYPE_TINY,
            _ => {}
        }
    }
    let mut ty = None;
    for row in &qr.rows {
        let t = match &row[i] {
            Value::Null => continue,
            Value::Int(v) if i64::try_from(*v).is_ok() => ColumnType::MYSQL_TYPE_LONGLONG,
            Value::Bool(_) => ColumnType::MYSQL_TYPE_LONGLONG,
            Value::Float(_) => ColumnType::MYSQL_TYPE_DOUBLE,
            _ => return ColumnType::MYSQL_TYPE_VAR_STRING,
        };
        ty = Some(match (ty, t) {
            (None, t) => t,
            (Some(a), b) if a == b => a,
            _ => ColumnType::MYSQL_TYPE_DOUBLE,
        });
    }
    ty.unwrap_or(ColumnType::MYSQL_TYPE_VAR_STRING)
}

/// The opensrv error kind for `code`. opensrv-mysql knows MySQL's own codes only; a server
/// code beyond them (StarRocks' 5203 access denied) goes out as 1105 with a marker that
/// [`super::access_denied`]'s writer turns back into the real code and SQLSTATE.
fn error_kind(code: u16, message: String) -> (ErrorKind, String) {
    if code < 2000 {
        return (ErrorKind::from(code), message);
    }
    let marked = super::access_denied::mark_error(code, "42000", &message);
    (ErrorKind::ER_UNKNOWN_ERROR, marked)
}

async fn write_reply<W: AsyncWrite + Send + Unpin>(
    reply: Reply,
    results: QueryResultWriter<'_, W>,
    binary: bool,
) -> std::io::Result<()> {
    match reply {
        // No info text: opensrv-mysql sends it as string<EOF> (it does not advertise
        // CLIENT_SESSION_TRACK) and mysql_async then misreads the whole OK packet.
        Reply::Ok { affected } => {
            results
                .completed(OkResponse {
                    affected_rows: affected,
                    ..Default::default()
                })
                .await
        }
        Reply::Error { code, message } => {
            let (kind, message) = error_kind(code, message);
            results.error(kind, message.as_bytes()).await
        }
        Reply::Rows(qr) => {
            let cols: Vec<Column> = (0..qr.columns.len())
                .map(|i| Column {
                    table: String::new(),
                    column: qr.columns[i].clone(),
                    coltype: column_type(&qr, i, binary),
                    colflags: ColumnFlags::empty(),
                })
                .collect();
            let mut w = results.start(&cols).await?;
            for row in &qr.rows {
                for (i, v) in row.iter().enumerate() {
                    match (cols[i].coltype, v) {
                        (_, Value::Null) => w.write_col(None::<i64>)?,
                        (ColumnType::MYSQL_TYPE_LONGLONG, Value::Int(x)) => {
                            w.write_col(*x as i64)?
                        }
                        (ColumnType::MYSQL_TYPE_LONGLONG, Value::Bool(b)) => {
                            w.write_col(i64::from(*b))?
                        }
                        (ColumnType::MYSQL_TYPE_DOUBLE, Value::Int(x)) => w.write_col(*x as f64)?,
                        (ColumnType::MYSQL_TYPE_DOUBLE, Value::Float(f)) => w.write_col(*f)?,
                        (_, other) => w.write_col(render(other))?,
                    }
                }
                w.end_row().await?;
            }
            w.finish().await
        }
    }
}

fn render(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => u8::from(*b).to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Text(s) => s.clone(),
    }
}

/// Positions of `?` placeholders outside quotes.
fn placeholders(sql: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut prev = '\0';
    for (i, c) in sql.char_indices() {
        match quote {
            Some(q) if c == q && prev != '\\' => quote = None,
            Some(_) => {}
            None if matches!(c, '\'' | '"' | '`') => quote = Some(c),
            None if c == '?' => out.push(i),
            None => {}
        }
        prev = c;
    }
    out
}

fn sql_literal(v: ValueInner<'_>) -> String {
    // Parameters are substituted as MySQL literals; the router rewrites them for SQLite.
    let quote = |s: &str| format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"));
    match v {
        ValueInner::NULL => "NULL".into(),
        ValueInner::Bytes(b) => quote(&String::from_utf8_lossy(b)),
        ValueInner::Int(i) => i.to_string(),
        ValueInner::UInt(u) => u.to_string(),
        ValueInner::Double(f) => f.to_string(),
        ValueInner::Date(b) | ValueInner::Datetime(b) => {
            let g = |i: usize| b.get(i).copied().unwrap_or(0);
            let year = u16::from_le_bytes([g(0), g(1)]);
            let mut s = format!("{year:04}-{:02}-{:02}", g(2), g(3));
            if b.len() >= 7 {
                s.push_str(&format!(" {:02}:{:02}:{:02}", g(4), g(5), g(6)));
            }
            if b.len() >= 11 {
                let micros = u32::from_le_bytes([g(7), g(8), g(9), g(10)]);
                s.push_str(&format!(".{micros:06}"));
            }
            quote(&s)
        }
        ValueInner::Time(_) => "NULL".into(),
    }
}

#[async_trait]
impl<W: AsyncWrite + Send + Unpin> AsyncMysqlShim<W> for Shim {
    type Error = std::io::Error;

    fn version(&self) -> String {
        server_version(self.session_flavor()).to_string()
    }

    fn connect_id(&self) -> u32 {
        self.id
    }

    async fn authenticate(
        &self,
        _auth_plugin: &str,
        username: &[u8],
        salt: &[u8],
        auth_data: &[u8],
    ) -> bool {
        let engine = self.session.engine();
        let user = String::from_utf8_lossy(username).into_owned();
        let ok = engine.password_of(&user).is_some_and(|password| {
            if password.is_empty() {
                auth_data.is_empty()
            } else {
                mysql_common::scramble::scramble_native(salt, password.as_bytes())
                    .is_some_and(|expected| expected.as_slice() == auth_data)
            }
        });
        if ok {
            *self.user.lock().unwrap_or_else(|e| e.into_inner()) = Some(user);
        } else {
            self.login
                .refuse(&user, &self.peer_host, !auth_data.is_empty());
        }
        ok
    }

    async fn on_prepare<'a>(
        &'a mut self,
        query: &'a str,
        info: StatementMetaWriter<'a, W>,
    ) -> std::io::Result<()> {
        let id = self.next_statement;
        self.next_statement += 1;
        let params: Vec<Column> = placeholders(query)
            .iter()
            .map(|_| Column {
                table: String::new(),
                column: "?".into(),
                coltype: ColumnType::MYSQL_TYPE_VAR_STRING,
                colflags: ColumnFlags::empty(),
            })
            .collect();
        self.statements.insert(id, query.to_string());
        info.reply(id, params.iter(), std::iter::empty()).await
    }

    async fn on_execute<'a>(
        &'a mut self,
        id: u32,
        params: ParamParser<'a>,
        results: QueryResultWriter<'a, W>,
    ) -> std::io::Result<()> {
        self.sync_user();
        let Some(query) = self.statements.get(&id).cloned() else {
            return results
                .error(
                    ErrorKind::ER_UNKNOWN_STMT_HANDLER,
                    b"Unknown prepared statement",
                )
                .await;
        };
        let values: Vec<String> = params
            .into_iter()
            .map(|p| sql_literal(p.value.into_inner()))
            .collect();
        let mut sql = String::with_capacity(query.len());
        let mut last = 0;
        for (n, pos) in placeholders(&query).into_iter().enumerate() {
            sql.push_str(&query[last..pos]);
            sql.push_str(values.get(n).map(String::as_str).unwrap_or("NULL"));
            last = pos + 1;
        }
        sql.push_str(&query[last..]);
        let reply = self.session.execute(&sql);
        write_reply(reply, results, true).await
    }

    async fn on_close<'a>(&'a mut self, stmt: u32)
    where
        W: 'async_trait,
    {
        self.statements.remove(&stmt);
    }

    async fn on_query<'a>(
        &'a mut self,
        query: &'a str,
        results: QueryResultWriter<'a, W>,
    ) -> std::io::Result<()> {
        self.sync_user();
        let reply = self.session.execute(query);
        write_reply(reply, results, false).await
    }

    async fn on_init<'a>(
        &'a mut self,
        db: &'a str,
        writer: InitWriter<'a, W>,
    ) -> std::io::Result<()> {
        match self.session.use_db(db) {
            Reply::Error { code, message } => {
                let (kind, message) = error_kind(code, message);
                writer.error(kind, message.as_bytes()).await
            }
            _ => writer.ok().await,
        }
    }
}

impl Shim {
    fn session_flavor(&self) -> crate::engine::Flavor {
        self.session.engine().flavor()
    }
}
