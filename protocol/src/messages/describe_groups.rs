//! DescribeGroups (key 15).

use bytes::Bytes;

kafka_message! {
    /// The DescribeGroups request (key 15).
    pub struct DescribeGroupsRequest: DescribeGroups, versions 0 to 6, flexible 5, response DescribeGroupsResponse {
        /// The names of the groups to describe.
        groups: Vec<String> [0],
        /// Whether to include authorized operations.
        include_authorized_operations: bool [3],
    }
}

kafka_message! {
    /// The DescribeGroups response (key 15).
    pub struct DescribeGroupsResponse: DescribeGroups, versions 0 to 6, flexible 5 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [1],
        /// Each described group.
        groups: Vec<DescribedGroup> [0],
    }
}

kafka_struct! {
    /// Each described group.
    pub struct DescribedGroup {
        /// The describe error, or 0 if there was no error.
        error_code: i16 [0],
        /// The describe error message, or null if there was no error.
        error_message: Option<String> [6, nullable 6],
        /// The group ID string.
        group_id: String [0],
        /// The group state string, or the empty string.
        group_state: String [0],
        /// The group protocol type, or the empty string.
        protocol_type: String [0],
        /// The group protocol data, or the empty string.
        protocol_data: String [0],
        /// The group members.
        members: Vec<DescribedGroupMember> [0],
        /// 32-bit bitfield to represent authorized operations for this group.
        authorized_operations: i32 [3] = i32::MIN,
    }
}

kafka_struct! {
    /// The group members.
    pub struct DescribedGroupMember {
        /// The member id.
        member_id: String [0],
        /// The unique identifier of the consumer instance provided by end user.
        group_instance_id: Option<String> [4, nullable 4],
        /// The client ID used in the member's latest join group request.
        client_id: String [0],
        /// The client host.
        client_host: String [0],
        /// The metadata corresponding to the current group protocol in use.
        member_metadata: Bytes [0],
        /// The current assignment provided by the group leader.
        member_assignment: Bytes [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_describe_groups_request() -> DescribeGroupsRequest {
        DescribeGroupsRequest {
            groups: vec!["s2".into()],
            include_authorized_operations: true,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describe_groups_response() -> DescribeGroupsResponse {
        DescribeGroupsResponse {
            throttle_time_ms: 5,
            groups: vec![filled_described_group()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_described_group() -> DescribedGroup {
        DescribedGroup {
            error_code: 8,
            error_message: Some("s9".into()),
            group_id: "s10".into(),
            group_state: "s11".into(),
            protocol_type: "s12".into(),
            protocol_data: "s13".into(),
            members: vec![filled_described_group_member()],
            authorized_operations: 17,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_described_group_member() -> DescribedGroupMember {
        DescribedGroupMember {
            member_id: "s17".into(),
            group_instance_id: Some("s19".into()),
            client_id: "s20".into(),
            client_host: "s21".into(),
            member_metadata: Bytes::from_static(b"b22"),
            member_assignment: Bytes::from_static(b"b23"),
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_describe_groups_request());
        check_every_version(|_| filled_describe_groups_response());
    }
}
