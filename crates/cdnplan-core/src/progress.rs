//! Progress reporting from long work, without printing.
//!
//! Library code reports to a [`Progress`] sink; the CLI draws it as a progress bar, embedders
//! pass [`NoProgress`] or their own sink. Implementations must be cheap and thread-safe: parallel
//! workers call [`Progress::advance`] concurrently.

/// A sink for progress of one phase at a time.
pub trait Progress: Sync {
    /// A phase begins; `total` is in the phase's own units (bytes, files, iterations) when known.
    fn begin(&self, phase: &str, total: Option<u64>);
    /// `delta` more units are done.
    fn advance(&self, delta: u64);
    /// A short status line for the current phase (e.g. the best objective so far).
    fn message(&self, _text: &str) {}
    /// The phase is over.
    fn end(&self);
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn begin(&self, _phase: &str, _total: Option<u64>) {}
    fn advance(&self, _delta: u64) {}
    fn end(&self) {}
}
