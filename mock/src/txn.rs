//! The transaction coordinator's state and the transaction markers, as
//! Kafka's `TransactionCoordinator` keeps them (read, not copied: the
//! states Empty, Ongoing, CompleteCommit and CompleteAbort; the Prepare
//! states pass within one request here, since markers are written at
//! once). The APIs that drive it are `api/init_producer_id.rs`,
//! `api/add_partitions_to_txn.rs`, `api/add_offsets_to_txn.rs`,
//! `api/txn_offset_commit.rs`, `api/end_txn.rs` and `api/produce.rs`
//! (transactions v2 add partitions implicitly); `api/fetch.rs` reads the
//! partitions' transaction state for read_committed.
//!
//! Transactions version 2 (KIP-890) is used by a client whose EndTxn is
//! v5+ (and Produce v12+) while the cluster's finalized
//! `transaction.version` is 2: every EndTxn then bumps the epoch, and the
//! markers carry the bumped one. Version 1 keeps the epoch.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use bytes::Bytes;
use ferrokafka_protocol::records::{BatchOptions, RecordBatch, RecordBatchWriter};
use ferrokafka_protocol::ErrorCode;
use tokio::time::Instant;

use super::offsets::Committed;
use super::state::{ClusterState, Partition};

/// Where a transactional id's transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Initialized, no transaction yet.
    Empty,
    /// Partitions or a group were added: a transaction is open.
    Ongoing,
    /// The last transaction committed.
    CompleteCommit,
    /// The last transaction aborted.
    CompleteAbort,
}

/// Offsets a transaction commits to a group when it commits.
#[derive(Debug, Clone)]
pub(crate) struct PendingOffset {
    pub(crate) group: String,
    pub(crate) topic: String,
    pub(crate) partition: i32,
    pub(crate) committed: Committed,
}

/// One transactional id at its coordinator.
#[derive(Debug, Clone)]
pub(crate) struct Txn {
    pub(crate) producer_id: i64,
    pub(crate) epoch: i16,
    pub(crate) timeout: Duration,
    pub(crate) status: Status,
    /// When the open transaction started (for `transaction.timeout.ms`).
    pub(crate) started: Option<Instant>,
    /// The partitions in the open transaction.
    pub(crate) partitions: BTreeSet<(String, i32)>,
    /// The groups added with AddOffsetsToTxn.
    pub(crate) groups: BTreeSet<String>,
    /// Offsets sent with TxnOffsetCommit.
    pub(crate) offsets: Vec<PendingOffset>,
}

impl Txn {
    /// A new transactional id's state after InitProducerId.
    pub(crate) fn new(producer_id: i64, epoch: i16, timeout: Duration) -> Self {
        Self {
            producer_id,
            epoch,
            timeout,
            status: Status::Empty,
            started: None,
            partitions: BTreeSet::new(),
            groups: BTreeSet::new(),
            offsets: Vec::new(),
        }
    }

    /// Kafka's check of a request's producer id and epoch against the
    /// coordinator's (AddPartitionsToTxn, AddOffsetsToTxn).
    pub(crate) fn check(&self, producer_id: i64, epoch: i16) -> Result<(), ErrorCode> {
        if self.producer_id != producer_id {
            Err(ErrorCode::InvalidProducerIdMapping)
        } else if self.epoch != epoch {
            Err(ErrorCode::ProducerFenced)
        } else {
            Ok(())
        }
    }

    /// Opens a transaction unless one is open.
    pub(crate) fn open(&mut self, now: Instant) {
        if self.status != Status::Ongoing {
            self.status = Status::Ongoing;
            self.started = Some(now);
            self.partitions.clear();
            self.groups.clear();
            self.offsets.clear();
        }
    }
}

/// The coordinator's transactional ids.
#[derive(Debug, Default)]
pub(crate) struct Transactions {
    pub(crate) by_id: HashMap<String, Txn>,
}

/// A partition's view of transactions: the open ones' first offsets (the
/// last stable offset stops at the lowest) and the aborted ones' ranges
/// (for `abortedTransactions` in read_committed fetches).
#[derive(Debug, Default)]
pub(crate) struct PartitionTxns {
    /// The first offset of each producer's open transaction here.
    pub(crate) ongoing: BTreeMap<i64, i64>,
    /// Aborted transactions: producer id, first offset, marker offset.
    pub(crate) aborted: Vec<(i64, i64, i64)>,
}

impl PartitionTxns {
    /// The last stable offset: the first offset of the oldest open
    /// transaction, else the high watermark.
    pub(crate) fn last_stable_offset(&self, high_watermark: i64) -> i64 {
        self.ongoing
            .values()
            .copied()
            .min()
            .unwrap_or(high_watermark)
            .min(high_watermark)
    }

    /// The aborted transactions a read_committed fetch of offsets
    /// `from..to` must know about.
    pub(crate) fn aborted_in(&self, from: i64, to: i64) -> Vec<(i64, i64)> {
        self.aborted
            .iter()
            .filter(|&&(_, first, last)| last >= from && first < to)
            .map(|&(pid, first, _)| (pid, first))
            .collect()
    }

    /// A transactional batch of `producer_id` appended at `offset`.
    pub(crate) fn appended(&mut self, producer_id: i64, offset: i64) {
        self.ongoing.entry(producer_id).or_insert(offset);
    }
}

