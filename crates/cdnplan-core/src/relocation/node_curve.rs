//! "What is one more node worth?": the best placement of `n` nodes for `n = 1..=N`.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::RelocationProblem;
use crate::error::{Error, Result};
use crate::node::Node;
use crate::plan::reading;
use crate::progress::{NoProgress, Progress};
use crate::solve::objective::Objective;
use crate::solve::{Constraints, Instance, Solution, SolveOptions, Status};

/// One point of the node curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeCurvePoint {
    /// Number of nodes n.
    pub nodes: usize,
    /// Best objective value found with n nodes, in the reading units of
    /// [`reading`](crate::plan::reading) (a share for coverage and redundancy, ms otherwise).
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

/// The best placement of `n` nodes for every `n` in `1..=max_nodes`, under `objective`.
///
/// The places are the active nodes' positions and the candidate sites left after the
/// exclusions (as in [`optimise`](super::optimise)); pinned nodes stay, nodes in forbidden
/// countries may not, and there is no move budget: each point is a free placement of `n`
/// nodes. Counts below the number of pinned nodes have no point. Since a placement of `n`
/// nodes plus any free place is one of `n + 1`, values are made monotone in `n` and bounds
/// tightened from both sides. The time limit is shared evenly by the points still to solve.
///
/// # Errors
/// As [`optimise`](super::optimise); [`Error::Infeasible`] when `max_nodes` is 0.
pub fn node_curve(
    problem: &RelocationProblem<'_>,
    objective: &Objective,
    max_nodes: usize,
    options: &SolveOptions,
    progress: &dyn Progress,
) -> Result<Vec<NodeCurvePoint>> {
    objective.validate()?;
    if max_nodes == 0 {
        return Err(Error::Infeasible(
            "the node curve needs at least 1 node".into(),
        ));
    }
    let started = Instant::now();
    let rc = problem.constraints;
    let cells = &problem.demand.cells;
    problem.demand.ensure_not_empty(problem.weighting)?;
    super::unique("node", problem.nodes.iter().map(|n| n.id.as_str()))?;
    super::unique("site", problem.sites.iter().map(|s| s.id.as_str()))?;
    let mut active: Vec<&Node> = problem.nodes.iter().filter(|n| n.active).collect();
    active.sort_by(|a, b| a.id.cmp(&b.id));
    let forbidden_country = |c| rc.forbidden_countries.contains(&c);
    for id in &rc.pinned {
        if !problem.nodes.iter().any(|n| &n.id == id) {
            return Err(Error::UnknownId {
                kind: "node",
                id: id.clone(),
                hint: super::known(problem.nodes.iter().map(|n| n.id.as_str())),
            });
        }
    }
    let mut candidates: Vec<_> = problem
        .sites
        .iter()
        .filter(|s| {
            !rc.forbidden_sites.contains(&s.id)
                && !forbidden_country(s.country)
                && !rc
                    .forbidden_providers
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&s.provider))
        })
        .collect();
    candidates.sort_by(|a, b| a.id.cmp(&b.id));
    let places: Vec<(&str, crate::geo::GeoPoint)> = active
        .iter()
        .map(|n| (n.id.as_str(), n.location))
        .chain(candidates.iter().map(|s| (s.id.as_str(), s.location)))
        .collect();
    let weight: Vec<f64> = cells.iter().map(|c| c.weight(problem.weighting)).collect();
    let total: f64 = weight.iter().sum();
    let cost: Vec<f64> = cells
        .iter()
        .flat_map(|c| {
            places
                .iter()
                .map(|(id, at)| problem.latency.rtt_ms(&c.id, &c.location, id, at))
        })
        .collect();
    let instance = Instance::new(cells.len(), places.len(), cost, weight)?;
    let fixed_open: Vec<usize> = (0..active.len())
        .filter(|&j| rc.pinned.contains(&active[j].id))
        .collect();
    let forbidden: Vec<usize> = (0..active.len())
        .filter(|&j| active[j].country.is_some_and(forbidden_country))
        .collect();
    let n_allowed = places.len() - forbidden.len();
    let counts: Vec<usize> = (fixed_open.len().max(1)..=max_nodes.min(n_allowed)).collect();

    progress.begin("node curve", Some(counts.len() as u64));
    let mut solved: Vec<(usize, Solution)> = Vec::with_capacity(counts.len());
    for (t, &n) in counts.iter().enumerate() {
        let left = options
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
        let s = objective.solve(
            &instance,
            &constraints,
            &options.clone().time_limit(left),
            &NoProgress,
        )?;
        solved.push((n, s));
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
            crate::plan::round_reading(objective, gain)
        });
        let mut sites: Vec<String> = s.open.iter().map(|&j| places[j].0.to_string()).collect();
        sites.sort();
        points.push(NodeCurvePoint {
            nodes: *n,
            best,
            bound,
            status: s.status,
            marginal,
            mean_rtt_ms: crate::plan::round_reading(
                &Objective::MeanRtt,
                instance.objective(&s.open) / total,
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
