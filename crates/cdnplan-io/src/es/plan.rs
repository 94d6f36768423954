//! From the field mapping, the filters and the index mappings to one query plan: the fields
//! resolved in each index ([`Group`]s of indices that agree), the mode (push-down or raw) and
//! the filter the raw read sends.

use std::collections::BTreeMap;

use cdnplan_core::CellKind;
use serde_json::{Value, json};

use super::error::EsError;
use super::fields::{FieldCaps, Want};
use super::layout::{self, Group, IndexMap, SlotRes, and, or};
use super::{EsMode, EsQuery};
use crate::logs::mapping::{INDEX_FIELD, node_from_index};
use crate::logs::{FieldSpec, IngestOptions};

/// How the demand is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// Composite aggregations by cell and client (a geotile_grid on a geo_point or terms on a
    /// country), the documents the cluster cannot aggregate exactly read raw.
    PushDown { cell: Cell },
    /// Raw documents through the log reader.
    Raw,
}

/// The cell kind of a push-down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cell {
    Geotile { zoom: u8 },
    Country,
}

impl Cell {
    /// The composite source on `field`.
    pub(crate) fn source(self, field: &str) -> Value {
        match self {
            Cell::Geotile { zoom } => {
                json!({"cell": {"geotile_grid": {"field": field, "precision": zoom}}})
            }
            Cell::Country => json!({"cell": {"terms": {"field": field}}}),
        }
    }
}

/// Lucene regexp equivalent of [`crate::logs::is_asset_request`]: an optional
/// `scheme://host`, an optional `/distributor`, `/api/v1/assets/<id>`, an optional `?…`/`#…`.
pub(crate) const ASSET_REGEXP: &str =
    "([a-zA-Z][a-zA-Z0-9+.\\-]*://[^/]*)?(/distributor)?/api/v1/assets/[^/?#]+([?#].*)?";

#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) index: String,
    pub(crate) route: Route,
    /// Resolved fields by request-field name (as most indices have them; for the report).
    pub(crate) fields: BTreeMap<&'static str, String>,
    /// Each set of indices with its own field resolution.
    pub(crate) groups: Vec<Group>,
    /// The raw read's filter: a superset of the documents the log reader counts (it filters
    /// again), tight where the mapping allows.
    pub(crate) query: Value,
    /// Mapping paths to fetch in raw mode (`_source` filtering).
    pub(crate) source: Vec<String>,
    /// The serving node is the index name ([`node_from_index`]): the mapping names `_index`
    /// as the node, or its node field is unmapped and the indices are data streams.
    pub(crate) node_from_index: bool,
    /// Data streams with a mapped node field: a document without one is counted for the node
    /// its index name stands for.
    pub(crate) node_index_fallback: bool,
    pub(crate) notes: Vec<String>,
}

impl Plan {
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// `_index` terms limiting a query to group `g` (none when there is one group).
    pub(crate) fn scope(&self, g: &Group) -> Option<Value> {
        (self.groups.len() > 1).then(|| json!({"terms": {INDEX_FIELD: g.indices}}))
    }

    /// The log reader's filter as the cluster evaluates it on the clean documents of `g`:
    /// the group's indices (by `_index`: searching them by name would bypass an alias's
    /// filter), window, status, asset path and query string.
    pub(crate) fn exact_filter(&self, g: &Group, opts: &IngestOptions, qs: Option<&str>) -> Value {
        let mut all: Vec<Value> = self.scope(g).into_iter().collect();
        all.extend(filters(g, opts, false));
        all.extend(query_string(qs));
        and(all)
    }

    /// The documents of `g` the cluster holds every needed value of exactly.
    pub(crate) fn clean(&self, g: &Group) -> Value {
        let mut all = vec![g.timestamp.clean(true), g.client_ip.clean(false)];
        all.push(g.bytes.clean(true));
        for s in [&g.url, &g.status, &g.node].into_iter().flatten() {
            all.push(s.clean(true));
        }
        if let Some(c) = &g.cell {
            all.push(c.clean(false));
        }
        and(all)
    }

    /// True when no document of `g` is clean: there is nothing to aggregate.
    pub(crate) fn never_clean(&self, g: &Group) -> bool {
        let optional = [&g.url, &g.status, &g.node];
        g.timestamp.never_clean(true)
            || g.client_ip.never_clean(false)
            || g.bytes.never_clean(true)
            || optional.into_iter().flatten().any(|s| s.never_clean(true))
            || g.cell.as_ref().is_none_or(|c| c.never_clean(false))
    }

