//! The exact path: the strong p-median formulation solved through good_lp.
//!
//! ```text
//! minimise   Σ_i Σ_j (w_i / W) · c_ij · x_ij            (W = Σ_i w_i, for conditioning)
//! subject to Σ_j x_ij = 1                  for every client i
//!            x_ij ≤ y_j                    for every client i and allowed site j
//!            Σ_j y_j = p
//!            y_j = 1                       for every fixed site j
//!            Σ_{j ∈ E} (1 − y_j) ≤ C       (relocation budget over the existing sites E)
//!            y_j ∈ {0, 1}, x_ij ∈ [0, 1]
//! ```
//!
//! Forbidden sites get no variables (`y_j = 0`), and clients of weight 0 are left out (they
//! cannot change the objective). With `y_j ∈ [0, 1]` the same model is the LP relaxation
//! used as a lower bound (see [`LpRelaxation`](crate::solve::LpRelaxation)); on OR-Library instances it
//! is integral at the root (ReVelle & Swain 1970; measured in the project's research notes).

use std::time::Duration;

#[cfg(feature = "microlp")]
use good_lp::WithMipGap;
use good_lp::{
    Constraint, Expression, ProblemVariables, ResolutionError, SolutionStatus, SolverModel,
    Variable, WithInitialSolution, WithTimeLimit, constraint, variable,
};

use super::lagrange::Masks;
use super::{MipBackend, PROOF_GAP, Problem};
use crate::error::{Error, Result};

/// What the backend said of the values it returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MipStatus {
    /// The search finished: optimal within the gap the backend was given (see
    /// [`Outcome::Solved::proven_gap`]).
    Optimal,
    /// Stopped early because the requested gap was reached.
    GapLimit,
    /// Stopped by the time limit (or another resource limit): the values are the best
    /// incumbent, and nothing is proven about them.
    TimeLimit,
}

impl MipStatus {
    /// The relative gap this status proves for the returned values when the backend was given
    /// the relative gap tolerance `requested`: `None` after a time limit.
    fn proven_gap(self, requested: f64) -> Option<f64> {
        match self {
            // Both backends prune nodes within the requested gap, so a finished search is
            // only as exact as the tolerance it ran with (HiGHS then reports "optimal" with a
            // zero gap). Conversely good_lp calls any HiGHS optimum with a gap above zero
            // GapLimit, which at a zero tolerance is rounding in HiGHS's bound (seen on pmed2
            // warm-started: primal and dual bound equal to every printed digit).
            MipStatus::Optimal | MipStatus::GapLimit => Some(requested),
            MipStatus::TimeLimit => None,
        }
    }
}

/// How a good_lp run ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// The backend returned values.
    Solved {
        /// Optimal, gap-limited or time-limited.
        status: MipStatus,
        /// `y_j` for every allowed site `j`.
        y: Vec<(usize, f64)>,
        /// The model objective in the instance's units (`Σ w_i c_ij x_ij`).
        objective: f64,
        /// The relative gap proven for these values: the optimum is at least
        /// `objective · (1 − gap)` (0 for an exact search); `None` when time-limited.
        proven_gap: Option<f64>,
    },
    /// The time limit struck before the backend had a feasible point.
    NoSolution,
    /// The model has no feasible point (only a restricted model can lack one: see
    /// [`run_within`]).
    Infeasible,
}

/// The model, ready to hand to a backend.
pub(crate) struct Formulation {
    pub(crate) vars: ProblemVariables,
    pub(crate) objective: Expression,
    pub(crate) constraints: Vec<Constraint>,
    pub(crate) y: Vec<(usize, Variable)>,
    /// `(client, site, x_ij, scaled cost)`.
    pub(crate) x: Vec<(usize, usize, Variable, f64)>,
    pub(crate) scale: f64,
}

