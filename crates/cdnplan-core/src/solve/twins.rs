//! Twin sites: candidate sites whose cost columns are identical.
//!
//! Cloud regions cluster in a few cities (a shipped site list holds Singapore eight times), so
//! many candidate sites cost every client exactly the same. For the p-median they are
//! interchangeable, but each twin multiplies the symmetric optima a proof must rule out: the
//! Lagrangian bound cannot tell them apart, and branch-and-bound explores each copy.
//!
//! [`twin_sites`] picks, in every group of identical columns, the sites a proof can do
//! without: a free candidate (neither fixed open nor existing under the budget) whose column
//! equals that of a fixed or existing site, or of a lower-indexed free candidate. Forbidding
//! them leaves the optimum unchanged as long as at least `p` allowed sites remain: any open
//! set holding a dropped twin `d` of a kept site `r` either lacks `r` (swap `d` for `r`: same
//! cost, no more closures) or holds it (swap `d` for any kept site outside the set: no higher
//! cost, no more closures). [`solve`](crate::solve::solve()) applies this before the proof and maps
//! nothing back: the answer's indices are the original ones.
//!
//! Only the p-median (and the objectives that reduce to one) may merge: for the redundancy
//! objective or under capacities a twin is a second server, not a copy.

use rustc_hash::{FxHashMap, FxHasher};
use std::hash::{Hash, Hasher};

use super::{Constraints, Instance};

/// A candidate site left out of the proof because another site costs every client the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Twin {
    /// The site left out.
    pub dropped: usize,
    /// The site that stands for it (fixed, existing, or the lowest-indexed free candidate).
    pub kept: usize,
}

