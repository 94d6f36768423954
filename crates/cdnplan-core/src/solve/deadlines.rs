//! Every deadline gives an answer: time limits swept across the whole run of every solver
//! path (construction, swap, VNS, ascent, fixing, branch-and-bound, objectives, capacitated)
//! must return a feasible incumbent, a finite valid bound and an honest status — never a
//! panic.

use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

use super::capacitated::{Assignment, Capacities, solve_capacitated};
use super::*;
use crate::progress::NoProgress;

/// Clients and sites scattered in a square; integral costs, random weights; p open sites with
/// a relocation budget over the first p sites and one forbidden site.
fn instance(n: usize, m: usize, p: usize, seed: u64) -> (Instance, Constraints) {
    let cost = super::testkit::square_costs(n, m, seed);
    let weight = (0..n).map(|i| 1.0 + (i % 5) as f64).collect();
    let constraints = Constraints {
        p,
        forbidden: vec![m - 1],
        budget: Some(Budget {
            existing: (0..p).collect(),
            max_closed: p / 2 + 1,
        }),
        ..Default::default()
    };
    (Instance::new(n, m, cost, weight).unwrap(), constraints)
}

/// Time limits spread over `[0, 1.2 · full]`, densest near zero where the phases are short,
/// jittered by `seed`.
fn limits(full: Duration, count: usize, seed: u64) -> Vec<Duration> {
    let mut rng = Pcg64::seed_from_u64(seed);
    let full = full.as_secs_f64().max(1e-4) * 1.2;
    (0..count)
        .map(|k| {
            let x = (k as f64 + rng.random_range(0.0..1.0)) / count as f64;
            Duration::from_secs_f64(full * x * x)
        })
        .collect()
}

/// The invariants every answer keeps, whatever the time limit.
fn check(label: &str, value_of_open: f64, s: &Solution, problem: &Problem<'_>) {
    assert!(problem.is_feasible(&s.open), "{label}: infeasible {s:?}");
    assert!(s.objective.is_finite(), "{label}: objective {s:?}");
    assert!(
        (s.objective - value_of_open).abs() <= 1e-6 * value_of_open.abs().max(1.0),
        "{label}: objective {} is not the open set's {value_of_open}",
        s.objective
    );
    assert!(s.lower_bound.is_finite(), "{label}: bound {s:?}");
    assert!(
        s.lower_bound <= s.objective + 1e-6 * s.objective.abs().max(1.0),
        "{label}: bound above objective {s:?}"
    );
    if s.status == Status::Optimal {
        assert!(
            s.objective - s.lower_bound <= 1e-6 * s.objective.abs().max(1.0),
            "{label}: optimal with a gap {s:?}"
        );
    }
}

/// Runs once without a binding limit to time the whole run, then `count` times with limits
/// spread over it (at most its first 150 ms).
fn sweep(count: usize, mut run: impl FnMut(Duration)) {
    let started = Instant::now();
    run(Duration::from_secs(60));
    // The early phases are where deadlines used to break things; long runs are sampled
    // over their first 150 ms to keep the suite fast.
    let full = started.elapsed().min(Duration::from_millis(150));
    for limit in limits(full, count, 7) {
        run(limit);
    }
}

#[test]
fn every_time_limit_of_the_mean_rtt_paths_gives_an_answer() {
    for (seed, (n, m, p)) in [(150, 90, 9), (60, 60, 5)].into_iter().enumerate() {
        let (inst, c) = instance(n, m, p, seed as u64);
        let problem = Problem::new(&inst, &c).unwrap();
        for method in [Method::Auto, Method::Heuristic] {
            let label = format!("{n}×{m} p={p} {method:?}");
            sweep(40, |limit| {
                let o = SolveOptions::new()
                    .method(method)
                    .seed(seed as u64)
                    .time_limit(limit);
                let s = solve(&inst, &c, &o, &NoProgress).unwrap();
                check(
                    &format!("{label} {limit:?}"),
                    inst.objective(&s.open),
                    &s,
                    &problem,
                );
                if s.status == Status::TimeLimit {
                    assert!(s.lower_bound <= s.objective);
                }
            });
        }
    }
}

#[test]
fn every_time_limit_of_the_other_objectives_gives_an_answer() {
    let (inst, c) = instance(90, 60, 6, 3);
    let problem = Problem::new(&inst, &c).unwrap();
    let objectives = [
        Objective::Coverage { threshold_ms: 20.0 },
        Objective::WorstCase,
        Objective::Redundancy {
            threshold_ms: 30.0,
            k: 2,
        },
        Objective::Blended {
            threshold_ms: 20.0,
            penalty_ms: 50.0,
        },
    ];
    for objective in objectives {
        let label = objective.name();
        sweep(25, |limit| {
            let o = SolveOptions::new().seed(3).time_limit(limit);
            let s = objective.solve(&inst, &c, &o, &NoProgress).unwrap();
            check(
                &format!("{label} {limit:?}"),
                objective.value(&inst, &s.open),
                &s,
                &problem,
            );
        });
    }
}

#[test]
fn every_time_limit_of_the_capacitated_paths_gives_an_answer() {
    let (inst, c) = instance(80, 40, 6, 11);
    let problem = Problem::new(&inst, &c).unwrap();
    let demand: Vec<f64> = (0..80).map(|i| 1.0 + (i % 4) as f64).collect();
    let total: f64 = demand.iter().sum();
    for assignment in [Assignment::Split, Assignment::SingleSource] {
        let capacity = vec![total / 4.0; 40];
        let caps = Capacities::new(demand.clone(), capacity, assignment);
        let label = format!("{assignment:?}");
        sweep(25, |limit| {
            let o = SolveOptions::new().seed(11).time_limit(limit);
            match solve_capacitated(&inst, &c, &caps, &o, &NoProgress) {
                Ok(s) => {
                    let s = &s.solution;
                    assert!(problem.is_feasible(&s.open), "{label}: {s:?}");
                    assert!(
                        s.objective.is_finite() && s.lower_bound.is_finite(),
                        "{s:?}"
                    );
                    assert!(s.lower_bound <= s.objective + 1e-6 * s.objective.max(1.0));
                }
                // No feasible assignment found in time is an answer too, and says so.
                Err(Error::Infeasible(_)) => {}
                Err(e) => panic!("{label} {limit:?}: {e}"),
            }
        });
    }
}
