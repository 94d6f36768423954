//! Documents for the Elasticsearch tests: the Argus 2023 request documents in the
//! data-stream/ECS layout, the ECS index mapping, and seeding an index over `_bulk`. Shared by
//! the library tests and the CLI tests (`crates/cdnplan-cli/tests/cli.rs` includes this file).

use cdnplan_io::es::EsClient;
use serde_json::{Value, json};

/// The ECS mapping of [`ecs_doc`]'s documents: `client.geo.location` is a `geo_point`,
/// `client.geo.country_iso_code` and `host.name` are keywords.
pub fn ecs_mapping() -> Value {
    json!({"mappings": {"properties": {
        "@timestamp": {"type": "date"},
        "url": {"properties": {"path": {"type": "keyword"}}},
        "client": {"properties": {"ip": {"type": "ip"}, "geo": {"properties": {
            "location": {"type": "geo_point"}, "country_iso_code": {"type": "keyword"}}}}},
        "http": {"properties": {"response": {"properties": {
            "status_code": {"type": "long"}, "bytes": {"type": "long"}}}}},
        "host": {"properties": {"name": {"type": "keyword"}}}}}})
}

/// One Argus 2023 document (an NDJSON line) in the ECS layout. `geo` gives the client's
/// `client.geo` object from its address, as a cluster's geoip ingest processor would, or
/// `None` for a client its database misses.
pub fn ecs_doc(argus: &str, geo: impl FnOnce(&str) -> Option<Value>) -> String {
    let d: Value = serde_json::from_str(argus).unwrap();
    let m = &d["fields"]["meta"];
    let xff = m["req"]["headers"]["x-forwarded-for"].as_str().unwrap();
    let ip = xff.split(',').next().unwrap().trim();
    let mut client = json!({"ip": ip});
    if let Some(g) = geo(ip) {
        client["geo"] = g;
    }
    let mut doc = json!({
        "@timestamp": d["@timestamp"],
        "url": {"path": m["req"]["url"]},
        "client": client,
        "http": {"response": {"status_code": m["res"]["statusCode"]}},
        "host": {"name": m["req"]["headers"]["host"]},
    });
    if let Some(b) = m["res"]["headers"]["content-length"].as_str() {
        doc["http"]["response"]["bytes"] = json!(b.parse::<u64>().unwrap());
    }
    doc.to_string()
}

/// Creates `index` afresh (with `mapping`, or dynamic) and loads `docs`, one JSON document
/// each, in `_bulk` requests of 500, refreshed.
pub fn seed<S: AsRef<str>>(c: &EsClient, index: &str, mapping: Option<&Value>, docs: &[S]) {
    drop_index(c, index);
    let empty = json!({});
    c.request("PUT", &format!("/{index}"), Some(mapping.unwrap_or(&empty)))
        .unwrap();
    for part in docs.chunks(500) {
        let mut bulk = String::new();
        for d in part {
            bulk.push_str("{\"index\":{}}\n");
            bulk.push_str(d.as_ref());
            bulk.push('\n');
        }
        let r = c
            .post_ndjson(&format!("/{index}/_bulk?refresh=true"), bulk.into_bytes())
            .unwrap();
        assert_eq!(r["errors"], json!(false), "{r}");
    }
}

/// Deletes `index` (a comma-separated list too), if it exists.
pub fn drop_index(c: &EsClient, index: &str) {
    let _ = c.request("DELETE", &format!("/{index}"), None);
}
