//! Library end-to-end tests.
mod solve;
