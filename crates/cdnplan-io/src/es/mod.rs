//! Demand straight from Elasticsearch / OpenSearch.
//!
//! Request logs often live in a cluster (Argus wrote to the `distributor-node` index in 2023
//! and to `logs-argus-<node>` data streams since November 2023). This module reads them
//! there, in one of two ways:
//!
//! * **push-down** (the default when the field mapping has a geo point or a country field the
//!   cluster maps as `geo_point` / `keyword`): the cluster aggregates. Each matched index's
//!   mapping decides which field holds each value (module `layout`); per group of indices that
//!   agree, a composite aggregation keyed by cell — `geotile_grid` on the geo point at the
//!   chosen zoom, or `terms` on the country — and client address, with the byte sum, is paged
//!   with `after_key` until a page comes back empty. The addresses are canonicalised here and
//!   join each cell's client set, so distinct clients are exact. The documents the cluster
//!   cannot aggregate exactly (no cell field, values beyond `ignore_above` or text-only,
//!   unmapped fields kept in `_source`, empty countries) are read raw into the same
//!   aggregator and placed by GeoIP, as the log reader would place them: the cells equal the
//!   log reader's for the same documents.
//! * **raw** (logs with client addresses only, or `EsMode::Raw`): the documents, `_source`
//!   filtered to the mapped fields, paged with a point in time and `search_after`
//!   (Elasticsearch ≥ 7.12, OpenSearch ≥ 2.4) or a scroll on older clusters, in parallel
//!   slices, into the log reader's own workers and GeoIP cache.
//!
//! Both modes send the same filter: the time window, the status codes, the asset-path test
//! (as a `regexp`) and an optional query string. Every request is retried with exponential
//! backoff and jitter on 429, 5xx, timeouts and dropped connections; a page is retried from
//! the same `after_key` / sort values and never skipped. [`EsReport`] counts pages,
//! documents, retries and bytes received. [`snapshot`] writes the matched documents to a
//! gzip NDJSON file that the log reader replays offline.
//!
//! The client's async runtime stays inside this module: [`EsClient`] is blocking.
//!
//! ```no_run
//! use cdnplan_core::{CellKind, Countries, NoProgress};
//! use cdnplan_io::es::{self, EsClient, EsConnection, EsQuery};
//! use cdnplan_io::logs::{IngestOptions, LogFilter, Preset};
//!
//! let client = EsClient::connect(&EsConnection::url("http://localhost:9200")?.with_env()?)?;
//! let query = EsQuery::new("logs-argus-*");
//! let opts = IngestOptions::new(Preset::Ecs)
//!     .cells(CellKind::Geotile { zoom: 6 })
//!     .filter(LogFilter::default().since("2024-01-01")?);
//! let got = es::demand(&client, &query, &opts, None, &Countries::default(), &NoProgress)?;
//! eprintln!("{}", got.es);
//! # Ok::<(), cdnplan_io::Error>(())
//! ```

mod client;
mod config;
pub(crate) mod error;
mod fields;
mod layout;
mod plan;
mod pushdown;
mod raw;
mod transport;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use cdnplan_core::{Countries, Demand, DemandAggregator, Progress};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use client::{ClusterInfo, Engine, EsClient};
pub use config::{DEFAULT_MAX_BODY_BYTES, EsAuth, EsConnection, Secret};
pub use error::EsError;
pub use raw::release_open_contexts;

use crate::error::{Error, Result};
use crate::geoip::GeoIp;
use crate::logs::{IngestOptions, IngestReport, format_ms};
use fields::FieldCaps;
use plan::{Plan, Route};

/// Push the aggregation down, read raw documents, or choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EsMode {
    /// Push down when the mapping has a usable geo point (geotile cells) or country field
    /// (country cells), else raw (default).
    #[default]
    Auto,
    /// Aggregate in the cluster; an error when the mapping cannot.
    PushDown,
    /// Read the documents and place clients by GeoIP.
    Raw,
}

impl fmt::Display for EsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EsMode::Auto => "auto",
            EsMode::PushDown => "push-down",
            EsMode::Raw => "raw",
        })
    }
}

