//! The consumer: subscribe to topics as part of a consumer group (or
//! assign partitions yourself), then `poll` for messages.
//!
//! ```no_run
//! use std::time::Duration;
//! use ferrokafka::config::ClientConfig;
//! use ferrokafka::consumer::Consumer;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ClientConfig::from_properties([
//!     ("bootstrap.servers", "localhost:9092"),
//!     ("group.id", "my_consumer_group"),
//!     ("auto.offset.reset", "earliest"),
//!     ("enable.partition.eof", "true"),
//! ])?;
//! let mut consumer = Consumer::new(config)?;
//! consumer.subscribe(&["my_events_topic"])?;
//! loop {
//!     match consumer.poll(Duration::from_secs(1)).await {
//!         None => continue,
//!         Some(Err(e)) if e.is_partition_eof() => eprintln!("%% {e}"),
//!         Some(Err(e)) => return Err(e.into()),
//!         Some(Ok(m)) => println!("{}: {:?}", m.offset(), m.value()),
//!     }
//! #   break;
//! }
//! consumer.close().await?;
//! # Ok(()) }
//! ```
//!
//! Inside, one engine task owns the group membership, the fetchers and the
//! commits (see `engine`); the [`Consumer`] handle owns what the
//! application has consumed: each partition's position and stored offset.
//! Before partitions are given back in a rebalance, the handle hands their
//! stored offsets to the engine, which commits them and only then rejoins,
//! so the next owner starts exactly where this one stopped. Rebalances are
//! eager (everything given back) with `range` and `roundrobin`, and
//! incremental with `cooperative-sticky`: only the partitions that move
//! are given back, and the rest are consumed throughout.

mod assignment;
mod commit;
mod engine;
mod error;
pub(crate) mod fetch;
pub mod group;
mod lookup;
mod message;
mod offsets;
mod partition_queue;
mod rebalance;
mod split;
mod statistics;

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

pub use crate::producer::ConsumerGroupMetadata;
pub use error::ConsumerError;
pub use lookup::Watermarks;
pub use message::{Header, Message, TimestampType};
pub use partition_queue::PartitionQueue;
pub use rebalance::Rebalance;

use engine::{Channels, Command, Engine, Event, Fetched, Shared, Spec, SplitState};

use crate::cluster::Cluster;
use crate::config::{ClientConfig, ConfigError};
use crate::error::{Error, Result};

/// A topic and partition, as the engine keys them: the topic shared, not
/// copied, among the partitions and messages that name it.
pub(crate) type Tp = (Arc<str>, i32);

/// A topic and a partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
}

impl TopicPartition {
    fn from_tp(tp: &Tp) -> TopicPartition {
        TopicPartition {
            topic: tp.0.to_string(),
            partition: tp.1,
        }
    }
}

/// A committed offset, as [`Consumer::committed_with_metadata`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    /// The offset: the next one to read.
    pub offset: i64,
    /// The metadata committed with it (empty when none was given).
    pub metadata: String,
    /// The leader epoch committed with it, if any.
    pub leader_epoch: Option<i32>,
}

/// Where to start (or move) reading a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offset {
    /// The oldest record still in the log.
    Beginning,
    /// After the newest record: only new records are read.
    End,
    /// The group's committed offset, else `auto.offset.reset`.
    Stored,
    /// This offset.
    At(i64),
}

impl Offset {
    fn spec(self) -> Spec {
        match self {
            Offset::Beginning => Spec::Earliest,
            Offset::End => Spec::Latest,
            Offset::Stored => Spec::Stored,
            Offset::At(o) => Spec::At(o),
        }
    }
}

