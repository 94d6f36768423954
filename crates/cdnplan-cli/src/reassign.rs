//! `cdnplan topology` and `cdnplan reassign`: import and check a topology; plan the family ↔
//! bucket reassignment and write its migration.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use cdnplan_core::reassign::{self, Assessed, ReassignRequest};
use cdnplan_core::topology::{Topology, check::check};
use cdnplan_io::graphql::{self, FetchLimits, Indexer};
use cdnplan_io::output::{OutputDir, write_atomic, write_reassignment_into};
use cdnplan_io::rpc::{self, ChainState};
use cdnplan_io::scenario;

use crate::args::{InputArgs, ReassignArgs, TopologyArgs, TopologySource};
use crate::inputs::Context;
use crate::messages::{self, info, warning};
use crate::progress::Bars;

/// The limits of a live read: the defaults, with `--read-timeout` when given.
fn fetch_limits(read_timeout: Option<f64>) -> Result<FetchLimits> {
    let mut limits = FetchLimits::default();
    if let Some(secs) = read_timeout {
        let d = std::time::Duration::try_from_secs_f64(secs)
            .ok()
            .filter(|d| !d.is_zero() && secs <= 86_400.0)
            .with_context(|| {
                format!("--read-timeout {secs}: give a number of seconds above 0, at most 86400")
            })?;
        limits = limits
            .read_timeout(d)
            .request_deadline(limits.request_deadline.max(d));
    }
    Ok(limits)
}

/// Reads the chain state the indexers lack from the node at `url` (`--rpc`), saying what it
/// read.
pub fn read_chain(url: &str, read_timeout: Option<f64>) -> Result<ChainState> {
    let limits = fetch_limits(read_timeout)?;
    // The URL may carry user information (basic auth): never print it.
    let shown = cdnplan_io::redact::strip_userinfo(url);
    let state = rpc::read(url, &limits).with_context(|| {
        format!(
            "cannot read the per-bag limit and the creation policies from the node at {shown} (--rpc)"
        )
    })?;
    let limit = state
        .buckets_per_bag_limit
        .map_or_else(|| "?".to_string(), |l| l.to_string());
    info!(
        "read from {} at block {}: per-bag limit {limit}, Channel and Member creation policies",
        state.read.endpoint, state.read.block
    );
    Ok(state)
}

/// Loads the topology a source names, else the scenario's; with `--rpc`, with the chain state
/// read from the node written into it.
pub fn load_topology(
    ctx: &Context,
    src: &TopologySource,
    fallback: Option<&Path>,
) -> Result<Topology> {
    if src.read_timeout.is_some() && src.graphql.is_none() && src.rpc.is_none() {
        bail!("--read-timeout applies to a live read: give --graphql URL or --rpc URL with it");
    }
    let mut t = load_topology_only(ctx, src, fallback)?;
    if let Some(url) = &src.rpc {
        rpc::apply(&mut t, &read_chain(url, src.read_timeout)?);
    }
    Ok(t)
}

fn load_topology_only(
    ctx: &Context,
    src: &TopologySource,
    fallback: Option<&Path>,
) -> Result<Topology> {
    if let Some(url) = &src.graphql {
        let indexer: Indexer = src.indexer.parse()?;
        let limits = fetch_limits(src.read_timeout)?;
        // The URL may carry user information (basic auth): never print it.
        let shown = cdnplan_io::redact::strip_userinfo(url);
        let (t, saved) = graphql::fetch_with(url, indexer, src.page_size, &limits)
            .with_context(|| format!("cannot import the topology from {shown}"))?;
        if let Some(p) = &src.save_pages {
            write_atomic(p, saved.as_bytes())?;
            info!("saved the indexer's responses to {}", p.display());
        }
        return Ok(t);
    }
    if let Some(p) = &src.graphql_file {
        return graphql::load_graphql(p).context("cannot import the GraphQL response");
    }
    let path = match (&src.topology, fallback) {
        (Some(p), _) => p.clone(),
        (None, Some(p)) => p.to_path_buf(),
        (None, None) => ctx.data_file("joystream/mainnet-2023-01.json"),
    };
    cdnplan_io::data::load_topology(&path).context("cannot load the topology")
}

/// `cdnplan topology`.
pub fn run_topology(ctx: &Context, a: TopologyArgs) -> Result<()> {
    let scenario = ctx.scenario(&InputArgs {
        scenario: a.scenario.clone(),
        ..InputArgs::default()
    })?;
    let t = load_topology(ctx, &a.source, scenario.network.topology.as_deref())?;
    let countries = cdnplan_io::data::load_countries(&scenario.network.countries)?;
    let sites = cdnplan_io::data::load_sites(&scenario.network.sites)?;
    let findings = check(&t, &countries, &sites);
    if let Some(p) = &a.save {
        let body = serde_json::to_string_pretty(&t)? + "\n";
        write_atomic(p, body.as_bytes())?;
        info!("wrote {}", p.display());
    }
    let text = if ctx.json {
        let doc = serde_json::json!({
            "type": "topology", "version": 1, "topology": t, "findings": findings,
        });
        format!("{}\n", serde_json::to_string_pretty(&doc)?)
    } else {
        cdnplan_core::topology::text(&t, &findings)
    };
    messages::print(&text)?;
    Ok(())
}

