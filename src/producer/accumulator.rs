//! The records waiting to be sent, per topic and partition, with no
//! sockets and no clock of its own (the time is passed in): records go
//! into each partition's open batch; a batch is ready when full, when
//! `linger.ms` has passed, or on flush; the sender takes ready batches one
//! per partition at a time, within the in-flight limits, assigning
//! sequence numbers as it takes them; failed batches come back in
//! sequence order; nothing waits past `message.timeout.ms`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use ferrokafka_protocol::records::Compression;
use ferrokafka_protocol::ErrorCode;
use tokio::time::Instant;

use super::batch::ProducerBatch;
use super::delivery::{ProduceError, Sink};
use super::inbox::TopicId;
use super::partitioner::partition_for_key;
use super::record::ProducerRecord;
use crate::cluster::TopicInfo;
use crate::config::Partitioner;

/// How batches are made and sent.
#[derive(Debug, Clone)]
pub(crate) struct AccumulatorConfig {
    pub(crate) linger: Duration,
    /// The most bytes in one batch (`batch.size`, within
    /// `message.max.bytes`).
    pub(crate) batch_bytes: usize,
    pub(crate) batch_records: usize,
    pub(crate) compression: Compression,
    pub(crate) partitioner: Partitioner,
    /// In-flight batches per partition (`max.in.flight`).
    pub(crate) max_in_flight: usize,
    /// `message.timeout.ms`; `None` (set as 0) for no limit.
    pub(crate) message_timeout: Option<Duration>,
    pub(crate) idempotent: bool,
}

/// A record that could not go into a batch yet: its topic's metadata is
/// not known.
#[derive(Debug)]
struct Waiting {
    record: ProducerRecord,
    sink: Sink,
    permit_bytes: usize,
    since: Instant,
}

#[derive(Debug, Default)]
pub(crate) struct PartitionQueue {
    open: Option<ProducerBatch>,
    /// Closed batches in send order; retried ones go back to the front.
    ready: VecDeque<ProducerBatch>,
    pub(crate) in_flight: usize,
    next_sequence: i32,
    /// The size of the partition's last batch: the next one's buffer
    /// starts there rather than small and doubling (each doubling a copy
    /// into fresh pages).
    last_batch_bytes: usize,
    /// A batch of this partition failed and is being sent again: one
    /// batch at a time until it is through, so order is kept.
    retrying: bool,
    /// The broker acknowledged a batch of this partition under the current
    /// producer id and epoch. Until then one batch at a time: Kafka takes
    /// any first sequence from a producer it has no state for, so a second
    /// batch could be written before a first one that failed retriably,
    /// and the first would then be refused forever.
    acked: bool,
}

#[derive(Debug)]
struct TopicQueue {
    name: Arc<str>,
    info: Option<Arc<TopicInfo>>,
    partitions: Vec<PartitionQueue>,
    sticky: Option<i32>,
    waiting: VecDeque<Waiting>,
    /// Why the metadata is not usable, for the timeout's report.
    metadata_error: Option<ErrorCode>,
}

/// A report to send, with the buffer space to give back.
#[derive(Debug)]
pub(crate) struct Failed {
    pub(crate) sink: Sink,
    pub(crate) error: ProduceError,
    pub(crate) permit_bytes: usize,
}

/// What `append` did with a record.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Appended {
    /// It is in a batch.
    Batched,
    /// It waits for its topic's metadata.
    NeedsMetadata,
}

/// Every queued record.
#[derive(Debug)]
pub(crate) struct Accumulator {
    config: AccumulatorConfig,
    /// Every topic queued for, by the id the handles gave it (never
    /// removed): records name their topic by index here, no lookup.
    topics: Vec<TopicQueue>,
    /// Where each topic is in `topics`, for what comes back by name
    /// (metadata, a batch's result).
    index: HashMap<Arc<str>, usize>,
    /// Buffers of delivered batches, for new batches to write into.
    buffers: Vec<BytesMut>,
    /// Their capacity in all.
    buffered_bytes: usize,
    /// Delivered batches' record lists (emptied), for new batches: grown
    /// anew, one passed 128 KiB, where musl maps every block afresh.
    record_lists: Vec<Vec<(Sink, i64)>>,
    rng: u64,
}

