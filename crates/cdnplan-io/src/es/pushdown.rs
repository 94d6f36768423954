//! Push-down: the cluster aggregates the documents it holds exactly.
//!
//! For each group of indices with one field resolution ([`Group`]) and each alternative of the
//! cell and client fields, a *part*: the documents that take their cell and client from those
//! alternatives and are clean (every value they need is indexed whole; see
//! [`super::layout`]). A part's documents are aggregated by one composite aggregation keyed
//! by cell and client address, with the bytes summed per bucket, paged with `after_key` until
//! a page comes back empty and retried from the same `after_key`, so none is skipped.
//!
//! Keyed by client, the buckets carry the addresses themselves: they are canonicalised here
//! as the log reader does it (IPv4-mapped IPv6 as IPv4, one text form per address) and join
//! each cell's set of clients, so a client counts once per cell however its address was
//! written, across parts, and across the documents read raw. Country keys are upper-cased;
//! documents whose country is empty (or not a two-letter code), or whose address is not one,
//! are read raw with the rest, as the log reader would read them.
//!
//! One more search per part counts what the report needs: requests by serving node (`terms`,
//! or a composite when there are more nodes than the `terms` size), documents without a byte
//! count, the first and last request time, and the hourly profile (a `date_histogram`, 1 h,
//! UTC, with the bytes) of the documents placed in a cell; the log reader leaves unplaced
//! requests out of the profile in the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::client::Method;
use cdnplan_core::demand::{geotile_centre, parse_geotile_key};
use cdnplan_core::{CellKey, Countries, CountryCode, DemandAggregator, HourlyProfile, Progress};
use serde_json::{Value, json};

use super::client::Inner;
use super::error::EsError;
use super::layout::{Alt, Group, SlotRes, and, exists, not, or};
use super::plan::{Cell, Plan};
use crate::logs::IngestOptions;
use crate::logs::mapping::{INDEX_FIELD, node_from_index};
use crate::logs::parse_client_ip;

/// Serving nodes counted by one `terms`; more fall back to a node composite. (Data streams
/// name the node by backing index: this counts indices.)
const NODE_TERMS: usize = 1000;

/// A composite aggregation to page through: the indices searched, its sources, the
/// sub-aggregations of each bucket, the query and buckets per page.
pub(crate) struct Composite {
    pub(crate) index: String,
    pub(crate) sources: Vec<Value>,
    pub(crate) subs: Value,
    pub(crate) query: Value,
    pub(crate) size: usize,
}

