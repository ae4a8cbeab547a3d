//! Fault injection: "for the next N requests matching an endpoint, delay / answer with a chosen
//! status / drop the connection". Rules are checked at the one dispatch point every request
//! passes through, before the handler runs, so a faulted request never reaches the engine.

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
    /// Close the connection without any response.
    Reset,
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
