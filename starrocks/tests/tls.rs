//! Loads over real TLS against the emulator's HTTPS listeners: the CA a client trusts (through
//! the builder and through the shared `tls.*` option keys), an untrusted or misnamed
//! certificate, the hostname switch, mutual TLS, and an https FE that redirects to plain http.

mod support;

use std::sync::atomic::Ordering;

use streamload_core::{CsvFormat, ErrorKind, Format, Label, LoadOptions, LoadProtocol, Table};
use streamload_emulator::engine::Flavor;
use streamload_emulator::test_pki::{Pki, counting_listener, https_redirector, temp_file};
use streamload_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Listener, TlsPem};
use streamload_starrocks::{SinkVersion, StarRocksBuilder};
use support::emu;

/// An emulator serving `pem` on every HTTP listener, with table `test.score_board`.
async fn https_emulator(pem: TlsPem) -> EmulatorHandle {
    let mut config = EmulatorConfig::new(Flavor::StarRocks);
    config.tls = Some(pem);
    let emu = Emulator::start(config).await.unwrap();
    emu.engine().create_database("test").unwrap();
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    emu
}

fn builder(fe: String) -> StarRocksBuilder {
    StarRocksBuilder::new()
        .with_load_urls([fe])
        .with_credentials("root", "")
        .with_version(SinkVersion::V1)
}

/// One V1 Stream Load of row `id` into `test.score_board`.
async fn load_one_row(builder: StarRocksBuilder, id: u32) -> streamload_core::Result<()> {
    let protocol = builder.build()?;
    let table = Table::new("test", "score_board");
    let options = LoadOptions {
        format: Format::Csv(CsvFormat::default()),
        compression: streamload_core::Compression::None,
        columns: None,
        two_phase: false,
    };
    let label = Label::new(format!("tls-{id}")).unwrap();
    let mut txn = protocol.begin(&table, Some(label), &options).await?;
    txn.write(bytes::Bytes::from(format!("{id}\tx\t{id}\n")))
        .await?;
    txn.finish().await.map(|_| ())
}

async fn ids(emu: &EmulatorHandle) -> Vec<String> {
    emu::rows(emu, "select id from test.score_board order by id")
        .await
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
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
    let emu = https_emulator(pki.server(&["127.0.0.1", "localhost"])).await;
    assert!(emu.fe_url().starts_with("https://"), "{}", emu.fe_url());
    load_one_row(builder(emu.fe_url()).with_ca_certificate(pki.ca_pem()), 1)
        .await
        .unwrap();
    assert_eq!(ids(&emu).await, ["1"]);
    let log = emu.request_log().entries();
    assert!(
        log.iter()
            .any(|r| r.listener == Listener::Be(0) && r.body_bytes > 0),
        "the body went to the BE over TLS: {log:?}"
    );
}

#[tokio::test]
async fn the_shared_tls_options_reach_a_bare_load_url_over_https() {
    let pki = Pki::new("streamload test CA");
    let emu = https_emulator(pki.server(&["127.0.0.1"])).await;
    let ca = temp_file("ca.pem", &pki.ca_pem());
    let bare = emu.fe_url().trim_start_matches("https://").to_owned();
    let configured = builder(bare)
        .with_options([
            ("tls.enabled", "true"),
            ("tls.ca-certificate-path", ca.to_str().unwrap()),
            ("tls.system-roots", "false"),
        ])
        .unwrap();
    load_one_row(configured, 1).await.unwrap();
    assert_eq!(ids(&emu).await, ["1"]);
    let _ = std::fs::remove_file(ca);
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_before_any_request() {
    let pki = Pki::new("streamload test CA");
    let emu = https_emulator(pki.server(&["127.0.0.1"])).await;
    let e = load_one_row(builder(emu.fe_url()), 1).await.unwrap_err();
    assert_tls_refusal(&e);
    assert!(!e.is_retryable(), "{e}");
    assert!(
        emu.request_log().entries().is_empty(),
        "no request got through"
    );
    assert!(ids(&emu).await.is_empty());
}

#[tokio::test]
async fn hostname_verification_off_accepts_a_certificate_for_another_name() {
    let pki = Pki::new("streamload test CA");
    let emu = https_emulator(pki.server(&["db.example.internal"])).await;
    let strict = builder(emu.fe_url()).with_ca_certificate(pki.ca_pem());
    assert_tls_refusal(&load_one_row(strict, 1).await.unwrap_err());
    assert!(ids(&emu).await.is_empty());
    let relaxed = builder(emu.fe_url())
        .with_ca_certificate(pki.ca_pem())
        .with_tls_hostname_verification(false);
    load_one_row(relaxed, 2).await.unwrap();
    assert_eq!(ids(&emu).await, ["2"]);
}

#[tokio::test]
async fn mutual_tls_presents_the_client_identity() {
    let pki = Pki::new("streamload test CA");
    let mut pem = pki.server(&["127.0.0.1"]);
    pem.client_ca = Some(pki.ca_pem());
    let emu = https_emulator(pem).await;
    let anonymous = builder(emu.fe_url()).with_ca_certificate(pki.ca_pem());
    let e = load_one_row(anonymous, 1).await.unwrap_err();
    assert!(e.to_string().contains("TLS"), "{e}");
    let (cert, key) = pki.client();
    let identified = builder(emu.fe_url())
        .with_ca_certificate(pki.ca_pem())
        .with_client_identity(cert, key);
    load_one_row(identified, 2).await.unwrap();
    assert_eq!(ids(&emu).await, ["2"]);
}

#[tokio::test]
async fn an_https_fe_redirecting_to_http_is_refused() {
    let pki = Pki::new("streamload test CA");
    let (plain, plain_hits) = counting_listener().await;
    let (fe, fe_hits) =
        https_redirector(&pki.server(&["127.0.0.1"]), format!("http://{plain}")).await;
    let e = load_one_row(
        builder(format!("https://{fe}"))
            .with_credentials("root", "secret")
            .with_ca_certificate(pki.ca_pem()),
        1,
    )
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