impl FromStr for EsMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "auto" => Ok(EsMode::Auto),
            "push-down" | "pushdown" | "aggregate" => Ok(EsMode::PushDown),
            "raw" | "documents" => Ok(EsMode::Raw),
            _ => Err(Error::Config(format!(
                "unknown Elasticsearch mode {s:?} (auto, push-down or raw)"
            ))),
        }
    }
}

/// How documents or buckets were paged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Paging {
    /// Composite aggregation with `after_key`.
    Composite,
    /// Point in time with `search_after`.
    Pit,
    /// Scroll.
    Scroll,
}

impl fmt::Display for Paging {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Paging::Composite => "composite aggregation (after_key)",
            Paging::Pit => "point in time + search_after",
            Paging::Scroll => "scroll",
        })
    }
}

/// What to read: index pattern, mode and paging. The time window, status codes, asset-path
/// test, field mapping and cell kind come from the [`IngestOptions`] shared with the log
/// reader.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EsQuery {
    /// Index, data stream, alias or pattern (`distributor-node`, `logs-argus-*`).
    pub index: String,
    /// An extra filter in query-string syntax (`fields.label:PublicApi`).
    pub query_string: Option<String>,
    /// Buckets or documents per page (default 1000).
    pub page_size: usize,
    /// Push-down, raw or automatic.
    pub mode: EsMode,
    /// Parallel slices in raw mode (default 2).
    pub slices: u32,
    /// How long the cluster keeps a point in time or scroll between pages (default `2m`).
    pub keep_alive: String,
    /// Page raw documents with a scroll even where a point in time is available (for users
    /// without the privilege to open one).
    pub scroll: bool,
}

impl EsQuery {
    /// Reads `index` with the defaults.
    pub fn new(index: impl Into<String>) -> Self {
        EsQuery {
            index: index.into(),
            query_string: None,
            page_size: 1000,
            mode: EsMode::Auto,
            slices: 2,
            keep_alive: "2m".into(),
            scroll: false,
        }
    }

    /// Adds a query-string filter.
    pub fn query_string(mut self, q: impl Into<String>) -> Self {
        self.query_string = Some(q.into());
        self
    }

    /// Sets the page size (at least 1).
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = n.max(1);
        self
    }

    /// Sets the mode.
    pub fn mode(mut self, mode: EsMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the number of slices (at least 1).
    pub fn slices(mut self, n: u32) -> Self {
        self.slices = n.max(1);
        self
    }

    /// Pages raw documents with a scroll (`true`) or a point in time where available.
    pub fn scroll(mut self, yes: bool) -> Self {
        self.scroll = yes;
        self
    }

    /// Sets the keep-alive of points in time and scrolls (`30s`, `5m`).
    pub fn keep_alive(mut self, ka: impl Into<String>) -> Self {
        self.keep_alive = ka.into();
        self
    }
}

/// What a read from the cluster did: the route taken and the traffic it cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EsReport {
    /// Engine and version.
    pub cluster: ClusterInfo,
    /// The index pattern read.
    pub index: String,
    /// `push-down` or `raw`.
    pub mode: EsMode,
    /// How pages were fetched, in order.
    pub paging: Vec<Paging>,
    /// Pages received (composite pages and document pages).
    pub pages: u64,
    /// Documents received (raw mode and the raw read of documents lacking the cell field).
    pub documents: u64,
    /// Composite buckets received.
    pub buckets: u64,
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Requests repeated after a 429, a 5xx, a timeout or a dropped connection.
    pub retries: u64,
    /// Bytes of response bodies received.
    pub bytes_received: u64,
    /// The cluster field used for each request field.
    pub fields: BTreeMap<String, String>,
    /// Things worth knowing (alternatives not used, a node field not mapped, …).
    pub notes: Vec<String>,
}

impl fmt::Display for EsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let paging: Vec<String> = self.paging.iter().map(ToString::to_string).collect();
        writeln!(
            f,
            "{} index {:?}: {} via {}",
            self.cluster,
            self.index,
            self.mode,
            paging.join(", then ")
        )?;
        writeln!(
            f,
            "{} pages, {} buckets, {} documents; {} requests ({} retried), {} bytes received",
            self.pages,
            self.buckets,
            self.documents,
            self.requests,
            self.retries,
            self.bytes_received
        )?;
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        Ok(())
    }
}

