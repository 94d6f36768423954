//! The Lagrangian bound of the capacitated p-median: the assignment constraints
//! `Σ_j x_ij = 1` are relaxed with multipliers `λ_i`, which leaves one knapsack per site
//!
//! ```text
//! v_j(λ) = min { Σ_i (w_i c_ij − λ_i) · x_ij  :  Σ_i d_i x_ij ≤ Q_j,  x_ij ∈ {0, 1} or [0, 1] }
//! L(λ)   = Σ_i λ_i + min { Σ_{j ∈ S} v_j(λ) : S meets p, fixed-open, forbidden, budget }
//! ```
//!
//! (Mulvey & Beck 1984; Beasley 1993, "Lagrangean heuristics for location problems").
//! Single-source knapsacks are solved exactly by dynamic programming when every demand and
//! capacity is a whole number (else, like split ones, by their LP relaxation, which keeps
//! the bound valid); `λ` follows Polyak subgradient steps. Every open set the relaxation
//! picks is evaluated as a primal candidate, and the final multipliers fix away sites and
//! single-source pairs that cannot be part of a solution better than the incumbent.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{Assignment, Cache, Capacitated, select};

/// Most subgradient iterations.
const MAX_ITERATIONS: usize = 3_000;

/// Iterations without improvement before the step factor halves.
const PATIENCE: usize = 60;

/// The ascent stops when the step factor falls below this.
const MIN_STEP: f64 = 1e-4;

/// Largest capacity (in whole demand units) solved by dynamic programming.
const DP_MAX_CAPACITY: f64 = 100_000.0;

/// A Lagrangian lower bound of a capacitated problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityBound {
    /// The bound `L(λ)` at the best multipliers found.
    pub value: f64,
    /// Subgradient iterations run.
    pub iterations: usize,
    /// Whether the single-source knapsacks were solved exactly (whole-number demands and
    /// capacities); split knapsacks are always exact.
    pub exact_knapsacks: bool,
}

/// What the ascent leaves behind.
pub(crate) struct Ascent {
    pub value: f64,
    pub lambda: Vec<f64>,
    pub cut: bool,
    pub found_best: bool,
    pub exact: bool,
}

/// Sites and pairs that cannot be in a solution better than the incumbent.
pub(crate) struct Fixing {
    /// `closed[j]`: site `j` stays closed.
    pub closed: Vec<bool>,
    /// `off[i · m + j]`: client `i` is never served by site `j` (single-source only).
    pub off: Vec<bool>,
}

/// One knapsack per site at `λ`: `(v_j, items taken with their share)`.
fn knapsacks(
    cap: &Capacitated<'_, '_>,
    lambda: &[f64],
    exact: bool,
    taken: &mut [Vec<(usize, f64)>],
) -> Vec<f64> {
    let inst = cap.instance();
    let problem = cap.problem;
    let m = inst.n_sites;
    let mut value = vec![0.0; m];
    for j in 0..m {
        taken[j].clear();
        if !problem.is_allowed(j) {
            value[j] = f64::INFINITY;
            continue;
        }
        let items: Vec<(usize, f64)> = (0..inst.n_clients)
            .map(|i| (i, inst.weight[i] * inst.cost(i, j) - lambda[i]))
            .filter(|&(_, r)| r < 0.0)
            .collect();
        value[j] = if exact && cap.assignment == Assignment::SingleSource {
            knapsack_01(&items, cap.demand, cap.capacity[j], &mut taken[j])
        } else {
            knapsack_lp(&items, cap.demand, cap.capacity[j], &mut taken[j])
        };
    }
    value
}

/// LP knapsack: most negative reduced cost per unit of demand first.
fn knapsack_lp(items: &[(usize, f64)], d: &[f64], q: f64, taken: &mut Vec<(usize, f64)>) -> f64 {
    let mut order: Vec<(usize, f64)> = items.to_vec();
    let ratio = |&(i, r): &(usize, f64)| {
        if d[i] > 0.0 {
            r / d[i]
        } else {
            f64::NEG_INFINITY
        }
    };
    order.sort_by(|a, b| ratio(a).total_cmp(&ratio(b)).then(a.0.cmp(&b.0)));
    let mut room = q;
    let mut value = 0.0;
    for (i, r) in order {
        if d[i] <= room {
            room -= d[i];
            value += r;
            taken.push((i, 1.0));
        } else {
            if room > 0.0 {
                let x = room / d[i];
                value += r * x;
                taken.push((i, x));
            }
            break;
        }
    }
    value
}

/// 0-1 knapsack by dynamic programming over whole capacity units.
fn knapsack_01(items: &[(usize, f64)], d: &[f64], q: f64, taken: &mut Vec<(usize, f64)>) -> f64 {
    let q = q.floor() as usize;
    let k = items.len();
    // best[c]: least value with total demand ≤ c; keep[t][c]: item t taken at c.
    let mut best = vec![0.0_f64; q + 1];
    let mut keep = vec![false; k * (q + 1)];
    for (t, &(i, r)) in items.iter().enumerate() {
        let w = d[i] as usize;
        if w > q {
            continue;
        }
        for c in (w..=q).rev() {
            let v = best[c - w] + r;
            if v < best[c] {
                best[c] = v;
                keep[t * (q + 1) + c] = true;
            }
        }
    }
    let mut c = q;
    for t in (0..k).rev() {
        if keep[t * (q + 1) + c] {
            taken.push((items[t].0, 1.0));
            c -= d[items[t].0] as usize;
        }
    }
    best[q]
}

