//! The capacitated p-median: every client brings a demand `d_i`, every site serves at most
//! its capacity `Q_j`, and clients are assigned whole ([`Assignment::SingleSource`](crate::solve::capacitated::Assignment::SingleSource)) or in
//! shares ([`Assignment::Split`](crate::solve::capacitated::Assignment::Split)):
//!
//! ```text
//! minimise   Σ_i Σ_j w_i · c_ij · x_ij
//! subject to Σ_j x_ij = 1                  for every client i
//!            x_ij ≤ y_j                    for every client i and allowed site j
//!            Σ_i d_i · x_ij ≤ Q_j · y_j    for every allowed site j
//!            Σ_j y_j = p, fixed-open, forbidden and the relocation budget as in [`solve`]
//!            Σ_j u_j · y_j ≤ U                 (only with a monthly cost budget)
//!            y_j ∈ {0, 1};  x_ij ∈ {0, 1} (single-source) or [0, 1] (split)
//! ```
//!
//! `w_i` weighs the cost (requests, as in the uncapacitated engine) and `d_i` uses the
//! capacity (Gbit/s at the peak hour, say); they may differ. `u_j` is a site's cost per month
//! and `U` the budget ([`Capacities::monthly_cost`](crate::solve::capacitated::Capacities::monthly_cost)); the uncapacitated engine has no such
//! budget, so a cost budget always comes with capacities.
//!
//! ## Paths
//!
//! * Before anything, the constraints are checked against the capacities, and an infeasible
//!   scenario gets [`Error::Infeasible`] naming the constraint that cannot hold (see
//!   [`diagnose`](crate::solve::capacitated::diagnose)).
//! * **Heuristic** (all methods): the uncapacitated [`Multistart`] open set, then swap local
//!   search over open sets with each candidate's assignment solved — exactly for split (a
//!   transportation problem by min-cost flow), by regret greedy + shift/swap descent for
//!   single-source, also grown from the current set's assignment — median relocation within
//!   the clusters when no swap improves, and random shakes (VNS) until 300 in a row bring
//!   nothing.
//! * **Bound**: Lagrangian relaxation of the assignment constraints (per-site knapsacks, 0-1
//!   by dynamic programming when demands and capacities are whole numbers; the sites chosen
//!   as in the engine), subgradient ascent; every set it picks is evaluated as a candidate.
//! * **Proof** ([`Method::Auto`], [`Method::Exact`]): the formulation above through good_lp,
//!   warm-started by the incumbent; under [`Method::Auto`] the Lagrangian first fixes every
//!   site and (single-source) pair that cannot be in a better solution.
//!
//! A solution is [`Status::Optimal`] only when the bound or the MIP backend proves it.
//!
//! ## Example
//!
//! ```
//! use cdnplan_core::solve::capacitated::{solve_capacitated, Assignment, Capacities};
//! use cdnplan_core::solve::{Constraints, Instance, SolveOptions, Status};
//! use cdnplan_core::NoProgress;
//!
//! // Four clients on a line at 0, 1, 2, 3, each a candidate site; one site holds 3 units.
//! let xs = [0.0, 1.0, 2.0, 3.0_f64];
//! let cost = xs.iter().flat_map(|a| xs.iter().map(move |b| (a - b).abs())).collect();
//! let instance = Instance::new(4, 4, cost, vec![1.0; 4])?;
//! let caps = Capacities::new(vec![1.0; 4], vec![3.0; 4], Assignment::SingleSource);
//! let constraints = Constraints { p: 2, ..Default::default() };
//! let best = solve_capacitated(&instance, &constraints, &caps, &SolveOptions::new(), &NoProgress)?;
//! assert_eq!(best.solution.objective, 2.0);
//! assert_eq!(best.solution.status, Status::Optimal);
//! # Ok::<(), cdnplan_core::Error>(())
//! ```

use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::{Constraints, SolveOptions};
use super::{FastSwap, Instance, Method, Multistart, Problem, Solution, Status, Vns};
use crate::error::{Error, Result};
use crate::progress::Progress;

mod bound;
mod brute;
mod diagnose;
mod flow;
mod mip;
mod orlib;
mod relocate;
mod search;
mod single;

