//! From inputs to a [`Plan`]: evaluate today's nodes, optimise, evaluate the result.

use crate::error::Result;
use crate::progress::Progress;
use crate::relocation::{self, RelocationOptions, RelocationProblem};
use crate::serving;
use crate::solve::Status;

use super::capacity_report::CapacityReport;
use super::model::{DemandSummary, Plan, ScenarioSummary, SolverSummary};
use super::objective::ServiceReport;

/// Everything a plan is computed from: the relocation problem and how to optimise it, what
/// to report beyond it, and the names that go in the report.
///
/// ```
/// # use cdnplan_core::plan::PlanRequest;
/// # use cdnplan_core::relocation::{RelocationOptions, RelocationProblem};
/// # fn f(problem: RelocationProblem<'_>, options: RelocationOptions) {
/// let request = PlanRequest::new(problem, options)
///     .name("eight nodes")
///     .threshold_ms(Some(100.0))
///     .node_curve(Some(12));
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PlanRequest<'a> {
    /// Scenario name, for the report.
    pub name: String,
    /// The question the scenario answers.
    pub description: String,
    /// Demand, nodes, candidate sites, latency, weighting and constraints.
    pub problem: RelocationProblem<'a>,
    /// The solver's settings, the objective and capacities.
    pub options: RelocationOptions,
    /// The threshold (ms) of the service report; the objective's own when it has one.
    pub threshold_ms: Option<f64>,
    /// The node curve for 1..=N nodes ([`relocation::node_curve`]).
    pub node_curve: Option<usize>,
    /// Where the demand came from (file names, index patterns), for the report.
    pub sources: Vec<String>,
}

impl<'a> PlanRequest<'a> {
    /// A plan of `problem` optimised with `options`, unnamed, with no service report beyond
    /// the objective's own and no node curve.
    pub fn new(problem: RelocationProblem<'a>, options: RelocationOptions) -> Self {
        PlanRequest {
            name: String::new(),
            description: String::new(),
            problem,
            options,
            threshold_ms: None,
            node_curve: None,
            sources: Vec::new(),
        }
    }

    /// Sets the scenario name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the question the scenario answers.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Asks for the service report within `threshold_ms`.
    pub fn threshold_ms(mut self, threshold_ms: Option<f64>) -> Self {
        self.threshold_ms = threshold_ms;
        self
    }

    /// Asks for the node curve over 1..=`max_nodes` nodes.
    pub fn node_curve(mut self, max_nodes: Option<usize>) -> Self {
        self.node_curve = max_nodes;
        self
    }

    /// Names where the demand came from.
    pub fn sources(mut self, sources: Vec<String>) -> Self {
        self.sources = sources;
        self
    }
}

/// Evaluates the current nodes, solves the relocation ([`relocation::optimise`]) and
/// evaluates its result. The plan gains [`Plan::objective`] for an objective other than the
/// mean RTT, [`Plan::service`] when a threshold is given or the objective has one,
/// [`Plan::node_curve`] when asked for and [`Plan::capacity`] with capacities.
///
/// # Errors
/// Whatever [`serving::evaluate`], [`relocation::optimise`] and [`relocation::node_curve`]
/// report: empty demand, invalid weights, duplicate or unknown ids, contradictory or
/// infeasible constraints, capacities with an objective other than the mean RTT.
pub fn build(req: &PlanRequest<'_>, progress: &dyn Progress) -> Result<Plan> {
    let problem = &req.problem;
    let options = &req.options;
    progress.begin("evaluating", None);
    let before = serving::evaluate(
        problem.demand,
        problem.nodes,
        problem.latency,
        problem.weighting,
    )?;
    progress.end();

    let r = relocation::optimise(problem, options, progress)?;
    let capacity = match &options.capacity {
        Some(model) => {
            let before = model.nearest_loads(
                problem.demand,
                problem.nodes,
                problem.latency,
                problem.weighting,
            )?;
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
    // Moved and added nodes are measured as the sites they stand at.
    let latency_after = relocation::latency_after(problem.latency, &r.moves);
    let after = serving::evaluate(
        problem.demand,
        &r.nodes_after,
        &latency_after,
        problem.weighting,
    )?;
    progress.end();

    let scenario = ScenarioSummary {
        name: req.name.clone(),
        description: req.description.clone(),
        weighting: problem.weighting,
        cells: problem.demand.kind,
        latency: problem.latency.model,
        measured_overrides: problem.latency.overrides.len(),
        constraints: problem.constraints.clone(),
        method: options.solve.method,
        backend: options.solve.backend,
        time_limit_s: options.solve.time_limit.as_secs_f64(),
        seed: options.solve.seed,
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
        )
        .tie_break(),
    }
    .with_serving_rule(r.serving_rule);
    let service = match req.threshold_ms.or(options.objective.threshold_ms()) {
        Some(t) => {
            progress.begin("single failures", None);
            let s = ServiceReport::compute(
                t,
                problem.demand,
                problem.latency,
                problem.weighting,
                problem.nodes,
                &before,
                &r.nodes_after,
                &latency_after,
                &after,
            )?;
            progress.end();
            Some(s)
        }
        None => None,
    };
    let node_curve = match req.node_curve {
        Some(n) => relocation::node_curve(problem, options, n, progress)?,
        None => Vec::new(),
    };
    let objective = r.objective.clone();
    let plan = Plan::new(
        scenario,
        DemandSummary::new(problem.demand, req.sources.clone()),
        problem.nodes.to_vec(),
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
