//! Replaying a plan on the simulator: every call legal, no coverage gap, a Channel bag
//! creatable and served at every point, end state = target.
//!
//! # Coverage
//!
//! A bag is *served in a region* when one of its buckets is distributing and has an ACTIVE
//! operator with an endpoint (Orion's rule; one without coordinates is ranked last, still
//! served) whose country lies in that region
//! of the [catalogue](crate::topology::regions); an operator without a catalogued country is
//! a region of its own (`node:<host>`). After every call, every bag must be served in every
//! region where it was served before the plan started.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::call::Call;
use super::checks::{Check, Tracker};
use super::migrate::{Item, Migration};
use super::sim::{CallError, Chain, ChannelProblem};
use crate::topology::regions::region_of_country;
use crate::topology::{BagId, BucketId, OperatorMetadata, Topology};

/// Why a replay failed.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// A call was rejected.
    #[error("step {step} ({call}): {error}")]
    Call {
        /// 1-based call number.
        step: usize,
        /// The runtime call.
        call: String,
        /// Why.
        error: CallError,
    },
    /// A bag stopped being served in a region it was served in before.
    #[error("step {step} ({call}): bag {bag} is no longer served in region {region}")]
    CoverageGap {
        /// 1-based call number.
        step: usize,
        /// The runtime call.
        call: String,
        /// The bag.
        bag: BagId,
        /// The region.
        region: String,
    },
    /// A channel check met a problem it did not have at the point before: a Channel bag
    /// created at that point would fail or go unserved, because of the plan.
    #[error("at {at}: check {check} breaks: {problem}")]
    ChannelCreation {
        /// The point (a step, or the wait before one).
        at: String,
        /// The check's name.
        check: String,
        /// What a channel created there would meet.
        problem: ChannelProblem,
    },
    /// The calls ran but did not reach the target.
    #[error("the end state differs from the target: {0}")]
    EndState(String),
}

/// What a successful replay saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplayReport {
    /// Calls applied.
    pub calls: usize,
    /// Wait points passed.
    #[serde(default)]
    pub waits: usize,
    /// (bag, region) pairs checked after every call.
    pub covered_pairs: usize,
    /// The largest number of buckets any bag had at any point.
    pub peak_buckets_per_bag: usize,
    /// The invariants checked, and how each fared.
    #[serde(default)]
    pub checks: Vec<Check>,
}

/// The coverage region of one operator's metadata; `None` when Orion would not serve it (no
/// endpoint). An operator without coordinates still serves, ranked after every located node
/// (Joystream/orion src/server-extension/resolvers/AssetsResolver/utils.ts:39-44 @ f7ad779).
pub fn operator_region(meta: Option<&OperatorMetadata>) -> Option<String> {
    let meta = meta?;
    let endpoint = meta.endpoint.as_deref()?;
    let country = meta.location.as_ref().and_then(|l| l.country_code);
    Some(match country.and_then(region_of_country) {
        Some(r) => r.key.to_string(),
        None => format!("node:{}", crate::topology::endpoint_host(endpoint)),
    })
}

/// The regions a bucket serves in.
pub fn bucket_regions(chain: &Chain, bucket: BucketId) -> BTreeSet<String> {
    match chain.buckets.get(&bucket) {
        Some(b) if b.distributing => b
            .operators
            .values()
            .filter_map(|m| operator_region(m.as_ref()))
            .collect(),
        _ => BTreeSet::new(),
    }
}

/// The regions every bag is served in.
pub fn coverage(chain: &Chain) -> BTreeMap<BagId, BTreeSet<String>> {
    let by_bucket: BTreeMap<BucketId, BTreeSet<String>> = chain
        .buckets
        .keys()
        .map(|b| (*b, bucket_regions(chain, *b)))
        .collect();
    chain
        .bags
        .iter()
        .map(|(id, bag)| {
            let regions = bag
                .buckets
                .iter()
                .filter_map(|b| by_bucket.get(b))
                .flatten()
                .cloned()
                .collect();
            (id.clone(), regions)
        })
        .collect()
}

