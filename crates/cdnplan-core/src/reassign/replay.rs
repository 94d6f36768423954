//! Replaying a plan on the simulator: every call legal, no coverage gap, end state = target.
//!
//! # Coverage
//!
//! A bag is *served in a region* when one of its buckets is distributing and has an ACTIVE
//! operator with an endpoint and coordinates (Orion's rule) whose country lies in that region
//! of the [catalogue](crate::topology::regions); an operator without a catalogued country is
//! a region of its own (`node:<host>`). After every call, every bag must be served in every
//! region where it was served before the plan started.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::call::Call;
use super::sim::{CallError, Chain};
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
    /// The calls ran but did not reach the target.
    #[error("the end state differs from the target: {0}")]
    EndState(String),
}

/// What a successful replay saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplayReport {
    /// Calls applied.
    pub calls: usize,
    /// (bag, region) pairs checked after every call.
    pub covered_pairs: usize,
    /// The largest number of buckets any bag had at any point.
    pub peak_buckets_per_bag: usize,
}

/// The coverage region of one operator's metadata; `None` when Orion would not serve it.
pub fn operator_region(meta: Option<&OperatorMetadata>) -> Option<String> {
    let meta = meta?;
    let endpoint = meta.endpoint.as_deref()?;
    let loc = meta.location.as_ref()?;
    loc.coordinates?;
    Some(match loc.country_code.and_then(region_of_country) {
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

/// Replays `calls` from `initial` and checks every call, the coverage after each, and that the
/// end state is `target`'s.
///
/// # Errors
/// The first [`ReplayError`].
pub fn replay<'a>(
    initial: &Topology,
    calls: impl IntoIterator<Item = &'a Call>,
    target: &Topology,
) -> Result<(Chain, ReplayReport), ReplayError> {
    let mut chain = Chain::from_topology(initial);
    let required = coverage(&chain);
    let covered_pairs = required.values().map(BTreeSet::len).sum();
    let mut peak = chain
        .bags
        .values()
        .map(|b| b.buckets.len())
        .max()
        .unwrap_or(0);
    let mut n = 0;
    for call in calls {
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
    }
    let want = Chain::from_topology(target);
    if !chain.same_state(&want) {
        return Err(ReplayError::EndState(
            chain
                .first_difference(&want)
                .unwrap_or_else(|| "unknown difference".into()),
        ));
    }
    Ok((
        chain,
        ReplayReport {
            calls: n,
            covered_pairs,
            peak_buckets_per_bag: peak,
        },
    ))
}
