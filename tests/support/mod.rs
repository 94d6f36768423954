//! Test support: a real OpenSearch-compatible server (osmem-server), the documents the
//! Elasticsearch tests seed it with, and a fault-injecting loopback proxy.

pub mod ecs;
pub mod layouts;
pub mod osmem;
pub mod proxy;
