//! A seeded generator of awkward Elasticsearch index layouts for the parity suite (issue 16):
//! per-node indices and `.ds-` backing indices behind one alias, each mapped its own way —
//! explicit ECS, dynamic (text with `keyword` sub-fields, `ignore_above: 256`), keyword client
//! addresses, the byte count under `http.response.body.bytes`, a node field kept unmapped in
//! `_source`, a `url.path` keyword with a low `ignore_above` — holding ECS request documents
//! with IPv4, IPv6 and `::ffff:` clients written in several text forms, missing geo, mixed-case
//! and empty countries, long URLs, `url.original`-only documents, missing byte counts and node
//! names, non-asset paths and other statuses. The same documents, written as NDJSON, are the
//! log reader's oracle. Shared by the library tests and `examples/es_parity.rs`.

use std::net::IpAddr;

use cdnplan::io::es::EsClient;
use cdnplan::{Continent, Countries, Country, CountryCode, GeoPoint};
use mmdb_writer::ipnet::IpNet;
use mmdb_writer::{Value as MmdbValue, Writer};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use serde_json::{Value, json};

/// (network, country, continent, lat, lon); `""`: a record without a country.
const NETS: &[(&str, &str, &str, f64, f64)] = &[
    ("81.2.69.0/24", "GB", "EU", 51.5142, -0.0931),
    ("5.3.0.0/16", "RU", "EU", 55.7522, 37.6156),
    ("2a00:1fa0::/32", "RU", "EU", 55.7522, 37.6156),
    ("31.128.0.0/16", "UA", "EU", 50.4547, 30.5238),
    ("78.160.0.0/16", "TR", "AS", 41.0138, 28.9497),
    ("23.0.0.0/12", "US", "NA", 39.0437, -77.4875),
    ("2600:1f00::/24", "US", "NA", 37.3394, -121.895),
    ("46.0.0.0/16", "DE", "EU", 52.5244, 13.4105),
    ("36.64.0.0/16", "ID", "AS", -6.2146, 106.8451),
    ("45.0.0.0/24", "ZZ", "EU", 10.0, 10.0),
    ("44.0.0.0/24", "", "", 1.0, 1.0),
];

/// The GeoIP2-schema database the clients are drawn from (and placed by).
pub fn geoip_db() -> Vec<u8> {
    let mut w = Writer::new("Parity-GeoIP2-City");
    for &(net, cc, cont, lat, lon) in NETS {
        let mut rec = vec![(
            "location".to_string(),
            MmdbValue::map([
                ("latitude", MmdbValue::from(lat)),
                ("longitude", MmdbValue::from(lon)),
            ]),
        )];
        if !cc.is_empty() {
            rec.push((
                "country".into(),
                MmdbValue::map([("iso_code", MmdbValue::from(cc))]),
            ));
            rec.push((
                "continent".into(),
                MmdbValue::map([("code", MmdbValue::from(cont))]),
            ));
        }
        w.insert_value(net.parse::<IpNet>().unwrap(), rec.into_iter().collect())
            .unwrap();
    }
    w.to_bytes().unwrap()
}

/// The country table of [`NETS`] (ZZ left out: unlocated by country).
pub fn countries() -> Countries {
    let c = |code: &str, cont, lat, lon| Country {
        code: CountryCode::new(code).unwrap(),
        iso3: format!("{code}X"),
        name: code.into(),
        continent: cont,
        location: GeoPoint { lat, lon },
        population: 2_000_000,
        internet_users: 1_000_000,
    };
    Countries::new([
        c("GB", Continent::EU, 51.5074, -0.1278),
        c("RU", Continent::EU, 55.7558, 37.6173),
        c("UA", Continent::EU, 50.4501, 30.5234),
        c("TR", Continent::AS, 39.9334, 32.8597),
        c("US", Continent::NA, 38.9072, -77.0369),
        c("DE", Continent::EU, 52.52, 13.405),
        c("ID", Continent::AS, -6.2088, 106.8456),
    ])
    .unwrap()
}

/// One index of a layout.
pub struct Index {
    /// Its name (`logs-<dataset>-<node>` or a `.ds-` backing index of one).
    pub name: String,
    /// The body of its creation (mapping and alias).
    pub create: Value,
    /// Its documents, one JSON text each.
    pub docs: Vec<String>,
}

/// A generated layout: indices behind one alias.
pub struct Layout {
    /// The alias every index joins (what a read asks for).
    pub alias: String,
    pub indices: Vec<Index>,
}

impl Layout {
    /// Every document, in index order (the log reader's input).
    pub fn ndjson(&self) -> String {
        let mut s = String::new();
        for i in &self.indices {
            for d in &i.docs {
                s.push_str(d);
                s.push('\n');
            }
        }
        s
    }

