//! Output safety: a failed run names the path, leaves no temporary files behind and never
//! clobbers the outputs of an earlier run.

use crate::util::Dir;

/// Names of the entries of `rel` that are temporary files of an interrupted write.
fn leftovers(dir: &Dir, rel: &str) -> Vec<String> {
    std::fs::read_dir(dir.join(rel))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.starts_with(".cdnplan-"))
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
        contains!(run.error(), "cannot write the plan: o/plan.json: ");
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
