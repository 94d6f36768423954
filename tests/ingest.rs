//! Request logs → demand, end to end: every preset, gzip, threads, filters, bad input and the
//! synthetic-log round trip, against real `.mmdb` files written with the `mmdb-writer` crate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use cdnplan::io::Error;
use cdnplan::io::geoip::GeoIp;
use cdnplan::io::logs::{
    FieldMapping, FieldSpec, IngestOptions, Ingested, LogFilter, Preset, StatusFilter, ingest,
};
use cdnplan::io::synth::{SynthSpec, write_ndjson, write_ndjson_gz};
use cdnplan::{
    CellKind, Continent, Countries, Country, CountryCode, GeoPoint, NoProgress, Progress,
};
use mmdb_writer::ipnet::IpNet;
use mmdb_writer::{IpVersion, Value, Writer};
use serde_json::json;

/// (network, country, continent, city, lat, lon); `""` country: a record without one.
const NETS: &[(&str, &str, &str, &str, f64, f64)] = &[
    ("81.2.69.0/24", "GB", "EU", "London", 51.5142, -0.0931),
    ("5.3.0.0/16", "RU", "EU", "Moscow", 55.7522, 37.6156),
    ("2a00:1fa0::/32", "RU", "EU", "Moscow", 55.7522, 37.6156),
    ("31.128.0.0/16", "UA", "EU", "Kyiv", 50.4547, 30.5238),
    ("78.160.0.0/16", "TR", "AS", "Istanbul", 41.0138, 28.9497),
    ("23.0.0.0/12", "US", "NA", "Ashburn", 39.0437, -77.4875),
    ("46.0.0.0/16", "DE", "EU", "Berlin", 52.5244, 13.4105),
    ("36.64.0.0/16", "ID", "AS", "Jakarta", -6.2146, 106.8451),
    ("45.0.0.0/24", "ZZ", "EU", "Nowhere", 10.0, 10.0),
    ("44.0.0.0/24", "", "", "", 1.0, 1.0),
];

pub(crate) fn geoip2_db() -> Vec<u8> {
    let mut w = Writer::new("Test-GeoIP2-City");
    for &(net, cc, cont, city, lat, lon) in NETS {
        let mut rec = vec![(
            "location".to_string(),
            Value::map([
                ("latitude", Value::from(lat)),
                ("longitude", Value::from(lon)),
            ]),
        )];
        if !cc.is_empty() {
            rec.push((
                "country".into(),
                Value::map([("iso_code", Value::from(cc))]),
            ));
            rec.push((
                "continent".into(),
                Value::map([("code", Value::from(cont))]),
            ));
            rec.push((
                "city".into(),
                Value::map([("names", Value::map([("en", Value::from(city))]))]),
            ));
        }
        w.insert_value(net.parse::<IpNet>().unwrap(), rec.into_iter().collect())
            .unwrap();
    }
    w.to_bytes().unwrap()
}

fn flat_db(with_coordinates: bool) -> Vec<u8> {
    let mut w = Writer::builder("city ipv4")
        .ip_version(IpVersion::V4)
        .build();
    for &(net, cc, _, city, lat, lon) in NETS {
        let Ok(IpNet::V4(n)) = net.parse::<IpNet>() else {
            continue;
        };
        let mut rec = vec![("country_code".to_string(), Value::from(cc))];
        if with_coordinates {
            rec.push(("city".into(), Value::from(city)));
            rec.push(("latitude".into(), Value::from(lat as f32)));
            rec.push(("longitude".into(), Value::from(lon as f32)));
        }
        w.insert_value(IpNet::V4(n), rec.into_iter().collect())
            .unwrap();
    }
    w.to_bytes().unwrap()
}

pub(crate) fn countries() -> Countries {
    let c = |code: &str, iso3: &str, cont, lat, lon, users: u64| Country {
        code: CountryCode::new(code).unwrap(),
        iso3: iso3.into(),
        name: code.into(),
        continent: cont,
        location: GeoPoint { lat, lon },
        population: users * 2,
        internet_users: users,
    };
    Countries::new([
        c("GB", "GBR", Continent::EU, 51.5074, -0.1278, 65_000_000),
        c("RU", "RUS", Continent::EU, 55.7558, 37.6173, 130_000_000),
        c("UA", "UKR", Continent::EU, 50.4501, 30.5234, 30_000_000),
        c("TR", "TUR", Continent::AS, 39.9334, 32.8597, 70_000_000),
        c("US", "USA", Continent::NA, 38.9072, -77.0369, 300_000_000),
        c("DE", "DEU", Continent::EU, 52.52, 13.405, 75_000_000),
        c("ID", "IDN", Continent::AS, -6.2088, 106.8456, 200_000_000),
        c("CN", "CHN", Continent::AS, 39.9042, 116.4074, 1_000_000_000),
    ])
    .unwrap()
}

struct Fx {
    dir: tempfile::TempDir,
    g2: GeoIp,
    flat: GeoIp,
    countries: Countries,
}

fn fx() -> Fx {
    Fx {
        dir: tempfile::tempdir().unwrap(),
        g2: GeoIp::from_bytes(geoip2_db(), "geoip2.mmdb").unwrap(),
        flat: GeoIp::from_bytes(flat_db(true), "flat.mmdb").unwrap(),
        countries: countries(),
    }
}

