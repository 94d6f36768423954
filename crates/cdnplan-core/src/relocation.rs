//! The relocation optimiser: which current nodes should stay, which should move to which
//! candidate site, within a budget of moves (p-median with a relocation budget).
//!
//! ## Model
//!
//! Clients are the demand cells, weighted by [`DemandCell::weight`]. Facilities are the
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
//! [`optimise_for`] solves the same model for any [`Objective`] (coverage within T, worst
//! case, redundancy, blended; see [`crate::solve::objective`]): every solve of the budget
//! and of the curve goes through [`Objective::solve`] under the same constraints.
//! [`Relocation::objective`] then states the objective before, after, its bound and proof,
//! per budget too; the steps are ordered by that objective (each step the one that leaves
//! the best value, ties to the lower mean RTT), the mean-RTT fields describe the chosen plan, and their lower bound is the trivial one (each cell at its nearest allowed
//! place), since the mean RTT is not what was optimised. [`node_curve`] answers "what is one
//! more node worth?".
//!
//! ## Capacities
//!
//! [`optimise_capacitated`] solves the same model as the capacitated p-median
//! ([`crate::solve::capacity`]): each cell's demand is its peak egress
//! ([`PeakModel::cell_gbps`](crate::capacity::PeakModel::cell_gbps)), each place carries the
//! egress of the [`CapacityModel`](crate::capacity::CapacityModel) (a node moving to a site
//! takes the site's), and with a budget every place's monthly cost must be known and the open
//! places must cost at most the budget. The objective is the mean RTT under the capacitated
//! assignment: [`Relocation::mean_rtt_after_ms`] and the curve's best values are that, while
//! each step's [`Move::mean_rtt_after_ms`] still sends every cell to its nearest node (the order
//! in which the moves help). A budget of moves whose nodes cannot carry the demand has no curve
//! point. Other objectives with capacities are refused
//! ([`Error::Unsupported`]); the node curve places nodes without
//! capacities.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::demand::{Demand, DemandCell, Weighting};
use crate::error::{Error, Result};
use crate::geo::{CountryCode, GeoPoint};
use crate::latency::Latency;
use crate::node::Node;
use crate::plan::ObjectiveSummary;
use crate::plan::{CurvePoint, Move, MoveKind, Place};
use crate::progress::Progress;
use crate::site::Site;
use crate::solve::objective::Objective;
use crate::solve::{Budget, Constraints, Instance, Problem, Solution, SolveOptions, Status};

mod capacity;
mod node_curve;

pub use capacity::optimise_capacitated;
pub use node_curve::{NodeCurvePoint, node_curve, node_curve_capacitated};

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
    /// The objective optimised, when it is not the mean RTT (see [`optimise_for`]).
    pub objective: Option<ObjectiveSummary>,
    /// With capacities ([`optimise_capacitated`]): the peak load on every open place after
    /// the plan under the capacitated assignment, sorted by place id (empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loads_after: Vec<crate::capacity::SiteLoad>,
}

/// A facility: a current node's position or a candidate site.
struct Facility<'a> {
    id: &'a str,
    location: GeoPoint,
    place: Place,
    site: Option<&'a Site>,
    node: Option<&'a Node>,
}

/// Optimises where nodes stand (see the [module docs](crate::relocation)).
///
/// # Errors
/// [`Error::EmptyDemand`], [`Error::InvalidWeight`], [`Error::DuplicateId`] (nodes or
/// sites), [`Error::UnknownId`] (a pinned node or forbidden site that does not exist),
/// [`Error::Contradiction`] (a pinned node in a forbidden country), [`Error::Infeasible`]
/// naming the constraint that cannot hold, and the engine's errors (see
/// [`solve`](crate::solve::solve())).
pub fn optimise(
    problem: &RelocationProblem<'_>,
    options: &SolveOptions,
    progress: &dyn Progress,
) -> Result<Relocation> {
    optimise_for(problem, &Objective::MeanRtt, options, progress)
}

/// As [`optimise`], minimising `objective` instead of the mean RTT (see
/// [other objectives](crate::relocation#other-objectives)).
///
/// # Errors
/// As [`optimise`], and [`Objective::validate`]'s.
pub fn optimise_for(
    problem: &RelocationProblem<'_>,
    objective: &Objective,
    options: &SolveOptions,
    progress: &dyn Progress,
) -> Result<Relocation> {
    optimise_impl(problem, objective, None, options, progress)
}

