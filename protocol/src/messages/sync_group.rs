//! SyncGroup (key 14): the leader hands in the assignment; every member
//! gets its own back.

use bytes::Bytes;

kafka_message! {
    /// Hands in (leader) or asks for (followers) the assignment.
    pub struct SyncGroupRequest: SyncGroup, versions 0 to 5, flexible 4, response SyncGroupResponse {
        /// The group id.
        group_id: String [0],
        /// The generation.
        generation_id: i32 [0],
        /// The member id.
        member_id: String [0],
        /// The static member's instance id (v3+).
        group_instance_id: Option<String> [3, nullable 3],
        /// The protocol type (v5+).
        protocol_type: Option<String> [5, nullable 5],
        /// The protocol name (v5+).
        protocol_name: Option<String> [5, nullable 5],
        /// As leader, each member's assignment.
        assignments: Vec<SyncGroupRequestAssignment> [0],
    }
}

kafka_struct! {
    /// One member's assignment.
    pub struct SyncGroupRequestAssignment {
        /// The member id.
        member_id: String [0],
        /// Its assignment.
        assignment: Bytes [0],
    }
}

kafka_message! {
    /// This member's assignment.
    pub struct SyncGroupResponse: SyncGroup, versions 0 to 5, flexible 4 {
        /// Quota throttle time in milliseconds (v1+).
        throttle_time_ms: i32 [1],
        /// The error code, or 0.
        error_code: i16 [0],
        /// The protocol type (v5+).
        protocol_type: Option<String> [5, nullable 5],
        /// The protocol name (v5+).
        protocol_name: Option<String> [5, nullable 5],
        /// The assignment.
        assignment: Bytes [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;
    use crate::{Encode, RawTaggedField};
    use bytes::BytesMut;

    fn tags(v: i16) -> Vec<RawTaggedField> {
        if v >= 4 {
            vec![RawTaggedField {
                tag: 2,
                data: Bytes::from_static(b"s"),
            }]
        } else {
            vec![]
        }
    }

    #[test]
    fn response_v0_bytes_by_hand() {
        let m = SyncGroupResponse {
            error_code: 27,
            assignment: Bytes::from_static(&[1, 2, 3]),
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 0).expect("encodes");
        assert_eq!(&buf[..], &[0, 27, 0, 0, 0, 3, 1, 2, 3]);
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|v| SyncGroupRequest {
            group_id: "g".into(),
            generation_id: 2,
            member_id: "m".into(),
            group_instance_id: Some("i".into()),
            protocol_type: Some("consumer".into()),
            protocol_name: Some("range".into()),
            assignments: vec![
                SyncGroupRequestAssignment {
                    member_id: "m".into(),
                    assignment: Bytes::from_static(b"a"),
                    unknown_tagged_fields: tags(v),
                },
                SyncGroupRequestAssignment::default(),
            ],
            unknown_tagged_fields: tags(v),
        });
        check_every_version(|v| SyncGroupResponse {
            throttle_time_ms: 3,
            error_code: 0,
            protocol_type: None,
            protocol_name: Some("range".into()),
            assignment: Bytes::from_static(b"mine"),
            unknown_tagged_fields: tags(v),
        });
    }
}
