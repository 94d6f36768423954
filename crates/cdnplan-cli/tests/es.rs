//! `cdnplan demand --es`, `cdnplan snapshot` and scenarios with an `[elasticsearch]` section,
//! against a real OpenSearch-compatible server (osmem-server, started by `crate::osmem`; a
//! missing server fails the test with the install command).

use cdnplan_io::es::{EsClient, EsConnection};
use cdnplan_io::geoip::GeoIp;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

use crate::ecs::{self, ecs_doc, ecs_mapping};
use crate::osmem;
use crate::proxy::{Fault, Proxy};
use crate::util::{data, default_scenario, gzip_lines, snapshot_lines};

/// Requests taken from the shipped snapshot: enough for several pages, few enough to be quick.
const DOCS: usize = 400;

/// A fresh index name for this process and test.
fn name(base: &str) -> String {
    format!("cdnplan-cli-{}-{base}", std::process::id())
}

fn client() -> EsClient {
    EsClient::connect(&EsConnection::url(osmem::url()).unwrap().timeout_secs(30.0)).unwrap()
}

fn seed(index: &str, mapping: Option<Value>, docs: &[String]) {
    ecs::seed(&client(), index, mapping.as_ref(), docs);
}

fn drop_index(index: &str) {
    ecs::drop_index(&client(), index);
}

/// The Argus documents in the ECS layout, with the country an ingest pipeline's geoip
/// processor would add (none for clients the database misses).
fn ecs(argus: &[String]) -> Vec<String> {
    let geoip = GeoIp::open(data("geoip/dbip-country-lite.mmdb")).unwrap();
    argus
        .iter()
        .map(|l| {
            ecs_doc(l, |ip| {
                let cc = geoip.lookup(ip.parse().ok()?).unwrap()?.country?;
                Some(json!({"country_iso_code": cc.to_string()}))
            })
        })
        .collect()
}

/// The cells and counts of a `demand --json` document.
fn cells(doc: &Value) -> (Value, Value, Value) {
    (
        doc["cells"].clone(),
        doc["report"]["requests_counted"].clone(),
        doc["report"]["requests_by_node"].clone(),
    )
}

clitest!(demand_from_the_cluster_equals_the_files, |dir, cmd| {
    let argus = snapshot_lines(DOCS);
    let ecs = ecs(&argus);
    dir.create("argus.ndjson.gz", gzip_lines(&argus));
    dir.create("ecs.ndjson.gz", gzip_lines(&ecs));
    let (raw_idx, pd_idx) = (name("distributor-node"), name("ecs"));
    seed(&raw_idx, None, &argus);
    seed(&pd_idx, Some(ecs_mapping()), &ecs);
    let url = osmem::url();

    // Raw mode: Argus 2023 documents carry no location; the CLI places clients by GeoIP.
    let want = cmd
        .args(["demand", "--json", "argus.ndjson.gz"])
        .ok()
        .json();
    let got = dir
        .command()
        .args(["demand", "--json", "--es", url, "--index", &raw_idx])
        .args(["--page-size", "37", "--slices", "2"])
        .ok()
        .json();
    assert_eq!(cells(&got), cells(&want), "raw mode");
    assert!(want["report"]["requests_counted"].as_u64().unwrap() > DOCS as u64 / 2);

    // Push-down: the country field is mapped, so the cluster aggregates.
    let want = dir
        .command()
        .args(["demand", "--json", "--preset", "ecs", "ecs.ndjson.gz"])
        .ok()
        .json();
    let mut pd = dir.command();
    pd.args(["demand", "--json", "--preset", "ecs", "--es", url])
        .args([
            "--index",
            &pd_idx,
            "--es-mode",
            "push-down",
            "--page-size",
            "5",
        ]);
    let got = pd.ok().json();
    assert_eq!(cells(&got), cells(&want), "push-down");
    // The summary names the cluster, not "0 log files".
    let run = pd.loud().ok();
    contains!(run.stderr, "push-down via composite aggregation");
    assert!(!run.stderr.contains("log files"), "{run}");
    contains!(run.stderr, "in the cluster (");
    drop_index(&raw_idx);
    drop_index(&pd_idx);
});

