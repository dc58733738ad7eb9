//! Transactions version 1 (brokers before Kafka 4.0, or
//! `transaction.version` 1): the producer adds each partition to the
//! transaction with AddPartitionsToTxn before its first batch there is
//! sent; the broker refuses a transactional batch for a partition not
//! added (INVALID_TXN_STATE). Transactions v2 (KIP-890) need none of
//! this: the leader adds the partition when Produce v12+ writes to it.
//!
//! While a partition holding records is not in the transaction yet, the
//! task sends nothing: it adds every such partition in one request (a
//! one-shot job, to the transaction coordinator, retried after
//! `retry.backoff.ms` while the error is retriable), then dispatches as
//! usual. Errors are classified as for the transactional API: abortable
//! ones fail the queued records (so the commit refuses), fatal ones
//! (fenced) end the producer.

use std::collections::HashSet;
use std::sync::Arc;

use ferrokafka_protocol::messages::add_partitions_to_txn::AddPartitionsToTxnTopic;
use ferrokafka_protocol::messages::{AddPartitionsToTxnRequest, FindCoordinatorRequest};
use ferrokafka_protocol::ErrorCode;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::{Event, ProducerId, Sender};
use crate::cluster::Cluster;
use crate::producer::delivery::ProduceError;
use crate::producer::transaction::{classify, Class};

/// The task's view of the open transaction's partitions (version 1).
#[derive(Debug, Default)]
pub(crate) struct TxnPartitions {
    /// The cluster speaks transactions version 1: partitions are added
    /// explicitly.
    explicit: bool,
    /// The partitions in the open transaction.
    added: HashSet<(Arc<str>, i32)>,
    /// Counts transactions, so an answer for an earlier one is ignored.
    generation: u64,
    /// An AddPartitionsToTxn job is out.
    in_flight: bool,
    /// The transaction coordinator, once found.
    coordinator: Option<i32>,
    /// Retry no earlier than this.
    next_at: Option<Instant>,
}

/// An AddPartitionsToTxn job's answer.
#[derive(Debug)]
pub(crate) struct Added {
    generation: u64,
    partitions: Vec<(Arc<str>, i32)>,
    coordinator: Option<i32>,
    outcome: Result<(), (Class, String, Option<ErrorCode>)>,
}

impl Sender {
    /// A transaction begins: none of its partitions is added yet.
    /// `explicit`: the cluster speaks transactions version 1.
    pub(super) fn begin_transaction(&mut self, explicit: bool) {
        let t = &mut self.txn;
        t.explicit = explicit;
        t.generation += 1;
        t.added.clear();
        t.next_at = None;
    }

    /// When the task must wake up to retry adding partitions.
    pub(super) fn add_partitions_at(&self) -> Option<Instant> {
        self.txn.next_at.filter(|_| !self.txn.in_flight)
    }

    /// Whether batches may be sent now: with transactions version 1 only
    /// once every partition holding records is in the transaction; the
    /// missing ones are asked for.
    pub(super) fn partitions_in_transaction(&mut self, now: Instant, id: i64, epoch: i16) -> bool {
        if !self.txn.explicit || self.config.transactional_id.is_none() {
            return true;
        }
        let missing: Vec<(Arc<str>, i32)> = self
            .acc
            .partitions_with_data()
            .into_iter()
            .filter(|p| !self.txn.added.contains(p))
            .collect();
        if missing.is_empty() {
            return true;
        }
        if !self.txn.in_flight && self.txn.next_at.is_none_or(|t| now >= t) {
            self.request_add(missing, id, epoch);
        }
        false
    }

    fn request_add(&mut self, partitions: Vec<(Arc<str>, i32)>, id: i64, epoch: i16) {
        let Some(transactional_id) = self.config.transactional_id.clone() else {
            return;
        };
        self.txn.in_flight = true;
        self.txn.next_at = None;
        let cluster = self.cluster.coordinator_lane();
        let events = self.events.clone();
        let (generation, coordinator) = (self.txn.generation, self.txn.coordinator);
        tokio::spawn(async move {
            let (coordinator, outcome) = add(
                &cluster,
                &transactional_id,
                id,
                epoch,
                &partitions,
                coordinator,
            )
            .await;
            let _ = events.send(Event::Added(Added {
                generation,
                partitions,
                coordinator,
                outcome,
            }));
        });
    }

