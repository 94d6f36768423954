//! `clitest!` (a test with its own directory and command) and `eqnice!` (a comparison that
//! prints both sides).

/// Defines a `#[test]` that gets a fresh [`Dir`](crate::util::Dir) and a
/// [`TestCommand`](crate::util::TestCommand) running `cdnplan` inside it:
///
/// ```ignore
/// clitest!(evaluate_prints_the_mean, |dir, cmd| {
///     let run = cmd.arg("evaluate").ok();
///     assert!(run.stdout.contains("mean"));
/// });
/// ```
macro_rules! clitest {
    ($name:ident, |$dir:ident, $cmd:ident| $body:block) => {
        #[test]
        fn $name() {
            let $dir = $crate::util::Dir::new(stringify!($name));
            #[allow(unused_mut, unused_variables)]
            let mut $cmd = $dir.command();
            $body
        }
    };
}

/// Asserts two texts are equal, printing both in full when they are not.
macro_rules! eqnice {
    ($expected:expr, $got:expr) => {{
        let expected: &str = &$expected;
        let got: &str = &$got;
        if expected != got {
            panic!(
                "\noutputs differ\n\nexpected:\n{rule}\n{expected}{rule}\n\ngot:\n{rule}\n{got}{rule}\n",
                rule = "~".repeat(79),
            );
        }
    }};
}

/// Asserts `text` contains every needle, printing the text when one is missing.
macro_rules! contains {
    ($text:expr, $($needle:expr),+ $(,)?) => {{
        let text: &str = &$text;
        $(
            let needle: &str = &$needle;
            assert!(
                text.contains(needle),
                "\nexpected to find {needle:?} in:\n{rule}\n{text}\n{rule}\n",
                rule = "~".repeat(79),
            );
        )+
    }};
}
