//! Which inputs a run reads, in a stable order, and the identity each one's labels derive from.
//!
//! A file's identity is a hash of its canonical path, size and modification time: the same
//! unchanged file gets the same labels on every run (so a re-run skips what already landed),
//! and an edited file gets new ones. Standard input has no such identity; its chunks are named
//! by their content instead, so only an identical replay is recognised.

use std::path::{Path, PathBuf};

use twox_hash::XxHash3_64;

use crate::loader::error::LoadError;

/// One input of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A regular file.
    File {
        /// Its path as given (or found under a given directory).
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
        /// Hash of canonical path, size and modification time.
        identity: u64,
    },
    /// Standard input (`-`).
    Stdin,
}

impl Input {
    /// The name used in messages.
    pub fn name(&self) -> String {
        match self {
            Input::File { path, .. } => path.display().to_string(),
            Input::Stdin => "<stdin>".to_owned(),
        }
    }

    /// The size when known.
    pub fn size(&self) -> Option<u64> {
        match self {
            Input::File { size, .. } => Some(*size),
            Input::Stdin => None,
        }
    }

    /// The writer id of a chunk's labels: the file identity, or for stdin a hash of the chunk.
    pub fn writer_id(&self, chunk: &[u8]) -> String {
        match self {
            Input::File { identity, .. } => format!("f{identity:016x}"),
            Input::Stdin => format!("s{:016x}", XxHash3_64::oneshot(chunk)),
        }
    }
}

/// Expands `paths`: `-` is stdin, a directory is every regular file under it (recursively,
/// hidden names skipped, sorted by path), a file is itself. Empty files are kept (they load
/// nothing).
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Input>, LoadError> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let meta = std::fs::metadata(path).map_err(|error| io(path, error))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files)?;
            files.sort();
            for file in files {
                inputs.push(file_input(&file)?);
            }
        } else {
            inputs.push(file_input(path)?);
        }
    }
    if inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
        return Err(LoadError::Config("stdin (-) given more than once".into()));
    }
    Ok(inputs)
}

fn io(path: &Path, error: std::io::Error) -> LoadError {
    LoadError::Io {
        input: path.display().to_string(),
        error,
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let entry = entry.map_err(|e| io(dir, e))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = entry.file_type().map_err(|e| io(&path, e))?;
        if kind.is_dir() {
            walk(&path, out)?;
        } else if kind.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

fn file_input(path: &Path) -> Result<Input, LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| io(path, e))?;
    let canonical = std::fs::canonicalize(path).map_err(|e| io(path, e))?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let mut key = canonical.to_string_lossy().into_owned().into_bytes();
    key.extend_from_slice(&meta.len().to_le_bytes());
    key.extend_from_slice(&modified.to_le_bytes());
    Ok(Input::File {
        path: path.to_path_buf(),
        size: meta.len(),
        identity: XxHash3_64::oneshot(&key),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_expand_sorted_and_identities_are_stable() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("b.csv"), "1\n").unwrap();
        std::fs::write(dir.path().join("sub/a.csv"), "2\n").unwrap();
        std::fs::write(dir.path().join(".hidden"), "x\n").unwrap();
        let inputs = discover(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<String> = inputs.iter().map(Input::name).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names[0].ends_with("b.csv") && names[1].ends_with("sub/a.csv"));
        let again = discover(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(inputs, again);
        assert_ne!(inputs[0].writer_id(b""), inputs[1].writer_id(b""));
        assert_ne!(Input::Stdin.writer_id(b"a"), Input::Stdin.writer_id(b"b"));
        let err = discover(&[dir.path().join("missing.csv")]).unwrap_err();
        assert!(err.to_string().contains("missing.csv"), "{err}");
    }
}
