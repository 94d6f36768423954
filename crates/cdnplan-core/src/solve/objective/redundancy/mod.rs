//! Redundancy: keep each cell's `k`-th nearest node within T. Swap local search from several
//! starts, then an exact search on the [reduced model](reduce) for the proof; the MIP on small
//! instances when the search runs out of branches.
//!
//! ```text
//! minimise   Σ_i w_i · u_i
//! subject to Σ_{j allowed : c_ij ≤ T} y_j + k · u_i ≥ k     for every coverable client i
//!            Σ_j y_j = p,   y_j = 1 for fixed j,   Σ_{j ∈ E} (1 − y_j) ≤ C
//!            y_j, u_i ∈ {0, 1}
//! ```
//!
//! A client with fewer than `k` allowed sites within T is uncovered whatever opens: its
//! weight is a constant of the model and the bound without a proof.

use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

use super::{Objective, polish};
use crate::error::Result;
use crate::progress::Progress;
use crate::solve::{Constraints, Method, Problem, Solution, SolveOptions, Status};
use reduce::Reduced;

/// The MIP proves redundancy only on instances of at most this many client × allowed-site
/// pairs within the threshold (microlp's branch-and-bound is the limit).
pub const REDUNDANCY_MIP_MAX_CELLS: usize = 20_000;

/// Branches the exact search may visit before the MIP is tried instead.
const SEARCH_MAX_NODES: u64 = 4_000_000;

/// Perturbation rounds after the first descents (each: two random swaps, then a descent).
const KICKS: usize = 24;

#[allow(clippy::too_many_arguments)]
pub(super) fn solve(
    objective: &Objective,
    problem: &Problem<'_>,
    constraints: &Constraints,
    threshold_ms: f64,
    k: usize,
    options: &SolveOptions,
    deadline: Option<Instant>,
    progress: &dyn Progress,
) -> Result<Solution> {
    let inst = problem.instance();
    let allowed = problem.allowed_sites();
    let remaining = || deadline.map(|d| d.saturating_duration_since(Instant::now()));
    // The local search gets at most half the time (each engine start an eighth), so that the
    // exact search always has the other half.
    let eighth = remaining().map_or(options.time_limit, |r| r / 8);
    let local_deadline = remaining().and_then(|r| Instant::now().checked_add(r / 2));

    // The demand no allowed set can cover.
    let within: Vec<Vec<usize>> = (0..inst.n_clients)
        .map(|i| {
            allowed
                .iter()
                .copied()
                .filter(|&j| inst.cost(i, j) <= threshold_ms)
                .collect()
        })
        .collect();
    let trivial: f64 = (0..inst.n_clients)
        .map(|i| {
            if within[i].len() < k || problem.p() < k {
                inst.weight[i]
            } else {
                0.0
            }
        })
        .sum();

    // Starts: the p-median plan and the coverage (k = 1) plan, each descended.
    progress.message("redundancy: local search");
    let heuristic = options.clone().method(Method::Heuristic).time_limit(eighth);
    let median = crate::solve::solve(inst, constraints, &heuristic, progress)?;
    let cover = Objective::Coverage { threshold_ms }
        .as_pmedian(inst)
        .expect("reduces");
    let covered = crate::solve::solve(&cover, constraints, &heuristic, progress)?;
    let mut best: Option<(Vec<usize>, (f64, f64))> = None;
    let consider = |open: Vec<usize>, best: &mut Option<(Vec<usize>, (f64, f64))>| {
        let (open, s) = polish::descend(problem, open, objective, local_deadline);
        if best
            .as_ref()
            .is_none_or(|(o, b)| polish::better(s, *b) || (s == *b && open < *o))
        {
            *best = Some((open, s));
        }
    };
    consider(median.open, &mut best);
    consider(covered.open, &mut best);
    let mut rng = Pcg64::seed_from_u64(options.seed);
    for _ in 0..KICKS {
        let (open, score) = best.clone().expect("a start");
        if score.0 <= trivial || local_deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let kicked = kick(problem, &open, &allowed, &mut rng);
        consider(kicked, &mut best);
    }
    let (mut open, (mut value, _)) = best.expect("a start");
    let mut bound = trivial.min(value);
    let mut method = "swap-search".to_string();
    let mut cut = deadline.is_some_and(|d| Instant::now() >= d);

    let mut proven = false;
    if bound < value && !cut {
        progress.message("redundancy: exact search");
        let model = Reduced::new(problem, &within, k);
        let found = search::search(&model, value, deadline, SEARCH_MAX_NODES);
        if let Some(counts) = &found.counts {
            let set = model.open_set(counts);
            let (polished, s) = polish::descend(problem, set, objective, deadline);
            if s.0 < value {
                open = polished;
                value = s.0;
                method = "cover-search+swap".into();
            }
        }
        if found.proven {
            proven = true;
            bound = value;
            if method == "swap-search" {
                method = "swap-search+cover-search".into();
            }
        } else {
            bound = bound.max(found.root_bound.min(value));
            cut = deadline.is_some_and(|d| Instant::now() >= d);
        }
    }

    let pairs: usize = within.iter().map(Vec::len).sum();
    if bound < value && !proven && !cut && pairs <= REDUNDANCY_MIP_MAX_CELLS {
        match remaining() {
            Some(t) if t.is_zero() => cut = true,
            _ => {
                progress.begin("redundancy mip", None);
                let time = remaining().unwrap_or(options.time_limit);
                let mip = mip::run(problem, &within, k, trivial, &open, time)?;
                progress.end();
                match mip {
                    Some((set, proven)) => {
                        if problem.is_feasible(&set) {
                            let v = objective.value(inst, &set);
                            if v < value {
                                let (polished, s) =
                                    polish::descend(problem, set, objective, deadline);
                                open = polished;
                                value = s.0;
                                method = "mip/microlp+swap".into();
                            }
                            if proven {
                                bound = v.min(value);
                                if method == "swap-search" {
                                    method = "swap-search+mip/microlp".into();
                                }
                            } else {
                                cut = true;
                            }
                        }
                    }
                    None => cut = true,
                }
            }
        }
    }
    let status = if bound >= value {
        Status::Optimal
    } else if cut {
        Status::TimeLimit
    } else {
        Status::Heuristic
    };
    Ok(Solution {
        open,
        objective: value,
        lower_bound: bound.min(value),
        status,
        method,
    })
}

