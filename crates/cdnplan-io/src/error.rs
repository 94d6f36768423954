//! The I/O crate's error type: every variant names the file, and where it applies the line and
//! field.

use std::path::PathBuf;

use thiserror::Error;

/// Result alias for the I/O crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors reading or writing files, with positions.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened, read or written.
    #[error("{}: {action}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done ("cannot open", "cannot write", …).
        action: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A record is malformed: the file, 1-based line, field and the offending value.
    #[error("{}:{line}: field `{field}`: {reason}{}", path.display(), got.as_ref().map(|g| format!(" (got {g:?})")).unwrap_or_default())]
    Field {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when the file has no lines, e.g. binary).
        line: u64,
        /// The field (mapping path or column name).
        field: String,
        /// What is wrong.
        reason: String,
        /// The offending text, shortened.
        got: Option<String>,
    },
    /// A file as a whole is unusable (wrong format, corrupt database).
    #[error("{}: {reason}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An output directory holds files cdnplan did not write, so it is not replaced (see
    /// [`crate::output::OutputDir`]). Move them away, or write to another directory.
    #[error("{}", foreign_message(path, entries))]
    Foreign {
        /// The output directory.
        path: PathBuf,
        /// The entries cdnplan did not write, relative to `path`; directories end in `/`.
        entries: Vec<String>,
    },
    /// A configuration value is wrong (unknown preset, bad mapping, bad scenario key).
    #[error("{0}")]
    Config(String),
    /// A remote service (a GraphQL indexer) failed, answered an error or something unusable,
    /// or passed a limit. `url` never carries credentials, and `reason` is redacted.
    #[error("{url}: {reason}")]
    Remote {
        /// The URL, without user information.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// A remote service did not answer in time.
    #[error("{what} {url} within {secs} s (raise the `{setting}` setting if the server is slow)")]
    Timeout {
        /// What did not happen ("no answer from", "no connection to", …).
        what: &'static str,
        /// The URL, without user information.
        url: String,
        /// The limit that ran out, seconds.
        secs: f64,
        /// The setting holding that limit (`read_timeout`, `request_deadline`, …).
        setting: &'static str,
    },
    /// A core-model error, with the file it came from.
    #[error("{}", path.display())]
    Core {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: cdnplan_core::Error,
    },
    /// An Elasticsearch / OpenSearch failure (never carries credentials).
    #[cfg(feature = "es")]
    #[error(transparent)]
    Es(#[from] crate::es::error::EsError),
    /// A core-model error not tied to one file.
    #[error(transparent)]
    Model(#[from] cdnplan_core::Error),
}

/// The message of [`Error::Foreign`]: the first few entries, then how many more.
fn foreign_message(path: &std::path::Path, entries: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut list = entries
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if entries.len() > SHOWN {
        list.push_str(&format!(" and {} more", entries.len() - SHOWN));
    }
    format!(
        "{}: holds files cdnplan did not write ({list}); cdnplan replaces an output directory \
         as a whole, so move them away or choose another directory",
        path.display()
    )
}

impl Error {
    /// An [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, action: &'static str, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            action,
            source,
        }
    }

    /// An [`Error::Field`], shortening `got` to 80 characters.
    pub fn field(
        path: impl Into<PathBuf>,
        line: u64,
        field: impl Into<String>,
        reason: impl Into<String>,
        got: Option<&str>,
    ) -> Self {
        Error::Field {
            path: path.into(),
            line,
            field: field.into(),
            reason: reason.into(),
            got: got.map(|g| {
                if g.chars().count() > 80 {
                    format!("{}…", g.chars().take(80).collect::<String>())
                } else {
                    g.to_string()
                }
            }),
        }
    }
}
