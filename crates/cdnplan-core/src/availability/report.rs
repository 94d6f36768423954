//! The availability report as text, Markdown and CSV.

use std::fmt::Write as _;

use super::{NodeAvailability, PingStatus};

/// What a report covers, for its heading.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportScope {
    /// Samples summarised.
    pub samples: u64,
    /// First and last sample, RFC 3339 (empty when none).
    pub from: String,
    /// Last sample, RFC 3339.
    pub to: String,
    /// A node below this availability (`0..=1`) is flagged.
    pub threshold: f64,
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.0}"))
}

fn pct(v: f64) -> String {
    format!("{:.2} %", v * 100.0)
}

fn count(n: &NodeAvailability, s: PingStatus) -> u64 {
    n.statuses.get(&s).copied().unwrap_or(0)
}

/// Nodes below `threshold`.
pub fn flagged(nodes: &[NodeAvailability], threshold: f64) -> Vec<&NodeAvailability> {
    nodes
        .iter()
        .filter(|n| n.availability < threshold)
        .collect()
}

/// The report for a terminal: one line per node, worst first, flagged nodes marked `!`.
///
/// ```
/// use cdnplan_core::availability::{report::{text, ReportScope}, summarise, PingStatus, Sample};
/// let s = Sample { operator: "0:0-3".into(), source: "eu".into(), time_ms: 0,
///     status: PingStatus::Dead, distributing: Some(true), serves_bucket: None,
///     ttfb_ms: None, endpoint: "https://a/".into(), bucket: "0:0".into() };
/// let scope = ReportScope { samples: 1, from: "a".into(), to: "b".into(), threshold: 0.95 };
/// let t = text(&summarise(&[s]), &scope);
/// assert!(t.contains("! 0:0-3"));
/// ```
pub fn text(nodes: &[NodeAvailability], scope: &ReportScope) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "Availability of {} nodes from {} samples, {} .. {}",
        nodes.len(),
        scope.samples,
        scope.from,
        scope.to
    );
    let _ = writeln!(
        t,
        "  {:<10} {:>9} {:>7} {:>5} {:>5} {:>5} {:>9} {:>9} {:>6}  endpoint",
        "operator",
        "available",
        "samples",
        "dead",
        "asset",
        "degr",
        "ttfb p50",
        "ttfb p90",
        "flaps"
    );
    for n in nodes {
        let mark = if n.availability < scope.threshold {
            '!'
        } else {
            ' '
        };
        let _ = writeln!(
            t,
            "{mark} {:<10} {:>9} {:>7} {:>5} {:>5} {:>5} {:>9} {:>9} {:>6}  {}",
            n.operator,
            pct(n.availability),
            n.samples,
            count(n, PingStatus::Dead),
            count(n, PingStatus::AssetDownloadFailed),
            count(n, PingStatus::Degraded),
            ms(n.ttfb_p50_ms),
            ms(n.ttfb_p90_ms),
            n.flaps,
            n.endpoint
        );
    }
    let below = flagged(nodes, scope.threshold);
    let _ = writeln!(
        t,
        "{} node(s) below {} availability (ttfb in ms; a disabled bucket counts as down)",
        below.len(),
        pct(scope.threshold)
    );
    t
}

/// The report as Markdown.
pub fn markdown(nodes: &[NodeAvailability], scope: &ReportScope) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "# Node availability\n");
    let _ = writeln!(
        t,
        "{} samples of {} nodes, {} to {}. A node is available when it answered its status \
         (and the test object, when probed), its bucket was distributing and it listed its \
         bucket. Nodes below {} are flagged.\n",
        scope.samples,
        nodes.len(),
        scope.from,
        scope.to,
        pct(scope.threshold)
    );
    let _ = writeln!(
        t,
        "| | Operator | Bucket | Available | Samples | Dead | Asset failed | Degraded | Not distributing | TTFB p50 (ms) | TTFB p90 (ms) | Flaps | Endpoint |"
    );
    let _ = writeln!(t, "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|");
    for n in nodes {
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            if n.availability < scope.threshold {
                "⚠"
            } else {
                ""
            },
            n.operator,
            n.bucket,
            pct(n.availability),
            n.samples,
            count(n, PingStatus::Dead),
            count(n, PingStatus::AssetDownloadFailed),
            count(n, PingStatus::Degraded),
            n.not_distributing,
            ms(n.ttfb_p50_ms),
            ms(n.ttfb_p90_ms),
            n.flaps,
            n.endpoint.replace('|', "%7C")
        );
    }
    t
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The report as CSV, one row per node.
pub fn csv(nodes: &[NodeAvailability]) -> String {
    let mut t = String::from(
        "operator,bucket,endpoint,availability,samples,available,ok,asset_download_failed,degraded,dead,not_distributing,ttfb_p50_ms,ttfb_p90_ms,flaps,first_ms,last_ms,sources\n",
    );
    for n in nodes {
        let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        let _ = writeln!(
            t,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&n.operator),
            csv_field(&n.bucket),
            csv_field(&n.endpoint),
            n.availability,
            n.samples,
            n.available,
            count(n, PingStatus::Ok),
            count(n, PingStatus::AssetDownloadFailed),
            count(n, PingStatus::Degraded),
            count(n, PingStatus::Dead),
            n.not_distributing,
            opt(n.ttfb_p50_ms),
            opt(n.ttfb_p90_ms),
            n.flaps,
            n.first_ms,
            n.last_ms,
            csv_field(&n.sources.join(" "))
        );
    }
    t
}
