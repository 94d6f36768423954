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
    contains!(
        headline,
        "Moving 3 of 5 active nodes",
        "mean RTT from 46.0 ms"
    );
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

/// Issue 4: with a topology, `plan` adds the family ↔ bucket reassignment after its moves.
mod reassignment {
    use crate::util::{default_scenario, read_json};

    clitest!(plan_writes_the_reassignment_after_the_moves, |dir, cmd| {
        let run = cmd
            .args([
                "plan",
                "--method",
                "heuristic",
                "--assume-bags",
                "20",
                "--out",
                "o",
            ])
            .ok();
        contains!(
            run.stdout,
            "Families and buckets after the moves: ",
            " of 20 bags move (bags assumed); see reassign.md"
        );
        for f in [
            "reassign.md",
            "reassign.json",
            "reassign.sh",
            "target-topology.json",
        ] {
            assert!(dir.join("o").join(f).is_file(), "{f} written");
        }
        let plan = read_json(&dir.join("o/plan.json"));
        let r = &plan["reassignment"];
        assert_eq!(r["report"], "reassign.md");
        assert_eq!(r["assumed_bags"], 20);
        assert_eq!(r["bags"], 20);
        // Paris moves to the US in the default plan: its bags follow it into a new bucket.
        assert_eq!(r["nodes_moved"], serde_json::json!(["dp.0x2bc.com"]));
        assert_eq!(r["cost"]["bags_moved"], 20);
        assert_eq!(
            r["location_updates"], 3,
            "three relocated nodes, one bucket each"
        );
        let (today, moved) = (
            r["today"]["p95_rtt_ms"].as_f64().unwrap(),
            r["after_moves"]["p95_rtt_ms"].as_f64().unwrap(),
        );
        assert!(
            moved < today,
            "the moves show in the bag-rule RTT: {today} → {moved}"
        );

        let report = dir.read("o/report.md");
        contains!(
            report,
            "## Families and buckets",
            "[reassign.md](reassign.md)",
            "| Bags moved | 20 of 20, 20 assumed: the topology lists none"
        );
        let md = dir.read("o/reassign.md");
        contains!(
            md,
            "## Location updates of moved nodes",
            "| after the node moves |",
            "Moncks Corner, US"
        );
        let doc = read_json(&dir.join("o/reassign.json"));
        assert_eq!(doc["type"], "reassignment");
        assert_eq!(doc["moves"]["relocated"].as_array().unwrap().len(), 3);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("o/reassign.sh"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o111, 0o111, "reassign.sh is executable");
        }
    });

    clitest!(disabled_leaves_the_plan_outputs_as_they_were, |dir, cmd| {
        let mut off = cmd.clone();
        off.args([
            "plan",
            "--method",
            "heuristic",
            "--no-reassign",
            "--out",
            "off",
        ])
        .ok();
        cmd.args(["plan", "--method", "heuristic", "--out", "on"])
            .ok();
        for f in ["reassign.md", "reassign.json", "reassign.sh", "metadata"] {
            assert!(!dir.join("off").join(f).exists(), "{f} not written");
            assert!(dir.join("on").join(f).exists(), "{f} written");
        }
        // Only plan.json's `reassignment` field and report.md's section differ.
        for f in [
            "moves.csv",
            "demand.csv",
            "plan.geojson",
            "curve.csv",
            "nodes.csv",
        ] {
            eqnice!(dir.read(&format!("off/{f}")), dir.read(&format!("on/{f}")));
        }
        let mut on = read_json(&dir.join("on/plan.json"));
        assert!(on["reassignment"].is_object());
        on.as_object_mut().unwrap().remove("reassignment");
        let off_json = dir.read("off/plan.json");
        assert!(!off_json.contains("reassignment"));
        assert_eq!(
            on,
            serde_json::from_str::<serde_json::Value>(&off_json).unwrap()
        );
        let on_report = dir.read("on/report.md");
        let start = on_report.find("## Families and buckets").unwrap();
        let end = start + on_report[start..].find("## By continent").unwrap();
        let without = format!("{}{}", &on_report[..start], &on_report[end..]);
        eqnice!(dir.read("off/report.md"), without);

        // `[reassign] enabled = false` in the scenario does the same as --no-reassign.
        let s = dir.create(
            "s.toml",
            default_scenario(|t| t + "\n[reassign]\nenabled = false\n"),
        );
        let mut by_file = dir.command();
        by_file
            .arg("plan")
            .arg(&s)
            .args(["--method", "heuristic", "--out", "file"])
            .ok();
        assert!(!dir.join("file/reassign.md").exists());
        eqnice!(dir.read("off/report.md"), dir.read("file/report.md"));
    });

    clitest!(a_nodes_csv_has_no_reassignment, |dir, cmd| {
        let nodes = dir.create(
            "nodes.csv",
            "id,operator,city,country_code,lat,lon,active\n\
             paris,,Paris,FR,48.85,2.35,true\n\
             kyiv,,Kyiv,UA,50.45,30.52,true\n",
        );
        cmd.args(["plan", "--method", "heuristic", "--out", "o", "--nodes"])
            .arg(&nodes)
            .ok();
        assert!(dir.join("o/report.md").is_file());
        assert!(!dir.join("o/reassign.md").exists());
        assert!(!dir.read("o/report.md").contains("## Families and buckets"));
    });
}

