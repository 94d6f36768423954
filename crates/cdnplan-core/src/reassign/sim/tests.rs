//! Tests of the runtime-rules simulator.

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
        "policies":{"Member":{"numberOfStorageBuckets":5,"families":{}}},
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
    c.buckets_per_bag_limit = Some(1);
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
        c.policies.as_ref().unwrap()[&DynamicBagType::Channel].families,
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

#[test]
fn unknown_chain_state_is_never_guessed() {
    // Issue 14: delete counts the runtime's counter, not the simulator's list.
    let mut c = chain();
    let b10 = BucketId::new(1, 0);
    c.buckets.get_mut(&b10).unwrap().assigned_bags = None;
    let e = c
        .apply(&Call::DeleteDistributionBucket { bucket: b10 })
        .unwrap_err();
    assert_eq!(
        e,
        CallError::Rule(RuleError::DependsOnUnknown(Unknown::AssignedBags(b10)))
    );
    c.buckets.get_mut(&b10).unwrap().assigned_bags = Some(4);
    fails(
        &mut c,
        Call::DeleteDistributionBucket { bucket: b10 },
        E::DistributionBucketIsBoundToBag,
    );
    // Its list says no bags, the counter says 4: it may not be switched off.
    let off = c.apply(&Call::UpdateDistributionBucketMode {
        bucket: b10,
        distributing: false,
    });
    assert_eq!(off, Err(CallError::Rule(RuleError::BucketBagsUnknown(b10))));
    // The limit is never lowered, nor set or relied on when unknown.
    let e = c
        .apply(&Call::UpdateDistributionBucketsPerBagLimit { limit: 1 })
        .unwrap_err();
    assert!(matches!(
        e,
        CallError::Rule(RuleError::LimitLowered { current: 2, new: 1 })
    ));
    c.buckets_per_bag_limit = None;
    c.limit_floor = None;
    assert!(c.apply(&bag_update(1, &[0], &[])).is_err());
    assert!(
        c.apply(&Call::UpdateDistributionBucketsPerBagLimit { limit: 5 })
            .is_err()
    );
    // Policies unknown: no restatement, no family deletion.
    c.policies = None;
    let e = c
        .apply(&Call::UpdateFamiliesInDynamicBagCreationPolicy {
            bag_type: DynamicBagType::Channel,
            families: [(FamilyId(1), 1)].into(),
        })
        .unwrap_err();
    assert_eq!(
        e,
        CallError::Rule(RuleError::DependsOnUnknown(Unknown::Policies))
    );
}

/// A Channel bag created now (Atlas: accepting buckets only, the policy's count per family;
/// runtime: exact match, lib.rs:4592-4625 @ 3862e7e).
#[test]
fn a_channel_is_creatable_only_as_the_policy_and_accepting_flags_allow() {
    use crate::topology::{DynamicBagPolicy, DynamicBagType};
    let mut c = chain();
    // A policy never stored: the runtime's default names no family.
    assert_eq!(
        c.channel_creatable(),
        Err(vec![ChannelProblem::PolicyEmpty])
    );
    let set = |c: &mut Chain, families: &[(u64, u32)]| {
        c.policies.as_mut().unwrap().insert(
            DynamicBagType::Channel,
            DynamicBagPolicy {
                number_of_storage_buckets: 5,
                families: families.iter().map(|(f, n)| (FamilyId(*f), *n)).collect(),
            },
        );
    };
    set(&mut c, &[(0, 1), (1, 1)]);
    assert_eq!(c.channel_creatable(), Ok(()));
    // 0:1 does not accept: two buckets of family 0 cannot be picked.
    set(&mut c, &[(0, 2)]);
    let too_few = ChannelProblem::TooFewAccepting {
        family: FamilyId(0),
        accepting: 1,
        wanted: 2,
    };
    assert_eq!(c.channel_creatable(), Err(vec![too_few]));
    set(&mut c, &[(0, 1)]);
    c.apply(&Call::UpdateDistributionBucketStatus {
        bucket: BucketId::new(0, 0),
        accepting_new_bags: false,
    })
    .unwrap();
    assert!(matches!(
        c.channel_creatable(),
        Err(v) if v == [ChannelProblem::TooFewAccepting { family: FamilyId(0), accepting: 0, wanted: 1 }]
    ));
    // Unknown means unknown.
    c.policies = None;
    assert_eq!(
        c.channel_creatable(),
        Err(vec![ChannelProblem::PolicyUnknown])
    );
    // Whatever the policy: a family lost an accepting bucket.
    assert_eq!(
        c.accepting_kept(&chain()),
        Err(vec![ChannelProblem::FewerAccepting {
            family: FamilyId(0),
            before: 1,
            now: 0
        }])
    );
}

/// A new channel must land on buckets a node serves and that keep serving once the plan is
/// done; a region is sure when every pick of the policy's count holds a bucket serving it.
#[test]
fn a_new_channel_is_served_where_it_lands_and_stays_so() {
    use crate::topology::{DynamicBagPolicy, DynamicBagType, NodeLocation};
    let mut c = chain();
    c.policies.as_mut().unwrap().insert(
        DynamicBagType::Channel,
        DynamicBagPolicy {
            number_of_storage_buckets: 5,
            families: [(FamilyId(0), 1)].into(),
        },
    );
    let end = c.clone();
    // Worker 1 on 0:0 has published no endpoint: Orion would not list it.
    assert_eq!(
        c.new_channel_served(&end),
        Err(vec![ChannelProblem::NotServed {
            bucket: BucketId::new(0, 0)
        }])
    );
    let meta = OperatorMetadata {
        endpoint: Some("https://nbg.example/distributor/".into()),
        location: Some(NodeLocation {
            country_code: Some(crate::geo::CountryCode::new("DE").unwrap()),
            city: None,
            coordinates: Some(crate::geo::GeoPoint {
                lat: 49.45,
                lon: 11.08,
            }),
        }),
        extra: None,
    };
    c.apply(&Call::SetDistributionOperatorMetadata {
        worker: WorkerId(1),
        bucket: BucketId::new(0, 0),
        metadata: meta,
    })
    .unwrap();
    let mut gone = c.clone();
    gone.buckets.remove(&BucketId::new(0, 0));
    assert_eq!(
        c.new_channel_served(&gone),
        Err(vec![ChannelProblem::Deleted {
            bucket: BucketId::new(0, 0)
        }])
    );
    assert_eq!(c.new_channel_served(&c.clone()), Ok(()));
    assert_eq!(
        c.new_channel_regions(),
        Some(["eu-west".to_string()].into())
    );
    // Opening 0:1 (served by nobody) makes eu-west a gamble for a new channel.
    let served = c.clone();
    c.apply(&Call::UpdateDistributionBucketStatus {
        bucket: BucketId::new(0, 1),
        accepting_new_bags: true,
    })
    .unwrap();
    assert_eq!(c.new_channel_regions(), Some(BTreeSet::new()));
    assert_eq!(
        c.new_channel_reaches(&served),
        Err(vec![ChannelProblem::MissingEndRegion {
            region: "eu-west".into()
        }])
    );
    assert_eq!(
        c.new_channel_reaches(&end),
        Ok(()),
        "no sure region in `end`"
    );
}
