//! TLS fixtures for tests of clients against the emulator (feature `test-pki`): a throwaway CA
//! with the server and client certificates it signs (generated per test, never stored), a
//! hand-made HTTPS node that answers every request with a redirect, and a plain listener that
//! counts the connections it gets. Fixtures panic on failure, as test code does.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::TlsPem;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A CA that signs the certificates of one test.
#[allow(missing_debug_implementations)]
pub struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    /// A fresh CA named `name`.
    pub fn new(name: &str) -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Pki { ca }
    }

    /// The CA certificate (PEM): what a client trusts.
    pub fn ca_pem(&self) -> Vec<u8> {
        self.ca.pem().into_bytes()
    }

    fn leaf(&self, names: &[&str], usage: ExtendedKeyUsagePurpose) -> (Vec<u8>, Vec<u8>) {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, "leaf");
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        (cert.pem().into_bytes(), key.serialize_pem().into_bytes())
    }

    /// A server certificate for `names` (host names or IP addresses) and its key.
    pub fn server(&self, names: &[&str]) -> TlsPem {
        let (cert, key) = self.leaf(names, ExtendedKeyUsagePurpose::ServerAuth);
        TlsPem {
            cert,
            key,
            client_ca: None,
        }
    }

    /// A client certificate and its key (PEM), for mutual TLS.
    pub fn client(&self) -> (Vec<u8>, Vec<u8>) {
        self.leaf(&["streamload-client"], ExtendedKeyUsagePurpose::ClientAuth)
    }
}

/// Writes `bytes` to a fresh file named after `name` in the temporary directory.
pub fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path =
        std::env::temp_dir().join(format!("streamload-tls-{}-{n}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A plain TCP listener that counts accepted connections (and closes them).
pub async fn counting_listener() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (addr, hits)
}

/// An HTTPS node serving `pem` that answers every request with a 307 to `location` followed by
/// the request's path. Returns its `host:port` and a count of the requests it answered (each
/// over a completed TLS handshake).
pub async fn https_redirector(pem: &TlsPem, location: String) -> (String, Arc<AtomicUsize>) {
    let certs = CertificateDer::pem_slice_iter(&pem.cert)
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(&pem.key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (acceptor, location, counter) =
                (acceptor.clone(), location.clone(), Arc::clone(&counter));
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let mut buf = vec![0u8; 16 * 1024];
                let mut read = 0;
                while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf[read..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => read += n,
                    }
                }
                let head = String::from_utf8_lossy(&buf[..read]).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                counter.fetch_add(1, Ordering::SeqCst);
                let answer = format!(
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}{path}\r\n\
                     Content-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (addr, hits)
}
