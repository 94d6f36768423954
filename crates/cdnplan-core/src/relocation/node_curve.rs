//! "What is one more node worth?": the best placement of `n` nodes for `n = 1..=N`.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::model::Model;
use super::{RelocationOptions, RelocationProblem, reading, round_reading};
use crate::error::{Error, Result};
use crate::progress::{NoProgress, Progress};
use crate::solve::capacitated::solve_capacitated;
use crate::solve::objective::Objective;
use crate::solve::{Constraints, Solution, Status};

/// One point of the node curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeCurvePoint {
    /// Number of nodes n.
    pub nodes: usize,
    /// Best objective value found with n nodes, in the reading units of
    /// [`reading`](super::reading) (a share for coverage and redundancy, ms otherwise).
    pub best: f64,
    /// Proven bound with n nodes (upper for a share, lower for ms).
    pub bound: f64,
    /// Proof status with n nodes.
    pub status: Status,
    /// What the n-th node adds: the improvement over n − 1 nodes (share points or ms);
    /// `None` for the first point.
    pub marginal: Option<f64>,
    /// Demand-weighted mean RTT (ms) of the n-node placement.
    pub mean_rtt_ms: f64,
    /// The places used: node ids (a node staying) and site ids, sorted.
    pub sites: Vec<String>,
}