pub use bound::CapacityBound;
pub use brute::brute_force_capacitated;
pub use diagnose::diagnose;
use diagnose::{no_fit, usd};
pub use orlib::PmedcapDistances;

/// How a client's demand may be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Assignment {
    /// Shares of a client may go to several sites (a transportation problem per open set).
    #[default]
    Split,
    /// Each client goes to exactly one site.
    SingleSource,
}

crate::named::named!(Assignment, "assignment", {
    Assignment::Split => "split",
    Assignment::SingleSource => "single_source",
});

/// Demands and capacities of a capacitated instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capacities {
    /// Demand per client (e.g. Gbit/s at the peak hour), ≥ 0.
    pub demand: Vec<f64>,
    /// Capacity per site, in the unit of `demand`, ≥ 0.
    pub capacity: Vec<f64>,
    /// Split or single-source.
    pub assignment: Assignment,
    /// Unit of demand and capacity for messages (e.g. `"Gbit/s"`; empty for none).
    #[serde(default)]
    pub unit: String,
    /// Cost per site per month and the budget the open sites must stay within (none: no
    /// budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_cost: Option<MonthlyCost>,
}

/// A monthly cost budget: only open sets with `Σ_{j open} usd_per_site[j] ≤ budget_usd` are
/// feasible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthlyCost {
    /// Cost of each site per month, in USD (≥ 0), indexed as the instance's sites.
    pub usd_per_site: Vec<f64>,
    /// The most the open sites may cost per month together, in USD (≥ 0).
    pub budget_usd: f64,
}

impl MonthlyCost {
    /// `Σ_{j ∈ open} usd_per_site[j]`.
    pub fn total_usd(&self, open: &[usize]) -> f64 {
        open.iter()
            .map(|&j| self.usd_per_site.get(j).copied().unwrap_or(0.0))
            .sum()
    }

    /// Whether `open` costs at most the budget (with a relative tolerance of 10⁻⁹).
    pub fn allows(&self, open: &[usize]) -> bool {
        self.total_usd(open) <= self.budget_usd * (1.0 + 1e-9) + 1e-9
    }
}

impl Capacities {
    /// Demands per client and capacities per site, without a unit.
    pub fn new(demand: Vec<f64>, capacity: Vec<f64>, assignment: Assignment) -> Self {
        Capacities {
            demand,
            capacity,
            assignment,
            unit: String::new(),
            monthly_cost: None,
        }
    }

    /// Adds a monthly cost budget: `costs_usd[j]` per site per month, and only open sets
    /// costing at most `budget_usd` together are feasible.
    ///
    /// ```
    /// use cdnplan_core::solve::capacitated::{solve_capacitated, Assignment, Capacities};
    /// use cdnplan_core::solve::{Constraints, Instance, SolveOptions};
    /// use cdnplan_core::NoProgress;
    /// // Two clients at 0, sites at 0, 1 and 2; site 1 is cheap, the others are not.
    /// let cost = vec![0.0, 1.0, 2.0, 0.0, 1.0, 2.0];
    /// let instance = Instance::new(2, 3, cost, vec![1.0; 2])?;
    /// let caps = Capacities::new(vec![1.0; 2], vec![2.0; 3], Assignment::Split);
    /// let c = Constraints { p: 1, ..Default::default() };
    /// let free = solve_capacitated(&instance, &c, &caps, &SolveOptions::new(), &NoProgress)?;
    /// assert_eq!(free.solution.open, vec![0]);
    /// let caps = caps.monthly_cost(vec![100.0, 50.0, 100.0], 80.0);
    /// let best = solve_capacitated(&instance, &c, &caps, &SolveOptions::new(), &NoProgress)?;
    /// assert_eq!((best.solution.open, best.solution.objective), (vec![1], 2.0));
    /// # Ok::<(), cdnplan_core::Error>(())
    /// ```
    pub fn monthly_cost(mut self, costs_usd: Vec<f64>, budget_usd: f64) -> Self {
        self.monthly_cost = Some(MonthlyCost {
            usd_per_site: costs_usd,
            budget_usd,
        });
        self
    }

