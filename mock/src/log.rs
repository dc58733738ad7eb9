//! One partition's log: whole record batches as the producer sent them,
//! with the broker's base offset and leader epoch written in, capped by
//! bytes so a long test never grows it without bound.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use ferrokafka_protocol::records::{decode_batches, DecodeOptions, RecordBatch};

/// Where a v2 batch keeps its base offset: bytes 0..8. The CRC covers only
/// bytes 21.., so the broker may rewrite this without re-checksumming.
const BASE_OFFSET: std::ops::Range<usize> = 0..8;
/// Where a v2 batch keeps its partition leader epoch: bytes 12..16, also
/// outside the CRC; Kafka stamps it on append.
const PARTITION_LEADER_EPOCH: std::ops::Range<usize> = 12..16;

/// One stored batch.
#[derive(Debug, Clone)]
pub(crate) struct StoredBatch {
    /// The offset of its first record.
    pub(crate) base_offset: i64,
    /// The offset after its last record.
    pub(crate) next_offset: i64,
    /// The largest timestamp in it.
    pub(crate) max_timestamp: i64,
    /// The leader epoch that appended it.
    pub(crate) leader_epoch: i32,
    /// The batch as stored: the producer's bytes with the offset assigned.
    pub(crate) bytes: Bytes,
}

/// A partition's batches, oldest first.
#[derive(Debug, Default)]
pub(crate) struct PartitionLog {
    batches: VecDeque<StoredBatch>,
    log_start_offset: i64,
    high_watermark: i64,
    size: usize,
}

impl PartitionLog {
    /// The first offset still stored (or the high watermark when empty).
    pub(crate) fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }

    /// The offset the next record will get.
    pub(crate) fn high_watermark(&self) -> i64 {
        self.high_watermark
    }

    /// Bytes stored.
    #[cfg(test)]
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Appends `raw` (the bytes `batch` was decoded from) at the end of the
    /// log, then drops the oldest batches while the log holds more than
    /// `retention_bytes` (the newest batch always stays). Returns the base
    /// offset assigned.
    pub(crate) fn append(
        &mut self,
        raw: &Bytes,
        batch: &RecordBatch,
        leader_epoch: i32,
        retention_bytes: usize,
    ) -> i64 {
        let base_offset = self.high_watermark;
        let mut bytes = BytesMut::from(&raw[..]);
        bytes[BASE_OFFSET].copy_from_slice(&base_offset.to_be_bytes());
        bytes[PARTITION_LEADER_EPOCH].copy_from_slice(&leader_epoch.to_be_bytes());
        let next_offset = base_offset + i64::from(batch.last_offset_delta) + 1;
        self.size += bytes.len();
        self.batches.push_back(StoredBatch {
            base_offset,
            next_offset,
            max_timestamp: batch.max_timestamp,
            leader_epoch,
            bytes: bytes.freeze(),
        });
        self.high_watermark = next_offset;
        while self.size > retention_bytes && self.batches.len() > 1 {
            if let Some(old) = self.batches.pop_front() {
                self.size -= old.bytes.len();
            }
        }
        self.log_start_offset = self
            .batches
            .front()
            .map_or(self.high_watermark, |b| b.base_offset);
        base_offset
    }

    /// Whole batches from the one holding `offset` on, up to `max_bytes`;
    /// with `at_least_one`, the first batch comes even when it is larger
    /// (as Kafka does, so a consumer can always make progress).
    #[cfg(test)]
    pub(crate) fn read(&self, offset: i64, max_bytes: usize, at_least_one: bool) -> Vec<Bytes> {
        self.read_below(offset, i64::MAX, max_bytes, at_least_one)
    }

    /// [`read`](Self::read), only batches that start below `end` (the
    /// last stable offset, for read_committed).
    pub(crate) fn read_below(
        &self,
        offset: i64,
        end: i64,
        max_bytes: usize,
        at_least_one: bool,
    ) -> Vec<Bytes> {
        let first = self.batches.partition_point(|b| b.next_offset <= offset);
        let mut out = Vec::new();
        let mut taken = 0usize;
        for batch in self.batches.range(first..) {
            if batch.base_offset >= end {
                break;
            }
            let fits = taken + batch.bytes.len() <= max_bytes;
            let first = at_least_one && out.is_empty();
            if !(fits || first) {
                break;
            }
            taken += batch.bytes.len();
            out.push(batch.bytes.clone());
        }
        out
    }

    /// The first offset whose record's timestamp is at or after `timestamp`,
    /// with that timestamp.
    pub(crate) fn offset_for_timestamp(&self, timestamp: i64) -> Option<(i64, i64)> {
        let batch = self.batches.iter().find(|b| b.max_timestamp >= timestamp)?;
        let decoded = decode_stored(batch)?;
        let found = decoded
            .record_refs()
            .find(|r| r.timestamp >= timestamp)
            .map(|r| (r.offset, r.timestamp));
        found
    }

    /// The offset and timestamp of the record with the largest timestamp
    /// (the first such, as Kafka answers `MAX_TIMESTAMP`).
    pub(crate) fn max_timestamp(&self) -> Option<(i64, i64)> {
        let mut best: Option<&StoredBatch> = None;
        for b in &self.batches {
            if best.is_none_or(|x| b.max_timestamp > x.max_timestamp) {
                best = Some(b);
            }
        }
        let batch = best?;
        let decoded = decode_stored(batch)?;
        let found = decoded
            .record_refs()
            .find(|r| r.timestamp == batch.max_timestamp)
            .map(|r| (r.offset, r.timestamp));
        found
    }

    /// The leader epoch of the batch holding `offset`, -1 if none.
    pub(crate) fn epoch_at(&self, offset: i64) -> i32 {
        let i = self.batches.partition_point(|b| b.next_offset <= offset);
        self.batches.get(i).map_or(-1, |b| b.leader_epoch)
    }
}