/// Whether single-source knapsacks can be solved exactly by [`knapsack_01`].
fn whole_units(cap: &Capacitated<'_, '_>) -> bool {
    let whole = |x: &f64| x.fract() == 0.0;
    cap.demand.iter().all(whole)
        && cap
            .capacity
            .iter()
            .all(|q| whole(q) && *q <= DP_MAX_CAPACITY)
}

/// Subgradient ascent from the incumbent cost `upper`, evaluating the open sets met and
/// improving `best`.
pub(crate) fn ascend(
    cap: &Capacitated<'_, '_>,
    upper: Option<f64>,
    deadline: Option<Instant>,
    cache: &mut Cache,
    best: &mut Option<(Vec<usize>, f64)>,
) -> Ascent {
    let inst = cap.instance();
    let problem = cap.problem;
    let n = inst.n_clients;
    let m = inst.n_sites;
    let exact = cap.assignment == Assignment::Split || whole_units(cap);
    let allowed = problem.allowed_sites();
    // λ_i starts at the weighted cost of the second-cheapest allowed site.
    let mut lambda: Vec<f64> = (0..n)
        .map(|i| {
            let order = problem.sites_by_cost(i);
            let j = order[1.min(order.len() - 1)] as usize;
            inst.weight[i] * inst.cost(i, j)
        })
        .collect();
    let fallback_upper: f64 = (0..n)
        .map(|i| {
            allowed
                .iter()
                .map(|&j| inst.weight[i] * inst.cost(i, j))
                .fold(0.0, f64::max)
        })
        .sum();
    let mut taken = vec![Vec::new(); m];
    let mut best_value = f64::NEG_INFINITY;
    let mut best_lambda = lambda.clone();
    let mut mu = 2.0;
    let mut stale = 0;
    let mut cut = false;
    let mut found_best = false;
    let mut g = vec![0.0; n];
    for _ in 0..MAX_ITERATIONS {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            cut = true;
            break;
        }
        let v = knapsacks(cap, &lambda, exact, &mut taken);
        let (sv, open) = select(problem, &v, None);
        let value = lambda.iter().sum::<f64>() + sv;
        if value > best_value + 1e-12 * value.abs() {
            best_value = value;
            best_lambda.clone_from(&lambda);
            stale = 0;
        } else {
            stale += 1;
            if stale >= PATIENCE {
                mu /= 2.0;
                stale = 0;
            }
        }
        // Primal candidate.
        if let Some(c) = cache.cost(cap, &open)
            && best.as_ref().is_none_or(|b| c < b.1 - 1e-9 * b.1.abs())
        {
            *best = Some((open.clone(), c));
            found_best = true;
        }
        let ub = best
            .as_ref()
            .map(|b| b.1)
            .or(upper)
            .unwrap_or(fallback_upper);
        if ub - best_value <= 1e-9 * ub.abs() || mu < MIN_STEP {
            break;
        }
        // Subgradient g_i = 1 − Σ_{j ∈ S} x_ij.
        g.iter_mut().for_each(|x| *x = 1.0);
        for &j in &open {
            for &(i, x) in &taken[j] {
                g[i] -= x;
            }
        }
        let norm: f64 = g.iter().map(|x| x * x).sum();
        if norm < 1e-18 {
            break;
        }
        let step = mu * (ub - value).max(1e-9 * ub.abs().max(1.0)) / norm;
        for i in 0..n {
            lambda[i] += step * g[i];
        }
    }
    Ascent {
        value: best_value,
        lambda: best_lambda,
        cut,
        found_best,
        exact,
    }
}

impl Ascent {
    /// The sites and (single-source) pairs that only solutions costing more than `upper`
    /// could use.
    pub fn fixing(&self, cap: &Capacitated<'_, '_>, upper: f64) -> Fixing {
        let inst = cap.instance();
        let problem = cap.problem;
        let (n, m) = (inst.n_clients, inst.n_sites);
        let mut taken = vec![Vec::new(); m];
        let v = knapsacks(cap, &self.lambda, self.exact, &mut taken);
        let base: f64 = self.lambda.iter().sum();
        let tol = 1e-7 * upper.abs().max(1.0);
        let mut closed = vec![false; m];
        let mut off = vec![false; n * m];
        for j in 0..m {
            if !problem.is_allowed(j) {
                closed[j] = true;
                continue;
            }
            let lj = base + select(problem, &v, Some(j)).0;
            if lj > upper + tol {
                closed[j] = true;
                continue;
            }
            if cap.assignment == Assignment::SingleSource {
                for i in 0..n {
                    // Forcing i into j's knapsack costs at least its reduced cost when that
                    // is not negative (the other items only lose room).
                    let r = inst.weight[i] * inst.cost(i, j) - self.lambda[i];
                    if r >= 0.0 && lj + r > upper + tol {
                        off[i * m + j] = true;
                    }
                }
            }
        }
        Fixing { closed, off }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_programming_beats_the_greedy_on_a_classic_knapsack() {
        // Capacity 10: items (demand, value) (6, −30), (5, −20), (5, −20).
        let d = [6.0, 5.0, 5.0];
        let items = [(0, -30.0), (1, -20.0), (2, -20.0)];
        let mut t = Vec::new();
        assert_eq!(knapsack_01(&items, &d, 10.0, &mut t), -40.0);
        t.sort_by_key(|x| x.0);
        assert_eq!(t, vec![(1, 1.0), (2, 1.0)]);
        let mut t = Vec::new();
        // The LP relaxation is lower: all of item 0 and 4/5 of item 1.
        assert_eq!(knapsack_lp(&items, &d, 10.0, &mut t), -46.0);
    }
}
