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
//! # [capacity]                # optional: egress, costs, budget (see `crate::capacity`)
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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cdnplan_core::reassign::ReassignOptions;
use cdnplan_core::relocation::RelocationConstraints;
use cdnplan_core::solve::{Method, MipBackend};
use cdnplan_core::{
    CellKind, Countries, Demand, Latency, LinearRtt, Node, Progress, Site, Weighting,
};
use serde::{Deserialize, Serialize};

use crate::data;
use crate::error::{Error, Result};
use crate::geoip::GeoIp;
use crate::logs::{self, IngestOptions, IngestReport, LogFilter};

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
    /// capacitated relocation (see [`crate::capacity`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<crate::capacity::CapacityInput>,
}

/// The `[elasticsearch]` section: demand from an Elasticsearch / OpenSearch cluster.
///
/// Credentials are never stored in the scenario: `api_key_env`, `bearer_env` and
/// `password_env` name environment variables that hold them, and a URL carrying user
/// information (`https://user:pass@host`) is refused. Whatever the section leaves unset
/// (URL, credentials) comes from `ELASTICSEARCH_URL`, `ELASTICSEARCH_API_KEY`,
/// `ELASTICSEARCH_USERNAME` and `ELASTICSEARCH_PASSWORD`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElasticsearchInput {
    /// Node URL(s), comma-separated (`https://logs.example:9200`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Node URLs, as a list (added to `url`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// An Elastic Cloud id instead of URLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_id: Option<String>,
    /// Index, data stream, alias or pattern (`distributor-node`, `logs-argus-*`).
    pub index: String,
    /// `auto` (push down when the mapping has a geo point or country field), `push-down` or
    /// `raw`.
    #[serde(default = "default_es_mode")]
    pub mode: String,
    /// Buckets or documents per page (default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<usize>,
    /// Parallel slices in raw mode (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slices: Option<u32>,
    /// Page raw documents with a scroll even where a point in time is available.
    #[serde(default)]
    pub scroll: bool,
    /// An extra filter in query-string syntax (`fields.label:PublicApi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Per-request timeout, seconds (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_s: Option<f64>,
    /// Retries per request on 429, 5xx, timeouts and dropped connections (default 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// User name for basic auth; the password is read from `password_env`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Name of the environment variable holding the basic-auth password (default
    /// `ELASTICSEARCH_PASSWORD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// Name of the environment variable holding an API key (e.g. `ELASTICSEARCH_API_KEY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// Name of the environment variable holding a bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_env: Option<String>,
    /// A PEM file with the CA certificate(s) to trust.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
    /// Skip certificate validation (test clusters only).
    #[serde(default)]
    pub insecure: bool,
}

/// True when `v` reads as an environment variable's name rather than a credential: letters,
/// digits and `_`, not starting with a digit, and either with a `_` or in upper case
/// (`ELASTICSEARCH_API_KEY`, `es_key`, `TOKEN`, but not `aWQ6a2V5` or `deadbeef42`).
fn looks_like_env_name(v: &str) -> bool {
    let chars_ok = !v.is_empty()
        && v.len() <= 100
        && !v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    chars_ok && (v.contains('_') || !v.chars().any(|c| c.is_ascii_lowercase()))
}

/// Values in scenario text that may be credentials written by mistake, to redact from
/// messages that quote the text: string values of keys naming a password, key, token or
/// secret, and `*_env` values that are no variable's name.
fn inline_secrets(text: &str) -> crate::redact::Redactor {
    let mut r = crate::redact::Redactor::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().trim_matches('"').to_ascii_lowercase();
        let value = value.trim().trim_matches(['"', '\'']);
        let secret_key = [
            "password", "passwd", "secret", "token", "api_key", "apikey", "bearer",
        ]
        .iter()
        .any(|k| key.contains(k));
        if secret_key && !(key.ends_with("_env") && looks_like_env_name(value)) {
            r.secret(value);
            r.api_key(value);
        }
        if let Some(u) = value.split_whitespace().find(|u| u.contains("://")) {
            r.url(u);
        }
    }
    r
}

fn default_es_mode() -> String {
    "auto".into()
}

impl ElasticsearchInput {
    /// A section reading `index` at the cluster `url`, with the defaults.
    pub fn new(url: impl Into<String>, index: impl Into<String>) -> Self {
        ElasticsearchInput {
            url: Some(url.into()),
            urls: Vec::new(),
            cloud_id: None,
            index: index.into(),
            mode: default_es_mode(),
            page_size: None,
            slices: None,
            scroll: false,
            query: None,
            timeout_s: None,
            retries: None,
            username: None,
            password_env: None,
            api_key_env: None,
            bearer_env: None,
            ca_cert: None,
            insecure: false,
        }
    }

    /// Every URL the section names.
    fn all_urls(&self) -> Vec<&str> {
        self.url
            .iter()
            .flat_map(|u| u.split(','))
            .chain(self.urls.iter().map(String::as_str))
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .collect()
    }

