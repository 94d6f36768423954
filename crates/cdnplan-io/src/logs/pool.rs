//! What the reader and the ingestion workers share: batches of lines, where a record is, a bad
//! record, and the state every worker reads.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use cdnplan_core::Countries;

use super::csv::CsvColumns;
use super::mapping::Slot;
use super::ndjson::JsonExtractor;
use super::options::IngestOptions;
use crate::geoip::GeoIp;

/// A batch of whole lines.
pub(super) struct Chunk {
    pub(super) file: u32,
    pub(super) seq: u32,
    pub(super) data: Vec<u8>,
    /// The batch is one whole JSON document (a pretty-printed `_search` response).
    pub(super) whole: bool,
}

impl Chunk {
    pub(super) fn key(&self) -> u64 {
        chunk_key(self.file, self.seq)
    }
}

pub(super) fn chunk_key(file: u32, seq: u32) -> u64 {
    (u64::from(file) << 32) | u64::from(seq)
}

/// What a file's first lines told the reader.
#[derive(Debug, Default)]
pub(super) struct FileHead {
    pub(super) csv: Option<CsvColumns>,
    /// Lines consumed before batch 0 (the CSV header).
    pub(super) skip_lines: u64,
}

pub(super) struct Shared<'s> {
    pub(super) opts: &'s IngestOptions,
    pub(super) geoip: &'s GeoIp,
    pub(super) countries: &'s Countries,
    pub(super) json: Option<JsonExtractor>,
    pub(super) files: Vec<(PathBuf, OnceLock<FileHead>)>,
    /// Chunk key of the earliest strict-mode error so far (`u64::MAX`: none).
    pub(super) min_err: AtomicU64,
    pub(super) bytes_read: AtomicU64,
    pub(super) bytes_decoded: AtomicU64,
}

impl Shared<'_> {
    pub(super) fn stop_at(&self, key: u64) {
        self.min_err.fetch_min(key, Ordering::SeqCst);
    }
    pub(super) fn stopped_before(&self, key: u64) -> bool {
        key > self.min_err.load(Ordering::Relaxed)
    }
}

/// Where a record is: file, batch, 0-based line within the batch, and for `_search`
/// responses the 1-based hit (0 for none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct Pos {
    pub(super) file: u32,
    pub(super) seq: u32,
    pub(super) line: u64,
    pub(super) hit: u32,
}

/// A bad record.
#[derive(Debug, Clone)]
pub(super) struct Problem {
    pub(super) pos: Pos,
    /// `None` for a malformed record as a whole.
    pub(super) slot: Option<Slot>,
    pub(super) reason: String,
    pub(super) got: Option<String>,
}
