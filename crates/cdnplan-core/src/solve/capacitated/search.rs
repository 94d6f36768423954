//! Swap local search and VNS over open sets, each candidate evaluated with its capacitated
//! assignment (the costly part), so candidates are screened first by the uncapacitated
//! objective and only the most promising [`SCREENED`] per pass are evaluated. Under a monthly
//! cost budget, sets above it are never candidates.
//!
//! A candidate's single-source assignment is the cheaper of one built from scratch and one
//! grown from the current set's assignment ([`Capacitated::assign_from`]): most clients keep
//! their site, which a construction from scratch rarely finds again once capacities bind.
//! When no screened swap improves, the medians are relocated within their clusters
//! ([`relocate_medians`]) before the descent gives up. On pmedcap20 these two took the
//! search from 1022 to the published optimum 1005.

use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

use super::relocate::relocate_medians;
use super::{Assigned, Cache, Capacitated};

/// Candidate swaps evaluated per descent step, best screened first.
const SCREENED: usize = 60;

/// The VNS stops after this many shakes in a row without improvement…
const SHAKES: usize = 300;

/// …or after this many shakes in all.
const MAX_SHAKES: usize = 2_000;

/// Largest shake (sites swapped at random).
const K_MAX: usize = 3;

/// The search.
pub(crate) struct Search<'c, 'p, 'a> {
    cap: &'c Capacitated<'p, 'a>,
    seed: u64,
    deadline: Option<Instant>,
}

impl<'c, 'p, 'a> Search<'c, 'p, 'a> {
    pub fn new(cap: &'c Capacitated<'p, 'a>, seed: u64, deadline: Option<Instant>) -> Self {
        Search {
            cap,
            seed,
            deadline,
        }
    }

    fn expired(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// Descends from every start, then shakes the best; the best feasible set and its cost.
    pub fn run(&self, cache: &mut Cache, starts: &[Vec<usize>]) -> Option<(Vec<usize>, f64)> {
        let mut best: Option<(Vec<usize>, f64)> = None;
        for s in starts {
            let (open, cost) = self.descend(cache, s.clone());
            if let Some(c) = cost
                && best.as_ref().is_none_or(|b| (c, &open) < (b.1, &b.0))
            {
                best = Some((open, c));
            }
        }
        let (mut open, mut cost) = best.clone()?;
        let mut rng = Pcg64::seed_from_u64(self.seed);
        let mut k = 1;
        let mut stale = 0;
        for _ in 0..MAX_SHAKES {
            if self.expired() || stale >= SHAKES {
                break;
            }
            stale += 1;
            let shaken = self.shake(&open, k, &mut rng);
            let (o, c) = self.descend(cache, shaken);
            match c {
                Some(c) if c < cost - 1e-9 * cost.abs() => {
                    open = o;
                    cost = c;
                    k = 1;
                    stale = 0;
                }
                _ => k = k % K_MAX + 1,
            }
        }
        Some((open, cost))
    }

    /// `k` random feasible swaps of `open`.
    fn shake(&self, open: &[usize], k: usize, rng: &mut Pcg64) -> Vec<usize> {
        let problem = self.cap.problem;
        let mut cur = open.to_vec();
        for _ in 0..k {
            let outs: Vec<usize> = cur
                .iter()
                .copied()
                .filter(|&j| !problem.is_fixed(j))
                .collect();
            let ins: Vec<usize> = problem
                .allowed_sites()
                .into_iter()
                .filter(|j| cur.binary_search(j).is_err())
                .collect();
            if outs.is_empty() || ins.is_empty() {
                break;
            }
            for _ in 0..20 {
                let o = outs[rng.random_range(0..outs.len())];
                let i = ins[rng.random_range(0..ins.len())];
                let cand = swapped(&cur, o, i);
                if problem.is_feasible(&cand) && self.cap.within_budget(&cand) {
                    cur = cand;
                    break;
                }
            }
        }
        cur
    }

    /// First-improvement swap descent (infeasible sets cost `+∞`).
    pub fn descend(&self, cache: &mut Cache, mut open: Vec<usize>) -> (Vec<usize>, Option<f64>) {
        let problem = self.cap.problem;
        let inst = problem.instance();
        let mut cost = cache.cost(self.cap, &open);
        loop {
            if self.expired() {
                return (open, cost);
            }
            let mut cands: Vec<(f64, Vec<usize>)> = Vec::new();
            for &o in open.iter().filter(|&&j| !problem.is_fixed(j)) {
                for i in problem.allowed_sites() {
                    if open.binary_search(&i).is_ok() {
                        continue;
                    }
                    let cand = swapped(&open, o, i);
                    if problem.is_feasible(&cand) && self.cap.within_budget(&cand) {
                        cands.push((inst.objective(&cand), cand));
                    }
                }
            }
            cands.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
            let current = cost.unwrap_or(f64::INFINITY);
            let from = cache.get(self.cap, &open).cloned();
            let mut moved = false;
            for (_, cand) in cands.into_iter().take(SCREENED) {
                if let Some(c) = self.evaluate(cache, &cand, from.as_ref())
                    && (current.is_infinite() || c < current - 1e-9 * current.abs())
                {
                    open = cand;
                    cost = Some(c);
                    moved = true;
                    break;
                }
            }
            if !moved {
                match self.relocated(cache, &open, current) {
                    Some((o, c)) => {
                        open = o;
                        cost = Some(c);
                    }
                    None => return (open, cost),
                }
            }
        }
    }

    /// The open set [`relocate_medians`] reaches from `open` (of cost `current`), with its
    /// cost, when that is lower.
    fn relocated(
        &self,
        cache: &mut Cache,
        open: &[usize],
        current: f64,
    ) -> Option<(Vec<usize>, f64)> {
        if current.is_infinite() {
            return None;
        }
        let from = cache.get(self.cap, open)?.clone();
        let cand = relocate_medians(self.cap, open, &from.shares)?;
        let c = self.evaluate(cache, &cand, Some(&from))?;
        (c < current - 1e-9 * current.abs()).then_some((cand, c))
    }

    /// The cost of `open`: the cheaper of its own assignment and, when given, one grown
    /// from `from` (see [`Capacitated::assign_from`]).
    fn evaluate(&self, cache: &mut Cache, open: &[usize], from: Option<&Assigned>) -> Option<f64> {
        let cold = cache.cost(self.cap, open);
        match from.and_then(|f| self.cap.assign_from(open, f)) {
            Some(warm) => Some(cache.offer(open, warm)),
            None => cold,
        }
    }
}

/// `open` with `out` replaced by `inn`, sorted.
fn swapped(open: &[usize], out: usize, inn: usize) -> Vec<usize> {
    let mut v: Vec<usize> = open
        .iter()
        .map(|&j| if j == out { inn } else { j })
        .collect();
    v.sort_unstable();
    v
}
