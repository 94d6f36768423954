//! `cdnplan plan`: solve a scenario and write the plan.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use cdnplan_core::geo::CountryCode;
use cdnplan_core::plan::{self, PlanRequest, ReassignmentSummary};
use cdnplan_core::reassign::{self, Assessed, ReassignRequest};
use cdnplan_core::solve::SolveOptions;
use cdnplan_io::scenario::{Inputs, Scenario};

use crate::args::PlanArgs;
use crate::inputs::Context;
use crate::messages::{self, info};
use crate::progress::Bars;
use crate::text;

/// Runs the subcommand.
pub fn run(ctx: &Context, a: PlanArgs, bars: &Bars) -> Result<()> {
    let mut s = ctx.scenario(&a.input)?;
    let c = &mut s.constraints;
    if let Some(k) = a.max_moves {
        c.max_moves = k;
    }
    if let Some(n) = a.add {
        c.add = n;
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
    if let Some(m) = &a.method {
        s.solver.method = serde_json::from_value(serde_json::Value::String(m.clone()))
            .map_err(|_| anyhow::anyhow!("--method {m}: expected auto, exact or heuristic"))?;
    }
    if let Some(b) = &a.backend {
        s.solver.backend = serde_json::from_value(serde_json::Value::String(b.clone()))
            .map_err(|_| anyhow::anyhow!("--backend {b}: expected microlp or highs"))?;
    }
    if let Some(t) = a.time_limit {
        anyhow::ensure!(
            t.is_finite() && t > 0.0,
            "--time-limit {t}: must be a positive number of seconds"
        );
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
    s.check()
        .context("invalid scenario after applying the command-line overrides")?;
    let out_dir: PathBuf = a.out.clone().unwrap_or_else(|| s.output_dir.clone());
    // Fail before the long part when the outputs cannot be written.
    check_out_dir(&out_dir)?;

    let inputs = ctx.load(&s, bars)?;
    check_names(&s, &inputs)?;
    let mut options = SolveOptions::default();
    options.method = s.solver.method;
    options.backend = s.solver.backend;
    options.time_limit = s.time_limit();
    options.seed = s.seed;

    let started = std::time::Instant::now();
    let request = PlanRequest {
        name: s.name.clone(),
        description: s.description.clone(),
        demand: &inputs.demand,
        nodes: &inputs.nodes,
        sites: &inputs.sites,
        latency: &inputs.latency,
        weighting: s.objective.weighting,
        cells: inputs.demand.kind,
        constraints: &s.constraints,
        options: &options,
        sources: inputs.sources.clone(),
    };
    let plan = plan::build(&request, bars).context("cannot plan the scenario")?;
    inputs
        .check_capacity(&plan.nodes_after)
        .context("the planned nodes cannot carry the demand")?;
    // The families and buckets after the moves, when the nodes come from a topology.
    let (plan, reassigned) = match reassignment(&s, &inputs, &plan)? {
        Some((summary, assessed)) => (plan.with_reassignment(summary), Some(assessed)),
        None => (plan, None),
    };
    let elapsed = started.elapsed();
    let mut written = cdnplan_io::output::write_plan(&out_dir, &plan, &inputs.demand)
        .context("cannot write the plan")?;
    if let Some(a) = &reassigned {
        let title = format!(
            "Family ↔ bucket reassignment after the moves: {}",
            s.name.trim()
        );
        written.extend(
            cdnplan_io::output::write_reassignment(&out_dir, a, &title)
                .context("cannot write the reassignment")?
                .into_iter()
                .filter(|p| p.parent() == Some(out_dir.as_path())),
        );
    }
    // Timings and paths are not results: stdout stays the same from run to run.
    info!(
        "solved in {:.1} s; wrote {} to {}",
        elapsed.as_secs_f64(),
        written
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy())
            .collect::<Vec<_>>()
            .join(", "),
        out_dir.display()
    );
    let text = if ctx.json {
        format!("{}\n", plan.to_json_pretty())
    } else {
        let mut t = text::plan_summary(&plan);
        if let Some(r) = &plan.reassignment {
            let c = &r.cost;
            t.push_str(&format!(
                "Families and buckets after the moves: {} calls ({} by the lead, {} by operators), {} of {} bags move{}; see {}\n",
                c.lead_calls + c.operator_calls,
                c.lead_calls,
                c.operator_calls,
                c.bags_moved,
                r.bags,
                if r.assumed_bags.is_some() { " (bags assumed)" } else { "" },
                r.report
            ));
        }
        t
    };
    messages::print(&text)?;
    Ok(())
}

/// The reassignment after the plan's moves, when the scenario's network is a topology and
/// `[reassign]` is enabled.
fn reassignment(
    s: &Scenario,
    inputs: &Inputs,
    plan: &cdnplan_core::plan::Plan,
) -> Result<Option<(ReassignmentSummary, Assessed)>> {
    let Some(path) = s.network.topology.as_deref().filter(|_| s.reassign.enabled) else {
        return Ok(None);
    };
    let mut topology = cdnplan_io::data::load_topology(path).context("cannot load the topology")?;
    let assumed = crate::reassign::assume_bags(&mut topology, s.reassign.assume_bags, false);
    let options = crate::reassign::options(s, &topology)?;
    let a = reassign::reassign_after_moves(&ReassignRequest {
        topology: &topology,
        moves: &plan.moves,
        sites: &inputs.sites,
        demand: &inputs.demand,
        latency: &inputs.latency,
        weighting: s.objective.weighting,
        options: &options,
    })
    .context("cannot plan the family ↔ bucket reassignment after the moves (leave it out with --no-reassign)")?;
    Ok(Some((
        ReassignmentSummary::new(&a, "reassign.md", assumed),
        a,
    )))
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

/// Names in the constraints that match nothing are typos (`UK` for `GB`), not no-ops.
/// (The planner itself rejects unknown node and site ids.)
fn check_names(s: &Scenario, inputs: &Inputs) -> Result<()> {
    let c = &s.constraints;
    for cc in &c.forbidden_countries {
        anyhow::ensure!(
            inputs.countries.get(*cc).is_some(),
            "forbidden country {cc} is not in the country table {}",
            s.network.countries.display()
        );
    }
    let providers: BTreeSet<&str> = inputs.sites.iter().map(|x| x.provider.as_str()).collect();
    for p in &c.forbidden_providers {
        anyhow::ensure!(
            providers.contains(p.as_str()),
            "forbidden provider {p:?} matches no candidate site in {} (providers: {})",
            s.network.sites.display(),
            providers.iter().copied().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(())
}
