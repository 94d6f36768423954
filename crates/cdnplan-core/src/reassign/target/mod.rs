//! The target layout: which family each node's bucket belongs to, each family's metadata,
//! which bags each bucket holds, and the dynamic bag creation policy.
//!
//! # Families
//!
//! Every node (one endpoint, see [`Topology::nodes`]) lies in a [region](crate::topology::regions)
//! by its stated country. Each region with nodes gets one family: an existing family, kept when
//! its metadata already names that region and relabelled (one metadata call) otherwise, or a
//! new one. The choice minimises calls: for every (region, family) pair the cost is the
//! relabelling plus, for every node of the region not yet in the family, the calls of moving
//! its bucket there (§1.5: about 8 fixed calls and 2 per bag). Pairs are taken greedily,
//! cheapest first (ties: a family whose metadata names the region, then the smaller id); a
//! region left without a family gets a new one. Nodes without a catalogued country stay
//! where they are, and their families are left alone.
//!
//! # Bags
//!
//! A moved bucket's bags all go with it, so each node keeps serving what it served (no cache
//! to rebuild, no coverage lost). Buckets that no active operator serves any more are drained
//! and deleted, and families left without buckets are deleted. Then every bag is made
//! reachable from every family the policy names: a bag missing from such a family is added to
//! the family's least loaded serving bucket (load: bytes of the bags it holds, or their number
//! when sizes are unknown, per GB of the node's cache when given).
//!
//! # Policy and areas
//!
//! The new policy names every family with a serving bucket, one bucket each (so a new channel
//! is reachable in every region), and keeps `number_of_storage_buckets`. A family's `areas`
//! are the countries whose demand its nodes serve (nearest active node), most requests first,
//! until 90 % of its demand (at most [`ReassignOptions::max_area_entries`]); without demand,
//! its region's continent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::unknown::Unknowns;
use crate::demand::{Demand, Weighting};
use crate::error::Result;
use crate::topology::{BucketId, FamilyId, Topology};

mod areas;
mod build;

/// Options of the reassignment planner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReassignOptions {
    /// Per-bag calls per group of the checklist (default 100; each call is its own
    /// transaction).
    pub batch_size: usize,
    /// Delete buckets that have no active operator and no pending invitation (default true).
    pub delete_idle_buckets: bool,
    /// Delete families left without buckets (default true).
    pub delete_empty_families: bool,
    /// At most this many country entries in a family's `areas` (default 12).
    pub max_area_entries: usize,
    /// What weighs demand when computing areas (default requests).
    pub weighting: Weighting,
    /// Cache size per node id, GB, for balancing bags (default: none known).
    pub cache_gb: BTreeMap<String, f64>,
}

impl Default for ReassignOptions {
    fn default() -> Self {
        ReassignOptions {
            batch_size: super::migrate::DEFAULT_BATCH_SIZE,
            delete_idle_buckets: true,
            delete_empty_families: true,
            max_area_entries: 12,
            weighting: Weighting::Requests,
            cache_gb: BTreeMap::new(),
        }
    }
}

impl ReassignOptions {
    /// Per-bag calls per batch.
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n.max(1);
        self
    }

    /// Whether idle buckets are deleted.
    pub fn delete_idle_buckets(mut self, yes: bool) -> Self {
        self.delete_idle_buckets = yes;
        self
    }

    /// Whether families left without buckets are deleted.
    pub fn delete_empty_families(mut self, yes: bool) -> Self {
        self.delete_empty_families = yes;
        self
    }

    /// The weighting of demand.
    pub fn weighting(mut self, w: Weighting) -> Self {
        self.weighting = w;
        self
    }

    /// Cache sizes per node id, GB (nodes left out have none known).
    pub fn cache_gb(mut self, gb: BTreeMap<String, f64>) -> Self {
        self.cache_gb = gb;
        self
    }
}

/// What happens to a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FamilyAction {
    /// Stays as it is (its metadata may get new areas).
    Keep,
    /// Gets metadata naming the region its nodes are in.
    Relabel,
    /// Created for a region no family fits.
    Create,
    /// Deleted (no bucket left).
    Delete,
}

/// The decision for one family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FamilyDecision {
    /// The family.
    pub family: FamilyId,
    /// What happens to it.
    pub action: FamilyAction,
    /// Description before (`None`: no metadata or a new family).
    pub before: Option<String>,
    /// Description after (`None`: deleted or metadata unknown).
    pub after: Option<String>,
    /// The region key it stands for after, when it has one.
    pub region: Option<String>,
    /// Nodes in it after, by id.
    pub nodes: Vec<String>,
}

/// The decision for one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeDecision {
    /// Node id (endpoint host, or `worker-<id>`).
    pub node: String,
    /// City and country as published.
    pub place: String,
    /// Its region key (`None`: no catalogued country; it stays).
    pub region: Option<String>,
    /// Buckets it operates today.
    pub from: Vec<BucketId>,
    /// Buckets it operates after.
    pub to: Vec<BucketId>,
}

impl NodeDecision {
    /// True when it changes buckets.
    pub fn moves(&self) -> bool {
        self.from != self.to
    }
}

/// A target layout and the decisions behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// The target topology.
    pub target: Topology,
    /// One row per family of the current or the target topology, by id.
    pub families: Vec<FamilyDecision>,
    /// One row per node, by id.
    pub nodes: Vec<NodeDecision>,
    /// What the layout was planned without, and the buckets it leaves in place therefore.
    #[serde(default)]
    pub unknowns: Unknowns,
}

/// Computes the target layout described in the [module docs](self).
///
/// A bucket accepting new bags in a family the Channel policy names (any family, when the
/// policy is unknown) is left in place unless the policy is restated: the layout is first
/// computed assuming it is, and again without when it cannot be (no serving family, or more
/// than 51).
///
/// # Errors
/// [`crate::Error`] from [`Topology::validate`] on the input.
pub fn target_layout(
    topology: &Topology,
    demand: Option<&Demand>,
    options: &ReassignOptions,
) -> Result<Layout> {
    topology.validate()?;
    let restate = topology.policies.is_some() && topology.buckets_per_bag_limit.is_some();
    let (layout, restated) = build::build(topology, demand, options, restate);
    if restate && !restated {
        return Ok(build::build(topology, demand, options, false).0);
    }
    Ok(layout)
}
