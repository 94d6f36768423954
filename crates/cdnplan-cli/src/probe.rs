//! `cdnplan probe` and `cdnplan probe report`: node availability.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use cdnplan_core::availability::expected::{ExpectedService, by_node, expected_service};
use cdnplan_core::availability::report::{self, ReportScope};
use cdnplan_core::availability::{PingStatus, summarise};
use cdnplan_core::demand::{Demand, Weighting};
use cdnplan_core::latency::Latency;
use cdnplan_core::node::Node;
use cdnplan_io::output::OutputDir;
use cdnplan_io::probe::{self, PingDoc, ProbeOptions};
use chrono::{DateTime, SecondsFormat, Utc};

use crate::args::{AvailabilityArgs, ProbeArgs, ProbeCommand, ProbeReportArgs};
use crate::inputs::Context;
use crate::messages::{self, info, warning};

/// `30s`, `5m`, `1h`, `7d`, `2w` as a duration; `flag` names the option in the message.
fn span(text: &str, flag: &str) -> Result<Duration> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.len().saturating_sub(1));
    let secs = match unit {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3_600.0,
        "d" => 86_400.0,
        "w" => 604_800.0,
        _ => f64::NAN,
    };
    num.parse::<f64>()
        .ok()
        .map(|n| n * secs)
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3.2e7)
        .map(Duration::from_secs_f64)
        .with_context(|| {
            format!("{flag} {text:?}: give a number and a unit, s, m, h, d or w (e.g. 5m, 7d)")
        })
}

fn seconds(v: f64, flag: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(v)
        .ok()
        .filter(|d| !d.is_zero() && v <= 3_600.0)
        .with_context(|| format!("{flag} {v}: give a number of seconds above 0, at most 3600"))
}

/// The vantage point's name: the flag, `$CDNPLAN_PROBE_SOURCE`, the host name, `cdnplan`.
fn vantage(flag: Option<&str>) -> String {
    flag.map(str::to_string)
        .or_else(|| std::env::var("CDNPLAN_PROBE_SOURCE").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "cdnplan".to_string())
}

/// `cdnplan probe` (and its `report`).
pub fn run(ctx: &Context, a: ProbeArgs) -> Result<()> {
    if let Some(ProbeCommand::Report(r)) = a.command {
        return report(ctx, r);
    }
    let s = &a.source;
    if s.topology.is_none() && s.graphql_file.is_none() && s.graphql.is_none() {
        bail!("name the operators to probe: --topology FILE, --graphql-file FILE or --graphql URL");
    }
    if a.concurrency == 0 {
        bail!("--concurrency 0: give at least 1");
    }
    let every = a.every.as_deref().map(|e| span(e, "--every")).transpose()?;
    if a.count == Some(0) {
        bail!("--count 0: give at least 1 run");
    }
    let mut opts = ProbeOptions::new(vantage(a.vantage.as_deref()))
        .first_byte_timeout(seconds(a.timeout, "--timeout")?)
        .request_timeout(seconds(a.request_timeout, "--request-timeout")?)
        .retries(a.retries)
        .concurrency(a.concurrency)
        .asset_bytes(a.asset_bytes);
    if let Some(id) = &a.asset {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            bail!("--asset {id:?}: a data object id is a number (e.g. --asset 1000)");
        }
        opts = opts.asset(id.clone());
    }
    let es = if a.es.is_some() || a.index.is_some() {
        let Some(index) = a.index.clone() else {
            bail!("--es: name the index to write to with --index NAME (e.g. operators-ping)");
        };
        let conn = crate::es::connection(&crate::args::EsArgs {
            es: a.es.clone(),
            index: Some(index.clone()),
            es_user: a.es_user.clone(),
            es_password: a.es_password.clone(),
            es_api_key: a.es_api_key.clone(),
            ..Default::default()
        })?;
        let client = cdnplan_io::es::EsClient::connect(&conn)
            .context("cannot connect to the cluster (--es)")?;
        Some((client, index))
    } else {
        None
    };
    let topology = crate::reassign::load_topology(ctx, s, None)?;
    let targets = probe::targets(&topology);
    let active = topology
        .buckets
        .iter()
        .flat_map(|b| &b.operators)
        .filter(|o| o.status == cdnplan_core::topology::OperatorStatus::Active)
        .count();
    if active > targets.len() {
        warning!(
            "{} active operator(s) have no endpoint and are not probed",
            active - targets.len()
        );
    }
    if targets.is_empty() {
        bail!("the topology has no active operator with an endpoint to probe");
    }
    info!(
        "probing {} operator(s) from {:?}{}",
        targets.len(),
        opts.source,
        every.map_or_else(String::new, |e| format!(
            ", every {} s{}",
            e.as_secs_f64(),
            a.count
                .map_or_else(|| " until interrupted".into(), |n| format!(", {n} runs"))
        ))
    );
    let start = Instant::now();
    let mut done = 0u64;
    loop {
        let time = Utc::now();
        let docs = probe::run(&targets, &opts, time)?;
        if let Some(p) = &a.out {
            probe::append_run(p, &docs)
                .with_context(|| format!("cannot append the run to {} (--out)", p.display()))?;
        }
        if let Some((client, index)) = &es {
            let n = probe::index_run(client, index, &docs)
                .with_context(|| format!("cannot index the run into {index} (--index)"))?;
            info!(
                "indexed {n} document(s) into {index} at {}",
                client.display()
            );
        }
        if ctx.json {
            let mut text = String::new();
            for d in &docs {
                text.push_str(&serde_json::to_string(d)?);
                text.push('\n');
            }
            messages::print(&text)?;
        } else {
            messages::print(&summary(&docs, time, a.out.as_deref()))?;
        }
        done += 1;
        let Some(every) = every else { break };
        if a.count.is_some_and(|n| done >= n) {
            break;
        }
        // Runs keep to the schedule of the first: a slow run shortens the next pause.
        let next = every.saturating_mul(u32::try_from(done).unwrap_or(u32::MAX));
        std::thread::sleep(next.saturating_sub(start.elapsed()));
    }
    Ok(())
}

