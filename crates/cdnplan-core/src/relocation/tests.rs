//! Tests of the relocation optimiser.

use super::model::{Facility, site_place};
use super::steps::order_steps;
use super::*;
use crate::demand::{CellKind, DemandCell};
use crate::geo::Continent;
use crate::geo::GeoPoint;
use crate::progress::NoProgress;
use crate::solve::Instance;
use crate::solve::Method;

fn cc(s: &str) -> CountryCode {
    CountryCode::new(s).unwrap()
}

fn cell(id: &str, lat: f64, lon: f64, continent: Continent, requests: u64) -> DemandCell {
    DemandCell {
        id: id.into(),
        location: GeoPoint { lat, lon },
        country: Some(cc(id)),
        continent: Some(continent),
        requests,
        bytes: requests * 1000,
        unique_clients: requests / 10,
    }
}

fn node(id: &str, country: &str, lat: f64, lon: f64, active: bool) -> Node {
    Node {
        id: id.into(),
        operator: None,
        city: None,
        country: Some(cc(country)),
        continent: Some(Continent::EU),
        location: GeoPoint { lat, lon },
        capacity: None,
        active,
        buckets: Vec::new(),
    }
}

fn site(id: &str, provider: &str, country: &str, c: Continent, lat: f64, lon: f64) -> Site {
    Site {
        id: id.into(),
        provider: provider.into(),
        region_code: id.into(),
        city: format!("City {id}"),
        country: cc(country),
        continent: c,
        location: GeoPoint { lat, lon },
        monthly_cost_usd: None,
    }
}

struct World {
    demand: Demand,
    nodes: Vec<Node>,
    sites: Vec<Site>,
    latency: Latency,
}

/// Demand on every continent, all four active nodes in Europe.
fn world() -> World {
    use Continent::*;
    let cells = vec![
        cell("DE", 51.0, 10.0, EU, 900),
        cell("FR", 46.0, 2.0, EU, 700),
        cell("US", 38.0, -97.0, NA, 1000),
        cell("BR", -14.0, -51.0, SA, 600),
        cell("JP", 36.0, 138.0, AS, 500),
        cell("IN", 21.0, 78.0, AS, 800),
        cell("TR", 39.0, 35.0, AS, 400),
        cell("ZA", -29.0, 24.0, AF, 200),
        cell("AU", -25.0, 134.0, OC, 300),
    ];
    let nodes = vec![
        node("n1", "DE", 50.1, 8.7, true),
        node("n2", "FR", 48.9, 2.3, true),
        node("n3", "NL", 52.4, 4.9, true),
        node("n4", "PL", 52.2, 21.0, true),
        node("n5", "ES", 40.4, -3.7, false),
    ];
    let sites = vec![
        site("aws-us-east", "aws", "US", NA, 39.0, -77.5),
        site("aws-sa-east", "aws", "BR", SA, -23.5, -46.6),
        site("hz-sg", "hetzner", "SG", AS, 1.3, 103.8),
        site("ovh-in", "ovh", "IN", AS, 19.1, 72.9),
        site("ovh-tr", "ovh", "TR", AS, 41.0, 29.0),
        site("hz-de", "hetzner", "DE", EU, 49.5, 11.1),
        site("aws-jp", "aws", "JP", AS, 35.7, 139.7),
    ];
    World {
        demand: Demand::new(CellKind::Country, cells).unwrap(),
        nodes,
        sites,
        latency: Latency::default(),
    }
}

fn run(w: &World, rc: &RelocationConstraints) -> Result<Relocation> {
    let problem = RelocationProblem {
        demand: &w.demand,
        nodes: &w.nodes,
        sites: &w.sites,
        latency: &w.latency,
        weighting: Weighting::Requests,
        constraints: rc,
    };
    optimise(
        &problem,
        &RelocationOptions::new(SolveOptions::new().method(Method::Auto)),
        &NoProgress,
    )
}

#[test]
fn steps_follow_the_chosen_objective() {
    // Clients A (weight 10) and B (weight 1); nodes at facilities 0 and 1 move to 2 and
    // 3. Opening 2 helps the mean most (A: 50 → 10 ms), opening 3 the worst case (B:
    // 200 → 90 ms).
    let cost = vec![
        50.0, 50.0, 10.0, 50.0, // A
        200.0, 200.0, 200.0, 90.0, // B
    ];
    let instance = Instance::new(2, 4, cost, vec![10.0, 1.0]).unwrap();
    let sites: Vec<Site> = (0..4)
        .map(|j| site(&format!("s{j}"), "p", "DE", Continent::EU, 50.0, j as f64))
        .collect();
    let facilities: Vec<Facility<'_>> = sites
        .iter()
        .map(|s| Facility {
            id: &s.id,
            location: s.location,
            place: site_place(s),
            site: Some(s),
            node: None,
        })
        .collect();
    let first_opening = |o: &Objective| {
        order_steps(&instance, o, &facilities, &[2, 3], 2, 0)[0]
            .open
            .unwrap()
    };
    assert_eq!(first_opening(&Objective::MeanRtt), 2);
    assert_eq!(first_opening(&Objective::WorstCase), 3);
}