    /// Checks values the types cannot; no secret may sit in the file.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key.
    pub fn check(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Config(format!("[elasticsearch] {m}")));
        if self.index.trim().is_empty() {
            return bad("index = \"\": name an index, data stream or pattern".into());
        }
        if !matches!(
            self.mode
                .trim()
                .to_ascii_lowercase()
                .replace('_', "-")
                .as_str(),
            "auto" | "push-down" | "pushdown" | "aggregate" | "raw" | "documents"
        ) {
            return bad(format!(
                "mode = {:?}: use \"auto\", \"push-down\" or \"raw\"",
                self.mode
            ));
        }
        if self.page_size == Some(0) || self.slices == Some(0) {
            return bad("page_size and slices must be at least 1".into());
        }
        if let Some(t) = self.timeout_s
            && !(t.is_finite() && t > 0.0)
        {
            return bad(format!(
                "timeout_s = {t}: must be a positive number of seconds"
            ));
        }
        for u in self.all_urls() {
            // `scheme://user[:pass]@host`: user information before the host.
            let rest = u.split_once("://").map_or(u, |(_, r)| r);
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            if authority.contains('@') {
                return bad(
                    "url carries user information: never write credentials in a scenario; \
                     give `username` and `password_env` (the name of an environment variable), \
                     or `api_key_env`"
                        .into(),
                );
            }
        }
        if !self.all_urls().is_empty() && self.cloud_id.is_some() {
            return bad("`url(s)` and `cloud_id` are alternatives; give one".into());
        }
        let auths = [
            self.username.is_some(),
            self.api_key_env.is_some(),
            self.bearer_env.is_some(),
        ];
        if auths.iter().filter(|&&a| a).count() > 1 {
            return bad(
                "`username`, `api_key_env` and `bearer_env` are alternatives; give one".into(),
            );
        }
        for (key, value) in [
            ("api_key_env", &self.api_key_env),
            ("bearer_env", &self.bearer_env),
            ("password_env", &self.password_env),
        ] {
            // The value itself is never echoed: it may be the credential, written by mistake.
            if let Some(v) = value
                && !looks_like_env_name(v)
            {
                return bad(format!(
                    "{key} does not name an environment variable (letters, digits and `_`, \
                     such as ELASTICSEARCH_API_KEY): is it the credential itself? Never write \
                     credentials in a scenario; put it in a variable and name that"
                ));
            }
        }
        if self.password_env.is_some() && self.username.is_none() {
            return bad("`password_env` needs `username`".into());
        }
        Ok(())
    }
}

#[cfg(feature = "es")]
impl ElasticsearchInput {
    /// The connection: the section's settings, credentials read from the environment
    /// variables it names, then the `ELASTICSEARCH_*` variables for what is still unset.
    ///
    /// # Errors
    /// [`Error::Config`] when a named variable is unset, [`Error::Es`] for a malformed URL.
    pub fn connection(&self) -> Result<crate::es::EsConnection> {
        self.connection_from(|k| std::env::var(k).ok())
    }

    /// [`ElasticsearchInput::connection`] with the variables looked up by `var`.
    ///
    /// # Errors
    /// As [`ElasticsearchInput::connection`].
    pub fn connection_from(
        &self,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<crate::es::EsConnection> {
        use crate::es::{EsAuth, EsConnection, Secret};
        self.check()?;
        let get = |key: &str, name: &str| {
            var(name).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                Error::Config(format!(
                    "[elasticsearch] {key} = {name:?}: the environment variable {name} is not set"
                ))
            })
        };
        let urls = self.all_urls();
        let mut c = if !urls.is_empty() {
            EsConnection::url(&urls.join(","))?
        } else if let Some(id) = &self.cloud_id {
            EsConnection::cloud(id)
        } else {
            EsConnection::default()
        };
        if let Some(name) = &self.api_key_env {
            c = c.auth(EsAuth::ApiKey(Secret::new(
                get("api_key_env", name)?.trim(),
            )));
        } else if let Some(name) = &self.bearer_env {
            c = c.auth(EsAuth::Bearer(Secret::new(get("bearer_env", name)?.trim())));
        } else if let Some(u) = &self.username {
            let name = self
                .password_env
                .as_deref()
                .unwrap_or("ELASTICSEARCH_PASSWORD");
            c = c.auth(EsAuth::Basic {
                username: u.clone(),
                password: Secret::new(get("password_env", name)?),
            });
        }
        if let Some(ca) = &self.ca_cert {
            c = c.ca_cert(ca.clone());
        }
        c = c.insecure(self.insecure);
        if let Some(t) = self.timeout_s {
            c = c.timeout_secs(t);
        }
        if let Some(r) = self.retries {
            c = c.retries(r);
        }
        let c = c.with_env_from(var)?;
        if c.urls.is_empty() && c.cloud_id.is_none() {
            return Err(Error::Config(
                "[elasticsearch]: no cluster given: set `url`, `urls` or `cloud_id`, or ELASTICSEARCH_URL"
                    .into(),
            ));
        }
        Ok(c)
    }

    /// The query: index, mode, paging and query string.
    ///
    /// # Errors
    /// [`Error::Config`] for an unknown mode.
    pub fn query(&self) -> Result<crate::es::EsQuery> {
        let mut q = crate::es::EsQuery::new(self.index.trim())
            .mode(self.mode.parse()?)
            .scroll(self.scroll);
        if let Some(n) = self.page_size {
            q = q.page_size(n);
        }
        if let Some(n) = self.slices {
            q = q.slices(n);
        }
        if let Some(qs) = &self.query {
            q = q.query_string(qs.clone());
        }
        Ok(q)
    }
}

