//! The scenario → plan pipeline: what `cdnplan plan` computes and writes, as library calls.
//!
//! A [`Scenario`] (loaded from TOML, or built and changed in code) and its loaded [`Inputs`]
//! go in; a [`Planned`] comes out: the [`Plan`] with its reassignment summary, and the
//! family ↔ bucket reassignment itself when the network is a topology. [`Planned::write`]
//! writes the same files, byte for byte, as `cdnplan plan --out DIR`.
//!
//! ```no_run
//! use cdnplan_core::NoProgress;
//! use cdnplan_io::scenario::{self, Inputs, PlanOptions, Scenario};
//!
//! let scenario = Scenario::load("data/scenarios/default.toml".as_ref())?;
//! let inputs = Inputs::load(&scenario, &NoProgress)?;
//! let planned = scenario::plan(&scenario, &inputs, &PlanOptions::default(), &NoProgress)?;
//! println!("{}", cdnplan_core::plan::summary(&planned.plan));
//! planned.write("out/default".as_ref())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeSet;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Instant;

use cdnplan_core::capacity::{CapacityModel, PeakSource};
use cdnplan_core::plan::{self, Plan, PlanRequest, ReassignmentSummary};
use cdnplan_core::reassign::{self, Assessed, ReassignOptions, ReassignRequest};
use cdnplan_core::relocation::{RelocationOptions, RelocationProblem};
use cdnplan_core::solve::SolveOptions;
use cdnplan_core::topology::{ChainRead, Topology};
use cdnplan_core::{Demand, Progress, Site};

use super::{CapacityInput, Inputs, Scenario};
use crate::data;
use crate::error::{Error, Result};
use crate::output::{self, OutputDir};
use crate::rpc;

/// The name of the reassignment's report inside a plan's output directory.
pub const REASSIGN_REPORT: &str = "reassign.md";

/// The topology a reassignment was planned on, written beside it when chain state was read
/// from a node (replay it with `--topology`).
pub const SOURCE_TOPOLOGY: &str = "source-topology.json";

/// What a run asks for beyond the scenario.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlanOptions {
    /// The node curve over these node counts ([`Plan::node_curve`]; `node-curve.csv`).
    pub node_curve: Option<RangeInclusive<usize>>,
    /// Chain state read from a node ([`crate::rpc::read`]), written into the topology the
    /// reassignment is planned on; the reassignment's topology is then written out as
    /// [`SOURCE_TOPOLOGY`] for replay.
    pub chain_read: Option<ChainRead>,
    /// When the run began (before its inputs were read): `[solver] time_limit_s` then counts
    /// from here, and the solver gets what is left of it. `None`: from the call to [`plan()`].
    pub started: Option<Instant>,
}

impl PlanOptions {
    /// Asks for the node curve over `nodes` (e.g. `1..=12`).
    pub fn node_curve(mut self, nodes: Option<RangeInclusive<usize>>) -> Self {
        self.node_curve = nodes;
        self
    }

    /// Plans the reassignment with chain state read from a node (`None`: the topology's own).
    pub fn chain_read(mut self, read: Option<ChainRead>) -> Self {
        self.chain_read = read;
        self
    }

    /// Counts the time limit from `started` (when the run began reading its inputs).
    pub fn started(mut self, started: Instant) -> Self {
        self.started = Some(started);
        self
    }
}

