//! Issue 16: demand from a cluster equals the log reader's on real-world mappings. Each test
//! seeds osmem-server with a small index layout that broke one promise, reads it in every
//! mode (push-down, raw with a point in time, raw with a scroll) and compares with the log
//! reader on the same documents written as NDJSON.

use cdnplan::io::Error;
use cdnplan::io::es::{self, EsClient, EsConnection, EsIngested, EsMode, EsQuery};
use cdnplan::io::geoip::GeoIp;
use cdnplan::io::logs::{IngestOptions, Ingested, LogFilter, Preset, ingest};
use cdnplan::{CellKind, Countries, NoProgress};
use serde_json::{Value, json};

use super::ingest::{countries, geoip2_db};
use super::support::{ecs, osmem};

/// The three ways of reading a cluster.
const MODES: [(&str, EsMode, bool); 3] = [
    ("push-down", EsMode::PushDown, false),
    ("raw pit", EsMode::Raw, false),
    ("raw scroll", EsMode::Raw, true),
];

struct Fx {
    geoip: GeoIp,
    countries: Countries,
    dir: tempfile::TempDir,
    client: EsClient,
    /// A prefix unique to this process and test.
    prefix: String,
    seeded: Vec<String>,
}

impl Drop for Fx {
    fn drop(&mut self) {
        for i in &self.seeded {
            ecs::drop_index(&self.client, i);
        }
    }
}

fn fx(test: &str) -> Fx {
    Fx {
        geoip: GeoIp::from_bytes(geoip2_db(), "geoip2.mmdb").unwrap(),
        countries: countries(),
        dir: tempfile::tempdir().unwrap(),
        client: EsClient::connect(&EsConnection::url(osmem::url()).unwrap().timeout_secs(30.0))
            .unwrap(),
        prefix: format!("logs-i16t{}{test}", std::process::id()),
        seeded: Vec::new(),
    }
}

impl Fx {
    /// Creates index `<prefix>-<node>` with `mapping` (dynamic when `None`) holding `docs`.
    fn seed(&mut self, node: &str, mapping: Option<Value>, docs: &[Value]) -> String {
        let name = format!("{}-{node}", self.prefix);
        let lines: Vec<String> = docs.iter().map(Value::to_string).collect();
        ecs::seed(&self.client, &name, mapping.as_ref(), &lines);
        self.seeded.push(name.clone());
        name
    }

    /// The log reader on `docs` written as NDJSON.
    fn file(&self, docs: &[Value], opts: &IngestOptions) -> Ingested {
        let p = self.dir.path().join("docs.ndjson");
        let text: Vec<String> = docs.iter().map(Value::to_string).collect();
        std::fs::write(&p, text.join("\n")).unwrap();
        ingest(&[p], &self.geoip, &self.countries, opts, &NoProgress).unwrap()
    }

    fn read(&self, mode: EsMode, scroll: bool, opts: &IngestOptions) -> Result<EsIngested, Error> {
        self.read_index(&format!("{}-*", self.prefix), mode, scroll, opts)
    }

    fn read_index(
        &self,
        index: &str,
        mode: EsMode,
        scroll: bool,
        opts: &IngestOptions,
    ) -> Result<EsIngested, Error> {
        let q = EsQuery::new(index).mode(mode).scroll(scroll).page_size(3);
        es::demand(
            &self.client,
            &q,
            opts,
            Some(&self.geoip),
            &self.countries,
            &NoProgress,
        )
    }

    /// Every mode's cells equal the log reader's.
    fn same_cells(&self, docs: &[Value], opts: &IngestOptions) -> Vec<EsIngested> {
        let want = self.file(docs, opts);
        MODES
            .iter()
            .map(|&(label, mode, scroll)| {
                let got = self.read(mode, scroll, opts).unwrap();
                assert_eq!(
                    got.demand.cells, want.demand.cells,
                    "{label}, {}\n{}",
                    opts.cells, got.es
                );
                assert_eq!(got.report.requests_counted, want.report.requests_counted);
                got
            })
            .collect()
    }
}

