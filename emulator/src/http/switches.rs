//! Up / down switches of the listeners: "the FE listener goes down and comes back up",
//! "a BE dies". A listener switched down closes its socket and drops its open connections
//! (clients see refused connections and resets); switched up, it binds the same port again.
//! The FEs' switches also decide which FE leads a cluster: the first one that is up.

use std::sync::Arc;

use tokio::sync::watch;

use super::request_log::Listener;

/// The switches of one emulator; clones share them.
#[derive(Debug, Clone)]
pub struct Switches {
    /// Index 0 is FE 0, 1 + n is BE n, 1 + backends + (n - 1) is FE n ≥ 1; `true` = up.
    inner: Arc<Vec<watch::Sender<bool>>>,
    backends: usize,
    frontends: usize,
}

impl Switches {
    pub(crate) fn new(frontends: usize, backends: usize) -> Switches {
        let frontends = frontends.max(1);
        let inner = (0..frontends + backends)
            .map(|_| watch::channel(true).0)
            .collect();
        Switches {
            inner: Arc::new(inner),
            backends,
            frontends,
        }
    }

    fn get(&self, listener: Listener) -> Option<&watch::Sender<bool>> {
        let index = match listener {
            Listener::Fe => 0,
            Listener::Be(n) if n < self.backends => n + 1,
            Listener::Frontend(n) if n >= 1 && n < self.frontends => self.backends + n,
            _ => return None,
        };
        self.inner.get(index)
    }

    /// The leading FE: the first that is up (FE 0 when none is), as if the remaining FEs
    /// elected a new leader the instant the old one went away.
    pub fn leader(&self) -> usize {
        (0..self.frontends)
            .find(|&n| self.is_up(Listener::fe(n)))
            .unwrap_or(0)
    }

    /// Whether any FE is up.
    pub fn any_fe_up(&self) -> bool {
        (0..self.frontends).any(|n| self.is_up(Listener::fe(n)))
    }

    /// Switches `listener` up or down; `false` when there is no such listener.
    pub fn set_up(&self, listener: Listener, up: bool) -> bool {
        match self.get(listener) {
            Some(switch) => {
                switch.send_replace(up);
                true
            }
            None => false,
        }
    }

    /// Whether `listener` is up.
    pub fn is_up(&self, listener: Listener) -> bool {
        self.get(listener).is_some_and(|s| *s.borrow())
    }

    pub(crate) fn subscribe(&self, listener: Listener) -> watch::Receiver<bool> {
        match self.get(listener) {
            Some(switch) => switch.subscribe(),
            None => watch::channel(true).1,
        }
    }
}

/// Resolves once the switch reads `want` (or its sender is gone).
pub(crate) async fn wait_for(rx: &mut watch::Receiver<bool>, want: bool) {
    let _ = rx.wait_for(|up| *up == want).await;
}
