//! What a reassignment plans without: chain state no indexer holds, and the buckets it
//! therefore leaves in place.
//!
//! Unknown means unknown: no call whose legality or effect depends on an unknown value is
//! emitted (Joystream/joystream runtime-modules/storage/src/lib.rs @ 3862e7e, see the notes on
//! each item). Instead the plan says what it needs and how to get it.

use serde::{Deserialize, Serialize};

use crate::topology::{BagsUnknown, BucketId, Topology};

/// Why a bucket is left as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeptWhy {
    /// Its bags are unknown: switching it off, removing its operator or deleting it could
    /// strand bags the plan cannot see (`delete_distribution_bucket` needs `assigned_bags == 0`,
    /// lib.rs:2619-2620; mode and operator calls check no bags, lib.rs:2741-2770, 2900-2935).
    BagsUnknown {
        /// What is unknown.
        unknown: BagsUnknown,
    },
    /// It holds bags, and moving them takes `update-bag` calls whose legality depends on the
    /// unknown per-bag limit (lib.rs:3919-3972).
    LimitUnknown {
        /// Bags listed on it.
        bags: u64,
    },
    /// It accepts new bags in a family the Channel policy names (or may name, when the policy
    /// is unknown), and the policy is not restated: a channel may be created on it at any
    /// time, so closing it could block channel creation and deleting or stripping it could
    /// strand a new channel.
    AcceptsNewChannels {
        /// Whether the Channel policy is known (it names the bucket's family).
        policy_known: bool,
    },
}

impl std::fmt::Display for KeptWhy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeptWhy::BagsUnknown { unknown } => write!(f, "{unknown}"),
            KeptWhy::LimitUnknown { bags } => write!(
                f,
                "it holds {bags} bags, and moving them needs the per-bag limit, which is unknown"
            ),
            KeptWhy::AcceptsNewChannels { policy_known: true } => write!(
                f,
                "it accepts new bags in a family the Channel policy names, and the policy is not restated: new channels may land on it"
            ),
            KeptWhy::AcceptsNewChannels {
                policy_known: false,
            } => write!(
                f,
                "it accepts new bags, and the Channel policy is unknown: new channels may land on it"
            ),
        }
    }
}

/// A bucket the plan leaves in place instead of changing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptBucket {
    /// The bucket.
    pub bucket: BucketId,
    /// Why it stays.
    pub why: KeptWhy,
    /// What the plan would otherwise have done with it.
    pub instead_of: String,
}

/// What the plan was made without, and what it therefore does not do.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Unknowns {
    /// The topology has no bag data.
    pub bags_unknown: bool,
    /// `DistributionBucketsPerBagLimit` is unknown.
    pub limit_unknown: bool,
    /// `DynamicBagCreationPolicies` are unknown.
    pub policies_unknown: bool,
    /// Buckets whose on-chain counter disagrees with their listed bags.
    pub counter_mismatches: Vec<BucketId>,
    /// Buckets left in place that the plan would otherwise drain, switch off, strip of an
    /// operator or delete, by id.
    pub kept: Vec<KeptBucket>,
    /// Bags were assumed (`--assume-bags`): a what-if, not a plan for the real bags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assumed_bags: Option<u64>,
}

impl Unknowns {
    /// What `topology` does not tell; `kept` is filled in by the planner.
    pub fn of(topology: &Topology) -> Unknowns {
        Unknowns {
            bags_unknown: !topology.bags_are_known(),
            limit_unknown: topology.buckets_per_bag_limit.is_none(),
            policies_unknown: topology.policies.is_none(),
            counter_mismatches: topology
                .buckets_with_unknown_bags()
                .into_iter()
                .filter(|(_, w)| matches!(w, BagsUnknown::CounterDisagrees { .. }))
                .map(|(b, _)| b)
                .collect(),
            kept: Vec::new(),
            assumed_bags: None,
        }
    }

    /// True when the plan was made with everything it needs.
    pub fn is_empty(&self) -> bool {
        !self.bags_unknown
            && !self.limit_unknown
            && !self.policies_unknown
            && self.counter_mismatches.is_empty()
            && self.kept.is_empty()
            && self.assumed_bags.is_none()
    }

