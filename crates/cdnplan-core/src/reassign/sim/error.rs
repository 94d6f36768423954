//! The simulator's errors: the runtime's error names, and the rules of sound plans the
//! runtime does not check.

use serde::{Deserialize, Serialize};

use crate::topology::{BucketId, FamilyId};

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
    /// The runtime's answer depends on chain state the plan does not know (no indexer holds
    /// it): the call is not made on a guess.
    #[error("the outcome depends on {0}, which is not known (read it from chain)")]
    DependsOnUnknown(Unknown),
    /// The per-bag limit would go below its value before the plan, leaving bags above it that
    /// only a call ending at or below the new limit can touch (Joystream/joystream
    /// runtime-modules/storage/src/lib.rs:2711-2730 and 3919-3972 @ 3862e7e).
    #[error("the per-bag limit would go below its value before the plan: {new} < {current}")]
    LimitLowered {
        /// The limit before the plan.
        current: u32,
        /// The limit the call sets.
        new: u32,
    },
    /// A bucket whose bags are not all known is switched off or loses an operator: every bag
    /// on it that the plan does not know of would lose that node (the runtime checks no bags
    /// there: lib.rs:2741-2770, 2900-2935 @ 3862e7e).
    #[error(
        "bucket {0}: its bags are not all known, so it must not be switched off or lose an operator"
    )]
    BucketBagsUnknown(BucketId),
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

/// Chain state the indexers do not hold, which some calls' outcome depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Unknown {
    /// `Storage::DistributionBucketsPerBagLimit`.
    #[error("the per-bag limit (DistributionBucketsPerBagLimit)")]
    PerBagLimit,
    /// `Storage::DynamicBagCreationPolicies` (Channel and Member).
    #[error("the dynamic bag creation policies (DynamicBagCreationPolicies)")]
    Policies,
    /// A bucket's `assigned_bags` counter.
    #[error("bucket {0}'s assigned_bags counter")]
    AssignedBags(BucketId),
}