/// Pages through `c` (named `d`); `on_page` gets each non-empty page's buckets. Returns the
/// number of pages requested.
pub(crate) async fn composite(
    inner: &Inner,
    c: &Composite,
    progress: &dyn Progress,
    mut on_page: impl FnMut(&[Value]),
) -> Result<u64, EsError> {
    let path = format!("/{}/_search", c.index);
    let mut after: Option<Value> = None;
    let mut pages = 0u64;
    loop {
        let mut comp = json!({"size": c.size, "sources": c.sources});
        if let Some(a) = &after {
            comp["after"] = a.clone();
        }
        let body = json!({
            "size": 0,
            "track_total_hits": false,
            "query": c.query,
            "aggs": {"d": {"composite": comp, "aggs": c.subs}},
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
        on_page(&buckets);
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
    /// Requests aggregated (placed or not).
    pub(crate) counted: u64,
    pub(crate) unlocated: BTreeMap<String, u64>,
    pub(crate) unlocated_clients: BTreeSet<IpAddr>,
    pub(crate) by_node: BTreeMap<String, u64>,
    /// Aggregated documents without a byte count.
    pub(crate) without_bytes: u64,
    /// First and last request time of the aggregated documents (epoch ms).
    pub(crate) first_ms: Option<i64>,
    pub(crate) last_ms: Option<i64>,
    /// Requests and bytes per hour of the aggregated documents placed in a cell.
    pub(crate) hourly: HourlyProfile,
    /// The documents left to the raw read: the unclean ones of each group and those whose
    /// cell or client value the log reader reads otherwise than the cluster groups it.
    pub(crate) raw: Vec<Value>,
    /// Values sent to the raw read, by reason (for the report's notes).
    pub(crate) reread_values: BTreeMap<&'static str, u64>,
}

impl PushDown {
    fn add_node(&mut self, plan: &Plan, name: &str, docs: u64) {
        if name.is_empty() || docs == 0 {
            return;
        }
        let n = if plan.node_from_index || plan.node_index_fallback {
            node_from_index(name)
        } else {
            name
        };
        *self.by_node.entry(n.to_string()).or_insert(0) += docs;
    }
}

/// `{"filter": all of before, "aggs": aggs}`.
fn under(before: &[Value], aggs: Value) -> Value {
    json!({"filter": and(before.to_vec()), "aggs": aggs})
}

/// The byte sums of a bucket: one per alternative of the byte field, each over the documents
/// taking their count from it.
fn byte_subs(bytes: &SlotRes) -> Value {
    let mut subs = serde_json::Map::new();
    for (i, a) in bytes.alts.iter().enumerate() {
        if let Some(f) = &a.field {
            subs.insert(
                format!("b{i}"),
                under(&a.before, json!({"s": {"sum": {"field": f}}})),
            );
        }
    }
    Value::Object(subs)
}

fn read_bytes(b: &Value, bytes: &SlotRes) -> u64 {
    (0..bytes.alts.len())
        .map(|i| b.get(format!("b{i}")).map_or(0, |x| count(x, "s")))
        .sum()
}

/// The documents taking their value from alternative `a`.
fn from_alt(a: &Alt, field: &str) -> Value {
    let mut all = a.before.clone();
    all.push(exists(field));
    and(all)
}

/// Aggregates the clean documents of every group into `agg` and lists the rest for the raw
/// read (see the module docs).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run(
    inner: &Inner,
    plan: &Plan,
    cell: Cell,
    opts: &IngestOptions,
    query_string: Option<&str>,
    countries: &Countries,
    size: usize,
    agg: &mut DemandAggregator,
    progress: &dyn Progress,
) -> Result<PushDown, EsError> {
    let mut out = PushDown::default();
    for g in &plan.groups {
        out.raw.push(plan.unclean_query(g, opts, query_string));
        let Some(cells) = &g.cell else { continue };
        if plan.never_clean(g) {
            continue;
        }
        let base = and(vec![
            plan.exact_filter(g, opts, query_string),
            plan.clean(g),
        ]);
        for ca in &cells.alts {
            let Some(cf) = &ca.field else { continue };
            for ka in &g.client_ip.alts {
                let Some(kf) = &ka.field else { continue };
                let part = and(vec![base.clone(), from_alt(ca, cf), from_alt(ka, kf)]);
                let p = Part {
                    group: g,
                    cell,
                    cell_field: cf,
                    client_field: kf,
                    query: part,
                };
                p.run(inner, plan, countries, size, agg, progress, &mut out)
                    .await?;
            }
        }
    }
    Ok(out)
}

/// One composite: a group's documents with their cell and client from given alternatives.
struct Part<'a> {
    group: &'a Group,
    cell: Cell,
    cell_field: &'a str,
    client_field: &'a str,
    query: Value,
}

impl Part<'_> {
    #[allow(clippy::too_many_arguments)]
    async fn run(
        &self,
        inner: &Inner,
        plan: &Plan,
        countries: &Countries,
        size: usize,
        agg: &mut DemandAggregator,
        progress: &dyn Progress,
        out: &mut PushDown,
    ) -> Result<(), EsError> {
        let g = self.group;
        let c = Composite {
            index: plan.index.clone(),
            sources: vec![
                self.cell.source(self.cell_field),
                // Keys as text: an `ip` source keyed as bytes merges distinct addresses on
                // some engines (osmem-server 0.1.6 does); Elasticsearch ignores the hint for
                // mapped fields.
                json!({"client": {"terms": {"field": self.client_field, "value_type": "string"}}}),
            ],
            subs: byte_subs(&g.bytes),
            query: self.query.clone(),
            size,
        };
        // Cell and client values the log reader reads otherwise: their documents go raw.
        let mut reread_cells: BTreeSet<String> = BTreeSet::new();
        let mut reread_clients: BTreeSet<String> = BTreeSet::new();
        // Cells not in the country table: counted, unlocated, out of the hourly profile.
        let mut unplaced: BTreeSet<String> = BTreeSet::new();
        let cell = self.cell;
        out.pages += composite(inner, &c, progress, |page| {
            for b in page {
                out.buckets += 1;
                let docs = b["doc_count"].as_u64().unwrap_or(0);
                let key = &b["key"];
                let Some(ck) = key["cell"].as_str() else {
                    continue;
                };
                let Some(kk) = key["client"].as_str() else {
                    continue;
                };
                let placed = match cell_key(cell, ck, countries) {
                    Placed::Reread => {
                        reread_cells.insert(ck.to_string());
                        continue;
                    }
                    p => p,
                };
                let Some(ip) = parse_client_ip(kk) else {
                    reread_clients.insert(kk.to_string());
                    continue;
                };
                out.counted += docs;
                match placed {
                    Placed::At(key) => {
                        agg.record_client(key, ip, docs, read_bytes(b, &g.bytes));
                    }
                    Placed::Unlocated(reason) => {
                        *out.unlocated.entry(reason).or_insert(0) += docs;
                        out.unlocated_clients.insert(ip);
                        unplaced.insert(ck.to_string());
                    }
                    Placed::Reread => {}
                }
            }
        })
        .await?;
        let mut kept = vec![self.query.clone()];
        let mut reread = Vec::new();
        if !reread_cells.is_empty() {
            let t = json!({"terms": {self.cell_field: reread_cells}});
            *out.reread_values.entry("cell").or_insert(0) += reread_cells.len() as u64;
            kept.push(not(t.clone()));
            reread.push(t);
        }
        if !reread_clients.is_empty() {
            let t = json!({"terms": {self.client_field: reread_clients}});
            *out.reread_values.entry("client").or_insert(0) += reread_clients.len() as u64;
            kept.push(not(t.clone()));
            reread.push(t);
        }
        if !reread.is_empty() {
            out.raw.push(and(vec![self.query.clone(), or(reread)]));
        }
        let kept = and(kept);
        let placed = if unplaced.is_empty() {
            None
        } else {
            Some(not(json!({"terms": {self.cell_field: unplaced}})))
        };
        self.side(inner, plan, &kept, placed, size, progress, out)
            .await
    }

    /// The report's counts over the part's aggregated documents (`kept`): nodes, documents
    /// without bytes, the time span, and the hours of those `placed`.
    #[allow(clippy::too_many_arguments)]
    async fn side(
        &self,
        inner: &Inner,
        plan: &Plan,
        kept: &Value,
        placed: Option<Value>,
        size: usize,
        progress: &dyn Progress,
        out: &mut PushDown,
    ) -> Result<(), EsError> {
        let g = self.group;
        let mut aggs = serde_json::Map::new();
        let nodes = node_sources(plan, g);
        for (i, (before, field)) in nodes.iter().enumerate() {
            aggs.insert(
                format!("n{i}"),
                under(
                    before,
                    json!({"t": {"terms": {"field": field, "size": NODE_TERMS}}}),
                ),
            );
        }
        if let Some(none) = &g.bytes.none {
            aggs.insert("no_bytes".into(), json!({"filter": and(none.clone())}));
        }
        for (i, a) in g.timestamp.alts.iter().enumerate() {
            let Some(ts) = &a.field else { continue };
            let hours = json!({
                "date_histogram": {"field": ts, "fixed_interval": "1h", "min_doc_count": 1},
                "aggs": byte_subs(&g.bytes),
            });
            let mut before = a.before.clone();
            before.extend(placed.clone());
            aggs.insert(
                format!("t{i}"),
                under(
                    &a.before,
                    json!({"first": {"min": {"field": ts}}, "last": {"max": {"field": ts}}}),
                ),
            );
            aggs.insert(format!("h{i}"), under(&before, json!({"h": hours})));
        }
        let body = json!({"size": 0, "track_total_hits": false, "query": kept, "aggs": aggs});
        let v = inner
            .call_json(
                Method::Post,
                &format!("/{}/_search", plan.index),
                &[],
                Some(&body),
                true,
            )
            .await?;
        out.pages += 1;
        progress.advance(1);
        let a = &v["aggregations"];
        for (i, (before, field)) in nodes.iter().enumerate() {
            let n = &a[format!("n{i}")]["t"];
            if n["sum_other_doc_count"].as_u64().unwrap_or(0) > 0 {
                // More nodes than the terms size: count them in a composite of their own.
                let c = Composite {
                    index: plan.index.clone(),
                    sources: vec![json!({"node": {"terms": {"field": field}}})],
                    subs: json!({}),
                    query: and(vec![kept.clone(), and(before.clone())]),
                    size,
                };
                let mut got = Vec::new();
                out.pages += composite(inner, &c, progress, |page| {
                    for b in page {
                        if let Some(name) = b["key"]["node"].as_str() {
                            got.push((name.to_string(), b["doc_count"].as_u64().unwrap_or(0)));
                        }
                    }
                })
                .await?;
                for (name, docs) in got {
                    out.add_node(plan, &name, docs);
                }
                continue;
            }
            for b in n["buckets"].as_array().into_iter().flatten() {
                if let Some(name) = b["key"].as_str() {
                    out.add_node(plan, name, b["doc_count"].as_u64().unwrap_or(0));
                }
            }
        }
        out.without_bytes += a["no_bytes"]["doc_count"].as_u64().unwrap_or(0);
        for i in 0..g.timestamp.alts.len() {
            let t = &a[format!("t{i}")];
            if let Some(x) = metric(t, "first") {
                let x = x as i64;
                out.first_ms = Some(out.first_ms.map_or(x, |f| f.min(x)));
            }
            if let Some(x) = metric(t, "last") {
                let x = x as i64;
                out.last_ms = Some(out.last_ms.map_or(x, |l| l.max(x)));
            }
            for b in a[format!("h{i}")]["h"]["buckets"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let docs = b["doc_count"].as_u64().unwrap_or(0);
                if let Some(ms) = b["key"]
                    .as_i64()
                    .or_else(|| b["key"].as_f64().map(|x| x as i64))
                {
                    out.hourly
                        .add(ms.div_euclid(1000), docs, read_bytes(b, &g.bytes));
                }
            }
        }
        Ok(())
    }
}

