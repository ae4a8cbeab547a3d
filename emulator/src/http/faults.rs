//! Fault injection: "for the next N requests matching an endpoint, delay / answer with a chosen
//! status / drop the connection before the body is read, after part of it, or after the
//! handler ran (the response is lost), or hold it unanswered". Rules are checked at the one
//! dispatch point every request passes through, which also writes the fault's name into the
//! request log.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::request_log::Listener;

/// What happens to a matching request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    /// Wait this long, then handle the request normally.
    Delay(Duration),
    /// Answer with this status and body without running the handler (or reading the body).
    Respond {
        /// HTTP status code.
        status: u16,
        /// Response body.
        body: String,
    },
    /// Close the connection without any response, before the body is read.
    Reset,
    /// Read this many body bytes (or the whole body, if shorter), then close the connection
    /// without a response: a BE dying mid-stream, or the node a 307 pointed to resetting while
    /// the client still sends.
    ResetMidBody {
        /// Body bytes read before the connection drops.
        after_bytes: u64,
    },
    /// Handle the request normally (the data is committed), then close the connection
    /// without sending the response: the response is lost.
    LoseResponse,
    /// Hold the request and never answer, without reading its body: a node that accepts
    /// connections but is otherwise unreachable (a BE whose disks or network hang while the
    /// FE stays healthy and keeps redirecting loads to it). The request ends only when the
    /// client gives up, the listener is switched down, or the emulator stops.
    Hang,
}

impl FaultAction {
    /// An HTTP 200 answer whose JSON carries this `Status` and `Message`, the way the servers
    /// report a load's outcome (for example `FAILED` / `No backend alive`).
    pub fn load_status(status: &str, message: &str) -> FaultAction {
        let body = serde_json::json!({
            "Status": status,
            "Message": message,
            "NumberTotalRows": 0,
            "NumberLoadedRows": 0,
        });
        FaultAction::Respond {
            status: 200,
            body: body.to_string(),
        }
    }

    /// A short name for the request log (`reset`, `delay`, `respond 500`, ...).
    pub fn name(&self) -> String {
        match self {
            FaultAction::Delay(d) => format!("delay {}ms", d.as_millis()),
            FaultAction::Respond { status, .. } => format!("respond {status}"),
            FaultAction::Reset => "reset".to_string(),
            FaultAction::ResetMidBody { after_bytes } => format!("reset after {after_bytes} bytes"),
            FaultAction::LoseResponse => "lose response".to_string(),
            FaultAction::Hang => "hang".to_string(),
        }
    }
}

/// Which requests a rule applies to, and how many times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// Only requests to this listener (`None` = any).
    pub listener: Option<Listener>,
    /// Only this method, e.g. `PUT` (`None` = any).
    pub method: Option<String>,
    /// The request path must contain this text (`""` = any path).
    pub path_contains: String,
    /// How many matching requests get the fault.
    pub times: usize,
    /// The fault.
    pub action: FaultAction,
}

impl FaultRule {
    /// A rule for the next `times` requests whose path contains `path_contains`.
    pub fn new(path_contains: &str, times: usize, action: FaultAction) -> FaultRule {
        FaultRule {
            listener: None,
            method: None,
            path_contains: path_contains.to_string(),
            times,
            action,
        }
    }

    /// Restricts the rule to one listener.
    pub fn on(mut self, listener: Listener) -> FaultRule {
        self.listener = Some(listener);
        self
    }

    /// Restricts the rule to one method.
    pub fn method(mut self, method: &str) -> FaultRule {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    fn matches(&self, listener: Listener, method: &str, path: &str) -> bool {
        self.times > 0
            && self.listener.is_none_or(|l| l == listener)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && path.contains(&self.path_contains)
    }
}

/// The shared rule set; clones see the same rules.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Arc<Mutex<Vec<FaultRule>>>,
}

impl Faults {
    /// Adds a rule; rules are tried in the order they were added.
    pub fn add(&self, rule: FaultRule) {
        self.rules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(rule);
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The action for a request, consuming one use of the first matching rule.
    pub(crate) fn take(&self, listener: Listener, method: &str, path: &str) -> Option<FaultAction> {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let rule = rules
            .iter_mut()
            .find(|r| r.matches(listener, method, path))?;
        rule.times -= 1;
        let action = rule.action.clone();
        rules.retain(|r| r.times > 0);
        Some(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_and_run_out() {
        let faults = Faults::default();
        faults.add(
            FaultRule::new("_stream_load", 2, FaultAction::Reset)
                .on(Listener::Be(0))
                .method("put"),
        );
        assert_eq!(
            faults.take(Listener::Fe, "PUT", "/api/d/t/_stream_load"),
            None
        );
        assert_eq!(
            faults.take(Listener::Be(0), "GET", "/api/d/t/_stream_load"),
            None
        );
        assert_eq!(
            faults.take(Listener::Be(0), "PUT", "/api/d/t/_stream_load"),
            Some(FaultAction::Reset)
        );
        assert_eq!(
            faults.take(Listener::Be(0), "PUT", "/api/d/t/_stream_load"),
            Some(FaultAction::Reset)
        );
        assert_eq!(
            faults.take(Listener::Be(0), "PUT", "/api/d/t/_stream_load"),
            None
        );
    }
}