    pub(crate) fn new(
        caps: &FieldCaps,
        maps: &[IndexMap],
        q: &EsQuery,
        opts: &IngestOptions,
    ) -> Result<Plan, EsError> {
        let m = &opts.mapping;
        let f = &opts.filter;
        if let (Some(a), Some(b)) = (f.since_ms, f.until_ms)
            && a >= b
        {
            return Err(EsError::Config(format!(
                "the time window is empty: `since` ({}) is not before `until` ({})",
                crate::logs::format_ms(a),
                crate::logs::format_ms(b)
            )));
        }
        let mut fields = BTreeMap::new();
        let mut notes = Vec::new();
        // What the filters need, whatever the mode.
        if f.since_ms.is_some() || f.until_ms.is_some() {
            fields.insert(
                "timestamp",
                caps.require(&m.timestamp, "timestamp", Want::Date)?,
            );
        } else if let Some(t) = caps.resolve(&m.timestamp, "timestamp", Want::Date)? {
            fields.insert("timestamp", t);
        }
        if f.assets_only {
            // Any type will do: where the cluster cannot test the path, the reader does.
            let present = m.url.paths.iter().find(|p| caps.fields.contains_key(*p));
            match present {
                Some(p) => {
                    let field = caps
                        .resolve(&FieldSpec::new(p.clone()), "url", Want::Keyword)
                        .ok()
                        .flatten()
                        .unwrap_or_else(|| p.clone());
                    fields.insert("url", field);
                }
                None => return Err(missing(caps, &m.url, "url")),
            }
        }
        if !f.status.is_all() {
            fields.insert(
                "status",
                caps.require(&m.status, "status", Want::NumberOrKeyword)?,
            );
        }
        // The serving node: a mapped field, else the index name of data streams.
        let explicit_index = m
            .node
            .as_ref()
            .is_some_and(|n| n.paths.iter().any(|p| p == INDEX_FIELD));
        let node_mapped = match &m.node {
            Some(n) if !explicit_index => n.paths.iter().any(|p| caps.fields.contains_key(p)),
            _ => false,
        };
        let streams = !caps.indices.is_empty()
            && caps.indices.iter().all(|i| {
                i.trim_start_matches(".ds-").starts_with("logs-") && node_from_index(i) != i
            });
        let node_from_index = explicit_index || (!node_mapped && streams);
        let node_index_fallback = !explicit_index && node_mapped && streams;
        if node_from_index {
            if !explicit_index {
                notes.push(format!(
                    "{}: the serving node is taken from the index name (logs-<dataset>-<node>)",
                    match &m.node {
                        Some(n) => format!("node field `{n}` is not in the mapping"),
                        None => "the mapping names no node field".to_string(),
                    }
                ));
            }
        } else if node_index_fallback {
            notes.push(format!(
                "documents without `{}` are counted for the node their index name stands for (logs-<dataset>-<node>)",
                m.node.as_ref().map(FieldSpec::display).unwrap_or_default()
            ));
        } else if !node_mapped && let Some(n) = &m.node {
            notes.push(format!(
                "node field `{n}` is not in the mapping: requests by node not counted"
            ));
        }
        if let Some(n) = &m.node
            && !explicit_index
            && let Ok(Some(field)) = caps.resolve(n, "node", Want::Keyword)
        {
            fields.insert("node", field);
        } else if node_from_index {
            fields.insert("node", INDEX_FIELD.to_string());
        }
        if let Ok(Some(ip)) = caps.resolve(&m.client_ip, "client_ip", Want::IpOrKeyword) {
            fields.insert("client_ip", ip);
        }
        if let Ok(Some(b)) = caps.resolve(&m.bytes, "bytes", Want::Number) {
            fields.insert("bytes", b);
        }
        // The cell source, when the documents carry one (raw mode never needs it).
        let (cell_spec, cell_want, cell, slot) = match opts.cells {
            CellKind::Geotile { zoom } => (
                m.geo_location.as_ref(),
                Want::GeoPoint,
                Some(Cell::Geotile { zoom }),
                "geo_location",
            ),
            CellKind::Country => (
                m.country.as_ref(),
                Want::Keyword,
                Some(Cell::Country),
                "country",
            ),
            _ => (None, Want::Keyword, None, "cell"),
        };
        let node_spec = if explicit_index {
            None
        } else {
            m.node.as_ref()
        };
        let groups = layout::group(maps, |i| Group {
            indices: Vec::new(),
            timestamp: SlotRes::new(i, &m.timestamp, Want::Date),
            url: f
                .assets_only
                .then(|| SlotRes::new(i, &m.url, Want::Keyword)),
            status: (!f.status.is_all()).then(|| SlotRes::new(i, &m.status, Want::NumberOrKeyword)),
            client_ip: SlotRes::new(i, &m.client_ip, Want::IpOrKeyword),
            bytes: SlotRes::new(i, &m.bytes, Want::Number),
            cell: match (q.mode, cell_spec) {
                (EsMode::Raw, _) | (_, None) => None,
                (_, Some(s)) => Some(SlotRes::new(i, s, cell_want)),
            },
            node: node_spec.map(|n| SlotRes::new(i, n, Want::Keyword)),
        });
        let usable = groups.iter().any(|g| {
            g.cell
                .as_ref()
                .is_some_and(|c| c.alts.iter().any(|a| a.field.is_some()))
        });
        let route = match (q.mode, cell, cell_spec) {
            (EsMode::Raw, _, _) => Route::Raw,
            (_, Some(cell), Some(_)) if usable => Route::PushDown { cell },
            (mode, _, spec) => {
                // Why not: no field in the mapping, or one of a type the cluster cannot group.
                let why = match spec {
                    None if cell.is_none() => EsError::Config(format!(
                        "cannot push down: {} cells need GeoIP names; read the documents raw (Elasticsearch mode `raw`)",
                        opts.cells
                    )),
                    None => EsError::Config(format!(
                        "cannot push down: {} cells need a {slot} field in the mapping; read the documents raw (Elasticsearch mode `raw`)",
                        opts.cells
                    )),
                    Some(s) => match caps.resolve(s, slot, cell_want) {
                        // The advice must work when followed: raw mode never checks the cell.
                        Err(EsError::FieldType {
                            field,
                            slot,
                            index,
                            got,
                            ..
                        }) => EsError::FieldType {
                            field,
                            slot,
                            index,
                            got,
                            want: match cell_want {
                                Want::GeoPoint => {
                                    "`geo_point` (map it so, or set the Elasticsearch mode `raw` to place clients by GeoIP)"
                                }
                                _ => {
                                    "`keyword` or `text` with a `.keyword` sub-field (map it so, or set the Elasticsearch mode `raw` to place clients by GeoIP)"
                                }
                            },
                        },
                        Err(e) => e,
                        Ok(_) => missing(caps, s, slot),
                    },
                };
                if mode == EsMode::PushDown {
                    return Err(why);
                }
                if spec.is_some_and(|s| s.paths.iter().any(|p| caps.fields.contains_key(p))) {
                    notes.push(format!("read raw: {why}"));
                }
                Route::Raw
            }
        };
        let mut source: Vec<String> = m
            .slots()
            .into_iter()
            .flat_map(|(_, s)| s.paths.iter().cloned())
            .filter(|p| p != INDEX_FIELD)
            .collect();
        source.sort();
        source.dedup();
        let mut plan = Plan {
            index: q.index.clone(),
            route,
            fields,
            groups,
            query: Value::Null,
            source,
            node_from_index,
            node_index_fallback,
            notes,
        };
        plan.query = plan.loose_query(opts, q.query_string.as_deref());
        Ok(plan)
    }

