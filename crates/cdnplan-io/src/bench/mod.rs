//! Benchmarks with known answers: OR-Library pmed and pmedcap, the TSPLIB p-median sets of
//! Durán-Mateluna, Alès & Elloumi (2023), and a synthetic world. Each reads its files, solves
//! every instance with the engine and checks the answer against the published value: a
//! "proven optimal" that differs from a published optimum, a bound above it, or a value below
//! it are errors of the optimiser and are counted as wrong.
//!
//! ```no_run
//! use cdnplan_core::NoProgress;
//! use cdnplan_core::solve::SolveOptions;
//!
//! let report = cdnplan_io::bench::orlib(
//!     "benches/orlib".as_ref(),
//!     &[1, 2, 3],
//!     &SolveOptions::new(),
//!     &NoProgress,
//!     &|line| eprintln!("{line}"),
//! )?;
//! print!("{}", report.table.render());
//! assert_eq!(report.wrong, 0);
//! # Ok::<(), cdnplan_io::Error>(())
//! ```

use std::path::Path;
use std::time::Instant;

use cdnplan_core::plan::Table;
use cdnplan_core::solve::{Constraints, Instance, Problem, Solution, SolveOptions, Status};
use cdnplan_core::{Countries, LinearRtt, Progress, Site};
use serde_json::json;

use crate::error::{Error, Result};

mod literature;

pub use literature::{pmedcap, tsplib};

/// What a benchmark run found.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// One row per instance, for the terminal.
    pub table: Table,
    /// The same rows and the totals, as one JSON document.
    pub doc: serde_json::Value,
    /// One line: how many were proven, how long it took, how many were wrong.
    pub summary: String,
    /// Answers that contradict a published optimum.
    pub wrong: usize,
}

/// How a solution compares with a published value `published` (an optimum when `proven`),
/// within the relative tolerance `tol`: `ok`, `not proven`, or an error in capitals.
pub(crate) fn check(s: &Solution, published: f64, proven: bool, tol: f64) -> &'static str {
    let tol = tol * published.abs().max(1.0);
    if proven && s.status == Status::Optimal && (s.objective - published).abs() > tol {
        "WRONG OPTIMAL"
    } else if proven && s.lower_bound > published + tol {
        "BOUND ABOVE OPTIMUM"
    } else if proven && s.objective < published - tol {
        "BELOW OPTIMUM"
    } else if s.status == Status::Optimal {
        "ok"
    } else {
        "not proven"
    }
}

/// Whether a [`check`] result is an error.
pub(crate) fn is_wrong(check: &str) -> bool {
    check.chars().any(char::is_alphabetic) && check.chars().all(|c| !c.is_lowercase())
}

pub(crate) fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read", e))
}

pub(crate) fn format_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Format {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// The heuristic alone (multistart greedy + swap + VNS, as `--method heuristic` runs it):
/// its value and time in seconds.
fn heuristic(
    instance: &Instance,
    constraints: &Constraints,
    o: &SolveOptions,
) -> Result<(f64, f64)> {
    let started = Instant::now();
    let problem = Problem::new(instance, constraints)?;
    let inc = o.multistart().run(
        &problem,
        started.checked_add(o.time_limit),
        &cdnplan_core::NoProgress,
    );
    Ok((inc.objective, started.elapsed().as_secs_f64()))
}

/// OR-Library `pmed<k>.txt` for every `k` in `instances`, against `pmedopt.txt` in `dir`:
/// the heuristic alone, then the engine. `log` hears one line per instance.
///
/// # Errors
/// [`Error::Io`] or [`Error::Format`] naming a file that cannot be read or parsed; the
/// engine's errors.
pub fn orlib(
    dir: &Path,
    instances: &[u32],
    options: &SolveOptions,
    progress: &dyn Progress,
    log: &dyn Fn(&str),
) -> Result<BenchReport> {
    use cdnplan_core::solve::{parse_pmed, parse_pmedopt, solve};
    let opt_path = dir.join("pmedopt.txt");
    let optima = parse_pmedopt(&read(&opt_path)?).map_err(|e| format_error(&opt_path, e))?;
    let mut table = Table::new(&[
        "instance",
        " n",
        " p",
        " optimum",
        " heuristic",
        " h time s",
        " ours",
        " bound",
        " gap %",
        "status",
        " time s",
        "check",
    ]);
    let mut rows = Vec::new();
    let (mut wrong, mut proven, mut heuristic_hits) = (0, 0, 0);
    let (mut total, mut heuristic_total, mut slowest) = (0.0, 0.0, 0.0_f64);
    for k in instances {
        let name = format!("pmed{k}");
        let path = dir.join(format!("{name}.txt"));
        let pmed = parse_pmed(&read(&path)?).map_err(|e| format_error(&path, e))?;
        let optimum = *optima
            .get(&name)
            .ok_or_else(|| format_error(&opt_path, format!("no optimum for {name}")))?;
        let c = pmed.constraints();
        let (h_value, h_time) = heuristic(&pmed.instance, &c, options)?;
        let started = Instant::now();
        let s: Solution = solve(&pmed.instance, &c, options, progress)?;
        let time = started.elapsed().as_secs_f64();
        let check = check(&s, optimum, true, 1e-9);
        wrong += usize::from(is_wrong(check));
        proven += usize::from(check == "ok");
        heuristic_hits += usize::from(h_value == optimum);
        total += time;
        heuristic_total += h_time;
        slowest = slowest.max(time);
        table.row(vec![
            name.clone(),
            pmed.instance.n_clients.to_string(),
            pmed.p.to_string(),
            format!("{optimum}"),
            format!("{h_value}"),
            format!("{h_time:.2}"),
            format!("{}", s.objective),
            format!("{}", s.lower_bound),
            format!("{:.3}", 100.0 * s.gap()),
            s.status.to_string(),
            format!("{time:.2}"),
            check.to_string(),
        ]);
        rows.push(json!({
            "instance": name, "n": pmed.instance.n_clients, "p": pmed.p, "optimum": optimum,
            "heuristic": h_value, "heuristic_seconds": h_time, "objective": s.objective,
            "lower_bound": s.lower_bound, "gap": s.gap(), "status": s.status, "method": s.method,
            "seconds": time, "check": check,
        }));
        log(&format!(
            "{name}: {} ({}), {time:.2} s",
            s.objective, s.status
        ));
    }
    let n = instances.len();
    let summary = format!(
        "{proven}/{n} proven optimal at the published optimum, total {total:.1} s \
         (slowest {slowest:.2} s); heuristic alone at the optimum on {heuristic_hits}/{n}, \
         total {heuristic_total:.1} s; {wrong} wrong"
    );
    let doc = json!({
        "method": options.method, "backend": options.backend, "rows": rows,
        "proven": proven, "heuristic_at_optimum": heuristic_hits, "wrong": wrong,
        "total_seconds": total, "heuristic_total_seconds": heuristic_total,
    });
    Ok(BenchReport {
        table,
        doc,
        summary,
        wrong,
    })
}

/// A synthetic world's size and seed, and how many sites to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticSpec {
    /// Demand points.
    pub clients: usize,
    /// Candidate sites.
    pub sites: usize,
    /// Sites to open.
    pub p: usize,
    /// Seed of the world (not of the solver).
    pub world_seed: u64,
}

