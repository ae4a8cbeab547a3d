//! Loads over real TLS against the emulator's HTTPS listeners: the CA a client trusts, an
//! untrusted or misnamed certificate, the hostname switch, mutual TLS, the Doris connector's
//! `doris.enable.tls` option family, and an https FE that redirects to plain http.

mod common;

use std::sync::atomic::Ordering;

use common::*;
use streamload_core::{ErrorKind, LoadProtocol, Table};
use streamload_doris::{DorisBuilder, DorisProtocol};
use streamload_emulator::test_pki::{Pki, counting_listener, https_redirector, temp_file};
use streamload_emulator::{EmulatorHandle, Listener, TlsPem};

async fn load_one_row(
    doris: &DorisProtocol,
    table: &Table,
    seq: u64,
) -> streamload_core::Result<()> {
    let label = doris.label_generator()?.label(table, seq)?;
    let mut txn = doris.begin(table, Some(label), &csv(true, &[])).await?;
    txn.write(bytes::Bytes::from(format!("{seq}\tx\n"))).await?;
    let prepared = txn.prepare().await?;
    doris.commit(&prepared.prepared).await
}

/// An emulator serving `pem` on every HTTP listener, with table `test.t`.
async fn https_emulator(pem: TlsPem) -> (EmulatorHandle, Table) {
    let emu = start_with(|c| c.tls = Some(pem)).await;
    let table = dup_table(&emu, "t").await;
    (emu, table)
}

fn assert_tls_refusal(e: &streamload_core::Error) {
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    let text = e.to_string();
    assert!(text.contains("TLS"), "{text}");
    assert!(text.contains("certificate"), "{text}");
}

#[tokio::test]
async fn a_load_over_tls_succeeds_with_the_ca_configured() {
    let pki = Pki::new("streamload test CA");
    let (emu, table) = https_emulator(pki.server(&["127.0.0.1", "localhost"])).await;
    assert!(emu.fe_url().starts_with("https://"), "{}", emu.fe_url());
    assert!(emu.be_urls().iter().all(|u| u.starts_with("https://")));
    let doris = builder(&emu)
        .with_ca_certificate(pki.ca_pem())
        .build()
        .unwrap();
    load_one_row(&doris, &table, 1).await.unwrap();
    assert_eq!(table_text(&emu, "SELECT id, name FROM test.t").await, "1,x");
    let log = emu.request_log().entries();
    assert!(
        log.iter()
            .any(|r| r.listener == Listener::Be(0) && r.body_bytes > 0),
        "the body went to the BE over TLS: {log:?}"
    );
    assert_no_body_reached_the_fe(&emu);
}