    /// Creates the indices afresh and loads them over `_bulk`, `per_bulk` documents a request.
    pub fn load(&self, c: &EsClient, per_bulk: usize) {
        for i in &self.indices {
            let _ = c.request("DELETE", &format!("/{}", i.name), None);
            c.request("PUT", &format!("/{}", i.name), Some(&i.create))
                .unwrap();
            for part in i.docs.chunks(per_bulk.max(1)) {
                let mut bulk = String::new();
                for d in part {
                    bulk.push_str("{\"index\":{}}\n");
                    bulk.push_str(d);
                    bulk.push('\n');
                }
                let r = c
                    .post_ndjson(&format!("/{}/_bulk", i.name), bulk.into_bytes())
                    .unwrap();
                assert_eq!(r["errors"], json!(false), "{}", i.name);
            }
            c.request("POST", &format!("/{}/_refresh", i.name), None)
                .unwrap();
        }
    }

    /// Deletes the indices.
    pub fn drop(&self, c: &EsClient) {
        for i in &self.indices {
            let _ = c.request("DELETE", &format!("/{}", i.name), None);
        }
    }
}

/// The explicit ECS mapping: `ip`, `geo_point`, keyword country, url and node.
fn ecs_props() -> Value {
    json!({
        "@timestamp": {"type": "date"},
        "url": {"properties": {"path": {"type": "keyword"}, "original": {"type": "keyword"}}},
        "client": {"properties": {"ip": {"type": "ip"}, "geo": {"properties": {
            "location": {"type": "geo_point"}, "country_iso_code": {"type": "keyword"}}}}},
        "http": {"properties": {"response": {"properties": {
            "status_code": {"type": "long"}, "bytes": {"type": "long"},
            "body": {"properties": {"bytes": {"type": "long"}}}}}}},
        "host": {"properties": {"name": {"type": "keyword"}}},
    })
}

/// How node `n`'s index is mapped, and how its documents are written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Explicit ECS mapping; a plain per-node index.
    Ecs,
    /// `.ds-` backing index; keyword client addresses in varied text forms; bytes under
    /// `http.response.body.bytes`.
    KeywordIps,
    /// Dynamic mapping: text with `keyword` sub-fields, geo as two floats.
    Dynamic,
    /// `.ds-` backing index; `dynamic: false` with `host.name` unmapped; some documents
    /// with `url.original` only.
    Hidden,
    /// `url.path` keyword with `ignore_above: 64`; a text country with a keyword sub-field.
    Short,
}

const KINDS: [Kind; 5] = [
    Kind::Ecs,
    Kind::KeywordIps,
    Kind::Dynamic,
    Kind::Hidden,
    Kind::Short,
];

fn u01(rng: &mut Pcg64) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