impl Fx {
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn gz(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, stored_gzip(text.as_bytes())).unwrap();
        p
    }

    fn run(&self, paths: &[PathBuf], opts: &IngestOptions) -> Result<Ingested, Error> {
        ingest(paths, &self.g2, &self.countries, opts, &NoProgress)
    }
}

/// Gzip with stored (uncompressed) deflate blocks: valid gzip for the reader, without a
/// compression crate in the test binary.
fn stored_gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    let chunks: Vec<&[u8]> = if data.is_empty() {
        vec![&[]]
    } else {
        data.chunks(65_535).collect()
    };
    for (i, c) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let len = c.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(c);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xedb8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn argus(
    ts: &str,
    url: &str,
    xff: &str,
    status: serde_json::Value,
    bytes: Option<&str>,
    host: &str,
) -> String {
    let mut res_headers = serde_json::Map::new();
    if let Some(b) = bytes {
        res_headers.insert("content-length".into(), json!(b));
    }
    json!({
        "@timestamp": ts,
        "message": format!("HTTP GET {url}"),
        "severity": "http",
        "fields": {
            "label": "PublicApi",
            "meta": {
                "req": {"url": url, "headers": {"host": host, "x-forwarded-for": xff}, "method": "GET", "query": {}},
                "res": {"statusCode": status, "headers": res_headers},
                "responseTime": 5
            }
        }
    })
    .to_string()
}

fn cell<'a>(got: &'a Ingested, id: &str) -> &'a cdnplan::DemandCell {
    got.demand
        .cells
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no cell {id} in {:?}", got.demand.cells))
}

const T: &str = "2023-05-12T10:00:00.000Z";

fn argus_sample() -> String {
    [
        argus(
            T,
            "/api/v1/assets/1",
            "81.2.69.160",
            json!(200),
            Some("1000"),
            "n1",
        ),
        argus(
            T,
            "/api/v1/assets/1?x=1",
            "81.2.69.160, 10.0.0.1",
            json!(206),
            Some("500"),
            "n1",
        ),
        argus(
            T,
            "/distributor/api/v1/assets/2",
            "5.3.1.1:4444, 10.0.0.1",
            json!("200"),
            Some("7"),
            "n2",
        ),
        argus(
            T,
            "/api/v1/assets/3",
            "[2a00:1fa0::1]:443",
            json!(200),
            None,
            "n2",
        ),
        argus(
            T,
            "/api/v1/assets/4",
            "81.2.69.160",
            json!(404),
            Some("50"),
            "n1",
        ),
        argus(
            T,
            "/api/v1/status",
            "81.2.69.160",
            json!(200),
            Some("80"),
            "n1",
        ),
        argus(
            T,
            "/api/v1/assets/5",
            "10.1.2.3",
            json!(200),
            Some("1"),
            "n1",
        ),
        argus(
            T,
            "/api/v1/assets/5",
            "8.8.4.4",
            json!(200),
            Some("1"),
            "n1",
        ),
        argus(
            T,
            "/api/v1/assets/5",
            "45.0.0.1",
            json!(200),
            Some("1"),
            "n1",
        ),
        argus(
            T,
            "/api/v1/assets/5",
            "44.0.0.1",
            json!(200),
            Some("1"),
            "n1",
        ),
        String::new(),
        json!({"@timestamp": T, "message": "Listening on port 3334", "severity": "info"})
            .to_string(),
        String::new(),
    ]
    .join("\n")
}

#[test]
fn argus_counts_asset_requests_by_country_and_reports_the_rest() {
    let f = fx();
    let p = f.file("argus.ndjson", &argus_sample());
    let got = f.run(&[p], &IngestOptions::new(Preset::Argus)).unwrap();
    let gb = cell(&got, "GB");
    assert_eq!((gb.requests, gb.bytes, gb.unique_clients), (2, 1500, 1));
    assert_eq!(
        gb.location,
        GeoPoint {
            lat: 51.5074,
            lon: -0.1278
        },
        "country point, not the client's"
    );
    assert_eq!(gb.continent, Some(Continent::EU));
    let ru = cell(&got, "RU");
    assert_eq!((ru.requests, ru.bytes, ru.unique_clients), (2, 7, 2));
    assert_eq!(got.demand.cells.len(), 2);

    let r = &got.report;
    assert_eq!((r.lines, r.records, r.requests_counted), (12, 11, 8));
    assert_eq!(r.filtered_out["status 404"], 1);
    assert_eq!(r.filtered_out["not an asset path"], 1);
    assert_eq!(r.filtered_out["not a request record"], 1);
    assert_eq!((r.unlocated_requests, r.unlocated_clients), (4, 4));
    assert_eq!(r.unlocated_by_reason["private or reserved address"], 1);
    assert_eq!(r.unlocated_by_reason["no GeoIP record"], 1);
    assert_eq!(
        r.unlocated_by_reason["country ZZ not in the country table"],
        1
    );
    assert_eq!(r.unlocated_by_reason["GeoIP record without a country"], 1);
    let ex: Vec<String> = r
        .unlocated_examples
        .iter()
        .map(|e| e.ip.to_string())
        .collect();
    assert_eq!(ex, ["10.1.2.3", "8.8.4.4", "45.0.0.1", "44.0.0.1"]);
    assert!(
        r.unlocated_examples[0]
            .first_seen
            .ends_with("argus.ndjson:7"),
        "{:?}",
        r.unlocated_examples[0]
    );
    assert_eq!(r.requests_without_bytes, 1);
    assert_eq!(
        r.requests_by_node,
        BTreeMap::from([("n1".into(), 6), ("n2".into(), 2)])
    );
    assert_eq!(r.first_request.as_deref(), Some("2023-05-12T10:00:00Z"));
    assert_eq!(r.skipped_malformed, 0);
    let text = r.to_string();
    assert!(
        text.contains("counted 8 requests; located 4 (50.0%)"),
        "{text}"
    );
}