/// An ECS request document.
fn doc(ip: &str, country: Option<&str>, bytes: u64) -> Value {
    let mut d = json!({
        "@timestamp": "2024-01-10T12:00:00Z",
        "url": {"path": "/api/v1/assets/7"},
        "client": {"ip": ip},
        "http": {"response": {"status_code": 200, "bytes": bytes}},
        "host": {"name": "n1.example"},
    });
    if let Some(cc) = country {
        d["client"]["geo"] = json!({"country_iso_code": cc});
    }
    d
}

/// Defect 1: a client seen in documents with and without the cell field counts once.
#[test]
fn issue_16_a_client_with_and_without_a_country_counts_once() {
    let mut f = fx("d1");
    let docs = [
        doc("81.2.69.142", Some("GB"), 10),
        doc("81.2.69.142", None, 20),
    ];
    f.seed("n1", Some(ecs::ecs_mapping()), &docs);
    let opts = IngestOptions::new(Preset::Ecs).cells(CellKind::Country);
    let got = f.same_cells(&docs, &opts);
    assert_eq!(got[0].demand.cells[0].unique_clients, 1);
    assert!(
        got[0].es.documents > 0,
        "the document without a country is read raw"
    );
}

/// Defect 2: each index's mapping decides the byte field.
#[test]
fn issue_16_byte_fields_resolve_per_index() {
    let mut f = fx("d2");
    let a: Vec<Value> = (0..4)
        .map(|i| doc(&format!("81.2.69.{i}"), Some("GB"), 100))
        .collect();
    let b: Vec<Value> = (0..4)
        .map(|i| {
            let mut d = doc(&format!("5.3.0.{i}"), Some("RU"), 0);
            d["http"]["response"] = json!({"status_code": 200, "body": {"bytes": 1000}});
            d
        })
        .collect();
    let mut mb = ecs::ecs_mapping();
    mb["mappings"]["properties"]["http"]["properties"]["response"]["properties"] = json!({"status_code": {"type": "long"}, "body": {"properties": {"bytes": {"type": "long"}}}});
    f.seed("n1", Some(ecs::ecs_mapping()), &a);
    f.seed("n2", Some(mb), &b);
    let docs: Vec<Value> = a.into_iter().chain(b).collect();
    let opts = IngestOptions::new(Preset::Ecs).cells(CellKind::Country);
    let got = f.same_cells(&docs, &opts);
    let ru = got[0].demand.cells.iter().find(|c| c.id == "RU").unwrap();
    assert_eq!(ru.bytes, 4000);
}

/// Defect 3: documents with `url.original` only are counted, in every mode.
#[test]
fn issue_16_url_original_only_documents_count() {
    let mut f = fx("d3");
    let docs: Vec<Value> = (0..6)
        .map(|i| {
            let mut d = doc(&format!("81.2.69.{i}"), Some("GB"), 5);
            if i % 2 == 0 {
                d["url"] = json!({"original": "https://cdn.example/api/v1/assets/9?x=1"});
            }
            d
        })
        .collect();
    let mut m = ecs::ecs_mapping();
    m["mappings"]["properties"]["url"]["properties"]["original"] = json!({"type": "keyword"});
    f.seed("n1", Some(m), &docs);
    let opts = IngestOptions::new(Preset::Ecs).cells(CellKind::Country);
    let got = f.same_cells(&docs, &opts);
    assert_eq!(got[0].demand.cells[0].requests, 6);
}

/// Defect 4: URLs longer than a dynamic mapping's `ignore_above: 256` are counted.
#[test]
fn issue_16_urls_beyond_ignore_above_count() {
    let mut f = fx("d4");
    let long = format!("/api/v1/assets/{}", "7".repeat(300));
    let docs: Vec<Value> = (0..8)
        .map(|i| {
            let mut d = doc(&format!("81.2.69.{i}"), Some("GB"), 5);
            if i % 4 == 0 {
                d["url"]["path"] = json!(long);
            }
            d
        })
        .collect();
    f.seed("n1", None, &docs);
    let opts = IngestOptions::new(Preset::Ecs).cells(CellKind::Country);
    let got = f.same_cells(&docs, &opts);
    assert_eq!(got[0].demand.total_requests(), 8);
    assert!(
        got[0].es.documents >= 2,
        "the long URLs are read raw: {}",
        got[0].es
    );
}

