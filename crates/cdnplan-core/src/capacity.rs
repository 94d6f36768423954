//! Capacity in CDN terms: peak egress demand per demand cell, and the load each open site
//! carries against its egress capacity and monthly cost, for the capacitated solver
//! ([`solve::capacitated`](crate::solve::capacitated)).
//!
//! The demand keeps bytes per cell over the whole log window, and bytes of all cells per UTC
//! clock hour ([`Demand::hourly`]). A cell's peak-hour rate is its mean rate over the window
//! times a peak-to-mean factor ([`PeakModel::peak_to_mean`]): [`PeakModel::measured`] takes
//! the factor from the logs' busiest hour and says so ([`PeakSource::Measured`]); a demand
//! without hourly counts (a demand CSV) gets [`DEFAULT_PEAK_TO_MEAN`]
//! ([`PeakSource::Assumed`]), as does [`PeakModel::new`].
//!
//! [`CapacityModel`] gathers what a capacitated relocation needs: the peak model, split or
//! single-source assignment, the egress of every node and site and their monthly costs, and
//! an optional budget (see [capacities in the relocation](crate::relocation#capacities)).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::demand::{Demand, Weighting};
use crate::error::{Error, Result};
use crate::hourly::{HOUR_S, PeakHour, format_rate};
use crate::latency::Latency;
use crate::node::Node;
use crate::site::Site;
use crate::solve::capacitated::{Assignment, CapacitatedSolution};

/// Egress assumed for a node or site that declares none, in Gbit/s: 1, the port of the one
/// 2024 Joystream distributor whose bandwidth is on record (Mumbai, OVH, "1 Gbps") and the
/// "1 Gbit/s node" of the working group's minimal server specs.
pub const DEFAULT_EGRESS_GBPS: f64 = 1.0;

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

/// The capacity side of a relocation: peak demand, capacities and costs of every place.
///
/// A place's egress is, in order: its entry in [`CapacityModel::egress_gbps`] (by node or
/// site id), a node's own [`NodeCapacity::egress_gbps`](crate::node::NodeCapacity), else
/// [`CapacityModel::default_egress_gbps`]. A node that moves to a candidate site takes the
/// site's egress (the machine is rented there). A place's monthly cost is its entry in
/// [`CapacityModel::monthly_usd`], a site's [`Site::monthly_cost_usd`], else
/// [`CapacityModel::default_monthly_usd`] (unknown when that is unset too).
///
/// ```
/// use cdnplan_core::capacity::{CapacityModel, PeakModel};
/// use cdnplan_core::solve::capacitated::Assignment;
/// let model = CapacityModel::new(PeakModel::new(86_400.0))
///     .assignment(Assignment::SingleSource)
///     .default_egress_gbps(2.5)
///     .egress_gbps("hetzner-hel1", 10.0)
///     .budget_usd(Some(400.0));
/// assert_eq!(model.egress_of("hetzner-hel1", None), 10.0);
/// assert_eq!(model.egress_of("elsewhere", None), 2.5);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CapacityModel {
    /// How bytes per cell become peak Gbit/s.
    pub peak: PeakModel,
    /// Split or single-source assignment of cells to nodes.
    pub assignment: Assignment,
    /// Egress of a place that declares none, Gbit/s.
    pub default_egress_gbps: f64,
    /// Egress by node or site id, Gbit/s (overrides what the node declares).
    pub egress_gbps: BTreeMap<String, f64>,
    /// Monthly cost of a place whose cost is otherwise unknown, USD.
    pub default_monthly_usd: Option<f64>,
    /// Monthly cost by node or site id, USD (overrides the site table).
    pub monthly_usd: BTreeMap<String, f64>,
    /// The most the open places may cost per month together, USD (none: no budget).
    pub budget_usd: Option<f64>,
    /// Where the peak factor of `peak` comes from, for reports (none: given by the caller).
    pub peak_source: Option<PeakSource>,
}

impl CapacityModel {
    /// Split assignment, [`DEFAULT_EGRESS_GBPS`] everywhere, no costs and no budget.
    pub fn new(peak: PeakModel) -> Self {
        CapacityModel {
            peak,
            assignment: Assignment::Split,
            default_egress_gbps: DEFAULT_EGRESS_GBPS,
            egress_gbps: BTreeMap::new(),
            default_monthly_usd: None,
            monthly_usd: BTreeMap::new(),
            budget_usd: None,
            peak_source: None,
        }
    }

