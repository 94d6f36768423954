//! The p-median engine: choose `p` open sites minimising the weighted cost of serving every
//! client from its cheapest open site, under fixed-open, forbidden and relocation-budget
//! constraints.
//!
//! CONTRACT (skeleton): the types below are the interface the relocation optimiser, the plan
//! and the CLI build on. The engine's owner may add fields and items, but keeps these.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::progress::Progress;

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
    /// Heuristic first, then the exact MIP within the time limit when the instance allows.
    #[default]
    Auto,
    /// Exact MIP through good_lp (warm-started by the heuristic).
    Exact,
    /// Greedy construction + swap local search only.
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
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            method: Method::Auto,
            backend: MipBackend::Microlp,
            time_limit: Duration::from_secs(60),
            seed: 0,
            gap_tolerance: 1e-9,
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

/// Solves `instance` under `constraints`.
///
/// # Errors
/// [`Error::Infeasible`] when the constraints cannot hold, [`Error::Solver`] when the backend
/// fails.
pub fn solve(
    _instance: &Instance,
    _constraints: &Constraints,
    _options: &SolveOptions,
    _progress: &dyn Progress,
) -> Result<Solution> {
    Err(Error::Solver {
        solver: "engine",
        message: "not yet implemented".into(),
    })
}