/// The free candidate sites whose cost column equals a kept site's (see the
/// [module docs](self)), in ascending order of `dropped`. Forbidden sites are neither kept
/// nor dropped.
pub fn twin_sites(instance: &Instance, constraints: &Constraints) -> Vec<Twin> {
    let (n, m) = (instance.n_clients, instance.n_sites);
    if n == 0 || m < 2 {
        return Vec::new();
    }
    let mut role = vec![Role::Free; m];
    for &j in &constraints.forbidden {
        if j < m {
            role[j] = Role::Forbidden;
        }
    }
    if let Some(b) = &constraints.budget {
        for &j in &b.existing {
            if j < m && role[j] != Role::Forbidden {
                role[j] = Role::Anchor;
            }
        }
    }
    for &j in &constraints.fixed_open {
        if j < m && role[j] != Role::Forbidden {
            role[j] = Role::Anchor;
        }
    }
    let column = |j: usize| (0..n).map(move |i| instance.cost[i * m + j].to_bits());
    // Each column's hash, fed row by row (the matrix is row-major: one sequential pass).
    let mut hashers = vec![FxHasher::default(); m];
    for i in 0..n {
        let row = &instance.cost[i * m..(i + 1) * m];
        for ((h, c), r) in hashers.iter_mut().zip(row).zip(&role) {
            if *r != Role::Forbidden {
                c.to_bits().hash(h);
            }
        }
    }
    let hashes: Vec<u64> = hashers.iter().map(|h| h.finish()).collect();
    // Representatives by hash: anchors first (in index order), then free candidates.
    let mut groups: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
    let order = (0..m)
        .filter(|&j| role[j] == Role::Anchor)
        .chain((0..m).filter(|&j| role[j] == Role::Free));
    let mut twins = Vec::new();
    for j in order {
        let reps = groups.entry(hashes[j]).or_default();
        let same = reps.iter().copied().find(|&r| column(r).eq(column(j)));
        match (same, role[j]) {
            (Some(kept), Role::Free) => twins.push(Twin { dropped: j, kept }),
            _ => reps.push(j),
        }
    }
    twins.sort_unstable_by_key(|t| t.dropped);
    twins
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Fixed open or existing: always kept.
    Anchor,
    /// A free candidate: kept unless it twins a kept site.
    Free,
    /// Never open.
    Forbidden,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::Budget;

    /// Sites 0..4 on a line at 0, 5, 5, 9 (1 and 2 are twins); clients at 0..10.
    fn line_with_twins() -> Instance {
        let xs = [0.0, 5.0, 5.0, 9.0, 0.0];
        let n = 10;
        let cost = (0..n)
            .flat_map(|i| xs.iter().map(move |x| f64::abs(i as f64 - x)))
            .collect();
        Instance::new(n, xs.len(), cost, vec![1.0; n]).unwrap()
    }

    #[test]
    fn a_free_twin_stands_for_its_higher_twins() {
        let inst = line_with_twins();
        let c = Constraints {
            p: 2,
            ..Default::default()
        };
        let t = twin_sites(&inst, &c);
        assert_eq!(
            t,
            vec![
                Twin {
                    dropped: 2,
                    kept: 1
                },
                Twin {
                    dropped: 4,
                    kept: 0
                }
            ]
        );
    }

    #[test]
    fn an_existing_or_fixed_site_is_never_dropped_and_stands_first() {
        let inst = line_with_twins();
        let c = Constraints {
            p: 2,
            fixed_open: vec![4],
            budget: Some(Budget {
                existing: vec![2],
                max_closed: 1,
            }),
            ..Default::default()
        };
        let t = twin_sites(&inst, &c);
        assert_eq!(
            t,
            vec![
                Twin {
                    dropped: 0,
                    kept: 4
                },
                Twin {
                    dropped: 1,
                    kept: 2
                }
            ]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// Merging twins never changes the optimum: sites drawn from a few points (so many
        /// columns repeat), under a budget, a fixed and a forbidden site, solved with the
        /// merge against brute force without it.
        #[test]
        fn merging_twins_keeps_the_optimum(
            n in 1usize..9, m in 3usize..10, points in 2usize..5, seed in 0u64..1_000_000
        ) {
            use rand::{RngExt, SeedableRng};
            use crate::progress::NoProgress;
            use crate::solve::{SolveOptions, brute_force, solve};
            let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
            let mut point = || (rng.random_range(0..20) as f64, rng.random_range(0..20) as f64);
            let clients: Vec<_> = (0..n).map(|_| point()).collect();
            let spots: Vec<_> = (0..points).map(|_| point()).collect();
            let sites: Vec<_> = (0..m).map(|j| spots[(j * 7 + seed as usize) % points]).collect();
            let cost = clients
                .iter()
                .flat_map(|a| sites.iter().map(move |b| (a.0 - b.0).abs() + (a.1 - b.1).abs()))
                .collect();
            let inst = Instance::new(n, m, cost, vec![1.0; n]).unwrap();
            let p = 1 + (seed as usize % (m - 1).min(3));
            let c = Constraints {
                p,
                fixed_open: if seed % 3 == 0 { vec![m - 1] } else { vec![] },
                forbidden: if seed % 5 == 0 { vec![0] } else { vec![] },
                budget: (seed % 2 == 0).then(|| Budget {
                    existing: (1..=p.min(m - 2)).collect(),
                    max_closed: (seed as usize / 2) % (p + 1),
                }),
            };
            let want = brute_force(&inst, &c);
            let got = solve(&inst, &c, &SolveOptions::new().seed(seed), &NoProgress);
            match (want, got) {
                (Ok(w), Ok(g)) => {
                    proptest::prop_assert!((w.objective - g.objective).abs() < 1e-9,
                        "brute {} merged {} twins {:?}", w.objective, g.objective,
                        twin_sites(&inst, &c));
                    let problem = crate::solve::Problem::new(&inst, &c).unwrap();
                    proptest::prop_assert!(problem.is_feasible(&g.open));
                }
                (Err(_), Err(_)) => {}
                (w, g) => proptest::prop_assert!(false, "brute {w:?} merged {g:?}"),
            }
        }
    }

    #[test]
    fn forbidden_sites_take_no_part() {
        let inst = line_with_twins();
        let c = Constraints {
            p: 2,
            forbidden: vec![1, 4],
            ..Default::default()
        };
        assert!(twin_sites(&inst, &c).is_empty());
    }
}
