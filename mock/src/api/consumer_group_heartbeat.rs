//! ConsumerGroupHeartbeat (KIP-848): a member joins, stays, acknowledges
//! its assignment or leaves; the group's state machine is
//! `group/consumer.rs`. Topics travel by id on the wire and by name in the
//! machine.

use std::collections::BTreeSet;
use std::time::Duration;

use ferrokafka_protocol::messages::consumer_group_heartbeat::{
    ConsumerGroupHeartbeatAssignment, ConsumerGroupHeartbeatTopicPartitions,
};
use ferrokafka_protocol::messages::{
    ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse,
};
use ferrokafka_protocol::ErrorCode;
use tokio::time::Instant;

use super::Call;
use crate::group::consumer::{Beat, Limits, Tp};
use crate::state::ClusterState;

/// ConsumerGroupHeartbeat, served.
pub(super) async fn handle(
    call: &Call<'_>,
    request: &ConsumerGroupHeartbeatRequest,
) -> ConsumerGroupHeartbeatResponse {
    let state = &mut *call.shared.lock();
    if !state.settings.consumer_group_protocol {
        return error(state, call, request, ErrorCode::UnsupportedVersion);
    }
    if let Err(e) = state.check_coordinator(call.broker, &request.group_id) {
        return error(state, call, request, e);
    }
    if call.version >= 1 && request.member_id.is_empty() {
        // v1: the client generates its member id.
        return error(state, call, request, ErrorCode::InvalidRequest);
    }
    let owned = request.topic_partitions.as_ref().map(|tps| {
        tps.iter()
            .filter_map(|tp| {
                let name = state.topic_name_by_id(tp.topic_id)?.to_owned();
                Some(tp.partitions.iter().map(move |&p| (name.clone(), p)))
            })
            .flatten()
            .collect::<BTreeSet<Tp>>()
    });
    let beat = Beat {
        member_id: request.member_id.clone(),
        member_epoch: request.member_epoch,
        instance_id: request.instance_id.clone(),
        client_id: call.client_id.to_owned(),
        rebalance_timeout: u64::try_from(request.rebalance_timeout_ms)
            .ok()
            .map(Duration::from_millis),
        topic_names: request.subscribed_topic_names.clone(),
        topic_regex: request.subscribed_topic_regex.clone(),
        assignor: request.server_assignor.clone(),
        owned,
    };
    let topics = state.partition_counts();
    let limits = Limits {
        max_size: state.settings.consumer_group_max_size,
    };
    let interval = state.settings.consumer_heartbeat_interval;
    let result = state
        .consumer_groups
        .entry(request.group_id.clone())
        .or_default()
        .heartbeat(beat, &topics, limits, Instant::now());
    let reply = match result {
        Ok(reply) => reply,
        Err(e) => return error(state, call, request, e),
    };
    let assignment = reply.assignment.map(|set| {
        let mut by_topic: Vec<ConsumerGroupHeartbeatTopicPartitions> = Vec::new();
        for (topic, p) in set {
            let Some(id) = state.topics.get(&topic).map(|t| t.id) else {
                continue;
            };
            match by_topic.last_mut() {
                Some(last) if last.topic_id == id => last.partitions.push(p),
                _ => by_topic.push(ConsumerGroupHeartbeatTopicPartitions {
                    topic_id: id,
                    partitions: vec![p],
                    ..Default::default()
                }),
            }
        }
        ConsumerGroupHeartbeatAssignment {
            topic_partitions: by_topic,
            ..Default::default()
        }
    });
    ConsumerGroupHeartbeatResponse {
        member_id: Some(reply.member_id),
        member_epoch: reply.member_epoch,
        heartbeat_interval_ms: i32::try_from(interval.as_millis()).unwrap_or(i32::MAX),
        assignment,
        ..Default::default()
    }
}

/// The code and its name, the member's own id and epoch echoed.
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    request: &ConsumerGroupHeartbeatRequest,
    error: ErrorCode,
) -> ConsumerGroupHeartbeatResponse {
    ConsumerGroupHeartbeatResponse {
        error_code: error.code(),
        error_message: Some(error.name().to_owned()),
        member_id: Some(request.member_id.clone()),
        member_epoch: request.member_epoch,
        ..Default::default()
    }
}
