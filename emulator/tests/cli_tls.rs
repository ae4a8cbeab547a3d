//! The binary's HTTPS contract: with `--tls-cert` / `--tls-key` every listener speaks TLS with
//! that certificate, the `ready` line says `https://`, plain HTTP gets no answer, and an
//! unreadable or invalid key stops the binary before it announces anything.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{CertificateParams, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

/// A self-signed certificate for 127.0.0.1, written to two temporary files.
fn cert_files(tag: &str) -> (Vec<u8>, PathBuf, PathBuf) {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let dir = std::env::temp_dir();
    let stem = format!("streamload-emulator-tls-{}-{tag}", std::process::id());
    let (cert_path, key_path) = (
        dir.join(format!("{stem}.crt")),
        dir.join(format!("{stem}.key")),
    );
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (cert.pem().into_bytes(), cert_path, key_path)
}

fn start(cert: &PathBuf, key: &PathBuf) -> Child {
    Command::new(env!("CARGO_BIN_EXE_streamload-emulator"))
        .args(["--flavor", "doris", "--tls-cert"])
        .arg(cert)
        .arg("--tls-key")
        .arg(key)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts")
}

/// `GET path` over TLS trusting only `ca`; the answer's status line.
fn https_get(addr: &str, ca: &[u8], path: &str) -> String {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    write!(
        tls,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    text.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn serves_https_with_the_given_certificate() {
    let (ca, cert, key) = cert_files("ok");
    let mut child = start(&cert, &key);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next().expect("a line").expect("utf-8");
    let fe = line
        .split(' ')
        .find_map(|p| p.strip_prefix("fe_http=https://"))
        .unwrap_or_else(|| panic!("an https FE: {line}"))
        .to_owned();
    let be = line
        .split(' ')
        .find_map(|p| p.strip_prefix("be_http=https://"))
        .unwrap_or_else(|| panic!("an https BE: {line}"))
        .to_owned();
    for node in [&fe, &be] {
        let status = https_get(node, &ca, "/api/health");
        assert!(status.starts_with("HTTP/1.1 "), "{node}: {status:?}");
    }
    // Plain HTTP on the TLS port gets no HTTP answer.
    let mut plain = TcpStream::connect(&fe).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = plain.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(!answer.starts_with(b"HTTP/"), "plain HTTP answered");
    let _ = child.kill();
    let _ = child.wait();
    let _ = (std::fs::remove_file(cert), std::fs::remove_file(key));
}

#[test]
fn an_invalid_key_stops_the_binary_before_ready() {
    let (_, cert, key) = cert_files("bad");
    std::fs::write(&key, "-----BEGIN PRIVATE KEY-----\nnot a key\n").unwrap();
    let out = start(&cert, &key).wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no ready line");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("TLS key"), "{stderr}");
    assert!(
        !stderr.contains("not a key"),
        "the key's text is not echoed: {stderr}"
    );
    let _ = (std::fs::remove_file(cert), std::fs::remove_file(key));
}

#[test]
fn tls_key_without_cert_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_streamload-emulator"))
        .args(["--flavor", "doris", "--tls-key", "k.pem"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-cert"));
}
