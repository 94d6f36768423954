//! Family ↔ bucket reassignment: a target layout, the migration to it, and its proof.
//!
//! The runtime cannot move a bucket to another family. Making families match where their
//! nodes stand therefore takes, per moved bucket, a new bucket in the target family, an
//! invitation the operator accepts, the operator's metadata, every bag added to the new bucket
//! and removed from the old one (two calls per bag: one per family), and the old bucket
//! drained and deleted — calls by two actors, in an order that keeps every bag served.
//!
//! * [`target`]: the target layout ([`target_layout`]): families as regions, bags, policy.
//! * [`migrate`](mod@migrate): the ordered calls with wait points and batches ([`migrate()`]).
//! * [`sim`]: the runtime-rules simulator ([`Chain`]), failing with the runtime's error names.
//! * [`replay`](mod@replay): replays a migration — legal calls, no coverage gap, end state = target.
//! * [`call`]: the calls, their actors and `joystream-distributor` command lines.
//! * [`render`]: the Markdown checklist and the lead's shell script.
//!
//! [`plan_reassignment`] runs all of it and refuses a plan whose replay fails.
//! [`reassign_after_moves`] plans it on the topology a relocation plan's node moves leave
//! ([`Topology::with_moves`]) and evaluates the service today, after the moves and after it.
//!
//! ```
//! use cdnplan_core::reassign::{plan_reassignment, ReassignOptions};
//! use cdnplan_core::topology::Topology;
//!
//! // A German node in a "Northern Europe" family and a French one in "Western Europe",
//! // both holding one bag.
//! let t: Topology = serde_json::from_str(r#"{
//!   "families": [
//!     {"id": 0, "metadata": {"region": "eu-north-1", "description": "Northern Europe"}, "nextBucketIndex": 1},
//!     {"id": 1, "metadata": {"region": "eu-west-1", "description": "Western Europe"}, "nextBucketIndex": 1}],
//!   "buckets": [
//!     {"id": "0:0", "acceptingNewBags": true, "distributing": true, "operators": [
//!       {"worker": 3, "status": "ACTIVE", "metadata": {"endpoint": "https://nbg.example/distributor/",
//!        "location": {"countryCode": "DE", "city": "Nuremberg", "coordinates": {"lat": 49.45, "lon": 11.08}}}}]},
//!     {"id": "1:0", "acceptingNewBags": true, "distributing": true, "operators": [
//!       {"worker": 1, "status": "ACTIVE", "metadata": {"endpoint": "https://par.example/distributor/",
//!        "location": {"countryCode": "FR", "city": "Paris", "coordinates": {"lat": 48.85, "lon": 2.35}}}}]}],
//!   "bags": [{"id": "dynamic:channel:1", "buckets": ["0:0", "1:0"]}],
//!   "bucketsPerBagLimit": 2,
//!   "policies": {"Channel": {"numberOfStorageBuckets": 5, "families": {"0": 1, "1": 1}},
//!                "Member": {"numberOfStorageBuckets": 5, "families": {}}}
//! }"#).unwrap();
//! let r = plan_reassignment(&t, None, &ReassignOptions::default())?;
//! let nbg = r.layout.nodes.iter().find(|n| n.node == "nbg.example").unwrap();
//! assert_eq!(nbg.to[0].to_string(), "1:1", "a new bucket in Western Europe");
//! assert_eq!(r.migration.cost.bags_moved, 1);
//! assert_eq!(r.replay.calls, r.migration.cost.lead_calls + r.migration.cost.operator_calls);
//! // A channel created at any point of the migration can be created and is served.
//! assert!(r.replay.checks.iter().any(|c| c.name == "channel_creatable"));
//! # Ok::<(), cdnplan_core::Error>(())
//! ```

mod assess;
mod cache;
pub mod call;
pub mod checks;
pub mod migrate;
pub mod render;
pub mod replay;
pub mod sim;
pub mod target;
pub mod unknown;

