//! Bad input: every case exits with 2 and one `cdnplan: error: …` line naming the file and,
//! where there is one, the line and field. Nothing panics (checked on every run).

use crate::util::{Dir, Run, TestCommand, data, default_scenario, gzip_lines, snapshot_lines};

/// Five snapshot lines with line 3 replaced by `bad`, gzip-compressed, as `name`.
fn log_with_bad_line(dir: &Dir, name: &str, bad: &str) {
    let mut lines = snapshot_lines(5);
    lines[2] = bad.to_string();
    dir.create(name, gzip_lines(&lines));
}

/// Five good snapshot lines as `five.ndjson.gz`.
fn five_lines(dir: &Dir) {
    dir.create("five.ndjson.gz", gzip_lines(&snapshot_lines(5)));
}

/// `cdnplan plan --method heuristic` with `args`, expected to fail.
fn heuristic_plan_fails(cmd: &mut TestCommand, args: &[&str]) -> Run {
    cmd.args(["plan", "--method", "heuristic"])
        .args(args)
        .fails()
}

mod logs {
    use super::*;

    clitest!(malformed_json_names_file_line_and_field, |dir, cmd| {
        log_with_bad_line(
            &dir,
            "bad.ndjson.gz",
            r#"{"@timestamp": "2023-06-02T00:01:00Z", broken"#,
        );
        let run = cmd.args(["demand", "bad.ndjson.gz"]).fails();
        contains!(
            run.error(),
            "cannot read the request logs: bad.ndjson.gz:3: field `record`: malformed JSON"
        );
    });

    clitest!(lenient_turns_it_into_a_counted_skip, |dir, cmd| {
        log_with_bad_line(
            &dir,
            "bad.ndjson.gz",
            r#"{"@timestamp": "2023-06-02T00:01:00Z", broken"#,
        );
        // --quiet silences information, never a warning about data left out.
        let run = cmd.args(["demand", "bad.ndjson.gz", "--lenient"]).ok();
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one warning:\n{run}");
        contains!(
            lines[0],
            "cdnplan: warning: skipped 1 malformed record (malformed JSON: 1); first at \
             bad.ndjson.gz:3: field `record`: malformed JSON"
        );
        contains!(run.stdout, "3 cells (country), 4 requests");
    });

    // Issue 15 row 13: a small .gz holding one 80 MB line is refused at the line limit
    // (64 MiB, `max_line_bytes`) naming file and line, without holding the line; lenient
    // reading skips it, counted, and reads on.
    clitest!(a_line_over_the_limit_is_named_and_never_held, |dir, cmd| {
        let mut lines = snapshot_lines(5);
        lines[2] = "x".repeat(80 << 20);
        dir.create("long.ndjson.gz", gzip_lines(&lines));
        let run = cmd.args(["demand", "long.ndjson.gz"]).fails();
        contains!(
            run.error(),
            "long.ndjson.gz:3: field `record`: line longer than 67108864 bytes (the line limit, \
             `max_line_bytes`)"
        );
        assert!(
            run.stderr.len() < 10_000,
            "the line is not echoed: {} bytes",
            run.stderr.len()
        );
        let run = dir
            .command()
            .args(["demand", "long.ndjson.gz", "--lenient"])
            .ok();
        contains!(run.stderr, "skipped 1 malformed record");
        contains!(run.stdout, "4 requests");
    });

    // Issue 15, also met: an access log read as JSON lines names the preset that reads it.
    clitest!(
        access_log_without_preset_hints_at_the_combined_preset,
        |dir, cmd| {
            dir.create(
                "access.log",
                "203.0.113.7 - - [12/May/2023:10:00:00 +0000] \"GET /api/v1/assets/17 HTTP/1.1\" \
             200 1048576 \"-\" \"curl/8\"\n",
            );
            let run = cmd.args(["demand", "access.log"]).fails();
            contains!(
                run.error(),
                "the logs are not JSON lines: an access log is read with --preset combined",
                "access.log:1: field `record`: malformed JSON",
                "reads as a combined access log"
            );
            // Lines that are neither get no such hint.
            dir.create("junk.log", "just some words\n");
            let run = dir.command().args(["demand", "junk.log"]).fails();
            assert!(!run.error().contains("--preset combined"), "{run}");
        }
    );

