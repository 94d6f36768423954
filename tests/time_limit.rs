//! Issue 15 row 15: `[solver] time_limit_s` bounds the whole run, reading the inputs
//! included: a run whose inputs took the whole limit gets a plan at once, with the status
//! `time-limit`, the limit it was given, and a curve point for every budget.

use std::time::{Duration, Instant};

use cdnplan::NoProgress;
use cdnplan::io::scenario::{self, Inputs, PlanOptions, Scenario};
use cdnplan::solve::Status;

#[test]
fn a_limit_spent_on_the_inputs_leaves_the_solver_nothing_and_says_so() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/scenarios/default.toml");
    let mut s = Scenario::load(&path).unwrap();
    s.solver.time_limit_s = 5.0;
    s.reassign.enabled = false;
    let inputs = Inputs::load(&s, &NoProgress).unwrap();

    let full = scenario::plan(&s, &inputs, &PlanOptions::default(), &NoProgress).unwrap();
    assert_ne!(
        full.plan.solver.status,
        Status::TimeLimit,
        "5 s are plenty here"
    );

    // The run "began" an hour ago: nothing is left of the 5 s.
    let long_ago = Instant::now() - Duration::from_secs(3600);
    let started = Instant::now();
    let late = scenario::plan(
        &s,
        &inputs,
        &PlanOptions::default().started(long_ago),
        &NoProgress,
    )
    .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    let p = &late.plan;
    assert_eq!(p.solver.status, Status::TimeLimit);
    assert_eq!(
        p.scenario.time_limit_s, 5.0,
        "the limit asked for, not what was left"
    );
    // Every budget 0..=3 has its point; the unsolved ones show this plan's prefix, and
    // their bound is a bound (never above the value).
    assert_eq!(
        p.curve.iter().map(|c| c.moves).collect::<Vec<_>>(),
        (0..=s.constraints.max_moves).collect::<Vec<_>>()
    );
    for c in &p.curve {
        assert!(
            c.lower_bound_mean_rtt_ms <= c.best_mean_rtt_ms + 1e-9,
            "{c:?}"
        );
        assert!(
            c.best_mean_rtt_ms <= c.plan_prefix_mean_rtt_ms + 1e-9,
            "{c:?}"
        );
    }
    // The answer is a real plan: its moves are within the budget and it is no worse than
    // standing still.
    assert!(p.moves.len() <= s.constraints.max_moves);
    assert!(p.curve.last().unwrap().best_mean_rtt_ms <= p.curve[0].best_mean_rtt_ms);
}
