//! Field mapping: which document path (or CSV column) holds each request field, and the
//! built-in presets.
//!
//! A path is dotted (`fields.meta.req.url`). Object keys may themselves contain dots, as
//! Elasticsearch exports of flattened documents do (`{"url.path": …}`): every split of the path
//! into keys is tried, so `http.response.status_code` matches `{"http":{"response":{…}}}`,
//! `{"http.response":{"status_code":…}}` and `{"http.response.status_code":…}` alike. Where a
//! document holds the field in two of these forms, the form with the longer literal key wins.
//!
//! A field may name alternatives separated by `|` (`url.path|url.original`): the first one
//! present in a record wins.
//!
//! In Elasticsearch hits (the `es-hits` layout and reads from a cluster) the pseudo-field
//! [`INDEX_FIELD`] (`_index`) names the hit's index rather than a `_source` path. Mapped as the
//! `node`, it yields the serving node from the index name ([`node_from_index`]): Argus writes
//! to the data stream `logs-argus-<nodeId>` since November 2023, and the node id is nowhere
//! else in the document.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// One mapped field: one or more alternative paths, the first present wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    /// The alternative paths, in order of preference; never empty.
    pub paths: Vec<String>,
}

impl FieldSpec {
    /// A field with a single path.
    pub fn new(path: impl Into<String>) -> Self {
        FieldSpec {
            paths: vec![path.into()],
        }
    }

    /// The path as written in reports: the alternatives joined by `|`.
    pub fn display(&self) -> String {
        self.paths.join("|")
    }
}

impl FromStr for FieldSpec {
    type Err = Error;

    /// Parses `a.b|c.d`.
    ///
    /// # Errors
    /// [`Error::Config`] when an alternative is empty or a path has an empty segment.
    fn from_str(s: &str) -> Result<Self> {
        let mut paths = Vec::new();
        for p in s.split('|') {
            let p = p.trim();
            if p.is_empty() || p.split('.').any(str::is_empty) {
                return Err(Error::Config(format!(
                    "field path {s:?}: empty path or path segment (write paths like `fields.meta.req.url`, alternatives separated by `|`)"
                )));
            }
            paths.push(p.to_string());
        }
        Ok(FieldSpec { paths })
    }
}

impl fmt::Display for FieldSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

impl Serialize for FieldSpec {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.display())
    }
}

impl<'de> Deserialize<'de> for FieldSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Where each request field sits in a record: dotted paths for JSON documents, column names
/// for CSV. Unused for the combined log format, whose layout is fixed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMapping {
    /// Request time: RFC 3339 text, a CLF date or epoch milliseconds.
    pub timestamp: FieldSpec,
    /// Request path or URL (query strings allowed).
    pub url: FieldSpec,
    /// Client address; for a comma-separated list (`X-Forwarded-For`) the first entry counts.
    /// May carry a port (`1.2.3.4:5678`, `[2001:db8::1]:443`).
    pub client_ip: FieldSpec,
    /// HTTP status code, number or numeric text.
    pub status: FieldSpec,
    /// Response bytes, number or numeric text; a record without it counts 0 bytes.
    pub bytes: FieldSpec,
    /// Client location already in the record, as `"lat,lon"`, `[lon, lat]` or
    /// `{"lat": …, "lon": …}`; takes precedence over the GeoIP database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo_location: Option<FieldSpec>,
    /// Client country (ISO 3166-1 alpha-2) already in the record; takes precedence over the
    /// GeoIP database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<FieldSpec>,
    /// Serving node, counted per node in the report. In Elasticsearch hits, `_index` takes
    /// the node from the index name (see [`node_from_index`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<FieldSpec>,
}

/// The pseudo-field naming a hit's index (`_index`), usable as the `node` field of
/// Elasticsearch hits and cluster reads.
pub const INDEX_FIELD: &str = "_index";