    /// An AddPartitionsToTxn job's answer.
    pub(super) fn on_added(&mut self, a: Added, now: Instant) {
        self.txn.in_flight = false;
        self.txn.coordinator = a.coordinator;
        if a.generation != self.txn.generation {
            return;
        }
        match a.outcome {
            Ok(()) => {
                debug!(
                    partitions = a.partitions.len(),
                    "partitions added to the transaction"
                );
                self.shared.mark_partitions_added();
                self.txn.added.extend(a.partitions);
            }
            Err((Class::Retriable, reason, _)) => {
                debug!(reason, "AddPartitionsToTxn: retrying");
                self.txn.next_at = Some(now + self.config.retry_backoff);
            }
            Err((Class::Abortable, reason, code)) => {
                warn!(
                    reason,
                    "AddPartitionsToTxn failed: the transaction must be aborted"
                );
                // Whatever the coordinator made of it, the abort ends it.
                self.shared.mark_partitions_added();
                let error = match code {
                    Some(error) => ProduceError::Kafka {
                        topic: a
                            .partitions
                            .first()
                            .map_or(String::new(), |p| p.0.to_string()),
                        partition: a.partitions.first().map_or(-1, |p| p.1),
                        error,
                    },
                    None => ProduceError::Aborted,
                };
                let failed = self.acc.purge(&error);
                self.report_failures(failed);
            }
            Err((Class::Fatal, reason, _)) => {
                if !matches!(self.producer_id, ProducerId::Fatal(_)) {
                    self.fatal(format!("AddPartitionsToTxn: {reason}"));
                }
            }
        }
    }
}

/// FindCoordinator (when `coordinator` is unknown) and AddPartitionsToTxn
/// v3 or below; the coordinator to use next time.
async fn add(
    cluster: &Cluster,
    transactional_id: &str,
    producer_id: i64,
    producer_epoch: i16,
    partitions: &[(Arc<str>, i32)],
    coordinator: Option<i32>,
) -> (Option<i32>, Result<(), (Class, String, Option<ErrorCode>)>) {
    let retry = |reason: String| Err((Class::Retriable, reason, None));
    let node = match coordinator {
        Some(n) => n,
        None => {
            let find = FindCoordinatorRequest {
                key: transactional_id.to_owned(),
                key_type: 1,
                coordinator_keys: vec![transactional_id.to_owned()],
                ..Default::default()
            };
            match cluster.send_to_any(&find).await {
                Ok(r) => {
                    let (code, node) = match r.coordinators.first() {
                        Some(c) => (c.error_code, c.node_id),
                        None => (r.error_code, r.node_id),
                    };
                    if code != 0 {
                        let code = ErrorCode::from_code(code);
                        return (
                            None,
                            Err((classify(Some(code)), code.to_string(), Some(code))),
                        );
                    }
                    node
                }
                Err(e) if e.is_retriable() => return (None, retry(e.to_string())),
                Err(e) => return (None, Err((Class::Fatal, e.to_string(), e.kafka_code()))),
            }
        }
    };
    let mut topics: Vec<AddPartitionsToTxnTopic> = Vec::new();
    for (topic, partition) in partitions {
        match topics.iter_mut().find(|t| *t.name == **topic) {
            Some(t) => t.partitions.push(*partition),
            None => topics.push(AddPartitionsToTxnTopic {
                name: topic.to_string(),
                partitions: vec![*partition],
                ..Default::default()
            }),
        }
    }
    let request = AddPartitionsToTxnRequest {
        v3_and_below_transactional_id: transactional_id.to_owned(),
        v3_and_below_producer_id: producer_id,
        v3_and_below_producer_epoch: producer_epoch,
        v3_and_below_topics: topics,
        ..Default::default()
    };
    let response = match cluster.send_to(node, &request).await {
        Ok(r) => r,
        Err(e) if e.is_retriable() => return (None, retry(e.to_string())),
        Err(e) => {
            return (
                Some(node),
                Err((Class::Fatal, e.to_string(), e.kafka_code())),
            )
        }
    };
    // The code that says most: OPERATION_NOT_ATTEMPTED only when alone.
    let codes = response
        .results_by_topic_v3_and_below
        .iter()
        .flat_map(|t| &t.results_by_partition)
        .map(|p| ErrorCode::from_code(p.partition_error_code))
        .chain(std::iter::once(ErrorCode::from_code(response.error_code)))
        .filter(|c| !c.is_ok());
    let code = codes
        .clone()
        .find(|&c| c != ErrorCode::OperationNotAttempted)
        .or_else(|| codes.clone().next());
    match code {
        None => (Some(node), Ok(())),
        Some(c @ (ErrorCode::NotCoordinator | ErrorCode::CoordinatorNotAvailable)) => {
            (None, retry(c.to_string()))
        }
        Some(c) => (Some(node), Err((classify(Some(c)), c.to_string(), Some(c)))),
    }
}
