//! Greedy construction (Kuehn & Hamburger 1963 "add" heuristic), constraint-aware.
//!
//! Start from the fixed-open sites, then repeatedly open the allowed site that lowers the
//! objective most. Under a relocation budget a site is a candidate only while the partial
//! set can still be completed: enough slots must remain to keep `|E| − C` existing sites
//! open, and enough allowed sites must remain to fill every slot.

use std::time::Instant;

use rand::RngExt;
use rand_pcg::Pcg64;

use super::Problem;

/// Greedy construction; `rcl > 1` picks uniformly among the `rcl` best additions
/// (a GRASP-style restricted candidate list, Feo & Resende 1995) to diversify multistarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Greedy {
    /// Size of the restricted candidate list (1 = pure greedy, deterministic).
    pub rcl: usize,
}

impl Greedy {
    /// Pure greedy: always the best addition, ties to the lowest site index.
    pub const PURE: Greedy = Greedy { rcl: 1 };

    /// Builds a feasible open set (sorted). `rng` is only drawn from when `rcl > 1`.
    ///
    /// Cost: one pass over the sorted cost matrix plus, per opened site, the clients it
    /// brings closer and their sites nearer than before.
    pub fn construct(&self, problem: &Problem<'_>, rng: &mut Pcg64) -> Vec<usize> {
        self.construct_by(problem, rng, None).0
    }

    /// As [`construct`](Self::construct) until `deadline`; after it, the remaining sites
    /// are added by the savings as they stand (no more updates), so a feasible set always
    /// comes back quickly. The flag says whether the deadline left the construction whole.
    pub fn construct_by(
        &self,
        problem: &Problem<'_>,
        rng: &mut Pcg64,
        deadline: Option<Instant>,
    ) -> (Vec<usize>, bool) {
        let inst = problem.instance();
        let n = inst.n_clients;
        let m = inst.n_sites;
        let p = problem.p();
        let mut open = problem.fixed_sites();
        let mut is_open = vec![false; m];
        // Before anything opens, every client stands at a cost above every site's.
        let big = 2.0 * inst.cost.iter().copied().fold(0.0, f64::max) + 1.0;
        let mut d1 = vec![big; n];
        for &j in &open {
            is_open[j] = true;
            for (d, &c) in d1.iter_mut().zip(problem.site_costs(j)) {
                *d = d.min(c);
            }
        }
        // saving[f] = Σ_i w_i · max(0, d1(i) − c_if): what opening f saves, kept up to date
        // client by client (each client touches only the sites it ranks before d1).
        let mut saving = vec![0.0; m];
        for (i, &d) in d1.iter().enumerate() {
            add_client(problem, i, d, 1.0, &mut saving);
        }
        let mut slots = Slots::new(problem, &is_open);
        let mut scored: Vec<(f64, usize)> = Vec::with_capacity(m);
        let mut whole = true;
        while open.len() < p {
            if whole && deadline.is_some_and(|d| Instant::now() >= d) {
                whole = false;
            }
            scored.clear();
            for (j, &is_open_j) in is_open.iter().enumerate() {
                if is_open_j || !problem.is_allowed(j) || !slots.can_add(problem.is_existing(j)) {
                    continue;
                }
                // Lower is better: the negated saving.
                scored.push((-saving[j], j));
            }
            // `Problem::new` proved feasibility, and `Slots` keeps every partial set completable.
            debug_assert!(!scored.is_empty(), "greedy ran out of candidates");
            let Some(pick) = self.pick(&mut scored, rng) else {
                break;
            };
            let first = open.is_empty();
            is_open[pick] = true;
            open.push(pick);
            slots.add(problem.is_existing(pick));
            saving[pick] = 0.0;
            if !whole {
                continue;
            }
            if first {
                // Every client moves from `big` to the first site: start the table afresh
                // rather than take each whole row out of it.
                saving.iter_mut().for_each(|s| *s = 0.0);
                for (i, &c) in problem.site_costs(pick).iter().enumerate() {
                    d1[i] = c;
                    add_client(problem, i, c, 1.0, &mut saving);
                }
                continue;
            }
            for (i, &c) in problem.site_costs(pick).iter().enumerate() {
                if c < d1[i] {
                    add_client(problem, i, d1[i], -1.0, &mut saving);
                    d1[i] = c;
                    add_client(problem, i, c, 1.0, &mut saving);
                }
            }
        }
        open.sort_unstable();
        (open, whole)
    }

