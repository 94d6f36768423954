//! Demand from Elasticsearch / OpenSearch against a real server (osmem-server, started by
//! `support::osmem`; and the cluster at `CDNPLAN_TEST_ES_URL` when set): the cluster's demand
//! equals the log reader's for the same documents, through faults too.

use std::path::PathBuf;
use std::time::Duration;

use cdnplan::io::Error;
use cdnplan::io::es::{self, EsClient, EsConnection, EsError, EsIngested, EsMode, EsQuery, Paging};
use cdnplan::io::geoip::GeoIp;
use cdnplan::io::logs::{IngestOptions, Ingested, Preset, ingest};
use cdnplan::io::synth::{SynthSpec, write_ndjson};
use cdnplan::{CellKind, Countries, NoProgress};
use serde_json::{Value, json};

use super::ingest::{countries, geoip2_db};
use super::support::ecs::{self, ecs_doc, ecs_mapping};
use super::support::osmem;
use super::support::proxy::{Fault, Proxy};

/// Every cluster the suite runs against.
fn targets() -> Vec<String> {
    let mut v = vec![osmem::url().to_string()];
    if let Ok(u) = std::env::var("CDNPLAN_TEST_ES_URL")
        && !u.trim().is_empty()
    {
        v.push(u);
    }
    v
}

struct Fx {
    geoip: GeoIp,
    countries: Countries,
    dir: tempfile::TempDir,
    argus: String,
    ecs: String,
}

fn fx() -> Fx {
    let geoip = GeoIp::from_bytes(geoip2_db(), "geoip2.mmdb").unwrap();
    let countries = countries();
    let spec = SynthSpec {
        requests: 1_500,
        visitors: 150,
        nodes: vec!["n1.example".into(), "n2.example".into()],
        ..SynthSpec::default()
    };
    let mut buf = Vec::new();
    write_ndjson(&spec, &geoip, &countries, &mut buf).unwrap();
    let argus = String::from_utf8(buf).unwrap();
    let ecs = ecs_docs(&argus, &geoip);
    Fx {
        geoip,
        countries,
        dir: tempfile::tempdir().unwrap(),
        argus,
        ecs,
    }
}

/// The Argus documents in the data-stream/ECS layout, located as an ingest pipeline's geoip
/// processor would. The clients whose address ends in 3 or 7 get no location and no country,
/// as clients the cluster's GeoIP database misses (the raw read places those). Every 40th
/// document names country `ZZ`, which the country table lacks: unlocated in country cells.
fn ecs_docs(argus: &str, geoip: &GeoIp) -> String {
    let mut out = String::new();
    for (i, line) in argus.lines().enumerate() {
        out.push_str(&ecs_doc(line, |ip| {
            let l = geoip.lookup(ip.parse().unwrap()).unwrap()?;
            let (cc, p) = (l.country?, l.location?);
            let cc = if i % 40 == 7 {
                "ZZ".into()
            } else {
                cc.to_string()
            };
            (!ip.ends_with(['3', '7']))
                .then(|| json!({"location": {"lat": p.lat, "lon": p.lon}, "country_iso_code": cc}))
        }));
        out.push('\n');
    }
    out
}

fn connect(url: &str) -> EsClient {
    // Generous: the fault-free runs assert that no request was retried, also on a busy machine.
    EsClient::connect(&EsConnection::url(url).unwrap().timeout_secs(30.0)).unwrap()
}

/// A fresh index name for this process.
fn name(base: &str) -> String {
    format!("cdnplan-test-{}-{base}", std::process::id())
}

/// Creates `index` (with `mapping` or dynamic) and loads `docs` (NDJSON).
fn seed(c: &EsClient, index: &str, mapping: Option<&Value>, docs: &str) {
    let lines: Vec<&str> = docs.lines().collect();
    ecs::seed(c, index, mapping, &lines);
}

impl Fx {
    fn read_files(&self, text: &str, opts: &IngestOptions) -> Ingested {
        let p: PathBuf = self.dir.path().join("docs.ndjson");
        std::fs::write(&p, text).unwrap();
        ingest(&[p], &self.geoip, &self.countries, opts, &NoProgress).unwrap()
    }

