//! Issue 14, item 3: the replay proves a Channel bag can be created and is served at every
//! point, and catches the orders the planner used before; and the property the random
//! topologies are checked against.

use super::*;
use crate::reassign::checks::Outcome;

/// Issue 14, item 3, checked independently of the replay's trackers: walking the calls, a
/// bucket is deleted only with no bag on it, and once the Channel policy is restated a new
/// Channel bag can be created and is served at every later point; the replay's `checks` say
/// "unknown" exactly when the policy is.
pub(super) fn check_channel_creation(
    t: &Topology,
    r: &super::Reassignment,
) -> Result<(), proptest::test_runner::TestCaseError> {
    use proptest::prelude::*;
    let end = Chain::from_topology(&r.layout.target);
    let mut chain = Chain::from_topology(t);
    let mut restated = false;
    // Problems a Channel bag created now meets, by key: they may only go away.
    let problems = |c: &Chain| -> std::collections::BTreeSet<String> {
        let start = Chain::from_topology(t);
        let mut v = Vec::new();
        if c.policies.is_some() {
            v.extend(c.channel_creatable().err().unwrap_or_default());
        } else {
            v.extend(c.accepting_kept(&start).err().unwrap_or_default());
        }
        v.extend(c.new_channel_served(&end).err().unwrap_or_default());
        v.iter().map(ChannelProblem::key).collect()
    };
    let mut before = problems(&chain);
    for call in r.migration.calls() {
        if let Call::DeleteDistributionBucket { bucket } = call {
            prop_assert_eq!(chain.assigned_bags(*bucket), Some(0), "{:?}", call);
            prop_assert_eq!(chain.listed_bags(*bucket), 0, "{:?}", call);
        }
        chain
            .apply(call)
            .map_err(|e| TestCaseError::fail(format!("{call:?}: {e}")))?;
        let now = problems(&chain);
        prop_assert!(
            now.is_subset(&before),
            "after {:?}: new problems {:?}",
            call,
            now.difference(&before).collect::<Vec<_>>()
        );
        before = now;
        if matches!(
            call,
            Call::UpdateFamiliesInDynamicBagCreationPolicy {
                bag_type: crate::topology::DynamicBagType::Channel,
                ..
            }
        ) {
            restated = true;
        }
        if restated {
            prop_assert_eq!(chain.channel_creatable(), Ok(()), "after {:?}", call);
            prop_assert_eq!(chain.new_channel_served(&end), Ok(()), "after {:?}", call);
        }
    }
    let outcome = |name: &str| {
        r.replay
            .checks
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.outcome.clone())
    };
    let unknown = matches!(outcome("channel_creatable"), Some(Outcome::Unknown { .. }));
    prop_assert_eq!(unknown, t.policies.is_none());
    prop_assert_eq!(
        outcome("accepting_buckets_kept").is_some(),
        t.policies.is_none()
    );
    if t.policies.is_none() {
        prop_assert_eq!(outcome("accepting_buckets_kept"), Some(Outcome::Holds));
    }
    if restated {
        for name in ["channel_creatable", "new_channel_served"] {
            prop_assert!(
                matches!(
                    outcome(name),
                    Some(Outcome::Holds | Outcome::HoldsFrom { .. })
                ),
                "{} {:?}",
                name,
                outcome(name)
            );
        }
    }
    Ok(())
}

fn planned() -> (Topology, Reassignment) {
    let mut t = mainnet_2023_01();
    assume_bags(&mut t, 3, None);
    let r = plan_reassignment(&t, None, &ReassignOptions::default()).unwrap();
    (t, r)
}

fn outcome<'a>(r: &'a Reassignment, name: &str) -> &'a Outcome {
    &r.replay
        .checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no check {name}: {:?}", r.replay.checks))
        .outcome
}

#[test]
fn the_plan_keeps_channel_creation_possible_and_served() {
    let (_, r) = planned();
    assert_eq!(outcome(&r, "channel_creatable"), &Outcome::Holds);
    // Today a channel may land on 0:0, which the plan deletes; once the Channel policy
    // no longer names family 0, no more.
    match outcome(&r, "new_channel_served") {
        Outcome::HoldsFrom { from, before } => {
            assert!(
                from.contains("update_families_in_dynamic_bag_creation_policy(Channel"),
                "{from}"
            );
            assert!(before.contains("bucket 0:0"), "{before}");
        }
        o => panic!("{o:?}"),
    }
    let points = 1 + r.replay.calls + r.replay.waits;
    let c = r
        .replay
        .checks
        .iter()
        .find(|c| c.name == "channel_creatable")
        .unwrap();
    assert_eq!(c.steps_checked, points, "every call and every wait point");
    for name in [
        "calls_legal",
        "nothing_guessed",
        "bags_keep_regions",
        "end_state_is_target",
    ] {
        assert_eq!(outcome(&r, name), &Outcome::Holds);
    }
}

/// Before issue 14 the plan closed 0:0 in its Prepare phase, while the Channel policy
/// still named family 0 and 0:0 was its only accepting bucket.
#[test]
fn closing_a_bucket_before_the_policy_moves_on_is_caught() {
    let (t, r) = planned();
    let close = Call::UpdateDistributionBucketStatus {
        bucket: BucketId::new(0, 0),
        accepting_new_bags: false,
    };
    let mut calls: Vec<Call> = r
        .migration
        .calls()
        .filter(|c| **c != close)
        .cloned()
        .collect();
    calls.insert(1, close);
    let err = replay(&t, &calls, &r.layout.target).unwrap_err();
    assert!(
        matches!(&err, ReplayError::ChannelCreation { check, problem: ChannelProblem::TooFewAccepting { .. }, .. } if check == "channel_creatable"),
        "{err}"
    );
}

