//! What the handle and the engine share: the prefetch queue's bytes, the
//! poll count, the auto-commit flag, and each partition's watermarks.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use tokio::sync::Notify;

use crate::consumer::lookup::Watermarks;
use crate::consumer::Tp;

/// State the handle and the engine both touch, atomics but for the
/// watermarks: the bytes waiting in the prefetch queue, how many times
/// the application polled, whether an auto commit is due, and each
/// partition's watermarks (a short lock, once per partition per fetch).
///
/// The handle reads no clock per message (clock reads were a fifth of
/// its CPU): it counts polls, and the engine, which reads the clock at
/// every wake-up anyway, notes when the count moved. A poll is thus seen
/// at most one engine wake-up late (1 s when idle), which only ever
/// delays a `max.poll.interval.ms` expiry, never brings one forward.
/// Likewise the engine's timer says when an auto commit is due.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(super) queued: AtomicUsize,
    limit: usize,
    pub(super) room: Notify,
    /// Written by the handle only.
    pub(super) polls: AtomicU64,
    pub(super) auto_commit_due: AtomicBool,
    /// Each fetched partition's watermarks, as its last fetch saw them
    /// (written by the engine, read by `get_watermark_offsets` and `lag`).
    watermarks: Mutex<HashMap<Tp, Watermarks>>,
}

impl Shared {
    pub(crate) fn new(limit: usize) -> Shared {
        Shared {
            queued: AtomicUsize::new(0),
            limit,
            room: Notify::new(),
            polls: AtomicU64::new(0),
            auto_commit_due: AtomicBool::new(false),
            watermarks: Mutex::new(HashMap::new()),
        }
    }

    /// The watermarks of `tp` as its last fetch saw them.
    pub(crate) fn watermarks(&self, tp: &Tp) -> Option<Watermarks> {
        let map = self.watermarks.lock().unwrap_or_else(|e| e.into_inner());
        map.get(tp).copied()
    }

    /// A fetch of `tp` reported these watermarks.
    pub(super) fn set_watermarks(&self, tp: &Tp, w: Watermarks) {
        let mut map = self.watermarks.lock().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(tp) {
            Some(old) => *old = w,
            None => {
                map.insert(tp.clone(), w);
            }
        }
    }

    /// Forgets what an earlier assignment of `tp` saw.
    pub(super) fn forget_watermarks(&self, tp: &Tp) {
        let mut map = self.watermarks.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(tp);
    }

    /// Forgets the watermarks of partitions no longer assigned.
    pub(super) fn retain_watermarks(&self, keep: impl Fn(&Tp) -> bool) {
        let mut map = self.watermarks.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|tp, _| keep(tp));
    }

    /// The application polled.
    pub(crate) fn polled(&self) {
        // One writer: a load and a store, no locked read-modify-write.
        let n = self.polls.load(Ordering::Relaxed);
        self.polls.store(n.wrapping_add(1), Ordering::Relaxed);
    }

    /// Whether `auto.commit.interval.ms` passed since the last auto
    /// commit (the flag is cleared by asking).
    pub(crate) fn take_auto_commit_due(&self) -> bool {
        self.auto_commit_due.load(Ordering::Relaxed)
            && self.auto_commit_due.swap(false, Ordering::Relaxed)
    }

    /// The handle holds `bytes` more (a batch it decompressed).
    pub(crate) fn hold(&self, bytes: usize) {
        self.queued.fetch_add(bytes, Ordering::AcqRel);
    }

    /// The handle took `bytes` off the queue.
    pub(crate) fn taken(&self, bytes: usize) {
        let before = self.queued.fetch_sub(bytes, Ordering::AcqRel);
        if before >= self.limit && before.saturating_sub(bytes) < self.limit {
            self.room.notify_one();
        }
    }

    pub(super) fn full(&self) -> bool {
        self.queued.load(Ordering::Acquire) >= self.limit
    }
}