    /// The raw read's filter over every group (see [`Plan::query`]): any group's superset,
    /// unscoped (a superset of each group's documents still), each distinct one once.
    pub(crate) fn loose_query(&self, opts: &IngestOptions, qs: Option<&str>) -> Value {
        let mut per_group: Vec<Value> = Vec::new();
        for g in &self.groups {
            let q = and(filters(g, opts, true));
            if !per_group.contains(&q) {
                per_group.push(q);
            }
        }
        let mut all = vec![or(per_group)];
        all.extend(query_string(qs));
        and(all)
    }

    /// The raw read's filter limited to the documents of `g` that are not clean.
    pub(crate) fn unclean_query(&self, g: &Group, opts: &IngestOptions, qs: Option<&str>) -> Value {
        let mut all: Vec<Value> = self.scope(g).into_iter().collect();
        all.extend(filters(g, opts, true));
        all.extend(query_string(qs));
        all.push(layout::not(self.clean(g)));
        and(all)
    }
}

fn missing(caps: &FieldCaps, spec: &FieldSpec, slot: &'static str) -> EsError {
    EsError::FieldMissing {
        field: spec.display(),
        slot,
        index: caps.index.clone(),
        available: caps.listing(40),
    }
}

fn query_string(qs: Option<&str>) -> Option<Value> {
    qs.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|qs| json!({"query_string": {"query": qs}}))
}

