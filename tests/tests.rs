//! Library end-to-end tests.
mod ingest;
