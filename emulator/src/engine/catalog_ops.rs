//! Catalog changes behind the lock: CREATE / DROP of databases and tables, kept in step across
//! the catalog, the SQLite files and the persisted metadata.
//!
//! Crash order: a table's DDL is recorded in its own file's transaction (see
//! [`super::table_files`]); a database is saved to `meta.sqlite` after its file exists and
//! forgotten before its file is removed, so a crash leaves at worst an orphan file, which a new
//! database of the same id replaces.

use super::convert;
use super::ddl::DdlStatement;
use super::ddl_alter;
use super::ddl_render::create_table_sql;
use super::schema::{Column, TableSchema, Value};
use super::state::Inner;
use super::txn_types::EngineError;

impl Inner {
    pub(crate) fn create_database(
        &mut self,
        db: &str,
        if_not_exists: bool,
    ) -> Result<(), EngineError> {
        if self.catalog.database(db).is_some() {
            return if if_not_exists {
                Ok(())
            } else {
                Err(EngineError::DatabaseExists(db.to_string()))
            };
        }
        let id = self.catalog.add_database(db, None);
        if let Err(e) = self
            .storage
            .attach(db, id, true)
            .and_then(|_| self.meta.save_database(db, id))
        {
            self.catalog.remove_database(db);
            return Err(e);
        }
        Ok(())
    }

    pub(crate) fn execute_ddl(
        &mut self,
        current_db: Option<&str>,
        stmt: DdlStatement,
        sql: &str,
    ) -> Result<(), EngineError> {
        let resolve = |db: Option<String>| -> Result<String, EngineError> {
            db.or_else(|| current_db.map(str::to_string))
                .ok_or(EngineError::NoDatabaseSelected)
        };
        match stmt {
            DdlStatement::CreateDatabase {
                name,
                if_not_exists,
            } => self.create_database(&name, if_not_exists),
            DdlStatement::CreateTable {
                db,
                mut schema,
                if_not_exists,
            } => {
                let db = resolve(db)?;
                let Some(d) = self.catalog.database(&db) else {
                    return Err(EngineError::UnknownDatabase(db));
                };
                schema.db = d.name.clone();
                if self.catalog.table(&db, &schema.name).is_some() {
                    return if if_not_exists {
                        Ok(())
                    } else {
                        Err(EngineError::TableExists(schema.name))
                    };
                }
                self.storage.create_table(&schema, Some(sql))?;
                self.catalog.add_table(schema);
                Ok(())
            }
            DdlStatement::DropDatabase { name, if_exists } => {
                if self.catalog.database(&name).is_none() {
                    return if if_exists {
                        Ok(())
                    } else {
                        Err(EngineError::UnknownDatabase(name))
                    };
                }
                if let Some(d) = self.catalog.remove_database(&name) {
                    // Labels belong to the database: a re-created one starts with none.
                    self.meta.drop_database(&d.name, d.id)?;
                    let ids: Vec<i64> = self
                        .txns
                        .iter()
                        .filter(|t| t.info.db_id == d.id)
                        .map(|t| t.info.id)
                        .collect();
                    for id in ids {
                        self.txns.remove(id);
                    }
                    self.storage.drop_database(&d.name, d.id)?;
                }
                Ok(())
            }
            DdlStatement::AlterTable { db, name, change } => {
                let db = resolve(db)?;
                let Some(schema) = self.catalog.table(&db, &name).cloned() else {
                    return Err(EngineError::UnknownTable(name));
                };
                let next = ddl_alter::altered(&schema, &change)?;
                let flavor = self.config.flavor;
                let added: Vec<(Column, Value)> = next
                    .columns
                    .iter()
                    .filter(|c| schema.column(&c.name).is_none())
                    .map(|c| {
                        let default = c
                            .default
                            .as_deref()
                            .and_then(|d| convert::convert(flavor, c, Some(d), false).ok())
                            .unwrap_or(Value::Null);
                        (c.clone(), default)
                    })
                    .collect();
                self.storage
                    .alter_table(&schema, &next, &added, &create_table_sql(&next))?;
                self.remap_running(&schema, &next);
                self.catalog.add_table(next);
                Ok(())
            }
            DdlStatement::DropTable {
                db,
                name,
                if_exists,
            } => {
                let db = resolve(db)?;
                let Some(schema) = self.catalog.table(&db, &name).cloned() else {
                    return if if_exists {
                        Ok(())
                    } else {
                        Err(EngineError::UnknownTable(name))
                    };
                };
                self.storage.drop_table(&schema)?;
                self.catalog.remove_table(&db, &name);
                Ok(())
            }
        }
    }

    /// Re-indexes the staged rows of the table's running transactions after a schema change
    /// (rows are staged by column index); new columns are "not provided".
    fn remap_running(&mut self, old: &TableSchema, new: &TableSchema) {
        let map: Vec<Option<usize>> = new
            .columns
            .iter()
            .map(|c| old.column_index(&c.name))
            .collect();
        let ids: Vec<i64> = self
            .txns
            .running(&old.db)
            .into_iter()
            .filter(|t| t.table.eq_ignore_ascii_case(&old.name))
            .map(|t| t.id)
            .collect();
        for id in ids {
            if let Some(t) = self.txns.get_mut(id) {
                for row in &mut t.rows {
                    row.values = map
                        .iter()
                        .map(|o| o.and_then(|o| row.values.get(o).cloned().flatten()))
                        .collect();
                }
            }
            self.persist(id);
        }
    }
}
