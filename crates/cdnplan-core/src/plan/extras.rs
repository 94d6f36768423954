//! The report sections of the plan additions: objective, service within a threshold (coverage,
//! worst-served cells, single failures), load versus capacity and the node curve. Each appears only when the plan
//! has its data, so a mean-RTT plan's report is unchanged.

use std::fmt::Write;

use super::Plan;
use super::text::{cell, ms, opt_ms, pct, serde_name, signed};
use crate::serving::{FailureRow, WorstCell};

/// Writes every addition `plan` carries.
pub(crate) fn write_extras(out: &mut String, plan: &Plan) -> std::fmt::Result {
    write_objective(out, plan)?;
    write_service(out, plan)?;
    super::capacity_report::write_capacity(out, plan)?;
    write_node_curve(out, plan)
}

fn write_objective(out: &mut String, plan: &Plan) -> std::fmt::Result {
    let Some(o) = &plan.objective else {
        return Ok(());
    };
    let bound = if o.maximise { "at most" } else { "at least" };
    writeln!(out, "## Objective\n")?;
    writeln!(
        out,
        "Optimised for **{}** ({}): {} today, **{}** after the plan; the best possible is {bound} \
         {}: **{}** (`{}`).\n",
        o.objective.describe(),
        o.measure,
        o.format(o.before),
        o.format(o.after),
        o.format(o.bound),
        status_text(o.status),
        o.method
    )?;
    if o.curve.len() > 1 {
        writeln!(
            out,
            "| Moves | Best | Bound | Status |\n|---:|---:|---:|---|"
        )?;
        for p in &o.curve {
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                p.moves,
                o.format(p.best),
                o.format(p.bound),
                serde_name(&p.status)
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn status_text(s: crate::solve::Status) -> &'static str {
    use crate::solve::Status;
    match s {
        Status::Optimal => "optimal (proven)",
        Status::GapLimit => "within the gap tolerance (proven)",
        Status::TimeLimit => "time limit reached, not proven",
        Status::Heuristic => "heuristic, not proven",
    }
}

fn write_service(out: &mut String, plan: &Plan) -> std::fmt::Result {
    let Some(s) = &plan.service else {
        return Ok(());
    };
    let t = s.threshold_ms;
    writeln!(out, "## Service within {t} ms\n")?;
    writeln!(
        out,
        "Within {t} ms: {} of the demand today, **{}** after the plan ({}).\n",
        pct(s.within_before),
        pct(s.within_after),
        signed((s.within_after - s.within_before) * 100.0, 1, " pts")
    )?;
    writeln!(out, "### Worst-served cells\n")?;
    write_worst(out, "Today", &s.worst_before)?;
    write_worst(out, "After the plan", &s.worst_after)?;
    writeln!(out, "### If one node fails\n")?;
    writeln!(
        out,
        "Each row takes one node down; its cells fall back to their next nearest node.\n"
    )?;
    write_failures(out, "Today", &s.failures_before, plan.before.mean_rtt_ms, t)?;
    write_failures(
        out,
        "After the plan",
        &s.failures_after,
        plan.after.mean_rtt_ms,
        t,
    )
}

fn write_worst(out: &mut String, title: &str, rows: &[WorstCell]) -> std::fmt::Result {
    writeln!(out, "{title}:\n")?;
    writeln!(out, "| Cell | Node | RTT | Share |\n|---|---|---:|---:|")?;
    for w in rows {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&w.cell),
            cell(&w.node),
            ms(w.rtt_ms),
            pct(w.weight_share)
        )?;
    }
    writeln!(out)
}

fn write_failures(
    out: &mut String,
    title: &str,
    rows: &[FailureRow],
    mean_ms: f64,
    t: f64,
) -> std::fmt::Result {
    writeln!(out, "{title} (all up: mean RTT {}):\n", ms(mean_ms))?;
    writeln!(
        out,
        "| Node down | Serves | Mean RTT | Change | Within {t} ms | Worst RTT |\n\
         |---|---:|---:|---:|---:|---:|"
    )?;
    for f in rows {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&f.node),
            pct(f.weight_share),
            opt_ms(f.mean_rtt_ms),
            f.delta_ms
                .map_or_else(|| "–".into(), |d| signed(d, 1, " ms")),
            f.within_share.map_or_else(|| "–".into(), pct),
            opt_ms(f.worst_rtt_ms)
        )?;
    }
    writeln!(out)
}

fn write_node_curve(out: &mut String, plan: &Plan) -> std::fmt::Result {
    let Some(first) = plan.node_curve.first() else {
        return Ok(());
    };
    let (what, fmt): (String, Box<dyn Fn(f64) -> String>) = match &plan.objective {
        Some(o) if o.maximise => (o.measure.clone(), Box::new(pct)),
        Some(o) => (o.measure.clone(), Box::new(ms)),
        None => ("mean RTT".into(), Box::new(ms)),
    };
    let last = plan.node_curve.last().unwrap_or(first);
    writeln!(out, "## What is one more node worth?\n")?;
    writeln!(
        out,
        "The best placement of {}–{} nodes (current positions and candidate sites, pins and \
         exclusions kept, no move budget), by {what}.\n",
        first.nodes, last.nodes
    )?;
    writeln!(
        out,
        "| Nodes | Best | Bound | Status | The n-th node adds | Mean RTT |\n\
         |---:|---:|---:|---|---:|---:|"
    )?;
    for p in &plan.node_curve {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            p.nodes,
            fmt(p.best),
            fmt(p.bound),
            serde_name(&p.status),
            p.marginal.map_or_else(|| "–".into(), &fmt),
            ms(p.mean_rtt_ms)
        )?;
    }
    writeln!(out)
}
