//! Indexing a run into Elasticsearch / OpenSearch, as operators-ping sends its results (one
//! `_bulk` request per run).

use serde_json::Value;

use super::PingDoc;
use crate::es::{EsClient, EsError};

/// Indexes `docs` into `index` with one `_bulk` request; returns how many were indexed.
///
/// # Errors
/// The client's errors, and [`EsError::Config`] naming the index and the first refused
/// document's reason when the cluster refuses any.
pub fn index_run(client: &EsClient, index: &str, docs: &[PingDoc]) -> Result<usize, EsError> {
    if docs.is_empty() {
        return Ok(0);
    }
    if index.is_empty() || index.contains(['/', '?', '#', ' ', '*', ',']) {
        return Err(EsError::Config(format!(
            "index {index:?}: give one index name (no '/', '?', '#', '*', ',' or spaces)"
        )));
    }
    let mut body = Vec::with_capacity(docs.len() * 1024);
    for d in docs {
        body.extend_from_slice(b"{\"index\":{}}\n");
        serde_json::to_writer(&mut body, d)
            .map_err(|e| EsError::Config(format!("cannot serialise a probe document: {e}")))?;
        body.push(b'\n');
    }
    let answer = client.post_ndjson(&format!("/{index}/_bulk"), body)?;
    let items = answer
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let refused: Vec<&Value> = items
        .iter()
        .filter_map(|i| i.get("index"))
        .filter(|i| i.get("error").is_some())
        .collect();
    if let Some(first) = refused.first() {
        let reason = first
            .pointer("/error/reason")
            .and_then(Value::as_str)
            .unwrap_or("no reason given");
        return Err(EsError::Config(format!(
            "{} of {} probe documents refused by index {index} at {}; the first: {reason}",
            refused.len(),
            docs.len(),
            client.display()
        )));
    }
    Ok(docs.len())
}
