//! Decoding record batches.

use bytes::{Buf, Bytes};

use super::compression::{decompress, Compression, DEFAULT_MAX_DECOMPRESSED};
use super::record::{Record, RecordHeader};
use crate::primitives::{
    read_i16, read_i32, read_i64, read_i8, read_u32, read_varint, read_varlong, DecodeError,
    DecodeResult,
};

/// Bytes before the records: offsets 0..61 of a v2 batch.
pub const BATCH_HEADER_LEN: usize = 61;
/// Bytes before `batchLength` counts: base offset (8) and the length (4).
const LOG_OVERHEAD: usize = 12;
/// Where the CRC-covered part starts (the attributes).
const CRC_START: usize = 21;
/// The fewest bytes a record takes: length, attributes, timestamp delta,
/// offset delta, key length, value length, header count.
const MIN_RECORD_LEN: usize = 7;

/// Whether timestamps are the producer's or the broker's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum TimestampType {
    /// Set by the producer.
    #[default]
    CreateTime,
    /// Set by the broker when it appended the batch.
    LogAppendTime,
}

/// Limits for decoding.
#[derive(Debug, Clone, Copy)]
pub struct DecodeOptions {
    /// The most bytes a batch's records may decompress to.
    pub max_decompressed: usize,
    /// Whether to check each batch's CRC32C.
    pub check_crc: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            max_decompressed: DEFAULT_MAX_DECOMPRESSED,
            check_crc: true,
        }
    }
}

/// A decoded batch: its header and its records.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RecordBatch {
    /// The first record's offset.
    pub base_offset: i64,
    /// The leader epoch that appended the batch.
    pub partition_leader_epoch: i32,
    /// The raw attributes.
    pub attributes: i16,
    /// The codec of the records section.
    pub compression: Compression,
    /// Create time or log-append time.
    pub timestamp_type: TimestampType,
    /// Part of a transaction.
    pub is_transactional: bool,
    /// Holds control records (transaction markers).
    pub is_control: bool,
    /// The last record's offset delta.
    pub last_offset_delta: i32,
    /// The first record's timestamp.
    pub base_timestamp: i64,
    /// The largest timestamp in the batch.
    pub max_timestamp: i64,
    /// The producer id, -1 without idempotence.
    pub producer_id: i64,
    /// The producer epoch, -1 without idempotence.
    pub producer_epoch: i16,
    /// The first record's sequence number, -1 without idempotence.
    pub base_sequence: i32,
    /// The records, offsets and timestamps absolute.
    pub records: Vec<Record>,
}

impl RecordBatch {
    /// The offset after the batch's last record.
    pub fn next_offset(&self) -> i64 {
        self.base_offset + i64::from(self.last_offset_delta) + 1
    }

    /// Reads one whole batch from the front of `buf`.
    pub fn decode(buf: &mut Bytes, options: &DecodeOptions) -> DecodeResult<RecordBatch> {
        if buf.len() < LOG_OVERHEAD {
            return Err(DecodeError::Truncated {
                what: "RecordBatch header",
                needed: LOG_OVERHEAD,
                remaining: buf.len(),
            });
        }
        let length = i32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]);
        let total = usize::try_from(length)
            .ok()
            .filter(|&l| l >= BATCH_HEADER_LEN - LOG_OVERHEAD)
            .ok_or(DecodeError::InvalidLength {
                what: "RecordBatch.batch_length",
                length: i64::from(length),
            })?
            + LOG_OVERHEAD;
        if buf.len() < total {
            return Err(DecodeError::Truncated {
                what: "RecordBatch",
                needed: total,
                remaining: buf.len(),
            });
        }
        let mut batch = buf.split_to(total);
        if batch[16] != 2 {
            return Err(DecodeError::Invalid {
                what: "RecordBatch.magic",
                reason: format!("magic {} (only v2 batches are supported)", batch[16] as i8),
            });
        }
        let crc = u32::from_be_bytes([batch[17], batch[18], batch[19], batch[20]]);
        if options.check_crc {
            let computed = crc32c::crc32c(&batch[CRC_START..]);
            if computed != crc {
                return Err(DecodeError::CrcMismatch {
                    expected: crc,
                    computed,
                });
            }
        }
        let b = &mut batch;
        let base_offset = read_i64(b, "RecordBatch.base_offset")?;
        let _length = read_i32(b, "RecordBatch.batch_length")?;
        let partition_leader_epoch = read_i32(b, "RecordBatch.partition_leader_epoch")?;
        let _magic = read_i8(b, "RecordBatch.magic")?;
        let _crc = read_u32(b, "RecordBatch.crc")?;
        let attributes = read_i16(b, "RecordBatch.attributes")?;
        let mut header = RecordBatch {
            base_offset,
            partition_leader_epoch,
            attributes,
            compression: Compression::from_attributes(attributes)?,
            timestamp_type: if attributes & 0x08 != 0 {
                TimestampType::LogAppendTime
            } else {
                TimestampType::CreateTime
            },
            is_transactional: attributes & 0x10 != 0,
            is_control: attributes & 0x20 != 0,
            last_offset_delta: read_i32(b, "RecordBatch.last_offset_delta")?,
            base_timestamp: read_i64(b, "RecordBatch.base_timestamp")?,
            max_timestamp: read_i64(b, "RecordBatch.max_timestamp")?,
            producer_id: read_i64(b, "RecordBatch.producer_id")?,
            producer_epoch: read_i16(b, "RecordBatch.producer_epoch")?,
            base_sequence: read_i32(b, "RecordBatch.base_sequence")?,
            records: Vec::new(),
        };
        let count = read_i32(b, "RecordBatch.records_count")?;
        let mut records = match header.compression {
            Compression::None => batch,
            codec => Bytes::from(decompress(codec, &batch, options.max_decompressed)?),
        };
        // A count from the wire decides nothing until the bytes back it.
        let count = usize::try_from(count)
            .ok()
            .filter(|&c| c <= records.len() / MIN_RECORD_LEN)
            .ok_or(DecodeError::InvalidLength {
                what: "RecordBatch.records_count",
                length: i64::from(count),
            })?;
        header.records.reserve_exact(count);
        for _ in 0..count {
            let record = decode_record(&mut records, &header)?;
            header.records.push(record);
        }
        if !records.is_empty() {
            return Err(DecodeError::TrailingData {
                what: "RecordBatch records",
                remaining: records.len(),
            });
        }
        Ok(header)
    }
}

