//! Output safety: a failed or interrupted run names the path, leaves no temporary files
//! behind and never clobbers the outputs of an earlier run; a run replaces its output
//! directory whole; `-o` writes through devices, FIFOs and symbolic links (issue 15).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::util::{Dir, gzip_lines, snapshot_lines};

/// Names of the entries of `rel` that are temporaries of an unfinished write (files
/// `.cdnplan-*.tmp`, directories `.cdnplan-NAME.tmp-*`).
fn leftovers(dir: &Dir, rel: &str) -> Vec<String> {
    std::fs::read_dir(dir.join(rel))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect()
}

clitest!(out_under_a_regular_file_fails_before_solving, |dir, cmd| {
    dir.create("blocker", "not a directory");
    let run = cmd
        .args(["plan", "--method", "heuristic", "--out", "blocker/plans"])
        .fails();
    contains!(
        run.error(),
        "cannot write the plan to blocker/plans: blocker is not a directory"
    );
    eqnice!("not a directory", dir.read("blocker"));
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "nothing else written");
});

clitest!(
    unwritable_output_file_is_named_and_leaves_no_temporary,
    |dir, cmd| {
        // The output directory exists, but plan.json cannot be replaced: it is a directory.
        std::fs::create_dir_all(dir.join("o/plan.json")).unwrap();
        let run = cmd
            .args(["plan", "--method", "heuristic", "--out", "o"])
            .fails();
        // A directory cdnplan did not write is not cdnplan's to replace.
        contains!(
            run.error(),
            "cannot write the plan: o: holds files cdnplan did not write (plan.json/)"
        );
        assert_eq!(leftovers(&dir, "o"), Vec::<String>::new());
        assert!(dir.join("o/plan.json").is_dir());
    }
);

clitest!(failed_runs_keep_the_previous_outputs, |dir, cmd| {
    cmd.args(["plan", "--method", "heuristic", "--out", "o"])
        .ok();
    let before = dir.snapshot("o");
    assert!(before.len() >= 5, "{} files", before.len());

    // Fails while ingesting.
    let run = dir
        .command()
        .args(["plan", "--method", "heuristic", "--out", "o"])
        .args(["--since", "2030-01-01T00:00:00Z"])
        .fails();
    contains!(run.error(), "empty demand");
    // Fails while solving.
    let run = dir
        .command()
        .args(["plan", "--method", "heuristic", "--out", "o"])
        .args(["--forbid-country", "DE", "--max-moves", "0"])
        .fails();
    contains!(run.error(), "infeasible");

    let after = dir.snapshot("o");
    assert_eq!(before.len(), after.len());
    for ((name, x), (_, y)) in before.iter().zip(&after) {
        assert!(x == y, "{name} changed by a failed run");
    }
    assert_eq!(leftovers(&dir, "o"), Vec::<String>::new());
});

/// The names of the files under `rel`, sorted.
fn names(dir: &Dir, rel: &str) -> Vec<String> {
    dir.snapshot(rel).into_iter().map(|(n, _)| n).collect()
}

clitest!(
    issue_15_row_6_a_second_run_leaves_only_its_own_files,
    |dir, cmd| {
        cmd.args([
            "plan",
            "--method",
            "heuristic",
            "--curve",
            "3",
            "--out",
            "o",
        ])
        .ok();
        let first = names(&dir, "o");
        for f in ["node-curve.csv", "reassign.md", "reassign.sh", "plan.json"] {
            assert!(first.contains(&f.to_string()), "{f} in {first:?}");
        }
        assert!(
            first.iter().any(|n| n.starts_with("metadata/")),
            "{first:?}"
        );

        dir.command()
            .args([
                "plan",
                "--method",
                "heuristic",
                "--max-moves",
                "1",
                "--no-reassign",
            ])
            .args(["--out", "o"])
            .ok();
        let mut want: Vec<String> = [
            ".cdnplan-manifest",
            "curve.csv",
            "demand.csv",
            "map.svg",
            "moves.csv",
            "nodes.csv",
            "plan.geojson",
            "plan.json",
            "report.html",
            "report.md",
        ]
        .map(String::from)
        .to_vec();
        want.sort();
        assert_eq!(names(&dir, "o"), want);
        assert!(!dir.join("o/metadata").exists());
        let manifest = dir.read("o/.cdnplan-manifest");
        assert!(manifest.lines().any(|l| l == "demand.csv"), "{manifest}");
        assert!(!manifest.contains("reassign"), "{manifest}");
    }
);

clitest!(
    issue_15_row_4_a_full_disk_mid_set_keeps_the_previous_set,
    |dir, cmd| {
        cmd.args(["plan", "--method", "heuristic", "--out", "o"])
            .ok();
        let before = dir.snapshot("o");
        // demand.csv is the fourth file: plan.json, report.md and moves.csv were written.
        let run = dir
            .command()
            .args([
                "plan",
                "--method",
                "heuristic",
                "--max-moves",
                "1",
                "--out",
                "o",
            ])
            .env("CDNPLAN_TEST_FAIL_WRITE", "demand.csv")
            .fails();
        contains!(
            run.error(),
            "cannot write the plan: o/demand.csv: cannot write"
        );
        assert!(dir.snapshot("o") == before, "the previous set changed");
        assert_eq!(leftovers(&dir, "."), Vec::<String>::new());
        assert_eq!(leftovers(&dir, "o"), Vec::<String>::new());
    }
);

