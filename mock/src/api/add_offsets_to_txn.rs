//! AddOffsetsToTxn: a group's offsets join the transaction (Kafka adds
//! the group's `__consumer_offsets` partition; here the group is noted).

use ferrokafka_protocol::messages::{AddOffsetsToTxnRequest, AddOffsetsToTxnResponse};
use ferrokafka_protocol::ErrorCode;
use tokio::time::Instant;

use super::Call;
use crate::state::ClusterState;

/// AddOffsetsToTxn, served at the transaction coordinator.
pub(super) async fn handle(
    call: &Call<'_>,
    request: &AddOffsetsToTxnRequest,
) -> AddOffsetsToTxnResponse {
    let state = &mut *call.shared.lock();
    let result = (|| {
        if request.transactional_id.is_empty() || request.group_id.is_empty() {
            return Err(ErrorCode::InvalidRequest);
        }
        if state.coordinator_for(&request.transactional_id) != call.broker {
            return Err(ErrorCode::NotCoordinator);
        }
        let txn = state
            .transactions
            .by_id
            .get_mut(&request.transactional_id)
            .ok_or(ErrorCode::InvalidProducerIdMapping)?;
        txn.check(request.producer_id, request.producer_epoch)?;
        txn.open(Instant::now());
        txn.groups.insert(request.group_id.clone());
        Ok(())
    })();
    AddOffsetsToTxnResponse {
        error_code: result.err().map_or(0, ErrorCode::code),
        ..Default::default()
    }
}

/// The code alone.
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    _request: &AddOffsetsToTxnRequest,
    error: ErrorCode,
) -> AddOffsetsToTxnResponse {
    AddOffsetsToTxnResponse {
        error_code: error.code(),
        ..Default::default()
    }
}
