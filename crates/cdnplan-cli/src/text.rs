//! Plain-text tables for the terminal.

use std::fmt::Write as _;

use cdnplan_core::plan::{self, MoveKind, Plan};
use cdnplan_core::serving::Evaluation;
use cdnplan_core::{Demand, Weighting};
use cdnplan_io::logs::IngestReport;

/// A left/right aligned text table.
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
pub fn pct(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

/// `84.2`.
pub fn ms(v: f64) -> String {
    format!("{v:.1}")
}

/// Optional ms.
pub fn ms_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), ms)
}

/// The metrics block of an evaluation.
pub fn evaluation(e: &Evaluation, title: &str) -> String {
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
pub fn weighting_name(w: Weighting) -> &'static str {
    match w {
        Weighting::Requests => "requests",
        Weighting::Bytes => "bytes",
        Weighting::Clients => "clients",
    }
}

/// The top `n` cells by requests.
pub fn top_cells(d: &Demand, n: usize) -> String {
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

/// The terminal summary of a plan: headline, metrics before/after, moves, solver.
pub fn plan_summary(p: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", plan::summary(p));
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
                "  {}. {what}: mean RTT {} ms ({:+.1} ms)\n     {}",
                m.step,
                ms(m.mean_rtt_after_ms),
                -m.gain_ms,
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
    let _ = writeln!(
        out,
        "Solver: {} — {}; objective {} ms, lower bound {} ms",
        p.solver.method,
        plan::solver_status(p),
        ms(p.solver.objective_mean_rtt_ms),
        ms(p.solver.lower_bound_mean_rtt_ms)
    );
    if !p.ignored_inactive.is_empty() {
        let _ = writeln!(
            out,
            "Not planned (inactive: no endpoint or not distributing): {}",
            p.ignored_inactive.join(", ")
        );
    }
    out
}

/// `2.3 MB` (powers of 1000, one decimal).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1000.0;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn by_reason(m: &std::collections::BTreeMap<String, u64>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The one-line ingestion summary printed by default (`--verbose` prints the whole report).
pub fn ingest_summary(r: &IngestReport) -> String {
    // A read from a cluster has no files: name what was read instead.
    let source = if r.files == 0 {
        if r.bytes_read > 0 {
            format!(
                "read from the cluster ({} of documents, {})",
                human_bytes(r.bytes_read),
                plural(r.records, "record", "records")
            )
        } else {
            format!(
                "aggregated in the cluster ({})",
                plural(r.records, "record", "records")
            )
        }
    } else {
        format!(
            "ingested {} ({}, {})",
            plural(r.files, "log file", "log files"),
            human_bytes(r.bytes_read),
            plural(r.records, "record", "records")
        )
    };
    let mut s = format!(
        "{source}: {} counted, {} located ({})",
        plural(r.requests_counted, "request", "requests"),
        r.requests_located(),
        pct(if r.requests_counted == 0 {
            0.0
        } else {
            r.requests_located() as f64 / r.requests_counted as f64
        })
    );
    if !r.filtered_out.is_empty() {
        let _ = write!(
            s,
            "; {} filtered out ({})",
            r.filtered_total(),
            by_reason(&r.filtered_out)
        );
    }
    s
}

/// What the user must hear about an ingestion even with `--quiet`: skipped records and
/// requests that could not be located (both are missing from the demand).
pub fn ingest_warnings(r: &IngestReport) -> Vec<String> {
    let mut out = Vec::new();
    if r.skipped_malformed > 0 {
        let mut w = format!(
            "skipped {} ({})",
            plural(r.skipped_malformed, "malformed record", "malformed records"),
            by_reason(&r.skipped_by_reason)
        );
        if let Some(first) = r.skipped_examples.first() {
            let _ = write!(w, "; first at {first}");
        }
        out.push(w);
    }
    if r.unlocated_requests > 0 {
        let mut w = format!(
            "{} from {} could not be located and are left out ({})",
            plural(r.unlocated_requests, "request", "requests"),
            plural(r.unlocated_clients, "client", "clients"),
            by_reason(&r.unlocated_by_reason)
        );
        if let Some(e) = r.unlocated_examples.first() {
            let _ = write!(w, "; e.g. {} first at {}", e.ip, e.first_seen);
        }
        out.push(w);
    }
    out
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_in_decimal_units() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(2_276_366), "2.3 MB");
        assert_eq!(human_bytes(36_529_597_000), "36.5 GB");
    }

    #[test]
    fn ingest_summary_is_one_line_and_skips_are_warnings() {
        let mut r = IngestReport {
            files: 1,
            bytes_read: 2_276_366,
            records: 60_000,
            requests_counted: 4,
            skipped_malformed: 1,
            ..Default::default()
        };
        r.filtered_out.insert("status 404".into(), 3);
        r.skipped_by_reason.insert("malformed JSON".into(), 1);
        r.skipped_examples
            .push("a.log:3: field `record`: malformed JSON".into());
        assert_eq!(
            ingest_summary(&r),
            "ingested 1 log file (2.3 MB, 60000 records): 4 requests counted, 4 located \
             (100.0 %); 3 filtered out (status 404: 3)"
        );
        r.files = 0;
        assert!(
            ingest_summary(&r).starts_with(
                "read from the cluster (2.3 MB of documents, 60000 records): 4 requests counted"
            ),
            "{}",
            ingest_summary(&r)
        );
        r.bytes_read = 0;
        assert!(ingest_summary(&r).starts_with("aggregated in the cluster (60000 records)"));
        assert_eq!(
            ingest_warnings(&r),
            [
                "skipped 1 malformed record (malformed JSON: 1); first at a.log:3: field \
              `record`: malformed JSON"
            ]
        );
    }

    #[test]
    fn table_aligns_numbers_right() {
        let mut t = Table::new(&["a", " n"]);
        t.row(vec!["x".into(), "1".into()]);
        t.row(vec!["long".into(), "100".into()]);
        assert_eq!(t.render(), "a       n\nx       1\nlong  100\n");
    }
}