/// A run for the terminal: one line per operator, then the counts.
fn summary(docs: &[PingDoc], time: DateTime<Utc>, out: Option<&Path>) -> String {
    let mut t = format!(
        "probe run {} ({} operators)\n",
        time.to_rfc3339_opts(SecondsFormat::Secs, true),
        docs.len()
    );
    for d in docs {
        let ttfb = d
            .asset_download_result
            .as_ref()
            .and_then(|a| a.ttfb)
            .or(d.status_result.ttfb)
            .map_or_else(|| "-".to_string(), |v| format!("{v:.1} ms"));
        let mut why: Vec<String> = d.error.iter().chain(&d.degraded_reason).cloned().collect();
        if d.distributing_status != "distributing" {
            why.insert(0, "bucket not distributing".into());
        }
        let why = why.join("; ");
        let _ = writeln!(
            t,
            "  {:<21} {:<8} {:>8}  {}  {}",
            d.ping_status.as_str(),
            d.operator_id,
            ttfb,
            d.node_endpoint,
            why
        );
    }
    let count = |s: PingStatus| docs.iter().filter(|d| d.ping_status == s).count();
    let _ = write!(
        t,
        "{} ok, {} asset-download-failed, {} degraded, {} dead",
        count(PingStatus::Ok),
        count(PingStatus::AssetDownloadFailed),
        count(PingStatus::Degraded),
        count(PingStatus::Dead)
    );
    if let Some(p) = out {
        let _ = write!(t, "; appended to {}", p.display());
    }
    t.push('\n');
    t
}

/// Fails unless `value` of `flag` is a share in `0..=1`.
fn check_share(flag: &str, value: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&value) {
        bail!("{flag} {value}: give a share between 0 and 1 (0.99 = 99 %)");
    }
    Ok(())
}

/// Reads the probe documents of `paths` within `window` (the text of `window_flag`) and warns
/// about skipped lines; `flag` names the option that gave the files, when it is not `--from`.
fn read_history(
    paths: &[std::path::PathBuf],
    window: Option<&str>,
    window_flag: &str,
    flag: Option<&str>,
) -> Result<probe::History> {
    let window = window.map(|w| span(w, window_flag)).transpose()?;
    let h = probe::read_history(paths, window).with_context(|| match flag {
        Some(f) => format!("cannot read the probe documents ({f})"),
        None => "cannot read the probe documents".to_string(),
    })?;
    if h.skipped > 0 {
        warning!(
            "{}skipped {} malformed line(s); first at {}",
            flag.map(|f| format!("{f}: ")).unwrap_or_default(),
            h.skipped,
            h.first_skip.as_deref().unwrap_or("?")
        );
    }
    Ok(h)
}

