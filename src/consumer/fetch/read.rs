//! One partition of a Fetch response turned into messages, lazily: the
//! fetch task only splits the records into batches (headers read, CRCs
//! checked), and the handle decompresses and indexes one batch at a time
//! as the application consumes, so a fetch response of small compressed
//! batches never becomes gigabytes at once. Records below the fetch offset
//! are skipped (a fetch starts at the batch holding the offset), control
//! records skipped, and under read_committed the records of aborted
//! transactions left out using the response's list of aborted
//! transactions (the Java consumer's algorithm).
//!
//! A batch that cannot be read ends the partition's data with a
//! [`ConsumerError::CorruptBatch`] naming its offset: never a silent
//! refetch.

use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;
use ferrokafka_protocol::messages::fetch::PartitionData;
use ferrokafka_protocol::records::{
    Compression, ControlRecord, ControlRecordType, DecodeOptions, RawBatch, RecordBatch,
};
use ferrokafka_protocol::DecodeError;

use crate::consumer::{ConsumerError, Message};

/// What one partition's data in a Fetch response yielded.
#[derive(Debug)]
pub(crate) struct PartitionRead {
    /// The records at or after the fetch offset, still in their batches
    /// (boxed: it travels through channels and enums).
    pub(crate) records: Box<PartitionRecords>,
    /// Where the next fetch starts (past control and aborted batches too).
    pub(crate) next_offset: i64,
    /// The partition's end as the consumer sees it: the last stable offset
    /// under read_committed, else the high watermark.
    pub(crate) end_offset: i64,
    /// The log start offset and high watermark the broker reported.
    pub(crate) log_start_offset: i64,
    pub(crate) high_watermark: i64,
    /// The wire bytes the batches hold, for the prefetch bound.
    pub(crate) bytes: usize,
    /// Where the data stopped being readable: the partition must not be
    /// fetched past it (the records yield the error there).
    pub(crate) halt_at: Option<i64>,
    /// Records in the batches (from their headers, control batches left
    /// out), for the statistics.
    pub(crate) msgs: i64,
}

/// The records of one partition's fetch, decoded a batch at a time.
#[derive(Debug)]
pub(crate) struct PartitionRecords {
    topic: Arc<str>,
    partition: i32,
    fetch_offset: i64,
    read_committed: bool,
    options: DecodeOptions,
    batches: std::vec::IntoIter<RawBatch>,
    /// Aborted transactions not yet reached, popped from the back in
    /// first-offset order.
    aborted: Vec<(i64, i64)>,
    aborting: HashSet<i64>,
    /// The batch being handed out and its next record.
    current: Option<(RecordBatch, usize)>,
    /// Said after the batches.
    error: Option<ConsumerError>,
}

impl PartitionRecords {
    /// Whether there is nothing at all to hand out (no batch, no error).
    pub(crate) fn is_empty(&self) -> bool {
        self.current.is_none() && self.batches.len() == 0 && self.error.is_none()
    }

    /// The decompressed bytes held now (the current batch's, when it was
    /// compressed; an uncompressed batch is a slice of the response).
    pub(crate) fn held(&self) -> usize {
        match &self.current {
            Some((b, _)) if b.compression != Compression::None => b.records_len(),
            _ => 0,
        }
    }

    /// The next message, or the error that ends the data. After an error
    /// there is nothing more.
    #[allow(clippy::should_implement_trait)]
    pub(crate) fn next(&mut self) -> Option<Result<Message, ConsumerError>> {
        loop {
            if let Some((batch, i)) = &mut self.current {
                while let Some(r) = batch.record(*i) {
                    *i += 1;
                    if r.offset < self.fetch_offset {
                        continue;
                    }
                    return Some(Ok(Message {
                        topic: self.topic.clone(),
                        partition: self.partition,
                        offset: r.offset,
                        timestamp: r.timestamp,
                        timestamp_type: batch.timestamp_type,
                        leader_epoch: batch.partition_leader_epoch,
                        key: r.key,
                        value: r.value,
                        headers: r.headers,
                    }));
                }
                self.current = None;
            }
            let Some(raw) = self.batches.next() else {
                return self.error.take().map(Err);
            };
            let h = raw.header();
            let (base_offset, next_offset) = (h.base_offset, h.next_offset());
            // A transaction is aborted from its first offset until its
            // abort marker; every batch it wrote in between is left out.
            while let Some(&(first, pid)) = self.aborted.last() {
                if first >= next_offset {
                    break;
                }
                self.aborting.insert(pid);
                self.aborted.pop();
            }
            if next_offset <= self.fetch_offset {
                continue;
            }
            let (is_control, is_transactional, pid) =
                (h.is_control, h.is_transactional, h.producer_id);
            if !is_control
                && self.read_committed
                && is_transactional
                && self.aborting.contains(&pid)
            {
                continue;
            }
            if is_control && !self.read_committed {
                continue;
            }
            let batch = match raw.decode(&self.options) {
                Ok(b) => b,
                Err(e) => {
                    // Nothing past a bad batch is handed out.
                    self.batches = Vec::new().into_iter();
                    self.error = None;
                    return Some(Err(self.corrupt(
                        base_offset.max(self.fetch_offset),
                        Some(next_offset),
                        e,
                    )));
                }
            };
            if is_control {
                if let Some(r) = batch.records().next() {
                    if let Ok(c) = ControlRecord::parse(r.key.as_ref(), r.value.as_ref()) {
                        if c.kind == ControlRecordType::Abort {
                            self.aborting.remove(&pid);
                        }
                    }
                }
                continue;
            }
            self.current = Some((batch, 0));
        }
    }

