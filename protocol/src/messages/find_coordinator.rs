//! FindCoordinator (key 10): which broker coordinates a group (or a
//! transactional id); v4+ asks for several keys at once.

kafka_message! {
    /// Asks for the coordinator of one key (v0-3) or several (v4+).
    pub struct FindCoordinatorRequest: FindCoordinator, versions 0 to 6, flexible 3, response FindCoordinatorResponse {
        /// The key (v0-3).
        key: String [0 to 3],
        /// 0 group, 1 transaction, 2 share (v1+).
        key_type: i8 [1],
        /// The keys (v4+).
        coordinator_keys: Vec<String> [4],
    }
}

kafka_message! {
    /// The coordinator(s).
    pub struct FindCoordinatorResponse: FindCoordinator, versions 0 to 6, flexible 3 {
        /// Quota throttle time in milliseconds (v1+).
        throttle_time_ms: i32 [1],
        /// The error code, or 0 (v0-3).
        error_code: i16 [0 to 3],
        /// The error message (v1-3).
        error_message: Option<String> [1 to 3, nullable 1] = Some(String::new()),
        /// The coordinator's broker id (v0-3).
        node_id: i32 [0 to 3],
        /// Its host (v0-3).
        host: String [0 to 3],
        /// Its port (v0-3).
        port: i32 [0 to 3],
        /// One result per key (v4+).
        coordinators: Vec<Coordinator> [4],
    }
}

kafka_struct! {
    /// One key's coordinator (v4+).
    pub struct Coordinator {
        /// The key.
        key: String [4],
        /// The coordinator's broker id.
        node_id: i32 [4],
        /// Its host.
        host: String [4],
        /// Its port.
        port: i32 [4],
        /// The error code, or 0.
        error_code: i16 [4],
        /// The error message.
        error_message: Option<String> [4, nullable 4] = Some(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;
    use crate::{Encode, RawTaggedField};
    use bytes::{Bytes, BytesMut};

    fn tags(v: i16) -> Vec<RawTaggedField> {
        if v >= 3 {
            vec![RawTaggedField {
                tag: 1,
                data: Bytes::from_static(b"f"),
            }]
        } else {
            vec![]
        }
    }

    #[test]
    fn request_v0_and_v4_bytes_by_hand() {
        let m = FindCoordinatorRequest {
            key: "g".into(),
            coordinator_keys: vec!["g".into()],
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 0).expect("encodes");
        assert_eq!(&buf[..], &[0, 1, b'g']);
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 4).expect("encodes");
        assert_eq!(&buf[..], &[0, 2, 2, b'g', 0]);
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|v| FindCoordinatorRequest {
            key: "group".into(),
            key_type: 1,
            coordinator_keys: vec!["a".into(), "b".into()],
            unknown_tagged_fields: tags(v),
        });
        check_every_version(|v| FindCoordinatorResponse {
            throttle_time_ms: 1,
            error_code: 15,
            error_message: Some("not available".into()),
            node_id: 2,
            host: "h".into(),
            port: 9092,
            coordinators: vec![Coordinator {
                key: "a".into(),
                node_id: 1,
                host: "h".into(),
                port: 1,
                error_code: 0,
                error_message: None,
                unknown_tagged_fields: tags(v),
            }],
            unknown_tagged_fields: tags(v),
        });
    }
}
