//! (skeleton) data