impl Accumulator {
    pub(crate) fn new(config: AccumulatorConfig) -> Self {
        let seed = u64::from(getrandom::u32().unwrap_or(0x9e37_79b9)) | 1;
        Self {
            config,
            topics: Vec::new(),
            index: HashMap::new(),
            buffers: Vec::new(),
            buffered_bytes: 0,
            record_lists: Vec::new(),
            rng: seed,
        }
    }

    fn random(&mut self) -> u32 {
        // xorshift64: only spreads keyless records, needs no quality.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 32) as u32
    }

    /// A topic the handles numbered `id` (the next in line: ids are
    /// given in order from 0).
    pub(crate) fn add_topic(&mut self, id: TopicId, name: Arc<str>) {
        debug_assert_eq!(id as usize, self.topics.len());
        self.index.insert(name.clone(), self.topics.len());
        self.topics.push(TopicQueue {
            name,
            info: None,
            partitions: Vec::new(),
            sticky: None,
            waiting: VecDeque::new(),
            metadata_error: None,
        });
    }

    /// The queue of `name`, if records were queued for it.
    fn topic_mut(&mut self, name: &str) -> Option<&mut TopicQueue> {
        let i = *self.index.get(name)?;
        self.topics.get_mut(i)
    }

    /// Queues `record`. A record for a partition the topic does not have
    /// comes back as a failure. `now_ms` (the wall clock, read once per
    /// burst of records by the caller) stamps a record without a
    /// timestamp.
    pub(crate) fn append(
        &mut self,
        topic: TopicId,
        record: ProducerRecord,
        sink: Sink,
        permit_bytes: usize,
        now: Instant,
        now_ms: i64,
    ) -> Result<Appended, Failed> {
        let i = topic as usize;
        let Some(topic) = self.topics.get_mut(i) else {
            // Every id is announced before its first record.
            return Err(Failed {
                sink,
                error: ProduceError::Closed,
                permit_bytes,
            });
        };
        if topic.partitions.is_empty() {
            topic.waiting.push_back(Waiting {
                record,
                sink,
                permit_bytes,
                since: now,
            });
            return Ok(Appended::NeedsMetadata);
        }
        self.place(i, record, sink, permit_bytes, now, now_ms)?;
        Ok(Appended::Batched)
    }

    /// Puts a record of a topic with known partitions (`topics[i]`) into
    /// its batch.
    fn place(
        &mut self,
        i: usize,
        record: ProducerRecord,
        sink: Sink,
        permit_bytes: usize,
        now: Instant,
        now_ms: i64,
    ) -> Result<(), Failed> {
        let count = self.topics[i].partitions.len() as u32;
        let partition = match record.partition {
            Some(p) if p >= 0 && (p as u32) < count => p,
            Some(p) => {
                return Err(Failed {
                    sink,
                    error: ProduceError::UnknownPartition {
                        topic: self.topics[i].name.to_string(),
                        partition: p,
                    },
                    permit_bytes,
                })
            }
            None => {
                match partition_for_key(self.config.partitioner, record.key.as_deref(), count) {
                    Some(p) => p as i32,
                    None => self.sticky_partition(i, count),
                }
            }
        };
        let config = &self.config;
        let t = &mut self.topics[i];
        let q = &mut t.partitions[partition as usize];
        let headers: Vec<(&str, Option<&[u8]>)> = record
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
            .collect();
        let timestamp = record.timestamp.unwrap_or(now_ms);
        let key = record.key.as_deref();
        let value = record.value.as_deref();
        let sink = match q.open.as_mut() {
            Some(b) if b.len() < config.batch_records => {
                match b.try_append(
                    config.batch_bytes,
                    timestamp,
                    key,
                    value,
                    &headers,
                    sink,
                    permit_bytes,
                ) {
                    Ok(()) => return Ok(()),
                    Err(sink) => sink,
                }
            }
            _ => sink,
        };
        if let Some(full) = q.open.take() {
            q.last_batch_bytes = full.size();
            q.ready.push_back(full);
            if t.sticky == Some(partition) {
                t.sticky = None;
            }
        }
        // A recycled buffer if one is kept (the fields, not a method: `t`
        // and `q` borrow `self.topics`).
        let buffer = self.buffers.pop().unwrap_or_default();
        self.buffered_bytes -= buffer.capacity();
        let records = self.record_lists.pop().unwrap_or_default();
        let mut batch = ProducerBatch::with_buffer(
            t.name.clone(),
            partition,
            config.compression,
            buffer,
            batch_capacity(q.last_batch_bytes, config.batch_bytes),
            now,
        );
        batch.records = records;
        // Alone in its batch, a record goes even when larger than it.
        batch.append(timestamp, key, value, &headers, sink, permit_bytes);
        q.open = Some(batch);
        Ok(())
    }

