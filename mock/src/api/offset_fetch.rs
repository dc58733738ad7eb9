//! OffsetFetch: a group's stored positions, one group (v1-7) or several
//! (v8+); v10 names topics by id.

use std::collections::BTreeMap;

use ferrokafka_protocol::messages::offset_fetch::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use ferrokafka_protocol::messages::{OffsetFetchRequest, OffsetFetchResponse};
use ferrokafka_protocol::{ErrorCode, Uuid};

use super::Call;
use crate::offsets::Committed;
use crate::state::ClusterState;

/// One group's committed offsets for the topics asked (all when `None`):
/// (topic name, topic id, [(partition, offset or error)]).
type GroupOffsets = Vec<(
    String,
    Uuid,
    Vec<(i32, Result<Option<Committed>, ErrorCode>)>,
)>;

/// Topics asked for: (name, or none to go by id; id; partitions).
type AskedTopics = Vec<(Option<String>, Uuid, Vec<i32>)>;

fn group_offsets(state: &ClusterState, group_id: &str, asked: Option<AskedTopics>) -> GroupOffsets {
    let empty = BTreeMap::new();
    let committed = state.offsets.groups.get(group_id).unwrap_or(&empty);
    let topic_id = |name: &str| state.topics.get(name).map_or(Uuid::ZERO, |t| t.id);
    match asked {
        None => {
            let mut out: GroupOffsets = Vec::new();
            for ((topic, partition), c) in committed {
                if out.last().is_none_or(|(t, _, _)| t != topic) {
                    out.push((topic.clone(), topic_id(topic), Vec::new()));
                }
                if let Some(last) = out.last_mut() {
                    last.2.push((*partition, Ok(Some(c.clone()))));
                }
            }
            out
        }
        Some(topics) => topics
            .into_iter()
            .map(|(name, id, partitions)| {
                let name = name.or_else(|| state.topic_name_by_id(id).map(str::to_owned));
                let results = partitions
                    .into_iter()
                    .map(|p| {
                        let r = match &name {
                            None => Err(ErrorCode::UnknownTopicId),
                            Some(n) => Ok(committed.get(&(n.clone(), p)).cloned()),
                        };
                        (p, r)
                    })
                    .collect();
                let id = name.as_deref().map_or(id, topic_id);
                (name.unwrap_or_default(), id, results)
            })
            .collect(),
    }
}

/// OffsetFetch, served.
pub(super) async fn handle(call: &Call<'_>, request: &OffsetFetchRequest) -> OffsetFetchResponse {
    let state = &*call.shared.lock();
    let (broker, version) = (call.broker, call.version);
    if version < 8 {
        let check = state.check_coordinator(broker, &request.group_id);
        let asked = request.topics.as_ref().map(|ts| {
            ts.iter()
                .map(|t| {
                    (
                        Some(t.name.clone()),
                        Uuid::ZERO,
                        t.partition_indexes.clone(),
                    )
                })
                .collect()
        });
        let topics = match check {
            // v1 has no top-level code: each partition carries it.
            Err(e) => request
                .topics
                .iter()
                .flatten()
                .map(|t| OffsetFetchResponseTopic {
                    name: t.name.clone(),
                    partitions: t
                        .partition_indexes
                        .iter()
                        .map(|&p| OffsetFetchResponsePartition {
                            partition_index: p,
                            committed_offset: -1,
                            error_code: e.code(),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                })
                .collect(),
            Ok(()) => group_offsets(state, &request.group_id, asked)
                .into_iter()
                .map(|(name, _, partitions)| OffsetFetchResponseTopic {
                    name,
                    partitions: partitions
                        .into_iter()
                        .map(|(p, r)| {
                            let c = r.as_ref().ok().cloned().flatten();
                            OffsetFetchResponsePartition {
                                partition_index: p,
                                committed_offset: c.as_ref().map_or(-1, |c| c.offset),
                                committed_leader_epoch: c.as_ref().map_or(-1, |c| c.leader_epoch),
                                metadata: Some(c.and_then(|c| c.metadata).unwrap_or_default()),
                                error_code: r.err().map_or(0, ErrorCode::code),
                                ..Default::default()
                            }
                        })
                        .collect(),
                    ..Default::default()
                })
                .collect(),
        };
        return OffsetFetchResponse {
            topics,
            error_code: check.err().map_or(0, ErrorCode::code),
            ..Default::default()
        };
    }
    let groups = request
        .groups
        .iter()
        .map(|g| {
            if let Err(e) = state.check_coordinator(broker, &g.group_id) {
                return OffsetFetchResponseGroup {
                    group_id: g.group_id.clone(),
                    error_code: e.code(),
                    ..Default::default()
                };
            }
            let asked = g.topics.as_ref().map(|ts| {
                ts.iter()
                    .map(|t| {
                        let name = (version < 10).then(|| t.name.clone());
                        (name, t.topic_id, t.partition_indexes.clone())
                    })
                    .collect()
            });
            let topics = group_offsets(state, &g.group_id, asked)
                .into_iter()
                .map(|(name, topic_id, partitions)| OffsetFetchResponseTopics {
                    name,
                    topic_id,
                    partitions: partitions
                        .into_iter()
                        .map(|(p, r)| {
                            let c = r.as_ref().ok().cloned().flatten();
                            OffsetFetchResponsePartitions {
                                partition_index: p,
                                committed_offset: c.as_ref().map_or(-1, |c| c.offset),
                                committed_leader_epoch: c.as_ref().map_or(-1, |c| c.leader_epoch),
                                metadata: Some(c.and_then(|c| c.metadata).unwrap_or_default()),
                                error_code: r.err().map_or(0, ErrorCode::code),
                                ..Default::default()
                            }
                        })
                        .collect(),
                    ..Default::default()
                })
                .collect();
            OffsetFetchResponseGroup {
                group_id: g.group_id.clone(),
                topics,
                ..Default::default()
            }
        })
        .collect();
    OffsetFetchResponse {
        groups,
        ..Default::default()
    }
}

/// The code at the top and on every partition asked for (v1 has no
/// top-level code), and on every group (v8+).
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    request: &OffsetFetchRequest,
    error: ErrorCode,
) -> OffsetFetchResponse {
    let code = error.code();
    OffsetFetchResponse {
        topics: request
            .topics
            .iter()
            .flatten()
            .map(|t| OffsetFetchResponseTopic {
                name: t.name.clone(),
                partitions: t
                    .partition_indexes
                    .iter()
                    .map(|&p| OffsetFetchResponsePartition {
                        partition_index: p,
                        committed_offset: -1,
                        error_code: code,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
        error_code: code,
        groups: request
            .groups
            .iter()
            .map(|g| OffsetFetchResponseGroup {
                group_id: g.group_id.clone(),
                error_code: code,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}
