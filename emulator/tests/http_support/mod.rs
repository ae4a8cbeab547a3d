//! Test support for the HTTP tests: a raw HTTP/1 client over TCP (so tests see the exact bytes
//! the emulator sends, including `100 Continue`, and control when a body is sent), plus helpers
//! to start an emulator with a table.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use base64::Engine as _;
use streamload_emulator::EmulatorHandle as Handle;
use streamload_emulator::engine::Flavor;
use streamload_emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A parsed HTTP response.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body bytes as received.
    pub raw: Vec<u8>,
    /// Interim (1xx) status lines seen before the final response.
    pub interim: Vec<String>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    /// Top-level keys in the order they appear in the body.
    pub fn keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        for line in self.body.lines() {
            let t = line.trim_start();
            if line.starts_with("    \"")
                && !line.starts_with("        ")
                && let Some(end) = t[1..].find('"')
            {
                keys.push(t[1..1 + end].to_string());
            }
        }
        keys
    }
}

/// `Basic` header value for user/password.
pub fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// `host:port` of a `http://host:port` URL.
pub fn authority(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

fn parse_head(head: &str) -> (u16, Vec<(String, String)>) {
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    (status, headers)
}

async fn read_until(stream: &mut TcpStream, buf: &mut Vec<u8>, pattern: &[u8]) -> Option<usize> {
    loop {
        if let Some(at) = buf.windows(pattern.len()).position(|w| w == pattern) {
            return Some(at);
        }
        let mut chunk = [0u8; 8192];
        let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Reads one response (skipping 1xx) from `stream`.
pub async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> RawResponse {
    let mut interim = Vec::new();
    loop {
        let end = read_until(stream, buf, b"\r\n\r\n")
            .await
            .expect("response head");
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end + 4);
        let (status, headers) = parse_head(&head);
        if (100..200).contains(&status) {
            interim.push(head.lines().next().unwrap_or_default().to_string());
            continue;
        }
        let len = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok());
        let chunked = headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
        let body = if chunked {
            let mut body = Vec::new();
            loop {
                let at = read_until(stream, buf, b"\r\n").await.expect("chunk size");
                let size = usize::from_str_radix(String::from_utf8_lossy(&buf[..at]).trim(), 16)
                    .expect("chunk size hex");
                buf.drain(..at + 2);
                while buf.len() < size + 2 {
                    let mut chunk = [0u8; 8192];
                    let n = stream.read(&mut chunk).await.expect("read");
                    assert!(n > 0, "eof in chunk");
                    buf.extend_from_slice(&chunk[..n]);
                }
                body.extend_from_slice(&buf[..size]);
                buf.drain(..size + 2);
                if size == 0 {
                    break;
                }
            }
            body
        } else {
            let len = len.unwrap_or(0);
            while buf.len() < len {
                let mut chunk = [0u8; 8192];
                let n = stream.read(&mut chunk).await.expect("read");
                assert!(n > 0, "eof in body");
                buf.extend_from_slice(&chunk[..n]);
            }
            buf.drain(..len).collect()
        };
        return RawResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            raw: body,
            interim,
        };
    }
}

/// Sends one request (head built from the parts, body sent right after) on a new connection.
pub async fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> RawResponse {
    request_version(addr, method, path, "HTTP/1.1", headers, body).await
}

/// Like [`request`] with an explicit HTTP version.
pub async fn request_version(
    addr: &str,
    method: &str,
    path: &str,
    version: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> RawResponse {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!("{method} {path} {version}\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body
        && !headers.iter().any(|(k, _)| {
            k.eq_ignore_ascii_case("transfer-encoding") || k.eq_ignore_ascii_case("content-length")
        })
    {
        head.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write head");
    if let Some(b) = body {
        let _ = stream.write_all(b).await;
    }
    let mut buf = Vec::new();
    read_response(&mut stream, &mut buf).await
}

/// Starts an emulator and creates database `db`.
pub async fn start(flavor: Flavor, backends: usize) -> EmulatorHandle {
    let mut config = EmulatorConfig::new(flavor);
    config.backends = backends;
    config.group_commit_interval = Duration::from_millis(1000);
    let emu = Emulator::start(config).await.expect("emulator starts");
    emu.engine().create_database("db").expect("create db");
    emu
}

/// An emulator in `discard` mode (BEs drop load bodies) with database `db` and the duplicate
/// table `db.t (k INT)`.
pub async fn discarding_with_table(flavor: Flavor) -> EmulatorHandle {
    let mut config = EmulatorConfig::new(flavor);
    config.discard = true;
    let emu = Emulator::start(config).await.expect("emulator starts");
    emu.engine().create_database("db").expect("create db");
    ddl(
        &emu,
        "CREATE TABLE db.t (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    );
    emu
}

/// Runs DDL on the emulator's engine.
pub fn ddl(emu: &EmulatorHandle, sql: &str) {
    emu.engine()
        .execute_ddl(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Rows of a query, each rendered as `a|b|c` with NULL as `NULL`.
pub fn rows(emu: &EmulatorHandle, sql: &str) -> Vec<String> {
    let result = emu
        .engine()
        .query(Some("db"), sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    result
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| match v {
                    streamload_emulator::engine::Value::Null => "NULL".to_string(),
                    streamload_emulator::engine::Value::Bool(b) => b.to_string(),
                    streamload_emulator::engine::Value::Int(i) => i.to_string(),
                    streamload_emulator::engine::Value::Float(f) => f.to_string(),
                    streamload_emulator::engine::Value::Text(t) => t.clone(),
                })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

/// A Doris emulator with `db.t (k INT NOT NULL, v VARCHAR(5), n INT)` duplicate table; returns the BE address.
pub async fn doris_with_table() -> (Handle, String) {
    let emu = start(Flavor::Doris, 1).await;
    ddl(
        &emu,
        "CREATE TABLE db.t (k INT NOT NULL, v VARCHAR(5), n INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    );
    let be = authority(&emu.be_urls()[0]);
    (emu, be)
}

/// PUT a load to `/api/db/t/_stream_load` on `be` with auth.
pub async fn load(be: &str, headers: &[(&str, &str)], body: &[u8]) -> RawResponse {
    let auth = basic("root", "");
    let mut all = vec![("Authorization", auth.as_str())];
    all.extend_from_slice(headers);
    request(be, "PUT", "/api/db/t/_stream_load", &all, Some(body)).await
}

/// A StarRocks emulator with primary-key table `db.t (id, name, score)`.
pub async fn starrocks_with_table(backends: usize) -> Handle {
    let emu = start(Flavor::StarRocks, backends).await;
    ddl(
        &emu,
        "CREATE TABLE db.t (id INT NOT NULL, name VARCHAR(10), score INT) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
    );
    emu
}

/// Follows one 307 (re-sending the request with its auth) like curl --location-trusted.
pub async fn via_fe(
    emu: &Handle,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> RawResponse {
    let auth = basic("root", "");
    let mut all = vec![("Authorization", auth.as_str()), ("Expect", "100-continue")];
    all.extend_from_slice(headers);
    let fe = authority(&emu.fe_url());
    let first = request(&fe, method, path, &all, None).await;
    if first.status != 307 {
        return first;
    }
    let location = first.header("location").unwrap().to_string();
    let rest = location.trim_start_matches("http://");
    let (addr, path) = rest.split_at(rest.find('/').unwrap());
    request(addr, method, path, &all, body).await
}
