//! TxnOffsetCommit (key 28): a transactional producer committing a group's
//! offsets inside its transaction, to the group coordinator; they become
//! visible when the transaction commits.

kafka_message! {
    /// Commits offsets in the transaction.
    pub struct TxnOffsetCommitRequest: TxnOffsetCommit, versions 0 to 5, flexible 3, response TxnOffsetCommitResponse {
        /// The transactional id.
        transactional_id: String [0],
        /// The consumer group.
        group_id: String [0],
        /// The producer id in use by the transactional id.
        producer_id: i64 [0],
        /// The producer epoch.
        producer_epoch: i16 [0],
        /// The consumer's generation, for fencing (v3+, KIP-447).
        generation_id: i32 [3] = -1,
        /// The consumer's member id (v3+).
        member_id: String [3],
        /// The consumer's static instance id (v3+).
        group_instance_id: Option<String> [3, nullable 3],
        /// Each topic.
        topics: Vec<TxnOffsetCommitRequestTopic> [0],
    }
}

kafka_struct! {
    /// One topic's offsets.
    pub struct TxnOffsetCommitRequestTopic {
        /// The topic name.
        name: String [0],
        /// Each partition.
        partitions: Vec<TxnOffsetCommitRequestPartition> [0],
    }
}

kafka_struct! {
    /// One partition's offset.
    pub struct TxnOffsetCommitRequestPartition {
        /// The partition index.
        partition_index: i32 [0],
        /// The offset: the next record to read.
        committed_offset: i64 [0],
        /// The leader epoch of the last record read (v2+).
        committed_leader_epoch: i32 [2] = -1,
        /// Client metadata kept with the offset.
        committed_metadata: Option<String> [0, nullable 0] = Some(String::new()),
    }
}

kafka_message! {
    /// The outcome for each partition.
    pub struct TxnOffsetCommitResponse: TxnOffsetCommit, versions 0 to 5, flexible 3 {
        /// Quota throttle time in milliseconds.
        throttle_time_ms: i32 [0],
        /// Each topic.
        topics: Vec<TxnOffsetCommitResponseTopic> [0],
    }
}

kafka_struct! {
    /// One topic's outcome.
    pub struct TxnOffsetCommitResponseTopic {
        /// The topic name.
        name: String [0],
        /// Each partition.
        partitions: Vec<TxnOffsetCommitResponsePartition> [0],
    }
}

kafka_struct! {
    /// One partition's outcome.
    pub struct TxnOffsetCommitResponsePartition {
        /// The partition index.
        partition_index: i32 [0],
        /// The error code, or 0.
        error_code: i16 [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::{check_every_version, check_version_bounds};
    use crate::{Encode, RawTaggedField};
    use bytes::{Bytes, BytesMut};

    fn tags(v: i16) -> Vec<RawTaggedField> {
        if v >= 3 {
            vec![RawTaggedField {
                tag: 4,
                data: Bytes::from_static(b"c"),
            }]
        } else {
            vec![]
        }
    }

    #[test]
    fn request_v0_bytes_by_hand() {
        let m = TxnOffsetCommitRequest {
            transactional_id: "x".into(),
            group_id: "g".into(),
            producer_id: 1,
            producer_epoch: 2,
            topics: vec![TxnOffsetCommitRequestTopic {
                name: "t".into(),
                partitions: vec![TxnOffsetCommitRequestPartition {
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
        m.encode(&mut buf, 0).expect("encodes");
        assert_eq!(
            &buf[..],
            &[
                0, 1, b'x', 0, 1, b'g', 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, // id, group, pid, epoch
                0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1, // one topic, one partition
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0xff, 0xff, // p0 @5, null metadata
            ]
        );
    }

    #[test]
    fn every_version_roundtrips() {
        check_version_bounds::<TxnOffsetCommitRequest>();
        check_every_version(|v| TxnOffsetCommitRequest {
            transactional_id: "x".into(),
            group_id: "g".into(),
            producer_id: 1,
            producer_epoch: 2,
            generation_id: 3,
            member_id: "m".into(),
            group_instance_id: Some("i".into()),
            topics: vec![TxnOffsetCommitRequestTopic {
                name: "t".into(),
                partitions: vec![
                    TxnOffsetCommitRequestPartition {
                        partition_index: 1,
                        committed_offset: 100,
                        committed_leader_epoch: 2,
                        committed_metadata: Some("meta".into()),
                        unknown_tagged_fields: tags(v),
                    },
                    TxnOffsetCommitRequestPartition::default(),
                ],
                unknown_tagged_fields: tags(v),
            }],
            unknown_tagged_fields: tags(v),
        });
        check_every_version(|v| TxnOffsetCommitResponse {
            throttle_time_ms: 1,
            topics: vec![TxnOffsetCommitResponseTopic {
                name: "t".into(),
                partitions: vec![TxnOffsetCommitResponsePartition {
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
