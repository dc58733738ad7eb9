//! The producer's task: the one owner of the accumulator. It takes
//! records from the handles, keeps topic metadata and the producer id,
//! sends ready batches to their leaders (at most `max.in.flight` requests
//! per broker, each request on its own task so a slow broker holds up
//! nobody else), and turns responses into delivery reports, retries or
//! failures. Retried batches keep their sequence numbers, so the broker
//! drops what it already has: nothing is lost, duplicated or reordered.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferrokafka_protocol::messages::produce::{PartitionProduceData, TopicProduceData};
use ferrokafka_protocol::messages::{InitProducerIdRequest, ProduceRequest};
use ferrokafka_protocol::{ErrorCode, Uuid};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::accumulator::{fail_batch, now_millis, Accumulator, Appended, Failed};
use super::batch::ProducerBatch;
use super::broker::{self, Outgoing, Produced};
use super::delivery::ProduceError;
use super::inbox::{Command, InboxReceiver};
use super::shared::Shared;
use crate::cluster::{Cluster, ClusterMetadata};
use crate::config::Acks;
use crate::error::Error;

mod add_partitions;
mod results;
mod stats;
#[cfg(test)]
mod tests;

/// How many commands the task handles per loop turn before it looks at
/// what else is ready: one pass of dispatch per burst, not per record.
const BURST: usize = 4096;

/// What the task's own helpers report back.
pub(crate) enum Event {
    Produced(Produced),
    /// An AddPartitionsToTxn job's answer (transactions version 1).
    Added(add_partitions::Added),
    Metadata(Result<Arc<ClusterMetadata>, Error>),
    ProducerId(Result<(i64, i16), Error>),
}

#[derive(Debug, Clone, PartialEq)]
enum ProducerId {
    /// Idempotence is off.
    Disabled,
    /// Needed; none asked for yet (or the last ask failed; ask at `at`).
    Needed {
        at: Instant,
    },
    /// InitProducerId is in flight.
    Requesting,
    Ready {
        id: i64,
        epoch: i16,
    },
    /// The sequence broke: bump the epoch once nothing is in flight and
    /// no batch that may have been written under this epoch waits for a
    /// retry (KIP-360): renumbered under the new epoch, the broker could
    /// not tell its retry from a new batch and would write it twice.
    /// Until then such batches go on being sent as they were numbered.
    NeedsBump {
        id: i64,
        epoch: i16,
    },
    /// Fenced or not authorized: nothing more is sent.
    Fatal(String),
    /// Transactional: the transaction manager hands the id and epoch over
    /// (`Command::ProducerId`); nothing is sent until it does.
    Awaiting,
}

/// Everything the task needs from the configuration.
#[derive(Debug, Clone)]
pub(crate) struct SenderConfig {
    pub(crate) acks: Acks,
    pub(crate) request_timeout: Duration,
    pub(crate) retry_backoff: Duration,
    pub(crate) retries: u32,
    /// `None` for no limit.
    pub(crate) message_timeout: Option<Duration>,
    pub(crate) max_in_flight: usize,
    pub(crate) max_request_bytes: usize,
    /// `transactional.id`: carried by every Produce request; batches are
    /// marked transactional.
    pub(crate) transactional_id: Option<String>,
    /// The statistics' `name`.
    pub(crate) statistics_name: String,
    /// `statistics.interval.ms` and where each interval's statistics go
    /// (to the task that calls the application's callback).
    pub(crate) statistics: Option<(
        Duration,
        mpsc::UnboundedSender<crate::statistics::Statistics>,
    )>,
}

pub(crate) struct Sender {
    cluster: Cluster,
    shared: Arc<Shared>,
    config: SenderConfig,
    acc: Accumulator,
    events: mpsc::UnboundedSender<Event>,
    broker_in_flight: HashMap<i32, usize>,
    /// Each broker's request pipeline.
    pipelines: HashMap<i32, mpsc::UnboundedSender<Outgoing>>,
    flushing: bool,
    /// The handles are closing (purge) or gone: batches in flight get
    /// their answer but no retry, and nothing new is sent. Ends when
    /// nothing is in flight any more.
    closing: bool,
    metadata_in_flight: bool,
    metadata_wanted: bool,
    metadata_failures: u32,
    next_metadata_at: Instant,
    producer_id: ProducerId,
    pid_failures: u32,
    /// The open transaction's partitions (transactions version 1).
    txn: add_partitions::TxnPartitions,
    /// What the statistics count (per batch, never per record).
    stats: stats::Counts,
}

