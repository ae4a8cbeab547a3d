//! The engine: catalog, DDL, value checks, transactions and labels, table models, SQLite storage.
//!
//! It exists so that the HTTP listeners and the MySQL port share one source of truth: a load
//! staged over HTTP and a `SELECT` over MySQL see the same tables, labels and transactions. The
//! API is synchronous: [`Engine`] is a cheap-to-clone handle over `Arc<Mutex<..>>` state, called
//! from async handlers that hold the lock only for the duration of one call.

mod apply;
mod catalog;
mod catalog_ops;
mod convert;
pub mod crash_point;
mod ddl;
mod ddl_alter;
mod ddl_render;
mod ddl_types;
mod fe_config;
mod infoschema;
pub(crate) mod lexer;
mod multi;
pub mod partition;
mod persist;
mod restore;
mod schema;
pub(crate) mod sketches;
mod sql_functions;
mod sql_rewrite;
mod state;
mod storage;
mod storage_alter;
mod table_files;
mod txn_table;
mod txn_types;
mod users;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) use convert::datetime_text;
pub(crate) use ddl_render::create_table_sql;
pub use schema::{Aggregation, Column, ColumnType, KeysModel, TableSchema, Value};
pub use storage::{DECL_BOOLEAN, DECL_DATE, DECL_DATETIME, DECL_DECIMAL};
pub use txn_types::{
    BeginError, BeginRequest, EngineError, RowOp, StagedRow, TxnError, TxnInfo, TxnState, WriteMode,
};
pub use users::{Privilege, Scope, UserError};

/// Which server the emulator imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Apache Doris.
    Doris,
    /// StarRocks.
    StarRocks,
}

/// Engine settings. [`EngineConfig::new`] fills each vendor's defaults.
#[derive(Clone)]
pub struct EngineConfig {
    /// Which server to imitate.
    pub flavor: Flavor,
    /// Where to persist; `None` keeps everything in memory.
    pub data_dir: Option<PathBuf>,
    /// The one user accepted.
    pub user: String,
    /// Its password (never printed by `Debug`).
    pub password: String,
    /// Running (PREPARE + PRECOMMITTED + COMMITTED) transactions allowed per database.
    pub max_running_txn_per_db: usize,
    /// How long a finished (VISIBLE or ABORTED) label is kept.
    pub label_keep: Duration,
    /// How long a PRECOMMITTED (StarRocks PREPARED) transaction waits before it is aborted.
    pub precommit_timeout: Duration,
    /// Transaction timeout used when a load gives none.
    pub default_txn_timeout: Duration,
}

impl EngineConfig {
    /// The vendor's defaults: Doris 10000 running txns, labels kept 12 h, PRECOMMITTED 3600 s,
    /// txn timeout 259200 s; StarRocks 1000, 3 d, PREPARED 86400 s, 600 s. User `root`, empty
    /// password, in memory.
    pub fn new(flavor: Flavor) -> EngineConfig {
        match flavor {
            Flavor::Doris => EngineConfig {
                flavor,
                data_dir: None,
                user: "root".into(),
                password: String::new(),
                max_running_txn_per_db: 10_000,
                label_keep: Duration::from_secs(12 * 3600),
                precommit_timeout: Duration::from_secs(3600),
                default_txn_timeout: Duration::from_secs(259_200),
            },
            Flavor::StarRocks => EngineConfig {
                flavor,
                data_dir: None,
                user: "root".into(),
                password: String::new(),
                max_running_txn_per_db: 1000,
                label_keep: Duration::from_secs(3 * 24 * 3600),
                precommit_timeout: Duration::from_secs(86_400),
                default_txn_timeout: Duration::from_secs(600),
            },
        }
    }
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConfig")
            .field("flavor", &self.flavor)
            .field("data_dir", &self.data_dir)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("max_running_txn_per_db", &self.max_running_txn_per_db)
            .field("label_keep", &self.label_keep)
            .field("precommit_timeout", &self.precommit_timeout)
            .field("default_txn_timeout", &self.default_txn_timeout)
            .finish()
    }
}

/// The result of a query: column names and rows of values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryResult {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows; each has one value per column.
    pub rows: Vec<Vec<Value>>,
    /// The SQLite declared type of each column when it is a plain table column (`None` for
    /// expressions): [`DECL_DECIMAL`], [`DECL_DATE`], [`DECL_DATETIME`], [`DECL_BOOLEAN`] mark
    /// those types.
    pub column_types: Vec<Option<String>>,
}

/// The engine handle. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Mutex<state::Inner>>,
    flavor: Flavor,
    users: users::Users,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("flavor", &self.flavor)
            .finish()
    }
}

