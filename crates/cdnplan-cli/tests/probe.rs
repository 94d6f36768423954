//! `cdnplan probe` and `cdnplan probe report`, end to end.
//!
//! The distributor nodes cannot run here: loopback servers answer `GET /api/v1/status`,
//! `/api/v1/buckets` and `/api/v1/assets/{id}` with the shapes of the node's public API
//! (`Joystream/joystream:distributor-node/src/api-spec/public.yml` at `01d5babcd6f0`).

use std::io::{Read, Write};

/// A loopback node answering `answer(path)` = `(status, body)`; returns `http://127.0.0.1:PORT`.
fn node(answer: fn(&str) -> (u16, String)) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { return };
            std::thread::spawn(move || {
                let mut raw = Vec::new();
                let mut b = [0u8; 4096];
                while !raw.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut b) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => raw.extend_from_slice(&b[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&raw).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (code, body) = answer(&path);
                let _ = write!(
                    s,
                    "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nX-Cache: miss\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    url
}

fn healthy(path: &str) -> (u16, String) {
    if path.ends_with("/api/v1/status") {
        (200, r#"{"id":"n1","version":"1.4.1","objectsInCache":3,"storageLimit":1000000,"storageUsed":500,"uptime":60,"downloadsInProgress":0,"queryNodeStatus":{"url":"http://localhost:8081/graphql","chainHead":500,"blocksProcessed":499}}"#.into())
    } else if path.ends_with("/api/v1/buckets") {
        (200, r#"{"bucketIds":["0:0","1:0"]}"#.into())
    } else if path.ends_with("/api/v1/assets/1000") {
        (200, "x".repeat(2000))
    } else {
        (404, r#"{"message":"not found"}"#.into())
    }
}

fn broken(_path: &str) -> (u16, String) {
    (500, r#"{"message":"Unexpected server error"}"#.into())
}

/// Three operators: a healthy one, one whose node answers 500, one on a disabled bucket.
fn topology(good: &str, bad: &str) -> String {
    let op = |w: u32, url: &str| {
        format!(
            r#"{{"worker":{w},"status":"ACTIVE","metadata":{{"endpoint":"{url}/distributor/"}}}}"#
        )
    };
    format!(
        r#"{{"name":"probe test","families":[{{"id":0,"nextBucketIndex":1}},{{"id":1,"nextBucketIndex":1}}],
"buckets":[
 {{"id":"0:0","acceptingNewBags":true,"distributing":true,"operators":[{},{}]}},
 {{"id":"1:0","acceptingNewBags":false,"distributing":false,"operators":[{},{{"worker":9,"status":"INVITED"}}]}}
],"bags":[]}}"#,
        op(1, good),
        op(2, bad),
        op(3, good)
    )
}

clitest!(
    probe_runs_append_documents_and_report_reads_them,
    |dir, cmd| {
        let good = node(healthy);
        let bad = node(broken);
        let t = dir.create("t.json", topology(&good, &bad));
        let run = cmd
            .loud()
            .args(["probe", "--topology"])
            .arg(&t)
            .args(["--source", "ci", "--asset", "1000", "--out", "pings.ndjson"])
            .args(["--every", "0.2s", "--count", "2", "--retries", "0"])
            .ok();
        contains!(
            run.stdout,
            "probe run ",
            "2 ok, 0 asset-download-failed, 0 degraded, 1 dead; appended to pings.ndjson"
        );
        contains!(
            run.stderr,
            "probing 3 operator(s) from \"ci\", every 0.2 s, 2 runs"
        );
        let lines: Vec<serde_json::Value> = dir
            .read("pings.ndjson")
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 6, "two runs of three operators");
        assert_eq!(lines[0]["operatorId"], "0:0-1");
        assert_eq!(lines[0]["pingStatus"], "ok");
        assert_eq!(lines[0]["source"], "ci");
        assert_eq!(lines[0]["assetDownloadResult"]["downloadSize"], 2000);
        assert_eq!(lines[0]["assetDownloadResult"]["cacheStatus"], "miss");
        assert_eq!(lines[1]["pingStatus"], "dead");
        assert_eq!(lines[1]["statusResult"]["statusCode"], 500);
        // The disabled bucket's node answers: ok, but not distributing, so not available.
        assert_eq!(lines[2]["pingStatus"], "ok");
        assert_eq!(lines[2]["distributingStatus"], "not-distributing");
        assert_eq!(lines[2]["acceptingNewBags"], false);
        assert_ne!(lines[0]["time"], lines[3]["time"], "two runs, two times");

        let rep = dir
            .command()
            .args([
                "probe",
                "report",
                "--from",
                "pings.ndjson",
                "--window",
                "7d",
            ])
            .args(["--out", "avail", "--json"])
            .ok();
        let v = rep.json();
        assert_eq!(v["type"], "probe-report");
        assert_eq!(v["samples"], 6);
        let nodes = v["nodes"].as_array().unwrap();
        let share = |op: &str| {
            nodes.iter().find(|n| n["operator"] == op).unwrap()["availability"]
                .as_f64()
                .unwrap()
        };
        assert_eq!(
            (share("0:0-1"), share("0:0-2"), share("1:0-3")),
            (1.0, 0.0, 0.0)
        );
        assert_eq!(v["flagged"].as_array().unwrap().len(), 2);
        let csv = dir.read("avail/availability.csv");
        assert_eq!(csv.lines().count(), 4, "{csv}");
        contains!(dir.read("avail/availability.md"), "| ⚠ | 0:0-2 |");
        let text = dir
            .command()
            .args(["probe", "report", "--from", "pings.ndjson"])
            .ok();
        contains!(
            text.stdout,
            "Availability of 3 nodes from 6 samples",
            "! 1:0-3"
        );
    }
);

clitest!(
    probe_without_operators_or_with_bad_flags_says_which_flag,
    |dir, cmd| {
        let run = cmd.arg("probe").fails();
        contains!(
            run.error(),
            "--topology FILE, --graphql-file FILE or --graphql URL"
        );
        let t = dir.create(
            "t.json",
            topology("http://127.0.0.1:9", "http://127.0.0.1:9"),
        );
        let run = dir
            .command()
            .args(["probe", "--topology"])
            .arg(&t)
            .args(["--every", "5 minutes"])
            .fails();
        contains!(
            run.error(),
            "--every \"5 minutes\": give a number and a unit"
        );
        let run = dir
            .command()
            .args(["probe", "--topology"])
            .arg(&t)
            .args(["--asset", "../etc"])
            .fails();
        contains!(
            run.error(),
            "--asset \"../etc\": a data object id is a number"
        );
        dir.create("bad.ndjson", "garbage\n");
        let run = dir
            .command()
            .args(["probe", "report", "--from", "bad.ndjson"])
            .fails();
        contains!(run.error(), "no distribution-operator documents");
    }
);