/// Defect 5: `gb` and `GB` are one cell whose clients are a union; an empty country is
/// missing, so GeoIP places the client.
#[test]
fn issue_16_country_codes_are_upper_cased_and_empty_is_missing() {
    let mut f = fx("d5");
    let docs = [
        doc("81.2.69.142", Some("gb"), 1),
        doc("81.2.69.142", Some("GB"), 2),
        doc("81.2.69.143", Some(" gb "), 4),
        doc("5.3.1.1", Some(""), 8),
    ];
    f.seed("n1", Some(ecs::ecs_mapping()), &docs);
    let opts = IngestOptions::new(Preset::Ecs).cells(CellKind::Country);
    let got = f.same_cells(&docs, &opts);
    let ids: Vec<(&str, u64)> = got[0]
        .demand
        .cells
        .iter()
        .map(|c| (c.id.as_str(), c.unique_clients))
        .collect();
    assert_eq!(ids, [("GB", 2), ("RU", 1)]);
}

/// Defect 6: client addresses in a keyword field are one client however they are written.
#[test]
fn issue_16_client_addresses_are_canonicalised() {
    let mut f = fx("d6");
    let docs = [
        doc("81.2.69.142", Some("GB"), 1),
        doc("::ffff:81.2.69.142", Some("GB"), 1),
        doc("::FFFF:81.2.69.142", Some("GB"), 1),
        doc("2a00:1fa0::1", Some("RU"), 1),
        doc("2A00:1FA0:0:0:0:0:0:1", Some("RU"), 1),
        doc("2a00:1fa0:0000::0001", Some("RU"), 1),
    ];
    let mut m = ecs::ecs_mapping();
    m["mappings"]["properties"]["client"]["properties"]["ip"] = json!({"type": "keyword"});
    f.seed("n1", Some(m), &docs);
    let opts = IngestOptions::new(Preset::Ecs).cells(CellKind::Country);
    let got = f.same_cells(&docs, &opts);
    assert!(got[0].demand.cells.iter().all(|c| c.unique_clients == 1));
}

/// Defect 7: the advice of a push-down error works when followed.
#[test]
fn issue_16_advice_to_read_raw_works() {
    let mut f = fx("d7");
    let docs = [
        doc("81.2.69.142", Some("GB"), 1),
        doc("5.3.1.1", Some("RU"), 1),
    ];
    let mut m = ecs::ecs_mapping();
    m["mappings"]["properties"]["client"]["properties"]["geo"]["properties"]["country_iso_code"] =
        json!({"type": "text"});
    f.seed("n1", Some(m), &docs);
    let opts = IngestOptions::new(Preset::Ecs).cells(CellKind::Country);
    let e = f
        .read(EsMode::PushDown, false, &opts)
        .unwrap_err()
        .to_string();
    assert!(e.contains("Elasticsearch mode `raw`"), "{e}");
    let want = f.file(&docs, &opts);
    let got = f.read(EsMode::Raw, false, &opts).unwrap();
    assert_eq!(got.demand.cells, want.demand.cells);
    let auto = f.read(EsMode::Auto, false, &opts).unwrap();
    assert_eq!(auto.es.mode, EsMode::Raw);
    assert_eq!(auto.demand.cells, want.demand.cells);
}