/// The rows every formulation shares on the site variables `y` (`y_of[j]` is site `j`'s
/// variable, `None` for a site that may not open): `Σ_j y_j = p`, `y_j = 1` for every fixed
/// site, and the budget `Σ_{j ∈ E} (1 − y_j) ≤ C` as `Σ_{j ∈ E, allowed} y_j ≥ |E| − C`.
pub(crate) fn site_rows(
    problem: &Problem<'_>,
    y: &[(usize, Variable)],
    y_of: &[Option<Variable>],
) -> Vec<Constraint> {
    let mut rows = Vec::new();
    let open: Expression = y.iter().map(|&(_, v)| v).sum();
    rows.push(constraint!(open == problem.p() as f64));
    for j in problem.fixed_sites() {
        if let Some(yj) = y_of[j] {
            rows.push(constraint!(yj == 1.0));
        }
    }
    let must_stay = problem.n_existing().saturating_sub(problem.max_closed());
    if must_stay > 0 {
        let kept: Expression = y
            .iter()
            .filter(|&&(j, _)| problem.is_existing(j))
            .map(|&(_, v)| v)
            .sum();
        rows.push(constraint!(kept >= must_stay as f64));
    }
    rows
}

pub(crate) fn formulate(
    problem: &Problem<'_>,
    integer: bool,
    within: Option<&Masks>,
) -> Formulation {
    let inst = problem.instance();
    let total = inst.total_weight();
    let scale = if total > 0.0 { total } else { 1.0 };
    let mut vars = ProblemVariables::new();
    let sites: Vec<usize> = match within {
        Some(masks) => (0..inst.n_sites).filter(|&j| masks.allowed[j]).collect(),
        None => problem.allowed_sites(),
    };
    let mut y_of = vec![None; inst.n_sites];
    let mut y = Vec::with_capacity(sites.len());
    for &j in &sites {
        let def = if integer {
            variable().binary()
        } else {
            variable().min(0.0).max(1.0)
        };
        let v = vars.add(def);
        y_of[j] = Some(v);
        y.push((j, v));
    }
    let mut objective = Expression::with_capacity(match within {
        Some(masks) => (0..inst.n_clients)
            .map(|i| masks.sites(problem, i).len())
            .sum(),
        None => inst.n_clients * sites.len(),
    });
    let mut constraints = Vec::new();
    let mut x = Vec::new();
    let mut candidates: Vec<(usize, f64)> = Vec::new();
    for i in 0..inst.n_clients {
        let w = inst.weight[i];
        if w == 0.0 {
            continue;
        }
        candidates.clear();
        match within {
            Some(masks) => candidates.extend(
                masks
                    .sites(problem, i)
                    .iter()
                    .zip(masks.costs(problem, i))
                    .map(|(&j, &wc)| (j as usize, wc)),
            ),
            None => candidates.extend(sites.iter().map(|&j| (j, w * inst.cost(i, j)))),
        }
        let mut assigned = Expression::with_capacity(candidates.len());
        for &(j, weighted) in &candidates {
            let Some(yj) = y_of[j] else { continue };
            let xij = vars.add(variable().min(0.0).max(1.0));
            let coef = weighted / scale;
            objective.add_mul(coef, xij);
            assigned.add_mul(1.0, xij);
            // x_ij ≤ y_j
            constraints.push(constraint!(xij <= yj));
            x.push((i, j, xij, coef));
        }
        // Σ_j x_ij = 1
        constraints.push(constraint!(assigned == 1.0));
    }
    constraints.extend(site_rows(problem, &y, &y_of));
    if let Some(masks) = within {
        for &(j, yj) in &y {
            if masks.fixed[j] && !problem.is_fixed(j) {
                constraints.push(constraint!(yj == 1.0));
            }
        }
    }
    Formulation {
        vars,
        objective,
        constraints,
        y,
        x,
        scale,
    }
}

/// Solves the formulation (`integer`: binary `y`, else the LP relaxation) with `backend`
/// within `time_limit`, warm-started from `warm` (an open set) when given.
///
/// `gap_tolerance` is the relative MIP gap at which the backend may stop; at or below
/// [`PROOF_GAP`] the search is exact.
pub(crate) fn run(
    problem: &Problem<'_>,
    backend: MipBackend,
    integer: bool,
    time_limit: Duration,
    warm: Option<&[usize]>,
    gap_tolerance: f64,
) -> Result<Outcome> {
    match solve_formulation(
        formulate(problem, integer, None),
        problem,
        backend,
        time_limit,
        warm,
        gap_tolerance,
    )? {
        // A validated problem always has a feasible point.
        Outcome::Infeasible => Err(solver_error(backend.name(), ResolutionError::Infeasible)),
        outcome => Ok(outcome),
    }
}

