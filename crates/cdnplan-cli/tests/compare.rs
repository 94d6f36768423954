//! `cdnplan compare`: variants solved and ranked side by side.

use crate::util::read_json;

clitest!(compare_ranks_move_budgets_by_mean_rtt, |dir, cmd| {
    let run = cmd
        .clone()
        .args(["compare", "--vary", "max_moves=1,3,5", "-o", "c"])
        .ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "Ranked by mean RTT (ms):", "{run}");
    assert_eq!(lines.len(), 5, "{run}");
    // Best first: five moves allowed (four used), then three, then one.
    for (line, (label, mean)) in lines[2..].iter().zip([
        ("default max_moves=5", "30.1 ms"),
        ("default max_moves=3", "30.8 ms"),
        ("default max_moves=1", "38.3 ms"),
    ]) {
        contains!(line, label, mean, "optimal (proven)");
    }
    // The same figures in every format; the set is written whole.
    let json = read_json(&dir.join("c/compare.json"));
    assert_eq!(json["rows"][2]["label"], "default max_moves=1");
    assert_eq!(json["rows"][1]["moves"], 3);
    assert_eq!(json["rows"][1]["migration_calls"], 9);
    let csv = dir.read("c/compare.csv");
    assert!(csv.starts_with("rank,variant,measure,value,"), "{csv}");
    assert_eq!(csv.lines().count(), 4, "{csv}");
    contains!(dir.read("c/compare.md"), "| 1 | default max_moves=5 |");
    let md = cmd
        .clone()
        .args(["compare", "--vary", "max_moves=1,3", "--format", "markdown"])
        .ok();
    contains!(md.stdout, "| # | Variant |", "| 2 | default max_moves=1 |");
    let j = cmd
        .clone()
        .args(["compare", "--vary", "max_moves=1,3", "--json"])
        .ok();
    assert_eq!(j.json()["rows"][0]["label"], "default max_moves=3");
});

clitest!(compare_ranks_by_a_shared_objective, |dir, cmd| {
    let run = cmd
        .clone()
        .args([
            "compare",
            "--vary",
            "objective.kind=coverage",
            "--vary",
            "objective.threshold_ms=100",
            "--vary",
            "max_moves=1,3",
            "--no-reassign",
        ])
        .ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0], "Ranked by share of demand within 100 ms:",
        "{run}"
    );
    contains!(lines[2], "max_moves=3", "%");
    contains!(lines[3], "max_moves=1");
    // Different thresholds are different objectives: ranked by mean RTT, and said so.
    let mixed = cmd
        .clone()
        .args([
            "compare",
            "--vary",
            "objective.kind=coverage",
            "--vary",
            "objective.threshold_ms=50,100",
            "--no-reassign",
        ])
        .ok();
    contains!(
        mixed.stdout,
        "Ranked by mean RTT (ms) (the variants optimise different objectives"
    );
    let _ = dir;
});

clitest!(compare_names_what_is_wrong, |dir, cmd| {
    let one = cmd.clone().args(["compare"]).fails();
    contains!(one.error(), "nothing to compare", "--vary");
    let bad = cmd
        .clone()
        .args(["compare", "--vary", "max_move=1,2"])
        .fails();
    contains!(bad.error(), "--vary max_move=1,2", "no setting `max_move`");
    let neg = cmd
        .clone()
        .args(["compare", "--vary", "max_moves=1,-2"])
        .fails();
    contains!(neg.error(), "max_moves=-2");
    let half = cmd
        .clone()
        .args(["compare", "--vary", "objective.kind=coverage,mean_rtt"])
        .fails();
    contains!(
        half.error(),
        "variant \"default objective.kind=coverage\" is not a valid scenario",
        "threshold_ms"
    );
    let form = cmd.clone().args(["compare", "--vary", "max_moves"]).fails();
    contains!(form.error(), "expected SETTING=V1,V2");
    let _ = dir;
});
