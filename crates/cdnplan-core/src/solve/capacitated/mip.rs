//! The capacitated formulation through good_lp (see the [module docs](super) for the model):
//!
//! ```text
//! minimise   Σ_i Σ_j (w_i / W) · c_ij · x_ij              (W = Σ_i w_i, for conditioning)
//! subject to Σ_j x_ij = 1                    for every client i
//!            x_ij ≤ y_j                      for every pair (the strong formulation)
//!            Σ_i d_i · x_ij ≤ Q_j · y_j      for every allowed site j
//!            Σ_j y_j = p;  y_j = 1 for fixed sites;  Σ_{j ∈ E} y_j ≥ |E| − C
//!            Σ_j u_j · y_j ≤ U                (with a monthly cost budget)
//! ```
//!
//! Forbidden sites, and the sites and pairs a [`Fixing`] rules out, get no variables.

use std::time::Duration;

#[cfg(feature = "microlp")]
use good_lp::WithMipGap;
use good_lp::{
    Constraint, Expression, ProblemVariables, ResolutionError, SolutionStatus, SolverModel,
    Variable, WithInitialSolution, WithTimeLimit, constraint, variable,
};

use super::bound::Fixing;
use super::{Assignment, Capacitated};
use crate::error::{Error, Result};
use crate::solve::{MipBackend, PROOF_GAP};

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// The backend returned values.
    Solved {
        /// The open set (`y_j > 0.5`).
        open: Vec<usize>,
        /// Single-source: the rounded assignment, when it fits the capacities.
        shares: Option<Vec<Vec<(usize, f64)>>>,
        /// The model's objective `Σ w_i c_ij x_ij` at the returned values.
        objective: f64,
        /// The relative gap proven for these values (`None`: time-limited).
        proven_gap: Option<f64>,
    },
    /// The model has no feasible point.
    Infeasible,
    /// The time limit struck before a feasible point.
    NoSolution,
}

struct Model {
    vars: ProblemVariables,
    objective: Expression,
    constraints: Vec<Constraint>,
    y: Vec<(usize, Variable)>,
    /// `(client, site, x_ij)`.
    x: Vec<(usize, usize, Variable)>,
}

fn formulate(cap: &Capacitated<'_, '_>, fixing: Option<&Fixing>) -> Model {
    let inst = cap.instance();
    let problem = cap.problem;
    let m = inst.n_sites;
    let total = inst.total_weight();
    let scale = if total > 0.0 { total } else { 1.0 };
    let single = cap.assignment == Assignment::SingleSource;
    let mut vars = ProblemVariables::new();
    let mut y = Vec::new();
    let mut y_of = vec![None; m];
    for j in problem.allowed_sites() {
        if fixing.is_some_and(|f| f.closed[j]) && !problem.is_fixed(j) {
            continue;
        }
        let v = vars.add(variable().binary());
        y_of[j] = Some(v);
        y.push((j, v));
    }
    let mut objective = Expression::default();
    let mut constraints = Vec::new();
    let mut x = Vec::new();
    let mut load: Vec<Expression> = vec![Expression::default(); m];
    for i in 0..inst.n_clients {
        let mut assigned = Expression::default();
        for &(j, yj) in &y {
            if fixing.is_some_and(|f| f.off[i * m + j]) {
                continue;
            }
            let def = if single {
                variable().binary()
            } else {
                variable().min(0.0).max(1.0)
            };
            let xij = vars.add(def);
            objective.add_mul(inst.weight[i] * inst.cost(i, j) / scale, xij);
            assigned.add_mul(1.0, xij);
            load[j].add_mul(cap.demand[i], xij);
            // x_ij ≤ y_j
            constraints.push(constraint!(xij <= yj));
            x.push((i, j, xij));
        }
        // Σ_j x_ij = 1
        constraints.push(constraint!(assigned == 1.0));
    }
    // Σ_i d_i x_ij ≤ Q_j y_j
    for &(j, yj) in &y {
        let lj = std::mem::take(&mut load[j]);
        constraints.push(constraint!(lj <= cap.capacity[j] * yj));
    }
    constraints.extend(crate::solve::mip::site_rows(problem, &y, &y_of));
    // Σ_j u_j y_j ≤ U
    if let Some(mc) = cap.monthly_cost {
        let spend: Expression = y.iter().map(|&(j, yj)| mc.usd_per_site[j] * yj).sum();
        constraints.push(constraint!(spend <= mc.budget_usd));
    }
    Model {
        vars,
        objective,
        constraints,
        y,
        x,
    }
}

