//! Plain text for a terminal: a plan's summary, an evaluation, the top demand cells.
//!
//! What `cdnplan plan`, `evaluate` and `demand` print, as pure functions of their values, so
//! an embedder prints the same text. Tables are aligned with spaces ([`Table`]).

use std::fmt::Write as _;

use super::{MoveKind, Plan};
use crate::demand::{Demand, Weighting};
use crate::serving::{Evaluation, FailureRow};
use crate::solve::Status;

/// The terminal summary of a plan: headline, metrics before/after, moves, the curve and the
/// solver, then what the plan adds (objective, service within a threshold, node curve) and
/// its capacities.
pub fn plan_text(p: &Plan) -> String {
    let mut out = plan_summary(p);
    out.push_str(&plan_extras(p));
    if let Some(c) = &p.capacity {
        for line in c.lines() {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// The headline, metrics before/after, moves and solver of a plan.
fn plan_summary(p: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", super::summary(p));
    let mut t = Table::new(&["metric", " before", " after"]);
    let (b, a) = (&p.before, &p.after);
    t.row(vec![
        "mean RTT ms".into(),
        ms(b.mean_rtt_ms),
        ms(a.mean_rtt_ms),
    ]);
    t.row(vec![
        "p50 RTT ms".into(),
        ms(b.p50_rtt_ms),
        ms(a.p50_rtt_ms),
    ]);
    t.row(vec![
        "p90 RTT ms".into(),
        ms(b.p90_rtt_ms),
        ms(a.p90_rtt_ms),
    ]);
    t.row(vec![
        "p95 RTT ms".into(),
        ms(b.p95_rtt_ms),
        ms(a.p95_rtt_ms),
    ]);
    for (cb, ca) in b.coverage.iter().zip(&a.coverage) {
        t.row(vec![
            format!("within {:.0} ms", cb.threshold_ms),
            pct(cb.share),
            pct(ca.share),
        ]);
    }
    out.push_str(&indent(&t.render()));
    let _ = writeln!(out);
    if !p.moves.is_empty() {
        let _ = writeln!(out, "Moves, in order (each prefix is itself a plan):");
        for m in &p.moves {
            let what = match m.kind {
                MoveKind::Relocate => format!(
                    "move {} from {} to {}",
                    m.node.as_deref().unwrap_or("?"),
                    m.from.as_ref().map_or("?", |f| f.label.as_str()),
                    m.to.as_ref().map_or("?", |t| t.label.as_str())
                ),
                MoveKind::Add => format!(
                    "add a node at {}",
                    m.to.as_ref().map_or("?", |t| t.label.as_str())
                ),
                MoveKind::Remove => format!(
                    "remove {} at {}",
                    m.node.as_deref().unwrap_or("?"),
                    m.from.as_ref().map_or("?", |f| f.label.as_str())
                ),
            };
            let _ = writeln!(
                out,
                "  {}. {what}: mean RTT {} ms ({})\n     {}",
                m.step,
                ms(m.mean_rtt_after_ms),
                super::text::signed(-m.gain_ms, 1, " ms"),
                m.reason
            );
        }
        let _ = writeln!(out);
    }
    if !p.curve.is_empty() {
        let mut t = Table::new(&["moves", " this plan ms", " best with k ms", " bound ms"]);
        for c in &p.curve {
            t.row(vec![
                c.moves.to_string(),
                ms(c.plan_prefix_mean_rtt_ms),
                ms(c.best_mean_rtt_ms),
                ms(c.lower_bound_mean_rtt_ms),
            ]);
        }
        let _ = writeln!(out, "Mean RTT after k moves:");
        out.push_str(&indent(&t.render()));
        let _ = writeln!(out);
    }
    if p.solver.mean_rtt_role == super::MeanRttRole::TieBreak {
        let _ = writeln!(
            out,
            "Solver: {}; {}",
            p.solver.method,
            super::report::tie_break_sentence(p)
        );
    } else {
        let _ = writeln!(
            out,
            "Solver: {} — {}; objective {} ms, lower bound {} ms",
            p.solver.method,
            super::solver_status(p),
            ms(p.solver.objective_mean_rtt_ms),
            ms(p.solver.lower_bound_mean_rtt_ms)
        );
    }
    if let Some(t) = super::serving_rule_text(p) {
        let _ = writeln!(out, "{t}");
    }
    if !p.ignored_inactive.is_empty() {
        let _ = writeln!(
            out,
            "Not planned (inactive: no endpoint or not distributing): {}",
            p.ignored_inactive.join(", ")
        );
    }
    out
}

/// The additions `p` carries, as text blocks (empty for a plain mean-RTT plan).
fn plan_extras(p: &Plan) -> String {
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

/// A status in words: `time limit`.
fn status(s: &Status) -> String {
    s.name().replace('_', " ")
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}\n")).collect()
}

/// The metrics block of an evaluation.
pub fn evaluation_text(e: &Evaluation, title: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{title}");
    let _ = writeln!(
        out,
        "  demand-weighted RTT (by {}): mean {} ms, p50 {} ms, p90 {} ms, p95 {} ms",
        weighting_name(e.weighting),
        ms(e.mean_rtt_ms),
        ms(e.p50_rtt_ms),
        ms(e.p90_rtt_ms),
        ms(e.p95_rtt_ms)
    );
    let cov: Vec<String> = e
        .coverage
        .iter()
        .map(|c| format!("≤{:.0} ms {}", c.threshold_ms, pct(c.share)))
        .collect();
    let _ = writeln!(out, "  share of demand within: {}", cov.join(", "));
    let _ = writeln!(out);
    let mut t = Table::new(&[
        "node",
        "active",
        " load",
        " requests",
        " cells",
        " mean RTT ms",
    ]);
    for n in &e.nodes {
        t.row(vec![
            n.node.clone(),
            if n.active { "yes".into() } else { "no".into() },
            pct(n.weight_share),
            n.requests.to_string(),
            n.cells.to_string(),
            ms_opt(n.mean_rtt_ms),
        ]);
    }
    out.push_str(&indent(&t.render()));
    let _ = writeln!(out);
    let mut t = Table::new(&[
        "continent",
        " demand",
        " requests",
        " mean RTT ms",
        " p90 ms",
        "main node",
    ]);
    for c in &e.continents {
        t.row(vec![
            c.continent.map_or_else(
                || "unknown".into(),
                |c| format!("{} {}", c.code(), c.name()),
            ),
            pct(c.weight_share),
            c.requests.to_string(),
            ms_opt(c.mean_rtt_ms),
            ms_opt(c.p90_rtt_ms),
            c.main_node.clone().unwrap_or_else(|| "–".into()),
        ]);
    }
    out.push_str(&indent(&t.render()));
    out
}

/// `requests`, `bytes` or `clients`, as the flag spells it.
fn weighting_name(w: Weighting) -> &'static str {
    match w {
        Weighting::Requests => "requests",
        Weighting::Bytes => "bytes",
        Weighting::Clients => "clients",
    }
}

/// The top `n` cells by requests.
pub fn top_cells_text(d: &Demand, n: usize) -> String {
    let total = d.total_requests().max(1) as f64;
    let mut cells: Vec<_> = d.cells.iter().collect();
    cells.sort_by(|a, b| b.requests.cmp(&a.requests).then_with(|| a.id.cmp(&b.id)));
    let mut t = Table::new(&[
        "cell",
        "continent",
        " requests",
        " share",
        " bytes",
        " clients",
        "location",
    ]);
    for c in cells.into_iter().take(n) {
        t.row(vec![
            c.id.clone(),
            c.continent
                .map_or_else(|| "–".into(), |c| c.code().to_string()),
            c.requests.to_string(),
            pct(c.requests as f64 / total),
            c.bytes.to_string(),
            c.unique_clients.to_string(),
            c.location.to_string(),
        ]);
    }
    t.render()
}

/// A left/right aligned text table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    right: Vec<bool>,
}

impl Table {
    /// A table with these column headers; columns whose header starts with a space are
    /// right-aligned (numbers).
    pub fn new(header: &[&str]) -> Self {
        Table {
            right: header.iter().map(|h| h.starts_with(' ')).collect(),
            header: header.iter().map(|h| h.trim().to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Renders with two spaces between columns.
    pub fn render(&self) -> String {
        let n = self.header.len();
        let mut w = vec![0; n];
        for r in std::iter::once(&self.header).chain(&self.rows) {
            for (i, c) in r.iter().enumerate().take(n) {
                w[i] = w[i].max(c.chars().count());
            }
        }
        let mut out = String::new();
        for r in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::new();
            for (i, c) in r.iter().enumerate().take(n) {
                let pad = w[i] - c.chars().count();
                if i > 0 {
                    line.push_str("  ");
                }
                if self.right[i] {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(c);
                } else {
                    line.push_str(c);
                    if i + 1 < n {
                        line.push_str(&" ".repeat(pad));
                    }
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// `12.3 %`.
fn pct(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

/// `84.2` (ms without the unit: the column headers name it).
fn ms(v: f64) -> String {
    format!("{v:.1}")
}

/// Optional ms.
fn ms_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_numbers_right() {
        let mut t = Table::new(&["a", " n"]);
        t.row(vec!["x".into(), "1".into()]);
        t.row(vec!["long".into(), "100".into()]);
        assert_eq!(t.render(), "a       n\nx       1\nlong  100\n");
    }
}
