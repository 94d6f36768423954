//! Exact depth-first search over the [reduced model](super::reduce).
//!
//! A layout is how many sites of each group open. The search decides the groups one at a
//! time — existing groups first, so that the relocation budget is settled early, then the
//! others by decreasing demand within reach — trying the largest count first, and prunes a
//! branch whose lower bound cannot beat the best layout known. The bound at a branch with `R`
//! sites still to open is the larger of two valid ones:
//!
//! - **dead rows**: a row whose covers so far plus what the undecided groups could still add
//!   (at most `R`) stay below its need is uncovered in every completion;
//! - **credit**: a row still short of `d_r` covers can only be covered by `d_r` openings among
//!   the undecided groups, so giving every opening a credit of `w_r / d_r` for each such row
//!   it reaches, the weight those openings can cover is at most the sum of the `R` largest
//!   credits (a site kind holding at most what the budget lets it open). This is the linear
//!   relaxation's bound on a cardinality-constrained cover.
//!
//! Before the search, **dominance** between groups is noted: when group `a` covers every row
//! group `b` covers and is of a kind the budget likes no less (existing, or `b` is not),
//! moving an opening from `b` to `a` never loses a cover and never spends budget, so some
//! optimal layout opens `b` only once every site of `a` is open. The search keeps to such
//! layouts, which removes most of the symmetric and wasteful branches when sites are free
//! to move.
//!
//! A search that ends proves its best layout optimal; one the deadline or its node budget
//! cuts short proves nothing.

use std::time::Instant;

use super::reduce::Reduced;

/// What the search found.
#[derive(Debug, Clone)]
pub(super) struct Found {
    /// The best layout found that beats the incumbent (counts per group, in the model's
    /// group order), if any.
    pub counts: Option<Vec<usize>>,
    /// Whether the search ended, proving `value` optimal.
    pub proven: bool,
    /// A lower bound on every layout's value: the bound at the root of the search.
    pub root_bound: f64,
}

/// Searches `model` for a layout of value below `incumbent` (the value of a known feasible
/// layout), within `deadline` and `max_nodes` branches.
pub(super) fn search(
    model: &Reduced,
    incumbent: f64,
    deadline: Option<Instant>,
    max_nodes: u64,
) -> Found {
    let mut s = Search::new(model, incumbent, deadline, max_nodes);
    let root_bound = if model.open_left == 0 {
        model.constant + s.uncovered()
    } else {
        s.bound(0, model.open_left, model.existing_left)
    };
    let proven = s.visit(0, model.open_left, model.existing_left);
    let counts = s.best_counts.map(|by_position| {
        let mut counts = vec![0; model.groups.len()];
        for (t, &g) in s.order.iter().enumerate() {
            counts[g] = by_position[t];
        }
        counts
    });
    Found {
        counts,
        proven,
        root_bound,
    }
}

struct Search<'a> {
    model: &'a Reduced,
    /// Groups in search order.
    order: Vec<usize>,
    /// Multiplicity and kind of the group at each position.
    size: Vec<usize>,
    existing: Vec<bool>,
    /// Capacity (all, existing) of the positions from `t` on.
    cap_from: Vec<usize>,
    existing_from: Vec<usize>,
    /// For each row, the positions of the groups covering it (ascending) and, per entry, the
    /// capacity of those positions from that entry on.
    row_positions: Vec<Vec<u32>>,
    row_reach_from: Vec<Vec<usize>>,
    /// For each position, the earlier positions that dominate it.
    dominators: Vec<Vec<u32>>,
    /// Covers so far per row, and the counts chosen per position.
    covers: Vec<usize>,
    counts: Vec<usize>,
    best: f64,
    best_counts: Option<Vec<usize>>,
    eps: f64,
    deadline: Option<Instant>,
    nodes: u64,
    max_nodes: u64,
    /// Scratch for the credit bound.
    credits: Vec<(f64, bool)>,
    deficit: Vec<usize>,
}

