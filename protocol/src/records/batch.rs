//! Decoding record batches.

use bytes::Bytes;

use super::compression::{decompress, Compression, DEFAULT_MAX_DECOMPRESSED};
use super::record::{Record, RecordHeader};
use crate::primitives::{
    read_i16, read_i32, read_i64, read_i8, read_u32, DecodeError, DecodeResult,
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
    /// The records section, decompressed: every key and value is a slice
    /// of it.
    #[cfg_attr(feature = "serde", serde(skip))]
    data: Bytes,
    /// Where each record's parts lie in `data`, found (and checked) by
    /// `decode` in one pass.
    #[cfg_attr(feature = "serde", serde(skip))]
    index: Vec<RecordIndex>,
}

/// A byte range of `data`, or none (a null key or value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    const NULL: Span = Span {
        start: u32::MAX,
        end: u32::MAX,
    };

    fn of(range: Option<(usize, usize)>) -> Span {
        match range {
            // The records section is capped far below 4 GiB.
            Some((s, e)) => Span {
                start: s as u32,
                end: e as u32,
            },
            None => Span::NULL,
        }
    }

    fn get(self, data: &Bytes) -> Option<Bytes> {
        (self != Span::NULL).then(|| data.slice(self.start as usize..self.end as usize))
    }

    fn bytes(self, data: &[u8]) -> Option<&[u8]> {
        (self != Span::NULL).then(|| &data[self.start as usize..self.end as usize])
    }
}

/// One record's place in the records section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct RecordIndex {
    timestamp_delta: i64,
    offset_delta: i32,
    header_count: u32,
    key: Span,
    value: Span,
    /// The encoded headers.
    headers: Span,
}

/// A record borrowed from its batch: no allocation, no reference count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef<'a> {
    /// The record's offset.
    pub offset: i64,
    /// The record's timestamp.
    pub timestamp: i64,
    /// The key, if any.
    pub key: Option<&'a [u8]>,
    /// The value, if any.
    pub value: Option<&'a [u8]>,
    /// How many headers the record has.
    pub header_count: usize,
}

impl RecordBatch {
    /// How many records the batch holds.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// The bytes of the records section (decompressed).
    pub fn records_len(&self) -> usize {
        self.data.len()
    }

    /// Whether the batch holds no records.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    fn timestamp(&self, delta: i64) -> i64 {
        match self.timestamp_type {
            TimestampType::LogAppendTime => self.max_timestamp,
            TimestampType::CreateTime => self.base_timestamp.wrapping_add(delta),
        }
    }

    fn owned(&self, ix: &RecordIndex) -> Record {
        let mut headers = Vec::with_capacity(ix.header_count as usize);
        if ix.header_count > 0 {
            let end = ix.headers.end as usize;
            let mut c = Cursor {
                data: &self.data[..end],
                pos: ix.headers.start as usize,
            };
            // Checked when the batch was decoded: these reads succeed.
            for _ in 0..ix.header_count {
                let (Ok(Some((ks, ke))), Ok(value)) = (c.range(end, ""), c.range(end, "")) else {
                    break;
                };
                // Leniently, as the Java client reads them: a key that is
                // not UTF-8 is replaced, its bytes kept in `raw_key`.
                let (key, raw_key) = match String::from_utf8_lossy(&self.data[ks..ke]) {
                    std::borrow::Cow::Borrowed(k) => (k.to_owned(), None),
                    std::borrow::Cow::Owned(k) => (k, Some(self.data.slice(ks..ke))),
                };
                headers.push(RecordHeader {
                    key,
                    raw_key,
                    value: value.map(|(s, e)| self.data.slice(s..e)),
                });
            }
        }
        Record {
            offset: self.base_offset.wrapping_add(i64::from(ix.offset_delta)),
            timestamp: self.timestamp(ix.timestamp_delta),
            key: ix.key.get(&self.data),
            value: ix.value.get(&self.data),
            headers,
        }
    }

    /// The records, each owning its key and value as `Bytes` slices of the
    /// batch (a reference count each, no copy).
    pub fn records(&self) -> impl ExactSizeIterator<Item = Record> + '_ {
        self.index.iter().map(|ix| self.owned(ix))
    }

    /// The `i`th record, owned.
    pub fn record(&self, i: usize) -> Option<Record> {
        self.index.get(i).map(|ix| self.owned(ix))
    }

    /// The records, borrowed: the cheapest way through a batch.
    pub fn record_refs(&self) -> impl ExactSizeIterator<Item = RecordRef<'_>> + '_ {
        self.index.iter().map(|ix| RecordRef {
            offset: self.base_offset.wrapping_add(i64::from(ix.offset_delta)),
            timestamp: self.timestamp(ix.timestamp_delta),
            key: ix.key.bytes(&self.data),
            value: ix.value.bytes(&self.data),
            header_count: ix.header_count as usize,
        })
    }

    /// The offset after the batch's last record. Decoding checked that it
    /// does not overflow; on a batch built by hand it saturates.
    pub fn next_offset(&self) -> i64 {
        self.base_offset
            .saturating_add(i64::from(self.last_offset_delta))
            .saturating_add(1)
    }

    /// Reads one whole batch from the front of `buf`.
    pub fn decode(buf: &mut Bytes, options: &DecodeOptions) -> DecodeResult<RecordBatch> {
        if buf.len() >= LOG_OVERHEAD {
            let length = i32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]);
            let total = usize::try_from(length).unwrap_or(0) + LOG_OVERHEAD;
            if length >= 0 && buf.len() < total && !is_old_format(buf) {
                return Err(DecodeError::Truncated {
                    what: "RecordBatch",
                    needed: total,
                    remaining: buf.len(),
                });
            }
        }
        match RawBatch::read(buf, options)? {
            Some(raw) => raw.decode(options),
            None => Err(DecodeError::Truncated {
                what: "RecordBatch header",
                needed: LOG_OVERHEAD,
                remaining: buf.len(),
            }),
        }
    }
}

