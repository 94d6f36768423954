//! The runtime-rules simulator: the distribution side of the storage pallet as a state machine.
//!
//! [`Chain::apply`] checks each [`Call`] against the preconditions and limits of the
//! production runtime (`runtime-modules/storage/src/lib.rs` and `runtime/src/lib.rs` of the
//! Joystream runtime) and fails with the runtime's own error name ([`RuntimeError`]), or
//! applies it. Metadata calls are events only on chain; the simulator keeps their latest value
//! as an indexer would, so the end state can be compared with a target topology.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::call::Call;
use crate::topology::{
    Bag, BagId, Bucket, BucketId, DynamicBagPolicy, DynamicBagType, Family, FamilyId,
    FamilyMetadata, Operator, OperatorMetadata, OperatorStatus, RuntimeLimits, Topology, WorkerId,
};

mod channel;
mod error;
#[cfg(test)]
mod tests;

pub use channel::ChannelProblem;
pub use error::{CallError, RuleError, RuntimeError, Unknown};

/// A bucket's state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BucketState {
    /// `accepting_new_bags`.
    pub accepting_new_bags: bool,
    /// `distributing`.
    pub distributing: bool,
    /// Operators with their latest metadata (`None`: never set).
    pub operators: BTreeMap<WorkerId, Option<OperatorMetadata>>,
    /// `pending_invitations`.
    pub invited: BTreeSet<WorkerId>,
    /// The runtime's `assigned_bags` counter; `None` when not known (no bag data and no
    /// counter read from chain). Kept apart from the bag list: the runtime checks the counter
    /// (lib.rs:2619-2620 @ 3862e7e), and a list can miss bags.
    pub assigned_bags: Option<u64>,
}

/// A family's state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FamilyState {
    /// `next_distribution_bucket_index`.
    pub next_bucket_index: u64,
    /// Latest metadata (event only on chain).
    pub metadata: Option<FamilyMetadata>,
}

/// A bag's state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BagState {
    /// Size in bytes, when known.
    pub size_bytes: Option<u64>,
    /// `distributed_by`.
    pub buckets: BTreeSet<BucketId>,
}

/// The distribution state of the chain (plus the metadata an indexer keeps).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Chain {
    /// Families.
    pub families: BTreeMap<FamilyId, FamilyState>,
    /// Buckets.
    pub buckets: BTreeMap<BucketId, BucketState>,
    /// Bags.
    pub bags: BTreeMap<BagId, BagState>,
    /// Whether the bag list is complete ([`Topology::bags_are_known`]).
    pub bags_known: bool,
    /// `DistributionBucketsPerBagLimit`; `None` when not known.
    pub buckets_per_bag_limit: Option<u32>,
    /// The per-bag limit before the plan: no call may set a lower one.
    pub limit_floor: Option<u32>,
    /// Dynamic bag creation policies; `None` when not known.
    pub policies: Option<BTreeMap<DynamicBagType, DynamicBagPolicy>>,
    /// `NextDistributionBucketFamilyId`.
    pub next_family_id: u64,
    /// Workers of the distribution working group (those that may be invited).
    pub workers: BTreeSet<WorkerId>,
    /// The runtime's constants.
    pub limits: RuntimeLimits,
}

impl Chain {
    /// The state a topology describes. Workers are those the topology names (operators,
    /// invitations, handles). Policy entries with zero buckets are dropped, as the runtime does.
    /// A bucket's counter is its `assigned_bags` when given, else the number of bags listed on
    /// it when the bag list is known, else unknown.
    pub fn from_topology(t: &Topology) -> Chain {
        let bags_known = t.bags_are_known();
        let mut c = Chain {
            bags_known,
            buckets_per_bag_limit: t.buckets_per_bag_limit,
            limit_floor: t.buckets_per_bag_limit,
            next_family_id: t.expected_next_family_id(),
            limits: RuntimeLimits::MAINNET,
            ..Chain::default()
        };
        for f in &t.families {
            c.families.insert(
                f.id,
                FamilyState {
                    next_bucket_index: f.next_bucket_index,
                    metadata: f.metadata.clone(),
                },
            );
        }
        for b in &t.buckets {
            let mut s = BucketState {
                accepting_new_bags: b.accepting_new_bags,
                distributing: b.distributing,
                assigned_bags: b
                    .assigned_bags
                    .or_else(|| bags_known.then(|| t.listed_bags(b.id))),
                ..BucketState::default()
            };
            for op in &b.operators {
                c.workers.insert(op.worker);
                match op.status {
                    OperatorStatus::Active => {
                        s.operators.insert(op.worker, op.metadata.clone());
                    }
                    OperatorStatus::Invited => {
                        s.invited.insert(op.worker);
                    }
                }
            }
            // A family's counter is always past its buckets' indices.
            if let Some(f) = c.families.get_mut(&b.id.family) {
                f.next_bucket_index = f.next_bucket_index.max(b.id.index + 1);
            }
            c.buckets.insert(b.id, s);
        }
        c.workers.extend(t.worker_handles.keys().copied());
        for bag in &t.bags {
            c.bags.insert(
                bag.id.clone(),
                BagState {
                    size_bytes: bag.size_bytes,
                    buckets: bag.buckets.iter().copied().collect(),
                },
            );
        }
        c.policies = t.policies.as_ref().map(|ps| {
            ps.iter()
                .map(|(ty, p)| {
                    let mut p = p.clone();
                    p.families.retain(|_, n| *n > 0);
                    (*ty, p)
                })
                .collect()
        });
        c
    }

