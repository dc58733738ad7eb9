//! Producer ids and idempotent producers' sequence state, as Kafka's
//! `ProducerStateManager` keeps it (the last five batches of each
//! producer on each partition are remembered, so a retried batch is
//! answered with the offset it already got). The Produce and
//! InitProducerId handlers (`api/produce.rs`, `api/init_producer_id.rs`)
//! consult and update it.

use std::collections::{HashMap, VecDeque};

use ferrokafka_protocol::records::RecordBatch;
use ferrokafka_protocol::ErrorCode;

use super::state::Partition;

/// How many recent batches per producer and partition are remembered for
/// duplicate detection: Kafka's limit on in-flight idempotent requests.
const RECENT_BATCHES: usize = 5;

/// The first producer id handed out (any positive number would do).
const FIRST_PRODUCER_ID: i64 = 1000;

/// Producer ids handed out, and transactional ids' producers.
#[derive(Debug, Default)]
pub(crate) struct ProducerIds {
    issued: i64,
    /// The current epoch of every producer id handed out.
    pub(crate) epochs: HashMap<i64, i16>,
    /// The producer id of each transactional id.
    pub(crate) transactional: HashMap<String, i64>,
}

impl ProducerIds {
    /// A producer id never handed out before, at epoch 0.
    pub(crate) fn new_id(&mut self) -> i64 {
        let id = FIRST_PRODUCER_ID + self.issued;
        self.issued += 1;
        self.epochs.insert(id, 0);
        id
    }
}

/// A batch an idempotent producer wrote, for duplicate detection.
#[derive(Debug, Clone, Copy)]
struct RecentBatch {
    first_sequence: i32,
    last_sequence: i32,
    base_offset: i64,
}

/// One idempotent producer's state on one partition.
#[derive(Debug, Default)]
pub(crate) struct ProducerPartitionState {
    epoch: i16,
    last_sequence: i32,
    recent: VecDeque<RecentBatch>,
}

/// What the sequence check decided.
pub(crate) enum Sequenced {
    /// Not idempotent, or the next batch in sequence: append it.
    Append,
    /// A batch already written: answer with its offset, write nothing.
    Duplicate(i64),
}

/// Sequence numbers wrap from `i32::MAX` to 0.
fn next_sequence(sequence: i32) -> i32 {
    if sequence == i32::MAX {
        0
    } else {
        sequence + 1
    }
}

fn last_sequence(batch: &RecordBatch) -> i32 {
    let last = i64::from(batch.base_sequence) + i64::from(batch.last_offset_delta);
    (last % (i64::from(i32::MAX) + 1)) as i32
}

/// Kafka's checks of an idempotent batch against the producer's state.
pub(crate) fn check_sequence(
    ids: &ProducerIds,
    partition: &Partition,
    batch: &RecordBatch,
) -> Result<Sequenced, ErrorCode> {
    if batch.producer_id < 0 {
        return Ok(Sequenced::Append);
    }
    let Some(&current) = ids.epochs.get(&batch.producer_id) else {
        return Err(ErrorCode::UnknownProducerId);
    };
    // An idempotent producer may bump its own epoch (KIP-360), so a newer
    // epoch is fine as long as it starts again at sequence 0.
    if batch.producer_epoch < current {
        return Err(ErrorCode::InvalidProducerEpoch);
    }
    match partition.producers.get(&batch.producer_id) {
        Some(s) if s.epoch > batch.producer_epoch => Err(ErrorCode::InvalidProducerEpoch),
        Some(s) if s.epoch == batch.producer_epoch => {
            let last = last_sequence(batch);
            if let Some(dup) = s
                .recent
                .iter()
                .find(|r| r.first_sequence == batch.base_sequence && r.last_sequence == last)
            {
                return Ok(Sequenced::Duplicate(dup.base_offset));
            }
            if batch.base_sequence == next_sequence(s.last_sequence) {
                Ok(Sequenced::Append)
            } else {
                Err(ErrorCode::OutOfOrderSequenceNumber)
            }
        }
        // A new epoch over existing state starts again at 0.
        Some(_) if batch.base_sequence != 0 => Err(ErrorCode::OutOfOrderSequenceNumber),
        // No state on this partition yet: Kafka takes any first sequence
        // (`ProducerAppendInfo.checkSequence` with NO_PRODUCER_EPOCH), so
        // a client must not let a later batch overtake its first one.
        _ => Ok(Sequenced::Append),
    }
}

/// Remembers an appended idempotent batch.
pub(crate) fn remember(
    ids: &mut ProducerIds,
    partition: &mut Partition,
    batch: &RecordBatch,
    offset: i64,
) {
    if batch.producer_id < 0 {
        return;
    }
    let epoch = ids.epochs.entry(batch.producer_id).or_default();
    *epoch = (*epoch).max(batch.producer_epoch);
    let s = partition.producers.entry(batch.producer_id).or_default();
    if s.epoch != batch.producer_epoch {
        s.recent.clear();
        s.epoch = batch.producer_epoch;
    }
    s.last_sequence = last_sequence(batch);
    if s.recent.len() == RECENT_BATCHES {
        s.recent.pop_front();
    }
    s.recent.push_back(RecentBatch {
        first_sequence: batch.base_sequence,
        last_sequence: s.last_sequence,
        base_offset: offset,
    });
}

/// A transaction marker of `producer_id` at `epoch` was written: a new
/// epoch (transactions v2 bump it at every end) starts its sequences
/// again at 0, as Kafka's `ProducerAppendInfo.appendEndTxnMarker` does.
pub(crate) fn marker_written(partition: &mut Partition, producer_id: i64, epoch: i16) {
    let s = partition
        .producers
        .entry(producer_id)
        .or_insert_with(|| ProducerPartitionState {
            epoch,
            last_sequence: -1,
            recent: VecDeque::new(),
        });
    if s.epoch != epoch {
        s.epoch = epoch;
        s.last_sequence = -1;
        s.recent.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_wrap_to_zero() {
        assert_eq!(next_sequence(i32::MAX), 0);
        assert_eq!(next_sequence(4), 5);
        let mut batch = RecordBatch::default();
        batch.base_sequence = i32::MAX;
        batch.last_offset_delta = 2;
        assert_eq!(last_sequence(&batch), 1);
    }
}
