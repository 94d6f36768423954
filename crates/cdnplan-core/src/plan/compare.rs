//! Scenarios side by side: the rows of `cdnplan compare`, ranked by the objective the plans
//! were made for, as text, Markdown, CSV, JSON and one HTML page with the maps side by side.
//!
//! A [`Comparison`] is built from finished plans (each with the label of its variant, e.g.
//! `default max_moves=3`); it neither solves nor reads anything. Every figure comes from the
//! plan itself: the objective's value and what was proven about it, mean and p90 RTT, the
//! within-T shares, the moves, the monthly cost when the plan priced its sites, and the calls
//! of the family ↔ bucket migration when the plan has one.

use std::fmt::Write as _;

use serde::Serialize;

use super::Plan;
use super::csv::Csv;
use super::html::{markdown_html, page_head};
use super::map::{WorldOutline, esc, map_svg_with_ids};
use super::report::solver_status;
use super::terminal::Table;
use super::text::{cell, ms, pct};
use crate::demand::Demand;
use crate::serving::Coverage;
use crate::solve::Status;

/// The measure of the mean-RTT objective.
const MEAN_RTT: &str = "mean RTT (ms)";

/// One variant's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ComparisonRow {
    /// Place in the ranking, from 1 (ties share the better place).
    pub rank: usize,
    /// The variant's label.
    pub label: String,
    /// The value the ranking reads, in [`Comparison::measure`]'s units (a share in `0..=1`
    /// or ms).
    pub value: f64,
    /// Mean RTT (ms) of today's layout.
    pub mean_rtt_before_ms: f64,
    /// Mean RTT (ms) after the plan.
    pub mean_rtt_ms: f64,
    /// 90th-percentile RTT (ms) after the plan.
    pub p90_rtt_ms: f64,
    /// Share of the demand within each threshold after the plan.
    pub within: Vec<Coverage>,
    /// Steps of the plan (relocations, additions, removals).
    pub moves: usize,
    /// Monthly cost (USD) of the sites after the plan, when the plan priced them.
    pub monthly_usd: Option<f64>,
    /// Calls of the family ↔ bucket migration (lead's and operators'), when planned.
    pub migration_calls: Option<usize>,
    /// What was proven about the plan's objective.
    pub status: Status,
    /// Relative gap between the value and its proven bound (0 when proven optimal).
    pub gap: f64,
    /// The proof status in words ("optimal (proven)", "time limit reached: …").
    pub status_text: String,
}

/// Variants ranked by the objective their plans were made for.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Comparison {
    /// What the ranking reads, e.g. `"mean RTT (ms)"`.
    pub measure: String,
    /// Whether higher ranks first (a share) rather than lower (ms).
    pub maximise: bool,
    /// Why the ranking reads the mean RTT when the variants optimise different objectives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The rows, best first.
    pub rows: Vec<ComparisonRow>,
}

/// The measure and direction of a plan's objective: its own, or the mean RTT.
fn objective_of(plan: &Plan) -> (String, bool) {
    plan.objective.as_ref().map_or_else(
        || (MEAN_RTT.to_string(), false),
        |o| (o.measure.clone(), o.maximise),
    )
}

impl Comparison {
    /// Ranks `variants` (label and plan) by the objective they share; when they optimise
    /// different objectives, by mean RTT, and [`Comparison::note`] says so. Ties keep the
    /// order given.
    pub fn new(variants: &[(String, &Plan)]) -> Comparison {
        let objectives: Vec<(String, bool)> =
            variants.iter().map(|(_, p)| objective_of(p)).collect();
        let same = objectives.windows(2).all(|w| w[0] == w[1]);
        let (measure, maximise, note) = match objectives.first() {
            Some(o) if same => (o.0.clone(), o.1, None),
            _ if variants.is_empty() => (MEAN_RTT.to_string(), false, None),
            _ => (
                MEAN_RTT.to_string(),
                false,
                Some("the variants optimise different objectives: ranked by mean RTT".into()),
            ),
        };
        let mut rows: Vec<ComparisonRow> = variants
            .iter()
            .map(|(label, plan)| row(label, plan, note.is_none()))
            .collect();
        let better = |a: f64, b: f64| {
            if maximise {
                b.total_cmp(&a)
            } else {
                a.total_cmp(&b)
            }
        };
        rows.sort_by(|a, b| better(a.value, b.value).then(a.mean_rtt_ms.total_cmp(&b.mean_rtt_ms)));
        for i in 0..rows.len() {
            rows[i].rank = if i > 0 && rows[i].value == rows[i - 1].value {
                rows[i - 1].rank
            } else {
                i + 1
            };
        }
        Comparison {
            measure,
            maximise,
            note,
            rows,
        }
    }

    /// The value in reading units: `96.7 %` or `41.1 ms`.
    fn value(&self, v: f64) -> String {
        if self.maximise { pct(v) } else { ms(v) }
    }

