//! Swap local search with cached gains (Resende & Werneck, "A fast swap-based local search
//! procedure for location problems", Annals of Operations Research 150 (2007) 205–230),
//! best improvement, under every constraint.
//!
//! For each client `i` keep the nearest open site `n1(i)` at cost `d1(i)` and the second
//! nearest at `d2(i)`. Opening `f` and closing `r` lowers the objective by
//!
//! ```text
//! profit(f, r) = gain(f) − loss(r) + extra(f, r)
//! gain(f)      = Σ_i w_i · max(0, d1(i) − c_if)
//! loss(r)      = Σ_{i : n1(i) = r} w_i · (d2(i) − d1(i))
//! extra(f, r)  = Σ_{i : n1(i) = r, c_if < d2(i)} w_i · (d2(i) − max(c_if, d1(i)))
//! ```
//!
//! Each client contributes to `gain`, `loss` and `extra` only through the sites it ranks
//! before `d2(i)` (a prefix of its sites sorted by cost, [`Problem::sites_by_cost`]). The
//! three tables are kept between moves: after a swap only the clients whose `n1` or `n2`
//! changed take their contribution out and put the new one in, so a move costs `O(n)` to
//! find the affected clients plus their prefixes, and choosing the next move is a scan of
//! the `n_sites × p` table — pruned: `extra` is sparse, so with `Σ_r extra(f, r)` kept per
//! site, `gain(f) − min_r loss(r) + Σ_r extra(f, r)` bounds every move that opens `f`, and
//! a row whose bound falls short of a move already found is skipped (the move chosen is the
//! same as the full scan's). Whitaker's fast interchange recomputes everything per move, at
//! `O(n_sites · n_clients)`; on OR-Library instances the cached version is 10–100× faster.
//!
//! Moves keep the constraints: a fixed site never closes, a forbidden site never opens, and
//! closing an existing site for a new one is allowed only while the number of closed existing
//! sites stays within the budget.

use std::time::Instant;

use super::Problem;

/// Best-improvement swap local search with cached gains.
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
        let mut state = SwapState::new(problem, open);
        let stats = state.descend(problem, self.max_swaps, deadline);
        *open = state.open_sorted();
        stats
    }
}

/// `open` after a best-improvement descent of at most `max_swaps` swaps (sorted).
pub(crate) fn polish(
    problem: &Problem<'_>,
    open: &[usize],
    max_swaps: usize,
    deadline: Option<Instant>,
) -> Vec<usize> {
    let mut state = SwapState::new(problem, open);
    state.descend(problem, max_swaps, deadline);
    state.open_sorted()
}

/// A move: open `f`, close `r`, lowering the objective by `profit`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Move {
    pub(crate) profit: f64,
    pub(crate) open: usize,
    pub(crate) close: usize,
}

/// The open set with its nearest / second-nearest tables and the cached move values.
#[derive(Debug, Clone)]
pub(crate) struct SwapState {
    /// Slot of each open site in `open`, `usize::MAX` when closed.
    slot: Vec<usize>,
    /// The open sites, by slot.
    open: Vec<usize>,
    n1: Vec<u32>,
    n2: Vec<u32>,
    d1: Vec<f64>,
    d2: Vec<f64>,
    gain: Vec<f64>,
    /// By slot.
    loss: Vec<f64>,
    /// `extra[f · p + slot]`.
    extra: Vec<f64>,
    /// `Σ_slot extra[f · p + slot]` per site.
    extra_sum: Vec<f64>,
    /// Existing sites closed.
    closed: usize,
    /// Stand-in cost of "no second open site" (only when `p = 1`): above every cost.
    big: f64,
    /// Scratch: clients touched by the current move.
    affected: Vec<usize>,
}

/// `u32` marker for "no site".
const NONE: u32 = u32::MAX;

