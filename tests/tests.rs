//! Library end-to-end tests.

mod plan;
