//! Labels: the idempotency keys of Stream Load.
//!
//! A label is derived once per load, deterministically, and kept across every retry: the server
//! refuses a second load under a label that is not aborted, and `get_load_state` tells what
//! happened to it. Recovery after a crash recomputes the labels a writer may have used, so the
//! generator never uses randomness: when the readable form is not a valid label (odd characters
//! in a table name, or too long) it falls back to a stable hash of the table part.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::table::Table;

/// Longest label both servers accept.
const MAX_LABEL_LEN: usize = 128;

/// A validated label: `^[-_A-Za-z0-9:]{1,128}$`.
///
/// StarRocks does not accept `:` (its rule is `^[-\w]{1,128}$`); the generator never emits one.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Label(String);

impl Label {
    /// Validates `label`.
    pub fn new(label: impl Into<String>) -> Result<Self> {
        let label = label.into();
        if is_valid(&label) {
            Ok(Self(label))
        } else {
            Err(Error::new(
                ErrorKind::Config,
                format!("invalid label {label:?}: must match ^[-_A-Za-z0-9:]{{1,128}}$"),
            ))
        }
    }

    /// The label text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_valid(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= MAX_LABEL_LEN
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b':')
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Label({})", self.0)
    }
}

impl TryFrom<String> for Label {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        Label::new(value)
    }
}

impl From<Label> for String {
    fn from(label: Label) -> Self {
        label.0
    }
}

impl AsRef<str> for Label {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// How a vendor spells generated labels (supplied by [`crate::Capabilities`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LabelFormat {
    /// Separator between parts: `_` for Doris, `-` for StarRocks.
    pub separator: char,
    /// Whether the table part is `{db}_{table}` (Doris) or `{table}` (StarRocks).
    pub include_db: bool,
}

/// Deterministic label generator: `{prefix}{sep}{table}{sep}{writer}{sep}{seq}`.
///
/// The prefix is left out when empty. When the readable form is not a valid label the table part
/// is replaced by `t` + a 16-hex-digit FNV-1a hash of it, which is stable across runs and
/// versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelGenerator {
    prefix: String,
    writer: String,
    format: LabelFormat,
}

impl LabelGenerator {
    /// A generator for one writer. `prefix` and `writer` must consist of label characters
    /// without `:`.
    pub fn new(
        prefix: impl Into<String>,
        writer: impl Into<String>,
        format: LabelFormat,
    ) -> Result<Self> {
        let prefix = prefix.into();
        let writer = writer.into();
        for (what, value) in [("label prefix", &prefix), ("writer id", &writer)] {
            if value.contains(':') || (!value.is_empty() && !is_valid(value)) {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!("invalid {what} {value:?}: use only [-_A-Za-z0-9]"),
                ));
            }
        }
        if writer.is_empty() {
            return Err(Error::new(ErrorKind::Config, "writer id must not be empty"));
        }
        Ok(Self {
            prefix,
            writer,
            format,
        })
    }

    /// The label prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The writer id.
    pub fn writer(&self) -> &str {
        &self.writer
    }

    /// The label of load number `seq` (a checkpoint id or a batch sequence) for `table`.
    pub fn label(&self, table: &Table, seq: u64) -> Result<Label> {
        let table_part = if self.format.include_db {
            format!("{}_{}", table.db, table.name)
        } else {
            table.name.clone()
        };
        let readable = self.join(&table_part, seq);
        if is_valid(&readable) {
            return Label::new(readable);
        }
        let hashed = self.join(&format!("t{:016x}", fnv1a64(table_part.as_bytes())), seq);
        Label::new(hashed).map_err(|e| {
            e.with_context("table", table)
                .with_context("hint", "shorten the label prefix or writer id")
        })
    }

    fn join(&self, table_part: &str, seq: u64) -> String {
        let sep = self.format.separator;
        if self.prefix.is_empty() {
            format!("{table_part}{sep}{}{sep}{seq}", self.writer)
        } else {
            format!(
                "{}{sep}{table_part}{sep}{}{sep}{seq}",
                self.prefix, self.writer
            )
        }
    }
}

/// 64-bit FNV-1a: tiny, stable, and good enough to tell table names apart in a label.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    const DORIS: LabelFormat = LabelFormat {
        separator: '_',
        include_db: true,
    };
    const STARROCKS: LabelFormat = LabelFormat {
        separator: '-',
        include_db: false,
    };

    #[test]
    fn labels_are_validated() {
        assert!(Label::new("abc-_:09").is_ok());
        assert_eq!(Label::new("").unwrap_err().kind(), ErrorKind::Config);
        assert!(Label::new("a b").is_err());
        assert!(Label::new("é").is_err());
        assert!(Label::new("x".repeat(128)).is_ok());
        assert!(Label::new("x".repeat(129)).is_err());
    }

    #[test]
    fn vendor_spellings() {
        let t = Table::new("test", "student");
        let d = LabelGenerator::new("app", "0", DORIS).unwrap();
        assert_eq!(d.label(&t, 7).unwrap().as_str(), "app_test_student_0_7");
        let s = LabelGenerator::new("app", "0", STARROCKS).unwrap();
        assert_eq!(s.label(&t, 7).unwrap().as_str(), "app-student-0-7");
    }

    #[test]
    fn odd_table_names_fall_back_to_a_stable_hash() {
        let g = LabelGenerator::new("app", "w1", DORIS).unwrap();
        let t = Table::new("db", "学生");
        let a = g.label(&t, 1).unwrap();
        let b = g.label(&t, 1).unwrap();
        assert_eq!(a, b);
        assert!(a.as_str().starts_with("app_t"));
        assert!(a.as_str().ends_with("_w1_1"));
        let long = Table::new("db", "x".repeat(200));
        assert!(g.label(&long, u64::MAX).unwrap().as_str().len() <= 128);
    }

    #[test]
    fn bad_prefix_is_a_config_error() {
        assert!(LabelGenerator::new("a:b", "0", DORIS).is_err());
        assert!(LabelGenerator::new("a b", "0", DORIS).is_err());
        assert!(LabelGenerator::new("ok", "", DORIS).is_err());
    }
}
