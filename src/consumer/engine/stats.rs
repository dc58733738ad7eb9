//! The engine's part of the consumer's statistics: what it fetched per
//! partition (counted per fetched partition, never per record), the
//! watermarks the brokers reported, what was committed, the group; sent
//! to the handle every `statistics.interval.ms` as
//! [`Event::Statistics`], which the handle completes and hands to the
//! application's callback from `poll`.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;
use tracing::trace;

use super::{Engine, Event, PartState};
use crate::consumer::fetch::PartitionRead;
use crate::consumer::Tp;
use crate::statistics::{GroupStatistics, Statistics};

/// One partition's fetch counts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fetched {
    msgs: i64,
    bytes: i64,
    hi: i64,
    lo: i64,
    committed: i64,
}

impl Default for Fetched {
    fn default() -> Self {
        let unknown = crate::statistics::OFFSET_INVALID;
        Fetched {
            msgs: 0,
            bytes: 0,
            hi: unknown,
            lo: unknown,
            committed: unknown,
        }
    }
}

/// What the engine counts for the statistics.
#[derive(Debug)]
pub(super) struct EngineStats {
    name: String,
    parts: HashMap<Tp, Fetched>,
    /// When the next interval's statistics are due (`None`: no callback).
    pub(super) next_emit: Option<Instant>,
    interval: Duration,
}

impl EngineStats {
    pub(super) fn new(name: String, interval: Option<Duration>, now: Instant) -> Self {
        let interval = interval.filter(|i| !i.is_zero());
        EngineStats {
            name,
            parts: HashMap::new(),
            next_emit: interval.map(|i| now + i),
            interval: interval.unwrap_or_default(),
        }
    }

    /// A fetch of `tp` came back with `read`.
    pub(super) fn fetched(&mut self, tp: &Tp, read: &PartitionRead) {
        trace!(target: "ferrokafka::fetch", topic = %tp.0, partition = tp.1, records = read.msgs, bytes = read.bytes, high_watermark = read.high_watermark, next_offset = read.next_offset, "partition fetched");
        let f = self.parts.entry(tp.clone()).or_default();
        f.msgs += read.msgs;
        f.bytes += read.bytes as i64;
        f.hi = read.high_watermark;
        f.lo = read.log_start_offset;
    }

    /// `offsets` were committed.
    pub(super) fn committed(&mut self, offsets: &[(Tp, i64)]) {
        for (tp, o) in offsets {
            self.parts.entry(tp.clone()).or_default().committed = *o;
        }
    }
}

impl Engine {
    /// Sends this interval's statistics to the handle when due.
    pub(super) fn emit_statistics(&mut self, now: Instant) {
        let Some(at) = self.stats.next_emit else {
            return;
        };
        if now < at {
            return;
        }
        let mut next = at + self.stats.interval;
        if next <= now {
            next = now + self.stats.interval;
        }
        self.stats.next_emit = Some(next);
        let s = self.statistics(true);
        if self.events.send(Event::Statistics(Box::new(s))).is_err() {
            self.stats.next_emit = None;
        }
    }

    /// The consumer's statistics as the engine sees them (the handle adds
    /// what the application consumed, stored and was assigned).
    pub(super) fn statistics(&self, reset: bool) -> Statistics {
        let mut s = self.cluster.statistics(&self.stats.name, "consumer", reset);
        for (tp, f) in &self.stats.parts {
            let p = s.partition(&tp.0, tp.1);
            p.rxmsgs = f.msgs;
            p.rxbytes = f.bytes;
            p.msgs = f.msgs;
            p.hi_offset = f.hi;
            p.lo_offset = f.lo;
            p.committed_offset = f.committed;
        }
        for (tp, part) in &self.parts {
            let p = s.partition(&tp.0, tp.1);
            p.desired = true;
            p.fetch_state = match part.state {
                PartState::Resolving => "offset-query",
                PartState::Fetching => "active",
                PartState::Failed => "stopped",
            }
            .into();
            if part.state != PartState::Resolving {
                p.next_offset = part.offset;
            }
        }
        self.cluster.fill_leaders(&mut s);
        if self.config.group_id.is_some() {
            let (state, joinstate) = match &self.membership {
                None => ("init", "init"),
                Some(m) => (
                    if self.coordinator.is_some() {
                        "up"
                    } else {
                        "wait-coord"
                    },
                    if m.is_stable() {
                        "steady"
                    } else if m.is_active() {
                        "wait-join"
                    } else {
                        "init"
                    },
                ),
            };
            s.cgrp = Some(GroupStatistics {
                state: state.into(),
                joinstate: joinstate.into(),
                ..Default::default()
            });
        }
        s.sum_up();
        s
    }
}
