//! `cdnplan plan`: solve a scenario and write the plan.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use cdnplan_core::geo::CountryCode;
use cdnplan_io::output::{self, OutputDir};
use cdnplan_io::scenario::{self, PlanError, PlanOptions, Scenario};

use crate::args::PlanArgs;
use crate::inputs::Context;
use crate::messages::{self, info};
use crate::progress::Bars;

/// Runs the subcommand.
pub fn run(ctx: &Context, a: PlanArgs, bars: &Bars) -> Result<()> {
    // --time-limit bounds the whole run, reading the inputs included.
    let run_started = std::time::Instant::now();
    let mut s = ctx.scenario(&a.input)?;
    let c = &mut s.constraints;
    if let Some(k) = a.max_moves {
        c.max_moves = k;
    }
    if let Some(n) = a.add {
        c.add = n;
    }
    // A what-if: the named changes, and no other move unless --max-moves says so.
    if !a.add_at.is_empty() || !a.moves.is_empty() {
        c.add += a.add_at.len();
        c.required_sites.extend(a.add_at.iter().cloned());
        for (node, site) in &a.moves {
            c.moved.push(node.clone());
            c.required_sites.push(site.clone());
        }
        if a.max_moves.is_none() {
            c.max_moves = a.moves.len();
        }
    }
    if let Some(n) = a.remove {
        c.remove = n;
    }
    c.pinned.extend(a.pinned.iter().cloned());
    c.forbidden_sites.extend(a.forbidden_sites.iter().cloned());
    c.forbidden_providers
        .extend(a.forbidden_providers.iter().cloned());
    for cc in &a.forbidden_countries {
        c.forbidden_countries
            .push(CountryCode::new(cc).with_context(|| format!("--forbid-country {cc}"))?);
    }
    if let Some(m) = a.method {
        s.solver.method = m;
    }
    if let Some(b) = a.backend {
        s.solver.backend = b;
    }
    if let Some(t) = a.time_limit {
        if let Err(e) = cdnplan_core::solve::time_limit_from_secs(t) {
            anyhow::bail!("--time-limit {e}");
        }
        s.solver.time_limit_s = t;
    }
    if let Some(seed) = a.seed {
        s.seed = seed;
    }
    if a.no_reassign {
        s.reassign.enabled = false;
    }
    if a.assume_bags.is_some() {
        s.reassign.assume_bags = a.assume_bags;
    }
    if let Some(n) = a.batch_size {
        s.reassign.batch_size = n;
    }
    let curve = a.curve.as_deref().map(parse_curve).transpose()?;
    apply_objective(&mut s, &a)?;
    apply_capacity(&mut s, &a)?;
    s.check()
        .context("invalid scenario after applying the command-line overrides")?;
    let out_dir: PathBuf = a.out.clone().unwrap_or_else(|| s.output_dir.clone());
    // Fail before the long part when the outputs cannot be written.
    check_out_dir(&out_dir)?;
    output::check_dir(&out_dir).context("cannot write the plan")?;

    let chain = match &a.rpc {
        Some(_) if s.network.topology.is_none() || !s.reassign.enabled => bail!(
            "--rpc: the chain state is for the family ↔ bucket reassignment, which needs a topology network and [reassign] enabled (no --no-reassign)"
        ),
        Some(url) => Some(crate::reassign::read_chain(url, None)?.read),
        None => None,
    };
    let inputs = ctx.load(&s, bars)?;
    let loaded = run_started.elapsed();
    let options = PlanOptions::default()
        .node_curve(curve.map(|(first, last)| first..=last))
        .chain_read(chain)
        .started(run_started);
    let planned = scenario::plan(&s, &inputs, &options, bars).map_err(|e| match e {
        // The library names the setting; on the command line the flag is the way out.
        PlanError::Reassign(cause) => anyhow::Error::new(cause).context(
            "cannot plan the family ↔ bucket reassignment after the moves (leave it out with \
             --no-reassign)",
        ),
        other => anyhow::Error::new(other),
    })?;
    let elapsed = run_started.elapsed();
    // The whole set is one transaction: the previous set stays until the new one is complete.
    let writing = std::time::Instant::now();
    let mut out = OutputDir::begin(&out_dir).context("cannot write the plan")?;
    crate::hooks::fail_write(&mut out);
    let written = planned
        .write_into(&mut out)
        .context("cannot write the plan")?;
    crate::hooks::pause_before_commit();
    out.commit().context("cannot write the plan")?;
    let written_in = writing.elapsed();
    // Timings and paths are not results: stdout stays the same from run to run.
    let limit = s.time_limit().as_secs_f64();
    let total = elapsed + written_in;
    if total.as_secs_f64() > limit {
        // Honest about what the limit cannot shorten: reading the inputs, building the
        // client × site costs and the first answer once the solver starts, and writing
        // every output after it stops.
        let cut = if planned.plan.solver.status == cdnplan_core::solve::Status::TimeLimit {
            "; the plan is the best found when the time ran out"
        } else {
            ""
        };
        info!(
            "the run took {:.1} s against --time-limit {limit}: reading the inputs {:.1} s, \
             planning {:.1} s (building the costs and a first answer is not cut short), \
             writing the outputs {:.1} s{cut}",
            total.as_secs_f64(),
            loaded.as_secs_f64(),
            (elapsed - loaded).as_secs_f64(),
            written_in.as_secs_f64()
        );
    }
    info!(
        "solved in {:.1} s; wrote {} to {}",
        (elapsed - loaded).as_secs_f64(),
        crate::text::file_names(&written),
        out_dir.display()
    );
    // --availability: the expected service before and after the moves (moved nodes keep
    // their operator's availability; new nodes have none measured).
    let weighting = s.objective.weighting;
    let expect = |nodes: &[cdnplan_core::node::Node]| {
        crate::probe::expected(
            &a.availability,
            &planned.demand,
            nodes,
            &inputs.latency,
            weighting,
        )
    };
    let expected = match (
        expect(&planned.plan.nodes_before)?,
        expect(&planned.plan.nodes_after)?,
    ) {
        (Some(before), Some(after)) => Some((before, after)),
        _ => None,
    };
    let text = if ctx.json {
        match &expected {
            None => format!("{}\n", planned.plan.to_json_pretty()),
            Some((before, after)) => {
                let mut v: serde_json::Value =
                    serde_json::from_str(&planned.plan.to_json_pretty())?;
                v["availability"] = serde_json::json!({ "before": before, "after": after });
                format!("{}\n", serde_json::to_string_pretty(&v)?)
            }
        }
    } else {
        let mut t = planned.text();
        if let Some((before, after)) = &expected {
            let th = a.availability.availability_threshold;
            t.push_str(&crate::probe::expected_text(
                before,
                th,
                "Before the moves, with observed availability",
            ));
            t.push_str(&crate::probe::expected_text(
                after,
                th,
                "After the moves, with observed availability",
            ));
        }
        t
    };
    messages::print(&text)?;
    Ok(())
}

