//! One mapping of transport failures to [`ErrorKind`] and [`RetryStatus`](crate::RetryStatus).
//!
//! What matters to the caller is whether the server may have acted: a refused connection never
//! sent anything (temporary, and [`Error::is_unsent`] so another node may be asked); a timeout or
//! a connection dropped after the request went out leaves the outcome unknown, to be settled by
//! asking the server for the label's state.

use url::Url;

use crate::{Error, ErrorKind};

/// Maps a reqwest failure of a request to `url`. The URL in reqwest's own error is dropped (it is
/// named as `node` instead), so nothing a server put in a URL reaches the message.
pub fn transport_error(e: reqwest::Error, url: &Url) -> Error {
    let node = super::host_port(url);
    let source = e.without_url();
    if source.is_connect() {
        Error::new(ErrorKind::Unavailable, "cannot connect")
            .with_context("node", node)
            .unsent()
            .set_source(source)
    } else if source.is_timeout() {
        Error::new(ErrorKind::Timeout, "request timed out")
            .with_context("node", node)
            .outcome_unknown()
            .set_source(source)
    } else {
        Error::new(ErrorKind::Unavailable, "connection failed")
            .with_context("node", node)
            .outcome_unknown()
            .set_source(source)
    }
}
