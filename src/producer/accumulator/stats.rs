//! What the accumulator holds, per partition, for the statistics.

use std::sync::Arc;

use super::Accumulator;

impl Accumulator {
    /// Records and their bytes waiting per partition (in open and ready
    /// batches, and records waiting for their topic's metadata under
    /// partition -1, librdkafka's unassigned partition): per batch, not
    /// per record.
    pub(crate) fn queued(&self) -> Vec<(&Arc<str>, i32, usize, usize)> {
        let mut out = Vec::new();
        for t in &self.topics {
            if !t.waiting.is_empty() {
                let bytes = t.waiting.iter().map(|w| w.permit_bytes).sum();
                out.push((&t.name, -1, t.waiting.len(), bytes));
            }
            for (i, q) in t.partitions.iter().enumerate() {
                let batches = q.open.iter().chain(q.ready.iter());
                let (msgs, bytes) =
                    batches.fold((0, 0), |(m, b), batch| (m + batch.len(), b + batch.size()));
                if msgs > 0 {
                    out.push((&t.name, i as i32, msgs, bytes));
                }
            }
        }
        out
    }
}