impl Sender {
    pub(crate) fn new(
        cluster: Cluster,
        shared: Arc<Shared>,
        config: SenderConfig,
        acc: Accumulator,
        idempotent: bool,
    ) -> (Self, mpsc::UnboundedReceiver<Event>) {
        let (events, rx) = mpsc::unbounded_channel();
        let now = Instant::now();
        let stats = stats::Counts::new(now, &config.statistics);
        let producer_id = if config.transactional_id.is_some() {
            ProducerId::Awaiting
        } else if idempotent {
            ProducerId::Needed { at: now }
        } else {
            ProducerId::Disabled
        };
        (
            Self {
                cluster,
                shared,
                config,
                acc,
                events,
                broker_in_flight: HashMap::new(),
                pipelines: HashMap::new(),
                flushing: false,
                closing: false,
                metadata_in_flight: false,
                metadata_wanted: false,
                metadata_failures: 0,
                next_metadata_at: now,
                producer_id,
                pid_failures: 0,
                txn: add_partitions::TxnPartitions::default(),
                stats,
            },
            rx,
        )
    }

    /// Runs until every handle is gone and nothing is in flight.
    pub(crate) async fn run(
        mut self,
        inbox: InboxReceiver,
        mut events: mpsc::UnboundedReceiver<Event>,
    ) {
        let mut metadata = self.cluster.watch_metadata();
        let mut handles_gone = false;
        // Commands taken from the inbox and not handled yet, worked off
        // at most `BURST` per loop turn so batches are dispatched (and
        // responses handled) while a long backlog is appended.
        let mut backlog: VecDeque<Command> = VecDeque::new();
        // The allocation the handles push into next, recycled.
        let mut spare: Vec<Command> = Vec::new();
        loop {
            let now = Instant::now();
            self.expire(now);
            self.emit_statistics(now);
            if handles_gone {
                self.closing = true;
                let left = self.acc.purge(&ProduceError::Closed);
                if !left.is_empty() {
                    warn!(
                        undelivered = left.len(),
                        "producer dropped without flush: records not delivered"
                    );
                }
                self.report_failures(left);
                if self.acc.in_flight() == 0 {
                    return;
                }
            } else {
                self.dispatch(now);
            }
            let wake = self
                .next_wakeup(now)
                .unwrap_or_else(|| now + Duration::from_secs(3600));
            tokio::select! {
                biased;
                Some(event) = events.recv() => self.on_event(event),
                () = std::future::ready(()), if !backlog.is_empty() => {
                    self.work_off(&mut backlog, &mut spare, now, BURST);
                }
                () = inbox.ready(), if !handles_gone => {
                    // Read first: a handle's last push comes before its
                    // drop, so with none left everything is in this take.
                    handles_gone = inbox.closed();
                    inbox.take(&mut spare);
                    if backlog.is_empty() {
                        backlog = VecDeque::from(std::mem::take(&mut spare));
                    } else {
                        backlog.extend(spare.drain(..));
                    }
                    // Once the handles are gone the rest is handled now
                    // (and then purged as Closed).
                    let limit = if handles_gone { usize::MAX } else { BURST };
                    self.work_off(&mut backlog, &mut spare, now, limit);
                }
                changed = metadata.changed() => {
                    if changed.is_ok() {
                        let m = metadata.borrow_and_update().clone();
                        self.apply_metadata(&m);
                    }
                }
                _ = tokio::time::sleep_until(wake) => {}
            }
        }
    }

    /// Handles up to `limit` commands of `backlog`; once it is empty its
    /// allocation goes back to `spare` for the next take.
    fn work_off(
        &mut self,
        backlog: &mut VecDeque<Command>,
        spare: &mut Vec<Command>,
        now: Instant,
        limit: usize,
    ) {
        let n = backlog.len().min(limit);
        // One read of the wall clock for the burst, not one per record.
        let now_ms = now_millis();
        for c in backlog.drain(..n) {
            self.on_command(c, now, now_ms);
        }
        if backlog.is_empty() && spare.capacity() == 0 {
            *spare = Vec::from(std::mem::take(backlog));
        }
    }

