//! The loader's errors: each one names the input (file and line, or file and chunk) so a user
//! can go straight to the bad bytes.

use std::fmt;

/// Why a load run stopped.
#[derive(Debug)]
pub enum LoadError {
    /// Bad arguments; nothing was read.
    Config(String),
    /// An input could not be read.
    Io {
        /// The file (or `<stdin>`).
        input: String,
        /// The cause.
        error: std::io::Error,
    },
    /// A line is not valid input (bad UTF-8, wrong field count, not a JSON object).
    Input {
        /// The file (or `<stdin>`).
        input: String,
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The server refused a chunk (or the connection failed for good).
    Load {
        /// The file (or `<stdin>`).
        input: String,
        /// 0-based chunk index within the input.
        chunk: u64,
        /// First and last line of the chunk, 1-based.
        lines: (u64, u64),
        /// The library's error (kind, message, rejected rows); boxed, so the other variants
        /// stay small.
        error: Box<streamload_core::Error>,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Config(message) => write!(f, "{message}"),
            LoadError::Io { input, error } => write!(f, "{input}: {error}"),
            LoadError::Input {
                input,
                line,
                reason,
            } => write!(f, "{input}:{line}: {reason}"),
            LoadError::Load {
                input,
                chunk,
                lines,
                error,
            } => write!(
                f,
                "{input}: chunk {chunk} (lines {}-{}) was not loaded: {error}",
                lines.0, lines.1
            ),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Io { error, .. } => Some(error),
            LoadError::Load { error, .. } => Some(error.as_ref()),
            _ => None,
        }
    }
}