    fn read_es(
        &self,
        c: &EsClient,
        q: &EsQuery,
        opts: &IngestOptions,
    ) -> Result<EsIngested, Error> {
        es::demand(c, q, opts, Some(&self.geoip), &self.countries, &NoProgress)
    }
}

#[test]
fn push_down_cells_equal_the_log_readers() {
    let f = fx();
    for url in targets() {
        let c = connect(&url);
        let (a, b) = (name("logs-argus-n1"), name("logs-argus-n2"));
        let lines: Vec<&str> = f.ecs.lines().collect();
        let (first, second) = lines.split_at(lines.len() / 2);
        seed(&c, &a, Some(&ecs_mapping()), &first.join("\n"));
        seed(&c, &b, Some(&ecs_mapping()), &second.join("\n"));
        let pattern = name("logs-argus-*");
        for cells in [CellKind::Geotile { zoom: 4 }, CellKind::Country] {
            let opts = IngestOptions::new(Preset::Ecs).cells(cells);
            let want = f.read_files(&f.ecs, &opts);
            let got = f
                .read_es(&c, &EsQuery::new(&pattern).page_size(7), &opts)
                .unwrap();
            assert_eq!(got.es.mode, EsMode::PushDown, "{url} {cells}");
            assert_eq!(got.es.paging[0], Paging::Composite);
            assert!(got.es.pages > 2 && got.es.buckets > 0, "{}", got.es);
            assert!(
                got.es.documents > 0,
                "documents without a location are read raw"
            );
            assert_eq!(
                got.report.requests_counted, want.report.requests_counted,
                "{}\n{}\n{}",
                got.report, want.report, got.es
            );
            assert_eq!(got.demand, want.demand, "{url} {cells}");
            // The equality above covers the hourly profile; make sure there is one to compare.
            let hourly = got.demand.hourly.as_ref().expect("an hourly profile");
            assert!(hourly.span_hours() > 24, "{hourly:?}");
            assert_eq!(
                hourly.total_bytes(),
                got.demand.cells.iter().map(|c| c.bytes).sum::<u64>()
            );
            assert_eq!(got.report.busiest_hour, want.report.busiest_hour);
            assert!(got.demand.peak_to_mean().unwrap() > 1.0);
            if cells == CellKind::Country {
                // Their hours are taken out of the cluster's histogram by one more search.
                let zz = "country ZZ not in the country table";
                assert!(got.report.unlocated_by_reason[zz] > 0, "{}", got.report);
                assert_eq!(
                    got.report.unlocated_by_reason[zz],
                    want.report.unlocated_by_reason[zz]
                );
            }
            assert_eq!(got.report.requests_by_node, want.report.requests_by_node);
            assert_eq!(
                got.report.requests_without_bytes,
                want.report.requests_without_bytes
            );
            assert_eq!(
                (&got.report.first_request, &got.report.last_request),
                (&want.report.first_request, &want.report.last_request)
            );
            assert!(got.es.bytes_received > 0 && got.es.retries == 0);
        }
        // Clients served by both nodes from one country: summing per-node client counts
        // would count them twice, so the equality above shows they are counted once.
        let mut nodes_by_client = std::collections::BTreeMap::new();
        for l in f.ecs.lines() {
            let d: Value = serde_json::from_str(l).unwrap();
            if let Some(cc) = d["client"]["geo"]["country_iso_code"].as_str() {
                let key = (cc.to_string(), d["client"]["ip"].to_string());
                let host = d["host"]["name"].to_string();
                nodes_by_client
                    .entry(key)
                    .or_insert_with(std::collections::BTreeSet::new)
                    .insert(host);
            }
        }
        assert!(nodes_by_client.values().any(|n| n.len() > 1));
        ecs::drop_index(&c, &format!("{a},{b}"));
    }
}

