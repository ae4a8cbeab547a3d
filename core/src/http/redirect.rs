//! Checking a redirect's `Location` before following it.
//!
//! A Doris FE's 307 carries the user's password in clear in the URL's userinfo, and a
//! compromised or misconfigured FE could point anywhere. So a `Location` is parsed, stripped of
//! userinfo (never shown in errors or logs), refused when it downgrades https to http, and
//! optionally rewritten from a loopback BE to the FE's host (single-node containers advertise
//! their BE as `127.0.0.1`). Whether the host may receive credentials is [`super::trust`]'s
//! call.

use reqwest::header::LOCATION;
use url::Url;

use crate::{Error, ErrorKind, Result};

/// Redirects followed at most for one request: follower FE → leader FE → BE, plus one spare.
pub const MAX_REDIRECTS: usize = 3;

/// Whether a URL names the local machine.
pub fn is_loopback(url: &Url) -> bool {
    matches!(
        url.host_str(),
        Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
    )
}

/// Parses a `Location`, strips its userinfo, refuses https → http, applies the loopback rewrite.
///
/// Error messages never contain the `Location` text (it may carry the password in clear).
pub fn checked_location(from: &Url, location: &str, rewrite_localhost: bool) -> Result<Url> {
    let mut target = from
        .join(location)
        .map_err(|_| Error::new(ErrorKind::Protocol, "redirect Location is not a valid URL"))?;
    let _ = target.set_username("");
    let _ = target.set_password(None);
    if target.query() == Some("") {
        target.set_query(None);
    }
    if from.scheme() == "https" && target.scheme() != "https" {
        return Err(
            Error::new(ErrorKind::Config, "refusing a redirect from https to http")
                .with_context("target", super::host_port(&target)),
        );
    }
    if rewrite_localhost {
        rewrite_loopback(&mut target, from);
    }
    Ok(target)
}

/// Replaces a loopback host in `target` with the host of `from`, the FE that named it.
/// Redirects and the BE lists the cluster reports go through the same rewrite, so a rewritten
/// redirect target is still recognised as a reported BE.
pub fn rewrite_loopback(target: &mut Url, from: &Url) {
    if is_loopback(target) && !is_loopback(from) {
        let from_host = from.host_str().unwrap_or_default().to_owned();
        let _ = target.set_host(Some(&from_host));
    }
}

/// The `Location` of a redirect answer, `None` for any other answer.
pub(super) fn location_of(resp: &reqwest::Response) -> Result<Option<String>> {
    if !resp.status().is_redirection() {
        return Ok(None);
    }
    resp.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|s| Some(s.to_owned()))
        .ok_or_else(|| Error::new(ErrorKind::Protocol, "redirect without a Location header"))
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
        let target = checked_location(&fe(), "http://u:p@be1:8040/x?y=1", false).unwrap();
        assert_eq!(target.as_str(), "http://be1:8040/x?y=1");
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
