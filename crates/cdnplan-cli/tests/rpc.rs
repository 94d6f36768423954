//! `--rpc URL`: chain state from a Joystream node's JSON-RPC, end to end.
//!
//! There is no Joystream node here: a loopback server answers with recorded, schema-true
//! Substrate JSON-RPC responses (`{"jsonrpc":"2.0","result":…,"id":N}`; `result` a 0x-hex
//! SCALE value, or `null` for an absent key). The storage keys are the ones
//! docs/upstream-rules.md §2.3 lists, and the values were written by hand from the layouts of
//! §2.2 and checked with Python's `struct.pack`.

use std::io::{Read, Write};
use std::path::PathBuf;

/// `Storage::DistributionBucketsPerBagLimit`.
const LIMIT_KEY: &str = "0x95875cb80ebaf9f918457db6a86ac6ad0e47ba53c668e8be284926c7ad3e8009";
/// `Storage::DynamicBagCreationPolicies[Channel]`.
const CHANNEL_KEY: &str = "0x95875cb80ebaf9f918457db6a86ac6ad3323e092df90358439e7c6649f66d93f4a9e6f9b8d43f6ad008f8c291929dee201";
/// `Storage::DynamicBagCreationPolicies[Member]`.
const MEMBER_KEY: &str = "0x95875cb80ebaf9f918457db6a86ac6ad3323e092df90358439e7c6649f66d93f7025e075d5e2f6cde3cc051a31f0766000";
/// The finalized head the node reports.
const BLOCK: &str = "0x8d2f3c4a1b5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";

/// The recorded answer to a JSON-RPC request body: limit 3 (`struct.pack('<I', 3)`), the
/// Channel policy `{nsb: 5, families: {0: 1, 1: 1}}`, the Member key absent.
pub(crate) fn recorded(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let result = match v["method"].as_str().unwrap_or("") {
        "chain_getFinalizedHead" => format!("\"{BLOCK}\""),
        "state_getRuntimeVersion" => r#"{"specName":"joystream-node","implName":"joystream-node","authoringVersion":12,"specVersion":2004,"implVersion":0,"transactionVersion":2,"stateVersion":1}"#.into(),
        "state_getStorage" => match v["params"][0].as_str().unwrap_or("") {
            LIMIT_KEY => "\"0x03000000\"".into(),
            CHANNEL_KEY => {
                "\"0x0500000008000000000000000001000000010000000000000001000000\"".into()
            }
            MEMBER_KEY => "null".into(),
            _ => "null".into(),
        },
        _ => "null".into(),
    };
    format!(r#"{{"jsonrpc":"2.0","result":{result},"id":{}}}"#, v["id"])
}

/// A loopback node: reads each request (head and body) and sends `answer(body)` as a 200.
/// Returns `127.0.0.1:PORT`.
pub(crate) fn node(answer: fn(&str) -> String) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { return };
            std::thread::spawn(move || {
                let mut raw = Vec::new();
                let mut b = [0u8; 4096];
                let body = loop {
                    if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&raw[..i]).to_ascii_lowercase();
                        let len: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        if raw.len() >= i + 4 + len {
                            break String::from_utf8_lossy(&raw[i + 4..i + 4 + len]).to_string();
                        }
                    }
                    match s.read(&mut b) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => raw.extend_from_slice(&b[..n]),
                    }
                };
                let reply = answer(&body);
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    reply.len()
                );
            });
        }
    });
    addr
}

/// [`crate::util::topology_with_bags`] as `t.json` in `dir`.
fn topology_with_bags(dir: &crate::util::Dir) -> PathBuf {
    dir.create("t.json", crate::util::topology_with_bags().to_string())
}

