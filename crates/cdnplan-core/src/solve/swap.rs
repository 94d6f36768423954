//! Swap local search: Whitaker's fast interchange (Whitaker 1983, "A fast algorithm for the
//! greedy interchange for large-scale clustering and median location problems", INFOR
//! 21:95–108), best improvement, under every constraint.
//!
//! For each client `i` keep the nearest open site `n1(i)` at cost `d1(i)` and the second
//! nearest at `d2(i)`. Opening `f` and closing `r` changes the objective by
//!
//! ```text
//! Δ(f, r) = −gain(f) + loss(f, r)
//! gain(f)    = Σ_i w_i · max(0, d1(i) − c_if)
//! loss(f, r) = Σ_{i : n1(i) = r} w_i · (min(d2(i), c_if) − min(d1(i), c_if))
//! ```
//!
//! `loss(f, ·)` for every `r` at once costs `O(n)` (start from `Σ_{n1(i)=r} w_i (d2(i) − d1(i))`
//! and correct only the clients with `c_if < d2(i)`), so a whole neighbourhood scan is
//! `O(n_sites · (n_clients + p))` instead of `O(p · n_sites · n_clients)`.
//!
//! Moves keep the constraints: a fixed site never closes, a forbidden site never opens, and
//! closing an existing site for a new one is allowed only while the number of closed existing
//! sites stays within the budget.

use std::time::Instant;

use super::Problem;

/// Best-improvement fast interchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FastSwap {
    /// Stop after this many improving swaps.
    pub max_swaps: usize,
}

/// What a local search did.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SearchStats {
    /// Improving swaps applied.
    pub swaps: usize,
    /// Neighbourhood scans run.
    pub scans: usize,
    /// Whether it stopped at a local optimum (not at the swap limit or the deadline).
    pub local_optimum: bool,
}

impl FastSwap {
    /// Improves the feasible set `open` in place (sorted on return); stops at a local
    /// optimum, after `max_swaps` swaps, or at `deadline`.
    pub fn improve(
        &self,
        problem: &Problem<'_>,
        open: &mut Vec<usize>,
        deadline: Option<Instant>,
    ) -> SearchStats {
        let mut state = State::new(problem, open);
        let mut stats = SearchStats::default();
        let m = problem.instance().n_sites;
        let mut loss = vec![0.0; m];
        let mut base = vec![0.0; m];
        loop {
            if stats.swaps >= self.max_swaps || deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            stats.scans += 1;
            let objective = state.objective(problem);
            let tolerance = 1e-12 * objective.abs().max(1e-300);
            match state.best_swap(problem, &mut base, &mut loss) {
                Some((delta, f, r)) if delta < -tolerance => {
                    state.apply(problem, f, r);
                    if state.objective(problem) >= objective {
                        // Rounding made a "gain" out of nothing: undo and stop.
                        state.apply(problem, r, f);
                        stats.local_optimum = true;
                        break;
                    }
                    stats.swaps += 1;
                }
                _ => {
                    stats.local_optimum = true;
                    break;
                }
            }
        }
        *open = state.open_list.clone();
        open.sort_unstable();
        stats
    }
}

/// Nearest / second-nearest bookkeeping for one open set.
struct State {
    is_open: Vec<bool>,
    open_list: Vec<usize>,
    n1: Vec<usize>,
    n2: Vec<usize>,
    d1: Vec<f64>,
    d2: Vec<f64>,
    closed: usize,
    /// Stand-in for "no second open site": larger than every cost, so `min(d2, c) = c`.
    big: f64,
}

impl State {
    fn new(problem: &Problem<'_>, open: &[usize]) -> Self {
        let inst = problem.instance();
        let n = inst.n_clients;
        let max_cost = inst.cost.iter().copied().fold(0.0, f64::max);
        let mut is_open = vec![false; inst.n_sites];
        for &j in open {
            is_open[j] = true;
        }
        let mut s = State {
            is_open,
            open_list: open.to_vec(),
            n1: vec![usize::MAX; n],
            n2: vec![usize::MAX; n],
            d1: vec![0.0; n],
            d2: vec![0.0; n],
            closed: problem.closed_count(open),
            big: 2.0 * max_cost + 1.0,
        };
        for i in 0..n {
            s.recompute(problem, i);
        }
        s
    }

    fn recompute(&mut self, problem: &Problem<'_>, i: usize) {
        let inst = problem.instance();
        let row = &inst.cost[i * inst.n_sites..(i + 1) * inst.n_sites];
        let (mut n1, mut d1, mut n2, mut d2) = (usize::MAX, self.big, usize::MAX, self.big);
        for &j in &self.open_list {
            let c = row[j];
            if c < d1 || (c == d1 && j < n1) {
                (n2, d2) = (n1, d1);
                (n1, d1) = (j, c);
            } else if c < d2 || (c == d2 && j < n2) {
                (n2, d2) = (j, c);
            }
        }
        self.n1[i] = n1;
        self.d1[i] = d1;
        self.n2[i] = n2;
        self.d2[i] = d2;
    }

    fn objective(&self, problem: &Problem<'_>) -> f64 {
        problem
            .instance()
            .weight
            .iter()
            .zip(&self.d1)
            .map(|(w, d)| w * d)
            .sum()
    }

