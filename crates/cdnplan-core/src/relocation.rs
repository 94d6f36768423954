//! The relocation optimiser: which current nodes should stay, which should move to which
//! candidate site, within a budget of moves (p-median with a relocation budget).
//!
//! CONTRACT (skeleton): owned by the engine's author; the types below are what the plan and
//! the CLI use.

use serde::{Deserialize, Serialize};

use crate::geo::CountryCode;

/// Constraints of a relocation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RelocationConstraints {
    /// At most this many nodes move (K ≥ 0).
    pub max_moves: usize,
    /// This many new nodes are added at candidate sites.
    pub add: usize,
    /// This many current nodes are removed (the plan picks which).
    pub remove: usize,
    /// Node ids that must stay where they are.
    pub pinned: Vec<String>,
    /// Site ids that may not be used.
    pub forbidden_sites: Vec<String>,
    /// Countries where no node may stand.
    pub forbidden_countries: Vec<CountryCode>,
    /// Providers that may not be used.
    pub forbidden_providers: Vec<String>,
}
