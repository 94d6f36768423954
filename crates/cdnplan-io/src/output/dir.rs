//! An output directory written as one transaction.
//!
//! [`OutputDir::begin`] creates a fresh hidden directory beside the target (same parent,
//! named `.cdnplan-<name>.tmp-XXXXXX`); the run writes its whole set of files there, each
//! flushed to disk; [`OutputDir::commit`] adds the manifest [`MANIFEST`] and swaps the new
//! directory in with one `renameat2(RENAME_EXCHANGE)` (on file systems without it: two
//! renames, the old directory kept aside until the new one stands), then removes the old set.
//! A reader sees the complete old set or the complete new set; a failure or an interrupt
//! (see [`super::abandon_temporaries`]) before the swap leaves the old set untouched and
//! removes the temporary directory. Files of an earlier run that this run does not write do
//! not survive it.
//!
//! **Files cdnplan did not write.** A directory is replaced only when everything in it is
//! cdnplan's: the files its manifest lists (and the directories holding them), the manifest
//! itself and cdnplan's own leftover temporaries (`.cdnplan-*.tmp*`). A directory written
//! before manifests existed has none; there the names cdnplan writes ([`super::PLAN_FILES`],
//! `node-curve.csv`, [`super::REASSIGN_FILES`], `metadata/*.json`) count as cdnplan's.
//! Anything else (a note, a `.git`, a file renamed by hand) makes [`OutputDir::begin`] refuse
//! with [`Error::Foreign`] naming it, before anything is written: nothing is deleted that
//! cdnplan never wrote. A symbolic link to a directory is followed, and the directory it
//! names is replaced; the link stays.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::output::file::Pending;
use crate::output::interrupt;

/// The manifest an output directory carries: the files the last run wrote there, one
/// relative path a line, after `#` comment lines.
pub const MANIFEST: &str = ".cdnplan-manifest";

const MANIFEST_HEADER: &str = "\
# cdnplan: the files the last run wrote in this directory. The next run replaces the
# directory as a whole, and refuses while it holds anything not listed here.
";

/// An output directory being written: files go to a temporary directory beside it until
/// [`commit`](OutputDir::commit). Dropping it without committing removes the temporary
/// directory and leaves the target as it was.
///
/// ```
/// use cdnplan_io::output::OutputDir;
/// let tmp = tempfile::tempdir()?;
/// let dir = tmp.path().join("plans");
/// let mut out = OutputDir::begin(&dir)?;
/// out.write("plan.json", b"{}\n")?;
/// out.write("metadata/a.json", b"{}\n")?;
/// let written = out.commit()?;
/// assert_eq!(written, [dir.join("plan.json"), dir.join("metadata/a.json")]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct OutputDir {
    /// The directory as the caller named it (for messages and the paths returned).
    shown: PathBuf,
    /// The directory it resolves to, absolute, links followed.
    target: PathBuf,
    /// The temporary directory the files go to.
    staging: Pending,
    /// The files written, relative, in order.
    files: Vec<String>,
    /// A write to fail on purpose (tests).
    fail: Option<(String, io::ErrorKind)>,
}

impl OutputDir {
    /// Starts writing `dir`: checks that everything in it is cdnplan's (see the module docs),
    /// creates its parent when missing and a temporary directory beside it.
    ///
    /// # Errors
    /// [`Error::Foreign`] when `dir` holds files cdnplan did not write; [`Error::Io`] when
    /// `dir` is not a directory or the temporary directory cannot be created.
    pub fn begin(dir: &Path) -> Result<OutputDir> {
        let target = resolve(dir, true)?;
        if target.exists() {
            check_owned(dir, &target)?;
        }
        let (parent, name) = split(dir, &target)?;
        let mut held = interrupt::hold().map_err(|e| Error::io(dir, "cannot write into", e))?;
        let staging = tempfile::Builder::new()
            .prefix(&format!(".cdnplan-{name}.tmp-"))
            .tempdir_in(parent)
            .map_err(|e| Error::io(parent, "cannot create a temporary directory in", e))?
            .keep();
        held.register(staging.clone());
        Ok(OutputDir {
            shown: dir.to_path_buf(),
            target,
            staging: Pending::new(staging),
            files: Vec::new(),
            fail: None,
        })
    }

    /// The directory, as given to [`begin`](OutputDir::begin).
    pub fn path(&self) -> &Path {
        &self.shown
    }

    /// The temporary directory the files go to until the commit.
    pub fn staging(&self) -> &Path {
        self.staging.path()
    }