    // Issue 15, also met: when the default asset-path filter rejects every request, the
    // error names the flag that counts every path.
    clitest!(
        asset_path_filter_rejecting_everything_names_all_paths,
        |dir, cmd| {
            dir.create(
                "access.log",
                "8.8.8.8 - - [12/May/2023:10:00:00 +0000] \"GET /index.html HTTP/1.1\" 200 \
             10 \"-\" \"curl/8\"\n",
            );
            let run = cmd
                .args(["demand", "access.log", "--preset", "combined"])
                .fails();
            contains!(
                run.error(),
                "no demand in access.log (--all-paths counts every path)",
                "the asset-path filter rejected 1 request"
            );
            let run = dir
                .command()
                .args([
                    "demand",
                    "access.log",
                    "--preset",
                    "combined",
                    "--all-paths",
                ])
                .ok();
            contains!(run.stdout, "1 requests");
        }
    );

    clitest!(unknown_preset_lists_the_presets, |dir, cmd| {
        five_lines(&dir);
        let run = cmd
            .args(["demand", "five.ndjson.gz", "--preset", "nope"])
            .fails();
        contains!(
            run.error(),
            "unknown log preset \"nope\"",
            "argus, es-hits, ecs, combined, csv"
        );
    });

    clitest!(missing_mapped_field_is_named, |dir, cmd| {
        let lines: Vec<String> = snapshot_lines(3)
            .into_iter()
            .map(|l| l.replace("\"statusCode\":200,", ""))
            .collect();
        dir.create("nostatus.ndjson", lines.join("\n"));
        let run = cmd.args(["demand", "nostatus.ndjson"]).fails();
        contains!(
            run.error(),
            "nostatus.ndjson:1: field `fields.meta.res.statusCode`: missing"
        );
    });

    clitest!(invalid_ip_is_named_with_its_value, |dir, cmd| {
        let mut lines = snapshot_lines(3);
        let l = &lines[1];
        let start = l.find("\"x-forwarded-for\":\"").unwrap() + "\"x-forwarded-for\":\"".len();
        let end = start + l[start..].find('"').unwrap();
        lines[1] = format!("{}999.1.2.3{}", &l[..start], &l[end..]);
        dir.create("badip.ndjson", lines.join("\n"));
        let run = cmd.args(["demand", "badip.ndjson"]).fails();
        contains!(
            run.error(),
            "badip.ndjson:2: field `fields.meta.req.headers.x-forwarded-for`: not an IP \
             address (got \"999.1.2.3\")"
        );
    });

    clitest!(missing_log_is_named, |dir, cmd| {
        let run = cmd
            .args(["evaluate", "--logs", "nothere.ndjson.gz"])
            .fails();
        contains!(run.error(), "nothere.ndjson.gz: cannot open log file");
    });

    clitest!(
        empty_demand_after_filters_names_logs_and_filters,
        |dir, cmd| {
            let run = cmd
                .args(["evaluate", "--since", "2030-01-01T00:00:00Z"])
                .fails();
            contains!(
                run.error(),
                "no demand in ",
                "argus-2023-06.ndjson.gz: empty demand",
                "since 2030-01-01T00:00:00Z"
            );
        }
    );

    clitest!(bad_time_filter_is_named, |dir, cmd| {
        let run = cmd.args(["evaluate", "--since", "yesterday"]).fails();
        contains!(run.error(), "time \"yesterday\": expected RFC 3339");
    });

