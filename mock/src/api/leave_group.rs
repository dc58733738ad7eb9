//! LeaveGroup: one member (v0-2) or several, each with its outcome (v3+).

use ferrokafka_protocol::messages::leave_group::MemberResponse;
use ferrokafka_protocol::messages::{LeaveGroupRequest, LeaveGroupResponse};
use ferrokafka_protocol::ErrorCode;
use tokio::time::Instant;

use super::Call;
use crate::state::ClusterState;

/// LeaveGroup, served.
pub(super) async fn handle(call: &Call<'_>, request: &LeaveGroupRequest) -> LeaveGroupResponse {
    let Call {
        shared,
        broker,
        version,
        ..
    } = *call;
    let state = &mut *shared.lock();
    let fail = |e: ErrorCode| LeaveGroupResponse {
        error_code: e.code(),
        ..Default::default()
    };
    if let Err(e) = state.check_coordinator(broker, &request.group_id) {
        return fail(e);
    }
    let now = Instant::now();
    let Some(group) = state.groups.get_mut(&request.group_id) else {
        return fail(ErrorCode::UnknownMemberId);
    };
    let response = if version < 3 {
        let result = group.leave(&request.member_id, None, now);
        fail(result.err().unwrap_or(ErrorCode::None))
    } else {
        LeaveGroupResponse {
            members: request
                .members
                .iter()
                .map(|m| {
                    let result = group.leave(&m.member_id, m.group_instance_id.as_deref(), now);
                    MemberResponse {
                        member_id: m.member_id.clone(),
                        group_instance_id: m.group_instance_id.clone(),
                        error_code: result.err().map_or(0, ErrorCode::code),
                        ..Default::default()
                    }
                })
                .collect(),
            ..Default::default()
        }
    };
    shared.group_changed.notify_waiters();
    response
}

/// The code at the top and on every member named (v3+).
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    request: &LeaveGroupRequest,
    error: ErrorCode,
) -> LeaveGroupResponse {
    LeaveGroupResponse {
        error_code: error.code(),
        members: request
            .members
            .iter()
            .map(|m| MemberResponse {
                member_id: m.member_id.clone(),
                group_instance_id: m.group_instance_id.clone(),
                error_code: error.code(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}
