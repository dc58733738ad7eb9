//! A field whose version range ends before it starts.
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
        /// Versions 5 to 3: none.
        partitions: i32 [5 to 3],
    }
}

fn main() {}
