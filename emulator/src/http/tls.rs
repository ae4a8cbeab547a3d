//! HTTPS listeners (feature `tls`): clients test CA bundles, client identities, hostname checks
//! and https→http redirect refusals against a server that really speaks TLS.
//!
//! rustls with the *ring* provider, chosen explicitly (no process-wide default is installed), so
//! the emulator builds with a C compiler alone and never depends on what its host installed.
//! Every FE and BE listener uses the same certificate; redirects and advertised URLs say
//! `https://`.

use std::fmt;
use std::io;

use tokio::net::TcpStream;

/// A server certificate chain and key (PEM), and optionally the CA whose client certificates
/// are required (mutual TLS).
#[derive(Clone)]
pub struct TlsPem {
    /// Certificate chain, leaf first.
    pub cert: Vec<u8>,
    /// Private key (never shown by `Debug`).
    pub key: Vec<u8>,
    /// CA bundle of the client certificates required; `None` asks for none.
    pub client_ca: Option<Vec<u8>>,
}

impl fmt::Debug for TlsPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsPem")
            .field("cert", &format_args!("<{} bytes>", self.cert.len()))
            .field("key", &"<redacted>")
            .field("client_ca", &self.client_ca.as_ref().map(Vec::len))
            .finish()
    }
}

impl TlsPem {
    /// Reads a certificate and key from PEM files.
    pub fn read(cert: &std::path::Path, key: &std::path::Path) -> io::Result<TlsPem> {
        let read = |path: &std::path::Path, what: &str| {
            std::fs::read(path).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot read {what} {}: {e}", path.display()),
                )
            })
        };
        Ok(TlsPem {
            cert: read(cert, "the TLS certificate")?,
            key: read(key, "the TLS key")?,
            client_ca: None,
        })
    }
}

/// Accepts TLS on the listeners' TCP connections.
#[derive(Clone)]
pub(crate) struct Acceptor {
    #[cfg(feature = "tls")]
    inner: tokio_rustls::TlsAcceptor,
    #[cfg(not(feature = "tls"))]
    never: std::convert::Infallible,
}

impl fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Acceptor")
    }
}

#[cfg(feature = "tls")]
impl Acceptor {
    /// An acceptor serving `pem`'s certificate.
    pub(crate) fn new(pem: &TlsPem) -> io::Result<Acceptor> {
        use std::sync::Arc;

        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};

        let invalid = |what: &str, e: &dyn fmt::Display| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("{what}: {e}"))
        };
        let certs = CertificateDer::pem_slice_iter(&pem.cert)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid("invalid TLS certificate PEM", &e))?;
        if certs.is_empty() {
            return Err(invalid("TLS certificate", &"no certificate in the PEM"));
        }
        // The parse error may quote the key: keep only the verdict.
        let key = PrivateKeyDer::from_pem_slice(&pem.key)
            .map_err(|_| invalid("TLS key", &"no valid PEM private key"))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid("TLS versions", &e))?;
        let builder = match &pem.client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(ca) {
                    let cert = cert.map_err(|e| invalid("invalid client CA PEM", &e))?;
                    roots
                        .add(cert)
                        .map_err(|e| invalid("invalid client CA", &e))?;
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .map_err(|e| invalid("client CA", &e))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder
            .with_single_cert(certs, key)
            .map_err(|e| invalid("TLS certificate and key", &e))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Acceptor {
            inner: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// The TLS handshake on an accepted connection.
    pub(crate) async fn accept(
        &self,
        stream: TcpStream,
    ) -> io::Result<tokio_rustls::server::TlsStream<TcpStream>> {
        self.inner.accept(stream).await
    }
}

#[cfg(not(feature = "tls"))]
impl Acceptor {
    /// Without the `tls` feature there is no HTTPS.
    pub(crate) fn new(_pem: &TlsPem) -> io::Result<Acceptor> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "HTTPS needs the emulator's `tls` feature",
        ))
    }

    /// Unreachable: no acceptor exists without the feature.
    pub(crate) async fn accept(&self, _stream: TcpStream) -> io::Result<TcpStream> {
        match self.never {}
    }
}
