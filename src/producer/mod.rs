//! The producer: partitioner first; the accumulator, sender and delivery
//! reports build on it.

pub mod partitioner;