/// A stored batch decoded again (it was checked on the way in, so this
/// only fails if the mock itself corrupted it).
fn decode_stored(batch: &StoredBatch) -> Option<RecordBatch> {
    decode_batches(batch.bytes.clone(), &DecodeOptions::default())
        .ok()?
        .batches
        .into_iter()
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrokafka_protocol::records::{BatchOptions, RecordBatchWriter};

    fn batch(records: usize, timestamp: i64) -> (Bytes, RecordBatch) {
        let mut w = RecordBatchWriter::new(BatchOptions::default());
        for i in 0..records {
            w.append(timestamp + i as i64, None, Some(b"value"), &[]);
        }
        let raw = w.finish().expect("encodes");
        let decoded = decode_batches(raw.clone(), &DecodeOptions::default())
            .expect("decodes")
            .batches
            .remove(0);
        (raw, decoded)
    }

    #[test]
    fn append_assigns_offsets_and_the_stored_batch_still_checks() {
        let mut log = PartitionLog::default();
        let (raw, b) = batch(3, 100);
        assert_eq!(log.append(&raw, &b, 7, usize::MAX), 0);
        assert_eq!(log.append(&raw, &b, 7, usize::MAX), 3);
        assert_eq!(log.high_watermark(), 6);
        let read = log.read(4, usize::MAX, true);
        assert_eq!(read.len(), 1, "the batch holding offset 4");
        let back = decode_batches(read[0].clone(), &DecodeOptions::default()).expect("crc ok");
        assert_eq!(back.batches[0].base_offset, 3);
        assert_eq!(back.batches[0].partition_leader_epoch, 7);
        assert_eq!(log.epoch_at(4), 7);
    }

    #[test]
    fn retention_drops_the_oldest_batches() {
        let mut log = PartitionLog::default();
        let (raw, b) = batch(1, 0);
        for _ in 0..10 {
            log.append(&raw, &b, 0, raw.len() * 3);
        }
        assert_eq!(log.size(), raw.len() * 3);
        assert_eq!(log.log_start_offset(), 7);
        assert_eq!(log.high_watermark(), 10);
    }

    #[test]
    fn read_respects_max_bytes_but_returns_one_batch_to_progress() {
        let mut log = PartitionLog::default();
        let (raw, b) = batch(1, 0);
        log.append(&raw, &b, 0, usize::MAX);
        log.append(&raw, &b, 0, usize::MAX);
        assert_eq!(log.read(0, raw.len() * 2, false).len(), 2);
        assert_eq!(log.read(0, raw.len() + 1, false).len(), 1);
        assert!(log.read(0, 1, false).is_empty());
        assert_eq!(log.read(0, 1, true).len(), 1);
    }

    #[test]
    fn timestamps_find_offsets() {
        let mut log = PartitionLog::default();
        let (raw, b) = batch(3, 100);
        log.append(&raw, &b, 0, usize::MAX);
        let (raw, b) = batch(2, 200);
        log.append(&raw, &b, 0, usize::MAX);
        assert_eq!(log.offset_for_timestamp(101), Some((1, 101)));
        assert_eq!(log.offset_for_timestamp(150), Some((3, 200)));
        assert_eq!(log.offset_for_timestamp(999), None);
        assert_eq!(log.max_timestamp(), Some((4, 201)));
    }
}
