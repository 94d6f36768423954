//! The `[objective]` section: what the relocation minimises.

use cdnplan_core::Weighting;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

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
        let name = self.kind.name();
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

impl ObjectiveKind {
    /// Every kind's name, as written in `[objective] kind`.
    pub const NAMES: &'static [&'static str] = &[
        "mean_rtt",
        "coverage",
        "worst_case",
        "redundancy",
        "blended",
    ];

    /// This kind's name (the one serde writes).
    pub fn name(self) -> &'static str {
        match self {
            ObjectiveKind::MeanRtt => "mean_rtt",
            ObjectiveKind::Coverage => "coverage",
            ObjectiveKind::WorstCase => "worst_case",
            ObjectiveKind::Redundancy => "redundancy",
            ObjectiveKind::Blended => "blended",
        }
    }
}

impl std::fmt::Display for ObjectiveKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ObjectiveKind {
    type Err = Error;

    /// Any case, `-` for `_`.
    fn from_str(s: &str) -> Result<Self> {
        let key = s.trim().to_ascii_lowercase().replace('-', "_");
        [
            ObjectiveKind::MeanRtt,
            ObjectiveKind::Coverage,
            ObjectiveKind::WorstCase,
            ObjectiveKind::Redundancy,
            ObjectiveKind::Blended,
        ]
        .into_iter()
        .find(|k| k.name() == key)
        .ok_or_else(|| {
            Error::Config(format!(
                "objective {s:?}: expected mean_rtt, coverage, worst_case, redundancy or blended"
            ))
        })
    }
}