/// A world of `spec.clients` demand points clustered like the countries' internet users and
/// `spec.sites` candidate sites near the hosting regions of `sites`, solved for `spec.p`:
/// the result as one JSON document and as text.
///
/// # Errors
/// The generator's and the engine's.
pub fn synthetic(
    spec: &SyntheticSpec,
    countries: &Countries,
    sites: &[Site],
    options: &SolveOptions,
    progress: &dyn Progress,
) -> Result<(serde_json::Value, String)> {
    use cdnplan_core::solve::solve;
    use cdnplan_core::solve::synthetic::{World, WorldSpec};
    let centres: Vec<_> = countries
        .iter()
        .map(|c| (c.location, c.internet_users as f64))
        .collect();
    let hubs: Vec<_> = sites.iter().map(|s| s.location).collect();
    let world_spec = WorldSpec {
        clients: spec.clients,
        sites: spec.sites,
        seed: spec.world_seed,
    };
    let started = Instant::now();
    let world = World::generate(&world_spec, &centres, &hubs, &LinearRtt::DEFAULT)?;
    let generated = started.elapsed().as_secs_f64();
    let c = Constraints {
        p: spec.p,
        ..Default::default()
    };
    let started = Instant::now();
    let s = solve(&world.instance, &c, options, progress)?;
    let time = started.elapsed().as_secs_f64();
    let total = world.instance.total_weight();
    let doc = json!({
        "clients": spec.clients, "sites": spec.sites, "p": spec.p, "world_seed": spec.world_seed,
        "generate_seconds": generated, "solve_seconds": time, "objective": s.objective,
        "lower_bound": s.lower_bound, "gap": s.gap(), "status": s.status, "method": s.method,
        "mean_rtt_ms": s.objective / total,
    });
    let text = format!(
        "synthetic world: {} clients × {} sites, p = {} (world seed {})\n\
         generated in {generated:.2} s; solved in {time:.2} s by {}\n\
         objective {:.1} (mean RTT {:.3} ms), lower bound {:.1}, gap {:.3} %, {}\n",
        spec.clients,
        spec.sites,
        spec.p,
        spec.world_seed,
        s.method,
        s.objective,
        s.objective / total,
        s.lower_bound,
        100.0 * s.gap(),
        s.status,
    );
    Ok((doc, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solution(objective: f64, lower_bound: f64, status: Status) -> Solution {
        Solution {
            open: vec![],
            objective,
            lower_bound,
            status,
            method: "t".into(),
        }
    }

    #[test]
    fn checks_name_every_contradiction_with_a_published_optimum() {
        let c = |o, b, s| check(&solution(o, b, s), 100.0, true, 1e-9);
        assert_eq!(c(100.0, 100.0, Status::Optimal), "ok");
        assert_eq!(c(101.0, 101.0, Status::Optimal), "WRONG OPTIMAL");
        assert_eq!(c(101.0, 100.5, Status::TimeLimit), "BOUND ABOVE OPTIMUM");
        assert_eq!(c(99.0, 90.0, Status::TimeLimit), "BELOW OPTIMUM");
        assert_eq!(c(101.0, 90.0, Status::TimeLimit), "not proven");
        // A value that is not a proven optimum is never contradicted.
        let s = solution(120.0, 110.0, Status::Optimal);
        assert_eq!(check(&s, 100.0, false, 1e-9), "ok");
        assert!(is_wrong("WRONG OPTIMAL") && !is_wrong("ok") && !is_wrong("not proven"));
    }
}