/// `cdnplan reassign`.
pub fn run(ctx: &Context, a: ReassignArgs, bars: &Bars) -> Result<()> {
    let mut s = ctx.scenario(&InputArgs {
        scenario: a.scenario.clone(),
        ..InputArgs::default()
    })?;
    if let Some(n) = a.batch_size {
        s.reassign.batch_size = n;
    }
    if a.assume_bags.is_some() {
        s.reassign.assume_bags = a.assume_bags;
    }
    s.reassign.keep_idle_buckets |= a.keep_idle_buckets;
    s.reassign
        .check()
        .context("invalid reassignment settings after applying the command-line overrides")?;
    // Fail before the long part when the outputs cannot be written.
    cdnplan_io::output::check_dir(&a.out).context("cannot write the reassignment")?;
    let mut topology = load_topology(ctx, &a.source, s.network.topology.as_deref())?;
    let inputs = ctx.load(&s, bars)?;
    for f in check(&topology, &inputs.countries, &inputs.sites) {
        warning!("{f}");
    }
    // The topology as read (before any assumed bags), for replay.
    let source = a.source.rpc.is_some().then(|| topology.clone());
    let assumed = assume_bags(&mut topology, s.reassign.assume_bags);
    let options = scenario::reassign_options(&s, &topology)?;
    let mut assessed = reassign::reassign_after_moves(&ReassignRequest {
        topology: &topology,
        moves: &[],
        sites: &inputs.sites,
        demand: &inputs.demand,
        latency: &inputs.latency,
        weighting: s.objective.weighting,
        options: &options,
    })
    .context("cannot plan the reassignment")?;
    assessed.reassignment.layout.unknowns.assumed_bags = assumed;
    assessed.unlocated_viewers_share = inputs.unlocated_share();
    write_outputs(
        &a.out,
        &assessed,
        "Family ↔ bucket reassignment",
        source.as_ref(),
    )?;
    let (r, before, after) = (&assessed.reassignment, &assessed.today, &assessed.after);
    let c = &r.migration.cost;
    let text = if ctx.json {
        let doc = serde_json::json!({
            "type": "reassignment", "version": 1, "scenario": s.name,
            "cost": c, "before": before, "after": after, "reassignment": r,
        });
        format!("{}\n", serde_json::to_string_pretty(&doc)?)
    } else {
        let mut t = String::new();
        let u = &r.layout.unknowns;
        if let Some(n) = u.assumed_bags {
            let _ = writeln!(
                t,
                "what-if: {n} bags assumed (--assume-bags), not the real ones"
            );
        }
        if u.bags_unknown {
            let _ = writeln!(t, "planned without bag data: the topology lists no bags");
        }
        for k in &u.kept {
            let _ = writeln!(t, "left in place: bucket {} — {}", k.bucket, k.why);
        }
        for w in u.withheld() {
            let _ = writeln!(t, "not emitted: {w}");
        }
        for n in u.needs() {
            let _ = writeln!(t, "needs: {n}");
        }
        let _ = writeln!(t, "{}", c.calls_summary());
        let _ = writeln!(
            t,
            "{}; replayed: {} calls legal, no coverage gap, end state = target",
            c.bags_summary(),
            r.replay.calls
        );
        let _ = writeln!(
            t,
            "RTT p50/p95 (ms): before {:.1}/{:.1}, after {:.1}/{:.1}",
            before.p50_rtt_ms, before.p95_rtt_ms, after.p50_rtt_ms, after.p95_rtt_ms
        );
        for n in r.layout.nodes.iter().filter(|n| n.moves()) {
            let ids = |v: &[cdnplan_core::topology::BucketId]| {
                v.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let _ = writeln!(
                t,
                "move {} ({}): {} → {}",
                n.node,
                n.place,
                ids(&n.from),
                ids(&n.to)
            );
        }
        for f in &r.layout.families {
            let _ = writeln!(
                t,
                "family {}: {:?} ({} → {})",
                f.family,
                f.action,
                f.before.as_deref().unwrap_or("—"),
                f.after.as_deref().unwrap_or("—")
            );
        }
        t
    };
    messages::print(&text)?;
    Ok(())
}

/// Applies `[reassign] assume_bags` to a topology without bags, warning when asked to;
/// returns the number assumed.
pub fn assume_bags(topology: &mut Topology, n: Option<u64>) -> Option<u64> {
    if n.is_some() && !topology.bags.is_empty() {
        warning!(
            "assume_bags ignored: the topology lists {} bags",
            topology.bags.len()
        );
    }
    let assumed = scenario::assume_bags(topology, n);
    if let Some(n) = assumed {
        warning!("the topology lists no bags: assuming {n} channel bags on every operated bucket");
    }
    assumed
}

/// Writes the reassignment's files (and `source`, the topology planned on, when given) as
/// the whole content of `dir`, in one transaction (see [`cdnplan_io::output::OutputDir`]).
pub fn write_outputs(
    dir: &Path,
    a: &Assessed,
    title: &str,
    source: Option<&Topology>,
) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        bail!(
            "cannot write the plan to {}: not a directory",
            dir.display()
        );
    }
    // One transaction: the previous set stays until the new one is complete.
    let mut out = OutputDir::begin(dir).context("cannot write the reassignment")?;
    crate::hooks::fail_write(&mut out);
    write_reassignment_into(&mut out, a, title).context("cannot write the reassignment")?;
    if let Some(t) = source {
        let body = serde_json::to_string_pretty(t)? + "\n";
        out.write(scenario::SOURCE_TOPOLOGY, body.as_bytes())
            .context("cannot write the reassignment")?;
    }
    crate::hooks::pause_before_commit();
    out.commit().context("cannot write the reassignment")?;
    info!(
        "wrote reassign.md, reassign.json, reassign.sh, target-topology.json{} and metadata/ to {}",
        if source.is_some() {
            ", source-topology.json (replay with --topology)"
        } else {
            ""
        },
        dir.display()
    );
    Ok(())
}
