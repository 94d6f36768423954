//! `cdnplan plan`: the outputs, the stdout summary, `--json` and determinism.

use crate::util::read_json;

/// The files every plan writes.
const OUTPUTS: [&str; 5] = [
    "plan.json",
    "report.md",
    "moves.csv",
    "demand.csv",
    "plan.geojson",
];

// The one full solve of the shipped default scenario (auto method, proven optimal): about
// ten seconds in the test profile. Every other plan test uses `--method heuristic`.
clitest!(default_scenario_writes_the_five_outputs, |dir, cmd| {
    let run = cmd.arg("plan").ok();
    // --quiet: stderr stays empty when nothing is wrong; stdout is the summary.
    eqnice!("", run.stderr);
    let headline = run.stdout.lines().next().unwrap_or_default();
    contains!(headline, "Moving 3 of 6 nodes", "mean RTT from 46.0 ms");
    contains!(
        run.stdout,
        "Moves, in order",
        "Mean RTT after k moves:",
        "Solver: "
    );
    assert!(!run.stdout.contains("solved in"), "timings go to stderr");

    // The scenario's output_dir is relative to the current directory.
    let out = dir.join("out/default");
    for f in OUTPUTS {
        assert!(out.join(f).is_file(), "{f} written");
    }
    let plan = read_json(&out.join("plan.json"));
    assert_eq!(plan["schema"], "cdnplan/plan");
    assert_eq!(plan["version"], 1);
    let (before, after) = (
        plan["before"]["mean_rtt_ms"].as_f64().unwrap(),
        plan["after"]["mean_rtt_ms"].as_f64().unwrap(),
    );
    assert!(after < before, "moves help: {before} → {after}");

    contains!(dir.read("out/default/report.md"), headline);

    let moves = dir.read("out/default/moves.csv");
    let mut lines = moves.lines();
    contains!(lines.next().unwrap(), "step,kind,node");
    let rows = lines.count();
    assert!((1..=3).contains(&rows), "1..=K moves, got {rows}:\n{moves}");

    let geo = read_json(&out.join("plan.geojson"));
    assert_eq!(geo["type"], "FeatureCollection");
    assert!(!geo["features"].as_array().unwrap().is_empty());

    contains!(dir.read("out/default/demand.csv"), "id,");
});

clitest!(json_prints_the_plan_as_one_document, |dir, cmd| {
    let run = cmd
        .args(["plan", "--method", "heuristic", "--json", "--out", "o"])
        .ok();
    let doc = run.json();
    assert_eq!(doc["schema"], "cdnplan/plan");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc, read_json(&dir.join("o/plan.json")));
});

clitest!(outputs_are_identical_at_any_thread_count, |dir, cmd| {
    let mut one = cmd.clone();
    one.args([
        "plan",
        "--method",
        "heuristic",
        "--threads",
        "1",
        "--out",
        "t1",
    ])
    .env("RAYON_NUM_THREADS", "1");
    let mut two = cmd.clone();
    two.args([
        "plan",
        "--method",
        "heuristic",
        "--threads",
        "2",
        "--out",
        "t2",
    ])
    .env("RAYON_NUM_THREADS", "2");
    let (a, b) = (one.ok(), two.ok());
    eqnice!(a.stdout, b.stdout);
    let (fa, fb) = (dir.snapshot("t1"), dir.snapshot("t2"));
    let names = |s: &[(String, Vec<u8>)]| s.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&fa), names(&fb));
    for f in OUTPUTS {
        assert!(names(&fa).iter().any(|n| n == f), "{f} written");
    }
    for ((name, x), (_, y)) in fa.iter().zip(&fb) {
        eqnice!(String::from_utf8_lossy(x), String::from_utf8_lossy(y));
        assert_eq!(x, y, "{name}");
    }
});

clitest!(adding_a_node_is_one_add_move, |dir, cmd| {
    let run = cmd
        .args([
            "plan",
            "--method",
            "heuristic",
            "--add",
            "1",
            "--max-moves",
            "0",
            "--out",
            "o",
        ])
        .ok();
    contains!(run.stdout, "1. add a node at ");
    let moves = dir.read("o/moves.csv");
    let rows: Vec<&str> = moves.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{moves}");
    contains!(rows[0], "1,add,");
});

clitest!(stderr_tells_what_was_read_in_one_line, |dir, cmd| {
    let run = cmd
        .loud()
        .args(["plan", "--method", "heuristic", "--out", "o"])
        .ok();
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "summary and files written:\n{run}");
    contains!(
        lines[0],
        "ingested 1 log file (",
        "60000 records): 55227 requests counted, 55227 located (100.0 %); 4773 filtered out \
         (status 304: 3003, status 404: 1770)"
    );
    contains!(
        lines[1],
        "solved in ",
        "; wrote plan.json, report.md, ",
        " to o"
    );
    assert!(
        !run.stdout.contains("ingested"),
        "stdout carries results only"
    );
});
