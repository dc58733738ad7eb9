//! The sender's handling of Produce results: each batch's answer makes
//! it delivered, retried (keeping its sequence numbers) or failed, and
//! decides whether the producer's epoch must move on; a batch whose
//! attempt got no settling answer is marked possibly written.

use std::collections::HashMap;
use std::sync::Arc;

use ferrokafka_protocol::messages::ProduceResponse;
use ferrokafka_protocol::ErrorCode;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::{ProducerId, Sender};
use crate::error::Error;
use crate::producer::accumulator::{expired, fail_batch, given_up, Failed};
use crate::producer::batch::ProducerBatch;
use crate::producer::delivery::{Delivery, ProduceError};

impl Sender {
    /// Handles a request's outcome at `now`: `sent` says whether it was
    /// handed to a connection (an error then leaves its batches' fate
    /// unknown).
    pub(super) fn on_produced(
        &mut self,
        batches: Vec<ProducerBatch>,
        result: Result<Option<ProduceResponse>, Error>,
        sent: bool,
        now: Instant,
    ) {
        let response = match result {
            Ok(r) => r,
            Err(e) => {
                // The whole request failed: every batch is retried (or
                // fails when its time is up). Once the request was
                // written, the broker may have written its batches.
                self.schedule_metadata(false);
                let reason = e.to_string();
                for mut b in batches {
                    b.possibly_written |= sent;
                    self.retry_or_fail(b, reason.clone(), None, now);
                }
                return;
            }
        };
        let Some(response) = response else {
            // acks=0: written to the socket is delivered.
            for b in batches {
                self.acc.done(&b.topic, b.partition);
                self.deliver(b, -1, -1);
            }
            return;
        };
        let metadata = self.cluster.metadata();
        let mut results: HashMap<(&str, i32), (i16, i64, i64)> = HashMap::new();
        for t in &response.responses {
            let name = if t.name.is_empty() {
                metadata
                    .topics()
                    .find(|i| i.topic_id == t.topic_id)
                    .map(|i| i.name.as_str())
            } else {
                Some(t.name.as_str())
            };
            let Some(name) = name else { continue };
            for p in &t.partition_responses {
                results.insert(
                    (name, p.index),
                    (p.error_code, p.base_offset, p.log_append_time_ms),
                );
            }
        }
        for b in batches {
            let Some(&(code, base_offset, append_time)) = results.get(&(&*b.topic, b.partition))
            else {
                let mut b = b;
                // Answered, but not for this batch: the broker may still
                // have written it.
                b.possibly_written = true;
                self.retry_or_fail(b, "no result for the partition".into(), None, now);
                continue;
            };
            self.on_batch_result(b, ErrorCode::from_code(code), base_offset, append_time, now);
        }
    }

    pub(super) fn on_batch_result(
        &mut self,
        mut batch: ProducerBatch,
        code: ErrorCode,
        base_offset: i64,
        append_time: i64,
        now: Instant,
    ) {
        use ErrorCode as E;
        match code {
            E::None => {
                self.acc.done(&batch.topic, batch.partition);
                self.acc.acked(&batch.topic, batch.partition);
                self.deliver(batch, base_offset, append_time);
            }
            // The broker already has this batch: an earlier attempt was
            // written and its answer lost.
            E::DuplicateSequenceNumber => {
                self.acc.done(&batch.topic, batch.partition);
                self.acc.acked(&batch.topic, batch.partition);
                self.deliver(batch, -1, append_time);
            }
            _ if code.invalidates_metadata() => {
                self.schedule_metadata(false);
                self.retry_or_fail(batch, code.to_string(), Some(code), now);
            }
            E::OutOfOrderSequenceNumber | E::UnknownProducerId
                if self.producer_id != ProducerId::Disabled =>
            {
                // Expected while an earlier batch of the partition is
                // being sent again; otherwise the broker lost our
                // sequence and the epoch must move on. Either way the
                // broker checked this batch's sequence against its state
                // and did not find it there: it is not written.
                batch.possibly_written = false;
                if code == E::UnknownProducerId || !self.earlier_batch_retrying(&batch) {
                    warn!(topic = %batch.topic, partition = batch.partition, %code, "sequence broken; bumping the producer epoch");
                    self.bump_epoch();
                }
                self.retry_or_fail(batch, code.to_string(), Some(code), now);
            }
            // In a transaction an old epoch means the coordinator aborted
            // it (transaction.timeout.ms) or another producer fenced this
            // one: the transaction must be aborted; the abort's EndTxn
            // brings a new epoch, or PRODUCER_FENCED (fatal).
            E::InvalidProducerEpoch | E::InvalidTxnState | E::TransactionAbortable
                if self.config.transactional_id.is_some() =>
            {
                self.acc.done(&batch.topic, batch.partition);
                batch.possibly_written = false;
                self.fail(batch, code);
                self.bump_epoch();
            }
            _ if code.is_fatal_for_producer() => {
                self.acc.done(&batch.topic, batch.partition);
                self.fail(batch, code);
                self.fatal(format!("{code}"));
            }
            _ if code.is_retriable() => {
                self.retry_or_fail(batch, code.to_string(), Some(code), now)
            }
            _ => {
                self.acc.done(&batch.topic, batch.partition);
                if batch.base_sequence.is_some() {
                    self.bump_epoch();
                }
                if refuses_content(code) {
                    // Every attempt carried the same bytes: an earlier one
                    // was refused as well.
                    batch.possibly_written = false;
                }
                self.fail(batch, code);
            }
        }
    }

