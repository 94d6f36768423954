//! The relocation optimiser: which current nodes should stay, which should move to which
//! candidate site, within a budget of moves (p-median with a relocation budget).
//!
//! ## Model
//!
//! Clients are the demand cells, weighted by [`DemandCell::weight`](crate::demand::DemandCell::weight). Facilities are the
//! **active** current nodes' positions (one facility each, ids = node ids, ordered by id)
//! followed by the allowed candidate sites (ids = site ids, ordered by id); costs come from
//! [`Latency::rtt_ms`]. Inactive nodes serve nothing and are left out of the plan (listed in
//! [`Relocation::ignored_inactive`], carried unchanged into [`Relocation::nodes_after`]).
//!
//! With `A` active nodes the engine opens `p = A + add − remove` facilities, with the
//! current positions as the budget's existing sites and `max_closed = max_moves + remove`.
//! Pinned nodes are fixed open; a node standing in a forbidden country must close (it
//! counts toward the budget). Forbidden sites, countries and providers remove candidate
//! sites.
//!
//! ## Measured RTTs and the serving rule
//!
//! The engine charges each cell its cheapest open facility; viewers go to the nearest one
//! ([`crate::serving`]). The two agree unless measured RTTs make a farther facility faster for
//! some cell. That is checked once per cell ([`ServingRuleCover`], in
//! [`Relocation::serving_rule`]); when they disagree, every mean RTT reported here (before,
//! after each step, the plan's and the curve's) is the serving rule's for the layout, the
//! engine's bound is kept (the cheapest facility is never slower than the nearest, so it
//! still bounds the serving rule's optimum) and the mean-RTT status is
//! [`Status::Heuristic`] unless the value meets the bound. The steps are still ordered, and
//! other objectives still valued, on the cheapest-facility costs. [`latency_after`] gives the
//! latency model of the layout after the moves (a moved node measured as its site), which
//! [`crate::plan`] evaluates the plan with.
//!
//! ## From a solution to a plan
//!
//! The solution closes `c` current positions and opens `o = c + add − remove` sites. Of the
//! closures, `min(remove, c)` are removals and the rest are relocations; the openings beyond
//! the relocations are additions. (When both `add` and `remove` are asked for, a removal and
//! an addition the optimiser finds no better than keeping a node cancel out; the node count
//! after is always `A + add − remove` and relocations never exceed `max_moves`.)
//!
//! Steps are ordered greedily so that every prefix is itself a good plan: each step is the
//! remaining relocation (any remaining closure paired with any remaining opening), addition
//! or removal that leaves the lowest mean RTT; ties go to the shorter relocation distance,
//! then to ids. The pairing of moved nodes with sites therefore follows this order.
//!
//! ## The curve
//!
//! For each budget `k = 0..=max_moves`, [`CurvePoint::plan_prefix_mean_rtt_ms`] is the mean
//! RTT after the longest prefix of this plan with at most `k` relocations (additions and
//! removals included as the plan orders them, so `k = max_moves` is the whole plan), and
//! [`CurvePoint::best_mean_rtt_ms`] / [`CurvePoint::lower_bound_mean_rtt_ms`] come from
//! solving with `max_closed = k + remove` on its own (same method and seed). Half the time
//! limit goes to the main solve and the other half is shared by the curve's solves. Since a
//! plan for `k` moves is also one for `k + 1`, the best values are made non-increasing in
//! `k` and the bounds are tightened from larger budgets. Budgets too small to move every
//! node out of a forbidden country have no point.
//!
//! ## Other objectives
//!
//! With [`RelocationOptions::objective`] the same model is solved for any [`Objective`]
//! (coverage within T, worst case, redundancy, blended; see [`crate::solve::objective`]):
//! every solve of the budget and of the curve goes through [`Objective::solve`] under the same
//! constraints. [`Relocation::objective`] then states the objective before, after, its bound
//! and proof, per budget too; the steps are ordered by that objective (each step the one that
//! leaves the best value, ties to the lower mean RTT), the mean-RTT fields describe the chosen
//! plan, and their lower bound is the trivial one (each cell at its nearest allowed place),
//! since the mean RTT is not what was optimised. [`node_curve`] answers "what is one more node
//! worth?" on the same model.
//!
//! ## Capacities
//!
//! With [`RelocationOptions::capacity`] the model is solved as the capacitated p-median
//! ([`crate::solve::capacitated`]): each cell's demand is its peak egress
//! ([`PeakModel::cell_gbps`](crate::capacity::PeakModel::cell_gbps)), each place carries the
//! egress of the [`CapacityModel`] (a node moving to a site takes the site's), and with a
//! budget every place's monthly cost must be known and the open places must cost at most the
//! budget. The objective is the mean RTT under the capacitated assignment:
//! [`Relocation::mean_rtt_after_ms`] and the curve's best values are that, while each step's
//! [`Move::mean_rtt_after_ms`] still sends every cell to its nearest node (the order in which
//! the moves help), and [`Relocation::loads_after`] gives the load on every open place. A
//! budget of moves whose nodes cannot carry the demand has no curve point. Other objectives
//! with capacities are refused ([`Error::Unsupported`]).
//!
//! ## Example
//!
//! ```
//! use cdnplan_core::relocation::{self, RelocationConstraints, RelocationOptions, RelocationProblem};
//! use cdnplan_core::solve::SolveOptions;
//! use cdnplan_core::*;
//!
//! let de = CountryCode::new("DE")?;
//! let demand = Demand::new(CellKind::Country, vec![DemandCell {
//!     id: "DE".into(),
//!     location: GeoPoint::new(51.0, 10.0)?,
//!     country: Some(de),
//!     continent: Some(Continent::EU),
//!     requests: 100,
//!     bytes: 0,
//!     unique_clients: 10,
//! }])?;
//! let nodes = vec![Node {
//!     id: "tokyo".into(),
//!     operator: None,
//!     city: None,
//!     country: None,
//!     continent: None,
//!     location: GeoPoint::new(35.7, 139.7)?,
//!     capacity: None,
//!     active: true,
//!     buckets: Vec::new(),
//! }];
//! let sites = vec![Site {
//!     id: "fra".into(),
//!     provider: "hetzner".into(),
//!     region_code: "fsn1".into(),
//!     city: "Frankfurt".into(),
//!     country: de,
//!     continent: Continent::EU,
//!     location: GeoPoint::new(50.1, 8.7)?,
//!     monthly_cost_usd: None,
//! }];
//! let problem = RelocationProblem {
//!     demand: &demand,
//!     nodes: &nodes,
//!     sites: &sites,
//!     latency: &Latency::default(),
//!     weighting: Weighting::Requests,
//!     constraints: &RelocationConstraints { max_moves: 1, ..Default::default() },
//! };
//! let options = RelocationOptions::new(SolveOptions::new().seed(7));
//! let r = relocation::optimise(&problem, &options, &NoProgress)?;
//! assert_eq!(r.moves.len(), 1);
//! assert_eq!(r.nodes_after[0].country, Some(de));
//! # Ok::<(), cdnplan_core::Error>(())
//! ```

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::capacity::CapacityModel;
use crate::demand::{Demand, Weighting};
use crate::error::{Error, Result};
use crate::geo::CountryCode;
use crate::latency::Latency;
use crate::node::Node;
use crate::progress::Progress;
use crate::site::Site;
use crate::solve::objective::Objective;
use crate::solve::{Budget, Constraints, Problem, Solution, SolveOptions, Status};