#[test]
fn gzip_and_plain_files_give_the_same_demand() {
    let f = fx();
    let text = argus_sample();
    let plain = f.file("a.log", &text);
    let gz = f.gz("b.log", &text);
    let opts = IngestOptions::new(Preset::Argus);
    let a = f.run(&[plain], &opts).unwrap();
    let mut b = f.run(&[gz], &opts).unwrap();
    assert_eq!(a.demand, b.demand);
    assert!(
        b.report.bytes_read > a.report.bytes_read,
        "stored gzip adds headers"
    );
    assert_eq!(a.report.bytes_decoded, b.report.bytes_decoded);
    b.report.bytes_read = a.report.bytes_read;
    for e in &mut b.report.unlocated_examples {
        e.first_seen = e.first_seen.replace("b.log", "a.log");
    }
    assert_eq!(a.report, b.report);
}

#[test]
fn busiest_hour_is_measured_from_located_requests() {
    let f = fx();
    let req = |ts: &str, ip: &str, bytes: &str| {
        argus(ts, "/api/v1/assets/9", ip, json!(200), Some(bytes), "n1")
    };
    let text = [
        req("2023-06-14T19:10:00.000Z", "81.2.69.160", "1000"),
        req("2023-06-14T20:05:00.000Z", "81.2.69.160", "3000"),
        req("2023-06-14T20:59:59.999Z", "5.3.1.1", "3000"),
        // Unlocated: counted in no cell, so in no hour either; 21:00 stays empty.
        req("2023-06-14T21:15:00.000Z", "10.1.2.3", "99999"),
        req("2023-06-14T22:30:00.000Z", "5.3.1.1", "2000"),
    ]
    .join("\n");
    let p = f.file("hours.ndjson", &text);
    let got = f.run(&[p], &IngestOptions::new(Preset::Argus)).unwrap();
    let h0 = 1_686_700_800; // 2023-06-14 00:00 UTC
    let hours: Vec<(i64, u64, u64)> = got
        .demand
        .hourly
        .as_ref()
        .expect("an hourly profile")
        .hours
        .iter()
        .map(|(&k, c)| ((k - h0) / 3600, c.requests, c.bytes))
        .collect();
    assert_eq!(hours, [(19, 1, 1000), (20, 2, 6000), (22, 1, 2000)]);
    // Four hours 19:00..22:00 (21:00 counts as zero): mean 2250 bytes, peak 6000.
    let peak = got.demand.busiest_hour().unwrap();
    assert_eq!((peak.start_s, peak.span_hours), (h0 + 20 * 3600, 4));
    assert_eq!(got.demand.mean_bytes_per_hour(), Some(2250.0));
    assert_eq!(got.demand.peak_to_mean(), Some(6000.0 / 2250.0));
    assert_eq!(got.report.busiest_hour, Some(peak));
    let text = got.report.to_string();
    assert!(
        text.contains(
            "busiest hour 2023-06-14 20:00 UTC: 6.00 kB (13.33 bit/s), 2.67× the mean hour of 4"
        ),
        "{text}"
    );
    let one = f
        .run(
            &[f.file("hours1.ndjson", &text_of_hours())],
            &IngestOptions::new(Preset::Argus)
                .threads(1)
                .batch_bytes(300),
        )
        .unwrap();
    let many = f
        .run(
            &[f.file("hours2.ndjson", &text_of_hours())],
            &IngestOptions::new(Preset::Argus)
                .threads(3)
                .batch_bytes(300),
        )
        .unwrap();
    assert_eq!(one.demand, many.demand);
    assert_eq!(one.demand.hourly.unwrap().span_hours(), 49);
}

