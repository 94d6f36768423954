//! The p-median engine: choose `p` open sites minimising the weighted cost of serving every
//! client from its cheapest open site, under fixed-open, forbidden and relocation-budget
//! constraints.
//!
//! ## Paths
//!
//! * **Auto** ([`Method::Auto`], the default): the engine. [`Multistart`] greedy + cached
//!   fast swap ([`FastSwap`], Resende–Werneck) from several seeded starts in parallel; then
//!   [`BranchAndBound`] on the [`Lagrangian`] bound with reduced-cost fixing, which proves
//!   the incumbent optimal or finds a better one and proves that, within the time limit.
//!   Once the fixing leaves a small [reduced problem](reduced), that is solved exactly as a
//!   MIP instead of searching the tree; when it does not, the incumbent is first improved
//!   by [`Vns`] ([`Polish`]). Memory stays at the cost matrix plus
//!   one sorted site list per client.
//! * **Heuristic** ([`Method::Heuristic`]): the multistart, then one Lagrangian ascent for a
//!   bound (and the primal sets it meets); no search tree.
//! * **Exact** ([`Method::Exact`]): the strong formulation through good_lp
//!   ([`MipBackend::Microlp`] or [`MipBackend::Highs`]): the heuristic's incumbent, the LP
//!   relaxation (which proves optimality when integral or equal to the incumbent), then the
//!   MIP warm-started by the incumbent — see [`mip`]. Refused above [`EXACT_MAX_CELLS`]
//!   pairs. Kept as an independent check of the engine and for comparison with HiGHS.
//!
//! A solution is [`Status::Optimal`] only when a bound or the solver proves it; a run cut by
//! the time limit is [`Status::TimeLimit`] with the best incumbent and the best valid bound.
//! When every weighted cost is an integer (OR-Library instances, request counts × whole
//! milliseconds) a bound `b` proves `⌈b⌉`, which the engine uses.
//!
//! ## Example
//!
//! ```
//! use cdnplan_core::solve::{solve, Constraints, Instance, Method, SolveOptions, Status};
//! use cdnplan_core::NoProgress;
//!
//! // Five clients on a line at 0, 1, 2, 10, 11; a site at each client.
//! let xs = [0.0, 1.0, 2.0, 10.0, 11.0_f64];
//! let cost = xs.iter().flat_map(|a| xs.iter().map(move |b| (a - b).abs())).collect();
//! let instance = Instance::new(5, 5, cost, vec![1.0; 5])?;
//! let constraints = Constraints { p: 2, ..Default::default() };
//! let options = SolveOptions::new().method(Method::Exact).seed(7);
//! let best = solve(&instance, &constraints, &options, &NoProgress)?;
//! assert_eq!(best.open, vec![1, 3]);
//! assert_eq!(best.objective, 3.0);
//! assert_eq!(best.status, Status::Optimal);
//! # Ok::<(), cdnplan_core::Error>(())
//! ```

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::progress::Progress;

/// Lower bounds: the trivial bound and the LP relaxation.
pub mod bound;
/// Branch-and-bound on the Lagrangian bound.
pub mod branch;
/// Brute-force enumeration for tests and tiny instances.
pub mod brute;
/// The capacitated p-median (split and single-source assignment).
pub mod capacitated;
#[cfg(test)]
mod deadlines;
/// Greedy construction.
pub mod greedy;
/// Multistart greedy + swap + VNS.
pub mod heuristic;
/// Validated instances and constraints.
pub mod instance;
/// The Lagrangian lower bound and reduced-cost fixing.
pub mod lagrange;
/// The strong MIP formulation through good_lp.
pub mod mip;
#[cfg(test)]
mod nearest_tests;
/// Placement objectives: coverage, worst case, redundancy, blended.
pub mod objective;
/// OR-Library p-median file parsers.
pub mod orlib;
/// The reduced problem left by reduced-cost fixing, solved as a MIP.
pub mod reduced;
/// Swap local search with cached gains.
pub mod swap;
/// Synthetic world-scale instances for benchmarks.
pub mod synthetic;
#[cfg(test)]
mod testkit;
/// TSPLIB point sets as p-median instances (the literature's large benchmarks).
pub mod tsplib;
/// Twin candidate sites (identical cost columns), merged before the proof.
pub mod twins;
/// Variable neighbourhood search.
pub mod vns;

