//! `cdnplan topology` and `cdnplan reassign`: import, findings, the January 2023 plan, outputs.

use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../cdnplan-io/tests/fixtures")
        .join(name)
}

clitest!(topology_import_flags_the_sign_error, |dir, cmd| {
    let run = cmd
        .arg("topology")
        .arg("--graphql-file")
        .arg(fixture("hydra-topology.json"))
        .arg("--save")
        .arg(dir.join("t.json"))
        .ok();
    contains!(
        run.stdout,
        "3 families, 4 buckets, 2 bags, 3 nodes (3 active)",
        "bucket 5:0, worker 4: coordinates",
        "sign error? 19.0728, 72.8826"
    );
    let saved = dir.read("t.json");
    contains!(saved, "\"dynamic:channel:7\"");
});

clitest!(reassign_moves_nuremberg_and_relabels_india, |dir, cmd| {
    let run = cmd.args(["reassign", "--out"]).arg(dir.join("out")).ok();
    contains!(
        run.stdout,
        // Without bag data Nuremberg keeps 0:0 (its bags are unknown) besides its new 1:1.
        "move joystream.koalva.io (Nuremberg, DE): 0:0 → 0:0,1:1",
        "family 5: Relabel (Eastern Asia → Southern Asia)",
        "no coverage gap, end state = target",
        "planned without bag data",
        "left in place: bucket 0:0 — its bags are unknown",
        "needs: the per-bag limit and the Channel/Member policies: read them from chain with `--rpc",
        "`bucketsPerBagLimit` / `policies`",
        "cdnplan topology --graphql"
    );
    let md = dir.read("out/reassign.md");
    contains!(
        md,
        // Issue 14: created closed, opened once its operator serves it.
        "`leader:create-bucket -f 1 -a no`",
        "`operator:accept-invitation -B 1:1 -w 3`",
        "`leader:update-bucket-status -B 1:1 -a yes`",
        "## Checks",
        "`channel_creatable`",
        "**unknown: the Channel dynamic bag creation policy"
    );
    let sh = dir.read("out/reassign.sh");
    contains!(
        sh,
        "run leader:invite-bucket-operator -B 1:1 -w 3",
        "# operator: operator:set-metadata -B 1:1 -w 3 -i metadata/operator-1-1-3.json"
    );
    assert!(
        !sh.contains("run operator:"),
        "operator calls are not the lead's"
    );
    // Issue 14: nothing unknown is guessed, nothing with unknown bags is stripped or deleted.
    for never in [
        "set-buckets-per-bag-limit",
        "update-dynamic-bag-policy",
        "delete-bucket",
        "update-bucket-mode",
        "remove-bucket-operator",
    ] {
        assert!(!sh.contains(never), "{never} emitted:\n{sh}");
    }
    // No bucket stops accepting: the unknown Channel policy may need it.
    assert!(
        !sh.lines()
            .any(|l| l.contains("update-bucket-status") && l.ends_with("-a no")),
        "{sh}"
    );
    contains!(md, "## Planned without chain data", "Buckets left in place");
    let meta = dir.read("out/metadata/operator-1-1-3.json");
    contains!(meta, "\"latitude\": 49.45421");
    let doc: serde_json::Value = serde_json::from_str(&dir.read("out/reassign.json")).unwrap();
    assert_eq!(doc["type"], "reassignment");
    // One entry per invariant the replay proved; with the policy unknown, creatability is
    // reported unknown and what holds for any policy is proven.
    let checks = doc["checks"].as_array().unwrap();
    let result = |name: &str| {
        checks
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no check {name}: {checks:?}"))["result"]
            .clone()
    };
    assert_eq!(result("channel_creatable"), "unknown");
    assert_eq!(result("accepting_buckets_kept"), "holds");
    assert_eq!(result("calls_legal"), "holds");
    assert!(
        checks
            .iter()
            .all(|c| c["steps_checked"].as_u64().unwrap() >= 1)
    );
});

clitest!(
    reassign_with_assumed_bags_counts_two_calls_per_bag,
    |dir, cmd| {
        let doc = cmd
            .args([
                "reassign",
                "--json",
                "--assume-bags",
                "50",
                "--batch-size",
                "20",
                "--out",
            ])
            .arg(dir.join("out"))
            .ok()
            .json();
        assert_eq!(doc["cost"]["bags_moved"], 50);
        assert_eq!(doc["cost"]["per_bag_calls"], 100);
        assert_eq!(doc["cost"]["batches"], 6);
    }
);

