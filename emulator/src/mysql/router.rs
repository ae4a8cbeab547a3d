//! Routes one SQL statement of a MySQL session: session chatter (SET, @@variables, version
//! functions), SHOW / DESC, DDL, INSERT and SELECT (run on SQLite).

use crate::engine::lexer::Cursor;
use crate::engine::{Engine, EngineError, Flavor, Value};
use crate::version::{Release, ServerVersion};

use super::dialect;
use super::insert::insert;
use super::privileges;
use super::reply::{Reply, text};
use super::show;
use super::show_cluster::{self, Topology};
pub(crate) use super::sql_text::like;
use super::sql_text::{replace_ci, strip_leading_comments};
use super::users;
use crate::engine::Privilege;

/// The handshake version string: Doris reports a MySQL 5.7 look-alike, StarRocks 8.0.
pub fn server_version(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::Doris => "5.7.99",
        Flavor::StarRocks => "8.0.33",
    }
}

/// The product version of the default release (`@@version_comment` on Doris,
/// `current_version()` on StarRocks); a session reports its own release's.
pub fn product_version(flavor: Flavor) -> String {
    Release::new(flavor, ServerVersion::default_for(flavor)).product()
}

/// A session variable's value, as the servers report it.
fn variable(release: &Release, name: &str) -> Option<Value> {
    let flavor = release.flavor;
    let n = name.to_ascii_lowercase();
    let n = n
        .trim_start_matches("@@")
        .trim_start_matches("session.")
        .trim_start_matches("global.");
    Some(match n {
        "max_allowed_packet" => Value::Int(16_777_216),
        // Read-only in both FEs' SessionVariable; Connector/J 5.1 (bundled by the StarRocks
        // Flink connector) reads it at connect time and warns on NULL.
        "net_buffer_length" => Value::Int(16_384),
        "wait_timeout" | "interactive_timeout" => Value::Int(28_800),
        "net_write_timeout" | "net_read_timeout" => Value::Int(600),
        "auto_increment_increment" => Value::Int(1),
        "autocommit" => Value::Int(1),
        "lower_case_table_names" => Value::Int(0),
        "query_cache_size" | "query_cache_type" | "performance_schema" => Value::Int(0),
        "sql_select_limit" => Value::Int(i64::MAX.into()),
        "version_comment" => text(match flavor {
            Flavor::Doris => format!("Doris version {}", release.product()),
            Flavor::StarRocks => format!("StarRocks version {}", release.product()),
        }),
        "version" => text(server_version(flavor)),
        "sql_mode" => text("ONLY_FULL_GROUP_BY"),
        "character_set_client"
        | "character_set_connection"
        | "character_set_results"
        | "character_set_server"
        | "character_set_database" => text("utf8mb4"),
        "collation_connection" | "collation_server" | "collation_database" => {
            text("utf8mb4_0900_bin")
        }
        "time_zone" => text("Asia/Shanghai"),
        "system_time_zone" => text("UTC"),
        "tx_isolation" | "transaction_isolation" => text("REPEATABLE-READ"),
        "tx_read_only" | "transaction_read_only" => Value::Int(0),
        "init_connect" => text(""),
        "license" => text("Apache License 2.0"),
        _ => return None,
    })
}

/// The names of variables the router knows (for SHOW VARIABLES).
const VARIABLES: &[&str] = &[
    "autocommit",
    "character_set_client",
    "character_set_connection",
    "character_set_results",
    "character_set_server",
    "collation_connection",
    "collation_server",
    "init_connect",
    "interactive_timeout",
    "license",
    "lower_case_table_names",
    "max_allowed_packet",
    "net_buffer_length",
    "net_write_timeout",
    "performance_schema",
    "query_cache_size",
    "query_cache_type",
    "sql_mode",
    "system_time_zone",
    "time_zone",
    "transaction_isolation",
    "tx_isolation",
    "version",
    "version_comment",
    "wait_timeout",
];

/// One client session.
#[derive(Debug)]
pub struct Session {
    engine: Engine,
    /// The database chosen by `USE` or the handshake.
    pub current_db: Option<String>,
    connection_id: u32,
    /// The version reported by `current_version()` and `@@version_comment`.
    release: Release,
    /// The nodes SHOW BACKENDS / FRONTENDS list.
    topology: Topology,
    /// The logged-in user; `None` for a session made without a handshake, which acts as the
    /// configured user.
    user: Option<String>,
    /// The client's address, as privilege errors name it.
    host: String,
}

fn engine_error(e: EngineError) -> Reply {
    let code = match &e {
        EngineError::Parse(_) => 1064,
        EngineError::UnknownDatabase(_) => 1049,
        EngineError::UnknownTable(_) => 1146,
        EngineError::DatabaseExists(_) => 1007,
        EngineError::TableExists(_) => 1050,
        EngineError::NoDatabaseSelected => 1046,
        _ => 1105,
    };
    Reply::Error {
        code,
        message: e.to_string(),
    }
}

