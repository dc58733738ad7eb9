//! The positions groups store: what OffsetCommit writes
//! (`api/offset_commit.rs`) and OffsetFetch reads (`api/offset_fetch.rs`).

use std::collections::{BTreeMap, HashMap};

/// One committed position.
#[derive(Debug, Clone)]
pub(crate) struct Committed {
    pub(crate) offset: i64,
    pub(crate) leader_epoch: i32,
    pub(crate) metadata: Option<String>,
}

/// Every group's committed offsets, by topic name and partition.
#[derive(Debug, Default)]
pub(crate) struct CommittedOffsets {
    /// By group id, then (topic name, partition).
    pub(crate) groups: HashMap<String, BTreeMap<(String, i32), Committed>>,
}

impl CommittedOffsets {
    /// Drops a deleted topic's offsets from every group.
    pub(crate) fn forget_topic(&mut self, topic: &str) {
        for offsets in self.groups.values_mut() {
            offsets.retain(|(t, _), _| t != topic);
        }
    }
}
