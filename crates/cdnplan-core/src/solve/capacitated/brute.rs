//! Brute force for the capacitated problem: every feasible open set, each with its exact
//! assignment (split: the min-cost flow; single-source: depth-first enumeration of every
//! assignment within the capacities); sets above the monthly cost budget, when there is one,
//! are skipped. For tests and tiny instances.

use super::{Assignment, Capacitated, CapacitatedSolution, Capacities, Shares, diagnose, flow};
use crate::error::{Error, Result};
use crate::solve::{Constraints, Instance, Problem, Solution, Status};

/// Most `open sets × single-source assignments` [`brute_force_capacitated`] will try.
pub const BRUTE_FORCE_MAX_LEAVES: f64 = 5e6;

/// The optimum by enumeration (ties to the lexicographically smallest open set).
///
/// # Errors
/// As [`super::solve_capacitated`]'s checks; [`Error::TooLarge`] above
/// 5 million assignments to enumerate; [`Error::Infeasible`] when no open set has an assignment.
///
/// ```
/// use cdnplan_core::solve::capacitated::{brute_force_capacitated, Assignment, Capacities};
/// use cdnplan_core::solve::{Constraints, Instance};
/// // Three clients at 0, 1, 2; sites at the same points with room for two clients each.
/// let cost = vec![0.0, 1.0, 2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0];
/// let inst = Instance::new(3, 3, cost, vec![1.0; 3])?;
/// let caps = Capacities::new(vec![1.0; 3], vec![2.0; 3], Assignment::SingleSource);
/// let best = brute_force_capacitated(&inst, &Constraints { p: 2, ..Default::default() }, &caps)?;
/// assert_eq!((best.solution.open, best.solution.objective), (vec![0, 1], 1.0));
/// # Ok::<(), cdnplan_core::Error>(())
/// ```
pub fn brute_force_capacitated(
    instance: &Instance,
    constraints: &Constraints,
    capacities: &Capacities,
) -> Result<CapacitatedSolution> {
    let problem = Problem::new(instance, constraints)?;
    diagnose(&problem, capacities)?;
    let cap = Capacitated {
        problem: &problem,
        demand: &capacities.demand,
        capacity: &capacities.capacity,
        assignment: capacities.assignment,
        monthly_cost: capacities.monthly_cost.as_ref(),
    };
    let allowed = problem.allowed_sites();
    let p = problem.p();
    let sets = binomial(allowed.len(), p);
    let per_set = match capacities.assignment {
        Assignment::SingleSource => (p as f64).powi(instance.n_clients as i32),
        Assignment::Split => 1.0,
    };
    if sets * per_set > BRUTE_FORCE_MAX_LEAVES {
        return Err(Error::TooLarge {
            method: "capacitated brute force",
            detail: format!("{sets} open sets × {per_set} assignments"),
        });
    }
    let mut best: Option<(f64, Vec<usize>, Shares)> = None;
    let mut pick: Vec<usize> = (0..p).collect();
    loop {
        let open: Vec<usize> = pick.iter().map(|&t| allowed[t]).collect();
        if problem.is_feasible(&open)
            && cap.within_budget(&open)
            && let Some((cost, shares)) = exact(&cap, &open)
            && best
                .as_ref()
                .is_none_or(|b| cost.total_cmp(&b.0).then_with(|| open.cmp(&b.1)).is_lt())
        {
            best = Some((cost, open, shares));
        }
        if !crate::solve::brute::next_combination(&mut pick, allowed.len()) {
            break;
        }
    }
    let (objective, open, shares) = best.ok_or_else(|| {
        Error::Infeasible("no open set has an assignment within the capacities".into())
    })?;
    let mut load: Vec<(usize, f64)> = open.iter().map(|&j| (j, 0.0)).collect();
    for (i, sh) in shares.iter().enumerate() {
        for &(j, x) in sh {
            if let Ok(k) = open.binary_search(&j) {
                load[k].1 += x * capacities.demand[i];
            }
        }
    }
    Ok(CapacitatedSolution {
        solution: Solution {
            open,
            objective,
            lower_bound: objective,
            status: Status::Optimal,
            method: "brute-force".into(),
        },
        shares,
        load,
    })
}

/// The exact assignment of one open set.
fn exact(cap: &Capacitated<'_, '_>, open: &[usize]) -> Option<(f64, Shares)> {
    let inst = cap.instance();
    match cap.assignment {
        Assignment::Split => {
            flow::split(inst, cap.demand, cap.capacity, open).map(|s| (s.cost, s.shares))
        }
        Assignment::SingleSource => {
            let mut residual: Vec<f64> = open.iter().map(|&j| cap.capacity[j]).collect();
            let mut at = vec![0; inst.n_clients];
            let mut best: Option<(f64, Vec<usize>)> = None;
            dfs(cap, open, 0, 0.0, &mut residual, &mut at, &mut best);
            best.map(|(c, at)| (c, at.iter().map(|&k| vec![(open[k], 1.0)]).collect()))
        }
    }
}

fn dfs(
    cap: &Capacitated<'_, '_>,
    open: &[usize],
    i: usize,
    cost: f64,
    residual: &mut [f64],
    at: &mut [usize],
    best: &mut Option<(f64, Vec<usize>)>,
) {
    let inst = cap.instance();
    if i == inst.n_clients {
        if best.as_ref().is_none_or(|b| cost < b.0) {
            *best = Some((cost, at.to_vec()));
        }
        return;
    }
    for (k, &j) in open.iter().enumerate() {
        let d = cap.demand[i];
        if super::single::fits(d, residual[k], cap.capacity[j]) {
            residual[k] -= d;
            at[i] = k;
            let c = cost + inst.weight[i] * inst.cost(i, j);
            dfs(cap, open, i + 1, c, residual, at, best);
            residual[k] += d;
        }
    }
}

fn binomial(n: usize, k: usize) -> f64 {
    if k > n {
        return 0.0;
    }
    (0..k).fold(1.0, |acc, t| acc * (n - t) as f64 / (t + 1) as f64)
}
