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

clitest!(
    redundancy_at_150_ms_is_proven_for_budgets_0_to_3,
    |dir, cmd| {
        // 25,483 cell × site pairs within 150 ms: the exact search on the reduced model proves
        // each budget (a MIP alone needs a peer solver at this size).
        cmd.args([
            "plan",
            "--objective",
            "redundancy",
            "--threshold-ms",
            "150",
            "--max-moves",
            "3",
            "--time-limit",
            "60",
            "--no-reassign",
            "--out",
            "o",
        ])
        .ok();
        let plan = read_json(&dir.join("o/plan.json"));
        let o = &plan["objective"];
        assert_eq!(o["status"], "optimal", "{o}");
        let curve: Vec<(u64, f64, f64, String)> = o["curve"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["moves"].as_u64().unwrap(),
                    p["best"].as_f64().unwrap(),
                    p["bound"].as_f64().unwrap(),
                    p["status"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let expected = [0.967172, 0.983414, 0.996904, 1.0];
        assert_eq!(curve.len(), 4, "{o}");
        for (k, (moves, best, bound, status)) in curve.into_iter().enumerate() {
            assert_eq!(moves, k as u64);
            assert_eq!((best, bound), (expected[k], expected[k]), "{k} moves: {o}");
            assert_eq!(status, "optimal", "{k} moves: {o}");
        }
    }
);

/// The lines and section where a plan states what was proven.
fn status_statements(stdout: &str, report: &str) -> (String, String, String) {
    let line = |prefix: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_default()
            .to_string()
    };
    let solver_section = report
        .split("## Solver")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap_or_default()
        .to_string();
    (line("Solver:"), line("Objective:"), solver_section)
}

clitest!(every_objective_states_its_proof_status_once, |dir, cmd| {
    const STATUS_WORDS: [&str; 5] = ["optimal", "proven", "proof", "heuristic", "gap"];
    for (name, args) in [
        ("mean_rtt", &[][..]),
        (
            "coverage",
            &["--objective", "coverage", "--threshold-ms", "100"][..],
        ),
        ("worst_case", &["--objective", "worst_case"][..]),
        (
            "redundancy",
            &["--objective", "redundancy", "--threshold-ms", "150"][..],
        ),
        (
            "blended",
            &[
                "--objective",
                "blended",
                "--threshold-ms",
                "100",
                "--penalty-ms",
                "50",
            ][..],
        ),
    ] {
        let run = cmd
            .clone()
            .args(["plan", "--time-limit", "30", "--no-reassign", "--out", name])
            .args(args)
            .ok();
        let report = dir.read(&format!("{name}/report.md"));
        let plan = read_json(&dir.join(format!("{name}/plan.json")));
        let (solver, objective, section) = status_statements(&run.stdout, &report);
        // Never "optimal" beside "no proof" for one quantity, in any output.
        for text in [&run.stdout, &report] {
            for l in text.lines() {
                assert!(
                    !(l.contains("optimal") && l.contains("no proof")),
                    "{name}: {l}"
                );
            }
        }
        if name == "mean_rtt" {
            assert!(plan.get("objective").is_none());
            assert_eq!(plan["solver"].get("mean_rtt_role"), None);
            assert_eq!(plan["solver"]["status"], "optimal", "{name}");
            assert_eq!(run.stdout.matches("optimal (proven)").count(), 1, "{run}");
            assert!(section.contains("**optimal (proven)**"), "{section}");
            continue;
        }
        // The objective carries the status once; the mean RTT is called a tie-break and
        // claims nothing.
        assert_eq!(plan["solver"]["mean_rtt_role"], "tie_break", "{name}");
        assert_eq!(plan["objective"]["status"], "optimal", "{name}");
        assert!(objective.contains("(optimal, "), "{name}: {objective}");
        for word in STATUS_WORDS {
            assert!(!solver.contains(word), "{name}: {solver}");
            assert!(!section.contains(word), "{name}: {section}");
        }
        assert!(solver.contains("breaks ties"), "{name}: {solver}");
        assert!(
            !run.stdout.contains("no proof") && !report.contains("no proof"),
            "{name}: {run}"
        );
    }
});

// Measured RTTs that disagree with distance (Germany's nearest node, Nuremberg, measured slow;
// Paris fast): viewers still go to the nearest node. The plan's objective is the serving
// rule's mean for the chosen layout — what `cdnplan evaluate` reports for the plan's
// nodes.csv — and the solver's status says the proof does not cover the rule.
clitest!(
    measured_rtts_against_distance_plan_what_evaluate_reports,
    |dir, cmd| {
        dir.create(
            "rtt.csv",
            "cell,facility,rtt_ms\nDE,joystream.koalva.io,300\nDE,dp.0x2bc.com,10\nFR,dp.0x2bc.com,4\n",
        );
        dir.create(
            "scenario.toml",
            crate::util::default_scenario(|t| {
                t.replace(
                    "# measured = \"rtt.csv\"",
                    &format!("measured = \"{}\"", dir.join("rtt.csv").display()),
                )
            }),
        );
        let plan = cmd
            .args([
                "plan",
                "scenario.toml",
                "--no-reassign",
                "--max-moves",
                "0",
                "--add",
                "1",
                "--json",
                "--out",
                "o",
            ])
            .ok()
            .json();
        let solver = &plan["solver"];
        assert_eq!(solver["status"], "heuristic", "{solver}");
        assert_eq!(solver["serving_rule"]["proof"], "heuristic", "{solver}");
        let objective = solver["objective_mean_rtt_ms"].as_f64().unwrap();
        assert_eq!(objective, plan["after"]["mean_rtt_ms"].as_f64().unwrap());
        let evaluated = dir
            .command()
            .args([
                "evaluate",
                "scenario.toml",
                "--nodes",
                "o/nodes.csv",
                "--json",
            ])
            .ok()
            .json();
        let mean = evaluated["evaluation"]["mean_rtt_ms"].as_f64().unwrap();
        assert!((mean - objective).abs() < 0.001, "{mean} vs {objective}");
        contains!(
            dir.read("o/report.md"),
            "The proof does not cover the serving rule"
        );
    }
);
