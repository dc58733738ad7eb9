//! What the application hands the producer: one record.

use bytes::Bytes;

/// A record to produce.
///
/// ```
/// use ferrokafka::producer::ProducerRecord;
///
/// let record = ProducerRecord::new("my_events_topic")
///     .key("0")
///     .value(r#"{"id":0}"#)
///     .header("source", "example");
/// assert_eq!(record.key.as_deref(), Some(&b"0"[..]));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProducerRecord {
    /// The topic.
    pub topic: String,
    /// The partition; `None` lets the partitioner choose.
    pub partition: Option<i32>,
    /// The key, if any.
    pub key: Option<Bytes>,
    /// The value; `None` is a tombstone.
    pub value: Option<Bytes>,
    /// Headers, in order; a header's value may be null.
    pub headers: Vec<(String, Option<Bytes>)>,
    /// Milliseconds since the Unix epoch; `None` stamps the time of
    /// `send`.
    pub timestamp: Option<i64>,
}

impl ProducerRecord {
    /// A record for `topic` with no key, value or headers yet.
    pub fn new(topic: impl Into<String>) -> Self {
        Self {
            topic: topic.into(),
            ..Default::default()
        }
    }

    /// A record for `topic` whose value is `value` serialised as JSON
    /// (the counterpart of the consumer's
    /// [`Message::json`](crate::consumer::Message::json)). Fails only
    /// where `serde_json` does: a map with non-string keys, or a
    /// `Serialize` implementation that fails.
    ///
    /// ```
    /// use ferrokafka::producer::ProducerRecord;
    ///
    /// #[derive(serde::Serialize)]
    /// struct Event { id: u32 }
    ///
    /// let record = ProducerRecord::json("events", &Event { id: 7 })?.key("7");
    /// assert_eq!(record.value.as_deref(), Some(&br#"{"id":7}"#[..]));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn json<T: serde::Serialize + ?Sized>(
        topic: impl Into<String>,
        value: &T,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self::new(topic).value(serde_json::to_vec(value)?))
    }

    /// Sets the key.
    pub fn key(mut self, key: impl Into<Bytes>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sets the value.
    pub fn value(mut self, value: impl Into<Bytes>) -> Self {
        self.value = Some(value.into());
        self
    }

    /// Sends to this partition rather than the partitioner's choice.
    pub fn partition(mut self, partition: i32) -> Self {
        self.partition = Some(partition);
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Bytes>) -> Self {
        self.headers.push((name.into(), Some(value.into())));
        self
    }

    /// Sets the timestamp (milliseconds since the Unix epoch).
    pub fn timestamp(mut self, millis: i64) -> Self {
        self.timestamp = Some(millis);
        self
    }

    /// The bytes this record adds to a batch at most: its parts and the
    /// largest framing a record can have. Used for `message.max.bytes`
    /// and the buffer bound before the record is encoded.
    pub(crate) fn size_estimate(&self) -> usize {
        let parts = self.key.as_ref().map_or(0, Bytes::len)
            + self.value.as_ref().map_or(0, Bytes::len)
            + self
                .headers
                .iter()
                .map(|(k, v)| k.len() + v.as_ref().map_or(0, Bytes::len) + 10)
                .sum::<usize>();
        // Length, attributes, timestamp and offset deltas, key and value
        // lengths, header count: at most 5+1+10+5+5+5+5 bytes of varints.
        parts + 36
    }
}

#[cfg(test)]
mod tests {
    use super::ProducerRecord;
    use std::collections::BTreeMap;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Event {
        id: u32,
        name: String,
    }

    #[test]
    fn json_serialises_the_value_and_round_trips() {
        let e = Event {
            id: 7,
            name: "seven".into(),
        };
        let r = ProducerRecord::json("t", &e).expect("serialises");
        assert_eq!(r.topic, "t");
        assert_eq!(r.key, None);
        let value = r.value.expect("a value");
        assert_eq!(&value[..], br#"{"id":7,"name":"seven"}"#);
        let back: Event = serde_json::from_slice(&value).expect("parses");
        assert_eq!(back, e);
    }

    #[test]
    fn json_reports_what_serde_json_refuses() {
        // JSON object keys must be strings.
        let mut m = BTreeMap::new();
        m.insert((1, 2), "x");
        assert!(ProducerRecord::json("t", &m).is_err());
    }
}
