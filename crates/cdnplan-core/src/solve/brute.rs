//! Brute force: every feasible open set, for tests and tiny instances.

use super::{Constraints, Instance, Problem, Solution, Status};
use crate::error::{Error, Result};

/// Most open sets [`brute_force`] will enumerate.
pub const BRUTE_FORCE_MAX_SETS: u64 = 2_000_000;

/// Enumerates every feasible open set and returns the best (ties to the lexicographically
/// smallest set). The solution is [`Status::Optimal`] with the bound equal to the objective.
///
/// # Errors
/// As [`Problem::new`], and [`Error::TooLarge`] when more than [`BRUTE_FORCE_MAX_SETS`] sets
/// would be enumerated.
///
/// ```
/// use cdnplan_core::solve::{brute_force, Constraints, Instance};
/// let inst = Instance::new(3, 3, vec![0.0, 1.0, 2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0], vec![1.0; 3])?;
/// let best = brute_force(&inst, &Constraints { p: 1, ..Default::default() })?;
/// assert_eq!((best.open, best.objective), (vec![1], 2.0));
/// # Ok::<(), cdnplan_core::Error>(())
/// ```
pub fn brute_force(instance: &Instance, constraints: &Constraints) -> Result<Solution> {
    let problem = Problem::new(instance, constraints)?;
    let fixed = problem.fixed_sites();
    let free: Vec<usize> = problem
        .allowed_sites()
        .into_iter()
        .filter(|&j| !problem.is_fixed(j))
        .collect();
    let k = problem.p() - fixed.len();
    let sets = binomial(free.len() as u64, k as u64);
    if sets > BRUTE_FORCE_MAX_SETS {
        return Err(Error::TooLarge {
            method: "brute force",
            detail: format!(
                "C({}, {k}) = {sets} open sets (limit {BRUTE_FORCE_MAX_SETS})",
                free.len()
            ),
        });
    }
    let mut best: Option<(f64, Vec<usize>)> = None;
    let mut pick: Vec<usize> = (0..k).collect();
    let mut open = Vec::with_capacity(problem.p());
    loop {
        open.clear();
        open.extend(fixed.iter().copied());
        open.extend(pick.iter().map(|&t| free[t]));
        open.sort_unstable();
        if problem.is_feasible(&open) {
            let value = instance.objective(&open);
            let better = best
                .as_ref()
                .is_none_or(|(b, set)| value.total_cmp(b).then_with(|| open.cmp(set)).is_lt());
            if better {
                best = Some((value, open.clone()));
            }
        }
        if !next_combination(&mut pick, free.len()) {
            break;
        }
    }
    // `Problem::new` proved some set feasible, and every set was visited.
    let (objective, open) = best.ok_or_else(|| Error::Infeasible("no feasible open set".into()))?;
    Ok(Solution {
        open,
        objective,
        lower_bound: objective,
        status: Status::Optimal,
        method: "brute-force".into(),
    })
}

/// Advances `pick` (ascending indices into `0..n`) to the next k-combination.
pub(crate) fn next_combination(pick: &mut [usize], n: usize) -> bool {
    let k = pick.len();
    for t in (0..k).rev() {
        if pick[t] < n - k + t {
            pick[t] += 1;
            for u in t + 1..k {
                pick[u] = pick[u - 1] + 1;
            }
            return true;
        }
    }
    false
}

pub(crate) fn binomial(n: u64, k: u64) -> u64 {
    if k > n {
        return 0;
    }
    let k = k.min(n - k);
    let mut r: u128 = 1;
    for t in 0..k {
        // Exact: r · (n − t) is divisible by t + 1 at every step.
        r = r * u128::from(n - t) / u128::from(t + 1);
        if r > u128::from(u64::MAX) {
            return u64::MAX;
        }
    }
    r as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_combinations() {
        assert_eq!(binomial(5, 2), 10);
        assert_eq!(binomial(40, 0), 1);
        let mut pick = vec![0, 1];
        let mut seen = 1;
        while next_combination(&mut pick, 5) {
            seen += 1;
        }
        assert_eq!(seen, 10);
    }

    #[test]
    fn refuses_huge_enumerations() {
        let n = 60;
        let inst = Instance::new(1, n, vec![1.0; n], vec![1.0]).unwrap();
        let e = brute_force(
            &inst,
            &Constraints {
                p: 30,
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(matches!(e, Error::TooLarge { .. }));
    }
}
