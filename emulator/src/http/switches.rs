//! Up / down switches of the listeners: "the FE listener goes down and comes back up",
//! "a BE dies". A listener switched down closes its socket and drops its open connections
//! (clients see refused connections and resets); switched up, it binds the same port again.

use std::sync::Arc;

use tokio::sync::watch;

use super::request_log::Listener;

/// The switches of one emulator; clones share them.
#[derive(Debug, Clone)]
pub struct Switches {
    /// Index 0 is the FE, 1 + n is BE n; `true` = up.
    inner: Arc<Vec<watch::Sender<bool>>>,
}

impl Switches {
    pub(crate) fn new(backends: usize) -> Switches {
        let inner = (0..=backends).map(|_| watch::channel(true).0).collect();
        Switches {
            inner: Arc::new(inner),
        }
    }

    fn get(&self, listener: Listener) -> Option<&watch::Sender<bool>> {
        let index = match listener {
            Listener::Fe => 0,
            Listener::Be(n) => n + 1,
        };
        self.inner.get(index)
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
