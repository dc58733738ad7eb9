//! ListOffsets (key 2): the offset for a timestamp, or the earliest (-2),
//! latest (-1) or other special positions of partitions.

kafka_message! {
    /// Asks for offsets by timestamp.
    pub struct ListOffsetsRequest: ListOffsets, versions 1 to 11, flexible 6, response ListOffsetsResponse {
        /// The requesting broker's id, -1 for clients.
        replica_id: i32 [0],
        /// 0 read_uncommitted, 1 read_committed (v2+).
        isolation_level: i8 [2],
        /// Each topic.
        topics: Vec<ListOffsetsTopic> [0],
        /// How long to wait for remote-storage lookups, in ms (v10+).
        timeout_ms: i32 [10],
    }
}

kafka_struct! {
    /// One topic.
    pub struct ListOffsetsTopic {
        /// The topic name.
        name: String [0],
        /// Each partition.
        partitions: Vec<ListOffsetsPartition> [0],
    }
}

kafka_struct! {
    /// One partition.
    pub struct ListOffsetsPartition {
        /// The partition index.
        partition_index: i32 [0],
        /// The leader epoch the client knows (v4+).
        current_leader_epoch: i32 [4] = -1,
        /// The timestamp, or -1 latest, -2 earliest, -3 max timestamp...
        timestamp: i64 [0],
    }
}

kafka_message! {
    /// The offsets found.
    pub struct ListOffsetsResponse: ListOffsets, versions 1 to 11, flexible 6 {
        /// Quota throttle time in milliseconds (v2+).
        throttle_time_ms: i32 [2],
        /// Each topic.
        topics: Vec<ListOffsetsTopicResponse> [0],
    }
}

kafka_struct! {
    /// One topic's offsets.
    pub struct ListOffsetsTopicResponse {
        /// The topic name.
        name: String [0],
        /// Each partition.
        partitions: Vec<ListOffsetsPartitionResponse> [0],
    }
}

kafka_struct! {
    /// One partition's offset.
    pub struct ListOffsetsPartitionResponse {
        /// The partition index.
        partition_index: i32 [0],
        /// The error code, or 0.
        error_code: i16 [0],
        /// The timestamp of the offset found (v1+).
        timestamp: i64 [1] = -1,
        /// The offset found (v1+).
        offset: i64 [1] = -1,
        /// The leader epoch of that offset (v4+).
        leader_epoch: i32 [4] = -1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;
    use crate::{Encode, RawTaggedField};
    use bytes::{Bytes, BytesMut};

    fn tags(v: i16) -> Vec<RawTaggedField> {
        if v >= 6 {
            vec![RawTaggedField {
                tag: 5,
                data: Bytes::from_static(b"l"),
            }]
        } else {
            vec![]
        }
    }

    #[test]
    fn request_v1_bytes_by_hand() {
        let m = ListOffsetsRequest {
            replica_id: -1,
            topics: vec![ListOffsetsTopic {
                name: "t".into(),
                partitions: vec![ListOffsetsPartition {
                    partition_index: 1,
                    timestamp: -2,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 1).expect("encodes");
        assert_eq!(
            &buf[..],
            &[
                0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff,
                0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
            ]
        );
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|v| ListOffsetsRequest {
            replica_id: -1,
            isolation_level: 1,
            topics: vec![ListOffsetsTopic {
                name: "a".into(),
                partitions: vec![
                    ListOffsetsPartition {
                        partition_index: 0,
                        current_leader_epoch: 3,
                        timestamp: -1,
                        unknown_tagged_fields: tags(v),
                    },
                    ListOffsetsPartition::default(),
                ],
                unknown_tagged_fields: tags(v),
            }],
            timeout_ms: 100,
            unknown_tagged_fields: tags(v),
        });
        check_every_version(|v| ListOffsetsResponse {
            throttle_time_ms: 1,
            topics: vec![ListOffsetsTopicResponse {
                name: "a".into(),
                partitions: vec![ListOffsetsPartitionResponse {
                    partition_index: 0,
                    error_code: 1,
                    timestamp: 1_700_000_000_000,
                    offset: 42,
                    leader_epoch: 2,
                    unknown_tagged_fields: tags(v),
                }],
                unknown_tagged_fields: tags(v),
            }],
            unknown_tagged_fields: tags(v),
        });
    }
}
