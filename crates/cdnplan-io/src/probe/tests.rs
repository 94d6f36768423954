//! The probe against loopback "distributor nodes" answering with the public API's shapes
//! (`distributor-node/src/api-spec/public.yml`; see the module docs): the real nodes cannot
//! run here, so each server below plays one state a node can be in.

use std::io::Write;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use cdnplan_core::availability::{PingStatus, summarise};
use cdnplan_core::topology::{BucketId, WorkerId};
use chrono::{TimeZone, Utc};

use super::*;
use crate::testserver::{Request, reply, serve};

fn status_json(head: u64) -> String {
    format!(
        r#"{{"id":"dist-{head}","version":"1.4.1","workerId":3,"objectsInCache":120,"storageLimit":100000000000,"storageUsed":5000000,"uptime":86400,"downloadsInProgress":0,"nodeEnv":"production","queryNodeStatus":{{"url":"http://qn:s3cretqn@localhost:8081/graphql","chainHead":{head},"blocksProcessed":{}}}}}"#,
        head - 2
    )
}

/// A node: status with query-node head `head`, buckets `buckets`, the asset with `asset`.
fn node(head: u64, buckets: &'static str, asset: u16) -> String {
    serve(move |req: &Request, s: &mut TcpStream| {
        if req.path.ends_with("/api/v1/status") {
            reply(s, 200, &status_json(head));
        } else if req.path.ends_with("/api/v1/buckets") {
            reply(s, 200, buckets);
        } else if req.path.ends_with("/api/v1/assets/1000") && asset == 206 {
            let body = vec![7u8; 4096];
            let _ = write!(
                s,
                "HTTP/1.1 206 Partial Content\r\nContent-Type: video/mp4\r\nX-Cache: hit\r\nX-Data-Source: local\r\nContent-Range: bytes 0-4095/99999\r\nContent-Length: 4096\r\nConnection: close\r\n\r\n"
            );
            let _ = s.write_all(&body);
        } else {
            reply(
                s,
                asset,
                r#"{"type":"not_found","message":"Data object 1000 not found"}"#,
            );
        }
    })
}

fn target(url: &str, bucket: (u64, u64), worker: u64, distributing: bool) -> Target {
    let bucket = BucketId::new(bucket.0, bucket.1);
    Target {
        operator_id: format!("{bucket}-{worker}"),
        bucket,
        worker: WorkerId(worker),
        endpoint: format!("{url}/distributor/"),
        distributing,
        accepting_new_bags: true,
    }
}

fn opts() -> ProbeOptions {
    ProbeOptions::new("test")
        .first_byte_timeout(Duration::from_millis(400))
        .request_timeout(Duration::from_secs(2))
        .retry_delay(Duration::from_millis(10))
        .max_body_bytes(64 << 10)
        .asset("1000")
        .asset_bytes(1 << 20)
}

