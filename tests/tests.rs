//! Library end-to-end tests.
