//! streamload-core: the vendor-neutral half of streamload.
//!
//! Vendor crates (`streamload-doris`, `streamload-starrocks`) implement [`LoadProtocol`] and
//! [`Transaction`]: the wire. Everything else (encoding, buffering, flush triggers, labels,
//! retries, the commit state machine) lives here, behind the `Sink` driver.
#![warn(missing_docs)]

mod capabilities;
mod error;
mod format;
mod label;
mod protocol;
mod report;
mod row;
mod table;

pub use capabilities::Capabilities;
pub use error::{Error, ErrorKind, Result, RetryStatus};
pub use format::{Compression, CsvFormat, Format, JsonFormat};
pub use label::{Label, LabelFormat, LabelGenerator};
pub use protocol::{
    DeleteColumn, KeysModel, LoadOptions, LoadProtocol, PreparedLoad, TableDescription, Transaction,
};
pub use report::{LabelState, LoadReport, Prepared};
pub use row::{Op, RowKind};
pub use table::Table;