    /// Sets the unit named in messages.
    pub fn unit(mut self, unit: impl Into<String>) -> Self {
        self.unit = unit.into();
        self
    }

    /// `12.5 Gbit/s` (or `12.5` without a unit).
    fn quantity(&self, x: f64) -> String {
        let v = if (x - x.round()).abs() < 1e-9 {
            format!("{}", x.round())
        } else {
            let s = format!("{x:.3}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        };
        if self.unit.is_empty() {
            v
        } else {
            format!("{v} {}", self.unit)
        }
    }
}

/// The answer of [`solve_capacitated`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacitatedSolution {
    /// Open sites, objective `Σ w_i c_ij x_ij`, bound, status and method.
    pub solution: Solution,
    /// Per client, its `(site, share)` pairs (shares sum to 1; one pair under single-source).
    pub shares: Vec<Vec<(usize, f64)>>,
    /// Per open site (ascending), `(site, load)`: the demand it serves.
    pub load: Vec<(usize, f64)>,
}

/// A checked capacitated problem.
pub(crate) struct Capacitated<'p, 'a> {
    pub problem: &'p Problem<'a>,
    pub demand: &'p [f64],
    pub capacity: &'p [f64],
    pub assignment: Assignment,
    /// The monthly cost budget, when there is one.
    pub monthly_cost: Option<&'p MonthlyCost>,
}

/// Per client, its `(site, share)` pairs.
pub(crate) type Shares = Vec<Vec<(usize, f64)>>;

/// An evaluated open set.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Assigned {
    pub cost: f64,
    pub shares: Vec<Vec<(usize, f64)>>,
}

impl Capacitated<'_, '_> {
    pub fn instance(&self) -> &Instance {
        self.problem.instance()
    }

    /// Whether `open` stays within the monthly cost budget (always, without one).
    pub fn within_budget(&self, open: &[usize]) -> bool {
        self.monthly_cost.is_none_or(|m| m.allows(open))
    }

    /// The best assignment this crate finds for `open` (exact for split), `None` when none
    /// fits or `open` costs more than the monthly budget.
    pub fn assign(&self, open: &[usize]) -> Option<Assigned> {
        if !self.within_budget(open) {
            return None;
        }
        let inst = self.instance();
        match self.assignment {
            Assignment::Split => {
                flow::split(inst, self.demand, self.capacity, open).map(|s| Assigned {
                    cost: s.cost,
                    shares: s.shares,
                })
            }
            Assignment::SingleSource => {
                single::single(inst, self.demand, self.capacity, open).map(|s| Assigned {
                    cost: s.cost,
                    shares: s.site.iter().map(|&j| vec![(j, 1.0)]).collect(),
                })
            }
        }
    }
}

impl Capacitated<'_, '_> {
    /// A single-source assignment of `open` grown from `from`, an assignment of another
    /// open set: clients whose site stays open keep it, the others go to the cheapest site
    /// with room, then shift, swap and chain moves descend. `None` for split assignment
    /// (solved exactly from scratch) or when the clients left over do not fit.
    pub fn assign_from(&self, open: &[usize], from: &Assigned) -> Option<Assigned> {
        if self.assignment != Assignment::SingleSource || !self.within_budget(open) {
            return None;
        }
        let sites: Vec<usize> = from
            .shares
            .iter()
            .map(|sh| sh.first().map_or(usize::MAX, |&(j, _)| j))
            .collect();
        single::single_from(self.instance(), self.demand, self.capacity, open, &sites).map(|s| {
            Assigned {
                cost: s.cost,
                shares: s.site.iter().map(|&j| vec![(j, 1.0)]).collect(),
            }
        })
    }
}

/// Evaluations of open sets, remembered with the cheapest assignment found for each.
#[derive(Default)]
pub(crate) struct Cache {
    seen: FxHashMap<Vec<usize>, Option<Assigned>>,
}

impl Cache {
    /// The cost of `open` (sorted), `None` when no assignment fits.
    pub fn cost(&mut self, cap: &Capacitated<'_, '_>, open: &[usize]) -> Option<f64> {
        self.get(cap, open).map(|a| a.cost)
    }