mod capacitated;
mod model;
mod moves;
mod node_curve;
mod serving;
mod steps;
mod summary;

use model::Model;
pub use moves::{CurvePoint, Move, MoveKind, Place};
pub use node_curve::{NodeCurvePoint, node_curve};
pub use serving::{ServingRuleCover, latency_after};
pub use summary::{ObjectivePoint, ObjectiveSummary, measure, reading, round_reading};

/// Constraints of a relocation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RelocationConstraints {
    /// At most this many nodes move (K ≥ 0).
    pub max_moves: usize,
    /// This many new nodes are added at candidate sites.
    pub add: usize,
    /// This many current nodes are removed (the plan picks which).
    pub remove: usize,
    /// Node ids that must stay where they are.
    pub pinned: Vec<String>,
    /// Site ids that may not be used.
    pub forbidden_sites: Vec<String>,
    /// Countries where no node may stand.
    pub forbidden_countries: Vec<CountryCode>,
    /// Providers that may not be used.
    pub forbidden_providers: Vec<String>,
    /// Candidate site ids where a node must stand after the plan: a what-if ("what does a
    /// node there buy us?"). Each needs a node to go there, added (`add`) or moved
    /// (`max_moves`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required_sites: Vec<String>,
    /// Active node ids that must leave their place (moved, or removed when `remove` allows).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<String>,
}

