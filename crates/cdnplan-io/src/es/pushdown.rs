//! Push-down: the cluster aggregates. One composite aggregation keyed by cell, with request
//! count, byte sum and client cardinality per bucket, is paged with `after_key` until a page
//! comes back empty; each page is retried from the same `after_key`, so none is skipped.
//!
//! The first page also carries, beside the composite, what the report needs: requests by
//! serving node (`terms`), documents without a byte count and the first and last request
//! time, and the hourly profile: a `date_histogram` (`fixed_interval` 1h, UTC, with a sum of
//! bytes) over the documents that carry the cell field. So the documents are aggregated in one
//! pass; the final, empty page is the only other search. Documents whose cell cannot be placed
//! (a country code missing from the country table) are not demand, so when there are any,
//! one more small search takes their own histogram, to subtract it; the log reader leaves
//! them out of the profile in the same way.
//!
//! The serving node is not a second composite source: a cell's distinct clients are the
//! union over its nodes (a client served by two nodes counts once in the log reader's cell),
//! and the cardinalities of cell × node buckets cannot be added back into that union. Only
//! when there are more nodes than the `terms` size are they counted in a second composite.
use std::collections::BTreeMap;

use cdnplan_core::demand::{geotile_centre, parse_geotile_key};
use cdnplan_core::{CellKey, Countries, CountryCode, DemandAggregator, HourlyProfile, Progress};
use elasticsearch::http::Method;
use serde_json::{Value, json};

use super::client::Inner;
use super::error::EsError;
use super::plan::{Cell, Plan};
use crate::logs::mapping::node_from_index;

/// Sub-aggregation names.
const BYTES: &str = "bytes";
const CLIENTS: &str = "clients";
const NODES: &str = "nodes";
const NO_BYTES: &str = "no_bytes";
const FIRST: &str = "first";
const LAST: &str = "last";
const HOURS: &str = "hours";

/// Serving nodes counted by the `terms` beside the composite; more fall back to a node
/// composite. (Data streams name the node by backing index: this counts indices.)
const NODE_TERMS: usize = 1000;

/// A composite aggregation to page through: its sources, the sub-aggregations of each
/// bucket, the aggregations sent beside it with the first page only, and buckets per page.
pub(crate) struct Composite {
    pub(crate) sources: Vec<Value>,
    pub(crate) subs: Value,
    pub(crate) siblings: serde_json::Map<String, Value>,
    pub(crate) size: usize,
}

/// Pages through `c` (named `d`); `on_page` gets each page's buckets (the last page's are
/// none) and the page's `aggregations`. Returns the number of pages requested.
pub(crate) async fn composite(
    inner: &Inner,
    plan: &Plan,
    c: &Composite,
    progress: &dyn Progress,
    mut on_page: impl FnMut(&[Value], &Value),
) -> Result<u64, EsError> {
    let path = format!("/{}/_search", plan.index);
    let mut after: Option<Value> = None;
    let mut pages = 0u64;
    loop {
        let mut comp = json!({"size": c.size, "sources": c.sources});
        if let Some(a) = &after {
            comp["after"] = a.clone();
        }
        let mut aggs = json!({"d": {"composite": comp, "aggs": c.subs}});
        if after.is_none() {
            for (k, v) in &c.siblings {
                aggs[k] = v.clone();
            }
        }
        let body = json!({
            "size": 0,
            "track_total_hits": false,
            "query": plan.query,
            "aggs": aggs,
        });
        let mut v = inner
            .call_json(Method::Post, &path, &[], Some(&body), true)
            .await?;
        pages += 1;
        progress.advance(1);
        let agg = &mut v["aggregations"]["d"];
        let buckets = match agg.get_mut("buckets").map(Value::take) {
            Some(Value::Array(b)) => b,
            _ => Vec::new(),
        };
        let agg = &v["aggregations"]["d"];
        if buckets.is_empty() {
            on_page(&[], &v["aggregations"]);
            return Ok(pages);
        }
        // The after_key is normally the last bucket's key; the docs do not promise it.
        after = Some(match agg.get("after_key") {
            Some(k) if !k.is_null() => k.clone(),
            _ => buckets
                .last()
                .map(|b| b["key"].clone())
                .unwrap_or(Value::Null),
        });
        on_page(&buckets, &v["aggregations"]);
    }
}

/// A metric sub-aggregation's value (`None` when absent or null, as `min` of no values).
fn metric(b: &Value, name: &str) -> Option<f64> {
    b.get(name)?.get("value")?.as_f64()
}