    /// Makes the write of `rel` fail with `kind` after its first bytes: a test hook for a
    /// full disk (`StorageFull`) or another failure in the middle of a set.
    pub fn fail_on(&mut self, rel: &str, kind: io::ErrorKind) {
        self.fail = Some((rel.to_string(), kind));
    }

    /// Writes `contents` to `rel` (a relative path such as `metadata/a.json`); returns the
    /// path the file will have once committed.
    ///
    /// # Errors
    /// [`Error::Io`] naming that path when the file cannot be written.
    pub fn write(&mut self, rel: &str, contents: &[u8]) -> Result<PathBuf> {
        self.write_with(rel, |w| w.write_all(contents))
    }

    /// Like [`write`](OutputDir::write), with the contents produced by `fill` on a buffered
    /// writer.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file when `fill` or the file system fails;
    /// [`Error::Config`] when `rel` is not a plain relative path or was already written.
    pub fn write_with(
        &mut self,
        rel: &str,
        fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<PathBuf> {
        let plain = !rel.is_empty()
            && Path::new(rel)
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        if !plain || rel == MANIFEST || self.files.iter().any(|f| f == rel) {
            return Err(Error::Config(format!(
                "{rel:?}: not a new file name inside an output directory"
            )));
        }
        let shown = self.shown.join(rel);
        let fail = match &self.fail {
            Some((name, kind)) if name == rel => Some(*kind),
            _ => None,
        };
        write_file(&self.staging.path().join(rel), &shown, fill, fail)?;
        self.files.push(rel.to_string());
        Ok(shown)
    }

    /// Makes the written file `rel` executable (mode 0755; nothing off Unix).
    ///
    /// # Errors
    /// [`Error::Io`] naming the file.
    pub fn set_executable(&self, rel: &str) -> Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                self.staging.path().join(rel),
                std::fs::Permissions::from_mode(0o755),
            )
            .map_err(|e| Error::io(self.shown.join(rel), "cannot make executable", e))?;
        }
        #[cfg(not(unix))]
        let _ = rel;
        Ok(())
    }

    /// Writes the manifest, flushes the directories and swaps the new set in place of the
    /// old one, which is then removed. Returns the paths of the files written, in order.
    ///
    /// # Errors
    /// [`Error::Foreign`] when files cdnplan did not write appeared in the directory since
    /// [`begin`](OutputDir::begin); [`Error::Io`] when a step fails (the old set then stays).
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        let OutputDir {
            shown,
            target,
            staging,
            files,
            fail: _,
        } = self;
        let tmp = staging.path().to_path_buf();
        let mut manifest = String::from(MANIFEST_HEADER);
        for f in &files {
            manifest.push_str(f);
            manifest.push('\n');
        }
        write_file(
            &tmp.join(MANIFEST),
            &shown.join(MANIFEST),
            |w| w.write_all(manifest.as_bytes()),
            None,
        )?;
        let mut dirs: BTreeSet<PathBuf> = files
            .iter()
            .filter_map(|f| tmp.join(f).parent().map(Path::to_path_buf))
            .collect();
        dirs.insert(tmp.clone());
        for d in dirs.iter().rev() {
            sync_dir(d).map_err(|e| Error::io(&shown, "cannot flush", e))?;
        }
        if let Ok(m) = std::fs::metadata(&target) {
            // The new directory keeps the old one's mode.
            std::fs::set_permissions(&tmp, m.permissions())
                .map_err(|e| Error::io(&shown, "cannot set permissions of", e))?;
        }
        let (parent, _) = split(&shown, &target)?;
        let swapped = {
            let mut held =
                interrupt::hold().map_err(|e| Error::io(&shown, "cannot write into", e))?;
            let r = swap_in(&shown, &tmp, &target, parent, &mut held);
            if r.is_ok() {
                // The temporary now holds the old set, or nothing.
                let _ = std::fs::remove_dir_all(&tmp);
                held.release(&tmp);
            }
            r
        };
        swapped?;
        staging.disarm();
        if tmp.exists() {
            return Err(Error::io(
                &tmp,
                "the new outputs are in place, but the previous ones remain in",
                io::Error::other("cannot remove them"),
            ));
        }
        Ok(files.iter().map(|f| shown.join(f)).collect())
    }
}