impl Engine {
    /// Opens the engine: in memory, or from `config.data_dir` (created if missing), restoring
    /// databases, tables, committed rows, labels and PRECOMMITTED transactions.
    pub fn open(config: EngineConfig) -> Result<Engine, EngineError> {
        let flavor = config.flavor;
        let inner = state::Inner::open(config)?;
        Ok(Engine {
            inner: Arc::new(Mutex::new(inner)),
            flavor,
            users: users::Users::default(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, state::Inner> {
        // A panic while holding the lock leaves consistent-enough state for an emulator.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Which server is imitated.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// True when `user`/`password` match the configured account or a user made by
    /// `CREATE USER`.
    pub fn check_password(&self, user: &str, password: &str) -> bool {
        {
            let inner = self.lock();
            if inner.config.user == user {
                return inner.config.password == password;
            }
        }
        self.check_created_user(user, password)
    }

    /// The configured user name.
    pub fn user(&self) -> String {
        self.lock().config.user.clone()
    }

    /// The configured password (for the MySQL handshake check; never log it).
    pub(crate) fn password(&self) -> String {
        self.lock().config.password.clone()
    }

    /// The virtual clock: wall clock plus what [`Engine::advance_clock`] added, in ms.
    pub fn now_ms(&self) -> i64 {
        self.lock().now_ms()
    }

    /// Moves the virtual clock forward and expires transactions and labels accordingly.
    pub fn advance_clock(&self, by: Duration) {
        let mut inner = self.lock();
        inner.clock_offset_ms += by.as_millis() as i64;
        inner.expire();
    }

    /// Sets an FE config item by the server's name (`max_running_txn_num_per_db`, Doris
    /// `streaming_label_keep_max_second` / StarRocks `label_keep_max_second`, Doris
    /// `stream_load_default_precommit_timeout_second` / StarRocks
    /// `prepared_transaction_default_timeout_second`, `stream_load_default_timeout_second`);
    /// other keys are accepted and ignored. Used by `ADMIN SET FRONTEND CONFIG`.
    pub fn set_fe_config(&self, key: &str, value: &str) -> Result<(), EngineError> {
        let mut inner = self.lock();
        fe_config::apply(&mut inner.config, key, value)?;
        // Deadlines may have moved earlier.
        inner.next_expiry_ms = i64::MIN;
        inner.expire();
        Ok(())
    }

    /// The id of a database.
    pub fn database_id(&self, db: &str) -> Option<i64> {
        self.lock().catalog.database_id(db)
    }

    /// Database names, sorted.
    pub fn databases(&self) -> Vec<String> {
        self.lock().catalog.database_names()
    }

    /// Table names of a database, sorted (`None` if the database is unknown).
    pub fn tables(&self, db: &str) -> Option<Vec<String>> {
        self.lock().catalog.table_names(db)
    }

    /// The schema of a table.
    pub fn table(&self, db: &str, table: &str) -> Option<TableSchema> {
        self.lock().catalog.table(db, table).cloned()
    }

    /// `CREATE DATABASE IF NOT EXISTS db`.
    pub fn create_database(&self, db: &str) -> Result<(), EngineError> {
        self.lock().create_database(db, true)
    }

    /// Runs one DDL statement in the vendor's dialect: CREATE DATABASE / TABLE, DROP DATABASE /
    /// TABLE. Unqualified table names need a `db.` prefix here (the MySQL port passes its
    /// current database through [`Engine::execute_ddl_in`]).
    pub fn execute_ddl(&self, sql: &str) -> Result<(), EngineError> {
        self.execute_ddl_in(None, sql)
    }

    /// Like [`Engine::execute_ddl`], resolving unqualified names in `current_db`.
    pub fn execute_ddl_in(&self, current_db: Option<&str>, sql: &str) -> Result<(), EngineError> {
        let stmt = ddl::parse(sql, self.flavor)?;
        self.lock().execute_ddl(current_db, stmt, sql)
    }

    /// Runs `DELETE FROM t [WHERE ...]`, `UPDATE t SET ... [WHERE ...]` or `TRUNCATE TABLE t`
    /// directly on the stored rows (outside transactions, as the servers' SQL DML is) and
    /// returns the number of rows changed.
    pub fn execute_dml(&self, current_db: Option<&str>, sql: &str) -> Result<u64, EngineError> {
        let inner = self.lock();
        inner.storage.execute_dml(current_db, sql, &inner.catalog)
    }

    /// Runs a read-only query on SQLite (all databases are attached, so `db.table` works;
    /// `current_db` resolves unqualified table names).
    pub fn query(&self, current_db: Option<&str>, sql: &str) -> Result<QueryResult, EngineError> {
        let inner = self.lock();
        inner
            .storage
            .prepare_information_schema(sql, &inner.catalog)?;
        let mut result = match sql_rewrite::count_distinct_sketches(sql, &inner.catalog, current_db)
        {
            Some(rewritten) => inner.storage.query(current_db, &rewritten)?,
            None => inner.storage.query(current_db, sql)?,
        };
        // Doris answers a BITMAP / HLL column selected as such with NULL (its object types are
        // sent only with `return_object_data_as_binary`; its suite test_stream_load_bitmap
        // records `\N`); functions over the column see the members.
        if self.flavor == Flavor::Doris {
            for (i, decl) in result.column_types.iter().enumerate() {
                if decl.as_deref() == Some(storage::DECL_SKETCH) {
                    result.rows.iter_mut().for_each(|row| row[i] = Value::Null);
                }
            }
        }
        Ok(result)
    }

    /// Checks a raw field against a column and converts it: `raw` is the text of a CSV field or
    /// a JSON scalar (`None` = NULL, e.g. `\N`). `Err` carries the server-style reason. With
    /// `strict_mode` off, a value that fails conversion becomes NULL (then the NOT NULL check
    /// applies), as the servers do.
    pub fn convert(
        &self,
        column: &Column,
        raw: Option<&str>,
        strict_mode: bool,
    ) -> Result<Value, String> {
        convert::convert(self.flavor, column, raw, strict_mode)
    }

    /// Opens a transaction (state PREPARE) after the label and running-limit checks.
    pub fn begin(&self, req: BeginRequest) -> Result<TxnInfo, BeginError> {
        self.lock().begin(req)
    }

    /// Adds rows to a PREPARE transaction.
    pub fn stage(&self, txn_id: i64, rows: Vec<StagedRow>) -> Result<(), TxnError> {
        self.lock().stage(txn_id, rows)
    }

    /// Changes how a PREPARE transaction's rows will be applied (partial update, merge
    /// condition). StarRocks V2 transactions and merge-commit windows learn these from the
    /// `/load` requests, after `begin`.
    pub fn set_write_mode(&self, txn_id: i64, write: WriteMode) -> Result<(), TxnError> {
        self.lock().set_write_mode(txn_id, write)
    }

    /// PREPARE -> PRECOMMITTED (StarRocks PREPARED). Idempotent on PRECOMMITTED.
    pub fn precommit(&self, txn_id: i64) -> Result<TxnInfo, TxnError> {
        self.lock().precommit(txn_id, None)
    }

    /// Like [`Engine::precommit`], with this transaction's own PRECOMMITTED timeout (StarRocks
    /// `prepared_timeout`) instead of `EngineConfig::precommit_timeout`.
    pub fn precommit_with_timeout(
        &self,
        txn_id: i64,
        timeout: Duration,
    ) -> Result<TxnInfo, TxnError> {
        self.lock().precommit(txn_id, Some(timeout))
    }

    /// PREPARE or PRECOMMITTED -> VISIBLE: applies the staged rows per the table model.
    pub fn commit(&self, txn_id: i64) -> Result<TxnInfo, TxnError> {
        self.lock().commit(txn_id)
    }

    /// Aborts a PREPARE or PRECOMMITTED transaction; its rows are dropped.
    pub fn abort(&self, txn_id: i64, reason: &str) -> Result<TxnInfo, TxnError> {
        self.lock().abort(txn_id, reason)
    }

    /// A transaction of a database by id.
    pub fn txn(&self, db: &str, txn_id: i64) -> Option<TxnInfo> {
        let mut inner = self.lock();
        inner.expire();
        inner
            .txns
            .get(txn_id)
            .filter(|t| t.info.db.eq_ignore_ascii_case(db))
            .map(|t| t.info.clone())
    }

    /// A transaction by id, whatever its database.
    pub fn txn_any(&self, txn_id: i64) -> Option<TxnInfo> {
        let mut inner = self.lock();
        inner.expire();
        inner.txns.get(txn_id).map(|t| t.info.clone())
    }

    /// The newest transaction of a database holding `label` (expired labels are forgotten).
    pub fn txn_by_label(&self, db: &str, label: &str) -> Option<TxnInfo> {
        let mut inner = self.lock();
        inner.expire();
        inner.txns.by_label(db, label).map(|t| t.info.clone())
    }

    /// PREPARE, PRECOMMITTED and COMMITTED transactions of a database.
    pub fn running_txns(&self, db: &str) -> Vec<TxnInfo> {
        let mut inner = self.lock();
        inner.expire();
        inner.txns.running(db)
    }
}
