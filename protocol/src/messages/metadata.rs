//! Metadata (key 3): the cluster's brokers, and the topics, partitions and
//! leaders a client asks about.

use crate::primitives::Uuid;

kafka_message! {
    /// Asks for the brokers and for some (or all) topics.
    pub struct MetadataRequest: Metadata, versions 0 to 13, flexible 9, response MetadataResponse {
        /// The topics; null for all topics (v1+), empty for none.
        topics: Option<Vec<MetadataRequestTopic>> [0, nullable 1],
        /// Whether the broker may create topics that do not exist (v4+).
        allow_auto_topic_creation: bool [4] = true,
        /// Whether to include the cluster's authorized operations (v8-10).
        include_cluster_authorized_operations: bool [8 to 10],
        /// Whether to include each topic's authorized operations (v8+).
        include_topic_authorized_operations: bool [8],
    }
}

kafka_struct! {
    /// One topic asked about, by name or (v10+) by id.
    pub struct MetadataRequestTopic {
        /// The topic id (v10+).
        topic_id: Uuid [10],
        /// The topic name; null when asking by id (v10+).
        name: Option<String> [0, nullable 10] = Some(String::new()),
    }
}

kafka_message! {
    /// The brokers, the controller and the topics asked about.
    pub struct MetadataResponse: Metadata, versions 0 to 13, flexible 9 {
        /// Quota throttle time in milliseconds (v3+).
        throttle_time_ms: i32 [3],
        /// The brokers in the cluster.
        brokers: Vec<MetadataResponseBroker> [0],
        /// The cluster id (v2+).
        cluster_id: Option<String> [2, nullable 2],
        /// The controller's broker id, -1 if unknown (v1+).
        controller_id: i32 [1] = -1,
        /// Each topic asked about.
        topics: Vec<MetadataResponseTopic> [0],
        /// The cluster's authorized operations (v8-10).
        cluster_authorized_operations: i32 [8 to 10] = i32::MIN,
        /// The top-level error code (v13+).
        error_code: i16 [13],
    }
}

kafka_struct! {
    /// One broker.
    pub struct MetadataResponseBroker {
        /// The broker id.
        node_id: i32 [0],
        /// The host name.
        host: String [0],
        /// The port.
        port: i32 [0],
        /// The rack, if assigned (v1+).
        rack: Option<String> [1, nullable 1],
    }
}

kafka_struct! {
    /// One topic.
    pub struct MetadataResponseTopic {
        /// The topic's error code, or 0.
        error_code: i16 [0],
        /// The topic name; null for unknown topics asked by id (v12+).
        name: Option<String> [0, nullable 12] = Some(String::new()),
        /// The topic id (v10+).
        topic_id: Uuid [10],
        /// Whether the topic is internal (v1+).
        is_internal: bool [1],
        /// Each partition.
        partitions: Vec<MetadataResponsePartition> [0],
        /// The topic's authorized operations (v8+).
        topic_authorized_operations: i32 [8] = i32::MIN,
    }
}

kafka_struct! {
    /// One partition.
    pub struct MetadataResponsePartition {
        /// The partition's error code, or 0.
        error_code: i16 [0],
        /// The partition index.
        partition_index: i32 [0],
        /// The leader's broker id.
        leader_id: i32 [0],
        /// The leader epoch (v7+).
        leader_epoch: i32 [7] = -1,
        /// Every replica.
        replica_nodes: Vec<i32> [0],
        /// The in-sync replicas.
        isr_nodes: Vec<i32> [0],
        /// The offline replicas (v5+).
        offline_replicas: Vec<i32> [5],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;
    use crate::{Encode, RawTaggedField};
    use bytes::{Bytes, BytesMut};

    fn unknown_tag() -> Vec<RawTaggedField> {
        vec![RawTaggedField {
            tag: 99,
            data: Bytes::from_static(b"?"),
        }]
    }

    #[test]
    fn request_v1_and_v9_bytes_by_hand() {
        let m = MetadataRequest {
            topics: Some(vec![MetadataRequestTopic {
                name: Some("t".into()),
                ..Default::default()
            }]),
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 1).expect("encodes");
        assert_eq!(&buf[..], &[0, 0, 0, 1, 0, 1, b't']);
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 9).expect("encodes");
        // compact array (2 = one topic), compact name, topic tags, then
        // allow_auto_topic_creation, include_cluster_authorized_operations
        // (v8-10), include_topic_authorized_operations, the request's tags.
        assert_eq!(&buf[..], &[2, 2, b't', 0, 1, 0, 0, 0]);
        let all = MetadataRequest {
            topics: None,
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        all.encode(&mut buf, 1).expect("null is all topics in v1");
        assert_eq!(&buf[..], &[0xff, 0xff, 0xff, 0xff]);
        assert!(
            all.encode(&mut BytesMut::new(), 0).is_err(),
            "v0 cannot say all topics"
        );
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|v| MetadataRequest {
            topics: Some(vec![
                MetadataRequestTopic {
                    topic_id: Uuid([7; 16]),
                    name: Some("a".into()),
                    unknown_tagged_fields: if v >= 9 { unknown_tag() } else { vec![] },
                },
                MetadataRequestTopic {
                    topic_id: Uuid([8; 16]),
                    name: if v >= 10 { None } else { Some("b".into()) },
                    ..Default::default()
                },
            ]),
            allow_auto_topic_creation: false,
            include_cluster_authorized_operations: true,
            include_topic_authorized_operations: true,
            unknown_tagged_fields: if v >= 9 { unknown_tag() } else { vec![] },
        });
        check_every_version(|v| MetadataResponse {
            throttle_time_ms: 5,
            brokers: vec![
                MetadataResponseBroker {
                    node_id: 1,
                    host: "127.0.0.1".into(),
                    port: 9092,
                    rack: Some("r1".into()),
                    ..Default::default()
                },
                MetadataResponseBroker {
                    node_id: 2,
                    host: "h2".into(),
                    port: 9093,
                    rack: None,
                    ..Default::default()
                },
            ],
            cluster_id: Some("cluster".into()),
            controller_id: 2,
            topics: vec![MetadataResponseTopic {
                error_code: 3,
                name: if v >= 12 { None } else { Some("t".into()) },
                topic_id: Uuid([1; 16]),
                is_internal: true,
                partitions: vec![MetadataResponsePartition {
                    error_code: 0,
                    partition_index: 4,
                    leader_id: 1,
                    leader_epoch: 9,
                    replica_nodes: vec![1, 2],
                    isr_nodes: vec![1],
                    offline_replicas: vec![2],
                    ..Default::default()
                }],
                topic_authorized_operations: 0x0f,
                ..Default::default()
            }],
            cluster_authorized_operations: 0x1f,
            error_code: 41,
            unknown_tagged_fields: if v >= 9 { unknown_tag() } else { vec![] },
        });
    }
}
