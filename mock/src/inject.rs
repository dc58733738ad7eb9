//! Responses carrying an injected error code: the request's own topics,
//! partitions, groups or keys echoed back, each with the code, in every
//! error field the API has at the version asked.

use ferrokafka_protocol::messages::{
    create_topics, delete_topics, fetch, find_coordinator, leave_group, list_offsets, metadata,
    offset_commit, offset_fetch, produce, ApiVersionsResponse, CreateTopicsResponse,
    DeleteTopicsResponse, FetchResponse, FindCoordinatorResponse, HeartbeatResponse,
    InitProducerIdResponse, JoinGroupResponse, LeaveGroupResponse, ListOffsetsResponse,
    MetadataResponse, OffsetCommitResponse, OffsetFetchResponse, ProduceResponse, RequestBody,
    ResponseBody, SaslAuthenticateResponse, SaslHandshakeResponse, SyncGroupResponse,
};
use ferrokafka_protocol::ErrorCode;

use super::metadata::{api_keys, brokers};
use super::state::ClusterState;

/// The response to `request` (at `version`) failing with `error`; `None`
/// for a request this mock cannot fail (it is then served as usual).
pub(crate) fn error_response(
    state: &ClusterState,
    request: &RequestBody,
    version: i16,
    error: ErrorCode,
) -> Option<ResponseBody> {
    let code = error.code();
    Some(match request {
        RequestBody::Produce(r) => ResponseBody::Produce(ProduceResponse {
            responses: r
                .topic_data
                .iter()
                .map(|t| produce::TopicProduceResponse {
                    name: t.name.clone(),
                    topic_id: t.topic_id,
                    partition_responses: t
                        .partition_data
                        .iter()
                        .map(|p| produce::PartitionProduceResponse {
                            index: p.index,
                            error_code: code,
                            base_offset: -1,
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
        RequestBody::Fetch(r) => {
            let partitions: usize = r.topics.iter().map(|t| t.partitions.len()).sum();
            // A session error, or a request with nothing to put it on,
            // takes the top-level field; otherwise each partition does.
            let top = partitions == 0
                || matches!(
                    error,
                    ErrorCode::FetchSessionIdNotFound | ErrorCode::InvalidFetchSessionEpoch
                );
            ResponseBody::Fetch(FetchResponse {
                error_code: if top { code } else { 0 },
                responses: r
                    .topics
                    .iter()
                    .map(|t| fetch::FetchableTopicResponse {
                        topic: t.topic.clone(),
                        topic_id: t.topic_id,
                        partitions: t
                            .partitions
                            .iter()
                            .map(|p| fetch::PartitionData {
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
            })
        }
        RequestBody::ListOffsets(r) => ResponseBody::ListOffsets(ListOffsetsResponse {
            topics: r
                .topics
                .iter()
                .map(|t| list_offsets::ListOffsetsTopicResponse {
                    name: t.name.clone(),
                    partitions: t
                        .partitions
                        .iter()
                        .map(|p| list_offsets::ListOffsetsPartitionResponse {
                            partition_index: p.partition_index,
                            error_code: code,
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
        RequestBody::Metadata(r) => {
            let topics: Vec<metadata::MetadataResponseTopic> = match &r.topics {
                Some(topics) => topics
                    .iter()
                    .map(|t| metadata::MetadataResponseTopic {
                        error_code: code,
                        name: t.name.clone().or_else(|| (version < 12).then(String::new)),
                        topic_id: t.topic_id,
                        ..Default::default()
                    })
                    .collect(),
                None => state
                    .topics
                    .iter()
                    .map(|(name, t)| metadata::MetadataResponseTopic {
                        error_code: code,
                        name: Some(name.clone()),
                        topic_id: t.id,
                        ..Default::default()
                    })
                    .collect(),
            };
            ResponseBody::Metadata(MetadataResponse {
                brokers: brokers(state),
                cluster_id: Some(state.cluster_id.clone()),
                controller_id: state.controller_id(),
                topics,
                error_code: code,
                ..Default::default()
            })
        }
        RequestBody::OffsetCommit(r) => ResponseBody::OffsetCommit(OffsetCommitResponse {
            topics: r
                .topics
                .iter()
                .map(|t| offset_commit::OffsetCommitResponseTopic {
                    name: t.name.clone(),
                    topic_id: t.topic_id,
                    partitions: t
                        .partitions
                        .iter()
                        .map(|p| offset_commit::OffsetCommitResponsePartition {
                            partition_index: p.partition_index,
                            error_code: code,
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
        RequestBody::OffsetFetch(r) => ResponseBody::OffsetFetch(OffsetFetchResponse {
            // v1 has no top-level code: each partition carries it.
            topics: r
                .topics
                .iter()
                .flatten()
                .map(|t| offset_fetch::OffsetFetchResponseTopic {
                    name: t.name.clone(),
                    partitions: t
                        .partition_indexes
                        .iter()
                        .map(|&p| offset_fetch::OffsetFetchResponsePartition {
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
            groups: r
                .groups
                .iter()
                .map(|g| offset_fetch::OffsetFetchResponseGroup {
                    group_id: g.group_id.clone(),
                    error_code: code,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
        RequestBody::FindCoordinator(r) => ResponseBody::FindCoordinator(FindCoordinatorResponse {
            error_code: code,
            error_message: Some(error.name().to_owned()),
            node_id: -1,
            host: String::new(),
            port: -1,
            coordinators: r
                .coordinator_keys
                .iter()
                .map(|k| find_coordinator::Coordinator {
                    key: k.clone(),
                    node_id: -1,
                    port: -1,
                    error_code: code,
                    error_message: Some(error.name().to_owned()),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
        RequestBody::JoinGroup(r) => ResponseBody::JoinGroup(JoinGroupResponse {
            error_code: code,
            member_id: r.member_id.clone(),
            protocol_name: (version < 7).then(String::new),
            ..Default::default()
        }),
        RequestBody::Heartbeat(_) => ResponseBody::Heartbeat(HeartbeatResponse {
            error_code: code,
            ..Default::default()
        }),
        RequestBody::LeaveGroup(r) => ResponseBody::LeaveGroup(LeaveGroupResponse {
            error_code: code,
            members: r
                .members
                .iter()
                .map(|m| leave_group::MemberResponse {
                    member_id: m.member_id.clone(),
                    group_instance_id: m.group_instance_id.clone(),
                    error_code: code,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
        RequestBody::SyncGroup(_) => ResponseBody::SyncGroup(SyncGroupResponse {
            error_code: code,
            ..Default::default()
        }),
        RequestBody::SaslHandshake(_) => ResponseBody::SaslHandshake(SaslHandshakeResponse {
            error_code: code,
            mechanisms: vec!["PLAIN".into()],
            ..Default::default()
        }),
        RequestBody::ApiVersions(_) => ResponseBody::ApiVersions(ApiVersionsResponse {
            error_code: code,
            api_keys: api_keys(),
            ..Default::default()
        }),
        RequestBody::CreateTopics(r) => ResponseBody::CreateTopics(CreateTopicsResponse {
            topics: r
                .topics
                .iter()
                .map(|t| create_topics::CreatableTopicResult {
                    name: t.name.clone(),
                    error_code: code,
                    error_message: Some(error.name().to_owned()),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
        RequestBody::DeleteTopics(r) => ResponseBody::DeleteTopics(DeleteTopicsResponse {
            responses: r
                .topic_names
                .iter()
                .map(|n| delete_topics::DeletableTopicResult {
                    name: Some(n.clone()),
                    error_code: code,
                    ..Default::default()
                })
                .chain(
                    r.topics
                        .iter()
                        .map(|t| delete_topics::DeletableTopicResult {
                            name: t.name.clone(),
                            topic_id: t.topic_id,
                            error_code: code,
                            ..Default::default()
                        }),
                )
                .collect(),
            ..Default::default()
        }),
        RequestBody::InitProducerId(_) => ResponseBody::InitProducerId(InitProducerIdResponse {
            error_code: code,
            ..Default::default()
        }),
        RequestBody::SaslAuthenticate(_) => {
            ResponseBody::SaslAuthenticate(SaslAuthenticateResponse {
                error_code: code,
                error_message: Some(error.name().to_owned()),
                ..Default::default()
            })
        }
        // A request this mock does not know how to fail: answer it as
        // normal rather than guess at its shape.
        _ => return None,
    })
}