/// The relocation for `objective`, capacitated when `capacity` is given.
pub(crate) fn optimise_impl(
    problem: &RelocationProblem<'_>,
    objective: &Objective,
    capacity: Option<&crate::capacity::CapacityModel>,
    options: &SolveOptions,
    progress: &dyn Progress,
) -> Result<Relocation> {
    objective.validate()?;
    if let Some(model) = capacity {
        capacity::check(model, objective)?;
    }
    let started = Instant::now();
    let rc = problem.constraints;
    let cells = &problem.demand.cells;
    problem.demand.ensure_not_empty(problem.weighting)?;
    let weight: Vec<f64> = cells.iter().map(|c| c.weight(problem.weighting)).collect();
    if let Some((c, &w)) = cells
        .iter()
        .zip(&weight)
        .find(|(_, w)| !w.is_finite() || **w < 0.0)
    {
        return Err(Error::InvalidWeight {
            what: "demand weight",
            id: c.id.clone(),
            value: w,
        });
    }
    let total: f64 = weight.iter().sum();
    unique("node", problem.nodes.iter().map(|n| n.id.as_str()))?;
    unique("site", problem.sites.iter().map(|s| s.id.as_str()))?;

    let mut active: Vec<&Node> = problem.nodes.iter().filter(|n| n.active).collect();
    active.sort_by(|a, b| a.id.cmp(&b.id));
    let mut ignored_inactive: Vec<String> = problem
        .nodes
        .iter()
        .filter(|n| !n.active)
        .map(|n| n.id.clone())
        .collect();
    ignored_inactive.sort();

    let forbidden_country =
        |c: Option<CountryCode>| c.is_some_and(|c| rc.forbidden_countries.contains(&c));
    for id in &rc.pinned {
        let Some(node) = problem.nodes.iter().find(|n| &n.id == id) else {
            return Err(Error::UnknownId {
                kind: "node",
                id: id.clone(),
                hint: known(problem.nodes.iter().map(|n| n.id.as_str())),
            });
        };
        if !node.active {
            return Err(Error::Contradiction(format!(
                "node {id} is pinned but inactive (no endpoint or not distributing): it takes \
                 no part in the plan, so pinning it has no effect; unpin it"
            )));
        }
        if forbidden_country(node.country) {
            return Err(Error::Contradiction(format!(
                "node {id} is pinned but stands in forbidden country {}",
                node.country.map(|c| c.to_string()).unwrap_or_default()
            )));
        }
    }
    for id in &rc.forbidden_sites {
        if !problem.sites.iter().any(|s| &s.id == id) {
            return Err(Error::UnknownId {
                kind: "site",
                id: id.clone(),
                hint: known(problem.sites.iter().map(|s| s.id.as_str())),
            });
        }
    }
    let mut candidates: Vec<&Site> = problem
        .sites
        .iter()
        .filter(|s| {
            !rc.forbidden_sites.contains(&s.id)
                && !forbidden_country(Some(s.country))
                && !rc
                    .forbidden_providers
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&s.provider))
        })
        .collect();
    candidates.sort_by(|a, b| a.id.cmp(&b.id));

    let n_active = active.len();
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
    let must_move: Vec<usize> = (0..n_active)
        .filter(|&k| forbidden_country(active[k].country))
        .collect();
    let max_closed = max_moves + rc.remove;
    if must_move.len() > max_closed {
        let ids: Vec<&str> = must_move.iter().map(|&k| active[k].id.as_str()).collect();
        return Err(Error::Infeasible(format!(
            "node(s) {} stand in forbidden countries and must move, but max_moves + remove = {max_closed}",
            ids.join(", ")
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
    let facilities = facilities(&active, &candidates);
    let m = facilities.len();
    let cost: Vec<f64> = cells
        .iter()
        .flat_map(|c| {
            facilities.iter().map(|f| {
                problem
                    .latency
                    .rtt_ms(&c.id, &c.location, f.id, &f.location)
            })
        })
        .collect();
    let instance = Instance::new(cells.len(), m, cost, weight)?;
    let caps = capacity
        .map(|model| capacity::capacities(model, problem.demand, &facilities))
        .transpose()?;
    // One solve: the objective's, or the capacitated p-median's (keeping its assignment).
    let solve_one = |c: &Constraints, opts: &SolveOptions| match &caps {
        None => objective
            .solve(&instance, c, opts, progress)
            .map(|s| (s, None)),
        Some(caps) => crate::solve::capacity::solve_capacitated(&instance, c, caps, opts, progress)
            .map(|s| (s.solution.clone(), Some(s))),
    };
    let constraints_for = |k: usize| Constraints {
        p,
        fixed_open: (0..n_active)
            .filter(|&j| rc.pinned.contains(&active[j].id))
            .collect(),
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
        options.time_limit
    } else {
        options.time_limit / 2
    };
    progress.message("solving the full budget");
    let (main, main_cap) = solve_one(
        &constraints_for(max_moves),
        &options.clone().time_limit(main_share),
    )?;
    let mut assigned: Vec<crate::solve::capacity::CapacitatedSolution> =
        main_cap.into_iter().collect();
    let mut per_budget: BTreeMap<usize, Solution> = BTreeMap::new();
    for (t, &k) in curve_budgets.iter().enumerate() {
        let left = options
            .time_limit
            .saturating_sub(started.elapsed())
            .checked_div((curve_budgets.len() - t) as u32)
            .unwrap_or(Duration::ZERO);
        progress.message(&format!("solving with a budget of {k} moves"));
        let s = match solve_one(&constraints_for(k), &options.clone().time_limit(left)) {
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
            instance.objective(&s.open) / total
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
    let before = instance.objective(&current);
    let steps = order_steps(
        &instance,
        objective,
        &facilities,
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
        let after = instance.objective(&open) / total;
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
            reason: reason(&instance, cells, problem.weighting, &old, &open, kind),
        });
        prev_mean = after;
    }
    let curve = (0..=max_moves)
        .filter_map(|k| {
            let s = per_budget.get(&k)?;
            Some(CurvePoint {
                moves: k,
                plan_prefix_mean_rtt_ms: prefix_by_moves[k.min(prefix_by_moves.len() - 1)],
                best_mean_rtt_ms: mean_of(s),
                lower_bound_mean_rtt_ms: bound_of(s),
            })
        })
        .collect();
    let nodes_after = nodes_after(problem.nodes, &facilities, &steps)?;
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
            Some(_) => capacity::loads_after(capacity, &facilities, &assigned, &solution.open),
            None => Vec::new(),
        },
        solution,
        curve,
        ignored_inactive,
    })
}

