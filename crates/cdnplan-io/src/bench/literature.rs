//! The capacitated OR-Library set (pmedcap) and the large TSPLIB p-median sets.

use std::path::Path;
use std::time::Instant;

use cdnplan_core::Progress;
use cdnplan_core::plan::Table;
use cdnplan_core::solve::capacitated::{PmedcapDistances, solve_capacitated};
use cdnplan_core::solve::{
    Constraints, Instance, Solution, SolveOptions, Status, parse_pmedcap, parse_published_values,
    parse_tsplib, solve, tsplib_instance,
};
use serde_json::json;

use super::{BenchReport, check, format_error, is_wrong, read};
use crate::error::{Error, Result};

/// OR-Library `pmedcap<k>.txt` (capacitated, single-source) for every `k` in `instances`,
/// against the optimum each file carries. The published optima hold for truncated distances;
/// under the other conventions the published value is shown for reference and not checked.
/// `log` hears one line per instance.
///
/// # Errors
/// As [`orlib`](super::orlib).
pub fn pmedcap(
    dir: &Path,
    instances: &[u32],
    distances: PmedcapDistances,
    options: &SolveOptions,
    progress: &dyn Progress,
    log: &dyn Fn(&str),
) -> Result<BenchReport> {
    let checked = distances == PmedcapDistances::Truncated;
    let mut table = Table::new(&[
        "instance",
        " n",
        " p",
        " published",
        " ours",
        " bound",
        " gap %",
        "status",
        "method",
        " time s",
        "check",
    ]);
    let mut rows = Vec::new();
    let (mut wrong, mut proven, mut total, mut slowest) = (0, 0, 0.0, 0.0_f64);
    for k in instances {
        let name = format!("pmedcap{k:02}");
        let path = dir.join(format!("{name}.txt"));
        let file = parse_pmedcap(&read(&path)?).map_err(|e| format_error(&path, e))?;
        let (inst, c, caps) = file.capacitated(distances);
        let started = Instant::now();
        let s = solve_capacitated(&inst, &c, &caps, options, progress)?.solution;
        let time = started.elapsed().as_secs_f64();
        let published = file.optimum;
        let check = match check(&s, published, checked, 1e-6) {
            "ok" if !checked => "proven",
            other => other,
        };
        wrong += usize::from(is_wrong(check));
        proven += usize::from(s.status == Status::Optimal);
        total += time;
        slowest = slowest.max(time);
        table.row(vec![
            name.clone(),
            inst.n_clients.to_string(),
            c.p.to_string(),
            format!("{published}"),
            format!("{:.2}", s.objective),
            format!("{:.2}", s.lower_bound),
            format!("{:.3}", 100.0 * s.gap()),
            s.status.to_string(),
            s.method.clone(),
            format!("{time:.2}"),
            check.to_string(),
        ]);
        rows.push(json!({
            "instance": name, "n": inst.n_clients, "p": c.p, "published": published,
            "objective": s.objective, "lower_bound": s.lower_bound, "gap": s.gap(),
            "status": s.status, "method": s.method, "seconds": time, "check": check,
        }));
        log(&format!(
            "{name}: {} ({}), {time:.2} s",
            s.objective, s.status
        ));
    }
    let n = instances.len();
    let summary = format!(
        "{proven}/{n} proven optimal ({distances} distances), total {total:.1} s (slowest \
         {slowest:.2} s); {wrong} wrong"
    );
    let doc = json!({
        "method": options.method, "backend": options.backend, "distances": distances,
        "rows": rows, "proven": proven, "wrong": wrong, "total_seconds": total,
    });
    Ok(BenchReport {
        table,
        doc,
        summary,
        wrong,
    })
}

