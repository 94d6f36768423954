//! The serving rule in the optimiser: a viewer goes to the **nearest** open place by
//! haversine distance and pays that place's RTT (measured when the latency model has a
//! measurement, else the model's; see [`crate::serving`]).
//!
//! The engine solves a p-median: each cell is charged its **cheapest** open place. Without
//! measured RTTs the cost is the linear model on the distance, which never decreases with
//! distance, so the cheapest place is the nearest one and the engine's objective and proof are
//! the serving rule's. Measured RTTs can break that: a cell's nearest place may be slower than
//! a farther one. [`ServingOrder`] checks every cell once:
//!
//! * when along each cell's places, nearest first, the cost never decreases (and places at
//!   equal distance cost the same), the engine's value is the serving rule's value for every
//!   open set: the proof covers the rule ([`ServingRuleCover::Covered`]);
//! * otherwise the engine's value is only a lower bound of the serving rule's
//!   (`min over S ≤ cost of S's nearest`), so the bound it proves still holds, but the layout
//!   it picks is not proven best: the plan reports the serving rule's value for that layout and
//!   calls the proof heuristic ([`ServingRuleCover::Heuristic`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::Facility;
use super::moves::{Move, MoveKind};
use crate::demand::DemandCell;
use crate::latency::Latency;
use crate::solve::Instance;

/// Whether the optimiser's proof covers the serving rule (nearest place by distance, paying
/// its RTT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "proof", rename_all = "snake_case")]
pub enum ServingRuleCover {
    /// Every cell's RTT never falls with distance: the cheapest open place is the nearest, so
    /// the optimiser's objective and proof are the serving rule's.
    #[default]
    Covered,
    /// Measured RTTs make a farther place cheaper for some cells: the optimiser minimised
    /// each cell's cheapest RTT, the plan reports the serving rule's value of the layout it
    /// chose, the bound still holds, and optimality is not proven.
    Heuristic {
        /// Cells whose RTT falls with distance somewhere along their places.
        cells_out_of_order: usize,
    },
}

impl ServingRuleCover {
    /// Whether the proof covers the serving rule.
    pub fn is_covered(&self) -> bool {
        matches!(self, ServingRuleCover::Covered)
    }

    /// One sentence for reports.
    pub fn sentence(&self) -> String {
        match self {
            ServingRuleCover::Covered => "The proof covers the serving rule: for every cell the RTT never falls with distance, so the nearest node (which serves) is also the cheapest.".to_string(),
            ServingRuleCover::Heuristic { cells_out_of_order } => format!(
                "The proof does not cover the serving rule: measured RTTs make a farther place faster than a nearer one for {cells_out_of_order} cell(s), while viewers still go to the nearest node. The optimiser minimised each cell's fastest place; the objective shown is the serving rule's (nearest node, its RTT) for the chosen layout, the lower bound still holds, and the layout is a heuristic."
            ),
        }
    }
}

/// Every cell's places in serving order, when the engine's costs do not follow it.
pub(super) struct ServingOrder {
    /// Row-major `cells × places`: each place's rank by distance from the cell (0 nearest;
    /// equal distances by place order). `None` when the costs follow the serving order.
    rank: Option<Vec<u32>>,
    /// Whether the proof covers the serving rule.
    pub(super) cover: ServingRuleCover,
}