    /// Aligned plain text for the terminal.
    pub fn text(&self) -> String {
        // Ranked by mean RTT, the value is the mean column.
        let own = !self.by_mean();
        let mut header = vec!["#", "variant"];
        if own {
            header.push(" value");
        }
        header.extend([" mean", " p90"]);
        let thresholds = self.thresholds();
        let within: Vec<String> = thresholds.iter().map(|t| format!(" ≤{t} ms")).collect();
        header.extend(within.iter().map(String::as_str));
        header.extend([" moves", " $/month", " calls", "status"]);
        let mut t = Table::new(&header);
        for r in &self.rows {
            let mut cells = vec![r.rank.to_string(), r.label.clone()];
            if own {
                cells.push(self.value(r.value));
            }
            cells.extend([ms(r.mean_rtt_ms), ms(r.p90_rtt_ms)]);
            cells.extend(r.within.iter().map(|c| pct(c.share)));
            cells.extend([
                r.moves.to_string(),
                opt(r.monthly_usd.map(|u| format!("{u:.0}"))),
                opt(r.migration_calls.map(|c| c.to_string())),
                r.status_text.clone(),
            ]);
            t.row(cells);
        }
        let mut out = format!("Ranked by {}{}:\n", self.measure, self.note_suffix());
        out.push_str(&t.render());
        out
    }

    /// A GitHub-flavoured Markdown table with a sentence on the ranking.
    pub fn markdown(&self) -> String {
        let thresholds = self.thresholds();
        let mut out = format!("Ranked by {}{}.\n\n", self.measure, self.note_suffix());
        let own = !self.by_mean();
        out.push_str(if own {
            "| # | Variant | Value | Mean RTT | p90 RTT |"
        } else {
            "| # | Variant | Mean RTT | p90 RTT |"
        });
        for t in &thresholds {
            let _ = write!(out, " Within {t} ms |");
        }
        out.push_str(" Moves | Monthly cost | Migration calls | Status |\n|---:|---|");
        out.push_str(if own { "---:|---:|---:|" } else { "---:|---:|" });
        for _ in &thresholds {
            out.push_str("---:|");
        }
        out.push_str("---:|---:|---:|---|\n");
        for r in &self.rows {
            let _ = write!(out, "| {} | {} |", r.rank, cell(&r.label));
            if own {
                let _ = write!(out, " {} |", self.value(r.value));
            }
            let _ = write!(out, " {} | {} |", ms(r.mean_rtt_ms), ms(r.p90_rtt_ms));
            for c in &r.within {
                let _ = write!(out, " {} |", pct(c.share));
            }
            let _ = writeln!(
                out,
                " {} | {} | {} | {} |",
                r.moves,
                opt(r.monthly_usd.map(|u| format!("{u:.0} USD"))),
                opt(r.migration_calls.map(|c| c.to_string())),
                cell(&r.status_text)
            );
        }
        out
    }

    /// One row per variant, full precision, thresholds as `within_{T}ms` columns.
    pub fn csv(&self) -> String {
        let mut csv = Csv::default();
        let mut header = vec![
            "rank".to_string(),
            "variant".into(),
            "measure".into(),
            "value".into(),
            "mean_rtt_before_ms".into(),
            "mean_rtt_ms".into(),
            "p90_rtt_ms".into(),
        ];
        header.extend(self.thresholds().iter().map(|t| format!("within_{t}ms")));
        header
            .extend(["moves", "monthly_usd", "migration_calls", "status", "gap"].map(String::from));
        csv.row(&header);
        for r in &self.rows {
            let mut f = vec![
                r.rank.to_string(),
                r.label.clone(),
                self.measure.clone(),
                r.value.to_string(),
                r.mean_rtt_before_ms.to_string(),
                r.mean_rtt_ms.to_string(),
                r.p90_rtt_ms.to_string(),
            ];
            f.extend(r.within.iter().map(|c| c.share.to_string()));
            f.extend([
                r.moves.to_string(),
                r.monthly_usd.map(|u| u.to_string()).unwrap_or_default(),
                r.migration_calls.map(|c| c.to_string()).unwrap_or_default(),
                r.status.name().to_string(),
                r.gap.to_string(),
            ]);
            csv.row(&f);
        }
        csv.0
    }

