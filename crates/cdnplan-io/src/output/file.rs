//! One output file (`-o FILE`): replaced atomically when it is a regular file, written
//! through when it is a device or a FIFO, and never replaced when it is a symbolic link.
//!
//! The rule, by what `path` names:
//!
//! * nothing, or a regular file: the contents go to a temporary `.cdnplan-*.tmp` in the same
//!   directory, are flushed to disk and renamed over `path`, so a reader sees the old file or
//!   the new one and a failure (or an interrupt, see [`super::abandon_temporaries`]) leaves the
//!   old one;
//! * a character or block device, a FIFO or a socket (`/dev/null`, `/dev/stdout`, a named
//!   pipe): opened and written in place, never renamed over, since a rename would put a
//!   regular file where the device was;
//! * a symbolic link: followed (to 40 levels) and its final target written by the rules above;
//!   the link itself stays;
//! * a directory: an error.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output::interrupt;

/// What a path names once symbolic links are followed.
enum Target {
    /// A device, FIFO or socket: write through it.
    Through(PathBuf),
    /// A regular file or nothing: replace it.
    Replace(PathBuf),
}

/// Follows symbolic links from `path` to what they finally name.
fn target(path: &Path) -> Result<Target> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        let m = match std::fs::symlink_metadata(&p) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Target::Replace(p)),
            Err(e) => return Err(Error::io(&p, "cannot inspect", e)),
        };
        let t = m.file_type();
        if t.is_symlink() {
            let link = std::fs::read_link(&p).map_err(|e| Error::io(&p, "cannot read link", e))?;
            p = match p.parent() {
                Some(dir) => dir.join(link),
                None => link,
            };
            continue;
        }
        if t.is_file() {
            return Ok(Target::Replace(p));
        }
        if t.is_dir() {
            return Err(Error::io(
                &p,
                "cannot write",
                io::Error::from(io::ErrorKind::IsADirectory),
            ));
        }
        return Ok(Target::Through(p));
    }
    Err(Error::io(
        path,
        "cannot resolve",
        io::Error::other("too many levels of symbolic links"),
    ))
}

/// Writes `contents` to `path` by the module's rule, creating the parent directory of a new
/// file when needed.
///
/// # Errors
/// [`Error::Io`] naming `path` (or the target of its link) when the directory cannot be
/// created or the file written.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let p = dir.path().join("out/demand.csv");
/// cdnplan_io::output::write_atomic(&p, b"cell,requests\n")?;
/// assert_eq!(std::fs::read(&p)?, b"cell,requests\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    write_atomic_with(path, |w| w.write_all(contents))
}

/// Like [`write_atomic`], with the contents produced by `fill` on a buffered writer.
///
/// # Errors
/// [`Error::Io`] naming the file when `fill` or the file system fails.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    match target(path)? {
        Target::Through(p) => write_through(&p, fill),
        Target::Replace(p) => replace(&p, fill),
    }
}

/// Opens `path` (a device or FIFO) and writes to it: no temporary, no rename.
fn write_through(path: &Path, fill: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, "cannot open", e))?;
    let mut w = io::BufWriter::new(file);
    fill(&mut w).map_err(|e| Error::io(path, "cannot write", e))?;
    w.flush().map_err(|e| Error::io(path, "cannot write", e))
}

/// Writes a temporary beside `path` and renames it over `path`.
fn replace(path: &Path, fill: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "cannot create directory", e))?;
    let (file, tmp) = {
        let mut held = interrupt::hold().map_err(|e| Error::io(path, "cannot write", e))?;
        let (file, tmp) = tempfile::Builder::new()
            .prefix(".cdnplan-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .and_then(|t| t.keep().map_err(|e| e.error))
            .map_err(|e| Error::io(dir, "cannot create a temporary file in", e))?;
        held.register(tmp.clone());
        (file, tmp)
    };
    // From here on the temporary goes on every path but the rename.
    let pending = Pending::new(tmp);
    {
        let mut w = io::BufWriter::new(&file);
        fill(&mut w).map_err(|e| Error::io(path, "cannot write", e))?;
        w.flush().map_err(|e| Error::io(path, "cannot write", e))?;
    }
    file.sync_all()
        .map_err(|e| Error::io(path, "cannot flush", e))?;
    // Temporary files are private (0600); an output file is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io(path, "cannot set permissions of", e))?;
    }
    drop(file);
    let mut held = interrupt::hold().map_err(|e| Error::io(path, "cannot write", e))?;
    let renamed = std::fs::rename(pending.path(), path);
    if renamed.is_ok() {
        held.release(pending.path());
        pending.disarm();
    }
    // Unlock before a failed temporary is discarded (which locks again).
    drop(held);
    renamed.map_err(|e| Error::io(path, "cannot rename into place", e))
}

/// A registered temporary, removed when dropped unless disarmed.
#[derive(Debug)]
pub(crate) struct Pending(Option<PathBuf>);

impl Pending {
    /// Takes charge of a registered temporary.
    pub(crate) fn new(path: PathBuf) -> Pending {
        Pending(Some(path))
    }

    /// The temporary's path.
    pub(crate) fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }

    /// Keeps the temporary: it was moved into place.
    pub(crate) fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            interrupt::discard(&p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sub/out.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two");
    }

    #[test]
    fn failure_leaves_the_old_file_and_no_temporary() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("out.txt");
        write_atomic(&p, b"old").unwrap();
        let r = write_atomic_with(&p, |w| {
            w.write_all(b"half")?;
            Err(io::Error::from(io::ErrorKind::StorageFull))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        let left: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "temporary file removed");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_stays_and_its_target_is_written() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("real.csv"), "old").unwrap();
        std::os::unix::fs::symlink("real.csv", d.path().join("link.csv")).unwrap();
        write_atomic(&d.path().join("link.csv"), b"new").unwrap();
        let m = std::fs::symlink_metadata(d.path().join("link.csv")).unwrap();
        assert!(m.file_type().is_symlink());
        assert_eq!(
            std::fs::read_to_string(d.path().join("real.csv")).unwrap(),
            "new"
        );
        // A dangling link: its target is created.
        std::os::unix::fs::symlink("sub/new.csv", d.path().join("dangling")).unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        write_atomic(&d.path().join("dangling"), b"x").unwrap();
        assert_eq!(
            std::fs::read_to_string(d.path().join("sub/new.csv")).unwrap(),
            "x"
        );
        assert!(
            std::fs::symlink_metadata(d.path().join("dangling"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[cfg(unix)]
    #[test]
    fn dev_null_is_written_through() {
        use std::os::unix::fs::FileTypeExt;
        write_atomic(Path::new("/dev/null"), b"nothing").unwrap();
        let m = std::fs::symlink_metadata("/dev/null").unwrap();
        assert!(m.file_type().is_char_device());
    }

    #[test]
    fn a_directory_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let e = write_atomic(d.path(), b"x").unwrap_err().to_string();
        assert!(e.contains("cannot write"), "{e}");
    }
}