    clitest!(zero_threads_is_a_usage_error, |dir, cmd| {
        let run = cmd.args(["evaluate", "--threads", "0"]).run();
        assert_eq!(run.code, Some(2), "{run}");
        contains!(run.stderr, "--threads", "≥ 1");
    });
}

mod geoip {
    use super::*;

    clitest!(missing_database_is_named, |dir, cmd| {
        five_lines(&dir);
        let run = cmd
            .args(["demand", "five.ndjson.gz", "--geoip", "missing.mmdb"])
            .fails();
        contains!(run.error(), "missing.mmdb: cannot read GeoIP database");
    });

    clitest!(corrupt_database_is_named, |dir, cmd| {
        five_lines(&dir);
        let garbage: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        dir.create("garbage.mmdb", garbage);
        let run = cmd
            .args(["demand", "five.ndjson.gz", "--geoip", "garbage.mmdb"])
            .fails();
        contains!(run.error(), "garbage.mmdb: not a valid MaxMind DB");
    });
}

mod nodes {
    use super::*;

    /// `cdnplan evaluate --nodes nodes.csv` with `rows` under the header, expected to fail.
    fn evaluate_fails(dir: &Dir, cmd: &mut TestCommand, rows: &str) -> Run {
        let head = "id,operator,city,country_code,lat,lon,active\n";
        dir.create("nodes.csv", format!("{head}{rows}"));
        cmd.args(["evaluate", "--nodes", "nodes.csv"]).fails()
    }

    // Issue 15, also met: a nodes file with a header only names the file.
    clitest!(header_only_is_named, |dir, cmd| {
        let run = evaluate_fails(&dir, &mut cmd, "");
        contains!(
            run.error(),
            "nodes.csv:1: field `id`: no node in the file (a header only"
        );
    });

    clitest!(coordinates_out_of_range_name_line_and_field, |dir, cmd| {
        let run = evaluate_fails(&dir, &mut cmd, "a,,,FR,48.8,2.3,\nb,,,FR,95,2.3,\n");
        contains!(
            run.error(),
            "nodes.csv:3: field `lat`: must be a number in −90..=90 (degrees) (got \"95\")"
        );
    });

    clitest!(unknown_country_names_line_and_field, |dir, cmd| {
        let run = evaluate_fails(&dir, &mut cmd, "a,,,FR,48.8,2.3,\nb,,,XX,45,2.3,\n");
        contains!(
            run.error(),
            "nodes.csv:3: field `country_code`: unknown country (not in the country table) \
             (got \"XX\")"
        );
    });

    clitest!(duplicate_ids_name_both_lines, |dir, cmd| {
        let run = evaluate_fails(&dir, &mut cmd, "a,,,FR,48.8,2.3,\na,,,DE,52.5,13.4,\n");
        contains!(
            run.error(),
            "nodes.csv:3: field `id`: duplicate node id (first on line 2) (got \"a\")"
        );
    });

    clitest!(infeasible_capacity_gets_a_diagnosis, |dir, cmd| {
        // Two 1 Mbit/s nodes cannot carry 36 GB of June 2023 snapshot traffic over 15 days
        // (about 0.2 Gbit/s on average).
        dir.create(
            "nodes.csv",
            "id,operator,city,country_code,lat,lon,active,egress_gbps,cache_gb\n\
             a,,Paris,FR,48.85,2.35,true,0.001,\n\
             b,,Singapore,SG,1.29,103.85,true,0.001,\n",
        );
        let run = heuristic_plan_fails(&mut cmd, &["--nodes", "nodes.csv", "--max-moves", "1"]);
        contains!(run.error(), "the planned nodes cannot carry the demand");
        contains!(
            run.error(),
            "exceeds the total egress capacity 0.0020 Gbit/s of the 2 active nodes"
        );
    });