clitest!(
    plan_refuses_an_out_dir_holding_files_it_did_not_write,
    |dir, cmd| {
        cmd.args(["plan", "--method", "heuristic", "--out", "o"])
            .ok();
        dir.create("o/notes.txt", "mine");
        let before = dir.snapshot("o");
        let run = dir
            .command()
            .args([
                "plan",
                "--method",
                "heuristic",
                "--max-moves",
                "1",
                "--out",
                "o",
            ])
            .fails();
        contains!(
            run.error(),
            "cannot write the plan: o: holds files cdnplan did not write (notes.txt)"
        );
        assert!(dir.snapshot("o") == before, "the directory changed");
        assert_eq!(leftovers(&dir, "."), Vec::<String>::new());
    }
);

/// Runs a plan over the outputs of an earlier one, sends `signal` while it pauses between
/// writing and committing, and checks that the earlier outputs stand and nothing is left.
fn interrupt_mid_write(dir: &Dir, signal: &str, code: i32) {
    dir.command()
        .args(["plan", "--method", "heuristic", "--out", "o"])
        .ok();
    let before = dir.snapshot("o");
    let mut child = dir
        .command()
        .loud()
        .args([
            "plan",
            "--method",
            "heuristic",
            "--max-moves",
            "1",
            "--out",
            "o",
        ])
        .env("CDNPLAN_TEST_PAUSE_BEFORE_COMMIT", "60000")
        .std()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the new set is written in its temporary directory.
    let started = Instant::now();
    let written = |p: &Path| p.join("nodes.csv").is_file();
    loop {
        let staged = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(".cdnplan-o.tmp-"))
            })
            .any(|p| written(&p));
        if staged {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before it could be interrupted mid-write");
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no write began"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let kill = std::process::Command::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    contains!(stderr, &format!("cdnplan: interrupted by SIG{signal}"));
    assert!(dir.snapshot("o") == before, "the previous set changed");
    assert_eq!(leftovers(dir, "."), Vec::<String>::new());
    assert_eq!(leftovers(dir, "o"), Vec::<String>::new());
}

clitest!(
    issue_15_row_5_sigint_mid_write_keeps_the_previous_set,
    |dir, cmd| {
        interrupt_mid_write(&dir, "INT", 130);
    }
);

clitest!(
    issue_15_row_5_sigterm_mid_write_keeps_the_previous_set,
    |dir, cmd| {
        interrupt_mid_write(&dir, "TERM", 143);
    }
);

/// A small log for `demand -o`.
fn small_log(dir: &Dir) {
    dir.create("five.ndjson.gz", gzip_lines(&snapshot_lines(5)));
}

const DEMAND_HEADER: &str = "id,country,continent,lat,lon,requests,bytes,unique_clients";

#[cfg(unix)]
clitest!(issue_15_row_22_o_a_symlink_keeps_the_link, |dir, cmd| {
    small_log(&dir);
    dir.create("real/demand.csv", "old");
    std::os::unix::fs::symlink("real/demand.csv", dir.join("link.csv")).unwrap();
    cmd.args(["demand", "five.ndjson.gz", "-o", "link.csv"])
        .ok();
    let m = std::fs::symlink_metadata(dir.join("link.csv")).unwrap();
    assert!(m.file_type().is_symlink(), "the link was replaced");
    assert!(dir.read("real/demand.csv").starts_with(DEMAND_HEADER));
    assert_eq!(leftovers(&dir, "."), Vec::<String>::new());
    assert_eq!(leftovers(&dir, "real"), Vec::<String>::new());
});

#[cfg(unix)]
clitest!(issue_15_row_22_o_a_fifo_is_written_through, |dir, cmd| {
    use std::os::unix::fs::FileTypeExt;
    small_log(&dir);
    let fifo = dir.join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(std::fs::read_to_string(&reader));
    });
    cmd.args(["demand", "five.ndjson.gz", "-o", "pipe"]).ok();
    let got = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("nothing was written through the FIFO")
        .unwrap();
    assert!(got.starts_with(DEMAND_HEADER), "{got}");
    assert_eq!(got.lines().count(), 5, "{got}");
    let m = std::fs::symlink_metadata(&fifo).unwrap();
    assert!(m.file_type().is_fifo(), "the FIFO was replaced");
});

#[cfg(unix)]
clitest!(issue_15_row_22_o_a_char_device_stays_one, |dir, cmd| {
    use std::os::unix::fs::FileTypeExt;
    small_log(&dir);
    // A private null device (as root), so that the old behaviour breaks no shared file.
    let made = std::process::Command::new("mknod")
        .arg(dir.join("null"))
        .args(["c", "1", "3"])
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mknod needs root");
        return;
    }
    cmd.args(["demand", "five.ndjson.gz", "-o", "null"]).ok();
    let m = std::fs::symlink_metadata(dir.join("null")).unwrap();
    assert!(m.file_type().is_char_device(), "the device was replaced");
    assert_eq!(leftovers(&dir, "."), Vec::<String>::new());
});

#[cfg(unix)]
clitest!(
    issue_15_row_22_o_dev_null_stays_a_char_device,
    |dir, cmd| {
        use std::os::unix::fs::FileTypeExt;
        small_log(&dir);
        cmd.args(["demand", "five.ndjson.gz", "-o", "/dev/null"])
            .ok();
        let m = std::fs::symlink_metadata("/dev/null").unwrap();
        assert!(m.file_type().is_char_device(), "/dev/null was replaced");
    }
);
