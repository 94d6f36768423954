//! Push-down against raw reading on a large index: seeds an OpenSearch-compatible server with
//! generated ECS request documents (located by the bundled GeoIP database, as a cluster's
//! geoip ingest processor would) and reads country demand both ways, timing each and
//! counting the bytes received.
//!
//! ```sh
//! scripts/bench-es.sh            # 1 000 000 documents into a fresh osmem-server
//! cargo run --release --example es_bench -- http://127.0.0.1:9200 1000000
//! cargo run --release --example es_bench -- URL 100000 --only raw --pit --slices 2 --page 5000
//! ```
//!
//! Options after the document count: `--only push-down|raw`, `--pit` (raw pages with a point
//! in time instead of a scroll), `--slices N` and `--page N` (raw mode), and
//! `--server-pid PID` to report the server's peak resident memory per read (Linux: the peak
//! is reset through `/proc/PID/clear_refs` before each read).

use std::error::Error;
use std::time::Instant;

use cdnplan::io::data::bundled;
use cdnplan::io::es::{self, EsClient, EsConnection, EsMode, EsQuery};
use cdnplan::io::geoip::GeoIp;
use cdnplan::io::logs::{IngestOptions, Preset};
use cdnplan::io::synth::{SynthSpec, write_ndjson};
use cdnplan::{CellKind, NoProgress};
use serde_json::{Value, json};

/// Documents per `_bulk` request.
const BULK_DOCS: u64 = 25_000;
/// `_bulk` requests in flight while seeding.
const BULK_STREAMS: usize = 2;

/// The command line after the URL and the document count.
struct Options {
    only: Option<String>,
    pit: bool,
    slices: u32,
    page: usize,
    server_pid: Option<u32>,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, Box<dyn Error>> {
        let mut o = Options {
            only: None,
            pit: false,
            slices: 2,
            page: 5000,
            server_pid: None,
        };
        while let Some(a) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
            match a.as_str() {
                "--only" => o.only = Some(value()?),
                "--pit" => o.pit = true,
                "--slices" => o.slices = value()?.parse()?,
                "--page" => o.page = value()?.parse()?,
                "--server-pid" => o.server_pid = Some(value()?.parse()?),
                _ => return Err(format!("unknown option {a}").into()),
            }
        }
        Ok(o)
    }
}

/// Resets the peak resident memory of `pid` (Linux).
fn reset_peak(pid: Option<u32>) {
    if let Some(p) = pid {
        let _ = std::fs::write(format!("/proc/{p}/clear_refs"), "5");
    }
}

/// The peak resident memory of `pid` in MiB since the last reset (Linux).
fn peak_mib(pid: Option<u32>) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: es_bench URL [DOCS] [--only MODE] [--pit] [--slices N] [--page N] [--server-pid PID]";
    let url = args.next().ok_or(usage)?;
    let docs: u64 = args.next().map_or(Ok(1_000_000), |s| s.parse())?;
    let o = Options::parse(args)?;
    let countries = bundled::countries()?;
    let geoip = GeoIp::open(bundled::geoip_country_db())?;
    let client = EsClient::connect(&EsConnection::url(&url)?.timeout_secs(1800.0))?;
    let index = "bench-ecs";
    let count = client
        .request("GET", &format!("/{index}/_count"), None)
        .ok()
        .and_then(|v| v["count"].as_u64());
    if count != Some(docs) {
        reset_peak(o.server_pid);
        seed(&url, &client, index, docs, &geoip, &countries)?;
        if let Some(m) = peak_mib(o.server_pid) {
            eprintln!("server peak while seeding: {m} MiB");
        }
    }
    let opts = IngestOptions::new(Preset::Ecs).cells(CellKind::Country);
    let mut rows = Vec::new();
    for (name, q) in [
        ("push-down", EsQuery::new(index).mode(EsMode::PushDown)),
        (
            "raw",
            EsQuery::new(index)
                .mode(EsMode::Raw)
                .page_size(o.page)
                .slices(o.slices)
                .scroll(!o.pit),
        ),
    ] {
        if o.only.as_deref().is_some_and(|m| m != name) {
            continue;
        }
        reset_peak(o.server_pid);
        let t = Instant::now();
        let got = es::demand(&client, &q, &opts, Some(&geoip), &countries, &NoProgress)?;
        let secs = t.elapsed().as_secs_f64();
        let peak =
            peak_mib(o.server_pid).map_or(String::new(), |m| format!(", server peak {m} MiB"));
        println!(
            "{name:>9}: {secs:8.2} s, {:>12} bytes received, {} requests, {} pages, {} documents, {} cells, {} requests counted{peak}",
            got.es.bytes_received,
            got.es.requests,
            got.es.pages,
            got.es.documents,
            got.demand.cells.len(),
            got.report.requests_counted
        );
        if name == "raw" {
            println!(
                "      raw: {:.0} documents/s via {}",
                got.es.documents as f64 / secs,
                got.es.paging[0]
            );
        }
        rows.push((secs, got.es.bytes_received, got.demand));
    }
    if let [p, r] = &rows[..] {
        println!(
            "push-down is {:.1}× faster and receives {:.0}× fewer bytes; same cells: {}",
            r.0 / p.0,
            r.1 as f64 / p.1.max(1) as f64,
            p.2.cells
                .iter()
                .map(|c| (&c.id, c.requests))
                .collect::<Vec<_>>()
                == r.2
                    .cells
                    .iter()
                    .map(|c| (&c.id, c.requests))
                    .collect::<Vec<_>>()
        );
    }
    Ok(())
}