    /// Records where the peak factor comes from (see [`PeakModel::measured`]), for reports.
    pub fn peak_source(mut self, source: Option<PeakSource>) -> Self {
        self.peak_source = source;
        self
    }

    /// Sets split or single-source assignment.
    pub fn assignment(mut self, assignment: Assignment) -> Self {
        self.assignment = assignment;
        self
    }

    /// Sets the egress of places that declare none (Gbit/s).
    pub fn default_egress_gbps(mut self, gbps: f64) -> Self {
        self.default_egress_gbps = gbps;
        self
    }

    /// Sets the egress of the node or site `id` (Gbit/s).
    pub fn egress_gbps(mut self, id: impl Into<String>, gbps: f64) -> Self {
        self.egress_gbps.insert(id.into(), gbps);
        self
    }

    /// Sets the monthly cost of places whose cost is otherwise unknown (USD).
    pub fn default_monthly_usd(mut self, usd: Option<f64>) -> Self {
        self.default_monthly_usd = usd;
        self
    }

    /// Sets the monthly cost of the node or site `id` (USD).
    pub fn monthly_usd(mut self, id: impl Into<String>, usd: f64) -> Self {
        self.monthly_usd.insert(id.into(), usd);
        self
    }

    /// Sets the monthly budget (USD) of the open places.
    pub fn budget_usd(mut self, usd: Option<f64>) -> Self {
        self.budget_usd = usd;
        self
    }

    /// Egress (Gbit/s) of place `id`, given what it declares itself.
    pub fn egress_of(&self, id: &str, declared: Option<f64>) -> f64 {
        self.egress_gbps
            .get(id)
            .copied()
            .or(declared)
            .unwrap_or(self.default_egress_gbps)
    }

    /// Egress (Gbit/s) of a current node.
    pub fn node_egress_gbps(&self, node: &Node) -> f64 {
        self.egress_of(&node.id, node.capacity.and_then(|c| c.egress_gbps))
    }

    /// Egress (Gbit/s) of a candidate site.
    pub fn site_egress_gbps(&self, site: &Site) -> f64 {
        self.egress_of(&site.id, None)
    }

    /// Monthly cost (USD) of place `id`, given what the site table says.
    pub fn monthly_of(&self, id: &str, listed: Option<f64>) -> Option<f64> {
        self.monthly_usd
            .get(id)
            .copied()
            .or(listed)
            .or(self.default_monthly_usd)
    }

    /// Monthly cost (USD) of a current node, when known.
    pub fn node_monthly_usd(&self, node: &Node) -> Option<f64> {
        self.monthly_of(&node.id, None)
    }

    /// Monthly cost (USD) of a candidate site, when known.
    pub fn site_monthly_usd(&self, site: &Site) -> Option<f64> {
        self.monthly_of(&site.id, site.monthly_cost_usd)
    }

    /// Checks the numbers: egress finite and ≥ 0, costs and budget finite and ≥ 0.
    ///
    /// # Errors
    /// [`Error::InvalidWeight`] naming the value.
    pub fn validate(&self) -> Result<()> {
        let mut checks: Vec<(&'static str, String, f64)> = vec![
            (
                "egress (Gbit/s)",
                "default".into(),
                self.default_egress_gbps,
            ),
            ("peak model", "log window (s)".into(), self.peak.window_s),
            (
                "peak model",
                "peak-to-mean factor".into(),
                self.peak.peak_to_mean,
            ),
        ];
        checks.extend(
            self.egress_gbps
                .iter()
                .map(|(k, &v)| ("egress (Gbit/s)", k.clone(), v)),
        );
        checks.extend(
            self.monthly_usd
                .iter()
                .map(|(k, &v)| ("monthly cost (USD)", k.clone(), v)),
        );
        if let Some(v) = self.default_monthly_usd {
            checks.push(("monthly cost (USD)", "default".into(), v));
        }
        if let Some(v) = self.budget_usd {
            checks.push(("monthly budget (USD)", "budget".into(), v));
        }
        for (what, id, value) in checks {
            let positive = what == "peak model";
            if !value.is_finite() || value < 0.0 || (positive && value == 0.0) {
                return Err(Error::InvalidWeight { what, id, value });
            }
        }
        Ok(())
    }

