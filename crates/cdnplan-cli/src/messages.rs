//! Where text goes: results to stdout, everything else to stderr.
//!
//! * [`print()`] writes a result to stdout in one locked write, so a closed pipe
//!   (`cdnplan evaluate | head -1`) comes back as an `io::Error` that `main` treats as success
//!   instead of a panic inside `println!`.
//! * [`info!`] writes what a run did (ingestion summary, files written) to stderr unless
//!   `--quiet`; [`is_verbose`] asks for more.
//! * [`warning!`] writes something the user must see (records skipped, clients unlocated) to
//!   stderr always, `--quiet` or not.
//!
//! Writes to stderr ignore errors: a closed stderr must not turn a finished run into a failure.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

/// 0 quiet, 1 normal, 2 verbose.
static LEVEL: AtomicU8 = AtomicU8::new(1);

/// Sets the level from `--quiet` and `--verbose` (`--quiet` wins).
pub fn set_level(quiet: bool, verbose: bool) {
    let level = if quiet {
        0
    } else if verbose {
        2
    } else {
        1
    };
    LEVEL.store(level, Ordering::Relaxed);
}

/// Whether [`info!`] messages print.
pub fn informative() -> bool {
    LEVEL.load(Ordering::Relaxed) >= 1
}

/// Whether `--verbose` asked for details.
pub fn is_verbose() -> bool {
    LEVEL.load(Ordering::Relaxed) >= 2
}

/// Writes `text` to stderr as is, ignoring errors.
pub fn stderr(text: &str) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(text.as_bytes());
    let _ = e.flush();
}

/// Writes a result to stdout in one write and flushes.
///
/// # Errors
/// The write error, e.g. `BrokenPipe` when the reader went away.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// A line on stderr unless `--quiet`.
macro_rules! info {
    ($($arg:tt)*) => {
        if $crate::messages::informative() {
            $crate::messages::stderr(&format!("{}\n", format_args!($($arg)*)));
        }
    };
}

/// `cdnplan: warning: …` on stderr, always.
macro_rules! warning {
    ($($arg:tt)*) => {
        $crate::messages::stderr(&format!("cdnplan: warning: {}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {info, warning};
