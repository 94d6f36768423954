//! Median relocation (the location step of Cooper's location–allocation alternation): keep
//! every client's assignment, and move each open site to the allowed site that serves its
//! own clients most cheaply and can hold their demand.
//!
//! The assignment carries over unchanged, so the new open set costs at most the old one
//! whatever the capacities are; re-solving its assignment can only gain more. Swap moves
//! screened by the uncapacitated objective miss these moves when capacities bind: a site
//! that is best for its capacity-limited cluster is rarely best for the uncapacitated one.

use super::{Capacitated, Shares};

/// The open set after relocating each median of `open` (sorted, with its `shares`) to the
/// best site for its clients, one median at a time in ascending order; `None` when no
/// median moves.
pub(crate) fn relocate_medians(
    cap: &Capacitated<'_, '_>,
    open: &[usize],
    shares: &Shares,
) -> Option<Vec<usize>> {
    let inst = cap.instance();
    let problem = cap.problem;
    let allowed = problem.allowed_sites();
    // Clients of each open site with their share.
    let mut cluster: Vec<Vec<(usize, f64)>> = vec![Vec::new(); open.len()];
    for (i, sh) in shares.iter().enumerate() {
        for &(j, x) in sh {
            if let Ok(k) = open.binary_search(&j) {
                cluster[k].push((i, x));
            }
        }
    }
    let mut current = open.to_vec();
    let mut moved = false;
    for (k, &j) in open.iter().enumerate() {
        if problem.is_fixed(j) || cluster[k].is_empty() {
            continue;
        }
        let load: f64 = cluster[k].iter().map(|&(i, x)| x * cap.demand[i]).sum();
        let cost_at = |s: usize| -> f64 {
            cluster[k]
                .iter()
                .map(|&(i, x)| x * inst.weight[i] * inst.cost(i, s))
                .sum()
        };
        let here = cost_at(j);
        let mut best: Option<(f64, usize)> = None;
        for &s in &allowed {
            if current.binary_search(&s).is_ok() || cap.capacity[s] < load - 1e-9 * load {
                continue;
            }
            let c = cost_at(s);
            if c < here - 1e-9 * here.abs().max(1.0) && best.is_none_or(|b| c < b.0) {
                let mut cand: Vec<usize> = current
                    .iter()
                    .map(|&o| if o == j { s } else { o })
                    .collect();
                cand.sort_unstable();
                if problem.is_feasible(&cand) && cap.within_budget(&cand) {
                    best = Some((c, s));
                }
            }
        }
        if let Some((_, s)) = best {
            for o in current.iter_mut() {
                if *o == j {
                    *o = s;
                }
            }
            current.sort_unstable();
            moved = true;
        }
    }
    moved.then_some(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::capacitated::Assignment;
    use crate::solve::testkit::line;
    use crate::solve::{Constraints, Problem};

    fn relocated(open: &[usize], shares: &Shares, capacity: &[f64]) -> Option<Vec<usize>> {
        let inst = line(7);
        let constraints = Constraints {
            p: open.len(),
            forbidden: vec![6],
            ..Default::default()
        };
        let problem = Problem::new(&inst, &constraints).unwrap();
        let cap = Capacitated {
            problem: &problem,
            demand: &[1.0; 7],
            capacity,
            assignment: Assignment::SingleSource,
            monthly_cost: None,
        };
        relocate_medians(&cap, open, shares)
    }

    #[test]
    fn each_median_moves_to_the_best_allowed_site_of_its_own_clients() {
        // Clients 0..=2 on site 0 and 3..=6 on site 3: the medians of the two clusters are 1
        // and 4 (5 ties with 4; forbidden site 6 is never chosen).
        let shares: Shares = (0..7)
            .map(|i| vec![(if i < 3 { 0 } else { 3 }, 1.0)])
            .collect();
        assert_eq!(relocated(&[0, 3], &shares, &[7.0; 7]), Some(vec![1, 4]));
        // Already at the medians: nothing moves.
        let shares: Shares = (0..7)
            .map(|i| vec![(if i < 3 { 1 } else { 4 }, 1.0)])
            .collect();
        assert_eq!(relocated(&[1, 4], &shares, &[7.0; 7]), None);
    }

    #[test]
    fn a_site_too_small_for_the_cluster_is_not_a_target() {
        let shares: Shares = (0..7)
            .map(|i| vec![(if i < 3 { 0 } else { 3 }, 1.0)])
            .collect();
        // Sites 1 and 2 hold 2 clients only: the 3-client cluster stays at 0.
        let mut capacity = [7.0; 7];
        capacity[1] = 2.0;
        capacity[2] = 2.0;
        assert_eq!(relocated(&[0, 3], &shares, &capacity), Some(vec![0, 4]));
    }
}