    /// Whether a batch before `batch` in its partition is waiting to be
    /// sent again (so the broker's OUT_OF_ORDER_SEQUENCE is expected).
    pub(super) fn earlier_batch_retrying(&self, batch: &ProducerBatch) -> bool {
        // Retried batches go back to the queue before this one's answer
        // arrives (responses come in order on a connection). Whether this
        // batch was itself retried says nothing: the first batch of the
        // partition refused again and again means the broker lost the
        // sequence, and only an epoch bump gets it through.
        batch.base_sequence.is_some_and(|seq| {
            self.acc
                .has_earlier_batch(&batch.topic, batch.partition, seq)
        })
    }

    pub(super) fn retry_or_fail(
        &mut self,
        mut batch: ProducerBatch,
        reason: String,
        code: Option<ErrorCode>,
        now: Instant,
    ) {
        if self.closing {
            // Closing: no more attempts. Not written, unless an attempt
            // may have been.
            self.acc.done(&batch.topic, batch.partition);
            if batch.base_sequence.is_some() {
                self.bump_epoch();
            }
            let error = given_up(&batch, ProduceError::Closed);
            let mut failed = Vec::new();
            fail_batch(batch, &error, &mut failed);
            self.report_failures(failed);
            return;
        }
        let timed_out = expired(batch.created, self.config.message_timeout, now);
        if timed_out || batch.attempts >= self.config.retries {
            self.acc.done(&batch.topic, batch.partition);
            if batch.base_sequence.is_some() {
                self.bump_epoch();
            }
            let error = match (timed_out, code) {
                (false, Some(code)) => ProduceError::Kafka {
                    topic: batch.topic.to_string(),
                    partition: batch.partition,
                    error: code,
                },
                _ => ProduceError::TimedOut {
                    topic: batch.topic.to_string(),
                    partition: batch.partition,
                    last: Some(reason),
                },
            };
            let error = given_up(&batch, error);
            let mut failed = Vec::new();
            fail_batch(batch, &error, &mut failed);
            self.report_failures(failed);
            return;
        }
        debug!(topic = %batch.topic, partition = batch.partition, attempt = batch.attempts + 1, reason, "retrying batch");
        batch.last_error = Some(reason);
        let at = now + self.config.retry_backoff;
        self.acc.retry(batch, at);
    }

    pub(super) fn bump_epoch(&mut self) {
        if let ProducerId::Ready { id, epoch } = self.producer_id {
            self.producer_id = ProducerId::NeedsBump { id, epoch };
        }
    }

    pub(super) fn fatal(&mut self, reason: String) {
        self.shared.set_fatal(&reason);
        self.producer_id = ProducerId::Fatal(reason.clone());
        let failed = self.acc.purge(&ProduceError::Fatal(reason));
        self.report_failures(failed);
    }

    pub(super) fn deliver(&mut self, mut batch: ProducerBatch, base_offset: i64, append_time: i64) {
        self.stats.delivered(&batch, base_offset);
        if let Some(buf) = batch.take_buffer() {
            self.acc.recycle(buf);
        }
        let n = batch.records.len();
        let per_record = batch.permit_bytes / n.max(1);
        let mut extra = batch.permit_bytes - per_record * n;
        // A fresh `Arc` per batch, not the topic's own: the application
        // thread drops each report's clone while this thread clones for
        // the next batch, and one shared count bounced between the cores
        // on every record.
        let topic: Arc<str> = Arc::from(&*batch.topic);
        let partition = batch.partition;
        let mut records = std::mem::take(&mut batch.records);
        let reports = records.drain(..).enumerate().map(|(i, (sink, timestamp))| {
            let delivery = Delivery {
                topic: topic.clone(),
                partition,
                offset: if base_offset >= 0 {
                    base_offset + i as i64
                } else {
                    -1
                },
                timestamp: if append_time >= 0 {
                    append_time
                } else {
                    timestamp
                },
            };
            let bytes = per_record + std::mem::take(&mut extra);
            (sink, Ok(delivery), bytes)
        });
        self.shared.report_all(reports);
        self.acc.recycle_records(records);
    }

    pub(super) fn fail(&mut self, batch: ProducerBatch, code: ErrorCode) {
        let error = given_up(
            &batch,
            ProduceError::Kafka {
                topic: batch.topic.to_string(),
                partition: batch.partition,
                error: code,
            },
        );
        let mut failed = Vec::new();
        fail_batch(batch, &error, &mut failed);
        self.report_failures(failed);
    }

    pub(super) fn report_failures(&self, failed: Vec<Failed>) {
        if failed.is_empty() {
            return;
        }
        self.shared.report_all(
            failed
                .into_iter()
                .map(|f| (f.sink, Err(f.error), f.permit_bytes)),
        );
    }
}

/// Errors by which the broker refuses a batch for what it holds, which
/// no attempt of the same bytes can get past.
fn refuses_content(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::InvalidRecord
            | ErrorCode::CorruptMessage
            | ErrorCode::MessageTooLarge
            | ErrorCode::RecordListTooLarge
            | ErrorCode::InvalidTimestamp
    )
}