pub use bound::{Bound, LowerBound, LpRelaxation, TrivialBound};
pub use branch::{BranchAndBound, Polish, Proof};
pub use brute::brute_force;
pub use greedy::Greedy;
pub use heuristic::{Incumbent, Multistart};
pub use instance::Problem;
pub use lagrange::{Fixing, Lagrangian, LagrangianBound};
pub use objective::Objective;
pub use orlib::{PmedInstance, PmedcapInstance, parse_pmed, parse_pmedcap, parse_pmedopt};
pub use reduced::ReducedMip;
pub use swap::{FastSwap, SearchStats};
pub use tsplib::{PublishedValue, parse_published_values, parse_tsplib, tsplib_instance};
pub use twins::{Twin, twin_sites};
pub use vns::{Vns, VnsStats};

/// [`Method::Exact`] refuses instances above this many client × allowed-site pairs
/// ([`Error::TooLarge`]): the model alone would take gigabytes.
pub const EXACT_MAX_CELLS: usize = 4_000_000;

/// The most client × site pairs a solve accepts (about 11 GB with
/// [`BYTES_PER_PAIR`](instance::BYTES_PER_PAIR)); larger instances are refused up front
/// ([`Error::TooLarge`]) with the memory they would need.
pub const MAX_PAIRS: usize = 400_000_000;

/// The longest time limit a solve accepts (a week): longer ones are refused up front rather
/// than overflowing a clock.
pub const MAX_TIME_LIMIT: Duration = Duration::from_secs(7 * 24 * 3600);

/// A time limit of `seconds`, refused (with the reason) when it is not a positive finite
/// number of at most [`MAX_TIME_LIMIT`]. The one rule for every time limit a user gives (the
/// scenario's `time_limit_s`, `plan --time-limit`, the benchmarks').
///
/// # Errors
/// A message naming the value and the accepted range.
pub fn time_limit_from_secs(seconds: f64) -> std::result::Result<Duration, String> {
    if seconds.is_finite() && seconds > 0.0 && seconds <= MAX_TIME_LIMIT.as_secs_f64() {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(format!(
            "{seconds}: expected a positive number of seconds, at most {} (a week)",
            MAX_TIME_LIMIT.as_secs()
        ))
    }
}

/// Relative gap under which a bound proves a solution optimal (floating-point tolerance).
pub const PROOF_GAP: f64 = 1e-9;

/// Mixed into the seed for the engine's VNS after the root ([`Polish`]).
const POLISH_SEED: u64 = 0x2545_f491_4f6c_dd1d;

/// A p-median instance: `n_clients × n_sites` costs (client-major) and a weight per client.
/// The objective of an open set `S` is `Σ_i weight[i] · min_{j ∈ S} cost[i·n_sites + j]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// Number of clients (demand cells).
    pub n_clients: usize,
    /// Number of candidate sites.
    pub n_sites: usize,
    /// Row-major `n_clients × n_sites` cost (e.g. RTT in ms).
    pub cost: Vec<f64>,
    /// Weight per client (e.g. requests).
    pub weight: Vec<f64>,
}

/// Constraints on the open set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Constraints {
    /// Exactly this many sites open.
    pub p: usize,
    /// Sites that must be open.
    pub fixed_open: Vec<usize>,
    /// Sites that may not be open.
    pub forbidden: Vec<usize>,
    /// Relocation budget: at most `max_closed` of `existing` may be closed.
    pub budget: Option<Budget>,
}

/// A relocation budget over the sites where nodes stand today.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Budget {
    /// Sites open today.
    pub existing: Vec<usize>,
    /// At most this many of them may close.
    pub max_closed: usize,
}

/// How to solve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Method {
    /// The engine: multistart greedy + swap, then Lagrangian branch-and-bound (with VNS and an
    /// exact reduced MIP where they pay) within the time limit.
    #[default]
    Auto,
    /// The strong MIP formulation through good_lp (warm-started by the heuristic).
    Exact,
    /// Multistart VNS and a Lagrangian bound, without a search tree.
    Heuristic,
}