impl SwapState {
    /// The state of the feasible open set `open`.
    pub(crate) fn new(problem: &Problem<'_>, open: &[usize]) -> Self {
        let inst = problem.instance();
        let (n, m, p) = (inst.n_clients, inst.n_sites, open.len());
        let max_cost = inst.cost.iter().copied().fold(0.0, f64::max);
        let mut slot = vec![usize::MAX; m];
        for (s, &j) in open.iter().enumerate() {
            slot[j] = s;
        }
        let mut state = SwapState {
            slot,
            open: open.to_vec(),
            n1: vec![NONE; n],
            n2: vec![NONE; n],
            d1: vec![0.0; n],
            d2: vec![0.0; n],
            gain: vec![0.0; m],
            loss: vec![0.0; p],
            extra: vec![0.0; m * p],
            extra_sum: vec![0.0; m],
            closed: problem.closed_count(open),
            big: 2.0 * max_cost + 1.0,
            affected: Vec::new(),
        };
        for i in 0..n {
            state.locate(problem, i);
            state.contribute(problem, i, 1.0);
        }
        state
    }

    /// The open sites, sorted.
    pub(crate) fn open_sorted(&self) -> Vec<usize> {
        let mut v = self.open.clone();
        v.sort_unstable();
        v
    }

    /// `Σ_i w_i · d1(i)`, in client order.
    pub(crate) fn objective(&self, problem: &Problem<'_>) -> f64 {
        let w = &problem.instance().weight;
        w.iter().zip(&self.d1).map(|(w, d)| w * d).sum()
    }

    /// Whether site `j` is open.
    pub(crate) fn is_open(&self, j: usize) -> bool {
        self.slot[j] != usize::MAX
    }

    /// The open sites, by slot.
    pub(crate) fn open(&self) -> &[usize] {
        &self.open
    }

    /// Existing sites closed.
    pub(crate) fn closed(&self) -> usize {
        self.closed
    }

    /// Sets `n1, d1, n2, d2` of client `i` from its sorted sites.
    fn locate(&mut self, problem: &Problem<'_>, i: usize) {
        let inst = problem.instance();
        let row = &inst.cost[i * inst.n_sites..(i + 1) * inst.n_sites];
        let (mut n1, mut n2) = (NONE, NONE);
        for &j in problem.sites_by_cost(i) {
            if self.slot[j as usize] != usize::MAX {
                if n1 == NONE {
                    n1 = j;
                } else {
                    n2 = j;
                    break;
                }
            }
        }
        if n2 == NONE && !problem.order_is_complete() {
            // The list ends before the second open site: rank the open sites themselves.
            let by =
                |a: &u32, b: &u32| row[*a as usize].total_cmp(&row[*b as usize]).then(a.cmp(b));
            let (mut a, mut b) = (NONE, NONE);
            for &j in &self.open {
                let j = j as u32;
                if a == NONE || by(&j, &a).is_lt() {
                    b = a;
                    a = j;
                } else if b == NONE || by(&j, &b).is_lt() {
                    b = j;
                }
            }
            (n1, n2) = (a, b);
        }
        self.n1[i] = n1;
        self.n2[i] = n2;
        self.d1[i] = if n1 == NONE {
            self.big
        } else {
            row[n1 as usize]
        };
        self.d2[i] = if n2 == NONE {
            self.big
        } else {
            row[n2 as usize]
        };
    }

    /// Adds (`sign = 1`) or removes (`sign = −1`) client `i`'s share of the tables.
    fn contribute(&mut self, problem: &Problem<'_>, i: usize, sign: f64) {
        let inst = problem.instance();
        let w = inst.weight[i];
        let n1 = self.n1[i];
        if w == 0.0 || n1 == NONE {
            return;
        }
        let sw = sign * w;
        let (d1, d2) = (self.d1[i], self.d2[i]);
        let s = self.slot[n1 as usize];
        let p = self.open.len();
        self.loss[s] += sw * (d2 - d1);
        let row = &inst.cost[i * inst.n_sites..(i + 1) * inst.n_sites];
        let mut add = |f: usize, c: f64| {
            if c < d1 {
                self.gain[f] += sw * (d1 - c);
            }
            let v = sw * (d2 - c.max(d1));
            self.extra[f * p + s] += v;
            self.extra_sum[f] += v;
        };
        for &f in problem.sites_by_cost(i) {
            let c = row[f as usize];
            if c >= d2 {
                return;
            }
            add(f as usize, c);
        }
        // Every listed site is nearer than d2: the rest of the row may hold more.
        for (f, c) in problem.sites_beyond(i) {
            if c < d2 {
                add(f as usize, c);
            }
        }
    }

