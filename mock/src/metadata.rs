//! ApiVersions, Metadata, CreateTopics and DeleteTopics: what the cluster
//! speaks, what it holds, and changing what it holds. Any broker takes
//! CreateTopics and DeleteTopics, as KRaft brokers forward them.

use ferrokafka_protocol::messages::api_versions::ApiVersion;
use ferrokafka_protocol::messages::create_topics::CreatableTopicResult;
use ferrokafka_protocol::messages::delete_topics::DeletableTopicResult;
use ferrokafka_protocol::messages::metadata::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use ferrokafka_protocol::messages::{
    ApiVersionsResponse, CreateTopicsRequest, CreateTopicsResponse, DeleteTopicsRequest,
    DeleteTopicsResponse, MetadataRequest, MetadataResponse,
};
use ferrokafka_protocol::{ErrorCode, Uuid, SUPPORTED_APIS};

use super::state::{ClusterState, Topic};

/// Every API and version range the protocol crate speaks: what the mock
/// serves.
pub(crate) fn api_keys() -> Vec<ApiVersion> {
    SUPPORTED_APIS
        .iter()
        .map(|s| ApiVersion {
            api_key: s.api_key as i16,
            min_version: s.min_version,
            max_version: s.max_version,
            ..Default::default()
        })
        .collect()
}

/// The ApiVersions answer (the version check happens before decoding: see
/// the broker loop).
pub(crate) fn api_versions() -> ApiVersionsResponse {
    ApiVersionsResponse {
        api_keys: api_keys(),
        ..Default::default()
    }
}

/// Every broker, up or down: a broker going down does not change metadata
/// (move leaders away with `set_leader`).
pub(crate) fn brokers(state: &ClusterState) -> Vec<MetadataResponseBroker> {
    state
        .brokers
        .iter()
        .map(|b| MetadataResponseBroker {
            node_id: b.id,
            host: "127.0.0.1".into(),
            port: i32::from(b.port),
            rack: None,
            ..Default::default()
        })
        .collect()
}

fn topic_metadata(name: &str, topic: &Topic) -> MetadataResponseTopic {
    MetadataResponseTopic {
        name: Some(name.to_owned()),
        topic_id: topic.id,
        partitions: topic
            .partitions
            .iter()
            .enumerate()
            .map(|(i, p)| MetadataResponsePartition {
                partition_index: i as i32,
                leader_id: p.leader,
                leader_epoch: p.leader_epoch,
                replica_nodes: p.replicas.clone(),
                isr_nodes: p.replicas.clone(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

/// Metadata: the brokers, the controller and the topics asked about (all
/// of them for a null list), creating unknown ones when auto-creation is
/// on and the request allows it.
pub(crate) fn metadata(
    state: &mut ClusterState,
    version: i16,
    request: &MetadataRequest,
) -> MetadataResponse {
    let topics = match &request.topics {
        None => state
            .topics
            .iter()
            .map(|(name, t)| topic_metadata(name, t))
            .collect(),
        Some(asked) => asked
            .iter()
            .map(|t| {
                let name = match &t.name {
                    Some(name) => Some(name.clone()),
                    None => state.topic_name_by_id(t.topic_id).map(str::to_owned),
                };
                let Some(name) = name else {
                    return MetadataResponseTopic {
                        error_code: ErrorCode::UnknownTopicId.code(),
                        name: (version < 12).then(String::new),
                        topic_id: t.topic_id,
                        ..Default::default()
                    };
                };
                // v0-3 cannot say no: for them auto-creation is the
                // broker's choice alone.
                let allowed = version < 4 || request.allow_auto_topic_creation;
                let exists = if allowed {
                    state.auto_create(&name)
                } else {
                    state.topics.contains_key(&name)
                };
                match state.topics.get(&name) {
                    Some(topic) if exists => topic_metadata(&name, topic),
                    _ => MetadataResponseTopic {
                        error_code: ErrorCode::UnknownTopicOrPartition.code(),
                        name: Some(name),
                        ..Default::default()
                    },
                }
            })
            .collect(),
    };
    MetadataResponse {
        brokers: brokers(state),
        cluster_id: Some(state.cluster_id.clone()),
        controller_id: state.controller_id(),
        topics,
        ..Default::default()
    }
}

/// CreateTopics: each topic created, or why not.
pub(crate) fn create_topics(
    state: &mut ClusterState,
    request: &CreateTopicsRequest,
) -> CreateTopicsResponse {
    let topics = request
        .topics
        .iter()
        .map(|t| {
            let assignment: Vec<Vec<i32>> = {
                let mut a: Vec<_> = t.assignments.iter().collect();
                a.sort_by_key(|p| p.partition_index);
                a.into_iter().map(|p| p.broker_ids.clone()).collect()
            };
            let retention = t
                .configs
                .iter()
                .find(|c| c.name == "retention.bytes")
                .and_then(|c| c.value.as_deref()?.parse::<i64>().ok())
                .and_then(|v| usize::try_from(v).ok());
            let result = state.create_topic(
                &t.name,
                t.num_partitions,
                t.replication_factor,
                &assignment,
                retention,
                request.validate_only,
            );
            match result {
                Ok((topic_id, partitions, replication)) => CreatableTopicResult {
                    name: t.name.clone(),
                    topic_id,
                    error_message: None,
                    num_partitions: partitions,
                    replication_factor: replication,
                    configs: Some(Vec::new()),
                    ..Default::default()
                },
                Err(e) => CreatableTopicResult {
                    name: t.name.clone(),
                    error_code: e.code(),
                    error_message: Some(e.name().to_owned()),
                    ..Default::default()
                },
            }
        })
        .collect();
    CreateTopicsResponse {
        topics,
        ..Default::default()
    }
}

/// DeleteTopics: by name (v1-5) or by name or id (v6+).
pub(crate) fn delete_topics(
    state: &mut ClusterState,
    request: &DeleteTopicsRequest,
) -> DeleteTopicsResponse {
    let asked = request
        .topic_names
        .iter()
        .map(|n| (Some(n.clone()), Uuid::ZERO))
        .chain(request.topics.iter().map(|t| (t.name.clone(), t.topic_id)));
    let mut responses = Vec::new();
    for (name, topic_id) in asked {
        let by_id = name.is_none();
        let found = match &name {
            Some(n) => state.topics.contains_key(n).then(|| n.clone()),
            None => state.topic_name_by_id(topic_id).map(str::to_owned),
        };
        let error = match &found {
            None if by_id => ErrorCode::UnknownTopicId,
            None => ErrorCode::UnknownTopicOrPartition,
            Some(_) => ErrorCode::None,
        };
        let mut id = topic_id;
        if let (ErrorCode::None, Some(n)) = (error, &found) {
            if let Some(t) = state.topics.remove(n) {
                id = t.id;
            }
            state.offsets.forget_topic(n);
            tracing::debug!(topic = n.as_str(), "mock: topic deleted");
        }
        responses.push(DeletableTopicResult {
            name: found.or(name),
            topic_id: id,
            error_code: error.code(),
            ..Default::default()
        });
    }
    DeleteTopicsResponse {
        responses,
        ..Default::default()
    }
}
