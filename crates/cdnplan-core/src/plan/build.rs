//! From inputs to a [`Plan`]: evaluate today's nodes, optimise, evaluate the result.

use crate::demand::{CellKind, Demand, Weighting};
use crate::error::Result;
use crate::latency::Latency;
use crate::node::Node;
use crate::progress::Progress;
use crate::relocation::{self, RelocationConstraints, RelocationProblem};
use crate::serving;
use crate::site::Site;
use crate::solve::SolveOptions;

use super::model::{DemandSummary, Plan, ScenarioSummary, SolverSummary};

/// Everything a relocation plan is computed from.
#[derive(Debug, Clone)]
pub struct PlanRequest<'a> {
    /// Scenario name, for the report.
    pub name: String,
    /// The question the scenario answers.
    pub description: String,
    /// Demand cells.
    pub demand: &'a Demand,
    /// Current nodes (inactive ones are reported, not planned).
    pub nodes: &'a [Node],
    /// Candidate sites.
    pub sites: &'a [Site],
    /// Latency model.
    pub latency: &'a Latency,
    /// What weighs a cell.
    pub weighting: Weighting,
    /// How the demand was aggregated (for the report).
    pub cells: CellKind,
    /// Moves, additions, removals, pinned and forbidden places.
    pub constraints: &'a RelocationConstraints,
    /// Solver settings.
    pub options: &'a SolveOptions,
    /// Where the demand came from (file names, index patterns), for the report.
    pub sources: Vec<String>,
}

/// Evaluates the current nodes, solves the relocation and evaluates its result.
///
/// # Errors
/// Whatever [`serving::evaluate`] and [`relocation::optimise`] report: empty demand, invalid
/// weights, duplicate or unknown ids, contradictory or infeasible constraints.
pub fn build(req: &PlanRequest<'_>, progress: &dyn Progress) -> Result<Plan> {
    progress.begin("evaluating", None);
    let before = serving::evaluate(req.demand, req.nodes, req.latency, req.weighting)?;
    progress.end();

    let problem = RelocationProblem {
        demand: req.demand,
        nodes: req.nodes,
        sites: req.sites,
        latency: req.latency,
        weighting: req.weighting,
        constraints: req.constraints,
    };
    let r = relocation::optimise(&problem, req.options, progress)?;

    progress.begin("evaluating", None);
    let after = serving::evaluate(req.demand, &r.nodes_after, req.latency, req.weighting)?;
    progress.end();

    let scenario = ScenarioSummary {
        name: req.name.clone(),
        description: req.description.clone(),
        weighting: req.weighting,
        cells: req.cells,
        latency: req.latency.model,
        measured_overrides: req.latency.overrides.len(),
        constraints: req.constraints.clone(),
        method: req.options.method,
        backend: req.options.backend,
        time_limit_s: req.options.time_limit.as_secs_f64(),
        seed: req.options.seed,
    };
    let solver =
        SolverSummary::from_solution(&r.solution, r.mean_rtt_after_ms, r.lower_bound_mean_rtt_ms);
    Ok(Plan::new(
        scenario,
        DemandSummary::new(req.demand, req.sources.clone()),
        req.nodes.to_vec(),
        before,
        r.nodes_after,
        after,
        solver,
    )
    .with_moves(r.moves)
    .with_curve(r.curve)
    .with_ignored_inactive(r.ignored_inactive))
}
