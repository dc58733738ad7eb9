//! Heartbeat (key 12): a group member telling its coordinator it is alive.

kafka_message! {
    /// Keeps a member in its group between rebalances.
    pub struct HeartbeatRequest: Heartbeat, versions 0 to 4, flexible 4, response HeartbeatResponse {
        /// The group id.
        group_id: String [0],
        /// The generation of the group.
        generation_id: i32 [0],
        /// The member id.
        member_id: String [0],
        /// The static member's instance id (v3+).
        group_instance_id: Option<String> [3, nullable 3],
    }
}

kafka_message! {
    /// The coordinator's answer: an error code (REBALANCE_IN_PROGRESS when
    /// the member must rejoin).
    pub struct HeartbeatResponse: Heartbeat, versions 0 to 4, flexible 4 {
        /// Quota throttle time in milliseconds (v1+).
        throttle_time_ms: i32 [1],
        /// The error code, or 0.
        error_code: i16 [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::{check_roundtrip, check_version_bounds};
    use crate::primitives::RawTaggedField;
    use crate::{decode_body, Encode};
    use bytes::BytesMut;

    #[test]
    fn request_v0_bytes_by_hand() {
        let m = HeartbeatRequest {
            group_id: "g".into(),
            generation_id: 3,
            member_id: "m".into(),
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 0).expect("encodes");
        assert_eq!(&buf[..], &[0, 1, b'g', 0, 0, 0, 3, 0, 1, b'm']);
        // v4: compact strings, the nullable instance id, tagged section.
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 4).expect("encodes");
        assert_eq!(&buf[..], &[2, b'g', 0, 0, 0, 3, 2, b'm', 0, 0]);
    }

    #[test]
    fn roundtrips_every_version() {
        for version in 0..=4 {
            let mut req = HeartbeatRequest {
                group_id: "my_consumer_group".into(),
                generation_id: 17,
                member_id: "member-1".into(),
                ..Default::default()
            };
            let mut resp = HeartbeatResponse {
                error_code: 27,
                ..Default::default()
            };
            if version >= 1 {
                resp.throttle_time_ms = 9;
            }
            if version >= 3 {
                req.group_instance_id = Some("instance".into());
            }
            if version >= 4 {
                req.unknown_tagged_fields = vec![RawTaggedField {
                    tag: 7,
                    data: bytes::Bytes::from_static(b"x"),
                }];
            }
            check_roundtrip(&req, version);
            check_roundtrip(&resp, version);
        }
        check_version_bounds::<HeartbeatRequest>();
        check_version_bounds::<HeartbeatResponse>();
    }

    #[test]
    fn rejects_null_instance_id_before_v3_in_both_directions() {
        // v3 with a null instance id is fine.
        let m = HeartbeatRequest::default();
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 3).expect("null allowed in v3");
        let back: HeartbeatRequest = decode_body(buf.freeze(), 3).expect("decodes");
        assert_eq!(back.group_instance_id, None);
    }
}
