//! The admin endpoints, so a separate process (a test in another language, a shell script) can
//! script the emulator the way the library API does. Served on every listener under
//! `/_emulator/`, without authentication (the emulator is a local test tool):
//!
//! * `POST /_emulator/faults` with a JSON rule — `{"path_contains": "_stream_load",
//!   "times": 2, "listener": "be0", "method": "PUT", "action": "reset"}`; actions: `reset`,
//!   `lose_response`, `reset_mid_body` (`after_bytes`), `delay` (`delay_ms`), `respond`
//!   (`status`, `body`), `load_status` (`status_text`, `message`), `hang` (never answer:
//!   with a large `times` on a BE, "BEs unreachable while the FE stays healthy");
//! * `DELETE /_emulator/faults` removes every rule;
//! * `POST /_emulator/listeners/{fe|feN|beN}/{down|up}` switches a listener (an FE switched
//!   down hands the lead to the next FE that is up);
//! * `GET /_emulator/leader` names the leading FE (`fe0`, `fe1`, ...);
//! * `POST /_emulator/clock?advance_ms=N` advances the transaction clock (expiry);
//! * `POST /_emulator/config?key=K&value=V` sets an FE config item
//!   (`max_running_txn_num_per_db`, label keep time, transaction timeouts).

use std::time::Duration;

use http::{Response, StatusCode};
use serde::Deserialize;

use super::faults::{FaultAction, FaultRule};
use super::reply::{Body, respond};
use super::request_log::Listener;
use super::server::Req;
use super::state::HttpState;

/// Where the admin endpoints live.
pub(crate) const PREFIX: &str = "/_emulator/";

/// A fault rule as JSON.
#[derive(Debug, Deserialize)]
struct RuleSpec {
    #[serde(default)]
    path_contains: String,
    #[serde(default = "one")]
    times: usize,
    listener: Option<String>,
    method: Option<String>,
    action: String,
    delay_ms: Option<u64>,
    status: Option<u16>,
    body: Option<String>,
    after_bytes: Option<u64>,
    status_text: Option<String>,
    message: Option<String>,
}

fn one() -> usize {
    1
}

/// `fe` (= `fe0`), `fe1`, ..., `be0`, `be1`, ...
fn parse_listener(text: &str) -> Option<Listener> {
    let text = text.to_ascii_lowercase();
    if text == "fe" {
        return Some(Listener::Fe);
    }
    if let Some(n) = text.strip_prefix("fe") {
        return Some(Listener::fe(n.parse().ok()?));
    }
    let n = text.strip_prefix("be")?.parse().ok()?;
    Some(Listener::Be(n))
}

fn rule(spec: RuleSpec) -> Result<FaultRule, String> {
    let action = match spec.action.as_str() {
        "reset" => FaultAction::Reset,
        "lose_response" => FaultAction::LoseResponse,
        "hang" => FaultAction::Hang,
        "reset_mid_body" => FaultAction::ResetMidBody {
            after_bytes: spec.after_bytes.unwrap_or(0),
        },
        "delay" => FaultAction::Delay(Duration::from_millis(spec.delay_ms.unwrap_or(1000))),
        "respond" => FaultAction::Respond {
            status: spec.status.unwrap_or(500),
            body: spec.body.unwrap_or_default(),
        },
        "load_status" => FaultAction::load_status(
            spec.status_text.as_deref().unwrap_or("Fail"),
            spec.message.as_deref().unwrap_or(""),
        ),
        other => return Err(format!("unknown action {other:?}")),
    };
    let mut rule = FaultRule::new(&spec.path_contains, spec.times, action);
    if let Some(text) = spec.listener {
        rule = rule.on(parse_listener(&text).ok_or(format!("unknown listener {text:?}"))?);
    }
    if let Some(method) = spec.method {
        rule = rule.method(&method);
    }
    Ok(rule)
}

fn answer(status: StatusCode, text: impl Into<String>) -> Response<Body> {
    respond(status, Some("text/plain"), text.into())
}

/// Answers one admin request.
pub(crate) async fn handle(state: &HttpState, req: &mut Req) -> Response<Body> {
    let segments = req.segments();
    let method = req.parts.method.as_str().to_ascii_uppercase();
    let parts: Vec<&str> = segments.iter().skip(1).map(String::as_str).collect();
    match (method.as_str(), parts.as_slice()) {
        ("POST", ["faults"]) => {
            let body = match req.read_body(true).await {
                Ok(body) => body,
                Err(e) => return answer(StatusCode::BAD_REQUEST, e),
            };
            let spec: RuleSpec = match serde_json::from_slice(&body) {
                Ok(spec) => spec,
                Err(e) => return answer(StatusCode::BAD_REQUEST, format!("bad rule: {e}")),
            };
            match rule(spec) {
                Ok(rule) => {
                    state.faults.add(rule);
                    answer(StatusCode::OK, "OK")
                }
                Err(e) => answer(StatusCode::BAD_REQUEST, e),
            }
        }
        ("DELETE", ["faults"]) => {
            state.faults.clear();
            answer(StatusCode::OK, "OK")
        }
        ("POST", ["listeners", name, switch @ ("up" | "down")]) => {
            let Some(listener) = parse_listener(name) else {
                return answer(StatusCode::NOT_FOUND, format!("unknown listener {name:?}"));
            };
            if state.switches.set_up(listener, *switch == "up") {
                answer(StatusCode::OK, "OK")
            } else {
                answer(StatusCode::NOT_FOUND, format!("no listener {name:?}"))
            }
        }
        ("GET", ["leader"]) => answer(StatusCode::OK, format!("fe{}", state.switches.leader())),
        ("POST", ["clock"]) => {
            let Some(ms) = req.query("advance_ms").and_then(|v| v.parse().ok()) else {
                return answer(StatusCode::BAD_REQUEST, "advance_ms=N is required");
            };
            state.engine.advance_clock(Duration::from_millis(ms));
            answer(StatusCode::OK, "OK")
        }
        ("POST", ["config"]) => {
            let (Some(key), Some(value)) = (req.query("key"), req.query("value")) else {
                return answer(StatusCode::BAD_REQUEST, "key=K&value=V are required");
            };
            match state.engine.set_fe_config(&key, &value) {
                Ok(()) => answer(StatusCode::OK, "OK"),
                Err(e) => answer(StatusCode::BAD_REQUEST, e.to_string()),
            }
        }
        _ => answer(StatusCode::NOT_FOUND, "unknown admin endpoint"),
    }
}