/// Fails when `dir` exists and cannot be replaced: it is not a directory, or it holds files
/// cdnplan did not write. For checking before a long computation; [`OutputDir::begin`]
/// checks again.
///
/// # Errors
/// As [`OutputDir::begin`].
pub fn check_dir(dir: &Path) -> Result<()> {
    let target = resolve(dir, false)?;
    if target.exists() {
        check_owned(dir, &target)?;
    }
    Ok(())
}

/// The absolute directory `dir` names, symbolic links followed; for a directory yet to be
/// made, its (created when `create`) parent resolved and the name appended.
fn resolve(dir: &Path, create: bool) -> Result<PathBuf> {
    let not_dir = || {
        Error::io(
            dir,
            "cannot write into",
            io::Error::from(io::ErrorKind::NotADirectory),
        )
    };
    match std::fs::symlink_metadata(dir) {
        Ok(_) => {
            let t = std::fs::canonicalize(dir).map_err(|e| Error::io(dir, "cannot resolve", e))?;
            if !t.is_dir() {
                return Err(not_dir());
            }
            Ok(t)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let name = dir.file_name().ok_or_else(not_dir)?;
            let parent = match dir.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            if !create {
                return Ok(parent.join(name));
            }
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io(parent, "cannot create directory", e))?;
            let parent = std::fs::canonicalize(parent)
                .map_err(|e| Error::io(parent, "cannot resolve", e))?;
            Ok(parent.join(name))
        }
        Err(e) => Err(Error::io(dir, "cannot inspect", e)),
    }
}

/// The parent and name of a resolved directory.
fn split<'a>(dir: &Path, target: &'a Path) -> Result<(&'a Path, String)> {
    match (target.parent(), target.file_name()) {
        (Some(p), Some(n)) => Ok((p, n.to_string_lossy().into_owned())),
        _ => Err(Error::io(
            dir,
            "cannot replace",
            io::Error::other("the root directory cannot be an output directory"),
        )),
    }
}

/// [`Error::Foreign`] when `target` holds anything cdnplan did not write.
fn check_owned(dir: &Path, target: &Path) -> Result<()> {
    let entries = foreign(target).map_err(|e| Error::io(dir, "cannot list", e))?;
    if entries.is_empty() {
        Ok(())
    } else {
        Err(Error::Foreign {
            path: dir.to_path_buf(),
            entries,
        })
    }
}

/// The entries of `target` cdnplan did not write, relative, directories ending in `/`.
fn foreign(target: &Path) -> io::Result<Vec<String>> {
    let listed = match std::fs::read_to_string(target.join(MANIFEST)) {
        Ok(text) => Some(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(String::from)
                .collect::<BTreeSet<_>>(),
        ),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    walk(target, "", listed.as_ref(), &mut out)?;
    Ok(out)
}

fn walk(
    dir: &Path,
    prefix: &str,
    listed: Option<&BTreeSet<String>>,
    out: &mut Vec<String>,
) -> io::Result<()> {
    let mut entries = std::fs::read_dir(dir)?.collect::<io::Result<Vec<_>>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let rel = format!("{prefix}{name}");
        if prefix.is_empty()
            && (name == MANIFEST || (name.starts_with(".cdnplan-") && name.contains(".tmp")))
        {
            continue;
        }
        let t = e.file_type()?;
        if t.is_dir() {
            if holds(listed, &rel) {
                walk(&e.path(), &format!("{rel}/"), listed, out)?;
            } else {
                out.push(format!("{rel}/"));
            }
        } else if !(t.is_file() && owned(listed, &rel)) {
            out.push(rel);
        }
    }
    Ok(())
}

/// Whether the file `rel` is cdnplan's: listed, or (without a manifest) one of its names.
fn owned(listed: Option<&BTreeSet<String>>, rel: &str) -> bool {
    match listed {
        Some(set) => set.contains(rel),
        None => {
            super::PLAN_FILES.contains(&rel)
                || super::REASSIGN_FILES.contains(&rel)
                || rel == "node-curve.csv"
                || rel
                    .strip_prefix("metadata/")
                    .is_some_and(|n| !n.contains('/') && n.ends_with(".json"))
        }
    }
}

/// Whether the directory `rel` holds cdnplan's files.
fn holds(listed: Option<&BTreeSet<String>>, rel: &str) -> bool {
    let prefix = format!("{rel}/");
    match listed {
        Some(set) => set.iter().any(|f| f.starts_with(&prefix)),
        None => rel == "metadata",
    }
}