/// A relocation problem: demand, where nodes stand, where they could go, and the rules.
#[derive(Debug, Clone, Copy)]
pub struct RelocationProblem<'a> {
    /// Demand cells (the clients).
    pub demand: &'a Demand,
    /// Current nodes; only active ones take part.
    pub nodes: &'a [Node],
    /// Candidate sites.
    pub sites: &'a [Site],
    /// RTT model.
    pub latency: &'a Latency,
    /// What a cell's weight counts.
    pub weighting: Weighting,
    /// Budget, pins and exclusions.
    pub constraints: &'a RelocationConstraints,
}

/// The answer of [`optimise`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relocation {
    /// Ordered steps.
    pub moves: Vec<Move>,
    /// The nodes once every step is done, sorted by id: moved nodes keep their id and take
    /// the site's place; added nodes are `new-<site id>`; inactive nodes are unchanged.
    pub nodes_after: Vec<Node>,
    /// The engine's solution; objective and bound in weighted-ms units (`Σ weight · RTT`),
    /// open indices into [`Relocation::facility_ids`].
    pub solution: Solution,
    /// Facility ids in the engine's order: active node ids, then allowed site ids.
    pub facility_ids: Vec<String>,
    /// Demand-weighted mean RTT today (ms).
    pub mean_rtt_before_ms: f64,
    /// Demand-weighted mean RTT after the plan (ms).
    pub mean_rtt_after_ms: f64,
    /// A lower bound on the mean RTT any plan within the budget can reach (ms).
    pub lower_bound_mean_rtt_ms: f64,
    /// Mean RTT against the number of moves (see the module docs).
    pub curve: Vec<CurvePoint>,
    /// Ids of inactive nodes, which take no part in the plan.
    pub ignored_inactive: Vec<String>,
    /// The objective optimised, when it is not the mean RTT (see [`RelocationOptions::objective`]).
    pub objective: Option<ObjectiveSummary>,
    /// With capacities ([`RelocationOptions::capacity`]): the peak load on every open place after
    /// the plan under the capacitated assignment, sorted by place id (empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loads_after: Vec<crate::capacity::SiteLoad>,
    /// Whether the optimiser's proof covers the serving rule (see [`ServingRuleCover`]): when
    /// measured RTTs make a farther place faster for some cell, the mean RTTs above are the
    /// serving rule's (nearest node, its RTT) and the mean-RTT solution's status is at best
    /// heuristic unless its value meets the bound.
    #[serde(default)]
    pub serving_rule: ServingRuleCover,
}

/// How to optimise a relocation: the engine's settings, the objective and, optionally,
/// capacities. Built in layers, as [`SolveOptions`] is:
///
/// ```
/// use cdnplan_core::relocation::RelocationOptions;
/// use cdnplan_core::solve::{SolveOptions, objective::Objective};
///
/// let options = RelocationOptions::new(SolveOptions::new().seed(7))
///     .objective(Objective::Coverage { threshold_ms: 100.0 });
/// assert!(options.capacity.is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct RelocationOptions {
    /// The engine's settings (method, backend, time limit, seed).
    pub solve: SolveOptions,
    /// What the relocation minimises (the mean RTT by default).
    pub objective: Objective,
    /// Peak egress within each node's capacity (mean-RTT objective only; see
    /// [capacities](crate::relocation#capacities)).
    pub capacity: Option<CapacityModel>,
}

impl RelocationOptions {
    /// The mean-RTT relocation without capacities, solved with `solve`.
    pub fn new(solve: SolveOptions) -> Self {
        RelocationOptions {
            solve,
            ..Self::default()
        }
    }

    /// Sets the objective.
    pub fn objective(mut self, objective: Objective) -> Self {
        self.objective = objective;
        self
    }

