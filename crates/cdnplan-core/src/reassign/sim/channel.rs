//! The event "a Channel bag is created now", as Atlas creates it.
//!
//! The runtime creates a channel's dynamic bag on the distribution buckets the caller names,
//! and requires them to match the Channel dynamic bag creation policy family by family,
//! exactly (`validate_distribution_buckets_for_dynamic_bag_type`, Joystream/joystream
//! runtime-modules/storage/src/lib.rs:4592-4625 @ 3862e7e); a stored policy is used when
//! present, else the default, whose family map is empty (lib.rs:3805-3828). Atlas picks the
//! buckets: from the buckets with `acceptingNewBags = true` only, for every `(family, n)` of
//! the policy `n` of that family at random, and falls back to bucket 0:0 when that yields none
//! (Joystream/atlas packages/atlas/src/providers/joystream/joystream.hooks.ts:111-148 @
//! 9a42847). A channel created mid-migration is not in the plan's bag list, so no later call
//! of the plan moves it: it keeps the buckets it was created on.
//!
//! No runtime path creates Member bags (only `content::create_channel` calls
//! `create_dynamic_bag`, runtime-modules/content/src/lib.rs:623-639 @ 3862e7e), so only the
//! Channel policy is checked here.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::Chain;
use crate::reassign::replay::bucket_regions;
use crate::topology::{BucketId, DynamicBagType, FamilyId};

/// Why a Channel bag created now would fail, or would not be served as it should.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChannelProblem {
    /// The Channel policy was not read, so which buckets a channel needs is unknown.
    #[error(
        "the Channel dynamic bag creation policy (DynamicBagCreationPolicies) is unknown, so whether a channel can be created cannot be told"
    )]
    PolicyUnknown,
    /// The Channel policy names no family: Atlas falls back to bucket 0:0, which the runtime
    /// refuses against an empty family map.
    #[error(
        "the Channel policy names no family: Atlas falls back to bucket 0:0, which the runtime refuses (DistributionBucketsViolatesDynamicBagCreationPolicy)"
    )]
    PolicyEmpty,
    /// A family the policy names has fewer accepting buckets than the policy asks for.
    #[error(
        "family {family}: the Channel policy asks for {wanted} bucket(s), {accepting} accept new bags, so Atlas picks too few (DistributionBucketsViolatesDynamicBagCreationPolicy)"
    )]
    TooFewAccepting {
        /// The family.
        family: FamilyId,
        /// Its buckets accepting new bags.
        accepting: u32,
        /// What the policy asks for.
        wanted: u32,
    },
    /// With the policy unknown, any family may be named: a family with fewer accepting buckets
    /// than before the plan may no longer satisfy it.
    #[error(
        "family {family} has {now} bucket(s) accepting new bags, fewer than the {before} before the plan (the policy is unknown, so it may name this family)"
    )]
    FewerAccepting {
        /// The family.
        family: FamilyId,
        /// Accepting buckets before the plan.
        before: u32,
        /// Accepting buckets now.
        now: u32,
    },
    /// A bucket a new channel may land on is served by no node.
    #[error("bucket {bucket} may receive a new channel, but no node serves it")]
    NotServed {
        /// The bucket.
        bucket: BucketId,
    },
    /// A bucket a new channel may land on is deleted by the plan.
    #[error("bucket {bucket} may receive a new channel, but the plan deletes it")]
    Deleted {
        /// The bucket.
        bucket: BucketId,
    },
    /// A bucket a new channel may land on stops serving a region by the end of the plan.
    #[error(
        "bucket {bucket} may receive a new channel, but no longer serves region {region} once the plan is done"
    )]
    LosesRegion {
        /// The bucket.
        bucket: BucketId,
        /// The region it stops serving.
        region: String,
    },
    /// A channel created now is not sure to be served in a region where one created once the
    /// plan is done is.
    #[error(
        "a channel created now is not sure to be served in region {region}, where one created once the plan is done is"
    )]
    MissingEndRegion {
        /// The region.
        region: String,
    },
}

impl Chain {
    /// The Channel policy's family map (zero entries dropped), or `None` when the policies
    /// are unknown. A policy never stored is the runtime's default: no family.
    pub fn channel_policy(&self) -> Option<BTreeMap<FamilyId, u32>> {
        let ps = self.policies.as_ref()?;
        Some(
            ps.get(&DynamicBagType::Channel)
                .map(|p| {
                    p.families
                        .iter()
                        .filter(|(_, n)| **n > 0)
                        .map(|(f, n)| (*f, *n))
                        .collect()
                })
                .unwrap_or_default(),
        )
    }

    /// Buckets accepting new bags, counted by family.
    pub fn accepting_by_family(&self) -> BTreeMap<FamilyId, u32> {
        let mut m: BTreeMap<FamilyId, u32> = BTreeMap::new();
        for (id, b) in &self.buckets {
            if b.accepting_new_bags {
                *m.entry(id.family).or_default() += 1;
            }
        }
        m
    }

    /// The buckets Atlas may put a channel created now on: the accepting buckets of the
    /// families the Channel policy names, or every accepting bucket when the policy is
    /// unknown (it may name any family).
    pub fn channel_candidates(&self) -> BTreeSet<BucketId> {
        let policy = self.channel_policy();
        self.buckets
            .iter()
            .filter(|(id, b)| {
                b.accepting_new_bags && policy.as_ref().is_none_or(|p| p.contains_key(&id.family))
            })
            .map(|(id, _)| *id)
            .collect()
    }

