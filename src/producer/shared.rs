//! What the producer's handles and its task share: the buffer bound, the
//! count of undelivered records, and the callbacks waiting for `poll`.
//!
//! A record holds its place in the bound until its report is served, not
//! merely made: a callback's until `poll` or `flush` has run it, a
//! future's until it is taken (see [`DeliveryFuture`](super::DeliveryFuture)),
//! as librdkafka counts unserved reports. Otherwise an application that
//! produces without polling would pile up reports without bound.
//! Everything here is a counter or a queue touched briefly; the records
//! themselves belong to the task alone.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use tokio::sync::{Notify, Semaphore, TryAcquireError};

use super::delivery::{DeliveryCallback, DeliveryResult, Report, Sink};

/// A callback with its report and the bytes its record holds.
type Queued = (DeliveryCallback, DeliveryResult, usize);

pub(crate) struct Shared {
    /// Records queued and not yet reported (`queue.buffering.max.messages`).
    pub(crate) messages: Semaphore,
    /// Bytes queued and not yet reported (`queue.buffering.max.kbytes`).
    pub(crate) bytes: Semaphore,
    /// The byte bound, so one record larger than it can still go alone.
    pub(crate) max_bytes: usize,
    /// `queue.buffering.max.messages`, for the statistics.
    max_messages: usize,
    /// Records handed to the producer whose report is not out yet.
    outstanding: AtomicUsize,
    /// Woken when `outstanding` reaches zero.
    idle: Notify,
    /// Callbacks with their reports, for `poll` to run.
    reports: Mutex<Vec<Queued>>,
    /// The allocation `run_callbacks` swaps in for `reports`, kept so the
    /// task does not grow a new one after every poll.
    spare: Mutex<Vec<Queued>>,
    /// Woken when a report is queued.
    reported: Notify,
    /// Some record failed since [`Shared::take_failed`] last looked: a
    /// transaction holding it must not commit.
    failed: AtomicBool,
    /// Why the task stopped sending for good (fenced, not authorized).
    fatal: Mutex<Option<String>>,
    /// Transactional: the broker refused the producer's epoch or sequence
    /// within the transaction; the task waits for the epoch the abort's
    /// EndTxn brings.
    bump_required: AtomicBool,
    /// Transactions version 1: the task added partitions to the
    /// transaction, so the coordinator has it open and EndTxn must end it.
    partitions_added: AtomicBool,
    /// Space that taken delivery futures gave back and the semaphores
    /// have not had yet: records, then bytes. See [`Shared::release_one`].
    deferred_messages: AtomicUsize,
    deferred_bytes: AtomicUsize,
    /// Callers waiting in `send` for space; while there is one, nothing
    /// is deferred.
    waiting: AtomicUsize,
}

/// How many taken futures' space [`Shared::release_one`] gathers before
/// giving it to the semaphores at once.
const DEFERRED_MAX: usize = 64;

impl Shared {
    pub(crate) fn new(max_messages: usize, max_bytes: usize) -> Self {
        let cap = Semaphore::MAX_PERMITS;
        Self {
            messages: Semaphore::new(max_messages.min(cap)),
            bytes: Semaphore::new(max_bytes.min(cap)),
            max_bytes: max_bytes.min(cap),
            max_messages: max_messages.min(cap),
            outstanding: AtomicUsize::new(0),
            idle: Notify::new(),
            reports: Mutex::new(Vec::new()),
            spare: Mutex::new(Vec::new()),
            reported: Notify::new(),
            failed: AtomicBool::new(false),
            fatal: Mutex::new(None),
            bump_required: AtomicBool::new(false),
            partitions_added: AtomicBool::new(false),
            deferred_messages: AtomicUsize::new(0),
            deferred_bytes: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
        }
    }

    /// Marks that the coordinator knows the open transaction (version 1).
    pub(crate) fn mark_partitions_added(&self) {
        self.partitions_added.store(true, Ordering::Release);
    }

    /// Whether partitions were added since the last call, clearing the
    /// mark.
    pub(crate) fn take_partitions_added(&self) -> bool {
        self.partitions_added.swap(false, Ordering::AcqRel)
    }

    /// Marks that the abort must end the transaction with EndTxn (for a
    /// new epoch), whatever was queued.
    pub(crate) fn require_bump(&self) {
        self.bump_required.store(true, Ordering::Release);
    }