    /// The partition keyless records stick to until its batch is sent
    /// (KIP-480): fewer, larger batches than spreading every record.
    fn sticky_partition(&mut self, i: usize, count: u32) -> i32 {
        if let Some(p) = self.topics[i].sticky {
            if (p as u32) < count {
                return p;
            }
        }
        let p = (self.random() % count.max(1)) as i32;
        self.topics[i].sticky = Some(p);
        p
    }

    /// The topics whose metadata is needed: some record waits for it.
    pub(crate) fn topics_waiting(&self) -> Vec<Arc<str>> {
        self.topics
            .iter()
            .filter(|t| !t.waiting.is_empty())
            .map(|t| t.name.clone())
            .collect()
    }

    /// Whether a partition with queued batches has no known leader.
    pub(crate) fn needs_leaders(&self) -> bool {
        self.topics.iter().any(|t| {
            t.partitions.iter().enumerate().any(|(i, q)| {
                (q.open.is_some() || !q.ready.is_empty()) && Self::leader(t, i).is_none()
            })
        })
    }

    /// Every topic queued for.
    pub(crate) fn topic_names(&self) -> Vec<Arc<str>> {
        self.topics.iter().map(|t| t.name.clone()).collect()
    }

    /// New metadata for a topic: its partitions (the count may grow) and
    /// leaders; records waiting for it go into batches. An unusable answer
    /// (the topic does not exist) is kept for the timeout's report.
    pub(crate) fn set_topic_info(&mut self, info: Arc<TopicInfo>, now: Instant) -> Vec<Failed> {
        let Some(&i) = self.index.get(info.name.as_str()) else {
            return Vec::new();
        };
        let t = &mut self.topics[i];
        if info.error != ErrorCode::None || info.partitions.is_empty() {
            t.metadata_error = Some(if info.error == ErrorCode::None {
                ErrorCode::UnknownTopicOrPartition
            } else {
                info.error
            });
            return Vec::new();
        }
        t.metadata_error = None;
        while t.partitions.len() < info.partitions.len() {
            t.partitions.push(PartitionQueue::default());
        }
        t.info = Some(info);
        let waiting: Vec<Waiting> = t.waiting.drain(..).collect();
        let mut failed = Vec::new();
        let now_ms = now_millis();
        for w in waiting {
            if let Err(f) = self.place(i, w.record, w.sink, w.permit_bytes, now, now_ms) {
                failed.push(f);
            }
        }
        failed
    }

    /// The leader of `topic`/`partition` as last known, if any.
    fn leader(t: &TopicQueue, partition: usize) -> Option<i32> {
        let info = t.info.as_ref()?;
        let p = info.partitions.get(partition)?;
        (p.leader >= 0).then_some(p.leader)
    }

    /// Fails every record waiting longer than `message.timeout.ms`
    /// outside a request. Returns the failures and whether a batch that
    /// already had sequence numbers expired (the producer's sequence is
    /// then broken and its epoch must be bumped).
    pub(crate) fn expire(&mut self, now: Instant) -> (Vec<Failed>, bool) {
        let timeout = self.config.message_timeout;
        let mut failed = Vec::new();
        let mut sequence_gap = false;
        for t in self.topics.iter_mut() {
            while t
                .waiting
                .front()
                .is_some_and(|w| expired(w.since, timeout, now))
            {
                let Some(w) = t.waiting.pop_front() else {
                    break;
                };
                let error = match t.metadata_error {
                    Some(code) => ProduceError::Kafka {
                        topic: t.name.to_string(),
                        partition: -1,
                        error: code,
                    },
                    None => ProduceError::TimedOut {
                        topic: t.name.to_string(),
                        partition: -1,
                        last: Some("no metadata for the topic".into()),
                    },
                };
                failed.push(Failed {
                    sink: w.sink,
                    error,
                    permit_bytes: w.permit_bytes,
                });
            }
            for q in &mut t.partitions {
                let mut timed_out = Vec::new();
                // Batches leave in order: only the oldest can be first to
                // expire, so stop at the first that has not.
                while q
                    .ready
                    .front()
                    .is_some_and(|b| expired(b.created, timeout, now))
                {
                    if let Some(b) = q.ready.pop_front() {
                        timed_out.push(b);
                    }
                }
                if q.ready.is_empty()
                    && q.open
                        .as_ref()
                        .is_some_and(|b| expired(b.created, timeout, now))
                {
                    if let Some(b) = q.open.take() {
                        timed_out.push(b);
                    }
                }
                for b in timed_out {
                    sequence_gap |= b.base_sequence.is_some();
                    let error = given_up(
                        &b,
                        ProduceError::TimedOut {
                            topic: b.topic.to_string(),
                            partition: b.partition,
                            last: b.last_error.clone(),
                        },
                    );
                    fail_batch(b, &error, &mut failed);
                }
                if q.ready.iter().all(|b| b.attempts == 0) {
                    q.retrying = false;
                }
            }
        }
        (failed, sequence_gap)
    }

