//! (skeleton) synth
