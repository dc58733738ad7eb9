//! What `poll` hands out: one record with its topic, partition and offset.
//! Keys, values and header values are `Bytes` slices of the fetch response
//! (or of their batch's one decompressed buffer): nothing is copied.

use std::sync::Arc;

use bytes::Bytes;
use serde::de::DeserializeOwned;

pub use ferrokafka_protocol::records::{RecordHeader as Header, TimestampType};

/// A consumed record.
///
/// ```
/// # fn show(m: &ferrokafka::consumer::Message) {
/// println!(
///     "{} [{}] @{}: {:?}",
///     m.topic(),
///     m.partition(),
///     m.offset(),
///     m.value().map(String::from_utf8_lossy)
/// );
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub(crate) topic: Arc<str>,
    pub(crate) partition: i32,
    pub(crate) offset: i64,
    pub(crate) timestamp: i64,
    pub(crate) timestamp_type: TimestampType,
    pub(crate) leader_epoch: i32,
    pub(crate) key: Option<Bytes>,
    pub(crate) value: Option<Bytes>,
    pub(crate) headers: Vec<Header>,
}

impl Message {
    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The partition.
    pub fn partition(&self) -> i32 {
        self.partition
    }

    /// The record's offset.
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// The timestamp in milliseconds since the epoch.
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// Whether the timestamp is the producer's or the broker's.
    pub fn timestamp_type(&self) -> TimestampType {
        self.timestamp_type
    }

    /// The leader epoch of the batch the record came in (-1 if unknown).
    pub fn leader_epoch(&self) -> i32 {
        self.leader_epoch
    }

    /// The key, if any.
    pub fn key(&self) -> Option<&[u8]> {
        self.key.as_deref()
    }

    /// The key as the shared buffer it is a slice of.
    pub fn key_bytes(&self) -> Option<&Bytes> {
        self.key.as_ref()
    }

    /// The value, if any (`None` is a tombstone).
    pub fn value(&self) -> Option<&[u8]> {
        self.value.as_deref()
    }

    /// The value as the shared buffer it is a slice of.
    pub fn value_bytes(&self) -> Option<&Bytes> {
        self.value.as_ref()
    }

    /// The headers, in the order the producer wrote them.
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// The value of the last header named `key` (Kafka allows repeats; the
    /// last one wins, as in the Java client's `lastHeader`).
    pub fn header(&self, key: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .rev()
            .find(|h| h.key == key)
            .and_then(|h| h.value.as_deref())
    }

    /// The value parsed as JSON (a tombstone parses as JSON `null`).
    ///
    /// ```
    /// # fn read(m: &ferrokafka::consumer::Message) -> Result<(), serde_json::Error> {
    /// #[derive(serde::Deserialize)]
    /// struct Event { id: u64 }
    /// let event: Event = m.json()?;
    /// # let _ = event.id; Ok(()) }
    /// ```
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(self.value().unwrap_or(b"null"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(value: Option<&'static [u8]>) -> Message {
        Message {
            topic: Arc::from("t"),
            partition: 1,
            offset: 2,
            timestamp: 3,
            timestamp_type: TimestampType::CreateTime,
            leader_epoch: 0,
            key: None,
            value: value.map(Bytes::from_static),
            headers: vec![
                Header {
                    key: "h".into(),
                    raw_key: None,
                    value: Some(Bytes::from_static(b"1")),
                },
                Header {
                    key: "h".into(),
                    raw_key: None,
                    value: Some(Bytes::from_static(b"2")),
                },
            ],
        }
    }

    #[test]
    fn json_parses_the_value_and_a_tombstone_as_null() {
        #[derive(serde::Deserialize, PartialEq, Debug)]
        struct E {
            id: u32,
        }
        let e: E = message(Some(b"{\"id\":7}")).json().expect("parses");
        assert_eq!(e, E { id: 7 });
        let none: Option<E> = message(None).json().expect("null");
        assert_eq!(none, None);
        assert!(message(Some(b"nope")).json::<E>().is_err());
    }

    #[test]
    fn the_last_header_of_a_name_wins() {
        assert_eq!(message(None).header("h"), Some(&b"2"[..]));
        assert_eq!(message(None).header("x"), None);
    }
}
