//! Several FEs: StarRocks followers redirect loads and transaction operations to the leader,
//! Doris FEs redirect straight to a BE, the lead passes to the next FE that is up when the
//! leader's listener goes down (and back when it returns), FE listeners scripted through the
//! admin endpoints, the binary's `--frontends`; and the `hang` fault that leaves a BE
//! unreachable while the FE stays healthy.

mod http_support;

use std::time::Duration;

use http_support::{authority, basic, ddl, request, rows};
use streamload_emulator::engine::Flavor;
use streamload_emulator::{Emulator, EmulatorConfig, EmulatorHandle, FaultAction, FaultRule};
use streamload_emulator::{Listener, RequestRecord};

async fn cluster(flavor: Flavor, frontends: usize) -> EmulatorHandle {
    let mut config = EmulatorConfig::new(flavor);
    config.frontends = frontends;
    let emu = Emulator::start(config).await.unwrap();
    emu.engine().create_database("db").unwrap();
    ddl(
        &emu,
        "CREATE TABLE db.t (k INT NOT NULL, v VARCHAR(8)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    );
    emu
}

fn load_headers<'a>(auth: &'a str, label: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("Authorization", auth),
        ("Expect", "100-continue"),
        ("label", label),
        ("column_separator", ","),
    ]
}

/// The `host:port` and path a 307 points to.
fn target(location: &str) -> (String, String) {
    let rest = location.trim_start_matches("http://");
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let (addr, path) = rest.split_at(rest.find('/').unwrap());
    (addr.to_string(), path.to_string())
}

#[tokio::test]
async fn a_starrocks_follower_redirects_to_the_leader() {
    let emu = cluster(Flavor::StarRocks, 3).await;
    let fes: Vec<String> = emu.fe_urls().iter().map(|u| authority(u)).collect();
    assert_eq!(fes.len(), 3);
    let auth = basic("root", "");
    let headers = load_headers(&auth, "f1");
    let path = "/api/db/t/_stream_load?x=1";
    let first = request(&fes[2], "PUT", path, &headers, None).await;
    assert_eq!(first.status, 307);
    assert_eq!(
        target(first.header("location").unwrap()),
        (fes[0].clone(), path.to_string())
    );
    let second = request(&fes[0], "PUT", path, &headers, None).await;
    assert_eq!(second.status, 307);
    let (be, be_path) = target(second.header("location").unwrap());
    assert_eq!(be, authority(&emu.be_urls()[0]));
    let done = request(&be, "PUT", &be_path, &headers, Some(b"1,a\n")).await;
    assert_eq!(done.json()["Status"], "Success", "{}", done.body);
    assert_eq!(rows(&emu, "SELECT k, v FROM t"), ["1|a"]);

    // Transaction operations too; label state is answered by any FE.
    let begin = request(&fes[1], "POST", "/api/transaction/begin", &headers, None).await;
    assert_eq!(target(begin.header("location").unwrap()).0, fes[0]);
    let state = request(
        &fes[1],
        "GET",
        "/api/db/get_load_state?label=f1",
        &headers,
        None,
    )
    .await;
    assert_eq!(state.status, 200);
    assert_eq!(state.json()["state"], "VISIBLE", "{}", state.body);
    assert!(
        emu.request_log()
            .entries()
            .iter()
            .filter(|r| r.listener != Listener::Be(0))
            .all(|r| r.body_bytes == 0),
        "no FE read a body"
    );
}

#[tokio::test]
async fn the_lead_passes_to_the_next_fe_that_is_up() {
    let emu = cluster(Flavor::StarRocks, 3).await;
    let fes: Vec<String> = emu.fe_urls().iter().map(|u| authority(u)).collect();
    let auth = basic("root", "");
    let headers = load_headers(&auth, "f2");
    let path = "/api/db/t/_stream_load";
    assert_eq!(emu.leader(), 0);
    assert!(emu.set_listener_up(Listener::Fe, false));
    assert_eq!(emu.leader(), 1);
    let r = request(&fes[2], "PUT", path, &headers, None).await;
    assert_eq!(target(r.header("location").unwrap()).0, fes[1]);
    let r = request(&fes[1], "PUT", path, &headers, None).await;
    assert_eq!(
        target(r.header("location").unwrap()).0,
        authority(&emu.be_urls()[0]),
        "the new leader sends the load to a BE"
    );
    assert!(tokio::net::TcpStream::connect(&fes[0]).await.is_err());
    assert!(emu.set_listener_up(Listener::Fe, true));
    assert_eq!(emu.leader(), 0);
    assert!(
        !emu.set_listener_up(Listener::Frontend(3), false),
        "no FE 3"
    );
}

