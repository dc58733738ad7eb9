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

/// A record header: a key and an optional value.
///
/// Keys are UTF-8 by Kafka's rules, but a producer can write any bytes. As
/// the Java client does, such a key is read leniently: `key` holds it with
/// each invalid sequence replaced by U+FFFD, and `raw_key` its bytes, so
/// that one odd header never makes a batch unreadable.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RecordHeader {
    /// The key (lossily converted when it is not UTF-8; see `raw_key`).
    pub key: String,
    /// The key's bytes when they are not UTF-8, else `None` (`key` is then
    /// exactly what was sent). [`RecordHeader::key_bytes`] gives the bytes
    /// either way.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub raw_key: Option<Bytes>,
    /// The value, if any: a slice of the batch.
    pub value: Option<Bytes>,
}

impl RecordHeader {
    /// The key's bytes as sent, UTF-8 or not.
    pub fn key_bytes(&self) -> &[u8] {
        self.raw_key.as_deref().unwrap_or(self.key.as_bytes())
    }
}