    clitest!(missing_file_is_named_with_the_cause_chain, |dir, cmd| {
        let run = cmd.args(["evaluate", "--nodes", "nothere.csv"]).fails();
        // Outermost context first, then each cause, on one line.
        contains!(
            run.error(),
            "cdnplan: error: cannot load the scenario's inputs: nothere.csv: cannot read: "
        );
    });
}

mod sites {
    use super::*;

    /// The default scenario reading its sites from `sites.csv` in `dir`, whose rows are the
    /// shipped first rows with `edit` applied.
    fn scenario_with_sites(dir: &Dir, edit: impl Fn(Vec<String>) -> Vec<String>) {
        let shipped = std::fs::read_to_string(data("sites.csv")).unwrap();
        let rows: Vec<String> = shipped.lines().take(4).map(str::to_string).collect();
        dir.create("sites.csv", edit(rows).join("\n"));
        let sites = dir.join("sites.csv");
        dir.create(
            "scenario.toml",
            default_scenario(|t| {
                t.replace(
                    &format!("\"{}\"", data("sites.csv").display()),
                    &format!("\"{}\"", sites.display()),
                )
            }),
        );
    }

    clitest!(duplicate_ids_name_both_lines, |dir, cmd| {
        scenario_with_sites(&dir, |mut rows| {
            rows.push(rows[1].clone());
            rows
        });
        let run = heuristic_plan_fails(&mut cmd, &["scenario.toml"]);
        contains!(
            run.error(),
            "sites.csv:5: field `id`: duplicate site id (first on line 2)"
        );
    });

    // Issue 15 row 16: a sites file with a header only leaves no candidate site, and says so.
    clitest!(header_only_leaves_no_candidate_site, |dir, cmd| {
        scenario_with_sites(&dir, |rows| rows[..1].to_vec());
        let run = heuristic_plan_fails(&mut cmd, &["scenario.toml", "--add", "1"]);
        contains!(run.error(), "no candidate site");
    });

    clitest!(unknown_country_names_line_and_field, |dir, cmd| {
        scenario_with_sites(&dir, |mut rows| {
            let cc = format!(",{},", rows[2].split(',').nth(4).unwrap());
            rows[2] = rows[2].replacen(&cc, ",XX,", 1);
            rows
        });
        let run = heuristic_plan_fails(&mut cmd, &["scenario.toml"]);
        contains!(
            run.error(),
            "sites.csv:3: field `country_code`: unknown country (not in the country table) \
             (got \"XX\")"
        );
    });
}

mod model {
    clitest!(negative_latency_constant_names_the_flag, |dir, cmd| {
        let run = cmd.args(["evaluate", "--a-ms", "-1"]).fails();
        contains!(run.error(), "--a-ms -1: must be a finite number ≥ 0");
        let run = dir
            .command()
            .args(["evaluate", "--b-ms-per-km", "NaN"])
            .fails();
        contains!(
            run.error(),
            "--b-ms-per-km NaN: must be a finite number ≥ 0"
        );
    });

    clitest!(non_positive_time_limit_names_the_flag, |dir, cmd| {
        let run = cmd.args(["plan", "--time-limit", "-3"]).fails();
        contains!(
            run.error(),
            "--time-limit -3: expected a positive number of seconds"
        );
    });

    clitest!(unknown_weighting_lists_the_choices, |dir, cmd| {
        let run = cmd.args(["evaluate", "--weighting", "views"]).fails();
        contains!(
            run.error(),
            "--weighting views",
            "requests, bytes or clients"
        );
    });
}

mod constraints {
    use super::*;

    clitest!(unknown_pinned_node_lists_the_nodes, |dir, cmd| {
        let run = heuristic_plan_fails(&mut cmd, &["--pin", "nope"]);
        contains!(
            run.error(),
            "unknown node id \"nope\" (known: dp.0x2bc.com, ",
            "joystream.koalva.io"
        );
    });

