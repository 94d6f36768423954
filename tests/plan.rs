//! The serving model and the plan outputs end to end, on a hand-built plan shaped like
//! Joystream's December 2023 layout (8 nodes, demand shifted to South/Southeast Asia and South
//! America). No solver is involved: the moves and the curve are written by hand and evaluated.

use cdnplan::plan::{
    CurvePoint, DemandSummary, Move, MoveKind, Place, Plan, ScenarioSummary, SolverSummary,
    demand_csv, moves_csv, plan_demand_csv, plan_geojson, report_markdown,
};
use cdnplan::relocation::RelocationConstraints;
use cdnplan::serving::{evaluate, mean_rtt_ms};
use cdnplan::solve::{Method, MipBackend, Status};
use cdnplan::{
    CellKind, Continent, CountryCode, Demand, DemandCell, GeoPoint, Latency, LinearRtt, Node,
    Weighting,
};
use proptest::prelude::*;

fn country_cell(cc: &str, continent: Continent, lat: f64, lon: f64, requests: u64) -> DemandCell {
    DemandCell {
        id: cc.into(),
        location: GeoPoint::new(lat, lon).unwrap(),
        country: Some(CountryCode::new(cc).unwrap()),
        continent: Some(continent),
        requests,
        bytes: requests * 2_500_000,
        unique_clients: requests / 100,
    }
}

fn node(id: &str, city: &str, cc: &str, lat: f64, lon: f64, active: bool) -> Node {
    Node {
        id: id.into(),
        operator: None,
        city: Some(city.into()),
        country: Some(CountryCode::new(cc).unwrap()),
        continent: None,
        location: GeoPoint::new(lat, lon).unwrap(),
        capacity: None,
        active,
        buckets: vec![],
    }
}

/// November 2023 demand mix (ID 40.7 %, BD 35 %), plus Europe and South America.
fn demand() -> Demand {
    use Continent::*;
    Demand::new(
        CellKind::Country,
        vec![
            country_cell("ID", AS, -6.21, 106.85, 407_000),
            country_cell("BD", AS, 23.81, 90.41, 350_000),
            country_cell("BR", SA, -15.79, -47.88, 90_000),
            country_cell("AR", SA, -34.60, -58.38, 30_000),
            country_cell("TR", AS, 41.01, 28.98, 40_000),
            country_cell("RU", EU, 55.76, 37.62, 30_000),
            country_cell("DE", EU, 52.52, 13.40, 25_000),
            country_cell("US", NA, 38.90, -77.04, 28_000),
        ],
    )
    .unwrap()
}

/// The nodes distributing in December 2023 (§7.3), Tokyo inactive.
fn nodes_before() -> Vec<Node> {
    vec![
        node("nodelefrog", "New York", "US", 40.71, -74.01, true),
        node("numisma", "Naaldwijk", "NL", 51.99, 4.21, true),
        node("joyutils", "Nuremberg", "DE", 49.45, 11.08, true),
        node("adovrn", "St Petersburg", "RU", 59.94, 30.31, true),
        node("sieemma", "Kyiv", "UA", 50.45, 30.52, true),
        node("dwg", "Mumbai", "IN", 19.08, 72.88, true),
        node("mms", "Singapore", "SG", 1.35, 103.82, true),
        node("0x2bc", "Tokyo", "JP", 35.68, 139.69, false),
    ]
}

/// The hand-written moves: Kyiv → São Paulo, then St Petersburg → Dhaka.
const MOVES: [(&str, &str, &str, &str, f64, f64); 2] = [
    ("sieemma", "latitude-sao", "São Paulo", "BR", -23.55, -46.63),
    ("adovrn", "ovh-dac", "Dhaka", "BD", 23.81, 90.41),
];

fn apply(nodes: &[Node], k: usize) -> Vec<Node> {
    let mut nodes = nodes.to_vec();
    for &(id, _, city, cc, lat, lon) in &MOVES[..k] {
        if let Some(n) = nodes.iter_mut().find(|n| n.id == id) {
            n.location = GeoPoint::new(lat, lon).unwrap();
            n.city = Some(city.into());
            n.country = CountryCode::new(cc).ok();
        }
    }
    nodes
}