/// The `[reassign]` section: the family ↔ bucket reassignment after the plan's node moves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReassignInput {
    /// Whether `plan` adds the reassignment (only when `[network] topology` is given).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Per-bag calls per group of the checklist (each call is its own transaction).
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// When the topology lists no bags, assume this many channel bags on every operated
    /// bucket (a what-if: reports say so).
    #[serde(default)]
    pub assume_bags: Option<u64>,
    /// Keep buckets without an operator (default: drain and delete them).
    #[serde(default)]
    pub keep_idle_buckets: bool,
    /// Cache disk per node id, GB, for balancing bags (overrides the nodes' capacity).
    #[serde(default)]
    pub cache_gb: BTreeMap<String, f64>,
}

fn yes() -> bool {
    true
}

fn default_batch_size() -> usize {
    100
}

impl Default for ReassignInput {
    fn default() -> Self {
        ReassignInput {
            enabled: true,
            batch_size: default_batch_size(),
            assume_bags: None,
            keep_idle_buckets: false,
            cache_gb: BTreeMap::new(),
        }
    }
}

impl ReassignInput {
    /// The planner options: these settings, `weighting`, and cache sizes from the nodes'
    /// capacity where they declare one, overridden by `cache_gb`.
    pub fn options(&self, nodes: &[Node], weighting: Weighting) -> ReassignOptions {
        let mut cache: BTreeMap<String, f64> = nodes
            .iter()
            .filter_map(|n| Some((n.id.clone(), n.capacity?.cache_gb?)))
            .collect();
        cache.extend(self.cache_gb.iter().map(|(k, v)| (k.clone(), *v)));
        ReassignOptions::default()
            .batch_size(self.batch_size)
            .delete_idle_buckets(!self.keep_idle_buckets)
            .weighting(weighting)
            .cache_gb(cache)
    }

    /// Checks values the types cannot.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key.
    pub fn check(&self) -> Result<()> {
        if self.batch_size == 0 {
            return Err(Error::Config(
                "[reassign] batch_size = 0: must be at least 1".into(),
            ));
        }
        if let Some(n) = self.assume_bags
            && n > cdnplan_core::reassign::MAX_ASSUMED_BAGS
        {
            return Err(Error::Config(format!(
                "[reassign] assume_bags = {n}: at most {} bags can be assumed (each is \
                 replayed call by call; import the real bags from an indexer instead)",
                cdnplan_core::reassign::MAX_ASSUMED_BAGS
            )));
        }
        for (id, gb) in &self.cache_gb {
            if !(gb.is_finite() && *gb > 0.0) {
                return Err(Error::Config(format!(
                    "[reassign] cache_gb.{id:?} = {gb}: must be a positive number of GB"
                )));
            }
        }
        Ok(())
    }
}

fn default_name() -> String {
    "scenario".into()
}

fn default_output_dir() -> PathBuf {
    PathBuf::from("out")
}

/// Demand input: request logs to ingest, or a demand CSV written by `cdnplan demand`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DemandInput {
    /// Request log files (NDJSON, CSV or combined log format; gzip or plain).
    #[serde(default)]
    pub logs: Vec<PathBuf>,
    /// A demand CSV (`id,country,continent,lat,lon,requests,bytes,unique_clients`) instead of logs.
    #[serde(default)]
    pub demand_csv: Option<PathBuf>,
    /// Field-mapping preset for the logs (`argus`, `es-hits`, `ecs`, `combined`, `csv`).
    #[serde(default = "default_preset")]
    pub preset: String,
    /// MaxMind-format database locating client addresses.
    #[serde(default)]
    pub geoip: Option<PathBuf>,
    /// Cell kind: `country`, `city` or `geotile:Z`.
    #[serde(default = "default_cells")]
    pub cells: String,
    /// Count requests at or after this time (RFC 3339).
    #[serde(default)]
    pub since: Option<String>,
    /// Count requests before this time (RFC 3339).
    #[serde(default)]
    pub until: Option<String>,
    /// HTTP statuses to count, e.g. `"200-299"` or `"200,206,304"` (default: 2xx).
    #[serde(default)]
    pub status: Option<String>,
    /// Count every path, not only `/api/v1/assets/<id>`.
    #[serde(default)]
    pub all_paths: bool,
    /// Skip and count malformed records instead of stopping at the first.
    #[serde(default)]
    pub lenient: bool,
    /// Worker threads for reading logs (default: all cores). Does not change results.
    #[serde(default)]
    pub threads: Option<usize>,
}

fn default_preset() -> String {
    "argus".into()
}

fn default_cells() -> String {
    "country".into()
}

/// Network input: current nodes, candidate sites, country table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NetworkInput {
    /// A topology JSON (nodes are its ACTIVE operators with coordinates).
    #[serde(default)]
    pub topology: Option<PathBuf>,
    /// A nodes CSV instead of a topology.
    #[serde(default)]
    pub nodes: Option<PathBuf>,
    /// Candidate sites CSV.
    pub sites: PathBuf,
    /// Country table CSV.
    pub countries: PathBuf,
}

/// Latency model constants and measured overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencyInput {
    /// Fixed part a, ms.
    #[serde(default = "default_a")]
    pub a_ms: f64,
    /// Distance part b, ms per km.
    #[serde(default = "default_b")]
    pub b_ms_per_km: f64,
    /// Measured RTTs: CSV `cell,facility,rtt_ms` overriding the model pair by pair.
    #[serde(default)]
    pub measured: Option<PathBuf>,
}

fn default_a() -> f64 {
    LinearRtt::DEFAULT.a_ms
}

