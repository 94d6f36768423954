//! `cdnplan evaluate`: metrics in text and JSON, other topologies, a golden table, pipes.

use std::io::Read;
use std::process::Stdio;

use crate::util::data;

clitest!(text_gives_mean_percentiles_and_coverage, |dir, cmd| {
    let text = cmd.arg("evaluate").ok();
    let json = dir.command().args(["evaluate", "--json"]).ok().json();
    let e = &json["evaluation"];
    let ms = |k: &str| format!("{:.1} ms", e[k].as_f64().unwrap());
    contains!(
        text.stdout,
        format!(
            "mean {}, p50 {}, p90 {}, p95 {}",
            ms("mean_rtt_ms"),
            ms("p50_rtt_ms"),
            ms("p90_rtt_ms"),
            ms("p95_rtt_ms")
        ),
        "share of demand within: ≤50 ms ",
        "≤250 ms ",
        "166 demand cells, 55227 requests; 6 nodes (5 active)"
    );
    eqnice!("", text.stderr);
});

clitest!(json_is_one_typed_document, |dir, cmd| {
    let doc = cmd.args(["evaluate", "--json"]).ok().json();
    assert_eq!(doc["type"], "evaluation");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["scenario"], "default");
    assert_eq!(doc["nodes"].as_array().unwrap().len(), 6);
    let mean = doc["evaluation"]["mean_rtt_ms"].as_f64().unwrap();
    assert!(mean.is_finite() && mean > 0.0, "{mean}");
});

clitest!(december_2023_topology_has_eight_nodes, |dir, cmd| {
    let topology = data("joystream/mainnet-2023-12.json");
    let text = cmd.arg("evaluate").arg("--topology").arg(&topology).ok();
    contains!(text.stdout, "; 8 nodes (8 active)");
    let doc = dir
        .command()
        .args(["evaluate", "--json", "--topology"])
        .arg(&topology)
        .ok()
        .json();
    assert_eq!(doc["nodes"].as_array().unwrap().len(), 8);
    assert_eq!(doc["evaluation"]["nodes"].as_array().unwrap().len(), 8);
});

// Cells on the nodes are served in a = 10 ms; Berlin is 878.4 km from Paris, so
// 10 + 0.015 · 878.4 = 23.2 ms. Mean (600·10 + 300·23.18 + 100·10) / 1000 = 13.95 ms.
clitest!(golden_small_network, |dir, cmd| {
    dir.create(
        "demand.csv",
        "id,country,continent,lat,lon,requests,bytes,unique_clients\n\
         FR,FR,EU,48.85341,2.3488,600,6000,60\n\
         DE,DE,EU,52.52437,13.41053,300,3000,30\n\
         JP,JP,AS,35.6895,139.69171,100,1000,10\n",
    );
    dir.create(
        "nodes.csv",
        "id,operator,city,country_code,lat,lon,active\n\
         paris,ops,Paris,FR,48.85341,2.3488,true\n\
         tokyo,ops,Tokyo,JP,35.6895,139.69171,true\n\
         spare,ops,Lima,PE,-12.04318,-77.02824,false\n",
    );
    let run = cmd
        .args(["evaluate", "--demand", "demand.csv", "--nodes", "nodes.csv"])
        .ok();
    let expected = "\
3 demand cells, 1000 requests; 3 nodes (2 active)
no hourly data: assumed 2× the mean

Current service
  demand-weighted RTT (by requests): mean 14.0 ms, p50 10.0 ms, p90 23.2 ms, p95 23.2 ms
  share of demand within: ≤50 ms 100.0 %, ≤100 ms 100.0 %, ≤150 ms 100.0 %, ≤250 ms 100.0 %

  node   active    load  requests  cells  mean RTT ms
  paris  yes     90.0 %       900      2         14.4
  spare  no       0.0 %         0      0            –
  tokyo  yes     10.0 %       100      1         10.0

  continent  demand  requests  mean RTT ms  p90 ms  main node
  AS Asia    10.0 %       100         10.0    10.0  tokyo
  EU Europe  90.0 %       900         14.4    23.2  paris
";
    eqnice!(expected, run.stdout);
});

clitest!(verbose_prints_the_whole_ingestion_report, |dir, cmd| {
    let run = cmd.loud().args(["evaluate", "--verbose"]).ok();
    contains!(
        run.stderr,
        "read 1 file(s)",
        "time span of counted requests: 2023-06-02T",
        "filtered out 4773:\n  status 304: 3003\n  status 404: 1770\n"
    );
});

// Wherever they stand on the command line (the harness passes --quiet first).
clitest!(quiet_wins_over_verbose, |dir, cmd| {
    let run = cmd.args(["evaluate", "--verbose"]).ok();
    eqnice!("", run.stderr);
    let run = dir
        .command()
        .loud()
        .args(["evaluate", "--verbose", "--quiet"])
        .ok();
    eqnice!("", run.stderr);
});

// `cdnplan evaluate | head -1`: the reader goes away before the results are written. The
// write fails with EPIPE, which is not an error for a command-line filter.
clitest!(closed_stdout_is_not_an_error, |dir, cmd| {
    for args in [&["evaluate"][..], &["evaluate", "--json"]] {
        let mut child = dir
            .command()
            .args(args)
            .std()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        eqnice!("", stderr);
        assert_eq!(status.code(), Some(0), "{args:?}");
    }
});
