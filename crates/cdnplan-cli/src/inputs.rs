//! Turning arguments into a checked scenario and loaded inputs.

use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use cdnplan_io::scenario::{Inputs, Scenario};

use crate::args::{InputArgs, LogArgs};

/// What every subcommand needs: where the data is, and the output mode.
pub struct Context {
    /// The shipped data directory.
    pub data_dir: PathBuf,
    /// `--json`.
    pub json: bool,
}

impl Context {
    /// Resolves the data directory: the flag, else the library's default lookup.
    pub fn new(data_dir: Option<PathBuf>, json: bool) -> Self {
        Context {
            data_dir: data_dir.unwrap_or_else(cdnplan_io::data::bundled_data_dir),
            json,
        }
    }

    /// A file of the shipped data.
    pub fn data_file(&self, rel: &str) -> PathBuf {
        self.data_dir.join(rel)
    }

    /// The scenario named on the command line (default: the shipped default scenario), with the
    /// input overrides applied.
    pub fn scenario(&self, a: &InputArgs) -> Result<Scenario> {
        let path = match &a.scenario {
            Some(p) => p.clone(),
            None => self.data_file("scenarios/default.toml"),
        };
        if !path.exists() {
            bail!(
                "scenario {} not found{}",
                path.display(),
                if a.scenario.is_none() {
                    " (the default scenario lives in the data directory: pass --data-dir or set CDNPLAN_DATA_DIR)"
                } else {
                    ""
                }
            );
        }
        let mut s = Scenario::load(&path)
            .with_context(|| format!("cannot load scenario {}", path.display()))?;
        if !a.logs.is_empty() {
            s.demand.logs = a.logs.clone();
            s.demand.demand_csv = None;
        }
        if let Some(d) = &a.demand {
            s.demand.demand_csv = Some(d.clone());
            s.demand.logs.clear();
        }
        apply_log_args(&mut s, &a.log);
        if let Some(t) = &a.topology {
            s.network.topology = Some(t.clone());
            s.network.nodes = None;
        }
        if let Some(n) = &a.nodes {
            s.network.nodes = Some(n.clone());
            s.network.topology = None;
        }
        if let Some(v) = a.a_ms {
            s.latency.a_ms = v;
        }
        if let Some(v) = a.b_ms_per_km {
            s.latency.b_ms_per_km = v;
        }
        if let Some(w) = &a.weighting {
            s.objective.weighting = w.parse().context("--weighting")?;
        }
        s.check()
            .context("invalid scenario after applying the command-line overrides")?;
        Ok(s)
    }

    /// Loads everything a scenario names.
    pub fn load(&self, s: &Scenario, progress: &dyn cdnplan_core::Progress) -> Result<Inputs> {
        let inputs = Inputs::load(s, progress).context("cannot load the scenario's inputs")?;
        if let Some(r) = &inputs.ingest {
            eprint!("{r}");
        }
        Ok(inputs)
    }
}

/// Applies `--preset`, `--geoip`, … to the scenario's demand section.
pub fn apply_log_args(s: &mut Scenario, l: &LogArgs) {
    let d = &mut s.demand;
    if let Some(v) = &l.preset {
        d.preset = v.clone();
    }
    if let Some(v) = &l.geoip {
        d.geoip = Some(v.clone());
    }
    if let Some(v) = &l.cells {
        d.cells = v.clone();
    }
    if let Some(v) = &l.since {
        d.since = Some(v.clone());
    }
    if let Some(v) = &l.until {
        d.until = Some(v.clone());
    }
    if let Some(v) = &l.status {
        d.status = Some(v.clone());
    }
    d.all_paths |= l.all_paths;
    d.lenient |= l.lenient;
    if l.threads.is_some() {
        d.threads = l.threads;
    }
}