/// What the application did with one assigned partition.
#[derive(Debug, Default)]
struct AppPart {
    /// The engine's epoch whose data is current; `None` while a start,
    /// seek or resume is on its way.
    epoch: Option<u64>,
    /// The offset of the next message to hand out.
    position: Option<i64>,
    /// The offset to commit (the next to read after the last stored).
    stored: Option<i64>,
    /// The stored offset last sent by auto commit.
    auto_committed: Option<i64>,
    paused: bool,
    /// The partition's own queue, which then holds its position and
    /// stored offset (see `split`); the handle hands nothing of it out.
    split: Option<Arc<SplitState>>,
}

/// The batch being handed out.
struct Current {
    tp: Tp,
    epoch: u64,
    records: Box<fetch::PartitionRecords>,
    /// The wire bytes of its batches.
    wire: usize,
    held: Held,
}

/// What the data being handed out holds (its batches' wire bytes, plus
/// the decompressed bytes of the batch being read), counted in the
/// prefetch queue's bound until it is dropped.
struct Held {
    shared: Arc<Shared>,
    /// The partition queue holding it, which counts it too.
    split: Option<Arc<SplitState>>,
    bytes: usize,
}

impl Held {
    fn set(&mut self, bytes: usize) {
        if bytes != self.bytes {
            self.shared.hold(bytes);
            self.shared.taken(self.bytes);
            if let Some(s) = &self.split {
                s.hold(bytes);
                s.taken(self.bytes, &self.shared);
            }
            self.bytes = bytes;
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.shared.taken(self.bytes);
        if let Some(s) = &self.split {
            s.taken(self.bytes, &self.shared);
        }
    }
}

/// A Kafka consumer. Needs a tokio runtime: the engine runs as a task.
///
/// # Dropping without `close`
///
/// Call [`Consumer::close`] to commit, leave the group, and know that both
/// happened. A consumer dropped without it does the same in the
/// background, best effort, as librdkafka's destroy does: with
/// `enable.auto.commit=true` it commits what auto commit would have
/// committed (the stored offsets: with `enable.auto.offset.store=true`
/// everything handed out), waits up to `request.timeout.ms` for that
/// commit, then leaves the group (up to `request.timeout.ms` more). With
/// `enable.auto.commit=false` it commits nothing and only leaves. `drop`
/// itself never blocks: the engine task does this work, so it happens
/// only while the runtime keeps running (a runtime shut down right after
/// the drop, as at the end of `main`, cancels it), and a failure is only
/// logged. Records handed out but not committed are read again by the
/// partition's next owner.
pub struct Consumer {
    config: ClientConfig,
    /// For the lookups the handle makes itself (`lookup`).
    cluster: Cluster,
    commands: mpsc::UnboundedSender<Command>,
    events: mpsc::UnboundedReceiver<Event>,
    data: mpsc::UnboundedReceiver<Fetched>,
    shared: Arc<Shared>,
    parts: HashMap<Tp, AppPart>,
    current: Option<Current>,
    /// The topics and patterns subscribed to (empty when not subscribed).
    subscription: Vec<String>,
    /// The partitions with a queue of their own, assigned or not.
    splits: partition_queue::Registry,
    assigned: bool,
    closed: bool,
    listener: Option<rebalance::Listener>,
    /// An async listener's call still running, and the revoke it holds.
    listening: Option<rebalance::Listening>,
    /// The generation and member id of the last assignment.
    generation: (i32, String),
    /// Assignments, revocations and losses seen (the statistics'
    /// `rebalance_cnt`).
    rebalance_cnt: i64,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("group_id", &self.config.group_id)
            .field("partitions", &self.parts.len())
            .finish_non_exhaustive()
    }
}

