//! Capacity in CDN terms: peak egress demand per demand cell, and the load each open site
//! carries against its egress capacity and monthly cost, for the capacitated solver
//! ([`solve::capacity`](crate::solve::capacity)).
//!
//! The demand model keeps bytes per cell over the whole log window, not per hour, so the
//! peak-hour rate is the window's mean rate times a peak-to-mean factor
//! ([`PeakModel::peak_to_mean`], default [`DEFAULT_PEAK_TO_MEAN`]). Measure the busiest hour
//! of the logs and set the factor from it when the planning depends on it.

use serde::{Deserialize, Serialize};

use crate::demand::Demand;
use crate::error::{Error, Result};
use crate::solve::capacity::CapacitatedSolution;

/// Peak-hour rate over mean rate assumed when the logs' busiest hour is not measured: 2, a
/// planning assumption for diurnal video traffic, not a measured value.
pub const DEFAULT_PEAK_TO_MEAN: f64 = 2.0;

/// How the peak-hour egress of each cell follows from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PeakModel {
    /// Length of the log window the bytes were counted over, in seconds.
    pub window_s: f64,
    /// Peak-hour rate over the window's mean rate (≥ 1 for a real peak).
    pub peak_to_mean: f64,
}

impl PeakModel {
    /// A window of `window_s` seconds with [`DEFAULT_PEAK_TO_MEAN`].
    pub fn new(window_s: f64) -> Self {
        PeakModel {
            window_s,
            peak_to_mean: DEFAULT_PEAK_TO_MEAN,
        }
    }

    /// Sets the peak-to-mean factor.
    pub fn peak_to_mean(mut self, factor: f64) -> Self {
        self.peak_to_mean = factor;
        self
    }

    /// Peak egress per cell in Gbit/s: `bytes · 8 / window_s / 10⁹ · peak_to_mean`, in the
    /// order of `demand.cells`.
    ///
    /// # Errors
    /// [`Error::InvalidWeight`] for a window or factor that is not finite and positive.
    ///
    /// ```
    /// use cdnplan_core::capacity::PeakModel;
    /// use cdnplan_core::demand::{CellKind, Demand, DemandCell};
    /// use cdnplan_core::GeoPoint;
    /// let cell = DemandCell {
    ///     id: "DE".into(), location: GeoPoint { lat: 50.0, lon: 10.0 }, country: None,
    ///     continent: None, requests: 1, bytes: 10_800_000_000_000, unique_clients: 1,
    /// };
    /// let demand = Demand::new(CellKind::Country, vec![cell])?;
    /// // 10.8 TB over a day is 1 Gbit/s on average; twice that at the peak hour.
    /// let peak = PeakModel::new(86_400.0).cell_gbps(&demand)?;
    /// assert_eq!(peak, vec![2.0]);
    /// # Ok::<(), cdnplan_core::Error>(())
    /// ```
    pub fn cell_gbps(&self, demand: &Demand) -> Result<Vec<f64>> {
        for (what, v) in [
            ("log window (s)", self.window_s),
            ("peak-to-mean factor", self.peak_to_mean),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::InvalidWeight {
                    what: "peak model",
                    id: what.into(),
                    value: v,
                });
            }
        }
        Ok(demand
            .cells
            .iter()
            .map(|c| c.bytes as f64 * 8.0 / self.window_s / 1e9 * self.peak_to_mean)
            .collect())
    }
}

/// The load one open site carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteLoad {
    /// Site id.
    pub site: String,
    /// Peak egress it serves, Gbit/s.
    pub load_gbps: f64,
    /// Its egress capacity, Gbit/s.
    pub capacity_gbps: f64,
    /// Its cost per month in USD, when known.
    pub monthly_usd: Option<f64>,
}

impl SiteLoad {
    /// Load over capacity (`+∞` for a loaded site of capacity 0).
    pub fn utilisation(&self) -> f64 {
        if self.capacity_gbps > 0.0 {
            self.load_gbps / self.capacity_gbps
        } else if self.load_gbps > 0.0 {
            f64::INFINITY
        } else {
            0.0
        }
    }

