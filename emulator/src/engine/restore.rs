//! Restart from `--data-dir`: rebuilds the catalog and the transaction table, and finishes what
//! a crash cut short.
//!
//! A transaction found running has one of three fates: its rows are already in its table file
//! (the crash fell between applying them and persisting VISIBLE — see
//! [`super::table_files`]), so it becomes VISIBLE without applying anything again; it is
//! PRECOMMITTED, so it stays so with its staged rows, waiting for the client's commit or
//! abort; or it is PREPARE, whose rows lived only in memory, so it is aborted. Every step is
//! idempotent, so a crash during the restart itself is just another crash.

use super::EngineConfig;
use super::catalog::Catalog;
use super::ddl::{self, DdlStatement};
use super::persist::Meta;
use super::state::Inner;
use super::storage::Storage;
use super::txn_table::TxnTable;
use super::txn_types::{EngineError, TxnState};

/// Abort reason of a PREPARE transaction found when the emulator restarts.
pub(crate) const RESTART_REASON: &str = "transaction aborted because the server restarted";

impl Inner {
    pub(crate) fn open(config: EngineConfig) -> Result<Inner, EngineError> {
        let storage = Storage::open(config.data_dir.as_deref())?;
        let meta = Meta::open(config.data_dir.as_deref())?;
        let restored = meta.restore()?;
        let mut inner = Inner {
            config,
            clock_offset_ms: 0,
            catalog: Catalog::new(),
            txns: TxnTable::new(),
            storage,
            meta,
            next_expiry_ms: i64::MIN,
        };
        let mut applied = std::collections::HashSet::new();
        for (name, id) in &restored.databases {
            inner.catalog.add_database(name, Some(*id));
            let legacy = inner.storage.attach(name, *id, false)?;
            let ddls: Vec<String> = if legacy {
                restored
                    .legacy_tables
                    .iter()
                    .filter(|(db, _)| db == name)
                    .map(|(_, ddl)| ddl.clone())
                    .collect()
            } else {
                inner.storage.table_ddls(name)?
            };
            for sql in ddls {
                inner.restore_table(name, &sql, legacy)?;
            }
            applied.extend(inner.storage.applied_txns(name)?);
        }
        let now = inner.now_ms();
        for mut t in restored.txns {
            let i = &mut t.info;
            if i.state.is_running() && applied.contains(&i.id) {
                i.state = TxnState::Visible;
                i.finished_ms = Some(now);
                t.rows.clear();
                inner.meta.save_txn(&t)?;
            } else if i.state != TxnState::Precommitted && i.state.is_running() {
                i.state = TxnState::Aborted;
                i.abort_reason = Some(RESTART_REASON.into());
                i.finished_ms = Some(now);
                inner.meta.save_txn(&t)?;
            }
            inner.txns.insert(t);
        }
        // `meta.sqlite` now agrees with every mark; ids may be reused after a restart.
        for (name, _) in &restored.databases {
            inner.storage.clear_applied(name, None)?;
        }
        Ok(inner)
    }

    /// Adds a table from its recorded DDL; a `legacy` one gets its DDL recorded in its file.
    fn restore_table(&mut self, db: &str, sql: &str, legacy: bool) -> Result<(), EngineError> {
        if let DdlStatement::CreateTable { mut schema, .. } = ddl::parse(sql, self.config.flavor)? {
            schema.db = db.to_string();
            self.storage.create_table(&schema, None)?;
            if legacy {
                self.storage.record_table_ddl(&schema, sql)?;
            }
            self.catalog.add_table(schema);
        }
        Ok(())
    }
}
