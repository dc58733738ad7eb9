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

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use super::sender::Command;

struct Queue {
    commands: Mutex<Vec<Command>>,
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
        commands: Mutex::new(Vec::new()),
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
            let mut q = self
                .queue
                .commands
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            q.push(command);
            q.len() == 1
        };
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
        let mut q = self
            .queue
            .commands
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        std::mem::swap(&mut *q, into);
    }
}
