//! Fetch (key 1): record batches from partition leaders, with incremental
//! fetch sessions (KIP-227). Records travel as raw record-batch bytes,
//! sliced from the response without a copy; the `records` module decodes
//! them.

use bytes::Bytes;

use crate::primitives::Uuid;

kafka_message! {
    /// Asks for records from some partitions, from given offsets.
    pub struct FetchRequest: Fetch, versions 4 to 18, flexible 12, response FetchResponse {
        /// The cluster id, to check metadata (v12+, tag 0).
        cluster_id: Option<String> [12, nullable 12, tag 0],
        /// The follower's broker id, -1 for consumers (v0-14).
        replica_id: i32 [0 to 14] = -1,
        /// The follower's state (v15+, tag 1).
        replica_state: ReplicaState [15, tag 1],
        /// How long the broker may wait for `min_bytes`, in ms.
        max_wait_ms: i32 [0],
        /// The least data worth answering with.
        min_bytes: i32 [0],
        /// The most data in the response (v3+).
        max_bytes: i32 [3] = i32::MAX,
        /// 0 read_uncommitted, 1 read_committed (v4+).
        isolation_level: i8 [4],
        /// The fetch session id, 0 for none (v7+).
        session_id: i32 [7],
        /// The fetch session epoch, -1 for a full fetch without a session
        /// (v7+).
        session_epoch: i32 [7] = -1,
        /// The topics to fetch.
        topics: Vec<FetchTopic> [0],
        /// Partitions to drop from the session (v7+).
        forgotten_topics_data: Vec<ForgottenTopic> [7],
        /// The consumer's rack (v11+).
        rack_id: String [11],
    }
}

kafka_struct! {
    /// The follower's replica state (v15+).
    pub struct ReplicaState {
        /// The follower's id, -1 for consumers.
        replica_id: i32 [0] = -1,
        /// The follower's broker epoch, -1 if unknown.
        replica_epoch: i64 [0] = -1,
    }
}

kafka_struct! {
    /// One topic to fetch.
    pub struct FetchTopic {
        /// The topic name (v0-12).
        topic: String [0 to 12],
        /// The topic id (v13+).
        topic_id: Uuid [13],
        /// Its partitions.
        partitions: Vec<FetchPartition> [0],
    }
}

kafka_struct! {
    /// One partition to fetch.
    pub struct FetchPartition {
        /// The partition index.
        partition: i32 [0],
        /// The leader epoch the client knows, -1 if none (v9+).
        current_leader_epoch: i32 [9] = -1,
        /// The offset to fetch from.
        fetch_offset: i64 [0],
        /// The epoch of the last fetched record, -1 if none (v12+).
        last_fetched_epoch: i32 [12] = -1,
        /// The follower's log start offset, -1 for consumers (v5+).
        log_start_offset: i64 [5] = -1,
        /// The most data from this partition.
        partition_max_bytes: i32 [0],
        /// The follower's directory id (v17+, tag 0).
        replica_directory_id: Uuid [17, tag 0],
        /// The follower's high watermark (v18+, tag 1).
        high_watermark: i64 [18, tag 1] = i64::MAX,
    }
}

kafka_struct! {
    /// Partitions to drop from an incremental fetch session.
    pub struct ForgottenTopic {
        /// The topic name (v7-12).
        topic: String [7 to 12],
        /// The topic id (v13+).
        topic_id: Uuid [13],
        /// The partitions.
        partitions: Vec<i32> [7],
    }
}

kafka_message! {
    /// Records and positions for the partitions asked about.
    pub struct FetchResponse: Fetch, versions 4 to 18, flexible 12 {
        /// Quota throttle time in milliseconds (v1+).
        throttle_time_ms: i32 [1],
        /// The top-level error code (v7+).
        error_code: i16 [7],
        /// The fetch session id, 0 for none (v7+).
        session_id: i32 [7],
        /// Each topic.
        responses: Vec<FetchableTopicResponse> [0],
        /// Endpoints of leaders named in `current_leader` (v16+, tag 0).
        node_endpoints: Vec<NodeEndpoint> [16, tag 0],
    }
}

