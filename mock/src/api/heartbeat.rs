//! Heartbeat: keeps a member in its group, and tells it when the group
//! rebalances.

use ferrokafka_protocol::messages::{HeartbeatRequest, HeartbeatResponse};
use ferrokafka_protocol::ErrorCode;
use tokio::time::Instant;

use super::Call;
use crate::state::ClusterState;

/// Heartbeat, served.
pub(super) async fn handle(call: &Call<'_>, request: &HeartbeatRequest) -> HeartbeatResponse {
    let Call { shared, broker, .. } = *call;
    let state = &mut *shared.lock();
    let result = state
        .check_coordinator(broker, &request.group_id)
        .and_then(|()| {
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

/// The code alone.
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    _request: &HeartbeatRequest,
    error: ErrorCode,
) -> HeartbeatResponse {
    HeartbeatResponse {
        error_code: error.code(),
        ..Default::default()
    }
}
