//! # cdnplan
//!
//! Plan where CDN nodes should stand. This facade re-exports the pure core
//! ([`cdnplan_core`]: geo and latency model, topology, demand, serving metrics, optimisation,
//! plans) and the I/O edges ([`cdnplan_io`]: logs, GeoIP, shipped data, scenarios, outputs).

#![deny(missing_docs)]

pub use cdnplan_core::*;

/// The I/O edges: logs, GeoIP, shipped data, scenarios and outputs.
pub mod io {
    pub use cdnplan_io::*;
}
