//! Small instances shared by the solver's unit tests.

use super::{Constraints, Instance, Problem};

/// Clients and sites on a line at 0, 1, …, n−1; cost = distance.
pub(crate) fn line(n: usize) -> Instance {
    let cost = (0..n)
        .flat_map(|i| (0..n).map(move |j| (i as f64 - j as f64).abs()))
        .collect();
    Instance::new(n, n, cost, vec![1.0; n]).unwrap()
}

/// Clients and sites at 0, 1, 2 and 10, 11, 12 on a line: the 2-median is {1, 4} (the points
/// 1 and 11) with cost 4.
pub(crate) fn two_clusters() -> Instance {
    let xs = [0.0, 1.0, 2.0, 10.0, 11.0, 12.0];
    let cost = xs
        .iter()
        .flat_map(|a| xs.iter().map(move |b| f64::abs(a - b)))
        .collect();
    Instance::new(6, 6, cost, vec![1.0; 6]).unwrap()
}

/// Points on a circle: the LP relaxation of p = 2 on an odd cycle is fractional.
pub(crate) fn cycle(n: usize) -> Instance {
    let cost = (0..n)
        .flat_map(|i| {
            (0..n).map(move |j| {
                let d = i.abs_diff(j);
                d.min(n - d) as f64
            })
        })
        .collect();
    Instance::new(n, n, cost, vec![1.0; n]).unwrap()
}

/// `inst` with exactly `p` open sites and no other constraint.
pub(crate) fn problem(inst: &Instance, p: usize) -> Problem<'_> {
    Problem::new(
        inst,
        &Constraints {
            p,
            ..Default::default()
        },
    )
    .unwrap()
}

/// `n` random points in a 100 × 100 square, each a client and a site; cost = distance.
pub(crate) fn scattered(n: usize, seed: u64) -> Instance {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    let pts: Vec<(f64, f64)> = (0..n)
        .map(|_| (rng.random_range(0.0..100.0), rng.random_range(0.0..100.0)))
        .collect();
    let cost = pts
        .iter()
        .flat_map(|a| pts.iter().map(move |b| (a.0 - b.0).hypot(a.1 - b.1)))
        .collect();
    Instance::new(n, n, cost, vec![1.0; n]).unwrap()
}

/// Costs between `n` clients and `m` sites drawn (clients first) in a 100 × 100 square from
/// `seed`: the distance rounded to an integer, so sums are exact in any order.
pub(crate) fn square_costs(n: usize, m: usize, seed: u64) -> Vec<f64> {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    let mut point = || (rng.random_range(0.0..100.0), rng.random_range(0.0..100.0));
    let clients: Vec<(f64, f64)> = (0..n).map(|_| point()).collect();
    let sites: Vec<(f64, f64)> = (0..m).map(|_| point()).collect();
    clients
        .iter()
        .flat_map(|a| {
            sites
                .iter()
                .map(move |b| (a.0 - b.0).hypot(a.1 - b.1).round())
        })
        .collect()
}

/// A random instance with integer costs below `cost_max` (ties on purpose), weights below
/// `weight_max`, at most `n_max − 1` clients and `m_max − 1` sites, and random constraints: a
/// fixed site, a forbidden one, and with probability `budget` a relocation budget.
pub(crate) fn random_constrained(
    seed: u64,
    n_max: usize,
    m_max: usize,
    cost_max: u32,
    weight_max: u32,
    budget: f64,
) -> (Instance, Constraints) {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    let n = rng.random_range(1..n_max);
    let m = rng.random_range(2..m_max);
    let cost = (0..n * m)
        .map(|_| rng.random_range(0..cost_max) as f64)
        .collect();
    let weight = (0..n)
        .map(|_| rng.random_range(0..weight_max) as f64)
        .collect();
    let p = rng.random_range(1..m);
    let mut c = Constraints {
        p,
        ..Default::default()
    };
    if rng.random_bool(0.3) {
        c.fixed_open = vec![rng.random_range(0..m)];
    }
    if rng.random_bool(0.3) {
        let j = rng.random_range(0..m);
        if !c.fixed_open.contains(&j) {
            c.forbidden = vec![j];
        }
    }
    if rng.random_bool(budget) {
        c.budget = Some(super::Budget {
            existing: (0..p).collect(),
            max_closed: rng.random_range(0..=p),
        });
    }
    (Instance::new(n, m, cost, weight).unwrap(), c)
}