#[tokio::test]
async fn the_doris_tls_options_reach_a_bare_fe_address_over_https() {
    let pki = Pki::new("streamload test CA");
    let (emu, table) = https_emulator(pki.server(&["127.0.0.1"])).await;
    let ca = temp_file("ca.pem", &pki.ca_pem());
    let bare = emu.fe_url().trim_start_matches("https://").to_owned();
    let doris = DorisBuilder::new()
        .with_credentials("root", "")
        .with_label_prefix("it")
        .with_options([
            ("fenodes", bare.as_str()),
            ("doris.enable.tls", "true"),
            ("doris.tls.ca-certificate-path", ca.to_str().unwrap()),
            ("doris.tls.skip-hostname-verification", "false"),
            ("doris.tls.excluded-protocols", "thrift, arrowflight"),
        ])
        .unwrap()
        .build()
        .unwrap();
    load_one_row(&doris, &table, 1).await.unwrap();
    assert_eq!(table_text(&emu, "SELECT id, name FROM test.t").await, "1,x");
    let _ = std::fs::remove_file(ca);
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_before_any_request() {
    let pki = Pki::new("streamload test CA");
    let (emu, table) = https_emulator(pki.server(&["127.0.0.1"])).await;
    // Neither the system roots nor another CA vouch for the emulator's certificate.
    let other = Pki::new("some other CA");
    for doris in [
        builder(&emu).build().unwrap(),
        builder(&emu)
            .with_ca_certificate(other.ca_pem())
            .with_system_roots(false)
            .build()
            .unwrap(),
    ] {
        let e = load_one_row(&doris, &table, 1).await.unwrap_err();
        assert_tls_refusal(&e);
        assert!(!e.is_retryable(), "{e}");
    }
    assert!(
        emu.request_log().entries().is_empty(),
        "no request got through"
    );
    assert_eq!(table_text(&emu, "SELECT id FROM test.t").await, "");
}

#[tokio::test]
async fn hostname_verification_off_accepts_a_certificate_for_another_name() {
    let pki = Pki::new("streamload test CA");
    let (emu, table) = https_emulator(pki.server(&["db.example.internal"])).await;
    let strict = builder(&emu)
        .with_ca_certificate(pki.ca_pem())
        .build()
        .unwrap();
    let e = load_one_row(&strict, &table, 1).await.unwrap_err();
    assert_tls_refusal(&e);
    assert_eq!(table_text(&emu, "SELECT id FROM test.t").await, "");

    let relaxed = builder(&emu)
        .with_ca_certificate(pki.ca_pem())
        .with_tls_hostname_verification(false)
        .build()
        .unwrap();
    load_one_row(&relaxed, &table, 2).await.unwrap();
    assert_eq!(table_text(&emu, "SELECT id FROM test.t").await, "2");

    // Never for the system roots: without a CA bundle the switch is refused up front.
    let e = builder(&emu)
        .with_tls_hostname_verification(false)
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("hostname verification"), "{e}");
}

#[tokio::test]
async fn mutual_tls_presents_the_client_identity() {
    let pki = Pki::new("streamload test CA");
    let mut pem = pki.server(&["127.0.0.1"]);
    pem.client_ca = Some(pki.ca_pem());
    let (emu, table) = https_emulator(pem).await;
    let anonymous = builder(&emu)
        .with_ca_certificate(pki.ca_pem())
        .build()
        .unwrap();
    let e = load_one_row(&anonymous, &table, 1).await.unwrap_err();
    assert!(e.to_string().contains("TLS"), "{e}");
    assert_eq!(table_text(&emu, "SELECT id FROM test.t").await, "");

    let (cert, key) = pki.client();
    let (cert_path, key_path) = (
        temp_file("client.pem", &cert),
        temp_file("client.key", &key),
    );
    let identified = builder(&emu)
        .with_ca_certificate(pki.ca_pem())
        .with_client_identity(cert_path.as_path(), key_path.as_path())
        .build()
        .unwrap();
    load_one_row(&identified, &table, 2).await.unwrap();
    assert_eq!(table_text(&emu, "SELECT id FROM test.t").await, "2");
    // The key's contents never show in the settings' debug output.
    let shown = format!(
        "{:?}",
        builder(&emu)
            .with_client_identity(cert, key.clone())
            .config()
    );
    assert!(!shown.contains(std::str::from_utf8(&key).unwrap().lines().nth(1).unwrap()));
    let _ = (
        std::fs::remove_file(cert_path),
        std::fs::remove_file(key_path),
    );
}

#[tokio::test]
async fn an_https_fe_redirecting_to_http_is_refused() {
    let pki = Pki::new("streamload test CA");
    let (plain, plain_hits) = counting_listener().await;
    let (fe, fe_hits) =
        https_redirector(&pki.server(&["127.0.0.1"]), format!("http://{plain}")).await;
    let doris = DorisBuilder::new()
        .with_fe_nodes([format!("https://{fe}")])
        .with_credentials("root", "secret")
        .with_label_prefix("it")
        .with_ca_certificate(pki.ca_pem())
        .build()
        .unwrap();
    let e = load_one_row(&doris, &Table::new("test", "t"), 1)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    assert!(e.to_string().contains("https to http"), "{e}");
    assert!(
        fe_hits.load(Ordering::SeqCst) >= 1,
        "the FE was asked over TLS"
    );
    assert_eq!(
        plain_hits.load(Ordering::SeqCst),
        0,
        "nothing reached the http target"
    );
}