    fn pick(&self, scored: &mut [(f64, usize)], rng: &mut Pcg64) -> Option<usize> {
        if scored.is_empty() {
            return None;
        }
        let by_value = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
        if self.rcl <= 1 || scored.len() == 1 {
            return scored.iter().min_by(|a, b| by_value(a, b)).map(|s| s.1);
        }
        let k = self.rcl.min(scored.len());
        scored.select_nth_unstable_by(k - 1, by_value);
        scored[..k].sort_unstable_by(by_value);
        Some(scored[rng.random_range(0..k)].1)
    }
}

/// Adds (`sign = 1`) or removes (`sign = −1`) client `i`'s share `w_i · (d1 − c_if)` of the
/// saving of every site it ranks before `d1`.
fn add_client(problem: &Problem<'_>, i: usize, d1: f64, sign: f64, saving: &mut [f64]) {
    let inst = problem.instance();
    let w = inst.weight[i];
    if w == 0.0 {
        return;
    }
    let row = &inst.cost[i * inst.n_sites..(i + 1) * inst.n_sites];
    for &f in problem.sites_by_cost(i) {
        let c = row[f as usize];
        if c >= d1 {
            return;
        }
        saving[f as usize] += sign * w * (d1 - c);
    }
    // Every listed site is nearer than d1: the rest of the row may hold more.
    for (f, c) in problem.sites_beyond(i) {
        if c < d1 {
            saving[f as usize] += sign * w * (d1 - c);
        }
    }
}

/// Bookkeeping that keeps a partial open set completable under the budget.
#[derive(Debug, Clone)]
pub(crate) struct Slots {
    p: usize,
    open: usize,
    /// Existing sites that must stay open: `|E| − C` (0 without a budget).
    must_stay: usize,
    existing_open: usize,
    /// Allowed existing sites not yet open.
    existing_left: usize,
    /// Allowed non-existing sites not yet open.
    new_left: usize,
}

impl Slots {
    pub(crate) fn new(problem: &Problem<'_>, is_open: &[bool]) -> Self {
        let mut s = Slots {
            p: problem.p(),
            open: 0,
            must_stay: problem.n_existing().saturating_sub(problem.max_closed()),
            existing_open: 0,
            existing_left: 0,
            new_left: 0,
        };
        for (j, &o) in is_open.iter().enumerate() {
            let e = problem.is_existing(j);
            if o {
                s.open += 1;
                s.existing_open += usize::from(e);
            } else if problem.is_allowed(j) {
                if e {
                    s.existing_left += 1;
                } else {
                    s.new_left += 1;
                }
            }
        }
        s
    }

    /// Whether adding one site (existing or not) keeps the set completable.
    pub(crate) fn can_add(&self, existing: bool) -> bool {
        if self.open >= self.p {
            return false;
        }
        let mut next = self.clone();
        next.add(existing);
        let k = next.p - next.open;
        let need = next.must_stay.saturating_sub(next.existing_open);
        need <= k && need <= next.existing_left && k <= next.existing_left + next.new_left
    }

    pub(crate) fn add(&mut self, existing: bool) {
        self.open += 1;
        if existing {
            self.existing_open += 1;
            self.existing_left = self.existing_left.saturating_sub(1);
        } else {
            self.new_left = self.new_left.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::solve::testkit::{line, problem};
    use rand::SeedableRng;

    use super::*;
    use crate::solve::{Budget, Constraints};

    #[test]
    fn one_median_of_a_line_is_its_middle() {
        let inst = line(7);
        let pb = problem(&inst, 1);
        let mut rng = Pcg64::seed_from_u64(0);
        assert_eq!(Greedy::PURE.construct(&pb, &mut rng), vec![3]);
    }

    #[test]
    fn keeps_fixed_and_avoids_forbidden() {
        let inst = line(9);
        let c = Constraints {
            p: 3,
            fixed_open: vec![0],
            forbidden: vec![4, 5],
            ..Default::default()
        };
        let pb = Problem::new(&inst, &c).unwrap();
        let mut rng = Pcg64::seed_from_u64(3);
        for g in [Greedy::PURE, Greedy { rcl: 3 }] {
            let open = g.construct(&pb, &mut rng);
            assert!(pb.is_feasible(&open), "{open:?}");
        }
    }

    #[test]
    fn respects_the_budget_even_when_new_sites_look_better() {
        // Existing sites at the far left; the budget allows closing one of three.
        let inst = line(10);
        let c = Constraints {
            p: 3,
            budget: Some(Budget {
                existing: vec![0, 1, 2],
                max_closed: 1,
            }),
            ..Default::default()
        };
        let pb = Problem::new(&inst, &c).unwrap();
        let open = Greedy::PURE.construct(&pb, &mut Pcg64::seed_from_u64(0));
        assert!(pb.is_feasible(&open), "{open:?}");
        assert_eq!(pb.closed_count(&open), 1);
    }
}
