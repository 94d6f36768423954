//! The migration: ordered calls from today's topology to a target, with wait points.
//!
//! [`migrate`] derives the calls from the difference between the two states and orders them
//! so that every bag keeps its regions and a Channel bag created at any point can be created
//! and is served (the replay proves both, [`replay_migration`](super::replay_migration)):
//!
//! 1. **Prepare**: raise the per-bag limit when adding before removing needs it.
//! 2. **Families**: create new families; publish new or changed family metadata.
//! 3. **Buckets**: create new buckets *not* accepting new bags (the CLI's default: Atlas
//!    would otherwise put new channels on a bucket no node serves yet); invite operators.
//! 4. **Operators** (after a wait for them): accept invitations; publish endpoint and location
//!    per new bucket.
//! 5. **Open** (after the metadata is indexed and the nodes serve the new buckets): switch on
//!    `accepting` for the buckets that receive bags or accept in the target.
//! 6. **Policy** (after open Atlas tabs have reloaded their bucket list): restate each
//!    dynamic bag policy's whole family map.
//! 7. **Close**: stop new bags on the buckets being drained, now that the policy no longer
//!    needs them.
//! 8. **Add bags**: one `update_distribution_buckets_for_bag` per bag and family.
//! 9. **Drain** (after cache warm-up, and after re-reading the drained buckets' bags, which
//!    channels created before the policy changed may have joined): remove bags from the
//!    buckets that lose them; switch drained buckets off, remove their operators, delete them.
//! 10. **Cleanup**: delete families (after their buckets and once no policy names them); set
//!     the final accepting and distributing flags and the per-bag limit.

use serde::{Deserialize, Serialize};

use super::call::{Actor, Call};

mod order;

pub use order::migrate;

/// Default number of per-bag calls in one group of the checklist. Groups pace and review the
/// work; they are not batched on chain: `joystream-distributor leader:update-bag` submits one
/// transaction per call.
pub const DEFAULT_BATCH_SIZE: usize = 100;

/// The phases of a migration, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Raise the per-bag limit.
    Prepare,
    /// Create families, publish family metadata.
    Families,
    /// Create buckets, invite operators.
    Buckets,
    /// Operators accept and publish their metadata.
    Operators,
    /// Buckets start accepting new bags.
    Open,
    /// Restate dynamic bag creation policies.
    Policy,
    /// Drained buckets stop accepting new bags.
    Close,
    /// Add bags to buckets (in groups).
    AddBags,
    /// Remove bags, switch off and delete drained buckets.
    Drain,
    /// Delete families, final flags and limit.
    Cleanup,
}

impl Phase {
    /// A heading for reports.
    pub fn title(self) -> &'static str {
        match self {
            Phase::Prepare => "Prepare",
            Phase::Families => "Families",
            Phase::Buckets => "Buckets and invitations",
            Phase::Operators => "Operators accept and publish metadata",
            Phase::Open => "Open buckets to new bags",
            Phase::Policy => "Dynamic bag creation policy",
            Phase::Close => "Close drained buckets to new bags",
            Phase::AddBags => "Add bags to their new buckets",
            Phase::Drain => "Drain and delete old buckets",
            Phase::Cleanup => "Cleanup",
        }
    }
}

/// One item of a migration: a call, or a point to wait at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Item {
    /// A call.
    Call {
        /// Its phase.
        phase: Phase,
        /// The call.
        call: Call,
        /// The batch it belongs to (per-bag calls only), numbered from 1.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        batch: Option<usize>,
    },
    /// Wait until something has happened before going on.
    Wait {
        /// The phase that follows.
        phase: Phase,
        /// Who must act or check.
        actor: Actor,
        /// What to wait for.
        what: String,
    },
}

/// What a migration costs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cost {
    /// Calls the lead makes.
    pub lead_calls: usize,
    /// Calls operators make.
    pub operator_calls: usize,
    /// Of the lead's calls, the per-bag `update_distribution_buckets_for_bag` calls.
    pub per_bag_calls: usize,
    /// Groups the per-bag calls are listed in (for pacing and review, not on-chain batches).
    pub batches: usize,
    /// Transactions the lead submits: one per call, as the distributor CLI sends each command
    /// as its own extrinsic.
    pub lead_transactions: usize,
    /// Bags whose set of buckets changes.
    pub bags_moved: usize,
    /// Bucket additions plus removals over all bags.
    pub bucket_assignment_changes: usize,
}

impl Cost {
    /// Every call, the lead's and the operators'.
    pub fn calls(&self) -> usize {
        self.lead_calls + self.operator_calls
    }

    /// One sentence on the calls and who makes them.
    ///
    /// ```
    /// use cdnplan_core::reassign::Cost;
    /// let c = Cost { lead_calls: 26, operator_calls: 2, lead_transactions: 26, ..Cost::default() };
    /// assert_eq!(
    ///     c.calls_summary(),
    ///     "28 calls: 26 by the lead (0 per-bag calls in 0 groups; 26 lead transactions, one per call), 2 by operators"
    /// );
    /// ```
    pub fn calls_summary(&self) -> String {
        format!(
            "{} calls: {} by the lead ({} per-bag calls in {} groups; {} lead transactions, one per call), {} by operators",
            self.calls(),
            self.lead_calls,
            self.per_bag_calls,
            self.batches,
            self.lead_transactions,
            self.operator_calls
        )
    }

    /// One phrase on the bags that move.
    pub fn bags_summary(&self) -> String {
        format!(
            "{} bags change buckets ({} bucket assignments added or removed)",
            self.bags_moved, self.bucket_assignment_changes
        )
    }
}

/// An ordered migration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Migration {
    /// Calls and wait points, in order.
    pub items: Vec<Item>,
    /// Per-bag calls per batch.
    pub batch_size: usize,
    /// What it costs.
    pub cost: Cost,
}

impl Migration {
    /// The calls, in order.
    pub fn calls(&self) -> impl Iterator<Item = &Call> {
        self.items.iter().filter_map(|i| match i {
            Item::Call { call, .. } => Some(call),
            Item::Wait { .. } => None,
        })
    }
}
