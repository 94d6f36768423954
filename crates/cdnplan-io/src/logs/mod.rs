//! (skeleton) Request logs.