    /// The comparison as one pretty-printed JSON document, final newline included.
    pub fn to_json_pretty(&self) -> String {
        // Plain data: serialising cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// One self-contained page: the table, then each variant's map, side by side, in the
    /// ranking's order. `plans` holds, for each label, its plan and demand.
    pub fn html(&self, plans: &[(String, &Plan, &Demand)], world: &WorldOutline) -> String {
        let mut out = page_head("Scenarios compared");
        out.push_str(
            "<style>.maps{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));\
             gap:1rem}.maps figure{margin:0}</style>\n<h1>Scenarios compared</h1>\n",
        );
        out.push_str(&markdown_html(&self.markdown()));
        out.push_str("<h2 id=\"maps\">Maps</h2>\n<div class=\"maps\">\n");
        for (i, r) in self.rows.iter().enumerate() {
            let Some((_, plan, demand)) = plans.iter().find(|(l, ..)| *l == r.label) else {
                continue;
            };
            let _ = writeln!(
                out,
                "<figure class=\"map\">{}<figcaption>{}. {}: {} — mean RTT {} after {} \
                 move{}</figcaption></figure>",
                map_svg_with_ids(plan, demand, world, &format!("v{}-", i + 1)),
                r.rank,
                esc(&r.label),
                esc(&self.value(r.value)),
                ms(r.mean_rtt_ms),
                r.moves,
                if r.moves == 1 { "" } else { "s" }
            );
        }
        out.push_str("</div>\n</main>\n</body>\n</html>\n");
        out
    }

    /// The thresholds of the within-T columns (those of the first row).
    fn thresholds(&self) -> Vec<f64> {
        self.rows
            .first()
            .map(|r| r.within.iter().map(|c| c.threshold_ms).collect())
            .unwrap_or_default()
    }

    /// Whether the ranking reads the mean RTT (then the value is the mean column).
    fn by_mean(&self) -> bool {
        self.measure == MEAN_RTT
    }

    fn note_suffix(&self) -> String {
        self.note
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    }
}

/// `–` for a figure the plan does not have.
fn opt(v: Option<String>) -> String {
    v.unwrap_or_else(|| "–".to_string())
}

/// A plan's row; `own_objective`: rank by the plan's objective (else by mean RTT).
fn row(label: &str, plan: &Plan, own_objective: bool) -> ComparisonRow {
    let (value, status, gap) = match (&plan.objective, own_objective) {
        (Some(o), true) => {
            let gap = if o.status == Status::Optimal {
                0.0
            } else if o.maximise {
                relative(o.bound - o.after, o.bound)
            } else {
                relative(o.after - o.bound, o.after)
            };
            (o.after, o.status, gap)
        }
        _ => (plan.after.mean_rtt_ms, plan.solver.status, plan.solver.gap),
    };
    ComparisonRow {
        rank: 0,
        label: label.to_string(),
        value,
        mean_rtt_before_ms: plan.before.mean_rtt_ms,
        mean_rtt_ms: plan.after.mean_rtt_ms,
        p90_rtt_ms: plan.after.p90_rtt_ms,
        within: plan.after.coverage.clone(),
        moves: plan.moves.len(),
        monthly_usd: plan.capacity.as_ref().and_then(|c| c.monthly_usd_after),
        migration_calls: plan.reassignment.as_ref().map(|r| r.cost.calls()),
        status,
        gap,
        status_text: solver_status(plan),
    }
}

/// `num / den`, 0 for a non-positive numerator or a zero denominator.
fn relative(num: f64, den: f64) -> f64 {
    if num <= 0.0 || den.abs() < f64::EPSILON {
        0.0
    } else {
        num / den.abs()
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::plan as sample_plan;
    use super::*;

    #[test]
    fn ranks_by_mean_rtt_and_renders_every_format() {
        let (good, demand) = sample_plan();
        let mut bad = good.clone();
        bad.after.mean_rtt_ms += 10.0;
        let c = Comparison::new(&[("b, worse".into(), &bad), ("a".into(), &good)]);
        assert_eq!(c.measure, "mean RTT (ms)");
        assert_eq!(c.rows[0].label, "a");
        assert_eq!((c.rows[0].rank, c.rows[1].rank), (1, 2));
        let text = c.text();
        assert!(text.starts_with("Ranked by mean RTT (ms):\n"), "{text}");
        assert_eq!(text.lines().count(), 4, "{text}");
        let md = c.markdown();
        assert_eq!(md.matches("\n| ").count(), 3, "{md}");
        let csv = c.csv();
        let mut r = ::csv::Reader::from_reader(csv.as_bytes());
        let rows: Vec<::csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(&rows[1][1], "b, worse");
        let json: serde_json::Value = serde_json::from_str(&c.to_json_pretty()).unwrap();
        assert_eq!(json["rows"][0]["label"], "a");
        let html = c.html(
            &[
                ("a".into(), &good, &demand),
                ("b, worse".into(), &bad, &demand),
            ],
            &WorldOutline::bundled(),
        );
        assert_eq!(html.matches("<figure class=\"map\">").count(), 2);
        // Every id once: the maps' titles and arrow markers are prefixed per variant.
        let mut ids: Vec<&str> = html
            .split(" id=\"")
            .skip(1)
            .map(|t| &t[..t.find('"').unwrap()])
            .collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate ids");
        assert!(!html.contains("<script"));
    }

    #[test]
    fn equal_values_share_a_rank() {
        let (p, _) = sample_plan();
        let c = Comparison::new(&[("x".into(), &p), ("y".into(), &p)]);
        assert_eq!((c.rows[0].rank, c.rows[1].rank), (1, 1));
        assert_eq!(c.rows[0].label, "x");
    }
}
