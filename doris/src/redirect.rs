//! Checking a redirect's `Location` before following it.
//!
//! The FE's 307 carries the user's password in clear in the URL's userinfo, and a compromised or
//! misconfigured FE could point us anywhere. So a Location is parsed, stripped of userinfo (and
//! never shown in errors or logs), refused when it downgrades https to http, and optionally
//! rewritten from a loopback BE to the FE's host for single-node containers.

use streamload_core::{Error, ErrorKind, Result};
use url::Url;

use crate::BACKEND;
use crate::nodes::host_port;

fn is_loopback(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "localhost" | "[::1]" | "::1")
}

/// Parses a `Location`, strips its userinfo, refuses https → http, applies the loopback rewrite.
///
/// Error messages never contain the Location text (it carries the password in clear).
pub(crate) fn checked_location(from: &Url, location: &str, rewrite_localhost: bool) -> Result<Url> {
    let mut target = from.join(location).map_err(|_| {
        Error::new(ErrorKind::Protocol, "redirect Location is not a valid URL")
            .with_context("backend", BACKEND)
    })?;
    let _ = target.set_username("");
    let _ = target.set_password(None);
    if target.query() == Some("") {
        target.set_query(None);
    }
    if from.scheme() == "https" && target.scheme() != "https" {
        return Err(
            Error::new(ErrorKind::Config, "refusing a redirect from https to http")
                .with_context("backend", BACKEND)
                .with_context("target", host_port(&target)),
        );
    }
    if rewrite_localhost {
        rewrite_loopback(&mut target, from);
    }
    Ok(target)
}

/// Replaces a loopback host in `target` with the host of `from`, the FE that named it (a
/// single-node container advertises its BE as `127.0.0.1`). Redirects and the BE list of
/// `/api/backends` go through the same rewrite, so a rewritten redirect target is still
/// recognised as a BE the cluster reported.
pub(crate) fn rewrite_loopback(target: &mut Url, from: &Url) {
    let target_host = target.host_str().unwrap_or_default().to_owned();
    let from_host = from.host_str().unwrap_or_default().to_owned();
    if is_loopback(&target_host) && !is_loopback(&from_host) {
        let _ = target.set_host(Some(&from_host));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fe() -> Url {
        Url::parse("http://fe.example:8030/api/db/t/_stream_load").unwrap()
    }

    #[test]
    fn location_userinfo_is_stripped() {
        let loc = "http://root:p%40ss@10.0.0.2:8040/api/db/t/_stream_load?";
        let target = checked_location(&fe(), loc, false).unwrap();
        assert_eq!(
            target.as_str(),
            "http://10.0.0.2:8040/api/db/t/_stream_load"
        );
        assert!(!target.as_str().contains("p%40ss"));
    }

    #[test]
    fn https_to_http_is_refused_without_leaking_the_password() {
        let from = Url::parse("https://fe.example:8030/api/db/t/_stream_load").unwrap();
        let err = checked_location(&from, "http://root:hunter2@be:8040/x", false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = checked_location(&fe(), "http://root:hunter2@[bad", false).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn loopback_is_rewritten_only_when_asked() {
        let loc = "http://u:p@127.0.0.1:8040/api/db/t/_stream_load?";
        assert_eq!(
            checked_location(&fe(), loc, false).unwrap().host_str(),
            Some("127.0.0.1")
        );
        let target = checked_location(&fe(), loc, true).unwrap();
        assert_eq!(
            target.as_str(),
            "http://fe.example:8040/api/db/t/_stream_load"
        );
    }
}