/// Creates `path` (and its directory) and fills it, flushed to disk; errors name `shown`.
/// `fail` makes the write fail with that kind after its first bytes (a test hook).
fn write_file(
    path: &Path,
    shown: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    fail: Option<io::ErrorKind>,
) -> Result<()> {
    let err = |e| Error::io(shown, "cannot write", e);
    let file = {
        // Under the lock: nothing new appears in the temporary directory once an interrupt
        // started removing it.
        let _held = interrupt::hold().map_err(err)?;
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).map_err(err)?;
        }
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o644);
        o.open(path).map_err(err)?
    };
    let mut w = io::BufWriter::new(&file);
    match fail {
        Some(kind) => fill(&mut Failing {
            inner: &mut w,
            left: 16,
            kind,
        }),
        None => fill(&mut w),
    }
    .map_err(err)?;
    w.flush().map_err(err)?;
    drop(w);
    file.sync_all()
        .map_err(|e| Error::io(shown, "cannot flush", e))
}

/// A writer that fails with `kind` once `left` bytes went through.
struct Failing<'a> {
    inner: &'a mut dyn Write,
    left: usize,
    kind: io::ErrorKind,
}

impl Write for Failing<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::from(self.kind));
        }
        let n = self.inner.write(&buf[..buf.len().min(self.left)])?;
        self.left -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Flushes a directory's entries to disk (nothing off Unix).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Puts `tmp` where `target` is, under the interrupt lock. Afterwards `tmp` holds the old set
/// or nothing.
fn swap_in(
    shown: &Path,
    tmp: &Path,
    target: &Path,
    parent: &Path,
    held: &mut interrupt::Held,
) -> Result<()> {
    let err = |e| Error::io(shown, "cannot replace", e);
    if std::fs::symlink_metadata(target).is_err() {
        std::fs::rename(tmp, target).map_err(err)?;
        return sync_dir(parent).map_err(err);
    }
    // Files may have come since `begin`.
    check_owned(shown, target)?;
    if exchange(tmp, target).map_err(err)? {
        return sync_dir(parent).map_err(err);
    }
    // No atomic exchange here: move the old set aside, then the new one in.
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    let old = tempfile::Builder::new()
        .prefix(&format!(".cdnplan-{name}.tmp-old-"))
        .tempdir_in(parent)
        .map_err(err)?
        .keep();
    held.register(old.clone());
    let moved = std::fs::rename(target, &old).and_then(|()| {
        std::fs::rename(tmp, target).inspect_err(|_| {
            let _ = std::fs::rename(&old, target);
        })
    });
    if moved.is_ok() {
        let _ = std::fs::remove_dir_all(&old);
    } else {
        let _ = std::fs::remove_dir(&old);
    }
    held.release(&old);
    moved.map_err(err)?;
    sync_dir(parent).map_err(err)
}

