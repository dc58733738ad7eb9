//! One partition's batch as the producer holds it: records encoded into a
//! [`RecordBatchWriter`] while it is open, the finished bytes once it is
//! sent (kept, with their sequence numbers, for retries), and where each
//! record's report goes.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use ferrokafka_protocol::records::{BatchOptions, Compression, RecordBatchWriter};
use ferrokafka_protocol::EncodeError;
use tokio::time::Instant;

use super::delivery::Sink;

/// Offsets in a v2 batch header of the fields a new producer epoch
/// rewrites, and where the CRC-covered part begins.
const PRODUCER_ID_AT: usize = 43;
const PRODUCER_EPOCH_AT: usize = 51;
const BASE_SEQUENCE_AT: usize = 53;
const CRC_AT: usize = 17;
const CRC_FROM: usize = 21;

/// Records of one partition, sent and retried together.
#[derive(Debug)]
pub(crate) struct ProducerBatch {
    pub(crate) topic: Arc<str>,
    pub(crate) partition: i32,
    /// Open: records still go in. `None` once finished.
    writer: Option<RecordBatchWriter>,
    /// The finished batch, once sent the first time.
    encoded: Option<Bytes>,
    /// Each record's report sink and timestamp, in offset order.
    pub(crate) records: Vec<(Sink, i64)>,
    /// When the first record went in: linger and the delivery timeout
    /// count from here.
    pub(crate) created: Instant,
    /// Bytes held in the buffer bound.
    pub(crate) permit_bytes: usize,
    /// The first record's sequence number, once assigned (idempotence).
    pub(crate) base_sequence: Option<i32>,
    /// How many times it was sent and failed retriably.
    pub(crate) attempts: u32,
    /// Not to be sent again before this.
    pub(crate) retry_at: Option<Instant>,
    /// The last retriable error, for the timeout's report.
    pub(crate) last_error: Option<String>,
    /// An attempt reached a broker and no definite answer came back (the
    /// request timed out, the connection was cut): the batch may be in the
    /// log, under the producer id, epoch and sequence it was sent with.
    /// Cleared only by an answer that settles it (written, or refused by
    /// the sequence check); until then the producer may not renumber it
    /// under a new epoch, and giving up on it reports the records as
    /// [`ProduceError::PossiblyPersisted`](super::delivery::ProduceError::PossiblyPersisted).
    pub(crate) possibly_written: bool,
}

impl ProducerBatch {
    #[cfg(test)]
    pub(crate) fn new(
        topic: Arc<str>,
        partition: i32,
        compression: Compression,
        capacity: usize,
        now: Instant,
    ) -> Self {
        Self::with_buffer(
            topic,
            partition,
            compression,
            BytesMut::new(),
            capacity,
            now,
        )
    }

    /// A batch written into `buf`, a finished batch's buffer used again.
    pub(crate) fn with_buffer(
        topic: Arc<str>,
        partition: i32,
        compression: Compression,
        buf: BytesMut,
        capacity: usize,
        now: Instant,
    ) -> Self {
        let options = BatchOptions {
            compression,
            ..Default::default()
        };
        Self {
            topic,
            partition,
            writer: Some(RecordBatchWriter::with_buffer(options, buf, capacity)),
            encoded: None,
            records: Vec::new(),
            created: now,
            permit_bytes: 0,
            base_sequence: None,
            attempts: 0,
            retry_at: None,
            last_error: None,
            possibly_written: false,
        }
    }

    /// The uncompressed size so far.
    pub(crate) fn size(&self) -> usize {
        match (&self.writer, &self.encoded) {
            (Some(w), _) => w.size(),
            (None, Some(e)) => e.len(),
            (None, None) => 0,
        }
    }

