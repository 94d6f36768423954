//! Library end-to-end tests, one binary.

mod data;
mod es;
mod es_mappings;
mod es_parity;
mod fuzz;
mod ingest;
mod plan;
mod solve;
mod support;
mod time_limit;
