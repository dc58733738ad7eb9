//! The producer task's part of the statistics: records delivered per
//! partition (counted per batch), what waits in the accumulator, the
//! producer id; and emitting them every `statistics.interval.ms`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::trace;

use super::{ProducerId, Sender};
use crate::producer::batch::ProducerBatch;
use crate::statistics::{EosStatistics, Statistics};

/// What the task counts for the statistics.
pub(super) struct Counts {
    /// Records and batch bytes delivered, per partition.
    delivered: HashMap<Arc<str>, HashMap<i32, (i64, i64)>>,
    /// Producer ids and epochs assigned so far.
    pub(super) epoch_cnt: i64,
    /// When the next interval's statistics are due.
    pub(super) next_emit: Option<Instant>,
    interval: Duration,
    emit: Option<mpsc::UnboundedSender<Statistics>>,
}

impl Counts {
    pub(super) fn new(
        now: Instant,
        config: &Option<(Duration, mpsc::UnboundedSender<Statistics>)>,
    ) -> Self {
        let (interval, emit) = match config {
            Some((i, tx)) if !i.is_zero() => (*i, Some(tx.clone())),
            _ => (Duration::ZERO, None),
        };
        Counts {
            delivered: HashMap::new(),
            epoch_cnt: 0,
            next_emit: emit.as_ref().map(|_| now + interval),
            interval,
            emit,
        }
    }

    /// A batch was delivered at `base_offset`: one hash lookup per batch.
    pub(super) fn delivered(&mut self, batch: &ProducerBatch, base_offset: i64) {
        let records = batch.len() as i64;
        let bytes = batch.size() as i64;
        trace!(target: "ferrokafka::msg", topic = %batch.topic, partition = batch.partition, records, bytes, base_offset, "batch delivered");
        // Looked up by `&str`: the topic's `Arc` is cloned (a shared count
        // bumped) only for its first batch.
        let partitions = match self.delivered.get_mut(&*batch.topic) {
            Some(p) => p,
            None => self.delivered.entry(batch.topic.clone()).or_default(),
        };
        let e = partitions.entry(batch.partition).or_insert((0, 0));
        e.0 += records;
        e.1 += bytes;
    }
}

impl Sender {
    /// Sends this interval's statistics to the callback's task when due.
    pub(super) fn emit_statistics(&mut self, now: Instant) {
        let Some(at) = self.stats.next_emit else {
            return;
        };
        if now < at {
            return;
        }
        // The next one an interval after this one was due, not after now:
        // a late wake-up does not shift every later interval.
        let mut next = at + self.stats.interval;
        if next <= now {
            next = now + self.stats.interval;
        }
        self.stats.next_emit = Some(next);
        let stats = self.statistics(true);
        if let Some(tx) = &self.stats.emit {
            if tx.send(stats).is_err() {
                self.stats.next_emit = None;
            }
        }
    }

    /// The producer's statistics as the task sees them (the transaction
    /// state is the handle's to add).
    pub(super) fn statistics(&self, reset: bool) -> Statistics {
        let mut s = self
            .cluster
            .statistics(&self.config.statistics_name, "producer", reset);
        let delivered = self
            .stats
            .delivered
            .iter()
            .flat_map(|(t, ps)| ps.iter().map(move |(p, c)| (t, p, c)));
        for (topic, partition, (msgs, bytes)) in delivered {
            let p = s.partition(topic, *partition);
            p.txmsgs = *msgs;
            p.txbytes = *bytes;
            p.desired = true;
        }
        for (topic, partition, msgs, bytes) in self.acc.queued() {
            let p = s.partition(topic, partition);
            p.msgq_cnt = msgs as i64;
            p.msgq_bytes = bytes as i64;
            p.desired = true;
        }
        for t in s.topics.values_mut() {
            for p in t.partitions.values_mut() {
                p.msgs = p.txmsgs + p.msgq_cnt;
            }
        }
        self.cluster.fill_leaders(&mut s);
        let (idemp_state, producer_id, producer_epoch) = match &self.producer_id {
            ProducerId::Disabled => ("Init", -1, -1),
            ProducerId::Needed { .. } | ProducerId::Awaiting => ("RequestPID", -1, -1),
            ProducerId::Requesting => ("WaitPID", -1, -1),
            ProducerId::Ready { id, epoch } => ("Assigned", *id, i64::from(*epoch)),
            ProducerId::NeedsBump { id, epoch } => ("WaitBump", *id, i64::from(*epoch)),
            ProducerId::Fatal(_) => ("FatalError", -1, -1),
        };
        s.eos = Some(EosStatistics {
            idemp_state: idemp_state.into(),
            txn_state: "Init".into(),
            producer_id,
            producer_epoch,
            epoch_cnt: self.stats.epoch_cnt,
        });
        s.msg_cnt = self.shared.outstanding() as i64;
        s.msg_size = self.shared.queued_bytes() as i64;
        s.msg_max = self.shared.max_messages() as i64;
        s.msg_size_max = self.shared.max_bytes as i64;
        s.replyq = self.shared.replyq() as i64;
        s.sum_up();
        s
    }
}
