//! The handle's side of partition queues: making one
//! ([`Consumer::split_partition_queue`]), and what a split partition's
//! [`AppPart`] reads and writes through the state it shares with its
//! queue (position, stored offset) instead of its own fields.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::engine::{Command, Split, SplitState};
use super::partition_queue::PartitionQueue;
use super::{AppPart, Consumer, Tp};
use crate::error::Result;

impl Consumer {
    /// Moves one partition's messages to a queue of their own, which can
    /// be read on another task (rust-rdkafka's `split_partition_queue`);
    /// [`Consumer::poll`] no longer returns them, not even those fetched
    /// before this call. The partition need not be assigned yet: its
    /// messages go to the queue whenever it is. See [`PartitionQueue`] for
    /// what happens on revoke, re-assignment, commits and drop.
    ///
    /// `None` when the consumer is closed or the partition already has a
    /// queue (drop that one first).
    ///
    /// ```no_run
    /// # async fn f(consumer: &mut ferrokafka::consumer::Consumer) {
    /// let mut queue = consumer.split_partition_queue("events", 0).expect("first queue");
    /// assert!(consumer.split_partition_queue("events", 0).is_none());
    /// tokio::spawn(async move {
    ///     while let Ok(m) = queue.recv().await {
    ///         assert_eq!(m.partition(), 0);
    ///     }
    /// });
    /// # }
    /// ```
    pub fn split_partition_queue(&mut self, topic: &str, partition: i32) -> Option<PartitionQueue> {
        if self.closed {
            return None;
        }
        let tp: Tp = (Arc::from(topic), partition);
        if self.splits.get(&tp).is_some_and(|s| !s.lock().dropped) {
            return None;
        }
        let cap = usize::try_from(self.config.max_partition_fetch_bytes)
            .unwrap_or(0)
            .min(self.config.queued_max_messages_kbytes.saturating_mul(1024));
        let state = Arc::new(SplitState::new(tp.clone(), cap));
        // Where the partition stands: what the handle (or a dropped queue
        // not taken back yet) handed out. Its data still on the way to the
        // handle is dropped from now on; the engine starts it again there.
        let mut at = None;
        if let Some(p) = self.parts.get_mut(&tp) {
            at = match &p.split {
                Some(old) => old.lock().at(),
                None => p.epoch.zip(p.position),
            };
            {
                let mut inner = state.lock();
                inner.position = p.position();
                inner.stored = p.stored();
                inner.paused = p.paused;
            }
            p.epoch = None;
            p.split = Some(state.clone());
            self.drop_current(&tp);
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let split = Split {
            state: state.clone(),
            tx,
        };
        self.send(Command::Split { split, at }).ok()?;
        self.splits.insert(tp, state.clone());
        Some(PartitionQueue::new(
            state,
            self.shared.clone(),
            rx,
            self.commands.clone(),
            self.config.enable_auto_offset_store,
        ))
    }

    /// A partition was assigned: its queue, if it has one, reads it.
    pub(super) fn attach_split(&mut self, tp: &Tp) {
        self.splits.retain(|_, s| !s.lock().dropped);
        if let (Some(p), Some(s)) = (self.parts.get_mut(tp), self.splits.get(tp)) {
            if p.split.is_none() {
                p.split = Some(s.clone());
            }
        }
    }

    /// Tells the engine that the handle's invalidations of these queues
    /// (made before the commands just sent) are done with.
    pub(super) fn send_fence(&self, states: Vec<Arc<SplitState>>) -> Result<()> {
        if states.is_empty() {
            return Ok(());
        }
        self.send(Command::Fence(states))
    }

    /// The consumer closes or is dropped: its queues hand out nothing more
    /// (what they handed out is committed with the rest).
    pub(super) fn close_splits(&mut self) {
        for s in self.splits.values() {
            let mut inner = s.lock();
            inner.closed = true;
            inner.epoch = None;
        }
    }
}

impl AppPart {
    /// The offset of the next message handed out (by the queue, when the
    /// partition has one).
    pub(super) fn position(&self) -> Option<i64> {
        match &self.split {
            Some(s) => s.lock().position,
            None => self.position,
        }
    }

    /// The offset to commit.
    pub(super) fn stored(&self) -> Option<i64> {
        match &self.split {
            Some(s) => s.lock().stored,
            None => self.stored,
        }
    }

    pub(super) fn set_stored(&mut self, offset: i64) {
        match &self.split {
            Some(s) => s.lock().stored = Some(offset),
            None => self.stored = Some(offset),
        }
    }

    /// The offset to commit as the partition is given back (nothing is
    /// handed out any more: the engine cleared the queue's epoch first).
    pub(super) fn take_stored(&mut self) -> Option<i64> {
        match &self.split {
            Some(s) => s.lock().stored.take(),
            None => self.stored.take(),
        }
    }

    /// Nothing fetched so far is handed out any more (a seek, a pause,
    /// an unassign): at once for the handle, and for the queue (if any)
    /// through a fence, returned to be sent after the command.
    pub(super) fn invalidate(
        &mut self,
        position: Option<i64>,
        paused: bool,
    ) -> Option<Arc<SplitState>> {
        self.epoch = None;
        self.paused |= paused;
        if let Some(o) = position {
            self.position = Some(o);
        }
        let s = self.split.as_ref()?;
        let mut inner = s.lock();
        inner.handle_fences += 1;
        inner.paused |= paused;
        if let Some(o) = position {
            inner.position = Some(o);
        }
        drop(inner);
        Some(s.clone())
    }

    /// The engine started the partition again: a queue that was dropped
    /// gives the partition back to the handle, with its position and
    /// stored offset. Returns whether a queue still reads it.
    pub(super) fn started_split(&mut self) -> bool {
        let Some(s) = &self.split else {
            return false;
        };
        let inner = s.lock();
        if !inner.dropped {
            return true;
        }
        self.position = inner.position;
        self.stored = inner.stored;
        drop(inner);
        self.split = None;
        false
    }
}
