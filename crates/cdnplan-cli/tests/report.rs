//! `report.html` and `compare.html` in a real browser: Debian's `chromium`, headless (installed
//! by `scripts/test-deps.sh`; `CDNPLAN_CHROMIUM` names another binary). Each page must load
//! with no console message (the page has no script, so any message is an error or a fetch its
//! policy refused), show one marker per active node before and after and one mark per move,
//! and is saved as a PNG screenshot under `target/tmp/screenshots/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{active_nodes as active, read_json};

/// The Chromium binary, or a failure naming how to install it.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("CDNPLAN_CHROMIUM") {
        return PathBuf::from(p);
    }
    for name in ["chromium", "chromium-browser"] {
        if let Ok(out) = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            && out.status.success()
        {
            return PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        }
    }
    panic!(
        "chromium is needed to check report.html: run scripts/test-deps.sh (it installs \
         Debian's chromium with apt-get), or set CDNPLAN_CHROMIUM to a Chromium binary"
    );
}

/// What the browser made of a page: the DOM after load and its console messages.
struct Loaded {
    dom: String,
    console: Vec<String>,
}

/// Loads `page` headless: its DOM, its console messages, and a screenshot saved as
/// `target/tmp/screenshots/{shot}`. `profile` is a fresh user-data directory.
fn load(page: &Path, profile: &Path, shot: &str) -> Loaded {
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let run = |extra: &[String]| {
        let out = Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--hide-scrollbars",
                "--enable-logging=stderr",
                "--v=0",
                &format!("--user-data-dir={}", profile.display()),
            ])
            .args(extra)
            .arg(&url)
            .output()
            .expect("chromium runs");
        assert!(
            out.status.success(),
            "chromium failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let out = run(&["--dump-dom".to_string()]);
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join(shot);
    let _ = std::fs::remove_file(&png);
    run(&[
        format!("--screenshot={}", png.display()),
        "--window-size=1280,4000".to_string(),
    ]);
    let bytes = std::fs::read(&png).expect("the screenshot was written");
    assert!(
        bytes.starts_with(b"\x89PNG"),
        "not a PNG: {}",
        png.display()
    );
    Loaded {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        console,
    }
}

/// Occurrences of `needle` in `text`.
fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

clitest!(report_html_loads_in_chromium_with_the_map, |dir, cmd| {
    cmd.args(["plan", "--curve", "1..6", "-o", "o"]).ok();
    let plan = read_json(&dir.join("o/plan.json"));
    let page = load(
        &dir.join("o/report.html"),
        &dir.join("profile"),
        "report.png",
    );
    assert_eq!(page.console, Vec::<String>::new(), "console messages");
    let moves = plan["moves"].as_array().unwrap().len();
    assert_eq!(moves, 3);
    assert_eq!(
        count(&page.dom, "class=\"node-before\""),
        active(&plan, "nodes_before")
    );
    assert_eq!(
        count(&page.dom, "class=\"node-after\""),
        active(&plan, "nodes_after")
    );
    assert_eq!(count(&page.dom, "<g class=\"move\">"), moves);
    assert_eq!(count(&page.dom, "marker-end=\"url(#arrow)\""), moves);
    assert_eq!(count(&page.dom, "class=\"cell\""), 166);
    // The charts, each with its text alternative, and the report's tables.
    contains!(
        page.dom,
        "id=\"moves-chart\"",
        "id=\"node-curve-chart\"",
        "<desc id=\"moves-chart-desc\">Best mean RTT 46.0 ms with 0 moves, 30.8 ms with 3",
        "Before and after",
        "By continent",
        "Node load",
        "Families and buckets"
    );
});

clitest!(compare_html_shows_every_variants_map, |dir, cmd| {
    cmd.args(["compare", "--vary", "max_moves=1,3,5", "-o", "c"])
        .ok();
    let json = read_json(&dir.join("c/compare.json"));
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let moves: usize = rows
        .iter()
        .map(|r| r["moves"].as_u64().unwrap() as usize)
        .sum();
    let page = load(
        &dir.join("c/compare.html"),
        &dir.join("profile"),
        "compare.png",
    );
    assert_eq!(page.console, Vec::<String>::new(), "console messages");
    assert_eq!(count(&page.dom, "<figure class=\"map\">"), 3);
    // Five active nodes before and after in every variant (moves, no additions).
    assert_eq!(count(&page.dom, "class=\"node-before\""), 3 * 5);
    assert_eq!(count(&page.dom, "class=\"node-after\""), 3 * 5);
    assert_eq!(count(&page.dom, "<g class=\"move\">"), moves);
    assert_eq!(count(&page.dom, "marker-end=\"url(#v"), moves);
    contains!(page.dom, "Ranked by mean RTT (ms).", "default max_moves=5");
});

clitest!(evaluate_report_shows_todays_nodes, |dir, cmd| {
    let run = cmd.args(["evaluate", "--report", "today.html"]).ok();
    contains!(run.stdout, "6 nodes (5 active)");
    let page = load(
        &dir.join("today.html"),
        &dir.join("profile"),
        "evaluate.png",
    );
    assert_eq!(page.console, Vec::<String>::new(), "console messages");
    assert_eq!(count(&page.dom, "class=\"node\""), 5);
    assert_eq!(count(&page.dom, "class=\"cell\""), 166);
    assert_eq!(count(&page.dom, "class=\"move\""), 0);
    contains!(
        page.dom,
        "5 active nodes serve 166 demand cells (55 227 requests): mean RTT 46.0 ms",
        "Toronto, CA (inactive)"
    );
});
