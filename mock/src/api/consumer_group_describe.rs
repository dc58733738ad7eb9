//! ConsumerGroupDescribe (KIP-848): each consumer group's state, epochs,
//! assignor, and members with their current and target assignments.

use std::collections::BTreeSet;

use ferrokafka_protocol::messages::consumer_group_describe::{
    ConsumerGroupDescribeAssignment, ConsumerGroupDescribeGroup, ConsumerGroupDescribeMember,
    ConsumerGroupDescribeTopicPartitions,
};
use ferrokafka_protocol::messages::{ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse};
use ferrokafka_protocol::ErrorCode;

use super::Call;
use crate::group::consumer::Tp;
use crate::state::ClusterState;

fn assignment(state: &ClusterState, set: &BTreeSet<Tp>) -> ConsumerGroupDescribeAssignment {
    let mut topic_partitions: Vec<ConsumerGroupDescribeTopicPartitions> = Vec::new();
    for (topic, p) in set {
        match topic_partitions.last_mut() {
            Some(last) if last.topic_name == *topic => last.partitions.push(*p),
            _ => topic_partitions.push(ConsumerGroupDescribeTopicPartitions {
                topic_id: state.topics.get(topic).map(|t| t.id).unwrap_or_default(),
                topic_name: topic.clone(),
                partitions: vec![*p],
                ..Default::default()
            }),
        }
    }
    ConsumerGroupDescribeAssignment {
        topic_partitions,
        ..Default::default()
    }
}

/// ConsumerGroupDescribe, served.
pub(super) async fn handle(
    call: &Call<'_>,
    request: &ConsumerGroupDescribeRequest,
) -> ConsumerGroupDescribeResponse {
    let state = &*call.shared.lock();
    if !state.settings.consumer_group_protocol {
        return error(state, call, request, ErrorCode::UnsupportedVersion);
    }
    let groups = request
        .group_ids
        .iter()
        .map(|id| {
            if let Err(e) = state.check_coordinator(call.broker, id) {
                return group_error(id, e);
            }
            let Some(g) = state.consumer_groups.get(id) else {
                return group_error(id, ErrorCode::GroupIdNotFound);
            };
            let empty = BTreeSet::new();
            ConsumerGroupDescribeGroup {
                group_id: id.clone(),
                group_state: g.state_name().into(),
                group_epoch: g.epoch,
                assignment_epoch: g.assignment_epoch,
                assignor_name: g.assignor().into(),
                members: g
                    .members
                    .iter()
                    .map(|(mid, m)| ConsumerGroupDescribeMember {
                        member_id: mid.clone(),
                        instance_id: m.instance_id.clone(),
                        member_epoch: m.epoch,
                        client_id: m.client_id.clone(),
                        client_host: "/127.0.0.1".into(),
                        subscribed_topic_names: m.topic_names.clone(),
                        subscribed_topic_regex: m.topic_regex.clone(),
                        assignment: assignment(state, &m.assigned),
                        target_assignment: assignment(state, g.target.get(mid).unwrap_or(&empty)),
                        member_type: 1,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }
        })
        .collect();
    ConsumerGroupDescribeResponse {
        groups,
        ..Default::default()
    }
}

fn group_error(id: &str, error: ErrorCode) -> ConsumerGroupDescribeGroup {
    ConsumerGroupDescribeGroup {
        error_code: error.code(),
        error_message: Some(error.name().to_owned()),
        group_id: id.to_owned(),
        ..Default::default()
    }
}

/// The code on every group asked for.
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    request: &ConsumerGroupDescribeRequest,
    error: ErrorCode,
) -> ConsumerGroupDescribeResponse {
    ConsumerGroupDescribeResponse {
        groups: request
            .group_ids
            .iter()
            .map(|id| group_error(id, error))
            .collect(),
        ..Default::default()
    }
}
