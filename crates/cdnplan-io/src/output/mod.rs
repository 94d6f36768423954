//! Writing outputs so that a reader sees the old result or the new one, never a mix.
//!
//! * An output directory (`plan --out`, `reassign --out`) is one transaction: [`OutputDir`]
//!   writes the whole set into a temporary directory beside it and swaps it in; files of an
//!   earlier run that this run does not write go, files cdnplan never wrote make it refuse.
//!   The module [`dir`]'s docs give the rule.
//! * One output file (`-o FILE`) is replaced by a rename, or written through when it is a
//!   device or a FIFO; a symbolic link is followed and stays ([`write_atomic`]; the module
//!   [`mod@file`]'s docs give the rule).
//! * On SIGINT or SIGTERM a program calls [`abandon_temporaries`] before exiting: the
//!   temporaries of an unfinished write go and the previous outputs stay.

use std::path::{Path, PathBuf};

use cdnplan_core::Demand;
use cdnplan_core::plan::{self, Plan};
use cdnplan_core::reassign::{Assessed, render};

use crate::error::{Error, Result};

pub mod dir;
pub mod file;
pub(crate) mod interrupt;

pub use dir::{MANIFEST, OutputDir, check_dir};
pub use file::{write_atomic, write_atomic_with};
pub use interrupt::{abandon_temporaries, abandoned};

/// The files [`write_plan`] writes, in order.
pub const PLAN_FILES: [&str; 9] = [
    "plan.json",
    "report.md",
    "moves.csv",
    "demand.csv",
    "plan.geojson",
    "curve.csv",
    "nodes.csv",
    "map.svg",
    "report.html",
];

/// The node curve's file (`plan --curve`), beside [`PLAN_FILES`].
pub const NODE_CURVE_FILE: &str = "node-curve.csv";

/// Writes a plan's outputs as the whole content of `dir` (see [`OutputDir`]): `plan.json`
/// (the whole plan), `report.md`, `moves.csv`, `demand.csv` (cells with their service before
/// and after), `plan.geojson`, `curve.csv` (mean RTT after k moves), `nodes.csv` (the
/// nodes after the plan, in the nodes input format), `map.svg` (the plan on a world map) and
/// `report.html` (the report with the map and charts, one self-contained page).
/// Returns the paths written.
///
/// # Errors
/// As [`OutputDir::begin`] and [`OutputDir::commit`]; [`Error::Io`] naming the file that
/// could not be written, the previous outputs then left as they were.
pub fn write_plan(dir: &Path, plan: &Plan, demand: &Demand) -> Result<Vec<PathBuf>> {
    let mut out = OutputDir::begin(dir)?;
    write_plan_into(&mut out, plan, demand)?;
    out.commit()
}

/// Writes a plan's files (those of [`write_plan`]) into an output directory being written,
/// all rendered before the first is written. Returns the paths they will have.
///
/// # Errors
/// [`Error::Io`] naming the file that could not be written.
pub fn write_plan_into(out: &mut OutputDir, plan: &Plan, demand: &Demand) -> Result<Vec<PathBuf>> {
    let world = plan::WorldOutline::bundled();
    let rendered = [
        plan.to_json_pretty(),
        plan::report_markdown(plan, demand),
        plan::moves_csv(plan),
        plan::plan_demand_csv(plan, demand),
        plan::plan_geojson(plan, demand),
        plan::curve_csv(plan),
        plan::nodes_csv(&plan.nodes_after),
        plan::map_svg(plan, demand, &world),
        plan::report_html(plan, demand, &world),
    ];
    PLAN_FILES
        .iter()
        .zip(rendered)
        .map(|(name, body)| out.write(name, body.as_bytes()))
        .collect()
}

/// The files [`write_reassignment`] writes besides `metadata/`, in order.
pub const REASSIGN_FILES: [&str; 4] = [
    "reassign.md",
    "reassign.json",
    "reassign.sh",
    "target-topology.json",
];

/// Writes a reassignment's outputs as the whole content of `dir` (see [`OutputDir`]):
/// those of [`write_reassignment_into`]. Returns the paths written.
///
/// # Errors
/// As [`OutputDir::begin`] and [`OutputDir::commit`]; [`Error::Io`] naming the file that
/// could not be written, the previous outputs then left as they were.
pub fn write_reassignment(dir: &Path, a: &Assessed, title: &str) -> Result<Vec<PathBuf>> {
    let mut out = OutputDir::begin(dir)?;
    write_reassignment_into(&mut out, a, title)?;
    out.commit()
}

/// Writes a reassignment's files into an output directory being written: `reassign.md` (the
/// checklist, headed `title`), `reassign.json`, `reassign.sh` (the lead's commands,
/// executable), `target-topology.json` and the `metadata/*.json` files its metadata calls
/// read. Everything is rendered before the first file is written. Returns the paths they
/// will have.
///
/// # Errors
/// [`Error::Io`] naming the file that could not be written.
pub fn write_reassignment_into(
    out: &mut OutputDir,
    a: &Assessed,
    title: &str,
) -> Result<Vec<PathBuf>> {
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
    let written = files
        .iter()
        .map(|(name, body)| out.write(name, body.as_bytes()))
        .collect::<Result<Vec<_>>>()?;
    out.set_executable("reassign.sh")?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

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