    /// `paris: 0.82 of 1 Gbit/s (82 %), $55/month` — one line of the "load versus capacity
    /// per node" report.
    pub fn line(&self) -> String {
        let cost = self
            .monthly_usd
            .map(|c| format!(", ${c:.0}/month"))
            .unwrap_or_default();
        format!(
            "{}: {:.2} of {} Gbit/s ({:.0} %){cost}",
            self.site,
            self.load_gbps,
            self.capacity_gbps,
            100.0 * self.utilisation()
        )
    }
}

/// The load of every open site of `solution`, with `site_ids`, `capacity_gbps` and
/// `monthly_usd` indexed by site.
pub fn site_loads(
    solution: &CapacitatedSolution,
    site_ids: &[String],
    capacity_gbps: &[f64],
    monthly_usd: Option<&[f64]>,
) -> Vec<SiteLoad> {
    solution
        .load
        .iter()
        .map(|&(j, load)| SiteLoad {
            site: site_ids.get(j).cloned().unwrap_or_else(|| j.to_string()),
            load_gbps: load,
            capacity_gbps: capacity_gbps.get(j).copied().unwrap_or(0.0),
            monthly_usd: monthly_usd.and_then(|m| m.get(j).copied()),
        })
        .collect()
}

/// Checks the monthly cost of the open sites against a budget.
///
/// # Errors
/// [`Error::Infeasible`] naming both amounts, e.g. "the 3 open sites cost $466 per month, above
/// the budget of $400".
pub fn check_monthly_budget(loads: &[SiteLoad], budget_usd: f64) -> Result<()> {
    let total: f64 = loads.iter().filter_map(|l| l.monthly_usd).sum();
    if total > budget_usd {
        return Err(Error::Infeasible(format!(
            "the {} open sites cost ${total:.0} per month, above the budget of ${budget_usd:.0}",
            loads.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::{Solution, Status};

    fn solution() -> CapacitatedSolution {
        CapacitatedSolution {
            solution: Solution {
                open: vec![0, 2],
                objective: 1.0,
                lower_bound: 1.0,
                status: Status::Optimal,
                method: "test".into(),
            },
            shares: vec![],
            load: vec![(0, 0.82), (2, 1.5)],
        }
    }

    #[test]
    fn load_lines_name_site_load_capacity_and_cost() {
        let ids: Vec<String> = ["paris", "tokyo", "helsinki"].map(String::from).to_vec();
        let loads = site_loads(
            &solution(),
            &ids,
            &[1.0, 1.0, 2.0],
            Some(&[55.0, 185.0, 50.0]),
        );
        assert_eq!(loads[0].line(), "paris: 0.82 of 1 Gbit/s (82 %), $55/month");
        assert_eq!(
            loads[1].line(),
            "helsinki: 1.50 of 2 Gbit/s (75 %), $50/month"
        );
        assert!(check_monthly_budget(&loads, 105.0).is_ok());
        let e = check_monthly_budget(&loads, 100.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "infeasible: the 2 open sites cost $105 per month, above the budget of $100"
        );
    }

    #[test]
    fn a_zero_window_or_factor_is_refused() {
        let cell = crate::demand::DemandCell {
            id: "DE".into(),
            location: crate::GeoPoint {
                lat: 50.0,
                lon: 10.0,
            },
            country: None,
            continent: None,
            requests: 1,
            bytes: 1_000,
            unique_clients: 1,
        };
        let d = Demand::new(crate::demand::CellKind::Country, vec![cell]).unwrap();
        assert!(PeakModel::new(0.0).cell_gbps(&d).is_err());
        assert!(
            PeakModel::new(60.0)
                .peak_to_mean(f64::NAN)
                .cell_gbps(&d)
                .is_err()
        );
        assert_eq!(
            PeakModel::new(8.0).peak_to_mean(1.0).cell_gbps(&d).unwrap(),
            vec![1e-6]
        );
    }
}