    /// Plans with capacities (`None`: without).
    pub fn capacity(mut self, capacity: Option<CapacityModel>) -> Self {
        self.capacity = capacity;
        self
    }

    /// Checks the objective and, with capacities, that they go with it.
    fn validate(&self) -> Result<()> {
        self.objective.validate()?;
        if let Some(model) = &self.capacity {
            capacitated::check(model, &self.objective)?;
        }
        Ok(())
    }
}

/// Optimises where nodes stand (see the [module docs](crate::relocation)).
///
/// # Errors
/// [`Error::EmptyDemand`], [`Error::InvalidWeight`] (a demand weight, or a bad capacity, cost
/// or peak model), [`Error::DuplicateId`] (nodes or sites), [`Error::UnknownId`] (a pinned
/// node or forbidden site that does not exist), [`Error::Contradiction`] (a pinned node that
/// is inactive or in a forbidden country), [`Error::Unsupported`] (capacities with an
/// objective other than the mean RTT, or a budget with unknown monthly costs),
/// [`Error::Infeasible`] naming the constraint that cannot hold (e.g. "peak demand 3.1 Gbit/s
/// exceeds total capacity 2 Gbit/s of the 2 largest sites that may open"), and the engine's
/// errors (see [`solve`](crate::solve::solve())).
pub fn optimise(
    problem: &RelocationProblem<'_>,
    options: &RelocationOptions,
    progress: &dyn Progress,
) -> Result<Relocation> {
    options.validate()?;
    let objective = &options.objective;
    let capacity = options.capacity.as_ref();
    let solve_options = &options.solve;
    let started = Instant::now();
    let rc = problem.constraints;
    let cells = &problem.demand.cells;
    let model = Model::new(problem)?;
    let (candidates, must_move) = (&model.candidates, &model.must_move);
    let total = model.total;
    let n_active = model.n_active();
    if candidates.is_empty() && (rc.max_moves > 0 || rc.add > 0) {
        return Err(Error::Infeasible(format!(
            "no candidate site is left: {} sites given, every one excluded by the forbidden \
             sites, countries or providers, so no node can move or be added",
            problem.sites.len()
        )));
    }
    if rc.add > candidates.len() {
        return Err(Error::Infeasible(format!(
            "add = {} but only {} candidate sites are left after the exclusions",
            rc.add,
            candidates.len()
        )));
    }
    // Moving more nodes than are active is moving all of them.
    let max_moves = rc.max_moves.min(n_active);
    if rc.remove > n_active {
        return Err(Error::Infeasible(format!(
            "remove = {} but only {n_active} nodes are active",
            rc.remove
        )));
    }
    let p = n_active + rc.add - rc.remove;
    if p == 0 {
        return Err(Error::Infeasible(format!(
            "no node would remain: {n_active} active + {} added − {} removed = 0",
            rc.add, rc.remove
        )));
    }
    if let Objective::Redundancy { k, .. } = objective
        && *k > p
    {
        return Err(Error::Infeasible(format!(
            "redundancy k = {k}: the {k}-th nearest node cannot exist with {p} nodes"
        )));
    }
    let max_closed = max_moves + rc.remove;
    if must_move.len() > max_closed {
        let ids: Vec<&str> = must_move
            .iter()
            .map(|&k| model.active[k].id.as_str())
            .collect();
        return Err(Error::Infeasible(format!(
            "node(s) {} must move, but max_moves + remove = {max_closed} (they stand in \
             forbidden countries or are named in moved)",
            ids.join(", ")
        )));
    }
    // Every required site needs a new node: an addition or a closed node's.
    let new_slots = (rc.add + max_moves).min(p - model.pinned.len().min(p));
    if model.required.len() > new_slots {
        return Err(Error::Infeasible(format!(
            "{} required site(s) need a node each, but add = {} and max_moves = {} leave room \
             for {new_slots} new site(s)",
            model.required.len(),
            rc.add,
            max_moves
        )));
    }
    let new_needed = (rc.add + must_move.len()).saturating_sub(rc.remove);
    if candidates.len() < new_needed.max(rc.add.saturating_sub(rc.remove)) {
        return Err(Error::Infeasible(format!(
            "{new_needed} new site(s) are needed (add = {}, {} node(s) must leave forbidden \
             countries) but only {} candidate site(s) remain after the exclusions",
            rc.add,
            must_move.len(),
            candidates.len()
        )));
    }
    let facilities = &model.facilities;
    let instance = model.instance(problem)?;
    let serving = serving::ServingOrder::new(cells, facilities, &instance);
    // The serving rule's Σ weight · RTT of an open set (the engine's objective when covered).
    let value = |open: &[usize]| serving.objective(&instance, open);
    let caps = capacitated::capacities_for(capacity, problem.demand, facilities)?;
    // One solve: the objective's, or the capacitated p-median's (keeping its assignment).
    let solve_one = |c: &Constraints, opts: &SolveOptions| match &caps {
        None => objective
            .solve(&instance, c, opts, progress)
            .map(|s| (s, None)),
        Some(caps) => {
            crate::solve::capacitated::solve_capacitated(&instance, c, caps, opts, progress)
                .map(|s| (s.solution.clone(), Some(s)))
        }
    };
    let constraints_for = |k: usize| Constraints {
        p,
        fixed_open: model.fixed_open(),
        forbidden: must_move.clone(),
        budget: Some(Budget {
            existing: (0..n_active).collect(),
            max_closed: k + rc.remove,
        }),
    };

    // The main solve gets half the time when a curve follows.
    let curve_budgets: Vec<usize> = (0..max_moves)
        .filter(|&k| k + rc.remove >= must_move.len())
        .collect();
    let main_share = if curve_budgets.is_empty() {
        solve_options.time_limit
    } else {
        solve_options.time_limit / 2
    };
    progress.message("solving the full budget");
    let (main, main_cap) = solve_one(
        &constraints_for(max_moves),
        &solve_options.clone().time_limit(main_share),
    )?;
    let mut assigned: Vec<crate::solve::capacitated::CapacitatedSolution> =
        main_cap.into_iter().collect();
    let mut per_budget: BTreeMap<usize, Solution> = BTreeMap::new();
    // Budgets not solved on their own because the time limit was spent: their curve points
    // show this plan's first k moves, bounded by the full budget's bound.
    let mut unsolved: Vec<usize> = Vec::new();
    for (t, &k) in curve_budgets.iter().enumerate() {
        let left = solve_options
            .time_limit
            .saturating_sub(started.elapsed())
            .checked_div((curve_budgets.len() - t) as u32)
            .unwrap_or(Duration::ZERO);
        if left.is_zero() {
            // On a large instance a solve takes seconds before it first looks at the clock.
            unsolved.push(k);
            continue;
        }
        progress.message(&format!("solving with a budget of {k} moves"));
        let s = match solve_one(&constraints_for(k), &solve_options.clone().time_limit(left)) {
            Ok((s, cap)) => {
                assigned.extend(cap);
                s
            }
            // Fewer moves may not carry the demand: that budget has no point.
            Err(Error::Infeasible(_)) if caps.is_some() => continue,
            Err(e) => return Err(e),
        };
        per_budget.insert(k, s);
    }
    per_budget.insert(max_moves, main);
    if caps.is_none() && *objective == Objective::MeanRtt && !serving.cover.is_covered() {
        // The engine minimised each cell's cheapest place; viewers go to the nearest. Its
        // bound still holds (cheapest ≤ nearest for every open set), its layout is not proven.
        for s in per_budget.values_mut() {
            s.objective = value(&s.open);
            s.status = if s.objective <= s.lower_bound {
                Status::Optimal
            } else {
                Status::Heuristic
            };
        }
    }
    monotone(&mut per_budget);
    let solution = per_budget[&max_moves].clone();
    // The mean-RTT view of a plan: exact for the mean RTT, else the plan's own mean RTT and
    // the trivial bound.
    let mean_rtt = *objective == Objective::MeanRtt;
    let trivial = if mean_rtt {
        0.0
    } else {
        Problem::new(&instance, &constraints_for(max_moves))?.trivial_bound()
    };
    let mean_of = |s: &Solution| {
        if mean_rtt {
            s.objective / total
        } else {
            value(&s.open) / total
        }
    };
    let bound_of = |s: &Solution| {
        if mean_rtt {
            s.lower_bound / total
        } else {
            trivial / total
        }
    };

    let current: Vec<usize> = (0..n_active).collect();
    let before = value(&current);
    let steps = steps::order_steps(
        &instance,
        objective,
        facilities,
        &solution.open,
        n_active,
        rc.remove,
    );
    let mut moves = Vec::with_capacity(steps.len());
    let mut prev_mean = before / total;
    let mut prefix_by_moves = vec![prev_mean];
    let mut open = current.clone();
    for (t, step) in steps.iter().enumerate() {
        let old = open.clone();
        if let Some(r) = step.close {
            open.retain(|&j| j != r);
        }
        if let Some(f) = step.open {
            open.push(f);
        }
        let after = value(&open) / total;
        let kind = step.kind;
        if kind == MoveKind::Relocate {
            prefix_by_moves.push(after);
        } else if let Some(last) = prefix_by_moves.last_mut() {
            *last = after;
        }
        moves.push(Move {
            step: t + 1,
            kind,
            node: step.close.map(|r| facilities[r].id.to_string()),
            from: step.close.map(|r| facilities[r].place.clone()),
            to: step.open.map(|f| facilities[f].place.clone()),
            mean_rtt_after_ms: after,
            gain_ms: prev_mean - after,
            reason: steps::reason(&instance, cells, problem.weighting, &old, &open, kind),
        });
        prev_mean = after;
    }
    let curve = (0..=max_moves)
        .filter_map(|k| {
            let prefix = prefix_by_moves[k.min(prefix_by_moves.len() - 1)];
            // An unsolved budget: this plan's first k moves are a plan with k moves, and
            // fewer moves never beat the full budget's bound.
            let (best, bound) = match per_budget.get(&k) {
                Some(s) => (mean_of(s), bound_of(s)),
                None if unsolved.contains(&k) => (prefix, bound_of(&solution).min(prefix)),
                None => return None,
            };
            Some(CurvePoint {
                moves: k,
                plan_prefix_mean_rtt_ms: prefix,
                best_mean_rtt_ms: best,
                lower_bound_mean_rtt_ms: bound,
            })
        })
        .collect();
    let nodes_after = steps::nodes_after(problem.nodes, facilities, &steps)?;
    Ok(Relocation {
        moves,
        nodes_after,
        facility_ids: facilities.iter().map(|f| f.id.to_string()).collect(),
        mean_rtt_before_ms: before / total,
        mean_rtt_after_ms: mean_of(&solution),
        lower_bound_mean_rtt_ms: bound_of(&solution),
        objective: (!mean_rtt).then(|| {
            ObjectiveSummary::new(
                *objective,
                total,
                objective.value(&instance, &current),
                &solution,
                per_budget.iter().map(|(&k, s)| (k, s)),
            )
        }),
        loads_after: match &caps {
            Some(_) => capacitated::loads_after(capacity, facilities, &assigned, &solution.open),
            None => Vec::new(),
        },
        solution,
        curve,
        ignored_inactive: model.ignored_inactive.clone(),
        serving_rule: serving.cover,
    })
}

/// Makes best values non-increasing and bounds tightened in the budget (a plan for `k`
/// moves is one for `k + 1`).
fn monotone(per_budget: &mut BTreeMap<usize, Solution>) {
    let ks: Vec<usize> = per_budget.keys().copied().collect();
    for w in ks.windows(2) {
        let smaller = per_budget[&w[0]].clone();
        let larger = per_budget.get_mut(&w[1]).expect("key listed");
        if smaller.objective < larger.objective {
            larger.open = smaller.open;
            larger.objective = smaller.objective;
            larger.method = smaller.method;
            if larger.lower_bound >= larger.objective {
                larger.lower_bound = larger.objective;
                larger.status = Status::Optimal;
            }
        }
    }
    for w in ks.windows(2).rev() {
        let larger_bound = per_budget[&w[1]].lower_bound;
        let smaller = per_budget.get_mut(&w[0]).expect("key listed");
        if larger_bound > smaller.lower_bound {
            smaller.lower_bound = larger_bound.min(smaller.objective);
            if smaller.lower_bound >= smaller.objective {
                smaller.status = Status::Optimal;
            }
        }
    }
}

#[cfg(test)]
mod tests;
