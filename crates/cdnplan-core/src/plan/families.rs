//! The family ↔ bucket part of a plan: what the reassignment after the node moves costs and
//! gives, as `plan.json`'s optional `reassignment` field and `report.md`'s "Families and
//! buckets" section. The checklist itself is `reassign.md`
//! ([`Assessed::markdown`](crate::reassign::Assessed::markdown)).

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::reassign::{Assessed, Cost, FamilyAction};
use crate::round::ms;
use crate::serving::BagServing;

/// Demand-weighted RTT under the bag rule (nearest active holder of the bag), ms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BagRtt {
    /// Weighted median.
    pub p50_rtt_ms: f64,
    /// Weighted 95th percentile.
    pub p95_rtt_ms: f64,
    /// Weighted mean.
    pub mean_rtt_ms: f64,
}

impl From<&BagServing> for BagRtt {
    fn from(s: &BagServing) -> Self {
        BagRtt {
            p50_rtt_ms: ms(s.p50_rtt_ms),
            p95_rtt_ms: ms(s.p95_rtt_ms),
            mean_rtt_ms: ms(s.mean_rtt_ms),
        }
    }
}

/// What the family ↔ bucket reassignment after the plan's node moves costs and gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReassignmentSummary {
    /// The checklist, relative to the plan's directory (`"reassign.md"`).
    pub report: String,
    /// Calls by actor, per-bag calls and batches, bags moved.
    pub cost: Cost,
    /// Nodes whose buckets change (a new bucket in another family), by id.
    pub nodes_moved: Vec<String>,
    /// Families created.
    pub families_created: usize,
    /// Families whose metadata is rewritten to name their region.
    pub families_relabelled: usize,
    /// Families deleted.
    pub families_deleted: usize,
    /// Bags in the topology the reassignment was planned on.
    pub bags: usize,
    /// Set when the topology listed no bags and this many were assumed (a what-if).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assumed_bags: Option<u64>,
    /// Operator calls publishing relocated nodes' new locations (made when a node moves; not
    /// in `cost`).
    pub location_updates: usize,
    /// Service today.
    pub today: BagRtt,
    /// Service once the nodes have moved, with today's families, buckets and bags.
    pub after_moves: BagRtt,
    /// Service once the reassignment is done.
    pub after: BagRtt,
}

impl ReassignmentSummary {
    /// The summary of `a`, whose checklist is written to `report`; `assumed_bags` when the
    /// bags were assumed. Milliseconds are rounded to 3 decimals.
    pub fn new(a: &Assessed, report: impl Into<String>, assumed_bags: Option<u64>) -> Self {
        let r = &a.reassignment;
        let count = |k: FamilyAction| r.layout.families.iter().filter(|f| f.action == k).count();
        ReassignmentSummary {
            report: report.into(),
            cost: r.migration.cost.clone(),
            nodes_moved: r
                .layout
                .nodes
                .iter()
                .filter(|n| n.moves())
                .map(|n| n.node.clone())
                .collect(),
            families_created: count(FamilyAction::Create),
            families_relabelled: count(FamilyAction::Relabel),
            families_deleted: count(FamilyAction::Delete),
            bags: r.layout.target.bags.len(),
            assumed_bags,
            location_updates: a.location_updates.len(),
            today: (&a.today).into(),
            after_moves: (&a.after_moves).into(),
            after: (&a.after).into(),
        }
    }
}

