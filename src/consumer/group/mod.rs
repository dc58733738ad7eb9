//! Consumer groups: the KIP-848 member (`consumer_member`), and for the
//! classic protocol the assignors the group leader
//! runs (eager `range` and `roundrobin`, `cooperative-sticky`).
//! Membership's state machine builds on them.

pub mod assignor;
pub mod consumer_member;
pub mod member;
pub mod membership;
mod sticky;
