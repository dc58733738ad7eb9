//! FindCoordinator: where a group (or transactional id) lives, one key
//! (v0-3) or several (v4+).

use ferrokafka_protocol::messages::find_coordinator::Coordinator;
use ferrokafka_protocol::messages::{FindCoordinatorRequest, FindCoordinatorResponse};
use ferrokafka_protocol::ErrorCode;

use super::Call;
use crate::state::ClusterState;

/// FindCoordinator, served.
pub(super) async fn handle(
    call: &Call<'_>,
    request: &FindCoordinatorRequest,
) -> FindCoordinatorResponse {
    let state = &*call.shared.lock();
    let version = call.version;
    let locate = |key: &str| -> Result<(i32, u16), ErrorCode> {
        if !matches!(request.key_type, 0 | 1) {
            return Err(ErrorCode::InvalidRequest);
        }
        let id = state.coordinator_for(key);
        match state.broker(id) {
            Some(b) if b.up => Ok((b.id, b.port)),
            _ => Err(ErrorCode::CoordinatorNotAvailable),
        }
    };
    if version < 4 {
        return match locate(&request.key) {
            Ok((node_id, port)) => FindCoordinatorResponse {
                error_message: None,
                node_id,
                host: "127.0.0.1".into(),
                port: i32::from(port),
                ..Default::default()
            },
            Err(e) => FindCoordinatorResponse {
                error_code: e.code(),
                error_message: Some(e.name().to_owned()),
                node_id: -1,
                port: -1,
                ..Default::default()
            },
        };
    }
    let coordinators = request
        .coordinator_keys
        .iter()
        .map(|key| match locate(key) {
            Ok((node_id, port)) => Coordinator {
                key: key.clone(),
                node_id,
                host: "127.0.0.1".into(),
                port: i32::from(port),
                error_message: None,
                ..Default::default()
            },
            Err(e) => Coordinator {
                key: key.clone(),
                node_id: -1,
                port: -1,
                error_code: e.code(),
                error_message: Some(e.name().to_owned()),
                ..Default::default()
            },
        })
        .collect();
    FindCoordinatorResponse {
        coordinators,
        ..Default::default()
    }
}

/// The code and its name at the top (v0-3) and on every key (v4+), with
/// no coordinator.
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    request: &FindCoordinatorRequest,
    error: ErrorCode,
) -> FindCoordinatorResponse {
    FindCoordinatorResponse {
        error_code: error.code(),
        error_message: Some(error.name().to_owned()),
        node_id: -1,
        host: String::new(),
        port: -1,
        coordinators: request
            .coordinator_keys
            .iter()
            .map(|k| Coordinator {
                key: k.clone(),
                node_id: -1,
                port: -1,
                error_code: error.code(),
                error_message: Some(error.name().to_owned()),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}
