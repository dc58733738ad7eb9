//! ConsumerGroupDescribe (key 69).

use crate::primitives::Uuid;

kafka_message! {
    /// The ConsumerGroupDescribe request (key 69).
    pub struct ConsumerGroupDescribeRequest: ConsumerGroupDescribe, versions 0 to 1, flexible 0, response ConsumerGroupDescribeResponse {
        /// The ids of the groups to describe.
        group_ids: Vec<String> [0],
        /// Whether to include authorized operations.
        include_authorized_operations: bool [0],
    }
}

kafka_message! {
    /// The ConsumerGroupDescribe response (key 69).
    pub struct ConsumerGroupDescribeResponse: ConsumerGroupDescribe, versions 0 to 1, flexible 0 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// Each described group.
        groups: Vec<DescribedGroup> [0],
    }
}

kafka_struct! {
    /// Each described group.
    pub struct DescribedGroup {
        /// The describe error, or 0 if there was no error.
        error_code: i16 [0],
        /// The top-level error message, or null if there was no error.
        error_message: Option<String> [0, nullable 0],
        /// The group ID string.
        group_id: String [0],
        /// The group state string, or the empty string.
        group_state: String [0],
        /// The group epoch.
        group_epoch: i32 [0],
        /// The assignment epoch.
        assignment_epoch: i32 [0],
        /// The selected assignor.
        assignor_name: String [0],
        /// The members.
        members: Vec<Member> [0],
        /// 32-bit bitfield to represent authorized operations for this group.
        authorized_operations: i32 [0] = i32::MIN,
    }
}

kafka_struct! {
    /// The members.
    pub struct Member {
        /// The member ID.
        member_id: String [0],
        /// The member instance ID.
        instance_id: Option<String> [0, nullable 0],
        /// The member rack ID.
        rack_id: Option<String> [0, nullable 0],
        /// The current member epoch.
        member_epoch: i32 [0],
        /// The client ID.
        client_id: String [0],
        /// The client host.
        client_host: String [0],
        /// The subscribed topic names.
        subscribed_topic_names: Vec<String> [0],
        /// the subscribed topic regex otherwise or null of not provided.
        subscribed_topic_regex: Option<String> [0, nullable 0],
        /// The current assignment.
        assignment: Assignment [0],
        /// The target assignment.
        target_assignment: Assignment [0],
        /// -1 for unknown. 0 for classic member. +1 for consumer member.
        member_type: i8 [1] = -1,
    }
}

kafka_struct! {
    /// TopicPartitions
    pub struct TopicPartitions {
        /// The topic ID.
        topic_id: Uuid [0],
        /// The topic name.
        topic_name: String [0],
        /// The partitions.
        partitions: Vec<i32> [0],
    }
}

kafka_struct! {
    /// Assignment
    pub struct Assignment {
        /// The assigned topic-partitions to the member.
        topic_partitions: Vec<TopicPartitions> [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_consumer_group_describe_request() -> ConsumerGroupDescribeRequest {
        ConsumerGroupDescribeRequest {
            group_ids: vec!["s2".into()],
            include_authorized_operations: true,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_topic_partitions() -> TopicPartitions {
        TopicPartitions {
            topic_id: Uuid([5; 16]),
            topic_name: "s5".into(),
            partitions: vec![8],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_assignment() -> Assignment {
        Assignment {
            topic_partitions: vec![filled_topic_partitions()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_consumer_group_describe_response() -> ConsumerGroupDescribeResponse {
        ConsumerGroupDescribeResponse {
            throttle_time_ms: 11,
            groups: vec![filled_described_group()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_described_group() -> DescribedGroup {
        DescribedGroup {
            error_code: 14,
            error_message: Some("s15".into()),
            group_id: "s16".into(),
            group_state: "s17".into(),
            group_epoch: 19,
            assignment_epoch: 20,
            assignor_name: "s20".into(),
            members: vec![filled_member()],
            authorized_operations: 24,
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_member() -> Member {
        Member {
            member_id: "s24".into(),
            instance_id: Some("s26".into()),
            rack_id: Some("s28".into()),
            member_epoch: 30,
            client_id: "s30".into(),
            client_host: "s31".into(),
            subscribed_topic_names: vec!["s33".into()],
            subscribed_topic_regex: Some("s35".into()),
            assignment: filled_assignment(),
            target_assignment: filled_assignment(),
            member_type: 39,
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_consumer_group_describe_request());
        check_every_version(|_| filled_consumer_group_describe_response());
    }
}