/// The time window, status codes and asset-path test in `g`: exactly on clean documents, or
/// (`loose`) also passing every document the cluster cannot test.
fn filters(g: &Group, opts: &IngestOptions, loose: bool) -> Vec<Value> {
    let f = &opts.filter;
    let apply = |s: &SlotRes, test: &dyn Fn(&str) -> Value| {
        if loose { s.loose(test) } else { s.test(test) }
    };
    let mut out = Vec::new();
    if f.since_ms.is_some() || f.until_ms.is_some() {
        out.push(apply(&g.timestamp, &|ts| {
            let mut r = serde_json::Map::new();
            if let Some(s) = f.since_ms {
                r.insert("gte".into(), json!(s));
            }
            if let Some(u) = f.until_ms {
                r.insert("lt".into(), json!(u));
            }
            r.insert("format".into(), json!("epoch_millis"));
            json!({"range": {ts: r}})
        }));
    }
    if let Some(st) = &g.status
        && !f.status.is_all()
    {
        out.push(apply(st, &|field| {
            let should: Vec<Value> = f
                .status
                .ranges()
                .iter()
                .map(|&(a, b)| json!({"range": {field: {"gte": a, "lte": b}}}))
                .collect();
            json!({"bool": {"should": should, "minimum_should_match": 1}})
        }));
    }
    if let Some(url) = &g.url
        && f.assets_only
    {
        out.push(apply(
            url,
            &|field| json!({"regexp": {field: {"value": ASSET_REGEXP, "flags": "NONE"}}}),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::es::layout::MField;
    use crate::logs::{FieldSpec, LogFilter, Preset};

    fn caps(pairs: &[(&str, &str)]) -> (FieldCaps, Vec<IndexMap>) {
        caps_in(pairs, &["logs"])
    }

    fn caps_in(pairs: &[(&str, &str)], indices: &[&str]) -> (FieldCaps, Vec<IndexMap>) {
        let c = FieldCaps {
            index: "logs".into(),
            fields: pairs
                .iter()
                .map(|(k, t)| (k.to_string(), vec![t.to_string()]))
                .collect(),
            indices: indices.iter().map(|s| s.to_string()).collect(),
        };
        let maps = indices
            .iter()
            .map(|name| IndexMap {
                name: name.to_string(),
                fields: pairs
                    .iter()
                    .map(|(k, t)| {
                        let ignore_above = k.ends_with(".keyword").then_some(256);
                        (
                            k.to_string(),
                            MField {
                                ty: t.to_string(),
                                ignore_above,
                            },
                        )
                    })
                    .collect(),
                hides: false,
            })
            .collect();
        (c, maps)
    }

    const ECS: [(&str, &str); 8] = [
        ("@timestamp", "date"),
        ("url.path", "keyword"),
        ("client.ip", "ip"),
        ("http.response.status_code", "long"),
        ("http.response.bytes", "long"),
        ("client.geo.location", "geo_point"),
        ("client.geo.country_iso_code", "keyword"),
        ("host.name", "keyword"),
    ];

    #[test]
    fn geo_fields_push_down_and_ip_only_logs_go_raw() {
        let q = EsQuery::new("logs-*");
        let opts = IngestOptions::new(Preset::Ecs).cells(CellKind::Geotile { zoom: 5 });
        let (c, m) = caps(&ECS);
        let p = Plan::new(&c, &m, &q, &opts).unwrap();
        assert_eq!(
            p.route,
            Route::PushDown {
                cell: Cell::Geotile { zoom: 5 }
            }
        );
        let (c, m) = caps(&[
            ("@timestamp", "date"),
            ("fields.meta.req.url", "text"),
            ("fields.meta.req.url.keyword", "keyword"),
            ("fields.meta.res.statusCode", "long"),
        ]);
        let argus = IngestOptions::new(Preset::Argus);
        let p = Plan::new(&c, &m, &q, &argus).unwrap();
        assert_eq!(p.route, Route::Raw);
        assert_eq!(p.field("url"), Some("fields.meta.req.url.keyword"));
        // The keyword sub-field drops URLs over 256 characters: those documents pass the
        // raw filter untested, so the reader sees them.
        let s = p.query.to_string();
        assert!(
            s.contains(r#""regexp":{"fields.meta.req.url.keyword""#)
                && s.contains(r#"{"exists":{"field":"fields.meta.req.url"}}"#),
            "{s}"
        );
        let e = Plan::new(&c, &m, &q.clone().mode(EsMode::PushDown), &argus);
        assert!(matches!(e, Err(EsError::Config(_))), "{e:?}");
    }

    /// Issue 16, defect 7: the advice a push-down error gives works when followed.
    #[test]
    fn issue_16_raw_mode_does_not_check_the_cell_field() {
        let mut f = ECS.to_vec();
        f[6] = ("client.geo.country_iso_code", "text");
        let (c, m) = caps(&f);
        let opts = IngestOptions::new(Preset::Ecs).cells(CellKind::Country);
        let e = Plan::new(&c, &m, &EsQuery::new("logs").mode(EsMode::PushDown), &opts)
            .unwrap_err()
            .to_string();
        assert!(e.contains("mode `raw`"), "{e}");
        let p = Plan::new(&c, &m, &EsQuery::new("logs").mode(EsMode::Raw), &opts).unwrap();
        assert_eq!(p.route, Route::Raw);
        // Auto falls back to raw and says why.
        let p = Plan::new(&c, &m, &EsQuery::new("logs"), &opts).unwrap();
        assert_eq!(p.route, Route::Raw);
        assert!(
            p.notes.iter().any(|n| n.contains("read raw")),
            "{:?}",
            p.notes
        );
    }

    #[test]
    fn an_empty_time_window_is_refused() {
        let (c, m) = caps(&ECS);
        let f = LogFilter::default()
            .since("2024-02-01")
            .unwrap()
            .until("2024-01-01")
            .unwrap();
        let opts = IngestOptions::new(Preset::Ecs).filter(f);
        let e = Plan::new(&c, &m, &EsQuery::new("logs"), &opts)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`since`") && e.contains("`until`"), "{e}");
    }

    #[test]
    fn data_streams_without_a_node_field_name_the_node_by_index() {
        let no_host: Vec<_> = ECS
            .iter()
            .copied()
            .filter(|(k, _)| *k != "host.name")
            .collect();
        let streams = [".ds-logs-argus-n1-2024.01.01-000001", "logs-argus-n2"];
        let (c, m) = caps_in(&no_host, &streams);
        let q = EsQuery::new("logs-argus-*");
        let opts = IngestOptions::new(Preset::Ecs).cells(CellKind::Geotile { zoom: 5 });
        let p = Plan::new(&c, &m, &q, &opts).unwrap();
        assert!(p.node_from_index && !p.node_index_fallback);
        assert_eq!(p.field("node"), Some("_index"));
        assert!(!p.source.iter().any(|s| s == "_index"));
        assert!(p.notes[0].contains("index name"), "{:?}", p.notes);
        // A plain index is not a data stream: no node.
        let (c, m) = caps_in(&no_host, &["distributor-node"]);
        let p = Plan::new(&c, &m, &q, &opts).unwrap();
        assert!(!p.node_from_index && p.field("node").is_none());
        // The mapping may ask for it by name.
        let mut mp = opts.mapping.clone();
        mp.node = Some(FieldSpec::new("_index"));
        let (c, m) = caps(&ECS);
        let p = Plan::new(&c, &m, &q, &opts.clone().mapping(mp)).unwrap();
        assert!(p.node_from_index);
        // A mapped node field wins over the index name; documents without it fall back.
        let (c, m) = caps_in(&ECS, &["logs-argus-n2"]);
        let p = Plan::new(&c, &m, &q, &opts).unwrap();
        assert_eq!(p.field("node"), Some("host.name"));
        assert!(p.node_index_fallback);
    }

    #[test]
    fn the_filter_query_carries_window_status_assets_and_query_string() {
        let opts = IngestOptions::new(Preset::Ecs).filter(
            LogFilter::default()
                .since("2023-05-01")
                .unwrap()
                .status("200-299,304".parse().unwrap()),
        );
        let q = EsQuery::new("logs").query_string("host.name:a*");
        let (c, m) = caps(&ECS);
        let p = Plan::new(&c, &m, &q, &opts).unwrap();
        let s = p.query.to_string();
        for want in [
            r#"{"range":{"@timestamp":{"format":"epoch_millis","gte":1682899200000}}}"#,
            r#"{"range":{"http.response.status_code":{"gte":304,"lte":304}}}"#,
            r#""regexp":{"url.path""#,
            r#"{"query_string":{"query":"host.name:a*"}}"#,
        ] {
            assert!(s.contains(want), "{want} in {s}");
        }
    }
}