/// The demand read from a cluster, the log reader's report of it, and the traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct EsIngested {
    /// The demand cells.
    pub demand: Demand,
    /// What was counted, as the log reader reports it.
    pub report: IngestReport,
    /// Route and traffic.
    pub es: EsReport,
}

/// Reads demand from the documents of `query.index` that pass `options.filter`, keyed by
/// `options.cells`, with `options.mapping` naming the fields.
///
/// `geoip` places clients in raw mode and documents lacking the cell field in push-down
/// mode; push-down on documents that all carry the cell field needs none. `countries` gives
/// country cells their point.
///
/// # Errors
/// [`Error::Es`] with [`EsError::Unauthorized`], [`EsError::IndexNotFound`],
/// [`EsError::FieldMissing`] (listing the mapping's fields), [`EsError::FieldType`],
/// [`EsError::Unreachable`] after the retries, or [`EsError::Server`]; [`Error::Config`] when
/// raw reading is needed and `geoip` is `None`; and the log reader's errors for bad
/// documents in strict mode.
pub fn demand(
    client: &EsClient,
    query: &EsQuery,
    options: &IngestOptions,
    geoip: Option<&GeoIp>,
    countries: &Countries,
    progress: &dyn Progress,
) -> Result<EsIngested> {
    let before = client.traffic();
    let caps = client.block_on(FieldCaps::fetch(client.inner(), &query.index))?;
    let maps = client.block_on(layout::fetch(client.inner(), &query.index))?;
    let plan = Plan::new(&caps, &maps, query, options)?;
    let mut es = EsReport {
        cluster: client.cluster().clone(),
        index: query.index.clone(),
        mode: EsMode::Raw,
        paging: Vec::new(),
        pages: 0,
        documents: 0,
        buckets: 0,
        requests: 0,
        retries: 0,
        bytes_received: 0,
        fields: plan
            .fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        notes: plan.notes.clone(),
    };
    let need_geoip = |what: &str| {
        Error::Config(format!(
            "{what}: clients must be placed by GeoIP, so a GeoIP database is needed (the `geoip` setting)"
        ))
    };
    let (demand, report) = match plan.route {
        Route::Raw => {
            let geoip = geoip.ok_or_else(|| need_geoip("raw mode"))?;
            let (got, run) = raw::read(
                client, &plan, None, query, options, geoip, countries, None, None, progress,
            )?;
            es.paging.push(run.paging);
            es.pages += run.pages;
            es.documents += run.docs;
            (got.demand, got.report)
        }
        Route::PushDown { cell } => {
            es.mode = EsMode::PushDown;
            es.paging.push(Paging::Composite);
            let mut agg = DemandAggregator::new(options.cells);
            progress.begin(&format!("aggregating in {}", plan.index), None);
            let pd = client.block_on(pushdown::run(
                client.inner(),
                &plan,
                cell,
                options,
                query.query_string.as_deref(),
                countries,
                query.page_size,
                &mut agg,
                progress,
            ));
            progress.end();
            let pd = pd?;
            es.pages += pd.pages;
            es.buckets += pd.buckets;
            for (&h, c) in &pd.hourly.hours {
                agg.record_hour(h, c.requests, c.bytes);
            }
            let mut report = IngestReport {
                records: pd.counted,
                requests_counted: pd.counted,
                unlocated_requests: pd.unlocated.values().sum(),
                unlocated_clients: pd.unlocated_clients.len() as u64,
                unlocated_by_reason: pd.unlocated.clone(),
                requests_without_bytes: pd.without_bytes,
                requests_by_node: pd.by_node.clone(),
                first_request: pd.first_ms.map(format_ms),
                last_request: pd.last_ms.map(format_ms),
                ..Default::default()
            };
            let rest = layout::or(pd.raw.clone());
            let left = client.block_on(raw::count(client.inner(), &plan.index, &rest))?;
            let demand = if left > 0 {
                let geoip = geoip.ok_or_else(|| {
                    need_geoip(&format!(
                        "{left} documents cannot be aggregated exactly in the cluster"
                    ))
                })?;
                es.notes.push(raw_note(left, &pd));
                let (got, run) = raw::read(
                    client,
                    &plan,
                    Some(rest),
                    query,
                    options,
                    geoip,
                    countries,
                    Some(agg),
                    Some(left),
                    progress,
                )?;
                es.paging.push(run.paging);
                es.pages += run.pages;
                es.documents += run.docs;
                absorb(&mut report, got.report);
                got.demand
            } else {
                agg.finish()
            };
            report.busiest_hour = demand.busiest_hour();
            (demand, report)
        }
    };
    if demand.cells.is_empty() {
        let outside = outside_window(client, &plan, options);
        return Err(Error::Model(cdnplan_core::Error::EmptyDemand(format!(
            "no request was placed in a demand cell: {} requests matched in {:?} ({} unlocated){}; filters: {}{outside}",
            report.requests_counted,
            query.index,
            report.unlocated_requests,
            report.filtered_phrase(),
            options.filter.describe(),
        ))));
    }
    let after = client.traffic();
    es.requests = after.0 - before.0;
    es.retries = after.1 - before.1;
    es.bytes_received = after.2 - before.2;
    Ok(EsIngested { demand, report, es })
}

