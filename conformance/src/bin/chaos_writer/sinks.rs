//! The writer's sink for each mode, built only through the vendor crates' public builders, the
//! way a user's job builds it. Retry budgets and timeouts are small so a run under faults ends
//! in seconds, not minutes.

use std::time::Duration;

use streamload_conformance::Mode;
use streamload_core::{
    Checkpoint, Op, Result, RetryConfig, Sink, SinkConfig, SinkConfigBuilder, Table,
};
use streamload_doris::{DorisBuilder, DorisProtocol, DorisSink, GroupCommitMode};
use streamload_starrocks::{
    Semantic, SinkVersion, StarRocksBuilder, StarRocksProtocol, StarRocksSink,
};

use streamload_conformance::chaos::args::WriterArgs;
use streamload_conformance::chaos::source::SourceRow;

/// A sink of either vendor.
#[derive(Debug)]
pub(crate) enum AnySink {
    Doris(Sink<DorisProtocol>),
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

impl AnySink {
    pub(crate) async fn write(&mut self, table: &Table, row: &SourceRow) -> Result<()> {
        forward!(self, s => s.write(table, Op::Upsert, row).await)
    }

    pub(crate) async fn flush(&mut self) -> Result<()> {
        forward!(self, s => s.flush().await)
    }

    pub(crate) async fn prepare(&mut self, checkpoint_id: u64) -> Result<Checkpoint> {
        forward!(self, s => s.prepare(checkpoint_id).await)
    }

    pub(crate) async fn commit(&self, checkpoint: &Checkpoint) -> Result<()> {
        forward!(self, s => s.commit(checkpoint).await)
    }

    pub(crate) async fn close(self) -> Result<()> {
        forward!(self, s => s.close().await)
    }
}

/// Retries of one step. A step that must recover from a fault (a lost answer settled by the
/// label state, a transaction rolled back and sent again) makes several requests, any of which
/// the proxy may disturb again after its gap, so the budget covers a few faults in a row.
const MAX_RETRIES: usize = 8;

fn sink_config(args: &WriterArgs, table: &Table, first_batch: u64) -> SinkConfigBuilder {
    let retry = RetryConfig {
        max_retries: MAX_RETRIES,
        min_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(400),
        txn_limit_wait: Duration::from_secs(5),
    };
    let builder = SinkConfig::builder()
        .with_retry(retry)
        .with_max_rows(args.batch)
        .with_flush_interval(Duration::from_secs(120))
        .with_chunk_bytes(4096)
        .with_batch_sequence_start(first_batch)
        .with_skip_loaded_batches(true);
    if args.declare_tables {
        builder.with_tables(vec![table.clone()])
    } else {
        builder
    }
}

/// Opens the sink of `mode`: `recover(checkpoint)` in the exactly-once modes. Batched modes
/// number their batches from `first_batch`, so a batch's label follows from its place in the
/// source and a replay after a crash reuses it.
pub(crate) async fn open(
    args: &WriterArgs,
    mode: Mode,
    table: &Table,
    first_batch: u64,
    checkpoint: Option<Checkpoint>,
) -> Result<AnySink> {
    let prefix = args.prefix.as_str();
    let config = sink_config(args, table, first_batch);
    match mode {
        Mode::Doris2pc | Mode::DorisBatch | Mode::DorisGroupCommit => {
            let mut protocol = DorisBuilder::new()
                .with_fe_nodes([args.fe.clone()])
                .with_credentials("root", "")
                .with_label_prefix(prefix)
                .with_connect_timeout(Duration::from_secs(2))
                .with_read_timeout(Duration::from_secs(5))
                .with_load_timeout(Duration::from_secs(15))
                .with_max_retries(MAX_RETRIES as u32);
            protocol = match mode {
                Mode::DorisBatch => protocol.with_batch_mode(true),
                Mode::DorisGroupCommit => protocol.with_group_commit(GroupCommitMode::Sync),
                _ => protocol,
            };
            let builder = DorisSink::builder()
                .with_protocol(protocol)
                .with_sink_config(config);
            Ok(AnySink::Doris(if mode == Mode::Doris2pc {
                builder.recover(checkpoint).await?
            } else {
                builder.build()?
            }))
        }
        _ => {
            let mut protocol = StarRocksBuilder::new()
                .with_load_urls([args.fe.clone()])
                .with_jdbc_url(format!("jdbc:mysql://{}", args.mysql))
                .with_credentials("root", "")
                .with_label_prefix(prefix)
                .with_connect_timeout(Duration::from_secs(2))
                .with_read_timeout(Duration::from_secs(5))
                .with_load_timeout(Duration::from_secs(15));
            if mode != Mode::StarRocksMergeCommit {
                // A label left PREPARE by a commit that never arrived (the FE's redirect was
                // the answer lost) is polled this long before the load is retried, instead of
                // the default 60 s, which is longer than a writer run may take here.
                protocol = protocol.with_option("sink.check-label-state.timeout-ms", "3000")?;
            }
            protocol = match mode {
                Mode::StarRocksV2 => protocol
                    .with_version(SinkVersion::V2)
                    .with_semantic(Semantic::ExactlyOnce),
                Mode::StarRocksV2AtLeastOnce => protocol.with_version(SinkVersion::V2),
                Mode::StarRocksV1 => protocol.with_version(SinkVersion::V1),
                _ => protocol
                    .with_version(SinkVersion::V1)
                    .with_property("enable_merge_commit", "true")
                    .with_property("merge_commit_interval_ms", "50"),
            };
            let builder = StarRocksSink::builder()
                .with_protocol(protocol)
                .with_sink_config(config);
            Ok(AnySink::StarRocks(if mode == Mode::StarRocksV2 {
                builder.recover(checkpoint).await?
            } else {
                builder.connect().await?
            }))
        }
    }
}
