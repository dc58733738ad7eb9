//! [`PartitionQueue`]: one partition's messages on a queue of their own
//! (rust-rdkafka's `split_partition_queue`), so that an application can
//! process each partition on its own task.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::mpsc;

use super::engine::{Command, Fetched, QueueItem, Shared, SplitState};
use super::fetch::PartitionRecords;
use super::{ConsumerError, Held, Message, Tp};
use crate::config::ConfigError;
use crate::error::{Error, Result};

/// One partition's messages, split off the [`Consumer`](super::Consumer)
/// by [`Consumer::split_partition_queue`](super::Consumer::split_partition_queue).
/// It can move to another task: `recv`, `poll` and the [`Stream`]
/// hand out only this partition's messages, in offset order, and
/// [`Consumer::poll`](super::Consumer::poll) no longer does.
///
/// - **Keep polling the consumer.** Rebalances, the rebalance listener,
///   auto commit, statistics and the `max.poll.interval.ms` liveness all
///   run in [`Consumer::poll`](super::Consumer::poll) (which also hands
///   out the partitions not split off), as with rust-rdkafka and
///   librdkafka. A consumer whose partitions are all split off still
///   needs a task calling `poll` or `recv`; it returns only events and
///   errors then.
/// - **Revoke and loss.** When a rebalance takes the partition away the
///   queue hands out nothing more of it (what it still holds is dropped)
///   and yields [`ConsumerError::PartitionRevoked`] (`lost: true` when
///   the consumer lost it without committing). The queue stays usable:
///   if the partition is assigned to this consumer again, its messages
///   come here again. The queue can also be made before the partition is
///   assigned (say, for every partition of a topic, before `subscribe`).
/// - **Offsets.** Each message handed out moves the partition's position
///   and, with `enable.auto.offset.store=true`, its stored offset, as
///   `Consumer::poll` does: auto commit, [`Consumer::commit`](super::Consumer::commit)
///   and the commit before a revoke include what the queue handed out,
///   and nothing it did not. With `enable.auto.offset.store=false` store
///   offsets with [`PartitionQueue::store_offset`].
/// - **Seek, pause, resume, assign** stay the consumer's calls; after
///   one returns, the queue hands out nothing fetched before it.
/// - **End of partition** (`enable.partition.eof=true`) and partition
///   errors come on the queue, as [`Consumer::poll`](super::Consumer::poll)
///   would have returned them.
/// - **Memory.** The queue's data counts against the consumer's prefetch
///   bound (`queued.max.messages.kbytes`), and the partition is not
///   fetched while its queue holds `max.partition.fetch.bytes` or more
///   (at most that bound), so a queue nobody reads holds at most about
///   one fetch more than that and never stalls the other partitions.
/// - **Dropping the queue** sends the partition back to
///   [`Consumer::poll`](super::Consumer::poll), from the queue's
///   position: nothing it held is lost, nothing it handed out comes again.
/// - **Closing** the consumer (or dropping it) ends the queue: `poll`
///   returns `None`, `recv` [`Error::Closed`].
///
/// ```no_run
/// use std::time::Duration;
/// use ferrokafka::config::ClientConfig;
/// use ferrokafka::consumer::Consumer;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config = ClientConfig::from_properties([
///     ("bootstrap.servers", "localhost:9092"),
///     ("group.id", "per-partition-workers"),
/// ])?;
/// let mut consumer = Consumer::new(config)?;
/// for partition in 0..3 {
///     let mut queue = consumer
///         .split_partition_queue("events", partition)
///         .expect("not split yet");
///     tokio::spawn(async move {
///         while let Ok(m) = queue.recv().await {
///             println!("[{}] {}: {:?}", m.partition(), m.offset(), m.value());
///         }
///     });
/// }
/// consumer.subscribe(&["events"])?;
/// loop {
///     // Serves the rebalances and auto commit; returns the messages of
///     // partitions not split off, and events.
///     match consumer.poll(Duration::from_secs(1)).await {
///         Some(Err(e)) if !e.is_retriable() => return Err(e.into()),
///         _ => {}
///     }
/// #   break;
/// }
/// consumer.close().await?;
/// # Ok(()) }
/// ```
///
/// [`Stream`]: futures_core::Stream
pub struct PartitionQueue {
    state: Arc<SplitState>,
    shared: Arc<Shared>,
    rx: mpsc::UnboundedReceiver<QueueItem>,
    commands: mpsc::UnboundedSender<Command>,
    auto_offset_store: bool,
    current: Option<QueueBatch>,
}

/// The batch being handed out.
struct QueueBatch {
    epoch: u64,
    records: Box<PartitionRecords>,
    wire: usize,
    held: Held,
}

impl std::fmt::Debug for PartitionQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartitionQueue")
            .field("topic", &self.state.tp.0)
            .field("partition", &self.state.tp.1)
            .finish_non_exhaustive()
    }
}

impl PartitionQueue {
    pub(super) fn new(
        state: Arc<SplitState>,
        shared: Arc<Shared>,
        rx: mpsc::UnboundedReceiver<QueueItem>,
        commands: mpsc::UnboundedSender<Command>,
        auto_offset_store: bool,
    ) -> PartitionQueue {
        PartitionQueue {
            state,
            shared,
            rx,
            commands,
            auto_offset_store,
            current: None,
        }
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.state.tp.0
    }

    /// The partition.
    pub fn partition(&self) -> i32 {
        self.state.tp.1
    }

