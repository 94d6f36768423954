//! The `[latency]` section: the linear RTT model and measured overrides.

use std::path::PathBuf;

use cdnplan_core::LinearRtt;
use serde::{Deserialize, Serialize};

use crate::error::Result;

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
    /// [`Error::Model`](crate::Error::Model) when a constant is negative or not finite.
    pub fn model(&self) -> Result<LinearRtt> {
        Ok(LinearRtt::new(self.a_ms, self.b_ms_per_km)?)
    }
}
