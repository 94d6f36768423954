//! The reader against a loopback server (there is no Joystream node here) that answers with
//! recorded, schema-true Substrate JSON-RPC responses: `{"jsonrpc":"2.0","result":…,"id":N}`,
//! `result` a 0x-hex SCALE value or `null` for an absent key. The value bytes were written by
//! hand from the layouts in docs/upstream-rules.md §2.2 and checked with Python's
//! `struct.pack('<I', …)` / `struct.pack('<QI', …)` and a one-byte compact length, so the
//! decoder is not checked against itself.

use std::collections::BTreeMap;
use std::time::Duration;

use cdnplan_core::topology::{DynamicBagType, FamilyId, Topology};
use serde_json::Value;

use super::*;
use crate::testserver::{Request, reply, serve};

/// A finalized head.
const BLOCK: &str = "0x5bb3e7a8f47e1b0b3c1c8d1fa5a5f35e0b8a1a1e4bb7a43c55c6ed1e0e3b9f21";
/// Limit 3: `struct.pack('<I', 3)`.
const LIMIT_3: &str = "0x03000000";
/// Channel policy `{nsb: 5, families: {0: 1, 1: 1}}`.
const CHANNEL_0_1: &str = "0x0500000008000000000000000001000000010000000000000001000000";

/// The recorded answer to one JSON-RPC request; `member` is the Member policy's value (JSON:
/// `null` when absent).
fn node(req: &Request, member: &'static str) -> String {
    let v: Value = serde_json::from_str(&req.body).expect("a JSON-RPC request");
    let id = v["id"].clone();
    let result = match v["method"].as_str().unwrap_or("") {
        "chain_getFinalizedHead" => format!("\"{BLOCK}\""),
        "state_getRuntimeVersion" => {
            r#"{"specName":"joystream-node","implName":"joystream-node","authoringVersion":12,"specVersion":2004,"implVersion":0,"transactionVersion":2,"stateVersion":1}"#.to_string()
        }
        "state_getStorage" => {
            assert_eq!(v["params"][1], BLOCK, "read at the finalized head");
            let key = v["params"][0].as_str().unwrap_or("");
            if key == keys::hex(&keys::per_bag_limit_key()) {
                format!("\"{LIMIT_3}\"")
            } else if key == keys::hex(&keys::creation_policy_key(DynamicBagType::Channel)) {
                format!("\"{CHANNEL_0_1}\"")
            } else if key == keys::hex(&keys::creation_policy_key(DynamicBagType::Member)) {
                member.to_string()
            } else {
                "null".to_string()
            }
        }
        m => {
            return format!(
                r#"{{"jsonrpc":"2.0","error":{{"code":-32601,"message":"Method not found: {m}"}},"id":{id}}}"#
            );
        }
    };
    format!(r#"{{"jsonrpc":"2.0","result":{result},"id":{id}}}"#)
}

#[test]
fn reads_the_limit_and_both_policies_at_the_finalized_head() {
    let base = serve(|req, s| reply(s, 200, &node(req, "null")));
    let state = read(&format!("{base}/"), &FetchLimits::default()).unwrap();
    assert_eq!(state.buckets_per_bag_limit, Some(3));
    assert_eq!(
        state.policies[&DynamicBagType::Channel].families,
        BTreeMap::from([(FamilyId(0), 1), (FamilyId(1), 1)])
    );
    // Absent: the runtime's default policy, no family.
    let member = &state.policies[&DynamicBagType::Member];
    assert!(member.families.is_empty());
    assert_eq!(member.number_of_storage_buckets, 5);
    let r = &state.read;
    assert_eq!((r.block.as_str(), r.spec_version), (BLOCK, Some(2004)));
    assert_eq!(r.endpoint, format!("{base}/"));
    let values: Vec<Option<&str>> = r.storage.iter().map(|s| s.value.as_deref()).collect();
    assert_eq!(values, [Some(LIMIT_3), Some(CHANNEL_0_1), None]);

    // Into a topology, and back from the saved record alone.
    let mut t = Topology::default();
    apply(&mut t, &state);
    assert_eq!(t.buckets_per_bag_limit, Some(3));
    assert_eq!(t.policies.as_ref().map(BTreeMap::len), Some(2));
    let saved: Topology = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
    assert_eq!(saved, t);
    assert_eq!(
        decode_read(saved.chain_read.as_ref().unwrap()).unwrap(),
        state
    );
}

/// A limit read as absent is 0, a value the file format reads as unknown: the record keeps it.
#[test]
fn an_absent_limit_survives_a_save_through_the_record() {
    let base = serve(|req, s| {
        let v: Value = serde_json::from_str(&req.body).unwrap();
        let body = if v["params"][0] == keys::hex(&keys::per_bag_limit_key()) {
            format!(r#"{{"jsonrpc":"2.0","result":null,"id":{}}}"#, v["id"])
        } else {
            node(req, "null")
        };
        reply(s, 200, &body);
    });
    let state = read(&base, &FetchLimits::default()).unwrap();
    assert_eq!(state.buckets_per_bag_limit, Some(0));
    let mut t = Topology::default();
    apply(&mut t, &state);
    let mut saved: Topology = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
    assert_eq!(
        saved.buckets_per_bag_limit, None,
        "0 in a file reads as unknown"
    );
    restore(&mut saved).unwrap();
    assert_eq!(saved.buckets_per_bag_limit, Some(0));
}

#[test]
fn errors_name_the_url_and_the_item_and_never_the_credentials() {
    // A JSON-RPC error on the Channel policy's read.
    let base = serve(|req, s| {
        let v: Value = serde_json::from_str(&req.body).unwrap();
        let body = if v["params"][0]
            == keys::hex(&keys::creation_policy_key(DynamicBagType::Channel))
        {
            format!(
                r#"{{"jsonrpc":"2.0","error":{{"code":-32000,"message":"Client error: UnknownBlock"}},"id":{}}}"#,
                v["id"]
            )
        } else {
            node(req, "null")
        };
        reply(s, 200, &body);
    });
    let url = base.replace("http://", "http://lead:hunter22@");
    let e = read(&url, &FetchLimits::default()).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{base}: Storage::DynamicBagCreationPolicies[Channel]: the node answered JSON-RPC error -32000: Client error: UnknownBlock"
        )
    );
    // A value that does not decode names the item and the block.
    let garbage = serve(|req, s| reply(s, 200, &node(req, "\"0x0500\"")));
    let e = read(&garbage, &FetchLimits::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!(
            "{garbage}: Storage::DynamicBagCreationPolicies[Member] at block {BLOCK}: 2 bytes are not a DynamicBagCreationPolicy"
        )),
        "{e}"
    );
    // Not JSON-RPC at all (a web page), and an HTTP error echoing the credentials.
    let html = serve(|_, s| reply(s, 200, "<html>hello</html>"));
    let e = read(&html, &FetchLimits::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!(
            "{html}: the finalized block: the answer is not JSON"
        )),
        "{e}"
    );
    let echo = serve(|req, s| {
        let auth = req.header("authorization").unwrap_or_default();
        reply(s, 403, &format!("forbidden: {auth}"));
    });
    let e = read(
        &echo.replace("http://", "http://lead:hunter22@"),
        &FetchLimits::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("HTTP 403") && e.contains("Basic ***"), "{e}");
    for leak in [
        "hunter22",
        "lead:",
        &crate::redact::base64(b"lead:hunter22"),
    ] {
        assert!(!e.contains(leak), "{leak} in {e}");
    }
    // Nothing listens.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = dead.local_addr().unwrap();
    drop(dead);
    let e = read(
        &format!("http://lead:hunter22@{addr}"),
        &FetchLimits::default().connect_timeout(Duration::from_secs(2)),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains(&addr.to_string())
            && e.contains("the finalized block")
            && !e.contains("hunter22"),
        "{e}"
    );
}

