//! JoinGroup (key 11): a member joining (or rejoining) its group; the
//! leader gets every member's metadata back.

use bytes::Bytes;

kafka_message! {
    /// Joins a group with the protocols (assignors) the member supports.
    pub struct JoinGroupRequest: JoinGroup, versions 0 to 9, flexible 6, response JoinGroupResponse {
        /// The group id.
        group_id: String [0],
        /// How long without heartbeats before the member is dropped, in ms.
        session_timeout_ms: i32 [0],
        /// How long a rebalance may wait for the member, in ms (v1+).
        rebalance_timeout_ms: i32 [1] = -1,
        /// The member id, empty on the first join.
        member_id: String [0],
        /// The static member's instance id (v5+).
        group_instance_id: Option<String> [5, nullable 5],
        /// The protocol type, "consumer" for consumers.
        protocol_type: String [0],
        /// The protocols the member supports, in preference order.
        protocols: Vec<JoinGroupRequestProtocol> [0],
        /// Why the member (re)joins (v8+).
        reason: Option<String> [8, nullable 8],
    }
}

kafka_struct! {
    /// One supported protocol and the member's metadata for it.
    pub struct JoinGroupRequestProtocol {
        /// The protocol (assignor) name.
        name: String [0],
        /// The metadata (a consumer's subscription).
        metadata: Bytes [0],
    }
}

kafka_message! {
    /// The generation joined, the leader, and (for the leader) the members.
    pub struct JoinGroupResponse: JoinGroup, versions 0 to 9, flexible 6 {
        /// Quota throttle time in milliseconds (v2+).
        throttle_time_ms: i32 [2],
        /// The error code, or 0.
        error_code: i16 [0],
        /// The generation id.
        generation_id: i32 [0] = -1,
        /// The protocol type (v7+).
        protocol_type: Option<String> [7, nullable 7],
        /// The protocol the coordinator chose (null v7+ on errors).
        protocol_name: Option<String> [0, nullable 7] = Some(String::new()),
        /// The leader's member id.
        leader: String [0],
        /// Whether the leader skips assigning (v9+).
        skip_assignment: bool [9],
        /// This member's id.
        member_id: String [0],
        /// Every member, for the leader; empty for the others.
        members: Vec<JoinGroupResponseMember> [0],
    }
}

kafka_struct! {
    /// One member, as the leader sees it.
    pub struct JoinGroupResponseMember {
        /// Its member id.
        member_id: String [0],
        /// Its static instance id (v5+).
        group_instance_id: Option<String> [5, nullable 5],
        /// Its metadata for the chosen protocol.
        metadata: Bytes [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;
    use crate::{Encode, RawTaggedField};
    use bytes::BytesMut;

    fn tags(v: i16) -> Vec<RawTaggedField> {
        if v >= 6 {
            vec![RawTaggedField {
                tag: 4,
                data: Bytes::from_static(b"j"),
            }]
        } else {
            vec![]
        }
    }

    #[test]
    fn request_v0_bytes_by_hand() {
        let m = JoinGroupRequest {
            group_id: "g".into(),
            session_timeout_ms: 10,
            member_id: String::new(),
            protocol_type: "consumer".into(),
            protocols: vec![JoinGroupRequestProtocol {
                name: "range".into(),
                metadata: Bytes::from_static(&[0, 1]),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        m.encode(&mut buf, 0).expect("encodes");
        let mut want = vec![0, 1, b'g', 0, 0, 0, 10, 0, 0, 0, 8];
        want.extend_from_slice(b"consumer");
        want.extend_from_slice(&[0, 0, 0, 1, 0, 5]);
        want.extend_from_slice(b"range");
        want.extend_from_slice(&[0, 0, 0, 2, 0, 1]);
        assert_eq!(&buf[..], &want[..]);
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|v| JoinGroupRequest {
            group_id: "g".into(),
            session_timeout_ms: 45_000,
            rebalance_timeout_ms: 300_000,
            member_id: "m".into(),
            group_instance_id: Some("i".into()),
            protocol_type: "consumer".into(),
            protocols: vec![
                JoinGroupRequestProtocol {
                    name: "range".into(),
                    metadata: Bytes::from_static(b"sub"),
                    unknown_tagged_fields: tags(v),
                },
                JoinGroupRequestProtocol {
                    name: "roundrobin".into(),
                    metadata: Bytes::new(),
                    ..Default::default()
                },
            ],
            reason: Some("rejoin".into()),
            unknown_tagged_fields: tags(v),
        });
        check_every_version(|v| JoinGroupResponse {
            throttle_time_ms: 1,
            error_code: 0,
            generation_id: 5,
            protocol_type: Some("consumer".into()),
            protocol_name: Some("range".into()),
            leader: "m".into(),
            skip_assignment: true,
            member_id: "m".into(),
            members: vec![JoinGroupResponseMember {
                member_id: "m".into(),
                group_instance_id: None,
                metadata: Bytes::from_static(b"sub"),
                unknown_tagged_fields: tags(v),
            }],
            unknown_tagged_fields: tags(v),
        });
    }
}