/// Why a scenario could not be planned, by stage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The constraints name something the inputs lack (a country, a provider).
    #[error(transparent)]
    Constraints(Error),
    /// The `[capacity]` section cannot become a capacity model.
    #[error("cannot plan with capacities")]
    Capacity(#[source] Error),
    /// The relocation (or its evaluation) failed.
    #[error("cannot plan the scenario")]
    Plan(#[source] cdnplan_core::Error),
    /// The planned nodes cannot carry the demand's mean egress rate.
    #[error("the planned nodes cannot carry the demand")]
    Carry(#[source] Error),
    /// The family ↔ bucket reassignment after the moves failed.
    #[error(
        "cannot plan the family ↔ bucket reassignment after the moves (leave it out with \
         `[reassign] enabled = false`)"
    )]
    Reassign(#[source] Error),
}

/// A planned scenario: the plan and, with a topology, the reassignment after its moves.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The plan (with [`Plan::reassignment`] when [`Planned::reassignment`] is present).
    pub plan: Plan,
    /// The family ↔ bucket reassignment after the moves.
    pub reassignment: Option<Assessed>,
    /// The demand the plan was made for (its cells go into `demand.csv` and the report).
    pub demand: Demand,
    /// The topology the reassignment was planned on, when chain state read from a node was
    /// written into it ([`PlanOptions::chain_read`]); written as [`SOURCE_TOPOLOGY`].
    pub source_topology: Option<Topology>,
}

/// Plans `scenario` on its loaded `inputs`: checks the constraints' names against the
/// inputs, solves the relocation with the scenario's objective, capacities and solver,
/// checks the nodes after the plan can carry the demand, and adds the reassignment when the
/// network is a topology and `[reassign]` is enabled.
///
/// # Errors
/// [`PlanError`], naming the stage that failed and why.
pub fn plan(
    scenario: &Scenario,
    inputs: &Inputs,
    options: &PlanOptions,
    progress: &dyn Progress,
) -> std::result::Result<Planned, PlanError> {
    inputs
        .check_constraints(scenario)
        .map_err(PlanError::Constraints)?;
    let capacity = match &scenario.capacity {
        Some(c) => Some(inputs.capacity_model(c).map_err(PlanError::Capacity)?),
        None => None,
    };
    // The time limit bounds the whole run: the solver gets what reading the inputs left.
    let limit = scenario.time_limit();
    let spent = options
        .started
        .map_or(std::time::Duration::ZERO, |t| t.elapsed());
    let solve = scenario
        .solve_options()
        .time_limit(limit.saturating_sub(spent));
    let relocation = RelocationOptions::new(solve)
        .objective(
            scenario
                .objective
                .to_core()
                .map_err(PlanError::Constraints)?,
        )
        .capacity(capacity);
    // Required places written as coordinates become sites of their own.
    let sites = inputs
        .sites_for(&scenario.constraints.required_sites)
        .map_err(PlanError::Constraints)?;
    let problem = RelocationProblem {
        demand: &inputs.demand,
        nodes: &inputs.nodes,
        sites: &sites,
        latency: &inputs.latency,
        weighting: scenario.objective.weighting,
        constraints: &scenario.constraints,
    };
    let request = PlanRequest::new(problem, relocation)
        .name(scenario.name.clone())
        .description(scenario.description.clone())
        .threshold_ms(scenario.objective.threshold_ms)
        .node_curve(options.node_curve.as_ref().map(|r| *r.end()))
        .sources(inputs.sources.clone());
    let mut plan = plan::build(&request, progress).map_err(PlanError::Plan)?;
    // The limit asked for, not the part of it the solver was given.
    plan.scenario.time_limit_s = limit.as_secs_f64();
    if let Some(r) = &options.node_curve {
        plan.node_curve.retain(|p| p.nodes >= *r.start());
    }
    inputs
        .check_capacity(&plan.nodes_after)
        .map_err(PlanError::Carry)?;
    let reassignment = reassignment(scenario, inputs, &sites, &plan, options.chain_read.as_ref())
        .map_err(PlanError::Reassign)?;
    let plan = match &reassignment {
        Some((summary, ..)) => plan.with_reassignment(summary.clone()),
        None => plan,
    };
    let (reassignment, source_topology) = match reassignment {
        Some((_, a, t)) => (Some(a), options.chain_read.is_some().then_some(t)),
        None => (None, None),
    };
    Ok(Planned {
        plan,
        reassignment,
        demand: inputs.demand.clone(),
        source_topology,
    })
}

