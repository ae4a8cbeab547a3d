//! [`Discard`]: a protocol whose loads accept every byte and keep none, to measure what the
//! `Sink` itself costs (benchmarks) without a server.

use async_trait::async_trait;
use bytes::Bytes;

use crate::capabilities::Capabilities;
use crate::error::Result;
use crate::label::{Label, LabelFormat};
use crate::protocol::{
    KeysModel, LoadOptions, LoadProtocol, PreparedLoad, TableDescription, Transaction,
};
use crate::report::{LabelState, LoadReport, Prepared};
use crate::table::Table;

/// A batched protocol whose loads drop their bytes and report success.
#[derive(Debug, Clone, Copy, Default)]
pub struct Discard;

#[derive(Debug)]
struct DiscardTxn;

#[async_trait]
impl Transaction for DiscardTxn {
    fn label(&self) -> Option<&Label> {
        None
    }

    async fn write(&mut self, chunk: Bytes) -> Result<()> {
        std::hint::black_box(chunk);
        Ok(())
    }

    async fn prepare(self: Box<Self>) -> Result<PreparedLoad> {
        Err(crate::Error::new(
            crate::ErrorKind::Unsupported,
            "the discarding protocol runs batched loads only",
        ))
    }

    async fn finish(self: Box<Self>) -> Result<LoadReport> {
        Ok(LoadReport::default())
    }

    async fn abort(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}

#[async_trait]
impl LoadProtocol for Discard {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            vendor: "discard",
            two_phase_commit: false,
            multi_load_per_txn: false,
            abort_by_label: false,
            server_batched: false,
            partial_update: false,
            conditional_update: false,
            lz4_json: false,
            lz4_csv: false,
            arrow: false,
            csv_enclose: true,
            max_body_bytes: 0,
            label_format: LabelFormat {
                separator: '_',
                include_db: true,
            },
        }
    }

    async fn describe(&self, _: &Table) -> Result<TableDescription> {
        Ok(TableDescription {
            keys: KeysModel::Duplicate,
            columns: Vec::new(),
            delete_column: None,
        })
    }

    async fn begin(
        &self,
        _: &Table,
        _: Option<Label>,
        _: &LoadOptions,
    ) -> Result<Box<dyn Transaction>> {
        Ok(Box::new(DiscardTxn))
    }

    async fn commit(&self, _: &Prepared) -> Result<()> {
        Ok(())
    }

    async fn abort(&self, _: &Prepared) -> Result<()> {
        Ok(())
    }

    async fn label_state(&self, _: &str, _: &Label) -> Result<LabelState> {
        Ok(LabelState::Unknown)
    }
}
