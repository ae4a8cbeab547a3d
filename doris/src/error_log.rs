//! Rejected rows: fetch the BE's `ErrorURL` and put its first lines into the error.
//!
//! "too many filtered rows" alone does not tell a user what is wrong with the data; the BE's
//! error log does (one line per rejected row, with the reason and the row's source text). We read
//! a bounded prefix of it so a huge log cannot blow up memory, and never fail the original error
//! when the log cannot be read. Every mode ends its load through the same answer, so two-phase
//! prepare, batch finish and group commit all get the rows here.
//!
//! The log lives on the BE that ran the load. `ErrorURL` names that BE by its own address, which a
//! client reaching the cluster through other addresses (a public endpoint, a container name)
//! may not know; then the log is read from the BE we streamed the load to, the same path.

use streamload_core::{Error, ErrorKind};
use url::Url;

use crate::client::DorisClient;

/// Lines of the error log copied into the error.
const MAX_LINES: usize = 10;
/// Bytes of the error log read at most.
const MAX_BYTES: usize = 64 * 1024;

/// Adds the first rejected rows to a `DataQuality` error. The log's address is the error's
/// `error_url` context, or the `url: …` the BE puts in the message of a transactional insert;
/// `coordinator` (`host:port` of the BE that ran the load) serves it when that address is not a
/// known host.
pub(crate) async fn with_rejected_rows(
    client: &DorisClient,
    error: Error,
    coordinator: &str,
) -> Error {
    if error.kind() != ErrorKind::DataQuality {
        return error;
    }
    let Some(url) = log_url(&error) else {
        return error;
    };
    let error = if error.context("error_url").is_none() {
        error.with_context("error_url", &url)
    } else {
        error
    };
    let mut read = client.get_limited(&url, MAX_BYTES).await;
    if read.is_err()
        && let Some(local) = on_coordinator(&url, coordinator)
    {
        read = client.get_limited(local.as_str(), MAX_BYTES).await;
    }
    match read {
        Ok(log) => error.with_rejected_rows(&log, MAX_LINES),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the load's error log");
            error
        }
    }
}

/// The error log's address: the `error_url` context or a `url: http…` in the message.
fn log_url(error: &Error) -> Option<String> {
    if let Some(url) = error.context("error_url") {
        return Some(url.to_owned());
    }
    let message = error.message();
    let start = message.find("url: ")? + "url: ".len();
    let url: String = message[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != ',' && *c != ';')
        .collect();
    url.starts_with("http").then_some(url)
}

/// `url` with its host and port replaced by `coordinator`'s, when they differ.
fn on_coordinator(url: &str, coordinator: &str) -> Option<Url> {
    let mut url = Url::parse(url).ok()?;
    let (host, port) = coordinator.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    if url.host_str() == Some(host) && url.port_or_known_default() == Some(port) {
        return None;
    }
    url.set_host(Some(host)).ok()?;
    url.set_port(Some(port)).ok()?;
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_address_comes_from_the_context_or_the_message() {
        let url = "http://10.0.0.2:8040/api/_load_error_log?file=__shard_1/error_log_x";
        let e = Error::new(
            ErrorKind::DataQuality,
            "[DATA_QUALITY_ERROR]too many filtered rows",
        )
        .with_context("error_url", url);
        assert_eq!(log_url(&e).as_deref(), Some(url));
        let insert = Error::new(
            ErrorKind::DataQuality,
            format!("too many filtered rows, url: {url}"),
        );
        assert_eq!(log_url(&insert).as_deref(), Some(url));
        let bare = Error::new(ErrorKind::DataQuality, "too many filtered rows");
        assert_eq!(log_url(&bare), None);
    }

    #[test]
    fn an_unknown_log_host_is_read_from_the_coordinator() {
        let url = "http://10.0.0.2:8040/api/_load_error_log?file=__shard_1/error_log_x";
        let moved = on_coordinator(url, "be.public.example:18040").unwrap();
        assert_eq!(
            moved.as_str(),
            "http://be.public.example:18040/api/_load_error_log?file=__shard_1/error_log_x"
        );
        assert_eq!(on_coordinator(url, "10.0.0.2:8040"), None);
    }
}
