//! Per-partition queues ([`PartitionQueue`](crate::consumer::PartitionQueue)):
//! the state a queue, the handle and the engine share, and the engine's
//! side: routing a split partition's fetched data to its queue, not
//! fetching a partition whose queue is full, and moving a partition
//! between the main queue and its own without losing or repeating a
//! record.
//!
//! Who writes what in [`SplitState`]:
//! - the engine, in command order: the epoch whose data the queue may hand
//!   out (with the position it starts at) each time it starts a partition,
//!   none while it looks up an offset, pauses, or once it took the
//!   partition away (revoke, loss, unassign), and the engine's fence count;
//! - the handle, at once when the application calls `seek`, `pause`,
//!   `assign`..., the handle's fence count, so that the queue hands out
//!   nothing older before the engine has even read the command (the
//!   engine counts the same fence once it has: [`Command::Fence`]);
//! - the queue, the position and stored offset as it hands records out.
//!
//! A record is handed out only under the lock, with the epoch current and
//! the fences even, so a revoke (which reads the stored offset under the
//! same lock, after the engine cleared the epoch) commits exactly what was
//! handed out.
//!
//! [`Command::Fence`]: super::Command::Fence

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;

use super::{Engine, Fetched, PartState, Shared, Spec};
use crate::consumer::Tp;

/// What a partition queue receives: its partition's fetched data, in
/// order, and the news that the group took the partition away.
#[derive(Debug)]
pub(crate) enum QueueItem {
    Data(Fetched),
    /// Revoked in a rebalance (`lost`: without a chance to commit).
    Revoked {
        lost: bool,
    },
}

/// What a partition queue, the handle and the engine share about one
/// split partition (see the module's docs).
#[derive(Debug)]
pub(crate) struct SplitState {
    pub(crate) tp: Tp,
    inner: Mutex<SplitInner>,
    /// The wire bytes of this partition's data waiting in the queue or
    /// being handed out (also counted in the consumer's prefetch bytes).
    queued: AtomicUsize,
    /// The engine fetches the partition only while `queued` is below this.
    cap: usize,
}

/// See [`SplitState`].
#[derive(Debug, Default)]
pub(crate) struct SplitInner {
    /// The engine's epoch whose data may be handed out.
    pub(crate) epoch: Option<u64>,
    /// The offset of the next record to hand out.
    pub(crate) position: Option<i64>,
    /// The offset to commit.
    pub(crate) stored: Option<i64>,
    /// Invalidations made by the handle, and those the engine has applied.
    pub(crate) handle_fences: u64,
    engine_fences: u64,
    /// The partition is assigned to this consumer (the engine's view).
    pub(crate) assigned: bool,
    pub(crate) paused: bool,
    /// The queue was dropped: its partition goes back to `poll`.
    pub(crate) dropped: bool,
    /// The consumer was closed or dropped.
    pub(crate) closed: bool,
}

impl SplitInner {
    /// Where the partition stands for whoever takes it over: the epoch
    /// the queue hands out and its position, unless an invalidation is on
    /// its way to the engine.
    pub(crate) fn at(&self) -> Option<(u64, i64)> {
        if self.handle_fences != self.engine_fences {
            return None;
        }
        self.epoch.zip(self.position)
    }

    /// Whether data of `epoch` may be handed out now.
    pub(crate) fn current(&self, epoch: u64) -> bool {
        !self.dropped && !self.closed && self.at().is_some_and(|(e, _)| e == epoch)
    }
}

