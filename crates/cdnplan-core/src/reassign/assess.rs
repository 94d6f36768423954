//! A reassignment planned after a relocation plan's node moves, with the service it gives.
//!
//! The relocation plan moves nodes; their operators then stand at new coordinates, which is
//! what clients (Orion's distance sort) and the family regions see. So the reassignment is
//! planned on [`Topology::with_moves`], and the demand-weighted RTT (bag rule:
//! [`evaluate_bags`]) is reported three times: today, once the nodes have moved (bags as
//! today), and once the reassignment is done.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::cache::{CacheFill, cache_fill, markdown_rows};
use super::call::Call;
use super::render;
use super::{ReassignOptions, Reassignment, plan_reassignment};
use crate::demand::{Demand, Weighting};
use crate::error::Result;
use crate::latency::Latency;
use crate::relocation::Move;
use crate::serving::{BagServing, evaluate_bags};
use crate::site::Site;
use crate::topology::{ChainRead, DynamicBagPolicy, DynamicBagType};
use crate::topology::{MovesApplied, Topology, node_id};

/// Everything [`reassign_after_moves`] needs.
#[derive(Debug, Clone, Copy)]
pub struct ReassignRequest<'a> {
    /// The topology today.
    pub topology: &'a Topology,
    /// The relocation plan's moves, in execution order (empty: no node moves).
    pub moves: &'a [Move],
    /// Candidate sites, to name the moved nodes' new cities.
    pub sites: &'a [Site],
    /// Demand cells.
    pub demand: &'a Demand,
    /// Latency model.
    pub latency: &'a Latency,
    /// What weighs a cell.
    pub weighting: Weighting,
    /// Planner options.
    pub options: &'a ReassignOptions,
}

/// A reassignment after node moves, and the service today, after the moves and after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessed {
    /// The reassignment, planned on the moved topology.
    pub reassignment: Reassignment,
    /// What the node moves did to the topology.
    pub moves: MovesApplied,
    /// The operators' location updates the relocations take (one
    /// `set_distribution_operator_metadata` per bucket of a moved node, made when it moves,
    /// before the reassignment starts).
    pub location_updates: Vec<Call>,
    /// Service of the topology today.
    pub today: BagServing,
    /// Service once the nodes have moved, with today's families, buckets and bags.
    pub after_moves: BagServing,
    /// Service once the reassignment is done.
    pub after: BagServing,
    /// Share of the requests whose viewer could not be located (from the ingestion, when
    /// known); their expected RTT is [`BagServing::unlocated_viewers_mean_rtt_ms`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlocated_viewers_share: Option<f64>,
    /// The chain state the plan relies on when it was read from a node (the topology has a
    /// [`ChainRead`]): where, at which block, and the values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_state: Option<ChainStateUsed>,
    /// Bags each node holds against its cache today.
    #[serde(default)]
    pub cache_today: Vec<CacheFill>,
    /// Bags each node holds against its cache once the reassignment is done.
    #[serde(default)]
    pub cache_after: Vec<CacheFill>,
}

/// Applies the moves ([`Topology::with_moves`]), plans the reassignment on the result
/// ([`plan_reassignment`]) and evaluates today's, the moved and the target topology.
///
/// # Errors
/// [`Topology::with_moves`]'s errors for a move naming an unknown node;
/// [`plan_reassignment`]'s; [`evaluate_bags`]'s (no demand, nothing servable).
pub fn reassign_after_moves(req: &ReassignRequest<'_>) -> Result<Assessed> {
    let (moved, applied) = req.topology.with_moves(req.moves, req.sites)?;
    let reassignment = plan_reassignment(&moved, Some(req.demand), req.options)?;
    let serve = |t: &Topology| evaluate_bags(t, req.demand, None, req.latency, req.weighting);
    // Every bucket a relocated node operates gets its new location, in bucket order.
    let location_updates = moved
        .buckets
        .iter()
        .flat_map(|b| b.operators.iter().map(move |o| (b.id, o)))
        .filter(|(_, o)| node_id(o).is_some_and(|n| applied.relocated.contains(&n)))
        .filter_map(|(bucket, o)| {
            Some(Call::SetDistributionOperatorMetadata {
                worker: o.worker,
                bucket,
                metadata: o.metadata.clone()?,
            })
        })
        .collect();
    Ok(Assessed {
        today: serve(req.topology)?,
        after_moves: serve(&moved)?,
        after: serve(&reassignment.layout.target)?,
        unlocated_viewers_share: None,
        chain_state: req.topology.chain_read.as_ref().map(|read| ChainStateUsed {
            read: read.clone(),
            buckets_per_bag_limit: req.topology.buckets_per_bag_limit,
            policies: req.topology.policies.clone(),
        }),
        cache_today: cache_fill(req.topology, &req.options.cache_gb),
        cache_after: cache_fill(&reassignment.layout.target, &req.options.cache_gb),
        reassignment,
        moves: applied,
        location_updates,
    })
}