/// Requests every 37 minutes over two days, from two countries.
fn text_of_hours() -> String {
    (0..80)
        .map(|i| {
            let ms = 1_686_700_800_000i64 + i * 37 * 60_000;
            let ts = cdnplan::io::logs::format_ms(ms);
            let ip = if i % 3 == 0 { "81.2.69.160" } else { "5.3.1.1" };
            argus(
                &ts,
                "/api/v1/assets/9",
                ip,
                json!(200),
                Some(&(i * 10).to_string()),
                "n1",
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn synth_log(f: &Fx, name: &str, spec: &SynthSpec) -> (PathBuf, cdnplan::io::synth::SynthSummary) {
    let p = f.dir.path().join(name);
    let file = std::fs::File::create(&p).unwrap();
    let s = write_ndjson(spec, &f.g2, &f.countries, std::io::BufWriter::new(file)).unwrap();
    (p, s)
}

#[test]
fn thread_counts_and_batch_sizes_do_not_change_the_result() {
    let f = fx();
    let spec = SynthSpec {
        requests: 6_000,
        visitors: 500,
        nodes: vec!["a".into(), "b".into()],
        ..SynthSpec::default()
    };
    let (p, _) = synth_log(&f, "s.ndjson", &spec);
    // Append bad lines so that lenient examples and strict errors are compared too.
    let mut text = std::fs::read_to_string(&p).unwrap();
    text.push_str("{not json\n");
    text.push_str(&argus(
        T,
        "/api/v1/assets/1",
        "garbage",
        json!(200),
        Some("1"),
        "a",
    ));
    text.push('\n');
    let p2 = f.file("s2.ndjson", &text);
    for cells in [
        CellKind::Country,
        CellKind::City,
        CellKind::Geotile { zoom: 4 },
    ] {
        let base = IngestOptions::new(Preset::Argus).cells(cells).lenient(true);
        let one = f
            .run(&[p.clone(), p2.clone()], &base.clone().threads(1))
            .unwrap();
        let two = f
            .run(
                &[p.clone(), p2.clone()],
                &base.clone().threads(2).batch_bytes(4096),
            )
            .unwrap();
        assert_eq!(one.demand, two.demand, "{cells}");
        assert_eq!(one.report, two.report, "{cells}");
        assert_eq!(one.report.skipped_malformed, 2);
    }
    let strict = IngestOptions::new(Preset::Argus);
    let e1 = f
        .run(&[p2.clone(), p.clone()], &strict.clone().threads(1))
        .unwrap_err()
        .to_string();
    let e2 = f
        .run(
            &[p2.clone(), p.clone()],
            &strict.threads(2).batch_bytes(2048),
        )
        .unwrap_err()
        .to_string();
    assert_eq!(e1, e2);
    assert!(e1.contains(&format!("s2.ndjson:{}", 6_001)), "{e1}");
}

#[test]
fn es_hits_lines_and_whole_search_responses() {
    let f = fx();
    let docs: Vec<serde_json::Value> = argus_sample()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let hits: Vec<serde_json::Value> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| json!({"_index": "distributor-node", "_id": i.to_string(), "_score": 1.0, "_source": d}))
        .collect();
    let per_line = f.file(
        "hits.ndjson",
        &hits
            .iter()
            .map(|h| h.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let response = json!({"took": 3, "timed_out": false, "hits": {"total": {"value": hits.len()}, "hits": hits}});
    let pretty = f.file(
        "search.json",
        &serde_json::to_string_pretty(&response).unwrap(),
    );
    let one_line = f.file("search-line.ndjson", &format!("{response}\n{response}\n"));
    let opts = IngestOptions::from_preset_name("ES-Hits").unwrap();
    let a = f.run(&[per_line], &opts).unwrap();
    let b = f.run(&[pretty], &opts).unwrap();
    let c = f.run(&[one_line], &opts).unwrap();
    let plain = f
        .run(
            &[f.file("plain.ndjson", &argus_sample())],
            &IngestOptions::new(Preset::Argus),
        )
        .unwrap();
    assert_eq!(a.demand, plain.demand);
    assert_eq!(b.demand, plain.demand);
    assert_eq!(c.report.requests_counted, 2 * plain.report.requests_counted);
    assert_eq!(cell(&c, "GB").requests, 4);
    assert!(
        b.report.unlocated_examples[0]
            .first_seen
            .ends_with("search.json:1 hit 7"),
        "{:?}",
        b.report.unlocated_examples
    );
}

fn ecs(ip: &str, geo: Option<serde_json::Value>, cc: Option<&str>) -> String {
    let mut client = json!({"ip": ip});
    if let Some(g) = geo {
        client["geo"] = json!({"location": g});
    }
    if let Some(c) = cc {
        client["geo"]["country_iso_code"] = json!(c);
    }
    json!({
        "@timestamp": T,
        "url": {"original": "/api/v1/assets/1?a=b", "path": "/api/v1/assets/1"},
        "client": client,
        "http.response": {"status_code": 200, "body": {"bytes": 10}},
        "host": {"name": "node-1"}
    })
    .to_string()
}

#[test]
fn ecs_records_place_themselves_before_the_database() {
    let f = fx();
    let lines = [
        ecs(
            "81.2.69.160",
            Some(json!({"lat": 40.4168, "lon": -3.7038})),
            Some("ES"),
        ),
        ecs("81.2.69.161", Some(json!([-3.7038, 40.4168])), None),
        ecs("81.2.69.162", Some(json!("40.4168,-3.7038")), None),
        ecs("81.2.69.163", None, Some("UA")),
        ecs("81.2.69.164", None, None),
        ecs("81.2.69.165", None, Some("ZZ")),
    ];
    let p = f.file("ecs.ndjson", &lines.join("\n"));
    let got = f
        .run(
            std::slice::from_ref(&p),
            &IngestOptions::new(Preset::Ecs).cells(CellKind::Geotile { zoom: 5 }),
        )
        .unwrap();
    let madrid = cdnplan::demand::geotile_key(
        &GeoPoint {
            lat: 40.4168,
            lon: -3.7038,
        },
        5,
    );
    let kyiv = cdnplan::demand::geotile_key(
        &GeoPoint {
            lat: 50.4501,
            lon: 30.5234,
        },
        5,
    );
    let london = cdnplan::demand::geotile_key(
        &GeoPoint {
            lat: 51.5142,
            lon: -0.0931,
        },
        5,
    );
    assert_eq!(
        cell(&got, &madrid).requests,
        3,
        "{:?} {}",
        got.demand.cells,
        got.report
    );
    assert_eq!(
        cell(&got, &kyiv).requests,
        1,
        "country only: the country's point"
    );
    assert_eq!(
        cell(&got, &london).requests,
        1,
        "nothing in the record: the database"
    );
    assert_eq!(
        got.report.unlocated_by_reason["country ZZ not in the country table"],
        1
    );
    assert_eq!(got.report.requests_by_node["node-1"], 6);
    // Country cells: the record's country wins; ES is not in the test table.
    let by_country = f.run(&[p], &IngestOptions::new(Preset::Ecs)).unwrap();
    assert_eq!(
        by_country.report.unlocated_by_reason["country ES not in the country table"],
        1
    );
    assert_eq!(cell(&by_country, "GB").requests, 3);
}

#[test]
fn combined_log_format_with_a_clf_time_window() {
    let f = fx();
    let text = [
        r#"81.2.69.160 - - [12/May/2023:10:00:00 +0000] "GET /api/v1/assets/1 HTTP/1.1" 200 1234 "-" "curl/8""#,
        r#"5.3.1.1 - - [12/May/2023:12:00:00 +0200] "GET /distributor/api/v1/assets/2?x HTTP/2.0" 206 10 "-" "ua""#,
        r#"5.3.1.2 - - [13/May/2023:10:00:00 +0000] "GET /api/v1/assets/2 HTTP/1.1" 200 10"#,
        r#"2a00:1fa0::5 - - [11/May/2023:23:59:59 +0000] "HEAD /api/v1/assets/3 HTTP/1.1" 200 -"#,
    ]
    .join("\n");
    let p = f.file("access.log", &text);
    let all = f
        .run(
            std::slice::from_ref(&p),
            &IngestOptions::new(Preset::Combined),
        )
        .unwrap();
    assert_eq!(cell(&all, "RU").requests, 3);
    assert_eq!(cell(&all, "GB").bytes, 1234);
    let filter = LogFilter::default()
        .since("12/May/2023:00:00:00 +0000")
        .unwrap()
        .until("2023-05-13")
        .unwrap();
    let day = f
        .run(&[p], &IngestOptions::new(Preset::Combined).filter(filter))
        .unwrap();
    assert_eq!(cell(&day, "RU").requests, 1);
    assert_eq!(day.report.filtered_out["before the time window"], 1);
    assert_eq!(day.report.filtered_out["after the time window"], 1);
}

#[test]
fn csv_preset_and_a_custom_column_mapping() {
    let f = fx();
    let p = f.file(
        "log.csv",
        "timestamp,url,client_ip,status,bytes\n2023-05-12T00:00:00Z,/api/v1/assets/1,81.2.69.160,200,10\n\"2023-05-12T00:00:01Z\",\"/api/v1/assets/2\",\"5.3.0.9, 10.0.0.1\",206,\n",
    );
    let got = f.run(&[p], &IngestOptions::new(Preset::Csv)).unwrap();
    assert_eq!(
        (cell(&got, "GB").requests, cell(&got, "RU").requests),
        (1, 1)
    );
    assert_eq!(got.report.lines, 3);

    let mapping = FieldMapping {
        timestamp: "time".parse().unwrap(),
        url: "path".parse().unwrap(),
        client_ip: "ip".parse().unwrap(),
        status: "code".parse().unwrap(),
        bytes: FieldSpec::new("size"),
        geo_location: None,
        country: Some("cc".parse().unwrap()),
        node: Some(FieldSpec::new("edge")),
    };
    let p = f.file("custom.csv", "edge,time,path,ip,code,size,cc\ne1,1683849600000,/api/v1/assets/1,1.1.1.1,200,5,ua\ne2,\"1683849600000,/api/v1/assets/1\n");
    let opts = IngestOptions::new(Preset::Csv).mapping(mapping);
    let e = f
        .run(std::slice::from_ref(&p), &opts)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("custom.csv:3: field `record`: malformed CSV"),
        "{e}"
    );
    let got = f.run(&[p], &opts.clone().lenient(true)).unwrap();
    assert_eq!(cell(&got, "UA").requests, 1);
    assert_eq!(got.report.requests_by_node["e1"], 1);
}

#[test]
fn flat_schema_database_agrees_with_geoip2() {
    let f = fx();
    let p = f.file("argus.ndjson", &argus_sample());
    let opts = IngestOptions::new(Preset::Argus);
    let g2 = f.run(std::slice::from_ref(&p), &opts).unwrap();
    let flat = ingest(
        std::slice::from_ref(&p),
        &f.flat,
        &f.countries,
        &opts,
        &NoProgress,
    )
    .unwrap();
    // The IPv6 client is unknown to the IPv4-only flat database.
    assert_eq!(cell(&flat, "RU").requests, 1);
    assert_eq!(cell(&flat, "GB"), cell(&g2, "GB"));
    let cities = opts.clone().cells(CellKind::City);
    let g2c = f.run(std::slice::from_ref(&p), &cities).unwrap();
    let flatc = ingest(&[p], &f.flat, &f.countries, &cities, &NoProgress).unwrap();
    let (a, b) = (cell(&g2c, "GB/London"), cell(&flatc, "GB/London"));
    assert_eq!(
        a.location,
        GeoPoint {
            lat: 51.5142,
            lon: -0.0931
        }
    );
    assert_eq!(
        b.location, a.location,
        "f32 coordinates read through their shortest decimal"
    );
    assert_eq!(cell(&g2c, "RU/Moscow").requests, 2);
}

#[test]
fn country_only_database_places_clients_at_the_country_point() {
    let f = fx();
    let db = GeoIp::from_bytes(flat_db(false), "country.mmdb").unwrap();
    let p = f.file("argus.ndjson", &argus_sample());
    let got = ingest(
        &[p],
        &db,
        &f.countries,
        &IngestOptions::new(Preset::Argus).cells(CellKind::Geotile { zoom: 6 }),
        &NoProgress,
    )
    .unwrap();
    let gb = cdnplan::demand::geotile_key(
        &GeoPoint {
            lat: 51.5074,
            lon: -0.1278,
        },
        6,
    );
    assert_eq!(cell(&got, &gb).requests, 2);
    // Issue 15 row 21: none of it is silent.
    assert_eq!(
        got.report.requests_at_country_point,
        got.report.requests_located()
    );
}

#[test]
fn status_lists_and_all_paths() {
    let f = fx();
    let p = f.file("argus.ndjson", &argus_sample());
    let filter = LogFilter::default()
        .all_paths()
        .status("2xx,404".parse::<StatusFilter>().unwrap());
    let got = f
        .run(&[p], &IngestOptions::new(Preset::Argus).filter(filter))
        .unwrap();
    assert_eq!(
        cell(&got, "GB").requests,
        4,
        "the 404 and the status request count"
    );
    assert!(!got.report.filtered_out.contains_key("status 404"));
}

/// Issue 15, also met: the library names the settings that would have read the logs.
#[test]
fn errors_name_the_preset_and_all_paths_settings() {
    let f = fx();
    let line = "81.2.69.142 - - [12/May/2023:10:00:00 +0000] \"GET /index.html HTTP/1.1\" \
                200 10 \"-\" \"curl/8\"";
    let e = strict_error(&f, Preset::Argus, &[line.to_string()]);
    assert!(
        e.contains("malformed JSON") && e.contains("set the preset to `combined`"),
        "{e}"
    );
    let p = f.file("access.log", line);
    let e = f
        .run(
            std::slice::from_ref(&p),
            &IngestOptions::new(Preset::Combined),
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("asset-path filter rejected 1 request") && e.contains("set `all_paths`"),
        "{e}"
    );
    let all = IngestOptions::new(Preset::Combined).filter(LogFilter::default().all_paths());
    assert_eq!(f.run(&[p], &all).unwrap().report.requests_counted, 1);
}

fn strict_error(f: &Fx, preset: Preset, lines: &[String]) -> String {
    let p = f.file("bad.ndjson", &lines.join("\n"));
    let e = f.run(&[p], &IngestOptions::new(preset)).unwrap_err();
    assert!(matches!(e, Error::Field { .. }), "{e:?}");
    e.to_string()
}

#[test]
fn strict_mode_names_file_line_field_and_value() {
    let f = fx();
    let good = argus(
        T,
        "/api/v1/assets/1",
        "81.2.69.160",
        json!(200),
        Some("1"),
        "n",
    );
    let e = strict_error(
        &f,
        Preset::Argus,
        &[good.clone(), good.clone(), "{\"@timestamp\": tru".into()],
    );
    assert!(
        e.contains("bad.ndjson:3: field `record`: malformed JSON"),
        "{e}"
    );
    let mut missing: serde_json::Value = serde_json::from_str(&good).unwrap();
    missing["fields"]["meta"]["res"]
        .as_object_mut()
        .unwrap()
        .remove("statusCode");
    let e = strict_error(&f, Preset::Argus, &[good.clone(), missing.to_string()]);
    assert!(
        e.contains("bad.ndjson:2: field `fields.meta.res.statusCode`: missing"),
        "{e}"
    );
    let e = strict_error(
        &f,
        Preset::Argus,
        &[argus(
            T,
            "/api/v1/assets/1",
            "not-an-ip",
            json!(200),
            None,
            "n",
        )],
    );
    assert!(e.contains(":1: field `fields.meta.req.headers.x-forwarded-for`: not an IP address (got \"not-an-ip\")"), "{e}");
    let e = strict_error(
        &f,
        Preset::Argus,
        &[argus(
            "yesterday",
            "/api/v1/assets/1",
            "1.1.1.1",
            json!(200),
            None,
            "n",
        )],
    );
    assert!(
        e.contains("field `@timestamp`") && e.contains("yesterday"),
        "{e}"
    );
    let e = strict_error(
        &f,
        Preset::Ecs,
        &[ecs("1.1.1.1", Some(json!({"lat": 95.0, "lon": 0.0})), None)],
    );
    assert!(
        e.contains("field `client.geo.location`: coordinates out of range"),
        "{e}"
    );
    let e = strict_error(&f, Preset::Ecs, &[ecs("1.1.1.1", None, Some("Russia"))]);
    assert!(
        e.contains(
            "field `client.geo.country_iso_code`: not a two-letter country code (got \"Russia\")"
        ),
        "{e}"
    );
    let e = strict_error(
        &f,
        Preset::EsHits,
        &[format!(
            "{{\"_source\":{}}}",
            argus(T, "/api/v1/assets/1", "1.1.1.1", json!("OK"), None, "n")
        )],
    );
    assert!(
        e.contains("field `_source.fields.meta.res.statusCode`: not an HTTP status code"),
        "{e}"
    );
}

#[test]
fn lenient_mode_skips_counts_and_locates_bad_records() {
    let f = fx();
    let good = argus(
        T,
        "/api/v1/assets/1",
        "81.2.69.160",
        json!(200),
        Some("1"),
        "n",
    );
    let lines = [
        good.clone(),
        "{oops".into(),
        argus(T, "/api/v1/assets/1", "999.1.1.1", json!(200), None, "n"),
        argus(
            T,
            "/api/v1/assets/1",
            "1.2.3.4",
            json!(200),
            Some("many"),
            "n",
        ),
        "{also bad".into(),
        good,
    ];
    let p = f.file("mixed.ndjson", &lines.join("\n"));
    let got = f
        .run(&[p], &IngestOptions::new(Preset::Argus).lenient(true))
        .unwrap();
    let r = &got.report;
    assert_eq!(r.skipped_malformed, 4);
    assert_eq!(r.skipped_by_reason["malformed JSON"], 2);
    assert_eq!(
        r.skipped_by_reason["field `fields.meta.req.headers.x-forwarded-for`: not an IP address"],
        1
    );
    assert_eq!(
        r.skipped_by_reason["field `fields.meta.res.headers.content-length`: not a byte count"],
        1
    );
    assert!(
        r.skipped_examples[0].contains("mixed.ndjson:2: field `record`"),
        "{:?}",
        r.skipped_examples
    );
    assert!(
        r.skipped_examples[1].contains("mixed.ndjson:3:"),
        "{:?}",
        r.skipped_examples
    );
    assert_eq!(cell(&got, "GB").requests, 2);
    assert!(r.to_string().contains("skipped 4 malformed records"));
}

#[test]
fn missing_and_corrupt_inputs_are_errors_naming_the_file() {
    let f = fx();
    let missing = f.dir.path().join("nope.ndjson");
    let e = f.run(&[missing], &IngestOptions::default()).unwrap_err();
    assert!(
        matches!(e, Error::Io { .. }) && e.to_string().contains("nope.ndjson"),
        "{e}"
    );
    let e = GeoIp::open(f.dir.path().join("nope.mmdb")).unwrap_err();
    assert!(
        matches!(e, Error::Io { .. }) && e.to_string().contains("nope.mmdb"),
        "{e}"
    );
    let bad = f.file("bad.mmdb", "not a database at all");
    let e = GeoIp::open(&bad).unwrap_err();
    assert!(
        matches!(e, Error::Format { .. }) && e.to_string().contains("bad.mmdb"),
        "{e}"
    );
    let mut gz = std::fs::read(f.gz("cut.gz", &argus_sample())).unwrap();
    gz.truncate(gz.len() / 2);
    let cut = f.dir.path().join("cut.gz");
    std::fs::write(&cut, gz).unwrap();
    let e = f.run(&[cut], &IngestOptions::default()).unwrap_err();
    assert!(
        matches!(e, Error::Io { .. }) && e.to_string().contains("cut.gz"),
        "{e}"
    );
}

#[test]
fn empty_demand_names_the_filters_and_counts() {
    let f = fx();
    let p = f.file("argus.ndjson", &argus_sample());
    let opts =
        IngestOptions::new(Preset::Argus).filter(LogFilter::default().since("2024-01-01").unwrap());
    let e = f.run(&[p], &opts).unwrap_err().to_string();
    assert!(e.contains("empty demand"), "{e}");
    assert!(
        e.contains("since 2024-01-01T00:00:00Z") && e.contains("status 200-299"),
        "{e}"
    );
    assert!(e.contains("12 lines"), "{e}");
}

#[test]
fn unknown_preset_lists_the_presets() {
    let e = IngestOptions::from_preset_name("splunk").unwrap_err();
    assert!(matches!(e, Error::Config(_)));
    assert!(
        e.to_string().contains("argus, es-hits, ecs, combined, csv"),
        "{e}"
    );
}

#[test]
fn synth_round_trip_recovers_shares_and_visitors() {
    let f = fx();
    let cc = |s| CountryCode::new(s).unwrap();
    let spec = SynthSpec {
        seed: 7,
        requests: 20_000,
        visitors: 800,
        shares: vec![(cc("RU"), 0.3), (cc("UA"), 0.2), (cc("TR"), 0.1)],
        nodes: vec!["dist-1.example".into(), "dist-2.example".into()],
        ipv6_share: 0.2,
        ..SynthSpec::default()
    };
    let (p, summary) = synth_log(&f, "synth.ndjson", &spec);
    assert_eq!((summary.requests, summary.visitors), (20_000, 800));
    let all =
        IngestOptions::new(Preset::Argus).filter(LogFilter::default().status(StatusFilter::all()));
    let got = f.run(std::slice::from_ref(&p), &all).unwrap();
    assert_eq!(got.report.requests_counted, 20_000);
    assert_eq!(got.report.unlocated_requests, 0);
    let clients: u64 = got.demand.cells.iter().map(|c| c.unique_clients).sum();
    assert_eq!(
        clients, 800,
        "every visitor appears, each with a distinct address"
    );
    for c in &got.demand.cells {
        let code = c.country.unwrap();
        assert_eq!(c.requests, summary.requests_by_country[&code], "{code}");
        assert_eq!(
            c.unique_clients, summary.visitors_by_country[&code],
            "{code}"
        );
    }
    for (code, share) in &spec.shares {
        let got_share = cell(&got, code.as_str()).requests as f64 / 20_000.0;
        assert!(
            (got_share - share).abs() < 0.02,
            "{code}: {got_share} vs {share}"
        );
    }
    // The rest follows internet users: US (300 M) gets more than GB (65 M).
    assert!(cell(&got, "US").requests > cell(&got, "GB").requests);
    assert!(
        got.demand.cells.iter().all(|c| c.id != "CN"),
        "no networks for CN in the database"
    );
    // Default filter: exactly the generator's 2xx counts.
    let ok = f.run(&[p], &IngestOptions::new(Preset::Argus)).unwrap();
    for c in &ok.demand.cells {
        assert_eq!(
            c.requests,
            summary.ok_requests_by_country[&c.country.unwrap()]
        );
    }
    assert_eq!(ok.report.requests_by_node.len(), 2);
}

#[test]
fn synth_is_byte_identical_for_the_same_spec() {
    let f = fx();
    let spec = SynthSpec {
        requests: 3_000,
        visitors: 300,
        ..SynthSpec::default()
    };
    let generate = |s: &SynthSpec| {
        let mut v = Vec::new();
        write_ndjson(s, &f.g2, &f.countries, &mut v).unwrap();
        v
    };
    let a = generate(&spec);
    assert_eq!(a, generate(&spec));
    assert_ne!(
        a,
        generate(&SynthSpec {
            seed: 2,
            ..spec.clone()
        })
    );
    let flat = {
        let mut v = Vec::new();
        write_ndjson(&spec, &f.flat, &f.countries, &mut v).unwrap();
        v
    };
    assert_ne!(a, flat, "the database is an input");
}

#[test]
fn synth_bytes_target_and_gzip_helper() {
    let f = fx();
    let spec = SynthSpec {
        bytes_target: Some(2_000_000),
        visitors: 200,
        ..SynthSpec::default()
    };
    let mut v = Vec::new();
    let s = write_ndjson(&spec, &f.g2, &f.countries, &mut v).unwrap();
    assert_eq!(s.bytes, v.len() as u64);
    assert!(
        (s.bytes as f64 - 2e6).abs() < 0.05 * 2e6,
        "{} bytes",
        s.bytes
    );
    let gz = f.dir.path().join("s.ndjson.gz");
    let s2 = write_ndjson_gz(&gz, &spec, &f.g2, &f.countries).unwrap();
    assert_eq!(s, s2);
    let plain = f.dir.path().join("s.ndjson");
    std::fs::write(&plain, &v).unwrap();
    let opts = IngestOptions::new(Preset::Argus);
    let a = f.run(std::slice::from_ref(&gz), &opts).unwrap();
    assert_eq!(a.demand, f.run(&[plain], &opts).unwrap().demand);
    assert!(
        std::fs::metadata(&gz).unwrap().len() < s.bytes / 4,
        "compressed"
    );
    let e = write_ndjson(
        &SynthSpec {
            requests: 10,
            visitors: 20,
            ..SynthSpec::default()
        },
        &f.g2,
        &f.countries,
        Vec::new(),
    );
    assert!(matches!(e, Err(Error::Config(_))));
}

#[derive(Default)]
struct Recorder {
    total: AtomicU64,
    done: AtomicU64,
}

impl Progress for Recorder {
    fn begin(&self, _phase: &str, total: Option<u64>) {
        self.total.store(total.unwrap_or(0), Ordering::SeqCst);
    }
    fn advance(&self, delta: u64) {
        self.done.fetch_add(delta, Ordering::SeqCst);
    }
    fn end(&self) {}
}

#[test]
fn progress_counts_bytes_read_out_of_the_total() {
    let f = fx();
    let a = f.file("a.ndjson", &argus_sample());
    let b = f.gz("b.ndjson.gz", &argus_sample());
    let size = |p: &Path| std::fs::metadata(p).unwrap().len();
    let rec = Recorder::default();
    let got = ingest(
        &[a.clone(), b.clone()],
        &f.g2,
        &f.countries,
        &IngestOptions::default(),
        &rec,
    )
    .unwrap();
    let total = size(&a) + size(&b);
    assert_eq!(rec.total.load(Ordering::SeqCst), total);
    assert_eq!(rec.done.load(Ordering::SeqCst), total);
    assert_eq!(got.report.bytes_read, total);
    assert_eq!(got.report.files, 2);
}

/// Issue 15 row 13, in every log format: a line over `max_line_bytes` is a malformed record
/// naming file and line (a CSV header over it names the header); lenient reading skips it.
#[test]
fn lines_over_the_line_limit_are_named_in_every_format() {
    let f = fx();
    let long = "x".repeat(300);
    let p = f.file("long.csv", &format!("timestamp,url,{long}\n"));
    let e = f
        .run(&[p], &IngestOptions::new(Preset::Csv).max_line_bytes(100))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("long.csv:1: field `header`: line longer than 100 bytes"),
        "{e}"
    );
    let mut lines: Vec<String> = argus_sample().lines().map(str::to_string).collect();
    let limit = lines.iter().map(String::len).max().unwrap();
    lines.insert(1, "x".repeat(limit + 1));
    let p = f.file("long.ndjson", &lines.join("\n"));
    let opts = IngestOptions::new(Preset::Argus).max_line_bytes(limit);
    let e = f
        .run(std::slice::from_ref(&p), &opts)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("long.ndjson:2: field `record`: line longer than"),
        "{e}"
    );
    let got = f.run(&[p], &opts.clone().lenient(true)).unwrap();
    assert_eq!(got.report.skipped_malformed, 1);
    // Every other record is read as without the long line.
    let plain = f.file("plain.ndjson", &argus_sample());
    let base = f.run(&[plain], &opts).unwrap();
    assert_eq!(got.report.records, base.report.records + 1);
    assert_eq!(got.report.requests_counted, base.report.requests_counted);
}
