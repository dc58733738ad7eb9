//! Two fields of one structure with the same tag.
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
        /// Tag 1.
        rack: Option<String> [3, nullable 3, tag 1],
        /// Tag 1 again.
        cluster_id: Option<String> [3, nullable 3, tag 1],
    }
}

fn main() {}