fn plan() -> (Plan, Demand) {
    let demand = demand();
    let latency = Latency::default()
        .with_override("TR", "sieemma", 180.0)
        .unwrap();
    let w = Weighting::Requests;
    let before_nodes = nodes_before();
    let after_nodes = apply(&before_nodes, MOVES.len());
    let mean_after = |k| mean_rtt_ms(&demand, &apply(&before_nodes, k), &latency, w).unwrap();
    let mut moves = Vec::new();
    for (i, &(id, site, city, cc, lat, lon)) in MOVES.iter().enumerate() {
        let from = before_nodes.iter().find(|n| n.id == id).unwrap();
        moves.push(Move {
            step: i + 1,
            kind: MoveKind::Relocate,
            node: Some(id.into()),
            from: Some(Place {
                id: id.into(),
                label: from.label(),
                location: from.location,
                country: from.country,
            }),
            to: Some(Place {
                id: site.into(),
                label: format!("{city}, {cc} ({site})"),
                location: GeoPoint::new(lat, lon).unwrap(),
                country: CountryCode::new(cc).ok(),
            }),
            mean_rtt_after_ms: mean_after(i + 1),
            gain_ms: mean_after(i) - mean_after(i + 1),
            reason: format!("brings {city}'s region closer"),
        });
    }
    let curve = (0..=3)
        .map(|k| CurvePoint {
            moves: k,
            plan_prefix_mean_rtt_ms: mean_after(k.min(2)),
            best_mean_rtt_ms: mean_after(k.min(2)) - if k == 3 { 0.4 } else { 0.0 },
            lower_bound_mean_rtt_ms: mean_after(k.min(2)) - 2.0,
        })
        .collect();
    let before = evaluate(&demand, &before_nodes, &latency, w).unwrap();
    let after = evaluate(&demand, &after_nodes, &latency, w).unwrap();
    let solver = SolverSummary::new(
        "greedy+swap",
        Status::TimeLimit,
        after.mean_rtt_ms,
        after.mean_rtt_ms - 2.0,
    );
    let scenario = ScenarioSummary {
        name: "nov-2023".into(),
        description: "Demand moved to South/Southeast Asia and South America.".into(),
        weighting: w,
        cells: CellKind::Country,
        latency: LinearRtt::DEFAULT,
        measured_overrides: latency.overrides.len(),
        constraints: RelocationConstraints {
            max_moves: 2,
            pinned: vec!["joyutils".into()],
            ..Default::default()
        },
        method: Method::Auto,
        backend: MipBackend::Microlp,
        time_limit_s: 30.0,
        seed: 42,
    };
    let plan = Plan::new(
        scenario,
        DemandSummary::new(&demand, vec!["logs-argus-*".into()]),
        before_nodes,
        before,
        after_nodes,
        after,
        solver,
    )
    .with_moves(moves)
    .with_curve(curve)
    .with_ignored_inactive(vec!["0x2bc".into()]);
    (plan, demand)
}

mod serving {
    use super::*;

    #[test]
    fn dhaka_and_sao_paulo_take_their_regions() {
        let (plan, _) = plan();
        assert_eq!(plan.before.cell("BR").unwrap().node, "nodelefrog");
        assert_eq!(plan.after.cell("BR").unwrap().node, "sieemma");
        assert_eq!(plan.after.cell("BD").unwrap().node, "adovrn");
        assert!(plan.after.mean_rtt_ms < plan.before.mean_rtt_ms);
        // The Tokyo node is inactive: Indonesia stays with Singapore, Japan-side nothing serves.
        assert_eq!(plan.before.cell("ID").unwrap().node, "mms");
        assert_eq!(plan.before.node("0x2bc").unwrap().requests, 0);
    }

    #[test]
    fn measured_rtt_is_reported_for_the_nearest_node() {
        let (plan, _) = plan();
        let tr = plan.before.cell("TR").unwrap();
        assert_eq!((tr.node.as_str(), tr.rtt_ms), ("sieemma", 180.0));
    }

    #[test]
    fn shares_sum_to_one() {
        let (plan, _) = plan();
        for e in [&plan.before, &plan.after] {
            let continents: f64 = e.continents.iter().map(|r| r.weight_share).sum();
            let nodes: f64 = e.nodes.iter().map(|n| n.weight_share).sum();
            assert!((continents - 1.0).abs() < 1e-5, "{continents}");
            assert!((nodes - 1.0).abs() < 1e-5, "{nodes}");
            assert_eq!(e.nodes.len(), 8);
        }
    }

    fn point() -> impl Strategy<Value = GeoPoint> {
        (-89.0..89.0f64, -179.0..179.0f64).prop_map(|(lat, lon)| GeoPoint { lat, lon })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Every cell is served by an active node no farther than any other active node, and
        /// the headline metrics agree with a fresh recomputation.
        #[test]
        fn every_cell_goes_to_a_nearest_active_node(
            cells in prop::collection::vec((point(), 0u64..1000), 1..12),
            nodes in prop::collection::vec((point(), any::<bool>()), 1..8),
        ) {
            let cells: Vec<DemandCell> = cells.iter().enumerate().map(|(i, &(p, r))| DemandCell {
                id: format!("c{i}"), location: p, country: None, continent: None,
                requests: r + 1, bytes: r, unique_clients: 1,
            }).collect();
            let mut nodes: Vec<Node> = nodes.iter().enumerate().map(|(i, &(p, a))| Node {
                id: format!("n{i}"), operator: None, city: None, country: None, continent: None,
                location: p, capacity: None, active: a, buckets: vec![],
            }).collect();
            nodes[0].active = true;
            let d = Demand::new(CellKind::City, cells).unwrap();
            let e = evaluate(&d, &nodes, &Latency::default(), Weighting::Requests).unwrap();
            for (c, s) in d.cells.iter().zip(&e.cells) {
                let n = nodes.iter().find(|n| n.id == s.node).unwrap();
                prop_assert!(n.active);
                for m in nodes.iter().filter(|m| m.active) {
                    prop_assert!(s.distance_km <= c.location.distance_km(&m.location));
                }
            }
            let min = e.cells.iter().map(|c| c.rtt_ms).fold(f64::INFINITY, f64::min);
            let max = e.cells.iter().map(|c| c.rtt_ms).fold(0.0, f64::max);
            prop_assert!(e.mean_rtt_ms >= min - 1e-9 && e.mean_rtt_ms <= max + 1e-9);
            prop_assert!(e.p50_rtt_ms <= e.p90_rtt_ms && e.p90_rtt_ms <= e.p95_rtt_ms);
            let fresh = mean_rtt_ms(&d, &nodes, &Latency::default(), Weighting::Requests).unwrap();
            prop_assert_eq!(fresh, e.mean_rtt_ms);
        }
    }
}

