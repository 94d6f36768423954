//! The `[demand]` section: request logs to ingest, or a demand CSV.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

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
    /// What-if growth per country, applied to the demand however it was read: ISO alpha-2
    /// code → factor on its cells' requests, bytes and clients (`{ RU = 0.5, BR = 2.0 }`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub growth: BTreeMap<String, f64>,
}

fn default_preset() -> String {
    "argus".into()
}

fn default_cells() -> String {
    "country".into()
}
