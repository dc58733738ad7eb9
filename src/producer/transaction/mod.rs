//! Transactions: the transactional producer's manager.
//!
//! The state machine is [`state::TxnState`] (sans IO); this file does the
//! requests: FindCoordinator (key type 1) and InitProducerId with the
//! `transactional.id`, AddOffsetsToTxn and TxnOffsetCommit for
//! `send_offsets_to_transaction`, EndTxn for commit and abort. Each call
//! runs one at a time (an async lock), retries what is retriable
//! (coordinator away or moved, CONCURRENT_TRANSACTIONS, ...) until its
//! timeout, and hands the producer id and epoch to the producer task.
//!
//! Transactions version 2 (KIP-890, Kafka 4.x with `transaction.version`
//! 2 finalized): the partition leaders add partitions to the transaction
//! when Produce (v12+) writes to them, and every EndTxn (v5) bumps the
//! epoch, its response carrying the new one. Brokers without it
//! (transactions version 1: before Kafka 4.0, or with
//! `transaction.version` at 1) get AddPartitionsToTxn from the producer task before its first
//! batch to each partition (`sender/add_partitions.rs`), Produce v11 and
//! EndTxn v4 (`net::versions`), and keep the epoch across transactions;
//! an abort after a broken sequence then bumps it with InitProducerId
//! naming the current id and epoch (KIP-360).

mod error;
mod state;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferrokafka_protocol::messages::txn_offset_commit::{
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
};
use ferrokafka_protocol::messages::{
    AddOffsetsToTxnRequest, EndTxnRequest, FindCoordinatorRequest, InitProducerIdRequest,
    TxnOffsetCommitRequest,
};
use ferrokafka_protocol::{ErrorCode, Request};
use tokio::sync::Mutex;
use tokio::time::Instant;
use tracing::{debug, info, warn};

pub use error::TransactionError;
pub(crate) use error::{classify, Class};
use state::{Call, TxnState};

use super::inbox::{Command, InboxSender};
use super::shared::Shared;
use crate::cluster::Cluster;
use crate::error::Error;

/// What a consumer group member is, for committing its offsets in a
/// transaction (KIP-447: the group coordinator refuses offsets from a
/// member that is no longer in the group's current generation). From
/// [`Consumer::group_metadata`](crate::consumer::Consumer::group_metadata).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroupMetadata {
    /// The group id.
    pub group_id: String,
    /// The generation, -1 outside a generation.
    pub generation_id: i32,
    /// The member id, empty outside the group.
    pub member_id: String,
    /// The static member's `group.instance.id`.
    pub group_instance_id: Option<String>,
}

impl ConsumerGroupMetadata {
    /// Metadata naming only a group: offsets are committed without
    /// generation fencing.
    pub fn new(group_id: impl Into<String>) -> Self {
        Self {
            group_id: group_id.into(),
            generation_id: -1,
            member_id: String::new(),
            group_instance_id: None,
        }
    }
}

/// The producer's transaction manager (one per transactional producer).
pub(crate) struct TxnManager {
    transactional_id: String,
    timeout_ms: i32,
    cluster: Cluster,
    commands: InboxSender,
    shared: Arc<Shared>,
    retry_backoff: Duration,
    /// A transaction is open: records may be sent.
    open: AtomicBool,
    /// A record or offsets were sent in the open transaction, so the
    /// coordinator knows it and EndTxn must end it.
    started: AtomicBool,
    /// The cluster speaks transactions version 2 (KIP-890).
    v2: AtomicBool,
    inner: Mutex<Inner>,
    /// The state's name when the statistics last saw it.
    last_state: std::sync::Mutex<&'static str>,
}

struct Inner {
    state: TxnState,
    producer_id: i64,
    epoch: i16,
    coordinator: Option<i32>,
}

impl TxnManager {
    pub(crate) fn new(
        transactional_id: String,
        transaction_timeout: Duration,
        cluster: Cluster,
        commands: InboxSender,
        shared: Arc<Shared>,
        retry_backoff: Duration,
    ) -> Self {
        Self {
            transactional_id,
            timeout_ms: transaction_timeout.as_millis().min(i32::MAX as u128) as i32,
            cluster: cluster.coordinator_lane(),
            commands,
            shared,
            retry_backoff,
            open: AtomicBool::new(false),
            started: AtomicBool::new(false),
            v2: AtomicBool::new(true),
            last_state: std::sync::Mutex::new("Init"),
            inner: Mutex::new(Inner {
                state: TxnState::Uninitialized,
                producer_id: -1,
                epoch: -1,
                coordinator: None,
            }),
        }
    }

