//! Unit tests of `client.rs`.

use bytes::Bytes;
use reqwest::StatusCode;

use super::*;

fn answer(status: u16, body: &str) -> Answer {
    Answer {
        status: StatusCode::from_u16(status).unwrap(),
        body: Bytes::from(body.to_owned()),
        url: Url::parse("http://fe1:8030/api/show_proc?path=/backends").unwrap(),
    }
}

#[test]
fn nodes_are_parsed_and_credentials_in_urls_refused() {
    assert_eq!(parse_node("fe:8030").unwrap().as_str(), "http://fe:8030/");
    assert_eq!(
        parse_node("https://fe/x?y").unwrap().as_str(),
        "https://fe/"
    );
    let err = parse_node("http://u:p@fe:1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert_eq!(err.context("key"), Some("load-url"));
    assert!(parse_node("ftp://fe").is_err());
}

#[test]
fn the_backend_list_is_read_from_show_proc() {
    let body = r#"[{"BackendId":"10001","IP":"10.0.0.2","HttpPort":"8040","Alive":"true"},
                   {"BackendId":"10002","IP":"10.0.0.3","HttpPort":"8040","Alive":"false"}]"#;
    let bes = ShowProcBackends.parse(&answer(200, body)).unwrap();
    assert_eq!(bes.len(), 1);
    assert_eq!(bes[0].as_str(), "http://10.0.0.2:8040/");
    let err = ShowProcBackends.parse(&answer(401, "")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.to_string().contains("allowed-hosts"), "{err}");
    assert!(ShowProcBackends.parse(&answer(200, "{}")).is_err());
    let fes = r#"[{"Name":"fe1","IP":"10.0.0.9","EditLogPort":"9010","HttpPort":"8030","Role":"LEADER","Alive":"true"}]"#;
    let fes = ShowProcBackends.parse_frontends(&answer(200, fes)).unwrap();
    assert_eq!(fes[0].as_str(), "http://10.0.0.9:8030/");
}

#[test]
fn the_password_never_shows() {
    let config = StarRocksConfig {
        load_urls: vec!["fe1:8030".into()],
        username: "root".into(),
        password: "pw-secret".into(),
        ..StarRocksConfig::default()
    };
    let client = HttpClient::new(&config).unwrap();
    assert!(!format!("{client:?}").contains("pw-secret"));
}