clitest!(a_snapshot_replays_as_a_log_file, |dir, cmd| {
    let argus = snapshot_lines(DOCS);
    dir.create("argus.ndjson.gz", gzip_lines(&argus));
    let idx = name("snapshot");
    seed(&idx, None, &argus);
    cmd.args(["snapshot", "--es", osmem::url(), "--index", &idx])
        .args(["-o", "snap.ndjson.gz", "--page-size", "50"])
        .ok();
    let replay = dir
        .command()
        .args(["demand", "--json", "snap.ndjson.gz"])
        .ok()
        .json();
    let want = dir
        .command()
        .args(["demand", "--json", "argus.ndjson.gz"])
        .ok()
        .json();
    assert_eq!(cells(&replay), cells(&want));
    drop_index(&idx);
});

clitest!(a_scenario_reads_its_demand_from_the_cluster, |dir, cmd| {
    let argus = snapshot_lines(DOCS);
    dir.create("argus.ndjson.gz", gzip_lines(&argus));
    let idx = name("scenario");
    seed(&idx, None, &argus);
    let section = format!(
        "[elasticsearch]\nurl = \"{}\"\nindex = \"{idx}\"\npage_size = 60\n\
         username = \"planner\"\npassword_env = \"CDNPLAN_TEST_ES_PASSWORD\"\n\n[network]",
        osmem::url()
    );
    let logs_line = "logs = [\"../snapshots/argus-2023-06.ndjson.gz\"]";
    let text = default_scenario(|t| {
        let abs = format!(
            "logs = [\"{}\"]",
            data("snapshots/argus-2023-06.ndjson.gz").display()
        );
        assert!(
            t.contains(&abs),
            "the default scenario reads the snapshot ({logs_line})"
        );
        t.replace(&abs, "").replacen("[network]", &section, 1)
    });
    dir.create("cluster.toml", &text);
    let mut ev = cmd.clone();
    ev.args(["evaluate", "--json", "cluster.toml"])
        .env("CDNPLAN_TEST_ES_PASSWORD", "hunter22");
    let got = ev.ok().json();
    let want = dir
        .command()
        .args([
            "evaluate",
            "--json",
            "cluster.toml",
            "--logs",
            "argus.ndjson.gz",
        ])
        .ok()
        .json();
    assert!(got["requests"].as_u64().unwrap() > DOCS as u64 / 2);
    assert_eq!(got["requests"], want["requests"]);
    assert_eq!(got["demand_cells"], want["demand_cells"]);
    assert_eq!(got["evaluation"], want["evaluation"]);
    let run = ev.loud().ok();
    contains!(run.stderr, "raw via point in time");
    assert!(!run.stderr.contains("hunter22"), "{run}");

    // The password's variable unset: the error names the variable, not a value.
    let run = dir.command().args(["evaluate", "cluster.toml"]).fails();
    contains!(run.error(), "CDNPLAN_TEST_ES_PASSWORD", "not set");

    // Files and a cluster in one scenario: a named contradiction.
    let both = text.replacen("[demand]", "[demand]\nlogs = [\"argus.ndjson.gz\"]", 1);
    dir.create("both.toml", both);
    let run = dir.command().args(["evaluate", "both.toml"]).fails();
    contains!(run.error(), "[elasticsearch] both name the demand");
    drop_index(&idx);
});

clitest!(
    an_unknown_index_prints_the_cause_without_credentials,
    |dir, cmd| {
        let _ = dir;
        let url = osmem::url().replace("http://", "http://elastic:hunter22@");
        let idx = name("no-such-index");
        let run = cmd
            .args(["demand", "--es", &url, "--index", &idx])
            .env("ELASTICSEARCH_API_KEY", "")
            .fails();
        // The cause chain: what failed, then why.
        contains!(
            run.error(),
            &format!("cannot read demand from \"{idx}\": "),
            &idx
        );
        assert!(run.error().to_lowercase().contains("no index"), "{run}");
        assert!(!run.stderr.contains("hunter22"), "{run}");
    }
);

