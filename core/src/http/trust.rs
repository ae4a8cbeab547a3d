//! Which hosts may receive the cluster's credentials.
//!
//! Design rule: credentials go to the cluster's own hosts or an allow-list, never anywhere
//! else. The cluster's own hosts are the configured FEs and BEs and the BEs the cluster reports
//! itself (Doris `/api/backends`, StarRocks `/api/show_proc?path=/backends`, asked of a
//! configured FE). Hosts are compared by name, case-insensitively, so an all-in-one node whose
//! FE and BE share a host is trusted through its FE.

use std::sync::Mutex;

use url::Url;

use crate::{Error, ErrorKind};

/// The hosts a transport sends credentials to.
#[derive(Debug, Default)]
pub struct HostTrust {
    frontends: Vec<Url>,
    backends: Vec<Url>,
    reported: Mutex<Vec<Url>>,
    reported_frontends: Mutex<Vec<Url>>,
    allowed_hosts: Vec<String>,
}

impl HostTrust {
    /// Trust for configured `frontends` and `backends` and an allow-list of host names.
    pub fn new(frontends: Vec<Url>, backends: Vec<Url>, allowed_hosts: Vec<String>) -> Self {
        Self {
            frontends,
            backends,
            reported: Mutex::new(Vec::new()),
            reported_frontends: Mutex::new(Vec::new()),
            allowed_hosts,
        }
    }

    /// The configured FEs.
    pub fn frontends(&self) -> &[Url] {
        &self.frontends
    }

    /// The configured BEs.
    pub fn backends(&self) -> &[Url] {
        &self.backends
    }

    /// The BEs the cluster reported last.
    pub fn reported(&self) -> Vec<Url> {
        self.reported.lock().map(|g| g.clone()).unwrap_or_default()
    }

    /// Replaces the reported BEs.
    pub fn set_reported(&self, backends: &[Url]) {
        if let Ok(mut guard) = self.reported.lock() {
            guard.clear();
            guard.extend_from_slice(backends);
        }
    }

    /// The FEs the cluster reported last (a leader missing from the FE list, say).
    pub fn reported_frontends(&self) -> Vec<Url> {
        self.reported_frontends
            .lock()
            .map(|g| g.clone())
            .unwrap_or_default()
    }

    /// Replaces the reported FEs.
    pub fn set_reported_frontends(&self, frontends: &[Url]) {
        if let Ok(mut guard) = self.reported_frontends.lock() {
            guard.clear();
            guard.extend_from_slice(frontends);
        }
    }

    /// Whether `url`'s host may receive credentials.
    pub fn allows(&self, url: &Url) -> bool {
        let host = url.host_str().unwrap_or_default();
        let same = |u: &Url| u.host_str().is_some_and(|h| h.eq_ignore_ascii_case(host));
        self.frontends.iter().any(same)
            || self.backends.iter().any(same)
            || self.reported().iter().any(same)
            || self.reported_frontends().iter().any(same)
            || self
                .allowed_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(host))
    }

    /// Whether `url` is a configured or reported FE (same host and port).
    pub fn is_frontend(&self, url: &Url) -> bool {
        let hp = super::host_port(url);
        self.frontends.iter().any(|fe| super::host_port(fe) == hp)
            || self
                .reported_frontends()
                .iter()
                .any(|fe| super::host_port(fe) == hp)
    }

    /// Whether `url` is a configured or reported BE (same host and port).
    pub fn is_known_backend(&self, url: &Url) -> bool {
        let hp = super::host_port(url);
        let known = |list: &[Url]| list.iter().any(|be| super::host_port(be) == hp);
        known(&self.backends) || known(&self.reported())
    }

    /// The refusal of a host that is none of the cluster's and not allow-listed.
    pub fn refused(target: &Url) -> Error {
        Error::new(
            ErrorKind::Config,
            format!(
                "refusing to send credentials to {}: not a configured FE or BE, not a node the cluster reported, not an allowed host",
                super::host_port(target)
            ),
        )
        .with_context("hint", "add the host to the allowed hosts or the BE list")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn only_the_cluster_and_the_allow_list_are_trusted() {
        let trust = HostTrust::new(
            vec![url("http://fe1:8030/")],
            vec![url("http://be1:8040/")],
            vec!["Proxy.example".into()],
        );
        assert!(trust.allows(&url("http://FE1:8040/x")));
        assert!(trust.allows(&url("http://be1:9999/")));
        assert!(trust.allows(&url("https://proxy.example/")));
        assert!(!trust.allows(&url("http://evil:8040/")));
        trust.set_reported(&[url("http://be2:8040/")]);
        assert!(trust.allows(&url("http://be2:8040/")));
        assert!(trust.is_known_backend(&url("http://be2:8040/api")));
        assert!(!trust.is_known_backend(&url("http://be2:8041/")));
        assert!(trust.is_frontend(&url("http://fe1:8030/api/x")));
        assert!(!trust.is_frontend(&url("http://fe1:8040/")));
        assert!(!trust.allows(&url("http://leader:8030/")));
        trust.set_reported_frontends(&[url("http://leader:8030/")]);
        assert!(trust.allows(&url("http://leader:8030/")));
        assert!(trust.is_frontend(&url("http://leader:8030/api/transaction/begin")));
    }
}