fn default_b() -> f64 {
    LinearRtt::DEFAULT.b_ms_per_km
}

impl Default for LatencyInput {
    fn default() -> Self {
        LatencyInput {
            a_ms: default_a(),
            b_ms_per_km: default_b(),
            measured: None,
        }
    }
}

impl LatencyInput {
    /// The checked linear model.
    ///
    /// # Errors
    /// [`Error::Model`] when a constant is negative or not finite.
    pub fn model(&self) -> Result<LinearRtt> {
        Ok(LinearRtt::new(self.a_ms, self.b_ms_per_km)?)
    }
}

/// What to optimise.
///
/// ```toml
/// [objective]
/// kind = "coverage"        # mean_rtt | coverage | worst_case | redundancy | blended
/// threshold_ms = 100       # T: coverage, redundancy, blended; also the service report's
/// k = 2                    # redundancy: the k-th nearest node must be within T
/// penalty_ms = 50          # blended: ms added per unit of demand beyond T
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Objective {
    /// The objective (see [`cdnplan_core::solve::objective`]).
    #[serde(default)]
    pub kind: ObjectiveKind,
    /// What weighs a demand cell: `requests`, `bytes` or `clients`.
    #[serde(default)]
    pub weighting: Weighting,
    /// The RTT threshold T (ms) of coverage, redundancy and blended; with any objective it
    /// adds the service report (coverage within T, worst-served cells, single failures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_ms: Option<f64>,
    /// Redundancy: the k-th nearest node must be within T (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<usize>,
    /// Blended: ms added per unit of demand served beyond T.
    #[serde(default, alias = "penalty", skip_serializing_if = "Option::is_none")]
    pub penalty_ms: Option<f64>,
}

impl Objective {
    /// The core objective these settings name.
    ///
    /// # Errors
    /// [`Error::Config`] naming the missing or bad key (`threshold_ms` for coverage,
    /// redundancy and blended; `penalty_ms` for blended; `k` ≥ 1).
    pub fn to_core(&self) -> Result<cdnplan_core::solve::Objective> {
        use cdnplan_core::solve::Objective as O;
        let name = serde_json::to_value(self.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let threshold = || {
            self.threshold_ms.ok_or_else(|| {
                Error::Config(format!(
                    "[objective] kind = \"{name}\" needs threshold_ms (the RTT threshold T in ms)"
                ))
            })
        };
        let o = match self.kind {
            ObjectiveKind::MeanRtt => O::MeanRtt,
            ObjectiveKind::Coverage => O::Coverage {
                threshold_ms: threshold()?,
            },
            ObjectiveKind::WorstCase => O::WorstCase,
            ObjectiveKind::Redundancy => O::Redundancy {
                threshold_ms: threshold()?,
                k: self.k.unwrap_or(2),
            },
            ObjectiveKind::Blended => O::Blended {
                threshold_ms: threshold()?,
                penalty_ms: self.penalty_ms.ok_or_else(|| {
                    Error::Config(
                        "[objective] kind = \"blended\" needs penalty_ms (ms per unit of demand \
                         beyond T)"
                            .into(),
                    )
                })?,
            },
        };
        if let Some(t) = self.threshold_ms
            && !(t.is_finite() && t >= 0.0)
        {
            return Err(Error::Config(format!(
                "[objective] threshold_ms = {t}: must be a non-negative number of ms"
            )));
        }
        o.validate()
            .map_err(|e| Error::Config(format!("[objective] {e}")))?;
        Ok(o)
    }
}

/// Objective kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ObjectiveKind {
    /// Minimise the demand-weighted mean RTT.
    #[default]
    MeanRtt,
    /// Maximise the demand within `threshold_ms` (MCLP).
    Coverage,
    /// Minimise the RTT of the worst-served cell (p-center).
    WorstCase,
    /// Maximise the demand whose k-th nearest node is within `threshold_ms`.
    Redundancy,
    /// Mean RTT plus `penalty_ms` per unit of demand beyond `threshold_ms`.
    Blended,
}

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
    /// Wall-clock limit in seconds.
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
        if t.is_nan() || t <= 0.0 {
            return Err(Error::Config(format!(
                "[solver] time_limit_s = {t}: must be a positive number of seconds"
            )));
        }
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

/// Everything a scenario names, loaded and checked.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Demand cells.
    pub demand: Demand,
    /// What ingestion saw, when the demand came from logs.
    pub ingest: Option<IngestReport>,
    /// Current nodes (with continents filled in from the country table).
    pub nodes: Vec<Node>,
    /// Candidate sites.
    pub sites: Vec<Site>,
    /// The country table.
    pub countries: Countries,
    /// Latency model with measured overrides.
    pub latency: Latency,
    /// File names the demand came from (names only, so plans do not depend on where the
    /// files sit).
    pub sources: Vec<String>,
    /// Length of the period the demand covers, in seconds, when known: the scenario's
    /// `since`..`until` window, else the span of the counted requests.
    pub window_s: Option<f64>,
    /// What the read from the cluster did, when the demand came from `[elasticsearch]`.
    #[cfg(feature = "es")]
    pub es: Option<crate::es::EsReport>,
}