/// MIP backend for the exact path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MipBackend {
    /// Pure-Rust microlp (default).
    #[default]
    Microlp,
    /// HiGHS (cargo feature `highs`).
    Highs,
}

crate::named::named!(Method, "method", {
    Method::Auto => "auto",
    Method::Exact => "exact",
    Method::Heuristic => "heuristic",
});

crate::named::named!(MipBackend, "MIP backend", {
    MipBackend::Microlp => "microlp",
    MipBackend::Highs => "highs",
});

/// Solver settings.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SolveOptions {
    /// Method.
    pub method: Method,
    /// MIP backend.
    pub backend: MipBackend,
    /// Wall-clock limit for the whole solve.
    pub time_limit: Duration,
    /// Seed for every random choice.
    pub seed: u64,
    /// Relative gap at which a solution counts as proven (0 = exact).
    pub gap_tolerance: f64,
    /// Heuristic starts (start 0 is the pure greedy; the others are randomised).
    pub starts: usize,
    /// Most improving swaps per start (the time limit is a further safety stop).
    pub max_swaps: usize,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            method: Method::Auto,
            backend: MipBackend::Microlp,
            time_limit: Duration::from_secs(60),
            seed: 0,
            gap_tolerance: 1e-9,
            starts: 8,
            max_swaps: 10_000,
        }
    }
}

impl SolveOptions {
    /// The defaults: [`Method::Auto`], microlp, 60 s, seed 0, gap 1e-9, 8 starts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the method.
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Sets the MIP backend.
    pub fn backend(mut self, backend: MipBackend) -> Self {
        self.backend = backend;
        self
    }

    /// Sets the wall-clock limit for the whole solve.
    pub fn time_limit(mut self, time_limit: Duration) -> Self {
        self.time_limit = time_limit;
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the relative gap tolerance.
    pub fn gap_tolerance(mut self, gap: f64) -> Self {
        self.gap_tolerance = gap;
        self
    }

    /// Sets the number of heuristic starts (at least 1 is used).
    pub fn starts(mut self, starts: usize) -> Self {
        self.starts = starts;
        self
    }

    /// Sets the swap limit per start.
    pub fn max_swaps(mut self, max_swaps: usize) -> Self {
        self.max_swaps = max_swaps;
        self
    }

    /// The multistart heuristic of these options (greedy starts, the fast swap and VNS,
    /// with [`starts`](Self::starts), [`seed`](Self::seed) and
    /// [`max_swaps`](Self::max_swaps)).
    pub fn multistart(&self) -> Multistart {
        Multistart {
            starts: self.starts,
            seed: self.seed,
            swap: FastSwap {
                max_swaps: self.max_swaps,
            },
            vns: Vns {
                max_swaps: self.max_swaps,
                ..Vns::default()
            },
        }
    }
}

/// How far a solution is proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Objective equals the lower bound.
    Optimal,
    /// Within the requested gap tolerance of the bound.
    GapLimit,
    /// Stopped by the time limit: the best solution found, with the bound reached.
    TimeLimit,
    /// Heuristic only: the bound is a cheap relaxation, not a proof.
    Heuristic,
}

crate::named::named!(Status, "status", {
    Status::Optimal => "optimal",
    Status::GapLimit => "gap_limit",
    Status::TimeLimit => "time_limit",
    Status::Heuristic => "heuristic",
});

/// The answer of [`solve`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Solution {
    /// Open sites, sorted.
    pub open: Vec<usize>,
    /// Objective value.
    pub objective: f64,
    /// A valid lower bound on the optimum.
    pub lower_bound: f64,
    /// Proof status.
    pub status: Status,
    /// What produced it (e.g. `"greedy+swap"`, `"mip/microlp"`).
    pub method: String,
}

impl Solution {
    /// Relative gap `(objective − bound) / objective` (0 when the objective is 0).
    pub fn gap(&self) -> f64 {
        if self.objective > 0.0 {
            ((self.objective - self.lower_bound) / self.objective).max(0.0)
        } else {
            0.0
        }
    }
}

