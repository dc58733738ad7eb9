//! DeleteTopics: by name (v1-5) or by name or id (v6+). Any broker takes
//! it, as KRaft brokers forward it to the controller.

use ferrokafka_protocol::messages::delete_topics::DeletableTopicResult;
use ferrokafka_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse};
use ferrokafka_protocol::{ErrorCode, Uuid};

use super::Call;
use crate::state::ClusterState;

/// DeleteTopics, served: each topic deleted with its committed offsets.
pub(super) async fn handle(call: &Call<'_>, request: &DeleteTopicsRequest) -> DeleteTopicsResponse {
    let state = &mut *call.shared.lock();
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

/// The code on every topic asked for, by name and by id.
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    request: &DeleteTopicsRequest,
    error: ErrorCode,
) -> DeleteTopicsResponse {
    let code = error.code();
    DeleteTopicsResponse {
        responses: request
            .topic_names
            .iter()
            .map(|n| DeletableTopicResult {
                name: Some(n.clone()),
                error_code: code,
                ..Default::default()
            })
            .chain(request.topics.iter().map(|t| DeletableTopicResult {
                name: t.name.clone(),
                topic_id: t.topic_id,
                error_code: code,
                ..Default::default()
            }))
            .collect(),
        ..Default::default()
    }
}
