//! TLS settings of a [`Transport`](super::Transport): which CAs are trusted, the client identity
//! for mutual TLS, and the hostname-verification switch.
//!
//! The settings are plain data available in every build, so one option map gets one verdict
//! whether or not HTTPS is compiled in; applying them needs the `rustls` feature (reqwest's
//! rustls backend). The transport installs *ring* as the process's crypto provider unless the
//! application installed one; reqwest's own default provider stays compiled in, so any other
//! reqwest client of the process keeps working whether or not a transport was built first. A
//! build without the feature refuses TLS settings and `https://` nodes when the transport is
//! built, rather than at the first load.
//!
//! Two rules the connectors share:
//!
//! * **Nothing is turned off silently.** Skipping hostname verification keeps the certificate
//!   chain check, trusts only the configured CA bundle (system roots would make any public
//!   certificate acceptable for any of the cluster's hosts), and logs a warning when the
//!   transport is built.
//! * **Secrets stay secret.** A private key's contents never appear in `Debug` output, and
//!   errors name the file or the setting, never what was read from it.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::options::TlsOption;
use crate::{Error, ErrorKind, Result};

/// PEM text: a file to read when the transport is built, or the bytes themselves.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PemSource {
    /// A PEM file.
    File(PathBuf),
    /// PEM bytes.
    Bytes(Vec<u8>),
}

impl fmt::Debug for PemSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PemSource::File(path) => f.debug_tuple("File").field(path).finish(),
            PemSource::Bytes(b) => write!(f, "Bytes(<{} bytes>)", b.len()),
        }
    }
}

impl From<PathBuf> for PemSource {
    fn from(path: PathBuf) -> Self {
        PemSource::File(path)
    }
}

impl From<&std::path::Path> for PemSource {
    fn from(path: &std::path::Path) -> Self {
        PemSource::File(path.to_path_buf())
    }
}

impl From<&str> for PemSource {
    /// A file path.
    fn from(path: &str) -> Self {
        PemSource::File(path.into())
    }
}

impl From<String> for PemSource {
    /// A file path.
    fn from(path: String) -> Self {
        PemSource::File(path.into())
    }
}

impl From<Vec<u8>> for PemSource {
    fn from(pem: Vec<u8>) -> Self {
        PemSource::Bytes(pem)
    }
}

impl From<&[u8]> for PemSource {
    fn from(pem: &[u8]) -> Self {
        PemSource::Bytes(pem.to_vec())
    }
}

impl PemSource {
    /// The PEM bytes; `what` names the setting in errors (the contents never do).
    pub fn read(&self, what: &str) -> Result<Vec<u8>> {
        match self {
            PemSource::Bytes(b) => Ok(b.clone()),
            PemSource::File(path) => std::fs::read(path).map_err(|e| {
                Error::new(
                    ErrorKind::Config,
                    format!("TLS: cannot read the {what} file {}", path.display()),
                )
                .set_source(e)
            }),
        }
    }
}

/// How a transport speaks TLS. The default trusts the system roots, presents no client
/// certificate, verifies host names, and leaves each node's scheme as configured.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsConfig {
    /// Reach every configured node over `https://`, whatever scheme its address was given with
    /// (Doris `doris.enable.tls`): nothing falls back to plaintext.
    pub enabled: bool,
    /// CA bundles (PEM) trusted for the cluster's certificates.
    pub ca_certificates: Vec<PemSource>,
    /// Trust the system roots besides [`ca_certificates`](Self::ca_certificates) (`false`:
    /// only the configured bundles).
    pub system_roots: bool,
    /// Certificate chain (leaf first) presented to servers that ask for one (mutual TLS);
    /// needs [`client_key`](Self::client_key).
    pub client_certificate: Option<PemSource>,
    /// The client certificate's private key (PKCS#8, PKCS#1 or SEC1; given as bytes it is
    /// never shown by `Debug`).
    pub client_key: Option<PemSource>,
    /// Check that a server's certificate names the host connected to. `false` accepts a
    /// certificate issued for another name, still signed by a configured CA (and logs a
    /// warning).
    pub verify_hostname: bool,
    /// Protocols TLS is not used for (Doris `doris.tls.excluded-protocols`): `http` here
    /// leaves [`enabled`](Self::enabled) without effect; the others are not spoken here.
    pub excluded_protocols: Vec<String>,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key: &dyn fmt::Debug = match &self.client_key {
            Some(PemSource::Bytes(_)) => &"<redacted>",
            other => other,
        };
        f.debug_struct("TlsConfig")
            .field("enabled", &self.enabled)
            .field("ca_certificates", &self.ca_certificates)
            .field("system_roots", &self.system_roots)
            .field("client_certificate", &self.client_certificate)
            .field("client_key", key)
            .field("verify_hostname", &self.verify_hostname)
            .field("excluded_protocols", &self.excluded_protocols)
            .finish()
    }
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            ca_certificates: Vec::new(),
            system_roots: true,
            client_certificate: None,
            client_key: None,
            verify_hostname: true,
            excluded_protocols: Vec::new(),
        }
    }
}