impl Session {
    /// A session on `engine`, reporting the flavor's default version.
    pub fn new(engine: Engine, connection_id: u32) -> Session {
        let flavor = engine.flavor();
        Session {
            engine,
            current_db: None,
            connection_id,
            release: Release::new(flavor, ServerVersion::default_for(flavor)),
            topology: Topology::default(),
            user: None,
            host: "127.0.0.1".into(),
        }
    }

    /// The same session logged in as `user` from `host` (privileges apply to it).
    pub fn with_user(mut self, user: impl Into<String>, host: impl Into<String>) -> Session {
        self.set_user(user.into(), host.into());
        self
    }

    /// Sets the logged-in user and the client's address.
    pub fn set_user(&mut self, user: String, host: String) {
        self.user = Some(user);
        self.host = host;
    }

    fn user_name(&self) -> String {
        self.user.clone().unwrap_or_else(|| self.engine.user())
    }

    /// The first table among `tables` the user may not use with `privilege`, as the server's
    /// refusal.
    fn refused(&self, privilege: Privilege, tables: &[(String, String)]) -> Option<Reply> {
        let user = self.user_name();
        tables
            .iter()
            .find(|(db, t)| !self.engine.has_privilege(&user, db, t, privilege))
            .map(|(db, t)| {
                privileges::denied(self.engine.flavor(), privilege, &user, &self.host, db, t)
            })
    }

    /// The same session listing `topology`'s nodes in SHOW BACKENDS / FRONTENDS.
    pub fn with_topology(mut self, topology: Topology) -> Session {
        self.topology = topology;
        self
    }

    /// The same session reporting `release`'s version.
    pub fn with_release(mut self, release: Release) -> Session {
        self.release = release;
        self
    }

    /// The engine this session runs on.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// `USE db` / COM_INIT_DB.
    pub fn use_db(&mut self, db: &str) -> Reply {
        let db = db.trim().trim_matches('`');
        if self.engine.database_id(db).is_some() || db.eq_ignore_ascii_case("information_schema") {
            self.current_db = Some(db.to_string());
            Reply::ok()
        } else {
            Reply::Error {
                code: 1049,
                message: format!("Unknown database '{db}'"),
            }
        }
    }

    /// Runs one statement. Errors carry the vendor's framing (Doris: `errCode = 2,
    /// detailMessage = ...`).
    pub fn execute(&mut self, sql: &str) -> Reply {
        match self.route(sql) {
            Reply::Error { code, message } => {
                let (code, message) = match message.strip_prefix("no such table: ") {
                    Some(t) => (1146, format!("Unknown table '{t}'")),
                    None => (code, message),
                };
                let message = match self.engine.flavor() {
                    Flavor::Doris => format!("errCode = 2, detailMessage = {message}"),
                    Flavor::StarRocks => message,
                };
                Reply::Error { code, message }
            }
            other => other,
        }
    }

    fn route(&mut self, sql: &str) -> Reply {
        let sql = strip_leading_comments(sql).trim_end_matches(';').trim();
        let lower = sql.to_ascii_lowercase();
        let first = lower.split_whitespace().next().unwrap_or("");
        let release = self.release;
        match first {
            "" => Reply::ok(),
            "set" | "begin" | "commit" | "rollback" | "start" | "kill" | "unlock" | "lock" => {
                Reply::ok()
            }
            "use" => self.use_db(&sql[3..]),
            "admin" => self.admin(sql),
            "create" | "drop" if lower.split_whitespace().nth(1) == Some("user") => {
                if first == "create" {
                    users::create_user(&self.engine, sql)
                } else {
                    users::drop_user(&self.engine, sql)
                }
            }
            "grant" | "revoke" => {
                users::grant_or_revoke(&self.engine, self.current_db.as_deref(), sql)
            }
            "create" | "drop" | "alter" => {
                match self.engine.execute_ddl_in(self.current_db.as_deref(), sql) {
                    Ok(()) => Reply::ok(),
                    Err(e) => engine_error(e),
                }
            }
            "insert" => {
                let target = privileges::insert_target(sql, self.current_db.as_deref());
                if let Some(denied) = self.refused(Privilege::Load, &target) {
                    return denied;
                }
                let read = privileges::tables_read(sql, self.current_db.as_deref());
                if let Some(denied) = self.refused(Privilege::Select, &read) {
                    return denied;
                }
                insert(&self.engine, self.current_db.as_deref(), sql)
            }
            "delete" | "update" | "truncate" => {
                let sql = dialect::to_sqlite(sql);
                match self.engine.execute_dml(self.current_db.as_deref(), &sql) {
                    Ok(affected) => Reply::Ok { affected },
                    Err(e) => engine_error(e),
                }
            }
            "show" => {
                let version = self.release.product();
                let cluster = show::Cluster {
                    topology: &self.topology,
                    version: &version,
                };
                show::show(
                    &self.engine,
                    self.current_db.as_deref(),
                    sql,
                    &cluster,
                    |n| {
                        let known: Vec<(String, Value)> = VARIABLES
                            .iter()
                            .filter(|v| n.is_none_or(|p| like(p, v)))
                            .filter_map(|v| variable(&release, v).map(|x| (v.to_string(), x)))
                            .collect();
                        known
                    },
                )
            }
            "desc" | "describe" | "explain" if !lower.contains("select") => {
                show::describe(&self.engine, self.current_db.as_deref(), sql)
            }
            "select" if lower.contains("@@") && !lower.contains(" from ") => {
                self.select_variables(sql)
            }
            "select" | "with" | "values" => {
                let read = privileges::tables_read(sql, self.current_db.as_deref());
                match self.refused(Privilege::Select, &read) {
                    Some(denied) => denied,
                    None => self.select(sql),
                }
            }
            _ => Reply::Error {
                code: 1064,
                message: format!("statement not supported by the emulator: {sql}"),
            },
        }
    }