    /// Whether Atlas can create a channel now: the policy names a family, and every family it
    /// names has at least as many accepting buckets as it asks for.
    ///
    /// # Errors
    /// Every [`ChannelProblem`]: the policy is unknown or empty, or families have too few
    /// accepting buckets.
    pub fn channel_creatable(&self) -> Result<(), Vec<ChannelProblem>> {
        let policy = self
            .channel_policy()
            .ok_or_else(|| vec![ChannelProblem::PolicyUnknown])?;
        if policy.is_empty() {
            return Err(vec![ChannelProblem::PolicyEmpty]);
        }
        let acc = self.accepting_by_family();
        let problems: Vec<ChannelProblem> = policy
            .into_iter()
            .filter_map(|(family, wanted)| {
                let accepting = acc.get(&family).copied().unwrap_or(0);
                (accepting < wanted).then_some(ChannelProblem::TooFewAccepting {
                    family,
                    accepting,
                    wanted,
                })
            })
            .collect();
        none_or(problems)
    }

    /// Whether every family has at least as many accepting buckets as in `before`: whatever
    /// the (unknown) policy, a channel Atlas could create before can then be created now.
    ///
    /// # Errors
    /// [`ChannelProblem::FewerAccepting`] for every family with fewer.
    pub fn accepting_kept(&self, before: &Chain) -> Result<(), Vec<ChannelProblem>> {
        let now = self.accepting_by_family();
        let problems: Vec<ChannelProblem> = before
            .accepting_by_family()
            .into_iter()
            .filter_map(|(family, b)| {
                let n = now.get(&family).copied().unwrap_or(0);
                (n < b).then_some(ChannelProblem::FewerAccepting {
                    family,
                    before: b,
                    now: n,
                })
            })
            .collect();
        none_or(problems)
    }

    /// Whether a channel created now is served wherever it lands, and stays so: every
    /// [candidate](Chain::channel_candidates) bucket serves a region now, still exists in
    /// `end` (the state once the plan is done) and serves there every region it serves now.
    ///
    /// # Errors
    /// One problem per candidate that serves nobody, is deleted, or loses a region.
    pub fn new_channel_served(&self, end: &Chain) -> Result<(), Vec<ChannelProblem>> {
        let problems: Vec<ChannelProblem> = self
            .channel_candidates()
            .into_iter()
            .filter_map(|bucket| {
                let now = bucket_regions(self, bucket);
                if now.is_empty() {
                    return Some(ChannelProblem::NotServed { bucket });
                }
                if !end.buckets.contains_key(&bucket) {
                    return Some(ChannelProblem::Deleted { bucket });
                }
                let then = bucket_regions(end, bucket);
                now.difference(&then)
                    .next()
                    .map(|region| ChannelProblem::LosesRegion {
                        bucket,
                        region: region.clone(),
                    })
            })
            .collect();
        none_or(problems)
    }

    /// The regions a channel created now is served in whichever buckets Atlas picks; `None`
    /// when the policy is unknown. In a family whose policy count is `n`, a region is sure
    /// when fewer than `n` of the family's accepting buckets miss it (every pick of `n` then
    /// holds one that serves it).
    pub fn new_channel_regions(&self) -> Option<BTreeSet<String>> {
        let policy = self.channel_policy()?;
        let mut sure = BTreeSet::new();
        for (family, n) in policy {
            let served: Vec<BTreeSet<String>> = self
                .buckets
                .iter()
                .filter(|(id, b)| id.family == family && b.accepting_new_bags)
                .map(|(id, _)| bucket_regions(self, *id))
                .collect();
            if served.len() < n as usize {
                continue;
            }
            let all: BTreeSet<&String> = served.iter().flatten().collect();
            for r in all {
                let missing = served.iter().filter(|s| !s.contains(r)).count();
                if missing < n as usize {
                    sure.insert(r.clone());
                }
            }
        }
        Some(sure)
    }

    /// Whether a channel created now is sure to be served in every region one created in
    /// `end` is.
    ///
    /// # Errors
    /// [`ChannelProblem::PolicyUnknown`], or every region missing.
    pub fn new_channel_reaches(&self, end: &Chain) -> Result<(), Vec<ChannelProblem>> {
        let (Some(now), Some(then)) = (self.new_channel_regions(), end.new_channel_regions())
        else {
            return Err(vec![ChannelProblem::PolicyUnknown]);
        };
        none_or(
            then.difference(&now)
                .map(|region| ChannelProblem::MissingEndRegion {
                    region: region.clone(),
                })
                .collect(),
        )
    }
}

impl ChannelProblem {
    /// What the problem is about (a family, a bucket, a region, the policy): a later point
    /// shows the same problem when it shows one with the same key, whatever its numbers.
    pub fn key(&self) -> String {
        match self {
            ChannelProblem::PolicyUnknown => "policy-unknown".into(),
            ChannelProblem::PolicyEmpty => "policy-empty".into(),
            ChannelProblem::TooFewAccepting { family, .. }
            | ChannelProblem::FewerAccepting { family, .. } => format!("family:{family}"),
            ChannelProblem::NotServed { bucket }
            | ChannelProblem::Deleted { bucket }
            | ChannelProblem::LosesRegion { bucket, .. } => format!("bucket:{bucket}"),
            ChannelProblem::MissingEndRegion { region } => format!("region:{region}"),
        }
    }
}

fn none_or(problems: Vec<ChannelProblem>) -> Result<(), Vec<ChannelProblem>> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}
