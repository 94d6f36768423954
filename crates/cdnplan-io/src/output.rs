//! Writing output files atomically: into a temporary file in the same directory, then renamed
//! into place, so a reader never sees a half-written file and a failure leaves the old file.

use std::io::Write;
use std::path::{Path, PathBuf};

use cdnplan_core::Demand;
use cdnplan_core::plan::{self, Plan};
use cdnplan_core::reassign::{Assessed, render};

use crate::error::{Error, Result};

/// Writes `contents` to `path` atomically, creating the parent directory when needed.
///
/// # Errors
/// [`Error::Io`] naming `path` when the directory cannot be created or the file written.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    write_atomic_with(path, |w| w.write_all(contents))
}

/// Like [`write_atomic`], with the contents produced by `fill` on a buffered writer.
///
/// # Errors
/// [`Error::Io`] naming `path` when `fill` or the file system fails.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "cannot create directory", e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".cdnplan-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, "cannot create a temporary file in", e))?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file());
        fill(&mut w).map_err(|e| Error::io(path, "cannot write", e))?;
        w.flush().map_err(|e| Error::io(path, "cannot write", e))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io(path, "cannot flush", e))?;
    // Temporary files are private (0600); an output file is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io(path, "cannot set permissions of", e))?;
    }
    tmp.persist(path)
        .map_err(|e| Error::io(path, "cannot rename into place", e.error))?;
    Ok(())
}

/// The files [`write_plan`] writes, in order.
pub const PLAN_FILES: [&str; 7] = [
    "plan.json",
    "report.md",
    "moves.csv",
    "demand.csv",
    "plan.geojson",
    "curve.csv",
    "nodes.csv",
];

/// Writes a plan's outputs into `dir`, each atomically: `plan.json` (the whole plan),
/// `report.md`, `moves.csv`, `demand.csv` (cells with their service before and after),
/// `plan.geojson`, `curve.csv` (mean RTT after k moves) and `nodes.csv` (the nodes after the
/// plan, in the nodes input format). Everything is rendered before the first file is
/// written, so a rendering problem leaves the directory untouched. Returns the paths written.
///
/// # Errors
/// [`Error::Io`] naming the file that could not be written.
pub fn write_plan(dir: &Path, plan: &Plan, demand: &Demand) -> Result<Vec<PathBuf>> {
    let rendered = [
        plan.to_json_pretty(),
        plan::report_markdown(plan, demand),
        plan::moves_csv(plan),
        plan::plan_demand_csv(plan, demand),
        plan::plan_geojson(plan, demand),
        plan::curve_csv(plan),
        plan::nodes_csv(&plan.nodes_after),
    ];
    let mut written = Vec::with_capacity(PLAN_FILES.len());
    for (name, body) in PLAN_FILES.iter().zip(rendered) {
        let path = dir.join(name);
        write_atomic(&path, body.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// The files [`write_reassignment`] writes besides `metadata/`, in order.
pub const REASSIGN_FILES: [&str; 4] = [
    "reassign.md",
    "reassign.json",
    "reassign.sh",
    "target-topology.json",
];

/// Writes a reassignment's outputs into `dir`, each atomically: `reassign.md` (the checklist,
/// headed `title`), `reassign.json`, `reassign.sh` (the lead's commands, executable),
/// `target-topology.json` and the `metadata/*.json` files its metadata calls read. Everything
/// is rendered before the first file is written. Returns the paths written.
///
/// # Errors
/// [`Error::Io`] naming the file that could not be written.
pub fn write_reassignment(dir: &Path, a: &Assessed, title: &str) -> Result<Vec<PathBuf>> {
    let mut target = serde_json::to_string_pretty(&a.reassignment.layout.target)
        .map_err(|e| Error::Config(format!("cannot render the target topology: {e}")))?;
    target.push('\n');
    let mut files: Vec<(String, String)> = REASSIGN_FILES
        .iter()
        .map(|n| n.to_string())
        .zip([
            a.markdown(title),
            a.to_json_pretty(),
            render::shell_script(&a.reassignment),
            target,
        ])
        .collect();
    files.extend(a.metadata_files());
    let mut written = Vec::with_capacity(files.len());
    for (name, body) in files {
        let path = dir.join(&name);
        write_atomic(&path, body.as_bytes())?;
        written.push(path);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join("reassign.sh");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io(&p, "cannot make executable", e))?;
    }
    Ok(written)
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
            Err(std::io::Error::other("boom"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        let left: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "temporary file removed");
    }

    #[test]
    fn a_reassignment_writes_its_files_and_an_executable_script() {
        use cdnplan_core::reassign::{ReassignOptions, ReassignRequest, reassign_after_moves};
        use cdnplan_core::{CellKind, DemandCell, GeoPoint, Latency, Weighting};
        let mut t = crate::data::load_topology(
            &crate::data::bundled_data_dir().join("joystream/mainnet-2023-01.json"),
        )
        .unwrap();
        cdnplan_core::reassign::assume_bags(&mut t, 3, None);
        let demand = Demand::new(
            CellKind::Country,
            vec![DemandCell {
                id: "DE".into(),
                location: GeoPoint {
                    lat: 52.5,
                    lon: 13.4,
                },
                country: None,
                continent: None,
                requests: 10,
                bytes: 0,
                unique_clients: 1,
            }],
        )
        .unwrap();
        let a = reassign_after_moves(&ReassignRequest {
            topology: &t,
            moves: &[],
            sites: &[],
            demand: &demand,
            latency: &Latency::default(),
            weighting: Weighting::Requests,
            options: &ReassignOptions::default(),
        })
        .unwrap();
        let d = tempfile::tempdir().unwrap();
        let written = write_reassignment(d.path(), &a, "T").unwrap();
        for f in REASSIGN_FILES {
            assert!(written.contains(&d.path().join(f)), "{f}");
        }
        assert!(d.path().join("metadata/operator-1-1-3.json").is_file());
        let md = std::fs::read_to_string(d.path().join("reassign.md")).unwrap();
        assert!(md.starts_with("# T\n"), "{md}");
        assert_eq!(
            std::fs::read_to_string(d.path().join("reassign.json")).unwrap(),
            a.to_json_pretty()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(d.path().join("reassign.sh"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o755);
        }
    }
}