clitest!(reassign_warns_about_the_import_findings, |dir, cmd| {
    let run = cmd
        .loud()
        .args(["reassign", "--out"])
        .arg(dir.join("out"))
        .ok();
    contains!(
        run.stderr,
        "warning: bucket 3:0: no active operator (0 bags assigned)",
        "warning: bucket 12:0, worker 6: active operator without endpoint"
    );
    assert!(!run.stdout.contains("warning"), "warnings go to stderr");
});

clitest!(reassign_takes_batch_size_from_the_scenario, |dir, cmd| {
    let s = dir.create(
        "s.toml",
        crate::util::default_scenario(|t| t + "\n[reassign]\nbatch_size = 20\nassume_bags = 50\n"),
    );
    let doc = cmd
        .arg("reassign")
        .arg(&s)
        .args(["--json", "--out"])
        .arg(dir.join("out"))
        .ok()
        .json();
    assert_eq!(doc["cost"]["bags_moved"], 50);
    assert_eq!(doc["cost"]["batches"], 6, "20 per batch");
});

/// A loopback indexer: each connection's request head goes to `answer`, whose reply is sent
/// (`None`: hold the connection without a word for five seconds). Returns `127.0.0.1:PORT`.
fn indexer(answer: fn(&str) -> Option<String>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { return };
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut b = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut b) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&b[..n]),
                    }
                }
                match answer(&String::from_utf8_lossy(&head)) {
                    Some(reply) => {
                        let _ = s.write_all(reply.as_bytes());
                    }
                    None => std::thread::sleep(std::time::Duration::from_secs(5)),
                }
            });
        }
    });
    addr
}

// Issue 15 row 7: the user information of a `--graphql` URL is sent as basic auth and
// printed nowhere, not even where the server echoes the header.
clitest!(r15_graphql_url_credentials_never_print, |_dir, cmd| {
    let addr = indexer(|head| {
        let auth = head
            .lines()
            .find_map(|l| l.strip_prefix("Authorization: "))
            .unwrap_or("none");
        let body = format!("{{\"error\":\"rejected Authorization: {auth}\"}}");
        Some(format!(
            "HTTP/1.1 401 Unauthorized\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ))
    });
    let run = cmd
        .args(["topology", "--graphql"])
        .arg(format!("http://planner:s3cretpw@{addr}/graphql"))
        .fails();
    contains!(
        run.error(),
        &format!("http://{addr}/graphql"),
        "HTTP 401",
        "Basic ***"
    );
    for leak in ["s3cretpw", "cGxhbm5lcjpzM2NyZXRwdw==", "planner:"] {
        assert!(!run.stderr.contains(leak), "{leak} printed\n{run}");
    }
});

// Issue 15 row 18: an indexer that never answers is a timeout naming the URL and the
// setting, not "Resource temporarily unavailable".
clitest!(r15_a_silent_indexer_is_a_timeout, |_dir, cmd| {
    let addr = indexer(|_| None);
    let run = cmd
        .args(["topology", "--read-timeout", "0.3", "--graphql"])
        .arg(format!("http://{addr}/graphql"))
        .fails();
    contains!(
        run.error(),
        &format!("no answer from http://{addr}/graphql within 0.3 s"),
        "`read_timeout`"
    );
    assert!(!run.stderr.contains("os error"), "{run}");
});

clitest!(
    reassign_with_limit_policies_and_bags_emits_the_full_migration,
    |dir, cmd| {
        let mut t = crate::util::topology_with_bags();
        t["bucketsPerBagLimit"] = serde_json::json!(3);
        t["policies"] = serde_json::json!({
            "Channel": {"numberOfStorageBuckets": 5, "families": {"0": 1, "1": 1}},
            "Member": {"numberOfStorageBuckets": 5, "families": {}}
        });
        std::fs::write(dir.join("t.json"), t.to_string()).unwrap();
        let run = cmd
            .args(["reassign", "--topology"])
            .arg(dir.join("t.json"))
            .arg("--out")
            .arg(dir.join("out"))
            .ok();
        contains!(run.stdout, "move dp.0x2bc.com (Paris, FR): 1:0 → 0:1");
        assert!(!run.stdout.contains("needs:"), "{}", run.stdout);
        let sh = dir.read("out/reassign.sh");
        contains!(
            sh,
            "run leader:update-dynamic-bag-policy -t Channel",
            "run leader:update-bucket-mode -B 1:0 -d off",
            "run leader:remove-bucket-operator -B 1:0",
            "run leader:delete-bucket -B 1:0",
            "run leader:delete-bucket-family",
            "run leader:update-bag"
        );
        // Never below today's limit of 3.
        for l in ["-l 1", "-l 2"] {
            assert!(
                !sh.contains(&format!("set-buckets-per-bag-limit {l}")),
                "{sh}"
            );
        }
    }
);
