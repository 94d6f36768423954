//! (skeleton) geoip