    /// The load on each active node today when every cell goes to its nearest active node,
    /// capacities ignored (so overloads show), sorted by node id.
    ///
    /// # Errors
    /// As [`serving::assign`](crate::serving::assign) and [`PeakModel::cell_gbps`].
    pub fn nearest_loads(
        &self,
        demand: &Demand,
        nodes: &[Node],
        latency: &Latency,
        weighting: Weighting,
    ) -> Result<Vec<SiteLoad>> {
        let gbps = self.peak.cell_gbps(demand)?;
        let served = crate::serving::assign(demand, nodes, latency, weighting)?;
        let mut load: BTreeMap<&str, f64> = nodes
            .iter()
            .filter(|n| n.active)
            .map(|n| (n.id.as_str(), 0.0))
            .collect();
        for (s, g) in served.iter().zip(&gbps) {
            *load.entry(s.node.as_str()).or_default() += g;
        }
        Ok(load
            .into_iter()
            .filter_map(|(id, l)| {
                let node = nodes.iter().find(|n| n.id == id)?;
                Some(SiteLoad {
                    site: id.to_string(),
                    load_gbps: l,
                    capacity_gbps: self.node_egress_gbps(node),
                    monthly_usd: self.node_monthly_usd(node),
                })
            })
            .collect())
    }
}

/// Total monthly cost of `loads` (USD), when every one of them has a known cost.
pub fn total_monthly_usd(loads: &[SiteLoad]) -> Option<f64> {
    loads.iter().map(|l| l.monthly_usd).sum()
}

/// Where the peak-to-mean factor of a [`PeakModel`] came from, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum PeakSource {
    /// Measured: the busiest hour of the demand's [`HourlyProfile`](crate::hourly::HourlyProfile).
    Measured {
        /// The busiest hour.
        hour: PeakHour,
        /// The factor set: the hour's rate over the window's mean rate.
        peak_to_mean: f64,
    },
    /// Assumed: the demand has no usable hourly profile (a demand CSV, less than two hours
    /// of logs, no bytes), so the factor is [`DEFAULT_PEAK_TO_MEAN`].
    Assumed {
        /// The factor set.
        peak_to_mean: f64,
        /// Hours in the covered span of the demand's hourly profile (0 without one).
        span_hours: u64,
    },
}

impl PeakSource {
    /// Where the peak-hour factor of `demand` comes from, over a window of `window_s`
    /// seconds (by default the hourly profile's covered span): its busiest hour, or the
    /// assumed default ([`PeakModel::measured`]).
    pub fn of(demand: &Demand, window_s: Option<f64>) -> PeakSource {
        let span_s = || {
            demand
                .hourly
                .as_ref()
                .map(|h| h.span_hours() as f64 * HOUR_S as f64)
        };
        PeakModel::measured(window_s.or_else(span_s).unwrap_or(0.0), demand).1
    }

    /// The factor when it was measured from the logs' busiest hour, `None` when assumed.
    pub fn measured_peak_to_mean(&self) -> Option<f64> {
        match self {
            PeakSource::Measured { peak_to_mean, .. } => Some(*peak_to_mean),
            PeakSource::Assumed { .. } => None,
        }
    }

    /// The factor set.
    pub fn peak_to_mean(&self) -> f64 {
        match *self {
            PeakSource::Measured { peak_to_mean, .. }
            | PeakSource::Assumed { peak_to_mean, .. } => peak_to_mean,
        }
    }

    /// True when the factor was measured from the logs.
    pub fn is_measured(&self) -> bool {
        matches!(self, PeakSource::Measured { .. })
    }
}

impl fmt::Display for PeakSource {
    /// `peak hour 2023-06-14 20:00 UTC (2.73 Gbit/s), 2.31× the mean`,
    /// `no hourly data: assumed 2× the mean` or
    /// `no peak measured in 1 hour of data: assumed 2× the mean`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeakSource::Measured { hour, peak_to_mean } => write!(
                f,
                "peak hour {} ({}), {peak_to_mean:.2}× the mean",
                hour.start_utc(),
                format_rate(hour.gbps())
            ),
            PeakSource::Assumed {
                peak_to_mean,
                span_hours: 0,
            } => write!(f, "no hourly data: assumed {peak_to_mean}× the mean"),
            PeakSource::Assumed {
                peak_to_mean,
                span_hours,
            } => write!(
                f,
                "no peak measured in {span_hours} hour{} of data: assumed {peak_to_mean}× the mean",
                if *span_hours == 1 { "" } else { "s" }
            ),
        }
    }
}

