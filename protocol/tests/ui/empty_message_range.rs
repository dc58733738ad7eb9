//! A message whose version range ends before it starts.
#![allow(dead_code, unexpected_cfgs, unused_macros)]
#[path = "../../src/messages/macros.rs"]
#[macro_use]
mod macros;
mod support;
pub use support::*;

kafka_message! {
    /// A message.
    pub struct PingRequest: Heartbeat, versions 4 to 2, flexible none {
        /// A field.
        group_id: String [0],
    }
}

fn main() {}
