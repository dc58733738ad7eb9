//! CreateTopics: each topic created, or why not. Any broker takes it, as
//! KRaft brokers forward it to the controller.

use ferrokafka_protocol::messages::create_topics::CreatableTopicResult;
use ferrokafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};
use ferrokafka_protocol::ErrorCode;

use super::Call;
use crate::state::ClusterState;

/// CreateTopics, served.
pub(super) async fn handle(call: &Call<'_>, request: &CreateTopicsRequest) -> CreateTopicsResponse {
    let state = &mut *call.shared.lock();
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

/// The code, with its name as the message, on every topic asked for.
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    request: &CreateTopicsRequest,
    error: ErrorCode,
) -> CreateTopicsResponse {
    CreateTopicsResponse {
        topics: request
            .topics
            .iter()
            .map(|t| CreatableTopicResult {
                name: t.name.clone(),
                error_code: error.code(),
                error_message: Some(error.name().to_owned()),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}