fn below(rng: &mut Pcg64, n: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

/// A client: its address, and where a geoip processor would put it.
struct Client {
    ip: IpAddr,
    country: &'static str,
    lat: f64,
    lon: f64,
}

fn clients(rng: &mut Pcg64, n: usize) -> Vec<Client> {
    (0..n)
        .map(|_| {
            let (net, cc, _, lat, lon) = NETS[below(rng, NETS.len() as u64) as usize];
            let base: IpNet = net.parse().unwrap();
            let ip = match base {
                IpNet::V4(v) => {
                    let host = below(rng, 1 << (32 - v.prefix_len()).min(16)) as u32;
                    IpAddr::from((u32::from(v.network()) | host).to_be_bytes())
                }
                IpNet::V6(v) => {
                    let host = u128::from(rng.next_u64()) & 0xffff_ffff;
                    IpAddr::from((u128::from(v.network()) | host).to_be_bytes())
                }
            };
            // Private-looking or unknown addresses: no GeoIP record at all.
            let unknown = below(rng, 40) == 0;
            Client {
                ip: if unknown {
                    IpAddr::from([9, 9, below(rng, 256) as u8, below(rng, 256) as u8])
                } else {
                    ip
                },
                country: if unknown { "" } else { cc },
                lat: lat + (u01(rng) - 0.5) * 6.0,
                lon: lon + (u01(rng) - 0.5) * 6.0,
            }
        })
        .collect()
}

/// A text form of `ip` as a keyword field might hold it.
fn ip_text(rng: &mut Pcg64, ip: IpAddr) -> String {
    match (ip, below(rng, 4)) {
        (IpAddr::V4(v), 0) => format!("::ffff:{v}"),
        (IpAddr::V4(v), 1) => format!("::FFFF:{v}"),
        (IpAddr::V6(v), 0) => v.to_string().to_uppercase(),
        (IpAddr::V6(v), 1) => {
            let s = v.segments();
            s.iter()
                .map(|x| format!("{x:04x}"))
                .collect::<Vec<_>>()
                .join(":")
        }
        _ => ip.to_string(),
    }
}

/// A layout of `nodes` per-node indices (kinds in turn) holding `docs` documents from about
/// `docs / 20` clients over ten days, drawn from `seed`; index names start with `prefix`
/// (lower case, no `-`), and the alias is `<prefix>-all`.
pub fn generate(seed: u64, docs: usize, nodes: usize, prefix: &str) -> Layout {
    let mut rng = Pcg64::seed_from_u64(seed);
    let pool = clients(&mut rng, (docs / 20).max(20));
    let alias = format!("{prefix}-all");
    let mut indices: Vec<(Kind, Index)> = (0..nodes.max(1))
        .map(|n| {
            let kind = KINDS[n % KINDS.len()];
            let stream = format!("logs-{prefix}-n{n}");
            let name = match kind {
                Kind::KeywordIps | Kind::Hidden => format!(".ds-{stream}-2024.01.01-000001"),
                _ => stream,
            };
            let mut props = ecs_props();
            let mut mappings = json!({});
            match kind {
                Kind::Ecs => mappings = json!({"properties": props}),
                Kind::KeywordIps => {
                    props["client"]["properties"]["ip"] = json!({"type": "keyword"});
                    mappings = json!({"properties": props});
                }
                Kind::Dynamic => {}
                Kind::Hidden => {
                    props.as_object_mut().unwrap().remove("host");
                    mappings = json!({"dynamic": false, "properties": props});
                }
                Kind::Short => {
                    props["url"]["properties"]["path"] =
                        json!({"type": "keyword", "ignore_above": 64});
                    props["client"]["properties"]["geo"]["properties"]["country_iso_code"] =
                        json!({"type": "text", "fields": {"keyword": {"type": "keyword"}}});
                    mappings = json!({"properties": props});
                }
            }
            let mut create = json!({"aliases": {alias.clone(): {}}});
            if kind != Kind::Dynamic {
                create["mappings"] = mappings;
            }
            let index = Index {
                name,
                create,
                docs: Vec::new(),
            };
            (kind, index)
        })
        .collect();
    let start_ms: i64 = 1_704_067_200_000; // 2024-01-01T00:00:00Z
    for i in 0..docs {
        let n = below(&mut rng, indices.len() as u64) as usize;
        let (kind, index) = &mut indices[n];
        let kind = &*kind;
        let c = &pool[below(&mut rng, pool.len() as u64) as usize];
        let t = start_ms + below(&mut rng, 10 * 86_400_000) as i64;
        let ts = if *kind != Kind::Dynamic && below(&mut rng, 10) == 0 {
            json!(t)
        } else {
            json!(cdnplan::io::logs::format_ms(t))
        };
        let id = below(&mut rng, 5000);
        let path = match below(&mut rng, 20) {
            0 => "/api/v1/state".to_string(),
            1 => format!("/api/v1/assets/{id}?token={}", "q".repeat(300)),
            2 => format!("/distributor/api/v1/assets/{id}{}", "0".repeat(70)),
            _ => format!("/api/v1/assets/{id}"),
        };
        let url = if (*kind == Kind::Hidden || *kind == Kind::Ecs) && below(&mut rng, 5) == 0 {
            json!({"original": format!("https://n{n}.example{path}")})
        } else {
            json!({"path": path})
        };
        let status = match below(&mut rng, 25) {
            0 => json!(404),
            1 => json!(304),
            2 => json!(206),
            3 if *kind != Kind::Dynamic => json!("200"),
            _ => json!(200),
        };
        let bytes = below(&mut rng, 5_000_000);
        let mut response = json!({"status_code": status});
        match (kind, below(&mut rng, 15)) {
            (_, 0) => {}
            (Kind::KeywordIps, _) => response["body"] = json!({"bytes": bytes}),
            _ => response["bytes"] = json!(bytes),
        }
        let ip = if *kind == Kind::KeywordIps || below(&mut rng, 8) == 0 {
            ip_text(&mut rng, c.ip)
        } else {
            c.ip.to_string()
        };
        let mut client = json!({"ip": ip});
        if !c.country.is_empty() && below(&mut rng, 5) != 0 {
            let cc = match below(&mut rng, 12) {
                0 => c.country.to_lowercase(),
                1 => format!(" {} ", c.country.to_lowercase()),
                2 => String::new(),
                _ => c.country.to_string(),
            };
            let mut geo = json!({"country_iso_code": cc});
            if below(&mut rng, 6) != 0 {
                geo["location"] = json!({"lat": c.lat, "lon": c.lon});
            }
            client["geo"] = geo;
        }
        let mut d = json!({
            "@timestamp": ts,
            "url": url,
            "client": client,
            "http": {"response": response},
            "seq": i,
        });
        if below(&mut rng, 10) != 0 {
            d["host"] = json!({"name": format!("node{n}.example")});
        }
        index.docs.push(d.to_string());
    }
    Layout {
        alias,
        indices: indices.into_iter().map(|(_, i)| i).collect(),
    }
}

/// One read of a parity run.
pub struct Row {
    /// `country` or `geotile:5`.
    pub cells: String,
    /// `file`, `push-down`, `raw pit` or `raw scroll`.
    pub mode: &'static str,
    /// Wall time of the read.
    pub secs: f64,
    /// Cells, requests, bytes and the sum of the cells' distinct clients.
    pub totals: (usize, u64, u64, u64),
    /// Documents read raw (push-down: those the cluster could not aggregate exactly).
    pub raw_docs: u64,
    /// Cells whose requests, bytes or distinct clients differ from the log reader's.
    pub mismatches: Vec<String>,
    /// Requests by serving node (cluster reads).
    pub by_node: std::collections::BTreeMap<String, u64>,
    /// The cluster read's summary (pages, requests, bytes received).
    pub note: String,
}

/// Reads `layout` (loaded) by the log reader and in every cluster mode, for country and
/// geotile:5 cells, and compares each mode with the log reader cell by cell; `on_row` sees
/// each read as it ends.
pub fn parity(
    c: &EsClient,
    layout: &Layout,
    geoip: &cdnplan::io::geoip::GeoIp,
    countries: &Countries,
    dir: &std::path::Path,
    page_size: usize,
    on_row: &mut dyn FnMut(&Row),
) -> Vec<Row> {
    use cdnplan::io::es::{self, EsMode, EsQuery};
    use cdnplan::io::logs::{IngestOptions, Preset, ingest};
    use cdnplan::{CellKind, Demand, NoProgress};
    use std::collections::BTreeMap;
    use std::time::Instant;
    let file = dir.join("parity.ndjson");
    std::fs::write(&file, layout.ndjson()).unwrap();
    let cells_of = |d: &Demand| -> BTreeMap<String, (u64, u64, u64)> {
        d.cells
            .iter()
            .map(|c| (c.id.clone(), (c.requests, c.bytes, c.unique_clients)))
            .collect()
    };
    let totals = |d: &Demand| {
        (
            d.cells.len(),
            d.total_requests(),
            d.cells.iter().map(|c| c.bytes).sum(),
            d.cells.iter().map(|c| c.unique_clients).sum(),
        )
    };
    let mut rows = Vec::new();
    for cells in [CellKind::Country, CellKind::Geotile { zoom: 5 }] {
        let opts = IngestOptions::new(Preset::Ecs).cells(cells);
        let t = Instant::now();
        let want = ingest(
            std::slice::from_ref(&file),
            geoip,
            countries,
            &opts,
            &NoProgress,
        )
        .unwrap();
        rows.push(Row {
            cells: cells.to_string(),
            mode: "file",
            secs: t.elapsed().as_secs_f64(),
            totals: totals(&want.demand),
            raw_docs: 0,
            mismatches: Vec::new(),
            by_node: want.report.requests_by_node.clone(),
            note: String::new(),
        });
        on_row(rows.last().unwrap());
        let want_cells = cells_of(&want.demand);
        for (mode, m, scroll) in [
            ("push-down", EsMode::PushDown, false),
            ("raw pit", EsMode::Raw, false),
            ("raw scroll", EsMode::Raw, true),
        ] {
            let q = EsQuery::new(&layout.alias)
                .mode(m)
                .scroll(scroll)
                .page_size(page_size);
            let t = Instant::now();
            let got = es::demand(c, &q, &opts, Some(geoip), countries, &NoProgress)
                .unwrap_or_else(|e| panic!("{mode} {cells}: {e}"));
            let secs = t.elapsed().as_secs_f64();
            let got_cells = cells_of(&got.demand);
            let mut mismatches = Vec::new();
            for id in want_cells.keys().chain(got_cells.keys()) {
                let (w, g) = (want_cells.get(id), got_cells.get(id));
                if w != g
                    && !mismatches
                        .iter()
                        .any(|m: &String| m.starts_with(&format!("{id}:")))
                {
                    mismatches.push(format!("{id}: file {w:?}, {mode} {g:?}"));
                }
            }
            rows.push(Row {
                cells: cells.to_string(),
                mode,
                secs,
                totals: totals(&got.demand),
                raw_docs: got.es.documents,
                mismatches,
                by_node: got.report.requests_by_node.clone(),
                note: got
                    .es
                    .to_string()
                    .lines()
                    .nth(1)
                    .unwrap_or_default()
                    .to_string(),
            });
            on_row(rows.last().unwrap());
        }
    }
    rows
}
