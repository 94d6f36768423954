//! `cdnplan plan` with another objective, the service report and the node curve.

use crate::util::read_json;

clitest!(
    coverage_plan_reports_service_failures_and_the_node_curve,
    |dir, cmd| {
        let run = cmd
            .args([
                "plan",
                "--method",
                "heuristic",
                "--objective",
                "coverage",
                "--threshold-ms",
                "100",
                "--curve",
                "1..3",
                "--out",
                "o",
            ])
            .ok();
        contains!(
            run.stdout,
            "Objective: coverage within 100 ms — 88.5 % today",
            "Within 100 ms: 88.5 % today",
            "If one node fails, today (all up: mean RTT 46.0 ms):",
            "If one node fails, after the plan",
            "What is one more node worth?"
        );
        let curve = dir.read("o/node-curve.csv");
        let rows: Vec<&str> = curve.lines().collect();
        assert_eq!(
            rows[0],
            "nodes,best,bound,status,marginal,mean_rtt_ms,sites"
        );
        assert_eq!(rows.len(), 4, "{curve}");
        assert!(rows[1].starts_with("1,"), "{curve}");

        let plan = read_json(&dir.join("o/plan.json"));
        assert_eq!(plan["objective"]["objective"]["kind"], "coverage");
        assert_eq!(plan["service"]["threshold_ms"], 100.0);
        assert_eq!(plan["service"]["within_before"], 0.885473);
        // One failure row per active node, before and after.
        assert_eq!(
            plan["service"]["failures_before"].as_array().unwrap().len(),
            5
        );
        assert_eq!(plan["node_curve"].as_array().unwrap().len(), 3);
        let after = plan["objective"]["after"].as_f64().unwrap();
        let bound = plan["objective"]["bound"].as_f64().unwrap();
        let before = plan["objective"]["before"].as_f64().unwrap();
        assert!(
            before <= after && after <= bound,
            "{before} ≤ {after} ≤ {bound}"
        );
        let report = dir.read("o/report.md");
        contains!(
            report,
            "## Objective",
            "## Service within 100 ms",
            "### If one node fails",
            "## What is one more node worth?"
        );
    }
);

clitest!(
    a_threshold_alone_adds_the_service_report_to_the_mean_rtt_plan,
    |dir, cmd| {
        let run = cmd
            .args([
                "plan",
                "--method",
                "heuristic",
                "--threshold-ms",
                "100",
                "--out",
                "o",
            ])
            .ok();
        contains!(run.stdout, "Within 100 ms: 88.5 % today, 95.0 % after.");
        assert!(
            !run.stdout.contains("Objective:"),
            "mean RTT is the plain plan"
        );
        let plan = read_json(&dir.join("o/plan.json"));
        assert!(plan.get("objective").is_none());
        assert!(plan.get("node_curve").is_none());
        assert!(!dir.join("o/node-curve.csv").exists());
    }
);

clitest!(every_objective_runs_on_the_default_scenario, |_dir, cmd| {
    for args in [
        &["--objective", "worst_case"][..],
        &["--objective", "redundancy", "--threshold-ms", "150"][..],
        &[
            "--objective",
            "blended",
            "--threshold-ms",
            "100",
            "--penalty-ms",
            "50",
        ][..],
    ] {
        let run = cmd
            .clone()
            .args([
                "plan",
                "--method",
                "heuristic",
                "--time-limit",
                "20",
                "--out",
                "o",
            ])
            .args(args)
            .ok();
        contains!(run.stdout, "Objective: ");
    }
});

clitest!(bad_objective_settings_name_the_setting, |_dir, cmd| {
    // A usage error, from the argument parser: exit 2, the choices listed.
    let run = cmd.clone().args(["plan", "--objective", "fastest"]).run();
    assert_eq!(run.code, Some(2), "{run}");
    contains!(
        run.stderr,
        "invalid value 'fastest' for '--objective <KIND>'",
        "expected mean_rtt, coverage, worst_case, redundancy or blended"
    );
    let run = cmd
        .clone()
        .args(["plan", "--objective", "coverage"])
        .fails();
    contains!(run.stderr, "needs threshold_ms");
    let run = cmd
        .clone()
        .args(["plan", "--objective", "blended", "--threshold-ms", "100"])
        .fails();
    contains!(run.stderr, "needs penalty_ms");
    let run = cmd.clone().args(["plan", "--curve", "0..3"]).fails();
    contains!(run.stderr, "--curve 0..3");
});
