//! OffsetCommit: each partition's position stored for the group (at its
//! coordinator, from a member of its current generation), or why not;
//! v10 names topics by id.

use ferrokafka_protocol::messages::offset_commit::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use ferrokafka_protocol::messages::{OffsetCommitRequest, OffsetCommitResponse};
use ferrokafka_protocol::ErrorCode;

use super::Call;
use crate::offsets::Committed;
use crate::state::ClusterState;

/// OffsetCommit, served.
pub(super) async fn handle(call: &Call<'_>, request: &OffsetCommitRequest) -> OffsetCommitResponse {
    let state = &mut *call.shared.lock();
    let version = call.version;
    let group_check = state
        .check_coordinator(call.broker, &request.group_id)
        .and_then(|()| match state.groups.get(&request.group_id) {
            // KIP-848: the member's epoch in place of the generation.
            None if state.consumer_groups.contains_key(&request.group_id) => state
                .consumer_groups
                .get(&request.group_id)
                .map_or(Ok(()), |g| {
                    g.check_commit(&request.member_id, request.generation_id_or_member_epoch)
                }),
            Some(g) => g.check_commit(
                &request.member_id,
                request.group_instance_id.as_deref(),
                request.generation_id_or_member_epoch,
            ),
            None if request.generation_id_or_member_epoch < 0 => Ok(()),
            None => Err(ErrorCode::UnknownMemberId),
        });
    let mut topics = Vec::with_capacity(request.topics.len());
    for t in &request.topics {
        let name = if version >= 10 {
            state.topic_name_by_id(t.topic_id).map(str::to_owned)
        } else {
            Some(t.name.clone())
        };
        let partitions = t
            .partitions
            .iter()
            .map(|p| {
                let result = group_check.and_then(|()| match &name {
                    None => Err(ErrorCode::UnknownTopicId),
                    Some(n) if state.partition(n, p.partition_index).is_none() => {
                        Err(ErrorCode::UnknownTopicOrPartition)
                    }
                    Some(n) => {
                        state
                            .offsets
                            .groups
                            .entry(request.group_id.clone())
                            .or_default()
                            .insert(
                                (n.clone(), p.partition_index),
                                Committed {
                                    offset: p.committed_offset,
                                    leader_epoch: p.committed_leader_epoch,
                                    metadata: p.committed_metadata.clone(),
                                },
                            );
                        Ok(())
                    }
                });
                OffsetCommitResponsePartition {
                    partition_index: p.partition_index,
                    error_code: result.err().map_or(0, ErrorCode::code),
                    ..Default::default()
                }
            })
            .collect();
        topics.push(OffsetCommitResponseTopic {
            name: t.name.clone(),
            topic_id: t.topic_id,
            partitions,
            ..Default::default()
        });
    }
    OffsetCommitResponse {
        topics,
        ..Default::default()
    }
}

/// The code on every partition asked for, nothing stored.
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    request: &OffsetCommitRequest,
    error: ErrorCode,
) -> OffsetCommitResponse {
    OffsetCommitResponse {
        topics: request
            .topics
            .iter()
            .map(|t| OffsetCommitResponseTopic {
                name: t.name.clone(),
                topic_id: t.topic_id,
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| OffsetCommitResponsePartition {
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