/// The reassignment after the plan's moves, when the scenario's network is a topology and
/// `[reassign]` is enabled, with the topology it was planned on (`chain` written into it).
fn reassignment(
    s: &Scenario,
    inputs: &Inputs,
    sites: &[Site],
    plan: &Plan,
    chain: Option<&ChainRead>,
) -> Result<Option<(ReassignmentSummary, Assessed, Topology)>> {
    let Some(path) = s.network.topology.as_deref().filter(|_| s.reassign.enabled) else {
        return Ok(None);
    };
    let mut topology = data::load_topology(path)?;
    if let Some(read) = chain {
        rpc::apply(&mut topology, &rpc::decode_read(read)?);
    }
    let source = topology.clone();
    let assumed = assume_bags(&mut topology, s.reassign.assume_bags);
    let options = reassign_options(s, &topology)?;
    let mut a = reassign::reassign_after_moves(&ReassignRequest {
        topology: &topology,
        moves: &plan.moves,
        sites,
        demand: &inputs.demand,
        latency: &inputs.latency,
        weighting: s.objective.weighting,
        options: &options,
    })?;
    a.reassignment.layout.unknowns.assumed_bags = assumed;
    a.unlocated_viewers_share = inputs.unlocated_share();
    Ok(Some((
        ReassignmentSummary::new(&a, REASSIGN_REPORT, assumed),
        a,
        source,
    )))
}

/// With `[reassign] assume_bags = n` and a topology that lists no bags: assumes `n` channel
/// bags on every operated bucket (a what-if) and returns `Some(n)`; `None` when nothing was
/// assumed (no setting, or the topology lists bags).
pub fn assume_bags(topology: &mut Topology, n: Option<u64>) -> Option<u64> {
    let n = n?;
    if !topology.bags.is_empty() {
        return None;
    }
    reassign::assume_bags(topology, n, None);
    Some(n)
}

