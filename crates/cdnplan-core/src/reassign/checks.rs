//! The invariants a replay proves, and how each fared: `reassign.json`'s `"checks"` and
//! `reassign.md`'s "Checks" section.
//!
//! The channel checks are evaluated before the first call, after every call and at every
//! wait point. A problem may only go away: one that appears at some point fails the replay
//! (the plan caused it). A check with problems before the plan is reported with the point
//! from which it holds, or as failing today when the plan cannot change that.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::sim::ChannelProblem;

/// How an invariant fared over a replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// Held at every point checked.
    Holds,
    /// Did not hold before the plan; holds from `from` to the end.
    HoldsFrom {
        /// The first point at which it holds.
        from: String,
        /// Why it did not hold before the plan.
        before: String,
    },
    /// Does not hold before the plan, and the plan does not change that (it needs data or
    /// decisions the plan does not have).
    FailsToday {
        /// Why.
        why: String,
    },
    /// Cannot be told: it depends on chain state the topology lacks.
    Unknown {
        /// What is missing.
        why: String,
    },
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Holds => write!(f, "holds"),
            Outcome::HoldsFrom { from, before } => {
                write!(f, "holds from {from} (not before: {before})")
            }
            Outcome::FailsToday { why } => write!(f, "does not hold today, nor after: {why}"),
            Outcome::Unknown { why } => write!(f, "unknown: {why}"),
        }
    }
}

/// One invariant the replay checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// A stable name (`snake_case`).
    pub name: String,
    /// What it says.
    pub description: String,
    /// Points it was checked at (before the first call, after a call, at a wait point).
    pub steps_checked: usize,
    /// How it fared.
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Check {
    /// A check that held at every one of `steps` points.
    pub fn holds(name: &str, description: impl Into<String>, steps: usize) -> Check {
        Check {
            name: name.to_string(),
            description: description.into(),
            steps_checked: steps,
            outcome: Outcome::Holds,
        }
    }
}

/// Follows one channel check point by point.
#[derive(Debug)]
pub(crate) struct Tracker {
    pub(crate) name: &'static str,
    /// Reported from the point it settles, never a failure: a channel created earlier is
    /// served as the policy of its time gives, and needs a later plan to gain the rest.
    settles: bool,
    description: String,
    points: usize,
    holds_since: Option<String>,
    first_problem: Option<ChannelProblem>,
    previous: BTreeSet<String>,
    unknown: Option<String>,
}

impl Tracker {
    pub(crate) fn new(name: &'static str, description: impl Into<String>) -> Tracker {
        Tracker {
            name,
            settles: false,
            description: description.into(),
            points: 0,
            holds_since: None,
            first_problem: None,
            previous: BTreeSet::new(),
            unknown: None,
        }
    }

    /// A tracker that reports the point from which the check holds to the end, and never
    /// fails the replay.
    pub(crate) fn settling(name: &'static str, description: impl Into<String>) -> Tracker {
        Tracker {
            settles: true,
            ..Tracker::new(name, description)
        }
    }

    /// Records the check's result at `point`. A problem not present at the previous point is
    /// returned: the plan caused it there (problems present before the plan may only go away).
    pub(crate) fn observe(
        &mut self,
        point: &str,
        result: Result<(), Vec<ChannelProblem>>,
    ) -> Result<(), ChannelProblem> {
        self.points += 1;
        let problems = match result {
            Ok(()) => Vec::new(),
            Err(p) if p.contains(&ChannelProblem::PolicyUnknown) => {
                self.unknown = Some(ChannelProblem::PolicyUnknown.to_string());
                return Ok(());
            }
            Err(p) => p,
        };
        let keys: BTreeSet<String> = problems.iter().map(ChannelProblem::key).collect();
        let first = self.points == 1;
        let new = problems
            .iter()
            .find(|p| !first && !self.previous.contains(&p.key()));
        if let (Some(p), false) = (new, self.settles) {
            return Err(p.clone());
        }
        if self.first_problem.is_none() {
            self.first_problem = problems.first().cloned();
        }
        if problems.is_empty() {
            if self.holds_since.is_none() {
                self.holds_since = Some(point.to_string());
            }
        } else {
            self.holds_since = None;
        }
        self.previous = keys;
        Ok(())
    }

    /// The check's entry once the replay is done.
    pub(crate) fn finish(self) -> Check {
        let outcome = match (self.unknown, self.first_problem, self.holds_since) {
            (Some(why), _, _) => Outcome::Unknown { why },
            (None, None, _) => Outcome::Holds,
            (None, Some(p), Some(from)) => Outcome::HoldsFrom {
                from,
                before: p.to_string(),
            },
            (None, Some(p), None) => Outcome::FailsToday { why: p.to_string() },
        };
        Check {
            name: self.name.to_string(),
            description: self.description,
            steps_checked: self.points,
            outcome,
        }
    }
}

/// Markdown: one bullet per check, with its result.
pub fn markdown(checks: &[Check]) -> String {
    let mut s = String::new();
    if checks.is_empty() {
        return s;
    }
    let _ = writeln!(s, "## Checks\n");
    let _ = writeln!(
        s,
        "What the replay on the runtime-rules simulator proved, point by point (before the first call, after every call, at every wait point):\n"
    );
    for c in checks {
        let _ = writeln!(
            s,
            "- `{}` — {} ({} point{}): **{}**",
            c.name,
            c.description,
            c.steps_checked,
            if c.steps_checked == 1 { "" } else { "s" },
            c.outcome
        );
    }
    s.push('\n');
    s
}