/// Solves the formulation (`integer`: binary `y`, else the LP relaxation) restricted to
/// what `masks` leave (allowed sites, the sites fixed open, and each client's narrowed
/// pairs, which `masks` must hold) within the relative gap `gap_tolerance` (0: exactly) and
/// `time_limit`.
pub(crate) fn run_within(
    problem: &Problem<'_>,
    masks: &Masks,
    backend: MipBackend,
    integer: bool,
    time_limit: Duration,
    gap_tolerance: f64,
) -> Result<Outcome> {
    debug_assert!(masks.pairs.is_some(), "a restriction holds narrowed pairs");
    solve_formulation(
        formulate(problem, integer, Some(masks)),
        problem,
        backend,
        time_limit,
        None,
        gap_tolerance,
    )
}

/// The relative gap a backend is given for `gap_tolerance`: 0 (exact) at or below
/// [`PROOF_GAP`] or NaN, at most 1 (a larger gap says nothing more).
pub(crate) fn requested_gap(gap_tolerance: f64) -> f64 {
    if gap_tolerance > PROOF_GAP {
        gap_tolerance.min(1.0)
    } else {
        0.0
    }
}

fn solve_formulation(
    f: Formulation,
    problem: &Problem<'_>,
    backend: MipBackend,
    time_limit: Duration,
    warm: Option<&[usize]>,
    gap_tolerance: f64,
) -> Result<Outcome> {
    let seconds = time_limit.as_secs_f64();
    // A NaN tolerance is exact; a relative gap above 1 says nothing more than 1 does.
    // (The backends take an f32; its rounding, under 1e-7 of the tolerance, is far below
    // their feasibility tolerances.)
    let requested = requested_gap(gap_tolerance);
    match backend {
        MipBackend::Microlp => {
            #[cfg(feature = "microlp")]
            {
                let (model, fx) = build(f, problem, warm, good_lp::microlp, seconds);
                // microlp's default MIP gap is 0 (exact); a looser tolerance is passed on.
                let model = if requested > 0.0 {
                    model
                        .with_mip_gap(requested as f32)
                        .map_err(|e| solver_error("microlp", e))?
                } else {
                    model
                };
                finish("microlp", model.solve(), &fx, requested)
            }
            #[cfg(not(feature = "microlp"))]
            {
                let _ = (f, seconds, warm, requested);
                Err(Error::Solver {
                    solver: "microlp",
                    message: "microlp support is not compiled in: build cdnplan-core with the \
                              cargo feature `microlp`"
                        .into(),
                })
            }
        }
        MipBackend::Highs => {
            #[cfg(feature = "highs")]
            {
                let (model, fx) = build(f, problem, warm, good_lp::highs, seconds);
                // HiGHS stops at a 1e-4 relative or 1e-6 absolute gap by default and then
                // reports "optimal": pass our tolerance on and switch the absolute one off, so
                // that a finished search means what `proven_gap` says. One thread: on these
                // models HiGHS's parallel search does not pay, and runs stay reproducible.
                let model = model
                    .set_threads(1)
                    .set_mip_abs_gap(0.0)
                    .and_then(|m| m.set_mip_rel_gap(requested as f32))
                    .map_err(|e| solver_error("highs", e))?;
                finish("highs", model.solve(), &fx, requested)
            }
            #[cfg(not(feature = "highs"))]
            {
                let _ = (f, seconds, warm, requested);
                Err(Error::Solver {
                    solver: "highs",
                    message: "HiGHS support is not compiled in: build with the cargo feature \
                              `highs` (needs cmake and libclang)"
                        .into(),
                })
            }
        }
    }
}

/// What is left of the formulation once the model owns the variables: the `y` of every
/// site, then the `x` of every pair, in the order the variables were created.
pub(crate) struct Extract {
    pub(crate) y: Vec<(usize, Variable)>,
    pub(crate) x: Vec<(usize, usize, Variable, f64)>,
    pub(crate) scale: f64,
}