/// Why documents were read raw in a push-down.
fn raw_note(left: u64, pd: &pushdown::PushDown) -> String {
    let mut why = vec![
        "a cell, client, URL, byte or node value the mapping cannot hold whole (missing, unmapped, text-only or beyond ignore_above)".to_string(),
    ];
    if let Some(n) = pd.reread_values.get("cell") {
        why.push(format!(
            "{n} cell value(s) read otherwise by the log reader (empty or not a code)"
        ));
    }
    if let Some(n) = pd.reread_values.get("client") {
        why.push(format!("{n} client value(s) that are not one address"));
    }
    format!(
        "{left} documents were read raw and placed as the log reader places them: {}",
        why.join("; ")
    )
}

/// With a time window: what the index holds outside it (`; the index has N documents from
/// A to B, outside the window`), or nothing.
fn outside_window(client: &EsClient, plan: &Plan, options: &IngestOptions) -> String {
    let f = &options.filter;
    let Some(ts) = plan.field("timestamp") else {
        return String::new();
    };
    if f.since_ms.is_none() && f.until_ms.is_none() {
        return String::new();
    }
    let body = json!({
        "size": 0,
        "track_total_hits": true,
        "aggs": {"first": {"min": {"field": ts}}, "last": {"max": {"field": ts}}},
    });
    let path = format!("/{}/_search", plan.index);
    let Ok(v) = client.block_on(client.inner().call_json(
        client::Method::Post,
        &path,
        &[],
        Some(&body),
        true,
    )) else {
        return String::new();
    };
    let total = v["hits"]["total"]["value"]
        .as_u64()
        .or_else(|| v["hits"]["total"].as_u64())
        .unwrap_or(0);
    let ms = |k: &str| {
        v["aggregations"][k]["value"]
            .as_f64()
            .map(|x| format_ms(x as i64))
    };
    match (total, ms("first"), ms("last")) {
        (0, ..) => String::new(),
        (n, Some(a), Some(b)) => format!(
            "; the index has {n} documents from {a} to {b}, none of them counted in the window"
        ),
        (n, ..) => format!("; the index has {n} documents, none of them counted in the window"),
    }
}

/// Adds the raw read's counts to the push-down report.
fn absorb(r: &mut IngestReport, raw: IngestReport) {
    r.lines += raw.lines;
    r.records += raw.records;
    r.requests_counted += raw.requests_counted;
    r.unlocated_requests += raw.unlocated_requests;
    r.unlocated_clients += raw.unlocated_clients;
    r.skipped_malformed += raw.skipped_malformed;
    r.requests_without_bytes += raw.requests_without_bytes;
    r.requests_at_country_point += raw.requests_at_country_point;
    r.bytes_read += raw.bytes_read;
    r.bytes_decoded += raw.bytes_decoded;
    for (k, v) in raw.filtered_out {
        *r.filtered_out.entry(k).or_insert(0) += v;
    }
    for (k, v) in raw.unlocated_by_reason {
        *r.unlocated_by_reason.entry(k).or_insert(0) += v;
    }
    for (k, v) in raw.skipped_by_reason {
        *r.skipped_by_reason.entry(k).or_insert(0) += v;
    }
    for (k, v) in raw.requests_by_node {
        *r.requests_by_node.entry(k).or_insert(0) += v;
    }
    let ms = |t: &Option<String>| t.as_deref().and_then(|t| crate::logs::parse_time(t).ok());
    let (a, b) = (ms(&r.first_request), ms(&raw.first_request));
    if let Some(x) = [a, b].into_iter().flatten().min() {
        r.first_request = Some(format_ms(x));
    }
    let (a, b) = (ms(&r.last_request), ms(&raw.last_request));
    if let Some(x) = [a, b].into_iter().flatten().max() {
        r.last_request = Some(format_ms(x));
    }
    r.unlocated_examples.extend(raw.unlocated_examples);
    r.skipped_examples.extend(raw.skipped_examples);
}