/// Fails when `dir` cannot become a directory: the nearest existing ancestor must be one.
fn check_out_dir(dir: &Path) -> Result<()> {
    for a in dir.ancestors().filter(|a| !a.as_os_str().is_empty()) {
        match std::fs::metadata(a) {
            Ok(m) if m.is_dir() => return Ok(()),
            Ok(_) => bail!(
                "cannot write the plan to {}: {} is not a directory",
                dir.display(),
                a.display()
            ),
            // Missing, or under a file: look further up for the culprit.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) => {}
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "cannot write the plan to {}: {}",
                        dir.display(),
                        a.display()
                    )
                });
            }
        }
    }
    Ok(())
}

/// `--objective`, `--threshold-ms`, `--redundancy-k`, `--penalty-ms` over the scenario's
/// `[objective]`.
fn apply_objective(s: &mut Scenario, a: &PlanArgs) -> Result<()> {
    let o = &mut s.objective;
    if let Some(kind) = a.objective {
        o.kind = kind;
    }
    if let Some(t) = a.threshold_ms {
        anyhow::ensure!(
            t.is_finite() && t >= 0.0,
            "--threshold-ms {t}: must be a non-negative number of ms"
        );
        o.threshold_ms = Some(t);
    }
    if let Some(k) = a.redundancy_k {
        anyhow::ensure!(k >= 1, "--redundancy-k 0: must be at least 1");
        o.k = Some(k);
    }
    if let Some(p) = a.penalty_ms {
        anyhow::ensure!(
            p.is_finite() && p >= 0.0,
            "--penalty-ms {p}: must be a non-negative number of ms"
        );
        o.penalty_ms = Some(p);
    }
    Ok(())
}

/// `--egress-gbps`, `--assignment`, `--peak-to-mean`, `--budget-usd` over the scenario's
/// `[capacity]`; any of them turns capacities on.
fn apply_capacity(s: &mut Scenario, a: &PlanArgs) -> Result<()> {
    let any = a.egress_gbps.is_some()
        || a.assignment.is_some()
        || a.peak_to_mean.is_some()
        || a.budget_usd.is_some();
    if !any {
        return Ok(());
    }
    let c = s.capacity.get_or_insert_with(Default::default);
    if let Some(g) = a.egress_gbps {
        anyhow::ensure!(
            g.is_finite() && g > 0.0,
            "--egress-gbps {g}: must be a positive number of Gbit/s"
        );
        c.default_egress_gbps = g;
    }
    if let Some(kind) = a.assignment {
        c.assignment = kind;
    }
    if let Some(f) = a.peak_to_mean {
        anyhow::ensure!(
            f.is_finite() && f > 0.0,
            "--peak-to-mean {f}: must be a positive factor (e.g. 2)"
        );
        c.peak_to_mean = Some(f);
    }
    if let Some(b) = a.budget_usd {
        anyhow::ensure!(
            b.is_finite() && b >= 0.0,
            "--budget-usd {b}: must be a non-negative number of USD"
        );
        c.budget_usd = Some(b);
    }
    Ok(())
}

/// `--curve 1..N` (or `N`, or `A..B`, or `A..=B`) as `(first, last)` node counts.
fn parse_curve(text: &str) -> Result<(usize, usize)> {
    let bad = || {
        anyhow::anyhow!("--curve {text}: expected 1..N (e.g. 1..12), or N, with 1 ≤ first ≤ last")
    };
    let parse = |x: &str| x.trim().parse::<usize>().map_err(|_| bad());
    let (first, last) = match text.split_once("..") {
        Some((a, b)) => (parse(a)?, parse(b.trim_start_matches('='))?),
        None => (1, parse(text)?),
    };
    if first == 0 || first > last {
        return Err(bad());
    }
    Ok((first, last))
}

#[cfg(test)]
mod tests {
    use super::parse_curve;

    #[test]
    fn curve_ranges_parse() {
        assert_eq!(parse_curve("1..12").unwrap(), (1, 12));
        assert_eq!(parse_curve("3..=5").unwrap(), (3, 5));
        assert_eq!(parse_curve("7").unwrap(), (1, 7));
        for bad in ["0..3", "5..2", "x", "1..", ""] {
            assert!(parse_curve(bad).is_err(), "{bad}");
        }
    }
}