// Without the chain state the plan withholds the calls that depend on it and says what it
// needs; with it read from the node, the same topology gets the full migration, and the
// topology written beside it replays the same script offline.
clitest!(rpc_fixture_gives_reassign_the_full_migration, |dir, cmd| {
    let t = topology_with_bags(&dir);
    let run = cmd
        .args(["reassign", "--topology"])
        .arg(&t)
        .arg("--out")
        .arg(dir.join("without"))
        .ok();
    contains!(
        run.stdout,
        "needs: the per-bag limit and the Channel/Member policies: read them from chain with `--rpc"
    );
    let sh = dir.read("without/reassign.sh");
    for call in ["set-buckets-per-bag-limit", "update-dynamic-bag-policy"] {
        assert!(!sh.contains(call), "{call} without the chain state:\n{sh}");
    }

    let addr = node(recorded);
    let run = dir
        .command()
        .loud()
        .args(["reassign", "--topology"])
        .arg(&t)
        .arg("--rpc")
        .arg(format!("http://{addr}"))
        .arg("--out")
        .arg(dir.join("with"))
        .ok();
    assert!(!run.stdout.contains("needs:"), "{}", run.stdout);
    contains!(
        run.stderr,
        &format!("read from http://{addr} at block {BLOCK}: per-bag limit 3")
    );
    let sh = dir.read("with/reassign.sh");
    contains!(
        sh,
        "run leader:update-dynamic-bag-policy -t Channel",
        "run leader:update-bag",
        "run leader:delete-bucket -B 1:0",
        "run leader:delete-bucket-family"
    );
    // The Member policy read is the default (no family): no Member bag is ever created on
    // chain, so it is left as it is.
    assert!(!sh.contains("update-dynamic-bag-policy -t Member"), "{sh}");
    // The limit read is 3: never set below it.
    for l in ["-l 1", "-l 2"] {
        assert!(
            !sh.contains(&format!("set-buckets-per-bag-limit {l}")),
            "{sh}"
        );
    }
    let md = dir.read("with/reassign.md");
    contains!(
        md,
        "## Chain state",
        &format!("at block `{BLOCK}`, runtime specVersion 2004"),
        "per-bag limit (`DistributionBucketsPerBagLimit`): 3",
        "Channel creation policy: family 0: 1, family 1: 1; 5 storage buckets",
        "Member creation policy: no family; 5 storage buckets (key absent: the runtime's default)"
    );
    let source = crate::util::read_json(&dir.join("with/source-topology.json"));
    assert_eq!(source["bucketsPerBagLimit"], 3);
    assert_eq!(source["chainRead"]["block"], BLOCK);
    assert_eq!(
        source["chainRead"]["storage"][2]["value"],
        serde_json::Value::Null
    );

    // Offline replay of the saved topology: the same script.
    dir.command()
        .args(["reassign", "--topology"])
        .arg(dir.join("with/source-topology.json"))
        .arg("--out")
        .arg(dir.join("replay"))
        .ok();
    eqnice!(sh, dir.read("replay/reassign.sh"));
});

// `topology --rpc --save` keeps the values and where they were read.
clitest!(topology_rpc_saves_the_chain_state, |dir, cmd| {
    let addr = node(recorded);
    let run = cmd
        .args(["topology", "--rpc"])
        .arg(format!("http://lead:s3cretpw@{addr}/"))
        .arg("--save")
        .arg(dir.join("saved.json"))
        .ok();
    contains!(
        run.stdout,
        "per-bag limit 3",
        "Member creation policy: no family",
        "Channel creation policy: 0:1 1:1",
        &format!("chain state read from http://{addr}/ at block {BLOCK}")
    );
    let saved = crate::util::read_json(&dir.join("saved.json"));
    assert_eq!(saved["bucketsPerBagLimit"], 3);
    assert_eq!(
        saved["policies"]["Channel"]["families"],
        serde_json::json!({"0": 1, "1": 1})
    );
    assert_eq!(
        saved["policies"]["Member"]["families"],
        serde_json::json!({})
    );
    let read = &saved["chainRead"];
    assert_eq!(
        read["endpoint"],
        format!("http://{addr}/"),
        "no credentials"
    );
    assert_eq!(read["specVersion"], 2004);
    assert_eq!(read["storage"][0]["key"], LIMIT_KEY);
    assert!(!dir.read("saved.json").contains("s3cretpw"));
});

