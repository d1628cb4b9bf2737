//! The one error type of the sweep engine.

use std::path::PathBuf;

/// What went wrong in a sweep: always names the file (or directory) concerned, what is
/// wrong with it and, where it helps, what is allowed instead.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A file or directory could not be read, written, created or renamed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What the engine was doing ("cannot read", "cannot write", ...).
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The sweep file is malformed or asks for something impossible.
    #[error("sweep file {}: {message}", path.display())]
    SweepFile {
        /// The sweep file.
        path: PathBuf,
        /// What is wrong and what is allowed (toml errors include line and column).
        message: String,
    },
    /// A results or errors CSV (or its `sweep.json` sidecar) is malformed, belongs to a
    /// different sweep, or cannot be merged.
    #[error("{}: {message}", path.display())]
    Results {
        /// The CSV, sidecar or output directory concerned.
        path: PathBuf,
        /// What is wrong and what to do about it.
        message: String,
    },
    /// A command-line value (such as `--shard`) is malformed.
    #[error("{flag}: {message}")]
    Usage {
        /// The flag concerned, e.g. `--shard`.
        flag: &'static str,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A plot could not be made from the results.
    #[error("plot `{name}`: {message}")]
    Plot {
        /// The plot's name (its output file stem).
        name: String,
        /// What is wrong and what is allowed.
        message: String,
    },
}

impl SweepError {
    /// An I/O error on `path` while doing `action`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        SweepError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// A problem in the sweep file at `path`.
    pub(crate) fn file(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        SweepError::SweepFile {
            path: path.into(),
            message: message.into(),
        }
    }

    /// A problem in a results file or directory at `path`.
    pub(crate) fn results(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        SweepError::Results {
            path: path.into(),
            message: message.into(),
        }
    }
}