    /// Takes at most one batch per partition that is ready at `now` and
    /// may be sent: its leader known, its broker with a free request slot
    /// in `slots`, its partition within the in-flight limit. With
    /// idempotence each batch gets its sequence numbers now. With
    /// `resolving` (the producer waits to take a new epoch) only batches
    /// already numbered under the current epoch go, and only in
    /// partitions holding a batch that may have been written
    /// ([`ProducerBatch::possibly_written`]): their answers settle it.
    /// Returns the batches by leader.
    pub(crate) fn take_ready(
        &mut self,
        now: Instant,
        flushing: bool,
        resolving: bool,
        slots: &HashMap<i32, usize>,
    ) -> HashMap<i32, Vec<ProducerBatch>> {
        let config = &self.config;
        let mut out: HashMap<i32, Vec<ProducerBatch>> = HashMap::new();
        for t in self.topics.iter_mut() {
            let info = t.info.clone();
            for (i, q) in t.partitions.iter_mut().enumerate() {
                let one_at_a_time = q.retrying || (config.idempotent && !q.acked);
                let limit = if one_at_a_time {
                    1
                } else {
                    config.max_in_flight
                };
                if q.in_flight >= limit {
                    continue;
                }
                if resolving
                    && !(q.ready.front().is_some_and(|b| b.base_sequence.is_some())
                        && q.ready.iter().any(|b| b.possibly_written))
                {
                    continue;
                }
                let Some(leader) = info
                    .as_ref()
                    .and_then(|info| info.partitions.get(i))
                    .filter(|p| p.leader >= 0)
                    .map(|p| p.leader)
                else {
                    continue;
                };
                if slots.get(&leader).copied().unwrap_or(0) == 0 {
                    continue;
                }
                let batch = if let Some(front) = q.ready.front() {
                    if front.retry_at.is_some_and(|at| at > now) {
                        continue;
                    }
                    q.ready.pop_front()
                } else if q.open.as_ref().is_some_and(|b| {
                    flushing
                        || now >= b.created + config.linger
                        || b.len() >= config.batch_records
                        || b.size() >= config.batch_bytes
                }) {
                    if t.sticky == Some(i as i32) {
                        t.sticky = None;
                    }
                    q.last_batch_bytes = q.open.as_ref().map_or(0, ProducerBatch::size);
                    q.open.take()
                } else {
                    None
                };
                let Some(mut batch) = batch else { continue };
                if config.idempotent && batch.base_sequence.is_none() {
                    batch.base_sequence = Some(q.next_sequence);
                    q.next_sequence = next_sequence(q.next_sequence, batch.len());
                }
                q.in_flight += 1;
                out.entry(leader).or_default().push(batch);
            }
        }
        out
    }