#[test]
fn raw_mode_equals_the_log_reader_on_argus_2023_documents() {
    let f = fx();
    for url in targets() {
        let c = connect(&url);
        let idx = name("distributor-node");
        seed(&c, &idx, None, &f.argus);
        for (cells, scroll) in [
            (CellKind::Country, false),
            (CellKind::City, false),
            (CellKind::Geotile { zoom: 5 }, true),
        ] {
            let opts = IngestOptions::new(Preset::Argus).cells(cells);
            let want = f.read_files(&f.argus, &opts);
            let q = EsQuery::new(&idx).page_size(100).slices(3).scroll(scroll);
            let got = f.read_es(&c, &q, &opts).unwrap();
            assert_eq!(got.es.mode, EsMode::Raw);
            let paging = if scroll { Paging::Scroll } else { Paging::Pit };
            assert_eq!(got.es.paging, [paging], "{url}");
            assert_eq!(got.demand, want.demand, "{url} {cells}");
            assert!(
                got.demand.hourly.is_some(),
                "the equality covers the hourly profile"
            );
            assert_eq!(got.report.busiest_hour, want.report.busiest_hour);
            assert_eq!(got.report.requests_counted, want.report.requests_counted);
            assert_eq!(got.report.requests_by_node, want.report.requests_by_node);
            assert_eq!(
                got.report.unlocated_requests,
                want.report.unlocated_requests
            );
            // Filters are pushed down: only counted requests cross the wire.
            assert_eq!(got.es.documents, want.report.requests_counted);
        }
        ecs::drop_index(&c, &idx);
    }
}

#[test]
fn faults_do_not_change_the_result() {
    let f = fx();
    let url = osmem::url();
    let c = connect(url);
    let (ecs, argus) = (name("faults-ecs"), name("faults-argus"));
    seed(&c, &ecs, Some(&ecs_mapping()), &f.ecs);
    seed(&c, &argus, None, &f.argus);
    let faults = [
        Fault::Unavailable,
        Fault::Cut,
        Fault::Delay(Duration::from_millis(1500)),
        Fault::Unavailable,
        Fault::Cut,
    ];
    let runs: [(&str, Preset, CellKind, EsQuery); 3] = [
        (
            "push-down",
            Preset::Ecs,
            CellKind::Geotile { zoom: 3 },
            EsQuery::new(&ecs).page_size(5),
        ),
        (
            "pit",
            Preset::Argus,
            CellKind::Country,
            EsQuery::new(&argus).page_size(50).slices(2),
        ),
        (
            "scroll",
            Preset::Argus,
            CellKind::Country,
            EsQuery::new(&argus).page_size(50).scroll(true),
        ),
    ];
    for (what, preset, cells, q) in runs {
        let opts = IngestOptions::new(preset).cells(cells);
        let clean = f.read_es(&c, &q, &opts).unwrap();
        let proxy = Proxy::start(url, "_search", &faults);
        let conn = EsConnection::url(&proxy.url)
            .unwrap()
            .timeout_secs(0.5)
            .backoff_ms(5)
            .retries(8);
        let pc = EsClient::connect(&conn).unwrap();
        let got = f.read_es(&pc, &q, &opts).unwrap();
        assert_eq!(got.demand, clean.demand, "{what}");
        assert_eq!(
            got.report.requests_counted, clean.report.requests_counted,
            "{what}"
        );
        assert_eq!(proxy.faults_left(), 0, "{what}: every fault was met");
        assert!(got.es.retries >= 3, "{what}: {}", got.es);
        let reqs = proxy.requests();
        if what == "scroll" {
            assert!(
                reqs.iter().any(|r| r.starts_with("DELETE /_search/scroll")),
                "{reqs:?}"
            );
        }
        if what == "pit" {
            assert!(
                reqs.iter()
                    .any(|r| r.starts_with("DELETE /_search/point_in_time")),
                "{reqs:?}"
            );
        }
    }
}

