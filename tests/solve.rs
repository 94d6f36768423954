//! The p-median engine end to end: OR-Library optima, invariants on random tiny instances,
//! and the relocation optimiser.

use std::time::Duration;

use cdnplan::solve::{
    Budget, Constraints, Instance, Method, MipBackend, SolveOptions, Status, brute_force,
    parse_pmed, parse_pmedcap, parse_pmedopt, solve,
};
use cdnplan::{Error, NoProgress};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

fn orlib(name: &str) -> String {
    let path = format!("{}/benches/orlib/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

mod orlib {
    use super::*;

    /// Solves an OR-Library instance exactly with `backend` and checks the published optimum.
    pub(super) fn exact_with(backend: MipBackend, name: &str, optimum: f64) {
        let pmed = parse_pmed(&orlib(&format!("{name}.txt"))).unwrap();
        let options = SolveOptions::new()
            .method(Method::Exact)
            .backend(backend)
            .time_limit(Duration::from_secs(120));
        let s = solve(&pmed.instance, &pmed.constraints(), &options, &NoProgress).unwrap();
        assert_eq!(s.objective, optimum, "{name}: {s:?}");
        assert_eq!(s.status, Status::Optimal, "{name}: {s:?}");
        assert_eq!(s.lower_bound, optimum, "{name}");
        assert_eq!(s.open.len(), pmed.p);
    }

    fn exact(name: &str, optimum: f64) {
        exact_with(MipBackend::Microlp, name, optimum);
    }

    #[test]
    fn pmed1_exact_reaches_5819() {
        exact("pmed1", 5819.0);
    }

    #[test]
    fn pmed2_exact_reaches_4093() {
        exact("pmed2", 4093.0);
    }

    #[test]
    fn pmed3_exact_reaches_4250() {
        exact("pmed3", 4250.0);
    }

    #[test]
    fn pmed4_exact_reaches_3034() {
        exact("pmed4", 3034.0);
    }

    #[test]
    fn pmed5_exact_reaches_1355() {
        exact("pmed5", 1355.0);
    }

    /// The engine (the default Auto path) proves the published optimum of `name`: bound =
    /// objective = optimum.
    fn engine_proves(k: usize) {
        let optima = parse_pmedopt(&orlib("pmedopt.txt")).unwrap();
        let name = format!("pmed{k}");
        let pmed = parse_pmed(&orlib(&format!("{name}.txt"))).unwrap();
        let options = SolveOptions::new().time_limit(Duration::from_secs(120));
        let s = solve(&pmed.instance, &pmed.constraints(), &options, &NoProgress).unwrap();
        let optimum = optima[&name];
        assert_eq!(
            (s.objective, s.lower_bound, s.status),
            (optimum, optimum, Status::Optimal),
            "{name}: {s:?}"
        );
        assert_eq!(s.open.len(), pmed.p);
    }

    #[test]
    fn engine_proves_pmed1_to_5() {
        (1..=5).for_each(engine_proves);
    }

    #[test]
    fn engine_proves_pmed6_to_10() {
        (6..=10).for_each(engine_proves);
    }

    #[test]
    fn heuristic_never_beats_the_published_optimum() {
        let optima = parse_pmedopt(&orlib("pmedopt.txt")).unwrap();
        assert_eq!(optima.len(), 40);
        for k in 1..=5 {
            let name = format!("pmed{k}");
            let pmed = parse_pmed(&orlib(&format!("{name}.txt"))).unwrap();
            let options = SolveOptions::new().method(Method::Heuristic);
            let s = solve(&pmed.instance, &pmed.constraints(), &options, &NoProgress).unwrap();
            assert!(s.objective >= optima[&name], "{name}: {}", s.objective);
            assert!(s.lower_bound <= optima[&name], "{name}: {}", s.lower_bound);
        }
    }

    #[test]
    fn pmedcap_files_parse_with_their_published_optimum() {
        let cap = parse_pmedcap(&orlib("pmedcap01.txt")).unwrap();
        assert_eq!(
            (cap.problem, cap.optimum, cap.p, cap.capacity),
            (1, 713.0, 5, 120.0)
        );
        assert_eq!(cap.instance.n_clients, 50);
        assert_eq!(cap.demand.iter().sum::<f64>(), 490.0);
    }
}

/// The same OR-Library optima through HiGHS (cargo feature `highs`).
#[cfg(feature = "highs")]
mod orlib_highs {
    use super::*;

    #[test]
    fn pmed1_exact_reaches_5819() {
        orlib::exact_with(MipBackend::Highs, "pmed1", 5819.0);
    }

    #[test]
    fn pmed2_exact_reaches_4093() {
        orlib::exact_with(MipBackend::Highs, "pmed2", 4093.0);
    }

    #[test]
    fn pmed3_exact_reaches_4250() {
        orlib::exact_with(MipBackend::Highs, "pmed3", 4250.0);
    }

    #[test]
    fn pmed4_exact_reaches_3034() {
        orlib::exact_with(MipBackend::Highs, "pmed4", 3034.0);
    }

    #[test]
    fn pmed5_exact_reaches_1355() {
        orlib::exact_with(MipBackend::Highs, "pmed5", 1355.0);
    }
}

/// A random tiny instance: up to 8 clients, up to 7 sites, constraints that may or may not
/// be feasible.
#[derive(Debug, Clone)]
struct Tiny {
    instance: Instance,
    constraints: Constraints,
}

fn tiny() -> impl Strategy<Value = Tiny> {
    (1usize..=8, 1usize..=7, any::<u64>()).prop_map(|(n, m, seed)| {
        let mut rng = Pcg64::seed_from_u64(seed);
        // Points in the plane: metric costs, like RTTs.
        let clients: Vec<(f64, f64)> = (0..n)
            .map(|_| (rng.random_range(0.0..100.0), rng.random_range(0.0..100.0)))
            .collect();
        let sites: Vec<(f64, f64)> = (0..m)
            .map(|_| (rng.random_range(0.0..100.0), rng.random_range(0.0..100.0)))
            .collect();
        let cost = clients
            .iter()
            .flat_map(|a| sites.iter().map(move |b| (a.0 - b.0).hypot(a.1 - b.1)))
            .collect();
        let weight = (0..n)
            .map(|_| f64::from(rng.random_range(0u32..10)))
            .collect();
        let p = rng.random_range(1..=m);
        let mut fixed_open = Vec::new();
        let mut forbidden = Vec::new();
        let mut existing = Vec::new();
        for j in 0..m {
            match rng.random_range(0u32..10) {
                0 => fixed_open.push(j),
                1 | 2 => forbidden.push(j),
                _ => {}
            }
            if rng.random_range(0u32..3) == 0 {
                existing.push(j);
            }
        }
        let budget = (rng.random_range(0u32..2) == 0).then(|| Budget {
            max_closed: rng.random_range(0..=existing.len()),
            existing,
        });
        Tiny {
            instance: Instance::new(n, m, cost, weight).unwrap(),
            constraints: Constraints {
                p,
                fixed_open,
                forbidden,
                budget,
            },
        }
    })
}

fn respects(t: &Tiny, open: &[usize]) -> bool {
    let c = &t.constraints;
    let closed = c.budget.as_ref().map_or(0, |b| {
        b.existing.iter().filter(|j| !open.contains(j)).count()
    });
    open.len() == c.p
        && open.windows(2).all(|w| w[0] < w[1])
        && c.fixed_open.iter().all(|j| open.contains(j))
        && c.forbidden.iter().all(|j| !open.contains(j))
        && c.budget.as_ref().is_none_or(|b| closed <= b.max_closed)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-7 * a.abs().max(b.abs()).max(1.0)
}

mod invariants {
    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn exact_equals_brute_force_and_bounds_hold(t in tiny()) {
            let brute = brute_force(&t.instance, &t.constraints);
            let exact = solve(&t.instance, &t.constraints,
                &SolveOptions::new().method(Method::Exact), &NoProgress);
            let engine = solve(&t.instance, &t.constraints,
                &SolveOptions::new().seed(5), &NoProgress);
            let heuristic = solve(&t.instance, &t.constraints,
                &SolveOptions::new().method(Method::Heuristic).seed(3), &NoProgress);
            match brute {
                Err(e) => {
                    // Infeasible or contradictory: every path says so, with the same variant.
                    prop_assert!(matches!(e, Error::Infeasible(_) | Error::Contradiction(_)));
                    prop_assert_eq!(
                        std::mem::discriminant(&exact.unwrap_err()),
                        std::mem::discriminant(&e)
                    );
                    prop_assert_eq!(
                        std::mem::discriminant(&heuristic.unwrap_err()),
                        std::mem::discriminant(&e)
                    );
                    prop_assert_eq!(
                        std::mem::discriminant(&engine.unwrap_err()),
                        std::mem::discriminant(&e)
                    );
                }
                Ok(best) => {
                    let exact = exact.unwrap();
                    let heuristic = heuristic.unwrap();
                    let engine = engine.unwrap();
                    prop_assert!(close(exact.objective, best.objective),
                        "exact {} vs brute {}", exact.objective, best.objective);
                    prop_assert_eq!(exact.status, Status::Optimal);
                    prop_assert!(close(engine.objective, best.objective),
                        "engine {} vs brute {}", engine.objective, best.objective);
                    prop_assert_eq!(engine.status, Status::Optimal);
                    prop_assert!(heuristic.objective >= best.objective - 1e-9 * best.objective.max(1.0));
                    for s in [&exact, &heuristic, &engine] {
                        prop_assert!(s.lower_bound <= best.objective + 1e-9 * best.objective.max(1.0),
                            "bound {} > optimum {}", s.lower_bound, best.objective);
                        prop_assert!(respects(&t, &s.open), "{:?} breaks {:?}", s.open, t.constraints);
                        prop_assert_eq!(s.objective, t.instance.objective(&s.open));
                        prop_assert!(s.lower_bound <= s.objective);
                    }
                }
            }
        }
    }
}

/// HiGHS on the same random tiny instances: the exact path agrees with brute force and with
/// microlp, constraints and all.
#[cfg(feature = "highs")]
mod invariants_highs {
    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn highs_exact_equals_brute_force_and_microlp(t in tiny()) {
            let exact = |backend| {
                let options = SolveOptions::new().method(Method::Exact).backend(backend);
                solve(&t.instance, &t.constraints, &options, &NoProgress)
            };
            let (highs, microlp) = (exact(MipBackend::Highs), exact(MipBackend::Microlp));
            match brute_force(&t.instance, &t.constraints) {
                Err(e) => prop_assert_eq!(
                    std::mem::discriminant(&highs.unwrap_err()),
                    std::mem::discriminant(&e)
                ),
                Ok(best) => {
                    let (highs, microlp) = (highs.unwrap(), microlp.unwrap());
                    prop_assert!(close(highs.objective, best.objective),
                        "highs {} vs brute {}", highs.objective, best.objective);
                    prop_assert!(close(highs.objective, microlp.objective),
                        "highs {} vs microlp {}", highs.objective, microlp.objective);
                    prop_assert_eq!(highs.status, Status::Optimal);
                    prop_assert!(respects(&t, &highs.open), "{:?} breaks {:?}", highs.open, t.constraints);
                    prop_assert_eq!(highs.objective, t.instance.objective(&highs.open));
                    prop_assert!(highs.lower_bound <= highs.objective);
                }
            }
        }
    }
}