/// Solves the model within `time_limit`, warm-started by `warm` (open set) when given.
pub(crate) fn run(
    cap: &Capacitated<'_, '_>,
    backend: MipBackend,
    time_limit: Duration,
    warm: Option<&[usize]>,
    fixing: Option<&Fixing>,
    gap_tolerance: f64,
) -> Result<Outcome> {
    let model = formulate(cap, fixing);
    let seconds = time_limit.as_secs_f64().min(1e9);
    let requested = if gap_tolerance > PROOF_GAP {
        gap_tolerance.min(1.0)
    } else {
        0.0
    };
    let warm_values = warm.and_then(|open| warm_start(cap, &model, open));
    match backend {
        MipBackend::Microlp => {
            #[cfg(feature = "microlp")]
            {
                let (m, y, x) = build(model, good_lp::microlp, seconds, warm_values);
                let m = if requested > 0.0 {
                    m.with_mip_gap(requested as f32)
                        .map_err(|e| solver_error("microlp", e))?
                } else {
                    m
                };
                finish("microlp", cap, m.solve(), &y, &x, requested)
            }
            #[cfg(not(feature = "microlp"))]
            {
                let _ = (model, seconds, warm_values, requested);
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
                let (m, y, x) = build(model, good_lp::highs, seconds, warm_values);
                let m = m
                    .set_threads(1)
                    .set_mip_abs_gap(0.0)
                    .and_then(|m| m.set_mip_rel_gap(requested as f32))
                    .map_err(|e| solver_error("highs", e))?;
                finish("highs", cap, m.solve(), &y, &x, requested)
            }
            #[cfg(not(feature = "highs"))]
            {
                let _ = (model, seconds, warm_values, requested);
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

/// Values of `y` and `x` for the open set `open` with the heuristic's assignment; `None`
/// when the assignment uses a pair the model left out.
fn warm_start(
    cap: &Capacitated<'_, '_>,
    model: &Model,
    open: &[usize],
) -> Option<Vec<(Variable, f64)>> {
    let assigned = cap.assign(open)?;
    let m = cap.instance().n_sites;
    let mut share = vec![0.0; cap.instance().n_clients * m];
    for (i, sh) in assigned.shares.iter().enumerate() {
        for &(j, x) in sh {
            share[i * m + j] = x;
        }
    }
    let mut values: Vec<(Variable, f64)> = Vec::new();
    for &(j, v) in &model.y {
        values.push((v, if open.contains(&j) { 1.0 } else { 0.0 }));
    }
    let mut covered = 0.0;
    for &(i, j, v) in &model.x {
        covered += share[i * m + j];
        values.push((v, share[i * m + j]));
    }
    // Every share must have a variable.
    let n = cap.instance().n_clients as f64;
    ((covered - n).abs() < 1e-6 * n.max(1.0)).then_some(values)
}

#[cfg_attr(not(any(feature = "microlp", feature = "highs")), allow(dead_code))]
#[allow(clippy::type_complexity)]
fn build<S>(
    model: Model,
    solver: S,
    seconds: f64,
    warm: Option<Vec<(Variable, f64)>>,
) -> (
    S::Model,
    Vec<(usize, Variable)>,
    Vec<(usize, usize, Variable)>,
)
where
    S: good_lp::Solver,
    S::Model: WithTimeLimit + WithInitialSolution,
{
    let Model {
        vars,
        objective,
        constraints,
        y,
        x,
    } = model;
    let mut m = vars.minimise(objective).using(solver);
    for c in constraints {
        m.add_constraint(c);
    }
    let mut m = m.with_time_limit(seconds);
    if let Some(values) = warm {
        m = m.with_initial_solution(values);
    }
    (m, y, x)
}

#[cfg_attr(not(any(feature = "microlp", feature = "highs")), allow(dead_code))]
fn finish<S: good_lp::Solution>(
    solver: &'static str,
    cap: &Capacitated<'_, '_>,
    result: std::result::Result<S, ResolutionError>,
    y: &[(usize, Variable)],
    x: &[(usize, usize, Variable)],
    requested: f64,
) -> Result<Outcome> {
    match result {
        Ok(sol) => {
            let mut open: Vec<usize> = y
                .iter()
                .filter(|&&(_, v)| sol.value(v) > 0.5)
                .map(|&(j, _)| j)
                .collect();
            open.sort_unstable();
            let values = sol_values(&sol, x);
            let inst = cap.instance();
            let objective = values
                .iter()
                .map(|&(i, j, v)| inst.weight[i] * inst.cost(i, j) * v)
                .sum();
            let shares = (cap.assignment == Assignment::SingleSource)
                .then(|| rounded(cap, values))
                .flatten();
            let proven_gap = match sol.status() {
                SolutionStatus::Optimal | SolutionStatus::GapLimit => Some(requested),
                SolutionStatus::TimeLimit => None,
            };
            Ok(Outcome::Solved {
                open,
                shares,
                objective,
                proven_gap,
            })
        }
        Err(ResolutionError::Infeasible) => Ok(Outcome::Infeasible),
        Err(ResolutionError::Other(msg))
            if msg.contains("Time limit") || msg == "NoSolutionFound" =>
        {
            Ok(Outcome::NoSolution)
        }
        Err(e) => Err(solver_error(solver, e)),
    }
}

#[cfg_attr(not(any(feature = "microlp", feature = "highs")), allow(dead_code))]
fn sol_values<S: good_lp::Solution>(
    sol: &S,
    x: &[(usize, usize, Variable)],
) -> Vec<(usize, usize, f64)> {
    x.iter().map(|&(i, j, v)| (i, j, sol.value(v))).collect()
}

/// The single-source assignment of rounded `x`, when every client has one site and every
/// site's load fits.
#[cfg_attr(not(any(feature = "microlp", feature = "highs")), allow(dead_code))]
fn rounded(
    cap: &Capacitated<'_, '_>,
    x: Vec<(usize, usize, f64)>,
) -> Option<Vec<Vec<(usize, f64)>>> {
    let inst = cap.instance();
    let mut shares = vec![Vec::new(); inst.n_clients];
    let mut load = vec![0.0; inst.n_sites];
    for (i, j, v) in x {
        if v > 0.5 {
            shares[i].push((j, 1.0));
            load[j] += cap.demand[i];
        }
    }
    let ok = shares.iter().all(|s| s.len() == 1)
        && (0..inst.n_sites)
            .all(|j| super::single::fits(load[j], cap.capacity[j], cap.capacity[j]));
    ok.then_some(shares)
}

fn solver_error(solver: &'static str, e: impl std::fmt::Display) -> Error {
    Error::Solver {
        solver,
        message: e.to_string(),
    }
}

#[cfg(all(test, feature = "microlp"))]
mod tests {
    use proptest::prelude::*;
    use rand::{RngExt, SeedableRng};
    use rand_pcg::Pcg64;

    use super::*;
    use crate::solve::capacitated::flow;
    use crate::solve::{Constraints, Instance, Problem};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// The min-cost flow of a fixed open set equals the LP of the formulation with
        /// those sites fixed open.
        #[test]
        fn split_flow_matches_the_lp(n in 1usize..12, m in 2usize..6, seed in any::<u64>()) {
            let mut rng = Pcg64::seed_from_u64(seed);
            let cost: Vec<f64> = (0..n * m).map(|_| rng.random_range(0.0..50.0)).collect();
            let weight: Vec<f64> = (0..n).map(|_| rng.random_range(0.5..3.0)).collect();
            let demand: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..4.0)).collect();
            let total: f64 = demand.iter().sum();
            let capacity: Vec<f64> =
                (0..m).map(|_| rng.random_range(0.3..0.8) * total).collect();
            let inst = Instance::new(n, m, cost, weight).unwrap();
            let open: Vec<usize> = vec![0, 1];
            let c = Constraints { p: 2, fixed_open: open.clone(), ..Default::default() };
            let problem = Problem::new(&inst, &c).unwrap();
            let cap = Capacitated {
                problem: &problem,
                demand: &demand,
                capacity: &capacity,
                assignment: Assignment::Split,
                monthly_cost: None,
            };
            let f = flow::split(&inst, &demand, &capacity, &open);
            let lp = run(&cap, MipBackend::Microlp, Duration::from_secs(20), None, None, 0.0)
                .unwrap();
            match (f, lp) {
                (Some(f), Outcome::Solved { objective, .. }) => {
                    prop_assert!((f.cost - objective).abs() <= 1e-6 * objective.max(1.0),
                        "flow {} lp {}", f.cost, objective);
                }
                (None, Outcome::Infeasible) => {}
                (f, lp) => prop_assert!(false, "flow {f:?} lp {lp:?}"),
            }
        }
    }
}