/// Where each document of group `g` finds its serving node: the filter and the field of each
/// alternative, then `_index` (for data streams, and where the mapping names it).
fn node_sources(plan: &Plan, g: &Group) -> Vec<(Vec<Value>, String)> {
    let mut v = Vec::new();
    if plan.node_from_index {
        v.push((Vec::new(), INDEX_FIELD.to_string()));
        return v;
    }
    if let Some(n) = &g.node {
        for a in &n.alts {
            if let Some(f) = &a.field {
                v.push((a.before.clone(), f.clone()));
            }
        }
        if plan.node_index_fallback
            && let Some(none) = &n.none
        {
            v.push((none.clone(), INDEX_FIELD.to_string()));
        }
    }
    v
}

/// What a bucket's cell key means.
enum Placed {
    At(CellKey),
    /// Counted, not placed: the reason.
    Unlocated(String),
    /// The log reader would read this value otherwise: read its documents raw.
    Reread,
}

/// The demand cell of a bucket key, as the log reader would build it.
fn cell_key(cell: Cell, key: &str, countries: &Countries) -> Placed {
    match cell {
        Cell::Geotile { .. } => match parse_geotile_key(key) {
            Ok((z, x, y)) => Placed::At(CellKey {
                id: format!("{z}/{x}/{y}"),
                location: geotile_centre(z, x, y),
                country: None,
                continent: None,
            }),
            Err(_) => Placed::Reread,
        },
        Cell::Country => {
            // Empty means missing (placed by GeoIP); a bad code is the reader's to report.
            let Ok(cc) = CountryCode::new(key.trim()) else {
                return Placed::Reread;
            };
            match countries.get(cc) {
                Some(c) => Placed::At(CellKey {
                    id: cc.to_string(),
                    location: c.location,
                    country: Some(cc),
                    continent: Some(c.continent),
                }),
                None => Placed::Unlocated(format!("country {cc} not in the country table")),
            }
        }
    }
}