    /// How many records it holds.
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// Encodes one record into the open batch if the batch stays within
    /// `limit` bytes; otherwise gives `sink` back.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn try_append(
        &mut self,
        limit: usize,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(&str, Option<&[u8]>)],
        sink: Sink,
        permit_bytes: usize,
    ) -> Result<(), Sink> {
        let Some(w) = &mut self.writer else {
            return Err(sink);
        };
        if w.append_within(limit, timestamp, key, value, headers)
            .is_none()
        {
            return Err(sink);
        }
        self.records.push((sink, timestamp));
        self.permit_bytes += permit_bytes;
        Ok(())
    }

    /// Encodes one record into the open batch.
    pub(crate) fn append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(&str, Option<&[u8]>)],
        sink: Sink,
        permit_bytes: usize,
    ) {
        if let Some(w) = &mut self.writer {
            w.append(timestamp, key, value, headers);
            self.records.push((sink, timestamp));
            self.permit_bytes += permit_bytes;
        }
    }

    /// The finished batch's buffer, once it is done with (delivered): for
    /// the next batch to write into, when nothing else holds it.
    pub(crate) fn take_buffer(&mut self) -> Option<BytesMut> {
        self.encoded.take()?.try_into_mut().ok()
    }

    /// Whether it was finished (sent at least once).
    pub(crate) fn is_finished(&self) -> bool {
        self.encoded.is_some()
    }

    /// The bytes to send: finishes the batch the first time, with the
    /// producer id, epoch and base sequence (-1s without idempotence).
    pub(crate) fn encoded(
        &mut self,
        producer_id: i64,
        producer_epoch: i16,
    ) -> Result<Bytes, EncodeError> {
        if let Some(e) = &self.encoded {
            return Ok(e.clone());
        }
        let Some(mut writer) = self.writer.take() else {
            return Ok(Bytes::new());
        };
        writer.set_producer(
            producer_id,
            producer_epoch,
            self.base_sequence.unwrap_or(-1),
        );
        let bytes = writer.finish()?;
        self.encoded = Some(bytes.clone());
        Ok(bytes)
    }

    /// Gives a finished batch a new producer id, epoch and base sequence
    /// (after the producer's epoch was bumped), fixing its CRC.
    pub(crate) fn restamp(&mut self, producer_id: i64, producer_epoch: i16, base_sequence: i32) {
        self.base_sequence = Some(base_sequence);
        if let Some(e) = &self.encoded {
            if e.len() < BASE_SEQUENCE_AT + 4 {
                return;
            }
            let mut b = BytesMut::from(&e[..]);
            b[PRODUCER_ID_AT..PRODUCER_ID_AT + 8].copy_from_slice(&producer_id.to_be_bytes());
            b[PRODUCER_EPOCH_AT..PRODUCER_EPOCH_AT + 2]
                .copy_from_slice(&producer_epoch.to_be_bytes());
            b[BASE_SEQUENCE_AT..BASE_SEQUENCE_AT + 4].copy_from_slice(&base_sequence.to_be_bytes());
            let crc = crc32c::crc32c(&b[CRC_FROM..]);
            b[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.to_be_bytes());
            self.encoded = Some(b.freeze());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrokafka_protocol::records::{decode_batches, DecodeOptions};

    #[test]
    fn restamping_changes_the_producer_fields_and_keeps_the_crc_valid() {
        let now = Instant::now();
        let mut b = ProducerBatch::new("t".into(), 0, Compression::Lz4, 1024, now);
        b.base_sequence = Some(7);
        b.append(
            1,
            Some(b"k"),
            Some(b"v"),
            &[],
            Sink::Callback(Box::new(|_| {})),
            10,
        );
        b.append(
            2,
            None,
            Some(b"w"),
            &[],
            Sink::Callback(Box::new(|_| {})),
            10,
        );
        let first = b.encoded(42, 3).expect("encodes");
        let batch = &decode_batches(first, &DecodeOptions::default())
            .expect("decodes")
            .batches[0];
        assert_eq!(
            (batch.producer_id, batch.producer_epoch, batch.base_sequence),
            (42, 3, 7)
        );

        b.restamp(43, 0, 0);
        let again = b.encoded(0, 0).expect("kept");
        let batch = &decode_batches(again, &DecodeOptions::default())
            .expect("CRC still valid")
            .batches[0];
        assert_eq!(
            (batch.producer_id, batch.producer_epoch, batch.base_sequence),
            (43, 0, 0)
        );
        assert_eq!(
            batch.record(1).and_then(|r| r.value).as_deref(),
            Some(&b"w"[..])
        );
    }
}
