//! JoinGroup: a member joins at the group's coordinator and is parked
//! until the rebalance completes (`group.rs` decides, `purgatory.rs`
//! parks).

use std::time::Duration;

use ferrokafka_protocol::messages::join_group::JoinGroupResponseMember;
use ferrokafka_protocol::messages::{JoinGroupRequest, JoinGroupResponse};
use ferrokafka_protocol::ErrorCode;
use tokio::time::Instant;

use super::Call;
use crate::group::{JoinOutcome, JoinParams};
use crate::purgatory::{wait_for, Parked};
use crate::state::ClusterState;

/// A JoinGroup answer carrying only `code` (v0-6 need a protocol name).
fn join_error(version: i16, code: ErrorCode, member_id: String) -> JoinGroupResponse {
    JoinGroupResponse {
        error_code: code.code(),
        member_id,
        protocol_name: (version < 7).then(String::new),
        ..Default::default()
    }
}

/// JoinGroup, served: answered once the rebalance completes.
pub(super) async fn handle(call: &Call<'_>, request: &JoinGroupRequest) -> JoinGroupResponse {
    let Call {
        shared,
        broker,
        version,
        client_id,
    } = *call;
    let millis = |ms: i32| Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    let group_id = request.group_id.as_str();
    let parked = {
        let mut state = shared.lock();
        if let Err(e) = state.check_coordinator(broker, group_id) {
            return join_error(version, e, request.member_id.clone());
        }
        if request.session_timeout_ms <= 0 {
            return join_error(
                version,
                ErrorCode::InvalidSessionTimeout,
                request.member_id.clone(),
            );
        }
        let params = JoinParams {
            member_id: request.member_id.clone(),
            group_instance_id: request.group_instance_id.clone(),
            client_id: client_id.to_owned(),
            session_timeout: millis(request.session_timeout_ms),
            // v0 has no rebalance timeout: Kafka uses the session timeout.
            rebalance_timeout: millis(if request.rebalance_timeout_ms > 0 {
                request.rebalance_timeout_ms
            } else {
                request.session_timeout_ms
            }),
            protocol_type: request.protocol_type.clone(),
            protocols: request
                .protocols
                .iter()
                .map(|p| (p.name.clone(), p.metadata.clone()))
                .collect(),
            requires_known_member_id: version >= 4,
        };
        let group = state.groups.entry(group_id.to_owned()).or_default();
        let outcome = group.join(params, Instant::now());
        shared.group_changed.notify_waiters();
        match outcome {
            Err(e) => return join_error(version, e, request.member_id.clone()),
            Ok(JoinOutcome::MemberIdRequired(id)) => {
                return join_error(version, ErrorCode::MemberIdRequired, id)
            }
            Ok(JoinOutcome::Wait(id)) => Parked::new(shared, &mut state, group_id, &id),
        }
    };
    let member_id = parked.member.clone();
    let result = wait_for(shared, |state| {
        state
            .groups
            .get_mut(group_id)
            .map_or(Some(Err(ErrorCode::UnknownMemberId)), |g| {
                g.take_join_result(&member_id)
            })
    })
    .await;
    drop(parked);
    match result {
        Err(e) => join_error(version, e, member_id),
        Ok(r) => JoinGroupResponse {
            generation_id: r.generation,
            protocol_type: Some(r.protocol_type),
            protocol_name: Some(r.protocol_name),
            leader: r.leader,
            member_id,
            members: r
                .members
                .into_iter()
                .map(
                    |(member_id, group_instance_id, metadata)| JoinGroupResponseMember {
                        member_id,
                        group_instance_id,
                        metadata,
                        ..Default::default()
                    },
                )
                .collect(),
            ..Default::default()
        },
    }
}

/// The code, with the member id the request named.
pub(super) fn error(
    _state: &ClusterState,
    call: &Call<'_>,
    request: &JoinGroupRequest,
    error: ErrorCode,
) -> JoinGroupResponse {
    join_error(call.version, error, request.member_id.clone())
}
