use std::time::Duration;

use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

use super::*;
use crate::progress::NoProgress;
use crate::solve::{Budget, parse_pmedcap};

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

#[test]
fn a_single_source_client_larger_than_every_site_is_diagnosed() {
    let (inst, c, mut caps) = random(4, 3, 0, Assignment::SingleSource);
    caps.demand = vec![1.0, 2.5, 1.0, 1.0];
    caps.capacity = vec![2.0, 2.0, 2.0];
    caps.unit = "Gbit/s".into();
    let c = Constraints { p: 3, ..c };
    let e = solve_capacitated(&inst, &c, &caps, &SolveOptions::new(), &NoProgress).unwrap_err();
    assert_eq!(
        e.to_string(),
        "infeasible: client 1 needs 2.5 Gbit/s but the largest site that may open holds \
         2 Gbit/s (single-source assignment cannot split a client)"
    );
    // Split assignment serves it from two sites.
    caps.assignment = Assignment::Split;
    let s = solve_capacitated(&inst, &c, &caps, &SolveOptions::new(), &NoProgress).unwrap();
    assert_eq!(s.shares[1].len(), 2);
}

#[test]
fn forbidding_the_large_sites_is_named_as_the_cause() {
    let (inst, _, mut caps) = random(4, 4, 0, Assignment::Split);
    caps.demand = vec![1.25; 4];
    caps.capacity = vec![3.0, 3.0, 1.0, 1.0];
    let c = Constraints {
        p: 2,
        forbidden: vec![0],
        ..Default::default()
    };
    let e = solve_capacitated(&inst, &c, &caps, &SolveOptions::new(), &NoProgress).unwrap_err();
    assert_eq!(
        e.to_string(),
        "infeasible: peak demand 5 exceeds total capacity 4 of the 2 largest sites that may \
         open; without the fixed-open, forbidden and relocation-budget constraints the 2 \
         largest sites would hold 6"
    );
}

#[test]
fn a_packing_that_cannot_fit_is_infeasible_not_a_solver_error() {
    // Three clients of 2 units, two sites of 3: the total fits (6 ≤ 6) but no site takes two.
    let (inst, _, mut caps) = random(3, 2, 0, Assignment::SingleSource);
    caps.demand = vec![2.0; 3];
    caps.capacity = vec![3.0; 2];
    let c = Constraints {
        p: 2,
        ..Default::default()
    };
    let e = solve_capacitated(&inst, &c, &caps, &SolveOptions::new(), &NoProgress).unwrap_err();
    assert!(
        e.to_string()
            .contains("no single-source assignment fits the capacities"),
        "{e}"
    );
}

/// pmedcap01 (`benches/orlib`), proven at its published optimum 713 only with truncated
/// distances; real-valued ones give 728.26.
#[test]
fn pmedcap01_published_optimum_holds_for_truncated_distances() {
    let text = include_str!("../../../../../benches/orlib/pmedcap01.txt");
    let file = parse_pmedcap(text).unwrap();
    let options = SolveOptions::new().time_limit(Duration::from_secs(60));
    let solve = |d| {
        let (inst, c, caps) = file.capacitated(d);
        solve_capacitated(&inst, &c, &caps, &options, &NoProgress).unwrap()
    };
    let t = solve(PmedcapDistances::Truncated);
    assert_eq!(
        (t.solution.objective, t.solution.status),
        (713.0, Status::Optimal)
    );
    assert_eq!(t.solution.lower_bound, 713.0);
    assert!(t.load.iter().all(|&(_, l)| l <= 120.0));
    let e = solve(PmedcapDistances::Euclidean);
    assert_eq!(e.solution.status, Status::Optimal);
    assert!(
        (e.solution.objective - 728.262).abs() < 1e-3,
        "{}",
        e.solution.objective
    );
}

#[test]
fn same_answer_with_one_and_two_threads() {
    for (seed, assignment) in [(2, Assignment::SingleSource), (5, Assignment::Split)] {
        let (inst, c, mut caps) = random(30, 12, seed, assignment);
        caps.capacity.iter_mut().for_each(|q| *q *= 6.0);
        let options = SolveOptions::new().method(Method::Heuristic).seed(seed);
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| solve_capacitated(&inst, &c, &caps, &options, &NoProgress))
                .map(|s| (s.solution, s.shares))
                .map_err(|e| e.to_string())
        };
        let one = run(1);
        assert!(one.is_ok(), "{one:?}");
        assert_eq!(one, run(2));
    }
}