impl PeakModel {
    /// A window of `window_s` seconds whose factor is measured from the busiest hour of
    /// `demand` ([`Demand::hourly`]), else [`DEFAULT_PEAK_TO_MEAN`]; the [`PeakSource`] says
    /// which.
    ///
    /// The factor is the busiest hour's rate over the window's mean rate,
    /// `peak bytes / 3600 s ÷ (cell bytes / window_s)`, so the cells' peak egress
    /// ([`PeakModel::cell_gbps`]) sums to exactly the busiest hour's measured rate. When
    /// `window_s` is the profile's covered span in whole hours this equals
    /// [`Demand::peak_to_mean`]; over the span of the counted requests or the `since`..`until`
    /// window it differs only by the partial first and last hours (see
    /// [`hourly`](crate::hourly)). Every cell is assumed to peak in the same hour as the
    /// whole demand, which overstates no site's peak by more than the whole's.
    ///
    /// The factor is assumed when the demand has no hourly profile, its span is under two
    /// hours, it has no bytes, or `window_s` is not finite and positive.
    ///
    /// ```
    /// use cdnplan_core::capacity::{PeakModel, PeakSource};
    /// use cdnplan_core::demand::{CellKind, Demand, DemandCell};
    /// use cdnplan_core::hourly::HourlyProfile;
    /// use cdnplan_core::GeoPoint;
    /// let cell = DemandCell {
    ///     id: "DE".into(), location: GeoPoint { lat: 50.0, lon: 10.0 }, country: None,
    ///     continent: None, requests: 4, bytes: 4_500_000_000_000, unique_clients: 1,
    /// };
    /// let mut hourly = HourlyProfile::default();
    /// let h0 = 1_686_700_800; // 2023-06-14 00:00 UTC
    /// hourly.add(h0, 1, 900_000_000_000);
    /// hourly.add(h0 + 3600, 3, 3_600_000_000_000); // 8 Gbit/s from 01:00 to 02:00
    /// let demand = Demand::new(CellKind::Country, vec![cell])?.with_hourly(hourly);
    /// let (model, source) = PeakModel::measured(7200.0, &demand);
    /// assert_eq!(model.peak_to_mean, 1.6);
    /// assert_eq!(model.cell_gbps(&demand)?, vec![8.0]);
    /// assert_eq!(source.to_string(), "peak hour 2023-06-14 01:00 UTC (8.00 Gbit/s), 1.60× the mean");
    ///
    /// let (model, source) = PeakModel::measured(7200.0, &Demand::default());
    /// assert_eq!(model.peak_to_mean, 2.0);
    /// assert_eq!(source.to_string(), "no hourly data: assumed 2× the mean");
    /// # Ok::<(), cdnplan_core::Error>(())
    /// ```
    pub fn measured(window_s: f64, demand: &Demand) -> (PeakModel, PeakSource) {
        let base = PeakModel::new(window_s);
        let assumed = (
            base,
            PeakSource::Assumed {
                peak_to_mean: base.peak_to_mean,
                span_hours: demand.hourly.as_ref().map_or(0, |h| h.span_hours()),
            },
        );
        let Some(hour) = demand.busiest_hour() else {
            return assumed;
        };
        let cell_bytes: u64 = demand.cells.iter().map(|c| c.bytes).sum();
        let factor = hour.bytes as f64 / HOUR_S as f64 * window_s / cell_bytes as f64;
        if hour.peak_to_mean().is_none()
            || !(window_s.is_finite() && window_s > 0.0 && factor.is_finite() && factor > 0.0)
        {
            return assumed;
        }
        (
            base.peak_to_mean(factor),
            PeakSource::Measured {
                hour,
                peak_to_mean: factor,
            },
        )
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
            "{}: {} of {} Gbit/s ({:.0} %){cost}",
            self.site,
            gbps(self.load_gbps),
            self.capacity_gbps,
            100.0 * self.utilisation()
        )
    }
}

