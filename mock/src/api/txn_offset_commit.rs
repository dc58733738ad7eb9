//! TxnOffsetCommit: offsets held in the transaction at the group
//! coordinator, written to the group when the transaction commits and
//! dropped when it aborts (`txn.rs`). A member's generation is checked as
//! for OffsetCommit (KIP-447).

use ferrokafka_protocol::messages::txn_offset_commit::{
    TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};
use ferrokafka_protocol::messages::{TxnOffsetCommitRequest, TxnOffsetCommitResponse};
use ferrokafka_protocol::ErrorCode;

use super::Call;
use crate::offsets::Committed;
use crate::state::ClusterState;
use crate::txn::{PendingOffset, Status};

/// The checks before any offset is taken: the group's coordinator, the
/// transaction holding the group, the producer, the member.
fn check(
    state: &ClusterState,
    call: &Call<'_>,
    r: &TxnOffsetCommitRequest,
) -> Result<(), ErrorCode> {
    state.check_coordinator(call.broker, &r.group_id)?;
    let txn = state
        .transactions
        .by_id
        .get(&r.transactional_id)
        .ok_or(ErrorCode::InvalidProducerIdMapping)?;
    if txn.producer_id != r.producer_id {
        return Err(ErrorCode::InvalidProducerIdMapping);
    }
    if txn.epoch != r.producer_epoch {
        return Err(ErrorCode::InvalidProducerEpoch);
    }
    if txn.status != Status::Ongoing || !txn.groups.contains(&r.group_id) {
        // AddOffsetsToTxn did not come first (KIP-890 verification).
        return Err(if call.version >= 5 {
            ErrorCode::TransactionAbortable
        } else {
            ErrorCode::InvalidTxnState
        });
    }
    match state.groups.get(&r.group_id) {
        Some(g) if r.generation_id >= 0 || !r.member_id.is_empty() => g.check_commit(
            &r.member_id,
            r.group_instance_id.as_deref(),
            r.generation_id,
        ),
        None if r.generation_id >= 0 => Err(ErrorCode::UnknownMemberId),
        _ => Ok(()),
    }
}

/// TxnOffsetCommit, served at the group coordinator.
pub(super) async fn handle(
    call: &Call<'_>,
    request: &TxnOffsetCommitRequest,
) -> TxnOffsetCommitResponse {
    let state = &mut *call.shared.lock();
    let checked = check(state, call, request);
    let mut topics = Vec::with_capacity(request.topics.len());
    let mut pending = Vec::new();
    for t in &request.topics {
        let partitions = t
            .partitions
            .iter()
            .map(|p| {
                let result = checked.and_then(|()| {
                    if state.partition(&t.name, p.partition_index).is_none() {
                        return Err(ErrorCode::UnknownTopicOrPartition);
                    }
                    pending.push(PendingOffset {
                        group: request.group_id.clone(),
                        topic: t.name.clone(),
                        partition: p.partition_index,
                        committed: Committed {
                            offset: p.committed_offset,
                            leader_epoch: p.committed_leader_epoch,
                            metadata: p.committed_metadata.clone(),
                        },
                    });
                    Ok(())
                });
                TxnOffsetCommitResponsePartition {
                    partition_index: p.partition_index,
                    error_code: result.err().map_or(0, ErrorCode::code),
                    ..Default::default()
                }
            })
            .collect();
        topics.push(TxnOffsetCommitResponseTopic {
            name: t.name.clone(),
            partitions,
            ..Default::default()
        });
    }
    if let Some(txn) = state.transactions.by_id.get_mut(&request.transactional_id) {
        for o in pending {
            txn.offsets.retain(|x| {
                !(x.group == o.group && x.topic == o.topic && x.partition == o.partition)
            });
            txn.offsets.push(o);
        }
    }
    TxnOffsetCommitResponse {
        topics,
        ..Default::default()
    }
}

/// The code on every partition asked for.
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    request: &TxnOffsetCommitRequest,
    error: ErrorCode,
) -> TxnOffsetCommitResponse {
    TxnOffsetCommitResponse {
        topics: request
            .topics
            .iter()
            .map(|t| TxnOffsetCommitResponseTopic {
                name: t.name.clone(),
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| TxnOffsetCommitResponsePartition {
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
