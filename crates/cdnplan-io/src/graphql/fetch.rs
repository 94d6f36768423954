//! Live queries: the families query, then the bag pages, over [`http`](super::http).

use std::path::Path;

use cdnplan_core::topology::Topology;
use serde_json::Value;

use super::http::{Endpoint, FetchLimits};
use super::{Indexer, parse_graphql};
use crate::error::Result;
#[cfg(doc)]
use crate::{error::Error, graphql::load_graphql};

/// The families query for `indexer` (families, metadata, buckets, operators; §3 of the
/// domain notes).
pub fn families_query(indexer: Indexer) -> &'static str {
    match indexer {
        Indexer::Hydra => {
            "query { distributionBucketFamilies(limit: 1000) { id metadata { region description latencyTestTargets areas { area { __typename ... on GeographicalAreaContinent { continentCode: code } ... on GeographicalAreaCountry { countryCode: code } ... on GeographicalAreaSubdivistion { subdivisionCode: code } } } } buckets { id bucketIndex acceptingNewBags distributing operators { workerId status metadata { nodeEndpoint extra nodeLocation { countryCode city coordinates { latitude longitude } } } } } } }"
        }
        Indexer::Squid => {
            "query { distributionBucketFamilies(orderBy: id_ASC, limit: 1000) { id metadata { region description latencyTestTargets areas { __typename ... on GeographicalAreaContinent { continentCode } ... on GeographicalAreaCountry { countryCode } ... on GeographicalAreaSubdivistion { subdivisionCode } } } buckets(orderBy: bucketIndex_ASC) { id bucketIndex acceptingNewBags distributing operators { id workerId status metadata { nodeEndpoint extra nodeLocation { countryCode city coordinates { latitude longitude } } } } } } }"
        }
    }
}

/// The paged bag query for `indexer`: bag ↔ bucket links (and sizes on Hydra).
pub fn bags_query(indexer: Indexer, limit: usize, offset: usize) -> String {
    match indexer {
        Indexer::Hydra => format!(
            "query {{ storageBags(limit: {limit}, offset: {offset}, orderBy: id_ASC) {{ id objectsSize distributionBuckets {{ id }} }} }}"
        ),
        Indexer::Squid => format!(
            "query {{ distributionBucketBags(limit: {limit}, offset: {offset}, orderBy: id_ASC) {{ id distributionBucket {{ id }} bag {{ id }} }} }}"
        ),
    }
}

/// Queries a live indexer over plain HTTP with the default [`FetchLimits`]; see
/// [`fetch_with`].
///
/// # Errors
/// As [`fetch_with`].
pub fn fetch(url: &str, indexer: Indexer, page_size: usize) -> Result<(Topology, String)> {
    fetch_with(url, indexer, page_size, &FetchLimits::default())
}

/// Queries a live indexer over plain HTTP: the families query, then the bag pages of
/// `page_size` until a short page. Returns the topology and the saved document (a JSON array
/// of the responses, for [`load_graphql`] to replay).
///
/// User information in the URL (`http://user:pass@host/graphql`) is sent as basic auth and
/// never appears in a message. Each request is bounded by `limits` (connect and read
/// timeouts, a deadline, a size cap); the import as a whole by a page count and a total size,
/// and a page that repeats the previous one (a server that ignores `offset`) stops it.
///
/// # Errors
/// [`Error::Config`] for an unsupported URL (only `http://` is spoken: reach an `https://`
/// indexer through a local proxy, or save its responses and import the file);
/// [`Error::Timeout`] naming the setting that ran out; [`Error::Remote`] (naming the URL
/// without credentials) for a refused connection, an HTTP error status, a limit exceeded or a
/// malformed response; [`Error::Format`] or [`Error::Core`] when the responses do not make a
/// valid topology.
pub fn fetch_with(
    url: &str,
    indexer: Indexer,
    page_size: usize,
    limits: &FetchLimits,
) -> Result<(Topology, String)> {
    let ep = Endpoint::parse(url)?;
    let page_size = page_size.max(1);
    let mut total = 0u64;
    let mut post = |query: &str| -> Result<Value> {
        let (v, n) = ep.post_json(query, limits)?;
        total = total.saturating_add(n);
        if total > limits.max_total_bytes {
            return Err(ep.remote(format!(
                "the answers together are larger than {} bytes (the `max_total_bytes` limit)",
                limits.max_total_bytes
            )));
        }
        Ok(v)
    };
    let mut pages: Vec<Value> = vec![post(families_query(indexer))?];
    let key = match indexer {
        Indexer::Hydra => "storageBags",
        Indexer::Squid => "distributionBucketBags",
    };
    let mut offset = 0;
    let mut previous: Option<u64> = None;
    for page_no in 0.. {
        if page_no >= limits.max_pages {
            return Err(ep.remote(format!(
                "more than {} pages of `{key}` (the `max_pages` limit); raise it or the page size",
                limits.max_pages
            )));
        }
        let page = post(&bags_query(indexer, page_size, offset))?;
        let list = page
            .get("data")
            .and_then(|d| d.get(key))
            .and_then(Value::as_array);
        let n = list.map_or(0, Vec::len);
        if let Some(list) = list.filter(|l| !l.is_empty()) {
            let digest = digest(list);
            if previous == Some(digest) {
                return Err(ep.remote(format!(
                    "the page of `{key}` at offset {offset} repeats the previous page: the server ignores `offset`"
                )));
            }
            previous = Some(digest);
        }
        pages.push(page);
        if n < page_size {
            break;
        }
        offset += n;
    }
    let saved = serde_json::to_string_pretty(&Value::Array(pages)).unwrap_or_default() + "\n";
    let t = parse_graphql(&saved, Path::new(&ep.display))?;
    Ok((t, saved))
}

