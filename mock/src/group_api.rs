//! JoinGroup, SyncGroup, Heartbeat and LeaveGroup on the wire: requests
//! checked at the coordinator, handed to the group state machine, and
//! JoinGroup and SyncGroup parked until their group moves on (as Kafka's
//! purgatory parks them).

use std::time::Duration;

use ferrokafka_protocol::messages::join_group::JoinGroupResponseMember;
use ferrokafka_protocol::messages::leave_group::MemberResponse;
use ferrokafka_protocol::messages::{
    HeartbeatRequest, HeartbeatResponse, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest,
    LeaveGroupResponse, SyncGroupRequest, SyncGroupResponse,
};
use ferrokafka_protocol::ErrorCode;
use tokio::time::Instant;

use super::group::{Group, JoinOutcome, JoinParams};
use super::state::{ClusterState, Shared};

/// Marks a member as parked in JoinGroup or SyncGroup (so its session does
/// not expire meanwhile) until dropped, even when the connection goes away
/// mid-wait.
struct Parked<'a> {
    shared: &'a Shared,
    group: String,
    member: String,
}

impl<'a> Parked<'a> {
    fn new(shared: &'a Shared, state: &mut ClusterState, group: &str, member: &str) -> Self {
        if let Some(g) = state.groups.get_mut(group) {
            g.park(member);
        }
        Parked {
            shared,
            group: group.to_owned(),
            member: member.to_owned(),
        }
    }
}

impl Drop for Parked<'_> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        if let Some(g) = state.groups.get_mut(&self.group) {
            g.unpark(&self.member, Instant::now());
        }
    }
}

/// The coordinator check every group request starts with.
fn coordinator_check(state: &ClusterState, broker: i32, group_id: &str) -> Result<(), ErrorCode> {
    if group_id.is_empty() {
        return Err(ErrorCode::InvalidGroupId);
    }
    if state.coordinator_for(group_id) != broker {
        return Err(ErrorCode::NotCoordinator);
    }
    Ok(())
}

fn join_error(version: i16, code: ErrorCode, member_id: String) -> JoinGroupResponse {
    JoinGroupResponse {
        error_code: code.code(),
        member_id,
        protocol_name: (version < 7).then(String::new),
        ..Default::default()
    }
}

/// Waits on the group until `ready` says something (woken by any group
/// change; the ticker completes overdue rebalances).
async fn wait_for<T>(shared: &Shared, mut ready: impl FnMut(&mut ClusterState) -> Option<T>) -> T {
    loop {
        let notified = shared.group_changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let found = ready(&mut shared.lock());
        if let Some(t) = found {
            return t;
        }
        notified.await;
    }
}

/// JoinGroup: answered once the rebalance completes.
pub(crate) async fn join_group(
    shared: &Shared,
    broker: i32,
    version: i16,
    client_id: &str,
    request: &JoinGroupRequest,
) -> JoinGroupResponse {
    let millis = |ms: i32| Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    let group_id = request.group_id.as_str();
    let parked = {
        let mut state = shared.lock();
        if let Err(e) = coordinator_check(&state, broker, group_id) {
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

/// SyncGroup: the assignment, once the leader has handed it in.
pub(crate) async fn sync_group(
    shared: &Shared,
    broker: i32,
    version: i16,
    request: &SyncGroupRequest,
) -> SyncGroupResponse {
    let group_id = request.group_id.as_str();
    let fail = |e: ErrorCode| SyncGroupResponse {
        error_code: e.code(),
        ..Default::default()
    };
    let (first, parked) = {
        let mut state = shared.lock();
        if let Err(e) = coordinator_check(&state, broker, group_id) {
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

/// Heartbeat.
pub(crate) fn heartbeat(
    shared: &Shared,
    state: &mut ClusterState,
    broker: i32,
    request: &HeartbeatRequest,
) -> HeartbeatResponse {
    let result = coordinator_check(state, broker, &request.group_id).and_then(|()| {
        state
            .groups
            .get_mut(&request.group_id)
            .ok_or(ErrorCode::UnknownMemberId)?
            .heartbeat(
                &request.member_id,
                request.group_instance_id.as_deref(),
                request.generation_id,
                Instant::now(),
            )
    });
    shared.group_changed.notify_waiters();
    HeartbeatResponse {
        error_code: result.err().map_or(0, ErrorCode::code),
        ..Default::default()
    }
}

/// LeaveGroup: one member (v0-2) or several, each with its outcome (v3+).
pub(crate) fn leave_group(
    shared: &Shared,
    state: &mut ClusterState,
    broker: i32,
    version: i16,
    request: &LeaveGroupRequest,
) -> LeaveGroupResponse {
    let fail = |e: ErrorCode| LeaveGroupResponse {
        error_code: e.code(),
        ..Default::default()
    };
    if let Err(e) = coordinator_check(state, broker, &request.group_id) {
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

/// The ticker's work: expire sessions and overdue rebalances.
pub(crate) fn tick(shared: &Shared) {
    let now = Instant::now();
    let mut changed = false;
    for group in shared.lock().groups.values_mut() {
        changed |= group.expire(now);
    }
    if changed {
        shared.group_changed.notify_waiters();
    }
}
