//! `nullable` on a field that cannot be null.
#![allow(dead_code, unexpected_cfgs, unused_macros)]
#[path = "../../src/messages/macros.rs"]
#[macro_use]
mod macros;
mod support;
pub use support::*;

kafka_struct! {
    /// A structure.
    pub struct Topic {
        /// The name, null from version 1: but a String cannot be null.
        name: String [0, nullable 1],
        /// The partition count.
        partitions: i32 [0],
    }
}

fn main() {}
