//! CSV renderers: the moves and the demand cells, RFC 4180 quoting, `\n` line ends.
//!
//! Columns are documented in `docs/plan-schema.md`. Numbers are plain decimals (`51.25`), empty
//! fields mean "not applicable".

use std::borrow::Cow;

use super::text::by_cell;
use super::{Place, Plan};
use crate::demand::{Demand, DemandCell};
use crate::node::Node;
use crate::round;
use crate::serving::{CellService, Evaluation};

/// The moves of `plan`, one row per step:
///
/// `step,kind,node,from_id,from_label,from_lat,from_lon,to_id,to_label,to_lat,to_lon,`
/// `mean_rtt_after_ms,gain_ms,reason`
///
/// `from_*` is empty for an added node, `to_*` for a removed one, `node` for an added one.
pub fn moves_csv(plan: &Plan) -> String {
    let mut out = Csv::default();
    out.row([
        "step",
        "kind",
        "node",
        "from_id",
        "from_label",
        "from_lat",
        "from_lon",
        "to_id",
        "to_label",
        "to_lat",
        "to_lon",
        "mean_rtt_after_ms",
        "gain_ms",
        "reason",
    ]);
    for m in &plan.moves {
        let mut row = vec![
            m.step.to_string(),
            super::text::serde_name(&m.kind),
            m.node.clone().unwrap_or_default(),
        ];
        row.extend(place(m.from.as_ref()));
        row.extend(place(m.to.as_ref()));
        row.push(num(round::ms(m.mean_rtt_after_ms)));
        row.push(num(round::ms(m.gain_ms)));
        row.push(m.reason.clone());
        out.row(row);
    }
    out.0
}

/// The demand cells, one row per cell in demand order:
///
/// `id,country,continent,lat,lon,requests,bytes,unique_clients`
///
/// and, with an evaluation, `share,node,distance_km,rtt_ms` (share of the evaluation's total
/// weight, the serving node, its distance and the RTT). A cell the evaluation does not know
/// gets empty fields there.
pub fn demand_csv(demand: &Demand, evaluation: Option<&Evaluation>) -> String {
    let mut out = Csv::default();
    let mut header = DEMAND_COLUMNS.to_vec();
    if evaluation.is_some() {
        header.extend(["share", "node", "distance_km", "rtt_ms"]);
    }
    out.row(header);
    let served = evaluation.map(by_cell);
    for c in &demand.cells {
        let mut row = demand_fields(c);
        if let (Some(e), Some(served)) = (evaluation, &served) {
            let s = served.get(c.id.as_str()).copied();
            row.push(share_of(s, e));
            row.extend(service(s));
        }
        out.row(row);
    }
    out.0
}

/// The demand cells of a plan with their service before and after, one row per cell in demand
/// order:
///
/// `id,country,continent,lat,lon,requests,bytes,unique_clients,share,`
/// `node_before,distance_before_km,rtt_before_ms,node_after,distance_after_km,rtt_after_ms,`
/// `rtt_change_ms`
///
/// `share` is the cell's share of the weight the plan optimised; `rtt_change_ms` is after minus
/// before (negative is better).
pub fn plan_demand_csv(plan: &Plan, demand: &Demand) -> String {
    let mut out = Csv::default();
    let mut header = DEMAND_COLUMNS.to_vec();
    header.extend([
        "share",
        "node_before",
        "distance_before_km",
        "rtt_before_ms",
        "node_after",
        "distance_after_km",
        "rtt_after_ms",
        "rtt_change_ms",
    ]);
    out.row(header);
    let (before, after) = (by_cell(&plan.before), by_cell(&plan.after));
    for c in &demand.cells {
        let b = before.get(c.id.as_str()).copied();
        let a = after.get(c.id.as_str()).copied();
        let mut row = demand_fields(c);
        row.push(share_of(b, &plan.before));
        row.extend(service(b));
        row.extend(service(a));
        row.push(match (b, a) {
            (Some(b), Some(a)) => num(round::ms(a.rtt_ms - b.rtt_ms)),
            _ => String::new(),
        });
        out.row(row);
    }
    out.0
}

/// The curve "mean RTT after k moves", one row per k:
///
/// `moves,plan_prefix_mean_rtt_ms,best_mean_rtt_ms,lower_bound_mean_rtt_ms`
///
/// `plan_prefix_mean_rtt_ms` is the mean RTT after the first k steps of this plan;
/// `best_mean_rtt_ms` the best found with a budget of k moves solved on its own, and
/// `lower_bound_mean_rtt_ms` a proven bound for that budget.
pub fn curve_csv(plan: &Plan) -> String {
    let mut out = Csv::default();
    out.row([
        "moves",
        "plan_prefix_mean_rtt_ms",
        "best_mean_rtt_ms",
        "lower_bound_mean_rtt_ms",
    ]);
    for c in &plan.curve {
        out.row([
            c.moves.to_string(),
            num(round::ms(c.plan_prefix_mean_rtt_ms)),
            num(round::ms(c.best_mean_rtt_ms)),
            num(round::ms(c.lower_bound_mean_rtt_ms)),
        ]);
    }
    out.0
}

