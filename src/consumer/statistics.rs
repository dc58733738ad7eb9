//! The consumer's statistics: the engine's part (fetch counts,
//! watermarks, commits, group state) completed with what only the handle
//! knows (positions handed out, stored offsets, the assignment, the
//! rebalances seen), on demand ([`Consumer::statistics`]) or every
//! `statistics.interval.ms` to the application's callback, which runs
//! inside [`Consumer::poll`] as librdkafka's `stats_cb` does.

use tokio::sync::oneshot;

use super::engine::Command;
use super::Consumer;
use crate::error::{Error, Result};
use crate::statistics::Statistics;

impl Consumer {
    /// The consumer's statistics now, in librdkafka's shape (see
    /// [`crate::statistics`]). Does not start a new rtt window: the
    /// interval's statistics keep theirs.
    ///
    /// Fails only with [`Error::Closed`] once the consumer is closed.
    pub async fn statistics(&self) -> Result<Statistics> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Statistics(reply))
            .map_err(|_| Error::Closed)?;
        let mut s = rx.await.map_err(|_| Error::Closed)?;
        self.complete_statistics(&mut s);
        Ok(s)
    }

    /// An interval's statistics from the engine: completed and handed to
    /// the callback.
    pub(super) fn on_statistics(&mut self, mut s: Statistics) {
        self.complete_statistics(&mut s);
        if let Some(callback) = &self.config.statistics_callback {
            callback.call(&s);
        }
    }

    fn complete_statistics(&self, s: &mut Statistics) {
        for (tp, part) in &self.parts {
            let p = s.partition(&tp.0, tp.1);
            p.desired = true;
            if let Some(o) = part.position() {
                p.app_offset = o;
                if p.next_offset >= o {
                    // Fetched, not handed out yet (offsets, so records
                    // compacted away or control records count too).
                    p.fetchq_cnt = p.next_offset - o;
                }
            }
            if let Some(o) = part.stored() {
                p.stored_offset = o;
            }
        }
        for p in s
            .topics
            .values_mut()
            .flat_map(|t| t.partitions.values_mut())
        {
            p.compute_lag();
        }
        if let Some(g) = s.cgrp.as_mut() {
            g.rebalance_cnt = self.rebalance_cnt;
            g.assignment_size = self.parts.len() as i64;
        }
    }
}
