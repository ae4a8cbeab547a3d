//! The in-memory catalog: databases (with ids) and their table schemas.
//!
//! Names are matched case-insensitively (SQLite, which stores the rows, is case-insensitive
//! too), while the declared spelling is kept for display.

use std::collections::BTreeMap;

use super::schema::TableSchema;

/// One database.
#[derive(Debug, Clone)]
pub(crate) struct Database {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) tables: BTreeMap<String, TableSchema>,
}

/// All databases.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    dbs: BTreeMap<String, Database>,
    next_db_id: i64,
}

fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

impl Catalog {
    pub(crate) fn new() -> Catalog {
        Catalog {
            dbs: BTreeMap::new(),
            next_db_id: 10_001,
        }
    }

    pub(crate) fn database(&self, db: &str) -> Option<&Database> {
        self.dbs.get(&key(db))
    }

    pub(crate) fn database_id(&self, db: &str) -> Option<i64> {
        self.database(db).map(|d| d.id)
    }

    pub(crate) fn database_names(&self) -> Vec<String> {
        self.dbs.values().map(|d| d.name.clone()).collect()
    }

    pub(crate) fn table_names(&self, db: &str) -> Option<Vec<String>> {
        self.database(db)
            .map(|d| d.tables.values().map(|t| t.name.clone()).collect())
    }

    pub(crate) fn table(&self, db: &str, table: &str) -> Option<&TableSchema> {
        self.database(db)?.tables.get(&key(table))
    }

    /// Adds a database; `id` is given when restoring, else the next id is used.
    pub(crate) fn add_database(&mut self, name: &str, id: Option<i64>) -> i64 {
        let id = id.unwrap_or(self.next_db_id);
        self.next_db_id = self.next_db_id.max(id + 1);
        self.dbs.insert(
            key(name),
            Database {
                id,
                name: name.to_string(),
                tables: BTreeMap::new(),
            },
        );
        id
    }

    pub(crate) fn remove_database(&mut self, name: &str) -> Option<Database> {
        self.dbs.remove(&key(name))
    }

    pub(crate) fn add_table(&mut self, schema: TableSchema) {
        if let Some(d) = self.dbs.get_mut(&key(&schema.db)) {
            d.tables.insert(key(&schema.name), schema);
        }
    }

    pub(crate) fn remove_table(&mut self, db: &str, table: &str) -> Option<TableSchema> {
        self.dbs.get_mut(&key(db))?.tables.remove(&key(table))
    }
}