impl Inputs {
    /// Loads the scenario's country table, sites, nodes, latency and demand (ingesting logs
    /// when it names logs).
    ///
    /// # Errors
    /// Whatever the loaders report, each naming its file; [`Error::Config`] for a bad preset,
    /// cell kind, time or status filter.
    pub fn load(s: &Scenario, progress: &dyn Progress) -> Result<Inputs> {
        let countries = data::load_countries(&s.network.countries)?;
        let sites = data::load_sites_checked(&s.network.sites, &countries)?;
        let mut nodes = match (&s.network.topology, &s.network.nodes) {
            (Some(t), _) => {
                let nodes = data::load_topology(t)?.nodes();
                // Operator metadata is free text on chain: check its country codes too.
                check_countries(
                    t,
                    nodes.iter().map(|n| (n.id.as_str(), n.country)),
                    &countries,
                )?;
                nodes
            }
            (None, Some(n)) => data::load_nodes_checked(n, &countries)?,
            (None, None) => {
                return Err(Error::Config(
                    "[network]: give `topology` or `nodes`".into(),
                ));
            }
        };
        fill_continents(&mut nodes, &countries);
        let mut latency = Latency::new(s.latency.model()?);
        if let Some(m) = &s.latency.measured {
            latency = data::load_measured_rtt(m, latency)?;
        }
        #[cfg(feature = "es")]
        let mut es_report = None;
        let (demand, ingest, sources) = if let Some(csv) = &s.demand.demand_csv {
            let demand = data::load_demand(csv)?;
            check_countries(
                csv,
                demand.cells.iter().map(|c| (c.id.as_str(), c.country)),
                &countries,
            )?;
            (demand, None, vec![file_name(csv)])
        } else if let Some(es) = &s.elasticsearch {
            #[cfg(feature = "es")]
            {
                let got = read_cluster(s, es, &countries, progress)?;
                es_report = Some(got.es);
                let sources = vec![format!("elasticsearch:{}", es.index.trim())];
                (got.demand, Some(got.report), sources)
            }
            #[cfg(not(feature = "es"))]
            {
                let _ = es;
                return Err(Error::Config(
                    "[elasticsearch]: this build has no Elasticsearch support (the `es` feature of cdnplan-io)".into(),
                ));
            }
        } else {
            let ingested = ingest_logs(s, &countries, progress)?;
            let sources = s.demand.logs.iter().map(|p| file_name(p)).collect();
            (ingested.demand, Some(ingested.report), sources)
        };
        demand
            .ensure_not_empty(s.objective.weighting)
            .map_err(|e| Error::Config(format!("{e}; demand came from {}", sources.join(", "))))?;
        if let Some(m) = &s.latency.measured {
            check_measured(m, &latency, &demand, &nodes, &sites)?;
        }
        let window_s = demand_window_s(&s.demand, ingest.as_ref());
        Ok(Inputs {
            demand,
            ingest,
            nodes,
            sites,
            countries,
            latency,
            sources,
            window_s,
            #[cfg(feature = "es")]
            es: es_report,
        })
    }

    /// Checks that `nodes` (today's, or a plan's result) can carry the demand's mean egress
    /// rate, when the window is known and every active node declares an egress capacity.
    ///
    /// # Errors
    /// [`Error::Model`] wrapping [`cdnplan_core::Error::Infeasible`] with a diagnosis naming
    /// both rates.
    pub fn check_capacity(&self, nodes: &[Node]) -> Result<()> {
        if let Some(w) = self.window_s {
            cdnplan_core::serving::check_egress_capacity(&self.demand, w, nodes)?;
        }
        Ok(())
    }
}

/// The period the demand covers: the explicit window when both ends are given, else the span
/// of the counted requests.
fn demand_window_s(d: &DemandInput, report: Option<&IngestReport>) -> Option<f64> {
    let span = |a: &str, b: &str| -> Option<f64> {
        let (a, b) = (logs::parse_time(a).ok()?, logs::parse_time(b).ok()?);
        (b > a).then(|| (b - a) as f64 / 1000.0)
    };
    if let (Some(a), Some(b)) = (&d.since, &d.until) {
        return span(a, b);
    }
    let r = report?;
    span(r.first_request.as_deref()?, r.last_request.as_deref()?)
}

/// The ingestion options a scenario's `[demand]` section describes.
///
/// # Errors
/// [`Error::Config`] for an unknown preset or cell kind, or a bad time or status filter.
pub fn ingest_options(d: &DemandInput) -> Result<IngestOptions> {
    let mut filter = LogFilter::default();
    if d.all_paths {
        filter = filter.all_paths();
    }
    if let Some(t) = &d.since {
        filter = filter.since(t)?;
    }
    if let Some(t) = &d.until {
        filter = filter.until(t)?;
    }
    if let Some(st) = &d.status {
        filter = filter.status(st.parse()?);
    }
    let cells: CellKind = d
        .cells
        .parse()
        .map_err(|e| Error::Config(format!("cells: {e}")))?;
    let mut o = IngestOptions::from_preset_name(&d.preset)?
        .cells(cells)
        .filter(filter)
        .lenient(d.lenient);
    if let Some(n) = d.threads {
        o = o.threads(n);
    }
    Ok(o)
}

fn ingest_logs(
    s: &Scenario,
    countries: &Countries,
    progress: &dyn Progress,
) -> Result<logs::Ingested> {
    let options = ingest_options(&s.demand)?;
    let db = s
        .demand
        .geoip
        .clone()
        .unwrap_or_else(data::bundled::geoip_country_db);
    let geoip = GeoIp::open(&db)?;
    logs::ingest(&s.demand.logs, &geoip, countries, &options, progress)
}