/// A control batch: one commit or abort marker of `producer_id` at
/// `epoch` (Kafka's `EndTransactionMarker`: key version 0 and type, value
/// version 0 and the coordinator epoch).
fn marker(producer_id: i64, epoch: i16, commit: bool, timestamp: i64) -> Option<Bytes> {
    let mut w = RecordBatchWriter::new(BatchOptions {
        producer_id,
        producer_epoch: epoch,
        base_sequence: -1,
        is_transactional: true,
        is_control: true,
        ..Default::default()
    });
    let kind: i16 = if commit { 1 } else { 0 };
    let mut key = [0u8; 4];
    key[2..].copy_from_slice(&kind.to_be_bytes());
    let value = [0u8; 6];
    w.append(timestamp, Some(&key), Some(&value), &[]);
    w.finish().ok()
}

/// Writes the markers of `transactional_id`'s open transaction with
/// `marker_epoch` into each of its partitions, commits its offsets when
/// `commit`, and completes it. True when anything was written (to wake
/// fetches).
pub(crate) fn complete(
    state: &mut ClusterState,
    transactional_id: &str,
    commit: bool,
    marker_epoch: i16,
) -> bool {
    let Some(txn) = state.transactions.by_id.get_mut(transactional_id) else {
        return false;
    };
    let producer_id = txn.producer_id;
    let partitions = std::mem::take(&mut txn.partitions);
    let offsets = std::mem::take(&mut txn.offsets);
    txn.groups.clear();
    txn.started = None;
    txn.status = if commit {
        Status::CompleteCommit
    } else {
        Status::CompleteAbort
    };
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut written = false;
    for (topic, index) in &partitions {
        let retention = state.retention_for(topic);
        let Some(partition) = state.partition_mut(topic, *index) else {
            continue;
        };
        written |= write_marker(
            partition,
            producer_id,
            marker_epoch,
            commit,
            now_ms,
            retention,
        );
    }
    if commit {
        for o in offsets {
            state
                .offsets
                .groups
                .entry(o.group)
                .or_default()
                .insert((o.topic, o.partition), o.committed);
        }
    }
    written
}

/// One marker appended to one partition, its transaction state updated.
fn write_marker(
    partition: &mut Partition,
    producer_id: i64,
    epoch: i16,
    commit: bool,
    now_ms: i64,
    retention: usize,
) -> bool {
    let Some(raw) = marker(producer_id, epoch, commit, now_ms) else {
        return false;
    };
    let mut batch = RecordBatch::default();
    batch.last_offset_delta = 0;
    batch.max_timestamp = now_ms;
    let offset = partition
        .log
        .append(&raw, &batch, partition.leader_epoch, retention);
    let first = partition.txns.ongoing.remove(&producer_id);
    if !commit {
        partition
            .txns
            .aborted
            .push((producer_id, first.unwrap_or(offset), offset));
    }
    crate::producers::marker_written(partition, producer_id, epoch);
    true
}

/// Fences the open transaction of `transactional_id` (a new producer's
/// InitProducerId, or its timeout): the epoch goes up by one and the
/// transaction is aborted with markers at that epoch, as Kafka's
/// `prepareFenceProducerEpoch` does. True when markers were written.
pub(crate) fn fence_and_abort(state: &mut ClusterState, transactional_id: &str) -> bool {
    let Some(txn) = state.transactions.by_id.get_mut(transactional_id) else {
        return false;
    };
    if txn.status != Status::Ongoing {
        return false;
    }
    txn.epoch = txn.epoch.saturating_add(1);
    let (id, epoch) = (txn.producer_id, txn.epoch);
    state.producer_ids.epochs.insert(id, epoch);
    complete(state, transactional_id, false, epoch)
}

/// The ticker's work: aborts transactions open longer than their
/// `transaction.timeout.ms`. True when markers were written.
pub(crate) fn abort_timed_out(state: &mut ClusterState, now: Instant) -> bool {
    let expired: Vec<String> = state
        .transactions
        .by_id
        .iter()
        .filter(|(_, t)| {
            t.status == Status::Ongoing && t.started.is_some_and(|s| now >= s + t.timeout)
        })
        .map(|(id, _)| id.clone())
        .collect();
    let mut written = false;
    for id in expired {
        tracing::debug!(transactional_id = %id, "mock: transaction timed out, aborting");
        written |= fence_and_abort(state, &id);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrokafka_protocol::records::{decode_batches, ControlRecord, DecodeOptions};

    #[test]
    fn a_marker_is_one_control_record_kafka_can_read() {
        let raw = marker(7, 3, true, 1).expect("encodes");
        let b = decode_batches(raw, &DecodeOptions::default())
            .expect("decodes")
            .batches
            .remove(0);
        assert!(b.is_control && b.is_transactional);
        assert_eq!((b.producer_id, b.producer_epoch), (7, 3));
        let r = b.record(0).expect("one record");
        let c = ControlRecord::parse(r.key.as_ref(), r.value.as_ref()).expect("control");
        assert_eq!(
            c.kind,
            ferrokafka_protocol::records::ControlRecordType::Commit
        );
    }

    #[test]
    fn the_last_stable_offset_stops_at_the_oldest_open_transaction() {
        let mut t = PartitionTxns::default();
        assert_eq!(t.last_stable_offset(10), 10);
        t.appended(1, 4);
        t.appended(2, 6);
        t.appended(1, 8);
        assert_eq!(t.last_stable_offset(10), 4);
        t.aborted.push((3, 0, 2));
        assert_eq!(t.aborted_in(2, 10), vec![(3, 0)]);
        assert!(t.aborted_in(3, 10).is_empty());
    }
}