/// Exchanges two directories in one step; `Ok(false)` when the file system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    use rustix::io::Errno;
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Exchanges two directories in one step; `Ok(false)` when the system cannot.
#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<bool> {
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file under `dir` with its bytes, sorted.
    fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(root, &p, out);
                } else {
                    let rel = p.strip_prefix(root).unwrap().display().to_string();
                    out.push((rel, std::fs::read(&p).unwrap()));
                }
            }
        }
        let mut out = Vec::new();
        walk(dir, dir, &mut out);
        out.sort();
        out
    }

    /// Names in `dir` that look like cdnplan temporaries.
    fn temporaries(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp"))
            .collect()
    }

    fn write_set(dir: &Path, files: &[(&str, &str)]) -> Result<Vec<PathBuf>> {
        let mut out = OutputDir::begin(dir)?;
        for (name, body) in files {
            out.write(name, body.as_bytes())?;
        }
        out.commit()
    }

    #[test]
    fn a_new_set_replaces_the_old_and_stale_files_go() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("a/b/out");
        write_set(
            &d,
            &[
                ("plan.json", "1"),
                ("node-curve.csv", "c"),
                ("metadata/x.json", "m"),
            ],
        )
        .unwrap();
        let written = write_set(&d, &[("plan.json", "2")]).unwrap();
        assert_eq!(written, [d.join("plan.json")]);
        let names: Vec<String> = snapshot(&d).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, [MANIFEST, "plan.json"]);
        assert_eq!(std::fs::read_to_string(d.join("plan.json")).unwrap(), "2");
        assert!(temporaries(t.path().join("a/b").as_path()).is_empty());
    }

    #[test]
    fn a_full_disk_mid_set_leaves_the_previous_set_and_no_temporary() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("out");
        write_set(
            &d,
            &[("plan.json", "old plan"), ("demand.csv", "old demand")],
        )
        .unwrap();
        let before = snapshot(&d);
        let mut out = OutputDir::begin(&d).unwrap();
        out.fail_on("demand.csv", io::ErrorKind::StorageFull);
        out.write("plan.json", b"new plan").unwrap();
        out.write("report.md", b"new report").unwrap();
        let e = out
            .write("demand.csv", "new demand, long enough to fail".as_bytes())
            .unwrap_err();
        assert!(e.to_string().contains("demand.csv: cannot write"), "{e}");
        drop(out);
        assert_eq!(snapshot(&d), before);
        assert!(
            temporaries(t.path()).is_empty(),
            "{:?}",
            temporaries(t.path())
        );
    }

    #[test]
    fn an_uncommitted_set_leaves_nothing() {
        let t = tempfile::tempdir().unwrap();
        let mut out = OutputDir::begin(&t.path().join("out")).unwrap();
        out.write("plan.json", b"x").unwrap();
        assert!(out.staging().join("plan.json").is_file());
        drop(out);
        let left: Vec<_> = std::fs::read_dir(t.path()).unwrap().collect();
        assert!(left.is_empty());
    }

    #[test]
    fn files_cdnplan_did_not_write_are_refused_and_kept() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("out");
        write_set(&d, &[("plan.json", "1")]).unwrap();
        std::fs::write(d.join("notes.txt"), "mine").unwrap();
        std::fs::create_dir(d.join(".git")).unwrap();
        let e = OutputDir::begin(&d).unwrap_err();
        match &e {
            Error::Foreign { entries, .. } => assert_eq!(entries, &[".git/", "notes.txt"]),
            other => panic!("{other}"),
        }
        assert!(
            e.to_string()
                .contains("holds files cdnplan did not write (.git/, notes.txt)")
        );
        assert!(check_dir(&d).is_err());
        assert_eq!(
            std::fs::read_to_string(d.join("notes.txt")).unwrap(),
            "mine"
        );
        assert!(temporaries(t.path()).is_empty());
    }

    #[test]
    fn a_file_that_appears_before_the_commit_stops_it() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("out");
        write_set(&d, &[("plan.json", "1")]).unwrap();
        let mut out = OutputDir::begin(&d).unwrap();
        out.write("plan.json", b"2").unwrap();
        std::fs::write(d.join("notes.txt"), "mine").unwrap();
        assert!(matches!(out.commit(), Err(Error::Foreign { .. })));
        assert_eq!(std::fs::read_to_string(d.join("plan.json")).unwrap(), "1");
        assert!(temporaries(t.path()).is_empty());
    }

    #[test]
    fn a_directory_without_manifest_is_taken_by_cdnplan_names() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("out");
        std::fs::create_dir_all(d.join("metadata")).unwrap();
        for f in [
            "plan.json",
            "reassign.sh",
            "metadata/operator-1.json",
            ".cdnplan-x1.tmp",
        ] {
            std::fs::write(d.join(f), "old").unwrap();
        }
        write_set(&d, &[("plan.json", "new")]).unwrap();
        let names: Vec<String> = snapshot(&d).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, [MANIFEST, "plan.json"]);
        // Without a manifest, an unknown name is not cdnplan's.
        std::fs::remove_file(d.join(MANIFEST)).unwrap();
        std::fs::write(d.join("metadata.txt"), "mine").unwrap();
        assert!(matches!(OutputDir::begin(&d), Err(Error::Foreign { .. })));
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_directory_is_replaced_and_the_link_stays() {
        let t = tempfile::tempdir().unwrap();
        let real = t.path().join("real");
        write_set(&real, &[("plan.json", "1")]).unwrap();
        std::os::unix::fs::symlink("real", t.path().join("link")).unwrap();
        let link = t.path().join("link");
        let written = write_set(&link, &[("plan.json", "2")]).unwrap();
        assert_eq!(written, [link.join("plan.json")]);
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            std::fs::read_to_string(real.join("plan.json")).unwrap(),
            "2"
        );
    }

    #[test]
    fn a_regular_file_is_not_a_directory() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("f"), "x").unwrap();
        let e = OutputDir::begin(&t.path().join("f"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot write into"), "{e}");
        assert!(OutputDir::begin(&t.path().join("f/sub")).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn the_directory_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("out");
        std::fs::create_dir(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o750)).unwrap();
        write_set(&d, &[("plan.json", "1")]).unwrap();
        let mode = std::fs::metadata(&d).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o750);
    }
}
