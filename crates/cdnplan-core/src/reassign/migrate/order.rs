//! Ordering the calls of a migration (see the [module docs](super)).

use std::collections::{BTreeMap, BTreeSet};

use super::{Cost, Item, Migration, Phase};
use crate::error::{Error, Result};
use crate::reassign::call::{Actor, Call};
use crate::reassign::replay::bucket_regions;
use crate::reassign::sim::Chain;
use crate::topology::{BagId, BucketId, FamilyId, Topology};

struct Builder {
    items: Vec<Item>,
    batch_size: usize,
    batches: usize,
    in_batch: usize,
}

impl Builder {
    fn call(&mut self, phase: Phase, call: Call) {
        let batch = if call.is_per_bag() {
            if self.in_batch == 0 || self.in_batch >= self.batch_size {
                self.batches += 1;
                self.in_batch = 0;
            }
            self.in_batch += 1;
            Some(self.batches)
        } else {
            None
        };
        self.items.push(Item::Call { phase, call, batch });
    }

    fn end_batch(&mut self) {
        self.in_batch = 0;
    }

    fn wait(&mut self, phase: Phase, actor: Actor, what: impl Into<String>) {
        self.items.push(Item::Wait {
            phase,
            actor,
            what: what.into(),
        });
    }
}

fn by_family(set: impl IntoIterator<Item = BucketId>) -> BTreeMap<FamilyId, BTreeSet<u64>> {
    let mut m: BTreeMap<FamilyId, BTreeSet<u64>> = BTreeMap::new();
    for b in set {
        m.entry(b.family).or_default().insert(b.index);
    }
    m
}

