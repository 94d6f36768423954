//! `cdnplan plan` with capacities: the infeasibility diagnosis, the load lines and
//! determinism.

clitest!(too_little_egress_is_diagnosed, |_dir, cmd| {
    // The shipped snapshot peaks at about 0.015 Gbit/s; five nodes of 1 Mbit/s cannot carry it.
    let run = cmd
        .args(["plan", "--method", "heuristic", "--egress-gbps", "0.001"])
        .args(["--out", "o"])
        .fails();
    contains!(
        run.stderr,
        "cdnplan: error: cannot plan the scenario: infeasible: peak demand",
        "exceeds total capacity 0.005 Gbit/s of the 5 largest sites that may open"
    );
});

clitest!(
    capacitated_plan_prints_loads_and_repeats_byte_for_byte,
    |dir, cmd| {
        let args = [
            "plan",
            "--method",
            "heuristic",
            "--egress-gbps",
            "0.004",
            "--assignment",
            "single-source",
        ];
        let first = cmd.clone().args(args).args(["--out", "a"]).ok();
        contains!(
            first.stdout,
            "Load versus capacity at the peak hour (",
            "single-source assignment",
            "today, each cell at its nearest node:",
            "OVERLOADED",
            "after the plan, within the capacities (mean RTT "
        );
        let second = cmd.args(args).args(["--out", "b"]).ok();
        eqnice!(first.stdout, second.stdout);
        for f in ["plan.json", "report.md"] {
            eqnice!(dir.read(&format!("a/{f}")), dir.read(&format!("b/{f}")));
        }
        contains!(dir.read("a/report.md"), "## Load versus capacity per node");
        let plan = crate::util::read_json(&dir.join("a/plan.json"));
        let after = plan["capacity"]["after"].as_array().unwrap();
        assert_eq!(after.len(), 5);
        for l in after {
            let (load, cap) = (
                l["load_gbps"].as_f64().unwrap(),
                l["capacity_gbps"].as_f64().unwrap(),
            );
            assert!(load <= cap + 1e-6, "{l}");
        }
    }
);

clitest!(a_budget_without_costs_names_what_to_set, |_dir, cmd| {
    let run = cmd
        .args(["plan", "--method", "heuristic", "--budget-usd", "500"])
        .args(["--out", "o"])
        .fails();
    contains!(
        run.stderr,
        "needs the monthly cost of every place",
        "set a default monthly cost"
    );
});

clitest!(
    scenario_capacity_section_drives_plan_and_evaluate,
    |dir, cmd| {
        dir.create(
            "scenario.toml",
            crate::util::default_scenario(|t| {
                format!(
                    "{t}\n[capacity]\ndefault_egress_gbps = 0.004\ndefault_monthly_usd = 100\n\
                 monthly_usd = {{ \"sieemmanodes.com\" = 55 }}\nbudget_usd = 460\n"
                )
            }),
        );
        let eval = cmd.clone().args(["evaluate", "scenario.toml"]).ok();
        contains!(
            eval.stdout,
            "Load versus capacity at the peak hour, each cell at its nearest node:",
            "sieemmanodes.com: ",
            "$55/month  OVERLOADED"
        );
        let run = cmd
            .args([
                "plan",
                "scenario.toml",
                "--method",
                "heuristic",
                "--out",
                "o",
            ])
            .ok();
        contains!(
            run.stdout,
            "Monthly cost: $455 today, ",
            "after the plan (budget $460)."
        );
    }
);