    /// Whether the abort must send EndTxn, clearing the mark.
    pub(crate) fn take_bump_required(&self) -> bool {
        self.bump_required.swap(false, Ordering::AcqRel)
    }

    /// Whether a record failed since the last call, clearing the mark.
    pub(crate) fn take_failed(&self) -> bool {
        self.failed.swap(false, Ordering::AcqRel)
    }

    /// The task's fatal error, once it has one.
    pub(crate) fn fatal(&self) -> Option<String> {
        self.fatal.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Records the task's fatal error.
    pub(crate) fn set_fatal(&self, reason: &str) {
        *self.fatal.lock().unwrap_or_else(|e| e.into_inner()) = Some(reason.to_owned());
    }

    /// The bytes a record of `size` holds in the buffer bound.
    pub(crate) fn byte_permits(&self, size: usize) -> u32 {
        size.clamp(1, self.max_bytes.max(1)).min(u32::MAX as usize) as u32
    }

    /// A record entered the producer.
    pub(crate) fn add_outstanding(&self) {
        self.outstanding.fetch_add(1, Ordering::AcqRel);
    }

    /// A record counted by `add_outstanding` never entered after all.
    pub(crate) fn forget_outstanding(&self) {
        if self.outstanding.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.idle.notify_waiters();
        }
    }

    /// How many records have no report yet.
    /// `queue.buffering.max.messages`.
    pub(crate) fn max_messages(&self) -> usize {
        self.max_messages
    }

    /// Bytes of the records not yet reported (what the byte bound holds).
    pub(crate) fn queued_bytes(&self) -> usize {
        self.max_bytes
            .saturating_sub(self.bytes.available_permits())
            .saturating_sub(self.deferred_bytes.load(Ordering::Relaxed))
    }

    /// Delivery reports waiting for `poll` (librdkafka's `replyq`).
    pub(crate) fn replyq(&self) -> usize {
        self.reports.lock().map_or(0, |r| r.len())
    }

    pub(crate) fn outstanding(&self) -> usize {
        self.outstanding.load(Ordering::Acquire)
    }

    /// Gives back the buffer space of `records` records of `bytes` bytes
    /// in all, once their reports are served.
    pub(crate) fn release(&self, records: usize, bytes: usize) {
        self.messages.add_permits(records);
        self.bytes.add_permits(bytes);
    }

    /// Takes one record's place in the bound (a message and `bytes` byte
    /// permits) without waiting. When the buffer is full, the space taken
    /// futures gathered ([`Shared::release_one`]) goes back first and the
    /// place is tried once more.
    pub(crate) fn try_reserve(&self, bytes: u32) -> Result<(), TryAcquireError> {
        match self.try_reserve_now(bytes) {
            Err(TryAcquireError::NoPermits) => {
                self.flush_deferred();
                self.try_reserve_now(bytes)
            }
            taken => taken,
        }
    }

    /// Takes one record's place in the bound, waiting while it is full;
    /// `Closed` once the producer is closed. Tried without waiting first:
    /// the waiting acquire's future (a waiter node, its wake-up
    /// bookkeeping) cost a tenth of `send`'s CPU when the buffer has room,
    /// which is nearly always.
    pub(crate) async fn reserve(&self, bytes: u32) -> Result<(), TryAcquireError> {
        match self.try_reserve_now(bytes) {
            Err(TryAcquireError::NoPermits) => {}
            taken => return taken,
        }
        let _waiting = self.wait_for_space();
        let closed = |_| TryAcquireError::Closed;
        let messages = self.messages.acquire().await.map_err(closed)?;
        self.bytes
            .acquire_many(bytes)
            .await
            .map_err(closed)?
            .forget();
        messages.forget();
        Ok(())
    }

    fn try_reserve_now(&self, bytes: u32) -> Result<(), TryAcquireError> {
        let messages = self.messages.try_acquire()?;
        self.bytes.try_acquire_many(bytes)?.forget();
        messages.forget();
        Ok(())
    }