/// The "Families and buckets" section of `report.md`.
pub(crate) fn write_families(out: &mut String, r: &ReassignmentSummary) -> std::fmt::Result {
    let c = &r.cost;
    writeln!(out, "## Families and buckets\n")?;
    writeln!(
        out,
        "After the moves, families are made to match where their nodes stand ({}). Checklist, \
         commands and proof: [{}]({}).\n",
        if r.nodes_moved.is_empty() {
            "no node changes family".to_string()
        } else {
            format!(
                "{} change{} family: {}",
                r.nodes_moved.len(),
                if r.nodes_moved.len() == 1 { "s" } else { "" },
                r.nodes_moved
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        r.report,
        r.report
    )?;
    writeln!(out, "| | |\n|---|---|")?;
    writeln!(
        out,
        "| Calls | {} ({} by the lead in {} transactions, {} by operators) |",
        c.lead_calls + c.operator_calls,
        c.lead_calls,
        c.lead_transactions,
        c.operator_calls
    )?;
    writeln!(
        out,
        "| Bags moved | {} of {}{} ({} per-bag calls in {} groups) |",
        c.bags_moved,
        r.bags,
        match r.assumed_bags {
            Some(n) => format!(", {n} assumed: the topology lists none"),
            None => String::new(),
        },
        c.per_bag_calls,
        c.batches
    )?;
    writeln!(
        out,
        "| Families | {} created, {} relabelled, {} deleted |",
        r.families_created, r.families_relabelled, r.families_deleted
    )?;
    if r.location_updates > 0 {
        writeln!(
            out,
            "| Location updates | {} operator calls as the nodes move |",
            r.location_updates
        )?;
    }
    let rtt = |x: &BagRtt| format!("{:.1} / {:.1} ms", x.p50_rtt_ms, x.p95_rtt_ms);
    writeln!(
        out,
        "| RTT p50 / p95 (bag rule) | {} today, {} after the moves, {} after the reassignment |\n",
        rtt(&r.today),
        rtt(&r.after_moves),
        rtt(&r.after)
    )
}

#[cfg(test)]
mod tests {
    use super::super::{Plan, fixture, report_markdown};
    use super::*;
    use crate::latency::Latency;
    use crate::reassign::{ReassignOptions, ReassignRequest, assume_bags, reassign_after_moves};
    use crate::topology::Topology;

    /// Nuremberg in "Northern Europe", Paris in "Western Europe", one assumed bag each.
    fn assessed(demand: &crate::demand::Demand) -> Assessed {
        let mut t: Topology = serde_json::from_str(
            r#"{
          "families": [
            {"id": 0, "metadata": {"region": "eu-north-1", "description": "Northern Europe"}, "nextBucketIndex": 1},
            {"id": 1, "metadata": {"region": "eu-west-1", "description": "Western Europe"}, "nextBucketIndex": 1}],
          "buckets": [
            {"id": "0:0", "acceptingNewBags": true, "distributing": true, "operators": [
              {"worker": 3, "status": "ACTIVE", "metadata": {"endpoint": "https://nbg.example/",
               "location": {"countryCode": "DE", "city": "Nuremberg", "coordinates": {"lat": 49.45, "lon": 11.08}}}}]},
            {"id": "1:0", "acceptingNewBags": true, "distributing": true, "operators": [
              {"worker": 1, "status": "ACTIVE", "metadata": {"endpoint": "https://par.example/",
               "location": {"countryCode": "FR", "city": "Paris", "coordinates": {"lat": 48.85, "lon": 2.35}}}}]}]
        }"#,
        )
        .unwrap();
        assume_bags(&mut t, 5, None);
        reassign_after_moves(&ReassignRequest {
            topology: &t,
            moves: &[],
            sites: &[],
            demand,
            latency: &Latency::default(),
            weighting: crate::demand::Weighting::Requests,
            options: &ReassignOptions::default(),
        })
        .unwrap()
    }

    #[test]
    fn without_a_reassignment_the_plan_is_as_before() {
        let (plan, demand) = fixture::plan();
        assert!(plan.reassignment.is_none());
        assert!(!plan.to_json_pretty().contains("reassignment"));
        assert!(!report_markdown(&plan, &demand).contains("Families and buckets"));
    }

    #[test]
    fn the_summary_goes_into_plan_json_and_the_report() {
        let (plan, demand) = fixture::plan();
        let a = assessed(&demand);
        let s = ReassignmentSummary::new(&a, "reassign.md", Some(5));
        assert_eq!(s.cost, a.reassignment.migration.cost);
        assert_eq!((s.bags, s.cost.bags_moved), (5, 5));
        assert_eq!(s.nodes_moved, ["nbg.example"]);
        assert_eq!((s.families_created, s.families_deleted), (0, 1));
        let with = plan.clone().with_reassignment(s.clone());
        let json = with.to_json_pretty();
        assert_eq!(Plan::from_json(&json).unwrap(), with);
        let old_reader: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(old_reader["reassignment"]["cost"]["bags_moved"], 5);
        let report = report_markdown(&with, &demand);
        assert!(report.contains("## Families and buckets"), "{report}");
        assert!(
            report.contains("1 changes family: `nbg.example`"),
            "{report}"
        );
        assert!(report.contains("| Bags moved | 5 of 5, 5 assumed: the topology lists none (10 per-bag calls in 2 groups) |"), "{report}");
        // The section is the only difference.
        let base = report_markdown(&plan, &demand);
        let start = report.find("## Families and buckets").unwrap();
        let end = start + report[start..].find("## By continent").unwrap();
        assert_eq!(format!("{}{}", &report[..start], &report[end..]), base);
    }
}