fn unique<'a>(kind: &'static str, ids: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = BTreeSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(Error::DuplicateId {
                kind,
                id: id.to_string(),
            });
        }
    }
    Ok(())
}

/// " (known: a, b, c)" listing up to 20 ids.
fn known<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    let mut ids: Vec<&str> = ids.collect();
    ids.sort_unstable();
    if ids.is_empty() {
        return " (none are known)".into();
    }
    let more = ids.len().saturating_sub(20);
    let shown = ids[..ids.len().min(20)].join(", ");
    if more > 0 {
        format!(" (known: {shown} and {more} more)")
    } else {
        format!(" (known: {shown})")
    }
}

/// The facilities in the engine's order: the active nodes' positions, then the candidate
/// sites.
fn facilities<'a>(active: &[&'a Node], candidates: &[&'a Site]) -> Vec<Facility<'a>> {
    active
        .iter()
        .map(|n| Facility {
            id: &n.id,
            location: n.location,
            place: node_place(n),
            site: None,
            node: Some(*n),
        })
        .chain(candidates.iter().map(|s| Facility {
            id: &s.id,
            location: s.location,
            place: site_place(s),
            site: Some(*s),
            node: None,
        }))
        .collect()
}

fn node_place(n: &Node) -> Place {
    Place {
        id: n.id.clone(),
        label: n.label(),
        location: n.location,
        country: n.country,
    }
}

fn site_place(s: &Site) -> Place {
    Place {
        id: s.id.clone(),
        label: s.label(),
        location: s.location,
        country: Some(s.country),
    }
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

/// One step of the plan: close a facility, open one, or both.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Step {
    kind: MoveKind,
    close: Option<usize>,
    open: Option<usize>,
}

/// Orders the plan greedily (see the module docs).
fn order_steps(
    instance: &Instance,
    objective: &Objective,
    facilities: &[Facility<'_>],
    target: &[usize],
    n_active: usize,
    remove: usize,
) -> Vec<Step> {
    let mut closing: Vec<usize> = (0..n_active).filter(|j| !target.contains(j)).collect();
    let mut opening: Vec<usize> = target.iter().copied().filter(|&j| j >= n_active).collect();
    let mut removes = remove.min(closing.len());
    let mut relocations = closing.len() - removes;
    let mut adds = opening.len() - relocations;
    let mut open: Vec<usize> = (0..n_active).collect();
    let mut steps = Vec::new();
    let kind_rank = |k: MoveKind| match k {
        MoveKind::Relocate => 0,
        MoveKind::Add => 1,
        MoveKind::Remove => 2,
    };
    while relocations + adds + removes > 0 {
        let near = Nearest::new(instance, &open);
        // (objective after the step, mean RTT after it, kind, distance, step)
        let mut options: Vec<(f64, f64, usize, f64, Step)> = Vec::new();
        let mut push = |step: Step| {
            let mean = near.objective_after(instance, step.close, step.open);
            let value = match objective {
                Objective::MeanRtt => mean,
                other => {
                    let mut after: Vec<usize> = open
                        .iter()
                        .copied()
                        .filter(|&j| Some(j) != step.close)
                        .chain(step.open)
                        .collect();
                    after.sort_unstable();
                    other.value(instance, &after)
                }
            };
            let distance = match (step.close, step.open) {
                (Some(r), Some(f)) => facilities[r].location.distance_km(&facilities[f].location),
                _ => 0.0,
            };
            options.push((value, mean, kind_rank(step.kind), distance, step));
        };
        if relocations > 0 {
            for &r in &closing {
                for &f in &opening {
                    push(Step {
                        kind: MoveKind::Relocate,
                        close: Some(r),
                        open: Some(f),
                    });
                }
            }
        }
        if adds > 0 {
            for &f in &opening {
                push(Step {
                    kind: MoveKind::Add,
                    close: None,
                    open: Some(f),
                });
            }
        }
        if removes > 0 {
            for &r in &closing {
                push(Step {
                    kind: MoveKind::Remove,
                    close: Some(r),
                    open: None,
                });
            }
        }
        let key = |s: &Step| (s.close.unwrap_or(usize::MAX), s.open.unwrap_or(usize::MAX));
        let Some(&(_, _, _, _, step)) = options.iter().min_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then(a.1.total_cmp(&b.1))
                .then(a.2.cmp(&b.2))
                .then(a.3.total_cmp(&b.3))
                .then(key(&a.4).cmp(&key(&b.4)))
        }) else {
            break;
        };
        if let Some(r) = step.close {
            closing.retain(|&j| j != r);
            open.retain(|&j| j != r);
        }
        if let Some(f) = step.open {
            opening.retain(|&j| j != f);
            open.push(f);
        }
        match step.kind {
            MoveKind::Relocate => relocations -= 1,
            MoveKind::Add => adds -= 1,
            MoveKind::Remove => removes -= 1,
        }
        steps.push(step);
    }
    steps
}