/// Before issue 14 new buckets were created accepting: a channel created before the
/// operator serves the bucket would have no node there.
#[test]
fn a_new_bucket_accepting_before_its_operator_serves_is_caught() {
    let (t, r) = planned();
    let calls: Vec<Call> = r
        .migration
        .calls()
        .filter(|c| {
            !matches!(c, Call::UpdateDistributionBucketStatus { bucket, accepting_new_bags: true } if *bucket == BucketId::new(1, 1))
        })
        .map(|c| match c {
            Call::CreateDistributionBucket { family, expected_index, .. } => {
                Call::CreateDistributionBucket {
                    family: *family,
                    accepting_new_bags: true,
                    expected_index: *expected_index,
                }
            }
            c => c.clone(),
        })
        .collect();
    let err = replay(&t, &calls, &r.layout.target).unwrap_err();
    assert!(
        matches!(&err, ReplayError::ChannelCreation { problem: ChannelProblem::NotServed { bucket }, .. } if *bucket == BucketId::new(1, 1)),
        "{err}"
    );
}

/// Unknown policy: creatability is reported unknown, never guessed; what can be proven
/// without it (no family loses an accepting bucket) is.
#[test]
fn with_the_policy_unknown_creatability_is_unknown_and_no_bucket_closes() {
    let t = mainnet_2023_01();
    let r = plan_reassignment(&t, None, &ReassignOptions::default()).unwrap();
    assert!(matches!(
        outcome(&r, "channel_creatable"),
        Outcome::Unknown { .. }
    ));
    assert!(matches!(
        outcome(&r, "new_channel_reaches_end_regions"),
        Outcome::Unknown { .. }
    ));
    assert_eq!(outcome(&r, "accepting_buckets_kept"), &Outcome::Holds);
    // The new bucket 1:1 opens only once its operator serves it, and the plan deletes
    // no bucket a new channel could land on.
    let created = r
        .migration
        .calls()
        .position(|c| {
            matches!(
                c,
                Call::CreateDistributionBucket {
                    accepting_new_bags: false,
                    ..
                }
            )
        })
        .unwrap();
    let metadata = r
        .migration
        .calls()
        .position(|c| matches!(c, Call::SetDistributionOperatorMetadata { bucket, .. } if *bucket == BucketId::new(1, 1)))
        .unwrap();
    let opened = r
        .migration
        .calls()
        .position(|c| matches!(c, Call::UpdateDistributionBucketStatus { bucket, accepting_new_bags: true } if *bucket == BucketId::new(1, 1)))
        .unwrap();
    assert!(created < metadata && metadata < opened);
    let json = serde_json::to_value(&r.replay).unwrap();
    assert!(json["checks"].as_array().unwrap().len() >= 7);
}

/// Bags and limit known, policy unknown: an idle bucket that accepts new bags may be where
/// Atlas puts the next channel (the unknown policy may name its family). Before issue 14 the
/// planner deleted it; now it stays, with the reason, and replaying the old plan fails.
#[test]
fn an_accepting_bucket_stays_while_the_policy_is_unknown() {
    let t: Topology = serde_json::from_str(
        r#"{"families":[{"id":0,"nextBucketIndex":2}],
        "buckets":[
          {"id":"0:0","acceptingNewBags":true,"distributing":true,"operators":[
            {"worker":1,"status":"ACTIVE","metadata":{"endpoint":"https://par.example/distributor/",
             "location":{"countryCode":"FR","coordinates":{"lat":48.85,"lon":2.35}}}}]},
          {"id":"0:1","acceptingNewBags":true,"distributing":true,"operators":[]}],
        "bags":[{"id":"dynamic:channel:1","buckets":["0:0"]}],
        "bagsKnown":true,
        "bucketsPerBagLimit":2}"#,
    )
    .unwrap();
    let r = plan_reassignment(&t, None, &ReassignOptions::default()).unwrap();
    assert!(r.layout.target.bucket(BucketId::new(0, 1)).is_some());
    let kept = &r.layout.unknowns.kept;
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].bucket, BucketId::new(0, 1));
    assert_eq!(
        kept[0].why,
        crate::reassign::KeptWhy::AcceptsNewChannels {
            policy_known: false
        }
    );
    assert!(
        !r.migration
            .calls()
            .any(|c| matches!(c, Call::DeleteDistributionBucket { .. })),
        "{:?}",
        r.migration.items
    );
    // The old plan: delete the idle bucket.
    let mut old_target = r.layout.target.clone();
    old_target.buckets.retain(|b| b.id != BucketId::new(0, 1));
    let old = [Call::DeleteDistributionBucket {
        bucket: BucketId::new(0, 1),
    }];
    let err = replay(&t, &old, &old_target).unwrap_err();
    assert!(
        matches!(&err, ReplayError::ChannelCreation { check, problem: ChannelProblem::FewerAccepting { .. }, .. } if check == "accepting_buckets_kept"),
        "{err}"
    );
    // With the policy known and restated away from it, it goes.
    let mut known = t.clone();
    known.policies = Some(
        [(
            crate::topology::DynamicBagType::Channel,
            crate::topology::DynamicBagPolicy {
                number_of_storage_buckets: 5,
                families: [(FamilyId(0), 1)].into(),
            },
        )]
        .into(),
    );
    let r = plan_reassignment(&known, None, &ReassignOptions::default()).unwrap();
    assert!(r.layout.target.bucket(BucketId::new(0, 1)).is_none());
    assert!(r.layout.unknowns.kept.is_empty());
}