/// `cdnplan probe report`.
fn report(ctx: &Context, a: ProbeReportArgs) -> Result<()> {
    check_share("--threshold", a.threshold)?;
    let h = read_history(&a.from, a.window.as_deref(), "--window", None)?;
    if h.other_operators > 0 {
        info!(
            "left out {} storage-operator document(s)",
            h.other_operators
        );
    }
    if h.samples.is_empty() {
        bail!("no distribution-operator documents in --from");
    }
    let nodes = summarise(&h.samples);
    let (first, last) = h.span_ms().unwrap_or((0, 0));
    let rfc = |ms: i64| {
        DateTime::<Utc>::from_timestamp_millis(ms)
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    let scope = ReportScope {
        samples: h.samples.len() as u64,
        from: rfc(first),
        to: rfc(last),
        threshold: a.threshold,
    };
    let doc = serde_json::json!({
        "type": "probe-report",
        "version": 1,
        "from": scope.from,
        "to": scope.to,
        "window": a.window,
        "threshold": a.threshold,
        "samples": scope.samples,
        "skipped": h.skipped,
        "beforeWindow": h.before_window,
        "flagged": report::flagged(&nodes, a.threshold).iter().map(|n| &n.operator).collect::<Vec<_>>(),
        "nodes": nodes,
    });
    let json = serde_json::to_string_pretty(&doc)? + "\n";
    if let Some(dir) = &a.out {
        let mut out = OutputDir::begin(dir)?;
        out.write(
            "availability.md",
            report::markdown(&nodes, &scope).as_bytes(),
        )?;
        out.write("availability.json", json.as_bytes())?;
        out.write("availability.csv", report::csv(&nodes).as_bytes())?;
        let written = out.commit()?;
        info!("wrote {} files to {}", written.len(), dir.display());
    }
    if ctx.json {
        messages::print(&json)?;
    } else {
        messages::print(&report::text(&nodes, &scope))?;
    }
    Ok(())
}

/// `--availability` on `evaluate` and `plan`: the expected service of `nodes` with the
/// history's availability per node; `None` without the flag.
pub fn expected(
    a: &AvailabilityArgs,
    demand: &Demand,
    nodes: &[Node],
    latency: &Latency,
    weighting: Weighting,
) -> Result<Option<ExpectedService>> {
    if a.availability.is_empty() {
        return Ok(None);
    }
    check_share("--availability-threshold", a.availability_threshold)?;
    let h = read_history(
        &a.availability,
        a.availability_window.as_deref(),
        "--availability-window",
        Some("--availability"),
    )?;
    if h.samples.is_empty() {
        bail!("--availability: no distribution-operator documents");
    }
    let shares = by_node(&h.samples);
    let known = nodes.iter().filter(|n| shares.contains_key(&n.id)).count();
    if known == 0 {
        bail!(
            "--availability: none of the {} node(s) appears in the probe documents (nodes are \
             matched by endpoint host)",
            nodes.len()
        );
    }
    let unknown: Vec<&str> = nodes
        .iter()
        .filter(|n| n.active && !shares.contains_key(&n.id))
        .map(|n| n.id.as_str())
        .collect();
    if !unknown.is_empty() {
        warning!(
            "--availability: no samples of {} active node(s), taken as always up: {}",
            unknown.len(),
            unknown.join(", ")
        );
    }
    Ok(Some(expected_service(
        demand,
        nodes,
        latency,
        weighting,
        &shares,
        a.availability_threshold,
    )?))
}

/// The `--availability` section of the text output, under `title` ("With observed
/// availability", "After the moves, with observed availability").
pub fn expected_text(x: &ExpectedService, threshold: f64, title: &str) -> String {
    let mut t = format!(
        "\n{title} (each node down its share of the time, its viewers at the next nearest):\n  \
         expected mean RTT {:.1} ms ({:+.1} ms over every node up, {:.1} ms); no node up for \
         {:.3} % of the demand\n",
        x.expected_mean_rtt_ms,
        x.delta_ms,
        x.all_up_mean_rtt_ms,
        x.unserved_share * 100.0
    );
    let width = x.nodes.iter().map(|n| n.node.len()).max().unwrap_or(0);
    for n in &x.nodes {
        let _ = writeln!(
            t,
            "  {} {:<width$}  {:>10}  serves {:.1} % of the demand",
            if n.flagged { '!' } else { ' ' },
            n.node,
            n.availability
                .map_or_else(|| "unmeasured".into(), |a| format!("{:.2} %", a * 100.0)),
            n.weight_share * 100.0
        );
    }
    let flagged = x.nodes.iter().filter(|n| n.flagged).count();
    let _ = writeln!(
        t,
        "  {flagged} node(s) below {:.2} % availability",
        threshold * 100.0
    );
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_parse_and_nonsense_names_the_flag() {
        assert_eq!(span("5m", "--every").unwrap(), Duration::from_secs(300));
        assert_eq!(
            span("7d", "--window").unwrap(),
            Duration::from_secs(604_800)
        );
        assert_eq!(
            span("1.5s", "--every").unwrap(),
            Duration::from_millis(1500)
        );
        for bad in ["", "5", "m", "-1m", "5x", "99999w"] {
            let e = span(bad, "--every").unwrap_err().to_string();
            assert!(e.starts_with("--every"), "{e}");
        }
    }
}
