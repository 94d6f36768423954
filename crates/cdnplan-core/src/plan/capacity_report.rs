//! Load versus capacity per node, before and after a capacitated plan, with the monthly cost
//! against the budget.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::Plan;
use crate::capacity::{CapacityModel, PeakSource, SiteLoad, gbps, total_monthly_usd};
use crate::round::{ms, round_to};
use crate::solve::capacitated::Assignment;

/// Load versus capacity per node: today (every cell at its nearest node, capacities ignored,
/// so overloads show) and after the plan (the capacitated assignment), at the peak hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityReport {
    /// Split or single-source assignment.
    pub assignment: Assignment,
    /// Length of the log window the bytes were counted over, in seconds.
    pub window_s: f64,
    /// Peak-hour rate over the window's mean rate.
    pub peak_to_mean: f64,
    /// Total peak egress of the demand, Gbit/s.
    pub peak_gbps: f64,
    /// Load on each active node today (nearest node), sorted by node id.
    pub before: Vec<SiteLoad>,
    /// Load on each open place after the plan (capacitated assignment), sorted by place id:
    /// node ids for nodes that stay, site ids for places a node moves to or is added at.
    pub after: Vec<SiteLoad>,
    /// Demand-weighted mean RTT (ms) after the plan under the capacitated assignment (the
    /// plan's `after` evaluation sends every cell to its nearest node instead).
    pub mean_rtt_after_ms: f64,
    /// Monthly cost of today's nodes (USD), when every one is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_usd_before: Option<f64>,
    /// Monthly cost of the places after the plan (USD), when every one is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_usd_after: Option<f64>,
    /// The monthly budget (USD), when one was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_usd: Option<f64>,
    /// Where the peak factor comes from (the logs' busiest hour, or an assumption), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_source: Option<PeakSource>,
}

impl CapacityReport {
    /// The report of `model` with today's loads `before` and the plan's `after`; floats are
    /// rounded for output (Gbit/s and USD to 6 decimals, ms to 3).
    pub fn new(
        model: &CapacityModel,
        before: Vec<SiteLoad>,
        after: Vec<SiteLoad>,
        mean_rtt_after_ms: f64,
    ) -> Self {
        let peak_gbps: f64 = before.iter().map(|l| l.load_gbps).sum();
        let monthly_usd_before = total_monthly_usd(&before);
        let monthly_usd_after = total_monthly_usd(&after);
        let round = |v: Vec<SiteLoad>| -> Vec<SiteLoad> {
            v.into_iter()
                .map(|mut l| {
                    l.load_gbps = round_to(l.load_gbps, 6);
                    l.capacity_gbps = round_to(l.capacity_gbps, 6);
                    l.monthly_usd = l.monthly_usd.map(|c| round_to(c, 6));
                    l
                })
                .collect()
        };
        CapacityReport {
            assignment: model.assignment,
            window_s: ms(model.peak.window_s),
            peak_to_mean: round_to(model.peak.peak_to_mean, 6),
            peak_gbps: round_to(peak_gbps, 6),
            before: round(before),
            after: round(after),
            mean_rtt_after_ms: ms(mean_rtt_after_ms),
            monthly_usd_before: monthly_usd_before.map(|c| round_to(c, 6)),
            monthly_usd_after: monthly_usd_after.map(|c| round_to(c, 6)),
            budget_usd: model.budget_usd,
            peak_source: model.peak_source,
        }
    }

    /// The plain-text lines: a heading, one [`SiteLoad::line`] per node before and after,
    /// and the monthly cost against the budget when known.
    pub fn lines(&self) -> Vec<String> {
        let assignment = match self.assignment {
            Assignment::SingleSource => "single-source",
            _ => "split",
        };
        let mut out = vec![format!(
            "Load versus capacity at the peak hour ({} Gbit/s in all: the log window's mean \
             rate × {}; {assignment} assignment):",
            gbps(self.peak_gbps),
            round_to(self.peak_to_mean, 2)
        )];
        if let Some(source) = &self.peak_source {
            out.push(format!("  {source}"));
        }
        out.push("  today, each cell at its nearest node:".into());
        out.extend(self.before.iter().map(|l| format!("    {}", mark(l))));
        out.push(format!(
            "  after the plan, within the capacities (mean RTT {:.1} ms):",
            self.mean_rtt_after_ms
        ));
        out.extend(self.after.iter().map(|l| format!("    {}", mark(l))));
        if let Some(cost) = self.cost_sentence() {
            out.push(format!("  {cost}"));
        }
        out
    }

    /// "Monthly cost: $300 today, $316 after the plan (budget $400)." when a cost is known.
    fn cost_sentence(&self) -> Option<String> {
        let usd = |x: f64| format!("${x:.0}");
        let mut parts = Vec::new();
        if let Some(b) = self.monthly_usd_before {
            parts.push(format!("{} today", usd(b)));
        }
        if let Some(a) = self.monthly_usd_after {
            parts.push(format!("{} after the plan", usd(a)));
        }
        let budget = self
            .budget_usd
            .map(|b| format!(" (budget {})", usd(b)))
            .unwrap_or_default();
        if parts.is_empty() {
            return self
                .budget_usd
                .map(|b| format!("Monthly budget: {}.", usd(b)));
        }
        Some(format!("Monthly cost: {}{budget}.", parts.join(", ")))
    }
}

/// A load line, flagged when over capacity.
fn mark(l: &SiteLoad) -> String {
    if l.load_gbps > l.capacity_gbps * (1.0 + 1e-9) {
        format!("{}  OVERLOADED", l.line())
    } else {
        l.line()
    }
}

/// The report section, when the plan has capacities.
pub(crate) fn write_capacity(out: &mut String, plan: &Plan) -> std::fmt::Result {
    let Some(c) = &plan.capacity else {
        return Ok(());
    };
    let lines = c.lines();
    writeln!(out, "## Load versus capacity per node\n")?;
    writeln!(out, "{}\n", lines[0])?;
    for line in &lines[1..] {
        let t = line.trim_start();
        if line.starts_with("    ") {
            writeln!(out, "  - {t}")?;
        } else {
            writeln!(out, "- {t}")?;
        }
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::PeakModel;

    fn load(site: &str, load: f64, cap: f64, usd: Option<f64>) -> SiteLoad {
        SiteLoad {
            site: site.into(),
            load_gbps: load,
            capacity_gbps: cap,
            monthly_usd: usd,
        }
    }

    #[test]
    fn lines_flag_overloads_and_state_the_cost_against_the_budget() {
        let model = CapacityModel::new(PeakModel::new(86_400.0)).budget_usd(Some(400.0));
        let r = CapacityReport::new(
            &model,
            vec![
                load("kyiv", 1.5, 1.0, Some(98.0)),
                load("paris", 0.5, 1.0, Some(55.0)),
            ],
            vec![
                load("hetzner-hel1", 1.0, 1.0, Some(50.0)),
                load("kyiv", 0.5, 1.0, Some(98.0)),
                load("paris", 0.5, 1.0, Some(55.0)),
            ],
            42.04,
        );
        let text = r.lines().join("\n");
        assert!(text.starts_with("Load versus capacity at the peak hour (2.00 Gbit/s"));
        assert!(text.contains("kyiv: 1.50 of 1 Gbit/s (150 %), $98/month  OVERLOADED"));
        assert!(text.contains("hetzner-hel1: 1.00 of 1 Gbit/s (100 %), $50/month\n"));
        assert!(text.contains("(mean RTT 42.0 ms)"));
        assert!(text.ends_with("Monthly cost: $153 today, $203 after the plan (budget $400)."));
        let back: CapacityReport =
            serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }
}
