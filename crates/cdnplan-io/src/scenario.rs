//! (skeleton) scenario
