//! Test helpers shared by the loaders' unit tests.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// Writes `text` to `dir/name` and returns the path.
pub(crate) fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The message of an error that must be an [`Error::Field`].
pub(crate) fn err_text(r: Result<impl std::fmt::Debug>) -> String {
    let e = r.unwrap_err();
    assert!(
        matches!(e, Error::Field { .. }),
        "expected a field error: {e:?}"
    );
    e.to_string()
}