/// Two random feasible swaps of `open` (fewer when none is feasible).
fn kick(problem: &Problem<'_>, open: &[usize], allowed: &[usize], rng: &mut Pcg64) -> Vec<usize> {
    let mut set = open.to_vec();
    for _ in 0..2 {
        for _attempt in 0..16 {
            let out = set[rng.random_range(0..set.len())];
            let inn = allowed[rng.random_range(0..allowed.len())];
            if problem.is_fixed(out) || set.contains(&inn) {
                continue;
            }
            let mut next: Vec<usize> = set.iter().copied().filter(|&j| j != out).collect();
            next.push(inn);
            next.sort_unstable();
            if problem.is_feasible(&next) {
                set = next;
                break;
            }
        }
    }
    set
}

mod reduce;
mod search;

mod mip {
    use std::time::Duration;

    use crate::error::Result;
    use crate::solve::Problem;

    /// Solves the model of the [module docs](super) warm-started from `warm`: `Some((open,
    /// proven))`, `proven` when the search finished; `None` when no solution came back in
    /// time or microlp is not compiled in.
    #[cfg(feature = "microlp")]
    pub(super) fn run(
        problem: &Problem<'_>,
        within: &[Vec<usize>],
        k: usize,
        _constant: f64,
        warm: &[usize],
        time: Duration,
    ) -> Result<Option<(Vec<usize>, bool)>> {
        use good_lp::{
            Expression, ProblemVariables, ResolutionError, Solution, SolutionStatus, SolverModel,
            Variable, WithInitialSolution, WithTimeLimit, constraint, variable,
        };
        let inst = problem.instance();
        let total = inst.total_weight().max(1.0);
        let mut vars = ProblemVariables::new();
        let mut y_of: Vec<Option<Variable>> = vec![None; inst.n_sites];
        let mut y = Vec::new();
        for j in problem.allowed_sites() {
            let v = vars.add(variable().binary());
            y_of[j] = Some(v);
            y.push((j, v));
        }
        let mut objective = Expression::with_capacity(inst.n_clients);
        let mut constraints = Vec::new();
        let mut warm_values = Vec::new();
        for (i, near) in within.iter().enumerate() {
            let w = inst.weight[i];
            if w == 0.0 || near.len() < k {
                continue;
            }
            let u = vars.add(variable().binary());
            objective.add_mul(w / total, u);
            let mut reach = Expression::with_capacity(near.len() + 1);
            for &j in near {
                if let Some(yj) = y_of[j] {
                    reach.add_mul(1.0, yj);
                }
            }
            reach.add_mul(k as f64, u);
            // Σ_{j : c_ij ≤ T} y_j + k·u_i ≥ k
            constraints.push(constraint!(reach >= k as f64));
            let open_near = near.iter().filter(|j| warm.contains(j)).count();
            warm_values.push((u, if open_near >= k { 0.0 } else { 1.0 }));
        }
        constraints.extend(crate::solve::mip::site_rows(problem, &y, &y_of));
        warm_values.extend(
            y.iter()
                .map(|&(j, v)| (v, if warm.contains(&j) { 1.0 } else { 0.0 })),
        );
        let mut model = vars.minimise(objective).using(good_lp::microlp);
        for c in constraints {
            model.add_constraint(c);
        }
        let model = model
            .with_time_limit(time.as_secs_f64())
            .with_initial_solution(warm_values);
        match model.solve() {
            Ok(sol) => {
                let mut open: Vec<usize> = y
                    .iter()
                    .filter(|&&(_, v)| sol.value(v) > 0.5)
                    .map(|&(j, _)| j)
                    .collect();
                open.sort_unstable();
                Ok(Some((
                    open,
                    matches!(sol.status(), SolutionStatus::Optimal),
                )))
            }
            Err(ResolutionError::Other(msg)) if msg.contains("Time limit") => Ok(None),
            Err(e) => Err(crate::error::Error::Solver {
                solver: "microlp",
                message: e.to_string(),
            }),
        }
    }

