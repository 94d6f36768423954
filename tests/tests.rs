//! Library end-to-end tests.
mod data;
