//! ConsumerGroupDescribe (key 69): the state of groups under the
//! broker-driven consumer protocol (KIP-848): members, their assignments
//! and targets.

use crate::primitives::Uuid;

kafka_message! {
    /// Asks for the description of groups.
    pub struct ConsumerGroupDescribeRequest: ConsumerGroupDescribe, versions 0 to 1, flexible 0, response ConsumerGroupDescribeResponse {
        /// The group ids.
        group_ids: Vec<String> [0],
        /// Whether to include the operations the caller may perform.
        include_authorized_operations: bool [0],
    }
}

kafka_message! {
    /// Each group's description.
    pub struct ConsumerGroupDescribeResponse: ConsumerGroupDescribe, versions 0 to 1, flexible 0 {
        /// Quota throttle time in milliseconds.
        throttle_time_ms: i32 [0],
        /// Each group.
        groups: Vec<ConsumerGroupDescribeGroup> [0],
    }
}

kafka_struct! {
    /// One group.
    pub struct ConsumerGroupDescribeGroup {
        /// The error code, or 0.
        error_code: i16 [0],
        /// The error message, or null.
        error_message: Option<String> [0, nullable 0],
        /// The group id.
        group_id: String [0],
        /// The group's state, or empty.
        group_state: String [0],
        /// The group epoch.
        group_epoch: i32 [0],
        /// The assignment epoch.
        assignment_epoch: i32 [0],
        /// The assignor the coordinator chose.
        assignor_name: String [0],
        /// The members.
        members: Vec<ConsumerGroupDescribeMember> [0],
        /// A bitfield of the operations the caller may perform.
        authorized_operations: i32 [0] = i32::MIN,
    }
}

kafka_struct! {
    /// One member.
    pub struct ConsumerGroupDescribeMember {
        /// The member id.
        member_id: String [0],
        /// The static member's instance id, or null.
        instance_id: Option<String> [0, nullable 0],
        /// The member's rack, or null.
        rack_id: Option<String> [0, nullable 0],
        /// The member epoch.
        member_epoch: i32 [0],
        /// The member's client id.
        client_id: String [0],
        /// The member's host.
        client_host: String [0],
        /// The subscribed topic names.
        subscribed_topic_names: Vec<String> [0],
        /// The subscribed topic regex, or null.
        subscribed_topic_regex: Option<String> [0, nullable 0],
        /// The member's current assignment.
        assignment: ConsumerGroupDescribeAssignment [0],
        /// The member's target assignment.
        target_assignment: ConsumerGroupDescribeAssignment [0],
        /// -1 unknown, 0 a classic member, 1 a consumer member (v1+).
        member_type: i8 [1] = -1,
    }
}

kafka_struct! {
    /// A member's partitions.
    pub struct ConsumerGroupDescribeAssignment {
        /// Each topic's partitions.
        topic_partitions: Vec<ConsumerGroupDescribeTopicPartitions> [0],
    }
}

kafka_struct! {
    /// One topic's partitions, by id and name.
    pub struct ConsumerGroupDescribeTopicPartitions {
        /// The topic id.
        topic_id: Uuid [0],
        /// The topic name.
        topic_name: String [0],
        /// The partitions.
        partitions: Vec<i32> [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::{check_every_version, check_version_bounds};
    use crate::RawTaggedField;
    use bytes::Bytes;

    fn tags() -> Vec<RawTaggedField> {
        vec![RawTaggedField {
            tag: 4,
            data: Bytes::from_static(b"d"),
        }]
    }

    fn assignment(n: i32) -> ConsumerGroupDescribeAssignment {
        ConsumerGroupDescribeAssignment {
            topic_partitions: vec![ConsumerGroupDescribeTopicPartitions {
                topic_id: Uuid([n as u8; 16]),
                topic_name: "t".into(),
                partitions: vec![n, n + 1],
                unknown_tagged_fields: tags(),
            }],
            unknown_tagged_fields: tags(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| ConsumerGroupDescribeRequest {
            group_ids: vec!["a".into(), "b".into()],
            include_authorized_operations: true,
            unknown_tagged_fields: tags(),
        });
        check_every_version(|_| ConsumerGroupDescribeResponse {
            throttle_time_ms: 2,
            groups: vec![ConsumerGroupDescribeGroup {
                error_code: 0,
                error_message: None,
                group_id: "g".into(),
                group_state: "Stable".into(),
                group_epoch: 7,
                assignment_epoch: 7,
                assignor_name: "uniform".into(),
                members: vec![ConsumerGroupDescribeMember {
                    member_id: "m".into(),
                    instance_id: Some("i".into()),
                    rack_id: None,
                    member_epoch: 7,
                    client_id: "c".into(),
                    client_host: "/127.0.0.1".into(),
                    subscribed_topic_names: vec!["t".into()],
                    subscribed_topic_regex: Some("t.*".into()),
                    assignment: assignment(1),
                    target_assignment: assignment(2),
                    member_type: 1,
                    unknown_tagged_fields: tags(),
                }],
                authorized_operations: 8,
                unknown_tagged_fields: tags(),
            }],
            unknown_tagged_fields: tags(),
        });
        check_version_bounds::<ConsumerGroupDescribeRequest>();
        check_version_bounds::<ConsumerGroupDescribeResponse>();
    }
}
