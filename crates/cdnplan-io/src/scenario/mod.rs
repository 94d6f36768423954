//! Scenario files (TOML): one planning question, its inputs, model, constraints and solver.
//!
//! Relative paths are resolved against the scenario file's directory. Unknown keys are errors,
//! so a misspelt constraint never silently does nothing. The shipped
//! `data/scenarios/default.toml` is the reference:
//!
//! ```toml
//! name = "default"
//! description = "Where should the Jan 2023 nodes stand, given June 2023 traffic?"
//! seed = 7
//! output_dir = "out/default"
//!
//! [demand]
//! logs = ["../snapshots/argus-2023-06.ndjson.gz"]
//! preset = "argus"
//! geoip = "../geoip/dbip-country-lite.mmdb"
//! cells = "country"
//!
//! [network]
//! topology = "../joystream/mainnet-2023-01.json"
//! sites = "../sites.csv"
//! countries = "../countries.csv"
//!
//! [latency]
//! a_ms = 10.0
//! b_ms_per_km = 0.015
//!
//! [objective]
//! kind = "mean_rtt"
//! weighting = "requests"
//!
//! [constraints]
//! max_moves = 3
//!
//! [solver]
//! method = "auto"
//! time_limit_s = 60
//!
//! [reassign]                  # with a topology: families and buckets after the moves
//! enabled = true
//! batch_size = 100
//! # assume_bags = 1000        # what-if for a topology without bag data
//!
//! # [capacity]                # optional: egress, costs, budget (see `capacity`)
//! # default_egress_gbps = 1.0
//! # budget_usd = 600
//! ```
//!
//! Demand may come from an Elasticsearch / OpenSearch cluster instead of files: leave out
//! `logs` and `demand_csv` and add an `[elasticsearch]` section ([`ElasticsearchInput`]). The
//! `[demand]` preset, cells, window, status and GeoIP settings apply as to files. Secrets are
//! never written in the file: it names the *environment variables* that hold them.
//!
//! ```toml
//! [demand]
//! preset = "ecs"
//! cells = "geotile:5"
//! since = "2024-01-01T00:00:00Z"
//!
//! [elasticsearch]
//! url = "https://logs.example:9200"       # or urls = [...], or cloud_id = "..."
//! index = "logs-argus-*"
//! mode = "auto"                           # auto, push-down or raw
//! api_key_env = "ELASTICSEARCH_API_KEY"   # the variable's name, not the key
//! # username = "planner"                  # with password_env = "ES_PASSWORD"
//! ```

use std::path::{Path, PathBuf};

use cdnplan_core::CellKind;
use cdnplan_core::relocation::RelocationConstraints;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub mod capacity;
pub mod compare;
mod demand;
mod elasticsearch;
mod inputs;
mod latency;
mod network;
mod objective;
mod plan;
mod reassign;
mod solver;
#[cfg(test)]
mod tests;

pub use capacity::CapacityInput;
pub use compare::{CompareError, Compared, Variant, compare, vary, write_comparison};
pub use demand::DemandInput;
pub use elasticsearch::ElasticsearchInput;
use elasticsearch::inline_secrets;
pub use inputs::{Inputs, ingest_options};
pub use latency::LatencyInput;
pub use network::NetworkInput;
pub use objective::{Objective, ObjectiveKind};
pub use plan::{
    PlanError, PlanOptions, Planned, REASSIGN_REPORT, SOURCE_TOPOLOGY, assume_bags, plan,
    reassign_options,
};
pub use reassign::ReassignInput;
pub use solver::SolverInput;

/// A planning scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name, used in reports.
    #[serde(default = "default_name")]
    pub name: String,
    /// The question the scenario answers.
    #[serde(default)]
    pub description: String,
    /// Seed for every random choice (same seed ⇒ same plan).
    #[serde(default)]
    pub seed: u64,
    /// Where `plan` writes its outputs (relative to the current directory, not the file).
    #[serde(default = "default_output_dir")]
    pub output_dir: PathBuf,
    /// Where demand comes from.
    pub demand: DemandInput,
    /// Where the nodes stand and where they could go.
    pub network: NetworkInput,
    /// Latency model.
    #[serde(default)]
    pub latency: LatencyInput,
    /// What to minimise.
    #[serde(default)]
    pub objective: Objective,
    /// Moves, additions, removals, pinned and forbidden places.
    #[serde(default)]
    pub constraints: RelocationConstraints,
    /// Solver settings.
    #[serde(default)]
    pub solver: SolverInput,
    /// The family ↔ bucket reassignment `plan` adds when the network is a topology.
    #[serde(default)]
    pub reassign: ReassignInput,
    /// Read demand from this cluster instead of `[demand] logs` / `demand_csv`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elasticsearch: Option<ElasticsearchInput>,
    /// Egress capacities, monthly costs and a budget: when present, `plan` solves the
    /// capacitated relocation (see [`capacity`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<CapacityInput>,
}

