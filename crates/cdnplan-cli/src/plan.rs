//! `cdnplan plan`: solve a scenario and write the plan.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use cdnplan_core::geo::CountryCode;
use cdnplan_core::plan::{self, PlanRequest};
use cdnplan_core::solve::SolveOptions;

use crate::args::PlanArgs;
use crate::inputs::Context;
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
        s.solver.time_limit_s = t;
    }
    if let Some(seed) = a.seed {
        s.seed = seed;
    }
    s.check()
        .context("invalid scenario after applying the command-line overrides")?;
    let out_dir: PathBuf = a.out.clone().unwrap_or_else(|| s.output_dir.clone());

    let inputs = ctx.load(&s, bars)?;
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
    let elapsed = started.elapsed();
    let written = cdnplan_io::output::write_plan(&out_dir, &plan, &inputs.demand)
        .context("cannot write the plan")?;

    if ctx.json {
        println!("{}", plan.to_json_pretty());
    } else {
        print!("{}", text::plan_summary(&plan));
        println!(
            "\nsolved in {:.1} s; wrote {}",
            elapsed.as_secs_f64(),
            written
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}