impl<'a> Search<'a> {
    fn new(model: &'a Reduced, incumbent: f64, deadline: Option<Instant>, max_nodes: u64) -> Self {
        let within: Vec<f64> = model
            .groups
            .iter()
            .map(|g| g.rows.iter().map(|&r| model.rows[r as usize].weight).sum())
            .collect();
        let mut order: Vec<usize> = (0..model.groups.len()).collect();
        order.sort_by(|&a, &b| {
            let (ga, gb) = (&model.groups[a], &model.groups[b]);
            gb.existing
                .cmp(&ga.existing)
                .then(within[b].total_cmp(&within[a]))
                .then(ga.members[0].cmp(&gb.members[0]))
        });
        let size: Vec<usize> = order
            .iter()
            .map(|&g| model.groups[g].members.len())
            .collect();
        let existing: Vec<bool> = order.iter().map(|&g| model.groups[g].existing).collect();
        let n = order.len();
        let mut cap_from = vec![0; n + 1];
        let mut existing_from = vec![0; n + 1];
        for t in (0..n).rev() {
            cap_from[t] = cap_from[t + 1] + size[t];
            existing_from[t] = existing_from[t + 1] + if existing[t] { size[t] } else { 0 };
        }
        let mut row_positions = vec![Vec::new(); model.rows.len()];
        for (t, &g) in order.iter().enumerate() {
            for &r in &model.groups[g].rows {
                row_positions[r as usize].push(t as u32);
            }
        }
        let row_reach_from = row_positions
            .iter()
            .map(|positions| {
                let mut reach = vec![0; positions.len() + 1];
                for e in (0..positions.len()).rev() {
                    reach[e] = reach[e + 1] + size[positions[e] as usize];
                }
                reach
            })
            .collect();
        let dominators = dominators(model, &order, &existing);
        let total: f64 = model.rows.iter().map(|r| r.weight).sum::<f64>() + model.constant;
        Search {
            model,
            order,
            size,
            existing,
            cap_from,
            existing_from,
            row_positions,
            row_reach_from,
            dominators,
            covers: vec![0; model.rows.len()],
            counts: vec![0; n],
            best: incumbent,
            best_counts: None,
            eps: 1e-9 * total.max(1.0),
            deadline,
            nodes: 0,
            max_nodes,
            credits: Vec::new(),
            deficit: vec![0; model.rows.len()],
        }
    }

    /// What the undecided positions from `t` on can still add to row `r`.
    fn reach_from(&self, r: usize, t: usize) -> usize {
        let positions = &self.row_positions[r];
        let e = positions.partition_point(|&q| (q as usize) < t);
        self.row_reach_from[r][e]
    }

    /// Explores the completions of the counts chosen before position `t`, with `left` sites
    /// to open and `existing_left` existing sites still to keep. `false` when cut short.
    fn visit(&mut self, t: usize, left: usize, existing_left: usize) -> bool {
        self.nodes += 1;
        if self.nodes.is_multiple_of(1024)
            && (self.nodes >= self.max_nodes || self.deadline.is_some_and(|d| Instant::now() >= d))
        {
            return false;
        }
        if left == 0 {
            if existing_left == 0 {
                let value = self.model.constant + self.uncovered();
                if value < self.best - self.eps {
                    self.best = value;
                    self.best_counts = Some(self.counts.clone());
                }
            }
            return true;
        }
        if t == self.order.len() || self.bound(t, left, existing_left) >= self.best - self.eps {
            return true;
        }
        let lo = left
            .saturating_sub(self.cap_from[t + 1])
            .max(if self.existing[t] {
                existing_left.saturating_sub(self.existing_from[t + 1])
            } else {
                0
            });
        let dominated = self.dominators[t]
            .iter()
            .any(|&a| self.counts[a as usize] < self.size[a as usize]);
        let hi = if dominated { 0 } else { self.size[t].min(left) };
        if lo > hi {
            return true;
        }
        let g = self.order[t];
        for x in (lo..=hi).rev() {
            for &r in &self.model.groups[g].rows {
                self.covers[r as usize] += x;
            }
            self.counts[t] = x;
            let kept = if self.existing[t] {
                existing_left.saturating_sub(x)
            } else {
                existing_left
            };
            let finished = self.visit(t + 1, left - x, kept);
            for &r in &self.model.groups[g].rows {
                self.covers[r as usize] -= x;
            }
            self.counts[t] = 0;
            if !finished {
                return false;
            }
        }
        true
    }

    /// Weight of the rows short of their need.
    fn uncovered(&self) -> f64 {
        self.model
            .rows
            .iter()
            .zip(&self.covers)
            .filter(|&(row, &c)| c < row.need as usize)
            .map(|(row, _)| row.weight)
            .sum()
    }

    /// A lower bound on the value of every completion (see the [module docs](self)).
    fn bound(&mut self, t: usize, left: usize, existing_left: usize) -> f64 {
        let rows = &self.model.rows;
        let mut dead = self.model.constant;
        let mut alive = 0.0;
        let mut deficit = std::mem::take(&mut self.deficit);
        for (r, row) in rows.iter().enumerate() {
            let c = self.covers[r];
            let need = row.need as usize;
            deficit[r] = 0;
            if c >= need {
                continue;
            }
            if c + self.reach_from(r, t).min(left) < need {
                dead += row.weight;
            } else {
                alive += row.weight;
                deficit[r] = need - c;
            }
        }
        if dead >= self.best - self.eps || alive == 0.0 {
            self.deficit = deficit;
            return dead;
        }
        // Credit of one opening in each undecided group, then the best `left` openings with
        // at most `left - existing_left` outside the existing groups.
        self.credits.clear();
        for t2 in t..self.order.len() {
            let g = &self.model.groups[self.order[t2]];
            let credit: f64 = g
                .rows
                .iter()
                .filter(|&&r| deficit[r as usize] > 0)
                .map(|&r| rows[r as usize].weight / deficit[r as usize] as f64)
                .sum();
            if credit > 0.0 {
                for _ in 0..self.size[t2].min(left) {
                    self.credits.push((credit, self.existing[t2]));
                }
            }
        }
        self.credits.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut others_left = left.saturating_sub(existing_left);
        let mut taken = 0;
        let mut gain = 0.0;
        for &(credit, existing) in &self.credits {
            if taken == left {
                break;
            }
            if !existing {
                if others_left == 0 {
                    continue;
                }
                others_left -= 1;
            }
            gain += credit;
            taken += 1;
        }
        self.deficit = deficit;
        dead + (alive - gain).max(0.0)
    }
}