fn default_name() -> String {
    "scenario".into()
}

fn default_output_dir() -> PathBuf {
    PathBuf::from("out")
}

impl Scenario {
    /// Reads and checks a scenario file, resolving its relative paths against its directory.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read; [`Error::Format`] with the line, column and
    /// key when the TOML is malformed or a key is unknown; [`Error::Config`] when values
    /// contradict each other.
    pub fn load(path: &Path) -> Result<Scenario> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(path, "cannot read scenario", e))?;
        let mut s = Scenario::parse(&text).map_err(|e| match e {
            Error::Config(reason) => Error::Format {
                path: path.to_path_buf(),
                reason,
            },
            other => other,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        s.resolve_paths(base);
        Ok(s)
    }

    /// Parses and checks scenario text; paths stay as written.
    ///
    /// # Errors
    /// [`Error::Config`] naming the position and key of the problem.
    pub fn parse(text: &str) -> Result<Scenario> {
        // TOML errors quote the offending line: redact what may be a credential in it.
        let s: Scenario = toml::from_str(text)
            .map_err(|e| Error::Config(inline_secrets(text).redact(e.to_string().trim_end())))?;
        s.check()?;
        Ok(s)
    }

    /// Checks values the types cannot.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key.
    pub fn check(&self) -> Result<()> {
        let d = &self.demand;
        if let Some(es) = &self.elasticsearch {
            if !d.logs.is_empty() || d.demand_csv.is_some() {
                return Err(Error::Config(format!(
                    "[demand] {} and [elasticsearch] both name the demand; give one (remove the \
                     [elasticsearch] section to read files, or `{}` to read the cluster)",
                    if d.logs.is_empty() {
                        "demand_csv"
                    } else {
                        "logs"
                    },
                    if d.logs.is_empty() {
                        "demand_csv"
                    } else {
                        "logs"
                    },
                )));
            }
            es.check()?;
        } else if d.logs.is_empty() && d.demand_csv.is_none() {
            return Err(Error::Config(
                "[demand]: give `logs = [...]` or `demand_csv = \"...\"`, or an [elasticsearch] section to read a cluster".into(),
            ));
        }
        if !d.logs.is_empty() && d.demand_csv.is_some() {
            return Err(Error::Config(
                "[demand]: `logs` and `demand_csv` are alternatives; give one".into(),
            ));
        }
        self.cell_kind()?;
        let n = &self.network;
        match (&n.topology, &n.nodes) {
            (None, None) => {
                return Err(Error::Config(
                    "[network]: give `topology = \"...\"` or `nodes = \"...\"`".into(),
                ));
            }
            (Some(_), Some(_)) => {
                return Err(Error::Config(
                    "[network]: `topology` and `nodes` are alternatives; give one".into(),
                ));
            }
            _ => {}
        }
        self.latency.model()?;
        let t = self.solver.time_limit_s;
        if let Err(e) = cdnplan_core::solve::time_limit_from_secs(t) {
            return Err(Error::Config(format!("[solver] time_limit_s = {e}")));
        }
        self.reassign.check()?;
        self.objective.to_core()?;
        if let Some(c) = &self.capacity {
            c.check()?;
            if self.objective.kind != ObjectiveKind::MeanRtt {
                return Err(Error::Config(
                    "[capacity] works with [objective] kind = \"mean_rtt\" only: the \
                     capacitated relocation minimises the mean RTT"
                        .into(),
                ));
            }
        }
        Ok(())
    }

    /// The cell kind named by `[demand] cells`.
    ///
    /// # Errors
    /// [`Error::Config`] for an unknown kind.
    pub fn cell_kind(&self) -> Result<CellKind> {
        self.demand
            .cells
            .parse()
            .map_err(|e| Error::Config(format!("[demand] cells: {e}")))
    }

    /// The solve time limit.
    /// A value outside what [`Scenario::check`] accepts saturates at
    /// [`MAX_TIME_LIMIT`](cdnplan_core::solve::MAX_TIME_LIMIT) (or zero).
    pub fn time_limit(&self) -> std::time::Duration {
        let max = cdnplan_core::solve::MAX_TIME_LIMIT;
        std::time::Duration::try_from_secs_f64(self.solver.time_limit_s).map_or(max, |t| t.min(max))
    }

    fn resolve_paths(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        for p in &mut self.demand.logs {
            fix(p);
        }
        for p in [
            self.demand.demand_csv.as_mut(),
            self.demand.geoip.as_mut(),
            self.network.topology.as_mut(),
            self.network.nodes.as_mut(),
            Some(&mut self.network.sites),
            Some(&mut self.network.countries),
            self.latency.measured.as_mut(),
            self.elasticsearch.as_mut().and_then(|e| e.ca_cert.as_mut()),
        ]
        .into_iter()
        .flatten()
        {
            fix(p);
        }
    }
}
