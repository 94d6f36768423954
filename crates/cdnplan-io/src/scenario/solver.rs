//! The `[solver]` section: method, backend and time limit.

use cdnplan_core::solve::{Method, MipBackend};
use serde::{Deserialize, Serialize};

/// Solver settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolverInput {
    /// `auto`, `exact` or `heuristic`.
    #[serde(default)]
    pub method: Method,
    /// `microlp` or `highs`.
    #[serde(default)]
    pub backend: MipBackend,
    /// Wall-clock limit in seconds, counted from
    /// [`PlanOptions::started`](super::PlanOptions::started) when set (the start of the run),
    /// so that the solver gets what reading the inputs left.
    #[serde(default = "default_time_limit")]
    pub time_limit_s: f64,
}

fn default_time_limit() -> f64 {
    60.0
}

impl Default for SolverInput {
    fn default() -> Self {
        SolverInput {
            method: Method::default(),
            backend: MipBackend::default(),
            time_limit_s: default_time_limit(),
        }
    }
}
