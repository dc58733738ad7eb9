//! Consumer groups (the classic protocol): the assignors the group leader
//! runs (eager `range` and `roundrobin`, `cooperative-sticky`).
//! Membership's state machine builds on them.

pub mod assignor;
pub mod membership;
mod sticky;
