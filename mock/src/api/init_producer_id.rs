//! InitProducerId: producer ids and epochs handed out (the state is
//! `producers.rs`); a transactional id's at its coordinator.

use ferrokafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse};
use ferrokafka_protocol::ErrorCode;

use std::time::Duration;

use super::Call;
use crate::state::ClusterState;
use crate::txn::{self, Txn};

/// InitProducerId. Without a transactional id every call gets a new
/// producer id at epoch 0, as Kafka does; a transactional id keeps its
/// producer id and gets the next epoch (a new id once the epoch runs out),
/// its open transaction aborted first (`txn.rs`).
pub(super) async fn handle(
    call: &Call<'_>,
    request: &InitProducerIdRequest,
) -> InitProducerIdResponse {
    let state = &mut *call.shared.lock();
    let broker = call.broker;
    let fail = |code: ErrorCode| InitProducerIdResponse {
        error_code: code.code(),
        ..Default::default()
    };
    let transactional_id = request
        .transactional_id
        .as_deref()
        .filter(|t| !t.is_empty());
    let Some(transactional_id) = transactional_id else {
        let producer_id = state.producer_ids.new_id();
        return InitProducerIdResponse {
            producer_id,
            producer_epoch: 0,
            ..Default::default()
        };
    };
    if state.coordinator_for(transactional_id) != broker {
        return fail(ErrorCode::NotCoordinator);
    }
    if request.transaction_timeout_ms <= 0 {
        return fail(ErrorCode::InvalidTransactionTimeout);
    }
    // An open transaction is fenced and aborted first; the caller is told
    // to come again (Kafka's CONCURRENT_TRANSACTIONS), and its retry then
    // bumps the epoch once more.
    if txn::fence_and_abort(state, transactional_id) {
        call.shared.data_arrived.notify_waiters();
        return fail(ErrorCode::ConcurrentTransactions);
    }
    let ids = &mut state.producer_ids;
    let existing = ids
        .transactional
        .get(transactional_id)
        .copied()
        .and_then(|id| Some((id, *ids.epochs.get(&id)?)));
    let (producer_id, producer_epoch) = match existing {
        // A producer naming its id and epoch must name the current ones.
        Some((id, epoch))
            if request.producer_id >= 0
                && (request.producer_id != id || request.producer_epoch != epoch) =>
        {
            return fail(ErrorCode::ProducerFenced);
        }
        Some((id, epoch)) if epoch < i16::MAX - 1 => {
            ids.epochs.insert(id, epoch + 1);
            (id, epoch + 1)
        }
        _ => (ids.new_id(), 0),
    };
    ids.transactional
        .insert(transactional_id.to_owned(), producer_id);
    let timeout = Duration::from_millis(request.transaction_timeout_ms.unsigned_abs().into());
    let fresh = Txn::new(producer_id, producer_epoch, timeout);
    let t = state
        .transactions
        .by_id
        .entry(transactional_id.to_owned())
        .or_insert_with(|| fresh.clone());
    t.producer_id = producer_id;
    t.epoch = producer_epoch;
    t.timeout = timeout;
    InitProducerIdResponse {
        producer_id,
        producer_epoch,
        ..Default::default()
    }
}

/// The code alone: no producer id.
pub(super) fn error(
    _state: &ClusterState,
    _call: &Call<'_>,
    _request: &InitProducerIdRequest,
    error: ErrorCode,
) -> InitProducerIdResponse {
    InitProducerIdResponse {
        error_code: error.code(),
        ..Default::default()
    }
}
