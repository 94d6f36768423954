//! The `[network]` section: current nodes, candidate sites, country table.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

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