impl TlsConfig {
    /// Whether anything differs from the system-roots, no-identity, verified default.
    pub fn is_customized(&self) -> bool {
        !self.ca_certificates.is_empty()
            || !self.system_roots
            || self.client_certificate.is_some()
            || self.client_key.is_some()
            || !self.verify_hostname
    }

    /// Whether configured nodes are upgraded to `https://`: enabled, and HTTP not excluded.
    pub fn upgrades_http(&self) -> bool {
        self.enabled
            && !self
                .excluded_protocols
                .iter()
                .any(|p| p.trim().eq_ignore_ascii_case("http"))
    }

    /// Applies one parsed TLS option key.
    pub fn set(&mut self, option: TlsOption) {
        match option {
            TlsOption::Enabled(on) => self.enabled = on,
            TlsOption::CaCertificatePath(path) => {
                self.ca_certificates = path.map(PemSource::File).into_iter().collect();
            }
            TlsOption::SkipHostnameVerification(skip) => self.verify_hostname = !skip,
            TlsOption::SystemRoots(on) => self.system_roots = on,
            TlsOption::ClientCertificatePath(path) => {
                self.client_certificate = path.map(PemSource::File);
            }
            TlsOption::ClientKeyPath(path) => self.client_key = path.map(PemSource::File),
            TlsOption::ExcludedProtocols(list) => self.excluded_protocols = list,
        }
    }

    /// Applies these settings to a reqwest client builder.
    #[cfg(feature = "rustls")]
    pub(crate) fn apply(
        &self,
        builder: reqwest::ClientBuilder,
        backend: &str,
    ) -> Result<reqwest::ClientBuilder> {
        install_provider();
        let mut builder = builder.tls_backend_rustls();
        let mut roots = Vec::new();
        for ca in &self.ca_certificates {
            let pem = ca.read("CA certificate")?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                Error::new(ErrorKind::Config, "TLS: invalid CA certificate PEM").set_source(e)
            })?;
            if certs.is_empty() {
                return Err(Error::new(
                    ErrorKind::Config,
                    "TLS: the CA certificate bundle holds no certificate",
                ));
            }
            roots.extend(certs);
        }
        if !self.verify_hostname {
            if roots.is_empty() {
                return Err(Error::new(
                    ErrorKind::Config,
                    "TLS: hostname verification can only be turned off for a configured CA \
                     certificate bundle, never for the system roots",
                ));
            }
            tracing::warn!(
                backend,
                "TLS hostname verification is off: certificates signed by the configured CA \
                 are accepted for any host name; the system roots are not trusted"
            );
            builder = builder
                .tls_certs_only(roots)
                .tls_danger_accept_invalid_hostnames(true);
        } else if !self.system_roots {
            if roots.is_empty() {
                return Err(Error::new(
                    ErrorKind::Config,
                    "TLS: the system roots are off and no CA certificate is configured",
                ));
            }
            builder = builder.tls_certs_only(roots);
        } else if !roots.is_empty() {
            builder = builder.tls_certs_merge(roots);
        }
        if let Some((certificate, key)) = self.identity()? {
            let mut pem = certificate.read("client certificate")?;
            pem.push(b'\n');
            pem.extend(key.read("client key")?);
            // reqwest's message may quote what it could not parse: keep only the verdict.
            let identity = reqwest::Identity::from_pem(&pem).map_err(|_| {
                Error::new(
                    ErrorKind::Config,
                    "TLS: invalid client identity (expected a PEM certificate chain and its \
                     private key)",
                )
            })?;
            builder = builder.identity(identity);
        }
        Ok(builder)
    }

    /// The client certificate and key, both or neither.
    #[cfg(feature = "rustls")]
    fn identity(&self) -> Result<Option<(&PemSource, &PemSource)>> {
        match (&self.client_certificate, &self.client_key) {
            (Some(c), Some(k)) => Ok(Some((c, k))),
            (None, None) => Ok(None),
            (Some(_), None) => Err(Error::new(
                ErrorKind::Config,
                "TLS: a client certificate is configured without its private key",
            )),
            (None, Some(_)) => Err(Error::new(
                ErrorKind::Config,
                "TLS: a client private key is configured without its certificate",
            )),
        }
    }

    /// Without the `rustls` feature there is no TLS: settings are refused up front.
    #[cfg(not(feature = "rustls"))]
    pub(crate) fn apply(
        &self,
        builder: reqwest::ClientBuilder,
        _backend: &str,
    ) -> Result<reqwest::ClientBuilder> {
        if self.upgrades_http() || self.is_customized() {
            return Err(without_rustls());
        }
        Ok(builder)
    }
}

