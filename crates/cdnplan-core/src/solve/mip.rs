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

use good_lp::{
    Constraint, Expression, ProblemVariables, ResolutionError, SolutionStatus, SolverModel,
    Variable, WithInitialSolution, WithMipGap, WithTimeLimit, constraint, variable,
};

use super::{MipBackend, Problem};
use crate::error::{Error, Result};

/// What the backend said of the values it returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MipStatus {
    /// Proven optimal.
    Optimal,
    /// Within the requested gap.
    GapLimit,
    /// Stopped by the time limit.
    TimeLimit,
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
    },
    /// The time limit struck before the backend had a feasible point.
    NoSolution,
}

/// The model, ready to hand to a backend.
struct Formulation {
    vars: ProblemVariables,
    objective: Expression,
    constraints: Vec<Constraint>,
    y: Vec<(usize, Variable)>,
    /// `(client, site, x_ij, scaled cost)`.
    x: Vec<(usize, usize, Variable, f64)>,
    scale: f64,
}

fn formulate(problem: &Problem<'_>, integer: bool) -> Formulation {
    let inst = problem.instance();
    let total = inst.total_weight();
    let scale = if total > 0.0 { total } else { 1.0 };
    let mut vars = ProblemVariables::new();
    let sites = problem.allowed_sites();
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
    let mut objective = Expression::with_capacity(inst.n_clients * sites.len());
    let mut constraints = Vec::new();
    let mut x = Vec::new();
    for i in 0..inst.n_clients {
        let w = inst.weight[i];
        if w == 0.0 {
            continue;
        }
        let mut assigned = Expression::with_capacity(sites.len());
        for &(j, yj) in &y {
            let xij = vars.add(variable().min(0.0).max(1.0));
            let coef = w * inst.cost(i, j) / scale;
            objective.add_mul(coef, xij);
            assigned.add_mul(1.0, xij);
            // x_ij ≤ y_j
            constraints.push(constraint!(xij <= yj));
            x.push((i, j, xij, coef));
        }
        // Σ_j x_ij = 1
        constraints.push(constraint!(assigned == 1.0));
    }
    // Σ_j y_j = p
    let open: Expression = y.iter().map(|&(_, v)| v).sum();
    constraints.push(constraint!(open == problem.p() as f64));
    // y_j = 1   for every fixed site j
    for j in problem.fixed_sites() {
        if let Some(yj) = y_of[j] {
            constraints.push(constraint!(yj == 1.0));
        }
    }
    // Σ_{j ∈ E} (1 − y_j) ≤ C   ⇔   Σ_{j ∈ E, allowed} y_j ≥ |E| − C   (forbidden y_j = 0)
    let must_stay = problem.n_existing().saturating_sub(problem.max_closed());
    if must_stay > 0 {
        let kept: Expression = y
            .iter()
            .filter(|&&(j, _)| problem.is_existing(j))
            .map(|&(_, v)| v)
            .sum();
        constraints.push(constraint!(kept >= must_stay as f64));
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
pub(crate) fn run(
    problem: &Problem<'_>,
    backend: MipBackend,
    integer: bool,
    time_limit: Duration,
    warm: Option<&[usize]>,
    gap_tolerance: f64,
) -> Result<Outcome> {
    let f = formulate(problem, integer);
    let seconds = time_limit.as_secs_f64();
    match backend {
        MipBackend::Microlp => {
            #[cfg(feature = "microlp")]
            {
                let (model, fx) = build(f, problem, warm, good_lp::microlp, seconds);
                // microlp's default MIP gap is 0 (exact); a looser tolerance is passed on.
                let model = if gap_tolerance > 1e-9 {
                    model
                        .with_mip_gap(gap_tolerance as f32)
                        .map_err(|e| solver_error("microlp", e))?
                } else {
                    model
                };
                finish("microlp", model.solve(), &fx)
            }
            #[cfg(not(feature = "microlp"))]
            {
                let _ = (f, seconds, warm, gap_tolerance);
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
                // HiGHS stops at a 1e-4 relative gap by default: pass our tolerance on, so
                // that "optimal" means what it says.
                let model = model
                    .set_option("output_flag", false)
                    .set_threads(1)
                    .with_mip_gap(gap_tolerance.max(0.0) as f32)
                    .map_err(|e| solver_error("highs", e))?;
                finish("highs", model.solve(), &fx)
            }
            #[cfg(not(feature = "highs"))]
            {
                let _ = (f, seconds, warm, gap_tolerance);
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

/// What is left of the formulation once the model owns the variables.
struct Extract {
    y: Vec<(usize, Variable)>,
    x: Vec<(usize, usize, Variable, f64)>,
    scale: f64,
}

#[cfg_attr(not(any(feature = "microlp", feature = "highs")), allow(dead_code))]
fn build<S>(
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
            })
        }
        // microlp: "Time limit reached before finding a feasible solution";
        // HiGHS: no primal solution when its time limit struck first.
        Err(ResolutionError::Other(msg))
            if msg.contains("Time limit") || msg == "NoSolutionFound" =>
        {
            Ok(Outcome::NoSolution)
        }
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
    use crate::solve::{Budget, Constraints, Instance};

    /// Points on a circle: the LP relaxation of p = 2 on an odd cycle is fractional.
    fn cycle(n: usize) -> Instance {
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

    fn solved(o: Outcome) -> (MipStatus, Vec<(usize, f64)>, f64) {
        match o {
            Outcome::Solved {
                status,
                y,
                objective,
            } => (status, y, objective),
            Outcome::NoSolution => panic!("no solution"),
        }
    }

    #[test]
    fn mip_solves_a_small_cycle_exactly() {
        let inst = cycle(7);
        let pb = Problem::new(
            &inst,
            &Constraints {
                p: 2,
                ..Default::default()
            },
        )
        .unwrap();
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
        let pb = Problem::new(
            &inst,
            &Constraints {
                p: 2,
                ..Default::default()
            },
        )
        .unwrap();
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

    #[cfg(not(feature = "highs"))]
    #[test]
    fn highs_without_the_feature_is_a_clear_error() {
        let inst = cycle(5);
        let pb = Problem::new(
            &inst,
            &Constraints {
                p: 1,
                ..Default::default()
            },
        )
        .unwrap();
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
