//! CreateTopics (key 19): new topics, with partition counts, replication
//! and configs.

use crate::primitives::Uuid;

kafka_message! {
    /// Creates topics.
    pub struct CreateTopicsRequest: CreateTopics, versions 2 to 7, flexible 5, response CreateTopicsResponse {
        /// The topics to create.
        topics: Vec<CreatableTopic> [0],
        /// How long to wait for the creation, in ms.
        timeout_ms: i32 [0] = 60_000,
        /// Only validate, create nothing (v1+).
        validate_only: bool [1],
    }
}

kafka_struct! {
    /// One topic to create.
    pub struct CreatableTopic {
        /// The topic name.
        name: String [0],
        /// Its partition count, -1 for the broker's default.
        num_partitions: i32 [0],
        /// Its replication factor, -1 for the broker's default.
        replication_factor: i16 [0],
        /// A manual assignment, or empty.
        assignments: Vec<CreatableReplicaAssignment> [0],
        /// Topic configs.
        configs: Vec<CreatableTopicConfig> [0],
    }
}

kafka_struct! {
    /// One partition's manual placement.
    pub struct CreatableReplicaAssignment {
        /// The partition index.
        partition_index: i32 [0],
        /// The brokers to place it on.
        broker_ids: Vec<i32> [0],
    }
}

kafka_struct! {
    /// One topic config.
    pub struct CreatableTopicConfig {
        /// The config name.
        name: String [0],
        /// Its value.
        value: Option<String> [0, nullable 0] = Some(String::new()),
    }
}

kafka_message! {
    /// The outcome for each topic.
    pub struct CreateTopicsResponse: CreateTopics, versions 2 to 7, flexible 5 {
        /// Quota throttle time in milliseconds (v2+).
        throttle_time_ms: i32 [2],
        /// Each topic's result.
        topics: Vec<CreatableTopicResult> [0],
    }
}

kafka_struct! {
    /// One topic's result.
    pub struct CreatableTopicResult {
        /// The topic name.
        name: String [0],
        /// The new topic's id (v7+).
        topic_id: Uuid [7],
        /// The error code, or 0.
        error_code: i16 [0],
        /// The error message, or null (v1+).
        error_message: Option<String> [1, nullable 0] = Some(String::new()),
        /// Why configs are missing (v5+, tag 0).
        topic_config_error_code: i16 [5, tag 0],
        /// The partition count (v5+).
        num_partitions: i32 [5] = -1,
        /// The replication factor (v5+).
        replication_factor: i16 [5] = -1,
        /// The topic's configs (v5+).
        configs: Option<Vec<CreatableTopicConfigs>> [5, nullable 5],
    }
}

kafka_struct! {
    /// One config of a created topic.
    pub struct CreatableTopicConfigs {
        /// The config name.
        name: String [5],
        /// Its value.
        value: Option<String> [5, nullable 5] = Some(String::new()),
        /// Whether it is read-only.
        read_only: bool [5],
        /// Where it comes from.
        config_source: i8 [5] = -1,
        /// Whether it is sensitive.
        is_sensitive: bool [5],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;
    use crate::{Encode, RawTaggedField};
    use bytes::{Bytes, BytesMut};

    fn tags(v: i16) -> Vec<RawTaggedField> {
        if v >= 5 {
            vec![RawTaggedField {
                tag: 9,
                data: Bytes::from_static(b"t"),
            }]
        } else {
            vec![]
        }
    }

    #[test]
    fn request_v2_bytes_by_hand() {
        let m = CreateTopicsRequest {
            topics: vec![CreatableTopic {
                name: "t".into(),
                num_partitions: 3,
                replication_factor: 1,
                ..Default::default()
            }],
            timeout_ms: 1000,
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 2).expect("encodes");
        assert_eq!(
            &buf[..],
            &[
                0, 0, 0, 1, 0, 1, b't', // one topic "t"
                0, 0, 0, 3, 0, 1, // 3 partitions, rf 1
                0, 0, 0, 0, 0, 0, 0, 0, // no assignments, no configs
                0, 0, 3, 0xe8, 0, // timeout 1000, validate_only false
            ]
        );
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|v| CreateTopicsRequest {
            topics: vec![CreatableTopic {
                name: "a".into(),
                num_partitions: -1,
                replication_factor: 3,
                assignments: vec![CreatableReplicaAssignment {
                    partition_index: 0,
                    broker_ids: vec![1, 2],
                    ..Default::default()
                }],
                configs: vec![
                    CreatableTopicConfig {
                        name: "cleanup.policy".into(),
                        value: Some("compact".into()),
                        unknown_tagged_fields: tags(v),
                    },
                    CreatableTopicConfig {
                        name: "x".into(),
                        value: None,
                        ..Default::default()
                    },
                ],
                unknown_tagged_fields: tags(v),
            }],
            timeout_ms: 5,
            validate_only: true,
            unknown_tagged_fields: tags(v),
        });
        check_every_version(|v| CreateTopicsResponse {
            throttle_time_ms: 1,
            topics: vec![CreatableTopicResult {
                name: "a".into(),
                topic_id: Uuid([1; 16]),
                error_code: 36,
                error_message: Some("exists".into()),
                topic_config_error_code: 29,
                num_partitions: 6,
                replication_factor: 1,
                configs: Some(vec![CreatableTopicConfigs {
                    name: "n".into(),
                    value: None,
                    read_only: true,
                    config_source: 5,
                    is_sensitive: true,
                    ..Default::default()
                }]),
                unknown_tagged_fields: tags(v),
            }],
            unknown_tagged_fields: tags(v),
        });
    }
}
