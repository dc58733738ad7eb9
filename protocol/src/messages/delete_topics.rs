//! DeleteTopics (key 20): topics removed by name or (v6+) by id.

use crate::primitives::Uuid;

kafka_message! {
    /// Deletes topics.
    pub struct DeleteTopicsRequest: DeleteTopics, versions 1 to 6, flexible 4, response DeleteTopicsResponse {
        /// The topics, by name or id (v6+).
        topics: Vec<DeleteTopicState> [6],
        /// The topic names (v0-5).
        topic_names: Vec<String> [0 to 5],
        /// How long to wait for the deletion, in ms.
        timeout_ms: i32 [0],
    }
}

kafka_struct! {
    /// One topic to delete (v6+).
    pub struct DeleteTopicState {
        /// The name, or null to go by id.
        name: Option<String> [6, nullable 6],
        /// The id.
        topic_id: Uuid [6],
    }
}

kafka_message! {
    /// The outcome for each topic.
    pub struct DeleteTopicsResponse: DeleteTopics, versions 1 to 6, flexible 4 {
        /// Quota throttle time in milliseconds (v1+).
        throttle_time_ms: i32 [1],
        /// Each topic's result.
        responses: Vec<DeletableTopicResult> [0],
    }
}

kafka_struct! {
    /// One topic's result.
    pub struct DeletableTopicResult {
        /// The topic name (null by id, v6+).
        name: Option<String> [0, nullable 6] = Some(String::new()),
        /// The topic id (v6+).
        topic_id: Uuid [6],
        /// The error code, or 0.
        error_code: i16 [0],
        /// The error message, or null (v5+).
        error_message: Option<String> [5, nullable 5],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;
    use crate::{Encode, RawTaggedField};
    use bytes::{Bytes, BytesMut};

    fn tags(v: i16) -> Vec<RawTaggedField> {
        if v >= 4 {
            vec![RawTaggedField {
                tag: 3,
                data: Bytes::from_static(b"d"),
            }]
        } else {
            vec![]
        }
    }

    #[test]
    fn request_v1_and_v6_bytes_by_hand() {
        let m = DeleteTopicsRequest {
            topic_names: vec!["t".into()],
            topics: vec![DeleteTopicState {
                name: Some("t".into()),
                ..Default::default()
            }],
            timeout_ms: 1,
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 1).expect("encodes");
        assert_eq!(&buf[..], &[0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1]);
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 6).expect("encodes");
        let mut want = vec![2, 2, b't'];
        want.extend_from_slice(&[0; 16]);
        want.extend_from_slice(&[0, 0, 0, 0, 1, 0]);
        assert_eq!(&buf[..], &want[..]);
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|v| DeleteTopicsRequest {
            topics: vec![
                DeleteTopicState {
                    name: Some("a".into()),
                    topic_id: Uuid([2; 16]),
                    unknown_tagged_fields: tags(v),
                },
                DeleteTopicState {
                    name: None,
                    topic_id: Uuid([3; 16]),
                    ..Default::default()
                },
            ],
            topic_names: vec!["a".into(), "b".into()],
            timeout_ms: 30_000,
            unknown_tagged_fields: tags(v),
        });
        check_every_version(|v| DeleteTopicsResponse {
            throttle_time_ms: 2,
            responses: vec![DeletableTopicResult {
                name: if v >= 6 { None } else { Some("a".into()) },
                topic_id: Uuid([4; 16]),
                error_code: 3,
                error_message: Some("unknown".into()),
                unknown_tagged_fields: tags(v),
            }],
            unknown_tagged_fields: tags(v),
        });
    }
}
