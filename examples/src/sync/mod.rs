//! `mysql-sync`: whole-database sync from MySQL / MariaDB into Doris or StarRocks, the way the
//! Doris connector's `mysql-sync-database` does it — snapshot, then the binlog — with
//! exactly-once delivery.
//!
//! * The tables of `source_db` that match `include` and not `exclude` (regexes on the table
//!   name) and have a primary key are created in `target_db` as `{prefix}{name}{suffix}`
//!   (UNIQUE KEY on Doris, PRIMARY KEY on StarRocks; types mapped as [`schema`] documents).
//! * Snapshot: the binlog position is read (`SHOW MASTER STATUS`), then every table is read
//!   and loaded as upserts. Changes made during the snapshot are replayed from that position;
//!   upserts and deletes by key are idempotent, so the replay converges to the source.
//! * Binlog: inserts are upserts, deletes are deletes, an update is an upsert unless it changes
//!   the primary key, then it is a delete of the old key plus an upsert of the new row.
//!   `ALTER TABLE … ADD [COLUMN]` (appended) and `DROP [COLUMN]` are applied to the target
//!   between checkpoints.
//! * Exactly-once: at transaction boundaries (XID) every `checkpoint_rows` rows, and at the end,
//!   the sink prepares a checkpoint, which is stored in the state file together with the binlog
//!   file and position and the tracked schemas, then committed. A restart recovers from the
//!   stored checkpoint and continues from the stored position.

pub mod schema;
pub mod state;
pub mod values;

use std::path::PathBuf;

use futures::StreamExt;
use mysql_async::prelude::Queryable;
use mysql_async::{BinlogStreamRequest, Conn, Opts};
use regex::Regex;
use streamload_core::{Delivery, Error, ErrorKind, Format, JsonFormat, Op, Result, SinkConfig};

use crate::endpoint::{Endpoint, Vendor};
use crate::sinks::AnySink;
use crate::sql::SqlClient;
use state::{Change, SyncState};

/// What to sync and how. `Debug` hides the source URL's password.
#[derive(Clone)]
pub struct SyncConfig {
    /// `mysql://user:password@host:port` of the source (never printed).
    pub source_url: String,
    /// The source database.
    pub source_db: String,
    /// The target database (created when missing).
    pub target_db: String,
    /// Only tables whose name matches.
    pub include: Option<Regex>,
    /// Minus tables whose name matches.
    pub exclude: Option<Regex>,
    /// Target table name prefix.
    pub table_prefix: String,
    /// Target table name suffix.
    pub table_suffix: String,
    /// Server id used to read the binlog (unique among the source's replicas).
    pub server_id: u32,
    /// Where the checkpoint, binlog position and schemas are stored.
    pub state_path: PathBuf,
    /// Label prefix (keep it across restarts of one sync job).
    pub label_prefix: String,
    /// Rows between checkpoints.
    pub checkpoint_rows: u64,
    /// Longest time rows wait for a checkpoint (checked at transaction ends).
    pub checkpoint_interval: std::time::Duration,
    /// Keep following the binlog; `false` stops once the sync has caught up.
    pub follow: bool,
}

impl std::fmt::Debug for SyncConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match Opts::from_url(&self.source_url) {
            Ok(o) => format!(
                "mysql://{}@{}:{}",
                o.user().unwrap_or(""),
                o.ip_or_hostname(),
                o.tcp_port()
            ),
            Err(_) => "<unparsable>".to_owned(),
        };
        f.debug_struct("SyncConfig")
            .field("source", &source)
            .field("source_db", &self.source_db)
            .field("target_db", &self.target_db)
            .field("include", &self.include)
            .field("exclude", &self.exclude)
            .field("table_prefix", &self.table_prefix)
            .field("table_suffix", &self.table_suffix)
            .field("server_id", &self.server_id)
            .field("state_path", &self.state_path)
            .field("label_prefix", &self.label_prefix)
            .field("checkpoint_rows", &self.checkpoint_rows)
            .field("checkpoint_interval", &self.checkpoint_interval)
            .field("follow", &self.follow)
            .finish()
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Tables synced.
    pub tables: Vec<String>,
    /// Rows loaded by the snapshot.
    pub snapshot_rows: u64,
    /// Binlog inserts, updates, deletes applied.
    pub inserts: u64,
    /// Updates (a primary-key change counts once here and adds a delete).
    pub updates: u64,
    /// Deletes.
    pub deletes: u64,
    /// Schema changes applied.
    pub schema_changes: Vec<String>,
    /// Checkpoints committed.
    pub checkpoints: u64,
}

pub(crate) fn err(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Unexpected, message.into())
}

