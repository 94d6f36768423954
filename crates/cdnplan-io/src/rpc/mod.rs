//! Chain state the indexers lack, read from a Joystream node's JSON-RPC: the per-bag limit
//! (`Storage::DistributionBucketsPerBagLimit`) and the dynamic bag creation policies
//! (`Storage::DynamicBagCreationPolicies[Member]`, `[Channel]`). Neither storage-squid, Orion
//! nor the Hydra query node indexes them (docs/upstream-rules.md §1.10), yet a migration's
//! `update-bag`, `set-buckets-per-bag-limit`, `update-dynamic-bag-policy` and
//! `delete-bucket-family` calls are legal or not by them.
//!
//! [`read`] asks the node, over plain `http://` (the same [HTTP client](crate::graphql) as
//! the indexer import: timeouts, a size cap, basic auth from the URL's user information,
//! redacted messages), for
//!
//! 1. `chain_getFinalizedHead`: the block every value is read at;
//! 2. `state_getRuntimeVersion` at that block: its `specVersion`, kept with the values;
//! 3. `state_getStorage` at the three [keys] and that block.
//!
//! and decodes the SCALE values ([`decode`]). A key the node reports absent (`null`) takes
//! the runtime's default: limit 0 (the storage's `ValueQuery` default, under which every bag
//! add fails), policy with 5 storage buckets and **no** distribution family (storage
//! lib.rs:3805-3828: a channel is then created on no distribution bucket). [`apply`] writes
//! the values into a topology, with a [`ChainRead`] record of the block, the node and the raw
//! bytes, so a saved topology replays the same plan; [`decode_read`] decodes such a record
//! again.
//!
//! `ws://` and TLS (`https://`, `wss://`) are not spoken: a node serves the same JSON-RPC over
//! HTTP (port 9933 in Joystream's docker-compose.yml), and a TLS-only endpoint is reached
//! through a local tunnel.

pub mod decode;
pub mod keys;

use std::collections::BTreeMap;

use cdnplan_core::topology::{ChainRead, DynamicBagPolicy, DynamicBagType, StorageRead, Topology};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::graphql::FetchLimits;
use crate::graphql::http::Endpoint;
use crate::redact::strip_userinfo;

/// Chain state read from a node (or decoded again from a saved [`ChainRead`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ChainState {
    /// `DistributionBucketsPerBagLimit` (0 when the key is absent); `None` when not read.
    pub buckets_per_bag_limit: Option<u32>,
    /// `DynamicBagCreationPolicies`, per type read (the runtime's default for an absent key).
    pub policies: BTreeMap<DynamicBagType, DynamicBagPolicy>,
    /// Where and at which block they were read, with the raw values.
    pub read: ChainRead,
}

/// The storage items read, in order: name, key.
fn items() -> [(String, Vec<u8>); 3] {
    [
        (
            format!("{}::{}", keys::PALLET, keys::PER_BAG_LIMIT),
            keys::per_bag_limit_key(),
        ),
        (
            policy_item(DynamicBagType::Channel),
            keys::creation_policy_key(DynamicBagType::Channel),
        ),
        (
            policy_item(DynamicBagType::Member),
            keys::creation_policy_key(DynamicBagType::Member),
        ),
    ]
}

fn policy_item(t: DynamicBagType) -> String {
    format!("{}::{}[{t:?}]", keys::PALLET, keys::CREATION_POLICIES)
}

/// Reads the per-bag limit and both creation policies from the node at `url` (see the
/// [module docs](self)), bounded by `limits`' timeouts and size cap.
///
/// # Errors
/// [`Error::Config`] for a URL that is not `http://` (the message names the alternative);
/// [`Error::Timeout`] naming the setting that ran out; [`Error::Remote`] naming the URL
/// (without user information) and the method or storage item, for a refused connection, an
/// HTTP error status, a JSON-RPC `error`, an answer that is not JSON-RPC, or a value that does
/// not decode.
pub fn read(url: &str, limits: &FetchLimits) -> Result<ChainState> {
    let ep = endpoint(url)?;
    let mut id = 0u64;
    let mut call = |method: &str, params: Value, what: &str| -> Result<Value> {
        id += 1;
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
                .to_string();
        let (answer, _) = ep
            .post(&body, limits, rpc_error)
            .map_err(|e| about(e, what))?;
        answer
            .as_object()
            .and_then(|o| o.get("result"))
            .cloned()
            .ok_or_else(|| {
                ep.remote(format!(
                    "{what}: the answer to `{method}` has no `result`: {}",
                    ep.redactor.excerpt(answer.to_string().as_bytes(), 200)
                ))
            })
    };
    let head = call(
        "chain_getFinalizedHead",
        Value::Array(vec![]),
        "the finalized block",
    )?;
    let block = head
        .as_str()
        .filter(|h| h.len() == 66 && keys::unhex(h).is_some())
        .ok_or_else(|| {
            ep.remote(format!(
                "the finalized block: `chain_getFinalizedHead` answered {}, not a 32-byte 0x-hex hash",
                ep.redactor.excerpt(head.to_string().as_bytes(), 100)
            ))
        })?
        .to_ascii_lowercase();
    let version = call(
        "state_getRuntimeVersion",
        serde_json::json!([block]),
        "the runtime version",
    )?;
    let spec_version = version
        .get("specVersion")
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok());
    let mut storage = Vec::new();
    for (item, key) in items() {
        let key = keys::hex(&key);
        let v = call("state_getStorage", serde_json::json!([key, block]), &item)?;
        let value = match v {
            Value::Null => None,
            Value::String(s) if keys::unhex(&s).is_some() => Some(s.to_ascii_lowercase()),
            other => {
                return Err(ep.remote(format!(
                    "{item}: `state_getStorage` answered {}, not 0x-hex or null",
                    ep.redactor.excerpt(other.to_string().as_bytes(), 100)
                )));
            }
        };
        storage.push(StorageRead { item, key, value });
    }
    decode_read(&ChainRead {
        endpoint: ep.display.clone(),
        block,
        spec_version,
        storage,
    })
    .map_err(|e| match e {
        Error::Config(reason) => ep.remote(reason),
        e => e,
    })
}

