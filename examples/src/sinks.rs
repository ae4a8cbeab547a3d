//! One `Sink` type for either vendor, opened on an [`Endpoint`].
//!
//! `Sink<DorisProtocol>` and `Sink<StarRocksProtocol>` are different types; a command-line tool
//! that picks the vendor at run time needs one value that is either. [`AnySink`] is that value:
//! it forwards each call to the vendor's `Sink`, so the examples' pipelines are written once.

use bytes::Bytes;
use serde::Serialize;
use streamload_core::{
    Checkpoint, Delivery, Op, Result, Sink, SinkConfig, SinkStats, Table, Value,
};
use streamload_doris::{DorisBuilder, DorisProtocol};
use streamload_starrocks::{StarRocksBuilder, StarRocksProtocol};

use crate::endpoint::{Endpoint, Vendor};

/// A `Sink` of either vendor.
#[derive(Debug)]
pub enum AnySink {
    /// A Doris sink.
    Doris(Sink<DorisProtocol>),
    /// A StarRocks sink.
    StarRocks(Sink<StarRocksProtocol>),
}

macro_rules! forward {
    ($self:ident, $sink:ident => $call:expr) => {
        match $self {
            AnySink::Doris($sink) => $call,
            AnySink::StarRocks($sink) => $call,
        }
    };
}

/// A protocol of either vendor, cheap to clone (clones share one HTTP client).
#[derive(Debug, Clone)]
pub enum AnyProtocol {
    /// Doris.
    Doris(DorisProtocol),
    /// StarRocks.
    StarRocks(StarRocksProtocol),
}

impl AnyProtocol {
    /// Connects to `endpoint`: two-phase (exactly-once) loads when `exactly_once`, batch loads
    /// otherwise; `properties` are Stream Load headers sent with every load (`columns`, …).
    pub async fn connect(
        endpoint: &Endpoint,
        label_prefix: &str,
        exactly_once: bool,
        properties: &[(String, String)],
    ) -> Result<AnyProtocol> {
        match endpoint.vendor {
            Vendor::Doris => {
                let mut builder = DorisBuilder::new()
                    .with_fe_nodes([endpoint.fe_url.clone()])
                    .with_credentials(endpoint.user.clone(), endpoint.password())
                    .with_label_prefix(label_prefix)
                    .with_two_phase_commit(exactly_once)
                    .with_batch_mode(!exactly_once);
                for (key, value) in properties {
                    builder = builder.with_property(key.clone(), value.clone());
                }
                Ok(AnyProtocol::Doris(builder.build()?))
            }
            Vendor::StarRocks => {
                let mut builder = StarRocksBuilder::new()
                    .with_load_urls([endpoint.fe_url.clone()])
                    .with_jdbc_url(endpoint.jdbc_url())
                    .with_credentials(endpoint.user.clone(), endpoint.password())
                    .with_label_prefix(label_prefix);
                for (key, value) in properties {
                    builder = builder.with_property(key, value.clone());
                }
                Ok(AnyProtocol::StarRocks(builder.connect().await?))
            }
        }
    }
}

impl AnySink {
    /// Opens a sink on `endpoint` with `config`. In checkpointed delivery the sink is made by
    /// `Sink::recover`: `checkpoint` (the last one stored, if any) is committed and whatever a
    /// crashed run left open is aborted. The protocol's label prefix follows `config`.
    pub async fn open(
        endpoint: &Endpoint,
        config: SinkConfig,
        checkpoint: Option<Checkpoint>,
    ) -> Result<AnySink> {
        let exactly_once = config.delivery == Delivery::Checkpointed;
        let protocol =
            AnyProtocol::connect(endpoint, &config.label_prefix, exactly_once, &[]).await?;
        if exactly_once {
            AnySink::recover(protocol, config, checkpoint).await
        } else {
            AnySink::new(protocol, config)
        }
    }

    /// `Sink::new` on either protocol.
    pub fn new(protocol: AnyProtocol, config: SinkConfig) -> Result<AnySink> {
        Ok(match protocol {
            AnyProtocol::Doris(p) => AnySink::Doris(Sink::new(p, config)?),
            AnyProtocol::StarRocks(p) => AnySink::StarRocks(Sink::new(p, config)?),
        })
    }

    /// `Sink::recover` on either protocol.
    pub async fn recover(
        protocol: AnyProtocol,
        config: SinkConfig,
        checkpoint: Option<Checkpoint>,
    ) -> Result<AnySink> {
        Ok(match protocol {
            AnyProtocol::Doris(p) => AnySink::Doris(Sink::recover(p, config, checkpoint).await?),
            AnyProtocol::StarRocks(p) => {
                AnySink::StarRocks(Sink::recover(p, config, checkpoint).await?)
            }
        })
    }

    /// `Sink::write`.
    pub async fn write<T: Serialize + ?Sized>(
        &mut self,
        table: &Table,
        op: Op,
        row: &T,
    ) -> Result<()> {
        forward!(self, s => s.write(table, op, row).await)
    }

    /// `Sink::write_values`.
    pub async fn write_values<S: AsRef<str>>(
        &mut self,
        table: &Table,
        op: Op,
        columns: &[S],
        values: &[Value],
    ) -> Result<()> {
        forward!(self, s => s.write_values(table, op, columns, values).await)
    }

    /// `Sink::write_encoded`.
    pub async fn write_encoded(&mut self, table: &Table, bytes: Bytes, rows: u64) -> Result<()> {
        forward!(self, s => s.write_encoded(table, bytes, rows).await)
    }

    /// `Sink::flush`.
    pub async fn flush(&mut self) -> Result<()> {
        forward!(self, s => s.flush().await)
    }

    /// `Sink::prepare`.
    pub async fn prepare(&mut self, checkpoint_id: u64) -> Result<Checkpoint> {
        forward!(self, s => s.prepare(checkpoint_id).await)
    }

    /// `Sink::commit`.
    pub async fn commit(&self, checkpoint: &Checkpoint) -> Result<()> {
        forward!(self, s => s.commit(checkpoint).await)
    }

    /// `Sink::stats`.
    pub fn stats(&self) -> SinkStats {
        forward!(self, s => s.stats())
    }

    /// `Sink::close`.
    pub async fn close(self) -> Result<()> {
        forward!(self, s => s.close().await)
    }
}
