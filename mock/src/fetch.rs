//! Fetch and ListOffsets: whole stored batches from an offset, with
//! long-polling, and offsets by position or timestamp. Fetch sessions are
//! not kept: every answer is a full one with session id 0, which tells a
//! client to go on with full fetches.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ferrokafka_protocol::messages::fetch::{
    FetchableTopicResponse, LeaderIdAndEpoch, NodeEndpoint, PartitionData,
};
use ferrokafka_protocol::messages::list_offsets::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use ferrokafka_protocol::messages::{
    FetchRequest, FetchResponse, ListOffsetsRequest, ListOffsetsResponse,
};
use ferrokafka_protocol::ErrorCode;
use tokio::time::Instant;

use super::state::{ClusterState, Partition, Shared};

/// ListOffsets' special timestamps.
const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;

/// Kafka's leader checks for a partition read at `broker`, with the epoch
/// the client knows (-1 for none).
fn leader_check(partition: &Partition, broker: i32, known_epoch: i32) -> Result<(), ErrorCode> {
    if partition.leader != broker {
        return Err(ErrorCode::NotLeaderOrFollower);
    }
    match known_epoch {
        e if e < 0 || e == partition.leader_epoch => Ok(()),
        e if e < partition.leader_epoch => Err(ErrorCode::FencedLeaderEpoch),
        _ => Err(ErrorCode::UnknownLeaderEpoch),
    }
}

/// Fetch: answers at once when `min_bytes` are there or a partition has an
/// error, else waits for appends until `max_wait_ms` has passed.
pub(crate) async fn fetch(
    shared: &Shared,
    broker: i32,
    version: i16,
    request: &FetchRequest,
) -> FetchResponse {
    let wait = Duration::from_millis(u64::try_from(request.max_wait_ms).unwrap_or(0));
    let deadline = Instant::now() + wait;
    let min_bytes = usize::try_from(request.min_bytes).unwrap_or(0);
    loop {
        // Registered before looking, so an append between the look and
        // the wait still wakes us.
        let notified = shared.data_arrived.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let (response, bytes, errored) = read(&shared.lock(), broker, version, request);
        if errored || bytes >= min_bytes || Instant::now() >= deadline {
            return response;
        }
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }
}

/// One pass over the partitions asked for: the response, the record bytes
/// in it, and whether any partition failed.
fn read(
    state: &ClusterState,
    broker: i32,
    version: i16,
    request: &FetchRequest,
) -> (FetchResponse, usize, bool) {
    if request.session_id != 0 {
        let response = FetchResponse {
            error_code: ErrorCode::FetchSessionIdNotFound.code(),
            ..Default::default()
        };
        return (response, 0, true);
    }
    let mut budget = usize::try_from(request.max_bytes).unwrap_or(0);
    let mut total = 0usize;
    let mut errored = false;
    let mut endpoints: Vec<NodeEndpoint> = Vec::new();
    let mut responses = Vec::with_capacity(request.topics.len());
    for t in &request.topics {
        let name = if version >= 13 {
            state.topic_name_by_id(t.topic_id)
        } else {
            state
                .topics
                .contains_key(&t.topic)
                .then_some(t.topic.as_str())
        };
        let mut partitions = Vec::with_capacity(t.partitions.len());
        for p in &t.partitions {
            let mut data = PartitionData {
                partition_index: p.partition,
                high_watermark: -1,
                records: Some(Bytes::new()),
                ..Default::default()
            };
            let found = match name {
                None if version >= 13 => Err(ErrorCode::UnknownTopicId),
                None => Err(ErrorCode::UnknownTopicOrPartition),
                Some(name) => state
                    .partition(name, p.partition)
                    .ok_or(ErrorCode::UnknownTopicOrPartition),
            };
            let result = found.and_then(|partition| {
                if let Err(e) = leader_check(partition, broker, p.current_leader_epoch) {
                    // Tell the client where to go instead (KIP-951).
                    data.current_leader = LeaderIdAndEpoch {
                        leader_id: partition.leader,
                        leader_epoch: partition.leader_epoch,
                        ..Default::default()
                    };
                    add_endpoint(state, partition.leader, &mut endpoints);
                    return Err(e);
                }
                Ok(partition)
            });
            match result {
                Err(e) => {
                    errored = true;
                    data.error_code = e.code();
                }
                Ok(partition) => {
                    let log = &partition.log;
                    data.high_watermark = log.high_watermark();
                    data.last_stable_offset = log.high_watermark();
                    data.log_start_offset = log.log_start_offset();
                    if p.fetch_offset < log.log_start_offset()
                        || p.fetch_offset > log.high_watermark()
                    {
                        errored = true;
                        data.error_code = ErrorCode::OffsetOutOfRange.code();
                    } else {
                        let limit = usize::try_from(p.partition_max_bytes)
                            .unwrap_or(0)
                            .min(budget);
                        let batches = log.read(p.fetch_offset, limit, total == 0);
                        let mut records = BytesMut::new();
                        for b in &batches {
                            records.extend_from_slice(b);
                        }
                        total += records.len();
                        budget = budget.saturating_sub(records.len());
                        data.records = Some(records.freeze());
                    }
                }
            }
            partitions.push(data);
        }
        responses.push(FetchableTopicResponse {
            topic: t.topic.clone(),
            topic_id: t.topic_id,
            partitions,
            ..Default::default()
        });
    }
    let response = FetchResponse {
        responses,
        node_endpoints: endpoints,
        ..Default::default()
    };
    (response, total, errored)
}