    /// The cheapest assignment known for `open` (sorted), computed on first sight; `None`
    /// when none fits.
    pub fn get(&mut self, cap: &Capacitated<'_, '_>, open: &[usize]) -> Option<&Assigned> {
        if !self.seen.contains_key(open) {
            let a = cap.assign(open);
            self.seen.insert(open.to_vec(), a);
        }
        self.seen.get(open).and_then(Option::as_ref)
    }

    /// Offers another assignment of `open` (sorted); keeps the cheaper and returns its cost.
    pub fn offer(&mut self, open: &[usize], assigned: Assigned) -> f64 {
        match self.seen.get_mut(open) {
            Some(Some(known)) if known.cost <= assigned.cost => known.cost,
            Some(slot) => {
                let c = assigned.cost;
                *slot = Some(assigned);
                c
            }
            None => {
                let c = assigned.cost;
                self.seen.insert(open.to_vec(), Some(assigned));
                c
            }
        }
    }
}

/// The open set minimising `Σ_{j ∈ S} value_j` over every set meeting `p`, fixed-open,
/// forbidden and the budget (with `force` open too, when given); `(value, set)`, or
/// `(+∞, [])` when forcing makes it infeasible.
pub(crate) fn select(
    problem: &Problem<'_>,
    value: &[f64],
    force: Option<usize>,
) -> (f64, Vec<usize>) {
    let m = problem.instance().n_sites;
    let forced = |j: usize| problem.is_fixed(j) || force == Some(j);
    if force.is_some_and(|j| !problem.is_allowed(j)) {
        return (f64::INFINITY, Vec::new());
    }
    let fixed: Vec<usize> = (0..m).filter(|&j| forced(j)).collect();
    let by_value = |a: &usize, b: &usize| value[*a].total_cmp(&value[*b]).then(a.cmp(b));
    let mut old: Vec<usize> = (0..m)
        .filter(|&j| problem.is_allowed(j) && !forced(j) && problem.is_existing(j))
        .collect();
    let mut new: Vec<usize> = (0..m)
        .filter(|&j| problem.is_allowed(j) && !forced(j) && !problem.is_existing(j))
        .collect();
    old.sort_by(by_value);
    new.sort_by(by_value);
    let p = problem.p();
    if fixed.len() > p {
        return (f64::INFINITY, Vec::new());
    }
    let k = p - fixed.len();
    let fixed_old = fixed.iter().filter(|&&j| problem.is_existing(j)).count();
    let must_stay = problem.n_existing().saturating_sub(problem.max_closed());
    let lo = must_stay.saturating_sub(fixed_old);
    let prefix = |list: &[usize]| {
        let mut acc = vec![0.0];
        for &j in list {
            acc.push(acc[acc.len() - 1] + value[j]);
        }
        acc
    };
    let (po, pn) = (prefix(&old), prefix(&new));
    let base: f64 = fixed.iter().map(|&j| value[j]).sum();
    let mut best: Option<(f64, usize)> = None;
    for (a, &pa) in po.iter().enumerate().take(k.min(old.len()) + 1).skip(lo) {
        let b = k - a;
        let Some(&pb) = pn.get(b) else {
            continue;
        };
        let v = base + pa + pb;
        if best.is_none_or(|(bv, _)| v < bv) {
            best = Some((v, a));
        }
    }
    match best {
        Some((v, a)) => {
            let mut set = fixed;
            set.extend_from_slice(&old[..a]);
            set.extend_from_slice(&new[..k - a]);
            set.sort_unstable();
            (v, set)
        }
        None => (f64::INFINITY, Vec::new()),
    }
}