/// Defect 8: requests by node are the same in every mode when the node field is mapped on
/// some indices only, or kept unmapped in `_source`.
#[test]
fn issue_16_requests_by_node_agree_across_modes() {
    let mut f = fx("d8");
    let with_host = |node: &str, n: u8| -> Vec<Value> {
        (0..n)
            .map(|i| {
                let mut d = doc(&format!("81.2.69.{i}"), Some("GB"), 1);
                d["host"]["name"] = json!(node);
                d
            })
            .collect()
    };
    let a = with_host("a.example", 3);
    // Node field in `_source` but not in this index's mapping.
    let b = with_host("b.example", 4);
    let mut mb = ecs::ecs_mapping();
    mb["mappings"]["dynamic"] = json!(false);
    mb["mappings"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("host");
    // No node field at all: the node is the data stream's.
    let c: Vec<Value> = with_host("x", 5)
        .into_iter()
        .map(|mut d| {
            d.as_object_mut().unwrap().remove("host");
            d
        })
        .collect();
    let mut mc = ecs::ecs_mapping();
    mc["mappings"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("host");
    f.seed("n1", Some(ecs::ecs_mapping()), &a);
    f.seed("n2", Some(mb), &b);
    f.seed("n3", Some(mc), &c);
    let docs: Vec<Value> = [a, b, c].concat();
    let opts = IngestOptions::new(Preset::Ecs).cells(CellKind::Country);
    let got = f.same_cells(&docs, &opts);
    let want: std::collections::BTreeMap<String, u64> =
        [("a.example", 3), ("b.example", 4), ("n3", 5)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
    for g in &got {
        assert_eq!(g.report.requests_by_node, want, "{}", g.es);
    }
}

/// An empty window says what the index holds; a window ending before it starts is refused;
/// the message has no empty `filtered out {}`.
#[test]
fn issue_16_windows_that_count_nothing_say_why() {
    let mut f = fx("w");
    let docs = [doc("81.2.69.142", Some("GB"), 1)];
    f.seed("n1", Some(ecs::ecs_mapping()), &docs);
    let window = |a: &str, b: &str| {
        IngestOptions::new(Preset::Ecs)
            .filter(LogFilter::default().since(a).unwrap().until(b).unwrap())
    };
    for &(label, mode, scroll) in &MODES {
        let e = f
            .read(mode, scroll, &window("2023-01-01", "2023-02-01"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("the index has 1 documents from 2024-01-10T12:00:00Z"),
            "{label}: {e}"
        );
        assert!(!e.contains("filtered out {}"), "{label}: {e}");
        let e = f
            .read(mode, scroll, &window("2024-02-01", "2024-01-01"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`since`") && e.contains("`until`"),
            "{label}: {e}"
        );
    }
}

/// Indices mapped two ways behind an alias with a filter: the filter still applies.
#[test]
fn issue_16_a_filtered_alias_keeps_its_filter() {
    let mut f = fx("fa");
    let at = |d: &mut Value, t: &str| d["@timestamp"] = json!(t);
    let mut a: Vec<Value> = (0..4)
        .map(|i| doc(&format!("81.2.69.{i}"), Some("GB"), 10))
        .collect();
    let mut b: Vec<Value> = (0..4)
        .map(|i| {
            let mut d = doc(&format!("5.3.0.{i}"), Some("RU"), 0);
            d["http"]["response"] = json!({"status_code": 200, "body": {"bytes": 1000}});
            d
        })
        .collect();
    at(&mut a[0], "2024-01-11T00:00:00Z");
    at(&mut b[0], "2024-01-11T00:00:00Z");
    let mut mb = ecs::ecs_mapping();
    mb["mappings"]["properties"]["http"]["properties"]["response"]["properties"] = json!({"status_code": {"type": "long"}, "body": {"properties": {"bytes": {"type": "long"}}}});
    let na = f.seed("n1", Some(ecs::ecs_mapping()), &a);
    let nb = f.seed("n2", Some(mb), &b);
    let alias = format!("{}-recent", f.prefix);
    let filter = json!({"range": {"@timestamp": {"lt": "2024-01-10T23:00:00Z"}}});
    let actions = json!({"actions": [
        {"add": {"index": na, "alias": alias, "filter": filter}},
        {"add": {"index": nb, "alias": alias, "filter": filter}},
    ]});
    f.client
        .request("POST", "/_aliases", Some(&actions))
        .unwrap();
    let kept: Vec<Value> = a[1..].iter().chain(&b[1..]).cloned().collect();
    let opts = IngestOptions::new(Preset::Ecs).cells(CellKind::Country);
    let want = f.file(&kept, &opts);
    for &(label, mode, scroll) in &MODES {
        let got = f.read_index(&alias, mode, scroll, &opts).unwrap();
        assert_eq!(got.demand.cells, want.demand.cells, "{label}");
    }
}