    /// The most profitable feasible move; ties go to the lowest `(f, r)` by scan order.
    pub(crate) fn best_move(&self, problem: &Problem<'_>) -> Option<Move> {
        let p = self.open.len();
        // Per slot: whether it may close, and whether closing it spends budget.
        let removable: Vec<bool> = self.open.iter().map(|&r| !problem.is_fixed(r)).collect();
        let budget_left = problem.max_closed() > self.closed;
        // The slot that may close for `f` at the least loss: any removable one, or, when `f`
        // is new and the budget is spent, a removable slot holding a new site.
        let cheapest = |new_only: bool| {
            (0..p)
                .filter(|&s| removable[s] && (!new_only || !problem.is_existing(self.open[s])))
                .min_by(|&a, &b| self.loss[a].total_cmp(&self.loss[b]).then(a.cmp(&b)))
        };
        let (any_slot, new_slot) = (cheapest(false), cheapest(true));
        let slot_for = |f: usize| {
            if !problem.is_existing(f) && !budget_left {
                new_slot
            } else {
                any_slot
            }
        };
        let candidate = |f: usize| !self.is_open(f) && problem.is_allowed(f);
        // A profit some valid move reaches: rows that cannot beat it need no scan.
        let mut threshold = f64::NEG_INFINITY;
        for f in (0..self.gain.len()).filter(|&f| candidate(f)) {
            if let Some(s) = slot_for(f) {
                threshold = threshold.max(self.gain[f] - self.loss[s] + self.extra[f * p + s]);
            }
        }
        // `loss` with +∞ for the slots a move may not close (so their profit is −∞ and the
        // scan needs no branch): for any site, and for a new site once the budget is spent.
        let closable = |new_only: bool| -> Vec<f64> {
            (0..p)
                .map(|s| {
                    let ok = removable[s] && (!new_only || !problem.is_existing(self.open[s]));
                    if ok { self.loss[s] } else { f64::INFINITY }
                })
                .collect()
        };
        let (loss_any, loss_new) = (closable(false), closable(true));
        let mut best: Option<Move> = None;
        for f in 0..self.gain.len() {
            if !candidate(f) {
                continue;
            }
            let Some(s0) = slot_for(f) else { continue };
            let g = self.gain[f];
            // Every `extra` entry is ≥ 0 (up to rounding residue, covered by the margin).
            let bound = g - self.loss[s0] + self.extra_sum[f];
            let margin =
                1e-9 * (g.abs() + self.loss[s0].abs() + self.extra_sum[f].abs()) + 1e-12 * self.big;
            if bound + margin < threshold {
                continue;
            }
            let loss = if !problem.is_existing(f) && !budget_left {
                &loss_new
            } else {
                &loss_any
            };
            let row = &self.extra[f * p..(f + 1) * p];
            let (mut top, mut at) = (f64::NEG_INFINITY, usize::MAX);
            for (s, (&l, &e)) in loss.iter().zip(row).enumerate() {
                let profit = g - l + e;
                if profit > top {
                    top = profit;
                    at = s;
                }
            }
            if at != usize::MAX && best.is_none_or(|b| top > b.profit) {
                best = Some(Move {
                    profit: top,
                    open: f,
                    close: self.open[at],
                });
                threshold = threshold.max(top);
            }
        }
        best
    }

    /// Opens `f` and closes `r` (`f` closed and allowed, `r` open), updating the tables.
    pub(crate) fn apply(&mut self, problem: &Problem<'_>, f: usize, r: usize) {
        let s = self.slot[r];
        debug_assert!(s != usize::MAX && self.slot[f] == usize::MAX);
        let col = problem.site_costs(f);
        let mut affected = std::mem::take(&mut self.affected);
        affected.clear();
        let r32 = r as u32;
        for (i, &c) in col.iter().enumerate() {
            if self.n1[i] == r32 || self.n2[i] == r32 || c < self.d2[i] {
                affected.push(i);
            }
        }
        for &i in &affected {
            self.contribute(problem, i, -1.0);
        }
        // Only clients with n1 = r fed slot s: clear its rounding residue.
        let p = self.open.len();
        self.loss[s] = 0.0;
        for (row, sum) in self.extra.chunks_exact_mut(p).zip(&mut self.extra_sum) {
            *sum -= row[s];
            row[s] = 0.0;
        }
        self.slot[r] = usize::MAX;
        self.slot[f] = s;
        self.open[s] = f;
        if problem.is_existing(r) {
            self.closed += 1;
        }
        if problem.is_existing(f) {
            self.closed -= 1;
        }
        for &i in &affected {
            self.locate(problem, i);
            self.contribute(problem, i, 1.0);
        }
        self.affected = affected;
    }