    fn next_wakeup(&self, now: Instant) -> Option<Instant> {
        let mut next = self.acc.next_wakeup(now);
        let mut at = |t: Instant| next = Some(next.map_or(t, |n: Instant| n.min(t)));
        if self.metadata_wanted && !self.metadata_in_flight {
            at(self.next_metadata_at);
        }
        if let ProducerId::Needed { at: t } = self.producer_id {
            at(t);
        }
        if let Some(t) = self.add_partitions_at() {
            at(t);
        }
        if let Some(t) = self.stats.next_emit {
            at(t);
        }
        next
    }

    fn on_command(&mut self, command: Command, now: Instant, now_ms: i64) {
        match command {
            Command::NewTopic { id, name } => self.acc.add_topic(id, name),
            Command::Send {
                topic,
                record,
                sink,
                permit_bytes,
            } => {
                if let ProducerId::Fatal(reason) = &self.producer_id {
                    let error = ProduceError::Fatal(reason.clone());
                    self.report_failures(vec![Failed {
                        sink,
                        error,
                        permit_bytes,
                    }]);
                    return;
                }
                match self
                    .acc
                    .append(topic, record, sink, permit_bytes, now, now_ms)
                {
                    Ok(Appended::Batched) => {}
                    Ok(Appended::NeedsMetadata) => self.metadata_wanted = true,
                    Err(f) => self.report_failures(vec![f]),
                }
            }
            Command::Flush => self.flushing = true,
            Command::Purge => {
                self.closing = self.acc.in_flight() > 0;
                let failed = self.acc.purge(&ProduceError::Closed);
                self.report_failures(failed);
            }
            Command::BeginTransaction { explicit_add } => self.begin_transaction(explicit_add),
            Command::Statistics { reset, reply } => {
                let _ = reply.send(self.statistics(reset));
            }
            Command::AbortTransaction => {
                self.closing = self.acc.in_flight() > 0;
                let failed = self.acc.purge(&ProduceError::Aborted);
                self.report_failures(failed);
            }
            Command::ProducerId { id, epoch } => {
                if !matches!(self.producer_id, ProducerId::Fatal(_)) {
                    debug!(
                        producer_id = id,
                        producer_epoch = epoch,
                        "transactional producer id"
                    );
                    self.acc.restart_sequences(id, epoch);
                    self.producer_id = ProducerId::Ready { id, epoch };
                    self.stats.epoch_cnt += 1;
                }
            }
        }
    }

    fn expire(&mut self, now: Instant) {
        let (failed, sequence_gap) = self.acc.expire(now);
        if !failed.is_empty() {
            debug!(records = failed.len(), "records expired");
        }
        self.report_failures(failed);
        if sequence_gap {
            self.bump_epoch();
        }
        if self.flushing && !self.acc.has_queued() {
            self.flushing = false;
        }
    }

    /// Asks for what is missing (metadata, a producer id) and sends every
    /// batch that may go now.
    fn dispatch(&mut self, now: Instant) {
        if !self.acc.topics_waiting().is_empty() || self.acc.needs_leaders() {
            self.metadata_wanted = true;
        }
        if self.metadata_wanted && !self.metadata_in_flight && now >= self.next_metadata_at {
            self.request_metadata();
        }
        let (id, epoch, resolving) = match self.producer_id.clone() {
            ProducerId::Disabled => (-1, -1, false),
            ProducerId::Ready { id, epoch } => (id, epoch, false),
            ProducerId::Needed { at } => {
                if now >= at {
                    self.request_producer_id(-1, -1);
                }
                return;
            }
            ProducerId::NeedsBump { id, epoch } if self.config.transactional_id.is_some() => {
                // The sequence broke inside a transaction: it cannot
                // commit. Its records fail (the commit then refuses and
                // the application aborts); the coordinator bumps the
                // epoch at the abort's EndTxn.
                if self.acc.in_flight() == 0 {
                    let failed = self.acc.purge(&ProduceError::Aborted);
                    self.report_failures(failed);
                    self.shared.require_bump();
                    self.producer_id = ProducerId::Awaiting;
                    return;
                }
                (id, epoch, true)
            }
            ProducerId::NeedsBump { id, epoch } => {
                if self.epoch_may_move() {
                    self.request_producer_id(id, epoch);
                    return;
                }
                (id, epoch, true)
            }
            ProducerId::Requesting | ProducerId::Fatal(_) | ProducerId::Awaiting => return,
        };
        if !self.partitions_in_transaction(now, id, epoch) {
            return;
        }
        let metadata = self.cluster.metadata();
        loop {
            let mut slots: HashMap<i32, usize> = metadata
                .brokers()
                .map(|b| {
                    let used = self.broker_in_flight.get(&b.node_id).copied().unwrap_or(0);
                    (b.node_id, self.config.max_in_flight.saturating_sub(used))
                })
                .collect();
            let taken = self.acc.take_ready(now, self.flushing, resolving, &slots);
            if taken.is_empty() {
                return;
            }
            for (broker, batches) in taken {
                for request in split_by_size(batches, self.config.max_request_bytes) {
                    if let Some(s) = slots.get_mut(&broker) {
                        *s = s.saturating_sub(1);
                    }
                    self.send(broker, request, id, epoch);
                }
            }
        }
    }

