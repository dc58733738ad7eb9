//! A field type the protocol has no encoding for.
#![allow(dead_code, unexpected_cfgs, unused_macros)]
#[path = "../../src/messages/macros.rs"]
#[macro_use]
mod macros;
mod support;
pub use support::*;

kafka_struct! {
    /// A structure.
    pub struct Topic {
        /// The name.
        name: String [0],
        /// Kafka has no unsigned byte: this should be `i8` (or `Bytes`).
        flags: Vec<u8> [0],
    }
}

fn main() {}