    fn corrupt(&self, offset: i64, next_offset: Option<i64>, e: DecodeError) -> ConsumerError {
        ConsumerError::CorruptBatch {
            topic: self.topic.to_string(),
            partition: self.partition,
            offset,
            next_offset,
            source: e,
        }
    }
}

/// The offset after a batch whose header did not read, from its raw
/// bytes (base offset and last offset delta), when they look sane.
fn raw_next_offset(bytes: &Bytes, offset: i64) -> Option<i64> {
    let base = i64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
    let delta = i32::from_be_bytes(bytes.get(23..27)?.try_into().ok()?);
    base.checked_add(i64::from(delta))?
        .checked_add(1)
        .filter(|&n| base >= 0 && n > offset)
}

/// Reads `data` (error code already checked to be 0), fetched from
/// `fetch_offset`: splits it into batches (headers and CRCs checked) and
/// leaves decompression to [`PartitionRecords::next`].
pub(crate) fn read_partition(
    topic: &Arc<str>,
    fetch_offset: i64,
    data: &PartitionData,
    read_committed: bool,
    options: &DecodeOptions,
) -> PartitionRead {
    let mut bytes = data.records.clone().unwrap_or_default();
    let end_offset = if read_committed && data.last_stable_offset >= 0 {
        data.last_stable_offset
    } else {
        data.high_watermark
    };
    let mut aborted: Vec<(i64, i64)> = if read_committed {
        data.aborted_transactions
            .iter()
            .flatten()
            .map(|a| (a.first_offset, a.producer_id))
            .collect()
    } else {
        Vec::new()
    };
    aborted.sort_unstable_by(|a, b| b.cmp(a));
    let mut batches = Vec::new();
    let mut next_offset = fetch_offset;
    let mut wire = 0;
    let mut msgs = 0i64;
    let mut error = None;
    let mut halt_at = None;
    while !bytes.is_empty() {
        let before = bytes.len();
        let at = bytes.clone();
        match RawBatch::read(&mut bytes, options) {
            Ok(Some(raw)) => {
                let n = raw.header().next_offset();
                if n > fetch_offset {
                    wire += before - bytes.len();
                    if !raw.header().is_control {
                        msgs += i64::from(raw.header().last_offset_delta) + 1;
                    }
                    next_offset = next_offset.max(n);
                    batches.push(raw);
                }
            }
            Ok(None) => break,
            Err(e) => {
                let offset = next_offset;
                let skip = raw_next_offset(&at, offset);
                error = Some(ConsumerError::CorruptBatch {
                    topic: topic.to_string(),
                    partition: data.partition_index,
                    offset,
                    next_offset: skip,
                    source: e,
                });
                halt_at = Some(offset);
                break;
            }
        }
    }
    PartitionRead {
        records: Box::new(PartitionRecords {
            topic: topic.clone(),
            partition: data.partition_index,
            fetch_offset,
            read_committed,
            options: *options,
            batches: batches.into_iter(),
            aborted,
            aborting: HashSet::new(),
            current: None,
            error,
        }),
        next_offset: halt_at.unwrap_or(next_offset),
        end_offset,
        log_start_offset: data.log_start_offset,
        high_watermark: data.high_watermark,
        bytes: wire,
        halt_at,
        msgs,
    }
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
