//! How to read and aggregate request logs: [`IngestOptions`].

use cdnplan_core::CellKind;

use super::filter::LogFilter;
use super::mapping::{FieldMapping, LogFormat, Preset};
use crate::error::Result;

/// How to read and aggregate request logs. Start from a preset and adjust:
///
/// ```
/// use cdnplan_io::logs::{IngestOptions, LogFilter, Preset};
/// use cdnplan_core::CellKind;
///
/// let opts = IngestOptions::new(Preset::Argus)
///     .cells(CellKind::Geotile { zoom: 5 })
///     .filter(LogFilter::default().since("2023-05-12")?)
///     .lenient(true)
///     .threads(2);
/// assert_eq!(opts.threads, Some(2));
/// # Ok::<(), cdnplan_io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct IngestOptions {
    /// File layout.
    pub format: LogFormat,
    /// Where the fields are.
    pub mapping: FieldMapping,
    /// What the demand cells are keyed by.
    pub cells: CellKind,
    /// What counts.
    pub filter: LogFilter,
    /// Skip and count malformed records instead of stopping at the first.
    pub lenient: bool,
    /// Worker threads; `None` uses rayon's global pool.
    pub threads: Option<usize>,
    /// Target size of the line batches handed to workers, in bytes (default 1 MiB).
    pub batch_bytes: usize,
    /// The longest line read, in bytes (default [`MAX_LINE_BYTES`]): a longer line is never
    /// held in memory; it is a malformed record (an error naming its file and line, or a
    /// counted skip when lenient). A `_search` response saved on one line must fit.
    pub max_line_bytes: usize,
}

/// The default [`IngestOptions::max_line_bytes`]: 64 MiB, far above any log record and above a
/// 10,000-hit `_search` response saved on one line.
pub const MAX_LINE_BYTES: usize = 64 << 20;

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions::new(Preset::Argus)
    }
}

impl IngestOptions {
    /// The preset's format and mapping, country cells, default filter, strict, all threads.
    pub fn new(preset: Preset) -> Self {
        IngestOptions {
            format: preset.format(),
            mapping: preset.mapping(),
            cells: CellKind::Country,
            filter: LogFilter::default(),
            lenient: false,
            threads: None,
            batch_bytes: 1 << 20,
            max_line_bytes: MAX_LINE_BYTES,
        }
    }

    /// Like [`IngestOptions::new`] with the preset named `name` (any case).
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) listing the presets when `name` is none of them.
    pub fn from_preset_name(name: &str) -> Result<Self> {
        Ok(IngestOptions::new(name.parse()?))
    }

    /// Sets the field mapping.
    pub fn mapping(mut self, mapping: FieldMapping) -> Self {
        self.mapping = mapping;
        self
    }

    /// Sets the file layout.
    pub fn format(mut self, format: LogFormat) -> Self {
        self.format = format;
        self
    }

    /// Sets the cell kind.
    pub fn cells(mut self, cells: CellKind) -> Self {
        self.cells = cells;
        self
    }

    /// Sets the filter.
    pub fn filter(mut self, filter: LogFilter) -> Self {
        self.filter = filter;
        self
    }

    /// Skips malformed records (`true`) or stops at the first (`false`, the default).
    pub fn lenient(mut self, lenient: bool) -> Self {
        self.lenient = lenient;
        self
    }

    /// Uses `threads` worker threads.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// Sets the batch size in bytes.
    pub fn batch_bytes(mut self, bytes: usize) -> Self {
        self.batch_bytes = bytes.max(1);
        self
    }

    /// Sets the longest line read, in bytes (at least 1).
    pub fn max_line_bytes(mut self, bytes: usize) -> Self {
        self.max_line_bytes = bytes.max(1);
        self
    }
}
