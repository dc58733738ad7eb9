//! Produce: each partition's batch validated and appended at the
//! partition leader, after the idempotent producer's sequence check
//! (`producers.rs`); waiting fetches are woken when anything was appended.

use bytes::Bytes;
use ferrokafka_protocol::messages::produce::{
    LeaderIdAndEpoch, NodeEndpoint, PartitionProduceResponse, TopicProduceResponse,
};
use ferrokafka_protocol::messages::{ProduceRequest, ProduceResponse};
use ferrokafka_protocol::records::{decode_batches, DecodeOptions, RecordBatch};
use ferrokafka_protocol::ErrorCode;

use tokio::time::Instant;

use super::Call;
use crate::producers::{check_sequence, remember, Sequenced};
use crate::state::ClusterState;
use crate::txn::Status;

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

/// A transactional batch's check at its leader, as Kafka's verification
/// with the coordinator does it: the producer must be the transactional
/// id's current one; transactions v2 (Produce v12+ while the cluster's
/// `transaction.version` is 2) add the partition to the transaction here,
/// version 1 must have added it with AddPartitionsToTxn.
fn join_transaction(
    state: &mut ClusterState,
    transactional_id: Option<&str>,
    version: i16,
    topic: &str,
    index: i32,
    batch: &RecordBatch,
) -> Result<(), ErrorCode> {
    let v2 = version >= 12 && state.settings.transaction_version >= 2;
    let id = transactional_id
        .filter(|t| !t.is_empty())
        .ok_or(ErrorCode::InvalidRequest)?;
    let t = state
        .transactions
        .by_id
        .get_mut(id)
        .ok_or(ErrorCode::InvalidProducerIdMapping)?;
    if t.producer_id != batch.producer_id {
        return Err(ErrorCode::InvalidProducerIdMapping);
    }
    if t.epoch != batch.producer_epoch {
        // The coordinator's PRODUCER_FENCED, as the leader tells it.
        return Err(ErrorCode::InvalidProducerEpoch);
    }
    let key = (topic.to_owned(), index);
    if v2 {
        t.open(Instant::now());
        t.partitions.insert(key);
        return Ok(());
    }
    if t.status == Status::Ongoing && t.partitions.contains(&key) {
        Ok(())
    } else {
        Err(ErrorCode::InvalidTxnState)
    }
}

/// One partition's outcome: its response and whether records were added.
fn produce_partition(
    state: &mut ClusterState,
    (broker, version, transactional_id): (i32, i16, Option<&str>),
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
    let leads = state
        .partition(topic, index)
        .is_some_and(|p| p.leader == broker);
    let batch = match single_batch(records) {
        Ok(b) => b,
        Err(code) if leads => return (fail(code), false),
        Err(_) => RecordBatch::default(),
    };
    if leads && batch.is_transactional {
        if let Err(code) = join_transaction(state, transactional_id, version, topic, index, &batch)
        {
            return (fail(code), false);
        }
    }
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
            if batch.is_transactional {
                partition.txns.appended(batch.producer_id, offset);
            }
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
fn produce(
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
                            (broker, version, request.transactional_id.as_deref()),
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

/// Produce, served. With acks=0 the dispatcher sends nothing back, but the
/// records are appended all the same.
pub(super) async fn handle(call: &Call<'_>, request: &ProduceRequest) -> ProduceResponse {
    let (response, appended) = produce(&mut call.shared.lock(), call.broker, call.version, request);
    if appended {
        call.shared.data_arrived.notify_waiters();
    }
    response
}

/// The code on every partition asked for, nothing appended.
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    request: &ProduceRequest,
    error: ErrorCode,
) -> ProduceResponse {
    ProduceResponse {
        responses: request
            .topic_data
            .iter()
            .map(|t| TopicProduceResponse {
                name: t.name.clone(),
                topic_id: t.topic_id,
                partition_responses: t
                    .partition_data
                    .iter()
                    .map(|p| PartitionProduceResponse {
                        index: p.index,
                        error_code: error.code(),
                        base_offset: -1,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}