/// Whether `buf` starts with a message of the old formats (magic 0 or 1),
/// which this client does not read.
fn is_old_format(buf: &[u8]) -> bool {
    matches!(buf.get(16), Some(0 | 1))
}

/// A batch whose header is read (and CRC checked) but whose records are
/// not yet decompressed nor indexed: what a consumer holds between fetching
/// a batch and handing out its records, so that it decompresses one batch
/// at a time rather than a whole fetch response at once.
#[derive(Debug, Clone)]
pub struct RawBatch {
    /// The header fields (no records yet).
    header: RecordBatch,
    /// The records count from the wire, checked when decoded.
    count: i32,
    /// The records section as on the wire (compressed, maybe).
    section: Bytes,
}

impl RawBatch {
    /// The batch's header fields; its records are not decoded yet (the
    /// returned batch holds none).
    pub fn header(&self) -> &RecordBatch {
        &self.header
    }

    /// The bytes of the records section as on the wire.
    pub fn section_len(&self) -> usize {
        self.section.len()
    }

    /// Reads one batch's header from the front of `buf`, checks its CRC,
    /// and takes its bytes off `buf`. `Ok(None)` when `buf` holds only
    /// part of a batch (nothing is taken then): a broker cuts a Fetch
    /// response mid-batch at its size limit.
    pub fn read(buf: &mut Bytes, options: &DecodeOptions) -> DecodeResult<Option<RawBatch>> {
        if is_old_format(buf) {
            return Err(DecodeError::Invalid {
                what: "RecordBatch.magic",
                reason: format!(
                    "message format v{} is not supported (only v2 record batches, Kafka 0.11 and \
                     later; the topic holds data in the v0/v1 message format)",
                    buf[16]
                ),
            });
        }
        if buf.len() < LOG_OVERHEAD {
            return Ok(None);
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
            return Ok(None);
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
        let header = RecordBatch {
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
            data: Bytes::new(),
            index: Vec::new(),
        };
        // The offset after the batch must exist: a base offset near
        // i64::MAX would overflow every offset computed from it.
        if base_offset < 0
            || base_offset
                .checked_add(i64::from(header.last_offset_delta))
                .and_then(|o| o.checked_add(1))
                .is_none()
        {
            return Err(DecodeError::Invalid {
                what: "RecordBatch.base_offset",
                reason: format!(
                    "base offset {base_offset} with last offset delta {} leaves the offset range",
                    header.last_offset_delta
                ),
            });
        }
        let count = read_i32(b, "RecordBatch.records_count")?;
        Ok(Some(RawBatch {
            header,
            count,
            section: batch,
        }))
    }

    /// Decompresses (under `options.max_decompressed`) and indexes the
    /// records.
    pub fn decode(self, options: &DecodeOptions) -> DecodeResult<RecordBatch> {
        let RawBatch {
            mut header,
            count,
            section,
        } = self;
        let records = match header.compression {
            Compression::None => section,
            codec => Bytes::from(decompress(codec, &section, options.max_decompressed)?),
        };
        // A count from the wire decides nothing until the bytes back it.
        let count = usize::try_from(count)
            .ok()
            .filter(|&c| c <= records.len() / MIN_RECORD_LEN)
            .ok_or(DecodeError::InvalidLength {
                what: "RecordBatch.records_count",
                length: i64::from(count),
            })?;
        let mut index = Vec::with_capacity(count);
        let mut cursor = Cursor {
            data: &records,
            pos: 0,
        };
        for _ in 0..count {
            let record = index_record(&mut cursor)?;
            // A record's offset lies inside its batch: base offset plus a
            // delta in 0..=last_offset_delta (compaction leaves gaps, never
            // offsets outside). Anything else would hand the application
            // an offset the batch does not own.
            if !(0..=header.last_offset_delta).contains(&record.offset_delta) {
                return Err(DecodeError::Invalid {
                    what: "Record.offset_delta",
                    reason: format!(
                        "offset delta {} outside the batch's 0..={}",
                        record.offset_delta, header.last_offset_delta
                    ),
                });
            }
            index.push(record);
        }
        if cursor.pos != records.len() {
            return Err(DecodeError::TrailingData {
                what: "RecordBatch records",
                remaining: records.len() - cursor.pos,
            });
        }
        header.index = index;
        header.data = records;
        Ok(header)
    }
}

/// Reads records with a cursor over the batch's bytes: one pass of varint
/// parsing, and a `Bytes` slice (a reference count, no copy) only for each
/// key, value and header value. This is the decoder's hot loop.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    /// An unsigned varint of up to 10 bytes, `None` when truncated or too
    /// long. Most are one byte: that path is a compare and a load.
    #[inline(always)]
    fn raw(&mut self) -> Option<u64> {
        let first = *self.data.get(self.pos)?;
        self.pos += 1;
        if first < 0x80 {
            return Some(u64::from(first));
        }
        let mut value = u64::from(first & 0x7f);
        let mut shift = 7;
        loop {
            let b = *self.data.get(self.pos)?;
            self.pos += 1;
            value |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(value);
            }
            shift += 7;
            if shift > 63 {
                return None;
            }
        }
    }

    #[inline(always)]
    fn varlong(&mut self, what: &'static str) -> DecodeResult<i64> {
        match self.raw() {
            Some(v) => Ok(((v >> 1) as i64) ^ -((v & 1) as i64)),
            None => Err(varint_error(what)),
        }
    }

    #[inline(always)]
    fn varint(&mut self, what: &'static str) -> DecodeResult<i32> {
        match self.raw() {
            Some(v) if v <= u64::from(u32::MAX) => Ok(((v >> 1) as i32) ^ -((v & 1) as i32)),
            _ => Err(varint_error(what)),
        }
    }

    /// A length-prefixed byte range ending by `end`, or `None` for -1.
    #[inline(always)]
    fn range(&mut self, end: usize, what: &'static str) -> DecodeResult<Option<(usize, usize)>> {
        let len = self.varint(what)?;
        let start = self.pos;
        if len >= 0 && len as usize <= end.saturating_sub(start) {
            self.pos += len as usize;
            return Ok(Some((start, start + len as usize)));
        }
        if len == -1 {
            return Ok(None);
        }
        Err(DecodeError::InvalidLength {
            what,
            length: i64::from(len),
        })
    }
}