/// Solves the capacitated p-median (see the [module docs](self)).
///
/// `options.method`: [`Method::Heuristic`] stops after the Lagrangian bound;
/// [`Method::Auto`] adds the MIP on the problem the bound reduced (up to
/// [`EXACT_MAX_CELLS`](super::EXACT_MAX_CELLS) pairs); [`Method::Exact`] runs the MIP on the
/// full formulation. The backend is `options.backend`.
///
/// # Errors
/// As [`Problem::new`] and [`diagnose`]; [`Error::TooLarge`] for [`Method::Exact`] above
/// [`EXACT_MAX_CELLS`](super::EXACT_MAX_CELLS) pairs; [`Error::Infeasible`] when the MIP proves that no
/// single-source assignment fits; [`Error::Solver`] when the backend fails. Reaching the time
/// limit is not an error: the best solution comes back with [`Status::TimeLimit`] (or, if
/// none was found, [`Error::Infeasible`] says so).
pub fn solve_capacitated(
    instance: &Instance,
    constraints: &Constraints,
    capacities: &Capacities,
    options: &SolveOptions,
    progress: &dyn Progress,
) -> Result<CapacitatedSolution> {
    let deadline = Instant::now().checked_add(options.time_limit);
    let problem = Problem::new(instance, constraints)?;
    diagnose(&problem, capacities)?;
    let cells = instance.n_clients * problem.n_allowed();
    if options.method == Method::Exact && cells > super::EXACT_MAX_CELLS {
        return Err(Error::TooLarge {
            method: "capacitated exact MIP",
            detail: format!(
                "{cells} client × allowed-site pairs (limit {}); use the heuristic",
                super::EXACT_MAX_CELLS
            ),
        });
    }
    let cap = Capacitated {
        problem: &problem,
        demand: &capacities.demand,
        capacity: &capacities.capacity,
        assignment: capacities.assignment,
        monthly_cost: capacities.monthly_cost.as_ref(),
    };
    let mut cache = Cache::default();
    // Uncapacitated start, and the largest-capacity set as a fallback start.
    let multistart = Multistart {
        starts: options.starts.clamp(1, 4),
        seed: options.seed,
        swap: FastSwap {
            max_swaps: options.max_swaps,
        },
        vns: Vns {
            max_swaps: options.max_swaps,
            ..Vns::default()
        },
    };
    let start = multistart.run(&problem, deadline, progress).open;
    let negated: Vec<f64> = capacities.capacity.iter().map(|c| -c).collect();
    let roomy = select(&problem, &negated, None).1;
    let mut starts = vec![start, roomy];
    // Under a cost budget, the cheapest set too: every swap search then starts somewhere
    // within the budget.
    if let Some(mc) = &capacities.monthly_cost {
        starts.push(select(&problem, &mc.usd_per_site, None).1);
    }
    progress.begin("capacitated swap", None);
    let mut best = search::Search::new(&cap, options.seed, deadline).run(&mut cache, &starts);
    progress.end();
    // Lagrangian bound, evaluating the sets it meets.
    progress.begin("capacitated lagrangian", None);
    let lb = bound::ascend(
        &cap,
        best.as_ref().map(|b| b.1),
        deadline,
        &mut cache,
        &mut best,
    );
    progress.end();
    let mut cut = lb.cut || expired(deadline);
    let mut lower = lb.value;
    let mut method = "capacity-vns".to_string();
    let mut mip_shares: Option<Vec<Vec<(usize, f64)>>> = None;
    let integral = problem.is_integral() && capacities.assignment == Assignment::SingleSource;
    let proves = |obj: f64, lower: f64| {
        let l = if integral {
            (lower - 1e-6).ceil()
        } else {
            lower
        };
        obj <= 0.0 || obj - l <= super::PROOF_GAP * obj.abs()
    };
    let run_mip = match options.method {
        Method::Heuristic => false,
        _ => !best.as_ref().is_some_and(|b| proves(b.1, lower)),
    };
    // Under Method::Auto the MIP runs on the reduced problem, and only when it is small.
    let run_mip = run_mip && cells <= super::EXACT_MAX_CELLS;
    if run_mip && !cut {
        let reduced = options.method == Method::Auto;
        let fixing = match (&best, reduced) {
            (Some(b), true) => Some(lb.fixing(&cap, b.1)),
            _ => None,
        };
        let time = remaining(deadline);
        progress.begin("capacitated mip", None);
        let outcome = mip::run(
            &cap,
            options.backend,
            time,
            best.as_ref().map(|b| b.0.as_slice()),
            fixing.as_ref(),
            options.gap_tolerance,
        );
        progress.end();
        match outcome? {
            mip::Outcome::Solved {
                open,
                shares,
                proven_gap,
                ..
            } => {
                // The MIP's own single-source assignment may beat the heuristic's for its set.
                let mut found = cache.cost(&cap, &open).map(|c| (c, None));
                if let Some(sh) = shares {
                    let c = assigned_cost(&cap, &sh);
                    if found.as_ref().is_none_or(|f| c < f.0) {
                        found = Some((c, Some(sh)));
                    }
                }
                if let Some((c, sh)) = found
                    && best.as_ref().is_none_or(|b| c < b.1)
                {
                    best = Some((open.clone(), c));
                    method = format!("mip/{}", options.backend.name());
                    mip_shares = sh;
                }
                match proven_gap {
                    Some(g) => {
                        if let Some(b) = &best {
                            lower = lower.max(b.1 * (1.0 - g));
                        }
                    }
                    None => cut = true,
                }
            }
            mip::Outcome::Infeasible => {
                if best.is_none() {
                    return Err(Error::Infeasible(no_fit(capacities, problem.p())));
                }
                // Everything is fixed away: nothing beats the incumbent.
                if let Some(b) = &best {
                    lower = lower.max(b.1);
                }
            }
            mip::Outcome::NoSolution => cut = true,
        }
    }
    let Some((open, _)) = best else {
        let budget = capacities
            .monthly_cost
            .as_ref()
            .map(|mc| format!(" and the monthly budget of {}", usd(mc.budget_usd)))
            .unwrap_or_default();
        return Err(Error::Infeasible(format!(
            "no assignment within the capacities{budget} was found{}",
            if cut { " before the time limit" } else { "" }
        )));
    };
    let assigned = match mip_shares {
        Some(shares) => Assigned {
            cost: assigned_cost(&cap, &shares),
            shares,
        },
        None => cache.get(&cap, &open).cloned().ok_or_else(|| {
            Error::Infeasible(format!(
                "no assignment of open set {open:?} fits the capacities"
            ))
        })?,
    };
    let objective = assigned.cost;
    // Each client at its nearest allowed site: valid even when the time limit struck before
    // the Lagrangian ascent produced a bound.
    let lower = lower.max(problem.trivial_bound());
    let bound = if proves(objective, lower) {
        objective
    } else {
        lower.min(objective)
    };
    let gap = if objective > 0.0 {
        ((objective - bound) / objective).max(0.0)
    } else {
        0.0
    };
    let status = if gap <= super::PROOF_GAP {
        Status::Optimal
    } else if gap <= options.gap_tolerance + 4.0 * f64::EPSILON {
        Status::GapLimit
    } else if cut {
        Status::TimeLimit
    } else {
        Status::Heuristic
    };
    if method == "capacity-vns" && lb.found_best {
        method = "capacity-lagrangian".into();
    }
    let mut load: FxHashMap<usize, f64> = open.iter().map(|&j| (j, 0.0)).collect();
    for (i, sh) in assigned.shares.iter().enumerate() {
        for &(j, x) in sh {
            *load.entry(j).or_default() += x * capacities.demand[i];
        }
    }
    let mut load: Vec<(usize, f64)> = load.into_iter().collect();
    load.sort_by_key(|&(j, _)| j);
    Ok(CapacitatedSolution {
        solution: Solution {
            open,
            objective,
            lower_bound: bound,
            status,
            method,
        },
        shares: assigned.shares,
        load,
    })
}

/// `Σ_i Σ_j w_i c_ij x_ij` of explicit shares.
fn assigned_cost(cap: &Capacitated<'_, '_>, shares: &[Vec<(usize, f64)>]) -> f64 {
    let inst = cap.instance();
    shares
        .iter()
        .enumerate()
        .map(|(i, sh)| {
            sh.iter()
                .map(|&(j, x)| inst.weight[i] * inst.cost(i, j) * x)
                .sum::<f64>()
        })
        .sum()
}

fn expired(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}

fn remaining(deadline: Option<Instant>) -> Duration {
    deadline.map_or(Duration::MAX, |d| {
        d.saturating_duration_since(Instant::now())
    })
}

#[cfg(test)]
mod tests;