kafka_struct! {
    /// One topic's data.
    pub struct FetchableTopicResponse {
        /// The topic name (v0-12).
        topic: String [0 to 12],
        /// The topic id (v13+).
        topic_id: Uuid [13],
        /// Each partition.
        partitions: Vec<PartitionData> [0],
    }
}

kafka_struct! {
    /// One partition's data.
    pub struct PartitionData {
        /// The partition index.
        partition_index: i32 [0],
        /// The error code, or 0.
        error_code: i16 [0],
        /// The high watermark.
        high_watermark: i64 [0],
        /// The last stable offset (v4+).
        last_stable_offset: i64 [4] = -1,
        /// The log start offset (v5+).
        log_start_offset: i64 [5] = -1,
        /// Where the follower's log diverged (v12+, tag 0).
        diverging_epoch: EpochEndOffset [12, tag 0],
        /// The partition's current leader (v12+, tag 1).
        current_leader: LeaderIdAndEpoch [12, tag 1],
        /// The snapshot to fetch instead (v12+, tag 2).
        snapshot_id: SnapshotId [12, tag 2],
        /// Aborted transactions in the data, for read_committed (v4+).
        aborted_transactions: Option<Vec<AbortedTransaction>> [4, nullable 4],
        /// The replica to read from next, -1 for the leader (v11+).
        preferred_read_replica: i32 [11] = -1,
        /// The record batches, as bytes (a partial last batch is normal).
        records: Option<Bytes> [0, nullable 0],
    }
}

kafka_struct! {
    /// An epoch and where it ends.
    pub struct EpochEndOffset {
        /// The epoch.
        epoch: i32 [0] = -1,
        /// Its end offset.
        end_offset: i64 [0] = -1,
    }
}

kafka_struct! {
    /// A partition's leader and its epoch.
    pub struct LeaderIdAndEpoch {
        /// The leader's broker id, -1 if unknown.
        leader_id: i32 [0] = -1,
        /// The leader epoch, -1 if unknown.
        leader_epoch: i32 [0] = -1,
    }
}

kafka_struct! {
    /// A snapshot's id.
    pub struct SnapshotId {
        /// Its end offset.
        end_offset: i64 [0] = -1,
        /// Its epoch.
        epoch: i32 [0] = -1,
    }
}

kafka_struct! {
    /// An aborted transaction within the fetched data.
    pub struct AbortedTransaction {
        /// The producer id.
        producer_id: i64 [4],
        /// Its first offset.
        first_offset: i64 [4],
    }
}