#[cold]
fn varint_error(what: &'static str) -> DecodeError {
    DecodeError::Invalid {
        what,
        reason: "truncated or over-long varint".into(),
    }
}

fn index_record(c: &mut Cursor<'_>) -> DecodeResult<RecordIndex> {
    let length = c.varint("Record.length")?;
    let end = usize::try_from(length)
        .ok()
        .filter(|&l| l <= c.data.len() - c.pos)
        .map(|l| c.pos + l)
        .ok_or_else(|| DecodeError::InvalidLength {
            what: "Record.length",
            length: i64::from(length),
        })?;
    if c.pos >= end {
        return Err(DecodeError::Truncated {
            what: "Record.attributes",
            needed: 1,
            remaining: 0,
        });
    }
    c.pos += 1; // attributes: unused in v2
    let timestamp_delta = c.varlong("Record.timestamp_delta")?;
    let offset_delta = c.varint("Record.offset_delta")?;
    let key = Span::of(c.range(end, "Record.key")?);
    let value = Span::of(c.range(end, "Record.value")?);
    let header_count = c.varint("Record.headers")?;
    // A header takes at least two bytes (key and value lengths).
    let header_count = u32::try_from(header_count)
        .ok()
        .filter(|&n| n as usize <= end.saturating_sub(c.pos) / 2)
        .ok_or_else(|| DecodeError::InvalidLength {
            what: "Record.headers",
            length: i64::from(header_count),
        })?;
    let headers_start = c.pos;
    for _ in 0..header_count {
        // Any bytes: a key that is not UTF-8 is read leniently (see
        // `owned`), not a reason to refuse the batch.
        c.range(end, "RecordHeader.key")?
            .ok_or(DecodeError::UnexpectedNull {
                what: "RecordHeader.key",
            })?;
        c.range(end, "RecordHeader.value")?;
    }
    if c.pos != end {
        // Varints may have run past the record's end; either way its
        // length was wrong.
        return Err(DecodeError::InvalidLength {
            what: "Record.length",
            length: i64::from(length),
        });
    }
    Ok(RecordIndex {
        timestamp_delta,
        offset_delta,
        header_count,
        key,
        value,
        headers: Span::of(Some((headers_start, end))),
    })
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
        match RawBatch::read(&mut records, options)? {
            Some(raw) => out.batches.push(raw.decode(options)?),
            None => {
                out.partial_tail = records.len();
                break;
            }
        }
    }
    Ok(out)
}