    /// The transaction state in librdkafka's names, for the statistics:
    /// the state now, or the one last seen while a call holds it.
    pub(crate) fn state_name(&self) -> &'static str {
        let mut last = self.last_state.lock().unwrap_or_else(|e| e.into_inner());
        if let Ok(inner) = self.inner.try_lock() {
            *last = match inner.state {
                TxnState::Uninitialized => "Init",
                TxnState::Initializing => "WaitPID",
                TxnState::Ready => "Ready",
                TxnState::InTransaction => "InTransaction",
                TxnState::Committing => "BeginCommit",
                TxnState::Aborting => "BeginAbort",
                TxnState::AbortableError(_) => "AbortableError",
                TxnState::Fatal(_) => "FatalError",
            };
        }
        *last
    }

    /// Whether a record may be sent now.
    pub(crate) fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    /// A record was queued in the open transaction: the coordinator will
    /// hear of the transaction, so its end needs EndTxn.
    pub(crate) fn record_queued(&self) {
        // Version 1: the coordinator hears of it when the task adds the
        // partition (`Shared::take_partitions_added`), and not at all if
        // the records are aborted before.
        if self.v2.load(Ordering::Acquire) {
            self.started.store(true, Ordering::Release);
        }
    }

    /// `init_transactions`: the producer id and epoch for the
    /// transactional id, fencing older producers with it and aborting
    /// their open transaction (the coordinator does that).
    pub(crate) async fn init(&self, timeout: Duration) -> Result<(), TransactionError> {
        let deadline = Instant::now() + timeout;
        let mut inner = self.inner.lock().await;
        inner.state.start(Call::Init)?;
        let outcome = self.do_init(&mut inner, deadline).await;
        inner.state.finish(Call::Init, &outcome);
        outcome
    }

    async fn do_init(&self, inner: &mut Inner, deadline: Instant) -> Result<(), TransactionError> {
        let node = self.coordinator(inner, deadline).await?;
        let conn = self
            .cluster
            .broker(node)
            .await
            .map_err(|e| transport("InitProducerId", &e))?;
        let tv = conn.versions().transaction_version();
        let end_txn = conn
            .versions()
            .broker_range(ferrokafka_protocol::ApiKey::EndTxn);
        let v2 = tv >= 2 && end_txn.is_some_and(|(_, max)| max >= 5);
        self.v2.store(v2, Ordering::Release);
        debug!(transaction_version = tv, v2, "transactions protocol");
        let request = InitProducerIdRequest {
            transactional_id: Some(self.transactional_id.clone()),
            transaction_timeout_ms: self.timeout_ms,
            producer_id: -1,
            producer_epoch: -1,
            ..Default::default()
        };
        let r = self
            .call(inner, deadline, "InitProducerId", &request, |r| {
                r.error_code
            })
            .await?;
        info!(
            transactional_id = %self.transactional_id,
            producer_id = r.producer_id,
            epoch = r.producer_epoch,
            "transactions initialized"
        );
        self.set_producer(inner, r.producer_id, r.producer_epoch);
        Ok(())
    }

    /// `begin_transaction`: opens a transaction (no request: the
    /// coordinator learns of it with its first partition).
    pub(crate) async fn begin(&self) -> Result<(), TransactionError> {
        let mut inner = self.inner.lock().await;
        inner.state.start(Call::Begin)?;
        // Failures of an earlier transaction's records belong to it.
        self.shared.take_failed();
        self.started.store(false, Ordering::Release);
        let explicit_add = !self.v2.load(Ordering::Acquire);
        let _ = self
            .commands
            .send(Command::BeginTransaction { explicit_add });
        self.open.store(true, Ordering::Release);
        inner.state.finish(Call::Begin, &Ok(()));
        Ok(())
    }

    /// `send_offsets_to_transaction`: the group's offsets, committed when
    /// the transaction commits.
    pub(crate) async fn send_offsets(
        &self,
        offsets: &[(&str, i32, i64)],
        group: &ConsumerGroupMetadata,
        timeout: Duration,
    ) -> Result<(), TransactionError> {
        let deadline = Instant::now() + timeout;
        let mut inner = self.inner.lock().await;
        inner.state.start(Call::SendOffsets)?;
        let outcome = self
            .do_send_offsets(&mut inner, offsets, group, deadline)
            .await;
        inner.state.finish(Call::SendOffsets, &outcome);
        outcome
    }

    async fn do_send_offsets(
        &self,
        inner: &mut Inner,
        offsets: &[(&str, i32, i64)],
        group: &ConsumerGroupMetadata,
        deadline: Instant,
    ) -> Result<(), TransactionError> {
        self.started.store(true, Ordering::Release);
        let add = AddOffsetsToTxnRequest {
            transactional_id: self.transactional_id.clone(),
            producer_id: inner.producer_id,
            producer_epoch: inner.epoch,
            group_id: group.group_id.clone(),
            ..Default::default()
        };
        self.call(inner, deadline, "AddOffsetsToTxn", &add, |r| r.error_code)
            .await?;
        let mut topics: Vec<TxnOffsetCommitRequestTopic> = Vec::new();
        for &(topic, partition, offset) in offsets {
            let p = TxnOffsetCommitRequestPartition {
                partition_index: partition,
                committed_offset: offset,
                ..Default::default()
            };
            match topics.iter_mut().find(|t| t.name == topic) {
                Some(t) => t.partitions.push(p),
                None => topics.push(TxnOffsetCommitRequestTopic {
                    name: topic.to_owned(),
                    partitions: vec![p],
                    ..Default::default()
                }),
            }
        }
        let commit = TxnOffsetCommitRequest {
            transactional_id: self.transactional_id.clone(),
            group_id: group.group_id.clone(),
            producer_id: inner.producer_id,
            producer_epoch: inner.epoch,
            generation_id: group.generation_id,
            member_id: group.member_id.clone(),
            group_instance_id: group.group_instance_id.clone(),
            topics,
            ..Default::default()
        };
        let mut group_coordinator = None;
        loop {
            let node = match group_coordinator {
                Some(n) => n,
                None => {
                    let n = self.find(&group.group_id, 0, deadline).await?;
                    group_coordinator = Some(n);
                    n
                }
            };
            let r = self
                .once(deadline, "TxnOffsetCommit", node, &commit)
                .await?;
            let code = r
                .topics
                .iter()
                .flat_map(|t| &t.partitions)
                .map(|p| p.error_code)
                .find(|&c| c != 0);
            let Some(code) = code else { return Ok(()) };
            let code = ErrorCode::from_code(code);
            match classify(Some(code)) {
                Class::Retriable => {
                    debug!(%code, "TxnOffsetCommit: retrying");
                    if is_coordinator_code(code) {
                        group_coordinator = None;
                    }
                    self.pause(deadline, "TxnOffsetCommit").await?;
                }
                _ => return Err(TransactionError::from_code("TxnOffsetCommit", code)),
            }
        }
    }

    /// Marks the open transaction ending: no more records.
    pub(crate) fn close_for_records(&self) {
        self.open.store(false, Ordering::Release);
    }

    /// `commit_transaction` once the producer has flushed: `flushed` is
    /// whether every record of the transaction got its report in time.
    pub(crate) async fn commit(
        &self,
        flushed: bool,
        deadline: Instant,
    ) -> Result<(), TransactionError> {
        let mut inner = self.inner.lock().await;
        inner.state.start(Call::Commit)?;
        self.close_for_records();
        let outcome = if !flushed {
            Err(TransactionError::Retriable {
                context: "commit_transaction".into(),
                code: None,
                reason: "records of the transaction are still undelivered".into(),
            })
        } else if let Some(reason) = self.shared.fatal() {
            Err(TransactionError::Fatal {
                context: "produce".into(),
                code: None,
                reason,
            })
        } else if self.shared.take_failed() {
            Err(TransactionError::Abortable {
                context: "commit_transaction".into(),
                code: None,
                reason: "a record of the transaction failed".into(),
            })
        } else {
            match self.end(&mut inner, true, deadline).await {
                // The coordinator no longer has the transaction open: it
                // aborted it (transaction.timeout.ms passed). Abortable:
                // the abort bumps the epoch.
                Err(TransactionError::Fatal {
                    context,
                    code: Some(ErrorCode::InvalidTxnState),
                    ..
                }) => {
                    self.shared.require_bump();
                    Err(TransactionError::Abortable {
                        context,
                        code: Some(ErrorCode::InvalidTxnState),
                        reason: "the coordinator no longer has the transaction open \
                                 (transaction.timeout.ms passed?)"
                            .into(),
                    })
                }
                other => other,
            }
        };
        inner.state.finish(Call::Commit, &outcome);
        outcome
    }

    /// Starts `abort_transaction`: no more records; the producer then
    /// fails what is unsent and waits for what is in flight.
    pub(crate) async fn start_abort(&self) -> Result<(), TransactionError> {
        let mut inner = self.inner.lock().await;
        inner.state.start(Call::Abort)?;
        self.close_for_records();
        let _ = self.commands.send(Command::AbortTransaction);
        Ok(())
    }

    /// Ends `abort_transaction` once in-flight records are settled.
    pub(crate) async fn abort(
        &self,
        settled: bool,
        deadline: Instant,
    ) -> Result<(), TransactionError> {
        let mut inner = self.inner.lock().await;
        inner.state.start(Call::Abort)?;
        let outcome = if !settled {
            Err(TransactionError::Retriable {
                context: "abort_transaction".into(),
                code: None,
                reason: "records of the transaction are still in flight".into(),
            })
        } else if let Some(reason) = self.shared.fatal() {
            Err(TransactionError::Fatal {
                context: "produce".into(),
                code: None,
                reason,
            })
        } else {
            self.shared.take_failed();
            // The task waits for a new epoch after an old one or a broken
            // sequence: EndTxn v5 bumps it (and the coordinator answers
            // an abort it already made itself, after the transaction
            // timed out, as done).
            let bump = self.shared.take_bump_required();
            if bump {
                self.started.store(true, Ordering::Release);
            }
            // A failed EndTxn leaves `started` set: the retry sends it.
            let ended = self.end(&mut inner, false, deadline).await;
            if !bump || self.v2.load(Ordering::Acquire) {
                ended
            } else {
                // Version 1 keeps the epoch at EndTxn: the task waits for
                // a new one, which InitProducerId with the current id and
                // epoch gives (KIP-360). Until it has come, a retried
                // abort asks again.
                let r = match ended {
                    Ok(()) => self.bump_epoch(&mut inner, deadline).await,
                    Err(e) => Err(e),
                };
                if r.is_err() {
                    self.shared.require_bump();
                }
                r
            }
        };
        inner.state.finish(Call::Abort, &outcome);
        outcome
    }

    /// EndTxn (v5: the response carries the bumped epoch, handed to the
    /// producer task); skipped when nothing was sent in the transaction,
    /// which the coordinator then never heard of.
    async fn end(
        &self,
        inner: &mut Inner,
        commit: bool,
        deadline: Instant,
    ) -> Result<(), TransactionError> {
        if self.shared.take_partitions_added() {
            self.started.store(true, Ordering::Release);
        }
        if !self.started.load(Ordering::Acquire) {
            return Ok(());
        }
        let request = EndTxnRequest {
            transactional_id: self.transactional_id.clone(),
            producer_id: inner.producer_id,
            producer_epoch: inner.epoch,
            committed: commit,
            ..Default::default()
        };
        let r = self
            .call(inner, deadline, "EndTxn", &request, |r| r.error_code)
            .await?;
        self.started.store(false, Ordering::Release);
        debug!(commit, new_epoch = r.producer_epoch, "transaction ended");
        if r.producer_id >= 0 && r.producer_epoch >= 0 {
            self.set_producer(inner, r.producer_id, r.producer_epoch);
        }
        Ok(())
    }

    /// InitProducerId naming the current id and epoch: the next epoch
    /// (transactions version 1, after the abort of a transaction whose
    /// sequence broke).
    async fn bump_epoch(
        &self,
        inner: &mut Inner,
        deadline: Instant,
    ) -> Result<(), TransactionError> {
        let request = InitProducerIdRequest {
            transactional_id: Some(self.transactional_id.clone()),
            transaction_timeout_ms: self.timeout_ms,
            producer_id: inner.producer_id,
            producer_epoch: inner.epoch,
            ..Default::default()
        };
        let r = self
            .call(inner, deadline, "InitProducerId", &request, |r| {
                r.error_code
            })
            .await?;
        info!(
            producer_id = r.producer_id,
            epoch = r.producer_epoch,
            "epoch bumped"
        );
        self.set_producer(inner, r.producer_id, r.producer_epoch);
        Ok(())
    }

    fn set_producer(&self, inner: &mut Inner, id: i64, epoch: i16) {
        inner.producer_id = id;
        inner.epoch = epoch;
        let _ = self.commands.send(Command::ProducerId { id, epoch });
    }

    /// The transaction coordinator, looked up when unknown.
    async fn coordinator(
        &self,
        inner: &mut Inner,
        deadline: Instant,
    ) -> Result<i32, TransactionError> {
        if let Some(n) = inner.coordinator {
            return Ok(n);
        }
        let n = self.find(&self.transactional_id, 1, deadline).await?;
        inner.coordinator = Some(n);
        Ok(n)
    }

    /// FindCoordinator for `key` (key type 0: group, 1: transaction),
    /// retried until `deadline`.
    async fn find(
        &self,
        key: &str,
        key_type: i8,
        deadline: Instant,
    ) -> Result<i32, TransactionError> {
        let request = FindCoordinatorRequest {
            key: key.to_owned(),
            key_type,
            coordinator_keys: vec![key.to_owned()],
            ..Default::default()
        };
        loop {
            let result =
                tokio::time::timeout_at(deadline, self.cluster.send_to_any(&request)).await;
            let failure = match result {
                Err(_) => return Err(timed_out("FindCoordinator")),
                Ok(Ok(r)) => {
                    let (code, node) = match r.coordinators.first() {
                        Some(c) => (c.error_code, c.node_id),
                        None => (r.error_code, r.node_id),
                    };
                    if code == 0 {
                        return Ok(node);
                    }
                    let code = ErrorCode::from_code(code);
                    if classify(Some(code)) != Class::Retriable {
                        return Err(TransactionError::from_code("FindCoordinator", code));
                    }
                    code.to_string()
                }
                Ok(Err(e)) if e.is_retriable() => e.to_string(),
                Ok(Err(e)) => return Err(transport("FindCoordinator", &e)),
            };
            debug!(key, failure, "FindCoordinator: retrying");
            self.pause(deadline, "FindCoordinator").await?;
        }
    }

    /// `request` to the transaction coordinator until it answers without
    /// a retriable error or `deadline` passes.
    async fn call<R: Request>(
        &self,
        inner: &mut Inner,
        deadline: Instant,
        what: &str,
        request: &R,
        code_of: impl Fn(&R::Response) -> i16,
    ) -> Result<R::Response, TransactionError> {
        loop {
            let node = self.coordinator(inner, deadline).await?;
            let r = match self.once(deadline, what, node, request).await {
                Ok(r) => r,
                Err(e) if e.is_retriable() => {
                    inner.coordinator = None;
                    self.pause(deadline, what).await?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let code = code_of(&r);
            if code == 0 {
                return Ok(r);
            }
            let code = ErrorCode::from_code(code);
            if classify(Some(code)) != Class::Retriable {
                warn!(what, %code, "transaction request failed");
                return Err(TransactionError::from_code(what, code));
            }
            debug!(what, %code, "retrying");
            if is_coordinator_code(code) {
                inner.coordinator = None;
            }
            self.pause(deadline, what).await?;
        }
    }

    /// One attempt of `request` to `node`, within `deadline`; transport
    /// failures are retriable errors.
    async fn once<R: Request>(
        &self,
        deadline: Instant,
        what: &str,
        node: i32,
        request: &R,
    ) -> Result<R::Response, TransactionError> {
        match tokio::time::timeout_at(deadline, self.cluster.send_to(node, request)).await {
            Err(_) => Err(timed_out(what)),
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(transport(what, &e)),
        }
    }

    /// Waits `retry.backoff.ms` before the next try, unless that passes
    /// `deadline`.
    async fn pause(&self, deadline: Instant, what: &str) -> Result<(), TransactionError> {
        let at = Instant::now() + self.retry_backoff;
        if at >= deadline {
            return Err(timed_out(what));
        }
        tokio::time::sleep_until(at).await;
        Ok(())
    }
}

fn is_coordinator_code(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::NotCoordinator | ErrorCode::CoordinatorNotAvailable
    )
}

fn timed_out(what: &str) -> TransactionError {
    TransactionError::Retriable {
        context: what.to_owned(),
        code: Some(ErrorCode::RequestTimedOut),
        reason: "timed out".into(),
    }
}

/// A failure to reach a broker: retriable if the client's error is.
fn transport(what: &str, e: &Error) -> TransactionError {
    let (context, code, reason) = (what.to_owned(), e.kafka_code(), e.to_string());
    if e.is_retriable() {
        TransactionError::Retriable {
            context,
            code,
            reason,
        }
    } else {
        TransactionError::Fatal {
            context,
            code,
            reason,
        }
    }
}