/// Nearest and second-nearest open facility per client, for `O(n)` what-if evaluations.
struct Nearest {
    n1: Vec<usize>,
    d1: Vec<f64>,
    d2: Vec<f64>,
}

impl Nearest {
    fn new(instance: &Instance, open: &[usize]) -> Self {
        let n = instance.n_clients;
        let mut s = Nearest {
            n1: vec![usize::MAX; n],
            d1: vec![f64::INFINITY; n],
            d2: vec![f64::INFINITY; n],
        };
        for i in 0..n {
            for &j in open {
                let c = instance.cost(i, j);
                if c < s.d1[i] {
                    s.d2[i] = s.d1[i];
                    s.d1[i] = c;
                    s.n1[i] = j;
                } else if c < s.d2[i] {
                    s.d2[i] = c;
                }
            }
        }
        s
    }

    /// `Σ_i w_i · cost` after closing `close` and opening `open`.
    fn objective_after(
        &self,
        instance: &Instance,
        close: Option<usize>,
        open: Option<usize>,
    ) -> f64 {
        (0..instance.n_clients)
            .map(|i| {
                let base = if close == Some(self.n1[i]) {
                    self.d2[i]
                } else {
                    self.d1[i]
                };
                let c = open.map_or(base, |f| base.min(instance.cost(i, f)));
                instance.weight[i] * c
            })
            .sum()
    }
}

