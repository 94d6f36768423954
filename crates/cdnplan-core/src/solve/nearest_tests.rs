//! Shortened sorted lists ([`Problem::n_nearest`] below the allowed sites) give the same
//! answers as full ones: every phase that walks a list goes on into the rest of the row.
//! Also: on an instance where the set-up dominates, a time limit is kept.

use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand_pcg::Pcg64;

use super::lagrange::Lagrangian;
use super::swap::SwapState;
use super::*;
use crate::progress::NoProgress;

/// Clients and sites in a square, integral costs and weights (so sums are exact in any
/// order), with a forbidden site and a relocation budget.
fn instance(n: usize, m: usize, p: usize, seed: u64) -> (Instance, Constraints) {
    let cost = super::testkit::square_costs(n, m, seed);
    let weight = (0..n).map(|i| 1.0 + (i % 3) as f64).collect();
    let constraints = Constraints {
        p,
        forbidden: vec![1],
        budget: Some(Budget {
            existing: (2..2 + p).collect(),
            max_closed: p / 2,
        }),
        ..Default::default()
    };
    (Instance::new(n, m, cost, weight).unwrap(), constraints)
}

#[test]
fn shortened_lists_give_the_same_construction_descent_and_bound() {
    for (seed, (n, m, p, k)) in [(120, 80, 4, 3), (100, 100, 8, 10), (90, 60, 2, 1)]
        .into_iter()
        .enumerate()
    {
        let (inst, c) = instance(n, m, p, seed as u64);
        let full = Problem::new(&inst, &c).unwrap();
        let short = Problem::with_nearest(&inst, &c, Some(k)).unwrap();
        assert!(full.order_is_complete());
        assert!(!short.order_is_complete());
        assert_eq!(short.n_nearest(), k);
        assert_eq!(full.trivial_bound(), short.trivial_bound());
        for i in 0..n {
            let rest: Vec<u32> = short.sites_beyond(i).map(|(j, _)| j).collect();
            let mut all: Vec<u32> = short.sites_by_cost(i).to_vec();
            assert_eq!(all, full.sites_by_cost(i)[..k]);
            all.extend(rest);
            all.sort_unstable();
            assert_eq!(
                all,
                full.allowed_sites()
                    .iter()
                    .map(|&j| j as u32)
                    .collect::<Vec<_>>()
            );
        }
        for rcl in [1, 3] {
            let g = Greedy { rcl };
            let mut r1 = Pcg64::seed_from_u64(5);
            let mut r2 = Pcg64::seed_from_u64(5);
            let a = g.construct(&full, &mut r1);
            let b = g.construct(&short, &mut r2);
            assert_eq!(a, b, "greedy rcl {rcl}, {n}×{m} p={p} k={k}");
            let mut sa = SwapState::new(&full, &a);
            let mut sb = SwapState::new(&short, &b);
            sa.descend(&full, usize::MAX, None);
            sb.descend(&short, usize::MAX, None);
            assert_eq!(
                sa.open_sorted(),
                sb.open_sorted(),
                "descent {n}×{m} p={p} k={k}"
            );
        }
        let start = {
            let mut r = Pcg64::seed_from_u64(1);
            Greedy::PURE.construct(&full, &mut r)
        };
        let upper = inst.objective(&start);
        let lg = Lagrangian::default();
        let bf = lg.ascend(&full, &start, upper, 0.0, None);
        let bs = lg.ascend(&short, &start, upper, 0.0, None);
        assert!(
            (bf.value - bs.value).abs() <= 1e-6 * bf.value.abs().max(1.0),
            "bound {} vs {} ({n}×{m} p={p} k={k})",
            bf.value,
            bs.value
        );
        assert!(bs.value <= upper);
        let ff = lg.fix(&full, &bf.lambda, upper);
        let fs = lg.fix(&short, &bf.lambda, upper);
        assert_eq!(ff, fs, "fixing {n}×{m} p={p} k={k}");
    }
}

#[test]
fn a_time_limit_is_kept_where_the_set_up_dominates() {
    // 2,100 × 2,100 pairs: above the size where the lists are shortened.
    let (inst, c) = instance(2100, 2100, 20, 9);
    let started = Instant::now();
    let problem = Problem::new(&inst, &c).unwrap();
    let set_up = started.elapsed();
    assert!(!problem.order_is_complete());
    drop(problem);
    let limit = Duration::from_millis(300);
    let o = SolveOptions::new().time_limit(limit).seed(1);
    let started = Instant::now();
    let s = solve(&inst, &c, &o, &NoProgress).unwrap();
    let wall = started.elapsed();
    // Generous for a loaded machine: the set-up (done twice with twin checks, plus the
    // passes around it) and three times the limit.
    assert!(
        wall <= 4 * set_up + 3 * limit + Duration::from_millis(500),
        "wall {wall:?} with limit {limit:?} (set-up {set_up:?})"
    );
    assert!(
        matches!(s.status, Status::TimeLimit | Status::Optimal),
        "{s:?}"
    );
    assert!(s.lower_bound > 0.0 && s.lower_bound <= s.objective, "{s:?}");
}
