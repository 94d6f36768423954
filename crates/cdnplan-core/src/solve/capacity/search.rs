//! Swap local search and VNS over open sets, each candidate evaluated with its capacitated
//! assignment (the costly part), so candidates are screened first by the uncapacitated
//! objective and only the most promising [`SCREENED`] per pass are evaluated. Under a monthly
//! cost budget, sets above it are never candidates.

use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

use super::{Cache, Capacitated};

/// Candidate swaps evaluated per descent step, best screened first.
const SCREENED: usize = 60;

/// Random shakes of the VNS.
const SHAKES: usize = 40;

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
        for _ in 0..SHAKES {
            if self.expired() {
                break;
            }
            let shaken = self.shake(&open, k, &mut rng);
            let (o, c) = self.descend(cache, shaken);
            match c {
                Some(c) if c < cost - 1e-9 * cost.abs() => {
                    open = o;
                    cost = c;
                    k = 1;
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
            let mut moved = false;
            for (_, cand) in cands.into_iter().take(SCREENED) {
                if let Some(c) = cache.cost(self.cap, &cand)
                    && (current.is_infinite() || c < current - 1e-9 * current.abs())
                {
                    open = cand;
                    cost = Some(c);
                    moved = true;
                    break;
                }
            }
            if !moved {
                return (open, cost);
            }
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