impl Consumer {
    /// A consumer with `config` (`bootstrap.servers`; `group.id` to
    /// subscribe or commit). Connects lazily.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use ferrokafka::config::ClientConfig;
    /// use ferrokafka::consumer::Consumer;
    ///
    /// let config = ClientConfig::new().bootstrap_servers(["localhost:9092"]).group_id("");
    /// let err = Consumer::new(config).unwrap_err();
    /// assert!(err.to_string().contains("group.id"));
    /// # }
    /// ```
    pub fn new(config: ClientConfig) -> Result<Consumer> {
        if config.group_id.as_deref() == Some("") {
            return Err(ConfigError::InvalidValue {
                name: "group.id".into(),
                value: String::new(),
                reason: "a group id must not be empty".into(),
            }
            .into());
        }
        if config.heartbeat_interval >= config.session_timeout {
            return Err(ConfigError::Conflict(format!(
                "heartbeat.interval.ms ({} ms) must be lower than session.timeout.ms ({} ms)",
                config.heartbeat_interval.as_millis(),
                config.session_timeout.as_millis()
            ))
            .into());
        }
        let allow_create = config.allow_auto_create_topics.unwrap_or(false);
        let cluster = Cluster::new(config.clone(), allow_create)?;
        let limit = config
            .queued_max_messages_kbytes
            .saturating_mul(1024)
            .max(1);
        let shared = Arc::new(Shared::new(limit));
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        let (data_tx, data) = mpsc::unbounded_channel();
        Engine::spawn(
            cluster.clone(),
            shared.clone(),
            Channels {
                commands: commands_rx,
                events: events_tx,
                data: data_tx,
            },
        );
        Ok(Consumer {
            config,
            cluster,
            commands,
            events,
            data,
            shared,
            parts: HashMap::new(),
            current: None,
            subscription: Vec::new(),
            splits: partition_queue::Registry::new(),
            assigned: false,
            closed: false,
            listener: None,
            listening: None,
            generation: (-1, String::new()),
            rebalance_cnt: 0,
        })
    }

    /// What the transactional producer needs to commit this consumer's
    /// offsets in a transaction
    /// ([`Producer::send_offsets_to_transaction`](crate::producer::Producer::send_offsets_to_transaction)):
    /// the group, and the generation and member id of the last assignment
    /// (-1 and empty before the first, or outside a group).
    pub fn group_metadata(&self) -> ConsumerGroupMetadata {
        ConsumerGroupMetadata {
            group_id: self.config.group_id.clone().unwrap_or_default(),
            generation_id: self.generation.0,
            member_id: self.generation.1.clone(),
            group_instance_id: self.config.group_instance_id.clone(),
        }
    }

    /// The next message, event or error, waiting up to `timeout`; `None`
    /// when nothing came in time (or the consumer is closed).
    pub async fn poll(&mut self, timeout: Duration) -> Option<Result<Message, ConsumerError>> {
        // Most polls find a message already fetched: no clock, no timer.
        let ready = std::future::poll_fn(|cx| Poll::Ready(self.poll_item(cx))).await;
        if let Poll::Ready(item) = ready {
            return item;
        }
        let mut now = tokio::time::Instant::now();
        let deadline = now + timeout;
        // Wake up at least twice per max.poll.interval.ms: a long poll is
        // still polling.
        let chunk = (self.config.max_poll_interval / 2).max(Duration::from_millis(10));
        loop {
            let until = deadline.min(now + chunk);
            match tokio::time::timeout_at(until, std::future::poll_fn(|cx| self.poll_item(cx)))
                .await
            {
                Ok(item) => return item,
                Err(_) => now = tokio::time::Instant::now(),
            }
            if now >= deadline {
                return None;
            }
        }
    }

    /// The next message, event or error, however long it takes.
    pub async fn recv(&mut self) -> Result<Message, ConsumerError> {
        loop {
            match self.poll(Duration::from_secs(3600)).await {
                Some(item) => return item,
                None if self.closed || self.events.is_closed() => {
                    return Err(ConsumerError::Client(Error::Closed))
                }
                None => {}
            }
        }
    }

