//! What a rebalance listener learns: the partitions the group gave this
//! consumer, took back, or that it lost.

use super::{TopicPartition, Tp};

/// A change of the consumer's assignment, as
/// [`Consumer::set_rebalance_listener`](super::Consumer::set_rebalance_listener)
/// reports it.
///
/// With the eager assignors (`range`, `roundrobin`) every rebalance revokes
/// the whole assignment and assigns a new one. With `cooperative-sticky`
/// (KIP-429) only the partitions that move to another member are revoked,
/// and `Assigned` carries only those newly added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rebalance {
    /// These partitions are now this consumer's.
    Assigned(Vec<TopicPartition>),
    /// These are given back in an orderly rebalance; their offsets are
    /// committed (with auto commit) before anyone else gets them.
    Revoked(Vec<TopicPartition>),
    /// These were lost (the consumer fell out of the group); another
    /// member may own them already.
    Lost(Vec<TopicPartition>),
}

/// The listener: called from `poll`, on the application's task.
pub(crate) type Listener = Box<dyn FnMut(&Rebalance) + Send + Sync>;

/// The public partitions, sorted.
pub(crate) fn public(tps: &[Tp]) -> Vec<TopicPartition> {
    let mut v: Vec<TopicPartition> = tps.iter().map(TopicPartition::from_tp).collect();
    v.sort();
    v
}
