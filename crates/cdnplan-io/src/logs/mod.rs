//! Request logs → demand cells.
//!
//! Reads request logs in several layouts, gzip or plain (told apart by content), in parallel,
//! and aggregates the requests that pass the filters into [`Demand`](cdnplan_core::Demand)
//! cells by country, web-mercator tile or city:
//!
//! * [`mapping`]: where each field sits ([`FieldMapping`]) and the built-in [`Preset`]s
//!   (`argus`, `es-hits`, `ecs`, `combined`, `csv`);
//! * [`filter`]: what counts ([`LogFilter`]: asset paths, time window, status codes);
//! * [`ingest()`]: the parallel driver, returning the demand and an [`IngestReport`];
//! * [`open_log`]: a gzip-or-plain reader for any other use.
//!
//! Bad records stop the run with an [`Error::Field`](crate::Error::Field) naming the file,
//! line, field and value, unless [`IngestOptions::lenient`] is set; then they are skipped and
//! counted by reason. Clients that cannot be located are counted and reported, never dropped.
//!
//! ```no_run
//! use std::path::PathBuf;
//! use cdnplan_core::{Countries, NoProgress};
//! use cdnplan_io::geoip::GeoIp;
//! use cdnplan_io::logs::{ingest, IngestOptions, Preset};
//!
//! let geoip = GeoIp::open("GeoLite2-City.mmdb")?;
//! let countries = Countries::default(); // normally the shipped country table
//! let opts = IngestOptions::new(Preset::Argus).lenient(true);
//! let got = ingest(&[PathBuf::from("argus.ndjson.gz")], &geoip, &countries, &opts, &NoProgress)?;
//! println!("{}", got.report);
//! # Ok::<(), cdnplan_io::Error>(())
//! ```

mod combined;
mod csv;
pub mod filter;
mod ingest;
pub mod mapping;
mod ndjson;
mod options;
mod pool;
mod reader;
mod record;
mod report;
mod worker;

pub use filter::{LogFilter, StatusFilter, format_ms, is_asset_request, parse_time};
#[cfg(feature = "es")]
pub(crate) use ingest::ingest_responses;
pub use ingest::{Ingested, ingest};
pub use mapping::{FieldMapping, FieldSpec, LogFormat, Preset};
pub use options::{IngestOptions, MAX_LINE_BYTES};
pub use reader::{is_gzip, open_log};
#[cfg(feature = "es")]
pub(crate) use record::parse_client_ip;
pub use report::{IngestReport, UnlocatedExample};