    /// Moves an assigned partition's position: the next message handed
    /// out from it is at `offset`.
    pub fn seek(&mut self, topic: &str, partition: i32, offset: Offset) -> Result<()> {
        let tp: Tp = (Arc::from(topic), partition);
        let Some(p) = self.parts.get_mut(&tp) else {
            return Err(not_assigned(&tp));
        };
        let position = match offset {
            Offset::At(o) => Some(o),
            _ => None,
        };
        let fence = p.invalidate(position, false);
        self.drop_current(&tp);
        self.send(Command::Seek(tp, offset.spec()))?;
        self.send_fence(fence.into_iter().collect())
    }

    /// Stops fetching these partitions (they stay assigned).
    pub fn pause(&mut self, partitions: &[(&str, i32)]) -> Result<()> {
        let mut list = Vec::with_capacity(partitions.len());
        let mut fences = Vec::new();
        for (t, p) in partitions {
            let tp: Tp = (Arc::from(*t), *p);
            let Some(part) = self.parts.get_mut(&tp) else {
                return Err(not_assigned(&tp));
            };
            fences.extend(part.invalidate(None, true));
            self.drop_current(&tp);
            list.push(tp);
        }
        self.send(Command::Pause(list))?;
        self.send_fence(fences)
    }

    /// Fetches paused partitions again, from their positions.
    pub fn resume(&mut self, partitions: &[(&str, i32)]) -> Result<()> {
        let mut list = Vec::with_capacity(partitions.len());
        for (t, p) in partitions {
            let tp: Tp = (Arc::from(*t), *p);
            let Some(part) = self.parts.get_mut(&tp) else {
                return Err(not_assigned(&tp));
            };
            part.paused = false;
            if let Some(s) = &part.split {
                s.lock().paused = false;
            }
            list.push((tp, part.position()));
        }
        self.send(Command::Resume(list))
    }

    /// Each assigned partition's position: the offset of the next message
    /// it hands out (absent until the start offset is known).
    pub fn position(&self) -> Vec<(TopicPartition, i64)> {
        let mut v: Vec<_> = self
            .positions()
            .iter()
            .map(|(tp, o)| (TopicPartition::from_tp(tp), *o))
            .collect();
        v.sort();
        v
    }