impl Assessed {
    /// `reassign.md`: the node moves' location updates, the reassignment checklist
    /// ([`render::markdown`]) and the service today, after the moves and after the
    /// reassignment.
    pub fn markdown(&self, title: &str) -> String {
        let mut s = render::markdown(&self.reassignment, title);
        if let Some(c) = &self.chain_state {
            let _ = writeln!(s, "\n## Chain state\n\n{}", c.text());
        }
        if !self.location_updates.is_empty() {
            let _ = writeln!(
                s,
                "\n## Location updates of moved nodes\n\nOperators of relocated nodes ({}) publish their new location for every bucket they operate when the node moves, before the steps above (not counted above).\n",
                self.moves.relocated.join(", ")
            );
            for c in &self.location_updates {
                let _ = writeln!(
                    s,
                    "- [ ] **{}** `{}` — `{}`",
                    c.actor(),
                    c.cli_command(),
                    c.runtime_call()
                );
            }
        }
        if !self.moves.added_sites.is_empty() {
            let _ = writeln!(
                s,
                "\nNodes added at {} are not in this reassignment: hire their workers, then plan again.",
                self.moves.added_sites.join(", ")
            );
        }
        let (t, m, a) = (&self.today, &self.after_moves, &self.after);
        let _ = writeln!(
            s,
            "\n## Service\n\nDemand-weighted RTT (bag rule: nearest active holder of the bag), p50 / p95 / mean in ms:\n\n\
             | | p50 | p95 | mean |\n|---|---|---|---|\n\
             | today | {:.1} | {:.1} | {:.1} |\n\
             | after the node moves | {:.1} | {:.1} | {:.1} |\n\
             | after the reassignment | {:.1} | {:.1} | {:.1} |",
            t.p50_rtt_ms,
            t.p95_rtt_ms,
            t.mean_rtt_ms,
            m.p50_rtt_ms,
            m.p95_rtt_ms,
            m.mean_rtt_ms,
            a.p50_rtt_ms,
            a.p95_rtt_ms,
            a.mean_rtt_ms
        );
        if let (Some(a0), Some(a1), Some(a2)) = (
            t.unlocated_viewers_mean_rtt_ms,
            m.unlocated_viewers_mean_rtt_ms,
            a.unlocated_viewers_mean_rtt_ms,
        ) {
            let share = match self.unlocated_viewers_share {
                Some(x) => format!("{:.1} % of the requests counted", 100.0 * x),
                None => {
                    "their share is not known here (see the located share `cdnplan demand` reports)"
                        .to_string()
                }
            };
            let _ = writeln!(
                s,
                "\nViewers without a location ({share}; not in the figures above): Orion lists a bag's nodes to them in random order, so they pay the mean over the bag's nodes — assuming they are spread like located viewers, {a0:.1} ms today, {a1:.1} ms after the node moves, {a2:.1} ms after the reassignment."
            );
        }
        let unlocated: Vec<String> = [
            ("today", t),
            ("after the node moves", m),
            ("after the reassignment", a),
        ]
        .iter()
        .filter(|(_, x)| x.unlocated_weight > 0.0)
        .map(|(when, x)| {
            let all = x.served_weight + x.unlocated_weight + x.unserved_weight;
            format!(
                "{when} {:.1} %",
                100.0 * x.unlocated_weight / all.max(f64::MIN_POSITIVE)
            )
        })
        .collect();
        if !unlocated.is_empty() {
            let _ = writeln!(
                s,
                "
Served only by nodes without coordinates (Orion lists them after every located node; no RTT to report, not in the figures above): {} of the demand.",
                unlocated.join(", ")
            );
        }
        // Only when some node holds a bag (snapshots without a bag list have none).
        if self
            .cache_today
            .iter()
            .chain(&self.cache_after)
            .any(|c| c.bags > 0)
        {
            let _ = write!(
                s,
                "\n## Cache\n\nBags each node holds (every bag of every distributing bucket it operates, once) against its cache size (`[reassign] cache_gb` or the node's `cache_gb`):\n\n\
                 | node | cache GB | today | fill | after | fill |\n|---|---|---|---|---|---|\n{}",
                markdown_rows(&self.cache_today, &self.cache_after)
            );
            let over: Vec<&str> = self
                .cache_after
                .iter()
                .filter(|c| c.overfull())
                .map(|c| c.node.as_str())
                .collect();
            if !over.is_empty() {
                let _ = writeln!(
                    s,
                    "\nOver their cache after the reassignment: {} — they will fetch from storage on misses.",
                    over.join(", ")
                );
            }
        }
        s
    }

