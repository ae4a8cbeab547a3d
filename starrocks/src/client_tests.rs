//! Unit tests of `client.rs`.

use super::*;

fn client(allowed: &[&str], rewrite: bool) -> HttpClient {
    let config = StarRocksConfig {
        load_urls: vec!["fe1:8030".into(), "https://fe2:8443".into()],
        allowed_hosts: allowed.iter().map(|s| s.to_string()).collect(),
        rewrite_localhost: rewrite,
        username: "root".into(),
        password: "pw".into(),
        ..StarRocksConfig::default()
    };
    HttpClient::new(&config).unwrap()
}

#[test]
fn nodes_are_parsed_and_credentials_in_urls_refused() {
    assert_eq!(parse_node("fe:8030").unwrap().as_str(), "http://fe:8030/");
    assert_eq!(
        parse_node("https://fe/x?y").unwrap().as_str(),
        "https://fe/"
    );
    assert_eq!(
        parse_node("http://u:p@fe:1").unwrap_err().kind(),
        ErrorKind::Config
    );
    assert!(parse_node("ftp://fe").is_err());
}

#[test]
fn redirects_strip_userinfo_and_never_downgrade() {
    let c = client(&[], false);
    let from = Url::parse("http://fe1:8030/api/db/t/_stream_load").unwrap();
    let next = c
        .follow(
            &from,
            "http://user:secret@be1:8040/api/db/t/_stream_load?x=1",
        )
        .unwrap();
    assert_eq!(next.as_str(), "http://be1:8040/api/db/t/_stream_load?x=1");
    let tls = Url::parse("https://fe2:8443/api/db/t/_stream_load").unwrap();
    let err = c.follow(&tls, "http://be1:8040/x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
}

#[test]
fn allow_list_and_localhost_rewrite() {
    let c = client(&["be1"], true);
    let from = Url::parse("http://fe1:8030/api/x").unwrap();
    assert!(c.follow(&from, "http://be1:8040/api/x").is_ok());
    assert_eq!(
        c.follow(&from, "http://evil:8040/").unwrap_err().kind(),
        ErrorKind::Config
    );
    let rewritten = c.follow(&from, "http://127.0.0.1:8040/api/x").unwrap();
    assert_eq!(rewritten.host_str(), Some("fe1"));
}

#[test]
fn fe_hops_are_told_from_be_hops() {
    let c = client(&[], false);
    let fe = Url::parse("http://fe1:8030/").unwrap();
    assert!(c.is_frontend(&Url::parse("http://fe3:8030/").unwrap(), &fe));
    assert!(!c.is_frontend(&Url::parse("http://be1:8040/").unwrap(), &fe));
}

#[test]
fn the_auth_header_is_sensitive() {
    let value = basic_auth("root", "pw");
    assert!(value.is_sensitive());
    assert!(!format!("{value:?}").contains("cm9vdDpwdw"));
}