/// Decodes a [`ChainRead`]'s raw values (a saved topology's record, or one just read).
/// Items it does not know are ignored; an item not in the record stays unknown.
///
/// # Errors
/// [`Error::Config`] naming the item when a value is not hex or does not decode.
pub fn decode_read(read: &ChainRead) -> Result<ChainState> {
    let mut state = ChainState {
        buckets_per_bag_limit: None,
        policies: BTreeMap::new(),
        read: read.clone(),
    };
    let limit_item = format!("{}::{}", keys::PALLET, keys::PER_BAG_LIMIT);
    for s in &read.storage {
        let bytes = match &s.value {
            None => None,
            Some(h) => Some(keys::unhex(h).ok_or_else(|| {
                Error::Config(format!("{}: the value {h:?} is not 0x-hex", s.item))
            })?),
        };
        let bad =
            |reason: String| Error::Config(format!("{} at block {}: {reason}", s.item, read.block));
        if s.item == limit_item {
            state.buckets_per_bag_limit =
                Some(decode::per_bag_limit(bytes.as_deref()).map_err(bad)?);
        } else if let Some(t) = [DynamicBagType::Member, DynamicBagType::Channel]
            .into_iter()
            .find(|t| s.item == policy_item(*t))
        {
            state
                .policies
                .insert(t, decode::creation_policy(bytes.as_deref()).map_err(bad)?);
        }
    }
    Ok(state)
}

/// Writes `state` into `topology`: the limit when read, the policies when both types were
/// read (the Member policy matters to family deletion, the Channel one to channel creation),
/// and the [`ChainRead`] record. Values read replace the topology's own.
pub fn apply(topology: &mut Topology, state: &ChainState) {
    if let Some(l) = state.buckets_per_bag_limit {
        topology.buckets_per_bag_limit = Some(l);
    }
    if state.policies.len() == 2 {
        topology.policies = Some(state.policies.clone());
    }
    topology.chain_read = Some(state.read.clone());
}

/// A saved topology whose record read the limit as 0 (absent until a lead first sets it):
/// the file's `bucketsPerBagLimit: 0` reads as unknown (older files wrote 0 for that), so the
/// record restores it. Nothing changes when the file gives the limit or has no record.
///
/// # Errors
/// As [`decode_read`].
pub fn restore(topology: &mut Topology) -> Result<()> {
    if topology.buckets_per_bag_limit.is_none()
        && let Some(read) = &topology.chain_read
    {
        topology.buckets_per_bag_limit = decode_read(read)?.buckets_per_bag_limit;
    }
    Ok(())
}

/// The endpoint for `url`, refusing what is not plain `http://` with the alternative.
fn endpoint(url: &str) -> Result<Endpoint> {
    let shown = strip_userinfo(url.trim());
    let scheme = url
        .trim()
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("http") => Endpoint::parse(url),
        Some("ws") => Err(Error::Config(format!(
            "{shown}: ws:// is not spoken here; a Joystream node serves the same JSON-RPC over plain HTTP: give its http:// URL (port 9933 in Joystream's docker-compose.yml), e.g. --rpc http://localhost:9933"
        ))),
        Some("wss" | "https") => Err(Error::Config(format!(
            "{shown}: TLS is not spoken here (the public wss://rpc.joystream.org among such endpoints); read from your own node's http:// RPC port, or through a local tunnel to it"
        ))),
        _ => Err(Error::Config(format!(
            "{shown}: expected an http:// JSON-RPC URL of a Joystream node, e.g. http://localhost:9933"
        ))),
    }
}

/// A JSON-RPC `error` object as a sentence.
fn rpc_error(answer: &Value) -> Option<String> {
    let e = answer.as_object()?.get("error")?;
    if e.is_null() {
        return None;
    }
    let code = e.get("code").and_then(Value::as_i64);
    let message = e.get("message").and_then(Value::as_str).unwrap_or("");
    Some(match code {
        Some(c) => format!("the node answered JSON-RPC error {c}: {message}"),
        None => format!("the node answered a JSON-RPC error: {e}"),
    })
}

/// `e` with what was being read in front of a remote failure's reason.
fn about(e: Error, what: &str) -> Error {
    match e {
        Error::Remote { url, reason } => Error::Remote {
            url,
            reason: format!("{what}: {reason}"),
        },
        e => e,
    }
}

#[cfg(test)]
mod tests;