/// The best placement of `n` nodes for every `n` in `1..=max_nodes`, under the options'
/// objective, capacitated when [`RelocationOptions::capacity`] is set.
///
/// The places are the active nodes' positions and the candidate sites left after the
/// exclusions (the same model as [`optimise`](super::optimise), checked the same way);
/// pinned nodes stay, nodes in forbidden countries may not, and there is no move budget: each
/// point is a free placement of `n` nodes. Counts below the number of pinned nodes have no
/// point. Since a placement of `n` nodes plus any free place is one of `n + 1`, values are
/// made monotone in `n` and bounds tightened from both sides. The time limit is shared evenly
/// by the points still to solve.
///
/// With capacities, each point is a capacitated p-median ([`solve_capacitated`]) and its value
/// the mean RTT under the capacitated assignment; counts of nodes that cannot carry the peak
/// demand (or fit the budget) have no point, so the curve starts at the fewest nodes that can.
///
/// # Errors
/// As [`optimise`](super::optimise); [`Error::Infeasible`] when `max_nodes` is 0.
pub fn node_curve(
    problem: &RelocationProblem<'_>,
    options: &RelocationOptions,
    max_nodes: usize,
    progress: &dyn Progress,
) -> Result<Vec<NodeCurvePoint>> {
    options.validate()?;
    let objective = &options.objective;
    if max_nodes == 0 {
        return Err(Error::Infeasible(
            "the node curve needs at least 1 node".into(),
        ));
    }
    let started = Instant::now();
    let model = Model::new(problem)?;
    let places: Vec<&str> = model.facilities.iter().map(|f| f.id).collect();
    let caps = super::capacitated::capacities_for(
        options.capacity.as_ref(),
        problem.demand,
        &model.facilities,
    )?;
    let total = model.total;
    let instance = model.instance(problem)?;
    let fixed_open = model.fixed_open();
    let forbidden = model.must_move.clone();
    let n_allowed = places.len() - forbidden.len();
    let counts: Vec<usize> = (fixed_open.len().max(1)..=max_nodes.min(n_allowed)).collect();

    progress.begin("node curve", Some(counts.len() as u64));
    let mut solved: Vec<(usize, Solution)> = Vec::with_capacity(counts.len());
    for (t, &n) in counts.iter().enumerate() {
        let left = options
            .solve
            .time_limit
            .saturating_sub(started.elapsed())
            .checked_div((counts.len() - t) as u32)
            .unwrap_or_default();
        progress.message(&format!("{n} nodes"));
        let constraints = Constraints {
            p: n,
            fixed_open: fixed_open.clone(),
            forbidden: forbidden.clone(),
            budget: None,
        };
        let options = options.solve.clone().time_limit(left);
        match &caps {
            None => {
                let s = objective.solve(&instance, &constraints, &options, &NoProgress)?;
                solved.push((n, s));
            }
            Some(caps) => {
                match solve_capacitated(&instance, &constraints, caps, &options, &NoProgress) {
                    Ok(s) => solved.push((n, s.solution)),
                    // Too few nodes for the peak demand (or the budget): no point.
                    Err(Error::Infeasible(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        progress.advance(1);
    }
    progress.end();
    monotone(&mut solved);

    let mut points: Vec<NodeCurvePoint> = Vec::with_capacity(solved.len());
    for (n, s) in &solved {
        let best = reading(objective, s.objective, total);
        let bound = reading(objective, s.lower_bound, total);
        let marginal = points.last().map(|prev| {
            let gain = if matches!(
                objective,
                Objective::Coverage { .. } | Objective::Redundancy { .. }
            ) {
                best - prev.best
            } else {
                prev.best - best
            };
            round_reading(objective, gain)
        });
        let mut sites: Vec<String> = s.open.iter().map(|&j| places[j].to_string()).collect();
        sites.sort();
        points.push(NodeCurvePoint {
            nodes: *n,
            best,
            bound,
            status: s.status,
            marginal,
            // Under capacities, the mean RTT of the capacitated assignment (the objective).
            mean_rtt_ms: round_reading(
                &Objective::MeanRtt,
                if caps.is_some() {
                    s.objective
                } else {
                    instance.objective(&s.open)
                } / total,
            ),
            sites,
        });
    }
    Ok(points)
}

/// Bounds tightened towards smaller n: the optimum with n + 1 nodes is at most the one with
/// n (a set for n plus a free place is one for n + 1), so its bound holds for n too.
fn monotone(solved: &mut [(usize, Solution)]) {
    for t in (1..solved.len()).rev() {
        let (prev, cur) = solved.split_at_mut(t);
        let (p, c) = (&mut prev[t - 1].1, &cur[0].1);
        if c.lower_bound > p.lower_bound {
            p.lower_bound = c.lower_bound.min(p.objective);
            if p.lower_bound >= p.objective {
                p.status = Status::Optimal;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demand::{CellKind, Demand, DemandCell, Weighting};
    use crate::geo::{Continent, CountryCode, GeoPoint};
    use crate::latency::Latency;
    use crate::node::Node;
    use crate::plan::{PlanRequest, build};
    use crate::relocation::{RelocationConstraints, optimise};
    use crate::solve::SolveOptions;
    use crate::solve::objective::Objective;

    fn with(objective: Objective) -> RelocationOptions {
        RelocationOptions::new(SolveOptions::new()).objective(objective)
    }
    use crate::site::Site;

    fn cc(s: &str) -> CountryCode {
        CountryCode::new(s).unwrap()
    }

    struct World {
        demand: Demand,
        nodes: Vec<Node>,
        sites: Vec<Site>,
        latency: Latency,
    }

    /// Demand in Europe, Asia and the Americas; both nodes in Europe.
    fn world() -> World {
        let cell = |id: &str, lat, lon, requests| DemandCell {
            id: id.into(),
            location: GeoPoint { lat, lon },
            country: Some(cc(id)),
            continent: None,
            requests,
            bytes: 0,
            unique_clients: 0,
        };
        let node = |id: &str, lat, lon| Node {
            id: id.into(),
            operator: None,
            city: None,
            country: Some(cc("DE")),
            continent: None,
            location: GeoPoint { lat, lon },
            capacity: None,
            active: true,
            buckets: vec![],
        };
        let site = |id: &str, country: &str, lat, lon| Site {
            id: id.into(),
            provider: "p".into(),
            region_code: id.into(),
            city: id.into(),
            country: cc(country),
            continent: Continent::EU,
            location: GeoPoint { lat, lon },
            monthly_cost_usd: None,
        };
        World {
            demand: Demand::new(
                CellKind::Country,
                vec![
                    cell("DE", 52.5, 13.4, 400),
                    cell("JP", 35.7, 139.7, 200),
                    cell("US", 40.7, -74.0, 300),
                    cell("BR", -23.5, -46.6, 100),
                ],
            )
            .unwrap(),
            nodes: vec![node("fra", 50.1, 8.7), node("ber", 52.5, 13.4)],
            sites: vec![
                site("tokyo", "JP", 35.7, 139.7),
                site("nyc", "US", 40.7, -74.0),
                site("sao", "BR", -23.5, -46.6),
            ],
            latency: Latency::default(),
        }
    }

    fn problem<'a>(w: &'a World, rc: &'a RelocationConstraints) -> RelocationProblem<'a> {
        RelocationProblem {
            demand: &w.demand,
            nodes: &w.nodes,
            sites: &w.sites,
            latency: &w.latency,
            weighting: Weighting::Requests,
            constraints: rc,
        }
    }

    #[test]
    fn each_node_adds_less_and_every_point_is_proven() {
        let w = world();
        let rc = RelocationConstraints::default();
        let curve =
            node_curve(&problem(&w, &rc), &with(Objective::MeanRtt), 5, &NoProgress).unwrap();
        let ns: Vec<usize> = curve.iter().map(|p| p.nodes).collect();
        assert_eq!(ns, [1, 2, 3, 4, 5]);
        assert_eq!(curve[0].marginal, None);
        for p in curve.windows(2) {
            assert!(p[1].best <= p[0].best);
            let m = p[1].marginal.unwrap();
            assert!((m - (p[0].best - p[1].best)).abs() < 1e-3, "{m}");
        }
        assert!(curve.iter().all(|p| p.status == Status::Optimal));
        // Four places serve the four cells: nothing is left to gain after that.
        assert_eq!(curve[3].best, 10.0);
        assert_eq!(curve[3].sites, ["ber", "nyc", "sao", "tokyo"]);
    }

    #[test]
    fn pinned_nodes_start_the_curve_and_stay() {
        let w = world();
        let rc = RelocationConstraints {
            pinned: vec!["fra".into(), "ber".into()],
            ..Default::default()
        };
        let o = Objective::Coverage {
            threshold_ms: 100.0,
        };
        let curve = node_curve(&problem(&w, &rc), &with(o), 3, &NoProgress).unwrap();
        assert_eq!(curve.iter().map(|p| p.nodes).collect::<Vec<_>>(), [2, 3]);
        assert!(curve.iter().all(|p| p.sites.contains(&"fra".to_string())));
        // Two European nodes cover DE only (400 of 1000); a third covers the US too.
        assert_eq!((curve[0].best, curve[1].best), (0.4, 0.7));
        assert_eq!(curve[1].marginal, Some(0.3));
    }

    #[test]
    fn coverage_relocation_states_its_proof_and_keeps_the_budget() {
        let w = world();
        let rc = RelocationConstraints {
            max_moves: 1,
            ..Default::default()
        };
        let o = Objective::Coverage {
            threshold_ms: 100.0,
        };
        let r = optimise(&problem(&w, &rc), &with(o), &NoProgress).unwrap();
        let s = r.objective.expect("a summary");
        assert_eq!((s.before, s.after, s.bound), (0.4, 0.7, 0.7));
        assert_eq!(s.status, Status::Optimal);
        assert_eq!(r.moves.len(), 1);
        assert_eq!(s.curve.len(), 2);
        // The mean-RTT objective is the plain optimiser.
        let plain = optimise(
            &problem(&w, &rc),
            &RelocationOptions::default(),
            &NoProgress,
        )
        .unwrap();
        let same = optimise(&problem(&w, &rc), &with(Objective::MeanRtt), &NoProgress).unwrap();
        assert_eq!(plain, same);
        assert!(plain.objective.is_none());
    }

    #[test]
    fn a_plan_with_a_service_report_and_node_curve_keeps_the_plain_moves() {
        let w = world();
        let rc = RelocationConstraints {
            max_moves: 1,
            ..Default::default()
        };
        let req = PlanRequest::new(problem(&w, &rc), RelocationOptions::default()).name("t");
        let plain = build(&req, &NoProgress).unwrap();
        assert!(plain.service.is_none() && plain.node_curve.is_empty());
        let extra = build(
            &req.clone().threshold_ms(Some(100.0)).node_curve(Some(2)),
            &NoProgress,
        )
        .unwrap();
        assert_eq!(extra.moves, plain.moves);
        let service = extra.service.as_ref().expect("a service report");
        assert_eq!(service.failures_before.len(), 2);
        assert_eq!(extra.node_curve.len(), 2);
        assert_eq!(
            crate::plan::Plan::from_json(&extra.to_json_pretty()).unwrap(),
            extra
        );
    }
}
