//! Library end-to-end tests, one binary.

mod data;
mod ingest;
mod plan;
mod solve;
