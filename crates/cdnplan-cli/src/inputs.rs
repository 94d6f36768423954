//! Turning arguments into a checked scenario and loaded inputs.

use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use cdnplan_io::logs::IngestReport;
use cdnplan_io::scenario::{Inputs, Scenario};

use crate::args::{InputArgs, LogArgs};
use crate::messages::{self, info, warning};
use crate::text;

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
        // The loader's errors name the file (and line and key) themselves.
        let mut s = Scenario::load(&path).context("cannot load the scenario")?;
        // Files on the command line replace the scenario's demand, cluster included.
        if !a.logs.is_empty() {
            s.demand.logs = a.logs.clone();
            s.demand.demand_csv = None;
            s.elasticsearch = None;
        }
        if let Some(d) = &a.demand {
            s.demand.demand_csv = Some(d.clone());
            s.demand.logs.clear();
            s.elasticsearch = None;
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
            s.latency.a_ms = non_negative("--a-ms", v)?;
        }
        if let Some(v) = a.b_ms_per_km {
            s.latency.b_ms_per_km = non_negative("--b-ms-per-km", v)?;
        }
        if let Some(w) = &a.weighting {
            s.objective.weighting = w.parse().with_context(|| format!("--weighting {w}"))?;
        }
        for (cc, f) in &a.growth {
            s.demand.growth.insert(cc.clone(), *f);
        }
        s.check()
            .context("invalid scenario after applying the command-line overrides")?;
        Ok(s)
    }

    /// Loads everything a scenario names.
    pub fn load(&self, s: &Scenario, progress: &dyn cdnplan_core::Progress) -> Result<Inputs> {
        let inputs = Inputs::load(s, progress)
            .map_err(|e| name_logs(e, &s.demand.logs))
            .context("cannot load the scenario's inputs")?;
        if let Some(es) = &inputs.es {
            for line in es.to_string().lines() {
                info!("{line}");
            }
        }
        if let Some(r) = &inputs.ingest {
            report_ingestion(r);
        }
        Ok(inputs)
    }
}

/// Ingestion's empty-demand error names the filters and counts but not the logs; add them.
pub fn name_logs(e: cdnplan_io::Error, logs: &[PathBuf]) -> anyhow::Error {
    let empty = matches!(
        e,
        cdnplan_io::Error::Model(cdnplan_core::Error::EmptyDemand(_))
    );
    // The library names its settings; here the flags are the way out.
    let text = e.to_string();
    let all_paths = text.contains("set `all_paths`");
    let combined = text.contains("set the preset to `combined`");
    let e = anyhow::Error::new(e);
    let e = if combined {
        e.context("the logs are not JSON lines: an access log is read with --preset combined")
    } else {
        e
    };
    if empty && !logs.is_empty() {
        let names: Vec<String> = logs.iter().map(|p| p.display().to_string()).collect();
        let hint = if all_paths {
            " (--all-paths counts every path)"
        } else {
            ""
        };
        e.context(format!("no demand in {}{hint}", names.join(", ")))
    } else {
        e
    }
}

/// A flag value that must be a finite number ≥ 0.
pub fn non_negative(flag: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        bail!("{flag} {v}: must be a finite number ≥ 0")
    }
}

/// Tells the user what ingestion did: the whole report with `--verbose`, else a one-line
/// summary (unless `--quiet`) and a warning for each kind of record left out of the demand.
pub fn report_ingestion(r: &IngestReport) {
    if messages::is_verbose() {
        messages::stderr(&r.to_string());
        return;
    }
    info!("{}", text::ingest_summary(r));
    for w in text::ingest_warnings(r) {
        warning!("{w}");
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
