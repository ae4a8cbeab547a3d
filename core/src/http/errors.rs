//! One mapping of transport failures to [`ErrorKind`] and [`RetryStatus`](crate::RetryStatus).
//!
//! What matters to the caller is whether the server may have acted: a refused connection never
//! sent anything (temporary, and [`Error::is_unsent`] so another node may be asked); a timeout or
//! a connection dropped after the request went out leaves the outcome unknown, to be settled by
//! asking the server for the label's state.
//!
//! A failed TLS handshake is a connect failure too, but no retry mends an untrusted or
//! misnamed certificate: it is a permanent [`ErrorKind::Config`] error that says so.

use url::Url;

use crate::{Error, ErrorKind};

/// Maps a reqwest failure of a request to `url`. The URL in reqwest's own error is dropped (it is
/// named as `node` instead), so nothing a server put in a URL reaches the message.
pub fn transport_error(e: reqwest::Error, url: &Url) -> Error {
    let node = super::host_port(url);
    let source = e.without_url();
    if let Some(detail) = tls_failure(&source) {
        Error::new(ErrorKind::Config, format!("TLS handshake failed: {detail}"))
            .with_context("node", node)
            .unsent()
            .permanent()
            .set_source(source)
    } else if source.is_connect() {
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

/// The rustls verdict somewhere in `e`'s source chain. hyper and tokio-rustls wrap it in
/// `io::Error`s, whose `source()` skips the wrapped error, so those are opened by hand.
#[cfg(feature = "rustls")]
fn tls_failure(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(e);
    while let Some(err) = next {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls.to_string());
        }
        next = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

#[cfg(not(feature = "rustls"))]
fn tls_failure(_: &(dyn std::error::Error + 'static)) -> Option<String> {
    None
}
