//! Produce (key 0): record batches to partition leaders, and the offsets
//! they were written at. Records travel as raw record-batch bytes; the
//! `records` module encodes and decodes them.

use bytes::Bytes;

use crate::primitives::Uuid;

kafka_message! {
    /// Record batches for some partitions.
    pub struct ProduceRequest: Produce, versions 3 to 13, flexible 9, response ProduceResponse {
        /// The transactional id, or null.
        transactional_id: Option<String> [3, nullable 3],
        /// Acknowledgements required: 0, 1 or -1 (all in-sync replicas).
        acks: i16 [0],
        /// How long the broker may wait for the acknowledgements, in ms.
        timeout_ms: i32 [0],
        /// Each topic.
        topic_data: Vec<TopicProduceData> [0],
    }
}

kafka_struct! {
    /// The batches for one topic.
    pub struct TopicProduceData {
        /// The topic name (v0-12).
        name: String [0 to 12],
        /// The topic id (v13+).
        topic_id: Uuid [13],
        /// Each partition.
        partition_data: Vec<PartitionProduceData> [0],
    }
}

kafka_struct! {
    /// The batches for one partition.
    pub struct PartitionProduceData {
        /// The partition index.
        index: i32 [0],
        /// The record batches, as bytes.
        records: Option<Bytes> [0, nullable 0],
    }
}

kafka_message! {
    /// Where each partition's batches were written, or why not.
    pub struct ProduceResponse: Produce, versions 3 to 13, flexible 9 {
        /// Each topic.
        responses: Vec<TopicProduceResponse> [0],
        /// Quota throttle time in milliseconds (v1+).
        throttle_time_ms: i32 [1],
        /// Endpoints of the new leaders named in `current_leader` (v10+, tag 0).
        node_endpoints: Vec<NodeEndpoint> [10, tag 0],
    }
}

kafka_struct! {
    /// One topic's results.
    pub struct TopicProduceResponse {
        /// The topic name (v0-12).
        name: String [0 to 12],
        /// The topic id (v13+).
        topic_id: Uuid [13],
        /// Each partition.
        partition_responses: Vec<PartitionProduceResponse> [0],
    }
}

kafka_struct! {
    /// One partition's result.
    pub struct PartitionProduceResponse {
        /// The partition index.
        index: i32 [0],
        /// The error code, or 0.
        error_code: i16 [0],
        /// The offset of the first record written.
        base_offset: i64 [0],
        /// The broker's append time with LogAppendTime, else -1 (v2+).
        log_append_time_ms: i64 [2] = -1,
        /// The log start offset (v5+).
        log_start_offset: i64 [5] = -1,
        /// The records that made the batch fail (v8+).
        record_errors: Vec<BatchIndexAndErrorMessage> [8],
        /// A message for the whole batch's error (v8+).
        error_message: Option<String> [8, nullable 8],
        /// The leader to use from now on, after NOT_LEADER (v10+, tag 0).
        current_leader: LeaderIdAndEpoch [10, tag 0],
    }
}

kafka_struct! {
    /// One record that made its batch fail.
    pub struct BatchIndexAndErrorMessage {
        /// The record's index in the batch.
        batch_index: i32 [8],
        /// Why.
        batch_index_error_message: Option<String> [8, nullable 8],
    }
}

kafka_struct! {
    /// A partition's leader and its epoch.
    pub struct LeaderIdAndEpoch {
        /// The leader's broker id, -1 if unknown.
        leader_id: i32 [10] = -1,
        /// The leader epoch, -1 if unknown.
        leader_epoch: i32 [10] = -1,
    }
}

kafka_struct! {
    /// A broker's endpoint.
    pub struct NodeEndpoint {
        /// The broker id.
        node_id: i32 [10],
        /// The host name.
        host: String [10],
        /// The port.
        port: i32 [10],
        /// The rack, if any.
        rack: Option<String> [10, nullable 10],
    }
}