/// Above this many word operations the dominance check is skipped (the search stays exact,
/// only slower).
const DOMINANCE_MAX_WORK: usize = 50_000_000;

/// For each position of `order`, the earlier positions whose group dominates it (see the
/// [module docs](self)).
fn dominators(model: &Reduced, order: &[usize], existing: &[bool]) -> Vec<Vec<u32>> {
    let n = order.len();
    let words = model.rows.len().div_ceil(64).max(1);
    if n.saturating_mul(n).saturating_mul(words) > DOMINANCE_MAX_WORK {
        return vec![Vec::new(); n];
    }
    let bits: Vec<Vec<u64>> = order
        .iter()
        .map(|&g| {
            let mut b = vec![0u64; words];
            for &r in &model.groups[g].rows {
                b[r as usize / 64] |= 1 << (r % 64);
            }
            b
        })
        .collect();
    (0..n)
        .map(|t| {
            (0..t)
                .filter(|&a| existing[a] || !existing[t])
                .filter(|&a| bits[t].iter().zip(&bits[a]).all(|(x, y)| x & !y == 0))
                .map(|a| a as u32)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rand::{RngExt, SeedableRng};
    use rand_pcg::Pcg64;

    use super::*;
    use crate::solve::objective::Objective;
    use crate::solve::{Constraints, Instance, Problem};

    /// A random instance where many sites share a 0/1 column (integer costs, few distinct
    /// values), with fixed, forbidden and budgeted sites, a threshold and a `k`.
    fn random(seed: u64) -> (Instance, Constraints, f64, usize) {
        let (instance, c) = crate::solve::testkit::random_constrained(seed, 12, 11, 6, 4, 0.6);
        let mut rng = Pcg64::seed_from_u64(seed ^ 0x5eed);
        let t = rng.random_range(0..6u32) as f64;
        let k = rng.random_range(1..4usize);
        (instance, c, t, k)
    }

    fn within(problem: &Problem<'_>, t: f64) -> Vec<Vec<usize>> {
        let inst = problem.instance();
        (0..inst.n_clients)
            .map(|i| {
                problem
                    .allowed_sites()
                    .into_iter()
                    .filter(|&j| inst.cost(i, j) <= t)
                    .collect()
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// From no incumbent the search finds a brute-force optimum and proves it; from the
        /// optimum it proves that nothing is better.
        #[test]
        fn the_search_finds_and_proves_the_brute_force_optimum(seed in any::<u64>()) {
            let (instance, constraints, t, k) = random(seed);
            let Ok(problem) = Problem::new(&instance, &constraints) else {
                return Ok(());
            };
            let objective = Objective::Redundancy { threshold_ms: t, k };
            let brute = objective.brute_force(&instance, &constraints).unwrap().objective;
            let model = Reduced::new(&problem, &within(&problem, t), k);

            let found = search(&model, f64::INFINITY, None, u64::MAX);
            prop_assert!(found.proven);
            let open = model.open_set(found.counts.as_ref().expect("a layout"));
            prop_assert!(problem.is_feasible(&open), "{:?}", open);
            prop_assert_eq!(objective.value(&instance, &open), brute);
            prop_assert!(found.root_bound <= brute + 1e-9);

            let again = search(&model, brute, None, u64::MAX);
            prop_assert!(again.proven && again.counts.is_none());
        }
    }

    #[test]
    fn a_node_budget_cuts_the_search_short_without_a_proof() {
        // 200 clients and 60 sites at random on a line; p = 10, nothing fixed.
        let mut rng = Pcg64::seed_from_u64(7);
        let (n, m) = (200, 60);
        let xs: Vec<f64> = (0..n + m).map(|_| rng.random_range(0.0..100.0)).collect();
        let cost = (0..n)
            .flat_map(|i| {
                (0..m)
                    .map(|j| (xs[i] - xs[n + j]).abs())
                    .collect::<Vec<_>>()
            })
            .collect();
        let instance = Instance::new(n, m, cost, vec![1.0; n]).unwrap();
        let constraints = Constraints {
            p: 10,
            ..Default::default()
        };
        let problem = Problem::new(&instance, &constraints).unwrap();
        let model = Reduced::new(&problem, &within(&problem, 4.0), 2);
        let cut = search(&model, f64::INFINITY, None, 1024);
        assert!(!cut.proven);
        let done = search(&model, f64::INFINITY, None, u64::MAX);
        assert!(done.proven);
        assert!(cut.root_bound <= done.root_bound + 1e-9);
    }
}
