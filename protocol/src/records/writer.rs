//! Encoding record batches: each record written once, straight into the
//! batch buffer; compression, length and CRC at the end.

use bytes::{BufMut, Bytes, BytesMut};

use super::batch::BATCH_HEADER_LEN;
use super::compression::{compress, Compression};
use crate::primitives::{varint_len, varlong_len, write_varint, write_varlong, EncodeError};

/// What a batch says about itself beyond its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOptions {
    /// The codec for the records section.
    pub compression: Compression,
    /// The base offset (0 from producers; the broker assigns offsets).
    pub base_offset: i64,
    /// The partition leader epoch (-1 from producers).
    pub partition_leader_epoch: i32,
    /// The producer id, -1 without idempotence.
    pub producer_id: i64,
    /// The producer epoch, -1 without idempotence.
    pub producer_epoch: i16,
    /// The first record's sequence number, -1 without idempotence.
    pub base_sequence: i32,
    /// Part of a transaction.
    pub is_transactional: bool,
    /// Holds control records.
    pub is_control: bool,
    /// Timestamps are log-append time.
    pub log_append_time: bool,
}

impl Default for BatchOptions {
    fn default() -> Self {
        Self {
            compression: Compression::None,
            base_offset: 0,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            is_transactional: false,
            is_control: false,
            log_append_time: false,
        }
    }
}

/// Builds one batch.
///
/// ```
/// use ferrokafka_protocol::records::{decode_batches, BatchOptions, DecodeOptions, RecordBatchWriter};
///
/// let mut w = RecordBatchWriter::new(BatchOptions::default());
/// w.append(1_700_000_000_000, Some(b"key"), Some(b"value"), &[("h", Some(b"v"))]);
/// let bytes = w.finish()?;
/// let batches = decode_batches(bytes, &DecodeOptions::default())?;
/// let record = batches.batches[0].record(0).expect("one record");
/// assert_eq!(record.key.as_deref(), Some(&b"key"[..]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RecordBatchWriter {
    options: BatchOptions,
    buf: BytesMut,
    count: i32,
    base_timestamp: i64,
    max_timestamp: i64,
}

impl RecordBatchWriter {
    /// An empty batch.
    pub fn new(options: BatchOptions) -> Self {
        Self::with_capacity(options, 16 * 1024)
    }

    /// An empty batch with room for `capacity` bytes of records.
    pub fn with_capacity(options: BatchOptions, capacity: usize) -> Self {
        Self::with_buffer(options, BytesMut::new(), capacity)
    }

    /// An empty batch written into `buf` (emptied first), with room for
    /// `capacity` bytes of records: a finished batch's buffer used again
    /// writes into memory already mapped, where a fresh megabyte costs a
    /// page fault every 4 KiB.
    pub fn with_buffer(options: BatchOptions, mut buf: BytesMut, capacity: usize) -> Self {
        buf.clear();
        buf.reserve(BATCH_HEADER_LEN + capacity);
        buf.put_bytes(0, BATCH_HEADER_LEN);
        Self {
            options,
            buf,
            count: 0,
            base_timestamp: -1,
            max_timestamp: -1,
        }
    }

    /// Sets the idempotence fields, which a producer knows only when the
    /// batch is sent: its producer id, epoch and first sequence number.
    pub fn set_producer(&mut self, producer_id: i64, producer_epoch: i16, base_sequence: i32) {
        self.options.producer_id = producer_id;
        self.options.producer_epoch = producer_epoch;
        self.options.base_sequence = base_sequence;
    }

    /// Marks the batch as part of a transaction (or not).
    pub fn set_transactional(&mut self, transactional: bool) {
        self.options.is_transactional = transactional;
    }

    /// How many records are in the batch.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether the batch has no records.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The batch's size so far, uncompressed.
    pub fn size(&self) -> usize {
        self.buf.len()
    }

