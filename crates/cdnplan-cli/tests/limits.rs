//! Absurd sizes, times and counts: refused up front with the limit named, clamped where the
//! meaning is plain, never a panic, an overflow or an out-of-memory kill.

use crate::util::{default_scenario, gzip_lines, snapshot_lines};

clitest!(
    a_huge_time_limit_flag_is_refused_not_a_panic,
    |_dir, cmd| {
        let run = cmd
            .args(["plan", "--time-limit", "1e30", "--no-reassign"])
            .fails();
        contains!(
            run.error(),
            "--time-limit 1000000000000000000000000000000: expected a positive number of seconds, at most 604800 (a week)"
        );
    }
);

clitest!(
    a_huge_time_limit_in_the_scenario_names_the_setting,
    |dir, cmd| {
        dir.create(
            "scenario.toml",
            default_scenario(|t| t.replace("time_limit_s = 60", "time_limit_s = 1e30")),
        );
        let run = cmd.args(["plan", "scenario.toml"]).fails();
        contains!(
            run.error(),
            "[solver] time_limit_s = 1000000000000000000000000000000: expected a positive number of seconds, at most 604800"
        );
    }
);

clitest!(a_bench_time_limit_beyond_a_week_is_refused, |_dir, cmd| {
    let run = cmd
        .args(["bench", "synthetic", "--time-limit", "inf"])
        .fails();
    contains!(
        run.error(),
        "--time-limit inf: expected a positive number of seconds"
    );
});

clitest!(
    a_count_above_two_to_the_53_in_a_demand_csv_names_line_and_field,
    |dir, cmd| {
        dir.create(
            "demand.csv",
            "id,lat,lon,requests\nDE,51,10,10\nFR,46,2,18446744073709551615\n",
        );
        let run = cmd.args(["evaluate", "--demand", "demand.csv"]).fails();
        contains!(run.error(), "demand.csv:3");
        contains!(run.error(), "requests");
        contains!(run.error(), "at most 9007199254740992");
    }
);

clitest!(
    a_response_size_of_u64_max_in_a_log_is_a_bad_field,
    |dir, cmd| {
        let mut lines = snapshot_lines(5);
        lines[2] = lines[2].replacen(
            r#""content-length":"#,
            r#""content-length":"18446744073709551615","x":"#,
            1,
        );
        dir.create("big.ndjson.gz", gzip_lines(&lines));
        let run = cmd.args(["demand", "big.ndjson.gz"]).fails();
        contains!(run.error(), "big.ndjson.gz:3");
        contains!(run.error(), "above 2^53");
    }
);

clitest!(
    more_moves_than_nodes_means_every_node_may_move,
    |dir, cmd| {
        // u64::MAX moves used to collect 0..max_moves into memory (an OOM kill).
        let run = cmd
            .args(["plan", "--method", "heuristic", "--no-reassign"])
            .args(["--max-moves", "18446744073709551615", "--time-limit", "5"])
            .args(["--out", "many"])
            .ok();
        contains!(run.stdout, "Moving");
        assert!(dir.join("many/plan.json").is_file());
    }
);

clitest!(assumed_bags_beyond_the_cap_are_refused, |_dir, cmd| {
    let run = cmd.args(["reassign", "--assume-bags", "1000000"]).fails();
    contains!(run.error(), "assume_bags = 1000000: at most 100000 bags");
});

clitest!(
    a_synthetic_instance_beyond_memory_is_refused_with_the_size,
    |_dir, cmd| {
        let run = cmd
            .args([
                "bench",
                "synthetic",
                "--clients",
                "100000000",
                "--sites",
                "100000",
            ])
            .fails();
        contains!(
            run.error(),
            "100000000 clients × 100000 sites would need about"
        );
        contains!(run.error(), "GB");
    }
);

clitest!(
    forbidding_every_provider_says_no_site_is_left,
    |_dir, cmd| {
        let sites = std::fs::read_to_string(crate::util::data("sites.csv")).unwrap();
        let mut providers: Vec<&str> = sites
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').nth(1))
            .collect();
        providers.sort_unstable();
        providers.dedup();
        cmd.args(["plan", "--no-reassign"]);
        for p in providers {
            cmd.args(["--forbid-provider", p]);
        }
        let run = cmd.fails();
        contains!(run.error(), "no candidate site is left");
    }
);

