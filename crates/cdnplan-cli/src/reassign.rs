//! `cdnplan topology` and `cdnplan reassign`: import and check a topology; plan the family ↔
//! bucket reassignment and write its migration.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use cdnplan_core::reassign::{self, ReassignOptions, Reassignment, render};
use cdnplan_core::serving::{BagServing, evaluate_bags};
use cdnplan_core::topology::{Topology, check::check};
use cdnplan_io::graphql::{self, Indexer};
use cdnplan_io::output::write_atomic;

use crate::args::{InputArgs, ReassignArgs, TopologyArgs, TopologySource};
use crate::inputs::Context;
use crate::messages::{self, info, warning};
use crate::progress::Bars;

/// Loads the topology a source names, else the scenario's.
fn load_topology(ctx: &Context, src: &TopologySource, fallback: Option<&Path>) -> Result<Topology> {
    if let Some(url) = &src.graphql {
        let indexer: Indexer = src.indexer.parse()?;
        let (t, saved) = graphql::fetch(url, indexer, src.page_size)
            .with_context(|| format!("cannot import the topology from {url}"))?;
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
        let mut s = String::new();
        let active = t.nodes().iter().filter(|n| n.active).count();
        let _ = writeln!(
            s,
            "{}: {} families, {} buckets, {} bags, {} nodes ({} active); per-bag limit {}",
            if t.name.is_empty() {
                "topology"
            } else {
                &t.name
            },
            t.families.len(),
            t.buckets.len(),
            t.bags.len(),
            t.nodes().len(),
            active,
            t.buckets_per_bag_limit
        );
        for f in &t.families {
            let desc = f
                .metadata
                .as_ref()
                .and_then(|m| m.description.clone())
                .unwrap_or_else(|| "(no metadata)".into());
            let _ = writeln!(s, "\nfamily {} — {desc}", f.id);
            for b in t.buckets.iter().filter(|b| b.id.family == f.id) {
                let ops: Vec<String> = b
                    .operators
                    .iter()
                    .map(|o| {
                        let place = o
                            .metadata
                            .as_ref()
                            .and_then(|m| m.location.as_ref())
                            .and_then(|l| l.city.clone())
                            .unwrap_or_default();
                        format!("worker {} {:?} {place}", o.worker, o.status)
                    })
                    .collect();
                let bags = t.bags.iter().filter(|g| g.buckets.contains(&b.id)).count();
                let _ = writeln!(
                    s,
                    "  bucket {}: accepting {}, distributing {}, {bags} bags; {}",
                    b.id,
                    b.accepting_new_bags,
                    b.distributing,
                    if ops.is_empty() {
                        "no operator".to_string()
                    } else {
                        ops.join("; ")
                    }
                );
            }
        }
        let _ = writeln!(s, "\n{} findings", findings.len());
        for f in &findings {
            let _ = writeln!(s, "  {f}");
        }
        s
    };
    messages::print(&text)?;
    Ok(())
}

/// `cdnplan reassign`.
pub fn run(ctx: &Context, a: ReassignArgs, bars: &Bars) -> Result<()> {
    let s = ctx.scenario(&InputArgs {
        scenario: a.scenario.clone(),
        ..InputArgs::default()
    })?;
    let mut topology = load_topology(ctx, &a.source, s.network.topology.as_deref())?;
    if let Some(n) = a.assume_bags {
        if topology.bags.is_empty() {
            reassign::assume_bags(&mut topology, n, None);
            warning!(
                "the topology lists no bags: assuming {n} channel bags on every operated bucket"
            );
        } else {
            warning!(
                "--assume-bags ignored: the topology lists {} bags",
                topology.bags.len()
            );
        }
    }
    let inputs = ctx.load(&s, bars)?;
    let options = ReassignOptions::default()
        .batch_size(a.batch_size)
        .delete_idle_buckets(!a.keep_idle_buckets)
        .weighting(s.objective.weighting);
    let r = reassign::plan_reassignment(&topology, Some(&inputs.demand), &options)
        .context("cannot plan the reassignment")?;
    let serve = |t: &Topology| -> Result<BagServing> {
        Ok(evaluate_bags(
            t,
            &inputs.demand,
            None,
            &inputs.latency,
            s.objective.weighting,
        )?)
    };
    let before = serve(&topology).context("cannot evaluate today's topology")?;
    let after = serve(&r.layout.target).context("cannot evaluate the target topology")?;
    write_outputs(&a.out, &r, &before, &after)?;
    let c = &r.migration.cost;
    let text = if ctx.json {
        let doc = serde_json::json!({
            "type": "reassignment", "version": 1, "scenario": s.name,
            "cost": c, "before": before, "after": after, "reassignment": r,
        });
        format!("{}\n", serde_json::to_string_pretty(&doc)?)
    } else {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "{} calls: {} by the lead ({} per-bag in {} batches; {} lead transactions), {} by operators",
            c.lead_calls + c.operator_calls,
            c.lead_calls,
            c.per_bag_calls,
            c.batches,
            c.lead_transactions,
            c.operator_calls
        );
        let _ = writeln!(
            t,
            "{} bags move ({} bucket assignments); replayed: {} calls legal, no coverage gap, end state = target",
            c.bags_moved, c.bucket_assignment_changes, r.replay.calls
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

fn write_outputs(
    dir: &Path,
    r: &Reassignment,
    before: &BagServing,
    after: &BagServing,
) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        bail!(
            "cannot write the plan to {}: not a directory",
            dir.display()
        );
    }
    let mut md = render::markdown(r, "Family ↔ bucket reassignment");
    let _ = writeln!(
        md,
        "\n## Service\n\nDemand-weighted RTT (bag rule: nearest active holder of the bag): p50 {:.1} → {:.1} ms, p95 {:.1} → {:.1} ms, mean {:.1} → {:.1} ms.",
        before.p50_rtt_ms,
        after.p50_rtt_ms,
        before.p95_rtt_ms,
        after.p95_rtt_ms,
        before.mean_rtt_ms,
        after.mean_rtt_ms
    );
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "type": "reassignment", "version": 1, "before": before, "after": after, "reassignment": r,
    }))? + "\n";
    let target = serde_json::to_string_pretty(&r.layout.target)? + "\n";
    let files = [
        ("reassign.md", md),
        ("reassign.json", json),
        ("reassign.sh", render::shell_script(r)),
        ("target-topology.json", target),
    ];
    for (name, body) in files {
        write_atomic(&dir.join(name), body.as_bytes())?;
    }
    for (name, body) in render::metadata_files(r) {
        write_atomic(&dir.join(name), body.as_bytes())?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join("reassign.sh");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", p.display()))?;
    }
    info!(
        "wrote reassign.md, reassign.json, reassign.sh, target-topology.json and metadata/ to {}",
        dir.display()
    );
    Ok(())
}
