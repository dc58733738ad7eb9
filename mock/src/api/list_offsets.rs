//! ListOffsets: earliest, latest, max-timestamp, or the first offset at
//! or after a timestamp, at the partition leader.

use ferrokafka_protocol::messages::list_offsets::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use ferrokafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};
use ferrokafka_protocol::ErrorCode;

use super::Call;
use crate::state::{ClusterState, Partition};

/// ListOffsets' special timestamps.
const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;

/// ListOffsets, served.
pub(super) async fn handle(call: &Call<'_>, request: &ListOffsetsRequest) -> ListOffsetsResponse {
    let state = &*call.shared.lock();
    let broker = call.broker;
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
                            partition
                                .check_leader(broker, p.current_leader_epoch)
                                .map(|()| partition)
                        });
                    match found {
                        Err(e) => ListOffsetsPartitionResponse {
                            partition_index: p.partition_index,
                            error_code: e.code(),
                            ..Default::default()
                        },
                        Ok(partition) => {
                            let (offset, timestamp, leader_epoch) =
                                lookup(partition, p.timestamp, request.isolation_level == 1);
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

/// One partition's (offset, timestamp, leader epoch) for `timestamp`;
/// `committed` (read_committed): the latest is the last stable offset.
fn lookup(partition: &Partition, timestamp: i64, committed: bool) -> (i64, i64, i32) {
    let log = &partition.log;
    let found = match timestamp {
        LATEST if committed => {
            let lso = partition.txns.last_stable_offset(log.high_watermark());
            return (lso, -1, partition.leader_epoch);
        }
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

/// The code on every partition asked for.
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    request: &ListOffsetsRequest,
    error: ErrorCode,
) -> ListOffsetsResponse {
    ListOffsetsResponse {
        topics: request
            .topics
            .iter()
            .map(|t| ListOffsetsTopicResponse {
                name: t.name.clone(),
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| ListOffsetsPartitionResponse {
                        partition_index: p.partition_index,
                        error_code: error.code(),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}