/// Issue 15 row 5: `snapshot` interrupted while it pages (its page request held by a proxy)
/// leaves no temporary file and no open point in time or scroll on the cluster (a server of
/// the test's own, so that other tests' contexts do not count).
fn interrupted_snapshot_releases(dir: &crate::util::Dir, scroll: bool) {
    // Hold the first page after the context is open: a point in time's first search, or a
    // scroll's first step.
    let marker = if scroll {
        "POST /_search/scroll HTTP"
    } else {
        "POST /_search HTTP"
    };
    interrupt_snapshot(dir, scroll, marker, Fault::Delay(Duration::from_secs(120)));
}

/// Interrupts `snapshot` once the proxy has taken its `fault` for the first request whose
/// line holds `marker`, and checks that no temporary file and no context is left.
fn interrupt_snapshot(dir: &crate::util::Dir, scroll: bool, marker: &'static str, fault: Fault) {
    let server = osmem::start();
    let c = EsClient::connect(&EsConnection::url(&server).unwrap().timeout_secs(30.0)).unwrap();
    let idx = name(if scroll {
        "sigint-scroll"
    } else {
        "sigint-pit"
    });
    ecs::seed(&c, &idx, None, &snapshot_lines(DOCS));
    let proxy = Proxy::start(&server, marker, &[fault]);
    let mut cmd = dir.command();
    cmd.loud()
        .args(["snapshot", "--es", &proxy.url, "--index", &idx])
        .args([
            "-o",
            "snap.ndjson.gz",
            "--page-size",
            "50",
            "--timeout",
            "300",
        ]);
    if scroll {
        cmd.arg("--scroll");
    }
    let mut child = cmd
        .std()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while proxy.faults_left() > 0 {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the snapshot ended ({status}) before it could be interrupted");
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no page was asked for"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let tmp = |d: &crate::util::Dir| {
        std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        tmp(dir).len(),
        1,
        "the export is under way in a temporary file"
    );
    let open = if scroll {
        None
    } else {
        let pits = c
            .request("GET", "/_search/point_in_time/_all", None)
            .unwrap();
        assert_eq!(pits["pits"].as_array().map(Vec::len), Some(1), "{pits}");
        Some(pits)
    };
    let kill = std::process::Command::new("kill")
        .args(["-s", "INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    contains!(
        stderr,
        "cdnplan: interrupted by SIGINT; removed 1 unfinished output(s)",
        "released 1 search context(s) on the cluster"
    );
    assert_eq!(tmp(dir), Vec::<String>::new());
    assert!(!dir.path().join("snap.ndjson.gz").exists());
    if scroll {
        // The server answers 404 when there was nothing to free, 200 with the count else.
        match c.request("DELETE", "/_search/scroll/_all", None) {
            Err(cdnplan_io::es::EsError::Server {
                status: 404,
                reason,
                ..
            }) => contains!(reason, r#""num_freed":0"#),
            other => panic!("a scroll was left open: {other:?}"),
        }
    } else {
        let pits = c
            .request("GET", "/_search/point_in_time/_all", None)
            .unwrap();
        assert_eq!(
            pits["pits"],
            json!([]),
            "left open: {pits}; before: {open:?}"
        );
    }
}

clitest!(interrupted_snapshot_closes_its_point_in_time, |dir, cmd| {
    interrupted_snapshot_releases(&dir, false);
});

clitest!(interrupted_snapshot_clears_its_scroll, |dir, cmd| {
    interrupted_snapshot_releases(&dir, true);
});

// Interrupted while a scroll's opening search is on its way back (the server has opened the
// context, the program does not know its id yet): the release waits for it and clears it.
clitest!(
    interrupted_while_a_scroll_opens_clears_that_scroll,
    |dir, cmd| {
        interrupt_snapshot(
            &dir,
            true,
            "/_search?scroll=",
            Fault::Hold(Duration::from_millis(1500)),
        );
    }
);