impl SplitState {
    pub(crate) fn new(tp: Tp, cap: usize) -> SplitState {
        SplitState {
            tp,
            inner: Mutex::new(SplitInner::default()),
            queued: AtomicUsize::new(0),
            cap: cap.max(1),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, SplitInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The queue holds `bytes` more.
    pub(crate) fn hold(&self, bytes: usize) {
        self.queued.fetch_add(bytes, Ordering::AcqRel);
    }

    /// The queue let go of `bytes`: below its cap again, the engine may
    /// fetch the partition.
    pub(crate) fn taken(&self, bytes: usize, shared: &Shared) {
        let before = self.queued.fetch_sub(bytes, Ordering::AcqRel);
        if before >= self.cap && before.saturating_sub(bytes) < self.cap {
            shared.room.notify_one();
        }
    }

    fn full(&self) -> bool {
        self.queued.load(Ordering::Acquire) >= self.cap
    }
}

/// The engine's registration of a split partition.
#[derive(Debug)]
pub(crate) struct Split {
    pub(crate) state: Arc<SplitState>,
    pub(crate) tx: mpsc::UnboundedSender<QueueItem>,
}

/// Whether fetching `tp` waits for its queue to drain.
pub(super) fn full(splits: &HashMap<Tp, Split>, tp: &Tp) -> bool {
    splits.get(tp).is_some_and(|s| s.state.full())
}

impl Engine {
    /// Sends fetched data to the partition's queue if it has one, else
    /// to the handle.
    pub(super) fn deliver(&self, item: Fetched) {
        let tp = match &item {
            Fetched::Messages { tp, .. } | Fetched::Eof { tp, .. } | Fetched::Error { tp, .. } => {
                tp
            }
        };
        let Some(split) = self.splits.get(tp) else {
            let _ = self.data.send(item);
            return;
        };
        let bytes = match &item {
            Fetched::Messages { bytes, .. } => *bytes,
            _ => 0,
        };
        split.state.hold(bytes);
        if split.tx.send(QueueItem::Data(item)).is_err() {
            // The queue was dropped; its `Unsplit` is on its way and
            // starts the partition again where the queue stopped.
            split.state.taken(bytes, &self.shared);
            self.shared.taken(bytes);
        }
    }

    /// The partition's queue (if any) may hand out data of `epoch` from
    /// `offset` (`None`: nothing until the engine starts it again).
    pub(super) fn split_started(&self, tp: &Tp, started: Option<(u64, i64)>) {
        let Some(split) = self.splits.get(tp) else {
            return;
        };
        let mut inner = split.state.lock();
        inner.assigned = true;
        match started {
            Some((epoch, offset)) => {
                inner.epoch = Some(epoch);
                inner.position = Some(offset);
            }
            None => inner.epoch = None,
        }
    }

    /// Mirrors a pause or resume (a paused partition's errors are not
    /// handed out).
    pub(super) fn split_paused(&self, tp: &Tp, paused: bool) {
        if let Some(split) = self.splits.get(tp) {
            split.state.lock().paused = paused;
        }
    }

    /// The partition is no longer this consumer's: its queue hands out
    /// nothing more of it. After a rebalance the queue is told (`lost`
    /// also forgets the stored offset: it must not be committed).
    pub(super) fn split_taken_away(&self, tp: &Tp, rebalance: Option<bool>) {
        let Some(split) = self.splits.get(tp) else {
            return;
        };
        {
            let mut inner = split.state.lock();
            inner.epoch = None;
            inner.assigned = false;
            if rebalance == Some(true) {
                inner.stored = None;
                inner.position = None;
            }
        }
        if let Some(lost) = rebalance {
            let _ = split.tx.send(QueueItem::Revoked { lost });
        }
    }

    /// A queue was made for `tp`: its data goes there from now on. If the
    /// partition is being fetched, it starts again where the handle
    /// stands (`at`), so that nothing already sent to the handle is
    /// needed.
    pub(super) fn on_split(&mut self, split: Split, at: Option<(u64, i64)>) {
        let tp = split.state.tp.clone();
        if let Some(p) = self.parts.get(&tp) {
            let mut inner = split.state.lock();
            inner.assigned = true;
            inner.paused = p.paused;
        }
        self.splits.insert(tp.clone(), split);
        self.reroute(&tp, at);
    }

    /// A queue was dropped: its partition's data goes to the handle again,
    /// from where the queue stopped.
    pub(super) fn on_unsplit(&mut self, state: &Arc<SplitState>, at: Option<(u64, i64)>) {
        let tp = &state.tp;
        if !self
            .splits
            .get(tp)
            .is_some_and(|s| Arc::ptr_eq(&s.state, state))
        {
            // A newer queue took the partition over (and its position).
            return;
        }
        let tp = tp.clone();
        self.splits.remove(&tp);
        self.reroute(&tp, at);
    }

    /// Starts a fetched partition again, at `at`'s offset if it is of the
    /// current epoch, else where the current epoch started (whoever read
    /// before had not seen it start, so handed nothing of it out).
    /// A partition still looking up its offset starts under the new
    /// routing anyway; a paused or failed one waits for its resume or
    /// seek.
    fn reroute(&mut self, tp: &Tp, at: Option<(u64, i64)>) {
        let Some(p) = self.parts.get(tp) else {
            return;
        };
        if p.paused || p.state != PartState::Fetching {
            return;
        }
        let offset = match at {
            Some((epoch, offset)) if epoch == p.epoch => offset,
            _ => p.start,
        };
        self.restart(tp, Spec::At(offset));
    }

    /// The handle's invalidations of these queues have reached the engine.
    pub(super) fn on_fence(&self, states: Vec<Arc<SplitState>>) {
        for s in states {
            s.lock().engine_fences += 1;
        }
    }

    /// The consumer is closing or its handle is gone: the queues end.
    pub(super) fn end_splits(&mut self) {
        self.splits.clear();
    }
}
