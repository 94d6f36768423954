//! # cdnplan-io
//!
//! The edges of cdnplan: everything that reads or writes the outside world and turns it into
//! [`cdnplan_core`] types.
//!
//! * [`bench`](mod@bench): benchmarks with known answers (OR-Library, TSPLIB, a synthetic world).
//! * [`logs`]: request logs (NDJSON, CSV, combined log format; gzip or plain) → demand cells.
//! * [`graphql`]: topology import from the indexers (Hydra query node, storage-squid/Orion).
//! * [`es`]: demand straight from Elasticsearch / OpenSearch (push-down aggregation or raw
//!   documents), and snapshots of it (feature `es`, on by default).
//! * [`geoip`]: client address → location, from MaxMind-format databases.
//! * [`data`]: the shipped data (sites, countries, Joystream topologies, snapshots).
//! * [`scenario`]: TOML scenario files, loading what they name, and the scenario → plan
//!   pipeline ([`scenario::plan`]).
//! * [`output`]: atomic file writing.
//! * [`rpc`]: chain state the indexers lack (per-bag limit, creation policies), read from a
//!   Joystream node's JSON-RPC.
//! * [`probe`]: probe every distributor node (status, buckets, a test object), write
//!   `operators-ping`-shaped documents and read them back (feature `probe`, on by default).
//! * [`redact`]: the one redaction of URLs, server answers and secrets in messages.
//! * [`synth`]: deterministic synthetic request logs (benchmarks, the shipped snapshot).

#![deny(missing_docs)]

pub mod bench;
pub mod data;
pub mod error;
#[cfg(feature = "es")]
#[cfg_attr(docsrs, doc(cfg(feature = "es")))]
pub mod es;
pub mod geoip;
pub mod graphql;
pub mod logs;
pub mod output;
#[cfg(feature = "probe")]
#[cfg_attr(docsrs, doc(cfg(feature = "probe")))]
pub mod probe;
pub mod redact;
pub mod rpc;
pub mod scenario;
pub mod synth;
#[cfg(test)]
mod testserver;

pub use error::{Error, Result};
