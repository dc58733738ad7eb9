//! The producer: records in, delivery reports out.
//!
//! `send` puts a record in the buffer (waiting while the buffer is full;
//! `try_send` and `produce` refuse instead) and gives a future of its
//! delivery report; `produce` takes a callback instead, run by `poll` or
//! `flush` as confluent-kafka does. Behind the handles one task owns the
//! accumulator (per-partition batches, records encoded once, straight into
//! the batch) and the sender (requests to partition leaders, retries with
//! the same sequence numbers under idempotence, which is on by default).
//!
//! ```no_run
//! use ferrokafka::config::ClientConfig;
//! use ferrokafka::producer::{Producer, ProducerRecord};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ClientConfig::from_properties([("bootstrap.servers", "localhost:9092")])?;
//! let producer = Producer::new(config)?;
//! let delivery = producer
//!     .send(ProducerRecord::new("my_events_topic").key("0").value("hello"))
//!     .await?
//!     .await?;
//! println!("delivered to {} [{}] @ {}", delivery.topic, delivery.partition, delivery.offset);
//! producer.flush(std::time::Duration::from_secs(10)).await;
//! # Ok(())
//! # }
//! ```

mod accumulator;
mod batch;
mod broker;
mod delivery;
mod inbox;
pub mod partitioner;
mod record;
mod sender;
mod shared;
mod statistics;
mod transaction;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

pub use delivery::{Delivery, DeliveryCallback, DeliveryFuture, DeliveryResult, ProduceError};
pub use record::ProducerRecord;
pub use transaction::{ConsumerGroupMetadata, TransactionError};

use accumulator::{Accumulator, AccumulatorConfig};
use delivery::Sink;
use inbox::{Command, InboxSender};
use sender::{Sender, SenderConfig};
use shared::Shared;
use transaction::TxnManager;

use crate::cluster::Cluster;
use crate::config::ClientConfig;
use crate::error::Result;

/// A Kafka producer. Cheap to clone; clones share one buffer and one
/// background task. Dropping the last clone fails what is still queued
/// with [`ProduceError::Closed`] (and logs how many), and records of
/// requests already sent with their answer, or with
/// [`ProduceError::PossiblyPersisted`] when none settles their fate; call
/// [`Producer::flush`] or [`Producer::close`] first to deliver them.
#[derive(Clone)]
pub struct Producer {
    // Unbounded: the buffer bound is the semaphores in `shared`, taken
    // before a record is sent here.
    commands: InboxSender,
    shared: Arc<Shared>,
    cluster: Cluster,
    message_max_bytes: usize,
    /// How long a request in flight can take to be answered or given up
    /// on (a connect, then `request.timeout.ms`): what `close` waits
    /// past its own timeout for the answers of requests already sent.
    in_flight_grace: Duration,
    /// The transaction manager, with a `transactional.id`.
    txn: Option<Arc<TxnManager>>,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("cluster", &self.cluster)
            .field("outstanding", &self.shared.outstanding())
            .finish_non_exhaustive()
    }
}

impl Producer {
    /// A producer for the cluster `config` names. Checks the configuration
    /// (an error names the property at fault) and starts the background
    /// task; it must be called within a tokio runtime. No connection is
    /// made until the first record.
    pub fn new(config: ClientConfig) -> Result<Producer> {
        config.validate()?;
        let cluster = Cluster::new(
            config.clone(),
            config.allow_auto_create_topics.unwrap_or(true),
        )?;
        let idempotent = config.enable_idempotence;
        let max_in_flight = if idempotent {
            config.max_in_flight.min(5)
        } else {
            config.max_in_flight
        };
        if may_reorder(&config) {
            tracing::warn!(
                max_in_flight,
                retries = config.retries,
                "enable.idempotence=false with retries and more than one request in flight: \
                 a retried batch may be written after batches sent behind it (records reordered); \
                 set max.in.flight=1 or enable.idempotence=true to keep each partition's order"
            );
        }
        let batch_bytes = config.batch_size.min(config.message_max_bytes).max(1);
        let acc = Accumulator::new(AccumulatorConfig {
            linger: config.linger,
            batch_bytes,
            batch_records: config.batch_num_messages.max(1),
            compression: codec(config.compression),
            partitioner: config.partitioner,
            max_in_flight,
            message_timeout: message_timeout(config.message_timeout),
            idempotent,
        });
        let shared = Arc::new(Shared::new(
            config.queue_buffering_max_messages,
            config.queue_buffering_max_kbytes.saturating_mul(1024),
        ));
        let sender_config = SenderConfig {
            acks: config.acks,
            request_timeout: config.request_timeout,
            retry_backoff: config.retry_backoff,
            retries: config.retries,
            message_timeout: message_timeout(config.message_timeout),
            max_in_flight,
            max_request_bytes: config.message_max_bytes,
            transactional_id: config.transactional_id.clone(),
            statistics_name: crate::statistics::next_name(&config.client_id, "producer"),
            statistics: None,
        };
        let mut sender_config = sender_config;
        let emitted = match &config.statistics_callback {
            Some(callback) if !config.statistics_interval.is_zero() => {
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                sender_config.statistics = Some((config.statistics_interval, tx));
                Some((callback.clone(), rx))
            }
            _ => None,
        };
        let (sender, events) = Sender::new(
            cluster.clone(),
            shared.clone(),
            sender_config,
            acc,
            idempotent,
        );
        let (commands, rx) = inbox::inbox();
        tokio::spawn(sender.run(rx, events));
        let txn = config.transactional_id.clone().map(|id| {
            Arc::new(TxnManager::new(
                id,
                config.transaction_timeout,
                cluster.clone(),
                commands.clone(),
                shared.clone(),
                config.retry_backoff,
            ))
        });
        if let Some((callback, rx)) = emitted {
            tokio::spawn(statistics::call_back(
                callback,
                rx,
                txn.as_ref().map(Arc::downgrade),
            ));
        }
        Ok(Producer {
            commands,
            shared,
            cluster,
            message_max_bytes: config.message_max_bytes,
            in_flight_grace: config.connect_timeout + config.request_timeout,
            txn,
        })
    }