/// A count-like metric, rounded and never negative.
fn count(b: &Value, name: &str) -> u64 {
    metric(b, name).map_or(0, |x| x.round().max(0.0) as u64)
}

/// What the push-down found.
#[derive(Debug, Default)]
pub(crate) struct PushDown {
    pub(crate) pages: u64,
    pub(crate) buckets: u64,
    pub(crate) counted: u64,
    /// Documents without the cell field (read raw afterwards).
    pub(crate) without_cell: u64,
    pub(crate) unlocated: BTreeMap<String, u64>,
    pub(crate) by_node: BTreeMap<String, u64>,
    /// Documents with the cell field and without a byte count.
    pub(crate) without_bytes: u64,
    /// First and last request time of all matched documents (epoch ms).
    pub(crate) first_ms: Option<i64>,
    pub(crate) last_ms: Option<i64>,
    /// Requests and bytes per hour of the documents placed in a cell (empty without a
    /// timestamp field).
    pub(crate) hourly: HourlyProfile,
}

impl PushDown {
    fn add_node(&mut self, plan: &Plan, name: &str, docs: u64) {
        if name.is_empty() {
            return;
        }
        let n = if plan.node_from_index {
            node_from_index(name)
        } else {
            name
        };
        *self.by_node.entry(n.to_string()).or_insert(0) += docs;
    }
}

/// The hourly histogram of the documents matching `filter`: a `filter` aggregation holding a
/// `date_histogram` with a sum of bytes.
fn hours_agg(filter: Value, ts: &str, bytes: &str) -> Value {
    json!({
        "filter": filter,
        "aggs": {"h": {
            "date_histogram": {"field": ts, "fixed_interval": "1h", "min_doc_count": 1},
            "aggs": {BYTES: {"sum": {"field": bytes}}},
        }},
    })
}

/// The hours of a [`hours_agg`] answer.
fn read_hours(agg: &Value) -> HourlyProfile {
    let mut p = HourlyProfile::default();
    for b in agg["h"]["buckets"].as_array().into_iter().flatten() {
        let docs = b["doc_count"].as_u64().unwrap_or(0);
        if let Some(ms) = b["key"]
            .as_i64()
            .or_else(|| b["key"].as_f64().map(|x| x as i64))
        {
            p.add(ms.div_euclid(1000), docs, count(b, BYTES));
        }
    }
    p
}