/// A rate in Gbit/s for reports: 2 decimals from 0.1 up (`0.82`, `12.50`), 3 significant
/// digits below (`0.00523`), `0` for nothing.
pub fn gbps(x: f64) -> String {
    if x == 0.0 || !x.is_finite() || x.abs() >= 0.1 {
        return format!("{x:.2}");
    }
    let digits = (2 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}")
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
        assert_eq!(gbps(0.005_234), "0.00523");
        assert_eq!(gbps(0.05), "0.0500");
        assert_eq!(gbps(12.5), "12.50");
        let e = check_monthly_budget(&loads, 100.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "infeasible: the 2 open sites cost $105 per month, above the budget of $100"
        );
    }

    mod measured {
        use super::*;
        use crate::hourly::HourlyProfile;

        const H0: i64 = 1_686_700_800; // 2023-06-14 00:00 UTC

        fn demand(hours: &[(i64, u64)]) -> Demand {
            let total: u64 = hours.iter().map(|h| h.1).sum();
            let cell = |id: &str, bytes| crate::demand::DemandCell {
                id: id.into(),
                location: crate::GeoPoint { lat: 0.0, lon: 0.0 },
                country: None,
                continent: None,
                requests: 1,
                bytes,
                unique_clients: 1,
            };
            let mut p = HourlyProfile::default();
            for &(h, b) in hours {
                p.add(H0 + h * HOUR_S, 1, b);
            }
            Demand::new(
                crate::demand::CellKind::Country,
                vec![cell("A", total / 4), cell("B", total - total / 4)],
            )
            .unwrap()
            .with_hourly(p)
        }

        #[test]
        fn over_the_profiles_span_the_factor_is_the_profiles() {
            // 4 hours, 6 of 12 GB in the busiest: 2× the mean.
            let d = demand(&[(0, 2_000_000_000), (1, 6_000_000_000), (3, 4_000_000_000)]);
            let (m, src) = PeakModel::measured(4.0 * 3600.0, &d);
            approx::assert_relative_eq!(m.peak_to_mean, 2.0, epsilon = 1e-12);
            approx::assert_relative_eq!(m.peak_to_mean, d.peak_to_mean().unwrap());
            assert!(src.is_measured());
            assert_eq!(src.peak_to_mean(), m.peak_to_mean);
            assert_eq!(
                src.to_string(),
                "peak hour 2023-06-14 01:00 UTC (13.33 Mbit/s), 2.00× the mean"
            );
        }

        #[test]
        fn cells_sum_to_the_busiest_hours_rate_whatever_the_window() {
            let d = demand(&[(0, 2_000_000_000), (1, 6_000_000_000), (3, 4_000_000_000)]);
            let peak_gbps = 6e9 * 8.0 / 3600.0 / 1e9;
            for window_s in [3.5 * 3600.0, 4.0 * 3600.0, 86_400.0] {
                let (m, _) = PeakModel::measured(window_s, &d);
                let sum: f64 = m.cell_gbps(&d).unwrap().iter().sum();
                approx::assert_relative_eq!(sum, peak_gbps, epsilon = 1e-12);
            }
        }

        #[test]
        fn without_a_usable_profile_the_default_is_assumed() {
            let assumed = |span_hours| PeakSource::Assumed {
                peak_to_mean: DEFAULT_PEAK_TO_MEAN,
                span_hours,
            };
            let no_profile = Demand {
                hourly: None,
                ..demand(&[(0, 1), (1, 2)])
            };
            let one_hour = demand(&[(5, 1_000)]);
            let no_bytes = demand(&[(0, 0), (2, 0)]);
            for (d, span) in [(no_profile, 0), (one_hour, 1), (no_bytes, 3)] {
                let (m, src) = PeakModel::measured(7200.0, &d);
                assert_eq!(m, PeakModel::new(7200.0), "{d:?}");
                assert_eq!(src, assumed(span));
                assert!(!src.is_measured());
            }
            let (m, src) = PeakModel::measured(0.0, &demand(&[(0, 1), (1, 2)]));
            assert_eq!((m.peak_to_mean, src), (DEFAULT_PEAK_TO_MEAN, assumed(2)));
            assert_eq!(
                assumed(0).to_string(),
                "no hourly data: assumed 2× the mean"
            );
            assert_eq!(
                assumed(1).to_string(),
                "no peak measured in 1 hour of data: assumed 2× the mean"
            );
        }
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