/// Reads the scenario's demand from the cluster of its `[elasticsearch]` section.
#[cfg(feature = "es")]
fn read_cluster(
    s: &Scenario,
    es: &ElasticsearchInput,
    countries: &Countries,
    progress: &dyn Progress,
) -> Result<crate::es::EsIngested> {
    let options = ingest_options(&s.demand)?;
    let conn = es.connection()?;
    let query = es.query()?;
    // Push-down on documents that carry their cell needs no GeoIP database; a missing bundled
    // database only matters when clients must be placed (and the read says so).
    let geoip = match &s.demand.geoip {
        Some(p) => Some(GeoIp::open(p)?),
        None => GeoIp::open(data::bundled::geoip_country_db()).ok(),
    };
    let client = crate::es::EsClient::connect(&conn)?;
    crate::es::demand(
        &client,
        &query,
        &options,
        geoip.as_ref(),
        countries,
        progress,
    )
}

/// Every country code of a topology's operators must be in the country table (a code such as
/// `UK` for `GB` would otherwise drop the node out of country-based rules silently).
fn check_countries<'a>(
    path: &Path,
    items: impl Iterator<Item = (&'a str, Option<cdnplan_core::CountryCode>)>,
    countries: &Countries,
) -> Result<()> {
    for (id, cc) in items {
        if let Some(cc) = cc
            && countries.get(cc).is_none()
        {
            return Err(Error::Format {
                path: path.to_path_buf(),
                reason: format!(
                    "{id}: unknown country code {cc} (not in the country table; ISO 3166-1 alpha-2, e.g. GB not UK)"
                ),
            });
        }
    }
    Ok(())
}

/// Every measured RTT must name a demand cell and a node or site: a row that names neither
/// would be ignored without a word.
fn check_measured(
    path: &Path,
    latency: &Latency,
    demand: &cdnplan_core::Demand,
    nodes: &[Node],
    sites: &[cdnplan_core::Site],
) -> Result<()> {
    let cells: std::collections::BTreeSet<&str> =
        demand.cells.iter().map(|c| c.id.as_str()).collect();
    let facilities: std::collections::BTreeSet<&str> = nodes
        .iter()
        .map(|n| n.id.as_str())
        .chain(sites.iter().map(|s| s.id.as_str()))
        .collect();
    let unknown: Vec<String> = latency
        .overrides
        .keys()
        .filter_map(|(cell, facility)| {
            let c = (!cells.contains(cell.as_str())).then(|| format!("cell {cell:?}"));
            let f =
                (!facilities.contains(facility.as_str())).then(|| format!("facility {facility:?}"));
            match (c, f) {
                (None, None) => None,
                (c, f) => Some(
                    [c, f]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" and "),
                ),
            }
        })
        .collect();
    if let Some(first) = unknown.first() {
        return Err(Error::Format {
            path: path.to_path_buf(),
            reason: format!(
                "{} measured RTT row(s) name ids that are not in the inputs, first: {first} \
                 (every row must name a demand cell id and a node or site id)",
                unknown.len()
            ),
        });
    }
    Ok(())
}

