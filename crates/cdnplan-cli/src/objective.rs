//! The text of the plan additions: objective, service within a threshold, node curve.

use std::fmt::Write as _;

use cdnplan_core::plan::Plan;
use cdnplan_core::serving::FailureRow;

use crate::text::{Table, ms, ms_opt, pct};

/// The additions `p` carries, as text blocks (empty for a plain mean-RTT plan).
pub fn plan_extras(p: &Plan) -> String {
    let mut out = String::new();
    if let Some(o) = &p.objective {
        let bound = if o.maximise { "at most" } else { "at least" };
        let _ = writeln!(
            out,
            "Objective: {} — {} today, {} after; best possible {bound} {} ({}, {})\n",
            o.objective.describe(),
            o.format(o.before),
            o.format(o.after),
            o.format(o.bound),
            status(&o.status),
            o.method
        );
    }
    if let Some(s) = &p.service {
        let t = s.threshold_ms;
        let _ = writeln!(
            out,
            "Within {t} ms: {} today, {} after.\n",
            pct(s.within_before),
            pct(s.within_after)
        );
        let mut w = Table::new(&[
            "worst served today",
            " ms",
            " share",
            "after",
            " ms",
            " share",
        ]);
        for i in 0..s.worst_before.len().max(s.worst_after.len()).min(5) {
            let (b, a) = (s.worst_before.get(i), s.worst_after.get(i));
            w.row(vec![
                b.map_or(String::new(), |c| c.cell.clone()),
                b.map_or(String::new(), |c| ms(c.rtt_ms)),
                b.map_or(String::new(), |c| pct(c.weight_share)),
                a.map_or(String::new(), |c| c.cell.clone()),
                a.map_or(String::new(), |c| ms(c.rtt_ms)),
                a.map_or(String::new(), |c| pct(c.weight_share)),
            ]);
        }
        out.push_str(&indent(&w.render()));
        let _ = writeln!(out);
        failures(
            &mut out,
            "today",
            &s.failures_before,
            p.before.mean_rtt_ms,
            t,
        );
        failures(
            &mut out,
            "after the plan",
            &s.failures_after,
            p.after.mean_rtt_ms,
            t,
        );
    }
    if !p.node_curve.is_empty() {
        let share = p.objective.as_ref().is_some_and(|o| o.maximise);
        let fmt = |x: f64| if share { pct(x) } else { ms(x) };
        let what = p
            .objective
            .as_ref()
            .map_or_else(|| "mean RTT ms".to_string(), |o| o.measure.clone());
        let _ = writeln!(
            out,
            "What is one more node worth? Best placement of n nodes, by {what}:"
        );
        let mut t = Table::new(&[
            "nodes",
            " best",
            " bound",
            "status",
            " n-th adds",
            " mean RTT ms",
        ]);
        for c in &p.node_curve {
            t.row(vec![
                c.nodes.to_string(),
                fmt(c.best),
                fmt(c.bound),
                status(&c.status),
                c.marginal.map_or_else(|| "–".into(), fmt),
                ms(c.mean_rtt_ms),
            ]);
        }
        out.push_str(&indent(&t.render()));
        let _ = writeln!(out);
    }
    out
}

fn failures(out: &mut String, when: &str, rows: &[FailureRow], mean: f64, t: f64) {
    let _ = writeln!(
        out,
        "If one node fails, {when} (all up: mean RTT {} ms):",
        ms(mean)
    );
    let within = format!(" within {t} ms");
    let mut tb = Table::new(&[
        "node down",
        " serves",
        " mean RTT ms",
        " change",
        &within,
        " worst ms",
    ]);
    for f in rows {
        tb.row(vec![
            f.node.clone(),
            pct(f.weight_share),
            ms_opt(f.mean_rtt_ms),
            f.delta_ms
                .map_or_else(|| "–".into(), |d| format!("{d:+.1}")),
            f.within_share.map_or_else(|| "–".into(), pct),
            ms_opt(f.worst_rtt_ms),
        ]);
    }
    out.push_str(&indent(&tb.render()));
    let _ = writeln!(out);
}

fn status(s: &cdnplan_core::solve::Status) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(|x| x.replace('_', " ")))
        .unwrap_or_default()
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}\n")).collect()
}
