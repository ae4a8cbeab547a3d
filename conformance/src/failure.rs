//! Why a case failed: one message type every case returns, with the macros that build it.
//!
//! Cases mix three sources of errors — the client crates (`streamload_core::Error`), the MySQL
//! port used to create tables and read rows back, and the case's own assertions — and a failing
//! case must say which behaviour broke on which target. `Failure` is a message that all three
//! convert into; the stamping macro adds the case and target names.

use std::fmt;

/// The result of a case or of a suite helper.
pub type Result<T = (), E = Failure> = std::result::Result<T, E>;

/// A failed expectation or an error that stopped a case.
pub struct Failure {
    message: String,
}

impl Failure {
    /// A failure with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Prefixes the message with where it happened (`step`, case, target).
    pub fn context(self, step: impl fmt::Display) -> Self {
        Self {
            message: format!("{step}: {}", self.message),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

// `Debug` prints the message as is, so `cargo test` shows a readable reason.
impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl From<streamload_core::Error> for Failure {
    fn from(e: streamload_core::Error) -> Self {
        Failure::new(format!("client error: {e}"))
    }
}

impl From<mysql_async::Error> for Failure {
    fn from(e: mysql_async::Error) -> Self {
        Failure::new(format!("MySQL port: {e}"))
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::new(format!("I/O: {e}"))
    }
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Self {
        Failure::new(format!("JSON: {e}"))
    }
}

/// Adds a step name to any error convertible into a [`Failure`].
pub trait ResultExt<T> {
    /// Prefixes the error with `step`.
    fn step(self, step: &str) -> Result<T>;
}

impl<T, E: Into<Failure>> ResultExt<T> for std::result::Result<T, E> {
    fn step(self, step: &str) -> Result<T> {
        self.map_err(|e| e.into().context(step))
    }
}

/// Fails the case with a formatted message unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err($crate::Failure::new(format!($($msg)+)));
        }
    };
}

/// Fails the case unless `left == right`, printing both.
#[macro_export]
macro_rules! ensure_eq {
    ($left:expr, $right:expr, $($msg:tt)+) => {{
        let (left, right) = (&$left, &$right);
        if left != right {
            return Err($crate::Failure::new(format!(
                "{}\n  left: {:?}\n right: {:?}",
                format!($($msg)+),
                left,
                right
            )));
        }
    }};
}

/// Ends a case early, printing that it does not apply to this target and why.
#[macro_export]
macro_rules! skip {
    ($target:expr, $($why:tt)+) => {{
        eprintln!("skipped on {}: {}", $target.name(), format!($($why)+));
        return Ok(());
    }};
}

/// Ends a case early because another crate has a known bug, named by `$bug` (an identifier to
/// search for): prints the name and the observed behaviour so the skip is never silent.
/// Remove the call once the bug is fixed.
#[macro_export]
macro_rules! known_bug {
    ($target:expr, $bug:ident, $($what:tt)+) => {{
        eprintln!(
            "KNOWN BUG {} on {} (case not checked): {}",
            stringify!($bug),
            $target.name(),
            format!($($what)+)
        );
        return Ok(());
    }};
}
