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

// `evaluate --availability`: Berlin's node is down 2 runs in 10; its viewers fall to Paris
// then. The expected mean equals the mean computed from two plain evaluations, one with
// Berlin up and one with it switched off.
clitest!(
    evaluate_with_availability_matches_a_direct_computation,
    |dir, cmd| {
        dir.create(
            "demand.csv",
            "id,country,continent,lat,lon,requests,bytes,unique_clients\n\
         FR,FR,EU,48.85341,2.3488,600,6000,60\n\
         DE,DE,EU,52.52437,13.41053,300,3000,30\n\
         JP,JP,AS,35.6895,139.69171,100,1000,10\n",
        );
        let nodes = |berlin: bool| {
            format!(
                "id,operator,city,country_code,lat,lon,active\n\
             paris.example,ops,Paris,FR,48.85341,2.3488,true\n\
             berlin.example,ops,Berlin,DE,52.52437,13.41053,{berlin}\n\
             tokyo.example,ops,Tokyo,JP,35.6895,139.69171,true\n"
            )
        };
        dir.create("nodes.csv", nodes(true));
        dir.create("nodes-no-berlin.csv", nodes(false));
        let mut history = String::new();
        for i in 0..10 {
            for (op, host, status) in [
                ("0:0-1", "paris.example", "ok"),
                (
                    "1:0-2",
                    "berlin.example",
                    if i % 5 == 4 { "dead" } else { "ok" },
                ),
            ] {
                history.push_str(&format!(
                r#"{{"time":"2026-12-0{}T00:00:00.000Z","source":"t","operatorId":"{op}","bucketId":"0:0","workerId":1,"nodeEndpoint":"https://{host}/distributor/","distributingStatus":"distributing","operatorType":"distribution","pingStatus":"{status}"}}"#,
                i % 7 + 1
            ));
                history.push('\n');
            }
        }
        dir.create("pings.ndjson", history);
        let cell_rtt = |nodes_csv: &str| {
            let v = dir
                .command()
                .args([
                    "evaluate",
                    "--demand",
                    "demand.csv",
                    "--nodes",
                    nodes_csv,
                    "--json",
                ])
                .ok()
                .json();
            let cells = v["evaluation"]["cells"].as_array().unwrap().clone();
            move |id: &str| {
                cells.iter().find(|c| c["cell"] == id).unwrap()["rtt_ms"]
                    .as_f64()
                    .unwrap()
            }
        };
        let up = cell_rtt("nodes.csv");
        let down = cell_rtt("nodes-no-berlin.csv");
        let want =
            (600.0 * up("FR") + 300.0 * (0.8 * up("DE") + 0.2 * down("DE")) + 100.0 * up("JP"))
                / 1000.0;
        assert!(down("DE") > up("DE") + 10.0, "Paris is farther from Berlin");

        let run = cmd
            .loud()
            .args(["evaluate", "--demand", "demand.csv", "--nodes", "nodes.csv"])
            .args([
                "--availability",
                "pings.ndjson",
                "--availability-threshold",
                "0.9",
            ])
            .args(["--json"])
            .ok();
        let v = run.json();
        let x = &v["availability"];
        let got = x["expected_mean_rtt_ms"].as_f64().unwrap();
        assert!((got - want).abs() < 1e-9, "expected {want}, got {got}");
        let flagged: Vec<_> = x["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["flagged"] == true)
            .map(|n| n["node"].as_str().unwrap())
            .collect();
        assert_eq!(flagged, ["berlin.example"]);
        contains!(
            run.stderr,
            "no samples of 1 active node(s), taken as always up: tokyo.example"
        );

        let text = dir
            .command()
            .args(["evaluate", "--demand", "demand.csv", "--nodes", "nodes.csv"])
            .args([
                "--availability",
                "pings.ndjson",
                "--availability-threshold",
                "0.9",
            ])
            .ok();
        contains!(
            text.stdout,
            &format!("expected mean RTT {want:.1} ms"),
            "! berlin.example",
            "80.00 %",
            "1 node(s) below 90.00 % availability"
        );
    }
);

clitest!(probe_indexes_each_run_into_the_cluster, |dir, cmd| {
    use cdnplan_io::es::{EsClient, EsConnection};
    let good = node(healthy);
    let bad = node(broken);
    let t = dir.create("t.json", topology(&good, &bad));
    let index = format!("cdnplan-cli-{}-operators-ping", std::process::id());
    cmd.loud()
        .args(["probe", "--topology"])
        .arg(&t)
        .args([
            "--source",
            "ci",
            "--retries",
            "0",
            "--es",
            crate::osmem::url(),
        ])
        .args(["--index", &index])
        .ok();
    let es = EsClient::connect(&EsConnection::url(crate::osmem::url()).unwrap()).unwrap();
    es.request("POST", &format!("/{index}/_refresh"), None)
        .unwrap();
    let hits = es
        .request(
            "POST",
            &format!("/{index}/_search"),
            Some(&serde_json::json!({"size": 10, "query": {"term": {"pingStatus": "dead"}}})),
        )
        .unwrap();
    let docs = hits["hits"]["hits"].as_array().unwrap();
    assert_eq!(docs.len(), 1, "{hits}");
    assert_eq!(docs[0]["_source"]["operatorId"], "0:0-2");
    assert_eq!(docs[0]["_source"]["source"], "ci");
    let all = es
        .request("POST", &format!("/{index}/_count"), None)
        .unwrap();
    assert_eq!(all["count"], 3, "{all}");
    es.request("DELETE", &format!("/{index}"), None).unwrap();

    let run = dir
        .command()
        .args(["probe", "--topology"])
        .arg(&t)
        .args(["--es", crate::osmem::url()])
        .fails();
    contains!(run.error(), "--index NAME");
});

// SIGINT while `--every` runs: exit 130, and the file holds whole runs only.
clitest!(an_interrupted_series_leaves_whole_runs, |dir, cmd| {
    let good = node(healthy);
    let bad = node(broken);
    let t = dir.create("t.json", topology(&good, &bad));
    let mut child = cmd
        .loud()
        .args(["probe", "--topology"])
        .arg(&t)
        .args(["--retries", "0", "--every", "0.05s", "--count", "100000"])
        .args(["--out", "pings.ndjson"])
        .std()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let path = dir.join("pings.ndjson");
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&path).map_or(0, |s| s.lines().count()) < 30 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the series ended early"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "no runs"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let kill = std::process::Command::new("kill")
        .args(["-s", "INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with('\n'));
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() % 3, 0, "{} lines: a run cut short", lines.len());
});

// `plan --availability`: the expected service before and after the moves, the moved node
// keeping its availability (the default scenario moves joystream.koalva.io with one move).
clitest!(plan_with_availability_reports_both_layouts, |dir, cmd| {
    let mut history = String::new();
    for i in 0..10 {
        let status = if i < 5 { "dead" } else { "ok" };
        history.push_str(&format!(
            r#"{{"time":"2026-12-01T00:{i:02}:00Z","source":"t","operatorId":"0:0-3","bucketId":"0:0","nodeEndpoint":"https://joystream.koalva.io/distributor/","distributingStatus":"distributing","operatorType":"distribution","pingStatus":"{status}"}}"#
        ));
        history.push('\n');
    }
    dir.create("hist.ndjson", history);
    let v = cmd
        .args([
            "plan",
            "--method",
            "heuristic",
            "--max-moves",
            "1",
            "--out",
            "o",
        ])
        .args([
            "--availability",
            "hist.ndjson",
            "--availability-threshold",
            "0.9",
        ])
        .arg("--json")
        .ok()
        .json();
    let (before, after) = (&v["availability"]["before"], &v["availability"]["after"]);
    let f = |x: &serde_json::Value, k: &str| x[k].as_f64().unwrap();
    // The plan's JSON rounds to 0.001 ms.
    let near = |a: f64, b: f64| assert!((a - b).abs() <= 6e-4, "{a} vs {b}");
    near(
        f(before, "all_up_mean_rtt_ms"),
        v["before"]["mean_rtt_ms"].as_f64().unwrap(),
    );
    near(
        f(after, "all_up_mean_rtt_ms"),
        v["after"]["mean_rtt_ms"].as_f64().unwrap(),
    );
    for x in [before, after] {
        assert!(f(x, "expected_mean_rtt_ms") > f(x, "all_up_mean_rtt_ms"));
        let koalva = x["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["node"] == "joystream.koalva.io")
            .unwrap();
        assert_eq!(
            (koalva["availability"].as_f64(), &koalva["flagged"]),
            (Some(0.5), &serde_json::json!(true))
        );
    }
    let text = dir
        .command()
        .args([
            "plan",
            "--method",
            "heuristic",
            "--max-moves",
            "1",
            "--out",
            "o",
        ])
        .args(["--availability", "hist.ndjson"])
        .ok();
    contains!(
        text.stdout,
        "Before the moves, with observed availability",
        "After the moves, with observed availability",
        "! joystream.koalva.io"
    );
});
