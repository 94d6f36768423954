//! The serving model and its metrics: each demand cell is served by its nearest active node
//! (Orion's rule: haversine to the operator's coordinates), RTT from the [`Latency`] model.
//!
//! CONTRACT (skeleton): owned by the evaluation author.

#[allow(unused_imports)]
use crate::latency::Latency;