    /// The earliest time after `now` at which something becomes ready or
    /// expires. Times already past are left out: what was due by `now`
    /// was offered by `take_ready` and is held back by something an event
    /// ends (a free in-flight slot, a leader, a producer id), and waking
    /// for it again would spin until the event came.
    pub(crate) fn next_wakeup(&self, now: Instant) -> Option<Instant> {
        let c = &self.config;
        let mut next: Option<Instant> = None;
        let mut at = |t: Instant| {
            if t > now {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        for t in self.topics.iter() {
            if let Some(w) = t.waiting.front() {
                if let Some(d) = deadline(w.since, c.message_timeout) {
                    at(d);
                }
            }
            for q in &t.partitions {
                if let Some(b) = q.ready.front() {
                    at(b.retry_at.unwrap_or(b.created));
                    if let Some(d) = deadline(b.created, c.message_timeout) {
                        at(d);
                    }
                }
                if let Some(b) = &q.open {
                    at(b.created + c.linger);
                    if let Some(d) = deadline(b.created, c.message_timeout) {
                        at(d);
                    }
                }
            }
        }
        next
    }

    /// The partitions holding batches not yet sent (open, sealed or
    /// waiting for a retry).
    pub(crate) fn partitions_with_data(&self) -> Vec<(Arc<str>, i32)> {
        let mut out = Vec::new();
        for t in &self.topics {
            for (i, q) in t.partitions.iter().enumerate() {
                if q.open.is_some() || !q.ready.is_empty() {
                    out.push((t.name.clone(), i as i32));
                }
            }
        }
        out
    }

    /// Whether any record is queued outside a request.
    pub(crate) fn has_queued(&self) -> bool {
        self.topics.iter().any(|t| {
            !t.waiting.is_empty()
                || t.partitions
                    .iter()
                    .any(|q| q.open.is_some() || !q.ready.is_empty())
        })
    }

    /// Whether a batch queued for a retry may have been written by an
    /// earlier attempt ([`ProducerBatch::possibly_written`]): the
    /// producer's epoch must not move on until none is.
    pub(crate) fn has_possibly_written(&self) -> bool {
        self.topics
            .iter()
            .flat_map(|t| t.partitions.iter())
            .any(|q| q.ready.iter().any(|b| b.possibly_written))
    }

    /// Requests in flight over every partition.
    pub(crate) fn in_flight(&self) -> usize {
        self.topics
            .iter()
            .flat_map(|t| t.partitions.iter())
            .map(|q| q.in_flight)
            .sum()
    }

    /// Keeps a delivered batch's buffer for a new batch to write into, up
    /// to `RECYCLED_BYTES` of them (Java's producer pools its batch
    /// buffers the same way, up to `buffer.memory`).
    pub(crate) fn recycle(&mut self, buf: BytesMut) {
        if self.buffered_bytes + buf.capacity() <= RECYCLED_BYTES {
            self.buffered_bytes += buf.capacity();
            self.buffers.push(buf);
        }
    }

    /// Keeps a delivered batch's record list (emptied) for a new batch,
    /// up to `RECYCLED_LISTS` of them.
    pub(crate) fn recycle_records(&mut self, mut list: Vec<(Sink, i64)>) {
        if self.record_lists.len() < RECYCLED_LISTS {
            list.clear();
            self.record_lists.push(list);
        }
    }

    /// A sent batch is done (delivered or failed for good).
    pub(crate) fn done(&mut self, topic: &str, partition: i32) {
        if let Some(q) = self.queue(topic, partition) {
            q.in_flight = q.in_flight.saturating_sub(1);
            if q.ready.iter().all(|b| b.attempts == 0) {
                q.retrying = false;
            }
        }
    }

    /// The broker acknowledged a batch of this partition: its producer
    /// state there is known, so batches may be pipelined.
    pub(crate) fn acked(&mut self, topic: &str, partition: i32) {
        if let Some(q) = self.queue(topic, partition) {
            q.acked = true;
        }
    }

    /// Whether a batch numbered before `sequence` waits to be sent again
    /// in this partition: the broker's OUT_OF_ORDER_SEQUENCE_NUMBER for a
    /// later one is then expected.
    pub(crate) fn has_earlier_batch(&self, topic: &str, partition: i32, sequence: i32) -> bool {
        self.index
            .get(topic)
            .and_then(|&i| {
                self.topics[i]
                    .partitions
                    .get(usize::try_from(partition).ok()?)
            })
            .is_some_and(|q| {
                q.ready
                    .iter()
                    .any(|b| b.base_sequence.is_some_and(|s| s < sequence))
            })
    }

    /// A sent batch failed retriably: back into its partition's queue in
    /// sequence order (or at the front without sequences), not before
    /// `retry_at`.
    pub(crate) fn retry(&mut self, mut batch: ProducerBatch, retry_at: Instant) {
        batch.attempts += 1;
        batch.retry_at = Some(retry_at);
        let Some(q) = self.queue(&batch.topic.clone(), batch.partition) else {
            return;
        };
        q.in_flight = q.in_flight.saturating_sub(1);
        q.retrying = true;
        let at = match batch.base_sequence {
            Some(seq) => q
                .ready
                .iter()
                .position(|b| b.base_sequence.is_none_or(|s| s > seq))
                .unwrap_or(q.ready.len()),
            None => q
                .ready
                .iter()
                .position(|b| b.attempts == 0)
                .unwrap_or(q.ready.len()),
        };
        q.ready.insert(at, batch);
    }

    /// After the producer epoch was bumped: every partition's sequence
    /// starts again at 0, and batches that already had numbers (retries)
    /// get new ones in order, with the new producer id and epoch.
    pub(crate) fn restart_sequences(&mut self, producer_id: i64, producer_epoch: i16) {
        for t in self.topics.iter_mut() {
            for q in &mut t.partitions {
                q.next_sequence = 0;
                q.acked = false;
                for b in q.ready.iter_mut() {
                    if b.base_sequence.is_some() || b.is_finished() {
                        let seq = q.next_sequence;
                        b.restamp(producer_id, producer_epoch, seq);
                        q.next_sequence = next_sequence(seq, b.len());
                    }
                }
            }
        }
    }

    /// Fails every queued record (the producer is closing) with `error`,
    /// or as [`ProduceError::PossiblyPersisted`] when an earlier attempt
    /// of its batch may have been written.
    pub(crate) fn purge(&mut self, error: &ProduceError) -> Vec<Failed> {
        let mut failed = Vec::new();
        for t in self.topics.iter_mut() {
            for w in t.waiting.drain(..) {
                failed.push(Failed {
                    sink: w.sink,
                    error: error.clone(),
                    permit_bytes: w.permit_bytes,
                });
            }
            for q in &mut t.partitions {
                for b in q.ready.drain(..).chain(q.open.take()) {
                    let error = given_up(&b, error.clone());
                    fail_batch(b, &error, &mut failed);
                }
            }
        }
        failed
    }

    fn queue(&mut self, topic: &str, partition: i32) -> Option<&mut PartitionQueue> {
        self.topic_mut(topic)?
            .partitions
            .get_mut(usize::try_from(partition).ok()?)
    }
}

/// Every record of `batch` fails with `error`.
pub(crate) fn fail_batch(batch: ProducerBatch, error: &ProduceError, out: &mut Vec<Failed>) {
    let n = batch.records.len().max(1);
    let per_record = batch.permit_bytes / n;
    let mut extra = batch.permit_bytes - per_record * n;
    for (sink, _) in batch.records {
        out.push(Failed {
            sink,
            error: error.clone(),
            permit_bytes: per_record + std::mem::take(&mut extra),
        });
    }
}

/// What a batch given up on with `error` reports: `error`, unless an
/// attempt of it may have been written, which the report must say.
pub(crate) fn given_up(batch: &ProducerBatch, error: ProduceError) -> ProduceError {
    if batch.possibly_written {
        ProduceError::PossiblyPersisted {
            topic: batch.topic.to_string(),
            partition: batch.partition,
            reason: error.to_string(),
        }
    } else {
        error
    }
}

/// When something created at `since` times out, if it does.
pub(crate) fn deadline(since: Instant, timeout: Option<Duration>) -> Option<Instant> {
    since.checked_add(timeout?)
}

/// Whether something created at `since` has timed out at `now`.
pub(crate) fn expired(since: Instant, timeout: Option<Duration>, now: Instant) -> bool {
    deadline(since, timeout).is_some_and(|d| now >= d)
}

/// The sequence after `count` records from `seq`: wraps to 0 past
/// `i32::MAX`, as the broker expects.
fn next_sequence(seq: i32, count: usize) -> i32 {
    ((i64::from(seq) + count as i64) % (i64::from(i32::MAX) + 1)) as i32
}

/// How many bytes of delivered batches' buffers the accumulator keeps
/// for reuse.
const RECYCLED_BYTES: usize = 32 << 20;

/// How many delivered batches' record lists the accumulator keeps (at
/// `batch.num.messages` 10,000, 24 bytes a record: under 4 MiB in all).
const RECYCLED_LISTS: usize = 16;

/// The buffer to start a partition's batch with: an eighth more than its
/// last batch took (64 KiB for its first), within `batch_bytes`.
fn batch_capacity(last_batch_bytes: usize, batch_bytes: usize) -> usize {
    let want = if last_batch_bytes == 0 {
        64 * 1024
    } else {
        last_batch_bytes + last_batch_bytes / 8
    };
    want.min(batch_bytes)
}

mod stats;
#[cfg(test)]
mod tests;

/// Milliseconds since the Unix epoch.
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