/// The serving node an index name stands for.
///
/// A data stream's backing index `.ds-<stream>-<yyyy.mm.dd>-<generation>` stands for its
/// stream; a stream (or index) named `logs-<dataset>-<node>` (Argus: `logs-argus-<nodeId>`,
/// Colossus: `logs-colossus-<source>`) for `<node>`; any other name for itself.
///
/// ```
/// use cdnplan_io::logs::mapping::node_from_index;
/// assert_eq!(node_from_index("logs-argus-dist-1"), "dist-1");
/// assert_eq!(node_from_index(".ds-logs-argus-dist-1-2024.01.31-000002"), "dist-1");
/// assert_eq!(node_from_index("distributor-node"), "distributor-node");
/// ```
pub fn node_from_index(index: &str) -> &str {
    let mut name = index;
    if let Some(rest) = name.strip_prefix(".ds-") {
        name = rest;
        // `-<yyyy.mm.dd>-<generation>`
        let mut parts = name.rsplitn(3, '-');
        if let (Some(generation), Some(date), Some(stream)) =
            (parts.next(), parts.next(), parts.next())
            && !generation.is_empty()
            && generation.bytes().all(|b| b.is_ascii_digit())
            && date.len() == 10
            && date.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        {
            name = stream;
        }
    }
    if let Some(rest) = name.strip_prefix("logs-")
        && let Some((dataset, node)) = rest.split_once('-')
        && !dataset.is_empty()
        && !node.is_empty()
    {
        return node;
    }
    name
}

/// The layout of a log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum LogFormat {
    /// One JSON document per line.
    Ndjson,
    /// Elasticsearch `_search` hits, one per line (`{"_index":…,"_source":{…}}`), or whole
    /// `_search` responses (`{"hits":{"hits":[…]}}`), one per line or one per file. Mapping
    /// paths are relative to `_source`.
    EsHits,
    /// CSV with a header row naming the columns; one record per line.
    Csv,
    /// Apache/nginx combined or common log format.
    Combined,
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogFormat::Ndjson => "ndjson",
            LogFormat::EsHits => "es-hits",
            LogFormat::Csv => "csv",
            LogFormat::Combined => "combined",
        })
    }
}

/// A built-in combination of format and field mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Preset {
    /// Argus (Joystream distributor) request logs as winston-elasticsearch stored them in
    /// 2023: `@timestamp`, `fields.meta.req.url`, `fields.meta.req.headers.x-forwarded-for`,
    /// `fields.meta.res.statusCode`, `fields.meta.res.headers.content-length`; the node is
    /// the request's `host` header.
    Argus,
    /// The Argus documents as Elasticsearch `_search` hits (the Argus mapping under `_source`).
    EsHits,
    /// Elastic Common Schema documents (`url.path`, `client.ip`, `http.response.status_code`,
    /// `client.geo.location`, …).
    Ecs,
    /// Apache/nginx combined (or common) log format.
    Combined,
    /// CSV with columns `timestamp,url,client_ip,status,bytes`.
    Csv,
}

impl Preset {
    /// All presets.
    pub const ALL: [Preset; 5] = [
        Preset::Argus,
        Preset::EsHits,
        Preset::Ecs,
        Preset::Combined,
        Preset::Csv,
    ];

    /// The preset's name (`"argus"`, `"es-hits"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Preset::Argus => "argus",
            Preset::EsHits => "es-hits",
            Preset::Ecs => "ecs",
            Preset::Combined => "combined",
            Preset::Csv => "csv",
        }
    }

    /// The file layout the preset reads.
    pub fn format(self) -> LogFormat {
        match self {
            Preset::Argus | Preset::Ecs => LogFormat::Ndjson,
            Preset::EsHits => LogFormat::EsHits,
            Preset::Combined => LogFormat::Combined,
            Preset::Csv => LogFormat::Csv,
        }
    }

    /// The preset's field mapping.
    pub fn mapping(self) -> FieldMapping {
        let f = FieldSpec::new;
        match self {
            Preset::Argus | Preset::EsHits => FieldMapping {
                timestamp: f("@timestamp"),
                url: f("fields.meta.req.url"),
                client_ip: f("fields.meta.req.headers.x-forwarded-for"),
                status: f("fields.meta.res.statusCode"),
                bytes: f("fields.meta.res.headers.content-length"),
                geo_location: None,
                country: None,
                node: Some(f("fields.meta.req.headers.host")),
            },
            Preset::Ecs => FieldMapping {
                timestamp: f("@timestamp"),
                url: FieldSpec {
                    paths: vec!["url.path".into(), "url.original".into()],
                },
                client_ip: f("client.ip"),
                status: f("http.response.status_code"),
                bytes: FieldSpec {
                    paths: vec![
                        "http.response.bytes".into(),
                        "http.response.body.bytes".into(),
                    ],
                },
                geo_location: Some(f("client.geo.location")),
                country: Some(f("client.geo.country_iso_code")),
                node: Some(f("host.name")),
            },
            Preset::Combined | Preset::Csv => FieldMapping {
                timestamp: f("timestamp"),
                url: f("url"),
                client_ip: f("client_ip"),
                status: f("status"),
                bytes: f("bytes"),
                geo_location: None,
                country: None,
                node: None,
            },
        }
    }

    /// The names of all presets, comma-separated (for messages).
    pub fn names() -> String {
        Preset::ALL.map(Preset::name).join(", ")
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = Error;

    /// Parses a preset name, in any case; `_` and `-` are interchangeable.
    ///
    /// # Errors
    /// [`Error::Config`] naming the known presets.
    fn from_str(s: &str) -> Result<Self> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == norm)
            .ok_or_else(|| {
                Error::Config(format!(
                    "unknown log preset {s:?} (known presets: {})",
                    Preset::names()
                ))
            })
    }
}

