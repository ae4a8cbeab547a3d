//! Schema changes on SQLite: `ALTER TABLE` rebuilds the table in the new column order, so
//! `SELECT *` matches `DESC` after `ADD COLUMN ... AFTER c` as it does on the servers.

use super::schema::{Column, TableSchema, Value};
use super::storage::{Storage, column_defs, data_table_name, quote_ident, to_sql};
use super::table_files;
use super::txn_types::EngineError;

impl Storage {
    /// Applies a schema change by rebuilding the table in the new column order: kept columns
    /// are copied, `added` columns get their default in existing rows; the view over a table
    /// with hidden columns is rebuilt; `ddl` (the new CREATE TABLE text) is recorded in the same
    /// transaction, so the stored columns and the restored schema never disagree.
    pub(crate) fn alter_table(
        &mut self,
        old: &TableSchema,
        next: &TableSchema,
        added: &[(Column, Value)],
        ddl: &str,
    ) -> Result<(), EngineError> {
        let db = quote_ident(&old.db);
        let base = format!("{db}.{}", quote_ident(&data_table_name(old)));
        let rebuilt = format!("__rebuild_{}", data_table_name(next));
        let kept: Vec<String> = next
            .columns
            .iter()
            .filter(|c| old.column(&c.name).is_some())
            .map(|c| quote_ident(&c.name))
            .collect();
        let kept = kept.join(", ");
        let conn = self.conn(&old.db)?;
        let tx = conn.unchecked_transaction()?;
        tx.execute(
            &format!(
                "CREATE TABLE {db}.{} ({})",
                quote_ident(&rebuilt),
                column_defs(next)
            ),
            [],
        )?;
        tx.execute(
            &format!(
                "INSERT INTO {db}.{} ({kept}) SELECT {kept} FROM {base}",
                quote_ident(&rebuilt)
            ),
            [],
        )?;
        for (c, default) in added.iter().filter(|(_, d)| *d != Value::Null) {
            tx.execute(
                &format!(
                    "UPDATE {db}.{} SET {} = ?1",
                    quote_ident(&rebuilt),
                    quote_ident(&c.name)
                ),
                [to_sql(default)],
            )?;
        }
        if old.has_hidden_columns() {
            tx.execute(
                &format!("DROP VIEW IF EXISTS {db}.{}", quote_ident(&old.name)),
                [],
            )?;
        }
        tx.execute(&format!("DROP TABLE {base}"), [])?;
        tx.execute(
            &format!(
                "ALTER TABLE {db}.{} RENAME TO {}",
                quote_ident(&rebuilt),
                quote_ident(&data_table_name(next))
            ),
            [],
        )?;
        if next.has_hidden_columns() {
            let visible: Vec<String> = next
                .visible_columns()
                .map(|c| quote_ident(&c.name))
                .collect();
            tx.execute(
                &format!(
                    "CREATE VIEW {db}.{} AS SELECT {} FROM {}",
                    quote_ident(&next.name),
                    visible.join(", "),
                    quote_ident(&data_table_name(next)),
                ),
                [],
            )?;
        }
        table_files::record_ddl(&tx, &next.db, &next.name, Some(ddl))?;
        tx.commit()?;
        Ok(())
    }
}
