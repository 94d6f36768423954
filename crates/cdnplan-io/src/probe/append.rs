//! Appending a run to an NDJSON file so that its lines appear whole or not at all.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::PingDoc;
use crate::error::{Error, Result};

/// Appends one line per document to `path` (created when missing) as one write, flushed to
/// disk. If the write fails part-way (a full disk), the file is cut back to its length
/// before, so a reader never sees part of a run; a last line left unfinished by someone
/// else is ended first, so the run's first line stays parseable. An interrupt handler that
/// calls [`abandon_temporaries`](crate::output::abandon_temporaries) waits for an append in
/// progress, and appends after it fail.
///
/// # Errors
/// [`Error::Io`] naming `path` when it cannot be opened, written or flushed.
pub fn append_run(path: &Path, docs: &[PingDoc]) -> Result<()> {
    let mut buf = Vec::with_capacity(docs.len() * 1024);
    for d in docs {
        serde_json::to_writer(&mut buf, d)
            .map_err(|e| Error::Config(format!("cannot serialise a probe document: {e}")))?;
        buf.push(b'\n');
    }
    append_bytes(path, &buf)
}

/// Appends `bytes` (whole lines) to `path`, all or nothing.
pub(crate) fn append_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    if bytes.is_empty() {
        return Ok(());
    }
    // A SIGINT/SIGTERM handler that abandons the outputs waits for this lock: the append
    // ends written or rolled back before the program exits, and none starts after.
    let _held = crate::output::interrupt::hold()
        .map_err(|e| Error::io(path, "cannot append a probe run to", e))?;
    let mut f = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| Error::io(path, "cannot open for appending", e))?;
    let before = f
        .metadata()
        .map_err(|e| Error::io(path, "cannot read the length of", e))?
        .len();
    let mut out = Vec::with_capacity(bytes.len() + 1);
    if before > 0 {
        let mut last = [0u8; 1];
        f.seek(SeekFrom::Start(before - 1))
            .and_then(|_| f.read_exact(&mut last))
            .map_err(|e| Error::io(path, "cannot read", e))?;
        if last[0] != b'\n' {
            out.push(b'\n');
        }
    }
    out.extend_from_slice(bytes);
    let written = f.write_all(&out).and_then(|()| f.sync_data());
    if let Err(e) = written {
        let _ = f.set_len(before);
        return Err(Error::io(path, "cannot append a probe run to", e));
    }
    Ok(())
}
