//! Which hosts are the cluster's: BE (and, where the vendor lists them, FE) discovery through
//! a configured FE, and the trust check every request and redirect passes before credentials
//! are sent. Part of [`super::Transport`], split from the request plumbing by role.

use std::time::{Duration, Instant};

use reqwest::Method;
use url::Url;

use super::client::{Transport, join};
use super::config::{Answer, Failover};
use super::redirect::{MAX_REDIRECTS, checked_location, location_of, rewrite_loopback};
use super::trust::HostTrust;
use super::{host_port, transport_error};
use crate::{Error, ErrorKind, Result};

/// How long a node list the FE refused (not a transient failure) is not asked for again.
const UNLISTED_FOR: Duration = Duration::from_secs(60);

impl Transport {
    /// Asks the FEs for the alive BEs and remembers them as trusted hosts.
    pub async fn discover(&self) -> Result<Vec<Url>> {
        let refused_lately = self
            .unlisted_until
            .lock()
            .ok()
            .and_then(|until| *until)
            .is_some_and(|until| Instant::now() < until);
        if refused_lately {
            // A refusal that will not change soon is not asked again on every load.
            return Err(self.tag(Error::new(
                ErrorKind::Unavailable,
                "the FE refused its node list lately; not asking again yet",
            )));
        }
        let listed = self.list_backends().await;
        if let Err(e) = &listed
            && !e.is_retryable()
            && let Ok(mut until) = self.unlisted_until.lock()
        {
            *until = Some(Instant::now() + UNLISTED_FOR);
        }
        listed
    }

    async fn list_backends(&self) -> Result<Vec<Url>> {
        let path = self.directory.path_and_query().to_owned();
        let found = self
            .with_failover(Failover::Retryable, |fe| {
                let path = path.clone();
                async move {
                    let answer = self.get_between_fes(join(&fe, &path)?).await?;
                    let mut bes = self.directory.parse(&answer)?;
                    if self.rewrite_localhost {
                        for be in &mut bes {
                            rewrite_loopback(be, &answer.url);
                        }
                    }
                    Ok(bes)
                }
            })
            .await?;
        if found.is_empty() {
            return Err(self.tag(
                Error::new(ErrorKind::Unavailable, "no alive BE reported by the FE").temporary(),
            ));
        }
        self.trust.set_reported(&found);
        self.discover_frontends().await;
        Ok(found)
    }

    /// Asks the FEs for the cluster's FEs, where the vendor lists them; best effort (a failure
    /// leaves the configured FEs as the only ones).
    async fn discover_frontends(&self) {
        let Some(path) = self.directory.frontends_path().map(str::to_owned) else {
            return;
        };
        let found = self
            .with_failover(Failover::Retryable, |fe| {
                let path = path.clone();
                async move {
                    let answer = self.get_between_fes(join(&fe, &path)?).await?;
                    let mut fes = self.directory.parse_frontends(&answer)?;
                    if self.rewrite_localhost {
                        for node in &mut fes {
                            rewrite_loopback(node, &answer.url);
                        }
                    }
                    Ok(fes)
                }
            })
            .await;
        match found {
            Ok(fes) => self.trust.set_reported_frontends(&fes),
            Err(e) => tracing::debug!(backend = self.backend, error = %e, "FE list unreadable"),
        }
    }

    /// Whether a redirect target is another FE rather than the BE that takes the body.
    ///
    /// An FE known as one (configured, or listed by the cluster) is. Where the vendor lists its
    /// FEs (StarRocks), nothing else is: a probe sent to a BE would be an empty load under the
    /// label, which then holds it, while a body sent to an FE is merely refused. Where it does
    /// not (Doris), a target the cluster's BE list leaves out is taken for another FE (a leader
    /// missing from the FE list), and one the BE list cannot be read for is taken for a BE.
    pub async fn is_frontend_hop(&self, url: &Url) -> bool {
        if self.trust.is_frontend(url) {
            return true;
        }
        if self.trust.is_known_backend(url) {
            return false;
        }
        let listed = self.discover().await.is_ok();
        if self.trust.is_frontend(url) {
            return true;
        }
        if self.directory.frontends_path().is_some() {
            return false;
        }
        listed && !self.trust.is_known_backend(url)
    }

    /// A GET that follows redirects only to hosts already trusted (follower FE → leader FE):
    /// discovery's own request, which must not trigger a discovery.
    async fn get_between_fes(&self, url: Url) -> Result<Answer> {
        let mut url = url;
        for _ in 0..=MAX_REDIRECTS {
            let mut req = self.authorized(&self.control, Method::GET, &url);
            if let Some(t) = self.request_timeout {
                req = req.timeout(t);
            }
            let resp = req
                .send()
                .await
                .map_err(|e| self.tag(transport_error(e, &url)))?;
            match location_of(&resp).map_err(|e| self.tag(e))? {
                Some(location) => {
                    let target = checked_location(&url, &location, self.rewrite_localhost)
                        .map_err(|e| self.tag(e))?;
                    if !self.trust.allows(&target) {
                        return Err(self.tag(HostTrust::refused(&target)));
                    }
                    url = target;
                }
                None => return self.read(resp, url).await,
            }
        }
        Err(self.too_many_redirects(&url))
    }

    /// Refuses a host that is not the cluster's: an unknown host triggers one BE discovery
    /// (the FE is trusted, a BE it names may simply not be known yet). When the FE cannot be
    /// asked right now, nothing is sent to the unverified host, but the refusal is temporary.
    pub(super) async fn check_trusted(&self, target: &Url) -> Result<()> {
        if self.trust.allows(target) {
            return Ok(());
        }
        match self.discover().await {
            Ok(_) if self.trust.allows(target) => Ok(()),
            Err(e) if e.is_retryable() => Err(self.tag(
                Error::new(
                    ErrorKind::Unavailable,
                    format!(
                        "cannot check the redirect target {}: BE discovery failed",
                        host_port(target)
                    ),
                )
                .set_source(e)
                .temporary(),
            )),
            Ok(_) => Err(self.tag(HostTrust::refused(target))),
            Err(e) => Err(self.tag(HostTrust::refused(target).set_source(e))),
        }
    }
}
