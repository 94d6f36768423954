//! Variable neighbourhood search (Hansen & Mladenović, "Variable neighborhood search for the
//! p-median", Location Science 5 (1997) 207–226) over the cached swap of [`FastSwap`](crate::solve::FastSwap).
//!
//! From a local optimum, *shake* with `k` random feasible swaps, descend again, and keep the
//! result when it is better (then start over at `k = 1`), otherwise restore the local
//! optimum and try `k + 1`; after `k_max`, start again at 1. The search stops after
//! `rounds` shakes in a row that found nothing better, or at the deadline. Every random
//! choice comes from the caller's generator, so a seed fixes the result.

use std::time::Instant;

use rand::RngExt;
use rand_pcg::Pcg64;

use super::Problem;
use super::swap::SwapState;

/// Variable neighbourhood search settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vns {
    /// Largest shake, in random swaps (capped by the number of movable sites).
    pub k_max: usize,
    /// Stop after this many shakes in a row without improvement, at most: the search stops
    /// after `max(25, 2·p)` idle shakes when that is fewer (small `p` has few neighbours
    /// worth shaking to, and each of its moves touches many clients).
    pub rounds: usize,
    /// Swap limit of each descent.
    pub max_swaps: usize,
}

impl Default for Vns {
    fn default() -> Self {
        Vns {
            k_max: 10,
            rounds: 400,
            max_swaps: 10_000,
        }
    }
}

/// What a VNS run did.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct VnsStats {
    /// Shakes tried.
    pub shakes: usize,
    /// Shakes that led to a better solution.
    pub improvements: usize,
    /// Whether the deadline stopped it.
    pub cut: bool,
}

impl Vns {
    /// Improves the feasible set `open` (sorted on return) by VNS.
    pub fn improve(
        &self,
        problem: &Problem<'_>,
        open: &mut Vec<usize>,
        rng: &mut Pcg64,
        deadline: Option<Instant>,
    ) -> VnsStats {
        let mut state = SwapState::new(problem, open);
        let stats = self.run(problem, &mut state, rng, deadline);
        *open = state.open_sorted();
        stats
    }

    /// VNS from `state` (descended first), leaving the best state found in it.
    pub(crate) fn run(
        &self,
        problem: &Problem<'_>,
        state: &mut SwapState,
        rng: &mut Pcg64,
        deadline: Option<Instant>,
    ) -> VnsStats {
        let mut stats = VnsStats::default();
        let expired = || deadline.is_some_and(|d| Instant::now() >= d);
        state.descend(problem, self.max_swaps, deadline);
        let movable = state
            .open()
            .iter()
            .filter(|&&j| !problem.is_fixed(j))
            .count();
        let closed_allowed = problem.n_allowed() - state.open().len();
        let k_max = self.k_max.min(movable).min(closed_allowed);
        if k_max == 0 {
            return stats;
        }
        let mut best = state.objective(problem);
        let mut k = 1;
        let mut idle = 0;
        let rounds = self.rounds.min((2 * problem.p()).max(25));
        while idle < rounds {
            if expired() {
                stats.cut = true;
                break;
            }
            stats.shakes += 1;
            let saved = state.clone();
            for _ in 0..k {
                if !shake_once(problem, state, rng) {
                    break;
                }
            }
            state.descend(problem, self.max_swaps, deadline);
            let value = state.objective(problem);
            if value < best - 1e-12 * best.abs() {
                best = value;
                stats.improvements += 1;
                k = 1;
                idle = 0;
            } else {
                *state = saved;
                k = if k >= k_max { 1 } else { k + 1 };
                idle += 1;
            }
        }
        stats
    }
}

/// One random feasible swap; `false` when none exists.
fn shake_once(problem: &Problem<'_>, state: &mut SwapState, rng: &mut Pcg64) -> bool {
    let removable: Vec<usize> = state
        .open()
        .iter()
        .copied()
        .filter(|&r| !problem.is_fixed(r))
        .collect();
    if removable.is_empty() {
        return false;
    }
    let r = removable[rng.random_range(0..removable.len())];
    // At the budget, an existing site can only make way for another existing one.
    let must_be_existing = problem.is_existing(r) && state.closed() >= problem.max_closed();
    let n_sites = problem.instance().n_sites;
    let candidates: Vec<usize> = (0..n_sites)
        .filter(|&f| {
            !state.is_open(f)
                && problem.is_allowed(f)
                && (!must_be_existing || problem.is_existing(f))
        })
        .collect();
    if candidates.is_empty() {
        return false;
    }
    let f = candidates[rng.random_range(0..candidates.len())];
    state.apply(problem, f, r);
    true
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::solve::testkit::{problem, scattered};
    use crate::solve::{Budget, Constraints, FastSwap, Greedy, brute_force};

    #[test]
    fn never_worse_than_its_start_and_reproducible() {
        let inst = scattered(80, 4);
        let pb = problem(&inst, 7);
        let mut start = Greedy::PURE.construct(&pb, &mut Pcg64::seed_from_u64(0));
        FastSwap { max_swaps: 1000 }.improve(&pb, &mut start, None);
        let run = || {
            let mut open = start.clone();
            Vns::default().improve(&pb, &mut open, &mut Pcg64::seed_from_u64(9), None);
            open
        };
        let a = run();
        assert!(inst.objective(&a) <= inst.objective(&start));
        assert_eq!(a, run());
    }

    #[test]
    fn finds_the_optimum_of_small_instances_under_a_budget() {
        let inst = scattered(14, 5);
        let c = Constraints {
            p: 4,
            fixed_open: vec![3],
            forbidden: vec![0],
            budget: Some(Budget {
                existing: vec![1, 2, 3, 4],
                max_closed: 2,
            }),
        };
        let pb = Problem::new(&inst, &c).unwrap();
        let exact = brute_force(&inst, &c).unwrap();
        let mut open = Greedy::PURE.construct(&pb, &mut Pcg64::seed_from_u64(0));
        Vns::default().improve(&pb, &mut open, &mut Pcg64::seed_from_u64(1), None);
        assert!(pb.is_feasible(&open), "{open:?}");
        assert_eq!(inst.objective(&open), exact.objective);
    }
}
