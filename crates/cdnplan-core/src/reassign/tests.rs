//! End-to-end tests of the planner: the January 2023 mainnet case and random topologies.

use super::*;
use crate::topology::{BagId, BucketId, FamilyId, Topology};

fn mainnet_2023_01() -> Topology {
    serde_json::from_str(include_str!(
        "../../../../data/joystream/mainnet-2023-01.json"
    ))
    .unwrap()
}

fn family_of(r: &Reassignment, node: &str) -> FamilyId {
    let n = r.layout.nodes.iter().find(|n| n.node == node).unwrap();
    assert_eq!(n.to.len(), 1, "{n:?}");
    n.to[0].family
}

fn description(r: &Reassignment, f: FamilyId) -> String {
    r.layout
        .target
        .family(f)
        .and_then(|f| f.metadata.as_ref())
        .and_then(|m| m.description.clone())
        .unwrap_or_default()
}

mod mainnet_2023 {
    use super::*;

    #[test]
    fn nuremberg_and_india_end_in_families_of_their_regions() {
        let t = mainnet_2023_01();
        let r = plan_reassignment(&t, None, &ReassignOptions::default()).unwrap();
        let nbg = family_of(&r, "joystream.koalva.io");
        assert_eq!(description(&r, nbg), "Western Europe");
        let india = family_of(&r, "tiguan08.com");
        assert_eq!(description(&r, india), "Southern Asia");
        assert_eq!(
            family_of(&r, "dp.0x2bc.com"),
            nbg,
            "Paris and Nuremberg share a family"
        );
        // Seven families without an operator, and Nuremberg's old family, are gone.
        let deleted: Vec<u64> = r
            .layout
            .families
            .iter()
            .filter(|f| f.action == FamilyAction::Delete)
            .map(|f| f.family.0)
            .collect();
        assert_eq!(deleted, [0, 3, 4, 7, 8, 9, 10, 11]);
        assert_eq!(r.migration.cost.bags_moved, 0, "the snapshot lists no bags");
    }

    #[test]
    fn with_assumed_bags_every_bag_moves_with_nuremberg_and_replays() {
        let mut t = mainnet_2023_01();
        assume_bags(&mut t, 250, Some(1 << 30));
        let r = plan_reassignment(&t, None, &ReassignOptions::default()).unwrap();
        let c = &r.migration.cost;
        assert_eq!(c.bags_moved, 250);
        // Each bag: added to Nuremberg's new bucket (family 1), removed from 0:0 and from the
        // idle buckets... none: idle buckets hold no assumed bag.
        assert_eq!(c.per_bag_calls, 500, "{c:?}");
        assert_eq!(c.batches, 6, "3 of adds, 3 of removals");
        let new_bucket = BucketId::new(1, 1);
        assert!(
            r.layout
                .target
                .bags
                .iter()
                .all(|b| b.buckets.contains(&new_bucket))
        );
        assert!(r.replay.peak_buckets_per_bag >= 6);
        let policy = &r.layout.target.policies[&crate::topology::DynamicBagType::Channel];
        assert!(!policy.families.contains_key(&FamilyId(0)));
        let _ = BagId::Council;
    }
}

#[test]
#[ignore]
fn print_mainnet_plan() {
    let mut t = mainnet_2023_01();
    assume_bags(&mut t, 3, None);
    let r = plan_reassignment(&t, None, &ReassignOptions::default()).unwrap();
    println!("{}", render::markdown(&r, "x"));
    println!("{}", render::shell_script(&r));
}