fn decode_record(buf: &mut Bytes, batch: &RecordBatch) -> DecodeResult<Record> {
    let length = read_varint(buf, "Record.length")?;
    let length = usize::try_from(length)
        .ok()
        .filter(|&l| l <= buf.len())
        .ok_or(DecodeError::InvalidLength {
            what: "Record.length",
            length: i64::from(length),
        })?;
    let mut r = buf.split_to(length);
    let _attributes = read_i8(&mut r, "Record.attributes")?;
    let timestamp_delta = read_varlong(&mut r, "Record.timestamp_delta")?;
    let offset_delta = read_varint(&mut r, "Record.offset_delta")?;
    let key = read_varint_bytes(&mut r, "Record.key")?;
    let value = read_varint_bytes(&mut r, "Record.value")?;
    let header_count = read_varint(&mut r, "Record.headers")?;
    // A header takes at least two bytes (key and value lengths).
    let header_count = usize::try_from(header_count)
        .ok()
        .filter(|&c| c <= r.len() / 2)
        .ok_or(DecodeError::InvalidLength {
            what: "Record.headers",
            length: i64::from(header_count),
        })?;
    let mut headers = Vec::with_capacity(header_count);
    for _ in 0..header_count {
        let key =
            read_varint_bytes(&mut r, "RecordHeader.key")?.ok_or(DecodeError::UnexpectedNull {
                what: "RecordHeader.key",
            })?;
        let key = String::from_utf8(key.to_vec()).map_err(|_| DecodeError::InvalidUtf8 {
            what: "RecordHeader.key",
        })?;
        let value = read_varint_bytes(&mut r, "RecordHeader.value")?;
        headers.push(RecordHeader { key, value });
    }
    if r.has_remaining() {
        return Err(DecodeError::TrailingData {
            what: "Record",
            remaining: r.remaining(),
        });
    }
    let timestamp = match batch.timestamp_type {
        TimestampType::LogAppendTime => batch.max_timestamp,
        TimestampType::CreateTime => batch.base_timestamp.wrapping_add(timestamp_delta),
    };
    Ok(Record {
        offset: batch.base_offset.wrapping_add(i64::from(offset_delta)),
        timestamp,
        key,
        value,
        headers,
    })
}

fn read_varint_bytes(buf: &mut Bytes, what: &'static str) -> DecodeResult<Option<Bytes>> {
    let len = read_varint(buf, what)?;
    if len == -1 {
        return Ok(None);
    }
    let len = usize::try_from(len)
        .ok()
        .filter(|&l| l <= buf.len())
        .ok_or(DecodeError::InvalidLength {
            what,
            length: i64::from(len),
        })?;
    Ok(Some(buf.split_to(len)))
}

/// The batches of a records field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batches {
    /// Every whole batch, in order.
    pub batches: Vec<RecordBatch>,
    /// Bytes of a partial batch at the end: a broker cuts a Fetch
    /// response at its size limit mid-batch, which is not an error.
    pub partial_tail: usize,
}

/// Decodes every whole batch in `records` (a Produce or Fetch `records`
/// field). A batch cut short at the end is reported in
/// [`Batches::partial_tail`]; a bad batch anywhere is an error.
pub fn decode_batches(mut records: Bytes, options: &DecodeOptions) -> DecodeResult<Batches> {
    let mut out = Batches::default();
    while !records.is_empty() {
        if records.len() < LOG_OVERHEAD {
            out.partial_tail = records.len();
            break;
        }
        let length = i32::from_be_bytes([records[8], records[9], records[10], records[11]]);
        if length >= 0 && records.len() < LOG_OVERHEAD + length as usize {
            out.partial_tail = records.len();
            break;
        }
        out.batches
            .push(RecordBatch::decode(&mut records, options)?);
    }
    Ok(out)
}
