//! The worst case (vertex p-center) by bisection over the distinct costs, each step a
//! coverage question the engine answers with a proof.

use std::time::Instant;

use super::Objective;
use crate::error::Result;
use crate::progress::Progress;
use crate::solve::{Constraints, Instance, Method, Problem, Solution, SolveOptions, Status};

/// Solves `max_{i : w_i > 0} min_{j ∈ S} c_ij → min` over the feasible open sets of `problem`.
///
/// The answer is one of the costs. With `lo` the largest of the clients' cheapest allowed
/// costs (no set does better) and `hi` the worst case of a p-median solution, bisection over
/// the sorted distinct costs in `[lo, hi]` asks at each radius `r`: can every client of
/// positive weight be within `r`? That is the coverage problem with unit weights, whose
/// optimum is 0 exactly when the answer is yes; the engine's witness proves yes, its lower
/// bound above 0 proves no. An undecided step (time limit) counts as no for the search but
/// not for the bound.
pub(super) fn solve(
    problem: &Problem<'_>,
    options: &SolveOptions,
    deadline: Option<Instant>,
    progress: &dyn Progress,
) -> Result<Solution> {
    let inst = problem.instance();
    let constraints = constraints_of(problem);
    let objective = Objective::WorstCase;
    let clients: Vec<usize> = (0..inst.n_clients)
        .filter(|&i| inst.weight[i] > 0.0)
        .collect();
    let allowed = problem.allowed_sites();
    let remaining = || deadline.map(|d| d.saturating_duration_since(Instant::now()));

    // A first plan: the p-median heuristic, a quarter of the time at most.
    let start_options = options
        .clone()
        .method(Method::Heuristic)
        .time_limit(remaining().map_or(options.time_limit, |r| r / 4));
    let start = crate::solve::solve(inst, &constraints, &start_options, progress)?;
    let mut best_open = start.open;
    let mut best = objective.value(inst, &best_open);
    let lo_value = clients
        .iter()
        .map(|&i| {
            allowed
                .iter()
                .map(|&j| inst.cost(i, j))
                .fold(f64::INFINITY, f64::min)
        })
        .fold(0.0, f64::max);
    let mut radii: Vec<f64> = clients
        .iter()
        .flat_map(|&i| allowed.iter().map(move |&j| inst.cost(i, j)))
        .filter(|&c| c >= lo_value && c <= best)
        .collect();
    radii.sort_by(f64::total_cmp);
    radii.dedup();
    if radii.is_empty() {
        radii.push(best);
    }
    // Invariants: radii[hi] is reached by `best_open`; every radius below radii[proven] is
    // proven too small.
    let (mut lo, mut hi) = (0usize, radii.len() - 1);
    let mut proven = 0usize;
    let mut cut = false;
    let mut steps = 0usize;
    let mut last_method = start.method;
    let unit: Vec<f64> = inst
        .weight
        .iter()
        .map(|&w| if w > 0.0 { 1.0 } else { 0.0 })
        .collect();
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let r = radii[mid];
        steps += 1;
        let left_steps = (usize::BITS - (hi - lo).leading_zeros()).max(1);
        let time = match remaining() {
            Some(t) if t.is_zero() => {
                cut = true;
                break;
            }
            Some(t) => t / left_steps,
            None => options.time_limit,
        };
        progress.message(&format!("worst case: can every cell be within {r:.1} ms?"));
        let covering = Instance {
            n_clients: inst.n_clients,
            n_sites: inst.n_sites,
            cost: inst
                .cost
                .iter()
                .map(|&c| if c > r { 1.0 } else { 0.0 })
                .collect(),
            weight: unit.clone(),
        };
        let s = crate::solve::solve(
            &covering,
            &constraints,
            &options.clone().time_limit(time),
            progress,
        )?;
        last_method = s.method.clone();
        if s.objective == 0.0 {
            let v = objective.value(inst, &s.open);
            if v < best || (v == best && s.open < best_open) {
                best = v;
                best_open = s.open;
            }
            hi = radii.partition_point(|&x| x < best).min(hi);
        } else {
            if s.lower_bound > 0.0 {
                proven = proven.max(mid + 1);
            } else {
                cut = true;
            }
            lo = mid + 1;
        }
    }
    let bound = radii[proven.min(radii.len() - 1)].min(best);
    let status = if bound >= best {
        Status::Optimal
    } else if cut {
        Status::TimeLimit
    } else {
        Status::Heuristic
    };
    Ok(Solution {
        open: best_open,
        objective: best,
        lower_bound: bound,
        status,
        method: format!("bisection({steps} steps)/{last_method}"),
    })
}

/// The constraints `problem` was built from.
fn constraints_of(problem: &Problem<'_>) -> Constraints {
    let m = problem.instance().n_sites;
    let existing: Vec<usize> = (0..m).filter(|&j| problem.is_existing(j)).collect();
    Constraints {
        p: problem.p(),
        fixed_open: problem.fixed_sites(),
        forbidden: (0..m).filter(|&j| !problem.is_allowed(j)).collect(),
        budget: (problem.max_closed() < existing.len()).then(|| crate::solve::Budget {
            existing,
            max_closed: problem.max_closed(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    #[test]
    fn two_clusters_need_a_radius_of_one() {
        let xs = [0.0, 1.0, 2.0, 10.0, 11.0, 12.0_f64];
        let cost = xs
            .iter()
            .flat_map(|a| xs.iter().map(move |b| (a - b).abs()))
            .collect();
        let inst = Instance::new(6, 6, cost, vec![1.0; 6]).unwrap();
        let c = Constraints {
            p: 2,
            ..Default::default()
        };
        let problem = Problem::new(&inst, &c).unwrap();
        let s = solve(&problem, &SolveOptions::new(), None, &NoProgress).unwrap();
        assert_eq!(
            (s.open, s.objective, s.status),
            (vec![1, 4], 1.0, Status::Optimal)
        );
    }

    #[test]
    fn the_constraints_round_trip_through_the_problem() {
        let inst = Instance::new(1, 4, vec![1.0; 4], vec![1.0]).unwrap();
        let c = Constraints {
            p: 2,
            fixed_open: vec![0],
            forbidden: vec![3],
            budget: Some(crate::solve::Budget {
                existing: vec![0, 1],
                max_closed: 1,
            }),
        };
        let problem = Problem::new(&inst, &c).unwrap();
        assert_eq!(constraints_of(&problem), c);
    }
}
