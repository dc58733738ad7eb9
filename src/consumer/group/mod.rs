//! Consumer groups (the classic protocol): the assignors the group leader
//! runs. Membership's state machine builds on them.

pub mod assignor;
pub mod membership;
