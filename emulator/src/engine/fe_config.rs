//! `ADMIN SET FRONTEND CONFIG ("key" = "value")`: the FE settings that change what the engine
//! decides, under the servers' own names, so tests tune the emulator the way they would tune a
//! real cluster.

use std::time::Duration;

use super::txn_types::EngineError;
use super::{EngineConfig, Flavor};

/// Applies one FE config item; unknown keys are accepted and ignored, as most FE configs do not
/// change what the emulator does.
pub(crate) fn apply(config: &mut EngineConfig, key: &str, value: &str) -> Result<(), EngineError> {
    let number = || {
        value.trim().parse::<u64>().map_err(|_| {
            EngineError::Invalid(format!("Invalid value '{value}' for config '{key}'"))
        })
    };
    let secs = |n: u64| Duration::from_secs(n);
    match (config.flavor, key.to_ascii_lowercase().as_str()) {
        (_, "max_running_txn_num_per_db") => config.max_running_txn_per_db = number()? as usize,
        (Flavor::Doris, "streaming_label_keep_max_second")
        | (Flavor::StarRocks, "label_keep_max_second") => config.label_keep = secs(number()?),
        (Flavor::Doris, "stream_load_default_precommit_timeout_second")
        | (Flavor::StarRocks, "prepared_transaction_default_timeout_second") => {
            config.precommit_timeout = secs(number()?)
        }
        (_, "stream_load_default_timeout_second") => config.default_txn_timeout = secs(number()?),
        _ => {}
    }
    Ok(())
}

/// The FE config items the engine keeps, as (key, value) under the flavor's names, for
/// `ADMIN SHOW FRONTEND CONFIG`. StarRocks also reports `run_mode` (`shared_nothing`: the
/// emulator keeps data on its BEs), which its SQLAlchemy dialect reads on connect.
pub(crate) fn items(config: &EngineConfig) -> Vec<(&'static str, String)> {
    let (label_keep, precommit) = match config.flavor {
        Flavor::Doris => (
            "streaming_label_keep_max_second",
            "stream_load_default_precommit_timeout_second",
        ),
        Flavor::StarRocks => (
            "label_keep_max_second",
            "prepared_transaction_default_timeout_second",
        ),
    };
    let mut items = vec![
        (
            "max_running_txn_num_per_db",
            config.max_running_txn_per_db.to_string(),
        ),
        (label_keep, config.label_keep.as_secs().to_string()),
        (precommit, config.precommit_timeout.as_secs().to_string()),
        (
            "stream_load_default_timeout_second",
            config.default_txn_timeout.as_secs().to_string(),
        ),
    ];
    if config.flavor == Flavor::StarRocks {
        items.push(("run_mode", "shared_nothing".to_string()));
    }
    items.sort();
    items
}

impl super::Engine {
    /// The FE config items the engine keeps, under the flavor's names, reflecting
    /// `ADMIN SET FRONTEND CONFIG`.
    pub fn fe_config(&self) -> Vec<(&'static str, String)> {
        items(&self.lock().config)
    }
}
