//! # cdnplan-core
//!
//! The pure core of cdnplan: no I/O, no async, no network. It models where CDN demand comes
//! from, where nodes stand, how viewers are served, and optimises node placement.
//!
//! ## Modules
//!
//! **Geography and latency**
//! * [`geo`]: [`GeoPoint`], [`Continent`], [`CountryCode`]; haversine distances.
//! * [`latency`]: [`LinearRtt`] (`RTT = max(a + b·km, 0.01·km)`) and measured overrides ([`Latency`]).
//! * [`country`]: the country table ([`Countries`]).
//!
//! **What is served, and from where**
//! * [`demand`]: [`DemandCell`]s and the [`DemandAggregator`] that builds them.
//! * [`hourly`]: the demand per UTC clock hour and its busiest hour.
//! * [`site`]: candidate hosting [`Site`]s.
//! * [`node`]: current [`Node`]s.
//! * [`topology`]: Joystream families, buckets, operators and bags.
//! * [`serving`]: nearest-active-node serving and its metrics.
//! * [`availability`]: probe verdicts (`operators-ping`'s) and availability over a history.
//!
//! **Optimisation**
//! * [`solve`]: the p-median engine (heuristic and exact paths, honest bounds).
//! * [`capacity`]: peak egress per cell and load versus capacity per site.
//! * [`relocation`]: stay-or-move optimisation with a budget of moves.
//! * [`plan`]: ordered moves, curves and the outputs a lead acts on.
//! * [`reassign`]: family ↔ bucket reassignment, its migration plan and the runtime-rules
//!   simulator that replays it.
//!
//! ## Example
//!
//! ```
//! use cdnplan_core::{GeoPoint, LinearRtt};
//!
//! let kyiv = GeoPoint::new(50.45, 30.52)?;
//! let frankfurt = GeoPoint::new(50.11, 8.68)?;
//! let rtt = LinearRtt::DEFAULT.rtt_between_ms(&kyiv, &frankfurt);
//! assert!(rtt > 30.0 && rtt < 40.0);
//! # Ok::<(), cdnplan_core::Error>(())
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod availability;
pub mod capacity;
pub mod country;
pub mod demand;
pub mod error;
pub mod geo;
pub mod hourly;
pub mod latency;
mod named;
pub mod node;
pub mod plan;
pub mod progress;
pub mod reassign;
pub mod relocation;
mod round;
pub mod serving;
pub mod site;
pub mod solve;
pub mod topology;

pub use country::{Countries, Country};
pub use demand::{CellKey, CellKind, Demand, DemandAggregator, DemandCell, Weighting};
pub use error::{Error, Result};
pub use geo::{Continent, CountryCode, GeoPoint};
pub use hourly::{HourlyProfile, PeakHour};
pub use latency::{Latency, LinearRtt};
pub use node::{Node, NodeCapacity};
pub use progress::{NoProgress, Progress};
pub use site::Site;
