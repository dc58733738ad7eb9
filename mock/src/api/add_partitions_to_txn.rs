//! AddPartitionsToTxn: transactions version 1 adds each partition to the
//! transaction before its first write (v0-3, from clients); v4+ is the
//! brokers' batched form (with `verify_only`), served the same way.

use ferrokafka_protocol::messages::add_partitions_to_txn::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnResult, AddPartitionsToTxnTopic,
    AddPartitionsToTxnTopicResult,
};
use ferrokafka_protocol::messages::{AddPartitionsToTxnRequest, AddPartitionsToTxnResponse};
use ferrokafka_protocol::ErrorCode;
use tokio::time::Instant;

use super::Call;
use crate::state::ClusterState;
use crate::txn::Status;

/// Each partition's code: all the same when the request as a whole
/// fails; else unknown partitions fail and the others are not attempted
/// (Kafka adds none of them then).
fn add(
    state: &mut ClusterState,
    broker: i32,
    transactional_id: &str,
    producer_id: i64,
    epoch: i16,
    topics: &[AddPartitionsToTxnTopic],
    verify_only: bool,
) -> Vec<AddPartitionsToTxnTopicResult> {
    let all = |code: ErrorCode| results(topics, |_, _| code);
    if transactional_id.is_empty() {
        return all(ErrorCode::InvalidRequest);
    }
    if state.coordinator_for(transactional_id) != broker {
        return all(ErrorCode::NotCoordinator);
    }
    let unknown: Vec<(String, i32)> = topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(move |&p| (t.name.clone(), p)))
        .filter(|(t, p)| state.partition(t, *p).is_none())
        .collect();
    let Some(txn) = state.transactions.by_id.get_mut(transactional_id) else {
        return all(ErrorCode::InvalidProducerIdMapping);
    };
    if let Err(code) = txn.check(producer_id, epoch) {
        return all(code);
    }
    if verify_only {
        let open = txn.status == Status::Ongoing;
        return results(topics, |t, p| {
            if open && txn.partitions.contains(&(t.to_owned(), p)) {
                ErrorCode::None
            } else {
                ErrorCode::TransactionAbortable
            }
        });
    }
    if !unknown.is_empty() {
        return results(topics, |t, p| {
            if unknown.iter().any(|(ut, up)| ut == t && *up == p) {
                ErrorCode::UnknownTopicOrPartition
            } else {
                ErrorCode::OperationNotAttempted
            }
        });
    }
    txn.open(Instant::now());
    for t in topics {
        for &p in &t.partitions {
            txn.partitions.insert((t.name.clone(), p));
        }
    }
    all(ErrorCode::None)
}

fn results(
    topics: &[AddPartitionsToTxnTopic],
    code: impl Fn(&str, i32) -> ErrorCode,
) -> Vec<AddPartitionsToTxnTopicResult> {
    topics
        .iter()
        .map(|t| AddPartitionsToTxnTopicResult {
            name: t.name.clone(),
            results_by_partition: t
                .partitions
                .iter()
                .map(|&p| AddPartitionsToTxnPartitionResult {
                    partition_index: p,
                    partition_error_code: code(&t.name, p).code(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
        .collect()
}

/// AddPartitionsToTxn, served at the transaction coordinator.
pub(super) async fn handle(
    call: &Call<'_>,
    request: &AddPartitionsToTxnRequest,
) -> AddPartitionsToTxnResponse {
    let state = &mut *call.shared.lock();
    if call.version <= 3 {
        let results_by_topic_v3_and_below = add(
            state,
            call.broker,
            &request.v3_and_below_transactional_id,
            request.v3_and_below_producer_id,
            request.v3_and_below_producer_epoch,
            &request.v3_and_below_topics,
            false,
        );
        return AddPartitionsToTxnResponse {
            results_by_topic_v3_and_below,
            ..Default::default()
        };
    }
    let results_by_transaction = request
        .transactions
        .iter()
        .map(|t| AddPartitionsToTxnResult {
            transactional_id: t.transactional_id.clone(),
            topic_results: add(
                state,
                call.broker,
                &t.transactional_id,
                t.producer_id,
                t.producer_epoch,
                &t.topics,
                t.verify_only,
            ),
            ..Default::default()
        })
        .collect();
    AddPartitionsToTxnResponse {
        results_by_transaction,
        ..Default::default()
    }
}

/// The code on every partition (v0-3), or at the top (v4+).
pub(super) fn error(
    _state: &ClusterState,
    call: &Call<'_>,
    request: &AddPartitionsToTxnRequest,
    error: ErrorCode,
) -> AddPartitionsToTxnResponse {
    if call.version <= 3 {
        return AddPartitionsToTxnResponse {
            results_by_topic_v3_and_below: results(&request.v3_and_below_topics, |_, _| error),
            ..Default::default()
        };
    }
    AddPartitionsToTxnResponse {
        error_code: error.code(),
        ..Default::default()
    }
}