fn count(r: &Relocation, kind: MoveKind) -> usize {
    r.moves.iter().filter(|m| m.kind == kind).count()
}

#[test]
fn moves_stay_within_budget_and_improve_latency() {
    let w = world();
    let rc = RelocationConstraints {
        max_moves: 2,
        ..Default::default()
    };
    let r = run(&w, &rc).unwrap();
    assert_eq!(count(&r, MoveKind::Relocate), 2);
    assert!(r.mean_rtt_after_ms < r.mean_rtt_before_ms);
    assert!(r.lower_bound_mean_rtt_ms <= r.mean_rtt_after_ms);
    assert_eq!(r.ignored_inactive, vec!["n5".to_string()]);
    // Moved nodes keep their id; the inactive one is carried unchanged.
    let ids: Vec<&str> = r.nodes_after.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["n1", "n2", "n3", "n4", "n5"]);
    // Steps are numbered, and the last one's mean is the plan's.
    assert_eq!(r.moves.iter().map(|m| m.step).collect::<Vec<_>>(), [1, 2]);
    let last = r.moves.last().unwrap();
    assert!((last.mean_rtt_after_ms - r.mean_rtt_after_ms).abs() < 1e-9);
    assert!(r.moves[0].gain_ms >= r.moves[1].gain_ms);
    assert!(
        r.moves[0].reason.contains("% of requests"),
        "{}",
        r.moves[0].reason
    );
    // Curve: one point per budget, prefixes end at the plan, best never above the prefix.
    assert_eq!(r.curve.len(), 3);
    assert_eq!(r.curve[0].plan_prefix_mean_rtt_ms, r.mean_rtt_before_ms);
    for p in &r.curve {
        assert!(p.lower_bound_mean_rtt_ms <= p.best_mean_rtt_ms + 1e-9);
        assert!(p.best_mean_rtt_ms <= p.plan_prefix_mean_rtt_ms + 1e-9);
    }
    assert!(
        r.curve
            .windows(2)
            .all(|c| c[1].best_mean_rtt_ms <= c[0].best_mean_rtt_ms)
    );
}

#[test]
fn pinned_nodes_never_move() {
    let w = world();
    let rc = RelocationConstraints {
        max_moves: 3,
        pinned: vec!["n1".into(), "n2".into(), "n3".into()],
        ..Default::default()
    };
    let r = run(&w, &rc).unwrap();
    for m in &r.moves {
        let id = m.node.as_deref().unwrap_or("");
        assert!(!rc.pinned.iter().any(|p| p == id), "{m:?}");
    }
    assert!(count(&r, MoveKind::Relocate) <= 1);
}

#[test]
fn forbidden_sites_countries_and_providers_are_never_used() {
    let w = world();
    let rc = RelocationConstraints {
        max_moves: 4,
        forbidden_sites: vec!["aws-us-east".into()],
        forbidden_countries: vec![cc("IN"), cc("PL")],
        forbidden_providers: vec!["Hetzner".into()],
        ..Default::default()
    };
    let r = run(&w, &rc).unwrap();
    // n4 stands in Poland: it must move.
    assert!(r.moves.iter().any(|m| m.node.as_deref() == Some("n4")));
    for m in &r.moves {
        let to = m.to.as_ref().unwrap();
        assert!(
            !["aws-us-east", "ovh-in", "hz-sg", "hz-de"].contains(&to.id.as_str()),
            "{to:?}"
        );
    }
    for n in r.nodes_after.iter().filter(|n| n.active) {
        assert!(
            !rc.forbidden_countries.contains(&n.country.unwrap()),
            "{n:?}"
        );
    }
}

