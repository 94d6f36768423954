//! From the field mapping, the filters and the index mapping to one query plan: the resolved
//! fields, the mode (push-down or raw) and the filter query both modes send.

use std::collections::BTreeMap;

use cdnplan_core::CellKind;
use serde_json::{Value, json};

use super::error::EsError;
use super::fields::{FieldCaps, Want};
use super::{EsMode, EsQuery};
use crate::logs::IngestOptions;
use crate::logs::mapping::{INDEX_FIELD, node_from_index};

/// How the demand is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// Composite aggregation on `cell` (a geotile_grid on a geo_point or terms on a country).
    PushDown { cell: Cell },
    /// Raw documents through the log reader.
    Raw,
}

/// The cell source of a push-down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cell {
    Geotile { field: String, zoom: u8 },
    Country { field: String },
}

impl Cell {
    pub(crate) fn field(&self) -> &str {
        match self {
            Cell::Geotile { field, .. } | Cell::Country { field } => field,
        }
    }

    /// The composite source.
    pub(crate) fn source(&self) -> Value {
        match self {
            Cell::Geotile { field, zoom } => {
                json!({"cell": {"geotile_grid": {"field": field, "precision": zoom, "missing_bucket": true}}})
            }
            Cell::Country { field } => {
                json!({"cell": {"terms": {"field": field, "missing_bucket": true}}})
            }
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
    /// Resolved fields by request-field name.
    pub(crate) fields: BTreeMap<&'static str, String>,
    /// The filter query.
    pub(crate) query: Value,
    /// Mapping paths to fetch in raw mode (`_source` filtering).
    pub(crate) source: Vec<String>,
    /// The serving node is the index name ([`node_from_index`]): the mapping names `_index`
    /// as the node, or its node field is unmapped and the indices are data streams.
    pub(crate) node_from_index: bool,
    pub(crate) notes: Vec<String>,
}

impl Plan {
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    pub(crate) fn new(
        caps: &FieldCaps,
        q: &EsQuery,
        opts: &IngestOptions,
    ) -> Result<Plan, EsError> {
        let m = &opts.mapping;
        let f = &opts.filter;
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
            fields.insert("url", caps.require(&m.url, "url", Want::Keyword)?);
        }
        if !f.status.is_all() {
            fields.insert(
                "status",
                caps.require(&m.status, "status", Want::NumberOrKeyword)?,
            );
        }
        // The cell source, when the documents carry one.
        let geo = m.geo_location.as_ref();
        let country = m.country.as_ref();
        let cell = match opts.cells {
            CellKind::Geotile { zoom } => match geo {
                Some(g) => caps
                    .resolve(g, "geo_location", Want::GeoPoint)?
                    .map(|field| Cell::Geotile { field, zoom }),
                None => None,
            },
            CellKind::Country => match country {
                Some(c) => caps
                    .resolve(c, "country", Want::Keyword)?
                    .map(|field| Cell::Country { field }),
                None => None,
            },
            _ => None,
        };
        let route = match (q.mode, cell) {
            (EsMode::Raw, _) => Route::Raw,
            (_, Some(cell)) => Route::PushDown { cell },
            (EsMode::PushDown, None) => {
                let why = match (opts.cells, geo, country) {
                    (CellKind::Geotile { .. }, None, _) => {
                        "geotile cells need a geo_location field in the mapping".to_string()
                    }
                    (CellKind::Geotile { .. }, Some(g), _) => {
                        return Err(missing(caps, g, "geo_location"));
                    }
                    (CellKind::Country, _, None) => {
                        "country cells need a country field in the mapping".to_string()
                    }
                    (CellKind::Country, _, Some(c)) => return Err(missing(caps, c, "country")),
                    _ => format!("{} cells need GeoIP names: use --es-mode raw", opts.cells),
                };
                return Err(EsError::Config(format!("cannot push down: {why}")));
            }
            (EsMode::Auto, None) => Route::Raw,
        };
        // The serving node: a mapped field, else the index name of data streams.
        let explicit_index = m
            .node
            .as_ref()
            .is_some_and(|n| n.paths.iter().any(|p| p == INDEX_FIELD));
        let node_field = match &m.node {
            Some(n) if !explicit_index => caps.resolve(n, "node", Want::Keyword)?,
            _ => None,
        };
        let streams = !caps.indices.is_empty()
            && caps.indices.iter().all(|i| {
                i.trim_start_matches(".ds-").starts_with("logs-") && node_from_index(i) != i
            });
        let node_from_index = explicit_index || (node_field.is_none() && streams);
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
        } else if node_field.is_none()
            && let Some(n) = &m.node
        {
            notes.push(format!(
                "node field `{n}` is not in the mapping: requests by node not counted"
            ));
        }
        if let Route::PushDown { .. } = route {
            fields.insert(
                "client_ip",
                caps.require(&m.client_ip, "client_ip", Want::IpOrKeyword)?,
            );
            fields.insert("bytes", caps.require(&m.bytes, "bytes", Want::Number)?);
            if node_from_index {
                fields.insert("node", INDEX_FIELD.to_string());
            } else if let Some(field) = node_field {
                fields.insert("node", field);
            }
            for (slot, spec) in m.slots() {
                let mapped: Vec<&String> = spec
                    .paths
                    .iter()
                    .filter(|p| caps.fields.contains_key(*p))
                    .collect();
                if mapped.len() > 1 {
                    notes.push(format!(
                        "{}: the mapping has several alternatives ({}); the first, `{}`, is used for all documents",
                        slot.name(),
                        spec.display(),
                        mapped[0]
                    ));
                }
            }
        }
        let mut source: Vec<String> = m
            .slots()
            .into_iter()
            .flat_map(|(_, s)| s.paths.iter().cloned())
            .filter(|p| p != INDEX_FIELD)
            .collect();
        source.sort();
        source.dedup();
        let query = filter_query(&fields, opts, q.query_string.as_deref());
        Ok(Plan {
            index: q.index.clone(),
            route,
            fields,
            query,
            source,
            node_from_index,
            notes,
        })
    }
}