    /// Whether a new epoch may be taken now: nothing in flight, and no
    /// batch that may have been written under the current one waits for
    /// its retry (its answer under this epoch settles it; renumbered, it
    /// could be written twice).
    fn epoch_may_move(&self) -> bool {
        self.acc.in_flight() == 0 && !self.acc.has_possibly_written()
    }

    fn send(&mut self, broker: i32, mut batches: Vec<ProducerBatch>, id: i64, epoch: i16) {
        let metadata = self.cluster.metadata();
        let mut topics: Vec<TopicProduceData> = Vec::new();
        let mut encode_failed = Vec::new();
        let mut kept = Vec::with_capacity(batches.len());
        let transactional = self.config.transactional_id.is_some();
        for mut b in batches.drain(..) {
            if transactional {
                b.set_transactional();
            }
            let records: Bytes = match b.encoded(id, epoch) {
                Ok(bytes) => bytes,
                Err(e) => {
                    encode_failed.push((b, e.to_string()));
                    continue;
                }
            };
            let topic_id = metadata
                .topic(&b.topic)
                .map_or(Uuid::default(), |t| t.topic_id);
            let partition = PartitionProduceData {
                index: b.partition,
                records: Some(records),
                ..Default::default()
            };
            match topics.iter_mut().find(|t| *t.name == *b.topic) {
                Some(t) => t.partition_data.push(partition),
                None => topics.push(TopicProduceData {
                    name: b.topic.to_string(),
                    topic_id,
                    partition_data: vec![partition],
                    ..Default::default()
                }),
            }
            kept.push(b);
        }
        for (b, reason) in encode_failed {
            warn!(topic = %b.topic, partition = b.partition, reason, "batch could not be encoded");
            self.acc.done(&b.topic, b.partition);
            let error = ProduceError::Fatal(format!("batch could not be encoded: {reason}"));
            let mut failed = Vec::new();
            fail_batch(b, &error, &mut failed);
            self.report_failures(failed);
        }
        if kept.is_empty() {
            return;
        }
        let request = ProduceRequest {
            transactional_id: self.config.transactional_id.clone(),
            acks: self.config.acks.as_i16(),
            timeout_ms: self
                .config
                .request_timeout
                .as_millis()
                .min(i32::MAX as u128) as i32,
            topic_data: topics,
            ..Default::default()
        };
        *self.broker_in_flight.entry(broker).or_default() += 1;
        let pipeline = match self.pipelines.get(&broker) {
            Some(p) if !p.is_closed() => p,
            _ => {
                let events = self.events.clone();
                let p = broker::start(broker, self.cluster.clone(), self.config.acks, move |p| {
                    let _ = events.send(Event::Produced(p));
                });
                self.pipelines.entry(broker).insert_entry(p).into_mut()
            }
        };
        let _ = pipeline.send(Outgoing {
            request,
            batches: kept,
        });
    }

    fn request_metadata(&mut self) {
        self.metadata_in_flight = true;
        self.metadata_wanted = false;
        let topics = self.acc.topic_names();
        self.cluster.add_topics(topics.iter().map(|t| &**t));
        let cluster = self.cluster.clone();
        let events = self.events.clone();
        tokio::spawn(async move {
            let _ = events.send(Event::Metadata(cluster.refresh().await));
        });
    }

