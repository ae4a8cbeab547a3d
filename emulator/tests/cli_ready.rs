//! The binary's contract: one `ready fe_http=... be_http=...,... mysql=...` line on stdout once
//! every listener is up, consecutive BE ports from `--be-http-port`, exit on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

fn free_port_block(n: u16) -> u16 {
    // Ask the OS for a free port and hope the next n-1 are free too; retry a few bases.
    for _ in 0..20 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = l.local_addr().unwrap().port();
        drop(l);
        if base < 60000
            && (1..n).all(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok())
        {
            return base;
        }
    }
    panic!("no free port block");
}

#[test]
fn prints_one_ready_line_and_stops_on_sigterm() {
    let be_base = free_port_block(3);
    let mut child = Command::new(env!("CARGO_BIN_EXE_streamload-emulator"))
        .args([
            "--flavor",
            "starrocks",
            "--backends",
            "3",
            "--be-http-port",
            &be_base.to_string(),
            "--user",
            "admin",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = lines.next().expect("a line").expect("utf-8");
    let parts: Vec<&str> = line.split(' ').collect();
    assert_eq!(parts.len(), 4, "{line}");
    assert_eq!(parts[0], "ready");
    assert!(parts[1].starts_with("fe_http=http://127.0.0.1:"), "{line}");
    let bes = parts[2].strip_prefix("be_http=").unwrap();
    let expected: Vec<String> = (0..3)
        .map(|i| format!("http://127.0.0.1:{}", be_base + i))
        .collect();
    assert_eq!(bes, expected.join(","));
    assert!(
        parts[3].starts_with("mysql=mysql://admin@127.0.0.1:"),
        "{line}"
    );
    let fe = parts[1].trim_start_matches("fe_http=http://");
    assert!(
        std::net::TcpStream::connect(fe).is_ok(),
        "FE accepts connections once ready"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(code) = child.try_wait().unwrap() {
            assert!(code.success(), "exit status {code}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(lines.next().is_none(), "exactly one line on stdout");
}

#[test]
fn rejects_an_unknown_flavor() {
    let out = Command::new(env!("CARGO_BIN_EXE_streamload-emulator"))
        .args(["--flavor", "mysql"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("flavor"));
}