    /// The state as a topology, keeping `base`'s name, source, handles and object map.
    pub fn to_topology(&self, base: &Topology) -> Topology {
        Topology {
            name: base.name.clone(),
            source: base.source.clone(),
            families: self
                .families
                .iter()
                .map(|(id, f)| Family {
                    id: *id,
                    metadata: f.metadata.clone(),
                    next_bucket_index: f.next_bucket_index,
                })
                .collect(),
            buckets: self
                .buckets
                .iter()
                .map(|(id, b)| Bucket {
                    id: *id,
                    accepting_new_bags: b.accepting_new_bags,
                    distributing: b.distributing,
                    assigned_bags: b.assigned_bags,
                    operators: b
                        .operators
                        .iter()
                        .map(|(w, m)| Operator {
                            worker: *w,
                            status: OperatorStatus::Active,
                            metadata: m.clone(),
                        })
                        .chain(b.invited.iter().map(|w| Operator {
                            worker: *w,
                            status: OperatorStatus::Invited,
                            metadata: None,
                        }))
                        .collect(),
                })
                .collect(),
            bags: self
                .bags
                .iter()
                .map(|(id, b)| Bag {
                    id: id.clone(),
                    size_bytes: b.size_bytes,
                    buckets: b.buckets.iter().copied().collect(),
                })
                .collect(),
            bags_known: Some(self.bags_known),
            buckets_per_bag_limit: self.buckets_per_bag_limit,
            policies: self.policies.clone(),
            // The state after calls is planned, not read from a node.
            chain_read: None,
            worker_handles: base.worker_handles.clone(),
            next_family_id: Some(self.next_family_id),
            objects: base.objects.clone(),
        }
    }

    /// True when both describe the same chain state (families, buckets with operators and
    /// metadata, bags, per-bag limit, policies, next family id); the worker set and the
    /// constants are not compared.
    pub fn same_state(&self, other: &Chain) -> bool {
        self.families == other.families
            && self.buckets == other.buckets
            && self.bags == other.bags
            && self.buckets_per_bag_limit == other.buckets_per_bag_limit
            && self.policies == other.policies
            && self.next_family_id == other.next_family_id
    }

    /// A short description of the first difference from `other`, for error messages.
    pub fn first_difference(&self, other: &Chain) -> Option<String> {
        fn keys<K: Ord + Clone + std::fmt::Display, V: PartialEq>(
            what: &str,
            a: &BTreeMap<K, V>,
            b: &BTreeMap<K, V>,
        ) -> Option<String> {
            let all: BTreeSet<&K> = a.keys().chain(b.keys()).collect();
            all.into_iter().find(|k| a.get(*k) != b.get(*k)).map(|k| {
                let state = |m: &BTreeMap<K, V>| {
                    if m.contains_key(k) {
                        "present"
                    } else {
                        "absent"
                    }
                };
                format!("{what} {k} differs ({} / {})", state(a), state(b))
            })
        }
        keys("family", &self.families, &other.families)
            .or_else(|| keys("bucket", &self.buckets, &other.buckets))
            .or_else(|| keys("bag", &self.bags, &other.bags))
            .or_else(|| {
                (self.buckets_per_bag_limit != other.buckets_per_bag_limit).then(|| {
                    format!(
                        "per-bag limit {:?} / {:?}",
                        self.buckets_per_bag_limit, other.buckets_per_bag_limit
                    )
                })
            })
            .or_else(|| (self.policies != other.policies).then(|| "policies differ".to_string()))
            .or_else(|| {
                (self.next_family_id != other.next_family_id).then(|| {
                    format!(
                        "next family id {} / {}",
                        self.next_family_id, other.next_family_id
                    )
                })
            })
    }