#[test]
fn only_plain_http_is_spoken_and_the_alternative_is_named() {
    let e = read("ws://u:pw1234@node:9944", &FetchLimits::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("ws://node:9944: ws:// is not spoken here")
            && e.contains("http://localhost:9933")
            && !e.contains("pw1234"),
        "{e}"
    );
    let e = read("wss://rpc.joystream.org", &FetchLimits::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("TLS is not spoken") && e.contains("tunnel"),
        "{e}"
    );
    let e = read("node:9933", &FetchLimits::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected an http:// JSON-RPC URL"), "{e}");
}

#[test]
fn a_bad_block_hash_or_value_type_is_refused() {
    let short = serve(|req, s| {
        let v: Value = serde_json::from_str(&req.body).unwrap();
        let body = if v["method"] == "chain_getFinalizedHead" {
            format!(r#"{{"jsonrpc":"2.0","result":"0x1234","id":{}}}"#, v["id"])
        } else {
            node(req, "null")
        };
        reply(s, 200, &body);
    });
    let e = read(&short, &FetchLimits::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a 32-byte 0x-hex hash"), "{e}");
    let number = serve(|req, s| reply(s, 200, &node(req, "42")));
    let e = read(&number, &FetchLimits::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Storage::DynamicBagCreationPolicies[Member]: `state_getStorage` answered 42"),
        "{e}"
    );
}
