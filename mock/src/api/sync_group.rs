//! SyncGroup: the leader hands in the assignment, every member is parked
//! until it has one.

use ferrokafka_protocol::messages::{SyncGroupRequest, SyncGroupResponse};
use ferrokafka_protocol::ErrorCode;
use tokio::time::Instant;

use super::Call;
use crate::group::Group;
use crate::purgatory::{wait_for, Parked};
use crate::state::ClusterState;

/// SyncGroup, served: the assignment, once the leader has handed it in.
pub(super) async fn handle(call: &Call<'_>, request: &SyncGroupRequest) -> SyncGroupResponse {
    let Call {
        shared,
        broker,
        version,
        ..
    } = *call;
    let group_id = request.group_id.as_str();
    let fail = |e: ErrorCode| SyncGroupResponse {
        error_code: e.code(),
        ..Default::default()
    };
    let (first, parked) = {
        let mut state = shared.lock();
        if let Err(e) = state.check_coordinator(broker, group_id) {
            return fail(e);
        }
        let Some(group) = state.groups.get_mut(group_id) else {
            return fail(ErrorCode::UnknownMemberId);
        };
        if version >= 5 && !protocol_matches(group, request) {
            return fail(ErrorCode::InconsistentGroupProtocol);
        }
        let assignments = request
            .assignments
            .iter()
            .map(|a| (a.member_id.clone(), a.assignment.clone()))
            .collect();
        let first = group.sync(
            &request.member_id,
            request.group_instance_id.as_deref(),
            request.generation_id,
            assignments,
            Instant::now(),
        );
        shared.group_changed.notify_waiters();
        let parked = matches!(first, Ok(None))
            .then(|| Parked::new(shared, &mut state, group_id, &request.member_id));
        (first, parked)
    };
    let result = match first {
        Err(e) => Err(e),
        Ok(Some(a)) => Ok(a),
        Ok(None) => {
            wait_for(shared, |state| match state.groups.get(group_id) {
                None => Some(Err(ErrorCode::UnknownMemberId)),
                Some(g) => g.sync_result(&request.member_id, request.generation_id),
            })
            .await
        }
    };
    drop(parked);
    let (protocol_type, protocol_name) = {
        let state = shared.lock();
        let p = state.groups.get(group_id).map(Group::protocol);
        (
            p.and_then(|p| p.0.map(str::to_owned)),
            p.and_then(|p| p.1.map(str::to_owned)),
        )
    };
    match result {
        Err(e) => fail(e),
        Ok(assignment) => SyncGroupResponse {
            protocol_type,
            protocol_name,
            assignment,
            ..Default::default()
        },
    }
}

/// SyncGroup v5+ names the protocol; it must be the group's.
fn protocol_matches(group: &Group, request: &SyncGroupRequest) -> bool {
    let (t, n) = group.protocol();
    let same = |asked: &Option<String>, ours: Option<&str>| match asked {
        None => true,
        Some(a) => ours.is_none_or(|o| o == a),
    };
    same(&request.protocol_type, t) && same(&request.protocol_name, n)
}

/// The code alone.
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    _request: &SyncGroupRequest,
    error: ErrorCode,
) -> SyncGroupResponse {
    SyncGroupResponse {
        error_code: error.code(),
        ..Default::default()
    }
}