/// Solves `instance` under `constraints` (see the [module docs](crate::solve) for the paths).
///
/// The returned [`Solution::objective`] is [`Instance::objective`] of the open set, and
/// [`Solution::lower_bound`] is a valid lower bound (equal to the objective when
/// [`Status::Optimal`]).
///
/// # Errors
/// [`Error::InvalidWeight`] for a NaN, infinite or negative cost or weight;
/// [`Error::Contradiction`] when a site is both fixed and forbidden; [`Error::Infeasible`]
/// naming the constraint that cannot hold; [`Error::TooLarge`] for [`Method::Exact`] above
/// [`EXACT_MAX_CELLS`]; [`Error::Solver`] when the backend fails (or is not compiled in).
/// Reaching the time limit is not an error.
pub fn solve(
    instance: &Instance,
    constraints: &Constraints,
    options: &SolveOptions,
    progress: &dyn Progress,
) -> Result<Solution> {
    let started = Instant::now();
    let deadline = started.checked_add(options.time_limit);
    let problem = without_twins(instance, constraints, progress)?;
    let cells = instance.n_clients * problem.allowed_sites().len();
    if options.method == Method::Exact && cells > EXACT_MAX_CELLS {
        return Err(Error::TooLarge {
            method: "exact MIP",
            detail: format!(
                "{} clients × {} allowed sites = {cells} pairs (limit {EXACT_MAX_CELLS}); \
                 use the heuristic",
                instance.n_clients,
                cells / instance.n_clients.max(1)
            ),
        });
    }
    // The incumbent search may use at most half the time when a bound follows, so that a
    // time limit always leaves a Lagrangian bound (not just the trivial one) in the answer.
    let incumbent_deadline = match options.method {
        Method::Exact => deadline,
        _ => started.checked_add(options.time_limit / 2),
    };
    // The engine starts its proof from the starts' local optima and runs the VNS only when
    // the root shows it is needed (see `Polish`).
    let mut multistart = options.multistart();
    if options.method == Method::Auto {
        multistart.vns.rounds = 0;
    }
    let incumbent = multistart.run(&problem, incumbent_deadline, progress);
    let mut run = Run {
        problem: &problem,
        options,
        deadline,
        open: incumbent.open,
        objective: incumbent.objective,
        method: if options.method == Method::Auto {
            "greedy+swap"
        } else {
            "vns"
        }
        .to_string(),
        bound: problem.trivial_bound(),
        cut: !incumbent.complete,
    };
    match options.method {
        Method::Auto => run.branch_and_bound(progress),
        Method::Exact => run.exact(progress)?,
        Method::Heuristic => run.lagrangian_bound(progress),
    }
    Ok(run.finish())
}

/// The problem of `constraints` with the [twin sites](twins) left out when that keeps the
/// optimum (at least `p` allowed sites remain), else as given; errors name the constraints
/// as given (the merged problem is only ever more restricted, so it fails whenever they do).
fn without_twins<'a>(
    instance: &'a Instance,
    constraints: &Constraints,
    progress: &dyn Progress,
) -> Result<Problem<'a>> {
    let twins = twin_sites(instance, constraints);
    if !twins.is_empty() {
        let mut merged = constraints.clone();
        merged.forbidden.extend(twins.iter().map(|t| t.dropped));
        if let Ok(reduced) = Problem::new(instance, &merged) {
            progress.message(&format!(
                "{} candidate sites merged into identical twins",
                twins.len()
            ));
            return Ok(reduced);
        }
    }
    Problem::new(instance, constraints)
}

/// The state of one [`solve`] call.
struct Run<'p, 'a> {
    problem: &'p Problem<'a>,
    options: &'p SolveOptions,
    deadline: Option<Instant>,
    open: Vec<usize>,
    objective: f64,
    method: String,
    bound: f64,
    /// Some phase was cut short by the time limit.
    cut: bool,
}

impl Run<'_, '_> {
    fn remaining(&self) -> Duration {
        match self.deadline {
            Some(d) => d.saturating_duration_since(Instant::now()),
            None => Duration::MAX,
        }
    }

