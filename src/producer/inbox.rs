//! The way from the producer's handles into its task: a queue the handles
//! push commands onto under a short lock, and the task takes whole.
//!
//! It is a channel, not shared state: only the task ever looks at the
//! commands. It replaces an unbounded mpsc channel because that cost one
//! list-block slot, one atomic hand-off and a block allocation every 32
//! records on each side (about 15% of the producer's CPU at 100-byte
//! records); here a handle pays one uncontended lock and a `Vec` push, and
//! wakes the task only when the queue goes from empty to non-empty, and
//! the task swaps the `Vec` out once per burst. The buffer bound is the
//! semaphores in `shared`, taken before a command is pushed, so the
//! queue needs none of its own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use super::delivery::Sink;
use super::record::ProducerRecord;

/// What a handle asks of the task.
pub(crate) enum Command {
    /// Queue a record. Its `topic` field is empty: the handle resolved
    /// the name to `topic`.
    Send {
        topic: TopicId,
        record: ProducerRecord,
        sink: Sink,
        permit_bytes: usize,
    },
    /// The handles named a new topic: the next id in line.
    NewTopic { id: TopicId, name: Arc<str> },
    /// Send everything queued now, ignoring `linger.ms`, until the queue
    /// is empty.
    Flush,
    /// Fail everything not yet sent with
    /// [`ProduceError::Closed`](super::delivery::ProduceError::Closed) (or
    /// as possibly persisted, if an earlier attempt may have been written),
    /// and retry nothing in flight: its answer is final.
    Purge,
    /// The transaction manager's producer id and epoch (after
    /// InitProducerId, and after each EndTxn of transactions v2, which
    /// bumps the epoch): sequences start over from 0.
    ProducerId { id: i64, epoch: i16 },
    /// A transaction begins (`explicit_add`: the cluster speaks
    /// transactions version 1, so partitions are added with
    /// AddPartitionsToTxn before their first batch).
    BeginTransaction { explicit_add: bool },
    /// The transaction is being aborted: fail what is not sent yet with
    /// [`ProduceError::Aborted`](super::delivery::ProduceError::Aborted),
    /// and retry nothing in flight.
    AbortTransaction,
    /// The task's part of the producer's statistics; `reset` starts new
    /// rtt windows.
    Statistics {
        reset: bool,
        reply: tokio::sync::oneshot::Sender<crate::statistics::Statistics>,
    },
}

/// A topic as the handles number them: 0, 1, 2... in the order first
/// sent to, announced to the task by [`Command::NewTopic`] before the
/// first record of it.
pub(crate) type TopicId = u32;

/// What the handles push under the lock.
#[derive(Default)]
struct State {
    commands: Vec<Command>,
    /// Every topic named so far, by name.
    topics: HashMap<Arc<str>, TopicId>,
    /// The topic of the last record, tried first: records come in runs
    /// of one topic.
    last: Option<(Arc<str>, TopicId)>,
}

impl State {
    /// The id of `name`, announcing it to the task when new.
    fn topic_id(&mut self, name: &str) -> TopicId {
        if let Some((last, id)) = &self.last {
            if **last == *name {
                return *id;
            }
        }
        let (name, id) = match self.topics.get_key_value(name) {
            Some((name, &id)) => (name.clone(), id),
            None => {
                let id = self.topics.len() as TopicId;
                let name: Arc<str> = name.into();
                self.topics.insert(name.clone(), id);
                self.commands.push(Command::NewTopic {
                    id,
                    name: name.clone(),
                });
                (name, id)
            }
        };
        self.last = Some((name, id));
        id
    }
}

struct Queue {
    state: Mutex<State>,
    /// Woken on the empty-to-non-empty transition and when the last
    /// handle goes. `notify_one` keeps a permit when the task is not
    /// waiting, so no wake is missed.
    wake: Notify,
    /// Live [`InboxSender`]s.
    handles: AtomicUsize,
    /// The task dropped its receiver: nothing will take commands.
    task_gone: AtomicBool,
}

/// The task has ended: nothing will take commands.
#[derive(Debug)]
pub(crate) struct TaskGone;

/// The handles' side; cheap to clone.
pub(crate) struct InboxSender {
    queue: Arc<Queue>,
}

/// The task's side.
pub(crate) struct InboxReceiver {
    queue: Arc<Queue>,
}

/// A new inbox.
pub(crate) fn inbox() -> (InboxSender, InboxReceiver) {
    let queue = Arc::new(Queue {
        state: Mutex::new(State::default()),
        wake: Notify::new(),
        handles: AtomicUsize::new(1),
        task_gone: AtomicBool::new(false),
    });
    (
        InboxSender {
            queue: queue.clone(),
        },
        InboxReceiver { queue },
    )
}

impl Clone for InboxSender {
    fn clone(&self) -> Self {
        self.queue.handles.fetch_add(1, Ordering::AcqRel);
        Self {
            queue: self.queue.clone(),
        }
    }
}

impl Drop for InboxSender {
    fn drop(&mut self) {
        if self.queue.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.queue.wake.notify_one();
        }
    }
}

impl InboxSender {
    /// Queues `command` for the task; refuses (dropping it) when the task
    /// is gone.
    pub(crate) fn send(&self, command: Command) -> Result<(), TaskGone> {
        if self.queue.task_gone.load(Ordering::Acquire) {
            return Err(TaskGone);
        }
        let was_empty = {
            let mut q = self.queue.state.lock().unwrap_or_else(|e| e.into_inner());
            q.commands.push(command);
            q.commands.len() == 1
        };
        if was_empty {
            self.queue.wake.notify_one();
        }
        Ok(())
    }

    /// Queues a record for the task, its topic named by id. The topic's
    /// name is compared here, on the caller's thread, where it was just
    /// written, and the `String` is freed here too: the task touching it
    /// cost a cache miss and a cross-thread free per record.
    pub(crate) fn send_record(
        &self,
        mut record: ProducerRecord,
        sink: Sink,
        permit_bytes: usize,
    ) -> Result<(), TaskGone> {
        if self.queue.task_gone.load(Ordering::Acquire) {
            return Err(TaskGone);
        }
        let name = std::mem::take(&mut record.topic);
        let was_empty = {
            let mut q = self.queue.state.lock().unwrap_or_else(|e| e.into_inner());
            let was_empty = q.commands.is_empty();
            let topic = q.topic_id(&name);
            q.commands.push(Command::Send {
                topic,
                record,
                sink,
                permit_bytes,
            });
            was_empty
        };
        drop(name);
        if was_empty {
            self.queue.wake.notify_one();
        }
        Ok(())
    }
}

impl Drop for InboxReceiver {
    fn drop(&mut self) {
        self.queue.task_gone.store(true, Ordering::Release);
    }
}

impl InboxReceiver {
    /// Waits until something may be queued or the last handle went (or
    /// may have: a wake can find the queue already taken).
    pub(crate) async fn ready(&self) {
        self.queue.wake.notified().await;
    }

    /// Whether every handle is gone. Read it before [`take`](Self::take):
    /// whatever they queued is then in what `take` returns.
    pub(crate) fn closed(&self) -> bool {
        self.queue.handles.load(Ordering::Acquire) == 0
    }

    /// Swaps everything queued into `into`, which must be empty: the
    /// handles go on pushing into `into`'s old allocation.
    pub(crate) fn take(&self, into: &mut Vec<Command>) {
        debug_assert!(into.is_empty());
        let mut q = self.queue.state.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::swap(&mut q.commands, into);
    }
}
