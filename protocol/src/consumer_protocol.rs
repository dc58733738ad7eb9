//! The consumer group protocol's embedded payloads: the subscription each
//! member puts in JoinGroup's metadata and the assignment the leader hands
//! out in SyncGroup. Each is an `int16` version followed by the data at that
//! version; a newer version than this crate knows is read as the newest it
//! knows, trailing fields ignored, as Kafka's `ConsumerProtocol` does.

use bytes::{BufMut, Bytes, BytesMut};

use crate::primitives::{
    read_array, read_i16, read_i32, read_nullable_bytes, read_nullable_string, read_string,
    write_array, write_nullable_bytes, write_nullable_string, write_string, DecodeError,
    DecodeResult, EncodeError, EncodeResult,
};

/// The newest subscription and assignment version this crate speaks.
pub const CONSUMER_PROTOCOL_VERSION: i16 = 3;

/// A member's subscription (JoinGroup protocol metadata).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ConsumerProtocolSubscription {
    /// The topics the member wants to consume.
    pub topics: Vec<String>,
    /// Assignor-specific data.
    pub user_data: Option<Bytes>,
    /// The partitions the member owns (v1+; cooperative rebalancing).
    pub owned_partitions: Vec<TopicPartition>,
    /// The member's generation (v2+), -1 if none.
    pub generation_id: i32,
    /// The member's rack (v3+).
    pub rack_id: Option<String>,
}

impl Default for ConsumerProtocolSubscription {
    fn default() -> Self {
        Self {
            topics: Vec::new(),
            user_data: None,
            owned_partitions: Vec::new(),
            generation_id: -1,
            rack_id: None,
        }
    }
}

/// The partitions of one topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TopicPartition {
    /// The topic.
    pub topic: String,
    /// The partition ids.
    pub partitions: Vec<i32>,
}

/// What the group leader assigned to one member (SyncGroup assignment).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ConsumerProtocolAssignment {
    /// The assigned partitions.
    pub assigned_partitions: Vec<TopicPartition>,
    /// Assignor-specific data.
    pub user_data: Option<Bytes>,
}

fn check_version(version: i16, what: &'static str) -> EncodeResult {
    if (0..=CONSUMER_PROTOCOL_VERSION).contains(&version) {
        Ok(())
    } else {
        Err(EncodeError::UnsupportedVersion { what, version })
    }
}

fn read_version(buf: &mut Bytes, what: &'static str) -> DecodeResult<i16> {
    let version = read_i16(buf, what)?;
    if version < 0 {
        return Err(DecodeError::UnsupportedVersion { what, version });
    }
    Ok(version.min(CONSUMER_PROTOCOL_VERSION))
}

fn write_topic_partitions(
    buf: &mut BytesMut,
    items: &[TopicPartition],
    what: &'static str,
) -> EncodeResult {
    write_array(buf, false, items, what, |b, tp| {
        write_string(b, false, &tp.topic, "TopicPartition.topic")?;
        write_array(
            b,
            false,
            &tp.partitions,
            "TopicPartition.partitions",
            |b, p| {
                b.put_i32(*p);
                Ok(())
            },
        )
    })
}

fn read_topic_partitions(buf: &mut Bytes, what: &'static str) -> DecodeResult<Vec<TopicPartition>> {
    read_array(buf, false, what, |b| {
        Ok(TopicPartition {
            topic: read_string(b, false, "TopicPartition.topic")?,
            partitions: read_array(b, false, "TopicPartition.partitions", |b| {
                read_i32(b, "TopicPartition.partitions")
            })?,
        })
    })
}

impl ConsumerProtocolSubscription {
    /// Writes the version, then the subscription at that version.
    pub fn encode(&self, version: i16) -> Result<Bytes, EncodeError> {
        check_version(version, "ConsumerProtocolSubscription")?;
        let mut buf = BytesMut::new();
        buf.put_i16(version);
        write_array(
            &mut buf,
            false,
            &self.topics,
            "ConsumerProtocolSubscription.topics",
            |b, t| write_string(b, false, t, "ConsumerProtocolSubscription.topics"),
        )?;
        write_nullable_bytes(
            &mut buf,
            false,
            self.user_data.as_deref(),
            "ConsumerProtocolSubscription.user_data",
        )?;
        if version >= 1 {
            write_topic_partitions(
                &mut buf,
                &self.owned_partitions,
                "ConsumerProtocolSubscription.owned_partitions",
            )?;
        }
        if version >= 2 {
            buf.put_i32(self.generation_id);
        }
        if version >= 3 {
            write_nullable_string(
                &mut buf,
                false,
                self.rack_id.as_deref(),
                "ConsumerProtocolSubscription.rack_id",
            )?;
        }
        Ok(buf.freeze())
    }