    fn proven(&self) -> bool {
        relative_gap(self.objective, self.bound) <= PROOF_GAP
    }

    /// Offers an open set; keeps it when it is better.
    fn offer(&mut self, open: Vec<usize>, method: String) {
        if !self.problem.is_feasible(&open) {
            return;
        }
        let objective = self.problem.instance().objective(&open);
        if objective
            .total_cmp(&self.objective)
            .then_with(|| open.cmp(&self.open))
            .is_lt()
        {
            self.open = open;
            self.objective = objective;
            self.method = method;
        }
    }

    /// The engine's proof: Lagrangian branch-and-bound from the incumbent.
    fn branch_and_bound(&mut self, progress: &dyn Progress) {
        // Runs even when the incumbent search was cut short: the bound is valid whatever the
        // incumbent, and the ascent's inner solutions may improve it.
        if self.proven() {
            return;
        }
        let proof = BranchAndBound {
            polish: Some(Polish {
                vns: self.options.multistart().vns,
                seed: self.options.seed ^ POLISH_SEED,
            }),
            ..BranchAndBound::default()
        }
        .solve(
            self.problem,
            &self.open,
            self.objective,
            self.options.gap_tolerance,
            self.deadline,
            progress,
        );
        self.offer(proof.open, "lagrangian-bb".to_string());
        self.bound = self.bound.max(proof.bound);
        self.cut |= !proof.complete;
    }

    /// One Lagrangian ascent: a bound, and the primal sets it meets.
    fn lagrangian_bound(&mut self, progress: &dyn Progress) {
        if self.proven() {
            return;
        }
        progress.begin("lagrangian bound", None);
        let lb = Lagrangian::default().ascend(
            self.problem,
            &self.open,
            self.objective,
            self.options.gap_tolerance,
            self.deadline,
        );
        progress.end();
        if let Some((open, _)) = lb.best_open {
            let open = swap::polish(self.problem, &open, self.options.max_swaps, self.deadline);
            self.offer(open, "lagrangian+swap".to_string());
        }
        self.bound = self.bound.max(lb.value.min(self.objective));
        self.cut |= lb.cut;
    }

    /// Raises the bound with the LP relaxation; `Ok(false)` when it did not finish in time.
    fn lp_bound(&mut self, time: Duration, progress: &dyn Progress) -> Result<bool> {
        if self.proven() {
            return Ok(true);
        }
        if time.is_zero() {
            self.cut = true;
            return Ok(false);
        }
        progress.begin("lp relaxation", None);
        let lb = LpRelaxation {
            backend: self.options.backend,
        }
        .lower_bound(self.problem, time);
        progress.end();
        match lb? {
            Some(lb) => {
                self.bound = self.bound.max(lb.value);
                if let Some(open) = lb.optimal_open {
                    let method = format!("lp/{}", self.options.backend.name());
                    self.offer(open, method);
                }
                Ok(true)
            }
            None => {
                self.cut = true;
                Ok(false)
            }
        }
    }

    /// LP relaxation, then the MIP when the LP did not settle it.
    fn exact(&mut self, progress: &dyn Progress) -> Result<()> {
        let time = self.remaining();
        if !self.lp_bound(time, progress)? || self.proven() {
            return Ok(());
        }
        let time = self.remaining();
        if time.is_zero() {
            self.cut = true;
            return Ok(());
        }
        progress.begin("mip", None);
        let warm = self.open.clone();
        let outcome = mip::run(
            self.problem,
            self.options.backend,
            true,
            time,
            Some(&warm),
            self.options.gap_tolerance,
        );
        progress.end();
        let method = format!("mip/{}", self.options.backend.name());
        match outcome? {
            mip::Outcome::Solved { y, proven_gap, .. } => {
                let open = mip::rounded_open(&y);
                if !self.problem.is_feasible(&open) {
                    return Err(Error::Solver {
                        solver: self.options.backend.name(),
                        message: format!(
                            "returned an open set that breaks the constraints: {open:?}"
                        ),
                    });
                }
                self.offer(open, method);
                match proven_gap {
                    // The incumbent is now at most the backend's; the backend proved the
                    // optimum within `gap` of its own, so of this one too.
                    Some(gap) => self.bound = self.bound.max(self.objective * (1.0 - gap)),
                    // Time-limited: nothing proven, the LP bound stays the best known.
                    None => self.cut = true,
                }
            }
            // (`mip::run` reports an infeasible full model as an error, not as `Infeasible`.)
            mip::Outcome::NoSolution | mip::Outcome::Infeasible => self.cut = true,
        }
        Ok(())
    }

