//! A tagged field in versions before the message's first flexible one.
#![allow(dead_code, unexpected_cfgs, unused_macros)]
#[path = "../../src/messages/macros.rs"]
#[macro_use]
mod macros;
mod support;
pub use support::*;

kafka_message! {
    /// A message, flexible from version 4.
    pub struct PingRequest: Heartbeat, versions 0 to 4, flexible 4 {
        /// A field.
        group_id: String [0],
        /// Tagged from version 2, before the first flexible version.
        rack: Option<String> [2, nullable 2, tag 0],
    }
}

fn main() {}
