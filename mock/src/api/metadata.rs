//! Metadata: the brokers, the controller and the topics asked about (all
//! of them for a null list), creating unknown ones when auto-creation is
//! on and the request allows it.

use ferrokafka_protocol::messages::metadata::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use ferrokafka_protocol::messages::{MetadataRequest, MetadataResponse};
use ferrokafka_protocol::ErrorCode;

use super::Call;
use crate::state::{ClusterState, Topic};

/// Every broker, up or down: a broker going down does not change metadata
/// (move leaders away with `set_leader`).
fn brokers(state: &ClusterState) -> Vec<MetadataResponseBroker> {
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

/// Metadata, served.
pub(super) async fn handle(call: &Call<'_>, request: &MetadataRequest) -> MetadataResponse {
    let state = &mut *call.shared.lock();
    let version = call.version;
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

/// The code at the top and on every topic asked about (every topic the
/// cluster has, for a null list), with the brokers still listed.
pub(super) fn error(
    state: &ClusterState,
    call: &Call<'_>,
    request: &MetadataRequest,
    error: ErrorCode,
) -> MetadataResponse {
    let code = error.code();
    let topics = match &request.topics {
        Some(topics) => topics
            .iter()
            .map(|t| MetadataResponseTopic {
                error_code: code,
                name: t
                    .name
                    .clone()
                    .or_else(|| (call.version < 12).then(String::new)),
                topic_id: t.topic_id,
                ..Default::default()
            })
            .collect(),
        None => state
            .topics
            .iter()
            .map(|(name, t)| MetadataResponseTopic {
                error_code: code,
                name: Some(name.clone()),
                topic_id: t.id,
                ..Default::default()
            })
            .collect(),
    };
    MetadataResponse {
        brokers: brokers(state),
        cluster_id: Some(state.cluster_id.clone()),
        controller_id: state.controller_id(),
        topics,
        error_code: code,
        ..Default::default()
    }
}