#[test]
fn add_and_remove_counts_are_exact() {
    let w = world();
    let added = run(
        &w,
        &RelocationConstraints {
            add: 2,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        (
            count(&added, MoveKind::Add),
            count(&added, MoveKind::Relocate)
        ),
        (2, 0)
    );
    assert!(added.nodes_after.iter().any(|n| n.id.starts_with("new-")));
    assert_eq!(added.nodes_after.iter().filter(|n| n.active).count(), 6);
    let removed = run(
        &w,
        &RelocationConstraints {
            remove: 1,
            max_moves: 1,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(count(&removed, MoveKind::Remove), 1);
    assert!(count(&removed, MoveKind::Relocate) <= 1);
    assert_eq!(removed.nodes_after.iter().filter(|n| n.active).count(), 3);
    // Additions come first: each prefix is a good plan.
    let both = run(
        &w,
        &RelocationConstraints {
            add: 1,
            remove: 1,
            max_moves: 1,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(both.nodes_after.iter().filter(|n| n.active).count(), 4);
    assert!(count(&both, MoveKind::Relocate) <= 1);
}

#[test]
fn bad_constraints_give_the_right_error() {
    let w = world();
    let unknown_pin = RelocationConstraints {
        pinned: vec!["nope".into()],
        ..Default::default()
    };
    let e = run(&w, &unknown_pin).unwrap_err();
    assert!(matches!(e, Error::UnknownId { kind: "node", .. }), "{e}");
    assert!(e.to_string().contains("n1, n2"), "{e}");
    let unknown_site = RelocationConstraints {
        forbidden_sites: vec!["nope".into()],
        ..Default::default()
    };
    assert!(matches!(
        run(&w, &unknown_site),
        Err(Error::UnknownId { kind: "site", .. })
    ));
    let pinned_forbidden = RelocationConstraints {
        pinned: vec!["n1".into()],
        forbidden_countries: vec![cc("DE")],
        max_moves: 1,
        ..Default::default()
    };
    assert!(matches!(
        run(&w, &pinned_forbidden),
        Err(Error::Contradiction(_))
    ));
    let stuck = RelocationConstraints {
        forbidden_countries: vec![cc("DE"), cc("FR")],
        max_moves: 1,
        ..Default::default()
    };
    let e = run(&w, &stuck).unwrap_err();
    assert!(
        matches!(e, Error::Infeasible(ref m) if m.contains("n1, n2")),
        "{e}"
    );
    let too_many_removed = RelocationConstraints {
        remove: 5,
        ..Default::default()
    };
    assert!(matches!(
        run(&w, &too_many_removed),
        Err(Error::Infeasible(_))
    ));
    let mut dup = world();
    dup.sites.push(dup.sites[0].clone());
    assert!(matches!(
        run(&dup, &RelocationConstraints::default()),
        Err(Error::DuplicateId { kind: "site", .. })
    ));
    let mut empty = world();
    empty.demand.cells.clear();
    assert!(matches!(
        run(&empty, &RelocationConstraints::default()),
        Err(Error::EmptyDemand(_))
    ));
}

#[test]
fn zero_budget_is_the_current_setup() {
    let w = world();
    let r = run(&w, &RelocationConstraints::default()).unwrap();
    assert!(r.moves.is_empty());
    assert_eq!(r.mean_rtt_after_ms, r.mean_rtt_before_ms);
    assert_eq!(r.curve.len(), 1);
    assert_eq!(r.solution.status, Status::Optimal);
}

#[test]
fn a_what_if_places_exactly_the_named_nodes() {
    let w = world();
    // Move n2 to hz-de (a poor move, taken because it is asked for) and add one at ovh-tr.
    let rc = RelocationConstraints {
        max_moves: 1,
        add: 1,
        moved: vec!["n2".into()],
        required_sites: vec!["hz-de".into(), "ovh-tr".into()],
        ..Default::default()
    };
    let r = run(&w, &rc).unwrap();
    let mut what: Vec<(MoveKind, String, String)> = r
        .moves
        .iter()
        .map(|m| {
            (
                m.kind,
                m.node.clone().unwrap_or_default(),
                m.to.as_ref().map(|p| p.id.clone()).unwrap_or_default(),
            )
        })
        .collect();
    what.sort_by(|a, b| a.2.cmp(&b.2));
    assert_eq!(
        what,
        [
            (MoveKind::Relocate, "n2".to_string(), "hz-de".to_string()),
            (MoveKind::Add, String::new(), "ovh-tr".to_string()),
        ]
    );
    // The required sites hold nodes after the plan, and n2 left its place.
    let n2 = r.nodes_after.iter().find(|n| n.id == "n2").unwrap();
    assert_eq!((n2.location.lat, n2.location.lon), (49.5, 11.1));
}

#[test]
fn what_if_contradictions_are_named() {
    let w = world();
    let bad = |rc: RelocationConstraints| run(&w, &rc).unwrap_err();
    let e = bad(RelocationConstraints {
        add: 1,
        required_sites: vec!["nope".into()],
        ..Default::default()
    });
    assert!(matches!(e, Error::UnknownId { kind: "site", .. }), "{e}");
    let e = bad(RelocationConstraints {
        max_moves: 1,
        moved: vec!["n5".into()],
        ..Default::default()
    });
    assert!(
        matches!(e, Error::Contradiction(ref m) if m.contains("n5")),
        "{e}"
    );
    let e = bad(RelocationConstraints {
        max_moves: 1,
        moved: vec!["n1".into()],
        pinned: vec!["n1".into()],
        ..Default::default()
    });
    assert!(
        matches!(e, Error::Contradiction(ref m) if m.contains("pinned")),
        "{e}"
    );
    let e = bad(RelocationConstraints {
        add: 1,
        required_sites: vec!["ovh-tr".into()],
        forbidden_countries: vec![cc("TR")],
        ..Default::default()
    });
    assert!(
        matches!(e, Error::Contradiction(ref m) if m.contains("ovh-tr")),
        "{e}"
    );
    let e = bad(RelocationConstraints {
        add: 1,
        required_sites: vec!["ovh-tr".into(), "hz-sg".into()],
        ..Default::default()
    });
    assert!(
        matches!(e, Error::Infeasible(ref m) if m.contains("2 required")),
        "{e}"
    );
    let e = bad(RelocationConstraints {
        moved: vec!["n1".into()],
        ..Default::default()
    });
    assert!(
        matches!(e, Error::Infeasible(ref m) if m.contains("n1")),
        "{e}"
    );
}