impl ServingOrder {
    /// Checks `instance`'s costs (cells × `facilities`) against the distance order.
    pub(super) fn new(
        cells: &[DemandCell],
        facilities: &[Facility<'_>],
        instance: &Instance,
    ) -> Self {
        let m = facilities.len();
        let mut rank = vec![0u32; cells.len() * m];
        let mut out_of_order = 0;
        let mut order: Vec<(f64, usize)> = Vec::with_capacity(m);
        for (i, c) in cells.iter().enumerate() {
            order.clear();
            order.extend(
                facilities
                    .iter()
                    .enumerate()
                    .map(|(j, f)| (c.location.distance_km(&f.location), j)),
            );
            order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let row = &instance.cost[i * m..(i + 1) * m];
            let mut follows = true;
            for (r, w) in order.iter().enumerate() {
                rank[i * m + w.1] = r as u32;
            }
            for w in order.windows(2) {
                let (near, far) = (row[w[0].1], row[w[1].1]);
                let tie = w[0].0 == w[1].0;
                if far < near || (tie && far != near) {
                    follows = false;
                }
            }
            if !follows {
                out_of_order += 1;
            }
        }
        if out_of_order == 0 {
            ServingOrder {
                rank: None,
                cover: ServingRuleCover::Covered,
            }
        } else {
            ServingOrder {
                rank: Some(rank),
                cover: ServingRuleCover::Heuristic {
                    cells_out_of_order: out_of_order,
                },
            }
        }
    }

    /// `Σ w · RTT` of `open` under the serving rule (`+∞` for an empty set): the engine's
    /// [`Instance::objective`] when the costs follow the serving order.
    pub(super) fn objective(&self, instance: &Instance, open: &[usize]) -> f64 {
        let Some(rank) = &self.rank else {
            return instance.objective(open);
        };
        let m = instance.n_sites;
        (0..instance.n_clients)
            .map(|i| {
                let nearest = open.iter().copied().min_by_key(|&j| rank[i * m + j]);
                match nearest {
                    Some(j) => instance.weight[i] * instance.cost[i * m + j],
                    None => f64::INFINITY,
                }
            })
            .sum()
    }
}

/// The latency model for the layout after `moves`: a node that moved to a site, or was added
/// at one (`new-<site>`), is measured as the site is. Its measurements from where it stood
/// before are dropped, and the site's measured RTTs are keyed to the node's id, since
/// [`serving::evaluate`](crate::serving::evaluate) looks measurements up by node id.
pub fn latency_after(latency: &Latency, moves: &[Move]) -> Latency {
    if latency.overrides.is_empty() {
        return latency.clone();
    }
    let mut by_facility: BTreeMap<&str, Vec<(&str, f64)>> = BTreeMap::new();
    for ((cell, facility), v) in &latency.overrides {
        by_facility
            .entry(facility.as_str())
            .or_default()
            .push((cell.as_str(), *v));
    }
    let mut out = latency.clone();
    for m in moves {
        let (node, site) = match (m.kind, &m.node, &m.to) {
            (MoveKind::Relocate, Some(node), Some(to)) => (node.clone(), to.id.as_str()),
            (MoveKind::Add, _, Some(to)) => (format!("new-{}", to.id), to.id.as_str()),
            _ => continue,
        };
        out.overrides.retain(|(_, f), _| *f != node);
        for (cell, v) in by_facility.get(site).into_iter().flatten() {
            out.overrides.insert((cell.to_string(), node.clone()), *v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demand::{CellKind, Demand, Weighting};
    use crate::geo::{Continent, CountryCode, GeoPoint};
    use crate::node::Node;
    use crate::plan::{PlanRequest, build};
    use crate::progress::NoProgress;
    use crate::relocation::{
        RelocationConstraints, RelocationOptions, RelocationProblem, optimise,
    };
    use crate::serving::evaluate;
    use crate::serving::tests::node;
    use crate::site::Site;
    use crate::solve::{SolveOptions, Status};

    fn cell(id: &str, lat: f64, lon: f64, requests: u64) -> DemandCell {
        DemandCell {
            id: id.into(),
            location: GeoPoint { lat, lon },
            country: Some(CountryCode::new(id).unwrap()),
            continent: Some(Continent::EU),
            requests,
            bytes: 0,
            unique_clients: 0,
        }
    }

    fn site(id: &str, lat: f64, lon: f64) -> Site {
        Site {
            id: id.into(),
            provider: "p".into(),
            region_code: id.into(),
            city: id.into(),
            country: CountryCode::new("DE").unwrap(),
            continent: Continent::EU,
            location: GeoPoint { lat, lon },
            monthly_cost_usd: None,
        }
    }

    /// Germany, the US and Japan; nodes in Frankfurt and Paris; sites in New York, Tokyo and
    /// Sydney.
    fn world() -> (Demand, Vec<Node>, Vec<Site>) {
        let demand = Demand::new(
            CellKind::Country,
            vec![
                cell("DE", 51.0, 10.0, 900),
                cell("US", 38.0, -97.0, 1000),
                cell("JP", 36.0, 138.0, 500),
            ],
        )
        .unwrap();
        let nodes = vec![node("fra", 50.1, 8.7), node("par", 48.9, 2.3)];
        let sites = vec![
            site("nyc", 40.7, -74.0),
            site("tok", 35.7, 139.7),
            site("syd", -33.9, 151.2),
        ];
        (demand, nodes, sites)
    }

    /// Runs the relocation and the plan with one move; returns both, with the evaluation of
    /// the chosen layout as `serving::evaluate` sees it.
    fn solve(latency: &Latency) -> (crate::relocation::Relocation, crate::plan::Plan, f64) {
        let (demand, nodes, sites) = world();
        let constraints = RelocationConstraints {
            max_moves: 1,
            ..Default::default()
        };
        let problem = RelocationProblem {
            demand: &demand,
            nodes: &nodes,
            sites: &sites,
            latency,
            weighting: Weighting::Requests,
            constraints: &constraints,
        };
        let options = RelocationOptions::new(SolveOptions::new().seed(3));
        let r = optimise(&problem, &options, &NoProgress).unwrap();
        let evaluated = evaluate(
            &demand,
            &r.nodes_after,
            &latency_after(latency, &r.moves),
            Weighting::Requests,
        )
        .unwrap()
        .mean_rtt_ms;
        let plan = build(&PlanRequest::new(problem, options), &NoProgress).unwrap();
        (r, plan, evaluated)
    }

    /// Measured RTTs that disagree with distance: Germany's nearest node (Frankfurt) is
    /// measured slow and Paris fast; Tokyo is measured fast from the US. Viewers still go to
    /// the nearest node: the reported objective is `evaluate`'s mean of the chosen layout (the
    /// engine's own value, each cell at its fastest place, is lower), and the proof is called
    /// heuristic. Before the serving rule entered the optimiser, the plan reported the
    /// fastest-place value.
    #[test]
    fn measured_rtts_against_distance_report_the_serving_rules_value_as_heuristic() {
        let latency = Latency::default()
            .with_override("DE", "fra", 150.0)
            .unwrap()
            .with_override("DE", "par", 15.0)
            .unwrap()
            .with_override("US", "tok", 5.0)
            .unwrap();
        let (r, plan, evaluated) = solve(&latency);
        assert_eq!(
            r.serving_rule,
            ServingRuleCover::Heuristic {
                cells_out_of_order: 2
            }
        );
        assert!(
            (r.mean_rtt_after_ms - evaluated).abs() < 1e-9,
            "reported {} vs evaluate {evaluated}",
            r.mean_rtt_after_ms
        );
        // The last step's mean is the plan's too.
        let last = r
            .moves
            .last()
            .map_or(r.mean_rtt_before_ms, |m| m.mean_rtt_after_ms);
        assert!((last - evaluated).abs() < 1e-9, "{last} vs {evaluated}");
        assert!(r.lower_bound_mean_rtt_ms <= r.mean_rtt_after_ms + 1e-9);
        assert_eq!(r.solution.status, Status::Heuristic);
        // The engine's value (each cell at its fastest open place) is lower: it is not the
        // plan's value.
        let fastest: f64 = {
            let (demand, ..) = world();
            let total: f64 = demand.cells.iter().map(|c| c.requests as f64).sum();
            let at = |c: &DemandCell| {
                r.nodes_after
                    .iter()
                    .map(|n| {
                        latency_after(&latency, &r.moves).rtt_ms(
                            &c.id,
                            &c.location,
                            &n.id,
                            &n.location,
                        )
                    })
                    .fold(f64::INFINITY, f64::min)
            };
            demand
                .cells
                .iter()
                .map(|c| c.requests as f64 * at(c))
                .sum::<f64>()
                / total
        };
        assert!(fastest < evaluated - 1.0, "{fastest} vs {evaluated}");
        // The plan says so, and its objective is its evaluation's.
        assert_eq!(plan.solver.status, Status::Heuristic);
        assert!(!plan.solver.serving_rule.is_covered());
        assert_eq!(plan.solver.objective_mean_rtt_ms, plan.after.mean_rtt_ms);
        let md = crate::plan::report_markdown(&plan, &world().0);
        assert!(
            md.contains("The proof does not cover the serving rule"),
            "{md}"
        );
        assert!(
            crate::plan::plan_text(&plan).contains("The proof does not cover the serving rule"),
            "terminal"
        );
    }

    /// Measured RTTs that keep the distance order (a constant 5 ms on top of the model for
    /// every pair): the proof covers the serving rule and is stated as a proof.
    #[test]
    fn measured_rtts_in_distance_order_keep_the_proof() {
        let (demand, nodes, sites) = world();
        let model = Latency::default();
        let mut latency = Latency::default();
        for c in &demand.cells {
            for (id, at) in nodes
                .iter()
                .map(|n| (&n.id, n.location))
                .chain(sites.iter().map(|s| (&s.id, s.location)))
            {
                let v = model.rtt_ms(&c.id, &c.location, id, &at) + 5.0;
                latency = latency.with_override(&c.id, id, v).unwrap();
            }
        }
        let (r, plan, evaluated) = solve(&latency);
        assert_eq!(r.serving_rule, ServingRuleCover::Covered);
        assert!((r.mean_rtt_after_ms - evaluated).abs() < 1e-9);
        assert_ne!(r.solution.status, Status::Heuristic);
        assert_eq!(plan.solver.objective_mean_rtt_ms, plan.after.mean_rtt_ms);
        let md = crate::plan::report_markdown(&plan, &world().0);
        assert!(md.contains("The proof covers the serving rule"), "{md}");
    }

    /// A node moving to a site is measured as the site, not as where it stood.
    #[test]
    fn a_moved_node_takes_its_sites_measurements() {
        let latency = Latency::default()
            .with_override("DE", "fra", 150.0)
            .unwrap()
            .with_override("DE", "nyc", 99.0)
            .unwrap();
        let place = |id: &str| crate::relocation::Place {
            id: id.into(),
            label: id.into(),
            location: GeoPoint { lat: 0.0, lon: 0.0 },
            country: None,
        };
        let moved = Move {
            step: 1,
            kind: MoveKind::Relocate,
            node: Some("fra".into()),
            from: Some(place("fra")),
            to: Some(place("nyc")),
            mean_rtt_after_ms: 0.0,
            gain_ms: 0.0,
            reason: String::new(),
        };
        let after = latency_after(&latency, &[moved]);
        assert_eq!(after.overrides[&("DE".into(), "fra".into())], 99.0);
        assert_eq!(after.overrides[&("DE".into(), "nyc".into())], 99.0);
        assert_eq!(after.overrides.len(), 2);
    }
}