    /// Bags the simulator's list binds to `bucket`.
    pub fn listed_bags(&self, bucket: BucketId) -> u64 {
        self.bags
            .values()
            .filter(|b| b.buckets.contains(&bucket))
            .count() as u64
    }

    /// The runtime's `assigned_bags` of `bucket`, when known.
    pub fn assigned_bags(&self, bucket: BucketId) -> Option<u64> {
        self.buckets.get(&bucket).and_then(|b| b.assigned_bags)
    }

    /// True when every bag on `bucket` is known: its counter is known and equals the bags
    /// listed on it.
    pub fn bags_confirmed(&self, bucket: BucketId) -> bool {
        self.assigned_bags(bucket) == Some(self.listed_bags(bucket))
    }

    /// Fails unless `bucket`'s counter is known to be 0 (`delete_distribution_bucket` and
    /// `delete_distribution_bucket_family` check it: lib.rs:2619-2620, 4107-4110 @ 3862e7e).
    fn ensure_no_bags(&self, bucket: BucketId) -> Result<(), CallError> {
        match self.assigned_bags(bucket) {
            Some(0) => Ok(()),
            Some(_) => Err(RuntimeError::DistributionBucketIsBoundToBag.into()),
            None => Err(CallError::Rule(RuleError::DependsOnUnknown(
                Unknown::AssignedBags(bucket),
            ))),
        }
    }

    fn known_policies(&self) -> Result<&BTreeMap<DynamicBagType, DynamicBagPolicy>, CallError> {
        self.policies
            .as_ref()
            .ok_or(CallError::Rule(RuleError::DependsOnUnknown(
                Unknown::Policies,
            )))
    }

    fn bucket_mut(&mut self, id: BucketId) -> Result<&mut BucketState, RuntimeError> {
        self.buckets
            .get_mut(&id)
            .ok_or(RuntimeError::DistributionBucketDoesntExist)
    }

