//! The `Sink`'s per-table states, found by table name on every row.
//!
//! A writer usually sends many rows in a row to one table, and hashing the table's name for
//! each row cost more than encoding the row. The states live in insertion order with a hash
//! index, and the last table found is tried first with a plain comparison of its names.

use std::collections::HashMap;

use crate::table::Table;

use super::tables::TableState;

/// Table states in insertion order, with a name index and a last-used shortcut.
#[derive(Debug, Default)]
pub(crate) struct TableStates {
    states: Vec<(Table, TableState)>,
    index: HashMap<Table, usize>,
    last: usize,
}

impl TableStates {
    /// The state of `table`, if known.
    pub(crate) fn get_mut(&mut self, table: &Table) -> Option<&mut TableState> {
        let last = self.last;
        if self.states.get(last).is_none_or(|(t, _)| t != table) {
            self.last = *self.index.get(table)?;
        }
        self.states.get_mut(self.last).map(|(_, state)| state)
    }

    /// Whether `table` is known.
    pub(crate) fn contains_key(&mut self, table: &Table) -> bool {
        self.get_mut(table).is_some()
    }

    /// Adds the state of a new `table`.
    pub(crate) fn insert(&mut self, table: Table, state: TableState) {
        debug_assert!(!self.index.contains_key(&table), "{table} added twice");
        self.index.insert(table.clone(), self.states.len());
        self.last = self.states.len();
        self.states.push((table, state));
    }

    /// Every table, in the order they were added.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &Table> {
        self.states.iter().map(|(table, _)| table)
    }

    /// Every table and its state.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Table, &TableState)> {
        self.states.iter().map(|(table, state)| (table, state))
    }

    /// Every state.
    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut TableState> {
        self.states.iter_mut().map(|(_, state)| state)
    }

    /// Removes and returns every table and its state.
    pub(crate) fn drain(&mut self) -> Vec<(Table, TableState)> {
        self.index.clear();
        self.last = 0;
        std::mem::take(&mut self.states)
    }
}