/// One step of a replay: a call, or a wait point (no state change; the channel checks run).
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    /// A call.
    Call(&'a Call),
    /// A wait point, with what is waited for.
    Wait(&'a str),
}

/// Replays `calls` from `initial` and checks every call, the coverage after each, the
/// channel checks ([`replay_steps`]) and that the end state is `target`'s.
///
/// # Errors
/// The first [`ReplayError`].
pub fn replay<'a>(
    initial: &Topology,
    calls: impl IntoIterator<Item = &'a Call>,
    target: &Topology,
) -> Result<(Chain, ReplayReport), ReplayError> {
    replay_steps(initial, calls.into_iter().map(Step::Call), target)
}

/// Replays a migration's calls and wait points ([`replay_steps`]).
///
/// # Errors
/// The first [`ReplayError`].
pub fn replay_migration(
    initial: &Topology,
    migration: &Migration,
    target: &Topology,
) -> Result<(Chain, ReplayReport), ReplayError> {
    let steps = migration.items.iter().map(|i| match i {
        Item::Call { call, .. } => Step::Call(call),
        Item::Wait { what, .. } => Step::Wait(what.as_str()),
    });
    replay_steps(initial, steps, target)
}

/// The channel checks that apply to a chain whose policies are known or not.
fn channel_trackers(policy_known: bool) -> Vec<Tracker> {
    let mut v = vec![Tracker::new(
        CHANNEL_CREATABLE,
        "a Channel bag can be created now: the Channel policy names a family, and each family it names has as many buckets accepting new bags as it asks for (Atlas picks only accepting buckets)",
    )];
    if !policy_known {
        v.push(Tracker::new(
            ACCEPTING_KEPT,
            "no family has fewer buckets accepting new bags than before the plan, so a channel that could be created before still can, whatever the unknown policy names",
        ));
    }
    v.push(Tracker::new(
        NEW_CHANNEL_SERVED,
        if policy_known {
            "every bucket a new channel may land on (accepting, in a family the Channel policy names) is served by a node, is not deleted by the plan and still serves its regions once the plan is done"
        } else {
            "every bucket accepting new bags (the unknown policy may name any family) is served by a node, is not deleted by the plan and still serves its regions once the plan is done"
        },
    ));
    v.push(Tracker::settling(
        NEW_CHANNEL_REACHES,
        "a channel created now is sure to be served in every region one created once the plan is done is (before that point, new channels get the regions of the policy of their time; plan again afterwards to give them the rest)",
    ));
    v
}

/// `checks` name: Atlas can create a Channel bag.
pub const CHANNEL_CREATABLE: &str = "channel_creatable";
/// `checks` name: no family loses accepting buckets (policy unknown).
pub const ACCEPTING_KEPT: &str = "accepting_buckets_kept";
/// `checks` name: a new channel's buckets serve and survive.
pub const NEW_CHANNEL_SERVED: &str = "new_channel_served";
/// `checks` name: a new channel reaches the end's regions.
pub const NEW_CHANNEL_REACHES: &str = "new_channel_reaches_end_regions";

fn channel_result(
    name: &str,
    chain: &Chain,
    initial: &Chain,
    end: &Chain,
) -> Result<(), Vec<ChannelProblem>> {
    match name {
        CHANNEL_CREATABLE => chain.channel_creatable(),
        ACCEPTING_KEPT => chain.accepting_kept(initial),
        NEW_CHANNEL_SERVED => chain.new_channel_served(end),
        _ => chain.new_channel_reaches(end),
    }
}