    /// `ADMIN SET [FRONTEND] CONFIG ("key" = "value"[, ...])` and `ADMIN SHOW FRONTEND CONFIG
    /// [LIKE 'p']`; other ADMIN statements are accepted as no-ops.
    fn admin(&self, sql: &str) -> Reply {
        let mut cur = match Cursor::new(sql) {
            Ok(c) => c,
            Err(e) => return engine_error(e),
        };
        cur.expect_kw("ADMIN").ok();
        if cur.eat_kw("SHOW") {
            if !(cur.eat_kw("FRONTEND") && cur.eat_kw("CONFIG")) {
                return Reply::ok();
            }
            let pattern = cur.eat_kw("LIKE").then(|| cur.literal().ok()).flatten();
            return show_cluster::frontend_config(&self.engine, pattern.as_deref());
        }
        if !cur.eat_kw("SET") {
            return Reply::ok();
        }
        cur.eat_kw("FRONTEND");
        cur.eat_kw("ALL");
        cur.eat_kw("FRONTENDS");
        if !cur.eat_kw("CONFIG") || !cur.eat_punct('(') {
            return Reply::ok();
        }
        loop {
            let (Ok(key), true, Ok(value)) = (cur.literal(), cur.eat_punct('='), cur.literal())
            else {
                return Reply::Error {
                    code: 1064,
                    message: format!("expected (\"key\" = \"value\") in: {sql}"),
                };
            };
            if let Err(e) = self.engine.set_fe_config(&key, &value) {
                return engine_error(e);
            }
            if !cur.eat_punct(',') {
                return Reply::ok();
            }
        }
    }

    /// `SELECT @@a, @@b [LIMIT 1]`.
    fn select_variables(&self, sql: &str) -> Reply {
        let body = &sql[6..];
        let lower = body.to_ascii_lowercase();
        let body = match lower.find(" limit ") {
            Some(i) => &body[..i],
            None => body,
        };
        let mut columns = Vec::new();
        let mut row = Vec::new();
        for item in body.split(',') {
            let item = item.trim();
            let (expr, alias) = match item.to_ascii_lowercase().find(" as ") {
                Some(i) => (&item[..i], item[i + 4..].trim().trim_matches('`')),
                None => (item, item),
            };
            let value = variable(&self.release, expr.trim()).unwrap_or(Value::Null);
            columns.push(alias.to_string());
            row.push(value);
        }
        let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
        Reply::rows(&columns, vec![row])
    }

    /// SELECT on SQLite, after replacing the servers' functions SQLite lacks.
    fn select(&self, sql: &str) -> Reply {
        let flavor = self.engine.flavor();
        let db = self
            .current_db
            .as_deref()
            .map(|d| format!("'{}'", d.replace('\'', "''")))
            .unwrap_or_else(|| "NULL".into());
        let user = format!("'{}'@'%'", self.engine.user());
        let subs: [(&str, String); 7] = [
            ("current_version()", format!("'{}'", self.release.product())),
            ("version()", format!("'{}'", server_version(flavor))),
            ("database()", db),
            ("connection_id()", self.connection_id.to_string()),
            ("current_user()", format!("'{}'", user.replace('\'', "''"))),
            ("user()", format!("'{}'", user.replace('\'', "''"))),
            ("now()", "datetime('now')".into()),
        ];
        let mut rewritten = dialect::to_sqlite(sql);
        for (f, v) in &subs {
            rewritten = replace_ci(&rewritten, f, v);
        }
        let mut current_db = self.current_db.as_deref();
        if current_db.is_some_and(|d| d.eq_ignore_ascii_case("information_schema")) {
            // After `USE information_schema` its tables are named bare: refresh them, then run
            // on the connection that has them attached (SQLite resolves a bare name there).
            if let Err(e) = self
                .engine
                .query(None, "SELECT 1 FROM information_schema.schemata LIMIT 0")
            {
                return engine_error(e);
            }
            current_db = None;
        }
        match self.engine.query(current_db, &rewritten) {
            Ok(r) => Reply::Rows(r),
            Err(e) => engine_error(e),
        }
    }
}