    /// The steps the plan does not emit, one sentence each.
    pub fn withheld(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.limit_unknown {
            v.push("no `leader:set-buckets-per-bag-limit`: without the current limit the plan cannot tell whether a new value raises or lowers it (lowering leaves bags above the limit: lib.rs:2711-2730)".to_string());
            v.push("no `leader:update-bag`: whether a bag update is legal depends on the limit (`len + add − remove ≤ limit`, lib.rs:3919-3972), so no bag moves and buckets holding bags are not drained".to_string());
        }
        if self.policies_unknown {
            v.push("no `leader:update-dynamic-bag-policy`: it replaces a policy's whole family map (lib.rs:2782-2808), and the current Channel/Member policies are unknown".to_string());
            v.push("no `leader:delete-bucket-family`: the runtime refuses it while the Member or Channel policy names the family (lib.rs:2495-2525)".to_string());
            v.push("no `leader:update-bucket-status -a no`, and no bucket accepting new bags is stripped or deleted: the Channel policy may name its family, so closing it could leave Atlas too few accepting buckets to create a channel, and a channel created on it would be stranded (Atlas picks accepting buckets: joystream.hooks.ts:111-148 @ Joystream/atlas 9a42847)".to_string());
        }
        if self.bags_unknown || !self.counter_mismatches.is_empty() {
            v.push("no `leader:update-bucket-mode -d off`, `leader:remove-bucket-operator` or `leader:delete-bucket` for a bucket whose bags are unknown: the runtime deletes only a bucket whose `assigned_bags` counter is 0 (lib.rs:2611-2640), and switching a bucket off or removing its operator takes the node away from every bag on it".to_string());
        }
        v
    }

    /// What to provide to plan the rest, one sentence each.
    pub fn needs(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.bags_unknown {
            v.push("the bag list: import it from an indexer with `cdnplan topology --graphql URL --save topology.json` (or `--graphql-file`), then plan with `--topology topology.json`".to_string());
        }
        if !self.counter_mismatches.is_empty() {
            v.push("a fresh bag list (or the on-chain `assigned_bags` counters) for the buckets whose counter disagrees with their listed bags".to_string());
        }
        if self.limit_unknown || self.policies_unknown {
            let what = match (self.limit_unknown, self.policies_unknown) {
                (true, true) => "the per-bag limit and the Channel/Member policies",
                (true, false) => "the per-bag limit",
                _ => "the Channel/Member policies",
            };
            v.push(format!(
                "{what}: read them from chain with `--rpc http://NODE:9933` (a Joystream node's JSON-RPC; `state_getStorage` at `Storage::DistributionBucketsPerBagLimit` = 0x95875cb80ebaf9f918457db6a86ac6ad0e47ba53c668e8be284926c7ad3e8009 and `Storage::DynamicBagCreationPolicies` [Channel = …3323e092df90358439e7c6649f66d93f4a9e6f9b8d43f6ad008f8c291929dee201, Member = …3323e092df90358439e7c6649f66d93f7025e075d5e2f6cde3cc051a31f0766000]) or give them in the topology file as `bucketsPerBagLimit` / `policies`"
            ));
        }
        v
    }

    /// Markdown: what the plan was made without, the buckets it leaves in place and why, the
    /// steps it does not emit, and what it needs. Empty when nothing is unknown.
    pub fn markdown(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        if self.is_empty() {
            return s;
        }
        let _ = writeln!(s, "## Planned without chain data\n");
        if let Some(n) = self.assumed_bags {
            let _ = writeln!(
                s,
                "**What-if:** the topology lists no bags; this plan assumes {n} channel bags on every operated bucket (`--assume-bags`). It is not a plan for the real bags.\n"
            );
        }
        if self.bags_unknown {
            let _ = writeln!(
                s,
                "This plan is made **without bag data**: the topology lists no bags, so which bags each bucket holds is unknown.\n"
            );
        }
        if !self.kept.is_empty() {
            let _ = writeln!(s, "Buckets left in place:\n");
            for k in &self.kept {
                let _ = writeln!(
                    s,
                    "- bucket {}: {} — instead of: {}",
                    k.bucket, k.why, k.instead_of
                );
            }
            s.push('\n');
        }
        let withheld = self.withheld();
        if !withheld.is_empty() {
            let _ = writeln!(s, "Not emitted:\n");
            for w in withheld {
                let _ = writeln!(s, "- {w}");
            }
            s.push('\n');
        }
        let needs = self.needs();
        if !needs.is_empty() {
            let _ = writeln!(s, "To plan the rest, provide:\n");
            for n in needs {
                let _ = writeln!(s, "- {n}");
            }
            s.push('\n');
        }
        s
    }
}
