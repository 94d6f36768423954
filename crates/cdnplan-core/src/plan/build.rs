//! From inputs to a [`Plan`]: evaluate today's nodes, optimise, evaluate the result.

use crate::capacity::CapacityModel;
use crate::demand::{CellKind, Demand, Weighting};
use crate::error::Result;
use crate::latency::Latency;
use crate::node::Node;
use crate::progress::Progress;
use crate::relocation::{self, RelocationConstraints, RelocationProblem};
use crate::serving;
use crate::site::Site;
use crate::solve::objective::Objective;
use crate::solve::{SolveOptions, Status};

use super::capacity::CapacityReport;
use super::model::{DemandSummary, Plan, ScenarioSummary, SolverSummary};
use super::objective::ServiceReport;

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
    build_with(req, &PlanExtras::default(), progress)
}

/// What a plan computes beyond the mean-RTT relocation: another objective, a service report
/// within a threshold, the node curve. The default adds nothing, and [`build_with`] then
/// gives exactly [`build`]'s plan.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct PlanExtras {
    /// The objective the relocation minimises.
    pub objective: Objective,
    /// The threshold (ms) of the service report; the objective's own when it has one.
    pub threshold_ms: Option<f64>,
    /// The node curve for 1..=N nodes.
    pub node_curve: Option<usize>,
    /// Capacities: the relocation is capacitated
    /// ([`relocation::optimise_capacitated`]) and the plan gains [`Plan::capacity`].
    pub capacity: Option<CapacityModel>,
}

impl PlanExtras {
    /// Nothing beyond the mean-RTT plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the objective.
    pub fn objective(mut self, objective: Objective) -> Self {
        self.objective = objective;
        self
    }

    /// Asks for the service report within `threshold_ms`.
    pub fn threshold_ms(mut self, threshold_ms: Option<f64>) -> Self {
        self.threshold_ms = threshold_ms;
        self
    }

    /// Plans with capacities (mean-RTT objective only).
    pub fn capacity(mut self, model: Option<CapacityModel>) -> Self {
        self.capacity = model;
        self
    }

    /// Asks for the node curve over 1..=`max_nodes` nodes.
    pub fn node_curve(mut self, max_nodes: Option<usize>) -> Self {
        self.node_curve = max_nodes;
        self
    }
}

/// As [`build`], with the [`PlanExtras`]: the relocation minimises `extras.objective`
/// ([`relocation::optimise_for`]); the plan gains [`Plan::objective`] (for an objective
/// other than the mean RTT), [`Plan::service`] (when a threshold is given or the objective
/// has one), [`Plan::node_curve`] (when asked for; with capacities, [`relocation::node_curve_capacitated`]) and
/// [`Plan::capacity`] (with capacities).
///
/// # Errors
/// As [`build`], [`relocation::node_curve`]'s and [`relocation::optimise_capacitated`]'s
/// ([`Error::Unsupported`](crate::Error::Unsupported) for capacities with an objective other
/// than the mean RTT).
pub fn build_with(
    req: &PlanRequest<'_>,
    extras: &PlanExtras,
    progress: &dyn Progress,
) -> Result<Plan> {
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
    let r = relocation::optimise_impl(
        &problem,
        &extras.objective,
        extras.capacity.as_ref(),
        req.options,
        progress,
    )?;
    let capacity = match &extras.capacity {
        Some(model) => {
            let before = model.nearest_loads(req.demand, req.nodes, req.latency, req.weighting)?;
            Some(CapacityReport::new(
                model,
                before,
                r.loads_after.clone(),
                r.mean_rtt_after_ms,
            ))
        }
        None => None,
    };

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
    let solver = match &r.objective {
        None => SolverSummary::from_solution(
            &r.solution,
            r.mean_rtt_after_ms,
            r.lower_bound_mean_rtt_ms,
        ),
        // The mean RTT was not optimised: nothing is proven about it.
        Some(_) => SolverSummary::new(
            r.solution.method.clone(),
            Status::Heuristic,
            r.mean_rtt_after_ms,
            r.lower_bound_mean_rtt_ms,
        ),
    };
    let service = match extras.threshold_ms.or(extras.objective.threshold_ms()) {
        Some(t) => {
            progress.begin("single failures", None);
            let s = ServiceReport::compute(
                t,
                req.demand,
                req.latency,
                req.weighting,
                req.nodes,
                &before,
                &r.nodes_after,
                &after,
            )?;
            progress.end();
            Some(s)
        }
        None => None,
    };
    let node_curve = match extras.node_curve {
        Some(n) => match &extras.capacity {
            Some(model) => {
                relocation::node_curve_capacitated(&problem, model, n, req.options, progress)?
            }
            None => relocation::node_curve(&problem, &extras.objective, n, req.options, progress)?,
        },
        None => Vec::new(),
    };
    let objective = r.objective.clone();
    let plan = Plan::new(
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
    .with_ignored_inactive(r.ignored_inactive)
    .with_node_curve(node_curve);
    let plan = match objective {
        Some(o) => plan.with_objective(o),
        None => plan,
    };
    let plan = match capacity {
        Some(c) => plan.with_capacity(c),
        None => plan,
    };
    Ok(match service {
        Some(s) => plan.with_service(s),
        None => plan,
    })
}
