//! Test support: a real OpenSearch-compatible server (osmem-server) and a fault-injecting
//! loopback proxy.

pub mod osmem;
pub mod proxy;