    fn finish(self) -> Solution {
        let bound = self.bound.min(self.objective);
        let gap = relative_gap(self.objective, bound);
        let (status, lower_bound) = if gap <= PROOF_GAP {
            (Status::Optimal, self.objective)
        } else if gap <= self.options.gap_tolerance + 4.0 * f64::EPSILON {
            // (The slack absorbs the rounding of `objective · (1 − tolerance)`.)
            (Status::GapLimit, bound)
        } else if self.cut {
            (Status::TimeLimit, bound)
        } else {
            (Status::Heuristic, bound)
        };
        Solution {
            open: self.open,
            objective: self.objective,
            lower_bound,
            status,
            method: self.method,
        }
    }
}

/// `(objective − bound) / objective`, 0 when the objective is 0.
fn relative_gap(objective: f64, bound: f64) -> f64 {
    if objective > 0.0 {
        ((objective - bound) / objective).max(0.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rand::{RngExt, SeedableRng};
    use rand_pcg::Pcg64;

    use super::*;
    use crate::progress::NoProgress;

    fn random(n: usize, m: usize, p: usize, seed: u64) -> (Instance, Constraints) {
        let mut rng = Pcg64::seed_from_u64(seed);
        let mut point = || (rng.random_range(0.0..100.0), rng.random_range(0.0..100.0));
        let clients: Vec<(f64, f64)> = (0..n).map(|_| point()).collect();
        let sites: Vec<(f64, f64)> = (0..m).map(|_| point()).collect();
        let cost = clients
            .iter()
            .flat_map(|a: &(f64, f64)| sites.iter().map(move |b| (a.0 - b.0).hypot(a.1 - b.1)))
            .collect();
        let instance = Instance::new(n, m, cost, vec![1.0; n]).unwrap();
        let constraints = Constraints {
            p,
            forbidden: vec![0],
            budget: Some(Budget {
                existing: (1..=p).collect(),
                max_closed: p / 2,
            }),
            ..Default::default()
        };
        (instance, constraints)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn same_answer_with_one_and_two_threads(
            n in 1usize..40, m in 3usize..25, seed in any::<u64>(), method_pick in 0usize..2
        ) {
            let p = 1 + (seed as usize % (m - 2));
            let (instance, constraints) = random(n, m, p, seed);
            let method = [Method::Heuristic, Method::Auto][method_pick];
            let options = SolveOptions::new().method(method).seed(seed).starts(5);
            let run = |threads: usize| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap()
                    .install(|| solve(&instance, &constraints, &options, &NoProgress).unwrap())
            };
            prop_assert_eq!(run(1), run(2));
        }
    }

    #[test]
    fn a_zero_time_limit_is_never_called_optimal_without_proof() {
        let (instance, constraints) = random(60, 40, 8, 5);
        let options = SolveOptions::new()
            .method(Method::Exact)
            .time_limit(Duration::ZERO);
        let s = solve(&instance, &constraints, &options, &NoProgress).unwrap();
        assert_eq!(s.status, Status::TimeLimit);
        assert!(s.lower_bound < s.objective);
        assert_eq!(s.objective, instance.objective(&s.open));
    }

    #[test]
    fn exact_is_refused_above_its_size_limit() {
        let n = 2100;
        let instance = Instance::new(n, n, vec![1.0; n * n], vec![1.0; n]).unwrap();
        let options = SolveOptions::new().method(Method::Exact);
        let c = Constraints {
            p: 2,
            ..Default::default()
        };
        assert!(matches!(
            solve(&instance, &c, &options, &NoProgress),
            Err(Error::TooLarge { .. })
        ));
    }
}