mod outputs {
    use super::*;
    use serde_json::Value;

    #[test]
    fn plan_json_round_trips() {
        let (plan, _) = plan();
        let json = plan.to_json_pretty();
        assert_eq!(Plan::from_json(&json).unwrap(), plan);
        // No wall-clock data sneaks in.
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["schema"], "cdnplan/plan");
        assert_eq!(v["version"], 1);
        assert_eq!(v["scenario"]["time_limit_s"], 30.0);
        assert!(!json.contains("timestamp") && !json.contains("elapsed"));
    }

    #[test]
    fn renderers_are_deterministic() {
        let (a, d) = plan();
        let (b, _) = plan();
        assert_eq!(a.to_json_pretty(), b.to_json_pretty());
        assert_eq!(report_markdown(&a, &d), report_markdown(&b, &d));
        assert_eq!(moves_csv(&a), moves_csv(&b));
        assert_eq!(plan_demand_csv(&a, &d), plan_demand_csv(&b, &d));
        assert_eq!(
            demand_csv(&d, Some(&a.after)),
            demand_csv(&d, Some(&b.after))
        );
        assert_eq!(plan_geojson(&a, &d), plan_geojson(&b, &d));
    }

    #[test]
    fn geojson_has_every_feature_in_lon_lat_order() {
        let (plan, d) = plan();
        let v: Value = serde_json::from_str(&plan_geojson(&plan, &d)).unwrap();
        let features = v["features"].as_array().unwrap();
        let role = |r: &str| {
            features
                .iter()
                .filter(|f| f["properties"]["role"] == r)
                .count()
        };
        assert_eq!(
            (
                role("node_before"),
                role("node_after"),
                role("move"),
                role("demand")
            ),
            (8, 8, 2, 8)
        );
        assert_eq!(features.len(), 26);
        let ny = &features[0];
        assert_eq!(
            ny["geometry"]["coordinates"],
            serde_json::json!([-74.01, 40.71])
        );
        let first_move = features
            .iter()
            .find(|f| f["properties"]["role"] == "move")
            .unwrap();
        assert_eq!(
            first_move["geometry"]["coordinates"],
            serde_json::json!([[30.52, 50.45], [-46.63, -23.55]])
        );
    }

    #[test]
    fn csvs_read_back() {
        let (plan, d) = plan();
        let rows = |s: &str| {
            let mut r = csv::Reader::from_reader(s.as_bytes());
            let h = r.headers().unwrap().len();
            let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
            assert!(rows.iter().all(|row| row.len() == h));
            (h, rows)
        };
        let (h, m) = rows(&moves_csv(&plan));
        assert_eq!((h, m.len()), (14, 2));
        assert_eq!(&m[0][2], "sieemma");
        assert_eq!(&m[1][8], "Dhaka, BD (ovh-dac)");
        assert_eq!(
            m[1][11].parse::<f64>().unwrap(),
            plan.moves[1].mean_rtt_after_ms
        );
        let (h, c) = rows(&plan_demand_csv(&plan, &d));
        assert_eq!((h, c.len()), (16, 8));
        let (h, c) = rows(&demand_csv(&d, None));
        assert_eq!((h, c.len()), (8, 8));
    }

    #[test]
    fn report_states_the_key_numbers() {
        let (plan, d) = plan();
        let md = report_markdown(&plan, &d);
        let (b, a) = (plan.before.mean_rtt_ms, plan.after.mean_rtt_ms);
        let active = plan.nodes_before.iter().filter(|n| n.active).count();
        assert!(md.contains(&format!(
            "**Moving 2 of {active} active nodes cuts the demand-weighted mean RTT from {b:.1} ms to {a:.1} ms"
        )));
        assert!(md.contains("3 moves or more buy < 1 ms each."));
        assert!(md.contains("**time limit reached: gap "));
        assert!(md.contains("1. [ ] **Relocate** `sieemma` from Kyiv, UA (sieemma) to São Paulo"));
        assert!(md.contains("2. [ ] **Relocate** `adovrn`"));
        assert!(md.contains("| South America |"));
        assert!(md.contains("| 1 | ID | ID | 407 000 |"));
        assert!(md.contains("pinned: `joyutils`"));
        assert!(md.contains("1 measured RTT overrides it"));
        assert!(
            md.contains("| `adovrn` | St Petersburg, RU | 3.0 % | 19.5 ms | Dhaka, BD | 35.0 % |")
        );
    }
}