fn my_err(what: &str, e: mysql_async::Error) -> Error {
    err(format!("source {what}: {e}"))
}

/// Runs the sync against `endpoint`; `log` gets a line per step.
pub async fn run(
    endpoint: &Endpoint,
    config: &SyncConfig,
    log: &mut (dyn FnMut(String) + Send),
) -> Result<SyncReport> {
    let opts = Opts::from_url(&config.source_url)
        .map_err(|e| Error::new(ErrorKind::Config, format!("bad source URL: {e}")))?;
    let mut report = SyncReport::default();
    let mut state = match SyncState::load(&config.state_path)? {
        Some(state) => {
            log(format!(
                "resuming at {}:{} (checkpoint {})",
                state.binlog_file,
                state.binlog_pos,
                state.checkpoint.as_ref().map_or(0, |c| c.id)
            ));
            state
        }
        None => snapshot(endpoint, config, &opts, &mut report, log).await?,
    };
    report.tables = state.tables.iter().map(|t| t.name.clone()).collect();
    binlog(endpoint, config, &opts, &mut state, &mut report, log).await?;
    Ok(report)
}

fn sink_config(endpoint: &Endpoint, config: &SyncConfig) -> Result<SinkConfig> {
    let format = match endpoint.vendor {
        Vendor::Doris => Format::Json(JsonFormat::Lines),
        Vendor::StarRocks => Format::Json(JsonFormat::Array),
    };
    SinkConfig::builder()
        .with_delivery(Delivery::Checkpointed)
        .with_label_prefix(config.label_prefix.clone())
        .with_format(format)
        .build()
}

/// The target name of a source table.
pub fn target_name(config: &SyncConfig, table: &str) -> String {
    format!("{}{table}{}", config.table_prefix, config.table_suffix)
}

async fn snapshot(
    endpoint: &Endpoint,
    config: &SyncConfig,
    opts: &Opts,
    report: &mut SyncReport,
    log: &mut (dyn FnMut(String) + Send),
) -> Result<SyncState> {
    let mut source = Conn::new(opts.clone())
        .await
        .map_err(|e| my_err("connect", e))?;
    let tables = state::read_tables(&mut source, config, log).await?;
    let mut target = SqlClient::connect(endpoint).await?;
    target
        .execute(&format!(
            "CREATE DATABASE IF NOT EXISTS {}",
            schema::quote(&config.target_db)
        ))
        .await?;
    for table in &tables {
        let ddl = schema::create_table(
            endpoint.vendor,
            table,
            &config.target_db,
            &target_name(config, &table.name),
        )
        .map_err(|m| Error::new(ErrorKind::Unsupported, m))?;
        target.execute(&ddl).await?;
    }
    target.close().await;
    let status: Option<(String, u64)> = source
        .query_first("SHOW MASTER STATUS")
        .await
        .map_err(|e| my_err("SHOW MASTER STATUS", e))?
        .map(|row: mysql_async::Row| {
            let file: Option<String> = row.get(0);
            let pos: Option<u64> = row.get(1);
            (file.unwrap_or_default(), pos.unwrap_or(4))
        });
    let (binlog_file, binlog_pos) =
        status.ok_or_else(|| err("the source has no binary log (start it with --log-bin)"))?;
    log(format!(
        "snapshot of {} tables from binlog position {binlog_file}:{binlog_pos}",
        tables.len()
    ));
    let mut sink = AnySink::open(endpoint, sink_config(endpoint, config)?, None).await?;
    for table in &tables {
        let target =
            streamload_core::Table::new(&config.target_db, target_name(config, &table.name));
        let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        // Streamed: the sink's memory budget bounds what is held, not the table size.
        let mut result = source
            .query_iter(format!(
                "SELECT * FROM {}.{}",
                schema::quote(&table.db),
                schema::quote(&table.name)
            ))
            .await
            .map_err(|e| my_err("snapshot read", e))?;
        let mut count = 0u64;
        while let Some(row) = result
            .next()
            .await
            .map_err(|e| my_err("snapshot read", e))?
        {
            let values: Vec<_> = table
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    values::from_mysql(
                        row.as_ref(i).unwrap_or(&mysql_async::Value::NULL),
                        &c.column_type,
                    )
                })
                .collect();
            sink.write_values(&target, Op::Upsert, &names, &values)
                .await?;
            count += 1;
        }
        drop(result);
        report.snapshot_rows += count;
        log(format!("  {}: {count} rows", table.name));
    }
    let _ = source.disconnect().await;
    let mut state = SyncState {
        checkpoint: None,
        binlog_file,
        binlog_pos,
        tables,
        next_checkpoint: 1,
    };
    state.checkpoint(&mut sink, &config.state_path).await?;
    sink.close().await?;
    report.checkpoints += 1;
    Ok(state)
}