    fn request_producer_id(&mut self, id: i64, epoch: i16) {
        self.producer_id = ProducerId::Requesting;
        let cluster = self.cluster.clone();
        let events = self.events.clone();
        tokio::spawn(async move {
            let request = InitProducerIdRequest {
                transactional_id: None,
                transaction_timeout_ms: 60_000,
                producer_id: id,
                producer_epoch: epoch,
                ..Default::default()
            };
            let result = match cluster.send_to_any(&request).await {
                Ok(r) if r.error_code == 0 => Ok((r.producer_id, r.producer_epoch)),
                Ok(r) => Err(Error::kafka("InitProducerId", r.error_code)),
                Err(e) => Err(e),
            };
            let _ = events.send(Event::ProducerId(result));
        });
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Metadata(result) => {
                self.metadata_in_flight = false;
                match result {
                    Ok(m) => {
                        self.metadata_failures = 0;
                        self.apply_metadata(&m);
                        if !self.acc.topics_waiting().is_empty() || self.acc.needs_leaders() {
                            // The topic does not exist (yet): ask again.
                            self.schedule_metadata(true);
                        }
                    }
                    Err(e) => {
                        debug!(error = %e, "metadata refresh failed");
                        self.schedule_metadata(true);
                    }
                }
            }
            Event::ProducerId(result) => match result {
                Ok((id, epoch)) => {
                    debug!(producer_id = id, producer_epoch = epoch, "producer id");
                    self.pid_failures = 0;
                    self.acc.restart_sequences(id, epoch);
                    self.producer_id = ProducerId::Ready { id, epoch };
                    self.stats.epoch_cnt += 1;
                }
                Err(e) if e.is_retriable() || is_retriable_pid_error(&e) => {
                    self.pid_failures += 1;
                    let wait = backoff(self.config.retry_backoff, self.pid_failures);
                    warn!(error = %e, "InitProducerId failed; retrying");
                    self.producer_id = ProducerId::Needed {
                        at: Instant::now() + wait,
                    };
                }
                Err(e) => {
                    warn!(error = %e, "InitProducerId failed fatally");
                    self.fatal(format!("InitProducerId: {e}"));
                }
            },
            Event::Added(added) => self.on_added(added, Instant::now()),
            Event::Produced(Produced {
                broker,
                batches,
                result,
                sent,
            }) => {
                if let Some(n) = self.broker_in_flight.get_mut(&broker) {
                    *n = n.saturating_sub(1);
                }
                self.on_produced(batches, result, sent, Instant::now());
                if self.closing && self.acc.in_flight() == 0 {
                    self.closing = false;
                }
            }
        }
    }

    fn schedule_metadata(&mut self, failed: bool) {
        if failed {
            self.metadata_failures += 1;
        }
        self.metadata_wanted = true;
        self.next_metadata_at = Instant::now()
            + backoff(self.config.retry_backoff, self.metadata_failures)
                .min(Duration::from_secs(1));
    }

    fn apply_metadata(&mut self, m: &ClusterMetadata) {
        let mut failed = Vec::new();
        for name in self.acc.topic_names() {
            if let Some(info) = m.topic(&name) {
                failed.extend(self.acc.set_topic_info(info.clone(), Instant::now()));
            }
        }
        self.report_failures(failed);
    }
}

/// Errors of InitProducerId worth asking again for.
fn is_retriable_pid_error(e: &Error) -> bool {
    matches!(
        e.kafka_code(),
        Some(
            ErrorCode::CoordinatorNotAvailable
                | ErrorCode::NotCoordinator
                | ErrorCode::CoordinatorLoadInProgress
                | ErrorCode::ConcurrentTransactions
                | ErrorCode::InvalidProducerEpoch
        )
    )
}

/// `base` doubled per failure, up to 32 times `base`.
fn backoff(base: Duration, failures: u32) -> Duration {
    base.saturating_mul(1 << failures.saturating_sub(1).min(5))
}

/// Groups batches into requests of at most `max` bytes (a batch larger
/// than that goes alone).
fn split_by_size(batches: Vec<ProducerBatch>, max: usize) -> Vec<Vec<ProducerBatch>> {
    let mut out: Vec<Vec<ProducerBatch>> = Vec::new();
    let mut size = 0;
    for b in batches {
        let s = b.size();
        match out.last_mut() {
            Some(last) if size + s <= max => {
                size += s;
                last.push(b);
            }
            _ => {
                size = s;
                out.push(vec![b]);
            }
        }
    }
    out
}