/// The request fields a record can carry, in slot order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Slot {
    Timestamp = 0,
    Url = 1,
    ClientIp = 2,
    Status = 3,
    Bytes = 4,
    GeoLocation = 5,
    Country = 6,
    Node = 7,
    /// Marks a whole `_search` response (`hits.hits`) in es-hits mode.
    Hits = 8,
}

/// Number of slots.
pub(crate) const SLOTS: usize = 9;

impl Slot {
    /// The field's name in reports.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Slot::Timestamp => "timestamp",
            Slot::Url => "url",
            Slot::ClientIp => "client_ip",
            Slot::Status => "status",
            Slot::Bytes => "bytes",
            Slot::GeoLocation => "geo_location",
            Slot::Country => "country",
            Slot::Node => "node",
            Slot::Hits => "hits.hits",
        }
    }
}

impl FieldMapping {
    /// `(slot, spec)` for every mapped field.
    pub(crate) fn slots(&self) -> Vec<(Slot, &FieldSpec)> {
        let mut v = vec![
            (Slot::Timestamp, &self.timestamp),
            (Slot::Url, &self.url),
            (Slot::ClientIp, &self.client_ip),
            (Slot::Status, &self.status),
            (Slot::Bytes, &self.bytes),
        ];
        if let Some(g) = &self.geo_location {
            v.push((Slot::GeoLocation, g));
        }
        if let Some(c) = &self.country {
            v.push((Slot::Country, c));
        }
        if let Some(n) = &self.node {
            v.push((Slot::Node, n));
        }
        v
    }

    /// The path text of `slot` for messages, prefixed as the format reads it.
    pub(crate) fn describe(&self, slot: Slot, format: LogFormat) -> String {
        let spec = match slot {
            Slot::Timestamp => Some(&self.timestamp),
            Slot::Url => Some(&self.url),
            Slot::ClientIp => Some(&self.client_ip),
            Slot::Status => Some(&self.status),
            Slot::Bytes => Some(&self.bytes),
            Slot::GeoLocation => self.geo_location.as_ref(),
            Slot::Country => self.country.as_ref(),
            Slot::Node => self.node.as_ref(),
            Slot::Hits => None,
        };
        match (format, spec) {
            (LogFormat::Combined, _) | (_, None) => slot.name().to_string(),
            (LogFormat::EsHits, Some(s)) => s
                .paths
                .iter()
                .map(|p| {
                    if p == INDEX_FIELD {
                        p.clone()
                    } else {
                        format!("_source.{p}")
                    }
                })
                .collect::<Vec<_>>()
                .join("|"),
            (_, Some(s)) => s.display(),
        }
    }
}

/// A trie over path segments with extra edges for every run of segments joined by dots, so a
/// key is matched in one lookup whether or not it contains dots.
#[derive(Debug, Clone, Default)]
pub(crate) struct PathTrie {
    nodes: Vec<TrieNode>,
}

/// One node: outgoing edges by literal key, and the slots ending here with their preference.
#[derive(Debug, Clone, Default)]
pub(crate) struct TrieNode {
    /// `(key, target node, segments spanned)`.
    pub(crate) edges: Vec<(Box<str>, u32, u8)>,
    /// `(slot, preference)`; lower preference wins.
    pub(crate) slots: Vec<(Slot, u8)>,
}

