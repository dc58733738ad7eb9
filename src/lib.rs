//! ferrokafka: a pure-Rust Apache Kafka client.
//!
//! The wire protocol lives in [`ferrokafka_protocol`], re-exported here as
//! [`protocol`]; the producer, consumer and admin clients are built on it.

pub use ferrokafka_protocol as protocol;
