//! EndTxn: the transaction committed or aborted, its markers written at
//! once (`txn.rs`). Transactions v2 (EndTxn v5 while the cluster's
//! `transaction.version` is 2) bump the epoch at every end, and a retry
//! names the epoch before the bump; version 1 keeps the epoch, and a
//! retry names the same one.

use ferrokafka_protocol::messages::{EndTxnRequest, EndTxnResponse};
use ferrokafka_protocol::ErrorCode;

use super::Call;
use crate::state::ClusterState;
use crate::txn::{self, Status};

/// The outcome: the producer id and epoch the producer goes on with.
fn end(
    state: &mut ClusterState,
    call: &Call<'_>,
    r: &EndTxnRequest,
) -> Result<(i64, i16, bool), ErrorCode> {
    if r.transactional_id.is_empty() {
        return Err(ErrorCode::InvalidRequest);
    }
    if state.coordinator_for(&r.transactional_id) != call.broker {
        return Err(ErrorCode::NotCoordinator);
    }
    let v2 = call.version >= 5 && state.settings.transaction_version >= 2;
    let t = state
        .transactions
        .by_id
        .get_mut(&r.transactional_id)
        .ok_or(ErrorCode::InvalidProducerIdMapping)?;
    if t.producer_id != r.producer_id {
        return Err(ErrorCode::InvalidProducerIdMapping);
    }
    let bumped_retry = i32::from(t.epoch) == i32::from(r.producer_epoch) + 1;
    let valid_epoch = match t.status {
        Status::Ongoing | Status::Empty => r.producer_epoch == t.epoch,
        Status::CompleteCommit | Status::CompleteAbort if v2 => bumped_retry,
        _ => r.producer_epoch == t.epoch,
    };
    if !valid_epoch {
        return Err(ErrorCode::ProducerFenced);
    }
    let same = |status: Status| {
        if (status == Status::CompleteCommit) == r.committed {
            Ok(())
        } else {
            Err(ErrorCode::InvalidTxnState)
        }
    };
    match t.status {
        Status::Ongoing => {
            let epoch = if v2 {
                t.epoch.saturating_add(1)
            } else {
                t.epoch
            };
            t.epoch = epoch;
            let id = t.producer_id;
            state.producer_ids.epochs.insert(id, epoch);
            let written = txn::complete(state, &r.transactional_id, r.committed, epoch);
            Ok((id, epoch, written))
        }
        // A retry of an end already made (or the coordinator's own abort
        // after the timeout) is answered as done.
        s @ (Status::CompleteCommit | Status::CompleteAbort) => {
            same(s)?;
            Ok((t.producer_id, t.epoch, false))
        }
        Status::Empty => Err(ErrorCode::InvalidTxnState),
    }
}

/// EndTxn, served at the transaction coordinator.
pub(super) async fn handle(call: &Call<'_>, request: &EndTxnRequest) -> EndTxnResponse {
    let result = end(&mut call.shared.lock(), call, request);
    match result {
        Ok((producer_id, producer_epoch, written)) => {
            if written {
                call.shared.data_arrived.notify_waiters();
            }
            EndTxnResponse {
                producer_id,
                producer_epoch,
                ..Default::default()
            }
        }
        Err(code) => error_only(code),
    }
}

fn error_only(error: ErrorCode) -> EndTxnResponse {
    EndTxnResponse {
        error_code: error.code(),
        ..Default::default()
    }
}

/// The code alone, with no producer id.
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    _request: &EndTxnRequest,
    error: ErrorCode,
) -> EndTxnResponse {
    error_only(error)
}