fn fill_continents(nodes: &mut [Node], countries: &Countries) {
    for n in nodes {
        if n.continent.is_none()
            && let Some(c) = n.country.and_then(|cc| countries.get(cc))
        {
            n.continent = Some(c.continent);
        }
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[demand]
logs = ["logs/a.ndjson.gz"]
[network]
topology = "t.json"
sites = "sites.csv"
countries = "countries.csv"
"#;

    #[test]
    fn defaults_fill_the_rest() {
        let s = Scenario::parse(MINIMAL).unwrap();
        assert_eq!(s.demand.preset, "argus");
        assert_eq!(s.cell_kind().unwrap(), CellKind::Country);
        assert_eq!(s.latency.model().unwrap(), LinearRtt::DEFAULT);
        assert_eq!(s.objective.weighting, Weighting::Requests);
        assert_eq!(s.constraints.max_moves, 0);
        assert_eq!(s.solver.method, Method::Auto);
        assert_eq!(s.solver.time_limit_s, 60.0);
        assert_eq!(s.reassign, ReassignInput::default());
        assert!(s.reassign.enabled);
    }

    #[test]
    fn objective_section_names_the_objective_and_its_parameters() {
        use cdnplan_core::solve::Objective as O;
        let with = |body: &str| format!("{MINIMAL}\n[objective]\n{body}\n");
        let s = Scenario::parse(&with("kind = \"coverage\"\nthreshold_ms = 100")).unwrap();
        assert_eq!(
            s.objective.to_core().unwrap(),
            O::Coverage {
                threshold_ms: 100.0
            }
        );
        let s = Scenario::parse(&with("kind = \"redundancy\"\nthreshold_ms = 150")).unwrap();
        assert_eq!(
            s.objective.to_core().unwrap(),
            O::Redundancy {
                threshold_ms: 150.0,
                k: 2
            }
        );
        let s = Scenario::parse(&with(
            "kind = \"blended\"\nthreshold_ms = 100\npenalty = 50",
        ))
        .unwrap();
        assert_eq!(
            s.objective.to_core().unwrap(),
            O::Blended {
                threshold_ms: 100.0,
                penalty_ms: 50.0
            }
        );
        let s = Scenario::parse(&with("kind = \"worst_case\"")).unwrap();
        assert_eq!(s.objective.to_core().unwrap(), O::WorstCase);
        for (bad, why) in [
            ("kind = \"coverage\"", "threshold_ms"),
            ("kind = \"blended\"\nthreshold_ms = 1", "penalty_ms"),
            ("kind = \"redundancy\"\nthreshold_ms = 1\nk = 0", "k ≥ 1"),
            ("threshold_ms = -5", "threshold_ms"),
        ] {
            let e = Scenario::parse(&with(bad)).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn reassign_section_sets_the_planner_options() {
        let text = format!(
            "{MINIMAL}\n[reassign]\nbatch_size = 20\nassume_bags = 50\nkeep_idle_buckets = true\ncache_gb = {{ \"a.example\" = 500 }}\n"
        );
        let s = Scenario::parse(&text).unwrap();
        assert_eq!(s.reassign.assume_bags, Some(50));
        let node = |id: &str, cache_gb: Option<f64>| Node {
            id: id.into(),
            operator: None,
            city: None,
            country: None,
            continent: None,
            location: cdnplan_core::GeoPoint { lat: 0.0, lon: 0.0 },
            capacity: Some(cdnplan_core::node::Capacity {
                egress_gbps: None,
                cache_gb,
            }),
            active: true,
            buckets: Vec::new(),
        };
        let o = s.reassign.options(
            &[
                node("a.example", Some(100.0)),
                node("b.example", Some(200.0)),
                node("c.example", None),
            ],
            Weighting::Bytes,
        );
        assert_eq!(o.batch_size, 20);
        assert!(!o.delete_idle_buckets);
        assert_eq!(o.weighting, Weighting::Bytes);
        assert_eq!(
            o.cache_gb,
            BTreeMap::from([("a.example".into(), 500.0), ("b.example".into(), 200.0)]),
            "the scenario overrides the nodes' capacity"
        );
        for bad in ["batch_size = 0", "cache_gb = { x = -1 }", "enable = false"] {
            let text = format!("{MINIMAL}\n[reassign]\n{bad}\n");
            assert!(Scenario::parse(&text).is_err(), "{bad}");
        }
    }

    #[test]
    fn capacity_section_sets_egress_costs_and_budget() {
        assert_eq!(Scenario::parse(MINIMAL).unwrap().capacity, None);
        let text = format!(
            "{MINIMAL}\n[capacity]\nassignment = \"single_source\"\n\
             egress_gbps = {{ \"hetzner-hel1\" = 2.5 }}\ndefault_egress_gbps = 0.5\n\
             peak_to_mean = 3\nmonthly_usd = {{ paris = 55 }}\ndefault_monthly_usd = 100\n\
             budget_usd = 400\n"
        );
        let c = Scenario::parse(&text).unwrap().capacity.unwrap();
        assert_eq!(
            c.assignment,
            cdnplan_core::solve::capacity::Assignment::SingleSource
        );
        let m = c.model(Some(86_400.0), Some(1.5)).unwrap();
        assert_eq!(m.egress_of("hetzner-hel1", None), 2.5);
        assert_eq!(m.egress_of("other", None), 0.5);
        assert_eq!(m.monthly_of("paris", None), Some(55.0));
        assert_eq!(m.monthly_of("other", Some(50.0)), Some(50.0));
        assert_eq!(m.monthly_of("other", None), Some(100.0));
        assert_eq!((m.budget_usd, m.peak.peak_to_mean), (Some(400.0), 3.0));
        // Defaults: split, 1 Gbit/s.
        let c = Scenario::parse(&format!("{MINIMAL}\n[capacity]\n"))
            .unwrap()
            .capacity
            .unwrap();
        assert_eq!(c.default_egress_gbps, 1.0);
        // Unknown keys, bad values and other objectives are named.
        for (extra, want) in [
            ("egress = 1", "egress"),
            ("budget_usd = -5", "[capacity] budget_usd = -5"),
            ("assignment = \"round_robin\"", "round_robin"),
        ] {
            let e = Scenario::parse(&format!("{MINIMAL}\n[capacity]\n{extra}\n"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{extra}: {e}");
        }
        let e = Scenario::parse(&format!(
            "{MINIMAL}\n[objective]\nkind = \"worst_case\"\n[capacity]\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("mean_rtt"), "{e}");
    }

    #[test]
    fn unknown_key_is_named() {
        let text = format!("{MINIMAL}\n[constraints]\nmax_move = 3\n");
        let e = Scenario::parse(&text).unwrap_err().to_string();
        assert!(e.contains("max_move"), "{e}");
    }

    #[test]
    fn contradictions_are_errors() {
        let both = MINIMAL.replace(
            "topology = \"t.json\"",
            "topology = \"t.json\"\nnodes = \"n.csv\"",
        );
        assert!(
            Scenario::parse(&both)
                .unwrap_err()
                .to_string()
                .contains("alternatives")
        );
        let bad_cells = MINIMAL.replace("[network]", "cells = \"geotile:40\"\n[network]");
        assert!(
            Scenario::parse(&bad_cells)
                .unwrap_err()
                .to_string()
                .contains("cells")
        );
        let neg = format!("{MINIMAL}\n[latency]\na_ms = -1\n");
        assert!(Scenario::parse(&neg).is_err());
        let k = format!("{MINIMAL}\n[constraints]\nmax_moves = -1\n");
        assert!(Scenario::parse(&k).is_err(), "K < 0 is rejected");
        let t = format!("{MINIMAL}\n[solver]\ntime_limit_s = 0\n");
        assert!(
            Scenario::parse(&t)
                .unwrap_err()
                .to_string()
                .contains("time_limit_s")
        );
    }

    const CLUSTER: &str = r#"
[demand]
preset = "ecs"
[elasticsearch]
url = "http://es.example:9200"
index = "logs-argus-*"
username = "planner"
password_env = "PLANNER_ES_PASSWORD"
[network]
topology = "t.json"
sites = "sites.csv"
countries = "countries.csv"
"#;

    #[test]
    fn elasticsearch_section_names_the_demand_and_no_secret() {
        let s = Scenario::parse(CLUSTER).unwrap();
        let es = s.elasticsearch.as_ref().unwrap();
        assert_eq!(
            (es.index.as_str(), es.mode.as_str()),
            ("logs-argus-*", "auto")
        );
        let both = CLUSTER.replace("preset = \"ecs\"", "logs = [\"a.log\"]");
        let e = Scenario::parse(&both).unwrap_err().to_string();
        assert!(e.contains("both name the demand"), "{e}");
        let neither = MINIMAL.replace("logs = [\"logs/a.ndjson.gz\"]", "");
        let e = Scenario::parse(&neither).unwrap_err().to_string();
        assert!(e.contains("[elasticsearch]"), "{e}");
        for (bad, why) in [
            ("http://es.example", "http://u:hunter2@es.example"),
            (
                "index = \"logs-argus-*\"",
                "index = \"logs-argus-*\"\npassword = \"x\"",
            ),
            (
                "index = \"logs-argus-*\"",
                "index = \"logs-argus-*\"\nmode = \"fast\"",
            ),
        ] {
            let text = CLUSTER.replace(bad, why);
            let e = Scenario::parse(&text).unwrap_err().to_string();
            assert!(!e.contains("hunter2"), "{e}");
            assert!(e.contains("elasticsearch") || e.contains("password"), "{e}");
        }
    }

    /// Row 8 of issue 15: a credential written into the scenario by mistake (an inline
    /// `password`, a key where a variable's name belongs) is refused without being echoed.
    #[cfg(feature = "es")]
    #[test]
    fn inline_credentials_never_reach_a_message() {
        let key = "aWQ6a2V5LXNlY3JldA";
        for (edit, secret) in [
            (
                "password_env = \"hunter2pw\"\npassword = \"hunter2pw\"",
                "hunter2pw",
            ),
            (&*format!("password_env = \"{key}\""), key),
            ("password_env = \"p@ss word!\"", "p@ss word!"),
        ] {
            let text = CLUSTER.replace("password_env = \"PLANNER_ES_PASSWORD\"", edit);
            let e = match Scenario::parse(&text) {
                Err(e) => e,
                Ok(s) => s
                    .elasticsearch
                    .unwrap()
                    .connection_from(|_| None)
                    .unwrap_err(),
            };
            let e = e.to_string();
            assert!(!e.contains(secret), "{secret} in {e}");
            assert!(e.contains("password"), "{e}");
        }
        let mut k = ElasticsearchInput::new("http://a:9200", "x");
        k.api_key_env = Some(key.into());
        let e = k.connection_from(|_| None).unwrap_err().to_string();
        assert!(
            !e.contains(key) && e.contains("api_key_env does not name an environment variable"),
            "{e}"
        );
        for name in ["ELASTICSEARCH_API_KEY", "es_key", "TOKEN"] {
            assert!(looks_like_env_name(name), "{name}");
        }
        for value in ["aWQ6a2V5", "deadbeef42", "1ABC", "a-b", ""] {
            assert!(!looks_like_env_name(value), "{value}");
        }
    }

    #[cfg(feature = "es")]
    #[test]
    fn elasticsearch_credentials_come_from_the_named_variables() {
        use crate::es::EsAuth;
        let s = Scenario::parse(CLUSTER).unwrap();
        let es = s.elasticsearch.unwrap();
        let env = |k: &str| (k == "PLANNER_ES_PASSWORD").then(|| "s3cret".to_string());
        let c = es.connection_from(env).unwrap();
        assert_eq!(c.urls, ["http://es.example:9200/"]);
        let EsAuth::Basic { username, password } = &c.auth else {
            panic!("{:?}", c.auth)
        };
        assert_eq!(
            (username.as_str(), password.expose()),
            ("planner", "s3cret")
        );
        let e = es.connection_from(|_| None).unwrap_err().to_string();
        assert!(
            e.contains("PLANNER_ES_PASSWORD") && e.contains("not set"),
            "{e}"
        );
        let mut k = ElasticsearchInput::new("http://a:9200", "x");
        k.api_key_env = Some("MY_KEY".into());
        let c = k
            .connection_from(|n| (n == "MY_KEY").then(|| "aWQ6a2V5".into()))
            .unwrap();
        assert!(matches!(c.auth, EsAuth::ApiKey(_)));
        let q = k.query().unwrap();
        assert_eq!(q.index, "x");
    }

    #[test]
    fn load_resolves_paths_against_the_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("s.toml");
        std::fs::write(&p, MINIMAL).unwrap();
        let s = Scenario::load(&p).unwrap();
        assert_eq!(s.network.sites, d.path().join("sites.csv"));
        assert_eq!(s.demand.logs[0], d.path().join("logs/a.ndjson.gz"));
        let missing = Scenario::load(&d.path().join("nope.toml"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("nope.toml"), "{missing}");
    }
}
