//! The core crate's error type.

use thiserror::Error;

/// Result alias for the core crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the pure core: invalid values and contradictory or
/// infeasible problems. Reaching a time limit is not an error: it is a
/// [`Status`](crate::solve::Status) of the solution.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A coordinate is not finite or out of range.
    #[error(
        "coordinate out of range: lat {lat}, lon {lon} (latitude must be in −90..=90, longitude in −180..=180)"
    )]
    InvalidCoordinate {
        /// The latitude given.
        lat: f64,
        /// The longitude given.
        lon: f64,
    },
    /// A node's (an operator's) coordinates are not finite or out of range.
    #[error(
        "bucket {bucket}, operator (worker {worker}): coordinate out of range: lat {lat}, lon \
         {lon} (latitude must be in −90..=90, longitude in −180..=180)"
    )]
    InvalidNodeCoordinate {
        /// The bucket the operator serves.
        bucket: String,
        /// The operator's worker id.
        worker: String,
        /// The latitude given.
        lat: f64,
        /// The longitude given.
        lon: f64,
    },
    /// A value could not be parsed.
    #[error("invalid {what}: {value:?}")]
    Parse {
        /// What was being parsed ("country code", "bucket id", …).
        what: &'static str,
        /// The text that failed.
        value: String,
    },
    /// A weight or count is NaN, infinite or negative.
    #[error("invalid {what} for {id:?}: {value} (must be finite and ≥ 0)")]
    InvalidWeight {
        /// Which quantity ("requests", "bytes", "capacity", …).
        what: &'static str,
        /// The id of the item carrying it.
        id: String,
        /// The offending value.
        value: f64,
    },
    /// Two items of one kind share an id.
    #[error("duplicate {kind} id {id:?}")]
    DuplicateId {
        /// "node", "site", "cell", "family", …
        kind: &'static str,
        /// The repeated id.
        id: String,
    },
    /// A reference names an id that does not exist.
    #[error("unknown {kind} id {id:?}{hint}")]
    UnknownId {
        /// "node", "site", …
        kind: &'static str,
        /// The id that was not found.
        id: String,
        /// Extra help, e.g. " (known: a, b, c)"; empty when none.
        hint: String,
    },
    /// The demand is empty (no cells, or all weights zero).
    #[error("empty demand: {0}")]
    EmptyDemand(String),
    /// Constraints contradict each other (e.g. a pinned node on a forbidden site).
    #[error("contradictory constraints: {0}")]
    Contradiction(String),
    /// The problem has no feasible solution; the message names the constraint that cannot hold.
    #[error("infeasible: {0}")]
    Infeasible(String),
    /// The MIP backend failed for a reason other than a time limit.
    #[error("solver {solver} failed: {message}")]
    Solver {
        /// Backend name ("microlp", "highs").
        solver: &'static str,
        /// The backend's message.
        message: String,
    },
    /// A combination of settings the planner does not support (e.g. capacities with an
    /// objective other than the mean RTT); the message names it and what to change.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A problem is too large for the requested method.
    #[error("too large for {method}: {detail}")]
    TooLarge {
        /// The method ("brute force", "exact MIP").
        method: &'static str,
        /// Why.
        detail: String,
    },
}