/// The TSPLIB p-median sets: `NAME.tsp` files and `optima.tsv` (instance, n, p, value,
/// proven, seconds of the paper) in `dir`; only the `instances` named and the values of `p`
/// listed, when given. Each row is solved and checked against the published value (an
/// optimum when the paper proved it), beside the paper's time. `log` hears one line per row.
///
/// # Errors
/// As [`orlib`](super::orlib); [`Error::Config`] for an instance name not in the table, or a
/// selection that leaves no row.
pub fn tsplib(
    dir: &Path,
    instances: Option<&[String]>,
    ps: Option<&[u32]>,
    options: &SolveOptions,
    progress: &dyn Progress,
    log: &dyn Fn(&str),
) -> Result<BenchReport> {
    let table_path = dir.join("optima.tsv");
    let mut published =
        parse_published_values(&read(&table_path)?).map_err(|e| format_error(&table_path, e))?;
    if let Some(wanted) = instances {
        if let Some(unknown) = wanted
            .iter()
            .find(|w| !published.iter().any(|r| &r.instance == *w))
        {
            return Err(Error::Config(format!(
                "instance {unknown} is not in {}",
                table_path.display()
            )));
        }
        published.retain(|r| wanted.contains(&r.instance));
    }
    if let Some(ps) = ps {
        published.retain(|r| ps.contains(&(r.p as u32)));
    }
    if published.is_empty() {
        return Err(Error::Config("no (instance, p) row left to run".into()));
    }
    let mut table = Table::new(&[
        "instance",
        " n",
        " p",
        " published",
        "proven",
        " ours",
        " bound",
        " gap %",
        "status",
        " time s",
        " paper s",
        "check",
    ]);
    let mut rows = Vec::new();
    let (mut wrong, mut proven, mut within_paper, mut paper_proven) = (0, 0, 0, 0);
    let mut loaded: Option<(String, Instance)> = None;
    for r in &published {
        if loaded.as_ref().is_none_or(|(name, _)| name != &r.instance) {
            let path = dir.join(format!("{}.tsp", r.instance));
            let points = parse_tsplib(&read(&path)?).map_err(|e| format_error(&path, e))?;
            if points.len() != r.n {
                return Err(format_error(
                    &path,
                    format!(
                        "{} points, but {} says n = {}",
                        points.len(),
                        table_path.display(),
                        r.n
                    ),
                ));
            }
            loaded = Some((r.instance.clone(), tsplib_instance(&points)?));
        }
        let inst = &loaded.as_ref().expect("loaded above").1;
        let c = Constraints {
            p: r.p,
            ..Default::default()
        };
        let started = Instant::now();
        let s: Solution = solve(inst, &c, options, progress)?;
        let time = started.elapsed().as_secs_f64();
        let v = r.value;
        let check = check(&s, v, r.proven, 1e-9);
        wrong += usize::from(is_wrong(check));
        let ok = check == "ok";
        proven += usize::from(ok);
        paper_proven += usize::from(r.proven && r.seconds.is_some());
        within_paper += usize::from(ok && r.seconds.is_some_and(|p| time <= p));
        table.row(vec![
            r.instance.clone(),
            r.n.to_string(),
            r.p.to_string(),
            format!("{v}"),
            if r.proven { "yes" } else { "no" }.to_string(),
            format!("{}", s.objective),
            format!("{}", s.lower_bound),
            format!("{:.3}", 100.0 * s.gap()),
            s.status.to_string(),
            format!("{time:.2}"),
            r.seconds.map_or("-".into(), |p| format!("{p}")),
            check.to_string(),
        ]);
        rows.push(json!({
            "instance": r.instance, "n": r.n, "p": r.p, "published": v,
            "published_proven": r.proven, "paper_seconds": r.seconds, "objective": s.objective,
            "lower_bound": s.lower_bound, "gap": s.gap(), "status": s.status,
            "method": s.method, "seconds": time, "check": check,
        }));
        log(&format!(
            "{} p = {}: {} ({}), {time:.2} s",
            r.instance, r.p, s.objective, s.status
        ));
    }
    let n = published.len();
    let summary = format!(
        "{proven}/{n} proven optimal ({within_paper} within the paper's time; the paper \
         proves {paper_proven} of these rows); {wrong} wrong"
    );
    let doc = json!({
        "method": options.method, "time_limit_s": options.time_limit.as_secs_f64(), "rows": rows,
        "proven": proven, "proven_within_paper_time": within_paper,
        "paper_proven": paper_proven, "wrong": wrong,
    });
    Ok(BenchReport {
        table,
        doc,
        summary,
        wrong,
    })
}