/// Eight operators in the states the issue lists, plus a lagging one and a refused port.
#[test]
fn every_state_is_classified_as_operators_ping_would() {
    const MINE: &str = r#"{"bucketIds":["0:0","1:0","2:0","3:0"]}"#;
    let healthy = node(1000, MINE, 206);
    let slow = serve(|_req: &Request, s: &mut TcpStream| {
        std::thread::sleep(Duration::from_secs(3));
        reply(s, 200, &status_json(1000));
    });
    let err500 = serve(|_req: &Request, s: &mut TcpStream| {
        reply(s, 500, r#"{"message":"Unexpected server error"}"#)
    });
    let garbage = serve(|_req: &Request, s: &mut TcpStream| reply(s, 200, "{\"id\": \"x\", oops"));
    let huge = serve(|_req: &Request, s: &mut TcpStream| {
        let body = format!("{{\"id\":\"{}\"}}", "x".repeat(4 << 20));
        reply(s, 200, &body)
    });
    let no_asset = node(1001, MINE, 404);
    let wrong_list = node(1000, r#"{"bucketIds":["9:9"]}"#, 206);
    let lagging = node(900, MINE, 206);
    // Answers 503 to its first status request, then recovers: a retry saves it.
    let calls = Arc::new(AtomicU32::new(0));
    let flapping = {
        let calls = calls.clone();
        serve(move |req: &Request, s: &mut TcpStream| {
            if req.path.ends_with("/status") && calls.fetch_add(1, Ordering::SeqCst) == 0 {
                reply(s, 503, "{}");
            } else if req.path.ends_with("/status") {
                reply(s, 200, &status_json(1002));
            } else if req.path.ends_with("/buckets") {
                reply(s, 200, r#"{"allByWorkerId":8}"#);
            } else {
                reply(s, 200, "media");
            }
        })
    };
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        drop(l);
        url
    };
    let targets = [
        target(&healthy, (0, 0), 1, true),
        target(&slow, (0, 0), 2, true),
        target(&err500, (1, 0), 3, true),
        target(&healthy, (2, 0), 4, false),
        target(&garbage, (2, 0), 5, true),
        target(&huge, (3, 0), 6, true),
        target(&no_asset, (3, 0), 7, true),
        target(&wrong_list, (0, 0), 9, true),
        target(&lagging, (1, 0), 10, true),
        target(&flapping, (1, 0), 8, true),
        target(&refused, (1, 0), 11, true),
    ];
    let time = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
    let started = std::time::Instant::now();
    let docs = run(&targets, &opts().concurrency(4), time).unwrap();
    // The slow node is cut off by the first-byte timeout, twice, not waited for.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    use PingStatus::*;
    let got: Vec<_> = docs.iter().map(|d| d.ping_status).collect();
    assert_eq!(
        got,
        [
            Ok,
            Dead,
            Dead,
            Ok,
            Dead,
            Dead,
            AssetDownloadFailed,
            Degraded,
            Degraded,
            Ok,
            Dead
        ]
    );
    let [
        ok,
        slow,
        e500,
        off,
        garbage,
        huge,
        no_asset,
        wrong,
        lag,
        flap,
        refused,
    ] = &docs[..]
    else {
        unreachable!()
    };
    assert_eq!(ok.time, "2026-12-07T12:00:00.000Z");
    assert_eq!(ok.operator_id, "0:0-1");
    assert_eq!(ok.distributing_status, "distributing");
    let a = ok.asset_download_result.as_ref().unwrap();
    assert_eq!(
        (
            a.status.as_str(),
            a.download_size,
            a.cache_status.as_deref()
        ),
        ("success", Some(4096), Some("hit"))
    );
    assert!(a.ttfb.unwrap() > 0.0 && a.total_request_time.unwrap() >= a.ttfb.unwrap());
    assert_eq!(ok.chain_head_diff, Some(0));
    let ns = ok.node_status.as_ref().unwrap();
    assert_eq!(ns.objects_in_cache, Some(120));
    assert!(ok.buckets_result.as_ref().unwrap().serves_bucket == Some(true));
    assert!(
        slow.error
            .as_deref()
            .unwrap()
            .contains("no answer within 0.4 s")
    );
    assert_eq!(slow.status_result.attempts, 2);
    assert_eq!(e500.status_result.status_code, Some(500));
    assert_eq!(e500.status_result.attempts, 2, "5xx is retried");
    assert_eq!(off.distributing_status, "not-distributing");
    assert!(garbage.error.as_deref().unwrap().contains("not JSON"));
    assert_eq!(
        garbage.status_result.attempts, 1,
        "a bad answer is not retried"
    );
    assert!(
        huge.error
            .as_deref()
            .unwrap()
            .contains("larger than 65536 bytes")
    );
    let na = no_asset.asset_download_result.as_ref().unwrap();
    assert_eq!((na.status.as_str(), na.status_code), ("error", Some(404)));
    assert_eq!(wrong.degraded_reason.as_deref(), Some("bucket-not-served"));
    assert_eq!(lag.degraded_reason.as_deref(), Some("query-node-lag"));
    assert_eq!(lag.ref_chain_head, Some(1000));
    assert_eq!(flap.status_result.attempts, 2);
    assert_eq!(
        flap.buckets_result.as_ref().unwrap().all_by_worker_id,
        Some(8)
    );
    assert!(refused.error.as_deref().unwrap().contains("cannot connect"));

    // Every document has the operators-ping fields.
    for d in &docs {
        let v = serde_json::to_value(d).unwrap();
        for f in [
            "time",
            "source",
            "version",
            "operatorId",
            "bucketId",
            "workerId",
            "nodeEndpoint",
            "statusEndpoint",
            "distributingStatus",
            "pingStatus",
            "operatorType",
        ] {
            assert!(v.get(f).is_some(), "{f} missing in {v}");
        }
        if d.ping_status == Dead {
            assert!(v.get("error").is_some());
        } else {
            assert!(v.get("nodeStatus").is_some() && v.get("assetDownloadResult").is_some());
        }
    }

    // Written and read back: the disabled bucket's node is unavailable although it answered.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pings.ndjson");
    append_run(&path, &docs).unwrap();
    let h = read_history(std::slice::from_ref(&path), None).unwrap();
    assert_eq!((h.samples.len(), h.skipped), (11, 0));
    let nodes = summarise(&h.samples);
    let find = |op: &str| nodes.iter().find(|n| n.operator == op).unwrap();
    assert_eq!(find("2:0-4").availability, 0.0);
    assert_eq!(find("0:0-1").availability, 1.0);
    assert_eq!(find("0:0-9").availability, 0.0, "a disowned bucket is down");
    assert_eq!(
        find("1:0-10").availability,
        1.0,
        "query-node lag still serves"
    );
}

#[test]
fn credentials_in_endpoints_never_reach_documents() {
    let healthy = node(1000, r#"{"bucketIds":["0:0"]}"#, 206);
    let with_auth = healthy.replace("http://", "http://probe:hunter2secret@");
    let t = target(&with_auth, (0, 0), 1, true);
    let refused = target("http://probe:hunter2secret@127.0.0.1:9", (0, 0), 2, true);
    let docs = run(&[t, refused], &opts().retries(0), Utc::now()).unwrap();
    assert_eq!(docs[0].ping_status, PingStatus::Ok);
    let text = serde_json::to_string(&docs).unwrap();
    assert!(!text.contains("hunter2secret"), "{text}");
    assert!(!text.contains("s3cretqn"), "{text}");
    assert!(docs[0].node_endpoint.starts_with("http://127.0.0.1:"));
    assert!(
        docs[0]
            .status_endpoint
            .ends_with("/distributor/api/v1/status")
    );
}

#[test]
fn an_asset_larger_than_asked_for_is_read_only_that_far() {
    let big = serve(|req: &Request, s: &mut TcpStream| {
        if req.path.ends_with("/status") {
            reply(s, 200, &status_json(100));
        } else if req.path.ends_with("/buckets") {
            reply(s, 200, r#"{"bucketIds":["0:0"]}"#);
        } else {
            // Ignores the Range header and sends 8 MiB.
            let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: 8388608\r\n\r\n");
            let chunk = vec![0u8; 64 << 10];
            for _ in 0..128 {
                if s.write_all(&chunk).is_err() {
                    return;
                }
            }
        }
    });
    let docs = run(
        &[target(&big, (0, 0), 1, true)],
        &opts().asset_bytes(100_000),
        Utc::now(),
    )
    .unwrap();
    let a = docs[0].asset_download_result.as_ref().unwrap();
    assert_eq!(
        (a.status.as_str(), a.download_size),
        ("success", Some(100_000))
    );
}

#[test]
fn an_interrupted_append_leaves_no_part_of_a_run_and_ends_a_torn_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pings.ndjson");
    std::fs::write(&path, b"{\"torn\":").unwrap();
    append::append_bytes(&path, b"{\"a\":1}\n{\"b\":2}\n").unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\"torn\":\n{\"a\":1}\n{\"b\":2}\n"
    );
    // A directory cannot be appended to: an error naming it, the file untouched.
    let e = append::append_bytes(dir.path(), b"x\n").unwrap_err();
    assert!(e.to_string().contains(&dir.path().display().to_string()));
}

#[test]
fn history_reads_the_working_groups_documents_and_hits() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("wg.ndjson");
    // As operators-ping writes them (types.ts), once bare and once as a search hit.
    let doc = |t: &str, status: &str, ttfb: f64| {
        format!(
            r#"{{"time":"{t}","source":"gcp-eu","version":"1.2.0","operatorId":"0:1-7","bucketId":"0:1","workerId":7,"nodeEndpoint":"https://d.example/distributor/","statusEndpoint":"https://d.example/distributor/api/v1/status","distributingStatus":"distributing","operatorType":"distribution","pingStatus":"{status}","assetDownloadType":"media","assetDownloadResult":{{"status":"success","ttfb":{ttfb},"totalRequestTime":400,"downloadTime":300,"downloadSize":1000000,"downloadSpeedBps":26666666,"url":"https://d.example/distributor/api/v1/assets/1","cacheStatus":"hit"}}}}"#
        )
    };
    let text = format!(
        "{}\n{{\"_index\":\"operators-ping\",\"_source\":{}}}\n{}\n{}\n\n{{\"time\":5}}\n",
        doc("2026-11-01T00:00:00Z", "ok", 90.0),
        doc("2026-12-01T00:00:00Z", "ok", 110.0),
        doc("2026-12-01T00:05:00Z", "dead", 0.0)
            .replace("\"status\":\"success\"", "\"status\":\"error\""),
        doc("2026-12-01T00:10:00Z", "unknown-status", 1.0),
    );
    std::fs::write(&p, text).unwrap();
    let all = read_history(std::slice::from_ref(&p), None).unwrap();
    assert_eq!((all.samples.len(), all.skipped), (3, 2));
    assert!(
        all.first_skip
            .as_deref()
            .unwrap()
            .ends_with(":4: field `pingStatus`: unknown status")
    );
    let week = read_history(&[p], Some(Duration::from_secs(7 * 86_400))).unwrap();
    assert_eq!((week.samples.len(), week.before_window), (2, 1));
    let n = &summarise(&week.samples)[0];
    assert_eq!((n.samples, n.available, n.flaps), (2, 1, 1));
    assert_eq!(
        n.ttfb_p50_ms,
        Some(110.0),
        "a failed download's ttfb is not a sample"
    );
}

#[test]
fn an_overlong_line_is_skipped_and_reading_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("h.ndjson");
    let good = r#"{"time":"2026-12-01T00:00:00Z","operatorId":"0:0-1","pingStatus":"ok"}"#;
    let long = format!("{{\"x\":\"{}\"}}", "y".repeat(3 << 20));
    std::fs::write(&p, format!("{long}\n{good}\n{long}")).unwrap();
    let h = read_history(std::slice::from_ref(&p), None).unwrap();
    assert_eq!((h.samples.len(), h.skipped), (1, 2));
    assert!(
        h.first_skip
            .unwrap()
            .ends_with(":1: line longer than 1048576 bytes")
    );
    assert_eq!(h.samples[0].source, "unknown");
}
