use std::time::Duration;

use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

use super::*;
use crate::progress::NoProgress;
use crate::solve::{Budget, MipBackend, parse_pmedcap};

fn random(
    n: usize,
    m: usize,
    seed: u64,
    assignment: Assignment,
) -> (Instance, Constraints, Capacities) {
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut point = || (rng.random_range(0.0..100.0), rng.random_range(0.0..100.0));
    let clients: Vec<(f64, f64)> = (0..n).map(|_| point()).collect();
    let sites: Vec<(f64, f64)> = (0..m).map(|_| point()).collect();
    let cost = clients
        .iter()
        .flat_map(|a| {
            sites
                .iter()
                .map(move |b| (a.0 - b.0).hypot(a.1 - b.1).round())
        })
        .collect();
    let weight: Vec<f64> = (0..n).map(|_| rng.random_range(1..4) as f64).collect();
    let demand: Vec<f64> = (0..n).map(|_| rng.random_range(1..6) as f64).collect();
    let capacity: Vec<f64> = (0..m).map(|_| rng.random_range(4..14) as f64).collect();
    let p = 1 + (seed as usize % (m - 1).min(3));
    let mut constraints = Constraints {
        p,
        ..Default::default()
    };
    match seed % 4 {
        1 => constraints.forbidden = vec![m - 1],
        2 => constraints.fixed_open = vec![0],
        3 => {
            constraints.budget = Some(Budget {
                existing: (0..p).collect(),
                max_closed: p / 2,
            })
        }
        _ => {}
    }
    let inst = Instance::new(n, m, cost, weight).unwrap();
    (
        inst,
        constraints,
        Capacities::new(demand, capacity, assignment),
    )
}

fn same(a: &Result<CapacitatedSolution>, b: &Result<CapacitatedSolution>) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => {
            (a.solution.objective - b.solution.objective).abs()
                <= 1e-6 * b.solution.objective.abs().max(1.0)
        }
        (Err(Error::Infeasible(_)), Err(Error::Infeasible(_))) => true,
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn capacitated_matches_brute_force(
        n in 1usize..8, m in 2usize..7, seed in any::<u64>(), single in any::<bool>()
    ) {
        let assignment = if single { Assignment::SingleSource } else { Assignment::Split };
        let (inst, c, caps) = random(n, m, seed, assignment);
        let want = brute_force_capacitated(&inst, &c, &caps);
        let options = SolveOptions::new().seed(seed);
        let got = solve_capacitated(&inst, &c, &caps, &options, &NoProgress);
        prop_assert!(same(&got, &want), "got {got:?}\nwant {want:?}");
        if let Ok(s) = got {
            prop_assert_eq!(s.solution.status, Status::Optimal);
            let problem = Problem::new(&inst, &c).unwrap();
            prop_assert!(problem.is_feasible(&s.solution.open));
            for &(j, load) in &s.load {
                prop_assert!(load <= caps.capacity[j] * (1.0 + 1e-9) + 1e-9);
            }
        }
    }
}

#[test]
fn total_demand_above_total_capacity_is_diagnosed() {
    let (inst, c, mut caps) = random(6, 4, 0, Assignment::Split);
    caps.demand = vec![0.5, 0.6, 0.5, 0.5, 0.5, 0.5];
    caps.capacity = vec![1.0; 4];
    caps.unit = "Gbit/s".into();
    let c = Constraints { p: 2, ..c };
    let e = solve_capacitated(&inst, &c, &caps, &SolveOptions::new(), &NoProgress).unwrap_err();
    assert_eq!(
        e.to_string(),
        "infeasible: peak demand 3.1 Gbit/s exceeds total capacity 2 Gbit/s of the 2 largest \
         sites that may open"
    );
}

fn pmedcap(text: &str, truncate: bool) -> (Instance, Constraints, Capacities, f64) {
    let cap = parse_pmedcap(text).unwrap();
    let mut inst = cap.instance;
    if truncate {
        inst.cost.iter_mut().for_each(|c| *c = c.floor());
    }
    let caps = Capacities::new(
        cap.demand,
        vec![cap.capacity; inst.n_sites],
        Assignment::SingleSource,
    );
    let c = Constraints {
        p: cap.p,
        ..Default::default()
    };
    (inst, c, caps, cap.optimum)
}

#[test]
#[ignore]
fn explore_pmedcap() {
    for name in ["01", "02", "11"] {
        let text = std::fs::read_to_string(format!(
            "{}/../../benches/orlib/pmedcap{name}.txt",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        for truncate in [false, true] {
            let (inst, c, caps, opt) = pmedcap(&text, truncate);
            for method in [Method::Heuristic, Method::Auto] {
                let t = std::time::Instant::now();
                let options = SolveOptions::new()
                    .method(method)
                    .backend(MipBackend::Microlp)
                    .time_limit(Duration::from_secs(60));
                let s = solve_capacitated(&inst, &c, &caps, &options, &NoProgress).unwrap();
                eprintln!(
                    "pmedcap{name} trunc={truncate} {method:?}: published {opt} ours {} bound {} {:?} {} {:.2}s",
                    s.solution.objective,
                    s.solution.lower_bound,
                    s.solution.status,
                    s.solution.method,
                    t.elapsed().as_secs_f64()
                );
            }
        }
    }
}
