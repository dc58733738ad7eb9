//! One record of a batch, and its headers.

use bytes::Bytes;

/// A record, with its offset and timestamp made absolute.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Record {
    /// The record's offset (the batch's base offset plus its delta).
    pub offset: i64,
    /// The record's timestamp (create time, or the batch's log-append
    /// time when the batch says so).
    pub timestamp: i64,
    /// The key, if any: a slice of the batch.
    pub key: Option<Bytes>,
    /// The value, if any (null is a tombstone): a slice of the batch.
    pub value: Option<Bytes>,
    /// The headers, in order.
    pub headers: Vec<RecordHeader>,
}

/// A record header: a UTF-8 key and an optional value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RecordHeader {
    /// The key.
    pub key: String,
    /// The value, if any: a slice of the batch.
    pub value: Option<Bytes>,
}
