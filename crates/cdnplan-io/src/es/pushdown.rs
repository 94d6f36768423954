//! Push-down: the cluster aggregates. A composite aggregation keyed by cell (and, in a second
//! pass, by serving node) is paged with `after_key` until a page comes back empty; each page
//! is retried from the same `after_key`, so none is skipped.

use std::collections::BTreeMap;

use cdnplan_core::demand::{geotile_centre, parse_geotile_key};
use cdnplan_core::{CellKey, Countries, CountryCode, DemandAggregator, Progress};
use elasticsearch::http::Method;
use serde_json::{Value, json};

use super::client::Inner;
use super::error::EsError;
use super::plan::{Cell, Plan};
use crate::logs::mapping::node_from_index;

/// One composite bucket: the key values and the sub-aggregations.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    pub(crate) key: Value,
    pub(crate) docs: u64,
    pub(crate) bytes: u64,
    pub(crate) clients: u64,
}

/// Pages through a composite aggregation; `on_page` gets each non-empty page's buckets.
/// Returns the number of pages requested.
pub(crate) async fn composite(
    inner: &Inner,
    plan: &Plan,
    sources: Vec<Value>,
    sub_aggs: Value,
    size: usize,
    progress: &dyn Progress,
    mut on_page: impl FnMut(Vec<Bucket>),
) -> Result<u64, EsError> {
    let path = format!("/{}/_search", plan.index);
    let mut after: Option<Value> = None;
    let mut pages = 0u64;
    loop {
        let mut comp = json!({"size": size, "sources": sources});
        if let Some(a) = &after {
            comp["after"] = a.clone();
        }
        let body = json!({
            "size": 0,
            "track_total_hits": false,
            "query": plan.query,
            "aggs": {"d": {"composite": comp, "aggs": sub_aggs}},
        });
        let v = inner
            .call_json(Method::Post, &path, &[], Some(&body), true)
            .await?;
        pages += 1;
        progress.advance(1);
        let agg = &v["aggregations"]["d"];
        let buckets = agg["buckets"].as_array().cloned().unwrap_or_default();
        if buckets.is_empty() {
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
        let num = |b: &Value, name: &str| {
            b.get(name)
                .and_then(|v| v.get("value"))
                .and_then(Value::as_f64)
                .map_or(0, |x| x.round().max(0.0) as u64)
        };
        on_page(
            buckets
                .iter()
                .map(|b| Bucket {
                    key: b["key"].clone(),
                    docs: b["doc_count"].as_u64().unwrap_or(0),
                    bytes: num(b, "bytes"),
                    clients: num(b, "clients"),
                })
                .collect(),
        );
    }
}

/// What the push-down passes found.
#[derive(Debug, Default)]
pub(crate) struct PushDown {
    pub(crate) pages: u64,
    pub(crate) buckets: u64,
    pub(crate) counted: u64,
    /// Documents without the cell field (read raw afterwards).
    pub(crate) without_cell: u64,
    pub(crate) unlocated: BTreeMap<String, u64>,
    pub(crate) by_node: BTreeMap<String, u64>,
}

/// Runs the cell pass (and the node pass when the mapping has a node field) into `agg`.
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
        "bytes": {"sum": {"field": bytes}},
        "clients": {"cardinality": {"field": ip, "precision_threshold": 40000}},
    });
    out.pages += composite(
        inner,
        plan,
        vec![cell.source()],
        subs,
        size,
        progress,
        |page| {
            for b in page {
                out.buckets += 1;
                out.counted += b.docs;
                let key = &b.key["cell"];
                let Some(k) = key.as_str() else {
                    out.without_cell += b.docs;
                    continue;
                };
                match cell_key(cell, k, countries) {
                    Ok(ck) => agg.record_aggregate(ck, b.docs, b.bytes, b.clients),
                    Err(reason) => *out.unlocated.entry(reason).or_insert(0) += b.docs,
                }
            }
        },
    )
    .await?;
    // Documents without the cell field are read raw later and counted there.
    out.counted -= out.without_cell;
    if let Some(node) = plan.field("node") {
        let src = vec![json!({"node": {"terms": {"field": node, "missing_bucket": true}}})];
        out.pages += composite(inner, plan, src, json!({}), size, progress, |page| {
            for b in page {
                if let Some(n) = b.key["node"].as_str().filter(|n| !n.is_empty()) {
                    let n = if plan.node_from_index {
                        node_from_index(n)
                    } else {
                        n
                    };
                    *out.by_node.entry(n.to_string()).or_insert(0) += b.docs;
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

/// First and last request time (epoch ms) of the matched documents, and how many of those
/// with the cell field have no byte count, in one search.
pub(crate) async fn summary(
    inner: &Inner,
    plan: &Plan,
    cell: &Cell,
) -> Result<(Option<i64>, Option<i64>, u64), EsError> {
    let mut aggs = serde_json::Map::new();
    if let Some(ts) = plan.field("timestamp") {
        aggs.insert("first".into(), json!({"min": {"field": ts}}));
        aggs.insert("last".into(), json!({"max": {"field": ts}}));
    }
    if let Some(b) = plan.field("bytes") {
        aggs.insert(
            "no_bytes".into(),
            json!({"filter": {"bool": {
                "filter": [{"exists": {"field": cell.field()}}],
                "must_not": [{"exists": {"field": b}}]}}}),
        );
    }
    let body = json!({"size": 0, "track_total_hits": false, "query": plan.query, "aggs": aggs});
    let path = format!("/{}/_search", plan.index);
    let v = inner
        .call_json(Method::Post, &path, &[], Some(&body), true)
        .await?;
    let a = &v["aggregations"];
    let ms = |name: &str| a[name]["value"].as_f64().map(|x| x as i64);
    Ok((
        ms("first"),
        ms("last"),
        a["no_bytes"]["doc_count"].as_u64().unwrap_or(0),
    ))
}
