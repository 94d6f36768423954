//! Lexicographic swap descent: lower [`Objective::secondary`] without worsening
//! [`Objective::value`], keeping every constraint.

use std::time::Instant;

use super::Objective;
use crate::solve::Problem;

/// Most passes of [`polish`] (each pass tries every feasible single swap).
const MAX_PASSES: usize = 200;

/// `(value, secondary)` of `open`.
pub(super) fn score(objective: &Objective, problem: &Problem<'_>, open: &[usize]) -> (f64, f64) {
    let inst = problem.instance();
    (objective.value(inst, open), objective.secondary(inst, open))
}

/// Whether `a` is lexicographically better than `b` (the secondary by more than rounding).
pub(super) fn better(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 < b.0 || (a.0 == b.0 && a.1 < b.1 - 1e-9 * b.1.abs())
}

/// Best-improvement swap descent on `(value, secondary)` from `open` (feasible, sorted);
/// stops at a local optimum, after [`MAX_PASSES`] or at `deadline`. Deterministic: the best
/// swap of a pass wins, ties to the first in (closed site, opened site) order.
pub(super) fn polish(
    problem: &Problem<'_>,
    open: Vec<usize>,
    objective: &Objective,
    deadline: Option<Instant>,
) -> Vec<usize> {
    descend(problem, open, objective, deadline).0
}

/// As [`polish`], also returning the final score.
pub(super) fn descend(
    problem: &Problem<'_>,
    mut open: Vec<usize>,
    objective: &Objective,
    deadline: Option<Instant>,
) -> (Vec<usize>, (f64, f64)) {
    let mut current = score(objective, problem, &open);
    let allowed = problem.allowed_sites();
    let mut candidate = Vec::with_capacity(open.len());
    for _ in 0..MAX_PASSES {
        let mut best: Option<((f64, f64), Vec<usize>)> = None;
        'outer: for &out in &open {
            if problem.is_fixed(out) {
                continue;
            }
            for &inn in &allowed {
                if open.binary_search(&inn).is_ok() {
                    continue;
                }
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break 'outer;
                }
                candidate.clear();
                candidate.extend(open.iter().copied().filter(|&j| j != out));
                candidate.push(inn);
                candidate.sort_unstable();
                if !problem.is_feasible(&candidate) {
                    continue;
                }
                let s = score(objective, problem, &candidate);
                let bar = best.as_ref().map_or(current, |(b, _)| *b);
                if better(s, bar) {
                    best = Some((s, candidate.clone()));
                }
            }
        }
        match best {
            Some((s, set)) => {
                open = set;
                current = s;
            }
            None => break,
        }
    }
    (open, current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::{Constraints, Instance};

    #[test]
    fn polishing_keeps_coverage_and_lowers_the_mean() {
        // Clients at 0, 1, 2; sites at 0, 1, 2: site 0 and site 1 both cover everyone within
        // 2, site 1 is the better median.
        let xs = [0.0, 1.0, 2.0_f64];
        let cost = xs
            .iter()
            .flat_map(|a| xs.iter().map(move |b| (a - b).abs()))
            .collect();
        let inst = Instance::new(3, 3, cost, vec![1.0; 3]).unwrap();
        let c = Constraints {
            p: 1,
            ..Default::default()
        };
        let problem = Problem::new(&inst, &c).unwrap();
        let o = Objective::Coverage { threshold_ms: 2.0 };
        assert_eq!(polish(&problem, vec![0], &o, None), vec![1]);
    }

    #[test]
    fn better_is_lexicographic() {
        assert!(better((1.0, 100.0), (2.0, 0.0)));
        assert!(better((1.0, 1.0), (1.0, 2.0)));
        assert!(!better((1.0, 2.0), (1.0, 2.0)));
    }
}
