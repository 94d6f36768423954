//! `--help`, `--version` and usage errors.

clitest!(every_subcommand_help_has_examples, |dir, cmd| {
    for sub in [
        None,
        Some("demand"),
        Some("evaluate"),
        Some("plan"),
        Some("synth"),
    ] {
        let mut c = dir.command();
        c.args(sub).arg("--help");
        let run = c.ok();
        contains!(run.stdout, "Examples:\n  cdnplan ");
        eqnice!("", run.stderr);
    }
});

clitest!(version_prints_name_and_version, |dir, cmd| {
    let run = cmd.arg("--version").ok();
    eqnice!(
        format!("cdnplan {}\n", env!("CARGO_PKG_VERSION")),
        run.stdout
    );
});

clitest!(no_subcommand_is_a_usage_error, |dir, cmd| {
    let run = cmd.run();
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stdout.is_empty(), "{run}");
    contains!(run.stderr, "Usage: cdnplan");
});

clitest!(
    completions_and_man_pages_come_from_the_same_definitions,
    |_dir, cmd| {
        for shell in ["bash", "zsh", "fish"] {
            let run = cmd.clone().args(["completions", shell]).ok();
            contains!(run.stdout, "cdnplan", "add-at", "growth");
        }
        let run = cmd.clone().args(["man"]).ok();
        contains!(run.stdout, ".TH cdnplan 1", "completions");
        let run = cmd.clone().args(["man", "plan"]).ok();
        contains!(run.stdout, ".TH cdnplan-plan 1", "add\\-at");
        let run = cmd.clone().args(["man", "nope"]).run();
        assert_eq!(run.code, Some(2), "{run}");
        contains!(run.stderr, "no command \"nope\" (commands: demand");
    }
);
