//! The temporaries of unfinished writes, for a signal handler to remove.
//!
//! Every temporary file or directory that [`super`] creates is registered here for as long as
//! it exists. Creating a temporary, creating a file inside a temporary directory and moving a
//! temporary into place all happen under one lock, so a program that calls
//! [`abandon_temporaries`] from its SIGINT/SIGTERM handler and then exits leaves no temporary
//! behind and the previous outputs in place, whenever the signal comes: before the move, the
//! temporaries go; during it, the handler waits until the new outputs are complete.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The registered temporaries, and whether the program is on its way out.
struct Registry {
    abandoned: bool,
    paths: Vec<PathBuf>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    abandoned: false,
    paths: Vec::new(),
});

/// The registry, even when a thread panicked while holding it (the data stays valid).
fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The registry, held while a temporary is created, filled in or moved into place.
pub(crate) struct Held(MutexGuard<'static, Registry>);

/// Takes the lock; fails with [`io::ErrorKind::Interrupted`] once the temporaries were
/// abandoned, so that nothing new is created or committed on the way out.
pub(crate) fn hold() -> io::Result<Held> {
    let g = registry();
    if g.abandoned {
        return Err(io::Error::new(
            io::ErrorKind::Interrupted,
            "interrupted: outputs are no longer written",
        ));
    }
    Ok(Held(g))
}

impl Held {
    /// Registers a temporary that now exists.
    pub(crate) fn register(&mut self, path: PathBuf) {
        self.0.paths.push(path);
    }

    /// Forgets a temporary that was moved into place or removed.
    pub(crate) fn release(&mut self, path: &Path) {
        self.0.paths.retain(|p| p != path);
    }
}

/// Removes a temporary (file or directory) and forgets it; errors are ignored, as the path
/// may already be gone.
pub(crate) fn discard(path: &Path) {
    let mut g = registry();
    remove(path);
    g.paths.retain(|p| p != path);
}

/// Removes every temporary of an unfinished write and makes every later write fail: for a
/// signal handler to call just before the program exits. Returns how many temporaries it
/// removed. Waits while outputs are being moved into place, so that they end complete.
///
/// ```
/// // In a SIGINT handler:
/// let removed = cdnplan_io::output::abandon_temporaries();
/// # assert_eq!(removed, 0);
/// // … then exit with 130.
/// ```
pub fn abandon_temporaries() -> usize {
    let mut g = registry();
    g.abandoned = true;
    let paths = std::mem::take(&mut g.paths);
    for p in &paths {
        remove(p);
    }
    paths.len()
}

/// Whether [`abandon_temporaries`] ran: a write failing afterwards failed because of the
/// interrupt, and the handler that called it is about to exit with the signal's status.
pub fn abandoned() -> bool {
    registry().abandoned
}

fn remove(path: &Path) {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            let _ = std::fs::remove_dir_all(path);
        }
        Ok(_) => {
            let _ = std::fs::remove_file(path);
        }
        Err(_) => {}
    }
}