/// `caps` with whole-dollar costs per site and a budget between the cheapest `p` sites and
/// all of them (so some sets are over it, and now and then every set fitting the capacities).
fn with_budget(caps: Capacities, m: usize, p: usize, seed: u64) -> Capacities {
    let mut rng = Pcg64::seed_from_u64(seed ^ 0x9e37_79b9);
    let costs: Vec<f64> = (0..m).map(|_| rng.random_range(20..220) as f64).collect();
    let mut sorted = costs.clone();
    sorted.sort_by(f64::total_cmp);
    let cheapest: f64 = sorted.iter().take(p).sum();
    let dearest: f64 = sorted.iter().rev().take(p).sum();
    let budget = (cheapest + rng.random_range(0.0..1.0) * (dearest - cheapest)).round();
    caps.monthly_cost(costs, budget)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// With a monthly cost budget: the optimum of brute force over the sets within it, and
    /// never a set above it.
    #[test]
    fn capacitated_with_a_budget_matches_brute_force(
        n in 1usize..8, m in 2usize..7, seed in any::<u64>(), single in any::<bool>()
    ) {
        let assignment = if single { Assignment::SingleSource } else { Assignment::Split };
        let (inst, c, caps) = random(n, m, seed, assignment);
        let caps = with_budget(caps, m, c.p, seed);
        let want = brute_force_capacitated(&inst, &c, &caps);
        let options = SolveOptions::new().seed(seed);
        let got = solve_capacitated(&inst, &c, &caps, &options, &NoProgress);
        prop_assert!(same(&got, &want), "got {got:?}\nwant {want:?}");
        if let Ok(s) = got {
            prop_assert_eq!(s.solution.status, Status::Optimal);
            let mc = caps.monthly_cost.as_ref().unwrap();
            prop_assert!(mc.allows(&s.solution.open), "{:?} over {}", s.solution.open,
                mc.budget_usd);
        }
    }
}

#[test]
fn a_budget_below_the_cheapest_sites_is_diagnosed_with_both_amounts() {
    let (inst, _, caps) = random(4, 4, 0, Assignment::Split);
    let caps = caps.monthly_cost(vec![216.0, 50.0, 200.0, 216.0], 400.0);
    let c = Constraints {
        p: 3,
        ..Default::default()
    };
    let e = solve_capacitated(&inst, &c, &caps, &SolveOptions::new(), &NoProgress).unwrap_err();
    assert_eq!(
        e.to_string(),
        "infeasible: the 3 cheapest sites that may open cost $466 per month, above the budget \
         of $400"
    );
    // Fixing a dear site open raises the cheapest set.
    let caps = caps.monthly_cost(vec![216.0, 50.0, 100.0, 216.0], 400.0);
    assert!(solve_capacitated(&inst, &c, &caps, &SolveOptions::new(), &NoProgress).is_ok());
    let fixed = Constraints {
        fixed_open: vec![0, 3],
        ..c
    };
    let e = solve_capacitated(&inst, &fixed, &caps, &SolveOptions::new(), &NoProgress).unwrap_err();
    assert!(e.to_string().contains("cost $482 per month"), "{e}");
}

#[test]
fn the_budget_picks_cheaper_sites_at_a_higher_latency() {
    // Clients at 0 and 10; sites at 0, 5 and 10; the two end sites are dear.
    let xs = [0.0, 10.0_f64];
    let ss = [0.0, 5.0, 10.0_f64];
    let cost = xs
        .iter()
        .flat_map(|a| ss.iter().map(move |b| (a - b).abs()))
        .collect();
    let inst = Instance::new(2, 3, cost, vec![1.0; 2]).unwrap();
    let c = Constraints {
        p: 1,
        ..Default::default()
    };
    let base = Capacities::new(vec![1.0; 2], vec![2.0; 3], Assignment::Split);
    let free = solve_capacitated(&inst, &c, &base, &SolveOptions::new(), &NoProgress).unwrap();
    let tight = base.clone().monthly_cost(vec![90.0, 40.0, 90.0], 50.0);
    let cheap = solve_capacitated(&inst, &c, &tight, &SolveOptions::new(), &NoProgress).unwrap();
    assert_eq!(cheap.solution.open, vec![1]);
    assert_eq!(cheap.solution.objective, 10.0);
    assert_eq!(free.solution.objective, 10.0);
    // With p = 2 only one dear site fits with the cheap one.
    let c2 = Constraints { p: 2, ..c };
    let two = base.monthly_cost(vec![90.0, 40.0, 90.0], 130.0);
    let s = solve_capacitated(&inst, &c2, &two, &SolveOptions::new(), &NoProgress).unwrap();
    assert!(s.solution.open.contains(&1), "{:?}", s.solution.open);
    assert_eq!(s.solution.objective, 5.0);
}

#[test]
fn a_time_limit_before_the_bound_still_reports_a_finite_one() {
    let (inst, c, mut caps) = random(30, 12, 4, Assignment::SingleSource);
    caps.capacity.iter_mut().for_each(|q| *q *= 10.0);
    let problem = Problem::new(&inst, &c).unwrap();
    let o = SolveOptions::new().time_limit(Duration::ZERO);
    let s = solve_capacitated(&inst, &c, &caps, &o, &NoProgress).unwrap();
    assert!(s.solution.lower_bound.is_finite(), "{:?}", s.solution);
    assert!(s.solution.lower_bound >= problem.trivial_bound() - 1e-9);
    assert!(s.solution.lower_bound <= s.solution.objective);
}