/// A node address for a transport with `tls`: `https://` when TLS is enabled; an `https://`
/// address is refused in a build without the `rustls` feature.
pub(crate) fn node_scheme(tls: &TlsConfig, mut url: url::Url) -> Result<url::Url> {
    if tls.upgrades_http() && url.scheme() == "http" {
        // http → https is a special-scheme change the url crate allows.
        let _ = url.set_scheme("https");
    }
    if url.scheme() == "https" && !cfg!(feature = "rustls") {
        return Err(without_rustls());
    }
    Ok(url)
}

fn without_rustls() -> Error {
    Error::new(
        ErrorKind::Config,
        "TLS needs the `rustls` feature of the client crate (this build has no HTTPS)",
    )
}

/// Installs *ring* as the process's rustls provider unless one is installed already (an
/// application's own choice wins; reqwest builds its TLS configuration from it).
#[cfg(feature = "rustls")]
fn install_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another installer is fine: a provider is installed either way.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_bytes_never_show_in_debug() {
        let shown = format!(
            "{:?}",
            TlsConfig {
                client_certificate: Some(PemSource::Bytes(b"CERT".to_vec())),
                client_key: Some(PemSource::Bytes(
                    b"-----BEGIN PRIVATE KEY-----secret".to_vec(),
                )),
                ..TlsConfig::default()
            }
        );
        assert!(!shown.contains("secret"), "{shown}");
        assert!(!shown.contains("CERT"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn enabled_tls_upgrades_plain_nodes() {
        let tls = TlsConfig {
            enabled: true,
            ..TlsConfig::default()
        };
        let url = url::Url::parse("http://fe:8030/").unwrap();
        let upgraded = node_scheme(&tls, url);
        if cfg!(feature = "rustls") {
            assert_eq!(upgraded.unwrap().as_str(), "https://fe:8030/");
        } else {
            // No HTTPS in this build: refused up front, not at the first load.
            assert_eq!(upgraded.unwrap_err().kind(), ErrorKind::Config);
        }
        let plain = node_scheme(
            &TlsConfig::default(),
            url::Url::parse("http://fe:1/").unwrap(),
        );
        assert_eq!(plain.unwrap().scheme(), "http");
        let excluded = TlsConfig {
            excluded_protocols: vec![" HTTP".into(), "thrift".into()],
            ..tls
        };
        assert!(!excluded.upgrades_http());
    }

    #[test]
    fn unreadable_pem_file_names_the_setting() {
        let err = PemSource::from("no/such/ca.pem")
            .read("CA certificate")
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.to_string().contains("CA certificate"), "{err}");
    }
}
