//! LeaveGroup (key 13): members leaving their group at once, without
//! waiting for their sessions to expire.

kafka_message! {
    /// Leaves a group: one member (v0-2) or several (v3+).
    pub struct LeaveGroupRequest: LeaveGroup, versions 0 to 5, flexible 4, response LeaveGroupResponse {
        /// The group id.
        group_id: String [0],
        /// The member id (v0-2).
        member_id: String [0 to 2],
        /// The members leaving (v3+).
        members: Vec<MemberIdentity> [3],
    }
}

kafka_struct! {
    /// One member leaving.
    pub struct MemberIdentity {
        /// The member id.
        member_id: String [3],
        /// The static instance id.
        group_instance_id: Option<String> [3, nullable 3],
        /// Why it leaves (v5+).
        reason: Option<String> [5, nullable 5],
    }
}

kafka_message! {
    /// The outcome, overall and (v3+) per member.
    pub struct LeaveGroupResponse: LeaveGroup, versions 0 to 5, flexible 4 {
        /// Quota throttle time in milliseconds (v1+).
        throttle_time_ms: i32 [1],
        /// The error code, or 0.
        error_code: i16 [0],
        /// Each member's outcome (v3+).
        members: Vec<MemberResponse> [3],
    }
}

kafka_struct! {
    /// One member's outcome.
    pub struct MemberResponse {
        /// The member id.
        member_id: String [3],
        /// The static instance id.
        group_instance_id: Option<String> [3, nullable 3] = Some(String::new()),
        /// The error code, or 0.
        error_code: i16 [3],
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
                tag: 8,
                data: Bytes::from_static(b"b"),
            }]
        } else {
            vec![]
        }
    }

    #[test]
    fn request_v0_and_v3_bytes_by_hand() {
        let m = LeaveGroupRequest {
            group_id: "g".into(),
            member_id: "m".into(),
            members: vec![MemberIdentity {
                member_id: "m".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 0).expect("encodes");
        assert_eq!(&buf[..], &[0, 1, b'g', 0, 1, b'm']);
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 3).expect("encodes");
        assert_eq!(&buf[..], &[0, 1, b'g', 0, 0, 0, 1, 0, 1, b'm', 0xff, 0xff]);
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|v| LeaveGroupRequest {
            group_id: "g".into(),
            member_id: "m".into(),
            members: vec![
                MemberIdentity {
                    member_id: "m".into(),
                    group_instance_id: Some("i".into()),
                    reason: Some("closing".into()),
                    unknown_tagged_fields: tags(v),
                },
                MemberIdentity::default(),
            ],
            unknown_tagged_fields: tags(v),
        });
        check_every_version(|v| LeaveGroupResponse {
            throttle_time_ms: 1,
            error_code: 0,
            members: vec![MemberResponse {
                member_id: "m".into(),
                group_instance_id: None,
                error_code: 25,
                unknown_tagged_fields: tags(v),
            }],
            unknown_tagged_fields: tags(v),
        });
    }
}