/// Aggregates the matched documents by cell into `agg`, in one composite (see the module
/// docs), with the node counts, documents without bytes, the time span and the hourly
/// profile beside it.
pub(crate) async fn run(
    inner: &Inner,
    plan: &Plan,
    cell: &Cell,
    countries: &Countries,
    size: usize,
    agg: &mut DemandAggregator,
    progress: &dyn Progress,
) -> Result<PushDown, EsError> {
    let mut out = PushDown::default();
    let (Some(bytes), Some(ip)) = (plan.field("bytes"), plan.field("client_ip")) else {
        return Err(EsError::Config(
            "push-down needs bytes and client_ip fields".into(),
        ));
    };
    // Below 40 000 distinct values per bucket the cardinality count is exact in practice.
    let subs = json!({
        BYTES: {"sum": {"field": bytes}},
        CLIENTS: {"cardinality": {"field": ip, "precision_threshold": 40000}},
    });
    let mut siblings = serde_json::Map::new();
    siblings.insert(
        NO_BYTES.into(),
        json!({"filter": {"bool": {
            "filter": [{"exists": {"field": cell.field()}}],
            "must_not": [{"exists": {"field": bytes}}]}}}),
    );
    let ts = plan.field("timestamp");
    if let Some(ts) = ts {
        siblings.insert(FIRST.into(), json!({"min": {"field": ts}}));
        siblings.insert(LAST.into(), json!({"max": {"field": ts}}));
        // Documents without the cell field are read raw later and counted there.
        let with_cell = json!({"exists": {"field": cell.field()}});
        siblings.insert(HOURS.into(), hours_agg(with_cell, ts, bytes));
    }
    let node = plan.field("node");
    if let Some(n) = node {
        siblings.insert(
            NODES.into(),
            json!({"terms": {"field": n, "size": NODE_TERMS}}),
        );
    }
    let mut nodes_cut = false;
    let mut first_page = true;
    let mut unplaced_keys: Vec<String> = Vec::new();
    let cells = Composite {
        sources: vec![cell.source()],
        subs,
        siblings,
        size,
    };
    out.pages += composite(inner, plan, &cells, progress, |page, aggs| {
        if std::mem::take(&mut first_page) {
            let ms = |name: &str| metric(aggs, name).map(|x| x as i64);
            out.first_ms = ms(FIRST);
            out.last_ms = ms(LAST);
            out.without_bytes = aggs[NO_BYTES]["doc_count"].as_u64().unwrap_or(0);
            if let Some(h) = aggs.get(HOURS) {
                out.hourly = read_hours(h);
            }
            if let Some(nodes) = aggs.get(NODES) {
                nodes_cut = nodes["sum_other_doc_count"].as_u64().unwrap_or(0) > 0;
                for b in nodes["buckets"].as_array().into_iter().flatten() {
                    if let Some(name) = b["key"].as_str() {
                        out.add_node(plan, name, b["doc_count"].as_u64().unwrap_or(0));
                    }
                }
            }
        }
        for b in page {
            let docs = b["doc_count"].as_u64().unwrap_or(0);
            out.buckets += 1;
            // Documents without the cell field are read raw later and counted there.
            let Some(k) = b["key"]["cell"].as_str() else {
                out.without_cell += docs;
                continue;
            };
            out.counted += docs;
            match cell_key(cell, k, countries) {
                Ok(ck) => agg.record_aggregate(ck, docs, count(b, BYTES), count(b, CLIENTS)),
                Err(reason) => {
                    *out.unlocated.entry(reason).or_insert(0) += docs;
                    unplaced_keys.push(k.to_string());
                }
            }
        }
    })
    .await?;
    // Geotile keys come from the engine and always parse: only country codes can be unplaced.
    if let (Some(ts), false, Cell::Country { field }) = (ts, unplaced_keys.is_empty(), cell) {
        out.pages += 1;
        let unplaced = json!({"terms": {field.as_str(): unplaced_keys}});
        let body = json!({
            "size": 0,
            "track_total_hits": false,
            "query": {"bool": {"filter": [plan.query, unplaced]}},
            "aggs": {HOURS: hours_agg(json!({"match_all": {}}), ts, bytes)},
        });
        let v = inner
            .call_json(
                Method::Post,
                &format!("/{}/_search", plan.index),
                &[],
                Some(&body),
                true,
            )
            .await?;
        progress.advance(1);
        for (h, c) in read_hours(&v["aggregations"][HOURS]).hours {
            if let Some(e) = out.hourly.hours.get_mut(&h) {
                e.requests = e.requests.saturating_sub(c.requests);
                e.bytes = e.bytes.saturating_sub(c.bytes);
                if e.requests == 0 && e.bytes == 0 {
                    out.hourly.hours.remove(&h);
                }
            }
        }
    }
    if nodes_cut && let Some(n) = node {
        // More nodes than the terms size: count them in a composite of their own.
        out.by_node.clear();
        let nodes = Composite {
            sources: vec![json!({"node": {"terms": {"field": n, "missing_bucket": true}}})],
            subs: json!({}),
            siblings: serde_json::Map::new(),
            size,
        };
        out.pages += composite(inner, plan, &nodes, progress, |page, _| {
            for b in page {
                if let Some(name) = b["key"]["node"].as_str() {
                    out.add_node(plan, name, b["doc_count"].as_u64().unwrap_or(0));
                }
            }
        })
        .await?;
    }
    Ok(out)
}

/// The demand cell of a bucket key, as the log reader would build it; `Err` carries the
/// reason the requests are unlocated.
fn cell_key(cell: &Cell, key: &str, countries: &Countries) -> Result<CellKey, String> {
    match cell {
        Cell::Geotile { .. } => {
            let (z, x, y) =
                parse_geotile_key(key).map_err(|_| format!("bad geotile key {key:?}"))?;
            Ok(CellKey {
                id: format!("{z}/{x}/{y}"),
                location: geotile_centre(z, x, y),
                country: None,
                continent: None,
            })
        }
        Cell::Country { .. } => {
            let t = key.trim();
            let cc = CountryCode::new(t)
                .map_err(|_| format!("country field value {t:?} is not a two-letter code"))?;
            let c = countries
                .get(cc)
                .ok_or_else(|| format!("country {cc} not in the country table"))?;
            Ok(CellKey {
                id: cc.to_string(),
                location: c.location,
                country: Some(cc),
                continent: Some(c.continent),
            })
        }
    }
}