    /// The best move `(Δ, open f, close r)`; ties go to the lowest `(f, r)`.
    fn best_swap(
        &self,
        problem: &Problem<'_>,
        base: &mut [f64],
        loss: &mut [f64],
    ) -> Option<(f64, usize, usize)> {
        let inst = problem.instance();
        let w = &inst.weight;
        for &r in &self.open_list {
            base[r] = 0.0;
        }
        for i in 0..inst.n_clients {
            base[self.n1[i]] += w[i] * (self.d2[i] - self.d1[i]);
        }
        let removable: Vec<usize> = {
            let mut v: Vec<usize> = self
                .open_list
                .iter()
                .copied()
                .filter(|&r| !problem.is_fixed(r))
                .collect();
            v.sort_unstable();
            v
        };
        if removable.is_empty() {
            return None;
        }
        let budget_left = problem.max_closed() > self.closed;
        let mut best: Option<(f64, usize, usize)> = None;
        for f in 0..inst.n_sites {
            if self.is_open[f] || !problem.is_allowed(f) {
                continue;
            }
            let f_existing = problem.is_existing(f);
            let col = problem.site_costs(f);
            for &r in &removable {
                loss[r] = base[r];
            }
            let mut gain = 0.0;
            for (i, &c) in col.iter().enumerate() {
                let (d1, d2) = (self.d1[i], self.d2[i]);
                if c < d2 {
                    let r = self.n1[i];
                    if c < d1 {
                        gain += w[i] * (d1 - c);
                        loss[r] -= w[i] * (d2 - d1);
                    } else {
                        loss[r] -= w[i] * (d2 - c);
                    }
                }
            }
            for &r in &removable {
                // Closing an existing site for a new one spends one unit of the budget.
                if problem.is_existing(r) && !f_existing && !budget_left {
                    continue;
                }
                let delta = loss[r] - gain;
                if best.is_none_or(|(b, _, _)| delta < b) {
                    best = Some((delta, f, r));
                }
            }
        }
        best
    }

    /// Opens `f`, closes `r`, and updates the nearest / second-nearest tables.
    fn apply(&mut self, problem: &Problem<'_>, f: usize, r: usize) {
        self.is_open[r] = false;
        self.is_open[f] = true;
        if let Some(slot) = self.open_list.iter_mut().find(|j| **j == r) {
            *slot = f;
        }
        if problem.is_existing(r) {
            self.closed += 1;
        }
        if problem.is_existing(f) {
            self.closed -= 1;
        }
        let col = problem.site_costs(f);
        for (i, &c) in col.iter().enumerate() {
            if self.n1[i] == r || self.n2[i] == r {
                self.recompute(problem, i);
            } else if c < self.d1[i] || (c == self.d1[i] && f < self.n1[i]) {
                (self.n2[i], self.d2[i]) = (self.n1[i], self.d1[i]);
                (self.n1[i], self.d1[i]) = (f, c);
            } else if c < self.d2[i] || (c == self.d2[i] && f < self.n2[i]) {
                (self.n2[i], self.d2[i]) = (f, c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::solve::testkit::{line, problem, two_clusters};
    use rand::SeedableRng;
    use rand_pcg::Pcg64;

    use super::*;
    use crate::solve::{Budget, Constraints, Greedy};

    #[test]
    fn moves_a_bad_start_to_the_median() {
        let inst = line(9);
        let pb = problem(&inst, 1);
        let mut open = vec![0];
        let stats = FastSwap { max_swaps: 100 }.improve(&pb, &mut open, None);
        assert_eq!(open, vec![4]);
        assert!(stats.local_optimum);
    }

    #[test]
    fn two_medians_of_two_clusters() {
        let inst = two_clusters();
        let pb = problem(&inst, 2);
        let mut open = vec![0, 2];
        FastSwap { max_swaps: 100 }.improve(&pb, &mut open, None);
        assert_eq!(open, vec![1, 4]);
        assert_eq!(inst.objective(&open), 4.0);
    }

    #[test]
    fn never_exceeds_the_budget() {
        let inst = line(12);
        let c = Constraints {
            p: 3,
            fixed_open: vec![0],
            budget: Some(Budget {
                existing: vec![0, 1, 2],
                max_closed: 1,
            }),
            ..Default::default()
        };
        let pb = Problem::new(&inst, &c).unwrap();
        let mut open = Greedy::PURE.construct(&pb, &mut Pcg64::seed_from_u64(0));
        FastSwap { max_swaps: 100 }.improve(&pb, &mut open, None);
        assert!(pb.is_feasible(&open), "{open:?}");
        assert!(open.contains(&0));
        assert_eq!(pb.closed_count(&open), 1);
    }

    #[test]
    fn swap_limit_stops_early() {
        let inst = line(9);
        let pb = problem(&inst, 1);
        let mut open = vec![0];
        let stats = FastSwap { max_swaps: 0 }.improve(&pb, &mut open, None);
        assert_eq!(
            (open, stats.swaps, stats.local_optimum),
            (vec![0], 0, false)
        );
    }
}