clitest!(
    a_redundancy_k_above_the_node_count_is_refused,
    |_dir, cmd| {
        let run = cmd
            .args(["plan", "--no-reassign", "--objective", "redundancy"])
            .args(["--threshold-ms", "150", "--redundancy-k", "100"])
            .fails();
        contains!(run.error(), "redundancy k = 100");
    }
);

clitest!(pinning_an_inactive_node_is_refused, |_dir, cmd| {
    let run = cmd
        .args(["plan", "--no-reassign", "--pin", "worker-6"])
        .fails();
    contains!(run.error(), "node worker-6 is pinned but inactive");
});

clitest!(
    measured_rtt_rows_naming_unknown_ids_are_refused,
    |dir, cmd| {
        dir.create(
            "rtt.csv",
            "cell,facility,rtt_ms\nDE,dp.0x2bc.com,12\nXX-nowhere,dp.0x2bc.com,40\n",
        );
        dir.create(
            "scenario.toml",
            default_scenario(|t| {
                t.replace(
                    "# measured = \"rtt.csv\"",
                    &format!("measured = \"{}\"", dir.join("rtt.csv").display()),
                )
            }),
        );
        let run = cmd.args(["plan", "scenario.toml", "--no-reassign"]).fails();
        contains!(run.error(), "rtt.csv");
        contains!(
            run.error(),
            "1 measured RTT row(s) name ids that are not in the inputs"
        );
        contains!(run.error(), "cell \"XX-nowhere\"");
    }
);

clitest!(an_unknown_country_in_a_demand_csv_is_named, |dir, cmd| {
    dir.create(
        "demand.csv",
        "id,country,lat,lon,requests\nDE,DE,51,10,10\nUK,UK,52,0,5\n",
    );
    let run = cmd.args(["evaluate", "--demand", "demand.csv"]).fails();
    contains!(run.error(), "demand.csv");
    contains!(run.error(), "unknown country code UK");
});

// Issue 15 row 15: --time-limit counts from the start of the run. A limit the reading of the
// inputs used up still gives a plan, at once, called time-limited, and the message says
// where the time went and what the limit could not shorten.
clitest!(
    a_time_limit_spent_on_reading_still_plans_and_says_so,
    |dir, cmd| {
        let run = cmd
            .loud()
            .args([
                "plan",
                "--time-limit",
                "0.001",
                "--no-reassign",
                "--out",
                "o",
            ])
            .ok();
        contains!(run.stdout, "time limit reached");
        contains!(
            run.stderr,
            "against --time-limit 0.001: reading the inputs ",
            "(building the costs and a first answer is not cut short), writing the outputs ",
            "; the plan is the best found when the time ran out"
        );
        assert!(dir.path().join("o/plan.json").is_file());
    }
);

// Issue 15 row 1: a time limit landing anywhere in the node curve (construction, ascent,
// branch-and-bound) gives time-limited points, never a panic.
clitest!(
    a_node_curve_under_a_short_limit_gives_time_limited_points,
    |dir, _cmd| {
        for limit in ["0.05", "0.3", "1"] {
            let out = format!("o{limit}");
            let run = dir
                .command()
                .args(["plan", "--curve", "20", "--time-limit", limit])
                .args(["--no-reassign", "-q", "--out", &out])
                .ok();
            let curve = dir.read(&format!("{out}/node-curve.csv"));
            let rows: Vec<Vec<&str>> = curve
                .lines()
                .skip(1)
                .map(|l| l.split(',').collect())
                .collect();
            assert_eq!(rows.len(), 20, "--time-limit {limit}: {curve}\n{run}");
            for r in &rows {
                let (best, bound): (f64, f64) = (r[1].parse().unwrap(), r[2].parse().unwrap());
                assert!(bound <= best + 1e-9, "--time-limit {limit}: {r:?}");
                assert!(["optimal", "time_limit"].contains(&r[3]), "{r:?}");
            }
        }
    }
);
