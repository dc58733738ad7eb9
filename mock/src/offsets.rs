//! FindCoordinator, OffsetCommit and OffsetFetch: where a group lives and
//! the positions it stores, every version the protocol crate speaks (v8+
//! OffsetFetch asks for several groups at once; v10 names topics by id).

use std::collections::{BTreeMap, HashMap};

use ferrokafka_protocol::messages::find_coordinator::Coordinator;
use ferrokafka_protocol::messages::offset_commit::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use ferrokafka_protocol::messages::offset_fetch::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use ferrokafka_protocol::messages::{
    FindCoordinatorRequest, FindCoordinatorResponse, OffsetCommitRequest, OffsetCommitResponse,
    OffsetFetchRequest, OffsetFetchResponse,
};
use ferrokafka_protocol::{ErrorCode, Uuid};

use super::state::ClusterState;

/// One committed position.
#[derive(Debug, Clone)]
struct Committed {
    offset: i64,
    leader_epoch: i32,
    metadata: Option<String>,
}

/// Every group's committed offsets, by topic name and partition.
#[derive(Debug, Default)]
pub(crate) struct CommittedOffsets {
    groups: HashMap<String, BTreeMap<(String, i32), Committed>>,
}

impl CommittedOffsets {
    /// Drops a deleted topic's offsets from every group.
    pub(crate) fn forget_topic(&mut self, topic: &str) {
        for offsets in self.groups.values_mut() {
            offsets.retain(|(t, _), _| t != topic);
        }
    }
}

/// FindCoordinator: one key (v0-3) or several (v4+).
pub(crate) fn find_coordinator(
    state: &ClusterState,
    version: i16,
    request: &FindCoordinatorRequest,
) -> FindCoordinatorResponse {
    let locate = |key: &str| -> Result<(i32, u16), ErrorCode> {
        if !matches!(request.key_type, 0 | 1) {
            return Err(ErrorCode::InvalidRequest);
        }
        let id = state.coordinator_for(key);
        match state.broker(id) {
            Some(b) if b.up => Ok((b.id, b.port)),
            _ => Err(ErrorCode::CoordinatorNotAvailable),
        }
    };
    if version < 4 {
        return match locate(&request.key) {
            Ok((node_id, port)) => FindCoordinatorResponse {
                error_message: None,
                node_id,
                host: "127.0.0.1".into(),
                port: i32::from(port),
                ..Default::default()
            },
            Err(e) => FindCoordinatorResponse {
                error_code: e.code(),
                error_message: Some(e.name().to_owned()),
                node_id: -1,
                port: -1,
                ..Default::default()
            },
        };
    }
    let coordinators = request
        .coordinator_keys
        .iter()
        .map(|key| match locate(key) {
            Ok((node_id, port)) => Coordinator {
                key: key.clone(),
                node_id,
                host: "127.0.0.1".into(),
                port: i32::from(port),
                error_message: None,
                ..Default::default()
            },
            Err(e) => Coordinator {
                key: key.clone(),
                node_id: -1,
                port: -1,
                error_code: e.code(),
                error_message: Some(e.name().to_owned()),
                ..Default::default()
            },
        })
        .collect();
    FindCoordinatorResponse {
        coordinators,
        ..Default::default()
    }
}

/// Whether `broker` coordinates `group_id`.
fn coordinator_check(state: &ClusterState, broker: i32, group_id: &str) -> Result<(), ErrorCode> {
    if group_id.is_empty() {
        Err(ErrorCode::InvalidGroupId)
    } else if state.coordinator_for(group_id) != broker {
        Err(ErrorCode::NotCoordinator)
    } else {
        Ok(())
    }
}

/// OffsetCommit: each partition stored, or why not.
pub(crate) fn offset_commit(
    state: &mut ClusterState,
    broker: i32,
    version: i16,
    request: &OffsetCommitRequest,
) -> OffsetCommitResponse {
    let group_check =
        coordinator_check(state, broker, &request.group_id).and_then(|()| {
            match state.groups.get(&request.group_id) {
                Some(g) => g.check_commit(
                    &request.member_id,
                    request.group_instance_id.as_deref(),
                    request.generation_id_or_member_epoch,
                ),
                None if request.generation_id_or_member_epoch < 0 => Ok(()),
                None => Err(ErrorCode::UnknownMemberId),
            }
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

/// OffsetFetch: one group (v1-7) or several (v8+).
pub(crate) fn offset_fetch(
    state: &ClusterState,
    broker: i32,
    version: i16,
    request: &OffsetFetchRequest,
) -> OffsetFetchResponse {
    if version < 8 {
        let check = coordinator_check(state, broker, &request.group_id);
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
            if let Err(e) = coordinator_check(state, broker, &g.group_id) {
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
