//! Library end-to-end tests, one binary.

mod data;
mod es;
mod ingest;
mod plan;
mod solve;
mod support;