impl PathTrie {
    /// Builds the trie for `paths` given as `(slot, preference, path)`.
    pub(crate) fn new<'a>(paths: impl IntoIterator<Item = (Slot, u8, &'a str)>) -> Self {
        let mut t = PathTrie {
            nodes: vec![TrieNode::default()],
        };
        for (slot, pref, path) in paths {
            let segs: Vec<&str> = path.split('.').collect();
            // Nodes along the path, by depth.
            let mut along = vec![0u32];
            for seg in &segs {
                let cur = *along.last().unwrap_or(&0);
                let next = t
                    .edge(cur, seg)
                    .unwrap_or_else(|| t.add_edge(cur, seg, None, 1));
                along.push(next);
            }
            let leaf = *along.last().unwrap_or(&0);
            t.nodes[leaf as usize].slots.push((slot, pref));
            // Dotted shortcuts: from depth i straight to depth j.
            for i in 0..segs.len() {
                for j in i + 2..=segs.len() {
                    let key = segs[i..j].join(".");
                    if t.edge(along[i], &key).is_none() {
                        t.add_edge(along[i], &key, Some(along[j]), (j - i) as u8);
                    }
                }
            }
        }
        t
    }

    fn edge(&self, node: u32, key: &str) -> Option<u32> {
        self.nodes[node as usize]
            .edges
            .iter()
            .find(|(k, _, _)| &**k == key)
            .map(|&(_, n, _)| n)
    }

    fn add_edge(&mut self, from: u32, key: &str, to: Option<u32>, span: u8) -> u32 {
        let to = to.unwrap_or_else(|| {
            self.nodes.push(TrieNode::default());
            (self.nodes.len() - 1) as u32
        });
        self.nodes[from as usize].edges.push((key.into(), to, span));
        to
    }

    /// The node `n`.
    #[inline]
    pub(crate) fn node(&self, n: u32) -> &TrieNode {
        &self.nodes[n as usize]
    }

    /// The edge from `node` for object key `key`: `(target, segments spanned)`.
    #[inline]
    pub(crate) fn follow(&self, node: u32, key: &str) -> Option<(u32, u8)> {
        self.nodes[node as usize]
            .edges
            .iter()
            .find(|(k, _, _)| &**k == key)
            .map(|&(_, n, s)| (n, s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_from_index_reads_data_streams_and_their_backing_indices() {
        for (index, node) in [
            ("logs-argus-1", "1"),
            ("logs-argus-dist-eu-1", "dist-eu-1"),
            (".ds-logs-argus-dist-eu-1-2023.11.12-000003", "dist-eu-1"),
            ("logs-colossus-storage-7", "storage-7"),
            (".ds-metrics-x-2023.11.12-000001", "metrics-x"),
            ("distributor-node", "distributor-node"),
            ("logs-argus", "logs-argus"),
            ("logs--x", "logs--x"),
        ] {
            assert_eq!(node_from_index(index), node, "{index}");
        }
    }

    #[test]
    fn presets_parse_in_any_case() {
        assert_eq!("ARGUS".parse::<Preset>().unwrap(), Preset::Argus);
        assert_eq!("es_hits".parse::<Preset>().unwrap(), Preset::EsHits);
        assert_eq!(" Ecs ".parse::<Preset>().unwrap(), Preset::Ecs);
    }

    #[test]
    fn unknown_preset_lists_the_known_ones() {
        let e = "kibana".parse::<Preset>().unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, Error::Config(_)));
        for p in Preset::ALL {
            assert!(msg.contains(p.name()), "{msg}");
        }
    }

    #[test]
    fn field_spec_parses_alternatives_and_rejects_empty_segments() {
        let f: FieldSpec = "url.path | url.original".parse().unwrap();
        assert_eq!(f.paths, ["url.path", "url.original"]);
        assert!("a..b".parse::<FieldSpec>().is_err());
        assert!("a|".parse::<FieldSpec>().is_err());
    }

    #[test]
    fn mapping_round_trips_through_json() {
        let m = Preset::Ecs.mapping();
        let s = serde_json::to_string(&m).unwrap();
        assert!(s.contains("\"url.path|url.original\""), "{s}");
        let back: FieldMapping = serde_json::from_str(&s).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn trie_follows_nested_and_dotted_keys() {
        let t = PathTrie::new([(Slot::Url, 0, "a.b.c")]);
        let (n1, s1) = t.follow(0, "a").unwrap();
        assert_eq!(s1, 1);
        let (n2, _) = t.follow(n1, "b").unwrap();
        let (leaf, _) = t.follow(n2, "c").unwrap();
        assert_eq!(t.node(leaf).slots, [(Slot::Url, 0)]);
        assert_eq!(t.follow(0, "a.b.c").unwrap(), (leaf, 3));
        assert_eq!(t.follow(n1, "b.c").unwrap(), (leaf, 2));
        assert_eq!(t.follow(0, "a.b").unwrap().0, n2);
        assert!(t.follow(0, "b").is_none());
    }
}