/// Replays `steps` from `initial`. Checks every call against the runtime's rules, the
/// coverage of every bag after each call, the event "a Channel bag is created now" before the
/// first call, after every call and at every wait point ([`Chain::channel_creatable`],
/// [`Chain::new_channel_served`], [`Chain::new_channel_reaches`]; with the policy unknown,
/// [`Chain::accepting_kept`]), and that the end state is `target`'s.
///
/// # Errors
/// The first [`ReplayError`]: a call rejected, a bag losing a region, a channel check that
/// held and stops holding, or an end state other than the target.
pub fn replay_steps<'a>(
    initial: &Topology,
    steps: impl IntoIterator<Item = Step<'a>>,
    target: &Topology,
) -> Result<(Chain, ReplayReport), ReplayError> {
    let mut chain = Chain::from_topology(initial);
    let start = chain.clone();
    let end = Chain::from_topology(target);
    let required = coverage(&chain);
    let covered_pairs = required.values().map(BTreeSet::len).sum();
    let mut peak = chain
        .bags
        .values()
        .map(|b| b.buckets.len())
        .max()
        .unwrap_or(0);
    let mut trackers = channel_trackers(chain.policies.is_some());
    let observe = |chain: &Chain, point: &str, trackers: &mut Vec<Tracker>| {
        for t in trackers.iter_mut() {
            let r = channel_result(t.name, chain, &start, &end);
            t.observe(point, r)
                .map_err(|problem| ReplayError::ChannelCreation {
                    at: point.to_string(),
                    check: t.name.to_string(),
                    problem,
                })?;
        }
        Ok::<(), ReplayError>(())
    };
    observe(&chain, "the start", &mut trackers)?;
    let (mut n, mut waits) = (0, 0);
    for step in steps {
        let call = match step {
            Step::Wait(what) => {
                waits += 1;
                observe(
                    &chain,
                    &format!("the wait before step {} ({what})", n + 1),
                    &mut trackers,
                )?;
                continue;
            }
            Step::Call(call) => call,
        };
        n += 1;
        chain.apply(call).map_err(|error| ReplayError::Call {
            step: n,
            call: call.runtime_call(),
            error,
        })?;
        let affected: Vec<BagId> = match call {
            Call::UpdateDistributionBucketsForBag { bag, .. } => vec![bag.clone()],
            Call::UpdateDistributionBucketMode { bucket, .. }
            | Call::RemoveDistributionBucketOperator { bucket, .. }
            | Call::SetDistributionOperatorMetadata { bucket, .. } => chain
                .bags
                .iter()
                .filter(|(_, b)| b.buckets.contains(bucket))
                .map(|(id, _)| id.clone())
                .collect(),
            _ => Vec::new(),
        };
        for bag in affected {
            let Some(state) = chain.bags.get(&bag) else {
                continue;
            };
            peak = peak.max(state.buckets.len());
            let Some(want) = required.get(&bag) else {
                continue;
            };
            let have: BTreeSet<String> = state
                .buckets
                .iter()
                .flat_map(|b| bucket_regions(&chain, *b))
                .collect();
            if let Some(region) = want.iter().find(|r| !have.contains(*r)) {
                return Err(ReplayError::CoverageGap {
                    step: n,
                    call: call.runtime_call(),
                    bag,
                    region: region.clone(),
                });
            }
        }
        observe(
            &chain,
            &format!("step {n} ({})", call.runtime_call()),
            &mut trackers,
        )?;
    }
    if !chain.same_state(&end) {
        return Err(ReplayError::EndState(
            chain
                .first_difference(&end)
                .unwrap_or_else(|| "unknown difference".into()),
        ));
    }
    let points = 1 + n + waits;
    let mut checks = vec![
        Check::holds(
            "calls_legal",
            "every call passes the runtime's checks, in the runtime's order (storage pallet, Joystream/joystream 3862e7e)",
            n,
        ),
        Check::holds(
            "nothing_guessed",
            "no call depends on chain state the topology lacks (per-bag limit, policies, bucket counters), lowers the per-bag limit, or switches off, strips or deletes a bucket whose bags are not all known",
            n,
        ),
        Check::holds(
            "bags_keep_regions",
            format!(
                "every bag keeps every region it was served in before the plan ({covered_pairs} bag–region pairs)"
            ),
            n,
        ),
    ];
    checks.extend(trackers.into_iter().map(Tracker::finish));
    checks.push(Check::holds(
        "end_state_is_target",
        "the state after the last call equals the target layout",
        1,
    ));
    debug_assert!(checks.iter().all(|c| c.steps_checked <= points));
    Ok((
        chain,
        ReplayReport {
            calls: n,
            waits,
            covered_pairs,
            peak_buckets_per_bag: peak,
            checks,
        },
    ))
}