// A node that is down, one that answers garbage, and a ws:// URL: each a clear error naming
// the URL without its credentials, and a non-zero exit.
clitest!(rpc_errors_name_the_node_and_never_the_secret, |dir, cmd| {
    let t = topology_with_bags(&dir);
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = dead.local_addr().unwrap().to_string();
    drop(dead);
    let run = cmd
        .args(["reassign", "--topology"])
        .arg(&t)
        .arg("--rpc")
        .arg(format!("http://lead:s3cretpw@{down}"))
        .arg("--out")
        .arg(dir.join("out"))
        .fails();
    contains!(
        run.error(),
        &format!("from the node at http://{down} (--rpc)"),
        "cannot connect"
    );
    assert!(!run.stderr.contains("s3cretpw"), "{run}");
    assert!(!dir.join("out").exists(), "nothing written");

    let garbage = node(|_| "<html>502 Bad Gateway</html>".into());
    let run = dir
        .command()
        .args(["topology", "--topology"])
        .arg(&t)
        .arg("--rpc")
        .arg(format!("http://lead:s3cretpw@{garbage}"))
        .fails();
    contains!(
        run.error(),
        &format!("http://{garbage}: the finalized block: the answer is not JSON")
    );
    assert!(!run.stderr.contains("s3cretpw"), "{run}");

    let run = dir
        .command()
        .args(["topology", "--rpc", "ws://lead:s3cretpw@node:9944"])
        .fails();
    contains!(
        run.error(),
        "ws:// is not spoken here",
        "http://localhost:9933"
    );
    assert!(!run.stderr.contains("s3cretpw"), "{run}");
});

// `plan --rpc`: the reassignment after the moves is planned with the chain state, the topology
// it was planned on is written for replay, and its reassign.md reports the unlocated viewers'
// share as `reassign`'s does. Without a reassignment there is nothing to read for.
clitest!(plan_rpc_writes_the_source_topology, |dir, cmd| {
    let addr = node(recorded);
    cmd.args(["plan", "--time-limit", "5", "--rpc"])
        .arg(format!("http://{addr}"))
        .arg("--out")
        .arg(dir.join("out"))
        .ok();
    let source = crate::util::read_json(&dir.join("out/source-topology.json"));
    assert_eq!(source["bucketsPerBagLimit"], 3);
    assert_eq!(source["chainRead"]["block"], BLOCK);
    contains!(
        dir.read("out/reassign.md"),
        "## Chain state",
        "Viewers without a location (0.0 % of the requests counted;"
    );
    let sh = dir.read("out/reassign.sh");
    contains!(sh, "run leader:update-dynamic-bag-policy -t Channel");
    let run = dir
        .command()
        .args(["plan", "--no-reassign", "--rpc"])
        .arg(format!("http://{addr}"))
        .arg("--out")
        .arg(dir.join("out2"))
        .fails();
    contains!(
        run.error(),
        "--rpc: the chain state is for the family ↔ bucket reassignment"
    );
});

// The topology written for replay is the one read, not the what-if: assumed bags stay out.
clitest!(rpc_source_topology_leaves_assumed_bags_out, |dir, cmd| {
    let addr = node(recorded);
    cmd.args(["reassign", "--assume-bags", "10", "--rpc"])
        .arg(format!("http://{addr}"))
        .arg("--out")
        .arg(dir.join("out"))
        .ok();
    let source = crate::util::read_json(&dir.join("out/source-topology.json"));
    assert_eq!(source["bags"], serde_json::json!([]), "no assumed bag");
    assert_eq!(source["bucketsPerBagLimit"], 3);
    contains!(dir.read("out/reassign.md"), "**What-if:**");
});
