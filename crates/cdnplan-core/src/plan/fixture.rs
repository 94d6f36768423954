//! A small hand-built plan for the renderers' unit tests (no solver involved).

use super::*;
use crate::demand::{CellKind, Demand, Weighting};
use crate::geo::{Continent, CountryCode, GeoPoint};
use crate::latency::{Latency, LinearRtt};
use crate::node::Node;
use crate::serving::tests::{cell, in_continent, node};
use crate::serving::{evaluate, mean_rtt_ms};
use crate::solve::{Method, MipBackend, Status};

/// Demand in Europe and Asia; nodes in Nuremberg, Kyiv and Tokyo (inactive); Kyiv moves to
/// Singapore.
pub(crate) fn plan() -> (Plan, Demand) {
    let demand = Demand::new(
        CellKind::Country,
        vec![
            in_continent(cell("DE", 52.52, 13.40, 400), Continent::EU),
            in_continent(cell("UA", 50.45, 30.52, 100), Continent::EU),
            in_continent(cell("ID", -6.21, 106.85, 300), Continent::AS),
            cell("A1", 0.0, 0.0, 10),
        ],
    )
    .unwrap();
    let mut nbg = node("nbg", 49.45, 11.08);
    nbg.city = Some("Nuremberg".into());
    nbg.country = CountryCode::new("DE").ok();
    let mut kyiv = node("kyiv", 50.45, 30.52);
    kyiv.city = Some("Kyiv".into());
    let mut tokyo = node("tokyo", 35.68, 139.69);
    tokyo.active = false;
    let before_nodes = vec![nbg.clone(), kyiv.clone(), tokyo.clone()];
    let mut moved = kyiv.clone();
    moved.location = GeoPoint::new(1.35, 103.82).unwrap();
    moved.city = Some("Singapore".into());
    let after_nodes = vec![nbg, moved, tokyo];

    let l = Latency::default();
    let w = Weighting::Requests;
    let before = evaluate(&demand, &before_nodes, &l, w).unwrap();
    let after = evaluate(&demand, &after_nodes, &l, w).unwrap();
    let after_mean = mean_rtt_ms(&demand, &after_nodes, &l, w).unwrap();
    let place = |id: &str, label: &str, lat, lon| Place {
        id: id.into(),
        label: label.into(),
        location: GeoPoint { lat, lon },
        country: None,
    };
    let moves = vec![Move {
        step: 1,
        kind: MoveKind::Relocate,
        node: Some("kyiv".into()),
        from: Some(place("kyiv", "Kyiv (kyiv)", 50.45, 30.52)),
        to: Some(place("ovh-sgp", "Singapore, SG (ovh-sgp)", 1.35, 103.82)),
        mean_rtt_after_ms: after_mean,
        gain_ms: before.mean_rtt_ms - after_mean,
        reason: "serves ID: 37 % of requests, \"far\" from Europe, 1,2".into(),
    }];
    let curve = vec![
        CurvePoint {
            moves: 0,
            plan_prefix_mean_rtt_ms: before.mean_rtt_ms,
            best_mean_rtt_ms: before.mean_rtt_ms,
            lower_bound_mean_rtt_ms: before.mean_rtt_ms - 1.0,
        },
        CurvePoint {
            moves: 1,
            plan_prefix_mean_rtt_ms: after_mean,
            best_mean_rtt_ms: after_mean,
            lower_bound_mean_rtt_ms: after_mean - 0.5,
        },
        CurvePoint {
            moves: 2,
            plan_prefix_mean_rtt_ms: after_mean,
            best_mean_rtt_ms: after_mean - 0.3,
            lower_bound_mean_rtt_ms: after_mean - 0.9,
        },
    ];
    let scenario = ScenarioSummary {
        name: "fixture".into(),
        description: "Europe and Indonesia".into(),
        weighting: w,
        cells: CellKind::Country,
        latency: LinearRtt::DEFAULT,
        measured_overrides: 0,
        constraints: crate::relocation::RelocationConstraints {
            max_moves: 1,
            ..Default::default()
        },
        method: Method::Auto,
        backend: MipBackend::Microlp,
        time_limit_s: 60.0,
        seed: 7,
    };
    let solver = SolverSummary::new("greedy+swap", Status::Optimal, after_mean, after_mean);
    let plan = Plan::new(
        scenario,
        DemandSummary::new(&demand, vec!["access.log".into()]),
        before_nodes,
        before,
        after_nodes,
        after,
        solver,
    )
    .with_moves(moves)
    .with_curve(curve)
    .with_ignored_inactive(vec!["tokyo".into()]);
    (plan, demand)
}

/// Every node of `nodes` by id.
pub(crate) fn ids(nodes: &[Node]) -> Vec<&str> {
    nodes.iter().map(|n| n.id.as_str()).collect()
}
