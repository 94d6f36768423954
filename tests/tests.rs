//! Library end-to-end tests, one binary.

mod data;
mod plan;
mod solve;
