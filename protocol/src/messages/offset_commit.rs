//! OffsetCommit (key 8): a group member storing its positions.

use crate::primitives::Uuid;

kafka_message! {
    /// Commits offsets for a group.
    pub struct OffsetCommitRequest: OffsetCommit, versions 2 to 10, flexible 8, response OffsetCommitResponse {
        /// The group id.
        group_id: String [0],
        /// The generation (classic) or member epoch, -1 outside a group (v1+).
        generation_id_or_member_epoch: i32 [1] = -1,
        /// The member id (v1+).
        member_id: String [1],
        /// The static member's instance id (v7+).
        group_instance_id: Option<String> [7, nullable 7],
        /// How long to retain the offsets, -1 for the broker's default
        /// (v2-4).
        retention_time_ms: i64 [2 to 4] = -1,
        /// Each topic.
        topics: Vec<OffsetCommitRequestTopic> [0],
    }
}

kafka_struct! {
    /// One topic's offsets.
    pub struct OffsetCommitRequestTopic {
        /// The topic name (v0-9).
        name: String [0 to 9],
        /// The topic id (v10+).
        topic_id: Uuid [10],
        /// Each partition.
        partitions: Vec<OffsetCommitRequestPartition> [0],
    }
}

kafka_struct! {
    /// One partition's offset.
    pub struct OffsetCommitRequestPartition {
        /// The partition index.
        partition_index: i32 [0],
        /// The offset: the next record to read.
        committed_offset: i64 [0],
        /// The leader epoch of the last record read (v6+).
        committed_leader_epoch: i32 [6] = -1,
        /// Client metadata kept with the offset.
        committed_metadata: Option<String> [0, nullable 0] = Some(String::new()),
    }
}

kafka_message! {
    /// The outcome for each partition.
    pub struct OffsetCommitResponse: OffsetCommit, versions 2 to 10, flexible 8 {
        /// Quota throttle time in milliseconds (v3+).
        throttle_time_ms: i32 [3],
        /// Each topic.
        topics: Vec<OffsetCommitResponseTopic> [0],
    }
}

kafka_struct! {
    /// One topic's outcome.
    pub struct OffsetCommitResponseTopic {
        /// The topic name (v0-9).
        name: String [0 to 9],
        /// The topic id (v10+).
        topic_id: Uuid [10],
        /// Each partition.
        partitions: Vec<OffsetCommitResponsePartition> [0],
    }
}

kafka_struct! {
    /// One partition's outcome.
    pub struct OffsetCommitResponsePartition {
        /// The partition index.
        partition_index: i32 [0],
        /// The error code, or 0.
        error_code: i16 [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;
    use crate::{Encode, RawTaggedField};
    use bytes::{Bytes, BytesMut};

    fn tags(v: i16) -> Vec<RawTaggedField> {
        if v >= 8 {
            vec![RawTaggedField {
                tag: 6,
                data: Bytes::from_static(b"o"),
            }]
        } else {
            vec![]
        }
    }

    #[test]
    fn request_v2_bytes_by_hand() {
        let m = OffsetCommitRequest {
            group_id: "g".into(),
            generation_id_or_member_epoch: 1,
            member_id: "m".into(),
            topics: vec![OffsetCommitRequestTopic {
                name: "t".into(),
                partitions: vec![OffsetCommitRequestPartition {
                    partition_index: 0,
                    committed_offset: 5,
                    committed_metadata: None,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 2).expect("encodes");
        assert_eq!(
            &buf[..],
            &[
                0, 1, b'g', 0, 0, 0, 1, 0, 1, b'm', // group, generation, member
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // retention -1
                0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1, // one topic, one partition
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0xff, 0xff, // p0 @5, null metadata
            ]
        );
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|v| OffsetCommitRequest {
            group_id: "g".into(),
            generation_id_or_member_epoch: 3,
            member_id: "m".into(),
            group_instance_id: Some("i".into()),
            retention_time_ms: 1000,
            topics: vec![OffsetCommitRequestTopic {
                name: "t".into(),
                topic_id: Uuid([6; 16]),
                partitions: vec![
                    OffsetCommitRequestPartition {
                        partition_index: 1,
                        committed_offset: 100,
                        committed_leader_epoch: 2,
                        committed_metadata: Some("meta".into()),
                        unknown_tagged_fields: tags(v),
                    },
                    OffsetCommitRequestPartition::default(),
                ],
                unknown_tagged_fields: tags(v),
            }],
            unknown_tagged_fields: tags(v),
        });
        check_every_version(|v| OffsetCommitResponse {
            throttle_time_ms: 1,
            topics: vec![OffsetCommitResponseTopic {
                name: "t".into(),
                topic_id: Uuid([6; 16]),
                partitions: vec![OffsetCommitResponsePartition {
                    partition_index: 1,
                    error_code: 22,
                    unknown_tagged_fields: tags(v),
                }],
                unknown_tagged_fields: tags(v),
            }],
            unknown_tagged_fields: tags(v),
        });
    }
}
