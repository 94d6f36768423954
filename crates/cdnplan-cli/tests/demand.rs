//! `cdnplan demand`: logs to cells, the CSV it writes, and what `evaluate` makes of it.

use crate::util::{SNAPSHOT, data, gzip_lines, snapshot_lines};

clitest!(csv_evaluates_like_the_logs_it_came_from, |dir, cmd| {
    let run = cmd
        .arg("demand")
        .arg(data(SNAPSHOT))
        .args(["--top", "3", "-o", "demand.csv"])
        .ok();
    // The logs measure their busiest hour; the CSV has no times, so the factor is assumed.
    contains!(
        run.stdout.lines().nth(1).unwrap(),
        "peak hour 2023-06-",
        "× the mean"
    );
    let csv = dir.read("demand.csv");
    contains!(
        csv.lines().next().unwrap(),
        "id,country,continent,lat,lon,requests,bytes,unique_clients"
    );
    assert_eq!(csv.lines().count(), 1 + 166, "one row per country cell");

    let from_csv = dir
        .command()
        .args(["evaluate", "--json", "--demand", "demand.csv"])
        .ok()
        .json();
    let from_logs = dir.command().args(["evaluate", "--json"]).ok().json();
    assert_eq!(from_csv["requests"], from_logs["requests"]);
    assert_eq!(from_logs["peak"]["kind"], "measured");
    assert_eq!(
        from_csv["peak"],
        serde_json::json!({"kind": "assumed", "peak_to_mean": 2.0, "span_hours": 0})
    );
    let (a, b) = (
        from_csv["evaluation"]["mean_rtt_ms"].as_f64().unwrap(),
        from_logs["evaluation"]["mean_rtt_ms"].as_f64().unwrap(),
    );
    assert!(
        (a - b).abs() <= 1e-9 * b,
        "mean RTT {a} from the CSV, {b} from the logs"
    );
});

clitest!(golden_top_cells, |dir, cmd| {
    dir.create("five.ndjson.gz", gzip_lines(&snapshot_lines(5)));
    let run = cmd.args(["demand", "five.ndjson.gz"]).ok();
    let expected = "\
4 cells (country), 5 requests, 76692679 bytes
no peak measured in 1 hour of data: assumed 2× the mean
cell  continent  requests   share     bytes  clients  location
ID    AS                2  40.0 %  43313610        2  -6.2146, 106.8451
MG    AF                1  20.0 %    623897        1  -18.9137, 47.5361
SE    EU                1  20.0 %   4705492        1  59.3294, 18.0687
TR    AS                1  20.0 %  28049680        1  39.9199, 32.8543
";
    eqnice!(expected, run.stdout);
});

clitest!(json_is_one_typed_document, |dir, cmd| {
    dir.create("five.ndjson.gz", gzip_lines(&snapshot_lines(5)));
    let doc = cmd.args(["demand", "--json", "five.ndjson.gz"]).ok().json();
    assert_eq!(doc["type"], "demand");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["cells"].as_array().unwrap().len(), 4);
    assert_eq!(doc["report"]["requests_counted"], 5);
});

clitest!(thread_count_does_not_change_the_cells, |dir, cmd| {
    let mut one = cmd.clone();
    one.arg("demand").arg(data(SNAPSHOT)).args([
        "--threads",
        "1",
        "--cells",
        "geotile:4",
        "-o",
        "t1.csv",
    ]);
    let mut two = cmd.clone();
    two.arg("demand").arg(data(SNAPSHOT)).args([
        "--threads",
        "2",
        "--cells",
        "geotile:4",
        "-o",
        "t2.csv",
    ]);
    let (a, b) = (one.ok(), two.ok());
    eqnice!(a.stdout, b.stdout);
    eqnice!(dir.read("t1.csv"), dir.read("t2.csv"));
});

clitest!(informs_where_the_cells_went, |dir, cmd| {
    dir.create("five.ndjson.gz", gzip_lines(&snapshot_lines(5)));
    let run = cmd
        .loud()
        .args(["demand", "five.ndjson.gz", "-o", "d.csv"])
        .ok();
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{run}");
    contains!(
        lines[0],
        "ingested 1 log file (",
        "5 records): 5 requests counted"
    );
    eqnice!("wrote 4 cells to d.csv", lines[1]);
});