#[test]
fn errors_name_the_problem_and_never_the_credentials() {
    let f = fx();
    let url = osmem::url();
    let c = connect(url);
    let idx = name("errors");
    seed(&c, &idx, None, &f.argus);
    let opts = IngestOptions::new(Preset::Argus);
    // Unknown index.
    let e = f
        .read_es(&c, &EsQuery::new(name("nope")), &opts)
        .unwrap_err();
    assert!(matches!(e, Error::Es(EsError::IndexNotFound { .. })), "{e}");
    // A mapped field the index lacks: the message lists the fields it has.
    let mut m = opts.mapping.clone();
    m.status = "res.status".parse().unwrap();
    let e = f
        .read_es(&c, &EsQuery::new(&idx), &opts.clone().mapping(m))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`res.status`") && e.contains("fields.meta.req.url"),
        "{e}"
    );
    // A geo field that is not a geo_point.
    let mut m = opts.mapping.clone();
    m.geo_location = Some("fields.meta.req.url".parse().unwrap());
    let o = opts.clone().mapping(m).cells(CellKind::Geotile { zoom: 3 });
    let e = f
        .read_es(&c, &EsQuery::new(&idx).mode(EsMode::PushDown), &o)
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected `geo_point`"), "{e}");
    // Nothing listening.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let conn = EsConnection::url(&format!("http://u:hunter22@127.0.0.1:{port}"))
        .unwrap()
        .retries(1)
        .backoff_ms(1);
    let e = EsClient::connect(&conn).unwrap_err();
    assert!(matches!(e, EsError::Unreachable { attempts: 2, .. }), "{e}");
    assert!(!e.to_string().contains("hunter22"), "{e}");
    // 401 and 403.
    for code in [401, 403] {
        let proxy = Proxy::start(url, "/", &[Fault::Always(code)]);
        let u = proxy.url.replace("http://", "http://elastic:hunter22@");
        let e = EsClient::connect(&EsConnection::url(&u).unwrap()).unwrap_err();
        assert!(
            matches!(e, EsError::Unauthorized { status, .. } if status == code),
            "{e}"
        );
        assert!(!e.to_string().contains("hunter22") && !format!("{e:?}").contains("hunter22"));
    }
    ecs::drop_index(&c, &idx);
}

#[test]
fn a_snapshot_replays_to_the_same_demand() {
    let f = fx();
    let url = osmem::url();
    let c = connect(url);
    let idx = name("snapshot");
    seed(&c, &idx, None, &f.argus);
    let opts = IngestOptions::new(Preset::Argus);
    let out = f.dir.path().join("snap.ndjson.gz");
    let rep = es::snapshot(
        &c,
        &EsQuery::new(&idx).page_size(200),
        &opts,
        &out,
        false,
        &NoProgress,
    )
    .unwrap();
    let want = f.read_files(&f.argus, &opts);
    assert_eq!(rep.documents, want.report.requests_counted);
    let replay = ingest(&[out], &f.geoip, &f.countries, &opts, &NoProgress).unwrap();
    assert_eq!(replay.demand, want.demand);
    ecs::drop_index(&c, &idx);
}

#[test]
fn data_streams_name_the_serving_node_by_index() {
    let f = fx();
    let url = osmem::url();
    let c = connect(url);
    // Argus data streams since November 2023: `logs-argus-<nodeId>`, no node in the document.
    let id = std::process::id();
    let (a, b) = (
        format!("logs-argus-t{id}-n1"),
        format!("logs-argus-t{id}-n2"),
    );
    let mut mapping = ecs_mapping();
    mapping["mappings"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("host");
    let docs: Vec<String> = f
        .ecs
        .lines()
        .map(|l| {
            let mut d: Value = serde_json::from_str(l).unwrap();
            d.as_object_mut().unwrap().remove("host");
            d.to_string()
        })
        .collect();
    let (first, second) = docs.split_at(docs.len() / 2);
    let (first, second) = (first.join("\n"), second.join("\n"));
    seed(&c, &a, Some(&mapping), &first);
    seed(&c, &b, Some(&mapping), &second);
    let pattern = format!("logs-argus-t{id}-*");
    let opts = IngestOptions::new(Preset::Ecs).cells(CellKind::Country);
    let want = f.read_files(&docs.join("\n"), &opts);
    assert!(want.report.requests_by_node.is_empty());
    let per_node = [
        (format!("t{id}-n1"), f.read_files(&first, &opts)),
        (format!("t{id}-n2"), f.read_files(&second, &opts)),
    ]
    .map(|(n, got)| (n, got.report.requests_counted));
    for mode in [EsMode::PushDown, EsMode::Raw] {
        let q = EsQuery::new(&pattern).page_size(9).mode(mode);
        let got = f.read_es(&c, &q, &opts).unwrap();
        assert_eq!(got.es.mode, mode);
        assert_eq!(got.demand, want.demand, "{mode}");
        assert_eq!(
            got.report.requests_by_node,
            per_node.iter().cloned().collect(),
            "{mode}: {}",
            got.es
        );
        assert!(
            got.es.notes.iter().any(|n| n.contains("index name")),
            "{:?}",
            got.es.notes
        );
    }
    ecs::drop_index(&c, &format!("{a},{b}"));
}
