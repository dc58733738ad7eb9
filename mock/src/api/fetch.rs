//! Fetch: whole stored batches from an offset, with long-polling. Fetch
//! sessions are not kept: every answer is a full one with session id 0,
//! which tells a client to go on with full fetches.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ferrokafka_protocol::messages::fetch::{
    AbortedTransaction, FetchableTopicResponse, LeaderIdAndEpoch, NodeEndpoint, PartitionData,
};
use ferrokafka_protocol::messages::{FetchRequest, FetchResponse};
use ferrokafka_protocol::ErrorCode;
use tokio::time::Instant;

use super::Call;
use crate::state::ClusterState;

/// Fetch, served: answered at once when `min_bytes` are there or a
/// partition has an error, else when appends bring them or `max_wait_ms`
/// has passed.
pub(super) async fn handle(call: &Call<'_>, request: &FetchRequest) -> FetchResponse {
    let Call {
        shared,
        broker,
        version,
        ..
    } = *call;
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
                if let Err(e) = partition.check_leader(broker, p.current_leader_epoch) {
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
                    let lso = partition.txns.last_stable_offset(log.high_watermark());
                    // read_committed stops at the last stable offset.
                    let committed = request.isolation_level == 1;
                    let end = if committed { lso } else { i64::MAX };
                    data.high_watermark = log.high_watermark();
                    data.last_stable_offset = lso;
                    if committed {
                        let aborted = partition.txns.aborted_in(p.fetch_offset, lso);
                        data.aborted_transactions = Some(
                            aborted
                                .into_iter()
                                .map(|(producer_id, first_offset)| AbortedTransaction {
                                    producer_id,
                                    first_offset,
                                    ..Default::default()
                                })
                                .collect(),
                        );
                    }
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
                        let batches = log.read_below(p.fetch_offset, end, limit, total == 0);
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

/// A session error, or a request with nothing to put it on, takes the
/// top-level field; otherwise each partition asked for carries the code.
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    request: &FetchRequest,
    error: ErrorCode,
) -> FetchResponse {
    let code = error.code();
    let partitions: usize = request.topics.iter().map(|t| t.partitions.len()).sum();
    let top = partitions == 0
        || matches!(
            error,
            ErrorCode::FetchSessionIdNotFound | ErrorCode::InvalidFetchSessionEpoch
        );
    FetchResponse {
        error_code: if top { code } else { 0 },
        responses: request
            .topics
            .iter()
            .map(|t| FetchableTopicResponse {
                topic: t.topic.clone(),
                topic_id: t.topic_id,
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| PartitionData {
                        partition_index: p.partition,
                        error_code: if top { 0 } else { code },
                        high_watermark: -1,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}