    /// The bytes a record would add (for batch-size checks before
    /// appending).
    pub fn record_size(
        &self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(&str, Option<&[u8]>)],
    ) -> usize {
        let body = self.body_len(timestamp, key, value, headers);
        varint_len(body as i32) + body
    }

    fn body_len(
        &self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(&str, Option<&[u8]>)],
    ) -> usize {
        let base = if self.count == 0 {
            timestamp
        } else {
            self.base_timestamp
        };
        let bytes_len = |b: Option<&[u8]>| match b {
            Some(b) => varint_len(b.len() as i32) + b.len(),
            None => 1,
        };
        let mut len = 1
            + varlong_len(timestamp.wrapping_sub(base))
            + varint_len(self.count)
            + bytes_len(key)
            + bytes_len(value)
            + varint_len(headers.len() as i32);
        for (k, v) in headers {
            len += bytes_len(Some(k.as_bytes())) + bytes_len(*v);
        }
        len
    }

    /// Appends a record; returns its offset delta.
    pub fn append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(&str, Option<&[u8]>)],
    ) -> i32 {
        let body = self.body_len(timestamp, key, value, headers);
        self.append_body(body, timestamp, key, value, headers)
    }

    /// Appends a record if the batch stays within `limit` bytes
    /// (uncompressed, as [`size`](Self::size) counts); returns its offset
    /// delta, or `None` and leaves the batch as it was. One size
    /// computation where [`record_size`](Self::record_size) and then
    /// [`append`](Self::append) make two.
    pub fn append_within(
        &mut self,
        limit: usize,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(&str, Option<&[u8]>)],
    ) -> Option<i32> {
        let body = self.body_len(timestamp, key, value, headers);
        if self.buf.len() + varint_len(body as i32) + body > limit {
            return None;
        }
        Some(self.append_body(body, timestamp, key, value, headers))
    }

    fn append_body(
        &mut self,
        body: usize,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(&str, Option<&[u8]>)],
    ) -> i32 {
        if self.count == 0 {
            self.base_timestamp = timestamp;
        }
        let buf = &mut self.buf;
        buf.reserve(varint_len(body as i32) + body);
        write_varint(buf, body as i32);
        buf.put_i8(0);
        write_varlong(buf, timestamp.wrapping_sub(self.base_timestamp));
        write_varint(buf, self.count);
        put_varint_bytes(buf, key);
        put_varint_bytes(buf, value);
        write_varint(buf, headers.len() as i32);
        for (k, v) in headers {
            put_varint_bytes(buf, Some(k.as_bytes()));
            put_varint_bytes(buf, *v);
        }
        self.max_timestamp = self.max_timestamp.max(timestamp);
        let delta = self.count;
        self.count += 1;
        delta
    }

    /// Finishes the batch: compresses the records, writes the header, the
    /// length and the CRC32C.
    pub fn finish(self) -> Result<Bytes, EncodeError> {
        let o = self.options;
        let mut buf = self.buf;
        if o.compression != Compression::None {
            let compressed = compress(o.compression, &buf[BATCH_HEADER_LEN..])?;
            buf.truncate(BATCH_HEADER_LEN);
            buf.extend_from_slice(&compressed);
        }
        let length = i32::try_from(buf.len() - 12).map_err(|_| EncodeError::TooLong {
            what: "RecordBatch",
            length: buf.len(),
        })?;
        let mut attributes = o.compression.attribute_bits();
        if o.log_append_time {
            attributes |= 0x08;
        }
        if o.is_transactional {
            attributes |= 0x10;
        }
        if o.is_control {
            attributes |= 0x20;
        }
        let mut h = &mut buf[..BATCH_HEADER_LEN];
        h.put_i64(o.base_offset);
        h.put_i32(length);
        h.put_i32(o.partition_leader_epoch);
        h.put_i8(2);
        h.put_u32(0); // CRC, below
        h.put_i16(attributes);
        h.put_i32(self.count.saturating_sub(1).max(0));
        h.put_i64(self.base_timestamp);
        h.put_i64(self.max_timestamp);
        h.put_i64(o.producer_id);
        h.put_i16(o.producer_epoch);
        h.put_i32(o.base_sequence);
        h.put_i32(self.count);
        let crc = crc32c::crc32c(&buf[21..]);
        buf[17..21].copy_from_slice(&crc.to_be_bytes());
        Ok(buf.freeze())
    }
}

fn put_varint_bytes(buf: &mut BytesMut, b: Option<&[u8]>) {
    match b {
        Some(b) => {
            write_varint(buf, b.len() as i32);
            buf.put_slice(b);
        }
        None => write_varint(buf, -1),
    }
}