    /// Queues `record`, waiting while the buffer is full, and returns the
    /// future of its delivery report. A record over `message.max.bytes`
    /// is refused at once. The record holds its place in the buffer until
    /// its report is taken (the future completes) or the future is
    /// dropped: a caller holding more unawaited futures than
    /// `queue.buffering.max.messages` waits here until it lets one go.
    pub async fn send(&self, record: ProducerRecord) -> Result<DeliveryFuture, ProduceError> {
        let size = self.check_size(&record)?;
        let permits = self.shared.byte_permits(size);
        self.shared
            .reserve(permits)
            .await
            .map_err(|_| ProduceError::Closed)?;
        let (tx, rx) = oneshot::channel();
        self.enqueue(record, Sink::Future(tx), permits as usize)?;
        self.record_queued();
        Ok(self.future(rx))
    }

    /// Queues `record` without waiting: [`ProduceError::QueueFull`] when
    /// the buffer is full.
    pub fn try_send(&self, record: ProducerRecord) -> Result<DeliveryFuture, ProduceError> {
        let (tx, rx) = oneshot::channel();
        self.try_enqueue(record, Sink::Future(tx))?;
        Ok(self.future(rx))
    }

    fn future(&self, rx: oneshot::Receiver<delivery::Report>) -> DeliveryFuture {
        DeliveryFuture {
            rx,
            shared: self.shared.clone(),
            taken: false,
        }
    }

    /// Queues `record` without waiting, as confluent-kafka's `produce`:
    /// `on_delivery` gets its report, run by [`Producer::poll`] or
    /// [`Producer::flush`] on the caller's task. Until its callback has
    /// run the record holds its place in the buffer, as in librdkafka: an
    /// application that never polls gets [`ProduceError::QueueFull`] once
    /// `queue.buffering.max.messages` reports wait for it.
    pub fn produce(
        &self,
        record: ProducerRecord,
        on_delivery: impl FnOnce(DeliveryResult) + Send + 'static,
    ) -> Result<(), ProduceError> {
        self.try_enqueue(record, Sink::Callback(Box::new(on_delivery)))
    }

    /// Runs the delivery callbacks whose reports are in, waiting up to
    /// `timeout` for one when there are none. Returns how many ran.
    pub async fn poll(&self, timeout: Duration) -> usize {
        let ran = self.shared.run_callbacks();
        if ran > 0 || timeout.is_zero() {
            return ran;
        }
        self.shared
            .wait_for_progress(Instant::now() + timeout)
            .await;
        self.shared.run_callbacks()
    }

    /// Sends everything queued now (not waiting for `linger.ms`) and waits
    /// up to `timeout` for every report, running delivery callbacks as
    /// they come. Returns how many records are still undelivered (0 when
    /// all are done).
    pub async fn flush(&self, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        let _ = self.commands.send(Command::Flush);
        loop {
            // The count first: a report is queued before it is counted
            // out, so every callback counted out by now is in the queue.
            let left = self.shared.outstanding();
            self.shared.run_callbacks();
            if left == 0 || Instant::now() >= deadline {
                return left;
            }
            self.shared.wait_for_progress(deadline).await;
        }
    }

    /// Flushes for up to `timeout`, then gives up on what is left:
    /// records never sent fail with [`ProduceError::Closed`]; records in
    /// requests already sent get their answer (close waits for it, at most
    /// `socket.connection.setup.timeout.ms` + `request.timeout.ms` past
    /// `timeout`) but no further attempt, and fail with
    /// [`ProduceError::PossiblyPersisted`] when no answer settles whether
    /// they were written. Runs the last callbacks. Returns how many
    /// records were still undelivered when `timeout` passed.
    pub async fn close(self, timeout: Duration) -> usize {
        let left = self.flush(timeout).await;
        if left > 0 {
            let _ = self.commands.send(Command::Purge);
            self.flush(self.in_flight_grace).await;
        }
        self.shared.run_callbacks();
        left
    }

