//! Produce and InitProducerId: batches validated and appended at the
//! partition leader, and idempotent producers' sequence checks, as
//! Kafka's `ProducerStateManager` makes them (the last five batches of
//! each producer on each partition are remembered, so a retried batch is
//! answered with the offset it already got).

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;
use ferrokafka_protocol::messages::produce::{
    LeaderIdAndEpoch, NodeEndpoint, PartitionProduceResponse, TopicProduceResponse,
};
use ferrokafka_protocol::messages::{
    InitProducerIdRequest, InitProducerIdResponse, ProduceRequest, ProduceResponse,
};
use ferrokafka_protocol::records::{decode_batches, DecodeOptions, RecordBatch};
use ferrokafka_protocol::ErrorCode;

use super::state::{ClusterState, Partition};

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
    epochs: HashMap<i64, i16>,
    /// The producer id of each transactional id.
    transactional: HashMap<String, i64>,
}

impl ProducerIds {
    fn new_id(&mut self) -> i64 {
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
enum Sequenced {
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
fn check_sequence(
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
fn remember(ids: &mut ProducerIds, partition: &mut Partition, batch: &RecordBatch, offset: i64) {
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

/// The one batch of a partition's `records`: Produce v3+ carries exactly
/// one, as Kafka insists.
fn single_batch(records: Option<&Bytes>) -> Result<RecordBatch, ErrorCode> {
    let records = records.ok_or(ErrorCode::InvalidRecord)?;
    let mut decoded = decode_batches(records.clone(), &DecodeOptions::default())
        .map_err(|_| ErrorCode::CorruptMessage)?;
    if decoded.partial_tail > 0 {
        return Err(ErrorCode::CorruptMessage);
    }
    if decoded.batches.len() != 1 {
        return Err(ErrorCode::InvalidRecord);
    }
    let batch = decoded.batches.remove(0);
    if batch.is_empty() || batch.is_control {
        return Err(ErrorCode::InvalidRecord);
    }
    Ok(batch)
}

/// One partition's outcome: its response and whether records were added.
fn produce_partition(
    state: &mut ClusterState,
    broker: i32,
    topic: &str,
    index: i32,
    records: Option<&Bytes>,
    endpoints: &mut Vec<NodeEndpoint>,
) -> (PartitionProduceResponse, bool) {
    let fail = |code: ErrorCode| PartitionProduceResponse {
        index,
        error_code: code.code(),
        base_offset: -1,
        ..Default::default()
    };
    let retention = state.retention_for(topic);
    let ClusterState {
        topics,
        producer_ids,
        brokers,
        ..
    } = state;
    let Some(partition) = topics
        .get_mut(topic)
        .and_then(|t| t.partitions.get_mut(usize::try_from(index).ok()?))
    else {
        return (fail(ErrorCode::UnknownTopicOrPartition), false);
    };
    if partition.leader != broker {
        let mut r = fail(ErrorCode::NotLeaderOrFollower);
        r.current_leader = LeaderIdAndEpoch {
            leader_id: partition.leader,
            leader_epoch: partition.leader_epoch,
            ..Default::default()
        };
        if let Some(b) = brokers.iter().find(|b| b.id == partition.leader) {
            if !endpoints.iter().any(|e| e.node_id == b.id) {
                endpoints.push(NodeEndpoint {
                    node_id: b.id,
                    host: "127.0.0.1".into(),
                    port: i32::from(b.port),
                    ..Default::default()
                });
            }
        }
        return (r, false);
    }
    let batch = match single_batch(records) {
        Ok(b) => b,
        Err(code) => return (fail(code), false),
    };
    let (base_offset, appended) = match check_sequence(producer_ids, partition, &batch) {
        Err(code) => return (fail(code), false),
        Ok(Sequenced::Duplicate(offset)) => (offset, false),
        Ok(Sequenced::Append) => {
            // `single_batch` saw exactly one whole batch: it is all of
            // `records`.
            let raw = records.cloned().unwrap_or_default();
            let offset = partition
                .log
                .append(&raw, &batch, partition.leader_epoch, retention);
            remember(producer_ids, partition, &batch, offset);
            (offset, true)
        }
    };
    let response = PartitionProduceResponse {
        index,
        base_offset,
        log_start_offset: partition.log.log_start_offset(),
        ..Default::default()
    };
    (response, appended)
}

/// Produce: every partition's batch appended (or refused), and whether
/// anything was appended (to wake waiting fetches).
pub(crate) fn produce(
    state: &mut ClusterState,
    broker: i32,
    version: i16,
    request: &ProduceRequest,
) -> (ProduceResponse, bool) {
    let acks_ok = matches!(request.acks, -1..=1);
    let mut appended = false;
    let mut endpoints = Vec::new();
    let mut responses = Vec::new();
    for t in &request.topic_data {
        let name = if version >= 13 {
            state.topic_name_by_id(t.topic_id).map(str::to_owned)
        } else {
            state.auto_create(&t.name);
            Some(t.name.clone())
        };
        let partition_responses = t
            .partition_data
            .iter()
            .map(|p| {
                let code = match &name {
                    _ if !acks_ok => ErrorCode::InvalidRequiredAcks,
                    None => ErrorCode::UnknownTopicId,
                    Some(name) => {
                        let (r, added) = produce_partition(
                            state,
                            broker,
                            name,
                            p.index,
                            p.records.as_ref(),
                            &mut endpoints,
                        );
                        appended |= added;
                        return r;
                    }
                };
                PartitionProduceResponse {
                    index: p.index,
                    error_code: code.code(),
                    base_offset: -1,
                    ..Default::default()
                }
            })
            .collect();
        responses.push(TopicProduceResponse {
            name: t.name.clone(),
            topic_id: t.topic_id,
            partition_responses,
            ..Default::default()
        });
    }
    let response = ProduceResponse {
        responses,
        node_endpoints: endpoints,
        ..Default::default()
    };
    (response, appended)
}

/// InitProducerId. Without a transactional id every call gets a new
/// producer id at epoch 0, as Kafka does; a transactional id keeps its
/// producer id and gets the next epoch (a new id once the epoch runs out).
pub(crate) fn init_producer_id(
    state: &mut ClusterState,
    broker: i32,
    request: &InitProducerIdRequest,
) -> InitProducerIdResponse {
    let fail = |code: ErrorCode| InitProducerIdResponse {
        error_code: code.code(),
        ..Default::default()
    };
    let transactional_id = request
        .transactional_id
        .as_deref()
        .filter(|t| !t.is_empty());
    let Some(transactional_id) = transactional_id else {
        let producer_id = state.producer_ids.new_id();
        return InitProducerIdResponse {
            producer_id,
            producer_epoch: 0,
            ..Default::default()
        };
    };
    if state.coordinator_for(transactional_id) != broker {
        return fail(ErrorCode::NotCoordinator);
    }
    let ids = &mut state.producer_ids;
    let existing = ids
        .transactional
        .get(transactional_id)
        .copied()
        .and_then(|id| Some((id, *ids.epochs.get(&id)?)));
    let (producer_id, producer_epoch) = match existing {
        // A producer naming its id and epoch must name the current ones.
        Some((id, epoch))
            if request.producer_id >= 0
                && (request.producer_id != id || request.producer_epoch != epoch) =>
        {
            return fail(ErrorCode::ProducerFenced);
        }
        Some((id, epoch)) if epoch < i16::MAX - 1 => {
            ids.epochs.insert(id, epoch + 1);
            (id, epoch + 1)
        }
        _ => (ids.new_id(), 0),
    };
    ids.transactional
        .insert(transactional_id.to_owned(), producer_id);
    InitProducerIdResponse {
        producer_id,
        producer_epoch,
        ..Default::default()
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
