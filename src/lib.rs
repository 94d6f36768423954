//! # cdnplan
//!
//! Plan where CDN nodes should stand. This facade re-exports the pure core
//! ([`cdnplan_core`]: geo and latency model, topology, demand, serving metrics, optimisation,
//! plans) at its root, and the I/O edges ([`cdnplan_io`]: logs, GeoIP, shipped data,
//! scenarios, outputs) under [`io`].
//!
//! ```no_run
//! use cdnplan::io::scenario::{Inputs, Scenario};
//! use cdnplan::plan::{self, PlanRequest};
//! use cdnplan::solve::SolveOptions;
//! use cdnplan::NoProgress;
//!
//! let scenario = Scenario::load("data/scenarios/default.toml".as_ref())?;
//! let inputs = Inputs::load(&scenario, &NoProgress)?;
//! let options = SolveOptions::new().seed(scenario.seed).time_limit(scenario.time_limit());
//! let plan = plan::build(
//!     &PlanRequest {
//!         name: scenario.name.clone(),
//!         description: scenario.description.clone(),
//!         demand: &inputs.demand,
//!         nodes: &inputs.nodes,
//!         sites: &inputs.sites,
//!         latency: &inputs.latency,
//!         weighting: scenario.objective.weighting,
//!         cells: inputs.demand.kind,
//!         constraints: &scenario.constraints,
//!         options: &options,
//!         sources: inputs.sources.clone(),
//!     },
//!     &NoProgress,
//! )?;
//! cdnplan::io::output::write_plan("out".as_ref(), &plan, &inputs.demand)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

pub use cdnplan_core::*;

/// The I/O edges: logs, GeoIP, shipped data, scenarios and outputs.
pub mod io {
    pub use cdnplan_io::*;
}

// The README's code blocks compile as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