    /// Gives back one record's space when its future's report is taken.
    ///
    /// Handing a permit back to a tokio semaphore takes its waiter lock,
    /// twice per record (records, bytes): a sixth of what `send` cost in
    /// all. So the space is gathered here and given back
    /// [`DEFERRED_MAX`] records at a time, or at once while a caller waits
    /// for space ([`Shared::wait_for_space`]). The two sides order their
    /// writes before their reads (`SeqCst`): a release that does not see
    /// the waiter has its space seen by the waiter's own flush.
    pub(crate) fn release_one(&self, bytes: usize) {
        let n = self.deferred_messages.fetch_add(1, Ordering::SeqCst) + 1;
        self.deferred_bytes.fetch_add(bytes, Ordering::SeqCst);
        if n >= DEFERRED_MAX || self.waiting.load(Ordering::SeqCst) > 0 {
            self.flush_deferred();
        }
    }

    /// Gives the semaphores the space [`Shared::release_one`] gathered.
    pub(crate) fn flush_deferred(&self) {
        let records = self.deferred_messages.swap(0, Ordering::SeqCst);
        let bytes = self.deferred_bytes.swap(0, Ordering::SeqCst);
        if records > 0 || bytes > 0 {
            self.release(records, bytes);
        }
    }

    /// Marks a caller waiting for space until the guard drops, and gives
    /// the semaphores what was gathered before it.
    pub(crate) fn wait_for_space(&self) -> WaitingForSpace<'_> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        self.flush_deferred();
        WaitingForSpace(self)
    }

    /// Sends each record's report (with the bytes its record holds in the
    /// bound) where it should go: a batch's worth under one lock, with one
    /// wake and one count, rather than per record. The space stays taken
    /// until the report is served, except a future's that was dropped.
    pub(crate) fn report_all(
        &self,
        reports: impl IntoIterator<Item = (Sink, DeliveryResult, usize)>,
    ) {
        let mut n = 0;
        let mut queue = None;
        let (mut unserved, mut unserved_bytes) = (0, 0);
        for (sink, result, bytes) in reports {
            n += 1;
            if result.is_err() {
                self.failed.store(true, Ordering::Release);
            }
            match sink {
                Sink::Future(tx) => {
                    if tx.send(Report { result, bytes }).is_err() {
                        // Nobody will take it: the space is free now.
                        unserved += 1;
                        unserved_bytes += bytes;
                    }
                }
                Sink::Callback(cb) => queue
                    .get_or_insert_with(|| self.reports.lock().unwrap_or_else(|e| e.into_inner()))
                    .push((cb, result, bytes)),
            }
        }
        let queued = queue.is_some();
        drop(queue);
        if unserved > 0 {
            self.release(unserved, unserved_bytes);
        }
        if queued {
            self.reported.notify_waiters();
        }
        // Counted out only after they are queued: `flush` reads zero only
        // when every callback is in the queue.
        if n > 0 && self.outstanding.fetch_sub(n, Ordering::AcqRel) == n {
            self.idle.notify_waiters();
        }
    }

    /// Runs every queued callback, then gives their records' space
    /// back; returns how many ran.
    pub(crate) fn run_callbacks(&self) -> usize {
        let mut ready = std::mem::take(&mut *self.spare.lock().unwrap_or_else(|e| e.into_inner()));
        std::mem::swap(
            &mut *self.reports.lock().unwrap_or_else(|e| e.into_inner()),
            &mut ready,
        );
        let n = ready.len();
        let mut bytes = 0;
        for (cb, result, b) in ready.drain(..) {
            bytes += b;
            cb(result);
        }
        *self.spare.lock().unwrap_or_else(|e| e.into_inner()) = ready;
        if n > 0 {
            self.release(n, bytes);
        }
        n
    }

    /// Waits until a callback is queued or `outstanding` reaches zero,
    /// or at most until `deadline`.
    pub(crate) async fn wait_for_progress(&self, deadline: tokio::time::Instant) {
        let reported = self.reported.notified();
        let idle = self.idle.notified();
        if self.has_callbacks() || self.outstanding() == 0 {
            return;
        }
        tokio::select! {
            _ = reported => {}
            _ = idle => {}
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }

    fn has_callbacks(&self) -> bool {
        !self
            .reports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }
}

/// A caller waiting in `send` for space (see [`Shared::wait_for_space`]).
pub(crate) struct WaitingForSpace<'a>(&'a Shared);

impl Drop for WaitingForSpace<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}
