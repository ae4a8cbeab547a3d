//! The `curl` command lines of the vendor scripts, read into requests and sent the way curl
//! sends them.
//!
//! Only what the suites use: `-u`, `-H`, `-X`, `-d`, `-T`, `--data-binary @file`, the URL,
//! `--location-trusted` (a 307 is followed with the same credentials and body), and a trailing
//! `| jq -r '.Key'`. The raw HTTP client of the other tests sends them, so an `Expect:
//! 100-continue` is answered by the emulator exactly as it would answer curl.

use std::path::Path;

use crate::http_support::{authority, basic, request};

/// A parsed command.
#[derive(Debug, Default)]
pub struct Curl {
    pub method: Option<String>,
    pub user: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub url: String,
    /// `jq -r '.Key'`: print only that key.
    pub jq: Option<String>,
    /// Add `Expect: 100-continue` unless the command sets it.
    pub expect_continue: bool,
}

/// Splits a shell line into words (single and double quotes, backslash escapes in double
/// quotes); a bare `|` is its own word.
pub fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut has = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                has = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                has = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\' | '$')) => {
                            cur.push(chars.next().unwrap_or('\\'))
                        }
                        _ => cur.push(c),
                    }
                }
            }
            '|' if !has => out.push("|".to_string()),
            c if c.is_whitespace() => {
                if has {
                    out.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            _ => {
                has = true;
                cur.push(c);
            }
        }
    }
    if has {
        out.push(cur);
    }
    out
}

/// Reads a `curl …` command; files named by `-T` are looked up by base name in `data_dir`.
pub fn parse(line: &str, data_dir: &Path) -> Result<Curl, String> {
    let words = words(line);
    let mut it = words.into_iter();
    if it.next().as_deref() != Some("curl") {
        return Err(format!("not a curl command: {line}"));
    }
    let mut curl = Curl::default();
    while let Some(w) = it.next() {
        let mut value = |flag: &str| it.next().ok_or(format!("{flag} needs a value"));
        match w.as_str() {
            "-s" | "--location-trusted" | "-v" => {}
            "-u" => curl.user = Some(value("-u")?),
            "-H" => {
                let h = value("-H")?;
                let (k, v) = h.split_once(':').ok_or(format!("bad header {h}"))?;
                curl.headers
                    .push((k.trim().to_string(), v.trim().to_string()));
            }
            "-X" => curl.method = Some(value("-X")?),
            "-d" | "--data" => curl.body = Some(value("-d")?.into_bytes()),
            "--data-binary" => {
                let v = value("--data-binary")?;
                curl.body = Some(match v.strip_prefix('@') {
                    Some(file) => read_data(file, data_dir)?,
                    None => v.into_bytes(),
                });
            }
            "-T" => {
                let file = value("-T")?;
                let data = read_data(&file, data_dir)?;
                // curl asks for 100-continue on every non-empty HTTP/1.1 upload (`-T`).
                if !data.is_empty() {
                    curl.expect_continue = true;
                }
                curl.body = Some(data);
                curl.method.get_or_insert_with(|| "PUT".into());
            }
            "|" => {
                let rest: Vec<String> = it.by_ref().collect();
                let key = rest
                    .iter()
                    .find(|w| w.starts_with('.'))
                    .ok_or(format!("unsupported pipe {rest:?}"))?;
                curl.jq = Some(key.trim_start_matches('.').to_string());
            }
            w if w.starts_with("-X") => curl.method = Some(w[2..].to_string()),
            w if w.starts_with("http://") => curl.url = w.to_string(),
            w => return Err(format!("unsupported curl word {w}")),
        }
    }
    if curl.url.is_empty() {
        return Err(format!("no URL in {line}"));
    }
    Ok(curl)
}

fn read_data(file: &str, data_dir: &Path) -> Result<Vec<u8>, String> {
    let base = file.rsplit('/').next().unwrap_or(file);
    std::fs::read(data_dir.join(base)).map_err(|e| format!("data file {base}: {e}"))
}

/// What curl printed: the final response body (curl's exit code is 0 whenever an HTTP answer
/// arrived, which the raw client guarantees or panics).
pub async fn run(curl: &Curl) -> String {
    let method = curl.method.clone().unwrap_or_else(|| {
        if curl.body.is_some() {
            "POST".into()
        } else {
            "GET".into()
        }
    });
    let auth = curl.user.as_deref().map(|u| {
        let (user, pass) = u.split_once(':').unwrap_or((u, ""));
        basic(user, pass)
    });
    let mut headers: Vec<(&str, &str)> = Vec::new();
    if let Some(a) = auth.as_deref() {
        headers.push(("Authorization", a));
    }
    for (k, v) in &curl.headers {
        headers.push((k, v));
    }
    if curl.expect_continue
        && !curl
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("expect"))
    {
        headers.push(("Expect", "100-continue"));
    }
    let mut url = curl.url.clone();
    for _ in 0..3 {
        let rest = url.trim_start_matches("http://");
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let host = host.rsplit('@').next().unwrap_or(host);
        let path = if path.is_empty() { "/" } else { path };
        let resp = request(
            &authority(host),
            &method,
            path,
            &headers,
            curl.body.as_deref(),
        )
        .await;
        if resp.status == 307
            && let Some(loc) = resp.header("location")
        {
            url = loc.to_string();
            continue;
        }
        return match &curl.jq {
            Some(key) => match resp.json().get(key) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => "null".into(),
            },
            None => resp.body,
        };
    }
    "too many redirects".into()
}