kafka_struct! {
    /// A broker's endpoint.
    pub struct NodeEndpoint {
        /// The broker id.
        node_id: i32 [0],
        /// The host name.
        host: String [0],
        /// The port.
        port: i32 [0],
        /// The rack, if any.
        rack: Option<String> [0, nullable 0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;
    use crate::{Encode, RawTaggedField};
    use bytes::BytesMut;

    fn tags(v: i16) -> Vec<RawTaggedField> {
        if v >= 12 {
            vec![RawTaggedField {
                tag: 77,
                data: Bytes::from_static(b"q"),
            }]
        } else {
            vec![]
        }
    }

    #[test]
    fn request_v4_bytes_by_hand() {
        let m = FetchRequest {
            max_wait_ms: 500,
            min_bytes: 1,
            max_bytes: 1024,
            isolation_level: 1,
            topics: vec![FetchTopic {
                topic: "t".into(),
                partitions: vec![FetchPartition {
                    partition: 0,
                    fetch_offset: 5,
                    partition_max_bytes: 256,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 4).expect("encodes");
        assert_eq!(
            &buf[..],
            &[
                0xff, 0xff, 0xff, 0xff, // replica id -1
                0, 0, 1, 0xf4, // max wait 500
                0, 0, 0, 1, // min bytes
                0, 0, 4, 0, // max bytes 1024
                1, // read_committed
                0, 0, 0, 1, 0, 1, b't', // one topic "t"
                0, 0, 0, 1, // one partition
                0, 0, 0, 0, // partition 0
                0, 0, 0, 0, 0, 0, 0, 5, // fetch offset 5
                0, 0, 1, 0, // partition max bytes 256
            ]
        );
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|v| FetchRequest {
            cluster_id: Some("c".into()),
            replica_id: -1,
            replica_state: ReplicaState {
                replica_id: 3,
                replica_epoch: 4,
                ..Default::default()
            },
            max_wait_ms: 100,
            min_bytes: 2,
            max_bytes: 3,
            isolation_level: 1,
            session_id: 5,
            session_epoch: 6,
            topics: vec![FetchTopic {
                topic: "a".into(),
                topic_id: Uuid([5; 16]),
                partitions: vec![
                    FetchPartition {
                        partition: 1,
                        current_leader_epoch: 2,
                        fetch_offset: 3,
                        last_fetched_epoch: 4,
                        log_start_offset: 5,
                        partition_max_bytes: 6,
                        replica_directory_id: Uuid([6; 16]),
                        high_watermark: 7,
                        unknown_tagged_fields: tags(v),
                    },
                    FetchPartition::default(),
                ],
                ..Default::default()
            }],
            forgotten_topics_data: vec![ForgottenTopic {
                topic: "b".into(),
                topic_id: Uuid([9; 16]),
                partitions: vec![1, 2],
                ..Default::default()
            }],
            rack_id: "rack".into(),
            unknown_tagged_fields: tags(v),
        });
        check_every_version(|v| FetchResponse {
            throttle_time_ms: 1,
            error_code: 2,
            session_id: 3,
            responses: vec![FetchableTopicResponse {
                topic: "a".into(),
                topic_id: Uuid([5; 16]),
                partitions: vec![
                    PartitionData {
                        partition_index: 0,
                        error_code: 0,
                        high_watermark: 10,
                        last_stable_offset: 9,
                        log_start_offset: 1,
                        diverging_epoch: EpochEndOffset {
                            epoch: 2,
                            end_offset: 3,
                            ..Default::default()
                        },
                        current_leader: LeaderIdAndEpoch {
                            leader_id: 1,
                            leader_epoch: 2,
                            ..Default::default()
                        },
                        snapshot_id: SnapshotId {
                            end_offset: 4,
                            epoch: 5,
                            ..Default::default()
                        },
                        aborted_transactions: Some(vec![AbortedTransaction {
                            producer_id: 7,
                            first_offset: 8,
                            ..Default::default()
                        }]),
                        preferred_read_replica: 2,
                        records: Some(Bytes::from_static(b"batches")),
                        unknown_tagged_fields: tags(v),
                    },
                    PartitionData {
                        aborted_transactions: None,
                        records: None,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            node_endpoints: vec![NodeEndpoint {
                node_id: 1,
                host: "h".into(),
                port: 2,
                rack: Some("r".into()),
                ..Default::default()
            }],
            unknown_tagged_fields: tags(v),
        });
    }

    #[test]
    fn a_truncated_response_says_which_field_of_which_element() {
        let topic = |name: &str, records: usize| FetchableTopicResponse {
            topic: name.into(),
            partitions: vec![PartitionData {
                records: Some(Bytes::from(vec![7u8; records])),
                ..Default::default()
            }],
            ..Default::default()
        };
        let response = FetchResponse {
            responses: vec![topic("a", 5), topic("b", 5), topic("c", 100)],
            ..Default::default()
        };
        for version in [4, 12, 16] {
            let mut buf = BytesMut::new();
            response.encode(&mut buf, version).expect("encodes");
            // The message ends with the third topic's records (then, when
            // flexible, three empty tagged sections).
            let cut = buf.len() - 10;
            let err = crate::decode_body::<FetchResponse>(buf.freeze().slice(..cut), version)
                .expect_err("truncated");
            assert_eq!(
                err.path(),
                Some("FetchResponse.responses[2].partitions[0].records"),
                "v{version}: {err}"
            );
            // The length prefix promises more than is left.
            assert!(
                matches!(
                    err.root(),
                    crate::DecodeError::InvalidLength { length: 100, .. }
                ),
                "v{version}: {err}"
            );
        }
        // A whole response decodes with no trace of any of this.
        let mut buf = BytesMut::new();
        response.encode(&mut buf, 12).expect("encodes");
        let back: FetchResponse = crate::decode_body(buf.freeze(), 12).expect("decodes");
        assert_eq!(back, response);
    }
}