pub use assess::{Assessed, ChainStateUsed, ReassignRequest, reassign_after_moves};
pub use cache::{CacheFill, cache_fill};
pub use call::{Actor, Call};
pub use checks::{Check, Outcome};
pub use migrate::{Cost, Item, Migration, Phase, migrate};
pub use replay::{ReplayError, ReplayReport, replay, replay_migration};
pub use sim::{CallError, Chain, ChannelProblem, RuleError, RuntimeError, Unknown};
pub use target::{
    FamilyAction, FamilyDecision, Layout, NodeDecision, ReassignOptions, target_layout,
};
pub use unknown::{KeptBucket, KeptWhy, Unknowns};

use serde::{Deserialize, Serialize};

use crate::demand::Demand;
use crate::error::{Error, Result};
use crate::topology::Topology;

/// A reassignment: the target layout, the migration to it, and its replay on the simulator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reassignment {
    /// The target layout and the decisions behind it.
    pub layout: Layout,
    /// The ordered calls and wait points.
    pub migration: Migration,
    /// What the replay checked.
    pub replay: ReplayReport,
}

/// Plans a reassignment: [`target_layout`], then [`migrate()`], then [`replay()`].
///
/// # Errors
/// [`Error`] from the topology's validation; [`Error::Contradiction`] when the migration
/// cannot be built or its replay fails (naming the step and the runtime error or the bag and
/// region left unserved) — a planner defect, never a plan to act on.
pub fn plan_reassignment(
    topology: &Topology,
    demand: Option<&Demand>,
    options: &ReassignOptions,
) -> Result<Reassignment> {
    let layout = target_layout(topology, demand, options)?;
    let migration = migrate(topology, &layout.target, options.batch_size)?;
    let (_, replay) = replay_migration(topology, &migration, &layout.target)
        .map_err(|e| Error::Contradiction(format!("the migration does not replay: {e}")))?;
    Ok(Reassignment {
        layout,
        migration,
        replay,
    })
}

/// The most bags [`assume_bags`] creates: every assumed bag is replayed call by call, so a
/// million of them would take gigabytes; larger what-ifs are refused up front.
pub const MAX_ASSUMED_BAGS: u64 = 100_000;

/// Fills a topology that has no bag data with `count` assumed channel bags
/// (`dynamic:channel:1..=count`), each held by every distributing bucket that has an ACTIVE
/// operator — the layout a policy of one bucket per operated family produces — and sets the
/// Channel policy and the per-bag limit to match. Bags get `size_bytes` each when given.
/// Does nothing when the topology already has bags; creates at most [`MAX_ASSUMED_BAGS`]. For what-if plans on snapshots whose bag
/// list is unknown (such as the shipped January 2023 mainnet topology); say so in any report.
pub fn assume_bags(topology: &mut Topology, count: u64, size_bytes: Option<u64>) {
    use crate::topology::{Bag, BagId, DynamicBagType, OperatorStatus};
    let count = count.min(MAX_ASSUMED_BAGS);
    if !topology.bags.is_empty() || count == 0 {
        return;
    }
    let holders: Vec<_> = topology
        .buckets
        .iter()
        .filter(|b| {
            b.distributing
                && b.operators
                    .iter()
                    .any(|o| o.status == OperatorStatus::Active)
        })
        .map(|b| b.id)
        .collect();
    if holders.is_empty() {
        return;
    }
    topology.bags = (1..=count)
        .map(|i| Bag {
            id: BagId::Channel(i),
            size_bytes,
            buckets: holders.clone(),
        })
        .collect();
    topology.bags_known = Some(true);
    // Assumed too, like the bags (a what-if): at least room for every assumed holder.
    topology.buckets_per_bag_limit = Some(
        topology
            .buckets_per_bag_limit
            .unwrap_or(0)
            .max(holders.len() as u32),
    );
    let p = topology
        .policies
        .get_or_insert_with(Default::default)
        .entry(DynamicBagType::Channel)
        .or_default();
    p.families = holders.iter().map(|b| (b.family, 1)).collect();
}

#[cfg(test)]
mod tests;