/// The reassignment planner's options for `topology`: `[reassign]` and the objective's
/// weighting.
///
/// # Errors
/// [`Error::Config`] when `[reassign] cache_gb` names a node the topology lacks.
pub fn reassign_options(s: &Scenario, topology: &Topology) -> Result<ReassignOptions> {
    let nodes = topology.nodes();
    for id in s.reassign.cache_gb.keys() {
        if !nodes.iter().any(|n| &n.id == id) {
            return Err(Error::Config(format!(
                "[reassign] cache_gb: node {id:?} is not in the topology (nodes: {})",
                nodes
                    .iter()
                    .map(|n| n.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    Ok(s.reassign.options(&nodes, s.objective.weighting))
}

impl Scenario {
    /// The engine's settings of `[solver]` and the scenario's seed.
    pub fn solve_options(&self) -> SolveOptions {
        SolveOptions::new()
            .method(self.solver.method)
            .backend(self.solver.backend)
            .time_limit(self.time_limit())
            .seed(self.seed)
    }
}

impl Inputs {
    /// Where the demand's peak-hour factor comes from, over the demand's window (by default
    /// the hourly profile's covered span): its busiest hour, or the assumed default.
    pub fn peak_source(&self) -> PeakSource {
        PeakSource::of(&self.demand, self.window_s)
    }

    /// The capacity model of `[capacity]`, its peak factor measured from the demand's
    /// busiest hour unless the section sets one.
    ///
    /// # Errors
    /// As [`CapacityInput::model`].
    pub fn capacity_model(&self, c: &CapacityInput) -> Result<CapacityModel> {
        let source = self.peak_source();
        let model = c.model(self.window_s, source.measured_peak_to_mean())?;
        Ok(if c.peak_to_mean.is_none() {
            model.peak_source(Some(source))
        } else {
            model
        })
    }

    /// Names in the constraints that match nothing are typos (`UK` for `GB`), not no-ops.
    /// (The planner itself rejects unknown node and site ids.)
    ///
    /// # Errors
    /// [`Error::Config`] naming the forbidden country or provider and where it was looked up.
    pub fn check_constraints(&self, s: &Scenario) -> Result<()> {
        let c = &s.constraints;
        for cc in &c.forbidden_countries {
            if self.countries.get(*cc).is_none() {
                return Err(Error::Config(format!(
                    "forbidden country {cc} is not in the country table {}",
                    s.network.countries.display()
                )));
            }
        }
        let providers: BTreeSet<&str> = self.sites.iter().map(|x| x.provider.as_str()).collect();
        for p in &c.forbidden_providers {
            if !providers.contains(p.as_str()) {
                return Err(Error::Config(format!(
                    "forbidden provider {p:?} matches no candidate site in {} (providers: {})",
                    s.network.sites.display(),
                    providers.iter().copied().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        Ok(())
    }
}

impl Planned {
    /// What `cdnplan plan` prints: the plan's terminal text
    /// ([`plan_text`](cdnplan_core::plan::plan_text)) and a line on the reassignment, with
    /// what it was planned without.
    pub fn text(&self) -> String {
        let mut t = plan::plan_text(&self.plan);
        let Some(r) = &self.plan.reassignment else {
            return t;
        };
        let c = &r.cost;
        let bags = if r.bags == 0 {
            "no bag moves (the topology lists none)".to_string()
        } else {
            format!(
                "{} of {} bags move{}",
                c.bags_moved,
                r.bags,
                if r.assumed_bags.is_some() {
                    " (bags assumed)"
                } else {
                    ""
                }
            )
        };
        t.push_str(&format!(
            "Families and buckets after the moves: {} calls ({} by the lead, {} by operators), \
             {bags}; see {}\n",
            c.lead_calls + c.operator_calls,
            c.lead_calls,
            c.operator_calls,
            r.report
        ));
        if let Some(a) = &self.reassignment {
            let u = &a.reassignment.layout.unknowns;
            if !u.kept.is_empty() || u.limit_unknown || u.policies_unknown {
                let missing: Vec<&str> = [
                    (u.bags_unknown, "bags"),
                    (u.limit_unknown, "per-bag limit"),
                    (u.policies_unknown, "policies"),
                ]
                .iter()
                .filter(|x| x.0)
                .map(|x| x.1)
                .collect();
                t.push_str(&format!(
                    "  planned without chain data ({}): {} buckets left in place; see {} for \
                     what it needs\n",
                    missing.join(", "),
                    u.kept.len(),
                    r.report
                ));
            }
        }
        t
    }

    /// Writes the outputs of `cdnplan plan` as the whole content of `dir`, in one transaction
    /// (see [`OutputDir`]). Returns the paths written.
    ///
    /// # Errors
    /// As [`OutputDir::begin`], [`Planned::write_into`] and [`OutputDir::commit`].
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let mut out = OutputDir::begin(dir)?;
        let written = self.write_into(&mut out)?;
        out.commit()?;
        Ok(written)
    }

    /// Writes the plan's files ([`output::PLAN_FILES`]), `node-curve.csv` when the plan has
    /// a node curve, and the reassignment's files ([`output::REASSIGN_FILES`] and their
    /// `metadata/`) into an output directory being written. Returns the paths of the files
    /// directly in it.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file that could not be written.
    pub fn write_into(&self, out: &mut OutputDir) -> Result<Vec<PathBuf>> {
        let plan = &self.plan;
        let mut written = output::write_plan_into(out, plan, &self.demand)?;
        if !plan.node_curve.is_empty() {
            let curve = plan::node_curve_csv(&plan.node_curve);
            written.push(out.write(output::NODE_CURVE_FILE, curve.as_bytes())?);
        }
        if let Some(a) = &self.reassignment {
            let title = format!(
                "Family ↔ bucket reassignment after the moves: {}",
                plan.scenario.name.trim()
            );
            let root = out.path().to_path_buf();
            written.extend(
                output::write_reassignment_into(out, a, &title)?
                    .into_iter()
                    .filter(|p| p.parent() == Some(root.as_path())),
            );
        }
        if let Some(t) = &self.source_topology {
            let body = serde_json::to_string_pretty(t)
                .map_err(|e| Error::Config(format!("cannot render the source topology: {e}")))?
                + "\n";
            written.push(out.write(SOURCE_TOPOLOGY, body.as_bytes())?);
        }
        Ok(written)
    }
}