    /// Leaves cleanly: commits the stored offsets (with auto commit on),
    /// gives the partitions back, sends LeaveGroup and waits for it, so
    /// the group rebalances at once rather than after
    /// `session.timeout.ms`. A static member (`group.instance.id`) commits
    /// but does not send LeaveGroup: its place is kept for
    /// `session.timeout.ms`, so a restart gets its partitions back without
    /// a rebalance. When the group refuses that last commit because this
    /// member's generation or epoch is over (ILLEGAL_GENERATION,
    /// REBALANCE_IN_PROGRESS, UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH,
    /// STALE_MEMBER_EPOCH: another member's leave started a rebalance),
    /// the commit is skipped with a warning, as Java's consumer does, and
    /// the member still leaves; `close` succeeds.
    pub async fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        let mut result = Ok(());
        // No fetch from now on: one in flight is left to finish on its
        // own (the broker may hold it for fetch.wait.max.ms), while the
        // commit and LeaveGroup go over the coordinator's connection.
        let _ = self.send(Command::Closing);
        self.close_splits();
        if self.config.enable_auto_commit && self.config.group_id.is_some() {
            let stored = self.stored();
            if !stored.is_empty() {
                result = self.commit_list(stored).await;
                if let Err(e) = &result {
                    if e.kafka_code()
                        .is_some_and(commit_refused_to_a_leaving_member)
                    {
                        // The group moved on (another member's leave
                        // started a rebalance, or this member was fenced):
                        // these offsets can no longer be committed by this
                        // member, and leaving must not fail for it. As
                        // Java does: warn, skip the commit, still leave.
                        tracing::warn!(error = %e,
                            "close: the group refused the final commit; leaving without it");
                        result = Ok(());
                    }
                }
            }
        }
        self.closed = true;
        self.parts.clear();
        self.splits.clear();
        self.current = None;
        let (reply, rx) = oneshot::channel();
        if self.commands.send(Command::Close { reply }).is_ok() {
            let timeout = self.config.request_timeout + Duration::from_secs(1);
            self.wait(rx, timeout, "leaving the group").await?;
        }
        result
    }

    fn send(&self, command: Command) -> Result<()> {
        if self.closed {
            return Err(Error::Closed);
        }
        self.commands.send(command).map_err(|_| Error::Closed)
    }

    async fn wait<T>(&self, rx: oneshot::Receiver<T>, timeout: Duration, what: &str) -> Result<T> {
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(_)) => Err(Error::Closed),
            Err(_) => Err(Error::Timeout {
                what: what.into(),
                timeout_ms: timeout.as_millis() as u64,
            }),
        }
    }

    fn positions(&self) -> Vec<(Tp, i64)> {
        self.parts
            .iter()
            .filter_map(|(tp, p)| p.position().map(|o| (tp.clone(), o)))
            .collect()
    }

    fn drop_current(&mut self, tp: &Tp) {
        if self.current.as_ref().is_some_and(|c| &c.tp == tp) {
            self.current = None;
        }
    }

    /// The heart of `poll` and the `Stream`: group events first, then the
    /// batch being handed out, then the next fetched item.
    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, ConsumerError>>> {
        if self.closed {
            return Poll::Ready(None);
        }
        self.shared.polled();
        self.maybe_auto_commit();
        loop {
            // An async rebalance listener runs to its end before anything
            // after the change is handed out.
            if self.poll_listening(cx).is_pending() {
                return Poll::Pending;
            }
            match self.events.poll_recv(cx) {
                Poll::Ready(Some(event)) => {
                    if let Some(e) = self.on_event(event) {
                        return Poll::Ready(Some(Err(e)));
                    }
                    continue;
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => {}
            }
            if let Some(item) = self.next_buffered() {
                return Poll::Ready(Some(item));
            }
            match self.data.poll_recv(cx) {
                Poll::Ready(Some(item)) => {
                    if let Some(r) = self.on_fetched(item) {
                        return Poll::Ready(Some(r));
                    }
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    fn next_buffered(&mut self) -> Option<Result<Message, ConsumerError>> {
        let current = self.current.as_mut()?;
        let item = current.records.next();
        current.held.set(current.wire + current.records.held());
        let Some(item) = item else {
            self.current = None;
            return None;
        };
        if let Some(p) = self.parts.get_mut(&current.tp) {
            if p.epoch == Some(current.epoch) {
                match &item {
                    Ok(m) => {
                        p.position = Some(m.offset + 1);
                        if self.config.enable_auto_offset_store {
                            p.stored = Some(m.offset + 1);
                        }
                    }
                    Err(ConsumerError::CorruptBatch { offset, .. }) => {
                        // The partition stops at the batch: its position
                        // stays there and the engine fetches nothing more
                        // until the application seeks.
                        p.position = Some(*offset);
                        p.epoch = None;
                        let halt = Command::Halt {
                            tp: current.tp.clone(),
                            epoch: current.epoch,
                            offset: *offset,
                        };
                        self.current = None;
                        let _ = self.send(halt);
                    }
                    Err(_) => {}
                }
                return Some(item);
            }
        }
        self.current = None;
        None
    }

    fn is_current(&self, tp: &Tp, epoch: u64) -> bool {
        self.parts.get(tp).is_some_and(|p| p.epoch == Some(epoch))
    }

    fn on_fetched(&mut self, item: Fetched) -> Option<Result<Message, ConsumerError>> {
        match item {
            Fetched::Messages {
                tp,
                epoch,
                records,
                bytes,
            } => {
                // The bytes stay counted while the records are handed out.
                let held = Held {
                    shared: self.shared.clone(),
                    split: None,
                    bytes,
                };
                if self.is_current(&tp, epoch) {
                    self.current = Some(Current {
                        tp,
                        epoch,
                        records,
                        wire: bytes,
                        held,
                    });
                }
                None
            }
            Fetched::Eof { tp, epoch, offset } => self.is_current(&tp, epoch).then(|| {
                Err(ConsumerError::PartitionEof {
                    topic: tp.0.to_string(),
                    partition: tp.1,
                    offset,
                })
            }),
            Fetched::Error { tp, epoch, error } => {
                // A partition still starting has no epoch yet: its errors
                // are for the application all the same. So are those of a
                // newer epoch: the engine restarted the partition itself
                // (auto.offset.reset after OFFSET_OUT_OF_RANGE) and its
                // error (auto.offset.reset=error) is the news. Only older
                // epochs are stale.
                let known = self.parts.get(&tp).is_some_and(|p| {
                    p.epoch.is_none_or(|e| epoch >= e) && !p.paused && p.split.is_none()
                });
                known.then_some(Err(error))
            }
        }
    }

    fn on_event(&mut self, event: Event) -> Option<ConsumerError> {
        match event {
            Event::Generation {
                generation_id,
                member_id,
            } => self.generation = (generation_id, member_id),
            Event::Assigned(tps) => {
                self.rebalance_cnt += 1;
                self.notify(Rebalance::Assigned(rebalance::public(&tps)), None);
                for tp in tps {
                    self.parts.entry(tp.clone()).or_default();
                    self.attach_split(&tp);
                }
            }
            Event::Started { tp, epoch, offset } => {
                if let Some(p) = self.parts.get_mut(&tp) {
                    // A queue's partition: the engine told the queue.
                    if !p.started_split() {
                        p.position = Some(offset);
                        if !p.paused {
                            p.epoch = Some(epoch);
                        }
                    }
                }
            }
            Event::Revoke { tps, ack } => {
                self.rebalance_cnt += 1;
                let mut offsets = Vec::new();
                for tp in &tps {
                    self.drop_current(tp);
                    if let Some(mut p) = self.parts.remove(tp) {
                        if let Some(o) = p.take_stored() {
                            if self.config.enable_auto_commit {
                                offsets.push((tp.clone(), o));
                            }
                        }
                    }
                }
                // The offsets are those stored before the listener runs: it
                // has no handle to store more. They are committed once it
                // returns.
                self.notify(
                    Rebalance::Revoked(rebalance::public(&tps)),
                    Some((ack, offsets)),
                );
            }
            Event::Lost(tps) => {
                self.rebalance_cnt += 1;
                self.notify(Rebalance::Lost(rebalance::public(&tps)), None);
                for tp in &tps {
                    self.drop_current(tp);
                    self.parts.remove(tp);
                }
            }
            Event::CommitFailed(offsets) => {
                for (tp, offset) in offsets {
                    if let Some(p) = self.parts.get_mut(&tp) {
                        if p.auto_committed == Some(offset) {
                            p.auto_committed = None;
                        }
                    }
                }
            }
            Event::Statistics(s) => self.on_statistics(*s),
            Event::Error(e) => return Some(e),
        }
        None
    }
}

impl futures_core::Stream for Consumer {
    type Item = Result<Message, ConsumerError>;

    /// Messages and errors as they come; ends when the consumer is closed.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

fn not_assigned(tp: &Tp) -> Error {
    ConfigError::Conflict(format!(
        "{} [{}] is not assigned to this consumer",
        tp.0, tp.1
    ))
    .into()
}

/// Codes with which a group refuses a member's commit because its
/// generation (or member epoch) is over: a closing member skips its last
/// commit on these rather than failing `close`.
fn commit_refused_to_a_leaving_member(code: ferrokafka_protocol::ErrorCode) -> bool {
    use ferrokafka_protocol::ErrorCode as E;
    matches!(
        code,
        E::IllegalGeneration
            | E::RebalanceInProgress
            | E::UnknownMemberId
            | E::FencedMemberEpoch
            | E::StaleMemberEpoch
    )
}