    /// Without microlp there is no proof.
    #[cfg(not(feature = "microlp"))]
    pub(super) fn run(
        _problem: &Problem<'_>,
        _within: &[Vec<usize>],
        _k: usize,
        _constant: f64,
        _warm: &[usize],
        _time: Duration,
    ) -> Result<Option<(Vec<usize>, bool)>> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use crate::solve::Instance;

    #[test]
    fn a_backup_within_the_threshold_needs_two_nearby_sites() {
        // Clients at 0 and 10; sites at 0, 1, 10, 20. Two sites near 0 cover client 0 twice.
        let clients = [0.0, 10.0_f64];
        let sites = [0.0, 1.0, 10.0, 20.0_f64];
        let cost = clients
            .iter()
            .flat_map(|a| sites.iter().map(move |b| (a - b).abs()))
            .collect();
        let inst = Instance::new(2, 4, cost, vec![3.0, 1.0]).unwrap();
        let c = Constraints {
            p: 2,
            ..Default::default()
        };
        let o = Objective::Redundancy {
            threshold_ms: 2.0,
            k: 2,
        };
        let s = o
            .solve(&inst, &c, &SolveOptions::new(), &NoProgress)
            .unwrap();
        assert_eq!(
            (s.open, s.objective, s.status),
            (vec![0, 1], 1.0, Status::Optimal)
        );
    }

    #[test]
    fn fewer_open_sites_than_k_leave_everything_uncovered_and_proven() {
        let inst = Instance::new(1, 3, vec![0.0, 0.0, 0.0], vec![2.0]).unwrap();
        let c = Constraints {
            p: 1,
            ..Default::default()
        };
        let o = Objective::Redundancy {
            threshold_ms: 5.0,
            k: 2,
        };
        let s = o
            .solve(&inst, &c, &SolveOptions::new(), &NoProgress)
            .unwrap();
        assert_eq!(
            (s.objective, s.lower_bound, s.status),
            (2.0, 2.0, Status::Optimal)
        );
    }
}