clitest!(what_if_a_node_in_sao_paulo, |dir, cmd| {
    // "What does a node in São Paulo buy us?": exactly that change, nothing else moves.
    let run = cmd
        .clone()
        .args([
            "plan",
            "--add-at",
            "aws-sa-east-1",
            "--no-reassign",
            "-o",
            "add",
        ])
        .ok();
    contains!(
        run.stdout,
        "Adding 1 node cuts the demand-weighted mean RTT from 46.0 ms to 40.9 ms",
        "1. add a node at São Paulo, BR (aws-sa-east-1)"
    );
    let plan = read_json(&dir.join("add/plan.json"));
    assert_eq!(plan["moves"].as_array().unwrap().len(), 1, "{plan}");
    assert_eq!(
        plan["scenario"]["constraints"]["required_sites"],
        serde_json::json!(["aws-sa-east-1"])
    );
    contains!(dir.read("add/report.md"), "required sites: `aws-sa-east-1`");

    // Move one node there instead of adding one.
    let run = cmd
        .clone()
        .args([
            "plan",
            "--move",
            "joystream.koalva.io=aws-sa-east-1",
            "--no-reassign",
            "-o",
            "move",
        ])
        .ok();
    contains!(
        run.stdout,
        "Moving 1 of 5 active nodes cuts the demand-weighted mean RTT from 46.0 ms to 41.1 ms",
        "1. move joystream.koalva.io from Nuremberg, DE"
    );
    let plan = read_json(&dir.join("move/plan.json"));
    assert_eq!(plan["moves"].as_array().unwrap().len(), 1, "{plan}");

    // At coordinates rather than a site: the same gain, the place named by the nearest
    // known one; out-of-range coordinates are refused, named.
    let run = cmd
        .clone()
        .args([
            "plan",
            "--add-at",
            "-23.55,-46.63",
            "--no-reassign",
            "-o",
            "at",
        ])
        .ok();
    contains!(
        run.stdout,
        "Adding 1 node cuts the demand-weighted mean RTT from 46.0 ms to 40.9 ms",
        "1. add a node at São Paulo area, BR (-23.55,-46.63)"
    );
    let run = cmd
        .clone()
        .args(["plan", "--add-at", "95,10", "-o", "bad"])
        .run();
    assert_eq!(run.code, Some(2), "{run}");
    contains!(run.stderr, "required site \"95,10\"", "latitude must be in");

    // A malformed --move is a usage error naming the form.
    let run = cmd
        .clone()
        .args(["plan", "--move", "joystream.koalva.io", "-o", "bad"])
        .run();
    assert_eq!(run.code, Some(2), "{run}");
    contains!(run.stderr, "expected NODE=SITE");
    // A required site that is forbidden is a contradiction, named.
    let run = cmd
        .clone()
        .args([
            "plan",
            "--add-at",
            "aws-sa-east-1",
            "--forbid-country",
            "BR",
            "-o",
            "bad",
        ])
        .run();
    assert_ne!(run.code, Some(0), "{run}");
    contains!(run.stderr, "site aws-sa-east-1 is required but excluded");
});

clitest!(growth_scales_a_countrys_demand, |dir, cmd| {
    // "What if Russia's traffic halves?"
    let run = cmd.clone().args(["evaluate", "--growth", "RU=0.5"]).ok();
    contains!(run.stdout, "166 demand cells, 49592 requests");
    let run = cmd
        .clone()
        .args([
            "plan",
            "--growth",
            "ru=0.5",
            "--method",
            "heuristic",
            "--no-reassign",
            "-o",
            "g",
        ])
        .ok();
    contains!(run.stdout, "mean RTT from 48.9 ms");
    contains!(dir.read("g/report.md"), "`growth RU×0.5`");
    for (arg, says) in [
        ("XX=2", "[demand] growth: \"XX\" is not a known"),
        ("RU=-1", "invalid growth factor (0 to 1000) for \"RU\": -1"),
        ("RU", "expected CC=FACTOR"),
    ] {
        let run = cmd
            .clone()
            .args(["plan", "--growth", arg, "-o", "bad"])
            .run();
        assert_ne!(run.code, Some(0), "{run}");
        contains!(run.stderr, says);
    }
});

clitest!(
    the_map_shows_nodes_before_and_after_and_every_move,
    |dir, cmd| {
        cmd.args(["plan", "--method", "heuristic", "--no-reassign", "-o", "o"])
            .ok();
        let plan = read_json(&dir.join("o/plan.json"));
        let active = |key: &str| crate::util::active_nodes(&plan, key);
        let svg = dir.read("o/map.svg");
        let doc = roxmltree::Document::parse(&svg).expect("map.svg is well-formed XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        let count = |tag: &str, class: &str| {
            doc.descendants()
                .filter(|n| n.has_tag_name(tag) && n.attribute("class") == Some(class))
                .count()
        };
        assert_eq!(count("circle", "node-before"), active("nodes_before"));
        assert_eq!(count("circle", "node-after"), active("nodes_after"));
        assert_eq!(count("g", "move"), plan["moves"].as_array().unwrap().len());
        assert_eq!(count("g", "move"), 3);
        assert_eq!(count("circle", "cell"), 166);
        // Relocations are arrows; every mark explains itself on hover.
        assert_eq!(
            doc.descendants()
                .filter(|n| n.has_tag_name("line") && n.attribute("marker-end").is_some())
                .count(),
            3
        );
        let title = doc
            .descendants()
            .find(|n| n.has_tag_name("title"))
            .and_then(|n| n.text())
            .unwrap_or_default();
        assert!(title.contains("mean RTT 46.0 ms before"), "{title}");
        contains!(svg, "<desc id=\"desc\">166 demand cells");
    }
);