fn missing(caps: &FieldCaps, spec: &crate::logs::FieldSpec, slot: &'static str) -> EsError {
    EsError::FieldMissing {
        field: spec.display(),
        slot,
        index: caps.index.clone(),
        available: caps.listing(40),
    }
}

/// The `bool` filter: time window, status codes, asset paths, and the user's query string.
pub(crate) fn filter_query(
    fields: &BTreeMap<&'static str, String>,
    opts: &IngestOptions,
    query_string: Option<&str>,
) -> Value {
    let f = &opts.filter;
    let mut filter = Vec::new();
    if let Some(ts) = fields.get("timestamp")
        && (f.since_ms.is_some() || f.until_ms.is_some())
    {
        let mut r = serde_json::Map::new();
        if let Some(s) = f.since_ms {
            r.insert("gte".into(), json!(s));
        }
        if let Some(u) = f.until_ms {
            r.insert("lt".into(), json!(u));
        }
        r.insert("format".into(), json!("epoch_millis"));
        filter.push(json!({"range": {ts: r}}));
    }
    if let Some(st) = fields.get("status")
        && !f.status.is_all()
    {
        let should: Vec<Value> = f
            .status
            .ranges()
            .iter()
            .map(|&(a, b)| json!({"range": {st: {"gte": a, "lte": b}}}))
            .collect();
        filter.push(json!({"bool": {"should": should, "minimum_should_match": 1}}));
    }
    if let Some(url) = fields.get("url")
        && f.assets_only
    {
        filter.push(json!({"regexp": {url: {"value": ASSET_REGEXP, "flags": "NONE"}}}));
    }
    if let Some(qs) = query_string.map(str::trim).filter(|s| !s.is_empty()) {
        filter.push(json!({"query_string": {"query": qs}}));
    }
    json!({"bool": {"filter": filter}})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::{FieldSpec, LogFilter, Preset};

    fn caps(pairs: &[(&str, &str)]) -> FieldCaps {
        FieldCaps {
            index: "logs".into(),
            fields: pairs
                .iter()
                .map(|(k, t)| (k.to_string(), vec![t.to_string()]))
                .collect(),
            indices: vec!["logs".into()],
        }
    }

    fn ecs() -> FieldCaps {
        caps(&[
            ("@timestamp", "date"),
            ("url.path", "keyword"),
            ("client.ip", "ip"),
            ("http.response.status_code", "long"),
            ("http.response.bytes", "long"),
            ("client.geo.location", "geo_point"),
            ("client.geo.country_iso_code", "keyword"),
            ("host.name", "keyword"),
        ])
    }

    #[test]
    fn geo_fields_push_down_and_ip_only_logs_go_raw() {
        let q = EsQuery::new("logs-*");
        let opts = IngestOptions::new(Preset::Ecs).cells(CellKind::Geotile { zoom: 5 });
        let p = Plan::new(&ecs(), &q, &opts).unwrap();
        assert_eq!(
            p.route,
            Route::PushDown {
                cell: Cell::Geotile {
                    field: "client.geo.location".into(),
                    zoom: 5
                }
            }
        );
        let argus = caps(&[
            ("@timestamp", "date"),
            ("fields.meta.req.url", "text"),
            ("fields.meta.req.url.keyword", "keyword"),
            ("fields.meta.res.statusCode", "long"),
        ]);
        let p = Plan::new(&argus, &q, &IngestOptions::new(Preset::Argus)).unwrap();
        assert_eq!(p.route, Route::Raw);
        assert_eq!(p.field("url"), Some("fields.meta.req.url.keyword"));
        let e = Plan::new(
            &argus,
            &q.clone().mode(EsMode::PushDown),
            &IngestOptions::new(Preset::Argus),
        );
        assert!(matches!(e, Err(EsError::Config(_))), "{e:?}");
    }

    #[test]
    fn data_streams_without_a_node_field_name_the_node_by_index() {
        let mut c = ecs();
        c.fields.remove("host.name");
        c.indices = vec![
            ".ds-logs-argus-n1-2024.01.01-000001".into(),
            "logs-argus-n2".into(),
        ];
        let q = EsQuery::new("logs-argus-*");
        let opts = IngestOptions::new(Preset::Ecs).cells(CellKind::Geotile { zoom: 5 });
        let p = Plan::new(&c, &q, &opts).unwrap();
        assert!(p.node_from_index);
        assert_eq!(p.field("node"), Some("_index"));
        assert!(!p.source.iter().any(|s| s == "_index"));
        assert!(p.notes[0].contains("index name"), "{:?}", p.notes);
        // A plain index is not a data stream: no node.
        c.indices = vec!["distributor-node".into()];
        let p = Plan::new(&c, &q, &opts).unwrap();
        assert!(!p.node_from_index && p.field("node").is_none());
        // The mapping may ask for it by name.
        let mut m = opts.mapping.clone();
        m.node = Some(FieldSpec::new("_index"));
        let p = Plan::new(&ecs(), &q, &opts.clone().mapping(m)).unwrap();
        assert!(p.node_from_index);
        // A mapped node field wins over the index name.
        let mut c = ecs();
        c.indices = vec!["logs-argus-n2".into()];
        let p = Plan::new(&c, &q, &opts).unwrap();
        assert_eq!(p.field("node"), Some("host.name"));
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
        let p = Plan::new(&ecs(), &q, &opts).unwrap();
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