/// Nodes in the nodes-CSV input format, so a plan's result can be fed back as the current
/// nodes of the next scenario (`nodes = "nodes.csv"`):
///
/// `id,operator,city,country_code,lat,lon,active,egress_gbps,cache_gb`
///
/// Bucket memberships are not part of this format.
pub fn nodes_csv(nodes: &[Node]) -> String {
    let mut out = Csv::default();
    out.row([
        "id",
        "operator",
        "city",
        "country_code",
        "lat",
        "lon",
        "active",
        "egress_gbps",
        "cache_gb",
    ]);
    for n in nodes {
        let cap = |f: fn(&crate::node::NodeCapacity) -> Option<f64>| {
            n.capacity.as_ref().and_then(f).map(num).unwrap_or_default()
        };
        out.row([
            n.id.clone(),
            n.operator.clone().unwrap_or_default(),
            n.city.clone().unwrap_or_default(),
            n.country.map(|c| c.to_string()).unwrap_or_default(),
            num(n.location.lat),
            num(n.location.lon),
            n.active.to_string(),
            cap(|c| c.egress_gbps),
            cap(|c| c.cache_gb),
        ]);
    }
    out.0
}

const DEMAND_COLUMNS: [&str; 8] = [
    "id",
    "country",
    "continent",
    "lat",
    "lon",
    "requests",
    "bytes",
    "unique_clients",
];

fn demand_fields(c: &DemandCell) -> Vec<String> {
    vec![
        c.id.clone(),
        c.country.map(|x| x.to_string()).unwrap_or_default(),
        c.continent.map(|x| x.to_string()).unwrap_or_default(),
        num(c.location.lat),
        num(c.location.lon),
        c.requests.to_string(),
        c.bytes.to_string(),
        c.unique_clients.to_string(),
    ]
}

fn share_of(s: Option<&CellService>, e: &Evaluation) -> String {
    match s {
        Some(s) if e.total_weight > 0.0 => num(round::share(s.weight / e.total_weight)),
        _ => String::new(),
    }
}

fn service(s: Option<&CellService>) -> [String; 3] {
    match s {
        Some(s) => [
            s.node.clone(),
            num(round::ms(s.distance_km)),
            num(round::ms(s.rtt_ms)),
        ],
        None => Default::default(),
    }
}

fn place(p: Option<&Place>) -> [String; 4] {
    match p {
        Some(p) => [
            p.id.clone(),
            p.label.clone(),
            num(p.location.lat),
            num(p.location.lon),
        ],
        None => Default::default(),
    }
}

/// A float as the shortest decimal that reads back the same (`51`, `51.25`).
fn num(x: f64) -> String {
    format!("{x}")
}

/// A CSV document being written.
#[derive(Default)]
pub(crate) struct Csv(pub(crate) String);

impl Csv {
    /// Appends one record.
    pub(crate) fn row<S: AsRef<str>>(&mut self, fields: impl IntoIterator<Item = S>) {
        for (i, f) in fields.into_iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            self.0.push_str(&quote(f.as_ref()));
        }
        self.0.push('\n');
    }
}

/// RFC 4180: a field holding a comma, a quote or a line break is quoted, quotes doubled. Fields
/// with leading or trailing spaces are quoted too, so readers that trim keep them.
fn quote(field: &str) -> Cow<'_, str> {
    let needs =
        field.contains([',', '"', '\n', '\r']) || field.starts_with(' ') || field.ends_with(' ');
    if needs {
        Cow::Owned(format!("\"{}\"", field.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serving::evaluate;
    use crate::serving::tests::{cell, demand, node};
    use crate::{Latency, Weighting};

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("two\nlines"), "\"two\nlines\"");
        assert_eq!(quote(" pad"), "\" pad\"");
    }

    #[test]
    fn demand_csv_reads_back_with_and_without_evaluation() {
        let d = demand(vec![
            cell("FR/Paris, \"Île\"", 48.86, 2.35, 10),
            cell("JP/Tokyo", 35.68, 139.69, 30),
        ]);
        let nodes = [node("nbg", 49.45, 11.08), node("sgp", 1.35, 103.82)];
        let e = evaluate(&d, &nodes, &Latency::default(), Weighting::Requests).unwrap();

        let plain = demand_csv(&d, None);
        let mut r = ::csv::Reader::from_reader(plain.as_bytes());
        assert_eq!(r.headers().unwrap().len(), 8);
        let rows: Vec<::csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[0][0], "FR/Paris, \"Île\"");

        let served = demand_csv(&d, Some(&e));
        let mut r = ::csv::Reader::from_reader(served.as_bytes());
        let h = r.headers().unwrap().clone();
        assert_eq!(h.len(), 12);
        let rows: Vec<::csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(&rows[1][9], "sgp");
        assert_eq!(&rows[1][8], "0.75");
        assert_eq!(
            rows[1][11].parse::<f64>().unwrap(),
            round::ms(e.cells[1].rtt_ms)
        );
    }
}
