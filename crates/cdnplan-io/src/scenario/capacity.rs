//! The scenario's `[capacity]` section: egress per node and site, monthly costs and a budget,
//! turned into a [`CapacityModel`] for the capacitated relocation.
//!
//! ```toml
//! [capacity]
//! assignment = "split"               # split | single_source
//! default_egress_gbps = 1.0          # nodes and sites that declare none
//! egress_gbps = { "hetzner-hel1" = 2.5, "joystream.koalva.io" = 10 }
//! # peak_to_mean = 2.0               # peak-hour rate over the window's mean rate
//! default_monthly_usd = 100          # places whose cost is otherwise unknown
//! monthly_usd = { "hetzner-nbg1" = 55 }
//! budget_usd = 600                   # the open places may cost this much per month
//! ```
//!
//! Without the section, plans are computed without capacities, exactly as before it existed.

use std::collections::BTreeMap;

use cdnplan_core::capacity::{CapacityModel, DEFAULT_EGRESS_GBPS, DEFAULT_PEAK_TO_MEAN, PeakModel};
use cdnplan_core::solve::capacitated::Assignment;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The `[capacity]` section (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityInput {
    /// `split` (a cell's demand may be shared by several nodes) or `single_source`.
    #[serde(default)]
    pub assignment: Assignment,
    /// Egress in Gbit/s by node or site id, over what a node declares.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub egress_gbps: BTreeMap<String, f64>,
    /// Egress in Gbit/s of candidate sites and of nodes that declare none. Default 1: the
    /// port of the one node whose bandwidth is on record in 2024 (Mumbai, OVH, "1 Gbps") and
    /// the 1 Gbit/s node of the Joystream distribution working group's minimal server specs.
    #[serde(default = "default_egress")]
    pub default_egress_gbps: f64,
    /// Peak-hour rate over the log window's mean rate. Absent: a factor measured from the
    /// logs when there is one, else [`DEFAULT_PEAK_TO_MEAN`] (see
    /// [`CapacityInput::peak_model`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_to_mean: Option<f64>,
    /// Monthly cost in USD by node or site id, over the site table's `monthly_cost_usd`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub monthly_usd: BTreeMap<String, f64>,
    /// Monthly cost in USD of nodes and sites whose cost is otherwise unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_monthly_usd: Option<f64>,
    /// The most the open places may cost per month together, in USD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_usd: Option<f64>,
}

fn default_egress() -> f64 {
    DEFAULT_EGRESS_GBPS
}

impl Default for CapacityInput {
    fn default() -> Self {
        CapacityInput {
            assignment: Assignment::default(),
            egress_gbps: BTreeMap::new(),
            default_egress_gbps: DEFAULT_EGRESS_GBPS,
            peak_to_mean: None,
            monthly_usd: BTreeMap::new(),
            default_monthly_usd: None,
            budget_usd: None,
        }
    }
}

impl CapacityInput {
    /// Checks every number.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key and its value.
    pub fn check(&self) -> Result<()> {
        let bad = |key: String, v: f64, want: &str| {
            Error::Config(format!("[capacity] {key} = {v}: must be {want}"))
        };
        let non_negative = |key: String, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(bad(key, v, "a finite number ≥ 0"))
            }
        };
        non_negative("default_egress_gbps".into(), self.default_egress_gbps)?;
        for (id, &v) in &self.egress_gbps {
            non_negative(format!("egress_gbps.{id:?}"), v)?;
        }
        for (id, &v) in &self.monthly_usd {
            non_negative(format!("monthly_usd.{id:?}"), v)?;
        }
        if let Some(v) = self.default_monthly_usd {
            non_negative("default_monthly_usd".into(), v)?;
        }
        if let Some(v) = self.budget_usd {
            non_negative("budget_usd".into(), v)?;
        }
        if let Some(f) = self.peak_to_mean
            && !(f.is_finite() && f > 0.0)
        {
            return Err(bad("peak_to_mean".into(), f, "a positive factor (e.g. 2)"));
        }
        Ok(())
    }

    /// The peak model for a log window of `window_s` seconds: the section's `peak_to_mean`
    /// when set, else `measured` (a busiest-hour factor measured from the logs) when given,
    /// else [`DEFAULT_PEAK_TO_MEAN`].
    ///
    /// # Errors
    /// [`Error::Config`] when the window is unknown: the bytes per cell cannot become Gbit/s.
    pub fn peak_model(&self, window_s: Option<f64>, measured: Option<f64>) -> Result<PeakModel> {
        let window_s = window_s
            .filter(|w| w.is_finite() && *w > 0.0)
            .ok_or_else(|| {
                Error::Config(
                    "[capacity] needs the length of the log window to turn bytes into Gbit/s, and \
                 it is unknown: set [demand] since and until (or give logs with timestamps)"
                        .into(),
                )
            })?;
        let factor = self
            .peak_to_mean
            .or(measured)
            .unwrap_or(DEFAULT_PEAK_TO_MEAN);
        Ok(PeakModel::new(window_s).peak_to_mean(factor))
    }

    /// The capacity model for a log window of `window_s` seconds (`measured`: as in
    /// [`CapacityInput::peak_model`]).
    ///
    /// # Errors
    /// As [`CapacityInput::check`] and [`CapacityInput::peak_model`].
    pub fn model(&self, window_s: Option<f64>, measured: Option<f64>) -> Result<CapacityModel> {
        self.check()?;
        let mut m = CapacityModel::new(self.peak_model(window_s, measured)?)
            .assignment(self.assignment)
            .default_egress_gbps(self.default_egress_gbps)
            .default_monthly_usd(self.default_monthly_usd)
            .budget_usd(self.budget_usd);
        for (id, &v) in &self.egress_gbps {
            m = m.egress_gbps(id.clone(), v);
        }
        for (id, &v) in &self.monthly_usd {
            m = m.monthly_usd(id.clone(), v);
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_factor_prefers_the_key_then_the_measurement_then_the_default() {
        let mut c = CapacityInput::default();
        assert_eq!(c.peak_model(Some(60.0), None).unwrap().peak_to_mean, 2.0);
        assert_eq!(
            c.peak_model(Some(60.0), Some(1.7)).unwrap().peak_to_mean,
            1.7
        );
        c.peak_to_mean = Some(3.0);
        assert_eq!(
            c.peak_model(Some(60.0), Some(1.7)).unwrap().peak_to_mean,
            3.0
        );
        let e = c.peak_model(None, None).unwrap_err().to_string();
        assert!(e.contains("set [demand] since and until"), "{e}");
    }

    #[test]
    fn bad_numbers_name_their_key() {
        let c = CapacityInput {
            egress_gbps: [("paris".to_string(), -1.0)].into(),
            ..Default::default()
        };
        let e = c.check().unwrap_err().to_string();
        assert!(e.contains("[capacity] egress_gbps.\"paris\" = -1"), "{e}");
        let c = CapacityInput {
            peak_to_mean: Some(0.0),
            ..Default::default()
        };
        assert!(
            c.check()
                .unwrap_err()
                .to_string()
                .contains("peak_to_mean = 0")
        );
    }
}
