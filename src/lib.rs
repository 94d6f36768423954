//! # cdnplan
//!
//! Plan where CDN nodes should stand. This facade re-exports the pure core
//! ([`cdnplan_core`]: geo and latency model, topology, demand, serving metrics, optimisation,
//! plans) at its root, and the I/O edges ([`cdnplan_io`]: logs, GeoIP, shipped data,
//! scenarios, outputs) under [`io`].
//!
//! Planning a scenario as `cdnplan plan` does — the same files, byte for byte — is one call,
//! [`io::scenario::plan`]; this is `examples/plan.rs`:
//!
#![doc = "```no_run"]
#![doc = include_str!("../examples/plan.rs")]
#![doc = "```"]
//!
//! Finer-grained use (demand from logs, evaluation, a relocation with constraints) is in
//! `examples/embed.rs`: [`relocation::optimise`] answers the placement question, and
//! [`plan::build`] turns it into a [`plan::Plan`] with its outputs.

#![deny(missing_docs)]

pub use cdnplan_core::*;

/// The I/O edges: logs, GeoIP, shipped data, scenarios and outputs.
pub mod io {
    pub use cdnplan_io::*;
}

// The README's code blocks compile as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