/// The calls that turn `initial` into `target`, ordered as the [module docs](super) describe.
///
/// # Errors
/// [`Error::Contradiction`] when the target cannot be reached by calls: it adds or drops a
/// bag, a new family's id is not the next one the runtime hands out, a new bucket's index is
/// not the next of its family, or the final per-bag limit is outside 1..=51 while bags change.
pub fn migrate(initial: &Topology, target: &Topology, batch_size: usize) -> Result<Migration> {
    let from = Chain::from_topology(initial);
    let to = Chain::from_topology(target);
    let batch_size = batch_size.max(1);
    let mut b = Builder {
        items: Vec::new(),
        batch_size,
        batches: 0,
        in_batch: 0,
    };

    // --- checks and differences
    let from_bags: BTreeSet<&BagId> = from.bags.keys().collect();
    let to_bags: BTreeSet<&BagId> = to.bags.keys().collect();
    if from_bags != to_bags {
        let d = from_bags.symmetric_difference(&to_bags).next();
        return Err(Error::Contradiction(format!(
            "the target must hold the same bags as today (bag {} differs); bags are created and deleted by content, not by distribution calls",
            d.map(|b| b.to_string()).unwrap_or_default()
        )));
    }
    let new_families: Vec<FamilyId> = to
        .families
        .keys()
        .filter(|f| !from.families.contains_key(f))
        .copied()
        .collect();
    for (i, f) in new_families.iter().enumerate() {
        let want = from.next_family_id + i as u64;
        if f.0 != want {
            return Err(Error::Contradiction(format!(
                "new family {f}: the runtime hands out id {want} next"
            )));
        }
    }
    let deleted_families: Vec<FamilyId> = from
        .families
        .keys()
        .filter(|f| !to.families.contains_key(f))
        .copied()
        .collect();
    let new_buckets: Vec<BucketId> = to
        .buckets
        .keys()
        .filter(|k| !from.buckets.contains_key(k))
        .copied()
        .collect();
    let mut next_index: BTreeMap<FamilyId, u64> = from
        .families
        .iter()
        .map(|(id, f)| (*id, f.next_bucket_index))
        .collect();
    for id in &new_buckets {
        let next = next_index.entry(id.family).or_insert(0);
        if id.index != *next {
            return Err(Error::Contradiction(format!(
                "new bucket {id}: the runtime hands out index {next} next in family {}",
                id.family
            )));
        }
        *next += 1;
    }
    let deleted_buckets: Vec<BucketId> = from
        .buckets
        .keys()
        .filter(|k| !to.buckets.contains_key(k))
        .copied()
        .collect();
    // Per bag: additions and removals by family.
    let mut adds: BTreeMap<&BagId, BTreeMap<FamilyId, BTreeSet<u64>>> = BTreeMap::new();
    let mut removes: BTreeMap<&BagId, BTreeMap<FamilyId, BTreeSet<u64>>> = BTreeMap::new();
    let mut bags_moved = 0usize;
    let mut changes = 0usize;
    for (id, f) in &from.bags {
        let t = &to.bags[id];
        let add: Vec<BucketId> = t.buckets.difference(&f.buckets).copied().collect();
        let rem: Vec<BucketId> = f.buckets.difference(&t.buckets).copied().collect();
        if add.is_empty() && rem.is_empty() {
            continue;
        }
        bags_moved += 1;
        changes += add.len() + rem.len();
        if !add.is_empty() {
            adds.insert(id, by_family(add));
        }
        if !rem.is_empty() {
            removes.insert(id, by_family(rem));
        }
    }
    let receiving: BTreeSet<BucketId> = adds
        .values()
        .flat_map(|m| {
            m.iter()
                .flat_map(|(f, idx)| idx.iter().map(|i| BucketId::new(f.0, *i)))
        })
        .collect();
    let serving_now: BTreeSet<BucketId> = from
        .buckets
        .keys()
        .filter(|k| !bucket_regions(&from, **k).is_empty())
        .copied()
        .collect();

    // The most buckets a bag holds at once: adds come first, one call per family, each
    // net of the removals from non-serving buckets of that family made in the same call (the
    // runtime checks `len + |add| − |remove| ≤ limit` per call); other removals come later.
    let mut peak = 0usize;
    for (bag, fams) in &adds {
        let mut held = from.bags[*bag].buckets.len();
        for (family, add) in fams {
            let combined = removes.get(bag).and_then(|r| r.get(family)).map_or(0, |r| {
                r.iter()
                    .filter(|i| !serving_now.contains(&BucketId::new(family.0, **i)))
                    .count()
            });
            held = (held + add.len()).saturating_sub(combined);
            peak = peak.max(held);
        }
    }

    // --- 1. prepare
    // Bag updates and limit changes need the current limit (lib.rs:3919-3972, 2711-2730 @
    // Joystream/joystream 3862e7e); the limit is never lowered.
    let mut limit = from.buckets_per_bag_limit;
    if bags_moved > 0 {
        let (Some(current), Some(final_limit)) = (limit, to.buckets_per_bag_limit) else {
            return Err(Error::Contradiction(
                "bags move, but the per-bag limit is unknown: bag updates depend on it".into(),
            ));
        };
        if peak as u32 > current {
            limit = Some(peak as u32);
            b.call(
                Phase::Prepare,
                Call::UpdateDistributionBucketsPerBagLimit { limit: peak as u32 },
            );
        }
        if !(1..=from.limits.max_buckets_per_bag).contains(&final_limit)
            || to
                .bags
                .values()
                .any(|x| x.buckets.len() > final_limit as usize)
        {
            return Err(Error::Contradiction(format!(
                "target per-bag limit {final_limit} must be in 1..=51 and hold every bag's buckets"
            )));
        }
    }
    // Buckets that stop accepting new bags: those deleted, and those the target closes. A
    // bucket that receives bags closes only after its additions.
    let mut close: Vec<BucketId> = Vec::new();
    let mut late_close: Vec<BucketId> = Vec::new();
    for (id, st) in &from.buckets {
        let stop = match to.buckets.get(id) {
            None => st.accepting_new_bags,
            Some(t) => st.accepting_new_bags && !t.accepting_new_bags,
        };
        if stop {
            if receiving.contains(id) {
                late_close.push(*id);
            } else {
                close.push(*id);
            }
        }
    }

    // --- 2. families
    for f in &new_families {
        b.call(
            Phase::Families,
            Call::CreateDistributionBucketFamily { expected: *f },
        );
    }
    for (id, f) in &to.families {
        let before = from.families.get(id).and_then(|x| x.metadata.as_ref());
        if let Some(m) = &f.metadata
            && before != Some(m)
        {
            b.call(
                Phase::Families,
                Call::SetDistributionBucketFamilyMetadata {
                    family: *id,
                    metadata: m.clone(),
                },
            );
        }
    }

    // --- 3. buckets and invitations
    // New buckets start closed (`-a no`, the CLI's default): until their operator serves them,
    // a channel Atlas put on them would have no node. They open in step 5.
    let mut open: Vec<BucketId> = Vec::new();
    for id in &new_buckets {
        b.call(
            Phase::Buckets,
            Call::CreateDistributionBucket {
                family: id.family,
                accepting_new_bags: false,
                expected_index: id.index,
            },
        );
        if to.buckets[id].accepting_new_bags {
            open.push(*id);
        } else if receiving.contains(id) {
            open.push(*id);
            late_close.push(*id);
        }
    }
    for (id, st) in &from.buckets {
        let Some(t) = to.buckets.get(id) else {
            continue;
        };
        if !st.accepting_new_bags && (t.accepting_new_bags || receiving.contains(id)) {
            open.push(*id);
            if !t.accepting_new_bags {
                late_close.push(*id);
            }
        }
    }
    let mut accepts = Vec::new();
    for (id, t) in &to.buckets {
        let before = from.buckets.get(id);
        let had = |w| before.is_some_and(|s| s.operators.contains_key(w) || s.invited.contains(w));
        for w in t.operators.keys().chain(t.invited.iter()) {
            if !had(w) {
                b.call(
                    Phase::Buckets,
                    Call::InviteDistributionBucketOperator {
                        bucket: *id,
                        worker: *w,
                    },
                );
            }
        }
        for w in t.operators.keys() {
            if !before.is_some_and(|s| s.operators.contains_key(w)) {
                accepts.push((*id, *w));
            }
        }
        if let Some(s) = before {
            for w in &s.invited {
                if !t.invited.contains(w) && !t.operators.contains_key(w) {
                    b.call(
                        Phase::Buckets,
                        Call::CancelDistributionBucketOperatorInvite {
                            bucket: *id,
                            worker: *w,
                        },
                    );
                }
            }
        }
    }

    // --- 4. operators
    let mut metadata_calls = Vec::new();
    for (id, t) in &to.buckets {
        for (w, m) in &t.operators {
            let before = from.buckets.get(id).and_then(|s| s.operators.get(w));
            if let Some(m) = m
                && before.and_then(Option::as_ref) != Some(m)
            {
                metadata_calls.push(Call::SetDistributionOperatorMetadata {
                    worker: *w,
                    bucket: *id,
                    metadata: m.clone(),
                });
            }
        }
    }
    if !accepts.is_empty() || !metadata_calls.is_empty() {
        if !accepts.is_empty() {
            b.wait(
                Phase::Operators,
                Actor::Operator,
                "each invited worker accepts with their worker role key",
            );
        }
        for (bucket, worker) in accepts {
            b.call(
                Phase::Operators,
                Call::AcceptDistributionBucketInvitation { worker, bucket },
            );
        }
        for c in metadata_calls {
            b.call(Phase::Operators, c);
        }
    }

    // --- 5. open
    if !open.is_empty() {
        if !new_buckets.is_empty() {
            b.wait(
                Phase::Open,
                Actor::Lead,
                "the indexer shows every new bucket with its operator's endpoint and location, and each node lists it at /api/v1/buckets (Argus picks up new buckets when its config names none; else the operator runs node:set-buckets)",
            );
        }
        for id in &open {
            b.call(
                Phase::Open,
                Call::UpdateDistributionBucketStatus {
                    bucket: *id,
                    accepting_new_bags: true,
                },
            );
        }
    }

    // --- 6. policy
    // Only a policy that was read is restated (the call replaces it wholesale).
    let known_from = from.policies.clone().unwrap_or_default();
    let policy_changes: Vec<Call> = to
        .policies
        .iter()
        .filter(|_| from.policies.is_some())
        .flatten()
        .filter(|(ty, p)| known_from.get(ty).map(|q| &q.families) != Some(&p.families))
        .map(|(ty, p)| Call::UpdateFamiliesInDynamicBagCreationPolicy {
            bag_type: *ty,
            families: p.families.clone(),
        })
        .collect();
    // A bucket to close in a family the new Channel policy names closes before the policy
    // changes (else new channels could land on it), when the old policy can spare it.
    let mut close_after = close.clone();
    let mut close_before: Vec<BucketId> = Vec::new();
    let restates_channel = policy_changes.iter().find_map(|c| match c {
        Call::UpdateFamiliesInDynamicBagCreationPolicy {
            bag_type: crate::topology::DynamicBagType::Channel,
            families,
        } => Some(families),
        _ => None,
    });
    if let (Some(new_policy), Some(old_policy)) = (restates_channel, from.channel_policy()) {
        let mut acc = from.accepting_by_family();
        for id in &open {
            *acc.entry(id.family).or_default() += 1;
        }
        close_after.clear();
        for id in &close {
            let named = new_policy.get(&id.family).is_some_and(|n| *n > 0);
            let spare = acc.get(&id.family).copied().unwrap_or(0)
                > old_policy.get(&id.family).copied().unwrap_or(0);
            if named && spare {
                *acc.entry(id.family).or_default() -= 1;
                close_before.push(*id);
            } else {
                close_after.push(*id);
            }
        }
    }
    if !policy_changes.is_empty() {
        if !open.is_empty() {
            b.wait(
                Phase::Policy,
                Actor::Lead,
                "open Atlas tabs have reloaded: Atlas reads the accepting buckets once per page load, so a tab loaded before the buckets above opened cannot create a channel under the new policy (how long this takes is not known upstream; announce the change)",
            );
        }
        for id in &close_before {
            b.call(
                Phase::Policy,
                Call::UpdateDistributionBucketStatus {
                    bucket: *id,
                    accepting_new_bags: false,
                },
            );
        }
        for c in policy_changes {
            b.call(Phase::Policy, c);
        }
    }

    // --- 7. close
    for id in &close_after {
        b.call(
            Phase::Close,
            Call::UpdateDistributionBucketStatus {
                bucket: *id,
                accepting_new_bags: false,
            },
        );
    }

    // --- 8. add bags
    let mut combined: BTreeSet<(&BagId, FamilyId, u64)> = BTreeSet::new();
    if !adds.is_empty() {
        if open.is_empty() && !new_buckets.is_empty() {
            b.wait(
                Phase::AddBags,
                Actor::Lead,
                "the indexer shows every new bucket with its operator's endpoint and location, and each node lists it at /api/v1/buckets",
            );
        }
        for (bag, fams) in &adds {
            for (family, add) in fams {
                // Removals from buckets that serve nobody can go in the same call.
                let rem: BTreeSet<u64> = removes
                    .get(bag)
                    .and_then(|r| r.get(family))
                    .map(|r| {
                        r.iter()
                            .filter(|i| !serving_now.contains(&BucketId::new(family.0, **i)))
                            .copied()
                            .collect()
                    })
                    .unwrap_or_default();
                for i in &rem {
                    combined.insert((bag, *family, *i));
                }
                b.call(
                    Phase::AddBags,
                    Call::UpdateDistributionBucketsForBag {
                        bag: (*bag).clone(),
                        family: *family,
                        add: add.clone(),
                        remove: rem,
                    },
                );
            }
        }
        b.end_batch();
    }

    // --- 9. drain
    let draining: BTreeSet<BucketId> = removes
        .values()
        .flat_map(|m| {
            m.iter()
                .flat_map(|(f, idx)| idx.iter().map(|i| BucketId::new(f.0, *i)))
        })
        .chain(deleted_buckets.iter().copied())
        .collect();
    if !adds.is_empty() && !removes.is_empty() {
        b.wait(
            Phase::Drain,
            Actor::Lead,
            "cache warm-up: the nodes serving new buckets report cache hits (x-cache: hit) for the bags just added",
        );
    }
    let accepted_before: Vec<String> = draining
        .iter()
        .filter(|id| from.buckets.get(id).is_some_and(|s| s.accepting_new_bags))
        .map(ToString::to_string)
        .collect();
    if !accepted_before.is_empty() {
        b.wait(
            Phase::Drain,
            Actor::Lead,
            format!(
                "re-read the bags of buckets {} from the indexer (and their assigned_bags counters from chain): channels created before they stopped accepting may have landed on them; if any bag is listed that this plan does not move, stop and plan again",
                accepted_before.join(", ")
            ),
        );
    }
    for (bag, fams) in &removes {
        for (family, rem) in fams {
            let rest: BTreeSet<u64> = rem
                .iter()
                .filter(|i| !combined.contains(&(*bag, *family, **i)))
                .copied()
                .collect();
            if !rest.is_empty() {
                b.call(
                    Phase::Drain,
                    Call::UpdateDistributionBucketsForBag {
                        bag: (*bag).clone(),
                        family: *family,
                        add: BTreeSet::new(),
                        remove: rest,
                    },
                );
            }
        }
    }
    b.end_batch();
    for (id, st) in &from.buckets {
        let t = to.buckets.get(id);
        if t.is_none() && st.distributing && !st.operators.is_empty() {
            b.call(
                Phase::Drain,
                Call::UpdateDistributionBucketMode {
                    bucket: *id,
                    distributing: false,
                },
            );
        }
        for w in st.operators.keys() {
            if !t.is_some_and(|t| t.operators.contains_key(w)) {
                b.call(
                    Phase::Drain,
                    Call::RemoveDistributionBucketOperator {
                        bucket: *id,
                        worker: *w,
                    },
                );
            }
        }
    }
    for id in &deleted_buckets {
        b.call(Phase::Drain, Call::DeleteDistributionBucket { bucket: *id });
    }

    // --- 10. cleanup
    for f in &deleted_families {
        b.call(
            Phase::Cleanup,
            Call::DeleteDistributionBucketFamily { family: *f },
        );
    }
    for id in late_close {
        b.call(
            Phase::Cleanup,
            Call::UpdateDistributionBucketStatus {
                bucket: id,
                accepting_new_bags: false,
            },
        );
    }
    for (id, t) in &to.buckets {
        let dist = from.buckets.get(id).is_none_or(|s| s.distributing);
        if dist != t.distributing {
            b.call(
                Phase::Cleanup,
                Call::UpdateDistributionBucketMode {
                    bucket: *id,
                    distributing: t.distributing,
                },
            );
        }
    }
    // Back to the target's, which is never below today's (a temporary raise is undone).
    if let (Some(now), Some(end)) = (limit, to.buckets_per_bag_limit)
        && now != end
        && from.buckets_per_bag_limit.is_some_and(|l| end >= l)
    {
        b.call(
            Phase::Cleanup,
            Call::UpdateDistributionBucketsPerBagLimit { limit: end },
        );
    }

    let mut cost = Cost {
        batches: b.batches,
        bags_moved,
        bucket_assignment_changes: changes,
        ..Cost::default()
    };
    for c in b.items.iter().filter_map(|i| match i {
        Item::Call { call, .. } => Some(call),
        Item::Wait { .. } => None,
    }) {
        match c.actor() {
            Actor::Lead => cost.lead_calls += 1,
            Actor::Operator => cost.operator_calls += 1,
        }
        if c.is_per_bag() {
            cost.per_bag_calls += 1;
        }
    }
    // `leader:update-bag` and every other distributor command submit one extrinsic each.
    cost.lead_transactions = cost.lead_calls;
    Ok(Migration {
        items: b.items,
        batch_size,
        cost,
    })
}
