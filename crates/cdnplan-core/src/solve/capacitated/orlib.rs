//! The OR-Library capacitated instances (Osman & Christofides 1994) as capacitated problems.
//!
//! The published optima hold for distances **truncated** to their integer part: with
//! `⌊√(Δx² + Δy²)⌋` the solver proves exactly the value on line 1 of each file, while
//! real-valued Euclidean distances give larger optima (pmedcap01: 728.26 against the
//! published 713) and rounding to the nearest integer gives others again.

use serde::{Deserialize, Serialize};

use super::{Assignment, Capacities};
use crate::solve::{Constraints, Instance, PmedcapInstance};

/// How a pmedcap file's distances are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PmedcapDistances {
    /// `⌊d⌋`: the convention of the published optima.
    #[default]
    Truncated,
    /// Real-valued Euclidean distances.
    Euclidean,
    /// `d` rounded to the nearest integer.
    Rounded,
}

crate::named::named!(PmedcapDistances, "distances", {
    PmedcapDistances::Truncated => "truncated",
    PmedcapDistances::Euclidean => "euclidean",
    PmedcapDistances::Rounded => "rounded",
});

impl PmedcapInstance {
    /// The single-source capacitated problem of this file: every point a client (weight 1,
    /// its demand) and a site (the common capacity), `p` open, distances as `distances` says.
    ///
    /// ```
    /// use cdnplan_core::solve::capacitated::{solve_capacitated, PmedcapDistances};
    /// use cdnplan_core::solve::{parse_pmedcap, SolveOptions};
    /// use cdnplan_core::NoProgress;
    /// // Three points; distances 1.5, 2.5, 4: one median with room for all.
    /// let file = parse_pmedcap("1 3\n3 1 10\n1 0 0 1\n2 1.5 0 1\n3 4 0 1\n")?;
    /// let (inst, c, caps) = file.capacitated(PmedcapDistances::Truncated);
    /// let best = solve_capacitated(&inst, &c, &caps, &SolveOptions::new(), &NoProgress)?;
    /// assert_eq!(best.solution.objective, 1.0 + 2.0); // ⌊1.5⌋ + ⌊2.5⌋ from point 2
    /// # Ok::<(), cdnplan_core::Error>(())
    /// ```
    pub fn capacitated(&self, distances: PmedcapDistances) -> (Instance, Constraints, Capacities) {
        let mut instance = self.instance.clone();
        match distances {
            PmedcapDistances::Truncated => instance.cost.iter_mut().for_each(|c| *c = c.floor()),
            PmedcapDistances::Rounded => instance.cost.iter_mut().for_each(|c| *c = c.round()),
            PmedcapDistances::Euclidean => {}
        }
        let capacities = Capacities::new(
            self.demand.clone(),
            vec![self.capacity; instance.n_sites],
            Assignment::SingleSource,
        );
        let constraints = Constraints {
            p: self.p,
            ..Default::default()
        };
        (instance, constraints, capacities)
    }
}