#[tokio::test]
async fn doris_fes_all_redirect_straight_to_a_be() {
    let emu = cluster(Flavor::Doris, 2).await;
    let fes: Vec<String> = emu.fe_urls().iter().map(|u| authority(u)).collect();
    let auth = basic("root", "");
    let headers = load_headers(&auth, "d1");
    for fe in &fes {
        let r = request(fe, "PUT", "/api/db/t/_stream_load", &headers, None).await;
        assert_eq!(r.status, 307);
        assert_eq!(
            target(r.header("location").unwrap()).0,
            authority(&emu.be_urls()[0])
        );
    }
    let follower_hits: Vec<RequestRecord> = emu
        .request_log()
        .entries()
        .into_iter()
        .filter(|r| r.listener == Listener::Frontend(1))
        .collect();
    assert_eq!(follower_hits.len(), 1);
}

#[tokio::test]
async fn fe_listeners_are_scripted_through_the_admin_endpoints() {
    let emu = cluster(Flavor::StarRocks, 2).await;
    let fes: Vec<String> = emu.fe_urls().iter().map(|u| authority(u)).collect();
    let leader = request(&fes[1], "GET", "/_emulator/leader", &[], None).await;
    assert_eq!(leader.body, "fe0");
    let down = request(&fes[1], "POST", "/_emulator/listeners/fe0/down", &[], None).await;
    assert_eq!(down.status, 200);
    let leader = request(&fes[1], "GET", "/_emulator/leader", &[], None).await;
    assert_eq!(leader.body, "fe1");
    let up = request(&fes[1], "POST", "/_emulator/listeners/fe/up", &[], None).await;
    assert_eq!(up.status, 200);
    assert_eq!(emu.leader(), 0);
    let none = request(&fes[1], "POST", "/_emulator/listeners/fe2/down", &[], None).await;
    assert_eq!(none.status, 404);
}

#[tokio::test]
async fn a_hung_be_holds_the_load_while_the_fe_stays_healthy() {
    let emu = cluster(Flavor::Doris, 1).await;
    let fe = authority(&emu.fe_url());
    let be = authority(&emu.be_urls()[0]);
    emu.faults()
        .add(FaultRule::new("", usize::MAX, FaultAction::Hang).on(Listener::Be(0)));
    let auth = basic("root", "");
    let headers = load_headers(&auth, "h1");
    let r = request(&fe, "PUT", "/api/db/t/_stream_load", &headers, None).await;
    assert_eq!(r.status, 307, "the FE still redirects");
    let load = request(
        &be,
        "PUT",
        "/api/db/t/_stream_load",
        &headers,
        Some(b"1,a\n"),
    );
    let outcome = tokio::time::timeout(Duration::from_millis(500), load).await;
    assert!(
        outcome.is_err(),
        "the BE answered: {:?}",
        outcome.map(|r| r.body)
    );
    let health = request(&fe, "GET", "/api/health", &[], None).await;
    assert_eq!(health.status, 200);
    let hung = emu
        .request_log()
        .entries()
        .into_iter()
        .find(|r| r.listener == Listener::Be(0))
        .unwrap();
    assert_eq!((hung.fault.as_deref(), hung.status), (Some("hang"), 0));
    assert_eq!(hung.body_bytes, 0, "a hung BE reads no body");
    assert!(rows(&emu, "SELECT k FROM t").is_empty());
    // Shutting down ends the held request.
    tokio::time::timeout(Duration::from_secs(5), emu.shutdown())
        .await
        .expect("shutdown ends hung requests");
}

#[test]
fn the_binary_starts_several_frontends() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_streamload-emulator"))
        .args([
            "--flavor",
            "starrocks",
            "--frontends",
            "3",
            "--version",
            "2.5",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = BufReader::new(stdout).lines().next().unwrap().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let fes = line
        .split(' ')
        .find_map(|p| p.strip_prefix("fe_http="))
        .unwrap();
    assert_eq!(fes.split(',').count(), 3, "{line}");
    assert!(fes.split(',').all(|u| u.starts_with("http://127.0.0.1:")));
}

/// Doris' FE (`LoadAction`) refuses a load without `Expect`, follower or master; a BE hit
/// directly does not look at the header (its stream load handler reads the body as it comes).
#[tokio::test]
async fn doris_fes_refuse_a_load_without_expect_and_a_be_does_not() {
    let emu = cluster(Flavor::Doris, 2).await;
    let auth = basic("root", "");
    let headers = [
        ("Authorization", auth.as_str()),
        ("label", "noexpect"),
        ("column_separator", ","),
    ];
    for fe in emu.fe_urls() {
        let r = request(
            &authority(&fe),
            "PUT",
            "/api/db/t/_stream_load",
            &headers,
            None,
        )
        .await;
        assert_eq!(
            r.body,
            r#"{"status":"FAILED","msg":"There is no 100-continue header"}"#
        );
    }
    let be = authority(&emu.be_urls()[0]);
    let r = request(
        &be,
        "PUT",
        "/api/db/t/_stream_load",
        &headers,
        Some(b"1,a\n"),
    )
    .await;
    assert_eq!(r.json()["Status"], "Success", "{}", r.body);
    assert!(r.interim.is_empty(), "no 100 Continue was asked for");
    assert_eq!(rows(&emu, "SELECT k, v FROM t"), ["1|a"]);
}
