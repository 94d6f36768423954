//! Test hooks, read from the environment. Each does nothing unless its variable is set; the
//! end-to-end tests use them to interrupt a run or fill the disk at a chosen moment.
//!
//! * `CDNPLAN_TEST_PAUSE_BEFORE_COMMIT=MS`: sleep MS milliseconds after an output directory's
//!   files are written and before they are swapped in (to send a signal mid-write).
//! * `CDNPLAN_TEST_FAIL_WRITE=NAME`: fail the write of the output file NAME (e.g.
//!   `demand.csv`) as a full disk would, after its first bytes.

use cdnplan_io::output::OutputDir;

/// Applies `CDNPLAN_TEST_FAIL_WRITE` to an output directory being written.
pub fn fail_write(out: &mut OutputDir) {
    if let Some(name) = std::env::var_os("CDNPLAN_TEST_FAIL_WRITE") {
        out.fail_on(&name.to_string_lossy(), std::io::ErrorKind::StorageFull);
    }
}

/// Sleeps as `CDNPLAN_TEST_PAUSE_BEFORE_COMMIT` asks.
pub fn pause_before_commit() {
    let ms = std::env::var("CDNPLAN_TEST_PAUSE_BEFORE_COMMIT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(ms) = ms {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}