/// A fingerprint of a page's list, to notice a page served twice.
fn digest(list: &[Value]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    list.len().hash(&mut h);
    for v in list {
        v.to_string().hash(&mut h);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cdnplan_core::topology::BagId;
    use std::io::{Read, Write};

    const SQUID: &str = include_str!("../../tests/fixtures/squid-topology.json");

    /// Serves `pages` (by query kind) over a real loopback HTTP exchange; returns the URL.
    fn serve(bag_pages: Vec<String>, families: String) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut served_bags = 0;
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { return };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read headers, then the body by Content-Length.
                let body = loop {
                    let n = s.read(&mut chunk).unwrap_or(0);
                    if n == 0 {
                        break String::new();
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
                        let len: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        while buf.len() < i + 4 + len {
                            let n = s.read(&mut chunk).unwrap_or(0);
                            if n == 0 {
                                break;
                            }
                            buf.extend_from_slice(&chunk[..n]);
                        }
                        break String::from_utf8_lossy(&buf[i + 4..]).to_string();
                    }
                };
                let reply = if body.contains("distributionBucketFamilies") {
                    let b = families.as_bytes();
                    // Chunked, as many servers answer.
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{}\r\n0\r\n\r\n",
                        b.len(),
                        families
                    )
                } else {
                    let page = bag_pages.get(served_bags).cloned().unwrap_or_default();
                    served_bags += 1;
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{page}",
                        page.len()
                    )
                };
                let _ = s.write_all(reply.as_bytes());
            }
        });
        format!("http://{addr}/graphql")
    }

    #[test]
    fn live_queries_page_through_bags_and_save_a_replayable_document() {
        let doc: Value = serde_json::from_str(SQUID).unwrap();
        let families = serde_json::json!({"data": {
            "distributionBucketFamilies": doc["data"]["distributionBucketFamilies"]}})
        .to_string();
        let links = doc["data"]["distributionBucketBags"]
            .as_array()
            .unwrap()
            .clone();
        let pages = vec![
            serde_json::json!({"data": {"distributionBucketBags": links[..2]}}).to_string(),
            serde_json::json!({"data": {"distributionBucketBags": links[2..]}}).to_string(),
        ];
        let url = serve(pages, families);
        let (t, saved) = fetch(&url, Indexer::Squid, 2).unwrap();
        assert_eq!(t.bags.len(), 2);
        let ch1 = t.bags.iter().find(|b| b.id == BagId::Channel(1)).unwrap();
        assert_eq!(ch1.buckets.len(), 2, "the link on the second page was read");
        let replayed = parse_graphql(&saved, Path::new("saved.json")).unwrap();
        assert_eq!(replayed, t);
    }

    #[test]
    fn http_errors_name_the_status() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Some(Ok(mut s)) = listener.incoming().next() {
                let mut b = [0u8; 4096];
                let _ = s.read(&mut b);
                let _ = s.write_all(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy",
                );
            }
        });
        let e = fetch(&format!("http://{addr}/graphql"), Indexer::Hydra, 10).unwrap_err();
        assert!(e.to_string().contains("HTTP 503: busy"), "{e}");
    }

    #[test]
    fn https_is_refused_with_advice() {
        let e = fetch("https://query.example/graphql", Indexer::Hydra, 10).unwrap_err();
        assert!(e.to_string().contains("save the responses"), "{e}");
    }
}