#[cfg_attr(not(any(feature = "microlp", feature = "highs")), allow(dead_code))]
pub(crate) fn build<S>(
    f: Formulation,
    problem: &Problem<'_>,
    warm: Option<&[usize]>,
    solver: S,
    seconds: f64,
) -> (S::Model, Extract)
where
    S: good_lp::Solver,
    S::Model: WithTimeLimit + WithInitialSolution,
{
    let Formulation {
        vars,
        objective,
        constraints,
        y,
        x,
        scale,
    } = f;
    let mut model = vars.minimise(objective).using(solver);
    for c in constraints {
        model.add_constraint(c);
    }
    let mut model = model.with_time_limit(seconds);
    if let Some(open) = warm {
        let inst = problem.instance();
        // y from the open set; each client assigned to its cheapest open site.
        let mut nearest = vec![usize::MAX; inst.n_clients];
        for (i, slot) in nearest.iter_mut().enumerate() {
            let mut best = f64::INFINITY;
            for &j in open {
                let c = inst.cost(i, j);
                if c < best {
                    best = c;
                    *slot = j;
                }
            }
        }
        let values: Vec<(Variable, f64)> = y
            .iter()
            .map(|&(j, v)| (v, if open.contains(&j) { 1.0 } else { 0.0 }))
            .chain(
                x.iter()
                    .map(|&(i, j, v, _)| (v, if nearest[i] == j { 1.0 } else { 0.0 })),
            )
            .collect();
        model = model.with_initial_solution(values);
    }
    (model, Extract { y, x, scale })
}

#[cfg_attr(not(any(feature = "microlp", feature = "highs")), allow(dead_code))]
fn finish<S: good_lp::Solution>(
    solver: &'static str,
    result: std::result::Result<S, ResolutionError>,
    fx: &Extract,
    requested_gap: f64,
) -> Result<Outcome> {
    match result {
        Ok(sol) => {
            let y = fx.y.iter().map(|&(j, v)| (j, sol.value(v))).collect();
            let objective =
                fx.x.iter()
                    .map(|&(_, _, v, coef)| coef * sol.value(v))
                    .sum::<f64>()
                    * fx.scale;
            let status = match sol.status() {
                SolutionStatus::Optimal => MipStatus::Optimal,
                SolutionStatus::GapLimit => MipStatus::GapLimit,
                SolutionStatus::TimeLimit => MipStatus::TimeLimit,
            };
            Ok(Outcome::Solved {
                status,
                y,
                objective,
                proven_gap: status.proven_gap(requested_gap),
            })
        }
        // microlp: "Time limit reached before finding a feasible solution";
        // HiGHS: no primal solution when its time limit struck first.
        Err(ResolutionError::Other(msg))
            if msg.contains("Time limit") || msg == "NoSolutionFound" =>
        {
            Ok(Outcome::NoSolution)
        }
        Err(ResolutionError::Infeasible) => Ok(Outcome::Infeasible),
        Err(e) => Err(solver_error(solver, e)),
    }
}

fn solver_error(solver: &'static str, e: impl std::fmt::Display) -> Error {
    Error::Solver {
        solver,
        message: e.to_string(),
    }
}

/// The open set of an integral `y` (every value within `1e-6` of 0 or 1), else `None`.
pub(crate) fn integral_open(y: &[(usize, f64)]) -> Option<Vec<usize>> {
    if y.iter().any(|&(_, v)| (v - v.round()).abs() > 1e-6) {
        return None;
    }
    let mut open: Vec<usize> = y
        .iter()
        .filter(|&&(_, v)| v > 0.5)
        .map(|&(j, _)| j)
        .collect();
    open.sort_unstable();
    Some(open)
}