/// Per label: (weight, weighted RTT before, weighted RTT after, weighted change).
type Group = (f64, f64, f64, f64);

/// "serves TR, IR, SA: 14 % of requests; their mean RTT 92 → 31 ms".
fn reason(
    instance: &Instance,
    cells: &[DemandCell],
    weighting: Weighting,
    old: &[usize],
    new: &[usize],
    kind: MoveKind,
) -> String {
    let unit = match weighting {
        Weighting::Requests => "requests",
        Weighting::Bytes => "bytes",
        Weighting::Clients => "clients",
    };
    let total = instance.total_weight();
    let nearest = |open: &[usize], i: usize| {
        open.iter()
            .map(|&j| instance.cost(i, j))
            .fold(f64::INFINITY, f64::min)
    };
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let worse = kind == MoveKind::Remove;
    for (i, cell) in cells.iter().enumerate() {
        let (b, a) = (nearest(old, i), nearest(new, i));
        let w = instance.weight[i];
        let change = if worse { a - b } else { b - a };
        if change > 1e-9 && w > 0.0 {
            let label = cell
                .country
                .map_or_else(|| cell.id.clone(), |c| c.to_string());
            let g = groups.entry(label).or_default();
            g.0 += w;
            g.1 += w * b;
            g.2 += w * a;
            g.3 += w * change;
        }
    }
    if groups.is_empty() {
        return match kind {
            MoveKind::Remove => "no demand is served from here".into(),
            _ => "improves no demand cell on its own (kept for the later steps)".into(),
        };
    }
    let mut ranked: Vec<(&String, &Group)> = groups.iter().collect();
    ranked.sort_by(|a, b| b.1.3.total_cmp(&a.1.3).then(a.0.cmp(b.0)));
    let names: Vec<&str> = ranked.iter().take(3).map(|(l, _)| l.as_str()).collect();
    let more = if ranked.len() > 3 { " …" } else { "" };
    let (w, b, a) = groups
        .values()
        .fold((0.0, 0.0, 0.0), |s, g| (s.0 + g.0, s.1 + g.1, s.2 + g.2));
    let share = 100.0 * w / total;
    let share = if share < 1.0 {
        "<1".to_string()
    } else {
        format!("{share:.0}")
    };
    let verb = match kind {
        MoveKind::Remove => "its demand moves to other nodes",
        _ => "serves",
    };
    format!(
        "{verb} {}{more}: {share} % of {unit}; their mean RTT {:.0} → {:.0} ms",
        names.join(", "),
        b / w,
        a / w
    )
}

/// The fleet after every step (see [`Relocation::nodes_after`]).
fn nodes_after(nodes: &[Node], facilities: &[Facility<'_>], steps: &[Step]) -> Result<Vec<Node>> {
    let mut out: BTreeMap<String, Node> = nodes.iter().map(|n| (n.id.clone(), n.clone())).collect();
    for step in steps {
        let node = step.close.and_then(|r| facilities[r].node);
        let site = step.open.and_then(|f| facilities[f].site);
        match (step.kind, node, site) {
            (MoveKind::Relocate, Some(node), Some(site)) => {
                if let Some(n) = out.get_mut(&node.id) {
                    n.location = site.location;
                    n.city = Some(site.city.clone());
                    n.country = Some(site.country);
                    n.continent = Some(site.continent);
                }
            }
            (MoveKind::Remove, Some(node), _) => {
                out.remove(&node.id);
            }
            (MoveKind::Add, _, Some(site)) => {
                let id = format!("new-{}", site.id);
                if out.contains_key(&id) {
                    return Err(Error::DuplicateId { kind: "node", id });
                }
                out.insert(
                    id.clone(),
                    Node {
                        id,
                        operator: None,
                        city: Some(site.city.clone()),
                        country: Some(site.country),
                        continent: Some(site.continent),
                        location: site.location,
                        capacity: None,
                        active: true,
                        buckets: Vec::new(),
                    },
                );
            }
            _ => {}
        }
    }
    Ok(out.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demand::CellKind;
    use crate::geo::Continent;
    use crate::progress::NoProgress;
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
            &SolveOptions::new().method(Method::Auto),
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
}
