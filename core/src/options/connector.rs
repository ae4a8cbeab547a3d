//! A connector option map, split once between core's `Sink` settings and a vendor's protocol
//! settings, with one verdict on keys neither knows.

use std::collections::BTreeSet;

use super::unknown_key;
use crate::{Result, SinkConfigBuilder};

impl SinkConfigBuilder {
    /// Applies a Flink connector option map: each key is offered to `vendor` (which applies it
    /// and returns `Ok(true)` when it owns the key) and to core; a key neither takes is an
    /// [`unknown_key`] error naming `backend`. Used by both vendor sink builders, so one map
    /// gets one verdict whichever vendor reads it.
    pub fn with_connector_options<K, V>(
        self,
        options: impl IntoIterator<Item = (K, V)>,
        backend: &str,
        mut vendor: impl FnMut(&str, &str) -> Result<bool>,
    ) -> Result<Self>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let options: Vec<(String, String)> = options
            .into_iter()
            .map(|(k, v)| (k.as_ref().trim().to_owned(), v.as_ref().to_owned()))
            .collect();
        let mut vendor_keys = BTreeSet::new();
        for (key, value) in &options {
            if vendor(key, value)? {
                vendor_keys.insert(key.clone());
            }
        }
        let before = self.clone().build().map(|c| c.extra).unwrap_or_default();
        let sink = self.with_flink_options(options.iter().map(|(k, v)| (k, v)))?;
        let after = sink.clone().build()?.extra;
        // Keys core kept as extra were not core's: unless the vendor took them, nobody did.
        if let Some(unknown) = after
            .keys()
            .find(|k| !before.contains_key(*k) && !vendor_keys.contains(*k))
        {
            return Err(unknown_key(unknown, backend));
        }
        Ok(sink)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn keys_go_to_their_owner_and_strangers_are_refused() {
        let mut seen = Vec::new();
        let sink = SinkConfigBuilder::default()
            .with_connector_options(
                [("sink.buffer-flush.max-rows", "10"), ("fenodes", "fe:8030")],
                "test",
                |k, _| {
                    seen.push(k.to_owned());
                    Ok(k == "fenodes")
                },
            )
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(sink.max_rows, 10);
        assert_eq!(seen, ["sink.buffer-flush.max-rows", "fenodes"]);
        let err = SinkConfigBuilder::default()
            .with_connector_options([("sink.bogus", "1")], "test", |_, _| Ok(false))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(err.context("key"), Some("sink.bogus"));
        assert_eq!(err.context("backend"), Some("test"));
    }
}
