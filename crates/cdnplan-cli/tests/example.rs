//! The library path and the command give the same plan: `examples/plan.rs` (which is also the
//! facade's doc example) against `cdnplan plan`, file by file.

use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "../../../examples/plan.rs"]
mod plan_example;

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

// The full solve of the shipped default scenario, twice (about twenty seconds in the test
// profile): once by the command, once by the example through the library.
clitest!(the_example_writes_what_the_command_writes, |dir, cmd| {
    cmd.args(["plan", "--out", "cli"]).ok();
    let planned = plan_example::plan_default(&dir.join("lib")).expect("the example plans");
    let (cli, lib) = (dir.join("cli"), dir.join("lib"));
    let names = files(&cli);
    assert!(names.len() >= 12, "plan and reassignment files: {names:?}");
    assert_eq!(names, files(&lib), "the same set of files");
    for n in &names {
        let (a, b) = (
            std::fs::read(cli.join(n)).unwrap(),
            std::fs::read(lib.join(n)).unwrap(),
        );
        assert!(
            a == b,
            "{} differs between the command and the library",
            n.display()
        );
    }
    assert_eq!(planned.plan.to_json_pretty(), dir.read("cli/plan.json"));
});