    /// The offset of the next message this queue hands out (`None` until
    /// the partition's start offset is known, and after a revoke).
    pub fn position(&self) -> Option<i64> {
        let inner = self.state.lock();
        inner.assigned.then_some(inner.position).flatten()
    }

    /// The next message, event or error of this partition, waiting up to
    /// `timeout`; `None` when nothing came in time or the consumer is
    /// closed.
    pub async fn poll(&mut self, timeout: Duration) -> Option<Result<Message, ConsumerError>> {
        let next = std::future::poll_fn(|cx| self.poll_item(cx));
        tokio::time::timeout(timeout, next).await.ok().flatten()
    }

    /// The next message, event or error of this partition, however long it
    /// takes; [`Error::Closed`] once the consumer is closed or dropped.
    pub async fn recv(&mut self) -> Result<Message, ConsumerError> {
        match std::future::poll_fn(|cx| self.poll_item(cx)).await {
            Some(item) => item,
            None => Err(ConsumerError::Client(Error::Closed)),
        }
    }

    /// Marks `message` processed: its offset + 1 is what the next commit
    /// commits for this partition (see
    /// [`Consumer::store_offset`](super::Consumer::store_offset); only
    /// needed with `enable.auto.offset.store=false`). Refused once the
    /// partition is no longer assigned, or for another partition's
    /// message.
    pub fn store_offset(&self, message: &Message) -> Result<()> {
        let mut inner = self.state.lock();
        let tp = &self.state.tp;
        if *message.topic != *tp.0 || message.partition != tp.1 || !inner.assigned || inner.closed {
            return Err(ConfigError::Conflict(format!(
                "{} [{}] offset {} is not a message of an assigned partition of this queue ({} [{}])",
                message.topic, message.partition, message.offset, tp.0, tp.1
            ))
            .into());
        }
        inner.stored = Some(message.offset + 1);
        Ok(())
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, ConsumerError>>> {
        loop {
            if self.state.lock().closed {
                self.current = None;
                return Poll::Ready(None);
            }
            if let Some(item) = self.next_buffered() {
                return Poll::Ready(Some(item));
            }
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(QueueItem::Data(fetched))) => {
                    if let Some(item) = self.on_fetched(fetched) {
                        return Poll::Ready(Some(item));
                    }
                }
                Poll::Ready(Some(QueueItem::Revoked { lost })) => {
                    self.current = None;
                    return Poll::Ready(Some(Err(ConsumerError::PartitionRevoked {
                        topic: self.state.tp.0.to_string(),
                        partition: self.state.tp.1,
                        lost,
                    })));
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
        let epoch = current.epoch;
        let mut inner = self.state.lock();
        if !inner.current(epoch) {
            drop(inner);
            self.current = None;
            return None;
        }
        match &item {
            Ok(m) => {
                inner.position = Some(m.offset + 1);
                if self.auto_offset_store {
                    inner.stored = Some(m.offset + 1);
                }
            }
            Err(ConsumerError::CorruptBatch { offset, .. }) => {
                // As in `Consumer::poll`: the partition stops at the batch
                // until the application seeks.
                inner.position = Some(*offset);
                inner.epoch = None;
                drop(inner);
                self.current = None;
                let _ = self.commands.send(Command::Halt {
                    tp: self.state.tp.clone(),
                    epoch,
                    offset: *offset,
                });
            }
            Err(_) => {}
        }
        Some(item)
    }

    fn on_fetched(&mut self, item: Fetched) -> Option<Result<Message, ConsumerError>> {
        let inner = self.state.lock();
        match item {
            Fetched::Messages {
                epoch,
                records,
                bytes,
                ..
            } => {
                let held = Held {
                    shared: self.shared.clone(),
                    split: Some(self.state.clone()),
                    bytes,
                };
                if inner.current(epoch) {
                    self.current = Some(QueueBatch {
                        epoch,
                        records,
                        wire: bytes,
                        held,
                    });
                }
                None
            }
            Fetched::Eof {
                tp, epoch, offset, ..
            } => inner.current(epoch).then(|| {
                Err(ConsumerError::PartitionEof {
                    topic: tp.0.to_string(),
                    partition: tp.1,
                    offset,
                })
            }),
            // As `Consumer::poll` decides for a partition it reads.
            Fetched::Error { epoch, error, .. } => (inner.assigned
                && !inner.paused
                && !inner.dropped
                && inner.epoch.is_none_or(|e| epoch >= e))
            .then_some(Err(error)),
        }
    }
}

impl futures_core::Stream for PartitionQueue {
    type Item = Result<Message, ConsumerError>;

    /// This partition's messages and events as they come; ends when the
    /// consumer is closed.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

impl Drop for PartitionQueue {
    /// The partition goes back to `Consumer::poll` from this queue's
    /// position; what the queue still held is released and fetched again.
    fn drop(&mut self) {
        self.current = None;
        let at = {
            let mut inner = self.state.lock();
            inner.dropped = true;
            inner.at()
        };
        self.rx.close();
        while let Ok(item) = self.rx.try_recv() {
            if let QueueItem::Data(Fetched::Messages { bytes, .. }) = item {
                self.state.taken(bytes, &self.shared);
                self.shared.taken(bytes);
            }
        }
        let _ = self.commands.send(Command::Unsplit {
            state: self.state.clone(),
            at,
        });
    }
}

/// The handle's registration of a queue, for partitions assigned later.
pub(super) type Registry = std::collections::HashMap<Tp, Arc<SplitState>>;