/// Generates `docs` Argus requests and loads them as ECS documents with the client's country
/// and its representative point, `BULK_STREAMS` `_bulk` requests of `BULK_DOCS` in flight.
fn seed(
    url: &str,
    client: &EsClient,
    index: &str,
    docs: u64,
    geoip: &GeoIp,
    countries: &cdnplan::Countries,
) -> Result<(), Box<dyn Error>> {
    let _ = client.request("DELETE", &format!("/{index}"), None);
    let mapping = json!({"mappings": {"properties": {
        "@timestamp": {"type": "date"}, "url": {"properties": {"path": {"type": "keyword"}}},
        "client": {"properties": {"ip": {"type": "ip"}, "geo": {"properties": {
            "location": {"type": "geo_point"}, "country_iso_code": {"type": "keyword"}}}}},
        "http": {"properties": {"response": {"properties": {
            "status_code": {"type": "long"}, "bytes": {"type": "long"}}}}},
        "host": {"properties": {"name": {"type": "keyword"}}}}}});
    client.request("PUT", &format!("/{index}"), Some(&mapping))?;
    let spec = SynthSpec {
        requests: docs,
        visitors: 50_000,
        nodes: vec!["n1".into(), "n2".into(), "n3".into()],
        ..SynthSpec::default()
    };
    let mut buf = Vec::new();
    write_ndjson(&spec, geoip, countries, &mut buf)?;
    let t = Instant::now();
    let (tx, rx) = std::sync::mpsc::sync_channel::<String>(BULK_STREAMS);
    let rx = std::sync::Mutex::new(rx);
    let n = std::thread::scope(|scope| -> Result<u64, Box<dyn Error + Send + Sync>> {
        let mut senders = Vec::new();
        for _ in 0..BULK_STREAMS {
            let rx = &rx;
            senders.push(scope.spawn(move || -> Result<(), String> {
                let c = EsClient::connect(
                    &EsConnection::url(url)
                        .map_err(|e| e.to_string())?
                        .timeout_secs(1800.0),
                )
                .map_err(|e| e.to_string())?;
                loop {
                    let Ok(body) = rx.lock().map_err(|e| e.to_string())?.recv() else {
                        return Ok(());
                    };
                    flush(&c, index, body)?;
                }
            }));
        }
        let mut bulk = String::new();
        let mut n = 0u64;
        for line in String::from_utf8(buf)?.lines() {
            bulk.push_str("{\"index\":{}}\n");
            bulk.push_str(&ecs_doc(line, geoip, countries)?);
            bulk.push('\n');
            n += 1;
            if n.is_multiple_of(BULK_DOCS) && tx.send(std::mem::take(&mut bulk)).is_err() {
                break;
            }
        }
        if !bulk.is_empty() {
            let _ = tx.send(bulk);
        }
        drop(tx);
        for s in senders {
            s.join().map_err(|_| "a bulk thread panicked")??;
        }
        Ok(n)
    })
    .map_err(|e| e.to_string())?;
    client.request("POST", &format!("/{index}/_refresh"), None)?;
    eprintln!("seeded {n} documents in {:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}

/// One Argus line as an ECS document.
fn ecs_doc(
    line: &str,
    geoip: &GeoIp,
    countries: &cdnplan::Countries,
) -> Result<String, Box<dyn Error + Send + Sync>> {
    let d: Value = serde_json::from_str(line)?;
    let m = &d["fields"]["meta"];
    let ip = m["req"]["headers"]["x-forwarded-for"]
        .as_str()
        .unwrap_or("");
    let first = ip.split(',').next().unwrap_or("").trim();
    let mut c = json!({"ip": first});
    if let Ok(addr) = first.parse()
        && let Some(l) = geoip.lookup(addr)?
        && let Some(cc) = l.country
        && let Some(country) = countries.get(cc)
    {
        let p = l.location.unwrap_or(country.location);
        c["geo"] =
            json!({"location": {"lat": p.lat, "lon": p.lon}, "country_iso_code": cc.to_string()});
    }
    let mut doc = json!({"@timestamp": d["@timestamp"], "url": {"path": m["req"]["url"]},
        "client": c, "http": {"response": {"status_code": m["res"]["statusCode"]}},
        "host": {"name": m["req"]["headers"]["host"]}});
    if let Some(b) = m["res"]["headers"]["content-length"].as_str() {
        doc["http"]["response"]["bytes"] = json!(b.parse::<u64>().unwrap_or(0));
    }
    Ok(doc.to_string())
}

fn flush(client: &EsClient, index: &str, bulk: String) -> Result<(), String> {
    let r = client
        .post_ndjson(&format!("/{index}/_bulk"), bulk.into_bytes())
        .map_err(|e| e.to_string())?;
    if r["errors"] == json!(true) {
        let s = r.to_string();
        return Err(format!("bulk errors: {}", &s[..300.min(s.len())]));
    }
    Ok(())
}
