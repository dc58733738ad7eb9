//! OffsetFetch (key 9): a group's committed positions; one group (v1-7) or
//! several (v8+).

use crate::primitives::Uuid;

kafka_message! {
    /// Asks for committed offsets.
    pub struct OffsetFetchRequest: OffsetFetch, versions 1 to 10, flexible 6, response OffsetFetchResponse {
        /// The group id (v0-7).
        group_id: String [0 to 7],
        /// The topics, or null for all (v2-7).
        topics: Option<Vec<OffsetFetchRequestTopic>> [0 to 7, nullable 2] = Some(Vec::new()),
        /// The groups (v8+).
        groups: Vec<OffsetFetchRequestGroup> [8],
        /// Whether to wait for pending transactional offsets (v7+).
        require_stable: bool [7],
    }
}

kafka_struct! {
    /// One topic (v0-7).
    pub struct OffsetFetchRequestTopic {
        /// The topic name.
        name: String [0 to 7],
        /// The partitions.
        partition_indexes: Vec<i32> [0 to 7],
    }
}

kafka_struct! {
    /// One group (v8+).
    pub struct OffsetFetchRequestGroup {
        /// The group id.
        group_id: String [8],
        /// The member id (v9+).
        member_id: Option<String> [9, nullable 9],
        /// The member epoch, for the consumer protocol (v9+).
        member_epoch: i32 [9] = -1,
        /// The topics, or null for all.
        topics: Option<Vec<OffsetFetchRequestTopics>> [8, nullable 8] = Some(Vec::new()),
    }
}

kafka_struct! {
    /// One topic of a group (v8+).
    pub struct OffsetFetchRequestTopics {
        /// The topic name (v8-9).
        name: String [8 to 9],
        /// The topic id (v10+).
        topic_id: Uuid [10],
        /// The partitions.
        partition_indexes: Vec<i32> [8],
    }
}

kafka_message! {
    /// The committed offsets.
    pub struct OffsetFetchResponse: OffsetFetch, versions 1 to 10, flexible 6 {
        /// Quota throttle time in milliseconds (v3+).
        throttle_time_ms: i32 [3],
        /// Each topic (v0-7).
        topics: Vec<OffsetFetchResponseTopic> [0 to 7],
        /// The top-level error code (v2-7).
        error_code: i16 [2 to 7],
        /// Each group (v8+).
        groups: Vec<OffsetFetchResponseGroup> [8],
    }
}

kafka_struct! {
    /// One topic (v0-7).
    pub struct OffsetFetchResponseTopic {
        /// The topic name.
        name: String [0 to 7],
        /// Each partition.
        partitions: Vec<OffsetFetchResponsePartition> [0 to 7],
    }
}

kafka_struct! {
    /// One partition (v0-7).
    pub struct OffsetFetchResponsePartition {
        /// The partition index.
        partition_index: i32 [0 to 7],
        /// The committed offset, -1 if none.
        committed_offset: i64 [0 to 7],
        /// Its leader epoch (v5-7).
        committed_leader_epoch: i32 [5 to 7] = -1,
        /// Its metadata.
        metadata: Option<String> [0 to 7, nullable 0] = Some(String::new()),
        /// The error code, or 0.
        error_code: i16 [0 to 7],
    }
}

kafka_struct! {
    /// One group's offsets (v8+).
    pub struct OffsetFetchResponseGroup {
        /// The group id.
        group_id: String [8],
        /// Each topic.
        topics: Vec<OffsetFetchResponseTopics> [8],
        /// The group's error code, or 0.
        error_code: i16 [8],
    }
}

kafka_struct! {
    /// One topic of a group (v8+).
    pub struct OffsetFetchResponseTopics {
        /// The topic name (v8-9).
        name: String [8 to 9],
        /// The topic id (v10+).
        topic_id: Uuid [10],
        /// Each partition.
        partitions: Vec<OffsetFetchResponsePartitions> [8],
    }
}

kafka_struct! {
    /// One partition of a group (v8+).
    pub struct OffsetFetchResponsePartitions {
        /// The partition index.
        partition_index: i32 [8],
        /// The committed offset, -1 if none.
        committed_offset: i64 [8],
        /// Its leader epoch.
        committed_leader_epoch: i32 [8] = -1,
        /// Its metadata.
        metadata: Option<String> [8, nullable 8] = Some(String::new()),
        /// The error code, or 0.
        error_code: i16 [8],
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
                tag: 11,
                data: Bytes::from_static(b"f"),
            }]
        } else {
            vec![]
        }
    }

    #[test]
    fn request_v1_bytes_by_hand_and_null_topics_from_v2() {
        let m = OffsetFetchRequest {
            group_id: "g".into(),
            topics: Some(vec![OffsetFetchRequestTopic {
                name: "t".into(),
                partition_indexes: vec![0],
                ..Default::default()
            }]),
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 1).expect("encodes");
        assert_eq!(
            &buf[..],
            &[0, 1, b'g', 0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1, 0, 0, 0, 0]
        );
        let all = OffsetFetchRequest {
            group_id: "g".into(),
            topics: None,
            ..Default::default()
        };
        assert!(
            all.encode(&mut BytesMut::new(), 1).is_err(),
            "v1 cannot ask for all"
        );
        let mut buf = BytesMut::new();
        all.encode(&mut buf, 2).expect("v2 can");
        assert_eq!(&buf[..], &[0, 1, b'g', 0xff, 0xff, 0xff, 0xff]);
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|v| OffsetFetchRequest {
            group_id: "g".into(),
            topics: Some(vec![OffsetFetchRequestTopic {
                name: "t".into(),
                partition_indexes: vec![0, 1],
                unknown_tagged_fields: tags(v),
            }]),
            groups: vec![
                OffsetFetchRequestGroup {
                    group_id: "g".into(),
                    member_id: Some("m".into()),
                    member_epoch: 3,
                    topics: Some(vec![OffsetFetchRequestTopics {
                        name: "t".into(),
                        topic_id: Uuid([1; 16]),
                        partition_indexes: vec![2],
                        unknown_tagged_fields: tags(v),
                    }]),
                    unknown_tagged_fields: tags(v),
                },
                OffsetFetchRequestGroup {
                    group_id: "h".into(),
                    topics: None,
                    ..Default::default()
                },
            ],
            require_stable: true,
            unknown_tagged_fields: tags(v),
        });
        check_every_version(|v| OffsetFetchResponse {
            throttle_time_ms: 1,
            topics: vec![OffsetFetchResponseTopic {
                name: "t".into(),
                partitions: vec![OffsetFetchResponsePartition {
                    partition_index: 0,
                    committed_offset: 10,
                    committed_leader_epoch: 1,
                    metadata: None,
                    error_code: 0,
                    unknown_tagged_fields: tags(v),
                }],
                unknown_tagged_fields: tags(v),
            }],
            error_code: 16,
            groups: vec![OffsetFetchResponseGroup {
                group_id: "g".into(),
                topics: vec![OffsetFetchResponseTopics {
                    name: "t".into(),
                    topic_id: Uuid([2; 16]),
                    partitions: vec![OffsetFetchResponsePartitions {
                        partition_index: 0,
                        committed_offset: -1,
                        committed_leader_epoch: 4,
                        metadata: Some("x".into()),
                        error_code: 0,
                        unknown_tagged_fields: tags(v),
                    }],
                    unknown_tagged_fields: tags(v),
                }],
                error_code: 0,
                unknown_tagged_fields: tags(v),
            }],
            unknown_tagged_fields: tags(v),
        });
    }
}
