//! ferrokafka: a pure-Rust Apache Kafka client.
//!
//! The wire protocol lives in [`ferrokafka_protocol`], re-exported here as
//! [`protocol`]; the client's layers are built on it, bottom up:
//! [`net`] (broker connections) first. The in-process mock cluster to
//! test against is its own crate, `ferrokafka-mock`.

pub mod admin;
pub mod cluster;
pub mod config;
pub mod consumer;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod net;
pub mod producer;
pub mod statistics;

pub use error::{Error, Result};
pub use ferrokafka_protocol as protocol;

/// The README's code blocks, compiled as doc tests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