impl ProduceRequest {
    /// Encodes the request as [`Encode::encode`](crate::Encode::encode)
    /// does, except the record batches: each partition's length prefix
    /// is written, its bytes are not. Returns where in `buf` each
    /// partition's batches belong and the batches themselves, in order,
    /// so a connection can write the frame as slices without copying
    /// megabytes of batches into it. The same declaration drives both
    /// encodings; a version this crate does not speak is refused with
    /// [`EncodeError::UnsupportedVersion`](crate::EncodeError::UnsupportedVersion).
    pub fn encode_split(
        &self,
        buf: &mut bytes::BytesMut,
        version: i16,
    ) -> Result<Vec<(usize, Bytes)>, crate::primitives::EncodeError> {
        crate::message::encode_split(self, buf, version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;
    use crate::{Encode, RawTaggedField};
    use bytes::BytesMut;

    fn tags(v: i16) -> Vec<RawTaggedField> {
        if v >= 9 {
            vec![RawTaggedField {
                tag: 42,
                data: Bytes::from_static(b"zz"),
            }]
        } else {
            vec![]
        }
    }

    #[test]
    fn request_v3_bytes_by_hand() {
        let m = ProduceRequest {
            transactional_id: None,
            acks: -1,
            timeout_ms: 1000,
            topic_data: vec![TopicProduceData {
                name: "t".into(),
                partition_data: vec![PartitionProduceData {
                    index: 2,
                    records: Some(Bytes::from_static(b"RB")),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 3).expect("encodes");
        assert_eq!(
            &buf[..],
            &[
                0xff, 0xff, // null transactional id
                0xff, 0xff, // acks -1
                0, 0, 0x03, 0xe8, // timeout 1000
                0, 0, 0, 1, 0, 1, b't', // one topic "t"
                0, 0, 0, 1, 0, 0, 0, 2, // one partition, index 2
                0, 0, 0, 2, b'R', b'B', // records
            ]
        );
    }

    #[test]
    fn split_encoding_with_the_batches_spliced_back_is_the_encoding() {
        use crate::primitives::Uuid;
        use crate::Encode;
        let request = ProduceRequest {
            transactional_id: Some("tx".into()),
            acks: -1,
            timeout_ms: 30_000,
            topic_data: vec![
                TopicProduceData {
                    name: "a".into(),
                    topic_id: Uuid::default(),
                    partition_data: vec![
                        PartitionProduceData {
                            index: 0,
                            records: Some(Bytes::from(vec![7u8; 300])),
                            ..Default::default()
                        },
                        PartitionProduceData {
                            index: 1,
                            records: None,
                            unknown_tagged_fields: tags(9),
                        },
                    ],
                    ..Default::default()
                },
                TopicProduceData {
                    name: "b".into(),
                    partition_data: vec![PartitionProduceData {
                        index: 5,
                        records: Some(Bytes::from_static(b"batch")),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
            ],
            unknown_tagged_fields: tags(9),
        };
        for version in 3..=13 {
            let mut whole = bytes::BytesMut::new();
            request.encode(&mut whole, version).expect("encodes");
            let mut split = bytes::BytesMut::new();
            let splices = request.encode_split(&mut split, version).expect("encodes");
            let mut joined = Vec::new();
            let mut at = 0;
            for (offset, records) in &splices {
                joined.extend_from_slice(&split[at..*offset]);
                joined.extend_from_slice(records);
                at = *offset;
            }
            joined.extend_from_slice(&split[at..]);
            assert_eq!(joined, &whole[..], "version {version}");
            assert_eq!(splices.len(), 2);
        }
    }

    #[test]
    fn split_encoding_refuses_versions_it_does_not_speak() {
        let request = ProduceRequest::default();
        for version in [-1, 0, 2, 14, i16::MAX] {
            let mut buf = BytesMut::new();
            let err = request
                .encode_split(&mut buf, version)
                .expect_err("unsupported version");
            assert_eq!(
                err,
                crate::EncodeError::UnsupportedVersion {
                    what: "ProduceRequest",
                    version
                }
            );
            assert!(buf.is_empty(), "nothing written for v{version}");
        }
    }

    #[test]
    fn records_are_slices_of_the_input() {
        let m = ProduceRequest {
            topic_data: vec![TopicProduceData {
                name: "t".into(),
                partition_data: vec![PartitionProduceData {
                    index: 0,
                    records: Some(Bytes::from_static(&[9; 64])),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 9).expect("encodes");
        let input = buf.freeze();
        let back: ProduceRequest = crate::decode_body(input.clone(), 9).expect("decodes");
        let records = back.topic_data[0].partition_data[0]
            .records
            .clone()
            .expect("records");
        let start = records.as_ptr() as usize - input.as_ptr() as usize;
        assert!(
            start + records.len() <= input.len(),
            "records point into the input"
        );
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|v| ProduceRequest {
            transactional_id: Some("tx".into()),
            acks: 1,
            timeout_ms: 30_000,
            topic_data: vec![
                TopicProduceData {
                    name: "a".into(),
                    topic_id: Uuid([3; 16]),
                    partition_data: vec![
                        PartitionProduceData {
                            index: 0,
                            records: Some(Bytes::from_static(b"batch")),
                            unknown_tagged_fields: tags(v),
                        },
                        PartitionProduceData {
                            index: 1,
                            records: None,
                            unknown_tagged_fields: tags(9),
                        },
                    ],
                    unknown_tagged_fields: tags(v),
                },
                TopicProduceData {
                    name: "b".into(),
                    ..Default::default()
                },
            ],
            unknown_tagged_fields: tags(v),
        });
        check_every_version(|v| ProduceResponse {
            responses: vec![TopicProduceResponse {
                name: "a".into(),
                topic_id: Uuid([4; 16]),
                partition_responses: vec![
                    PartitionProduceResponse {
                        index: 0,
                        error_code: 6,
                        base_offset: 100,
                        log_append_time_ms: 1_700_000_000_000,
                        log_start_offset: 5,
                        record_errors: vec![
                            BatchIndexAndErrorMessage {
                                batch_index: 2,
                                batch_index_error_message: Some("bad".into()),
                                ..Default::default()
                            },
                            BatchIndexAndErrorMessage {
                                batch_index: 3,
                                batch_index_error_message: None,
                                ..Default::default()
                            },
                        ],
                        error_message: Some("not leader".into()),
                        current_leader: LeaderIdAndEpoch {
                            leader_id: 2,
                            leader_epoch: 7,
                            ..Default::default()
                        },
                        unknown_tagged_fields: tags(v),
                    },
                    PartitionProduceResponse::default(),
                ],
                ..Default::default()
            }],
            throttle_time_ms: 3,
            node_endpoints: vec![NodeEndpoint {
                node_id: 2,
                host: "h".into(),
                port: 1,
                rack: None,
                ..Default::default()
            }],
            unknown_tagged_fields: tags(v),
        });
    }
}