    /// Applies one call, or fails with the runtime's error (the state is then unchanged).
    ///
    /// # Errors
    /// [`CallError::Runtime`] with the runtime's error name when a precondition or limit
    /// fails; [`CallError::Rule`] when the runtime would accept the call but a sound plan
    /// must not make it.
    pub fn apply(&mut self, call: &Call) -> Result<(), CallError> {
        use RuntimeError as E;
        match call {
            Call::CreateDistributionBucketFamily { expected } => {
                if self.families.len() as u32 >= self.limits.max_families {
                    return Err(E::MaxDistributionBucketFamilyNumberLimitExceeded.into());
                }
                let id = FamilyId(self.next_family_id);
                if id != *expected {
                    return Err(CallError::Rule(RuleError::UnexpectedId {
                        what: "family",
                        expected: expected.to_string(),
                        actual: id.to_string(),
                    }));
                }
                self.next_family_id += 1;
                self.families.insert(id, FamilyState::default());
            }
            Call::DeleteDistributionBucketFamily { family } => {
                if !self.families.contains_key(family) {
                    return Err(E::DistributionBucketFamilyDoesntExist.into());
                }
                let in_family: Vec<BucketId> = self
                    .buckets
                    .keys()
                    .filter(|b| b.family == *family)
                    .copied()
                    .collect();
                for b in &in_family {
                    self.ensure_no_bags(*b)?;
                }
                if self
                    .known_policies()?
                    .values()
                    .any(|p| p.families.get(family).is_some_and(|n| *n > 0))
                {
                    return Err(E::DistributionFamilyBoundToBagCreationPolicy.into());
                }
                if !in_family.is_empty() {
                    let names: Vec<String> = in_family.iter().map(ToString::to_string).collect();
                    return Err(CallError::Rule(RuleError::FamilyHasBuckets {
                        family: *family,
                        buckets: names.join(", "),
                    }));
                }
                self.families.remove(family);
            }
            Call::SetDistributionBucketFamilyMetadata { family, metadata } => {
                let f = self
                    .families
                    .get_mut(family)
                    .ok_or(E::DistributionBucketFamilyDoesntExist)?;
                f.metadata = Some(metadata.clone());
            }
            Call::CreateDistributionBucket {
                family,
                accepting_new_bags,
                expected_index,
            } => {
                let f = self
                    .families
                    .get_mut(family)
                    .ok_or(E::DistributionBucketFamilyDoesntExist)?;
                if f.next_bucket_index != *expected_index {
                    return Err(CallError::Rule(RuleError::UnexpectedId {
                        what: "bucket",
                        expected: BucketId::new(family.0, *expected_index).to_string(),
                        actual: BucketId::new(family.0, f.next_bucket_index).to_string(),
                    }));
                }
                let id = BucketId::new(family.0, f.next_bucket_index);
                f.next_bucket_index += 1;
                self.buckets.insert(
                    id,
                    BucketState {
                        accepting_new_bags: *accepting_new_bags,
                        distributing: true,
                        assigned_bags: Some(0),
                        ..BucketState::default()
                    },
                );
            }
            Call::UpdateDistributionBucketStatus {
                bucket,
                accepting_new_bags,
            } => self.bucket_mut(*bucket)?.accepting_new_bags = *accepting_new_bags,
            Call::UpdateDistributionBucketMode {
                bucket,
                distributing,
            } => {
                self.bucket_mut(*bucket)?;
                if !*distributing && !self.bags_confirmed(*bucket) {
                    return Err(CallError::Rule(RuleError::BucketBagsUnknown(*bucket)));
                }
                self.bucket_mut(*bucket)?.distributing = *distributing;
            }
            Call::DeleteDistributionBucket { bucket } => {
                let b = self
                    .buckets
                    .get(bucket)
                    .ok_or(E::DistributionBucketDoesntExist)?;
                let has_operators = !b.operators.is_empty();
                self.ensure_no_bags(*bucket)?;
                if has_operators {
                    return Err(E::DistributionProviderOperatorSet.into());
                }
                self.buckets.remove(bucket);
            }
            Call::UpdateDistributionBucketsForBag {
                bag,
                family,
                add,
                remove,
            } => {
                if add.is_empty() && remove.is_empty() {
                    return Err(E::DistributionBucketIdCollectionsAreEmpty.into());
                }
                // The runtime checks only dynamic bags for existence: a static bag always
                // exists, with no buckets until its first update creates the record.
                let unseen = BagState::default();
                let state = match self.bags.get(bag) {
                    Some(state) => state,
                    None if !bag.is_dynamic() => &unseen,
                    None => return Err(E::DynamicBagDoesntExist.into()),
                };
                if !self.families.contains_key(family) {
                    return Err(E::DistributionBucketFamilyDoesntExist.into());
                }
                let limit = self.buckets_per_bag_limit.ok_or(CallError::Rule(
                    RuleError::DependsOnUnknown(Unknown::PerBagLimit),
                ))?;
                let new_len = state.buckets.len() + add.len();
                if new_len.saturating_sub(remove.len()) > limit as usize {
                    return Err(E::MaxDistributionBucketNumberPerBagLimitExceeded.into());
                }
                for i in remove {
                    let id = BucketId::new(family.0, *i);
                    if !self.buckets.contains_key(&id) {
                        return Err(E::DistributionBucketDoesntExist.into());
                    }
                    if !state.buckets.contains(&id) {
                        return Err(E::DistributionBucketIsNotBoundToBag.into());
                    }
                }
                for i in add {
                    let id = BucketId::new(family.0, *i);
                    let b = self
                        .buckets
                        .get(&id)
                        .ok_or(E::DistributionBucketDoesntExist)?;
                    if !b.accepting_new_bags {
                        return Err(E::DistributionBucketDoesntAcceptNewBags.into());
                    }
                    if state.buckets.contains(&id) {
                        return Err(E::DistributionBucketIsBoundToBag.into());
                    }
                }
                let state = self.bags.entry(bag.clone()).or_default();
                for i in remove {
                    state.buckets.remove(&BucketId::new(family.0, *i));
                }
                for i in add {
                    state.buckets.insert(BucketId::new(family.0, *i));
                }
                // The counters follow (lib.rs:4050-4081 @ 3862e7e).
                for (idx, up) in remove
                    .iter()
                    .map(|i| (i, false))
                    .chain(add.iter().map(|i| (i, true)))
                {
                    if let Some(n) = self
                        .buckets
                        .get_mut(&BucketId::new(family.0, *idx))
                        .and_then(|b| b.assigned_bags.as_mut())
                    {
                        *n = if up { *n + 1 } else { n.saturating_sub(1) };
                    }
                }
            }
            Call::UpdateDistributionBucketsPerBagLimit { limit } => {
                if *limit < self.limits.min_buckets_per_bag {
                    return Err(E::DistributionBucketsPerBagLimitTooLow.into());
                }
                if *limit > self.limits.max_buckets_per_bag {
                    return Err(E::DistributionBucketsPerBagLimitTooHigh.into());
                }
                // The runtime does not check existing bags against a lower limit
                // (lib.rs:2711-2730 @ 3862e7e); a sound plan never lowers it, and cannot
                // know whether it does when the current limit is unknown.
                match (self.buckets_per_bag_limit, self.limit_floor) {
                    (None, _) | (_, None) => {
                        return Err(CallError::Rule(RuleError::DependsOnUnknown(
                            Unknown::PerBagLimit,
                        )));
                    }
                    (Some(_), Some(current)) if *limit < current => {
                        return Err(CallError::Rule(RuleError::LimitLowered {
                            current,
                            new: *limit,
                        }));
                    }
                    _ => {}
                }
                self.buckets_per_bag_limit = Some(*limit);
            }
            Call::UpdateFamiliesInDynamicBagCreationPolicy { bag_type, families } => {
                let kept: BTreeMap<FamilyId, u32> = families
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(f, n)| (*f, *n))
                    .collect();
                let total: u64 = kept.values().map(|n| u64::from(*n)).sum();
                if total < u64::from(self.limits.min_buckets_per_bag)
                    || total > u64::from(self.limits.max_buckets_per_bag)
                {
                    return Err(E::NumberOfDistributionBucketsOutsideOfAllowedContraints.into());
                }
                if kept.keys().any(|f| !self.families.contains_key(f)) {
                    return Err(E::DistributionBucketFamilyDoesntExist.into());
                }
                // The call replaces the family map wholesale (lib.rs:2796-2799 @ 3862e7e):
                // restating a policy that was never read is a guess.
                self.known_policies()?;
                if let Some(ps) = self.policies.as_mut() {
                    ps.entry(*bag_type).or_default().families = kept;
                }
            }
            Call::InviteDistributionBucketOperator { bucket, worker } => {
                let known = self.workers.contains(worker);
                let max = self.limits.max_pending_invitations as usize;
                let b = self.bucket_mut(*bucket)?;
                if !known {
                    return Err(E::DistributionProviderOperatorDoesntExist.into());
                }
                if b.invited.contains(worker) {
                    return Err(E::DistributionProviderOperatorAlreadyInvited.into());
                }
                if b.operators.contains_key(worker) {
                    return Err(E::DistributionProviderOperatorSet.into());
                }
                if b.invited.len() >= max {
                    return Err(
                        E::MaxNumberOfPendingInvitationsLimitForDistributionBucketReached.into(),
                    );
                }
                b.invited.insert(*worker);
            }
            Call::CancelDistributionBucketOperatorInvite { bucket, worker } => {
                let b = self.bucket_mut(*bucket)?;
                if !b.invited.remove(worker) {
                    return Err(E::NoDistributionBucketInvitation.into());
                }
            }
            Call::RemoveDistributionBucketOperator { bucket, worker } => {
                self.bucket_mut(*bucket)?;
                if !self.bags_confirmed(*bucket) {
                    return Err(CallError::Rule(RuleError::BucketBagsUnknown(*bucket)));
                }
                let b = self.bucket_mut(*bucket)?;
                if b.operators.remove(worker).is_none() {
                    return Err(E::MustBeDistributionProviderOperatorForBucket.into());
                }
            }
            Call::AcceptDistributionBucketInvitation { worker, bucket } => {
                let max = self.limits.max_operators_per_bucket as usize;
                let b = self.bucket_mut(*bucket)?;
                if !b.invited.contains(worker) {
                    return Err(E::NoDistributionBucketInvitation.into());
                }
                if b.operators.len() >= max {
                    return Err(E::MaxNumberOfOperatorsPerDistributionBucketReached.into());
                }
                b.invited.remove(worker);
                b.operators.insert(*worker, None);
            }
            Call::SetDistributionOperatorMetadata {
                worker,
                bucket,
                metadata,
            } => {
                let b = self.bucket_mut(*bucket)?;
                let slot = b
                    .operators
                    .get_mut(worker)
                    .ok_or(E::MustBeDistributionProviderOperatorForBucket)?;
                *slot = Some(metadata.clone());
            }
        }
        Ok(())
    }
}