    /// Initializes transactions (a producer with `transactional.id`, once,
    /// before anything else): finds the transaction coordinator and gets
    /// the producer id and epoch, which fences every older producer with
    /// the same `transactional.id` and has its open transaction aborted.
    /// A retriable error means: call again (it resumes).
    pub async fn init_transactions(&self, timeout: Duration) -> Result<(), TransactionError> {
        self.txn()?.init(timeout).await
    }

    /// Opens a transaction: the records sent until its commit or abort
    /// belong to it (outside one, `send` refuses them with
    /// [`ProduceError::NoTransaction`]).
    pub async fn begin_transaction(&self) -> Result<(), TransactionError> {
        self.txn()?.begin().await
    }

    /// Adds a consumer group's offsets (topic, partition, next offset to
    /// read) to the open transaction: they are committed if and only if
    /// the transaction commits. `group` is the consumer's
    /// [`Consumer::group_metadata`](crate::consumer::Consumer::group_metadata)
    /// taken when the transaction's input was read (not after): if the
    /// group rebalanced since, the coordinator refuses the offsets
    /// (abortable), so a member that lost its partitions cannot commit
    /// input their new owner reads again (KIP-447).
    pub async fn send_offsets_to_transaction(
        &self,
        offsets: &[(&str, i32, i64)],
        group: &ConsumerGroupMetadata,
        timeout: Duration,
    ) -> Result<(), TransactionError> {
        self.txn()?.send_offsets(offsets, group, timeout).await
    }

    /// Commits the open transaction: sends every record queued, waits for
    /// all their reports, then has the coordinator commit. A record that
    /// failed makes the error abortable (call
    /// [`Producer::abort_transaction`]); a retriable error (timeout) means
    /// call again.
    pub async fn commit_transaction(&self, timeout: Duration) -> Result<(), TransactionError> {
        let txn = self.txn()?;
        let deadline = Instant::now() + timeout;
        txn.close_for_records();
        let left = self.flush(timeout).await;
        txn.commit(left == 0, deadline).await
    }

    /// Aborts the open transaction: records not sent yet fail with
    /// [`ProduceError::Aborted`], records in flight get their answer, and
    /// the coordinator aborts the transaction (its records are never
    /// read by `read_committed` consumers).
    pub async fn abort_transaction(&self, timeout: Duration) -> Result<(), TransactionError> {
        let txn = self.txn()?;
        let deadline = Instant::now() + timeout;
        txn.start_abort().await?;
        let left = self.flush(timeout).await;
        txn.abort(left == 0, deadline).await
    }

    fn txn(&self) -> Result<&TxnManager, TransactionError> {
        self.txn
            .as_deref()
            .ok_or(TransactionError::NotTransactional)
    }

    /// How many records have no delivery report yet.
    pub fn in_flight_count(&self) -> usize {
        self.shared.outstanding()
    }

    /// The cluster this producer talks to.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    fn check_size(&self, record: &ProducerRecord) -> Result<usize, ProduceError> {
        if let Some(txn) = &self.txn {
            if !txn.is_open() {
                return Err(ProduceError::NoTransaction);
            }
        }
        let size = record.size_estimate();
        if size > self.message_max_bytes {
            return Err(ProduceError::MessageTooLarge {
                size,
                max: self.message_max_bytes,
            });
        }
        Ok(size)
    }

    fn try_enqueue(&self, record: ProducerRecord, sink: Sink) -> Result<(), ProduceError> {
        let size = self.check_size(&record)?;
        let permits = self.shared.byte_permits(size);
        self.shared
            .try_reserve(permits)
            .map_err(|_| ProduceError::QueueFull)?;
        self.enqueue(record, sink, permits as usize)?;
        self.record_queued();
        Ok(())
    }

    fn record_queued(&self) {
        if let Some(txn) = &self.txn {
            txn.record_queued();
        }
    }

    fn enqueue(
        &self,
        record: ProducerRecord,
        sink: Sink,
        permit_bytes: usize,
    ) -> Result<(), ProduceError> {
        self.shared.add_outstanding();
        if self
            .commands
            .send_record(record, sink, permit_bytes)
            .is_err()
        {
            self.shared.forget_outstanding();
            self.shared.release(1, permit_bytes);
            return Err(ProduceError::Closed);
        }
        Ok(())
    }
}

/// Whether `config` lets a retried batch be written after later ones of
/// its partition: without idempotence the broker takes batches in the
/// order they arrive, and with several requests in flight a retry arrives
/// behind requests sent after the failed one.
fn may_reorder(config: &ClientConfig) -> bool {
    !config.enable_idempotence && config.max_in_flight > 1 && config.retries > 0
}

/// `message.timeout.ms` as the producer keeps it: 0 means no limit, as
/// in librdkafka.
fn message_timeout(configured: Duration) -> Option<Duration> {
    (!configured.is_zero()).then_some(configured)
}

/// The protocol crate's codec for `compression.type`.
fn codec(c: crate::config::Compression) -> ferrokafka_protocol::records::Compression {
    use crate::config::Compression as C;
    use ferrokafka_protocol::records::Compression as P;
    match c {
        C::Gzip => P::Gzip,
        C::Snappy => P::Snappy,
        C::Lz4 => P::Lz4,
        C::Zstd => P::Zstd,
        _ => P::None,
    }
}
