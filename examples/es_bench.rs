//! Push-down against raw reading on a large index: seeds an OpenSearch-compatible server with
//! generated ECS request documents (located by the bundled GeoIP database, as a cluster's
//! geoip ingest processor would) and reads country demand both ways, timing each and
//! counting the bytes received.
//!
//! ```sh
//! scripts/bench-es.sh            # 1 000 000 documents into a fresh osmem-server
//! cargo run --release --example es_bench -- http://127.0.0.1:9200 1000000
//! ```

use std::error::Error;
use std::time::Instant;

use cdnplan::io::data::bundled;
use cdnplan::io::es::{self, EsClient, EsConnection, EsMode, EsQuery};
use cdnplan::io::geoip::GeoIp;
use cdnplan::io::logs::{IngestOptions, Preset};
use cdnplan::io::synth::{SynthSpec, write_ndjson};
use cdnplan::{CellKind, NoProgress};
use serde_json::{Value, json};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: es_bench URL [DOCS]")?;
    let docs: u64 = args.next().map_or(Ok(1_000_000), |s| s.parse())?;
    let countries = bundled::countries()?;
    let geoip = GeoIp::open(bundled::geoip_country_db())?;
    let client = EsClient::connect(&EsConnection::url(&url)?.timeout_secs(600.0))?;
    let index = "bench-ecs";
    let count = client
        .request("GET", &format!("/{index}/_count"), None)
        .ok()
        .and_then(|v| v["count"].as_u64());
    if count != Some(docs) {
        seed(&client, index, docs, &geoip, &countries)?;
    }
    let opts = IngestOptions::new(Preset::Ecs).cells(CellKind::Country);
    let mut rows = Vec::new();
    for (name, q) in [
        ("push-down", EsQuery::new(index).mode(EsMode::PushDown)),
        (
            "raw",
            EsQuery::new(index)
                .mode(EsMode::Raw)
                .page_size(5000)
                .slices(2),
        ),
    ] {
        let t = Instant::now();
        let got = es::demand(&client, &q, &opts, Some(&geoip), &countries, &NoProgress)?;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{name:>9}: {secs:8.2} s, {:>12} bytes received, {} pages, {} documents, {} cells, {} requests counted",
            got.es.bytes_received,
            got.es.pages,
            got.es.documents,
            got.demand.cells.len(),
            got.report.requests_counted
        );
        rows.push((secs, got.es.bytes_received, got.es.documents, got.demand));
    }
    let (p, r) = (&rows[0], &rows[1]);
    println!(
        "push-down is {:.1}× faster and receives {:.0}× fewer bytes; raw mode read {:.0} documents/s; same cells: {}",
        r.0 / p.0,
        r.1 as f64 / p.1.max(1) as f64,
        r.2 as f64 / r.0,
        p.3.cells
            .iter()
            .map(|c| (&c.id, c.requests))
            .collect::<Vec<_>>()
            == r.3
                .cells
                .iter()
                .map(|c| (&c.id, c.requests))
                .collect::<Vec<_>>()
    );
    Ok(())
}

/// Generates `docs` Argus requests and loads them as ECS documents with the client's country
/// and its representative point.
fn seed(
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
    let mut bulk = String::new();
    let mut n = 0u64;
    for line in String::from_utf8(buf)?.lines() {
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
            c["geo"] = json!({"location": {"lat": p.lat, "lon": p.lon}, "country_iso_code": cc.to_string()});
        }
        let mut doc = json!({"@timestamp": d["@timestamp"], "url": {"path": m["req"]["url"]},
            "client": c, "http": {"response": {"status_code": m["res"]["statusCode"]}},
            "host": {"name": m["req"]["headers"]["host"]}});
        if let Some(b) = m["res"]["headers"]["content-length"].as_str() {
            doc["http"]["response"]["bytes"] = json!(b.parse::<u64>().unwrap_or(0));
        }
        bulk.push_str("{\"index\":{}}\n");
        bulk.push_str(&doc.to_string());
        bulk.push('\n');
        n += 1;
        if n.is_multiple_of(20_000) {
            flush(client, index, &mut bulk)?;
        }
    }
    flush(client, index, &mut bulk)?;
    client.request("POST", &format!("/{index}/_refresh"), None)?;
    eprintln!("seeded {n} documents in {:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}

fn flush(client: &EsClient, index: &str, bulk: &mut String) -> Result<(), Box<dyn Error>> {
    if bulk.is_empty() {
        return Ok(());
    }
    let r = client.post_ndjson(
        &format!("/{index}/_bulk"),
        std::mem::take(bulk).into_bytes(),
    )?;
    if r["errors"] == json!(true) {
        return Err(format!(
            "bulk errors: {}",
            &r.to_string()[..300.min(r.to_string().len())]
        )
        .into());
    }
    Ok(())
}