/// Writes the `_source` of every document matching `query` and `options.filter` to `path`
/// as gzip NDJSON, one document per line, so that the log reader can replay it offline with
/// the same preset (`cdnplan demand --preset ecs snapshot.ndjson.gz`). `_source` is filtered
/// to the mapped fields unless `all_fields`. The file is written to a temporary name and
/// renamed into place.
///
/// # Errors
/// As [`demand`], and [`Error::Io`] naming `path`.
pub fn snapshot(
    client: &EsClient,
    query: &EsQuery,
    options: &IngestOptions,
    path: &Path,
    all_fields: bool,
    progress: &dyn Progress,
) -> Result<EsReport> {
    let before = client.traffic();
    let caps = client.block_on(FieldCaps::fetch(client.inner(), &query.index))?;
    let maps = client.block_on(layout::fetch(client.inner(), &query.index))?;
    let mut plan = Plan::new(&caps, &maps, &query.clone().mode(EsMode::Raw), options)?;
    if all_fields {
        plan.source = vec!["*".into()];
    }
    let total = client.block_on(raw::count(client.inner(), &plan.index, &plan.query))?;
    let counts = Arc::new(raw::Counts::matching(total));
    progress.begin(&format!("exporting {}", plan.index), Some(total));
    let mut paging = Paging::Pit;
    let mut es_err: Option<EsError> = None;
    let written = crate::output::write_atomic_with(path, |w| {
        let mut gz = flate2::write::GzEncoder::new(w, flate2::Compression::default());
        let mut io_err: Option<std::io::Error> = None;
        let mut line = Vec::with_capacity(1024);
        let mut send = |page: Vec<u8>| -> bool {
            #[derive(Deserialize)]
            struct Page<'a> {
                #[serde(borrow)]
                hits: Hits<'a>,
            }
            #[derive(Deserialize)]
            struct Hits<'a> {
                #[serde(borrow)]
                hits: Vec<Hit<'a>>,
            }
            #[derive(Deserialize)]
            struct Hit<'a> {
                #[serde(borrow, rename = "_source")]
                source: Option<&'a serde_json::value::RawValue>,
            }
            let Ok(p) = serde_json::from_slice::<Page<'_>>(&page) else {
                return true;
            };
            for h in p.hits.hits {
                let Some(src) = h.source else { continue };
                line.clear();
                line.extend_from_slice(src.get().as_bytes());
                line.push(b'\n');
                if let Err(e) = gz.write_all(&line) {
                    io_err = Some(e);
                    return false;
                }
            }
            true
        };
        let (p, r) = client.block_on(raw::page_all(
            client,
            &plan,
            &plan.query,
            query,
            &counts,
            progress,
            &mut send,
        ));
        paging = p;
        if let Err(e) = r {
            es_err = Some(e);
            return Err(std::io::Error::other("the export failed"));
        }
        if let Some(e) = io_err {
            return Err(e);
        }
        gz.finish().map(|_| ())
    });
    progress.end();
    if let Some(e) = es_err {
        return Err(Error::Es(e));
    }
    written?;
    let after = client.traffic();
    Ok(EsReport {
        cluster: client.cluster().clone(),
        index: query.index.clone(),
        mode: EsMode::Raw,
        paging: vec![paging],
        pages: counts.pages.load(std::sync::atomic::Ordering::Relaxed),
        documents: counts.docs.load(std::sync::atomic::Ordering::Relaxed),
        buckets: 0,
        requests: after.0 - before.0,
        retries: after.1 - before.1,
        bytes_received: after.2 - before.2,
        fields: plan
            .fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        notes: plan.notes.clone(),
    })
}