    clitest!(
        pinned_node_in_forbidden_country_is_a_contradiction,
        |dir, cmd| {
            let run = heuristic_plan_fails(
                &mut cmd,
                &["--pin", "joystream.koalva.io", "--forbid-country", "DE"],
            );
            contains!(
                run.error(),
                "contradictory constraints: node joystream.koalva.io is pinned but stands in \
             forbidden country DE"
            );
        }
    );

    clitest!(
        too_few_moves_to_leave_a_forbidden_country_is_infeasible,
        |dir, cmd| {
            let run =
                heuristic_plan_fails(&mut cmd, &["--forbid-country", "DE", "--max-moves", "0"]);
            contains!(
                run.error(),
                "infeasible: ",
                "joystream.koalva.io",
                "must move, but max_moves + remove = 0"
            );
        }
    );

    clitest!(unknown_forbidden_country_is_not_ignored, |dir, cmd| {
        let run = heuristic_plan_fails(&mut cmd, &["--forbid-country", "UK"]);
        contains!(
            run.error(),
            "forbidden country UK is not in the country table",
            "countries.csv"
        );
    });

    clitest!(
        unknown_forbidden_provider_lists_the_providers,
        |dir, cmd| {
            let run = heuristic_plan_fails(&mut cmd, &["--forbid-provider", "amazon"]);
            contains!(
                run.error(),
                "forbidden provider \"amazon\" matches no candidate site",
                "aws",
                "hetzner"
            );
        }
    );

    clitest!(unknown_forbidden_site_is_named, |dir, cmd| {
        let run = heuristic_plan_fails(&mut cmd, &["--forbid-site", "nowhere-1"]);
        contains!(run.error(), "unknown site id \"nowhere-1\"");
    });
}

mod scenario {
    use super::*;

    clitest!(unknown_key_is_named_with_its_line, |dir, cmd| {
        dir.create(
            "scenario.toml",
            default_scenario(|t| {
                let i = t
                    .find("max_moves = 3")
                    .expect("the shipped scenario sets max_moves");
                format!("{}max_move = 3\n", &t[..i]) + &t[i..].replacen("max_moves = 3", "", 1)
            }),
        );
        let line = dir
            .read("scenario.toml")
            .lines()
            .position(|l| l.starts_with("max_move = 3"))
            .unwrap()
            + 1;
        let run = cmd.args(["plan", "scenario.toml"]).fails();
        contains!(
            run.error(),
            format!("cannot load the scenario: scenario.toml: TOML parse error at line {line}")
        );
        contains!(
            run.stderr,
            "unknown field `max_move`, expected one of `max_moves`"
        );
    });

    clitest!(missing_file_is_named, |dir, cmd| {
        let run = cmd.args(["plan", "nothere.toml"]).fails();
        contains!(run.error(), "scenario nothere.toml not found");
        let run = dir.command().args(["evaluate", "nothere.toml"]).fails();
        contains!(run.error(), "scenario nothere.toml not found");
    });

    clitest!(missing_data_dir_says_how_to_point_at_it, |dir, cmd| {
        let run = cmd.data_dir("nodata").arg("evaluate").fails();
        contains!(
            run.error(),
            "nodata/scenarios/default.toml not found",
            "--data-dir"
        );
    });

    // A database named with --geoip must open, for a cluster as for files: the error names
    // it before any request is sent (here to a port nothing listens on), rather than a raw
    // read failing later with "a GeoIP database is needed".
    clitest!(
        a_missing_geoip_database_is_named_before_the_cluster_is_asked,
        |_dir, cmd| {
            let run = cmd
                .args([
                    "demand",
                    "--es",
                    "http://127.0.0.1:9",
                    "--index",
                    "distributor-node",
                ])
                .args(["--geoip", "GeoLite2-City.mmdb"])
                .fails();
            contains!(run.error(), "GeoLite2-City.mmdb");
            assert!(!run.stderr.contains("127.0.0.1:9"), "{run}");
        }
    );
}