    /// Reads a versioned subscription.
    pub fn decode(mut buf: Bytes) -> DecodeResult<Self> {
        let buf = &mut buf;
        let version = read_version(buf, "ConsumerProtocolSubscription.version")?;
        let mut this = Self {
            topics: read_array(buf, false, "ConsumerProtocolSubscription.topics", |b| {
                read_string(b, false, "ConsumerProtocolSubscription.topics")
            })?,
            user_data: read_nullable_bytes(buf, false, "ConsumerProtocolSubscription.user_data")?,
            ..Self::default()
        };
        if version >= 1 {
            this.owned_partitions =
                read_topic_partitions(buf, "ConsumerProtocolSubscription.owned_partitions")?;
        }
        if version >= 2 {
            this.generation_id = read_i32(buf, "ConsumerProtocolSubscription.generation_id")?;
        }
        if version >= 3 {
            this.rack_id =
                read_nullable_string(buf, false, "ConsumerProtocolSubscription.rack_id")?;
        }
        Ok(this)
    }
}

impl ConsumerProtocolAssignment {
    /// Writes the version, then the assignment at that version (the fields
    /// are the same in every version).
    pub fn encode(&self, version: i16) -> Result<Bytes, EncodeError> {
        check_version(version, "ConsumerProtocolAssignment")?;
        let mut buf = BytesMut::new();
        buf.put_i16(version);
        write_topic_partitions(
            &mut buf,
            &self.assigned_partitions,
            "ConsumerProtocolAssignment.assigned_partitions",
        )?;
        write_nullable_bytes(
            &mut buf,
            false,
            self.user_data.as_deref(),
            "ConsumerProtocolAssignment.user_data",
        )?;
        Ok(buf.freeze())
    }

    /// Reads a versioned assignment. An empty payload is an empty
    /// assignment, as a broker sends to a member the leader gave nothing.
    pub fn decode(mut buf: Bytes) -> DecodeResult<Self> {
        if buf.is_empty() {
            return Ok(Self::default());
        }
        let buf = &mut buf;
        read_version(buf, "ConsumerProtocolAssignment.version")?;
        Ok(Self {
            assigned_partitions: read_topic_partitions(
                buf,
                "ConsumerProtocolAssignment.assigned_partitions",
            )?,
            user_data: read_nullable_bytes(buf, false, "ConsumerProtocolAssignment.user_data")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_v0_bytes() {
        let s = ConsumerProtocolSubscription {
            topics: vec!["t".into()],
            ..Default::default()
        };
        let bytes = s.encode(0).expect("encodes");
        assert_eq!(
            &bytes[..],
            &[0, 0, 0, 0, 0, 1, 0, 1, b't', 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(
            ConsumerProtocolSubscription::decode(bytes).expect("decodes"),
            s
        );
    }

    #[test]
    fn subscription_roundtrips_every_version() {
        for version in 0..=3 {
            let mut s = ConsumerProtocolSubscription {
                topics: vec!["a".into(), "b".into()],
                user_data: Some(Bytes::from_static(b"ud")),
                ..Default::default()
            };
            if version >= 1 {
                s.owned_partitions = vec![TopicPartition {
                    topic: "a".into(),
                    partitions: vec![0, 2],
                }];
            }
            if version >= 2 {
                s.generation_id = 7;
            }
            if version >= 3 {
                s.rack_id = Some("rack-1".into());
            }
            let bytes = s.encode(version).expect("encodes");
            assert_eq!(
                ConsumerProtocolSubscription::decode(bytes.clone()).expect("decodes"),
                s
            );
            for cut in 0..bytes.len() {
                assert!(ConsumerProtocolSubscription::decode(bytes.slice(..cut)).is_err());
            }
        }
    }

    #[test]
    fn newer_versions_read_as_the_newest_known() {
        let s = ConsumerProtocolSubscription {
            topics: vec!["a".into()],
            rack_id: Some("r".into()),
            generation_id: 3,
            ..Default::default()
        };
        let mut bytes = BytesMut::from(&s.encode(3).expect("encodes")[..]);
        bytes[1] = 9; // version 9
        bytes.extend_from_slice(b"future fields");
        assert_eq!(
            ConsumerProtocolSubscription::decode(bytes.freeze()).expect("decodes"),
            s
        );
    }

    #[test]
    fn assignment_roundtrips_and_empty_is_nothing() {
        let a = ConsumerProtocolAssignment {
            assigned_partitions: vec![
                TopicPartition {
                    topic: "x".into(),
                    partitions: vec![1, 3, 5],
                },
                TopicPartition {
                    topic: "y".into(),
                    partitions: vec![0],
                },
            ],
            user_data: None,
        };
        let bytes = a.encode(3).expect("encodes");
        assert_eq!(
            ConsumerProtocolAssignment::decode(bytes).expect("decodes"),
            a
        );
        assert_eq!(
            ConsumerProtocolAssignment::decode(Bytes::new()).expect("empty"),
            ConsumerProtocolAssignment::default()
        );
        assert!(ConsumerProtocolAssignment::decode(Bytes::from_static(&[0xff, 0xff])).is_err());
    }
}