    /// `reassign.json`: `{"type": "reassignment", "version": 1, "checks",
    /// "unlocated_viewers_share" (null when not known), "before",
    /// "after_moves", "after", "cache_before", "cache_after", "moves", "location_updates",
    /// "reassignment"}`, pretty-printed with a final newline (`before` is today's service;
    /// `checks`: one entry per invariant the replay proved, as in `reassignment.replay`).
    pub fn to_json_pretty(&self) -> String {
        let doc = serde_json::json!({
            "type": "reassignment",
            "version": 1,
            "checks": self.reassignment.replay.checks,
            "unlocated_viewers_share": self.unlocated_viewers_share,
            "before": self.today,
            "after_moves": self.after_moves,
            "after": self.after,
            "cache_before": self.cache_today,
            "cache_after": self.cache_after,
            "moves": self.moves,
            "location_updates": self.location_updates,
            "reassignment": self.reassignment,
        });
        // Plain data with string keys: serialising cannot fail.
        let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
        s.push('\n');
        s
    }

    /// The metadata files the migration's and the location updates' metadata calls read
    /// (path relative to the output directory, JSON contents), sorted by path.
    pub fn metadata_files(&self) -> Vec<(String, String)> {
        let mut files = render::metadata_files(&self.reassignment);
        files.extend(
            self.location_updates
                .iter()
                .filter_map(|c| Some((c.metadata_file()?, c.metadata_json()?))),
        );
        files.sort();
        files.dedup_by(|a, b| a.0 == b.0);
        files
    }
}

/// The chain state a plan was made with, as read from a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainStateUsed {
    /// Where and at which block, with the raw values.
    pub read: ChainRead,
    /// `DistributionBucketsPerBagLimit` as planned with.
    pub buckets_per_bag_limit: Option<u32>,
    /// `DynamicBagCreationPolicies` as planned with.
    pub policies: Option<BTreeMap<DynamicBagType, DynamicBagPolicy>>,
}

impl ChainStateUsed {
    /// Markdown: where the values were read, and each value.
    pub fn text(&self) -> String {
        let c = &self.read;
        let spec = c
            .spec_version
            .map(|v| format!(", runtime specVersion {v}"))
            .unwrap_or_default();
        let mut s = format!(
            "Read from the node {} at block `{}`{spec} (`state_getStorage`); the plan replays with these values (the topology's `chainRead` keeps the raw bytes):\n",
            c.endpoint, c.block
        );
        let absent = |item: &str| {
            c.storage
                .iter()
                .any(|r| r.item.ends_with(item) && r.value.is_none())
        };
        let note = |item: &str| {
            if absent(item) {
                " (key absent: the runtime's default)"
            } else {
                ""
            }
        };
        if let Some(l) = self.buckets_per_bag_limit {
            let _ = write!(
                s,
                "\n- per-bag limit (`DistributionBucketsPerBagLimit`): {l}{}",
                note("DistributionBucketsPerBagLimit")
            );
        }
        for (t, p) in self.policies.iter().flatten() {
            let families = if p.families.is_empty() {
                "no family".to_string()
            } else {
                p.families
                    .iter()
                    .map(|(f, n)| format!("family {f}: {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = write!(
                s,
                "\n- {t:?} creation policy: {families}; {} storage buckets{}",
                p.number_of_storage_buckets,
                note(&format!("[{t:?}]"))
            );
        }
        s
    }
}
