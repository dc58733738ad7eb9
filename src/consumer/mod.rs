//! The consumer: group membership and assignors first; the fetcher,
//! offsets and the polling API build on them.

pub mod group;
