//! `cdnplan evaluate`: how today's nodes serve the demand.

use anyhow::{Context as _, Result};
use cdnplan_core::serving;

use crate::args::EvaluateArgs;
use crate::inputs::Context;
use crate::messages::{self, warning};
use crate::progress::Bars;

/// Runs the subcommand.
pub fn run(ctx: &Context, a: EvaluateArgs, bars: &Bars) -> Result<()> {
    let s = ctx.scenario(&a.input)?;
    let inputs = ctx.load(&s, bars)?;
    if let Err(e) = inputs.check_capacity(&inputs.nodes) {
        warning!("{e:#}");
    }
    let e = serving::evaluate(
        &inputs.demand,
        &inputs.nodes,
        &inputs.latency,
        s.objective.weighting,
    )
    .context("cannot evaluate the current nodes")?;
    if let Some(path) = &a.report {
        let page = cdnplan_core::plan::evaluation_html(
            &s.name,
            &inputs.demand,
            &inputs.nodes,
            &e,
            &cdnplan_core::plan::WorldOutline::bundled(),
        );
        cdnplan_io::output::write_atomic(path, page.as_bytes())
            .with_context(|| format!("cannot write the report (--report {})", path.display()))?;
    }
    let expected = crate::probe::expected(
        &a.availability,
        &inputs.demand,
        &inputs.nodes,
        &inputs.latency,
        s.objective.weighting,
    )?;
    let peak = inputs.peak_source();
    // With [capacity]: the peak load on each node, every cell at its nearest node.
    let loads = match &s.capacity {
        Some(c) => Some(
            inputs
                .capacity_model(c)
                .and_then(|m| {
                    Ok(m.nearest_loads(
                        &inputs.demand,
                        &inputs.nodes,
                        &inputs.latency,
                        s.objective.weighting,
                    )?)
                })
                .context("cannot compute the load versus capacity per node")?,
        ),
        None => None,
    };
    let text = if ctx.json {
        let mut doc = serde_json::json!({
            "type": "evaluation",
            "version": 1,
            "scenario": s.name,
            "demand_cells": inputs.demand.cells.len(),
            "requests": inputs.demand.total_requests(),
            "peak": peak,
            "nodes": inputs.nodes,
            "evaluation": e,
        });
        if let Some(l) = &loads {
            doc["loads"] = serde_json::to_value(l)?;
        }
        if let Some(x) = &expected {
            doc["availability"] = serde_json::to_value(x)?;
        }
        format!("{}\n", serde_json::to_string_pretty(&doc)?)
    } else {
        let active = inputs.nodes.iter().filter(|n| n.active).count();
        let mut t = format!(
            "{} demand cells, {} requests; {} nodes ({} active)\n{peak}\n\n{}",
            inputs.demand.cells.len(),
            inputs.demand.total_requests(),
            inputs.nodes.len(),
            active,
            cdnplan_core::plan::evaluation_text(&e, "Current service")
        );
        if let Some(loads) = &loads {
            t.push_str("Load versus capacity at the peak hour, each cell at its nearest node:\n");
            for l in loads {
                let over = if l.load_gbps > l.capacity_gbps * (1.0 + 1e-9) {
                    "  OVERLOADED"
                } else {
                    ""
                };
                t.push_str(&format!("  {}{over}\n", l.line()));
            }
        }
        if let Some(x) = &expected {
            t.push_str(&crate::probe::expected_text(
                x,
                a.availability.availability_threshold,
                "With observed availability",
            ));
        }
        t
    };
    messages::print(&text)?;
    Ok(())
}