    /// Best-improvement descent to a local optimum (or `max_swaps`, or `deadline`).
    pub(crate) fn descend(
        &mut self,
        problem: &Problem<'_>,
        max_swaps: usize,
        deadline: Option<Instant>,
    ) -> SearchStats {
        let mut stats = SearchStats::default();
        let mut objective = self.objective(problem);
        loop {
            if stats.swaps >= max_swaps || deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            stats.scans += 1;
            let tolerance = 1e-12 * objective.abs().max(1e-300);
            match self.best_move(problem) {
                Some(mv) if mv.profit > tolerance => {
                    self.apply(problem, mv.open, mv.close);
                    let next = self.objective(problem);
                    if next >= objective {
                        // Rounding made a profit out of nothing: undo and stop.
                        self.apply(problem, mv.close, mv.open);
                        stats.local_optimum = true;
                        break;
                    }
                    objective = next;
                    stats.swaps += 1;
                }
                _ => {
                    stats.local_optimum = true;
                    break;
                }
            }
        }
        stats
    }
}

#[cfg(test)]
mod tests {
    use crate::solve::testkit::{line, problem, two_clusters};
    use proptest::prelude::*;
    use rand::{RngExt, SeedableRng};
    use rand_pcg::Pcg64;

    use super::*;
    use crate::solve::{Budget, Constraints, Greedy, Instance};

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

    fn random_instance(n: usize, m: usize, seed: u64) -> Instance {
        let mut rng = Pcg64::seed_from_u64(seed);
        let cost = (0..n * m).map(|_| rng.random_range(0..50) as f64).collect();
        let weight = (0..n).map(|_| rng.random_range(0..4) as f64).collect();
        Instance::new(n, m, cost, weight).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The cached profits equal the objective change of every move, after any sequence
        /// of moves (ties and zero weights included).
        #[test]
        fn cached_profits_match_recomputed_objectives(
            n in 1usize..25, m in 2usize..12, seed in any::<u64>(), moves in 0usize..6
        ) {
            let inst = random_instance(n, m, seed);
            let p = 1 + (seed as usize % (m - 1));
            let pb = problem(&inst, p);
            let mut state = SwapState::new(&pb, &(0..p).collect::<Vec<_>>());
            let mut rng = Pcg64::seed_from_u64(seed ^ 1);
            for _ in 0..moves {
                let f = (0..m).filter(|&j| !state.is_open(j)).nth(rng.random_range(0..m - p)).unwrap();
                let r = state.open()[rng.random_range(0..p)];
                state.apply(&pb, f, r);
            }
            let fresh = SwapState::new(&pb, state.open());
            let now = inst.objective(&state.open_sorted());
            prop_assert!((state.objective(&pb) - now).abs() < 1e-9);
            for f in (0..m).filter(|&j| !state.is_open(j)) {
                for (s, &r) in state.open().iter().enumerate() {
                    let mut after: Vec<usize> = state.open().to_vec();
                    after[s] = f;
                    let expected = now - inst.objective(&after);
                    let p_len = state.open().len();
                    let cached = state.gain[f] - state.loss[s] + state.extra[f * p_len + s];
                    let rebuilt = fresh.gain[f] - fresh.loss[s] + fresh.extra[f * p_len + s];
                    prop_assert!((cached - expected).abs() < 1e-9, "f {f} r {r}: {cached} vs {expected}");
                    prop_assert!((rebuilt - expected).abs() < 1e-9);
                }
            }
        }
    }
}