async fn binlog(
    endpoint: &Endpoint,
    config: &SyncConfig,
    opts: &Opts,
    state: &mut SyncState,
    report: &mut SyncReport,
    log: &mut (dyn FnMut(String) + Send),
) -> Result<()> {
    let mut sink = AnySink::open(
        endpoint,
        sink_config(endpoint, config)?,
        state.checkpoint.clone(),
    )
    .await?;
    let conn = Conn::new(opts.clone())
        .await
        .map_err(|e| my_err("connect", e))?;
    let file = state.binlog_file.clone();
    let mut request = BinlogStreamRequest::new(config.server_id)
        .with_filename(file.as_bytes())
        .with_pos(state.binlog_pos);
    if !config.follow {
        request = request.with_non_blocking();
    }
    let mut stream = conn
        .get_binlog_stream(request)
        .await
        .map_err(|e| my_err("binlog", e))?;
    let mut pending = 0u64;
    let mut last_commit: Option<(String, u64)> = None;
    let mut last_checkpoint = std::time::Instant::now();
    let mut current_file = state.binlog_file.clone();
    while let Some(event) = stream.next().await {
        let event = event.map_err(|e| my_err("binlog event", e))?;
        let end_pos = u64::from(event.header().log_pos());
        let data = event
            .read_data()
            .map_err(|e| err(format!("binlog event: {e}")))?;
        let changes = match data {
            Some(data) => state::changes(&data, &stream, state, config)?,
            None => Vec::new(),
        };
        for change in changes {
            match change {
                // The server's first, fake rotate (log_pos 0) comes before the format
                // description, so its name still carries the checksum; it names the file
                // requested anyway.
                Change::Rotate(name) if end_pos != 0 => current_file = name,
                Change::Rotate(_) => {}
                Change::Rows(rows) => {
                    for (index, op, row) in rows {
                        let table = &state.tables[index];
                        let target = streamload_core::Table::new(
                            &config.target_db,
                            target_name(config, &table.name),
                        );
                        let names: Vec<&str> =
                            table.columns.iter().map(|c| c.name.as_str()).collect();
                        sink.write_values(&target, op.op(), &names, &row).await?;
                        op.count(report);
                        pending += 1;
                    }
                }
                Change::Commit => {
                    last_commit = Some((current_file.clone(), end_pos));
                    let due =
                        pending > 0 && last_checkpoint.elapsed() >= config.checkpoint_interval;
                    if pending >= config.checkpoint_rows || due {
                        state.binlog_file = current_file.clone();
                        state.binlog_pos = end_pos;
                        state.checkpoint(&mut sink, &config.state_path).await?;
                        report.checkpoints += 1;
                        pending = 0;
                        last_checkpoint = std::time::Instant::now();
                    }
                }
                Change::Alter(table, column_change) => {
                    // Everything before the DDL lands first, then the target changes, then a
                    // fresh sink describes the new shape.
                    state.checkpoint(&mut sink, &config.state_path).await?;
                    report.checkpoints += 1;
                    pending = 0;
                    let name = target_name(config, &table);
                    let target = format!(
                        "{}.{}",
                        schema::quote(&config.target_db),
                        schema::quote(&name)
                    );
                    let ddl = schema::alter_table(&target, &column_change)
                        .map_err(|m| Error::new(ErrorKind::Unsupported, m))?;
                    let mut sql = SqlClient::connect(endpoint).await?;
                    sql.execute(&ddl).await?;
                    sql.close().await;
                    state.apply(&table, &column_change);
                    state.binlog_file = current_file.clone();
                    state.binlog_pos = end_pos;
                    state.store(&config.state_path)?;
                    sink.close().await?;
                    sink = AnySink::open(
                        endpoint,
                        sink_config(endpoint, config)?,
                        state.checkpoint.clone(),
                    )
                    .await?;
                    log(format!("schema change on {table}: {ddl}"));
                    report.schema_changes.push(ddl);
                }
            }
        }
    }
    if let Some((file, pos)) = last_commit.filter(|_| pending > 0) {
        state.binlog_file = file;
        state.binlog_pos = pos;
        state.checkpoint(&mut sink, &config.state_path).await?;
        report.checkpoints += 1;
    }
    sink.close().await?;
    log(format!(
        "caught up at {}:{}: {} inserts, {} updates, {} deletes",
        state.binlog_file, state.binlog_pos, report.inserts, report.updates, report.deletes
    ));
    Ok(())
}