/// Adds `broker`'s endpoint to a response's `node_endpoints`, once.
fn add_endpoint(state: &ClusterState, broker: i32, endpoints: &mut Vec<NodeEndpoint>) {
    if let Some(b) = state.broker(broker) {
        if !endpoints.iter().any(|x| x.node_id == b.id) {
            endpoints.push(NodeEndpoint {
                node_id: b.id,
                host: "127.0.0.1".into(),
                port: i32::from(b.port),
                ..Default::default()
            });
        }
    }
}

/// ListOffsets: earliest, latest, max-timestamp, or the first offset at
/// or after a timestamp, at the partition leader.
pub(crate) fn list_offsets(
    state: &ClusterState,
    broker: i32,
    request: &ListOffsetsRequest,
) -> ListOffsetsResponse {
    let topics = request
        .topics
        .iter()
        .map(|t| ListOffsetsTopicResponse {
            name: t.name.clone(),
            partitions: t
                .partitions
                .iter()
                .map(|p| {
                    let found = state
                        .partition(&t.name, p.partition_index)
                        .ok_or(ErrorCode::UnknownTopicOrPartition)
                        .and_then(|partition| {
                            leader_check(partition, broker, p.current_leader_epoch)
                                .map(|()| partition)
                        });
                    match found {
                        Err(e) => ListOffsetsPartitionResponse {
                            partition_index: p.partition_index,
                            error_code: e.code(),
                            ..Default::default()
                        },
                        Ok(partition) => {
                            let (offset, timestamp, leader_epoch) = lookup(partition, p.timestamp);
                            ListOffsetsPartitionResponse {
                                partition_index: p.partition_index,
                                timestamp,
                                offset,
                                leader_epoch,
                                ..Default::default()
                            }
                        }
                    }
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    ListOffsetsResponse {
        topics,
        ..Default::default()
    }
}

/// One partition's (offset, timestamp, leader epoch) for `timestamp`.
fn lookup(partition: &Partition, timestamp: i64) -> (i64, i64, i32) {
    let log = &partition.log;
    let found = match timestamp {
        LATEST => return (log.high_watermark(), -1, partition.leader_epoch),
        EARLIEST | EARLIEST_LOCAL => {
            return (
                log.log_start_offset(),
                -1,
                log.epoch_at(log.log_start_offset()),
            )
        }
        MAX_TIMESTAMP => log.max_timestamp(),
        t if t < 0 => None,
        t => log.offset_for_timestamp(t),
    };
    match found {
        Some((offset, ts)) => (offset, ts, log.epoch_at(offset)),
        None => (-1, -1, -1),
    }
}