/// The open set of a MIP answer: `y_j > 0.5`.
pub(crate) fn rounded_open(y: &[(usize, f64)]) -> Vec<usize> {
    let mut open: Vec<usize> = y
        .iter()
        .filter(|&&(_, v)| v > 0.5)
        .map(|&(j, _)| j)
        .collect();
    open.sort_unstable();
    open
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::testkit::{cycle, problem};
    use crate::solve::{Budget, Constraints};

    fn solved(o: Outcome) -> (MipStatus, Vec<(usize, f64)>, f64) {
        match o {
            Outcome::Solved {
                status,
                y,
                objective,
                ..
            } => (status, y, objective),
            Outcome::NoSolution | Outcome::Infeasible => panic!("no solution"),
        }
    }

    #[test]
    fn mip_solves_a_small_cycle_exactly() {
        let inst = cycle(7);
        let pb = problem(&inst, 2);
        let out = run(
            &pb,
            MipBackend::Microlp,
            true,
            Duration::from_secs(10),
            None,
            1e-9,
        );
        let (status, y, objective) = solved(out.unwrap());
        assert_eq!(status, MipStatus::Optimal);
        let open = rounded_open(&y);
        assert_eq!(open.len(), 2);
        // Two medians on a 7-cycle: the best split is 3 + 4 vertices, cost 2 + 4 = 6.
        assert_eq!(inst.objective(&open), 6.0);
        assert!((objective - 6.0).abs() < 1e-6);
    }

    #[test]
    fn mip_respects_fixed_and_budget_with_a_warm_start() {
        let inst = cycle(9);
        let c = Constraints {
            p: 3,
            fixed_open: vec![0],
            forbidden: vec![3],
            budget: Some(Budget {
                existing: vec![0, 1, 2],
                max_closed: 1,
            }),
        };
        let pb = Problem::new(&inst, &c).unwrap();
        let warm = [0, 1, 2];
        let out = run(
            &pb,
            MipBackend::Microlp,
            true,
            Duration::from_secs(10),
            Some(&warm),
            1e-9,
        );
        let (_, y, _) = solved(out.unwrap());
        let open = rounded_open(&y);
        assert!(pb.is_feasible(&open), "{open:?}");
    }

    #[test]
    fn lp_relaxation_is_at_most_the_mip() {
        let inst = cycle(9);
        let pb = problem(&inst, 2);
        let lp = solved(
            run(
                &pb,
                MipBackend::Microlp,
                false,
                Duration::from_secs(10),
                None,
                1e-9,
            )
            .unwrap(),
        );
        let mip = solved(
            run(
                &pb,
                MipBackend::Microlp,
                true,
                Duration::from_secs(10),
                None,
                1e-9,
            )
            .unwrap(),
        );
        assert!(lp.2 <= mip.2 + 1e-9, "lp {} mip {}", lp.2, mip.2);
    }

    /// HiGHS against microlp on the same models (cargo feature `highs`).
    #[cfg(feature = "highs")]
    mod highs {
        use rand::{RngExt, SeedableRng};
        use rand_pcg::Pcg64;

        use super::*;
        use crate::progress::NoProgress;
        use crate::solve::{FastSwap, Instance, Multistart, Vns, parse_pmed};

        /// Clients and sites in the plane, with fixed, forbidden and budget constraints.
        fn random(n: usize, m: usize, p: usize, seed: u64) -> (Instance, Constraints) {
            let mut rng = Pcg64::seed_from_u64(seed);
            let mut point = || (rng.random_range(0.0..100.0), rng.random_range(0.0..100.0));
            let clients: Vec<(f64, f64)> = (0..n).map(|_| point()).collect();
            let sites: Vec<(f64, f64)> = (0..m).map(|_| point()).collect();
            let cost = clients
                .iter()
                .flat_map(|a| sites.iter().map(move |b| (a.0 - b.0).hypot(a.1 - b.1)))
                .collect();
            let weight = (0..n).map(|i| ((i * 7 + 3) % 10) as f64).collect();
            let constraints = Constraints {
                p,
                fixed_open: vec![m - 1],
                forbidden: vec![0],
                budget: Some(Budget {
                    existing: (1..=p).collect(),
                    max_closed: p / 2,
                }),
            };
            (Instance::new(n, m, cost, weight).unwrap(), constraints)
        }

        fn both(pb: &Problem<'_>, integer: bool, warm: Option<&[usize]>) -> [Outcome; 2] {
            [MipBackend::Microlp, MipBackend::Highs].map(|backend| {
                run(pb, backend, integer, Duration::from_secs(60), warm, 0.0).unwrap()
            })
        }

        fn assert_same_optimum(what: &str, pb: &Problem<'_>, [microlp, highs]: [Outcome; 2]) {
            let (ms, _, mo) = solved(microlp);
            let (hs, hy, ho) = solved(highs);
            assert_eq!((ms, hs), (MipStatus::Optimal, MipStatus::Optimal), "{what}");
            assert!(
                (mo - ho).abs() <= 1e-6 * mo.abs().max(1.0),
                "{what}: microlp {mo} vs highs {ho}"
            );
            if let Some(open) = integral_open(&hy) {
                assert!(pb.is_feasible(&open), "{what}: {open:?}");
            }
        }

        #[test]
        fn highs_solves_a_small_cycle_exactly() {
            let inst = cycle(7);
            let c = Constraints {
                p: 2,
                ..Default::default()
            };
            let pb = Problem::new(&inst, &c).unwrap();
            let out = run(
                &pb,
                MipBackend::Highs,
                true,
                Duration::from_secs(10),
                None,
                1e-9,
            )
            .unwrap();
            assert!(matches!(
                out,
                Outcome::Solved {
                    proven_gap: Some(0.0),
                    ..
                }
            ));
            let (status, y, objective) = solved(out);
            assert_eq!(status, MipStatus::Optimal);
            assert_eq!(inst.objective(&rounded_open(&y)), 6.0);
            assert!((objective - 6.0).abs() < 1e-6);
        }

        #[test]
        fn highs_and_microlp_agree_on_random_instances() {
            for seed in 0..6 {
                let (n, m, p) = (15 + 5 * seed as usize, 12, 2 + seed as usize % 4);
                let (inst, c) = random(n, m, p, seed);
                let pb = Problem::new(&inst, &c).unwrap();
                let what = format!("seed {seed}, n {n}, p {p}");
                assert_same_optimum(&format!("{what}, LP"), &pb, both(&pb, false, None));
                assert_same_optimum(&format!("{what}, MIP"), &pb, both(&pb, true, None));
                // Warm-started from the heuristic, as the exact path does: same optimum.
                let warm = Multistart {
                    starts: 2,
                    seed,
                    swap: FastSwap { max_swaps: 100 },
                    vns: Vns::default(),
                }
                .run(&pb, None, &NoProgress)
                .open;
                let warmed = both(&pb, true, Some(&warm));
                assert_same_optimum(&format!("{what}, warm MIP"), &pb, warmed);
            }
        }

        #[test]
        fn highs_and_microlp_agree_on_pmed1_to_5() {
            for k in 1..=5 {
                let path = format!(
                    "{}/../../benches/orlib/pmed{k}.txt",
                    env!("CARGO_MANIFEST_DIR")
                );
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
                let pmed = parse_pmed(&text).unwrap();
                let pb = Problem::new(&pmed.instance, &pmed.constraints()).unwrap();
                assert_same_optimum(&format!("pmed{k}"), &pb, both(&pb, true, None));
            }
        }

        #[test]
        fn highs_warm_start_is_kept_when_time_runs_out() {
            // No time at all: HiGHS returns the warm start it was given, marked time-limited
            // and proving nothing.
            let (inst, c) = random(60, 40, 6, 11);
            let pb = Problem::new(&inst, &c).unwrap();
            let warm = [1, 2, 3, 20, 30, 39];
            assert!(pb.is_feasible(&warm));
            let out = run(
                &pb,
                MipBackend::Highs,
                true,
                Duration::ZERO,
                Some(&warm),
                1e-9,
            )
            .unwrap();
            match out {
                Outcome::Solved {
                    status,
                    y,
                    proven_gap,
                    ..
                } => {
                    assert_eq!(status, MipStatus::TimeLimit);
                    assert_eq!(proven_gap, None);
                    assert!(pb.is_feasible(&rounded_open(&y)));
                }
                Outcome::NoSolution | Outcome::Infeasible => panic!("the warm start was dropped"),
            }
        }

        #[test]
        fn highs_credits_only_the_gap_it_was_given() {
            let (inst, c) = random(40, 20, 4, 3);
            let pb = Problem::new(&inst, &c).unwrap();
            let exact = solved(both(&pb, true, None).into_iter().next().unwrap()).2;
            let out = run(
                &pb,
                MipBackend::Highs,
                true,
                Duration::from_secs(60),
                None,
                0.25,
            )
            .unwrap();
            let Outcome::Solved {
                objective,
                proven_gap,
                ..
            } = out
            else {
                panic!("no solution");
            };
            assert_eq!(proven_gap, Some(0.25));
            assert!(
                objective * (1.0 - 0.25) <= exact + 1e-9,
                "{objective} vs {exact}"
            );
        }
    }

    #[cfg(not(feature = "highs"))]
    #[test]
    fn highs_without_the_feature_is_a_clear_error() {
        let inst = cycle(5);
        let pb = problem(&inst, 1);
        let e = run(
            &pb,
            MipBackend::Highs,
            true,
            Duration::from_secs(1),
            None,
            1e-9,
        )
        .unwrap_err();
        assert!(e.to_string().contains("feature `highs`"), "{e}");
    }
}
