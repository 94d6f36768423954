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

/// The runtime's error names for the distribution calls (`Error<T>` of the storage pallet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
#[allow(missing_docs)] // each variant is the runtime's error of the same name
pub enum RuntimeError {
    #[error("MaxDistributionBucketFamilyNumberLimitExceeded")]
    MaxDistributionBucketFamilyNumberLimitExceeded,
    #[error("DistributionBucketFamilyDoesntExist")]
    DistributionBucketFamilyDoesntExist,
    #[error("DistributionBucketDoesntExist")]
    DistributionBucketDoesntExist,
    #[error("DistributionBucketIdCollectionsAreEmpty")]
    DistributionBucketIdCollectionsAreEmpty,
    #[error("DistributionBucketDoesntAcceptNewBags")]
    DistributionBucketDoesntAcceptNewBags,
    #[error("MaxDistributionBucketNumberPerBagLimitExceeded")]
    MaxDistributionBucketNumberPerBagLimitExceeded,
    #[error("DistributionBucketIsNotBoundToBag")]
    DistributionBucketIsNotBoundToBag,
    #[error("DistributionBucketIsBoundToBag")]
    DistributionBucketIsBoundToBag,
    #[error("DistributionBucketsPerBagLimitTooLow")]
    DistributionBucketsPerBagLimitTooLow,
    #[error("DistributionBucketsPerBagLimitTooHigh")]
    DistributionBucketsPerBagLimitTooHigh,
    #[error("DistributionProviderOperatorDoesntExist")]
    DistributionProviderOperatorDoesntExist,
    #[error("DistributionProviderOperatorAlreadyInvited")]
    DistributionProviderOperatorAlreadyInvited,
    #[error("DistributionProviderOperatorSet")]
    DistributionProviderOperatorSet,
    #[error("NoDistributionBucketInvitation")]
    NoDistributionBucketInvitation,
    #[error("MustBeDistributionProviderOperatorForBucket")]
    MustBeDistributionProviderOperatorForBucket,
    #[error("MaxNumberOfPendingInvitationsLimitForDistributionBucketReached")]
    MaxNumberOfPendingInvitationsLimitForDistributionBucketReached,
    #[error("MaxNumberOfOperatorsPerDistributionBucketReached")]
    MaxNumberOfOperatorsPerDistributionBucketReached,
    #[error("DistributionFamilyBoundToBagCreationPolicy")]
    DistributionFamilyBoundToBagCreationPolicy,
    #[error("NumberOfDistributionBucketsOutsideOfAllowedContraints")]
    NumberOfDistributionBucketsOutsideOfAllowedContraints,
    #[error("DynamicBagDoesntExist")]
    DynamicBagDoesntExist,
}

/// A call the runtime would accept but that breaks a rule of sound plans (the runtime does not
/// check these; the plan must).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// A create call expected another id than the runtime hands out.
    #[error("expected the new {what} to get id {expected}, the runtime hands out {actual}")]
    UnexpectedId {
        /// "family" or "bucket".
        what: &'static str,
        /// What the plan expected.
        expected: String,
        /// What the runtime gives.
        actual: String,
    },
    /// A family was deleted while buckets of it remain (the runtime does not remove them:
    /// delete buckets before families).
    #[error("family {family} deleted while its buckets {buckets} remain (delete buckets first)")]
    FamilyHasBuckets {
        /// The family.
        family: FamilyId,
        /// Its remaining buckets.
        buckets: String,
    },
}

/// Why a call fails in the simulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The runtime rejects it, with this error.
    #[error("runtime error {0}")]
    Runtime(RuntimeError),
    /// The runtime accepts it, but it breaks a rule of sound plans.
    #[error("{0}")]
    Rule(RuleError),
}

