//! Row kinds of change streams and the two operations a load can carry.
//!
//! CDC sources speak in insert / update-before / update-after / delete; Stream Load only knows
//! "upsert this row" and "delete this key" (the vendor's delete column). The mapping lives here so
//! every vendor applies the same rule, including the Flink connectors' `ignore update-before`.

use serde::{Deserialize, Serialize};

/// What a load does with one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Op {
    /// Insert, or replace the row with the same key (unique / primary-key tables).
    Upsert,
    /// Delete the row with this key (needs the vendor's delete column).
    Delete,
}

/// The kind of a change-stream row, as Flink and CDC tools label them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RowKind {
    /// A new row.
    Insert,
    /// The old image of an updated row.
    UpdateBefore,
    /// The new image of an updated row.
    UpdateAfter,
    /// A removed row.
    Delete,
}

impl RowKind {
    /// Maps a row kind to the load operation, or `None` when the row is to be skipped.
    ///
    /// With `ignore_update_before` (the connectors' default) an update-before image is skipped,
    /// since the update-after image upserts the same key; without it, update-before deletes the
    /// old key (which matters when an update changes the key).
    pub fn to_op(self, ignore_update_before: bool) -> Option<Op> {
        match self {
            RowKind::Insert | RowKind::UpdateAfter => Some(Op::Upsert),
            RowKind::UpdateBefore if ignore_update_before => None,
            RowKind::UpdateBefore | RowKind::Delete => Some(Op::Delete),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_before_is_skipped_or_deleted_by_the_switch() {
        assert_eq!(RowKind::UpdateBefore.to_op(true), None);
        assert_eq!(RowKind::UpdateBefore.to_op(false), Some(Op::Delete));
        assert_eq!(RowKind::Insert.to_op(true), Some(Op::Upsert));
        assert_eq!(RowKind::UpdateAfter.to_op(false), Some(Op::Upsert));
        assert_eq!(RowKind::Delete.to_op(true), Some(Op::Delete));
    }
}
