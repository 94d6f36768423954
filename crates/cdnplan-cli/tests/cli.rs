//! End-to-end tests of the `cdnplan` binary.
//!
//! Each test runs the built binary (`CARGO_BIN_EXE_cdnplan`) in a fresh temporary directory,
//! with `--data-dir` pointing at the repository's `data/` and `--quiet`, through the
//! [`clitest!`] macro. Outputs compared in full go through [`eqnice!`], which prints both
//! sides on a mismatch. Every run checks that nothing panicked.

#[macro_use]
mod macros;
#[path = "../../../tests/support/ecs.rs"]
mod ecs;
#[path = "../../../tests/support/osmem.rs"]
mod osmem;
// Shared with the library tests, which use every fault; these use one.
#[allow(dead_code)]
#[path = "../../../tests/support/proxy.rs"]
mod proxy;
mod util;

mod capacity;
mod cells;
mod compare;
mod demand;
mod errors;
mod es;
mod evaluate;
mod example;
mod examples;
mod help;
mod limits;
mod objective;
mod output;
mod plan;
mod probe;
mod reassign;
mod report;
mod rpc;