impl From<RuntimeError> for CallError {
    fn from(e: RuntimeError) -> Self {
        CallError::Runtime(e)
    }
}

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
    /// `DistributionBucketsPerBagLimit`.
    pub buckets_per_bag_limit: u32,
    /// Dynamic bag creation policies.
    pub policies: BTreeMap<DynamicBagType, DynamicBagPolicy>,
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
    pub fn from_topology(t: &Topology) -> Chain {
        let mut c = Chain {
            buckets_per_bag_limit: t.buckets_per_bag_limit,
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
        for (ty, p) in &t.policies {
            let mut p = p.clone();
            p.families.retain(|_, n| *n > 0);
            c.policies.insert(*ty, p);
        }
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
            buckets_per_bag_limit: self.buckets_per_bag_limit,
            policies: self.policies.clone(),
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
                        "per-bag limit {} / {}",
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

    /// Number of bags bound to `bucket` (the runtime's `assigned_bags`).
    pub fn assigned_bags(&self, bucket: BucketId) -> usize {
        self.bags
            .values()
            .filter(|b| b.buckets.contains(&bucket))
            .count()
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
                if in_family.iter().any(|b| self.assigned_bags(*b) > 0) {
                    return Err(E::DistributionBucketIsBoundToBag.into());
                }
                if self
                    .policies
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
            } => self.bucket_mut(*bucket)?.distributing = *distributing,
            Call::DeleteDistributionBucket { bucket } => {
                let b = self
                    .buckets
                    .get(bucket)
                    .ok_or(E::DistributionBucketDoesntExist)?;
                if self.assigned_bags(*bucket) > 0 {
                    return Err(E::DistributionBucketIsBoundToBag.into());
                }
                if !b.operators.is_empty() {
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
                let new_len = state.buckets.len() + add.len();
                if new_len.saturating_sub(remove.len()) > self.buckets_per_bag_limit as usize {
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
            }
            Call::UpdateDistributionBucketsPerBagLimit { limit } => {
                if *limit < self.limits.min_buckets_per_bag {
                    return Err(E::DistributionBucketsPerBagLimitTooLow.into());
                }
                if *limit > self.limits.max_buckets_per_bag {
                    return Err(E::DistributionBucketsPerBagLimitTooHigh.into());
                }
                self.buckets_per_bag_limit = *limit;
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
                self.policies.entry(*bag_type).or_default().families = kept;
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

#[cfg(test)]
mod tests {
    use super::*;
    use RuntimeError as E;

    /// Family 0 with bucket 0:0 (accepting, worker 1 active, worker 2 invited) and 0:1 (not
    /// accepting); family 1 with bucket 1:0; bag council in 0:0; limit 2.
    fn chain() -> Chain {
        let t: Topology = serde_json::from_str(
            r#"{"families":[{"id":0,"nextBucketIndex":2},{"id":1,"nextBucketIndex":1}],
            "buckets":[
              {"id":"0:0","acceptingNewBags":true,"distributing":true,
               "operators":[{"worker":1,"status":"ACTIVE"},{"worker":2,"status":"INVITED"}]},
              {"id":"0:1","acceptingNewBags":false,"distributing":true},
              {"id":"1:0","acceptingNewBags":true,"distributing":true}],
            "bags":[{"id":"static:council","buckets":["0:0"]}],
            "bucketsPerBagLimit":2,
            "workerHandles":{"3":"carol"}}"#,
        )
        .unwrap();
        Chain::from_topology(&t)
    }

    fn fails(c: &mut Chain, call: Call, want: RuntimeError) {
        let before = c.clone();
        assert_eq!(c.apply(&call), Err(CallError::Runtime(want)), "{call:?}");
        assert_eq!(*c, before, "a failed call changes nothing");
    }

    fn bag_update(family: u64, add: &[u64], remove: &[u64]) -> Call {
        Call::UpdateDistributionBucketsForBag {
            bag: BagId::Council,
            family: FamilyId(family),
            add: add.iter().copied().collect(),
            remove: remove.iter().copied().collect(),
        }
    }

    #[test]
    fn family_number_is_limited_to_200() {
        let mut c = chain();
        c.limits.max_families = 2;
        fails(
            &mut c,
            Call::CreateDistributionBucketFamily {
                expected: FamilyId(2),
            },
            E::MaxDistributionBucketFamilyNumberLimitExceeded,
        );
        assert_eq!(RuntimeLimits::MAINNET.max_families, 200);
    }

    #[test]
    fn calls_on_missing_families_and_buckets_fail() {
        let mut c = chain();
        fails(
            &mut c,
            Call::CreateDistributionBucket {
                family: FamilyId(9),
                accepting_new_bags: true,
                expected_index: 0,
            },
            E::DistributionBucketFamilyDoesntExist,
        );
        fails(
            &mut c,
            Call::DeleteDistributionBucket {
                bucket: BucketId::new(0, 7),
            },
            E::DistributionBucketDoesntExist,
        );
        fails(
            &mut c,
            bag_update(9, &[0], &[]),
            E::DistributionBucketFamilyDoesntExist,
        );
        fails(
            &mut c,
            bag_update(0, &[5], &[]),
            E::DistributionBucketDoesntExist,
        );
    }

    #[test]
    fn bag_updates_follow_the_runtime() {
        let mut c = chain();
        fails(
            &mut c,
            bag_update(0, &[], &[]),
            E::DistributionBucketIdCollectionsAreEmpty,
        );
        fails(
            &mut c,
            bag_update(0, &[1], &[]),
            E::DistributionBucketDoesntAcceptNewBags,
        );
        fails(
            &mut c,
            bag_update(0, &[0], &[]),
            E::DistributionBucketIsBoundToBag,
        );
        fails(
            &mut c,
            bag_update(1, &[], &[0]),
            E::DistributionBucketIsNotBoundToBag,
        );
        let mut other = bag_update(0, &[0], &[]);
        if let Call::UpdateDistributionBucketsForBag { bag, .. } = &mut other {
            *bag = BagId::Channel(42);
        }
        fails(&mut c, other, E::DynamicBagDoesntExist);
        // A static bag the chain has never touched exists, with no buckets.
        let mut wg = bag_update(0, &[0], &[]);
        if let Call::UpdateDistributionBucketsForBag { bag, .. } = &mut wg {
            *bag = BagId::WorkingGroup("storageWorkingGroup".into());
        }
        c.apply(&wg).unwrap();
        assert_eq!(
            c.bags[&BagId::WorkingGroup("storageWorkingGroup".into())].buckets,
            BTreeSet::from([BucketId::new(0, 0)])
        );
        c.apply(&bag_update(1, &[0], &[])).unwrap();
        c.apply(&Call::UpdateDistributionBucketsPerBagLimit { limit: 1 })
            .unwrap();
        c.buckets
            .get_mut(&BucketId::new(0, 1))
            .unwrap()
            .accepting_new_bags = true;
        fails(
            &mut c,
            bag_update(0, &[1], &[]),
            E::MaxDistributionBucketNumberPerBagLimitExceeded,
        );
    }

    #[test]
    fn per_bag_limit_stays_within_1_and_51() {
        let mut c = chain();
        fails(
            &mut c,
            Call::UpdateDistributionBucketsPerBagLimit { limit: 0 },
            E::DistributionBucketsPerBagLimitTooLow,
        );
        fails(
            &mut c,
            Call::UpdateDistributionBucketsPerBagLimit { limit: 52 },
            E::DistributionBucketsPerBagLimitTooHigh,
        );
    }

    #[test]
    fn deletion_rules() {
        let mut c = chain();
        let del = |b| Call::DeleteDistributionBucket {
            bucket: BucketId::new(0, b),
        };
        fails(&mut c, del(0), E::DistributionBucketIsBoundToBag);
        c.apply(&bag_update(0, &[], &[0])).unwrap();
        fails(&mut c, del(0), E::DistributionProviderOperatorSet);
        fails(
            &mut c,
            Call::DeleteDistributionBucketFamily {
                family: FamilyId(7),
            },
            E::DistributionBucketFamilyDoesntExist,
        );
        // A family with a bag in one of its buckets cannot go.
        c.apply(&bag_update(1, &[0], &[])).unwrap();
        fails(
            &mut c,
            Call::DeleteDistributionBucketFamily {
                family: FamilyId(1),
            },
            E::DistributionBucketIsBoundToBag,
        );
        // Nor one a policy names.
        c.apply(&Call::UpdateFamiliesInDynamicBagCreationPolicy {
            bag_type: DynamicBagType::Channel,
            families: [(FamilyId(0), 1)].into(),
        })
        .unwrap();
        fails(
            &mut c,
            Call::DeleteDistributionBucketFamily {
                family: FamilyId(0),
            },
            E::DistributionFamilyBoundToBagCreationPolicy,
        );
    }

    #[test]
    fn family_with_buckets_left_is_a_rule_error() {
        let mut c = chain();
        c.apply(&bag_update(0, &[], &[0])).unwrap();
        let e = c
            .apply(&Call::DeleteDistributionBucketFamily {
                family: FamilyId(0),
            })
            .unwrap_err();
        assert!(
            matches!(e, CallError::Rule(RuleError::FamilyHasBuckets { .. })),
            "{e}"
        );
    }

    #[test]
    fn policy_rules() {
        let mut c = chain();
        let policy = |m: &[(u64, u32)]| Call::UpdateFamiliesInDynamicBagCreationPolicy {
            bag_type: DynamicBagType::Channel,
            families: m.iter().map(|(f, n)| (FamilyId(*f), *n)).collect(),
        };
        fails(
            &mut c,
            policy(&[(0, 0)]),
            E::NumberOfDistributionBucketsOutsideOfAllowedContraints,
        );
        fails(
            &mut c,
            policy(&[(0, 30), (1, 22)]),
            E::NumberOfDistributionBucketsOutsideOfAllowedContraints,
        );
        fails(
            &mut c,
            policy(&[(5, 1)]),
            E::DistributionBucketFamilyDoesntExist,
        );
        c.apply(&policy(&[(0, 1), (1, 0)])).unwrap();
        assert_eq!(
            c.policies[&DynamicBagType::Channel].families,
            [(FamilyId(0), 1)].into(),
            "zero entries dropped, whole map replaced"
        );
    }

    #[test]
    fn operator_rules() {
        let mut c = chain();
        let b00 = BucketId::new(0, 0);
        let invite = |w| Call::InviteDistributionBucketOperator {
            bucket: b00,
            worker: WorkerId(w),
        };
        fails(
            &mut c,
            invite(99),
            E::DistributionProviderOperatorDoesntExist,
        );
        fails(
            &mut c,
            invite(2),
            E::DistributionProviderOperatorAlreadyInvited,
        );
        fails(&mut c, invite(1), E::DistributionProviderOperatorSet);
        c.limits.max_pending_invitations = 1;
        fails(
            &mut c,
            invite(3),
            E::MaxNumberOfPendingInvitationsLimitForDistributionBucketReached,
        );
        fails(
            &mut c,
            Call::AcceptDistributionBucketInvitation {
                worker: WorkerId(3),
                bucket: b00,
            },
            E::NoDistributionBucketInvitation,
        );
        fails(
            &mut c,
            Call::CancelDistributionBucketOperatorInvite {
                bucket: b00,
                worker: WorkerId(3),
            },
            E::NoDistributionBucketInvitation,
        );
        c.limits.max_operators_per_bucket = 1;
        fails(
            &mut c,
            Call::AcceptDistributionBucketInvitation {
                worker: WorkerId(2),
                bucket: b00,
            },
            E::MaxNumberOfOperatorsPerDistributionBucketReached,
        );
        fails(
            &mut c,
            Call::SetDistributionOperatorMetadata {
                worker: WorkerId(2),
                bucket: b00,
                metadata: OperatorMetadata::default(),
            },
            E::MustBeDistributionProviderOperatorForBucket,
        );
        fails(
            &mut c,
            Call::RemoveDistributionBucketOperator {
                bucket: b00,
                worker: WorkerId(2),
            },
            E::MustBeDistributionProviderOperatorForBucket,
        );
    }

    #[test]
    fn topology_round_trips_through_the_chain() {
        let c = chain();
        let t = c.to_topology(&Topology::default());
        let mut back = Chain::from_topology(&t);
        back.workers = c.workers.clone();
        assert_eq!(back, c);
        assert!(back.same_state(&c));
    }
}
