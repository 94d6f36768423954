//! Building the target layout (see the [module docs](super)).

use std::collections::{BTreeMap, BTreeSet};

use super::areas::{Member, areas_from_demand, family_regions, node_key, place};
use super::{FamilyAction, FamilyDecision, Layout, NodeDecision, ReassignOptions};
use crate::demand::Demand;
use crate::reassign::unknown::{KeptBucket, KeptWhy, Unknowns};
use crate::topology::regions::{self, Region, region_of_country};
use crate::topology::{
    BagsUnknown, Bucket, BucketId, DynamicBagType, Family, FamilyId, FamilyMetadata,
    GeographicalArea, Operator, OperatorStatus, Topology,
};

/// The layout, assuming the dynamic bag policies are restated when `restate` (else buckets
/// new channels may land on stay), and whether they are.
pub(super) fn build(
    topology: &Topology,
    demand: Option<&Demand>,
    options: &ReassignOptions,
    restate: bool,
) -> (Layout, bool) {
    let t = topology;
    // --- nodes and their memberships
    let mut nodes: BTreeMap<String, Vec<Member>> = BTreeMap::new();
    for b in &t.buckets {
        for op in b
            .operators
            .iter()
            .filter(|o| o.status == OperatorStatus::Active)
        {
            nodes
                .entry(node_key(op.worker, op.metadata.as_ref()))
                .or_default()
                .push(Member {
                    bucket: b.id,
                    worker: op.worker,
                    meta: op.metadata.clone(),
                });
        }
    }
    let node_region = |members: &[Member]| -> Option<&'static Region> {
        members.iter().find_map(|m| {
            m.meta
                .as_ref()?
                .location
                .as_ref()?
                .country_code
                .and_then(region_of_country)
        })
    };
    let mut bags_in: BTreeMap<BucketId, usize> = BTreeMap::new();
    for bag in &t.bags {
        for b in &bag.buckets {
            *bags_in.entry(*b).or_default() += 1;
        }
    }
    let mut by_region: BTreeMap<&'static str, Vec<&str>> = BTreeMap::new();
    let mut pinned: BTreeSet<FamilyId> = BTreeSet::new();
    for (id, members) in &nodes {
        match node_region(members) {
            Some(r) => by_region.entry(r.key).or_default().push(id.as_str()),
            None => pinned.extend(members.iter().map(|m| m.bucket.family)),
        }
    }

    // Unknown means unknown: a bucket whose bags are unknown is never drained, switched off,
    // stripped of an operator or deleted; without the per-bag limit no bag moves, so buckets
    // holding bags stay too (issue 14; runtime rules: Joystream/joystream
    // runtime-modules/storage/src/lib.rs:2611-2640, 3919-3972 @ 3862e7e).
    let unknown_bags: BTreeMap<BucketId, BagsUnknown> =
        t.buckets_with_unknown_bags().into_iter().collect();
    let bags_move = t.buckets_per_bag_limit.is_some();
    // A bucket accepting new bags in a family the Channel policy may name can receive a new
    // channel at any time (Atlas picks accepting buckets: Joystream/atlas
    // packages/atlas/src/providers/joystream/joystream.hooks.ts:111-148 @ 9a42847). Unless
    // the policy is restated away from it first, closing, stripping or deleting it could
    // block channel creation or strand a new channel: it stays.
    let restate_possible = restate;
    let channel_policy = t.policies.as_ref().map(|ps| {
        ps.get(&DynamicBagType::Channel)
            .map(|p| {
                p.families
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(f, _)| *f)
                    .collect::<BTreeSet<FamilyId>>()
            })
            .unwrap_or_default()
    });
    let kept_why = |b: BucketId| -> Option<KeptWhy> {
        if let Some(u) = unknown_bags.get(&b) {
            return Some(KeptWhy::BagsUnknown { unknown: *u });
        }
        let n = bags_in.get(&b).copied().unwrap_or(0);
        if !bags_move && n > 0 {
            return Some(KeptWhy::LimitUnknown { bags: n as u64 });
        }
        let accepting = t.bucket(b).is_some_and(|x| x.accepting_new_bags);
        let named = channel_policy
            .as_ref()
            .is_none_or(|fs| fs.contains(&b.family));
        (!restate_possible && accepting && named).then_some(KeptWhy::AcceptsNewChannels {
            policy_known: channel_policy.is_some(),
        })
    };
    let mut kept: BTreeMap<BucketId, (KeptWhy, Vec<String>)> = BTreeMap::new();

    // --- region → family, greedily by cost
    let move_cost = |node: &str, family: Option<FamilyId>| -> usize {
        let members = &nodes[node];
        let inside = family.is_some_and(|f| members.iter().any(|m| m.bucket.family == f));
        let outside: usize = members
            .iter()
            .filter(|m| Some(m.bucket.family) != family)
            .map(|m| 7 + 2 * bags_in.get(&m.bucket).copied().unwrap_or(0))
            .sum();
        if outside == 0 {
            0
        } else if inside {
            outside
        } else {
            outside + 1
        }
    };
    let mut candidates = Vec::new();
    for (r, members) in &by_region {
        for f in &t.families {
            if pinned.contains(&f.id) {
                continue;
            }
            let named = family_regions(f);
            let relabel = usize::from(named != [*r]);
            let cost: usize = relabel
                + members
                    .iter()
                    .map(|n| move_cost(n, Some(f.id)))
                    .sum::<usize>();
            candidates.push((
                cost,
                usize::from(!named.contains(r)),
                f.id,
                regions::rank(r),
                *r,
            ));
        }
    }
    candidates.sort();
    let mut family_of: BTreeMap<&'static str, FamilyId> = BTreeMap::new();
    let mut taken: BTreeSet<FamilyId> = BTreeSet::new();
    for (cost, _, f, _, r) in &candidates {
        if family_of.contains_key(r) || taken.contains(f) {
            continue;
        }
        let new_cost: usize = 2 + by_region[r]
            .iter()
            .map(|n| move_cost(n, None))
            .sum::<usize>();
        if *cost > new_cost {
            continue;
        }
        family_of.insert(r, *f);
        taken.insert(*f);
    }
    let mut next_family = t.expected_next_family_id();
    let mut created: Vec<(FamilyId, &'static str)> = Vec::new();
    let mut regions_in_order: Vec<&'static str> = by_region.keys().copied().collect();
    regions_in_order.sort_by_key(|r| regions::rank(r));
    for r in &regions_in_order {
        if !family_of.contains_key(r) {
            let id = FamilyId(next_family);
            next_family += 1;
            family_of.insert(r, id);
            created.push((id, r));
        }
    }

    // --- target topology
    let mut target = t.clone();
    target.next_family_id = Some(next_family);
    for (id, _) in &created {
        target.families.push(Family {
            id: *id,
            metadata: None,
            next_bucket_index: 0,
        });
    }
    let mut node_rows = Vec::new();
    for (id, members) in &nodes {
        let Some(region) = node_region(members) else {
            let from: Vec<BucketId> = members.iter().map(|m| m.bucket).collect();
            node_rows.push(NodeDecision {
                node: id.clone(),
                place: place(members),
                region: None,
                from: from.clone(),
                to: from,
            });
            continue;
        };
        let fam = family_of[region.key];
        // Its distributing bucket in the family, if it has one; else a new bucket.
        let mut dest: Option<BucketId> = members
            .iter()
            .map(|m| m.bucket)
            .filter(|b| b.family == fam && t.bucket(*b).is_some_and(|x| x.distributing))
            .min();
        for m in members.iter().filter(|m| m.bucket.family != fam) {
            let d = match dest {
                Some(d) => d,
                None => {
                    let f = target
                        .families
                        .iter_mut()
                        .find(|f| f.id == fam)
                        .expect("target family exists");
                    let idx = t
                        .buckets
                        .iter()
                        .filter(|b| b.id.family == fam)
                        .map(|b| b.id.index + 1)
                        .max()
                        .unwrap_or(0)
                        .max(f.next_bucket_index);
                    f.next_bucket_index = idx + 1;
                    let id = BucketId::new(fam.0, idx);
                    target.buckets.push(Bucket {
                        id,
                        accepting_new_bags: true,
                        distributing: true,
                        operators: Vec::new(),
                        // A new bucket holds no bag; without bag data, say so explicitly.
                        assigned_bags: (!t.bags_are_known()).then_some(0),
                    });
                    dest = Some(id);
                    id
                }
            };
            let db = target
                .buckets
                .iter_mut()
                .find(|b| b.id == d)
                .expect("destination bucket exists");
            if !db.operators.iter().any(|o| o.worker == m.worker) {
                db.operators.push(Operator {
                    worker: m.worker,
                    status: OperatorStatus::Active,
                    metadata: m.meta.clone(),
                });
            }
            let ob = target
                .buckets
                .iter_mut()
                .find(|b| b.id == m.bucket)
                .expect("old bucket exists");
            if let Some(why) = kept_why(m.bucket) {
                kept.entry(m.bucket).or_insert((why, Vec::new())).1.push(format!(
                    "removing worker {} (its node also operates {d}), then switching it off and deleting it",
                    m.worker
                ));
            } else {
                ob.operators
                    .retain(|o| !(o.worker == m.worker && o.status == OperatorStatus::Active));
            }
            if bags_move {
                for bag in &mut target.bags {
                    if bag.buckets.contains(&m.bucket) && !bag.buckets.contains(&d) {
                        bag.buckets.push(d);
                    }
                }
            }
        }
        let mut to: Vec<BucketId> = members
            .iter()
            .flat_map(|m| {
                if m.bucket.family == fam {
                    vec![m.bucket]
                } else if kept.contains_key(&m.bucket) {
                    // It keeps its old bucket too.
                    vec![m.bucket, dest.unwrap_or(m.bucket)]
                } else {
                    vec![dest.unwrap_or(m.bucket)]
                }
            })
            .collect();
        to.sort();
        to.dedup();
        node_rows.push(NodeDecision {
            node: id.clone(),
            place: place(members),
            region: Some(region.key.to_string()),
            from: members.iter().map(|m| m.bucket).collect(),
            to,
        });
    }
    // Drain buckets no active operator serves any more (or never did, when asked to).
    let had_active: BTreeSet<BucketId> = nodes.values().flatten().map(|m| m.bucket).collect();
    let drop: BTreeSet<BucketId> = target
        .buckets
        .iter()
        .filter(|b| {
            let active = b
                .operators
                .iter()
                .any(|o| o.status == OperatorStatus::Active);
            let invited = b
                .operators
                .iter()
                .any(|o| o.status == OperatorStatus::Invited);
            !active
                && !invited
                && !pinned.contains(&b.id.family)
                && (had_active.contains(&b.id) || options.delete_idle_buckets)
                && t.bucket(b.id).is_some()
        })
        .map(|b| b.id)
        .filter(|b| match kept_why(*b) {
            Some(why) => {
                kept.entry(*b)
                    .or_insert((why, Vec::new()))
                    .1
                    .push("deleting it (no active operator left)".to_string());
                false
            }
            None => true,
        })
        .collect();
    target.buckets.retain(|b| !drop.contains(&b.id));
    for bag in &mut target.bags {
        bag.buckets.retain(|b| !drop.contains(b));
    }
    // Families left without buckets.
    let with_buckets: BTreeSet<FamilyId> = target.buckets.iter().map(|b| b.id.family).collect();
    let mut deleted: BTreeSet<FamilyId> = BTreeSet::new();
    if options.delete_empty_families {
        for f in &target.families {
            if !with_buckets.contains(&f.id) && !pinned.contains(&f.id) {
                deleted.insert(f.id);
            }
        }
    }
    // Families the policy will name: those with a serving bucket.
    // Serving as the replay counts it (Orion's rule: distributing, an ACTIVE operator with
    // an endpoint).
    let serving_bucket = |b: &Bucket| {
        b.distributing
            && b.operators.iter().any(|o| {
                o.status == OperatorStatus::Active
                    && crate::reassign::replay::operator_region(o.metadata.as_ref()).is_some()
            })
    };
    let policy_families: BTreeSet<FamilyId> = target
        .buckets
        .iter()
        .filter(|b| serving_bucket(b))
        .map(|b| b.id.family)
        .collect();
    // Restating a policy replaces it wholesale and goes with making every bag reachable in
    // every named family: both need the current policies and the per-bag limit.
    let keep_policies = policy_families.is_empty()
        || policy_families.len() > 51
        || t.policies.is_none()
        || !bags_move;
    if keep_policies {
        // No policy can be restated: keep the families today's policies name (all of them
        // when the policies are unknown: deleting a family a policy names fails,
        // lib.rs:2495-2525 @ 3862e7e).
        match &t.policies {
            Some(ps) => {
                for p in ps.values() {
                    for f in p.families.keys() {
                        deleted.remove(f);
                    }
                }
            }
            None => deleted.clear(),
        }
    }
    target.families.retain(|f| !deleted.contains(&f.id));
    // Reachability: every bag in every policy family, on its least loaded serving bucket.
    if !keep_policies {
        let node_of_bucket: BTreeMap<BucketId, String> = target
            .buckets
            .iter()
            .filter_map(|b| {
                let o = b
                    .operators
                    .iter()
                    .find(|o| o.status == OperatorStatus::Active)?;
                Some((b.id, node_key(o.worker, o.metadata.as_ref())))
            })
            .collect();
        let weight = |size: Option<u64>| size.map_or(1.0, |s| s as f64);
        let mut load: BTreeMap<BucketId, f64> = BTreeMap::new();
        for bag in &target.bags {
            for b in &bag.buckets {
                *load.entry(*b).or_default() += weight(bag.size_bytes);
            }
        }
        let per_gb = |b: BucketId, l: f64| {
            node_of_bucket
                .get(&b)
                .and_then(|n| options.cache_gb.get(n))
                .filter(|c| **c > 0.0)
                .map_or(l, |c| l / c)
        };
        let serving: Vec<BucketId> = target
            .buckets
            .iter()
            .filter(|b| serving_bucket(b))
            .map(|b| b.id)
            .collect();
        for bag in &mut target.bags {
            for f in &policy_families {
                if bag.buckets.iter().any(|b| b.family == *f) {
                    continue;
                }
                let best = serving
                    .iter()
                    .filter(|b| b.family == *f)
                    .min_by(|a, b| {
                        let la = per_gb(**a, load.get(a).copied().unwrap_or(0.0));
                        let lb = per_gb(**b, load.get(b).copied().unwrap_or(0.0));
                        la.total_cmp(&lb).then(a.cmp(b))
                    })
                    .copied();
                if let Some(b) = best {
                    bag.buckets.push(b);
                    *load.entry(b).or_default() += weight(bag.size_bytes);
                }
            }
        }
        // A bucket a new channel may land on must serve: in a family the policy names, a
        // bucket no node serves stops accepting.
        for b in target.buckets.iter_mut() {
            if policy_families.contains(&b.id.family) && b.accepting_new_bags && !serving_bucket(b)
            {
                b.accepting_new_bags = false;
            }
        }
        // Every policy family needs an accepting serving bucket for new channels.
        for f in &policy_families {
            let accepting = target
                .buckets
                .iter()
                .any(|b| b.id.family == *f && b.accepting_new_bags && serving_bucket(b));
            if !accepting
                && let Some(b) = target
                    .buckets
                    .iter_mut()
                    .find(|b| b.id.family == *f && serving_bucket(b))
            {
                b.accepting_new_bags = true;
            }
        }
        // The Channel policy names every serving family. No runtime path creates Member bags
        // (content/src/lib.rs:623-639 @ 3862e7e), so the Member policy only loses the families
        // deleted here (a family it names cannot be deleted) and is never widened.
        let kept: BTreeSet<FamilyId> = target.families.iter().map(|f| f.id).collect();
        if let Some(ps) = target.policies.as_mut() {
            let mut types: BTreeSet<DynamicBagType> = ps.keys().copied().collect();
            types.insert(DynamicBagType::Channel);
            for ty in types {
                let p = ps.entry(ty).or_default();
                if ty == DynamicBagType::Channel {
                    p.families = policy_families.iter().map(|f| (*f, 1)).collect();
                } else {
                    p.families.retain(|f, _| kept.contains(f));
                }
            }
        }
    }
    for bag in &mut target.bags {
        bag.buckets.sort();
        bag.buckets.dedup();
    }
    // On-chain counters read for today follow the bag changes, as the runtime's do.
    for b in &mut target.buckets {
        if let Some(n) = b.assigned_bags.as_mut()
            && t.bucket(b.id).is_some()
        {
            let (now, after) = (
                t.listed_bags(b.id),
                target
                    .bags
                    .iter()
                    .filter(|g| g.buckets.contains(&b.id))
                    .count() as u64,
            );
            *n = (*n + after).saturating_sub(now);
        }
    }
    target.buckets.sort_by_key(|b| b.id);
    target.families.sort_by_key(|f| f.id);
    // Per-bag limit: room for every bag when bags change.
    let changed = t.bags.iter().zip(&target.bags).any(|(a, b)| {
        let mut x = a.buckets.clone();
        x.sort();
        x != b.buckets
    });
    if changed {
        let most = target
            .bags
            .iter()
            .map(|b| b.buckets.len())
            .max()
            .unwrap_or(0) as u32;
        // Never below today's (lowering leaves bags above it: lib.rs:2711-2730 @ 3862e7e).
        target.buckets_per_bag_limit = t.buckets_per_bag_limit.map(|l| l.max(most).max(1));
    }

    // --- metadata: region names and areas from demand
    let areas = demand.map(|d| areas_from_demand(&target, d, options));
    let region_of_family: BTreeMap<FamilyId, &'static str> =
        family_of.iter().map(|(r, f)| (*f, *r)).collect();
    let mut family_rows = Vec::new();
    let before: BTreeMap<FamilyId, &Family> = t.families.iter().map(|f| (f.id, f)).collect();
    for f in &mut target.families {
        let Some(rk) = region_of_family.get(&f.id) else {
            continue;
        };
        let region = regions::region(rk).expect("catalogue key");
        let old = f.metadata.clone().unwrap_or_default();
        let names_it = before
            .get(&f.id)
            .is_some_and(|b| family_regions(b) == [*rk]);
        let mut m = FamilyMetadata {
            region: Some(region.code.to_string()),
            description: Some(region.description.to_string()),
            areas: vec![GeographicalArea::Continent(region.continent)],
            latency_test_targets: old.latency_test_targets.clone(),
        };
        if names_it {
            m.region = old.region.clone().or(m.region);
            m.description = old.description.clone().or(m.description);
            if !old.areas.is_empty() {
                m.areas = old.areas.clone();
            }
        }
        if let Some(a) = areas.as_ref().and_then(|a| a.get(&f.id))
            && !a.is_empty()
        {
            m.areas = a.clone();
        }
        f.metadata = Some(m);
    }
    let nodes_in: BTreeMap<FamilyId, Vec<String>> = {
        let mut m: BTreeMap<FamilyId, Vec<String>> = BTreeMap::new();
        for row in &node_rows {
            for b in &row.to {
                let v = m.entry(b.family).or_default();
                if !v.contains(&row.node) {
                    v.push(row.node.clone());
                }
            }
        }
        m
    };
    let all: BTreeSet<FamilyId> = t
        .families
        .iter()
        .chain(&target.families)
        .map(|f| f.id)
        .collect();
    let desc = |f: Option<&Family>| {
        f.and_then(|f| f.metadata.as_ref())
            .and_then(|m| m.description.clone())
    };
    for id in all {
        let old = before.get(&id).copied();
        let new = target.families.iter().find(|f| f.id == id);
        let action = match (old, new) {
            (None, _) => FamilyAction::Create,
            (Some(_), None) => FamilyAction::Delete,
            (Some(o), Some(_)) => match region_of_family.get(&id) {
                Some(rk) if family_regions(o) != [*rk] => FamilyAction::Relabel,
                _ => FamilyAction::Keep,
            },
        };
        family_rows.push(FamilyDecision {
            family: id,
            action,
            before: desc(old),
            after: desc(new),
            region: region_of_family.get(&id).map(|r| r.to_string()),
            nodes: nodes_in.get(&id).cloned().unwrap_or_default(),
        });
    }
    let mut unknowns = Unknowns::of(t);
    unknowns.kept = kept
        .into_iter()
        .map(|(bucket, (why, instead))| KeptBucket {
            bucket,
            why,
            instead_of: instead.join("; "),
        })
        .collect();
    (
        Layout {
            target,
            families: family_rows,
            nodes: node_rows,
            unknowns,
        },
        !keep_policies,
    )
}
